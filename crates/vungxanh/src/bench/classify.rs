//! `vungxanh bench classify`: levels of every unit for one day and for 90 days, by the rule
//! engine, beside the same matrix written as one SQL query in PostgreSQL.
//!
//! * Province, from full data: the registry, a screening round, vaccinations and cases in
//!   the store; the engine side is `Store::compute_levels` (grouped queries, indicators in
//!   memory, the engine), the SQL side one query over the same tables.
//! * National, from per-hamlet daily counts (`vungxanh gen --scale national`): the engine
//!   side builds every unit's indicators from the counts in memory and classifies, day after
//!   day, carrying yesterday's state; the SQL side reads the same counts from tables.
//!
//! The SQL computes the 4800 matrix only (case-rate bands, first-dose coverage, the +1 for
//! the elderly); the engine also carries state from day to day (48-hour notice of raises, no
//! lowering while capacity is unmet), and over Aug–Oct 2021 the province replay applies
//! Decision 2686 until 11-10 then 4800 (with neighbours and roll-up). The SQL does less.

use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{Days, NaiveDate};
use vx_rules::{Adjacency, Classifier, Indicators, Outcome, Tree, UnitInput, UnitIx};
use vx_store::Store;

use super::{Line, Table};
use crate::gen::{communes_under, national_from, scale_config, Scale, NATIONAL_DAYS};

/// The day classified alone: a Friday under Decision 4800.
pub fn one_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 10, 15).expect("date")
}

/// Cases for the province fixture: the national wave model on the province's hamlets.
pub fn province_cases(scale: Scale, seed: u64) -> Result<Vec<vx_store::bench::CaseCount>> {
    let (code, cfg) = scale_config(scale, seed);
    let communes = communes_under(code)?;
    let hamlets = vx_gen::hamlets(&communes, &cfg);
    let district: std::collections::HashMap<&str, &str> = communes
        .iter()
        .map(|c| (c.code.as_str(), c.district_code.as_str()))
        .collect();
    let keys: Vec<&str> = hamlets
        .iter()
        .map(|h| district[h.parent_code.as_str()])
        .collect();
    let counts = vx_gen::national::daily_counts(&hamlets, &keys, seed, NATIONAL_DAYS);
    Ok(counts
        .iter()
        .map(|c| vx_store::bench::CaseCount {
            unit_code: hamlets[c.hamlet as usize].code.clone(),
            day: national_from() + Days::new(u64::from(c.day)),
            community: u32::from(c.community),
            in_quarantine: u32::from(c.in_quarantine),
        })
        .collect())
}

/// A province (or any subtree) from full data, on one backend (the SQL baseline on
/// PostgreSQL only).
pub async fn province(backend: &str, store: &Store, code: &str, table: &mut Table) -> Result<()> {
    let root = store
        .unit(code)
        .await?
        .with_context(|| format!("no unit {code}"))?;
    let day = one_day();
    let (from, to) = (national_from(), national_from() + Days::new(89));
    let started = Instant::now();
    let run = store.compute_levels(&root, day, day, None).await?;
    let one = started.elapsed().as_secs_f64();
    let units = run.batch.units.len() as u64;
    let started = Instant::now();
    let run = store.compute_levels(&root, from, to, None).await?;
    let replay = started.elapsed().as_secs_f64();
    let unit_days = (run.batch.units.len() * run.days.len()) as u64;
    // Stored, as `vungxanh classify` does every day (what the status pages read).
    let started = Instant::now();
    store
        .classify(&vx_store::Actor::system("bench"), &root, from, to)
        .await?;
    let stored = started.elapsed().as_secs_f64();
    let (sql_one, sql_replay) = if store.backend() == vx_store::Backend::Postgres {
        let started = Instant::now();
        let (n, _) = store.bench_sql_levels(&root.path, day, day).await?;
        let sql_one = started.elapsed().as_secs_f64();
        anyhow::ensure!(
            n as u64 == units,
            "SQL classified {n} units, the engine {units}"
        );
        let started = Instant::now();
        store.bench_sql_levels(&root.path, from, to).await?;
        (Some(sql_one), Some(started.elapsed().as_secs_f64()))
    } else {
        (None, None)
    };
    table.push(
        Line::new(
            backend,
            &format!(
                "classify: {} ({units} units), 1 day, from the store",
                root.name
            ),
            units,
            one,
        )
        .beside_secs(sql_one, units),
    );
    table.push(
        Line::new(
            backend,
            &format!("classify: {}, 90 days, from the store", root.name),
            unit_days,
            replay,
        )
        .beside_secs(sql_replay, unit_days),
    );
    table.push(Line::new(
        backend,
        &format!("classify: {}, 90 days, computed and stored", root.name),
        unit_days,
        stored,
    ));
    Ok(())
}

