//! FHIR R4 for laboratories and hospitals: `POST /api/v1/fhir` takes a Bundle of results
//! (through the results pipeline of `POST /api/v1/results`: the same checks, conflicts and
//! scope), `GET /api/v1/fhir/Patient/{id}` and `GET /api/v1/fhir/Observation?subject=…`
//! read a person's test history. Answers are FHIR: a response Bundle with an
//! OperationOutcome per entry, or one OperationOutcome naming every entry at fault.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, OpenApi};
use vx_domain::epi::SampleCode;
use vx_domain::{Birth, Person};
use vx_exchange::fhir::{self, EntryProblem, Issue, LabBundle};
use vx_import::Table;

use crate::auth::ApiViewer;
use crate::epi::api::{import_table, lab_name, may_upload, ImportHow, MAX_UPLOAD};
use crate::error::{AppError, ErrorBody};
use crate::input::media_type;
use crate::scope;
use crate::state::AppState;

pub(crate) const FHIR_JSON: &str = "application/fhir+json";
/// The most issues one OperationOutcome lists.
const MAX_ISSUES: usize = 1_000;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/fhir",
            post(post_bundle).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/api/v1/fhir/Patient/{id}", get(get_patient))
        .route("/api/v1/fhir/Observation", get(search_observations))
}

/// A FHIR R4 Bundle as this endpoint takes it (the resources: see the operation).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // a schema only: the body is read by vx_exchange::fhir
struct FhirBundle {
    #[schema(rename = "resourceType", pattern = "^Bundle$", example = "Bundle")]
    resource_type: String,
    #[schema(rename = "type")]
    kind: FhirBundleType,
    /// Entries: `{fullUrl, resource, request}` with a Patient, Specimen, ServiceRequest or
    /// Observation.
    #[schema(value_type = Option<Vec<Object>>)]
    entry: Option<Vec<()>>,
}

#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum FhirBundleType {
    Transaction,
    Batch,
    Collection,
}

#[derive(OpenApi)]
#[openapi(
    paths(post_bundle, get_patient, search_observations),
    components(schemas(FhirBundle, FhirBundleType)),
    tags((name = "fhir", description = "FHIR R4: laboratory results in, a person's tests out"))
)]
pub(crate) struct FhirApiDoc;

/// An error answered as a FHIR OperationOutcome.
struct FhirError(AppError);

impl<E: Into<AppError>> From<E> for FhirError {
    fn from(e: E) -> FhirError {
        FhirError(e.into())
    }
}

fn fhir_response(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    r
}

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let (code, diagnostics) = match &self.0 {
            AppError::NotFound { .. } => ("not-found", "not found".to_string()),
            AppError::Unauthorized => ("login", "authentication required".to_string()),
            AppError::Forbidden(why) => ("forbidden", why.to_string()),
            AppError::Invalid(p) => (
                "invalid",
                p.iter()
                    .map(|p| format!("{}: {}", p.field, p.error))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            AppError::Conflict(p) => ("conflict", p.error.clone()),
            AppError::BadRequest(m) => ("invalid", m.clone()),
            AppError::TooLarge(m) => ("too-costly", m.clone()),
            AppError::UnsupportedType(m) => ("not-supported", m.clone()),
            AppError::TooMany { why, .. } => ("throttled", why.clone()),
            AppError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                ("exception", "internal error".to_string())
            }
        };
        let severity = if status.is_server_error() {
            "fatal"
        } else {
            "error"
        };
        fhir_response(
            status,
            &fhir::operation_outcome(&[Issue {
                severity,
                code,
                diagnostics,
                expression: None,
            }]),
        )
    }
}

fn outcome_of(problems: &[EntryProblem]) -> Value {
    let mut issues: Vec<Issue> = problems
        .iter()
        .take(MAX_ISSUES)
        .map(|p| Issue {
            severity: "error",
            code: "invalid",
            diagnostics: match p.entry {
                Some(e) => format!("entry {e}: {}", p.message),
                None => p.message.clone(),
            },
            expression: Some(p.expression.clone()),
        })
        .collect();
    if problems.len() > MAX_ISSUES {
        issues.push(Issue {
            severity: "error",
            code: "too-costly",
            diagnostics: format!("and {} more problems", problems.len() - MAX_ISSUES),
            expression: None,
        });
    }
    fhir::operation_outcome(&issues)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct BundleParams {
    /// Check everything, record nothing.
    #[serde(default)]
    dry_run: Option<String>,
}

/// Where a results column's problem lies in an Observation.
fn element_of(column: &str) -> &'static str {
    match column {
        "sample_code" => "specimen",
        "result" => "valueCodeableConcept",
        "ct" => "component",
        "tested_at" => "effectiveDateTime",
        _ => "",
    }
}

