//! Users, their scopes, sessions, API tokens and failed logins. Sessions and failed logins
//! live in the database so that any server of a cluster can answer any request.

use chrono::{DateTime, Utc};
use serde::Serialize;
use vx_domain::{Access, Role, Unit, UnitCode};

use crate::{audit_log, with_pool, Actor, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    /// The current versions of the scope units.
    pub scope: Vec<Unit>,
}

impl User {
    pub fn access(&self) -> Access {
        Access::new(
            self.role,
            self.scope.iter().map(|u| u.path.clone()).collect(),
        )
    }
    pub fn actor(&self) -> Actor {
        Actor::user(self.id, &self.username)
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    /// An argon2 PHC string: the store never sees a password.
    pub password_hash: String,
    pub role: Role,
    pub scope: Vec<UnitCode>,
}

#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub user: User,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A token as an administrator lists it (never its secret nor its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiTokenInfo {
    pub token: ApiToken,
    pub username: String,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    active: bool,
}

impl Store {
    async fn finish_user(&self, row: UserRow) -> Result<User> {
        let codes: Vec<(String,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT unit_code FROM user_scopes WHERE user_id = $1 ORDER BY unit_code",
        ).bind(row.id).fetch_all(p).await?);
        let mut scope = Vec::with_capacity(codes.len());
        for (code,) in codes {
            if let Some(u) = self.unit(&code).await? {
                scope.push(u);
            }
        }
        Ok(User {
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            role: row.role.parse().expect("stored roles are valid"),
            active: row.active,
            scope,
        })
    }

    /// A role's scope: at least one unit (administrators aside), each of the role's level.
    async fn check_scope(&self, role: Role, scope: &[UnitCode]) -> Result<()> {
        if role != Role::Admin && scope.is_empty() {
            return Err(StoreError::Invalid(format!(
                "a {role} user needs at least one scope unit"
            )));
        }
        for code in scope {
            let unit = self.require_unit(code.as_str()).await?;
            if let Some(level) = role.scope_level() {
                if unit.level != level {
                    return Err(StoreError::Invalid(format!(
                        "a {role} user's scope must be a {}, and {code} is a {}",
                        level.as_str(),
                        unit.level.as_str()
                    )));
                }
            }
        }
        Ok(())
    }

    pub async fn create_user(&self, actor: &Actor, new: &NewUser) -> Result<User> {
        let username = new.username.trim();
        if username.is_empty() || username.len() > 64 || username.contains(char::is_whitespace) {
            return Err(StoreError::Invalid(format!(
                "username {username:?} must be 1 to 64 characters without spaces"
            )));
        }
        self.check_scope(new.role, &new.scope).await?;
        if self.user_by_username(username).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "user {username} exists already"
            )));
        }
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO users (username, display_name, password_hash, role, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(username).bind(&new.display_name).bind(&new.password_hash).bind(new.role.as_str())
            .bind(Utc::now()).fetch_one(&mut *tx).await?;
            for code in &new.scope {
                sqlx::query("INSERT INTO user_scopes (user_id, unit_code) VALUES ($1, $2)")
                    .bind(id).bind(code.as_str()).execute(&mut *tx).await?;
            }
            let after = serde_json::json!({
                "username": username, "display_name": new.display_name, "role": new.role,
                "scope": new.scope,
            });
            audit_log!(tx, actor, "create", "user", id, None::<&()>, Some(&after));
            tx.commit().await?;
            id
        });
        self.user(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {id}")))
    }

    /// Replaces a user's scope (audited: every server sees the new scope from its next
    /// request, and a phone's next sync is checked against it). The units must be of the
    /// role's level, as when the user was added.
    pub async fn set_user_scope(
        &self,
        actor: &Actor,
        username: &str,
        scope: &[UnitCode],
    ) -> Result<User> {
        let (user, _) = self
            .user_by_username(username)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {username}")))?;
        self.check_scope(user.role, scope).await?;
        let before: Vec<&str> = user.scope.iter().map(|u| u.code.as_str()).collect();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM user_scopes WHERE user_id = $1").bind(user.id).execute(&mut *tx).await?;
            for code in scope {
                sqlx::query("INSERT INTO user_scopes (user_id, unit_code) VALUES ($1, $2)")
                    .bind(user.id).bind(code.as_str()).execute(&mut *tx).await?;
            }
            audit_log!(tx, actor, "scope", "user", user.id, Some(&before), Some(&scope));
            tx.commit().await?;
        });
        self.user(user.id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {}", user.id)))
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>> {
        let row = with_pool!(self, p => sqlx::query_as::<_, UserRow>(
            "SELECT id, username, display_name, role, active FROM users WHERE id = $1",
        ).bind(id).fetch_optional(p).await?);
        match row {
            Some(r) => Ok(Some(self.finish_user(r).await?)),
            None => Ok(None),
        }
    }

    /// The user and its password hash.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<(User, String)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: UserRow,
            password_hash: String,
        }
        let row = with_pool!(self, p => sqlx::query_as::<_, Row>(
            "SELECT id, username, display_name, role, active, password_hash FROM users WHERE username = $1",
        ).bind(username.trim()).fetch_optional(p).await?);
        match row {
            Some(r) => Ok(Some((self.finish_user(r.user).await?, r.password_hash))),
            None => Ok(None),
        }
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = with_pool!(self, p => sqlx::query_as::<_, UserRow>(
            "SELECT id, username, display_name, role, active FROM users ORDER BY username",
        ).fetch_all(p).await?);
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.finish_user(r).await?);
        }
        Ok(out)
    }

    pub async fn set_password(
        &self,
        actor: &Actor,
        user_id: i64,
        password_hash: &str,
    ) -> Result<()> {
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(password_hash).bind(user_id).execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!("user {user_id}")));
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            audit_log!(tx, actor, "set-password", "user", user_id, None::<&()>, None::<&()>);
            tx.commit().await?;
        });
        Ok(())
    }

    // -----------------------------------------------------------------------------------
    // Sessions

    pub async fn create_session(
        &self,
        user_id: i64,
        token_hash: &str,
        csrf: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        with_pool!(self, p => { sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        ).bind(token_hash).bind(user_id).bind(csrf).bind(Utc::now()).bind(expires_at).execute(p).await?; });
        Ok(())
    }

    /// The live session with this token hash, with its active user.
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionInfo>> {
        let row: Option<(i64, String, DateTime<Utc>)> = with_pool!(self, p => sqlx::query_as(
            "SELECT user_id, csrf, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        ).bind(token_hash).bind(Utc::now()).fetch_optional(p).await?);
        let Some((user_id, csrf, expires_at)) = row else {
            return Ok(None);
        };
        Ok(self
            .user(user_id)
            .await?
            .filter(|u| u.active)
            .map(|user| SessionInfo {
                user,
                csrf,
                expires_at,
            }))
    }

    /// Ends a session (sign-out), and forgets expired ones. An audited write when the
    /// session was live: the audit record moves the data version, which every server
    /// sharing the database reads on each request, so the sign-out holds everywhere at
    /// once (no server keeps the credential in memory past it).
    pub async fn end_session(&self, actor: &Actor, token_hash: &str) -> Result<()> {
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let gone: Option<(i64,)> = sqlx::query_as(
                "DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id",
            ).bind(token_hash).fetch_optional(&mut *tx).await?;
            sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
                .bind(Utc::now()).execute(&mut *tx).await?;
            if let Some((user_id,)) = gone {
                audit_log!(tx, actor, "sign-out", "user", user_id, None::<&()>, None::<&()>);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Ends every session of a user (a lost phone, a departure): audited, seen by every
    /// server at once (see [`Store::end_session`]). How many sessions ended.
    pub async fn revoke_sessions(&self, actor: &Actor, user_id: i64) -> Result<u64> {
        let n = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let known: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE id = $1")
                .bind(user_id).fetch_optional(&mut *tx).await?;
            if known.is_none() {
                return Err(StoreError::NotFound(format!("user {user_id}")));
            }
            let n = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id).execute(&mut *tx).await?.rows_affected();
            audit_log!(tx, actor, "revoke-sessions", "user", user_id, None::<&()>, Some(&serde_json::json!({"sessions": n})));
            tx.commit().await?;
            n
        });
        Ok(n)
    }

    // -----------------------------------------------------------------------------------
    // API tokens

    pub async fn create_api_token(
        &self,
        actor: &Actor,
        user_id: i64,
        name: &str,
        token_hash: &str,
    ) -> Result<ApiToken> {
        let now = Utc::now();
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            ).bind(user_id).bind(name).bind(token_hash).bind(now).fetch_one(&mut *tx).await?;
            audit_log!(tx, actor, "create", "api_token", id, None::<&()>, Some(&serde_json::json!({"user_id": user_id, "name": name})));
            tx.commit().await?;
            id
        });
        Ok(ApiToken {
            id,
            user_id,
            name: name.to_string(),
            created_at: now,
        })
    }

    /// API tokens, newest first; of one user, or all.
    pub async fn api_tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiTokenInfo>> {
        type Row = (
            i64,
            i64,
            String,
            String,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
        );
        let rows: Vec<Row> = with_pool!(self, p => sqlx::query_as(
            "SELECT t.id, t.user_id, u.username, t.name, t.created_at, t.revoked_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE ($1 = 0 OR t.user_id = $1) ORDER BY t.id DESC",
        ).bind(user_id.unwrap_or(0)).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(
                |(id, user_id, username, name, created_at, revoked_at)| ApiTokenInfo {
                    token: ApiToken {
                        id,
                        user_id,
                        name,
                        created_at,
                    },
                    username,
                    revoked_at,
                },
            )
            .collect())
    }

    /// Revokes an API token: audited, so every server stops taking it at once (the audit
    /// record moves the data version). Revoking a revoked token is a conflict.
    pub async fn revoke_api_token(&self, actor: &Actor, id: i64) -> Result<()> {
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let row: Option<(i64, String, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT user_id, name, revoked_at FROM api_tokens WHERE id = $1",
            ).bind(id).fetch_optional(&mut *tx).await?;
            let Some((user_id, name, revoked_at)) = row else {
                return Err(StoreError::NotFound(format!("API token {id}")));
            };
            if let Some(at) = revoked_at {
                return Err(StoreError::Conflict(format!("API token {id} was revoked at {at}")));
            }
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
                .bind(Utc::now()).bind(id).execute(&mut *tx).await?;
            audit_log!(tx, actor, "revoke", "api_token", id, None::<&()>, Some(&serde_json::json!({"user_id": user_id, "name": name})));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn user_by_api_token(&self, token_hash: &str) -> Result<Option<User>> {
        let row: Option<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        ).bind(token_hash).fetch_optional(p).await?);
        match row {
            Some((id,)) => Ok(self.user(id).await?.filter(|u| u.active)),
            None => Ok(None),
        }
    }

    // -----------------------------------------------------------------------------------
    // Failed logins (rate limiting shared by all servers)

    /// Records a failed login, and forgets failures older than a day (the table stays small).
    pub async fn record_login_failure(&self, key: &str) -> Result<()> {
        let now = Utc::now();
        with_pool!(self, p => {
            sqlx::query("DELETE FROM login_failures WHERE at < $1")
                .bind(now - chrono::Duration::days(1)).execute(p).await?;
            sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
                .bind(key).bind(now).execute(p).await?;
        });
        Ok(())
    }

    /// Failed logins of `key` after `since`: how many, and when the last one was.
    pub async fn login_failures_since(
        &self,
        key: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, Option<DateTime<Utc>>)> {
        let (n, last) = with_pool!(self, p => {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at > $2",
            ).bind(key).bind(since).fetch_one(p).await?;
            let last: Option<(DateTime<Utc>,)> = sqlx::query_as(
                "SELECT at FROM login_failures WHERE key = $1 AND at > $2 ORDER BY at DESC LIMIT 1",
            ).bind(key).bind(since).fetch_optional(p).await?;
            (n, last.map(|(at,)| at))
        });
        Ok((n, last))
    }

    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        with_pool!(self, p => { sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key).execute(p).await?; });
        Ok(())
    }
}
