use proptest::prelude::*;

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn epi_day_is_the_vietnamese_date() {
    let at: DateTime<Utc> = "2021-09-20T23:00:00Z".parse().unwrap();
    assert_eq!(epi_day(at), d("2021-09-21"), "06:00 on 21-9 in Vietnam");
    let at: DateTime<Utc> = "2021-09-21T16:59:59Z".parse().unwrap();
    assert_eq!(epi_day(at), d("2021-09-21"));
    let at: DateTime<Utc> = "2021-09-21T17:00:00Z".parse().unwrap();
    assert_eq!(epi_day(at), d("2021-09-22"));
    assert_eq!(
        epi_day_start(d("2021-09-21")),
        "2021-09-20T17:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
}

#[test]
fn words_parse_in_both_languages() {
    let cases: &[(&str, Option<LabResult>)] = &[
        ("Âm tính", Some(LabResult::Negative)),
        ("DƯƠNG TÍNH", Some(LabResult::Positive)),
        ("positive", Some(LabResult::Positive)),
        ("Không xác định", Some(LabResult::Invalid)),
        ("maybe", None),
    ];
    for (input, expected) in cases {
        assert_eq!(LabResult::parse(input).ok(), *expected, "{input:?}");
    }
    assert_eq!(SampleMethod::parse("RT-PCR").unwrap(), SampleMethod::RtPcr);
    assert_eq!(
        SampleMethod::parse("Test nhanh").unwrap(),
        SampleMethod::RapidAntigen
    );
    assert_eq!(
        CaseSource::parse("in_quarantine").unwrap(),
        CaseSource::InQuarantine
    );
    assert_eq!(
        CaseSource::parse("Cộng đồng").unwrap(),
        CaseSource::Community
    );
    assert_eq!(ContactLevel::parse("F2").unwrap(), ContactLevel::F2);
    assert_eq!(Outcome::parse("Tử vong").unwrap(), Outcome::Died);
    for s in CaseSource::ALL {
        assert_eq!(CaseSource::parse(s.as_str()).unwrap(), *s);
    }
}

#[test]
fn sample_codes_and_values() {
    assert_eq!(SampleCode::parse(" bt-0001 ").unwrap().as_str(), "BT-0001");
    for bad in ["abc", "BT 0001", "BT_0001", &"X".repeat(33)] {
        assert!(SampleCode::parse(bad).is_err(), "{bad:?}");
    }
    assert_eq!(Ct::parse("24,5").unwrap().value(), 24.5);
    assert!(Ct::parse("51").is_err());
    assert!(Ct::parse("NaN").is_err());
    assert!(Spo2::new(49).is_err());
    assert!(Spo2::new(95).unwrap().is_low());
}

#[test]
fn pool_limits() {
    let limits = PoolLimits::default();
    use SampleMethod::*;
    let table: &[(SampleMethod, bool, bool, usize, bool)] = &[
        (RtPcr, true, false, 10, true),
        (RtPcr, true, false, 11, false),
        (RtPcr, true, true, 5, true),
        (RtPcr, true, true, 6, false),
        (RtPcr, false, false, 1, true),
        (RtPcr, false, false, 2, false),
        (RtPcr, true, false, 0, false),
        (RapidAntigen, false, false, 1, true),
        (RapidAntigen, true, false, 2, false),
    ];
    for &(method, pooled, high_risk, n, ok) in table {
        assert_eq!(
            limits.check(method, pooled, high_risk, n).is_ok(),
            ok,
            "{method} pooled={pooled} high_risk={high_risk} n={n}"
        );
    }
    let allowed = PoolLimits {
        rapid_antigen_pool: Some(5),
        ..PoolLimits::default()
    };
    assert!(allowed.check(RapidAntigen, true, false, 5).is_ok());
    assert!(allowed.check(RapidAntigen, true, false, 6).is_err());
    let msg = limits.check(RtPcr, true, true, 6).unwrap_err().to_string();
    assert!(
        msg.contains("at most 5") && msg.contains("high-risk"),
        "{msg}"
    );
}

#[test]
fn rules_in_force_by_date() {
    let rules = QuarantineRule::defaults();
    assert_eq!(
        in_force(&rules, d("2021-12-15")).unwrap().effective_from,
        d("2021-07-14")
    );
    assert_eq!(
        in_force(&rules, d("2021-12-16")).unwrap().effective_from,
        d("2021-12-16")
    );
    // Before every rule: the earliest, named in the plan.
    assert_eq!(
        in_force(&rules, d("2021-01-01")).unwrap().effective_from,
        d("2021-07-14")
    );
    assert!(in_force::<QuarantineRule>(&[], d("2021-01-01")).is_none());
}

#[test]
fn quarantine_plans_before_and_after_16_december() {
    let rules = QuarantineRule::defaults();
    use ContactLevel::*;
    use QuarantinePlace::*;
    // (level, start, place, vaccinated) → (end, monitoring end, test days, rule)
    type Case<'a> = (
        ContactLevel,
        &'a str,
        QuarantinePlace,
        bool,
        &'a str,
        Option<&'a str>,
        &'a [&'a str],
        &'a str,
    );
    let table: &[Case] = &[
        (
            F1,
            "2021-08-10",
            Home,
            false,
            "2021-08-23",
            None,
            &["2021-08-10", "2021-08-16", "2021-08-23"],
            "2021-07-14",
        ),
        (
            F1,
            "2021-08-10",
            Home,
            true,
            "2021-08-23",
            None,
            &["2021-08-10", "2021-08-16", "2021-08-23"],
            "2021-07-14",
        ),
        (
            F1,
            "2021-08-10",
            Facility,
            false,
            "2021-08-23",
            Some("2021-09-06"),
            &["2021-08-10", "2021-08-16", "2021-08-23"],
            "2021-07-14",
        ),
        (
            F1,
            "2021-12-15",
            Home,
            true,
            "2021-12-28",
            None,
            &["2021-12-15", "2021-12-21", "2021-12-28"],
            "2021-07-14",
        ),
        (
            F1,
            "2021-12-16",
            Home,
            true,
            "2021-12-22",
            None,
            &["2021-12-16", "2021-12-22"],
            "2021-12-16",
        ),
        (
            F1,
            "2021-12-16",
            Home,
            false,
            "2021-12-29",
            None,
            &["2021-12-16", "2021-12-22", "2021-12-29"],
            "2021-12-16",
        ),
        (
            F2,
            "2021-09-01",
            Home,
            false,
            "2021-09-07",
            None,
            &["2021-09-01"],
            "2021-07-14",
        ),
    ];
    for (level, start, place, vaccinated, end, monitoring, tests, rule) in table {
        let plan = quarantine_plan(&rules, *level, d(start), *place, *vaccinated).unwrap();
        let what = format!("{level} {start} {place} vaccinated={vaccinated}");
        assert_eq!(plan.end, d(end), "{what}");
        assert_eq!(plan.home_monitoring_end, monitoring.map(d), "{what}");
        assert_eq!(
            plan.test_days,
            tests.iter().map(|t| d(t)).collect::<Vec<_>>(),
            "{what}"
        );
        assert_eq!(plan.rule_effective_from, d(rule), "{what}");
    }
    let facility = quarantine_plan(&rules, F1, d("2021-08-10"), Facility, false).unwrap();
    assert!(facility.covers(d("2021-09-06")) && !facility.covers(d("2021-09-07")));
}

