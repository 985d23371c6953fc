//! Zone status: levels with reasons, measures, lifecycle, targets (issue 4).

use axum::Router;

use crate::AppState;

/// The routes of this part; merged into the application by `crate::router`. No fallback here.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
}

/// This part's OpenAPI paths and schemas, merged into `/api/v1/openapi.json`.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    utoipa::openapi::OpenApiBuilder::new().build()
}
