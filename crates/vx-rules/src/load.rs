//! Parsing rule sets (and measure overrides) from TOML, with errors that name source, line and
//! field.
//!
//! The parser keeps the position of every key and value (`toml_edit`'s span-preserving
//! document), so a semantic error ("must be ascending") points at the line of the offending
//! value, not just the file. Every error found is reported, not only the first.

use std::fmt;
use std::ops::Range;

use chrono::{NaiveDate, NaiveTime};
use toml_edit::{ImDocument, Item, TableLike, Value};

use crate::indicators::{CaseRate, IndicatorId, ResponseCapacity};
use crate::level::{Level, LevelLabel};
use crate::measures::{
    Access, BusinessScope, Curfew, MeasureId, MeasureOverride, MeasureSetting, MeasureValue,
    Measures, ValueKind,
};
use crate::reason::{Cmp, MAX_REASONS};
use crate::ruleset::{
    ElderlyRule, GreenZoneRules, HighestLevel, Kind, Matrix, NeighbourRaise, Neighbours, Rollup,
    RollupMin, RollupRule, RuleSet, ThresholdCriterion, TransmissionRaise, TransmissionResponse,
};

/// One problem in a rule file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// The name the caller gave the text (usually its path).
    pub source_name: String,
    /// 1-based line.
    pub line: usize,
    /// Dotted path of the field, e.g. `matrix.cases_per_100k` or `criterion[2].level`;
    /// `None` for syntax errors.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(
                f,
                "{}:{}: field `{}`: {}",
                self.source_name, self.line, field, self.message
            ),
            None => write!(f, "{}:{}: {}", self.source_name, self.line, self.message),
        }
    }
}

/// Every problem found in a rule file (at least one). Displays one error per line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// The problems, in file order as found.
    pub errors: Vec<RuleError>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// A table being read: the table, its dotted path and the line of its header.
struct Tab<'a> {
    t: &'a dyn TableLike,
    path: String,
    line: usize,
}

struct Parser<'s> {
    source_name: &'s str,
    line_starts: Vec<usize>,
    errors: Vec<RuleError>,
}

impl<'s> Parser<'s> {
    fn new(text: &str, source_name: &'s str) -> Parser<'s> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Parser {
            source_name,
            line_starts,
            errors: Vec::new(),
        }
    }

    fn line_at(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset)
    }

    fn line_of(&self, span: Option<Range<usize>>, fallback: usize) -> usize {
        span.map_or(fallback, |s| self.line_at(s.start))
    }

    fn err(&mut self, line: usize, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(RuleError {
            source_name: self.source_name.to_owned(),
            line,
            field: Some(field.into()),
            message: message.into(),
        });
    }

    fn ok(&self) -> bool {
        self.errors.is_empty()
    }

    fn finish<T>(mut self, value: Option<T>) -> Result<T, LoadError> {
        self.errors.sort_by_key(|e| e.line);
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ => {
                if self.errors.is_empty() {
                    self.errors.push(RuleError {
                        source_name: self.source_name.to_owned(),
                        line: 1,
                        field: None,
                        message: "incomplete rule set".to_owned(),
                    });
                }
                Err(LoadError {
                    errors: self.errors,
                })
            }
        }
    }
}

fn field(t: &Tab<'_>, key: &str) -> String {
    if t.path.is_empty() {
        key.to_owned()
    } else {
        format!("{}.{}", t.path, key)
    }
}

fn type_name(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
        Item::Value(v) => value_type_name(v),
    }
}

fn value_type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::InlineTable(_) => "an inline table",
    }
}

