//! The green-zone lifecycle stored per unit (the pure state machine is
//! `vx_rules::zone::GreenZone`), the register of heads of units, and the accountability
//! reviews opened when a recognised green zone is broken.
//!
//! * `green_zones`: the current record of each unit that ever left "not green" (JSON of
//!   `GreenZone`), with its state name for queries.
//! * `green_zone_events`: every accepted event that changed a state (assessments that change
//!   nothing are not kept), with who and when.
//! * `unit_heads`: name, title and term of office of the heads of a unit.
//! * `accountability_reviews`: opened automatically, naming the heads in office that day;
//!   status `open` → `in-progress` → `closed`, notes and outcome.
//!
//! A new community case reaches the lifecycle through [`Store::after_case_confirmed`], called
//! by case confirmation, which also re-classifies what the case affects.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use vx_domain::epi::{Case, CaseSource};
use vx_domain::{Unit, UnitLevel};
use vx_rules::zone::{Decision, Effect, GreenZone, StateName, Step, ZoneEvent};
use vx_rules::{green_zone_check, Kind, RuleSet};

use crate::{audit_log, path_end, with_pool, Actor, Result, Store, StoreError};

/// A stored lifecycle event.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneEventRow {
    pub id: i64,
    pub day: NaiveDate,
    pub event: ZoneEvent,
    pub from: StateName,
    pub to: StateName,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// A head of a unit (chair of the People's Committee, party secretary...), with a term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitHead {
    pub id: i64,
    pub unit_id: i64,
    pub name: String,
    pub title: String,
    pub term_from: NaiveDate,
    /// Last day in office (inclusive); `None`: still in office.
    pub term_to: Option<NaiveDate>,
}

/// A head to register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewHead {
    pub name: String,
    pub title: String,
    pub term_from: NaiveDate,
    pub term_to: Option<NaiveDate>,
}

impl NewHead {
    fn check(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(StoreError::Invalid("name: required".into()));
        }
        if self.title.trim().is_empty() {
            return Err(StoreError::Invalid("title: required".into()));
        }
        if self.term_to.is_some_and(|t| t < self.term_from) {
            return Err(StoreError::Invalid(
                "term_to: the term ends before it starts".into(),
            ));
        }
        Ok(())
    }
}

/// Where an accountability review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewStatus {
    Open,
    InProgress,
    Closed,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Open => "open",
            ReviewStatus::InProgress => "in-progress",
            ReviewStatus::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<ReviewStatus> {
        match s.trim() {
            "open" => Some(ReviewStatus::Open),
            "in-progress" => Some(ReviewStatus::InProgress),
            "closed" => Some(ReviewStatus::Closed),
            _ => None,
        }
    }
    /// Vietnamese name.
    pub fn name_vi(self) -> &'static str {
        match self {
            ReviewStatus::Open => "mới mở",
            ReviewStatus::InProgress => "đang xem xét",
            ReviewStatus::Closed => "đã kết luận",
        }
    }
}

/// An accountability review of a broken green zone.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    /// The day of the case that broke the zone.
    pub opened_on: NaiveDate,
    /// The case, e.g. "#123".
    pub case_ref: String,
    /// The recognition that was broken.
    pub decision: Decision,
    /// The heads in office on `opened_on`.
    pub heads: Vec<UnitHead>,
    pub status: ReviewStatus,
    pub notes: String,
    pub outcome: String,
    pub updated_at: DateTime<Utc>,
}

/// A change to a review.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReviewUpdate {
    pub status: ReviewStatus,
    pub notes: String,
    pub outcome: String,
}

/// A unit's green-zone record with its events.
#[derive(Debug, Clone, Serialize)]
pub struct GreenZoneView {
    pub unit_id: i64,
    pub record: GreenZone,
    pub events: Vec<ZoneEventRow>,
}

