//! Classification: levels and reasons for a batch of units on one day, and replays over days.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::indicators::{IndicatorId, Indicators, ResponseCapacity};
use crate::level::{Level, LevelCounts};
use crate::reason::{Cmp, Criterion, ElderlyExempt, Reason, Reasons};
use crate::ruleset::{
    in_force, ElderlyRule, GreenZoneRules, HighestLevel, Kind, Matrix, Neighbours, Rollup,
    RollupMin, RuleSet, TransmissionResponse,
};

/// A unit's position in a batch (dense, `0..units.len()`). The caller maps unit codes to
/// indices.
pub type UnitIx = u32;

const NO_PARENT: u32 = u32::MAX;

/// Errors in the shape of a batch (never in the data itself: unknown data makes an outcome
/// [`incomplete`](Outcome::incomplete), not an error).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// An adjacency, tree or day has a different number of units than the batch.
    #[error("{what} has {got} units, the batch has {expected}")]
    SizeMismatch {
        /// What disagrees.
        what: &'static str,
        /// Units in the batch.
        expected: usize,
        /// Units found.
        got: usize,
    },
    /// A unit index is not below the number of units.
    #[error("unit index {index} is out of range (batch of {units} units)")]
    OutOfRange {
        /// The index.
        index: UnitIx,
        /// Units in the batch.
        units: usize,
    },
    /// The parent links have a cycle.
    #[error("the tree has a cycle through unit {unit}")]
    Cycle {
        /// A unit on the cycle.
        unit: UnitIx,
    },
    /// No rule set is in force on a day of a replay.
    #[error("no rule set is in force on {date}")]
    NoRuleSet {
        /// The day.
        date: NaiveDate,
    },
}

/// Who borders whom, for the units of one batch (compressed adjacency lists; undirected).
/// The default (no units) means "no adjacency": neighbour criteria are skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Adjacency {
    offsets: Vec<u32>,
    targets: Vec<UnitIx>,
}

impl Adjacency {
    /// From undirected edges between `units` units; self-loops and duplicates are dropped.
    /// Each unit's neighbours are kept sorted.
    pub fn from_edges(units: usize, edges: &[(UnitIx, UnitIx)]) -> Result<Adjacency, BatchError> {
        let mut degree = vec![0u32; units + 1];
        for &(a, b) in edges {
            for x in [a, b] {
                if x as usize >= units {
                    return Err(BatchError::OutOfRange { index: x, units });
                }
            }
            if a != b {
                degree[a as usize] += 1;
                degree[b as usize] += 1;
            }
        }
        let mut offsets = vec![0u32; units + 1];
        for i in 0..units {
            offsets[i + 1] = offsets[i] + degree[i];
        }
        let mut cursor = offsets.clone();
        let mut targets = vec![0; offsets[units] as usize];
        for &(a, b) in edges {
            if a != b {
                targets[cursor[a as usize] as usize] = b;
                cursor[a as usize] += 1;
                targets[cursor[b as usize] as usize] = a;
                cursor[b as usize] += 1;
            }
        }
        // Sort and deduplicate each list, compacting in place.
        let mut write = 0usize;
        let mut new_offsets = vec![0u32; units + 1];
        for u in 0..units {
            let (s, e) = (offsets[u] as usize, offsets[u + 1] as usize);
            targets[s..e].sort_unstable();
            let start = write;
            for i in s..e {
                if write == start || targets[write - 1] != targets[i] {
                    targets[write] = targets[i];
                    write += 1;
                }
            }
            new_offsets[u + 1] = write as u32;
        }
        targets.truncate(write);
        Ok(Adjacency {
            offsets: new_offsets,
            targets,
        })
    }

    /// From one list of neighbours per unit (made symmetric).
    pub fn from_lists(lists: &[Vec<UnitIx>]) -> Result<Adjacency, BatchError> {
        let edges: Vec<(UnitIx, UnitIx)> = lists
            .iter()
            .enumerate()
            .flat_map(|(u, l)| l.iter().map(move |&v| (u as UnitIx, v)))
            .collect();
        Adjacency::from_edges(lists.len(), &edges)
    }

