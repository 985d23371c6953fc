//! The demo's zone status (issue 4), after the outbreak is loaded: the heads of Châu Thành's
//! communes (synthetic names), Phước Thạnh's own green-zone regulation (the pilot: the template
//! with 85% screening coverage) assigned from 9 September, the district's levels from 1 August
//! to 31 October 2021, the
//! district's target (the new normal by 21 September 2021), and the green-zone lifecycle
//! replayed day by day — the district recognises each commune as it becomes a candidate
//! (Phước Thạnh first), and the re-emergence breaks a recognised zone and opens an
//! accountability review naming the heads in office that day.

use crate::progress::Step;
use anyhow::{Context, Result};
use chrono::NaiveDate;
use vx_store::rules::targets::Target;
use vx_store::rules::zone::StateName;
use vx_store::rules::Level;
use vx_store::{Actor, NewHead, Store};

const DISTRICT: &str = "831";
const DISTRICT_USER: &str = "huyen.chauthanh";
const DISTRICT_BODY: &str = "UBND huyện Châu Thành";
const PILOT: &str = "28846";

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// Synthetic names for the heads, drawn by position (never real people).
const FAMILY: [&str; 10] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
];
const MIDDLE: [&str; 6] = ["Văn", "Thị", "Minh", "Thanh", "Hữu", "Ngọc"];
const GIVEN: [&str; 12] = [
    "An", "Bình", "Cường", "Dũng", "Hạnh", "Khoa", "Lan", "Mai", "Nam", "Phúc", "Quang", "Tâm",
];

fn synthetic_name(k: usize) -> String {
    format!(
        "{} {} {}",
        FAMILY[k % FAMILY.len()],
        MIDDLE[(k / 3) % MIDDLE.len()],
        GIVEN[(k * 7 + 3) % GIVEN.len()]
    )
}

/// Loads the zone-status part of the demo.
pub async fn seed(store: &Store) -> Result<()> {
    let demo = Actor::system("demo");
    let district = store
        .unit(DISTRICT)
        .await?
        .context("the demo district is not loaded")?;
    let (user, _) = store
        .user_by_username(DISTRICT_USER)
        .await?
        .context("the demo district user is missing")?;
    let district_actor = user.actor();
    let communes = store.children(Some(&district.code)).await?;

    // Heads: a chair and a party secretary per commune, in office since the 2021 elections;
    // one chair changed in September so that the register matters.
    let t = Step::new("zone status", 0);
    let mut heads = 0;
    for (i, c) in communes.iter().enumerate() {
        if !store.unit_heads(c).await?.is_empty() {
            continue;
        }
        let chair_to = if i == 1 { Some(ymd(2021, 9, 15)) } else { None };
        for (k, (title, from, to)) in [
            ("Chủ tịch UBND xã", ymd(2021, 6, 25), chair_to),
            ("Bí thư Đảng ủy xã", ymd(2020, 8, 1), None),
        ]
        .into_iter()
        .enumerate()
        {
            store
                .add_unit_head(
                    &demo,
                    c,
                    &NewHead {
                        name: synthetic_name(i * 2 + k),
                        title: title.into(),
                        term_from: from,
                        term_to: to,
                    },
                )
                .await?;
            heads += 1;
        }
        if let Some(end) = chair_to {
            store
                .add_unit_head(
                    &demo,
                    c,
                    &NewHead {
                        name: synthetic_name(100 + i),
                        title: "Chủ tịch UBND xã".into(),
                        term_from: end.succ_opt().unwrap_or(end),
                        term_to: None,
                    },
                )
                .await?;
            heads += 1;
        }
    }
    t.done(&format!(
        "{heads} heads of {} communes (synthetic names)",
        communes.len()
    ));

    // The pilot's own regulation (Resolution 04 of 9-9-2021): the template with coverage of at
    // least 85% in the last two rounds, assigned to Phước Thạnh from that day.
    let t = Step::new("zone status", 0);
    let template = vx_store::rules::builtin_text("green-zone").context("green-zone template")?;
    let pilot = template
        .replace("id = \"green-zone\"", "id = \"green-zone-phuoc-thanh\"")
        .replace(
            "name = \"Quy định vùng xanh (mẫu, theo thí điểm xã Phước Thạnh)\"",
            "name = \"Quy định vùng xanh xã Phước Thạnh (thí điểm, Nghị quyết 04)\"",
        )
        .replace(
            "name_en = \"Green-zone regulation (template, after the Phước Thạnh pilot)\"",
            "name_en = \"Phước Thạnh green-zone regulation (pilot, Resolution 04)\"",
        )
        .replace("min_coverage_pct = 90", "min_coverage_pct = 85");
    let rs = store
        .save_rule_set(&district_actor, &pilot, "green-zone-phuoc-thanh.toml")
        .await?;
    let pt = store
        .unit(PILOT)
        .await?
        .context("Phước Thạnh is not loaded")?;
    store
        .assign_rule_set(&district_actor, &pt, &rs.id, ymd(2021, 9, 9))
        .await?;
    t.done(&format!("{} assigned to {} from 9-9-2021", rs.id, pt.name));

    // Official levels for the whole period.
    let t = Step::new("zone status", 0);
    let (from, to) = (ymd(2021, 8, 1), ymd(2021, 10, 31));
    let s = store.classify(&demo, &district, from, to).await?;
    t.done(&format!(
        "levels of {} units × {} days (load {} ms, engine {} ms, store {} ms)",
        s.units, s.days, s.load_ms, s.classify_ms, s.store_ms
    ));

    // The district's target.
    let t = Step::new("zone status", 0);
    let target = store
        .add_target(
            &district_actor,
            &district,
            &Target {
                level: Level::Green,
                by: ymd(2021, 9, 21),
                margin_days: 3,
            },
            "Huyện trở lại trạng thái bình thường mới trước ngày 21/9/2021",
        )
        .await?;
    let view = store.target_progress(target, ymd(2021, 9, 15)).await?;
    t.done(&format!(
        "target: new normal by 21-9-2021; on 15-9 {:?}, earliest {}, held back by {}",
        view.progress.status,
        view.progress
            .earliest
            .map_or("—".to_string(), |d| d.to_string()),
        view.held_back
            .iter()
            .map(|h| h.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));

    // The lifecycle, day by day, with the district recognising candidates.
    let t = Step::new("zone status", 0);
    let steps = store
        .replay_green_zones(
            &demo,
            &district,
            from,
            to,
            Some((&district_actor, DISTRICT_BODY)),
            245,
        )
        .await?;
    let recognised: Vec<String> = steps
        .iter()
        .filter(|(_, s)| s.to == StateName::Recognised)
        .map(|(u, s)| format!("{} {}", u.name, s.date.format("%d/%m")))
        .collect();
    let reviews = store.open_reviews_under(&district.path).await?;
    t.done(&format!(
        "green zones recognised: {}; {} accountability review(s) opened{}",
        recognised.join(", "),
        reviews.len(),
        reviews
            .iter()
            .map(|r| format!(
                " — {} on {} (case {}), heads: {}",
                r.unit_name,
                r.opened_on,
                r.case_ref,
                r.heads
                    .iter()
                    .map(|h| h.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .collect::<String>()
    ));
    Ok(())
}
