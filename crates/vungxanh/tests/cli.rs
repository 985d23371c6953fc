//! The command line, end to end: the binary against a fresh database on each backend.

use std::path::Path;

use assert_cmd::Command;
use vx_store::testing::test_stores;

fn vungxanh(db: &str) -> Command {
    let mut cmd = Command::cargo_bin("vungxanh").unwrap();
    cmd.env("DATABASE_URL", db).env("RUST_LOG", "warn");
    cmd
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "failed:\nstdout: {stdout}\nstderr: {stderr}"
    );
    stdout.into_owned()
}

fn run_err(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        !out.status.success(),
        "expected a failure: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

const HAMLETS: &str = "code,parent_code,level,type,name,full_name\n\
2884601,28846,hamlet,ap,Ấp 1,\"Ấp 1, Xã Phước Thạnh\"\n\
2884602,28846,hamlet,ap,Ấp 2,\"Ấp 2, Xã Phước Thạnh\"\n";

const HOUSEHOLDS: &str = "\u{feff}Mã hộ,Mã ấp,Chủ hộ,Địa chỉ,Hộ nghèo\n\
2884601-0001,2884601,Nguyễn Văn An,\"Số 1, Ấp 1\",x\n\
2884602-0001,2884602,Trần Thị Bé,\"Số 2, Ấp 2\",\n";

const PEOPLE_BAD: &str = "household_code,full_name,birth,sex,citizen_id,phone,relation\n\
2884601-0001,Nguyễn Văn An,1970-05-02,nam,083070001234,0912 345 678,chủ hộ\n\
2884601-0001,Lê Thị Hoa,31/02/1972,nữ,,,vợ\n\
2884602-0001,Trần Thị Bé,1990,nữ,12345,,chủ hộ\n\
2884609-0001,Ngô Văn Cường,1980,nam,,,chủ hộ\n";

const PEOPLE_GOOD: &str = "household_code,full_name,birth,sex,citizen_id,phone,relation\n\
2884601-0001,Nguyễn Văn An,1970-05-02,nam,083070001234,0912 345 678,chủ hộ\n\
2884601-0001,Lê Thị Hoa,28/02/1972,nữ,,,vợ\n\
2884602-0001,Trần Thị Bé,1990,nữ,083190004321,,chủ hộ\n";

#[test]
fn official_units_then_registry_imports_all_or_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stores = rt.block_on(test_stores());
    for ts in &stores {
        eprintln!("backend: {:?}", ts.backend());
        let db = ts.url.as_str();
        let dir = tempfile::tempdir().unwrap();
        let out = run_ok(vungxanh(db).args(["import", "units", "--builtin", "2021"]));
        assert!(out.contains("11367 rows — 11367 new"), "{out}");
        let counts = rt.block_on(ts.store.count_units()).unwrap();
        let counts: Vec<i64> = counts.iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [63, 705, 10_599]);
        let out = run_ok(vungxanh(db).args(["import", "units", "--builtin", "2021"]));
        assert!(out.contains("0 new, 0 changed, 11367 unchanged"), "{out}");

        run_ok(vungxanh(db).args([
            "import",
            "units",
            &write(dir.path(), "hamlets.csv", HAMLETS),
        ]));
        let out = run_ok(vungxanh(db).args([
            "import",
            "households",
            &write(dir.path(), "households.csv", HOUSEHOLDS),
        ]));
        assert!(out.contains("2 new"), "{out}");

        // Bad rows: every problem named by file, row and column; nothing imported.
        let bad = write(dir.path(), "people.csv", PEOPLE_BAD);
        let err = run_err(vungxanh(db).args(["import", "people", &bad]));
        for expected in [
            "people.csv: row 3, column birth",
            "people.csv: row 4, column citizen_id",
            "people.csv: row 5, column household_code",
            "3 of 4 rows refused; nothing was imported",
        ] {
            assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
        }
        let everyone = vx_store::PeopleQuery {
            within: "/".into(),
            limit: 10,
            ..Default::default()
        };
        assert!(rt.block_on(ts.store.people(&everyone)).unwrap().is_empty());

        // A dry run of the good file writes nothing either.
        let good = write(dir.path(), "people-fixed.csv", PEOPLE_GOOD);
        let out = run_ok(vungxanh(db).args(["import", "people", "--dry-run", &good]));
        assert!(out.contains("3 new") && out.contains("dry run"), "{out}");
        assert!(rt.block_on(ts.store.people(&everyone)).unwrap().is_empty());

        let out = run_ok(vungxanh(db).args(["import", "people", &good]));
        assert!(out.contains("3 rows — 3 new"), "{out}");
        let out = run_ok(vungxanh(db).args(["import", "people", &good]));
        assert!(out.contains("0 new, 0 changed, 3 unchanged"), "{out}");

        // Skipping bad rows writes the good ones and the rejects with their reasons.
        let rejects = dir.path().join("rejects.csv");
        let out = run_ok(vungxanh(db).args([
            "import",
            "people",
            "--skip-bad-rows",
            rejects.to_str().unwrap(),
            &bad,
        ]));
        assert!(out.contains("3 skipped"), "{out}");
        let text = std::fs::read_to_string(&rejects).unwrap();
        assert!(
            text.contains("Ngô Văn Cường") && text.contains("no household with code 2884609-0001"),
            "{text}"
        );
    }
}

