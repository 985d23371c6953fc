//! The demo's operations (issue 7) on 20 August 2021, the last days of Phước Thạnh's
//! outbreak: three checkpoints on Phước Thạnh's boundary with a day of crossings (one of
//! the travellers is confirmed F0 a few days later, so tracing has something to show);
//! permits issued by the commune and the district (one revoked, one expired); businesses
//! in Giao Long industrial park (xã An Phước) with workers from the registry, and
//! household businesses in Phước Thạnh, with their status at the day's level; a provincial
//! food-package programme for Phước Thạnh distributed to half the eligible households,
//! leaving a gap report.

use std::collections::HashSet;

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use vx_domain::epi::epi_day_start;
use vx_domain::ops::business::{Arrangements, Sector};
use vx_domain::ops::permit::{
    unmet_conditions, verify, Claims, Conditions, Direction, Holder, NewPermit, Plate, Shown,
};
use vx_domain::ops::support::{AidKind, Combine, NewProgramme, Rule};
use vx_domain::{Person, Unit, UnitCode};
use vx_store::ops::{Handed, NewBusiness, NewCrossing, NewDistribution};
use vx_store::{Actor, PeopleQuery, Store};

/// The day of the demo's crossings and distributions.
pub const DAY: &str = "2021-08-20";
const PHUOC_THANH: &str = "28846";
const AN_PHUOC: &str = "28828";
const DISTRICT: &str = "831";

fn code(s: &str) -> UnitCode {
    UnitCode::parse(s).expect("demo codes")
}

async fn unit(store: &Store, c: &str) -> Result<Unit> {
    store
        .unit(c)
        .await?
        .with_context(|| format!("demo unit {c} missing"))
}

async fn people_in(store: &Store, u: &Unit, limit: i64) -> Result<Vec<Person>> {
    Ok(store
        .people(&PeopleQuery {
            within: u.path.clone(),
            limit,
            ..Default::default()
        })
        .await?)
}

