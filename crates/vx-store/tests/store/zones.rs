//! Zone status on both backends (issue 4).
