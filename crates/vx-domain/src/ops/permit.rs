//! Travel permits (giấy đi đường) and their signed tokens.
//!
//! A token is `VX1.<claims>.<signature>`, both parts base64url without padding; the claims
//! are compact JSON and the signature is Ed25519 over the bytes `VX1.<claims>`. Verifying
//! needs only the public key and the clock (and, when online, the revocation list): no
//! database lookup proves a permit genuine.

use std::collections::HashSet;
use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::{fold, UnitCode, UnknownValue};

const PREFIX: &str = "VX1.";

/// A vehicle plate, normalised: upper case letters and digits only ("71C-123.45" → "71C12345").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Plate(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "plate {0:?}: expected a Vietnamese plate such as 71C-123.45 (2 digits, a series, 4–5 digits)"
)]
pub struct PlateError(pub String);

impl Plate {
    pub fn parse(s: &str) -> Result<Plate, PlateError> {
        let norm: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let ok = norm.len() >= 7
            && norm.len() <= 10
            && norm[..2].chars().all(|c| c.is_ascii_digit())
            && norm[2..3].chars().all(|c| c.is_ascii_alphabetic())
            && norm[norm.len() - 4..].chars().all(|c| c.is_ascii_digit());
        if ok {
            Ok(Plate(norm))
        } else {
            Err(PlateError(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who travels: a person (registered here or not) or a vehicle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Holder {
    Person {
        /// The registered person, when the issuer's registry holds them.
        person_id: Option<i64>,
        name: String,
        /// Citizen ID or other document number as shown.
        document: Option<String>,
    },
    Vehicle {
        plate: Plate,
        driver: String,
    },
}

impl Holder {
    pub fn kind(&self) -> &'static str {
        match self {
            Holder::Person { .. } => "person",
            Holder::Vehicle { .. } => "vehicle",
        }
    }
    /// What a checkpoint officer reads: the name, or the plate and driver.
    pub fn label(&self) -> String {
        match self {
            Holder::Person { name, .. } => name.clone(),
            Holder::Vehicle { plate, driver } => format!("{plate} ({driver})"),
        }
    }
    pub fn plate(&self) -> Option<&Plate> {
        match self {
            Holder::Vehicle { plate, .. } => Some(plate),
            Holder::Person { .. } => None,
        }
    }
}

/// What a permit requires at a checkpoint besides itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conditions {
    /// A negative test taken within this many hours (72 in 2021's rules).
    #[serde(rename = "h", skip_serializing_if = "Option::is_none", default)]
    pub negative_test_hours: Option<u32>,
    /// At least this many vaccine doses.
    #[serde(rename = "v", skip_serializing_if = "Option::is_none", default)]
    pub vaccine_doses: Option<u8>,
}

/// A permit to issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPermit {
    /// The commune or district issuing it.
    pub issuer: UnitCode,
    pub holder: Holder,
    pub purpose: String,
    /// Destination units (the route's ends).
    pub destinations: Vec<UnitCode>,
    pub valid_from: DateTime<Utc>,
    pub valid_to: DateTime<Utc>,
    pub conditions: Conditions,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermitError {
    #[error("purpose: required")]
    NoPurpose,
    #[error("destinations: at least one unit")]
    NoDestination,
    #[error("valid_to: must be after valid_from")]
    EmptyValidity,
    #[error("valid_to: a permit lasts at most {0} days")]
    TooLong(i64),
    #[error("holder: a name is required")]
    NoName,
}

/// The longest validity of one permit.
pub const MAX_DAYS: i64 = 30;

impl NewPermit {
    /// Checks what types cannot: a purpose, a destination, a validity of at most 30 days.
    pub fn validate(&self) -> Result<(), PermitError> {
        if self.purpose.trim().is_empty() {
            return Err(PermitError::NoPurpose);
        }
        if self.destinations.is_empty() {
            return Err(PermitError::NoDestination);
        }
        if self.valid_to <= self.valid_from {
            return Err(PermitError::EmptyValidity);
        }
        if self.valid_to - self.valid_from > Duration::days(MAX_DAYS) {
            return Err(PermitError::TooLong(MAX_DAYS));
        }
        match &self.holder {
            Holder::Person { name, .. } if name.trim().is_empty() => Err(PermitError::NoName),
            Holder::Vehicle { driver, .. } if driver.trim().is_empty() => Err(PermitError::NoName),
            _ => Ok(()),
        }
    }
}

/// What a token carries: enough for an offline checkpoint to show who and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Permit id.
    #[serde(rename = "i")]
    pub id: i64,
    /// "person" or "vehicle".
    #[serde(rename = "k")]
    pub kind: String,
    /// Holder's name, or plate and driver.
    #[serde(rename = "n")]
    pub holder: String,
    #[serde(rename = "p", skip_serializing_if = "Option::is_none", default)]
    pub plate: Option<String>,
    /// Issuing unit.
    #[serde(rename = "u")]
    pub issuer: String,
    /// Destination unit codes.
    #[serde(rename = "d")]
    pub destinations: Vec<String>,
    /// Valid from, seconds since the epoch.
    #[serde(rename = "f")]
    pub valid_from: i64,
    /// Valid to, seconds since the epoch.
    #[serde(rename = "t")]
    pub valid_to: i64,
    #[serde(rename = "c", default)]
    pub conditions: Conditions,
}

impl Claims {
    pub fn of(id: i64, p: &NewPermit) -> Claims {
        Claims {
            id,
            kind: p.holder.kind().into(),
            holder: p.holder.label(),
            plate: p.holder.plate().map(|x| x.as_str().to_string()),
            issuer: p.issuer.as_str().into(),
            destinations: p.destinations.iter().map(|d| d.as_str().into()).collect(),
            valid_from: p.valid_from.timestamp(),
            valid_to: p.valid_to.timestamp(),
            conditions: p.conditions,
        }
    }
}

/// The issuing key. Kept by the server (in the database); never leaves it.
pub struct PermitKey(SigningKey);

impl fmt::Debug for PermitKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PermitKey(public {})", self.public_hex())
    }
}

