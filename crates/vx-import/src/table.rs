//! Reading a file into a [`Table`] of text cells, whatever its format.

use std::collections::BTreeSet;
use std::io::Cursor;
use std::path::Path;

use std::io::Read;

use calamine::{Data, ExcelDateTime, Reader, SheetType, SheetVisible, Sheets, Xlsx};

use crate::columns::is_known_header;
use crate::error::ReadError;
use vx_domain::fold;

/// How many non-blank rows at the top of a file may be titles above the header row.
const MAX_TITLE_ROWS: usize = 20;

/// What a file may hold before it is refused whole, nothing read further.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The bytes a spreadsheet (a ZIP: XLSX, XLSM, XLSB, ODS) may unpack to, counted while
    /// unpacking (the sizes a file declares may lie).
    pub max_inflated_bytes: u64,
    /// The rows of a sheet, header and blank rows included (CSV files have no limit).
    pub max_rows: u32,
}

impl Default for Limits {
    /// 512 MiB unpacked and 1,048,576 rows (Excel's own maximum): any sheet Excel can
    /// save fits, a national list included.
    fn default() -> Limits {
        Limits {
            max_inflated_bytes: 512 * 1024 * 1024,
            max_rows: 1_048_576,
        }
    }
}

/// The format of a file, decided by the extension of its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `.csv`, `.tsv`, `.txt`: UTF-8 text, delimiter sniffed.
    Csv,
    /// `.xlsx`, `.xlsm`
    Xlsx,
    /// `.xlsb`
    Xlsb,
    /// `.xls` (Excel 97–2003)
    Xls,
    /// `.ods` (LibreOffice)
    Ods,
}

impl Format {
    /// The format for a file name, by its extension (case-insensitive).
    pub fn from_name(name: &str) -> Option<Format> {
        let ext = Path::new(name).extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "csv" | "tsv" | "txt" => Format::Csv,
            "xlsx" | "xlsm" => Format::Xlsx,
            "xlsb" => Format::Xlsb,
            "xls" => Format::Xls,
            "ods" => Format::Ods,
            _ => return None,
        })
    }

    pub fn is_spreadsheet(self) -> bool {
        self != Format::Csv
    }
}

/// A file read as text: its header row and its data rows, every cell trimmed.
///
/// Row numbers are 1-based and true to the file as Excel shows it: the header is row 1
/// when it is the first line, blank rows are dropped but still counted, and rows above
/// the header (a spreadsheet's title lines) are dropped. Every row has at least as many
/// cells as there are headers (short rows are padded with empty cells).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The file's display name, used in every message.
    pub file: String,
    pub headers: Vec<String>,
    pub rows: Vec<(u32, Vec<String>)>,
    pub format: Format,
    /// The cells, by (row number, column index), that a spreadsheet stored as numbers
    /// rather than text: the only cells whose lost leading zeros are restored (see the
    /// record parsers). Always empty for CSV.
    pub numeric_cells: BTreeSet<(u32, usize)>,
    /// A final totals row of an official template ("Tổng cộng: 10"), dropped: its row
    /// number and its first cell.
    pub totals_row: Option<(u32, String)>,
}

impl Table {
    /// A table of text cells, as if read from a CSV file.
    pub fn new(
        file: impl Into<String>,
        headers: Vec<String>,
        rows: Vec<(u32, Vec<String>)>,
    ) -> Table {
        Table {
            file: file.into(),
            headers,
            rows,
            format: Format::Csv,
            numeric_cells: BTreeSet::new(),
            totals_row: None,
        }
    }

    /// Whether the cell at (row number, column index) was a number in a spreadsheet.
    pub fn is_numeric_cell(&self, row: u32, column: usize) -> bool {
        self.numeric_cells.contains(&(row, column))
    }
}

/// Reads a CSV or spreadsheet file; the extension decides the format. The table's display
/// name is the path as given.
pub fn read_table(path: &Path) -> Result<Table, ReadError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        file: file.clone(),
        source,
    })?;
    read_table_from_bytes(&file, &bytes)
}

