//! Inputs: the numbers known about one unit on one day.

use serde::{Deserialize, Serialize};

/// How many past screening rounds an [`Indicators`] can carry.
pub const MAX_SCREENING_ROUNDS: usize = 4;

/// One screening round of a unit: coverage (people sampled / people targeted, in percent) and
/// the number of positive results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScreeningRound {
    /// People sampled / people targeted × 100.
    pub coverage_pct: f64,
    /// Positive results (individuals, or confirmed after pool retests).
    pub positives: u32,
}

/// What is known about one unit on one day. Plain numbers; `None` where unknown.
///
/// Only community cases count (not imported cases, not cases found in quarantine).
/// A criterion whose input is `None` is *not met* and makes the outcome
/// [`incomplete`](crate::Outcome::incomplete) when it could have changed the level;
/// the one exception is [`days_since_last_community_case`](Self::days_since_last_community_case),
/// where `None` means "no community case on record" (known, not missing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Indicators {
    /// People living in the unit.
    pub population: Option<u32>,
    /// Community cases confirmed in the last 7 days (today included).
    pub community_cases_7d: Option<u32>,
    /// Community cases confirmed in the last 14 days (today included).
    pub community_cases_14d: Option<u32>,
    /// New community cases per 100,000 people per week, if computed by the caller (e.g. a
    /// published figure). When `None` it is derived from cases and population by the rule
    /// set's `case_rate` method.
    pub cases_per_100k_week: Option<f64>,
    /// Community cases with unknown source in the last 14 days.
    pub unknown_source_cases_14d: Option<u32>,
    /// Active clusters of cases with unknown source.
    pub unknown_source_clusters: Option<u32>,
    /// Cases traced to an industrial park, school, large supermarket or other hard-to-trace place.
    pub hard_to_trace_place_cases: Option<u32>,
    /// Cases from a crowded place within a red cluster.
    pub red_cluster_crowded_place_cases: Option<u32>,
    /// Days since the last community case (0 = a case today); `None` = no community case on record.
    pub days_since_last_community_case: Option<u32>,
    /// F1 contacts living in the community (not in a facility).
    pub f1_in_community: Option<u32>,
    /// Share of people 18+ with at least one dose, percent.
    pub first_dose_18plus_pct: Option<f64>,
    /// Share of people 50+ fully vaccinated (every dose of the primary series), percent.
    pub fully_vaccinated_50plus_pct: Option<f64>,
    /// Share of people 65+ fully vaccinated (every dose of the primary series), percent.
    pub fully_vaccinated_65plus_pct: Option<f64>,
    /// Treatment capacity met (oxygen at commune stations, mobile stations, ICU beds).
    pub capacity_met: Option<bool>,
    /// Every new case confirmed in the last 7 days, whatever its source (Decision 218 counts
    /// the cases in the area, not only community cases).
    pub all_cases_7d: Option<u32>,
    /// New cases of the last 7 days that needed oxygen (severe or critical).
    pub oxygen_cases_7d: Option<u32>,
    /// Deaths of cases in the last 7 days.
    pub deaths_7d: Option<u32>,
    /// Share of the whole population fully vaccinated, percent.
    pub fully_vaccinated_pct: Option<f64>,
    /// Response capacity (Decision 218, criterion 3).
    pub response_capacity: Option<ResponseCapacity>,
    /// The last screening rounds, most recent first.
    pub screening_rounds: [Option<ScreeningRound>; MAX_SCREENING_ROUNDS],
}

impl Indicators {
    /// Sets the last screening rounds (most recent first; extra rounds beyond
    /// [`MAX_SCREENING_ROUNDS`] are dropped).
    pub fn with_rounds(mut self, rounds: &[ScreeningRound]) -> Indicators {
        self.screening_rounds = [None; MAX_SCREENING_ROUNDS];
        for (slot, r) in self.screening_rounds.iter_mut().zip(rounds) {
            *slot = Some(*r);
        }
        self
    }

    /// New community cases per 100,000 people per week: the caller's figure if given,
    /// else computed by `method`.
    pub fn case_rate(&self, method: CaseRate) -> Option<f64> {
        if let Some(r) = self.cases_per_100k_week {
            return Some(r);
        }
        let pop = f64::from(self.population.filter(|&p| p > 0)?);
        let weekly = match method {
            CaseRate::SevenDays => f64::from(self.community_cases_7d?),
            CaseRate::FourteenDaysHalved => f64::from(self.community_cases_14d?) / 2.0,
        };
        Some(weekly * 100_000.0 / pop)
    }

