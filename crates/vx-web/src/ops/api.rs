//! The operations API: what a checkpoint device syncs (the public key, revocations), permit
//! verification and crossings, business status, the gap report and distributions.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use vx_domain::ops::business::Status;
use vx_domain::ops::permit::{verify, Holder};
use vx_store::ops::{Distribution, Handed, NewDistribution};
use vx_store::StoreError;

use super::permits::{decide_crossing, CrossingForm};
use super::{
    day_or_today, programme_unit, seen_business, seen_permit, seen_programme, staffed_checkpoint,
};
use crate::auth::{ApiViewer, Viewer};
use crate::error::{ApiError, AppError, ErrorBody, FieldProblem};
use crate::i18n::Lang;
use crate::scope;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/permits/key", get(permit_key))
        .route("/api/v1/permits/revocations", get(revocations))
        .route("/api/v1/permits/verify", post(verify_permit))
        .route("/api/v1/permits/{id}", get(get_permit))
        .route("/api/v1/checkpoints/{id}/crossings", post(post_crossing))
        .route("/api/v1/businesses/{id}/status", get(business_status))
        .route("/api/v1/programmes/{id}/gap", get(gap))
        .route(
            "/api/v1/programmes/{id}/distributions",
            post(post_distribution),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(
        permit_key,
        revocations,
        verify_permit,
        get_permit,
        post_crossing,
        business_status,
        gap,
        post_distribution
    ),
    components(schemas(
        KeyDto,
        RevocationsDto,
        RevocationDto,
        VerifyInput,
        VerifyDto,
        PermitDto,
        CrossingInput,
        CrossingDto,
        BusinessStatusDto,
        GapDto,
        GapRowDto,
        DistributionInput,
        DistributionDto,
        DistributionAnswer
    )),
    tags((name = "operations", description = "Checkpoints, permits, businesses and social support"))
)]
pub(crate) struct OpsApiDoc;

/// Roles that see units (laboratories see none of this).
fn sees_units(v: &Viewer) -> Result<(), ApiError> {
    if v.access.role.deepest_level().is_some() {
        Ok(())
    } else {
        Err(AppError::not_found().into())
    }
}

// ---------------------------------------------------------------------------------------
// Permits

/// The key a checkpoint device holds to verify permits offline.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct KeyDto {
    /// "Ed25519".
    algorithm: &'static str,
    /// The 32-byte public key, hex.
    public_key_hex: String,
    /// Tokens are `VX1.<claims base64url>.<signature base64url>`, signed over `VX1.<claims>`.
    token_format: &'static str,
}

/// The permit verification key.
#[utoipa::path(get, path = "/api/v1/permits/key", tag = "operations",
    responses((status = 200, body = KeyDto), (status = 404, body = ErrorBody)))]