/// Reads a file received as bytes (a web upload); the extension of `name` decides the
/// format, and `name` is the table's display name.
pub fn read_table_from_bytes(name: &str, bytes: &[u8]) -> Result<Table, ReadError> {
    read_table_with_limits(name, bytes, Limits::default())
}

/// [`read_table_from_bytes`] within other limits than the default ones.
pub fn read_table_with_limits(
    name: &str,
    bytes: &[u8],
    limits: Limits,
) -> Result<Table, ReadError> {
    let format = Format::from_name(name).ok_or_else(|| ReadError::UnsupportedFormat {
        file: name.to_string(),
    })?;
    let (rows, numeric) = match format {
        Format::Csv => (read_csv(name, bytes)?, BTreeSet::new()),
        _ => read_workbook(name, format, bytes, limits)?,
    };
    build_table(name, format, rows, numeric)
}

type RawRows = Vec<(u32, Vec<String>)>;

/// A CSV file has no row limit: it is read as it streams, its size is the upload's or the
/// disk's, and a province's people (more than Excel's million rows) come as CSV.
fn read_csv(file: &str, bytes: &[u8]) -> Result<RawRows, ReadError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ReadError::Utf16 {
            file: file.to_string(),
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(bytes))
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    // Row numbers as Excel shows them: the csv reader counts lines, but a quoted cell may
    // span several lines while being one row. Blank lines (skipped by the reader) count.
    let (mut prev_row, mut prev_end_line) = (0u64, 0u64);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(ReadError::Csv {
                    file: file.to_string(),
                    message: e.to_string(),
                })
            }
        }
        // The reader gives the position before the blank lines it skipped: skip them too.
        let line = record.position().map_or(prev_end_line + 1, |p| {
            let skipped = usize::try_from(p.byte())
                .ok()
                .and_then(|at| bytes.get(at..))
                .unwrap_or_default()
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .filter(|&&b| b == b'\n')
                .count();
            p.line() + skipped as u64
        });
        let row = prev_row + line.saturating_sub(prev_end_line).max(1);
        let inner_lines: u64 = record
            .iter()
            .map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64)
            .sum();
        prev_row = row;
        prev_end_line = line.max(prev_end_line + 1) + inner_lines;
        let row = u32::try_from(row).unwrap_or(u32::MAX);
        let cells = record
            .iter()
            .map(|f| std::str::from_utf8(f).map(|s| s.trim().to_string()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ReadError::NotUtf8 {
                file: file.to_string(),
                row,
                encoding: likely_encoding(bytes),
            })?;
        rows.push((row, cells));
    }
    Ok(rows)
}

/// The delimiter of a CSV file: whichever of `,` `;` and tab occurs most (outside quotes)
/// on the first line that has any of them; `,` when tied or when none does. Excel writes
/// `;` where the list separator of Windows is `;` (many Vietnamese installations).
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];
    for line in bytes.split(|&b| b == b'\n').take(MAX_TITLE_ROWS) {
        let mut counts = [0usize; 3];
        let mut quoted = false;
        for &b in line {
            if b == b'"' {
                quoted = !quoted;
            } else if !quoted {
                if let Some(i) = CANDIDATES.iter().position(|&c| c == b) {
                    counts[i] += 1;
                }
            }
        }
        let best = (0..3).fold(0, |best, i| if counts[i] > counts[best] { i } else { best });
        if counts[best] > 0 {
            return CANDIDATES[best];
        }
    }
    b','
}

/// A text that is not UTF-8 is most likely a legacy Windows code page: Windows-1258
/// (Vietnamese) when it has the bytes of its Vietnamese letters and tone marks, otherwise
/// Windows-1252 (Western European).
fn likely_encoding(bytes: &[u8]) -> &'static str {
    // Windows-1258: Ă ă Đ đ Ơ ơ Ư ư, and the combining tone marks (grave, acute, hook,
    // tilde, dot below). Rare in Western text.
    const VIETNAMESE: [u8; 13] = [
        0xC3, 0xE3, 0xD0, 0xF0, 0xD5, 0xF5, 0xDD, 0xFD, 0xCC, 0xEC, 0xD2, 0xDE, 0xF2,
    ];
    let high: Vec<u8> = bytes.iter().copied().filter(|b| *b >= 0x80).collect();
    let vietnamese = high.iter().filter(|b| VIETNAMESE.contains(b)).count();
    if !high.is_empty() && vietnamese * 2 >= high.len() {
        "Windows-1258 (Vietnamese)"
    } else {
        "Windows-1252 (Western European)"
    }
}

