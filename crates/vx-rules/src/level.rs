//! Levels (the four colours shared by every 2021 rule set) and counts of levels.

use serde::{Deserialize, Serialize};

/// A risk level. Ordered by severity: `Green < Yellow < Orange < Red`.
///
/// Decision 2686 names them new normal (green), risk (yellow), high risk (orange) and very high
/// risk (red); Decision 4800 numbers them 1 (green) to 4 (red). Both map onto this one type, so
/// levels from consecutive rule sets compare and replay naturally. The words shown to people come
/// from the rule set's labels ([`crate::RuleSet::labels`]).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Level {
    /// Level 1: low risk / new normal.
    #[default]
    Green = 1,
    /// Level 2: medium risk / risk.
    Yellow = 2,
    /// Level 3: high risk.
    Orange = 3,
    /// Level 4: very high risk.
    Red = 4,
}

impl Level {
    /// All levels, lowest first.
    pub const ALL: [Level; 4] = [Level::Green, Level::Yellow, Level::Orange, Level::Red];

    /// 1 (green) to 4 (red), the numbering of Decision 4800.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// The level numbered `n` (1..=4).
    pub fn from_number(n: u8) -> Option<Level> {
        match n {
            1 => Some(Level::Green),
            2 => Some(Level::Yellow),
            3 => Some(Level::Orange),
            4 => Some(Level::Red),
            _ => None,
        }
    }

    /// The name used in rule files and JSON: `green`, `yellow`, `orange`, `red`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Green => "green",
            Level::Yellow => "yellow",
            Level::Orange => "orange",
            Level::Red => "red",
        }
    }

    /// The level with that name (as in rule files).
    pub fn from_name(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == name)
    }

    /// This level raised by `steps`, capped at red.
    pub fn raised(self, steps: u8) -> Level {
        Level::from_number(self.number().saturating_add(steps).min(4)).unwrap_or(Level::Red)
    }

    /// 0..4, for arrays indexed by level.
    pub fn index(self) -> usize {
        self as usize - 1
    }
}

/// How many units are at each level (e.g. the communes of a district).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LevelCounts(pub [u32; 4]);

impl LevelCounts {
    /// Counts one more unit at `level`.
    pub fn add(&mut self, level: Level) {
        self.0[level.index()] += 1;
    }

    /// Adds all counts of `other`.
    pub fn merge(&mut self, other: &LevelCounts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    /// Units exactly at `level`.
    pub fn get(&self, level: Level) -> u32 {
        self.0[level.index()]
    }

    /// Units at `level` or higher.
    pub fn at_least(&self, level: Level) -> u32 {
        self.0[level.index()..].iter().sum()
    }

    /// All units counted.
    pub fn total(&self) -> u32 {
        self.0.iter().sum()
    }

    /// Counts from a list of levels.
    pub fn of(levels: &[Level]) -> LevelCounts {
        let mut c = LevelCounts::default();
        for &l in levels {
            c.add(l);
        }
        c
    }
}

/// The words for one level in a rule set: short (`vi`, `en`, used in reasons, e.g. "cấp 2")
/// and an optional description (e.g. "nguy cơ trung bình").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LevelLabel {
    /// Short Vietnamese label, e.g. "cấp 2" or "đỏ".
    pub vi: String,
    /// Short English label, e.g. "level 2" or "red".
    pub en: String,
    /// Vietnamese description, e.g. "nguy cơ trung bình"; may be empty.
    pub vi_desc: String,
    /// English description, e.g. "medium risk"; may be empty.
    pub en_desc: String,
}

impl LevelLabel {
    pub(crate) fn default_for(level: Level) -> LevelLabel {
        let (vi, en) = match level {
            Level::Green => ("xanh", "green"),
            Level::Yellow => ("vàng", "yellow"),
            Level::Orange => ("cam", "orange"),
            Level::Red => ("đỏ", "red"),
        };
        LevelLabel {
            vi: vi.to_owned(),
            en: en.to_owned(),
            vi_desc: String::new(),
            en_desc: String::new(),
        }
    }
}