/// Records laboratory results sent as a FHIR R4 Bundle (`transaction` or `collection`: all
/// or nothing; `batch`: each result on its own) of Observations (LOINC test code, SNOMED
/// CT result, `effectiveDateTime`, a Ct as a component or an Observation of its own)
/// pointing at a Specimen (its barcode, the sample code) or a ServiceRequest, and at a
/// Patient (CCCD as identifier, checked against the sample's people; never written to the
/// registry). The results go through the pipeline of `POST /api/v1/results`: the same
/// checks, conflicts (held for review) and idempotence. Answers a `transaction-response`
/// (or `batch-response`) Bundle with an OperationOutcome per entry, or 422 with one
/// OperationOutcome naming each entry at fault, when nothing was recorded. Laboratory and
/// admin only.
#[utoipa::path(post, path = "/api/v1/fhir", tag = "fhir", params(BundleParams),
    request_body(content((FhirBundle = "application/fhir+json"), (FhirBundle = "application/json")),
        description = "A FHIR R4 Bundle"),
    responses(
        (status = 200, description = "A response Bundle: an entry per request entry", content((Object = "application/fhir+json"))),
        (status = 400, description = "Not a Bundle", content((Object = "application/fhir+json"))),
        (status = 401, description = "No credential", body = ErrorBody),
        (status = 403, description = "Not a laboratory", content((Object = "application/fhir+json"))),
        (status = 413, description = "Over 32 MiB or 100,000 results: nothing recorded", content((Object = "application/fhir+json"))),
        (status = 415, description = "Not FHIR JSON", content((Object = "application/fhir+json"))),
        (status = 422, description = "Entries at fault: nothing recorded", content((Object = "application/fhir+json")))))]
async fn post_bundle(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Query(params): Query<BundleParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    if !may_upload(&v, false) {
        return Err(AppError::Forbidden("results are sent by a laboratory").into());
    }
    let content_type = media_type(&headers);
    if content_type != FHIR_JSON && content_type != "application/json" {
        return Err(AppError::UnsupportedType("send application/fhir+json".into()).into());
    }
    let dry_run = params
        .dry_run
        .as_deref()
        .is_some_and(|s| matches!(s.trim(), "1" | "true" | "yes"));
    let bundle = match fhir::read_lab_bundle(&body) {
        Ok(b) => b,
        Err(problems) => {
            let status = if problems.iter().all(|p| p.entry.is_none()) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return Ok(fhir_response(status, &outcome_of(&problems)));
        }
    };
    let batch = bundle.kind == fhir::BundleKind::Batch;
    // The Patient named must be a person of the sample, where the registry can tell.
    let mismatched = patient_mismatches(&st, &bundle).await?;
    if !mismatched.is_empty() && !batch {
        return Ok(fhir_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &outcome_of(&mismatched),
        ));
    }
    let held: HashMap<usize, &EntryProblem> = mismatched
        .iter()
        .filter_map(|p| p.entry.map(|e| (e, p)))
        .collect();
    let rows: Vec<(u32, Vec<String>)> = bundle
        .rows
        .iter()
        .filter(|r| !held.contains_key(&r.entry))
        .map(|r| {
            (
                r.entry as u32 + 1,
                vec![
                    r.sample_code.clone(),
                    r.result.clone(),
                    r.ct.map(|c| c.to_string()).unwrap_or_default(),
                    r.tested_at.clone(),
                ],
            )
        })
        .collect();
    let table = Table::new(
        "Bundle",
        ["sample_code", "result", "ct", "tested_at"]
            .map(String::from)
            .to_vec(),
        rows,
    );
    let lab = lab_name(&v);
    let sha256 = hex::encode(Sha256::digest(&body));
    let answer = import_table(
        &st.store,
        &v,
        &lab,
        &table,
        sha256,
        ImportHow {
            skip_bad_rows: batch,
            dry_run,
            ..ImportHow::default()
        },
    )
    .await?;
    // problems per entry (the pipeline names rows: entry + 1)
    let mut problems: Vec<EntryProblem> = mismatched.clone();
    for r in &answer.rows {
        for p in &r.problems {
            let entry = r.row as usize - 1;
            let element = element_of(&p.column);
            problems.push(EntryProblem {
                entry: Some(entry),
                expression: if element.is_empty() {
                    format!("Bundle.entry[{entry}].resource")
                } else {
                    format!("Bundle.entry[{entry}].resource.{element}")
                },
                message: p.message.clone(),
            });
        }
    }
    if answer.problems > 0 && !batch {
        problems.sort_by_key(|p| p.entry);
        return Ok(fhir_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &outcome_of(&problems),
        ));
    }
    let outcomes: HashMap<usize, (&'static str, Option<i64>)> = answer
        .every_row
        .iter()
        .map(|(row, outcome, conflict)| (*row as usize - 1, (*outcome, *conflict)))
        .collect();
    let mut by_entry: HashMap<usize, Vec<&EntryProblem>> = HashMap::new();
    for p in &problems {
        if let Some(e) = p.entry {
            by_entry.entry(e).or_default().push(p);
        }
    }
    let recorded = !dry_run && answer.imported;
    let entries: Vec<Value> = bundle
        .entries
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let (status, issues) = entry_answer(i, kind, &outcomes, &by_entry, recorded);
            json!({"response": {"status": status, "outcome": fhir::operation_outcome(&issues)}})
        })
        .collect();
    let response = json!({
        "resourceType": "Bundle",
        "type": bundle.kind.response(),
        "entry": entries,
    });
    Ok(fhir_response(StatusCode::OK, &response))
}