#[test]
fn users_and_tokens() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ts = rt.block_on(vx_store::testing::sqlite_store());
    let db = ts.url.as_str();
    run_ok(vungxanh(db).args(["import", "units", "--builtin", "2021"]));
    let out = run_ok(vungxanh(db).args([
        "user",
        "add",
        "xa.phuocthanh",
        "--role",
        "commune",
        "--scope",
        "28846",
    ]));
    assert!(out.contains("password: "), "{out}");
    let err =
        run_err(vungxanh(db).args(["user", "add", "bad", "--role", "commune", "--scope", "831"]));
    assert!(err.contains("must be a commune"), "{err}");
    let out = run_ok(vungxanh(db).args(["token", "add", "xa.phuocthanh", "--name", "lab"]));
    assert!(out.lines().count() >= 2, "{out}");
    let out = run_ok(vungxanh(db).args(["user", "list"]));
    assert!(out.contains("xa.phuocthanh\tcommune\t28846"), "{out}");

    // Tokens are listed (never their secret) and revoked by id, once.
    let list = run_ok(vungxanh(db).args(["token", "list"]));
    let line = list.lines().find(|l| l.contains("\tlab\t")).expect(&list);
    assert!(
        line.ends_with("\tactive") && line.contains("\txa.phuocthanh\t"),
        "{list}"
    );
    assert!(!list.contains("vx_"), "{list}");
    let id = line.split('\t').next().unwrap();
    let out = run_ok(vungxanh(db).args(["token", "revoke", id]));
    assert!(out.contains(&format!("revoked API token {id}")), "{out}");
    let list = run_ok(vungxanh(db).args(["token", "list", "xa.phuocthanh"]));
    assert!(list.contains("\trevoked "), "{list}");
    let err = run_err(vungxanh(db).args(["token", "revoke", id]));
    assert!(err.contains("was revoked"), "{err}");
    let err = run_err(vungxanh(db).args(["token", "revoke", "999"]));
    assert!(err.contains("API token 999 not found"), "{err}");

    // A lost phone: end every sign-in of a user.
    let out = run_ok(vungxanh(db).args(["session", "revoke", "xa.phuocthanh"]));
    assert!(out.contains("ended 0 session(s) of xa.phuocthanh"), "{out}");
    let err = run_err(vungxanh(db).args(["session", "revoke", "nobody"]));
    assert!(err.contains("no user nobody"), "{err}");
}

#[test]
fn bad_database_urls_are_clear() {
    let err = run_err(vungxanh("mysql://x/y").arg("migrate"));
    assert!(err.contains("unknown database URL"), "{err}");
    let err = run_err(vungxanh("postgres://u:secret@127.0.0.1:1/x").arg("migrate"));
    assert!(
        err.contains("cannot open database") && !err.contains("secret"),
        "{err}"
    );
}

