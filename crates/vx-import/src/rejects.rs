//! The rejects file of `--skip-bad-rows`: the refused rows, as read, with their reasons.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::Path;

use vx_domain::RowProblem;

use crate::table::Table;

/// Writes the rows of `table` that have problems to a CSV file at `path`: UTF-8 with a BOM
/// (so that Excel shows Vietnamese right), the header `row,<the file's headers>,reason`,
/// then one line per refused row with its row number, its cells as read and all its
/// reasons joined by "; ". See [`write_rejects_to`].
pub fn write_rejects(path: &Path, table: &Table, problems: &[RowProblem]) -> io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut out = io::BufWriter::new(file);
    write_rejects_to(&mut out, table, problems)?;
    out.flush()
}

/// Writes the rejects CSV of [`write_rejects`] to any writer (a web download).
///
/// A cell that begins with `=`, `+`, `-` or `@` is written with a leading `'`, so that a
/// spreadsheet shows it as text instead of running it as a formula (CSV injection): the
/// cells come from an uploaded file and may come from anyone. The `'` is also how Excel
/// users mark a cell as text, so the file can be fixed and imported again.
pub fn write_rejects_to<W: Write>(
    out: W,
    table: &Table,
    problems: &[RowProblem],
) -> io::Result<()> {
    let mut reasons: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for p in problems {
        reasons
            .entry(p.row)
            .or_default()
            .push(format!("{}: {}", p.column, p.message));
    }
    let width = table
        .rows
        .iter()
        .map(|(_, cells)| cells.len())
        .chain([table.headers.len()])
        .max()
        .unwrap_or(0);
    let mut out = out;
    out.write_all("\u{feff}".as_bytes())?;
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(out);
    let mut line: Vec<String> = Vec::with_capacity(width + 2);
    line.push("row".to_string());
    line.extend(table.headers.iter().map(|h| defuse(h)));
    line.resize(width + 1, String::new());
    line.push("reason".to_string());
    writer.write_record(&line)?;
    let mut written = BTreeSet::new();
    for (row, cells) in &table.rows {
        let Some(reasons) = reasons.get(row) else {
            continue;
        };
        written.insert(*row);
        line.clear();
        line.push(row.to_string());
        line.extend(cells.iter().map(|c| defuse(c)));
        line.resize(width + 1, String::new());
        line.push(defuse(&reasons.join("; ")));
        writer.write_record(&line)?;
    }
    // Problems on rows the table does not have (not from this table): keep their reasons.
    for (row, reasons) in reasons.iter().filter(|(row, _)| !written.contains(*row)) {
        line.clear();
        line.push(row.to_string());
        line.resize(width + 1, String::new());
        line.push(defuse(&reasons.join("; ")));
        writer.write_record(&line)?;
    }
    writer.flush()
}

/// A cell made safe for spreadsheets: a leading formula character is quoted with `'`.
fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(defuse("=1+1"), "'=1+1");
        assert_eq!(defuse("+84912345678"), "'+84912345678");
        assert_eq!(defuse("-5"), "'-5");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("Nguyễn Văn An"), "Nguyễn Văn An");
        assert_eq!(defuse(""), "");
    }
}
