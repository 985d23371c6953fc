//! From a [`Table`] to domain records, collecting every problem of every row.

use std::collections::HashMap;
use std::fmt::Display;

use chrono::NaiveDate;
use vx_domain::{
    parse_flag, Birth, CitizenId, HouseholdCode, Located, NewHousehold, NewPerson, NewUnit,
    PersonName, Phone, Relation, RowProblem, Sex, UnitCode, UnitLevel,
};

use crate::columns::{Kind, Mapping};
use crate::error::ReadError;
use crate::table::{Format, Table};

/// The rows of a file that parsed, the problems of those that did not, and the headers
/// that name no column of this kind (ignored, to be shown to the user as a warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    pub rows: Vec<Located<T>>,
    pub problems: Vec<RowProblem>,
    pub ignored_columns: Vec<String>,
    /// The optional columns the file does not have (canonical names).
    pub absent_columns: Vec<&'static str>,
    /// Per parsed row, the optional columns present in the file whose cell is empty.
    pub empty_cells: HashMap<u32, Vec<&'static str>>,
}

impl<T> Parsed<T> {
    /// Whether every row parsed.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// Per row, the optional fields the file does not give, whose stored values an import
    /// keeps: the absent columns, and the empty cells unless `empty_clears` (then an empty
    /// cell erases the stored value). Rows that give everything are not listed.
    pub fn kept(&self, empty_clears: bool) -> HashMap<u32, Vec<&'static str>> {
        let mut kept = HashMap::new();
        for r in &self.rows {
            let mut columns = self.absent_columns.clone();
            if !empty_clears {
                if let Some(empty) = self.empty_cells.get(&r.row) {
                    columns.extend(empty.iter().copied());
                }
            }
            if !columns.is_empty() {
                kept.insert(r.row, columns);
            }
        }
        kept
    }
}

/// The checks of one row: reads cells by column and collects the row's problems.
struct RowCheck<'a> {
    table: &'a Table,
    mapping: &'a Mapping,
    row: u32,
    cells: &'a [String],
    problems: Vec<RowProblem>,
}

impl<'a> RowCheck<'a> {
    fn new(table: &'a Table, mapping: &'a Mapping, row: u32, cells: &'a [String]) -> Self {
        RowCheck {
            table,
            mapping,
            row,
            cells,
            problems: Vec::new(),
        }
    }

    fn raw(&self, column: &str) -> &'a str {
        self.mapping.cell(self.cells, column).0
    }

    /// Whether the cell may be a number whose leading zeros Excel dropped: a number cell of
    /// a spreadsheet, or any cell of a CSV file (which may have been saved by Excel after
    /// it turned the column into numbers). Text cells of a spreadsheet are kept as typed.
    fn may_have_lost_zeros(&self, column: &str) -> bool {
        match self.mapping.cell(self.cells, column).1 {
            Some(_) if self.table.format == Format::Csv => true,
            Some(i) => self.table.is_numeric_cell(self.row, i),
            None => false,
        }
    }

    fn problem(&mut self, column: &str, message: impl Into<String>) {
        let label = self.mapping.label(column).to_string();
        let message = cut_value(message.into(), self.raw(column));
        self.problems
            .push(RowProblem::new(self.row, &label, message));
    }

    /// A required cell: a problem when empty or when it does not parse.
    fn required<T, E: Display>(
        &mut self,
        column: &str,
        value: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        if value.is_empty() {
            self.problem(column, "missing (the column is required)");
            return None;
        }
        match parse(value) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(column, e.to_string());
                None
            }
        }
    }

    /// An optional cell: `Some(None)` when empty, `None` when it does not parse.
    fn optional<T, E: Display>(
        &mut self,
        column: &str,
        value: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<Option<T>> {
        if value.is_empty() {
            return Some(None);
        }
        match parse(value) {
            Ok(v) => Some(Some(v)),
            Err(e) => {
                self.problem(column, e.to_string());
                None
            }
        }
    }

    fn flag(&mut self, column: &str) -> Option<bool> {
        let value = self.raw(column);
        let flag = parse_flag(value);
        if flag.is_none() {
            self.problem(
                column,
                format!("{value:?} is not yes or no (x, có, 1, true / empty, không, 0, false)"),
            );
        }
        flag
    }

    /// A phone cell, with a leading 0 that Excel dropped put back.
    fn phone(&mut self, column: &str) -> Option<Option<Phone>> {
        let raw = self.raw(column);
        let value = if self.may_have_lost_zeros(column) {
            restore_phone(raw)
        } else {
            raw.to_string()
        };
        self.optional(column, &value, Phone::parse)
    }

    /// A unique key of the file: a problem when an earlier row has it too.
    fn unique(&mut self, column: &str, seen: &mut HashMap<String, u32>, key: &str, what: &str) {
        if let Some(first) = seen.get(key) {
            self.problem(column, format!("{what} {key} is also on row {first}"));
        } else {
            seen.insert(key.to_string(), self.row);
        }
    }

    fn finish<T>(self, value: Option<T>, parsed: &mut Parsed<T>) {
        if self.problems.is_empty() {
            let value = value.expect("a row without problems has a value");
            let empty: Vec<&'static str> = self
                .mapping
                .optional()
                .filter(|(_, cell)| {
                    cell.is_some_and(|i| self.cells.get(i).is_none_or(String::is_empty))
                })
                .map(|(name, _)| name)
                .collect();
            if !empty.is_empty() {
                parsed.empty_cells.insert(self.row, empty);
            }
            parsed.rows.push(Located {
                row: self.row,
                value,
            });
        } else {
            parsed.problems.extend(self.problems);
        }
    }
}

