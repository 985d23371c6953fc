//! Classification of a subtree over a date range, stored in `zone_levels`.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{Days, NaiveDate, Utc};
use serde::Serialize;
use vx_domain::{Unit, UnitLevel};
use vx_rules::{
    Adjacency, Classifier, Method, Outcome, Previous, RuleSet, Tree, UnitInput, UnitIx,
};

use super::{next_day, ZoneBatch};
use crate::bulk::{BulkInsert, Cell};
use crate::{audit_log, path_end, with_pool, Actor, Result, Store, StoreError};

/// What a classification run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClassifySummary {
    pub units: usize,
    pub days: usize,
    /// Unit-days stored.
    pub stored: usize,
    /// Unit-days with no rule set in force (not stored).
    pub without_rule_set: usize,
    /// Milliseconds reading data and computing indicators.
    pub load_ms: u128,
    /// Milliseconds in the rule engine.
    pub classify_ms: u128,
    /// Milliseconds writing the results.
    pub store_ms: u128,
}

/// The outcomes of a run, before storing: per day, per unit, the rule set index and outcome.
pub struct Run {
    pub batch: ZoneBatch,
    pub sets: Vec<RuleSet>,
    /// `days[k][i]`: `None` when no rule set applies.
    pub days: Vec<DayLevels>,
}

/// A subtree over a period under several rule sets side by side, each applied to every day
/// whatever its dates (the policy sandbox's comparison); nothing is stored.
pub struct Comparison {
    /// The units, in path order (parents before children).
    pub units: Vec<Unit>,
    pub from: NaiveDate,
    pub rule_sets: Vec<RuleSet>,
    /// `outcomes[s][k][i]`: unit `i` on day `from + k` under `rule_sets[s]`.
    pub outcomes: Vec<Vec<Vec<Outcome>>>,
}

impl Comparison {
    /// Days of the period.
    pub fn days(&self) -> usize {
        self.outcomes.first().map_or(0, Vec::len)
    }

    /// Days unit `i` spends at each level (green first) under rule set `s`.
    pub fn days_at(&self, s: usize, i: usize) -> [u32; 4] {
        let mut n = [0u32; 4];
        for day in &self.outcomes[s] {
            n[day[i].level.index()] += 1;
        }
        n
    }

    /// Unit-days where the rule sets do not all give the same level.
    pub fn disagreements(&self) -> usize {
        (0..self.days())
            .map(|k| {
                (0..self.units.len())
                    .filter(|&i| {
                        let first = self.outcomes[0][k][i].level;
                        self.outcomes.iter().any(|o| o[k][i].level != first)
                    })
                    .count()
            })
            .sum()
    }
}

/// One day of a run: per unit, the index of the rule set applied and the outcome.
pub type DayLevels = Vec<Option<(usize, Outcome)>>;

/// Per unit, the assignments that apply to it (its own or its nearest ancestor's), latest
/// `from` first for each unit on the path, nearest unit first.
fn assignments_for(
    units: &[Unit],
    rows: &[(String, String, NaiveDate)],
) -> Vec<Vec<(NaiveDate, String)>> {
    let mut by_code: HashMap<&str, Vec<(NaiveDate, String)>> = HashMap::new();
    for (code, id, from) in rows {
        by_code
            .entry(code.as_str())
            .or_default()
            .push((*from, id.clone()));
    }
    for v in by_code.values_mut() {
        v.sort_by_key(|a| std::cmp::Reverse(a.0));
    }
    units
        .iter()
        .map(|u| {
            let mut out = Vec::new();
            for code in u.path.split('/').filter(|c| !c.is_empty()).rev() {
                if let Some(v) = by_code.get(code) {
                    out.push((NaiveDate::MIN, String::new())); // separator: next unit
                    out.extend(v.iter().cloned());
                }
            }
            out
        })
        .collect()
}

