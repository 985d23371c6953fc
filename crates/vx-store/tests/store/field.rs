//! Field work offline (issue 18): what a phone pulls equals what the pages show, and two
//! phones editing one check at once never lose an update.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use vx_domain::epi::{
    CaseDetails, ContactLevel, ContactSource, IsolationPlace, NewCampaign, NewCase, NewContact,
    NewRound, NewSample, QuarantinePlace, SampleCode, SampleMethod, Severity, TargetGroup,
};
use vx_domain::field::{CheckFields, NewCheck, Temperature};
use vx_domain::{Relation, Sex, UnitCode};
use vx_store::{CheckWrite, Store};

use super::{actor, each_backend, household, person, seed_units};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Two hamlets of Phước Thạnh and one of Tân Thạch, three households each, four people per
/// household of different ages (the second a child, heads first or not).
async fn registry(store: &Store) -> Vec<i64> {
    seed_units(store).await;
    let mut ids = Vec::new();
    for hamlet in ["2884601", "2884602", "2880401"] {
        for h in 1..=3 {
            let code = format!("{hamlet}-{h:04}");
            store
                .create_household(&actor(), &household(&code, hamlet, "Chủ Hộ"))
                .await
                .unwrap();
            let names = ["Lan", "Mai", "Cúc", "Đào"];
            for (i, birth) in ["1950", "2015", "1985", "2001"].iter().enumerate() {
                let name = format!("{} Thị {}", ["Nguyễn", "Trần", "Lê"][h - 1], names[i]);
                let mut p = person(&code, &name, birth, Sex::Female, None);
                // The head is not always the first registered.
                p.relation = if (i + h) % 4 == 1 {
                    Relation::Head
                } else {
                    Relation::Child
                };
                ids.push(store.create_person(&actor(), &p).await.unwrap().id);
            }
        }
    }
    ids
}

#[tokio::test]
async fn the_field_pull_lists_whom_the_sampling_list_still_has_to_sample() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let people = registry(store).await;
        for (n, target) in [
            TargetGroup::Everyone,
            TargetGroup::OnePerHousehold,
            TargetGroup::Ages { from: 18, to: 65 },
        ]
        .into_iter()
        .enumerate()
        {
            let c = store
                .create_campaign(
                    &actor(),
                    &NewCampaign {
                        name: format!("Đợt {n}"),
                        target_units: vec![UnitCode::parse("28846").unwrap()],
                        target,
                    },
                )
                .await
                .unwrap();
            let round = store
                .create_round(
                    &actor(),
                    &NewRound {
                        campaign_id: c.id,
                        number: 1,
                        start: d("2021-09-20"),
                        end: d("2021-09-22"),
                    },
                )
                .await
                .unwrap();
            // Some are sampled already: a pool of the first household's first two.
            store
                .create_sample(
                    &actor(),
                    &NewSample {
                        code: SampleCode::parse(&format!("POOL-{n}")).unwrap(),
                        round_id: round.id,
                        method: SampleMethod::RtPcr,
                        pooled: true,
                        high_risk: false,
                        collected_at: "2021-09-20T02:00:00Z".parse().unwrap(),
                        collector: "tổ 1".into(),
                        laboratory: "CDC".into(),
                        members: people[..2].to_vec(),
                        retest_order_id: None,
                    },
                )
                .await
                .unwrap();
            // Each scope, and the hamlets whose sampling lists it holds.
            for (scope, hamlets) in [
                (&["28846"][..], &["2884601", "2884602"][..]),
                (&["2884601", "2884602"], &["2884601", "2884602"]),
                (&["2884601"], &["2884601"]),
            ] {
                let mut roots = Vec::new();
                for code in scope {
                    roots.push(store.unit(code).await.unwrap().unwrap());
                }
                let pulled: BTreeSet<i64> = store
                    .field_rounds(&roots, d("2021-09-21"))
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|r| r.id == round.id)
                    .flat_map(|r| r.to_sample)
                    .collect();
                let mut want = BTreeSet::new();
                for hamlet in hamlets {
                    for (p, sampled) in store.sampling_list(round.id, hamlet).await.unwrap() {
                        if !sampled {
                            want.insert(p.id);
                        }
                    }
                }
                assert!(
                    !want.is_empty(),
                    "round {n}, scope {scope:?}: someone to sample"
                );
                assert_eq!(pulled, want, "round {n}, scope {scope:?}");
            }
            // Tân Thạch is not targeted; a closed round is not pulled.
            let tan_thach = store.unit("28804").await.unwrap().unwrap();
            assert!(store
                .field_rounds(&[tan_thach], d("2021-09-21"))
                .await
                .unwrap()
                .iter()
                .all(|r| r.id != round.id));
            let phuoc_thanh = store.unit("28846").await.unwrap().unwrap();
            assert!(store
                .field_rounds(&[phuoc_thanh], d("2021-09-23"))
                .await
                .unwrap()
                .iter()
                .all(|r| r.id != round.id));
        }
    })
    .await;
}

