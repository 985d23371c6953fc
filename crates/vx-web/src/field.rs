//! Field work offline (issue 18, `docs/field.md`): the installable app at `/field/` (its
//! files are served from the binary: `assets/field/`), who it works for
//! (`GET /api/v1/sync/session`) and the sync (`POST /api/v1/sync`): queued records pushed
//! and applied once each by the id the phone made, with every server rule (scope at the
//! time of the sync, validation, one aid package per programme and household, one sample
//! per person and round); an edit made on an older version merged field by field or
//! answered as a conflict; the scope's work pulled since a cursor. A record the server
//! refuses is answered with its reason, never dropped: the phone keeps it.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, Extensions, HeaderMap, StatusCode, Version};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use utoipa::{OpenApi, ToSchema};
use vx_domain::epi::{NewSample, SampleCode, SampleMethod};
use vx_domain::field::{CheckFields, NewCheck, NewVisit, VisitOutcome};
use vx_domain::{Birth, NewPerson, PersonName, Relation, Role, Sex, Unit};
use vx_store::ops::{Handed, NewDistribution};
use vx_store::{Applied, CheckWrite, Receipt, StoreError};

use crate::auth::{ApiViewer, Viewer};
use crate::error::{ApiError, AppError, ErrorBody};
use crate::scope;
use crate::state::AppState;

/// The most records one sync pushes.
pub const PUSH_MAX: usize = 1_000;
/// The largest sync body.
pub const SYNC_BODY_MAX: usize = 4 * 1024 * 1024;
/// Syncs a user may make in a minute (a phone: when the network returns, every minute while
/// online, and when asked).
pub const SYNCS_PER_MINUTE: u32 = 30;
/// How far back checks and visits are pulled.
const RECENT_DAYS: i64 = 14;

pub(crate) fn routes() -> Router<AppState> {
    let files = FILES
        .iter()
        .fold(Router::new(), |router, &(path, content_type, body)| {
            router.route(
                path,
                get(move |h: HeaderMap| async move { asset(&h, content_type, body) }),
            )
        });
    files
        .route("/field", get(|| async { Redirect::permanent("/field/") }))
        .route("/api/v1/sync/session", get(session))
        .route(
            "/api/v1/sync",
            post(sync).layer(DefaultBodyLimit::max(SYNC_BODY_MAX)),
        )
        // A phone on a slow network: a hamlet's first pull (~2,300 people) is ~400 KB of
        // JSON and ~60 KB gzipped.
        // Errors are not compressed: the outer layer rewrites API errors' bodies.
        .layer(
            tower_http::compression::CompressionLayer::new().compress_when(
                DefaultPredicate::new().and(
                    |status: StatusCode, _: Version, _: &HeaderMap, _: &Extensions| {
                        status.is_success()
                    },
                ),
            ),
        )
}

pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    FieldApiDoc::openapi()
}

#[derive(OpenApi)]
#[openapi(
    paths(session, sync),
    components(schemas(SessionDto, ScopeUnitDto, SyncInput, PullWhat, PushRecord, SyncDto,
        RecordResult, FieldConflict, Changes)),
    tags((name = "field", description = "Field work offline: the sync of the /field/ app (docs/field.md)"))
)]
struct FieldApiDoc;

/// The app's files: where they are served, their type, their text (from the binary).
const FILES: [(&str, &str, &str); 6] = [
    (
        "/field/",
        "text/html; charset=utf-8",
        include_str!("../assets/field/index.html"),
    ),
    (
        "/field/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/field/app.js"),
    ),
    (
        "/field/sw.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/field/sw.js"),
    ),
    (
        "/field/field.css",
        "text/css; charset=utf-8",
        include_str!("../assets/field/field.css"),
    ),
    (
        "/field/manifest.webmanifest",
        "application/manifest+json",
        include_str!("../assets/field/manifest.webmanifest"),
    ),
    (
        "/field/icon.svg",
        "image/svg+xml",
        include_str!("../assets/field/icon.svg"),
    ),
];