    /// Units covered (0 for "no adjacency").
    pub fn units(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// The neighbours of `u`, sorted.
    pub fn neighbours(&self, u: UnitIx) -> &[UnitIx] {
        let u = u as usize;
        &self.targets[self.offsets[u] as usize..self.offsets[u + 1] as usize]
    }
}

/// Parent links of the units of one batch, with an order that puts children before parents.
/// The default (no units) means "no tree".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    parent: Vec<u32>,
    child_count: Vec<u32>,
    order: Vec<UnitIx>,
}

impl Tree {
    /// From each unit's parent (`None` for roots), in O(units). Fails on an index out of
    /// range or a cycle.
    pub fn from_parents(parents: &[Option<UnitIx>]) -> Result<Tree, BatchError> {
        let n = parents.len();
        let mut parent = Vec::with_capacity(n);
        let mut child_count = vec![0u32; n];
        for &p in parents {
            match p {
                Some(p) if p as usize >= n => {
                    return Err(BatchError::OutOfRange { index: p, units: n })
                }
                Some(p) => {
                    child_count[p as usize] += 1;
                    parent.push(p);
                }
                None => parent.push(NO_PARENT),
            }
        }
        // Kahn's algorithm from the leaves up: deterministic (index order of the leaves).
        let mut pending = child_count.clone();
        let mut order: Vec<UnitIx> = (0..n as u32)
            .filter(|&u| pending[u as usize] == 0)
            .collect();
        let mut head = 0;
        while head < order.len() {
            let u = order[head];
            head += 1;
            let p = parent[u as usize];
            if p != NO_PARENT {
                pending[p as usize] -= 1;
                if pending[p as usize] == 0 {
                    order.push(p);
                }
            }
        }
        if order.len() < n {
            let unit = (0..n).find(|&u| pending[u] > 0).unwrap_or(0) as UnitIx;
            return Err(BatchError::Cycle { unit });
        }
        Ok(Tree {
            parent,
            child_count,
            order,
        })
    }

    /// Units covered (0 for "no tree").
    pub fn units(&self) -> usize {
        self.parent.len()
    }

    /// The parent of `u`.
    pub fn parent(&self, u: UnitIx) -> Option<UnitIx> {
        let p = *self.parent.get(u as usize)?;
        (p != NO_PARENT).then_some(p)
    }

    /// Whether `u` has children in the batch.
    pub fn has_children(&self, u: UnitIx) -> bool {
        self.child_count.get(u as usize).is_some_and(|&c| c > 0)
    }

    /// All units, children before parents.
    pub fn order(&self) -> &[UnitIx] {
        &self.order
    }
}

/// A raise announced ahead of taking effect (48 hours' notice under Decision 4800).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    /// The level announced.
    pub level: Level,
    /// When it was announced.
    pub announced_on: NaiveDate,
    /// First day it is in force.
    pub effective_from: NaiveDate,
}

/// What was in force for a unit the day before (carried from day to day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Previous {
    /// The level in force yesterday.
    pub level: Level,
    /// A raise announced and not yet in force.
    pub announced: Option<Announcement>,
}

/// Everything the engine needs about one unit on one day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitInput {
    /// The unit's own numbers.
    pub indicators: Indicators,
    /// Levels of children that are not in the batch (e.g. stored commune levels when a batch
    /// holds only districts); added to the levels of children in the batch.
    pub child_levels: LevelCounts,
    /// Yesterday's state, for "no lowering while capacity is unmet" and the notice of raises.
    /// `None`: first assessment (the level is in force at once).
    pub previous: Option<Previous>,
}

/// How a unit's level was obtained.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// From its own indicators (and neighbours).
    #[default]
    Criteria,
    /// From its children's levels.
    Rollup,
}

