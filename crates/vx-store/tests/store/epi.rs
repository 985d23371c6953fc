//! The epidemiological record on both backends.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use vx_domain::epi::{
    CaseDetails, CaseSource, ConflictStatus, ContactLevel, ContactSource, ContactStatus, Ct,
    DailyCheck, IsolationPlace, LabResult, NewCampaign, NewCase, NewContact, NewRound, NewSample,
    OrderStatus, Outcome, PersonRef, PoolLimits, ProposalStatus, QuarantinePlace, QuarantineRule,
    ResultRow, Round, SampleCode, SampleMethod, SampleRow, Severity, Spo2, TargetGroup,
    TimelineKind,
};
use vx_domain::{Birth, CitizenId, HouseholdCode, Person, PersonName, Sex, UnitCode};
use vx_store::{ImportOptions, PeopleQuery, Store, StoreError};

use crate::{actor, each_backend, household, located, person, seed_units};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn code(s: &str) -> SampleCode {
    SampleCode::parse(s).unwrap()
}

/// The seeded units and twelve people: hamlet 2884601 holds H1 (4) and H2 (3), hamlet
/// 2884602 holds H3 (3), hamlet 2880401 holds H4 (2).
struct World {
    people: HashMap<&'static str, Person>,
}

impl World {
    fn id(&self, name: &str) -> i64 {
        self.people[name].id
    }
}

const PEOPLE: &[(&str, &str, &str, &str, Option<&str>)] = &[
    (
        "H1",
        "An",
        "Nguyễn Văn An",
        "1970-05-02",
        Some("083070001234"),
    ),
    ("H1", "Hoa", "Lê Thị Hoa", "1972", None),
    ("H1", "Binh", "Nguyễn Văn Bình", "2010-03-01", None),
    ("H1", "Cuc", "Trần Thị Cúc", "1945-01-01", None),
    ("H2", "Dung", "Phạm Văn Dũng", "1980-02-03", None),
    ("H2", "Em", "Võ Thị Em", "1982-06-06", None),
    ("H2", "Phuc", "Phạm Văn Phúc", "2015-07-07", None),
    ("H3", "Giang", "Đỗ Văn Giang", "1990-01-01", None),
    ("H3", "Hai", "Đỗ Thị Hải", "1991-02-02", None),
    ("H3", "Khoa", "Đỗ Văn Khoa", "2000-03-03", None),
    ("H4", "Lan", "Huỳnh Thị Lan", "1985-04-04", None),
    ("H4", "Minh", "Huỳnh Văn Minh", "1986-05-05", None),
];

async fn world(store: &Store) -> World {
    seed_units(store).await;
    let hhs = vec![
        household("H1", "2884601", "Nguyễn Văn An"),
        household("H2", "2884601", "Phạm Văn Dũng"),
        household("H3", "2884602", "Đỗ Văn Giang"),
        household("H4", "2880401", "Huỳnh Thị Lan"),
    ];
    store
        .import_households(&actor(), located(hhs), &ImportOptions::default())
        .await
        .unwrap();
    let rows: Vec<_> = PEOPLE
        .iter()
        .map(|(hh, _, name, birth, id)| person(hh, name, birth, Sex::Female, *id))
        .collect();
    store
        .import_people(&actor(), located(rows), &ImportOptions::default())
        .await
        .unwrap();
    let all = store
        .people(&PeopleQuery {
            within: "/".into(),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let people = PEOPLE
        .iter()
        .map(|(_, key, name, _, _)| {
            let p = all
                .iter()
                .find(|p| p.data.full_name.as_str() == *name)
                .unwrap()
                .clone();
            (*key, p)
        })
        .collect();
    World { people }
}

async fn campaign_round(store: &Store, target: TargetGroup, number: u32) -> Round {
    let c = store
        .create_campaign(
            &actor(),
            &NewCampaign {
                name: format!("Sàng lọc {number}"),
                target_units: vec![UnitCode::parse("831").unwrap()],
                target,
            },
        )
        .await
        .unwrap();
    store
        .create_round(
            &actor(),
            &NewRound {
                campaign_id: c.id,
                number,
                start: d("2021-09-21"),
                end: d("2021-09-23"),
            },
        )
        .await
        .unwrap()
}

async fn round_of(store: &Store, campaign_id: i64, number: u32) -> Round {
    store
        .create_round(
            &actor(),
            &NewRound {
                campaign_id,
                number,
                start: d("2021-09-21"),
                end: d("2021-09-23"),
            },
        )
        .await
        .unwrap()
}

fn sample(c: &str, round_id: i64, members: Vec<i64>) -> NewSample {
    NewSample {
        code: code(c),
        round_id,
        method: SampleMethod::RtPcr,
        pooled: members.len() > 1,
        high_risk: false,
        // 06:30 on 22-9 in Vietnam.
        collected_at: at("2021-09-21T23:30:00Z"),
        collector: "Tổ COVID ấp 1".into(),
        laboratory: "CDC Bến Tre".into(),
        members,
        retest_order_id: None,
    }
}

fn result(c: &str, r: LabResult) -> ResultRow {
    ResultRow {
        sample_code: code(c),
        result: r,
        ct: (r == LabResult::Positive).then(|| Ct::new(24.5).unwrap()),
        tested_at: at("2021-09-22T08:00:00Z"),
    }
}

fn rows_of(err: StoreError) -> Vec<(u32, String)> {
    match err {
        StoreError::Rows(p) => p.into_iter().map(|p| (p.row, p.column)).collect(),
        other => panic!("expected row problems, got {other}"),
    }
}

fn details(on: &str, source: Option<CaseSource>) -> CaseDetails {
    CaseDetails {
        confirmed_on: d(on),
        source,
        severity: Severity::Mild,
        place: IsolationPlace::Home,
        isolation_start: d(on),
    }
}

fn contact(person_id: i64, source: ContactSource, exposure: &str) -> NewContact {
    NewContact {
        person_id,
        source,
        level: match source {
            ContactSource::Case(_) => ContactLevel::F1,
            ContactSource::Contact(_) => ContactLevel::F2,
        },
        exposure_date: d(exposure),
        place: QuarantinePlace::Home,
        vaccinated: false,
    }
}

#[tokio::test]
async fn pool_limits_and_once_per_round() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let w = world(store).await;
        let everyone: Vec<i64> = PEOPLE.iter().map(|p| w.id(p.1)).collect();
        let campaign = store
            .create_campaign(
                &actor(),
                &NewCampaign {
                    name: "Giới hạn gộp mẫu".into(),
                    target_units: vec![UnitCode::parse("831").unwrap()],
                    target: TargetGroup::Everyone,
                },
            )
            .await
            .unwrap();
        use SampleMethod::*;
        // (method, pooled, high risk, members, accepted); each row in a round of its own.
        let table: &[(SampleMethod, bool, bool, usize, bool)] = &[
            (RtPcr, true, false, 10, true),
            (RtPcr, true, false, 11, false),
            (RtPcr, true, true, 5, true),
            (RtPcr, true, true, 6, false),
            (RtPcr, false, false, 1, true),
            (RtPcr, false, false, 2, false),
            (RapidAntigen, false, false, 1, true),
            (RapidAntigen, true, false, 3, false),
        ];
        for (i, &(method, pooled, high_risk, n, ok)) in table.iter().enumerate() {
            let round = round_of(store, campaign.id, i as u32 + 1).await;
            let mut s = sample(&format!("LIM-{i:03}"), round.id, everyone[..n].to_vec());
            s.method = method;
            s.pooled = pooled;
            s.high_risk = high_risk;
            let got = store.create_sample(&actor(), &s).await;
            assert_eq!(got.is_ok(), ok, "row {i}: {got:?}");
            if !ok {
                assert!(matches!(got, Err(StoreError::Invalid(_))), "row {i}");
                assert!(store.sample_by_code(&s.code).await.unwrap().is_none());
            }
        }
        // Limits are data: allow rapid antigen pools of 3 from 1-9-2021.
        store
            .set_pool_limits(
                &actor(),
                &[PoolLimits {
                    effective_from: d("2021-09-01"),
                    rapid_antigen_pool: Some(3),
                    ..PoolLimits::default()
                }],
            )
            .await
            .unwrap();
        let round = round_of(store, campaign.id, 50).await;
        let mut s = sample("LIM-RAPID", round.id, everyone[..3].to_vec());
        s.method = RapidAntigen;
        store.create_sample(&actor(), &s).await.unwrap();

        // Once per round.
        let round = round_of(store, campaign.id, 60).await;
        store
            .create_sample(
                &actor(),
                &sample("TWICE-1", round.id, vec![w.id("An"), w.id("Hoa")]),
            )
            .await
            .unwrap();
        let err = store
            .create_sample(
                &actor(),
                &sample("TWICE-2", round.id, vec![w.id("Hoa"), w.id("Binh")]),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert!(err.to_string().contains("TWICE-1"), "{err}");
        assert!(store
            .sample_by_code(&code("TWICE-2"))
            .await
            .unwrap()
            .is_none());
        let err = store
            .create_sample(
                &actor(),
                &sample("TWICE-3", round.id, vec![w.id("Binh"), w.id("Binh")]),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        let other = round_of(store, campaign.id, 61).await;
        store
            .create_sample(
                &actor(),
                &sample("TWICE-4", other.id, vec![w.id("Hoa"), w.id("Binh")]),
            )
            .await
            .unwrap();
        let err = store
            .create_sample(&actor(), &sample("twice-1", other.id, vec![w.id("Cuc")]))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "codes are unique");

        // A household in one action, within the limit.
        let round = round_of(store, campaign.id, 70).await;
        let mut s = sample("HH-1", round.id, vec![w.id("Lan")]);
        s.pooled = true;
        s.high_risk = true;
        let s = store.create_sample(&actor(), &s).await.unwrap();
        let h1 = store.household_by_code("H1").await.unwrap().unwrap();
        let h2 = store.household_by_code("H2").await.unwrap().unwrap();
        let s = store
            .add_household_to_sample(&actor(), s.id, h1.id)
            .await
            .unwrap();
        assert_eq!(s.members.len(), 5);
        let again = store
            .add_household_to_sample(&actor(), s.id, h1.id)
            .await
            .unwrap();
        assert_eq!(again.members, s.members, "members already in it stay");
        let err = store
            .add_household_to_sample(&actor(), s.id, h2.id)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("at most 5"), "{err}");
        assert_eq!(store.sample(s.id).await.unwrap().unwrap().members.len(), 5);
    })
    .await;
}