/// The rule set for a unit on a day: the nearest unit on its path with an assignment in
/// force that day, else the set in force by its own dates.
fn pick(assigned: &[(NaiveDate, String)], sets: &[RuleSet], day: NaiveDate) -> Option<usize> {
    for (from, id) in assigned {
        if id.is_empty() {
            continue;
        }
        if *from <= day {
            if let Some(i) = sets.iter().position(|s| &s.id == id) {
                return Some(i);
            }
        }
    }
    // By default only rule sets for every unit: a green-zone regulation applies where assigned.
    sets.iter()
        .enumerate()
        .filter(|(_, s)| !matches!(s.kind, vx_rules::Kind::GreenZone(_)) && s.in_force_on(day))
        .max_by_key(|(i, s)| (s.effective_from, *i))
        .map(|(i, _)| i)
}

/// Runs the engine over a batch: each day, units grouped by the rule set that applies to
/// them; deeper groups first so that their levels reach parents in other groups as
/// `child_levels`. Levels in force and announcements are carried from day to day (from
/// `first_previous` on the first day).
pub fn run_engine(
    batch: &ZoneBatch,
    sets: &[RuleSet],
    assigned: &[Vec<(NaiveDate, String)>],
    fixed: Option<usize>,
    first_previous: &[Option<Previous>],
) -> Result<Vec<DayLevels>> {
    let n = batch.units.len();
    let depth: Vec<usize> = batch
        .units
        .iter()
        .map(|u| u.path.matches('/').count())
        .collect();
    let mut classifier = Classifier::default();
    let mut out_days: Vec<DayLevels> = Vec::with_capacity(batch.days.len());
    let full_adj =
        Adjacency::from_edges(n, &batch.edges).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let full_tree =
        Tree::from_parents(&batch.parents).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut buf = Vec::new();
    for (k, inds) in batch.days.iter().enumerate() {
        let day = batch.from + Days::new(k as u64);
        let choice: Vec<Option<usize>> = (0..n)
            .map(|i| fixed.or_else(|| pick(&assigned[i], sets, day)))
            .collect();
        let prev: Vec<Option<Previous>> = match out_days.last() {
            Some(p) => p
                .iter()
                .map(|o| o.as_ref().map(|(_, o)| o.carry()))
                .collect(),
            None => first_previous.to_vec(),
        };
        let mut today: Vec<Option<(usize, Outcome)>> = vec![None; n];
        let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, c) in choice.iter().enumerate() {
            if let Some(c) = c {
                groups.entry(*c).or_default().push(i);
            }
        }
        if groups.len() == 1 && groups.values().next().is_some_and(|g| g.len() == n) {
            let (&s, _) = groups.iter().next().expect("one group");
            let units: Vec<UnitInput> = (0..n)
                .map(|i| UnitInput {
                    indicators: inds[i],
                    previous: prev[i],
                    ..UnitInput::default()
                })
                .collect();
            classifier
                .classify_into(&sets[s], day, &units, &full_adj, &full_tree, &mut buf)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            for (i, o) in buf.drain(..).enumerate() {
                today[i] = Some((s, o));
            }
        } else {
            let mut order: Vec<(usize, Vec<usize>)> = groups.into_iter().collect();
            order.sort_by_key(|(s, g)| {
                (
                    std::cmp::Reverse(g.iter().map(|&i| depth[i]).min().unwrap_or(0)),
                    *s,
                )
            });
            for (s, members) in order {
                let local: HashMap<usize, usize> =
                    members.iter().enumerate().map(|(l, &g)| (g, l)).collect();
                let edges: Vec<(UnitIx, UnitIx)> = batch
                    .edges
                    .iter()
                    .filter_map(|(a, b)| {
                        Some((
                            *local.get(&(*a as usize))? as UnitIx,
                            *local.get(&(*b as usize))? as UnitIx,
                        ))
                    })
                    .collect();
                let parents: Vec<Option<UnitIx>> = members
                    .iter()
                    .map(|&g| {
                        batch.parents[g]
                            .and_then(|p| local.get(&(p as usize)).map(|&l| l as UnitIx))
                    })
                    .collect();
                let mut units: Vec<UnitInput> = members
                    .iter()
                    .map(|&g| UnitInput {
                        indicators: inds[g],
                        previous: prev[g],
                        ..UnitInput::default()
                    })
                    .collect();
                // children classified in other groups count as child levels
                for (g, p) in batch.parents.iter().enumerate() {
                    if let (Some(p), Some((_, o))) = (p, &today[g]) {
                        if let Some(&l) = local.get(&(*p as usize)) {
                            if !local.contains_key(&g) {
                                units[l].child_levels.add(o.level);
                            }
                        }
                    }
                }
                let adj = Adjacency::from_edges(members.len(), &edges)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                let tree =
                    Tree::from_parents(&parents).map_err(|e| StoreError::Invalid(e.to_string()))?;
                classifier
                    .classify_into(&sets[s], day, &units, &adj, &tree, &mut buf)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                for (l, o) in buf.drain(..).enumerate() {
                    today[members[l]] = Some((s, o));
                }
            }
        }
        out_days.push(today);
    }
    Ok(out_days)
}