/// The result for one unit on one day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The level the rule set gives today (after raises and holds).
    pub level: Level,
    /// The level in force today (a raise waits for its notice period).
    pub in_force: Level,
    /// A raise announced and not yet in force.
    pub announced: Option<Announcement>,
    /// Own criteria or roll-up.
    pub method: Method,
    /// Some input that could have changed the level was unknown.
    pub incomplete: bool,
    /// Each criterion, its value, threshold, and which decided.
    pub reasons: Reasons,
}

impl Outcome {
    /// The state to carry into the next day's [`UnitInput::previous`].
    pub fn carry(&self) -> Previous {
        Previous {
            level: self.in_force,
            announced: self.announced,
        }
    }
}

/// One step of the notice rule: given yesterday's state, today's date and today's assessed
/// level, the level in force today and the pending announcement.
///
/// A raise is announced today and takes effect `notice_days` later (a larger raise while one
/// is pending is announced anew; a smaller one keeps the earlier notice's date); a lowering
/// takes effect at once (capacity holds are already in `level`) and cancels a pending raise.
/// With `notice_days == 0` or no previous state, `level` is in force at once.
pub fn notice_step(
    previous: Option<Previous>,
    today: NaiveDate,
    level: Level,
    notice_days: u32,
) -> (Level, Option<Announcement>) {
    let Some(prev) = previous else {
        return (level, None);
    };
    let mut in_force = prev.level;
    let mut pending = prev.announced;
    if let Some(p) = pending {
        if today >= p.effective_from {
            in_force = p.level;
            pending = None;
        }
    }
    if level > in_force {
        if notice_days == 0 {
            return (level, None);
        }
        pending = match pending {
            Some(p) if p.level == level => Some(p),
            Some(p) if level < p.level => Some(Announcement { level, ..p }),
            _ => Some(Announcement {
                level,
                announced_on: today,
                effective_from: today
                    .checked_add_days(Days::new(u64::from(notice_days)))
                    .unwrap_or(today),
            }),
        };
        (in_force, pending)
    } else {
        (level, None)
    }
}

/// The state after a history of assessed levels (ascending dates): the level in force on the
/// last day and any pending raise. `None` for an empty history.
pub fn in_force_from_history(history: &[(NaiveDate, Level)], notice_days: u32) -> Option<Previous> {
    let mut state: Option<Previous> = None;
    for &(date, level) in history {
        let (level, announced) = notice_step(state, date, level, notice_days);
        state = Some(Previous { level, announced });
    }
    state
}

/// Classifies one day of a batch: for each unit (same index as `units`), its level and why.
///
/// * `rule_set` applies to every unit of the batch (group units by the rule set in force for
///   them; see [`in_force`]). It is applied even outside its dates (policy sandbox).
/// * `adjacency`: empty, or one entry per unit. Neighbour raises apply among units assessed by
///   their own criteria.
/// * `tree`: empty, or one entry per unit. With a roll-up rule set, a unit with children (in
///   the tree or in [`UnitInput::child_levels`]) takes its level from them.
///
/// Cost: O(units + edges), no allocation per unit beyond the output.
pub fn classify_day(
    rule_set: &RuleSet,
    date: NaiveDate,
    units: &[UnitInput],
    adjacency: &Adjacency,
    tree: &Tree,
) -> Result<Vec<Outcome>, BatchError> {
    let mut out = Vec::new();
    Classifier::default().classify_into(rule_set, date, units, adjacency, tree, &mut out)?;
    Ok(out)
}

/// Reusable scratch space for classifying many batches (replays) without reallocating.
#[derive(Debug, Default)]
pub struct Classifier {
    counts: Vec<u32>,
    base: Vec<Level>,
    child_counts: Vec<LevelCounts>,
    child_incomplete: Vec<bool>,
}

