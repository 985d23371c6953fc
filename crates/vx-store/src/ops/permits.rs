//! The permit key, checkpoints, permits, revocations and crossings.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use vx_domain::ops::permit::{
    Claims, Conditions, Direction, Holder, NewPermit, PermitKey, Plate, Shown,
};
use vx_domain::{Unit, UnitCode};

use crate::{audit_log, path_end, with_pool, Actor, Result, Store, StoreError};

/// A checkpoint (chốt) on the boundary of a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checkpoint {
    pub id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub name: String,
    pub location: String,
    /// Officers on duty, as written.
    pub officers: String,
}

type CheckpointRow = (i64, i64, String, String, String, String, String);

fn checkpoint_from(r: CheckpointRow) -> Checkpoint {
    Checkpoint {
        id: r.0,
        unit_id: r.1,
        unit_code: r.2,
        unit_name: r.3,
        name: r.4,
        location: r.5,
        officers: r.6,
    }
}

const CHECKPOINT_SELECT: &str = "SELECT c.id, c.unit_id, u.code, u.name, c.name, c.location, \
     c.officers FROM checkpoints c JOIN units u ON u.id = c.unit_id";

/// A stored permit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Permit {
    pub id: i64,
    pub issuer_unit_id: i64,
    pub permit: NewPermit,
    pub issued_by: String,
    pub issued_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
}

impl Permit {
    pub fn claims(&self) -> Claims {
        Claims::of(self.id, &self.permit)
    }
}

#[derive(sqlx::FromRow)]
struct PermitRow {
    id: i64,
    issuer_unit_id: i64,
    issuer_code: String,
    holder_kind: String,
    person_id: Option<i64>,
    holder_name: String,
    document: Option<String>,
    plate: Option<String>,
    purpose: String,
    destinations: String,
    valid_from: DateTime<Utc>,
    valid_to: DateTime<Utc>,
    test_hours: Option<i64>,
    vaccine_doses: Option<i64>,
    issued_by: String,
    issued_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    revoke_reason: Option<String>,
}

const PERMIT_SELECT: &str = "SELECT p.id, p.issuer_unit_id, u.code AS issuer_code, p.holder_kind, \
     p.person_id, p.holder_name, p.document, p.plate, p.purpose, p.destinations, p.valid_from, \
     p.valid_to, p.test_hours, p.vaccine_doses, p.issued_by, p.issued_at, p.revoked_at, \
     p.revoke_reason FROM permits p JOIN units u ON u.id = p.issuer_unit_id";

fn permit_from(r: PermitRow) -> Permit {
    let holder = match (r.holder_kind.as_str(), r.plate.as_deref().map(Plate::parse)) {
        ("vehicle", Some(Ok(plate))) => Holder::Vehicle {
            plate,
            driver: r.holder_name,
        },
        _ => Holder::Person {
            person_id: r.person_id,
            name: r.holder_name,
            document: r.document,
        },
    };
    Permit {
        id: r.id,
        issuer_unit_id: r.issuer_unit_id,
        permit: NewPermit {
            issuer: UnitCode::parse(&r.issuer_code).expect("stored codes are valid"),
            holder,
            purpose: r.purpose,
            destinations: r
                .destinations
                .split(',')
                .filter_map(|c| UnitCode::parse(c).ok())
                .collect(),
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            conditions: Conditions {
                negative_test_hours: r.test_hours.and_then(|h| u32::try_from(h).ok()),
                vaccine_doses: r.vaccine_doses.and_then(|d| u8::try_from(d).ok()),
            },
        },
        issued_by: r.issued_by,
        issued_at: r.issued_at,
        revoked_at: r.revoked_at,
        revoke_reason: r.revoke_reason,
    }
}

/// A crossing to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCrossing {
    pub checkpoint_id: i64,
    pub at: DateTime<Utc>,
    pub direction: Direction,
    pub person_id: Option<i64>,
    pub holder_name: String,
    pub plate: Option<Plate>,
    pub permit_id: Option<i64>,
    pub test: Option<(Shown, DateTime<Utc>)>,
    /// Let through or turned back.
    pub allowed: bool,
    /// Why (the verification's answer, as shown to the officer).
    pub reason: String,
}