#[test]
fn demo_builds_once_and_reuses() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let args = ["demo", "--no-serve", "--data-dir", data.to_str().unwrap()];
    let out = run_ok(Command::cargo_bin("vungxanh").unwrap().args(args));
    assert!(out.contains("imported people.csv: 160000 rows"), "{out}");
    assert!(out.contains("huyen.chauthanh"), "{out}");
    // Zone status (issue 4): the district recognises Phước Thạnh first; the re-emergence opens a review.
    assert!(
        out.contains("green zones recognised: Phước Thạnh 09/09"),
        "{out}"
    );
    assert!(out.contains("1 accountability review(s) opened"), "{out}");
    assert!(
        out.contains("3 checkpoints,") && out.contains("food packages to"),
        "{out}"
    );

    // The outbreak: Phước Thạnh clean first, most communes clean by mid-September, one
    // commune re-emerging after 14 clean days, screening rounds with retests of positive pools.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = vx_store::Store::connect(&format!(
            "sqlite://{}",
            data.join("vungxanh.sqlite").display()
        ))
        .await
        .unwrap();
        let district = store.unit("831").await.unwrap().unwrap();
        let (from, to) = ("2021-08-01".parse().unwrap(), "2021-10-31".parse().unwrap());
        let mut last_case = Vec::new();
        let mut reemerged = 0;
        let mut total = (0, 0, 0);
        for commune in store.children(Some(&district.code)).await.unwrap() {
            let days = store
                .community_cases_by_day(&commune, from, to)
                .await
                .unwrap();
            let community: Vec<chrono::NaiveDate> =
                days.iter().filter(|d| d.1 > 0).map(|d| d.0).collect();
            for d in &days {
                total = (total.0 + d.1, total.1 + d.2, total.2 + d.3);
            }
            if community.windows(2).any(|w| (w[1] - w[0]).num_days() > 14) {
                reemerged += 1;
            }
            last_case.push((community.last().copied(), commune.code.to_string()));
        }
        last_case.sort();
        assert_eq!(
            last_case[0].1, "28846",
            "Phước Thạnh is clean first: {last_case:?}"
        );
        let mid_september: chrono::NaiveDate = "2021-09-15".parse().unwrap();
        let late = last_case
            .iter()
            .filter(|(d, _)| d.is_some_and(|d| d > mid_september))
            .count();
        assert!(
            late <= 4,
            "most communes have no community case after 15 Sep: {last_case:?}"
        );
        assert_eq!(
            reemerged, 1,
            "exactly one commune re-emerges: {last_case:?}"
        );
        assert!(
            total.0 >= 100 && total.1 > 0 && total.2 > 0,
            "cases by source: {total:?}"
        );
        let campaigns = store.campaigns().await.unwrap();
        assert_eq!(campaigns.len(), 1);
        let rounds = store.rounds(campaigns[0].id).await.unwrap();
        assert!(rounds.len() >= 3, "{rounds:?}");
        for round in &rounds {
            for row in store
                .coverage(round.id, &district)
                .await
                .unwrap()
                .iter()
                .skip(1)
            {
                assert!(
                    (85.0..=98.0).contains(&row.coverage_pct),
                    "round {} {row:?}",
                    round.id
                );
            }
        }
        // Issue 17: the demo's week 37 as DHIS2 data values (JSON and ADX) holds, per
        // commune, the dashboard's 7-day figures on the week's Sunday.
        let db = format!("sqlite://{}", data.join("vungxanh.sqlite").display());
        let json = run_ok(vungxanh(&db).args(["export", "dhis2", "--unit", "831", "--period", "2021W37"]));
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(vx_exchange::check_data_value_set(&doc), Vec::<String>::new());
        let value = |unit: &str, element: &str| -> Option<i64> {
            doc["dataValues"].as_array().unwrap().iter().find(|v| v["orgUnit"] == unit && v["dataElement"] == element)
                .map(|v| v["value"].as_str().unwrap().parse().unwrap())
        };
        let mut units = vec![district.clone()];
        units.extend(store.children(Some(&district.code)).await.unwrap());
        let sunday = "2021-09-19".parse().unwrap();
        let figures = store.figures(&district, &units, sunday).await.unwrap();
        let mut week_samples = 0;
        for d in vx_exchange::Period::parse("2021W37").unwrap().days() {
            week_samples += store.figures(&district, &units, d).await.unwrap()[0].samples_day;
        }
        assert!(figures[0].community_7d > 0 && week_samples > 0, "a week with cases and samples");
        for (u, f) in units.iter().zip(&figures) {
            let code = u.code.to_string();
            assert_eq!(value(&code, "VX_COMMUNITY_CASES"), Some(f.community_7d), "{code}");
            assert_eq!(value(&code, "VX_ALL_CASES"), Some(f.all_7d), "{code}");
            assert_eq!(value(&code, "VX_ISOLATING"), Some(f.isolating), "{code}");
            assert_eq!(value(&code, "VX_F1_FACILITY"), Some(f.f1_facility), "{code}");
        }
        assert_eq!(value("831", "VX_SAMPLES_TAKEN"), Some(week_samples));
        // Support handed in August: the households of every programme's distributions.
        let month = run_ok(vungxanh(&db).args(["export", "dhis2", "--unit", "831", "--period", "2021-08"]));
        let month: serde_json::Value = serde_json::from_str(&month).unwrap();
        let handed: i64 = month["dataValues"].as_array().unwrap().iter()
            .find(|v| v["orgUnit"] == "831" && v["dataElement"] == "VX_AID_HOUSEHOLDS")
            .map(|v| v["value"].as_str().unwrap().parse().unwrap()).unwrap();
        let mut september = 0;
        for g in store.programmes().await.unwrap() {
            september += store.distributions(g.id, &district).await.unwrap().iter()
                .filter(|d| d.distribution.handed_on.format("%Y-%m").to_string() == "2021-08").count() as i64;
        }
        assert!(september > 0, "the demo hands support in August");
        assert_eq!(handed, september);
        // Issue 14: candidate duplicates on the demo's 160,000 synthetic people (none is
        // a real duplicate): the rules must not flood the list.
        let out = run_ok(vungxanh(&db).args(["review", "duplicates", "list", "--unit", "831"]));
        let pairs: usize = out
            .lines()
            .find_map(|l| l.split(" candidate pairs").next().filter(|_| l.contains(" candidate pairs")))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{out}"));
        assert!(pairs <= 5, "{pairs} candidate pairs among 160,000 people: {out}");
        let adx_file = dir.path().join("week.adx.xml");
        run_ok(vungxanh(&db).args(["export", "dhis2", "--unit", "831", "--period", "2021W37", "--adx", "--out", adx_file.to_str().unwrap()]));
        let adx = std::fs::read_to_string(&adx_file).unwrap();
        assert!(adx.contains("<adx xmlns=\"urn:ihe:qrph:adx:2015\""), "{adx}");
        assert_eq!(adx.matches("<group orgUnit=").count(), units.len());
        assert_eq!(adx.matches("<dataValue ").count(), doc["dataValues"].as_array().unwrap().len());
        assert!(adx.contains(&format!("<group orgUnit=\"831\" period=\"2021-09-13/P7D\" dataSet=\"VX_COVID\">\n    <dataValue dataElement=\"VX_COMMUNITY_CASES\" value=\"{}\"/>", figures[0].community_7d)), "{adx}");
        store.close().await;
    });
    let out = run_ok(Command::cargo_bin("vungxanh").unwrap().args(args));
    assert!(out.contains("reusing the demo database"), "{out}");
}

