//! The demo's outbreak: Châu Thành district, 1 August – 31 October 2021, simulated from a
//! seeded model over the people that [`crate::registry`] generates.
//!
//! Pure and deterministic like the rest of the crate: every draw comes from `ChaCha8Rng`
//! generators derived from the seed and a key (a commune code, a round number …), integer
//! ranges only, and nothing iterates a hash map. The output is plain rows that the store's
//! interchange shapes take (samples with members, results, retests, cases with dates and
//! sources, contacts with exposure dates); people are indices into [`Outbreak::people`],
//! whose [`PersonKey`] is the importers' natural key (citizen ID, else household code +
//! full name + birth).
//!
//! # The model
//!
//! The curve of each commune is scripted, the details are drawn, so that the story holds for
//! every seed:
//!
//! * **Community cases** per commune: `pop × 0.8–2.0 ‰` (Phước Thạnh 0.5–0.8 ‰), at least 3,
//!   on days from a start (1–10 August) to a last day, triangular with its peak at about a
//!   third of the way (mid-August). The last day is forced to hold a case, and a case is
//!   inserted in any gap of more than 9 days, so no commune has 14 clean days before its
//!   last case. Last days: **Phước Thạnh (28846) 21–24 August** (the green-zone pilot,
//!   clean first); two straggling communes 16–19 September; the others 28 August –
//!   14 September. 60 % of a commune's cases fall in 1–2 "hot" hamlets, the rest by
//!   population.
//! * **Re-emergence**: one commune (not Phước Thạnh, not a straggler) ends its first wave by
//!   4 September and has one new community case on 25–30 September (≥ 20 clean days).
//! * **Imported**: 3 residents back from elsewhere in August, 7 in the return wave of
//!   1–15 October; isolated in a facility.
//! * **Contacts**: each community or imported case has 3–10 F1: its household first, then
//!   neighbours (households ±1…5 in the hamlet), then others of the commune; exposure on the
//!   day of confirmation (household) or 1–3 days before. Quarantine in a facility (60 % in
//!   August, 30 % later), else at home. A case found in quarantine has 0–3 F1. About 35 % of
//!   the F1 outside the case's household bring their household in as F2 (at most 4, home,
//!   exposed the same day as their F1). Nobody is a contact twice, and community cases are
//!   never contacts (so the store does not turn them into cases found in quarantine).
//! * **Cases found in quarantine**: an F1 is infected with probability 20 % (household) or
//!   7 % (others) and is confirmed on a quarantine test day (1: 30 %, 7: 55 %, 14: 15 %);
//!   the store records them as "in quarantine" by itself (their contact is open).
//! * **Screening**: one district campaign, everyone; rounds every 3 days (each collected in
//!   one day) from [`FIRST_ROUND`] (1 September) to 28 September, [`ROUNDS`] (10) of them —
//!   Bến Tre's simultaneous 72-hour rounds of September 2021, around the green-zone pilot of
//!   9 September. Each round is about 145,000 sample members (about 36,000 pools) to import,
//!   by the bulk path of the store. Each round
//!   samples a share of each commune drawn in 87–96 % of its people (exactly), never people
//!   in quarantine or isolation on the day. Pools follow households: whole households are
//!   put together up to a target of 3–5 people (about 4 on average), a household larger
//!   than the limit is split; the limit is 10, or 5 in a high-risk hamlet (a community case
//!   in the 14 days before the round). A community case confirmed 1 or 2 days after a round
//!   is in that round: its pool is positive (Ct 18–32), every member of the pool is
//!   retested individually the next morning, and the infected one is positive. Other
//!   community cases were found at a health station (no sample here).
//! * **Care**: severity asymptomatic 40 %, mild 45 %, moderate 10 %, severe 5 %; isolation
//!   in a facility in August (hospital when severe), at home for half of the later mild
//!   cases; release 14–16 days after the start with a negative test the day before, if
//!   before 1 November. Cases of each commune's first hamlet get a daily check on every day
//!   of isolation.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::{permille, range, registry, rng_for, GenConfig, UnitRow};

