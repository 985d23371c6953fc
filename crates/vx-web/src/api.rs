//! The JSON API under `/api/v1`, and its OpenAPI description generated from this code.
//!
//! Bodies are raw strings (or JSON scalars), parsed into domain types by [`crate::input`];
//! a bad field answers 422 `{error, field}`. Scope is checked by [`crate::scope`]: out of
//! scope answers 404.

use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use vx_domain::{Access, Household, Person, Unit};
use vx_store::{AuditEntry, PeopleQuery, Store, StoreError, UnitCounts};

use crate::auth::ApiViewer;
use crate::error::{ApiError, AppError, ErrorBody, FieldProblem};
use crate::input::{
    parse_household, parse_person, problems, search_text, HouseholdFields, PersonFields,
};
use crate::scope;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/units", get(list_units))
        .route("/api/v1/units/{code}", get(get_unit))
        // Reserved: /api/v1/units/{code}/status (zone status, added by the rules work).
        .route("/api/v1/units/{code}/households", get(unit_households))
        .route("/api/v1/units/{code}/people", get(unit_people))
        .route(
            "/api/v1/households",
            get(list_households).post(create_household),
        )
        .route(
            "/api/v1/households/{id}",
            get(get_household).put(update_household),
        )
        .route(
            "/api/v1/households/{id}/deactivate",
            post(deactivate_household),
        )
        .route("/api/v1/households/{id}/activate", post(activate_household))
        .route("/api/v1/people", get(list_people).post(create_person))
        .route("/api/v1/people/{id}", get(get_person).put(update_person))
        .route("/api/v1/people/{id}/deactivate", post(deactivate_person))
        .route("/api/v1/people/{id}/activate", post(activate_person))
        .route("/api/v1/people/{id}/duplicates", get(person_duplicates))
        .route("/api/v1/search", get(search))
        .route("/api/v1/audit", get(audit))
        .fallback(api_not_found)
}

async fn api_not_found() -> ApiError {
    ApiError(AppError::not_found())
}

// ---------------------------------------------------------------------------------------
// OpenAPI

#[derive(OpenApi)]
#[openapi(
    info(
        title = "vungxanh API",
        version = "1",
        description = "Administrative units, households and people of vungxanh. \
            Authenticate with `Authorization: Bearer <API token>` or the `vx_session` cookie \
            (writes with the cookie also need `X-CSRF-Token`). Anything outside the caller's \
            scope answers 404."
    ),
    paths(
        list_units,
        get_unit,
        unit_households,
        unit_people,
        list_households,
        create_household,
        get_household,
        update_household,
        deactivate_household,
        activate_household,
        list_people,
        create_person,
        get_person,
        update_person,
        deactivate_person,
        activate_person,
        person_duplicates,
        search,
        audit
    ),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "units", description = "Administrative units and their figures"),
        (name = "registry", description = "Households and people"),
        (name = "admin", description = "Administration"),
        (name = "meta", description = "This description and health")
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Bodies and answers

/// A JSON body; a body that is not JSON answers `{error}` with 400, 415 or 422.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(rejection) => {
                let status = rejection.status();
                let text = rejection.body_text();
                Err(ApiError(match status {
                    StatusCode::UNPROCESSABLE_ENTITY => AppError::Invalid(vec![FieldProblem {
                        field: String::new(),
                        error: text,
                    }]),
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedType(text),
                    StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge(text),
                    _ => AppError::BadRequest(text),
                }))
            }
        }
    }
}

/// A raw field: a string, or a JSON scalar read as one.
type Raw = Option<serde_json::Value>;

fn text(raw: &Raw) -> String {
    match raw {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A household as written: raw strings, parsed and checked by the server.
#[derive(Debug, Deserialize, ToSchema)]
pub struct HouseholdInput {
    /// Unique household code, e.g. "2884601-0012".
    #[serde(default)]
    #[schema(value_type = String, example = "2884601-0012")]
    code: Raw,
    /// Code of the hamlet (or commune without hamlets) the household lives in.
    #[serde(default)]
    #[schema(value_type = String, example = "2884601")]
    unit_code: Raw,
    #[serde(default)]
    #[schema(value_type = String, example = "Nguyễn Văn An")]
    head_name: Raw,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    address: Raw,
    /// Vietnamese phone number, stored as +84….
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "0912 345 678")]
    phone: Raw,
    /// yes/no: true, "có", "x", 1…
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    poor: Raw,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    lost_income: Raw,
}

