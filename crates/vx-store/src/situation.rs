//! The situation room (issue 5): figures of a unit and its children for one day, from a
//! handful of grouped queries over the subtree's path range (never one query per child),
//! rolled up to the children in memory; the epidemic curve and the screening rounds; the
//! levels of a unit's children across days; announcements; unit boundaries for the map.

use std::collections::HashMap;

use chrono::{Days, NaiveDate, Utc};
use serde::Serialize;
use vx_domain::Unit;

use crate::zones::{status_from, LevelRow, LEVEL_COLUMNS};
use crate::{
    audit_log, path_end, with_pool, Actor, Result, RowProblem, Store, StoreError, ZoneStatus,
};

/// The figures of one unit (its whole subtree) on one day.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Official population, else the people of the registry.
    pub population: Option<i64>,
    /// Community cases in the last 7 and 14 days (the day included).
    pub community_7d: i64,
    pub community_14d: i64,
    /// New cases on the day, by source.
    pub new_community: i64,
    pub new_in_quarantine: i64,
    pub new_imported: i64,
    /// All cases up to the day, by source.
    pub total_community: i64,
    pub total_in_quarantine: i64,
    pub total_imported: i64,
    /// All new cases in the last 7 days, every source.
    pub all_7d: i64,
    /// The day of the last community case on or before the day.
    pub last_community: Option<NaiveDate>,
    /// Cases in isolation on the day.
    pub isolating: i64,
    /// F1 contacts in quarantine on the day, at home and in a facility; F2 contacts.
    pub f1_home: i64,
    pub f1_facility: i64,
    pub f2: i64,
    /// Samples taken on the day and how many of them were positive.
    pub samples_day: i64,
    pub positives_day: i64,
    /// The last screening round ended on or before the day, in this unit.
    pub round: Option<RoundFigures>,
}

impl Figures {
    /// Community cases in 7 days per 100,000 people.
    pub fn per_100k_7d(&self) -> Option<f64> {
        self.population
            .filter(|p| *p > 0)
            .map(|p| self.community_7d as f64 * 100_000.0 / p as f64)
    }
    /// Days since the last community case (0: a case that day).
    pub fn days_since_community(&self, day: NaiveDate) -> Option<i64> {
        self.last_community.map(|d| (day - d).num_days())
    }
}

/// A screening round's figures over a subtree.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RoundFigures {
    pub round_id: i64,
    pub campaign: String,
    pub number: i64,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// People (or households, for one-per-household campaigns) targeted and sampled.
    pub targeted: i64,
    pub sampled: i64,
    pub samples: i64,
    pub resulted: i64,
    pub positives: i64,
}

impl RoundFigures {
    /// Sampled / targeted, percent.
    pub fn coverage_pct(&self) -> Option<f64> {
        (self.targeted > 0).then(|| self.sampled as f64 * 100.0 / self.targeted as f64)
    }
    /// Positive samples / samples with a result, percent.
    pub fn positivity_pct(&self) -> Option<f64> {
        (self.resulted > 0).then(|| self.positives as f64 * 100.0 / self.resulted as f64)
    }
}

/// Cases of one day over a subtree, by source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CurveDay {
    pub day: NaiveDate,
    pub community: i64,
    pub in_quarantine: i64,
    pub imported: i64,
}

/// Counts of the work lists of one unit on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WorkCounts {
    /// Quarantine tests due on the day, not yet sampled.
    pub tests_due: i64,
    /// Quarantines ending on the day.
    pub quarantines_ending: i64,
    /// Tests and quarantine ends past their day.
    pub overdue: i64,
    /// Open individual retests of positive pools.
    pub retests: i64,
}

/// An announcement to the public.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Announcement {
    pub id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub title: String,
    pub body: String,
    pub published_on: NaiveDate,
    pub author: String,
}

/// One unit's boundary: polygons of rings of (x, y) = (longitude, latitude) points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Boundary {
    pub unit_code: String,
    pub polygons: Vec<Vec<Vec<(f64, f64)>>>,
    /// Drawn for a demonstration, not a surveyed boundary.
    pub schematic: bool,
}

impl Boundary {
    /// (min x, min y, max x, max y) of every point, or `None` without points.
    pub fn bbox(&self) -> Option<(f64, f64, f64, f64)> {
        let mut it = self.polygons.iter().flatten().flatten();
        let &(x0, y0) = it.next()?;
        Some(it.fold((x0, y0, x0, y0), |(a, b, c, d), &(x, y)| {
            (a.min(x), b.min(y), c.max(x), d.max(y))
        }))
    }
}

