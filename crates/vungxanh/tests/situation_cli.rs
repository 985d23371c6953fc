//! The situation room's commands end to end on each backend: `import boundaries` (all or
//! nothing, features named) and `report daily` (XLSX and CSV).

use std::path::Path;

use assert_cmd::Command;
use vx_store::testing::test_stores;

fn vungxanh(db: &str) -> Command {
    let mut cmd = Command::cargo_bin("vungxanh").unwrap();
    cmd.env("DATABASE_URL", db).env("RUST_LOG", "warn");
    cmd
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

const UNITS: &str = "code,parent_code,level,type,name,full_name,population\n\
83,,province,tinh,Bến Tre,Tỉnh Bến Tre,1288463\n\
831,83,district,huyen,Châu Thành,Huyện Châu Thành,160000\n\
28846,831,commune,xa,Phước Thạnh,Xã Phước Thạnh,9876\n\
28804,831,commune,xa,Tân Thạch,Xã Tân Thạch,\n\
2884601,28846,hamlet,ap,Ấp 1,\"Ấp 1, Xã Phước Thạnh\",\n";

const BOUNDARIES: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"code":"28846"},"geometry":{"type":"Polygon","coordinates":[[[106.1,10.2],[106.2,10.2],[106.2,10.3],[106.1,10.2]]]}},
 {"type":"Feature","properties":{"code":"28804"},"geometry":{"type":"MultiPolygon","coordinates":[[[[106.2,10.2],[106.3,10.2],[106.3,10.3],[106.2,10.2]]]]}}]}"#;

const BOUNDARIES_BAD: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"code":"28846"},"geometry":{"type":"Polygon","coordinates":[[[106.1,10.2],[106.2,10.2],[106.2,10.3],[106.1,10.2]]]}},
 {"type":"Feature","properties":{"code":"99999"},"geometry":{"type":"Polygon","coordinates":[[[106.1,10.2],[106.2,10.2],[106.2,10.3],[106.1,10.2]]]}}]}"#;

#[test]
fn boundaries_import_and_daily_report_files() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stores = rt.block_on(test_stores());
    for ts in &stores {
        eprintln!("backend: {:?}", ts.backend());
        let db = ts.url.as_str();
        let dir = tempfile::tempdir().unwrap();
        let (ok, _, err) =
            run(vungxanh(db).args(["import", "units", &write(dir.path(), "units.csv", UNITS)]));
        assert!(ok, "{err}");

        // unknown code: the feature is named, nothing written
        let bad = write(dir.path(), "bad.geojson", BOUNDARIES_BAD);
        let (ok, _, err) = run(vungxanh(db).args(["import", "boundaries", &bad]));
        assert!(!ok);
        assert!(
            err.contains("feature 2, code: unknown unit \"99999\""),
            "{err}"
        );
        assert!(err.contains("nothing imported"), "{err}");
        let district = rt.block_on(ts.store.unit("831")).unwrap().unwrap();
        assert!(rt
            .block_on(ts.store.child_boundaries(&district))
            .unwrap()
            .is_empty());

        let good = write(dir.path(), "communes.geojson", BOUNDARIES);
        let (ok, out, err) = run(vungxanh(db).args(["import", "boundaries", "--schematic", &good]));
        assert!(ok, "{err}");
        assert!(out.contains("2 boundaries, 2 new, 0 replaced"), "{out}");
        let (_, out, _) = run(vungxanh(db).args(["import", "boundaries", &good]));
        assert!(out.contains("0 new, 2 replaced"), "{out}");
        let b = rt.block_on(ts.store.child_boundaries(&district)).unwrap();
        assert_eq!(b.len(), 2);

        let csv = dir.path().join("report.csv");
        let (ok, out, err) = run(vungxanh(db).args([
            "report",
            "daily",
            "--unit",
            "831",
            "--date",
            "2021-09-21",
            "--format",
            "csv",
            "-o",
            &csv.display().to_string(),
        ]));
        assert!(ok, "{err}");
        assert!(out.contains("3 units"), "{out}");
        let text = std::fs::read_to_string(&csv).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(text.contains("28846,Xã Phước Thạnh,0,0,0,0"), "{text}");
        let xlsx = dir.path().join("report.xlsx");
        let (ok, _, err) = run(vungxanh(db).args([
            "report",
            "daily",
            "--unit",
            "831",
            "--date",
            "2021-09-21",
            "-o",
            &xlsx.display().to_string(),
        ]));
        assert!(ok, "{err}");
        assert_eq!(&std::fs::read(&xlsx).unwrap()[..2], b"PK");
        let (ok, _, err) = run(vungxanh(db).args([
            "report",
            "daily",
            "--unit",
            "99999",
            "--date",
            "2021-09-21",
            "-o",
            "x.csv",
        ]));
        assert!(!ok && err.contains("unknown unit"), "{err}");
    }
}

