//! Errors that refuse a whole file. Each message starts with the file's name.

use std::fmt;

/// Why a file could not be read, or its columns do not fit the kind of data expected.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file's columns do not make a file of this kind (the message names the file).
    #[error("{message}")]
    Layout { file: String, message: String },
    #[error("{file}: cannot read the file: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{file}: unsupported file type; expected .csv, .xlsx, .xlsm, .xlsb, .xls or .ods \
         (the file name's extension decides)"
    )]
    UnsupportedFormat { file: String },
    #[error(
        "{file}, row {row}: the text is not UTF-8 (it looks like {encoding}); in Excel, save \
         the file as \"CSV UTF-8 (Comma delimited)\", or upload the .xlsx file itself"
    )]
    NotUtf8 {
        file: String,
        row: u32,
        /// The likely encoding: "Windows-1258 (Vietnamese)" or "Windows-1252 (Western)".
        encoding: &'static str,
    },
    #[error(
        "{file}: the spreadsheet unpacks to more than {max_mb} MB (the limit); split it into \
         smaller files"
    )]
    TooLarge { file: String, max_mb: u64 },
    #[error("{file}: more than {max} rows (the limit); split it into smaller files")]
    TooManyRows { file: String, max: u32 },
    #[error(
        "{file}: the file is UTF-16 text (Excel's \"Unicode Text\"); save it as \
         \"CSV UTF-8 (Comma delimited)\" or upload the .xlsx file itself"
    )]
    Utf16 { file: String },
    #[error("{file}: not a valid CSV file: {message}")]
    Csv { file: String, message: String },
    #[error("{file}: not a valid spreadsheet: {message}")]
    Spreadsheet { file: String, message: String },
    #[error("{file}: the workbook has no worksheet")]
    NoWorksheet { file: String },
    #[error("{file}: the file is empty (no header row)")]
    Empty { file: String },
    #[error("{file}: not a {kind} file: {}", list_missing(missing))]
    MissingColumns {
        file: String,
        kind: &'static str,
        missing: Vec<MissingColumn>,
    },
    #[error(
        "{file}: headers {first:?} and {second:?} both give column {column}; keep only one of them"
    )]
    DuplicateColumn {
        file: String,
        column: &'static str,
        first: String,
        second: String,
    },
}

impl ReadError {
    /// The display name of the file at fault.
    pub fn file(&self) -> &str {
        match self {
            ReadError::Io { file, .. }
            | ReadError::UnsupportedFormat { file }
            | ReadError::NotUtf8 { file, .. }
            | ReadError::TooLarge { file, .. }
            | ReadError::TooManyRows { file, .. }
            | ReadError::Utf16 { file }
            | ReadError::Csv { file, .. }
            | ReadError::Spreadsheet { file, .. }
            | ReadError::NoWorksheet { file }
            | ReadError::Empty { file }
            | ReadError::MissingColumns { file, .. }
            | ReadError::DuplicateColumn { file, .. }
            | ReadError::Layout { file, .. } => file,
        }
    }
}

/// A required column that no header of the file gives, with the headers accepted for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingColumn {
    pub column: &'static str,
    pub accepted: Vec<&'static str>,
}

impl fmt::Display for MissingColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "missing required column {} (accepted headers: {})",
            self.column,
            self.accepted
                .iter()
                .map(|a| format!("{a:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn list_missing(missing: &[MissingColumn]) -> String {
    missing
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
