//! Indicators per unit and day for a whole subtree and date range, from a few grouped
//! queries (never one query per unit or day). Each unit's figures cover its subtree: data
//! kept per leaf unit are summed up the tree in memory, children before parents.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Days, NaiveDate};
use vx_domain::{Unit, UnitLevel};
use vx_rules::{Indicators, ResponseCapacity, ScreeningRound, UnitIx, MAX_SCREENING_ROUNDS};

use crate::{path_end, with_pool, Result, Store};

/// Days of history before the first day needed for the 14-day windows.
const LOOKBACK: u64 = 13;

/// A subtree ready to classify: units in path order (parents before children), the engine's
/// tree links (hamlets are assessed on their own criteria and are not rolled up into their
/// commune), borders among the units, and per day the indicators of every unit.
#[derive(Debug, Clone)]
pub struct ZoneBatch {
    pub units: Vec<Unit>,
    /// Parent index within the batch for the roll-up (none for the root and for hamlets).
    pub parents: Vec<Option<UnitIx>>,
    /// Borders between units of the batch.
    pub edges: Vec<(UnitIx, UnitIx)>,
    pub from: NaiveDate,
    /// `days[k][i]`: unit `i` on day `from + k`.
    pub days: Vec<Vec<Indicators>>,
}

fn day_ix(first: NaiveDate, d: NaiveDate) -> i64 {
    (d - first).num_days()
}

fn age_on(birth_date: Option<NaiveDate>, birth_year: i64, day: NaiveDate) -> i64 {
    match birth_date {
        Some(b) => {
            let mut a = i64::from(day.year() - b.year());
            if (day.month(), day.day()) < (b.month(), b.day()) {
                a -= 1;
            }
            a
        }
        None => i64::from(day.year()) - birth_year,
    }
}

/// Vaccination counts per unit and day: `[n18, dosed18, n50, full50, n65, full65, full]`.
const VAX: usize = 7;

/// The ages the vaccination indicators look at: 18 (first dose), 50 and 65 (fully
/// vaccinated).
const AGES: [i64; 3] = [18, 50, 65];

/// The last birth date of someone `age` years old (or more) on `day`.
fn last_birth_at_age(day: NaiveDate, age: i64) -> Option<NaiveDate> {
    let mut b = day.checked_sub_months(chrono::Months::new(u32::try_from(age * 12).ok()?))?;
    while age_on(Some(b), 0, day) < age {
        b = b.pred_opt()?;
    }
    while age_on(Some(b.succ_opt()?), 0, day) >= age {
        b = b.succ_opt()?;
    }
    Some(b)
}

/// Where an age stands in a window: reached before it starts ("always": birth dates up to
/// `always`, birth years up to `always_year`), reached inside it (up to `by_end`,
/// `by_end_year`), or not reached.
#[derive(Clone, Copy)]
struct AgeBand {
    always: NaiveDate,
    by_end: NaiveDate,
    always_year: i64,
    by_end_year: i64,
}

impl AgeBand {
    fn new(from: NaiveDate, to: NaiveDate, age: i64) -> Result<AgeBand> {
        let bad = || crate::StoreError::Invalid(format!("no birth date is {age} on {from}"));
        Ok(AgeBand {
            always: last_birth_at_age(from, age).ok_or_else(bad)?,
            by_end: last_birth_at_age(to, age).ok_or_else(bad)?,
            always_year: i64::from(from.year()) - age,
            by_end_year: i64::from(to.year()) - age,
        })
    }

    /// SQL: 1 for the people at this age all window long, else 0 (`$p` and `$q` hold
    /// `always` and `always_year`).
    fn always_sql(p: usize, q: usize) -> String {
        format!(
            "CASE WHEN (p.birth_date IS NOT NULL AND p.birth_date <= ${p}) \
             OR (p.birth_date IS NULL AND p.birth_year <= ${q}) THEN 1 ELSE 0 END"
        )
    }

    /// SQL: the people reaching this age inside the window (`$p`..: always, by_end,
    /// always_year, by_end_year).
    fn crossing_sql(p: usize) -> String {
        format!(
            "(p.birth_date > ${} AND p.birth_date <= ${}) \
             OR (p.birth_date IS NULL AND p.birth_year > ${} AND p.birth_year <= ${})",
            p,
            p + 1,
            p + 2,
            p + 3
        )
    }
}

