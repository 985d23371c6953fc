//! The laboratory API: upload results (JSON rows, or a CSV/XLSX file as the body) and read
//! one's own samples.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, OpenApi, ToSchema};
use vx_domain::epi::{Sample, SampleCode};
use vx_domain::{fold, Access, Role};
use vx_import::Table;
use vx_store::{ImportOptions, SampleState, Store, StoreError};

use crate::auth::{ApiViewer, Viewer};
use crate::error::{ApiError, AppError, ErrorBody};
use crate::input::media_type;
use crate::progress::{Step, Tracker};
use crate::state::AppState;

/// The largest results file accepted in one request.
pub(crate) const MAX_UPLOAD: usize = 32 * 1024 * 1024;
/// The most rows one request may carry (a day of a province's laboratories); more: split
/// the file. A refusal records nothing.
pub(crate) const MAX_ROWS: usize = 100_000;
/// The most rows an answer lists: an upload of more rows lists only the rows that were
/// not accepted, the first of them.
pub(crate) const MAX_ROWS_ANSWERED: usize = 200;

pub(crate) const XLSX_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/results",
            post(upload_results).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/api/v1/samples/{code}", get(get_sample))
}

#[derive(OpenApi)]
#[openapi(
    paths(upload_results, get_sample),
    components(schemas(ResultsUpload, ResultInput, UploadAnswer, RowAnswer, RowIssue, SampleDto)),
    tags((name = "laboratory", description = "Results from laboratories"))
)]
pub(crate) struct EpiApiDoc;

// ---------------------------------------------------------------------------------------
// Upload

/// Results as JSON.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ResultsUpload {
    rows: Vec<ResultInput>,
}

/// One result as written: raw strings, parsed by the server.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ResultInput {
    #[serde(default)]
    #[schema(value_type = String, example = "BT-0001234")]
    sample_code: Option<serde_json::Value>,
    /// negative, positive, invalid (âm tính, dương tính, không xác định).
    #[serde(default)]
    #[schema(value_type = String, example = "negative")]
    result: Option<serde_json::Value>,
    /// RT-PCR cycle threshold, 0–50.
    #[serde(default)]
    #[schema(value_type = Option<f64>, example = 24.5)]
    ct: Option<serde_json::Value>,
    /// RFC 3339, or Vietnamese local time `2021-09-22 14:00`.
    #[serde(default)]
    #[schema(value_type = String, example = "2021-09-22T07:00:00Z")]
    tested_at: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UploadParams {
    /// Record the good rows and answer the bad ones, instead of refusing all.
    #[serde(default)]
    skip_bad_rows: Option<String>,
    /// Check everything, record nothing.
    #[serde(default)]
    dry_run: Option<String>,
    /// Administrators only: the laboratory the results are from.
    #[serde(default)]
    lab: Option<String>,
}

/// What happened to an upload: counts of every outcome, and the rows.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UploadAnswer {
    /// Whether anything was recorded (false when a bad row refused the whole upload, or in a
    /// dry run).
    pub imported: bool,
    pub dry_run: bool,
    pub laboratory: String,
    /// Every row, when the upload has at most 200; otherwise the rows that were not
    /// accepted (conflicts, problems), the first 200 of them by row.
    pub rows: Vec<RowAnswer>,
    /// Rows not listed in `rows` (their outcomes are in the counts).
    pub rows_omitted: u64,
    pub accepted: u64,
    pub unchanged: u64,
    pub conflicts: u64,
    pub problems: u64,
    pub retest_orders: u64,
    pub case_proposals: u64,
    /// Every row's outcome in row order (also those not listed): for the FHIR answer.
    #[serde(skip)]
    pub every_row: Vec<(u32, &'static str, Option<i64>)>,
}

/// One row: `accepted` (result recorded), `unchanged` (the same result is stored),
/// `conflict` (a different result is stored: kept for review, not applied) or `problem`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RowAnswer {
    /// The row: 1-based position in `rows`, or the spreadsheet's row (header is row 1).
    pub row: u32,
    pub sample_code: String,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<RowIssue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict_id: Option<i64>,
    /// For a conflict: the result stored, and from which laboratory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RowIssue {
    pub column: String,
    pub message: String,
}

fn flag(v: &Option<String>) -> bool {
    v.as_deref()
        .is_some_and(|s| matches!(s.trim(), "1" | "true" | "yes" | "on"))
}

