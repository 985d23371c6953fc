use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::business::{decide, Arrangements, Condition, Reason, Sector, Status, WorkforceState};
use super::permit::*;
use super::support::*;
use crate::UnitCode;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn permit() -> NewPermit {
    NewPermit {
        issuer: UnitCode::parse("28846").unwrap(),
        holder: Holder::Vehicle {
            plate: Plate::parse("71C-123.45").unwrap(),
            driver: "Nguyễn Văn An".into(),
        },
        purpose: "Chở hàng thiết yếu".into(),
        destinations: vec![UnitCode::parse("28804").unwrap()],
        valid_from: at("2021-09-01T00:00:00Z"),
        valid_to: at("2021-09-15T00:00:00Z"),
        conditions: Conditions {
            negative_test_hours: Some(72),
            vaccine_doses: None,
        },
    }
}

#[test]
fn a_signed_permit_verifies_and_anything_else_is_refused_with_its_reason() {
    let key = PermitKey::from_seed([7; 32]);
    let public = PublicKey::from_hex(&key.public_hex()).unwrap();
    let claims = Claims::of(42, &permit());
    let token = key.sign(&claims);
    let none = HashSet::new();
    let inside = at("2021-09-05T08:00:00Z");
    assert_eq!(verify(&token, &public, inside, &none), Ok(claims.clone()));
    assert_eq!(claims.plate.as_deref(), Some("71C12345"));

    // Another key signed it: forged.
    let other = PermitKey::from_seed([8; 32]).sign(&claims);
    assert_eq!(verify(&other, &public, inside, &none), Err(Refusal::Forged));
    // Claims altered (validity stretched) under the old signature: forged.
    let mut stretched = claims.clone();
    stretched.valid_to += 86_400 * 30;
    let forged_claims = key.sign(&stretched);
    let (head, _) = forged_claims.rsplit_once('.').unwrap();
    let (_, sig) = token.rsplit_once('.').unwrap();
    assert_eq!(
        verify(&format!("{head}.{sig}"), &public, inside, &none),
        Err(Refusal::Forged)
    );
    // Expired, not yet valid, revoked, malformed.
    let late = at("2021-09-16T00:00:00Z");
    let r = verify(&token, &public, late, &none).unwrap_err();
    assert_eq!(r.code(), "expired");
    assert!(
        r.text_vi().contains("hết hạn lúc 07:00 15/09/2021"),
        "{}",
        r.text_vi()
    );
    assert_eq!(
        verify(&token, &public, at("2021-08-31T00:00:00Z"), &none)
            .unwrap_err()
            .code(),
        "not-yet-valid"
    );
    assert_eq!(
        verify(&token, &public, inside, &HashSet::from([42])),
        Err(Refusal::Revoked { id: 42 })
    );
    for bad in ["", "hello", "VX1.abc", "VX1.abc.def", "https://example.org"] {
        assert_eq!(
            verify(bad, &public, inside, &none),
            Err(Refusal::Malformed),
            "{bad}"
        );
    }
    // Keys round-trip through hex.
    let again = PermitKey::from_hex(&key.secret_hex()).unwrap();
    assert_eq!(again.sign(&claims), token);
}

#[test]
fn conditions_at_the_checkpoint() {
    let c = Conditions {
        negative_test_hours: Some(72),
        vaccine_doses: Some(1),
    };
    let now = at("2021-09-05T08:00:00Z");
    let check = |test: Option<(Shown, DateTime<Utc>)>, doses: u8, want: Vec<Unmet>| {
        assert_eq!(
            unmet_conditions(&c, test, doses, now),
            want,
            "{test:?} {doses}"
        );
    };
    check(
        Some((Shown::Negative, now - Duration::hours(10))),
        2,
        vec![],
    );
    check(
        Some((Shown::Negative, now - Duration::hours(80))),
        1,
        vec![Unmet::NoRecentNegative { hours: 72 }],
    );
    check(
        None,
        0,
        vec![
            Unmet::NoRecentNegative { hours: 72 },
            Unmet::Doses {
                required: 1,
                shown: 0,
            },
        ],
    );
    check(
        Some((Shown::Positive, now - Duration::hours(1))),
        2,
        vec![Unmet::PositiveTest, Unmet::NoRecentNegative { hours: 72 }],
    );
}

