//! # vx-rules — the vungxanh rule engine
//!
//! For every administrative unit and day: the level that the rule set in force gives, and why
//! (each criterion, its value, its threshold, which one decided). This crate is **pure**: rule
//! sets and indicators in, levels and reasons out. No SQL, HTTP, async or file I/O; the caller
//! reads rule files and passes their text to [`load_str`].
//!
//! ## Pieces
//!
//! * **Rule sets as data** ([`RuleSet`], TOML format in `docs/rules.md`): [`load_str`] parses
//!   and validates, with errors naming source, line and field
//!   (`rules/4800.toml:12: field `matrix.cases_per_100k`: must be ascending`). Built-in sets
//!   ([`builtin`]): `qd-2686` (Decision 2686/QĐ-BCĐQG, 31-5-2021 to 11-10-2021), `qd-4800`
//!   (Resolution 128/NQ-CP and Decision 4800/QĐ-BYT, from 12-10-2021) and the `green-zone`
//!   template (a commune's own green-zone regulation).
//! * **Classification** ([`classify_day`], [`replay`]): a batch of units as dense indices with
//!   an [`Adjacency`] (neighbour raises, a monotone fixed point in O(units + edges)) and a
//!   [`Tree`] (roll-up of children into parents, children first). Each [`Outcome`] carries its
//!   [`Reasons`] inline: no heap allocation per unit beyond the output vector.
//! * **Explanations** ([`render`]): reasons as Vietnamese (first) and English sentences, e.g.
//!   "Số ca cộng đồng mới/100.000 dân/tuần: 73,5 (ngưỡng 50–150) → cấp 2".
//! * **Green-zone lifecycle** ([`zone`]): candidate → recognised → broken → restoring →
//!   recognised again; breaking a recognised zone opens an accountability review.
//! * **Measures** ([`measures_for`]): what is allowed at a level, with local overrides.
//! * **Targets** ([`targets`]): on track / at risk / missed, earliest date, children holding a
//!   parent back.
//! * **Policy sandbox** ([`diff`]): units and days whose level differs between two runs.
//!
//! ## Order of evaluation (one day, one batch)
//!
//! 1. Units that are not rolled up get their level from their own indicators ([`Kind`]), then
//!    "no lowering while capacity is unmet" against yesterday's level in force.
//! 2. Neighbour raises among those units (2686: borders red → orange; borders orange → yellow).
//! 3. Parents (units with children, when the rule set has a `[rollup]`) from their children's
//!    levels, children before parents.
//! 4. The notice rule: a raise is announced and takes effect after `raise_hours` (48 h under
//!    4800); a lowering at once.
//!
//! ## Example
//!
//! ```
//! use chrono::NaiveDate;
//! use vx_rules::{builtin, classify_day, render::{explain, Lang}, Adjacency, Indicators, Level,
//!                Tree, UnitInput};
//!
//! let rs = builtin("qd-4800").unwrap();
//! let unit = UnitInput {
//!     indicators: Indicators {
//!         cases_per_100k_week: Some(73.5),
//!         first_dose_18plus_pct: Some(98.0),
//!         ..Indicators::default()
//!     },
//!     ..UnitInput::default()
//! };
//! let day = NaiveDate::from_ymd_opt(2021, 10, 14).unwrap();
//! let out = classify_day(&rs, day, &[unit], &Adjacency::default(), &Tree::default()).unwrap();
//! assert_eq!(out[0].level, Level::Yellow); // level 2
//! assert!(explain(&rs, &out[0], Lang::Vi).contains("73,5 (ngưỡng 50–150) → cấp 2"));
//! ```

mod engine;
mod indicators;
mod lang;
mod level;
mod load;
mod measures;
mod reason;
pub mod render;
mod ruleset;
pub mod sandbox;
pub mod targets;
pub mod zone;

pub use engine::{
    classify_day, green_zone_check, in_force_from_history, notice_step, replay, Adjacency,
    Announcement, BatchError, Classifier, DayOutcomes, Method, Outcome, Previous, Rules, Tree,
    UnitInput, UnitIx,
};
pub use indicators::{
    CaseRate, IndicatorId, Indicators, ResponseCapacity, ScreeningRound, MAX_SCREENING_ROUNDS,
};
pub use level::{Level, LevelCounts, LevelLabel};
pub use load::{builtin, builtins, load_overrides_str, load_str, LoadError, RuleError};
pub use measures::{
    Access, BusinessScope, Change, Curfew, MeasureAnswer, MeasureId, MeasureOverride,
    MeasureSetting, MeasureSource, MeasureValue, Measures, ValueKind,
};
pub use reason::{Cmp, Criterion, ElderlyExempt, Reason, Reasons, MAX_REASONS};
pub use ruleset::{
    builtin_ids, builtin_text, in_force, measures_for, ElderlyRule, GreenZoneRules, HighestLevel,
    Kind, Matrix, NeighbourRaise, Neighbours, Rollup, RollupMin, RollupRule, RuleSet,
    ThresholdCriterion, TransmissionRaise, TransmissionResponse,
};
pub use sandbox::{diff, diff_day, Difference};
