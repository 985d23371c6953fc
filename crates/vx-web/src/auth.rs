//! Passwords, session cookies, API tokens, CSRF tokens and failed-login limits.
//!
//! Nothing here lives in process memory: a session is a random token in a cookie whose
//! SHA-256 is stored with its CSRF token; failed logins are rows in the store. Any number
//! of servers sharing one database answer any request.

use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum_extra::extract::cookie::CookieJar;
use base64::Engine;
use chrono::{DateTime, Utc};
pub use ipnet::IpNet;
use rand::RngCore;
use sha2::{Digest, Sha256};
use vx_domain::fold;
use vx_store::User;

use crate::error::{ApiError, AppError, PageError};
use crate::state::AppState;
pub use crate::viewer::{same_secret, Credential, Viewer};

pub const SESSION_COOKIE: &str = "vx_session";
/// The login form's CSRF token before there is a session (double-submit cookie).
pub const LOGIN_CSRF_COOKIE: &str = "vx_login";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Failed sign-ins are slowed down, never locked out: after [`PAIR_FREE`] failures of one
/// username from one address (or [`ADDRESS_FREE`] failures of any usernames from one
/// address) within [`WINDOW_MINUTES`], each further attempt waits twice as long after the
/// last failure as the one before (1 s, 2 s, 4 s, … up to [`MAX_WAIT_SECS`]). Keyed on the
/// pair, so that nobody can lock another person out by typing wrong passwords for their
/// username from elsewhere, and nobody behind the same proxy (see `serve --trust-proxy`)
/// shares anybody's count.
pub const PAIR_FREE: i64 = 5;
pub const ADDRESS_FREE: i64 = 30;
pub const WINDOW_MINUTES: i64 = 60;
pub const MAX_WAIT_SECS: i64 = 15 * 60;

/// The wait after the last failure once `failures` failures were counted against a key
/// that allows `free` of them.
pub fn backoff_secs(failures: i64, free: i64) -> i64 {
    if failures < free {
        0
    } else {
        (1i64 << (failures - free).min(20)).min(MAX_WAIT_SECS)
    }
}

/// Rate-limit keys of a login attempt: the (address, folded username) pair, then the
/// address alone; each with the failures it allows before slowing down.
pub fn failure_keys(username: &str, ip: &str) -> [(String, i64); 2] {
    [
        (format!("login:pair:{ip}|{}", fold(username)), PAIR_FREE),
        (format!("login:ip:{ip}"), ADDRESS_FREE),
    ]
}

/// Whole seconds to wait before this attempt may be checked; 0: now.
pub(crate) async fn login_wait(
    store: &vx_store::Store,
    keys: &[(String, i64)],
) -> Result<i64, vx_store::StoreError> {
    let now = Utc::now();
    let since = now - chrono::Duration::minutes(WINDOW_MINUTES);
    let mut wait = 0;
    for (key, free) in keys {
        let (failures, last) = store.login_failures_since(key, since).await?;
        if let Some(last) = last {
            let until = last + chrono::Duration::seconds(backoff_secs(failures, *free));
            let ms = (until - now).num_milliseconds();
            if ms > 0 {
                wait = wait.max((ms + 999) / 1000);
            }
        }
    }
    Ok(wait)
}

/// Hashes a password with argon2id (default parameters) into a PHC string.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

/// Whether `password` matches a PHC hash. A malformed hash matches nothing.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of one verification, so that an unknown username answers as slowly as
/// a wrong password.
pub fn burn_verification(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash_password("vungxanh-dummy-password"));
    let _ = verify_password(password, phc);
}

/// 32 random bytes, URL-safe base64 without padding.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a secret, lowercase hex: what the store keeps of sessions and API tokens.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new API token: the secret to show once (`vx_…`) and the SHA-256 hex to store.
pub fn new_api_token() -> (String, String) {
    let secret = format!("vx_{}", random_token());
    let hash = sha256_hex(&secret);
    (secret, hash)
}

pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    cookie_header(SESSION_COOKIE, token, max_age_secs, secure)
}

pub fn cookie_header(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// A cookie that tells the browser to forget `name`.
pub fn expired_cookie(name: &str, secure: bool) -> String {
    cookie_header(name, "", 0, secure)
}

/// Whether an address is one of the trusted reverse proxies.
fn trusted(proxies: &[IpNet], ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    proxies.iter().any(|net| net.contains(&ip))
}

/// The client's address: the peer of the TCP connection; or, when the peer is a trusted
/// reverse proxy (`serve --trust-proxy CIDR`), the address that proxy saw: the last entry
/// of `X-Forwarded-For` that is not itself a trusted proxy. Entries further left are the
/// client's to invent and are never read; from any other peer the header is ignored.
pub fn client_ip(parts: &Parts, proxies: &[IpNet]) -> String {
    let Some(peer) = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_canonical())
    else {
        return "unknown".to_string();
    };
    if !trusted(proxies, peer) {
        return peer.to_string();
    }
    let entries: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for entry in entries.iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(ip) if trusted(proxies, ip) => continue,
            Ok(ip) => return ip.to_canonical().to_string(),
            Err(_) => break,
        }
    }
    peer.to_string()
}

