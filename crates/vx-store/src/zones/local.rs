//! Local decisions about zone status: measure overrides per unit (relaxations or tightenings
//! of the rule set's catalogue, from a date) and targets ("reach this level by that date"),
//! with their progress computed by `vx_rules::targets` from the stored levels and today's
//! indicators.

use std::collections::HashMap;

use chrono::{Days, NaiveDate, Utc};
use serde::Serialize;
use vx_domain::{Unit, UnitLevel};
use vx_rules::targets::{self, ChildProgress, Target, TargetProgress};
use vx_rules::{Level, MeasureId, MeasureOverride, MeasureValue};

use super::level_of;
use crate::{audit_log, path_end, with_pool, Actor, Result, Store, StoreError};

/// A stored measure override, with the unit that decided it.
#[derive(Debug, Clone, Serialize)]
pub struct StoredOverride {
    pub id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub created_by: String,
    /// As the rule engine takes it (its `id` is the decision).
    pub rule: MeasureOverride,
}

/// A stored target.
#[derive(Debug, Clone, Serialize)]
pub struct StoredTarget {
    pub id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub target: Target,
    pub note: String,
    pub created_by: String,
}

/// A child unit holding a target back.
#[derive(Debug, Clone, Serialize)]
pub struct HeldBack {
    pub code: String,
    pub name: String,
    pub level: Level,
    /// Earliest day it can reach the target level by waiting (`None`: not by waiting alone).
    pub earliest: Option<NaiveDate>,
}

/// A target and how it stands on a day.
#[derive(Debug, Clone, Serialize)]
pub struct TargetView {
    pub target: StoredTarget,
    pub today: NaiveDate,
    pub progress: TargetProgress,
    pub held_back: Vec<HeldBack>,
}

type OverrideRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    NaiveDate,
    Option<NaiveDate>,
    String,
    String,
    String,
);
type TargetRow = (
    i64,
    i64,
    String,
    String,
    i64,
    NaiveDate,
    i64,
    String,
    String,
);

const OVERRIDE_COLUMNS: &str = "o.id, o.unit_id, u.code, u.name, o.decision, o.measure, o.value, \
     o.from_date, o.to_date, o.levels, o.note, o.created_by";
const TARGET_COLUMNS: &str =
    "t.id, t.unit_id, u.code, u.name, t.level, t.by_date, t.margin_days, t.note, t.created_by";

fn bad(e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("stored override is not valid: {e}"))
}

fn override_from(r: OverrideRow) -> Result<StoredOverride> {
    let measure = MeasureId::from_key(&r.5).ok_or_else(|| bad(&r.5))?;
    let value: MeasureValue = serde_json::from_str(&r.6).map_err(bad)?;
    let levels: Vec<Level> = serde_json::from_str(&r.9).map_err(bad)?;
    Ok(StoredOverride {
        id: r.0,
        unit_id: r.1,
        unit_code: r.2,
        unit_name: r.3,
        created_by: r.11,
        rule: MeasureOverride {
            id: r.4,
            measure,
            value,
            from: r.7,
            to: r.8,
            levels,
            note: r.10,
        },
    })
}

fn target_from(r: TargetRow) -> StoredTarget {
    StoredTarget {
        id: r.0,
        unit_id: r.1,
        unit_code: r.2,
        unit_name: r.3,
        target: Target {
            level: level_of(r.4),
            by: r.5,
            margin_days: u32::try_from(r.6).unwrap_or(0),
        },
        note: r.7,
        created_by: r.8,
    }
}

/// Days of stored history read for a target's progress.
const HISTORY_DAYS: u64 = 120;