impl Classifier {
    /// Like [`classify_day`], writing into `out` (cleared first).
    pub fn classify_into(
        &mut self,
        rule_set: &RuleSet,
        date: NaiveDate,
        units: &[UnitInput],
        adjacency: &Adjacency,
        tree: &Tree,
        out: &mut Vec<Outcome>,
    ) -> Result<(), BatchError> {
        self.run(rule_set, date, units, None, adjacency, tree, out)
    }

    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        rs: &RuleSet,
        date: NaiveDate,
        units: &[UnitInput],
        previous: Option<&[Outcome]>,
        adj: &Adjacency,
        tree: &Tree,
        out: &mut Vec<Outcome>,
    ) -> Result<(), BatchError> {
        let n = units.len();
        for (what, got) in [("the adjacency", adj.units()), ("the tree", tree.units())] {
            if got != 0 && got != n {
                return Err(BatchError::SizeMismatch {
                    what,
                    expected: n,
                    got,
                });
            }
        }
        if let Some(p) = previous {
            if p.len() != n {
                return Err(BatchError::SizeMismatch {
                    what: "the previous day",
                    expected: n,
                    got: p.len(),
                });
            }
        }
        let prev_of = |i: usize| match previous {
            Some(p) => Some(p[i].carry()),
            None => units[i].previous,
        };
        let has_tree = tree.units() == n && n > 0;

        // 1. Own criteria (and capacity hold) for units not rolled up.
        out.clear();
        out.reserve(n);
        for (i, u) in units.iter().enumerate() {
            let rolled = rs.rollup.is_some()
                && ((has_tree && tree.has_children(i as UnitIx)) || u.child_levels.total() > 0);
            let mut o = Outcome::default();
            if rolled {
                o.method = Method::Rollup;
            } else {
                own_level(rs, date, &u.indicators, &mut o);
                capacity_hold(rs, &u.indicators, prev_of(i), &mut o);
            }
            out.push(o);
        }

        // 2. Neighbour raises, a monotone fixed point in one sweep per raise.
        if let Some(nb) = &rs.neighbours {
            if adj.units() == n && n > 0 {
                self.neighbours(nb, adj, out);
            }
        }

        // 3. Roll-up, children before parents.
        if let Some(rollup) = &rs.rollup {
            self.child_counts.clear();
            self.child_counts.resize(n, LevelCounts::default());
            self.child_incomplete.clear();
            self.child_incomplete.resize(n, false);
            let visit = |u: usize, this: &mut Classifier, out: &mut [Outcome]| {
                if out[u].method == Method::Rollup {
                    let mut counts = units[u].child_levels;
                    counts.merge(&this.child_counts[u]);
                    let o = &mut out[u];
                    rollup_level(rollup, &counts, o);
                    o.incomplete |= this.child_incomplete[u];
                    capacity_hold(rs, &units[u].indicators, prev_of(u), o);
                }
                if has_tree {
                    if let Some(p) = tree.parent(u as UnitIx) {
                        let (level, inc) = (out[u].level, out[u].incomplete);
                        this.child_counts[p as usize].add(level);
                        this.child_incomplete[p as usize] |= inc;
                    }
                }
            };
            if has_tree {
                for &u in tree.order() {
                    visit(u as usize, self, out);
                }
            } else {
                for u in 0..n {
                    visit(u, self, out);
                }
            }
        }

        // 4. Notice of raises.
        for (i, o) in out.iter_mut().enumerate() {
            let (in_force, announced) = notice_step(prev_of(i), date, o.level, rs.notice_days);
            o.in_force = in_force;
            o.announced = announced;
        }
        Ok(())
    }

    fn neighbours(&mut self, nb: &Neighbours, adj: &Adjacency, out: &mut [Outcome]) {
        let n = out.len();
        if !nb.propagate_raised {
            self.base.clear();
            self.base.extend(out.iter().map(|o| o.level));
        }
        self.counts.resize(n, 0);
        // Raises are processed highest `from` first and always give a lower level than their
        // source, so each stage's sources are final when it runs: one sweep per raise reaches
        // the least fixed point, independent of unit or edge order.
        for raise in &nb.raises {
            self.counts.fill(0);
            for (u, o) in out.iter().enumerate() {
                if o.method == Method::Rollup {
                    continue;
                }
                let src = if nb.propagate_raised {
                    o.level
                } else {
                    self.base[u]
                };
                if src >= raise.from {
                    for &v in adj.neighbours(u as UnitIx) {
                        self.counts[v as usize] += 1;
                    }
                }
            }
            for (o, &count) in out.iter_mut().zip(&self.counts) {
                if o.method == Method::Rollup {
                    continue;
                }
                let met = count > 0;
                let i = o.reasons.push(Reason {
                    criterion: Criterion::Borders(raise.from),
                    value: Some(f64::from(count)),
                    cmp: Cmp::AtLeast,
                    threshold: 1.0,
                    upper: None,
                    level: raise.to,
                    met,
                    decided: false,
                });
                if met && raise.to > o.level {
                    o.level = raise.to;
                    o.reasons.decide_only(i);
                }
            }
        }
    }
}

