//! Duplicates and merge (issue 14 part 3), as a story on both backends: a commune lists its
//! candidate pairs (and not its unrelated namesakes), merges one, the merged person's
//! samples, cases and doses follow the kept one (a dose it already has stays), the merge
//! is undone from its record, and a pair said not to be one is not suggested again.

use vx_domain::epi::{
    CaseDetails, CaseSource, IsolationPlace, NewCampaign, NewCase, NewRound, NewSample, SampleCode,
    SampleMethod, Severity, TargetGroup,
};
use vx_domain::{Access, Phone, Role, Sex, UnitCode};
use vx_store::{DosePerson, DuplicateReason, ImportOptions, NewDose, Store, StoreError};

use crate::{actor, each_backend, household, located, person, seed_units};

/// One person of the story: key, household, name, birth, sex, citizen ID, phone.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Sex,
    Option<&'static str>,
    Option<&'static str>,
);

/// The people of the story.
const PEOPLE: &[Row] = &[
    // the same man twice: once by the commune (with his CCCD), once from a hamlet's list
    // (another household, no CCCD, his phone), same birth date
    (
        "An",
        "2884601-0001",
        "Nguyễn Văn An",
        "1980-05-01",
        Sex::Male,
        Some("083080001234"),
        None,
    ),
    (
        "An2",
        "2884601-0002",
        "NGUYEN VAN AN",
        "1980-05-01",
        Sex::Male,
        None,
        Some("0912345678"),
    ),
    // namesakes born the same year in two households, only years known: not a pair
    (
        "Binh",
        "2884601-0001",
        "Trần Thị Bình",
        "1990",
        Sex::Female,
        None,
        None,
    ),
    (
        "Binh2",
        "2884601-0002",
        "Trần Thị Bình",
        "1990",
        Sex::Female,
        None,
        None,
    ),
    // day and month swapped in two households of one hamlet
    (
        "Cuong",
        "2884601-0001",
        "Lê Văn Cường",
        "1985-03-04",
        Sex::Male,
        None,
        None,
    ),
    (
        "Cuong2",
        "2884601-0002",
        "Lê Văn Cường",
        "1985-04-03",
        Sex::Male,
        None,
        None,
    ),
    // one household, one name, one year (a full date and a bare year)
    (
        "Dung",
        "2884601-0001",
        "Phạm Văn Dũng",
        "1970",
        Sex::Male,
        None,
        None,
    ),
    (
        "Dung2",
        "2884601-0001",
        "Phạm Văn Dũng",
        "1970-06-01",
        Sex::Male,
        None,
        None,
    ),
    // one phone, one sex, one birth date, two spellings of the name
    (
        "Em",
        "2884602-0001",
        "Hồ Thị Em",
        "1992-02-02",
        Sex::Female,
        None,
        Some("0987654321"),
    ),
    (
        "Em2",
        "2884602-0002",
        "Hồ Thị Êm Đềm",
        "1992-02-02",
        Sex::Female,
        None,
        Some("0987654321"),
    ),
    // the same name and birth in another hamlet: not a pair (different hamlets)
    (
        "An3",
        "2884602-0001",
        "Nguyễn Văn An",
        "1980-05-01",
        Sex::Male,
        None,
        None,
    ),
];

async fn seed(store: &Store) -> std::collections::HashMap<&'static str, i64> {
    seed_units(store).await;
    for (code, unit) in [
        ("2884601-0001", "2884601"),
        ("2884601-0002", "2884601"),
        ("2884602-0001", "2884602"),
        ("2884602-0002", "2884602"),
    ] {
        store
            .create_household(&actor(), &household(code, unit, "Chủ Hộ"))
            .await
            .unwrap();
    }
    let mut ids = std::collections::HashMap::new();
    for (key, hh, name, birth, sex, id, phone) in PEOPLE {
        let mut p = person(hh, name, birth, *sex, *id);
        p.phone = phone.map(|x| Phone::parse(x).unwrap());
        ids.insert(*key, store.create_person(&actor(), &p).await.unwrap().id);
    }
    ids
}

fn pairs_of(
    ids: &std::collections::HashMap<&'static str, i64>,
    pairs: &[vx_store::DuplicatePair],
) -> Vec<(String, String, DuplicateReason)> {
    let key = |id: i64| ids.iter().find(|(_, v)| **v == id).unwrap().0.to_string();
    pairs
        .iter()
        .map(|p| (key(p.a.id), key(p.b.id), p.reason))
        .collect()
}

