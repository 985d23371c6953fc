//! National scale without 98 million people: per-hamlet daily counts of cases and per-hamlet
//! facts (population, vaccination, capacity), which is what classification needs.
//!
//! Each district has its own epidemic wave (a bell curve of cases per 100,000 per week with a
//! seeded peak day, height and width; most districts stay low, a few peak above 150); each
//! hamlet draws its daily community and in-quarantine cases from it (Poisson). Only days with
//! a case are written, so 80,000 hamlets × 90 days stay a few hundred thousand rows.
//!
//! Unlike the registry, the waves use floating point (`exp`): the output is the same for the
//! same seed on one platform, and may differ in rare draws across math libraries.

use std::io::Write;

use chrono::{Days, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{csv_err, UnitRow};

const DOM_WAVE: u64 = 0x7761_7665_0000_0001;
const DOM_FACTS: u64 = 0x6661_6374_0000_0001;

/// One hamlet's cases on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyCount {
    /// Index of the hamlet in the slice given to [`daily_counts`].
    pub hamlet: u32,
    /// Days after `from`.
    pub day: u16,
    pub community: u16,
    pub in_quarantine: u16,
}

/// What staff know of one hamlet: its people, vaccination and treatment capacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HamletFacts {
    pub population: u32,
    pub first_dose_18plus_pct: f64,
    pub fully_vaccinated_65plus_pct: f64,
    pub capacity_met: bool,
}

fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u16 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        // Normal approximation for big means.
        let u: f64 = rng.gen_range(-1.0..1.0) + rng.gen_range(-1.0..1.0) + rng.gen_range(-1.0..1.0);
        return (lambda + u * lambda.sqrt())
            .round()
            .clamp(0.0, f64::from(u16::MAX)) as u16;
    }
    let limit = (-lambda).exp();
    let mut k = 0u16;
    let mut p = 1.0;
    loop {
        p *= rng.gen::<f64>();
        if p <= limit {
            return k;
        }
        k += 1;
    }
}

/// The district of a hamlet: the district code is not in the hamlet code, so callers pass a
/// key per hamlet (e.g. its district code); hamlets with the same key share a wave.
fn wave(seed: u64, key: &str) -> (f64, f64, f64) {
    let h = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ DOM_WAVE ^ h);
    // Heights: most districts small, one in five above 150 per 100,000 per week.
    let height = match rng.gen_range(0..10) {
        0..=4 => rng.gen_range(0.0..20.0),
        5..=7 => rng.gen_range(20.0..150.0),
        _ => rng.gen_range(150.0..600.0),
    };
    (height, rng.gen_range(0.0..90.0), rng.gen_range(8.0..30.0))
}

/// Daily counts of `hamlets` over `days` days; `district_of[i]` keys hamlet `i`'s wave.
pub fn daily_counts(
    hamlets: &[UnitRow],
    district_of: &[&str],
    seed: u64,
    days: u16,
) -> Vec<DailyCount> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ DOM_WAVE);
    let mut out = Vec::new();
    for (i, h) in hamlets.iter().enumerate() {
        let (height, peak, width) = wave(seed, district_of[i]);
        let pop = f64::from(h.population);
        for d in 0..days {
            let x = (f64::from(d) - peak) / width;
            let per_100k_week = height * (-x * x).exp();
            let lambda = per_100k_week * pop / 100_000.0 / 7.0;
            let community = poisson(&mut rng, lambda);
            let in_quarantine = poisson(&mut rng, lambda * 0.6);
            if community + in_quarantine > 0 {
                out.push(DailyCount {
                    hamlet: i as u32,
                    day: d,
                    community,
                    in_quarantine,
                });
            }
        }
    }
    out
}

/// Facts of every hamlet, same order.
pub fn hamlet_facts(hamlets: &[UnitRow], seed: u64) -> Vec<HamletFacts> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ DOM_FACTS);
    hamlets
        .iter()
        .map(|h| HamletFacts {
            population: h.population,
            first_dose_18plus_pct: f64::from(rng.gen_range(400u32..980)) / 10.0,
            fully_vaccinated_65plus_pct: 100.0 - f64::from(rng.gen_range(200u32..950)) / 10.0,
            capacity_met: rng.gen_bool(0.9),
        })
        .collect()
}

/// Writes `daily_counts.csv` (`unit_code,day,community_cases,in_quarantine_cases`; only
/// days with a case).
pub fn write_daily_counts_csv<W: Write>(
    w: W,
    hamlets: &[UnitRow],
    counts: &[DailyCount],
    from: NaiveDate,
) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["unit_code", "day", "community_cases", "in_quarantine_cases"])
        .map_err(csv_err)?;
    for c in counts {
        let day = from + Days::new(u64::from(c.day));
        out.write_record([
            hamlets[c.hamlet as usize].code.as_str(),
            &day.to_string(),
            &c.community.to_string(),
            &c.in_quarantine.to_string(),
        ])
        .map_err(csv_err)?;
    }
    out.flush()
}

/// Writes `unit_facts.csv` (`unit_code,population,first_dose_18plus_pct,
/// fully_vaccinated_65plus_pct,capacity_met`).
pub fn write_facts_csv<W: Write>(
    w: W,
    hamlets: &[UnitRow],
    facts: &[HamletFacts],
) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "unit_code",
        "population",
        "first_dose_18plus_pct",
        "fully_vaccinated_65plus_pct",
        "capacity_met",
    ])
    .map_err(csv_err)?;
    for (h, f) in hamlets.iter().zip(facts) {
        out.write_record([
            h.code.as_str(),
            &f.population.to_string(),
            &format!("{:.1}", f.first_dose_18plus_pct),
            &format!("{:.1}", f.fully_vaccinated_65plus_pct),
            if f.capacity_met { "true" } else { "false" },
        ])
        .map_err(csv_err)?;
    }
    out.flush()
}
