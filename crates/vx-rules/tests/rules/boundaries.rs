//! Boundary tests: every threshold of every built-in rule set, just below, at and just above,
//! with the level each decision's wording gives there (written from the texts, not from the
//! engine). A comparison written `>` where a decision says `≥` fails here. A threshold that a
//! built-in set gains without a row here fails `every_threshold_has_boundary_rows`.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use vx_rules::render::{explain, Lang};
use vx_rules::*;

use super::{d, quiet, rate, round, set};

/// One threshold: the level just below it, at it and just above it.
struct Edge {
    /// Built-in rule set id.
    set: &'static str,
    /// What the threshold is, as named by [`thresholds`] (e.g. `matrix.cases_per_100k=20`).
    key: String,
    /// The threshold, and the step to "just below" and "just above" it (0.01 for shares and
    /// rates, 1 for counts and days).
    at: f64,
    step: f64,
    /// Expected levels below, at and above.
    want: [Level; 3],
    /// Classification day.
    date: NaiveDate,
    /// The unit's input for a value of the tested figure.
    input: Box<dyn Fn(f64) -> UnitInput>,
}

fn unit(ind: Indicators) -> UnitInput {
    UnitInput {
        indicators: ind,
        ..UnitInput::default()
    }
}

fn edge(
    set: &'static str,
    key: impl Into<String>,
    at: f64,
    step: f64,
    want: [Level; 3],
    date: NaiveDate,
    input: impl Fn(f64) -> UnitInput + 'static,
) -> Edge {
    Edge {
        set,
        key: key.into(),
        at,
        step,
        want,
        date,
        input: Box::new(input),
    }
}

fn count(x: f64) -> u32 {
    x.round().max(0.0) as u32
}

/// A parent with 100 children not in the batch: `k` at `level`, the others green.
fn parent(level: Level, k: f64) -> UnitInput {
    let mut c = LevelCounts::default();
    for i in 0..100 {
        c.add(if (i as f64) < k { level } else { Level::Green });
    }
    UnitInput {
        child_levels: c,
        ..UnitInput::default()
    }
}