#[test]
fn release_of_cases_at_home() {
    let rules = ReleaseRule::defaults();
    let rule = in_force(&rules, d("2021-09-01")).unwrap();
    let start = d("2021-09-01");
    assert_eq!(release_due(&rules, start), Some(d("2021-09-15")));
    assert!(matches!(
        rule.check(start, d("2021-09-14"), Some(d("2021-09-14"))),
        Err(ReleaseError::TooEarly { .. })
    ));
    assert!(matches!(
        rule.check(start, d("2021-09-15"), None),
        Err(ReleaseError::NeedsNegativeTest { .. })
    ));
    assert!(matches!(
        rule.check(start, d("2021-09-15"), Some(d("2021-09-10"))),
        Err(ReleaseError::NeedsNegativeTest { .. })
    ));
    assert!(rule
        .check(start, d("2021-09-15"), Some(d("2021-09-14")))
        .is_ok());
    let lenient = ReleaseRule {
        needs_negative_test: false,
        ..rule.clone()
    };
    assert!(lenient.check(start, d("2021-09-15"), None).is_ok());
}

#[test]
fn case_sources() {
    use CaseSource::*;
    assert_eq!(case_source(None, false), Community);
    assert_eq!(case_source(None, true), InQuarantine);
    assert_eq!(case_source(Some(Community), true), InQuarantine);
    assert_eq!(case_source(Some(Imported), true), Imported);
    assert_eq!(case_source(Some(Imported), false), Imported);
    assert!(Community.counts_toward_level());
    assert!(!InQuarantine.counts_toward_level() && !Imported.counts_toward_level());
}

