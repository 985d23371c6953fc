//! What vungxanh reports upward: one value per indicator, unit and period, the same figures
//! the dashboards show.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// The figures of one unit (its whole subtree) over one period: counts over the period
/// (flows) and the state on its last day (stocks). Filled by the store from the same
/// queries as the dashboard.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PeriodFigures {
    pub unit_code: String,
    /// Flows: new cases in the period by source, samples taken and positive.
    pub community_cases: i64,
    pub quarantine_cases: i64,
    pub imported_cases: i64,
    pub samples_taken: i64,
    pub samples_positive: i64,
    /// Stocks on the last day: cases in isolation, F1 at home and in a facility, F2.
    pub isolating: i64,
    pub f1_home: i64,
    pub f1_facility: i64,
    pub f2: i64,
    /// Official population, else the registry's people.
    pub population: Option<i64>,
    /// The last screening round ended by the last day: people sampled / targeted, percent.
    pub screening_coverage_pct: Option<f64>,
    /// The zone level stored for the last day (1–4), if assessed.
    pub level: Option<u8>,
    /// Flows: households handed support in the period (every programme), and the amount
    /// handed in đồng (cash and priced goods).
    pub aid_households: i64,
    pub aid_vnd: i64,
}

macro_rules! indicators {
    ($($variant:ident = $name:literal, $kind:ident, $doc:literal;)*) => {
        /// An indicator a mapping may name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Indicator { $(#[doc = $doc] $variant),* }

        impl Indicator {
            pub const ALL: &'static [Indicator] = &[$(Indicator::$variant),*];
            pub fn name(self) -> &'static str { match self { $(Indicator::$variant => $name),* } }
            pub fn description(self) -> &'static str { match self { $(Indicator::$variant => $doc),* } }
            /// A count over the period (flow), or the state on its last day (stock).
            pub fn kind(self) -> Kind { match self { $(Indicator::$variant => Kind::$kind),* } }
        }
    };
}

indicators! {
    CommunityCases = "community_cases", Flow, "New community cases (found outside quarantine) in the period.";
    QuarantineCases = "quarantine_cases", Flow, "New cases found in quarantine in the period.";
    ImportedCases = "imported_cases", Flow, "New imported cases in the period.";
    AllCases = "all_cases", Flow, "New cases of every source in the period.";
    SamplesTaken = "samples_taken", Flow, "Samples taken in the period.";
    SamplesPositive = "samples_positive", Flow, "Samples taken in the period that were positive.";
    Isolating = "isolating", Stock, "Cases in isolation on the last day.";
    F1Community = "f1_home", Stock, "F1 contacts quarantined at home on the last day.";
    F1Facility = "f1_facility", Stock, "F1 contacts in a quarantine facility on the last day.";
    F2 = "f2", Stock, "F2 contacts followed on the last day.";
    Population = "population", Stock, "Population (official, else the registry's people).";
    ScreeningCoverage = "screening_coverage_pct", Stock, "Coverage of the last screening round ended by the last day, percent of the people targeted.";
    Level = "level", Stock, "Zone level (1–4) stored for the last day.";
    AidHouseholds = "aid_households", Flow, "Households handed support (every programme) in the period.";
    AidVnd = "aid_vnd", Flow, "Support handed in the period, in đồng.";
}

/// How an indicator sums over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Flow,
    Stock,
}

impl Indicator {
    /// The indicator's value in `f`, as DHIS2 takes it (a string; a percent with one
    /// decimal); `None` when there is nothing to report (a level not assessed).
    pub fn value(self, f: &PeriodFigures) -> Option<String> {
        let n = |v: i64| Some(v.to_string());
        match self {
            Indicator::CommunityCases => n(f.community_cases),
            Indicator::QuarantineCases => n(f.quarantine_cases),
            Indicator::ImportedCases => n(f.imported_cases),
            Indicator::AllCases => n(f.community_cases + f.quarantine_cases + f.imported_cases),
            Indicator::SamplesTaken => n(f.samples_taken),
            Indicator::SamplesPositive => n(f.samples_positive),
            Indicator::Isolating => n(f.isolating),
            Indicator::F1Community => n(f.f1_home),
            Indicator::F1Facility => n(f.f1_facility),
            Indicator::F2 => n(f.f2),
            Indicator::Population => f.population.map(|p| p.to_string()),
            Indicator::ScreeningCoverage => f.screening_coverage_pct.map(|p| format!("{p:.1}")),
            Indicator::Level => f.level.map(|l| l.to_string()),
            Indicator::AidHouseholds => n(f.aid_households),
            Indicator::AidVnd => n(f.aid_vnd),
        }
    }
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Indicator {
    type Err = String;
    fn from_str(s: &str) -> Result<Indicator, String> {
        Indicator::ALL
            .iter()
            .copied()
            .find(|i| i.name() == s.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Indicator::ALL.iter().map(|i| i.name()).collect();
                format!("unknown indicator {s:?}: one of {}", names.join(", "))
            })
    }
}
