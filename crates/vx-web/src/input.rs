//! Raw strings from forms and JSON bodies, parsed into domain types field by field.
//!
//! Both faces share these parsers: the API answers the first problem as `{error, field}`
//! (in English, from the domain's messages), the pages show each problem next to its field
//! in the user's language.

use chrono::NaiveDate;
use vx_domain::{
    parse_flag, Birth, BirthError, CitizenId, CitizenIdError, HouseholdCode, NewHousehold,
    NewPerson, PersonName, Phone, Relation, Sex, UnitCode,
};

use crate::error::{AppError, FieldProblem};
use crate::i18n::T;

/// Search text as typed, trimmed; `None` when empty. Longer than
/// [`vx_store::MAX_SEARCH_CHARS`] characters: refused, with a message naming the limit
/// (nobody types more; a longer `LIKE` pattern is work for nothing, or an error).
pub fn search_text(raw: Option<&str>) -> Result<Option<&str>, AppError> {
    let text = raw.map(str::trim).unwrap_or("");
    let chars = text.chars().count();
    if chars > vx_store::MAX_SEARCH_CHARS {
        return Err(AppError::BadRequest(format!(
            "q: search text is at most {} characters (this one has {chars})",
            vx_store::MAX_SEARCH_CHARS
        )));
    }
    Ok((!text.is_empty()).then_some(text))
}

/// One field at fault: the field's name, the message key for pages, the English detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub key: T,
    pub detail: String,
}

impl FieldError {
    pub fn new(field: &'static str, key: T, detail: impl Into<String>) -> FieldError {
        FieldError {
            field,
            key,
            detail: detail.into(),
        }
    }
}

pub fn problems(errors: &[FieldError]) -> Vec<FieldProblem> {
    errors
        .iter()
        .map(|e| FieldProblem {
            field: e.field.to_string(),
            error: e.detail.clone(),
        })
        .collect()
}

/// The raw fields of a household.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdFields {
    pub code: String,
    pub unit_code: String,
    pub head_name: String,
    pub address: String,
    pub phone: String,
    pub poor: String,
    pub lost_income: String,
}

impl HouseholdFields {
    pub fn from_household(h: &NewHousehold) -> HouseholdFields {
        HouseholdFields {
            code: h.code.to_string(),
            unit_code: h.unit_code.to_string(),
            head_name: h.head_name.to_string(),
            address: h.address.clone(),
            phone: h.phone.as_ref().map(Phone::to_string).unwrap_or_default(),
            poor: flag_text(h.poor),
            lost_income: flag_text(h.lost_income),
        }
    }
}

fn flag_text(b: bool) -> String {
    if b { "1" } else { "" }.to_string()
}

/// The raw fields of a person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonFields {
    pub household_code: String,
    pub full_name: String,
    pub birth: String,
    pub sex: String,
    pub citizen_id: String,
    pub phone: String,
    pub relation: String,
}

impl PersonFields {
    pub fn from_person(p: &NewPerson) -> PersonFields {
        PersonFields {
            household_code: p.household_code.to_string(),
            full_name: p.full_name.to_string(),
            birth: match p.birth {
                Birth::Date(d) => d.format("%d/%m/%Y").to_string(),
                Birth::Year(y) => format!("{y:04}"),
            },
            sex: p.sex.as_str().to_string(),
            citizen_id: p
                .citizen_id
                .as_ref()
                .map(CitizenId::to_string)
                .unwrap_or_default(),
            phone: p.phone.as_ref().map(Phone::to_string).unwrap_or_default(),
            relation: p.relation.as_str().to_string(),
        }
    }
}

