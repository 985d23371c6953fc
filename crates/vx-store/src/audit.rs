//! The audit log: who, when, which entity, before and after. Append-only: both backends
//! refuse UPDATE and DELETE on the table with a trigger.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{with_pool, Result, Store};

/// Who writes. Every write method takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn user(id: i64, username: &str) -> Actor {
        Actor {
            user_id: Some(id),
            name: username.to_string(),
        }
    }
    /// A command-line or system actor, e.g. `Actor::system("cli:root")`.
    pub fn system(name: &str) -> Actor {
        Actor {
            user_id: None,
            name: name.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

pub(crate) fn to_json<T: Serialize>(value: Option<&T>) -> Option<String> {
    value.map(|v| serde_json::to_string(v).expect("audit values serialise"))
}

impl Store {
    /// The newest audit entries first, optionally for one entity (`"person"`, `"42"`).
    pub async fn audit_log(
        &self,
        entity: Option<(&str, &str)>,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let (entity, entity_id) = entity.unwrap_or(("", ""));
        let rows = with_pool!(self, p => sqlx::query_as::<_, AuditEntry>(
            "SELECT id, at, actor, action, entity, entity_id, before, after FROM audit_log \
             WHERE ($1 = '' OR (entity = $1 AND entity_id = $2)) AND id < $3 \
             ORDER BY id DESC LIMIT $4",
        )
        .bind(entity)
        .bind(entity_id)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(p)
        .await?);
        Ok(rows)
    }
}
