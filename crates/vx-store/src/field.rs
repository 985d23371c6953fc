//! Field work offline (issue 18, `docs/field.md`): quarantine checks and household visits
//! made on phones, each with a version from the sync clock; the receipts that answer a
//! repeated upload without applying it twice; and what a phone pulls for its scope — the
//! households and members (no more personal data than the tasks need), today's open
//! quarantines, recent checks and visits since a version, open rounds with who is still to
//! be sampled, and support programmes with the households still to serve.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use vx_domain::epi::{round_targets, Candidate};
use vx_domain::field::{
    merge_check, merge_new, CheckFields, Merge, NewCheck, NewVisit, Temperature, VisitOutcome,
    NOTE_MAX,
};
use vx_domain::{Birth, Unit};

use crate::epi::{invalid, not_found, word};
use crate::{audit_log, path_end, with_pool, Actor, Result, Store, StoreError};

/// A stored quarantine check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub id: i64,
    pub contact_id: i64,
    pub day: NaiveDate,
    #[serde(flatten)]
    pub fields: CheckFields,
    pub version: i64,
    /// Who changed it last (display name) and when.
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A stored household visit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Visit {
    pub id: i64,
    pub household_id: i64,
    #[serde(flatten)]
    pub visit: NewVisit,
    pub version: i64,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// The outcome of writing a check.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckWrite {
    /// Stored; `taken` names the server's fields kept beside the phone's (a merge).
    Applied {
        check: Check,
        taken: Vec<&'static str>,
    },
    /// The same fields changed on the server meanwhile: nothing stored.
    Conflict {
        current: Check,
        fields: Vec<&'static str>,
    },
}

/// Who pushed a record and the id the phone made for it: the receipt is written in the
/// transaction of the record, so that a repeat is never applied twice.
#[derive(Debug, Clone, Copy)]
pub struct Receipt<'a> {
    pub client_id: &'a str,
    pub user_id: i64,
}

/// What a receipt keeps of an applied record, to answer its repeats: the record's id and,
/// for a versioned one (a check, a visit), its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Applied {
    pub id: i64,
    pub version: Option<i64>,
}

impl Applied {
    /// As stored: `{"status": "applied", "id": …, "version": …}`.
    fn answer(self) -> String {
        serde_json::json!({ "status": "applied", "id": self.id, "version": self.version })
            .to_string()
    }
}

const RECEIPT_INSERT: &str =
    "INSERT INTO sync_receipts (client_id, user_id, kind, answer, at) VALUES ($1, $2, $3, $4, $5)";

/// Writes a record's receipt in the record's transaction (a second receipt for the same
/// client id fails the transaction: the record is applied once).
macro_rules! receipt_in {
    ($tx:expr, $receipt:expr, $kind:expr, $applied:expr, $at:expr) => {
        if let Some(r) = $receipt {
            sqlx::query(RECEIPT_INSERT)
                .bind(r.client_id)
                .bind(r.user_id)
                .bind($kind)
                .bind($applied.answer())
                .bind($at)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// The rows of `$sql` for each subtree of `$roots` in turn: `$1` and `$2` are the subtree's
/// path range, the other binds follow.
macro_rules! per_root {
    ($store:expr, $roots:expr, $sql:expr, $row:ty $(, $bind:expr)*) => {{
        let mut out: Vec<$row> = Vec::new();
        for r in $roots {
            let end = path_end(&r.path);
            let rows: Vec<$row> = with_pool!($store, p => sqlx::query_as::<_, $row>($sql)
                .bind(&r.path).bind(&end)$(.bind($bind))*.fetch_all(p).await?);
            out.extend(rows);
        }
        out
    }};
}

/// A household as a phone holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct FieldHousehold {
    pub id: i64,
    pub code: String,
    pub head_name: String,
    pub address: String,
    pub unit_code: String,
}

/// A member as a phone holds it: name, birth year, sex, relation; no citizen ID, phone or
/// birth date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct FieldPerson {
    pub id: i64,
    pub household_id: i64,
    pub full_name: String,
    pub birth_year: i64,
    pub sex: String,
    pub relation: String,
}

/// An open quarantine (F1/F2) of the scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldQuarantine {
    pub contact_id: i64,
    pub person_id: i64,
    pub household_id: i64,
    pub level: String,
    pub place: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub test_days: Vec<NaiveDate>,
}

/// An open screening round and the people of the scope it still has to sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldRound {
    pub id: i64,
    pub name: String,
    pub number: u32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub to_sample: Vec<i64>,
}

