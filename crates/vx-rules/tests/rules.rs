//! Integration tests of the rule engine: built-in rule sets against published results and
//! hand-made scenarios, error messages, explanations (snapshots), green-zone lifecycle,
//! measures, targets, sandbox diffs, and properties (proptest).

use chrono::NaiveDate;
use proptest::prelude::*;
use vx_rules::render::{explain, format_number, render_measure, render_reason, Lang};
use vx_rules::targets::{parent_progress, progress, Target, TargetStatus};
use vx_rules::zone::{Decision, Effect, GreenZone, RefusalReason, StateName, ZoneEvent, ZoneState};
use vx_rules::*;

#[path = "rules/boundaries.rs"]
mod boundaries;
#[path = "rules/published.rs"]
mod published;

// ---------------------------------------------------------------------------------------------
// helpers

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn set(id: &str) -> RuleSet {
    builtin(id).unwrap_or_else(|| panic!("no built-in {id}"))
}

fn input(ind: Indicators) -> UnitInput {
    UnitInput {
        indicators: ind,
        ..UnitInput::default()
    }
}

fn one(rs: &RuleSet, date: NaiveDate, ind: Indicators) -> Outcome {
    classify_day(
        rs,
        date,
        &[input(ind)],
        &Adjacency::default(),
        &Tree::default(),
    )
    .unwrap()[0]
}

/// Both languages, Vietnamese first, for snapshots.
fn both(rs: &RuleSet, o: &Outcome) -> String {
    format!(
        "{}\n\n{}",
        explain(rs, o, Lang::Vi),
        explain(rs, o, Lang::En)
    )
}

/// A commune with nothing going on: no community case on record, no F1, nothing unknown.
fn quiet() -> Indicators {
    Indicators {
        population: Some(10_000),
        community_cases_7d: Some(0),
        community_cases_14d: Some(0),
        unknown_source_cases_14d: Some(0),
        unknown_source_clusters: Some(0),
        hard_to_trace_place_cases: Some(0),
        red_cluster_crowded_place_cases: Some(0),
        days_since_last_community_case: None,
        f1_in_community: Some(0),
        ..Indicators::default()
    }
}

/// 4800 indicators from the published weekly rate, one-dose coverage and the share of the
/// elderly (65+ and 50+ alike) fully vaccinated.
fn rate(per_100k: f64, dose: f64, elderly: Option<f64>) -> Indicators {
    Indicators {
        cases_per_100k_week: Some(per_100k),
        first_dose_18plus_pct: Some(dose),
        fully_vaccinated_65plus_pct: elderly,
        fully_vaccinated_50plus_pct: elderly,
        capacity_met: Some(true),
        ..Indicators::default()
    }
}

