//! Laboratory results: import, conflicts kept for review, and their effects (retest orders
//! for the members of a positive pool, case proposals for a positive individual sample).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, QueryBuilder, SqliteConnection};
use vx_domain::epi::{
    epi_day, CaseProposal, ConflictStatus, Ct, LabResult, OrderStatus, ProposalStatus,
    ResultConflict, ResultRow, ResultsSummary, RetestOrder, RowConflict, SampleCode, SampleResult,
};

use super::screening::SampleDbRow;
use super::{id_list, invalid, not_found, word, CHUNK};
use crate::bulk::{BulkInsert, Cell};
use crate::{
    audit_log, with_pool, Actor, ImportOptions, ImportSummary, Located, Result, RowProblem, Store,
    StoreError,
};

const SAMPLE_SELECT: &str = "SELECT id, code, round_id, method, pooled, high_risk, retest_order_id, \
     collected_at, collected_day, collector, laboratory, unit_id, result, ct, tested_at, result_lab \
     FROM samples";

/// The effects of positive results, inside a transaction: retest orders for the members of
/// positive pools (`$pools`), case proposals for positive individual samples
/// (`$individuals`). Evaluates to (orders created, proposals created).
macro_rules! positive_effects {
    ($tx:expr, $now:expr, $pools:expr, $individuals:expr) => {{
        let mut orders = 0u64;
        let mut proposals = 0u64;
        for chunk in $pools.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO retest_orders (pool_sample_id, person_id, round_id, unit_id, created_at, status) \
                 SELECT m.sample_id, m.person_id, m.round_id, m.unit_id, $1, 'open' FROM sample_members m \
                 WHERE m.sample_id IN ({}) ON CONFLICT (pool_sample_id, person_id) DO NOTHING",
                id_list(chunk)
            );
            orders += sqlx::query(&sql).bind($now).execute(&mut *$tx).await?.rows_affected();
        }
        for chunk in $individuals.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO case_proposals (person_id, sample_id, created_at, status) \
                 SELECT m.person_id, m.sample_id, $1, 'proposed' FROM sample_members m \
                 WHERE m.sample_id IN ({}) ON CONFLICT (sample_id) DO NOTHING",
                id_list(chunk)
            );
            proposals += sqlx::query(&sql).bind($now).execute(&mut *$tx).await?.rows_affected();
        }
        (orders, proposals)
    }};
}

#[derive(sqlx::FromRow)]
pub(super) struct ConflictRow {
    id: i64,
    sample_id: i64,
    code: String,
    laboratory: String,
    result: String,
    ct: Option<f64>,
    tested_at: DateTime<Utc>,
    status: String,
    s_result: Option<String>,
    s_ct: Option<f64>,
    s_tested_at: Option<DateTime<Utc>>,
    s_lab: Option<String>,
    resolved_by: Option<String>,
    note: String,
}

pub(super) const CONFLICT_SELECT: &str = "SELECT c.id, c.sample_id, s.code, c.laboratory, c.result, c.ct, \
     c.tested_at, c.status, s.result AS s_result, s.ct AS s_ct, s.tested_at AS s_tested_at, \
     s.result_lab AS s_lab, c.resolved_by, c.note FROM result_conflicts c JOIN samples s ON s.id = c.sample_id";

impl From<ConflictRow> for ResultConflict {
    fn from(r: ConflictRow) -> ResultConflict {
        ResultConflict {
            id: r.id,
            sample_id: r.sample_id,
            sample_code: SampleCode::parse(&r.code).expect("stored codes are valid"),
            stored: SampleResult {
                result: word(LabResult::parse, r.s_result.as_deref().unwrap_or("invalid")),
                ct: r.s_ct.and_then(|c| Ct::new(c).ok()),
                tested_at: r.s_tested_at.unwrap_or(r.tested_at),
                laboratory: r.s_lab.unwrap_or_default(),
            },
            proposed: SampleResult {
                result: word(LabResult::parse, &r.result),
                ct: r.ct.and_then(|c| Ct::new(c).ok()),
                tested_at: r.tested_at,
                laboratory: r.laboratory,
            },
            status: word(ConflictStatus::parse, &r.status),
            resolved_by: r.resolved_by,
            note: r.note,
        }
    }
}

