//! Rendering reasons, outcomes and measures as Vietnamese (first) and English sentences.
//!
//! Numbers follow each language: Vietnamese `1.094.544` and `73,5` (decimal comma), English
//! `1,094,544` and `73.5`; at most two decimals. Dates: `16/10/2021` and `2021-10-16`.

use chrono::NaiveDate;

use crate::engine::{Method, Outcome};
use crate::indicators::{IndicatorId, ResponseCapacity};
use crate::level::Level;
use crate::measures::{
    Access, BusinessScope, Change, MeasureAnswer, MeasureId, MeasureSource, MeasureValue,
};
use crate::reason::{Cmp, Criterion, ElderlyExempt, Reason};
use crate::ruleset::RuleSet;

pub use crate::lang::{format_date, format_number, Lang};

/// The short label of a level in a rule set, e.g. "cấp 2" / "level 2".
pub fn level_short(rs: &RuleSet, level: Level, lang: Lang) -> &str {
    let l = rs.label(level);
    lang.pick(&l.vi, &l.en)
}

/// The label with its description, e.g. "cấp 2 (nguy cơ trung bình)".
pub fn level_long(rs: &RuleSet, level: Level, lang: Lang) -> String {
    let l = rs.label(level);
    let (short, desc) = match lang {
        Lang::Vi => (&l.vi, &l.vi_desc),
        Lang::En => (&l.en, &l.en_desc),
    };
    if desc.is_empty() {
        short.clone()
    } else {
        format!("{short} ({desc})")
    }
}

fn indicator_label(id: IndicatorId, lang: Lang) -> &'static str {
    use IndicatorId as I;
    match (id, lang) {
        (I::CommunityCases7d, Lang::Vi) => "Số ca cộng đồng trong 7 ngày",
        (I::CommunityCases7d, Lang::En) => "Community cases in 7 days",
        (I::CommunityCases14d, Lang::Vi) => "Số ca cộng đồng trong 14 ngày",
        (I::CommunityCases14d, Lang::En) => "Community cases in 14 days",
        (I::CasesPer100kWeek, Lang::Vi) => "Số ca cộng đồng mới/100.000 dân/tuần",
        (I::CasesPer100kWeek, Lang::En) => "New community cases per 100,000 people per week",
        (I::UnknownSourceCases14d, Lang::Vi) => "Ca cộng đồng chưa rõ nguồn lây (14 ngày)",
        (I::UnknownSourceCases14d, Lang::En) => "Community cases with unknown source (14 days)",
        (I::KnownSourceCases14d, Lang::Vi) => "Ca cộng đồng đã rõ nguồn lây (14 ngày)",
        (I::KnownSourceCases14d, Lang::En) => "Community cases with known source (14 days)",
        (I::UnknownSourceClusters, Lang::Vi) => "Ổ dịch chưa rõ nguồn lây",
        (I::UnknownSourceClusters, Lang::En) => "Clusters with unknown source",
        (I::HardToTracePlaceCases, Lang::Vi) => {
            "Ca liên quan nơi khó truy vết (khu công nghiệp, trường học, siêu thị lớn...)"
        }
        (I::HardToTracePlaceCases, Lang::En) => {
            "Cases linked to hard-to-trace places (industrial parks, schools, large supermarkets...)"
        }
        (I::RedClusterCrowdedPlaceCases, Lang::Vi) => "Ca từ nơi đông người trong ổ dịch vùng đỏ",
        (I::RedClusterCrowdedPlaceCases, Lang::En) => "Cases from a crowded place in a red cluster",
        (I::DaysSinceLastCommunityCase, Lang::Vi) => "Số ngày kể từ ca cộng đồng gần nhất",
        (I::DaysSinceLastCommunityCase, Lang::En) => "Days since the last community case",
        (I::F1InCommunity, Lang::Vi) => "F1 đang ở trong cộng đồng",
        (I::F1InCommunity, Lang::En) => "F1 contacts living in the community",
        (I::FirstDose18PlusPct, Lang::Vi) => "Tỷ lệ người từ 18 tuổi đã tiêm ít nhất 1 mũi",
        (I::FirstDose18PlusPct, Lang::En) => "People 18+ with at least one dose",
        (I::FullyVaccinated50PlusPct, Lang::Vi) => "Tỷ lệ người từ 50 tuổi trở lên tiêm đủ liều",
        (I::FullyVaccinated50PlusPct, Lang::En) => "People 50+ fully vaccinated",
        (I::FullyVaccinated65PlusPct, Lang::Vi) => "Tỷ lệ người từ 65 tuổi trở lên tiêm đủ liều",
        (I::FullyVaccinated65PlusPct, Lang::En) => "People 65+ fully vaccinated",
        (I::AllCasesPer100kWeek, Lang::Vi) => "Số ca mắc mới trên địa bàn/100.000 dân/tuần",
        (I::AllCasesPer100kWeek, Lang::En) => "New cases in the area per 100,000 people per week",
        (I::OxygenCasesPer100kWeek, Lang::Vi) => {
            "Số ca mắc mới phải điều trị có hỗ trợ oxy/100.000 dân/tuần"
        }
        (I::OxygenCasesPer100kWeek, Lang::En) => {
            "New cases needing oxygen per 100,000 people per week"
        }
        (I::DeathsPer100kWeek, Lang::Vi) => "Số ca tử vong/100.000 dân/tuần",
        (I::DeathsPer100kWeek, Lang::En) => "Deaths per 100,000 people per week",
        (I::FullyVaccinatedPct, Lang::Vi) => "Tỷ lệ dân số tiêm đủ liều cơ bản",
        (I::FullyVaccinatedPct, Lang::En) => "Share of the population fully vaccinated",
    }
}

