//! Screening, samples, results, cases and contacts over HTTP (issue 3).

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use vx_domain::epi::{NewCampaign, NewRound, NewSample, SampleCode, SampleMethod, TargetGroup};
use vx_domain::UnitCode;
use vx_store::{Actor, NewUser};

use super::{each_backend, password_hash, spawn_app, App};

/// The API routes of this part (method, OpenAPI path), for main.rs's OpenAPI check; their
/// scope (every role, own samples only) is tested below.
#[allow(dead_code)]
pub(crate) const API_ROUTES: &[(&str, &str)] = &[
    ("post", "/api/v1/results"),
    ("get", "/api/v1/samples/{code}"),
];

/// A campaign over Châu Thành with one round, and two samples sent to the seed's laboratory
/// ("Phòng xét nghiệm"): a pool of A and B, and an individual sample of A's namesake.
async fn samples(app: &App) -> i64 {
    let actor = Actor::system("test");
    let c = app
        .store
        .create_campaign(
            &actor,
            &NewCampaign {
                name: "Sàng lọc toàn huyện".into(),
                target_units: vec![UnitCode::parse("831").unwrap()],
                target: TargetGroup::Everyone,
            },
        )
        .await
        .unwrap();
    let round = app
        .store
        .create_round(
            &actor,
            &NewRound {
                campaign_id: c.id,
                number: 1,
                start: "2021-09-21".parse().unwrap(),
                end: "2021-09-23".parse().unwrap(),
            },
        )
        .await
        .unwrap();
    for (code, pooled, members) in [
        ("S-0001", true, vec!["A", "B"]),
        ("S-0002", false, vec!["A-ap2"]),
    ] {
        app.store
            .create_sample(
                &actor,
                &NewSample {
                    code: SampleCode::parse(code).unwrap(),
                    round_id: round.id,
                    method: SampleMethod::RtPcr,
                    pooled,
                    high_risk: false,
                    collected_at: "2021-09-21T23:30:00Z".parse().unwrap(),
                    collector: "Tổ 1".into(),
                    laboratory: "Phòng xét nghiệm".into(),
                    members: members.iter().map(|k| app.seed.people[k].id).collect(),
                    retest_order_id: None,
                },
            )
            .await
            .unwrap();
    }
    round.id
}

fn rows(rows: &[(&str, &str)]) -> Value {
    json!({
        "rows": rows
            .iter()
            .map(|(code, result)| json!({
                "sample_code": code, "result": result, "tested_at": "2021-09-22 14:00"
            }))
            .collect::<Vec<_>>()
    })
}