#[test]
fn rules_check_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let builtin = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../vx-rules/rules/qd-4800.toml"
    );
    let out = run_ok(
        Command::cargo_bin("vungxanh")
            .unwrap()
            .args(["rules", "check", builtin]),
    );
    assert!(out.contains("ok") && out.contains("qd-4800"), "{out}");
    let text = std::fs::read_to_string(builtin).unwrap();
    assert!(text.contains("cases_per_100k = [20, 50, 150]"));
    let bad = write(
        dir.path(),
        "bad.toml",
        &text.replace(
            "cases_per_100k = [20, 50, 150]",
            "cases_per_100k = [50, 20, 150]",
        ),
    );
    let err = run_err(
        Command::cargo_bin("vungxanh")
            .unwrap()
            .args(["rules", "check", &bad]),
    );
    let line = 1 + text
        .lines()
        .position(|l| l.starts_with("cases_per_100k = "))
        .unwrap();
    assert!(
        err.contains(&format!("bad.toml:{line}:"))
            && err.contains("matrix.cases_per_100k")
            && err.contains("ascending"),
        "{err}"
    );
}

/// The benchmark suite at its smallest scale, so that its code cannot rot: every part runs
/// (registry, round, classification beside SQL, HTTP under load when `wrk` is installed,
/// national from daily counts) and prints its figures beside their baselines. Nothing about
/// speed is asserted.
#[test]
fn bench_suite_smoke_run() {
    let postgres = std::env::var("VX_TEST_POSTGRES").ok();
    let postgres_required = std::env::var("VX_REQUIRE_POSTGRES").is_ok();
    let wrk = std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok();
    let mut cmd = vungxanh("sqlite://unused");
    cmd.args([
        "bench",
        "suite",
        "--scale",
        "commune",
        "--national-days",
        "2",
    ])
    .args(["--http-seconds", if wrk { "1" } else { "0" }]);
    match (&postgres, postgres_required) {
        (Some(url), _) => {
            cmd.args(["--postgres", url]);
        }
        (None, true) => panic!("VX_REQUIRE_POSTGRES is set but VX_TEST_POSTGRES is not"),
        (None, false) => {
            cmd.arg("--no-postgres");
        }
    }
    let out = run_ok(&mut cmd);
    let has = |needle: &str| {
        assert!(out.contains(needle), "no {needle:?} in:\n{out}");
    };
    let backends: &[&str] = if postgres.is_some() {
        &["SQLite", "PostgreSQL"]
    } else {
        &["SQLite"]
    };
    for b in backends {
        // Each import line carries its baseline and ratio: 7 cells.
        for step in [
            "people: import",
            "round: samples import",
            "round: results import",
        ] {
            let line = out
                .lines()
                .find(|l| l.starts_with(&format!("| {b} | {step}")))
                .unwrap_or_else(|| panic!("no {b} {step} line in:\n{out}"));
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            assert!(
                cells[6].parse::<f64>().is_ok() && cells[7].parse::<f64>().is_ok(),
                "no baseline or ratio in {line}"
            );
        }
        has(&format!(
            "| {b} | classify: Phước Thạnh (7 units), 1 day, from the store | 7 |"
        ));
        has(&format!(
            "| {b} | classify: Phước Thạnh, 90 days, computed and stored | 630 |"
        ));
        if wrk {
            has(&format!("| {b} | `/healthz` |"));
            has(&format!(
                "| {b} | `/api/v1/units/28846/status?date=2021-10-15` |"
            ));
        }
    }
    has("| memory | classify: national, 1 day, from daily counts |");
    has("| memory | classify: national, 2 days, from daily counts |");
}