/// Refuses a ZIP container (XLSX, XLSB, ODS) that unpacks to more than the limit: first by
/// the sizes it declares, then by unpacking it, without keeping what is unpacked (a file
/// may declare small sizes and unpack to gigabytes).
fn check_inflated(file: &str, bytes: &[u8], limits: Limits) -> Result<(), ReadError> {
    let too_large = || ReadError::TooLarge {
        file: file.to_string(),
        max_mb: limits.max_inflated_bytes / (1024 * 1024),
    };
    // Not a ZIP: the spreadsheet reader says what is wrong.
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let mut declared = 0u64;
    for i in 0..zip.len() {
        if let Ok(f) = zip.by_index_raw(i) {
            declared = declared.saturating_add(f.size());
        }
    }
    if declared > limits.max_inflated_bytes {
        return Err(too_large());
    }
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    // The shared strings are loaded whole when the workbook opens: count them against the
    // cells of the sheets while unpacking, so that a table of millions of strings no cell uses
    // is refused before it is in memory.
    let (mut strings, mut cells) = (Tags::new(b"si"), Tags::new(b"c"));
    for i in 0..zip.len() {
        // An entry this reader cannot unpack is not one the spreadsheet reader needs, or
        // it says so itself.
        let Ok(mut f) = zip.by_index(i) else { continue };
        let name = f.name().map(|n| n.to_ascii_lowercase()).unwrap_or_default();
        let mut counter = if name.ends_with("sharedstrings.xml") {
            Some(&mut strings)
        } else if name.contains("worksheets/") && name.ends_with(".xml") {
            Some(&mut cells)
        } else {
            None
        };
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            total += n as u64;
            if total > limits.max_inflated_bytes {
                return Err(too_large());
            }
            if let Some(c) = counter.as_deref_mut() {
                c.feed(&buf[..n]);
            }
        }
        if let Some(c) = counter {
            c.end_part();
        }
    }
    if strings.count > cells.count.saturating_add(UNUSED_STRINGS_ALLOWED) {
        return Err(ReadError::Spreadsheet {
            file: file.to_string(),
            message: format!(
                "its shared-strings table holds {} strings for {} cells (a spreadsheet program \
                 keeps only the strings its cells use): open it and save it again",
                strings.count, cells.count
            ),
        });
    }
    Ok(())
}

/// Shared strings a workbook may hold beyond its cells (some writers keep a few unused).
const UNUSED_STRINGS_ALLOWED: u64 = 10_000;

/// Counts the elements named `name` (`<si>`, `<x:si …>`) in XML that arrives in pieces.
struct Tags {
    name: &'static [u8],
    count: u64,
    /// The end of the previous piece, where a tag may have been cut.
    tail: Vec<u8>,
}

impl Tags {
    fn new(name: &'static [u8]) -> Tags {
        Tags {
            name,
            count: 0,
            tail: Vec::new(),
        }
    }

