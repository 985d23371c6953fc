//! Zone status storage: rule sets, assignments, indicators, daily levels with reasons (issue 4).
//!
//! * `rule_sets`: the TOML text of every rule set version (built-ins inserted when absent).
//! * `rule_assignments`: a rule set assigned to a unit (and its subtree) from a date; without
//!   one, the rule set in force by its own dates (`vx_rules::in_force`).
//! * `unit_adjacency`: borders between units (symmetric, stored once with `code_a < code_b`).
//! * `capacity_flags`: treatment capacity met or not, per unit and day (carried forward).
//! * `vaccinations`: doses per person.
//! * `zone_levels`: per unit and day, the rule set, level, level in force, announcement,
//!   method, incomplete flag and the reasons (compact JSON of `vx_rules::Reasons`).
//!
//! * `green_zones`, `green_zone_events`, `unit_heads`, `accountability_reviews`: the
//!   green-zone lifecycle per unit, the heads of units and the reviews (see `lifecycle`).
//! * `measure_overrides`, `zone_targets`: local measure overrides and targets (see `local`).
//!
//! Indicators are computed in bulk for a whole subtree and date range (see `indicators`).

use chrono::{Days, NaiveDate, Utc};
use serde::Serialize;
use vx_domain::Unit;
use vx_rules::{Announcement, Level, Method, Outcome, Reasons, RuleSet};

use crate::{audit_log, path_end, with_pool, Actor, Result, Store, StoreError};

/// The rule engine, for callers of zone status that do not depend on it directly.
pub use vx_rules as rules;

mod classify;
mod indicators;
mod lifecycle;
mod local;
mod vaccinations;

pub use classify::{ClassifySummary, Comparison, Run};
pub use indicators::ZoneBatch;
pub use lifecycle::{
    AssessedStep, GreenZoneView, NewHead, Review, ReviewStatus, ReviewUpdate, UnitHead,
    ZoneEventRow,
};
pub use local::{HeldBack, StoredOverride, StoredTarget, TargetView};
pub use vaccinations::{DosePerson, NewDose};

/// A stored rule set version.
#[derive(Debug, Clone, Serialize)]
pub struct StoredRuleSet {
    pub id: String,
    pub version: u32,
    pub name: String,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub builtin: bool,
    /// The TOML text.
    pub body: String,
}

/// A stored level of one unit on one day.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneStatus {
    pub unit_id: i64,
    pub day: NaiveDate,
    pub rule_set_id: String,
    pub rule_set_version: u32,
    pub outcome: Outcome,
}

/// What an adjacency import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AdjacencySummary {
    pub created: u64,
    pub unchanged: u64,
}

type RuleSetRow = (
    String,
    i64,
    String,
    NaiveDate,
    Option<NaiveDate>,
    bool,
    String,
);

pub(crate) type LevelRow = (
    i64,
    NaiveDate,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<NaiveDate>,
    Option<NaiveDate>,
    String,
    bool,
    String,
);

pub(crate) const LEVEL_COLUMNS: &str =
    "unit_id, day, rule_set_id, rule_set_version, level, in_force, \
     announced_level, announced_on, announced_from, method, incomplete, reasons";

fn level_of(n: i64) -> Level {
    u8::try_from(n)
        .ok()
        .and_then(Level::from_number)
        .unwrap_or(Level::Green)
}

pub(crate) fn status_from(r: LevelRow) -> Result<ZoneStatus> {
    let reasons: Reasons = serde_json::from_str(&r.11)
        .map_err(|e| StoreError::Invalid(format!("stored reasons are not valid: {e}")))?;
    let announced = match (r.6, r.7, r.8) {
        (Some(l), Some(on), Some(from)) => Some(Announcement {
            level: level_of(l),
            announced_on: on,
            effective_from: from,
        }),
        _ => None,
    };
    Ok(ZoneStatus {
        unit_id: r.0,
        day: r.1,
        rule_set_id: r.2,
        rule_set_version: u32::try_from(r.3).unwrap_or(0),
        outcome: Outcome {
            level: level_of(r.4),
            in_force: level_of(r.5),
            announced,
            method: if r.9 == "rollup" {
                Method::Rollup
            } else {
                Method::Criteria
            },
            incomplete: r.10,
            reasons,
        },
    })
}

