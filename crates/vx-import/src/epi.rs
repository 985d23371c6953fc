//! Samples and results files (CSV/XLSX) into domain rows, on top of [`Table`]:
//! English `snake_case` or Vietnamese headers, every problem of every row collected with its
//! row and column, as `vx_import` does for people.
//!
//! Samples: one row per member of a sample (`sample_code, round_id, method, pooled,
//! high_risk, collected_at, collector, laboratory` and the person: `citizen_id`, or
//! `household_code, full_name, birth`). Results: `sample_code, result, ct, tested_at`.
//! Times without a zone are Vietnamese local time (UTC+7); a date alone is its 00:00.

use std::collections::HashMap;

use crate::{ReadError, Table};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use vx_domain::epi::{Ct, LabResult, PersonRef, ResultRow, SampleCode, SampleMethod, SampleRow};
use vx_domain::{
    fold, parse_flag, Birth, CitizenId, HouseholdCode, Located, PersonName, RowProblem,
};

type Result<T, E = ReadError> = std::result::Result<T, E>;

/// Refuses the file `table` with a message that names it.
macro_rules! bail {
    ($table:expr, $($arg:tt)*) => {
        return Err(ReadError::Layout { file: $table.file.clone(), message: format!($($arg)*) })
    };
}

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

const SAMPLE_COLUMNS: &[Col] = &[
    SAMPLE_CODE,
    Col {
        name: "round_id",
        required: false,
        aliases: &["round", "đợt", "mã đợt", "đợt xét nghiệm"],
    },
    Col {
        name: "method",
        required: false,
        aliases: &["phương pháp", "phương pháp xét nghiệm", "loại xét nghiệm"],
    },
    Col {
        name: "pooled",
        required: false,
        aliases: &["gộp mẫu", "gộp", "mẫu gộp", "pool"],
    },
    Col {
        name: "high_risk",
        required: false,
        aliases: &["nguy cơ cao", "vùng nguy cơ cao"],
    },
    Col {
        name: "collected_at",
        required: true,
        aliases: &[
            "ngày lấy mẫu",
            "thời gian lấy mẫu",
            "ngày giờ lấy mẫu",
            "collected",
        ],
    },
    Col {
        name: "collector",
        required: false,
        aliases: &["người lấy mẫu", "tổ lấy mẫu", "đơn vị lấy mẫu"],
    },
    Col {
        name: "laboratory",
        required: false,
        aliases: &["phòng xét nghiệm", "nơi xét nghiệm", "lab"],
    },
    Col {
        name: "citizen_id",
        required: false,
        aliases: &[
            "cccd",
            "số cccd",
            "cmnd",
            "số cmnd",
            "cmnd/cccd",
            "số định danh",
        ],
    },
    Col {
        name: "household_code",
        required: false,
        aliases: &["mã hộ", "mã hộ gia đình"],
    },
    Col {
        name: "full_name",
        required: false,
        aliases: &["họ và tên", "họ tên", "tên", "name"],
    },
    Col {
        name: "birth",
        required: false,
        aliases: &["ngày sinh", "năm sinh", "ngày tháng năm sinh", "birth_date"],
    },
];

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
    fn new(table: &Table, kind: &str, columns: &'static [Col]) -> Result<Mapping> {
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
                bail!(
                    table,
                    "{}: headers {:?} and {:?} both give column {}; keep only one of them",
                    table.file,
                    table.headers[first],
                    h,
                    col.name
                );
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
            bail!(
                table,
                "{}: not a {kind} file: missing column {}",
                table.file,
                missing.join("; ")
            );
        }
        Ok(Mapping { cells, labels })
    }

    fn has(&self, column: &str) -> bool {
        self.cells.contains_key(column)
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
    fn flag(&mut self, column: &str) -> Option<Option<bool>> {
        let raw = self.raw(column);
        if raw.is_empty() {
            return Some(None);
        }
        let folded = fold(raw);
        let v = match folded.as_str() {
            "gop" | "mau gop" | "pooled" | "pool" => Some(true),
            "don" | "mau don" | "le" | "individual" | "single" => Some(false),
            _ => parse_flag(raw),
        };
        match v {
            Some(b) => Some(Some(b)),
            None => {
                self.problem(column, format!("{raw:?} is not yes/no (có/không, x, 1/0)"));
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

/// A citizen ID whose leading zero a spreadsheet dropped (11 digits) gets it back.
fn citizen_id(raw: &str) -> Result<CitizenId, String> {
    let digits = raw.trim();
    let fixed = if digits.len() == 11 && digits.bytes().all(|b| b.is_ascii_digit()) {
        format!("0{digits}")
    } else {
        digits.to_string()
    };
    CitizenId::parse(&fixed).map_err(|e| e.to_string())
}

/// Parsed rows and the problems of the others.
pub struct Parsed<T> {
    pub rows: Vec<Located<T>>,
    pub problems: Vec<RowProblem>,
}

/// Reads a samples file. `round` is the round of rows without a `round_id` cell;
/// `progress` is called every 10,000 rows with the number of rows done.
pub fn parse_samples(
    table: &Table,
    round: Option<i64>,
    today: NaiveDate,
    mut progress: impl FnMut(u64),
) -> Result<Parsed<SampleRow>> {
    let m = Mapping::new(table, "samples", SAMPLE_COLUMNS)?;
    if round.is_none() && !m.has("round_id") {
        bail!(
            table,
            "{}: no round_id column (or \"đợt\"); give the round with --round ID",
            table.file
        );
    }
    let by_household = m.has("household_code") && m.has("full_name") && m.has("birth");
    if !(m.has("citizen_id") || by_household) {
        bail!(
            table,
            "{}: name each person by citizen_id (CCCD), or by household_code, full_name and birth",
            table.file
        );
    }
    // Rows per sample code: a code on several rows is a pool unless `pooled` says otherwise.
    let mut per_code: HashMap<String, u32> = HashMap::new();
    for (_, cells) in &table.rows {
        let r = Row {
            m: &m,
            row: 0,
            cells,
            problems: Vec::new(),
        };
        *per_code
            .entry(r.raw("sample_code").to_ascii_uppercase())
            .or_default() += 1;
    }
    let mut out = Parsed {
        rows: Vec::with_capacity(table.rows.len()),
        problems: Vec::new(),
    };
    for (n, (row, cells)) in table.rows.iter().enumerate() {
        if n % 10_000 == 0 {
            progress(n as u64);
        }
        let mut r = Row {
            m: &m,
            row: *row,
            cells,
            problems: Vec::new(),
        };
        let code = r.required("sample_code", SampleCode::parse);
        let round_id = if r.raw("round_id").is_empty() {
            match round {
                Some(id) => Some(id),
                None => {
                    r.problem("round_id", "is empty (or give --round ID)");
                    None
                }
            }
        } else {
            r.required("round_id", |s| {
                s.parse::<i64>()
                    .map_err(|_| format!("{s:?} is not a round number (id)"))
            })
        };
        let method = if r.raw("method").is_empty() {
            Some(SampleMethod::RtPcr)
        } else {
            r.required("method", SampleMethod::parse)
        };
        let pooled = r.flag("pooled").map(|p| {
            p.unwrap_or_else(|| {
                per_code
                    .get(&r.raw("sample_code").to_ascii_uppercase())
                    .is_some_and(|&n| n > 1)
            })
        });
        let high_risk = r.flag("high_risk").map(|h| h.unwrap_or(false));
        let collected_at = r.required("collected_at", parse_instant);
        if collected_at.is_some_and(|t| t > Utc::now()) {
            r.problem("collected_at", "is in the future");
        }
        let collector = r.raw("collector").to_string();
        let laboratory = r.raw("laboratory").to_string();
        let person = if !r.raw("citizen_id").is_empty() {
            r.required("citizen_id", citizen_id)
                .map(PersonRef::CitizenId)
        } else if r.raw("household_code").is_empty()
            && r.raw("full_name").is_empty()
            && r.raw("birth").is_empty()
        {
            r.problem(
                "citizen_id",
                "is empty: give the citizen ID, or the household code, full name and birth",
            );
            None
        } else {
            let hh = r.required("household_code", HouseholdCode::parse);
            let name = r.required("full_name", PersonName::parse);
            let birth = r.required("birth", |s| Birth::parse(s, today));
            match (hh, name, birth) {
                (Some(household_code), Some(full_name), Some(birth)) => {
                    Some(PersonRef::Household {
                        household_code,
                        full_name,
                        birth,
                    })
                }
                _ => None,
            }
        };
        let value = (|| {
            Some(SampleRow {
                sample_code: code?,
                round_id: round_id?,
                method: method?,
                pooled: pooled?,
                high_risk: high_risk?,
                collected_at: collected_at?,
                collector,
                laboratory,
                person: person?,
            })
        })();
        match value {
            Some(value) if r.problems.is_empty() => out.rows.push(Located { row: *row, value }),
            _ => out.problems.append(&mut r.problems),
        }
    }
    progress(table.rows.len() as u64);
    Ok(out)
}

/// Reads a laboratory's results file.
pub fn parse_results(table: &Table, mut progress: impl FnMut(u64)) -> Result<Parsed<ResultRow>> {
    let m = Mapping::new(table, "results", RESULT_COLUMNS)?;
    let mut out = Parsed {
        rows: Vec::with_capacity(table.rows.len()),
        problems: Vec::new(),
    };
    for (n, (row, cells)) in table.rows.iter().enumerate() {
        if n % 10_000 == 0 {
            progress(n as u64);
        }
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
    progress(table.rows.len() as u64);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(csv: &str) -> Table {
        crate::read_table_from_bytes("f.csv", csv.as_bytes()).unwrap()
    }

    fn today() -> NaiveDate {
        "2021-10-01".parse().unwrap()
    }

    #[test]
    fn vietnamese_sample_headers_and_local_times() {
        let t = table(
            "Mã mẫu,Đợt,Phương pháp,Gộp mẫu,Ngày lấy mẫu,Người lấy mẫu,Phòng xét nghiệm,Mã hộ,Họ và tên,Ngày sinh,CCCD\n\
             bt-0001,3,PCR,x,22/09/2021 06:30,Tổ 1,CDC Bến Tre,,,,83080001234\n\
             BT-0001,3,PCR,x,22/09/2021 06:30,Tổ 1,CDC Bến Tre,2884601-0001,Nguyễn Văn An,1980,\n\
             BT-0002,3,test nhanh,,2021-09-22,Tổ 1,CDC Bến Tre,,,,\n",
        );
        let p = parse_samples(&t, None, today(), |_| {}).unwrap();
        assert_eq!(p.rows.len(), 2);
        let first = &p.rows[0].value;
        assert_eq!(first.sample_code.as_str(), "BT-0001");
        assert_eq!(first.round_id, 3);
        assert!(first.pooled);
        assert_eq!(
            first.collected_at,
            "2021-09-21T23:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            first.person,
            PersonRef::CitizenId(CitizenId::parse("083080001234").unwrap())
        );
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].row, 4);
        assert_eq!(p.problems[0].column, "citizen_id (CCCD)");
    }

    #[test]
    fn results_with_problems_name_row_and_column() {
        let t = table(
            "mã mẫu,kết quả,ct,ngày xét nghiệm\n\
             BT-0001,Âm tính,,2021-09-22 14:00\n\
             BT-0002,dương tính,\"24,5\",2021-09-22\n\
             BT-0003,maybe,99,\n\
             BT-0004,âm tính,,2099-01-01\n",
        );
        let p = parse_results(&t, |_| {}).unwrap();
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[1].value.result, LabResult::Positive);
        assert_eq!(p.rows[1].value.ct.unwrap().value(), 24.5);
        let cols: Vec<_> = p.problems.iter().map(|p| p.column.as_str()).collect();
        assert_eq!(
            cols,
            [
                "result (kết quả)",
                "ct",
                "tested_at (ngày xét nghiệm)",
                "tested_at (ngày xét nghiệm)"
            ]
        );
        assert!(p.problems[..3].iter().all(|p| p.row == 4));
        assert_eq!(p.problems[3].row, 5);
        assert_eq!(p.problems[3].message, "is in the future");
    }

    #[test]
    fn a_file_without_the_needed_columns_is_refused_whole() {
        let t = table("code,result\nBT-0001,negative\n");
        let e = parse_results(&t, |_| {}).err().unwrap().to_string();
        assert!(e.contains("tested_at"), "{e}");
    }
}