    fn feed(&mut self, piece: &[u8]) {
        // a tag is `<`, an optional `prefix:`, the name, then `>`, `/` or white space
        let longest = self.name.len() + 34;
        // only a piece that follows a cut tag is copied (behind the few bytes of that tag)
        let joined;
        let text: &[u8] = if self.tail.is_empty() {
            piece
        } else {
            let mut t = std::mem::take(&mut self.tail);
            t.extend_from_slice(piece);
            joined = t;
            &joined
        };
        let mut i = 0;
        while let Some(at) = text[i..].iter().position(|&b| b == b'<') {
            let start = i + at + 1;
            let Some(end) = text[start..]
                .iter()
                .position(|&b| b == b'>' || b == b'/' || b.is_ascii_whitespace())
                .map(|e| start + e)
            else {
                // cut at the end of the piece: keep it for the next one (bounded)
                if text.len() - start < longest {
                    self.tail = text[start - 1..].to_vec();
                }
                return;
            };
            let tag = &text[start..end];
            let local = tag.rsplit(|&b| b == b':').next().unwrap_or(tag);
            if local == self.name {
                self.count += 1;
            }
            i = end;
        }
    }

    fn end_part(&mut self) {
        self.tail.clear();
    }
}

fn read_workbook(
    file: &str,
    format: Format,
    bytes: &[u8],
    limits: Limits,
) -> Result<(RawRows, BTreeSet<(u32, usize)>), ReadError> {
    let bad = |e: &dyn std::fmt::Display| ReadError::Spreadsheet {
        file: file.to_string(),
        message: e.to_string(),
    };
    let too_many = || ReadError::TooManyRows {
        file: file.to_string(),
        max: limits.max_rows,
    };
    if format != Format::Xls {
        check_inflated(file, bytes, limits)?;
    }
    let cursor = Cursor::new(bytes);
    if format == Format::Xlsx {
        // Cell by cell, so that too many rows are refused before they are all in memory.
        let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(cursor).map_err(|e| bad(&e))?;
        let sheet = first_sheet(file, workbook.sheets_metadata())?;
        let mut reader = workbook
            .worksheet_cells_reader(&sheet)
            .map_err(|e| bad(&e))?;
        let dims = reader.dimensions();
        if dims.end.0.saturating_sub(dims.start.0) >= limits.max_rows {
            return Err(too_many());
        }
        // The declared dimension may be absent or lie: count the rows first, keeping
        // nothing, so that a sheet of millions of rows is refused in little memory.
        while let Some(cell) = reader.next_cell().map_err(|e| bad(&e))? {
            if cell.get_position().0 >= limits.max_rows {
                return Err(too_many());
            }
        }
        drop(reader);
        let mut reader = workbook
            .worksheet_cells_reader(&sheet)
            .map_err(|e| bad(&e))?;
        let first_column = dims.start.1;
        let mut rows: RawRows = Vec::new();
        let mut numeric = BTreeSet::new();
        while let Some(cell) = reader.next_cell().map_err(|e| bad(&e))? {
            let (r, c) = cell.get_position();
            if r >= limits.max_rows {
                return Err(too_many());
            }
            let row = r.saturating_add(1);
            let j = c.saturating_sub(first_column) as usize;
            let value = Data::from(cell.get_value().clone());
            if matches!(value, Data::Empty) {
                continue;
            }
            if rows.last().is_none_or(|(n, _)| *n != row) {
                rows.push((row, Vec::new()));
            }
            let cells = &mut rows.last_mut().expect("a row").1;
            if cells.len() <= j {
                cells.resize(j + 1, String::new());
            }
            if matches!(value, Data::Int(_) | Data::Float(_)) {
                numeric.insert((row, j));
            }
            cells[j] = cell_text(&value);
        }
        rows.sort_by_key(|(row, _)| *row);
        return Ok((rows, numeric));
    }
    let mut workbook: Sheets<_> = match format {
        Format::Xlsb => Sheets::Xlsb(calamine::open_workbook_from_rs(cursor).map_err(|e| bad(&e))?),
        Format::Xls => Sheets::Xls(calamine::open_workbook_from_rs(cursor).map_err(|e| bad(&e))?),
        Format::Ods => Sheets::Ods(calamine::open_workbook_from_rs(cursor).map_err(|e| bad(&e))?),
        Format::Csv | Format::Xlsx => unreachable!("read above"),
    };
    let sheet = first_sheet(file, workbook.sheets_metadata())?;
    let range = workbook.worksheet_range(&sheet).map_err(|e| bad(&e))?;
    if range.height() > limits.max_rows as usize {
        return Err(too_many());
    }
    let first_row = range.start().map_or(0, |(r, _)| r);
    let mut rows = Vec::with_capacity(range.height());
    let mut numeric = BTreeSet::new();
    for (i, cells) in range.rows().enumerate() {
        let row = first_row
            .saturating_add(u32::try_from(i).unwrap_or(u32::MAX))
            .saturating_add(1);
        let cells = cells
            .iter()
            .enumerate()
            .map(|(j, cell)| {
                if matches!(cell, Data::Int(_) | Data::Float(_)) {
                    numeric.insert((row, j));
                }
                cell_text(cell)
            })
            .collect();
        rows.push((row, cells));
    }
    Ok((rows, numeric))
}