#[test]
fn plates_normalise() {
    assert_eq!(Plate::parse("71c-123.45").unwrap().as_str(), "71C12345");
    assert_eq!(Plate::parse("71B1 234.56").unwrap().as_str(), "71B123456");
    for bad in ["", "ABC", "7-1234", "71C-12"] {
        assert!(Plate::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn validity_is_checked() {
    let mut p = permit();
    assert_eq!(p.validate(), Ok(()));
    p.valid_to = p.valid_from + Duration::days(31);
    assert_eq!(p.validate(), Err(PermitError::TooLong(30)));
    p.valid_to = p.valid_from;
    assert_eq!(p.validate(), Err(PermitError::EmptyValidity));
}

#[test]
fn businesses_open_by_level_and_their_own_conditions() {
    let plan = Arrangements {
        safety_plan: true,
        ..Default::default()
    };
    let on_site = Arrangements {
        three_on_site: true,
        ..plan
    };
    let ok = WorkforceState {
        workers: 10,
        ..Default::default()
    };
    let check = |level: Option<u8>, sector, arr, work, want: &str, reasons: &[&str]| {
        let d = decide(level, sector, arr, work);
        assert_eq!(d.status.code(), want, "{level:?} {sector:?}: {d:?}");
        let got: Vec<String> = d
            .reasons
            .iter()
            .map(|r| {
                serde_json::to_value(r).unwrap()["reason"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(got, reasons, "{level:?} {sector:?}");
    };
    check(None, Sector::Food, plan, ok, "closed", &["no-level"]);
    check(
        Some(1),
        Sector::Services,
        Arrangements::default(),
        ok,
        "open",
        &["level-allows"],
    );
    check(
        Some(2),
        Sector::Services,
        plan,
        ok,
        "conditional",
        &["level-allows"],
    );
    check(
        Some(2),
        Sector::Retail,
        Arrangements::default(),
        ok,
        "closed",
        &["level-allows", "no-safety-plan"],
    );
    check(
        Some(3),
        Sector::Services,
        plan,
        ok,
        "closed",
        &["level-forbids"],
    );
    check(
        Some(3),
        Sector::Food,
        plan,
        ok,
        "conditional",
        &["level-allows"],
    );
    check(
        Some(4),
        Sector::Food,
        plan,
        ok,
        "closed",
        &["level-forbids"],
    );
    check(
        Some(4),
        Sector::Manufacturing,
        plan,
        ok,
        "closed",
        &["needs-arrangement"],
    );
    check(
        Some(4),
        Sector::Manufacturing,
        on_site,
        ok,
        "conditional",
        &["level-allows"],
    );
    check(
        Some(4),
        Sector::Essential,
        plan,
        ok,
        "conditional",
        &["level-allows"],
    );
    let overdue = WorkforceState { overdue: 3, ..ok };
    check(
        Some(3),
        Sector::Manufacturing,
        plan,
        overdue,
        "closed",
        &["level-allows", "tests-overdue"],
    );
    check(
        Some(2),
        Sector::Manufacturing,
        plan,
        overdue,
        "conditional",
        &["level-allows"],
    );
    let positive = WorkforceState { positive: 1, ..ok };
    check(
        Some(1),
        Sector::Manufacturing,
        plan,
        positive,
        "closed",
        &["level-allows", "positive-worker"],
    );

    let d = decide(Some(4), Sector::Manufacturing, on_site, ok);
    assert_eq!(
        d.status,
        Status::Conditional {
            conditions: vec![Condition::ThreeOnSite, Condition::TestEvery(3)]
        }
    );
    assert!(d.reasons[0].text_vi().contains("cấp 4"));
    assert!(Reason::NoSafetyPlan
        .text_vi()
        .starts_with("Chưa có phương án"));
}

#[test]
fn eligibility_over_household_facts() {
    let f = |poor, lost, ages: &[i32], q, t| HouseholdFacts {
        poor,
        lost_income: lost,
        ages: ages.to_vec(),
        in_quarantine: q,
        in_treatment: t,
    };
    let rules = [Rule::InQuarantine, Rule::Poor, Rule::ElderlyAlone];
    let check = |facts: HouseholdFacts, combine, want: &[Rule]| {
        assert_eq!(eligible_by(&rules, combine, &facts), want, "{facts:?}");
    };
    check(f(false, true, &[40, 38], 0, 0), Combine::Any, &[]);
    check(f(true, false, &[40], 0, 0), Combine::Any, &[Rule::Poor]);
    check(
        f(false, false, &[72], 0, 0),
        Combine::Any,
        &[Rule::ElderlyAlone],
    );
    check(
        f(false, false, &[72, 70], 1, 0),
        Combine::Any,
        &[Rule::InQuarantine],
    );
    check(
        f(true, false, &[72], 1, 0),
        Combine::All,
        &[Rule::InQuarantine, Rule::Poor, Rule::ElderlyAlone],
    );
    check(f(true, false, &[72, 3], 1, 0), Combine::All, &[]);
    assert_eq!(
        Rule::split("poor, lost-income").unwrap(),
        [Rule::Poor, Rule::LostIncome]
    );
    assert_eq!(
        Rule::join(&[Rule::Poor, Rule::LostIncome]),
        "poor,lost-income"
    );
    assert!(Rule::split("rich").is_err());
}

proptest! {
    #[test]
    fn spreadsheet_cells_never_start_a_formula(s in ".{0,20}") {
        let safe = spreadsheet_safe(&s);
        prop_assert!(!safe.starts_with(['=', '+', '-', '@', '\t', '\r']));
        prop_assert!(safe.ends_with(&s));
    }
}

/// The explanations an officer reads, in both languages.
#[test]
fn explanations_read_well() {
    let plan = Arrangements {
        safety_plan: true,
        ..Default::default()
    };
    let overdue = WorkforceState {
        workers: 12,
        overdue: 3,
        positive: 1,
    };
    let mut out = Vec::new();
    for (level, sector, arr, work) in [
        (
            Some(4),
            Sector::Manufacturing,
            plan,
            WorkforceState::default(),
        ),
        (Some(3), Sector::Food, plan, overdue),
        (
            Some(2),
            Sector::Services,
            Arrangements::default(),
            WorkforceState::default(),
        ),
        (None, Sector::Essential, plan, WorkforceState::default()),
    ] {
        let d = decide(level, sector, arr, work);
        out.push(format!(
            "level {level:?}, {}: {}",
            sector.as_str(),
            d.status.name_vi()
        ));
        if let Status::Conditional { conditions } = &d.status {
            for c in conditions {
                out.push(format!("  * {} / {}", c.text_vi(), c.text_en()));
            }
        }
        for r in &d.reasons {
            out.push(format!("  - {}", r.text_vi()));
            out.push(format!("    {}", r.text_en()));
        }
    }
    for r in [
        Refusal::Malformed,
        Refusal::Forged,
        Refusal::Expired {
            at: at("2021-09-15T00:00:00Z"),
        },
        Refusal::Revoked { id: 7 },
    ] {
        out.push(format!("{}: {} / {}", r.code(), r.text_vi(), r.text_en()));
    }
    insta::assert_snapshot!(out.join("\n"));
}
