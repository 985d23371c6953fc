//! A laboratory's results file (CSV/XLSX) into [`ResultRow`]s: English or Vietnamese headers
//! (`sample_code`/mã mẫu, `result`/kết quả, `ct`, `tested_at`/ngày xét nghiệm), every problem
//! of every row collected with its row and column. The same reading as `vungxanh import
//! results` (crates/vungxanh/src/epi_files.rs); both belong in vx-import in time.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use vx_domain::epi::{Ct, LabResult, ResultRow, SampleCode};
use vx_domain::{fold, Located, RowProblem};
use vx_import::Table;

/// A column: its canonical name, whether the file must have it, and the other headers
/// accepted for it (compared folded: case, diacritics, `_`, trailing `:`/`*` ignored).
struct Col {
    name: &'static str,
    required: bool,
    aliases: &'static [&'static str],
}

const SAMPLE_CODE: Col = Col {
    name: "sample_code",
    required: true,
    aliases: &["mã mẫu", "mã số mẫu", "mã ống", "barcode", "code"],
};

const RESULT_COLUMNS: &[Col] = &[
    SAMPLE_CODE,
    Col {
        name: "result",
        required: true,
        aliases: &["kết quả", "kết quả xét nghiệm"],
    },
    Col {
        name: "ct",
        required: false,
        aliases: &["ct value", "giá trị ct", "chỉ số ct"],
    },
    Col {
        name: "tested_at",
        required: true,
        aliases: &[
            "ngày xét nghiệm",
            "thời gian xét nghiệm",
            "ngày trả kết quả",
            "ngày có kết quả",
            "tested",
        ],
    },
];

fn header_key(h: &str) -> String {
    let t = h
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .trim_end_matches(['*', ':'])
        .trim_end()
        .trim_end_matches("(*)")
        .trim_end();
    fold(&t.replace('_', " "))
        .replace(" /", "/")
        .replace("/ ", "/")
}

/// Where a file's columns are.
struct Mapping {
    cells: HashMap<&'static str, usize>,
    labels: HashMap<&'static str, String>,
}

impl Mapping {
    fn new(table: &Table, kind: &str, columns: &'static [Col]) -> Result<Mapping, String> {
        let mut cells = HashMap::new();
        let mut labels = HashMap::new();
        for (i, h) in table.headers.iter().enumerate() {
            let key = header_key(h);
            let Some(col) = columns.iter().find(|c| {
                key == header_key(c.name) || c.aliases.iter().any(|a| key == header_key(a))
            }) else {
                continue;
            };
            if let Some(first) = cells.insert(col.name, i) {
                return Err(format!(
                    "{}: headers {:?} and {:?} both give column {}; keep only one of them",
                    table.file, table.headers[first], h, col.name
                ));
            }
            let label = if h == col.name {
                col.name.to_string()
            } else {
                format!("{} ({h})", col.name)
            };
            labels.insert(col.name, label);
        }
        let missing: Vec<String> = columns
            .iter()
            .filter(|c| c.required && !cells.contains_key(c.name))
            .map(|c| format!("{} (or {})", c.name, c.aliases.join(", ")))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "{}: not a {kind} file: missing column {}",
                table.file,
                missing.join("; ")
            ));
        }
        Ok(Mapping { cells, labels })
    }
}

/// One row's cells and problems.
struct Row<'a> {
    m: &'a Mapping,
    row: u32,
    cells: &'a [String],
    problems: Vec<RowProblem>,
}

impl<'a> Row<'a> {
    fn raw(&self, column: &str) -> &'a str {
        self.m
            .cells
            .get(column)
            .and_then(|&i| self.cells.get(i))
            .map_or("", |s| s.trim())
    }
    fn problem(&mut self, column: &str, message: impl Into<String>) {
        let label = self
            .m
            .labels
            .get(column)
            .cloned()
            .unwrap_or_else(|| column.to_string());
        self.problems
            .push(RowProblem::new(self.row, &label, message));
    }
    /// A required cell parsed by `parse`.
    fn required<T, E: std::fmt::Display>(
        &mut self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let raw = self.raw(column);
        if raw.is_empty() {
            self.problem(column, "is empty");
            return None;
        }
        match parse(raw) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(column, e.to_string());
                None
            }
        }
    }
}

/// An instant as written in a file: RFC 3339, or a Vietnamese local date and time
/// (`2021-09-22 06:30`, `22/09/2021 06:30`, `22/09/2021`, …).
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    let t = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    let local = chrono::FixedOffset::east_opt(vx_domain::VN_UTC_OFFSET_SECONDS).expect("offset");
    const TIMES: &[&str] = &[
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%H:%M %d/%m/%Y",
        "%d-%m-%Y %H:%M",
    ];
    let naive = TIMES
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .or_else(|| {
            ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .ok_or_else(|| {
            format!("{t:?} is not a date and time (2021-09-22 06:30 or 22/09/2021 06:30)")
        })?;
    local
        .from_local_datetime(&naive)
        .single()
        .map(|dt| dt.with_timezone(&Utc))
        .ok_or_else(|| format!("{t:?} is not a valid time"))
}

/// Parsed rows and the problems of the others.
pub struct Parsed<T> {
    pub rows: Vec<Located<T>>,
    pub problems: Vec<RowProblem>,
}

/// Reads a laboratory's results file.
pub fn parse_results(table: &Table) -> Result<Parsed<ResultRow>, String> {
    let m = Mapping::new(table, "results", RESULT_COLUMNS)?;
    let mut out = Parsed {
        rows: Vec::with_capacity(table.rows.len()),
        problems: Vec::new(),
    };
    for (row, cells) in &table.rows {
        let mut r = Row {
            m: &m,
            row: *row,
            cells,
            problems: Vec::new(),
        };
        let code = r.required("sample_code", SampleCode::parse);
        let result = r.required("result", LabResult::parse);
        let ct = if r.raw("ct").is_empty() {
            Some(None)
        } else {
            r.required("ct", Ct::parse).map(Some)
        };
        let tested_at = r.required("tested_at", parse_instant);
        if tested_at.is_some_and(|t| t > Utc::now()) {
            r.problem("tested_at", "is in the future");
        }
        let value = (|| {
            Some(ResultRow {
                sample_code: code?,
                result: result?,
                ct: ct?,
                tested_at: tested_at?,
            })
        })();
        match value {
            Some(value) if r.problems.is_empty() => out.rows.push(Located { row: *row, value }),
            _ => out.problems.append(&mut r.problems),
        }
    }
    Ok(out)
}