/// One result to record on a sample that has none.
struct Load<'a> {
    sample_id: i64,
    result: &'a str,
    ct: Option<f64>,
    tested_at: DateTime<Utc>,
}

/// Records results on samples without one, inside the caller's transaction: the fastest
/// path of each backend.
trait ApplyResults {
    async fn apply_results(&mut self, rows: &[Load<'_>], lab: &str, batch: i64) -> Result<()>;
}

impl ApplyResults for SqliteConnection {
    async fn apply_results(&mut self, rows: &[Load<'_>], lab: &str, batch: i64) -> Result<()> {
        // A fixed size: one prepared statement, cached and reused.
        for chunk in rows.chunks(64) {
            let mut qb = QueryBuilder::new(
                "UPDATE samples SET result = v.column2, ct = v.column3, tested_at = v.column4, result_lab = ",
            );
            qb.push_bind(lab)
                .push(", result_import_id = ")
                .push_bind(batch)
                .push(" FROM (");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.sample_id)
                    .push_bind(r.result)
                    .push_bind(r.ct)
                    .push_bind(r.tested_at);
            });
            qb.push(") AS v WHERE samples.id = v.column1 AND samples.result IS NULL");
            qb.build().execute(&mut *self).await?;
        }
        Ok(())
    }
}

impl ApplyResults for PgConnection {
    async fn apply_results(&mut self, rows: &[Load<'_>], lab: &str, batch: i64) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "CREATE TEMP TABLE result_load (sample_id BIGINT, result TEXT, ct DOUBLE PRECISION, \
             tested_at TIMESTAMPTZ) ON COMMIT DROP",
        )
        .execute(&mut *self)
        .await?;
        let cts: Vec<Option<String>> = rows.iter().map(|r| r.ct.map(|c| c.to_string())).collect();
        let cells: Vec<Vec<Cell>> = rows
            .iter()
            .zip(&cts)
            .map(|(r, ct)| {
                vec![
                    Cell::Int(r.sample_id),
                    Cell::Text(r.result),
                    ct.as_deref().map_or(Cell::Null, Cell::Text),
                    Cell::Instant(r.tested_at),
                ]
            })
            .collect();
        self.bulk_insert(
            "result_load",
            &["sample_id", "result", "ct", "tested_at"],
            &cells,
        )
        .await?;
        sqlx::query(
            "UPDATE samples SET result = v.result, ct = v.ct, tested_at = v.tested_at, result_lab = $1, \
             result_import_id = $2 FROM result_load v WHERE samples.id = v.sample_id AND samples.result IS NULL",
        )
        .bind(lab)
        .bind(batch)
        .execute(&mut *self)
        .await?;
        sqlx::query("DROP TABLE result_load")
            .execute(&mut *self)
            .await?;
        Ok(())
    }
}

/// What the import does with one sample.
struct Record<'a> {
    sample: &'a SampleDbRow,
    row: &'a ResultRow,
}