/// How much of a cell's value a message quotes.
pub const MAX_QUOTED_CHARS: usize = 80;

/// A message with the cell's value cut to [`MAX_QUOTED_CHARS`] characters wherever it
/// quotes it (a refusal must not echo a megabyte cell); any message is cut at 400.
fn cut_value(message: String, value: &str) -> String {
    let mut message = message;
    if value.chars().count() > MAX_QUOTED_CHARS {
        let head: String = value.chars().take(MAX_QUOTED_CHARS).collect();
        let cut = format!("{head:?}… ({} characters)", value.chars().count());
        message = message
            .replace(&format!("{value:?}"), &cut)
            .replace(value, &cut);
    }
    if message.chars().count() > 400 {
        message = message.chars().take(400).chain(['…']).collect();
    }
    message
}

fn start<T>(table: &Table, kind: Kind) -> Result<(Mapping, Parsed<T>), ReadError> {
    let mapping = Mapping::new(&table.file, kind, &table.headers, &table.rows)?;
    let parsed = Parsed {
        rows: Vec::with_capacity(table.rows.len()),
        problems: Vec::new(),
        ignored_columns: mapping.ignored.clone(),
        absent_columns: mapping
            .optional()
            .filter(|(_, cell)| cell.is_none())
            .map(|(name, _)| name)
            .collect(),
        empty_cells: HashMap::new(),
    };
    Ok((mapping, parsed))
}

// ---------------------------------------------------------------------------------------
// Units

