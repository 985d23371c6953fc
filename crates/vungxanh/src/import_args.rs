//! What every `vungxanh import …` command shares, whichever crate parses its file: the
//! common flags and how a file's problems are said. Below `import` and `epi_cmd`, which both
//! use it (neither reaches up into the other for these).

use std::path::PathBuf;

use clap::Args;
use vx_domain::RowProblem;

#[derive(Args, Clone, Default)]
pub struct CommonArgs {
    /// Check everything, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the good rows; write the bad ones, with their reasons, to this CSV file.
    #[arg(long, value_name = "REJECTS_CSV")]
    pub skip_bad_rows: Option<PathBuf>,
    /// Who is importing, for the audit log.
    #[arg(long, default_value = "cli")]
    pub actor: String,
    /// Import as this user (audit and scope): a person moves to another commune only when
    /// the user's scope covers both, otherwise the row is held for review. Without it the
    /// command line is unrestricted.
    #[arg(long, value_name = "USERNAME")]
    pub user: Option<String>,
    /// An empty cell erases the stored value (by default an empty cell, like a column the
    /// file does not have, keeps it).
    #[arg(long)]
    pub empty_clears: bool,
}

/// Says that a final totals row of an official template was skipped.
pub fn say_totals_row(table: &vx_import::Table) {
    if let Some((row, text)) = &table.totals_row {
        let text: String = text.chars().take(vx_import::MAX_QUOTED_CHARS).collect();
        println!("{}: row {row}: totals row {text:?} skipped", table.file);
    }
}

/// How many problems are printed; the rest are counted (a rejects file keeps them all).
pub const MAX_PRINTED_PROBLEMS: usize = 200;

/// Prints `FILE: row R, column C: message` for at most [`MAX_PRINTED_PROBLEMS`] problems,
/// then `… and K more`.
pub fn print_problems(name: &str, problems: &[RowProblem], mut print: impl FnMut(&str)) {
    for p in problems.iter().take(MAX_PRINTED_PROBLEMS) {
        print(&format!(
            "{name}: row {}, column {}: {}",
            p.row, p.column, p.message
        ));
    }
    if problems.len() > MAX_PRINTED_PROBLEMS {
        print(&format!(
            "{name}: … and {} more (--skip-bad-rows FILE writes them all)",
            problems.len() - MAX_PRINTED_PROBLEMS
        ));
    }
}