impl Store {
    /// Imports a laboratory's results. Idempotent by sample code: the same result again is
    /// unchanged; a different result for a sample that has one is a conflict kept for
    /// review (never applied); an unknown sample, a test in the future or before the
    /// collection day, or two rows of the file disagreeing are row problems (all or nothing
    /// unless `skip_bad_rows`). In the same transaction, a positive pool orders individual
    /// retests of its members and a positive individual sample proposes a case.
    pub async fn import_results(
        &self,
        actor: &Actor,
        lab: &str,
        rows: Vec<Located<ResultRow>>,
        opts: &ImportOptions,
    ) -> Result<ResultsSummary> {
        let lab = lab.trim();
        if lab.is_empty() {
            return Err(invalid("results need the laboratory's name"));
        }
        let now = Utc::now();
        let mut codes: Vec<&str> = rows.iter().map(|r| r.value.sample_code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        let mut samples: HashMap<String, SampleDbRow> = HashMap::with_capacity(codes.len());
        let found = super::fetch_keyed!(
            self,
            format!("{SAMPLE_SELECT} WHERE"),
            "code",
            &codes[..],
            SampleDbRow
        );
        samples.extend(found.into_iter().map(|s| (s.code.clone(), s)));

        let mut problems = Vec::new();
        let mut summary = ResultsSummary::default();
        let mut records: Vec<Record> = Vec::new();
        let mut conflicts: Vec<(u32, Record)> = Vec::new();
        let mut in_file: HashMap<&str, (u32, LabResult)> = HashMap::new();
        for Located { row, value: r } in &rows {
            let code = r.sample_code.as_str();
            let Some(sample) = samples.get(code) else {
                problems.push(RowProblem::new(
                    *row,
                    "sample_code",
                    format!("no sample {code}: was it registered?"),
                ));
                continue;
            };
            if r.tested_at > now {
                problems.push(RowProblem::new(
                    *row,
                    "tested_at",
                    format!("{} is in the future", r.tested_at),
                ));
                continue;
            }
            if epi_day(r.tested_at) < sample.collected_day {
                problems.push(RowProblem::new(
                    *row,
                    "tested_at",
                    format!(
                        "tested {} before the sample was collected ({})",
                        epi_day(r.tested_at),
                        sample.collected_day
                    ),
                ));
                continue;
            }
            if let Some((first, result)) = in_file.get(code) {
                if *result != r.result {
                    problems.push(RowProblem::new(
                        *row,
                        "result",
                        format!(
                            "row {first} gives {result} for sample {code}, this row {}",
                            r.result
                        ),
                    ));
                } else {
                    summary.unchanged += 1;
                }
                continue;
            }
            in_file.insert(code, (*row, r.result));
            match sample.stored_result() {
                None => records.push(Record { sample, row: r }),
                Some(stored) if stored.result == r.result => summary.unchanged += 1,
                Some(_) => conflicts.push((*row, Record { sample, row: r })),
            }
        }
        let mut common = ImportSummary::default();
        crate::import::settle_problems(problems, opts, &mut common)?;
        summary.skipped = common.skipped;
        summary.dry_run = opts.dry_run;
        summary.recorded = records.len() as u64;

        // Conflicts already kept (the same file again): reported, not kept twice.
        let mut known: HashMap<(i64, String, String, DateTime<Utc>), i64> = HashMap::new();
        let ids: Vec<i64> = conflicts.iter().map(|(_, c)| c.sample.id).collect();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT id, sample_id, laboratory, result, tested_at FROM result_conflicts WHERE sample_id IN ({})",
                id_list(chunk)
            );
            let found: Vec<(i64, i64, String, String, DateTime<Utc>)> =
                with_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
            for (id, sample_id, l, result, at) in found {
                known.insert((sample_id, l, result, at), id);
            }
        }
        let conflict_key = |c: &Record| {
            (
                c.sample.id,
                lab.to_string(),
                c.row.result.as_str().to_string(),
                c.row.tested_at,
            )
        };
        let fresh: Vec<&(u32, Record)> = conflicts
            .iter()
            .filter(|(_, c)| !known.contains_key(&conflict_key(c)))
            .collect();

        let positive = |r: &&Record| r.row.result == LabResult::Positive;
        let pools: Vec<i64> = records
            .iter()
            .filter(positive)
            .filter(|r| r.sample.pooled && r.sample.retest_order_id.is_none())
            .map(|r| r.sample.id)
            .collect();
        let individuals: Vec<i64> = records
            .iter()
            .filter(positive)
            .filter(|r| !r.sample.pooled)
            .map(|r| r.sample.id)
            .collect();

