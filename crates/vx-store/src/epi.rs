//! Storage of the epidemiological record (see issue 3): screening campaigns and rounds,
//! samples and results, retest orders and case proposals, cases (F0), contacts (F1, F2),
//! work lists, transmission chains and person timelines.
//!
//! Aggregates that pages read at province scale are kept on write, in the transaction of
//! the write: `round_unit_stats` (per round and unit holding people: targeted, sampled,
//! samples, results, positives) and `case_day_counts` (new cases per unit, day and source).
//! Roll-ups sum them over a subtree with the units' path range.

use serde::de::DeserializeOwned;
use serde::Serialize;
use vx_domain::epi::{PoolLimits, QuarantineRule, ReleaseRule, Versioned};

use crate::{audit_log, with_pool, Actor, Result, Store, StoreError};

/// Recomputes the sampled and result counts of `round_unit_stats` for some units of a round
/// from `sample_members` and `samples` (index ranges on `(round_id, unit_id)`), inside the
/// transaction `$tx`. `$unit_ids` is a slice of unit ids.
macro_rules! refresh_round_stats {
    ($tx:expr, $round_id:expr, $unit_ids:expr) => {{
        let round_id: i64 = $round_id;
        for chunk in $unit_ids.chunks(500) {
            let ids = chunk
                .iter()
                .map(|i: &i64| i.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let sql = format!(
                "INSERT INTO round_unit_stats (round_id, unit_id, sampled_people, sampled_households, \
                 samples, resulted, positives) \
                 SELECT $1, u.id, \
                   (SELECT COUNT(*) FROM sample_members m WHERE m.round_id = $1 AND m.unit_id = u.id AND NOT m.retest), \
                   (SELECT COUNT(DISTINCT m.household_id) FROM sample_members m WHERE m.round_id = $1 AND m.unit_id = u.id AND NOT m.retest), \
                   (SELECT COUNT(*) FROM samples s WHERE s.round_id = $1 AND s.unit_id = u.id AND NOT s.retest), \
                   (SELECT COUNT(*) FROM samples s WHERE s.round_id = $1 AND s.unit_id = u.id AND NOT s.retest AND s.result IS NOT NULL), \
                   (SELECT COUNT(*) FROM samples s WHERE s.round_id = $1 AND s.unit_id = u.id AND NOT s.retest AND s.result = 'positive') \
                 FROM units u WHERE u.id IN ({ids}) \
                 ON CONFLICT (round_id, unit_id) DO UPDATE SET sampled_people = excluded.sampled_people, \
                 sampled_households = excluded.sampled_households, samples = excluded.samples, \
                 resulted = excluded.resulted, positives = excluded.positives"
            );
            sqlx::query(&sql).bind(round_id).execute(&mut *$tx).await?;
        }
    }};
}

/// Links the quarantine test days of contacts to samples taken of the same person on that
/// day, for test days in `$from..=$to` (and, given `$min_contact`, of contacts from that id
/// on: the ones just recorded — older test days were linked when their samples came).
/// `sample_members CROSS JOIN samples` keeps SQLite on the person's index (a few samples a
/// person) instead of every sample of the day (tens of thousands in a screening round);
/// PostgreSQL plans a cross join with its conditions as an inner join.
macro_rules! mark_contact_tests {
    ($tx:expr, $from:expr, $to:expr) => {
        mark_contact_tests!($tx, $from, $to, 0i64)
    };
    ($tx:expr, $from:expr, $to:expr, $min_contact:expr) => {{
        sqlx::query(
            "UPDATE contact_tests SET sample_id = (SELECT MIN(m.sample_id) FROM sample_members m \
               CROSS JOIN samples s \
               WHERE s.id = m.sample_id AND m.person_id = contact_tests.person_id AND s.collected_day = contact_tests.day) \
             WHERE sample_id IS NULL AND day >= $1 AND day <= $2 AND contact_id >= $3 AND EXISTS (SELECT 1 FROM sample_members m \
               CROSS JOIN samples s \
               WHERE s.id = m.sample_id AND m.person_id = contact_tests.person_id AND s.collected_day = contact_tests.day)",
        )
        .bind($from)
        .bind($to)
        .bind($min_contact)
        .execute(&mut *$tx)
        .await?;
    }};
}

mod cases;
mod results;
mod review;
mod screening;

pub use screening::SampleState;

/// Rows per multi-row statement or `IN` list.
const CHUNK: usize = 1000;

/// Keys per `= ANY($1)` array on PostgreSQL.
const ARRAY_CHUNK: usize = 50_000;

/// The rows of `$select` (a query ending in `WHERE …` or `AND …` up to the keyed column)
/// whose `$column` is one of `$keys` (a slice of `&str` or `i64`). PostgreSQL gets one
/// `= ANY($1)` array per 50,000 keys: one plan, whatever the count (an `IN` list of 1,000
/// parameters costs PostgreSQL more to plan than to run). SQLite gets `IN` lists of
/// [`CHUNK`] parameters, one cached statement.
macro_rules! fetch_keyed {
    ($store:expr, $select:expr, $column:expr, $keys:expr, $row:ty) => {{
        let keys = $keys;
        let mut out: Vec<$row> = Vec::new();
        match &$store.pool {
            $crate::Pool::Sqlite(p) => {
                for chunk in keys.chunks($crate::epi::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::new(format!("{} {} IN (", $select, $column));
                    let mut sep = qb.separated(", ");
                    for k in chunk {
                        sep.push_bind(*k);
                    }
                    qb.push(")");
                    out.extend(qb.build_query_as::<$row>().fetch_all(p).await?);
                }
            }
            $crate::Pool::Postgres(p) => {
                let sql = format!("{} {} = ANY($1)", $select, $column);
                for chunk in keys.chunks($crate::epi::ARRAY_CHUNK) {
                    out.extend(
                        sqlx::query_as::<_, $row>(&sql)
                            .bind(chunk)
                            .fetch_all(p)
                            .await?,
                    );
                }
            }
        }
        out
    }};
}
pub(crate) use fetch_keyed;

/// `id1,id2,…` for an `IN (…)` list of integers (safe to inline: they are numbers).
fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

pub(crate) fn invalid(msg: impl Into<String>) -> StoreError {
    StoreError::Invalid(msg.into())
}

pub(crate) fn not_found(what: impl Into<String>) -> StoreError {
    StoreError::NotFound(what.into())
}

/// A stored word back into its enum (the CHECK constraints keep them valid).
pub(crate) fn word<T, E: std::fmt::Debug>(
    parse: impl Fn(&str) -> std::result::Result<T, E>,
    s: &str,
) -> T {
    parse(s).unwrap_or_else(|e| panic!("stored value {s:?} is valid: {e:?}"))
}

impl Store {
    async fn rules<T: DeserializeOwned>(
        &self,
        kind: &str,
        defaults: fn() -> Vec<T>,
    ) -> Result<Vec<T>> {
        let rows: Vec<(String,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT body FROM epi_rules WHERE kind = $1 ORDER BY effective_from",
        ).bind(kind).fetch_all(p).await?);
        if rows.is_empty() {
            return Ok(defaults());
        }
        rows.into_iter()
            .map(|(body,)| {
                serde_json::from_str(&body)
                    .map_err(|e| invalid(format!("stored {kind} rule is not valid: {e}")))
            })
            .collect()
    }

    async fn set_rules<T: Serialize + Versioned>(
        &self,
        actor: &Actor,
        kind: &str,
        rules: &[T],
    ) -> Result<()> {
        if rules.is_empty() {
            return Err(invalid(format!("give at least one {kind} rule")));
        }
        let mut days: Vec<_> = rules.iter().map(Versioned::effective_from).collect();
        days.sort();
        if days.windows(2).any(|w| w[0] == w[1]) {
            return Err(invalid(format!(
                "two {kind} rules take effect on the same day"
            )));
        }
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let before: Vec<(String,)> = sqlx::query_as(
                "SELECT body FROM epi_rules WHERE kind = $1 ORDER BY effective_from",
            ).bind(kind).fetch_all(&mut *tx).await?;
            let before: Vec<serde_json::Value> = before
                .into_iter()
                .filter_map(|(b,)| serde_json::from_str(&b).ok())
                .collect();
            sqlx::query("DELETE FROM epi_rules WHERE kind = $1").bind(kind).execute(&mut *tx).await?;
            for r in rules {
                sqlx::query("INSERT INTO epi_rules (kind, effective_from, body) VALUES ($1, $2, $3)")
                    .bind(kind).bind(r.effective_from())
                    .bind(serde_json::to_string(r).expect("rules serialise"))
                    .execute(&mut *tx).await?;
            }
            audit_log!(tx, actor, "update", "epi_rules", kind, Some(&before), Some(&rules));
            tx.commit().await?;
        });
        Ok(())
    }

    /// Quarantine rules by date (the SPEC 4.5 defaults until some are set).
    pub async fn quarantine_rules(&self) -> Result<Vec<QuarantineRule>> {
        self.rules("quarantine", QuarantineRule::defaults).await
    }

    /// Replaces the quarantine rules (audited). Contacts keep the plan computed when they
    /// were recorded.
    pub async fn set_quarantine_rules(
        &self,
        actor: &Actor,
        rules: &[QuarantineRule],
    ) -> Result<()> {
        for r in rules {
            r.validate().map_err(invalid)?;
        }
        self.set_rules(actor, "quarantine", rules).await
    }

    /// Release rules for cases by date (the SPEC 4.5 default until some are set).
    pub async fn release_rules(&self) -> Result<Vec<ReleaseRule>> {
        self.rules("release", ReleaseRule::defaults).await
    }

    pub async fn set_release_rules(&self, actor: &Actor, rules: &[ReleaseRule]) -> Result<()> {
        self.set_rules(actor, "release", rules).await
    }

    /// Pool size limits by date (defaults: RT-PCR 10, 5 in high-risk areas, rapid antigen
    /// individual).
    pub async fn pool_limits(&self) -> Result<Vec<PoolLimits>> {
        self.rules("pool_limits", || vec![PoolLimits::default()])
            .await
    }

    pub async fn set_pool_limits(&self, actor: &Actor, limits: &[PoolLimits]) -> Result<()> {
        self.set_rules(actor, "pool_limits", limits).await
    }
}
