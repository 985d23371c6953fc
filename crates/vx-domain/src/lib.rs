//! The vungxanh domain: administrative units, the household and person registry,
//! roles and scopes.
//!
//! This crate is pure: it knows no SQL, no HTTP, no async and does no I/O. Values are
//! parsed into types here once ("parse, don't validate"); every other crate takes the
//! types, never raw strings, for codes, citizen IDs, phones, birth dates and names.

mod access;
pub mod epi;
pub mod field;
mod interchange;
pub mod ops;
mod person;
mod text;
mod unit;

pub use access::{Access, Role, UnknownRole};
pub use interchange::{Located, RowProblem};
pub use person::{
    Birth, BirthError, CitizenId, CitizenIdError, Household, HouseholdCode, HouseholdCodeError,
    IdentityClash, NewHousehold, NewPerson, Person, PersonName, PersonNameError, Phone, PhoneError,
    Relation, Sex, UnknownValue,
};
pub use text::{fold, parse_flag};
pub use unit::{NewUnit, Unit, UnitCode, UnitCodeError, UnitLevel, UnknownLevel};

/// The epidemiological day is the calendar day in Vietnam (UTC+7, no daylight saving).
pub const VN_UTC_OFFSET_SECONDS: i32 = 7 * 3600;

/// Today's date in Vietnam for an instant.
pub fn vn_date(instant: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    let offset = chrono::FixedOffset::east_opt(VN_UTC_OFFSET_SECONDS).expect("valid offset");
    instant.with_timezone(&offset).date_naive()
}