const DOM_OUTBREAK: u64 = 0x6f75_7462_7265_616b;

/// The first and last day simulated.
pub const START: NaiveDate = ymd(2021, 8, 1);
pub const END: NaiveDate = ymd(2021, 10, 31);
/// The day of the first screening round; rounds follow every 3 days.
pub const FIRST_ROUND: NaiveDate = ymd(2021, 9, 1);
pub const ROUNDS: u32 = 10;
/// The green-zone pilot, clean first.
pub const PHUOC_THANH: &str = "28846";
/// Pool limits (RT-PCR): normal and high-risk areas.
pub const POOL_LIMIT: usize = 10;
pub const POOL_LIMIT_HIGH_RISK: usize = 5;
pub const LABORATORY: &str = "TTYT huyện Châu Thành";

const fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => panic!("invalid date"),
    }
}

fn plus(d: NaiveDate, n: i64) -> NaiveDate {
    d + Duration::days(n)
}

/// A Vietnamese local time on `day` (minutes after midnight) as a UTC instant.
fn local(day: NaiveDate, minutes: i64) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    midnight + Duration::minutes(minutes) - Duration::hours(7)
}

/// How the importers find a person: citizen ID, or household code + full name + birth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonKey {
    CitizenId(String),
    Household {
        household_code: String,
        full_name: String,
        birth: String,
    },
}

/// One pooled screening sample and its result.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSample {
    /// e.g. "S03-2884601-0012".
    pub code: String,
    pub hamlet: String,
    pub high_risk: bool,
    pub collected_at: DateTime<Utc>,
    pub collector: String,
    /// Indices into [`Outbreak::people`].
    pub members: Vec<u32>,
    pub positive: bool,
    pub ct: Option<f64>,
    pub tested_at: DateTime<Utc>,
}

/// An individual retest of a member of a positive pool, and its result.
#[derive(Debug, Clone, PartialEq)]
pub struct Retest {
    pub code: String,
    pub pool_code: String,
    pub person: u32,
    pub collected_at: DateTime<Utc>,
    pub positive: bool,
    pub ct: Option<f64>,
    pub tested_at: DateTime<Utc>,
}

/// A screening round (collected in one day).
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    pub number: u32,
    pub day: NaiveDate,
    pub samples: Vec<PoolSample>,
    pub retests: Vec<Retest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Community,
    InQuarantine,
    Imported,
}

/// How a case was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    /// By a screening round: the individual retest that proposes the case.
    Screening { round: u32, retest_code: String },
    /// At a health station, a checkpoint or a quarantine test (no screening sample).
    Direct,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub day: NaiveDate,
    pub symptoms: &'static str,
    pub spo2: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub person: u32,
    pub commune: String,
    pub hamlet: String,
    pub confirmed_on: NaiveDate,
    pub source: Source,
    pub detection: Detection,
    /// "asymptomatic" | "mild" | "moderate" | "severe".
    pub severity: &'static str,
    /// "home" | "facility" | "hospital".
    pub place: &'static str,
    pub isolation_start: NaiveDate,
    /// (released on, negative test on).
    pub release: Option<(NaiveDate, NaiveDate)>,
    pub checks: Vec<Check>,
    /// The contacts recorded right after this case: its F1 (in order), then their F2.
    pub contacts: std::ops::Range<usize>,
    /// For a case found in quarantine: its contact record.
    pub from_contact: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactFrom {
    /// Index into [`Outbreak::cases`].
    Case(usize),
    /// Index into [`Outbreak::contacts`] (the F1 of an F2).
    Contact(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub person: u32,
    /// 1 or 2.
    pub level: u8,
    pub from: ContactFrom,
    pub exposure: NaiveDate,
    pub facility: bool,
    /// Last day of quarantine (day 14 for F1, 7 for F2).
    pub end: NaiveDate,
    /// The case it became, if any (index into [`Outbreak::cases`]).
    pub became_case: Option<usize>,
    /// Released at the end of quarantine (when that is before 1 November).
    pub released_on: Option<NaiveDate>,
}

/// The simulated outbreak.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbreak {
    pub people: Vec<PersonKey>,
    /// Commune code of each person.
    pub person_commune: Vec<u16>,
    /// Commune codes, in the order of the hamlets.
    pub communes: Vec<String>,
    /// People per commune.
    pub commune_people: Vec<u32>,
    pub campaign_name: String,
    pub rounds: Vec<Round>,
    /// In the order to confirm them (by day).
    pub cases: Vec<Case>,
    pub contacts: Vec<Contact>,
    /// The commune with a new community case after 14 clean days.
    pub re_emergence: Option<String>,
}