/// A recorded crossing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Crossing {
    pub id: i64,
    pub recorded_by: String,
    pub crossing: NewCrossing,
}

#[derive(sqlx::FromRow)]
struct CrossingRow {
    id: i64,
    checkpoint_id: i64,
    at: DateTime<Utc>,
    direction: String,
    person_id: Option<i64>,
    holder_name: String,
    plate: Option<String>,
    permit_id: Option<i64>,
    test_result: Option<String>,
    test_at: Option<DateTime<Utc>>,
    allowed: bool,
    reason: String,
    recorded_by: String,
}

const CROSSING_SELECT: &str = "SELECT id, checkpoint_id, at, direction, person_id, holder_name, \
     plate, permit_id, test_result, test_at, allowed, reason, recorded_by FROM crossings";

fn crossing_from(r: CrossingRow) -> Crossing {
    let test = match (r.test_result.as_deref().map(Shown::parse), r.test_at) {
        (Some(Ok(s)), Some(at)) => Some((s, at)),
        _ => None,
    };
    Crossing {
        id: r.id,
        recorded_by: r.recorded_by,
        crossing: NewCrossing {
            checkpoint_id: r.checkpoint_id,
            at: r.at,
            direction: Direction::parse(&r.direction).unwrap_or(Direction::In),
            person_id: r.person_id,
            holder_name: r.holder_name,
            plate: r.plate.and_then(|p| Plate::parse(&p).ok()),
            permit_id: r.permit_id,
            test,
            allowed: r.allowed,
            reason: r.reason,
        },
    }
}