impl<'s> Parser<'s> {
    /// The item at `key` and the line of its value (or key, or table).
    fn item<'a>(&self, t: &Tab<'a>, key: &str) -> Option<(&'a Item, usize)> {
        let (k, item) = t.t.get_key_value(key)?;
        if item.is_none() {
            return None;
        }
        let key_line = self.line_of(k.span(), t.line);
        Some((item, self.line_of(item.span(), key_line)))
    }

    fn missing(&mut self, t: &Tab<'_>, key: &str) {
        let f = field(t, key);
        self.err(t.line, f, "is required");
    }

    fn wrong(&mut self, t: &Tab<'_>, key: &str, line: usize, expected: &str, item: &Item) {
        let f = field(t, key);
        self.err(
            line,
            f,
            format!("expected {expected}, found {}", type_name(item)),
        );
    }

    fn value<'a>(&mut self, t: &Tab<'a>, key: &str, required: bool) -> Option<(&'a Value, usize)> {
        match self.item(t, key) {
            None => {
                if required {
                    self.missing(t, key);
                }
                None
            }
            Some((Item::Value(v), line)) => Some((v, line)),
            Some((item, line)) => {
                self.wrong(t, key, line, "a value", item);
                None
            }
        }
    }

    fn string<'a>(&mut self, t: &Tab<'a>, key: &str, required: bool) -> Option<(&'a str, usize)> {
        let (v, line) = self.value(t, key, required)?;
        match v.as_str() {
            Some(s) => Some((s, line)),
            None => {
                let f = field(t, key);
                self.err(
                    line,
                    f,
                    format!("expected a string, found {}", value_type_name(v)),
                );
                None
            }
        }
    }

    fn text(&mut self, t: &Tab<'_>, key: &str, required: bool) -> Option<String> {
        let (s, line) = self.string(t, key, required)?;
        if required && s.trim().is_empty() {
            let f = field(t, key);
            self.err(line, f, "must not be empty");
            return None;
        }
        Some(s.to_owned())
    }

    fn int(&mut self, t: &Tab<'_>, key: &str, required: bool) -> Option<(i64, usize)> {
        let (v, line) = self.value(t, key, required)?;
        match v.as_integer() {
            Some(i) => Some((i, line)),
            None => {
                let f = field(t, key);
                self.err(
                    line,
                    f,
                    format!("expected an integer, found {}", value_type_name(v)),
                );
                None
            }
        }
    }

    /// An integer in `lo..=hi`.
    fn int_in(
        &mut self,
        t: &Tab<'_>,
        key: &str,
        required: bool,
        lo: i64,
        hi: i64,
    ) -> Option<(i64, usize)> {
        let (i, line) = self.int(t, key, required)?;
        if i < lo || i > hi {
            let f = field(t, key);
            self.err(line, f, format!("must be in {lo}..={hi}, found {i}"));
            return None;
        }
        Some((i, line))
    }

    fn num_value(&mut self, v: &Value, line: usize, f: &str) -> Option<f64> {
        let x = match v {
            Value::Integer(i) => *i.value() as f64,
            Value::Float(x) => *x.value(),
            _ => {
                self.err(
                    line,
                    f,
                    format!("expected a number, found {}", value_type_name(v)),
                );
                return None;
            }
        };
        if !x.is_finite() {
            self.err(line, f, "must be a finite number");
            return None;
        }
        Some(x)
    }

    fn num(&mut self, t: &Tab<'_>, key: &str, required: bool) -> Option<(f64, usize)> {
        let (v, line) = self.value(t, key, required)?;
        let f = field(t, key);
        self.num_value(v, line, &f).map(|x| (x, line))
    }

    /// A number ≥ 0 (and ≤ 100 if `pct`).
    fn amount(&mut self, t: &Tab<'_>, key: &str, required: bool, pct: bool) -> Option<f64> {
        let (x, line) = self.num(t, key, required)?;
        let f = field(t, key);
        self.check_amount(x, line, &f, pct)
    }

    fn check_amount(&mut self, x: f64, line: usize, f: &str, pct: bool) -> Option<f64> {
        if pct && !(0.0..=100.0).contains(&x) {
            self.err(
                line,
                f,
                format!("must be a percentage in 0..=100, found {x}"),
            );
            None
        } else if x < 0.0 {
            self.err(line, f, format!("must not be negative, found {x}"));
            None
        } else {
            Some(x)
        }
    }

    fn boolean(&mut self, t: &Tab<'_>, key: &str) -> Option<bool> {
        let (v, line) = self.value(t, key, false)?;
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                let f = field(t, key);
                self.err(
                    line,
                    f,
                    format!("expected true or false, found {}", value_type_name(v)),
                );
                None
            }
        }
    }

    fn date(&mut self, t: &Tab<'_>, key: &str, required: bool) -> Option<(NaiveDate, usize)> {
        let (v, line) = self.value(t, key, required)?;
        let f = field(t, key);
        let parsed = match v {
            Value::Datetime(d) => {
                let d = d.value();
                match (d.date, d.time, d.offset) {
                    (Some(date), None, None) => NaiveDate::from_ymd_opt(
                        i32::from(date.year),
                        u32::from(date.month),
                        u32::from(date.day),
                    ),
                    _ => None,
                }
            }
            Value::String(s) => NaiveDate::parse_from_str(s.value(), "%Y-%m-%d").ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.err(line, f, "expected a date like 2021-10-12");
        }
        parsed.map(|d| (d, line))
    }

    fn level_value(&mut self, v: &Value, line: usize, f: &str) -> Option<Level> {
        let level = match v {
            Value::String(s) => Level::from_name(s.value()),
            Value::Integer(i) => u8::try_from(*i.value()).ok().and_then(Level::from_number),
            _ => None,
        };
        if level.is_none() {
            let shown = match v {
                Value::String(s) => format!("`{}`", s.value()),
                Value::Integer(i) => i.value().to_string(),
                other => value_type_name(other).to_owned(),
            };
            self.err(
                line,
                f,
                format!("unknown level {shown} (expected green, yellow, orange, red or 1–4)"),
            );
        }
        level
    }

    fn level(&mut self, t: &Tab<'_>, key: &str, required: bool) -> Option<(Level, usize)> {
        let (v, line) = self.value(t, key, required)?;
        let f = field(t, key);
        self.level_value(v, line, &f).map(|l| (l, line))
    }

    /// A sub-table (`[x]` or `x = { ... }`).
    fn table<'a>(&mut self, t: &Tab<'a>, key: &str) -> Option<Tab<'a>> {
        let (item, line) = self.item(t, key)?;
        match item.as_table_like() {
            Some(tl) => Some(Tab {
                t: tl,
                path: field(t, key),
                line,
            }),
            None => {
                self.wrong(t, key, line, "a table", item);
                None
            }
        }
    }

    /// An array of tables (`[[x]]` or `x = [{ ... }, ...]`).
    fn tables<'a>(&mut self, t: &Tab<'a>, key: &str) -> Vec<Tab<'a>> {
        let Some((item, line)) = self.item(t, key) else {
            return Vec::new();
        };
        let base = field(t, key);
        match item {
            Item::ArrayOfTables(a) => a
                .iter()
                .enumerate()
                .map(|(i, tb)| Tab {
                    t: tb,
                    path: format!("{base}[{i}]"),
                    line: self.line_of(tb.span(), line),
                })
                .collect(),
            Item::Value(Value::Array(a)) => {
                let mut out = Vec::new();
                for (i, v) in a.iter().enumerate() {
                    let vline = self.line_of(v.span(), line);
                    match v.as_inline_table() {
                        Some(it) => out.push(Tab {
                            t: it,
                            path: format!("{base}[{i}]"),
                            line: vline,
                        }),
                        None => self.err(
                            vline,
                            format!("{base}[{i}]"),
                            format!("expected a table, found {}", value_type_name(v)),
                        ),
                    }
                }
                out
            }
            other => {
                self.wrong(t, key, line, "an array of tables", other);
                Vec::new()
            }
        }
    }

    /// An array of values, each with its line.
    fn array<'a>(
        &mut self,
        t: &Tab<'a>,
        key: &str,
        required: bool,
    ) -> Option<Vec<(&'a Value, usize)>> {
        let (v, line) = self.value(t, key, required)?;
        match v.as_array() {
            Some(a) => Some(
                a.iter()
                    .map(|x| (x, self.line_of(x.span(), line)))
                    .collect(),
            ),
            None => {
                let f = field(t, key);
                self.err(
                    line,
                    f,
                    format!("expected an array, found {}", value_type_name(v)),
                );
                None
            }
        }
    }

    fn unknown_keys(&mut self, t: &Tab<'_>, allowed: &[&str]) {
        for (key, item) in t.t.iter() {
            if allowed.contains(&key) {
                continue;
            }
            let line = t.t.key(key).and_then(|k| k.span()).map_or_else(
                || self.line_of(item.span(), t.line),
                |s| self.line_at(s.start),
            );
            let f = field(t, key);
            self.err(
                line,
                f,
                format!("unknown field (expected one of: {})", allowed.join(", ")),
            );
        }
    }
}

