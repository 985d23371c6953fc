//! Cases (F0), daily checks, release and outcome; contacts (F1, F2) and their quarantine;
//! work lists; transmission chains; person timelines.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;
use vx_domain::epi::{
    case_source, chain_depth, chain_segment, epi_day, in_force, quarantine_plan, Case, CaseDetails,
    CaseSource, ChainItem, ChainPage, Contact, ContactLevel, ContactSource, ContactStatus,
    DailyCheck, IsolationPlace, LabResult, NewCase, NewContact, Outcome, ProposalStatus,
    QuarantinePlace, QuarantinePlan, Severity, Spo2, TimelineEvent, TimelineKind, WorkItem,
    WorkKind, WorkList,
};
use vx_domain::{vn_date, Unit};

use super::{id_list, invalid, not_found, word, CHUNK};
use crate::{audit_log, path_end, with_pool, Actor, Result, RowProblem, Store, StoreError};

const CASE_SELECT: &str = "SELECT id, person_id, unit_id, confirmed_on, source, severity, place, \
     isolation_start, release_due, released_on, negative_test_on, outcome, outcome_on, proposal_id, \
     sample_id, source_contact_id FROM cases";

const CONTACT_SELECT: &str =
    "SELECT id, person_id, unit_id, level, source_case_id, source_contact_id, \
     exposure_date, place, vaccinated, start_date, end_date, monitoring_end, test_days, rule_from, \
     status, closed_on FROM contacts";

#[derive(sqlx::FromRow)]
pub(super) struct CaseRow {
    id: i64,
    person_id: i64,
    unit_id: i64,
    confirmed_on: NaiveDate,
    source: String,
    severity: String,
    place: String,
    isolation_start: NaiveDate,
    release_due: NaiveDate,
    released_on: Option<NaiveDate>,
    negative_test_on: Option<NaiveDate>,
    outcome: Option<String>,
    outcome_on: Option<NaiveDate>,
    proposal_id: Option<i64>,
    sample_id: Option<i64>,
    source_contact_id: Option<i64>,
}

