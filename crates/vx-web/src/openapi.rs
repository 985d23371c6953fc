//! The description of the API and the meta routes: `/api/v1/openapi.json` (assembled from
//! every feature's document, with the errors of the edge added to every operation) and
//! `/healthz`. The top floor of the API: it imports the features, none imports it.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/openapi.json", get(openapi_json))
}

#[derive(OpenApi)]
#[openapi(paths(openapi_json, healthz))]
struct MetaDoc;

/// The OpenAPI document, built once.
pub fn openapi_document() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = crate::api::ApiDoc::openapi();
        doc.merge(MetaDoc::openapi());
        doc.merge(crate::epi::openapi());
        doc.merge(crate::zones::openapi());
        doc.merge(crate::ops::openapi());
        doc.merge(<crate::exchange::ExchangeApiDoc as OpenApi>::openapi());
        doc.merge(<crate::fhir::FhirApiDoc as OpenApi>::openapi());
        doc.merge(crate::field::openapi());
        let mut doc = serde_json::to_value(&doc).expect("the OpenAPI document serialises");
        complete_errors(&mut doc);
        raw_inputs(&mut doc);
        serde_json::to_string_pretty(&doc).expect("the OpenAPI document serialises")
    })
}

/// The registry's inputs read every field as text: a JSON string, or a number or boolean
/// written as one (`0912345678` typed as a number keeps its digits). Their schemas say so,
/// and which fields are required.
fn raw_inputs(doc: &mut serde_json::Value) {
    for (name, required) in [
        ("HouseholdInput", &["code", "unit_code", "head_name"][..]),
        (
            "PersonInput",
            &["household_code", "full_name", "birth", "sex"][..],
        ),
    ] {
        let schema = &mut doc["components"]["schemas"][name];
        if let Some(props) = schema["properties"].as_object_mut() {
            for (field, prop) in props.iter_mut() {
                let types = if required.contains(&field.as_str()) {
                    serde_json::json!(["string", "number", "boolean"])
                } else {
                    serde_json::json!(["string", "number", "boolean", "null"])
                };
                if let Some(prop) = prop.as_object_mut() {
                    prop.remove("oneOf");
                    prop.insert("type".into(), types);
                }
            }
        }
        schema["required"] = serde_json::json!(required);
    }
}

/// Documents on every operation the errors that come from the edge rather than from the
/// handler, each with the JSON error body: 400 (a malformed query, path or body), 401 (no
/// credential), 403 (a write without its CSRF token or from another site), 404 (an unknown
/// or unseen path item), 413 and 415 (a body too large or not of the operation's type) and
/// 422 (a field that does not parse). What a handler answers itself is documented on it.
fn complete_errors(doc: &mut serde_json::Value) {
    let error = |description: &str| {
        serde_json::json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        })
    };
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            let public = op
                .get("security")
                .and_then(|s| s.as_array())
                .is_some_and(|s| {
                    s.iter()
                        .any(|r| r.as_object().is_some_and(|r| r.is_empty()))
                });
            let params = op
                .get("parameters")
                .and_then(|p| p.as_array())
                .cloned()
                .unwrap_or_default();
            let in_path = params.iter().any(|p| p["in"] == "path");
            let body = op.contains_key("requestBody");
            let responses = op
                .entry("responses")
                .or_insert_with(|| serde_json::json!({}))
                .as_object_mut()
                .expect("responses are an object");
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| error(description));
            };
            if !params.is_empty() || body {
                add("400", "A malformed query, path or body");
                add("422", "A field that does not parse");
            }
            if !public {
                add("401", "No credential, or one that is no longer valid");
                if method != "get" {
                    add(
                        "403",
                        "A write without its CSRF token, from another site, or beyond the role",
                    );
                }
            }
            if in_path {
                add("404", "No such item, or not the caller's");
            }
            if body {
                add("413", "A body over the operation's limit");
                add("415", "A body not of the operation's type");
            }
        }
    }
}

/// This API's OpenAPI 3.1 description.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "OpenAPI document", content_type = "application/json")))]
async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi_document(),
    )
        .into_response()
}

/// Liveness and readiness: "ok" when the store answers a ping.
#[utoipa::path(get, path = "/healthz", tag = "meta", security(()),
    responses((status = 200, description = "The store answers", body = String),
        (status = 503, description = "The store does not answer", body = String)))]
pub(crate) async fn healthz(State(st): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(3), st.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ok").into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: store error");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response()
        }
        Err(_) => {
            tracing::warn!("health check: store timed out");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response()
        }
    }
}
