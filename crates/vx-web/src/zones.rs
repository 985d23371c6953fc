//! Zone status: levels with reasons, measures, lifecycle, targets (issue 4).
//!
//! `GET /api/v1/units/{code}/status?date=D` and the page `/units/{code}/status?date=D`: the
//! stored level of a unit on a day (computed on the fly, not stored, when the day has not
//! been classified yet), the rule set, the reasons and the measures. Same scope as the other
//! unit routes: out of scope is 404. The measures take the unit's local overrides into
//! account and name their source (the level's default in the rule set, or which override).
//!
//! The green-zone lifecycle, heads, reviews, overrides, targets and the policy sandbox are in
//! `life`.

mod life;
pub(crate) use life::{reviews_summary, targets_summary};

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use maud::html;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use vx_domain::Unit;
use vx_store::rules::{self as vr, render, Level, Outcome, RuleSet};
use vx_store::Store;

use crate::auth::{ApiViewer, PageViewer};
use crate::error::{ApiError, AppError, PageError};
use crate::i18n::Lang;
use crate::input::day_or_today;
use crate::pages::{layout, Ctx};
use crate::scope;
use crate::state::AppState;

/// The routes of this part; merged into the application by `crate::router`. No fallback here.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/units/{code}/status", get(status_api))
        .route("/units/{code}/status", get(status_page))
        .merge(life::routes())
}

/// This part's OpenAPI paths and schemas, merged into `/api/v1/openapi.json`.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ZonesDoc::openapi();
    doc.merge(life::LifeDoc::openapi());
    doc
}

#[derive(OpenApi)]
#[openapi(
    paths(status_api),
    components(schemas(
        ZoneStatusDto,
        LevelDto,
        AnnouncedDto,
        RuleSetRef,
        ReasonDto,
        MeasureDto
    ))
)]
struct ZonesDoc;

// ---------------------------------------------------------------------------------------
// Strings of this part (Vietnamese first, English second).

#[derive(Clone, Copy)]
enum Z {
    Title,
    Level,
    InForce,
    Announced,
    RuleSet,
    Reasons,
    Measures,
    Day,
    Show,
    NoRuleSet,
    Incomplete,
    NotStored,
    From,
    OverrideBy,
    LevelDefault,
}

impl Z {
    fn get(self, lang: Lang) -> &'static str {
        let (vi, en) = match self {
            Z::Title => ("Cấp độ dịch", "Zone status"),
            Z::Level => ("Cấp độ", "Level"),
            Z::InForce => ("Cấp độ đang áp dụng", "Level in force"),
            Z::Announced => ("Đã thông báo nâng lên", "Raise announced"),
            Z::RuleSet => ("Bộ tiêu chí", "Rule set"),
            Z::Reasons => ("Lý do", "Reasons"),
            Z::Measures => ("Biện pháp áp dụng", "Measures"),
            Z::Day => ("Ngày", "Date"),
            Z::Show => ("Xem", "Show"),
            Z::NoRuleSet => (
                "Không có bộ tiêu chí nào áp dụng cho ngày này.",
                "No rule set applies on this day.",
            ),
            Z::Incomplete => (
                "Thiếu một số số liệu có thể làm thay đổi cấp độ.",
                "Some figures that could change the level are missing.",
            ),
            Z::NotStored => (
                "Chưa đánh giá chính thức ngày này: kết quả tính tạm từ số liệu hiện có.",
                "Not yet classified officially for this day: computed from the current data.",
            ),
            Z::From => ("từ", "from"),
            Z::OverrideBy => ("điều chỉnh của địa phương", "local override by"),
            Z::LevelDefault => ("mặc định của cấp độ", "level default"),
        };
        match lang {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

fn rlang(lang: Lang) -> render::Lang {
    match lang {
        Lang::Vi => render::Lang::Vi,
        Lang::En => render::Lang::En,
    }
}

/// CSS colour of a level: a background for white text, contrast at least 4.5:1 (WCAG AA).
fn colour(level: Level) -> &'static str {
    match level {
        Level::Green => "#1b7f3b",
        Level::Yellow => "#8a6700",
        Level::Orange => "#a84300",
        Level::Red => "#c0392b",
    }
}

// ---------------------------------------------------------------------------------------
// Data

/// A level with its names and colour.
#[derive(Debug, Serialize, ToSchema)]
pub struct LevelDto {
    /// 1 (green) to 4 (red), Decision 4800's numbering.
    pub number: u8,
    pub name_vi: String,
    pub name_en: String,
    /// green, yellow, orange or red.
    pub colour: &'static str,
}

/// A raise announced and not yet in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncedDto {
    pub level: LevelDto,
    pub from: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleSetRef {
    pub id: String,
    pub version: u32,
    pub name: String,
}

/// One criterion as evaluated.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonDto {
    /// The criterion: its name, or an object naming it with its parameters.
    #[schema(value_type = Value)]
    pub criterion: serde_json::Value,
    pub value: Option<f64>,
    pub threshold: f64,
    pub met: bool,
    pub decided: bool,
    pub text_vi: String,
    pub text_en: String,
}

