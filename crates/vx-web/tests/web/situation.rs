//! The situation room over HTTP (issue 5): scope of every new route, the dashboard with its
//! map and charts, the daily report and its exports, work lists, announcements, and the
//! public pages (ETag, "<5", no personal data).

use reqwest::{header, Client, StatusCode};
use vx_domain::UnitLevel;
use vx_store::{Actor, Boundary, ImportOptions, Located};

use super::{browser, each_backend, spawn_app, unit, App};

const DAY: &str = "2021-09-15";

/// Units of the matrix: Phước Thạnh, its Ấp 1, Tân Thạch, its Ấp 1, Tân An (Trà Vinh), Châu Thành.
pub(crate) const UNITS: [&str; 6] = ["28846", "2884601", "28804", "2880401", "29242", "831"];

/// Who sees which of [`UNITS`] (figures and levels: `Access::sees_unit`).
#[rustfmt::skip]
pub(crate) const SEES: [(&str, [bool; 6]); 6] = [
    ("admin",     [true,  true,  true,  true,  true,  true ]),
    ("tinh",      [true,  false, true,  false, false, true ]),
    ("huyen",     [true,  true,  true,  true,  false, true ]),
    ("xa",        [true,  true,  false, false, false, false]),
    ("ap",        [false, true,  false, false, false, false]),
    ("xetnghiem", [false, false, false, false, false, false]),
];

const ROUTES: [&str; 6] = [
    "/units/{u}/dashboard?date=2021-09-15",
    "/units/{u}/report?date=2021-09-15",
    "/units/{u}/report.xlsx?date=2021-09-15",
    "/units/{u}/report.csv?date=2021-09-15",
    "/units/{u}/worklists?date=2021-09-15",
    "/units/{u}/announcements",
];