/// The first visible worksheet (hidden sheets usually hold lookup lists), else the first
/// worksheet.
fn first_sheet(file: &str, sheets: &[calamine::Sheet]) -> Result<String, ReadError> {
    sheets
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .or_else(|| sheets.iter().find(|s| s.typ == SheetType::WorkSheet))
        .map(|s| s.name.clone())
        .ok_or_else(|| ReadError::NoWorksheet {
            file: file.to_string(),
        })
}

/// The text a user typed to get this cell, as far as it can be told.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) if dt.is_duration() => number_text(dt.as_f64()),
        Data::DateTime(dt) => date_text(dt),
        // ODS dates: "1985-03-07" or "1985-03-07T00:00:00".
        Data::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).trim().to_string(),
        Data::DurationIso(s) => s.trim().to_string(),
        Data::Error(e) => e.to_string(),
    }
}

/// Integers without ".0" (Excel stores every number as a float: a year typed as 1985
/// arrives as 1985.0, a CCCD as 83185001234.0).
fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// A date cell as "YYYY-MM-DD" (with " HH:MM:SS" when it has a time of day).
fn date_text(dt: &ExcelDateTime) -> String {
    let (y, mo, d, h, mi, s, _ms) = dt.to_ymd_hms_milli();
    if dt.as_f64() < 1.0 {
        format!("{h:02}:{mi:02}:{s:02}")
    } else if (h, mi, s) == (0, 0, 0) {
        format!("{y:04}-{mo:02}-{d:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    }
}

/// Drops blank rows, finds the header row and pads the data rows to the header's width.
fn build_table(
    file: &str,
    format: Format,
    rows: RawRows,
    mut numeric: BTreeSet<(u32, usize)>,
) -> Result<Table, ReadError> {
    let mut rows: RawRows = rows
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
        .collect();
    if rows.is_empty() {
        return Err(ReadError::Empty {
            file: file.to_string(),
        });
    }
    // The header row is the first row naming at least two known columns, among the first
    // rows: spreadsheets from offices often start with a title ("UBND XÃ ...", "DANH SÁCH
    // HỘ GIA ĐÌNH"). When none does, the first row is the header.
    let header_index = rows
        .iter()
        .take(MAX_TITLE_ROWS)
        .position(|(_, cells)| cells.iter().filter(|c| is_known_header(c)).count() >= 2)
        .unwrap_or(0);
    let mut data = rows.split_off(header_index + 1);
    let (header_row, mut headers) = rows.pop().expect("header row");
    for h in &mut headers {
        *h = h
            .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
            .to_string();
    }
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    let width = headers.len();
    for (_, cells) in &mut data {
        while cells.len() > width && cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        if cells.len() < width {
            cells.resize(width, String::new());
        }
    }
    numeric.retain(|(row, _)| *row > header_row);
    let totals_row = match data.last() {
        Some((row, cells)) if is_totals_row(cells) => {
            let first = cells
                .iter()
                .find(|c| !c.is_empty())
                .cloned()
                .unwrap_or_default();
            let row = *row;
            data.pop();
            Some((row, first))
        }
        _ => None,
    };
    Ok(Table {
        file: file.to_string(),
        headers,
        rows: data,
        format,
        numeric_cells: numeric,
        totals_row,
    })
}

/// A final row of an official template that sums the rows above: its first non-empty
/// cell starts with "Tổng cộng" or "Tổng số" (case and diacritics ignored), or is "Cộng"
/// (with its diacritics: "Công" is a name) alone or followed by ":" or a number.
fn is_totals_row(cells: &[String]) -> bool {
    let Some(first) = cells.iter().find(|c| !c.is_empty()) else {
        return false;
    };
    let folded = fold(first);
    let phrase = ["tong cong", "tong so"].iter().any(|word| {
        folded
            .strip_prefix(word)
            .is_some_and(|rest| rest.chars().next().is_none_or(|c| !c.is_alphanumeric()))
    });
    let lower = first.to_lowercase();
    let bare = lower.strip_prefix("cộng").is_some_and(|rest| {
        let rest = rest.trim_start();
        rest.is_empty() || rest.starts_with(':') || rest.starts_with(|c: char| c.is_ascii_digit())
    });
    phrase || bare
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_counted_wherever_the_pieces_are_cut() {
        let xml = br#"<sst count="3"><si><t>a</t></si><x:si><t>b</t></x:si><si ><t>sign</t></si><sig/></sst>"#;
        for size in 1..xml.len() {
            let mut t = Tags::new(b"si");
            for piece in xml.chunks(size) {
                t.feed(piece);
            }
            assert_eq!(t.count, 3, "pieces of {size} bytes");
        }
        let mut cells = Tags::new(b"c");
        cells.feed(
            br#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"/><col/><cols></cols></row>"#,
        );
        assert_eq!(cells.count, 2);
    }

    #[test]
    fn numbers_read_as_typed() {
        assert_eq!(number_text(1985.0), "1985");
        assert_eq!(number_text(83185001234.0), "83185001234");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(number_text(f64::NAN), "NaN");
    }

    #[test]
    fn totals_rows() {
        let row = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert!(is_totals_row(&row(&["Tổng cộng: 10", "", ""])));
        assert!(is_totals_row(&row(&["", "TỔNG SỐ", "10"])));
        assert!(is_totals_row(&row(&["Cộng", "3"])));
        assert!(is_totals_row(&row(&["Cộng: 3 hộ"])));
        assert!(is_totals_row(&row(&["Tong cong"])));
        assert!(!is_totals_row(&row(&["Công Văn Ba", "1980"])));
        assert!(!is_totals_row(&row(&["Cộng Hòa", "1980"])));
        assert!(!is_totals_row(&row(&["2884601-0001", "Tổng cộng"])));
        assert!(!is_totals_row(&row(&["", ""])));
    }

    #[test]
    fn encodings_named() {
        // Windows-1258 bytes of Vietnamese letters: ă 0xE3, Đ 0xD0, a dot below 0xF2.
        let vietnamese = b"Nguy\xEAn V\xE3n \xD0\xF4c, Tr\xE2\xF2n";
        assert_eq!(likely_encoding(vietnamese), "Windows-1258 (Vietnamese)");
        let western = b"Fran\xE7ois M\xFCller, Jos\xE9";
        assert_eq!(likely_encoding(western), "Windows-1252 (Western European)");
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter(b"a,b;c,d\n"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\n1,5;2;3\n"), b';');
        assert_eq!(sniff_delimiter(b"\"a;b\",c\n"), b',');
        assert_eq!(sniff_delimiter(b"\n\nTitle\na\tb\n"), b'\t');
        assert_eq!(sniff_delimiter(b"one column\n"), b',');
        assert_eq!(sniff_delimiter(b""), b',');
    }

    #[test]
    fn dates_read_as_iso() {
        use calamine::ExcelDateTimeType::DateTime;
        assert_eq!(
            date_text(&ExcelDateTime::new(31113.0, DateTime, false)),
            "1985-03-07"
        );
        assert_eq!(
            date_text(&ExcelDateTime::new(31113.5, DateTime, false)),
            "1985-03-07 12:00:00"
        );
        assert_eq!(
            date_text(&ExcelDateTime::new(0.25, DateTime, false)),
            "06:00:00"
        );
    }
}
