//! Field work offline (issue 18, `docs/field.md`): the records a hamlet team makes on a
//! phone — a quarantine check, a household visit — and the field-by-field merge of an edit
//! made offline on an older version of a check.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::{fold, UnknownValue};

/// A body temperature in tenths of a degree Celsius, 34.0–43.0 °C (outside: a typing slip).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Temperature(u16);

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("temperature {0} °C: expected 34.0 to 43.0")]
pub struct TemperatureError(pub f64);

impl Temperature {
    pub const MIN_TENTHS: u16 = 340;
    pub const MAX_TENTHS: u16 = 430;

    pub fn from_celsius(c: f64) -> Result<Temperature, TemperatureError> {
        let tenths = (c * 10.0).round();
        if !c.is_finite()
            || tenths < f64::from(Self::MIN_TENTHS)
            || tenths > f64::from(Self::MAX_TENTHS)
        {
            return Err(TemperatureError(c));
        }
        Ok(Temperature(tenths as u16))
    }
    pub fn from_tenths(t: i64) -> Result<Temperature, TemperatureError> {
        match u16::try_from(t) {
            Ok(v) if (Self::MIN_TENTHS..=Self::MAX_TENTHS).contains(&v) => Ok(Temperature(v)),
            _ => Err(TemperatureError(t as f64 / 10.0)),
        }
    }
    pub fn tenths(self) -> u16 {
        self.0
    }
    pub fn celsius(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl fmt::Display for Temperature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

impl Serialize for Temperature {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.celsius())
    }
}

impl<'de> Deserialize<'de> for Temperature {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let c = f64::deserialize(d)?;
        Temperature::from_celsius(c).map_err(serde::de::Error::custom)
    }
}

/// The longest symptoms text a check keeps.
pub const SYMPTOMS_MAX: usize = 200;
/// The longest note of a visit.
pub const NOTE_MAX: usize = 500;

/// What a team writes at a quarantined person's door: the fields a phone may edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckFields {
    pub temperature: Option<Temperature>,
    /// As told ("sốt, ho"); empty when none.
    pub symptoms: String,
    /// Whether the person was at home.
    pub present: bool,
}

impl CheckFields {
    pub const NAMES: [&'static str; 3] = ["temperature", "symptoms", "present"];

    /// Trims the symptoms and checks their length.
    pub fn parse(self) -> Result<CheckFields, String> {
        let symptoms = self.symptoms.trim().to_string();
        if symptoms.chars().count() > SYMPTOMS_MAX {
            return Err(format!("symptoms: at most {SYMPTOMS_MAX} characters"));
        }
        Ok(CheckFields { symptoms, ..self })
    }
}

/// The day's check of a quarantined F1/F2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCheck {
    pub contact_id: i64,
    pub day: NaiveDate,
    #[serde(flatten)]
    pub fields: CheckFields,
}

