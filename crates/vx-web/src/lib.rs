//! vx-web: the only crate that knows HTTP.
//!
//! - `/healthz`: 200 "ok" when the store answers, 503 otherwise.
//! - `/api/v1/…`: the JSON API ([`api`]), described by `/api/v1/openapi.json`.
//! - Server-rendered pages ([`pages`]), Vietnamese first, English by `?lang=en`; no
//!   JavaScript, nothing loaded from outside the binary.
//!
//! The server is stateless: sessions, CSRF tokens and failed logins live in the store, so
//! any number of servers may share one PostgreSQL database. Scope is decided in one place
//! ([`scope`]): anything outside a viewer's scope, or deeper than its role may see, answers
//! 404 so that existence does not leak.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::CookieJar;
use tower_http::trace::TraceLayer;
use vx_store::Store;

mod api;
mod auth;
mod cache;
mod dhis2_push;
mod duplicates;
mod epi;
mod error;
mod exchange;
mod fhir;
mod field;
mod i18n;
mod identity;
mod input;
mod limit;
mod openapi;
mod ops;
mod pages;
mod progress;
mod scope;
mod situation;
mod state;
mod viewer;
mod zones;

pub use api::ApiDoc;
pub use auth::{hash_password, new_api_token, parse_proxy, sha256_hex, IpNet};
pub use cache::Metrics;
pub use dhis2_push::{
    parse_dhis2_server, push_dhis2, Dhis2Credentials, PushError, PushReport, Url,
};
pub use field::SYNCS_PER_MINUTE;
pub use i18n::Lang;
pub use situation::report::{daily_report, neutralise, DailyReport};
pub use state::WebConfig;
use state::{AppState, CSS, LANG_COOKIE};

/// The whole application: health, API, pages, assets, and the layers around them.
pub fn router(store: Store, config: WebConfig) -> Router {
    let cache = Arc::new(cache::Cache::new(config.metrics.clone()));
    let state = AppState {
        store,
        config: Arc::new(config),
        cache,
        uploads: progress::Uploads::default(),
        sync_limit: Arc::new(limit::PerUser::new(
            field::SYNCS_PER_MINUTE,
            std::time::Duration::from_secs(60),
        )),
    };
    Router::new()
        .merge(openapi::routes())
        .route("/assets/app.css", get(stylesheet))
        .route("/assets/upload.js", get(upload_script))
        .merge(api::routes())
        .merge(pages::routes())
        .merge(epi::routes())
        .merge(identity::routes())
        .merge(zones::routes())
        .merge(ops::routes())
        .merge(situation::routes())
        .merge(exchange::routes())
        .merge(fhir::routes())
        .merge(duplicates::routes())
        .merge(field::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), finish))
        .layer(DefaultBodyLimit::max(256 * 1024))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Store,
    config: WebConfig,
) -> std::io::Result<()> {
    let app = router(store, config);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        CSS,
    )
        .into_response()
}

async fn upload_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        state::UPLOAD_JS,
    )
        .into_response()
}

async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        error::ApiError(error::AppError::not_found()).into_response()
    } else {
        error::PageError(error::AppError::not_found()).into_response()
    }
}

/// Around every request: picks the language (`?lang=` remembered in a cookie), draws HTML
/// error pages in it, and adds the security headers.
async fn finish(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let chosen = req.uri().query().and_then(|q| {
        q.split('&')
            .filter_map(|pair| pair.strip_prefix("lang="))
            .find_map(Lang::parse)
    });
    let lang = chosen
        .or_else(|| {
            CookieJar::from_headers(req.headers())
                .get(LANG_COOKIE)
                .and_then(|c| Lang::parse(c.value()))
        })
        .unwrap_or_default();
    req.extensions_mut().insert(lang);
    req.extensions_mut().insert(pages::AsOf(st.config.as_of));
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let is_api = path.starts_with("/api/");

    let mut res = match auth::same_origin(req.method(), req.headers()) {
        Ok(()) => next.run(req).await,
        Err(why) if is_api => error::ApiError(error::AppError::Forbidden(why)).into_response(),
        Err(why) => {
            tracing::warn!(%path, why, "write from another site refused");
            error::PageError(error::AppError::Forbidden(why)).into_response()
        }
    };

    if is_api && (res.status().is_client_error() || res.status().is_server_error()) {
        res = error::json_error(res).await;
    }
    if res.extensions().get::<error::ErrorPage>().is_some() {
        let status = res.status();
        let ctx = pages::Ctx::new(lang, &path, &query).with_as_of(st.config.as_of);
        let page = pages::error_page(&ctx, status);
        let mut drawn = (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page.into_string(),
        )
            .into_response();
        for value in res.headers().get_all(header::SET_COOKIE) {
            drawn
                .headers_mut()
                .append(header::SET_COOKIE, value.clone());
        }
        res = drawn;
    }
    let headers = res.headers_mut();
    if let (Some(l), false) = (chosen, is_api) {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{}",
            l.code(),
            if st.config.secure_cookies {
                "; Secure"
            } else {
                ""
            }
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, v);
        }
    }
    let set = |headers: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        "content-security-policy",
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    );
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "same-origin");
    set(headers, "x-frame-options", "DENY");
    if st.config.secure_cookies {
        // Served over HTTPS (directly or behind a proxy): browsers keep to it for a year.
        set(headers, "strict-transport-security", "max-age=31536000");
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, "cache-control", "no-store");
    }
    if !is_api && !headers.contains_key(header::VARY) {
        set(headers, "vary", "Cookie");
    }
    res
}
