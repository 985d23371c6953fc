//! DHIS2's aggregate payloads: the Web API's `dataValueSets` JSON and ADX
//! (`application/adx+xml`, IHE QRPH ADX), with codes as identifiers (`idScheme=code`).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::indicators::PeriodFigures;
use crate::mapping::Mapping;
use crate::period::Period;

/// One data value as `POST /api/dataValueSets` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataValue {
    pub data_element: String,
    pub period: String,
    pub org_unit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_option_combo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_option_combo: Option<String>,
    pub value: String,
    /// ADX only: category = option attributes of the value (not sent in JSON).
    #[serde(skip)]
    pub adx: Vec<(String, String)>,
}

/// A set of data values, DHIS2's JSON import and export shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataValueSet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_set: Option<String>,
    pub period: String,
    pub data_values: Vec<DataValue>,
}

/// The values of `figures` (one per unit) over `period` as the mapping names them: units
/// the mapping does not export are left out, and so are values with nothing to report (a
/// level not assessed). In the order of the units, then of the mapping's data elements.
pub fn data_value_set(
    mapping: &Mapping,
    period: Period,
    figures: &[PeriodFigures],
) -> DataValueSet {
    let pe = period.dhis2();
    let mut values = Vec::new();
    for f in figures {
        let Some(org_unit) = mapping.org_unit(&f.unit_code) else {
            continue;
        };
        for e in &mapping.elements {
            if let Some(value) = e.indicator.value(f) {
                values.push(DataValue {
                    data_element: e.code.clone(),
                    period: pe.clone(),
                    org_unit: org_unit.clone(),
                    category_option_combo: e.category_option_combo.clone(),
                    attribute_option_combo: mapping.attribute_option_combo.clone(),
                    value,
                    adx: e.adx.clone(),
                });
            }
        }
    }
    DataValueSet {
        data_set: mapping.data_set.clone(),
        period: pe,
        data_values: values,
    }
}

/// Why a set cannot be written as ADX.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdxError {
    #[error("ADX needs a data set: give `data_set = \"CODE\"` in the mapping")]
    NoDataSet,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The set as an ADX message: one `group` per organisation unit (data set, ISO period),
/// one `dataValue` per value; a disaggregation as category attributes on the value.
pub fn adx(
    set: &DataValueSet,
    period: Period,
    exported: DateTime<Utc>,
) -> Result<String, AdxError> {
    let data_set = set.data_set.as_deref().ok_or(AdxError::NoDataSet)?;
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<adx xmlns=\"urn:ihe:qrph:adx:2015\" exported=\"{}\">",
        exported.format("%Y-%m-%dT%H:%M:%SZ")
    );
    let pe = escape(&period.adx());
    let mut i = 0;
    while i < set.data_values.len() {
        let first = &set.data_values[i];
        let same = |v: &DataValue| {
            v.org_unit == first.org_unit && v.attribute_option_combo == first.attribute_option_combo
        };
        let _ = write!(
            out,
            "  <group orgUnit=\"{}\" period=\"{pe}\" dataSet=\"{}\"",
            escape(&first.org_unit),
            escape(data_set)
        );
        if let Some(aoc) = &first.attribute_option_combo {
            let _ = write!(out, " attributeOptionCombo=\"{}\"", escape(aoc));
        }
        out.push_str(">\n");
        while i < set.data_values.len() && same(&set.data_values[i]) {
            let v = &set.data_values[i];
            let _ = write!(
                out,
                "    <dataValue dataElement=\"{}\"",
                escape(&v.data_element)
            );
            for (cat, opt) in &v.adx {
                let _ = write!(out, " {cat}=\"{}\"", escape(opt));
            }
            let _ = writeln!(out, " value=\"{}\"/>", escape(&v.value));
            i += 1;
        }
        out.push_str("  </group>\n");
    }
    out.push_str("</adx>\n");
    Ok(out)
}

/// The keys DHIS2's `POST /api/dataValueSets` takes on a set and on a value (Web API,
/// "Data values": `DataValueSet`, `DataValue`).
const SET_KEYS: &[&str] = &[
    "dataSet",
    "completeDate",
    "period",
    "orgUnit",
    "attributeOptionCombo",
    "dataValues",
];
const VALUE_KEYS: &[&str] = &[
    "dataElement",
    "period",
    "orgUnit",
    "categoryOptionCombo",
    "attributeOptionCombo",
    "value",
    "storedBy",
    "created",
    "lastUpdated",
    "comment",
    "followup",
];