fn flag(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> bool {
    match raw.trim().to_ascii_lowercase().as_str() {
        "on" => true,
        "off" => false,
        _ => match parse_flag(raw) {
            Some(b) => b,
            None => {
                errors.push(FieldError::new(
                    field,
                    T::ErrFlag,
                    format!("{raw:?} is not yes or no (có/không, true/false, 1/0)"),
                ));
                false
            }
        },
    }
}

fn phone(raw: &str, errors: &mut Vec<FieldError>) -> Option<Phone> {
    if raw.trim().is_empty() {
        return None;
    }
    match Phone::parse(raw) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(FieldError::new("phone", T::ErrPhone, e.to_string()));
            None
        }
    }
}

fn name(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> Option<PersonName> {
    if raw.trim().is_empty() {
        errors.push(FieldError::new(field, T::ErrRequired, "required"));
        return None;
    }
    match PersonName::parse(raw) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(FieldError::new(field, T::ErrName, e.to_string()));
            None
        }
    }
}

fn household_code(
    field: &'static str,
    raw: &str,
    errors: &mut Vec<FieldError>,
) -> Option<HouseholdCode> {
    if raw.trim().is_empty() {
        errors.push(FieldError::new(field, T::ErrRequired, "required"));
        return None;
    }
    match HouseholdCode::parse(raw) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.push(FieldError::new(field, T::ErrHouseholdCode, e.to_string()));
            None
        }
    }
}

/// Parses a household; every field at fault is reported.
pub fn parse_household(f: &HouseholdFields) -> Result<NewHousehold, Vec<FieldError>> {
    let mut errors = Vec::new();
    let code = household_code("code", &f.code, &mut errors);
    let unit_code = if f.unit_code.trim().is_empty() {
        errors.push(FieldError::new("unit_code", T::ErrRequired, "required"));
        None
    } else {
        match UnitCode::parse(&f.unit_code) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(FieldError::new(
                    "unit_code",
                    T::ErrUnitNotFound,
                    e.to_string(),
                ));
                None
            }
        }
    };
    let head_name = name("head_name", &f.head_name, &mut errors);
    let address = f.address.split_whitespace().collect::<Vec<_>>().join(" ");
    if address.chars().count() > 200 {
        errors.push(FieldError::new(
            "address",
            T::ErrAddress,
            "address must be at most 200 characters",
        ));
    }
    let phone = phone(&f.phone, &mut errors);
    let poor = flag("poor", &f.poor, &mut errors);
    let lost_income = flag("lost_income", &f.lost_income, &mut errors);
    match (code, unit_code, head_name) {
        (Some(code), Some(unit_code), Some(head_name)) if errors.is_empty() => Ok(NewHousehold {
            code,
            unit_code,
            head_name,
            address,
            phone,
            poor,
            lost_income,
        }),
        _ => Err(errors),
    }
}

/// Parses a person (the birth checked against `today`); every field at fault is reported.
pub fn parse_person(f: &PersonFields, today: NaiveDate) -> Result<NewPerson, Vec<FieldError>> {
    let mut errors = Vec::new();
    let household_code = household_code("household_code", &f.household_code, &mut errors);
    let full_name = name("full_name", &f.full_name, &mut errors);
    let birth = if f.birth.trim().is_empty() {
        errors.push(FieldError::new("birth", T::ErrRequired, "required"));
        None
    } else {
        match Birth::parse(&f.birth, today) {
            Ok(b) => Some(b),
            Err(e) => {
                let key = match e {
                    BirthError::Format(_) => T::ErrBirthFormat,
                    BirthError::Future(_) => T::ErrBirthFuture,
                    BirthError::TooOld(_) => T::ErrBirthOld,
                };
                errors.push(FieldError::new("birth", key, e.to_string()));
                None
            }
        }
    };
    let sex = if f.sex.trim().is_empty() {
        errors.push(FieldError::new("sex", T::ErrRequired, "required"));
        None
    } else {
        match Sex::parse(&f.sex) {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(FieldError::new("sex", T::ErrSex, e.to_string()));
                None
            }
        }
    };
    let citizen_id = if f.citizen_id.trim().is_empty() {
        None
    } else {
        match CitizenId::parse(&f.citizen_id) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(FieldError::new(
                    "citizen_id",
                    T::ErrCitizenId,
                    e.to_string(),
                ));
                None
            }
        }
    };
    if let (Some(id), Some(birth), Some(sex)) = (&citizen_id, &birth, sex) {
        if let Err(e) = id.check_against(birth, sex) {
            let key = match e {
                CitizenIdError::YearMismatch { .. } | CitizenIdError::SexMismatch { .. } => {
                    T::ErrCitizenMismatch
                }
                _ => T::ErrCitizenId,
            };
            errors.push(FieldError::new("citizen_id", key, e.to_string()));
        }
    }
    let phone = phone(&f.phone, &mut errors);
    let relation = match Relation::ALL
        .into_iter()
        .find(|r| r.as_str() == f.relation.trim())
        .map(Ok)
        .unwrap_or_else(|| Relation::parse(&f.relation))
    {
        Ok(r) => Some(r),
        Err(e) => {
            errors.push(FieldError::new("relation", T::ErrRelation, e.to_string()));
            None
        }
    };
    match (household_code, full_name, birth, sex, relation) {
        (Some(household_code), Some(full_name), Some(birth), Some(sex), Some(relation))
            if errors.is_empty() =>
        {
            Ok(NewPerson {
                household_code,
                full_name,
                birth,
                sex,
                citizen_id,
                phone,
                relation,
            })
        }
        _ => Err(errors),
    }
}