/// Loads the operations into a store that already holds the district and its outbreak.
pub async fn seed(store: &Store) -> Result<String> {
    let day: NaiveDate = DAY.parse().expect("demo day");
    let start = epi_day_start(day);
    let commune_actor = Actor::system("demo:xa.phuocthanh");
    let district_actor = Actor::system("demo:huyen.chauthanh");
    let pt = unit(store, PHUOC_THANH).await?;
    let ap = unit(store, AN_PHUOC).await?;
    let district = unit(store, DISTRICT).await?;

    // Levels of the day, so that businesses have a level to open by.
    store
        .classify(&district_actor, &district, day, day)
        .await
        .context("classify the demo day")?;

    // People of Phước Thạnh (travellers, workers) and of An Phước (workers).
    let pt_people = people_in(store, &pt, 50_000).await?;
    let ap_people = people_in(store, &ap, 400).await?;
    let adults = |v: &[Person]| -> Vec<Person> {
        v.iter()
            .filter(|p| (18..60).contains(&p.data.birth.age_on(day)))
            .cloned()
            .collect()
    };
    let pt_adults = adults(&pt_people);
    let ap_adults = adults(&ap_people);
    anyhow::ensure!(
        pt_adults.len() >= 40,
        "too few adults in Phước Thạnh for the demo"
    );

    // A traveller confirmed F0 in the days after the crossings.
    let mut f0: Option<Person> = None;
    for p in &pt_people {
        let cases = store.cases_of(p.id).await?;
        if cases
            .iter()
            .any(|c| c.confirmed_on > day && c.confirmed_on <= day + Duration::days(10))
        {
            f0 = Some(p.clone());
            break;
        }
    }

    // Checkpoints on the commune's boundary.
    let mut checkpoints = Vec::new();
    for (name, location, officers) in [
        (
            "Chốt cầu Phước Thạnh",
            "Đầu cầu Phước Thạnh, Quốc lộ 60 (giáp xã Tân Thạch)",
            "Công an xã, dân quân tự vệ: Huỳnh Văn Tâm, Lê Văn Hùng",
        ),
        (
            "Chốt giáp xã An Phước",
            "Đường vào KCN Giao Long, giáp xã An Phước",
            "Y tế xã, đoàn thanh niên: Nguyễn Thị Thu, Trần Văn Lộc",
        ),
        (
            "Chốt bến đò Phước Thạnh",
            "Bến đò ấp 3, bờ sông Ba Lai",
            "Tổ COVID cộng đồng ấp 3: Phạm Văn Sang",
        ),
    ] {
        checkpoints.push(
            store
                .create_checkpoint(&commune_actor, &pt, name, location, officers)
                .await?,
        );
    }

    // Permits: workers of the industrial park (by the commune), trucks (by the district).
    let key = store.permit_key().await?;
    let public = key.public();
    let mut permits: Vec<(Claims, String)> = Vec::new();
    let travellers: Vec<&Person> = f0.iter().chain(pt_adults.iter().take(24)).collect();
    for (i, p) in travellers.iter().enumerate() {
        let from = start - Duration::days(3);
        let permit = NewPermit {
            issuer: code(PHUOC_THANH),
            holder: Holder::Person {
                person_id: Some(p.id),
                name: p.data.full_name.to_string(),
                document: p.data.citizen_id.as_ref().map(|c| c.to_string()),
            },
            purpose: "Đi làm tại KCN Giao Long (\"1 cung đường, 2 điểm đến\")".into(),
            destinations: vec![code(AN_PHUOC)],
            valid_from: from,
            // One expired the evening before.
            valid_to: if i == 5 {
                start - Duration::hours(2)
            } else {
                from + Duration::days(14)
            },
            conditions: Conditions {
                negative_test_hours: Some(72),
                vaccine_doses: None,
            },
        };
        let (stored, token) = store.issue_permit(&commune_actor, &pt, &permit).await?;
        permits.push((stored.claims(), token));
    }
    for (i, plate) in [
        "71C-045.12",
        "71C-112.90",
        "71H-003.27",
        "51D-678.04",
        "71C-230.55",
    ]
    .iter()
    .enumerate()
    {
        let permit = NewPermit {
            issuer: code(DISTRICT),
            holder: Holder::Vehicle {
                plate: Plate::parse(plate).expect("demo plates"),
                driver: [
                    "Lê Văn Tài",
                    "Nguyễn Văn Lực",
                    "Trần Minh Trí",
                    "Võ Văn Hậu",
                    "Đặng Văn Khoa",
                ][i]
                    .into(),
            },
            purpose: "Vận chuyển hàng thiết yếu, nguyên liệu dừa cho KCN Giao Long".into(),
            destinations: vec![code(AN_PHUOC), code(PHUOC_THANH)],
            valid_from: start - Duration::days(7),
            valid_to: start + Duration::days(7),
            conditions: Conditions {
                negative_test_hours: Some(72),
                vaccine_doses: Some(1),
            },
        };
        let (stored, token) = store
            .issue_permit(&district_actor, &district, &permit)
            .await?;
        permits.push((stored.claims(), token));
    }
    // A driver found F1: the permit is revoked.
    let revoked_id = permits[permits.len() - 1].0.id;
    store
        .revoke_permit(
            &district_actor,
            revoked_id,
            "Lái xe là F1 của ca bệnh ngày 19/8",
        )
        .await?;
    let revoked: HashSet<i64> = store.revoked_ids().await?;

    // A day of crossings: in by morning, out by evening; a few without permits or tests.
    let mut crossings = 0usize;
    let mut refused = 0usize;
    for (i, (claims, token)) in permits.iter().enumerate() {
        let cp = &checkpoints[if claims.plate.is_some() { 0 } else { i % 2 }];
        for (dir, minutes) in [
            (Direction::Out, 6 * 60 + 5 * i as i64),
            (Direction::In, 17 * 60 + 7 * i as i64),
        ] {
            let at: DateTime<Utc> = start + Duration::minutes(minutes);
            // Every 7th traveller shows no test; the rest a negative test of the day before.
            let test = (i % 7 != 3).then(|| (Shown::Negative, at - Duration::hours(30)));
            let (allowed, reason) = match verify(token, &public, at, &revoked) {
                Err(r) => (false, r.text_vi()),
                Ok(c) => {
                    let unmet = unmet_conditions(&c.conditions, test, 2, at);
                    if unmet.is_empty() {
                        (true, "Giấy đi đường hợp lệ, đủ điều kiện.".to_string())
                    } else {
                        (
                            false,
                            unmet
                                .iter()
                                .map(|u| u.text_vi())
                                .collect::<Vec<_>>()
                                .join(" "),
                        )
                    }
                }
            };
            refused += usize::from(!allowed);
            let person_id = travellers.get(i).map(|p| p.id);
            store
                .record_crossing(
                    &commune_actor,
                    &NewCrossing {
                        checkpoint_id: cp.id,
                        at,
                        direction: dir,
                        person_id: if claims.plate.is_some() {
                            None
                        } else {
                            person_id
                        },
                        holder_name: claims.holder.clone(),
                        plate: claims.plate.as_deref().and_then(|p| Plate::parse(p).ok()),
                        permit_id: Some(claims.id),
                        test,
                        allowed,
                        reason,
                    },
                )
                .await?;
            crossings += 1;
            if !allowed {
                break;
            }
        }
    }
    // Two without any permit at the ferry, turned back.
    for (k, p) in pt_adults.iter().skip(30).take(2).enumerate() {
        store
            .record_crossing(
                &commune_actor,
                &NewCrossing {
                    checkpoint_id: checkpoints[2].id,
                    at: start + Duration::minutes(9 * 60 + 20 * k as i64),
                    direction: Direction::Out,
                    person_id: Some(p.id),
                    holder_name: p.data.full_name.to_string(),
                    plate: None,
                    permit_id: None,
                    test: None,
                    allowed: false,
                    reason: "Không có giấy đi đường.".into(),
                },
            )
            .await?;
        crossings += 1;
        refused += 1;
    }

    // Businesses in Giao Long industrial park (An Phước) and household businesses.
    let park = store
        .children(Some(&ap.code))
        .await?
        .into_iter()
        .next()
        .unwrap_or_else(|| ap.clone());
    let plan = |three: bool, one: bool, safety: bool| Arrangements {
        safety_plan: safety,
        three_on_site: three,
        one_route: one,
    };
    let companies = [
        (
            "Công ty CP Chế biến Dừa Giao Long",
            Sector::Manufacturing,
            plan(true, false, true),
            14,
        ),
        (
            "Công ty TNHH May mặc Ba Lai",
            Sector::Manufacturing,
            plan(false, true, true),
            12,
        ),
        (
            "Công ty TNHH Thức ăn Thủy sản Bến Tre",
            Sector::Manufacturing,
            plan(false, false, true),
            8,
        ),
        (
            "Công ty TNHH Kho lạnh Giao Long",
            Sector::Essential,
            plan(false, false, true),
            6,
        ),
        (
            "Công ty TNHH Vận tải Phước Thạnh",
            Sector::Transport,
            plan(false, true, false),
            4,
        ),
    ];
    let mut pool = pt_adults.iter().skip(2).chain(ap_adults.iter());
    let mut businesses = 0;
    let mut first_business = None;
    for (i, (name, sector, arr, workers)) in companies.iter().enumerate() {
        let b = store
            .create_business(
                &district_actor,
                &park,
                &NewBusiness {
                    name: (*name).into(),
                    sector: *sector,
                    household: false,
                    address: format!(
                        "Lô {}, KCN Giao Long, xã An Phước",
                        ["A1", "A3", "B2", "C1", "C4"][i]
                    ),
                    arrangements: *arr,
                },
            )
            .await?;
        first_business.get_or_insert(b.id);
        for k in 0..*workers {
            let Some(p) = pool.next() else { break };
            store.add_worker(&district_actor, b.id, p.id).await?;
            // Tested 2 days ago, or 9 days ago (overdue at levels 3–4), or never.
            let tested = match (k + i) % 4 {
                0 | 1 => Some(2),
                2 => Some(9),
                _ => None,
            };
            if let Some(days) = tested {
                store
                    .record_worker_test(
                        &district_actor,
                        b.id,
                        p.id,
                        day - Duration::days(days),
                        Shown::Negative,
                    )
                    .await?;
            }
        }
        businesses += 1;
    }
    if let (Some(f0), Some(b)) = (&f0, first_business) {
        // The traveller later found F0 works in the coconut plant: tracing shows it.
        store.add_worker(&district_actor, b, f0.id).await?;
    }
    let hamlets = store.children(Some(&pt.code)).await?;
    let shops = [
        ("Quán cơm Út Hiền", Sector::Food, plan(false, false, true)),
        (
            "Tạp hóa Bảy Lượm",
            Sector::Essential,
            plan(false, false, true),
        ),
        (
            "Tiệm cắt tóc Thanh Tâm",
            Sector::Services,
            plan(false, false, false),
        ),
        (
            "Quán cà phê Gió Chướng",
            Sector::Food,
            plan(false, false, false),
        ),
        (
            "Vựa dừa Năm Thành",
            Sector::Farming,
            plan(false, true, true),
        ),
        (
            "Tiệm điện thoại Minh Phát",
            Sector::Retail,
            plan(false, false, true),
        ),
    ];
    for (i, (name, sector, arr)) in shops.iter().enumerate() {
        let hamlet = hamlets.get(i % hamlets.len().max(1)).unwrap_or(&pt);
        let b = store
            .create_business(
                &commune_actor,
                hamlet,
                &NewBusiness {
                    name: (*name).into(),
                    sector: *sector,
                    household: true,
                    address: hamlet.full_name.clone(),
                    arrangements: *arr,
                },
            )
            .await?;
        if let Some(p) = pt_adults.get(26 + i) {
            store.add_worker(&commune_actor, b.id, p.id).await?;
        }
        businesses += 1;
    }

    // The provincial food package for Phước Thạnh, half distributed.
    let programme = store
        .create_programme(
            &Actor::system("demo:tinh.bentre"),
            &NewProgramme {
                name: "Túi an sinh xã hội tỉnh Bến Tre (đợt 2)".into(),
                kind: AidKind::Goods,
                amount_vnd: None,
                goods: "10 kg gạo, 30 gói mì, 1 chai nước mắm, 1 chai dầu ăn".into(),
                unit_code: code(PHUOC_THANH),
                rules: vec![
                    Rule::InQuarantine,
                    Rule::InTreatment,
                    Rule::Poor,
                    Rule::ElderlyAlone,
                ],
                combine: Combine::Any,
            },
        )
        .await?;
    let eligible = store.eligible_households(&programme, &pt, day).await?;
    let mut given = 0;
    for (i, e) in eligible.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        let r = store
            .distribute(
                &commune_actor,
                &NewDistribution {
                    programme_id: programme.id,
                    household_id: e.household_id,
                    handed_on: day,
                    handed_by: "Tổ COVID cộng đồng".into(),
                    what: String::new(),
                    amount_vnd: None,
                    receipt: format!("PT-{:04}", i + 1),
                },
            )
            .await?;
        given += usize::from(matches!(r, Handed::Recorded(_)));
    }
    Ok(format!(
        "{} checkpoints, {} permits, {crossings} crossings ({refused} turned back) on {DAY}, \
         {businesses} businesses, food packages to {given} of {} eligible households{}",
        checkpoints.len(),
        permits.len(),
        eligible.len(),
        match &f0 {
            Some(p) => format!("; traveller later F0: person {}", p.id),
            None => String::new(),
        }
    ))
}
