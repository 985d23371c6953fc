//! Policy sandbox support: compare two runs (e.g. the same days under two rule sets, or with a
//! threshold changed) and list where they differ.

use chrono::NaiveDate;
use serde::Serialize;

use crate::engine::{DayOutcomes, Outcome, UnitIx};

/// A unit and day whose level (or level in force) differs between run `a` and run `b`, with
/// both outcomes and their reasons.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Difference {
    /// The day.
    pub date: NaiveDate,
    /// The unit.
    pub unit: UnitIx,
    /// Outcome in run `a`.
    pub a: Outcome,
    /// Outcome in run `b`.
    pub b: Outcome,
}

impl Difference {
    /// Whether `b` gives a higher level than `a`.
    pub fn raised(&self) -> bool {
        self.b.level > self.a.level
    }
}

/// Differences on one day (units matched by index, up to the shorter list).
pub fn diff_day(date: NaiveDate, a: &[Outcome], b: &[Outcome]) -> Vec<Difference> {
    a.iter()
        .zip(b)
        .enumerate()
        .filter(|(_, (x, y))| x.level != y.level || x.in_force != y.in_force)
        .map(|(i, (x, y))| Difference {
            date,
            unit: i as UnitIx,
            a: *x,
            b: *y,
        })
        .collect()
}

/// Differences over replays: days matched by date (days in only one run are skipped), in date
/// then unit order.
pub fn diff(a: &[DayOutcomes], b: &[DayOutcomes]) -> Vec<Difference> {
    let mut out = Vec::new();
    for da in a {
        if let Some(db) = b.iter().find(|d| d.date == da.date) {
            out.extend(diff_day(da.date, &da.outcomes, &db.outcomes));
        }
    }
    out
}