/// The day a page or call asks for (`YYYY-MM-DD`), or the server's day (`today`, see
/// [`crate::WebConfig::today`]) when absent or blank. A malformed date is 404 (`date`), as
/// an address that names no day.
pub fn day_or_today(raw: Option<&str>, today: NaiveDate) -> Result<NaiveDate, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(today),
        Some(s) => s.parse().map_err(|_| AppError::not_found_field("date")),
    }
}

/// The media type a request names, lower-cased, without its parameters
/// (`Text/CSV; charset=utf-8` → `text/csv`); empty when there is none.
pub fn media_type(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2021, 9, 1).unwrap()
    }

    #[test]
    fn households_parse_or_name_every_field() {
        let ok = HouseholdFields {
            code: "2884601-0001".into(),
            unit_code: "2884601".into(),
            head_name: " Nguyễn  Văn An ".into(),
            address: "Ấp 1".into(),
            phone: "0912 345 678".into(),
            poor: "on".into(),
            lost_income: "".into(),
        };
        let h = parse_household(&ok).unwrap();
        assert_eq!(h.head_name.as_str(), "Nguyễn Văn An");
        assert!(h.poor && !h.lost_income);
        assert_eq!(HouseholdFields::from_household(&h).phone, "+84912345678");
        let bad = HouseholdFields {
            code: "".into(),
            phone: "12".into(),
            poor: "maybe".into(),
            ..ok
        };
        let fields: Vec<_> = parse_household(&bad)
            .unwrap_err()
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["code", "phone", "poor"]);
    }

    #[test]
    fn people_check_the_citizen_id_against_birth_and_sex() {
        let f = PersonFields {
            household_code: "H1".into(),
            full_name: "Trần Thị Bình".into(),
            birth: "07/03/1985".into(),
            sex: "nữ".into(),
            citizen_id: "083185001234".into(),
            phone: "".into(),
            relation: "chủ hộ".into(),
        };
        let p = parse_person(&f, today()).unwrap();
        assert_eq!(PersonFields::from_person(&p).birth, "07/03/1985");
        let wrong = PersonFields {
            sex: "nam".into(),
            ..f.clone()
        };
        let e = parse_person(&wrong, today()).unwrap_err();
        assert_eq!(e[0].field, "citizen_id");
        assert_eq!(e[0].key, T::ErrCitizenMismatch);
        let future = PersonFields {
            birth: "2030".into(),
            ..f
        };
        assert_eq!(
            parse_person(&future, today()).unwrap_err()[0].field,
            "birth"
        );
    }
}