/// The app's files: revalidated on each load while online (the service worker keeps them
/// for offline use), so a new binary's app reaches phones on their next visit; a file the
/// phone has is answered 304 by its strong ETag.
fn asset(request: &HeaderMap, content_type: &'static str, body: &'static str) -> Response {
    let etag = format!("\"{}\"", &crate::auth::sha256_hex(body)[..20]);
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let headers = [
        (header::CONTENT_TYPE, content_type.to_string()),
        (header::CACHE_CONTROL, "no-cache".to_string()),
        (header::ETAG, etag),
    ];
    if fresh {
        (StatusCode::NOT_MODIFIED, headers).into_response()
    } else {
        (headers, body).into_response()
    }
}

// ---------------------------------------------------------------------------------------
// Who the app works for

#[derive(Debug, Serialize, ToSchema)]
struct ScopeUnitDto {
    code: String,
    name: String,
    full_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct SessionDto {
    user: String,
    name: String,
    role: String,
    scope: Vec<ScopeUnitDto>,
    /// The token writes through the session cookie carry in `X-CSRF-Token` ("" for a
    /// bearer token).
    csrf: String,
    /// The server's working day.
    day: NaiveDate,
    /// The language the user chose on the site (vi or en).
    lang: &'static str,
}

/// The roles the app is for: the commune's and the hamlet's teams, whose scope a phone can
/// hold (an administrator's or a district's would be a province of people).
fn field_roots(v: &Viewer) -> Result<Vec<Unit>, ApiError> {
    let roots = scope::people_roots(v);
    if !matches!(v.user.role, Role::Commune | Role::Hamlet) || roots.is_empty() {
        return Err(AppError::Forbidden(
            "the field app is for commune and hamlet teams (their scope is what a phone holds)",
        )
        .into());
    }
    Ok(roots)
}

/// Who the app works for, its scope, the CSRF token of its writes and the server's day.
#[utoipa::path(get, path = "/api/v1/sync/session", tag = "field",
    responses((status = 200, body = SessionDto), (status = 403, body = ErrorBody)))]
async fn session(
    State(st): State<AppState>,
    axum::Extension(chosen): axum::Extension<crate::i18n::Lang>,
    ApiViewer(v): ApiViewer,
) -> Result<Json<SessionDto>, ApiError> {
    field_roots(&v)?;
    Ok(Json(SessionDto {
        user: v.user.username.clone(),
        name: v.user.display_name.clone(),
        role: v.user.role.as_str().to_string(),
        scope: v
            .user
            .scope
            .iter()
            .map(|u| ScopeUnitDto {
                code: u.code.to_string(),
                name: u.name.clone(),
                full_name: u.full_name.clone(),
            })
            .collect(),
        csrf: v.csrf().to_string(),
        day: st.config.today(),
        lang: chosen.code(),
    }))
}

// ---------------------------------------------------------------------------------------
// The sync

/// What a sync pulls.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum PullWhat {
    /// The day's work: quarantines, checks and visits since the cursor, rounds, programmes.
    #[default]
    Today,
    /// That and the scope's households and members.
    All,
    /// Push only.
    None,
}

#[derive(Debug, Deserialize, ToSchema)]
struct SyncInput {
    /// The previous answer's cursor; null on a first sync.
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    pull: PullWhat,
    /// Queued records, oldest first (at most 1,000).
    #[serde(default)]
    #[schema(max_items = 1000)]
    push: Vec<PushRecord>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct PushRecord {
    /// A UUID made on the phone when the record was made.
    client_id: String,
    /// check, visit, sample, aid or person.
    kind: String,
    /// When it was made on the phone (RFC 3339), kept for the record's history.
    #[serde(default)]
    made_at: Option<String>,
    /// The record's fields (see docs/field.md).
    #[schema(value_type = Object)]
    data: serde_json::Map<String, serde_json::Value>,
    /// An edit of a check: the version the phone had.
    #[serde(default, deserialize_with = "whole_number")]
    base_version: Option<i64>,
    /// An edit of a check: its fields as they were at `base_version`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    base: Option<serde_json::Map<String, serde_json::Value>>,
}

/// An integer as JSON writes it: `57`, or `57.0` (a JSON Schema integer too).
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let n: Option<serde_json::Number> = Option::deserialize(d)?;
    match n {
        None => Ok(None),
        Some(n) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("{n}: expected a whole number"))),
    }
}

