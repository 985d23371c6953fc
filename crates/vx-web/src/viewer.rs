//! Who a request is: the signed-in user, its access and how it proved itself. Below the
//! caches and the application state (which keep viewers), above nothing of this crate.

use vx_domain::Access;
use vx_store::User;

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