/// Parses a units file: `code*, parent_code, level*, type, name*, full_name, population`.
pub fn parse_units(table: &Table) -> Result<Parsed<NewUnit>, ReadError> {
    let (m, mut parsed) = start(table, Kind::Units)?;
    // The level of a commune's parent: a district in the 2021 tree, a province since 2025.
    // Known from the file when it has district or province rows (see `unit_code_text`).
    let levels: Vec<UnitLevel> = table
        .rows
        .iter()
        .filter_map(|(_, cells)| m.cell(cells, "level").0.parse().ok())
        .collect();
    let commune_parent = if levels.contains(&UnitLevel::District) {
        Some(UnitLevel::District)
    } else if levels.contains(&UnitLevel::Province) {
        Some(UnitLevel::Province)
    } else {
        None
    };
    let parent_level = |level: UnitLevel| match level {
        UnitLevel::Province => None,
        UnitLevel::District => Some(UnitLevel::Province),
        UnitLevel::Commune => commune_parent,
        UnitLevel::Hamlet => Some(UnitLevel::Commune),
    };
    let mut seen = HashMap::new();
    for (row, cells) in &table.rows {
        let mut c = RowCheck::new(table, &m, *row, cells);
        let level = c.required("level", c.raw("level"), str::parse::<UnitLevel>);
        let code_text = unit_code_text(&c, "code", level);
        let code = c.required("code", &code_text, UnitCode::parse);
        if let Some(code) = &code {
            c.unique("code", &mut seen, code.as_str(), "unit code");
        }
        let parent_text = unit_code_text(&c, "parent_code", level.and_then(parent_level));
        let parent_code = c.optional("parent_code", &parent_text, UnitCode::parse);
        if let (Some(code), Some(Some(parent))) = (&code, &parent_code) {
            if code == parent {
                c.problem(
                    "parent_code",
                    format!("unit {code} cannot be its own parent"),
                );
            }
        }
        let kind = collapse_spaces(c.raw("type"));
        let name = c.required("name", c.raw("name"), |s| {
            Ok::<_, std::convert::Infallible>(collapse_spaces(s))
        });
        let full_name = collapse_spaces(c.raw("full_name"));
        let population = c.optional("population", c.raw("population"), parse_population);
        let value = (|| {
            let name = name?;
            Some(NewUnit {
                code: code?,
                parent_code: parent_code?,
                level: level?,
                kind,
                full_name: if full_name.is_empty() {
                    name.clone()
                } else {
                    full_name
                },
                name,
                population: population?,
            })
        })();
        c.finish(value, &mut parsed);
    }
    Ok(parsed)
}

/// The text of a unit code cell, with the leading zeros that Excel dropped from a number
/// cell put back. GSO codes have fixed widths by level: provinces 2 digits ("01"),
/// districts 3 ("001"), communes 5 ("00070"); so the spreadsheet number 1 in the code
/// column of a province is "01". Hamlet codes have no fixed width and are kept, as is a
/// code whose level is unknown. Only number cells of spreadsheets are touched: in CSV a
/// short code may be a local one, and is kept as written.
fn unit_code_text(c: &RowCheck<'_>, column: &str, level: Option<UnitLevel>) -> String {
    let raw = c.raw(column);
    let numeric = match c.mapping.cell(c.cells, column).1 {
        Some(i) => c.table.is_numeric_cell(c.row, i),
        None => false,
    };
    let width = match level {
        Some(UnitLevel::Province) => 2,
        Some(UnitLevel::District) => 3,
        Some(UnitLevel::Commune) => 5,
        Some(UnitLevel::Hamlet) | None => return raw.to_string(),
    };
    match bare_number(raw) {
        Some(digits) if numeric => format!("{digits:0>width$}"),
        _ => raw.to_string(),
    }
}

/// A population: a whole number ≥ 0, digits grouped or not ("12345", "12.345",
/// "12,345", "12 345").
fn parse_population(s: &str) -> Result<i64, String> {
    let err = || format!("population {s:?} must be a whole number, 0 or more");
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = if compact.bytes().all(|b| b.is_ascii_digit()) {
        compact
    } else {
        // Thousands separators: one kind, groups of three after the first.
        let sep = if compact.contains('.') { '.' } else { ',' };
        let mut groups = compact.split(sep);
        let first = groups.next().unwrap_or("");
        let first_ok = (1..=3).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_digit());
        let rest: Vec<&str> = groups.collect();
        let rest_ok = !rest.is_empty()
            && rest
                .iter()
                .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
        if !first_ok || !rest_ok {
            return Err(err());
        }
        compact.replace(sep, "")
    };
    digits.parse::<i64>().map_err(|_| err())
}

fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------
// Households