/// National units and per-hamlet daily counts, in memory.
pub struct National {
    /// Official codes and generated hamlets, parents before children.
    pub codes: Vec<String>,
    pub parents: Vec<Option<UnitIx>>,
    /// Index of the first hamlet in `codes`.
    pub first_hamlet: usize,
    pub facts: Vec<vx_gen::national::HamletFacts>,
    /// `counts[d][h]`: community cases of hamlet `h` on day `d` (from `national_from()`).
    pub counts: Vec<Vec<u16>>,
    pub daily: Vec<vx_gen::national::DailyCount>,
    pub hamlets: Vec<vx_gen::UnitRow>,
}

impl National {
    pub fn generate(seed: u64) -> Result<National> {
        let (_, cfg) = scale_config(Scale::National, seed);
        let communes = communes_under("")?;
        let hamlets = vx_gen::hamlets(&communes, &cfg);
        let district: std::collections::HashMap<&str, &str> = communes
            .iter()
            .map(|c| (c.code.as_str(), c.district_code.as_str()))
            .collect();
        let keys: Vec<&str> = hamlets
            .iter()
            .map(|h| district[h.parent_code.as_str()])
            .collect();
        let daily = vx_gen::national::daily_counts(&hamlets, &keys, seed, NATIONAL_DAYS);
        let facts = vx_gen::national::hamlet_facts(&hamlets, seed);
        // Provinces, districts, communes from the built-in list, then the hamlets.
        let mut rows: Vec<(String, String, u8)> = Vec::new();
        let mut reader = csv::Reader::from_reader(crate::import::UNITS_2021);
        for row in reader.records() {
            let row = row.context("built-in unit list")?;
            let depth = match &row[2] {
                "province" => 0,
                "district" => 1,
                _ => 2,
            };
            rows.push((row[0].to_string(), row[1].to_string(), depth));
        }
        rows.sort_by_key(|r| r.2);
        let mut codes: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        let first_hamlet = codes.len();
        codes.extend(hamlets.iter().map(|h| h.code.clone()));
        let ix: std::collections::HashMap<&str, UnitIx> = codes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i as UnitIx))
            .collect();
        let parents = rows
            .iter()
            .map(|r| ix.get(r.1.as_str()).copied())
            .chain(
                hamlets
                    .iter()
                    .map(|h| ix.get(h.parent_code.as_str()).copied()),
            )
            .collect();
        let mut counts = vec![vec![0u16; hamlets.len()]; usize::from(NATIONAL_DAYS)];
        for c in &daily {
            counts[usize::from(c.day)][c.hamlet as usize] = c.community;
        }
        Ok(National {
            codes,
            parents,
            first_hamlet,
            facts,
            counts,
            daily,
            hamlets,
        })
    }

    pub fn units(&self) -> usize {
        self.codes.len()
    }
}

/// Per-unit running state while days go by.
struct Running {
    /// Community cases per unit over the last 14 days, ring by day.
    window: Vec<[u16; 14]>,
    last_case: Vec<Option<usize>>,
    population: Vec<u64>,
    adults_first_dose: Vec<f64>,
    adults: Vec<f64>,
    old_fully: Vec<f64>,
    old: Vec<f64>,
    capacity_met: Vec<bool>,
}

