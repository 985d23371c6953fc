//! Zone status over HTTP (issue 4).

use reqwest::{Method, StatusCode};
use vx_store::Actor;

use super::{each_backend, spawn_app};

mod life;

#[tokio::test]
async fn status_api_and_page_within_scope() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let district = app.store.unit("831").await.unwrap().unwrap();
        let day: chrono::NaiveDate = "2021-09-15".parse().unwrap();
        app.store
            .classify(&Actor::system("test"), &district, day, day)
            .await
            .unwrap();
        let token = app.token("huyen").await;
        let (status, body) = app
            .api(
                &token,
                Method::GET,
                "/api/v1/units/28846/status?date=2021-09-15",
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["unit"], "28846");
        assert_eq!(body["stored"], true);
        assert_eq!(body["rule_set"]["id"], "qd-2686");
        assert_eq!(body["level"]["number"], 1);
        assert_eq!(body["level"]["colour"], "green");
        assert!(body["reasons"].as_array().is_some_and(|r| !r.is_empty()));
        insta::assert_json_snapshot!("zone_status_28846", body);

        // out of scope: 404, like every unit route
        let (status, _) = app
            .api(
                &token,
                Method::GET,
                "/api/v1/units/29242/status?date=2021-09-15",
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // a day not classified is computed on the fly, not stored
        let (status, body) = app
            .api(
                &token,
                Method::GET,
                "/api/v1/units/28846/status?date=2021-10-20",
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["stored"], false);
        assert_eq!(body["rule_set"]["id"], "qd-4800");
        assert!(app
            .store
            .zone_status(&district, "2021-10-20".parse().unwrap())
            .await
            .unwrap()
            .is_none());

        let session = app.login("huyen").await;
        let (status, page) = app
            .text(&session.client, "/units/28846/status?date=2021-09-15")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Cấp độ dịch"), "{page}");
        assert!(page.contains("xanh"), "{page}");
        assert!(page.contains("qd-2686"), "{page}");
        assert!(page.contains("type=\"date\""), "{page}");
        let (status, _) = app
            .text(&session.client, "/units/29242/status?date=2021-09-15")
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

/// The policy sandbox side by side: the district and its communes under 2686, 4800 and 218,
/// one digit a day; within scope only.
#[tokio::test]
async fn sandbox_compares_rule_sets_side_by_side() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let session = app.login("huyen").await;
        let (status, page) = app
            .text(
                &session.client,
                "/units/831/sandbox/compare?from=2021-10-01&to=2021-10-20",
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for want in [
            "qd-2686",
            "qd-4800",
            "qd-218",
            "Phước Thạnh",
            "11111111111111111111",
        ] {
            assert!(page.contains(want), "{want} missing in {page}");
        }
        assert!(!page.contains("green-zone</th>"), "levels only: {page}");
        // 93 days is too long: said on the page, nothing computed.
        let (status, page) = app
            .text(
                &session.client,
                "/units/831/sandbox/compare?from=2021-08-01&to=2021-11-01",
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("92"), "{page}");
        // out of scope: 404 like every unit page
        let (status, _) = app
            .text(
                &session.client,
                "/units/29242/sandbox/compare?from=2021-10-01&to=2021-10-02",
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

/// The status and the dashboard are kept in memory between writes: every write (here
/// made by another process's way, the store, not through this server) shows at once; a
/// page kept for one session is never shown to another; a new password signs the user's
/// sessions out at once although their credentials were in memory.
#[tokio::test]
async fn answers_kept_in_memory_follow_every_write() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let district = app.store.unit("831").await.unwrap().unwrap();
        let token = app.token("huyen").await;
        let path = "/api/v1/units/28846/status?date=2021-10-20";
        for _ in 0..2 {
            let (status, body) = app.api(&token, Method::GET, path, None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["stored"], false);
        }
        let day: chrono::NaiveDate = "2021-10-20".parse().unwrap();
        app.store
            .classify(&Actor::system("test"), &district, day, day)
            .await
            .unwrap();
        let (_, body) = app.api(&token, Method::GET, path, None).await;
        assert_eq!(body["stored"], true, "the classification shows at once");

        let first = app.login("huyen").await;
        let second = app.login("huyen").await;
        assert_ne!(first.csrf, second.csrf);
        let dash = "/units/28846/dashboard?date=2021-10-20";
        for _ in 0..2 {
            for s in [&first, &second] {
                let (status, page) = app.text(&s.client, dash).await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(super::csrf_of(&page), s.csrf, "each session its own page");
            }
        }
        let user = app
            .store
            .user_by_username("huyen")
            .await
            .unwrap()
            .unwrap()
            .0;
        app.store
            .set_password(
                &Actor::system("test"),
                user.id,
                "$argon2id$v=19$m=19456,t=2,p=1$x$y",
            )
            .await
            .unwrap();
        let r = app.get(&first.client, dash).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed out at once");
    })
    .await;
}

/// The API routes of this part, for the OpenAPI completeness check in main.rs.
pub(crate) const API_ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/units/{code}/status"),
    ("get", "/api/v1/units/{code}/green-zone"),
    ("post", "/api/v1/units/{code}/green-zone/recognitions"),
    ("get", "/api/v1/units/{code}/heads"),
    ("post", "/api/v1/units/{code}/heads"),
    ("put", "/api/v1/units/{code}/heads/{id}"),
    ("delete", "/api/v1/units/{code}/heads/{id}"),
    ("get", "/api/v1/units/{code}/reviews"),
    ("put", "/api/v1/units/{code}/reviews/{id}"),
    ("get", "/api/v1/units/{code}/measure-overrides"),
    ("post", "/api/v1/units/{code}/measure-overrides"),
    ("get", "/api/v1/units/{code}/targets"),
    ("post", "/api/v1/units/{code}/targets"),
    ("get", "/api/v1/units/{code}/sandbox"),
];

/// The status route × every role × units inside and outside its scope (and deeper than
/// its role may see): visible units answer 200, everything else 404.
#[tokio::test]
async fn status_scope_matrix() {
    const UNITS: [&str; 5] = ["28846", "2884601", "28804", "2880401", "29242"];
    #[rustfmt::skip]
    const EXPECTED: [(&str, [u16; 5]); 6] = [
        ("admin",     [200, 200, 200, 200, 200]),
        ("tinh",      [200, 404, 200, 404, 404]),
        ("huyen",     [200, 200, 200, 200, 404]),
        ("xa",        [200, 200, 404, 404, 404]),
        ("ap",        [404, 200, 404, 404, 404]),
        ("xetnghiem", [404, 404, 404, 404, 404]),
    ];
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        for (user, expected) in EXPECTED {
            let token = app.token(user).await;
            for (unit, want) in UNITS.iter().zip(expected) {
                let path = format!("/api/v1/units/{unit}/status?date=2021-09-15");
                let (status, body) = app.api(&token, Method::GET, &path, None).await;
                assert_eq!(status.as_u16(), want, "{path} as {user}: {body}");
            }
        }
    })
    .await;
}
