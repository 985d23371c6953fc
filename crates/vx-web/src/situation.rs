//! The situation room (issue 5): the dashboard of a unit for a day with its level map and
//! charts (dashboard.rs, map.rs, charts.rs), the daily report as a page, XLSX and CSV
//! (report.rs), work lists (worklists.rs), and the public pages with announcements, an Atom
//! feed and open data (public.rs).
//!
//! Every figure comes from a few grouped queries over the unit's subtree
//! (`Store::figures`, `Store::curve`, `Store::rounds_in`, `Store::levels_of_children`):
//! no query per child. Charts and the map are SVG drawn here, no JavaScript; each level has a
//! colour, a pattern and a number, so that a black-and-white print still reads.

use std::collections::HashMap;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use vx_domain::Unit;
use vx_store::rules::{render, Level, Outcome, RuleSet};
use vx_store::Store;

use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;

mod charts;
mod dashboard;
mod map;
mod public;
pub mod report;
mod worklists;

const CSS: &str = include_str!("../assets/situation.css");

/// The routes of this part; merged into the application by `crate::router`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/assets/situation.css", get(stylesheet))
        .merge(dashboard::routes())
        .merge(report::routes())
        .merge(worklists::routes())
        .merge(public::routes())
}

/// The stylesheet of this part's pages, versioned by its content.
pub(crate) fn css_url() -> &'static str {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        let digest = hex::encode(Sha256::digest(CSS.as_bytes()));
        format!("/assets/situation.css?v={}", &digest[..12])
    })
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        CSS,
    )
        .into_response()
}

/// The link to this part's stylesheet, placed at the top of the page body.
pub(crate) fn css_link() -> maud::Markup {
    maud::html! { link rel="stylesheet" href=(css_url()); }
}

// ---------------------------------------------------------------------------------------
// Strings of this part (Vietnamese first, English second)

#[derive(Clone, Copy, Debug)]
pub(crate) enum S {
    Dashboard,
    Day,
    Show,
    Level,
    NotAssessed,
    Reasons,
    Cases7,
    Cases14,
    Per100k,
    DaysSince,
    NoCommunityCase,
    LastRound,
    Coverage,
    Positivity,
    Isolating,
    QuarantineHome,
    QuarantineFacility,
    F2,
    Children,
    Unit,
    Map,
    Schematic,
    Curve,
    Community,
    InQuarantine,
    Imported,
    Timeline,
    Rounds,
    Round,
    Targets,
    OpenReviews,
    DailyReport,
    WorkLists,
    Announcements,
    StatusPage,
    Population,
    Key7d,
    Download,
    NewCases,
    Total,
    Samples,
    Positives,
    LevelChange,
    PublicTitle,
    PublicIntro,
    AllowedToday,
    OpenData,
    Feed,
    Title,
    Body,
    PublishedOn,
    Publish,
    By,
    TestsDue,
    QuarantinesEnding,
    Overdue,
    Retests,
    TargetsAtRisk,
    Nothing,
    Person,
    Household,
    ByUnit,
    NotStored,
    Source,
    F1ByPlace,
}