fn info(diagnostics: String) -> Vec<Issue> {
    vec![Issue {
        severity: "information",
        code: "informational",
        diagnostics,
        expression: None,
    }]
}

/// The status and outcome of one entry of a response Bundle.
fn entry_answer(
    i: usize,
    kind: &str,
    outcomes: &HashMap<usize, (&'static str, Option<i64>)>,
    problems: &HashMap<usize, Vec<&EntryProblem>>,
    recorded: bool,
) -> (&'static str, Vec<Issue>) {
    if let Some(ps) = problems.get(&i) {
        let issues = ps
            .iter()
            .map(|p| Issue {
                severity: "error",
                code: "invalid",
                diagnostics: p.message.clone(),
                expression: Some(p.expression.clone()),
            })
            .collect();
        return ("422 Unprocessable Entity", issues);
    }
    match outcomes.get(&i) {
        Some(("accepted", _)) if recorded => ("201 Created", info("result recorded".into())),
        Some(("accepted", _)) => ("200 OK", info("result checked, not recorded (dry run)".into())),
        Some(("unchanged", _)) => ("200 OK", info("the same result is stored: unchanged".into())),
        Some(("conflict", id)) => (
            "409 Conflict",
            vec![Issue {
                severity: "warning",
                code: "conflict",
                diagnostics: format!(
                    "a different result is stored: held for review{}, not applied",
                    id.map(|id| format!(" (conflict {id})")).unwrap_or_default()
                ),
                expression: Some(format!("Bundle.entry[{i}].resource.valueCodeableConcept")),
            }],
        ),
        Some((other, _)) => ("200 OK", info((*other).to_string())),
        None if kind == "Observation" => (
            "200 OK",
            info("a Ct, recorded with its sample's result".into()),
        ),
        None => (
            "200 OK",
            info(format!(
                "{kind} read to name the sample or the person; the registry is not changed by results"
            )),
        ),
    }
}

/// Rows whose Patient's CCCD is not a person of the sample: when every person of the
/// sample has a CCCD in the registry and none is this one.
async fn patient_mismatches(
    st: &AppState,
    bundle: &LabBundle,
) -> Result<Vec<EntryProblem>, AppError> {
    let mut out = Vec::new();
    let mut people: HashMap<i64, Option<String>> = HashMap::new();
    for r in &bundle.rows {
        let Some(cccd) = r.patient_cccd.as_deref() else {
            continue;
        };
        let Ok(code) = SampleCode::parse(&r.sample_code) else {
            continue; // the pipeline names a malformed code
        };
        let Some(sample) = st.store.sample_by_code(&code).await? else {
            continue;
        };
        let mut ids = Vec::with_capacity(sample.members.len());
        for m in &sample.members {
            if !people.contains_key(m) {
                let id = st
                    .store
                    .person(*m)
                    .await?
                    .and_then(|p| p.data.citizen_id.map(|c| c.as_str().to_string()));
                people.insert(*m, id);
            }
            ids.push(people[m].clone());
        }
        let all_known = !ids.is_empty() && ids.iter().all(Option::is_some);
        if all_known && !ids.iter().any(|i| i.as_deref() == Some(cccd)) {
            let patient = r.patient_entry.unwrap_or(r.entry);
            out.push(EntryProblem {
                entry: Some(r.entry),
                expression: format!("Bundle.entry[{patient}].resource.identifier"),
                message: format!(
                    "the Patient's citizen ID {cccd} is not a person of sample {}: not recorded",
                    r.sample_code
                ),
            });
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Read

fn patient_out(p: &Person, id: &str) -> fhir::PatientOut {
    let name = p.data.full_name.as_str().to_string();
    let mut words: Vec<String> = name.split_whitespace().map(str::to_string).collect();
    // Vietnamese names: the family name first
    let family = if words.is_empty() {
        String::new()
    } else {
        words.remove(0)
    };
    fhir::PatientOut {
        id: id.to_string(),
        family,
        given: words,
        text: name,
        birth: match p.data.birth {
            Birth::Date(d) => d.format("%Y-%m-%d").to_string(),
            Birth::Year(y) => format!("{y:04}"),
        },
        gender: p.data.sex.as_str(),
        cccd: p.data.citizen_id.as_ref().map(|c| c.as_str().to_string()),
        household: p.data.household_code.as_str().to_string(),
    }
}

/// A person in the caller's scope as a FHIR Patient (name, birth, sex, CCCD and
/// household code as identifiers). Any other id answers 404.
#[utoipa::path(get, path = "/api/v1/fhir/Patient/{id}", tag = "fhir",
    params(("id" = String, Path, description = "The person's id")),
    responses(
        (status = 200, description = "A Patient", content((Object = "application/fhir+json"))),
        (status = 401, description = "No credential", body = ErrorBody),
        (status = 404, description = "No such person, or not the caller's", content((Object = "application/fhir+json")))))]
async fn get_patient(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Response, FhirError> {
    let (person, _) = scope::seen_person(&st.store, &v.access, &id).await?;
    let body = fhir::patient(&patient_out(&person, &person.id.to_string()));
    Ok(fhir_response(StatusCode::OK, &body))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ObservationParams {
    /// `Patient/{id}` (or the id alone); `patient={id}` is read too.
    #[param(
        required = true,
        example = "Patient/42",
        pattern = "^(Patient/)?[1-9][0-9]{0,17}$"
    )]
    subject: Option<String>,
    #[param(ignore)]
    patient: Option<String>,
}

/// A person's tests (every sample the person was in: pools and retests too) as a
/// searchset Bundle of Observations, final with a result or registered while waiting.
/// The person must be in the caller's scope; any other answers 404.
#[utoipa::path(get, path = "/api/v1/fhir/Observation", tag = "fhir", params(ObservationParams),
    responses(
        (status = 200, description = "A searchset Bundle of Observations", content((Object = "application/fhir+json"))),
        (status = 401, description = "No credential", body = ErrorBody),
        (status = 404, description = "No such person, or not the caller's", content((Object = "application/fhir+json"))),
        (status = 422, description = "No subject", content((Object = "application/fhir+json")))))]
