//! The mapping file: which vungxanh indicator is which DHIS2 data element, and which unit
//! is which organisation unit. TOML, checked like rule sets: every problem is reported with
//! file, line and field, and nothing is exported from a file with a problem.
//!
//! ```toml
//! data_set = "VX_COVID"                  # ADX needs it; dataValueSets carry it
//! attribute_option_combo = "HllvX50cXC0" # optional, on every value
//! org_units_default = "own-code"         # or "listed" (the default): only [org_units]
//!
//! [org_units]                            # vungxanh unit code = DHIS2 org unit code
//! "831" = "BT_CHAU_THANH"
//!
//! [data_elements]                        # indicator = data element code, or a table
//! community_cases = "VX_CASES_COMMUNITY"
//! quarantine_cases = { code = "VX_CASES", category_option_combo = "QUARANTINE", adx = { SOURCE = "QUARANTINE" } }
//! ```

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::ops::Range;

use toml_edit::{ImDocument, Item, TableLike, Value};

use crate::indicators::Indicator;

/// The largest mapping file read.
pub const MAX_MAPPING_BYTES: usize = 1 << 20;
/// ADX's own attributes of a `dataValue`: not category codes.
const ADX_RESERVED: &[&str] = &["dataElement", "value", "orgUnit", "period", "dataSet"];
/// DHIS2 codes are at most 50 characters.
pub const MAX_CODE_CHARS: usize = 50;

/// One indicator's data element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementMap {
    pub indicator: Indicator,
    pub code: String,
    pub category_option_combo: Option<String>,
    /// ADX carries a disaggregation as category attributes on the value (category code =
    /// option code), not as a combination.
    pub adx: Vec<(String, String)>,
}

/// A checked mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub data_set: Option<String>,
    pub attribute_option_combo: Option<String>,
    /// Units not listed in `org_units` are exported under their own code (`own-code`), or
    /// not at all (`listed`).
    pub own_codes: bool,
    pub org_units: BTreeMap<String, String>,
    pub elements: Vec<ElementMap>,
}

impl Mapping {
    /// The DHIS2 organisation unit of a vungxanh unit, if it is exported.
    pub fn org_unit(&self, unit_code: &str) -> Option<String> {
        match self.org_units.get(unit_code) {
            Some(c) => Some(c.clone()),
            None if self.own_codes => Some(unit_code.to_string()),
            None => None,
        }
    }

    /// Every indicator under its vungxanh name, every unit under its own code: what the
    /// server exports when it was given no mapping file.
    pub fn identity(data_set: &str) -> Mapping {
        Mapping {
            data_set: Some(data_set.to_string()),
            attribute_option_combo: None,
            own_codes: true,
            org_units: BTreeMap::new(),
            elements: Indicator::ALL
                .iter()
                .map(|&indicator| ElementMap {
                    indicator,
                    code: format!("VX_{}", indicator.name().to_ascii_uppercase()),
                    category_option_combo: None,
                    adx: Vec::new(),
                })
                .collect(),
        }
    }
}

/// One problem in a mapping file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingProblem {
    pub line: usize,
    pub field: String,
    pub message: String,
}

/// Every problem of a mapping file; displays one per line as `FILE:LINE: FIELD: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct MappingError {
    pub source_name: String,
    pub problems: Vec<MappingProblem>,
}

impl fmt::Display for MappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            if p.field.is_empty() {
                write!(f, "{}:{}: {}", self.source_name, p.line, p.message)?;
            } else {
                write!(
                    f,
                    "{}:{}: {}: {}",
                    self.source_name, p.line, p.field, p.message
                )?;
            }
        }
        Ok(())
    }
}

struct Reader<'s> {
    line_starts: Vec<usize>,
    problems: Vec<MappingProblem>,
    _text: &'s str,
}