impl Store {
    async fn assignment_rows(&self) -> Result<Vec<(String, String, NaiveDate)>> {
        let rows: Vec<(String, String, NaiveDate)> = with_pool!(self, p => sqlx::query_as(
            "SELECT unit_code, rule_set_id, from_date FROM rule_assignments",
        ).fetch_all(p).await?);
        Ok(rows)
    }

    /// Computes the levels of `root`'s subtree for `from..=to` without storing them. With
    /// `fixed`, that rule set applies to every unit and day (policy sandbox); otherwise the
    /// stored rule sets and assignments. The first day continues from the stored state of
    /// the day before.
    pub async fn compute_levels(
        &self,
        root: &Unit,
        from: NaiveDate,
        to: NaiveDate,
        fixed: Option<RuleSet>,
    ) -> Result<Run> {
        if to < from {
            return Err(StoreError::Invalid(format!("{to} is before {from}")));
        }
        let mut sets = self.rule_sets().await?;
        let fixed_ix = fixed.map(|rs| {
            sets.push(rs);
            sets.len() - 1
        });
        let batch = self.zone_batch(root, from, to).await?;
        let assigned = assignments_for(&batch.units, &self.assignment_rows().await?);
        let prev = self.previous_states(&batch.units, root, from).await?;
        let days = run_engine(&batch, &sets, &assigned, fixed_ix, &prev)?;
        Ok(Run { batch, sets, days })
    }

    /// Runs each of `rule_sets` over `root`'s subtree for every day `from..=to`, from the same
    /// indicators (read once), each set from a fresh start (no level carried in from before
    /// `from`); nothing is stored.
    pub async fn compare_rule_sets(
        &self,
        root: &Unit,
        from: NaiveDate,
        to: NaiveDate,
        rule_sets: Vec<RuleSet>,
    ) -> Result<Comparison> {
        if to < from {
            return Err(StoreError::Invalid(format!("{to} is before {from}")));
        }
        if rule_sets.is_empty() {
            return Err(StoreError::Invalid("no rule set to compare".into()));
        }
        let batch = self.zone_batch(root, from, to).await?;
        let n = batch.units.len();
        let none_assigned = vec![Vec::new(); n];
        let fresh = vec![None; n];
        let mut outcomes = Vec::with_capacity(rule_sets.len());
        for s in 0..rule_sets.len() {
            let days = run_engine(&batch, &rule_sets, &none_assigned, Some(s), &fresh)?;
            outcomes.push(
                days.into_iter()
                    .map(|day| {
                        day.into_iter()
                            .map(|o| o.map(|(_, o)| o).unwrap_or_default())
                            .collect()
                    })
                    .collect(),
            );
        }
        Ok(Comparison {
            units: batch.units,
            from,
            rule_sets,
            outcomes,
        })
    }

    async fn previous_states(
        &self,
        units: &[Unit],
        root: &Unit,
        from: NaiveDate,
    ) -> Result<Vec<Option<Previous>>> {
        let before = from.pred_opt().unwrap_or(from);
        let stored = self.zone_levels(root, before, before).await?;
        let by_id: HashMap<i64, Previous> = stored
            .into_iter()
            .map(|s| (s.unit_id, s.outcome.carry()))
            .collect();
        Ok(units.iter().map(|u| by_id.get(&u.id).copied()).collect())
    }