/// What the stub DHIS2 server received: query, Authorization, Content-Type, body.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, String, String, String)>>>;

/// A stand-in for DHIS2's `POST /api/dataValueSets` on 127.0.0.1: it checks the payload
/// against the published shape and answers an import summary as DHIS2 2.38+ does (a
/// WebMessage); under `/conflict` it refuses one org unit as DHIS2 does (409, WARNING).
async fn stub_dhis2(received: Received) -> String {
    use axum::extract::{RawQuery, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    async fn import(
        State(received): State<Received>,
        axum::extract::Path(base): axum::extract::Path<String>,
        RawQuery(query): RawQuery,
        headers: HeaderMap,
        body: String,
    ) -> (StatusCode, String) {
        let header = |n: &str| {
            headers
                .get(n)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        received.lock().unwrap().push((
            query.unwrap_or_default(),
            header("authorization"),
            header("content-type"),
            body.clone(),
        ));
        let n = if header("content-type") == "application/json" {
            let doc: serde_json::Value = match serde_json::from_str(&body) {
                Ok(d) => d,
                Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()),
            };
            let problems = vx_exchange::check_data_value_set(&doc);
            if !problems.is_empty() {
                return (StatusCode::BAD_REQUEST, problems.join("; "));
            }
            doc["dataValues"].as_array().unwrap().len()
        } else {
            body.matches("<dataValue ").count()
        };
        if base == "conflict" {
            let summary = serde_json::json!({"httpStatus": "Conflict", "httpStatusCode": 409, "status": "WARNING",
                "response": {"responseType": "ImportSummary", "status": "WARNING",
                    "importCount": {"imported": n - 1, "updated": 0, "ignored": 1, "deleted": 0},
                    "conflicts": [{"object": "28804", "value": "Organisation unit not found or not accessible"}]}});
            return (StatusCode::CONFLICT, summary.to_string());
        }
        let summary = serde_json::json!({"httpStatus": "OK", "httpStatusCode": 200, "status": "OK",
            "response": {"responseType": "ImportSummary", "status": "SUCCESS",
                "importCount": {"imported": n, "updated": 0, "ignored": 0, "deleted": 0}, "conflicts": []}});
        (StatusCode::OK, summary.to_string())
    }
    let app = axum::Router::new()
        .route("/{base}/api/dataValueSets", post(import))
        .with_state(received);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

const MAPPING: &str = r#"data_set = "BT_COVID_WEEKLY"
org_units_default = "own-code"

[org_units]
"831" = "BT_CHAU_THANH"

[data_elements]
community_cases = "COVID_CASES_COMMUNITY"
population = "POPULATION"
"#;

/// `export dhis2` with a mapping: to a file, to a DHIS2 server (the stub checks the
/// payload; a conflict is an error naming it), and a mapping with mistakes named by line.
#[test]
fn dhis2_export_with_a_mapping_and_a_push() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stores = rt.block_on(test_stores());
    let received = Received::default();
    let server = rt.block_on(stub_dhis2(received.clone()));
    for ts in &stores {
        eprintln!("backend: {:?}", ts.backend());
        received.lock().unwrap().clear();
        let db = ts.url.as_str();
        let dir = tempfile::tempdir().unwrap();
        let (ok, _, err) =
            run(vungxanh(db).args(["import", "units", &write(dir.path(), "units.csv", UNITS)]));
        assert!(ok, "{err}");
        let mapping = write(dir.path(), "dhis2.toml", MAPPING);
        let export = |extra: &[&str]| {
            let mut cmd = vungxanh(db);
            cmd.args([
                "export",
                "dhis2",
                "--mapping",
                &mapping,
                "--unit",
                "831",
                "--period",
                "2021-09",
            ]);
            cmd.args(extra);
            cmd
        };
        let (ok, out, err) = run(&mut export(&[]));
        assert!(ok, "{err}");
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(doc["dataSet"], "BT_COVID_WEEKLY");
        assert_eq!(doc["period"], "202109");
        let pop: Vec<(&str, &str)> = doc["dataValues"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["dataElement"] == "POPULATION")
            .map(|v| (v["orgUnit"].as_str().unwrap(), v["value"].as_str().unwrap()))
            .collect();
        // Tân Thạch has no official population and no people: nothing to report
        assert_eq!(pop, [("BT_CHAU_THANH", "160000"), ("28846", "9876")]);

        // a push: the token as DHIS2's ApiToken, codes as identifiers, the stub's summary
        let (ok, out, err) = run(export(&["--push", &format!("{server}/dhis"), "--dry-run"])
            .env("DHIS2_TOKEN", "d2pat_test"));
        assert!(ok, "{err}");
        assert!(out.is_empty(), "{out}");
        assert!(
            err.contains("5 data values checked (dry run) to http://127.0.0.1:"),
            "{err}"
        );
        assert!(
            err.contains("5 imported, 0 updated, 0 ignored, 0 deleted"),
            "{err}"
        );
        {
            let got = received.lock().unwrap();
            let (query, auth, content_type, body) = &got[0];
            assert_eq!(auth, "ApiToken d2pat_test");
            assert_eq!(content_type, "application/json");
            for q in [
                "dataElementIdScheme=code",
                "orgUnitIdScheme=code",
                "idScheme=code",
                "dryRun=true",
            ] {
                assert!(query.contains(q), "{query}");
            }
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(body).unwrap(),
                doc
            );
        }
        // ADX, user and password
        let (ok, _, err) = run(export(&["--adx", "--push", &format!("{server}/dhis/")])
            .env("DHIS2_USERNAME", "admin")
            .env("DHIS2_PASSWORD", "district"));
        assert!(ok, "{err}");
        {
            let got = received.lock().unwrap();
            let (query, auth, content_type, body) = &got[1];
            assert_eq!(auth, "Basic YWRtaW46ZGlzdHJpY3Q=");
            assert_eq!(content_type, "application/adx+xml");
            assert!(query.contains("dryRun=false"), "{query}");
            assert!(body.contains("<group orgUnit=\"BT_CHAU_THANH\" period=\"2021-09-01/P1M\" dataSet=\"BT_COVID_WEEKLY\">"), "{body}");
        }
        // a conflict is an error that names it; no credentials: nothing sent
        let (ok, _, err) = run(
            export(&["--push", &format!("{server}/conflict")]).env("DHIS2_TOKEN", "d2pat_test")
        );
        assert!(!ok);
        assert!(
            err.contains("409 Conflict, WARNING: 4 imported, 0 updated, 1 ignored"),
            "{err}"
        );
        assert!(
            err.contains("conflicts: 28804: Organisation unit not found or not accessible"),
            "{err}"
        );
        let (ok, _, err) =
            run(export(&["--push", &format!("{server}/dhis")]).env_remove("DHIS2_TOKEN"));
        assert!(!ok);
        assert!(
            err.contains("not sent: give the server's credentials in DHIS2_TOKEN"),
            "{err}"
        );
        assert_eq!(received.lock().unwrap().len(), 3);
        let (ok, _, err) = run(&mut export(&["--push", "ftp://dhis2.example"]));
        assert!(
            !ok && err.contains("an http:// or https:// address"),
            "{err}"
        );

        // a mapping with mistakes: each named with file and line, nothing written
        let bad = write(
            dir.path(),
            "bad.toml",
            "[data_elements]\ncommunity_cases = \"A\"\nlevel_of_zone = \"B\"\n",
        );
        let (ok, out, err) = run(vungxanh(db).args([
            "export",
            "dhis2",
            "--mapping",
            &bad,
            "--unit",
            "831",
            "--period",
            "2021W37",
        ]));
        assert!(!ok && out.is_empty());
        assert!(
            err.contains(&format!(
                "{bad}:3: data_elements.level_of_zone: unknown indicator \"level_of_zone\""
            )),
            "{err}"
        );
        let (ok, _, err) =
            run(vungxanh(db).args(["export", "dhis2", "--unit", "831", "--period", "2021W60"]));
        assert!(!ok && err.contains("is not a period"), "{err}");
    }
}
