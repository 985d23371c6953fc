//! Exchange with DHIS2 (issue 17): a unit's week, day or month as `dataValueSets` JSON
//! and ADX, in DHIS2's published shapes, with the values the dashboards show.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use quick_xml::events::Event;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

use super::situation::situation;
use super::*;

const PATH: &str = "/api/v1/exchange/dhis2/dataValueSets";

/// The API routes of this part, for main.rs's OpenAPI check; their scope is tested below.
pub(crate) const API_ROUTES: &[(&str, &str)] = &[("get", PATH)];

/// (orgUnit, dataElement) → value of a `dataValueSets` document.
fn values(doc: &Value) -> BTreeMap<(String, String), String> {
    doc["dataValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                (
                    v["orgUnit"].as_str().unwrap().to_string(),
                    v["dataElement"].as_str().unwrap().to_string(),
                ),
                v["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Reads an ADX message as the IHE QRPH ADX profile shapes it (an `adx` root in its
/// namespace with `exported`; `group`s with `orgUnit`, `period` as start/duration and
/// `dataSet`; `dataValue`s with `dataElement` and a numeric `value`) and returns its values
/// with the groups' periods. Panics naming what is out of shape.
fn read_adx(xml: &str) -> (BTreeMap<(String, String), String>, Vec<String>) {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut out = BTreeMap::new();
    let mut periods = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut org_unit = String::new();
    loop {
        let event = reader.read_event().unwrap();
        let (element, empty) = match &event {
            Event::Start(e) => (e.clone(), false),
            Event::Empty(e) => (e.clone(), true),
            Event::End(_) => {
                path.pop();
                continue;
            }
            Event::Eof => break,
            Event::Decl(_) => continue,
            other => panic!("unexpected {other:?}"),
        };
        let name = element.name().0.to_string();
        let attrs: BTreeMap<String, String> = element
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    a.key.0.to_string(),
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap()
                        .into_owned(),
                )
            })
            .collect();
        match (path.len(), name.as_str()) {
            (0, "adx") => {
                assert_eq!(attrs["xmlns"], "urn:ihe:qrph:adx:2015");
                assert!(attrs["exported"].ends_with('Z'), "{attrs:?}");
            }
            (1, "group") => {
                let pe = &attrs["period"];
                let (start, duration) = pe.split_once('/').unwrap();
                assert!(start.parse::<NaiveDate>().is_ok(), "{pe}");
                assert!(["P1D", "P7D", "P1M"].contains(&duration), "{pe}");
                assert!(!attrs["dataSet"].is_empty());
                org_unit = attrs["orgUnit"].clone();
                periods.push(pe.clone());
            }
            (2, "dataValue") => {
                let value = &attrs["value"];
                assert!(value.parse::<f64>().is_ok(), "{value}");
                let old = out.insert(
                    (org_unit.clone(), attrs["dataElement"].clone()),
                    value.clone(),
                );
                assert!(old.is_none(), "a value twice: {attrs:?}");
            }
            (depth, other) => panic!("<{other}> at depth {depth}"),
        }
        if !empty {
            path.push(name);
        }
    }
    (out, periods)
}