fn edges() -> Vec<Edge> {
    use Level::*;
    let sep = d(2021, 9, 15);
    let oct = d(2021, 10, 20);
    let nov = d(2021, 11, 15);
    let mut e = vec![
        // ---- Decision 2686: "a unit takes the highest level whose condition holds"; every
        // condition is "there is a …" (≥ 1), and green is "no community case for 14 days".
        edge(
            "qd-2686",
            "criterion.unknown_source_clusters=1",
            1.0,
            1.0,
            [Green, Red, Red],
            sep,
            |x| {
                unit(Indicators {
                    unknown_source_clusters: Some(count(x)),
                    ..quiet()
                })
            },
        ),
        edge(
            "qd-2686",
            "criterion.hard_to_trace_place_cases=1",
            1.0,
            1.0,
            [Green, Red, Red],
            sep,
            |x| {
                unit(Indicators {
                    hard_to_trace_place_cases: Some(count(x)),
                    ..quiet()
                })
            },
        ),
        edge(
            "qd-2686",
            "criterion.unknown_source_cases_14d=1",
            1.0,
            1.0,
            [Green, Orange, Orange],
            sep,
            |x| {
                // Unknown-source cases are community cases: the known-source count stays 0.
                unit(Indicators {
                    unknown_source_cases_14d: Some(count(x)),
                    community_cases_14d: Some(count(x)),
                    days_since_last_community_case: (x >= 1.0).then_some(20),
                    ..quiet()
                })
            },
        ),
        edge(
            "qd-2686",
            "criterion.red_cluster_crowded_place_cases=1",
            1.0,
            1.0,
            [Green, Orange, Orange],
            sep,
            |x| {
                unit(Indicators {
                    red_cluster_crowded_place_cases: Some(count(x)),
                    ..quiet()
                })
            },
        ),
        edge(
            "qd-2686",
            "criterion.known_source_cases_14d=1",
            1.0,
            1.0,
            [Green, Yellow, Yellow],
            sep,
            |x| {
                unit(Indicators {
                    community_cases_14d: Some(count(x)),
                    days_since_last_community_case: (x >= 1.0).then_some(20),
                    ..quiet()
                })
            },
        ),
        edge(
            "qd-2686",
            "criterion.f1_in_community=1",
            1.0,
            1.0,
            [Green, Yellow, Yellow],
            sep,
            |x| {
                unit(Indicators {
                    f1_in_community: Some(count(x)),
                    ..quiet()
                })
            },
        ),
        // "no community case for 14 days" is green: 13 days is not yet, 14 is.
        edge(
            "qd-2686",
            "criterion.days_since_last_community_case=14",
            14.0,
            1.0,
            [Yellow, Green, Green],
            sep,
            |x| {
                unit(Indicators {
                    days_since_last_community_case: Some(count(x)),
                    ..quiet()
                })
            },
        ),
        // Districts: "≥30% of communes red → red; ≥50% orange → red; ≥30% orange, ≥50% yellow
        // or any red → orange"; any yellow → yellow (vungxanh's reading, docs/rules.md).
        edge(
            "qd-2686",
            "rollup.red.red>=30%",
            30.0,
            1.0,
            [Orange, Red, Red],
            sep,
            |x| parent(Red, x),
        ),
        edge(
            "qd-2686",
            "rollup.red.orange>=50%",
            50.0,
            1.0,
            [Orange, Red, Red],
            sep,
            |x| parent(Orange, x),
        ),
        edge(
            "qd-2686",
            "rollup.orange.orange>=30%",
            30.0,
            1.0,
            [Yellow, Orange, Orange],
            sep,
            |x| parent(Orange, x),
        ),
        edge(
            "qd-2686",
            "rollup.orange.yellow>=50%",
            50.0,
            1.0,
            [Yellow, Orange, Orange],
            sep,
            |x| parent(Yellow, x),
        ),
        edge(
            "qd-2686",
            "rollup.orange.red>=1",
            1.0,
            1.0,
            [Green, Orange, Orange],
            sep,
            |x| parent(Red, x),
        ),
        edge(
            "qd-2686",
            "rollup.yellow.yellow>=1",
            1.0,
            1.0,
            [Green, Yellow, Yellow],
            sep,
            |x| parent(Yellow, x),
        ),
        // ---- Decision 4800: bands "<20, 20–<50, 50–<150, ≥150" × "≥70% of 18+ with one
        // dose"; the 20 edge shows only without coverage (both cells are 1 with it).
        edge(
            "qd-4800",
            "matrix.cases_per_100k=20",
            20.0,
            0.01,
            [Green, Yellow, Yellow],
            nov,
            |x| unit(rate(x, 60.0, Some(95.0))),
        ),
        edge(
            "qd-4800",
            "matrix.cases_per_100k=50",
            50.0,
            0.01,
            [Green, Yellow, Yellow],
            nov,
            |x| unit(rate(x, 95.0, Some(95.0))),
        ),
        edge(
            "qd-4800",
            "matrix.cases_per_100k=150",
            150.0,
            0.01,
            [Yellow, Orange, Orange],
            nov,
            |x| unit(rate(x, 95.0, Some(95.0))),
        ),
        edge(
            "qd-4800",
            "matrix.first_dose_18plus_pct=70",
            70.0,
            0.01,
            [Orange, Yellow, Yellow],
            nov,
            |x| unit(rate(60.0, x, Some(95.0))),
        ),
        // "+1 when fewer than 80% of people 65+ (October) / 50+ (November) are fully
        // vaccinated": 79.99% raises, 80% does not.
        edge(
            "qd-4800",
            "matrix.elderly.65<80%",
            80.0,
            0.01,
            [Yellow, Green, Green],
            oct,
            |x| {
                unit(Indicators {
                    fully_vaccinated_50plus_pct: Some(99.0),
                    ..rate(10.0, 99.0, Some(x))
                })
            },
        ),
        edge(
            "qd-4800",
            "matrix.elderly.50<80%",
            80.0,
            0.01,
            [Yellow, Green, Green],
            nov,
            |x| {
                unit(Indicators {
                    fully_vaccinated_65plus_pct: Some(99.0),
                    ..rate(10.0, 99.0, Some(x))
                })
            },
        ),
        // "except where the unit has no case": a rate of 0 is not raised, any case is.
        edge(
            "qd-4800",
            "matrix.elderly.no_case",
            0.0,
            0.01,
            [Green, Green, Yellow],
            nov,
            |x| unit(rate(x.max(0.0), 99.0, Some(10.0))),
        ),
        // ---- Green-zone regulation (Phước Thạnh pilot template).
        edge(
            "green-zone",
            "green_zone.days_without_case=14",
            14.0,
            1.0,
            [Yellow, Green, Green],
            sep,
            |x| {
                let clean = round(95.0, 0);
                unit(
                    Indicators {
                        days_since_last_community_case: Some(count(x)),
                        ..quiet()
                    }
                    .with_rounds(&[clean, clean]),
                )
            },
        ),
        edge(
            "green-zone",
            "green_zone.min_coverage_pct=90",
            90.0,
            0.01,
            [Yellow, Green, Green],
            sep,
            |x| unit(quiet().with_rounds(&[round(x, 0), round(95.0, 0)])),
        ),
        // Positives: none allowed ("clean" rounds): 0 is green, 1 is not.
        edge(
            "green-zone",
            "green_zone.positives=0",
            0.0,
            1.0,
            [Green, Green, Yellow],
            sep,
            |x| unit(quiet().with_rounds(&[round(95.0, count(x)), round(95.0, 0)])),
        ),
        // The last 2 rounds count: a positive in the 2nd blocks, in the 3rd does not.
        edge(
            "green-zone",
            "green_zone.rounds=2",
            2.0,
            1.0,
            [Yellow, Yellow, Green],
            sep,
            |x| {
                let k = count(x) as usize;
                let mut rounds = [round(95.0, 0); 3];
                rounds[k - 1] = round(95.0, 1);
                unit(quiet().with_rounds(&rounds))
            },
        ),
    ];
    e.extend(edges_218());
    e
}