const ROOT_KEYS: [&str; 20] = [
    "id",
    "name",
    "name_en",
    "version",
    "legal_basis",
    "effective_from",
    "effective_to",
    "kind",
    "case_rate",
    "levels",
    "criterion",
    "neighbours",
    "rollup",
    "matrix",
    "green_zone",
    "transmission",
    "response",
    "capacity",
    "notice",
    "measures",
];

fn syntax_error(text: &str, source_name: &str, e: &toml_edit::TomlError) -> LoadError {
    let p = Parser::new(text, source_name);
    let line = p.line_of(e.span(), 1);
    let message = e
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    LoadError {
        errors: vec![RuleError {
            source_name: source_name.to_owned(),
            line,
            field: None,
            message: format!("TOML syntax: {message}"),
        }],
    }
}

/// Parses and validates a rule set from TOML `text`; `source_name` (usually the file's path)
/// is used in error messages: `rules/4800.toml:12: field `matrix.cases_per_100k`: must be
/// ascending`. The format is documented in `docs/rules.md`.
pub fn load_str(text: &str, source_name: &str) -> Result<RuleSet, LoadError> {
    let doc = ImDocument::parse(text).map_err(|e| syntax_error(text, source_name, &e))?;
    let mut p = Parser::new(text, source_name);
    let root = Tab {
        t: doc.as_table(),
        path: String::new(),
        line: 1,
    };
    p.unknown_keys(&root, &ROOT_KEYS);

    let id = p.string(&root, "id", true).and_then(|(s, line)| {
        let valid = !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
        if !valid {
            p.err(
                line,
                "id",
                "must be non-empty lowercase ASCII letters, digits, `-`, `_` or `.`",
            );
        }
        valid.then(|| s.to_owned())
    });
    let name = p.text(&root, "name", true);
    let name_en = p.text(&root, "name_en", false);
    let legal_basis = p.text(&root, "legal_basis", false).unwrap_or_default();
    let version = p.int(&root, "version", true).and_then(|(v, line)| {
        let v = u32::try_from(v).ok().filter(|&v| v >= 1);
        if v.is_none() {
            p.err(line, "version", "must be a whole number of at least 1");
        }
        v
    });
    let from = p.date(&root, "effective_from", true);
    let to = p.date(&root, "effective_to", false);
    if let (Some((f, _)), Some((t, line))) = (from, to) {
        if t < f {
            p.err(
                line,
                "effective_to",
                format!("must not be before effective_from ({f})"),
            );
        }
    }
    let case_rate = match p.string(&root, "case_rate", false) {
        None => Some(CaseRate::SevenDays),
        Some(("7d", _)) => Some(CaseRate::SevenDays),
        Some(("14d_halved", _)) => Some(CaseRate::FourteenDaysHalved),
        Some((other, line)) => {
            p.err(
                line,
                "case_rate",
                format!("unknown method `{other}` (expected \"7d\" or \"14d_halved\")"),
            );
            None
        }
    };
    let labels = parse_labels(&mut p, &root);

    let kind_name = p.string(&root, "kind", true);
    const KIND_SECTIONS: [(&str, &str); 5] = [
        ("criterion", "highest-level"),
        ("matrix", "matrix"),
        ("green_zone", "green-zone"),
        ("transmission", "transmission-response"),
        ("response", "transmission-response"),
    ];
    const KINDS: [&str; 4] = [
        "highest-level",
        "matrix",
        "green-zone",
        "transmission-response",
    ];
    let kind = match kind_name {
        None => None,
        Some((k, line)) => {
            if !KINDS.contains(&k) {
                let expected: Vec<String> = KINDS.iter().map(|k| format!("\"{k}\"")).collect();
                p.err(
                    line,
                    "kind",
                    format!(
                        "unknown kind `{k}` (expected one of {})",
                        expected.join(", ")
                    ),
                );
            }
            for (section, owner) in KIND_SECTIONS {
                if owner != k {
                    if let Some((_, sline)) = p.item(&root, section) {
                        p.err(sline, section, format!("is not used by kind `{k}`"));
                    }
                }
            }
            match k {
                "highest-level" => parse_highest(&mut p, &root).map(Kind::HighestLevel),
                "matrix" => parse_matrix(&mut p, &root).map(Kind::Matrix),
                "green-zone" => parse_green_zone(&mut p, &root).map(Kind::GreenZone),
                "transmission-response" => {
                    parse_transmission(&mut p, &root).map(Kind::TransmissionResponse)
                }
                _ => None,
            }
        }
    };

    let neighbours = p
        .table(&root, "neighbours")
        .map(|t| parse_neighbours(&mut p, &t));
    let rollup = p.table(&root, "rollup").map(|t| parse_rollup(&mut p, &t));
    let capacity_hold = match p.table(&root, "capacity") {
        Some(t) => {
            p.unknown_keys(&t, &["no_lowering_while_unmet"]);
            p.boolean(&t, "no_lowering_while_unmet").unwrap_or(false)
        }
        None => false,
    };
    let notice_days = match p.table(&root, "notice") {
        Some(t) => {
            p.unknown_keys(&t, &["raise_hours"]);
            match p.int_in(&t, "raise_hours", true, 0, 720) {
                Some((h, _)) if h % 24 == 0 => Some((h / 24) as u32),
                Some((h, line)) => {
                    p.err(
                        line,
                        "notice.raise_hours",
                        format!("must be a whole number of days (a multiple of 24), found {h}"),
                    );
                    None
                }
                None => None,
            }
        }
        None => Some(0),
    };
    let measures = match p.table(&root, "measures") {
        Some(t) => parse_measures(&mut p, &t),
        None => Measures::default(),
    };

    // Reason budget: every unit's reasons must fit an Outcome.
    if let Some(kind) = &kind {
        let own = match kind {
            Kind::HighestLevel(h) => h.criteria.len(),
            Kind::Matrix(_) => 3,
            Kind::GreenZone(g) => 1 + 2 * usize::from(g.rounds),
            Kind::TransmissionResponse(t) => 3 + t.raises.len() + t.level_raises.len(),
        };
        let raises = neighbours
            .as_ref()
            .and_then(Option::as_ref)
            .map_or(0, |n| n.raises.len());
        let total = own + raises + usize::from(capacity_hold);
        if total > MAX_REASONS {
            p.err(
                1,
                "kind",
                format!(
                    "too many criteria: a unit would carry {total} reasons, at most {MAX_REASONS}"
                ),
            );
        }
    }

    let neighbours = neighbours.unwrap_or(None);
    let rollup = rollup.unwrap_or(None);
    let value = (|| {
        let (effective_from, _) = from?;
        let name = name?;
        Some(RuleSet {
            id: id?,
            name_en: name_en.unwrap_or_else(|| name.clone()),
            name,
            version: version?,
            legal_basis,
            effective_from,
            effective_to: to.map(|(d, _)| d),
            labels: labels?,
            case_rate: case_rate?,
            kind: kind?,
            neighbours,
            rollup,
            capacity_hold,
            notice_days: notice_days?,
            measures,
        })
    })();
    p.finish(value)
}

