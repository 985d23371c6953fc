//! The green-zone lifecycle of one unit, as a pure state machine:
//! candidate → recognised (by a decision of the level above) → broken (a new community case)
//! → restoring → recognised again.
//!
//! | state \ event | assessed: candidate | assessed: not | recognise | community case |
//! |---|---|---|---|---|
//! | not green | → candidate | – | refused: not a candidate | – |
//! | candidate | – | → not green | → recognised | → not green |
//! | recognised | – | – (stands until a case) | refused: already recognised | → broken + accountability review |
//! | broken | → restoring (met) | → restoring | refused: criteria not met | – (first case kept) |
//! | restoring | criteria met | criteria not met | if met → recognised, else refused | criteria not met (clock restarts) |
//!
//! Events must come in date order; an earlier event is refused.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::lang::{format_date, Lang};

/// A decision recognising a green zone, by the level above.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Decision number, e.g. "245/QĐ-UBND".
    pub number: String,
    /// Date of the decision (the recognition takes effect that day).
    pub date: NaiveDate,
    /// Who decided, e.g. "UBND huyện Châu Thành".
    pub by: String,
}

/// Where a unit is in its green-zone lifecycle.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ZoneState {
    /// Not green, not a candidate.
    #[default]
    NotGreen,
    /// Meets the green-zone criteria, awaiting recognition.
    Candidate {
        /// First day as candidate.
        since: NaiveDate,
    },
    /// Recognised as green by a decision of the level above.
    Recognised {
        /// The decision.
        decision: Decision,
    },
    /// A new community case broke the green zone.
    Broken {
        /// The day of the case.
        on: NaiveDate,
        /// The case that broke it.
        case_id: String,
        /// The recognition that was broken.
        decision: Decision,
    },
    /// Working to become green again; recognisable again once the criteria are met.
    Restoring {
        /// Day the zone was broken.
        broken_on: NaiveDate,
        /// Whether the green-zone criteria are met now.
        criteria_met: bool,
    },
}

/// The name of a state, for transitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateName {
    /// [`ZoneState::NotGreen`]
    NotGreen,
    /// [`ZoneState::Candidate`]
    Candidate,
    /// [`ZoneState::Recognised`]
    Recognised,
    /// [`ZoneState::Broken`]
    Broken,
    /// [`ZoneState::Restoring`]
    Restoring,
}

impl ZoneState {
    /// Its name.
    pub fn name(&self) -> StateName {
        match self {
            ZoneState::NotGreen => StateName::NotGreen,
            ZoneState::Candidate { .. } => StateName::Candidate,
            ZoneState::Recognised { .. } => StateName::Recognised,
            ZoneState::Broken { .. } => StateName::Broken,
            ZoneState::Restoring { .. } => StateName::Restoring,
        }
    }
}

/// Something that happened to the unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum ZoneEvent {
    /// The day's green-zone assessment (e.g. [`crate::green_zone_check`]).
    Assessed {
        /// The day.
        date: NaiveDate,
        /// Whether every green-zone criterion holds.
        candidate: bool,
    },
    /// The level above recognises the unit as a green zone.
    Recognise {
        /// The decision (its date is the event's date).
        decision: Decision,
    },
    /// A new community case in the unit.
    CommunityCase {
        /// The day.
        date: NaiveDate,
        /// The case.
        case_id: String,
    },
}

impl ZoneEvent {
    /// The event's date.
    pub fn date(&self) -> NaiveDate {
        match self {
            ZoneEvent::Assessed { date, .. } | ZoneEvent::CommunityCase { date, .. } => *date,
            ZoneEvent::Recognise { decision } => decision.date,
        }
    }
}

/// A consequence to act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "effect")]
pub enum Effect {
    /// Infections re-emerged in a recognised green zone: open a review of the unit's heads in
    /// office that day (Resolution 04, goal 4).
    OpenAccountabilityReview {
        /// The day of the case.
        date: NaiveDate,
        /// The case.
        case_id: String,
        /// The recognition that was broken.
        decision: Decision,
    },
}

/// An accepted event: the states before and after, and effects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The event's date.
    pub date: NaiveDate,
    /// State before.
    pub from: StateName,
    /// State after (may equal `from`).
    pub to: StateName,
    /// What to act on.
    pub effects: Vec<Effect>,
}

/// Why an event was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum RefusalReason {
    /// Recognising a unit that is not a candidate.
    NotCandidate,
    /// Recognising a unit already recognised.
    AlreadyRecognised,
    /// Recognising again a broken or restoring unit whose criteria are not met.
    CriteriaNotMet,
    /// An event dated before the last accepted event.
    OutOfOrder {
        /// The last accepted event's date.
        last: NaiveDate,
    },
}

/// A refused event, with the state it was refused in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub struct Refusal {
    /// The event's date.
    pub date: NaiveDate,
    /// The state (unchanged).
    pub state: StateName,
    /// Why.
    pub reason: RefusalReason,
}

