//! Rows read from files, and why one was refused.

use serde::Serialize;

/// A value read from row `row` of a file (1-based, the header is row 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub row: u32,
    pub value: T,
}

/// Why a row was refused: its row, the column at fault and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub row: u32,
    pub column: String,
    pub message: String,
}

impl RowProblem {
    pub fn new(row: u32, column: &str, message: impl Into<String>) -> RowProblem {
        RowProblem {
            row,
            column: column.to_string(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "row {}, column {}: {}",
            self.row, self.column, self.message
        )
    }
}