crate::epi::word_enum!(
    /// How a household visit went: someone of the household was met, nobody was at home,
    /// or the household refused the visit.
    VisitOutcome, "met, absent, refused", {
        Met => "met",
        Absent => "absent",
        Refused => "refused",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewVisit {
    pub household_id: i64,
    pub day: NaiveDate,
    pub outcome: VisitOutcome,
    pub note: String,
}

/// The outcome of merging an edit made on `base` with the server's `theirs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merge {
    /// The fields to store; `taken` names the server's changes kept beside the phone's.
    Apply {
        fields: CheckFields,
        taken: Vec<&'static str>,
    },
    /// Fields changed on both sides to different values: nothing is applied.
    Conflict(Vec<&'static str>),
}

/// Three-way merge, field by field: a field only the phone changed takes the phone's
/// value, one only the server changed keeps the server's, one both changed to the same
/// value is that value, and one both changed to different values is a conflict.
pub fn merge_check(base: &CheckFields, mine: &CheckFields, theirs: &CheckFields) -> Merge {
    let mut conflicts = Vec::new();
    let mut taken = Vec::new();
    fn pick<T: PartialEq + Clone>(
        name: &'static str,
        base: &T,
        mine: &T,
        theirs: &T,
        conflicts: &mut Vec<&'static str>,
        taken: &mut Vec<&'static str>,
    ) -> T {
        let (i_changed, they_changed) = (mine != base, theirs != base);
        if i_changed && they_changed && mine != theirs {
            conflicts.push(name);
        }
        if i_changed {
            mine.clone()
        } else {
            if they_changed {
                taken.push(name);
            }
            theirs.clone()
        }
    }
    let fields = CheckFields {
        temperature: pick(
            "temperature",
            &base.temperature,
            &mine.temperature,
            &theirs.temperature,
            &mut conflicts,
            &mut taken,
        ),
        symptoms: pick(
            "symptoms",
            &base.symptoms,
            &mine.symptoms,
            &theirs.symptoms,
            &mut conflicts,
            &mut taken,
        ),
        present: pick(
            "present",
            &base.present,
            &mine.present,
            &theirs.present,
            &mut conflicts,
            &mut taken,
        ),
    };
    if conflicts.is_empty() {
        Merge::Apply { fields, taken }
    } else {
        Merge::Conflict(conflicts)
    }
}

/// A new check for a day that has one already (two teams checked the same person): the
/// same values are one check; each field that differs is a conflict.
pub fn merge_new(current: &CheckFields, mine: &CheckFields) -> Merge {
    let mut fields = Vec::new();
    if current.temperature != mine.temperature {
        fields.push("temperature");
    }
    if current.symptoms != mine.symptoms {
        fields.push("symptoms");
    }
    if current.present != mine.present {
        fields.push("present");
    }
    if fields.is_empty() {
        Merge::Apply {
            fields: mine.clone(),
            taken: vec![],
        }
    } else {
        Merge::Conflict(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(t: Option<u16>, s: &str, p: bool) -> CheckFields {
        CheckFields {
            temperature: t.map(Temperature),
            symptoms: s.into(),
            present: p,
        }
    }

    #[test]
    fn merges_field_by_field() {
        let base = c(Some(368), "", true);
        let check = |mine: CheckFields, theirs: CheckFields, want: Merge| {
            assert_eq!(
                merge_check(&base, &mine, &theirs),
                want,
                "{mine:?} / {theirs:?}"
            );
        };
        // Nobody else changed it: the phone's edit.
        check(
            c(Some(375), "", true),
            base.clone(),
            Merge::Apply {
                fields: c(Some(375), "", true),
                taken: vec![],
            },
        );
        // Different fields on each side: both kept.
        check(
            c(Some(375), "", true),
            c(Some(368), "ho", true),
            Merge::Apply {
                fields: c(Some(375), "ho", true),
                taken: vec!["symptoms"],
            },
        );
        // The same change on both sides is no conflict.
        check(
            c(Some(368), "sốt", true),
            c(Some(368), "sốt", false),
            Merge::Apply {
                fields: c(Some(368), "sốt", false),
                taken: vec!["present"],
            },
        );
        // The same field to different values.
        check(
            c(Some(368), "ho", true),
            c(Some(390), "sốt", true),
            Merge::Conflict(vec!["symptoms"]),
        );
        check(
            c(None, "ho", false),
            c(Some(390), "sốt", true),
            // `present` changed on the phone only: not a conflict.
            Merge::Conflict(vec!["temperature", "symptoms"]),
        );
    }

    #[test]
    fn temperatures_are_read_in_celsius_within_bounds() {
        assert_eq!(Temperature::from_celsius(36.8).unwrap().tenths(), 368);
        assert_eq!(Temperature::from_celsius(34.0).unwrap().to_string(), "34.0");
        assert!(Temperature::from_celsius(33.9).is_err());
        assert!(Temperature::from_celsius(43.1).is_err());
        assert!(Temperature::from_celsius(f64::NAN).is_err());
        assert!(Temperature::from_tenths(431).is_err());
        let t: Temperature = serde_json::from_str("37.25").unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), "37.3");
    }

    fn fields() -> impl Strategy<Value = CheckFields> {
        (
            proptest::option::of(340u16..=430),
            "[a-c]{0,2}",
            any::<bool>(),
        )
            .prop_map(|(t, s, p)| CheckFields {
                temperature: t.map(Temperature),
                symptoms: s,
                present: p,
            })
    }

    proptest! {
        /// Nothing is lost: an applied merge holds every change of the phone and every
        /// change of the server; a conflict is named only where both changed differently.
        #[test]
        fn a_merge_keeps_every_change_or_names_the_conflict(base in fields(), mine in fields(), theirs in fields()) {
            match merge_check(&base, &mine, &theirs) {
                Merge::Apply { fields, .. } => {
                    if mine.temperature != base.temperature { prop_assert_eq!(fields.temperature, mine.temperature); }
                    else { prop_assert_eq!(fields.temperature, theirs.temperature); }
                    if mine.symptoms != base.symptoms { prop_assert_eq!(&fields.symptoms, &mine.symptoms); }
                    else { prop_assert_eq!(&fields.symptoms, &theirs.symptoms); }
                    if mine.present != base.present { prop_assert_eq!(fields.present, mine.present); }
                    else { prop_assert_eq!(fields.present, theirs.present); }
                }
                Merge::Conflict(names) => {
                    prop_assert!(!names.is_empty());
                    for n in names {
                        let both = match n {
                            "temperature" => mine.temperature != base.temperature && theirs.temperature != base.temperature && mine.temperature != theirs.temperature,
                            "symptoms" => mine.symptoms != base.symptoms && theirs.symptoms != base.symptoms && mine.symptoms != theirs.symptoms,
                            _ => mine.present != base.present && theirs.present != base.present && mine.present != theirs.present,
                        };
                        prop_assert!(both, "{} named without a conflict", n);
                    }
                }
            }
        }

        /// A phone that edits the server's current version never conflicts.
        #[test]
        fn an_edit_of_the_current_version_applies(base in fields(), mine in fields()) {
            prop_assert_eq!(merge_check(&base, &mine, &base), Merge::Apply { fields: mine.clone(), taken: vec![] });
        }
    }
}