fn parse_labels(p: &mut Parser<'_>, root: &Tab<'_>) -> Option<[LevelLabel; 4]> {
    let mut labels = Level::ALL.map(LevelLabel::default_for);
    let Some(t) = p.table(root, "levels") else {
        return Some(labels);
    };
    p.unknown_keys(&t, &["green", "yellow", "orange", "red"]);
    for level in Level::ALL {
        if let Some(lt) = p.table(&t, level.name()) {
            p.unknown_keys(&lt, &["vi", "en", "vi_desc", "en_desc"]);
            let l = &mut labels[level.index()];
            if let Some(s) = p.text(&lt, "vi", true) {
                l.vi = s;
            }
            if let Some(s) = p.text(&lt, "en", true) {
                l.en = s;
            }
            l.vi_desc = p.text(&lt, "vi_desc", false).unwrap_or_default();
            l.en_desc = p.text(&lt, "en_desc", false).unwrap_or_default();
        }
    }
    Some(labels)
}

fn parse_highest(p: &mut Parser<'_>, root: &Tab<'_>) -> Option<HighestLevel> {
    let tables = p.tables(root, "criterion");
    if tables.is_empty() && p.item(root, "criterion").is_none() {
        p.err(
            1,
            "criterion",
            "kind `highest-level` needs at least one [[criterion]]",
        );
        return None;
    }
    let mut criteria = Vec::new();
    let mut ok = true;
    for t in &tables {
        p.unknown_keys(t, &["indicator", "at_least", "below", "level"]);
        let (indicator, threshold) = indicator_threshold(p, t, false);
        let level = p.level(t, "level", true).and_then(|(l, line)| {
            if l == Level::Green {
                p.err(
                    line,
                    field(t, "level"),
                    "a criterion must give a level above green (green is what remains)",
                );
                None
            } else {
                Some(l)
            }
        });
        match (indicator, threshold, level) {
            (Some(indicator), Some((cmp, threshold)), Some(level)) => {
                criteria.push(ThresholdCriterion {
                    indicator,
                    cmp,
                    threshold,
                    level,
                })
            }
            _ => ok = false,
        }
    }
    ok.then_some(HighestLevel { criteria })
}

