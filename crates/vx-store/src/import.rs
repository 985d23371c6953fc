//! What imports share: row locations, problems, options and summaries.

use std::collections::HashMap;

use serde::Serialize;
use vx_domain::Access;
pub use vx_domain::{Located, RowProblem};

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Check everything, write nothing.
    pub dry_run: bool,
    /// Write the good rows and return the bad ones in the summary instead of refusing all.
    pub skip_bad_rows: bool,
    /// The file's name and SHA-256, recorded with the batch.
    pub file_name: String,
    pub sha256: String,
    /// Per row, the optional columns the file does not give (the column is absent, or the
    /// cell empty without `--empty-clears`): the stored values of those fields are kept.
    /// Rows not listed give every column.
    pub kept: HashMap<u32, Vec<&'static str>>,
    /// Whose scope the import acts in: a person moves to another commune only when it
    /// covers both communes (otherwise the row is held for review). `None`: unrestricted
    /// (the command line without `--user`, an administrator).
    pub access: Option<Access>,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Of `updated`, the people moved to a household of another commune.
    pub moved: u64,
    /// Rows held for identity review (see `docs/registry.md`), with why: not errors, and
    /// not applied.
    pub held: Vec<RowProblem>,
    /// Rows refused (only with `skip_bad_rows`), with their reasons.
    pub skipped: Vec<RowProblem>,
    pub dry_run: bool,
}

impl ImportSummary {
    pub fn rows(&self) -> u64 {
        self.created
            + self.updated
            + self.unchanged
            + self.held.len() as u64
            + self.skipped.len() as u64
    }
}

/// Refuses the import (`Err`) when there are problems and bad rows are not to be skipped;
/// otherwise moves them into the summary.
pub(crate) fn settle_problems(
    mut problems: Vec<RowProblem>,
    opts: &ImportOptions,
    summary: &mut ImportSummary,
) -> crate::Result<()> {
    problems.sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
    if !problems.is_empty() && !opts.skip_bad_rows {
        return Err(crate::StoreError::Rows(problems));
    }
    summary.skipped = problems;
    summary.dry_run = opts.dry_run;
    Ok(())
}