fn own_level(rs: &RuleSet, date: NaiveDate, ind: &Indicators, o: &mut Outcome) {
    match &rs.kind {
        Kind::HighestLevel(h) => highest_level(rs, h, ind, o),
        Kind::Matrix(m) => matrix_level(rs, m, date, ind, o),
        Kind::GreenZone(g) => green_zone_level(g, ind, o),
        Kind::TransmissionResponse(t) => transmission_level(rs, t, ind, o),
    }
}

/// Decision 218: the transmission level is the highest band of new cases and of cases needing
/// oxygen, +1 for each raise that holds (at most 4); the level is read from the response
/// capacity's table. An unknown capacity is read as high and marks the outcome incomplete when
/// another capacity would give another level.
fn transmission_level(rs: &RuleSet, t: &TransmissionResponse, ind: &Indicators, o: &mut Outcome) {
    let mut transmission = Level::Green;
    let mut top: Option<usize> = None;
    for (id, edges) in [
        (IndicatorId::AllCasesPer100kWeek, &t.case_edges),
        (IndicatorId::OxygenCasesPer100kWeek, &t.oxygen_edges),
    ] {
        if edges.is_empty() {
            continue;
        }
        let value = ind.value(id, rs.case_rate);
        let band = value.map_or(0, |v| edges.partition_point(|&e| e <= v));
        let level = Level::ALL[band.min(3)];
        o.incomplete |= value.is_none();
        let i = o.reasons.push(Reason {
            criterion: Criterion::Transmission(id),
            value,
            cmp: Cmp::Band,
            threshold: if band == 0 { 0.0 } else { edges[band - 1] },
            upper: edges.get(band).copied(),
            level,
            met: value.is_some(),
            decided: false,
        });
        if top.is_none() || level > transmission {
            transmission = level;
            top = Some(i);
        }
    }
    let mut decided: Vec<usize> = top.into_iter().collect();
    let mut groups_raised: Vec<u8> = Vec::new();
    for r in &t.raises {
        let value = ind.value(r.indicator, rs.case_rate);
        let met = value.is_some_and(|v| r.cmp.test(v, r.threshold, None));
        o.incomplete |= value.is_none() && transmission < Level::Red;
        let counted = r.group.is_some_and(|g| groups_raised.contains(&g));
        let raised = if met && !counted {
            groups_raised.extend(r.group);
            transmission.raised(1)
        } else {
            transmission
        };
        let i = o.reasons.push(Reason {
            criterion: Criterion::TransmissionRaise(r.indicator),
            value,
            cmp: r.cmp,
            threshold: r.threshold,
            upper: None,
            level: transmission.raised(1),
            met,
            decided: false,
        });
        if raised > transmission {
            transmission = raised;
            decided.push(i);
        }
    }
    let capacity = ind.response_capacity;
    let level = t.level(transmission, capacity.unwrap_or(ResponseCapacity::High));
    if capacity.is_none()
        && ResponseCapacity::ALL
            .iter()
            .any(|&c| t.level(transmission, c) != level)
    {
        o.incomplete = true;
    }
    decided.push(o.reasons.push(Reason {
        criterion: Criterion::ResponseCapacity,
        value: capacity.map(|c| c.index() as f64),
        cmp: Cmp::AtLeast,
        threshold: f64::from(transmission.number()),
        upper: None,
        level,
        met: capacity.is_some(),
        decided: false,
    }));
    let mut level = level;
    for r in &t.level_raises {
        let value = ind.value(r.indicator, rs.case_rate);
        let met = value.is_some_and(|v| r.cmp.test(v, r.threshold, None));
        o.incomplete |= value.is_none() && level < Level::Red;
        let i = o.reasons.push(Reason {
            criterion: Criterion::LevelRaise(r.indicator),
            value,
            cmp: r.cmp,
            threshold: r.threshold,
            upper: None,
            level: level.raised(1),
            met,
            decided: false,
        });
        if met && level < Level::Red {
            level = level.raised(1);
            decided.push(i);
        }
    }
    for &i in &decided {
        o.reasons[i].decided = true;
    }
    o.level = level;
}

