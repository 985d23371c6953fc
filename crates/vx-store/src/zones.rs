//! Zone status storage: rule sets, assignments, indicators, daily levels with reasons (issue 4).