/// Parses `--trust-proxy`: a network (`10.0.0.0/8`) or one address (`10.0.0.5`).
pub fn parse_proxy(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{s:?} is neither an address nor a network (CIDR, e.g. 10.0.0.0/8)"))
}

fn viewer_from(user: User, credential: Credential) -> Viewer {
    Viewer {
        access: user.access(),
        user,
        credential,
        data_version: 0,
    }
}

/// The user behind the session cookie, if any (from memory while the data version stands).
pub(crate) async fn from_session(
    st: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Option<Viewer>, AppError> {
    let store = &st.store;
    let jar = CookieJar::from_headers(headers);
    let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let token_hash = sha256_hex(&token);
    st.cache
        .viewer(store, format!("s:{token_hash}"), || async {
            Ok(store.session(&token_hash).await?.map(|s| {
                let expires_at = s.expires_at;
                let v = viewer_from(
                    s.user,
                    Credential::Session {
                        csrf: s.csrf,
                        token_hash: token_hash.clone(),
                    },
                );
                (v, expires_at)
            }))
        })
        .await
}

/// The user behind an `Authorization: Bearer` token. `Err(())` inside: a bearer header
/// was sent but names no live token (no fallback to the cookie then).
async fn from_bearer(st: &AppState, parts: &Parts) -> Result<Option<Result<Viewer, ()>>, AppError> {
    let store = &st.store;
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let Some(secret) = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
    else {
        return Ok(Some(Err(())));
    };
    if secret.is_empty() || secret.len() > 200 {
        return Ok(Some(Err(())));
    }
    let hash = sha256_hex(secret);
    let viewer = st
        .cache
        .viewer(store, format!("t:{hash}"), || async {
            // API tokens do not expire; they are revoked (an audited write).
            Ok(store
                .user_by_api_token(&hash)
                .await?
                .map(|u| (viewer_from(u, Credential::Token), DateTime::<Utc>::MAX_UTC)))
        })
        .await?;
    Ok(Some(viewer.ok_or(())))
}

/// The signed-in user of an API request: bearer token or session cookie. Writes through a
/// session cookie must carry the session's CSRF token in `X-CSRF-Token`.
pub struct ApiViewer(pub Viewer);

impl FromRequestParts<AppState> for ApiViewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let viewer = match from_bearer(state, parts).await? {
            Some(Ok(v)) => v,
            Some(Err(())) => return Err(AppError::Unauthorized.into()),
            None => from_session(state, &parts.headers)
                .await?
                .ok_or(AppError::Unauthorized)?,
        };
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let submitted = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !viewer.csrf_ok(submitted) {
                return Err(AppError::Forbidden(
                    "writes with a session cookie need the session's CSRF token in X-CSRF-Token",
                )
                .into());
            }
        }
        Ok(ApiViewer(viewer))
    }
}

/// The signed-in user of a page (session cookie only). Without one, the page redirects to
/// the login form, which comes back here afterwards.
pub struct PageViewer(pub Viewer);

pub struct ToLogin(String);

impl axum::response::IntoResponse for ToLogin {
    fn into_response(self) -> axum::response::Response {
        axum::response::Redirect::to(&self.0).into_response()
    }
}

impl FromRequestParts<AppState> for PageViewer {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, axum::response::Response> {
        use axum::response::IntoResponse;
        match from_session(state, &parts.headers).await {
            Ok(Some(v)) => Ok(PageViewer(v)),
            Ok(None) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|pq| pq.as_str())
                    .unwrap_or("/");
                let target = if parts.method == Method::GET && next != "/" {
                    format!("/login?next={}", crate::input::enc(next))
                } else {
                    "/login".to_string()
                };
                Err(ToLogin(target).into_response())
            }
            Err(e) => Err(PageError(e).into_response()),
        }
    }
}

/// Whether a state-changing request may come from where the browser says it comes from,
/// in addition to its CSRF token: a browser names the request's site in `Sec-Fetch-Site`
/// (only `same-origin` and `none`, typed by the user, pass) or, older ones, its origin in
/// `Origin` (it must be this server's `Host`). A request with neither is not a browser's
/// (a script, a laboratory's system) and needs its token or CSRF token as before; so does
/// one with a bearer token, which a browser never adds by itself.
pub fn same_origin(method: &Method, headers: &axum::http::HeaderMap) -> Result<(), &'static str> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || headers.contains_key(header::AUTHORIZATION)
    {
        return Ok(());
    }
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("\u{0}"));
    if let Some(site) = text("sec-fetch-site") {
        return match site.trim() {
            "same-origin" | "none" => Ok(()),
            _ => Err("a write must come from this site's own pages (Sec-Fetch-Site)"),
        };
    }
    if let Some(origin) = text("origin") {
        let host = text("host").unwrap_or("");
        let origin_host = origin
            .split_once("://")
            .map(|(_, rest)| rest.trim_end_matches('/'))
            .unwrap_or("");
        if origin_host.is_empty() || !origin_host.eq_ignore_ascii_case(host.trim()) {
            return Err("a write must come from this site's own pages (Origin)");
        }
    }
    Ok(())
}

