//! Rules of the epidemiological record as data, versioned by the day they take effect:
//! pool sizes, quarantine of contacts, release of cases isolated at home (SPEC 4.5).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{add_days, ContactLevel, QuarantinePlace, SampleMethod};

const fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => panic!("invalid date"),
    }
}

/// A rule that takes effect on a day and stays in force until the next one.
pub trait Versioned {
    fn effective_from(&self) -> NaiveDate;
}

/// The rule in force on `day`: the latest one that took effect on or before it, or, for
/// days before every rule, the earliest one. `None` only for an empty list.
pub fn in_force<T: Versioned>(rules: &[T], day: NaiveDate) -> Option<&T> {
    rules
        .iter()
        .filter(|r| r.effective_from() <= day)
        .max_by_key(|r| r.effective_from())
        .or_else(|| rules.iter().min_by_key(|r| r.effective_from()))
}

// ---------------------------------------------------------------------------------------
// Pool sizes

/// How many people one sample may hold. Defaults (issue 3): RT-PCR pools of up to 10, 5 in
/// high-risk areas; rapid antigen tests are individual unless pools are allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolLimits {
    pub effective_from: NaiveDate,
    pub rt_pcr: u32,
    pub rt_pcr_high_risk: u32,
    /// `None`: rapid antigen samples are individual only.
    pub rapid_antigen_pool: Option<u32>,
}

impl Default for PoolLimits {
    fn default() -> Self {
        PoolLimits {
            effective_from: date(2020, 1, 1),
            rt_pcr: 10,
            rt_pcr_high_risk: 5,
            rapid_antigen_pool: None,
        }
    }
}

impl Versioned for PoolLimits {
    fn effective_from(&self) -> NaiveDate {
        self.effective_from
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error("a sample needs at least one person")]
    Empty,
    #[error("an individual sample holds one person, not {0}")]
    Individual(usize),
    #[error("a {method} pool holds at most {max} people{where_}, not {n}")]
    TooMany {
        method: &'static str,
        max: u32,
        n: usize,
        where_: &'static str,
    },
    #[error("{0} samples may not be pooled")]
    NotPoolable(&'static str),
}

impl PoolLimits {
    /// The most people a sample of this kind may hold.
    pub fn max_members(
        &self,
        method: SampleMethod,
        pooled: bool,
        high_risk: bool,
    ) -> Result<u32, PoolError> {
        if !pooled {
            return Ok(1);
        }
        match method {
            SampleMethod::RtPcr if high_risk => Ok(self.rt_pcr_high_risk),
            SampleMethod::RtPcr => Ok(self.rt_pcr),
            SampleMethod::RapidAntigen => self
                .rapid_antigen_pool
                .ok_or(PoolError::NotPoolable(method.as_str())),
        }
    }