/// Whether `s` is a DHIS2 period identifier of the kinds vungxanh sends: a day
/// (`20210912`), an ISO week (`2021W37`) or a month (`202109`).
pub fn is_dhis2_period(s: &str) -> bool {
    match Period::parse(s) {
        Ok(p) => p.dhis2() == s,
        Err(_) => false,
    }
}

/// Checks a JSON document against the shape DHIS2's `POST /api/dataValueSets` takes:
/// known keys only, `dataValues` an array of objects with string `dataElement`, `period`
/// (a DHIS2 period), `orgUnit` and `value` (numbers as text), optional combos as strings.
/// Every problem, each naming its place (`dataValues[3].period`). Used by `export dhis2
/// --push` before it sends, and by the tests' stub server.
pub fn check_data_value_set(doc: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    let mut problems = Vec::new();
    let Some(set) = doc.as_object() else {
        return vec!["the document is not a JSON object".to_string()];
    };
    for key in set.keys() {
        if !SET_KEYS.contains(&key.as_str()) {
            problems.push(format!("{key}: not a key of a data value set"));
        }
    }
    for key in ["dataSet", "completeDate", "orgUnit", "attributeOptionCombo"] {
        if set.get(key).is_some_and(|v| !v.is_string()) {
            problems.push(format!("{key}: expected a string"));
        }
    }
    if let Some(pe) = set.get("period") {
        if !pe.as_str().is_some_and(is_dhis2_period) {
            problems.push(format!("period: {pe} is not a DHIS2 period"));
        }
    }
    let Some(values) = set.get("dataValues").and_then(Value::as_array) else {
        problems.push("dataValues: expected an array".to_string());
        return problems;
    };
    for (i, v) in values.iter().enumerate() {
        let at = |key: &str| format!("dataValues[{i}].{key}");
        let Some(v) = v.as_object() else {
            problems.push(format!("dataValues[{i}]: expected an object"));
            continue;
        };
        for key in v.keys() {
            if !VALUE_KEYS.contains(&key.as_str()) {
                problems.push(format!("{}: not a key of a data value", at(key)));
            }
        }
        for key in ["dataElement", "period", "orgUnit", "value"] {
            match v.get(key).and_then(Value::as_str) {
                None => problems.push(format!("{}: required, a string", at(key))),
                Some("") => problems.push(format!("{}: empty", at(key))),
                Some(s) if key == "period" && !is_dhis2_period(s) => {
                    problems.push(format!("{}: {s:?} is not a DHIS2 period", at(key)));
                }
                Some(s) if key == "value" && s.parse::<f64>().is_err() => {
                    problems.push(format!("{}: {s:?} is not a number", at(key)));
                }
                Some(_) => {}
            }
        }
        for key in ["categoryOptionCombo", "attributeOptionCombo"] {
            if v.get(key).is_some_and(|c| !c.is_string()) {
                problems.push(format!("{}: expected a string", at(key)));
            }
        }
    }
    problems
}

/// What a DHIS2 server answered to an import: `ImportSummary` (its `status`, counts and
/// conflicts), bare or inside a `WebMessage`'s `response` (2.38 and later).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub import_count: ImportCount,
    #[serde(default)]
    pub conflicts: Vec<ImportConflict>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct ImportCount {
    #[serde(default)]
    pub imported: u64,
    #[serde(default)]
    pub updated: u64,
    #[serde(default)]
    pub ignored: u64,
    #[serde(default)]
    pub deleted: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ImportConflict {
    #[serde(default)]
    pub object: String,
    #[serde(default)]
    pub value: String,
}

impl ImportSummary {
    /// Reads a server's answer, either shape; `None` when it is neither.
    pub fn from_answer(body: &str) -> Option<ImportSummary> {
        let doc: serde_json::Value = serde_json::from_str(body).ok()?;
        let summary = match doc.get("response") {
            Some(r) if r.get("importCount").is_some() => r.clone(),
            _ if doc.get("importCount").is_some() => doc,
            _ => return None,
        };
        serde_json::from_value(summary).ok()
    }

    /// Whether every value was taken (status SUCCESS, no conflicts, none ignored).
    pub fn is_clean(&self) -> bool {
        self.status == "SUCCESS" && self.conflicts.is_empty() && self.import_count.ignored == 0
    }
}