fn criterion_label(rs: &RuleSet, c: Criterion, lang: Lang) -> String {
    match c {
        Criterion::Indicator(id) => indicator_label(id, lang).to_owned(),
        Criterion::Borders(l) => match lang {
            Lang::Vi => format!(
                "Số đơn vị giáp ranh ở mức {} trở lên",
                level_short(rs, l, lang)
            ),
            Lang::En => format!("Bordering units at {} or higher", level_short(rs, l, lang)),
        },
        Criterion::ChildrenShare(l) => match lang {
            Lang::Vi => format!(
                "Tỷ lệ đơn vị trực thuộc ở mức {} trở lên",
                level_short(rs, l, lang)
            ),
            Lang::En => format!(
                "Share of subordinate units at {} or higher",
                level_short(rs, l, lang)
            ),
        },
        Criterion::ChildrenCount(l) => match lang {
            Lang::Vi => format!(
                "Số đơn vị trực thuộc ở mức {} trở lên",
                level_short(rs, l, lang)
            ),
            Lang::En => format!(
                "Subordinate units at {} or higher",
                level_short(rs, l, lang)
            ),
        },
        Criterion::Transmission(id)
        | Criterion::TransmissionRaise(id)
        | Criterion::LevelRaise(id) => indicator_label(id, lang).to_owned(),
        Criterion::ResponseCapacity => lang
            .pick("Khả năng đáp ứng", "Response capacity")
            .to_owned(),
        Criterion::CaseRate => indicator_label(IndicatorId::CasesPer100kWeek, lang).to_owned(),
        Criterion::FirstDose => indicator_label(IndicatorId::FirstDose18PlusPct, lang).to_owned(),
        Criterion::ElderlyFullyVaccinated { age, .. } => match lang {
            Lang::Vi => format!("Tỷ lệ người từ {age} tuổi trở lên tiêm đủ liều"),
            Lang::En => format!("People {age}+ fully vaccinated"),
        },
        Criterion::Elderly { age } => match lang {
            Lang::Vi => format!("Tỷ lệ người từ {age} tuổi chưa tiêm đủ liều"),
            Lang::En => format!("People {age}+ not fully vaccinated"),
        },
        Criterion::CapacityHold => lang
            .pick("Năng lực điều trị", "Treatment capacity")
            .to_owned(),
        Criterion::DaysWithoutCase => lang
            .pick(
                "Số ngày không có ca cộng đồng",
                "Days without a community case",
            )
            .to_owned(),
        Criterion::ScreeningPositives(k) => match lang {
            Lang::Vi => format!("Số ca dương tính, đợt sàng lọc gần nhất thứ {k}"),
            Lang::En => format!("Positives in screening round {k} (latest first)"),
        },
        Criterion::ScreeningCoverage(k) => match lang {
            Lang::Vi => format!("Độ phủ xét nghiệm, đợt sàng lọc gần nhất thứ {k}"),
            Lang::En => format!("Coverage of screening round {k} (latest first)"),
        },
    }
}