/// `gen` writes every file of its scale, and the same seed gives the same bytes.
#[test]
fn gen_is_deterministic_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        run_ok(vungxanh("sqlite://unused").args([
            "gen",
            "--scale",
            "commune",
            "--seed",
            "7",
            "--out",
            &out.display().to_string(),
        ]));
    }
    for (file, header) in [
        (
            "units.csv",
            "code,parent_code,level,type,name,full_name,population",
        ),
        ("households.csv", "household_code,unit_code,"),
        (
            "people.csv",
            "household_code,full_name,birth,sex,citizen_id,phone,relation",
        ),
        (
            "vaccinations.csv",
            "citizen_id,household_code,full_name,birth,dose,date",
        ),
        (
            "samples.csv",
            "sample_code,method,pooled,high_risk,collected_at,",
        ),
        ("results.csv", "sample_code,result,ct,tested_at"),
    ] {
        let x = std::fs::read(a.join(file)).unwrap();
        assert_eq!(x, std::fs::read(b.join(file)).unwrap(), "{file} differs");
        let text = String::from_utf8(x).unwrap();
        assert!(text.starts_with(header), "{file}: {}", &text[..80]);
        assert!(text.lines().count() > 5, "{file} is nearly empty");
    }
}

const TWO_COMMUNES: &str = "code,parent_code,level,type,name,full_name\n\
83,,province,tinh,Bến Tre,Tỉnh Bến Tre\n\
831,83,district,huyen,Châu Thành,Huyện Châu Thành\n\
28846,831,commune,xa,Phước Thạnh,Xã Phước Thạnh\n\
28804,831,commune,xa,Tân Thạch,Xã Tân Thạch\n\
2884601,28846,hamlet,ap,Ấp 1,\"Ấp 1, Xã Phước Thạnh\"\n\
2880401,28804,hamlet,ap,Ấp 1,\"Ấp 1, Xã Tân Thạch\"\n";

