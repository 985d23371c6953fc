//! The store contract, checked on every backend: SQLite always, PostgreSQL when reachable
//! (required in CI). One integration binary for the crate; `epi` holds the epidemiological
//! record's tests.

mod duplicates;
mod epi;
mod field;
mod identity;
mod ops;
mod zones;

use vx_domain::{
    Birth, CitizenId, HouseholdCode, NewHousehold, NewPerson, PersonName, Relation, Sex, UnitCode,
    UnitLevel,
};
use vx_store::testing::{test_stores, TestStore};
use vx_store::{Actor, ImportOptions, Located, Store, StoreError, UnitInput};

pub(crate) fn actor() -> Actor {
    Actor::system("test")
}

pub(crate) fn unit(code: &str, parent: Option<&str>, level: UnitLevel, name: &str) -> UnitInput {
    UnitInput {
        code: UnitCode::parse(code).unwrap(),
        parent_code: parent.map(|p| UnitCode::parse(p).unwrap()),
        level,
        kind: "x".into(),
        name: name.into(),
        full_name: name.into(),
        population: None,
    }
}

pub(crate) fn located<T>(rows: Vec<T>) -> Vec<Located<T>> {
    rows.into_iter()
        .enumerate()
        .map(|(i, value)| Located {
            row: i as u32 + 2,
            value,
        })
        .collect()
}

/// Bến Tre, Châu Thành, two communes, three hamlets.
pub(crate) async fn seed_units(store: &Store) {
    let rows = vec![
        unit("83", None, UnitLevel::Province, "Bến Tre"),
        unit("831", Some("83"), UnitLevel::District, "Châu Thành"),
        unit("28846", Some("831"), UnitLevel::Commune, "Phước Thạnh"),
        unit("28804", Some("831"), UnitLevel::Commune, "Tân Thạch"),
        unit("2884601", Some("28846"), UnitLevel::Hamlet, "Ấp 1"),
        unit("2884602", Some("28846"), UnitLevel::Hamlet, "Ấp 2"),
        unit("2880401", Some("28804"), UnitLevel::Hamlet, "Ấp 1"),
    ];
    store
        .import_units(&actor(), located(rows), None, &ImportOptions::default())
        .await
        .unwrap();
}

pub(crate) fn household(code: &str, unit: &str, head: &str) -> NewHousehold {
    NewHousehold {
        code: HouseholdCode::parse(code).unwrap(),
        unit_code: UnitCode::parse(unit).unwrap(),
        head_name: PersonName::parse(head).unwrap(),
        address: "Ấp 1".into(),
        phone: None,
        poor: false,
        lost_income: true,
    }
}

pub(crate) fn person(hh: &str, name: &str, birth: &str, sex: Sex, id: Option<&str>) -> NewPerson {
    NewPerson {
        household_code: HouseholdCode::parse(hh).unwrap(),
        full_name: PersonName::parse(name).unwrap(),
        birth: Birth::parse(birth, "2021-09-01".parse().unwrap()).unwrap(),
        sex,
        citizen_id: id.map(|i| CitizenId::parse(i).unwrap()),
        phone: None,
        relation: Relation::Head,
    }
}

pub(crate) async fn each_backend<F, Fut>(f: F)
where
    F: Fn(TestStore) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for ts in test_stores().await {
        eprintln!("backend: {:?}", ts.backend());
        f(ts).await;
    }
}

#[tokio::test]
async fn unit_tree_and_subtrees() {
    each_backend(|ts| async move {
        let store = &ts.store;
        seed_units(store).await;
        let counts = store.count_units().await.unwrap();
        assert_eq!(
            counts,
            vec![
                (UnitLevel::Province, 1),
                (UnitLevel::District, 1),
                (UnitLevel::Commune, 2),
                (UnitLevel::Hamlet, 3)
            ]
        );
        let commune = store.unit("28846").await.unwrap().unwrap();
        assert_eq!(commune.path, "/83/831/28846/");
        let subtree: Vec<String> = store
            .subtree(&commune)
            .await
            .unwrap()
            .iter()
            .map(|u| u.code.to_string())
            .collect();
        assert_eq!(subtree, ["28846", "2884601", "2884602"]);
        let kids = store
            .children(Some(&UnitCode::parse("831").unwrap()))
            .await
            .unwrap();
        assert_eq!(kids.len(), 2);
        let roots = store.children(None).await.unwrap();
        assert_eq!(roots.len(), 1);
        let found = store.search_units("phuoc thanh", "/", 10).await.unwrap();
        assert_eq!(found[0].code.as_str(), "28846");
        let ancestors: Vec<String> = store
            .ancestors(&commune)
            .await
            .unwrap()
            .iter()
            .map(|u| u.code.to_string())
            .collect();
        assert_eq!(ancestors, ["83", "831"]);
    })
    .await;
}