fn is_pct(c: Criterion) -> bool {
    match c {
        Criterion::Indicator(id)
        | Criterion::Transmission(id)
        | Criterion::TransmissionRaise(id)
        | Criterion::LevelRaise(id) => id.is_pct(),
        Criterion::ChildrenShare(_)
        | Criterion::FirstDose
        | Criterion::Elderly { .. }
        | Criterion::ElderlyFullyVaccinated { .. }
        | Criterion::ScreeningCoverage(_) => true,
        _ => false,
    }
}

fn threshold_text(r: &Reason, lang: Lang) -> String {
    let unit = if is_pct(r.criterion) { "%" } else { "" };
    let n = |x: f64| format!("{}{unit}", format_number(x, lang));
    match r.cmp {
        Cmp::AtLeast => format!("≥ {}", n(r.threshold)),
        Cmp::Below => format!("< {}", n(r.threshold)),
        Cmp::AtMost => format!("≤ {}", n(r.threshold)),
        Cmp::Above => format!("> {}", n(r.threshold)),
        Cmp::Band => match r.upper {
            Some(hi) if r.threshold <= 0.0 => format!("< {}", n(hi)),
            Some(hi) => format!("{}–{}", format_number(r.threshold, lang), n(hi)),
            None => format!("≥ {}", n(r.threshold)),
        },
    }
}

fn value_text(r: &Reason, lang: Lang) -> String {
    match r.value {
        Some(v) => {
            let unit = if is_pct(r.criterion) { "%" } else { "" };
            format!("{}{unit}", format_number(v, lang))
        }
        None => match r.criterion {
            Criterion::DaysWithoutCase
            | Criterion::Indicator(IndicatorId::DaysSinceLastCommunityCase) => {
                lang.pick("chưa có ca nào", "none on record").to_owned()
            }
            _ => lang.pick("chưa có số liệu", "no data").to_owned(),
        },
    }
}

