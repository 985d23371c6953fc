//! Benchmarks only: samples written by the database's own bulk path, without vungxanh's
//! parsing, matching and checking — the baseline `import_samples` is measured against.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::bulk::{BulkInsert, Cell};
use crate::{Pool, Result, Store};

/// A sample already resolved: its code, its unit and its members as (person, unit,
/// household) ids.
type RawSample = (String, i64, Vec<(i64, i64, i64)>);

impl Store {
    /// Loads pooled RT-PCR samples of a round and their members: PostgreSQL by `COPY`
    /// (samples, their ids read back, members), SQLite by one transaction of prepared
    /// single-row inserts.
    pub async fn bench_raw_load_samples(
        &self,
        round_id: i64,
        collected_at: DateTime<Utc>,
        samples: &[RawSample],
    ) -> Result<()> {
        let now = Utc::now();
        let day = vx_domain::epi::epi_day(collected_at);
        match &self.pool {
            Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                let cells: Vec<Vec<Cell>> = samples
                    .iter()
                    .map(|(code, unit, _)| {
                        vec![
                            Cell::Text(code),
                            Cell::Int(round_id),
                            Cell::Text("rt-pcr"),
                            Cell::Bool(true),
                            Cell::Bool(false),
                            Cell::Bool(false),
                            Cell::Instant(collected_at),
                            Cell::Date(day),
                            Cell::Text("bench"),
                            Cell::Text("bench"),
                            Cell::Int(*unit),
                            Cell::Null,
                            Cell::Instant(now),
                        ]
                    })
                    .collect();
                tx.bulk_insert("samples", &super::screening::SAMPLE_COLUMNS, &cells)
                    .await?;
                let got: Vec<(i64, String)> =
                    sqlx::query_as("SELECT id, code FROM samples WHERE round_id = $1")
                        .bind(round_id)
                        .fetch_all(&mut *tx)
                        .await?;
                let ids: HashMap<String, i64> = got.into_iter().map(|(i, c)| (c, i)).collect();
                let members: Vec<Vec<Cell>> = samples
                    .iter()
                    .flat_map(|(code, _, ms)| {
                        let id = ids[code.as_str()];
                        ms.iter().map(move |(person, unit, hh)| {
                            vec![
                                Cell::Int(id),
                                Cell::Int(*person),
                                Cell::Int(round_id),
                                Cell::Int(*unit),
                                Cell::Int(*hh),
                                Cell::Bool(false),
                            ]
                        })
                    })
                    .collect();
                tx.bulk_insert(
                    "sample_members",
                    &super::screening::MEMBER_COLUMNS,
                    &members,
                )
                .await?;
                tx.commit().await?;
            }
            Pool::Sqlite(p) => {
                let mut tx = p.begin().await?;
                for (code, unit, ms) in samples {
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO samples (code, round_id, method, pooled, high_risk, retest, collected_at, \
                         collected_day, collector, laboratory, unit_id, import_id, created_at) \
                         VALUES ($1, $2, 'rt-pcr', TRUE, FALSE, FALSE, $3, $4, 'bench', 'bench', $5, NULL, $6) \
                         RETURNING id",
                    )
                    .bind(code).bind(round_id).bind(collected_at).bind(day).bind(unit).bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    for (person, unit, hh) in ms {
                        sqlx::query(
                            "INSERT INTO sample_members (sample_id, person_id, round_id, unit_id, household_id, retest) \
                             VALUES ($1, $2, $3, $4, $5, FALSE)",
                        )
                        .bind(id).bind(person).bind(round_id).bind(unit).bind(hh)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }
}
