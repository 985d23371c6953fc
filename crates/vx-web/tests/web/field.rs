//! Field work offline (issue 18): `/field/` and `POST /api/v1/sync` — what a phone pulls
//! for its scope, records applied once each, checks merged field by field or answered as
//! conflicts, server rules at sync time (scope that changed meanwhile, one aid package per
//! household and programme, one sample per person and round), revoked sessions, limits.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use vx_domain::epi::{
    ContactLevel, ContactSource, NewCampaign, NewRound, QuarantinePlace, TargetGroup,
};
use vx_domain::ops::support::{AidKind, Combine, NewProgramme, Rule};
use vx_domain::UnitCode;
use vx_store::Actor;
use vx_web::WebConfig;

use super::{each_backend, household, spawn_app_with, App, Session};

/// The API routes of this part, for main.rs's OpenAPI check.
pub(crate) const API_ROUTES: &[(&str, &str)] =
    &[("get", "/api/v1/sync/session"), ("post", "/api/v1/sync")];

const DAY: &str = "2021-09-22";

/// What the seed gets for the field: an F1 at home in Ấp 1 (person A) and one in Ấp 2
/// (person B), a round open on the day over Phước Thạnh, a programme for poor households
/// with household A poor.
struct Field {
    app: App,
    f1_a: i64,
    f1_b: i64,
    round: i64,
    programme: i64,
}

async fn field_app(ts: vx_store::testing::TestStore) -> Field {
    let app = spawn_app_with(
        ts,
        WebConfig {
            as_of: Some(DAY.parse().unwrap()),
            ..Default::default()
        },
    )
    .await;
    let s = &app.store;
    let a = Actor::system("test");
    let case = s
        .confirm_case(
            &a,
            &vx_domain::epi::NewCase {
                person_id: app.seed.people["C"].id,
                details: vx_domain::epi::CaseDetails {
                    confirmed_on: "2021-09-20".parse().unwrap(),
                    source: None,
                    severity: vx_domain::epi::Severity::Mild,
                    place: vx_domain::epi::IsolationPlace::Home,
                    isolation_start: "2021-09-20".parse().unwrap(),
                },
            },
        )
        .await
        .unwrap();
    let f1 = |person: i64| {
        let s = s.clone();
        let a = a.clone();
        async move {
            s.add_contact(
                &a,
                &vx_domain::epi::NewContact {
                    person_id: person,
                    source: ContactSource::Case(case.id),
                    level: ContactLevel::F1,
                    exposure_date: "2021-09-19".parse().unwrap(),
                    place: QuarantinePlace::Home,
                    vaccinated: false,
                },
            )
            .await
            .unwrap()
            .id
        }
    };
    let f1_a = f1(app.seed.people["A"].id).await;
    let f1_b = f1(app.seed.people["B"].id).await;
    let c = s
        .create_campaign(
            &a,
            &NewCampaign {
                name: "Sàng lọc Phước Thạnh".into(),
                target_units: vec![UnitCode::parse("28846").unwrap()],
                target: TargetGroup::Everyone,
            },
        )
        .await
        .unwrap();
    let round = s
        .create_round(
            &a,
            &NewRound {
                campaign_id: c.id,
                number: 1,
                start: "2021-09-21".parse().unwrap(),
                end: "2021-09-24".parse().unwrap(),
            },
        )
        .await
        .unwrap()
        .id;
    let programme = s
        .create_programme(
            &a,
            &NewProgramme {
                name: "Túi an sinh".into(),
                kind: AidKind::Goods,
                amount_vnd: None,
                goods: "10 kg gạo".into(),
                unit_code: UnitCode::parse("28846").unwrap(),
                rules: vec![Rule::Poor],
                combine: Combine::Any,
            },
        )
        .await
        .unwrap()
        .id;
    for key in ["A", "B"] {
        let h = &app.seed.households[key];
        let mut data = household(
            h.data.code.as_str(),
            &unit_of(key),
            h.data.head_name.as_str(),
        );
        data.poor = true;
        s.update_household(&a, h.id, &data).await.unwrap();
    }
    Field {
        app,
        f1_a,
        f1_b,
        round,
        programme,
    }
}

