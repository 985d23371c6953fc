//! Rule sets: the data that says how a level is computed (parsed from TOML by [`crate::load`]).

use chrono::NaiveDate;
use serde::Serialize;

use crate::indicators::{CaseRate, IndicatorId, ResponseCapacity};
use crate::level::{Level, LevelLabel};
use crate::measures::{MeasureAnswer, MeasureOverride, Measures};
use crate::reason::Cmp;

/// A validated rule set. Build one with [`load_str`](crate::load_str) or [`builtin`](crate::builtin).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleSet {
    /// Stable id, e.g. `qd-4800`.
    pub id: String,
    /// Vietnamese name.
    pub name: String,
    /// English name (falls back to `name`).
    pub name_en: String,
    /// Version of this rule set's data, ≥ 1.
    pub version: u32,
    /// The legal text it implements, if given.
    pub legal_basis: String,
    /// First day in force.
    pub effective_from: NaiveDate,
    /// Last day in force (inclusive), if it has ended.
    pub effective_to: Option<NaiveDate>,
    /// Words for each level, indexed by [`Level::index`].
    pub labels: [LevelLabel; 4],
    /// How the weekly case rate is computed from counts.
    pub case_rate: CaseRate,
    /// How a unit's own level is computed.
    pub kind: Kind,
    /// Neighbour raises (2686: borders a red commune → orange...).
    pub neighbours: Option<Neighbours>,
    /// How parents take their level from their children; `None`: every unit by its own
    /// indicators.
    pub rollup: Option<Rollup>,
    /// No lowering while treatment capacity is not met (4800 criterion 3).
    pub capacity_hold: bool,
    /// Days between announcing a raise and its taking effect (48 h = 2); 0: immediate.
    pub notice_days: u32,
    /// Measures per level.
    pub measures: Measures,
}

/// How a unit's own level is computed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `kind = "highest-level"`: the highest level whose criterion holds (Decision 2686).
    HighestLevel(HighestLevel),
    /// `kind = "matrix"`: case-rate bands × vaccination, then raises (Decision 4800).
    Matrix(Matrix),
    /// `kind = "green-zone"`: green when every green-zone criterion holds.
    GreenZone(GreenZoneRules),
    /// `kind = "transmission-response"`: a transmission level from case bands and raises,
    /// read through the unit's response capacity (Decision 218).
    TransmissionResponse(TransmissionResponse),
}

impl Kind {
    /// The name in rule files.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::HighestLevel(_) => "highest-level",
            Kind::Matrix(_) => "matrix",
            Kind::GreenZone(_) => "green-zone",
            Kind::TransmissionResponse(_) => "transmission-response",
        }
    }
}

/// Criteria of kind `highest-level`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HighestLevel {
    /// Evaluated in order; a unit takes the highest level whose criterion is met, else green.
    pub criteria: Vec<ThresholdCriterion>,
}

/// `indicator` compared with `threshold` gives `level` when met.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ThresholdCriterion {
    /// What is tested.
    pub indicator: IndicatorId,
    /// [`Cmp::AtLeast`] (`at_least = x`) or [`Cmp::Below`] (`below = x`).
    pub cmp: Cmp,
    /// The threshold.
    pub threshold: f64,
    /// The level given when met.
    pub level: Level,
}

/// Criteria of kind `matrix` (Decision 4800).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Matrix {
    /// Band edges of new community cases per 100,000 per week, strictly ascending; band `i`
    /// is `[edges[i-1], edges[i])`.
    pub case_edges: Vec<f64>,
    /// Criterion 2 threshold: share of 18+ with at least one dose (percent).
    pub first_dose_pct: f64,
    /// Level per band when the first-dose threshold is met (`edges.len() + 1` entries).
    pub covered: Vec<Level>,
    /// Level per band when it is not met.
    pub not_covered: Vec<Level>,
    /// Elderly raises, by date (ascending `from`): the last one in force applies.
    pub elderly: Vec<ElderlyRule>,
}