const TWO_HOUSEHOLDS: &str = "household_code,unit_code,head_name,phone\n\
2884601-0001,2884601,Phan Văn Vĩnh,0912345678\n\
2880401-0059,2880401,Lê Văn Khác,\n";

/// Phước Thạnh's file, with phones and relations.
const PHUOC_THANH_PEOPLE: &str = "household_code,full_name,birth,sex,citizen_id,phone,relation\n\
2884601-0001,Phan Văn Vĩnh,1958-10-03,nam,083058250640,0912345678,chủ hộ\n\
2884601-0001,Nguyễn Thị Hạnh,1961-02-14,nữ,083161000777,0987654321,vợ\n";

/// Tân Thạch's file: Vĩnh's CCCD on Lê Văn Khác's row, and Khác's wife.
const TAN_THACH_PEOPLE: &str = "household_code,full_name,birth,sex,citizen_id\n\
2880401-0059,Lê Văn Khác,1958,nam,083058250640\n\
2880401-0059,Lê Thị Lan,1960,nữ,\n";

/// Phước Thạnh again, with fewer columns and a bare year for Vĩnh.
const PHUOC_THANH_SHORT: &str = "household_code,full_name,birth,sex\n\
2884601-0001,Phan Văn Vĩnh,1958,nam\n\
2884601-0001,Nguyễn Thị Hạnh,1961-02-14,nữ\n";