    /// A count of the last 7 days per 100,000 people.
    fn per_100k_week(&self, count: Option<u32>) -> Option<f64> {
        let pop = f64::from(self.population.filter(|&p| p > 0)?);
        Some(f64::from(count?) * 100_000.0 / pop)
    }

    /// The value of one indicator (derived ones computed), as a number.
    pub fn value(&self, id: IndicatorId, method: CaseRate) -> Option<f64> {
        let n = |v: Option<u32>| v.map(f64::from);
        match id {
            IndicatorId::CommunityCases7d => n(self.community_cases_7d),
            IndicatorId::CommunityCases14d => n(self.community_cases_14d),
            IndicatorId::CasesPer100kWeek => self.case_rate(method),
            IndicatorId::UnknownSourceCases14d => n(self.unknown_source_cases_14d),
            IndicatorId::KnownSourceCases14d => Some(f64::from(
                self.community_cases_14d?
                    .saturating_sub(self.unknown_source_cases_14d?),
            )),
            IndicatorId::UnknownSourceClusters => n(self.unknown_source_clusters),
            IndicatorId::HardToTracePlaceCases => n(self.hard_to_trace_place_cases),
            IndicatorId::RedClusterCrowdedPlaceCases => n(self.red_cluster_crowded_place_cases),
            IndicatorId::DaysSinceLastCommunityCase => n(self.days_since_last_community_case),
            IndicatorId::F1InCommunity => n(self.f1_in_community),
            IndicatorId::FirstDose18PlusPct => self.first_dose_18plus_pct,
            IndicatorId::FullyVaccinated50PlusPct => self.fully_vaccinated_50plus_pct,
            IndicatorId::FullyVaccinated65PlusPct => self.fully_vaccinated_65plus_pct,
            IndicatorId::AllCasesPer100kWeek => self.per_100k_week(self.all_cases_7d),
            IndicatorId::OxygenCasesPer100kWeek => self.per_100k_week(self.oxygen_cases_7d),
            IndicatorId::DeathsPer100kWeek => self.per_100k_week(self.deaths_7d),
            IndicatorId::FullyVaccinatedPct => self.fully_vaccinated_pct,
        }
    }
}

/// How new community cases per 100,000 per week are computed from counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaseRate {
    /// Community cases of the last 7 days (`case_rate = "7d"`).
    #[default]
    #[serde(rename = "7d")]
    SevenDays,
    /// Community cases of the last 14 days, halved (`case_rate = "14d_halved"`), the usual
    /// computation under Decision 4800.
    #[serde(rename = "14d_halved")]
    FourteenDaysHalved,
}

impl CaseRate {
    /// The days a case stays in the figure.
    pub fn window_days(self) -> u32 {
        match self {
            CaseRate::SevenDays => 7,
            CaseRate::FourteenDaysHalved => 14,
        }
    }
}

/// An indicator a threshold criterion can test (`indicator = "..."` in rule files; the same
/// name in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndicatorId {
    /// `community_cases_7d`
    CommunityCases7d,
    /// `community_cases_14d`
    CommunityCases14d,
    /// `cases_per_100k_week` (derived, see [`Indicators::case_rate`])
    CasesPer100kWeek,
    /// `unknown_source_cases_14d`
    UnknownSourceCases14d,
    /// `known_source_cases_14d` (derived: community cases 14 d minus unknown-source cases 14 d)
    KnownSourceCases14d,
    /// `unknown_source_clusters`
    UnknownSourceClusters,
    /// `hard_to_trace_place_cases`
    HardToTracePlaceCases,
    /// `red_cluster_crowded_place_cases`
    RedClusterCrowdedPlaceCases,
    /// `days_since_last_community_case`
    DaysSinceLastCommunityCase,
    /// `f1_in_community`
    F1InCommunity,
    /// `first_dose_18plus_pct`
    FirstDose18PlusPct,
    /// `fully_vaccinated_50plus_pct`
    FullyVaccinated50PlusPct,
    /// `fully_vaccinated_65plus_pct`
    FullyVaccinated65PlusPct,
    /// `all_cases_per_100k_week` (derived: every new case of 7 days per 100,000)
    AllCasesPer100kWeek,
    /// `oxygen_cases_per_100k_week` (derived: new cases needing oxygen, 7 days, per 100,000)
    OxygenCasesPer100kWeek,
    /// `deaths_per_100k_week` (derived: deaths of 7 days per 100,000)
    DeathsPer100kWeek,
    /// `fully_vaccinated_pct`
    FullyVaccinatedPct,
}

