//! The identity review queue: rows of a people import that name a stored person by citizen
//! ID but describe someone else (another folded name or birth), that give a person another
//! citizen ID than the stored one, or that move a person to another commune without the
//! scope to. They are held here, not applied, and settled by a person: applied onto the
//! stored person or rejected, audited (see `docs/registry.md`).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::QueryBuilder;
use vx_domain::{Access, CitizenId, NewPerson, Phone};

use crate::registry::birth_columns;
use crate::{audit_log, path_end, with_pool, Actor, Result, Store, StoreError};

/// One held row, with where it is: the stored person's unit and the unit of the household
/// the row names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityReview {
    pub id: i64,
    /// `identity` (the citizen ID belongs to someone else), `citizen_id` (the person has
    /// another citizen ID) or `move` (to another commune, outside the importer's scope).
    pub kind: String,
    pub person_id: i64,
    pub unit_code: String,
    pub unit_path: String,
    pub target_unit_code: String,
    pub target_path: String,
    /// The person as the row would make it.
    pub proposed: NewPerson,
    pub reason: String,
    pub file_name: String,
    pub row: i64,
    pub actor: String,
    pub at: DateTime<Utc>,
    /// `open`, `applied` or `rejected`.
    pub status: String,
    pub settled_by: Option<String>,
    pub settled_at: Option<DateTime<Utc>>,
    pub note: String,
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    id: i64,
    kind: String,
    person_id: i64,
    unit_code: String,
    unit_path: String,
    target_unit_code: String,
    target_path: String,
    proposed: String,
    reason: String,
    file_name: String,
    row_number: i64,
    actor: String,
    at: DateTime<Utc>,
    status: String,
    settled_by: Option<String>,
    settled_at: Option<DateTime<Utc>>,
    note: String,
}

impl TryFrom<ReviewRow> for IdentityReview {
    type Error = StoreError;
    fn try_from(r: ReviewRow) -> Result<IdentityReview> {
        let proposed = serde_json::from_str(&r.proposed).map_err(|e| {
            StoreError::Invalid(format!(
                "identity review {}: stored row unreadable: {e}",
                r.id
            ))
        })?;
        Ok(IdentityReview {
            id: r.id,
            kind: r.kind,
            person_id: r.person_id,
            unit_code: r.unit_code,
            unit_path: r.unit_path,
            target_unit_code: r.target_unit_code,
            target_path: r.target_path,
            proposed,
            reason: r.reason,
            file_name: r.file_name,
            row: r.row_number,
            actor: r.actor,
            at: r.at,
            status: r.status,
            settled_by: r.settled_by,
            settled_at: r.settled_at,
            note: r.note,
        })
    }
}

const REVIEW_SELECT: &str = "SELECT r.id, r.kind, r.person_id, u.code AS unit_code, \
     u.path AS unit_path, t.code AS target_unit_code, t.path AS target_path, r.proposed, \
     r.reason, r.file_name, r.row_number, r.actor, r.at, r.status, r.settled_by, r.settled_at, \
     r.note FROM identity_reviews r JOIN units u ON u.id = r.unit_id \
     JOIN units t ON t.id = r.target_unit_id";