/// What a boundaries import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BoundariesSummary {
    pub created: u64,
    pub updated: u64,
}

/// Which of `units` a row of `path` counts for: every unit whose path is a prefix of it.
struct Rollup<'a> {
    units: &'a [Unit],
    /// The common root: every row lies below it.
    root_path: &'a str,
    /// Units by their path, for the one lookup per row and level.
    by_path: HashMap<&'a str, usize>,
}

impl<'a> Rollup<'a> {
    fn new(root: &'a Unit, units: &'a [Unit]) -> Rollup<'a> {
        Rollup {
            units,
            root_path: &root.path,
            by_path: units
                .iter()
                .enumerate()
                .map(|(i, u)| (u.path.as_str(), i))
                .collect(),
        }
    }
    /// Indices of the units containing `path` (walks the path's prefixes from the root).
    fn targets(&self, path: &str, out: &mut Vec<usize>) {
        out.clear();
        if !path.starts_with(self.root_path) {
            return;
        }
        let mut end = self.root_path.len();
        if let Some(&i) = self.by_path.get(&path[..end]) {
            out.push(i);
        }
        while let Some(next) = path[end..].find('/') {
            end += next + 1;
            if let Some(&i) = self.by_path.get(&path[..end]) {
                out.push(i);
            }
        }
        let _ = self.units;
    }
}

fn days_before(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(n)).unwrap_or(d)
}