impl Refusal {
    /// The refusal as a sentence.
    pub fn message(&self, lang: Lang) -> String {
        match (&self.reason, lang) {
            (RefusalReason::NotCandidate, Lang::Vi) => {
                "Không thể công nhận vùng xanh: đơn vị chưa đủ tiêu chí vùng xanh.".to_owned()
            }
            (RefusalReason::NotCandidate, Lang::En) => {
                "Cannot recognise a green zone: the unit does not meet the green-zone criteria."
                    .to_owned()
            }
            (RefusalReason::AlreadyRecognised, Lang::Vi) => {
                "Không thể công nhận: đơn vị đã được công nhận vùng xanh.".to_owned()
            }
            (RefusalReason::AlreadyRecognised, Lang::En) => {
                "Cannot recognise: the unit is already a recognised green zone.".to_owned()
            }
            (RefusalReason::CriteriaNotMet, Lang::Vi) => {
                "Không thể công nhận lại: đơn vị chưa đáp ứng lại tiêu chí vùng xanh.".to_owned()
            }
            (RefusalReason::CriteriaNotMet, Lang::En) => {
                "Cannot recognise again: the unit does not meet the green-zone criteria again yet."
                    .to_owned()
            }
            (RefusalReason::OutOfOrder { last }, Lang::Vi) => format!(
                "Sự kiện ngày {} trước sự kiện đã ghi nhận ngày {}.",
                format_date(self.date, lang),
                format_date(*last, lang)
            ),
            (RefusalReason::OutOfOrder { last }, Lang::En) => format!(
                "Event of {} is before the last recorded event of {}.",
                format_date(self.date, lang),
                format_date(*last, lang)
            ),
        }
    }
}

/// One unit's green-zone record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GreenZone {
    /// Current state.
    pub state: ZoneState,
    /// Times recognised (2 = recognised again once).
    pub recognitions: u32,
    /// Date of the last accepted event.
    pub last_event: Option<NaiveDate>,
}

impl GreenZone {
    /// A unit that is not green.
    pub fn new() -> GreenZone {
        GreenZone::default()
    }

    /// Applies an event: the new record and the step, or a refusal (record unchanged).
    pub fn step(&self, event: &ZoneEvent) -> Result<(GreenZone, Step), Refusal> {
        let date = event.date();
        let from = self.state.name();
        let refuse = |reason| Refusal {
            date,
            state: from,
            reason,
        };
        if let Some(last) = self.last_event {
            if date < last {
                return Err(refuse(RefusalReason::OutOfOrder { last }));
            }
        }
        let mut next = self.clone();
        next.last_event = Some(date);
        let mut effects = Vec::new();
        use ZoneEvent as E;
        use ZoneState as S;
        next.state = match (&self.state, event) {
            (
                S::NotGreen,
                E::Assessed {
                    candidate: true, ..
                },
            ) => S::Candidate { since: date },
            (S::NotGreen, E::Recognise { .. }) => return Err(refuse(RefusalReason::NotCandidate)),
            (S::NotGreen, _) => S::NotGreen,

            (
                S::Candidate { .. },
                E::Assessed {
                    candidate: false, ..
                },
            )
            | (S::Candidate { .. }, E::CommunityCase { .. }) => S::NotGreen,
            (S::Candidate { .. }, E::Recognise { decision }) => {
                next.recognitions += 1;
                S::Recognised {
                    decision: decision.clone(),
                }
            }
            (S::Candidate { since }, E::Assessed { .. }) => S::Candidate { since: *since },

            (S::Recognised { decision }, E::CommunityCase { case_id, .. }) => {
                effects.push(Effect::OpenAccountabilityReview {
                    date,
                    case_id: case_id.clone(),
                    decision: decision.clone(),
                });
                S::Broken {
                    on: date,
                    case_id: case_id.clone(),
                    decision: decision.clone(),
                }
            }
            (S::Recognised { .. }, E::Recognise { .. }) => {
                return Err(refuse(RefusalReason::AlreadyRecognised))
            }
            (s @ S::Recognised { .. }, E::Assessed { .. }) => s.clone(),

            (S::Broken { on, .. }, E::Assessed { candidate, .. }) => S::Restoring {
                broken_on: *on,
                criteria_met: *candidate,
            },
            (S::Broken { .. }, E::Recognise { .. }) => {
                return Err(refuse(RefusalReason::CriteriaNotMet))
            }
            (s @ S::Broken { .. }, E::CommunityCase { .. }) => s.clone(),

            (S::Restoring { broken_on, .. }, E::Assessed { candidate, .. }) => S::Restoring {
                broken_on: *broken_on,
                criteria_met: *candidate,
            },
            (S::Restoring { broken_on, .. }, E::CommunityCase { .. }) => S::Restoring {
                broken_on: *broken_on,
                criteria_met: false,
            },
            (
                S::Restoring {
                    criteria_met: true, ..
                },
                E::Recognise { decision },
            ) => {
                next.recognitions += 1;
                S::Recognised {
                    decision: decision.clone(),
                }
            }
            (S::Restoring { .. }, E::Recognise { .. }) => {
                return Err(refuse(RefusalReason::CriteriaNotMet))
            }
        };
        let step = Step {
            date,
            from,
            to: next.state.name(),
            effects,
        };
        Ok((next, step))
    }

    /// Applies an event in place; on refusal the record is unchanged.
    pub fn apply(&mut self, event: &ZoneEvent) -> Result<Step, Refusal> {
        let (next, step) = self.step(event)?;
        *self = next;
        Ok(step)
    }

    /// Applies events in order from a non-green unit: the final record and, per event, its
    /// step or refusal.
    pub fn replay(events: &[ZoneEvent]) -> (GreenZone, Vec<Result<Step, Refusal>>) {
        let mut z = GreenZone::new();
        let steps = events.iter().map(|e| z.apply(e)).collect();
        (z, steps)
    }
}
