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

/// A stored sample row, as the samples import writes it (benchmarks: the output of a measured
/// import becomes the input of its baseline).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RawSample {
    id: i64,
    code: String,
    round_id: i64,
    method: String,
    pooled: bool,
    high_risk: bool,
    retest: bool,
    collected_at: chrono::DateTime<Utc>,
    collected_day: chrono::NaiveDate,
    collector: String,
    laboratory: String,
    unit_id: i64,
    import_id: Option<i64>,
    created_at: chrono::DateTime<Utc>,
}

/// A stored member of a sample.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RawMember {
    sample_id: i64,
    person_id: i64,
    round_id: i64,
    unit_id: i64,
    household_id: i64,
    retest: bool,
}

/// The samples and members of one round.
#[derive(Debug, Clone, Default)]
pub struct RawRound {
    pub samples: Vec<RawSample>,
    pub members: Vec<RawMember>,
}

/// A stored result of a sample.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RawResult {
    id: i64,
    result: String,
    ct: Option<f64>,
    tested_at: chrono::DateTime<Utc>,
    result_lab: String,
}

const SAMPLE_COLUMNS: [&str; 14] = [
    "id",
    "code",
    "round_id",
    "method",
    "pooled",
    "high_risk",
    "retest",
    "collected_at",
    "collected_day",
    "collector",
    "laboratory",
    "unit_id",
    "import_id",
    "created_at",
];
const MEMBER_COLUMNS: [&str; 6] = [
    "sample_id",
    "person_id",
    "round_id",
    "unit_id",
    "household_id",
    "retest",
];

impl Store {
    /// Reads the samples and members of a round, then deletes them (benchmarks only).
    pub async fn bench_take_round(&self, round_id: i64) -> Result<RawRound> {
        with_pool!(self, p => {
            let samples: Vec<RawSample> = sqlx::query_as(&format!(
                "SELECT {} FROM samples WHERE round_id = $1 ORDER BY id",
                SAMPLE_COLUMNS.join(", ")
            ))
            .bind(round_id)
            .fetch_all(p)
            .await?;
            let members: Vec<RawMember> = sqlx::query_as(&format!(
                "SELECT {} FROM sample_members WHERE round_id = $1",
                MEMBER_COLUMNS.join(", ")
            ))
            .bind(round_id)
            .fetch_all(p)
            .await?;
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM sample_members WHERE round_id = $1").bind(round_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM samples WHERE round_id = $1").bind(round_id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(RawRound { samples, members })
        })
    }

