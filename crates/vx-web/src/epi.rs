//! Screening, samples, results, cases and contacts: API and pages (issue 3).

use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

pub(crate) mod api;
mod pages;
mod review;

/// The routes of this part; merged into the application by `crate::router`. No fallback here.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .merge(review::routes())
}

/// This part's OpenAPI paths and schemas, merged into `/api/v1/openapi.json`.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    api::EpiApiDoc::openapi()
}