impl PermitKey {
    /// From 32 secret bytes (drawn from the operating system's generator by the caller).
    pub fn from_seed(seed: [u8; 32]) -> PermitKey {
        PermitKey(SigningKey::from_bytes(&seed))
    }
    pub fn from_hex(hex_secret: &str) -> Option<PermitKey> {
        Some(PermitKey::from_seed(decode_hex::<32>(hex_secret)?))
    }
    pub fn secret_hex(&self) -> String {
        encode_hex(&self.0.to_bytes())
    }
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }
    pub fn public_hex(&self) -> String {
        self.public().to_hex()
    }
    /// The signed token of a permit.
    pub fn sign(&self, claims: &Claims) -> String {
        let json = serde_json::to_vec(claims).expect("claims serialise");
        let signed = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json));
        let sig = self.0.sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }
}

/// The verifying key: what a checkpoint device holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    pub fn from_hex(s: &str) -> Option<PublicKey> {
        VerifyingKey::from_bytes(&decode_hex::<32>(s)?)
            .ok()
            .map(PublicKey)
    }
    pub fn to_hex(&self) -> String {
        encode_hex(self.0.as_bytes())
    }
}

/// Why a token is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Refusal {
    /// Not a vungxanh permit token at all (typo, another QR code).
    Malformed,
    /// The signature does not match: forged or altered.
    Forged,
    NotYetValid {
        from: DateTime<Utc>,
    },
    Expired {
        at: DateTime<Utc>,
    },
    Revoked {
        id: i64,
    },
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Malformed => "malformed",
            Refusal::Forged => "forged",
            Refusal::NotYetValid { .. } => "not-yet-valid",
            Refusal::Expired { .. } => "expired",
            Refusal::Revoked { .. } => "revoked",
        }
    }
    pub fn text_vi(&self) -> String {
        match self {
            Refusal::Malformed => "Không phải mã giấy đi đường hợp lệ (sai định dạng).".into(),
            Refusal::Forged => {
                "Chữ ký không đúng: giấy đi đường giả hoặc đã bị sửa. Không cho qua.".into()
            }
            Refusal::NotYetValid { from } => {
                format!("Giấy đi đường chưa có hiệu lực (từ {}).", vn_time(*from))
            }
            Refusal::Expired { at } => {
                format!("Giấy đi đường đã hết hạn lúc {}.", vn_time(*at))
            }
            Refusal::Revoked { id } => format!("Giấy đi đường số {id} đã bị thu hồi."),
        }
    }
    pub fn text_en(&self) -> String {
        match self {
            Refusal::Malformed => "Not a valid travel permit code (bad format).".into(),
            Refusal::Forged => {
                "The signature does not match: forged or altered permit. Refuse.".into()
            }
            Refusal::NotYetValid { from } => {
                format!("The permit is not valid yet (from {}).", vn_time(*from))
            }
            Refusal::Expired { at } => format!("The permit expired at {}.", vn_time(*at)),
            Refusal::Revoked { id } => format!("Permit {id} has been revoked."),
        }
    }
}

/// An instant as Vietnamese local time ("14:05 21/09/2021").
pub fn vn_time(at: DateTime<Utc>) -> String {
    let offset = chrono::FixedOffset::east_opt(crate::VN_UTC_OFFSET_SECONDS).expect("offset");
    at.with_timezone(&offset)
        .format("%H:%M %d/%m/%Y")
        .to_string()
}