async fn permit_key(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
) -> Result<Json<KeyDto>, ApiError> {
    sees_units(&v)?;
    Ok(Json(KeyDto {
        algorithm: "Ed25519",
        public_key_hex: st.store.permit_key().await?.public_hex(),
        token_format:
            "VX1.<claims base64url JSON>.<Ed25519 signature base64url over 'VX1.<claims>'>",
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct SinceQuery {
    /// Only revocations after this instant (RFC 3339): what changed since the last sync.
    since: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RevocationDto {
    id: i64,
    revoked_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RevocationsDto {
    revoked: Vec<RevocationDto>,
    /// Pass as `since` next time.
    as_of: DateTime<Utc>,
}

/// Revoked permits (ids only), for checkpoint devices to sync.
#[utoipa::path(get, path = "/api/v1/permits/revocations", tag = "operations", params(SinceQuery),
    responses((status = 200, body = RevocationsDto), (status = 404, body = ErrorBody)))]
async fn revocations(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Query(q): Query<SinceQuery>,
) -> Result<Json<RevocationsDto>, ApiError> {
    sees_units(&v)?;
    let as_of = Utc::now();
    let revoked = st
        .store
        .revocations(q.since)
        .await?
        .into_iter()
        .map(|(id, revoked_at)| RevocationDto { id, revoked_at })
        .collect();
    Ok(Json(RevocationsDto { revoked, as_of }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct VerifyInput {
    token: String,
    /// The instant to verify at (default: now).
    #[serde(default)]
    at: Option<DateTime<Utc>>,
}

/// A verification's answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VerifyDto {
    valid: bool,
    /// malformed, forged, not-yet-valid, expired or revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    message_vi: String,
    message_en: String,
    #[schema(value_type = Object)]
    #[serde(skip_serializing_if = "Option::is_none")]
    claims: Option<serde_json::Value>,
}

/// Verifies a permit token: signature, validity, revocation.
#[utoipa::path(post, path = "/api/v1/permits/verify", tag = "operations", request_body = VerifyInput,
    responses((status = 200, body = VerifyDto), (status = 404, body = ErrorBody)))]
async fn verify_permit(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Json(input): Json<VerifyInput>,
) -> Result<Json<VerifyDto>, ApiError> {
    sees_units(&v)?;
    let key = st.store.permit_key().await?.public();
    let revoked = st.store.revoked_ids().await?;
    let at = input.at.unwrap_or_else(Utc::now);
    Ok(Json(match verify(&input.token, &key, at, &revoked) {
        Ok(claims) => VerifyDto {
            valid: true,
            reason: None,
            message_vi: format!("Giấy đi đường số {} hợp lệ: {}.", claims.id, claims.holder),
            message_en: format!("Permit {} is valid: {}.", claims.id, claims.holder),
            claims: serde_json::to_value(&claims).ok(),
        },
        Err(r) => VerifyDto {
            valid: false,
            reason: Some(r.code()),
            message_vi: r.text_vi(),
            message_en: r.text_en(),
            claims: None,
        },
    }))
}

/// A permit with its token.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PermitDto {
    id: i64,
    issuer: String,
    /// person or vehicle.
    kind: &'static str,
    holder: String,
    plate: Option<String>,
    purpose: String,
    destinations: Vec<String>,
    valid_from: DateTime<Utc>,
    valid_to: DateTime<Utc>,
    negative_test_hours: Option<u32>,
    vaccine_doses: Option<u8>,
    revoked_at: Option<DateTime<Utc>>,
    token: String,
}

/// One permit and its signed token.
#[utoipa::path(get, path = "/api/v1/permits/{id}", tag = "operations",
    params(("id" = i64, Path, description = "Permit id")),
    responses((status = 200, body = PermitDto), (status = 404, body = ErrorBody)))]
async fn get_permit(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<PermitDto>, ApiError> {
    let (p, _) = seen_permit(&st.store, &v, &id).await?;
    let token = st.store.permit_token(&p).await?;
    let x = &p.permit;
    Ok(Json(PermitDto {
        id: p.id,
        issuer: x.issuer.to_string(),
        kind: x.holder.kind(),
        holder: match &x.holder {
            Holder::Person { name, .. } => name.clone(),
            Holder::Vehicle { driver, .. } => driver.clone(),
        },
        plate: x.holder.plate().map(|p| p.to_string()),
        purpose: x.purpose.clone(),
        destinations: x.destinations.iter().map(|d| d.to_string()).collect(),
        valid_from: x.valid_from,
        valid_to: x.valid_to,
        negative_test_hours: x.conditions.negative_test_hours,
        vaccine_doses: x.conditions.vaccine_doses,
        revoked_at: p.revoked_at,
        token,
    }))
}

// ---------------------------------------------------------------------------------------
// Crossings

/// A crossing as the checkpoint saw it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub(crate) struct CrossingInput {
    /// The permit token (scanned from the QR code); empty when none is shown.
    token: String,
    plate: String,
    name: String,
    person_id: Option<i64>,
    /// in or out.
    direction: String,
    /// negative or positive; empty when no test is shown.
    test: String,
    /// The test's sampling day (YYYY-MM-DD).
    test_on: String,
    #[schema(minimum = 0, maximum = 255)]
    doses: Option<u8>,
    /// When it happened (default: now); devices syncing later send it.
    at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CrossingDto {
    id: i64,
    at: DateTime<Utc>,
    direction: &'static str,
    holder: String,
    plate: Option<String>,
    permit_id: Option<i64>,
    allowed: bool,
    reason: String,
}

/// Records a crossing at a checkpoint; the server verifies the permit and its conditions.
#[utoipa::path(post, path = "/api/v1/checkpoints/{id}/crossings", tag = "operations",
    params(("id" = i64, Path, description = "Checkpoint id")), request_body = CrossingInput,
    responses((status = 201, body = CrossingDto), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn post_crossing(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    Json(input): Json<CrossingInput>,
) -> Result<Response, ApiError> {
    let (cp, _) = staffed_checkpoint(&st.store, &v, &id).await?;
    let form = CrossingForm {
        csrf: String::new(),
        token: input.token,
        plate: input.plate,
        name: input.name,
        person_id: input.person_id.map(|p| p.to_string()).unwrap_or_default(),
        direction: input.direction,
        test: input.test,
        test_on: input.test_on,
        doses: input.doses.map(|d| d.to_string()).unwrap_or_default(),
    };
    let at = input.at.unwrap_or_else(Utc::now);
    let c = match decide_crossing(&st.store, Lang::Vi, cp.id, &form, at).await? {
        Ok(c) => c,
        Err(errors) => {
            return Err(AppError::Invalid(
                errors
                    .into_iter()
                    .map(|e| FieldProblem {
                        field: e.split(':').next().unwrap_or("").to_string(),
                        error: e,
                    })
                    .collect(),
            )
            .into())
        }
    };
    let c = st.store.record_crossing(&v.user.actor(), &c).await?;
    let x = c.crossing;
    Ok((
        StatusCode::CREATED,
        Json(CrossingDto {
            id: c.id,
            at: x.at,
            direction: x.direction.as_str(),
            holder: x.holder_name,
            plate: x.plate.map(|p| p.to_string()),
            permit_id: x.permit_id,
            allowed: x.allowed,
            reason: x.reason,
        }),
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------
// Businesses

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct DayQuery {
    /// The day (YYYY-MM-DD); today in Vietnam by default.
    date: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BusinessStatusDto {
    id: i64,
    name: String,
    unit: String,
    sector: &'static str,
    date: NaiveDate,
    /// The unit's level in force (1–4), if known.
    level: Option<u8>,
    /// closed, conditional or open.
    status: &'static str,
    conditions_vi: Vec<String>,
    reasons_vi: Vec<String>,
    reasons_en: Vec<String>,
    workers: usize,
    overdue: usize,
}

/// Whether a business may open on a day, and why.
#[utoipa::path(get, path = "/api/v1/businesses/{id}/status", tag = "operations",
    params(("id" = i64, Path, description = "Business id"), DayQuery),
    responses((status = 200, body = BusinessStatusDto), (status = 404, body = ErrorBody)))]
async fn business_status(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    Query(q): Query<DayQuery>,
) -> Result<Json<BusinessStatusDto>, ApiError> {
    let (b, unit) = seen_business(&st.store, &v, &id).await?;
    let day = day_or_today(q.date.as_deref(), st.config.today())?;
    let (level, workers, d) = st.store.business_decision(&b, day).await?;
    Ok(Json(BusinessStatusDto {
        id: b.id,
        name: b.business.name.clone(),
        unit: unit.code.to_string(),
        sector: b.business.sector.as_str(),
        date: day,
        level,
        status: d.status.code(),
        conditions_vi: match &d.status {
            Status::Conditional { conditions } => conditions.iter().map(|c| c.text_vi()).collect(),
            _ => vec![],
        },
        reasons_vi: d.reasons.iter().map(|r| r.text_vi()).collect(),
        reasons_en: d.reasons.iter().map(|r| r.text_en()).collect(),
        workers: workers.len(),
        overdue: workers.iter().filter(|w| w.overdue).count(),
    }))
}

// ---------------------------------------------------------------------------------------
// Support

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct GapQuery {
    /// The unit (default: the programme's unit, or the viewer's first scope unit).
    unit: Option<String>,
    /// The day (YYYY-MM-DD); today in Vietnam by default.
    date: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GapRowDto {
    unit: String,
    name: String,
    eligible: i64,
    supported: i64,
    gap: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GapDto {
    programme: i64,
    unit: String,
    date: NaiveDate,
    rows: Vec<GapRowDto>,
}

/// Eligible households supported and not yet supported, per unit (figures only).
#[utoipa::path(get, path = "/api/v1/programmes/{id}/gap", tag = "operations",
    params(("id" = i64, Path, description = "Programme id"), GapQuery),
    responses((status = 200, body = GapDto), (status = 404, body = ErrorBody)))]
async fn gap(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    Query(q): Query<GapQuery>,
) -> Result<Json<GapDto>, ApiError> {
    let g = seen_programme(&st.store, &v, &id).await?;
    let unit = programme_unit(&st.store, &v, &g, q.unit.as_deref()).await?;
    let day = day_or_today(q.date.as_deref(), st.config.today())?;
    let mut rows = Vec::new();
    for r in st.store.gap_report(&g, &unit, day).await? {
        if let Some(u) = st.store.unit(&r.unit_code).await? {
            if v.access.sees_unit(&u) {
                rows.push(GapRowDto {
                    unit: r.unit_code,
                    name: r.unit_name,
                    eligible: r.eligible,
                    supported: r.supported,
                    gap: r.gap,
                });
            }
        }
    }
    Ok(Json(GapDto {
        programme: g.id,
        unit: unit.code.to_string(),
        date: day,
        rows,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct DistributionInput {
    household_id: i64,
    /// Default: today in Vietnam.
    #[serde(default)]
    handed_on: Option<NaiveDate>,
    handed_by: String,
    receipt: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DistributionDto {
    id: i64,
    household_code: String,
    head_name: String,
    unit: String,
    handed_on: NaiveDate,
    handed_by: String,
    what: String,
    amount_vnd: Option<i64>,
    receipt: String,
    recorded_by: String,
}

/// The answer to a distribution: the record, or the earlier one when refused.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DistributionAnswer {
    /// True when recorded now; false when the household had already received it.
    recorded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    distribution: DistributionDto,
}

fn dto(d: Distribution) -> DistributionDto {
    DistributionDto {
        id: d.id,
        household_code: d.household_code,
        head_name: d.head_name,
        unit: d.unit_code,
        handed_on: d.distribution.handed_on,
        handed_by: d.distribution.handed_by,
        what: d.distribution.what,
        amount_vnd: d.distribution.amount_vnd,
        receipt: d.distribution.receipt,
        recorded_by: d.recorded_by,
    }
}

/// Records that a household received a programme's aid; a second time is refused (409)
/// with the earlier record.
#[utoipa::path(post, path = "/api/v1/programmes/{id}/distributions", tag = "operations",
    params(("id" = i64, Path, description = "Programme id")), request_body = DistributionInput,
    responses((status = 201, body = DistributionAnswer), (status = 409, body = DistributionAnswer),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_distribution(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    Json(input): Json<DistributionInput>,
) -> Result<Response, ApiError> {
    let g = seen_programme(&st.store, &v, &id).await?;
    let (household, _) =
        scope::seen_household(&st.store, &v.access, &input.household_id.to_string()).await?;
    let new = NewDistribution {
        programme_id: g.id,
        household_id: household.id,
        handed_on: input.handed_on.unwrap_or_else(|| st.config.today()),
        handed_by: input.handed_by,
        what: String::new(),
        amount_vnd: None,
        receipt: input.receipt,
    };
    match st.store.distribute(&v.user.actor(), &new).await {
        Ok(Handed::Recorded(d)) => Ok((
            StatusCode::CREATED,
            Json(DistributionAnswer {
                recorded: true,
                error: None,
                distribution: dto(d),
            }),
        )
            .into_response()),
        Ok(Handed::Earlier(earlier)) => Ok((
            StatusCode::CONFLICT,
            Json(DistributionAnswer {
                recorded: false,
                error: Some(format!(
                    "household {} already received this programme's aid on {} (receipt {})",
                    earlier.household_code,
                    earlier.distribution.handed_on,
                    earlier.distribution.receipt
                )),
                distribution: dto(earlier),
            }),
        )
            .into_response()),
        Err(StoreError::Invalid(m)) => Err(AppError::Invalid(vec![FieldProblem {
            field: "household_id".into(),
            error: m,
        }])
        .into()),
        Err(e) => Err(e.into()),
    }
}
