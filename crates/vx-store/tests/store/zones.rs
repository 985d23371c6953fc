//! Zone status on both backends (issue 4).

use chrono::NaiveDate;
use vx_domain::{Birth, HouseholdCode, PersonName, Sex, UnitLevel};
use vx_rules::{Level as Zone, Method};
use vx_store::{DosePerson, ImportOptions, NewDose, Store, StoreError};

use crate::{actor, each_backend, household, located, person, seed_units, unit};

mod life;

pub(crate) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Community cases straight into the per-unit daily aggregate kept by case confirmation.
pub(crate) async fn community_cases(store: &Store, code: &str, day: &str, n: i64) {
    let u = store.unit(code).await.unwrap().unwrap();
    store
        .debug_execute(&format!(
            "INSERT INTO case_day_counts (unit_id, day, community, in_quarantine, imported) \
             VALUES ({}, '{day}', {n}, 0, 0)",
            u.id
        ))
        .await
        .unwrap();
}

/// A community case with unknown source (no source contact), recorded as case confirmation
/// does: a row in `cases` and one in the daily aggregate.
pub(crate) async fn unknown_source_case(store: &Store, code: &str, day: &str, n: u32) {
    let hh = format!("U{code}{n}");
    store
        .create_household(&actor(), &household(&hh, code, "Lê Văn Ca"))
        .await
        .unwrap();
    let p = store
        .create_person(&actor(), &person(&hh, "Lê Văn Ca", "1980", Sex::Male, None))
        .await
        .unwrap();
    let u = store.unit(code).await.unwrap().unwrap();
    store
        .debug_execute(&format!(
            "INSERT INTO cases (person_id, unit_id, confirmed_on, source, severity, place, \
             isolation_start, release_due, chain_path, created_at) VALUES ({}, {}, '{day}', \
             'community', 'mild', 'home', '{day}', '{day}', '/', '2021-09-01T00:00:00Z')",
            p.id, u.id
        ))
        .await
        .unwrap();
    community_cases(store, code, day, 1).await;
}

/// The test units and household H1 in hamlet 2884601 (Phước Thạnh, Ấp 1).
async fn seed_units_and_household_h1(s: &Store) {
    seed_units(s).await;
    s.create_household(&actor(), &household("H1", "2884601", "Nguyễn Văn An"))
        .await
        .unwrap();
}

#[tokio::test]
async fn builtin_rule_sets_are_stored_once() {
    each_backend(|ts| async move {
        let s = &ts.store;
        let sets = s.rule_sets().await.unwrap();
        let ids: Vec<&str> = sets.iter().map(|r| r.id.as_str()).collect();
        assert!(
            ids.contains(&"qd-2686") && ids.contains(&"qd-4800"),
            "{ids:?}"
        );
        let again = s.rule_sets().await.unwrap();
        assert_eq!(sets.len(), again.len());
        // a changed text under the same version is a conflict
        let text = vx_rules::builtin_text("qd-4800")
            .unwrap()
            .replace("first_dose_18plus_pct = 70", "first_dose_18plus_pct = 75");
        let err = s
            .save_rule_set(&actor(), &text, "x.toml")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        let bad = s
            .save_rule_set(&actor(), "id = 3", "bad.toml")
            .await
            .unwrap_err();
        assert!(bad.to_string().contains("bad.toml:1"), "{bad}");
    })
    .await;
}