fn parse_stored(id: &str, version: i64, body: &str) -> Result<RuleSet> {
    vx_rules::load_str(body, &format!("rule set {id} v{version}"))
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

fn next_day(d: NaiveDate) -> NaiveDate {
    d.checked_add_days(Days::new(1)).unwrap_or(d)
}

impl Store {
    /// Inserts the built-in rule sets (`vx_rules::builtins`) whose id and version are absent.
    pub async fn ensure_builtin_rule_sets(&self) -> Result<()> {
        let system = Actor::system("system:builtin-rules");
        for rs in vx_rules::builtins() {
            let body = vx_rules::builtin_text(&rs.id).unwrap_or_default();
            self.insert_rule_set(&system, &rs, body, true).await?;
        }
        Ok(())
    }

    async fn insert_rule_set(
        &self,
        actor: &Actor,
        rs: &RuleSet,
        body: &str,
        builtin: bool,
    ) -> Result<bool> {
        let inserted = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "INSERT INTO rule_sets (id, version, name, kind, effective_from, effective_to, source, \
                 body, builtin, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (id, version) DO NOTHING",
            )
            .bind(&rs.id).bind(i64::from(rs.version)).bind(&rs.name).bind(rs.kind.name())
            .bind(rs.effective_from).bind(rs.effective_to)
            .bind(if builtin { "builtin" } else { "file" })
            .bind(body).bind(builtin).bind(Utc::now())
            .execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                let after = serde_json::json!({"id": rs.id, "version": rs.version, "builtin": builtin});
                audit_log!(tx, actor, "create", "rule_sets", format!("{}@{}", rs.id, rs.version),
                    None::<&()>, Some(&after));
            }
            tx.commit().await?;
            n > 0
        });
        Ok(inserted)
    }

    /// Stores a rule set from its TOML text (validated). A version already stored with the
    /// same text is accepted again; with another text it is a conflict.
    pub async fn save_rule_set(&self, actor: &Actor, body: &str, source: &str) -> Result<RuleSet> {
        let rs =
            vx_rules::load_str(body, source).map_err(|e| StoreError::Invalid(e.to_string()))?;
        if !self.insert_rule_set(actor, &rs, body, false).await? {
            let existing = self.stored_rule_set(&rs.id, rs.version).await?;
            if existing.is_some_and(|e| e.body != body) {
                return Err(StoreError::Conflict(format!(
                    "rule set {} version {} is already stored with another text: raise the version",
                    rs.id, rs.version
                )));
            }
        }
        Ok(rs)
    }

    /// One stored rule set version.
    pub async fn stored_rule_set(&self, id: &str, version: u32) -> Result<Option<StoredRuleSet>> {
        let row: Option<RuleSetRow> = with_pool!(self, p => sqlx::query_as(
                "SELECT id, version, name, effective_from, effective_to, builtin, body FROM rule_sets \
                 WHERE id = $1 AND version = $2",
            ).bind(id).bind(i64::from(version)).fetch_optional(p).await?);
        Ok(row.map(|r| StoredRuleSet {
            id: r.0,
            version: u32::try_from(r.1).unwrap_or(0),
            name: r.2,
            effective_from: r.3,
            effective_to: r.4,
            builtin: r.5,
            body: r.6,
        }))
    }

    /// One stored rule set version, parsed.
    pub async fn rule_set_version(&self, id: &str, version: u32) -> Result<Option<RuleSet>> {
        match self.stored_rule_set(id, version).await? {
            Some(s) => Ok(Some(parse_stored(&s.id, i64::from(s.version), &s.body)?)),
            None => Ok(None),
        }
    }

    /// The latest version of every stored rule set (built-ins inserted first if absent).
    pub async fn rule_sets(&self) -> Result<Vec<RuleSet>> {
        self.ensure_builtin_rule_sets().await?;
        let rows: Vec<(String, i64, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT r.id, r.version, r.body FROM rule_sets r WHERE r.version = \
             (SELECT MAX(x.version) FROM rule_sets x WHERE x.id = r.id) ORDER BY r.effective_from, r.id",
        ).fetch_all(p).await?);
        rows.iter()
            .map(|(id, v, body)| parse_stored(id, *v, body))
            .collect()
    }

    /// Assigns a rule set to a unit and its subtree from a date (audited).
    pub async fn assign_rule_set(
        &self,
        actor: &Actor,
        unit: &Unit,
        rule_set_id: &str,
        from: NaiveDate,
    ) -> Result<()> {
        self.ensure_builtin_rule_sets().await?;
        let known: Option<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT version FROM rule_sets WHERE id = $1 LIMIT 1",
        ).bind(rule_set_id).fetch_optional(p).await?);
        if known.is_none() {
            return Err(StoreError::NotFound(format!("rule set {rule_set_id}")));
        }
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO rule_assignments (unit_code, rule_set_id, from_date, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (unit_code, from_date) DO UPDATE SET \
                 rule_set_id = excluded.rule_set_id, created_at = excluded.created_at",
            ).bind(unit.code.as_str()).bind(rule_set_id).bind(from).bind(Utc::now())
            .execute(&mut *tx).await?;
            let after = serde_json::json!({"unit": unit.code.as_str(), "rule_set": rule_set_id, "from": from});
            audit_log!(tx, actor, "assign", "rule_assignments", unit.code.as_str(), None::<&()>, Some(&after));
            tx.commit().await?;
        });
        Ok(())
    }

    /// Imports borders between units (`code_a`, `code_b`; symmetric; idempotent). Unknown
    /// codes and self-borders are refused with their row numbers (rows from 2, after the
    /// header).
    pub async fn import_adjacency(
        &self,
        actor: &Actor,
        file_name: &str,
        pairs: &[(String, String)],
    ) -> Result<AdjacencySummary> {
        let mut problems = Vec::new();
        let mut clean = Vec::with_capacity(pairs.len());
        for (i, (a, b)) in pairs.iter().enumerate() {
            let row = u32::try_from(i + 2).unwrap_or(u32::MAX);
            let (a, b) = (a.trim(), b.trim());
            let mut ok = true;
            for (col, code) in [("code_a", a), ("code_b", b)] {
                if self.unit(code).await?.is_none() {
                    problems.push(crate::RowProblem::new(
                        row,
                        col,
                        format!("unknown unit {code:?}"),
                    ));
                    ok = false;
                }
            }
            if a == b {
                problems.push(crate::RowProblem::new(
                    row,
                    "code_b",
                    "a unit does not border itself",
                ));
                ok = false;
            }
            if ok {
                clean.push(if a < b { (a, b) } else { (b, a) });
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Rows(problems));
        }
        let mut summary = AdjacencySummary::default();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            for (a, b) in &clean {
                let n = sqlx::query(
                    "INSERT INTO unit_adjacency (code_a, code_b) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                ).bind(a).bind(b).execute(&mut *tx).await?.rows_affected();
                if n > 0 { summary.created += 1 } else { summary.unchanged += 1 }
            }
            let after = serde_json::json!({"file": file_name, "created": summary.created,
                "unchanged": summary.unchanged});
            audit_log!(tx, actor, "import", "unit_adjacency", file_name, None::<&()>, Some(&after));
            tx.commit().await?;
        });
        Ok(summary)
    }

    /// Codes of the units bordering this one.
    pub async fn neighbours(&self, code: &str) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT code_b FROM unit_adjacency WHERE code_a = $1 UNION \
             SELECT code_a FROM unit_adjacency WHERE code_b = $1 ORDER BY 1",
        ).bind(code).fetch_all(p).await?);
        Ok(rows.into_iter().map(|(c,)| c).collect())
    }

    /// Records whether treatment capacity is met in a unit from a day (audited); it holds
    /// until the next flag.
    pub async fn set_capacity(
        &self,
        actor: &Actor,
        unit: &Unit,
        day: NaiveDate,
        met: bool,
        note: &str,
    ) -> Result<()> {
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let before: Option<(bool, String)> = sqlx::query_as(
                "SELECT met, note FROM capacity_flags WHERE unit_id = $1 AND day = $2",
            ).bind(unit.id).bind(day).fetch_optional(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO capacity_flags (unit_id, day, met, note) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (unit_id, day) DO UPDATE SET met = excluded.met, note = excluded.note",
            ).bind(unit.id).bind(day).bind(met).bind(note).execute(&mut *tx).await?;
            let after = serde_json::json!({"unit": unit.code.as_str(), "day": day, "met": met, "note": note});
            audit_log!(tx, actor, "update", "capacity_flags", unit.code.as_str(), before.as_ref(), Some(&after));
            tx.commit().await?;
        });
        Ok(())
    }

    /// The stored level of a unit on a day.
    pub async fn zone_status(&self, unit: &Unit, day: NaiveDate) -> Result<Option<ZoneStatus>> {
        let sql =
            format!("SELECT {LEVEL_COLUMNS} FROM zone_levels WHERE unit_id = $1 AND day = $2");
        let row: Option<LevelRow> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(unit.id).bind(day).fetch_optional(p).await?);
        row.map(status_from).transpose()
    }

    /// Stored levels of a subtree between two days (inclusive), by unit path then day.
    pub async fn zone_levels(
        &self,
        root: &Unit,
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
             WHERE u.path >= $1 AND u.path < $2 AND z.day >= $3 AND z.day <= $4 ORDER BY u.path, z.day"
        );
        let rows: Vec<LevelRow> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(&root.path).bind(path_end(&root.path)).bind(from).bind(to).fetch_all(p).await?);
        rows.into_iter().map(status_from).collect()
    }
}