impl Reader<'_> {
    fn line(&self, span: Option<Range<usize>>) -> usize {
        span.map_or(1, |s| self.line_starts.partition_point(|&x| x <= s.start))
    }
    fn problem(&mut self, line: usize, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(MappingProblem {
            line,
            field: field.into(),
            message: message.into(),
        });
    }
    /// A code: a non-empty string of at most 50 characters without control characters.
    fn code(&mut self, v: &Value, field: &str) -> Option<String> {
        let line = self.line(v.span());
        let Some(s) = v.as_str() else {
            self.problem(line, field, "expected a string");
            return None;
        };
        let s = s.trim();
        if s.is_empty() {
            self.problem(line, field, "must not be empty");
            None
        } else if s.chars().count() > MAX_CODE_CHARS {
            self.problem(
                line,
                field,
                format!("at most {MAX_CODE_CHARS} characters (a DHIS2 code)"),
            );
            None
        } else if s
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '<' || c == '&')
        {
            self.problem(
                line,
                field,
                "control characters, quotes, < and & are not codes",
            );
            None
        } else {
            Some(s.to_string())
        }
    }
}

fn item_value(item: &Item) -> Option<&Value> {
    match item {
        Item::Value(v) => Some(v),
        _ => None,
    }
}

/// Reads a mapping; `source_name` names it in errors (usually its path).
pub fn parse_mapping(source_name: &str, text: &str) -> Result<Mapping, MappingError> {
    let fail = |line, field: &str, message: String| MappingError {
        source_name: source_name.to_string(),
        problems: vec![MappingProblem {
            line,
            field: field.to_string(),
            message,
        }],
    };
    if text.len() > MAX_MAPPING_BYTES {
        return Err(fail(
            1,
            "",
            format!("larger than {} KiB", MAX_MAPPING_BYTES / 1024),
        ));
    }
    let mut line_starts = vec![0];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let doc = ImDocument::parse(text).map_err(|e| {
        let line = e
            .span()
            .map_or(1, |s| line_starts.partition_point(|&x| x <= s.start));
        let message = e.message().trim().to_string();
        fail(line, "", message)
    })?;
    let mut r = Reader {
        line_starts,
        problems: Vec::new(),
        _text: text,
    };
    let root = doc.as_table();
    let mut mapping = Mapping {
        data_set: None,
        attribute_option_combo: None,
        own_codes: false,
        org_units: BTreeMap::new(),
        elements: Vec::new(),
    };
    for (key, item) in root.iter() {
        let line = r.line(root.key(key).and_then(|k| k.span()));
        match key {
            "data_set" | "attribute_option_combo" => match item_value(item) {
                Some(v) => {
                    let code = r.code(v, key);
                    if key == "data_set" {
                        mapping.data_set = code;
                    } else {
                        mapping.attribute_option_combo = code;
                    }
                }
                None => r.problem(line, key, "expected a string"),
            },
            "org_units_default" => match item_value(item).and_then(Value::as_str) {
                Some("own-code") => mapping.own_codes = true,
                Some("listed") => mapping.own_codes = false,
                _ => r.problem(line, key, "expected \"own-code\" or \"listed\""),
            },
            "org_units" => match item.as_table_like() {
                Some(t) => read_org_units(&mut r, t, &mut mapping),
                None => r.problem(line, key, "expected a table"),
            },
            "data_elements" => match item.as_table_like() {
                Some(t) => read_elements(&mut r, t, &mut mapping),
                None => r.problem(line, key, "expected a table"),
            },
            other => r.problem(
                line,
                other,
                "unknown key: data_set, attribute_option_combo, org_units_default, org_units, data_elements",
            ),
        }
    }
    if !root.contains_key("data_elements") {
        r.problem(
            1,
            "data_elements",
            "is required: which indicator is which data element",
        );
    } else if mapping.elements.is_empty() && r.problems.is_empty() {
        r.problem(1, "data_elements", "maps no indicator");
    }
    if r.problems.is_empty() {
        Ok(mapping)
    } else {
        r.problems.sort_by_key(|p| p.line);
        Err(MappingError {
            source_name: source_name.to_string(),
            problems: r.problems,
        })
    }
}