#[test]
fn a_second_communes_file_collides_and_the_review_settles_it() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stores = rt.block_on(test_stores());
    for ts in &stores {
        eprintln!("backend: {:?}", ts.backend());
        let db = ts.url.as_str();
        let dir = tempfile::tempdir().unwrap();
        run_ok(vungxanh(db).args([
            "import",
            "units",
            &write(dir.path(), "units.csv", TWO_COMMUNES),
        ]));
        run_ok(vungxanh(db).args([
            "import",
            "households",
            &write(dir.path(), "households.csv", TWO_HOUSEHOLDS),
        ]));
        let out = run_ok(vungxanh(db).args([
            "import",
            "people",
            &write(dir.path(), "phuoc-thanh.csv", PHUOC_THANH_PEOPLE),
        ]));
        assert!(out.contains("2 rows — 2 new"), "{out}");
        run_ok(vungxanh(db).args([
            "user",
            "add",
            "xa.tanthach",
            "--role",
            "commune",
            "--scope",
            "28804",
        ]));

        // Tân Thạch's file: one row held, the other imported; not an error.
        let tan_thach = write(dir.path(), "tan-thach.csv", TAN_THACH_PEOPLE);
        let out =
            run_ok(vungxanh(db).args(["import", "people", "--user", "xa.tanthach", &tan_thach]));
        assert!(
            out.contains(
                "tan-thach.csv: row 2, column citizen_id: 083058250640 already belongs to \
                 Phan Văn Vĩnh (2884601-0001); held for review"
            ),
            "{out}"
        );
        assert!(
            out.contains("2 rows — 1 new, 0 changed, 0 unchanged, 1 held, 0 skipped"),
            "{out}"
        );

        let out = run_ok(vungxanh(db).args(["review", "identity", "list", "--unit", "28804"]));
        assert!(out.contains("#1 identity · tan-thach.csv row 2"), "{out}");
        assert!(
            out.contains("stored:   Phan Văn Vĩnh · 1958-10-03"),
            "{out}"
        );
        assert!(out.contains("the row:  Lê Văn Khác · 1958"), "{out}");
        let err = run_err(vungxanh(db).args([
            "review",
            "identity",
            "settle",
            "1",
            "--reject",
            "--note",
            "wrong row",
            "--user",
            "xa.tanthach",
        ]));
        assert!(err.contains("scope covers both"), "{err}");
        let out = run_ok(vungxanh(db).args([
            "review",
            "identity",
            "settle",
            "1",
            "--reject",
            "--note",
            "wrong row",
        ]));
        assert!(out.contains("identity review #1: rejected"), "{out}");
        let out = run_ok(vungxanh(db).args(["review", "identity", "list"]));
        assert!(out.contains("0 open rows"), "{out}");

        // Phước Thạnh's shorter file keeps phones, relations, citizen IDs and the date.
        let short = write(dir.path(), "phuoc-thanh-short.csv", PHUOC_THANH_SHORT);
        let out = run_ok(vungxanh(db).args(["import", "people", &short]));
        assert!(out.contains("0 new, 0 changed, 2 unchanged"), "{out}");
        assert!(
            out.contains(
                "columns not in the file keep their stored values (citizen_id, phone, relation)"
            ),
            "{out}"
        );
        let everyone = vx_store::PeopleQuery {
            within: "/".into(),
            limit: 10,
            ..Default::default()
        };
        let people = rt.block_on(ts.store.people(&everyone)).unwrap();
        assert_eq!(people.len(), 3);
        let vinh = people
            .iter()
            .find(|p| p.data.full_name.as_str() == "Phan Văn Vĩnh")
            .unwrap();
        assert_eq!(vinh.data.birth.to_string(), "1958-10-03");
        assert_eq!(vinh.data.phone.as_ref().unwrap().as_str(), "+84912345678");
        assert_eq!(vinh.data.relation, vx_domain::Relation::Head);
    }
}

#[test]
fn long_refusals_are_capped_and_totals_rows_skipped() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ts = rt.block_on(vx_store::testing::sqlite_store());
    let db = ts.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    run_ok(vungxanh(db).args([
        "import",
        "units",
        &write(dir.path(), "units.csv", TWO_COMMUNES),
    ]));
    run_ok(vungxanh(db).args([
        "import",
        "households",
        &write(dir.path(), "households.csv", TWO_HOUSEHOLDS),
    ]));
    // 250 rows in a household nobody registered: 200 printed, the rest counted.
    let mut text = String::from("household_code,full_name,birth,sex\n");
    for i in 0..250 {
        text.push_str(&format!("9999999-{i:04},Lê Văn An,1980,nam\n"));
    }
    let bad = write(dir.path(), "many.csv", &text);
    let err = run_err(vungxanh(db).args(["import", "people", &bad]));
    let printed = err
        .lines()
        .filter(|l| l.starts_with(&format!("{bad}: row ")))
        .count();
    assert_eq!(printed, 200, "{err}");
    assert!(err.contains(&format!("{bad}: … and 50 more")), "{err}");
    assert!(err.contains("250 of 250 rows refused"), "{err}");
    let rejects = dir.path().join("rejects.csv");
    run_ok(vungxanh(db).args([
        "import",
        "people",
        "--skip-bad-rows",
        rejects.to_str().unwrap(),
        &bad,
    ]));
    let kept = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(kept.matches("no household with code").count(), 250);

    // An official template's totals row is skipped, with one line saying so.
    let with_totals = write(
        dir.path(),
        "mau.csv",
        "Mã hộ,Họ và tên,Năm sinh,Giới tính\n\
         2884601-0001,Phan Văn Vĩnh,1958,nam\n\
         Tổng cộng: 1,,,\n",
    );
    let out = run_ok(vungxanh(db).args(["import", "people", &with_totals]));
    assert!(
        out.contains(&format!(
            "{with_totals}: row 3: totals row \"Tổng cộng: 1\" skipped"
        )),
        "{out}"
    );
    assert!(out.contains("1 rows — 1 new"), "{out}");
}