/// `indicator` and its threshold of a table: `at_least = x` or `below = x`, and where
/// `strict` also `above = x` (a decision's "more than").
fn indicator_threshold(
    p: &mut Parser<'_>,
    t: &Tab<'_>,
    strict: bool,
) -> (Option<IndicatorId>, Option<(Cmp, f64)>) {
    let indicator = p.string(t, "indicator", true).and_then(|(s, line)| {
        let id = IndicatorId::from_key(s);
        if id.is_none() {
            let f = field(t, "indicator");
            let known: Vec<_> = IndicatorId::ALL.iter().map(|i| i.key()).collect();
            p.err(
                line,
                f,
                format!(
                    "unknown indicator `{s}` (expected one of: {})",
                    known.join(", ")
                ),
            );
        }
        id
    });
    let pct = indicator.is_some_and(IndicatorId::is_pct);
    let keys: &[(&str, Cmp)] = if strict {
        &[
            ("at_least", Cmp::AtLeast),
            ("above", Cmp::Above),
            ("below", Cmp::Below),
        ]
    } else {
        &[("at_least", Cmp::AtLeast), ("below", Cmp::Below)]
    };
    let names: Vec<String> = keys.iter().map(|(k, _)| format!("`{k}`")).collect();
    let names = names.join(" or ");
    let mut given = Vec::new();
    for &(key, cmp) in keys {
        if let Some((x, line)) = p.num(t, key, false) {
            given.push((key, cmp, x, line));
        }
    }
    let threshold = match given.as_slice() {
        [(key, cmp, x, line)] => p
            .check_amount(*x, *line, &field(t, key), pct)
            .map(|x| (*cmp, x)),
        [] => {
            p.err(
                t.line,
                field(t, keys[0].0),
                format!("give a threshold: {names}"),
            );
            None
        }
        [.., (key, _, _, line)] => {
            p.err(
                *line,
                field(t, key),
                if keys.len() == 2 {
                    format!("give either {names}, not both")
                } else {
                    format!("give only one of {names}")
                },
            );
            None
        }
    };
    (indicator, threshold)
}

/// Strictly ascending band edges at `key` (at least one when `required`).
fn band_edges(p: &mut Parser<'_>, t: &Tab<'_>, key: &str, required: bool) -> Option<Vec<f64>> {
    let Some(items) = p.array(t, key, required) else {
        return (!required && p.item(t, key).is_none()).then(Vec::new);
    };
    let f = field(t, key);
    let line = p.item(t, key).map_or(t.line, |(_, l)| l);
    let mut edges = Vec::new();
    for (v, vline) in items {
        let x = p.num_value(v, vline, &f)?;
        edges.push(p.check_amount(x, vline, &f, false)?);
    }
    if edges.is_empty() {
        p.err(line, f, "needs at least one band edge");
        return None;
    }
    if edges.windows(2).any(|w| w[0] >= w[1]) {
        p.err(line, f, "must be ascending");
        return None;
    }
    Some(edges)
}

fn level_list(p: &mut Parser<'_>, t: &Tab<'_>, key: &str) -> Option<(Vec<Level>, usize)> {
    let items = p.array(t, key, true)?;
    let line = p.item(t, key).map_or(t.line, |(_, l)| l);
    let f = field(t, key);
    let mut out = Vec::new();
    for (v, vline) in items {
        out.push(p.level_value(v, vline, &f)?);
    }
    Some((out, line))
}

fn parse_matrix(p: &mut Parser<'_>, root: &Tab<'_>) -> Option<Matrix> {
    let Some(t) = p.table(root, "matrix") else {
        p.err(1, "matrix", "kind `matrix` needs a [matrix] table");
        return None;
    };
    p.unknown_keys(
        &t,
        &[
            "cases_per_100k",
            "first_dose_18plus_pct",
            "levels_covered",
            "levels_not_covered",
            "elderly",
        ],
    );
    let edges = band_edges(p, &t, "cases_per_100k", true);
    let first_dose_pct = p.amount(&t, "first_dose_18plus_pct", true, true);
    let mut bands = |key: &str| -> Option<Vec<Level>> {
        let (levels, line) = level_list(p, &t, key)?;
        let f = field(&t, key);
        if let Some(edges) = &edges {
            if levels.len() != edges.len() + 1 {
                p.err(
                    line,
                    f,
                    format!(
                        "needs {} levels, one per band ({} edges in `cases_per_100k`), found {}",
                        edges.len() + 1,
                        edges.len(),
                        levels.len()
                    ),
                );
                return None;
            }
        }
        if levels.windows(2).any(|w| w[0] > w[1]) {
            p.err(line, f, "must not decrease from one band to the next");
            return None;
        }
        Some(levels)
    };
    let covered = bands("levels_covered");
    let not_covered = bands("levels_not_covered");

    let mut elderly = Vec::new();
    let mut elderly_ok = true;
    for e in p.tables(&t, "elderly") {
        p.unknown_keys(
            &e,
            &[
                "from",
                "age",
                "fully_vaccinated_below_pct",
                "not_fully_vaccinated_min_pct",
                "source",
            ],
        );
        let from = p.date(&e, "from", true);
        let age = p.int(&e, "age", true).and_then(|(a, line)| {
            if a == 50 || a == 65 {
                Some(a as u8)
            } else {
                p.err(
                    line,
                    field(&e, "age"),
                    format!("must be 50 or 65, found {a}"),
                );
                None
            }
        });
        // As published: +1 when the share fully vaccinated is below the threshold. The earlier
        // form of this file (`not_fully_vaccinated_min_pct = y`: +1 when at least y % are not
        // fully vaccinated) is still read with its own meaning, fully vaccinated ≤ 100 − y, so
        // that rule sets stored with it keep explaining the levels computed by them.
        let below = p.amount(&e, "fully_vaccinated_below_pct", false, true);
        let legacy = p.amount(&e, "not_fully_vaccinated_min_pct", false, true);
        let test = match (below, legacy) {
            (Some(x), None) => Some((Cmp::Below, x)),
            (None, Some(y)) => Some((Cmp::AtMost, 100.0 - y)),
            (Some(_), Some(_)) => {
                let line = p
                    .item(&e, "not_fully_vaccinated_min_pct")
                    .map_or(e.line, |(_, l)| l);
                p.err(
                    line,
                    field(&e, "not_fully_vaccinated_min_pct"),
                    "give `fully_vaccinated_below_pct` alone (this is its earlier, inverted form)",
                );
                None
            }
            (None, None) => {
                if p.item(&e, "fully_vaccinated_below_pct").is_none()
                    && p.item(&e, "not_fully_vaccinated_min_pct").is_none()
                {
                    p.missing(&e, "fully_vaccinated_below_pct");
                }
                None
            }
        };
        let source = p
            .text(&e, "source", false)
            .unwrap_or_else(|| "unconfirmed".to_owned());
        match (from, age, test) {
            (Some((from, line)), Some(age), Some((cmp, threshold))) => {
                if elderly.last().is_some_and(|l: &ElderlyRule| l.from >= from) {
                    p.err(
                        line,
                        field(&e, "from"),
                        "must be after the previous elderly rule's `from`",
                    );
                    elderly_ok = false;
                }
                elderly.push(ElderlyRule {
                    from,
                    age,
                    cmp,
                    threshold,
                    source,
                });
            }
            _ => elderly_ok = false,
        }
    }
    if !elderly_ok {
        return None;
    }
    Some(Matrix {
        case_edges: edges?,
        first_dose_pct: first_dose_pct?,
        covered: covered?,
        not_covered: not_covered?,
        elderly,
    })
}