#[tokio::test]
async fn indicators_match_hand_computed_values() {
    each_backend(|ts| async move {
        let s = &ts.store;
        seed_units_and_household_h1(s).await;
        // ages on 2021-10-14: 71, 55, 30, 10
        for (name, birth, id) in [
            ("Nguyễn Văn An", "1950-01-01", "080050000001"),
            ("Trần Thị Bình", "1966-05-05", "080066000002"),
            ("Nguyễn Văn Cường", "1991-03-03", "080091000003"),
            ("Nguyễn Thị Dung", "2011-02-02", "080011000004"),
        ] {
            s.create_person(&actor(), &person("H1", name, birth, Sex::Male, Some(id)))
                .await
                .unwrap();
        }
        let dose = |id: &str, n: u32, day: &str| NewDose {
            person: DosePerson::CitizenId(vx_domain::CitizenId::parse(id).unwrap()),
            dose: n,
            day: d(day),
        };
        let rows = located(vec![
            dose("080050000001", 1, "2021-08-01"),
            dose("080050000001", 2, "2021-09-01"),
            dose("080066000002", 1, "2021-10-20"),
        ]);
        let opts = ImportOptions {
            file_name: "v.csv".into(),
            ..ImportOptions::default()
        };
        let sum = s
            .import_vaccinations(&actor(), rows.clone(), &opts)
            .await
            .unwrap();
        assert_eq!((sum.created, sum.unchanged), (3, 0));
        let sum = s.import_vaccinations(&actor(), rows, &opts).await.unwrap();
        assert_eq!((sum.created, sum.unchanged), (0, 3), "idempotent");
        let by_household = located(vec![NewDose {
            person: DosePerson::Household {
                household_code: HouseholdCode::parse("H1").unwrap(),
                full_name: PersonName::parse("Nguyễn Văn Ghost").unwrap(),
                birth: Birth::parse("1990", d("2021-09-01")).unwrap(),
            },
            dose: 1,
            day: d("2021-09-01"),
        }]);
        let err = s
            .import_vaccinations(&actor(), by_household, &opts)
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Rows(ref p) if p[0].row == 2),
            "{err:?}"
        );

        community_cases(s, "2884601", "2021-10-01", 2).await;
        community_cases(s, "2884602", "2021-10-10", 1).await;
        community_cases(s, "2880401", "2021-10-13", 3).await;
        // Decision 218's inputs: two cases found in quarantine in Ấp 1 on 12-10, one of them
        // severe, who died on 13-10 (every case counts, community or not).
        let ap1 = s.unit("2884601").await.unwrap().unwrap();
        s.debug_execute(&format!(
            "INSERT INTO case_day_counts (unit_id, day, community, in_quarantine, imported) \
             VALUES ({}, '2021-10-12', 0, 2, 0)",
            ap1.id
        ))
        .await
        .unwrap();
        s.debug_execute(&format!(
            "INSERT INTO cases (person_id, unit_id, confirmed_on, source, severity, place, \
             isolation_start, release_due, outcome, outcome_on, chain_path, created_at) \
             SELECT id, {}, '2021-10-12', 'in-quarantine', 'severe', 'hospital', '2021-10-12', \
             '2021-10-26', 'died', '2021-10-13', '/', '2021-10-12T00:00:00Z' FROM people \
             WHERE full_name = 'Trần Thị Bình'",
            ap1.id
        ))
        .await
        .unwrap();
        let district = s.unit("831").await.unwrap().unwrap();
        let batch = s
            .zone_batch(&district, d("2021-10-14"), d("2021-10-14"))
            .await
            .unwrap();
        let at = |code: &str| {
            let i = batch
                .units
                .iter()
                .position(|u| u.code.as_str() == code)
                .unwrap();
            batch.days[0][i]
        };
        let pt = at("28846");
        assert_eq!(pt.community_cases_7d, Some(1));
        assert_eq!(pt.community_cases_14d, Some(3));
        assert_eq!(pt.days_since_last_community_case, Some(4));
        assert_eq!(pt.population, Some(4));
        // 18+: 3 people, one with a dose by 14-10 → 33.3%
        assert!((pt.first_dose_18plus_pct.unwrap() - 100.0 / 3.0).abs() < 1e-9);
        // 50+: 2 people, 1 fully → 50% fully vaccinated; 65+: 1 person, fully → 100%
        assert_eq!(pt.fully_vaccinated_50plus_pct, Some(50.0));
        assert_eq!(pt.fully_vaccinated_65plus_pct, Some(100.0));
        // Decision 218: every case of 7 days (1 community + 2 in quarantine), the severe one,
        // the death; 1 of 4 people fully vaccinated.
        assert_eq!(
            (pt.all_cases_7d, pt.oxygen_cases_7d, pt.deaths_7d),
            (Some(3), Some(1), Some(1))
        );
        assert_eq!(pt.fully_vaccinated_pct, Some(25.0));
        assert_eq!(pt.response_capacity, None, "no capacity flag");
        let dist = at("831");
        assert_eq!(dist.community_cases_7d, Some(4));
        assert_eq!(dist.community_cases_14d, Some(6));
        assert_eq!(dist.days_since_last_community_case, Some(1));
        let tt = at("28804");
        assert_eq!(tt.days_since_last_community_case, Some(1));
        assert_eq!(tt.first_dose_18plus_pct, None, "no people: unknown");
        // hamlets are not rolled up into communes; communes into the district
        let ix = |code: &str| {
            batch
                .units
                .iter()
                .position(|u| u.code.as_str() == code)
                .unwrap() as u32
        };
        assert_eq!(batch.parents[ix("2884601") as usize], None);
        assert_eq!(batch.parents[ix("28846") as usize], Some(ix("831")));
    })
    .await;
}

