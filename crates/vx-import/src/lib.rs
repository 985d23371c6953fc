//! vungxanh interchange: reading the files officials send — CSV and spreadsheets, with
//! English `snake_case` or Vietnamese headers — into domain records, row by row.
//!
//! The work is split in three steps, so that a caller (the CLI, the web upload) can show
//! everything that is wrong with a file at once and decide what to do with it:
//!
//! 1. [`read_table`] / [`read_table_from_bytes`] turn a file into a [`Table`] of trimmed
//!    text cells, whatever the format: CSV (UTF-8 with or without BOM, `,` `;` or tab
//!    sniffed from the header line) or XLSX/XLSM/XLSB/XLS/ODS (the first visible
//!    worksheet). Spreadsheet cells are turned back into the text the user typed
//!    (`1985` not `1985.0`, dates as `YYYY-MM-DD`). Row numbers are those the user sees in
//!    Excel, header included, blank rows counted.
//! 2. [`parse_units`], [`parse_households`] and [`parse_people`] map the headers to
//!    columns (see [`Kind::columns`] for the accepted names), then parse every cell with
//!    the domain parsers. Every problem of every row is collected as a
//!    [`RowProblem`](vx_domain::RowProblem) naming the row and the column (the canonical
//!    English name, followed by the file's own header when it differs:
//!    `birth (Ngày sinh)`); rows without problems come back as
//!    [`Located`](vx_domain::Located) records. A file whose columns are wrong (a required
//!    column missing, two headers for one column) is refused as a whole with a
//!    [`ReadError`].
//! 3. [`write_rejects`] writes the refused rows with their reasons to a CSV the user can
//!    open in Excel, fix and import again (`--skip-bad-rows`).
//!
//! Nothing here touches the database: whether a unit code exists, or a household is
//! already registered, is for the store to say.

mod columns;
mod error;
mod records;
mod rejects;
mod table;

pub use columns::{Column, Kind};
pub use error::{MissingColumn, ReadError};
pub mod epi;

pub use records::{parse_households, parse_people, parse_units, Parsed, MAX_QUOTED_CHARS};
pub use rejects::{write_rejects, write_rejects_to};
pub use table::{read_table, read_table_from_bytes, read_table_with_limits, Format, Limits, Table};