async fn search_observations(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Query(p): Query<ObservationParams>,
) -> Result<Response, FhirError> {
    let subject = p
        .subject
        .or(p.patient)
        .map(|s| s.trim().trim_start_matches("Patient/").to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            AppError::Invalid(vec![crate::error::FieldProblem {
                field: "subject".into(),
                error: "required: Patient/{id}".into(),
            }])
        })?;
    let (person, _) = scope::seen_person(&st.store, &v.access, &subject).await?;
    let id = person.id.to_string();
    let samples = st.store.samples_of_person(person.id).await?;
    let resources = samples
        .iter()
        .map(|s| {
            fhir::observation(
                &id,
                &fhir::TestOut {
                    sample_id: s.id,
                    sample_code: s.code.to_string(),
                    rapid: s.method.as_str() == "rapid-antigen",
                    pooled: s.pooled,
                    collected_at: s
                        .collected_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    result: s.result.as_ref().map(|r| match r.result.as_str() {
                        "positive" => "positive",
                        "negative" => "negative",
                        _ => "invalid",
                    }),
                    ct: s.result.as_ref().and_then(|r| r.ct).map(|c| c.value()),
                    tested_at: s.result.as_ref().map(|r| {
                        r.tested_at
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    }),
                    laboratory: s.result.as_ref().map(|r| r.laboratory.clone()),
                },
            )
        })
        .collect();
    Ok(fhir_response(StatusCode::OK, &fhir::searchset(resources)))
}