struct Household {
    start: u32,
    len: u32,
    hamlet: u32,
}

struct World {
    people: Vec<PersonKey>,
    ages: Vec<u8>,
    person_household: Vec<u32>,
    person_hamlet: Vec<u32>,
    households: Vec<Household>,
    /// Households per hamlet: range into `households`.
    hamlet_households: Vec<(u32, u32)>,
    hamlet_commune: Vec<u16>,
    hamlet_codes: Vec<String>,
    hamlet_names: Vec<String>,
    communes: Vec<String>,
}

fn age_of(birth: &str) -> u8 {
    let y: i32 = birth.get(..4).and_then(|s| s.parse().ok()).unwrap_or(1980);
    (2021 - y).clamp(0, 120) as u8
}

fn world(hamlets: &[UnitRow], cfg: &GenConfig) -> World {
    let mut communes: Vec<String> = Vec::new();
    let mut hamlet_commune = Vec::new();
    for h in hamlets {
        if communes.last() != Some(&h.parent_code) {
            communes.push(h.parent_code.clone());
        }
        hamlet_commune.push((communes.len() - 1) as u16);
    }
    let by_code: BTreeMap<&str, u32> = hamlets
        .iter()
        .enumerate()
        .map(|(i, h)| (h.code.as_str(), i as u32))
        .collect();
    let mut w = World {
        people: Vec::new(),
        ages: Vec::new(),
        person_household: Vec::new(),
        person_hamlet: Vec::new(),
        households: Vec::new(),
        hamlet_households: vec![(0, 0); hamlets.len()],
        hamlet_commune,
        hamlet_codes: hamlets.iter().map(|h| h.code.clone()).collect(),
        hamlet_names: hamlets.iter().map(|h| h.name.clone()).collect(),
        communes,
    };
    let cell = std::cell::RefCell::new(&mut w);
    registry(
        hamlets,
        cfg,
        |h| {
            let mut w = cell.borrow_mut();
            let hamlet = by_code[h.unit_code.as_str()];
            let idx = w.households.len() as u32;
            let start = w.people.len() as u32;
            w.households.push(Household {
                start,
                len: 0,
                hamlet,
            });
            let e = &mut w.hamlet_households[hamlet as usize];
            if e.1 == 0 {
                e.0 = idx;
            }
            e.1 += 1;
        },
        |p| {
            let mut w = cell.borrow_mut();
            let hh = w.households.len() as u32 - 1;
            let hamlet = w.households[hh as usize].hamlet;
            w.households[hh as usize].len += 1;
            w.people.push(match &p.citizen_id {
                Some(c) => PersonKey::CitizenId(c.clone()),
                None => PersonKey::Household {
                    household_code: p.household_code.clone(),
                    full_name: p.full_name.clone(),
                    birth: p.birth.clone(),
                },
            });
            w.ages.push(age_of(&p.birth));
            w.person_household.push(hh);
            w.person_hamlet.push(hamlet);
        },
    );
    w
}

/// A weighted draw with integer weights.
fn weighted(rng: &mut ChaCha8Rng, weights: &[u64]) -> usize {
    let total: u64 = weights.iter().sum();
    if total == 0 {
        return 0;
    }
    let mut x = rng.gen_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    rng.gen_range(0..n.max(1) as u32) as usize
}