/// A support programme and the households of the scope eligible and not yet served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProgramme {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub goods: String,
    pub amount_vnd: Option<i64>,
    pub households: Vec<i64>,
}

/// The audit entities whose writes change the households and members a phone holds.
const REGISTRY_ENTITIES: &str =
    "'household', 'person', 'import_batch', 'import_batches', 'identity_review', 'unit', 'units'";

/// The largest scope a phone holds (people): a commune is a few thousand.
pub const FIELD_PEOPLE_MAX: i64 = 60_000;

type CheckRow = (
    i64,
    i64,
    NaiveDate,
    Option<i64>,
    String,
    bool,
    i64,
    String,
    DateTime<Utc>,
);

fn check_from(r: CheckRow) -> Check {
    Check {
        id: r.0,
        contact_id: r.1,
        day: r.2,
        fields: CheckFields {
            temperature: r.3.and_then(|t| Temperature::from_tenths(t).ok()),
            symptoms: r.4,
            present: r.5,
        },
        version: r.6,
        by: r.7,
        at: r.8,
    }
}

/// A contact's check on a day (`$1`, `$2`).
fn check_of_sql() -> String {
    format!("{CHECK_SELECT} WHERE q.contact_id = $1 AND q.day = $2")
}

const CHECK_SELECT: &str =
    "SELECT q.id, q.contact_id, q.day, q.temperature_tenths, q.symptoms, q.present, \
     q.version, q.changed_by, q.changed_at FROM quarantine_checks q";

type VisitRow = (
    i64,
    i64,
    NaiveDate,
    String,
    String,
    i64,
    String,
    DateTime<Utc>,
);

fn visit_from(r: VisitRow) -> Visit {
    Visit {
        id: r.0,
        household_id: r.1,
        visit: NewVisit {
            household_id: r.1,
            day: r.2,
            outcome: word(VisitOutcome::parse, &r.3),
            note: r.4,
        },
        version: r.5,
        by: r.6,
        at: r.7,
    }
}

const VISIT_SELECT: &str = "SELECT v.id, v.household_id, v.day, v.outcome, v.note, v.version, \
     v.changed_by, v.changed_at FROM household_visits v";

impl Store {
    /// The sync clock's last version.
    pub async fn sync_version(&self) -> Result<i64> {
        let (v,): (i64,) = with_pool!(self, p => sqlx::query_as(
            "SELECT last FROM sync_clock WHERE id = 1").fetch_one(p).await?);
        Ok(v)
    }

