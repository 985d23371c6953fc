//! Operations (issue 7) on both backends: permits and their tokens, revocations,
//! crossings and who crossed with whom, businesses and their status, aid programmes with
//! eligibility, one distribution per household (also under concurrent entry) and the gap
//! report.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use vx_domain::ops::business::{Arrangements, Sector};
use vx_domain::ops::permit::{
    verify, Conditions, Direction, Holder, NewPermit, Plate, PublicKey, Refusal, Shown,
};
use vx_domain::ops::support::{AidKind, Combine, NewProgramme, Rule};
use vx_domain::{HouseholdCode, Person, Sex, UnitCode};
use vx_store::ops::{Handed, NewBusiness, NewCrossing, NewDistribution};
use vx_store::{Store, StoreError};

use crate::{actor, each_backend, household, person, seed_units};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn code(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

/// Units, four households in Phước Thạnh's two hamlets and one in Tân Thạch:
/// H1 (poor, two people), H2 (one elderly woman alone), H3 (neither), H4 (lost income),
/// T1 in Tân Thạch (poor).
async fn world(store: &Store) -> Vec<Person> {
    seed_units(store).await;
    for (hh, unit, head, poor, lost) in [
        ("H1", "2884601", "Nguyễn Văn An", true, false),
        ("H2", "2884601", "Trần Thị Bé", false, false),
        ("H3", "2884602", "Lê Văn Cường", false, false),
        ("H4", "2884602", "Phạm Thị Dung", false, true),
        ("T1", "2880401", "Võ Văn Em", true, false),
    ] {
        let mut h = household(hh, unit, head);
        h.poor = poor;
        h.lost_income = lost;
        store.create_household(&actor(), &h).await.unwrap();
    }
    let mut out = Vec::new();
    for (hh, name, birth) in [
        ("H1", "Nguyễn Văn An", "1980-01-01"),
        ("H1", "Nguyễn Thị Hoa", "1982-02-02"),
        ("H2", "Trần Thị Bé", "1940-03-03"),
        ("H3", "Lê Văn Cường", "1990-04-04"),
        ("H3", "Lê Thị Hằng", "1992-05-05"),
        ("H4", "Phạm Thị Dung", "1985-06-06"),
        ("T1", "Võ Văn Em", "1970-07-07"),
    ] {
        out.push(
            store
                .create_person(&actor(), &person(hh, name, birth, Sex::Female, None))
                .await
                .unwrap(),
        );
    }
    out
}

fn vehicle_permit() -> NewPermit {
    NewPermit {
        issuer: code("28846"),
        holder: Holder::Vehicle {
            plate: Plate::parse("71C-123.45").unwrap(),
            driver: "Nguyễn Văn An".into(),
        },
        purpose: "Chở hàng thiết yếu vào khu công nghiệp Giao Long".into(),
        destinations: vec![code("28804")],
        valid_from: at("2021-09-01T00:00:00Z"),
        valid_to: at("2021-09-15T00:00:00Z"),
        conditions: Conditions {
            negative_test_hours: Some(72),
            vaccine_doses: None,
        },
    }
}

#[tokio::test]
async fn permits_are_signed_verified_offline_and_revoked() {
    each_backend(|ts| async move {
        let store = &ts.store;
        world(store).await;
        let issuer = store.unit("28846").await.unwrap().unwrap();
        let (permit, token) = store
            .issue_permit(&actor(), &issuer, &vehicle_permit())
            .await
            .unwrap();
        // The key is made once and kept: the same public key, the same token again.
        let key = store.permit_key().await.unwrap();
        assert_eq!(
            key.public_hex(),
            store.permit_key().await.unwrap().public_hex()
        );
        assert_eq!(store.permit_token(&permit).await.unwrap(), token);
        // A device with only the public key verifies it.
        let public = PublicKey::from_hex(&key.public_hex()).unwrap();
        let now = at("2021-09-05T01:00:00Z");
        let revoked = store.revoked_ids().await.unwrap();
        let claims = verify(&token, &public, now, &revoked).unwrap();
        assert_eq!(claims.id, permit.id);
        assert_eq!(claims.plate.as_deref(), Some("71C12345"));
        assert_eq!(claims.destinations, ["28804"]);
        assert_eq!(permit.permit, vehicle_permit());
        // Expired after its validity.
        assert!(matches!(
            verify(&token, &public, at("2021-09-20T00:00:00Z"), &revoked),
            Err(Refusal::Expired { .. })
        ));
        // Bad input refused with a field.
        let mut bad = vehicle_permit();
        bad.destinations = vec![code("99999")];
        let err = store
            .issue_permit(&actor(), &issuer, &bad)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("destinations"), "{err}");
        bad = vehicle_permit();
        bad.purpose = " ".into();
        assert!(matches!(
            store.issue_permit(&actor(), &issuer, &bad).await,
            Err(StoreError::Invalid(_))
        ));

        // Revoked: listed for sync, refused by the device once synced.
        let before = Utc::now() - Duration::seconds(1);
        let r = store
            .revoke_permit(&actor(), permit.id, "Lái xe là F1")
            .await
            .unwrap();
        assert!(r.revoked_at.is_some());
        assert_eq!(r.revoke_reason.as_deref(), Some("Lái xe là F1"));
        let since = store.revocations(Some(before)).await.unwrap();
        assert_eq!(since.iter().map(|x| x.0).collect::<Vec<_>>(), [permit.id]);
        assert!(store
            .revocations(Some(Utc::now() + Duration::hours(1)))
            .await
            .unwrap()
            .is_empty());
        let revoked = store.revoked_ids().await.unwrap();
        assert_eq!(
            verify(&token, &public, now, &revoked),
            Err(Refusal::Revoked { id: permit.id })
        );
        // Revoking again keeps the first revocation.
        let again = store
            .revoke_permit(&actor(), permit.id, "khác")
            .await
            .unwrap();
        assert_eq!(again.revoke_reason.as_deref(), Some("Lái xe là F1"));

        let listed = store.permits_under(&issuer, 10).await.unwrap();
        assert_eq!(listed.len(), 1);
        let audit = store
            .audit_log(Some(("permits", &permit.id.to_string())), None, 10)
            .await
            .unwrap();
        let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["revoke", "issue"]);
    })
    .await;
}

