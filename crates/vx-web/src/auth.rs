//! Passwords, session cookies, API tokens, CSRF tokens and failed-login limits.
//!
//! Nothing here lives in process memory: a session is a random token in a cookie whose
//! SHA-256 is stored with its CSRF token; failed logins are rows in the store. Any number
//! of servers sharing one database answer any request.

use std::net::SocketAddr;
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum_extra::extract::cookie::CookieJar;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use vx_domain::{fold, Access};
use vx_store::User;

use crate::error::{ApiError, AppError, PageError};
use crate::AppState;

pub const SESSION_COOKIE: &str = "vx_session";
/// The login form's CSRF token before there is a session (double-submit cookie).
pub const LOGIN_CSRF_COOKIE: &str = "vx_login";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Failed logins allowed per username and per client address within [`LOCK_MINUTES`].
pub const MAX_FAILURES: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;

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

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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

/// Rate-limit keys of a login attempt: the folded username and the client address.
pub fn failure_keys(username: &str, ip: &str) -> [String; 2] {
    [
        format!("login:user:{}", fold(username)),
        format!("login:ip:{ip}"),
    ]
}

/// The client's address: the peer of the TCP connection, or, behind a trusted reverse
/// proxy, the last address the proxy appended to `X-Forwarded-For`.
pub fn client_ip(parts: &Parts, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for {
        // Only the entry our proxy appended: earlier ones are the client's to invent.
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|a| a.trim().parse::<std::net::IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip.to_string();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// How the request proved who it is.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A session cookie; the session's CSRF token and the token's hash.
    Session {
        csrf: String,
        token_hash: String,
    },
    Token,
}

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: User,
    pub access: Access,
    pub credential: Credential,
    /// The data version the request was checked at (see [`crate::cache`]).
    pub data_version: i64,
}

impl Viewer {
    /// The credential's key in the in-memory caches.
    pub(crate) fn cache_key(&self) -> String {
        match &self.credential {
            Credential::Session { token_hash, .. } => format!("s:{token_hash}"),
            Credential::Token => format!("u:{}", self.user.id),
        }
    }
    pub fn csrf(&self) -> &str {
        match &self.credential {
            Credential::Session { csrf, .. } => csrf,
            Credential::Token => "",
        }
    }
    /// Whether a submitted CSRF token is the session's.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        match &self.credential {
            Credential::Session { csrf, .. } => {
                !submitted.is_empty() && same_secret(csrf, submitted)
            }
            Credential::Token => true,
        }
    }
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
                    format!("/login?next={}", crate::pages::enc(next))
                } else {
                    "/login".to_string()
                };
                Err(ToLogin(target).into_response())
            }
            Err(e) => Err(PageError(e).into_response()),
        }
    }
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
    fn next_paths() {
        assert_eq!(safe_next("/units/83"), Some("/units/83"));
        assert_eq!(safe_next("//evil.example"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
        assert_eq!(safe_next("https://evil.example"), None);
    }
}