/// Parses a households file: `household_code*, unit_code*, head_name*, address, phone,
/// poor, lost_income`.
pub fn parse_households(table: &Table) -> Result<Parsed<NewHousehold>, ReadError> {
    let (m, mut parsed) = start(table, Kind::Households)?;
    let mut seen = HashMap::new();
    for (row, cells) in &table.rows {
        let mut c = RowCheck::new(table, &m, *row, cells);
        let code = c.required(
            "household_code",
            c.raw("household_code"),
            HouseholdCode::parse,
        );
        if let Some(code) = &code {
            c.unique("household_code", &mut seen, code.as_str(), "household code");
        }
        let unit_code = c.required("unit_code", c.raw("unit_code"), UnitCode::parse);
        let head_name = c.required("head_name", c.raw("head_name"), PersonName::parse);
        let address = collapse_spaces(c.raw("address"));
        let phone = c.phone("phone");
        let poor = c.flag("poor");
        let lost_income = c.flag("lost_income");
        let value = (|| {
            Some(NewHousehold {
                code: code?,
                unit_code: unit_code?,
                head_name: head_name?,
                address,
                phone: phone?,
                poor: poor?,
                lost_income: lost_income?,
            })
        })();
        c.finish(value, &mut parsed);
    }
    Ok(parsed)
}

// ---------------------------------------------------------------------------------------
// People

/// Parses a people file: `household_code*, full_name*, birth*, sex*, citizen_id, phone,
/// relation`. Births are checked against `today` (not in the future, not more than 120
/// years ago), and a CCCD against the birth year and sex it encodes.
pub fn parse_people(table: &Table, today: NaiveDate) -> Result<Parsed<NewPerson>, ReadError> {
    let (m, mut parsed) = start(table, Kind::People)?;
    let mut seen = HashMap::new();
    for (row, cells) in &table.rows {
        let mut c = RowCheck::new(table, &m, *row, cells);
        let household_code = c.required(
            "household_code",
            c.raw("household_code"),
            HouseholdCode::parse,
        );
        let full_name = c.required("full_name", c.raw("full_name"), PersonName::parse);
        let birth = c.required("birth", c.raw("birth"), |s| Birth::parse(s, today));
        let sex = c.required("sex", c.raw("sex"), Sex::parse);
        let citizen_id = citizen_id(&mut c);
        if let Some(Some(id)) = &citizen_id {
            c.unique("citizen_id", &mut seen, id.as_str(), "citizen ID");
            if let (Some(birth), Some(sex)) = (&birth, sex) {
                if let Err(e) = id.check_against(birth, sex) {
                    c.problem("citizen_id", e.to_string());
                }
            }
        }
        let phone = c.phone("phone");
        let relation = c.with_default("relation", Relation::parse);
        let value = (|| {
            Some(NewPerson {
                household_code: household_code?,
                full_name: full_name?,
                birth: birth?,
                sex: sex?,
                citizen_id: citizen_id?,
                phone: phone?,
                relation: relation?,
            })
        })();
        c.finish(value, &mut parsed);
    }
    Ok(parsed)
}

impl RowCheck<'_> {
    /// A cell whose parser gives a default for the empty value.
    fn with_default<T, E: Display>(
        &mut self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match parse(self.raw(column)) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(column, e.to_string());
                None
            }
        }
    }
}

fn citizen_id(c: &mut RowCheck<'_>) -> Option<Option<CitizenId>> {
    let raw = c.raw("citizen_id");
    let value = if c.may_have_lost_zeros("citizen_id") {
        restore_citizen_id(raw)
    } else {
        raw.to_string()
    };
    if looks_scientific(&value) {
        c.problem(
            "citizen_id",
            format!(
                "{value:?} is a number Excel shortened (scientific notation): its digits are \
                 lost; format the column as Text and type the ID again"
            ),
        );
        return None;
    }
    c.optional("citizen_id", &value, CitizenId::parse)
}

// ---------------------------------------------------------------------------------------
// Excel's lost leading zeros
//
// Excel turns a cell typed as 083185001234 into the number 83185001234 unless the column
// is formatted as Text, and saving such a sheet as CSV writes the number. A number never
// starts with 0, and Vietnamese IDs and phones always do, so a bare digit string that does
// not start with 0 and has the tell-tale length is one whose zeros were dropped. This is
// only done for number cells of spreadsheets and for CSV cells (see
// `RowCheck::may_have_lost_zeros`), and only for digit strings: "83 185 001 234" or
// "+84..." are left to the parsers.