    /// Whether a household or member may have changed since the audit entry `since`.
    pub async fn registry_changed_since(&self, since: i64) -> Result<bool> {
        let sql = format!(
            "SELECT id FROM audit_log WHERE id > $1 AND entity IN ({REGISTRY_ENTITIES}) LIMIT 1"
        );
        let row: Option<(i64,)> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(since).fetch_optional(p).await?);
        Ok(row.is_some())
    }

    /// The receipt of a record a phone pushed before: who pushed it and what was applied.
    pub async fn sync_receipt(&self, client_id: &str) -> Result<Option<(i64, Applied)>> {
        let row: Option<(i64, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT user_id, answer FROM sync_receipts WHERE client_id = $1",
        ).bind(client_id).fetch_optional(p).await?);
        Ok(row.map(|(user, answer)| {
            let applied = serde_json::from_str(&answer)
                .unwrap_or_else(|e| panic!("stored receipt {answer:?} reads back: {e}"));
            (user, applied)
        }))
    }

    /// Keeps the receipt of a record applied by another store write (a sample, an aid
    /// package, a new person); the first one stays.
    pub async fn save_sync_receipt(
        &self,
        receipt: Receipt<'_>,
        kind: &str,
        applied: Applied,
    ) -> Result<()> {
        let sql = format!("{RECEIPT_INSERT} ON CONFLICT (client_id) DO NOTHING");
        with_pool!(self, p => sqlx::query(&sql)
            .bind(receipt.client_id).bind(receipt.user_id).bind(kind).bind(applied.answer())
            .bind(Utc::now()).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// The check of a contact on a day.
    pub async fn check_of(&self, contact_id: i64, day: NaiveDate) -> Result<Option<Check>> {
        let sql = check_of_sql();
        let row: Option<CheckRow> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(contact_id).bind(day).fetch_optional(p).await?);
        Ok(row.map(check_from))
    }

    /// Records the day's check of a quarantined contact, or edits it. `base` is the version
    /// and the fields the phone's edit started from (none for a new check): an edit of an
    /// older version is merged field by field ([`merge_check`]); the same field changed on
    /// both sides is a [`CheckWrite::Conflict`] and nothing is stored. A new check for a
    /// day that has one already is a conflict on each field that differs. `today` is the
    /// server's day: a check is for a day of the quarantine, not after today.
    pub async fn record_check(
        &self,
        actor: &Actor,
        c: &NewCheck,
        base: Option<(i64, &CheckFields)>,
        today: NaiveDate,
        receipt: Option<Receipt<'_>>,
    ) -> Result<CheckWrite> {
        let contact = self
            .contact(c.contact_id)
            .await?
            .ok_or_else(|| not_found(format!("contact {}", c.contact_id)))?;
        let last = contact.closed_on.unwrap_or(contact.plan.end).min(today);
        if c.day < contact.plan.start || c.day > last {
            return Err(invalid(format!(
                "a check on {} is outside the quarantine of contact #{} ({} to {})",
                c.day, c.contact_id, contact.plan.start, last
            )));
        }
        let mine = c.fields.clone().parse().map_err(invalid)?;
        let sql = check_of_sql();
        let out = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            // The clock first: it makes this a writing transaction from its first statement
            // (one writer at a time on both backends), so the check read next cannot change
            // before it is written.
            let (version,): (i64,) = sqlx::query_as(
                "UPDATE sync_clock SET last = last + 1 WHERE id = 1 RETURNING last",
            ).fetch_one(&mut *tx).await?;
            let current: Option<Check> = sqlx::query_as::<_, CheckRow>(&sql)
                .bind(c.contact_id).bind(c.day).fetch_optional(&mut *tx).await?.map(check_from);
            let decided = match (&current, base) {
                (None, _) => Merge::Apply { fields: mine.clone(), taken: vec![] },
                (Some(cur), Some((v, _))) if v == cur.version => Merge::Apply { fields: mine.clone(), taken: vec![] },
                (Some(cur), Some((_, b))) => merge_check(b, &mine, &cur.fields),
                (Some(cur), None) => merge_new(&cur.fields, &mine),
            };
            match decided {
                Merge::Conflict(fields) => {
                    tx.rollback().await?;
                    CheckWrite::Conflict { current: current.expect("a conflict has a stored check"), fields }
                }
                Merge::Apply { fields, taken } => {
                    let now = Utc::now();
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO quarantine_checks (contact_id, unit_id, day, temperature_tenths, symptoms, \
                         present, version, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                         ON CONFLICT (contact_id, day) DO UPDATE SET temperature_tenths = excluded.temperature_tenths, \
                         symptoms = excluded.symptoms, present = excluded.present, version = excluded.version, \
                         changed_by = excluded.changed_by, changed_at = excluded.changed_at RETURNING id",
                    )
                    .bind(c.contact_id).bind(contact.unit_id).bind(c.day)
                    .bind(fields.temperature.map(|t| i64::from(t.tenths()))).bind(&fields.symptoms)
                    .bind(fields.present).bind(version).bind(&actor.name).bind(now)
                    .fetch_one(&mut *tx).await?;
                    audit_log!(tx, actor, if current.is_some() { "update" } else { "create" },
                        "quarantine_check", id, current.as_ref().map(|c| &c.fields), Some(&fields));
                    receipt_in!(tx, receipt, "check", Applied { id, version: Some(version) }, now);
                    tx.commit().await?;
                    CheckWrite::Applied {
                        check: Check { id, contact_id: c.contact_id, day: c.day, fields, version,
                            by: actor.name.clone(), at: now },
                        taken,
                    }
                }
            }
        });
        Ok(out)
    }

    /// Records a household visit (audited).
    pub async fn record_visit(
        &self,
        actor: &Actor,
        v: &NewVisit,
        today: NaiveDate,
        receipt: Option<Receipt<'_>>,
    ) -> Result<Visit> {
        let household = self
            .household(v.household_id)
            .await?
            .ok_or_else(|| not_found(format!("household {}", v.household_id)))?;
        if v.day > today || v.day < today - Duration::days(31) {
            return Err(invalid(format!(
                "a visit on {}: expected a day of the last month up to today ({today})",
                v.day
            )));
        }
        let note = v.note.trim();
        if note.chars().count() > NOTE_MAX {
            return Err(invalid(format!("note: at most {NOTE_MAX} characters")));
        }
        let visit = NewVisit {
            note: note.to_string(),
            ..v.clone()
        };
        let now = Utc::now();
        let (id, version) = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (version,): (i64,) = sqlx::query_as(
                "UPDATE sync_clock SET last = last + 1 WHERE id = 1 RETURNING last",
            ).fetch_one(&mut *tx).await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO household_visits (household_id, unit_id, day, outcome, note, version, changed_by, \
                 changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(v.household_id).bind(household.unit_id).bind(v.day).bind(v.outcome.as_str())
            .bind(&visit.note).bind(version).bind(&actor.name).bind(now)
            .fetch_one(&mut *tx).await?;
            audit_log!(tx, actor, "create", "household_visit", id, None::<&()>, Some(&visit));
            receipt_in!(tx, receipt, "visit", Applied { id, version: Some(version) }, now);
            tx.commit().await?;
            (id, version)
        });
        Ok(Visit {
            id,
            household_id: v.household_id,
            visit,
            version,
            by: actor.name.clone(),
            at: now,
        })
    }

    /// The active households of the scope (`roots`: disjoint subtrees), by code.
    pub async fn field_households(&self, roots: &[Unit]) -> Result<Vec<FieldHousehold>> {
        Ok(per_root!(
            self,
            roots,
            "SELECT h.id, h.code, h.head_name, h.address, u.code AS unit_code FROM units u \
             JOIN households h ON h.unit_id = u.id WHERE u.path >= $1 AND u.path < $2 AND h.active \
             ORDER BY h.code",
            FieldHousehold
        ))
    }

    /// The active members of the scope's households; refused beyond [`FIELD_PEOPLE_MAX`].
    pub async fn field_people(&self, roots: &[Unit]) -> Result<Vec<FieldPerson>> {
        let people = per_root!(self, roots,
            "SELECT x.id, x.household_id, x.full_name, CAST(x.birth_year AS BIGINT) AS birth_year, x.sex, \
             x.relation FROM units u JOIN people x ON x.unit_id = u.id WHERE u.path >= $1 AND u.path < $2 \
             AND x.active ORDER BY x.household_id, x.id LIMIT $3",
            FieldPerson, FIELD_PEOPLE_MAX + 1);
        if people.len() as i64 > FIELD_PEOPLE_MAX {
            return Err(StoreError::Invalid(format!(
                "the scope holds more than {FIELD_PEOPLE_MAX} people: the field app is for a commune or a hamlet"
            )));
        }
        Ok(people)
    }

    /// The quarantines of the scope open on `day`: begun, and not closed by then (a server
    /// serving an earlier day than the data's last sees them as they were that day).
    pub async fn field_quarantines(
        &self,
        roots: &[Unit],
        day: NaiveDate,
    ) -> Result<Vec<FieldQuarantine>> {
        type Row = (i64, i64, i64, String, String, NaiveDate, NaiveDate, String);
        let rows = per_root!(self, roots,
            "SELECT c.id, c.person_id, x.household_id, c.level, c.place, c.start_date, c.end_date, c.test_days \
             FROM units u JOIN contacts c ON c.unit_id = u.id JOIN people x ON x.id = c.person_id \
             WHERE u.path >= $1 AND u.path < $2 AND c.start_date <= $3 AND (c.closed_on IS NULL OR c.closed_on > $3) \
             ORDER BY c.end_date, c.id",
            Row, day);
        Ok(rows
            .into_iter()
            .map(|r| FieldQuarantine {
                contact_id: r.0,
                person_id: r.1,
                household_id: r.2,
                level: r.3.to_uppercase(),
                place: r.4,
                start: r.5,
                end: r.6,
                test_days: serde_json::from_str(&r.7).unwrap_or_default(),
            })
            .collect())
    }

    /// The scope's checks from `from` on, changed after version `since`.
    pub async fn checks_since(
        &self,
        roots: &[Unit],
        from: NaiveDate,
        since: i64,
    ) -> Result<Vec<Check>> {
        let sql = format!(
            "{CHECK_SELECT} JOIN units u ON u.id = q.unit_id WHERE u.path >= $1 AND u.path < $2 \
             AND q.day >= $3 AND q.version > $4 ORDER BY q.version"
        );
        let rows = per_root!(self, roots, &sql, CheckRow, from, since);
        Ok(rows.into_iter().map(check_from).collect())
    }

    /// The scope's visits from `from` on, recorded after version `since`.
    pub async fn visits_since(
        &self,
        roots: &[Unit],
        from: NaiveDate,
        since: i64,
    ) -> Result<Vec<Visit>> {
        let sql = format!(
            "{VISIT_SELECT} JOIN units u ON u.id = v.unit_id WHERE u.path >= $1 AND u.path < $2 \
             AND v.day >= $3 AND v.version > $4 ORDER BY v.version"
        );
        let rows = per_root!(self, roots, &sql, VisitRow, from, since);
        Ok(rows.into_iter().map(visit_from).collect())
    }

    /// The rounds open on `day` that target the scope, each with the people of the scope
    /// still to sample (the sampling list's rule, [`round_targets`], over lean rows: one
    /// query for the residents and one for the round's samples per targeted range).
    pub async fn field_rounds(&self, roots: &[Unit], day: NaiveDate) -> Result<Vec<FieldRound>> {
        type Row = (i64, i64, Option<NaiveDate>, i64);
        let mut out = Vec::new();
        for campaign in self.campaigns().await? {
            let mut targets = Vec::new();
            for code in &campaign.data.target_units {
                if let Some(u) = self.unit(code.as_str()).await? {
                    targets.push(u);
                }
            }
            // The parts of the scope the campaign targets.
            let mut ranges = Vec::new();
            for r in roots {
                for t in &targets {
                    if t.contains(r) {
                        ranges.push(r.path.clone());
                    } else if r.contains(t) {
                        ranges.push(t.path.clone());
                    }
                }
            }
            ranges.sort();
            ranges.dedup_by(|b, a| b.starts_with(a.as_str()));
            if ranges.is_empty() {
                continue;
            }
            for round in self.rounds(campaign.id).await? {
                if round.data.start > day || round.data.end < day {
                    continue;
                }
                let mut to_sample = Vec::new();
                for path in &ranges {
                    let end = path_end(path);
                    let people: Vec<Row> = with_pool!(self, p => sqlx::query_as(
                        "SELECT x.id, x.household_id, x.birth_date, CAST(x.birth_year AS BIGINT) FROM units u \
                         JOIN people x ON x.unit_id = u.id WHERE u.path >= $1 AND u.path < $2 AND x.active \
                         ORDER BY x.household_id, CASE WHEN x.relation = 'head' THEN 0 ELSE 1 END, x.id",
                    ).bind(path).bind(&end).fetch_all(p).await?);
                    let sampled: Vec<(i64, i64)> = with_pool!(self, p => sqlx::query_as(
                        "SELECT m.person_id, m.household_id FROM sample_members m JOIN units u ON u.id = m.unit_id \
                         WHERE m.round_id = $1 AND NOT m.retest AND u.path >= $2 AND u.path < $3",
                    ).bind(round.id).bind(path).bind(&end).fetch_all(p).await?);
                    let sampled_people: HashSet<i64> = sampled.iter().map(|(p, _)| *p).collect();
                    let sampled_households: HashSet<i64> =
                        sampled.iter().map(|(_, h)| *h).collect();
                    let candidates: Vec<Candidate> = people
                        .iter()
                        .map(|&(id, household_id, date, year)| Candidate {
                            household_id,
                            birth: match date {
                                Some(d) => Birth::Date(d),
                                None => Birth::Year(year as i32),
                            },
                            sampled: sampled_people.contains(&id),
                        })
                        .collect();
                    to_sample.extend(
                        round_targets(
                            &campaign.data.target,
                            round.data.start,
                            &candidates,
                            &sampled_households,
                        )
                        .into_iter()
                        .filter(|(_, sampled)| !sampled)
                        .map(|(i, _)| people[i].0),
                    );
                }
                if !to_sample.is_empty() {
                    out.push(FieldRound {
                        id: round.id,
                        name: campaign.data.name.clone(),
                        number: round.data.number,
                        start: round.data.start,
                        end: round.data.end,
                        to_sample,
                    });
                }
            }
        }
        Ok(out)
    }

    /// The support programmes reaching the scope, each with the households of the scope
    /// eligible on `day` and not yet served.
    pub async fn field_programmes(
        &self,
        roots: &[Unit],
        day: NaiveDate,
    ) -> Result<Vec<FieldProgramme>> {
        let mut out = Vec::new();
        for g in self.programmes().await? {
            let mut households = Vec::new();
            let mut seen = HashSet::new();
            for r in roots {
                // The households of the scope or of the programme's unit, whichever is
                // inside the other (none when they are apart).
                for e in self.eligible_households(&g, r, day).await? {
                    if !e.rules.is_empty()
                        && e.distribution.is_none()
                        && seen.insert(e.household_id)
                    {
                        households.push(e.household_id);
                    }
                }
            }
            if households.is_empty() {
                continue;
            }
            out.push(FieldProgramme {
                id: g.id,
                name: g.programme.name.clone(),
                kind: g.programme.kind.as_str().to_string(),
                goods: g.programme.goods.clone(),
                amount_vnd: g.programme.amount_vnd,
                households,
            });
        }
        Ok(out)
    }
}