/// One reason as a sentence, e.g.
/// "Số ca cộng đồng mới/100.000 dân/tuần: 73,5 (ngưỡng 50–150) → cấp 2".
pub fn render_reason(rs: &RuleSet, r: &Reason, lang: Lang) -> String {
    let decided = if r.decided {
        lang.pick(" (yếu tố quyết định)", " (decisive)")
    } else {
        ""
    };
    let level = level_short(rs, r.level, lang);
    if r.criterion == Criterion::CapacityHold {
        let text = match (r.value, r.met, lang) {
            (_, true, Lang::Vi) => {
                format!("Năng lực điều trị chưa đáp ứng: không hạ cấp, giữ {level}")
            }
            (_, true, Lang::En) => {
                format!("Treatment capacity not met: no lowering, stays at {level}")
            }
            (Some(_), false, Lang::Vi) => {
                format!("Năng lực điều trị đã đáp ứng: được hạ cấp từ {level}")
            }
            (Some(_), false, Lang::En) => {
                format!("Treatment capacity met: may be lowered from {level}")
            }
            (None, false, Lang::Vi) => {
                format!("Năng lực điều trị: chưa có số liệu, được hạ cấp từ {level}")
            }
            (None, false, Lang::En) => {
                format!("Treatment capacity: no data, lowered from {level}")
            }
        };
        return format!("{text}{decided}");
    }
    match r.criterion {
        Criterion::ElderlyFullyVaccinated { exempt, .. } => {
            return format!("{}{decided}", elderly_sentence(rs, r, exempt, lang));
        }
        Criterion::Transmission(_) => {
            return format!(
                "{}: {} ({} {}) → {} {}{decided}",
                criterion_label(rs, r.criterion, lang),
                value_text(r, lang),
                lang.pick("ngưỡng", "threshold"),
                threshold_text(r, lang),
                lang.pick("mức độ lây nhiễm", "transmission level"),
                r.level.number(),
            );
        }
        Criterion::TransmissionRaise(_) | Criterion::LevelRaise(_) => {
            let transmission = matches!(r.criterion, Criterion::TransmissionRaise(_));
            let effect = match (r.met, transmission, lang) {
                (false, _, _) => lang.pick("không tăng", "no raise").to_owned(),
                (true, true, _) if !r.decided => lang
                    .pick(
                        "không tăng thêm (cùng tiêu chí đã tăng, hoặc đã ở mức cao nhất)",
                        "no further raise (its criterion already raised it, or at the top)",
                    )
                    .to_owned(),
                (true, false, _) if !r.decided => lang
                    .pick(
                        "không tăng thêm: đã ở cấp cao nhất",
                        "no further raise: already at the highest level",
                    )
                    .to_owned(),
                (true, true, Lang::Vi) => {
                    format!("tăng 1 mức độ lây nhiễm: mức {}", r.level.number())
                }
                (true, true, Lang::En) => {
                    format!("transmission level raised by one: {}", r.level.number())
                }
                (true, false, Lang::Vi) => format!("tăng 1 cấp: {level}"),
                (true, false, Lang::En) => format!("raised one level: {level}"),
            };
            return format!(
                "{}: {} ({}) → {effect}{decided}",
                criterion_label(rs, r.criterion, lang),
                value_text(r, lang),
                comparison(r, lang),
            );
        }
        Criterion::ResponseCapacity => {
            let capacity = match (r.value, lang) {
                (Some(v), _) => {
                    let c =
                        ResponseCapacity::from_index(v as usize).unwrap_or(ResponseCapacity::High);
                    capacity_word(c, lang).to_owned()
                }
                (None, Lang::Vi) => "chưa có số liệu (tính như cao)".to_owned(),
                (None, Lang::En) => "no data (read as high)".to_owned(),
            };
            return format!(
                "{}: {capacity}; {} {} → {level}{decided}",
                criterion_label(rs, r.criterion, lang),
                lang.pick("mức độ lây nhiễm", "transmission level"),
                format_number(r.threshold, lang),
            );
        }
        _ => {}
    }
    let effect = match r.criterion {
        Criterion::CaseRate => level.to_owned(),
        Criterion::Elderly { .. } => match (r.met, lang) {
            (true, Lang::Vi) => format!("tăng 1 cấp: {level}"),
            (true, Lang::En) => format!("raised one level: {level}"),
            (false, _) => lang.pick("không tăng cấp", "no raise").to_owned(),
        },
        Criterion::FirstDose
        | Criterion::DaysWithoutCase
        | Criterion::ScreeningPositives(_)
        | Criterion::ScreeningCoverage(_) => {
            if r.met {
                lang.pick("đạt", "met").to_owned()
            } else {
                lang.pick("không đạt", "not met").to_owned()
            }
        }
        _ => {
            if r.met {
                level.to_owned()
            } else {
                lang.pick("không áp dụng", "not met").to_owned()
            }
        }
    };
    format!(
        "{}: {} ({} {}) → {}{}",
        criterion_label(rs, r.criterion, lang),
        value_text(r, lang),
        lang.pick("ngưỡng", "threshold"),
        threshold_text(r, lang),
        effect,
        decided
    )
}

/// "cao" / "high"...
fn capacity_word(c: ResponseCapacity, lang: Lang) -> &'static str {
    match (c, lang) {
        (ResponseCapacity::High, Lang::Vi) => "cao",
        (ResponseCapacity::Medium, Lang::Vi) => "trung bình",
        (ResponseCapacity::Low, Lang::Vi) => "thấp",
        (ResponseCapacity::High, Lang::En) => "high",
        (ResponseCapacity::Medium, Lang::En) => "medium",
        (ResponseCapacity::Low, Lang::En) => "low",
    }
}