/// Stored levels and a few cases: 3 community cases in Ấp 1 of Phước Thạnh on the 14th
/// and 2 in quarantine in Tân Thạch's Ấp 1 on the 15th.
pub(crate) async fn situation(app: &App) {
    let district = app.store.unit("831").await.unwrap().unwrap();
    for (code, day, community, in_quarantine) in
        [("2884601", "2021-09-14", 3, 0), ("2880401", DAY, 0, 2)]
    {
        let u = app.store.unit(code).await.unwrap().unwrap();
        app.store
            .debug_execute(&format!(
                "INSERT INTO case_day_counts (unit_id, day, community, in_quarantine, imported) \
                 VALUES ({}, '{day}', {community}, {in_quarantine}, 0)",
                u.id
            ))
            .await
            .unwrap();
    }
    app.store
        .classify(
            &Actor::system("test"),
            &district,
            "2021-09-01".parse().unwrap(),
            DAY.parse().unwrap(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn situation_routes_scope_matrix() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        situation(&app).await;
        for (user, sees) in SEES {
            let session = app.login(user).await;
            for (code, seen) in UNITS.iter().zip(sees) {
                for route in ROUTES {
                    let path = route.replace("{u}", code);
                    let r = app.get(&session.client, &path).await;
                    let want = if seen { 200 } else { 404 };
                    assert_eq!(r.status().as_u16(), want, "{path} as {user}");
                }
                // publishing: district and commune staff (and admins), in scope
                let path = format!("/units/{code}/announcements");
                let r = session
                    .client
                    .post(app.url(&path))
                    .form(&[
                        ("csrf", session.csrf.as_str()),
                        ("title", "Thông báo thử"),
                        ("body", "Nội dung"),
                        ("published_on", DAY),
                    ])
                    .send()
                    .await
                    .unwrap();
                let want = match (seen, user) {
                    (false, _) => 404,
                    (true, "admin" | "huyen" | "xa") => 303,
                    (true, _) => 403,
                };
                assert_eq!(r.status().as_u16(), want, "POST {path} as {user}");
            }
            // the viewer's own work lists
            let r = app.get(&session.client, "/worklists?date=2021-09-15").await;
            let want = if user == "xetnghiem" { 404 } else { 303 };
            assert_eq!(r.status().as_u16(), want, "/worklists as {user}");
        }
        // signed out: the login page, never the figures
        let anonymous = browser();
        for route in ROUTES {
            let path = route.replace("{u}", "28846");
            let r = app.get(&anonymous, &path).await;
            assert_ne!(r.status(), StatusCode::OK, "{path} signed out");
        }
        // public pages: everyone, every unit; unknown units 404
        for code in UNITS {
            for path in [
                format!("/public/units/{code}?date={DAY}"),
                format!("/public/units/{code}/feed.atom?date={DAY}"),
                format!("/public/units/{code}/levels.csv?to={DAY}"),
                format!("/public/units/{code}/levels.json?to={DAY}"),
            ] {
                let r = app.get(&anonymous, &path).await;
                assert_eq!(r.status(), StatusCode::OK, "{path}");
            }
        }
        for path in [
            "/public/units/99999",
            "/public/units/bad-code",
            "/public/units/99999/feed.atom",
            "/public/units/99999/levels.csv",
        ] {
            let r = app.get(&anonymous, path).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        }
        let r = app.get(&anonymous, "/public").await;
        assert_eq!(r.status(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn dashboard_shows_levels_figures_charts_and_drills_down() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        situation(&app).await;
        let session = app.login("huyen").await;
        let (status, page) = app
            .text(&session.client, "/units/831/dashboard?date=2021-09-15")
            .await;
        assert_eq!(status, StatusCode::OK);
        for want in [
            "Tình hình dịch",
            "id=\"level\"",
            "id=\"reasons\"",
            "id=\"targets\"",
            "id=\"open-reviews\"",
            "id=\"curve-t\"",
            "id=\"tl-t\"",
            // tiles grouped by commune, each hamlet a link down
            "href=\"/units/2884601/dashboard?date=2021-09-15\"",
            "href=\"/units/28804/dashboard?date=2021-09-15\"",
            // sortable by server-side links
            "sort=c7&amp;dir=desc",
            "type=\"date\"",
        ] {
            assert!(page.contains(want), "{want} missing");
        }
        assert!(!page.contains("<script"), "no JavaScript");
        assert!(page.len() < 100_000, "{} bytes", page.len());
        // 3 community cases in Phước Thạnh over 7 days, sorted first when descending
        let (_, sorted) = app
            .text(
                &session.client,
                "/units/831/dashboard?date=2021-09-15&sort=c7&dir=desc",
            )
            .await;
        let table = &sorted[sorted.find("id=\"children\"").unwrap()..];
        let (a, b) = (
            table.find("/units/28846/dashboard").unwrap(),
            table.find("/units/28804/dashboard").unwrap(),
        );
        assert!(a < b, "Phước Thạnh (3 cases) before Tân Thạch (0)");
        let (_, asc) = app
            .text(
                &session.client,
                "/units/831/dashboard?date=2021-09-15&sort=c7&dir=asc",
            )
            .await;
        let table = &asc[asc.find("id=\"children\"").unwrap()..];
        assert!(
            table.find("/units/28804/dashboard").unwrap()
                < table.find("/units/28846/dashboard").unwrap()
        );
        // a hamlet's dashboard: no children
        let (status, page) = app
            .text(&session.client, "/units/2884601/dashboard?date=2021-09-15")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(!page.contains("id=\"children\""));
        // a malformed date is 404
        let (status, _) = app
            .text(&session.client, "/units/831/dashboard?date=15-09-2021")
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

/// The map from imported boundaries: each child a link, filled with its level's pattern,
/// labelled; snapshot of the SVG.
#[tokio::test]
async fn level_map_from_boundaries_snapshot() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        situation(&app).await;
        let square = |x: f64| {
            vec![vec![vec![
                (x, 10.0),
                (x + 0.1, 10.0),
                (x + 0.1, 10.1),
                (x, 10.1),
                (x, 10.0),
            ]]]
        };
        let s = app
            .store
            .import_boundaries(
                &Actor::system("test"),
                "test.geojson",
                &[
                    Boundary {
                        unit_code: "28846".into(),
                        polygons: square(106.0),
                        schematic: true,
                    },
                    Boundary {
                        unit_code: "28804".into(),
                        polygons: square(106.1),
                        schematic: true,
                    },
                ],
            )
            .await
            .unwrap();
        assert_eq!((s.created, s.updated), (2, 0));
        // unknown codes: refused, nothing written
        let err = app
            .store
            .import_boundaries(
                &Actor::system("test"),
                "bad.geojson",
                &[Boundary {
                    unit_code: "00000".into(),
                    polygons: square(1.0),
                    schematic: false,
                }],
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("1 rows refused"), "{err}");
        let session = app.login("huyen").await;
        let (_, page) = app
            .text(&session.client, "/units/831/dashboard?date=2021-09-15")
            .await;
        let start = page
            .find("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"-4 -4")
            .expect("a map");
        let end = start + page[start..].find("</svg>").unwrap() + 6;
        let svg = &page[start..end];
        assert!(svg.contains("href=\"/units/28846/dashboard?date=2021-09-15\""));
        assert!(page.contains("Sơ đồ minh hoạ"), "schematic is said");
        insta::assert_snapshot!("situation_map_831", svg);
    })
    .await;
}

#[tokio::test]
async fn daily_report_page_xlsx_csv_and_neutralised_cells() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        situation(&app).await;
        // a hamlet whose name a spreadsheet would run as a formula
        app.store
            .import_units(
                &Actor::system("test"),
                vec![Located {
                    row: 2,
                    value: unit(
                        "2884699",
                        Some("28846"),
                        UnitLevel::Hamlet,
                        "=HYPERLINK(\"x\")",
                        None,
                    ),
                }],
                None,
                &ImportOptions::default(),
            )
            .await
            .unwrap();
        let session = app.login("xa").await;
        let (status, page) = app
            .text(&session.client, "/units/28846/report?date=2021-09-14")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("report.xlsx?date=2021-09-14"));
        let r = app
            .get(&session.client, "/units/28846/report.csv?date=2021-09-14")
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("bao-cao-ngay-28846-2021-09-14.csv"));
        let csv = r.text().await.unwrap();
        assert!(csv.contains("'=HYPERLINK(\"\"x\"\")"), "{csv}");
        assert!(!csv.contains(",=HYPERLINK"), "{csv}");
        insta::assert_snapshot!("situation_report_28846_csv", csv);
        let r = app
            .get(&session.client, "/units/28846/report.xlsx?date=2021-09-14")
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let bytes = r.bytes().await.unwrap();
        assert_eq!(&bytes[..2], b"PK", "a zip (XLSX)");
        // the same report from the library the CLI uses
        let phuoc = app.store.unit("28846").await.unwrap().unwrap();
        let children = app.store.children(Some(&phuoc.code)).await.unwrap();
        let report =
            vx_web::daily_report(&app.store, &phuoc, &children, "2021-09-14".parse().unwrap())
                .await
                .unwrap();
        assert_eq!(report.rows[0].figures.new_community, 3);
        assert_eq!(report.to_csv(), csv.as_bytes());
    })
    .await;
}

