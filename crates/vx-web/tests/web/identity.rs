//! The identity review page (issue 14), as a story: Tân Thạch's file carries the citizen ID
//! of a Phước Thạnh man on another man's row; the row is held; Phước Thạnh's officer sees it
//! but may not settle it alone; an administrator applies it, audited.

use reqwest::StatusCode;
use vx_domain::{Access, Role, Sex};
use vx_store::{ImportOptions, Located};

use crate::{each_backend, person, spawn_app};

#[tokio::test]
async fn a_held_row_is_shown_side_by_side_and_settled_within_scope() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let row = person(
            "2880401-0001",
            "Lê Văn Khác",
            "1980",
            Sex::Male,
            Some("083080001234"),
        );
        let opts = ImportOptions {
            file_name: "tan-thach.csv".into(),
            access: Some(Access::new(Role::Commune, vec!["/83/831/28804/".into()])),
            ..Default::default()
        };
        let s = app
            .store
            .import_people(
                &vx_store::Actor::system("xa.tanthach"),
                vec![Located { row: 7, value: row }],
                &opts,
            )
            .await
            .unwrap();
        assert_eq!(s.held.len(), 1);
        let review = app
            .store
            .identity_reviews_in("/", false, 0, 10)
            .await
            .unwrap()[0]
            .clone();
        let settle = format!("/identity/{}/settle", review.id);

        // Phước Thạnh's officer sees both records, but no form: Tân Thạch is not hers.
        let xa = app.login("xa").await;
        let (status, page) = app.text(&xa.client, "/units/28846/identity").await;
        assert_eq!(status, StatusCode::OK);
        for expected in [
            "Nguyễn Văn An",
            "Lê Văn Khác",
            "083080001234 already belongs to Nguyễn Văn An (2884601-0001); held for review",
            "tan-thach.csv · 7",
        ] {
            assert!(page.contains(expected), "missing {expected:?}");
        }
        assert!(!page.contains(&settle), "no settle form outside the scope");
        let r = xa
            .client
            .post(app.url(&settle))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("unit", "28846"),
                ("choice", "reject"),
                ("note", "nhầm dòng"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("scope covers both"));

        // Outside the scope, or without personal data: the page does not exist.
        let ap = app.login("ap").await;
        let (status, _) = app.text(&ap.client, "/units/28804/identity").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let tinh = app.login("tinh").await;
        let (status, _) = app.text(&tinh.client, "/units/831/identity").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let r = tinh
            .client
            .post(app.url(&settle))
            .form(&[
                ("csrf", tinh.csrf.as_str()),
                ("choice", "reject"),
                ("note", "x"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);

        // The administrator applies it, with a note; the person is the row now, audited.
        let admin = app.login("admin").await;
        let (_, page) = app.text(&admin.client, "/units/831/identity").await;
        assert!(page.contains(&settle), "{page}");
        let form = |note: &'static str| {
            vec![
                ("csrf", admin.csrf.clone()),
                ("unit", "831".to_string()),
                ("choice", "apply".to_string()),
                ("note", note.to_string()),
            ]
        };
        let r = admin
            .client
            .post(app.url(&settle))
            .form(&form(""))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "a note is needed"
        );
        let r = admin
            .client
            .post(app.url(&settle))
            .form(&form("CCCD của ông Khác"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let settled = app.store.identity_review(review.id).await.unwrap().unwrap();
        assert_eq!(
            (settled.status.as_str(), settled.settled_by.as_deref()),
            ("applied", Some("admin"))
        );
        let now = app.store.person(review.person_id).await.unwrap().unwrap();
        assert_eq!(now.data.full_name.as_str(), "Lê Văn Khác");
        assert_eq!(now.unit_code.as_str(), "2880401");
        let audit = app
            .store
            .audit_log(Some(("identity_review", &review.id.to_string())), None, 5)
            .await
            .unwrap();
        assert_eq!(audit[0].action, "settle");
        let (_, page) = app
            .text(&admin.client, "/units/831/identity?status=all")
            .await;
        assert!(page.contains("CCCD của ông Khác"), "{page}");
    })
    .await;
}