/// A field changed on both sides.
#[derive(Debug, Clone, Serialize, ToSchema)]
struct FieldConflict {
    field: &'static str,
    /// The phone's value (a number, text, a boolean or null).
    yours: serde_json::Value,
    /// The server's value.
    theirs: serde_json::Value,
    /// Who made the server's value, and when.
    by: String,
    at: DateTime<Utc>,
}

/// What became of one pushed record.
#[derive(Debug, Clone, Serialize, ToSchema)]
struct RecordResult {
    client_id: String,
    /// applied, conflict or refused.
    status: &'static str,
    /// Answered from an earlier sync: not applied again.
    repeated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<i64>,
    /// Applied by merging: the server's fields kept beside the phone's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    merged: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    conflicts: Vec<FieldConflict>,
    /// The server's fields of a conflicting check.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    server: Option<serde_json::Value>,
    /// Why it was refused, in Vietnamese and in English.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason_en: Option<String>,
}

impl RecordResult {
    fn new(client_id: &str, status: &'static str) -> RecordResult {
        RecordResult {
            client_id: client_id.to_string(),
            status,
            repeated: false,
            id: None,
            version: None,
            merged: vec![],
            conflicts: vec![],
            server: None,
            reason: None,
            reason_en: None,
        }
    }
    fn applied(client_id: &str, applied: Applied) -> RecordResult {
        RecordResult {
            id: Some(applied.id),
            version: applied.version,
            ..RecordResult::new(client_id, "applied")
        }
    }
}

/// A refusal: the reason in both languages.
struct Refused {
    vi: String,
    en: String,
}

fn refused(vi: impl Into<String>, en: impl Into<String>) -> Refused {
    Refused {
        vi: vi.into(),
        en: en.into(),
    }
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Refused {
        match e {
            StoreError::Invalid(m) | StoreError::Conflict(m) => {
                refused(format!("Máy chủ từ chối: {m}"), m)
            }
            StoreError::NotFound(m) => refused(
                format!("Không tìm thấy trên máy chủ: {m}"),
                format!("not found: {m}"),
            ),
            other => refused(
                "Lỗi máy chủ, sẽ thử lại ở lần đồng bộ sau",
                format!("server error: {other}"),
            ),
        }
    }
}

/// A scope's work of the day, the same for each of its phones.
struct DayWork {
    quarantines: Vec<vx_store::FieldQuarantine>,
    rounds: Vec<vx_store::FieldRound>,
    programmes: Vec<vx_store::FieldProgramme>,
}

/// The scope's changes.
#[derive(Debug, Serialize, ToSchema)]
struct Changes {
    /// The checks and visits are the whole of the last 14 days (a first sync, a changed
    /// scope): replace what is held. Otherwise only what changed since the cursor.
    full: bool,
    /// Households or members changed since the cursor (or the scope did): pull "all".
    registry_changed: bool,
    /// With pull "all": the scope's active households.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    households: Option<Vec<vx_store::FieldHousehold>>,
    /// With pull "all": their active members.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    people: Option<Vec<vx_store::FieldPerson>>,
    /// The open quarantines (whole).
    #[schema(value_type = Vec<Object>)]
    quarantines: Vec<vx_store::FieldQuarantine>,
    #[schema(value_type = Vec<Object>)]
    checks: Vec<vx_store::Check>,
    #[schema(value_type = Vec<Object>)]
    visits: Vec<vx_store::Visit>,
    /// Open rounds with the people still to sample (whole).
    #[schema(value_type = Vec<Object>)]
    rounds: Vec<vx_store::FieldRound>,
    /// Programmes with the households still to serve (whole).
    #[schema(value_type = Vec<Object>)]
    programmes: Vec<vx_store::FieldProgramme>,
}

#[derive(Debug, Serialize, ToSchema)]
struct SyncDto {
    /// Send it with the next sync.
    cursor: String,
    /// The server's working day.
    day: NaiveDate,
    results: Vec<RecordResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    changes: Option<Changes>,
}

/// Where a phone stands: the sync clock and the audit entry it has seen, and the scope
/// it was given them for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cursor {
    clock: i64,
    audit: i64,
    scope: String,
}