/// Decision 4800's elderly criterion from `from`: +1 level when the share of people aged `age`
/// and over who are fully vaccinated passes `cmp` against `threshold` (as published: below
/// 80 %), except where the unit is already at level 4 or has no new community case.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ElderlyRule {
    /// From this day.
    pub from: NaiveDate,
    /// 50 or 65.
    pub age: u8,
    /// [`Cmp::Below`] (`fully_vaccinated_below_pct = x`); [`Cmp::AtMost`] only for files of
    /// the earlier form (`not_fully_vaccinated_min_pct = y` meant fully vaccinated ≤ 100 − y).
    pub cmp: Cmp,
    /// Threshold on the share fully vaccinated, percent.
    pub threshold: f64,
    /// Where the date and age come from (`"unconfirmed"` when not known).
    pub source: String,
}

impl ElderlyRule {
    /// Whether a share fully vaccinated calls for the raise.
    pub fn raises(&self, fully_vaccinated_pct: f64) -> bool {
        self.cmp.test(fully_vaccinated_pct, self.threshold, None)
    }
}

impl Matrix {
    /// The elderly rule in force on `date`.
    pub fn elderly_on(&self, date: NaiveDate) -> Option<&ElderlyRule> {
        self.elderly.iter().rev().find(|e| e.from <= date)
    }
}

/// Criteria of kind `transmission-response` (Decision 218/QĐ-BYT, after WHO's situational
/// levels): the transmission level (mức độ lây nhiễm, 1–4) is the highest band reached by new
/// cases in the area and by new cases needing oxygen, per 100,000 per week, raised by one for
/// each raise that holds (deaths, vaccination targets not met), at most 4; the level is then
/// read from the table of the unit's response capacity.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TransmissionResponse {
    /// Band edges of every new case in the area per 100,000 per week (3 edges: 4 bands).
    pub case_edges: Vec<f64>,
    /// Band edges of new cases needing oxygen per 100,000 per week (empty: not assessed).
    pub oxygen_edges: Vec<f64>,
    /// +1 transmission level for each raise that holds.
    pub raises: Vec<TransmissionRaise>,
    /// Level by transmission level 1–4, for each [`ResponseCapacity`] (high, medium, low).
    pub by_capacity: [[Level; 4]; 3],
    /// +1 level (after the table) for each of these that holds.
    pub level_raises: Vec<TransmissionRaise>,
}

/// `indicator` compared with `threshold` raises the transmission level (or the level) by one.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TransmissionRaise {
    /// What is tested.
    pub indicator: IndicatorId,
    /// [`Cmp::AtLeast`] (`at_least`), [`Cmp::Above`] (`above`) or [`Cmp::Below`] (`below`).
    pub cmp: Cmp,
    /// The threshold.
    pub threshold: f64,
    /// Raises of one group (`group = "vaccination"`, numbered in the order groups first
    /// appear) add one level at most together: one criterion with several parts.
    pub group: Option<u8>,
}

impl TransmissionResponse {
    /// The level for a transmission level and a capacity.
    pub fn level(&self, transmission: Level, capacity: ResponseCapacity) -> Level {
        self.by_capacity[capacity.index()][transmission.index()]
    }
}

/// Criteria of kind `green-zone` (a commune's own green-zone regulation).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GreenZoneRules {
    /// No community case for at least this many days.
    pub days_without_case: u32,
    /// The last this many screening rounds must be clean.
    pub rounds: u8,
    /// ... each with at least this coverage (percent).
    pub min_coverage_pct: f64,
    /// Level when not a green candidate.
    pub otherwise: Level,
}

/// Neighbour raises: a unit bordering a unit at `from` or higher is raised to at least `to`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Neighbours {
    /// Raises, highest `from` first; `to < from` always.
    pub raises: Vec<NeighbourRaise>,
    /// Whether a level reached by a raise raises further (an orange from bordering a red makes
    /// its own neighbours yellow). `false`: only levels from a unit's own criteria raise.
    pub propagate_raised: bool,
}