fn parse_transmission(p: &mut Parser<'_>, root: &Tab<'_>) -> Option<TransmissionResponse> {
    let Some(t) = p.table(root, "transmission") else {
        p.err(
            1,
            "transmission",
            "kind `transmission-response` needs a [transmission] table",
        );
        return None;
    };
    p.unknown_keys(&t, &["cases_per_100k", "oxygen_cases_per_100k", "raise"]);
    let mut ok = true;
    let mut bands = |key: &str, required: bool| {
        let edges = band_edges(p, &t, key, required);
        if let Some(e) = &edges {
            if e.len() > 3 {
                let line = p.item(&t, key).map_or(t.line, |(_, l)| l);
                p.err(
                    line,
                    field(&t, key),
                    format!("at most 3 edges (4 transmission levels), found {}", e.len()),
                );
                ok = false;
            }
        }
        edges
    };
    let case_edges = bands("cases_per_100k", true);
    let oxygen_edges = bands("oxygen_cases_per_100k", false);
    let mut raises = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    for r in p.tables(&t, "raise") {
        let group = p.text(&r, "group", false).map(|g| {
            let i = groups.iter().position(|x| *x == g).unwrap_or_else(|| {
                groups.push(g);
                groups.len() - 1
            });
            u8::try_from(i).unwrap_or(u8::MAX)
        });
        match raise(p, &r, true) {
            Some(x) => raises.push(TransmissionRaise { group, ..x }),
            None => ok = false,
        }
    }
    let Some(resp) = p.table(root, "response") else {
        p.err(
            1,
            "response",
            "kind `transmission-response` needs a [response] table (high, medium, low)",
        );
        return None;
    };
    p.unknown_keys(&resp, &["high", "medium", "low", "raise"]);
    let mut level_raises = Vec::new();
    for r in p.tables(&resp, "raise") {
        match raise(p, &r, false) {
            Some(x) => level_raises.push(x),
            None => ok = false,
        }
    }
    let mut by_capacity = [[Level::Green; 4]; 3];
    for c in ResponseCapacity::ALL {
        let key = c.key();
        match level_list(p, &resp, key) {
            Some((levels, line)) => {
                let f = field(&resp, key);
                if levels.len() != 4 {
                    p.err(
                        line,
                        f,
                        format!(
                            "needs 4 levels, one per transmission level, found {}",
                            levels.len()
                        ),
                    );
                    ok = false;
                } else if levels.windows(2).any(|w| w[0] > w[1]) {
                    p.err(
                        line,
                        f,
                        "must not decrease from one transmission level to the next",
                    );
                    ok = false;
                } else {
                    by_capacity[c.index()].copy_from_slice(&levels);
                }
            }
            None => ok = false,
        }
    }
    if ok {
        let worse = (1..3).any(|c| (0..4).any(|l| by_capacity[c][l] < by_capacity[c - 1][l]));
        if worse {
            let line = p.item(&resp, "low").map_or(resp.line, |(_, l)| l);
            p.err(
                line,
                "response",
                "a lower capacity must never give a lower level (high ≤ medium ≤ low)",
            );
            ok = false;
        }
    }
    Some(TransmissionResponse {
        case_edges: case_edges?,
        oxygen_edges: oxygen_edges?,
        raises,
        by_capacity,
        level_raises,
    })
    .filter(|_| ok)
}

fn raise(p: &mut Parser<'_>, r: &Tab<'_>, grouped: bool) -> Option<TransmissionRaise> {
    let keys: &[&str] = if grouped {
        &["indicator", "at_least", "above", "below", "group"]
    } else {
        &["indicator", "at_least", "above", "below"]
    };
    p.unknown_keys(r, keys);
    match indicator_threshold(p, r, true) {
        (Some(indicator), Some((cmp, threshold))) => Some(TransmissionRaise {
            indicator,
            cmp,
            threshold,
            group: None,
        }),
        _ => None,
    }
}