fn unit_of(key: &str) -> String {
    match key {
        "A" => "2884601",
        _ => "2884602",
    }
    .into()
}

/// A phone: the signed-in user's browser and its CSRF token.
async fn phone(app: &App, user: &str) -> Session {
    let s = app.login(user).await;
    let (status, me) = get(app, &s, "/api/v1/sync/session").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["csrf"], s.csrf.as_str());
    s
}

async fn get(app: &App, s: &Session, path: &str) -> (StatusCode, Value) {
    let r = s.client.get(app.url(path)).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn sync(app: &App, s: &Session, body: Value) -> (StatusCode, Value) {
    let r = s
        .client
        .post(app.url("/api/v1/sync"))
        .header("x-csrf-token", &s.csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Pushes records and returns the results, asserting a 200.
async fn push(app: &App, s: &Session, records: Value) -> Vec<Value> {
    let (status, body) = sync(
        app,
        s,
        json!({"cursor": null, "pull": "none", "push": records}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["results"].as_array().unwrap().clone()
}

fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn ids(list: &Value) -> Vec<i64> {
    let mut v: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    v.sort_unstable();
    v
}

#[tokio::test]
async fn a_phone_pulls_its_scope_and_no_more_personal_data_than_the_tasks_need() {
    each_backend(|ts| async move {
        let f = field_app(ts).await;
        let app = &f.app;
        let ap = phone(app, "ap").await;
        let (_, me) = get(app, &ap, "/api/v1/sync/session").await;
        assert_eq!(me["role"], "hamlet");
        assert_eq!(me["day"], DAY);
        assert_eq!(me["lang"], "vi");
        assert_eq!(me["scope"][0]["code"], "2884601");

        let (status, body) =
            sync(app, &ap, json!({"cursor": null, "pull": "all", "push": []})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let c = &body["changes"];
        assert_eq!(c["full"], true);
        assert_eq!(c["registry_changed"], true);
        // Ấp 1 only: household A and its member; no citizen ID, phone or birth date.
        assert_eq!(ids(&c["households"]), vec![app.seed.households["A"].id]);
        assert_eq!(ids(&c["people"]), vec![app.seed.people["A"].id]);
        let person = c["people"][0].as_object().unwrap();
        let mut keys: Vec<&str> = person.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "birth_year",
                "full_name",
                "household_id",
                "id",
                "relation",
                "sex"
            ]
        );
        assert!(
            !body.to_string().contains("083080001234"),
            "a citizen ID reached the phone"
        );
        // Today's work: A's quarantine, the round with A still to sample, the programme with A to serve.
        assert_eq!(c["quarantines"].as_array().unwrap().len(), 1);
        assert_eq!(c["quarantines"][0]["contact_id"], f.f1_a);
        assert_eq!(c["quarantines"][0]["level"], "F1");
        assert_eq!(c["rounds"][0]["id"], f.round);
        assert_eq!(
            c["rounds"][0]["to_sample"],
            json!([app.seed.people["A"].id])
        );
        assert_eq!(c["programmes"][0]["id"], f.programme);
        assert_eq!(
            c["programmes"][0]["households"],
            json!([app.seed.households["A"].id])
        );

        // "today" after "all" with nothing changed: no households, nothing new.
        let cursor = body["cursor"].clone();
        let (_, again) = sync(app, &ap, json!({"cursor": cursor, "pull": "today"})).await;
        assert_eq!(again["changes"]["full"], false);
        assert_eq!(again["changes"]["registry_changed"], false);
        assert!(again["changes"].get("households").is_none());
        assert_eq!(again["changes"]["checks"], json!([]));

        // The commune's phone holds both hamlets.
        let xa = phone(app, "xa").await;
        let (_, body) = sync(app, &xa, json!({"cursor": null, "pull": "all"})).await;
        let hh = ids(&body["changes"]["households"]);
        assert_eq!(hh, {
            let mut v = vec![app.seed.households["A"].id, app.seed.households["B"].id];
            v.sort_unstable();
            v
        });
        assert_eq!(body["changes"]["quarantines"].as_array().unwrap().len(), 2);

        // The app is the commune's and the hamlet's (a phone holds their scope); no credential is 401.
        for user in ["admin", "tinh", "huyen", "xetnghiem"] {
            let s = app.login(user).await;
            let (status, _) = get(app, &s, "/api/v1/sync/session").await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
            let (status, _) = sync(app, &s, json!({"cursor": null})).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
        }
        let r = Client::new()
            .post(app.url("/api/v1/sync"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        // A session's write without its CSRF token.
        let r = ap
            .client
            .post(app.url("/api/v1/sync"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // The app's files, served from the binary.
        for (path, kind) in [
            ("/field/", "text/html"),
            ("/field/app.js", "text/javascript"),
            ("/field/sw.js", "text/javascript"),
            ("/field/field.css", "text/css"),
            ("/field/manifest.webmanifest", "application/manifest+json"),
            ("/field/icon.svg", "image/svg+xml"),
        ] {
            let r = Client::new().get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with(kind),
                "{path}"
            );
            // The phone's copy is answered 304.
            let etag = r.headers()["etag"].to_str().unwrap().to_string();
            let again = Client::new()
                .get(app.url(path))
                .header("if-none-match", &etag)
                .send()
                .await
                .unwrap();
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        }
    })
    .await;
}

#[tokio::test]
async fn each_record_is_applied_once_and_a_repeat_is_answered_from_its_receipt() {
    each_backend(|ts| async move {
        let f = field_app(ts).await;
        let app = &f.app;
        let ap = phone(app, "ap").await;
        let a = app.seed.people["A"].id;
        let hh = app.seed.households["A"].id;
        let records = json!([
            {"client_id": uuid(1), "kind": "check", "made_at": "2021-09-22T08:00:00+07:00",
             "data": {"contact_id": f.f1_a, "day": DAY, "temperature": 36.8, "symptoms": "", "present": true}},
            {"client_id": uuid(2), "kind": "visit",
             "data": {"household_id": hh, "day": DAY, "outcome": "met", "note": "Gia đình ổn"}},
            {"client_id": uuid(3), "kind": "sample",
             "data": {"round_id": f.round, "code": "PT-0001", "members": [a], "laboratory": "CDC Bến Tre",
                      "taken_at": "2021-09-22T01:00:00Z"}},
            {"client_id": uuid(4), "kind": "aid",
             "data": {"programme_id": f.programme, "household_id": hh, "day": DAY, "receipt": "BN-17"}},
            {"client_id": uuid(5), "kind": "person",
             "data": {"household_id": hh, "full_name": "Nguyễn Thị Bé", "birth_year": 2019, "sex": "female", "relation": "grandchild"}},
        ]);
        let first = push(app, &ap, records.clone()).await;
        for r in &first {
            assert_eq!(r["status"], "applied", "{r}");
            assert_eq!(r["repeated"], false, "{r}");
        }
        // The same upload again (the answer was lost on the way): nothing doubles.
        let again = push(app, &ap, records).await;
        for (r, before) in again.iter().zip(&first) {
            assert_eq!(r["status"], "applied", "{r}");
            assert_eq!(r["repeated"], true, "{r}");
            assert_eq!(r["id"], before["id"], "{r}");
        }
        let s = &app.store;
        let round: chrono::NaiveDate = DAY.parse().unwrap();
        assert_eq!(s.checks_since(&[app.store.unit("28846").await.unwrap().unwrap()], round, 0).await.unwrap().len(), 1);
        assert_eq!(s.visits_since(&[app.store.unit("28846").await.unwrap().unwrap()], round, 0).await.unwrap().len(), 1);
        assert_eq!(s.samples_of_person(a).await.unwrap().len(), 1);
        assert!(s.distribution_of(f.programme, hh).await.unwrap().is_some());
        let people = s
            .people(&vx_store::PeopleQuery { within: "/".into(), household_id: Some(hh), limit: 10, ..Default::default() })
            .await
            .unwrap();
        assert_eq!(people.iter().filter(|p| p.data.full_name.as_str() == "Nguyễn Thị Bé").count(), 1);
        // A new record for the same aid is the server's rule, not a repeat: refused, with the earlier one named.
        let second = push(app, &ap, json!([{"client_id": uuid(6), "kind": "aid",
            "data": {"programme_id": f.programme, "household_id": hh, "day": DAY, "receipt": "BN-99"}}])).await;
        assert_eq!(second[0]["status"], "refused");
        assert!(second[0]["reason"].as_str().unwrap().contains("đã nhận hỗ trợ này ngày 22/09/2021 (biên nhận BN-17"), "{}", second[0]);
        // So is a second sample of the same person in the round.
        let second = push(app, &ap, json!([{"client_id": uuid(7), "kind": "sample",
            "data": {"round_id": f.round, "code": "PT-0002", "members": [a]}}])).await;
        assert_eq!(second[0]["status"], "refused", "{}", second[0]);
        // A client id another user used is not theirs to repeat.
        let xa = phone(app, "xa").await;
        let stolen = push(app, &xa, json!([{"client_id": uuid(2), "kind": "visit",
            "data": {"household_id": hh, "day": DAY, "outcome": "met"}}])).await;
        assert_eq!(stolen[0]["status"], "refused");
        // The pull shows what was recorded; the served round has no one left to sample in Ấp 1.
        let (_, body) = sync(app, &ap, json!({"cursor": null, "pull": "today"})).await;
        let c = &body["changes"];
        assert_eq!(c["checks"][0]["temperature"], 36.8);
        assert_eq!(c["checks"][0]["by"], "ap");
        assert_eq!(c["visits"][0]["note"], "Gia đình ổn");
        // The round still has the person found living there to sample; the programme no one left.
        assert_eq!(c["rounds"][0]["to_sample"], json!([first[4]["id"]]));
        assert_eq!(c["programmes"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn an_offline_edit_is_merged_field_by_field_or_shown_as_a_conflict_and_settled() {
    each_backend(|ts| async move {
        let f = field_app(ts).await;
        let app = &f.app;
        let ap = phone(app, "ap").await;
        let xa = phone(app, "xa").await;
        let check = |n: u32, fields: Value, base: Option<(i64, Value)>| {
            let mut data = json!({"contact_id": f.f1_a, "day": DAY});
            for (k, v) in fields.as_object().unwrap() {
                data[k] = v.clone();
            }
            let mut r = json!({"client_id": uuid(n), "kind": "check", "data": data});
            if let Some((v, b)) = base {
                r["base_version"] = json!(v);
                r["base"] = b;
            }
            json!([r])
        };
        let v1_fields = json!({"temperature": 36.8, "symptoms": "", "present": true});
        let r = push(app, &ap, check(1, v1_fields.clone(), None)).await;
        let v1 = r[0]["version"].as_i64().unwrap();
        // The commune's officer changes the symptoms meanwhile.
        let r = push(app, &xa, check(2, json!({"temperature": 36.8, "symptoms": "sốt", "present": true}), Some((v1, v1_fields.clone())))).await;
        assert_eq!(r[0]["status"], "applied");
        let v2 = r[0]["version"].as_i64().unwrap();
        assert!(v2 > v1);
        // The phone, offline on v1, changed the temperature only: merged, the server's symptoms kept.
        let r = push(app, &ap, check(3, json!({"temperature": 37.6, "symptoms": "", "present": true}), Some((v1, v1_fields.clone())))).await;
        assert_eq!(r[0]["status"], "applied", "{}", r[0]);
        assert_eq!(r[0]["merged"], json!(["symptoms"]));
        let v3 = r[0]["version"].as_i64().unwrap();
        let stored = app.store.check_of(f.f1_a, DAY.parse().unwrap()).await.unwrap().unwrap();
        assert_eq!(stored.fields.symptoms, "sốt");
        assert_eq!(stored.fields.temperature.unwrap().to_string(), "37.6");
        // The phone, still on v1, changed the symptoms too: a conflict, both values, who and when; nothing applied.
        let r = push(app, &ap, check(4, json!({"temperature": 36.8, "symptoms": "ho", "present": true}), Some((v1, v1_fields.clone())))).await;
        assert_eq!(r[0]["status"], "conflict", "{}", r[0]);
        assert_eq!(r[0]["version"], v3);
        let conflict = &r[0]["conflicts"][0];
        assert_eq!(conflict["field"], "symptoms");
        assert_eq!(conflict["yours"], "ho");
        assert_eq!(conflict["theirs"], "sốt");
        assert_eq!(conflict["by"], "ap");
        assert!(conflict["at"].as_str().is_some());
        assert_eq!(r[0]["server"]["temperature"], 37.6);
        let stored = app.store.check_of(f.f1_a, DAY.parse().unwrap()).await.unwrap().unwrap();
        assert_eq!((stored.version, stored.fields.symptoms.as_str()), (v3, "sốt"));
        // A conflict leaves no receipt: the same record is asked again, and conflicts again.
        let r = push(app, &ap, check(4, json!({"temperature": 36.8, "symptoms": "ho", "present": true}), Some((v1, v1_fields.clone())))).await;
        assert_eq!(r[0]["status"], "conflict");
        // The user settles: keeps their symptoms over the server's version.
        let server = r[0]["server"].clone();
        let r = push(app, &ap, check(5, json!({"temperature": 37.6, "symptoms": "sốt, ho", "present": true}), Some((v3, server)))).await;
        assert_eq!(r[0]["status"], "applied", "{}", r[0]);
        let stored = app.store.check_of(f.f1_a, DAY.parse().unwrap()).await.unwrap().unwrap();
        assert_eq!(stored.fields.symptoms, "sốt, ho");
        // A second team's new check for a day that has one: the same values are one check,
        // different ones a conflict.
        let r = push(app, &xa, check(6, json!({"temperature": 37.6, "symptoms": "sốt, ho", "present": true}), None)).await;
        assert_eq!(r[0]["status"], "applied");
        let r = push(app, &xa, check(7, json!({"temperature": 38.0, "symptoms": "sốt, ho", "present": true}), None)).await;
        assert_eq!(r[0]["status"], "conflict");
        assert_eq!(r[0]["conflicts"][0]["field"], "temperature");
        // Bad values are refused with the field named, not half-applied.
        for (n, bad, field) in [
            (8, json!({"temperature": 45.0, "symptoms": "", "present": true}), "temperature"),
            (9, json!({"temperature": null, "symptoms": "x".repeat(201), "present": true}), "symptoms"),
        ] {
            let r = push(app, &ap, check(n, bad, None)).await;
            assert_eq!(r[0]["status"], "refused");
            assert!(r[0]["reason_en"].as_str().unwrap().contains(field), "{}", r[0]);
        }
        // A check after the server's day, or for a day before the quarantine.
        for (n, day) in [(10, "2021-09-23"), (11, "2021-09-01")] {
            let r = push(app, &ap, json!([{"client_id": uuid(n), "kind": "check",
                "data": {"contact_id": f.f1_a, "day": day, "temperature": null, "symptoms": "", "present": true}}])).await;
            assert_eq!(r[0]["status"], "refused", "{day}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_record_outside_the_scope_at_sync_time_is_refused_with_its_reason() {
    each_backend(|ts| async move {
        let f = field_app(ts).await;
        let app = &f.app;
        let ap = phone(app, "ap").await;
        let (_, first) = sync(app, &ap, json!({"cursor": null, "pull": "all"})).await;
        let hh_a = app.seed.households["A"].id;
        let hh_b = app.seed.households["B"].id;
        let visit = |n: u32, hh: i64| json!({"client_id": uuid(n), "kind": "visit",
            "data": {"household_id": hh, "day": DAY, "outcome": "absent"}});
        // Ấp 2's household and quarantine are not Ấp 1's team's.
        let r = push(app, &ap, json!([visit(1, hh_b), {"client_id": uuid(2), "kind": "check",
            "data": {"contact_id": f.f1_b, "day": DAY, "temperature": null, "symptoms": "", "present": true}}])).await;
        assert_eq!(r[0]["status"], "refused");
        assert_eq!(r[0]["reason"], "Hộ 2884602-0001 nằm ngoài phạm vi của bạn (Ấp 1)");
        assert_eq!(r[0]["reason_en"], "household 2884602-0001 is outside your scope (Ấp 1)");
        assert_eq!(r[1]["status"], "refused");
        // The team moves to Ấp 2 while a visit to Ấp 1 waits on the phone.
        app.store
            .set_user_scope(&Actor::system("test"), "ap", &[UnitCode::parse("2884602").unwrap()])
            .await
            .unwrap();
        let (status, body) = sync(app, &ap, json!({"cursor": first["cursor"], "pull": "today", "push": [visit(3, hh_a), visit(4, hh_b)]})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["results"][0]["status"], "refused");
        assert_eq!(body["results"][0]["reason"], "Hộ 2884601-0001 nằm ngoài phạm vi của bạn (Ấp 2)");
        assert_eq!(body["results"][1]["status"], "applied");
        // A new scope is a full pull: the phone replaces what it holds.
        let c = &body["changes"];
        assert_eq!(c["full"], true);
        assert_eq!(c["registry_changed"], true);
        assert_eq!(c["quarantines"][0]["contact_id"], f.f1_b);
        assert_eq!(c["quarantines"].as_array().unwrap().len(), 1);
        let (_, all) = sync(app, &ap, json!({"cursor": body["cursor"], "pull": "all"})).await;
        assert_eq!(ids(&all["changes"]["households"]), vec![hh_b]);
    })
    .await;
}

#[tokio::test]
async fn a_phone_pulls_only_what_changed_since_its_cursor() {
    each_backend(|ts| async move {
        let f = field_app(ts).await;
        let app = &f.app;
        let ap = phone(app, "ap").await;
        let xa = phone(app, "xa").await;
        let (_, first) = sync(app, &ap, json!({"cursor": null, "pull": "all"})).await;
        let cursor = first["cursor"].clone();
        // Another team records a check in Ấp 1 and one in Ấp 2.
        for (n, contact) in [(1, f.f1_a), (2, f.f1_b)] {
            let r = push(app, &xa, json!([{"client_id": uuid(n), "kind": "check",
                "data": {"contact_id": contact, "day": DAY, "temperature": 37.0, "symptoms": "", "present": true}}])).await;
            assert_eq!(r[0]["status"], "applied");
        }
        let (_, next) = sync(app, &ap, json!({"cursor": cursor, "pull": "today"})).await;
        let c = &next["changes"];
        assert_eq!(c["full"], false);
        assert_eq!(c["registry_changed"], false);
        assert_eq!(c["checks"].as_array().unwrap().len(), 1, "{c}");
        assert_eq!(c["checks"][0]["contact_id"], f.f1_a);
        // Nothing since: nothing.
        let (_, quiet) = sync(app, &ap, json!({"cursor": next["cursor"], "pull": "today"})).await;
        assert_eq!(quiet["changes"]["checks"], json!([]));
        // A registry change is told until the phone pulls the households.
        push(app, &xa, json!([{"client_id": uuid(3), "kind": "person", "data": {"household_id": app.seed.households["A"].id,
            "full_name": "Nguyễn Văn Mới", "birth_year": 2001, "sex": "male"}}])).await;
        let (_, told) = sync(app, &ap, json!({"cursor": quiet["cursor"], "pull": "today"})).await;
        assert_eq!(told["changes"]["registry_changed"], true);
        let (_, told_again) = sync(app, &ap, json!({"cursor": told["cursor"], "pull": "today"})).await;
        assert_eq!(told_again["changes"]["registry_changed"], true);
        let (_, all) = sync(app, &ap, json!({"cursor": told_again["cursor"], "pull": "all"})).await;
        assert_eq!(all["changes"]["people"].as_array().unwrap().len(), 2);
        let (_, after) = sync(app, &ap, json!({"cursor": all["cursor"], "pull": "today"})).await;
        assert_eq!(after["changes"]["registry_changed"], false);
        // A quarantine ended after the server's day was still open that day.
        app.store.end_quarantine(&Actor::system("test"), f.f1_a, "2021-09-25".parse().unwrap()).await.unwrap();
        let (_, later) = sync(app, &ap, json!({"cursor": after["cursor"], "pull": "today"})).await;
        assert_eq!(later["changes"]["quarantines"][0]["contact_id"], f.f1_a);
        // A cursor that is not one is a first sync.
        let (status, body) = sync(app, &ap, json!({"cursor": "v9.nonsense", "pull": "today"})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["changes"]["full"], true);
    })
    .await;
}

#[tokio::test]
async fn a_revoked_session_and_hostile_bodies_are_refused_and_nothing_is_half_applied() {
    each_backend(|ts| async move {
        let f = field_app(ts).await;
        let app = &f.app;
        let ap = phone(app, "ap").await;
        let hh = app.seed.households["A"].id;
        // Limits: records per sync, body size, shapes.
        let many: Vec<Value> = (0..1001).map(|n| json!({"client_id": uuid(n), "kind": "visit",
            "data": {"household_id": hh, "day": DAY, "outcome": "met"}})).collect();
        let (status, body) = sync(app, &ap, json!({"cursor": null, "pull": "none", "push": many})).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        let huge = "x".repeat(5 * 1024 * 1024);
        let (status, _) = sync(app, &ap, json!({"cursor": null, "push": [{"client_id": uuid(1), "kind": "visit", "data": {"note": huge}}]})).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        let (status, _) = sync(app, &ap, json!({"cursor": null, "pull": "everything"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = push(app, &ap, json!([
            {"client_id": "not a uuid", "kind": "visit", "data": {}},
            {"client_id": uuid(2), "kind": "teleport", "data": {}},
            {"client_id": uuid(3), "kind": "visit", "data": {"household_id": "A"}},
            {"client_id": uuid(4), "kind": "visit", "data": {"household_id": hh, "day": DAY, "outcome": "met", "note": "n".repeat(501)}},
            {"client_id": uuid(5), "kind": "visit", "data": {"household_id": 999999, "day": DAY, "outcome": "met"}},
        ])).await;
        for x in &r {
            assert_eq!(x["status"], "refused", "{x}");
            assert!(!x["reason"].as_str().unwrap().is_empty());
        }
        assert!(app.store.visits_since(&[app.store.unit("28846").await.unwrap().unwrap()], DAY.parse().unwrap(), 0).await.unwrap().is_empty());
        // A client that loops is told to wait; another user is not slowed.
        let xa = phone(app, "xa").await;
        let mut statuses = Vec::new();
        for _ in 0..40 {
            let r = xa.client.post(app.url("/api/v1/sync")).header("x-csrf-token", &xa.csrf)
                .json(&json!({"cursor": null, "pull": "none"})).send().await.unwrap();
            if r.status() == StatusCode::TOO_MANY_REQUESTS {
                let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
                assert!((1..=60).contains(&wait));
            }
            statuses.push(r.status().as_u16());
        }
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), vx_web::SYNCS_PER_MINUTE as usize, "{statuses:?}");
        assert!(statuses[vx_web::SYNCS_PER_MINUTE as usize..].iter().all(|s| *s == 429));
        let (status, _) = sync(app, &ap, json!({"cursor": null, "pull": "none"})).await;
        assert_eq!(status, StatusCode::OK);
        // The phone is lost: the user's sessions are ended; its next sync is refused.
        let (user, _) = app.store.user_by_username("ap").await.unwrap().unwrap();
        app.store.revoke_sessions(&Actor::system("test"), user.id).await.unwrap();
        let (status, _) = sync(app, &ap, json!({"cursor": null, "push": [{"client_id": uuid(6), "kind": "visit",
            "data": {"household_id": hh, "day": DAY, "outcome": "met"}}]})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(app.store.sync_receipt(&uuid(6)).await.unwrap().is_none());
    })
    .await;
}