#[test]
fn contacts_link_to_the_right_source() {
    let c = |level, source| NewContact {
        person_id: 1,
        source,
        level,
        exposure_date: d("2021-09-01"),
        place: QuarantinePlace::Home,
        vaccinated: false,
    };
    assert!(c(ContactLevel::F1, ContactSource::Case(1))
        .validate()
        .is_ok());
    assert!(c(ContactLevel::F2, ContactSource::Contact(1))
        .validate()
        .is_ok());
    assert!(c(ContactLevel::F1, ContactSource::Contact(1))
        .validate()
        .is_err());
    assert!(c(ContactLevel::F2, ContactSource::Case(1))
        .validate()
        .is_err());
}

#[test]
fn coverage_rows_and_chains() {
    let row = CoverageRow::new("1".into(), "A".into(), 3, 2, 1, 1, 0);
    assert_eq!(row.coverage_pct, 66.7);
    assert!(row.clean);
    assert!(!CoverageRow::new("1".into(), "A".into(), 3, 2, 2, 1, 0).clean);
    assert!(!CoverageRow::new("1".into(), "A".into(), 3, 0, 0, 0, 0).clean);
    assert_eq!(percent(1, 0), 0.0);
    let root = format!("/{}", chain_segment(true, 7));
    let child = format!("{root}{}", chain_segment(false, 12));
    assert_eq!(chain_depth(&root, &root), 0);
    assert_eq!(chain_depth(&root, &child), 1);
    assert!(chain_segment(true, 9) < chain_segment(true, 10));
}

#[test]
fn targets_validate() {
    assert!(TargetGroup::Ages { from: 18, to: 17 }.validate().is_err());
    assert!(TargetGroup::Workers {
        business: " ".into()
    }
    .validate()
    .is_err());
    assert!(TargetGroup::Ages { from: 18, to: 65 }.validate().is_ok());
    assert!(TargetGroup::OnePerHousehold.counts_households());
}

fn arb_date() -> impl Strategy<Value = NaiveDate> {
    (1900i32..2030, 1u32..=12, 1u32..=31)
        .prop_filter_map("valid date", |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
}

proptest! {
    #[test]
    fn age_bounds_agree_with_age_on(
        day in arb_date(),
        birth in arb_date(),
        year_only in any::<bool>(),
        from in 0u8..100,
        span in 0u8..30,
    ) {
        let to = from.saturating_add(span);
        let birth = if year_only { Birth::Year(birth.year()) } else { Birth::Date(birth) };
        let bounds = AgeBounds::new(from, to, day);
        let age = birth.age_on(day);
        prop_assert_eq!(
            bounds.contains(&birth),
            (i32::from(from)..=i32::from(to)).contains(&age),
            "birth {} day {} age {} bounds {:?}", birth, day, age, bounds
        );
    }

    #[test]
    fn quarantine_plans_are_well_formed(
        start in arb_date(),
        f2 in any::<bool>(),
        facility in any::<bool>(),
        vaccinated in any::<bool>(),
    ) {
        let level = if f2 { ContactLevel::F2 } else { ContactLevel::F1 };
        let place = if facility { QuarantinePlace::Facility } else { QuarantinePlace::Home };
        let rules = QuarantineRule::defaults();
        let plan = quarantine_plan(&rules, level, start, place, vaccinated).unwrap();
        prop_assert!(plan.start <= plan.end);
        prop_assert_eq!(plan.test_days.first().copied(), Some(start));
        prop_assert!(plan.test_days.iter().all(|t| plan.start <= *t && *t <= plan.end));
        prop_assert!(plan.test_days.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(plan.covers(plan.start) && plan.covers(plan.end));
        let rule = in_force(&rules, start).unwrap();
        prop_assert!(rule.effective_from <= start || start < rules[0].effective_from);
    }

    #[test]
    fn pools_within_limits_pass(n in 0usize..20, high_risk in any::<bool>()) {
        let limits = PoolLimits::default();
        let max = if high_risk { 5 } else { 10 };
        prop_assert_eq!(
            limits.check(SampleMethod::RtPcr, true, high_risk, n).is_ok(),
            (1..=max).contains(&n)
        );
    }

    #[test]
    fn sample_codes_roundtrip(s in "[A-Za-z0-9-]{4,32}") {
        let code = SampleCode::parse(&s).unwrap();
        prop_assert_eq!(SampleCode::parse(code.as_str()).unwrap(), code.clone());
        prop_assert_eq!(code.as_str(), s.to_ascii_uppercase());
    }
}
