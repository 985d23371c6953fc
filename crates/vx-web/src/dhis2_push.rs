//! Sending data values to a DHIS2 server (`vungxanh export dhis2 --push URL`): the one HTTP
//! client of vungxanh, here because only vx-web knows HTTP. `POST {URL}/api/dataValueSets`
//! with codes as identifiers; the server's import summary read back.

use std::fmt;
use std::time::Duration;

pub use reqwest::Url;
use vx_exchange::{DataValueSet, ImportSummary};

/// How vungxanh signs in to DHIS2.
#[derive(Clone)]
pub enum Dhis2Credentials {
    /// A personal access token (`Authorization: ApiToken …`).
    Token(String),
    /// A username and password (HTTP Basic).
    Basic(String, String),
}

/// Why values were not taken.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("not sent, the values are not in DHIS2's shape: {0}")]
    NotInShape(String),
    #[error("{0}: not a base address")]
    NotABase(String),
    #[error("cannot reach {server}: {error}")]
    Unreachable { server: String, error: String },
    #[error("{server} answered {status} without an import summary: {start}")]
    NoSummary {
        server: String,
        status: String,
        start: String,
    },
    #[error("{server} answered {status}, {summary_status}: {counts}{description}{conflicts}")]
    Refused {
        server: String,
        status: String,
        summary_status: String,
        counts: String,
        description: String,
        conflicts: String,
    },
}

/// What a server took.
#[derive(Debug, Clone)]
pub struct PushReport {
    pub server: String,
    pub values: usize,
    pub dry_run: bool,
    pub summary: ImportSummary,
}

fn counts(s: &ImportSummary) -> String {
    let c = s.import_count;
    format!(
        "{} imported, {} updated, {} ignored, {} deleted",
        c.imported, c.updated, c.ignored, c.deleted
    )
}

impl fmt::Display for PushReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.dry_run {
            "checked (dry run)"
        } else {
            "sent"
        };
        write!(
            f,
            "{} data values {what} to {}: {}",
            self.values,
            self.server,
            counts(&self.summary)
        )
    }
}

/// Reads `--push URL`: an http(s) base address without query or credentials.
pub fn parse_dhis2_server(s: &str) -> Result<Url, String> {
    let url = Url::parse(s.trim()).map_err(|e| format!("{s:?}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "{s:?}: an http:// or https:// address of a DHIS2 server"
        ));
    }
    if url.query().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{s:?}: the server's base address only (credentials go in DHIS2_TOKEN, or DHIS2_USERNAME and DHIS2_PASSWORD)"
        ));
    }
    Ok(url)
}

/// Sends `body` (the set as dataValueSets JSON, or as ADX) to a DHIS2 server and reads its
/// import summary: `Ok` when every value was taken; an error naming the server's
/// conflicts otherwise. The set is checked against DHIS2's shape before it is sent.
pub async fn push_dhis2(
    server: &Url,
    set: &DataValueSet,
    body: &str,
    adx: bool,
    dry_run: bool,
    credentials: &Dhis2Credentials,
) -> Result<PushReport, PushError> {
    let doc = serde_json::to_value(set).map_err(|e| PushError::NotInShape(e.to_string()))?;
    let problems = vx_exchange::check_data_value_set(&doc);
    if !problems.is_empty() {
        return Err(PushError::NotInShape(problems.join("; ")));
    }
    let name = server.to_string();
    let mut url = server.clone();
    url.path_segments_mut()
        .map_err(|()| PushError::NotABase(name.clone()))?
        .pop_if_empty()
        .extend(["api", "dataValueSets"]);
    url.query_pairs_mut()
        .append_pair("dataElementIdScheme", "code")
        .append_pair("orgUnitIdScheme", "code")
        .append_pair("idScheme", "code")
        .append_pair("importStrategy", "CREATE_AND_UPDATE")
        .append_pair("dryRun", if dry_run { "true" } else { "false" });
    let unreachable = |e: reqwest::Error| PushError::Unreachable {
        server: name.clone(),
        error: e.to_string(),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .connect_timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(unreachable)?;
    let content_type = if adx {
        crate::exchange::ADX_TYPE
    } else {
        "application/json"
    };
    let request = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .header(reqwest::header::ACCEPT, "application/json")
        .body(body.to_string());
    let request = match credentials {
        Dhis2Credentials::Token(t) => {
            request.header(reqwest::header::AUTHORIZATION, format!("ApiToken {t}"))
        }
        Dhis2Credentials::Basic(u, p) => request.basic_auth(u, Some(p)),
    };
    let answer = request.send().await.map_err(unreachable)?;
    let status = answer.status();
    let bytes = answer.bytes().await.map_err(unreachable)?;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(1 << 20)]).into_owned();
    let Some(summary) = ImportSummary::from_answer(&text) else {
        return Err(PushError::NoSummary {
            server: name,
            status: status.to_string(),
            start: text.chars().take(300).collect(),
        });
    };
    if summary.is_clean() && status.is_success() {
        return Ok(PushReport {
            server: name,
            values: set.data_values.len(),
            dry_run,
            summary,
        });
    }
    let mut conflicts: Vec<String> = summary
        .conflicts
        .iter()
        .take(50)
        .map(|k| format!("{}: {}", k.object, k.value))
        .collect();
    if summary.conflicts.len() > 50 {
        conflicts.push(format!("and {} more", summary.conflicts.len() - 50));
    }
    Err(PushError::Refused {
        server: name,
        status: status.to_string(),
        summary_status: summary.status.clone(),
        counts: counts(&summary),
        description: summary
            .description
            .as_ref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default(),
        conflicts: if conflicts.is_empty() {
            String::new()
        } else {
            format!("; conflicts: {}", conflicts.join("; "))
        },
    })
}
