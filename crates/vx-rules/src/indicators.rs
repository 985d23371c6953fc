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
    /// Share of people 50+ not fully vaccinated, percent.
    pub not_fully_vaccinated_50plus_pct: Option<f64>,
    /// Share of people 65+ not fully vaccinated, percent.
    pub not_fully_vaccinated_65plus_pct: Option<f64>,
    /// Treatment capacity met (oxygen at commune stations, mobile stations, ICU beds).
    pub capacity_met: Option<bool>,
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
            IndicatorId::NotFullyVaccinated50PlusPct => self.not_fully_vaccinated_50plus_pct,
            IndicatorId::NotFullyVaccinated65PlusPct => self.not_fully_vaccinated_65plus_pct,
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
    /// `not_fully_vaccinated_50plus_pct`
    NotFullyVaccinated50PlusPct,
    /// `not_fully_vaccinated_65plus_pct`
    NotFullyVaccinated65PlusPct,
}

impl IndicatorId {
    /// Every indicator.
    pub const ALL: [IndicatorId; 13] = [
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
        IndicatorId::NotFullyVaccinated50PlusPct,
        IndicatorId::NotFullyVaccinated65PlusPct,
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
            IndicatorId::NotFullyVaccinated50PlusPct => "not_fully_vaccinated_50plus_pct",
            IndicatorId::NotFullyVaccinated65PlusPct => "not_fully_vaccinated_65plus_pct",
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
                | IndicatorId::NotFullyVaccinated50PlusPct
                | IndicatorId::NotFullyVaccinated65PlusPct
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
