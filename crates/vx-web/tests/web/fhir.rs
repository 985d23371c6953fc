//! FHIR R4 (issue 17): a Bundle of 1,000 results records what the same results in CSV
//! record; bad Bundles answer an OperationOutcome and store nothing; a person's tests read
//! back as Patient and Observations, in scope.

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use vx_domain::epi::{PersonRef, SampleCode, SampleMethod, SampleRow};
use vx_domain::{Birth, CitizenId, HouseholdCode, NewPerson, PersonName, Relation, Sex};
use vx_store::{Actor, ImportOptions, Located};

use super::{each_backend, spawn_app, App};

const N: usize = 1_000;

/// The API routes of this part, for main.rs's OpenAPI check; their scope is tested below.
pub(crate) const API_ROUTES: &[(&str, &str)] = &[
    ("post", "/api/v1/fhir"),
    ("get", "/api/v1/fhir/Patient/{id}"),
    ("get", "/api/v1/fhir/Observation"),
];

fn cccd(i: usize) -> String {
    format!("083090{i:06}")
}

/// Names without digits: family × middle × given.
fn name(i: usize) -> String {
    const FAMILY: [&str; 10] = [
        "Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Bùi", "Đặng",
    ];
    const MIDDLE: [&str; 10] = [
        "Văn", "Thị", "Minh", "Ngọc", "Thanh", "Hữu", "Đức", "Kim", "Quốc", "Bảo",
    ];
    const GIVEN: [&str; 20] = [
        "An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Khoa", "Lan", "Long", "Mai",
        "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Vy",
    ];
    format!(
        "{} {} {}",
        FAMILY[i % 10],
        MIDDLE[(i / 10) % 10],
        GIVEN[(i / 100) % 20]
    )
}

/// 2 × N people in Ấp 1 of Phước Thạnh, each in an individual sample of a new round:
/// F-i (for FHIR) of person i, C-i (for CSV) of person N + i.
async fn samples(app: &App) {
    let actor = Actor::system("test");
    let people = (0..2 * N)
        .map(|i| Located {
            row: i as u32 + 2,
            value: NewPerson {
                household_code: HouseholdCode::parse("2884601-0001").unwrap(),
                full_name: PersonName::parse(&name(i)).unwrap(),
                birth: Birth::Year(1990),
                sex: Sex::Male,
                citizen_id: Some(CitizenId::parse(&cccd(i)).unwrap()),
                phone: None,
                relation: Relation::Other,
            },
        })
        .collect();
    app.store
        .import_people(&actor, people, &ImportOptions::default())
        .await
        .unwrap();
    let campaign = app
        .store
        .create_campaign(
            &actor,
            &vx_domain::epi::NewCampaign {
                name: "Sàng lọc Phước Thạnh".into(),
                target_units: vec![vx_domain::UnitCode::parse("28846").unwrap()],
                target: vx_domain::epi::TargetGroup::Everyone,
            },
        )
        .await
        .unwrap();
    let round = app
        .store
        .create_round(
            &actor,
            &vx_domain::epi::NewRound {
                campaign_id: campaign.id,
                number: 1,
                start: "2021-09-21".parse().unwrap(),
                end: "2021-09-23".parse().unwrap(),
            },
        )
        .await
        .unwrap();
    let rows = (0..2 * N)
        .map(|i| Located {
            row: i as u32 + 2,
            value: SampleRow {
                sample_code: SampleCode::parse(&code(i)).unwrap(),
                round_id: round.id,
                method: SampleMethod::RtPcr,
                pooled: false,
                high_risk: false,
                collected_at: "2021-09-21T23:30:00Z".parse().unwrap(),
                collector: "Tổ 1".into(),
                laboratory: "Phòng xét nghiệm".into(),
                person: PersonRef::CitizenId(CitizenId::parse(&cccd(i)).unwrap()),
            },
        })
        .collect();
    app.store
        .import_samples(&actor, rows, &ImportOptions::default())
        .await
        .unwrap();
}

fn code(i: usize) -> String {
    if i < N {
        format!("F-{i:04}")
    } else {
        format!("C-{:04}", i - N)
    }
}

/// The result of the i-th sample of a set: every tenth positive with a Ct, a few invalid.
fn result(i: usize) -> (&'static str, Option<f64>) {
    match i {
        i if i % 10 == 3 => ("positive", Some(18.0 + (i % 15) as f64)),
        i if i % 97 == 5 => ("invalid", None),
        _ => ("negative", None),
    }
}