/// The laboratory a user uploads for: its display name, or its username.
pub(crate) fn lab_name(v: &Viewer) -> String {
    let d = v.user.display_name.trim();
    if d.is_empty() {
        v.user.username.clone()
    } else {
        d.to_string()
    }
}

/// Laboratories upload results, and administrators; other roles are refused.
pub(crate) fn may_upload(v: &Viewer, commune_too: bool) -> bool {
    match v.user.role {
        Role::Laboratory | Role::Admin => true,
        Role::Commune => commune_too,
        _ => false,
    }
}

fn cell(v: &Option<serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// JSON rows as a table (row numbers are positions, from 1), so that JSON and files are read
/// by the same parser.
fn json_table(upload: ResultsUpload) -> Table {
    let headers = ["sample_code", "result", "ct", "tested_at"]
        .map(String::from)
        .to_vec();
    let rows = upload
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                i as u32 + 1,
                vec![
                    cell(&r.sample_code),
                    cell(&r.result),
                    cell(&r.ct),
                    cell(&r.tested_at),
                ],
            )
        })
        .collect();
    Table::new("rows", headers, rows)
}

/// Sample codes looked up per query while an upload is checked (and how often it says how far
/// it is).
const LOOKUP_CHUNK: usize = 1_000;

/// How a results table is checked and recorded.
#[derive(Default)]
pub(crate) struct ImportHow<'a> {
    /// Record the good rows even when some are bad.
    pub skip_bad_rows: bool,
    /// Check only; record nothing.
    pub dry_run: bool,
    /// Only the samples of units whose people this access sees are reachable (the others are
    /// answered as unknown samples, so that their existence does not leak).
    pub within: Option<&'a Access>,
    /// Hears how many rows are checked (the upload page's script shows it).
    pub progress: Option<&'a Tracker>,
}