fn read_org_units(r: &mut Reader<'_>, t: &dyn TableLike, mapping: &mut Mapping) {
    let mut seen = HashSet::new();
    for (unit, item) in t.iter() {
        let field = format!("org_units.{unit}");
        let line = r.line(t.key(unit).and_then(|k| k.span()));
        if unit.is_empty() || unit.len() > 20 || !unit.bytes().all(|b| b.is_ascii_alphanumeric()) {
            r.problem(line, &field, "not a unit code (digits, as in 28846)");
            continue;
        }
        let Some(code) = item_value(item).and_then(|v| r.code(v, &field)) else {
            if item_value(item).is_none() {
                r.problem(line, &field, "expected a string");
            }
            continue;
        };
        if !seen.insert(code.clone()) {
            r.problem(line, &field, format!("{code} is given to two units"));
        }
        mapping.org_units.insert(unit.to_string(), code);
    }
}

fn read_elements(r: &mut Reader<'_>, t: &dyn TableLike, mapping: &mut Mapping) {
    let mut seen = HashSet::new();
    for (name, item) in t.iter() {
        let field = format!("data_elements.{name}");
        let line = r.line(t.key(name).and_then(|k| k.span()));
        let indicator = match name.parse::<Indicator>() {
            Ok(i) => i,
            Err(e) => {
                r.problem(line, &field, e);
                continue;
            }
        };
        let element = if let Some(v) = item_value(item).filter(|v| v.is_str()) {
            r.code(v, &field).map(|code| ElementMap {
                indicator,
                code,
                category_option_combo: None,
                adx: Vec::new(),
            })
        } else if let Some(table) = item.as_table_like() {
            read_element(r, table, indicator, &field, line)
        } else {
            r.problem(
                line,
                &field,
                "expected a data element code or a table with `code`",
            );
            None
        };
        if let Some(e) = element {
            if !seen.insert((e.code.clone(), e.category_option_combo.clone())) {
                r.problem(
                    line,
                    &field,
                    format!("data element {} is mapped twice", e.code),
                );
            }
            mapping.elements.push(e);
        }
    }
}

fn read_element(
    r: &mut Reader<'_>,
    t: &dyn TableLike,
    indicator: Indicator,
    field: &str,
    line: usize,
) -> Option<ElementMap> {
    let mut code = None;
    let mut coc = None;
    let mut adx = Vec::new();
    for (key, item) in t.iter() {
        let f = format!("{field}.{key}");
        let kline = r.line(t.key(key).and_then(|k| k.span()));
        match (key, item_value(item)) {
            ("code", Some(v)) => code = r.code(v, &f),
            ("category_option_combo", Some(v)) => coc = r.code(v, &f),
            ("adx", _) => match item.as_table_like() {
                Some(cats) => {
                    for (cat, opt) in cats.iter() {
                        let cf = format!("{f}.{cat}");
                        let ok_name = !cat.is_empty()
                            && cat.len() <= MAX_CODE_CHARS
                            && cat
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                            && cat.as_bytes()[0].is_ascii_alphabetic()
                            && !ADX_RESERVED.contains(&cat);
                        if !ok_name {
                            let l = r.line(cats.key(cat).and_then(|k| k.span()));
                            r.problem(
                                l,
                                &cf,
                                "a category code is a name (letters, digits, _), not one of ADX's own attributes",
                            );
                            continue;
                        }
                        if let Some(o) = item_value(opt).and_then(|v| r.code(v, &cf)) {
                            adx.push((cat.to_string(), o));
                        }
                    }
                }
                None => r.problem(kline, &f, "expected a table of category = option"),
            },
            _ => r.problem(kline, &f, "unknown key: code, category_option_combo, adx"),
        }
    }
    match code {
        Some(code) => Some(ElementMap {
            indicator,
            code,
            category_option_combo: coc,
            adx,
        }),
        None => {
            if !t.contains_key("code") {
                r.problem(line, format!("{field}.code"), "is required");
            }
            None
        }
    }
}