/// Two households of Ấp 1 list the same woman (the second without her CCCD, with her
/// birth date's day and month swapped).
const DUPLICATE_HOUSEHOLDS: &str = "household_code,unit_code,head_name\n\
2884601-0001,2884601,Phan Văn Vĩnh\n\
2884601-0002,2884601,Trần Văn Tư\n";

const DUPLICATE_PEOPLE: &str = "household_code,full_name,birth,sex,citizen_id,phone\n\
2884601-0001,Nguyễn Thị Hạnh,1961-02-04,nữ,083161000777,\n\
2884601-0002,Nguyen Thi Hanh,1961-04-02,nữ,,0987654321\n\
2884601-0002,Trần Văn Tư,1960,nam,,\n";

/// `review duplicates`: the pair listed with its reason, merged (the kept person takes the
/// phone), the merge undone; on both backends.
#[test]
fn a_duplicate_is_listed_merged_and_undone() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stores = rt.block_on(test_stores());
    for ts in &stores {
        eprintln!("backend: {:?}", ts.backend());
        let db = ts.url.as_str();
        let dir = tempfile::tempdir().unwrap();
        for (what, name, text) in [
            ("units", "units.csv", TWO_COMMUNES),
            ("households", "households.csv", DUPLICATE_HOUSEHOLDS),
            ("people", "people.csv", DUPLICATE_PEOPLE),
        ] {
            run_ok(vungxanh(db).args(["import", what, &write(dir.path(), name, text)]));
        }
        let out = run_ok(vungxanh(db).args(["review", "duplicates", "list", "--unit", "28846"]));
        assert!(
            out.contains(": same name in one hamlet, birth dates with day and month swapped"),
            "{out}"
        );
        assert!(out.contains("1 candidate pairs in 28846"), "{out}");
        let ids: Vec<i64> = out
            .lines()
            .next()
            .unwrap()
            .split(':')
            .next()
            .unwrap()
            .split(" + ")
            .map(|s| s.trim().parse().unwrap())
            .collect();
        let (kept, merged) = (ids[0].to_string(), ids[1].to_string());
        let err = run_err(vungxanh(db).args([
            "review",
            "duplicates",
            "merge",
            &kept,
            &merged,
            "--note",
            " ",
        ]));
        assert!(err.contains("--note: say why"), "{err}");
        let out = run_ok(vungxanh(db).args([
            "review",
            "duplicates",
            "merge",
            &kept,
            &merged,
            "--note",
            "cùng một người",
        ]));
        assert!(
            out.contains(&format!(
                "#{merged} into #{kept}: moved nothing to move; #{kept} took phone"
            )),
            "{out}"
        );
        let merge_id = out
            .split("undo with: vungxanh review duplicates undo ")
            .nth(1)
            .unwrap()
            .trim()
            .to_string();
        let out = run_ok(vungxanh(db).args(["review", "duplicates", "list", "--unit", "28846"]));
        assert!(out.contains("0 candidate pairs"), "{out}");
        assert!(
            out.contains(&format!("merge #{merge_id}: #{merged} into #{kept}")),
            "{out}"
        );
        let out = run_ok(vungxanh(db).args(["review", "duplicates", "undo", &merge_id]));
        assert!(out.contains("are two people again"), "{out}");
        let err = run_err(vungxanh(db).args(["review", "duplicates", "undo", &merge_id]));
        assert!(err.contains("already undone"), "{err}");
        let out = run_ok(vungxanh(db).args([
            "review",
            "duplicates",
            "dismiss",
            &kept,
            &merged,
            "--note",
            "hai chị em",
        ]));
        assert!(out.contains("not suggested again"), "{out}");
        let out = run_ok(vungxanh(db).args(["review", "duplicates", "list", "--unit", "28846"]));
        assert!(out.contains("0 candidate pairs"), "{out}");
    }
}