/// Data-driven check: each row's indicators give the level on that date.
fn check(rs: &RuleSet, date: NaiveDate, rows: &[(&str, Indicators, Level)]) {
    let mut failures = Vec::new();
    for (name, ind, want) in rows {
        let got = one(rs, date, *ind);
        if got.level != *want {
            failures.push(format!(
                "{name}: want {want:?}, got {:?}\n{}",
                got.level,
                explain(rs, &got, Lang::En)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------
// built-in rule sets

#[test]
fn builtins_load_and_are_selected_by_date() {
    let sets = builtins();
    let ids: Vec<_> = sets.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["qd-2686", "qd-4800", "qd-218", "green-zone"]);
    let levels = [set("qd-2686"), set("qd-4800")];
    assert_eq!(in_force(&levels, d(2021, 9, 21)).unwrap().id, "qd-2686");
    assert_eq!(in_force(&levels, d(2021, 10, 11)).unwrap().id, "qd-2686");
    assert_eq!(in_force(&levels, d(2021, 10, 12)).unwrap().id, "qd-4800");
    assert!(in_force(&levels, d(2021, 5, 30)).is_none());
    assert!(builtin("qd-9999").is_none());
    assert!(builtin_text("qd-4800")
        .unwrap()
        .contains("raise_hours = 48"));
    let rs = set("qd-4800");
    assert_eq!(rs.notice_days, 2);
    assert!(rs.capacity_hold);
    assert_eq!(rs.case_rate, CaseRate::FourteenDaysHalved);
}

// ---------------------------------------------------------------------------------------------
// Decision 4800

#[test]
fn hcmc_mid_october_2021_published_levels() {
    // Ho Chi Minh City districts, mid-October 2021: 73.5 and 104.5 new community cases per
    // 100,000 per week with over 98% one-dose coverage were level 2; at 150, level 3.
    let rs = set("qd-4800");
    let day = d(2021, 10, 14);
    check(
        &rs,
        day,
        &[
            (
                "73.5/100k, 98%",
                rate(73.5, 98.3, Some(90.0)),
                Level::Yellow,
            ),
            (
                "104.5/100k, 98%",
                rate(104.5, 98.3, Some(90.0)),
                Level::Yellow,
            ),
            (
                "150/100k, 98%",
                rate(150.0, 98.3, Some(90.0)),
                Level::Orange,
            ),
        ],
    );
    // The same figure from counts: 147 community cases in 14 days in 100,000 people, halved.
    let counts = Indicators {
        population: Some(100_000),
        community_cases_14d: Some(147),
        first_dose_18plus_pct: Some(98.3),
        fully_vaccinated_65plus_pct: Some(90.0),
        ..Indicators::default()
    };
    let o = one(&rs, day, counts);
    assert_eq!(o.level, Level::Yellow);
    assert_eq!(o.reasons[0].value, Some(73.5));
    insta::assert_snapshot!("hcmc_73_5", both(&rs, &o));
}

#[test]
fn matrix_4800_every_cell() {
    let rs = set("qd-4800");
    let day = d(2021, 10, 20);
    use Level::*;
    let rows: Vec<(String, Indicators, Level)> = [
        (0.0, 80.0, Green),
        (19.99, 80.0, Green),
        (20.0, 80.0, Green),
        (49.9, 80.0, Green),
        (50.0, 80.0, Yellow),
        (149.9, 80.0, Yellow),
        (150.0, 80.0, Orange),
        (900.0, 80.0, Orange),
        (0.0, 69.9, Green),
        (20.0, 69.9, Yellow),
        (50.0, 69.9, Orange),
        (150.0, 69.9, Red),
        (50.0, 70.0, Yellow),
    ]
    .into_iter()
    .map(|(r, v, l)| (format!("{r}/100k, {v}%"), rate(r, v, Some(95.0)), l))
    .collect();
    let rows: Vec<_> = rows.iter().map(|(n, i, l)| (n.as_str(), *i, *l)).collect();
    check(&rs, day, &rows);
}

#[test]
fn elderly_raise_when_fewer_than_80_pct_are_fully_vaccinated() {
    let rs = set("qd-4800");
    let nov = d(2021, 11, 15);
    // The case of issue 13: 10 cases/100k/week, 99% one dose 18+, 79.9% of 50+ fully
    // vaccinated → level 1 from the matrix, raised to 2.
    let o = one(&rs, nov, rate(10.0, 99.0, Some(79.9)));
    assert_eq!(o.level, Level::Yellow);
    let decided: Vec<_> = o.reasons.decided().map(|r| r.criterion).collect();
    assert_eq!(
        decided,
        [Criterion::ElderlyFullyVaccinated {
            age: 50,
            exempt: None
        }]
    );
    let text = explain(&rs, &o, Lang::Vi);
    assert!(
        text.contains("Tỷ lệ người từ 50 tuổi trở lên tiêm đủ liều: 79,9% (< 80%) → tăng 1 cấp"),
        "{text}"
    );
    insta::assert_snapshot!("elderly_raise", both(&rs, &o));
    // 80% fully vaccinated reaches the target: no raise.
    assert_eq!(
        one(&rs, nov, rate(10.0, 99.0, Some(80.0))).level,
        Level::Green
    );

    // October: the 65+ share counts, not the 50+ one.
    let mut ind = rate(73.5, 98.0, None);
    ind.fully_vaccinated_65plus_pct = Some(15.0);
    ind.fully_vaccinated_50plus_pct = Some(95.0);
    let o = one(&rs, d(2021, 10, 20), ind);
    assert_eq!(o.level, Level::Orange);
    assert_eq!(
        o.reasons.decided().map(|r| r.criterion).collect::<Vec<_>>(),
        [Criterion::ElderlyFullyVaccinated {
            age: 65,
            exempt: None
        }]
    );
    // November: the 50+ share (95%) counts → no raise.
    assert_eq!(one(&rs, nov, ind).level, Level::Yellow);

    // Already at level 4: stays 4, and the reason says why the raise did not apply.
    let o = one(&rs, nov, rate(200.0, 50.0, Some(10.0)));
    assert_eq!(o.level, Level::Red);
    assert!(o.reasons.iter().any(|r| r.criterion
        == Criterion::ElderlyFullyVaccinated {
            age: 50,
            exempt: Some(ElderlyExempt::AtLevel4)
        }));
    // No case: no raise, however few are vaccinated, and nothing is missing.
    let o = one(&rs, nov, rate(0.0, 99.0, Some(10.0)));
    assert_eq!((o.level, o.incomplete), (Level::Green, false));
    insta::assert_snapshot!("elderly_no_case", both(&rs, &o));
    let o = one(&rs, nov, rate(0.0, 99.0, None));
    assert_eq!((o.level, o.incomplete), (Level::Green, false));
    // Unknown elderly share where a case exists: no raise, incomplete.
    let o = one(&rs, d(2021, 10, 20), rate(73.5, 98.0, None));
    assert_eq!(o.level, Level::Yellow);
    assert!(o.incomplete);
}

#[test]
fn elderly_rules_carry_their_date_and_source() {
    let rs = set("qd-4800");
    let Kind::Matrix(m) = &rs.kind else {
        panic!("qd-4800 is a matrix")
    };
    assert!(rs.version >= 2, "version 1 had the criterion inverted");
    let e65 = m.elderly_on(d(2021, 10, 12)).unwrap();
    assert_eq!((e65.age, e65.cmp, e65.threshold), (65, Cmp::Below, 80.0));
    assert!(e65.source.contains("4800"), "{}", e65.source);
    let e50 = m.elderly_on(d(2021, 12, 1)).unwrap();
    assert_eq!((e50.age, e50.cmp, e50.threshold), (50, Cmp::Below, 80.0));
    assert!(!e50.source.is_empty());
    // The earlier, inverted form of the file still reads with its own meaning (stored rule
    // sets keep explaining what they computed): at least 80% not fully vaccinated = at most
    // 20% fully vaccinated.
    let v1 = builtin_text("qd-4800")
        .unwrap()
        .replace("version = 2", "version = 1")
        .replace(
            "fully_vaccinated_below_pct = 80",
            "not_fully_vaccinated_min_pct = 80",
        );
    let old = load_str(&v1, "qd-4800-v1.toml").unwrap();
    let Kind::Matrix(m1) = &old.kind else {
        panic!("matrix")
    };
    let e = m1.elderly_on(d(2021, 10, 12)).unwrap();
    assert_eq!((e.cmp, e.threshold), (Cmp::AtMost, 20.0));
    // Both forms at once are refused, naming the field.
    let both_forms = builtin_text("qd-4800").unwrap().replacen(
        "fully_vaccinated_below_pct = 80",
        "fully_vaccinated_below_pct = 80\nnot_fully_vaccinated_min_pct = 20",
        1,
    );
    let err = load_str(&both_forms, "x.toml").unwrap_err().to_string();
    assert!(
        err.contains("field `matrix.elderly[0].not_fully_vaccinated_min_pct`"),
        "{err}"
    );
}

#[test]
fn unknown_inputs_make_outcomes_incomplete() {
    let rs = set("qd-4800");
    let day = d(2021, 10, 20);
    // No population: the rate cannot be computed.
    let o = one(
        &rs,
        day,
        Indicators {
            community_cases_14d: Some(10),
            first_dose_18plus_pct: Some(90.0),
            fully_vaccinated_65plus_pct: Some(90.0),
            ..Indicators::default()
        },
    );
    assert!(o.incomplete);
    assert_eq!(o.reasons[0].value, None);
    // Unknown coverage where the band does not depend on it (<20): complete.
    let o = one(
        &rs,
        day,
        Indicators {
            cases_per_100k_week: Some(5.0),
            fully_vaccinated_65plus_pct: Some(90.0),
            ..Indicators::default()
        },
    );
    assert!(!o.incomplete);
    assert_eq!(o.level, Level::Green);
}

#[test]
fn no_lowering_while_capacity_unmet() {
    let rs = set("qd-4800");
    let day = d(2021, 10, 20);
    let prev = Some(Previous {
        level: Level::Orange,
        announced: None,
    });
    let run = |capacity: Option<bool>| {
        let mut ind = rate(30.0, 90.0, Some(90.0)); // level 1 on its own
        ind.capacity_met = capacity;
        let u = UnitInput {
            indicators: ind,
            previous: prev,
            ..UnitInput::default()
        };
        classify_day(&rs, day, &[u], &Adjacency::default(), &Tree::default()).unwrap()[0]
    };
    let held = run(Some(false));
    assert_eq!((held.level, held.in_force), (Level::Orange, Level::Orange));
    insta::assert_snapshot!("capacity_hold", both(&rs, &held));
    let lowered = run(Some(true));
    assert_eq!(
        (lowered.level, lowered.in_force),
        (Level::Green, Level::Green)
    );
    let unknown = run(None);
    assert_eq!(unknown.level, Level::Green);
    assert!(unknown.incomplete);
}

#[test]
fn raise_takes_effect_48_hours_after_announcement_lowering_at_once() {
    let rs = set("qd-4800");
    let ten = rate(10.0, 90.0, Some(90.0)); // level 1
    let sixty = rate(60.0, 90.0, Some(90.0)); // level 2
    let two_hundred = rate(200.0, 90.0, Some(90.0)); // level 3
    let days: Vec<Vec<UnitInput>> = [
        ten,
        sixty,
        sixty,
        sixty,
        sixty,
        two_hundred,
        ten,
        sixty,
        ten,
    ]
    .iter()
    .map(|i| vec![input(*i)])
    .collect();
    let out = replay(
        Rules::Fixed(&rs),
        d(2021, 10, 14),
        &days,
        &Adjacency::default(),
        &Tree::default(),
    )
    .unwrap();
    let row = |k: usize| {
        let o = &out[k].outcomes[0];
        (
            out[k].date,
            o.level.number(),
            o.in_force.number(),
            o.announced
                .map(|a| (a.level.number(), a.announced_on, a.effective_from)),
        )
    };
    use Level::*;
    let _ = (Green, Red);
    assert_eq!(row(0), (d(2021, 10, 14), 1, 1, None));
    // Raise to 2 announced on the 15th, in force on the 17th.
    assert_eq!(
        row(1),
        (
            d(2021, 10, 15),
            2,
            1,
            Some((2, d(2021, 10, 15), d(2021, 10, 17)))
        )
    );
    assert_eq!(
        row(2),
        (
            d(2021, 10, 16),
            2,
            1,
            Some((2, d(2021, 10, 15), d(2021, 10, 17)))
        )
    );
    assert_eq!(row(3), (d(2021, 10, 17), 2, 2, None));
    assert_eq!(row(4), (d(2021, 10, 18), 2, 2, None));
    // Raise to 3 on the 19th: announced anew.
    assert_eq!(
        row(5),
        (
            d(2021, 10, 19),
            3,
            2,
            Some((3, d(2021, 10, 19), d(2021, 10, 21)))
        )
    );
    // Lowering to 1 on the 20th: at once, the pending raise is cancelled.
    assert_eq!(row(6), (d(2021, 10, 20), 1, 1, None));
    assert_eq!(
        row(7),
        (
            d(2021, 10, 21),
            2,
            1,
            Some((2, d(2021, 10, 21), d(2021, 10, 23)))
        )
    );
    // Falling back before the raise takes effect cancels it.
    assert_eq!(row(8), (d(2021, 10, 22), 1, 1, None));
    let announced = &out[1].outcomes[0];
    insta::assert_snapshot!("announced_raise", both(&rs, announced));

    // The same from a history of assessed levels.
    let history = [
        (d(2021, 10, 14), Level::Green),
        (d(2021, 10, 15), Level::Yellow),
        (d(2021, 10, 16), Level::Yellow),
    ];
    let state = in_force_from_history(&history, 2).unwrap();
    assert_eq!(state.level, Level::Green);
    assert_eq!(state.announced.unwrap().effective_from, d(2021, 10, 17));
    // A smaller raise while a larger one is pending keeps the earlier notice.
    let (l, a) = notice_step(
        Some(Previous {
            level: Level::Green,
            announced: Some(Announcement {
                level: Level::Orange,
                announced_on: d(2021, 10, 15),
                effective_from: d(2021, 10, 17),
            }),
        }),
        d(2021, 10, 16),
        Level::Yellow,
        2,
    );
    assert_eq!(l, Level::Green);
    assert_eq!(
        a,
        Some(Announcement {
            level: Level::Yellow,
            announced_on: d(2021, 10, 15),
            effective_from: d(2021, 10, 17)
        })
    );
    // Without notice (2686) a raise is in force at once.
    assert_eq!(
        notice_step(
            Some(Previous {
                level: Level::Green,
                announced: None
            }),
            d(2021, 9, 1),
            Level::Red,
            0
        ),
        (Level::Red, None)
    );
}

// ---------------------------------------------------------------------------------------------
// Decision 2686

#[test]
fn commune_criteria_2686() {
    let rs = set("qd-2686");
    let day = d(2021, 9, 1);
    let with = |f: fn(&mut Indicators)| {
        let mut i = quiet();
        f(&mut i);
        i
    };
    check(
        &rs,
        day,
        &[
            ("nothing on record", quiet(), Level::Green),
            (
                "last case 14 days ago",
                with(|i| i.days_since_last_community_case = Some(14)),
                Level::Green,
            ),
            (
                "last case 13 days ago",
                with(|i| i.days_since_last_community_case = Some(13)),
                Level::Yellow,
            ),
            (
                "F1 in the community",
                with(|i| i.f1_in_community = Some(3)),
                Level::Yellow,
            ),
            (
                "known-source case",
                with(|i| {
                    i.community_cases_14d = Some(2);
                    i.days_since_last_community_case = Some(3);
                }),
                Level::Yellow,
            ),
            (
                "unknown-source case",
                with(|i| {
                    i.community_cases_14d = Some(2);
                    i.unknown_source_cases_14d = Some(1);
                    i.days_since_last_community_case = Some(3);
                }),
                Level::Orange,
            ),
            (
                "crowded place in a red cluster",
                with(|i| i.red_cluster_crowded_place_cases = Some(1)),
                Level::Orange,
            ),
            (
                "unknown-source cluster",
                with(|i| i.unknown_source_clusters = Some(1)),
                Level::Red,
            ),
            (
                "industrial park",
                with(|i| {
                    i.hard_to_trace_place_cases = Some(4);
                    i.f1_in_community = Some(30);
                }),
                Level::Red,
            ),
        ],
    );
    // Unknown F1 count on an otherwise quiet commune: green, but incomplete.
    let mut i = quiet();
    i.f1_in_community = None;
    let o = one(&rs, day, i);
    assert_eq!(o.level, Level::Green);
    assert!(o.incomplete);
    // Unknown F1 count does not matter once red.
    i.unknown_source_clusters = Some(1);
    assert!(!one(&rs, day, i).incomplete);
}

/// Province 0; districts 1 (A) and 2 (B); communes 3, 4, 5 in A and 6, 7, 8 in B.
/// Borders: 3–4, 4–5, 5–6 (across the district line), 6–7, 7–8.
fn scenario_2686() -> (Vec<UnitInput>, Adjacency, Tree) {
    let mut units = vec![UnitInput::default(); 9];
    let mut c = |i: usize, f: fn(&mut Indicators)| {
        let mut ind = quiet();
        f(&mut ind);
        units[i] = input(ind);
    };
    c(3, |i| i.unknown_source_clusters = Some(1)); // red
    c(4, |_| {}); // green on its own; borders red 3 → orange
    c(5, |_| {}); // green on its own; borders orange 4 → yellow
    c(6, |i| {
        // a known-source case 5 days ago → yellow
        i.community_cases_14d = Some(1);
        i.days_since_last_community_case = Some(5);
    });
    c(7, |i| i.days_since_last_community_case = Some(20)); // green
    c(8, |_| {}); // green
    let adj = Adjacency::from_edges(9, &[(3, 4), (4, 5), (5, 6), (6, 7), (7, 8)]).unwrap();
    let tree = Tree::from_parents(&[
        None,
        Some(0),
        Some(0),
        Some(1),
        Some(1),
        Some(1),
        Some(2),
        Some(2),
        Some(2),
    ])
    .unwrap();
    (units, adj, tree)
}

#[test]
fn scenario_2686_communes_roll_up_into_districts_and_province() {
    let rs = set("qd-2686");
    let (units, adj, tree) = scenario_2686();
    let out = classify_day(&rs, d(2021, 9, 15), &units, &adj, &tree).unwrap();
    let levels: Vec<Level> = out.iter().map(|o| o.level).collect();
    use Level::*;
    assert_eq!(
        levels,
        [
            Red,    // province: 1 of 2 districts red = 50% ≥ 30%
            Red,    // district A: 1 of 3 communes red = 33% ≥ 30%
            Yellow, // district B: a yellow commune, < 50%
            Red,    // cluster with unknown source
            Orange, // borders red commune 3
            Yellow, // borders commune 4, orange by a raise (propagated)
            Yellow, // own known-source case; its neighbour 5 is only yellow
            Green,  // 20 days since the last case
            Green,
        ]
    );
    assert_eq!(out[0].method, Method::Rollup);
    assert_eq!(out[4].method, Method::Criteria);
    let decided = |i: usize| {
        out[i]
            .reasons
            .decided()
            .map(|r| r.criterion)
            .collect::<Vec<_>>()
    };
    assert_eq!(decided(4), [Criterion::Borders(Red)]);
    assert_eq!(decided(5), [Criterion::Borders(Orange)]);
    assert_eq!(decided(1), [Criterion::ChildrenShare(Red)]);
    assert_eq!(decided(2), [Criterion::ChildrenCount(Yellow)]);
    insta::assert_snapshot!("scenario_2686_commune_4", both(&rs, &out[4]));
    insta::assert_snapshot!("scenario_2686_district_a", both(&rs, &out[1]));
    insta::assert_snapshot!("scenario_2686_district_b", both(&rs, &out[2]));

    // The other reading: only levels from a commune's own criteria raise neighbours.
    let text = builtin_text("qd-2686")
        .unwrap()
        .replace("propagate_raised = true", "propagate_raised = false");
    let strict = load_str(&text, "qd-2686-strict.toml").unwrap();
    let out = classify_day(&strict, d(2021, 9, 15), &units, &adj, &tree).unwrap();
    assert_eq!(out[4].level, Orange);
    assert_eq!(
        out[5].level, Green,
        "4 is orange only by a raise: 5 stays green"
    );
    assert_eq!(out[1].level, Red);

    // Without adjacency, no neighbour criteria at all.
    let out = classify_day(&rs, d(2021, 9, 15), &units, &Adjacency::default(), &tree).unwrap();
    assert_eq!(out[4].level, Green);
    assert!(out[4]
        .reasons
        .iter()
        .all(|r| !matches!(r.criterion, Criterion::Borders(_))));
}

#[test]
fn district_rollup_thresholds_2686() {
    let rs = set("qd-2686");
    use Level::*;
    let district = |children: &[Level]| {
        let u = UnitInput {
            child_levels: LevelCounts::of(children),
            ..UnitInput::default()
        };
        classify_day(
            &rs,
            d(2021, 9, 1),
            &[u],
            &Adjacency::default(),
            &Tree::default(),
        )
        .unwrap()[0]
            .level
    };
    // ≥30% red → red; 3 of 10 is exactly 30%.
    assert_eq!(
        district(&[Red, Red, Red, Green, Green, Green, Green, Green, Green, Green]),
        Red
    );
    // 2 of 10 red: any red → orange.
    assert_eq!(
        district(&[Red, Red, Green, Green, Green, Green, Green, Green, Green, Green]),
        Orange
    );
    // ≥50% orange or higher → red.
    assert_eq!(district(&[Orange, Orange, Green, Green]), Red);
    // ≥30% orange → orange.
    assert_eq!(district(&[Orange, Green, Green]), Orange);
    assert_eq!(district(&[Orange, Green, Green, Green]), Yellow);
    // ≥50% yellow or higher → orange.
    assert_eq!(district(&[Yellow, Yellow, Green, Green]), Orange);
    assert_eq!(district(&[Yellow, Green, Green]), Yellow);
    assert_eq!(district(&[Green, Green, Green]), Green);
    // A province from stored district levels plus districts in the batch.
    let units = [
        UnitInput {
            child_levels: LevelCounts::of(&[Green, Green]),
            ..UnitInput::default()
        },
        UnitInput {
            child_levels: LevelCounts::of(&[Yellow, Yellow, Green]),
            ..UnitInput::default()
        },
    ];
    let tree = Tree::from_parents(&[None, Some(0)]).unwrap();
    let out = classify_day(&rs, d(2021, 9, 1), &units, &Adjacency::default(), &tree).unwrap();
    assert_eq!(out[1].level, Orange);
    assert_eq!(out[0].level, Orange, "1 of 3 children orange = 33%");
}

// ---------------------------------------------------------------------------------------------
// green zone

fn round(coverage: f64, positives: u32) -> ScreeningRound {
    ScreeningRound {
        coverage_pct: coverage,
        positives,
    }
}

#[test]
fn green_zone_criteria() {
    let rs = set("green-zone");
    let day = d(2021, 9, 18);
    let gz = |days: Option<u32>, rounds: &[ScreeningRound]| {
        Indicators {
            days_since_last_community_case: days,
            ..Indicators::default()
        }
        .with_rounds(rounds)
    };
    let ok = [round(93.5, 0), round(91.0, 0), round(40.0, 3)];
    check(
        &rs,
        day,
        &[
            ("16 days, two clean rounds", gz(Some(16), &ok), Level::Green),
            ("never a case", gz(None, &ok), Level::Green),
            ("13 days", gz(Some(13), &ok), Level::Yellow),
            (
                "positive in round 2",
                gz(Some(16), &[round(95.0, 0), round(95.0, 1)]),
                Level::Yellow,
            ),
            (
                "coverage 85%",
                gz(Some(16), &[round(95.0, 0), round(85.0, 0)]),
                Level::Yellow,
            ),
            (
                "one round only",
                gz(Some(16), &[round(95.0, 0)]),
                Level::Yellow,
            ),
        ],
    );
    let (candidate, reasons) = green_zone_check(&rs, &gz(Some(16), &ok)).unwrap();
    assert!(candidate);
    assert_eq!(reasons.len(), 5);
    assert!(green_zone_check(&set("qd-4800"), &gz(Some(16), &ok)).is_none());
    let o = one(&rs, day, gz(Some(16), &ok));
    insta::assert_snapshot!("green_zone_candidate", both(&rs, &o));
    let o = one(&rs, day, gz(Some(9), &[round(95.0, 0), round(85.0, 0)]));
    insta::assert_snapshot!("green_zone_not_candidate", both(&rs, &o));
    let o = one(&rs, day, gz(Some(16), &[round(95.0, 0)]));
    assert!(o.incomplete);
}

fn decision(n: &str, date: NaiveDate) -> Decision {
    Decision {
        number: n.to_owned(),
        date,
        by: "UBND huyện Châu Thành".to_owned(),
    }
}

#[test]
fn green_zone_lifecycle_full_cycle() {
    let q1 = decision("101/QĐ-UBND", d(2021, 9, 10));
    let q2 = decision("140/QĐ-UBND", d(2021, 10, 5));
    let events = [
        ZoneEvent::Assessed {
            date: d(2021, 9, 8),
            candidate: true,
        },
        ZoneEvent::Recognise {
            decision: q1.clone(),
        },
        ZoneEvent::CommunityCase {
            date: d(2021, 9, 14),
            case_id: "BN-612345".to_owned(),
        },
        ZoneEvent::Assessed {
            date: d(2021, 9, 15),
            candidate: false,
        },
        ZoneEvent::Assessed {
            date: d(2021, 9, 29),
            candidate: true,
        },
        ZoneEvent::Recognise {
            decision: q2.clone(),
        },
    ];
    let (z, steps) = GreenZone::replay(&events);
    let path: Vec<_> = steps
        .iter()
        .map(|s| {
            let s = s.as_ref().unwrap();
            (s.from, s.to)
        })
        .collect();
    use StateName::*;
    assert_eq!(
        path,
        [
            (NotGreen, Candidate),
            (Candidate, Recognised),
            (Recognised, Broken),
            (Broken, Restoring),
            (Restoring, Restoring),
            (Restoring, Recognised),
        ]
    );
    // Breaking a recognised zone opens an accountability review naming the case.
    assert_eq!(
        steps[2].as_ref().unwrap().effects,
        [Effect::OpenAccountabilityReview {
            date: d(2021, 9, 14),
            case_id: "BN-612345".to_owned(),
            decision: q1,
        }]
    );
    assert!(steps
        .iter()
        .enumerate()
        .all(|(i, s)| i == 2 || s.as_ref().unwrap().effects.is_empty()));
    assert_eq!(z.recognitions, 2);
    assert_eq!(z.state, ZoneState::Recognised { decision: q2 });
    assert_eq!(z.last_event, Some(d(2021, 10, 5)));

    // Each state as a sentence, in both languages, after each step of the cycle.
    let mut story = Vec::new();
    let mut zone = GreenZone::new();
    for e in &events {
        zone.apply(e).unwrap();
        story.push(format!(
            "{}\n{}",
            vx_rules::render::zone_state(&zone.state, Lang::Vi),
            vx_rules::render::zone_state(&zone.state, Lang::En)
        ));
    }
    insta::assert_snapshot!("green_zone_lifecycle_story", story.join("\n\n"));
}

#[test]
fn green_zone_lifecycle_every_transition_and_refusal() {
    let day = |n: u32| d(2021, 9, n);
    let assessed = |n: u32, candidate: bool| ZoneEvent::Assessed {
        date: day(n),
        candidate,
    };
    let case = |n: u32| ZoneEvent::CommunityCase {
        date: day(n),
        case_id: format!("BN-{n}"),
    };
    let recognise = |n: u32| ZoneEvent::Recognise {
        decision: decision("1/QĐ-UBND", day(n)),
    };
    use StateName::*;
    // (events before, event, expected: Ok(to) or Err(reason))
    let cases: Vec<(Vec<ZoneEvent>, ZoneEvent, Result<StateName, RefusalReason>)> = vec![
        (vec![], assessed(1, false), Ok(NotGreen)),
        (vec![], case(1), Ok(NotGreen)),
        (vec![], assessed(1, true), Ok(Candidate)),
        (vec![], recognise(1), Err(RefusalReason::NotCandidate)),
        (vec![assessed(1, true)], assessed(2, true), Ok(Candidate)),
        (vec![assessed(1, true)], assessed(2, false), Ok(NotGreen)),
        (vec![assessed(1, true)], case(2), Ok(NotGreen)),
        (vec![assessed(1, true)], recognise(2), Ok(Recognised)),
        (
            vec![assessed(1, true), recognise(2)],
            assessed(3, false),
            Ok(Recognised),
        ),
        (
            vec![assessed(1, true), recognise(2)],
            recognise(3),
            Err(RefusalReason::AlreadyRecognised),
        ),
        (vec![assessed(1, true), recognise(2)], case(3), Ok(Broken)),
        (
            vec![assessed(1, true), recognise(2), case(3)],
            case(4),
            Ok(Broken),
        ),
        (
            vec![assessed(1, true), recognise(2), case(3)],
            recognise(4),
            Err(RefusalReason::CriteriaNotMet),
        ),
        (
            vec![assessed(1, true), recognise(2), case(3)],
            assessed(4, false),
            Ok(Restoring),
        ),
        (
            vec![assessed(1, true), recognise(2), case(3), assessed(4, false)],
            recognise(5),
            Err(RefusalReason::CriteriaNotMet),
        ),
        (
            vec![assessed(1, true), recognise(2), case(3), assessed(17, true)],
            case(18),
            Ok(Restoring),
        ),
        (
            vec![
                assessed(1, true),
                recognise(2),
                case(3),
                assessed(17, true),
                case(18),
            ],
            recognise(19),
            Err(RefusalReason::CriteriaNotMet),
        ),
        (
            vec![assessed(1, true), recognise(2), case(3), assessed(17, true)],
            recognise(18),
            Ok(Recognised),
        ),
        (
            vec![assessed(5, true)],
            recognise(4),
            Err(RefusalReason::OutOfOrder { last: day(5) }),
        ),
    ];
    for (i, (before, event, want)) in cases.into_iter().enumerate() {
        let (mut z, steps) = GreenZone::replay(&before);
        assert!(steps.iter().all(Result::is_ok), "case {i}: setup refused");
        let snapshot = z.clone();
        match (z.apply(&event), want) {
            (Ok(step), Ok(to)) => assert_eq!(step.to, to, "case {i}"),
            (Err(refusal), Err(reason)) => {
                assert_eq!(refusal.reason, reason, "case {i}");
                assert_eq!(z, snapshot, "case {i}: a refusal changes nothing");
            }
            (got, want) => panic!("case {i}: got {got:?}, want {want:?}"),
        }
    }
    // Refusals explain themselves in both languages.
    let refusal = GreenZone::new().apply(&recognise(1)).unwrap_err();
    insta::assert_snapshot!(
        "refusal_not_candidate",
        format!(
            "{}\n{}",
            refusal.message(Lang::Vi),
            refusal.message(Lang::En)
        )
    );
}

// ---------------------------------------------------------------------------------------------
// measures

#[test]
fn measures_with_local_overrides() {
    let rs = set("qd-2686");
    let red = measures_for(Level::Red, &rs, &[], d(2021, 9, 1));
    let get =
        |answers: &[MeasureAnswer], m: MeasureId| answers.iter().find(|a| a.measure == m).cloned();
    assert_eq!(
        get(&red, MeasureId::GatheringMax).unwrap().value,
        MeasureValue::People(2)
    );
    assert_eq!(
        get(&red, MeasureId::Business).unwrap().value,
        MeasureValue::Business(BusinessScope::Essential)
    );
    assert!(red
        .iter()
        .all(|a| matches!(a.source, MeasureSource::Level { .. })));

    let overrides = load_overrides_str(
        r#"
[[override]]
id = "QĐ 15/QĐ-UBND tỉnh Bến Tre"
measure = "curfew"
value = "19:00-05:00"
from = 2021-09-01
note = "Giới nghiêm toàn tỉnh"

[[override]]
id = "QC vùng xanh xã Phước Thạnh"
measure = "gathering_max"
value = 10
from = 2021-09-10
to = 2021-09-30
levels = ["orange", "red"]
note = "Vùng xanh: nới lỏng hơn Chỉ thị 16"

[[override]]
id = "QĐ 20/QĐ-UBND huyện Châu Thành"
measure = "gathering_max"
value = 5
from = 2021-09-20
levels = ["red"]
"#,
        "overrides/phuoc-thanh.toml",
    )
    .unwrap();
    assert_eq!(overrides.len(), 3);
    assert!(overrides.iter().all(|o| o.check().is_ok()));

    // Before any override.
    let a = measures_for(Level::Red, &rs, &overrides, d(2021, 8, 31));
    assert_eq!(a, red);
    // Curfew tightened; gatherings relaxed to 10.
    let a = measures_for(Level::Red, &rs, &overrides, d(2021, 9, 12));
    let curfew = get(&a, MeasureId::Curfew).unwrap();
    assert_eq!(curfew.change, Some(Change::Tightened));
    assert!(matches!(
        curfew.source,
        MeasureSource::Override { index: 0, .. }
    ));
    let gathering = get(&a, MeasureId::GatheringMax).unwrap();
    assert_eq!(gathering.value, MeasureValue::People(10));
    assert_eq!(gathering.default, Some(MeasureValue::People(2)));
    assert_eq!(gathering.change, Some(Change::Relaxed));
    // The latest `from` wins.
    let a = measures_for(Level::Red, &rs, &overrides, d(2021, 9, 21));
    assert_eq!(
        get(&a, MeasureId::GatheringMax).unwrap().value,
        MeasureValue::People(5)
    );
    // Level filter: at yellow the gathering overrides do not apply (yellow sets no gathering
    // limit), the curfew override still adds a curfew.
    let a = measures_for(Level::Yellow, &rs, &overrides, d(2021, 9, 21));
    assert!(get(&a, MeasureId::GatheringMax).is_none());
    assert_eq!(
        get(&a, MeasureId::Curfew).unwrap().change,
        Some(Change::Tightened)
    );

    let a = measures_for(Level::Red, &rs, &overrides, d(2021, 9, 12));
    let text = |lang| {
        a.iter()
            .map(|x| render_measure(x, lang))
            .collect::<Vec<_>>()
            .join("\n")
    };
    insta::assert_snapshot!(
        "measures_red_with_overrides",
        format!("{}\n\n{}", text(Lang::Vi), text(Lang::En))
    );

    // A value of the wrong kind is caught by check().
    let mut bad = overrides[0].clone();
    bad.value = MeasureValue::People(3);
    assert!(bad.check().is_err());
}

// ---------------------------------------------------------------------------------------------
// targets

#[test]
fn targets_new_normal_by_21_september() {
    let rs = set("qd-2686");
    let target = Target {
        level: Level::Green,
        by: d(2021, 9, 21),
        margin_days: 2,
    };
    let today = d(2021, 9, 15);
    let yellow_since = |n: u32| -> Vec<(NaiveDate, Level)> {
        (n..=15).map(|k| (d(2021, 9, k), Level::Yellow)).collect()
    };
    let commune = |days_since: Option<u32>, f1: u32| Indicators {
        days_since_last_community_case: days_since,
        community_cases_14d: Some(1),
        f1_in_community: Some(f1),
        ..quiet()
    };
    // Last case on 5-9 (10 days ago): green from 19-9 if no new case; 2 days to spare.
    let p = progress(&rs, &target, today, &yellow_since(5), &commune(Some(10), 0));
    assert_eq!(
        (p.status, p.earliest),
        (TargetStatus::OnTrack, Some(d(2021, 9, 19)))
    );
    // Last case on 7-9: green from 21-9, no slack.
    let p = progress(&rs, &target, today, &yellow_since(7), &commune(Some(8), 0));
    assert_eq!(
        (p.status, p.earliest),
        (TargetStatus::AtRisk, Some(d(2021, 9, 21)))
    );
    // Last case on 10-9: not before 24-9.
    let p = progress(&rs, &target, today, &yellow_since(10), &commune(Some(5), 4));
    assert_eq!(
        (p.status, p.earliest),
        (TargetStatus::Missed, Some(d(2021, 9, 24)))
    );
    // Already green since 12-9.
    let mut history = yellow_since(1);
    for h in history.iter_mut().filter(|(dd, _)| *dd >= d(2021, 9, 12)) {
        h.1 = Level::Green;
    }
    let p = progress(&rs, &target, today, &history, &quiet());
    assert_eq!(
        (p.status, p.reached_on),
        (TargetStatus::Reached, Some(d(2021, 9, 12)))
    );
    // After the deadline: judged on the deadline.
    let late: Vec<_> = (15..=25)
        .map(|k| {
            (
                d(2021, 9, k),
                if k <= 21 { Level::Yellow } else { Level::Green },
            )
        })
        .collect();
    let p = progress(&rs, &target, d(2021, 9, 25), &late, &quiet());
    assert_eq!(p.status, TargetStatus::Missed);

    // A parent: the children that hold it back, the latest first.
    let kids = [
        progress(&rs, &target, today, &yellow_since(5), &commune(Some(10), 0)).as_child(3),
        progress(&rs, &target, today, &history, &quiet()).as_child(4),
        progress(&rs, &target, today, &yellow_since(10), &commune(Some(5), 4)).as_child(5),
    ];
    let parent = parent_progress(&target, today, &yellow_since(1), &kids);
    assert_eq!(parent.held_back_by, [5, 3]);
    assert_eq!(parent.earliest, Some(d(2021, 9, 24)));
    assert_eq!(parent.status, TargetStatus::Missed);

    // Explained, with the communes that hold the district back named.
    let names =
        |u: UnitIx| ["", "", "", "Tân Thạch", "Phước Thạnh", "An Khánh"][u as usize].to_owned();
    let on_track = progress(&rs, &target, today, &yellow_since(5), &commune(Some(10), 0));
    insta::assert_snapshot!(
        "target_progress",
        [
            vx_rules::render::target_progress(&rs, &target, &parent, names, Lang::Vi),
            vx_rules::render::target_progress(&rs, &target, &parent, names, Lang::En),
            vx_rules::render::target_progress(&rs, &target, &on_track, names, Lang::Vi),
            vx_rules::render::target_progress(&rs, &target, &on_track, names, Lang::En),
        ]
        .join("\n\n")
    );
}

#[test]
fn targets_not_reachable_by_waiting() {
    // Under 4800 as published, the elderly raise needs a case: a commune where only 15% of
    // people 65+ are fully vaccinated is raised while it has cases, but reaches level 1 by
    // waiting, 14 days after its last case (13-10) → 27-10, like a well vaccinated one.
    let rs = set("qd-4800");
    let target = Target {
        level: Level::Green,
        by: d(2021, 10, 30),
        margin_days: 0,
    };
    let mut ind = rate(60.0, 90.0, Some(15.0));
    ind.cases_per_100k_week = None;
    ind.population = Some(10_000);
    ind.community_cases_14d = Some(12);
    ind.days_since_last_community_case = Some(2);
    let today = d(2021, 10, 15);
    for (elderly, level_today) in [(15.0, Level::Orange), (80.0, Level::Yellow)] {
        ind.fully_vaccinated_65plus_pct = Some(elderly);
        assert_eq!(one(&rs, today, ind).level, level_today);
        let p = progress(&rs, &target, today, &[(today, level_today)], &ind);
        assert_eq!(
            (p.status, p.earliest),
            (TargetStatus::OnTrack, Some(d(2021, 10, 27))),
            "{elderly}% fully vaccinated"
        );
    }
    // Under a green-zone regulation, a screening round below the coverage it asks for is not
    // mended by waiting: the green target is out of reach until another round is taken.
    let gz = set("green-zone");
    let Kind::GreenZone(g) = gz.kind else {
        panic!("green-zone kind")
    };
    let mut ind = quiet().with_rounds(&[round(g.min_coverage_pct - 10.0, 0); 4]);
    ind.days_since_last_community_case = Some(3);
    let p = progress(&gz, &target, today, &[(today, g.otherwise)], &ind);
    assert_eq!((p.status, p.earliest), (TargetStatus::AtRisk, None));
}

// ---------------------------------------------------------------------------------------------
// policy sandbox

#[test]
fn sandbox_diff_between_rule_sets() {
    let (units, adj, tree) = scenario_2686();
    // Give every unit 4800 figures too: 60/100k with 90% coverage (level 2) in commune 3,
    // nothing elsewhere.
    let mut day = units.clone();
    for (i, u) in day.iter_mut().enumerate() {
        u.indicators.first_dose_18plus_pct = Some(90.0);
        u.indicators.fully_vaccinated_65plus_pct = Some(90.0);
        u.indicators.capacity_met = Some(true);
        u.indicators.cases_per_100k_week = Some(if i == 3 { 60.0 } else { 0.0 });
    }
    let days = vec![day.clone(), day];
    let a = replay(
        Rules::Fixed(&set("qd-2686")),
        d(2021, 9, 15),
        &days,
        &adj,
        &tree,
    )
    .unwrap();
    let b = replay(
        Rules::Fixed(&set("qd-4800")),
        d(2021, 9, 15),
        &days,
        &adj,
        &tree,
    )
    .unwrap();
    assert!(diff(&a, &a).is_empty());
    let diffs = diff(&a, &b);
    let units_day1: Vec<_> = diffs
        .iter()
        .filter(|x| x.date == d(2021, 9, 15))
        .map(|x| (x.unit, x.a.level, x.b.level))
        .collect();
    use Level::*;
    // 4800 has no roll-up: parents are assessed on their own (empty) figures.
    assert_eq!(
        units_day1,
        [
            (0, Red, Green),
            (1, Red, Green),
            (2, Yellow, Green),
            (3, Red, Yellow),
            (4, Orange, Green),
            (5, Yellow, Green),
            (6, Yellow, Green),
        ]
    );
    assert!(diffs.iter().all(|x| !x.raised()));
    let x = &diffs[3];
    let shown = format!(
        "{}\n\n{}",
        explain(&set("qd-2686"), &x.a, Lang::Vi),
        explain(&set("qd-4800"), &x.b, Lang::Vi)
    );
    insta::assert_snapshot!("sandbox_commune_3", shown);
    // Replays across the switch of rule sets on 12-10-2021.
    let sets = [set("qd-2686"), set("qd-4800")];
    let r = replay(Rules::InForce(&sets), d(2021, 10, 11), &days, &adj, &tree).unwrap();
    assert_eq!(r[0].rule_set, "qd-2686");
    assert_eq!(r[1].rule_set, "qd-4800");
    assert_eq!(
        replay(Rules::InForce(&sets), d(2021, 5, 1), &days, &adj, &tree).unwrap_err(),
        BatchError::NoRuleSet {
            date: d(2021, 5, 1)
        }
    );
}

// ---------------------------------------------------------------------------------------------
// rule files: errors

#[test]
fn error_names_file_line_and_field() {
    let text = builtin_text("qd-4800").unwrap().replace(
        "cases_per_100k = [20, 50, 150]",
        "cases_per_100k = [20, 150, 50]",
    );
    let err = load_str(&text, "rules/4800.toml").unwrap_err();
    let line = text
        .lines()
        .position(|l| l.starts_with("cases_per_100k"))
        .unwrap()
        + 1;
    assert_eq!(
        err.to_string(),
        format!("rules/4800.toml:{line}: field `matrix.cases_per_100k`: must be ascending")
    );
}

const BROKEN: &str = r#"id = "Tỉnh Bến Tre"
name = "Bến Tre 2021"
version = 0
effective_from = 2021-10-12
effective_to = 2021-10-01
kind = "matrix"
case_rate = "weekly"
colour = "green"

[levels]
purple = { vi = "tím", en = "purple" }

[matrix]
cases_per_100k = [20, "fifty", 150]
first_dose_18plus_pct = 170
levels_covered = [1, 1, 2]
levels_not_covered = [1, 3, 2, 4]

[[matrix.elderly]]
from = 2021-11-01
age = 60
fully_vaccinated_below_pct = 80

[neighbours]
[[neighbours.raise]]
from = "yellow"
to = "red"

[[rollup.rule]]
level = "green"
children = "red"
min_share_pct = 0

[notice]
raise_hours = 36

[measures.red]
gathering_max = -2
curfew = "7pm"
markets = "shut"
"#;

#[test]
fn broken_rule_file_errors_snapshot() {
    let err = load_str(BROKEN, "rules/ben-tre.toml").unwrap_err();
    insta::assert_snapshot!("broken_rule_file", err.to_string());
}

#[test]
fn more_rule_file_errors_snapshot() {
    let cases = [
        ("syntax.toml", "id = \"x\"\nname = \"X\"\nversion = 1\neffective_from = 2021-10-12\nkind = \"matrix\"\n[matrix\n"),
        ("missing.toml", "name = \"X\"\nkind = \"highest-level\"\n"),
        (
            "criterion.toml",
            r#"id = "x"
name = "X"
version = 1
effective_from = 2021-06-01
kind = "highest-level"

[[criterion]]
indicator = "cases_per_week"
at_least = 1
level = "red"

[[criterion]]
indicator = "first_dose_18plus_pct"
at_least = 101
below = 5
level = "green"

[matrix]
cases_per_100k = [1]
"#,
        ),
        (
            "wrong-types.toml",
            r#"id = "x"
name = "X"
version = "one"
effective_from = "12/10/2021"
kind = "green-zone"

[green_zone]
days_without_case = 0
rounds = 9
min_coverage_pct = 90
otherwise = "green"
"#,
        ),
    ];
    let text: Vec<String> = cases
        .iter()
        .map(|(name, t)| load_str(t, name).unwrap_err().to_string())
        .collect();
    insta::assert_snapshot!("more_rule_file_errors", text.join("\n\n"));
    let err = load_overrides_str(
        "[[override]]\nid = \"x\"\nmeasure = \"curfews\"\nvalue = 1\nfrom = 2021-09-01\n\n[[override]]\nid = \"y\"\nmeasure = \"curfew\"\nvalue = \"19h\"\nfrom = 2021-09-01\nto = 2021-08-01\n",
        "overrides.toml",
    )
    .unwrap_err();
    insta::assert_snapshot!("override_errors", err.to_string());
}

#[test]
fn a_complete_rule_file_from_the_docs_loads() {
    // The full example in docs/rules.md, kept in sync by this test.
    let doc = include_str!("../../../docs/rules.md");
    let start = doc
        .find("```toml\n# full example")
        .expect("full example in docs/rules.md")
        + 8;
    let end = start + doc[start..].find("```").unwrap();
    let rs = load_str(&doc[start..end], "docs/rules.md").unwrap();
    assert_eq!(rs.id, "vd-ben-tre");
    assert_eq!(rs.kind.name(), "highest-level");
    let out = classify_day(
        &rs,
        d(2021, 9, 15),
        &[input(Indicators {
            f1_in_community: Some(2),
            ..quiet()
        })],
        &Adjacency::default(),
        &Tree::default(),
    )
    .unwrap();
    assert_eq!(out[0].level, Level::Yellow);
}

// ---------------------------------------------------------------------------------------------
// rendering

#[test]
fn vietnamese_and_english_numbers() {
    assert_eq!(format_number(73.5, Lang::Vi), "73,5");
    assert_eq!(format_number(73.5, Lang::En), "73.5");
    assert_eq!(format_number(1_094_544.0, Lang::Vi), "1.094.544");
    assert_eq!(format_number(1_094_544.0, Lang::En), "1,094,544");
    assert_eq!(format_number(100_000.0, Lang::Vi), "100.000");
    assert_eq!(format_number(33.333_333, Lang::Vi), "33,33");
    assert_eq!(format_number(0.0, Lang::Vi), "0");
    assert_eq!(format_number(-1234.5, Lang::Vi), "-1.234,5");
    assert_eq!(format_number(-0.001, Lang::Vi), "0");
    let rs = set("qd-4800");
    let o = one(&rs, d(2021, 10, 14), rate(73.5, 98.3, Some(90.0)));
    assert_eq!(
        render_reason(&rs, &o.reasons[0], Lang::Vi),
        "Số ca cộng đồng mới/100.000 dân/tuần: 73,5 (ngưỡng 50–150) → cấp 2 (yếu tố quyết định)"
    );
    assert_eq!(
        render_reason(&rs, &o.reasons[0], Lang::En),
        "New community cases per 100,000 people per week: 73.5 (threshold 50–150) → level 2 (decisive)"
    );
}

#[test]
fn outcomes_serialise_to_json_and_back() {
    let rs = set("qd-2686");
    let (units, adj, tree) = scenario_2686();
    let out = classify_day(&rs, d(2021, 9, 15), &units, &adj, &tree).unwrap();
    let json = serde_json::to_string(&out[4]).unwrap();
    let back: Outcome = serde_json::from_str(&json).unwrap();
    assert_eq!(back, out[4]);
    insta::assert_json_snapshot!("outcome_json", out[4]);
}

// ---------------------------------------------------------------------------------------------
// batch shape

#[test]
fn batch_shape_errors_and_adjacency() {
    assert_eq!(
        Tree::from_parents(&[Some(1), Some(0), None]).unwrap_err(),
        BatchError::Cycle { unit: 0 }
    );
    assert_eq!(
        Tree::from_parents(&[Some(7)]).unwrap_err(),
        BatchError::OutOfRange { index: 7, units: 1 }
    );
    let tree = Tree::from_parents(&[None, Some(0), Some(1), Some(0)]).unwrap();
    let pos = |u: u32| tree.order().iter().position(|&x| x == u).unwrap();
    assert!(pos(2) < pos(1) && pos(1) < pos(0) && pos(3) < pos(0));
    let adj = Adjacency::from_edges(4, &[(0, 1), (1, 0), (1, 1), (2, 1), (0, 1)]).unwrap();
    assert_eq!(adj.neighbours(1), [0, 2]);
    assert_eq!(adj.neighbours(0), [1]);
    assert!(adj.neighbours(3).is_empty());
    assert_eq!(
        Adjacency::from_lists(&[vec![1], vec![], vec![0]])
            .unwrap()
            .neighbours(0),
        [1, 2]
    );
    assert!(Adjacency::from_edges(2, &[(0, 2)]).is_err());
    let rs = set("qd-2686");
    assert_eq!(
        classify_day(
            &rs,
            d(2021, 9, 1),
            &[UnitInput::default()],
            &adj,
            &Tree::default()
        )
        .unwrap_err(),
        BatchError::SizeMismatch {
            what: "the adjacency",
            expected: 1,
            got: 4
        }
    );
}

// ---------------------------------------------------------------------------------------------
// properties

fn arb_level_indicators() -> impl Strategy<Value = Indicators> {
    // A commune whose own criteria give green, yellow, orange or red.
    (0u8..4, 0u32..5).prop_map(|(l, n)| {
        let mut i = quiet();
        match l {
            1 => i.f1_in_community = Some(n + 1),
            2 => i.red_cluster_crowded_place_cases = Some(n + 1),
            3 => i.unknown_source_clusters = Some(n + 1),
            _ => {}
        }
        i
    })
}

proptest! {
    #[test]
    fn more_cases_never_lower_the_4800_level(
        a in 0.0f64..400.0,
        extra in 0.0f64..400.0,
        dose in 0.0f64..100.0,
        elderly in proptest::option::of(0.0f64..100.0),
        november in any::<bool>(),
        capacity in proptest::option::of(any::<bool>()),
        prev in proptest::option::of(1u8..=4),
    ) {
        let rs = set("qd-4800");
        let date = if november { d(2021, 11, 15) } else { d(2021, 10, 15) };
        let mk = |r: f64| {
            let mut i = rate(r, dose, elderly);
            i.capacity_met = capacity;
            UnitInput {
                indicators: i,
                previous: prev.map(|p| Previous { level: Level::from_number(p).unwrap(), announced: None }),
                ..UnitInput::default()
            }
        };
        let lo = classify_day(&rs, date, &[mk(a)], &Adjacency::default(), &Tree::default()).unwrap()[0];
        let hi = classify_day(&rs, date, &[mk(a + extra)], &Adjacency::default(), &Tree::default()).unwrap()[0];
        prop_assert!(lo.level <= hi.level, "{} → {:?}, {} → {:?}", a, lo.level, a + extra, hi.level);
        prop_assert!(lo.in_force <= hi.in_force);
        // And more coverage never raises it.
        let mut covered = mk(a);
        covered.indicators.first_dose_18plus_pct = Some((dose + 20.0).min(100.0));
        let c = classify_day(&rs, date, &[covered], &Adjacency::default(), &Tree::default()).unwrap()[0];
        prop_assert!(c.level <= lo.level);
    }

    #[test]
    fn more_risk_never_lowers_the_2686_commune_level(
        base in arb_level_indicators(),
        clusters in 0u32..3,
        hard in 0u32..3,
        unknown in 0u32..3,
        f1 in 0u32..3,
    ) {
        let rs = set("qd-2686");
        let mut more = base;
        more.unknown_source_clusters = base.unknown_source_clusters.map(|x| x + clusters);
        more.hard_to_trace_place_cases = base.hard_to_trace_place_cases.map(|x| x + hard);
        more.unknown_source_cases_14d = base.unknown_source_cases_14d.map(|x| x + unknown);
        more.community_cases_14d = base.community_cases_14d.map(|x| x + unknown);
        more.f1_in_community = base.f1_in_community.map(|x| x + f1);
        prop_assert!(one(&rs, d(2021, 9, 1), base).level <= one(&rs, d(2021, 9, 1), more).level);
    }

    #[test]
    fn neighbour_raises_reach_the_least_fixed_point_in_any_edge_order(
        units in proptest::collection::vec(arb_level_indicators(), 1..40),
        raw_edges in proptest::collection::vec((0u32..40, 0u32..40), 0..120),
        seed in any::<u64>(),
    ) {
        let rs = set("qd-2686");
        let n = units.len() as u32;
        let edges: Vec<(u32, u32)> = raw_edges.into_iter().map(|(a, b)| (a % n, b % n)).collect();
        let inputs: Vec<UnitInput> = units.iter().map(|i| input(*i)).collect();
        let adj = Adjacency::from_edges(n as usize, &edges).unwrap();
        let out = classify_day(&rs, d(2021, 9, 1), &inputs, &adj, &Tree::default()).unwrap();
        let base: Vec<Level> = units.iter().map(|i| one(&rs, d(2021, 9, 1), *i).level).collect();
        // The fixed-point equation: level = max(own level, raises from neighbours' levels).
        for v in 0..n {
            let mut want = base[v as usize];
            for &u in adj.neighbours(v) {
                let raise = match out[u as usize].level {
                    Level::Red => Level::Orange,
                    Level::Orange => Level::Yellow,
                    _ => Level::Green,
                };
                want = want.max(raise);
            }
            prop_assert_eq!(out[v as usize].level, want);
        }
        // Any order of edges (and of each pair) gives the same result.
        let mut shuffled = edges.clone();
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
            if s & 1 == 0 {
                shuffled[i] = (shuffled[i].1, shuffled[i].0);
            }
        }
        let adj2 = Adjacency::from_edges(n as usize, &shuffled).unwrap();
        let out2 = classify_day(&rs, d(2021, 9, 1), &inputs, &adj2, &Tree::default()).unwrap();
        prop_assert_eq!(out, out2);
    }

    #[test]
    fn rule_file_numbers_round_trip_through_errors_or_sets(edges in proptest::collection::vec(0u32..300, 1..5)) {
        // Any band edges either load (strictly ascending) or fail naming the field.
        let list = edges.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ");
        let levels = vec!["1"; edges.len() + 1].join(", ");
        let text = builtin_text("qd-4800").unwrap()
            .replace("cases_per_100k = [20, 50, 150]", &format!("cases_per_100k = [{list}]"))
            .replace("levels_covered = [1, 1, 2, 3]", &format!("levels_covered = [{levels}]"))
            .replace("levels_not_covered = [1, 2, 3, 4]", &format!("levels_not_covered = [{levels}]"));
        let ascending = edges.windows(2).all(|w| w[0] < w[1]);
        match load_str(&text, "p.toml") {
            Ok(rs) => prop_assert!(ascending && matches!(rs.kind, Kind::Matrix(_))),
            Err(e) => {
                prop_assert!(!ascending);
                prop_assert!(e.to_string().contains("field `matrix.cases_per_100k`: must be ascending"));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// timing (run with: cargo test -p vx-rules --release -- --ignored --nocapture)

#[test]
#[ignore = "timing: prints elapsed, asserts nothing about speed"]
fn timing_country_day_and_province_replay() {
    /// Runs `f` 5 times; prints the first and the best time.
    fn time<T>(what: &str, mut f: impl FnMut() -> T) -> T {
        let mut times = Vec::new();
        let mut out = None;
        for _ in 0..5 {
            let t = std::time::Instant::now();
            out = Some(f());
            times.push(t.elapsed());
        }
        let best = times.iter().min().unwrap();
        println!("{what}: first {:?}, best of 5 {best:?}", times[0]);
        out.unwrap()
    }
    let rs2686 = set("qd-2686");
    let rs4800 = set("qd-4800");
    println!(
        "size of UnitInput {} B, Outcome {} B, Reason {} B",
        std::mem::size_of::<UnitInput>(),
        std::mem::size_of::<Outcome>(),
        std::mem::size_of::<Reason>()
    );
    // Country-sized day: 63 provinces, 705 districts, 10,599 communes, ~80,000 hamlets.
    let (units, adj, tree) = synthetic(63, 705, 10_599, 80_000, 7);
    let n = units.len();
    let out = time(&format!("qd-2686, one day, {n} units"), || {
        classify_day(&rs2686, d(2021, 9, 15), &units, &adj, &tree).unwrap()
    });
    assert_eq!(out.len(), n);
    time(&format!("qd-4800, one day, {n} units"), || {
        classify_day(&rs4800, d(2021, 10, 15), &units, &adj, &tree).unwrap()
    });
    let mut classifier = Classifier::default();
    let mut buffer = Vec::new();
    time(
        &format!("qd-2686, one day, {n} units, reused buffers"),
        || {
            classifier
                .classify_into(&rs2686, d(2021, 9, 15), &units, &adj, &tree, &mut buffer)
                .unwrap()
        },
    );
    // Province: 9 districts, ~160 communes, ~930 hamlets ≈ 1,100 units, 90 days.
    let (units, adj, tree) = synthetic(1, 9, 160, 930, 11);
    let days: Vec<Vec<UnitInput>> = (0..90)
        .map(|k| {
            units
                .iter()
                .enumerate()
                .map(|(i, u)| {
                    let mut u = *u;
                    u.indicators.cases_per_100k_week = Some(((i * 7 + k * 13) % 200) as f64);
                    u
                })
                .collect()
        })
        .collect();
    let n = units.len();
    let r = time(&format!("qd-4800, 90-day replay of {n} units"), || {
        replay(Rules::Fixed(&rs4800), d(2021, 10, 12), &days, &adj, &tree).unwrap()
    });
    let r2 = time(&format!("qd-2686, 90-day replay of {n} units"), || {
        replay(Rules::Fixed(&rs2686), d(2021, 7, 1), &days, &adj, &tree).unwrap()
    });
    assert_eq!(r.len() + r2.len(), 180);
}

/// A synthetic tree (provinces → districts → communes → hamlets) with hamlets bordering their
/// siblings and the next hamlet, and varied indicators.
fn synthetic(
    provinces: usize,
    districts: usize,
    communes: usize,
    hamlets: usize,
    seed: u64,
) -> (Vec<UnitInput>, Adjacency, Tree) {
    let n = provinces + districts + communes + hamlets;
    let mut parents = Vec::with_capacity(n);
    parents.extend((0..provinces).map(|_| None));
    parents.extend((0..districts).map(|i| Some((i % provinces) as u32)));
    let d0 = provinces;
    parents.extend((0..communes).map(|i| Some((d0 + i % districts) as u32)));
    let c0 = d0 + districts;
    parents.extend((0..hamlets).map(|i| Some((c0 + i % communes) as u32)));
    let h0 = c0 + communes;
    let edges: Vec<(u32, u32)> = (0..hamlets.saturating_sub(1))
        .flat_map(|i| {
            let a = (h0 + i) as u32;
            [(a, a + 1), (a, (h0 + (i + communes) % hamlets) as u32)]
        })
        .collect();
    let mut s = seed;
    let mut next = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as u32
    };
    let units = (0..n)
        .map(|_| {
            let r = next();
            let mut i = quiet();
            match r % 50 {
                0 => i.unknown_source_clusters = Some(1),
                1 | 2 => i.unknown_source_cases_14d = Some(1),
                3..=8 => i.f1_in_community = Some(r % 7 + 1),
                9..=12 => i.days_since_last_community_case = Some(r % 14),
                _ => {}
            }
            i.cases_per_100k_week = Some(f64::from(r % 200));
            i.first_dose_18plus_pct = Some(f64::from(50 + r % 50));
            i.fully_vaccinated_65plus_pct = Some(f64::from(r % 100));
            i.capacity_met = Some(r % 3 != 0);
            input(i)
        })
        .collect();
    (
        units,
        Adjacency::from_edges(n, &edges).unwrap(),
        Tree::from_parents(&parents).unwrap(),
    )
}

// ---------------------------------------------------------------------------------------------
// Decision 218

#[test]
fn decision_218_transmission_and_response() {
    let rs = set("qd-218");
    let feb = d(2022, 2, 15);
    let ind = Indicators {
        population: Some(20_000),
        all_cases_7d: Some(70),   // 350 per 100,000: transmission 3
        oxygen_cases_7d: Some(0), // 0: transmission 1
        deaths_7d: Some(0),
        fully_vaccinated_pct: Some(72.0), // < 75%: +1 → transmission 4
        fully_vaccinated_50plus_pct: Some(93.0),
        response_capacity: Some(ResponseCapacity::High),
        ..Indicators::default()
    };
    let o = one(&rs, feb, ind);
    assert_eq!((o.level, o.incomplete), (Level::Orange, false));
    insta::assert_snapshot!("decision_218", both(&rs, &o));
    // Medium capacity reads transmission 4 as level 4; one death in 20,000 (5 per 100,000)
    // does not exceed 6, two (10) do.
    let medium = Indicators {
        response_capacity: Some(ResponseCapacity::Medium),
        ..ind
    };
    assert_eq!(one(&rs, feb, medium).level, Level::Red);
    // Deaths above 6 per 100,000 cannot raise level 4 further, and the reason says so.
    let dead = Indicators {
        deaths_7d: Some(2),
        ..medium
    };
    let o = one(&rs, feb, dead);
    assert_eq!(o.level, Level::Red);
    assert!(explain(&rs, &o, Lang::Vi).contains("đã ở cấp cao nhất"));
    let calm = Indicators {
        all_cases_7d: Some(10),
        fully_vaccinated_pct: Some(80.0),
        ..ind
    };
    assert_eq!(one(&rs, feb, calm).level, Level::Green);
    for (deaths, want) in [(1, Level::Green), (2, Level::Yellow)] {
        let i = Indicators {
            deaths_7d: Some(deaths),
            ..calm
        };
        assert_eq!(one(&rs, feb, i).level, want, "{deaths} deaths");
    }
    // Both vaccination targets missed: one criterion, one level (transmission 3 + 1 = 4,
    // not 5), and the second part says so.
    let both = Indicators {
        fully_vaccinated_50plus_pct: Some(60.0),
        ..medium
    };
    let o = one(&rs, feb, both);
    assert_eq!(o.level, Level::Red);
    let calm_both = Indicators {
        all_cases_7d: Some(10),
        fully_vaccinated_50plus_pct: Some(60.0),
        ..ind
    };
    // transmission 1 + 1 (once) = 2 → high: level 1
    assert_eq!(one(&rs, feb, calm_both).level, Level::Green);
    assert!(explain(&rs, &one(&rs, feb, calm_both), Lang::Vi).contains("không tăng thêm"));
    // An unknown capacity reads as high and says the outcome is incomplete.
    let unknown = Indicators {
        response_capacity: None,
        ..ind
    };
    let o = one(&rs, feb, unknown);
    assert_eq!((o.level, o.incomplete), (Level::Orange, true));
}

#[test]
fn transmission_response_file_errors() {
    let text = builtin_text("qd-218")
        .unwrap()
        .replace(
            "cases_per_100k = [150, 300, 600]",
            "cases_per_100k = [150, 300, 600, 900]",
        )
        .replace("medium = [1, 2, 3, 4]", "medium = [1, 2, 3]")
        .replace("low = [2, 3, 4, 4]", "low = [2, 1, 4, 4]")
        .replace("above = 6", "above = 6\nbelow = 3");
    let err = load_str(&text, "qd-218-local.toml")
        .unwrap_err()
        .to_string();
    for want in [
        "field `transmission.cases_per_100k`: at most 3 edges (4 transmission levels), found 4",
        "field `response.medium`: needs 4 levels, one per transmission level, found 3",
        "field `response.low`: must not decrease from one transmission level to the next",
        "field `response.raise[0].below`: give only one of `at_least` or `above` or `below`",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    // Its sections belong to its kind only.
    let stray = builtin_text("qd-4800").unwrap().to_owned() + "\n[response]\nhigh = [1, 1, 2, 3]\n";
    let err = load_str(&stray, "x.toml").unwrap_err().to_string();
    assert!(
        err.contains("field `response`: is not used by kind `matrix`"),
        "{err}"
    );
}
