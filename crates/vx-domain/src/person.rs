//! The registry: households and people, and the value types their fields parse into.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::{fold, UnitCode};

/// A value that is not one of the accepted words, with what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not one of: {expected}")]
pub struct UnknownValue {
    pub value: String,
    pub expected: &'static str,
}

// ---------------------------------------------------------------------------------------
// Citizen IDs

/// A citizen ID: the 12-digit CCCD, or the older 9-digit CMND.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum CitizenId {
    Cccd(String),
    Cmnd(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CitizenIdError {
    #[error("citizen ID {0:?} must be 12 digits (CCCD) or 9 digits (CMND)")]
    Length(String),
    #[error("CCCD {0:?} starts with province code {1:03}, which does not exist (001–096)")]
    Province(String, u32),
    #[error("CCCD {id:?} says born in {id_year} but the birth is {birth_year}")]
    YearMismatch {
        id: String,
        id_year: i32,
        birth_year: i32,
    },
    #[error("CCCD {id:?} says {id_sex} but the sex is {sex}")]
    SexMismatch {
        id: String,
        id_sex: &'static str,
        sex: &'static str,
    },
}

impl CitizenId {
    pub fn parse(s: &str) -> Result<Self, CitizenIdError> {
        let digits: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.')
            .collect();
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CitizenIdError::Length(s.to_string()));
        }
        match digits.len() {
            12 => {
                let province: u32 = digits[..3].parse().expect("digits");
                if !(1..=96).contains(&province) {
                    return Err(CitizenIdError::Province(digits, province));
                }
                Ok(CitizenId::Cccd(digits))
            }
            9 => Ok(CitizenId::Cmnd(digits)),
            _ => Err(CitizenIdError::Length(s.to_string())),
        }
    }
    pub fn as_str(&self) -> &str {
        match self {
            CitizenId::Cccd(s) | CitizenId::Cmnd(s) => s,
        }
    }
    /// The CCCD's fourth digit encodes century and sex, the next two the birth year:
    /// check them against the person's birth and sex. A CMND carries neither.
    pub fn check_against(&self, birth: &Birth, sex: Sex) -> Result<(), CitizenIdError> {
        let CitizenId::Cccd(id) = self else {
            return Ok(());
        };
        let b = id.as_bytes();
        let code = i32::from(b[3] - b'0');
        let yy = i32::from(b[4] - b'0') * 10 + i32::from(b[5] - b'0');
        let century = 1900 + (code / 2) * 100;
        let id_year = century + yy;
        if id_year != birth.year() {
            return Err(CitizenIdError::YearMismatch {
                id: id.clone(),
                id_year,
                birth_year: birth.year(),
            });
        }
        let id_sex = if code % 2 == 0 {
            Sex::Male
        } else {
            Sex::Female
        };
        if id_sex != sex {
            return Err(CitizenIdError::SexMismatch {
                id: id.clone(),
                id_sex: id_sex.as_str(),
                sex: sex.as_str(),
            });
        }
        Ok(())
    }
}
impl TryFrom<String> for CitizenId {
    type Error = CitizenIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<CitizenId> for String {
    fn from(c: CitizenId) -> String {
        match c {
            CitizenId::Cccd(s) | CitizenId::Cmnd(s) => s,
        }
    }
}
impl fmt::Display for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------
// Phones

/// A Vietnamese phone number in E.164 form, "+84912345678". Parsing accepts what people
/// write ("0912 345 678", "84-912-345-678", "(+84) 912.345.678") and maps the 11-digit
/// mobile numbers retired in 2018 (0162…, 0120…) to their new prefixes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("phone {0:?} is not a Vietnamese number (0xxxxxxxxx or +84xxxxxxxxx)")]
pub struct PhoneError(pub String);

/// Old 4-digit mobile prefixes (after the leading 0) and their replacements (2018).
const OLD_MOBILE_PREFIXES: &[(&str, &str)] = &[
    ("162", "32"),
    ("163", "33"),
    ("164", "34"),
    ("165", "35"),
    ("166", "36"),
    ("167", "37"),
    ("168", "38"),
    ("169", "39"),
    ("120", "70"),
    ("121", "79"),
    ("122", "77"),
    ("126", "76"),
    ("128", "78"),
    ("123", "83"),
    ("124", "84"),
    ("125", "85"),
    ("127", "81"),
    ("129", "82"),
    ("186", "56"),
    ("188", "58"),
    ("199", "59"),
];

impl Phone {
    pub fn parse(s: &str) -> Result<Self, PhoneError> {
        let err = || PhoneError(s.to_string());
        let mut digits = String::with_capacity(12);
        for (i, c) in s.trim().chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 || s.trim().starts_with("(+") => {}
                ' ' | '.' | '-' | '(' | ')' => {}
                _ => return Err(err()),
            }
        }
        // National significant number, without 0 or 84.
        let nsn = if let Some(rest) = digits.strip_prefix("84").filter(|r| r.len() >= 9) {
            rest
        } else if let Some(rest) = digits.strip_prefix('0') {
            rest
        } else {
            return Err(err());
        };
        let nsn = if nsn.len() == 10 && nsn.starts_with('1') {
            let (old, new) = OLD_MOBILE_PREFIXES
                .iter()
                .find(|(old, _)| nsn.starts_with(old))
                .ok_or_else(err)?;
            format!("{new}{}", &nsn[old.len()..])
        } else {
            nsn.to_string()
        };
        let ok = match nsn.as_bytes().first() {
            // Mobiles: 9 digits after the 0.
            Some(b'3' | b'5' | b'7' | b'8' | b'9') => nsn.len() == 9,
            // Landlines: area code 2xx then 7 digits.
            Some(b'2') => nsn.len() == 10,
            _ => false,
        };
        if !ok {
            return Err(err());
        }
        Ok(Phone(format!("+84{nsn}")))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}
impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------------------
// Birth

/// A birth: the full date, or only the year (common for the elderly in registries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Birth {
    Date(NaiveDate),
    Year(i32),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BirthError {
    #[error("birth {0:?} is not a date (YYYY-MM-DD, DD/MM/YYYY) or a year (YYYY)")]
    Format(String),
    #[error("birth {0} is in the future")]
    Future(String),
    #[error("birth {0} is more than 120 years ago")]
    TooOld(String),
}

impl Birth {
    /// Parses "1985-03-07", "07/03/1985", "7/3/1985", "07-03-1985" or "1985", and checks
    /// that it is not after `today` nor more than 120 years before it.
    pub fn parse(s: &str, today: NaiveDate) -> Result<Self, BirthError> {
        let birth = Birth::parse_form(s)?;
        let too_late = match birth {
            Birth::Date(d) => d > today,
            Birth::Year(y) => y > today.year(),
        };
        if too_late {
            return Err(BirthError::Future(birth.to_string()));
        }
        if today.year() - birth.year() > 120 {
            return Err(BirthError::TooOld(birth.to_string()));
        }
        Ok(birth)
    }
    /// The form alone, without the range checks (for stored values). A time of day after
    /// the date (a spreadsheet's date-time cell: "1977-07-07 13:45:00") is dropped.
    fn parse_form(s: &str) -> Result<Self, BirthError> {
        let mut t = s.trim();
        if let Some((date, time)) = t.split_once([' ', 'T']) {
            let time = time.trim();
            let is_time = ["%H:%M:%S", "%H:%M", "%H:%M:%S%.f"]
                .iter()
                .any(|f| chrono::NaiveTime::parse_from_str(time, f).is_ok());
            if is_time {
                t = date.trim();
            }
        }
        Ok(if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
            Birth::Year(t.parse().expect("digits"))
        } else {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%Y"))
                .or_else(|_| NaiveDate::parse_from_str(t, "%d-%m-%Y"))
                .or_else(|_| NaiveDate::parse_from_str(t, "%d.%m.%Y"))
                .map(Birth::Date)
                .map_err(|_| BirthError::Format(s.to_string()))?
        })
    }
    pub fn year(&self) -> i32 {
        match self {
            Birth::Date(d) => d.year(),
            Birth::Year(y) => *y,
        }
    }
    /// Age in whole years on `day`; with only a year, the age reached during that year.
    pub fn age_on(&self, day: NaiveDate) -> i32 {
        match self {
            Birth::Date(d) => {
                let mut age = day.year() - d.year();
                if (day.month(), day.day()) < (d.month(), d.day()) {
                    age -= 1;
                }
                age
            }
            Birth::Year(y) => day.year() - y,
        }
    }
}
impl fmt::Display for Birth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Birth::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Birth::Year(y) => write!(f, "{y:04}"),
        }
    }
}
impl Serialize for Birth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for Birth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Birth::parse_form(&s).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------
// Sex and relation

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn parse(s: &str) -> Result<Self, UnknownValue> {
        match fold(s).as_str() {
            "nam" | "male" | "m" | "trai" => Ok(Sex::Male),
            "nu" | "female" | "f" | "gai" => Ok(Sex::Female),
            _ => Err(UnknownValue {
                value: s.to_string(),
                expected: "nam, nữ (male, female)",
            }),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
    pub fn name_vi(self) -> &'static str {
        match self {
            Sex::Male => "Nam",
            Sex::Female => "Nữ",
        }
    }
}

