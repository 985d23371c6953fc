//! Answers kept in memory while the data do not change.
//!
//! A signed-in request costs one index probe, [`Store::data_version`] (the last audit
//! record's id: every write appends one, in any process or server sharing the database).
//! While the version stands, the request's credential is taken from memory instead of the
//! sessions table, and the heavy read pages (the dashboard, the status page and API) are
//! served as they were drawn for the same credential, address and language. A new version
//! empties both: a sign-out, a revoked token or ended sessions are audited writes too, so
//! every server sharing the database stops taking the credential at its next request.
//! Two bounds on top: a credential is read again after [`CREDENTIAL_TTL`] (a session that
//! expires meanwhile), and a page after [`PAGE_TTL`] (a page without a date shows today;
//! two PostgreSQL writes may commit out of id order).
//!
//! Pages are keyed by the credential (a session's pages carry its CSRF token), so no
//! answer is ever served to another session than the one it was drawn for.
//!
//! No stampede: requests for the same page at the same version that miss together share
//! one drawing (single flight per key). The first one draws; the others wait on the same
//! [`tokio::sync::OnceCell`] and answer with its page. If the drawer's request is dropped
//! mid-way, a waiter takes over; if the answer is not one to keep (an error, a cookie
//! set), each waiter draws its own.
//!
//! Values that depend on a key alone and not on who asks — a scope's day of field work,
//! the same for every phone of the scope — are kept by that key and version
//! ([`Cache::shared`]), also drawn once for the requests that miss together. Only a
//! handler that has checked the viewer's right to the key may ask for it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use tokio::sync::OnceCell;
use vx_store::Store;

use crate::error::AppError;
use crate::viewer::Viewer;

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

/// A drawing in progress: its outcome, `None` when the page is not one to keep.
type Flight = Arc<OnceCell<Option<Page>>>;

/// Counters of the server's work, for tests and benchmarks (see [`crate::WebConfig`]).
#[derive(Debug, Default)]
pub struct Metrics {
    page_draws: AtomicU64,
}

impl Metrics {
    /// How many times a kept page (dashboard, status page or API) was drawn: a request
    /// served from memory or from another request's drawing does not count.
    pub fn page_draws(&self) -> u64 {
        self.page_draws.load(Ordering::Relaxed)
    }
}

/// The server's in-memory answers (one per process, shared by its requests).
pub(crate) struct Cache {
    credentials: Mutex<Generation<String, (Viewer, DateTime<Utc>)>>,
    /// Pages by (credential, address), weighed in bytes.
    pages: Mutex<Generation<PageKey, Page>>,
    /// Drawings in progress by (credential, address) and data version.
    flights: Mutex<HashMap<(PageKey, i64), Flight>>,
    /// Values by key, each at the data version it was computed for.
    shared: Mutex<HashMap<String, (i64, SharedSlot)>>,
    metrics: Arc<Metrics>,
}

type SharedSlot = Arc<OnceCell<Arc<dyn std::any::Any + Send + Sync>>>;

/// The most keys [`Cache::shared`] keeps (the scopes served at once); beyond, it starts over.
const SHARED_KEYS: usize = 512;

impl Cache {
    pub(crate) fn new(metrics: Arc<Metrics>) -> Self {
        Cache {
            credentials: Mutex::new(Generation::new(CREDENTIALS)),
            pages: Mutex::new(Generation::new(PAGE_BYTES)),
            flights: Mutex::new(HashMap::new()),
            shared: Mutex::new(HashMap::new()),
            metrics,
        }
    }
}