/// A green-zone assessment of one unit on one day that changed its state.
#[derive(Debug, Clone, Serialize)]
pub struct AssessedStep {
    pub unit: Unit,
    pub step: Step,
}

type HeadRow = (i64, i64, String, String, NaiveDate, Option<NaiveDate>);
type ReviewRow = (
    i64,
    i64,
    String,
    String,
    NaiveDate,
    String,
    String,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
);
type EventRow = (
    i64,
    NaiveDate,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
);

const REVIEW_COLUMNS: &str =
    "r.id, r.unit_id, u.code, u.name, r.opened_on, r.case_ref, r.decision, \
     r.heads, r.status, r.notes, r.outcome, r.updated_at";

fn head_from(r: HeadRow) -> UnitHead {
    UnitHead {
        id: r.0,
        unit_id: r.1,
        name: r.2,
        title: r.3,
        term_from: r.4,
        term_to: r.5,
    }
}

fn bad_json(e: serde_json::Error) -> StoreError {
    StoreError::Invalid(format!("stored lifecycle data is not valid: {e}"))
}

fn review_from(r: ReviewRow) -> Result<Review> {
    Ok(Review {
        id: r.0,
        unit_id: r.1,
        unit_code: r.2,
        unit_name: r.3,
        opened_on: r.4,
        case_ref: r.5,
        decision: serde_json::from_str(&r.6).map_err(bad_json)?,
        heads: serde_json::from_str(&r.7).map_err(bad_json)?,
        status: ReviewStatus::parse(&r.8).unwrap_or(ReviewStatus::Open),
        notes: r.9,
        outcome: r.10,
        updated_at: r.11,
    })
}

fn state_str(s: StateName) -> &'static str {
    match s {
        StateName::NotGreen => "not_green",
        StateName::Candidate => "candidate",
        StateName::Recognised => "recognised",
        StateName::Broken => "broken",
        StateName::Restoring => "restoring",
    }
}

fn state_of(s: &str) -> StateName {
    match s {
        "candidate" => StateName::Candidate,
        "recognised" => StateName::Recognised,
        "broken" => StateName::Broken,
        "restoring" => StateName::Restoring,
        _ => StateName::NotGreen,
    }
}

/// The green-zone regulation that assesses `unit`: a green-zone rule set assigned to it or an
/// ancestor (nearest first), else the built-in template.
fn regulation_for<'a>(
    unit: &Unit,
    assigned: &HashMap<String, String>,
    sets: &'a [RuleSet],
) -> Option<&'a RuleSet> {
    let is_gz = |s: &&RuleSet| matches!(s.kind, Kind::GreenZone(_));
    for code in unit.path.split('/').filter(|c| !c.is_empty()).rev() {
        if let Some(id) = assigned.get(code) {
            if let Some(s) = sets.iter().filter(is_gz).find(|s| &s.id == id) {
                return Some(s);
            }
        }
    }
    sets.iter().filter(is_gz).find(|s| s.id == "green-zone")
}

