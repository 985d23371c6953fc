//! Green-zone lifecycle, heads, reviews, measure overrides, targets, the notice rule and the
//! case hook, on both backends (issue 4).

use chrono::NaiveDate;
use vx_domain::epi::{CaseDetails, CaseSource, IsolationPlace, NewCase, Severity};
use vx_domain::{Sex, UnitLevel};
use vx_rules::targets::{Target, TargetStatus};
use vx_rules::zone::{Decision, StateName, ZoneState};
use vx_rules::{Level as Zone, MeasureId, MeasureOverride, MeasureSource, MeasureValue};
use vx_store::{NewHead, ReviewStatus, ReviewUpdate, Store, StoreError};

use super::{community_cases, d, unknown_source_case};
use crate::{actor, each_backend, household, located, person, seed_units, unit};

/// Two clean screening rounds (3 and 6 September 2021, 95% coverage) in every hamlet given.
async fn clean_rounds(store: &Store, hamlets: &[&str]) {
    store
        .debug_execute(
            "INSERT INTO campaigns (id, name, target_kind, created_at) \
             VALUES (900, 'Sàng lọc', 'everyone', '2021-09-01T00:00:00Z')",
        )
        .await
        .unwrap();
    for (id, day) in [(901, "2021-09-03"), (902, "2021-09-06")] {
        store
            .debug_execute(&format!(
                "INSERT INTO rounds (id, campaign_id, number, start_date, end_date) \
                 VALUES ({id}, 900, {}, '{day}', '{day}')",
                id - 900
            ))
            .await
            .unwrap();
        for code in hamlets {
            let u = store.unit(code).await.unwrap().unwrap();
            store
                .debug_execute(&format!(
                    "INSERT INTO round_unit_stats (round_id, unit_id, targeted, sampled_people, \
                     sampled_households, samples, resulted, positives) \
                     VALUES ({id}, {}, 100, 95, 25, 25, 25, 0)",
                    u.id
                ))
                .await
                .unwrap();
        }
    }
}

fn head(name: &str, title: &str, from: &str, to: Option<&str>) -> NewHead {
    NewHead {
        name: name.into(),
        title: title.into(),
        term_from: d(from),
        term_to: to.map(d),
    }
}

fn decision(number: &str, date: &str) -> Decision {
    Decision {
        number: number.into(),
        date: d(date),
        by: "UBND huyện Châu Thành".into(),
    }
}