const TESTED: &str = "2021-09-22T07:00:00Z";

fn snomed(result: &str) -> &'static str {
    match result {
        "positive" => "260373001",
        "negative" => "260415000",
        _ => "419984006",
    }
}

/// The entries of one result: Patient, Specimen, Observation (Ct as a component, or for
/// every other positive as an Observation of its own).
fn entries(i: usize, person: usize, result: &str, ct: Option<f64>) -> Vec<Value> {
    let (p, s, o) = (
        format!("urn:uuid:p-{i}"),
        format!("urn:uuid:s-{i}"),
        format!("urn:uuid:o-{i}"),
    );
    let mut obs = json!({
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "94500-6"}]},
        "subject": {"reference": p}, "specimen": {"reference": s},
        "effectiveDateTime": TESTED,
        "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": snomed(result)}]},
    });
    let mut out = vec![
        json!({"fullUrl": p, "resource": {"resourceType": "Patient",
            "identifier": [{"system": "urn:vn:cccd", "value": cccd(person)}]},
            "request": {"method": "POST", "url": "Patient"}}),
        json!({"fullUrl": s, "resource": {"resourceType": "Specimen",
            "accessionIdentifier": {"value": code(i)}},
            "request": {"method": "POST", "url": "Specimen"}}),
    ];
    match ct {
        Some(ct) if i % 20 == 3 => out.push(json!({"fullUrl": format!("{o}-ct"), "resource": {
            "resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "94509-7"}]},
            "specimen": {"reference": s},
            "valueQuantity": {"value": ct, "unit": "Ct", "system": "http://unitsofmeasure.org", "code": "{Ct_value}"}},
            "request": {"method": "POST", "url": "Observation"}})),
        Some(ct) => {
            obs["component"] = json!([{"code": {"coding": [{"system": "http://loinc.org", "code": "94509-7"}]},
                "valueQuantity": {"value": ct, "unit": "Ct"}}]);
        }
        None => {}
    }
    out.push(
        json!({"fullUrl": o, "resource": obs, "request": {"method": "POST", "url": "Observation"}}),
    );
    out
}

fn bundle(kind: &str, entries: Vec<Value>) -> Value {
    json!({"resourceType": "Bundle", "type": kind, "entry": entries})
}

