//! Registry identity (issue 14), as stories: a commune imports its file, a second file
//! collides with it, the review settles it; a file never erases what it does not carry.

use std::collections::HashMap;

use vx_domain::{Access, Birth, CitizenId, NewPerson, Phone, Relation, Role, Sex};
use vx_store::{ImportOptions, ImportSummary, Located, PeopleQuery, Store, StoreError};

use crate::{actor, each_backend, household, located, person, seed_units};

const VINH_ID: &str = "083058250640";
const PHUOC_THANH: &str = "/83/831/28846/";
const TAN_THACH: &str = "/83/831/28804/";

fn commune_user(paths: &[&str]) -> Access {
    Access::new(Role::Commune, paths.iter().map(|p| p.to_string()).collect())
}

fn with_access(access: Access) -> ImportOptions {
    ImportOptions {
        access: Some(access),
        file_name: "people.csv".into(),
        ..Default::default()
    }
}

async fn import(store: &Store, rows: Vec<NewPerson>, opts: &ImportOptions) -> ImportSummary {
    store
        .import_people(&actor(), located(rows), opts)
        .await
        .unwrap_or_else(|e| panic!("{e}: {e:?}"))
}

async fn by_id(store: &Store, id: &str) -> vx_domain::Person {
    let all = store
        .people(&PeopleQuery {
            within: "/".into(),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    all.into_iter()
        .find(|p| p.data.citizen_id.as_ref().map(CitizenId::as_str) == Some(id))
        .unwrap_or_else(|| panic!("nobody has {id}"))
}

async fn count_people(store: &Store) -> usize {
    store
        .people(&PeopleQuery {
            within: "/".into(),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

fn vinh() -> NewPerson {
    let mut p = person(
        "2884601-0001",
        "Phan Văn Vĩnh",
        "1958-10-03",
        Sex::Male,
        Some(VINH_ID),
    );
    p.phone = Some(Phone::parse("0912345678").unwrap());
    p
}

/// Phước Thạnh (28846) has imported its file: Phan Văn Vĩnh heads household -0001 in hamlet
/// 1, Trần Thị Mai heads -0002 in hamlet 2. Tân Thạch (28804) has household -0059.
async fn phuoc_thanh_registered(store: &Store) {
    seed_units(store).await;
    let hhs = vec![
        household("2884601-0001", "2884601", "Phan Văn Vĩnh"),
        household("2884602-0002", "2884602", "Trần Thị Mai"),
        household("2880401-0059", "2880401", "Lê Văn Khác"),
    ];
    store
        .import_households(&actor(), located(hhs), &ImportOptions::default())
        .await
        .unwrap();
    let s = import(
        store,
        vec![
            vinh(),
            person(
                "2884602-0002",
                "Trần Thị Mai",
                "1972",
                Sex::Female,
                Some("083172001111"),
            ),
        ],
        &with_access(commune_user(&[PHUOC_THANH])),
    )
    .await;
    assert_eq!(s.created, 2);
}

#[tokio::test]
async fn a_citizen_id_of_someone_else_is_held_for_review_then_settled() {
    each_backend(|ts| async move {
        let store = &ts.store;
        phuoc_thanh_registered(store).await;

        // Tân Thạch's file carries Vĩnh's CCCD on another man's row.
        let khac = person(
            "2880401-0059",
            "Lê Văn Khác",
            "1958",
            Sex::Male,
            Some(VINH_ID),
        );
        let neighbour = person("2880401-0059", "Lê Thị Lan", "1960", Sex::Female, None);
        let tan_thach = with_access(commune_user(&[TAN_THACH]));
        let s = import(store, vec![khac.clone(), neighbour.clone()], &tan_thach).await;
        assert_eq!((s.created, s.updated, s.held.len()), (1, 0, 1), "{s:?}");
        assert_eq!(
            (s.held[0].row, s.held[0].column.as_str()),
            (2, "citizen_id")
        );
        assert_eq!(
            s.held[0].message,
            "083058250640 already belongs to Phan Văn Vĩnh (2884601-0001); held for review"
        );
        assert_eq!(s.rows(), 2);
        let stored = by_id(store, VINH_ID).await;
        assert_eq!(stored.data, vinh(), "Vĩnh is untouched");

        // The same file again: still held, queued once; nothing else changes.
        let s = import(store, vec![khac.clone(), neighbour], &tan_thach).await;
        assert_eq!((s.created, s.unchanged, s.held.len()), (0, 1, 1));
        for within in [PHUOC_THANH, TAN_THACH, "/"] {
            let queue = store
                .identity_reviews_in(within, false, 0, 10)
                .await
                .unwrap();
            assert_eq!(queue.len(), 1, "seen from {within}");
        }
        assert!(store
            .identity_reviews_in("/83/832/", true, 0, 10)
            .await
            .unwrap()
            .is_empty());
        let review = &store.identity_reviews_in("/", false, 0, 10).await.unwrap()[0];
        assert_eq!(review.kind, "identity");
        assert_eq!(review.person_id, stored.id);
        assert_eq!(review.proposed, khac);
        assert_eq!((review.row, review.unit_code.as_str()), (2, "2884601"));

        // Tân Thạch alone may not settle what concerns Phước Thạnh too.
        let err = store
            .settle_identity_review(
                &actor(),
                review.id,
                false,
                "typo",
                Some(&commune_user(&[TAN_THACH])),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        let district = Access::new(Role::Commune, vec![PHUOC_THANH.into(), TAN_THACH.into()]);
        let settled = store
            .settle_identity_review(
                &actor(),
                review.id,
                false,
                "CCCD typed on the wrong row",
                Some(&district),
            )
            .await
            .unwrap();
        assert_eq!(settled.status, "rejected");
        assert_eq!(by_id(store, VINH_ID).await.data, vinh());
        assert!(store
            .settle_identity_review(&actor(), review.id, true, "again", None)
            .await
            .is_err());
        let audit = store
            .audit_log(Some(("identity_review", &review.id.to_string())), None, 10)
            .await
            .unwrap();
        let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["settle", "hold"]);

        // Held again later, and this time the file was right: applied, audited.
        let s = import(store, vec![khac.clone()], &tan_thach).await;
        assert_eq!(s.held.len(), 1);
        let review = store.identity_reviews_in("/", false, 0, 10).await.unwrap()[0].clone();
        store
            .settle_identity_review(&actor(), review.id, true, "the ID is his", None)
            .await
            .unwrap();
        let now = by_id(store, VINH_ID).await;
        assert_eq!(now.data.full_name.as_str(), "Lê Văn Khác");
        assert_eq!(now.data.household_code.as_str(), "2880401-0059");
        assert_eq!(now.unit_code.as_str(), "2880401");
        let audit = store
            .audit_log(Some(("person", &now.id.to_string())), None, 10)
            .await
            .unwrap();
        assert_eq!(audit[0].action, "update");
        assert!(store
            .identity_reviews_in("/", false, 0, 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            store
                .identity_reviews_in("/", true, 0, 10)
                .await
                .unwrap()
                .len(),
            2
        );
    })
    .await;
}

#[tokio::test]
async fn a_move_between_communes_needs_a_scope_over_both() {
    each_backend(|ts| async move {
        let store = &ts.store;
        phuoc_thanh_registered(store).await;
        let mut mai = person(
            "2880401-0059",
            "Trần Thị Mai",
            "1972",
            Sex::Female,
            Some("083172001111"),
        );
        mai.relation = Relation::Spouse;

        // Tân Thạch's officer cannot take a person from Phước Thạnh.
        let s = import(
            store,
            vec![mai.clone()],
            &with_access(commune_user(&[TAN_THACH])),
        )
        .await;
        assert_eq!((s.updated, s.moved, s.held.len()), (0, 0, 1));
        assert_eq!(s.held[0].column, "household_code");
        assert!(
            s.held[0].message.contains("another commune")
                && s.held[0].message.contains("held for review"),
            "{}",
            s.held[0].message
        );
        assert_eq!(
            by_id(store, "083172001111").await.unit_code.as_str(),
            "2884602"
        );
        let queue = store
            .identity_reviews_in(TAN_THACH, false, 0, 10)
            .await
            .unwrap();
        assert_eq!(queue[0].kind, "move");

        // A user over both communes moves her: a move of its own in the audit log.
        let both = commune_user(&[PHUOC_THANH, TAN_THACH]);
        let s = import(store, vec![mai.clone()], &with_access(both)).await;
        assert_eq!((s.updated, s.moved, s.held.len()), (1, 1, 0));
        let moved = by_id(store, "083172001111").await;
        assert_eq!(moved.unit_code.as_str(), "2880401");
        assert_eq!(moved.data.relation, Relation::Spouse);
        let audit = store
            .audit_log(Some(("person", &moved.id.to_string())), None, 10)
            .await
            .unwrap();
        assert_eq!(audit[0].action, "move");
        // Within a commune, another household is no move.
        assert_eq!(count_people(store).await, 2);
    })
    .await;
}

#[tokio::test]
async fn another_citizen_id_for_a_registered_person_is_held() {
    each_backend(|ts| async move {
        let store = &ts.store;
        phuoc_thanh_registered(store).await;
        let mut other_id = vinh();
        other_id.citizen_id = Some(CitizenId::parse("083058999999").unwrap());
        let s = import(store, vec![other_id], &ImportOptions::default()).await;
        assert_eq!((s.created, s.updated, s.held.len()), (0, 0, 1), "{s:?}");
        assert_eq!(
            s.held[0].message,
            "Phan Văn Vĩnh (2884601-0001) already has citizen ID 083058250640, not 083058999999; held for review"
        );
        assert_eq!(count_people(store).await, 2, "no second Vĩnh");
        // A dry run holds nothing.
        let queue = store.identity_reviews_in("/", true, 0, 10).await.unwrap();
        assert_eq!(queue.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_file_never_erases_what_it_does_not_carry() {
    each_backend(|ts| async move {
        let store = &ts.store;
        phuoc_thanh_registered(store).await;

        // The commune's second file has only household_code, full_name, birth, sex: no
        // citizen ID, phone nor relation, and Vĩnh's birth as a bare year.
        let mut short = vinh();
        short.citizen_id = None;
        short.phone = None;
        short.relation = Relation::Other;
        short.birth = Birth::Year(1958);
        let absent = ImportOptions {
            kept: HashMap::from([(2, vec!["citizen_id", "phone", "relation"])]),
            ..Default::default()
        };
        let s = import(store, vec![short.clone()], &absent).await;
        assert_eq!((s.created, s.updated, s.unchanged), (0, 0, 1), "{s:?}");
        assert_eq!(by_id(store, VINH_ID).await.data, vinh());
        assert_eq!(count_people(store).await, 2);

        // With empty cells that erase (--empty-clears), phone and relation go; the birth
        // date still is not cut to its year, and the citizen ID stays (its column is absent).
        let clears = ImportOptions {
            kept: HashMap::from([(2, vec!["citizen_id"])]),
            ..Default::default()
        };
        let s = import(store, vec![short], &clears).await;
        assert_eq!((s.created, s.updated), (0, 1));
        let after = by_id(store, VINH_ID).await.data;
        assert_eq!((after.phone, after.relation), (None, Relation::Other));
        assert_eq!(after.birth, vinh().birth);

        // Households: the phone and address columns absent keep theirs.
        let mut hh = household("2884601-0001", "2884601", "Phan Văn Vĩnh");
        hh.phone = Some(Phone::parse("0987654321").unwrap());
        store
            .import_households(
                &actor(),
                located(vec![hh.clone()]),
                &ImportOptions::default(),
            )
            .await
            .unwrap();
        let mut bare = hh.clone();
        bare.phone = None;
        bare.address = String::new();
        let rows = vec![Located {
            row: 2,
            value: bare,
        }];
        let s = store
            .import_households(
                &actor(),
                rows,
                &ImportOptions {
                    kept: HashMap::from([(2, vec!["address", "phone"])]),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!((s.updated, s.unchanged), (0, 1));
        let stored = store
            .household_by_code("2884601-0001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.data, hh);
    })
    .await;
}