fn parse_green_zone(p: &mut Parser<'_>, root: &Tab<'_>) -> Option<GreenZoneRules> {
    let Some(t) = p.table(root, "green_zone") else {
        p.err(
            1,
            "green_zone",
            "kind `green-zone` needs a [green_zone] table",
        );
        return None;
    };
    p.unknown_keys(
        &t,
        &[
            "days_without_case",
            "rounds",
            "min_coverage_pct",
            "otherwise",
        ],
    );
    let days = p.int_in(&t, "days_without_case", true, 1, 365);
    let rounds = p.int_in(
        &t,
        "rounds",
        true,
        0,
        crate::indicators::MAX_SCREENING_ROUNDS as i64,
    );
    let cov = p.amount(&t, "min_coverage_pct", true, true);
    let otherwise = match p.level(&t, "otherwise", false) {
        None => Some(Level::Yellow),
        Some((Level::Green, line)) => {
            p.err(line, field(&t, "otherwise"), "must be above green");
            None
        }
        Some((l, _)) => Some(l),
    };
    Some(GreenZoneRules {
        days_without_case: days?.0 as u32,
        rounds: rounds?.0 as u8,
        min_coverage_pct: cov?,
        otherwise: otherwise?,
    })
}

fn parse_neighbours(p: &mut Parser<'_>, t: &Tab<'_>) -> Option<Neighbours> {
    p.unknown_keys(t, &["propagate_raised", "raise"]);
    let propagate_raised = p.boolean(t, "propagate_raised").unwrap_or(true);
    let mut raises: Vec<NeighbourRaise> = Vec::new();
    let mut ok = true;
    for r in p.tables(t, "raise") {
        p.unknown_keys(&r, &["from", "to"]);
        let from = p.level(&r, "from", true);
        let to = p.level(&r, "to", true);
        match (from, to) {
            (Some((from, fline)), Some((to, tline))) => {
                if to >= from {
                    p.err(
                        tline,
                        field(&r, "to"),
                        format!("must be lower than `from` ({})", from.name()),
                    );
                    ok = false;
                } else if raises.iter().any(|x| x.from == from) {
                    p.err(
                        fline,
                        field(&r, "from"),
                        format!("a raise from {} is already given", from.name()),
                    );
                    ok = false;
                } else {
                    raises.push(NeighbourRaise { from, to });
                }
            }
            _ => ok = false,
        }
    }
    raises.sort_by_key(|r| std::cmp::Reverse(r.from));
    ok.then_some(Neighbours {
        raises,
        propagate_raised,
    })
}

