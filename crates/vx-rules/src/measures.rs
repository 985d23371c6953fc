//! Measures: what is allowed at each level (gatherings, markets, movement, businesses...), with
//! local overrides per unit.

use chrono::{NaiveDate, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

use crate::level::Level;

/// A measure of the catalogue (the key in `[measures.<level>]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureId {
    /// `gathering_max`: most people gathering outside offices, schools, hospitals.
    GatheringMax,
    /// `indoor_event_max`: most people at an event in a room (0 = no events).
    IndoorEventMax,
    /// `distance_m`: minimum distance between people, metres.
    DistanceM,
    /// `markets`: traditional markets.
    Markets,
    /// `delivery`: delivery of goods and food.
    Delivery,
    /// `movement_between_hamlets`: going from one hamlet to another.
    MovementBetweenHamlets,
    /// `business`: which classes of business may open.
    Business,
    /// `curfew`: hours when people must stay home, e.g. 19:00–05:00.
    Curfew,
    /// `public_transport`: buses, boats, taxis.
    PublicTransport,
    /// `work_from_home`: offices work from home.
    WorkFromHome,
}

impl MeasureId {
    /// Every measure, in display order.
    pub const ALL: [MeasureId; 10] = [
        MeasureId::GatheringMax,
        MeasureId::IndoorEventMax,
        MeasureId::DistanceM,
        MeasureId::Markets,
        MeasureId::Delivery,
        MeasureId::MovementBetweenHamlets,
        MeasureId::Business,
        MeasureId::Curfew,
        MeasureId::PublicTransport,
        MeasureId::WorkFromHome,
    ];

    /// The name in rule files.
    pub fn key(self) -> &'static str {
        match self {
            MeasureId::GatheringMax => "gathering_max",
            MeasureId::IndoorEventMax => "indoor_event_max",
            MeasureId::DistanceM => "distance_m",
            MeasureId::Markets => "markets",
            MeasureId::Delivery => "delivery",
            MeasureId::MovementBetweenHamlets => "movement_between_hamlets",
            MeasureId::Business => "business",
            MeasureId::Curfew => "curfew",
            MeasureId::PublicTransport => "public_transport",
            MeasureId::WorkFromHome => "work_from_home",
        }
    }

    /// The measure with that rule-file name.
    pub fn from_key(key: &str) -> Option<MeasureId> {
        MeasureId::ALL.into_iter().find(|m| m.key() == key)
    }

    /// What kind of value the measure takes.
    pub fn value_kind(self) -> ValueKind {
        match self {
            MeasureId::GatheringMax | MeasureId::IndoorEventMax => ValueKind::People,
            MeasureId::DistanceM => ValueKind::Metres,
            MeasureId::Markets
            | MeasureId::Delivery
            | MeasureId::MovementBetweenHamlets
            | MeasureId::PublicTransport => ValueKind::Access,
            MeasureId::Business => ValueKind::Business,
            MeasureId::Curfew => ValueKind::Curfew,
            MeasureId::WorkFromHome => ValueKind::Flag,
        }
    }
}

/// The kind of value a measure takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// A number of people (integer ≥ 0).
    People,
    /// Metres (number ≥ 0).
    Metres,
    /// `"open"`, `"limited"` or `"closed"`.
    Access,
    /// `"all"`, `"no_leisure"` or `"essential"`.
    Business,
    /// `"HH:MM-HH:MM"` or `"none"`.
    Curfew,
    /// `true` / `false`.
    Flag,
}

/// Whether something is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Allowed as usual.
    Open,
    /// Allowed with limits (hours, numbers, permits).
    Limited,
    /// Not allowed.
    Closed,
}

/// Which businesses may open (loosest first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusinessScope {
    /// All businesses.
    All,
    /// Most businesses; bars, karaoke, massage and similar closed (Directive 19).
    NoLeisure,
    /// Essential goods and services only (Directives 15 and 16).
    Essential,
}

/// Curfew hours (local time); `to` may be on the next day (19:00–05:00).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Curfew {
    /// Start, e.g. 19:00.
    pub from: NaiveTime,
    /// End, e.g. 05:00 (next day when before `from`).
    pub to: NaiveTime,
}

impl Curfew {
    /// Length in minutes.
    pub fn minutes(&self) -> u32 {
        let a = self.from.num_seconds_from_midnight() / 60;
        let b = self.to.num_seconds_from_midnight() / 60;
        if b > a {
            b - a
        } else {
            24 * 60 - a + b
        }
    }
}

/// The value of one measure.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureValue {
    /// At most this many people.
    People(u32),
    /// At least this distance, metres.
    Metres(f64),
    /// Open, limited or closed.
    Access(Access),
    /// Which businesses open.
    Business(BusinessScope),
    /// Curfew hours, or none.
    Curfew(Option<Curfew>),
    /// Yes / no.
    Flag(bool),
}

impl MeasureValue {
    /// Whether the value has the kind `measure` takes.
    pub fn fits(&self, measure: MeasureId) -> bool {
        matches!(
            (self, measure.value_kind()),
            (MeasureValue::People(_), ValueKind::People)
                | (MeasureValue::Metres(_), ValueKind::Metres)
                | (MeasureValue::Access(_), ValueKind::Access)
                | (MeasureValue::Business(_), ValueKind::Business)
                | (MeasureValue::Curfew(_), ValueKind::Curfew)
                | (MeasureValue::Flag(_), ValueKind::Flag)
        )
    }

