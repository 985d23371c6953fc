//! The state every handler receives and the server's configuration: the bottom floor of
//! the web crate (features import it; it imports no feature).

use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use vx_store::Store;

use crate::cache::{self, Metrics};
use ipnet::IpNet;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (serve over HTTPS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// How long a login lasts.
    pub session_hours: i64,
    /// Reverse proxies (`serve --trust-proxy CIDR`) whose `X-Forwarded-For` names the
    /// client (for the failed-login back-off and the logs). From any other peer the header
    /// is ignored; without a trusted proxy, every client behind one shares its address.
    pub trusted_proxies: Vec<IpNet>,
    /// The day the server serves "as of" (`serve --as-of`, `demo --as-of`): what pages and
    /// the API show when no date is asked for, named in the page header. `None`: today in
    /// Vietnam.
    pub as_of: Option<NaiveDate>,
    /// Counters of the server's work (shared: keep a clone to read them).
    pub metrics: Arc<Metrics>,
    /// The DHIS2 mapping of `/api/v1/exchange/dhis2/dataValueSets` (`serve --dhis2-mapping
    /// FILE`); `None`: every indicator under its own name, every unit under its code.
    pub dhis2_mapping: Option<Arc<vx_exchange::Mapping>>,
}

impl WebConfig {
    /// The server's day: `as_of` when set, else today in Vietnam.
    pub fn today(&self) -> NaiveDate {
        self.as_of
            .unwrap_or_else(|| vx_domain::vn_date(chrono::Utc::now()))
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            session_hours: 12,
            trusted_proxies: Vec::new(),
            as_of: None,
            metrics: Arc::default(),
            dhis2_mapping: None,
        }
    }
}

#[derive(Clone)]
pub(crate) struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub cache: Arc<cache::Cache>,
    /// Progress of the uploads pages follow (`/results/upload/progress.json`).
    pub uploads: crate::progress::Uploads,
    /// Syncs per user and minute (`POST /api/v1/sync`).
    pub sync_limit: Arc<crate::limit::PerUser>,
}

pub(crate) const LANG_COOKIE: &str = "lang";
pub(crate) const CSS: &str = include_str!("../assets/app.css");

/// The upload page's script (progress of the bytes sent and the rows checked); the form works without it.
pub(crate) const UPLOAD_JS: &str = include_str!("../assets/upload.js");

/// The upload script's address, versioned by its content.
pub(crate) fn upload_js_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let digest = hex::encode(Sha256::digest(UPLOAD_JS.as_bytes()));
        format!("/assets/upload.js?v={}", &digest[..12])
    })
}

/// The stylesheet's address, versioned by its content so that it may be cached for a year.
pub(crate) fn css_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let digest = hex::encode(Sha256::digest(CSS.as_bytes()));
        format!("/assets/app.css?v={}", &digest[..12])
    })
}