fn highest_level(rs: &RuleSet, h: &HighestLevel, ind: &Indicators, o: &mut Outcome) {
    let mut best: Option<(Level, usize)> = None;
    for c in &h.criteria {
        let value = ind.value(c.indicator, rs.case_rate);
        let met = match value {
            Some(x) => c.cmp.test(x, c.threshold, None),
            // No community case on record: the days since are "infinite".
            None if c.indicator == IndicatorId::DaysSinceLastCommunityCase => {
                matches!(c.cmp, Cmp::AtLeast)
            }
            None => false,
        };
        let i = o.reasons.push(Reason {
            criterion: Criterion::Indicator(c.indicator),
            value,
            cmp: c.cmp,
            threshold: c.threshold,
            upper: None,
            level: c.level,
            met,
            decided: false,
        });
        if met && best.is_none_or(|(l, _)| c.level > l) {
            best = Some((c.level, i));
        }
    }
    o.level = best.map_or(Level::Green, |(l, _)| l);
    if let Some((_, i)) = best {
        o.reasons.decide_only(i);
    }
    o.incomplete = o.reasons.iter().any(|r| {
        r.value.is_none()
            && r.criterion != Criterion::Indicator(IndicatorId::DaysSinceLastCommunityCase)
            && r.level > o.level
    });
}

fn matrix_level(rs: &RuleSet, m: &Matrix, date: NaiveDate, ind: &Indicators, o: &mut Outcome) {
    let rate = ind.case_rate(rs.case_rate);
    let band = rate.map_or(0, |r| m.case_edges.partition_point(|&e| e <= r));
    let dose = ind.first_dose_18plus_pct;
    let covered = dose.is_some_and(|d| d >= m.first_dose_pct);
    let level = if covered {
        m.covered[band]
    } else {
        m.not_covered[band]
    };
    let dose_matters = m.covered[band] != m.not_covered[band];
    o.level = level;
    o.incomplete = rate.is_none() || (dose.is_none() && dose_matters);
    o.reasons.push(Reason {
        criterion: Criterion::CaseRate,
        value: rate,
        cmp: Cmp::Band,
        threshold: if band == 0 {
            0.0
        } else {
            m.case_edges[band - 1]
        },
        upper: m.case_edges.get(band).copied(),
        level,
        met: rate.is_some(),
        decided: true,
    });
    o.reasons.push(Reason {
        criterion: Criterion::FirstDose,
        value: dose,
        cmp: Cmp::AtLeast,
        threshold: m.first_dose_pct,
        upper: None,
        level,
        met: covered,
        decided: dose_matters,
    });
    if let Some(e) = m.elderly_on(date) {
        elderly_raise(e, rate, ind, o);
    }
}