/// Digits of a cell that is a bare digit string not starting with 0.
fn bare_number(s: &str) -> Option<&str> {
    (!s.is_empty() && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

/// A CCCD is 12 digits and begins with its province code 001–096: 11 digits lost one zero,
/// 10 digits lost two (provinces 001–009: Hà Nội, Hà Giang...). A CMND is 9 digits and may
/// begin with 0 (Hà Nội "01..."): 8 digits lost one.
fn restore_citizen_id(s: &str) -> String {
    match bare_number(s).map(str::len) {
        Some(10 | 11) => format!("{s:0>12}"),
        Some(8) => format!("0{s}"),
        _ => s.to_string(),
    }
}

/// A mobile is 0 then 9 digits starting with 3, 5, 7, 8 or 9; a landline 0 then 10 digits
/// starting with 2. Without the 0 (9 and 10 digits), put it back. Numbers with the
/// country code ("84912345678") parse as they are.
fn restore_phone(s: &str) -> String {
    let Some(digits) = bare_number(s) else {
        return s.to_string();
    };
    let lost = matches!(
        (digits.len(), digits.as_bytes()[0]),
        (9, b'3' | b'5' | b'7' | b'8' | b'9') | (10, b'2')
    );
    if lost {
        format!("0{digits}")
    } else {
        s.to_string()
    }
}

/// "8.31851E+10": what Excel writes for a long number in a narrow column.
fn looks_scientific(s: &str) -> bool {
    let upper = s.to_ascii_uppercase();
    let Some((mantissa, exponent)) = upper.split_once('E') else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    !mantissa.is_empty()
        && mantissa
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
        && mantissa.bytes().any(|b| b.is_ascii_digit())
        && !exponent.is_empty()
        && exponent.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citizen_ids_get_their_zeros_back() {
        let check = |input: &str, expected: &str| {
            assert_eq!(restore_citizen_id(input), expected, "{input:?}")
        };
        check("83185001234", "083185001234");
        check("1085001234", "001085001234");
        check("12345678", "012345678");
        check("083185001234", "083185001234");
        check("321456789", "321456789");
        check("0123456789", "0123456789");
        check("83 185 001 234", "83 185 001 234");
        check("", "");
    }

    #[test]
    fn phones_get_their_zero_back() {
        let check =
            |input: &str, expected: &str| assert_eq!(restore_phone(input), expected, "{input:?}");
        check("912345678", "0912345678");
        check("328123456", "0328123456");
        check("2753822123", "02753822123");
        check("84912345678", "84912345678");
        check("123456789", "123456789");
        check("0912345678", "0912345678");
        check("912 345 678", "912 345 678");
    }

    #[test]
    fn scientific_notation() {
        assert!(looks_scientific("8.31851E+10"));
        assert!(looks_scientific("8,31851E+10"));
        assert!(looks_scientific("1e9"));
        assert!(!looks_scientific("E+10"));
        assert!(!looks_scientific("083185001234"));
        assert!(!looks_scientific("Le Van E"));
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let long = "x".repeat(1_000_000);
        let m = cut_value(format!("name {long:?} must be short"), &long);
        assert!(m.len() < 200, "{}", m.len());
        assert!(
            m.contains(&format!("\"{}\"… (1000000 characters)", "x".repeat(80))),
            "{m}"
        );
        assert_eq!(cut_value("short".into(), "short"), "short");
        assert_eq!(cut_value("a".repeat(500), "").chars().count(), 401);
    }

    #[test]
    fn populations() {
        assert_eq!(parse_population("12345"), Ok(12345));
        assert_eq!(parse_population("12.345"), Ok(12345));
        assert_eq!(parse_population("1,234,567"), Ok(1234567));
        assert_eq!(parse_population("12 345"), Ok(12345));
        assert_eq!(parse_population("0"), Ok(0));
        assert!(parse_population("-5").is_err());
        assert!(parse_population("12.5").is_err());
        assert!(parse_population("1.234,5").is_err());
        assert!(parse_population("abc").is_err());
        assert!(parse_population("99999999999999999999").is_err());
    }
}