/// How the value falls against the threshold: the comparison when it holds, its negation when
/// it does not ("< 80%" / "≥ 80%").
fn comparison(r: &Reason, lang: Lang) -> String {
    let cmp = match (r.cmp, r.met) {
        (c, true) => c,
        (Cmp::AtLeast, false) => Cmp::Below,
        (Cmp::Below, false) => Cmp::AtLeast,
        (Cmp::AtMost, false) => Cmp::Above,
        (Cmp::Above, false) => Cmp::AtMost,
        (Cmp::Band, false) => Cmp::Band,
    };
    threshold_text(&Reason { cmp, ..*r }, lang)
}

/// Decision 4800's elderly criterion as the decision reads: "Tỷ lệ người từ 50 tuổi trở lên
/// tiêm đủ liều: 79,9% (< 80%) → tăng 1 cấp: cấp 2" — the value compared with the threshold
/// the way it falls, then the effect (or why it does not apply).
fn elderly_sentence(rs: &RuleSet, r: &Reason, exempt: Option<ElderlyExempt>, lang: Lang) -> String {
    let label = criterion_label(rs, r.criterion, lang);
    if r.value.is_none() {
        return format!(
            "{label}: {} ({} {}) → {}",
            value_text(r, lang),
            lang.pick("ngưỡng tăng cấp", "raised when"),
            threshold_text(r, lang),
            lang.pick("không tăng cấp", "no raise"),
        );
    }
    let comparison = comparison(r, lang);
    let level = level_short(rs, r.level, lang);
    let effect = match (r.met, exempt, lang) {
        (true, None, Lang::Vi) => format!("tăng 1 cấp: {level}"),
        (true, None, Lang::En) => format!("raised one level: {level}"),
        (true, Some(ElderlyExempt::AtLevel4), Lang::Vi) => {
            "không áp dụng: đã ở cấp độ cao nhất".to_owned()
        }
        (true, Some(ElderlyExempt::AtLevel4), Lang::En) => {
            "does not apply: already at the highest level".to_owned()
        }
        (true, Some(ElderlyExempt::NoCase), Lang::Vi) => {
            "không áp dụng: không có ca mắc mới tại cộng đồng".to_owned()
        }
        (true, Some(ElderlyExempt::NoCase), Lang::En) => {
            "does not apply: no new community case".to_owned()
        }
        (false, _, _) => lang.pick("không tăng cấp", "no raise").to_owned(),
    };
    format!("{label}: {} ({comparison}) → {effect}", value_text(r, lang))
}

/// An outcome as text: the level and the rule set, the level in force and any announced raise,
/// whether data were missing, then one line per reason ("- ...").
pub fn explain(rs: &RuleSet, o: &Outcome, lang: Lang) -> String {
    let mut lines = Vec::new();
    lines.push(match lang {
        Lang::Vi => format!(
            "Cấp độ: {} — theo {}",
            level_long(rs, o.level, lang),
            rs.name
        ),
        Lang::En => format!(
            "Level: {} — under {}",
            level_long(rs, o.level, lang),
            rs.name_en
        ),
    });
    if o.method == Method::Rollup {
        lines.push(
            lang.pick(
                "Tổng hợp từ cấp độ của các đơn vị trực thuộc.",
                "Rolled up from the levels of subordinate units.",
            )
            .to_owned(),
        );
    }
    if let Some(a) = o.announced {
        lines.push(match lang {
            Lang::Vi => format!(
                "Đang áp dụng: {}; nâng lên {} từ ngày {} (đã thông báo ngày {}).",
                level_short(rs, o.in_force, lang),
                level_short(rs, a.level, lang),
                format_date(a.effective_from, lang),
                format_date(a.announced_on, lang)
            ),
            Lang::En => format!(
                "In force: {}; raised to {} from {} (announced on {}).",
                level_short(rs, o.in_force, lang),
                level_short(rs, a.level, lang),
                format_date(a.effective_from, lang),
                format_date(a.announced_on, lang)
            ),
        });
    } else if o.in_force != o.level {
        lines.push(match lang {
            Lang::Vi => format!("Đang áp dụng: {}.", level_short(rs, o.in_force, lang)),
            Lang::En => format!("In force: {}.", level_short(rs, o.in_force, lang)),
        });
    }
    if o.incomplete {
        lines.push(
            lang.pick(
                "Thiếu số liệu: kết quả có thể thay đổi khi có đủ số liệu.",
                "Incomplete data: the result may change when data are complete.",
            )
            .to_owned(),
        );
    }
    for r in o.reasons.iter() {
        lines.push(format!("- {}", render_reason(rs, r, lang)));
    }
    lines.join("\n")
}