impl Running {
    fn new(n: &National) -> Running {
        let units = n.units();
        let mut r = Running {
            window: vec![[0; 14]; units],
            last_case: vec![None; units],
            population: vec![0; units],
            adults_first_dose: vec![0.0; units],
            adults: vec![0.0; units],
            old_fully: vec![0.0; units],
            old: vec![0.0; units],
            capacity_met: vec![true; units],
        };
        for (h, f) in n.facts.iter().enumerate() {
            let i = n.first_hamlet + h;
            let pop = f64::from(f.population);
            r.population[i] = u64::from(f.population);
            r.adults[i] = pop * 0.7;
            r.adults_first_dose[i] = pop * 0.7 * f.first_dose_18plus_pct / 100.0;
            r.old[i] = pop * 0.12;
            r.old_fully[i] = pop * 0.12 * f.fully_vaccinated_65plus_pct / 100.0;
            r.capacity_met[i] = f.capacity_met;
        }
        // Children after parents: walking backwards sums every subtree.
        for i in (0..units).rev() {
            if let Some(p) = n.parents[i] {
                let p = p as usize;
                r.population[p] += r.population[i];
                r.adults[p] += r.adults[i];
                r.adults_first_dose[p] += r.adults_first_dose[i];
                r.old[p] += r.old[i];
                r.old_fully[p] += r.old_fully[i];
                r.capacity_met[p] &= r.capacity_met[i];
            }
        }
        r
    }

    /// Adds day `d`'s counts and fills `inputs` with every unit's indicators of that day.
    fn day(&mut self, n: &National, d: usize, previous: &[Outcome], inputs: &mut Vec<UnitInput>) {
        let slot = d % 14;
        let units = n.units();
        for w in &mut self.window {
            w[slot] = 0;
        }
        for (h, &c) in n.counts[d].iter().enumerate() {
            if c > 0 {
                self.window[n.first_hamlet + h][slot] = c;
            }
        }
        for i in (0..units).rev() {
            if self.window[i][slot] > 0 {
                self.last_case[i] = Some(d);
            }
            if let Some(p) = n.parents[i] {
                let p = p as usize;
                let c = self.window[i][slot];
                self.window[p][slot] = self.window[p][slot].saturating_add(c);
            }
        }
        inputs.clear();
        inputs.extend((0..units).map(|i| {
            let w = &self.window[i];
            let c14: u32 = w.iter().map(|&c| u32::from(c)).sum();
            let c7: u32 = (0..7).map(|k| u32::from(w[(slot + 14 - k) % 14])).sum();
            let pct = |a: f64, b: f64| if b > 0.0 { Some(a * 100.0 / b) } else { None };
            UnitInput {
                indicators: Indicators {
                    population: Some(self.population[i].min(u64::from(u32::MAX)) as u32),
                    community_cases_7d: Some(c7),
                    community_cases_14d: Some(c14),
                    days_since_last_community_case: self.last_case[i].map(|l| (d - l) as u32),
                    first_dose_18plus_pct: pct(self.adults_first_dose[i], self.adults[i]),
                    fully_vaccinated_65plus_pct: pct(self.old_fully[i], self.old[i]),
                    capacity_met: Some(self.capacity_met[i]),
                    ..Indicators::default()
                },
                previous: previous.get(i).map(Outcome::carry),
                ..UnitInput::default()
            }
        }));
    }
}