#[tokio::test]
async fn hand_made_2686_district_roll_up_is_stored_and_reproducible() {
    each_backend(|ts| async move {
        let s = &ts.store;
        // A district of four communes: A borders B, B borders C.
        let rows = vec![
            unit("83", None, UnitLevel::Province, "Bến Tre"),
            unit("831", Some("83"), UnitLevel::District, "Châu Thành"),
            unit("10001", Some("831"), UnitLevel::Commune, "A"),
            unit("10002", Some("831"), UnitLevel::Commune, "B"),
            unit("10003", Some("831"), UnitLevel::Commune, "C"),
            unit("10004", Some("831"), UnitLevel::Commune, "D"),
        ];
        s.import_units(&actor(), located(rows), None, &ImportOptions::default())
            .await
            .unwrap();
        let adj = vec![
            ("10001".to_string(), "10002".to_string()),
            ("10003".to_string(), "10002".to_string()),
        ];
        let sum = s.import_adjacency(&actor(), "adj.csv", &adj).await.unwrap();
        assert_eq!(sum.created, 2);
        let sum = s.import_adjacency(&actor(), "adj.csv", &adj).await.unwrap();
        assert_eq!((sum.created, sum.unchanged), (0, 2), "idempotent");
        assert_eq!(s.neighbours("10002").await.unwrap(), vec!["10001", "10003"]);
        let bad = vec![("10001".to_string(), "99999".to_string())];
        assert!(matches!(
            s.import_adjacency(&actor(), "adj.csv", &bad).await,
            Err(StoreError::Rows(_))
        ));

        // A: an unknown-source community case on 2021-09-01 → orange; B borders it → yellow;
        // C borders only B (yellow) → green; D none → green (no case on record).
        unknown_source_case(s, "10001", "2021-09-01", 1).await;
        let district = s.unit("831").await.unwrap().unwrap();
        let day = d("2021-09-02");
        let sum = s.classify(&actor(), &district, day, day).await.unwrap();
        assert_eq!((sum.units, sum.days, sum.stored), (5, 1, 5));
        let level = |code: &'static str| async move {
            let u = s.unit(code).await.unwrap().unwrap();
            s.zone_status(&u, day).await.unwrap().unwrap()
        };
        let a = level("10001").await;
        assert_eq!(a.rule_set_id, "qd-2686");
        assert_eq!(a.outcome.level, Zone::Orange);
        assert!(a.outcome.reasons.iter().any(|r| r.decided && r.met));
        assert_eq!(level("10002").await.outcome.level, Zone::Yellow);
        assert_eq!(level("10003").await.outcome.level, Zone::Green);
        assert_eq!(level("10004").await.outcome.level, Zone::Green);
        // 1 of 4 orange (25% < 30%), 2 of 4 yellow or higher (50%) → orange
        let dist = level("831").await;
        assert_eq!(dist.outcome.method, Method::Rollup);
        assert_eq!(dist.outcome.level, Zone::Orange);
        // a second commune orange → 50% orange+ → red
        unknown_source_case(s, "10004", "2021-09-02", 2).await;
        s.classify(&actor(), &district, day, day).await.unwrap();
        assert_eq!(level("10004").await.outcome.level, Zone::Orange);
        assert_eq!(level("831").await.outcome.level, Zone::Red);
        // reproducible: same data, same stored rows
        let first = s.zone_levels(&district, day, day).await.unwrap();
        s.classify(&actor(), &district, day, day).await.unwrap();
        let second = s.zone_levels(&district, day, day).await.unwrap();
        assert_eq!(
            serde_json::to_string(&first.iter().map(|z| z.outcome).collect::<Vec<_>>()).unwrap(),
            serde_json::to_string(&second.iter().map(|z| z.outcome).collect::<Vec<_>>()).unwrap()
        );
    })
    .await;
}

