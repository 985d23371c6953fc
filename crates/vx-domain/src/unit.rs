//! Administrative units: a tree of any depth with official codes.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// An official unit code: 1–16 ASCII digits or letters (GSO codes are digits: "83",
/// "831", "28846"; hamlet codes extend their commune's code: "2884601").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnitCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unit code {0:?} must be 1 to 16 letters or digits")]
pub struct UnitCodeError(pub String);

impl UnitCode {
    pub fn parse(s: &str) -> Result<Self, UnitCodeError> {
        let t = s.trim();
        if t.is_empty() || t.len() > 16 || !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(UnitCodeError(s.to_string()));
        }
        Ok(UnitCode(t.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for UnitCode {
    type Err = UnitCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
impl TryFrom<String> for UnitCode {
    type Error = UnitCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<UnitCode> for String {
    fn from(c: UnitCode) -> String {
        c.0
    }
}
impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The level of a unit in the tree. Depth grows downwards: a province is depth 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitLevel {
    Province,
    District,
    Commune,
    Hamlet,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown level {0:?} (expected province, district, commune or hamlet)")]
pub struct UnknownLevel(pub String);

impl UnitLevel {
    pub const ALL: [UnitLevel; 4] = [
        UnitLevel::Province,
        UnitLevel::District,
        UnitLevel::Commune,
        UnitLevel::Hamlet,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitLevel::Province => "province",
            UnitLevel::District => "district",
            UnitLevel::Commune => "commune",
            UnitLevel::Hamlet => "hamlet",
        }
    }
    /// 0 for a province, 3 for a hamlet.
    pub fn depth(self) -> u8 {
        self as u8
    }
    /// Whether households live directly in units of this level. Communes hold
    /// households only where they have no hamlets (the store checks that part).
    pub fn may_hold_households(self) -> bool {
        matches!(self, UnitLevel::Commune | UnitLevel::Hamlet)
    }
    pub fn name_vi(self) -> &'static str {
        match self {
            UnitLevel::Province => "Tỉnh/Thành phố",
            UnitLevel::District => "Quận/Huyện",
            UnitLevel::Commune => "Xã/Phường/Thị trấn",
            UnitLevel::Hamlet => "Ấp/Khu phố",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            UnitLevel::Province => "Province",
            UnitLevel::District => "District",
            UnitLevel::Commune => "Commune",
            UnitLevel::Hamlet => "Hamlet",
        }
    }
}

impl FromStr for UnitLevel {
    type Err = UnknownLevel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match crate::fold(s).as_str() {
            "province" | "tinh" => Ok(UnitLevel::Province),
            "district" | "huyen" | "quan" => Ok(UnitLevel::District),
            "commune" | "xa" | "phuong" | "ward" => Ok(UnitLevel::Commune),
            "hamlet" | "ap" | "khu pho" | "thon" | "village" => Ok(UnitLevel::Hamlet),
            _ => Err(UnknownLevel(s.to_string())),
        }
    }
}

/// A unit as written by an import: one row of
/// `code,parent_code,level,type,name,full_name[,population]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUnit {
    pub code: UnitCode,
    pub parent_code: Option<UnitCode>,
    pub level: UnitLevel,
    /// The `type` column as written ("tinh", "xa", "thị trấn"...); empty when absent.
    pub kind: String,
    pub name: String,
    /// The `full_name` column; the name when absent or empty.
    pub full_name: String,
    pub population: Option<i64>,
}

/// A unit as stored: one version of it, valid from `valid_from` until `valid_to`
/// (exclusive; `None` = still valid). Merges and splits close a version and open another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: i64,
    pub code: UnitCode,
    pub parent_code: Option<UnitCode>,
    pub level: UnitLevel,
    /// Official type slug as in the GSO list: "tinh", "huyen", "xa", "thi-tran", "ap"...
    pub kind: String,
    pub name: String,
    pub full_name: String,
    /// Official population figure, if known.
    pub population: Option<i64>,
    /// Materialised path of codes, "/83/831/28846/": a subtree is a prefix range.
    pub path: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

impl Unit {
    /// Whether `other` is this unit or lies below it.
    pub fn contains(&self, other: &Unit) -> bool {
        other.path.starts_with(&self.path)
    }
    pub fn is_valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day < to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(UnitCode::parse(" 28846 ").unwrap().as_str(), "28846");
        assert!(UnitCode::parse("").is_err());
        assert!(UnitCode::parse("28-846").is_err());
        assert!(UnitCode::parse("12345678901234567").is_err());
    }

    #[test]
    fn levels_parse_in_both_languages() {
        assert_eq!("Xã".parse::<UnitLevel>().unwrap(), UnitLevel::Commune);
        assert_eq!("hamlet".parse::<UnitLevel>().unwrap(), UnitLevel::Hamlet);
        assert_eq!("Khu phố".parse::<UnitLevel>().unwrap(), UnitLevel::Hamlet);
        assert!("county".parse::<UnitLevel>().is_err());
    }
}