fn access_text(m: MeasureId, a: Access, lang: Lang) -> &'static str {
    use Access::*;
    match (m, a, lang) {
        (MeasureId::Markets, Open, Lang::Vi) => "mở cửa",
        (MeasureId::Markets, Limited, Lang::Vi) => "hạn chế",
        (MeasureId::Markets, Closed, Lang::Vi) => "đóng cửa",
        (MeasureId::Markets, Open, Lang::En) => "open",
        (MeasureId::Markets, Limited, Lang::En) => "limited",
        (MeasureId::Markets, Closed, Lang::En) => "closed",
        (MeasureId::PublicTransport, Open, Lang::Vi) => "hoạt động bình thường",
        (MeasureId::PublicTransport, Limited, Lang::Vi) => "hạn chế",
        (MeasureId::PublicTransport, Closed, Lang::Vi) => "tạm dừng",
        (MeasureId::PublicTransport, Open, Lang::En) => "normal",
        (MeasureId::PublicTransport, Limited, Lang::En) => "reduced",
        (MeasureId::PublicTransport, Closed, Lang::En) => "suspended",
        (_, Open, Lang::Vi) => "được phép",
        (_, Limited, Lang::Vi) => "hạn chế",
        (_, Closed, Lang::Vi) => "không được phép",
        (_, Open, Lang::En) => "allowed",
        (_, Limited, Lang::En) => "limited",
        (_, Closed, Lang::En) => "not allowed",
    }
}

fn measure_label(m: MeasureId, lang: Lang) -> &'static str {
    match m {
        MeasureId::GatheringMax => lang.pick(
            "Tụ tập ngoài công sở, trường học, bệnh viện",
            "Gatherings outside offices, schools, hospitals",
        ),
        MeasureId::IndoorEventMax => lang.pick("Sự kiện trong phòng", "Indoor events"),
        MeasureId::DistanceM => lang.pick("Khoảng cách tối thiểu", "Minimum distance"),
        MeasureId::Markets => lang.pick("Chợ truyền thống", "Traditional markets"),
        MeasureId::Delivery => lang.pick("Giao hàng", "Delivery"),
        MeasureId::MovementBetweenHamlets => {
            lang.pick("Đi lại giữa các ấp", "Movement between hamlets")
        }
        MeasureId::Business => lang.pick("Kinh doanh", "Businesses"),
        MeasureId::Curfew => lang.pick("Giới nghiêm", "Curfew"),
        MeasureId::PublicTransport => lang.pick("Giao thông công cộng", "Public transport"),
        MeasureId::WorkFromHome => lang.pick("Làm việc tại nhà", "Work from home"),
    }
}

