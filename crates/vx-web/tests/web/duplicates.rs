//! The duplicates page (issue 14 part 3), as a story: a hamlet's list typed Nguyễn Văn An
//! in a second household; Phước Thạnh's officer sees the pair, merges it with a note, then
//! undoes the merge; the province, another commune and a wrong CSRF token get nothing.

use reqwest::StatusCode;
use vx_domain::Sex;

use crate::{each_backend, household, person, spawn_app};

#[tokio::test]
async fn a_commune_merges_a_duplicate_and_undoes_it() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let actor = vx_store::Actor::system("test");
        app.store
            .create_household(&actor, &household("2884601-0002", "2884601", "Võ Thị Hai"))
            .await
            .unwrap();
        let twin = app
            .store
            .create_person(
                &actor,
                &person(
                    "2884601-0002",
                    "NGUYEN VAN AN",
                    "1980-05-01",
                    Sex::Male,
                    None,
                ),
            )
            .await
            .unwrap();
        let an = app.seed.people["A"].id;
        let settle = format!("/duplicates/{an}/{}/settle", twin.id);

        let xa = app.login("xa").await;
        let (status, page) = app.text(&xa.client, "/units/28846/duplicates").await;
        assert_eq!(status, StatusCode::OK);
        for expected in [
            "Người trùng lặp",
            "NGUYEN VAN AN",
            "083080001234",
            "trùng họ tên và ngày sinh trong một ấp",
            settle.as_str(),
        ] {
            assert!(page.contains(expected), "missing {expected:?}");
        }
        // the namesakes in Ấp 2 and in Tân Thạch (other hamlets) are not listed
        assert_eq!(page.matches("/settle\"").count(), 1, "one pair");
        // the work list links to it
        let (_, work) = app.text(&xa.client, "/units/28846/work").await;
        assert!(work.contains("/units/28846/duplicates"));

        // outside the scope, or without personal data: nothing
        let ap = app.login("ap").await;
        let (status, _) = app.text(&ap.client, "/units/28804/duplicates").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let tinh = app.login("tinh").await;
        let (status, _) = app.text(&tinh.client, "/units/831/duplicates").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let form = |csrf: &str, choice: &str, note: &str| {
            vec![
                ("csrf", csrf.to_string()),
                ("unit", "28846".to_string()),
                ("choice", choice.to_string()),
                ("note", note.to_string()),
            ]
        };
        let r = tinh
            .client
            .post(app.url(&settle))
            .form(&form(&tinh.csrf, "keep-a", "x"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = xa
            .client
            .post(app.url(&settle))
            .form(&form("wrong", "keep-a", "x"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = xa
            .client
            .post(app.url(&settle))
            .form(&form(&xa.csrf, "keep-a", " "))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "a note is needed"
        );
        assert!(app.store.person(twin.id).await.unwrap().unwrap().active);

        // merged: the hamlet's record into the commune's, listed with its undo
        let r = xa
            .client
            .post(app.url(&settle))
            .form(&form(&xa.csrf, "keep-a", "cùng CCCD, khai hai lần"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(!app.store.person(twin.id).await.unwrap().unwrap().active);
        let (_, page) = app.text(&xa.client, "/units/28846/duplicates").await;
        assert!(!page.contains(&settle), "merged: no longer a pair");
        let merge = app
            .store
            .person_merges(&app.store.unit("28846").await.unwrap().unwrap(), 5)
            .await
            .unwrap()[0]
            .clone();
        let undo = format!("/merges/{}/undo", merge.id);
        assert!(page.contains(&undo), "{page}");
        assert!(page.contains("cùng CCCD, khai hai lần"));

        // undone from the page: two people again
        let r = xa
            .client
            .post(app.url(&undo))
            .form(&[("csrf", xa.csrf.as_str()), ("unit", "28846")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(app.store.person(twin.id).await.unwrap().unwrap().active);
        let (_, page) = app.text(&xa.client, "/units/28846/duplicates").await;
        assert!(
            page.contains(&settle) && page.contains("đã hoàn tác"),
            "{page}"
        );

        // not the same person: gone from the list for good
        let r = xa
            .client
            .post(app.url(&settle))
            .form(&form(&xa.csrf, "dismiss", "hai người khác nhau"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, page) = app.text(&xa.client, "/units/28846/duplicates").await;
        assert!(!page.contains(&settle));
    })
    .await;
}