#[tokio::test]
async fn results_are_idempotent_conflicts_kept_and_positives_act() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let w = world(store).await;
        let round = campaign_round(store, TargetGroup::Everyone, 1).await;
        let h1 = ["An", "Hoa", "Binh", "Cuc"].map(|n| w.id(n)).to_vec();
        let h2 = ["Dung", "Em", "Phuc"].map(|n| w.id(n)).to_vec();
        let p1 = store
            .create_sample(&actor(), &sample("P-0001", round.id, h1.clone()))
            .await
            .unwrap();
        let p2 = store
            .create_sample(&actor(), &sample("P-0002", round.id, h2.clone()))
            .await
            .unwrap();
        let i1 = store
            .create_sample(&actor(), &sample("I-0001", round.id, vec![w.id("Giang")]))
            .await
            .unwrap();
        store
            .create_sample(&actor(), &sample("I-0002", round.id, vec![w.id("Hai")]))
            .await
            .unwrap();
        // what an upload's check reads: stored samples, their unit, whether a result is in
        let before = store
            .sample_states(&["P-0001", "I-0001", "NO-SUCH"])
            .await
            .unwrap();
        assert_eq!(before.len(), 2, "{before:?}");
        assert_eq!(before["P-0001"].unit_id, p1.unit_id);
        assert!(!before["P-0001"].has_result && !before["I-0001"].has_result);
        let file = vec![
            result("P-0001", LabResult::Positive),
            result("P-0002", LabResult::Negative),
            result("I-0001", LabResult::Positive),
            result("I-0002", LabResult::Negative),
        ];
        let opts = ImportOptions {
            file_name: "lab-a.csv".into(),
            ..Default::default()
        };
        let s = store
            .import_results(&actor(), "Lab A", located(file.clone()), &opts)
            .await
            .unwrap();
        let after = store.sample_states(&["P-0001", "I-0001"]).await.unwrap();
        assert!(after.values().all(|s| s.has_result), "{after:?}");
        assert_eq!(
            (s.recorded, s.unchanged, s.retest_orders, s.case_proposals),
            (4, 0, 4, 1)
        );
        assert!(s.conflicts.is_empty());
        let stored = store.sample(p1.id).await.unwrap().unwrap().result.unwrap();
        assert_eq!(
            (
                stored.result,
                stored.ct.map(f64::from),
                stored.laboratory.as_str()
            ),
            (LabResult::Positive, Some(24.5), "Lab A")
        );
        // Positive pool: an individual retest order per member.
        let orders = store.retest_orders(p1.id).await.unwrap();
        let mut ordered: Vec<i64> = orders.iter().map(|o| o.person_id).collect();
        ordered.sort();
        let mut expected = h1.clone();
        expected.sort();
        assert_eq!(ordered, expected);
        assert!(orders.iter().all(|o| o.status == OrderStatus::Open));
        // Positive individual: a case proposal.
        let proposals = store
            .case_proposals(ProposalStatus::Proposed, 0, 10)
            .await
            .unwrap();
        assert_eq!(proposals.len(), 1);
        assert_eq!(
            (proposals[0].person_id, proposals[0].sample_id),
            (w.id("Giang"), i1.id)
        );

        // The same file again changes nothing.
        let s = store
            .import_results(&actor(), "Lab A", located(file), &opts)
            .await
            .unwrap();
        assert_eq!(
            (s.recorded, s.unchanged, s.retest_orders, s.case_proposals),
            (0, 4, 0, 0)
        );
        assert_eq!(store.retest_orders(p1.id).await.unwrap().len(), 4);

        // Another lab disagrees on P-0002 and agrees on P-0001: kept for review, not applied.
        let other = vec![
            result("P-0002", LabResult::Positive),
            result("P-0001", LabResult::Positive),
        ];
        let s = store
            .import_results(&actor(), "Lab B", located(other.clone()), &opts)
            .await
            .unwrap();
        assert_eq!((s.recorded, s.unchanged, s.conflicts.len()), (0, 1, 1));
        let c = &s.conflicts[0];
        assert_eq!(
            (c.row, c.sample_code.as_str(), c.stored, c.proposed),
            (2, "P-0002", LabResult::Negative, LabResult::Positive)
        );
        assert_eq!(c.stored_laboratory, "Lab A");
        let conflict_id = c.conflict_id.unwrap();
        assert_eq!(
            store
                .sample(p2.id)
                .await
                .unwrap()
                .unwrap()
                .result
                .unwrap()
                .result,
            LabResult::Negative,
            "never overwritten"
        );
        assert!(store.retest_orders(p2.id).await.unwrap().is_empty());
        // Twice: reported again, kept once.
        let s = store
            .import_results(&actor(), "Lab B", located(other), &opts)
            .await
            .unwrap();
        assert_eq!(s.conflicts[0].conflict_id, Some(conflict_id));
        let open = store
            .result_conflicts(Some(ConflictStatus::Open), 0, 10)
            .await
            .unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].proposed.laboratory, "Lab B");

        // Review: the new result replaces the old one and acts.
        let resolved = store
            .resolve_conflict(&actor(), conflict_id, true, "Lab B retested: positive")
            .await
            .unwrap();
        assert_eq!(resolved.status, ConflictStatus::Replaced);
        assert_eq!(resolved.note, "Lab B retested: positive");
        assert_eq!(resolved.resolved_by.as_deref(), Some(actor().name.as_str()));
        assert_eq!(
            store
                .sample(p2.id)
                .await
                .unwrap()
                .unwrap()
                .result
                .unwrap()
                .result,
            LabResult::Positive
        );
        assert_eq!(store.retest_orders(p2.id).await.unwrap().len(), 3);
        let err = store
            .resolve_conflict(&actor(), conflict_id, false, "")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)));

        // A retest samples a member again in the same round and closes the order.
        let order = store.retest_orders(p1.id).await.unwrap()[0].clone();
        let mut retest = sample("R-0001", round.id, vec![order.person_id]);
        retest.retest_order_id = Some(order.id);
        let retest = store.create_sample(&actor(), &retest).await.unwrap();
        let order = store
            .retest_orders(p1.id)
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.id == order.id)
            .unwrap();
        assert_eq!(
            (order.status, order.done_sample_id),
            (OrderStatus::Done, Some(retest.id))
        );
        // The retest is individual: positive, it proposes a case.
        let s = store
            .import_results(
                &actor(),
                "Lab A",
                located(vec![result("R-0001", LabResult::Positive)]),
                &opts,
            )
            .await
            .unwrap();
        assert_eq!((s.retest_orders, s.case_proposals), (0, 1));

        // Confirm one proposal, reject the other.
        let proposals = store
            .case_proposals(ProposalStatus::Proposed, 0, 10)
            .await
            .unwrap();
        assert_eq!(proposals.len(), 2);
        let case = store
            .confirm_proposal(&actor(), proposals[0].id, &details("2021-09-22", None))
            .await
            .unwrap();
        assert_eq!(case.proposal_id, Some(proposals[0].id));
        assert_eq!(case.sample_id, Some(proposals[0].sample_id));
        assert_eq!(case.source, CaseSource::Community);
        let p = store.case_proposal(proposals[0].id).await.unwrap().unwrap();
        assert_eq!(
            (p.status, p.case_id),
            (ProposalStatus::Confirmed, Some(case.id))
        );
        store
            .reject_proposal(&actor(), proposals[1].id)
            .await
            .unwrap();
        assert!(store
            .confirm_proposal(&actor(), proposals[1].id, &details("2021-09-22", None))
            .await
            .is_err());
    })
    .await;
}