/// Reads, checks and (unless a row is bad and skipping was not asked) records a results
/// table, answering each row. Shared by the API, FHIR and the upload page.
pub(crate) async fn import_table(
    store: &Store,
    viewer: &Viewer,
    lab: &str,
    table: &Table,
    sha256: String,
    how: ImportHow<'_>,
) -> Result<UploadAnswer, AppError> {
    let ImportHow {
        skip_bad_rows,
        dry_run,
        within,
        progress,
    } = how;
    let say = |step: Step, done: u64, total: u64| {
        if let Some(p) = progress {
            p.set(step, done, total);
        }
    };
    if table.rows.len() > MAX_ROWS {
        return Err(AppError::TooLarge(format!(
            "{}: {} rows; at most {MAX_ROWS} rows per upload: split the file (nothing was recorded)",
            table.file,
            table.rows.len()
        )));
    }
    let total = table.rows.len() as u64;
    // reading the cells counts as the first half of the check, looking the samples up the second
    let mut parsed = vx_import::epi::parse_results(table, |n| say(Step::Checking, n / 2, total))
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let mut problems = parsed.problems;
    // What is stored now, to tell accepted rows from unchanged ones, and whether it is
    // reachable: the samples looked up a thousand codes at a time, each unit once.
    let mut codes: Vec<&str> = parsed
        .rows
        .iter()
        .map(|r| r.value.sample_code.as_str())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let mut states: HashMap<String, SampleState> = HashMap::with_capacity(codes.len());
    let chunks = codes.len().div_ceil(LOOKUP_CHUNK).max(1) as u64;
    for (i, chunk) in codes.chunks(LOOKUP_CHUNK).enumerate() {
        say(
            Step::Checking,
            total / 2 + i as u64 * (total / 2) / chunks,
            total,
        );
        states.extend(store.sample_states(chunk).await?);
    }
    let stored: HashMap<&str, bool> = states
        .iter()
        .map(|(code, s)| (code.as_str(), s.has_result))
        .collect();
    // unknown samples stay reachable: they are answered as unknown by the store
    let mut reachable: HashMap<&str, bool> = HashMap::new();
    if let Some(access) = within {
        let mut units: HashMap<i64, bool> = HashMap::new();
        for (code, s) in &states {
            let seen = match units.get(&s.unit_id) {
                Some(seen) => *seen,
                None => {
                    let seen = store
                        .unit_by_id(s.unit_id)
                        .await?
                        .is_some_and(|u| access.sees_people_in(&u));
                    units.insert(s.unit_id, seen);
                    seen
                }
            };
            reachable.insert(code.as_str(), seen);
        }
    }
    parsed.rows.retain(|r| {
        let code = r.value.sample_code.as_str();
        if reachable.get(code).copied().unwrap_or(true) {
            true
        } else {
            problems.push(vx_domain::RowProblem::new(
                r.row,
                "sample_code",
                format!("no sample {code}: was it registered?"),
            ));
            false
        }
    });
    let codes: HashMap<u32, String> = parsed
        .rows
        .iter()
        .map(|r| (r.row, r.value.sample_code.as_str().to_string()))
        .collect();
    let opts = ImportOptions {
        dry_run: dry_run || (!problems.is_empty() && !skip_bad_rows),
        skip_bad_rows: skip_bad_rows || !problems.is_empty(),
        file_name: table.file.clone(),
        sha256,
        ..Default::default()
    };
    let would_write = !opts.dry_run;
    say(Step::Writing, total, total);
    let actor = viewer.user.actor();
    let (summary, refused) = match store.import_results(&actor, lab, parsed.rows, &opts).await {
        Ok(s) => (Some(s), false),
        Err(StoreError::Rows(more)) => {
            problems.extend(more);
            (None, true)
        }
        Err(StoreError::Invalid(msg)) => return Err(AppError::BadRequest(msg)),
        Err(e) => return Err(e.into()),
    };
    let conflicts: HashMap<u32, (Option<i64>, String)> = summary
        .as_ref()
        .map(|s| {
            s.conflicts
                .iter()
                .map(|c| {
                    (
                        c.row,
                        (
                            c.conflict_id,
                            format!("{} ({})", c.stored, c.stored_laboratory),
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(s) = &summary {
        problems.extend(s.skipped.iter().cloned());
    }
    problems.sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
    problems.dedup();
    let mut by_row: HashMap<u32, Vec<RowIssue>> = HashMap::new();
    for p in &problems {
        by_row.entry(p.row).or_default().push(RowIssue {
            column: p.column.clone(),
            message: p.message.clone(),
        });
    }
    let sample_col = table.headers.iter().position(|h| {
        let k = fold(&h.replace('_', " "));
        k == "sample code" || k == "ma mau"
    });
    let imported = would_write && !refused && (problems.is_empty() || skip_bad_rows);
    let mut answer = UploadAnswer {
        imported,
        dry_run,
        laboratory: lab.to_string(),
        rows: Vec::new(),
        rows_omitted: 0,
        accepted: 0,
        unchanged: 0,
        conflicts: 0,
        problems: 0,
        retest_orders: summary.as_ref().map_or(0, |s| s.retest_orders),
        case_proposals: summary.as_ref().map_or(0, |s| s.case_proposals),
        every_row: Vec::with_capacity(table.rows.len()),
    };
    let small = table.rows.len() <= MAX_ROWS_ANSWERED;
    let mut seen: HashMap<String, ()> = HashMap::new();
    for (row, cells) in &table.rows {
        let sample_code = codes.get(row).cloned().unwrap_or_else(|| {
            sample_col
                .and_then(|i| cells.get(i))
                .cloned()
                .unwrap_or_default()
        });
        let (outcome, issues, conflict_id, stored_text) = if let Some(issues) = by_row.remove(row) {
            answer.problems += 1;
            ("problem", issues, None, None)
        } else if let Some((id, text)) = conflicts.get(row) {
            answer.conflicts += 1;
            ("conflict", vec![], *id, Some(text.clone()))
        } else if stored.get(sample_code.as_str()).copied().unwrap_or(false)
            || seen.contains_key(&sample_code)
        {
            answer.unchanged += 1;
            ("unchanged", vec![], None, None)
        } else {
            answer.accepted += 1;
            ("accepted", vec![], None, None)
        };
        seen.insert(sample_code.clone(), ());
        answer.every_row.push((*row, outcome, conflict_id));
        let listed = (small || !matches!(outcome, "accepted" | "unchanged"))
            && answer.rows.len() < MAX_ROWS_ANSWERED;
        if !listed {
            answer.rows_omitted += 1;
            continue;
        }
        answer.rows.push(RowAnswer {
            row: *row,
            sample_code,
            outcome,
            problems: issues,
            conflict_id,
            stored: stored_text,
        });
    }
    Ok(answer)
}

/// Uploads a laboratory's results: JSON `{rows: […]}`, or a CSV or XLSX file as the body
/// (`Content-Type: text/csv` or the XLSX type), at most 100,000 rows and 32 MiB per request.
/// Answers counts of each outcome and the rows (every row of an upload of at most 200, else
/// the first 200 rows not accepted, with `rows_omitted`). Nothing is recorded when
/// a row is bad (422) unless `skip_bad_rows=true`; the same upload again changes nothing;
/// a result that disagrees with the stored one is kept for review, never applied. The
/// laboratory is the token's user (its display name). Laboratory and admin only.
#[utoipa::path(post, path = "/api/v1/results", tag = "laboratory", params(UploadParams),
    request_body(content(
        (ResultsUpload = "application/json"),
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, description = "Every row answered", body = UploadAnswer),
        (status = 422, description = "Bad rows: nothing recorded", body = UploadAnswer),
        (status = 400, description = "Not a results file", body = ErrorBody),
        (status = 413, description = "More than 100,000 rows or 32 MiB: nothing recorded", body = ErrorBody),
        (status = 415, description = "Not JSON, CSV or XLSX", body = ErrorBody),
        (status = 403, description = "Not a laboratory", body = ErrorBody)))]
async fn upload_results(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Query(params): Query<UploadParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !may_upload(&v, false) {
        return Err(AppError::Forbidden("results are uploaded by a laboratory").into());
    }
    let lab = match (v.user.role, params.lab.as_deref().map(str::trim)) {
        (Role::Admin, Some(l)) if !l.is_empty() => l.to_string(),
        _ => lab_name(&v),
    };
    let content_type = media_type(&headers);
    let sha256 = hex::encode(Sha256::digest(&body));
    let table = match content_type.as_str() {
        "application/json" => {
            let upload: ResultsUpload = serde_json::from_slice(&body)
                .map_err(|e| AppError::BadRequest(format!("not a results upload: {e}")))?;
            json_table(upload)
        }
        "text/csv" | "application/csv" => vx_import::read_table_from_bytes("upload.csv", &body)
            .map_err(|e| AppError::BadRequest(e.to_string()))?,
        XLSX_TYPE => vx_import::read_table_from_bytes("upload.xlsx", &body)
            .map_err(|e| AppError::BadRequest(e.to_string()))?,
        _ => {
            return Err(AppError::UnsupportedType(
                "send application/json, text/csv or an XLSX file".into(),
            )
            .into())
        }
    };
    let answer = import_table(
        &st.store,
        &v,
        &lab,
        &table,
        sha256,
        ImportHow {
            skip_bad_rows: flag(&params.skip_bad_rows),
            dry_run: flag(&params.dry_run),
            ..ImportHow::default()
        },
    )
    .await?;
    let status = if answer.problems > 0 && !flag(&params.skip_bad_rows) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(answer)).into_response())
}

// ---------------------------------------------------------------------------------------
// A sample

/// A sample as a laboratory sees it: no people, only how many.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SampleDto {
    code: String,
    method: String,
    pooled: bool,
    collected_at: DateTime<Utc>,
    collector: String,
    laboratory: String,
    members: usize,
    result: Option<String>,
    ct: Option<f64>,
    tested_at: Option<DateTime<Utc>>,
    result_laboratory: Option<String>,
}

impl From<&Sample> for SampleDto {
    fn from(s: &Sample) -> SampleDto {
        SampleDto {
            code: s.code.to_string(),
            method: s.method.to_string(),
            pooled: s.pooled,
            collected_at: s.collected_at,
            collector: s.collector.clone(),
            laboratory: s.laboratory.clone(),
            members: s.members.len(),
            result: s.result.as_ref().map(|r| r.result.to_string()),
            ct: s.result.as_ref().and_then(|r| r.ct).map(|c| c.value()),
            tested_at: s.result.as_ref().map(|r| r.tested_at),
            result_laboratory: s.result.as_ref().map(|r| r.laboratory.clone()),
        }
    }
}

/// A sample sent to the caller's laboratory (administrators: any sample). Any other sample,
/// or another role, answers 404.
#[utoipa::path(get, path = "/api/v1/samples/{code}", tag = "laboratory",
    params(("code" = String, Path, description = "Sample code (barcode)")),
    responses((status = 200, body = SampleDto), (status = 404, body = ErrorBody)))]
async fn get_sample(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(code): Path<String>,
) -> Result<Json<SampleDto>, ApiError> {
    let code = SampleCode::parse(&code).map_err(|_| AppError::not_found())?;
    let sample = st
        .store
        .sample_by_code(&code)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mine = match v.user.role {
        Role::Admin => true,
        Role::Laboratory => fold(&sample.laboratory) == fold(&lab_name(&v)),
        _ => false,
    };
    if !mine {
        return Err(AppError::not_found().into());
    }
    Ok(Json(SampleDto::from(&sample)))
}