/// The week of the seeded situation, as JSON and ADX: DHIS2's shapes, the same values in
/// both, and each equal to the dashboard's figure for the same unit and days.
#[tokio::test]
async fn a_week_as_data_values_equals_the_dashboard() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        situation(&app).await;
        let token = app.token("huyen").await;
        let (status, doc) = app
            .api(
                &token,
                Method::GET,
                &format!("{PATH}?unit=831&period=2021W37"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{doc}");
        assert_eq!(
            vx_exchange::check_data_value_set(&doc),
            Vec::<String>::new()
        );
        assert_eq!(doc["period"], "2021W37");
        assert_eq!(doc["dataSet"], "VX_COVID");
        let json = values(&doc);

        // the dashboard on the week's last day: 7-day windows are the week
        let district = app.store.unit("831").await.unwrap().unwrap();
        let mut units = vec![district.clone()];
        units.extend(app.store.children(Some(&district.code)).await.unwrap());
        let sunday: NaiveDate = "2021-09-19".parse().unwrap();
        let dashboard = app.store.figures(&district, &units, sunday).await.unwrap();
        let mut samples = vec![(0, 0); units.len()];
        for d in Period::parse("2021W37").unwrap().days() {
            for (s, f) in samples
                .iter_mut()
                .zip(app.store.figures(&district, &units, d).await.unwrap())
            {
                *s = (s.0 + f.samples_day, s.1 + f.positives_day);
            }
        }
        for ((u, f), s) in units.iter().zip(&dashboard).zip(&samples) {
            let get = |e: &str| json.get(&(u.code.to_string(), e.to_string())).cloned();
            let n = |v: i64| Some(v.to_string());
            assert_eq!(get("VX_COMMUNITY_CASES"), n(f.community_7d), "{}", u.code);
            assert_eq!(get("VX_ALL_CASES"), n(f.all_7d), "{}", u.code);
            assert_eq!(get("VX_ISOLATING"), n(f.isolating), "{}", u.code);
            assert_eq!(get("VX_F1_HOME"), n(f.f1_home), "{}", u.code);
            assert_eq!(get("VX_F2"), n(f.f2), "{}", u.code);
            assert_eq!(get("VX_SAMPLES_TAKEN"), n(s.0), "{}", u.code);
            assert_eq!(get("VX_SAMPLES_POSITIVE"), n(s.1), "{}", u.code);
            assert_eq!(get("VX_POPULATION"), f.population.map(|p| p.to_string()));
        }
        // what the situation seeded: 3 community cases in Phước Thạnh, 2 in quarantine in
        // Tân Thạch, 5 in the district; levels as classified
        let get = |u: &str, e: &str| json[&(u.to_string(), e.to_string())].clone();
        assert_eq!(get("28846", "VX_COMMUNITY_CASES"), "3");
        assert_eq!(get("28804", "VX_QUARANTINE_CASES"), "2");
        assert_eq!(get("831", "VX_ALL_CASES"), "5");
        let levels = app
            .store
            .level_numbers(&district, sunday, sunday, true)
            .await
            .unwrap();
        for u in &units {
            let stored = levels.iter().find(|l| l.0 == u.id).map(|l| l.2.to_string());
            assert_eq!(
                json.get(&(u.code.to_string(), "VX_LEVEL".into())),
                stored.as_ref()
            );
        }

        // ADX: the same values, one group per unit, the week as start/P7D
        let r = Client::new()
            .get(app.url(&format!("{PATH}?unit=831&period=2021-W37")))
            .bearer_auth(&token)
            .header("Accept", "application/adx+xml")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "application/adx+xml");
        let (adx, periods) = read_adx(&r.text().await.unwrap());
        assert_eq!(adx, json);
        assert_eq!(periods, vec!["2021-09-13/P7D"; units.len()]);

        // a day and a month: the same cases
        for (period, want) in [
            ("2021-09-14", "3"),
            ("20210914", "3"),
            ("2021-09", "3"),
            ("2021-09-13", "0"),
        ] {
            let (status, doc) = app
                .api(
                    &token,
                    Method::GET,
                    &format!("{PATH}?unit=28846&period={period}"),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{period}: {doc}");
            assert!(vx_exchange::check_data_value_set(&doc).is_empty());
            assert_eq!(
                values(&doc)[&("28846".to_string(), "VX_COMMUNITY_CASES".to_string())],
                want,
                "{period}"
            );
        }
    })
    .await;
}

/// Scope as everywhere; unit and period named when missing or not understood.
#[tokio::test]
async fn exchange_scope_and_bad_queries() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let commune = app.token("xa").await;
        for (query, status) in [
            ("unit=28846&period=2021W37", StatusCode::OK),
            ("unit=831&period=2021W37", StatusCode::NOT_FOUND),
            ("unit=842&period=2021W37", StatusCode::NOT_FOUND),
            ("unit=28846", StatusCode::UNPROCESSABLE_ENTITY),
            ("period=2021W37", StatusCode::UNPROCESSABLE_ENTITY),
            (
                "unit=28846&period=2021W54",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "unit=28846&period=15-09-2021",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        ] {
            let (got, body) = app
                .api(&commune, Method::GET, &format!("{PATH}?{query}"), None)
                .await;
            assert_eq!(got, status, "{query}: {body}");
            if status == StatusCode::UNPROCESSABLE_ENTITY {
                let field = body["field"].as_str().unwrap_or_default();
                assert!(["unit", "period"].contains(&field), "{query}: {body}");
            }
        }
        // the commune's own values and its hamlets', not its neighbour's
        let (_, doc) = app
            .api(
                &commune,
                Method::GET,
                &format!("{PATH}?unit=28846&period=2021W37"),
                None,
            )
            .await;
        let units: std::collections::BTreeSet<String> =
            values(&doc).into_keys().map(|(u, _)| u).collect();
        assert_eq!(
            units.into_iter().collect::<Vec<_>>(),
            ["28846", "2884601", "2884602"]
        );
        let r = Client::new()
            .get(app.url(&format!("{PATH}?unit=28846&period=2021W37")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        // listed in the OpenAPI document
        let (_, api) = app
            .api(&commune, Method::GET, "/api/v1/openapi.json", None)
            .await;
        let op = &api["paths"][PATH]["get"];
        for status in ["200", "400", "401", "404", "422"] {
            assert!(op["responses"][status].is_object(), "{status} undocumented");
        }
        let required: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["required"] == true)
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(required, ["unit", "period"]);
    })
    .await;
}

use vx_exchange::Period;