#[tokio::test]
async fn units_import_is_idempotent_and_versions_moves() {
    each_backend(|ts| async move {
        let store = &ts.store;
        seed_units(store).await;
        // Again: nothing changes.
        let rows = located(vec![
            unit("83", None, UnitLevel::Province, "Bến Tre"),
            unit("831", Some("83"), UnitLevel::District, "Châu Thành"),
        ]);
        let s = store
            .import_units(&actor(), rows, None, &ImportOptions::default())
            .await
            .unwrap();
        assert_eq!(
            (s.created, s.updated, s.versioned, s.unchanged),
            (0, 0, 0, 2)
        );
        // A rename updates in place; a move opens a new version and carries the subtree.
        let rows = located(vec![
            unit("831", Some("83"), UnitLevel::District, "Châu Thành (mới)"),
            unit("84", None, UnitLevel::Province, "Trà Vinh"),
            unit("841", Some("84"), UnitLevel::District, "Càng Long"),
            unit("28846", Some("841"), UnitLevel::Commune, "Phước Thạnh"),
        ]);
        let from = "2025-07-01".parse().unwrap();
        let s = store
            .import_units(&actor(), rows, Some(from), &ImportOptions::default())
            .await
            .unwrap();
        assert_eq!((s.created, s.updated, s.versioned), (2, 1, 1));
        assert_eq!(
            store.unit("831").await.unwrap().unwrap().name,
            "Châu Thành (mới)"
        );
        let moved = store.unit("28846").await.unwrap().unwrap();
        assert_eq!(moved.path, "/84/841/28846/");
        assert_eq!(
            store.unit("2884601").await.unwrap().unwrap().path,
            "/84/841/28846/2884601/"
        );
        let old = store
            .unit_on("28846", "2021-09-01".parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(old.path, "/83/831/28846/");
        assert_eq!(old.valid_to, Some(from));
    })
    .await;
}

#[tokio::test]
async fn units_import_refuses_bad_rows_whole() {
    each_backend(|ts| async move {
        let store = &ts.store;
        let rows = located(vec![
            unit("83", None, UnitLevel::Province, "Bến Tre"),
            unit("831", Some("99"), UnitLevel::District, "Châu Thành"),
            unit("832", Some("83"), UnitLevel::District, "Giồng Trôm"),
            unit("28846", None, UnitLevel::Commune, "Phước Thạnh"),
        ]);
        let err = store
            .import_units(&actor(), rows, None, &ImportOptions::default())
            .await
            .unwrap_err();
        let StoreError::Rows(problems) = err else {
            panic!("expected row problems")
        };
        let got: Vec<(u32, &str)> = problems
            .iter()
            .map(|p| (p.row, p.column.as_str()))
            .collect();
        assert_eq!(got, [(3, "parent_code"), (5, "parent_code")]);
        assert!(
            store.count_units().await.unwrap().is_empty(),
            "nothing half-imported"
        );
    })
    .await;
}

#[tokio::test]
async fn registry_crud_search_and_audit() {
    each_backend(|ts| async move {
        let store = &ts.store;
        seed_units(store).await;
        let err = store
            .create_household(&actor(), &household("H1", "28846", "Nguyễn Văn An"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("has hamlets"), "{err}");
        let err = store
            .create_household(&actor(), &household("H1", "831", "Nguyễn Văn An"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("district"), "{err}");
        let hh = store
            .create_household(&actor(), &household("H1", "2884601", "Nguyễn Văn An"))
            .await
            .unwrap();
        let p = store
            .create_person(
                &actor(),
                &person(
                    "H1",
                    "Nguyễn Văn An",
                    "1970-05-02",
                    Sex::Male,
                    Some("083070001234"),
                ),
            )
            .await
            .unwrap();
        assert_eq!(p.unit_code.as_str(), "2884601");
        let err = store
            .create_person(
                &actor(),
                &person(
                    "H1",
                    "Nguyen Van B",
                    "1971",
                    Sex::Male,
                    Some("083070001234"),
                ),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");

        let found = store
            .people(&vx_store::PeopleQuery {
                within: "/83/".into(),
                name: Some("nguyen van an".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        let none = store
            .people(&vx_store::PeopleQuery {
                within: "/83/831/28804/".into(),
                name: Some("an".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(none.is_empty());

        let mut changed = p.data.clone();
        changed.full_name = PersonName::parse("Nguyễn Văn Ân").unwrap();
        store.update_person(&actor(), p.id, &changed).await.unwrap();
        store
            .set_household_active(&actor(), hh.id, false)
            .await
            .unwrap();
        assert!(!store.person(p.id).await.unwrap().unwrap().active);

        let log = store
            .audit_log(Some(("person", &p.id.to_string())), None, 10)
            .await
            .unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["update", "create"]);
        assert!(log[0].before.as_deref().unwrap().contains("Nguyễn Văn An"));
        assert!(log[0].after.as_deref().unwrap().contains("Nguyễn Văn Ân"));
        let counts = store
            .counts_under(&[store.unit("28846").await.unwrap().unwrap()])
            .await
            .unwrap();
        assert_eq!(
            (counts[0].households, counts[0].people),
            (0, 0),
            "inactive ones are not counted"
        );
    })
    .await;
}

#[tokio::test]
async fn counts_roll_up_the_tree() {
    each_backend(|ts| async move {
        let store = &ts.store;
        seed_units(store).await;
        for (code, hamlet) in [
            ("H1", "2884601"),
            ("H2", "2884601"),
            ("H3", "2884602"),
            ("H4", "2880401"),
        ] {
            store
                .create_household(&actor(), &household(code, hamlet, "Võ Văn Tám"))
                .await
                .unwrap();
            store
                .create_person(
                    &actor(),
                    &person(code, "Võ Văn Tám", "1960", Sex::Male, None),
                )
                .await
                .unwrap();
        }
        store
            .create_person(
                &actor(),
                &person("H1", "Võ Thị Chín", "1990", Sex::Female, None),
            )
            .await
            .unwrap();
        let check = |units: Vec<vx_domain::Unit>, expected: Vec<(i64, i64)>| async move {
            let counts = store.counts_under(&units).await.unwrap();
            let got: Vec<(i64, i64)> = counts.iter().map(|c| (c.households, c.people)).collect();
            assert_eq!(
                got,
                expected,
                "{:?}",
                units.iter().map(|u| &u.code).collect::<Vec<_>>()
            );
        };
        let communes = store
            .children(Some(&UnitCode::parse("831").unwrap()))
            .await
            .unwrap();
        check(communes, vec![(1, 1), (3, 4)]).await; // 28804, 28846
        let hamlets = store
            .children(Some(&UnitCode::parse("28846").unwrap()))
            .await
            .unwrap();
        check(hamlets, vec![(2, 3), (1, 1)]).await;
        let province = vec![store.unit("83").await.unwrap().unwrap()];
        check(province, vec![(4, 5)]).await;
        check(Vec::new(), Vec::new()).await;
    })
    .await;
}

#[tokio::test]
async fn audit_log_is_append_only() {
    each_backend(|ts| async move {
        let store = &ts.store;
        seed_units(store).await;
        store
            .create_household(&actor(), &household("H1", "2884601", "Lê Thị Hoa"))
            .await
            .unwrap();
        let other = Store::connect(&ts.url).await.unwrap();
        assert!(other
            .debug_execute("UPDATE audit_log SET actor = 'x'")
            .await
            .is_err());
        assert!(other.debug_execute("DELETE FROM audit_log").await.is_err());
        other.close().await;
    })
    .await;
}

#[tokio::test]
async fn people_import_is_all_or_nothing_and_idempotent() {
    each_backend(|ts| async move {
        let store = &ts.store;
        seed_units(store).await;
        let hhs = located(vec![
            household("H1", "2884601", "Nguyễn Văn An"),
            household("H2", "2884602", "Trần Thị Bé"),
        ]);
        let s = store
            .import_households(&actor(), hhs.clone(), &ImportOptions::default())
            .await
            .unwrap();
        assert_eq!((s.created, s.unchanged), (2, 0));
        let s = store
            .import_households(&actor(), hhs, &ImportOptions::default())
            .await
            .unwrap();
        assert_eq!((s.created, s.updated, s.unchanged), (0, 0, 2));

        let good = vec![
            person(
                "H1",
                "Nguyễn Văn An",
                "1970-05-02",
                Sex::Male,
                Some("083070001234"),
            ),
            person("H1", "Lê Thị Hoa", "1972", Sex::Female, None),
            person("H2", "Trần Thị Bé", "1990-01-01", Sex::Female, None),
        ];
        let mut bad = good.clone();
        bad.push(person("H9", "Ngô Văn C", "2000-01-01", Sex::Male, None));
        bad.push(person("H1", "Lê Thị Hoa", "1972", Sex::Female, None));
        let err = store
            .import_people(&actor(), located(bad.clone()), &ImportOptions::default())
            .await
            .unwrap_err();
        let StoreError::Rows(problems) = err else {
            panic!()
        };
        assert_eq!(
            problems
                .iter()
                .map(|p| (p.row, p.column.as_str()))
                .collect::<Vec<_>>(),
            [(5, "household_code"), (6, "full_name")]
        );
        let everyone = vx_store::PeopleQuery {
            within: "/".into(),
            limit: 100,
            ..Default::default()
        };
        assert!(
            store.people(&everyone).await.unwrap().is_empty(),
            "nothing half-imported"
        );

        let dry = ImportOptions {
            dry_run: true,
            ..Default::default()
        };
        let s = store
            .import_people(&actor(), located(good.clone()), &dry)
            .await
            .unwrap();
        assert_eq!(s.created, 3);
        assert!(
            store.people(&everyone).await.unwrap().is_empty(),
            "a dry run writes nothing"
        );

        let skip = ImportOptions {
            skip_bad_rows: true,
            ..Default::default()
        };
        let s = store
            .import_people(&actor(), located(bad), &skip)
            .await
            .unwrap();
        assert_eq!((s.created, s.skipped.len()), (3, 2));
        let s = store
            .import_people(&actor(), located(good.clone()), &ImportOptions::default())
            .await
            .unwrap();
        assert_eq!((s.created, s.updated, s.unchanged), (0, 0, 3));

        // The spouse's citizen ID becomes known: the same person is updated, not duplicated.
        let mut known = good.clone();
        known[1].citizen_id = Some(CitizenId::parse("083172001111").unwrap());
        let s = store
            .import_people(&actor(), located(known), &ImportOptions::default())
            .await
            .unwrap();
        assert_eq!((s.created, s.updated, s.unchanged), (0, 1, 2));
        assert_eq!(store.people(&everyone).await.unwrap().len(), 3);
    })
    .await;
}

#[tokio::test]
async fn duplicates_need_two_agreeing_fields() {
    each_backend(|ts| async move {
        let store = &ts.store;
        seed_units(store).await;
        for (code, hamlet) in [("H1", "2884601"), ("H2", "2884602")] {
            store
                .create_household(&actor(), &household(code, hamlet, "Phạm Văn Dũng"))
                .await
                .unwrap();
        }
        let a = store
            .create_person(
                &actor(),
                &person("H1", "Phạm Văn Dũng", "1980-02-03", Sex::Male, None),
            )
            .await
            .unwrap();
        // Same name and birth, another household: suggested.
        store
            .create_person(
                &actor(),
                &person("H2", "Pham Van Dung", "1980-02-03", Sex::Male, None),
            )
            .await
            .unwrap();
        // Same name only: not suggested.
        store
            .create_person(
                &actor(),
                &person("H2", "Phạm Văn Dũng", "1999-09-09", Sex::Male, None),
            )
            .await
            .unwrap();
        let s = store
            .duplicate_suggestions(&a, &["/".into()])
            .await
            .unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].reasons, ["name", "birth"]);
        // Only inside the viewer's subtrees: the namesake lives in Ấp 2.
        let s = store
            .duplicate_suggestions(&a, &["/83/831/28846/2884601/".into()])
            .await
            .unwrap();
        assert!(s.is_empty());
        let s = store
            .duplicate_suggestions(
                &a,
                &[
                    "/83/831/28846/2884601/".into(),
                    "/83/831/28846/2884602/".into(),
                ],
            )
            .await
            .unwrap();
        assert_eq!(s.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn unknown_and_unreachable_urls_are_clear() {
    let err = Store::connect("mysql://localhost/x").await.unwrap_err();
    assert!(err.to_string().contains("unknown database URL"), "{err}");
    let err = Store::connect("postgres://nobody:secret@127.0.0.1:1/none")
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("cannot open database") && !msg.contains("secret"),
        "{msg}"
    );
}