/// Decision 218/QĐ-BYT's thresholds (see `rules/qd-218.toml` and docs/rules.md for which are
/// confirmed): in 100,000 people a count is its rate, so the steps are whole cases.
fn edges_218() -> Vec<Edge> {
    use Level::*;
    let feb = d(2022, 2, 15);
    // Vaccination targets met, no death, high response capacity.
    let base = || Indicators {
        population: Some(100_000),
        all_cases_7d: Some(0),
        oxygen_cases_7d: Some(0),
        deaths_7d: Some(0),
        fully_vaccinated_pct: Some(90.0),
        fully_vaccinated_50plus_pct: Some(95.0),
        response_capacity: Some(ResponseCapacity::High),
        ..Indicators::default()
    };
    let medium = move |mut i: Indicators| {
        i.response_capacity = Some(ResponseCapacity::Medium);
        i
    };
    let cases = move |x: f64| Indicators {
        all_cases_7d: Some(count(x)),
        ..base()
    };
    let oxygen = move |x: f64| {
        medium(Indicators {
            oxygen_cases_7d: Some(count(x)),
            ..base()
        })
    };
    vec![
        // Transmission 1 → 2 shows with medium capacity (high reads both as level 1).
        edge(
            "qd-218",
            "transmission.cases_per_100k=150",
            150.0,
            1.0,
            [Green, Yellow, Yellow],
            feb,
            move |x| unit(medium(cases(x))),
        ),
        // With high capacity: transmission 3 is level 2, transmission 4 level 3.
        edge(
            "qd-218",
            "transmission.cases_per_100k=300",
            300.0,
            1.0,
            [Green, Yellow, Yellow],
            feb,
            move |x| unit(cases(x)),
        ),
        edge(
            "qd-218",
            "transmission.cases_per_100k=600",
            600.0,
            1.0,
            [Yellow, Orange, Orange],
            feb,
            move |x| unit(cases(x)),
        ),
        edge(
            "qd-218",
            "transmission.oxygen_cases_per_100k=5",
            5.0,
            1.0,
            [Green, Yellow, Yellow],
            feb,
            move |x| unit(oxygen(x)),
        ),
        edge(
            "qd-218",
            "transmission.oxygen_cases_per_100k=10",
            10.0,
            1.0,
            [Yellow, Orange, Orange],
            feb,
            move |x| unit(oxygen(x)),
        ),
        edge(
            "qd-218",
            "transmission.oxygen_cases_per_100k=30",
            30.0,
            1.0,
            [Orange, Red, Red],
            feb,
            move |x| unit(oxygen(x)),
        ),
        // "not met" raises the transmission level: below 75% / 90% raises, at it does not.
        edge(
            "qd-218",
            "transmission.raise.fully_vaccinated_pct<75",
            75.0,
            0.01,
            [Yellow, Green, Green],
            feb,
            move |x| {
                unit(medium(Indicators {
                    fully_vaccinated_pct: Some(x),
                    ..base()
                }))
            },
        ),
        edge(
            "qd-218",
            "transmission.raise.fully_vaccinated_50plus_pct<90",
            90.0,
            0.01,
            [Yellow, Green, Green],
            feb,
            move |x| {
                unit(medium(Indicators {
                    fully_vaccinated_50plus_pct: Some(x),
                    ..base()
                }))
            },
        ),
        // Deaths "exceeding 6 per 100,000" raise the level: 6 does not, 7 does.
        edge(
            "qd-218",
            "response.raise.deaths_per_100k_week>6",
            6.0,
            1.0,
            [Green, Green, Yellow],
            feb,
            move |x| {
                unit(Indicators {
                    deaths_7d: Some(count(x)),
                    ..base()
                })
            },
        ),
    ]
}