fn parse_rollup(p: &mut Parser<'_>, t: &Tab<'_>) -> Option<Rollup> {
    p.unknown_keys(t, &["rule"]);
    let tables = p.tables(t, "rule");
    if tables.is_empty() {
        p.err(
            t.line,
            field(t, "rule"),
            "a [rollup] needs at least one [[rollup.rule]]",
        );
        return None;
    }
    if tables.len() >= MAX_REASONS {
        p.err(
            t.line,
            field(t, "rule"),
            format!("at most {} rules", MAX_REASONS - 1),
        );
        return None;
    }
    let mut rules = Vec::new();
    let mut ok = true;
    for r in &tables {
        p.unknown_keys(r, &["level", "children", "min_share_pct", "min_count"]);
        let level = p.level(r, "level", true).and_then(|(l, line)| {
            if l == Level::Green {
                p.err(
                    line,
                    field(r, "level"),
                    "a roll-up rule must give a level above green",
                );
                None
            } else {
                Some(l)
            }
        });
        let children = p.level(r, "children", true).map(|(l, _)| l);
        let share = p.num(r, "min_share_pct", false);
        let count = p.int(r, "min_count", false);
        let min = match (share, count) {
            (Some((x, line)), None) => {
                if x > 0.0 && x <= 100.0 {
                    Some(RollupMin::SharePct(x))
                } else {
                    p.err(
                        line,
                        field(r, "min_share_pct"),
                        format!("must be a percentage in (0, 100], found {x}"),
                    );
                    None
                }
            }
            (None, Some((n, line))) => match u32::try_from(n) {
                Ok(n) if n >= 1 => Some(RollupMin::Count(n)),
                _ => {
                    p.err(
                        line,
                        field(r, "min_count"),
                        format!("must be at least 1, found {n}"),
                    );
                    None
                }
            },
            (Some(_), Some((_, line))) => {
                p.err(
                    line,
                    field(r, "min_count"),
                    "give either `min_share_pct` or `min_count`, not both",
                );
                None
            }
            (None, None) => {
                p.err(
                    r.line,
                    field(r, "min_share_pct"),
                    "give `min_share_pct` or `min_count`",
                );
                None
            }
        };
        match (level, children, min) {
            (Some(level), Some(children), Some(min)) => rules.push(RollupRule {
                level,
                children,
                min,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(Rollup { rules })
}

fn parse_measure_value(
    p: &mut Parser<'_>,
    v: &Value,
    line: usize,
    f: &str,
    measure: MeasureId,
) -> Option<MeasureValue> {
    let kind = measure.value_kind();
    let bad = |p: &mut Parser<'_>, expected: &str| {
        p.err(line, f, format!("expected {expected}"));
        None
    };
    match kind {
        ValueKind::People => match v.as_integer().map(u32::try_from) {
            Some(Ok(n)) => Some(MeasureValue::People(n)),
            _ => bad(p, "a whole number of people (0 or more)"),
        },
        ValueKind::Metres => {
            let x = p.num_value(v, line, f)?;
            if (0.0..=100.0).contains(&x) {
                Some(MeasureValue::Metres(x))
            } else {
                bad(p, "metres in 0..=100")
            }
        }
        ValueKind::Access => match v.as_str() {
            Some("open") => Some(MeasureValue::Access(Access::Open)),
            Some("limited") => Some(MeasureValue::Access(Access::Limited)),
            Some("closed") => Some(MeasureValue::Access(Access::Closed)),
            _ => bad(p, "\"open\", \"limited\" or \"closed\""),
        },
        ValueKind::Business => match v.as_str() {
            Some("all") => Some(MeasureValue::Business(BusinessScope::All)),
            Some("no_leisure") => Some(MeasureValue::Business(BusinessScope::NoLeisure)),
            Some("essential") => Some(MeasureValue::Business(BusinessScope::Essential)),
            _ => bad(p, "\"all\", \"no_leisure\" or \"essential\""),
        },
        ValueKind::Curfew => match v.as_str().map(parse_curfew) {
            Some(Some(c)) => Some(MeasureValue::Curfew(c)),
            _ => bad(p, "hours like \"19:00-05:00\", or \"none\""),
        },
        ValueKind::Flag => match v.as_bool() {
            Some(b) => Some(MeasureValue::Flag(b)),
            _ => bad(p, "true or false"),
        },
    }
}

/// `"19:00-05:00"` (or with an en dash) → `Some(Some(curfew))`; `"none"` → `Some(None)`.
fn parse_curfew(s: &str) -> Option<Option<Curfew>> {
    if s == "none" {
        return Some(None);
    }
    let (a, b) = s.split_once('-').or_else(|| s.split_once('–'))?;
    let from = NaiveTime::parse_from_str(a.trim(), "%H:%M").ok()?;
    let to = NaiveTime::parse_from_str(b.trim(), "%H:%M").ok()?;
    (from != to).then_some(Some(Curfew { from, to }))
}

fn parse_measures(p: &mut Parser<'_>, t: &Tab<'_>) -> Measures {
    p.unknown_keys(t, &["green", "yellow", "orange", "red"]);
    let mut measures = Measures::default();
    let keys: Vec<&str> = MeasureId::ALL.iter().map(|m| m.key()).collect();
    for level in Level::ALL {
        let Some(lt) = p.table(t, level.name()) else {
            continue;
        };
        p.unknown_keys(&lt, &keys);
        // File order, so errors come in line order.
        for (key, _) in lt.t.iter() {
            let Some(m) = MeasureId::from_key(key) else {
                continue;
            };
            if let Some((v, line)) = p.value(&lt, key, false) {
                let f = field(&lt, key);
                if let Some(value) = parse_measure_value(p, v, line, &f, m) {
                    measures.by_level[level.index()].push(MeasureSetting { measure: m, value });
                }
            }
        }
        measures.by_level[level.index()].sort_by_key(|s| s.measure);
    }
    measures
}

/// Parses local measure overrides from TOML: an array `[[override]]` of tables with `id`,
/// `measure`, `value`, `from`, optional `to`, optional `levels` (list) and `note`.
pub fn load_overrides_str(
    text: &str,
    source_name: &str,
) -> Result<Vec<MeasureOverride>, LoadError> {
    let doc = ImDocument::parse(text).map_err(|e| syntax_error(text, source_name, &e))?;
    let mut p = Parser::new(text, source_name);
    let root = Tab {
        t: doc.as_table(),
        path: String::new(),
        line: 1,
    };
    p.unknown_keys(&root, &["override"]);
    let mut out = Vec::new();
    for t in p.tables(&root, "override") {
        p.unknown_keys(
            &t,
            &["id", "measure", "value", "from", "to", "levels", "note"],
        );
        let id = p.text(&t, "id", true);
        let measure = p.string(&t, "measure", true).and_then(|(s, line)| {
            let m = MeasureId::from_key(s);
            if m.is_none() {
                let known: Vec<_> = MeasureId::ALL.iter().map(|m| m.key()).collect();
                p.err(
                    line,
                    field(&t, "measure"),
                    format!(
                        "unknown measure `{s}` (expected one of: {})",
                        known.join(", ")
                    ),
                );
            }
            m
        });
        let value = match (measure, p.value(&t, "value", true)) {
            (Some(m), Some((v, line))) => {
                parse_measure_value(&mut p, v, line, &field(&t, "value"), m)
            }
            _ => None,
        };
        let from = p.date(&t, "from", true);
        let to = p.date(&t, "to", false);
        if let (Some((f, _)), Some((d, line))) = (from, to) {
            if d < f {
                p.err(line, field(&t, "to"), "must not be before `from`");
            }
        }
        let levels = match p.item(&t, "levels") {
            Some(_) => level_list(&mut p, &t, "levels").map(|(l, _)| l),
            None => Some(Vec::new()),
        };
        let note = p.text(&t, "note", false).unwrap_or_default();
        if let (Some(id), Some(measure), Some(value), Some((from, _)), Some(levels)) =
            (id, measure, value, from, levels)
        {
            out.push(MeasureOverride {
                id,
                measure,
                value,
                from,
                to: to.map(|(d, _)| d),
                levels,
                note,
            });
        }
    }
    let ok = p.ok();
    p.finish(ok.then_some(out))
}

/// A built-in rule set by id (`None` for an unknown id). Parsed on each call (microseconds).
pub fn builtin(id: &str) -> Option<RuleSet> {
    let text = crate::ruleset::builtin_text(id)?;
    let set = load_str(text, &format!("builtin:{id}.toml"))
        .unwrap_or_else(|e| panic!("built-in rule set {id} is invalid:\n{e}"));
    Some(set)
}

/// Every built-in rule set.
pub fn builtins() -> Vec<RuleSet> {
    crate::ruleset::builtin_ids().filter_map(builtin).collect()
}

/// Parses a rule set; see [`load_str`]. Convenience for `RuleSet::load_str`.
impl RuleSet {
    /// See [`load_str`].
    pub fn load_str(text: &str, source_name: &str) -> Result<RuleSet, LoadError> {
        load_str(text, source_name)
    }
}
