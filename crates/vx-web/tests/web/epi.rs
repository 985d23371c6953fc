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
pub(crate) async fn case_of(app: &App, key: &str) -> i64 {
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

// ---------------------------------------------------------------------------------------
// The commune's review pages: results upload, proposals, conflicts, cases, retests, F2.

/// A `multipart/form-data` body by hand: text fields, then the file.
fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----vungxanh-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload_page(
    app: &App,
    s: &super::Session,
    fields: &[(&str, &str)],
    csv: &str,
) -> (StatusCode, String) {
    let mut all = vec![("csrf", s.csrf.as_str())];
    all.extend_from_slice(fields);
    let (content_type, body) = multipart(&all, "ket-qua.csv", csv.as_bytes());
    let r = s
        .client
        .post(app.url("/results/upload"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// A second round of the district campaign with individual samples of A (Ấp 1) and C (Tân
/// Thạch) and a pool of C and A's namesake in Tân Thạch, all positive: case proposals for A
/// and C, retest orders in Tân Thạch. Returns (proposal of A, proposal of C, an order in
/// Tân Thạch).
async fn second_round(app: &App, first_round: i64) -> (i64, i64, i64) {
    use vx_domain::epi::{LabResult, ProposalStatus, ResultRow};
    let actor = Actor::system("test");
    let campaign = app
        .store
        .round(first_round)
        .await
        .unwrap()
        .unwrap()
        .data
        .campaign_id;
    let round = app
        .store
        .create_round(
            &actor,
            &NewRound {
                campaign_id: campaign,
                number: 2,
                start: "2021-09-24".parse().unwrap(),
                end: "2021-09-26".parse().unwrap(),
            },
        )
        .await
        .unwrap();
    let round3 = app
        .store
        .create_round(
            &actor,
            &NewRound {
                campaign_id: campaign,
                number: 3,
                start: "2021-09-27".parse().unwrap(),
                end: "2021-09-29".parse().unwrap(),
            },
        )
        .await
        .unwrap();
    for (code, round_id, pooled, members) in [
        ("I-000A", round.id, false, vec!["A"]),
        ("I-000C", round.id, false, vec!["C"]),
        ("P-00TT", round3.id, true, vec!["C", "A-tanthach"]),
    ] {
        app.store
            .create_sample(
                &actor,
                &NewSample {
                    code: SampleCode::parse(code).unwrap(),
                    round_id,
                    method: SampleMethod::RtPcr,
                    pooled,
                    high_risk: false,
                    collected_at: "2021-09-24T23:30:00Z".parse().unwrap(),
                    collector: "Tổ 1".into(),
                    laboratory: "Phòng xét nghiệm".into(),
                    members: members.iter().map(|k| app.seed.people[k].id).collect(),
                    retest_order_id: None,
                },
            )
            .await
            .unwrap();
    }
    let rows = ["I-000A", "I-000C", "P-00TT"]
        .iter()
        .enumerate()
        .map(|(i, c)| vx_store::Located {
            row: i as u32 + 2,
            value: ResultRow {
                sample_code: SampleCode::parse(c).unwrap(),
                result: LabResult::Positive,
                ct: None,
                tested_at: "2021-09-25T08:00:00Z".parse().unwrap(),
            },
        })
        .collect();
    app.store
        .import_results(&actor, "Phòng xét nghiệm", rows, &Default::default())
        .await
        .unwrap();
    let proposals = app
        .store
        .case_proposals(ProposalStatus::Proposed, 0, 10)
        .await
        .unwrap();
    let of = |k: &str| {
        proposals
            .iter()
            .find(|p| p.person_id == app.seed.people[k].id)
            .unwrap()
            .id
    };
    let pool = app
        .store
        .sample_by_code(&SampleCode::parse("P-00TT").unwrap())
        .await
        .unwrap()
        .unwrap();
    let order = app.store.retest_orders(pool.id).await.unwrap()[0].id;
    (of("A"), of("C"), order)
}

#[tokio::test]
async fn a_commune_officer_imports_results_through_the_page_and_the_work_list_changes() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        samples(&app).await;
        // A sample in Tân Thạch, outside the officer's scope.
        let round = app.store.campaigns().await.unwrap()[0].id;
        let round = app.store.rounds(round).await.unwrap()[0].id;
        app.store
            .create_sample(
                &Actor::system("test"),
                &NewSample {
                    code: SampleCode::parse("S-0003").unwrap(),
                    round_id: round,
                    method: SampleMethod::RtPcr,
                    pooled: false,
                    high_risk: false,
                    collected_at: "2021-09-21T23:30:00Z".parse().unwrap(),
                    collector: "Tổ 1".into(),
                    laboratory: "Phòng xét nghiệm".into(),
                    members: vec![app.seed.people["C"].id],
                    retest_order_id: None,
                },
            )
            .await
            .unwrap();
        let xa = app.login("xa").await;
        let (status, work) = app.text(&xa.client, "/units/28846/work").await;
        assert_eq!(status, StatusCode::OK);
        assert!(work.contains("/results/upload?unit=28846"), "{work}");
        assert!(
            work.contains("Xét nghiệm lại (mẫu gộp dương tính) (0)"),
            "{work}"
        );
        let (status, page) = app.text(&xa.client, "/results/upload?unit=28846").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("multipart/form-data") && page.contains("Nhập kết quả xét nghiệm"));

        // A file mixing good and bad rows: every row answered, nothing recorded.
        let csv = "Mã mẫu,Kết quả,CT,Ngày xét nghiệm\n\
                   S-0001,Dương tính,24,22/09/2021 14:00\n\
                   S-9999,Âm tính,,22/09/2021 14:00\n\
                   S-0002,Âm tính,,22/09/2099 14:00\n\
                   S-0003,Âm tính,,22/09/2021 14:00\n";
        let fields = [("unit", "28846"), ("lab", "Phòng xét nghiệm")];
        let (status, page) = upload_page(&app, &xa, &fields, csv).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains("Chưa ghi gì"), "{page}");
        assert!(page.contains("no sample S-9999"), "{page}");
        assert!(
            page.contains("no sample S-0003"),
            "outside the scope looks unknown: {page}"
        );
        assert!(page.contains("tested_at"), "the future date: {page}");
        let s1 = app
            .store
            .sample_by_code(&SampleCode::parse("S-0001").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(s1.result.is_none(), "nothing half-imported");

        // Skipping the bad rows records the good one: the positive pool orders retests.
        let skip = [
            ("unit", "28846"),
            ("lab", "Phòng xét nghiệm"),
            ("skip_bad_rows", "1"),
        ];
        let (status, page) = upload_page(&app, &xa, &skip, csv).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("Đã ghi kết quả"), "{page}");
        let s3 = app
            .store
            .sample_by_code(&SampleCode::parse("S-0003").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(s3.result.is_none(), "outside the scope: untouched");
        let (_, work) = app.text(&xa.client, "/units/28846/work").await;
        assert!(
            work.contains("Xét nghiệm lại (mẫu gộp dương tính) (2)"),
            "{work}"
        );
        // The same file again: unchanged, nothing new.
        let (status, page) = upload_page(&app, &xa, &skip, csv).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Không đổi"), "{page}");
        assert_eq!(app.store.retest_orders(s1.id).await.unwrap().len(), 2);

        // Sampling a retest from the work list, in one action.
        let order = app.store.retest_orders(s1.id).await.unwrap()[0].clone();
        let r = xa
            .client
            .post(app.url(&format!("/retests/{}/sample", order.id)))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("unit", "28846"),
                ("code", "r-0001"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let order = app.store.retest_order(order.id).await.unwrap().unwrap();
        let retest = app
            .store
            .sample_by_code(&SampleCode::parse("R-0001").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(order.done_sample_id, Some(retest.id));
        assert_eq!(
            retest.laboratory, "Phòng xét nghiệm",
            "the pool's laboratory"
        );
        let (_, work) = app
            .text(&xa.client, "/units/28846/work?retest=R-0001")
            .await;
        assert!(
            work.contains("Xét nghiệm lại (mẫu gộp dương tính) (1)"),
            "{work}"
        );
        // The same code again: refused with the reason.
        let other = app.store.retest_orders(s1.id).await.unwrap()[1].clone();
        let r = xa
            .client
            .post(app.url(&format!("/retests/{}/sample", other.id)))
            .form(&[("csrf", xa.csrf.as_str()), ("code", "R-0001")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // Without the CSRF token: refused, nothing read.
        let (content_type, body) = multipart(&[("unit", "28846")], "x.csv", csv.as_bytes());
        let r = xa
            .client
            .post(app.url("/results/upload"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // Not a results file: the page says why.
        let (status, page) = upload_page(&app, &xa, &fields, "code,outcome\nS-0001,neg\n").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        // A laboratory uploads under its own name.
        let lab = app.login("xetnghiem").await;
        let (status, page) = upload_page(
            &app,
            &lab,
            &[("lab", "Someone else")],
            "sample_code,result,tested_at\nS-0002,negative,2021-09-22 14:00\n",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let s2 = app
            .store
            .sample_by_code(&SampleCode::parse("S-0002").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s2.result.unwrap().laboratory, "Phòng xét nghiệm");

        // With `?progress=ID` (the page's script) the server says where the upload is: done
        // once answered, for its user only; an unknown id or a bad one is 404.
        let progress = |id: &str| format!("/results/upload/progress.json?id={id}");
        let (status, _) = app.text(&lab.client, &progress("u-1")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "not started");
        let (content_type, body) = multipart(
            &[("csrf", lab.csrf.as_str()), ("dry_run", "1")],
            "r.csv",
            b"sample_code,result,tested_at\nS-0002,negative,2021-09-22 14:00\n",
        );
        let r = lab
            .client
            .post(app.url("/results/upload?progress=u-1"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let (status, json) = app.text(&lab.client, &progress("u-1")).await;
        assert_eq!(status, StatusCode::OK, "{json}");
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(json["step"], "done", "{json}");
        assert_eq!(json["total"], 1, "{json}");
        let (status, _) = app.text(&xa.client, &progress("u-1")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another user's upload");
        let (status, _) = app.text(&lab.client, &progress("%3Cscript%3E")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn proposals_conflicts_cases_and_f2_from_the_pages() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let first = samples(&app).await;
        let (proposal_a, _, _) = second_round(&app, first).await;
        let xa = app.login("xa").await;
        // The work list links the proposal to its confirmation form.
        let (_, work) = app.text(&xa.client, "/units/28846/work").await;
        assert!(work.contains(&format!("/proposals/{proposal_a}")), "{work}");
        let (status, page) = app
            .text(&xa.client, &format!("/proposals/{proposal_a}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("I-000A") && page.contains("Xác nhận F0"),
            "{page}"
        );
        // A bad form says why; a good one confirms the case (F0).
        let confirm = format!("/proposals/{proposal_a}/confirm");
        let r = xa
            .client
            .post(app.url(&confirm))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("confirmed_on", "2021-09-25"),
                ("severity", "extreme"),
                ("place", "home"),
                ("isolation_start", "2021-09-25"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let good = [
            ("csrf", xa.csrf.as_str()),
            ("confirmed_on", "2021-09-25"),
            ("source", ""),
            ("severity", "mild"),
            ("place", "home"),
            ("isolation_start", "2021-09-25"),
        ];
        let r = xa
            .client
            .post(app.url(&confirm))
            .form(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let a = app.seed.people["A"].id;
        let case = app.store.cases_of(a).await.unwrap().remove(0);
        assert_eq!(case.proposal_id, Some(proposal_a));
        assert_eq!(r.headers()["location"], format!("/cases/{}", case.id));
        // Twice: refused, with the reason.
        let r = xa
            .client
            .post(app.url(&confirm))
            .form(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // The cases of the commune, paged on the server.
        let (status, page) = app.text(&xa.client, "/units/28846/cases").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&format!("/cases/{}", case.id)), "{page}");
        let (_, page) = app
            .text(
                &xa.client,
                &format!("/units/28846/cases?before={}", case.id),
            )
            .await;
        assert!(!page.contains(&format!("/cases/{}\"", case.id)), "{page}");

        // An F1 (B) from the case page, then B's F2 (A's namesake) from the same page.
        let b = app.seed.people["B"].id;
        let r = xa
            .client
            .post(app.url(&format!("/cases/{}/contacts", case.id)))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("person_id", &b.to_string()),
                ("exposure_date", "2021-09-24"),
                ("place", "home"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let f1 = app.store.contacts_of(b).await.unwrap().remove(0);
        let (_, page) = app.text(&xa.client, &format!("/cases/{}", case.id)).await;
        assert!(
            page.contains(&format!("/contacts/{}/contacts", f1.id)),
            "{page}"
        );
        let ap2 = app.seed.people["A-ap2"].id;
        let r = xa
            .client
            .post(app.url(&format!("/contacts/{}/contacts", f1.id)))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("person_id", &ap2.to_string()),
                ("exposure_date", "2021-09-24"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let f2 = app.store.contacts_of(ap2).await.unwrap().remove(0);
        assert_eq!(
            (f2.level, f2.source),
            (
                vx_domain::epi::ContactLevel::F2,
                vx_domain::epi::ContactSource::Contact(f1.id)
            )
        );
        // An F2 outside the officer's scope: not found.
        let c = app.seed.people["C"].id;
        let r = xa
            .client
            .post(app.url(&format!("/contacts/{}/contacts", f1.id)))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("person_id", &c.to_string()),
                ("exposure_date", "2021-09-24"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);

        // Two laboratories disagree on S-0001: flagged, kept, settled with a choice and a note.
        let lab = app.token("xetnghiem").await;
        let (status, _) = app
            .api(
                &lab,
                Method::POST,
                "/api/v1/results",
                Some(rows(&[("S-0001", "negative")])),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let admin = app.token("admin").await;
        let (status, answer) = app
            .api(
                &admin,
                Method::POST,
                "/api/v1/results?lab=Lab%20B",
                Some(rows(&[("S-0001", "positive")])),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(outcomes(&answer), ["conflict"]);
        let conflict = answer["rows"][0]["conflict_id"].as_i64().unwrap();
        let (status, page) = app.text(&xa.client, "/units/28846/conflicts").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("S-0001") && page.contains("Lab B"), "{page}");
        let resolve = format!("/conflicts/{conflict}/resolve");
        let r = xa
            .client
            .post(app.url(&resolve))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("unit", "28846"),
                ("choice", "replace"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "a note is needed"
        );
        let r = xa
            .client
            .post(app.url(&resolve))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("unit", "28846"),
                ("choice", "replace"),
                ("note", "Lab B đã xét nghiệm lại"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let settled = app.store.result_conflict(conflict).await.unwrap().unwrap();
        assert_eq!(settled.status, vx_domain::epi::ConflictStatus::Replaced);
        assert_eq!(settled.note, "Lab B đã xét nghiệm lại");
        let (_, page) = app
            .text(&xa.client, "/units/28846/conflicts?status=all")
            .await;
        assert!(page.contains("Lab B đã xét nghiệm lại"), "{page}");
        // The replaced positive pool orders its retests.
        let s1 = app
            .store
            .sample_by_code(&SampleCode::parse("S-0001").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(app.store.retest_orders(s1.id).await.unwrap().len(), 2);
        // The person page links the timeline.
        let (_, page) = app.text(&xa.client, &format!("/people/{a}")).await;
        assert!(page.contains(&format!("/people/{a}/timeline")), "{page}");
    })
    .await;
}

/// Every new page and form × every role, inside its scope and outside: 404 where the role
/// does not see the person or unit, 403 where it sees but may not act.
#[tokio::test]
async fn scope_matrix_of_the_review_pages() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let first = samples(&app).await;
        let (proposal_a, proposal_c, order_c) = second_round(&app, first).await;
        let actor = Actor::system("test");
        // A retest order inside (S-0001 positive: A and B).
        let lab = app.token("xetnghiem").await;
        app.api(
            &lab,
            Method::POST,
            "/api/v1/results",
            Some(rows(&[("S-0001", "positive")])),
        )
        .await;
        let s1 = app
            .store
            .sample_by_code(&SampleCode::parse("S-0001").unwrap())
            .await
            .unwrap()
            .unwrap();
        let a = app.seed.people["A"].id;
        let order_a = app
            .store
            .retest_orders(s1.id)
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.person_id == a)
            .unwrap()
            .id;
        // Conflicts inside (S-0001) and outside (I-000C).
        let admin = app.token("admin").await;
        let (_, inside) = app
            .api(
                &admin,
                Method::POST,
                "/api/v1/results?lab=Lab%20B",
                Some(rows(&[("S-0001", "negative")])),
            )
            .await;
        let conflict_in = inside["rows"][0]["conflict_id"].as_i64().unwrap();
        let (_, outside) = app
            .api(
                &admin,
                Method::POST,
                "/api/v1/results?lab=Lab%20B",
                Some(json!({"rows": [{
                    "sample_code": "I-000C", "result": "negative", "tested_at": "2021-09-26 14:00"
                }]})),
            )
            .await;
        let conflict_out = outside["rows"][0]["conflict_id"].as_i64().unwrap();
        // F1 records inside (A's household mate, in Ấp 1) and outside (Tân Thạch).
        let mate = app
            .store
            .create_person(
                &actor,
                &super::person(
                    "2884601-0001",
                    "Nguyễn Thị Mai",
                    "1985",
                    vx_domain::Sex::Female,
                    None,
                ),
            )
            .await
            .unwrap();
        let case_a = case_of(&app, "A").await;
        let case_c = case_of(&app, "C").await;
        let f1 = |case: i64, person: i64| {
            let store = app.store.clone();
            let actor = actor.clone();
            async move {
                store
                    .add_contact(
                        &actor,
                        &vx_domain::epi::NewContact {
                            person_id: person,
                            source: vx_domain::epi::ContactSource::Case(case),
                            level: vx_domain::epi::ContactLevel::F1,
                            exposure_date: "2021-09-21".parse().unwrap(),
                            place: vx_domain::epi::QuarantinePlace::Home,
                            vaccinated: false,
                        },
                    )
                    .await
                    .unwrap()
                    .id
            }
        };
        let f1_in = f1(case_a, mate.id).await;
        let f1_out = f1(case_c, app.seed.people["A-tanthach"].id).await;

        let users = ["admin", "tinh", "huyen", "xa", "ap", "xetnghiem"];
        let mut sessions = Vec::new();
        for u in users {
            sessions.push(app.login(u).await);
        }
        // (method, inside, outside, form, expected inside, expected outside)
        type Row = (
            &'static str,
            String,
            String,
            Vec<(&'static str, String)>,
            [u16; 6],
            [u16; 6],
        );
        let cases: Vec<Row> = vec![
            (
                "GET",
                "/results/upload?unit=28846".into(),
                "/results/upload?unit=29242".into(),
                vec![],
                [200, 403, 403, 200, 403, 404],
                [200, 403, 403, 404, 403, 404],
            ),
            (
                "GET",
                "/units/2884601/cases".into(),
                "/units/2880401/cases".into(),
                vec![],
                [200, 404, 404, 200, 200, 404],
                [200, 404, 404, 404, 404, 404],
            ),
            (
                "GET",
                "/units/2884601/conflicts".into(),
                "/units/2880401/conflicts".into(),
                vec![],
                [200, 404, 404, 200, 200, 404],
                [200, 404, 404, 404, 404, 404],
            ),
            (
                "GET",
                format!("/proposals/{proposal_a}"),
                format!("/proposals/{proposal_c}"),
                vec![],
                [200, 404, 404, 200, 200, 404],
                [200, 404, 404, 404, 404, 404],
            ),
            (
                "POST",
                format!("/proposals/{proposal_a}/confirm"),
                format!("/proposals/{proposal_c}/confirm"),
                vec![("confirmed_on", "x".into())],
                [422, 404, 404, 422, 422, 404],
                [422, 404, 404, 404, 404, 404],
            ),
            (
                "POST",
                format!("/conflicts/{conflict_in}/resolve"),
                format!("/conflicts/{conflict_out}/resolve"),
                vec![("choice", "keep".into())],
                [422, 404, 404, 422, 403, 404],
                [422, 404, 404, 404, 404, 404],
            ),
            (
                "POST",
                format!("/retests/{order_a}/sample"),
                format!("/retests/{order_c}/sample"),
                vec![("code", "x".into())],
                [422, 404, 404, 422, 422, 404],
                [422, 404, 404, 404, 404, 404],
            ),
            (
                "POST",
                format!("/contacts/{f1_in}/contacts"),
                format!("/contacts/{f1_out}/contacts"),
                vec![("person_id", a.to_string()), ("exposure_date", "x".into())],
                [422, 404, 404, 422, 422, 404],
                [422, 404, 404, 404, 404, 404],
            ),
        ];
        let mut failures = Vec::new();
        for (method, inside, outside, form, expect_in, expect_out) in &cases {
            for (i, user) in users.iter().enumerate() {
                for (path, expected) in [(inside, expect_in[i]), (outside, expect_out[i])] {
                    let s = &sessions[i];
                    let response = if *method == "GET" {
                        s.client.get(app.url(path)).send().await.unwrap()
                    } else {
                        let mut f: Vec<(&str, String)> = vec![("csrf", s.csrf.clone())];
                        f.extend(form.iter().cloned());
                        s.client.post(app.url(path)).form(&f).send().await.unwrap()
                    };
                    let status = response.status().as_u16();
                    if status != expected {
                        let body = response.text().await.unwrap();
                        failures.push(format!(
                            "{method} {path} as {user}: expected {expected}, got {status}: {}",
                            body.chars().take(150).collect::<String>()
                        ));
                    }
                }
            }
        }
        // Forms without the CSRF token are refused before anything is read.
        let xa = &sessions[3];
        for path in [
            format!("/proposals/{proposal_a}/confirm"),
            format!("/proposals/{proposal_a}/reject"),
            format!("/conflicts/{conflict_in}/resolve"),
            format!("/retests/{order_a}/sample"),
            format!("/contacts/{f1_in}/contacts"),
        ] {
            let r = xa
                .client
                .post(app.url(&path))
                .form(&[("note", "x")])
                .send()
                .await
                .unwrap();
            if r.status() != StatusCode::FORBIDDEN {
                failures.push(format!("{path} without CSRF: {}", r.status()));
            }
        }
        // Rejecting: outside 404, inside 303.
        let r = xa
            .client
            .post(app.url(&format!("/proposals/{proposal_c}/reject")))
            .form(&[("csrf", xa.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = xa
            .client
            .post(app.url(&format!("/proposals/{proposal_a}/reject")))
            .form(&[("csrf", xa.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    })
    .await;
}

#[tokio::test]
async fn a_bulk_upload_is_capped_and_a_big_answer_is_a_summary() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        samples(&app).await;
        let lab = app.token("xetnghiem").await;
        let post_csv = |body: String, query: &str| {
            Client::new()
                .post(app.url(&format!("/api/v1/results{query}")))
                .bearer_auth(&lab)
                .header("content-type", "text/csv")
                .body(body)
                .send()
        };

        // More rows than a request may carry: refused whole, with how many and the limit.
        let mut csv = String::from("sample_code,result,tested_at\n");
        for n in 0..100_001 {
            csv.push_str(&format!("S-{n:07},negative,2021-09-22 14:00\n"));
        }
        let r = post_csv(csv, "").await.unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body: Value = r.json().await.unwrap();
        let error = body["error"].as_str().unwrap();
        assert!(
            error.contains("100001 rows") && error.contains("at most 100000 rows"),
            "{error}"
        );
        let (_, s1) = app
            .api(&lab, Method::GET, "/api/v1/samples/S-0001", None)
            .await;
        assert_eq!(s1["result"], Value::Null, "nothing recorded");

        // 251 rows, 250 of them unknown samples: the answer counts every outcome and lists
        // the first 200 rows that were not accepted, not every row.
        let mut csv =
            String::from("sample_code,result,tested_at\nS-0001,negative,2021-09-22 14:00\n");
        for n in 0..250 {
            csv.push_str(&format!("X-{n:04},negative,2021-09-22 14:00\n"));
        }
        let r = post_csv(csv, "?skip_bad_rows=true").await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["accepted"], 1);
        assert_eq!(answer["problems"], 250);
        let listed = answer["rows"].as_array().unwrap();
        assert_eq!(listed.len(), 200);
        assert!(listed.iter().all(|r| r["outcome"] == "problem"));
        assert_eq!(
            listed[0]["row"], 3,
            "in row order, from the first not accepted"
        );
        assert_eq!(answer["rows_omitted"], 51);
        let (_, s1) = app
            .api(&lab, Method::GET, "/api/v1/samples/S-0001", None)
            .await;
        assert_eq!(s1["result"], "negative");
    })
    .await;
}