impl Store {
    /// The permit signing key: generated once (from the operating system's generator) and
    /// kept in the database, so that every server of a deployment signs alike.
    pub async fn permit_key(&self) -> Result<PermitKey> {
        let get = || async {
            let row: Option<(String,)> = with_pool!(self, p => sqlx::query_as(
                "SELECT secret_hex FROM ops_keys WHERE name = 'permit'",
            ).fetch_optional(p).await?);
            Ok::<_, StoreError>(row.and_then(|(s,)| PermitKey::from_hex(&s)))
        };
        if let Some(k) = get().await? {
            return Ok(k);
        }
        let key = PermitKey::from_seed(rand::random());
        let actor = Actor::system("system:permit-key");
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "INSERT INTO ops_keys (name, secret_hex, public_hex, created_at) \
                 VALUES ('permit', $1, $2, $3) ON CONFLICT (name) DO NOTHING",
            ).bind(key.secret_hex()).bind(key.public_hex()).bind(Utc::now())
            .execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                let after = serde_json::json!({"public_key": key.public_hex()});
                audit_log!(tx, actor, "create", "ops_keys", "permit", None::<&()>, Some(&after));
            }
            tx.commit().await?;
        });
        get()
            .await?
            .ok_or_else(|| StoreError::Invalid("permit key missing".into()))
    }

    // -----------------------------------------------------------------------------------
    // Checkpoints

    pub async fn create_checkpoint(
        &self,
        actor: &Actor,
        unit: &Unit,
        name: &str,
        location: &str,
        officers: &str,
    ) -> Result<Checkpoint> {
        if name.trim().is_empty() {
            return Err(StoreError::Invalid("name: required".into()));
        }
        let id = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO checkpoints (unit_id, name, location, officers, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            ).bind(unit.id).bind(name.trim()).bind(location.trim()).bind(officers.trim())
            .bind(Utc::now()).fetch_one(&mut *tx).await?;
            let after = serde_json::json!({"unit": unit.code.as_str(), "name": name.trim(),
                "location": location.trim(), "officers": officers.trim()});
            audit_log!(tx, actor, "create", "checkpoints", id, None::<&()>, Some(&after));
            tx.commit().await?;
            id
        });
        self.checkpoint(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("checkpoint {id}")))
    }

    pub async fn checkpoint(&self, id: i64) -> Result<Option<Checkpoint>> {
        let sql = format!("{CHECKPOINT_SELECT} WHERE c.id = $1");
        let row: Option<CheckpointRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(checkpoint_from))
    }

    /// Checkpoints of a subtree, by unit then name.
    pub async fn checkpoints_under(&self, root: &Unit) -> Result<Vec<Checkpoint>> {
        let sql = format!(
            "{CHECKPOINT_SELECT} WHERE u.path >= $1 AND u.path < $2 AND c.active ORDER BY u.path, c.name"
        );
        let rows: Vec<CheckpointRow> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(&root.path).bind(path_end(&root.path)).fetch_all(p).await?);
        Ok(rows.into_iter().map(checkpoint_from).collect())
    }

    // -----------------------------------------------------------------------------------
    // Permits

    /// Issues a permit (audited) and returns it with its signed token.
    pub async fn issue_permit(
        &self,
        actor: &Actor,
        issuer: &Unit,
        permit: &NewPermit,
    ) -> Result<(Permit, String)> {
        permit
            .validate()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        if issuer.code != permit.issuer {
            return Err(StoreError::Invalid(
                "issuer: does not match the unit".into(),
            ));
        }
        for d in &permit.destinations {
            if self.unit(d.as_str()).await?.is_none() {
                return Err(StoreError::Invalid(format!(
                    "destinations: no unit with code {d}"
                )));
            }
        }
        let key = self.permit_key().await?;
        let (person_id, name, document, plate) = match &permit.holder {
            Holder::Person {
                person_id,
                name,
                document,
            } => (*person_id, name.trim().to_string(), document.clone(), None),
            Holder::Vehicle { plate, driver } => (
                None,
                driver.trim().to_string(),
                None,
                Some(plate.as_str().to_string()),
            ),
        };
        let destinations = permit
            .destinations
            .iter()
            .map(|d| d.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let id = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO permits (issuer_unit_id, holder_kind, person_id, holder_name, document, \
                 plate, purpose, destinations, valid_from, valid_to, test_hours, vaccine_doses, \
                 issued_by, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
                 $13, $14) RETURNING id",
            )
            .bind(issuer.id).bind(permit.holder.kind()).bind(person_id).bind(&name)
            .bind(&document).bind(&plate).bind(permit.purpose.trim()).bind(&destinations)
            .bind(permit.valid_from).bind(permit.valid_to)
            .bind(permit.conditions.negative_test_hours.map(i64::from))
            .bind(permit.conditions.vaccine_doses.map(i64::from))
            .bind(&actor.name).bind(Utc::now())
            .fetch_one(&mut *tx).await?;
            audit_log!(tx, actor, "issue", "permits", id, None::<&()>, Some(permit));
            tx.commit().await?;
            id
        });
        let stored = self
            .permit(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("permit {id}")))?;
        let token = key.sign(&stored.claims());
        Ok((stored, token))
    }

    pub async fn permit(&self, id: i64) -> Result<Option<Permit>> {
        let sql = format!("{PERMIT_SELECT} WHERE p.id = $1");
        let row = with_pool!(self, p => sqlx::query_as::<_, PermitRow>(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(permit_from))
    }

    /// The token of a stored permit (signatures are deterministic: the same every time).
    pub async fn permit_token(&self, permit: &Permit) -> Result<String> {
        Ok(self.permit_key().await?.sign(&permit.claims()))
    }

    /// Permits issued by units of a subtree, newest first.
    pub async fn permits_under(&self, root: &Unit, limit: i64) -> Result<Vec<Permit>> {
        let sql = format!(
            "{PERMIT_SELECT} WHERE u.path >= $1 AND u.path < $2 ORDER BY p.id DESC LIMIT $3"
        );
        let rows = with_pool!(self, p => sqlx::query_as::<_, PermitRow>(&sql)
            .bind(&root.path).bind(path_end(&root.path)).bind(limit).fetch_all(p).await?);
        Ok(rows.into_iter().map(permit_from).collect())
    }

    /// Revokes a permit (audited). Revoking twice keeps the first revocation.
    pub async fn revoke_permit(&self, actor: &Actor, id: i64, reason: &str) -> Result<Permit> {
        let before = self
            .permit(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("permit {id}")))?;
        if before.revoked_at.is_none() {
            with_pool!(self, p => {
                let mut tx = p.begin().await?;
                sqlx::query(
                    "UPDATE permits SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 \
                     WHERE id = $4 AND revoked_at IS NULL",
                ).bind(Utc::now()).bind(&actor.name).bind(reason.trim()).bind(id)
                .execute(&mut *tx).await?;
                let after = serde_json::json!({"revoked": true, "reason": reason.trim()});
                audit_log!(tx, actor, "revoke", "permits", id, Some(&before), Some(&after));
                tx.commit().await?;
            });
        }
        self.permit(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("permit {id}")))
    }

    /// Revoked permits (id, when), revoked after `since` if given, oldest first: what a
    /// checkpoint device syncs.
    pub async fn revocations(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<(i64, DateTime<Utc>)>> {
        let since = since.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let rows: Vec<(i64, DateTime<Utc>)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, revoked_at FROM permits WHERE revoked_at IS NOT NULL AND revoked_at > $1 \
             ORDER BY revoked_at, id",
        ).bind(since).fetch_all(p).await?);
        Ok(rows)
    }

    pub async fn revoked_ids(&self) -> Result<HashSet<i64>> {
        Ok(self
            .revocations(None)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect())
    }

    // -----------------------------------------------------------------------------------
    // Crossings

    /// Records an entry or exit at a checkpoint (audited).
    pub async fn record_crossing(&self, actor: &Actor, c: &NewCrossing) -> Result<Crossing> {
        if c.holder_name.trim().is_empty() && c.plate.is_none() {
            return Err(StoreError::Invalid(
                "holder: a name, a plate or a permit is required".into(),
            ));
        }
        let id = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO crossings (checkpoint_id, at, direction, person_id, holder_name, plate, \
                 permit_id, test_result, test_at, allowed, reason, recorded_by) VALUES ($1, $2, $3, \
                 $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            )
            .bind(c.checkpoint_id).bind(c.at).bind(c.direction.as_str()).bind(c.person_id)
            .bind(c.holder_name.trim()).bind(c.plate.as_ref().map(Plate::as_str)).bind(c.permit_id)
            .bind(c.test.map(|(s, _)| s.as_str())).bind(c.test.map(|(_, at)| at))
            .bind(c.allowed).bind(&c.reason).bind(&actor.name)
            .fetch_one(&mut *tx).await?;
            audit_log!(tx, actor, "create", "crossings", id, None::<&()>, Some(c));
            tx.commit().await?;
            id
        });
        Ok(Crossing {
            id,
            recorded_by: actor.name.clone(),
            crossing: c.clone(),
        })
    }

    /// Crossings at a checkpoint in `[from, to)`, newest first.
    pub async fn crossings(
        &self,
        checkpoint_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Crossing>> {
        let sql = format!(
            "{CROSSING_SELECT} WHERE checkpoint_id = $1 AND at >= $2 AND at < $3 ORDER BY at DESC, id DESC"
        );
        let rows = with_pool!(self, p => sqlx::query_as::<_, CrossingRow>(&sql)
            .bind(checkpoint_id).bind(from).bind(to).fetch_all(p).await?);
        Ok(rows.into_iter().map(crossing_from).collect())
    }

    /// Every crossing of a person, each with the others who crossed the same checkpoint
    /// within `window` before or after (for tracing when the person is found F0).
    pub async fn crossed_with(
        &self,
        person_id: i64,
        window: Duration,
    ) -> Result<Vec<(Crossing, Vec<Crossing>)>> {
        let sql = format!("{CROSSING_SELECT} WHERE person_id = $1 ORDER BY at, id");
        let own = with_pool!(self, p => sqlx::query_as::<_, CrossingRow>(&sql)
            .bind(person_id).fetch_all(p).await?);
        let near_sql = format!(
            "{CROSSING_SELECT} WHERE checkpoint_id = $1 AND at >= $2 AND at <= $3 AND id <> $4 \
             AND (person_id IS NULL OR person_id <> $5) ORDER BY at, id"
        );
        let mut out = Vec::with_capacity(own.len());
        for c in own.into_iter().map(crossing_from) {
            let near = with_pool!(self, p => sqlx::query_as::<_, CrossingRow>(&near_sql)
                .bind(c.crossing.checkpoint_id).bind(c.crossing.at - window)
                .bind(c.crossing.at + window).bind(c.id).bind(person_id).fetch_all(p).await?);
            out.push((c, near.into_iter().map(crossing_from).collect()));
        }
        Ok(out)
    }
}