impl Cache {
    /// The value of `key` at data `version`, from memory or computed by `load` once for all
    /// the requests that ask meanwhile (a failed load is not kept: the next one tries
    /// again). A request at an older version than the kept one computes its own.
    pub(crate) async fn shared<T, F, Fut, E>(
        &self,
        key: String,
        version: i64,
        load: F,
    ) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let slot = {
            let mut slots = lock(&self.shared);
            match slots.get(&key) {
                Some((v, slot)) if *v == version => Some(slot.clone()),
                Some((v, _)) if *v > version => None,
                _ => {
                    if slots.len() >= SHARED_KEYS {
                        slots.clear();
                    }
                    let slot = SharedSlot::default();
                    slots.insert(key, (version, slot.clone()));
                    Some(slot)
                }
            }
        };
        let Some(slot) = slot else {
            return load().await.map(Arc::new);
        };
        let value = slot
            .get_or_try_init(|| async {
                let v: Arc<dyn std::any::Any + Send + Sync> = Arc::new(load().await?);
                Ok::<_, E>(v)
            })
            .await?
            .clone();
        Ok(value
            .downcast::<T>()
            .unwrap_or_else(|_| panic!("one type per shared key")))
    }

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
    /// `draw` (and kept when it answers 200) — once for all the requests that ask for it
    /// while it is being drawn.
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
        let flight_key = (key, version);
        let flight: Flight = lock(&self.flights)
            .entry(flight_key.clone())
            .or_default()
            .clone();
        // The drawer's own answer when it is not one to keep (errors, cookies).
        let mut own: Option<Result<Response, E>> = None;
        let mut draw = Some(draw);
        let outcome = {
            let (own, draw, key) = (&mut own, &mut draw, &flight_key.0);
            flight
                .get_or_init(|| async move {
                    let draw = draw.take().expect("drawn once");
                    let kept = self.draw(draw, own).await;
                    if let Some(page) = &kept {
                        lock(&self.pages).put(key.clone(), version, page.clone(), page.body.len());
                    }
                    kept
                })
                .await
                .clone()
        };
        // Done: later requests find the page kept (or draw anew). Only this flight's
        // entry is removed, not a newer one of the same key.
        {
            let mut flights = lock(&self.flights);
            if flights
                .get(&flight_key)
                .is_some_and(|f| Arc::ptr_eq(f, &flight))
            {
                flights.remove(&flight_key);
            }
        }
        match (outcome, own) {
            (_, Some(res)) => res,
            (Some(page), None) => Ok(page.into_response()),
            // Another request drew an answer not to keep: draw our own.
            (None, None) => match draw.take() {
                Some(draw) => {
                    self.metrics.page_draws.fetch_add(1, Ordering::Relaxed);
                    draw().await
                }
                None => Err(AppError::Internal("a page drawn without an answer".into()).into()),
            },
        }
    }

    /// Draws a page: `Some` when it is one to keep, else `None` with the answer in `own`.
    async fn draw<F, Fut, E>(&self, draw: F, own: &mut Option<Result<Response, E>>) -> Option<Page>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Response, E>>,
        E: From<AppError>,
    {
        self.metrics.page_draws.fetch_add(1, Ordering::Relaxed);
        let res = match draw().await {
            Ok(res) => res,
            Err(e) => {
                *own = Some(Err(e));
                return None;
            }
        };
        if res.status() != StatusCode::OK || res.headers().contains_key(header::SET_COOKIE) {
            *own = Some(Ok(res));
            return None;
        }
        let (parts, body) = res.into_parts();
        let body = match axum::body::to_bytes(body, PAGE_BYTES).await {
            Ok(b) => b,
            Err(e) => {
                *own = Some(Err(
                    AppError::Internal(format!("buffering a page: {e}")).into()
                ));
                return None;
            }
        };
        Some(Page {
            content_type: parts.headers.get(header::CONTENT_TYPE).cloned(),
            body,
        })
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use vx_domain::Role;
    use vx_store::User;

    use super::*;
    use crate::viewer::{Credential, Viewer};

    fn viewer(token_hash: &str) -> Viewer {
        let user = User {
            id: 1,
            username: "u".into(),
            display_name: "U".into(),
            role: Role::Admin,
            active: true,
            scope: vec![],
        };
        Viewer {
            access: user.access(),
            user,
            credential: Credential::Session {
                csrf: "c".into(),
                token_hash: token_hash.into(),
            },
            data_version: 7,
        }
    }

    /// `n` requests for `address` that all arrive while the page is being drawn: the draw
    /// waits until every request has asked (and then lets them all run to their wait).
    async fn together(cache: &Arc<Cache>, n: usize, status: StatusCode) -> Vec<(u16, Bytes)> {
        let arrived = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..n {
            let (cache, arrived) = (cache.clone(), arrived.clone());
            tasks.push(tokio::spawn(async move {
                arrived.fetch_add(1, Ordering::SeqCst);
                let res: Result<Response, AppError> = cache
                    .page(&viewer("t"), "vi /units/831/dashboard?".into(), || async {
                        while arrived.load(Ordering::SeqCst) < n {
                            tokio::task::yield_now().await;
                        }
                        for _ in 0..n {
                            tokio::task::yield_now().await;
                        }
                        Ok((status, "the page").into_response())
                    })
                    .await;
                let res = res.unwrap();
                let status = res.status().as_u16();
                (
                    status,
                    axum::body::to_bytes(res.into_body(), 1 << 20)
                        .await
                        .unwrap(),
                )
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn concurrent_requests_for_one_page_draw_it_once() {
        let metrics = Arc::new(Metrics::default());
        let cache = Arc::new(Cache::new(metrics.clone()));
        let answers = together(&cache, 16, StatusCode::OK).await;
        assert_eq!(metrics.page_draws(), 1, "one drawing for 16 requests");
        assert_eq!(answers.len(), 16);
        assert!(answers
            .iter()
            .all(|(s, b)| *s == 200 && b.as_ref() == b"the page"));
        assert!(lock(&cache.flights).is_empty(), "no flight left behind");
        // Kept: the next request is served from memory.
        let again = together(&cache, 1, StatusCode::OK).await;
        assert_eq!(again[0].1.as_ref(), b"the page");
        assert_eq!(metrics.page_draws(), 1);
    }

    #[tokio::test]
    async fn an_answer_not_kept_is_drawn_by_each_request() {
        let metrics = Arc::new(Metrics::default());
        let cache = Arc::new(Cache::new(metrics.clone()));
        let answers = together(&cache, 4, StatusCode::NOT_FOUND).await;
        assert!(answers.iter().all(|(s, _)| *s == 404));
        assert_eq!(metrics.page_draws(), 4, "errors are not shared");
        assert!(lock(&cache.flights).is_empty());
    }
}
