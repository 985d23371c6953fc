//! Targets: "reach this state by that date" (e.g. the district back to the new normal by
//! 21-9-2021), with progress and the earliest date the target can still be reached.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::engine::{own_level_only, UnitIx};
use crate::indicators::Indicators;
use crate::level::Level;
use crate::ruleset::RuleSet;

/// A unit must be at `level` or lower by `by`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Highest acceptable level (green for "new normal").
    pub level: Level,
    /// Deadline (inclusive).
    pub by: NaiveDate,
    /// Days of slack below which a reachable target is "at risk" rather than "on track".
    pub margin_days: u32,
}

/// How a target stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// At or below the target level now (or, after the deadline, on the deadline).
    Reached,
    /// Reachable, with at least `margin_days` to spare.
    OnTrack,
    /// Reachable only with less than `margin_days` to spare, or not by waiting alone.
    AtRisk,
    /// Cannot be reached by the deadline (or was not reached on it).
    Missed,
}

/// Progress towards a target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetProgress {
    /// The verdict.
    pub status: TargetStatus,
    /// The unit's level on the last day of its history.
    pub level_today: Level,
    /// First day of the current run at or below the target level, if in one.
    pub reached_on: Option<NaiveDate>,
    /// Earliest day the target can be reached, assuming no new community case from tomorrow
    /// (in the unit, and for a parent in its children); `None`: not by waiting alone (e.g.
    /// vaccination coverage keeps the level up, or a child cannot).
    pub earliest: Option<NaiveDate>,
    /// For a parent: children above the target level, the latest to reach it first
    /// (unreachable ones before all).
    pub held_back_by: Vec<UnitIx>,
}

impl TargetProgress {
    /// This progress as a child's, for [`parent_progress`].
    pub fn as_child(&self, unit: UnitIx) -> ChildProgress {
        ChildProgress {
            unit,
            level: self.level_today,
            earliest: self.earliest,
        }
    }
}

/// A child's standing, for [`parent_progress`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildProgress {
    /// The child.
    pub unit: UnitIx,
    /// Its level today.
    pub level: Level,
    /// Earliest day it reaches the target level (see [`TargetProgress::earliest`]).
    pub earliest: Option<NaiveDate>,
}

fn add_days(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_days(Days::new(u64::from(n))).unwrap_or(d)
}

fn reached_on(history: &[(NaiveDate, Level)], target: Level) -> Option<NaiveDate> {
    let mut first = None;
    for &(d, l) in history.iter().rev() {
        if l > target {
            break;
        }
        first = Some(d);
    }
    first
}

fn verdict(
    target: &Target,
    today: NaiveDate,
    history: &[(NaiveDate, Level)],
    level_today: Level,
    earliest: Option<NaiveDate>,
) -> TargetStatus {
    if today > target.by {
        let on_deadline = history
            .iter()
            .rev()
            .find(|(d, _)| *d <= target.by)
            .map(|&(_, l)| l);
        return match on_deadline {
            Some(l) if l <= target.level => TargetStatus::Reached,
            _ => TargetStatus::Missed,
        };
    }
    if level_today <= target.level {
        return TargetStatus::Reached;
    }
    match earliest {
        None => TargetStatus::AtRisk,
        Some(e) if e > target.by => TargetStatus::Missed,
        Some(e) if add_days(e, target.margin_days) > target.by => TargetStatus::AtRisk,
        Some(_) => TargetStatus::OnTrack,
    }
}