impl HouseholdInput {
    fn fields(&self) -> HouseholdFields {
        HouseholdFields {
            code: text(&self.code),
            unit_code: text(&self.unit_code),
            head_name: text(&self.head_name),
            address: text(&self.address),
            phone: text(&self.phone),
            poor: text(&self.poor),
            lost_income: text(&self.lost_income),
        }
    }
}

/// A person as written: raw strings, parsed and checked by the server.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PersonInput {
    #[serde(default)]
    #[schema(value_type = String, example = "2884601-0012")]
    household_code: Raw,
    #[serde(default)]
    #[schema(value_type = String, example = "Trần Thị Bình")]
    full_name: Raw,
    /// A date (YYYY-MM-DD or DD/MM/YYYY) or a year (YYYY).
    #[serde(default)]
    #[schema(value_type = String, example = "07/03/1985")]
    birth: Raw,
    /// nam / nữ / male / female.
    #[serde(default)]
    #[schema(value_type = String, example = "nữ")]
    sex: Raw,
    /// CCCD (12 digits) or CMND (9 digits).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "083185001234")]
    citizen_id: Raw,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    phone: Raw,
    /// head, spouse, child, parent, grandchild, other (or chủ hộ, vợ, con…).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "chủ hộ")]
    relation: Raw,
}