impl Store {
    /// Stores a local override of one measure for a unit and its subtree (validated; audited).
    pub async fn add_measure_override(
        &self,
        actor: &Actor,
        unit: &Unit,
        o: &MeasureOverride,
    ) -> Result<StoredOverride> {
        o.check().map_err(StoreError::Invalid)?;
        if o.id.trim().is_empty() {
            return Err(StoreError::Invalid("decision: required".into()));
        }
        let value = serde_json::to_string(&o.value).expect("value serialises");
        let levels = serde_json::to_string(&o.levels).expect("levels serialise");
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO measure_overrides (unit_id, decision, measure, value, from_date, to_date, levels, \
                 note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            ).bind(unit.id).bind(o.id.trim()).bind(o.measure.key()).bind(&value).bind(o.from).bind(o.to)
            .bind(&levels).bind(o.note.trim()).bind(&actor.name).bind(Utc::now())
            .fetch_one(&mut *tx).await?;
            let after = serde_json::json!({"unit": unit.code.as_str(), "override": o});
            audit_log!(tx, actor, "create", "measure_overrides", id, None::<&()>, Some(&after));
            tx.commit().await?;
            id
        });
        let sql = format!(
            "SELECT {OVERRIDE_COLUMNS} FROM measure_overrides o JOIN units u ON u.id = o.unit_id WHERE o.id = $1"
        );
        let row: OverrideRow =
            with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_one(p).await?);
        override_from(row)
    }

    /// The overrides that concern a unit: its own and those of its ancestors (an override
    /// applies to the subtree of the unit that decided it), oldest first.
    pub async fn measure_overrides_for(&self, unit: &Unit) -> Result<Vec<StoredOverride>> {
        let codes: Vec<String> = unit
            .path
            .split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        let mut out = Vec::new();
        for code in codes {
            let sql = format!(
                "SELECT {OVERRIDE_COLUMNS} FROM measure_overrides o JOIN units u ON u.id = o.unit_id \
                 WHERE u.code = $1 AND u.valid_to IS NULL ORDER BY o.from_date, o.id"
            );
            let rows: Vec<OverrideRow> =
                with_pool!(self, p => sqlx::query_as(&sql).bind(&code).fetch_all(p).await?);
            for r in rows {
                out.push(override_from(r)?);
            }
        }
        out.sort_by_key(|o| (o.rule.from, o.id));
        Ok(out)
    }

    /// Sets a target for a unit (audited): reach `target.level` or lower by `target.by`.
    pub async fn add_target(
        &self,
        actor: &Actor,
        unit: &Unit,
        target: &Target,
        note: &str,
    ) -> Result<StoredTarget> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO zone_targets (unit_id, level, by_date, margin_days, note, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            ).bind(unit.id).bind(i64::from(target.level.number())).bind(target.by)
            .bind(i64::from(target.margin_days)).bind(note.trim()).bind(&actor.name).bind(Utc::now())
            .fetch_one(&mut *tx).await?;
            let after = serde_json::json!({"unit": unit.code.as_str(), "target": target, "note": note});
            audit_log!(tx, actor, "create", "zone_targets", id, None::<&()>, Some(&after));
            tx.commit().await?;
            id
        });
        let sql = format!(
            "SELECT {TARGET_COLUMNS} FROM zone_targets t JOIN units u ON u.id = t.unit_id WHERE t.id = $1"
        );
        let row: TargetRow =
            with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_one(p).await?);
        Ok(target_from(row))
    }

    /// The targets of a unit, by deadline.
    pub async fn targets_of(&self, unit: &Unit) -> Result<Vec<StoredTarget>> {
        let sql = format!(
            "SELECT {TARGET_COLUMNS} FROM zone_targets t JOIN units u ON u.id = t.unit_id \
             WHERE t.unit_id = $1 ORDER BY t.by_date, t.id"
        );
        let rows: Vec<TargetRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(unit.id).fetch_all(p).await?);
        Ok(rows.into_iter().map(target_from).collect())
    }

    /// Every target of the units under a materialised path (e.g. "/83/831/"), with its
    /// progress on `date`: for dashboards.
    pub async fn targets_under(&self, path: &str, date: NaiveDate) -> Result<Vec<TargetView>> {
        let sql = format!(
            "SELECT {TARGET_COLUMNS} FROM zone_targets t JOIN units u ON u.id = t.unit_id \
             WHERE u.path >= $1 AND u.path < $2 ORDER BY u.path, t.by_date, t.id"
        );
        let rows: Vec<TargetRow> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(path).bind(path_end(path)).fetch_all(p).await?);
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.target_progress(target_from(r), date).await?);
        }
        Ok(out)
    }

    /// How a target stands on `today`: from the stored levels of the unit (and of its
    /// children for a unit above the commune) up to `today`, today's level computed when not
    /// stored, and today's indicators for the earliest date by waiting.
    pub async fn target_progress(&self, t: StoredTarget, today: NaiveDate) -> Result<TargetView> {
        let unit = self
            .unit_by_id(t.unit_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("unit {}", t.unit_code)))?;
        let run = self.compute_levels(&unit, today, today, None).await?;
        let first = today
            .checked_sub_days(Days::new(HISTORY_DAYS))
            .unwrap_or(today);
        let stored = self.zone_levels(&unit, first, today).await?;
        let mut history: HashMap<i64, Vec<(NaiveDate, Level)>> = HashMap::new();
        for z in &stored {
            history
                .entry(z.unit_id)
                .or_default()
                .push((z.day, z.outcome.in_force));
        }
        let units = &run.batch.units;
        let hist_of = |i: usize| -> Vec<(NaiveDate, Level)> {
            let mut h = history.get(&units[i].id).cloned().unwrap_or_default();
            if h.last().is_none_or(|(d, _)| *d < today) {
                if let Some((_, o)) = run.days[0][i] {
                    h.push((today, o.in_force));
                }
            }
            h
        };
        let progress_of = |i: usize| -> Option<TargetProgress> {
            let (s, _) = run.days[0][i]?;
            Some(targets::progress(
                &run.sets[s],
                &t.target,
                today,
                &hist_of(i),
                &run.batch.days[0][i],
            ))
        };
        let me = units
            .iter()
            .position(|u| u.id == unit.id)
            .ok_or_else(|| StoreError::NotFound(format!("unit {}", t.unit_code)))?;
        let child_ixs: Vec<usize> = if unit.level < UnitLevel::Commune {
            units
                .iter()
                .enumerate()
                .filter(|(_, u)| u.parent_code.as_ref() == Some(&unit.code))
                .map(|(i, _)| i)
                .collect()
        } else {
            Vec::new()
        };
        let (progress, held_back) = if child_ixs.is_empty() {
            let p = progress_of(me).ok_or_else(|| {
                StoreError::Invalid(format!("no rule set applies to {} on {today}", t.unit_code))
            })?;
            (p, Vec::new())
        } else {
            let children: Vec<ChildProgress> = child_ixs
                .iter()
                .enumerate()
                .filter_map(|(k, &i)| progress_of(i).map(|p| p.as_child(k as u32)))
                .collect();
            let p = targets::parent_progress(&t.target, today, &hist_of(me), &children);
            let held = p
                .held_back_by
                .iter()
                .filter_map(|&k| {
                    let c = children.iter().find(|c| c.unit == k)?;
                    let u = &units[child_ixs[k as usize]];
                    Some(HeldBack {
                        code: u.code.to_string(),
                        name: u.name.clone(),
                        level: c.level,
                        earliest: c.earliest,
                    })
                })
                .collect();
            (p, held)
        };
        Ok(TargetView {
            target: t,
            today,
            progress,
            held_back,
        })
    }

    /// The targets of a unit with their progress on `today`.
    pub async fn target_views(&self, unit: &Unit, today: NaiveDate) -> Result<Vec<TargetView>> {
        let mut out = Vec::new();
        for t in self.targets_of(unit).await? {
            out.push(self.target_progress(t, today).await?);
        }
        Ok(out)
    }
}
