//! vx-exchange from the outside: periods as DHIS2 and ADX name them, mapping files with
//! their errors, and the payloads against DHIS2's published shapes.

use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use vx_exchange::{
    adx, check_data_value_set, data_value_set, parse_mapping, ImportSummary, Indicator, Mapping,
    Period, PeriodFigures,
};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// `input` parses to a period from `start` to `end`, named `dhis2` and `adx`.
fn check(input: &str, start: &str, end: &str, dhis2: &str, adx: &str) {
    let p = Period::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
    assert_eq!(
        (p.start(), p.end(), p.dhis2(), p.adx()),
        (day(start), day(end), dhis2.to_string(), adx.to_string()),
        "{input}"
    );
    assert_eq!(
        p.days().count() as i64,
        (day(end) - day(start)).num_days() + 1
    );
}

#[test]
fn periods() {
    check(
        "2021-09-12",
        "2021-09-12",
        "2021-09-12",
        "20210912",
        "2021-09-12/P1D",
    );
    check(
        "20210912",
        "2021-09-12",
        "2021-09-12",
        "20210912",
        "2021-09-12/P1D",
    );
    // ISO weeks start on Monday; week 1 of 2021 starts on 4 January, 2020W53 exists
    check(
        "2021W37",
        "2021-09-13",
        "2021-09-19",
        "2021W37",
        "2021-09-13/P7D",
    );
    check(
        "2021-W37",
        "2021-09-13",
        "2021-09-19",
        "2021W37",
        "2021-09-13/P7D",
    );
    check(
        "2021W1",
        "2021-01-04",
        "2021-01-10",
        "2021W1",
        "2021-01-04/P7D",
    );
    check(
        "2020W53",
        "2020-12-28",
        "2021-01-03",
        "2020W53",
        "2020-12-28/P7D",
    );
    check(
        "2021-09",
        "2021-09-01",
        "2021-09-30",
        "202109",
        "2021-09-01/P1M",
    );
    check(
        "202102",
        "2021-02-01",
        "2021-02-28",
        "202102",
        "2021-02-01/P1M",
    );
    check(
        "2024-02",
        "2024-02-01",
        "2024-02-29",
        "202402",
        "2024-02-01/P1M",
    );
    for bad in [
        "",
        "2021",
        "2021W54",
        "2021W0",
        "2021-13",
        "2021-02-30",
        "12-09-2021",
        "2021-9-1",
        "W37",
        "1899-01",
        "2021W37x",
        "２０２１-09",
        "2021-09-12T00:00",
    ] {
        let e = Period::parse(bad).unwrap_err().to_string();
        assert!(e.contains("is not a period"), "{bad}: {e}");
    }
    assert_eq!(Period::week_of(day("2021-09-19")).to_string(), "2021W37");
    assert_eq!(Period::week_of(day("2021-01-03")).to_string(), "2020W53");
}

proptest! {
    /// Every day, week and month reads back from both its names, and a week holds its days.
    #[test]
    fn periods_round_trip(days in 0u32..40_000) {
        let d = day("1950-01-01") + chrono::Days::new(u64::from(days));
        for p in [Period::Day(d), Period::week_of(d), Period::parse(&d.format("%Y-%m").to_string()).unwrap()] {
            prop_assert_eq!(Period::parse(&p.to_string()).unwrap(), p);
            prop_assert_eq!(Period::parse(&p.dhis2()).unwrap(), p);
            prop_assert!(p.start() <= d && d <= p.end());
            prop_assert!(vx_exchange::is_dhis2_period(&p.dhis2()));
        }
    }
}

const MAPPING: &str = r#"
data_set = "VX_COVID_W"
attribute_option_combo = "HllvX50cXC0"
org_units_default = "listed"

[org_units]
"831" = "BT_CHAU_THANH"
"28846" = "BT_CT_PHUOC_THANH"

[data_elements]
community_cases = { code = "COVID_CASES", category_option_combo = "SRC_COMMUNITY", adx = { SOURCE = "COMMUNITY" } }
quarantine_cases = { code = "COVID_CASES", category_option_combo = "SRC_QUARANTINE", adx = { SOURCE = "QUARANTINE" } }
samples_taken = "COVID_SAMPLES"
screening_coverage_pct = "COVID_SCREEN_COV"
level = "COVID_LEVEL"
"#;

fn figures() -> Vec<PeriodFigures> {
    let f = |code: &str, community, quarantine, samples, coverage, level| PeriodFigures {
        unit_code: code.to_string(),
        community_cases: community,
        quarantine_cases: quarantine,
        samples_taken: samples,
        screening_coverage_pct: coverage,
        level,
        ..Default::default()
    };
    vec![
        f("831", 12, 3, 4210, Some(91.25), Some(3)),
        f("28846", 0, 1, 380, Some(96.0), Some(1)),
        f("28804", 5, 0, 120, None, None), // not listed: not exported
    ]
}