#[tokio::test]
async fn a_bad_results_file_gets_row_answers_and_nothing_half_imported() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let w = world(store).await;
        let round = campaign_round(store, TargetGroup::Everyone, 1).await;
        let p1 = store
            .create_sample(
                &actor(),
                &sample("P-0001", round.id, vec![w.id("An"), w.id("Hoa")]),
            )
            .await
            .unwrap();
        let i1 = store
            .create_sample(&actor(), &sample("I-0001", round.id, vec![w.id("Giang")]))
            .await
            .unwrap();
        let mut future = result("I-0001", LabResult::Negative);
        future.tested_at = at("2099-01-01T00:00:00Z");
        let mut early = result("I-0001", LabResult::Negative);
        early.tested_at = at("2021-09-01T00:00:00Z");
        let file = vec![
            result("P-0001", LabResult::Negative),  // row 2: good
            result("XX-9999", LabResult::Positive), // row 3: unknown sample
            future,                                 // row 4: in the future
            early,                                  // row 5: before collection
            result("P-0001", LabResult::Positive),  // row 6: disagrees with row 2
            result("I-0001", LabResult::Negative),  // row 7: good
            result("I-0001", LabResult::Negative),  // row 8: same as row 7
        ];
        let err = store
            .import_results(
                &actor(),
                "Lab A",
                located(file.clone()),
                &ImportOptions::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(
            rows_of(err),
            [
                (3, "sample_code".to_string()),
                (4, "tested_at".to_string()),
                (5, "tested_at".to_string()),
                (6, "result".to_string()),
            ]
        );
        for id in [p1.id, i1.id] {
            assert!(
                store.sample(id).await.unwrap().unwrap().result.is_none(),
                "nothing half-imported"
            );
        }
        let dry = ImportOptions {
            dry_run: true,
            skip_bad_rows: true,
            ..Default::default()
        };
        let s = store
            .import_results(&actor(), "Lab A", located(file.clone()), &dry)
            .await
            .unwrap();
        assert_eq!((s.recorded, s.skipped.len(), s.dry_run), (2, 4, true));
        assert!(store.sample(p1.id).await.unwrap().unwrap().result.is_none());
        let skip = ImportOptions {
            skip_bad_rows: true,
            ..Default::default()
        };
        let s = store
            .import_results(&actor(), "Lab A", located(file.clone()), &skip)
            .await
            .unwrap();
        assert_eq!((s.recorded, s.unchanged, s.skipped.len()), (2, 1, 4));
        assert!(s.skipped[0].message.contains("XX-9999"), "{:?}", s.skipped);
        let s = store
            .import_results(&actor(), "Lab A", located(file), &skip)
            .await
            .unwrap();
        assert_eq!((s.recorded, s.unchanged), (0, 3), "the same file twice");
        let err = store
            .import_results(&actor(), " ", Vec::new(), &ImportOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)));
    })
    .await;
}