/// Only same-site paths may follow a login ("/units/83", not "//evil.example").
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_secrets() {
        let (secret, hash) = new_api_token();
        assert!(secret.starts_with("vx_"));
        assert_eq!(hash, sha256_hex(&secret));
        assert_eq!(hash.len(), 64);
        assert_ne!(random_token(), random_token());
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }

    #[test]
    fn passwords() {
        let phc = hash_password("mật khẩu");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu", &phc));
        assert!(!verify_password("mat khau", &phc));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn backoff_doubles_then_stops_at_the_cap() {
        let waits: Vec<i64> = (3..=8).map(|n| backoff_secs(n, 5)).collect();
        assert_eq!(waits, [0, 0, 1, 2, 4, 8]);
        assert_eq!(backoff_secs(40, 5), MAX_WAIT_SECS);
        assert_eq!(backoff_secs(1_000_000, 5), MAX_WAIT_SECS);
    }

    #[test]
    fn the_client_address_comes_from_a_trusted_proxy_only() {
        let check = |peer: &str, forwarded: &[&str], proxies: &[&str], expected: &str| {
            let mut req = axum::http::Request::builder().uri("/login");
            for f in forwarded {
                req = req.header("x-forwarded-for", *f);
            }
            let (mut parts, ()) = req.body(()).unwrap().into_parts();
            parts
                .extensions
                .insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 4242)));
            let proxies: Vec<IpNet> = proxies.iter().map(|p| parse_proxy(p).unwrap()).collect();
            assert_eq!(
                client_ip(&parts, &proxies),
                expected,
                "{peer} {forwarded:?} {proxies:?}"
            );
        };
        // No trusted proxy: the header is anybody's to write.
        check("203.0.113.9", &["198.51.100.1"], &[], "203.0.113.9");
        // From the proxy: the entry it appended.
        check(
            "10.0.0.2",
            &["198.51.100.1"],
            &["10.0.0.0/8"],
            "198.51.100.1",
        );
        // A client's invented entries sit left of the proxy's, and are not read.
        check(
            "10.0.0.2",
            &["1.2.3.4, 198.51.100.1"],
            &["10.0.0.0/8"],
            "198.51.100.1",
        );
        // Two proxies in a row: skip the trusted ones.
        check(
            "10.0.0.2",
            &["1.2.3.4", "198.51.100.1, 10.0.0.7"],
            &["10.0.0.2"],
            "10.0.0.7",
        );
        check(
            "10.0.0.2",
            &["198.51.100.1, 10.0.0.7"],
            &["10.0.0.0/8"],
            "198.51.100.1",
        );
        // A peer outside the proxies' network.
        check("192.0.2.1", &["198.51.100.1"], &["10.0.0.0/8"], "192.0.2.1");
        // Nothing usable: the proxy itself.
        check("10.0.0.2", &["garbage"], &["10.0.0.0/8"], "10.0.0.2");
        check(
            "::ffff:10.0.0.2",
            &["2001:db8::1"],
            &["10.0.0.0/8"],
            "2001:db8::1",
        );
        assert!(parse_proxy("10.0.0.0/33").is_err());
        assert!(parse_proxy("proxy").is_err());
    }

    #[test]
    fn writes_from_other_sites_are_refused() {
        let check = |method: Method, headers: &[(&str, &str)], ok: bool| {
            let mut map = axum::http::HeaderMap::new();
            for (k, v) in headers {
                map.insert(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            assert_eq!(
                same_origin(&method, &map).is_ok(),
                ok,
                "{method} {headers:?}"
            );
        };
        let host = ("host", "vungxanh.example:8080");
        check(Method::POST, &[host], true);
        check(
            Method::POST,
            &[host, ("sec-fetch-site", "same-origin")],
            true,
        );
        check(Method::POST, &[host, ("sec-fetch-site", "none")], true);
        check(
            Method::POST,
            &[host, ("sec-fetch-site", "cross-site")],
            false,
        );
        check(
            Method::POST,
            &[host, ("sec-fetch-site", "same-site")],
            false,
        );
        check(
            Method::POST,
            &[host, ("origin", "https://vungxanh.example:8080")],
            true,
        );
        check(
            Method::PUT,
            &[host, ("origin", "https://evil.example")],
            false,
        );
        check(Method::POST, &[host, ("origin", "null")], false);
        check(Method::GET, &[host, ("sec-fetch-site", "cross-site")], true);
        check(
            Method::POST,
            &[
                host,
                ("sec-fetch-site", "cross-site"),
                ("authorization", "Bearer vx_x"),
            ],
            true,
        );
    }

    #[test]
    fn next_paths() {
        assert_eq!(safe_next("/units/83"), Some("/units/83"));
        assert_eq!(safe_next("//evil.example"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
        assert_eq!(safe_next("https://evil.example"), None);
    }
}