/// A measure value in words, e.g. "tối đa 2 người", "19:00–05:00".
pub fn render_value(m: MeasureId, v: &MeasureValue, lang: Lang) -> String {
    match *v {
        MeasureValue::People(0) => lang.pick("không được phép", "not allowed").to_owned(),
        MeasureValue::People(n) => match lang {
            Lang::Vi => format!("tối đa {n} người"),
            Lang::En => format!("at most {n} people"),
        },
        MeasureValue::Metres(x) => format!("{} m", format_number(x, lang)),
        MeasureValue::Access(a) => access_text(m, a, lang).to_owned(),
        MeasureValue::Business(b) => match b {
            BusinessScope::All => lang.pick("tất cả được mở cửa", "all open"),
            BusinessScope::NoLeisure => lang.pick(
                "đóng cửa quán bar, karaoke, massage",
                "bars, karaoke, massage closed",
            ),
            BusinessScope::Essential => lang.pick(
                "chỉ hàng hóa, dịch vụ thiết yếu",
                "essential goods and services only",
            ),
        }
        .to_owned(),
        MeasureValue::Curfew(None) => lang.pick("không", "none").to_owned(),
        MeasureValue::Curfew(Some(c)) => {
            format!("{}–{}", c.from.format("%H:%M"), c.to.format("%H:%M"))
        }
        MeasureValue::Flag(b) => match (b, lang) {
            (true, Lang::Vi) => "có",
            (false, Lang::Vi) => "không",
            (true, Lang::En) => "yes",
            (false, Lang::En) => "no",
        }
        .to_owned(),
    }
}

/// A measure answer as a sentence with its source, e.g.
/// "Giới nghiêm: 19:00–05:00 — siết chặt theo QĐ 15/QĐ-UBND từ 01/09/2021: ...".
pub fn render_measure(a: &MeasureAnswer, lang: Lang) -> String {
    let base = format!(
        "{}: {}",
        measure_label(a.measure, lang),
        render_value(a.measure, &a.value, lang)
    );
    match &a.source {
        MeasureSource::Level { .. } => base,
        MeasureSource::Override { id, from, note, .. } => {
            let how = match (a.change, lang) {
                (Some(Change::Relaxed), Lang::Vi) => "nới lỏng",
                (Some(Change::Tightened), Lang::Vi) => "siết chặt",
                (Some(Change::Same), Lang::Vi) => "giữ nguyên",
                (None, Lang::Vi) => "quy định",
                (Some(Change::Relaxed), Lang::En) => "relaxed",
                (Some(Change::Tightened), Lang::En) => "tightened",
                (Some(Change::Same), Lang::En) => "confirmed",
                (None, Lang::En) => "set",
            };
            let default = a.default.map(|d| render_value(a.measure, &d, lang));
            let mut s = match lang {
                Lang::Vi => format!("{base} — {how} theo {id} từ {}", format_date(*from, lang)),
                Lang::En => format!("{base} — {how} by {id} from {}", format_date(*from, lang)),
            };
            if let Some(d) = default {
                s.push_str(&match lang {
                    Lang::Vi => format!(" (mặc định: {d})"),
                    Lang::En => format!(" (default: {d})"),
                });
            }
            if !note.is_empty() {
                s.push_str(lang.pick(". Ghi chú: ", ". Note: "));
                s.push_str(note);
            }
            s
        }
    }
}