#[tokio::test]
async fn samples_import_all_or_nothing_idempotent_with_row_problems() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let w = world(store).await;
        let round = campaign_round(store, TargetGroup::Everyone, 1).await;
        let row = |c: &str, person: PersonRef| SampleRow {
            sample_code: code(c),
            round_id: round.id,
            method: SampleMethod::RtPcr,
            pooled: true,
            high_risk: false,
            collected_at: at("2021-09-21T23:30:00Z"),
            collector: "Tổ 1".into(),
            laboratory: "CDC Bến Tre".into(),
            person,
        };
        let by_name = |hh: &str, name: &str, birth: Birth| PersonRef::Household {
            household_code: HouseholdCode::parse(hh).unwrap(),
            full_name: PersonName::parse(name).unwrap(),
            birth,
        };
        let cid = |s: &str| PersonRef::CitizenId(CitizenId::parse(s).unwrap());
        let mut individual = row("S-0002", by_name("H3", "do van giang", Birth::Year(1990)));
        individual.pooled = false;
        let good = vec![
            row("S-0001", cid("083070001234")),
            row("S-0001", by_name("H1", "Lê Thị Hoa", Birth::Year(1972))),
            row(
                "S-0001",
                by_name("H1", "Nguyễn Văn Bình", Birth::Date(d("2010-03-01"))),
            ),
            individual,
        ];
        let mut bad = good.clone();
        bad.push(row("S-0003", cid("083099009999"))); // row 6: nobody
        let mut no_round = row("S-0004", by_name("H4", "Huỳnh Thị Lan", Birth::Year(1985)));
        no_round.round_id = 9999;
        bad.push(no_round); // row 7
        bad.push(row("S-0005", cid("083070001234"))); // row 8: An is in S-0001
        bad.push(row("S-0006", by_name("H2", "Võ Thị Em", Birth::Year(1982)))); // row 9
        let mut other_method = row("S-0006", by_name("H2", "Phạm Văn Phúc", Birth::Year(2015)));
        other_method.method = SampleMethod::RapidAntigen;
        bad.push(other_method); // row 10
        let mut future = row("S-0007", by_name("H4", "Huỳnh Văn Minh", Birth::Year(1986)));
        future.collected_at = at("2099-01-01T00:00:00Z");
        bad.push(future); // row 11: collected in the future
        let err = store
            .import_samples(&actor(), located(bad.clone()), &ImportOptions::default())
            .await
            .unwrap_err();
        assert_eq!(
            rows_of(err),
            [
                (6, "citizen_id".to_string()),
                (7, "round".to_string()),
                (8, "citizen_id".to_string()),
                (10, "method".to_string()),
                (11, "collected_at".to_string()),
            ]
        );
        assert!(store
            .sample_by_code(&code("S-0001"))
            .await
            .unwrap()
            .is_none());

        let skip = ImportOptions {
            skip_bad_rows: true,
            ..Default::default()
        };
        let s = store
            .import_samples(&actor(), located(bad), &skip)
            .await
            .unwrap();
        assert_eq!(s.created, 2);
        let refused: HashSet<u32> = s.skipped.iter().map(|p| p.row).collect();
        assert_eq!(
            refused,
            HashSet::from([6, 7, 8, 9, 10, 11]),
            "{:?}",
            s.skipped
        );
        let s1 = store
            .sample_by_code(&code("S-0001"))
            .await
            .unwrap()
            .unwrap();
        let mut expected = vec![w.id("An"), w.id("Hoa"), w.id("Binh")];
        expected.sort();
        assert_eq!(s1.members, expected);
        assert_eq!(s1.collected_day, d("2021-09-22"), "the Vietnamese day");

        let s = store
            .import_samples(&actor(), located(good.clone()), &ImportOptions::default())
            .await
            .unwrap();
        assert_eq!((s.created, s.unchanged), (0, 2), "the same file twice");
        let mut changed = good;
        changed.push(row(
            "S-0001",
            by_name("H1", "Trần Thị Cúc", Birth::Year(1945)),
        ));
        let err = store
            .import_samples(&actor(), located(changed), &ImportOptions::default())
            .await
            .unwrap_err();
        assert_eq!(rows_of(err), [(2, "sample_code".to_string())]);

        let commune = store.unit("28846").await.unwrap().unwrap();
        let cov = store.coverage(round.id, &commune).await.unwrap();
        assert_eq!((cov[0].sampled, cov[0].samples), (4, 2));
    })
    .await;
}

#[tokio::test]
async fn coverage_rolls_up_with_clean_flags() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let w = world(store).await;
        let round = campaign_round(store, TargetGroup::Everyone, 1).await;
        store
            .create_sample(
                &actor(),
                &sample(
                    "P-0001",
                    round.id,
                    ["An", "Hoa", "Binh", "Cuc"].map(|n| w.id(n)).to_vec(),
                ),
            )
            .await
            .unwrap();
        store
            .create_sample(&actor(), &sample("I-0001", round.id, vec![w.id("Giang")]))
            .await
            .unwrap();
        let district = store.unit("831").await.unwrap().unwrap();
        let commune = store.unit("28846").await.unwrap().unwrap();
        type Row = (&'static str, i64, i64, f64, i64, i64, i64, bool);
        let check = |rows: Vec<vx_domain::epi::CoverageRow>, expected: &[Row]| {
            let got: Vec<Row> = rows
                .iter()
                .zip(expected)
                .map(|(r, e)| {
                    (
                        e.0,
                        r.targeted,
                        r.sampled,
                        r.coverage_pct,
                        r.samples,
                        r.resulted,
                        r.positives,
                        r.clean,
                    )
                })
                .collect();
            let codes: Vec<&str> = rows.iter().map(|r| r.unit_code.as_str()).collect();
            let want: Vec<&str> = expected.iter().map(|e| e.0).collect();
            assert_eq!(codes, want);
            assert_eq!(got, expected);
        };
        // Sampled, results pending: not clean.
        check(
            store.coverage(round.id, &commune).await.unwrap(),
            &[
                ("28846", 10, 5, 50.0, 2, 0, 0, false),
                ("2884601", 7, 4, 57.1, 1, 0, 0, false),
                ("2884602", 3, 1, 33.3, 1, 0, 0, false),
            ],
        );
        store
            .import_results(
                &actor(),
                "Lab A",
                located(vec![
                    result("P-0001", LabResult::Negative),
                    result("I-0001", LabResult::Negative),
                ]),
                &ImportOptions::default(),
            )
            .await
            .unwrap();
        check(
            store.coverage(round.id, &district).await.unwrap(),
            &[
                ("831", 12, 5, 41.7, 2, 2, 0, true),
                ("28804", 2, 0, 0.0, 0, 0, 0, false),
                ("28846", 10, 5, 50.0, 2, 2, 0, true),
            ],
        );
        // A positive in Tân Thạch: that commune and the district are no longer clean.
        store
            .create_sample(&actor(), &sample("I-0002", round.id, vec![w.id("Lan")]))
            .await
            .unwrap();
        store
            .import_results(
                &actor(),
                "Lab A",
                located(vec![result("I-0002", LabResult::Positive)]),
                &ImportOptions::default(),
            )
            .await
            .unwrap();
        check(
            store.coverage(round.id, &district).await.unwrap(),
            &[
                ("831", 12, 6, 50.0, 3, 3, 1, false),
                ("28804", 2, 1, 50.0, 1, 1, 1, false),
                ("28846", 10, 5, 50.0, 2, 2, 0, true),
            ],
        );
        let hamlet = store.unit("2880401").await.unwrap().unwrap();
        let rows = store.coverage(round.id, &hamlet).await.unwrap();
        assert_eq!((rows.len(), rows[0].positivity_pct), (1, 100.0));

        // One per household counts households; ages count by the round's first day.
        let hh_round = campaign_round(store, TargetGroup::OnePerHousehold, 2).await;
        store
            .create_sample(&actor(), &sample("HH-0001", hh_round.id, vec![w.id("Em")]))
            .await
            .unwrap();
        let rows = store.coverage(hh_round.id, &commune).await.unwrap();
        assert_eq!((rows[0].targeted, rows[0].sampled), (3, 1));
        let adults = campaign_round(store, TargetGroup::Ages { from: 18, to: 60 }, 3).await;
        let rows = store.coverage(adults.id, &district).await.unwrap();
        // Born 1961-09-22 .. 2003-09-21: all but Bình, Cúc and Phúc.
        assert_eq!(rows[0].targeted, 9);
    })
    .await;
}