#[test]
fn a_mapped_week_as_data_values_and_adx() {
    let mapping = parse_mapping("dhis2.toml", MAPPING).unwrap();
    let week = Period::parse("2021W37").unwrap();
    let set = data_value_set(&mapping, week, &figures());
    let json = serde_json::to_value(&set).unwrap();
    assert_eq!(check_data_value_set(&json), Vec::<String>::new());
    insta::assert_json_snapshot!("week_data_values", json);
    let xml = adx(
        &set,
        week,
        Utc.with_ymd_and_hms(2021, 9, 20, 1, 0, 0).unwrap(),
    )
    .unwrap();
    insta::assert_snapshot!("week_adx", xml);
    // ADX needs a data set
    let mut no_set = set.clone();
    no_set.data_set = None;
    assert!(adx(&no_set, week, Utc::now()).is_err());
}

#[test]
fn the_identity_mapping_names_every_indicator_and_unit() {
    let mapping = Mapping::identity("VX_COVID");
    assert_eq!(mapping.elements.len(), Indicator::ALL.len());
    let set = data_value_set(&mapping, Period::parse("2021-09-12").unwrap(), &figures());
    let units: std::collections::BTreeSet<&str> = set
        .data_values
        .iter()
        .map(|v| v.org_unit.as_str())
        .collect();
    assert_eq!(
        units.into_iter().collect::<Vec<_>>(),
        ["28804", "28846", "831"]
    );
    // a level not assessed and a coverage without a round are not reported
    assert!(!set.data_values.iter().any(|v| v.org_unit == "28804"
        && (v.data_element == "VX_LEVEL" || v.data_element == "VX_SCREENING_COVERAGE_PCT")));
    let all = set
        .data_values
        .iter()
        .find(|v| v.org_unit == "831" && v.data_element == "VX_ALL_CASES")
        .unwrap();
    assert_eq!(all.value, "15");
    assert!(check_data_value_set(&serde_json::to_value(&set).unwrap()).is_empty());
}

#[test]
fn mapping_errors_name_file_line_and_field() {
    let bad = r#"data_set = 7
org_units_default = "some"
colour = "green"

[org_units]
"831" = "BT_CHAU_THANH"
"28846" = "BT_CHAU_THANH"
"83/1" = "X"
"28804" = ""

[data_elements]
community_cases = "COVID_CASES"
comunity_cases = "X"
samples_taken = { code = "COVID_CASES" }
level = { cod = "L" }
f2 = { code = "<F2>", adx = { value = "A", "9x" = "B" } }
isolating = "ISO_ISOLATING_WITH_A_CODE_THAT_IS_FAR_LONGER_THAN_FIFTY"
"#;
    let e = parse_mapping("dhis2.toml", bad).unwrap_err();
    insta::assert_snapshot!("mapping_errors", e.to_string());
    // TOML syntax: the line of the mistake
    let e = parse_mapping(
        "m.toml",
        "[data_elements]\ncommunity_cases = \"A\"\nlevel = \n",
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("m.toml:3: "), "{e}");
    let e = parse_mapping("m.toml", "data_set = \"X\"\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "m.toml:1: data_elements: is required: which indicator is which data element"
    );
    let huge = "#".repeat(vx_exchange::MAX_MAPPING_BYTES + 1);
    assert!(parse_mapping("m.toml", &huge)
        .unwrap_err()
        .to_string()
        .contains("larger than 1024 KiB"));
}

#[test]
fn the_shape_check_finds_what_dhis2_refuses() {
    let doc = serde_json::json!({
        "dataSet": "X", "period": "2021W37", "colour": 1,
        "dataValues": [
            {"dataElement": "A", "period": "2021W37", "orgUnit": "831", "value": "3"},
            {"dataElement": "A", "period": "2021-09", "orgUnit": "831", "value": 3},
            {"dataElement": "", "period": "2021W37", "value": "x", "categoryOptionCombo": 1, "extra": true},
            "no",
        ]
    });
    insta::assert_debug_snapshot!("shape_problems", check_data_value_set(&doc));
    assert_eq!(
        check_data_value_set(&serde_json::json!([])),
        ["the document is not a JSON object"]
    );
}

#[test]
fn import_summaries_bare_and_in_a_web_message() {
    let bare = r#"{"responseType":"ImportSummary","status":"SUCCESS","importCount":{"imported":3,"updated":1,"ignored":0,"deleted":0},"conflicts":[]}"#;
    let s = ImportSummary::from_answer(bare).unwrap();
    assert!(s.is_clean());
    assert_eq!((s.import_count.imported, s.import_count.updated), (3, 1));
    let wrapped = r#"{"httpStatus":"Conflict","httpStatusCode":409,"status":"WARNING","message":"One more conflicts encountered","response":{"responseType":"ImportSummary","status":"WARNING","importCount":{"imported":2,"updated":0,"ignored":1,"deleted":0},"conflicts":[{"object":"BT_X","value":"Org unit not found or not accessible"}]}}"#;
    let s = ImportSummary::from_answer(wrapped).unwrap();
    assert!(!s.is_clean());
    assert_eq!(s.conflicts[0].object, "BT_X");
    assert_eq!(ImportSummary::from_answer("<html>502</html>"), None);
    assert_eq!(ImportSummary::from_answer(r#"{"status":"OK"}"#), None);
}