#[tokio::test]
async fn green_zone_lifecycle_breaks_on_a_confirmed_case_and_opens_a_review() {
    each_backend(|ts| async move {
        let s = &ts.store;
        seed_units(s).await;
        unknown_source_case(s, "2884601", "2021-08-20", 1).await;
        unknown_source_case(s, "2880401", "2021-09-01", 2).await;
        clean_rounds(s, &["2884601", "2884602", "2880401"]).await;
        let pt = s.unit("28846").await.unwrap().unwrap();
        let tt = s.unit("28804").await.unwrap().unwrap();
        let district = s.unit("831").await.unwrap().unwrap();

        // The register of heads: one term ended before the case, two in office.
        s.add_unit_head(&actor(), &pt, &head("Nguyễn Văn Cũ", "Chủ tịch UBND xã", "2016-07-01", Some("2021-06-30")))
            .await
            .unwrap();
        let secretary = s
            .add_unit_head(&actor(), &pt, &head("Trần Thị Thư", "Bí thư Đảng ủy xã", "2021-07-01", None))
            .await
            .unwrap();
        let chair = s
            .add_unit_head(&actor(), &pt, &head("Lê Văn Hùng", "Chủ tịch UBND xã", "2020-01-01", Some("2020-12-31")))
            .await
            .unwrap();
        let chair = s
            .update_unit_head(&actor(), chair.id, &head("Lê Văn Hùng", "Chủ tịch UBND xã", "2021-07-01", None))
            .await
            .unwrap();
        assert!(matches!(
            s.add_unit_head(&actor(), &pt, &head("X", "Y", "2021-07-01", Some("2021-06-01"))).await,
            Err(StoreError::Invalid(_))
        ));
        let extra = s
            .add_unit_head(&actor(), &pt, &head("Nhập Nhầm", "Phó chủ tịch", "2021-07-01", None))
            .await
            .unwrap();
        s.delete_unit_head(&actor(), extra.id).await.unwrap();
        assert_eq!(s.unit_heads(&pt).await.unwrap().len(), 3);
        let in_office: Vec<String> = s
            .heads_in_office(&pt, d("2021-09-25"))
            .await
            .unwrap()
            .into_iter()
            .map(|h| h.name)
            .collect();
        assert_eq!(in_office, vec!["Trần Thị Thư", "Lê Văn Hùng"]);

        // Candidates from the green-zone regulation (in force from 9 September): Phước Thạnh
        // has had no case since 20 August and two clean rounds; Tân Thạch's last case is 1
        // September.
        let steps = s
            .assess_green_zones(&actor(), &district, d("2021-09-08"), d("2021-09-12"))
            .await
            .unwrap();
        let got: Vec<(String, NaiveDate, StateName)> = steps
            .iter()
            .map(|a| (a.unit.code.to_string(), a.step.date, a.step.to))
            .collect();
        assert_eq!(got, vec![("28846".to_string(), d("2021-09-09"), StateName::Candidate)]);
        // Tân Thạch is not a candidate: recognising it is refused
        let err = s
            .recognise_green_zone(&actor(), &tt, decision("240/QĐ-UBND", "2021-09-10"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(ref m) if m.contains("does not meet")), "{err}");
        s.recognise_green_zone(&actor(), &pt, decision("245/QĐ-UBND", "2021-09-10"))
            .await
            .unwrap();
        assert!(matches!(
            s.recognise_green_zone(&actor(), &pt, decision("246/QĐ-UBND", "2021-09-11")).await,
            Err(StoreError::Conflict(_))
        ));
        let z = s.green_zone(&pt).await.unwrap();
        assert!(matches!(z.state, ZoneState::Recognised { ref decision } if decision.number == "245/QĐ-UBND"));
        // Assessing again changes nothing: a recognised zone stands until a case
        let again = s
            .assess_green_zones(&actor(), &district, d("2021-09-12"), d("2021-09-20"))
            .await
            .unwrap();
        assert!(again.iter().all(|a| a.unit.code.as_str() != "28846"), "{again:?}");

        // A community case confirmed in hamlet 2 breaks the zone, through the hook in
        // case confirmation, and opens a review naming the heads in office that day.
        s.create_household(&actor(), &household("HB1", "2884602", "Phạm Văn Bé"))
            .await
            .unwrap();
        let p = s
            .create_person(&actor(), &person("HB1", "Phạm Văn Bé", "1985", Sex::Male, None))
            .await
            .unwrap();
        let case = s
            .confirm_case(
                &actor(),
                &NewCase {
                    person_id: p.id,
                    details: CaseDetails {
                        confirmed_on: d("2021-09-25"),
                        source: Some(CaseSource::Community),
                        severity: Severity::Mild,
                        place: IsolationPlace::Home,
                        isolation_start: d("2021-09-25"),
                    },
                },
            )
            .await
            .unwrap();
        let z = s.green_zone(&pt).await.unwrap();
        match &z.state {
            ZoneState::Broken { on, case_id, decision } => {
                assert_eq!(*on, d("2021-09-25"));
                assert_eq!(case_id, &case.id.to_string());
                assert_eq!(decision.number, "245/QĐ-UBND");
            }
            other => panic!("not broken: {other:?}"),
        }
        let reviews = s.open_reviews_under(&district.path).await.unwrap();
        assert_eq!(reviews.len(), 1);
        let r = &reviews[0];
        assert_eq!((r.unit_code.as_str(), r.opened_on), ("28846", d("2021-09-25")));
        assert_eq!(r.case_ref, format!("#{}", case.id));
        assert_eq!(
            r.heads.iter().map(|h| h.id).collect::<Vec<_>>(),
            vec![secretary.id, chair.id]
        );
        assert_eq!(r.status, ReviewStatus::Open);
        assert!(s.open_reviews_under("/83/832/").await.unwrap().is_empty());

        // The review: closing needs an outcome; progress is recorded and audited.
        let closing = ReviewUpdate {
            status: ReviewStatus::Closed,
            notes: String::new(),
            outcome: String::new(),
        };
        assert!(matches!(s.update_review(&actor(), r.id, &closing).await, Err(StoreError::Invalid(_))));
        let r2 = s
            .update_review(
                &actor(),
                r.id,
                &ReviewUpdate {
                    status: ReviewStatus::InProgress,
                    notes: "Họp kiểm điểm ngày 27/9".into(),
                    outcome: String::new(),
                },
            )
            .await
            .unwrap();
        assert_eq!(r2.status, ReviewStatus::InProgress);
        s.update_review(
            &actor(),
            r.id,
            &ReviewUpdate {
                status: ReviewStatus::Closed,
                notes: "Họp kiểm điểm ngày 27/9".into(),
                outcome: "Nhắc nhở, rút kinh nghiệm".into(),
            },
        )
        .await
        .unwrap();
        assert!(s.open_reviews_under(&district.path).await.unwrap().is_empty());
        assert_eq!(s.reviews_of(&pt).await.unwrap()[0].outcome, "Nhắc nhở, rút kinh nghiệm");

        // Restoring, then recognised again once 14 clean days have passed.
        let steps = s
            .assess_green_zones(&actor(), &district, d("2021-09-26"), d("2021-10-10"))
            .await
            .unwrap();
        let pt_steps: Vec<(NaiveDate, StateName)> = steps
            .iter()
            .filter(|a| a.unit.code.as_str() == "28846")
            .map(|a| (a.step.date, a.step.to))
            .collect();
        assert_eq!(pt_steps[0], (d("2021-09-26"), StateName::Restoring));
        assert!(matches!(
            s.green_zone(&pt).await.unwrap().state,
            ZoneState::Restoring { criteria_met: true, .. }
        ));
        s.recognise_green_zone(&actor(), &pt, decision("301/QĐ-UBND", "2021-10-10"))
            .await
            .unwrap();
        let view = s.green_zone_view(&pt).await.unwrap();
        assert_eq!(view.record.recognitions, 2);
        let path: Vec<StateName> = view.events.iter().map(|e| e.to).collect();
        assert_eq!(
            path,
            vec![
                StateName::Candidate,
                StateName::Recognised,
                StateName::Broken,
                StateName::Restoring,
                StateName::Restoring,
                StateName::Recognised
            ]
        );
        // Tân Thạch became a candidate on 15 September (14 days after 1 September)
        assert!(matches!(
            s.green_zone(&tt).await.unwrap().state,
            ZoneState::Candidate { since } if since == d("2021-09-15")
        ));
    })
    .await;
}