    pub fn check(
        &self,
        method: SampleMethod,
        pooled: bool,
        high_risk: bool,
        members: usize,
    ) -> Result<(), PoolError> {
        if members == 0 {
            return Err(PoolError::Empty);
        }
        let max = self.max_members(method, pooled, high_risk)?;
        if !pooled && members != 1 {
            return Err(PoolError::Individual(members));
        }
        if members > max as usize {
            return Err(PoolError::TooMany {
                method: method.as_str(),
                max,
                n: members,
                where_: if high_risk && method == SampleMethod::RtPcr {
                    " in a high-risk area"
                } else {
                    ""
                },
            });
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Quarantine of contacts

/// Quarantine of contacts from a day on. Day 1 is the first day of quarantine; the test days
/// are numbered the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineRule {
    pub effective_from: NaiveDate,
    /// F1 in a facility: days there, then days of monitoring at home.
    pub f1_facility_days: u32,
    pub then_home_monitoring_days: u32,
    /// F1 at home.
    pub f1_home_days: u32,
    pub test_days: Vec<u32>,
    /// Fully vaccinated F1 at home, where the rule has such a case (from 16-12-2021).
    pub vaccinated_f1_home_days: Option<u32>,
    pub vaccinated_test_days: Vec<u32>,
    /// F2 (unconfirmed: in 2021 practice, home isolation of about 7 days, tested on the
    /// first day, or until their F1 tested negative).
    pub f2_days: u32,
    pub f2_test_days: Vec<u32>,
}

impl Versioned for QuarantineRule {
    fn effective_from(&self) -> NaiveDate {
        self.effective_from
    }
}

impl QuarantineRule {
    /// Decision 3638/QĐ-BYT from 14-7-2021; from 16-12-2021, vaccinated F1 at home for 7
    /// days, tested on days 1 and 7 (SPEC 4.5).
    pub fn defaults() -> Vec<QuarantineRule> {
        let base = QuarantineRule {
            effective_from: date(2021, 7, 14),
            f1_facility_days: 14,
            then_home_monitoring_days: 14,
            f1_home_days: 14,
            test_days: vec![1, 7, 14],
            vaccinated_f1_home_days: None,
            vaccinated_test_days: Vec::new(),
            f2_days: 7,
            f2_test_days: vec![1],
        };
        let vaccinated = QuarantineRule {
            effective_from: date(2021, 12, 16),
            vaccinated_f1_home_days: Some(7),
            vaccinated_test_days: vec![1, 7],
            ..base.clone()
        };
        vec![base, vaccinated]
    }

    pub fn validate(&self) -> Result<(), String> {
        let days = [self.f1_facility_days, self.f1_home_days, self.f2_days];
        if days.contains(&0) {
            return Err("quarantine lasts at least one day".into());
        }
        Ok(())
    }
}

/// A contact's quarantine: first and last day (inclusive), the monitoring at home that
/// follows a facility, and the days of the tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantinePlan {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The last day of home monitoring after a facility, if any.
    pub home_monitoring_end: Option<NaiveDate>,
    pub test_days: Vec<NaiveDate>,
    /// The rule used.
    pub rule_effective_from: NaiveDate,
}

impl QuarantinePlan {
    /// Whether the person is under quarantine or monitoring on `day`.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.start <= day && day <= self.home_monitoring_end.unwrap_or(self.end).max(self.end)
    }
}

/// The quarantine of a contact starting `start` (its day 1, usually the last exposure), by
/// the rule in force that day. `None` only when there is no rule at all.
pub fn quarantine_plan(
    rules: &[QuarantineRule],
    level: ContactLevel,
    start: NaiveDate,
    place: QuarantinePlace,
    vaccinated: bool,
) -> Option<QuarantinePlan> {
    let rule = in_force(rules, start)?;
    let (days, tests, monitoring) = match (level, place) {
        (ContactLevel::F2, _) => (rule.f2_days, &rule.f2_test_days, 0),
        (ContactLevel::F1, QuarantinePlace::Facility) => (
            rule.f1_facility_days,
            &rule.test_days,
            rule.then_home_monitoring_days,
        ),
        (ContactLevel::F1, QuarantinePlace::Home) => match rule.vaccinated_f1_home_days {
            Some(d) if vaccinated => (d, &rule.vaccinated_test_days, 0),
            _ => (rule.f1_home_days, &rule.test_days, 0),
        },
    };
    let days = days.max(1);
    let end = add_days(start, days - 1);
    let mut test_days: Vec<NaiveDate> = tests
        .iter()
        .filter(|d| (1..=days).contains(*d))
        .map(|d| add_days(start, d - 1))
        .collect();
    test_days.sort();
    test_days.dedup();
    Some(QuarantinePlan {
        start,
        end,
        home_monitoring_end: (monitoring > 0).then(|| add_days(end, monitoring)),
        test_days,
        rule_effective_from: rule.effective_from,
    })
}

// ---------------------------------------------------------------------------------------
// Release of cases

/// Release of a case from isolation. Default (Decision 4038/QĐ-BYT, 21-8-2021, F0 at home,
/// unconfirmed): after 14 days, with a negative test on the last day or later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRule {
    pub effective_from: NaiveDate,
    pub isolation_days: u32,
    pub needs_negative_test: bool,
}

impl Versioned for ReleaseRule {
    fn effective_from(&self) -> NaiveDate {
        self.effective_from
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseError {
    #[error("release is due on {due}, not before ({on})")]
    TooEarly { due: NaiveDate, on: NaiveDate },
    #[error("release needs a negative test taken on {from} or later")]
    NeedsNegativeTest { from: NaiveDate },
    #[error("the negative test ({test}) is after the release ({on})")]
    TestAfterRelease { test: NaiveDate, on: NaiveDate },
}

impl ReleaseRule {
    pub fn defaults() -> Vec<ReleaseRule> {
        vec![ReleaseRule {
            effective_from: date(2021, 8, 21),
            isolation_days: 14,
            needs_negative_test: true,
        }]
    }

    /// The first day a case isolated from `start` may be released: the day after its last
    /// day of isolation.
    pub fn release_due(&self, start: NaiveDate) -> NaiveDate {
        add_days(start, self.isolation_days)
    }

    /// Whether a case isolated from `start` may be released on `on`.
    pub fn check(
        &self,
        start: NaiveDate,
        on: NaiveDate,
        negative_test_on: Option<NaiveDate>,
    ) -> Result<(), ReleaseError> {
        let due = self.release_due(start);
        if on < due {
            return Err(ReleaseError::TooEarly { due, on });
        }
        if self.needs_negative_test {
            let from = add_days(start, self.isolation_days.saturating_sub(1));
            match negative_test_on {
                Some(t) if t > on => return Err(ReleaseError::TestAfterRelease { test: t, on }),
                Some(t) if t >= from => {}
                _ => return Err(ReleaseError::NeedsNegativeTest { from }),
            }
        }
        Ok(())
    }
}

/// The release due day of a case isolated from `start`, by the rule in force that day.
pub fn release_due(rules: &[ReleaseRule], start: NaiveDate) -> Option<NaiveDate> {
    in_force(rules, start).map(|r| r.release_due(start))
}
