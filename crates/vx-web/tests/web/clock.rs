//! The server's clock and the kept pages (issue 16): `--as-of` is the day of every page and
//! API without a date, named in the header; a day without an assessment says so and links
//! to the latest assessed day; concurrent requests for one uncomputed page draw it once.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use vx_web::{Metrics, WebConfig};

use super::situation::situation;
use super::{each_backend, spawn_app, spawn_app_with};

/// The last day [`situation`] classifies.
const DAY: &str = "2021-09-15";

#[tokio::test]
async fn as_of_is_the_day_of_pages_and_api_without_a_date() {
    each_backend(|ts| async move {
        let config = WebConfig {
            as_of: Some(DAY.parse().unwrap()),
            ..Default::default()
        };
        let app = spawn_app_with(ts, config).await;
        situation(&app).await;
        let session = app.login("huyen").await;
        let (status, page) = app.text(&session.client, "/units/831/dashboard").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Dữ liệu tính đến ngày 15/09/2021"), "header");
        assert!(
            page.contains(&format!("name=\"date\" value=\"{DAY}\"")),
            "the day shown is the as-of day"
        );
        assert!(!page.contains("id=\"unassessed\""), "the day is assessed");
        let (_, page) = app.text(&session.client, "/units/831/status").await;
        assert!(page.contains(&format!("value=\"{DAY}\"")));
        assert!(page.contains("Data as of") || page.contains("Dữ liệu tính đến ngày"));
        // A day asked for wins over the clock.
        let (_, page) = app
            .text(&session.client, "/units/831/dashboard?date=2021-09-10")
            .await;
        assert!(page.contains("name=\"date\" value=\"2021-09-10\""));
        // The API's default day.
        let token = app.token("huyen").await;
        let (status, body) = app
            .api(&token, Method::GET, "/api/v1/units/831/status", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["date"], DAY);
        assert_eq!(body["stored"], true);
    })
    .await;
}

#[tokio::test]
async fn a_day_without_assessment_links_to_the_latest_assessed_day() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await; // no --as-of: today, far after the stored days
        situation(&app).await;
        let session = app.login("huyen").await;
        let (status, page) = app.text(&session.client, "/units/831/dashboard").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            !page.contains("Dữ liệu tính đến ngày"),
            "no as-of in the header"
        );
        let notice = &page[page.find("id=\"unassessed\"").expect("a notice")..];
        assert!(
            notice.contains(&format!("href=\"/units/831/dashboard?date={DAY}\"")),
            "links to the latest assessed day"
        );
        let (_, page) = app.text(&session.client, "/units/831/status").await;
        let notice = &page[page.find("id=\"unassessed\"").expect("a notice")..];
        assert!(notice.contains(&format!("href=\"/units/831/status?date={DAY}\"")));
        // The assessed day itself: no notice.
        let (_, page) = app
            .text(&session.client, &format!("/units/831/dashboard?date={DAY}"))
            .await;
        assert!(!page.contains("id=\"unassessed\""));
        // Nothing ever assessed under Tân An (Trà Vinh): the notice says so.
        let admin = app.login("admin").await;
        let (status, page) = app
            .text(&admin.client, &format!("/units/29242/dashboard?date={DAY}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let notice = &page[page.find("id=\"unassessed\"").expect("a notice")..];
        assert!(notice.contains("Chưa có ngày nào được đánh giá"));
    })
    .await;
}

#[tokio::test]
async fn concurrent_requests_for_an_uncomputed_page_draw_it_once() {
    each_backend(|ts| async move {
        let metrics = Arc::new(Metrics::default());
        let config = WebConfig {
            metrics: metrics.clone(),
            ..Default::default()
        };
        let app = Arc::new(spawn_app_with(ts, config).await);
        situation(&app).await;
        let session = app.login("huyen").await;
        for (n, path) in [
            (1, "/units/831/dashboard?date=2021-09-14"),
            (24, "/units/831/dashboard?date=2021-09-13"),
            (24, "/units/28846/status?date=2021-09-13"),
        ] {
            let before = metrics.page_draws();
            let mut tasks = Vec::new();
            for _ in 0..n {
                let (app, client) = (app.clone(), session.client.clone());
                tasks.push(tokio::spawn(async move { app.text(&client, path).await }));
            }
            let mut pages = Vec::new();
            for t in tasks {
                let (status, page) = t.await.unwrap();
                assert_eq!(status, StatusCode::OK, "{path}");
                pages.push(page);
            }
            assert!(pages.iter().all(|p| p == &pages[0]), "{path}: one page");
            assert_eq!(
                metrics.page_draws() - before,
                1,
                "{path}: {n} requests, one drawing"
            );
        }
    })
    .await;
}