impl Store {
    /// The green-zone record of a unit (not green when none is stored).
    pub async fn green_zone(&self, unit: &Unit) -> Result<GreenZone> {
        let row: Option<(String,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT record FROM green_zones WHERE unit_id = $1",
        ).bind(unit.id).fetch_optional(p).await?);
        match row {
            Some((r,)) => serde_json::from_str(&r).map_err(bad_json),
            None => Ok(GreenZone::new()),
        }
    }

    /// The record and the events of a unit, oldest event first.
    pub async fn green_zone_view(&self, unit: &Unit) -> Result<GreenZoneView> {
        let record = self.green_zone(unit).await?;
        let rows: Vec<EventRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, day, event, from_state, to_state, actor, at FROM green_zone_events \
             WHERE unit_id = $1 ORDER BY day, id",
        ).bind(unit.id).fetch_all(p).await?);
        let events = rows
            .into_iter()
            .map(|r| {
                Ok(ZoneEventRow {
                    id: r.0,
                    day: r.1,
                    event: serde_json::from_str(&r.2).map_err(bad_json)?,
                    from: state_of(&r.3),
                    to: state_of(&r.4),
                    actor: r.5,
                    at: r.6,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(GreenZoneView {
            unit_id: unit.id,
            record,
            events,
        })
    }

    /// Units of a subtree in a lifecycle state, by path.
    pub async fn green_zones_under(
        &self,
        root: &Unit,
        state: StateName,
    ) -> Result<Vec<(Unit, GreenZone)>> {
        let rows: Vec<(i64, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT g.unit_id, g.record FROM green_zones g JOIN units u ON u.id = g.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND g.state = $3 ORDER BY u.path",
        ).bind(&root.path).bind(path_end(&root.path)).bind(state_str(state)).fetch_all(p).await?);
        let mut out = Vec::with_capacity(rows.len());
        for (id, rec) in rows {
            if let Some(u) = self.unit_by_id(id).await? {
                out.push((u, serde_json::from_str(&rec).map_err(bad_json)?));
            }
        }
        Ok(out)
    }

    /// Applies one event to a unit's record in one transaction (record, event row, audit, and
    /// an accountability review when a recognised zone breaks). A refusal is a conflict with
    /// the refusal's sentence. Steps that change neither state nor record are not stored.
    pub async fn apply_zone_event(
        &self,
        actor: &Actor,
        unit: &Unit,
        event: &ZoneEvent,
    ) -> Result<Step> {
        let current = self.green_zone(unit).await?;
        let (next, step) = current
            .step(event)
            .map_err(|r| StoreError::Conflict(r.to_string()))?;
        if step.from == step.to && next.state == current.state {
            return Ok(step);
        }
        let heads = match step.effects.first() {
            Some(Effect::OpenAccountabilityReview { date, .. }) => {
                self.heads_in_office(unit, *date).await?
            }
            None => Vec::new(),
        };
        let record = serde_json::to_string(&next).expect("record serialises");
        let ev = serde_json::to_string(event).expect("event serialises");
        let now = Utc::now();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO green_zones (unit_id, state, record, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (unit_id) DO UPDATE SET state = excluded.state, record = excluded.record, \
                 updated_at = excluded.updated_at",
            ).bind(unit.id).bind(state_str(step.to)).bind(&record).bind(now).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO green_zone_events (unit_id, day, event, from_state, to_state, actor, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            ).bind(unit.id).bind(step.date).bind(&ev).bind(state_str(step.from)).bind(state_str(step.to))
            .bind(&actor.name).bind(now).execute(&mut *tx).await?;
            audit_log!(tx, actor, "transition", "green_zones", unit.code.as_str(), Some(&current), Some(&next));
            for effect in &step.effects {
                let Effect::OpenAccountabilityReview { date, case_id, decision } = effect;
                let case_ref = format!("#{case_id}");
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO accountability_reviews (unit_id, opened_on, case_ref, decision, heads, \
                     status, notes, outcome, updated_at) VALUES ($1, $2, $3, $4, $5, 'open', '', '', $6) RETURNING id",
                ).bind(unit.id).bind(*date).bind(&case_ref)
                .bind(serde_json::to_string(decision).expect("decision serialises"))
                .bind(serde_json::to_string(&heads).expect("heads serialise")).bind(now)
                .fetch_one(&mut *tx).await?;
                let after = serde_json::json!({"unit": unit.code.as_str(), "opened_on": date,
                    "case": case_ref, "decision": decision, "heads": heads});
                audit_log!(tx, actor, "open", "accountability_reviews", id, None::<&()>, Some(&after));
            }
            tx.commit().await?;
        });
        Ok(step)
    }

    /// Recognises a unit as a green zone (the caller checks that the actor is of the level
    /// above). Refused unless the unit is a candidate, or restoring with its criteria met.
    pub async fn recognise_green_zone(
        &self,
        actor: &Actor,
        unit: &Unit,
        decision: Decision,
    ) -> Result<Step> {
        if decision.number.trim().is_empty() {
            return Err(StoreError::Invalid("decision number: required".into()));
        }
        self.apply_zone_event(actor, unit, &ZoneEvent::Recognise { decision })
            .await
    }

    /// Assesses the communes of `root`'s subtree against their green-zone regulation (assigned,
    /// else the built-in template) for each day `from..=to`, and stores the state changes.
    /// Days before a regulation takes effect are not assessed. Returns the changes in date
    /// then path order.
    pub async fn assess_green_zones(
        &self,
        actor: &Actor,
        root: &Unit,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<AssessedStep>> {
        let sets = self.rule_sets().await?;
        let assigned: HashMap<String, String> = {
            let mut rows: Vec<(String, String, NaiveDate)> = with_pool!(self, p => sqlx::query_as(
                "SELECT unit_code, rule_set_id, from_date FROM rule_assignments WHERE from_date <= $1 \
                 ORDER BY from_date",
            ).bind(to).fetch_all(p).await?);
            rows.retain(|r| {
                sets.iter()
                    .any(|s| s.id == r.1 && matches!(s.kind, Kind::GreenZone(_)))
            });
            rows.into_iter().map(|(c, id, _)| (c, id)).collect()
        };
        let batch = self.zone_batch(root, from, to).await?;
        let mut out = Vec::new();
        let mut records: HashMap<i64, GreenZone> = HashMap::new();
        for (k, inds) in batch.days.iter().enumerate() {
            let day = batch.from + chrono::Days::new(k as u64);
            for (i, u) in batch.units.iter().enumerate() {
                if u.level != UnitLevel::Commune {
                    continue;
                }
                let Some(rs) = regulation_for(u, &assigned, &sets) else {
                    continue;
                };
                if !rs.in_force_on(day) {
                    continue;
                }
                let Some((candidate, _)) = green_zone_check(rs, &inds[i]) else {
                    continue;
                };
                let current = match records.get(&u.id) {
                    Some(r) => r.clone(),
                    None => self.green_zone(u).await?,
                };
                let event = ZoneEvent::Assessed {
                    date: day,
                    candidate,
                };
                let Ok((next, step)) = current.step(&event) else {
                    records.insert(u.id, current);
                    continue;
                };
                if next.state != current.state {
                    let step = self.apply_zone_event(actor, u, &event).await?;
                    out.push(AssessedStep {
                        unit: u.clone(),
                        step,
                    });
                    records.insert(u.id, self.green_zone(u).await?);
                } else {
                    let _ = step;
                    records.insert(u.id, current);
                }
            }
        }
        Ok(out)
    }

    /// Applies the community cases confirmed on `day` in `root`'s subtree to the green-zone
    /// records of their units and ancestors (in the order of the cases): a recognised zone
    /// breaks and a review opens. Used when replaying a period whose cases were entered
    /// before the lifecycle was kept; live cases go through [`Store::after_case_confirmed`].
    pub async fn apply_cases_to_green_zones(
        &self,
        actor: &Actor,
        root: &Unit,
        day: NaiveDate,
    ) -> Result<Vec<(Unit, Step)>> {
        let rows: Vec<(i64, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT c.id, c.unit_id FROM cases c JOIN units u ON u.id = c.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND c.confirmed_on = $3 AND c.source = 'community' \
             ORDER BY c.id",
        ).bind(&root.path).bind(path_end(&root.path)).bind(day).fetch_all(p).await?);
        let mut out = Vec::new();
        for (case_id, unit_id) in rows {
            if let Some(u) = self.unit_by_id(unit_id).await? {
                out.extend(self.case_to_green_zones(actor, &u, day, case_id).await?);
            }
        }
        Ok(out)
    }

    async fn case_to_green_zones(
        &self,
        actor: &Actor,
        unit: &Unit,
        day: NaiveDate,
        case_id: i64,
    ) -> Result<Vec<(Unit, Step)>> {
        let codes: Vec<&str> = unit.path.split('/').filter(|c| !c.is_empty()).collect();
        let mut out = Vec::new();
        for code in codes {
            let Some(u) = self.unit(code).await? else {
                continue;
            };
            let rec = self.green_zone(&u).await?;
            if rec.state.name() == StateName::NotGreen {
                continue;
            }
            // A case entered late still breaks the zone, on the last recorded day.
            let date = rec.last_event.map_or(day, |l| l.max(day));
            let event = ZoneEvent::CommunityCase {
                date,
                case_id: case_id.to_string(),
            };
            let step = self.apply_zone_event(actor, &u, &event).await?;
            out.push((u, step));
        }
        Ok(out)
    }

    /// What a newly confirmed case sets off (called by case confirmation): a community case
    /// moves the green-zone lifecycle of its unit and ancestors (a recognised zone breaks and
    /// an accountability review opens), and re-classifies what the case affects when levels
    /// are kept for that area ([`Store::reclassify_affected`]).
    pub async fn after_case_confirmed(&self, actor: &Actor, case: &Case) -> Result<()> {
        let Some(unit) = self.unit_by_id(case.unit_id).await? else {
            return Ok(());
        };
        if case.source == CaseSource::Community {
            self.case_to_green_zones(actor, &unit, case.confirmed_on, case.id)
                .await?;
        }
        if self.levels_kept_around(&unit).await? {
            self.reclassify_affected(actor, &unit, case.confirmed_on)
                .await?;
        }
        Ok(())
    }

    /// Replays the green-zone lifecycle of `root`'s communes day by day over `from..=to` from
    /// the stored cases and indicators: each day, the community cases of the day (a
    /// recognised zone breaks and a review opens), then the assessment. With `recognise`
    /// (the user of the level above and the name of its body), every unit that becomes a
    /// candidate, or whose criteria are met again while restoring, is recognised the same day
    /// with a decision numbered from `first_number` ("245/QĐ-UBND", …): the district that
    /// recognises communes as they qualify. Returns every stored change, in date order.
    pub async fn replay_green_zones(
        &self,
        actor: &Actor,
        root: &Unit,
        from: NaiveDate,
        to: NaiveDate,
        recognise: Option<(&Actor, &str)>,
        first_number: u32,
    ) -> Result<Vec<(Unit, Step)>> {
        let mut out = Vec::new();
        let mut number = first_number;
        let mut day = from;
        while day <= to {
            out.extend(self.apply_cases_to_green_zones(actor, root, day).await?);
            for a in self.assess_green_zones(actor, root, day, day).await? {
                let ready = match self.green_zone(&a.unit).await?.state {
                    vx_rules::zone::ZoneState::Candidate { .. } => true,
                    vx_rules::zone::ZoneState::Restoring { criteria_met, .. } => criteria_met,
                    _ => false,
                };
                let unit = a.unit.clone();
                out.push((a.unit, a.step));
                if let (true, Some((by, body))) = (ready, recognise) {
                    let decision = Decision {
                        number: format!("{number}/QĐ-UBND"),
                        date: day,
                        by: body.to_string(),
                    };
                    number += 1;
                    let step = self.recognise_green_zone(by, &unit, decision).await?;
                    out.push((unit, step));
                }
            }
            day = day.succ_opt().unwrap_or(day);
            if day == NaiveDate::MAX {
                break;
            }
        }
        Ok(out)
    }

    // ---------------------------------------------------------------------------------
    // Heads of units

    /// Registers a head of a unit (audited).
    pub async fn add_unit_head(&self, actor: &Actor, unit: &Unit, h: &NewHead) -> Result<UnitHead> {
        h.check()?;
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO unit_heads (unit_id, name, title, term_from, term_to, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            ).bind(unit.id).bind(h.name.trim()).bind(h.title.trim()).bind(h.term_from).bind(h.term_to)
            .bind(Utc::now()).fetch_one(&mut *tx).await?;
            audit_log!(tx, actor, "create", "unit_heads", id, None::<&()>, Some(h));
            tx.commit().await?;
            id
        });
        self.unit_head(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("head {id}")))
    }

    /// Imports a register of heads (`rows`: row number, unit code, head), all or nothing:
    /// unknown units and invalid rows are refused with their row and column; a head already
    /// registered (same unit, name, title and start of term) is unchanged. One audit entry
    /// for the file. Returns (created, unchanged). With `dry_run`, checks only.
    pub async fn import_unit_heads(
        &self,
        actor: &Actor,
        file_name: &str,
        rows: &[(u32, String, NewHead)],
        dry_run: bool,
    ) -> Result<(u64, u64)> {
        let mut problems = Vec::new();
        let mut clean = Vec::with_capacity(rows.len());
        for (row, code, h) in rows {
            let unit = self.unit(code.trim()).await?;
            if unit.is_none() {
                problems.push(crate::RowProblem::new(
                    *row,
                    "unit_code",
                    format!("unknown unit {:?}", code.trim()),
                ));
            }
            if let Err(StoreError::Invalid(m)) = h.check() {
                let (col, msg) = m.split_once(": ").unwrap_or(("name", m.as_str()));
                problems.push(crate::RowProblem::new(*row, col, msg));
            }
            if let Some(u) = unit {
                clean.push((u, h));
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Rows(problems));
        }
        if dry_run {
            return Ok((0, 0));
        }
        let (mut created, mut unchanged) = (0u64, 0u64);
        let now = Utc::now();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            for (u, h) in &clean {
                let found: Option<(i64,)> = sqlx::query_as(
                    "SELECT id FROM unit_heads WHERE unit_id = $1 AND name = $2 AND title = $3 AND term_from = $4",
                ).bind(u.id).bind(h.name.trim()).bind(h.title.trim()).bind(h.term_from)
                .fetch_optional(&mut *tx).await?;
                if found.is_some() {
                    unchanged += 1;
                    continue;
                }
                sqlx::query(
                    "INSERT INTO unit_heads (unit_id, name, title, term_from, term_to, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                ).bind(u.id).bind(h.name.trim()).bind(h.title.trim()).bind(h.term_from).bind(h.term_to)
                .bind(now).execute(&mut *tx).await?;
                created += 1;
            }
            let after = serde_json::json!({"file": file_name, "created": created, "unchanged": unchanged});
            audit_log!(tx, actor, "import", "unit_heads", file_name, None::<&()>, Some(&after));
            tx.commit().await?;
        });
        Ok((created, unchanged))
    }

    /// One head.
    pub async fn unit_head(&self, id: i64) -> Result<Option<UnitHead>> {
        let row: Option<HeadRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, unit_id, name, title, term_from, term_to FROM unit_heads WHERE id = $1",
        ).bind(id).fetch_optional(p).await?);
        Ok(row.map(head_from))
    }

    /// Changes a head's name, title or term (audited with the previous values).
    pub async fn update_unit_head(&self, actor: &Actor, id: i64, h: &NewHead) -> Result<UnitHead> {
        h.check()?;
        let before = self
            .unit_head(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("head {id}")))?;
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "UPDATE unit_heads SET name = $1, title = $2, term_from = $3, term_to = $4 WHERE id = $5",
            ).bind(h.name.trim()).bind(h.title.trim()).bind(h.term_from).bind(h.term_to).bind(id)
            .execute(&mut *tx).await?;
            audit_log!(tx, actor, "update", "unit_heads", id, Some(&before), Some(h));
            tx.commit().await?;
        });
        self.unit_head(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("head {id}")))
    }

    /// Removes a head entered by mistake (audited).
    pub async fn delete_unit_head(&self, actor: &Actor, id: i64) -> Result<()> {
        let before = self
            .unit_head(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("head {id}")))?;
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM unit_heads WHERE id = $1").bind(id).execute(&mut *tx).await?;
            audit_log!(tx, actor, "delete", "unit_heads", id, Some(&before), None::<&()>);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The heads of a unit, by start of term.
    pub async fn unit_heads(&self, unit: &Unit) -> Result<Vec<UnitHead>> {
        let rows: Vec<HeadRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, unit_id, name, title, term_from, term_to FROM unit_heads WHERE unit_id = $1 \
             ORDER BY term_from, id",
        ).bind(unit.id).fetch_all(p).await?);
        Ok(rows.into_iter().map(head_from).collect())
    }

    /// The heads of a unit in office on a day.
    pub async fn heads_in_office(&self, unit: &Unit, day: NaiveDate) -> Result<Vec<UnitHead>> {
        let rows: Vec<HeadRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, unit_id, name, title, term_from, term_to FROM unit_heads WHERE unit_id = $1 \
             AND term_from <= $2 AND (term_to IS NULL OR term_to >= $2) ORDER BY term_from, id",
        ).bind(unit.id).bind(day).fetch_all(p).await?);
        Ok(rows.into_iter().map(head_from).collect())
    }

    // ---------------------------------------------------------------------------------
    // Accountability reviews

    /// One review.
    pub async fn review(&self, id: i64) -> Result<Option<Review>> {
        let sql = format!(
            "SELECT {REVIEW_COLUMNS} FROM accountability_reviews r JOIN units u ON u.id = r.unit_id \
             WHERE r.id = $1"
        );
        let row: Option<ReviewRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        row.map(review_from).transpose()
    }

    /// Reviews of a unit, latest first.
    pub async fn reviews_of(&self, unit: &Unit) -> Result<Vec<Review>> {
        let sql = format!(
            "SELECT {REVIEW_COLUMNS} FROM accountability_reviews r JOIN units u ON u.id = r.unit_id \
             WHERE r.unit_id = $1 ORDER BY r.opened_on DESC, r.id DESC"
        );
        let rows: Vec<ReviewRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(unit.id).fetch_all(p).await?);
        rows.into_iter().map(review_from).collect()
    }

    /// Reviews not closed of the units under a materialised path (e.g. "/83/831/"), oldest
    /// first: for dashboards.
    pub async fn open_reviews_under(&self, path: &str) -> Result<Vec<Review>> {
        let sql = format!(
            "SELECT {REVIEW_COLUMNS} FROM accountability_reviews r JOIN units u ON u.id = r.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND r.status <> 'closed' ORDER BY r.opened_on, r.id"
        );
        let rows: Vec<ReviewRow> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(path).bind(path_end(path)).fetch_all(p).await?);
        rows.into_iter().map(review_from).collect()
    }

    /// Records the progress of a review: status, notes, outcome (audited). A closed review
    /// needs an outcome.
    pub async fn update_review(&self, actor: &Actor, id: i64, u: &ReviewUpdate) -> Result<Review> {
        let before = self
            .review(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("review {id}")))?;
        if u.status == ReviewStatus::Closed && u.outcome.trim().is_empty() {
            return Err(StoreError::Invalid(
                "outcome: a closed review needs an outcome".into(),
            ));
        }
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "UPDATE accountability_reviews SET status = $1, notes = $2, outcome = $3, updated_at = $4 \
                 WHERE id = $5",
            ).bind(u.status.as_str()).bind(u.notes.trim()).bind(u.outcome.trim()).bind(Utc::now()).bind(id)
            .execute(&mut *tx).await?;
            let b = serde_json::json!({"status": before.status, "notes": before.notes, "outcome": before.outcome});
            audit_log!(tx, actor, "update", "accountability_reviews", id, Some(&b), Some(u));
            tx.commit().await?;
        });
        self.review(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("review {id}")))
    }
}