#[tokio::test]
async fn public_pages_etag_small_counts_and_no_personal_data() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        situation(&app).await;
        let session = app.login("xa").await;
        let r = session
            .client
            .post(app.url("/units/28846/announcements"))
            .form(&[
                ("csrf", session.csrf.as_str()),
                ("title", "Xét nghiệm toàn xã ngày 16/9"),
                ("body", "Mời bà con đến điểm lấy mẫu."),
                ("published_on", DAY),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        // without the CSRF token: refused
        let r = session
            .client
            .post(app.url("/units/28846/announcements"))
            .form(&[("title", "x"), ("body", "y"), ("published_on", DAY)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        let visitor = Client::new();
        // the hamlet's 3 cases read "<5"; the commune's do not
        let hamlet = app
            .get(&visitor, "/public/units/2884601?date=2021-09-15")
            .await;
        assert_eq!(hamlet.status(), StatusCode::OK);
        let etag = hamlet.headers()[header::ETAG].to_str().unwrap().to_string();
        let page = hamlet.text().await.unwrap();
        assert!(page.contains("&lt;5"), "small counts hidden below communes");
        let (_, commune) = app
            .text(&visitor, "/public/units/28846?date=2021-09-15")
            .await;
        // the commune's own count is shown; its hamlets' tiles hide theirs
        assert!(commune.contains("Xét nghiệm toàn xã ngày 16/9"));
        assert!(commune.contains("<b>3</b>"), "the commune's 7-day count");
        for page in [&page, &commune] {
            for personal in [
                "Nguyễn Văn An",
                "Trần Văn Bảy",
                "Lê Thị Cúc",
                "083080001234",
                "2884601-0001",
            ] {
                assert!(!page.contains(personal), "{personal} on a public page");
            }
            assert!(page.len() < 100_000);
        }
        // ETag: the same page again with If-None-Match is 304 without a body
        let r = visitor
            .get(app.url("/public/units/2884601?date=2021-09-15"))
            .header(header::IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(r.headers()[header::ETAG].to_str().unwrap(), etag);
        assert!(r.text().await.unwrap().is_empty());
        let r = visitor
            .get(app.url("/public/units/2884601?date=2021-09-15"))
            .header(header::IF_NONE_MATCH, "\"something-else\"")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        // feed and open data
        let (status, atom) = app
            .text(&visitor, "/public/units/28846/feed.atom?date=2021-09-15")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(atom.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
        assert!(atom.contains("Xét nghiệm toàn xã ngày 16/9"));
        let (_, json) = app
            .text(
                &visitor,
                "/public/units/831/levels.json?from=2021-09-14&to=2021-09-15",
            )
            .await;
        let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
        let rows = rows.as_array().unwrap();
        // the district and its two communes, two days each
        assert_eq!(rows.len(), 6, "{json}");
        assert!(rows.iter().all(|r| r["level"].as_u64().is_some()));
        let (_, csv) = app
            .text(
                &visitor,
                "/public/units/831/levels.csv?from=2021-09-14&to=2021-09-15",
            )
            .await;
        assert!(csv.starts_with("unit_code,unit_name,parent_code,date,level"));
        assert_eq!(csv.lines().count(), 7);
        let r = app
            .get(
                &visitor,
                "/public/units/831/levels.csv?from=2021-01-01&to=2021-09-15",
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn work_lists_counts_for_the_district_items_for_the_commune() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        situation(&app).await;
        let huyen = app.login("huyen").await;
        let (status, page) = app
            .text(&huyen.client, "/units/831/worklists?date=2021-09-15")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"work-counts\""));
        assert!(
            !page.contains("id=\"work-items\""),
            "no people for a district"
        );
        assert!(page.contains("id=\"targets-at-risk\"") && page.contains("id=\"open-reviews\""));
        let xa = app.login("xa").await;
        let (status, page) = app
            .text(&xa.client, "/units/28846/worklists?date=2021-09-15")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"work-items\""));
        let r = app.get(&xa.client, "/worklists?date=2021-09-15").await;
        assert_eq!(
            r.headers()[header::LOCATION].to_str().unwrap(),
            "/units/28846/worklists?date=2021-09-15"
        );
    })
    .await;
}