#[tokio::test]
async fn crossings_show_who_crossed_with_a_person_later_found_f0() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let people = world(store).await;
        let commune = store.unit("28846").await.unwrap().unwrap();
        let cp = store
            .create_checkpoint(
                &actor(),
                &commune,
                "Chốt cầu Phước Thạnh",
                "Cầu Phước Thạnh, QL60",
                "Tổ 1: Anh, Bình",
            )
            .await
            .unwrap();
        let other = store
            .create_checkpoint(
                &actor(),
                &commune,
                "Chốt bến phà",
                "Bến phà Phước Thạnh",
                "Tổ 2",
            )
            .await
            .unwrap();
        assert_eq!(store.checkpoints_under(&commune).await.unwrap().len(), 2);
        let base = at("2021-09-10T01:00:00Z");
        let crossing =
            |cp: i64, minutes: i64, person: Option<&Person>, name: &str, plate: Option<&str>| {
                NewCrossing {
                    checkpoint_id: cp,
                    at: base + Duration::minutes(minutes),
                    direction: Direction::In,
                    person_id: person.map(|p| p.id),
                    holder_name: name.into(),
                    plate: plate.map(|p| Plate::parse(p).unwrap()),
                    permit_id: None,
                    test: Some((Shown::Negative, base - Duration::hours(20))),
                    allowed: true,
                    reason: "Âm tính trong 72 giờ".into(),
                }
            };
        let (an, cuong, dung) = (&people[0], &people[3], &people[5]);
        for c in [
            crossing(cp.id, 0, Some(an), "Nguyễn Văn An", None),
            crossing(cp.id, 10, Some(cuong), "Lê Văn Cường", None),
            crossing(cp.id, -20, None, "Tài xế", Some("71C-123.45")),
            crossing(cp.id, 180, Some(dung), "Phạm Thị Dung", None),
            crossing(other.id, 5, Some(dung), "Phạm Thị Dung", None),
        ] {
            store.record_crossing(&actor(), &c).await.unwrap();
        }
        // An at 08:00 crossed with Cường (08:10) and the truck (07:40), not with Dung
        // (11:00, or at another checkpoint).
        let traced = store
            .crossed_with(an.id, Duration::minutes(30))
            .await
            .unwrap();
        assert_eq!(traced.len(), 1);
        let names: Vec<&str> = traced[0]
            .1
            .iter()
            .map(|c| c.crossing.holder_name.as_str())
            .collect();
        assert_eq!(names, ["Tài xế", "Lê Văn Cường"]);
        assert_eq!(
            traced[0].1[0].crossing.plate.as_ref().unwrap().as_str(),
            "71C12345"
        );
        let day = store
            .crossings(cp.id, base - Duration::hours(8), base + Duration::hours(16))
            .await
            .unwrap();
        assert_eq!(day.len(), 4);
        assert_eq!(day[0].crossing.holder_name, "Phạm Thị Dung", "newest first");
        assert_eq!(day[3].crossing.test.unwrap().0, Shown::Negative);
        // A crossing with neither name nor plate is refused.
        let mut empty = crossing(cp.id, 1, None, " ", None);
        empty.plate = None;
        assert!(matches!(
            store.record_crossing(&actor(), &empty).await,
            Err(StoreError::Invalid(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn businesses_open_by_level_and_positive_workers_close_them() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let people = world(store).await;
        let hamlet = store.unit("2884601").await.unwrap().unwrap();
        let factory = store
            .create_business(
                &actor(),
                &hamlet,
                &NewBusiness {
                    name: "Công ty May Giao Long".into(),
                    sector: Sector::Manufacturing,
                    household: false,
                    address: "KCN Giao Long".into(),
                    arrangements: Arrangements {
                        safety_plan: true,
                        three_on_site: true,
                        one_route: false,
                    },
                },
            )
            .await
            .unwrap();
        for p in &people[..3] {
            assert!(store.add_worker(&actor(), factory.id, p.id).await.unwrap());
        }
        assert!(
            !store
                .add_worker(&actor(), factory.id, people[0].id)
                .await
                .unwrap(),
            "idempotent"
        );
        let day = d("2021-09-15");
        // No level stored for the day: closed, and why.
        let (level, _, decision) = store
            .business_decision(&store.business(factory.id).await.unwrap().unwrap(), day)
            .await
            .unwrap();
        assert_eq!(level, None);
        assert_eq!(decision.status.code(), "closed");

        // Classified green: open.
        let district = store.unit("831").await.unwrap().unwrap();
        store.classify(&actor(), &district, day, day).await.unwrap();
        assert_eq!(store.level_in_force(&hamlet, day).await.unwrap(), Some(1));
        let b = store.business(factory.id).await.unwrap().unwrap();
        assert_eq!(b.workers, 3);
        let (_, workers, decision) = store.business_decision(&b, day).await.unwrap();
        assert_eq!(decision.status.code(), "open", "{decision:?}");
        assert_eq!(workers.len(), 3);

        // Testing at level 4: every 3 days; a test 4 days ago is overdue, yesterday's is not.
        store
            .record_worker_test(
                &actor(),
                factory.id,
                people[0].id,
                d("2021-09-11"),
                Shown::Negative,
            )
            .await
            .unwrap();
        store
            .record_worker_test(
                &actor(),
                factory.id,
                people[1].id,
                d("2021-09-14"),
                Shown::Negative,
            )
            .await
            .unwrap();
        let at4 = store.workers(factory.id, day, Some(4)).await.unwrap();
        let overdue: Vec<(&str, bool)> = at4.iter().map(|w| (w.name.as_str(), w.overdue)).collect();
        assert_eq!(
            overdue,
            [
                ("Nguyễn Thị Hoa", false),
                ("Nguyễn Văn An", true),
                ("Trần Thị Bé", true)
            ]
        );
        assert_eq!(at4[0].due, Some(d("2021-09-17")));

        // A positive worker closes the business and shows where it is.
        store
            .record_worker_test(
                &actor(),
                factory.id,
                people[2].id,
                d("2021-09-14"),
                Shown::Positive,
            )
            .await
            .unwrap();
        let (_, _, decision) = store.business_decision(&b, day).await.unwrap();
        assert_eq!(decision.status.code(), "closed");
        assert!(decision
            .reasons
            .iter()
            .any(|r| r.text_vi().contains("dương tính")));
        let affected = store.businesses_of_worker(people[2].id).await.unwrap();
        assert_eq!(affected.len(), 1);
        assert_eq!(affected[0].unit_code, "2884601");
        assert_eq!(store.businesses_under(&district).await.unwrap().len(), 1);
        let audit = store
            .audit_log(Some(("businesses", &factory.id.to_string())), None, 5)
            .await
            .unwrap();
        assert_eq!(audit.len(), 1);
    })
    .await;
}

fn food_packages() -> NewProgramme {
    NewProgramme {
        name: "Túi an sinh tỉnh Bến Tre".into(),
        kind: AidKind::Goods,
        amount_vnd: None,
        goods: "10 kg gạo, 1 thùng mì, 1 chai dầu ăn".into(),
        unit_code: code("28846"),
        rules: vec![Rule::Poor, Rule::ElderlyAlone, Rule::LostIncome],
        combine: Combine::Any,
    }
}

fn handed(programme_id: i64, household_id: i64, receipt: &str) -> NewDistribution {
    NewDistribution {
        programme_id,
        household_id,
        handed_on: d("2021-09-12"),
        handed_by: "Tổ COVID ấp 1".into(),
        what: String::new(),
        amount_vnd: None,
        receipt: receipt.into(),
    }
}

#[tokio::test]
async fn aid_goes_once_to_each_eligible_household_and_the_gap_shows() {
    each_backend(|ts| async move {
        let store = &ts.store;
        world(store).await;
        let g = store
            .create_programme(&actor(), &food_packages())
            .await
            .unwrap();
        let commune = store.unit("28846").await.unwrap().unwrap();
        let day = d("2021-09-12");
        let list = store.eligible_households(&g, &commune, day).await.unwrap();
        let got: Vec<(&str, Vec<Rule>)> = list
            .iter()
            .map(|e| (e.code.as_str(), e.rules.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("H1", vec![Rule::Poor]),
                ("H2", vec![Rule::ElderlyAlone]),
                ("H4", vec![Rule::LostIncome]),
            ]
        );
        // Tân Thạch's poor household is outside the programme's commune.
        let tan_thach = store.unit("28804").await.unwrap().unwrap();
        assert!(store
            .eligible_households(&g, &tan_thach, day)
            .await
            .unwrap()
            .is_empty());

        let hh = |c: &str| {
            let c = HouseholdCode::parse(c).unwrap();
            async move { store.household_by_code(c.as_str()).await.unwrap().unwrap() }
        };
        let h1 = hh("H1").await;
        let first = store
            .distribute(&actor(), &handed(g.id, h1.id, "BN-0001"))
            .await
            .unwrap();
        let Handed::Recorded(first) = first else {
            panic!("first distribution refused: {first:?}")
        };
        assert_eq!(
            first.distribution.what,
            "10 kg gạo, 1 thùng mì, 1 chai dầu ăn"
        );
        // Twice: refused, with the earlier record.
        let earlier = store
            .distribute(&actor(), &handed(g.id, h1.id, "BN-0099"))
            .await
            .unwrap();
        let Handed::Earlier(earlier) = earlier else {
            panic!("second distribution recorded: {earlier:?}")
        };
        assert_eq!(earlier.id, first.id);
        assert_eq!(earlier.distribution.receipt, "BN-0001");
        // Not eligible: refused.
        let h3 = hh("H3").await;
        let err = store
            .distribute(&actor(), &handed(g.id, h3.id, "BN-0002"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not eligible"), "{err}");

        // Eight officers enter H2 at once: one record, seven refusals naming it.
        let h2 = hh("H2").await;
        let tries = (0..8).map(|i| {
            let store = store.clone();
            let d = handed(g.id, h2.id, &format!("BN-1{i:03}"));
            tokio::spawn(async move { store.distribute(&actor(), &d).await })
        });
        let results: Vec<_> = futures::future::join_all(tries)
            .await
            .into_iter()
            .map(|r| r.unwrap().unwrap())
            .collect();
        let won: Vec<_> = results
            .iter()
            .filter_map(|r| match r {
                Handed::Recorded(d) => Some(d),
                Handed::Earlier(_) => None,
            })
            .collect();
        assert_eq!(won.len(), 1, "{results:?}");
        assert!(results.iter().all(|r| match r {
            Handed::Recorded(d) | Handed::Earlier(d) => d.id == won[0].id,
        }));
        let audit = store.audit_log(None, None, 200).await.unwrap();
        assert_eq!(
            audit.iter().filter(|a| a.entity == "distributions").count(),
            2
        );

        // The gap: H4 in Ấp 2 is eligible and not supported yet.
        let gap = store.gap_report(&g, &commune, day).await.unwrap();
        let rows: Vec<(&str, i64, i64, i64)> = gap
            .iter()
            .map(|r| (r.unit_code.as_str(), r.eligible, r.supported, r.gap))
            .collect();
        assert_eq!(rows, [("2884601", 2, 2, 0), ("2884602", 1, 0, 1)]);
        let given = store.distributions(g.id, &commune).await.unwrap();
        assert_eq!(given.len(), 2);

        // A cash programme needs an amount.
        let mut cash = food_packages();
        cash.kind = AidKind::Cash;
        assert!(matches!(
            store.create_programme(&actor(), &cash).await,
            Err(StoreError::Invalid(_))
        ));
    })
    .await;
}