        let mut new_ids: HashMap<i64, i64> = HashMap::new();
        if !opts.dry_run && (!records.is_empty() || !fresh.is_empty()) {
            let mut affected: HashMap<i64, HashSet<i64>> = HashMap::new();
            for r in &records {
                if r.sample.retest_order_id.is_none() {
                    affected
                        .entry(r.sample.round_id)
                        .or_default()
                        .insert(r.sample.unit_id);
                }
            }
            let (orders, proposals) = with_pool!(self, p => {
                let mut tx = p.begin().await?;
                let (batch,): (i64,) = sqlx::query_as(
                    "INSERT INTO import_batches (kind, file_name, sha256, actor, at, created, updated, \
                     unchanged, skipped) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind("results").bind(&opts.file_name).bind(&opts.sha256).bind(&actor.name).bind(now)
                .bind(summary.recorded as i64).bind(0i64).bind(summary.unchanged as i64)
                .bind(summary.skipped.len() as i64)
                .fetch_one(&mut *tx).await?;
                let loads: Vec<Load> = records
                    .iter()
                    .map(|r| Load {
                        sample_id: r.sample.id,
                        result: r.row.result.as_str(),
                        ct: r.row.ct.map(f64::from),
                        tested_at: r.row.tested_at,
                    })
                    .collect();
                tx.apply_results(&loads, lab, batch).await?;
                for (_, c) in &fresh {
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO result_conflicts (sample_id, laboratory, result, ct, tested_at, received_at, \
                         status, import_id) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7) RETURNING id",
                    )
                    .bind(c.sample.id).bind(lab).bind(c.row.result.as_str()).bind(c.row.ct.map(f64::from))
                    .bind(c.row.tested_at).bind(now).bind(batch)
                    .fetch_one(&mut *tx).await?;
                    new_ids.insert(c.sample.id, id);
                    audit_log!(tx, actor, "conflict", "sample", c.sample.id, Some(&c.sample.stored_result()),
                        Some(&SampleResult { result: c.row.result, ct: c.row.ct, tested_at: c.row.tested_at,
                            laboratory: lab.to_string() }));
                }
                let effects = positive_effects!(tx, now, &pools, &individuals);
                for (round_id, units) in &affected {
                    let mut units: Vec<i64> = units.iter().copied().collect();
                    units.sort_unstable();
                    refresh_round_stats!(tx, *round_id, &units);
                }
                audit_log!(tx, actor, "import", "import_batch", batch, None::<&()>, Some(&serde_json::json!({
                    "kind": "results", "laboratory": lab, "file": opts.file_name, "sha256": opts.sha256,
                    "recorded": summary.recorded, "unchanged": summary.unchanged,
                    "conflicts": fresh.len(), "retest_orders": effects.0, "case_proposals": effects.1,
                    "skipped": summary.skipped.len(),
                })));
                tx.commit().await?;
                effects
            });
            summary.retest_orders = orders;
            summary.case_proposals = proposals;
        }
        summary.conflicts = conflicts
            .iter()
            .map(|(row, c)| {
                let stored = c
                    .sample
                    .stored_result()
                    .expect("a conflict has a stored result");
                RowConflict {
                    row: *row,
                    sample_code: c.sample.code.clone(),
                    stored: stored.result,
                    stored_laboratory: stored.laboratory,
                    proposed: c.row.result,
                    conflict_id: known
                        .get(&conflict_key(c))
                        .or_else(|| new_ids.get(&c.sample.id))
                        .copied(),
                }
            })
            .collect();
        Ok(summary)
    }

    pub async fn result_conflict(&self, id: i64) -> Result<Option<ResultConflict>> {
        let sql = format!("{CONFLICT_SELECT} WHERE c.id = $1");
        let row: Option<ConflictRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(ResultConflict::from))
    }

    /// Conflicts by id, optionally of one status, after `after_id` (keyset paging).
    pub async fn result_conflicts(
        &self,
        status: Option<ConflictStatus>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<ResultConflict>> {
        let sql = format!(
            "{CONFLICT_SELECT} WHERE ($1 = '' OR c.status = $1) AND c.id > $2 ORDER BY c.id LIMIT $3"
        );
        let status = status.map(ConflictStatus::as_str).unwrap_or("");
        let rows: Vec<ConflictRow> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(status).bind(after_id).bind(limit).fetch_all(p).await?);
        Ok(rows.into_iter().map(ResultConflict::from).collect())
    }

    /// Settles a conflict (audited with the reviewer's note): keep the stored result, or
    /// replace it with the proposed one — which then has the effects of a new result
    /// (retests, case proposal).
    pub async fn resolve_conflict(
        &self,
        actor: &Actor,
        conflict_id: i64,
        replace: bool,
        note: &str,
    ) -> Result<ResultConflict> {
        let note = note.trim();
        let c = self
            .result_conflict(conflict_id)
            .await?
            .ok_or_else(|| not_found(format!("result conflict {conflict_id}")))?;
        if c.status != ConflictStatus::Open {
            return Err(StoreError::Conflict(format!(
                "result conflict {conflict_id} is {} already",
                c.status
            )));
        }
        let sample = self
            .sample(c.sample_id)
            .await?
            .ok_or_else(|| not_found(format!("sample {}", c.sample_id)))?;
        let now = Utc::now();
        let status = if replace {
            ConflictStatus::Replaced
        } else {
            ConflictStatus::Kept
        };
        let positive = replace && c.proposed.result == LabResult::Positive;
        let pools: Vec<i64> = if positive && sample.pooled && sample.retest_order_id.is_none() {
            vec![sample.id]
        } else {
            Vec::new()
        };
        let individuals: Vec<i64> = if positive && !sample.pooled {
            vec![sample.id]
        } else {
            Vec::new()
        };
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            if replace {
                sqlx::query("UPDATE samples SET result = $1, ct = $2, tested_at = $3, result_lab = $4 WHERE id = $5")
                    .bind(c.proposed.result.as_str()).bind(c.proposed.ct.map(f64::from))
                    .bind(c.proposed.tested_at).bind(&c.proposed.laboratory).bind(sample.id)
                    .execute(&mut *tx).await?;
                let _ = positive_effects!(tx, now, &pools, &individuals);
                if sample.retest_order_id.is_none() {
                    refresh_round_stats!(tx, sample.round_id, &[sample.unit_id]);
                }
            }
            sqlx::query("UPDATE result_conflicts SET status = $1, resolved_by = $2, resolved_at = $3, note = $4 \
                         WHERE id = $5")
                .bind(status.as_str()).bind(&actor.name).bind(now).bind(note).bind(conflict_id)
                .execute(&mut *tx).await?;
            audit_log!(tx, actor, status.as_str(), "result_conflict", conflict_id, Some(&c.stored),
                Some(&serde_json::json!({
                    "result": if replace { &c.proposed } else { &c.stored }, "note": note,
                })));
            tx.commit().await?;
        });
        self.result_conflict(conflict_id)
            .await?
            .ok_or_else(|| not_found(format!("result conflict {conflict_id}")))
    }

    /// The retest orders created by a positive pool.
    pub async fn retest_orders(&self, pool_sample_id: i64) -> Result<Vec<RetestOrder>> {
        let rows: Vec<(i64, i64, i64, i64, String, Option<i64>)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, pool_sample_id, person_id, round_id, status, done_sample_id FROM retest_orders \
             WHERE pool_sample_id = $1 ORDER BY person_id",
        ).bind(pool_sample_id).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(
                |(id, pool_sample_id, person_id, round_id, status, done_sample_id)| RetestOrder {
                    id,
                    pool_sample_id,
                    person_id,
                    round_id,
                    status: word(OrderStatus::parse, &status),
                    done_sample_id,
                },
            )
            .collect())
    }

    pub async fn case_proposal(&self, id: i64) -> Result<Option<CaseProposal>> {
        Ok(self
            .case_proposals_where("id = $1", id, 1)
            .await?
            .into_iter()
            .next())
    }

    /// Case proposals of one status by id, after `after_id` (keyset paging).
    pub async fn case_proposals(
        &self,
        status: ProposalStatus,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<CaseProposal>> {
        let sql = format!(
            "SELECT id, person_id, sample_id, status, case_id FROM case_proposals \
             WHERE status = '{}' AND id > $1 ORDER BY id LIMIT $2",
            status.as_str()
        );
        let rows: Vec<(i64, i64, i64, String, Option<i64>)> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(after_id).bind(limit).fetch_all(p).await?);
        Ok(rows.into_iter().map(proposal_from).collect())
    }

    /// The case proposals of a person.
    pub async fn case_proposals_of(&self, person_id: i64) -> Result<Vec<CaseProposal>> {
        self.case_proposals_where("person_id = $1", person_id, i64::MAX)
            .await
    }

    async fn case_proposals_where(
        &self,
        filter: &str,
        value: i64,
        limit: i64,
    ) -> Result<Vec<CaseProposal>> {
        let sql = format!(
            "SELECT id, person_id, sample_id, status, case_id FROM case_proposals WHERE {filter} \
             ORDER BY id LIMIT $2"
        );
        let rows: Vec<(i64, i64, i64, String, Option<i64>)> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(value).bind(limit).fetch_all(p).await?);
        Ok(rows.into_iter().map(proposal_from).collect())
    }
}

pub(super) fn proposal_from(
    (id, person_id, sample_id, status, case_id): (i64, i64, i64, String, Option<i64>),
) -> CaseProposal {
    CaseProposal {
        id,
        person_id,
        sample_id,
        status: word(ProposalStatus::parse, &status),
        case_id,
    }
}