impl Cursor {
    fn parse(s: &str) -> Option<Cursor> {
        let mut it = s.splitn(4, '.');
        if it.next()? != "v1" {
            return None;
        }
        let clock = it.next()?.parse().ok()?;
        let audit = it.next()?.parse().ok()?;
        let scope = it.next()?.to_string();
        Some(Cursor {
            clock,
            audit,
            scope,
        })
    }
    fn text(&self) -> String {
        format!("v1.{}.{}.{}", self.clock, self.audit, self.scope)
    }
}

/// The scope as a cursor names it: a changed scope is a full pull.
fn scope_key(roots: &[Unit]) -> String {
    let mut codes: Vec<&str> = roots.iter().map(|u| u.code.as_str()).collect();
    codes.sort_unstable();
    crate::auth::sha256_hex(&codes.join(","))[..12].to_string()
}

/// Pushes a phone's queued records, then pulls the scope's changes since its cursor.
#[utoipa::path(post, path = "/api/v1/sync", tag = "field", request_body = SyncInput,
    responses((status = 200, body = SyncDto), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, description = "More than 30 syncs in a minute; `Retry-After` says when to try again", body = ErrorBody)))]
async fn sync(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Json(input): Json<SyncInput>,
) -> Result<Json<SyncDto>, ApiError> {
    let roots = field_roots(&v)?;
    st.sync_limit
        .check(v.user.id)
        .map_err(|retry_after| AppError::TooMany {
            why: format!(
                "more than {SYNCS_PER_MINUTE} syncs in a minute: try again in {retry_after} s"
            ),
            retry_after,
        })?;
    if input.push.len() > PUSH_MAX {
        return Err(AppError::TooLarge(format!(
            "{} records pushed: at most {PUSH_MAX} per sync",
            input.push.len()
        ))
        .into());
    }
    let today = st.config.today();
    // Read before the pull, so that what changes meanwhile comes with the next one.
    let clock = st.store.sync_version().await?;
    let audit = st.store.data_version().await?;
    let mut results = Vec::with_capacity(input.push.len());
    for r in &input.push {
        results.push(push_one(&st, &v, r, today).await?);
    }
    // The version the day's work is read at: this request's own writes included.
    let version = if results.iter().any(|r| r.status == "applied" && !r.repeated) {
        st.store.data_version().await?
    } else {
        v.data_version
    };
    let key = scope_key(&roots);
    let had = input
        .cursor
        .as_deref()
        .and_then(Cursor::parse)
        .filter(|c| c.scope == key);
    let changes = if input.pull == PullWhat::None {
        None
    } else {
        let registry_changed = match &had {
            None => true,
            Some(c) => st.store.registry_changed_since(c.audit).await?,
        };
        let since = had.as_ref().map_or(0, |c| c.clock);
        let from = today - Duration::days(RECENT_DAYS);
        let all = input.pull == PullWhat::All;
        // The same for every phone of the scope: drawn once per data version (64 phones
        // at seven in the morning ask for it together).
        let work = st
            .cache
            .shared(format!("field-work:{key}:{today}"), version, || async {
                Ok::<_, ApiError>(DayWork {
                    quarantines: st.store.field_quarantines(&roots, today).await?,
                    rounds: st.store.field_rounds(&roots, today).await?,
                    programmes: st.store.field_programmes(&roots, today).await?,
                })
            })
            .await?;
        Some(Changes {
            full: had.is_none(),
            registry_changed,
            households: if all {
                Some(st.store.field_households(&roots).await?)
            } else {
                None
            },
            people: if all {
                Some(st.store.field_people(&roots).await.map_err(|e| match e {
                    StoreError::Invalid(m) => AppError::TooLarge(m),
                    e => e.into(),
                })?)
            } else {
                None
            },
            quarantines: work.quarantines.clone(),
            checks: st.store.checks_since(&roots, from, since).await?,
            visits: st.store.visits_since(&roots, from, since).await?,
            rounds: work.rounds.clone(),
            programmes: work.programmes.clone(),
        })
    };
    // The registry part of the cursor moves only when the phone took the households
    // (pull "all") or nothing of them changed: a phone told of a change keeps being told
    // until it pulls them.
    let audit_seen = match (&changes, &had) {
        (Some(c), _) if c.households.is_some() || !c.registry_changed => audit,
        (_, Some(h)) => h.audit,
        _ => 0,
    };
    let clock_seen = if changes.is_some() {
        clock
    } else {
        had.as_ref().map_or(0, |c| c.clock)
    };
    Ok(Json(SyncDto {
        cursor: Cursor {
            clock: clock_seen,
            audit: audit_seen,
            scope: key,
        }
        .text(),
        day: today,
        results,
        changes,
    }))
}