#[tokio::test]
async fn a_confirmed_case_reclassifies_neighbours_in_other_districts_and_the_province() {
    each_backend(|ts| async move {
        let s = &ts.store;
        let rows = vec![
            unit("83", None, UnitLevel::Province, "Bến Tre"),
            unit("831", Some("83"), UnitLevel::District, "Châu Thành"),
            unit("832", Some("83"), UnitLevel::District, "Chợ Lách"),
            unit("10001", Some("831"), UnitLevel::Commune, "A"),
            unit("20001", Some("832"), UnitLevel::Commune, "B"),
        ];
        s.import_units(
            &actor(),
            located(rows),
            None,
            &vx_store::ImportOptions::default(),
        )
        .await
        .unwrap();
        s.import_adjacency(&actor(), "adj.csv", &[("10001".into(), "20001".into())])
            .await
            .unwrap();
        let province = s.unit("83").await.unwrap().unwrap();
        s.classify(&actor(), &province, d("2021-09-01"), d("2021-09-10"))
            .await
            .unwrap();
        let level = |code: &'static str, day: &'static str| async move {
            let u = s.unit(code).await.unwrap().unwrap();
            s.zone_status(&u, d(day))
                .await
                .unwrap()
                .unwrap()
                .outcome
                .level
        };
        assert_eq!(level("83", "2021-09-05").await, Zone::Green);
        // A community case with an unknown source in A (through case confirmation).
        s.create_household(&actor(), &household("HA1", "10001", "Võ Văn Ca"))
            .await
            .unwrap();
        let p = s
            .create_person(
                &actor(),
                &person("HA1", "Võ Văn Ca", "1979", Sex::Male, None),
            )
            .await
            .unwrap();
        s.confirm_case(
            &actor(),
            &NewCase {
                person_id: p.id,
                details: CaseDetails {
                    confirmed_on: d("2021-09-05"),
                    source: Some(CaseSource::Community),
                    severity: Severity::Mild,
                    place: IsolationPlace::Facility,
                    isolation_start: d("2021-09-05"),
                },
            },
        )
        .await
        .unwrap();
        assert_eq!(level("10001", "2021-09-05").await, Zone::Orange);
        assert_eq!(level("10001", "2021-09-04").await, Zone::Green);
        // B borders A in another district: raised by the neighbour rule, its district too
        assert_eq!(level("20001", "2021-09-05").await, Zone::Yellow);
        assert_ne!(level("832", "2021-09-05").await, Zone::Green);
        // the province rolls its districts up again
        assert_ne!(level("83", "2021-09-05").await, Zone::Green);
        assert_eq!(level("83", "2021-09-04").await, Zone::Green);

        // the summary of a direct call: district 831 (2), district 832 (2), province (1)
        let a = s.unit("10001").await.unwrap().unwrap();
        let sum = s
            .reclassify_affected(&actor(), &a, d("2021-09-05"))
            .await
            .unwrap();
        assert_eq!((sum.units, sum.days), (5, 6));
    })
    .await;
}