impl From<CaseRow> for Case {
    fn from(r: CaseRow) -> Case {
        Case {
            id: r.id,
            person_id: r.person_id,
            unit_id: r.unit_id,
            confirmed_on: r.confirmed_on,
            source: word(CaseSource::parse, &r.source),
            severity: word(Severity::parse, &r.severity),
            place: word(IsolationPlace::parse, &r.place),
            isolation_start: r.isolation_start,
            release_due: r.release_due,
            released_on: r.released_on,
            negative_test_on: r.negative_test_on,
            outcome: r.outcome.as_deref().map(|o| word(Outcome::parse, o)),
            outcome_on: r.outcome_on,
            proposal_id: r.proposal_id,
            sample_id: r.sample_id,
            source_contact_id: r.source_contact_id,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: i64,
    person_id: i64,
    unit_id: i64,
    level: String,
    source_case_id: Option<i64>,
    source_contact_id: Option<i64>,
    exposure_date: NaiveDate,
    place: String,
    vaccinated: bool,
    start_date: NaiveDate,
    end_date: NaiveDate,
    monitoring_end: Option<NaiveDate>,
    test_days: String,
    rule_from: NaiveDate,
    status: String,
    closed_on: Option<NaiveDate>,
}

impl From<ContactRow> for Contact {
    fn from(r: ContactRow) -> Contact {
        Contact {
            id: r.id,
            person_id: r.person_id,
            unit_id: r.unit_id,
            level: word(ContactLevel::parse, &r.level),
            source: match (r.source_case_id, r.source_contact_id) {
                (Some(c), _) => ContactSource::Case(c),
                (None, k) => ContactSource::Contact(k.unwrap_or_default()),
            },
            exposure_date: r.exposure_date,
            place: word(QuarantinePlace::parse, &r.place),
            vaccinated: r.vaccinated,
            plan: QuarantinePlan {
                start: r.start_date,
                end: r.end_date,
                home_monitoring_end: r.monitoring_end,
                test_days: serde_json::from_str(&r.test_days).unwrap_or_default(),
                rule_effective_from: r.rule_from,
            },
            status: word(ContactStatus::parse, &r.status),
            closed_on: r.closed_on,
        }
    }
}

/// The epidemiological day today.
fn today() -> NaiveDate {
    vn_date(Utc::now())
}

#[derive(sqlx::FromRow)]
struct WorkRow {
    ref_id: i64,
    day: NaiveDate,
    person_id: i64,
    full_name: String,
    household_code: String,
    unit_code: String,
}

impl WorkRow {
    fn item(self, kind: WorkKind) -> WorkItem {
        WorkItem {
            kind,
            day: self.day,
            person_id: self.person_id,
            person_name: self.full_name,
            household_code: self.household_code,
            unit_code: self.unit_code,
            ref_id: self.ref_id,
        }
    }
}

impl Store {
    // -----------------------------------------------------------------------------------
    // Cases

    pub async fn case(&self, id: i64) -> Result<Option<Case>> {
        let sql = format!("{CASE_SELECT} WHERE id = $1");
        let row: Option<CaseRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(Case::from))
    }

    /// The cases of a person, oldest first.
    pub async fn cases_of(&self, person_id: i64) -> Result<Vec<Case>> {
        let sql = format!("{CASE_SELECT} WHERE person_id = $1 ORDER BY confirmed_on, id");
        let rows: Vec<CaseRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(person_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(Case::from).collect())
    }

    /// Confirms a case (audited). A person in quarantine on the day of confirmation (an open
    /// contact record whose plan covers the day) gets the source "in quarantine" without
    /// retyping, the case joins that contact's transmission chain and the quarantine closes.
    pub async fn confirm_case(&self, actor: &Actor, c: &NewCase) -> Result<Case> {
        let case = self
            .insert_case(actor, c.person_id, &c.details, None, None)
            .await?;
        self.after_case_confirmed(actor, &case).await?; // zone status hook (issue 4)
        Ok(case)
    }

    /// Confirms a case proposed by a positive individual result.
    pub async fn confirm_proposal(
        &self,
        actor: &Actor,
        proposal_id: i64,
        details: &CaseDetails,
    ) -> Result<Case> {
        let p = self
            .case_proposal(proposal_id)
            .await?
            .ok_or_else(|| not_found(format!("case proposal {proposal_id}")))?;
        if p.status != ProposalStatus::Proposed {
            return Err(StoreError::Conflict(format!(
                "case proposal {proposal_id} is {} already",
                p.status
            )));
        }
        let case = self
            .insert_case(actor, p.person_id, details, Some(p.id), Some(p.sample_id))
            .await?;
        self.after_case_confirmed(actor, &case).await?; // zone status hook (issue 4)
        Ok(case)
    }

    /// Rejects a case proposal (audited), e.g. a known case retested.
    pub async fn reject_proposal(&self, actor: &Actor, proposal_id: i64) -> Result<()> {
        let p = self
            .case_proposal(proposal_id)
            .await?
            .ok_or_else(|| not_found(format!("case proposal {proposal_id}")))?;
        if p.status != ProposalStatus::Proposed {
            return Err(StoreError::Conflict(format!(
                "case proposal {proposal_id} is {} already",
                p.status
            )));
        }
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE case_proposals SET status = 'rejected', decided_by = $1, decided_at = $2 WHERE id = $3")
                .bind(&actor.name).bind(Utc::now()).bind(proposal_id).execute(&mut *tx).await?;
            audit_log!(tx, actor, "reject", "case_proposal", proposal_id, Some(&p), None::<&()>);
            tx.commit().await?;
        });
        Ok(())
    }

    async fn insert_case(
        &self,
        actor: &Actor,
        person_id: i64,
        d: &CaseDetails,
        proposal_id: Option<i64>,
        sample_id: Option<i64>,
    ) -> Result<Case> {
        if d.confirmed_on > today() {
            return Err(invalid(format!(
                "confirmed on {} is in the future",
                d.confirmed_on
            )));
        }
        let person = self
            .person(person_id)
            .await?
            .ok_or_else(|| invalid(format!("no person #{person_id}")))?;
        let open: Option<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id FROM cases WHERE person_id = $1 AND released_on IS NULL AND outcome IS NULL",
        ).bind(person_id).fetch_optional(p).await?);
        if let Some((id,)) = open {
            return Err(StoreError::Conflict(format!(
                "{} is already case #{id}, not yet released",
                person.data.full_name
            )));
        }
        let rules = self.release_rules().await?;
        let release_due = in_force(&rules, d.isolation_start)
            .map(|r| r.release_due(d.isolation_start))
            .ok_or_else(|| invalid("no release rule"))?;
        let open_contacts: Vec<Contact> = self
            .contacts_of(person_id)
            .await?
            .into_iter()
            .filter(|c| c.status == ContactStatus::Open)
            .collect();
        let quarantine = open_contacts
            .iter()
            .filter(|c| c.plan.covers(d.confirmed_on))
            .max_by_key(|c| (c.exposure_date, c.id));
        let source = case_source(d.source, quarantine.is_some());
        let parent_path = match quarantine {
            Some(q) => Some(self.contact_chain_path(q.id).await?),
            None => None,
        };
        let counts = match source {
            CaseSource::Community => (1i64, 0i64, 0i64),
            CaseSource::InQuarantine => (0, 1, 0),
            CaseSource::Imported => (0, 0, 1),
        };
        let now = Utc::now();
        let after = serde_json::json!({
            "person_id": person_id, "details": d, "source": source, "release_due": release_due,
            "proposal_id": proposal_id, "quarantine": quarantine.map(|q| q.id),
        });
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO cases (person_id, unit_id, confirmed_on, source, severity, place, isolation_start, \
                 release_due, proposal_id, sample_id, source_contact_id, chain_path, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '', $12) RETURNING id",
            )
            .bind(person_id).bind(person.unit_id).bind(d.confirmed_on).bind(source.as_str())
            .bind(d.severity.as_str()).bind(d.place.as_str()).bind(d.isolation_start).bind(release_due)
            .bind(proposal_id).bind(sample_id).bind(quarantine.map(|q| q.id)).bind(now)
            .fetch_one(&mut *tx).await?;
            let path = format!("{}{}", parent_path.as_deref().unwrap_or("/"), chain_segment(true, id));
            sqlx::query("UPDATE cases SET chain_path = $1 WHERE id = $2")
                .bind(&path).bind(id).execute(&mut *tx).await?;
            for c in &open_contacts {
                sqlx::query("UPDATE contacts SET status = 'became-case', closed_on = $1 WHERE id = $2")
                    .bind(d.confirmed_on).bind(c.id).execute(&mut *tx).await?;
                audit_log!(tx, actor, "close", "contact", c.id, Some(&c.status),
                    Some(&serde_json::json!({ "status": "became-case", "case": id })));
            }
            if let Some(pid) = proposal_id {
                sqlx::query("UPDATE case_proposals SET status = 'confirmed', case_id = $1, decided_by = $2, \
                             decided_at = $3 WHERE id = $4")
                    .bind(id).bind(&actor.name).bind(now).bind(pid).execute(&mut *tx).await?;
                audit_log!(tx, actor, "confirm", "case_proposal", pid, None::<&()>, Some(&id));
            }
            sqlx::query(
                "INSERT INTO case_day_counts (unit_id, day, community, in_quarantine, imported) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (unit_id, day) DO UPDATE SET \
                 community = case_day_counts.community + excluded.community, \
                 in_quarantine = case_day_counts.in_quarantine + excluded.in_quarantine, \
                 imported = case_day_counts.imported + excluded.imported",
            )
            .bind(person.unit_id).bind(d.confirmed_on).bind(counts.0).bind(counts.1).bind(counts.2)
            .execute(&mut *tx).await?;
            audit_log!(tx, actor, "confirm", "case", id, None::<&()>, Some(&after));
            tx.commit().await?;
            id
        });
        self.case(id)
            .await?
            .ok_or_else(|| not_found(format!("case {id}")))
    }

    /// Records (or corrects) a day's check of a case (audited with the previous one).
    pub async fn add_daily_check(
        &self,
        actor: &Actor,
        case_id: i64,
        check: &DailyCheck,
    ) -> Result<()> {
        let case = self
            .case(case_id)
            .await?
            .ok_or_else(|| not_found(format!("case {case_id}")))?;
        if check.day < case.isolation_start || check.day > today() {
            return Err(invalid(format!(
                "a check on {} is outside the isolation (from {} to today)",
                check.day, case.isolation_start
            )));
        }
        if let Some(end) = case.released_on.or(case.outcome_on) {
            if check.day > end {
                return Err(invalid(format!("case #{case_id} was closed on {end}")));
            }
        }
        let before = self
            .daily_checks(case_id)
            .await?
            .into_iter()
            .find(|c| c.day == check.day);
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO daily_checks (case_id, day, symptoms, spo2, checked_by, at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (case_id, day) DO UPDATE SET symptoms = excluded.symptoms, spo2 = excluded.spo2, \
                 checked_by = excluded.checked_by, at = excluded.at",
            )
            .bind(case_id).bind(check.day).bind(check.symptoms.trim())
            .bind(check.spo2.map(|s| i64::from(s.value()))).bind(&actor.name).bind(Utc::now())
            .execute(&mut *tx).await?;
            audit_log!(tx, actor, "check", "case", case_id, before.as_ref(), Some(check));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn daily_checks(&self, case_id: i64) -> Result<Vec<DailyCheck>> {
        let rows: Vec<(NaiveDate, String, Option<i64>)> = with_pool!(self, p => sqlx::query_as(
            "SELECT day, symptoms, spo2 FROM daily_checks WHERE case_id = $1 ORDER BY day",
        ).bind(case_id).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|(day, symptoms, spo2)| DailyCheck {
                day,
                symptoms,
                spo2: spo2
                    .and_then(|s| u8::try_from(s).ok())
                    .and_then(|s| Spo2::new(s).ok()),
            })
            .collect())
    }

    /// Releases a case from isolation by the release rule in force on its first day of
    /// isolation (audited); the outcome becomes "recovered".
    pub async fn release_case(
        &self,
        actor: &Actor,
        case_id: i64,
        on: NaiveDate,
        negative_test_on: Option<NaiveDate>,
    ) -> Result<Case> {
        let case = self
            .case(case_id)
            .await?
            .ok_or_else(|| not_found(format!("case {case_id}")))?;
        if case.released_on.is_some() || case.outcome.is_some() {
            return Err(StoreError::Conflict(format!(
                "case #{case_id} is closed already"
            )));
        }
        let rules = self.release_rules().await?;
        let rule =
            in_force(&rules, case.isolation_start).ok_or_else(|| invalid("no release rule"))?;
        rule.check(case.isolation_start, on, negative_test_on)
            .map_err(|e| invalid(e.to_string()))?;
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE cases SET released_on = $1, negative_test_on = $2, outcome = 'recovered', \
                         outcome_on = $1 WHERE id = $3")
                .bind(on).bind(negative_test_on).bind(case_id).execute(&mut *tx).await?;
            audit_log!(tx, actor, "release", "case", case_id, Some(&case), Some(&serde_json::json!({
                "released_on": on, "negative_test_on": negative_test_on,
                "rule_effective_from": rule.effective_from,
            })));
            tx.commit().await?;
        });
        self.case(case_id)
            .await?
            .ok_or_else(|| not_found(format!("case {case_id}")))
    }

    /// Records the outcome of a case (audited with the previous one).
    pub async fn set_outcome(
        &self,
        actor: &Actor,
        case_id: i64,
        outcome: Outcome,
        on: NaiveDate,
    ) -> Result<Case> {
        let case = self
            .case(case_id)
            .await?
            .ok_or_else(|| not_found(format!("case {case_id}")))?;
        if on < case.confirmed_on.min(case.isolation_start) {
            return Err(invalid(format!("{on} is before the case began")));
        }
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE cases SET outcome = $1, outcome_on = $2 WHERE id = $3")
                .bind(outcome.as_str()).bind(on).bind(case_id).execute(&mut *tx).await?;
            audit_log!(tx, actor, "outcome", "case", case_id,
                Some(&serde_json::json!({ "outcome": case.outcome, "on": case.outcome_on })),
                Some(&serde_json::json!({ "outcome": outcome, "on": on })));
            tx.commit().await?;
        });
        self.case(case_id)
            .await?
            .ok_or_else(|| not_found(format!("case {case_id}")))
    }

    /// New cases per day in a unit's subtree from `from` to `to` (every day, zeros included):
    /// (day, community, in quarantine, imported). Sums the per-unit daily counts kept on
    /// confirmation over the subtree's path range.
    pub async fn community_cases_by_day(
        &self,
        unit: &Unit,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, i64, i64, i64)>> {
        let rows: Vec<(NaiveDate, i64, i64, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT d.day, CAST(SUM(d.community) AS BIGINT), CAST(SUM(d.in_quarantine) AS BIGINT), \
             CAST(SUM(d.imported) AS BIGINT) FROM case_day_counts d JOIN units u ON u.id = d.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND d.day >= $3 AND d.day <= $4 GROUP BY d.day ORDER BY d.day",
        ).bind(&unit.path).bind(path_end(&unit.path)).bind(from).bind(to).fetch_all(p).await?);
        let by_day: HashMap<NaiveDate, (i64, i64, i64)> = rows
            .into_iter()
            .map(|(d, a, b, c)| (d, (a, b, c)))
            .collect();
        let mut out = Vec::new();
        let mut day = from;
        while day <= to {
            let (a, b, c) = by_day.get(&day).copied().unwrap_or_default();
            out.push((day, a, b, c));
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        Ok(out)
    }

    // -----------------------------------------------------------------------------------
    // Contacts

    pub async fn contact(&self, id: i64) -> Result<Option<Contact>> {
        let sql = format!("{CONTACT_SELECT} WHERE id = $1");
        let row: Option<ContactRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(Contact::from))
    }

    /// The contact records of a person, by exposure.
    pub async fn contacts_of(&self, person_id: i64) -> Result<Vec<Contact>> {
        let sql = format!("{CONTACT_SELECT} WHERE person_id = $1 ORDER BY exposure_date, id");
        let rows: Vec<ContactRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(person_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(Contact::from).collect())
    }

    async fn contact_chain_path(&self, id: i64) -> Result<String> {
        let row: Option<(String,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT chain_path FROM contacts WHERE id = $1",
        ).bind(id).fetch_optional(p).await?);
        row.map(|(p,)| p)
            .ok_or_else(|| not_found(format!("contact {id}")))
    }

    /// Records a contact (audited) with its quarantine computed from the rule in force on
    /// the exposure date: start, end, home monitoring and test days.
    pub async fn add_contact(&self, actor: &Actor, c: &NewContact) -> Result<Contact> {
        match self.insert_contacts(actor, std::slice::from_ref(c)).await? {
            Ok(mut v) => Ok(v.remove(0)),
            Err(mut errs) => Err(errs.remove(0).1),
        }
    }

    /// Records many contacts in one transaction, all or nothing: problems are numbered
    /// from 1 in the order given (column "contact"). Sources must be recorded already.
    pub async fn add_contacts(&self, actor: &Actor, cs: &[NewContact]) -> Result<Vec<Contact>> {
        self.insert_contacts(actor, cs).await?.map_err(|errs| {
            StoreError::Rows(
                errs.into_iter()
                    .map(|(i, e)| RowProblem::new(i as u32 + 1, "contact", e.to_string()))
                    .collect(),
            )
        })
    }

    #[allow(clippy::type_complexity)]
    async fn insert_contacts(
        &self,
        actor: &Actor,
        cs: &[NewContact],
    ) -> Result<std::result::Result<Vec<Contact>, Vec<(usize, StoreError)>>> {
        let mut errors: Vec<(usize, StoreError)> = Vec::new();
        let rules = self.quarantine_rules().await?;
        let person_ids: Vec<i64> = cs.iter().map(|c| c.person_id).collect();
        let mut people: HashMap<i64, (i64, bool)> = HashMap::new();
        let mut open: HashSet<(i64, Option<i64>, Option<i64>)> = HashSet::new();
        for chunk in person_ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT id, unit_id, active FROM people WHERE id IN ({})",
                id_list(chunk)
            );
            let rows: Vec<(i64, i64, bool)> =
                with_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
            people.extend(rows.into_iter().map(|(id, u, a)| (id, (u, a))));
            let sql = format!(
                "SELECT person_id, source_case_id, source_contact_id FROM contacts \
                 WHERE status = 'open' AND person_id IN ({})",
                id_list(chunk)
            );
            let rows: Vec<(i64, Option<i64>, Option<i64>)> =
                with_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
            open.extend(rows);
        }
        let case_ids: Vec<i64> = cs
            .iter()
            .filter_map(|c| match c.source {
                ContactSource::Case(id) => Some(id),
                ContactSource::Contact(_) => None,
            })
            .collect();
        let contact_ids: Vec<i64> = cs
            .iter()
            .filter_map(|c| match c.source {
                ContactSource::Contact(id) => Some(id),
                ContactSource::Case(_) => None,
            })
            .collect();
        // source → (person, level ("f0" for cases), chain path)
        let mut sources: HashMap<ContactSource, (i64, String, String)> = HashMap::new();
        for chunk in case_ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT id, person_id, chain_path FROM cases WHERE id IN ({})",
                id_list(chunk)
            );
            let rows: Vec<(i64, i64, String)> =
                with_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
            for (id, person, path) in rows {
                sources.insert(ContactSource::Case(id), (person, "f0".into(), path));
            }
        }
        for chunk in contact_ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT id, person_id, level, chain_path FROM contacts WHERE id IN ({})",
                id_list(chunk)
            );
            let rows: Vec<(i64, i64, String, String)> =
                with_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
            for (id, person, level, path) in rows {
                sources.insert(ContactSource::Contact(id), (person, level, path));
            }
        }
        struct Plan<'a> {
            c: &'a NewContact,
            unit_id: i64,
            plan: QuarantinePlan,
            parent: String,
        }
        let mut plans: Vec<Plan> = Vec::with_capacity(cs.len());
        let mut in_batch: HashSet<(i64, ContactSource)> = HashSet::new();
        for (i, c) in cs.iter().enumerate() {
            if let Err(e) = c.validate() {
                errors.push((i, invalid(e)));
                continue;
            }
            let Some(&(unit_id, active)) = people.get(&c.person_id) else {
                errors.push((i, invalid(format!("no person #{}", c.person_id))));
                continue;
            };
            if !active {
                errors.push((
                    i,
                    invalid(format!("person #{} is no longer active", c.person_id)),
                ));
                continue;
            }
            let Some((source_person, source_level, parent)) = sources.get(&c.source) else {
                let what = match c.source {
                    ContactSource::Case(id) => format!("no case #{id}"),
                    ContactSource::Contact(id) => format!("no contact #{id}"),
                };
                errors.push((i, invalid(what)));
                continue;
            };
            if c.level == ContactLevel::F2 && source_level != "f1" {
                errors.push((i, invalid("an F2's source must be an F1's contact record")));
                continue;
            }
            if *source_person == c.person_id {
                errors.push((i, invalid("a person is not their own contact")));
                continue;
            }
            let key = match c.source {
                ContactSource::Case(id) => (c.person_id, Some(id), None),
                ContactSource::Contact(id) => (c.person_id, None, Some(id)),
            };
            if open.contains(&key) || !in_batch.insert((c.person_id, c.source)) {
                errors.push((
                    i,
                    StoreError::Conflict(format!(
                        "person #{} is already in quarantine as a contact of this source",
                        c.person_id
                    )),
                ));
                continue;
            }
            let Some(plan) =
                quarantine_plan(&rules, c.level, c.exposure_date, c.place, c.vaccinated)
            else {
                errors.push((i, invalid("no quarantine rule")));
                continue;
            };
            plans.push(Plan {
                c,
                unit_id,
                plan,
                parent: parent.clone(),
            });
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let now = Utc::now();
        let (mut min_day, mut max_day) = (NaiveDate::MAX, NaiveDate::MIN);
        for p in &plans {
            for d in &p.plan.test_days {
                min_day = min_day.min(*d);
                max_day = max_day.max(*d);
            }
        }
        let ids = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let mut ids = Vec::with_capacity(plans.len());
            for pl in &plans {
                    let (case_id, contact_id) = match pl.c.source {
                        ContactSource::Case(id) => (Some(id), None),
                        ContactSource::Contact(id) => (None, Some(id)),
                    };
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO contacts (person_id, unit_id, level, source_case_id, source_contact_id, \
                         exposure_date, place, vaccinated, start_date, end_date, monitoring_end, test_days, \
                         rule_from, status, chain_path, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'open', '', $14) RETURNING id",
                    )
                    .bind(pl.c.person_id).bind(pl.unit_id).bind(pl.c.level.as_str()).bind(case_id)
                    .bind(contact_id).bind(pl.c.exposure_date).bind(pl.c.place.as_str()).bind(pl.c.vaccinated)
                    .bind(pl.plan.start).bind(pl.plan.end).bind(pl.plan.home_monitoring_end)
                    .bind(serde_json::to_string(&pl.plan.test_days).expect("dates serialise"))
                    .bind(pl.plan.rule_effective_from).bind(now)
                    .fetch_one(&mut *tx).await?;
                    sqlx::query("UPDATE contacts SET chain_path = $1 WHERE id = $2")
                        .bind(format!("{}{}", pl.parent, chain_segment(false, id))).bind(id)
                        .execute(&mut *tx).await?;
                    if !pl.plan.test_days.is_empty() {
                        let mut qb = QueryBuilder::new(
                            "INSERT INTO contact_tests (contact_id, day, person_id, unit_id) ",
                        );
                        qb.push_values(&pl.plan.test_days, |mut b, day| {
                            b.push_bind(id).push_bind(*day).push_bind(pl.c.person_id).push_bind(pl.unit_id);
                        });
                        qb.build().execute(&mut *tx).await?;
                    }
                    audit_log!(tx, actor, "create", "contact", id, None::<&()>,
                        Some(&serde_json::json!({ "contact": pl.c, "plan": pl.plan })));
                    ids.push(id);
                }
            if let (true, Some(&first)) = (min_day <= max_day, ids.first()) {
                mark_contact_tests!(tx, min_day, max_day, first);
            }
            tx.commit().await?;
            ids
        });
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(
                self.contact(id)
                    .await?
                    .ok_or_else(|| not_found(format!("contact {id}")))?,
            );
        }
        Ok(Ok(out))
    }

    /// Ends a quarantine (audited).
    pub async fn end_quarantine(
        &self,
        actor: &Actor,
        contact_id: i64,
        on: NaiveDate,
    ) -> Result<Contact> {
        let c = self
            .contact(contact_id)
            .await?
            .ok_or_else(|| not_found(format!("contact {contact_id}")))?;
        if c.status != ContactStatus::Open {
            return Err(StoreError::Conflict(format!(
                "the quarantine of contact #{contact_id} is {} already",
                c.status
            )));
        }
        if on < c.plan.start {
            return Err(invalid(format!(
                "{on} is before the quarantine began ({})",
                c.plan.start
            )));
        }
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE contacts SET status = 'released', closed_on = $1 WHERE id = $2")
                .bind(on).bind(contact_id).execute(&mut *tx).await?;
            audit_log!(tx, actor, "release", "contact", contact_id, Some(&c.status),
                Some(&serde_json::json!({ "status": "released", "on": on })));
            tx.commit().await?;
        });
        self.contact(contact_id)
            .await?
            .ok_or_else(|| not_found(format!("contact {contact_id}")))
    }

    // -----------------------------------------------------------------------------------
    // Work lists

    /// What a unit's teams must do on `day`: quarantine tests due and not yet sampled,
    /// quarantines ending, overdue tests and quarantines, open retest orders.
    pub async fn work_list(&self, unit: &Unit, day: NaiveDate) -> Result<WorkList> {
        let (from, to) = (unit.path.as_str(), path_end(&unit.path));
        let tests: Vec<WorkRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT t.contact_id AS ref_id, t.day, t.person_id, x.full_name, h.code AS household_code, \
             u.code AS unit_code FROM units u JOIN contact_tests t ON t.unit_id = u.id \
             JOIN contacts c ON c.id = t.contact_id JOIN people x ON x.id = t.person_id \
             JOIN households h ON h.id = x.household_id \
             WHERE u.path >= $1 AND u.path < $2 AND t.day <= $3 AND t.sample_id IS NULL AND c.status = 'open' \
             ORDER BY t.day, h.code, x.name_folded, t.contact_id",
        ).bind(from).bind(&to).bind(day).fetch_all(p).await?);
        let ends: Vec<WorkRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT c.id AS ref_id, c.end_date AS day, c.person_id, x.full_name, h.code AS household_code, \
             u.code AS unit_code FROM units u JOIN contacts c ON c.unit_id = u.id \
             JOIN people x ON x.id = c.person_id JOIN households h ON h.id = x.household_id \
             WHERE u.path >= $1 AND u.path < $2 AND c.status = 'open' AND c.end_date <= $3 \
             ORDER BY c.end_date, h.code, x.name_folded, c.id",
        ).bind(from).bind(&to).bind(day).fetch_all(p).await?);
        #[derive(sqlx::FromRow)]
        struct RetestRow {
            ref_id: i64,
            created_at: DateTime<Utc>,
            person_id: i64,
            full_name: String,
            household_code: String,
            unit_code: String,
        }
        let retests: Vec<RetestRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT r.id AS ref_id, r.created_at, r.person_id, x.full_name, h.code AS household_code, \
             u.code AS unit_code FROM units u JOIN retest_orders r ON r.unit_id = u.id \
             JOIN people x ON x.id = r.person_id JOIN households h ON h.id = x.household_id \
             WHERE u.path >= $1 AND u.path < $2 AND r.status = 'open' ORDER BY h.code, x.name_folded, r.id",
        ).bind(from).bind(&to).fetch_all(p).await?);
        let mut list = WorkList::default();
        for t in tests {
            if t.day == day {
                list.tests_due_today.push(t.item(WorkKind::ContactTest));
            } else {
                list.overdue.push(t.item(WorkKind::ContactTest));
            }
        }
        for e in ends {
            if e.day == day {
                list.quarantines_ending
                    .push(e.item(WorkKind::QuarantineEnd));
            } else {
                list.overdue.push(e.item(WorkKind::QuarantineEnd));
            }
        }
        list.overdue.sort_by_key(|w| w.day);
        list.retests = retests
            .into_iter()
            .map(|r| WorkItem {
                kind: WorkKind::Retest,
                day: epi_day(r.created_at),
                person_id: r.person_id,
                person_name: r.full_name,
                household_code: r.household_code,
                unit_code: r.unit_code,
                ref_id: r.ref_id,
            })
            .collect();
        Ok(list)
    }

    // -----------------------------------------------------------------------------------
    // Transmission chains

    /// A page of the transmission chain below a case, depth-first (the case, its contacts,
    /// their contacts and the cases they became ...), after the cursor of the previous page.
    /// Keyset paging over the chain path: each page is one index range.
    pub async fn chain(&self, case_id: i64, after: Option<&str>, limit: i64) -> Result<ChainPage> {
        let root: Option<(String,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT chain_path FROM cases WHERE id = $1",
        ).bind(case_id).fetch_optional(p).await?);
        let (root,) = root.ok_or_else(|| not_found(format!("case {case_id}")))?;
        let end = path_end(&root);
        let after = after.unwrap_or("");
        let limit = limit.clamp(1, 10_000);
        #[derive(sqlx::FromRow)]
        struct Node {
            path: String,
            level: String,
            id: i64,
            person_id: i64,
            full_name: String,
            day: NaiveDate,
            status: String,
        }
        let rows: Vec<Node> = with_pool!(self, p => sqlx::query_as(
            "SELECT path, level, id, person_id, full_name, day, status FROM ( \
               SELECT c.chain_path AS path, 'F0' AS level, c.id, c.person_id, x.full_name, c.confirmed_on AS day, \
                 CASE WHEN c.outcome IS NOT NULL THEN c.outcome ELSE 'isolated' END AS status \
               FROM cases c JOIN people x ON x.id = c.person_id \
               WHERE c.chain_path >= $1 AND c.chain_path < $2 AND c.chain_path > $3 \
               UNION ALL \
               SELECT k.chain_path AS path, CASE WHEN k.level = 'f1' THEN 'F1' ELSE 'F2' END AS level, k.id, \
                 k.person_id, x.full_name, k.exposure_date AS day, k.status \
               FROM contacts k JOIN people x ON x.id = k.person_id \
               WHERE k.chain_path >= $1 AND k.chain_path < $2 AND k.chain_path > $3 \
             ) AS t ORDER BY path LIMIT $4",
        ).bind(&root).bind(&end).bind(after).bind(limit + 1).fetch_all(p).await?);
        let more = rows.len() as i64 > limit;
        let items: Vec<(String, ChainItem)> = rows
            .into_iter()
            .take(limit as usize)
            .map(|n| {
                let item = ChainItem {
                    depth: chain_depth(&root, &n.path),
                    level: n.level,
                    id: n.id,
                    person_id: n.person_id,
                    person_name: n.full_name,
                    day: n.day,
                    status: n.status,
                };
                (n.path, item)
            })
            .collect();
        let next = if more {
            items.last().map(|(p, _)| p.clone())
        } else {
            None
        };
        Ok(ChainPage {
            items: items.into_iter().map(|(_, i)| i).collect(),
            next,
        })
    }

    // -----------------------------------------------------------------------------------
    // Timeline

    /// Everything the record holds about one person, in time order: samples and their
    /// results, retest orders, case proposals, cases with their checks, release and outcome,
    /// contacts with their quarantine, test days and end.
    pub async fn person_timeline(&self, person_id: i64) -> Result<Vec<TimelineEvent>> {
        let mut events = Vec::new();
        #[allow(clippy::type_complexity)]
        let samples: Vec<(
            i64,
            String,
            String,
            bool,
            bool,
            DateTime<Utc>,
            NaiveDate,
            Option<String>,
            Option<f64>,
            Option<DateTime<Utc>>,
            Option<String>,
        )> = with_pool!(self, p => sqlx::query_as(
                "SELECT s.id, s.code, s.method, s.pooled, s.retest, s.collected_at, s.collected_day, s.result, \
                 s.ct, s.tested_at, s.result_lab FROM sample_members m JOIN samples s ON s.id = m.sample_id \
                 WHERE m.person_id = $1",
            ).bind(person_id).fetch_all(p).await?);
        for (id, code, method, pooled, retest, at, day, result, ct, tested_at, lab) in samples {
            let kind = match (retest, pooled) {
                (true, _) => "retest",
                (false, true) => "pool",
                (false, false) => "individual",
            };
            events.push(TimelineEvent {
                day,
                at: Some(at),
                kind: TimelineKind::Sampled,
                ref_id: id,
                detail: format!("sample {code} ({method}, {kind})"),
            });
            if let (Some(result), Some(t)) = (result, tested_at) {
                let result = word(LabResult::parse, &result);
                let ct = ct.map(|c| format!(", Ct {c}")).unwrap_or_default();
                events.push(TimelineEvent {
                    day: epi_day(t),
                    at: Some(t),
                    kind: TimelineKind::Result,
                    ref_id: id,
                    detail: format!("sample {code}: {result}{ct} ({})", lab.unwrap_or_default()),
                });
            }
        }
        let orders: Vec<(i64, DateTime<Utc>, String, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT r.id, r.created_at, s.code, r.status FROM retest_orders r JOIN samples s ON s.id = r.pool_sample_id \
             WHERE r.person_id = $1",
        ).bind(person_id).fetch_all(p).await?);
        for (id, at, code, status) in orders {
            events.push(TimelineEvent {
                day: epi_day(at),
                at: Some(at),
                kind: TimelineKind::RetestOrdered,
                ref_id: id,
                detail: format!("retest ordered: pool {code} positive ({status})"),
            });
        }
        let proposals: Vec<(i64, DateTime<Utc>, String, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT c.id, c.created_at, s.code, c.status FROM case_proposals c JOIN samples s ON s.id = c.sample_id \
             WHERE c.person_id = $1",
        ).bind(person_id).fetch_all(p).await?);
        for (id, at, code, status) in proposals {
            events.push(TimelineEvent {
                day: epi_day(at),
                at: Some(at),
                kind: TimelineKind::CaseProposed,
                ref_id: id,
                detail: format!("case proposed from sample {code} ({status})"),
            });
        }
        for case in self.cases_of(person_id).await? {
            let ev = |day, kind, detail: String| TimelineEvent {
                day,
                at: None,
                kind,
                ref_id: case.id,
                detail,
            };
            events.push(ev(
                case.confirmed_on,
                TimelineKind::CaseConfirmed,
                format!("case F0 confirmed ({}, {})", case.source, case.severity),
            ));
            events.push(ev(
                case.isolation_start,
                TimelineKind::IsolationStart,
                format!(
                    "isolation ({}), release due {}",
                    case.place, case.release_due
                ),
            ));
            for check in self.daily_checks(case.id).await? {
                let spo2 = check
                    .spo2
                    .map(|s| format!(", SpO2 {} %", s.value()))
                    .unwrap_or_default();
                let symptoms = if check.symptoms.is_empty() {
                    "no symptoms".to_string()
                } else {
                    check.symptoms.clone()
                };
                events.push(ev(
                    check.day,
                    TimelineKind::DailyCheck,
                    format!("{symptoms}{spo2}"),
                ));
            }
            if let Some(on) = case.released_on {
                events.push(ev(on, TimelineKind::Released, "released".into()));
            }
            if let (Some(o), Some(on)) = (case.outcome, case.outcome_on) {
                if case.released_on != Some(on) || o != Outcome::Recovered {
                    events.push(ev(on, TimelineKind::Outcome, o.to_string()));
                }
            }
        }
        let tests: Vec<(i64, NaiveDate, Option<i64>)> = with_pool!(self, p => sqlx::query_as(
            "SELECT contact_id, day, sample_id FROM contact_tests WHERE person_id = $1",
        ).bind(person_id).fetch_all(p).await?);
        let mut tests_of: HashMap<i64, Vec<(NaiveDate, Option<i64>)>> = HashMap::new();
        for (c, d, s) in tests {
            tests_of.entry(c).or_default().push((d, s));
        }
        for c in self.contacts_of(person_id).await? {
            let ev = |day, kind, detail: String| TimelineEvent {
                day,
                at: None,
                kind,
                ref_id: c.id,
                detail,
            };
            let source = match c.source {
                ContactSource::Case(id) => format!("case #{id}"),
                ContactSource::Contact(id) => format!("contact #{id}"),
            };
            events.push(ev(
                c.exposure_date,
                TimelineKind::ContactExposure,
                format!("{} of {source}", c.level.as_str().to_uppercase()),
            ));
            events.push(ev(
                c.plan.start,
                TimelineKind::QuarantineStart,
                format!(
                    "quarantine ({}) until {}, rule of {}",
                    c.place, c.plan.end, c.plan.rule_effective_from
                ),
            ));
            for (day, sample) in tests_of.remove(&c.id).unwrap_or_default() {
                let state = match sample {
                    Some(s) => format!("sampled (sample #{s})"),
                    None => "not sampled".into(),
                };
                events.push(ev(
                    day,
                    TimelineKind::QuarantineTestDue,
                    format!("quarantine test: {state}"),
                ));
            }
            events.push(ev(
                c.plan.end,
                TimelineKind::QuarantineEnd,
                match c.plan.home_monitoring_end {
                    Some(m) => format!("last day in the facility; home monitoring until {m}"),
                    None => "last day of quarantine".into(),
                },
            ));
            if let Some(on) = c.closed_on {
                events.push(ev(on, TimelineKind::QuarantineClosed, c.status.to_string()));
            }
        }
        vx_domain::epi::sort_timeline(&mut events);
        Ok(events)
    }
}
