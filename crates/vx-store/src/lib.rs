//! vungxanh storage: one contract, two backends.
//!
//! [`Store`] is the only way the rest of vungxanh reads and writes data. It runs on an
//! embedded SQLite file (the default: a district on a laptop) or on PostgreSQL (a province
//! or a country, several stateless servers sharing one database). Both backends run the
//! same SQL text wherever the dialects agree (`$1` parameters, `RETURNING`, `ON CONFLICT`,
//! `CAST(… AS BIGINT)`); each method body is written once and compiled for both pools by
//! [`with_pool!`]. Migrations are embedded, one folder per backend.
//!
//! Every write goes through a transaction that also appends to the audit log, so a write
//! and its audit record land together or not at all.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub mod admin;
mod audit;
mod auth;
pub mod bench;
mod bulk;
mod duplicates;
mod epi;
mod field;
mod identity;
mod import;
pub mod ops;
mod registry;
mod situation;
#[cfg(feature = "testing")]
pub mod testing;
mod units;
mod zones;

pub use audit::{Actor, AuditEntry};
pub use auth::{ApiToken, ApiTokenInfo, NewUser, SessionInfo, User};
pub use duplicates::{DuplicatePair, DuplicateReason, KeptBefore, MergeMoves, PersonMerge};
pub use epi::SampleState;
pub use field::{
    Applied, Check, CheckWrite, FieldHousehold, FieldPerson, FieldProgramme, FieldQuarantine,
    FieldRound, Receipt, Visit, FIELD_PEOPLE_MAX,
};
pub use identity::IdentityReview;
pub use import::{ImportOptions, ImportSummary, Located, RowProblem};
pub use registry::{DuplicateSuggestion, PeopleQuery, UnitCounts};
pub use situation::{
    Announcement, BoundariesSummary, Boundary, CurveDay, Figures, RoundFigures, WorkCounts,
};
pub use units::{UnitInput, UnitsSummary};
pub use zones::{
    rules, AdjacencySummary, ClassifySummary, Comparison, DosePerson, NewDose, Run as ZoneRun,
    StoredRuleSet, ZoneBatch, ZoneStatus,
};
pub use zones::{
    AssessedStep, GreenZoneView, HeldBack, NewHead, Review, ReviewStatus, ReviewUpdate,
    StoredOverride, StoredTarget, TargetView, UnitHead, ZoneEventRow,
};

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool of the store's backend. The body
/// is compiled once per backend, so it must use SQL both dialects accept.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::Pool::Sqlite($pool) => $body,
            $crate::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Appends one audit record inside a transaction.
macro_rules! audit_log {
    ($tx:expr, $actor:expr, $action:expr, $entity:expr, $entity_id:expr, $before:expr, $after:expr) => {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(chrono::Utc::now())
        .bind(&$actor.name)
        .bind($action)
        .bind($entity)
        .bind($entity_id.to_string())
        .bind($crate::audit::to_json($before))
        .bind($crate::audit::to_json($after))
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use audit_log;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unknown database URL {0:?}: use sqlite://PATH (the default: sqlite://data/vungxanh.sqlite) or postgres://USER@HOST:PORT/DATABASE")]
    UnknownUrl(String),
    #[error("cannot open database {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("cannot migrate database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{} rows refused", .0.len())]
    Rows(Vec<RowProblem>),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The store: a pool of connections to one database.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({:?})", self.backend())
    }
}

/// Hides a password in a database URL before it is printed.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// Opens the database named by `url` (`sqlite://PATH` or `postgres://…`). A SQLite file
    /// and its folder are created if missing. Does not migrate: call [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Store> {
        let connect_err = |source| StoreError::Connect {
            url: redact_url(url),
            source,
        };
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or(path);
            if path != ":memory:" && !path.is_empty() {
                if let Some(dir) = std::path::Path::new(path).parent() {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(dir)
                            .map_err(|e| connect_err(sqlx::Error::Io(e)))?;
                    }
                }
            }
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(connect_err)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory");
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts)
                .await
                .map_err(connect_err)?;
            Ok(Store {
                pool: Pool::Sqlite(pool),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).map_err(connect_err)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(connect_err)?;
            Ok(Store {
                pool: Pool::Postgres(pool),
            })
        } else {
            Err(StoreError::UnknownUrl(redact_url(url)))
        }
    }

    /// Applies the embedded migrations of the backend (idempotent).
    pub async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Cheap liveness probe for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, p => { sqlx::query("SELECT 1").execute(p).await?; });
        Ok(())
    }

    /// The data's version: the last audit record's id. Every write appends to the audit
    /// log in its own transaction (see the crate's doc), so a read made at one version
    /// holds until the version moves, whichever process or server wrote. One index probe.
    pub async fn data_version(&self) -> Result<i64> {
        let (v,): (i64,) = with_pool!(self, p => sqlx::query_as(
            "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM audit_log",
        ).fetch_one(p).await?);
        Ok(v)
    }

    pub async fn close(&self) {
        with_pool!(self, p => p.close().await)
    }
}

/// The exclusive upper bound of a materialised-path prefix range: "/1/2/" → "/1/20".
/// `path >= prefix AND path < path_end(prefix)` selects the subtree with a B-tree index on
/// both backends ('0' is the byte after '/').
pub(crate) fn path_end(prefix: &str) -> String {
    let mut end = prefix.trim_end_matches('/').to_string();
    end.push('0');
    end
}

/// The longest text a name search takes (in characters, after folding); longer ones are
/// refused before they reach SQL (SQLite refuses a `LIKE` pattern past 50,000 bytes).
pub const MAX_SEARCH_CHARS: usize = 200;

/// A `LIKE … ESCAPE '\'` pattern that finds `text` anywhere: `%`, `_` and `\` in the
/// text match themselves, not any text or any character.
pub(crate) fn like_contains(text: &str) -> Result<String> {
    if text.chars().count() > MAX_SEARCH_CHARS {
        return Err(StoreError::Invalid(format!(
            "search text longer than {MAX_SEARCH_CHARS} characters"
        )));
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    Ok(out)
}

impl Store {
    /// Runs one raw statement, audited like every write (so the data version moves). For
    /// tests only.
    #[doc(hidden)]
    pub async fn debug_execute(&self, sql: &str) -> Result<u64> {
        let actor = Actor::system("debug");
        let n = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(sql).execute(&mut *tx).await?.rows_affected();
            audit_log!(tx, actor, "execute", "sql", n, None::<&()>, Some(&sql));
            tx.commit().await?;
            n
        });
        Ok(n)
    }
}