/// One neighbour raise.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct NeighbourRaise {
    /// Neighbour at this level or higher...
    pub from: Level,
    /// ... raises the unit to at least this level.
    pub to: Level,
}

/// How a parent takes its level from its children's levels.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rollup {
    /// A parent takes the highest level whose rule holds, else green.
    pub rules: Vec<RollupRule>,
}

/// `level` when enough children are at `children` or higher.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RollupRule {
    /// Level given.
    pub level: Level,
    /// Children counted: at this level or higher.
    pub children: Level,
    /// How many are enough.
    pub min: RollupMin,
}

/// A share or a count of children.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RollupMin {
    /// At least this percentage of children.
    SharePct(f64),
    /// At least this many children.
    Count(u32),
}

impl RuleSet {
    /// Whether the rule set is in force on `date`.
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        date >= self.effective_from && self.effective_to.is_none_or(|t| date <= t)
    }

    /// The label of `level`.
    pub fn label(&self, level: Level) -> &LevelLabel {
        &self.labels[level.index()]
    }

    /// Days without a community case after which, with no other risk, the unit's case-driven
    /// criteria clear (used by targets): the `days_since_last_community_case` window of a
    /// `highest-level` set, the case-rate window of a `matrix` set, `days_without_case` of a
    /// green-zone set.
    pub fn clean_days(&self) -> u32 {
        match &self.kind {
            Kind::HighestLevel(h) => h
                .criteria
                .iter()
                .filter(|c| c.indicator == IndicatorId::DaysSinceLastCommunityCase)
                .map(|c| c.threshold.ceil() as u32)
                .max()
                .unwrap_or(14),
            Kind::Matrix(_) => self.case_rate.window_days(),
            Kind::GreenZone(g) => g.days_without_case,
            Kind::TransmissionResponse(_) => 7,
        }
    }
}

/// The rule set in force on `date` among `sets`: the one with the latest `effective_from`
/// not after `date` and not ended (ties: the highest version).
pub fn in_force(sets: &[RuleSet], date: NaiveDate) -> Option<&RuleSet> {
    sets.iter()
        .filter(|s| s.in_force_on(date))
        .max_by_key(|s| (s.effective_from, s.version))
}

const BUILTINS: [(&str, &str); 4] = [
    ("qd-2686", include_str!("../rules/qd-2686.toml")),
    ("qd-4800", include_str!("../rules/qd-4800.toml")),
    ("qd-218", include_str!("../rules/qd-218.toml")),
    ("green-zone", include_str!("../rules/green-zone.toml")),
];

/// Ids of the built-in rule sets: `qd-2686`, `qd-4800`, `qd-218`, `green-zone`.
pub fn builtin_ids() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|(id, _)| *id)
}

/// The TOML text of a built-in rule set (to show, or to copy and edit).
pub fn builtin_text(id: &str) -> Option<&'static str> {
    BUILTINS.iter().find(|(i, _)| *i == id).map(|(_, t)| *t)
}

/// The measures that apply at `level` on `date` under `rule_set`, with the unit's `overrides`.
///
/// Each measure of the level's catalogue is answered; an override that applies (date range,
/// levels) replaces it, and an override of a measure the level does not list adds it. When
/// several overrides of one measure apply, the one with the latest `from` wins (ties: the later
/// in the slice). Answers are in [`MeasureId::ALL`](crate::MeasureId::ALL) order.
pub fn measures_for(
    level: Level,
    rule_set: &RuleSet,
    overrides: &[MeasureOverride],
    date: NaiveDate,
) -> Vec<MeasureAnswer> {
    crate::measures::answers(
        &rule_set.id,
        rule_set.measures.at(level),
        level,
        overrides,
        date,
    )
}