#[tokio::test]
async fn sampling_lists_follow_the_target_group() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let w = world(store).await;
        let everyone = campaign_round(store, TargetGroup::Everyone, 1).await;
        store
            .create_sample(
                &actor(),
                &sample("P-0001", everyone.id, vec![w.id("Em"), w.id("Phuc")]),
            )
            .await
            .unwrap();
        let list = store.sampling_list(everyone.id, "2884601").await.unwrap();
        assert_eq!(list.len(), 7);
        let sampled: HashSet<i64> = list.iter().filter(|(_, s)| *s).map(|(p, _)| p.id).collect();
        assert_eq!(sampled, HashSet::from([w.id("Em"), w.id("Phuc")]));
        assert_eq!(list[0].0.data.household_code.as_str(), "H1");

        let per_household = campaign_round(store, TargetGroup::OnePerHousehold, 2).await;
        store
            .create_sample(
                &actor(),
                &sample("P-0002", per_household.id, vec![w.id("Phuc")]),
            )
            .await
            .unwrap();
        let list = store
            .sampling_list(per_household.id, "2884601")
            .await
            .unwrap();
        let got: Vec<(&str, bool)> = list
            .iter()
            .map(|(p, s)| (p.data.household_code.as_str(), *s))
            .collect();
        assert_eq!(got, [("H1", false), ("H2", true)]);

        let elderly = campaign_round(store, TargetGroup::Ages { from: 50, to: 120 }, 3).await;
        let list = store.sampling_list(elderly.id, "2884601").await.unwrap();
        let names: HashSet<i64> = list.iter().map(|(p, _)| p.id).collect();
        assert_eq!(names, HashSet::from([w.id("An"), w.id("Cuc")]));

        // A hamlet outside the campaign's units has nobody to sample.
        let c = store
            .create_campaign(
                &actor(),
                &NewCampaign {
                    name: "Tân Thạch".into(),
                    target_units: vec![UnitCode::parse("28804").unwrap()],
                    target: TargetGroup::Everyone,
                },
            )
            .await
            .unwrap();
        let r = round_of(store, c.id, 1).await;
        assert!(store
            .sampling_list(r.id, "2884601")
            .await
            .unwrap()
            .is_empty());
        assert_eq!(store.sampling_list(r.id, "2880401").await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn quarantine_plans_follow_the_rule_in_force() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let w = world(store).await;
        let case = store
            .confirm_case(
                &actor(),
                &NewCase {
                    person_id: w.id("Giang"),
                    details: details("2021-09-01", None),
                },
            )
            .await
            .unwrap();
        // (person, exposure, place, vaccinated) → (end, monitoring end, tests, rule)
        #[allow(clippy::type_complexity)]
        let table: &[(
            &str,
            &str,
            QuarantinePlace,
            bool,
            &str,
            Option<&str>,
            usize,
            &str,
        )] = &[
            (
                "An",
                "2021-08-20",
                QuarantinePlace::Home,
                true,
                "2021-09-02",
                None,
                3,
                "2021-07-14",
            ),
            (
                "Hoa",
                "2021-08-20",
                QuarantinePlace::Facility,
                false,
                "2021-09-02",
                Some("2021-09-16"),
                3,
                "2021-07-14",
            ),
            (
                "Binh",
                "2021-12-15",
                QuarantinePlace::Home,
                true,
                "2021-12-28",
                None,
                3,
                "2021-07-14",
            ),
            (
                "Cuc",
                "2021-12-16",
                QuarantinePlace::Home,
                true,
                "2021-12-22",
                None,
                2,
                "2021-12-16",
            ),
            (
                "Dung",
                "2021-12-16",
                QuarantinePlace::Home,
                false,
                "2021-12-29",
                None,
                3,
                "2021-12-16",
            ),
        ];
        for (name, exposure, place, vaccinated, end, monitoring, tests, rule) in table {
            let mut c = contact(w.id(name), ContactSource::Case(case.id), exposure);
            c.place = *place;
            c.vaccinated = *vaccinated;
            let got = store.add_contact(&actor(), &c).await.unwrap();
            assert_eq!(
                (
                    got.plan.end,
                    got.plan.home_monitoring_end,
                    got.plan.test_days.len(),
                    got.plan.rule_effective_from
                ),
                (d(end), monitoring.map(d), *tests, d(rule)),
                "{name}"
            );
            assert_eq!(got.plan.test_days[0], d(exposure));
        }
        // Rules are data: a province shortens home quarantine from 2022.
        let mut rules = QuarantineRule::defaults();
        rules.push(QuarantineRule {
            effective_from: d("2022-01-01"),
            f1_home_days: 10,
            test_days: vec![1, 10],
            ..rules[1].clone()
        });
        store.set_quarantine_rules(&actor(), &rules).await.unwrap();
        assert_eq!(store.quarantine_rules().await.unwrap().len(), 3);
        let got = store
            .add_contact(
                &actor(),
                &contact(w.id("Em"), ContactSource::Case(case.id), "2022-01-05"),
            )
            .await
            .unwrap();
        assert_eq!(
            (got.plan.end, got.plan.test_days.clone()),
            (d("2022-01-14"), vec![d("2022-01-05"), d("2022-01-14")])
        );
        // Bad links are refused.
        let twice = store
            .add_contact(
                &actor(),
                &contact(w.id("Em"), ContactSource::Case(case.id), "2022-01-06"),
            )
            .await
            .unwrap_err();
        assert!(matches!(twice, StoreError::Conflict(_)), "{twice}");
        let own = store
            .add_contact(
                &actor(),
                &contact(w.id("Giang"), ContactSource::Case(case.id), "2022-01-06"),
            )
            .await
            .unwrap_err();
        assert!(matches!(own, StoreError::Invalid(_)), "{own}");
        let mut f2_of_case = contact(w.id("Khoa"), ContactSource::Case(case.id), "2022-01-06");
        f2_of_case.level = ContactLevel::F2;
        let err = store
            .add_contacts(
                &actor(),
                &[
                    contact(w.id("Hai"), ContactSource::Case(case.id), "2022-01-06"),
                    f2_of_case,
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(rows_of(err), [(2, "contact".to_string())]);
        assert!(
            store.contacts_of(w.id("Hai")).await.unwrap().is_empty(),
            "all or nothing"
        );
    })
    .await;
}