    /// Strictness on one scale (higher = stricter), for values of the same kind.
    fn strictness(&self) -> f64 {
        match *self {
            MeasureValue::People(n) => -f64::from(n),
            MeasureValue::Metres(m) => m,
            MeasureValue::Access(a) => a as u8 as f64,
            MeasureValue::Business(b) => b as u8 as f64,
            MeasureValue::Curfew(c) => c.map_or(0.0, |c| f64::from(c.minutes())),
            MeasureValue::Flag(f) => f64::from(u8::from(f)),
        }
    }

    /// How `self` compares with `default`: `None` if they are of different kinds.
    pub fn change_from(&self, default: &MeasureValue) -> Option<Change> {
        if std::mem::discriminant(self) != std::mem::discriminant(default) {
            return None;
        }
        let (a, b) = (self.strictness(), default.strictness());
        Some(if a > b {
            Change::Tightened
        } else if a < b {
            Change::Relaxed
        } else {
            Change::Same
        })
    }
}

/// How an override changes the level default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Looser than the default.
    Relaxed,
    /// Stricter than the default.
    Tightened,
    /// Equal to the default.
    Same,
}

/// One measure at one level, as the rule set says.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MeasureSetting {
    /// Which measure.
    pub measure: MeasureId,
    /// Its value.
    pub value: MeasureValue,
}

/// The catalogue of a rule set: measures per level.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Measures {
    /// Indexed by [`Level::index`]; each sorted by measure.
    pub by_level: [Vec<MeasureSetting>; 4],
}

impl Measures {
    /// The settings at `level`.
    pub fn at(&self, level: Level) -> &[MeasureSetting] {
        &self.by_level[level.index()]
    }
}

/// A local relaxation or tightening of one measure for one unit, from a date, with a note
/// (e.g. Phước Thạnh's own green-zone regulation). The caller passes the overrides of the unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeasureOverride {
    /// Who decided it, e.g. "QĐ 123/QĐ-UBND (UBND xã Phước Thạnh)".
    pub id: String,
    /// Which measure.
    pub measure: MeasureId,
    /// The value instead of the level default.
    pub value: MeasureValue,
    /// First day it applies.
    pub from: NaiveDate,
    /// Last day it applies (inclusive); `None`: until further notice.
    pub to: Option<NaiveDate>,
    /// Levels at which it applies; empty: at every level.
    pub levels: Vec<Level>,
    /// Why.
    pub note: String,
}

impl MeasureOverride {
    /// Whether it applies on `date` at `level`.
    pub fn applies(&self, level: Level, date: NaiveDate) -> bool {
        date >= self.from
            && self.to.is_none_or(|t| date <= t)
            && (self.levels.is_empty() || self.levels.contains(&level))
    }

    /// Checks that the value fits the measure and the dates are in order.
    pub fn check(&self) -> Result<(), String> {
        if !self.value.fits(self.measure) {
            return Err(format!(
                "value {:?} does not fit measure `{}`",
                self.value,
                self.measure.key()
            ));
        }
        if self.to.is_some_and(|t| t < self.from) {
            return Err("`to` is before `from`".to_owned());
        }
        Ok(())
    }
}

/// Where an answer comes from.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureSource {
    /// The rule set's default for the level.
    Level {
        /// Rule set id.
        rule_set: String,
        /// The level.
        level: Level,
    },
    /// A local override.
    Override {
        /// Position in the `overrides` slice passed to [`measures_for`].
        index: usize,
        /// The override's id (decision).
        id: String,
        /// From when.
        from: NaiveDate,
        /// Its note.
        note: String,
    },
}

/// What applies for one measure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeasureAnswer {
    /// Which measure.
    pub measure: MeasureId,
    /// The value that applies.
    pub value: MeasureValue,
    /// Where it comes from.
    pub source: MeasureSource,
    /// The level default when an override replaced it (`None`: no default at this level).
    pub default: Option<MeasureValue>,
    /// Relaxed or tightened relative to the default (only for overrides with a default).
    pub change: Option<Change>,
}

/// The answers of [`measures_for`](crate::measures_for) for the level's catalogue `defaults`.
pub(crate) fn answers(
    rule_set_id: &str,
    defaults: &[MeasureSetting],
    level: Level,
    overrides: &[MeasureOverride],
    date: NaiveDate,
) -> Vec<MeasureAnswer> {
    let mut out = Vec::new();
    for m in MeasureId::ALL {
        let default = defaults.iter().find(|s| s.measure == m).map(|s| s.value);
        let chosen = overrides
            .iter()
            .enumerate()
            .filter(|(_, o)| o.measure == m && o.applies(level, date))
            .max_by_key(|(i, o)| (o.from, *i));
        match (chosen, default) {
            (Some((index, o)), default) => out.push(MeasureAnswer {
                measure: m,
                value: o.value,
                source: MeasureSource::Override {
                    index,
                    id: o.id.clone(),
                    from: o.from,
                    note: o.note.clone(),
                },
                default,
                change: default.and_then(|d| o.value.change_from(&d)),
            }),
            (None, Some(value)) => out.push(MeasureAnswer {
                measure: m,
                value,
                source: MeasureSource::Level {
                    rule_set: rule_set_id.to_owned(),
                    level,
                },
                default: None,
                change: None,
            }),
            (None, None) => {}
        }
    }
    out
}