/// Simulates the outbreak over the registry of `hamlets` (see the module's documentation).
pub fn outbreak(hamlets: &[UnitRow], cfg: &GenConfig) -> Outbreak {
    let w = world(hamlets, cfg);
    let n_people = w.people.len();
    let nc = w.communes.len();
    let mut commune_people = vec![0u32; nc];
    for &h in &w.person_hamlet {
        commune_people[w.hamlet_commune[h as usize] as usize] += 1;
    }
    let mut commune_hamlets: Vec<Vec<u32>> = vec![Vec::new(); nc];
    for (i, &c) in w.hamlet_commune.iter().enumerate() {
        commune_hamlets[c as usize].push(i as u32);
    }

    // --- Last days, stragglers and the re-emerging commune.
    let mut plan_rng = rng_for(cfg.seed, DOM_OUTBREAK, "plan");
    let others: Vec<usize> = (0..nc).filter(|&c| w.communes[c] != PHUOC_THANH).collect();
    let mut pool = others.clone();
    let mut take = |rng: &mut ChaCha8Rng| -> Option<usize> {
        if pool.is_empty() {
            None
        } else {
            Some(pool.remove(below(rng, pool.len())))
        }
    };
    let re_commune = if nc >= 4 { take(&mut plan_rng) } else { None };
    let stragglers: Vec<usize> = if nc >= 8 {
        (0..2).filter_map(|_| take(&mut plan_rng)).collect()
    } else {
        Vec::new()
    };

    // --- Community case days per commune.
    let mut community: Vec<(NaiveDate, usize)> = Vec::new(); // (day, commune)
    #[allow(clippy::needless_range_loop)]
    for c in 0..nc {
        let mut rng = rng_for(cfg.seed, DOM_OUTBREAK, &w.communes[c]);
        let pt = w.communes[c] == PHUOC_THANH;
        let last = if pt {
            plus(ymd(2021, 8, 21), i64::from(range(&mut rng, 0, 3)))
        } else if stragglers.contains(&c) {
            plus(ymd(2021, 9, 16), i64::from(range(&mut rng, 0, 3)))
        } else if Some(c) == re_commune {
            plus(ymd(2021, 8, 28), i64::from(range(&mut rng, 0, 7)))
        } else {
            plus(ymd(2021, 8, 28), i64::from(range(&mut rng, 0, 17)))
        };
        let first = plus(START, i64::from(range(&mut rng, 0, 9)));
        let rate = if pt {
            range(&mut rng, 50, 80)
        } else {
            range(&mut rng, 80, 200)
        };
        let n = (u64::from(commune_people[c]) * rate as u64 / 100_000).max(3);
        let span = (last - first).num_days().max(1);
        let peak = span / 3;
        let weights: Vec<u64> = (0..=span)
            .map(|d| {
                if d <= peak {
                    (d + 2) as u64
                } else {
                    ((span - d) * (peak + 2) / (span - peak).max(1) + 1) as u64
                }
            })
            .collect();
        let mut days: Vec<NaiveDate> = vec![first, last];
        for _ in 2..n {
            days.push(plus(first, weighted(&mut rng, &weights) as i64));
        }
        days.sort();
        // No gap of more than 9 days before the last case.
        let mut i = 0;
        while i + 1 < days.len() {
            let gap = (days[i + 1] - days[i]).num_days();
            if gap > 9 {
                days.insert(i + 1, plus(days[i], gap / 2));
            } else {
                i += 1;
            }
        }
        if Some(c) == re_commune {
            days.push(plus(ymd(2021, 9, 25), i64::from(range(&mut rng, 0, 5))));
        }
        community.extend(days.into_iter().map(|d| (d, c)));
    }
    community.sort();

    // --- People state.
    let mut taken = vec![false; n_people]; // a case or a contact already
    let hot: Vec<Vec<u32>> = (0..nc)
        .map(|c| {
            let mut rng = rng_for(cfg.seed, DOM_OUTBREAK ^ 1, &w.communes[c]);
            let hs = &commune_hamlets[c];
            let k = if hs.len() > 4 && permille(&mut rng, 500) {
                2
            } else {
                1
            };
            let mut pool = hs.clone();
            let mut out = Vec::new();
            for _ in 0..k {
                if !pool.is_empty() {
                    out.push(pool.remove(below(&mut rng, pool.len())));
                }
            }
            out
        })
        .collect();
    let hamlet_pop = |h: u32| -> u64 {
        let (s, n) = w.hamlet_households[h as usize];
        (s..s + n)
            .map(|i| u64::from(w.households[i as usize].len))
            .sum()
    };
    let pick_in_hamlet = |rng: &mut ChaCha8Rng, h: u32, taken: &[bool], adult: bool| {
        let (s, n) = w.hamlet_households[h as usize];
        for _ in 0..50 {
            let hh = &w.households[(s + below(rng, n as usize) as u32) as usize];
            if hh.len == 0 {
                continue;
            }
            let p = hh.start + below(rng, hh.len as usize) as u32;
            if !taken[p as usize] && (!adult || w.ages[p as usize] >= 18) {
                return Some(p);
            }
        }
        None
    };

    // Events to process: (day, seq) → draft.
    struct Draft {
        person: u32,
        source: Source,
        from_contact: Option<usize>,
    }
    let mut queue: BTreeMap<(NaiveDate, u32), Draft> = BTreeMap::new();
    let mut seq = 0u32;
    let mut case_rng = rng_for(cfg.seed, DOM_OUTBREAK, "cases");
    for &(day, c) in &community {
        let hs = &commune_hamlets[c];
        let h = if permille(&mut case_rng, 600) {
            hot[c][below(&mut case_rng, hot[c].len())]
        } else {
            let weights: Vec<u64> = hs.iter().map(|&h| hamlet_pop(h)).collect();
            hs[weighted(&mut case_rng, &weights)]
        };
        if let Some(p) = pick_in_hamlet(&mut case_rng, h, &taken, false) {
            taken[p as usize] = true;
            queue.insert(
                (day, seq),
                Draft {
                    person: p,
                    source: Source::Community,
                    from_contact: None,
                },
            );
            seq += 1;
        }
    }
    for k in 0..10 {
        let day = if k < 3 {
            plus(ymd(2021, 8, 5), i64::from(range(&mut case_rng, 0, 15)))
        } else {
            plus(ymd(2021, 10, 1), i64::from(range(&mut case_rng, 0, 14)))
        };
        let h = below(&mut case_rng, w.hamlet_codes.len()) as u32;
        if let Some(p) = pick_in_hamlet(&mut case_rng, h, &taken, true) {
            taken[p as usize] = true;
            queue.insert(
                (day, seq),
                Draft {
                    person: p,
                    source: Source::Imported,
                    from_contact: None,
                },
            );
            seq += 1;
        }
    }

    // --- Process cases by day: contacts, infections in quarantine.
    let mut cases: Vec<Case> = Vec::new();
    let mut contacts: Vec<Contact> = Vec::new();
    let mut crng = rng_for(cfg.seed, DOM_OUTBREAK, "contacts");
    while let Some(((day, _), d)) = queue.pop_first() {
        if day > END {
            continue;
        }
        let p = d.person as usize;
        let hamlet = w.person_hamlet[p];
        let commune = w.hamlet_commune[hamlet as usize] as usize;
        let idx = cases.len();
        if let Some(k) = d.from_contact {
            contacts[k].became_case = Some(idx);
            contacts[k].released_on = None;
        }
        let first = contacts.len();
        let n_f1 = match d.source {
            Source::InQuarantine => range(&mut crng, 0, 3),
            _ => range(&mut crng, 3, 10),
        } as usize;
        // Candidates: household, neighbours, commune.
        let hh = w.person_household[p];
        let mut f1: Vec<(u32, bool)> = Vec::new(); // (person, same household)
        let household = &w.households[hh as usize];
        for q in household.start..household.start + household.len {
            if f1.len() < n_f1 && !taken[q as usize] {
                f1.push((q, true));
            }
        }
        let (hs, hn) = w.hamlet_households[hamlet as usize];
        let mut tries = 0;
        while f1.len() < n_f1 && tries < 40 {
            tries += 1;
            let q = if tries < 30 {
                let off = range(&mut crng, -5, 5);
                let j = i64::from(hh) + i64::from(off);
                if j < i64::from(hs) || j >= i64::from(hs + hn) || j == i64::from(hh) {
                    continue;
                }
                let nb = &w.households[j as usize];
                if nb.len == 0 {
                    continue;
                }
                nb.start + below(&mut crng, nb.len as usize) as u32
            } else {
                let hs2 = &commune_hamlets[commune];
                let h2 = hs2[below(&mut crng, hs2.len())];
                match pick_in_hamlet(&mut crng, h2, &taken, false) {
                    Some(q) => q,
                    None => continue,
                }
            };
            if !taken[q as usize] && !f1.iter().any(|(x, _)| *x == q) {
                f1.push((q, false));
            }
        }
        let late = day >= ymd(2021, 9, 1);
        let mut f2_queue: Vec<(usize, u32)> = Vec::new();
        for (q, same) in f1 {
            taken[q as usize] = true;
            let exposure = if same {
                day
            } else {
                plus(day, -i64::from(range(&mut crng, 1, 3)))
            };
            let facility = permille(&mut crng, if late { 300 } else { 600 });
            let end = plus(exposure, 13);
            let k = contacts.len();
            contacts.push(Contact {
                person: q,
                level: 1,
                from: ContactFrom::Case(idx),
                exposure,
                facility,
                end,
                became_case: None,
                released_on: (end <= END).then_some(end),
            });
            if permille(&mut crng, if same { 200 } else { 70 }) {
                let test_day = match range(&mut crng, 0, 99) {
                    0..=29 => 1,
                    30..=84 => 7,
                    _ => 14,
                };
                let mut on = plus(exposure, test_day - 1);
                if on <= day {
                    on = plus(day, 1);
                }
                if on <= end {
                    queue.insert(
                        (on, seq),
                        Draft {
                            person: q,
                            source: Source::InQuarantine,
                            from_contact: Some(k),
                        },
                    );
                    seq += 1;
                }
            } else if !same && permille(&mut crng, 350) {
                f2_queue.push((k, q));
            }
        }
        for (k, q) in f2_queue {
            let h2 = &w.households[w.person_household[q as usize] as usize];
            let mut n = 0;
            for r in h2.start..h2.start + h2.len {
                if n < 4 && !taken[r as usize] {
                    taken[r as usize] = true;
                    n += 1;
                    let exposure = contacts[k].exposure;
                    let end = plus(exposure, 6);
                    contacts.push(Contact {
                        person: r,
                        level: 2,
                        from: ContactFrom::Contact(k),
                        exposure,
                        facility: false,
                        end,
                        became_case: None,
                        released_on: (end <= END).then_some(end),
                    });
                }
            }
        }
        // Care.
        let severity = match range(&mut crng, 0, 99) {
            0..=39 => "asymptomatic",
            40..=84 => "mild",
            85..=94 => "moderate",
            _ => "severe",
        };
        let place = if severity == "severe" {
            "hospital"
        } else if d.source == Source::Imported || !late || severity == "moderate" {
            "facility"
        } else if permille(&mut crng, 500) {
            "home"
        } else {
            "facility"
        };
        let release_on = plus(day, 14 + i64::from(range(&mut crng, 0, 2)));
        let release = (release_on <= END).then(|| (release_on, plus(release_on, -1)));
        let mut checks = Vec::new();
        if commune_hamlets[commune].first() == Some(&hamlet) {
            let last = release.map_or(END, |r| r.0);
            let mut c = day;
            while c <= last {
                let symptomatic = severity != "asymptomatic" && (c - day).num_days() < 7;
                checks.push(Check {
                    day: c,
                    symptoms: if symptomatic {
                        ["sốt, ho", "ho, mệt", "đau họng", "sốt nhẹ"][below(&mut crng, 4)]
                    } else {
                        ""
                    },
                    spo2: Some(if severity == "severe" {
                        range(&mut crng, 90, 95) as u8
                    } else {
                        range(&mut crng, 96, 99) as u8
                    }),
                });
                c = plus(c, 1);
            }
        }
        cases.push(Case {
            person: d.person,
            commune: w.communes[commune].clone(),
            hamlet: w.hamlet_codes[hamlet as usize].clone(),
            confirmed_on: day,
            source: d.source,
            detection: Detection::Direct,
            severity,
            place,
            isolation_start: day,
            release,
            checks,
            contacts: first..contacts.len(),
            from_contact: d.from_contact,
        });
    }

    // --- Screening rounds.
    // Per person: days not available for pooling (quarantine, isolation).
    let mut away: Vec<Vec<(NaiveDate, NaiveDate)>> = (0..n_people).map(|_| Vec::new()).collect();
    for k in &contacts {
        away[k.person as usize].push((k.exposure, k.end));
    }
    for c in &cases {
        let until = c.release.map_or(END, |r| r.0);
        away[c.person as usize].push((c.isolation_start, until));
    }
    let mut rounds = Vec::new();
    for r in 0..ROUNDS {
        let number = r + 1;
        let day = plus(FIRST_ROUND, i64::from(3 * r));
        let mut rng = rng_for(cfg.seed, DOM_OUTBREAK, &format!("round{number}"));
        // Community cases detected by this round: confirmed 1–2 days after it.
        let mut detect: BTreeMap<u32, usize> = BTreeMap::new();
        for (i, c) in cases.iter().enumerate() {
            let lag = (c.confirmed_on - day).num_days();
            if c.source == Source::Community
                && (1..=2).contains(&lag)
                && c.detection == Detection::Direct
            {
                detect.insert(c.person, i);
            }
        }
        // High-risk hamlets: a community case in the 14 days before.
        let mut high = vec![false; w.hamlet_codes.len()];
        for c in &cases {
            let ago = (day - c.confirmed_on).num_days();
            if c.source == Source::Community && (0..=14).contains(&ago) {
                if let Some(h) = w.hamlet_codes.iter().position(|x| *x == c.hamlet) {
                    high[h] = true;
                }
            }
        }
        let present = |p: usize| !away[p].iter().any(|(a, b)| *a <= day && day <= *b);
        // Who is sampled: exactly round(share × people) per commune.
        let mut sampled = vec![false; n_people];
        for (c, hs) in commune_hamlets.iter().enumerate() {
            let share = range(&mut rng, 870, 960) as u64;
            let want = (u64::from(commune_people[c]) * share + 500) / 1000;
            let mut must: Vec<u32> = Vec::new();
            let mut free: Vec<u32> = Vec::new();
            for &h in hs {
                let (s, n) = w.hamlet_households[h as usize];
                for hh in &w.households[s as usize..(s + n) as usize] {
                    for p in hh.start..hh.start + hh.len {
                        if detect.contains_key(&p) {
                            must.push(p);
                        } else if present(p as usize) {
                            free.push(p);
                        }
                    }
                }
            }
            let keep = (want as usize).saturating_sub(must.len()).min(free.len());
            // Partial Fisher–Yates: the first `keep` of a shuffle are sampled.
            for i in 0..keep {
                let j = i + below(&mut rng, free.len() - i);
                free.swap(i, j);
            }
            for &p in must.iter().chain(&free[..keep]) {
                sampled[p as usize] = true;
            }
        }
        // Pools, hamlet by hamlet, household by household.
        let mut samples: Vec<PoolSample> = Vec::new();
        let mut retests: Vec<Retest> = Vec::new();
        for (h, code) in w.hamlet_codes.iter().enumerate() {
            let limit = if high[h] {
                POOL_LIMIT_HIGH_RISK
            } else {
                POOL_LIMIT
            };
            let collector = format!("Tổ COVID {}", w.hamlet_names[h]);
            let (s, n) = w.hamlet_households[h];
            let mut pools: Vec<Vec<u32>> = Vec::new();
            let mut cur: Vec<u32> = Vec::new();
            let mut target = range(&mut rng, 3, 5) as usize;
            for hh in &w.households[s as usize..(s + n) as usize] {
                let members: Vec<u32> = (hh.start..hh.start + hh.len)
                    .filter(|&p| sampled[p as usize])
                    .collect();
                if members.is_empty() {
                    continue;
                }
                if !cur.is_empty() && cur.len() + members.len() > target.min(limit) {
                    pools.push(std::mem::take(&mut cur));
                    target = range(&mut rng, 3, 5) as usize;
                }
                for chunk in members.chunks(limit) {
                    if !cur.is_empty() && cur.len() + chunk.len() > limit {
                        pools.push(std::mem::take(&mut cur));
                    }
                    cur.extend_from_slice(chunk);
                }
                if cur.len() >= target {
                    pools.push(std::mem::take(&mut cur));
                    target = range(&mut rng, 3, 5) as usize;
                }
            }
            if !cur.is_empty() {
                pools.push(cur);
            }
            for (i, members) in pools.into_iter().enumerate() {
                let pcode = format!("S{number:02}-{code}-{:04}", i + 1);
                let infected: Vec<u32> = members
                    .iter()
                    .copied()
                    .filter(|p| detect.contains_key(p))
                    .collect();
                let positive = !infected.is_empty();
                let collected_at = local(day, 7 * 60 + i64::from(range(&mut rng, 0, 240)));
                let tested_at = local(day, 19 * 60 + i64::from(range(&mut rng, 0, 200)));
                let ct = positive.then(|| f64::from(range(&mut rng, 180, 320)) / 10.0);
                if positive {
                    for (j, &q) in members.iter().enumerate() {
                        let hit = infected.contains(&q);
                        let rcode = format!("T{number:02}-{code}-{:04}-{}", i + 1, j + 1);
                        if let Some(&ci) = detect.get(&q) {
                            cases[ci].detection = Detection::Screening {
                                round: number,
                                retest_code: rcode.clone(),
                            };
                        }
                        retests.push(Retest {
                            code: rcode,
                            pool_code: pcode.clone(),
                            person: q,
                            collected_at: local(
                                plus(day, 1),
                                7 * 60 + i64::from(range(&mut rng, 0, 120)),
                            ),
                            positive: hit,
                            ct: hit.then(|| f64::from(range(&mut rng, 170, 300)) / 10.0),
                            tested_at: local(
                                plus(day, 1),
                                15 * 60 + i64::from(range(&mut rng, 0, 180)),
                            ),
                        });
                    }
                }
                samples.push(PoolSample {
                    code: pcode,
                    hamlet: code.clone(),
                    high_risk: high[h],
                    collected_at,
                    collector: collector.clone(),
                    members,
                    positive,
                    ct,
                    tested_at,
                });
            }
        }
        rounds.push(Round {
            number,
            day,
            samples,
            retests,
        });
    }

    let person_commune = w
        .person_hamlet
        .iter()
        .map(|&h| w.hamlet_commune[h as usize])
        .collect();
    Outbreak {
        people: w.people,
        person_commune,
        communes: w.communes.clone(),
        commune_people,
        campaign_name: "Xét nghiệm tầm soát toàn huyện Châu Thành (72 giờ/đợt)".to_string(),
        rounds,
        cases,
        contacts,
        re_emergence: re_commune.map(|c| w.communes[c].clone()),
    }
}
