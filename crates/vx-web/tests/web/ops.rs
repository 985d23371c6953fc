//! Operations over HTTP (issue 7): checkpoints and permits, businesses, social support;
//! every new route's scope for every role, inside and outside its scope.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use vx_domain::ops::business::{Arrangements, Sector};
use vx_domain::ops::permit::{Conditions, Holder, NewPermit, Plate};
use vx_domain::ops::support::{AidKind, Combine, NewProgramme, Rule};
use vx_domain::UnitCode;
use vx_store::ops::NewBusiness;
use vx_store::Actor;

use super::{each_backend, household, spawn_app, App};

/// The API routes of this part, for main.rs's OpenAPI check; their scope is tested below.
pub(crate) const API_ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/permits/key"),
    ("get", "/api/v1/permits/revocations"),
    ("post", "/api/v1/permits/verify"),
    ("get", "/api/v1/permits/{id}"),
    ("post", "/api/v1/checkpoints/{id}/crossings"),
    ("get", "/api/v1/businesses/{id}/status"),
    ("get", "/api/v1/programmes/{id}/gap"),
    ("post", "/api/v1/programmes/{id}/distributions"),
];

/// Ids of what the seed's two sides hold: Phước Thạnh (inside) and Tân An, Trà Vinh
/// (outside every scoped role).
struct Ops {
    cp: i64,
    cp_out: i64,
    permit: i64,
    permit_out: i64,
    business: i64,
    business_out: i64,
    programme: i64,
    programme_out: i64,
}