impl PersonInput {
    fn fields(&self) -> PersonFields {
        PersonFields {
            household_code: text(&self.household_code),
            full_name: text(&self.full_name),
            birth: text(&self.birth),
            sex: text(&self.sex),
            citizen_id: text(&self.citizen_id),
            phone: text(&self.phone),
            relation: text(&self.relation),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitDto {
    pub code: String,
    pub parent_code: Option<String>,
    #[schema(example = "commune")]
    pub level: String,
    #[schema(example = "xa")]
    pub kind: String,
    pub name: String,
    pub full_name: String,
    /// Official population, if known.
    pub population: Option<i64>,
    /// Active households in the unit's subtree.
    pub households: i64,
    /// Active people in the unit's subtree.
    pub people: i64,
}

impl UnitDto {
    fn new(u: &Unit, c: UnitCounts) -> UnitDto {
        UnitDto {
            code: u.code.to_string(),
            parent_code: u.parent_code.as_ref().map(ToString::to_string),
            level: u.level.as_str().to_string(),
            kind: u.kind.clone(),
            name: u.name.clone(),
            full_name: u.full_name.clone(),
            population: u.population,
            households: c.households,
            people: c.people,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitRef {
    pub code: String,
    pub name: String,
    pub full_name: String,
    pub level: String,
}

impl From<&Unit> for UnitRef {
    fn from(u: &Unit) -> UnitRef {
        UnitRef {
            code: u.code.to_string(),
            name: u.name.clone(),
            full_name: u.full_name.clone(),
            level: u.level.as_str().to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitList {
    pub items: Vec<UnitDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitDetail {
    #[serde(flatten)]
    pub unit: UnitDto,
    /// Ancestors the caller may see, root first.
    pub ancestors: Vec<UnitRef>,
    /// Children the caller may see, with their figures.
    pub children: Vec<UnitDto>,
    /// Whether households live directly in this unit.
    pub holds_households: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdDto {
    pub id: i64,
    pub code: String,
    pub unit_code: String,
    pub head_name: String,
    pub address: String,
    pub phone: Option<String>,
    pub poor: bool,
    pub lost_income: bool,
    pub active: bool,
    /// Active members.
    pub members: i64,
}

impl From<&Household> for HouseholdDto {
    fn from(h: &Household) -> HouseholdDto {
        HouseholdDto {
            id: h.id,
            code: h.data.code.to_string(),
            unit_code: h.data.unit_code.to_string(),
            head_name: h.data.head_name.to_string(),
            address: h.data.address.clone(),
            phone: h.data.phone.as_ref().map(ToString::to_string),
            poor: h.data.poor,
            lost_income: h.data.lost_income,
            active: h.active,
            members: h.members,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdDetail {
    #[serde(flatten)]
    pub household: HouseholdDto,
    /// All members, inactive ones included.
    pub people: Vec<PersonDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdList {
    pub items: Vec<HouseholdDto>,
    pub offset: i64,
    pub limit: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonDto {
    pub id: i64,
    pub household_id: i64,
    pub household_code: String,
    pub unit_code: String,
    pub full_name: String,
    /// "YYYY-MM-DD", or "YYYY" when only the year is known.
    #[schema(example = "1985-03-07")]
    pub birth: String,
    #[schema(example = "female")]
    pub sex: String,
    pub citizen_id: Option<String>,
    pub phone: Option<String>,
    #[schema(example = "head")]
    pub relation: String,
    pub active: bool,
}

impl From<&Person> for PersonDto {
    fn from(p: &Person) -> PersonDto {
        PersonDto {
            id: p.id,
            household_id: p.household_id,
            household_code: p.data.household_code.to_string(),
            unit_code: p.unit_code.to_string(),
            full_name: p.data.full_name.to_string(),
            birth: p.data.birth.to_string(),
            sex: p.data.sex.as_str().to_string(),
            citizen_id: p.data.citizen_id.as_ref().map(ToString::to_string),
            phone: p.data.phone.as_ref().map(ToString::to_string),
            relation: p.data.relation.as_str().to_string(),
            active: p.active,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonList {
    pub items: Vec<PersonDto>,
    pub offset: i64,
    pub limit: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateDto {
    pub person: PersonDto,
    /// The fields that agree: citizen_id, name, birth, household.
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateList {
    pub items: Vec<DuplicateDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub units: Vec<UnitRef>,
    /// By the head's name or the exact code; only for roles that see personal data.
    pub households: Vec<HouseholdDto>,
    /// Only for roles that see personal data.
    pub people: Vec<PersonDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditDto {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

impl From<AuditEntry> for AuditDto {
    fn from(e: AuditEntry) -> AuditDto {
        let json = |s: Option<String>| {
            s.map(|s| serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s)))
        };
        AuditDto {
            id: e.id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            before: json(e.before),
            after: json(e.after),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub items: Vec<AuditDto>,
    /// Pass as `before` for the next (older) page.
    pub next_before: Option<i64>,
}

// ---------------------------------------------------------------------------------------
// Query parameters

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Search text (diacritics and case ignored), at most 200 characters.
    #[param(max_length = 200)]
    q: Option<String>,
    #[param(value_type = Option<i64>, minimum = 0, maximum = 1_000_000)]
    offset: Option<String>,
    /// 1 to 500, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    limit: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HouseholdParams {
    /// Only households in this unit's subtree.
    unit: Option<String>,
    /// Head's name (diacritics ignored) or exact household code, at most 200 characters.
    #[param(max_length = 200)]
    q: Option<String>,
    #[param(value_type = Option<i64>, minimum = 0, maximum = 1_000_000)]
    offset: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    limit: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleParams {
    /// Only people in this unit's subtree.
    unit: Option<String>,
    /// Only members of this household (id).
    #[param(value_type = Option<i64>)]
    household: Option<String>,
    /// Part of the name (diacritics and case ignored), at most 200 characters.
    #[param(max_length = 200)]
    q: Option<String>,
    /// Include deactivated people (yes/no).
    #[param(value_type = Option<bool>)]
    include_inactive: Option<String>,
    #[param(value_type = Option<i64>, minimum = 0, maximum = 1_000_000)]
    offset: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    limit: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Text to find in unit and people names; diacritics and case are ignored. At most
    /// 200 characters.
    #[param(max_length = 200)]
    q: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Entity kind: household, person, user, unit…
    entity: Option<String>,
    /// Entity id (with `entity`).
    id: Option<String>,
    /// Only entries older than this entry id.
    #[param(value_type = Option<i64>)]
    before: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    limit: Option<String>,
}

fn invalid(field: &str, error: &str) -> AppError {
    AppError::Invalid(vec![FieldProblem {
        field: field.to_string(),
        error: error.to_string(),
    }])
}

pub(crate) fn paging(
    offset: &Option<String>,
    limit: &Option<String>,
) -> Result<(i64, i64), AppError> {
    let offset = match offset.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => 0,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=1_000_000).contains(n))
            .ok_or_else(|| {
                invalid(
                    "offset",
                    "offset must be a whole number from 0 to 1,000,000",
                )
            })?,
    };
    let limit = match limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => 50,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| invalid("limit", "limit must be a whole number from 1 to 500"))?,
    };
    Ok((offset, limit))
}

fn query_text(q: &Option<String>) -> Option<&str> {
    q.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------------------
// Shared checks

/// Refuses a write where the viewer does not write the registry: 404 where it does not
/// even see the unit's people, 403 where it sees them but may not write.
pub(crate) fn check_writes(access: &Access, unit: &Unit) -> Result<(), AppError> {
    if !access.sees_people_in(unit) {
        return Err(AppError::not_found());
    }
    if !access.writes_registry_in(unit) {
        return Err(AppError::Forbidden(
            "this role may not change the registry here",
        ));
    }
    Ok(())
}

/// Maps a store refusal of a household write to the field at fault.
pub(crate) fn household_write_error(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(_) => AppError::Conflict(FieldProblem {
            field: "code".into(),
            error: "this household code is taken".into(),
        }),
        StoreError::Invalid(msg) => invalid("unit_code", &msg),
        other => other.into(),
    }
}

/// Maps a store refusal of a person write to the field at fault. The store's message
/// names the other person, who may be out of the writer's scope: it is not passed on.
pub(crate) fn person_write_error(e: StoreError, has_citizen_id: bool) -> AppError {
    match e {
        StoreError::Conflict(_) => AppError::Conflict(FieldProblem {
            field: if has_citizen_id { "citizen_id" } else { "full_name" }.into(),
            error: "another person has the same citizen ID, or the same name and birth in this household".into(),
        }),
        StoreError::Invalid(msg) => invalid("household_code", &msg),
        other => other.into(),
    }
}

/// Duplicate suggestions the viewer may see: the store looks only inside the viewer's
/// scope, so that namesakes elsewhere neither leak nor crowd out visible ones.
pub(crate) async fn visible_duplicates(
    store: &Store,
    access: &Access,
    person: &Person,
) -> Result<Vec<vx_store::DuplicateSuggestion>, AppError> {
    if !access.role.sees_personal_data() {
        return Ok(Vec::new());
    }
    let within = if access.is_admin() {
        vec!["/".to_string()]
    } else {
        access.scope_paths.clone()
    };
    Ok(store.duplicate_suggestions(person, &within).await?)
}

// ---------------------------------------------------------------------------------------
// Units

/// The caller's top units (its scope; the roots for an admin) with their figures.
#[utoipa::path(get, path = "/api/v1/units", tag = "units",
    responses((status = 200, body = UnitList), (status = 401, body = ErrorBody)))]
async fn list_units(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
) -> Result<Json<UnitList>, ApiError> {
    let units = scope::top_units(&st.store, &v).await?;
    let items = scope::with_counts(&st.store, units)
        .await?
        .iter()
        .map(|(u, c)| UnitDto::new(u, *c))
        .collect();
    Ok(Json(UnitList { items }))
}

/// A unit with its figures and the children the caller may see.
#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "units",
    params(("code" = String, Path, description = "Unit code")),
    responses((status = 200, body = UnitDetail), (status = 404, body = ErrorBody)))]
async fn get_unit(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(code): Path<String>,
) -> Result<Json<UnitDetail>, ApiError> {
    let store = &st.store;
    let unit = scope::seen_unit(store, &v.access, &code).await?;
    let counts = store.counts_under(std::slice::from_ref(&unit)).await?;
    let ancestors = store
        .ancestors(&unit)
        .await?
        .iter()
        .filter(|a| v.access.sees_unit(a))
        .map(UnitRef::from)
        .collect();
    let children = scope::seen_children(store, &v.access, &unit).await?;
    let children = scope::with_counts(store, children)
        .await?
        .iter()
        .map(|(u, c)| UnitDto::new(u, *c))
        .collect();
    let holds_households = scope::holds_households(store, &unit).await?;
    Ok(Json(UnitDetail {
        unit: UnitDto::new(&unit, counts[0]),
        ancestors,
        children,
        holds_households,
    }))
}

/// Households in a unit's subtree (roles that see personal data, inside their scope).
#[utoipa::path(get, path = "/api/v1/units/{code}/households", tag = "registry",
    params(("code" = String, Path, description = "Unit code"), ListParams),
    responses((status = 200, body = HouseholdList), (status = 404, body = ErrorBody),
        (status = 400, description = "Search text longer than 200 characters", body = ErrorBody)))]
async fn unit_households(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(code): Path<String>,
    Query(p): Query<ListParams>,
) -> Result<Json<HouseholdList>, ApiError> {
    let unit = scope::people_unit(&st.store, &v.access, &code).await?;
    let (offset, limit) = paging(&p.offset, &p.limit)?;
    let items = st
        .store
        .households_in(&unit, search_text(p.q.as_deref())?, offset, limit)
        .await?;
    Ok(Json(HouseholdList {
        items: items.iter().map(HouseholdDto::from).collect(),
        offset,
        limit,
    }))
}

/// Active people in a unit's subtree, by name.
#[utoipa::path(get, path = "/api/v1/units/{code}/people", tag = "registry",
    params(("code" = String, Path, description = "Unit code"), ListParams),
    responses((status = 200, body = PersonList), (status = 404, body = ErrorBody),
        (status = 400, description = "Search text longer than 200 characters", body = ErrorBody)))]
async fn unit_people(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(code): Path<String>,
    Query(p): Query<ListParams>,
) -> Result<Json<PersonList>, ApiError> {
    let unit = scope::people_unit(&st.store, &v.access, &code).await?;
    let (offset, limit) = paging(&p.offset, &p.limit)?;
    let items = st
        .store
        .people(&PeopleQuery {
            within: unit.path.clone(),
            name: search_text(p.q.as_deref())?.map(str::to_string),
            household_id: None,
            include_inactive: false,
            offset,
            limit,
        })
        .await?;
    Ok(Json(PersonList {
        items: items.iter().map(PersonDto::from).collect(),
        offset,
        limit,
    }))
}

// ---------------------------------------------------------------------------------------
// Households

/// Households the caller may see, by code.
#[utoipa::path(get, path = "/api/v1/households", tag = "registry", params(HouseholdParams),
    responses((status = 200, body = HouseholdList), (status = 404, body = ErrorBody),
        (status = 400, description = "Search text longer than 200 characters", body = ErrorBody)))]
async fn list_households(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Query(p): Query<HouseholdParams>,
) -> Result<Json<HouseholdList>, ApiError> {
    if !v.access.role.sees_personal_data() {
        return Err(AppError::not_found().into());
    }
    let (offset, limit) = paging(&p.offset, &p.limit)?;
    let roots = match query_text(&p.unit) {
        Some(code) => vec![scope::people_unit(&st.store, &v.access, code).await?],
        None => scope::people_roots(&v),
    };
    let items = scope::households_under(
        &st.store,
        &roots,
        search_text(p.q.as_deref())?,
        offset,
        limit,
    )
    .await?;
    Ok(Json(HouseholdList {
        items: items.iter().map(HouseholdDto::from).collect(),
        offset,
        limit,
    }))
}

/// Registers a household in a unit of the caller's scope.
#[utoipa::path(post, path = "/api/v1/households", tag = "registry", request_body = HouseholdInput,
    responses((status = 201, body = HouseholdDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_household(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    JsonBody(input): JsonBody<HouseholdInput>,
) -> Result<Response, ApiError> {
    if !v.access.role.sees_personal_data() {
        return Err(AppError::not_found().into());
    }
    let new = parse_household(&input.fields()).map_err(|e| AppError::Invalid(problems(&e)))?;
    let unit = scope::people_unit(&st.store, &v.access, new.unit_code.as_str())
        .await
        .map_err(|_| AppError::not_found_field("unit_code"))?;
    check_writes(&v.access, &unit)?;
    let created = st
        .store
        .create_household(&v.user.actor(), &new)
        .await
        .map_err(household_write_error)?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/households/{}", created.id),
        )],
        Json(HouseholdDto::from(&created)),
    )
        .into_response())
}

/// A household with its members.
#[utoipa::path(get, path = "/api/v1/households/{id}", tag = "registry",
    params(("id" = i64, Path, description = "Household id")),
    responses((status = 200, body = HouseholdDetail), (status = 404, body = ErrorBody)))]
async fn get_household(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<HouseholdDetail>, ApiError> {
    let (household, _) = scope::seen_household(&st.store, &v.access, &id).await?;
    let people = household_members(&st.store, &household).await?;
    Ok(Json(HouseholdDetail {
        household: HouseholdDto::from(&household),
        people: people.iter().map(PersonDto::from).collect(),
    }))
}

pub(crate) async fn household_members(
    store: &Store,
    household: &Household,
) -> Result<Vec<Person>, AppError> {
    Ok(store
        .people(&PeopleQuery {
            within: "/".into(),
            name: None,
            household_id: Some(household.id),
            include_inactive: true,
            offset: 0,
            limit: 1000,
        })
        .await?)
}

/// Replaces a household's fields (it may move to another unit of the caller's scope).
#[utoipa::path(put, path = "/api/v1/households/{id}", tag = "registry", request_body = HouseholdInput,
    params(("id" = i64, Path, description = "Household id")),
    responses((status = 200, body = HouseholdDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_household(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<HouseholdInput>,
) -> Result<Json<HouseholdDto>, ApiError> {
    let (household, unit) = scope::seen_household(&st.store, &v.access, &id).await?;
    check_writes(&v.access, &unit)?;
    let new = parse_household(&input.fields()).map_err(|e| AppError::Invalid(problems(&e)))?;
    if new.unit_code != unit.code {
        let target = scope::people_unit(&st.store, &v.access, new.unit_code.as_str())
            .await
            .map_err(|_| AppError::not_found_field("unit_code"))?;
        check_writes(&v.access, &target)?;
    }
    let updated = st
        .store
        .update_household(&v.user.actor(), household.id, &new)
        .await
        .map_err(household_write_error)?;
    Ok(Json(HouseholdDto::from(&updated)))
}

async fn set_household_active(
    st: &AppState,
    v: &crate::auth::Viewer,
    id: &str,
    active: bool,
) -> Result<Json<HouseholdDto>, ApiError> {
    let (household, unit) = scope::seen_household(&st.store, &v.access, id).await?;
    check_writes(&v.access, &unit)?;
    let h = st
        .store
        .set_household_active(&v.user.actor(), household.id, active)
        .await?;
    Ok(Json(HouseholdDto::from(&h)))
}

/// Deactivates a household and its members (nothing is deleted).
#[utoipa::path(post, path = "/api/v1/households/{id}/deactivate", tag = "registry",
    params(("id" = i64, Path, description = "Household id")),
    responses((status = 200, body = HouseholdDto), (status = 404, body = ErrorBody)))]
async fn deactivate_household(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<HouseholdDto>, ApiError> {
    set_household_active(&st, &v, &id, false).await
}

/// Reactivates a household and its members.
#[utoipa::path(post, path = "/api/v1/households/{id}/activate", tag = "registry",
    params(("id" = i64, Path, description = "Household id")),
    responses((status = 200, body = HouseholdDto), (status = 404, body = ErrorBody)))]
async fn activate_household(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<HouseholdDto>, ApiError> {
    set_household_active(&st, &v, &id, true).await
}

// ---------------------------------------------------------------------------------------
// People

/// People the caller may see, by name.
#[utoipa::path(get, path = "/api/v1/people", tag = "registry", params(PeopleParams),
    responses((status = 200, body = PersonList), (status = 404, body = ErrorBody),
        (status = 400, description = "Search text longer than 200 characters", body = ErrorBody)))]
async fn list_people(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Query(p): Query<PeopleParams>,
) -> Result<Json<PersonList>, ApiError> {
    if !v.access.role.sees_personal_data() {
        return Err(AppError::not_found().into());
    }
    let (offset, limit) = paging(&p.offset, &p.limit)?;
    let include_inactive = match query_text(&p.include_inactive) {
        None => false,
        Some(s) => vx_domain::parse_flag(s)
            .ok_or_else(|| invalid("include_inactive", "include_inactive must be yes or no"))?,
    };
    let mut roots = match query_text(&p.unit) {
        Some(code) => vec![scope::people_unit(&st.store, &v.access, code).await?],
        None => scope::people_roots(&v),
    };
    let household_id = match query_text(&p.household) {
        None => None,
        Some(id) => {
            let (household, unit) = scope::seen_household(&st.store, &v.access, id)
                .await
                .map_err(|_| AppError::not_found_field("household"))?;
            roots = vec![unit];
            Some(household.id)
        }
    };
    let items = scope::people_under(
        &st.store,
        &roots,
        PeopleQuery {
            within: String::new(),
            name: search_text(p.q.as_deref())?.map(str::to_string),
            household_id,
            include_inactive,
            offset,
            limit,
        },
    )
    .await?;
    Ok(Json(PersonList {
        items: items.iter().map(PersonDto::from).collect(),
        offset,
        limit,
    }))
}

/// Registers a person in a household of the caller's scope.
#[utoipa::path(post, path = "/api/v1/people", tag = "registry", request_body = PersonInput,
    responses((status = 201, body = PersonDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_person(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    JsonBody(input): JsonBody<PersonInput>,
) -> Result<Response, ApiError> {
    if !v.access.role.sees_personal_data() {
        return Err(AppError::not_found().into());
    }
    let today = vx_domain::vn_date(Utc::now());
    let new = parse_person(&input.fields(), today).map_err(|e| AppError::Invalid(problems(&e)))?;
    let (_, unit) =
        scope::seen_household_by_code(&st.store, &v.access, new.household_code.as_str())
            .await
            .map_err(|_| AppError::not_found_field("household_code"))?;
    check_writes(&v.access, &unit)?;
    let created = st
        .store
        .create_person(&v.user.actor(), &new)
        .await
        .map_err(|e| person_write_error(e, new.citizen_id.is_some()))?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/people/{}", created.id))],
        Json(PersonDto::from(&created)),
    )
        .into_response())
}

/// A person.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "registry",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = PersonDto), (status = 404, body = ErrorBody)))]
async fn get_person(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<PersonDto>, ApiError> {
    let (person, _) = scope::seen_person(&st.store, &v.access, &id).await?;
    Ok(Json(PersonDto::from(&person)))
}

/// Replaces a person's fields (it may move to another household of the caller's scope).
#[utoipa::path(put, path = "/api/v1/people/{id}", tag = "registry", request_body = PersonInput,
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = PersonDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_person(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<PersonInput>,
) -> Result<Json<PersonDto>, ApiError> {
    let (person, unit) = scope::seen_person(&st.store, &v.access, &id).await?;
    check_writes(&v.access, &unit)?;
    let today = vx_domain::vn_date(Utc::now());
    let new = parse_person(&input.fields(), today).map_err(|e| AppError::Invalid(problems(&e)))?;
    if new.household_code != person.data.household_code {
        let (_, target) =
            scope::seen_household_by_code(&st.store, &v.access, new.household_code.as_str())
                .await
                .map_err(|_| AppError::not_found_field("household_code"))?;
        check_writes(&v.access, &target)?;
    }
    let updated = st
        .store
        .update_person(&v.user.actor(), person.id, &new)
        .await
        .map_err(|e| person_write_error(e, new.citizen_id.is_some()))?;
    Ok(Json(PersonDto::from(&updated)))
}

async fn set_person_active(
    st: &AppState,
    v: &crate::auth::Viewer,
    id: &str,
    active: bool,
) -> Result<Json<PersonDto>, ApiError> {
    let (person, unit) = scope::seen_person(&st.store, &v.access, id).await?;
    check_writes(&v.access, &unit)?;
    let p = st
        .store
        .set_person_active(&v.user.actor(), person.id, active)
        .await?;
    Ok(Json(PersonDto::from(&p)))
}

/// Deactivates a person (nothing is deleted).
#[utoipa::path(post, path = "/api/v1/people/{id}/deactivate", tag = "registry",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = PersonDto), (status = 404, body = ErrorBody)))]
async fn deactivate_person(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<PersonDto>, ApiError> {
    set_person_active(&st, &v, &id, false).await
}

/// Reactivates a person.
#[utoipa::path(post, path = "/api/v1/people/{id}/activate", tag = "registry",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = PersonDto), (status = 404, body = ErrorBody)))]
async fn activate_person(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<PersonDto>, ApiError> {
    set_person_active(&st, &v, &id, true).await
}

/// Other people who may be the same person, with the fields that agree (only people the
/// caller may see).
#[utoipa::path(get, path = "/api/v1/people/{id}/duplicates", tag = "registry",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = DuplicateList), (status = 404, body = ErrorBody)))]
async fn person_duplicates(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<DuplicateList>, ApiError> {
    let (person, _) = scope::seen_person(&st.store, &v.access, &id).await?;
    let items = visible_duplicates(&st.store, &v.access, &person)
        .await?
        .iter()
        .map(|d| DuplicateDto {
            person: PersonDto::from(&d.person),
            reasons: d.reasons.iter().map(|r| r.to_string()).collect(),
        })
        .collect();
    Ok(Json(DuplicateList { items }))
}

// ---------------------------------------------------------------------------------------
// Search and audit

/// Units the caller sees and, for roles that see personal data, households and people;
/// diacritics and case are ignored ("phuoc thanh" finds "Phước Thạnh").
#[utoipa::path(get, path = "/api/v1/search", tag = "units", params(SearchParams),
    responses((status = 200, body = SearchResults), (status = 400, description = "Search text longer than 200 characters", body = ErrorBody)))]
async fn search(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Query(p): Query<SearchParams>,
) -> Result<Json<SearchResults>, ApiError> {
    let q = search_text(p.q.as_deref())?.unwrap_or("");
    let found = scope::search(&st.store, &v, q).await?;
    Ok(Json(SearchResults {
        units: found.units.iter().map(UnitRef::from).collect(),
        households: found.households.iter().map(HouseholdDto::from).collect(),
        people: found.people.iter().map(PersonDto::from).collect(),
    }))
}

/// The audit log, newest first (administrators only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", params(AuditParams),
    responses((status = 200, body = AuditList), (status = 404, body = ErrorBody)))]
async fn audit(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Query(p): Query<AuditParams>,
) -> Result<Json<AuditList>, ApiError> {
    if !v.access.is_admin() {
        return Err(AppError::not_found().into());
    }
    let (_, limit) = paging(&None, &p.limit)?;
    let before = match query_text(&p.before) {
        None => None,
        Some(s) => Some(
            s.parse::<i64>()
                .map_err(|_| invalid("before", "before must be an entry id"))?,
        ),
    };
    let entity = query_text(&p.entity);
    let id = query_text(&p.id);
    if entity.is_some() != id.is_some() {
        return Err(invalid(
            if entity.is_some() { "id" } else { "entity" },
            "entity and id go together",
        )
        .into());
    }
    let entries = st.store.audit_log(entity.zip(id), before, limit).await?;
    let next_before = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok(Json(AuditList {
        items: entries.into_iter().map(AuditDto::from).collect(),
        next_before,
    }))
}