#[tokio::test]
async fn rule_sets_side_by_side_are_each_set_run_alone() {
    each_backend(|ts| async move {
        let s = &ts.store;
        let rows = vec![
            unit("83", None, UnitLevel::Province, "Bến Tre"),
            unit("831", Some("83"), UnitLevel::District, "Châu Thành"),
            unit("10001", Some("831"), UnitLevel::Commune, "A"),
            unit("10002", Some("831"), UnitLevel::Commune, "B"),
        ];
        s.import_units(&actor(), located(rows), None, &ImportOptions::default())
            .await
            .unwrap();
        // A: an unknown-source case on 1-10 (2686: orange for 14 days; 4800 and 218 by rate).
        unknown_source_case(s, "10001", "2021-10-01", 1).await;
        let district = s.unit("831").await.unwrap().unwrap();
        let (from, to) = (d("2021-09-30"), d("2021-10-20"));
        let sets: Vec<_> = ["qd-2686", "qd-4800", "qd-218"]
            .map(|id| vx_rules::builtin(id).unwrap())
            .into();
        let c = s
            .compare_rule_sets(&district, from, to, sets.clone())
            .await
            .unwrap();
        assert_eq!((c.units.len(), c.days(), c.rule_sets.len()), (3, 21, 3));
        let a = c
            .units
            .iter()
            .position(|u| u.code.as_str() == "10001")
            .unwrap();
        // Each column is what the sandbox gives for that set alone.
        for (k, rs) in sets.into_iter().enumerate() {
            let alone = s
                .compute_levels(&district, from, to, Some(rs))
                .await
                .unwrap();
            for (day, levels) in alone.days.iter().enumerate() {
                for (i, o) in levels.iter().enumerate() {
                    assert_eq!(o.map(|(_, o)| o.level), Some(c.outcomes[k][day][i].level));
                }
            }
            assert_eq!(c.days_at(k, a).iter().sum::<u32>(), 21);
        }
        // 2686 keeps A orange after its unknown-source case; before it, every set says green.
        assert_eq!(c.outcomes[0][2][a].level, Zone::Orange);
        assert!((0..3).all(|s| c.outcomes[s][0][a].level == Zone::Green));
        assert!(c.disagreements() > 0);
    })
    .await;
}

#[tokio::test]
async fn qd_4800_unit_at_73_5_with_98_pct_one_dose_is_level_2() {
    each_backend(|ts| async move {
        let s = &ts.store;
        let mut c = unit("28846", Some("831"), UnitLevel::Commune, "Phước Thạnh");
        c.population = Some(100_000);
        let rows = vec![
            unit("83", None, UnitLevel::Province, "Bến Tre"),
            unit("831", Some("83"), UnitLevel::District, "Châu Thành"),
            c,
        ];
        s.import_units(&actor(), located(rows), None, &ImportOptions::default())
            .await
            .unwrap();
        s.create_household(&actor(), &household("H1", "28846", "Nguyễn Văn An"))
            .await
            .unwrap();
        let mut doses = Vec::new();
        for i in 0..50 {
            let id = format!("0800800{i:05}");
            s.create_person(
                &actor(),
                &person(
                    "H1",
                    &format!(
                        "Người Số {}",
                        ["An", "Bình", "Cường", "Dung", "Em"][i % 5].repeat(1 + i / 5)
                    ),
                    "1980-01-01",
                    Sex::Female,
                    Some(&id),
                ),
            )
            .await
            .unwrap();
            if i < 49 {
                doses.push(NewDose {
                    person: DosePerson::CitizenId(vx_domain::CitizenId::parse(&id).unwrap()),
                    dose: 1,
                    day: d("2021-09-01"),
                });
            }
        }
        s.import_vaccinations(&actor(), located(doses), &ImportOptions::default())
            .await
            .unwrap();
        // 147 community cases in 14 days: halved, 73.5 per 100,000 per week.
        for k in 0..7 {
            community_cases(s, "28846", &format!("2021-10-{:02}", 8 + 2 * k), 21).await;
        }
        let u = s.unit("28846").await.unwrap().unwrap();
        let day = d("2021-10-21");
        s.classify(&actor(), &u, day, day).await.unwrap();
        let z = s.zone_status(&u, day).await.unwrap().unwrap();
        assert_eq!(z.rule_set_id, "qd-4800");
        assert_eq!(z.outcome.level, Zone::Yellow, "{:?}", z.outcome.reasons);
        assert_eq!(z.outcome.level.number(), 2);
        let rs = s
            .rule_set_version("qd-4800", z.rule_set_version)
            .await
            .unwrap()
            .unwrap();
        let text = vx_rules::render::explain(&rs, &z.outcome, vx_rules::render::Lang::Vi);
        assert!(text.contains("73,5"), "{text}");
        assert!(text.contains("98%"), "{text}");
    })
    .await;
}