/// Decision 4800: +1 level when the share of the elderly fully vaccinated is below the
/// threshold, except at level 4 and where the unit has no new community case (a case rate of
/// zero: criterion 1 counts no case in its window).
fn elderly_raise(e: &ElderlyRule, rate: Option<f64>, ind: &Indicators, o: &mut Outcome) {
    let level = o.level;
    let value = match e.age {
        50 => ind.fully_vaccinated_50plus_pct,
        _ => ind.fully_vaccinated_65plus_pct,
    };
    let met = value.is_some_and(|v| e.raises(v));
    let exempt = if level == Level::Red {
        Some(ElderlyExempt::AtLevel4)
    } else if rate == Some(0.0) {
        Some(ElderlyExempt::NoCase)
    } else {
        None
    };
    let raised = level.raised(1);
    let i = o.reasons.push(Reason {
        criterion: Criterion::ElderlyFullyVaccinated {
            age: e.age,
            exempt: exempt.filter(|_| met),
        },
        value,
        cmp: e.cmp,
        threshold: e.threshold,
        upper: None,
        level: raised,
        met,
        decided: false,
    });
    if met && exempt.is_none() {
        o.level = raised;
        o.reasons.decide_only(i);
    }
    o.incomplete |= value.is_none() && exempt.is_none();
}

fn green_zone_level(g: &GreenZoneRules, ind: &Indicators, o: &mut Outcome) {
    let days = ind.days_since_last_community_case;
    let mut all = true;
    let met = days.is_none_or(|d| d >= g.days_without_case);
    all &= met;
    o.reasons.push(Reason {
        criterion: Criterion::DaysWithoutCase,
        value: days.map(f64::from),
        cmp: Cmp::AtLeast,
        threshold: f64::from(g.days_without_case),
        upper: None,
        level: Level::Green,
        met,
        decided: false,
    });
    for k in 0..g.rounds {
        let round = ind.screening_rounds.get(usize::from(k)).copied().flatten();
        o.incomplete |= round.is_none();
        let clean = round.is_some_and(|r| r.positives == 0);
        let covered = round.is_some_and(|r| r.coverage_pct >= g.min_coverage_pct);
        all &= clean && covered;
        o.reasons.push(Reason {
            criterion: Criterion::ScreeningPositives(k + 1),
            value: round.map(|r| f64::from(r.positives)),
            cmp: Cmp::AtMost,
            threshold: 0.0,
            upper: None,
            level: Level::Green,
            met: clean,
            decided: false,
        });
        o.reasons.push(Reason {
            criterion: Criterion::ScreeningCoverage(k + 1),
            value: round.map(|r| r.coverage_pct),
            cmp: Cmp::AtLeast,
            threshold: g.min_coverage_pct,
            upper: None,
            level: Level::Green,
            met: covered,
            decided: false,
        });
    }
    o.level = if all { Level::Green } else { g.otherwise };
    // Candidate: every criterion decided it; otherwise each unmet one blocks it.
    for r in o.reasons.iter_mut() {
        r.decided = r.met == all;
    }
    if all {
        o.incomplete = false;
    }
}

fn capacity_hold(rs: &RuleSet, ind: &Indicators, prev: Option<Previous>, o: &mut Outcome) {
    let Some(prev) = prev.filter(|_| rs.capacity_hold) else {
        return;
    };
    if o.level >= prev.level {
        return;
    }
    let unmet = ind.capacity_met == Some(false);
    let i = o.reasons.push(Reason {
        criterion: Criterion::CapacityHold,
        value: ind.capacity_met.map(|m| f64::from(u8::from(m))),
        cmp: Cmp::AtLeast,
        threshold: f64::from(prev.level.number()),
        upper: None,
        level: prev.level,
        met: unmet,
        decided: false,
    });
    if unmet {
        o.level = prev.level;
        o.reasons.decide_only(i);
    } else if ind.capacity_met.is_none() {
        o.incomplete = true;
    }
}