    /// Loads a round's samples and members by the database's own bulk path: PostgreSQL by
    /// `COPY`, SQLite by one transaction of prepared single-row inserts.
    pub async fn bench_raw_load_round(&self, round: &RawRound) -> Result<()> {
        let samples = round.samples.iter().map(|s| {
            vec![
                Cell::Int(s.id),
                Cell::Text(&s.code),
                Cell::Int(s.round_id),
                Cell::Text(&s.method),
                Cell::Bool(s.pooled),
                Cell::Bool(s.high_risk),
                Cell::Bool(s.retest),
                Cell::Instant(s.collected_at),
                Cell::Date(s.collected_day),
                Cell::Text(&s.collector),
                Cell::Text(&s.laboratory),
                Cell::Int(s.unit_id),
                s.import_id.into(),
                Cell::Instant(s.created_at),
            ]
        });
        let members = round.members.iter().map(|m| {
            vec![
                Cell::Int(m.sample_id),
                Cell::Int(m.person_id),
                Cell::Int(m.round_id),
                Cell::Int(m.unit_id),
                Cell::Int(m.household_id),
                Cell::Bool(m.retest),
            ]
        });
        match &self.pool {
            Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                tx.bulk_insert("samples", &SAMPLE_COLUMNS, &samples.collect::<Vec<_>>())
                    .await?;
                tx.bulk_insert(
                    "sample_members",
                    &MEMBER_COLUMNS,
                    &members.collect::<Vec<_>>(),
                )
                .await?;
                tx.commit().await?;
            }
            Pool::Sqlite(p) => {
                let mut tx = p.begin().await?;
                for (table, columns, rows) in [
                    ("samples", &SAMPLE_COLUMNS[..], samples.collect::<Vec<_>>()),
                    ("sample_members", &MEMBER_COLUMNS[..], members.collect()),
                ] {
                    let params: Vec<String> =
                        (1..=columns.len()).map(|i| format!("${i}")).collect();
                    let sql = format!(
                        "INSERT INTO {table} ({}) VALUES ({})",
                        columns.join(", "),
                        params.join(", ")
                    );
                    for row in rows {
                        let mut q = sqlx::query(&sql);
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
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Reads the results of a round's samples, then clears them with what they started
    /// (retest orders, case proposals, conflicts; benchmarks only).
    pub async fn bench_take_results(&self, round_id: i64) -> Result<Vec<RawResult>> {
        with_pool!(self, p => {
            let rows: Vec<RawResult> = sqlx::query_as(
                "SELECT id, result, ct, tested_at, result_lab FROM samples \
                 WHERE round_id = $1 AND result IS NOT NULL ORDER BY id",
            )
            .bind(round_id)
            .fetch_all(p)
            .await?;
            let mut tx = p.begin().await?;
            let scope = "sample_id IN (SELECT id FROM samples WHERE round_id = $1)";
            for sql in [
                "DELETE FROM retest_orders WHERE round_id = $1".to_string(),
                format!("DELETE FROM case_proposals WHERE {scope}"),
                format!("DELETE FROM result_conflicts WHERE {scope}"),
                "UPDATE samples SET result = NULL, ct = NULL, tested_at = NULL, result_lab = NULL, \
                 result_import_id = NULL WHERE round_id = $1".to_string(),
            ] {
                sqlx::query(&sql).bind(round_id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(rows)
        })
    }

    /// Writes results onto their samples by the database's own bulk path: PostgreSQL by
    /// `COPY` into a temporary table and one `UPDATE … FROM`; SQLite by one transaction of
    /// prepared single-row updates.
    pub async fn bench_raw_load_results(&self, rows: &[RawResult]) -> Result<()> {
        match &self.pool {
            Pool::Postgres(p) => {
                let cts: Vec<Option<String>> =
                    rows.iter().map(|r| r.ct.map(|c| c.to_string())).collect();
                let cells: Vec<Vec<Cell<'_>>> = rows
                    .iter()
                    .zip(&cts)
                    .map(|(r, ct)| {
                        vec![
                            Cell::Int(r.id),
                            Cell::Text(&r.result),
                            ct.as_deref().into(),
                            Cell::Instant(r.tested_at),
                            Cell::Text(&r.result_lab),
                        ]
                    })
                    .collect();
                let mut tx = p.begin().await?;
                sqlx::query(
                    "CREATE TEMP TABLE bench_results (id BIGINT, result TEXT, ct DOUBLE PRECISION, \
                     tested_at TIMESTAMPTZ, result_lab TEXT) ON COMMIT DROP",
                )
                .execute(&mut *tx)
                .await?;
                tx.bulk_insert(
                    "bench_results",
                    &["id", "result", "ct", "tested_at", "result_lab"],
                    &cells,
                )
                .await?;
                sqlx::query(
                    "UPDATE samples s SET result = b.result, ct = b.ct, tested_at = b.tested_at, \
                     result_lab = b.result_lab FROM bench_results b WHERE s.id = b.id",
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
            Pool::Sqlite(p) => {
                let mut tx = p.begin().await?;
                for r in rows {
                    sqlx::query(
                        "UPDATE samples SET result = $1, ct = $2, tested_at = $3, result_lab = $4 \
                         WHERE id = $5",
                    )
                    .bind(&r.result)
                    .bind(r.ct)
                    .bind(r.tested_at)
                    .bind(&r.result_lab)
                    .bind(r.id)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }
}

/// Community and in-quarantine cases of one leaf unit on one day (a benchmark fixture).
#[derive(Debug, Clone)]
pub struct CaseCount {
    pub unit_code: String,
    pub day: chrono::NaiveDate,
    pub community: u32,
    pub in_quarantine: u32,
}

/// The 4800 matrix (case rate bands 20/50/150 per 100,000 per week from 14 days halved;
/// ≥ 70 % of adults with a first dose; +1 from 2021-10-12 when fewer than 80 % of people 65+
/// are fully vaccinated and the unit has a community case, level 4 at most), as SQL over
/// `unitday (unit, day, c14, pop, adults, d1, old, f65)`.
const SQL_MATRIX: &str = "\
    SELECT count(*) AS units, COALESCE(sum(level), 0) AS levels FROM (\
      SELECT LEAST(4, \
        CASE WHEN adults > 0 AND d1 * 100.0 / adults >= 70 \
          THEN (ARRAY[1, 1, 2, 3])[band + 1] ELSE (ARRAY[1, 2, 3, 4])[band + 1] END \
        + CASE WHEN day >= DATE '2021-10-12' AND c14 > 0 AND old > 0 AND f65 * 100.0 / old < 80 \
          THEN 1 ELSE 0 END) AS level \
      FROM (SELECT *, CASE \
          WHEN pop = 0 OR c14 / 2.0 * 100000 / pop < 20 THEN 0 \
          WHEN c14 / 2.0 * 100000 / pop < 50 THEN 1 \
          WHEN c14 / 2.0 * 100000 / pop < 150 THEN 2 ELSE 3 END AS band \
        FROM unitday) banded) levels";

impl Store {
    /// Adds cases to leaf units (benchmarks only): each count takes the next people of the
    /// unit in id order, confirmed that day, isolated in a facility for 14 days. Written by
    /// the bulk path.
    pub async fn bench_insert_cases(&self, counts: &[CaseCount]) -> Result<u64> {
        let now = Utc::now();
        let mut codes: Vec<&str> = counts.iter().map(|c| c.unit_code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        // People of each unit, in id order: (person id, unit id).
        let mut people: std::collections::HashMap<String, Vec<(i64, i64)>> = Default::default();
        for chunk in codes.chunks(500) {
            let rows: Vec<(String, i64, i64)> = with_pool!(self, p => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT u.code, p.id, p.unit_id FROM people p JOIN units u ON u.id = p.unit_id \
                     WHERE u.valid_to IS NULL AND u.code IN (",
                );
                let mut sep = qb.separated(", ");
                for c in chunk {
                    sep.push_bind(*c);
                }
                qb.push(") ORDER BY p.id");
                qb.build_query_as().fetch_all(p).await?
            });
            for (code, id, unit) in rows {
                people.entry(code).or_default().push((id, unit));
            }
        }
        let mut taken: std::collections::HashMap<&str, usize> = Default::default();
        let mut rows = Vec::new();
        for c in counts {
            let Some(list) = people.get(&c.unit_code) else {
                continue;
            };
            for (source, k) in [
                ("community", c.community),
                ("in-quarantine", c.in_quarantine),
            ] {
                let next = taken.entry(c.unit_code.as_str()).or_default();
                for &(person, unit) in list.iter().skip(*next).take(k as usize) {
                    rows.push((person, unit, c.day, source));
                }
                *next += k as usize;
            }
        }
        let cells: Vec<Vec<Cell<'_>>> = rows
            .iter()
            .map(|&(person, unit, day, source)| {
                vec![
                    Cell::Int(person),
                    Cell::Int(unit),
                    Cell::Date(day),
                    Cell::Text(source),
                    Cell::Text("mild"),
                    Cell::Text("facility"),
                    Cell::Date(day),
                    Cell::Date(day + chrono::Days::new(14)),
                    Cell::Text("/"),
                    Cell::Instant(now),
                ]
            })
            .collect();
        // The per-day counts the store keeps beside cases (empty before: a fresh database).
        let mut per_day: std::collections::BTreeMap<(i64, chrono::NaiveDate), (i64, i64)> =
            Default::default();
        for &(_, unit, day, source) in &rows {
            let e = per_day.entry((unit, day)).or_default();
            if source == "community" {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
        let day_cells: Vec<Vec<Cell<'_>>> = per_day
            .iter()
            .map(|(&(unit, day), &(community, quarantine))| {
                vec![
                    Cell::Int(unit),
                    Cell::Date(day),
                    Cell::Int(community),
                    Cell::Int(quarantine),
                    Cell::Int(0),
                ]
            })
            .collect();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            tx.bulk_insert(
                "case_day_counts",
                &["unit_id", "day", "community", "in_quarantine", "imported"],
                &day_cells,
            ).await?;
            tx.bulk_insert(
                "cases",
                &["person_id", "unit_id", "confirmed_on", "source", "severity", "place",
                  "isolation_start", "release_due", "chain_path", "created_at"],
                &cells,
            ).await?;
            tx.commit().await?;
        });
        let sql = match &self.pool {
            Pool::Sqlite(_) => "UPDATE cases SET chain_path = printf('/C%016d/', id) WHERE chain_path = '/'",
            Pool::Postgres(_) => {
                "UPDATE cases SET chain_path = '/C' || lpad(id::text, 16, '0') || '/' WHERE chain_path = '/'"
            }
        };
        with_pool!(self, p => { sqlx::query(sql).execute(p).await?; });
        Ok(rows.len() as u64)
    }

    /// The 4800 matrix for every unit of the subtree at `root_path` and every day
    /// `from..=to`, written as one SQL query over the stored registry, vaccinations and
    /// cases (PostgreSQL; the benchmark's baseline). Returns (unit-days, sum of levels).
    pub async fn bench_sql_levels(
        &self,
        root_path: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<(i64, i64)> {
        let Pool::Postgres(p) = &self.pool else {
            return Err(crate::StoreError::Invalid("PostgreSQL only".into()));
        };
        let sql = format!(
            "WITH tree AS (SELECT id, code, path FROM units \
               WHERE valid_to IS NULL AND path LIKE $1 || '%'), \
             anc AS (SELECT t.id AS leaf, a.id AS unit FROM tree t \
               CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from t.path), '/')) AS c(code) \
               JOIN tree a ON a.code = c.code), \
             grid AS (SELECT t.id AS leaf, g.day::date AS day FROM tree t \
               CROSS JOIN generate_series($2::date - 13, $3::date, interval '1 day') AS g(day)), \
             c AS (SELECT unit_id, confirmed_on AS day, count(*) AS n FROM cases \
               WHERE source = 'community' AND confirmed_on BETWEEN $2::date - 13 AND $3 GROUP BY 1, 2), \
             v AS (SELECT p.unit_id, greatest(v.day, $2::date - 13) AS day, \
               count(*) FILTER (WHERE v.dose = 1 AND 2021 - p.birth_year >= 18) AS d1, \
               count(*) FILTER (WHERE v.dose = 2 AND 2021 - p.birth_year >= 65) AS f65 \
               FROM vaccinations v JOIN people p ON p.id = v.person_id WHERE v.day <= $3 GROUP BY 1, 2), \
             pp AS (SELECT unit_id, count(*) AS pop, \
               count(*) FILTER (WHERE 2021 - birth_year >= 18) AS adults, \
               count(*) FILTER (WHERE 2021 - birth_year >= 65) AS old \
               FROM people WHERE active GROUP BY 1), \
             leafday AS (SELECT g.leaf, g.day, \
               sum(COALESCE(c.n, 0)) OVER (PARTITION BY g.leaf ORDER BY g.day ROWS 13 PRECEDING) AS c14, \
               sum(COALESCE(v.d1, 0)) OVER (PARTITION BY g.leaf ORDER BY g.day) AS d1, \
               sum(COALESCE(v.f65, 0)) OVER (PARTITION BY g.leaf ORDER BY g.day) AS f65 \
               FROM grid g LEFT JOIN c ON c.unit_id = g.leaf AND c.day = g.day \
               LEFT JOIN v ON v.unit_id = g.leaf AND v.day = g.day), \
             unitday AS (SELECT a.unit, l.day, sum(l.c14) AS c14, sum(l.d1) AS d1, sum(l.f65) AS f65, \
               COALESCE(sum(pp.pop), 0) AS pop, COALESCE(sum(pp.adults), 0) AS adults, \
               COALESCE(sum(pp.old), 0) AS old \
               FROM leafday l JOIN anc a ON a.leaf = l.leaf LEFT JOIN pp ON pp.unit_id = l.leaf \
               WHERE l.day >= $2 GROUP BY a.unit, l.day) \
             {SQL_MATRIX}"
        );
        let row: (i64, i64) = sqlx::query_as(&sql)
            .bind(root_path)
            .bind(from)
            .bind(to)
            .fetch_one(p)
            .await?;
        Ok(row)
    }

    /// Per-leaf daily counts and facts (national scale, no registry) into the tables
    /// `bench_counts` and `bench_facts` that [`Store::bench_sql_levels_national`] reads.
    /// `facts`: (unit code, population, first-dose % of adults, fully vaccinated % of 65+).
    pub async fn bench_load_national(
        &self,
        counts: &[CaseCount],
        facts: &[(String, i64, f64, f64)],
    ) -> Result<()> {
        let Pool::Postgres(p) = &self.pool else {
            return Err(crate::StoreError::Invalid("PostgreSQL only".into()));
        };
        let mut tx = p.begin().await?;
        sqlx::query(
            "CREATE TABLE bench_counts (unit_code TEXT COLLATE \"C\" NOT NULL, day DATE NOT NULL, \
             community BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "CREATE TABLE bench_facts (unit_code TEXT COLLATE \"C\" PRIMARY KEY, pop BIGINT NOT NULL, \
             first_dose_pct DOUBLE PRECISION NOT NULL, full_65_pct DOUBLE PRECISION NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        let rows: Vec<Vec<Cell<'_>>> = counts
            .iter()
            .filter(|c| c.community > 0)
            .map(|c| {
                vec![
                    Cell::Text(&c.unit_code),
                    Cell::Date(c.day),
                    Cell::Int(i64::from(c.community)),
                ]
            })
            .collect();
        tx.bulk_insert("bench_counts", &["unit_code", "day", "community"], &rows)
            .await?;
        let pcts: Vec<(String, String)> = facts
            .iter()
            .map(|f| (f.2.to_string(), f.3.to_string()))
            .collect();
        let rows: Vec<Vec<Cell<'_>>> = facts
            .iter()
            .zip(&pcts)
            .map(|(f, (a, b))| {
                vec![
                    Cell::Text(&f.0),
                    Cell::Int(f.1),
                    Cell::Text(a),
                    Cell::Text(b),
                ]
            })
            .collect();
        tx.bulk_insert(
            "bench_facts",
            &["unit_code", "pop", "first_dose_pct", "full_65_pct"],
            &rows,
        )
        .await?;
        sqlx::query("CREATE INDEX bench_counts_unit ON bench_counts (unit_code, day)")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        sqlx::query("ANALYZE bench_counts").execute(p).await?;
        sqlx::query("ANALYZE bench_facts").execute(p).await?;
        Ok(())
    }

    /// The 4800 matrix of every current unit for every day `from..=to` from
    /// `bench_counts`/`bench_facts` (leaf units; parents sum their subtree), as one SQL
    /// query. Returns (unit-days, sum of levels).
    pub async fn bench_sql_levels_national(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<(i64, i64)> {
        let Pool::Postgres(p) = &self.pool else {
            return Err(crate::StoreError::Invalid("PostgreSQL only".into()));
        };
        let sql = format!(
            "WITH tree AS (SELECT id, code, path FROM units WHERE valid_to IS NULL), \
             anc AS (SELECT f.unit_code AS leaf, a.id AS unit FROM bench_facts f \
               JOIN tree t ON t.code = f.unit_code \
               CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from t.path), '/')) AS c(code) \
               JOIN tree a ON a.code = c.code), \
             grid AS (SELECT f.unit_code AS leaf, g.day::date AS day FROM bench_facts f \
               CROSS JOIN generate_series($1::date - 13, $2::date, interval '1 day') AS g(day)), \
             leafday AS (SELECT g.leaf, g.day, \
               sum(COALESCE(c.community, 0)) OVER (PARTITION BY g.leaf ORDER BY g.day ROWS 13 PRECEDING) AS c14 \
               FROM grid g LEFT JOIN bench_counts c ON c.unit_code = g.leaf AND c.day = g.day), \
             sums AS (SELECT a.unit, l.day, sum(l.c14) AS c14, sum(f.pop) AS pop, \
               sum(f.pop * 0.7) AS adults, sum(f.pop * 0.7 * f.first_dose_pct / 100) AS d1, \
               sum(f.pop * 0.12) AS old, sum(f.pop * 0.12 * f.full_65_pct / 100) AS f65 \
               FROM leafday l JOIN anc a ON a.leaf = l.leaf JOIN bench_facts f ON f.unit_code = l.leaf \
               WHERE l.day >= $1 GROUP BY a.unit, l.day), \
             unitday AS (SELECT t.id AS unit, d.day::date AS day, COALESCE(s.c14, 0) AS c14, \
               COALESCE(s.pop, 0) AS pop, COALESCE(s.adults, 0) AS adults, COALESCE(s.d1, 0) AS d1, \
               COALESCE(s.old, 0) AS old, COALESCE(s.f65, 0) AS f65 \
               FROM tree t CROSS JOIN generate_series($1::date, $2::date, interval '1 day') AS d(day) \
               LEFT JOIN sums s ON s.unit = t.id AND s.day = d.day::date) \
             {SQL_MATRIX}"
        );
        let row: (i64, i64) = sqlx::query_as(&sql)
            .bind(from)
            .bind(to)
            .fetch_one(p)
            .await?;
        Ok(row)
    }
}