#[tokio::test]
async fn incremental_reclassification_touches_only_the_affected_district() {
    each_backend(|ts| async move {
        let s = &ts.store;
        let rows = vec![
            unit("83", None, UnitLevel::Province, "Bến Tre"),
            unit("831", Some("83"), UnitLevel::District, "Châu Thành"),
            unit("832", Some("83"), UnitLevel::District, "Chợ Lách"),
            unit("10001", Some("831"), UnitLevel::Commune, "A"),
            unit("20001", Some("832"), UnitLevel::Commune, "B"),
        ];
        s.import_units(&actor(), located(rows), None, &ImportOptions::default())
            .await
            .unwrap();
        let province = s.unit("83").await.unwrap().unwrap();
        let (from, to) = (d("2021-09-01"), d("2021-09-10"));
        s.classify(&actor(), &province, from, to).await.unwrap();
        unknown_source_case(s, "10001", "2021-09-05", 1).await;
        let a = s.unit("10001").await.unwrap().unwrap();
        let sum = s
            .reclassify_affected(&actor(), &a, d("2021-09-05"))
            .await
            .unwrap();
        assert_eq!(
            (sum.units, sum.days),
            (3, 6),
            "district 831 and commune A, and the province's own row, 5..=10"
        );
        assert_eq!(
            s.zone_status(&a, d("2021-09-05"))
                .await
                .unwrap()
                .unwrap()
                .outcome
                .level,
            Zone::Orange
        );
        assert_eq!(
            s.zone_status(&a, d("2021-09-04"))
                .await
                .unwrap()
                .unwrap()
                .outcome
                .level,
            Zone::Green
        );
        let b = s.unit("20001").await.unwrap().unwrap();
        assert_eq!(
            s.zone_status(&b, d("2021-09-05"))
                .await
                .unwrap()
                .unwrap()
                .outcome
                .level,
            Zone::Green
        );
    })
    .await;
}

#[tokio::test]
async fn a_later_assignment_applies_to_the_subtree() {
    each_backend(|ts| async move {
        let s = &ts.store;
        seed_units(s).await;
        let pt = s.unit("28846").await.unwrap().unwrap();
        let gz = vx_rules::builtin_ids()
            .find(|i| i.contains("green"))
            .unwrap();
        s.assign_rule_set(&actor(), &pt, gz, d("2021-09-09"))
            .await
            .unwrap();
        assert!(s
            .assign_rule_set(&actor(), &pt, "nope", d("2021-09-09"))
            .await
            .is_err());
        let district = s.unit("831").await.unwrap().unwrap();
        let (a, b) = (d("2021-09-08"), d("2021-09-09"));
        s.classify(&actor(), &district, a, b).await.unwrap();
        let h = s.unit("2884601").await.unwrap().unwrap();
        assert_eq!(
            s.zone_status(&pt, a).await.unwrap().unwrap().rule_set_id,
            "qd-2686"
        );
        assert_eq!(
            s.zone_status(&pt, b).await.unwrap().unwrap().rule_set_id,
            gz
        );
        assert_eq!(s.zone_status(&h, b).await.unwrap().unwrap().rule_set_id, gz);
        let tt = s.unit("28804").await.unwrap().unwrap();
        assert_eq!(
            s.zone_status(&tt, b).await.unwrap().unwrap().rule_set_id,
            "qd-2686"
        );
    })
    .await;
}

/// Age on `day` as the indicators count it: whole years from the birth date, or from the
/// birth year alone when that is all the registry has.
fn age_by_hand(birth: &str, day: NaiveDate) -> i64 {
    use chrono::Datelike;
    if birth.len() == 4 {
        return i64::from(day.year()) - birth.parse::<i64>().unwrap();
    }
    let b = d(birth);
    let mut a = i64::from(day.year() - b.year());
    if (day.month(), day.day()) < (b.month(), b.day()) {
        a -= 1;
    }
    a
}

