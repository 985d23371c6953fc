//! Zone status over HTTP (issue 4).