/// One measure that applies, with where it comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureDto {
    pub measure: String,
    /// As in rule files: 30, "open", "19:00-05:00", "none", true.
    #[schema(value_type = Value)]
    pub value: serde_json::Value,
    /// `{"level": {...}}` (the rule set's default for the level) or `{"override": {...}}`.
    #[schema(value_type = Object)]
    pub source: serde_json::Value,
    /// For an override: the unit that decided it (the unit or an ancestor).
    pub override_unit: Option<String>,
    /// For an override: the level default it replaces, and whether it relaxes or tightens
    /// it; null for a level default.
    #[schema(value_type = Value)]
    pub default: serde_json::Value,
    pub change: Option<String>,
    pub text_vi: String,
    pub text_en: String,
}

/// The zone status of a unit on a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneStatusDto {
    pub unit: String,
    pub date: NaiveDate,
    pub level: LevelDto,
    pub level_in_force: LevelDto,
    pub announced: Option<AnnouncedDto>,
    pub rule_set: RuleSetRef,
    /// False when the day was not classified yet and the level was computed on the fly.
    pub stored: bool,
    pub incomplete: bool,
    pub method: String,
    pub reasons: Vec<ReasonDto>,
    pub measures: Vec<MeasureDto>,
}

fn level_dto(rs: &RuleSet, level: Level) -> LevelDto {
    LevelDto {
        number: level.number(),
        name_vi: render::level_long(rs, level, render::Lang::Vi),
        name_en: render::level_long(rs, level, render::Lang::En),
        colour: level.name(),
    }
}

fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

fn measure_dtos(
    rs: &RuleSet,
    level: Level,
    overrides: &[vx_store::StoredOverride],
    date: NaiveDate,
) -> Vec<MeasureDto> {
    let rules: Vec<vr::MeasureOverride> = overrides.iter().map(|o| o.rule.clone()).collect();
    vr::measures_for(level, rs, &rules, date)
        .iter()
        .map(|m| MeasureDto {
            measure: m.measure.key().to_string(),
            value: to_json(&m.value),
            source: to_json(&m.source),
            override_unit: match &m.source {
                vr::MeasureSource::Override { index, .. } => {
                    overrides.get(*index).map(|o| o.unit_code.clone())
                }
                vr::MeasureSource::Level { .. } => None,
            },
            default: to_json(&m.default),
            change: m
                .change
                .and_then(|c| to_json(&c).as_str().map(str::to_string)),
            text_vi: render::render_measure(m, render::Lang::Vi),
            text_en: render::render_measure(m, render::Lang::En),
        })
        .collect()
}

