//! Indicators per unit and day for a whole subtree and date range, from a few grouped
//! queries (never one query per unit or day). Each unit's figures cover its subtree: data
//! kept per leaf unit are summed up the tree in memory, children before parents.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Days, NaiveDate};
use vx_domain::{Level as UnitLevel, Unit};
use vx_rules::{Indicators, ScreeningRound, UnitIx, MAX_SCREENING_ROUNDS};

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

        // Community cases per unit and day, and unknown-source ones.
        let mut cases = vec![0u32; n * width];
        let mut unknown = vec![0u32; n * width];
        let rows: Vec<(i64, NaiveDate, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT d.unit_id, d.day, CAST(d.community AS BIGINT) FROM case_day_counts d JOIN units u ON u.id = d.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND d.day >= $3 AND d.day <= $4 AND d.community > 0",
        ).bind(&lo).bind(&hi).bind(first).bind(to).fetch_all(p).await?);
        for (uid, d, c) in rows {
            if let Some(&i) = ix.get(&uid) {
                let k = day_ix(first, d) as usize;
                cases[i * width + k] += u32::try_from(c).unwrap_or(0);
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
        // Counted population.
        let mut counted = vec![0i64; n];
        let rows: Vec<(i64, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT p.unit_id, COUNT(*) FROM people p JOIN units u ON u.id = p.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND p.active GROUP BY p.unit_id",
        ).bind(&lo).bind(&hi).fetch_all(p).await?);
        for (uid, c) in rows {
            if let Some(&i) = ix.get(&uid) {
                counted[i] += c;
            }
        }
        // Vaccination: people grouped by unit, birth, first dose day, second dose day.
        let any_vax: Option<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT v.person_id FROM vaccinations v JOIN people p ON p.id = v.person_id \
             JOIN units u ON u.id = p.unit_id WHERE u.path >= $1 AND u.path < $2 LIMIT 1",
        ).bind(&lo).bind(&hi).fetch_optional(p).await?);
        // Per unit and day: [n18, dosed18, n50, full50, n65, full65]
        let mut vax = vec![[0u32; 6]; if any_vax.is_some() { n * ndays } else { 0 }];
        if any_vax.is_some() {
            type VaxRow = (
                i64,
                Option<NaiveDate>,
                i64,
                Option<NaiveDate>,
                Option<NaiveDate>,
                i64,
            );
            let rows: Vec<VaxRow> = with_pool!(self, p => sqlx::query_as(
                "SELECT p.unit_id, p.birth_date, CAST(p.birth_year AS BIGINT), v1.day, v2.day, COUNT(*) \
                 FROM people p JOIN units u ON u.id = p.unit_id \
                 LEFT JOIN vaccinations v1 ON v1.person_id = p.id AND v1.dose = 1 \
                 LEFT JOIN vaccinations v2 ON v2.person_id = p.id AND v2.dose = 2 \
                 WHERE u.path >= $1 AND u.path < $2 AND p.active \
                 GROUP BY p.unit_id, p.birth_date, p.birth_year, v1.day, v2.day",
            ).bind(&lo).bind(&hi).fetch_all(p).await?);
            // Each group counts from the first day it qualifies to the end of the window:
            // difference arrays per unit, then prefix sums (O(groups + units × days), not
            // O(groups × days)). Ages only grow, so the first day of an age is a search.
            let mut diff = vec![[0i64; 6]; n * (ndays + 1)];
            let first_day = |pred: &dyn Fn(NaiveDate) -> bool| -> usize {
                let (mut lo, mut hi) = (0usize, ndays);
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    if pred(from + Days::new(mid as u64)) {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                lo
            };
            for (uid, bd, by, d1, d2, c) in rows {
                let Some(&i) = ix.get(&uid) else { continue };
                let c = i64::from(u32::try_from(c).unwrap_or(0));
                let k18 = first_day(&|d| age_on(bd, by, d) >= 18);
                let k50 = first_day(&|d| age_on(bd, by, d) >= 50);
                let k65 = first_day(&|d| age_on(bd, by, d) >= 65);
                let dosed =
                    first_day(&|d| d1.is_some_and(|x| x <= d) || d2.is_some_and(|x| x <= d));
                let full = first_day(&|d| d2.is_some_and(|x| x <= d));
                let row = &mut diff[i * (ndays + 1)..(i + 1) * (ndays + 1)];
                for (slot, k) in [
                    (0, k18),
                    (1, k18.max(dosed)),
                    (2, k50),
                    (3, k50.max(full)),
                    (4, k65),
                    (5, k65.max(full)),
                ] {
                    row[k][slot] += c;
                }
            }
            for i in 0..n {
                let mut run = [0i64; 6];
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
                    not_fully_vaccinated_50plus_pct: v
                        .and_then(|v| pct(v[2].saturating_sub(v[3]), v[2])),
                    not_fully_vaccinated_65plus_pct: v
                        .and_then(|v| pct(v[4].saturating_sub(v[5]), v[4])),
                    capacity_met: cap,
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