fn code(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

fn permit_of(issuer: &str, dest: &str) -> NewPermit {
    let now = Utc::now();
    NewPermit {
        issuer: code(issuer),
        holder: Holder::Vehicle {
            plate: Plate::parse("71C-123.45").unwrap(),
            driver: "Nguyễn Văn An".into(),
        },
        purpose: "Chở hàng thiết yếu".into(),
        destinations: vec![code(dest)],
        valid_from: now - Duration::days(1),
        valid_to: now + Duration::days(6),
        conditions: Conditions {
            negative_test_hours: Some(72),
            vaccine_doses: None,
        },
    }
}

async fn ops_world(app: &App) -> Ops {
    let s = &app.store;
    let a = Actor::system("test");
    let unit = |c: &'static str| async move { s.unit(c).await.unwrap().unwrap() };
    let cp = s
        .create_checkpoint(
            &a,
            &unit("28846").await,
            "Chốt cầu Phước Thạnh",
            "QL60",
            "Tổ 1",
        )
        .await
        .unwrap();
    let cp_out = s
        .create_checkpoint(&a, &unit("29242").await, "Chốt Tân An", "QL53", "Tổ 1")
        .await
        .unwrap();
    let (permit, _) = s
        .issue_permit(&a, &unit("28846").await, &permit_of("28846", "28804"))
        .await
        .unwrap();
    let (permit_out, _) = s
        .issue_permit(&a, &unit("29242").await, &permit_of("29242", "29242"))
        .await
        .unwrap();
    let b = |name: &str| NewBusiness {
        name: name.into(),
        sector: Sector::Manufacturing,
        household: false,
        address: "KCN Giao Long".into(),
        arrangements: Arrangements {
            safety_plan: true,
            three_on_site: true,
            one_route: false,
        },
    };
    let business = s
        .create_business(&a, &unit("2884601").await, &b("Công ty May Giao Long"))
        .await
        .unwrap();
    let business_out = s
        .create_business(&a, &unit("2924201").await, &b("Xưởng Tân An"))
        .await
        .unwrap();
    s.add_worker(&a, business.id, app.seed.people["A"].id)
        .await
        .unwrap();
    let g = |unit: &str| NewProgramme {
        name: "Túi an sinh".into(),
        kind: AidKind::Goods,
        amount_vnd: None,
        goods: "10 kg gạo".into(),
        unit_code: code(unit),
        rules: vec![Rule::Poor],
        combine: Combine::Any,
    };
    let programme = s.create_programme(&a, &g("28846")).await.unwrap();
    let programme_out = s.create_programme(&a, &g("29242")).await.unwrap();
    // Households A (Ấp 1) and D (Trà Vinh) are poor.
    for (key, c, unit, head) in [
        ("A", "2884601-0001", "2884601", "Nguyễn Văn An"),
        ("D", "2924201-0001", "2924201", "Phạm Văn Dũng"),
    ] {
        let mut h = household(c, unit, head);
        h.poor = true;
        s.update_household(&a, app.seed.households[key].id, &h)
            .await
            .unwrap();
    }
    Ops {
        cp: cp.id,
        cp_out: cp_out.id,
        permit: permit.id,
        permit_out: permit_out.id,
        business: business.id,
        business_out: business_out.id,
        programme: programme.id,
        programme_out: programme_out.id,
    }
}

fn last_path(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn a_commune_issues_a_permit_and_its_checkpoint_verifies_it() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let o = ops_world(&app).await;
        let xa = app.login("xa").await;
        let (status, page) = app.text(&xa.client, "/ops?unit=28846").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            page.contains("Chốt cầu Phước Thạnh") && page.contains("Công ty May Giao Long"),
            "{page}"
        );
        assert!(page.contains("Cấp giấy đi đường"));

        // Issue a permit through the form: a person, negative test within 72 hours.
        let today = vx_domain::vn_date(Utc::now()).to_string();
        let r = xa
            .client
            .post(app.url("/ops/permits"))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("unit", "28846"),
                ("kind", "person"),
                ("name", "Trần Văn Bảy"),
                ("document", "083075000111"),
                ("purpose", "Đi làm tại KCN Giao Long"),
                ("destinations", "28804"),
                ("valid_from", &today),
                ("days", "7"),
                ("test_hours", "72"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let permit_path = last_path(&r);
        let (status, page) = app.text(&xa.client, &permit_path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("<svg") && page.contains("Trần Văn Bảy"),
            "{page}"
        );
        let token = {
            let start = page.find("VX1.").unwrap();
            let end = start + page[start..].find('<').unwrap();
            page[start..end].to_string()
        };
        let r = app.get(&xa.client, &format!("{permit_path}/qr.svg")).await;
        assert_eq!(r.headers()["content-type"], "image/svg+xml");

        // Bad form input: every problem named, nothing stored.
        let r = xa
            .client
            .post(app.url("/ops/permits"))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("unit", "28846"),
                ("kind", "vehicle"),
                ("plate", "XYZ"),
                ("name", "A"),
                ("purpose", ""),
                ("destinations", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("plate"));

        // The checkpoint: valid token with a recent negative test → let through.
        let cp = format!("/ops/checkpoints/{}", o.cp);
        let cross = |token: String, test: &'static str| {
            let client = xa.client.clone();
            let url = app.url(&cp);
            let csrf = xa.csrf.clone();
            let today = today.clone();
            async move {
                let r = client
                    .post(url)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("token", token.as_str()),
                        ("direction", "in"),
                        ("test", test),
                        ("test_on", today.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let location = r
                    .headers()
                    .get("location")
                    .map(|l| l.to_str().unwrap().to_string());
                assert_eq!(status, StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
                location.unwrap()
            }
        };
        let back = cross(token.clone(), "negative").await;
        let (_, page) = app.text(&xa.client, &back).await;
        assert!(
            page.contains("CHO QUA") && page.contains("Trần Văn Bảy"),
            "{page}"
        );
        // Without a test: refused, and why.
        let back = cross(token.clone(), "").await;
        let (_, page) = app.text(&xa.client, &back).await;
        assert!(
            page.contains("KHÔNG CHO QUA") && page.contains("72 giờ"),
            "{page}"
        );
        // Forged: the signature of another token on these claims.
        let other = app.store.permit(o.permit).await.unwrap().unwrap();
        let other_token = app.store.permit_token(&other).await.unwrap();
        let forged = format!(
            "{}.{}",
            token.rsplit_once('.').unwrap().0,
            other_token.rsplit_once('.').unwrap().1
        );
        let back = cross(forged, "negative").await;
        let (_, page) = app.text(&xa.client, &back).await;
        assert!(page.contains("Chữ ký không đúng"), "{page}");
        // Revoked through the form: refused at the checkpoint.
        let r = xa
            .client
            .post(app.url(&format!("{permit_path}/revoke")))
            .form(&[("csrf", xa.csrf.as_str()), ("reason", "Người đi là F1")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let back = cross(token.clone(), "negative").await;
        let (_, page) = app.text(&xa.client, &back).await;
        assert!(page.contains("đã bị thu hồi"), "{page}");
        // Without the CSRF token: refused.
        let r = xa
            .client
            .post(app.url(&cp))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // The day's list, and the district sees counts only.
        let (_, page) = app.text(&xa.client, &cp).await;
        assert_eq!(page.matches("KHÔNG CHO QUA").count(), 3, "{page}");
        let huyen = app.login("huyen").await;
        let (status, page) = app.text(&huyen.client, &cp).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            !page.contains("Trần Văn Bảy") && page.contains("không hiển thị thông tin cá nhân"),
            "{page}"
        );
        // Tracing a worker shows the business and its unit.
        let (status, page) = app
            .text(
                &xa.client,
                &format!("/ops/people/{}/trace", app.seed.people["A"].id),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("Công ty May Giao Long") && page.contains("Ấp 1"),
            "{page}"
        );
        // Every write audited.
        let audit = app.store.audit_log(None, None, 100).await.unwrap();
        assert_eq!(audit.iter().filter(|e| e.entity == "crossings").count(), 4);
        assert!(audit
            .iter()
            .any(|e| e.entity == "permits" && e.action == "revoke"));
    })
    .await;
}

#[tokio::test]
async fn the_api_verifies_tokens_syncs_revocations_and_refuses_double_aid() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let o = ops_world(&app).await;
        let xa = app.token("xa").await;
        let (status, key) = app.api(&xa, Method::GET, "/api/v1/permits/key", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(key["public_key_hex"].as_str().unwrap().len(), 64);
        let (status, p) = app
            .api(
                &xa,
                Method::GET,
                &format!("/api/v1/permits/{}", o.permit),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{p}");
        let token = p["token"].as_str().unwrap().to_string();
        let verify = |token: String, at: Option<String>| {
            let body = json!({"token": token, "at": at});
            let xa = xa.clone();
            let app = &app;
            async move {
                app.api(&xa, Method::POST, "/api/v1/permits/verify", Some(body))
                    .await
                    .1
            }
        };
        let ok = verify(token.clone(), None).await;
        assert_eq!(ok["valid"], true, "{ok}");
        assert_eq!(ok["claims"]["p"], "71C12345");
        let late = (Utc::now() + Duration::days(30)).to_rfc3339();
        let expired = verify(token.clone(), Some(late)).await;
        assert_eq!(expired["reason"], "expired");
        assert!(expired["message_vi"].as_str().unwrap().contains("hết hạn"));
        let garbage = verify("VX1.e30.AAAA".into(), None).await;
        assert_eq!(garbage["reason"], "malformed");
        let mut tampered = token.clone();
        tampered.insert(6, 'x');
        let tampered = verify(tampered, None).await;
        assert!(
            ["forged", "malformed"].contains(&tampered["reason"].as_str().unwrap()),
            "{tampered}"
        );

        // A checkpoint device records a crossing by the API: plate checked against the permit.
        let (status, c) = app
            .api(
                &xa,
                Method::POST,
                &format!("/api/v1/checkpoints/{}/crossings", o.cp),
                Some(
                    json!({"token": token, "plate": "71C-999.99", "direction": "out",
                    "test": "negative", "test_on": vx_domain::vn_date(Utc::now()).to_string()}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        assert_eq!(c["allowed"], false);
        assert!(c["reason"].as_str().unwrap().contains("không khớp"), "{c}");

        // Revocations since a moment.
        let before = (Utc::now() - Duration::seconds(2)).to_rfc3339();
        app.store
            .revoke_permit(&Actor::system("test"), o.permit, "mất giấy")
            .await
            .unwrap();
        let (_, r) = app
            .api(
                &xa,
                Method::GET,
                &format!(
                    "/api/v1/permits/revocations?since={}",
                    before.replace('+', "%2B")
                ),
                None,
            )
            .await;
        assert_eq!(r["revoked"][0]["id"], o.permit, "{r}");
        assert_eq!(verify(token, None).await["reason"], "revoked");

        // Business status with reasons.
        let (status, b) = app
            .api(
                &xa,
                Method::GET,
                &format!("/api/v1/businesses/{}/status", o.business),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(b["status"], "closed", "no level stored today: {b}");
        assert!(b["reasons_vi"][0]
            .as_str()
            .unwrap()
            .contains("Chưa có cấp độ"));

        // Distribution, then the same household again: 409 with the earlier record.
        let hh = app.seed.households["A"].id;
        let path = format!("/api/v1/programmes/{}/distributions", o.programme);
        let body = json!({"household_id": hh, "handed_by": "Tổ COVID ấp 1", "receipt": "BN-01"});
        let (status, first) = app.api(&xa, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        let again = json!({"household_id": hh, "handed_by": "Người khác", "receipt": "BN-02"});
        let (status, second) = app.api(&xa, Method::POST, &path, Some(again)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{second}");
        assert_eq!(second["distribution"]["receipt"], "BN-01");
        assert_eq!(second["distribution"]["id"], first["distribution"]["id"]);
        // A household that is not eligible: 422.
        let b_hh = app.seed.households["B"].id;
        let (status, _) = app
            .api(
                &xa,
                Method::POST,
                &path,
                Some(json!({"household_id": b_hh, "handed_by": "x", "receipt": "y"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        // The gap report: A supported, nothing missing in Ấp 1.
        let (status, gap) = app
            .api(
                &xa,
                Method::GET,
                &format!("/api/v1/programmes/{}/gap?unit=28846", o.programme),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{gap}");
        assert_eq!(
            gap["rows"],
            json!([{"unit": "2884601", "name": "Ấp 1", "eligible": 1, "supported": 1, "gap": 0}])
        );
    })
    .await;
}

#[tokio::test]
async fn double_aid_through_the_page_shows_the_earlier_record_and_the_treasury_file_is_safe() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let o = ops_world(&app).await;
        let ap = app.login("ap").await;
        let path = format!("/ops/programmes/{}?unit=2884601", o.programme);
        let (status, page) = app.text(&ap.client, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            page.contains("Hộ nghèo") && page.contains("2884601-0001"),
            "{page}"
        );
        let post = |receipt: &'static str| {
            let client = ap.client.clone();
            let csrf = ap.csrf.clone();
            let url = app.url(&format!("/ops/programmes/{}/distributions", o.programme));
            let hh = app.seed.households["A"].id.to_string();
            async move {
                client
                    .post(url)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("household_id", hh.as_str()),
                        ("unit", "2884601"),
                        ("handed_by", "=cmd|' /C calc'!A0"),
                        ("receipt", receipt),
                    ])
                    .send()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(post("BN-7").await.status(), StatusCode::SEE_OTHER);
        let r = post("BN-8").await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("đã nhận hỗ trợ") && page.contains("BN-7"),
            "{page}"
        );
        let r = app
            .get(
                &ap.client,
                &format!("/ops/programmes/{}/treasury.xlsx?unit=2884601", o.programme),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let bytes = r.bytes().await.unwrap();
        // The officer's name typed as a formula is written as text, never a formula.
        let table = vx_import::read_table_from_bytes("chi-tra.xlsx", &bytes).unwrap();
        let cells: Vec<&String> = table.rows.iter().flat_map(|(_, r)| r.iter()).collect();
        assert!(
            cells.iter().any(|c| c.as_str() == "'=cmd|' /C calc'!A0"),
            "{cells:?}"
        );
        assert!(cells.iter().all(|c| !c.starts_with('=')), "{cells:?}");
        assert!(cells.iter().any(|c| c.as_str() == "BN-7"), "{cells:?}");
    })
    .await;
}

/// Every new GET route × every role, inside and outside its scope.
#[tokio::test]
async fn ops_scope_matrix() {
    const ROLES: [&str; 6] = ["admin", "tinh", "huyen", "xa", "ap", "xetnghiem"];
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let o = ops_world(&app).await;
        let a = app.seed.people["A"].id;
        let d = app.seed.people["D"].id;
        #[rustfmt::skip]
        let routes: Vec<(String, [u16; 6])> = vec![
            //                                                   admin tinh huyen xa  ap  lab
            ("/ops?unit=28846".into(),                          [200, 200, 200, 200, 404, 404]),
            ("/ops?unit=2884601".into(),                        [200, 404, 200, 200, 200, 404]),
            ("/ops?unit=29242".into(),                          [200, 404, 404, 404, 404, 404]),
            (format!("/ops/checkpoints/{}", o.cp),              [200, 200, 200, 200, 404, 404]),
            (format!("/ops/checkpoints/{}", o.cp_out),          [200, 404, 404, 404, 404, 404]),
            (format!("/ops/permits/{}", o.permit),              [200, 404, 200, 200, 404, 404]),
            (format!("/ops/permits/{}", o.permit_out),          [200, 404, 404, 404, 404, 404]),
            (format!("/ops/permits/{}/qr.svg", o.permit),       [200, 404, 200, 200, 404, 404]),
            (format!("/ops/permits/{}/qr.svg", o.permit_out),   [200, 404, 404, 404, 404, 404]),
            (format!("/ops/people/{a}/trace"),                  [200, 404, 404, 200, 200, 404]),
            (format!("/ops/people/{d}/trace"),                  [200, 404, 404, 404, 404, 404]),
            (format!("/ops/businesses/{}", o.business),         [200, 404, 200, 200, 200, 404]),
            (format!("/ops/businesses/{}", o.business_out),     [200, 404, 404, 404, 404, 404]),
            ("/ops/units/2884601/overdue".into(),               [200, 404, 404, 200, 200, 404]),
            ("/ops/units/2924201/overdue".into(),               [200, 404, 404, 404, 404, 404]),
            (format!("/ops/programmes/{}?unit=2884601", o.programme),          [200, 404, 200, 200, 200, 404]),
            (format!("/ops/programmes/{}?unit=28846", o.programme),            [200, 200, 200, 200, 404, 404]),
            (format!("/ops/programmes/{}?unit=2924201", o.programme_out),      [200, 404, 404, 404, 404, 404]),
            (format!("/ops/programmes/{}/gap?unit=2884601", o.programme),      [200, 404, 200, 200, 200, 404]),
            (format!("/ops/programmes/{}/gap?unit=2924201", o.programme_out),  [200, 404, 404, 404, 404, 404]),
            (format!("/ops/programmes/{}/treasury.xlsx?unit=2884601", o.programme),     [200, 404, 404, 200, 200, 404]),
            (format!("/ops/programmes/{}/treasury.xlsx?unit=2924201", o.programme_out), [200, 404, 404, 404, 404, 404]),
            ("/api/v1/permits/key".into(),                      [200, 200, 200, 200, 200, 404]),
            ("/api/v1/permits/revocations".into(),              [200, 200, 200, 200, 200, 404]),
            (format!("/api/v1/permits/{}", o.permit),           [200, 404, 200, 200, 404, 404]),
            (format!("/api/v1/permits/{}", o.permit_out),       [200, 404, 404, 404, 404, 404]),
            (format!("/api/v1/businesses/{}/status", o.business),     [200, 404, 200, 200, 200, 404]),
            (format!("/api/v1/businesses/{}/status", o.business_out), [200, 404, 404, 404, 404, 404]),
            (format!("/api/v1/programmes/{}/gap?unit=2884601", o.programme),     [200, 404, 200, 200, 200, 404]),
            (format!("/api/v1/programmes/{}/gap?unit=2924201", o.programme_out), [200, 404, 404, 404, 404, 404]),
        ];
        for (i, user) in ROLES.iter().enumerate() {
            let session = app.login(user).await;
            let token = app.token(user).await;
            for (path, expected) in &routes {
                let status = if path.starts_with("/api/") {
                    app.api(&token, Method::GET, path, None).await.0
                } else {
                    app.get(&session.client, path).await.status()
                };
                assert_eq!(status.as_u16(), expected[i], "GET {path} as {user}");
            }
        }
    })
    .await;
}

/// A write: user, path, form fields.
type WriteCase = (&'static str, String, Vec<(&'static str, String)>);

/// Every new write route, aimed outside the writer's scope (or at data its role may not
/// read): 404, and nothing written.
#[tokio::test]
async fn ops_writes_outside_scope_are_404() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let o = ops_world(&app).await;
        let d_hh = app.seed.households["D"].id.to_string();
        let d = app.seed.people["D"].id.to_string();
        let a = app.seed.people["A"].id.to_string();
        let before = app.store.audit_log(None, None, 1000).await.unwrap().len();
        // (user, path, form)
        let cases: Vec<WriteCase> = vec![
            ("xa", "/ops/checkpoints".into(), vec![("unit", "29242".into()), ("name", "x".into())]),
            ("ap", "/ops/checkpoints".into(), vec![("unit", "2884601".into()), ("name", "x".into())]),
            ("xa", "/ops/permits".into(), vec![("unit", "29242".into()), ("name", "x".into())]),
            ("tinh", "/ops/permits".into(), vec![("unit", "28846".into()), ("name", "x".into())]),
            ("xa", format!("/ops/checkpoints/{}", o.cp_out), vec![("token", "x".into())]),
            ("huyen", format!("/ops/checkpoints/{}", o.cp), vec![("name", "x".into())]),
            ("xa", format!("/ops/permits/{}/revoke", o.permit_out), vec![("reason", "x".into())]),
            ("tinh", format!("/ops/permits/{}/revoke", o.permit), vec![("reason", "x".into())]),
            ("xa", "/ops/businesses".into(), vec![("unit", "2924201".into()), ("name", "x".into()), ("sector", "food".into())]),
            ("xa", format!("/ops/businesses/{}/workers", o.business_out), vec![("person_id", d.clone())]),
            ("xa", format!("/ops/businesses/{}/workers", o.business), vec![("person_id", d.clone())]),
            ("huyen", format!("/ops/businesses/{}/workers", o.business), vec![("person_id", a.clone())]),
            ("xa", format!("/ops/businesses/{}/tests", o.business_out), vec![("person_id", d.clone()), ("day", "2021-09-01".into()), ("result", "negative".into())]),
            ("xa", "/ops/programmes".into(), vec![("unit", "29242".into()), ("name", "x".into())]),
            ("xa", format!("/ops/programmes/{}/distributions", o.programme_out), vec![("household_id", d_hh.clone())]),
            ("xa", format!("/ops/programmes/{}/distributions", o.programme), vec![("household_id", d_hh.clone())]),
            ("huyen", format!("/ops/programmes/{}/distributions", o.programme), vec![("household_id", app.seed.households["A"].id.to_string())]),
        ];
        for (user, path, mut form) in cases {
            let s = app.login(user).await;
            form.push(("csrf", s.csrf.clone()));
            let r = s.client.post(app.url(&path)).form(&form).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "POST {path} as {user}");
        }
        let api_cases: Vec<(&str, String, Value)> = vec![
            ("xa", format!("/api/v1/checkpoints/{}/crossings", o.cp_out), json!({"name": "x"})),
            ("huyen", format!("/api/v1/checkpoints/{}/crossings", o.cp), json!({"name": "x"})),
            ("xetnghiem", "/api/v1/permits/verify".into(), json!({"token": "x"})),
            ("xa", format!("/api/v1/programmes/{}/distributions", o.programme_out), json!({"household_id": d_hh.parse::<i64>().unwrap(), "handed_by": "x", "receipt": "y"})),
            ("huyen", format!("/api/v1/programmes/{}/distributions", o.programme), json!({"household_id": app.seed.households["A"].id, "handed_by": "x", "receipt": "y"})),
        ];
        for (user, path, body) in api_cases {
            let token = app.token(user).await;
            let (status, answer) = app.api(&token, Method::POST, &path, Some(body)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "POST {path} as {user}: {answer}");
        }
        let after = app.store.audit_log(None, None, 1000).await.unwrap();
        let written: Vec<&str> = after
            .iter()
            .take(after.len() - before)
            .map(|e| e.entity.as_str())
            .collect();
        assert!(written.iter().all(|e| *e == "api_token"), "nothing but tokens written: {written:?}");
    })
    .await;
}
