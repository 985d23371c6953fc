//! Answers kept in memory while the data do not change.
//!
//! A signed-in request costs one index probe, [`Store::data_version`] (the last audit
//! record's id: every write appends one, in any process or server sharing the database).
//! While the version stands, the request's credential is taken from memory instead of the
//! sessions table, and the heavy read pages (the dashboard, the status page and API) are
//! served as they were drawn for the same credential, address and language. A new version
//! empties both. Two bounds on top: a credential is read again after
//! [`CREDENTIAL_TTL`] (a sign-out on another server, which writes no audit record, reaches
//! this one that late at most), and a page after [`PAGE_TTL`] (a page without a date shows
//! today; two PostgreSQL writes may commit out of id order).
//!
//! Pages are keyed by the credential (a session's pages carry its CSRF token), so no
//! answer is ever served to another session than the one it was drawn for.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use vx_store::Store;

use crate::auth::Viewer;
use crate::error::AppError;

pub(crate) const CREDENTIAL_TTL: Duration = Duration::from_secs(10);
pub(crate) const PAGE_TTL: Duration = Duration::from_secs(30);
/// Bytes of pages kept at most; past it the pages are dropped and drawn again.
const PAGE_BYTES: usize = 64 << 20;
/// Credentials kept at most.
const CREDENTIALS: usize = 100_000;

/// Entries valid for one data version, within a budget (entries or bytes: each entry
/// weighs what `put` says; past the budget the map starts again empty).
struct Generation<K, V> {
    version: i64,
    map: HashMap<K, (Instant, V)>,
    weight: usize,
    budget: usize,
}

impl<K: Eq + Hash, V: Clone> Generation<K, V> {
    fn new(budget: usize) -> Self {
        Generation {
            version: i64::MIN,
            map: HashMap::new(),
            weight: 0,
            budget,
        }
    }

    /// Moves to `version` if it is newer (emptying the map); whether `version` is current.
    fn at(&mut self, version: i64) -> bool {
        if version > self.version {
            self.version = version;
            self.map.clear();
            self.weight = 0;
        }
        version == self.version
    }

    /// The entry of `key` read at `version`, younger than `ttl`. A request that read an
    /// older version misses.
    fn get(&mut self, key: &K, version: i64, ttl: Duration) -> Option<V> {
        if !self.at(version) {
            return None;
        }
        let (at, v) = self.map.get(key)?;
        if at.elapsed() < ttl {
            Some(v.clone())
        } else {
            self.map.remove(key);
            None
        }
    }

    /// Keeps `v`, read at `version`, unless a newer version is kept already.
    fn put(&mut self, key: K, version: i64, v: V, weight: usize) {
        if !self.at(version) {
            return;
        }
        if self.weight + weight > self.budget {
            self.map.clear();
            self.weight = 0;
        }
        self.weight += weight;
        self.map.insert(key, (Instant::now(), v));
    }

    fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
    {
        self.map.remove(key);
    }
}

/// A credential's key and a page's address.
type PageKey = (String, String);

#[derive(Clone)]
struct Page {
    content_type: Option<HeaderValue>,
    body: Bytes,
}

/// The server's in-memory answers (one per process, shared by its requests).
pub(crate) struct Cache {
    credentials: Mutex<Generation<String, (Viewer, DateTime<Utc>)>>,
    /// Pages by (credential, address), weighed in bytes.
    pages: Mutex<Generation<PageKey, Page>>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            credentials: Mutex::new(Generation::new(CREDENTIALS)),
            pages: Mutex::new(Generation::new(PAGE_BYTES)),
        }
    }
}

impl Cache {
    /// The viewer of a credential (a session token's or an API token's hash, with a
    /// prefix telling which), from memory or from `load`.
    pub(crate) async fn viewer<F, Fut>(
        &self,
        store: &Store,
        key: String,
        load: F,
    ) -> Result<Option<Viewer>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Option<(Viewer, DateTime<Utc>)>, AppError>>,
    {
        let version = store.data_version().await?;
        let hit = lock(&self.credentials).get(&key, version, CREDENTIAL_TTL);
        if let Some((mut v, expires_at)) = hit {
            if expires_at > Utc::now() {
                v.data_version = version;
                return Ok(Some(v));
            }
        }
        let Some((mut v, expires_at)) = load().await? else {
            lock(&self.credentials).remove(key.as_str());
            return Ok(None);
        };
        v.data_version = version;
        lock(&self.credentials).put(key, version, (v.clone(), expires_at), 1);
        Ok(Some(v))
    }

    /// Forgets a credential at once (sign-out on this server).
    pub(crate) fn forget(&self, key: &str) {
        lock(&self.credentials).remove(key);
    }

    /// The page `address` as drawn for `viewer` at its data version, or drawn now by
    /// `draw` (and kept when it answers 200).
    pub(crate) async fn page<F, Fut, E>(
        &self,
        viewer: &Viewer,
        address: String,
        draw: F,
    ) -> Result<Response, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Response, E>>,
        E: From<AppError>,
    {
        let key = (viewer.cache_key(), address);
        let version = viewer.data_version;
        let hit = lock(&self.pages).get(&key, version, PAGE_TTL);
        if let Some(p) = hit {
            return Ok(p.into_response());
        }
        let res = draw().await?;
        if res.status() != StatusCode::OK || res.headers().contains_key(header::SET_COOKIE) {
            return Ok(res);
        }
        let (parts, body) = res.into_parts();
        let body = axum::body::to_bytes(body, PAGE_BYTES)
            .await
            .map_err(|e| AppError::Internal(format!("buffering a page: {e}")))?;
        let page = Page {
            content_type: parts.headers.get(header::CONTENT_TYPE).cloned(),
            body: body.clone(),
        };
        lock(&self.pages).put(key, version, page, body.len());
        Ok(Response::from_parts(parts, axum::body::Body::from(body)))
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut res = self.body.into_response();
        if let Some(ct) = self.content_type {
            res.headers_mut().insert(header::CONTENT_TYPE, ct);
        }
        res
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