#[tokio::test]
async fn duplicates_are_listed_merged_and_the_merge_undone() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let ids = seed(store).await;
        let commune = store.unit("28846").await.unwrap().unwrap();
        let (pairs, total) = store.duplicate_pairs(&commune, 100).await.unwrap();
        assert_eq!(
            pairs_of(&ids, &pairs),
            [
                (
                    "Dung".into(),
                    "Dung2".into(),
                    DuplicateReason::SameHousehold
                ),
                ("An".into(), "An2".into(), DuplicateReason::SameBirth),
                (
                    "Cuong".into(),
                    "Cuong2".into(),
                    DuplicateReason::SwappedDayMonth
                ),
                ("Em".into(), "Em2".into(), DuplicateReason::PhoneAndBirth),
            ]
        );
        assert_eq!(total, 4);
        // the other commune sees none of them
        let other = store.unit("28804").await.unwrap().unwrap();
        assert!(store
            .duplicate_pairs(&other, 100)
            .await
            .unwrap()
            .0
            .is_empty());

        // An2 was sampled and confirmed a case, and has doses 1 and 2; An has dose 1
        let c = store
            .create_campaign(
                &actor(),
                &NewCampaign {
                    name: "Sàng lọc".into(),
                    target_units: vec![UnitCode::parse("28846").unwrap()],
                    target: TargetGroup::Everyone,
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
                    start: "2021-09-21".parse().unwrap(),
                    end: "2021-09-23".parse().unwrap(),
                },
            )
            .await
            .unwrap();
        let sample = store
            .create_sample(
                &actor(),
                &NewSample {
                    code: SampleCode::parse("D-0001").unwrap(),
                    round_id: round.id,
                    method: SampleMethod::RtPcr,
                    pooled: false,
                    high_risk: false,
                    collected_at: "2021-09-21T23:30:00Z".parse().unwrap(),
                    collector: "Tổ 1".into(),
                    laboratory: "CDC Bến Tre".into(),
                    members: vec![ids["An2"]],
                    retest_order_id: None,
                },
            )
            .await
            .unwrap();
        let case = store
            .confirm_case(
                &actor(),
                &NewCase {
                    person_id: ids["An2"],
                    details: CaseDetails {
                        confirmed_on: "2021-09-22".parse().unwrap(),
                        source: Some(CaseSource::Community),
                        severity: Severity::Mild,
                        place: IsolationPlace::Home,
                        isolation_start: "2021-09-22".parse().unwrap(),
                    },
                },
            )
            .await
            .unwrap();
        let dose = |birth: &str, name: &str, hh: &str, n: u32, day: &str| NewDose {
            person: DosePerson::Household {
                household_code: vx_domain::HouseholdCode::parse(hh).unwrap(),
                full_name: vx_domain::PersonName::parse(name).unwrap(),
                birth: vx_domain::Birth::parse(birth, "2021-09-01".parse().unwrap()).unwrap(),
            },
            dose: n,
            day: day.parse().unwrap(),
        };
        store
            .import_vaccinations(
                &actor(),
                located(vec![
                    dose(
                        "1980-05-01",
                        "Nguyễn Văn An",
                        "2884601-0001",
                        1,
                        "2021-08-01",
                    ),
                    dose(
                        "1980-05-01",
                        "NGUYEN VAN AN",
                        "2884601-0002",
                        1,
                        "2021-08-02",
                    ),
                    dose(
                        "1980-05-01",
                        "NGUYEN VAN AN",
                        "2884601-0002",
                        2,
                        "2021-08-30",
                    ),
                ]),
                &ImportOptions::default(),
            )
            .await
            .unwrap();

        // a user of the other commune may not merge them
        let outsider = Access::new(Role::Commune, vec!["/83/831/28804/".into()]);
        let err = store
            .merge_people(&actor(), ids["An"], ids["An2"], "trùng", Some(&outsider))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid(ref m) if m.contains("scope covers both")),
            "{err}"
        );

        // the merge: An keeps, takes the phone; sample, case and dose 2 follow; dose 1 stays
        let merge = store
            .merge_people(
                &actor(),
                ids["An"],
                ids["An2"],
                "cùng một người (CCCD)",
                None,
            )
            .await
            .unwrap();
        assert_eq!(merge.moves.samples, [sample.id]);
        assert_eq!(merge.moves.cases, [case.id]);
        assert_eq!(merge.moves.doses, [2]);
        assert_eq!(merge.moves.took, ["phone"]);
        assert_eq!(merge.moves.left, ["dose 1: the kept person has one"]);
        assert_eq!(merge.moves.summary(), "1 samples, 1 cases, 1 doses");
        let an = store.person(ids["An"]).await.unwrap().unwrap();
        assert_eq!(an.data.phone.as_ref().unwrap().as_str(), "+84912345678");
        let an2 = store.person(ids["An2"]).await.unwrap().unwrap();
        assert!(!an2.active);
        assert_eq!(store.samples_of_person(ids["An"]).await.unwrap().len(), 1);
        assert!(store
            .samples_of_person(ids["An2"])
            .await
            .unwrap()
            .is_empty());
        assert_eq!(store.cases_of(ids["An"]).await.unwrap().len(), 1);
        let (pairs, _) = store.duplicate_pairs(&commune, 100).await.unwrap();
        assert!(
            !pairs_of(&ids, &pairs).iter().any(|p| p.0 == "An"),
            "merged: no longer a pair"
        );
        // merged again: refused
        let again = store
            .merge_people(&actor(), ids["An"], ids["An2"], "x", None)
            .await
            .unwrap_err();
        assert!(matches!(again, StoreError::Conflict(_)), "{again}");
        let audit = store
            .audit_log(Some(("person", &ids["An"].to_string())), None, 10)
            .await
            .unwrap();
        assert_eq!(audit[0].action, "merge");

        // undone: everything back where it was
        let undone = store.undo_merge(&actor(), merge.id, None).await.unwrap();
        assert_eq!(undone.undone_by.as_deref(), Some("test"));
        let an = store.person(ids["An"]).await.unwrap().unwrap();
        assert_eq!(an.data.phone, None);
        let an2 = store.person(ids["An2"]).await.unwrap().unwrap();
        assert!(an2.active);
        assert_eq!(an2.data.phone.as_ref().unwrap().as_str(), "+84912345678");
        assert!(store.samples_of_person(ids["An"]).await.unwrap().is_empty());
        assert_eq!(
            store.samples_of_person(ids["An2"]).await.unwrap()[0].id,
            sample.id
        );
        assert_eq!(store.cases_of(ids["An2"]).await.unwrap()[0].id, case.id);
        let err = store
            .undo_merge(&actor(), merge.id, None)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        let audit = store
            .audit_log(Some(("person", &ids["An"].to_string())), None, 10)
            .await
            .unwrap();
        assert_eq!(audit[0].action, "merge-undo");
        assert_eq!(store.person_merges(&commune, 10).await.unwrap().len(), 1);

        // the other way round: An2 keeps and takes the CCCD; the undo gives it back
        let merge = store
            .merge_people(&actor(), ids["An2"], ids["An"], "giữ bản ghi của ấp", None)
            .await
            .unwrap();
        assert_eq!(merge.moves.took, ["citizen_id"]);
        let an2 = store.person(ids["An2"]).await.unwrap().unwrap();
        assert_eq!(
            an2.data.citizen_id.as_ref().unwrap().as_str(),
            "083080001234"
        );
        store.undo_merge(&actor(), merge.id, None).await.unwrap();
        let an = store.person(ids["An"]).await.unwrap().unwrap();
        assert_eq!(
            an.data.citizen_id.as_ref().unwrap().as_str(),
            "083080001234"
        );
        assert!(store
            .person(ids["An2"])
            .await
            .unwrap()
            .unwrap()
            .data
            .citizen_id
            .is_none());

        // a full birth date fills a bare year of the same year
        let merge = store
            .merge_people(&actor(), ids["Dung"], ids["Dung2"], "trùng", None)
            .await
            .unwrap();
        assert_eq!(merge.moves.took, ["birth_date"]);
        assert_eq!(
            store
                .person(ids["Dung"])
                .await
                .unwrap()
                .unwrap()
                .data
                .birth
                .to_string(),
            "1970-06-01"
        );

        // not the same person: never suggested again
        store
            .dismiss_duplicate(&actor(), ids["Cuong2"], ids["Cuong"], "hai anh em họ")
            .await
            .unwrap();
        let (pairs, total) = store.duplicate_pairs(&commune, 100).await.unwrap();
        assert_eq!(
            pairs_of(&ids, &pairs),
            [
                ("An".into(), "An2".into(), DuplicateReason::SameBirth),
                ("Em".into(), "Em2".into(), DuplicateReason::PhoneAndBirth),
            ]
        );
        assert_eq!(total, 2);
    })
    .await;
}