#[tokio::test]
async fn a_raise_under_4800_is_announced_48_hours_ahead() {
    each_backend(|ts| async move {
        let s = &ts.store;
        let mut c = unit("28846", Some("831"), UnitLevel::Commune, "Phước Thạnh");
        c.population = Some(100_000);
        let rows = vec![
            unit("83", None, UnitLevel::Province, "Bến Tre"),
            unit("831", Some("83"), UnitLevel::District, "Châu Thành"),
            c,
        ];
        s.import_units(
            &actor(),
            located(rows),
            None,
            &vx_store::ImportOptions::default(),
        )
        .await
        .unwrap();
        // 300 community cases on 18 October: 150 per 100,000 per week (14 days halved).
        community_cases(s, "28846", "2021-10-18", 300).await;
        let u = s.unit("28846").await.unwrap().unwrap();
        s.classify(&actor(), &u, d("2021-10-15"), d("2021-10-21"))
            .await
            .unwrap();
        let at = |day: &'static str| {
            let u = u.clone();
            async move { s.zone_status(&u, d(day)).await.unwrap().unwrap().outcome }
        };
        let before = at("2021-10-17").await;
        assert_eq!((before.level, before.in_force), (Zone::Green, Zone::Green));
        assert!(before.announced.is_none());
        let raised = at("2021-10-18").await;
        assert!(raised.level >= Zone::Orange, "{:?}", raised.reasons);
        assert_eq!(
            raised.in_force,
            Zone::Green,
            "level in force until the notice runs out"
        );
        let a = raised.announced.expect("announced");
        assert_eq!(
            (a.level, a.announced_on, a.effective_from),
            (raised.level, d("2021-10-18"), d("2021-10-20"))
        );
        let next = at("2021-10-19").await;
        assert_eq!(next.in_force, Zone::Green);
        assert_eq!(
            next.announced.map(|a| a.effective_from),
            Some(d("2021-10-20"))
        );
        let in_force = at("2021-10-20").await;
        assert_eq!(in_force.in_force, raised.level);
        assert!(in_force.announced.is_none());
    })
    .await;
}