/// Relation to the head of household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    Head,
    Spouse,
    Child,
    Parent,
    Grandchild,
    Other,
}

impl Relation {
    pub const ALL: [Relation; 6] = [
        Relation::Head,
        Relation::Spouse,
        Relation::Child,
        Relation::Parent,
        Relation::Grandchild,
        Relation::Other,
    ];
    pub fn parse(s: &str) -> Result<Self, UnknownValue> {
        let f = fold(s).replace('-', " ");
        Ok(match f.as_str() {
            "" | "khac" | "other" => Relation::Other,
            "chu ho" | "head" => Relation::Head,
            "vo" | "chong" | "spouse" | "wife" | "husband" => Relation::Spouse,
            "con" | "child" | "con trai" | "con gai" | "con de" | "con nuoi" => Relation::Child,
            "cha" | "me" | "bo" | "parent" | "father" | "mother" | "ong" | "ba" => Relation::Parent,
            "chau" | "grandchild" | "chau noi" | "chau ngoai" => Relation::Grandchild,
            _ => {
                return Err(UnknownValue {
                    value: s.to_string(),
                    expected: "chủ hộ, vợ, chồng, con, cha, mẹ, cháu, khác",
                })
            }
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Head => "head",
            Relation::Spouse => "spouse",
            Relation::Child => "child",
            Relation::Parent => "parent",
            Relation::Grandchild => "grandchild",
            Relation::Other => "other",
        }
    }
    pub fn name_vi(self) -> &'static str {
        match self {
            Relation::Head => "Chủ hộ",
            Relation::Spouse => "Vợ/Chồng",
            Relation::Child => "Con",
            Relation::Parent => "Cha/Mẹ",
            Relation::Grandchild => "Cháu",
            Relation::Other => "Khác",
        }
    }
}

// ---------------------------------------------------------------------------------------
// Names and codes

/// A person's full name: NFC, trimmed, single spaces, 1–100 characters; no digits, no
/// control characters, none of `< > = " ;`, and not starting with `+ - @` (a spreadsheet
/// would take it for a formula).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "name {0:?} must be 1 to 100 characters, without digits or any of < > = \" ; and not \
     starting with + - @"
)]
pub struct PersonNameError(pub String);