/// Response capacity of a unit (Decision 218, criterion 3: care of cases at the commune,
/// free beds, intensive care), as the level above assesses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseCapacity {
    /// Cao: adequate.
    High,
    /// Trung bình: moderate.
    Medium,
    /// Thấp: limited.
    Low,
}

impl ResponseCapacity {
    /// Every capacity, best first.
    pub const ALL: [ResponseCapacity; 3] = [
        ResponseCapacity::High,
        ResponseCapacity::Medium,
        ResponseCapacity::Low,
    ];

    /// The name in rule files and exports: `high`, `medium`, `low`.
    pub fn key(self) -> &'static str {
        match self {
            ResponseCapacity::High => "high",
            ResponseCapacity::Medium => "medium",
            ResponseCapacity::Low => "low",
        }
    }

    /// 0 (high), 1 (medium), 2 (low).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The capacity with that index.
    pub fn from_index(i: usize) -> Option<ResponseCapacity> {
        ResponseCapacity::ALL.get(i).copied()
    }
}

impl IndicatorId {
    /// Every indicator.
    pub const ALL: [IndicatorId; 17] = [
        IndicatorId::CommunityCases7d,
        IndicatorId::CommunityCases14d,
        IndicatorId::CasesPer100kWeek,
        IndicatorId::UnknownSourceCases14d,
        IndicatorId::KnownSourceCases14d,
        IndicatorId::UnknownSourceClusters,
        IndicatorId::HardToTracePlaceCases,
        IndicatorId::RedClusterCrowdedPlaceCases,
        IndicatorId::DaysSinceLastCommunityCase,
        IndicatorId::F1InCommunity,
        IndicatorId::FirstDose18PlusPct,
        IndicatorId::FullyVaccinated50PlusPct,
        IndicatorId::FullyVaccinated65PlusPct,
        IndicatorId::AllCasesPer100kWeek,
        IndicatorId::OxygenCasesPer100kWeek,
        IndicatorId::DeathsPer100kWeek,
        IndicatorId::FullyVaccinatedPct,
    ];

    /// The name in rule files.
    pub fn key(self) -> &'static str {
        match self {
            IndicatorId::CommunityCases7d => "community_cases_7d",
            IndicatorId::CommunityCases14d => "community_cases_14d",
            IndicatorId::CasesPer100kWeek => "cases_per_100k_week",
            IndicatorId::UnknownSourceCases14d => "unknown_source_cases_14d",
            IndicatorId::KnownSourceCases14d => "known_source_cases_14d",
            IndicatorId::UnknownSourceClusters => "unknown_source_clusters",
            IndicatorId::HardToTracePlaceCases => "hard_to_trace_place_cases",
            IndicatorId::RedClusterCrowdedPlaceCases => "red_cluster_crowded_place_cases",
            IndicatorId::DaysSinceLastCommunityCase => "days_since_last_community_case",
            IndicatorId::F1InCommunity => "f1_in_community",
            IndicatorId::FirstDose18PlusPct => "first_dose_18plus_pct",
            IndicatorId::FullyVaccinated50PlusPct => "fully_vaccinated_50plus_pct",
            IndicatorId::FullyVaccinated65PlusPct => "fully_vaccinated_65plus_pct",
            IndicatorId::AllCasesPer100kWeek => "all_cases_per_100k_week",
            IndicatorId::OxygenCasesPer100kWeek => "oxygen_cases_per_100k_week",
            IndicatorId::DeathsPer100kWeek => "deaths_per_100k_week",
            IndicatorId::FullyVaccinatedPct => "fully_vaccinated_pct",
        }
    }

    /// The indicator with that rule-file name.
    pub fn from_key(key: &str) -> Option<IndicatorId> {
        IndicatorId::ALL.into_iter().find(|i| i.key() == key)
    }

    /// Whether the value is a percentage (0..=100).
    pub fn is_pct(self) -> bool {
        matches!(
            self,
            IndicatorId::FirstDose18PlusPct
                | IndicatorId::FullyVaccinated50PlusPct
                | IndicatorId::FullyVaccinated65PlusPct
                | IndicatorId::FullyVaccinatedPct
        )
    }
}

impl Serialize for IndicatorId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

impl<'de> Deserialize<'de> for IndicatorId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let key = String::deserialize(d)?;
        IndicatorId::from_key(&key)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown indicator `{key}`")))
    }
}