#[tokio::test]
async fn measure_overrides_answer_with_their_source() {
    each_backend(|ts| async move {
        let s = &ts.store;
        seed_units(s).await;
        let pt = s.unit("28846").await.unwrap().unwrap();
        let district = s.unit("831").await.unwrap().unwrap();
        let o = MeasureOverride {
            id: "QĐ 12/QĐ-UBND xã Phước Thạnh".into(),
            measure: MeasureId::GatheringMax,
            value: MeasureValue::People(30),
            from: d("2021-09-15"),
            to: None,
            levels: vec![Zone::Green],
            note: "Vùng xanh: nới lỏng tụ tập".into(),
        };
        s.add_measure_override(&actor(), &pt, &o).await.unwrap();
        let curfew = MeasureOverride {
            id: "QĐ 99/QĐ-UBND huyện".into(),
            measure: MeasureId::Curfew,
            value: MeasureValue::Curfew(None),
            from: d("2021-09-20"),
            to: None,
            levels: vec![],
            note: "Bỏ giới nghiêm".into(),
        };
        s.add_measure_override(&actor(), &district, &curfew)
            .await
            .unwrap();
        let bad = MeasureOverride {
            value: MeasureValue::Flag(true),
            ..o.clone()
        };
        assert!(matches!(
            s.add_measure_override(&actor(), &pt, &bad).await,
            Err(StoreError::Invalid(_))
        ));
        // a hamlet of the commune gets both: the commune's and the district's
        let hamlet = s.unit("2884601").await.unwrap().unwrap();
        let stored = s.measure_overrides_for(&hamlet).await.unwrap();
        assert_eq!(stored.len(), 2);
        assert_eq!(stored[0].unit_code, "28846");
        assert_eq!(stored[1].unit_code, "831");
        let rules: Vec<MeasureOverride> = stored.iter().map(|o| o.rule.clone()).collect();
        let gz = vx_rules::builtin("green-zone").unwrap();
        let answers = vx_rules::measures_for(Zone::Green, &gz, &rules, d("2021-09-21"));
        let gathering = answers
            .iter()
            .find(|a| a.measure == MeasureId::GatheringMax)
            .unwrap();
        assert_eq!(gathering.value, MeasureValue::People(30));
        assert!(matches!(
            gathering.source,
            MeasureSource::Override { index: 0, .. }
        ));
        assert_eq!(gathering.default, Some(MeasureValue::People(10)));
        let markets = answers
            .iter()
            .find(|a| a.measure == MeasureId::Markets)
            .unwrap();
        assert!(matches!(markets.source, MeasureSource::Level { .. }));
        // before its date, the level default
        let early = vx_rules::measures_for(Zone::Green, &gz, &rules, d("2021-09-14"));
        let gathering = early
            .iter()
            .find(|a| a.measure == MeasureId::GatheringMax)
            .unwrap();
        assert_eq!(gathering.value, MeasureValue::People(10));
        // Tân Thạch only gets the district's
        let tt = s.unit("28804").await.unwrap().unwrap();
        assert_eq!(s.measure_overrides_for(&tt).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_district_target_names_the_communes_that_hold_it_back() {
    each_backend(|ts| async move {
        let s = &ts.store;
        seed_units(s).await;
        unknown_source_case(s, "2884601", "2021-08-20", 1).await;
        unknown_source_case(s, "2880401", "2021-09-12", 2).await;
        let district = s.unit("831").await.unwrap().unwrap();
        s.classify(&actor(), &district, d("2021-08-15"), d("2021-09-15"))
            .await
            .unwrap();
        let t = s
            .add_target(
                &actor(),
                &district,
                &Target {
                    level: Zone::Green,
                    by: d("2021-09-21"),
                    margin_days: 3,
                },
                "Bình thường mới trước 21/9/2021",
            )
            .await
            .unwrap();
        assert_eq!(t.unit_code, "831");
        let views = s
            .targets_under(&district.path, d("2021-09-15"))
            .await
            .unwrap();
        assert_eq!(views.len(), 1);
        let v = &views[0];
        // Tân Thạch's last community case is 12 September: green on 26 September at the
        // earliest, after the deadline.
        assert_eq!(v.progress.status, TargetStatus::Missed);
        assert_eq!(v.progress.earliest, Some(d("2021-09-26")));
        let held: Vec<(&str, Option<NaiveDate>)> = v
            .held_back
            .iter()
            .map(|h| (h.code.as_str(), h.earliest))
            .collect();
        assert_eq!(held, vec![("28804", Some(d("2021-09-26")))]);
        // On 1 September only Phước Thạnh's case counts: green from 3 September, on track.
        let early = s
            .targets_under(&district.path, d("2021-09-01"))
            .await
            .unwrap();
        assert_eq!(
            early[0].progress.status,
            TargetStatus::OnTrack,
            "{:?}",
            early[0].progress
        );
        assert_eq!(early[0].progress.earliest, Some(d("2021-09-03")));
        // a commune target
        let pt = s.unit("28846").await.unwrap().unwrap();
        s.add_target(
            &actor(),
            &pt,
            &Target {
                level: Zone::Green,
                by: d("2021-09-10"),
                margin_days: 3,
            },
            "",
        )
        .await
        .unwrap();
        let views = s.target_views(&pt, d("2021-09-15")).await.unwrap();
        assert_eq!(views[0].progress.status, TargetStatus::Reached);
        assert_eq!(
            s.targets_under("/83/", d("2021-09-15"))
                .await
                .unwrap()
                .len(),
            2
        );
    })
    .await;
}

/// A small Châu Thành in August–October 2021, shaped like the demo's outbreak: Phước Thạnh's
/// last community case on 22 August, the others' on 28 August – 17 September (never 10 clean
/// days before the last), one commune clean from 2 September with one new case on 27
/// September; four screening rounds of 3–12 September, positive where a case followed a round
/// within two days.
#[tokio::test]
async fn replaying_the_outbreak_turns_communes_green_phuoc_thanh_first_and_the_reemergence_opens_a_review(
) {
    each_backend(|ts| async move {
        let s = &ts.store;
        let communes = [
            (
                "28846",
                "Phước Thạnh",
                &["2021-08-05", "2021-08-14", "2021-08-22"][..],
            ),
            (
                "28804",
                "Tân Thạch",
                &["2021-08-08", "2021-08-17", "2021-08-25", "2021-08-28"][..],
            ),
            (
                "28807",
                "An Khánh",
                &["2021-08-10", "2021-08-19", "2021-08-28", "2021-09-05"][..],
            ),
            (
                "28810",
                "Tân Phú",
                &[
                    "2021-08-10",
                    "2021-08-19",
                    "2021-08-27",
                    "2021-09-02",
                    "2021-09-27",
                ][..],
            ),
            (
                "28813",
                "Phú Túc",
                &[
                    "2021-08-12",
                    "2021-08-21",
                    "2021-08-30",
                    "2021-09-08",
                    "2021-09-17",
                ][..],
            ),
        ];
        let mut rows = vec![
            unit("83", None, UnitLevel::Province, "Bến Tre"),
            unit("831", Some("83"), UnitLevel::District, "Châu Thành"),
        ];
        for (code, name, _) in communes {
            rows.push(unit(code, Some("831"), UnitLevel::Commune, name));
            rows.push(unit(
                &format!("{code}01"),
                Some(code),
                UnitLevel::Hamlet,
                "Ấp 1",
            ));
        }
        s.import_units(
            &actor(),
            located(rows),
            None,
            &vx_store::ImportOptions::default(),
        )
        .await
        .unwrap();
        s.debug_execute(
            "INSERT INTO campaigns (id, name, target_kind, created_at) \
             VALUES (900, 'Sàng lọc', 'everyone', '2021-09-01T00:00:00Z')",
        )
        .await
        .unwrap();
        let round_days = ["2021-09-03", "2021-09-06", "2021-09-09", "2021-09-12"];
        for (k, day) in round_days.iter().enumerate() {
            s.debug_execute(&format!(
                "INSERT INTO rounds (id, campaign_id, number, start_date, end_date) \
                 VALUES ({}, 900, {}, '{day}', '{day}')",
                901 + k,
                k + 1
            ))
            .await
            .unwrap();
        }
        let mut n = 0;
        for (code, _, cases) in communes {
            let hamlet = format!("{code}01");
            for day in cases {
                n += 1;
                unknown_source_case(s, &hamlet, day, n).await;
            }
            let u = s.unit(&hamlet).await.unwrap().unwrap();
            for (k, day) in round_days.iter().enumerate() {
                let round = d(day);
                // a case 1 or 2 days after a round was in it
                let positive = cases.iter().any(|c| {
                    let c = d(c);
                    c > round && (c - round).num_days() <= 2
                });
                s.debug_execute(&format!(
                    "INSERT INTO round_unit_stats (round_id, unit_id, targeted, sampled_people, \
                     sampled_households, samples, resulted, positives) \
                     VALUES ({}, {}, 100, 94, 25, 25, 25, {})",
                    901 + k,
                    u.id,
                    i32::from(positive)
                ))
                .await
                .unwrap();
            }
        }
        for (i, (code, _, _)) in communes.iter().enumerate() {
            let c = s.unit(code).await.unwrap().unwrap();
            s.add_unit_head(
                &actor(),
                &c,
                &head(
                    &format!("Chủ Tịch Số {i}"),
                    "Chủ tịch UBND xã",
                    "2021-06-25",
                    None,
                ),
            )
            .await
            .unwrap();
        }
        let district = s.unit("831").await.unwrap().unwrap();
        let (from, to) = (d("2021-08-01"), d("2021-10-31"));
        s.classify(&actor(), &district, from, to).await.unwrap();

        // Official levels: the first green day of each commune's last run, with its reasons.
        let levels = s.zone_levels(&district, from, to).await.unwrap();
        let mut first_green = Vec::new();
        for (code, name, _) in communes {
            let u = s.unit(code).await.unwrap().unwrap();
            let mine: Vec<_> = levels.iter().filter(|z| z.unit_id == u.id).collect();
            let mut start = None;
            for z in &mine {
                if z.outcome.level == Zone::Green {
                    start = start.or(Some(z.day));
                } else {
                    start = None;
                }
            }
            let first = mine
                .iter()
                .find(|z| z.outcome.level == Zone::Green && z.day >= d("2021-08-20"))
                .map(|z| z.day);
            first_green.push((name, first.unwrap(), start));
        }
        first_green.sort_by_key(|x| x.1);
        assert_eq!(first_green[0].0, "Phước Thạnh", "{first_green:?}");
        assert_eq!(first_green[0].1, d("2021-09-05"), "14 days after 22 August");
        assert!(
            first_green
                .iter()
                .all(|x| x.1 >= d("2021-09-01") && x.1 <= d("2021-10-01")),
            "communes turn green through September: {first_green:?}"
        );
        // the reasons of Phước Thạnh's first green day
        let pt = s.unit("28846").await.unwrap().unwrap();
        let z = s.zone_status(&pt, d("2021-09-05")).await.unwrap().unwrap();
        let rs = s
            .rule_set_version(&z.rule_set_id, z.rule_set_version)
            .await
            .unwrap()
            .unwrap();
        let why = vx_rules::render::explain(&rs, &z.outcome, vx_rules::render::Lang::Vi);
        assert!(why.starts_with("Cấp độ: xanh (bình thường mới)"), "{why}");
        assert!(why.contains(EXPECTED_WHY), "{why}");

        // The lifecycle, with the district recognising candidates as they come.
        let by = vx_store::Actor::system("huyen.chauthanh");
        let steps = s
            .replay_green_zones(
                &actor(),
                &district,
                from,
                to,
                Some((&by, "UBND huyện Châu Thành")),
                245,
            )
            .await
            .unwrap();
        let story: Vec<String> = steps
            .iter()
            .map(|(u, st)| format!("{} {} {:?}→{:?}", st.date, u.name, st.from, st.to))
            .collect();
        assert_eq!(story.join("\n"), EXPECTED_STORY.trim());
        let recognised: Vec<&str> = steps
            .iter()
            .filter(|(_, st)| st.to == StateName::Recognised)
            .map(|(u, _)| u.name.as_str())
            .collect();
        assert_eq!(recognised.first(), Some(&"Phước Thạnh"), "{story:#?}");
        let reviews = s.open_reviews_under(&district.path).await.unwrap();
        assert_eq!(reviews.len(), 1, "{story:#?}");
        assert_eq!(reviews[0].unit_name, "Tân Phú");
        assert_eq!(reviews[0].opened_on, d("2021-09-27"));
        assert_eq!(reviews[0].heads[0].name, "Chủ Tịch Số 3");
    })
    .await;
}

/// Zone status at country scale, on each backend: the 10,599 communes of the 2021 list (with
/// their 705 districts and 63 provinces), a population for each, community cases and
/// borders generated from a seed; classification of every province for one day and for 30
/// days, and the case hook on one commune. Prints times; asserts no speed.
///
/// `VX_REQUIRE_POSTGRES=1 VX_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test
/// --release -p vx-store --features testing --test store zones::life::country_scale --
/// --ignored --nocapture`
#[tokio::test]
#[ignore = "timing, for humans"]
async fn country_scale_classification_of_the_10599_communes() {
    let csv = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../vungxanh/units/vn-admin-units-2021.csv"
    ))
    .unwrap();
    each_backend(|ts| {
        let csv = csv.clone();
        async move {
            let s = &ts.store;
            let mut seed: u64 = 2021;
            let mut next = move || {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (seed >> 33) as u32
            };
            let mut rows = Vec::new();
            let mut communes = Vec::new();
            for line in csv.lines().skip(1) {
                let f: Vec<&str> = line.split(',').collect();
                let level: UnitLevel = f[2].parse().unwrap();
                let mut u = unit(f[0], (!f[1].is_empty()).then_some(f[1]), level, f[4]);
                u.full_name = f[5].to_string();
                if level == UnitLevel::Commune {
                    u.population = Some(i64::from(3_000 + next() % 20_000));
                    communes.push((f[0].to_string(), f[1].to_string()));
                }
                rows.push(u);
            }
            let t = std::time::Instant::now();
            s.import_units(&actor(), located(rows), None, &vx_store::ImportOptions::default())
                .await
                .unwrap();
            eprintln!("{:?}: imported {} communes in {:?}", ts.backend(), communes.len(), t.elapsed());
            // Generated indicators: community cases in about 15% of communes over August–
            // September, borders between consecutive communes of a district.
            let t = std::time::Instant::now();
            let ids: std::collections::HashMap<String, i64> = {
                let mut m = std::collections::HashMap::new();
                for (code, _) in &communes {
                    m.insert(code.clone(), s.unit(code).await.unwrap().unwrap().id);
                }
                m
            };
            let mut values = Vec::new();
            for (code, _) in &communes {
                if next() % 100 < 15 {
                    let mut days = std::collections::BTreeSet::new();
                    for _ in 0..(1 + next() % 6) {
                        days.insert(1 + next() % 45);
                    }
                    for day in days {
                        let date = d("2021-08-01") + chrono::Days::new(u64::from(day));
                        values.push(format!("({}, '{date}', {}, 0, 0)", ids[code], 1 + next() % 5));
                    }
                }
            }
            for chunk in values.chunks(500) {
                s.debug_execute(&format!(
                    "INSERT INTO case_day_counts (unit_id, day, community, in_quarantine, imported) VALUES {}",
                    chunk.join(",")
                ))
                .await
                .unwrap();
            }
            let mut edges = Vec::new();
            for w in communes.windows(2) {
                if w[0].1 == w[1].1 {
                    let (a, b) = if w[0].0 < w[1].0 { (&w[0].0, &w[1].0) } else { (&w[1].0, &w[0].0) };
                    edges.push(format!("('{a}', '{b}')"));
                }
            }
            for chunk in edges.chunks(500) {
                s.debug_execute(&format!(
                    "INSERT INTO unit_adjacency (code_a, code_b) VALUES {}",
                    chunk.join(",")
                ))
                .await
                .unwrap();
            }
            eprintln!(
                "{:?}: generated {} commune-days with cases, {} borders in {:?}",
                ts.backend(),
                values.len(),
                edges.len(),
                t.elapsed()
            );
            let provinces = s.children(None).await.unwrap();
            for (label, from, to) in [
                ("one day", d("2021-09-15"), d("2021-09-15")),
                ("30 days", d("2021-09-01"), d("2021-09-30")),
            ] {
                let t = std::time::Instant::now();
                let (mut units, mut stored, mut load, mut engine, mut store_ms) = (0, 0, 0, 0, 0);
                for p in &provinces {
                    let r = s.classify(&actor(), p, from, to).await.unwrap();
                    units += r.units;
                    stored += r.stored;
                    load += r.load_ms;
                    engine += r.classify_ms;
                    store_ms += r.store_ms;
                }
                eprintln!(
                    "{:?}: classify {label}: {units} units, {stored} levels stored in {:?} \
                     (load {load} ms, engine {engine} ms, store {store_ms} ms)",
                    ts.backend(),
                    t.elapsed()
                );
            }
            let t = std::time::Instant::now();
            let c = s.unit(&communes[100].0).await.unwrap().unwrap();
            let r = s.reclassify_affected(&actor(), &c, d("2021-09-20")).await.unwrap();
            eprintln!(
                "{:?}: a case in {} re-classifies {} units × {} days in {:?}",
                ts.backend(),
                c.name,
                r.units,
                r.days,
                t.elapsed()
            );
            let t = std::time::Instant::now();
            let steps = s
                .assess_green_zones(&actor(), &provinces[0], d("2021-09-09"), d("2021-09-30"))
                .await
                .unwrap();
            eprintln!(
                "{:?}: green-zone assessment of {} for 22 days: {} changes in {:?}",
                ts.backend(),
                provinces[0].name,
                steps.len(),
                t.elapsed()
            );
        }
    })
    .await;
}

const EXPECTED_WHY: &str =
    "- Số ngày kể từ ca cộng đồng gần nhất: 14 (ngưỡng < 14) → không áp dụng";
const EXPECTED_STORY: &str = "
2021-09-09 Phước Thạnh NotGreen→Candidate
2021-09-09 Phước Thạnh Candidate→Recognised
2021-09-11 Tân Thạch NotGreen→Candidate
2021-09-11 Tân Thạch Candidate→Recognised
2021-09-16 Tân Phú NotGreen→Candidate
2021-09-16 Tân Phú Candidate→Recognised
2021-09-19 An Khánh NotGreen→Candidate
2021-09-19 An Khánh Candidate→Recognised
2021-09-27 Tân Phú Recognised→Broken
2021-09-27 Tân Phú Broken→Restoring
2021-10-01 Phú Túc NotGreen→Candidate
2021-10-01 Phú Túc Candidate→Recognised
2021-10-11 Tân Phú Restoring→Restoring
2021-10-11 Tân Phú Restoring→Recognised
";

#[tokio::test]
async fn a_register_of_heads_imports_all_or_nothing_and_once() {
    each_backend(|ts| async move {
        let s = &ts.store;
        seed_units(s).await;
        let rows = vec![
            (
                2,
                "28846".to_string(),
                head("Trần Thị Thư", "Bí thư Đảng ủy xã", "2021-07-01", None),
            ),
            (
                3,
                "28804".to_string(),
                head(
                    "Lê Văn Hùng",
                    "Chủ tịch UBND xã",
                    "2021-06-25",
                    Some("2026-06-24"),
                ),
            ),
        ];
        assert_eq!(
            s.import_unit_heads(&actor(), "heads.csv", &rows, false)
                .await
                .unwrap(),
            (2, 0)
        );
        assert_eq!(
            s.import_unit_heads(&actor(), "heads.csv", &rows, false)
                .await
                .unwrap(),
            (0, 2)
        );
        let bad = vec![
            (2, "99999".to_string(), head("A", "B", "2021-07-01", None)),
            (3, "28846".to_string(), head("", "B", "2021-07-01", None)),
            (
                4,
                "28846".to_string(),
                head("C", "D", "2021-07-01", Some("2021-01-01")),
            ),
        ];
        match s
            .import_unit_heads(&actor(), "heads.csv", &bad, false)
            .await
        {
            Err(StoreError::Rows(p)) => {
                let got: Vec<(u32, &str)> = p.iter().map(|p| (p.row, p.column.as_str())).collect();
                assert_eq!(got, vec![(2, "unit_code"), (3, "name"), (4, "term_to")]);
            }
            other => panic!("{other:?}"),
        }
        let pt = s.unit("28846").await.unwrap().unwrap();
        assert_eq!(
            s.unit_heads(&pt).await.unwrap().len(),
            1,
            "nothing half-imported"
        );
    })
    .await;
}