/// A green-zone state as a sentence, e.g. "bị phá vỡ ngày 27/09/2021 bởi ca bệnh #12 (đã
/// công nhận theo 245/QĐ-UBND ngày 09/09/2021)".
pub fn zone_state(s: &crate::zone::ZoneState, lang: Lang) -> String {
    use crate::zone::ZoneState as S;
    let d = |x: NaiveDate| format_date(x, lang);
    match (s, lang) {
        (S::NotGreen, Lang::Vi) => "chưa phải vùng xanh".into(),
        (S::NotGreen, Lang::En) => "not green".into(),
        (S::Candidate { since }, Lang::Vi) => {
            format!(
                "đủ tiêu chí vùng xanh từ {}, chờ cấp trên công nhận",
                d(*since)
            )
        }
        (S::Candidate { since }, Lang::En) => format!(
            "meets the green-zone criteria since {}, awaiting recognition by the level above",
            d(*since)
        ),
        (S::Recognised { decision }, Lang::Vi) => format!(
            "vùng xanh được công nhận theo {} ngày {} ({})",
            decision.number,
            d(decision.date),
            decision.by
        ),
        (S::Recognised { decision }, Lang::En) => format!(
            "green zone recognised by {} of {} ({})",
            decision.number,
            d(decision.date),
            decision.by
        ),
        (
            S::Broken {
                on,
                case_id,
                decision,
            },
            Lang::Vi,
        ) => format!(
            "bị phá vỡ ngày {} bởi ca bệnh #{case_id} (đã công nhận theo {} ngày {})",
            d(*on),
            decision.number,
            d(decision.date)
        ),
        (
            S::Broken {
                on,
                case_id,
                decision,
            },
            Lang::En,
        ) => format!(
            "broken on {} by case #{case_id} (recognised by {} of {})",
            d(*on),
            decision.number,
            d(decision.date)
        ),
        (
            S::Restoring {
                broken_on,
                criteria_met,
            },
            Lang::Vi,
        ) => format!(
            "đang khôi phục sau khi bị phá vỡ ngày {}: {}",
            d(*broken_on),
            if *criteria_met {
                "đã đủ lại tiêu chí, có thể công nhận lại"
            } else {
                "chưa đủ lại tiêu chí"
            }
        ),
        (
            S::Restoring {
                broken_on,
                criteria_met,
            },
            Lang::En,
        ) => format!(
            "restoring after being broken on {}: {}",
            d(*broken_on),
            if *criteria_met {
                "criteria met again, may be recognised again"
            } else {
                "criteria not met again yet"
            }
        ),
    }
}

/// A target's progress as sentences; `name` gives the names of the children holding it back.
pub fn target_progress(
    rs: &RuleSet,
    target: &crate::targets::Target,
    p: &crate::targets::TargetProgress,
    name: impl Fn(crate::engine::UnitIx) -> String,
    lang: Lang,
) -> String {
    use crate::targets::TargetStatus as T;
    let level = level_long(rs, target.level, lang);
    let status = match (p.status, lang) {
        (T::Reached, Lang::Vi) => "đã đạt",
        (T::OnTrack, Lang::Vi) => "đúng tiến độ",
        (T::AtRisk, Lang::Vi) => "có nguy cơ không đạt",
        (T::Missed, Lang::Vi) => "không đạt",
        (T::Reached, Lang::En) => "reached",
        (T::OnTrack, Lang::En) => "on track",
        (T::AtRisk, Lang::En) => "at risk",
        (T::Missed, Lang::En) => "missed",
    };
    let mut out = match lang {
        Lang::Vi => format!(
            "Mục tiêu {level} trước ngày {}: {status}. Hiện tại: {}.",
            format_date(target.by, lang),
            level_long(rs, p.level_today, lang)
        ),
        Lang::En => format!(
            "Target {level} by {}: {status}. Now: {}.",
            format_date(target.by, lang),
            level_long(rs, p.level_today, lang)
        ),
    };
    if let Some(r) = p.reached_on {
        out.push_str(&match lang {
            Lang::Vi => format!(" Đạt từ ngày {}.", format_date(r, lang)),
            Lang::En => format!(" Reached on {}.", format_date(r, lang)),
        });
    }
    out.push_str(&match (p.earliest, lang) {
        (Some(e), Lang::Vi) => format!(
            " Sớm nhất có thể đạt: {} (nếu không có ca cộng đồng mới).",
            format_date(e, lang)
        ),
        (Some(e), Lang::En) => format!(
            " Earliest reachable: {} (if no new community case).",
            format_date(e, lang)
        ),
        (None, Lang::Vi) => " Không thể đạt chỉ bằng chờ đợi.".to_string(),
        (None, Lang::En) => " Not reachable by waiting alone.".to_string(),
    });
    if !p.held_back_by.is_empty() {
        let names: Vec<String> = p.held_back_by.iter().map(|&u| name(u)).collect();
        out.push_str(&match lang {
            Lang::Vi => format!(" Đơn vị đang kéo lùi: {}.", names.join(", ")),
            Lang::En => format!(" Held back by: {}.", names.join(", ")),
        });
    }
    out
}