impl Store {
    /// The vaccination counts of every unit (not summed up the tree) as difference arrays:
    /// `[n18, dosed18, n50, full50, n65, full65, full]` per unit and day (`full`: everyone
    /// fully vaccinated, whatever the age) (`ndays + 1` a unit, the
    /// last one for "not inside the window"). Each person counts from the first day they
    /// qualify. People at an age all window long are counted by dose day in two grouped,
    /// index-ordered scans (`people_unit_first_dose`, `people_unit_second_dose`: no join, no
    /// sort); only those whose birthday of 18, 50 or 65 falls inside the window are read one
    /// by one.
    async fn vaccination_counts(
        &self,
        (lo, hi): (&str, &str),
        ix: &HashMap<i64, usize>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(Vec<i64>, Vec<[i64; VAX]>)> {
        let n = ix.len();
        let ndays = usize::try_from(day_ix(from, to) + 1).unwrap_or(0);
        let bands = [
            AgeBand::new(from, to, AGES[0])?,
            AgeBand::new(from, to, AGES[1])?,
            AgeBand::new(from, to, AGES[2])?,
        ];
        let width = ndays + 1;
        let mut diff = vec![[0i64; VAX]; n * width];
        // The first day (index) a day is reached in the window; `ndays`: not inside it.
        let at = |d: Option<NaiveDate>| -> usize {
            match d {
                Some(d) if d <= to => usize::try_from(day_ix(from, d).max(0)).unwrap_or(0),
                _ => ndays,
            }
        };
        let units = "p.unit_id IN (SELECT id FROM units WHERE path >= $1 AND path < $2) \
                     AND p.active = TRUE";
        // Everyone, and 18 all window long, by first dose day.
        let first_sql = format!(
            "SELECT p.unit_id, p.first_dose_on, COUNT(*), CAST(SUM({}) AS BIGINT) FROM people p \
             WHERE {units} GROUP BY p.unit_id, p.first_dose_on",
            AgeBand::always_sql(3, 4)
        );
        // 50 and 65 all window long, and everyone, by second dose day.
        let second_sql = format!(
            "SELECT p.unit_id, p.second_dose_on, CAST(SUM({}) AS BIGINT), CAST(SUM({}) AS BIGINT), \
             COUNT(*) FROM people p WHERE {units} GROUP BY p.unit_id, p.second_dose_on",
            AgeBand::always_sql(3, 4),
            AgeBand::always_sql(5, 6)
        );
        // Birthdays inside the window, one by one, found by birth (`people_birth`; the
        // unary `+` keeps the planners off the unit index for this query).
        let crossing_sql = format!(
            "SELECT p.unit_id, p.birth_date, CAST(p.birth_year AS BIGINT), p.first_dose_on, \
             p.second_dose_on FROM people p \
             WHERE +p.unit_id IN (SELECT id FROM units WHERE path >= $1 AND path < $2) \
             AND p.active = TRUE AND ({} OR {} OR {})",
            AgeBand::crossing_sql(3),
            AgeBand::crossing_sql(7),
            AgeBand::crossing_sql(11)
        );
        type Crossing = (
            i64,
            Option<NaiveDate>,
            i64,
            Option<NaiveDate>,
            Option<NaiveDate>,
        );
        // Three scans at once (each on its own connection).
        let (firsts, seconds, rows) = futures::try_join!(
            async {
                let rows: Vec<(i64, Option<NaiveDate>, i64, i64)> = with_pool!(self, p => sqlx::query_as(&first_sql)
                    .bind(lo).bind(hi).bind(bands[0].always).bind(bands[0].always_year)
                    .fetch_all(p).await?);
                Ok::<_, crate::StoreError>(rows)
            },
            async {
                let rows: Vec<(i64, Option<NaiveDate>, i64, i64, i64)> = with_pool!(self, p => sqlx::query_as(&second_sql)
                    .bind(lo).bind(hi).bind(bands[1].always).bind(bands[1].always_year)
                    .bind(bands[2].always).bind(bands[2].always_year)
                    .fetch_all(p).await?);
                Ok::<_, crate::StoreError>(rows)
            },
            async {
                let rows: Vec<Crossing> = with_pool!(self, p => {
                    let mut q = sqlx::query_as(&crossing_sql).bind(lo).bind(hi);
                    for b in &bands {
                        q = q.bind(b.always).bind(b.by_end).bind(b.always_year).bind(b.by_end_year);
                    }
                    q.fetch_all(p).await?
                });
                Ok::<_, crate::StoreError>(rows)
            },
        )?;
        let mut counted = vec![0i64; n];
        for (uid, first, all, c) in firsts {
            let Some(&i) = ix.get(&uid) else { continue };
            counted[i] += all;
            diff[i * width][0] += c;
            diff[i * width + at(first)][1] += c;
        }
        for (uid, second, c50, c65, all) in seconds {
            let Some(&i) = ix.get(&uid) else { continue };
            let k = at(second);
            diff[i * width][2] += c50;
            diff[i * width + k][3] += c50;
            diff[i * width][4] += c65;
            diff[i * width + k][5] += c65;
            diff[i * width + k][6] += all;
        }
        for (uid, bd, by, first, second) in rows {
            let Some(&i) = ix.get(&uid) else { continue };
            // The first day of an age inside the window (ages only grow: a search).
            let reach = |age: i64| -> usize {
                let (mut lo, mut hi) = (0usize, ndays);
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    if age_on(bd, by, from + Days::new(mid as u64)) >= age {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                lo
            };
            let row = &mut diff[i * width..(i + 1) * width];
            for (t, (age, band)) in AGES.iter().zip(&bands).enumerate() {
                let crossing = match bd {
                    Some(b) => b > band.always && b <= band.by_end,
                    None => by > band.always_year && by <= band.by_end_year,
                };
                if !crossing {
                    continue;
                }
                let k = reach(*age);
                let dose = if t == 0 { at(first) } else { at(second) };
                row[k][2 * t] += 1;
                row[k.max(dose)][2 * t + 1] += 1;
            }
        }
        Ok((counted, diff))
    }
}

impl Store {
    /// Indicators of every current unit of `root`'s subtree for every day `from..=to`.
    pub async fn zone_batch(
        &self,
        root: &Unit,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<ZoneBatch> {
        let units = self.subtree(root).await?;
        let n = units.len();
        let ndays = usize::try_from(day_ix(from, to) + 1).unwrap_or(0);
        let first = from.checked_sub_days(Days::new(LOOKBACK)).unwrap_or(from);
        let width = ndays + LOOKBACK as usize;
        let (lo, hi) = (root.path.clone(), path_end(&root.path));
        let ix: HashMap<i64, usize> = units.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
        let by_code: HashMap<&str, usize> = units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.code.as_str(), i))
            .collect();
        // Structural parent (for sums) and roll-up parent (engine tree).
        let sum_parent: Vec<Option<usize>> = units
            .iter()
            .map(|u| {
                u.parent_code
                    .as_ref()
                    .and_then(|c| by_code.get(c.as_str()).copied())
                    .filter(|_| u.id != root.id)
            })
            .collect();
        let parents: Vec<Option<UnitIx>> = units
            .iter()
            .zip(&sum_parent)
            .map(|(u, p)| {
                if u.level == UnitLevel::Hamlet {
                    None
                } else {
                    p.map(|p| p as UnitIx)
                }
            })
            .collect();

        // Community cases per unit and day, every case (Decision 218), and unknown-source ones.
        let mut cases = vec![0u32; n * width];
        let mut all_cases = vec![0u32; n * width];
        let mut unknown = vec![0u32; n * width];
        let rows: Vec<(i64, NaiveDate, i64, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT d.unit_id, d.day, CAST(d.community AS BIGINT), \
             CAST(d.community + d.in_quarantine + d.imported AS BIGINT) FROM case_day_counts d JOIN units u ON u.id = d.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND d.day >= $3 AND d.day <= $4 \
             AND (d.community > 0 OR d.in_quarantine > 0 OR d.imported > 0)",
        ).bind(&lo).bind(&hi).bind(first).bind(to).fetch_all(p).await?);
        for (uid, d, c, all) in rows {
            if let Some(&i) = ix.get(&uid) {
                let k = day_ix(first, d) as usize;
                cases[i * width + k] += u32::try_from(c).unwrap_or(0);
                all_cases[i * width + k] += u32::try_from(all).unwrap_or(0);
            }
        }
        // Decision 218: new cases needing oxygen (severe or critical, by day of confirmation)
        // and deaths (by day of death).
        let mut oxygen = vec![0u32; n * width];
        let mut deaths = vec![0u32; n * width];
        let (oxy_rows, death_rows) = futures::try_join!(
            async {
                let rows: Vec<(i64, NaiveDate, i64)> = with_pool!(self, p => sqlx::query_as(
                    "SELECT c.unit_id, c.confirmed_on, COUNT(*) FROM cases c JOIN units u ON u.id = c.unit_id \
                     WHERE u.path >= $1 AND u.path < $2 AND c.confirmed_on >= $3 AND c.confirmed_on <= $4 \
                     AND c.severity IN ('severe', 'critical') GROUP BY c.unit_id, c.confirmed_on",
                ).bind(&lo).bind(&hi).bind(first).bind(to).fetch_all(p).await?);
                Ok::<_, crate::StoreError>(rows)
            },
            async {
                let rows: Vec<(i64, NaiveDate, i64)> = with_pool!(self, p => sqlx::query_as(
                    "SELECT c.unit_id, c.outcome_on, COUNT(*) FROM cases c JOIN units u ON u.id = c.unit_id \
                     WHERE u.path >= $1 AND u.path < $2 AND c.outcome = 'died' \
                     AND c.outcome_on >= $3 AND c.outcome_on <= $4 GROUP BY c.unit_id, c.outcome_on",
                ).bind(&lo).bind(&hi).bind(first).bind(to).fetch_all(p).await?);
                Ok::<_, crate::StoreError>(rows)
            },
        )?;
        for (target, rows) in [(&mut oxygen, oxy_rows), (&mut deaths, death_rows)] {
            for (uid, d, c) in rows {
                if let Some(&i) = ix.get(&uid) {
                    target[i * width + day_ix(first, d) as usize] += u32::try_from(c).unwrap_or(0);
                }
            }
        }
        let rows: Vec<(i64, NaiveDate, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT c.unit_id, c.confirmed_on, COUNT(*) FROM cases c JOIN units u ON u.id = c.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND c.confirmed_on >= $3 AND c.confirmed_on <= $4 \
             AND c.source = 'community' AND c.source_contact_id IS NULL GROUP BY c.unit_id, c.confirmed_on",
        ).bind(&lo).bind(&hi).bind(first).bind(to).fetch_all(p).await?);
        for (uid, d, c) in rows {
            if let Some(&i) = ix.get(&uid) {
                let k = day_ix(first, d) as usize;
                unknown[i * width + k] += u32::try_from(c).unwrap_or(0);
            }
        }
        // Last community case before the window.
        let mut last_before: Vec<Option<NaiveDate>> = vec![None; n];
        let rows: Vec<(i64, NaiveDate)> = with_pool!(self, p => sqlx::query_as(
            "SELECT d.unit_id, MAX(d.day) FROM case_day_counts d JOIN units u ON u.id = d.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND d.day < $3 AND d.community > 0 GROUP BY d.unit_id",
        ).bind(&lo).bind(&hi).bind(first).fetch_all(p).await?);
        for (uid, d) in rows {
            if let Some(&i) = ix.get(&uid) {
                last_before[i] = Some(d);
            }
        }
        // F1 in home quarantine, open per day (difference array).
        let mut f1 = vec![0i64; n * (width + 1)];
        let rows: Vec<(i64, NaiveDate, NaiveDate, Option<NaiveDate>)> = with_pool!(self, p => sqlx::query_as(
            "SELECT c.unit_id, c.start_date, c.end_date, c.closed_on FROM contacts c JOIN units u ON u.id = c.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND c.level = 'f1' AND c.place = 'home' \
             AND c.start_date <= $4 AND c.end_date >= $3",
        ).bind(&lo).bind(&hi).bind(from).bind(to).fetch_all(p).await?);
        for (uid, start, end, closed) in rows {
            let Some(&i) = ix.get(&uid) else { continue };
            // open on d: start <= d <= end and (closed is none or d < closed)
            let last = match closed {
                Some(c) => end.min(c.pred_opt().unwrap_or(c)),
                None => end,
            };
            let a = day_ix(first, start).max(0);
            let b = day_ix(first, last).min(width as i64 - 1);
            if a <= b {
                f1[i * (width + 1) + a as usize] += 1;
                f1[i * (width + 1) + b as usize + 1] -= 1;
            }
        }
        // Screening rounds: per unit, (end date, round) → (targeted, sampled, positives).
        type RoundKey = (NaiveDate, i64);
        let mut rounds: Vec<BTreeMap<RoundKey, (i64, i64, i64)>> = vec![BTreeMap::new(); n];
        let rows: Vec<(i64, i64, NaiveDate, i64, i64, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT s.unit_id, s.round_id, r.end_date, CAST(s.targeted AS BIGINT), \
             CAST(s.sampled_people AS BIGINT), CAST(s.positives AS BIGINT) \
             FROM round_unit_stats s JOIN rounds r ON r.id = s.round_id JOIN units u ON u.id = s.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND r.end_date <= $3",
        ).bind(&lo).bind(&hi).bind(to).fetch_all(p).await?);
        for (uid, rid, end, t, s, pos) in rows {
            if let Some(&i) = ix.get(&uid) {
                let e = rounds[i].entry((end, rid)).or_default();
                e.0 += t;
                e.1 += s;
                e.2 += pos;
            }
        }
        // Capacity flags, carried forward.
        let mut capacity: Vec<Vec<(NaiveDate, bool)>> = vec![Vec::new(); n];
        let rows: Vec<(i64, NaiveDate, bool)> = with_pool!(self, p => sqlx::query_as(
            "SELECT f.unit_id, f.day, f.met FROM capacity_flags f JOIN units u ON u.id = f.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND f.day <= $3 ORDER BY f.day",
        ).bind(&lo).bind(&hi).bind(to).fetch_all(p).await?);
        for (uid, d, met) in rows {
            if let Some(&i) = ix.get(&uid) {
                capacity[i].push((d, met));
            }
        }
        // Counted population and vaccination, from the same scans of the people.
        let any_vax: Option<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT p.id FROM people p WHERE p.first_dose_on IS NOT NULL \
             AND p.unit_id IN (SELECT id FROM units WHERE path >= $1 AND path < $2) LIMIT 1",
        ).bind(&lo).bind(&hi).fetch_optional(p).await?);
        let (mut counted, diff) = self.vaccination_counts((&lo, &hi), &ix, from, to).await?;
        let mut vax = vec![[0u32; VAX]; if any_vax.is_some() { n * ndays } else { 0 }];
        if any_vax.is_some() {
            for i in 0..n {
                let mut run = [0i64; VAX];
                for k in 0..ndays {
                    let d = diff[i * (ndays + 1) + k];
                    for (r, x) in run.iter_mut().zip(d) {
                        *r += x;
                    }
                    let cell = &mut vax[i * ndays + k];
                    for (t, r) in cell.iter_mut().zip(run) {
                        *t = u32::try_from(r).unwrap_or(0);
                    }
                }
            }
        }

        // Sum up the tree: units are in path order, so children come after their parents.
        for i in (0..n).rev() {
            let Some(p) = sum_parent[i] else { continue };
            counted[p] += counted[i];
            last_before[p] = last_before[p].max(last_before[i]);
            for k in 0..width {
                cases[p * width + k] += cases[i * width + k];
                all_cases[p * width + k] += all_cases[i * width + k];
                oxygen[p * width + k] += oxygen[i * width + k];
                deaths[p * width + k] += deaths[i * width + k];
                unknown[p * width + k] += unknown[i * width + k];
            }
            for k in 0..=width {
                f1[p * (width + 1) + k] += f1[i * (width + 1) + k];
            }
            for k in 0..ndays.min(vax.len() / n.max(1)) {
                let c = vax[i * ndays + k];
                for (t, v) in vax[p * ndays + k].iter_mut().zip(c) {
                    *t += v;
                }
            }
            let child = std::mem::take(&mut rounds[i]);
            for (key, v) in &child {
                let e = rounds[p].entry(*key).or_default();
                e.0 += v.0;
                e.1 += v.1;
                e.2 += v.2;
            }
            rounds[i] = child;
        }

        let mut days = vec![vec![Indicators::default(); n]; ndays];
        let pct = |a: u32, b: u32| (b > 0).then(|| f64::from(a) * 100.0 / f64::from(b));
        for i in 0..n {
            let pop = units[i]
                .population
                .filter(|&p| p > 0)
                .or((counted[i] > 0).then_some(counted[i]))
                .and_then(|p| u32::try_from(p).ok());
            let row = &cases[i * width..(i + 1) * width];
            let urow = &unknown[i * width..(i + 1) * width];
            let all_row = &all_cases[i * width..(i + 1) * width];
            let oxy_row = &oxygen[i * width..(i + 1) * width];
            let death_row = &deaths[i * width..(i + 1) * width];
            let counted_i = u32::try_from(counted[i]).unwrap_or(u32::MAX);
            // running open F1 count
            let mut open_f1 = 0i64;
            let f1row = &f1[i * (width + 1)..(i + 1) * (width + 1)];
            let mut last_case = last_before[i];
            let mut cap_ix = 0usize;
            let mut cap: Option<bool> = None;
            for (k, &c) in row.iter().enumerate() {
                open_f1 += f1row[k];
                let day = first + Days::new(k as u64);
                if c > 0 {
                    last_case = Some(day);
                }
                if k < LOOKBACK as usize {
                    continue;
                }
                let dk = k - LOOKBACK as usize;
                let sum = |r: &[u32], w: usize| r[k + 1 - w..=k].iter().sum::<u32>();
                while cap_ix < capacity[i].len() && capacity[i][cap_ix].0 <= day {
                    cap = Some(capacity[i][cap_ix].1);
                    cap_ix += 1;
                }
                let mut recent: Vec<ScreeningRound> = Vec::with_capacity(MAX_SCREENING_ROUNDS);
                for ((end, _), (t, s, p)) in rounds[i].iter().rev() {
                    if *end > day {
                        continue;
                    }
                    recent.push(ScreeningRound {
                        coverage_pct: if *t > 0 {
                            *s as f64 * 100.0 / *t as f64
                        } else {
                            0.0
                        },
                        positives: u32::try_from(*p).unwrap_or(0),
                    });
                    if recent.len() == MAX_SCREENING_ROUNDS {
                        break;
                    }
                }
                let v = vax.get(i * ndays + dk).copied();
                days[dk][i] = Indicators {
                    population: pop,
                    community_cases_7d: Some(sum(row, 7)),
                    community_cases_14d: Some(sum(row, 14)),
                    unknown_source_cases_14d: Some(sum(urow, 14)),
                    days_since_last_community_case: last_case
                        .map(|d| u32::try_from((day - d).num_days()).unwrap_or(0)),
                    f1_in_community: Some(u32::try_from(open_f1.max(0)).unwrap_or(0)),
                    first_dose_18plus_pct: v.and_then(|v| pct(v[1], v[0])),
                    fully_vaccinated_50plus_pct: v.and_then(|v| pct(v[3], v[2])),
                    fully_vaccinated_65plus_pct: v.and_then(|v| pct(v[5], v[4])),
                    capacity_met: cap,
                    all_cases_7d: Some(sum(all_row, 7)),
                    oxygen_cases_7d: Some(sum(oxy_row, 7)),
                    deaths_7d: Some(sum(death_row, 7)),
                    fully_vaccinated_pct: v.and_then(|v| pct(v[6], counted_i)),
                    // Decision 218's response capacity, read from the capacity flags the
                    // district keeps (4800's criterion 3): met is high, not met is low.
                    response_capacity: cap.map(|met| {
                        if met {
                            ResponseCapacity::High
                        } else {
                            ResponseCapacity::Low
                        }
                    }),
                    ..Indicators::default()
                }
                .with_rounds(&recent);
            }
        }

        // Borders among the batch's units.
        let rows: Vec<(String, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT code_a, code_b FROM unit_adjacency",
        ).fetch_all(p).await?);
        let edges = rows
            .iter()
            .filter_map(|(a, b)| {
                Some((
                    *by_code.get(a.as_str())? as UnitIx,
                    *by_code.get(b.as_str())? as UnitIx,
                ))
            })
            .collect();
        Ok(ZoneBatch {
            units,
            parents,
            edges,
            from,
            days,
        })
    }
}