impl S {
    pub(crate) fn get(self, lang: Lang) -> &'static str {
        let (vi, en) = match self {
            S::Dashboard => ("Tình hình dịch", "Situation"),
            S::Day => ("Ngày", "Date"),
            S::Show => ("Xem", "Show"),
            S::Level => ("Cấp độ", "Level"),
            S::NotAssessed => ("Chưa đánh giá", "Not assessed"),
            S::Reasons => ("Lý do", "Reasons"),
            S::Cases7 => ("Ca cộng đồng 7 ngày", "Community cases, 7 days"),
            S::Cases14 => ("Ca cộng đồng 14 ngày", "Community cases, 14 days"),
            S::Per100k => ("Ca/100.000 dân/7 ngày", "Cases per 100,000 in 7 days"),
            S::DaysSince => (
                "Số ngày từ ca cộng đồng gần nhất",
                "Days since the last community case",
            ),
            S::NoCommunityCase => ("chưa có ca", "none on record"),
            S::LastRound => ("Đợt xét nghiệm gần nhất", "Last screening round"),
            S::Coverage => ("Độ phủ", "Coverage"),
            S::Positivity => ("Tỷ lệ dương tính", "Positivity"),
            S::Isolating => ("F0 đang cách ly điều trị", "Cases in isolation"),
            S::QuarantineHome => ("F1 cách ly tại nhà", "F1 in home quarantine"),
            S::QuarantineFacility => ("F1 cách ly tập trung", "F1 in facility quarantine"),
            S::F2 => ("F2 đang theo dõi", "F2 being followed"),
            S::Children => ("Các đơn vị trực thuộc", "Units below"),
            S::Unit => ("Đơn vị", "Unit"),
            S::Map => ("Bản đồ cấp độ", "Level map"),
            S::Schematic => (
                "Sơ đồ minh hoạ, không phải ranh giới thật",
                "Schematic drawing, not real boundaries",
            ),
            S::Curve => ("Số ca mắc mới theo ngày", "New cases per day"),
            S::Community => ("Cộng đồng", "Community"),
            S::InQuarantine => ("Trong khu cách ly", "In quarantine"),
            S::Imported => ("Từ nơi khác đến", "Imported"),
            S::Timeline => ("Diễn biến cấp độ", "Level timeline"),
            S::Rounds => (
                "Độ phủ và tỷ lệ dương tính theo đợt",
                "Coverage and positivity per round",
            ),
            S::Round => ("Đợt", "Round"),
            S::Targets => ("Mục tiêu", "Targets"),
            S::OpenReviews => ("Xem xét trách nhiệm đang mở", "Open accountability reviews"),
            S::DailyReport => ("Báo cáo ngày", "Daily report"),
            S::WorkLists => ("Việc cần làm", "Work lists"),
            S::Announcements => ("Thông báo", "Announcements"),
            S::StatusPage => ("Chi tiết cấp độ", "Level details"),
            S::Population => ("Dân số", "Population"),
            S::Key7d => ("ca/7 ngày", "cases/7 d"),
            S::Download => ("Tải về", "Download"),
            S::NewCases => ("Ca mới", "New cases"),
            S::Total => ("Cộng dồn", "Cumulative"),
            S::Samples => ("Mẫu lấy trong ngày", "Samples taken"),
            S::Positives => ("Mẫu dương tính", "Positive samples"),
            S::LevelChange => ("Thay đổi cấp độ", "Level change"),
            S::PublicTitle => ("Cấp độ dịch công khai", "Public zone levels"),
            S::PublicIntro => (
                "Cấp độ dịch của từng địa phương, lý do và những gì được phép làm. Không có thông tin cá nhân.",
                "Each place's level, why, and what is allowed. No personal data.",
            ),
            S::AllowedToday => ("Được phép hôm nay", "Allowed today"),
            S::OpenData => ("Dữ liệu mở", "Open data"),
            S::Feed => ("Nguồn tin Atom", "Atom feed"),
            S::Title => ("Tiêu đề", "Title"),
            S::Body => ("Nội dung", "Text"),
            S::PublishedOn => ("Ngày đăng", "Published on"),
            S::Publish => ("Đăng thông báo", "Publish"),
            S::By => ("bởi", "by"),
            S::TestsDue => ("Xét nghiệm đến hạn hôm nay", "Tests due today"),
            S::QuarantinesEnding => ("Kết thúc cách ly hôm nay", "Quarantines ending today"),
            S::Overdue => ("Quá hạn", "Overdue"),
            S::Retests => (
                "Xét nghiệm lại mẫu gộp dương tính",
                "Retests of positive pools",
            ),
            S::TargetsAtRisk => ("Mục tiêu có nguy cơ không đạt", "Targets at risk"),
            S::Nothing => ("Không có việc nào.", "Nothing to do."),
            S::Person => ("Người", "Person"),
            S::Household => ("Hộ", "Household"),
            S::ByUnit => ("Theo đơn vị", "By unit"),
            S::NotStored => (
                "Chưa đánh giá chính thức ngày này: kết quả tính tạm từ số liệu hiện có.",
                "Not yet classified officially for this day: computed from the current data.",
            ),
            S::Source => ("theo nguồn", "by source"),
            S::F1ByPlace => ("F1 cách ly theo nơi", "F1 in quarantine by place"),
        };
        match lang {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Levels: colour, pattern, name

pub(crate) fn rlang(lang: Lang) -> render::Lang {
    match lang {
        Lang::Vi => render::Lang::Vi,
        Lang::En => render::Lang::En,
    }
}

/// Fill colour of a level (none: not assessed).
pub(crate) fn colour(level: Option<Level>) -> &'static str {
    match level {
        Some(Level::Green) => "#2a7a43",
        Some(Level::Yellow) => "#f2c94c",
        Some(Level::Orange) => "#e67e22",
        Some(Level::Red) => "#c0392b",
        None => "#d0d5d2",
    }
}

/// A level's short name without a rule set: "Cấp 2 · vàng".
pub(crate) fn level_name(level: Option<Level>, lang: Lang) -> String {
    let Some(l) = level else {
        return S::NotAssessed.get(lang).to_string();
    };
    let (vi, en) = match l {
        Level::Green => ("xanh", "green"),
        Level::Yellow => ("vàng", "yellow"),
        Level::Orange => ("cam", "orange"),
        Level::Red => ("đỏ", "red"),
    };
    match lang {
        Lang::Vi => format!("Cấp {} · {vi}", l.number()),
        Lang::En => format!("Level {} · {en}", l.number()),
    }
}

/// The CSS class of a level: `lv1`..`lv4`, `lv0` when not assessed.
pub(crate) fn level_class(level: Option<Level>) -> String {
    format!("lv{}", level.map_or(0, |l| l.number()))
}

// ---------------------------------------------------------------------------------------
// Dates, numbers

pub(crate) fn days_before(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_sub_days(chrono::Days::new(n)).unwrap_or(d)
}

pub(crate) fn pct(x: Option<f64>, lang: Lang) -> String {
    match x {
        Some(v) => format!(
            "{} %",
            render::format_number((v * 10.0).round() / 10.0, rlang(lang))
        ),
        None => "—".into(),
    }
}

pub(crate) fn num1(x: Option<f64>, lang: Lang) -> String {
    match x {
        Some(v) => render::format_number((v * 10.0).round() / 10.0, rlang(lang)),
        None => "—".into(),
    }
}

/// A count as shown to the public: below commune level, counts from 1 to 4 read "<5" so
/// that a household cannot be singled out.
pub(crate) fn public_count(n: i64, unit: &Unit, lang: Lang) -> String {
    if unit.level > vx_domain::UnitLevel::Commune && (1..5).contains(&n) {
        "<5".into()
    } else {
        lang.number(n)
    }
}

/// XML/HTML text escape for hand-written SVG and Atom.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Levels of a unit and its children

pub(crate) use crate::zones::unassessed_notice;

/// Stored levels of a unit and its children across days (numbers only), and the full
/// stored status of the unit on the last day with its rule set.
pub(crate) struct Levels {
    by_unit: HashMap<i64, Vec<(NaiveDate, Level)>>,
    root: Option<(i64, NaiveDate, RuleSet, Outcome)>,
}

impl Levels {
    /// Levels of `unit` and its children for `from..=to`: one query, and the unit's status
    /// on `to` (one query and its rule set).
    pub(crate) async fn load(
        store: &Store,
        unit: &Unit,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Levels, AppError> {
        let mut by_unit: HashMap<i64, Vec<(NaiveDate, Level)>> = HashMap::new();
        for (id, day, n) in store.level_numbers(unit, from, to, false).await? {
            if let Some(l) = Level::from_number(n) {
                by_unit.entry(id).or_default().push((day, l));
            }
        }
        let mut root = None;
        if let Some(z) = store.zone_status(unit, to).await? {
            if let Some(rs) = store
                .rule_set_version(&z.rule_set_id, z.rule_set_version)
                .await?
            {
                root = Some((unit.id, to, rs, z.outcome));
            }
        }
        Ok(Levels { by_unit, root })
    }

    pub(crate) fn level_on(&self, unit_id: i64, day: NaiveDate) -> Option<Level> {
        self.by_unit
            .get(&unit_id)?
            .iter()
            .find(|(d, _)| *d == day)
            .map(|(_, l)| *l)
    }

    /// Days on which the level of a unit changed (from the day before), in order.
    pub(crate) fn changes(&self, unit_id: i64) -> Vec<(NaiveDate, Level, Level)> {
        let Some(v) = self.by_unit.get(&unit_id) else {
            return vec![];
        };
        v.windows(2)
            .filter(|w| w[0].1 != w[1].1 && w[1].0 == w[0].0.succ_opt().unwrap_or(w[0].0))
            .map(|w| (w[1].0, w[0].1, w[1].1))
            .collect()
    }
}

/// The level of a unit on a day with its rule set: stored, else computed over the unit's
/// subtree (not stored) for a signed-in viewer.
pub(crate) async fn status_of(
    store: &Store,
    levels: &Levels,
    unit: &Unit,
    day: NaiveDate,
    compute: bool,
) -> Result<Option<(RuleSet, Outcome, bool)>, AppError> {
    if let Some((id, d, rs, o)) = &levels.root {
        if *id == unit.id && *d == day {
            return Ok(Some((rs.clone(), *o, true)));
        }
    }
    if !compute {
        return Ok(None);
    }
    let run = store.compute_levels(unit, day, day, None).await?;
    let Some(i) = run.batch.units.iter().position(|u| u.id == unit.id) else {
        return Ok(None);
    };
    Ok(run.days[0][i].map(|(s, o)| (run.sets[s].clone(), o, false)))
}

// ---------------------------------------------------------------------------------------
// HTTP caching for the public pages

/// A response with a strong ETag of its body; `304 Not Modified` when the client already
/// has it (If-None-Match).
pub(crate) fn cached(
    headers: &HeaderMap,
    content_type: &'static str,
    body: impl Into<Vec<u8>>,
) -> Response {
    let body = body.into();
    let digest = hex::encode(Sha256::digest(&body));
    let etag = format!("\"{}\"", &digest[..32]);
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*");
    let etag_value = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    let cache = HeaderValue::from_static("public, max-age=300");
    if matches {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_counts_hide_small_numbers_below_communes() {
        let mut u = crate::scope::everywhere();
        u.level = vx_domain::UnitLevel::Hamlet;
        assert_eq!(public_count(0, &u, Lang::Vi), "0");
        assert_eq!(public_count(3, &u, Lang::Vi), "<5");
        assert_eq!(public_count(5, &u, Lang::Vi), "5");
        u.level = vx_domain::UnitLevel::Commune;
        assert_eq!(public_count(3, &u, Lang::Vi), "3");
    }
}