async fn post(app: &App, token: &str, body: &Value) -> (StatusCode, String, Value) {
    let r = Client::new()
        .post(app.url("/api/v1/fhir"))
        .bearer_auth(token)
        .header("content-type", "application/fhir+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status();
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    (status, ct, r.json().await.unwrap())
}

/// The statuses of a response Bundle's entries, counted.
fn statuses(answer: &Value) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    for e in answer["entry"].as_array().unwrap() {
        *out.entry(e["response"]["status"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    out
}

async fn stored(app: &App, code: &str) -> Option<(String, Option<f64>)> {
    let s = app
        .store
        .sample_by_code(&SampleCode::parse(code).unwrap())
        .await
        .unwrap()
        .unwrap();
    s.result
        .map(|r| (r.result.to_string(), r.ct.map(|c| c.value())))
}

fn issues(outcome: &Value) -> Vec<(String, String)> {
    assert_eq!(outcome["resourceType"], "OperationOutcome", "{outcome}");
    outcome["issue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["expression"][0].as_str().unwrap_or("").to_string(),
                i["diagnostics"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_bundle_of_a_thousand_results_records_what_the_csv_records() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        samples(&app).await;
        let lab = app.token("xetnghiem").await;

        // Bad bundles first: each answers an OperationOutcome naming the entry, and stores
        // nothing (F-0000 keeps no result).
        let good = entries(0, 0, "negative", None);
        let mut unknown = good.clone();
        unknown.push(json!({"resource": {"resourceType": "Condition", "id": "x"}}));
        let mut bad_code = entries(1, 1, "negative", None);
        bad_code[2]["resource"]["valueCodeableConcept"]["coding"][0]["code"] = json!("123");
        bad_code[2]["resource"]["effectiveDateTime"] = Value::Null;
        let mut dangling = entries(2, 2, "negative", None);
        dangling[2]["resource"]["specimen"]["reference"] = json!("urn:uuid:missing");
        let mut someone_else = entries(4, 4, "negative", None);
        someone_else[0]["resource"]["identifier"][0]["value"] = json!(cccd(7));
        let mut unknown_sample = entries(5, 5, "negative", None);
        unknown_sample[1]["resource"]["accessionIdentifier"]["value"] = json!("X-404");
        let cases: Vec<(Vec<Value>, StatusCode, &str, &str)> = vec![
            (
                unknown,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Bundle.entry[3].resource.resourceType",
                "a Condition is not taken here",
            ),
            (
                [good.clone(), bad_code].concat(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "Bundle.entry[5].resource.valueCodeableConcept",
                "a SNOMED CT result code is needed",
            ),
            (
                [good.clone(), dangling].concat(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "Bundle.entry[5].resource.specimen",
                "must point at a Specimen",
            ),
            (
                [good.clone(), someone_else].concat(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "Bundle.entry[3].resource.identifier",
                "citizen ID 083090000007 is not a person of sample F-0004",
            ),
            (
                [good.clone(), unknown_sample].concat(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "Bundle.entry[5].resource.specimen",
                "no sample X-404",
            ),
        ];
        for (entries, status, expression, message) in cases {
            let (got, content_type, outcome) =
                post(&app, &lab, &bundle("transaction", entries)).await;
            assert_eq!(got, status, "{outcome}");
            assert_eq!(content_type, "application/fhir+json");
            let issues = issues(&outcome);
            assert!(
                issues
                    .iter()
                    .any(|(e, d)| e == expression && d.contains(message)),
                "{expression}: {message}: {issues:?}"
            );
            assert_eq!(stored(&app, "F-0000").await, None, "nothing half-applied");
        }
        for (body, status) in [
            (json!({"resourceType": "Patient"}), StatusCode::BAD_REQUEST),
            (
                json!({"resourceType": "Bundle", "type": "document", "entry": []}),
                StatusCode::BAD_REQUEST,
            ),
            (json!([1, 2]), StatusCode::BAD_REQUEST),
        ] {
            let (got, _, outcome) = post(&app, &lab, &body).await;
            assert_eq!(got, status, "{outcome}");
            assert!(!issues(&outcome).is_empty());
        }
        let r = Client::new()
            .post(app.url("/api/v1/fhir"))
            .bearer_auth(&lab)
            .header("content-type", "text/plain")
            .body(bundle("transaction", good.clone()).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let commune = app.token("xa").await;
        let (got, _, outcome) = post(&app, &commune, &bundle("transaction", good.clone())).await;
        assert_eq!(got, StatusCode::FORBIDDEN, "{outcome}");

        // 1,000 results as a transaction Bundle, the same results of the C set as CSV
        let mut all = Vec::new();
        let mut csv = String::from("sample_code,result,ct,tested_at\n");
        for i in 0..N {
            let (result, ct) = result(i);
            all.extend(entries(i, i, result, ct));
            csv.push_str(&format!(
                "{},{result},{},{TESTED}\n",
                code(N + i),
                ct.map(|c| c.to_string()).unwrap_or_default()
            ));
        }
        let fhir = bundle("transaction", all);
        let (got, _, answer) = post(&app, &lab, &fhir).await;
        assert_eq!(got, StatusCode::OK);
        assert_eq!(answer["type"], "transaction-response");
        let counts = statuses(&answer);
        assert_eq!(counts["201 Created"], N, "{counts:?}");
        let r = Client::new()
            .post(app.url("/api/v1/results"))
            .bearer_auth(&lab)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let csv_answer: Value = r.json().await.unwrap();
        assert_eq!(csv_answer["accepted"], N);
        for i in 0..N {
            let (f, c) = (
                stored(&app, &code(i)).await,
                stored(&app, &code(N + i)).await,
            );
            assert_eq!(f, c, "sample {i}");
            let (result, ct) = result(i);
            assert_eq!(f, Some((result.to_string(), ct)), "sample {i}");
        }
        let proposals = app
            .store
            .case_proposals(vx_domain::epi::ProposalStatus::Proposed, 0, 10_000)
            .await
            .unwrap();
        let (mut from_fhir, mut from_csv) = (0, 0);
        for p in &proposals {
            let person = app.store.person(p.person_id).await.unwrap().unwrap();
            let id = person.data.citizen_id.unwrap();
            let i: usize = id.as_str()[6..].parse().unwrap();
            if i < N {
                from_fhir += 1
            } else {
                from_csv += 1
            }
        }
        assert_eq!((from_fhir, from_csv), (N / 10, N / 10));

        // the same Bundle again changes nothing; a different result is held for review
        let (_, _, again) = post(&app, &lab, &fhir).await;
        assert_eq!(
            statuses(&again)["200 OK"],
            again["entry"].as_array().unwrap().len()
        );
        let (got, _, answer) = post(
            &app,
            &lab,
            &bundle("transaction", entries(0, 0, "positive", None)),
        )
        .await;
        assert_eq!(got, StatusCode::OK, "{answer}");
        assert_eq!(answer["entry"][2]["response"]["status"], "409 Conflict");
        assert_eq!(
            stored(&app, "F-0000").await,
            Some(("negative".into(), None))
        );

        // a batch: each result on its own
        let mut bad = entries(1, 1, "negative", None);
        bad[1]["resource"]["accessionIdentifier"]["value"] = json!("X-405");
        let (got, _, answer) = post(
            &app,
            &lab,
            &bundle(
                "batch",
                [bad, entries(3, 3, "positive", Some(19.0))].concat(),
            ),
        )
        .await;
        assert_eq!(got, StatusCode::OK, "{answer}");
        assert_eq!(answer["type"], "batch-response");
        assert_eq!(
            answer["entry"][2]["response"]["status"],
            "422 Unprocessable Entity"
        );
        assert_eq!(
            answer["entry"][5]["response"]["status"], "200 OK",
            "{answer}"
        );
    })
    .await;
}

/// A person's tests read back as FHIR, for those who see the person.
#[tokio::test]
async fn a_persons_tests_read_as_patient_and_observations() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        samples(&app).await;
        let lab = app.token("xetnghiem").await;
        let (got, _, _) = post(
            &app,
            &lab,
            &bundle("transaction", entries(3, 3, "positive", Some(21.0))),
        )
        .await;
        assert_eq!(got, StatusCode::OK);
        let person = app
            .store
            .sample_by_code(&SampleCode::parse("F-0003").unwrap())
            .await
            .unwrap()
            .unwrap()
            .members[0];
        let commune = app.token("xa").await;
        let (status, patient) = app
            .api(
                &commune,
                Method::GET,
                &format!("/api/v1/fhir/Patient/{person}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{patient}");
        assert_eq!(patient["resourceType"], "Patient");
        assert_eq!(patient["identifier"][0]["value"], cccd(3));
        assert_eq!(patient["birthDate"], "1990");
        let (status, found) = app
            .api(
                &commune,
                Method::GET,
                &format!("/api/v1/fhir/Observation?subject=Patient/{person}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(found["type"], "searchset");
        assert_eq!(found["total"], 1);
        let obs = &found["entry"][0]["resource"];
        assert_eq!(obs["status"], "final");
        assert_eq!(obs["subject"]["reference"], format!("Patient/{person}"));
        assert_eq!(obs["specimen"]["identifier"]["value"], "F-0003");
        assert_eq!(
            obs["valueCodeableConcept"]["coding"][0]["code"],
            "260373001"
        );
        assert_eq!(obs["component"][0]["valueQuantity"]["value"], 21.0);
        // what is read back is a Bundle this endpoint takes: the Observation reads as a row
        let back = bundle(
            "collection",
            vec![
                json!({"fullUrl": format!("Patient/{person}"), "resource": patient}),
                json!({"resource": obs}),
            ],
        );
        let parsed = vx_exchange::fhir::read_lab_bundle(back.to_string().as_bytes()).unwrap();
        assert_eq!(parsed.rows[0].sample_code, "F-0003");
        assert_eq!(parsed.rows[0].ct, Some(21.0));
        // out of scope, or not a role that sees people: 404
        let other = app.seed.people["D"].id;
        for (token, path) in [
            (&commune, format!("/api/v1/fhir/Patient/{other}")),
            (
                &commune,
                format!("/api/v1/fhir/Observation?subject=Patient/{other}"),
            ),
            (&lab, format!("/api/v1/fhir/Patient/{person}")),
            (&commune, "/api/v1/fhir/Patient/abc".to_string()),
        ] {
            let (status, outcome) = app.api(token, Method::GET, &path, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {outcome}");
            assert_eq!(outcome["resourceType"], "OperationOutcome");
        }
        let (status, _) = app
            .api(&commune, Method::GET, "/api/v1/fhir/Observation", None)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}
