//! Baselines for the benchmark suite: the same rows written by the database's own bulk path,
//! without vungxanh's parsing, checking and matching.

use chrono::Utc;
use vx_domain::{Birth, CitizenId, NewPerson, Phone};

use crate::bulk::{BulkInsert, Cell};
use crate::{with_pool, Pool, Result, Store};

impl Store {
    /// Loads people rows already resolved to (household id, unit id): PostgreSQL by `COPY`,
    /// SQLite by one transaction of prepared single-row inserts.
    pub async fn bench_raw_load_people(&self, rows: &[(i64, i64, NewPerson)]) -> Result<()> {
        let now = Utc::now();
        let folded: Vec<String> = rows.iter().map(|r| r.2.full_name.folded()).collect();
        let keys: Vec<String> = rows.iter().map(|r| r.2.natural_key()).collect();
        let cells = rows
            .iter()
            .zip(&folded)
            .zip(&keys)
            .map(|(((hh, unit, p), folded), key)| {
                let (date, year) = match p.birth {
                    Birth::Date(d) => (Some(d), p.birth.year()),
                    Birth::Year(y) => (None, y),
                };
                vec![
                    Cell::Int(*hh),
                    Cell::Int(*unit),
                    Cell::Text(key),
                    Cell::Text(p.full_name.as_str()),
                    Cell::Text(folded),
                    date.into(),
                    year.into(),
                    p.sex.as_str().into(),
                    p.citizen_id.as_ref().map(CitizenId::as_str).into(),
                    p.phone.as_ref().map(Phone::as_str).into(),
                    p.relation.as_str().into(),
                    Cell::Null,
                    Cell::Instant(now),
                ]
            });
        match &self.pool {
            Pool::Postgres(p) => {
                let cells: Vec<Vec<Cell<'_>>> = cells.collect();
                let mut tx = p.begin().await?;
                tx.bulk_insert("people", &crate::registry::PEOPLE_COLUMNS, &cells)
                    .await?;
                tx.commit().await?;
            }
            Pool::Sqlite(p) => {
                let mut tx = p.begin().await?;
                let sql = "INSERT INTO people (household_id, unit_id, natural_key, full_name, name_folded, \
                           birth_date, birth_year, sex, citizen_id, phone, relation, import_id, updated_at) \
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
                for row in cells {
                    let mut q = sqlx::query(sql);
                    for cell in row {
                        q = match cell {
                            Cell::Null => q.bind(None::<i64>),
                            Cell::Int(v) => q.bind(v),
                            Cell::Bool(v) => q.bind(v),
                            Cell::Text(v) => q.bind(v),
                            Cell::Date(v) => q.bind(v),
                            Cell::Instant(v) => q.bind(v),
                        };
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Removes every person (benchmarks only: between a measured import and its baseline).
    pub async fn bench_delete_people(&self) -> Result<()> {
        with_pool!(self, p => { sqlx::query("DELETE FROM people").execute(p).await?; });
        Ok(())
    }

    /// (household id, unit id) of every household, by code.
    pub async fn bench_household_ids(
        &self,
    ) -> Result<std::collections::HashMap<String, (i64, i64)>> {
        let rows: Vec<(String, i64, i64)> = with_pool!(self, p => sqlx::query_as("SELECT code, id, unit_id FROM households").fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|(c, id, unit)| (c, (id, unit)))
            .collect())
    }
}