    /// Classifies every current unit of `root`'s subtree for every day `from..=to` and stores
    /// the outcomes (replacing earlier ones), in one transaction, with one audit entry.
    pub async fn classify(
        &self,
        actor: &Actor,
        root: &Unit,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<ClassifySummary> {
        self.classify_only(actor, root, from, to, None).await
    }

    /// Classifies `root`'s subtree and stores the outcomes of every unit, or only of the units
    /// in `only` (the subtree is still computed: parents need their children).
    async fn classify_only(
        &self,
        actor: &Actor,
        root: &Unit,
        from: NaiveDate,
        to: NaiveDate,
        only: Option<&HashSet<i64>>,
    ) -> Result<ClassifySummary> {
        let t0 = Instant::now();
        let mut sets = self.rule_sets().await?;
        let batch = self.zone_batch(root, from, to).await?;
        let assigned = assignments_for(&batch.units, &self.assignment_rows().await?);
        let prev = self.previous_states(&batch.units, root, from).await?;
        let load_ms = t0.elapsed().as_millis();
        let t1 = Instant::now();
        let days = run_engine(&batch, &sets, &assigned, None, &prev)?;
        let classify_ms = t1.elapsed().as_millis();
        let t2 = Instant::now();
        let kept = |id: i64| only.is_none_or(|o| o.contains(&id));
        let mut summary = ClassifySummary {
            units: batch.units.iter().filter(|u| kept(u.id)).count(),
            days: batch.days.len(),
            load_ms,
            classify_ms,
            ..ClassifySummary::default()
        };
        let now = Utc::now();
        let rows: Vec<Row> = days
            .iter()
            .enumerate()
            .flat_map(|(k, day)| {
                let date = batch.from + Days::new(k as u64);
                let units = &batch.units;
                day.iter()
                    .enumerate()
                    .filter_map(move |(i, o)| o.as_ref().map(|(s, o)| (units[i].id, date, *s, *o)))
            })
            .filter(|r| kept(r.0))
            .collect();
        summary.without_rule_set = summary.units * summary.days - rows.len();
        summary.stored = rows.len();
        let sets = std::mem::take(&mut sets);
        let only_ids: Vec<i64> = only
            .map(|o| o.iter().copied().collect())
            .unwrap_or_default();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            if only.is_none() {
                // Units of the subtree no longer current keep their history; current ones are replaced.
                sqlx::query(
                    "DELETE FROM zone_levels WHERE day >= $3 AND day <= $4 AND unit_id IN \
                     (SELECT id FROM units WHERE path >= $1 AND path < $2 AND valid_to IS NULL)",
                ).bind(&root.path).bind(path_end(&root.path)).bind(from).bind(to).execute(&mut *tx).await?;
            } else {
                for id in &only_ids {
                    sqlx::query("DELETE FROM zone_levels WHERE day >= $1 AND day <= $2 AND unit_id = $3")
                        .bind(from).bind(to).bind(*id).execute(&mut *tx).await?;
                }
            }
            // COPY on PostgreSQL, multi-row inserts on SQLite.
            let reasons: Vec<String> = rows
                .iter()
                .map(|(_, _, _, o)| serde_json::to_string(&o.reasons).expect("reasons serialise"))
                .collect();
            let cells: Vec<Vec<Cell<'_>>> = rows
                .iter()
                .zip(&reasons)
                .map(|((unit_id, date, s, o), reasons)| {
                    let rs = &sets[*s];
                    vec![
                        Cell::Int(*unit_id),
                        Cell::Date(*date),
                        Cell::Text(&rs.id),
                        Cell::Int(i64::from(rs.version)),
                        Cell::Int(i64::from(o.level.number())),
                        Cell::Int(i64::from(o.in_force.number())),
                        o.announced.map(|a| i64::from(a.level.number())).into(),
                        o.announced.map(|a| a.announced_on).into(),
                        o.announced.map(|a| a.effective_from).into(),
                        Cell::Text(if o.method == Method::Rollup { "rollup" } else { "criteria" }),
                        Cell::Bool(o.incomplete),
                        Cell::Text(reasons),
                        Cell::Instant(now),
                    ]
                })
                .collect();
            tx.bulk_insert(
                "zone_levels",
                &["unit_id", "day", "rule_set_id", "rule_set_version", "level", "in_force",
                  "announced_level", "announced_on", "announced_from", "method", "incomplete",
                  "reasons", "computed_at"],
                &cells,
            ).await?;
            let after = serde_json::json!({"root": root.code.as_str(), "from": from, "to": to,
                "units": summary.units, "days": summary.days, "stored": summary.stored,
                "only": only_ids});
            audit_log!(tx, actor, "classify", "zone_levels", root.code.as_str(), None::<&()>, Some(&after));
            tx.commit().await?;
        });
        summary.store_ms = t2.elapsed().as_millis();
        Ok(summary)
    }

    /// The district of a unit (the unit itself when it is a district or above).
    async fn district_of(&self, unit: &Unit) -> Result<Unit> {
        Ok(match unit.level {
            UnitLevel::Province | UnitLevel::District => unit.clone(),
            _ => {
                let mut found = unit.clone();
                for a in self.ancestors(unit).await? {
                    if a.level == UnitLevel::District {
                        found = a;
                    }
                }
                found
            }
        })
    }

    /// The last day with a stored level in `root`'s subtree (the latest assessed day).
    pub async fn last_stored_day(&self, root: &Unit) -> Result<Option<NaiveDate>> {
        let last: Option<(Option<NaiveDate>,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT MAX(z.day) FROM zone_levels z JOIN units u ON u.id = z.unit_id \
             WHERE u.path >= $1 AND u.path < $2",
        ).bind(&root.path).bind(path_end(&root.path)).fetch_optional(p).await?);
        Ok(last.and_then(|(d,)| d))
    }

    /// Whether levels are kept for the district of `unit` (any stored day).
    pub(crate) async fn levels_kept_around(&self, unit: &Unit) -> Result<bool> {
        let district = self.district_of(unit).await?;
        Ok(self.last_stored_day(&district).await?.is_some())
    }

    /// Re-classifies what a change in `unit` from `from_day` affects, from `from_day` to the
    /// last day stored for its district (at least `from_day`): the subtree of its district
    /// (the unit, its ancestors up to the district, its neighbours within the district), the
    /// districts of its neighbours in other districts (when levels are kept there), and the
    /// ancestors of those districts up to the province. Each province concerned is computed
    /// once over its subtree (so that neighbours across districts and the roll-up see each
    /// other) and only the affected units' rows are stored. Neighbours in another province
    /// are re-classified within their own province.
    pub async fn reclassify_affected(
        &self,
        actor: &Actor,
        unit: &Unit,
        from_day: NaiveDate,
    ) -> Result<ClassifySummary> {
        let district = self.district_of(unit).await?;
        let to = self
            .last_stored_day(&district)
            .await?
            .unwrap_or(from_day)
            .max(from_day);
        let _ = next_day;
        let mut districts = vec![district];
        for code in self.neighbours(unit.code.as_str()).await? {
            let Some(n) = self.unit(&code).await? else {
                continue;
            };
            let d = self.district_of(&n).await?;
            if !districts.iter().any(|x| x.id == d.id) && self.last_stored_day(&d).await?.is_some()
            {
                districts.push(d);
            }
        }
        // Affected unit ids, grouped by province (the first code of the path).
        let mut by_top: Vec<(String, HashSet<i64>)> = Vec::new();
        for d in &districts {
            let top = d
                .path
                .split('/')
                .find(|c| !c.is_empty())
                .unwrap_or(d.code.as_str())
                .to_string();
            let mut ids: HashSet<i64> = self.subtree(d).await?.iter().map(|u| u.id).collect();
            ids.extend(self.ancestors(d).await?.iter().map(|u| u.id));
            match by_top.iter_mut().find(|(t, _)| *t == top) {
                Some((_, set)) => set.extend(ids),
                None => by_top.push((top, ids)),
            }
        }
        let mut summary = ClassifySummary::default();
        for (top, ids) in by_top {
            let Some(root) = self.unit(&top).await? else {
                continue;
            };
            let s = self
                .classify_only(actor, &root, from_day, to, Some(&ids))
                .await?;
            summary.units += s.units;
            summary.days = s.days;
            summary.stored += s.stored;
            summary.without_rule_set += s.without_rule_set;
            summary.load_ms += s.load_ms;
            summary.classify_ms += s.classify_ms;
            summary.store_ms += s.store_ms;
        }
        Ok(summary)
    }
}

type Row = (i64, NaiveDate, usize, Outcome);
