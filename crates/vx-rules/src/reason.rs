//! Reasons: compact, structured explanations of a level (rendered to text by [`crate::render`]).

use serde::{Deserialize, Serialize};

use crate::indicators::IndicatorId;
use crate::level::Level;

/// The most reasons one [`Outcome`](crate::Outcome) holds. Rule-set validation keeps every
/// rule set within it.
pub const MAX_REASONS: usize = 12;

/// What a reason is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// A threshold on one indicator (kind `highest-level`).
    Indicator(IndicatorId),
    /// Borders a unit at this level or higher (neighbour raise).
    Borders(Level),
    /// Share of children (percent) at this level or higher (roll-up).
    ChildrenShare(Level),
    /// Number of children at this level or higher (roll-up).
    ChildrenCount(Level),
    /// Criterion 1 of Decision 4800: new community cases per 100,000 per week, by band.
    CaseRate,
    /// Criterion 2 of Decision 4800: share of people 18+ with at least one dose.
    FirstDose,
    /// Decision 4800's elderly criterion: raise by one level when the share of people of this
    /// age and over who are fully vaccinated is below the threshold (`value`: that share).
    ElderlyFullyVaccinated {
        /// 50 or 65.
        age: u8,
        /// Why the raise did not apply although the share was below the threshold.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exempt: Option<ElderlyExempt>,
    },
    /// The same criterion as stored before it was corrected (rule set `qd-4800` version 1):
    /// `value` is the share of people of this age and over *not* fully vaccinated. Only read
    /// back, so that levels stored then still say how they were computed; never produced.
    Elderly {
        /// 50 or 65.
        age: u8,
    },
    /// Decision 218: the transmission level (`level`, 1–4 as green–red) of an indicator's band.
    Transmission(IndicatorId),
    /// Decision 218: +1 transmission level when the indicator passes the threshold (`level`:
    /// the transmission level after the raise).
    TransmissionRaise(IndicatorId),
    /// Decision 218: the level read from the transmission level (`threshold`, 1–4) and the
    /// response capacity (`value`: 0 high, 1 medium, 2 low; `None` unknown, read as high).
    ResponseCapacity,
    /// Decision 218: +1 level after the table when the indicator passes the threshold
    /// (`level`: the level after the raise).
    LevelRaise(IndicatorId),
    /// No lowering while treatment capacity is not met. `value`: 1 = capacity met,
    /// 0 = not met, `None` = unknown; `threshold` and `level`: the level in force the day
    /// before (held when `met`).
    CapacityHold,
    /// Green zone: days without a community case (`None` value: none on record).
    DaysWithoutCase,
    /// Green zone: positives in the n-th most recent screening round (1 = latest).
    ScreeningPositives(u8),
    /// Green zone: coverage (percent) of the n-th most recent screening round (1 = latest).
    ScreeningCoverage(u8),
}

/// Why Decision 4800's elderly raise did not apply to a unit whose share was below the
/// threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElderlyExempt {
    /// The unit is already at level 4.
    AtLevel4,
    /// The unit has no new community case in the case-rate window (criterion 1 counts none).
    NoCase,
}

/// How a value is compared with its threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cmp {
    /// `value >= threshold`
    AtLeast,
    /// `value < threshold`
    Below,
    /// `value <= threshold`
    AtMost,
    /// `value > threshold`
    Above,
    /// `threshold <= value < upper` (no upper: unbounded).
    Band,
}

impl Cmp {
    /// Whether `value` passes (for `Band`, `upper` is the exclusive upper edge).
    pub fn test(self, value: f64, threshold: f64, upper: Option<f64>) -> bool {
        match self {
            Cmp::AtLeast => value >= threshold,
            Cmp::Below => value < threshold,
            Cmp::AtMost => value <= threshold,
            Cmp::Above => value > threshold,
            Cmp::Band => value >= threshold && upper.is_none_or(|u| value < u),
        }
    }
}

/// One criterion as evaluated for one unit and day.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// What was tested.
    pub criterion: Criterion,
    /// The unit's value; `None` when unknown (or, for days without a case, none on record).
    pub value: Option<f64>,
    /// How `value` was compared.
    pub cmp: Cmp,
    /// The threshold (for `Band`, the lower edge).
    pub threshold: f64,
    /// For `Band`, the exclusive upper edge (`None`: unbounded).
    pub upper: Option<f64>,
    /// The level this criterion gives when met (for a raise: the raised level; for a hold: the
    /// held level; for a band: the level of that band).
    pub level: Level,
    /// Whether the condition holds.
    pub met: bool,
    /// Whether this criterion decided the final level.
    pub decided: bool,
}

impl Reason {
    pub(crate) const EMPTY: Reason = Reason {
        criterion: Criterion::CaseRate,
        value: None,
        cmp: Cmp::AtLeast,
        threshold: 0.0,
        upper: None,
        level: Level::Green,
        met: false,
        decided: false,
    };
}

/// Up to [`MAX_REASONS`] reasons stored inline (no heap allocation); derefs to `[Reason]`.
#[derive(Clone, Copy)]
pub struct Reasons {
    len: u8,
    items: [Reason; MAX_REASONS],
}

impl Default for Reasons {
    fn default() -> Self {
        Reasons {
            len: 0,
            items: [Reason::EMPTY; MAX_REASONS],
        }
    }
}

impl Reasons {
    /// Appends a reason; returns its index. Beyond capacity the reason is dropped (validation
    /// of rule sets makes that impossible).
    pub(crate) fn push(&mut self, r: Reason) -> usize {
        let i = usize::from(self.len);
        debug_assert!(i < MAX_REASONS, "too many reasons");
        if i < MAX_REASONS {
            self.items[i] = r;
            self.len += 1;
        }
        i
    }

    /// Marks only reason `i` as decided.
    pub(crate) fn decide_only(&mut self, i: usize) {
        for (j, r) in self.iter_mut().enumerate() {
            r.decided = j == i;
        }
    }

    pub(crate) fn clear_decided(&mut self) {
        for r in self.iter_mut() {
            r.decided = false;
        }
    }

    /// The reasons that decided the level.
    pub fn decided(&self) -> impl Iterator<Item = &Reason> {
        self.iter().filter(|r| r.decided)
    }
}

impl std::ops::Deref for Reasons {
    type Target = [Reason];
    fn deref(&self) -> &[Reason] {
        &self.items[..usize::from(self.len)]
    }
}

impl std::ops::DerefMut for Reasons {
    fn deref_mut(&mut self) -> &mut [Reason] {
        &mut self.items[..usize::from(self.len)]
    }
}

impl<'a> IntoIterator for &'a Reasons {
    type Item = &'a Reason;
    type IntoIter = std::slice::Iter<'a, Reason>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl std::fmt::Debug for Reasons {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Reasons {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Serialize for Reasons {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Reasons {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<Reason>::deserialize(d)?;
        if v.len() > MAX_REASONS {
            return Err(serde::de::Error::custom(format!(
                "at most {MAX_REASONS} reasons, got {}",
                v.len()
            )));
        }
        let mut r = Reasons::default();
        for x in v {
            r.push(x);
        }
        Ok(r)
    }
}