fn rollup_level(r: &Rollup, counts: &LevelCounts, o: &mut Outcome) {
    let total = counts.total();
    let mut best: Option<(Level, usize)> = None;
    for rule in &r.rules {
        let n = counts.at_least(rule.children);
        let (criterion, value, threshold, met) = match rule.min {
            RollupMin::SharePct(p) => (
                Criterion::ChildrenShare(rule.children),
                (total > 0).then(|| f64::from(n) * 100.0 / f64::from(total)),
                p,
                // Exact in integers-as-floats: n/total ≥ p% ⇔ 100·n ≥ p·total.
                total > 0 && f64::from(n) * 100.0 >= p * f64::from(total),
            ),
            RollupMin::Count(k) => (
                Criterion::ChildrenCount(rule.children),
                Some(f64::from(n)),
                f64::from(k),
                n >= k,
            ),
        };
        let i = o.reasons.push(Reason {
            criterion,
            value,
            cmp: Cmp::AtLeast,
            threshold,
            upper: None,
            level: rule.level,
            met,
            decided: false,
        });
        if met && best.is_none_or(|(l, _)| rule.level > l) {
            best = Some((rule.level, i));
        }
    }
    o.level = best.map_or(Level::Green, |(l, _)| l);
    if let Some((_, i)) = best {
        o.reasons.decide_only(i);
    } else {
        o.reasons.clear_decided();
    }
}

/// Which rule set a replay uses.
#[derive(Clone, Copy, Debug)]
pub enum Rules<'a> {
    /// This one for every day, whatever its dates (policy sandbox).
    Fixed(&'a RuleSet),
    /// Each day, the one in force among these (see [`in_force`]).
    InForce(&'a [RuleSet]),
}

/// One day of a replay.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayOutcomes {
    /// The day.
    pub date: NaiveDate,
    /// Id of the rule set applied.
    pub rule_set: String,
    /// One per unit.
    pub outcomes: Vec<Outcome>,
}

/// Classifies consecutive days from `first_day` (`days[k]` holds the inputs of
/// `first_day + k`), carrying each unit's level in force and announcements from one day to the
/// next (the `previous` field of inputs is used on the first day only).
pub fn replay<D: AsRef<[UnitInput]>>(
    rules: Rules<'_>,
    first_day: NaiveDate,
    days: &[D],
    adjacency: &Adjacency,
    tree: &Tree,
) -> Result<Vec<DayOutcomes>, BatchError> {
    let mut classifier = Classifier::default();
    let mut result: Vec<DayOutcomes> = Vec::with_capacity(days.len());
    for (k, units) in days.iter().enumerate() {
        let date = first_day
            .checked_add_days(Days::new(k as u64))
            .unwrap_or(first_day);
        let rs = match rules {
            Rules::Fixed(rs) => rs,
            Rules::InForce(sets) => in_force(sets, date).ok_or(BatchError::NoRuleSet { date })?,
        };
        let mut out = Vec::new();
        let previous = result.last().map(|d| d.outcomes.as_slice());
        classifier.run(
            rs,
            date,
            units.as_ref(),
            previous,
            adjacency,
            tree,
            &mut out,
        )?;
        result.push(DayOutcomes {
            date,
            rule_set: rs.id.clone(),
            outcomes: out,
        });
    }
    Ok(result)
}

/// Whether a unit is a green-zone candidate under a `green-zone` rule set, with the reasons;
/// `None` if the rule set is of another kind.
pub fn green_zone_check(rule_set: &RuleSet, indicators: &Indicators) -> Option<(bool, Reasons)> {
    let Kind::GreenZone(g) = &rule_set.kind else {
        return None;
    };
    let mut o = Outcome::default();
    green_zone_level(g, indicators, &mut o);
    Some((o.level == Level::Green, o.reasons))
}

/// A unit's own level from its indicators alone (no neighbours, children or history).
pub(crate) fn own_level_only(rs: &RuleSet, date: NaiveDate, ind: &Indicators) -> Level {
    let mut o = Outcome::default();
    own_level(rs, date, ind, &mut o);
    o.level
}