impl Store {
    /// Held rows whose stored person or named household lies in the subtree `within` (a
    /// path prefix, "/" for all), oldest first, after the id `after`; open ones only
    /// unless `all`.
    pub async fn identity_reviews_in(
        &self,
        within: &str,
        all: bool,
        after: i64,
        limit: i64,
    ) -> Result<Vec<IdentityReview>> {
        let sql = format!(
            "{REVIEW_SELECT} WHERE ((u.path >= $1 AND u.path < $2) OR (t.path >= $1 AND t.path < $2)) \
             AND ($3 OR r.status = 'open') AND r.id > $4 ORDER BY r.id LIMIT $5"
        );
        let rows: Vec<ReviewRow> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(within).bind(path_end(within)).bind(all).bind(after).bind(limit)
            .fetch_all(p).await?);
        rows.into_iter().map(IdentityReview::try_from).collect()
    }

    pub async fn identity_review(&self, id: i64) -> Result<Option<IdentityReview>> {
        let sql = format!("{REVIEW_SELECT} WHERE r.id = $1");
        let row: Option<ReviewRow> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(id).fetch_optional(p).await?);
        row.map(IdentityReview::try_from).transpose()
    }

    /// (person id, proposed JSON) of the open reviews of these people: an import holding
    /// the same row again does not queue it twice.
    pub(crate) async fn open_holds(&self, people: &[i64]) -> Result<HashSet<(i64, String)>> {
        let mut out = HashSet::new();
        for chunk in people.chunks(1000) {
            let rows: Vec<(i64, String)> = with_pool!(self, p => {
                let mut qb = QueryBuilder::new(
                    "SELECT person_id, proposed FROM identity_reviews WHERE status = 'open' AND person_id IN (",
                );
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(")");
                qb.build_query_as().fetch_all(p).await?
            });
            out.extend(rows);
        }
        Ok(out)
    }

    /// Settles a held row: `apply` writes the proposed person onto the stored one (a move
    /// when the household is in another commune), otherwise the row is rejected and the
    /// person stays as it is. Only a scope covering both units may settle (`access`; `None`
    /// for the command line). Audited with the note.
    pub async fn settle_identity_review(
        &self,
        actor: &Actor,
        id: i64,
        apply: bool,
        note: &str,
        access: Option<&Access>,
    ) -> Result<IdentityReview> {
        let review = self
            .identity_review(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("identity review {id}")))?;
        if review.status != "open" {
            return Err(StoreError::Conflict(format!(
                "identity review {id} is already settled ({})",
                review.status
            )));
        }
        if let Some(a) = access {
            if !(a.path_in_scope(&review.unit_path) && a.path_in_scope(&review.target_path)) {
                return Err(StoreError::Invalid(format!(
                    "identity review {id} concerns units {} and {}: it is settled by a user whose \
                     scope covers both",
                    review.unit_code, review.target_unit_code
                )));
            }
        }
        let person = &review.proposed;
        let update = if apply {
            let before = self
                .person(review.person_id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("person {}", review.person_id)))?;
            let hh = self
                .household_by_code(person.household_code.as_str())
                .await?
                .ok_or_else(|| {
                    StoreError::Invalid(format!("no household with code {}", person.household_code))
                })?;
            self.check_person_unique(person, Some(review.person_id))
                .await?;
            Some((before, hh))
        } else {
            None
        };
        let status = if apply { "applied" } else { "rejected" };
        let now = Utc::now();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            if let Some((before, hh)) = &update {
                let (birth_date, birth_year) = birth_columns(&person.birth);
                sqlx::query(
                    "UPDATE people SET household_id = $1, unit_id = $2, natural_key = $3, \
                     full_name = $4, name_folded = $5, birth_date = $6, birth_year = $7, sex = $8, \
                     citizen_id = $9, phone = $10, relation = $11, updated_at = $12 WHERE id = $13",
                )
                .bind(hh.id).bind(hh.unit_id).bind(person.natural_key())
                .bind(person.full_name.as_str()).bind(person.full_name.folded())
                .bind(birth_date).bind(birth_year).bind(person.sex.as_str())
                .bind(person.citizen_id.as_ref().map(CitizenId::as_str))
                .bind(person.phone.as_ref().map(Phone::as_str)).bind(person.relation.as_str())
                .bind(now).bind(review.person_id)
                .execute(&mut *tx).await?;
                let action = if review.kind == "move" { "move" } else { "update" };
                audit_log!(tx, actor, action, "person", review.person_id, Some(&before.data), Some(person));
            }
            let n = sqlx::query(
                "UPDATE identity_reviews SET status = $1, settled_by = $2, settled_at = $3, note = $4 \
                 WHERE id = $5 AND status = 'open'",
            )
            .bind(status).bind(&actor.name).bind(now).bind(note).bind(id)
            .execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                return Err(StoreError::Conflict(format!("identity review {id} is already settled")));
            }
            audit_log!(tx, actor, "settle", "identity_review", id, Some(&"open"),
                Some(&serde_json::json!({ "status": status, "note": note })));
            tx.commit().await?;
        });
        self.identity_review(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("identity review {id}")))
    }
}