#[tokio::test]
async fn two_phones_editing_one_check_at_once_never_lose_an_update() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let people = registry(store).await;
        let case = store
            .confirm_case(
                &actor(),
                &NewCase {
                    person_id: people[4],
                    details: CaseDetails {
                        confirmed_on: d("2021-09-19"),
                        source: None,
                        severity: Severity::Mild,
                        place: IsolationPlace::Home,
                        isolation_start: d("2021-09-19"),
                    },
                },
            )
            .await
            .unwrap();
        let contact = store
            .add_contact(
                &actor(),
                &NewContact {
                    person_id: people[0],
                    source: ContactSource::Case(case.id),
                    level: ContactLevel::F1,
                    exposure_date: d("2021-09-18"),
                    place: QuarantinePlace::Home,
                    vaccinated: false,
                },
            )
            .await
            .unwrap();
        let today = d("2021-09-21");
        let fields = |t: u16, s: &str| CheckFields {
            temperature: Some(Temperature::from_tenths(i64::from(t)).unwrap()),
            symptoms: s.into(),
            present: true,
        };
        let check = |f: CheckFields| NewCheck {
            contact_id: contact.id,
            day: today,
            fields: f,
        };
        let base = fields(368, "");
        let v1 = match store
            .record_check(&actor(), &check(base.clone()), None, today, None)
            .await
            .unwrap()
        {
            CheckWrite::Applied { check, .. } => check.version,
            other => panic!("{other:?}"),
        };
        // Twenty phones, each on v1, each writing its own symptoms at the same moment: one
        // is applied, every other one is a conflict (never a silent overwrite).
        let writes = (0..20).map(|i| {
            let store = store.clone();
            let (c, base) = (
                check(fields(368, &format!("triệu chứng {i}"))),
                base.clone(),
            );
            async move {
                store
                    .record_check(&actor(), &c, Some((v1, &base)), today, None)
                    .await
                    .unwrap()
            }
        });
        let outcomes = futures::future::join_all(writes).await;
        let applied: Vec<&CheckWrite> = outcomes
            .iter()
            .filter(|o| matches!(o, CheckWrite::Applied { .. }))
            .collect();
        assert_eq!(applied.len(), 1, "{outcomes:?}");
        let stored = store.check_of(contact.id, today).await.unwrap().unwrap();
        if let CheckWrite::Applied { check, .. } = applied[0] {
            assert_eq!(stored.fields.symptoms, check.fields.symptoms);
            assert_eq!(stored.version, check.version);
        }
        for o in &outcomes {
            if let CheckWrite::Conflict { fields, .. } = o {
                assert_eq!(fields, &vec!["symptoms"]);
            }
        }
        // Outside the quarantine, or after the server's day: refused.
        for day in ["2021-09-17", "2021-09-22"] {
            let c = NewCheck {
                day: d(day),
                ..check(base.clone())
            };
            assert!(
                store
                    .record_check(&actor(), &c, None, today, None)
                    .await
                    .is_err(),
                "{day}"
            );
        }
    })
    .await;
}