#[tokio::test]
async fn cases_in_quarantine_daily_checks_release_and_counts() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let w = world(store).await;
        let giang = store
            .confirm_case(
                &actor(),
                &NewCase {
                    person_id: w.id("Giang"),
                    details: details("2021-09-20", None),
                },
            )
            .await
            .unwrap();
        assert_eq!(giang.source, CaseSource::Community);
        assert_eq!(giang.release_due, d("2021-10-04"));
        let f1 = store
            .add_contact(
                &actor(),
                &contact(w.id("Dung"), ContactSource::Case(giang.id), "2021-09-19"),
            )
            .await
            .unwrap();
        let f2 = store
            .add_contact(
                &actor(),
                &contact(w.id("Lan"), ContactSource::Contact(f1.id), "2021-09-19"),
            )
            .await
            .unwrap();
        assert_eq!(f2.level, ContactLevel::F2);
        // Dũng tests positive in quarantine and is confirmed without naming the source —
        // or naming it "community" by mistake: it is "in quarantine".
        let dung = store
            .confirm_case(
                &actor(),
                &NewCase {
                    person_id: w.id("Dung"),
                    details: details("2021-09-25", Some(CaseSource::Community)),
                },
            )
            .await
            .unwrap();
        assert_eq!(dung.source, CaseSource::InQuarantine);
        assert_eq!(dung.source_contact_id, Some(f1.id));
        let closed = store.contact(f1.id).await.unwrap().unwrap();
        assert_eq!(
            (closed.status, closed.closed_on),
            (ContactStatus::BecameCase, Some(d("2021-09-25")))
        );
        let err = store
            .confirm_case(
                &actor(),
                &NewCase {
                    person_id: w.id("Dung"),
                    details: details("2021-09-26", None),
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict(_)),
            "one open case a person"
        );
        let hai = store
            .confirm_case(
                &actor(),
                &NewCase {
                    person_id: w.id("Hai"),
                    details: details("2021-09-25", Some(CaseSource::Imported)),
                },
            )
            .await
            .unwrap();
        assert_eq!(hai.source, CaseSource::Imported);
        store
            .confirm_case(
                &actor(),
                &NewCase {
                    person_id: w.id("Lan"),
                    details: details("2021-09-25", None),
                },
            )
            .await
            .unwrap();

        let district = store.unit("831").await.unwrap().unwrap();
        let days = store
            .community_cases_by_day(&district, d("2021-09-19"), d("2021-09-26"))
            .await
            .unwrap();
        assert_eq!(days.len(), 8);
        let nonzero: Vec<_> = days
            .iter()
            .filter(|(_, a, b, c)| a + b + c > 0)
            .copied()
            .collect();
        // Lan (F2 whose F1 is closed) is in quarantine too.
        assert_eq!(
            nonzero,
            [(d("2021-09-20"), 1, 0, 0), (d("2021-09-25"), 0, 2, 1)]
        );
        let other = store.unit("28804").await.unwrap().unwrap();
        let days = store
            .community_cases_by_day(&other, d("2021-09-25"), d("2021-09-25"))
            .await
            .unwrap();
        assert_eq!(days, [(d("2021-09-25"), 0, 1, 0)]);

        // Daily checks, release by the rule in force, outcome.
        let check = DailyCheck {
            day: d("2021-09-21"),
            symptoms: "sốt nhẹ".into(),
            spo2: Some(Spo2::new(97).unwrap()),
        };
        store
            .add_daily_check(&actor(), giang.id, &check)
            .await
            .unwrap();
        let corrected = DailyCheck {
            spo2: Some(Spo2::new(95).unwrap()),
            ..check.clone()
        };
        store
            .add_daily_check(&actor(), giang.id, &corrected)
            .await
            .unwrap();
        assert_eq!(store.daily_checks(giang.id).await.unwrap(), [corrected]);
        let early = DailyCheck {
            day: d("2021-09-10"),
            ..check
        };
        assert!(store
            .add_daily_check(&actor(), giang.id, &early)
            .await
            .is_err());
        let err = store
            .release_case(&actor(), giang.id, d("2021-10-03"), Some(d("2021-10-03")))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("due on 2021-10-04"), "{err}");
        let err = store
            .release_case(&actor(), giang.id, d("2021-10-04"), None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("negative test"), "{err}");
        let released = store
            .release_case(&actor(), giang.id, d("2021-10-04"), Some(d("2021-10-03")))
            .await
            .unwrap();
        assert_eq!(
            (released.released_on, released.outcome),
            (Some(d("2021-10-04")), Some(Outcome::Recovered))
        );
        let died = store
            .set_outcome(&actor(), hai.id, Outcome::Died, d("2021-09-30"))
            .await
            .unwrap();
        assert_eq!(died.outcome, Some(Outcome::Died));

        // The whole story of Dũng, in order.
        let timeline = store.person_timeline(w.id("Dung")).await.unwrap();
        let kinds: Vec<TimelineKind> = timeline.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds[..4],
            [
                TimelineKind::ContactExposure,
                TimelineKind::QuarantineStart,
                TimelineKind::QuarantineTestDue,
                TimelineKind::CaseConfirmed,
            ]
        );
        assert!(kinds.contains(&TimelineKind::QuarantineClosed));
        assert!(timeline.windows(2).all(|p| p[0].day <= p[1].day));
    })
    .await;
}

#[tokio::test]
async fn work_lists_show_due_ending_and_overdue() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let w = world(store).await;
        let case = store
            .confirm_case(
                &actor(),
                &NewCase {
                    person_id: w.id("Giang"),
                    details: details("2021-09-14", None),
                },
            )
            .await
            .unwrap();
        let add = |name: &str, exposure: &str| {
            let c = contact(w.id(name), ContactSource::Case(case.id), exposure);
            async move { store.add_contact(&actor(), &c).await.unwrap() }
        };
        let dung = add("Dung", "2021-09-20").await; // tests 20, 26, 3-10; ends 3-10
        let em = add("Em", "2021-09-14").await; // tests 14, 20, 27; ends 27
        add("Lan", "2021-09-26").await; // tests 26; in Tân Thạch
        let district = store.unit("831").await.unwrap().unwrap();
        let names = |items: &[vx_domain::epi::WorkItem]| -> Vec<(String, NaiveDate)> {
            items
                .iter()
                .map(|i| (i.person_name.clone(), i.day))
                .collect()
        };
        let list = store.work_list(&district, d("2021-09-26")).await.unwrap();
        assert_eq!(
            names(&list.tests_due_today),
            [
                ("Phạm Văn Dũng".to_string(), d("2021-09-26")),
                ("Huỳnh Thị Lan".to_string(), d("2021-09-26")),
            ]
        );
        assert_eq!(
            names(&list.overdue),
            [
                ("Võ Thị Em".to_string(), d("2021-09-14")),
                ("Phạm Văn Dũng".to_string(), d("2021-09-20")),
                ("Võ Thị Em".to_string(), d("2021-09-20")),
            ]
        );
        assert!(list.quarantines_ending.is_empty());
        // A hamlet sees only its own.
        let hamlet = store.unit("2880401").await.unwrap().unwrap();
        let list = store.work_list(&hamlet, d("2021-09-26")).await.unwrap();
        assert_eq!((list.tests_due_today.len(), list.overdue.len()), (1, 0));
        // Sampling Dũng on 26-9 (Vietnamese day) ticks his test off; Em's test of the 20th
        // is recorded by a sample taken that day.
        let round = campaign_round(store, TargetGroup::Everyone, 1).await;
        let mut s = sample("Q-0001", round.id, vec![w.id("Dung")]);
        s.collected_at = at("2021-09-25T23:00:00Z");
        store.create_sample(&actor(), &s).await.unwrap();
        let mut s = sample("Q-0002", round.id, vec![w.id("Em")]);
        s.collected_at = at("2021-09-20T02:00:00Z");
        store.create_sample(&actor(), &s).await.unwrap();
        let list = store.work_list(&district, d("2021-09-26")).await.unwrap();
        assert_eq!(
            names(&list.tests_due_today),
            [("Huỳnh Thị Lan".to_string(), d("2021-09-26"))]
        );
        assert_eq!(list.overdue.len(), 2);
        let tests = store.person_timeline(w.id("Dung")).await.unwrap();
        assert!(tests
            .iter()
            .any(|e| e.kind == TimelineKind::QuarantineTestDue && e.detail.contains("sampled (")));

        let list = store.work_list(&district, d("2021-09-27")).await.unwrap();
        assert_eq!(
            list.quarantines_ending
                .iter()
                .map(|i| i.ref_id)
                .collect::<Vec<_>>(),
            [em.id]
        );
        let list = store.work_list(&district, d("2021-09-28")).await.unwrap();
        assert!(list
            .overdue
            .iter()
            .any(|i| i.ref_id == em.id && i.kind == vx_domain::epi::WorkKind::QuarantineEnd));
        store
            .end_quarantine(&actor(), em.id, d("2021-09-28"))
            .await
            .unwrap();
        let list = store.work_list(&district, d("2021-09-28")).await.unwrap();
        assert!(list.overdue.iter().all(|i| i.person_id != w.id("Em")));
        assert!(list.overdue.iter().any(|i| i.ref_id == dung.id));
        assert!(store
            .end_quarantine(&actor(), em.id, d("2021-09-28"))
            .await
            .is_err());
    })
    .await;
}

