//! Screening, samples, results, cases and contacts over HTTP (issue 3).