/// Classifies `days` days from `national_from() + first`, in memory; returns the outcomes
/// of the last day. The first 13 days only fill the 14-day windows when `first` > 13.
pub fn national_engine(n: &National, first: usize, days: usize) -> Result<Vec<Outcome>> {
    let rs = vx_rules::builtin("qd-4800").context("built-in qd-4800")?;
    let tree = Tree::from_parents(&n.parents)?;
    let adjacency = Adjacency::default();
    let mut running = Running::new(n);
    let mut classifier = Classifier::default();
    let mut inputs = Vec::with_capacity(n.units());
    let mut out: Vec<Outcome> = Vec::new();
    let mut previous: Vec<Outcome> = Vec::new();
    for d in first.saturating_sub(13)..first + days {
        running.day(n, d, &previous, &mut inputs);
        if d < first {
            continue;
        }
        let date = national_from() + Days::new(d as u64);
        classifier.classify_into(&rs, date, &inputs, &adjacency, &tree, &mut out)?;
        std::mem::swap(&mut previous, &mut out);
    }
    Ok(previous)
}

/// National scale over `days` days from `national_from()` (90 in the suite): the engine in
/// memory, and (with `sql`) the SQL baseline.
pub async fn national(
    n: &National,
    days: u16,
    sql: Option<&Store>,
    table: &mut Table,
) -> Result<()> {
    let units = n.units() as u64;
    let first = (one_day() - national_from()).num_days() as usize;
    let started = Instant::now();
    let out = national_engine(n, first, 1)?;
    let one = started.elapsed().as_secs_f64();
    anyhow::ensure!(out.len() as u64 == units);
    let started = Instant::now();
    national_engine(n, 0, usize::from(days))?;
    let replay = started.elapsed().as_secs_f64();
    let unit_days = units * u64::from(days);
    let (mut sql_one, mut sql_replay) = (None, None);
    if let Some(store) = sql {
        let started = Instant::now();
        let (k, _) = store
            .bench_sql_levels_national(one_day(), one_day())
            .await?;
        sql_one = Some(started.elapsed().as_secs_f64());
        anyhow::ensure!(
            k as u64 == units,
            "SQL classified {k} units, the engine {units}"
        );
        let to = national_from() + Days::new(u64::from(days) - 1);
        let started = Instant::now();
        store.bench_sql_levels_national(national_from(), to).await?;
        sql_replay = Some(started.elapsed().as_secs_f64());
    }
    table.push(
        Line::new(
            "memory",
            "classify: national, 1 day, from daily counts",
            units,
            one,
        )
        .beside_secs(sql_one, units),
    );
    table.push(
        Line::new(
            "memory",
            &format!("classify: national, {days} days, from daily counts"),
            unit_days,
            replay,
        )
        .beside_secs(sql_replay, unit_days),
    );
    Ok(())
}

/// Loads the national units and counts into a PostgreSQL store for the SQL baseline.
pub async fn load_national_sql(store: &Store, n: &National) -> Result<()> {
    let quiet = crate::import::CommonArgs {
        actor: "bench".into(),
        ..Default::default()
    };
    crate::import::import(
        store,
        crate::import::Kind::Units { valid_from: None },
        &crate::import::Source::builtin_2021(),
        &quiet,
    )
    .await?;
    let mut units = Vec::new();
    vx_gen::write_units_csv(&mut units, &n.hamlets)?;
    crate::import::import(
        store,
        crate::import::Kind::Units { valid_from: None },
        &crate::import::Source::Bytes("hamlets.csv".into(), units.into()),
        &quiet,
    )
    .await?;
    let counts: Vec<vx_store::bench::CaseCount> = n
        .daily
        .iter()
        .map(|c| vx_store::bench::CaseCount {
            unit_code: n.hamlets[c.hamlet as usize].code.clone(),
            day: national_from() + Days::new(u64::from(c.day)),
            community: u32::from(c.community),
            in_quarantine: u32::from(c.in_quarantine),
        })
        .collect();
    let facts: Vec<(String, i64, f64, f64)> = n
        .hamlets
        .iter()
        .zip(&n.facts)
        .map(|(h, f)| {
            (
                h.code.clone(),
                i64::from(f.population),
                f.first_dose_18plus_pct,
                f.fully_vaccinated_65plus_pct,
            )
        })
        .collect();
    store.bench_load_national(&counts, &facts).await?;
    Ok(())
}
