//! Errors of both faces: JSON for the API, a status that the page layer dresses in HTML.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use vx_store::StoreError;

/// What went wrong, before it is dressed for the API or for a page.
#[derive(Debug)]
pub enum AppError {
    /// Absent, out of scope, or deeper than the role may see: all look the same.
    NotFound {
        field: Option<&'static str>,
    },
    Unauthorized,
    Forbidden(&'static str),
    /// A field that does not parse. `errors` holds every field at fault.
    Invalid(Vec<FieldProblem>),
    Conflict(FieldProblem),
    BadRequest(String),
    /// More than a request may carry (rows, bytes): split it.
    TooLarge(String),
    /// A body of a type the operation does not take.
    UnsupportedType(String),
    /// More requests than a user may make in a while: try again after `retry_after` seconds.
    TooMany {
        why: String,
        retry_after: u64,
    },
    Internal(String),
}

/// One field at fault, in English (the API's language).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub error: String,
}

impl AppError {
    pub fn not_found() -> AppError {
        AppError::NotFound { field: None }
    }
    pub fn not_found_field(field: &'static str) -> AppError {
        AppError::NotFound { field: Some(field) }
    }
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::NotFound(_) => AppError::not_found(),
            // Callers that know which field a conflict or a refusal is about map it
            // themselves; these are the leftovers.
            StoreError::Conflict(msg) => AppError::Conflict(FieldProblem {
                field: String::new(),
                error: msg,
            }),
            StoreError::Invalid(msg) => AppError::BadRequest(msg),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// The JSON error body: `{error, field}`; `errors` lists every field at fault.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// An [`AppError`] answered as JSON.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let retry_after = match &self.0 {
            AppError::TooMany { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let body = match self.0 {
            AppError::NotFound { field } => ErrorBody {
                error: "not found".into(),
                field: field.map(str::to_string),
                errors: vec![],
            },
            AppError::Unauthorized => ErrorBody {
                error: "authentication required: a bearer API token or a session cookie".into(),
                field: None,
                errors: vec![],
            },
            AppError::Forbidden(why) => ErrorBody {
                error: why.into(),
                field: None,
                errors: vec![],
            },
            AppError::Invalid(problems) => {
                let first = problems.first().cloned().unwrap_or(FieldProblem {
                    field: String::new(),
                    error: "invalid".into(),
                });
                ErrorBody {
                    error: first.error,
                    field: Some(first.field),
                    errors: problems,
                }
            }
            AppError::Conflict(p) => ErrorBody {
                error: p.error,
                field: (!p.field.is_empty()).then_some(p.field),
                errors: vec![],
            },
            AppError::BadRequest(msg)
            | AppError::TooLarge(msg)
            | AppError::UnsupportedType(msg)
            | AppError::TooMany { why: msg, .. } => ErrorBody {
                error: msg,
                field: None,
                errors: vec![],
            },
            AppError::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                ErrorBody {
                    error: "internal error".into(),
                    field: None,
                    errors: vec![],
                }
            }
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// Marks a response whose body the page layer replaces with an HTML error page in the
/// user's language.
#[derive(Debug, Clone, Copy)]
pub struct ErrorPage;

/// An [`AppError`] answered as an HTML page (rendered by the outer middleware, which knows
/// the language).
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> PageError {
        PageError(e.into())
    }
}

/// What a page handler answers.
pub(crate) type PageResult = Result<Response, PageError>;

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let AppError::Internal(msg) = &self.0 {
            tracing::error!(error = %msg, "internal error");
        }
        let mut response = self.0.status().into_response();
        response.extensions_mut().insert(ErrorPage);
        response
    }
}

/// An API error answered by something other than a handler (an extractor's rejection: a
/// malformed query, path or body, a wrong content type, a body over its limit; an unknown
/// method) in plain text, turned into the API's JSON error body with the same status and
/// headers. A JSON answer passes unchanged.
pub(crate) async fn json_error(res: Response) -> Response {
    let is_json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/json") || v.starts_with("application/fhir+json")
        });
    if is_json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let error = if text.is_empty() {
        parts
            .status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
    } else {
        text
    };
    let body = serde_json::to_vec(&ErrorBody {
        error,
        field: None,
        errors: vec![],
    })
    .expect("an error body serialises");
    parts.headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}
