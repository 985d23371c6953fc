//! Exchange with DHIS2: a unit's and its children's figures over a day, an ISO week or a
//! month as a `dataValueSets` JSON document, or ADX with `Accept: application/adx+xml`.
//! The mapping is the server's (`serve --dhis2-mapping FILE`), else every indicator under
//! its own name (`VX_COMMUNITY_CASES`, …) and every unit under its own code.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use vx_exchange::{Mapping, Period};

use crate::auth::ApiViewer;
use crate::error::{ApiError, AppError, ErrorBody, FieldProblem};
use crate::scope;
use crate::state::AppState;

pub(crate) const ADX_TYPE: &str = "application/adx+xml";

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/exchange/dhis2/dataValueSets", get(data_value_sets))
}

#[derive(OpenApi)]
#[openapi(
    paths(data_value_sets),
    components(schemas(DataValueSetDto, DataValueDto)),
    tags((name = "exchange", description = "Aggregate data for DHIS2 (dataValueSets JSON, ADX)"))
)]
pub(crate) struct ExchangeApiDoc;

/// The mapping the server exports with.
pub(crate) fn mapping(configured: Option<&Arc<Mapping>>) -> Arc<Mapping> {
    static IDENTITY: std::sync::OnceLock<Arc<Mapping>> = std::sync::OnceLock::new();
    configured.cloned().unwrap_or_else(|| {
        IDENTITY
            .get_or_init(|| Arc::new(Mapping::identity("VX_COVID")))
            .clone()
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExchangeParams {
    /// The unit: its values and its children's (those the caller sees).
    #[param(required = true, example = "831", pattern = "^[0-9]{2,10}$")]
    unit: Option<String>,
    /// A day (2021-09-12), an ISO week (2021W37) or a month (2021-09); DHIS2's own
    /// identifiers (20210912, 202109) are taken too.
    #[param(
        required = true,
        example = "2021W37",
        pattern = "^(19|2[0-9])[0-9]{2}(-?W(0?[1-9]|[1-4][0-9]|5[0-3])|-?(0[1-9]|1[0-2])(-?(0[1-9]|[12][0-9]|3[01]))?)$"
    )]
    period: Option<String>,
}

/// One value (DHIS2's `dataValues` item; codes as identifiers, `idScheme=code`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DataValueDto {
    data_element: String,
    /// DHIS2's period identifier: 20210912, 2021W37, 202109.
    period: String,
    org_unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    category_option_combo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attribute_option_combo: Option<String>,
    value: String,
}

/// DHIS2's data value set, as `POST /api/dataValueSets` takes it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DataValueSetDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    data_set: Option<String>,
    period: String,
    data_values: Vec<DataValueDto>,
}

fn invalid(field: &str, error: impl Into<String>) -> AppError {
    AppError::Invalid(vec![FieldProblem {
        field: field.to_string(),
        error: error.into(),
    }])
}

/// A unit's and its children's figures over a period as DHIS2 data values: new cases by
/// source, samples taken and positive (sums over the period's days); cases in isolation,
/// F1 and F2, population, screening coverage and the zone level on its last day. The
/// values are the dashboards' figures for the same unit and days. JSON (`dataValueSets`),
/// or ADX with `Accept: application/adx+xml`.
#[utoipa::path(get, path = "/api/v1/exchange/dhis2/dataValueSets", tag = "exchange",
    params(ExchangeParams),
    responses(
        (status = 200, description = "Data values", content(
            (DataValueSetDto = "application/json"),
            (String = "application/adx+xml"))),
        (status = 400, description = "Malformed query", body = ErrorBody),
        (status = 401, description = "No credential", body = ErrorBody),
        (status = 404, description = "No such unit, or not the caller's", body = ErrorBody),
        (status = 422, description = "A unit or period missing or not understood", body = ErrorBody)))]
async fn data_value_sets(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Query(p): Query<ExchangeParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let code = p
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("unit", "required: a unit code, e.g. 831"))?;
    let period = p
        .period
        .as_deref()
        .ok_or_else(|| invalid("period", "required: 2021-09-12, 2021W37 or 2021-09"))
        .and_then(|s| Period::parse(s).map_err(|e| invalid("period", e.to_string())))?;
    let unit = scope::seen_unit(&st.store, &v.access, code).await?;
    let mut units = vec![unit.clone()];
    units.extend(scope::seen_children(&st.store, &v.access, &unit).await?);
    let figures = st
        .store
        .period_figures(&unit, &units, period.start(), period.end())
        .await?;
    let mapping = mapping(st.config.dhis2_mapping.as_ref());
    let set = vx_exchange::data_value_set(&mapping, period, &figures);
    let wants_adx = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains(ADX_TYPE));
    if wants_adx {
        let xml = vx_exchange::adx(&set, period, chrono::Utc::now())
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
        return Ok(([(header::CONTENT_TYPE, ADX_TYPE)], xml).into_response());
    }
    Ok(Json(DataValueSetDto {
        data_set: set.data_set,
        period: set.period,
        data_values: set
            .data_values
            .into_iter()
            .map(|d| DataValueDto {
                data_element: d.data_element,
                period: d.period,
                org_unit: d.org_unit,
                category_option_combo: d.category_option_combo,
                attribute_option_combo: d.attribute_option_combo,
                value: d.value,
            })
            .collect(),
    })
    .into_response())
}
