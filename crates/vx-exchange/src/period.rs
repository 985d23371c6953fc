//! Reporting periods as DHIS2 and ADX name them: a day, an ISO week, a month.

use std::fmt;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

/// A reporting period: its kind and first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// One day.
    Day(NaiveDate),
    /// An ISO 8601 week, Monday to Sunday (`2021W37`: 13–19 September 2021).
    Week { year: i32, week: u32 },
    /// A calendar month.
    Month { year: i32, month: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a period: give a day (2021-09-12), an ISO week (2021W37) or a month (2021-09)"
)]
pub struct PeriodError(pub String);

impl Period {
    /// Parses `2021-09-12` (or DHIS2's `20210912`), `2021W37` (or `2021-W37`), `2021-09`
    /// (or DHIS2's `202109`).
    pub fn parse(s: &str) -> Result<Period, PeriodError> {
        let t = s.trim();
        let bad = || PeriodError(t.chars().take(40).collect());
        if t.len() > 12 || !t.is_ascii() {
            return Err(bad());
        }
        if let Some((y, w)) = t.split_once('W') {
            let year: i32 = y.trim_end_matches('-').parse().map_err(|_| bad())?;
            let week: u32 = w.parse().map_err(|_| bad())?;
            NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
            if !(1900..=2999).contains(&year) {
                return Err(bad());
            }
            return Ok(Period::Week { year, week });
        }
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let (year, month, day) = match (t.len(), t.split('-').collect::<Vec<_>>().as_slice()) {
            (10, [y, m, d]) if digits(y) && digits(m) && digits(d) => (*y, *m, Some(*d)),
            (7, [y, m]) if digits(y) && digits(m) => (*y, *m, None),
            (8, [all]) if digits(all) => (&all[..4], &all[4..6], Some(&all[6..])),
            (6, [all]) if digits(all) => (&all[..4], &all[4..], None),
            _ => return Err(bad()),
        };
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u32 = month.parse().map_err(|_| bad())?;
        if !(1900..=2999).contains(&year) {
            return Err(bad());
        }
        match day {
            Some(d) => {
                let d: u32 = d.parse().map_err(|_| bad())?;
                NaiveDate::from_ymd_opt(year, month, d)
                    .map(Period::Day)
                    .ok_or_else(bad)
            }
            None => NaiveDate::from_ymd_opt(year, month, 1)
                .map(|_| Period::Month { year, month })
                .ok_or_else(bad),
        }
    }

    /// The first day.
    pub fn start(self) -> NaiveDate {
        match self {
            Period::Day(d) => d,
            Period::Week { year, week } => {
                NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).expect("checked at parse")
            }
            Period::Month { year, month } => {
                NaiveDate::from_ymd_opt(year, month, 1).expect("checked at parse")
            }
        }
    }

    /// The last day (included).
    pub fn end(self) -> NaiveDate {
        let start = self.start();
        match self {
            Period::Day(d) => d,
            Period::Week { .. } => start + Days::new(6),
            Period::Month { .. } => start + Months::new(1) - Days::new(1),
        }
    }

    /// The days of the period, in order.
    pub fn days(self) -> impl Iterator<Item = NaiveDate> {
        let end = self.end();
        self.start().iter_days().take_while(move |d| *d <= end)
    }

    /// DHIS2's period identifier: `20210912`, `2021W37`, `202109`.
    pub fn dhis2(self) -> String {
        match self {
            Period::Day(d) => d.format("%Y%m%d").to_string(),
            Period::Week { year, week } => format!("{year}W{week}"),
            Period::Month { year, month } => format!("{year}{month:02}"),
        }
    }

    /// ADX's period: the first day and an ISO 8601 duration (`2021-09-13/P7D`).
    pub fn adx(self) -> String {
        let duration = match self {
            Period::Day(_) => "P1D",
            Period::Week { .. } => "P7D",
            Period::Month { .. } => "P1M",
        };
        format!("{}/{duration}", self.start().format("%Y-%m-%d"))
    }

    /// The ISO week holding a day.
    pub fn week_of(day: NaiveDate) -> Period {
        let w = day.iso_week();
        Period::Week {
            year: w.year(),
            week: w.week(),
        }
    }
}

impl fmt::Display for Period {
    /// As written on the command line: `2021-09-12`, `2021W37`, `2021-09`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Period::Week { year, week } => write!(f, "{year}W{week}"),
            Period::Month { year, month } => write!(f, "{year}-{month:02}"),
        }
    }
}