/// The vaccination shares of a hamlet, counted person by person on every day of several
/// windows (one day, 90 days, a 29 February birthday, sixteen years), agree with the
/// grouped computation, which only tells apart the birth dates and dose days the window
/// can tell apart.
#[tokio::test]
async fn vaccination_shares_agree_with_each_person_counted_by_hand() {
    use chrono::{Days, Months};
    each_backend(|ts| async move {
        let s = &ts.store;
        seed_units_and_household_h1(s).await;
        // Birthdays of 18, 50 and 65 around the edges of 1 September – 29 November 2021.
        let mut births: Vec<String> = Vec::new();
        for age in [18u32, 50, 65] {
            for day in [
                "2021-08-31",
                "2021-09-01",
                "2021-09-02",
                "2021-10-15",
                "2021-11-28",
                "2021-11-29",
                "2021-11-30",
            ] {
                let b = d(day).checked_sub_months(Months::new(12 * age)).unwrap();
                births.push(b.to_string());
            }
        }
        births.extend(
            [
                "2004-02-29",
                "2004-03-01",
                "2004-02-28",
                "1956",
                "2003",
                "1971",
                "1940-06-30",
            ]
            .map(String::from),
        );
        let dose_days = [
            None,
            Some("2021-07-01"),
            Some("2021-09-01"),
            Some("2021-10-14"),
            Some("2021-11-29"),
            Some("2022-03-01"),
        ];
        let mut people: Vec<(String, Option<NaiveDate>, Option<NaiveDate>)> = Vec::new();
        let mut doses = Vec::new();
        for (i, birth) in births.iter().enumerate() {
            let year: u32 = birth[..4].parse().unwrap();
            let id = format!(
                "080{}{:02}{:06}",
                if year < 2000 { 0 } else { 2 },
                year % 100,
                i + 1
            );
            let name = format!(
                "Nguyễn Văn {}",
                ["An", "Bình", "Cường", "Dũng", "Em", "Giang"][i % 6]
            );
            let name = format!(
                "{name} {}",
                ["Hai", "Ba", "Tư", "Năm", "Sáu", "Bảy", "Tám", "Chín"][i / 6]
            );
            s.create_person(&actor(), &person("H1", &name, birth, Sex::Male, Some(&id)))
                .await
                .unwrap();
            let d1 = dose_days[i % 6].map(d);
            let d2 = d1.filter(|_| i % 3 != 1).map(|x| x + Days::new(28));
            for (n, day) in [(1, d1), (2, d2)] {
                if let Some(day) = day {
                    doses.push(NewDose {
                        person: DosePerson::CitizenId(vx_domain::CitizenId::parse(&id).unwrap()),
                        dose: n,
                        day,
                    });
                }
            }
            people.push((birth.clone(), d1, d2));
        }
        s.import_vaccinations(&actor(), located(doses), &ImportOptions::default())
            .await
            .unwrap();
        let hamlet = s.unit("2884601").await.unwrap().unwrap();
        for (from, to) in [
            ("2021-10-14", "2021-10-14"),
            ("2021-09-01", "2021-11-29"),
            ("2022-02-27", "2022-03-02"),
            ("2021-01-01", "2037-01-01"),
        ] {
            let (from, to) = (d(from), d(to));
            let batch = s.zone_batch(&hamlet, from, to).await.unwrap();
            let i = batch.units.iter().position(|u| u.id == hamlet.id).unwrap();
            for (k, day) in from.iter_days().take_while(|x| *x <= to).enumerate() {
                let got = batch.days[k][i];
                let (mut n18, mut dosed, mut n50, mut full50, mut n65, mut full65) =
                    (0, 0, 0, 0, 0, 0);
                for (birth, d1, d2) in &people {
                    let age = age_by_hand(birth, day);
                    let has = |x: &Option<NaiveDate>| x.is_some_and(|x| x <= day);
                    if age >= 18 {
                        n18 += 1;
                        dosed += i32::from(has(d1) || has(d2));
                    }
                    if age >= 50 {
                        n50 += 1;
                        full50 += i32::from(has(d2));
                    }
                    if age >= 65 {
                        n65 += 1;
                        full65 += i32::from(has(d2));
                    }
                }
                let pct = |a: i32, b: i32| (b > 0).then(|| f64::from(a) * 100.0 / f64::from(b));
                let want = (pct(dosed, n18), pct(full50, n50), pct(full65, n65));
                let have = (
                    got.first_dose_18plus_pct,
                    got.fully_vaccinated_50plus_pct,
                    got.fully_vaccinated_65plus_pct,
                );
                assert_eq!(have, want, "{day} in {from}..={to}");
            }
        }
    })
    .await;
}