/// A person name without digits for the n-th generated person.
fn letters(mut n: usize) -> String {
    let mut s = String::new();
    loop {
        s.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    format!("Người {s}")
}

#[tokio::test]
async fn chains_page_on_the_server() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let w = world(store).await;
        // 1,300 more people in 325 households.
        let hhs: Vec<_> = (0..325)
            .map(|i| household(&format!("M{i:04}"), "2884602", "Nguyễn Văn Mười"))
            .collect();
        store
            .import_households(&actor(), located(hhs), &ImportOptions::default())
            .await
            .unwrap();
        let people: Vec<_> = (0..1300)
            .map(|i| {
                person(
                    &format!("M{:04}", i / 4),
                    &letters(i),
                    "1990",
                    Sex::Male,
                    None,
                )
            })
            .collect();
        store
            .import_people(&actor(), located(people), &ImportOptions::default())
            .await
            .unwrap();
        let ids: Vec<i64> = store
            .people(&PeopleQuery {
                within: "/".into(),
                name: Some("nguoi".into()),
                limit: 2000,
                ..Default::default()
            })
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(ids.len(), 1300);
        let root = store
            .confirm_case(
                &actor(),
                &NewCase {
                    person_id: w.id("Giang"),
                    details: details("2021-09-10", None),
                },
            )
            .await
            .unwrap();
        let f1s: Vec<NewContact> = ids[..1000]
            .iter()
            .map(|id| contact(*id, ContactSource::Case(root.id), "2021-09-09"))
            .collect();
        let f1s = store.add_contacts(&actor(), &f1s).await.unwrap();
        let f2s: Vec<NewContact> = ids[1000..1200]
            .iter()
            .map(|id| contact(*id, ContactSource::Contact(f1s[0].id), "2021-09-09"))
            .collect();
        store.add_contacts(&actor(), &f2s).await.unwrap();
        // An F1 becomes a case with 50 contacts of its own.
        let sub = store
            .confirm_case(
                &actor(),
                &NewCase {
                    person_id: f1s[10].person_id,
                    details: details("2021-09-12", None),
                },
            )
            .await
            .unwrap();
        assert_eq!(sub.source, CaseSource::InQuarantine);
        let theirs: Vec<NewContact> = ids[1200..1250]
            .iter()
            .map(|id| contact(*id, ContactSource::Case(sub.id), "2021-09-11"))
            .collect();
        store.add_contacts(&actor(), &theirs).await.unwrap();

        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = store.chain(root.id, cursor.as_deref(), 100).await.unwrap();
            assert!(page.items.len() <= 100);
            pages += 1;
            items.extend(page.items);
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(items.len(), 1 + 1000 + 200 + 1 + 50);
        assert_eq!(pages, 13);
        assert_eq!(
            (items[0].level.as_str(), items[0].depth, items[0].id),
            ("F0", 0, root.id)
        );
        let unique: HashSet<(String, i64)> =
            items.iter().map(|i| (i.level.clone(), i.id)).collect();
        assert_eq!(unique.len(), items.len(), "no item twice across pages");
        // Depth-first: the F2s follow their F1, the sub-case follows its F1, then its contacts.
        assert_eq!((items[1].level.as_str(), items[1].id), ("F1", f1s[0].id));
        assert!(items[2..202]
            .iter()
            .all(|i| i.level == "F2" && i.depth == 2));
        let at_sub = items
            .iter()
            .position(|i| i.level == "F0" && i.id == sub.id)
            .unwrap();
        assert_eq!(items[at_sub - 1].id, f1s[10].id);
        assert_eq!(items[at_sub].depth, 2);
        assert!(items[at_sub + 1..at_sub + 51].iter().all(|i| i.depth == 3));
        let sub_chain = store.chain(sub.id, None, 1000).await.unwrap();
        assert_eq!((sub_chain.items.len(), sub_chain.next), (51, None));
        assert_eq!(sub_chain.items[0].depth, 0);
    })
    .await;
}

#[tokio::test]
async fn every_write_kind_is_audited() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let w = world(store).await;
        let round = campaign_round(store, TargetGroup::Everyone, 1).await;
        let c = store
            .campaign(round.data.campaign_id)
            .await
            .unwrap()
            .unwrap();
        store
            .update_campaign(&actor(), c.id, &c.data)
            .await
            .unwrap();
        let moved = NewRound {
            end: d("2021-09-24"),
            ..round.data.clone()
        };
        let round = store
            .update_round(&actor(), round.id, &moved)
            .await
            .unwrap();
        assert_eq!(round.data.end, d("2021-09-24"));
        let mut s = sample("A-0001", round.id, vec![w.id("Lan")]);
        s.pooled = true;
        let s = store.create_sample(&actor(), &s).await.unwrap();
        let h1 = store.household_by_code("H1").await.unwrap().unwrap();
        store
            .add_household_to_sample(&actor(), s.id, h1.id)
            .await
            .unwrap();
        store
            .create_sample(&actor(), &sample("A-0002", round.id, vec![w.id("Giang")]))
            .await
            .unwrap();
        store
            .import_results(
                &actor(),
                "Lab A",
                located(vec![
                    result("A-0001", LabResult::Negative),
                    result("A-0002", LabResult::Positive),
                ]),
                &ImportOptions::default(),
            )
            .await
            .unwrap();
        let s = store
            .import_results(
                &actor(),
                "Lab B",
                located(vec![result("A-0001", LabResult::Positive)]),
                &ImportOptions::default(),
            )
            .await
            .unwrap();
        store
            .resolve_conflict(&actor(), s.conflicts[0].conflict_id.unwrap(), false, "kept")
            .await
            .unwrap();
        let proposal = store
            .case_proposals(ProposalStatus::Proposed, 0, 1)
            .await
            .unwrap()[0]
            .clone();
        let case = store
            .confirm_proposal(&actor(), proposal.id, &details("2021-09-22", None))
            .await
            .unwrap();
        store
            .add_daily_check(
                &actor(),
                case.id,
                &DailyCheck {
                    day: d("2021-09-23"),
                    symptoms: String::new(),
                    spo2: None,
                },
            )
            .await
            .unwrap();
        let k = store
            .add_contact(
                &actor(),
                &contact(w.id("Khoa"), ContactSource::Case(case.id), "2021-09-21"),
            )
            .await
            .unwrap();
        store
            .end_quarantine(&actor(), k.id, d("2021-10-04"))
            .await
            .unwrap();
        store
            .add_contact(
                &actor(),
                &contact(w.id("Hai"), ContactSource::Case(case.id), "2021-09-21"),
            )
            .await
            .unwrap();
        store
            .confirm_case(
                &actor(),
                &NewCase {
                    person_id: w.id("Hai"),
                    details: details("2021-09-24", None),
                },
            )
            .await
            .unwrap();
        store
            .release_case(&actor(), case.id, d("2021-10-06"), Some(d("2021-10-05")))
            .await
            .unwrap();
        store
            .set_outcome(&actor(), case.id, Outcome::Recovered, d("2021-10-06"))
            .await
            .unwrap();
        store
            .set_release_rules(&actor(), &vx_domain::epi::ReleaseRule::defaults())
            .await
            .unwrap();
        let rows = vec![SampleRow {
            sample_code: code("A-0003"),
            round_id: round.id,
            method: SampleMethod::RtPcr,
            pooled: false,
            high_risk: false,
            collected_at: at("2021-09-22T01:00:00Z"),
            collector: "Tổ 2".into(),
            laboratory: "CDC".into(),
            person: PersonRef::CitizenId(CitizenId::parse("083070001234").unwrap()),
        }];
        let other_round = campaign_round(store, TargetGroup::Everyone, 2).await;
        let rows: Vec<SampleRow> = rows
            .into_iter()
            .map(|mut r| {
                r.round_id = other_round.id;
                r
            })
            .collect();
        store
            .import_samples(&actor(), located(rows), &ImportOptions::default())
            .await
            .unwrap();
        let p2 = store
            .create_sample(
                &actor(),
                &sample("A-0004", other_round.id, vec![w.id("Minh")]),
            )
            .await
            .unwrap();
        store
            .import_results(
                &actor(),
                "Lab A",
                located(vec![result("A-0004", LabResult::Positive)]),
                &ImportOptions::default(),
            )
            .await
            .unwrap();
        let proposal = store.case_proposals_of(w.id("Minh")).await.unwrap()[0].clone();
        assert_eq!(proposal.sample_id, p2.id);
        store.reject_proposal(&actor(), proposal.id).await.unwrap();

        let log = store.audit_log(None, None, 10_000).await.unwrap();
        let kinds: HashSet<(String, String)> = log
            .iter()
            .map(|e| (e.entity.clone(), e.action.clone()))
            .collect();
        for (entity, action) in [
            ("campaign", "create"),
            ("campaign", "update"),
            ("round", "create"),
            ("round", "update"),
            ("round", "count-targets"),
            ("sample", "create"),
            ("sample", "add-household"),
            ("sample", "conflict"),
            ("import_batch", "import"),
            ("result_conflict", "kept"),
            ("case_proposal", "confirm"),
            ("case_proposal", "reject"),
            ("case", "confirm"),
            ("case", "check"),
            ("case", "release"),
            ("case", "outcome"),
            ("contact", "create"),
            ("contact", "release"),
            ("contact", "close"),
            ("epi_rules", "update"),
        ] {
            assert!(
                kinds.contains(&(entity.to_string(), action.to_string())),
                "no audit entry {entity}/{action}"
            );
        }
    })
    .await;
}