fn valid_client_id(s: &str) -> bool {
    (8..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Applies one record, or says why not. Errors of the database itself end the sync (the
/// phone keeps its queue and retries).
async fn push_one(
    st: &AppState,
    v: &Viewer,
    r: &PushRecord,
    today: NaiveDate,
) -> Result<RecordResult, ApiError> {
    if !valid_client_id(&r.client_id) {
        return Ok(refusal(
            &r.client_id,
            refused(
                "Mã bản ghi không hợp lệ (cần UUID)",
                "client_id: expected a UUID (8 to 64 letters, digits or '-')",
            ),
        ));
    }
    if let Some((user_id, applied)) = st.store.sync_receipt(&r.client_id).await? {
        if user_id != v.user.id {
            return Ok(refusal(
                &r.client_id,
                refused(
                    "Mã bản ghi này đã được người khác dùng",
                    "client_id: used by another user's record",
                ),
            ));
        }
        return Ok(RecordResult {
            repeated: true,
            ..RecordResult::applied(&r.client_id, applied)
        });
    }
    let receipt = Receipt {
        client_id: &r.client_id,
        user_id: v.user.id,
    };
    // Checks and visits write their receipt in their own transaction; the others' is
    // written once they are applied (a repeat whose receipt was lost is still found by
    // its natural key: a sample's code, an aid receipt, a person in a household).
    let done = match r.kind.as_str() {
        "check" => push_check(st, v, r, today, receipt).await,
        "visit" => push_visit(st, v, r, today, receipt).await,
        "sample" => push_sample(st, v, r).await,
        "aid" => push_aid(st, v, r, today).await,
        "person" => push_person(st, v, r, today).await,
        other => Err(Pushed::Refused(refused(
            format!("Loại bản ghi không rõ: {other:?}"),
            format!("kind {other:?}: expected check, visit, sample, aid or person"),
        ))),
    };
    match done {
        Ok(result) => {
            if let (false, Some(id)) = (matches!(r.kind.as_str(), "check" | "visit"), result.id) {
                if result.status == "applied" {
                    let applied = Applied {
                        id,
                        version: result.version,
                    };
                    st.store
                        .save_sync_receipt(receipt, &r.kind, applied)
                        .await?;
                }
            }
            Ok(result)
        }
        Err(Pushed::Refused(why)) => Ok(refusal(&r.client_id, why)),
        Err(Pushed::Failed(e)) => Err(e),
    }
}

fn refusal(client_id: &str, why: Refused) -> RecordResult {
    RecordResult {
        reason: Some(why.vi),
        reason_en: Some(why.en),
        ..RecordResult::new(client_id, "refused")
    }
}

/// Why a record was not applied: the server's answer (kept on the phone) or a failure of
/// the server itself.
enum Pushed {
    Refused(Refused),
    Failed(ApiError),
}

impl From<StoreError> for Pushed {
    fn from(e: StoreError) -> Pushed {
        match e {
            StoreError::Invalid(_) | StoreError::Conflict(_) | StoreError::NotFound(_) => {
                Pushed::Refused(e.into())
            }
            other => Pushed::Failed(other.into()),
        }
    }
}

impl From<Refused> for Pushed {
    fn from(r: Refused) -> Pushed {
        Pushed::Refused(r)
    }
}

type PushResult = Result<RecordResult, Pushed>;

/// The record's fields as `T`, or a refusal naming the field at fault.
fn fields<T: serde::de::DeserializeOwned>(
    value: &serde_json::Map<String, serde_json::Value>,
) -> Result<T, Refused> {
    serde_json::from_value(serde_json::Value::Object(value.clone()))
        .map_err(|e| refused(format!("Dữ liệu không hợp lệ: {e}"), format!("data: {e}")))
}

fn scope_names(v: &Viewer) -> String {
    v.user
        .scope
        .iter()
        .map(|u| u.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether the viewer may write now for what lives in the unit (the scope at the time of
/// the sync, which may have changed since the record was made).
async fn writes_in(st: &AppState, v: &Viewer, unit_id: i64) -> Result<bool, Pushed> {
    Ok(st
        .store
        .unit_by_id(unit_id)
        .await?
        .is_some_and(|u| v.access.sees_people_in(&u)))
}

/// The household, if the viewer may write for it now.
async fn household_in_scope(
    st: &AppState,
    v: &Viewer,
    id: i64,
) -> Result<vx_domain::Household, Pushed> {
    let h = st.store.household(id).await?.ok_or_else(|| {
        refused(
            format!("Không tìm thấy hộ #{id}"),
            format!("no household #{id}"),
        )
    })?;
    if !writes_in(st, v, h.unit_id).await? {
        let (code, scope) = (&h.data.code, scope_names(v));
        return Err(refused(
            format!("Hộ {code} nằm ngoài phạm vi của bạn ({scope})"),
            format!("household {code} is outside your scope ({scope})"),
        )
        .into());
    }
    Ok(h)
}

/// Whether the viewer may write for the person now. A person outside the scope is named
/// by id only: the refusal tells nothing the viewer may not see.
async fn person_in_scope(st: &AppState, v: &Viewer, id: i64) -> Result<(), Pushed> {
    let p = st.store.person(id).await?.ok_or_else(|| {
        refused(
            format!("Không tìm thấy người #{id}"),
            format!("no person #{id}"),
        )
    })?;
    if !writes_in(st, v, p.unit_id).await? {
        let scope = scope_names(v);
        return Err(refused(
            format!("Người #{id} nằm ngoài phạm vi của bạn ({scope})"),
            format!("person #{id} is outside your scope ({scope})"),
        )
        .into());
    }
    Ok(())
}

fn check_json(f: &CheckFields) -> serde_json::Value {
    serde_json::to_value(f).unwrap_or_default()
}

async fn push_check(
    st: &AppState,
    v: &Viewer,
    r: &PushRecord,
    today: NaiveDate,
    receipt: Receipt<'_>,
) -> PushResult {
    let c: NewCheck = fields(&r.data)?;
    let c = NewCheck {
        fields: c
            .fields
            .parse()
            .map_err(|e| refused(format!("Dữ liệu không hợp lệ: {e}"), e))?,
        ..c
    };
    let contact = st.store.contact(c.contact_id).await?.ok_or_else(|| {
        refused(
            format!("Không tìm thấy cách ly #{}", c.contact_id),
            format!("no contact #{}", c.contact_id),
        )
    })?;
    person_in_scope(st, v, contact.person_id).await?;
    let base: Option<CheckFields> = match &r.base {
        Some(b) => Some(fields(b)?),
        None => None,
    };
    let base = match (r.base_version, &base) {
        (Some(version), Some(b)) => Some((version, b)),
        (None, None) => None,
        _ => {
            return Err(refused(
                "Sửa một lần kiểm tra cần cả base_version và base",
                "an edit needs both base_version and base",
            )
            .into())
        }
    };
    match st
        .store
        .record_check(&v.user.actor(), &c, base, today, Some(receipt))
        .await?
    {
        CheckWrite::Applied { check, taken } => Ok(RecordResult {
            merged: taken,
            ..RecordResult::applied(
                &r.client_id,
                Applied {
                    id: check.id,
                    version: Some(check.version),
                },
            )
        }),
        CheckWrite::Conflict {
            current,
            fields: names,
        } => {
            let mine = check_json(&c.fields);
            let theirs = check_json(&current.fields);
            Ok(RecordResult {
                id: Some(current.id),
                version: Some(current.version),
                conflicts: names
                    .into_iter()
                    .map(|f| FieldConflict {
                        field: f,
                        yours: mine[f].clone(),
                        theirs: theirs[f].clone(),
                        by: current.by.clone(),
                        at: current.at,
                    })
                    .collect(),
                server: Some(theirs),
                ..RecordResult::new(&r.client_id, "conflict")
            })
        }
    }
}

async fn push_visit(
    st: &AppState,
    v: &Viewer,
    r: &PushRecord,
    today: NaiveDate,
    receipt: Receipt<'_>,
) -> PushResult {
    #[derive(Deserialize)]
    struct In {
        household_id: i64,
        day: NaiveDate,
        outcome: String,
        #[serde(default)]
        note: String,
    }
    let x: In = fields(&r.data)?;
    let outcome = VisitOutcome::parse(&x.outcome).map_err(|e| {
        refused(
            format!("Kết quả thăm không rõ: {:?}", x.outcome),
            format!("outcome: {e}"),
        )
    })?;
    household_in_scope(st, v, x.household_id).await?;
    let visit = NewVisit {
        household_id: x.household_id,
        day: x.day,
        outcome,
        note: x.note,
    };
    let saved = st
        .store
        .record_visit(&v.user.actor(), &visit, today, Some(receipt))
        .await?;
    Ok(RecordResult::applied(
        &r.client_id,
        Applied {
            id: saved.id,
            version: Some(saved.version),
        },
    ))
}

/// A record the server had applied already, found again by its natural key: its receipt
/// was lost (or never written) after it was applied.
fn applied_before(client_id: &str, id: i64) -> RecordResult {
    RecordResult {
        repeated: true,
        ..RecordResult::applied(client_id, Applied { id, version: None })
    }
}

async fn push_sample(st: &AppState, v: &Viewer, r: &PushRecord) -> PushResult {
    #[derive(Deserialize)]
    struct In {
        round_id: i64,
        code: String,
        members: Vec<i64>,
        #[serde(default)]
        laboratory: String,
        #[serde(default)]
        taken_at: Option<DateTime<Utc>>,
    }
    let x: In = fields(&r.data)?;
    let code = SampleCode::parse(&x.code)
        .map_err(|e| refused(format!("Mã mẫu không hợp lệ: {}", x.code), e.to_string()))?;
    if x.members.is_empty() || x.members.len() > 20 {
        return Err(refused("Một mẫu gồm 1 đến 20 người", "members: 1 to 20 people").into());
    }
    for m in &x.members {
        person_in_scope(st, v, *m).await?;
    }
    let mut mine = x.members.clone();
    mine.sort_unstable();
    let new = NewSample {
        code: code.clone(),
        round_id: x.round_id,
        method: SampleMethod::RtPcr,
        pooled: x.members.len() > 1,
        high_risk: false,
        collected_at: x
            .taken_at
            .or_else(|| {
                r.made_at
                    .as_deref()
                    .and_then(|m| DateTime::parse_from_rfc3339(m).ok())
                    .map(|m| m.with_timezone(&Utc))
            })
            .unwrap_or_else(Utc::now)
            .min(Utc::now()),
        collector: v.user.display_name.clone(),
        laboratory: if x.laboratory.trim().is_empty() {
            "—".into()
        } else {
            x.laboratory.trim().chars().take(200).collect()
        },
        members: x.members,
        retest_order_id: None,
    };
    match st.store.create_sample(&v.user.actor(), &new).await {
        Ok(s) => Ok(RecordResult::applied(
            &r.client_id,
            Applied {
                id: s.id,
                version: None,
            },
        )),
        // Refused as a second sample (its code, or its members in the round): the same
        // code, round and members is this record, applied before.
        Err(StoreError::Conflict(why)) => match st.store.sample_by_code(&code).await? {
            Some(s)
                if s.round_id == new.round_id && {
                    let mut had = s.members.clone();
                    had.sort_unstable();
                    had == mine
                } =>
            {
                Ok(applied_before(&r.client_id, s.id))
            }
            _ => Err(StoreError::Conflict(why).into()),
        },
        Err(e) => Err(e.into()),
    }
}

async fn push_aid(st: &AppState, v: &Viewer, r: &PushRecord, today: NaiveDate) -> PushResult {
    #[derive(Deserialize)]
    struct In {
        programme_id: i64,
        household_id: i64,
        day: NaiveDate,
        receipt: String,
    }
    let x: In = fields(&r.data)?;
    if x.day > today {
        return Err(refused(
            format!("Ngày trao {} sau hôm nay", x.day),
            format!("day {} is after today", x.day),
        )
        .into());
    }
    let h = household_in_scope(st, v, x.household_id).await?;
    let d = NewDistribution {
        programme_id: x.programme_id,
        household_id: x.household_id,
        handed_on: x.day,
        handed_by: v.user.display_name.clone(),
        what: String::new(),
        amount_vnd: None,
        receipt: x.receipt.trim().chars().take(64).collect(),
    };
    match st.store.distribute(&v.user.actor(), &d).await? {
        Handed::Recorded(found) => Ok(RecordResult::applied(
            &r.client_id,
            Applied {
                id: found.id,
                version: None,
            },
        )),
        // The same receipt by the same user: this record, applied before.
        Handed::Earlier(found)
            if found.distribution.receipt == d.receipt && found.recorded_by == v.user.username =>
        {
            Ok(applied_before(&r.client_id, found.id))
        }
        Handed::Earlier(found) => Err(refused(
            format!(
                "Hộ {} đã nhận hỗ trợ này ngày {} (biên nhận {}, {})",
                h.data.code,
                found.distribution.handed_on.format("%d/%m/%Y"),
                found.distribution.receipt,
                found.recorded_by
            ),
            format!(
                "household {} was given this programme's aid on {} (receipt {}, {})",
                h.data.code,
                found.distribution.handed_on,
                found.distribution.receipt,
                found.recorded_by
            ),
        )
        .into()),
    }
}

async fn push_person(st: &AppState, v: &Viewer, r: &PushRecord, today: NaiveDate) -> PushResult {
    #[derive(Deserialize)]
    struct In {
        household_id: i64,
        full_name: String,
        birth_year: i64,
        sex: String,
        #[serde(default)]
        relation: String,
    }
    let x: In = fields(&r.data)?;
    let h = household_in_scope(st, v, x.household_id).await?;
    let bad = |field: &str, e: String| refused(format!("{field}: {e}"), format!("{field}: {e}"));
    let person = NewPerson {
        household_code: h.data.code.clone(),
        full_name: PersonName::parse(&x.full_name).map_err(|e| bad("full_name", e.to_string()))?,
        birth: Birth::parse(&x.birth_year.to_string(), today)
            .map_err(|e| bad("birth_year", e.to_string()))?,
        sex: Sex::parse(&x.sex).map_err(|e| bad("sex", e.to_string()))?,
        citizen_id: None,
        phone: None,
        relation: Relation::parse(if x.relation.is_empty() {
            "other"
        } else {
            &x.relation
        })
        .map_err(|e| bad("relation", e.to_string()))?,
    };
    match st.store.create_person(&v.user.actor(), &person).await {
        Ok(p) => Ok(RecordResult::applied(
            &r.client_id,
            Applied {
                id: p.id,
                version: None,
            },
        )),
        // Refused as someone registered already: the same name and birth in the same
        // household is this record, applied before (or the person the team found was
        // registered meanwhile).
        Err(StoreError::Conflict(why)) => {
            let key = person.natural_key();
            let existing = st
                .store
                .people(&vx_store::PeopleQuery {
                    within: "/".into(),
                    household_id: Some(h.id),
                    limit: 200,
                    ..Default::default()
                })
                .await?
                .into_iter()
                .find(|p| p.data.natural_key() == key);
            match existing {
                Some(p) => Ok(applied_before(&r.client_id, p.id)),
                None => Err(StoreError::Conflict(why).into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_what_they_wrote() {
        let c = Cursor {
            clock: 41,
            audit: 1234,
            scope: "abc123".into(),
        };
        assert_eq!(Cursor::parse(&c.text()), Some(c));
        for bad in ["", "v1", "v2.1.2.x", "v1.a.2.x", "v1.1.b.x", "v1.1.2"] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
        assert!(valid_client_id("5f0c6b1e-8a4d-4a5e-9c55-2b8e6f1d2a3c"));
        assert!(!valid_client_id("short"));
        assert!(!valid_client_id("5f0c6b1e 8a4d"));
    }
}
