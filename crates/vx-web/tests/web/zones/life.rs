//! Green-zone lifecycle, heads, reviews, measure overrides, targets and the sandbox over HTTP
//! (issue 4): who may do what, scope, and the pages.

use reqwest::{Method, StatusCode};
use serde_json::json;
use vx_store::rules::zone::ZoneEvent;
use vx_store::Actor;

use crate::{each_backend, spawn_app};

fn d(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

#[tokio::test]
async fn lifecycle_heads_reviews_overrides_targets_and_sandbox_over_the_api() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let huyen = app.token("huyen").await;
        let xa = app.token("xa").await;
        let pt = app.store.unit("28846").await.unwrap().unwrap();

        let (status, body) = app.api(&huyen, Method::GET, "/api/v1/units/28846/green-zone", None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["state"], "not_green");
        let (status, _) = app.api(&huyen, Method::GET, "/api/v1/units/29242/green-zone", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Recognition: only the level above, only a candidate.
        let recognise = json!({"decision_number": "245/QĐ-UBND", "date": "2021-09-10"});
        let path = "/api/v1/units/28846/green-zone/recognitions";
        let (status, body) = app.api(&xa, Method::POST, path, Some(recognise.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, body) = app.api(&huyen, Method::POST, path, Some(recognise.clone())).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        app.store
            .apply_zone_event(
                &Actor::system("test"),
                &pt,
                &ZoneEvent::Assessed { date: d("2021-09-09"), candidate: true },
            )
            .await
            .unwrap();
        let (status, body) = app.api(&huyen, Method::POST, path, Some(recognise)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["state"], "recognised");
        assert_eq!(body["recognitions"], 1);
        assert_eq!(body["events"].as_array().unwrap().len(), 2);

        // Heads: the commune registers its own.
        let (status, head) = app
            .api(
                &xa,
                Method::POST,
                "/api/v1/units/28846/heads",
                Some(json!({"name": "Trần Văn Thử", "title": "Chủ tịch UBND xã", "term_from": "2021-06-25"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{head}");
        let id = head["id"].as_i64().unwrap();
        let (status, body) = app
            .api(
                &xa,
                Method::POST,
                "/api/v1/units/28846/heads",
                Some(json!({"name": "X", "title": "Y", "term_from": "2021-06-25", "term_to": "2021-01-01"})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, body) = app
            .api(
                &xa,
                Method::PUT,
                &format!("/api/v1/units/28846/heads/{id}"),
                Some(json!({"name": "Trần Văn Thử", "title": "Chủ tịch UBND xã", "term_from": "2021-06-20"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["term_from"], "2021-06-20");
        // another unit's head is not found under this unit
        let (status, _) = app
            .api(&huyen, Method::DELETE, &format!("/api/v1/units/28804/heads/{id}"), None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A community case breaks the zone and opens a review naming the head.
        app.store
            .apply_zone_event(
                &Actor::system("test"),
                &pt,
                &ZoneEvent::CommunityCase { date: d("2021-09-27"), case_id: "77".into() },
            )
            .await
            .unwrap();
        let (status, reviews) = app.api(&xa, Method::GET, "/api/v1/units/28846/reviews", None).await;
        assert_eq!(status, StatusCode::OK, "{reviews}");
        assert_eq!(reviews[0]["case"], "#77");
        assert_eq!(reviews[0]["heads"][0]["name"], "Trần Văn Thử");
        assert_eq!(reviews[0]["status"], "open");
        let rid = reviews[0]["id"].as_i64().unwrap();
        let rpath = format!("/api/v1/units/28846/reviews/{rid}");
        let (status, _) = app
            .api(&xa, Method::PUT, &rpath, Some(json!({"status": "closed", "outcome": "x"})))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "the commune does not review itself");
        let (status, body) = app
            .api(&huyen, Method::PUT, &rpath, Some(json!({"status": "closed"})))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, body) = app
            .api(&huyen, Method::PUT, &rpath, Some(json!({"status": "in-progress", "notes": "Họp ngày 28/9"})))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "in-progress");
        let (status, _) = app
            .api(&huyen, Method::PUT, &format!("/api/v1/units/28804/reviews/{rid}"), Some(json!({"status": "open"})))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // the head can no longer be deleted silently? it can: the review keeps its copy
        let (status, _) = app
            .api(&xa, Method::DELETE, &format!("/api/v1/units/28846/heads/{id}"), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, reviews) = app.api(&xa, Method::GET, "/api/v1/units/28846/reviews", None).await;
        assert_eq!(reviews[0]["heads"][0]["name"], "Trần Văn Thử");

        // Measure overrides, and their source on the status.
        let (status, body) = app
            .api(
                &xa,
                Method::POST,
                "/api/v1/units/28846/measure-overrides",
                Some(json!({"decision": "QĐ 12/QĐ-UBND", "measure": "gathering_max", "value": 30,
                    "from": "2021-09-15", "note": "Nới lỏng trong vùng xanh"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = app
            .api(
                &xa,
                Method::POST,
                "/api/v1/units/28846/measure-overrides",
                Some(json!({"decision": "QĐ 13", "measure": "markets", "value": 3, "from": "2021-09-15"})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, body) = app
            .api(&huyen, Method::GET, "/api/v1/units/2884601/status?date=2021-09-20", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let m = body["measures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["measure"] == "gathering_max")
            .cloned()
            .unwrap();
        assert_eq!(m["override_unit"], "28846", "{m}");
        assert_eq!(m["value"], json!({"people": 30}));
        let (_, body) = app
            .api(&huyen, Method::GET, "/api/v1/units/28846/status?date=2021-09-14", None)
            .await;
        assert!(body["measures"].as_array().unwrap().iter().all(|m| m["override_unit"].is_null()));

        // Targets.
        let (status, body) = app
            .api(
                &huyen,
                Method::POST,
                "/api/v1/units/831/targets?date=2021-09-15",
                Some(json!({"level": 1, "by": "2021-09-21", "note": "Bình thường mới"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["level"], 1);
        assert!(body["status"].is_string());
        let (status, body) = app
            .api(&huyen, Method::GET, "/api/v1/units/831/targets?date=2021-09-15", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body.as_array().unwrap().len(), 1);
        let (status, _) = app
            .api(&huyen, Method::POST, "/api/v1/units/831/targets", Some(json!({"level": 7, "by": "2021-09-21"})))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // The sandbox computes, never stores.
        let district = app.store.unit("831").await.unwrap().unwrap();
        let (status, body) = app
            .api(
                &huyen,
                Method::GET,
                "/api/v1/units/831/sandbox?rule_set=green-zone&from=2021-09-10&to=2021-09-12",
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["rule_set"], "green-zone");
        assert!(body["unit_days"].as_u64().unwrap() > 0);
        assert!(app
            .store
            .zone_levels(&district, d("2021-09-10"), d("2021-09-12"))
            .await
            .unwrap()
            .is_empty());
        let (status, _) = app
            .api(&huyen, Method::GET, "/api/v1/units/831/sandbox?rule_set=nope&from=2021-09-10&to=2021-09-12", None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app
            .api(&huyen, Method::GET, "/api/v1/units/831/sandbox?rule_set=qd-2686&from=2021-09-10&to=2022-09-12", None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn lifecycle_pages_with_forms() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let pt = app.store.unit("28846").await.unwrap().unwrap();
        app.store
            .apply_zone_event(
                &Actor::system("test"),
                &pt,
                &ZoneEvent::Assessed {
                    date: d("2021-09-09"),
                    candidate: true,
                },
            )
            .await
            .unwrap();
        // The commune sees its page, without the recognition form.
        let xa = app.login("xa").await;
        let (status, page) = app.text(&xa.client, "/units/28846/green-zone").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Vùng xanh — Phước Thạnh"), "{page}");
        assert!(page.contains("chờ cấp trên công nhận"), "{page}");
        assert!(!page.contains("name=\"decision_number\""), "{page}");
        // registers a head through the form
        let r = xa
            .client
            .post(format!("{}/units/28846/heads", app.base))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("name", "Lê Thị Mẫu"),
                ("title", "Bí thư Đảng ủy xã"),
                ("term_from", "2021-07-01"),
                ("term_to", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = xa
            .client
            .post(format!("{}/units/28846/heads", app.base))
            .form(&[
                ("csrf", "wrong"),
                ("name", "A"),
                ("title", "B"),
                ("term_from", "2021-07-01"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // a recognition by the commune itself is refused
        let r = xa
            .client
            .post(format!("{}/units/28846/green-zone/recognise", app.base))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("decision_number", "1/QĐ"),
                ("date", "2021-09-10"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        // The district recognises it through the form.
        let huyen = app.login("huyen").await;
        let (_, page) = app.text(&huyen.client, "/units/28846/green-zone").await;
        assert!(page.contains("name=\"decision_number\""), "{page}");
        assert!(page.contains("Lê Thị Mẫu"), "{page}");
        let r = huyen
            .client
            .post(format!("{}/units/28846/green-zone/recognise", app.base))
            .form(&[
                ("csrf", huyen.csrf.as_str()),
                ("decision_number", "245/QĐ-UBND"),
                ("date", "2021-09-10"),
                ("by", "UBND huyện Châu Thành"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, page) = app.text(&huyen.client, "/units/28846/green-zone").await;
        assert!(
            page.contains("vùng xanh được công nhận theo 245/QĐ-UBND"),
            "{page}"
        );
        assert!(page.contains("đủ tiêu chí → được công nhận"), "{page}");
        // again: the refusal in Vietnamese, on the page
        let r = huyen
            .client
            .post(format!("{}/units/28846/green-zone/recognise", app.base))
            .form(&[
                ("csrf", huyen.csrf.as_str()),
                ("decision_number", "246/QĐ-UBND"),
                ("date", "2021-09-11"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let page = r.text().await.unwrap();
        assert!(page.contains("đã được công nhận vùng xanh"), "{page}");

        // A measure override through the status page form.
        let r = xa
            .client
            .post(format!("{}/units/28846/measure-overrides", app.base))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("decision", "QĐ 12/QĐ-UBND"),
                ("measure", "curfew"),
                ("value", "none"),
                ("from", "2021-09-15"),
                ("to", ""),
                ("levels", ""),
                ("note", "Bỏ giới nghiêm"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (status, page) = app
            .text(&xa.client, "/units/28846/status?date=2021-09-20")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("Điều chỉnh biện pháp tại địa phương"),
            "{page}"
        );
        assert!(page.contains("QĐ 12/QĐ-UBND"), "{page}");
        assert!(page.contains("điều chỉnh của địa phương"), "{page}");
        let r = xa
            .client
            .post(format!("{}/units/28846/measure-overrides", app.base))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("decision", "QĐ 13"),
                ("measure", "markets"),
                ("value", "maybe"),
                ("from", "2021-09-15"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("role=\"alert\""));

        // Targets and sandbox pages.
        let r = huyen
            .client
            .post(format!("{}/units/831/targets", app.base))
            .form(&[
                ("csrf", huyen.csrf.as_str()),
                ("level", "1"),
                ("by", "2021-09-21"),
                ("margin_days", "3"),
                ("note", "Bình thường mới"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (status, page) = app
            .text(&huyen.client, "/units/831/targets?date=2021-09-15")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Mục tiêu"), "{page}");
        assert!(page.contains("21/09/2021"), "{page}");
        let (status, page) = app
            .text(
                &huyen.client,
                "/units/831/sandbox?rule_set=green-zone&from=2021-09-10&to=2021-09-11",
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Thử nghiệm chính sách"), "{page}");
        let (status, page) = app.text(&huyen.client, "/units/831/sandbox?lang=en").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Policy sandbox"), "{page}");
        for path in [
            "/units/29242/green-zone",
            "/units/29242/targets",
            "/units/29242/sandbox",
        ] {
            let (status, _) = app.text(&huyen.client, path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
    })
    .await;
}

/// The GET routes of this part × every role × units inside and outside its scope: visible
/// units answer 200, everything else 404 (the same matrix as the status route).
#[tokio::test]
async fn lifecycle_scope_matrix() {
    const ROUTES: [&str; 6] = [
        "/api/v1/units/{u}/green-zone",
        "/api/v1/units/{u}/heads",
        "/api/v1/units/{u}/reviews",
        "/api/v1/units/{u}/measure-overrides",
        "/api/v1/units/{u}/targets?date=2021-09-15",
        "/api/v1/units/{u}/sandbox?rule_set=qd-2686&from=2021-09-15&to=2021-09-15",
    ];
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
            for route in ROUTES {
                for (unit, want) in UNITS.iter().zip(expected) {
                    let path = route.replace("{u}", unit);
                    let (status, body) = app.api(&token, Method::GET, &path, None).await;
                    assert_eq!(status.as_u16(), want, "{path} as {user}: {body}");
                }
            }
        }
        // Writes out of scope are 404 too.
        let xa = app.token("xa").await;
        for (method, path) in [
            (Method::POST, "/api/v1/units/28804/green-zone/recognitions"),
            (Method::POST, "/api/v1/units/28804/heads"),
            (Method::PUT, "/api/v1/units/28804/heads/1"),
            (Method::DELETE, "/api/v1/units/28804/heads/1"),
            (Method::PUT, "/api/v1/units/28804/reviews/1"),
            (Method::POST, "/api/v1/units/28804/measure-overrides"),
            (Method::POST, "/api/v1/units/28804/targets"),
        ] {
            let body = json!({"decision_number": "1", "date": "2021-09-10", "name": "A", "title": "B",
                "term_from": "2021-01-01", "status": "open", "decision": "x", "measure": "markets",
                "value": "open", "from": "2021-09-01", "level": 1, "by": "2021-09-21"});
            let (status, body) = app.api(&xa, method.clone(), path, Some(body)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        }
    })
    .await;
}