/// Path, then totals by source, community 7 d and 14 d, all 7 d, the day by source, rows.
type CaseRow = (String, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

type RoundRow = (
    String,
    i64,
    String,
    String,
    i64,
    NaiveDate,
    NaiveDate,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
);

impl Store {
    /// Figures of each of `units` on `day`, all of them inside `root`'s subtree (typically
    /// the root and its children): seven grouped queries over the subtree, whatever the
    /// number of units.
    pub async fn figures(
        &self,
        root: &Unit,
        units: &[Unit],
        day: NaiveDate,
    ) -> Result<Vec<Figures>> {
        let (from, to) = (root.path.as_str(), path_end(&root.path));
        let roll = Rollup::new(root, units);
        let mut out = vec![Figures::default(); units.len()];
        let mut hit = Vec::new();
        let d7 = days_before(day, 6);
        let d14 = days_before(day, 13);

        // Cases per unit: totals up to the day, the last 14 days, the day.
        let rows: Vec<CaseRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT u.path, \
             CAST(SUM(k.community) AS BIGINT), CAST(SUM(k.in_quarantine) AS BIGINT), CAST(SUM(k.imported) AS BIGINT), \
             CAST(SUM(CASE WHEN k.day >= $4 THEN k.community ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN k.day >= $5 THEN k.community ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN k.day >= $4 THEN k.community + k.in_quarantine + k.imported ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN k.day = $3 THEN k.community ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN k.day = $3 THEN k.in_quarantine ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN k.day = $3 THEN k.imported ELSE 0 END) AS BIGINT), \
             CAST(COUNT(*) AS BIGINT) \
             FROM case_day_counts k JOIN units u ON u.id = k.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND k.day <= $3 GROUP BY u.path",
        ).bind(from).bind(&to).bind(day).bind(d7).bind(d14).fetch_all(p).await?);
        for r in &rows {
            roll.targets(&r.0, &mut hit);
            for &i in &hit {
                let f = &mut out[i];
                f.total_community += r.1;
                f.total_in_quarantine += r.2;
                f.total_imported += r.3;
                f.community_7d += r.4;
                f.community_14d += r.5;
                f.all_7d += r.6;
                f.new_community += r.7;
                f.new_in_quarantine += r.8;
                f.new_imported += r.9;
            }
        }

        let rows: Vec<(String, NaiveDate)> = with_pool!(self, p => sqlx::query_as(
            "SELECT u.path, MAX(k.day) FROM case_day_counts k JOIN units u ON u.id = k.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND k.day <= $3 AND k.community > 0 GROUP BY u.path",
        ).bind(from).bind(&to).bind(day).fetch_all(p).await?);
        for (path, last) in &rows {
            roll.targets(path, &mut hit);
            for &i in &hit {
                let f = &mut out[i];
                f.last_community = f.last_community.max(Some(*last));
            }
        }

        let rows: Vec<(String, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT u.path, CAST(COUNT(*) AS BIGINT) FROM cases c JOIN units u ON u.id = c.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND c.isolation_start <= $3 \
             AND (c.released_on IS NULL OR c.released_on > $3) AND (c.outcome_on IS NULL OR c.outcome_on > $3) \
             GROUP BY u.path",
        ).bind(from).bind(&to).bind(day).fetch_all(p).await?);
        for (path, n) in &rows {
            roll.targets(path, &mut hit);
            for &i in &hit {
                out[i].isolating += n;
            }
        }

        let rows: Vec<(String, String, String, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT u.path, c.level, c.place, CAST(COUNT(*) AS BIGINT) FROM contacts c JOIN units u ON u.id = c.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND c.start_date <= $3 AND c.end_date >= $3 \
             AND (c.closed_on IS NULL OR c.closed_on > $3) GROUP BY u.path, c.level, c.place",
        ).bind(from).bind(&to).bind(day).fetch_all(p).await?);
        for (path, level, place, n) in &rows {
            roll.targets(path, &mut hit);
            for &i in &hit {
                let f = &mut out[i];
                match (level.as_str(), place.as_str()) {
                    ("f1", "facility") => f.f1_facility += n,
                    ("f1", _) => f.f1_home += n,
                    _ => f.f2 += n,
                }
            }
        }

        let rows: Vec<(String, i64, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT u.path, CAST(COUNT(*) AS BIGINT), \
             CAST(SUM(CASE WHEN s.result = 'positive' THEN 1 ELSE 0 END) AS BIGINT) \
             FROM samples s JOIN units u ON u.id = s.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND s.collected_day = $3 GROUP BY u.path",
        ).bind(from).bind(&to).bind(day).fetch_all(p).await?);
        for (path, n, pos) in &rows {
            roll.targets(path, &mut hit);
            for &i in &hit {
                out[i].samples_day += n;
                out[i].positives_day += pos;
            }
        }

        // The last round of each unit: rounds ended by the day, per unit holding people.
        let rows: Vec<RoundRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT u.path, r.id, c.name, c.target_kind, CAST(r.number AS BIGINT), r.start_date, r.end_date, \
             CAST(s.targeted AS BIGINT), CAST(s.sampled_people AS BIGINT), CAST(s.sampled_households AS BIGINT), \
             CAST(s.samples AS BIGINT), CAST(s.resulted AS BIGINT), CAST(s.positives AS BIGINT) \
             FROM round_unit_stats s JOIN rounds r ON r.id = s.round_id JOIN campaigns c ON c.id = r.campaign_id \
             JOIN units u ON u.id = s.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND r.start_date <= $3 ORDER BY r.end_date, r.id",
        ).bind(from).bind(&to).bind(day).fetch_all(p).await?);
        // per unit index: the latest round seen (rows come in round order)
        for r in &rows {
            roll.targets(&r.0, &mut hit);
            let households = r.3 == "one-per-household";
            for &i in &hit {
                let f = &mut out[i];
                let fresh = f.round.as_ref().is_none_or(|x| x.round_id != r.1);
                if fresh {
                    f.round = Some(RoundFigures {
                        round_id: r.1,
                        campaign: r.2.clone(),
                        number: r.4,
                        start: r.5,
                        end: r.6,
                        ..RoundFigures::default()
                    });
                }
                let x = f.round.as_mut().expect("set above");
                x.targeted += r.7;
                x.sampled += if households { r.9 } else { r.8 };
                x.samples += r.10;
                x.resulted += r.11;
                x.positives += r.12;
            }
        }

        // Population: official figures, else the active people of the registry.
        let missing: Vec<usize> = (0..units.len())
            .filter(|&i| units[i].population.is_none())
            .collect();
        for (i, u) in units.iter().enumerate() {
            out[i].population = u.population;
        }
        if !missing.is_empty() {
            let rows: Vec<(String, i64)> = with_pool!(self, p => sqlx::query_as(
                "SELECT u.path, CAST(COUNT(*) AS BIGINT) FROM people x JOIN units u ON u.id = x.unit_id \
                 WHERE u.path >= $1 AND u.path < $2 AND x.active GROUP BY u.path",
            ).bind(from).bind(&to).fetch_all(p).await?);
            let mut counted = vec![0i64; units.len()];
            for (path, n) in &rows {
                roll.targets(path, &mut hit);
                for &i in &hit {
                    counted[i] += n;
                }
            }
            for i in missing {
                out[i].population = (counted[i] > 0).then_some(counted[i]);
            }
        }
        Ok(out)
    }

    /// Cases per day over a subtree, by source, for `from..=to` (days without cases
    /// included, as zeros).
    pub async fn curve(
        &self,
        root: &Unit,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CurveDay>> {
        let rows: Vec<(NaiveDate, i64, i64, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT k.day, CAST(SUM(k.community) AS BIGINT), CAST(SUM(k.in_quarantine) AS BIGINT), \
             CAST(SUM(k.imported) AS BIGINT) FROM case_day_counts k JOIN units u ON u.id = k.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND k.day >= $3 AND k.day <= $4 GROUP BY k.day",
        ).bind(&root.path).bind(path_end(&root.path)).bind(from).bind(to).fetch_all(p).await?);
        let by_day: HashMap<NaiveDate, (i64, i64, i64)> = rows
            .into_iter()
            .map(|(d, a, b, c)| (d, (a, b, c)))
            .collect();
        Ok(from
            .iter_days()
            .take_while(|d| *d <= to)
            .map(|day| {
                let (community, in_quarantine, imported) =
                    by_day.get(&day).copied().unwrap_or_default();
                CurveDay {
                    day,
                    community,
                    in_quarantine,
                    imported,
                }
            })
            .collect())
    }

    /// Every screening round with data in the subtree that started by `day`, summed over
    /// the subtree, in date order.
    pub async fn rounds_in(&self, root: &Unit, day: NaiveDate) -> Result<Vec<RoundFigures>> {
        let rows: Vec<RoundRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT '' AS path, r.id, c.name, c.target_kind, CAST(r.number AS BIGINT), r.start_date, r.end_date, \
             CAST(SUM(s.targeted) AS BIGINT), CAST(SUM(s.sampled_people) AS BIGINT), \
             CAST(SUM(s.sampled_households) AS BIGINT), CAST(SUM(s.samples) AS BIGINT), \
             CAST(SUM(s.resulted) AS BIGINT), CAST(SUM(s.positives) AS BIGINT) \
             FROM round_unit_stats s JOIN rounds r ON r.id = s.round_id JOIN campaigns c ON c.id = r.campaign_id \
             JOIN units u ON u.id = s.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND r.start_date <= $3 \
             GROUP BY r.id, c.name, c.target_kind, r.number, r.start_date, r.end_date ORDER BY r.start_date, r.id",
        ).bind(&root.path).bind(path_end(&root.path)).bind(day).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|r| RoundFigures {
                round_id: r.1,
                campaign: r.2,
                number: r.4,
                start: r.5,
                end: r.6,
                targeted: r.7,
                sampled: if r.3 == "one-per-household" { r.9 } else { r.8 },
                samples: r.10,
                resulted: r.11,
                positives: r.12,
            })
            .collect())
    }

    /// Stored levels of a unit and its current children for `from..=to`, by unit path then
    /// day: one query.
    pub async fn levels_of_children(
        &self,
        parent: &Unit,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ZoneStatus>> {
        let cols = LEVEL_COLUMNS
            .split(", ")
            .map(|c| format!("z.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols} FROM zone_levels z JOIN units u ON u.id = z.unit_id \
             WHERE (u.id = $1 OR (u.parent_code = $2 AND u.valid_to IS NULL)) AND z.day >= $3 AND z.day <= $4 \
             ORDER BY u.path, z.day"
        );
        let rows: Vec<LevelRow> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(parent.id).bind(parent.code.as_str()).bind(from).bind(to).fetch_all(p).await?);
        rows.into_iter().map(status_from).collect()
    }

    /// What remains to do on `day` in each of `units` (all inside `root`'s subtree): counts
    /// only, from three grouped queries.
    pub async fn work_counts(
        &self,
        root: &Unit,
        units: &[Unit],
        day: NaiveDate,
    ) -> Result<Vec<WorkCounts>> {
        let (from, to) = (root.path.as_str(), path_end(&root.path));
        let roll = Rollup::new(root, units);
        let mut out = vec![WorkCounts::default(); units.len()];
        let mut hit = Vec::new();
        let rows: Vec<(String, i64, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT u.path, CAST(SUM(CASE WHEN t.day = $3 THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN t.day < $3 THEN 1 ELSE 0 END) AS BIGINT) \
             FROM contact_tests t JOIN contacts c ON c.id = t.contact_id JOIN units u ON u.id = t.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND t.day <= $3 AND t.sample_id IS NULL AND c.status = 'open' \
             GROUP BY u.path",
        ).bind(from).bind(&to).bind(day).fetch_all(p).await?);
        for (path, due, late) in &rows {
            roll.targets(path, &mut hit);
            for &i in &hit {
                out[i].tests_due += due;
                out[i].overdue += late;
            }
        }
        let rows: Vec<(String, i64, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT u.path, CAST(SUM(CASE WHEN c.end_date = $3 THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN c.end_date < $3 THEN 1 ELSE 0 END) AS BIGINT) \
             FROM contacts c JOIN units u ON u.id = c.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND c.status = 'open' AND c.end_date <= $3 GROUP BY u.path",
        ).bind(from).bind(&to).bind(day).fetch_all(p).await?);
        for (path, ending, late) in &rows {
            roll.targets(path, &mut hit);
            for &i in &hit {
                out[i].quarantines_ending += ending;
                out[i].overdue += late;
            }
        }
        let rows: Vec<(String, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT u.path, CAST(COUNT(*) AS BIGINT) FROM retest_orders r JOIN units u ON u.id = r.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND r.status = 'open' GROUP BY u.path",
        ).bind(from).bind(&to).fetch_all(p).await?);
        for (path, n) in &rows {
            roll.targets(path, &mut hit);
            for &i in &hit {
                out[i].retests += n;
            }
        }
        Ok(out)
    }

    /// Stored level numbers (1 green .. 4 red) without their reasons, for strips and tiles:
    /// of a unit and its current children (`subtree` false) or of its whole subtree, for
    /// `from..=to`, by unit path then day. One query.
    pub async fn level_numbers(
        &self,
        unit: &Unit,
        from: NaiveDate,
        to: NaiveDate,
        subtree: bool,
    ) -> Result<Vec<(i64, NaiveDate, u8)>> {
        let rows: Vec<(i64, NaiveDate, i64)> = if subtree {
            with_pool!(self, p => sqlx::query_as(
                "SELECT z.unit_id, z.day, CAST(z.level AS BIGINT) FROM zone_levels z JOIN units u ON u.id = z.unit_id \
                 WHERE u.path >= $1 AND u.path < $2 AND u.valid_to IS NULL AND z.day >= $3 AND z.day <= $4 \
                 ORDER BY u.path, z.day",
            ).bind(&unit.path).bind(path_end(&unit.path)).bind(from).bind(to).fetch_all(p).await?)
        } else {
            with_pool!(self, p => sqlx::query_as(
                "SELECT z.unit_id, z.day, CAST(z.level AS BIGINT) FROM zone_levels z JOIN units u ON u.id = z.unit_id \
                 WHERE (u.id = $1 OR (u.parent_code = $2 AND u.valid_to IS NULL)) AND z.day >= $3 AND z.day <= $4 \
                 ORDER BY u.path, z.day",
            ).bind(unit.id).bind(unit.code.as_str()).bind(from).bind(to).fetch_all(p).await?)
        };
        Ok(rows
            .into_iter()
            .map(|(id, d, l)| (id, d, u8::try_from(l).unwrap_or(0)))
            .collect())
    }

    /// The figures of each of `units` (inside `root`'s subtree) over `from..=to`, for
    /// exchange (DHIS2): flows summed over the days of the dashboard's own figures, stocks
    /// as the dashboard shows them on the last day, and the level stored for it. So a
    /// week's value is what the dashboards show for the same unit and days.
    pub async fn period_figures(
        &self,
        root: &Unit,
        units: &[Unit],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<vx_exchange::PeriodFigures>> {
        if to < from || (to - from).num_days() > 366 {
            return Err(StoreError::Invalid(format!(
                "a period from {from} to {to}: at most a year"
            )));
        }
        let mut out: Vec<vx_exchange::PeriodFigures> = units
            .iter()
            .map(|u| vx_exchange::PeriodFigures {
                unit_code: u.code.as_str().to_string(),
                ..Default::default()
            })
            .collect();
        for day in from.iter_days().take_while(|d| *d <= to) {
            let figures = self.figures(root, units, day).await?;
            for (o, f) in out.iter_mut().zip(&figures) {
                o.community_cases += f.new_community;
                o.quarantine_cases += f.new_in_quarantine;
                o.imported_cases += f.new_imported;
                o.samples_taken += f.samples_day;
                o.samples_positive += f.positives_day;
                if day == to {
                    o.isolating = f.isolating;
                    o.f1_home = f.f1_home;
                    o.f1_facility = f.f1_facility;
                    o.f2 = f.f2;
                    o.population = f.population;
                    o.screening_coverage_pct = f.round.as_ref().and_then(|r| r.coverage_pct());
                }
            }
        }
        // Support handed in the period (every programme): households and amounts.
        let (lo, hi) = (root.path.as_str(), path_end(&root.path));
        let roll = Rollup::new(root, units);
        let mut hit = Vec::new();
        let rows: Vec<(String, i64, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT u.path, CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(d.amount_vnd), 0) AS BIGINT) \
             FROM distributions d JOIN units u ON u.id = d.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND d.handed_on >= $3 AND d.handed_on <= $4 GROUP BY u.path",
        ).bind(lo).bind(&hi).bind(from).bind(to).fetch_all(p).await?);
        for (path, households, vnd) in &rows {
            roll.targets(path, &mut hit);
            for &i in &hit {
                out[i].aid_households += households;
                out[i].aid_vnd += vnd;
            }
        }
        let levels = self.level_numbers(root, to, to, true).await?;
        let by_id: HashMap<i64, u8> = levels.into_iter().map(|(id, _, l)| (id, l)).collect();
        for (o, u) in out.iter_mut().zip(units) {
            o.level = by_id.get(&u.id).copied().filter(|l| (1..=4).contains(l));
        }
        Ok(out)
    }

    // -----------------------------------------------------------------------------------
    // Announcements

    /// Publishes an announcement of a unit (audited).
    pub async fn create_announcement(
        &self,
        actor: &Actor,
        unit: &Unit,
        title: &str,
        body: &str,
        published_on: NaiveDate,
    ) -> Result<Announcement> {
        let (title, body) = (title.trim(), body.trim());
        if title.is_empty() || title.chars().count() > 200 {
            return Err(StoreError::Invalid(
                "title: 1 to 200 characters".to_string(),
            ));
        }
        if body.is_empty() || body.chars().count() > 5000 {
            return Err(StoreError::Invalid(
                "body: 1 to 5000 characters".to_string(),
            ));
        }
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO announcements (unit_id, title, body, published_on, author, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            ).bind(unit.id).bind(title).bind(body).bind(published_on).bind(&actor.name).bind(Utc::now())
            .fetch_one(&mut *tx).await?;
            let after = serde_json::json!({"unit": unit.code.as_str(), "title": title, "body": body,
                "published_on": published_on});
            audit_log!(tx, actor, "create", "announcements", id, None::<&()>, Some(&after));
            tx.commit().await?;
            id
        });
        Ok(Announcement {
            id,
            unit_code: unit.code.to_string(),
            unit_name: unit.full_name.clone(),
            title: title.to_string(),
            body: body.to_string(),
            published_on,
            author: actor.name.clone(),
        })
    }

    /// Announcements published by `until` that concern a unit: its own, its ancestors' and
    /// those of units below it; newest first.
    pub async fn announcements_for(
        &self,
        unit: &Unit,
        until: NaiveDate,
        limit: i64,
    ) -> Result<Vec<Announcement>> {
        let rows: Vec<(i64, String, String, String, String, NaiveDate, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT a.id, u.code, u.full_name, a.title, a.body, a.published_on, a.author \
             FROM announcements a JOIN units u ON u.id = a.unit_id \
             WHERE a.published_on <= $3 AND ((u.path >= $1 AND u.path < $2) OR $1 LIKE u.path || '%') \
             ORDER BY a.published_on DESC, a.id DESC LIMIT $4",
        ).bind(&unit.path).bind(path_end(&unit.path)).bind(until).bind(limit).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|r| Announcement {
                id: r.0,
                unit_code: r.1,
                unit_name: r.2,
                title: r.3,
                body: r.4,
                published_on: r.5,
                author: r.6,
            })
            .collect())
    }

    // -----------------------------------------------------------------------------------
    // Boundaries

    /// Imports unit boundaries (idempotent: a unit's boundary is replaced). Unknown unit
    /// codes are refused with their feature numbers (from 1); nothing is written then.
    pub async fn import_boundaries(
        &self,
        actor: &Actor,
        file_name: &str,
        boundaries: &[Boundary],
    ) -> Result<BoundariesSummary> {
        let mut problems = Vec::new();
        for (i, b) in boundaries.iter().enumerate() {
            let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
            if self.unit(&b.unit_code).await?.is_none() {
                problems.push(RowProblem::new(
                    row,
                    "code",
                    format!("unknown unit {:?}", b.unit_code),
                ));
            } else if b.bbox().is_none() {
                problems.push(RowProblem::new(row, "geometry", "no points"));
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Rows(problems));
        }
        let mut summary = BoundariesSummary::default();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            for b in boundaries {
                let (x0, y0, x1, y1) = b.bbox().expect("checked above");
                let geometry = serde_json::to_string(&b.polygons)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                let existed: Option<(String,)> = sqlx::query_as(
                    "SELECT unit_code FROM unit_boundaries WHERE unit_code = $1",
                ).bind(&b.unit_code).fetch_optional(&mut *tx).await?;
                sqlx::query(
                    "INSERT INTO unit_boundaries (unit_code, geometry, min_x, min_y, max_x, max_y, schematic, source, imported_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (unit_code) DO UPDATE SET \
                     geometry = excluded.geometry, min_x = excluded.min_x, min_y = excluded.min_y, \
                     max_x = excluded.max_x, max_y = excluded.max_y, schematic = excluded.schematic, \
                     source = excluded.source, imported_at = excluded.imported_at",
                ).bind(&b.unit_code).bind(&geometry).bind(x0).bind(y0).bind(x1).bind(y1)
                .bind(b.schematic).bind(file_name).bind(Utc::now()).execute(&mut *tx).await?;
                if existed.is_some() { summary.updated += 1 } else { summary.created += 1 }
            }
            let after = serde_json::json!({"file": file_name, "created": summary.created,
                "updated": summary.updated});
            audit_log!(tx, actor, "import", "unit_boundaries", file_name, None::<&()>, Some(&after));
            tx.commit().await?;
        });
        Ok(summary)
    }

    /// Boundaries of the current children of a unit (those that have one): one query.
    pub async fn child_boundaries(&self, parent: &Unit) -> Result<Vec<Boundary>> {
        let rows: Vec<(String, String, bool)> = with_pool!(self, p => sqlx::query_as(
            "SELECT b.unit_code, b.geometry, b.schematic FROM unit_boundaries b \
             JOIN units u ON u.code = b.unit_code \
             WHERE u.parent_code = $1 AND u.valid_to IS NULL ORDER BY b.unit_code",
        ).bind(parent.code.as_str()).fetch_all(p).await?);
        rows.into_iter()
            .map(|(unit_code, geometry, schematic)| {
                let polygons = serde_json::from_str(&geometry).map_err(|e| {
                    StoreError::Invalid(format!("stored boundary of {unit_code}: {e}"))
                })?;
                Ok(Boundary {
                    unit_code,
                    polygons,
                    schematic,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vx_domain::{UnitCode, UnitLevel};

    fn u(path: &str) -> Unit {
        let code = path.trim_end_matches('/').rsplit('/').next().unwrap();
        Unit {
            id: 1,
            code: UnitCode::parse(code).unwrap(),
            parent_code: None,
            level: UnitLevel::Commune,
            kind: String::new(),
            name: String::new(),
            full_name: String::new(),
            population: None,
            path: path.into(),
            valid_from: NaiveDate::MIN,
            valid_to: None,
        }
    }

    #[test]
    fn rows_roll_up_to_the_root_and_the_child_containing_them() {
        let root = u("/83/831/");
        let units = vec![root.clone(), u("/83/831/28846/"), u("/83/831/28804/")];
        let roll = Rollup::new(&root, &units);
        let mut hit = Vec::new();
        for (path, want) in [
            ("/83/831/", vec![0]),
            ("/83/831/28846/", vec![0, 1]),
            ("/83/831/28846/2884601/", vec![0, 1]),
            ("/83/831/28804/2880401/", vec![0, 2]),
            ("/83/831/288/", vec![0]),
            ("/83/832/", vec![]),
        ] {
            roll.targets(path, &mut hit);
            assert_eq!(hit, want, "{path}");
        }
    }
}