fn dto(
    unit: &Unit,
    date: NaiveDate,
    rs: &RuleSet,
    o: &Outcome,
    stored: bool,
    overrides: &[vx_store::StoredOverride],
) -> ZoneStatusDto {
    ZoneStatusDto {
        unit: unit.code.to_string(),
        date,
        level: level_dto(rs, o.level),
        level_in_force: level_dto(rs, o.in_force),
        announced: o.announced.map(|a| AnnouncedDto {
            level: level_dto(rs, a.level),
            from: a.effective_from,
        }),
        rule_set: RuleSetRef {
            id: rs.id.clone(),
            version: rs.version,
            name: rs.name.clone(),
        },
        stored,
        incomplete: o.incomplete,
        method: to_json(&o.method)
            .as_str()
            .unwrap_or("criteria")
            .to_string(),
        reasons: o
            .reasons
            .iter()
            .map(|r| ReasonDto {
                criterion: to_json(&r.criterion),
                value: r.value,
                threshold: r.threshold,
                met: r.met,
                decided: r.decided,
                text_vi: render::render_reason(rs, r, render::Lang::Vi),
                text_en: render::render_reason(rs, r, render::Lang::En),
            })
            .collect(),
        measures: measure_dtos(rs, o.in_force, overrides, date),
    }
}

/// The level of a unit on a day: stored, else computed over the unit's subtree (not stored).
async fn status_of(
    store: &Store,
    unit: &Unit,
    date: NaiveDate,
) -> Result<Option<(RuleSet, Outcome, bool)>, AppError> {
    if let Some(z) = store.zone_status(unit, date).await? {
        if let Some(rs) = store
            .rule_set_version(&z.rule_set_id, z.rule_set_version)
            .await?
        {
            return Ok(Some((rs, z.outcome, true)));
        }
    }
    let run = store.compute_levels(unit, date, date, None).await?;
    let Some(i) = run.batch.units.iter().position(|u| u.id == unit.id) else {
        return Ok(None);
    };
    Ok(run.days[0][i].map(|(s, o)| (run.sets[s].clone(), o, false)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DateQuery {
    /// The day (YYYY-MM-DD); today in Vietnam by default.
    date: Option<String>,
}

/// The zone status of a unit on a day: level, level in force, announced raise, rule set,
/// reasons and measures.
#[utoipa::path(get, path = "/api/v1/units/{code}/status", tag = "units",
    params(("code" = String, Path, description = "Unit code"), DateQuery),
    responses((status = 200, body = ZoneStatusDto), (status = 404, body = crate::error::ErrorBody)))]
async fn status_api(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(code): Path<String>,
    Query(q): Query<DateQuery>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    st.cache
        .page(&v, format!("api {uri}"), || async {
            let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
            let date = day_or_today(q.date.as_deref(), st.config.today())?;
            let (rs, o, stored) = status_of(&st.store, &unit, date)
                .await?
                .ok_or_else(AppError::not_found)?;
            let overrides = st.store.measure_overrides_for(&unit).await?;
            Ok(Json(dto(&unit, date, &rs, &o, stored, &overrides)).into_response())
        })
        .await
}

async fn status_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Query(q): Query<DateQuery>,
) -> Result<Response, PageError> {
    st.cache
        .page(&v, ctx.address(), || async {
            let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
            draw_status(&st, &ctx, &v, &unit, &q, &[]).await
        })
        .await
}