fn cmp_sign(c: Cmp) -> &'static str {
    match c {
        Cmp::AtLeast => ">=",
        Cmp::Above => ">",
        Cmp::Below => "<",
        Cmp::AtMost => "<=",
        Cmp::Band => "in",
    }
}

/// Every threshold of a rule set, named as in the edges above.
fn thresholds(rs: &RuleSet) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    match &rs.kind {
        Kind::HighestLevel(h) => {
            for c in &h.criteria {
                out.insert(format!("criterion.{}={}", c.indicator.key(), c.threshold));
            }
        }
        Kind::Matrix(m) => {
            for e in &m.case_edges {
                out.insert(format!("matrix.cases_per_100k={e}"));
            }
            out.insert(format!("matrix.first_dose_18plus_pct={}", m.first_dose_pct));
            for e in &m.elderly {
                out.insert(format!("matrix.elderly.{}<{}%", e.age, e.threshold));
            }
            if !m.elderly.is_empty() {
                out.insert("matrix.elderly.no_case".to_owned());
            }
        }
        Kind::GreenZone(g) => {
            out.insert(format!(
                "green_zone.days_without_case={}",
                g.days_without_case
            ));
            out.insert(format!(
                "green_zone.min_coverage_pct={}",
                g.min_coverage_pct
            ));
            out.insert("green_zone.positives=0".to_owned());
            out.insert(format!("green_zone.rounds={}", g.rounds));
        }
        Kind::TransmissionResponse(t) => {
            for e in &t.case_edges {
                out.insert(format!("transmission.cases_per_100k={e}"));
            }
            for e in &t.oxygen_edges {
                out.insert(format!("transmission.oxygen_cases_per_100k={e}"));
            }
            for (section, raises) in [("transmission", &t.raises), ("response", &t.level_raises)] {
                for r in raises.iter() {
                    out.insert(format!(
                        "{section}.raise.{}{}{}",
                        r.indicator.key(),
                        cmp_sign(r.cmp),
                        r.threshold
                    ));
                }
            }
        }
    }
    if let Some(r) = &rs.rollup {
        for rule in &r.rules {
            let (level, children) = (format!("{:?}", rule.level), format!("{:?}", rule.children));
            out.insert(
                match rule.min {
                    RollupMin::SharePct(p) => format!("rollup.{level}.{children}>={p}%"),
                    RollupMin::Count(n) => format!("rollup.{level}.{children}>={n}"),
                }
                .to_lowercase(),
            );
        }
    }
    out
}

#[test]
fn every_threshold_just_below_at_and_above() {
    let mut failures = Vec::new();
    for e in edges() {
        let rs = set(e.set);
        for (k, x) in [e.at - e.step, e.at, e.at + e.step].into_iter().enumerate() {
            let units = [(e.input)(x)];
            let o = classify_day(&rs, e.date, &units, &Adjacency::default(), &Tree::default())
                .unwrap()[0];
            if o.level != e.want[k] {
                failures.push(format!(
                    "{} {} at {x}: want {:?}, got {:?}\n{}",
                    e.set,
                    e.key,
                    e.want[k],
                    o.level,
                    explain(&rs, &o, Lang::En)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_threshold_has_boundary_rows() {
    let edges = edges();
    for id in builtin_ids() {
        let rs = set(id);
        let covered: BTreeSet<String> = edges
            .iter()
            .filter(|e| e.set == id)
            .map(|e| e.key.split('/').next().unwrap().to_owned())
            .collect();
        let all = thresholds(&rs);
        let missing: Vec<_> = all.difference(&covered).collect();
        assert!(
            missing.is_empty(),
            "{id}: thresholds without boundary rows: {missing:?}"
        );
        let stale: Vec<_> = covered.difference(&all).collect();
        assert!(
            stale.is_empty(),
            "{id}: boundary rows for no threshold: {stale:?}"
        );
    }
}

#[test]
fn rule_sets_change_on_their_dates() {
    let levels: Vec<RuleSet> = ["qd-2686", "qd-4800", "qd-218"].map(set).into();
    for (date, id) in [
        (d(2021, 10, 11), "qd-2686"),
        (d(2021, 10, 12), "qd-4800"),
        (d(2022, 1, 26), "qd-4800"),
        (d(2022, 1, 27), "qd-218"),
    ] {
        assert_eq!(in_force(&levels, date).unwrap().id, id, "{date}");
    }
    // The elderly criterion switches from 65+ to 50+ on its date.
    let Kind::Matrix(m) = &set("qd-4800").kind else {
        panic!("matrix")
    };
    let switch = m.elderly[1].from;
    assert_eq!(m.elderly_on(switch.pred_opt().unwrap()).unwrap().age, 65);
    assert_eq!(m.elderly_on(switch).unwrap().age, 50);
}