impl PersonName {
    pub fn parse(s: &str) -> Result<Self, PersonNameError> {
        let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
        let name: String = joined.nfc().collect();
        let len = name.chars().count();
        let refused = len == 0
            || len > 100
            || name.starts_with(['+', '-', '@'])
            || name
                .chars()
                .any(|c| c.is_ascii_digit() || c.is_control() || "<>=\";".contains(c));
        if refused {
            return Err(PersonNameError(s.to_string()));
        }
        Ok(PersonName(name))
    }
    /// A name read back from the database, as it was stored (names stored before the
    /// current rules stay readable).
    pub fn from_stored(s: &str) -> PersonName {
        PersonName(s.to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn folded(&self) -> String {
        fold(&self.0)
    }
}
impl TryFrom<String> for PersonName {
    type Error = PersonNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<PersonName> for String {
    fn from(n: PersonName) -> String {
        n.0
    }
}
impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A household's code, unique in the installation (e.g. "2884601-0012"): 1–32 letters,
/// digits, '-', '_', '/', '.'.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HouseholdCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("household code {0:?} must be 1 to 32 letters, digits, '-', '_', '/' or '.'")]
pub struct HouseholdCodeError(pub String);

impl HouseholdCode {
    pub fn parse(s: &str) -> Result<Self, HouseholdCodeError> {
        let t = s.trim();
        let ok = !t.is_empty()
            && t.len() <= 32
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/' | b'.'));
        if ok {
            Ok(HouseholdCode(t.to_string()))
        } else {
            Err(HouseholdCodeError(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for HouseholdCode {
    type Error = HouseholdCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<HouseholdCode> for String {
    fn from(c: HouseholdCode) -> String {
        c.0
    }
}
impl fmt::Display for HouseholdCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------------------
// Records

/// A household as written by a user or an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewHousehold {
    pub code: HouseholdCode,
    pub unit_code: UnitCode,
    pub head_name: PersonName,
    pub address: String,
    pub phone: Option<Phone>,
    pub poor: bool,
    pub lost_income: bool,
}

/// A stored household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    pub id: i64,
    #[serde(flatten)]
    pub data: NewHousehold,
    pub unit_id: i64,
    pub active: bool,
    pub members: i64,
}

/// A person as written by a user or an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPerson {
    pub household_code: HouseholdCode,
    pub full_name: PersonName,
    pub birth: Birth,
    pub sex: Sex,
    pub citizen_id: Option<CitizenId>,
    pub phone: Option<Phone>,
    pub relation: Relation,
}

impl NewPerson {
    /// The key that makes imports idempotent: the citizen ID when known, otherwise the
    /// household, the folded name and the birth.
    pub fn natural_key(&self) -> String {
        match &self.citizen_id {
            Some(id) => format!("id:{id}"),
            None => format!(
                "hh:{}|{}|{}",
                self.household_code,
                self.full_name.folded(),
                self.birth
            ),
        }
    }
}

/// Why a row that names a stored person (by its citizen ID) may not be applied to it: the
/// row describes someone else. See `docs/registry.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityClash {
    /// The names differ once diacritics, case and spaces are folded.
    Name,
    /// The births differ: two dates, or two years, or a date and a year of another year.
    Birth,
}

impl Birth {
    /// Whether two births may be the same person's: equal, or a date and a bare year of
    /// the same year.
    pub fn agrees_with(&self, other: &Birth) -> bool {
        match (self, other) {
            (Birth::Date(a), Birth::Date(b)) => a == b,
            _ => self.year() == other.year(),
        }
    }
}

impl NewPerson {
    /// Whether this row may describe the stored person `stored`: same folded name and
    /// agreeing births. The household is for the caller to compare (a move).
    pub fn identity_clash(&self, stored: &NewPerson) -> Option<IdentityClash> {
        if self.full_name.folded() != stored.full_name.folded() {
            Some(IdentityClash::Name)
        } else if !self.birth.agrees_with(&stored.birth) {
            Some(IdentityClash::Birth)
        } else {
            None
        }
    }

    /// This row applied onto the stored person: the optional fields in `kept` (canonical
    /// column names a file did not give: `citizen_id`, `phone`, `relation`) keep their
    /// stored values, and a full birth date is never replaced by a bare year of the same
    /// year.
    pub fn applied_to(&self, stored: &NewPerson, kept: &[&str]) -> NewPerson {
        let mut out = self.clone();
        for column in kept {
            match *column {
                "citizen_id" => out.citizen_id = stored.citizen_id.clone(),
                "phone" => out.phone = stored.phone.clone(),
                "relation" => out.relation = stored.relation,
                _ => {}
            }
        }
        if let (Birth::Date(_), Birth::Year(y)) = (stored.birth, self.birth) {
            if y == stored.birth.year() {
                out.birth = stored.birth;
            }
        }
        out
    }
}

impl NewHousehold {
    /// This row applied onto the stored household: the optional fields in `kept`
    /// (`address`, `phone`, `poor`, `lost_income`) keep their stored values.
    pub fn applied_to(&self, stored: &NewHousehold, kept: &[&str]) -> NewHousehold {
        let mut out = self.clone();
        for column in kept {
            match *column {
                "address" => out.address = stored.address.clone(),
                "phone" => out.phone = stored.phone.clone(),
                "poor" => out.poor = stored.poor,
                "lost_income" => out.lost_income = stored.lost_income,
                _ => {}
            }
        }
        out
    }
}

/// A stored person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    #[serde(flatten)]
    pub data: NewPerson,
    pub household_id: i64,
    pub unit_id: i64,
    pub unit_code: UnitCode,
    pub active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn phones_normalise_to_e164() {
        let check = |input: &str, expected: Option<&str>| {
            assert_eq!(
                Phone::parse(input).ok().as_ref().map(Phone::as_str),
                expected,
                "{input:?}"
            )
        };
        check("0912345678", Some("+84912345678"));
        check("0912 345 678", Some("+84912345678"));
        check("+84 912.345.678", Some("+84912345678"));
        check("(+84) 912-345-678", Some("+84912345678"));
        check("84912345678", Some("+84912345678"));
        check("01628123456", Some("+84328123456"));
        check("0275 3822 123", Some("+842753822123"));
        check("091234567", None);
        check("0112345678", None);
        check("12345", None);
        check("09123x5678", None);
    }

    #[test]
    fn citizen_ids() {
        assert!(matches!(
            CitizenId::parse("083 085 001 234"),
            Ok(CitizenId::Cccd(_))
        ));
        assert!(matches!(
            CitizenId::parse("321456789"),
            Ok(CitizenId::Cmnd(_))
        ));
        assert!(CitizenId::parse("12345").is_err());
        assert!(CitizenId::parse("097085001234").is_err());
        let id = CitizenId::parse("083185001234").unwrap();
        assert!(id.check_against(&Birth::Year(1985), Sex::Female).is_ok());
        assert!(id.check_against(&Birth::Year(1985), Sex::Male).is_err());
        assert!(id.check_against(&Birth::Year(1986), Sex::Female).is_err());
        let young = CitizenId::parse("083305001234").unwrap();
        assert!(young
            .check_against(&Birth::Date(d("2005-02-01")), Sex::Female)
            .is_ok());
    }

    #[test]
    fn births() {
        let today = d("2021-09-01");
        assert_eq!(
            Birth::parse("07/03/1985", today),
            Ok(Birth::Date(d("1985-03-07")))
        );
        assert_eq!(Birth::parse("1940", today), Ok(Birth::Year(1940)));
        for with_time in [
            "1977-07-07 13:45:00",
            "1977-07-07T00:00:00",
            "07/07/1977 13:45",
        ] {
            assert_eq!(
                Birth::parse(with_time, today),
                Ok(Birth::Date(d("1977-07-07"))),
                "{with_time}"
            );
        }
        assert!(Birth::parse("1977-07-07 lunch", today).is_err());
        assert!(matches!(
            Birth::parse("2022-01-01", today),
            Err(BirthError::Future(_))
        ));
        assert!(matches!(
            Birth::parse("1890", today),
            Err(BirthError::TooOld(_))
        ));
        assert!(matches!(
            Birth::parse("31/02/1990", today),
            Err(BirthError::Format(_))
        ));
        assert_eq!(Birth::Date(d("1985-09-02")).age_on(today), 35);
        assert_eq!(Birth::Date(d("1985-09-01")).age_on(today), 36);
    }

    #[test]
    fn rows_apply_onto_stored_people_without_erasing() {
        let today = d("2021-09-01");
        let stored = NewPerson {
            household_code: HouseholdCode::parse("2880101-0001").unwrap(),
            full_name: PersonName::parse("Phan Văn Vĩnh").unwrap(),
            birth: Birth::parse("1958-10-03", today).unwrap(),
            sex: Sex::Male,
            citizen_id: Some(CitizenId::parse("083058250640").unwrap()),
            phone: Some(Phone::parse("0912345678").unwrap()),
            relation: Relation::Head,
        };
        let mut row = stored.clone();
        row.full_name = PersonName::parse("PHAN VAN VINH").unwrap();
        row.birth = Birth::Year(1958);
        row.phone = None;
        row.relation = Relation::Other;
        assert_eq!(row.identity_clash(&stored), None);
        let applied = row.applied_to(&stored, &["phone", "relation"]);
        assert_eq!(applied.birth, stored.birth, "a date is not cut to its year");
        assert_eq!(applied.phone, stored.phone);
        assert_eq!(applied.relation, Relation::Head);
        assert_eq!(applied.full_name.as_str(), "PHAN VAN VINH");
        let cleared = row.applied_to(&stored, &[]);
        assert_eq!((cleared.phone, cleared.relation), (None, Relation::Other));
        // A year of another year, or another name, is someone else.
        row.birth = Birth::Year(1959);
        assert_eq!(row.identity_clash(&stored), Some(IdentityClash::Birth));
        assert_eq!(row.applied_to(&stored, &[]).birth, Birth::Year(1959));
        row.birth = Birth::Year(1958);
        row.full_name = PersonName::parse("Lê Văn Khác").unwrap();
        assert_eq!(row.identity_clash(&stored), Some(IdentityClash::Name));
        assert!(!Birth::Date(d("1958-10-03")).agrees_with(&Birth::Date(d("1958-10-04"))));
    }

    #[test]
    fn names_and_relations() {
        assert_eq!(
            PersonName::parse("  Nguyễn   Văn  An ").unwrap().as_str(),
            "Nguyễn Văn An"
        );
        assert!(PersonName::parse("Nguyen 2").is_err());
        for hostile in [
            "=HYPERLINK(\"http://evil\",\"x\")",
            "+Nguyễn",
            "-An",
            "@An",
            "An <b>",
            "An; Bình",
            "An \"Bé\"",
            "A=B",
        ] {
            let e = PersonName::parse(hostile).unwrap_err().to_string();
            assert!(
                e.contains("< > = \" ;") && e.contains("+ - @"),
                "{hostile}: {e}"
            );
        }
        for fine in [
            "Nguyễn Thị Ánh-Tuyết",
            "H'Hen Niê",
            "Ông Văn (Tư)",
            "Lê Văn A/B",
        ] {
            assert!(PersonName::parse(fine).is_ok(), "{fine}");
        }
        assert_eq!(Relation::parse("Chủ hộ").unwrap(), Relation::Head);
        assert_eq!(Relation::parse("chu-ho").unwrap(), Relation::Head);
        assert_eq!(Relation::parse("Vợ").unwrap(), Relation::Spouse);
        assert_eq!(Sex::parse("Nữ").unwrap(), Sex::Female);
    }
}