/// Progress of a unit assessed by its own criteria.
///
/// `history`: the unit's daily levels up to `today` (ascending; the last is today's);
/// `indicators`: today's. The earliest date is found by projecting the indicators with no new
/// community case (case counts, clusters, F1 in the community and screening positives go to
/// zero; vaccination and coverage stay) under `rule_set`: if that projection is at or below
/// the target level, the earliest day is the last community case + the rule set's
/// [clean days](RuleSet::clean_days) (and at least tomorrow).
pub fn progress(
    rule_set: &RuleSet,
    target: &Target,
    today: NaiveDate,
    history: &[(NaiveDate, Level)],
    indicators: &Indicators,
) -> TargetProgress {
    let level_today = history
        .last()
        .map_or_else(|| own_level_only(rule_set, today, indicators), |&(_, l)| l);
    let reached = reached_on(history, target.level);
    let earliest = if level_today <= target.level {
        reached.or(Some(today))
    } else {
        earliest_by_waiting(rule_set, today, indicators, target.level)
    };
    TargetProgress {
        status: verdict(target, today, history, level_today, earliest),
        level_today,
        reached_on: reached,
        earliest,
        held_back_by: Vec::new(),
    }
}

fn earliest_by_waiting(
    rs: &RuleSet,
    today: NaiveDate,
    ind: &Indicators,
    target: Level,
) -> Option<NaiveDate> {
    let clean = rs.clean_days();
    let zero = |v: Option<u32>| v.map(|_| 0);
    let mut p = *ind;
    p.community_cases_7d = zero(p.community_cases_7d);
    p.community_cases_14d = zero(p.community_cases_14d);
    p.cases_per_100k_week = p.cases_per_100k_week.map(|_| 0.0);
    p.unknown_source_cases_14d = zero(p.unknown_source_cases_14d);
    p.unknown_source_clusters = zero(p.unknown_source_clusters);
    p.hard_to_trace_place_cases = zero(p.hard_to_trace_place_cases);
    p.red_cluster_crowded_place_cases = zero(p.red_cluster_crowded_place_cases);
    p.f1_in_community = zero(p.f1_in_community);
    p.days_since_last_community_case = p.days_since_last_community_case.map(|d| d.max(clean));
    for r in p.screening_rounds.iter_mut().flatten() {
        r.positives = 0;
    }
    let projected_date = add_days(today, clean);
    if own_level_only(rs, projected_date, &p) > target {
        return None;
    }
    let tomorrow = add_days(today, 1);
    let by_cases = ind.days_since_last_community_case.map_or(tomorrow, |d| {
        let last_case = today
            .checked_sub_days(Days::new(u64::from(d)))
            .unwrap_or(today);
        add_days(last_case, clean)
    });
    Some(by_cases.max(tomorrow))
}

/// Progress of a parent from its children's progress: the children above the target level
/// hold it back, and the parent's earliest day is the latest of theirs (`None` if any cannot
/// reach it by waiting). This assumes the parent reaches the target when all its children do,
/// which is exact for the target "green" under a 2686-style roll-up (any yellow child keeps
/// the parent yellow) and an upper bound for other targets.
pub fn parent_progress(
    target: &Target,
    today: NaiveDate,
    history: &[(NaiveDate, Level)],
    children: &[ChildProgress],
) -> TargetProgress {
    let level_today = history.last().map_or_else(
        || {
            children
                .iter()
                .map(|c| c.level)
                .max()
                .unwrap_or(Level::Green)
        },
        |&(_, l)| l,
    );
    let mut held: Vec<&ChildProgress> =
        children.iter().filter(|c| c.level > target.level).collect();
    // Unreachable first, then latest earliest first; ties by unit index.
    held.sort_by(|a, b| {
        let key = |c: &ChildProgress| (c.earliest.is_some(), std::cmp::Reverse(c.earliest));
        key(a).cmp(&key(b)).then(a.unit.cmp(&b.unit))
    });
    let reached = reached_on(history, target.level);
    let earliest = if level_today <= target.level {
        reached.or(Some(today))
    } else if held.is_empty() {
        Some(add_days(today, 1))
    } else if held.iter().any(|c| c.earliest.is_none()) {
        None
    } else {
        held.iter().filter_map(|c| c.earliest).max()
    };
    TargetProgress {
        status: verdict(target, today, history, level_today, earliest),
        level_today,
        reached_on: reached,
        earliest,
        held_back_by: held.iter().map(|c| c.unit).collect(),
    }
}