/// The status page, with the errors of the override form if any.
async fn draw_status(
    st: &AppState,
    ctx: &Ctx,
    v: &crate::auth::Viewer,
    unit: &Unit,
    q: &DateQuery,
    errors: &[String],
) -> Result<Response, PageError> {
    let date = day_or_today(q.date.as_deref(), st.config.today())?;
    let status = status_of(&st.store, unit, date).await?;
    let overrides = st.store.measure_overrides_for(unit).await?;
    let links = life::status_links(st, unit, date, ctx.lang).await?;
    let unassessed = unassessed_notice(&st.store, unit, date, ctx.lang, |d| {
        format!("/units/{}/status?date={d}", unit.code)
    })
    .await?;
    let lang = ctx.lang;
    let rl = rlang(lang);
    let body = html! {
        p { a href={"/units/" (unit.code)} { (unit.full_name) } }
        h1 { (Z::Title.get(lang)) " — " (unit.name) ", " (lang.date(date)) }
        @if !errors.is_empty() {
            div.errors role="alert" { ul { @for e in errors { li { (e) } } } }
        }
        (links)
        (unassessed)
        form method="get" action={"/units/" (unit.code) "/status"} {
            label { (Z::Day.get(lang)) " " input type="date" name="date" value=(date.to_string()); }
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            " " button type="submit" { (Z::Show.get(lang)) }
        }
        @match &status {
            None => p { (Z::NoRuleSet.get(lang)) },
            Some((rs, o, stored)) => {
                @if !stored { p.muted { (Z::NotStored.get(lang)) } }
                p {
                    (Z::Level.get(lang)) ": "
                    strong.badge style={"background:" (colour(o.level)) ";color:#fff;padding:2px 8px;border-radius:4px"} {
                        (render::level_long(rs, o.level, rl))
                    }
                }
                @if o.in_force != o.level {
                    p { (Z::InForce.get(lang)) ": "
                        strong style={"color:" (colour(o.in_force))} { (render::level_long(rs, o.in_force, rl)) } }
                }
                @if let Some(a) = o.announced {
                    p { (Z::Announced.get(lang)) ": " (render::level_long(rs, a.level, rl)) " "
                        (Z::From.get(lang)) " " (lang.date(a.effective_from)) }
                }
                p { (Z::RuleSet.get(lang)) ": " (if lang == Lang::Vi { &rs.name } else { &rs.name_en })
                    " (" (rs.id) " v" (rs.version) ")" }
                @if o.incomplete { p.muted { (Z::Incomplete.get(lang)) } }
                h2 { (Z::Reasons.get(lang)) }
                ul {
                    @for r in o.reasons.iter() {
                        li { @if r.decided { strong { (render::render_reason(rs, r, rl)) } } @else { (render::render_reason(rs, r, rl)) } }
                    }
                }
                details { summary { (Z::Reasons.get(lang)) " (text)" } pre { (render::explain(rs, o, rl)) } }
                h2 { (Z::Measures.get(lang)) }
                ul {
                    @for m in measure_dtos(rs, o.in_force, &overrides, date) {
                        li { (if lang == Lang::Vi { &m.text_vi } else { &m.text_en })
                            @if let Some(u) = &m.override_unit { " — " em { (Z::OverrideBy.get(lang)) " " (u) } }
                            @else { " — " em { (Z::LevelDefault.get(lang)) } } }
                    }
                }
            }
        }
        (life::overrides_section(v, unit, &overrides, lang))
    };
    Ok(layout(ctx, Some(v), Z::Title.get(lang), body).into_response())
}

/// When `day` has no stored assessment for `unit`: a notice saying so, with a link (made by
/// `href`) to the latest day assessed in the unit's subtree, if any. Empty otherwise.
pub(crate) async fn unassessed_notice(
    store: &Store,
    unit: &Unit,
    day: NaiveDate,
    lang: Lang,
    href: impl Fn(NaiveDate) -> String,
) -> Result<maud::Markup, AppError> {
    if store.zone_status(unit, day).await?.is_some() {
        return Ok(maud::html! {});
    }
    let latest = store.last_stored_day(unit).await?;
    let (none_vi, none_en) = (
        "Chưa có đánh giá cấp độ nào được lưu cho ngày",
        "No stored assessment of levels for",
    );
    Ok(maud::html! {
        p.notice #unassessed role="status" {
            (if lang == Lang::Vi { none_vi } else { none_en }) " " (lang.date(day)) ". "
            @match latest {
                Some(d) => {
                    (if lang == Lang::Vi { "Ngày đánh giá gần nhất:" } else { "Latest assessed day:" }) " "
                    a href=(href(d)) { (lang.date(d)) }
                }
                None => (if lang == Lang::Vi { "Chưa có ngày nào được đánh giá." } else { "No day has been assessed yet." }),
            }
        }
    })
}