/// Bulk import at scale: `VX_EPI_SAMPLES=100000 cargo test --release -p vx-store --test store
/// epi::samples_import_at_scale -- --ignored --nocapture` (4 people a sample).
#[tokio::test]
#[ignore]
async fn samples_import_at_scale() {
    let n: usize = std::env::var("VX_EPI_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    each_backend(|ts| async move {
        let store = &ts.store;
        seed_units(store).await;
        let households = n; // four people each
        assert!(n <= 2_000_000, "citizen IDs run out");
        let started = std::time::Instant::now();
        let hamlets = ["2884601", "2884602", "2880401"];
        let hhs: Vec<_> = (0..households)
            .map(|i| household(&format!("B{i:07}"), hamlets[i % 3], "Nguyễn Văn Mười"))
            .collect();
        store
            .import_households(&actor(), located(hhs), &ImportOptions::default())
            .await
            .unwrap();
        let people: Vec<_> = (0..households * 4)
            .map(|i| {
                let mut p = person(
                    &format!("B{:07}", i / 4),
                    &letters(i),
                    "1990",
                    Sex::Male,
                    None,
                );
                // CCCD: province 083, century/sex digit, two year digits, six serial digits.
                let sex_digit = if i % 2 == 0 { '0' } else { '1' };
                p.sex = if i % 2 == 0 { Sex::Male } else { Sex::Female };
                p.citizen_id = Some(
                    CitizenId::parse(&format!(
                        "083{sex_digit}{}{:06}",
                        90 + i / 1_000_000,
                        i % 1_000_000
                    ))
                    .unwrap(),
                );
                p
            })
            .collect();
        store
            .import_people(&actor(), located(people), &ImportOptions::default())
            .await
            .unwrap();
        eprintln!(
            "registry of {} people: {:?}",
            households * 4,
            started.elapsed()
        );
        let round = campaign_round(store, TargetGroup::Everyone, 1).await;
        let rows: Vec<SampleRow> = (0..households * 4)
            .map(|i| {
                let sex_digit = if i % 2 == 0 { '0' } else { '1' };
                SampleRow {
                    sample_code: code(&format!("BT-{:07}", i / 4)),
                    round_id: round.id,
                    method: SampleMethod::RtPcr,
                    pooled: true,
                    high_risk: false,
                    collected_at: at("2021-09-21T23:30:00Z"),
                    collector: "Tổ 1".into(),
                    laboratory: "CDC Bến Tre".into(),
                    person: PersonRef::CitizenId(
                        CitizenId::parse(&format!(
                            "083{sex_digit}{}{:06}",
                            90 + i / 1_000_000,
                            i % 1_000_000
                        ))
                        .unwrap(),
                    ),
                }
            })
            .collect();
        let started = std::time::Instant::now();
        let s = store
            .import_samples(&actor(), located(rows.clone()), &ImportOptions::default())
            .await
            .unwrap();
        let took = started.elapsed();
        assert_eq!(s.created as usize, households);
        eprintln!(
            "{:?}: {} samples, {} members in {:?} ({:.0} rows/s)",
            ts.backend(),
            households,
            rows.len(),
            took,
            rows.len() as f64 / took.as_secs_f64()
        );
        // The baseline: the rows the import wrote, taken out and written back by the
        // database's own bulk path (COPY; SQLite prepared inserts), as `bench suite` does.
        let raw = store.bench_take_round(round.id).await.unwrap();
        let started = std::time::Instant::now();
        store.bench_raw_load_round(&raw).await.unwrap();
        let raw_took = started.elapsed();
        eprintln!(
            "{:?}: raw load of the same rows in {:?} ({:.0} rows/s): import at {:.2}× the raw speed",
            ts.backend(),
            raw_took,
            rows.len() as f64 / raw_took.as_secs_f64(),
            raw_took.as_secs_f64() / took.as_secs_f64()
        );
        let started = std::time::Instant::now();
        let s = store
            .import_samples(&actor(), located(rows), &ImportOptions::default())
            .await
            .unwrap();
        assert_eq!(s.unchanged as usize, households);
        eprintln!(
            "{:?}: the same file again in {:?}",
            ts.backend(),
            started.elapsed()
        );
        let results: Vec<ResultRow> = (0..households)
            .map(|i| {
                result(
                    &format!("BT-{i:07}"),
                    if i % 500 == 0 {
                        LabResult::Positive
                    } else {
                        LabResult::Negative
                    },
                )
            })
            .collect();
        let started = std::time::Instant::now();
        let s = store
            .import_results(
                &actor(),
                "CDC Bến Tre",
                located(results),
                &ImportOptions::default(),
            )
            .await
            .unwrap();
        eprintln!(
            "{:?}: {} results in {:?} ({} retest orders)",
            ts.backend(),
            s.recorded,
            started.elapsed(),
            s.retest_orders
        );
        let started = std::time::Instant::now();
        let district = store.unit("831").await.unwrap().unwrap();
        let cov = store.coverage(round.id, &district).await.unwrap();
        eprintln!(
            "{:?}: coverage in {:?}: {:?}",
            ts.backend(),
            started.elapsed(),
            cov[0]
        );
        assert_eq!(cov[0].sampled as usize, households * 4);
    })
    .await;
}