fn outcomes(answer: &Value) -> Vec<String> {
    answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn lab_uploads_results_idempotently_and_conflicts_are_kept() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        samples(&app).await;
        let lab = app.token("xetnghiem").await;
        let post = Method::POST;
        let path = "/api/v1/results";

        // A bad row refuses the whole upload, and says which row and column.
        let (status, answer) = app
            .api(
                &lab,
                post.clone(),
                path,
                Some(rows(&[("S-9999", "negative"), ("S-0001", "âm tính")])),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["imported"], false);
        assert_eq!(outcomes(&answer), ["problem", "accepted"]);
        assert_eq!(answer["rows"][0]["row"], 1);
        assert_eq!(answer["rows"][0]["problems"][0]["column"], "sample_code");
        let (_, s1) = app
            .api(&lab, Method::GET, "/api/v1/samples/S-0001", None)
            .await;
        assert_eq!(s1["result"], Value::Null, "nothing half-imported");

        // Skipping bad rows records the good ones.
        let (status, answer) = app
            .api(
                &lab,
                post.clone(),
                &format!("{path}?skip_bad_rows=true"),
                Some(rows(&[("S-9999", "negative"), ("S-0001", "âm tính")])),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["imported"], true);
        assert_eq!(answer["accepted"], 1);
        assert_eq!(answer["laboratory"], "Phòng xét nghiệm");

        // Again, with a new positive individual sample: unchanged, accepted, a proposal.
        let (status, answer) = app
            .api(
                &lab,
                post.clone(),
                path,
                Some(rows(&[("S-0001", "negative"), ("S-0002", "dương tính")])),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(outcomes(&answer), ["unchanged", "accepted"]);
        assert_eq!(answer["case_proposals"], 1);

        // The same upload once more changes nothing.
        let (status, again) = app
            .api(
                &lab,
                post.clone(),
                path,
                Some(rows(&[("S-0001", "negative"), ("S-0002", "dương tính")])),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(outcomes(&again), ["unchanged", "unchanged"]);
        assert_eq!(again["case_proposals"], 0);

        // A different result is a conflict kept for review, never applied.
        let (status, answer) = app
            .api(
                &lab,
                post.clone(),
                path,
                Some(rows(&[("S-0001", "positive")])),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(outcomes(&answer), ["conflict"]);
        assert!(answer["rows"][0]["conflict_id"].as_i64().is_some());
        let (_, s1) = app
            .api(&lab, Method::GET, "/api/v1/samples/S-0001", None)
            .await;
        assert_eq!(s1["result"], "negative");
        assert_eq!(s1["members"], 2);
        assert!(s1.get("people").is_none());
        let open = app.store.result_conflicts(None, 0, 100).await.unwrap();
        assert_eq!(open.len(), 1);

        // A CSV file as the body, Vietnamese headers: read by the same rules.
        let csv = "Mã mẫu,Kết quả,CT,Ngày xét nghiệm\nS-0001,Âm tính,,22/09/2021 14:00\n";
        let r = Client::new()
            .post(app.url(path))
            .bearer_auth(&lab)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let answer: Value = r.json().await.unwrap();
        assert_eq!(outcomes(&answer), ["unchanged"]);
        assert_eq!(answer["rows"][0]["row"], 2);

        // A file that is not a results file is refused whole.
        let r = Client::new()
            .post(app.url(path))
            .bearer_auth(&lab)
            .header("content-type", "text/csv")
            .body("code,outcome\nS-0001,neg\n")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn only_laboratories_upload_and_each_reads_its_own_samples() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        samples(&app).await;
        app.store
            .create_user(
                &Actor::system("test"),
                &NewUser {
                    username: "labb".into(),
                    display_name: "Lab B".into(),
                    password_hash: password_hash().to_string(),
                    role: vx_domain::Role::Laboratory,
                    scope: vec![UnitCode::parse("83").unwrap()],
                },
            )
            .await
            .unwrap();
        let body = rows(&[("S-0001", "negative")]);
        for (user, upload, read) in [
            ("admin", 200, 200),
            ("tinh", 403, 404),
            ("huyen", 403, 404),
            ("xa", 403, 404),
            ("ap", 403, 404),
            ("xetnghiem", 200, 200),
            ("labb", 200, 404),
        ] {
            let token = app.token(user).await;
            let (status, _) = app
                .api(&token, Method::GET, "/api/v1/samples/S-0001", None)
                .await;
            assert_eq!(status.as_u16(), read, "{user} reads S-0001");
            let (status, answer) = app
                .api(
                    &token,
                    Method::POST,
                    "/api/v1/results?dry_run=true",
                    Some(body.clone()),
                )
                .await;
            assert_eq!(status.as_u16(), upload, "{user} uploads: {answer}");
        }
        // Unknown sample codes and garbage look the same as others' samples.
        let lab = app.token("xetnghiem").await;
        for code in ["S-4040", "x"] {
            let (status, _) = app
                .api(&lab, Method::GET, &format!("/api/v1/samples/{code}"), None)
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
        // Without a token, or with a wrong one.
        let r = Client::new()
            .post(app.url("/api/v1/results"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let (status, _) = app
            .api("wrong", Method::POST, "/api/v1/results", Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // A session cookie without the CSRF header is refused; with it, accepted.
        let s = app.login("xetnghiem").await;
        let r = s
            .client
            .post(app.url("/api/v1/results?dry_run=true"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = s
            .client
            .post(app.url("/api/v1/results?dry_run=true"))
            .header("x-csrf-token", &s.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    })
    .await;
}

/// A community case (F0) for a seed person, confirmed on 22-9-2021.
async fn case_of(app: &App, key: &str) -> i64 {
    use vx_domain::epi::{CaseDetails, CaseSource, IsolationPlace, NewCase, Severity};
    app.store
        .confirm_case(
            &Actor::system("test"),
            &NewCase {
                person_id: app.seed.people[key].id,
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
        .unwrap()
        .id
}

/// A campaign over Tân An (Trà Vinh), outside everyone's scope but the admin's.
async fn outside_round(app: &App) -> (i64, i64) {
    let actor = Actor::system("test");
    let c = app
        .store
        .create_campaign(
            &actor,
            &NewCampaign {
                name: "Sàng lọc Tân An".into(),
                target_units: vec![UnitCode::parse("29242").unwrap()],
                target: TargetGroup::Everyone,
            },
        )
        .await
        .unwrap();
    let r = app
        .store
        .create_round(
            &actor,
            &NewRound {
                campaign_id: c.id,
                number: 1,
                start: "2021-09-21".parse().unwrap(),
                end: "2021-09-23".parse().unwrap(),
            },
        )
        .await
        .unwrap();
    (c.id, r.id)
}

/// Method, path inside, path outside, expected status per role inside, and outside
/// (admin, province, district, commune, hamlet, laboratory).
type PageCase = (&'static str, String, String, [u16; 6], [u16; 6]);

/// Every screening page × every role, inside its scope and outside: figures where the
/// role sees the unit, 404 where it does not (existence is not told), 403 where it sees
/// but may not plan.
#[tokio::test]
async fn scope_matrix_of_the_screening_pages() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let inside_round = samples(&app).await;
        let inside_campaign = app
            .store
            .round(inside_round)
            .await
            .unwrap()
            .unwrap()
            .data
            .campaign_id;
        let (outside_campaign, outside_round) = outside_round(&app).await;
        let users = ["admin", "tinh", "huyen", "xa", "ap", "xetnghiem"];
        let mut sessions = Vec::new();
        for u in users {
            sessions.push(app.login(u).await);
        }
        // (method, path, form, expected per role inside, expected per role outside)
        let (a, c) = (app.seed.people["A"].id, app.seed.people["C"].id);
        let (case_a, case_c) = (case_of(&app, "A").await, case_of(&app, "C").await);
        let cases: Vec<PageCase> = vec![
            (
                "GET",
                format!("/rounds/{inside_round}/units/2884601/sampling"),
                format!("/rounds/{inside_round}/units/2880401/sampling"),
                [200, 404, 404, 200, 200, 404],
                [200, 404, 404, 404, 404, 404],
            ),
            (
                "GET",
                format!("/rounds/{inside_round}/units/2884601/sampling.xlsx"),
                format!("/rounds/{inside_round}/units/2880401/sampling.xlsx"),
                [200, 404, 404, 200, 200, 404],
                [200, 404, 404, 404, 404, 404],
            ),
            (
                "POST",
                format!("/rounds/{inside_round}/units/2884601/sampling"),
                format!("/rounds/{inside_round}/units/2880401/sampling"),
                [422, 404, 404, 422, 422, 404],
                [422, 404, 404, 404, 404, 404],
            ),
            (
                "GET",
                format!("/cases/{case_a}"),
                format!("/cases/{case_c}"),
                [200, 404, 404, 200, 200, 404],
                [200, 404, 404, 404, 404, 404],
            ),
            (
                "GET",
                format!("/cases/{case_a}/chain"),
                format!("/cases/{case_c}/chain"),
                [200, 404, 404, 200, 200, 404],
                [200, 404, 404, 404, 404, 404],
            ),
            (
                "POST",
                format!("/cases/{case_a}/checks"),
                format!("/cases/{case_c}/checks"),
                [422, 404, 404, 422, 422, 404],
                [422, 404, 404, 404, 404, 404],
            ),
            (
                "GET",
                "/units/2884601/work".into(),
                "/units/2880401/work".into(),
                [200, 404, 404, 200, 200, 404],
                [200, 404, 404, 404, 404, 404],
            ),
            (
                "GET",
                format!("/people/{a}/timeline"),
                format!("/people/{c}/timeline"),
                [200, 404, 404, 200, 200, 404],
                [200, 404, 404, 404, 404, 404],
            ),
            (
                "GET",
                format!("/rounds/{inside_round}/coverage?unit=28846"),
                format!("/rounds/{outside_round}/coverage?unit=29242"),
                [200, 200, 200, 200, 404, 404],
                [200, 404, 404, 404, 404, 404],
            ),
            (
                "GET",
                format!("/rounds/{inside_round}/coverage?unit=2884601"),
                format!("/rounds/{inside_round}/coverage?unit=2880401"),
                [200, 404, 200, 200, 200, 404],
                [200, 404, 200, 404, 404, 404],
            ),
            (
                "GET",
                format!("/rounds/{inside_round}/coverage"),
                format!("/rounds/{outside_round}/coverage"),
                [200, 200, 200, 200, 200, 404],
                [200, 404, 404, 404, 404, 404],
            ),
            (
                "POST",
                "/campaigns?units=28846".into(),
                "/campaigns?units=29242".into(),
                [303, 403, 303, 303, 403, 403],
                [303, 403, 404, 404, 403, 403],
            ),
            (
                "POST",
                format!("/campaigns/{inside_campaign}/rounds"),
                format!("/campaigns/{outside_campaign}/rounds"),
                [303, 403, 303, 303, 403, 404],
                [303, 404, 404, 404, 404, 404],
            ),
        ];
        let mut failures = Vec::new();
        for (method, inside, outside, expect_in, expect_out) in &cases {
            for (i, user) in users.iter().enumerate() {
                for (path, expected) in [(inside, expect_in[i]), (outside, expect_out[i])] {
                    let s = &sessions[i];
                    let response = if *method == "GET" {
                        s.client.get(app.url(path)).send().await.unwrap()
                    } else {
                        let (path, units) = match path.split_once("?units=") {
                            Some((p, u)) => (p.to_string(), u.to_string()),
                            None => (path.clone(), String::new()),
                        };
                        s.client
                            .post(app.url(&path))
                            .form(&[
                                ("csrf", s.csrf.as_str()),
                                ("name", "Đợt kiểm tra"),
                                ("units", &units),
                                ("target", "everyone"),
                                ("start", "2021-09-24"),
                                ("end", "2021-09-26"),
                            ])
                            .send()
                            .await
                            .unwrap()
                    };
                    let status = response.status().as_u16();
                    let body = response.text().await.unwrap();
                    if status != expected {
                        failures.push(format!(
                            "{method} {path} as {user}: expected {expected}, got {status}: {}",
                            body.chars().take(150).collect::<String>()
                        ));
                    }
                    let personal = path.contains("/work")
                        || path.contains("/cases/")
                        || path.contains("/timeline")
                        || path.contains("/sampling");
                    if status == 200
                        && !personal
                        && body.contains(&app.seed.people["A"].data.full_name.to_string())
                    {
                        failures.push(format!("{path} as {user} shows a person's name"));
                    }
                }
            }
        }
        // The campaign list: 200 for those who see units, only the campaigns that concern them.
        for (i, user) in users.iter().enumerate() {
            let (status, page) = app.text(&sessions[i].client, "/campaigns").await;
            let expected = if *user == "xetnghiem" { 404 } else { 200 };
            if status.as_u16() != expected {
                failures.push(format!("/campaigns as {user}: {status}"));
            }
            if status == StatusCode::OK && page.contains("Sàng lọc Tân An") != (*user == "admin")
            {
                failures.push(format!(
                    "/campaigns as {user} shows Tân An's campaign or not"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    })
    .await;
}

#[tokio::test]
async fn screening_forms_need_the_csrf_token() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let round = samples(&app).await;
        let campaign = app
            .store
            .round(round)
            .await
            .unwrap()
            .unwrap()
            .data
            .campaign_id;
        let xa = app.login("xa").await;
        for (path, form) in [
            (
                "/campaigns".to_string(),
                vec![("name", "X"), ("units", "28846")],
            ),
            (
                format!("/campaigns/{campaign}/rounds"),
                vec![("start", "2021-09-24"), ("end", "2021-09-26")],
            ),
        ] {
            for csrf in [None, Some("wrong")] {
                let mut f = form.clone();
                if let Some(c) = csrf {
                    f.push(("csrf", c));
                }
                let r = xa
                    .client
                    .post(app.url(&path))
                    .form(&f)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path} with {csrf:?}");
            }
        }
        assert_eq!(app.store.campaigns().await.unwrap().len(), 1);
        assert_eq!(app.store.rounds(campaign).await.unwrap().len(), 1);
        // With it: a campaign, then its round numbered 2; a bad form says why, in Vietnamese.
        let r = xa
            .client
            .post(app.url(&format!("/campaigns/{campaign}/rounds")))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("start", "2021-09-24"),
                ("end", "2021-09-26"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let rounds = app.store.rounds(campaign).await.unwrap();
        assert_eq!(rounds.last().unwrap().data.number, 2);
        let r = xa
            .client
            .post(app.url("/campaigns"))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("name", " "),
                ("units", "28846"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("Thông tin chưa hợp lệ"));
    })
    .await;
}

#[tokio::test]
async fn coverage_page_snapshot() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let round = samples(&app).await;
        let lab = app.token("xetnghiem").await;
        let (status, _) = app
            .api(
                &lab,
                Method::POST,
                "/api/v1/results",
                Some(rows(&[("S-0001", "negative"), ("S-0002", "positive")])),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let huyen = app.login("huyen").await;
        let (status, page) = app
            .text(
                &huyen.client,
                &format!("/rounds/{round}/coverage?unit=28846"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&format!("/rounds/{round}/coverage?unit=")) || page.contains("Ấp 1"));
        // The commune's work list: the positive individual sample proposes a case.
        let xa = app.login("xa").await;
        let (status, work) = app
            .text(&xa.client, "/units/28846/work?day=2021-09-22")
            .await;
        assert_eq!(status, StatusCode::OK);
        let ap2 = app.seed.people["A-ap2"].id;
        assert!(work.contains(&format!("/people/{ap2}/timeline")), "{work}");
        let (status, timeline) = app
            .text(&xa.client, &format!("/people/{ap2}/timeline"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(timeline.contains("S-0002"), "{timeline}");
        let page = super::redact(&page, &huyen.csrf)
            .replace(&format!("/rounds/{round}/"), "/rounds/[round]/");
        insta::assert_snapshot!("coverage_page", page);
    })
    .await;
}

#[tokio::test]
async fn a_hamlet_team_ticks_a_household_into_a_sample_and_downloads_the_list() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let round = samples(&app).await;
        let ap = app.login("ap").await;
        let base = format!("/rounds/{round}/units/2884601/sampling");
        let (status, page) = app.text(&ap.client, &base).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Danh sách lấy mẫu"));
        // A is already in S-0001: shown as sampled, no box to tick.
        let a = app.seed.people["A"].id;
        assert!(!page.contains(&format!("name=\"person\" value=\"{a}\"")));
        // A code already used is refused with the reason; nothing is recorded.
        let form = |code: &str| {
            format!(
                "csrf={}&code={code}&method=rt-pcr&pooled=1&laboratory=CDC&household=2884601-0001",
                ap.csrf
            )
        };
        let r = ap
            .client
            .post(app.url(&base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form("S-0001"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // Everyone of household A is already sampled: nobody to add.
        let body = r.text().await.unwrap();
        assert!(body.contains("Thông tin chưa hợp lệ"), "{body}");
        // A new member of household A: ticking the household samples her in one action.
        let em = app
            .store
            .create_person(
                &Actor::system("test"),
                &super::person(
                    "2884601-0001",
                    "Nguyễn Thị Em",
                    "2001",
                    vx_domain::Sex::Female,
                    None,
                ),
            )
            .await
            .unwrap();
        let r = ap
            .client
            .post(app.url(&base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form("s-0009"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let sample = app
            .store
            .sample_by_code(&SampleCode::parse("S-0009").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sample.members, vec![em.id]);
        assert_eq!(sample.laboratory, "CDC");
        let (_, page) = app.text(&ap.client, &format!("{base}?saved=S-0009")).await;
        assert!(page.contains("Đã lưu mẫu"));
        assert!(!page.contains(&format!("name=\"person\" value=\"{}\"", em.id)));
        // Without the CSRF token: refused.
        let r = ap
            .client
            .post(app.url(&base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("code=S-0009&person=1")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // The XLSX list.
        let r = ap
            .client
            .get(app.url(&format!("{base}.xlsx")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers()["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert!(r.bytes().await.unwrap().starts_with(b"PK"));
    })
    .await;
}

#[tokio::test]
async fn a_commune_officer_follows_a_case_its_contacts_and_chain() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let case = case_of(&app, "A").await;
        let xa = app.login("xa").await;
        let post = |path: String, form: Vec<(&'static str, String)>| {
            let client = xa.client.clone();
            let url = app.url(&path);
            async move { client.post(url).form(&form).send().await.unwrap() }
        };
        // The person's timeline links to the case.
        let a = app.seed.people["A"].id;
        let (_, timeline) = app.text(&xa.client, &format!("/people/{a}/timeline")).await;
        assert!(
            timeline.contains(&format!("href=\"/cases/{case}\"")),
            "{timeline}"
        );
        let (status, page) = app.text(&xa.client, &format!("/cases/{case}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Ca bệnh (F0)"));
        // A daily check; a bad SpO2 says why.
        let r = post(
            format!("/cases/{case}/checks"),
            vec![
                ("csrf", xa.csrf.clone()),
                ("day", "2021-09-23".into()),
                ("symptoms", "ho".into()),
                ("spo2", "97".into()),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.store.daily_checks(case).await.unwrap().len(), 1);
        let r = post(
            format!("/cases/{case}/checks"),
            vec![
                ("csrf", xa.csrf.clone()),
                ("day", "2021-09-24".into()),
                ("spo2", "250".into()),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // Without the token: refused.
        let r = post(
            format!("/cases/{case}/checks"),
            vec![("day", "2021-09-24".into())],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // An F1: the page shows the quarantine end and test days of the rule in force.
        let b = app.seed.people["B"].id;
        let r = post(
            format!("/cases/{case}/contacts"),
            vec![
                ("csrf", xa.csrf.clone()),
                ("person_id", b.to_string()),
                ("exposure_date", "2021-09-20".into()),
                ("place", "home".into()),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("Kết thúc cách ly") && page.contains("Ngày xét nghiệm"),
            "{page}"
        );
        let contacts = app.store.contacts_of(b).await.unwrap();
        assert_eq!(contacts.len(), 1);
        assert!(page.contains(&contacts[0].plan.end.format("%d/%m/%Y").to_string()));
        // A person outside the officer's scope cannot be added (and is not told about).
        let c = app.seed.people["C"].id;
        let r = post(
            format!("/cases/{case}/contacts"),
            vec![
                ("csrf", xa.csrf.clone()),
                ("person_id", c.to_string()),
                ("exposure_date", "2021-09-20".into()),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        // The chain: the case and its F1.
        let (status, chain) = app.text(&xa.client, &format!("/cases/{case}/chain")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(chain.contains(&format!("/people/{b}/timeline")), "{chain}");
        // Release and outcome.
        let r = post(
            format!("/cases/{case}/release"),
            vec![
                ("csrf", xa.csrf.clone()),
                ("on", "2021-10-06".into()),
                ("negative_test_on", "2021-10-05".into()),
            ],
        )
        .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{}",
            r.text().await.unwrap()
        );
        let r = post(
            format!("/cases/{case}/outcome"),
            vec![
                ("csrf", xa.csrf.clone()),
                ("outcome", "recovered".into()),
                ("on", "2021-10-06".into()),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let stored = app.store.case(case).await.unwrap().unwrap();
        assert!(stored.released_on.is_some() && stored.outcome.is_some());
    })
    .await;
}
