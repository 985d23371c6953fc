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