/// Verifies a token: signature first (a forged token says nothing else), then validity at
/// `now`, then the revocation list.
pub fn verify(
    token: &str,
    key: &PublicKey,
    now: DateTime<Utc>,
    revoked: &HashSet<i64>,
) -> Result<Claims, Refusal> {
    let token = token.trim();
    let rest = token.strip_prefix(PREFIX).ok_or(Refusal::Malformed)?;
    let (claims_b64, sig_b64) = rest.split_once('.').ok_or(Refusal::Malformed)?;
    let sig_bytes = URL_SAFE_NO_PAD
        .decode(sig_b64)
        .map_err(|_| Refusal::Malformed)?;
    let sig = Signature::from_slice(&sig_bytes).map_err(|_| Refusal::Malformed)?;
    let signed = &token[..PREFIX.len() + claims_b64.len()];
    key.0
        .verify_strict(signed.as_bytes(), &sig)
        .map_err(|_| Refusal::Forged)?;
    let json = URL_SAFE_NO_PAD
        .decode(claims_b64)
        .map_err(|_| Refusal::Malformed)?;
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| Refusal::Malformed)?;
    let at = |s: i64| DateTime::<Utc>::from_timestamp(s, 0).unwrap_or_default();
    if now.timestamp() < claims.valid_from {
        return Err(Refusal::NotYetValid {
            from: at(claims.valid_from),
        });
    }
    if now.timestamp() > claims.valid_to {
        return Err(Refusal::Expired {
            at: at(claims.valid_to),
        });
    }
    if revoked.contains(&claims.id) {
        return Err(Refusal::Revoked { id: claims.id });
    }
    Ok(claims)
}

/// The claims of a token, decoded WITHOUT checking the signature: only to record what a
/// refused paper claimed (who, which permit), never to let anyone through.
pub fn read_unverified(token: &str) -> Option<Claims> {
    let rest = token.trim().strip_prefix(PREFIX)?;
    let (claims_b64, _) = rest.split_once('.')?;
    let json = URL_SAFE_NO_PAD.decode(claims_b64).ok()?;
    serde_json::from_slice(&json).ok()
}

/// A test result shown at a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Shown {
    Negative,
    Positive,
}

impl Shown {
    pub fn as_str(self) -> &'static str {
        match self {
            Shown::Negative => "negative",
            Shown::Positive => "positive",
        }
    }
    pub fn parse(s: &str) -> Result<Shown, UnknownValue> {
        match fold(s).as_str() {
            "negative" | "am tinh" | "am" => Ok(Shown::Negative),
            "positive" | "duong tinh" | "duong" => Ok(Shown::Positive),
            _ => Err(UnknownValue {
                value: s.to_string(),
                expected: "negative or positive",
            }),
        }
    }
}

/// A condition not met at a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "condition", rename_all = "kebab-case")]
pub enum Unmet {
    /// No negative test shown within the hours required.
    NoRecentNegative { hours: u32 },
    /// A positive test shown.
    PositiveTest,
    /// Fewer doses than required.
    Doses { required: u8, shown: u8 },
}

impl Unmet {
    pub fn text_vi(&self) -> String {
        match self {
            Unmet::NoRecentNegative { hours } => {
                format!("Chưa có kết quả xét nghiệm âm tính trong {hours} giờ.")
            }
            Unmet::PositiveTest => "Kết quả xét nghiệm dương tính: không cho qua, báo y tế.".into(),
            Unmet::Doses { required, shown } => {
                format!("Cần tiêm ít nhất {required} mũi vắc xin (xuất trình {shown}).")
            }
        }
    }
    pub fn text_en(&self) -> String {
        match self {
            Unmet::NoRecentNegative { hours } => {
                format!("No negative test within {hours} hours.")
            }
            Unmet::PositiveTest => "Positive test shown: refuse and alert health staff.".into(),
            Unmet::Doses { required, shown } => {
                format!("At least {required} vaccine doses required ({shown} shown).")
            }
        }
    }
}

/// The permit's conditions against what the traveller shows at `now`.
pub fn unmet_conditions(
    c: &Conditions,
    test: Option<(Shown, DateTime<Utc>)>,
    doses: u8,
    now: DateTime<Utc>,
) -> Vec<Unmet> {
    let mut out = Vec::new();
    if matches!(test, Some((Shown::Positive, _))) {
        out.push(Unmet::PositiveTest);
    }
    if let Some(hours) = c.negative_test_hours {
        let recent = matches!(test, Some((Shown::Negative, at))
            if at <= now && now - at <= Duration::hours(i64::from(hours)));
        if !recent {
            out.push(Unmet::NoRecentNegative { hours });
        }
    }
    if let Some(required) = c.vaccine_doses {
        if doses < required {
            out.push(Unmet::Doses {
                required,
                shown: doses,
            });
        }
    }
    out
}

/// Entry into or exit from the area the checkpoint guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
    pub fn parse(s: &str) -> Result<Direction, UnknownValue> {
        match fold(s).as_str() {
            "in" | "vao" => Ok(Direction::In),
            "out" | "ra" => Ok(Direction::Out),
            _ => Err(UnknownValue {
                value: s.to_string(),
                expected: "in or out",
            }),
        }
    }
    pub fn name_vi(self) -> &'static str {
        match self {
            Direction::In => "Vào",
            Direction::Out => "Ra",
        }
    }
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let s = s.trim();
    if s.len() != N * 2 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}
