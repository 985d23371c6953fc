//! Green-zone lifecycle, heads of units, accountability reviews, measure overrides, targets
//! and the policy sandbox: API and pages (issue 4).
//!
//! Who may do what (out of scope is always 404 first):
//! * recognise a green zone, and record the progress of a review: a user of a level above the
//!   unit (district or province for a commune), or an administrator — otherwise 403;
//! * register heads, measure overrides and targets: a user of the unit or above (anyone who
//!   sees the unit).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Form, Json, Router};
use chrono::NaiveDate;
use maud::{html, Markup};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use vx_domain::Unit;
use vx_store::rules::targets::{Target, TargetStatus};
use vx_store::rules::zone::{Decision, ZoneState};
use vx_store::rules::{self as vr, render, Level, MeasureId, MeasureOverride, MeasureValue};
use vx_store::{
    NewHead, Review, ReviewStatus, ReviewUpdate, Store, StoreError, StoredOverride, TargetView,
    UnitHead,
};

use super::{colour, rlang, DateQuery};
use crate::auth::{ApiViewer, PageViewer, Viewer};
use crate::error::{ApiError, AppError, PageResult};
use crate::i18n::Lang;
use crate::input::day_or_today;
use crate::pages::{csrf_check, layout, Ctx};
use crate::scope;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/units/{code}/green-zone", get(green_zone_api))
        .route(
            "/api/v1/units/{code}/green-zone/recognitions",
            post(recognise_api),
        )
        .route(
            "/api/v1/units/{code}/heads",
            get(heads_api).post(add_head_api),
        )
        .route(
            "/api/v1/units/{code}/heads/{id}",
            put(update_head_api).delete(delete_head_api),
        )
        .route("/api/v1/units/{code}/reviews", get(reviews_api))
        .route("/api/v1/units/{code}/reviews/{id}", put(update_review_api))
        .route(
            "/api/v1/units/{code}/measure-overrides",
            get(overrides_api).post(add_override_api),
        )
        .route(
            "/api/v1/units/{code}/targets",
            get(targets_api).post(add_target_api),
        )
        .route("/api/v1/units/{code}/sandbox", get(sandbox_api))
        .route("/units/{code}/green-zone", get(green_zone_page))
        .route("/units/{code}/green-zone/recognise", post(recognise_form))
        .route("/units/{code}/heads", post(add_head_form))
        .route("/units/{code}/heads/{id}/delete", post(delete_head_form))
        .route("/units/{code}/reviews/{id}", post(review_form))
        .route("/units/{code}/measure-overrides", post(add_override_form))
        .route(
            "/units/{code}/targets",
            get(targets_page).post(add_target_form),
        )
        .route("/units/{code}/sandbox", get(sandbox_page))
        .route("/units/{code}/sandbox/compare", get(compare_page))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        green_zone_api,
        recognise_api,
        heads_api,
        add_head_api,
        update_head_api,
        delete_head_api,
        reviews_api,
        update_review_api,
        overrides_api,
        add_override_api,
        targets_api,
        add_target_api,
        sandbox_api
    ),
    components(schemas(
        GreenZoneDto,
        EventDto,
        HeadDto,
        HeadInput,
        ReviewDto,
        ReviewInput,
        RecogniseInput,
        OverrideDto,
        OverrideInput,
        TargetDto,
        HeldBackDto,
        TargetInput,
        SandboxDto,
        ChangeDto
    ))
)]
pub(super) struct LifeDoc;

// ---------------------------------------------------------------------------------------
// Strings (Vietnamese first, English second)

#[derive(Clone, Copy)]
enum L {
    GreenZone,
    State,
    Recognitions,
    Recognise,
    DecisionNumber,
    DecisionDate,
    DecidedBy,
    Events,
    Heads,
    Name,
    Title,
    TermFrom,
    TermTo,
    Add,
    Delete,
    Reviews,
    Case,
    HeadsThatDay,
    Status,
    Notes,
    Outcome,
    Save,
    NoReviews,
    Targets,
    TargetLevel,
    By,
    Margin,
    Note,
    Earliest,
    HeldBack,
    NotByWaiting,
    Sandbox,
    RuleSet,
    FromDay,
    ToDay,
    Run,
    Official,
    Simulated,
    Why,
    NoChange,
    Overrides,
    Measure,
    Value,
    Levels,
    OnlyAbove,
    Changes,
    Compare,
    CompareHelp,
    Unit,
    DaysAtLevel,
    Disagree,
    DataMissing,
}

impl L {
    fn get(self, lang: Lang) -> &'static str {
        let (vi, en) = match self {
            L::GreenZone => ("Vùng xanh", "Green zone"),
            L::State => ("Trạng thái", "State"),
            L::Recognitions => ("Số lần công nhận", "Times recognised"),
            L::Recognise => ("Công nhận vùng xanh", "Recognise as green zone"),
            L::DecisionNumber => ("Số quyết định", "Decision number"),
            L::DecisionDate => ("Ngày quyết định", "Decision date"),
            L::DecidedBy => ("Cơ quan quyết định", "Decided by"),
            L::Events => ("Diễn biến", "History"),
            L::Heads => ("Người đứng đầu", "Heads of the unit"),
            L::Name => ("Họ tên", "Name"),
            L::Title => ("Chức vụ", "Title"),
            L::TermFrom => ("Nhiệm kỳ từ", "Term from"),
            L::TermTo => ("đến", "to"),
            L::Add => ("Thêm", "Add"),
            L::Delete => ("Xóa", "Delete"),
            L::Reviews => ("Xem xét trách nhiệm", "Accountability reviews"),
            L::Case => ("Ca bệnh", "Case"),
            L::HeadsThatDay => (
                "Người đứng đầu tại thời điểm đó",
                "Heads in office that day",
            ),
            L::Status => ("Tình trạng", "Status"),
            L::Notes => ("Ghi chú", "Notes"),
            L::Outcome => ("Kết luận", "Outcome"),
            L::Save => ("Lưu", "Save"),
            L::NoReviews => ("Chưa có.", "None."),
            L::Targets => ("Mục tiêu", "Targets"),
            L::TargetLevel => ("Cấp độ cần đạt", "Level to reach"),
            L::By => ("Trước ngày", "By"),
            L::Margin => ("Số ngày dự phòng", "Days of margin"),
            L::Note => ("Ghi chú", "Note"),
            L::Earliest => ("Sớm nhất có thể đạt", "Earliest reachable"),
            L::HeldBack => ("Đơn vị đang kéo lùi", "Units holding it back"),
            L::NotByWaiting => ("không thể chỉ bằng chờ đợi", "not by waiting alone"),
            L::Sandbox => ("Thử nghiệm chính sách", "Policy sandbox"),
            L::RuleSet => ("Bộ tiêu chí", "Rule set"),
            L::FromDay => ("Từ ngày", "From"),
            L::ToDay => ("Đến ngày", "To"),
            L::Run => ("Chạy thử", "Run"),
            L::Official => ("Chính thức", "Official"),
            L::Simulated => ("Thử nghiệm", "Simulated"),
            L::Why => ("Vì sao", "Why"),
            L::NoChange => (
                "Không đơn vị nào đổi cấp độ trong khoảng này.",
                "No unit changes level over this period.",
            ),
            L::Overrides => (
                "Điều chỉnh biện pháp tại địa phương",
                "Local measure overrides",
            ),
            L::Measure => ("Biện pháp", "Measure"),
            L::Value => ("Giá trị", "Value"),
            L::Levels => (
                "Ở cấp độ (để trống: mọi cấp)",
                "At levels (empty: every level)",
            ),
            L::OnlyAbove => (
                "Chỉ cấp trên mới được công nhận vùng xanh và kết luận xem xét trách nhiệm.",
                "Only a level above may recognise a green zone and conclude a review.",
            ),
            L::Changes => ("thay đổi", "changes"),
            L::Compare => ("So sánh các bộ quy tắc", "Rule sets side by side"),
            L::CompareHelp => (
                "Mỗi bộ quy tắc được áp dụng cho cả giai đoạn (không lưu kết quả). Mỗi chữ số là cấp độ của một ngày.",
                "Each rule set is applied to the whole period (nothing is stored). Each digit is the level of one day.",
            ),
            L::Unit => ("Đơn vị", "Unit"),
            L::DaysAtLevel => ("Số ngày ở cấp 1 · 2 · 3 · 4", "Days at level 1 · 2 · 3 · 4"),
            L::Disagree => (
                "đơn vị-ngày có cấp độ khác nhau giữa các bộ quy tắc",
                "unit-days whose level differs between the rule sets",
            ),
            L::DataMissing => ("ngày thiếu số liệu", "days with data missing"),
        };
        match lang {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

fn state_text(s: &ZoneState, lang: Lang) -> String {
    render::zone_state(s, rlang(lang))
}

fn state_name(s: vr::zone::StateName, lang: Lang) -> &'static str {
    use vr::zone::StateName as N;
    match (s, lang) {
        (N::NotGreen, Lang::Vi) => "chưa xanh",
        (N::Candidate, Lang::Vi) => "đủ tiêu chí",
        (N::Recognised, Lang::Vi) => "được công nhận",
        (N::Broken, Lang::Vi) => "bị phá vỡ",
        (N::Restoring, Lang::Vi) => "đang khôi phục",
        (N::NotGreen, Lang::En) => "not green",
        (N::Candidate, Lang::En) => "candidate",
        (N::Recognised, Lang::En) => "recognised",
        (N::Broken, Lang::En) => "broken",
        (N::Restoring, Lang::En) => "restoring",
    }
}

fn event_text(e: &vr::zone::ZoneEvent, lang: Lang) -> String {
    use vr::zone::ZoneEvent as E;
    match (e, lang) {
        (
            E::Assessed {
                candidate: true, ..
            },
            Lang::Vi,
        ) => "đánh giá: đủ tiêu chí vùng xanh".into(),
        (
            E::Assessed {
                candidate: false, ..
            },
            Lang::Vi,
        ) => "đánh giá: chưa đủ tiêu chí".into(),
        (
            E::Assessed {
                candidate: true, ..
            },
            Lang::En,
        ) => "assessed: criteria met".into(),
        (
            E::Assessed {
                candidate: false, ..
            },
            Lang::En,
        ) => "assessed: criteria not met".into(),
        (E::Recognise { decision }, Lang::Vi) => {
            format!("công nhận theo {} ({})", decision.number, decision.by)
        }
        (E::Recognise { decision }, Lang::En) => {
            format!("recognised by {} ({})", decision.number, decision.by)
        }
        (E::CommunityCase { case_id, .. }, Lang::Vi) => format!("ca cộng đồng mới #{case_id}"),
        (E::CommunityCase { case_id, .. }, Lang::En) => format!("new community case #{case_id}"),
    }
}

fn status_text(s: ReviewStatus, lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => s.name_vi(),
        Lang::En => s.as_str(),
    }
}

fn target_status_text(s: TargetStatus, lang: Lang) -> &'static str {
    match (s, lang) {
        (TargetStatus::Reached, Lang::Vi) => "đã đạt",
        (TargetStatus::OnTrack, Lang::Vi) => "đúng tiến độ",
        (TargetStatus::AtRisk, Lang::Vi) => "có nguy cơ không đạt",
        (TargetStatus::Missed, Lang::Vi) => "không đạt",
        (TargetStatus::Reached, Lang::En) => "reached",
        (TargetStatus::OnTrack, Lang::En) => "on track",
        (TargetStatus::AtRisk, Lang::En) => "at risk",
        (TargetStatus::Missed, Lang::En) => "missed",
    }
}

// ---------------------------------------------------------------------------------------
// Who may do what

/// A user of a level above the unit (or an administrator); the unit is already in scope.
fn is_above(v: &Viewer, unit: &Unit) -> bool {
    v.access.is_admin()
        || v.access
            .role
            .scope_level()
            .is_some_and(|l| l < unit.level && v.access.sees_unit(unit))
}

fn require_above(v: &Viewer, unit: &Unit) -> Result<(), AppError> {
    if is_above(v, unit) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only a user of a level above the unit may do this",
        ))
    }
}

fn store_message(e: StoreError) -> Result<String, AppError> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
        other => Err(other.into()),
    }
}

fn date_field(s: &str, field: &str, errors: &mut Vec<String>) -> Option<NaiveDate> {
    match s.trim().parse() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(format!("{field}: YYYY-MM-DD"));
            None
        }
    }
}

fn optional_date(s: &str, field: &str, errors: &mut Vec<String>) -> Option<NaiveDate> {
    if s.trim().is_empty() {
        None
    } else {
        date_field(s, field, errors)
    }
}

fn level_field(n: u8) -> Result<Level, String> {
    Level::from_number(n).ok_or_else(|| format!("level: 1 to 4, not {n}"))
}

fn levels_field(s: &str) -> Result<Vec<Level>, String> {
    s.split([',', ' '])
        .filter(|x| !x.trim().is_empty())
        .map(|x| {
            x.trim()
                .parse::<u8>()
                .map_err(|_| format!("levels: {x:?} is not a number 1 to 4"))
                .and_then(level_field)
        })
        .collect()
}

/// A measure value from its text as rule files write it (`10`, `open`, `19:00-05:00`,
/// `none`, `true`), checked by the rule-file reader.
fn measure_value(measure: &str, value: &str) -> Result<(MeasureId, MeasureValue), String> {
    let v = value.trim();
    let literal = if v.parse::<f64>().is_ok() || v == "true" || v == "false" {
        v.to_string()
    } else {
        format!("{:?}", v)
    };
    let text = format!(
        "[[override]]\nid = \"x\"\nmeasure = {:?}\nvalue = {literal}\nfrom = 2021-01-01\n",
        measure.trim()
    );
    let parsed = vr::load_overrides_str(&text, "form").map_err(|e| {
        e.to_string()
            .lines()
            .map(|l| l.split(": field ").last().unwrap_or(l).to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let o = parsed.into_iter().next().ok_or("no value")?;
    Ok((o.measure, o.value))
}

// ---------------------------------------------------------------------------------------
// Data

/// A lifecycle event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    pub day: NaiveDate,
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
    pub from: String,
    pub to: String,
    pub actor: String,
}

/// A head of a unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeadDto {
    pub id: i64,
    pub name: String,
    pub title: String,
    pub term_from: NaiveDate,
    pub term_to: Option<NaiveDate>,
}

/// A head to register or change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct HeadInput {
    pub name: String,
    pub title: String,
    pub term_from: NaiveDate,
    pub term_to: Option<NaiveDate>,
}

/// An accountability review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDto {
    pub id: i64,
    pub unit: String,
    pub opened_on: NaiveDate,
    pub case: String,
    pub decision_number: String,
    pub decision_date: NaiveDate,
    pub heads: Vec<HeadDto>,
    /// open, in-progress or closed.
    pub status: String,
    pub notes: String,
    pub outcome: String,
}

/// The progress of a review.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReviewInput {
    /// open, in-progress or closed (a closed review needs an outcome).
    pub status: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub outcome: String,
}

/// A recognition by the level above.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RecogniseInput {
    pub decision_number: String,
    pub date: NaiveDate,
    /// Who decided; the user's name by default.
    #[serde(default)]
    pub by: Option<String>,
}

/// The green-zone record of a unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct GreenZoneDto {
    pub unit: String,
    /// not_green, candidate, recognised, broken or restoring.
    pub state: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub text_vi: String,
    pub text_en: String,
    pub recognitions: u32,
    pub events: Vec<EventDto>,
    pub heads: Vec<HeadDto>,
    pub reviews: Vec<ReviewDto>,
}

/// A local measure override.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverrideDto {
    pub id: i64,
    /// The unit that decided it (the unit or an ancestor).
    pub unit: String,
    pub decision: String,
    pub measure: String,
    #[schema(value_type = Value)]
    pub value: serde_json::Value,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub levels: Vec<u8>,
    pub note: String,
}

/// A measure override to store.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OverrideInput {
    /// The decision, e.g. "QĐ 12/QĐ-UBND".
    pub decision: String,
    /// A measure key, e.g. gathering_max, markets, curfew.
    pub measure: String,
    /// As in rule files: 30, "open", "19:00-05:00", "none", true.
    #[schema(value_type = Value)]
    pub value: serde_json::Value,
    pub from: NaiveDate,
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// Levels 1–4 at which it applies; empty: every level.
    #[serde(default)]
    pub levels: Vec<u8>,
    #[serde(default)]
    pub note: String,
}

/// A child unit holding a target back.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldBackDto {
    pub unit: String,
    pub name: String,
    pub level: u8,
    pub earliest: Option<NaiveDate>,
}

/// A target with its progress on a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetDto {
    pub id: i64,
    pub unit: String,
    pub level: u8,
    pub by: NaiveDate,
    pub margin_days: u32,
    pub note: String,
    pub date: NaiveDate,
    /// reached, on_track, at_risk or missed.
    pub status: String,
    pub level_today: u8,
    pub reached_on: Option<NaiveDate>,
    /// Earliest day reachable by waiting (no new community case); null: not by waiting alone.
    pub earliest: Option<NaiveDate>,
    pub held_back_by: Vec<HeldBackDto>,
}

/// A target to set.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TargetInput {
    /// Highest acceptable level, 1–4 (1: green, the new normal).
    #[schema(minimum = 1, maximum = 4)]
    pub level: u8,
    pub by: NaiveDate,
    /// Days of margin before the target day (0–365, default 3).
    #[serde(default = "three")]
    #[schema(minimum = 0, maximum = 365)]
    pub margin_days: u32,
    #[serde(default)]
    pub note: String,
}

/// The largest margin of a target: a year.
const MAX_MARGIN_DAYS: u32 = 365;

fn three() -> u32 {
    3
}

/// A unit and day whose level changes under the simulated rule set.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeDto {
    pub unit: String,
    pub name: String,
    pub date: NaiveDate,
    pub official: u8,
    pub simulated: u8,
    pub official_rule_set: String,
    pub why_vi: String,
    pub why_en: String,
}

/// The policy sandbox: where another rule set would give other levels (nothing stored).
#[derive(Debug, Serialize, ToSchema)]
pub struct SandboxDto {
    pub unit: String,
    pub rule_set: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub unit_days: usize,
    pub changes: Vec<ChangeDto>,
}

fn head_dto(h: &UnitHead) -> HeadDto {
    HeadDto {
        id: h.id,
        name: h.name.clone(),
        title: h.title.clone(),
        term_from: h.term_from,
        term_to: h.term_to,
    }
}

fn review_dto(r: &Review) -> ReviewDto {
    ReviewDto {
        id: r.id,
        unit: r.unit_code.clone(),
        opened_on: r.opened_on,
        case: r.case_ref.clone(),
        decision_number: r.decision.number.clone(),
        decision_date: r.decision.date,
        heads: r.heads.iter().map(head_dto).collect(),
        status: r.status.as_str().to_string(),
        notes: r.notes.clone(),
        outcome: r.outcome.clone(),
    }
}

fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

fn override_dto(o: &StoredOverride) -> OverrideDto {
    OverrideDto {
        id: o.id,
        unit: o.unit_code.clone(),
        decision: o.rule.id.clone(),
        measure: o.rule.measure.key().to_string(),
        value: to_json(&o.rule.value),
        from: o.rule.from,
        to: o.rule.to,
        levels: o.rule.levels.iter().map(|l| l.number()).collect(),
        note: o.rule.note.clone(),
    }
}

fn target_dto(t: &TargetView) -> TargetDto {
    TargetDto {
        id: t.target.id,
        unit: t.target.unit_code.clone(),
        level: t.target.target.level.number(),
        by: t.target.target.by,
        margin_days: t.target.target.margin_days,
        note: t.target.note.clone(),
        date: t.today,
        status: to_json(&t.progress.status)
            .as_str()
            .unwrap_or("")
            .to_string(),
        level_today: t.progress.level_today.number(),
        reached_on: t.progress.reached_on,
        earliest: t.progress.earliest,
        held_back_by: t
            .held_back
            .iter()
            .map(|h| HeldBackDto {
                unit: h.code.clone(),
                name: h.name.clone(),
                level: h.level.number(),
                earliest: h.earliest,
            })
            .collect(),
    }
}

async fn green_zone_dto(store: &Store, unit: &Unit) -> Result<GreenZoneDto, AppError> {
    let view = store.green_zone_view(unit).await?;
    let state = to_json(&view.record.state);
    Ok(GreenZoneDto {
        unit: unit.code.to_string(),
        state: state["state"].as_str().unwrap_or("not_green").to_string(),
        detail: state,
        text_vi: state_text(&view.record.state, Lang::Vi),
        text_en: state_text(&view.record.state, Lang::En),
        recognitions: view.record.recognitions,
        events: view
            .events
            .iter()
            .map(|e| EventDto {
                day: e.day,
                event: to_json(&e.event),
                from: to_json(&e.from).as_str().unwrap_or("").to_string(),
                to: to_json(&e.to).as_str().unwrap_or("").to_string(),
                actor: e.actor.clone(),
            })
            .collect(),
        heads: store.unit_heads(unit).await?.iter().map(head_dto).collect(),
        reviews: store
            .reviews_of(unit)
            .await?
            .iter()
            .map(review_dto)
            .collect(),
    })
}

fn unit_head_input(h: &HeadInput) -> NewHead {
    NewHead {
        name: h.name.clone(),
        title: h.title.clone(),
        term_from: h.term_from,
        term_to: h.term_to,
    }
}

async fn head_of(store: &Store, unit: &Unit, id: &str) -> Result<UnitHead, AppError> {
    let id: i64 = id.trim().parse().map_err(|_| AppError::not_found())?;
    store
        .unit_head(id)
        .await?
        .filter(|h| h.unit_id == unit.id)
        .ok_or_else(AppError::not_found)
}

async fn review_of(store: &Store, unit: &Unit, id: &str) -> Result<Review, AppError> {
    let id: i64 = id.trim().parse().map_err(|_| AppError::not_found())?;
    store
        .review(id)
        .await?
        .filter(|r| r.unit_id == unit.id)
        .ok_or_else(AppError::not_found)
}

fn bad_request(msg: String) -> AppError {
    AppError::BadRequest(msg)
}

// ---------------------------------------------------------------------------------------
// API

/// The green-zone record of a unit: state, events, heads and reviews.
#[utoipa::path(get, path = "/api/v1/units/{code}/green-zone", tag = "zones",
    params(("code" = String, Path, description = "Unit code")),
    responses((status = 200, body = GreenZoneDto), (status = 404, body = crate::error::ErrorBody)))]
async fn green_zone_api(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(code): Path<String>,
) -> Result<Json<GreenZoneDto>, ApiError> {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    Ok(Json(green_zone_dto(&st.store, &unit).await?))
}

/// Recognises a unit as a green zone (a user of a level above). 409 when the unit is not a
/// candidate (or not restoring with its criteria met).
#[utoipa::path(post, path = "/api/v1/units/{code}/green-zone/recognitions", tag = "zones",
    params(("code" = String, Path, description = "Unit code")), request_body = RecogniseInput,
    responses((status = 200, body = GreenZoneDto), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn recognise_api(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(code): Path<String>,
    Json(input): Json<RecogniseInput>,
) -> Result<Json<GreenZoneDto>, ApiError> {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    require_above(&v, &unit)?;
    let decision = Decision {
        number: input.decision_number.trim().to_string(),
        date: input.date,
        by: input
            .by
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(|| v.user.display_name.clone()),
    };
    st.store
        .recognise_green_zone(&v.user.actor(), &unit, decision)
        .await?;
    Ok(Json(green_zone_dto(&st.store, &unit).await?))
}

/// The heads of a unit.
#[utoipa::path(get, path = "/api/v1/units/{code}/heads", tag = "zones",
    params(("code" = String, Path, description = "Unit code")),
    responses((status = 200, body = [HeadDto]), (status = 404, body = crate::error::ErrorBody)))]
async fn heads_api(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(code): Path<String>,
) -> Result<Json<Vec<HeadDto>>, ApiError> {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let heads = st.store.unit_heads(&unit).await?;
    Ok(Json(heads.iter().map(head_dto).collect()))
}

/// Registers a head of a unit.
#[utoipa::path(post, path = "/api/v1/units/{code}/heads", tag = "zones",
    params(("code" = String, Path, description = "Unit code")), request_body = HeadInput,
    responses((status = 200, body = HeadDto), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
async fn add_head_api(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(code): Path<String>,
    Json(input): Json<HeadInput>,
) -> Result<Json<HeadDto>, ApiError> {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let h = st
        .store
        .add_unit_head(&v.user.actor(), &unit, &unit_head_input(&input))
        .await?;
    Ok(Json(head_dto(&h)))
}

/// Changes a head's name, title or term.
#[utoipa::path(put, path = "/api/v1/units/{code}/heads/{id}", tag = "zones",
    params(("code" = String, Path, description = "Unit code"), ("id" = i64, Path, description = "Head")),
    request_body = HeadInput,
    responses((status = 200, body = HeadDto), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
async fn update_head_api(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path((code, id)): Path<(String, String)>,
    Json(input): Json<HeadInput>,
) -> Result<Json<HeadDto>, ApiError> {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let h = head_of(&st.store, &unit, &id).await?;
    let h = st
        .store
        .update_unit_head(&v.user.actor(), h.id, &unit_head_input(&input))
        .await?;
    Ok(Json(head_dto(&h)))
}

/// Removes a head entered by mistake.
#[utoipa::path(delete, path = "/api/v1/units/{code}/heads/{id}", tag = "zones",
    params(("code" = String, Path, description = "Unit code"), ("id" = i64, Path, description = "Head")),
    responses((status = 200, body = [HeadDto]), (status = 404, body = crate::error::ErrorBody)))]
async fn delete_head_api(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path((code, id)): Path<(String, String)>,
) -> Result<Json<Vec<HeadDto>>, ApiError> {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let h = head_of(&st.store, &unit, &id).await?;
    st.store.delete_unit_head(&v.user.actor(), h.id).await?;
    let heads = st.store.unit_heads(&unit).await?;
    Ok(Json(heads.iter().map(head_dto).collect()))
}

/// The accountability reviews of a unit, latest first.
#[utoipa::path(get, path = "/api/v1/units/{code}/reviews", tag = "zones",
    params(("code" = String, Path, description = "Unit code")),
    responses((status = 200, body = [ReviewDto]), (status = 404, body = crate::error::ErrorBody)))]
async fn reviews_api(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(code): Path<String>,
) -> Result<Json<Vec<ReviewDto>>, ApiError> {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let reviews = st.store.reviews_of(&unit).await?;
    Ok(Json(reviews.iter().map(review_dto).collect()))
}

/// Records the progress of a review (a user of a level above).
#[utoipa::path(put, path = "/api/v1/units/{code}/reviews/{id}", tag = "zones",
    params(("code" = String, Path, description = "Unit code"), ("id" = i64, Path, description = "Review")),
    request_body = ReviewInput,
    responses((status = 200, body = ReviewDto), (status = 400, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn update_review_api(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path((code, id)): Path<(String, String)>,
    Json(input): Json<ReviewInput>,
) -> Result<Json<ReviewDto>, ApiError> {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let r = review_of(&st.store, &unit, &id).await?;
    require_above(&v, &unit)?;
    let status = ReviewStatus::parse(&input.status)
        .ok_or_else(|| bad_request("status: open, in-progress or closed".into()))?;
    let r = st
        .store
        .update_review(
            &v.user.actor(),
            r.id,
            &ReviewUpdate {
                status,
                notes: input.notes,
                outcome: input.outcome,
            },
        )
        .await?;
    Ok(Json(review_dto(&r)))
}

/// The measure overrides that concern a unit (its own and its ancestors').
#[utoipa::path(get, path = "/api/v1/units/{code}/measure-overrides", tag = "zones",
    params(("code" = String, Path, description = "Unit code")),
    responses((status = 200, body = [OverrideDto]), (status = 404, body = crate::error::ErrorBody)))]
async fn overrides_api(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(code): Path<String>,
) -> Result<Json<Vec<OverrideDto>>, ApiError> {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let list = st.store.measure_overrides_for(&unit).await?;
    Ok(Json(list.iter().map(override_dto).collect()))
}

fn override_from_input(i: &OverrideInput) -> Result<MeasureOverride, AppError> {
    let value = match &i.value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let (measure, value) = measure_value(&i.measure, &value).map_err(bad_request)?;
    let levels = i
        .levels
        .iter()
        .map(|n| level_field(*n))
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad_request)?;
    Ok(MeasureOverride {
        id: i.decision.trim().to_string(),
        measure,
        value,
        from: i.from,
        to: i.to,
        levels,
        note: i.note.trim().to_string(),
    })
}

/// Stores a local relaxation or tightening of one measure for a unit and its subtree.
#[utoipa::path(post, path = "/api/v1/units/{code}/measure-overrides", tag = "zones",
    params(("code" = String, Path, description = "Unit code")), request_body = OverrideInput,
    responses((status = 200, body = OverrideDto), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
async fn add_override_api(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(code): Path<String>,
    Json(input): Json<OverrideInput>,
) -> Result<Json<OverrideDto>, ApiError> {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let o = override_from_input(&input)?;
    let stored = st
        .store
        .add_measure_override(&v.user.actor(), &unit, &o)
        .await?;
    Ok(Json(override_dto(&stored)))
}

/// The targets of a unit with their progress on a day (today by default).
#[utoipa::path(get, path = "/api/v1/units/{code}/targets", tag = "zones",
    params(("code" = String, Path, description = "Unit code"), DateQuery),
    responses((status = 200, body = [TargetDto]), (status = 404, body = crate::error::ErrorBody)))]
async fn targets_api(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(code): Path<String>,
    Query(q): Query<DateQuery>,
) -> Result<Json<Vec<TargetDto>>, ApiError> {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let date = day_or_today(q.date.as_deref(), st.config.today())?;
    let views = st.store.target_views(&unit, date).await?;
    Ok(Json(views.iter().map(target_dto).collect()))
}

/// Sets a target: reach a level (or lower) by a date.
#[utoipa::path(post, path = "/api/v1/units/{code}/targets", tag = "zones",
    params(("code" = String, Path, description = "Unit code"), DateQuery), request_body = TargetInput,
    responses((status = 200, body = TargetDto), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
async fn add_target_api(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(code): Path<String>,
    Query(q): Query<DateQuery>,
    Json(input): Json<TargetInput>,
) -> Result<Json<TargetDto>, ApiError> {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let date = day_or_today(q.date.as_deref(), st.config.today())?;
    let level = level_field(input.level).map_err(bad_request)?;
    if input.margin_days > MAX_MARGIN_DAYS {
        return Err(bad_request(format!("margin_days: 0 to {MAX_MARGIN_DAYS}")).into());
    }
    let t = st
        .store
        .add_target(
            &v.user.actor(),
            &unit,
            &Target {
                level,
                by: input.by,
                margin_days: input.margin_days,
            },
            &input.note,
        )
        .await?;
    let view = st.store.target_progress(t, date).await?;
    Ok(Json(target_dto(&view)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct SandboxQuery {
    /// A stored rule set id, e.g. qd-4800.
    rule_set: String,
    /// First day (YYYY-MM-DD).
    #[param(format = Date)]
    from: String,
    /// Last day (YYYY-MM-DD), at most 92 days after `from`.
    #[param(format = Date)]
    to: String,
}

const SANDBOX_MAX_DAYS: i64 = 92;

/// A day field that does not parse: 422 naming it.
fn day_field(field: &str) -> crate::error::AppError {
    crate::error::AppError::Invalid(vec![crate::error::FieldProblem {
        field: field.to_string(),
        error: "a day, YYYY-MM-DD".to_string(),
    }])
}
const SANDBOX_MAX_ROWS: usize = 2000;

/// Runs `rule_set` over `unit`'s subtree and compares with the official levels (stored,
/// else computed); nothing is stored.
async fn sandbox(
    store: &Store,
    unit: &Unit,
    rule_set: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<SandboxDto, AppError> {
    if to < from || (to - from).num_days() >= SANDBOX_MAX_DAYS {
        return Err(bad_request(format!(
            "to: between from and {SANDBOX_MAX_DAYS} days after it"
        )));
    }
    let rs = store
        .rule_sets()
        .await?
        .into_iter()
        .find(|r| r.id == rule_set.trim())
        .ok_or_else(|| AppError::not_found_field("rule_set"))?;
    let official = store.compute_levels(unit, from, to, None).await?;
    let stored: HashMap<(i64, NaiveDate), vx_store::ZoneStatus> = store
        .zone_levels(unit, from, to)
        .await?
        .into_iter()
        .map(|z| ((z.unit_id, z.day), z))
        .collect();
    let sim = store
        .compute_levels(unit, from, to, Some(rs.clone()))
        .await?;
    let mut changes = Vec::new();
    let mut unit_days = 0;
    for (k, day) in sim.days.iter().enumerate() {
        let date = from + chrono::Days::new(k as u64);
        for (i, o) in day.iter().enumerate() {
            let Some((_, b)) = o else { continue };
            unit_days += 1;
            let u = &sim.batch.units[i];
            let (a_level, a_set) = match stored.get(&(u.id, date)) {
                Some(z) => (z.outcome.level, z.rule_set_id.clone()),
                None => match official.days[k][i] {
                    Some((s, a)) => (a.level, official.sets[s].id.clone()),
                    None => continue,
                },
            };
            if a_level != b.level && changes.len() < SANDBOX_MAX_ROWS {
                changes.push(ChangeDto {
                    unit: u.code.to_string(),
                    name: u.name.clone(),
                    date,
                    official: a_level.number(),
                    simulated: b.level.number(),
                    official_rule_set: a_set,
                    why_vi: decided(&rs, b, render::Lang::Vi),
                    why_en: decided(&rs, b, render::Lang::En),
                });
            }
        }
    }
    Ok(SandboxDto {
        unit: unit.code.to_string(),
        rule_set: rs.id.clone(),
        from,
        to,
        unit_days,
        changes,
    })
}

fn decided(rs: &vr::RuleSet, o: &vr::Outcome, lang: render::Lang) -> String {
    let parts: Vec<String> = o
        .reasons
        .iter()
        .filter(|r| r.decided)
        .map(|r| render::render_reason(rs, r, lang))
        .collect();
    if parts.is_empty() {
        render::explain(rs, o, lang)
    } else {
        parts.join("; ")
    }
}

/// Policy sandbox: where another rule set would give other levels over a past period, and
/// why; official results are not touched.
#[utoipa::path(get, path = "/api/v1/units/{code}/sandbox", tag = "zones",
    params(("code" = String, Path, description = "Unit code"), SandboxQuery),
    responses((status = 200, body = SandboxDto), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
async fn sandbox_api(
    State(st): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(code): Path<String>,
    Query(q): Query<SandboxQuery>,
) -> Result<Json<SandboxDto>, ApiError> {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let from: NaiveDate = q.from.trim().parse().map_err(|_| day_field("from"))?;
    let to: NaiveDate = q.to.trim().parse().map_err(|_| day_field("to"))?;
    Ok(Json(
        sandbox(&st.store, &unit, &q.rule_set, from, to).await?,
    ))
}

// ---------------------------------------------------------------------------------------
// Pages

fn errors_box(errors: &[String]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.errors role="alert" { ul { @for e in errors { li { (e) } } } }
        }
    }
}

fn lang_field(lang: Lang) -> Markup {
    html! { @if lang == Lang::En { input type="hidden" name="lang" value="en"; } }
}

fn back_to(unit: &Unit, page: &str, lang: Lang) -> Response {
    let q = if lang == Lang::En { "?lang=en" } else { "" };
    Redirect::to(&format!("/units/{}/{page}{q}", unit.code)).into_response()
}

async fn draw_green_zone(
    st: &AppState,
    ctx: &Ctx,
    v: &Viewer,
    unit: &Unit,
    errors: &[String],
) -> PageResult {
    let lang = ctx.lang;
    let view = st.store.green_zone_view(unit).await?;
    let heads = st.store.unit_heads(unit).await?;
    let reviews = st.store.reviews_of(unit).await?;
    let above = is_above(v, unit);
    let base = format!("/units/{}", unit.code);
    let today = st.config.today();
    let body = html! {
        p { a href=(base) { (unit.full_name) } " · " a href={(base) "/status"} { "Cấp độ / Status" }
            " · " a href={(base) "/targets"} { (L::Targets.get(lang)) }
            " · " a href={(base) "/sandbox"} { (L::Sandbox.get(lang)) } }
        h1 { (L::GreenZone.get(lang)) " — " (unit.name) }
        (errors_box(errors))
        p { (L::State.get(lang)) ": " strong { (state_text(&view.record.state, lang)) } }
        p { (L::Recognitions.get(lang)) ": " (view.record.recognitions) }
        @if above {
            h2.no-print { (L::Recognise.get(lang)) }
            form method="post" action={(base) "/green-zone/recognise"} {
                input type="hidden" name="csrf" value=(v.csrf());
                (lang_field(lang))
                label { (L::DecisionNumber.get(lang)) " " input type="text" name="decision_number" required; }
                " " label { (L::DecisionDate.get(lang)) " " input type="date" name="date" value=(today.to_string()) required; }
                " " label { (L::DecidedBy.get(lang)) " " input type="text" name="by" value=(v.user.display_name); }
                " " button type="submit" { (L::Recognise.get(lang)) }
            }
        } @else {
            p.muted { (L::OnlyAbove.get(lang)) }
        }
        h2 { (L::Events.get(lang)) }
        @if view.events.is_empty() { p.muted { (L::NoReviews.get(lang)) } }
        @else {
            div.scroll tabindex="0" { table {
                thead { tr { th { (L::FromDay.get(lang)) } th { (L::State.get(lang)) } th { "" } } }
                tbody { @for e in &view.events {
                    tr { td { (lang.date(e.day)) }
                         td { (state_name(e.from, lang)) " → " (state_name(e.to, lang)) }
                         td { (event_text(&e.event, lang)) " (" (e.actor) ")" } }
                } }
            } }
        }
        h2 { (L::Heads.get(lang)) }
        div.scroll tabindex="0" { table {
            thead { tr { th { (L::Name.get(lang)) } th { (L::Title.get(lang)) } th { (L::TermFrom.get(lang)) } th { (L::TermTo.get(lang)) } th {} } }
            tbody { @for h in &heads {
                tr { td { (h.name) } td { (h.title) } td { (lang.date(h.term_from)) }
                     td { @if let Some(t) = h.term_to { (lang.date(t)) } }
                     td { form.inline method="post" action={(base) "/heads/" (h.id) "/delete"} {
                        input type="hidden" name="csrf" value=(v.csrf());
                        (lang_field(lang))
                        button type="submit" { (L::Delete.get(lang)) } } } }
            } }
        } }
        form method="post" action={(base) "/heads"} {
            input type="hidden" name="csrf" value=(v.csrf());
            (lang_field(lang))
            label { (L::Name.get(lang)) " " input type="text" name="name" required; }
            " " label { (L::Title.get(lang)) " " input type="text" name="title" required; }
            " " label { (L::TermFrom.get(lang)) " " input type="date" name="term_from" required; }
            " " label { (L::TermTo.get(lang)) " " input type="date" name="term_to"; }
            " " button type="submit" { (L::Add.get(lang)) }
        }
        h2 { (L::Reviews.get(lang)) }
        @if reviews.is_empty() { p.muted { (L::NoReviews.get(lang)) } }
        @for r in &reviews {
            section.review {
                h3 { (lang.date(r.opened_on)) " — " (L::Case.get(lang)) " " (r.case_ref) " — " (status_text(r.status, lang)) }
                p { (L::DecisionNumber.get(lang)) ": " (r.decision.number) " (" (lang.date(r.decision.date)) ")" }
                p { (L::HeadsThatDay.get(lang)) ": "
                    @for (i, h) in r.heads.iter().enumerate() { @if i > 0 { ", " } (h.name) " (" (h.title) ")" } }
                @if above {
                    form method="post" action={(base) "/reviews/" (r.id)} {
                        input type="hidden" name="csrf" value=(v.csrf());
                        (lang_field(lang))
                        label { (L::Status.get(lang)) " " select name="status" {
                            @for s in [ReviewStatus::Open, ReviewStatus::InProgress, ReviewStatus::Closed] {
                                option value=(s.as_str()) selected[s == r.status] { (status_text(s, lang)) }
                            } } }
                        br;
                        label { (L::Notes.get(lang)) br; textarea name="notes" rows="3" cols="60" { (r.notes) } }
                        br;
                        label { (L::Outcome.get(lang)) br; textarea name="outcome" rows="2" cols="60" { (r.outcome) } }
                        br;
                        button type="submit" { (L::Save.get(lang)) }
                    }
                    // the form does not print: what it holds does
                    div.print-only {
                        p { (L::Notes.get(lang)) ": " (r.notes) }
                        p { (L::Outcome.get(lang)) ": " (r.outcome) }
                    }
                } @else {
                    p { (L::Notes.get(lang)) ": " (r.notes) }
                    p { (L::Outcome.get(lang)) ": " (r.outcome) }
                }
            }
        }
    };
    Ok(layout(ctx, Some(v), L::GreenZone.get(lang), body).into_response())
}

async fn green_zone_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
) -> PageResult {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    draw_green_zone(&st, &ctx, &v, &unit, &[]).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LifeForm {
    csrf: String,
    decision_number: String,
    date: String,
    by: String,
    name: String,
    title: String,
    term_from: String,
    term_to: String,
    status: String,
    notes: String,
    outcome: String,
    decision: String,
    measure: String,
    value: String,
    from: String,
    to: String,
    levels: String,
    note: String,
}

async fn recognise_form(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Form(f): Form<LifeForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    require_above(&v, &unit)?;
    let mut errors = Vec::new();
    let date = date_field(&f.date, L::DecisionDate.get(ctx.lang), &mut errors);
    if let Some(date) = date {
        let decision = Decision {
            number: f.decision_number.trim().to_string(),
            date,
            by: if f.by.trim().is_empty() {
                v.user.display_name.clone()
            } else {
                f.by.trim().to_string()
            },
        };
        // The refusal in the page's language, before asking the store.
        let current = st.store.green_zone(&unit).await?;
        let event = vr::zone::ZoneEvent::Recognise {
            decision: decision.clone(),
        };
        match current.step(&event) {
            Err(refusal) => errors.push(refusal.message(rlang(ctx.lang))),
            Ok(_) => match st
                .store
                .recognise_green_zone(&v.user.actor(), &unit, decision)
                .await
            {
                Ok(_) => return Ok(back_to(&unit, "green-zone", ctx.lang)),
                Err(e) => errors.push(store_message(e)?),
            },
        }
    }
    draw_green_zone(&st, &ctx, &v, &unit, &errors).await
}

async fn add_head_form(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Form(f): Form<LifeForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let mut errors = Vec::new();
    let from = date_field(&f.term_from, L::TermFrom.get(ctx.lang), &mut errors);
    let to = optional_date(&f.term_to, L::TermTo.get(ctx.lang), &mut errors);
    if let (Some(from), true) = (from, errors.is_empty()) {
        let h = NewHead {
            name: f.name.clone(),
            title: f.title.clone(),
            term_from: from,
            term_to: to,
        };
        match st.store.add_unit_head(&v.user.actor(), &unit, &h).await {
            Ok(_) => return Ok(back_to(&unit, "green-zone", ctx.lang)),
            Err(e) => errors.push(store_message(e)?),
        }
    }
    draw_green_zone(&st, &ctx, &v, &unit, &errors).await
}

async fn delete_head_form(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path((code, id)): Path<(String, String)>,
    Form(f): Form<LifeForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let h = head_of(&st.store, &unit, &id).await?;
    st.store.delete_unit_head(&v.user.actor(), h.id).await?;
    Ok(back_to(&unit, "green-zone", ctx.lang))
}

async fn review_form(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path((code, id)): Path<(String, String)>,
    Form(f): Form<LifeForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let r = review_of(&st.store, &unit, &id).await?;
    require_above(&v, &unit)?;
    let mut errors = Vec::new();
    match ReviewStatus::parse(&f.status) {
        None => errors.push(format!("{}: ?", L::Status.get(ctx.lang))),
        Some(status) => {
            let u = ReviewUpdate {
                status,
                notes: f.notes.clone(),
                outcome: f.outcome.clone(),
            };
            match st.store.update_review(&v.user.actor(), r.id, &u).await {
                Ok(_) => return Ok(back_to(&unit, "green-zone", ctx.lang)),
                Err(e) => errors.push(store_message(e)?),
            }
        }
    }
    draw_green_zone(&st, &ctx, &v, &unit, &errors).await
}

async fn add_override_form(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Form(f): Form<LifeForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let mut errors = Vec::new();
    let from = date_field(&f.from, L::FromDay.get(ctx.lang), &mut errors);
    let to = optional_date(&f.to, L::ToDay.get(ctx.lang), &mut errors);
    let mv = measure_value(&f.measure, &f.value)
        .map_err(|e| errors.push(e))
        .ok();
    let levels = levels_field(&f.levels).map_err(|e| errors.push(e)).ok();
    if let (Some(from), Some((measure, value)), Some(levels), true) =
        (from, mv, levels, errors.is_empty())
    {
        let o = MeasureOverride {
            id: f.decision.trim().to_string(),
            measure,
            value,
            from,
            to,
            levels,
            note: f.note.trim().to_string(),
        };
        match st
            .store
            .add_measure_override(&v.user.actor(), &unit, &o)
            .await
        {
            Ok(_) => return Ok(back_to(&unit, "status", ctx.lang)),
            Err(e) => errors.push(store_message(e)?),
        }
    }
    let q = DateQuery { date: None };
    super::draw_status(&st, &ctx, &v, &unit, &q, &errors).await
}

/// The override form and list on the status page.
pub(super) fn overrides_section(
    v: &Viewer,
    unit: &Unit,
    overrides: &[StoredOverride],
    lang: Lang,
) -> Markup {
    let base = format!("/units/{}", unit.code);
    html! {
        h2 { (L::Overrides.get(lang)) }
        @if !overrides.is_empty() {
            div.scroll tabindex="0" { table {
                thead { tr { th { (L::DecisionNumber.get(lang)) } th { (L::Measure.get(lang)) } th { (L::Value.get(lang)) }
                    th { (L::FromDay.get(lang)) } th { (L::ToDay.get(lang)) } th { (L::Note.get(lang)) } } }
                tbody { @for o in overrides {
                    tr { td { (o.rule.id) " (" (o.unit_name) ")" } td { (o.rule.measure.key()) }
                         td { (to_json(&o.rule.value)) } td { (lang.date(o.rule.from)) }
                         td { @if let Some(t) = o.rule.to { (lang.date(t)) } } td { (o.rule.note) } }
                } }
            } }
        }
        details {
            summary { (L::Add.get(lang)) }
            form method="post" action={(base) "/measure-overrides"} {
                input type="hidden" name="csrf" value=(v.csrf());
                (lang_field(lang))
                label { (L::DecisionNumber.get(lang)) " " input type="text" name="decision" required; }
                " " label { (L::Measure.get(lang)) " " select name="measure" {
                    @for m in MeasureId::ALL { option value=(m.key()) { (m.key()) } } } }
                " " label { (L::Value.get(lang)) " " input type="text" name="value" placeholder="30 / open / 19:00-05:00 / none" required; }
                br;
                label { (L::FromDay.get(lang)) " " input type="date" name="from" required; }
                " " label { (L::ToDay.get(lang)) " " input type="date" name="to"; }
                " " label { (L::Levels.get(lang)) " " input type="text" name="levels" placeholder="1,2"; }
                br;
                label { (L::Note.get(lang)) " " input type="text" name="note" size="60"; }
                " " button type="submit" { (L::Add.get(lang)) }
            }
        }
    }
}

/// The lifecycle and targets summary on the status page.
pub(super) async fn status_links(
    st: &AppState,
    unit: &Unit,
    date: NaiveDate,
    lang: Lang,
) -> Result<Markup, AppError> {
    let gz = st.store.green_zone(unit).await?;
    let targets = st.store.target_views(unit, date).await?;
    let base = format!("/units/{}", unit.code);
    Ok(html! {
        p { a href={(base) "/green-zone"} { (L::GreenZone.get(lang)) } ": " (state_text(&gz.state, lang)) }
        @for t in &targets {
            p { a href={(base) "/targets"} { (L::Targets.get(lang)) } ": "
                (L::TargetLevel.get(lang)) " " (t.target.target.level.number()) ", "
                (L::By.get(lang)) " " (lang.date(t.target.target.by)) " — "
                strong { (target_status_text(t.progress.status, lang)) } }
        }
        p { a href={(base) "/sandbox"} { (L::Sandbox.get(lang)) } }
    })
}

async fn draw_targets(
    st: &AppState,
    ctx: &Ctx,
    v: &Viewer,
    unit: &Unit,
    date: NaiveDate,
    errors: &[String],
) -> PageResult {
    let lang = ctx.lang;
    let views = st.store.target_views(unit, date).await?;
    let base = format!("/units/{}", unit.code);
    let body = html! {
        p { a href=(base) { (unit.full_name) } " · " a href={(base) "/status"} { "Cấp độ / Status" }
            " · " a href={(base) "/green-zone"} { (L::GreenZone.get(lang)) } }
        h1 { (L::Targets.get(lang)) " — " (unit.name) }
        (errors_box(errors))
        form method="get" action={(base) "/targets"} {
            label { (L::FromDay.get(lang)) " " input type="date" name="date" value=(date.to_string()); }
            (lang_field(lang))
            " " button type="submit" { "OK" }
        }
        @for t in &views {
            section.target {
                h2 { (L::TargetLevel.get(lang)) " " (t.target.target.level.number()) " — "
                     (L::By.get(lang)) " " (lang.date(t.target.target.by)) }
                @if !t.target.note.is_empty() { p { (t.target.note) } }
                p { (L::Status.get(lang)) ": " strong style={"color:" (colour(match t.progress.status {
                        TargetStatus::Reached | TargetStatus::OnTrack => Level::Green,
                        TargetStatus::AtRisk => Level::Yellow,
                        TargetStatus::Missed => Level::Red,
                    }))} { (target_status_text(t.progress.status, lang)) } }
                p { (L::Earliest.get(lang)) ": " @match t.progress.earliest {
                    Some(e) => (lang.date(e)),
                    None => (L::NotByWaiting.get(lang)),
                } }
                @if !t.held_back.is_empty() {
                    h3 { (L::HeldBack.get(lang)) }
                    ul { @for h in &t.held_back {
                        li { a href={"/units/" (h.code) "/status?date=" (date)} { (h.name) } " — "
                             (L::TargetLevel.get(lang)) " " (h.level.number()) ", " (L::Earliest.get(lang)) " "
                             @match h.earliest { Some(e) => (lang.date(e)), None => (L::NotByWaiting.get(lang)) } }
                    } }
                }
            }
        }
        h2 { (L::Add.get(lang)) }
        form method="post" action={(base) "/targets"} {
            input type="hidden" name="csrf" value=(v.csrf());
            (lang_field(lang))
            label { (L::TargetLevel.get(lang)) " " select name="level" {
                @for n in 1..=4u8 { option value=(n) { (n) } } } }
            " " label { (L::By.get(lang)) " " input type="date" name="by" required; }
            " " label { (L::Margin.get(lang)) " " input type="number" name="margin_days" value="3" min="0" max="365"; }
            " " label { (L::Note.get(lang)) " " input type="text" name="note"; }
            " " button type="submit" { (L::Add.get(lang)) }
        }
    };
    Ok(layout(ctx, Some(v), L::Targets.get(lang), body).into_response())
}

async fn targets_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Query(q): Query<DateQuery>,
) -> PageResult {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let date = day_or_today(q.date.as_deref(), st.config.today())?;
    draw_targets(&st, &ctx, &v, &unit, date, &[]).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TargetForm {
    csrf: String,
    level: String,
    by: String,
    margin_days: String,
    note: String,
}

async fn add_target_form(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Form(f): Form<TargetForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let mut errors = Vec::new();
    let by = date_field(&f.by, L::By.get(ctx.lang), &mut errors);
    let level = f
        .level
        .trim()
        .parse::<u8>()
        .map_err(|_| "level: 1 to 4".to_string())
        .and_then(level_field)
        .map_err(|e| errors.push(e))
        .ok();
    let margin = if f.margin_days.trim().is_empty() {
        Some(3)
    } else {
        f.margin_days
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|m| *m <= MAX_MARGIN_DAYS)
            .or_else(|| {
                errors.push(format!("{}: 0–{MAX_MARGIN_DAYS}", L::Margin.get(ctx.lang)));
                None
            })
    };
    if let (Some(by), Some(level), Some(margin_days), true) = (by, level, margin, errors.is_empty())
    {
        let t = Target {
            level,
            by,
            margin_days,
        };
        match st
            .store
            .add_target(&v.user.actor(), &unit, &t, &f.note)
            .await
        {
            Ok(_) => return Ok(back_to(&unit, "targets", ctx.lang)),
            Err(e) => errors.push(store_message(e)?),
        }
    }
    let today = st.config.today();
    draw_targets(&st, &ctx, &v, &unit, today, &errors).await
}

async fn sandbox_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Query(q): Query<SandboxQuery>,
) -> PageResult {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let lang = ctx.lang;
    let sets = st.store.rule_sets().await?;
    let mut errors = Vec::new();
    let mut result = None;
    if !q.rule_set.trim().is_empty() {
        let from = date_field(&q.from, L::FromDay.get(lang), &mut errors);
        let to = date_field(&q.to, L::ToDay.get(lang), &mut errors);
        if let (Some(from), Some(to)) = (from, to) {
            match sandbox(&st.store, &unit, &q.rule_set, from, to).await {
                Ok(r) => result = Some(r),
                Err(AppError::BadRequest(m)) => errors.push(m),
                Err(AppError::NotFound { .. }) => {
                    errors.push(format!("{}: ?", L::RuleSet.get(lang)))
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let base = format!("/units/{}", unit.code);
    let body = html! {
        p { a href=(base) { (unit.full_name) } " · " a href={(base) "/status"} { "Cấp độ / Status" } }
        h1 { (L::Sandbox.get(lang)) " — " (unit.name) }
        p { a href={(base) "/sandbox/compare"} { (L::Compare.get(lang)) " (2686, 4800, 218)" } }
        (errors_box(&errors))
        form method="get" action={(base) "/sandbox"} {
            (lang_field(lang))
            label { (L::RuleSet.get(lang)) " " select name="rule_set" {
                @for s in &sets { option value=(s.id) selected[s.id == q.rule_set.trim()] {
                    (s.id) " — " (if lang == Lang::Vi { &s.name } else { &s.name_en }) } } } }
            " " label { (L::FromDay.get(lang)) " " input type="date" name="from" value=(q.from) required; }
            " " label { (L::ToDay.get(lang)) " " input type="date" name="to" value=(q.to) required; }
            " " button type="submit" { (L::Run.get(lang)) }
        }
        @if let Some(r) = &result {
            p { (r.changes.len()) " " (L::Changes.get(lang)) " / " (r.unit_days) }
            @if r.changes.is_empty() { p { (L::NoChange.get(lang)) } }
            @else {
                div.scroll tabindex="0" { table {
                    thead { tr { th { (L::FromDay.get(lang)) } th { (L::Name.get(lang)) } th { (L::Official.get(lang)) }
                        th { (L::Simulated.get(lang)) } th { (L::Why.get(lang)) } } }
                    tbody { @for c in &r.changes {
                        tr { td { (lang.date(c.date)) } td { (c.name) " (" (c.unit) ")" }
                             td { (c.official) " (" (c.official_rule_set) ")" } td { strong { (c.simulated) } }
                             td { (if lang == Lang::Vi { &c.why_vi } else { &c.why_en }) } }
                    } }
                } }
            }
        }
    };
    Ok(layout(&ctx, Some(&v), L::Sandbox.get(lang), body).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CompareQuery {
    from: String,
    to: String,
}

/// The policy sandbox, side by side: the unit and its children under every level rule set
/// (Decision 2686, 4800, 218 and any stored one), each applied to the whole period.
async fn compare_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Query(q): Query<CompareQuery>,
) -> PageResult {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    let lang = ctx.lang;
    let mut errors = Vec::new();
    let mut result = None;
    if !q.from.trim().is_empty() || !q.to.trim().is_empty() {
        let from = date_field(&q.from, L::FromDay.get(lang), &mut errors);
        let to = date_field(&q.to, L::ToDay.get(lang), &mut errors);
        if let (Some(from), Some(to)) = (from, to) {
            if to < from || (to - from).num_days() >= SANDBOX_MAX_DAYS {
                errors.push(match lang {
                    Lang::Vi => {
                        format!("Đến ngày: từ ngày bắt đầu đến {SANDBOX_MAX_DAYS} ngày sau")
                    }
                    Lang::En => {
                        format!("To: between the first day and {SANDBOX_MAX_DAYS} days after it")
                    }
                });
            } else {
                let sets: Vec<vr::RuleSet> = st
                    .store
                    .rule_sets()
                    .await?
                    .into_iter()
                    .filter(|s| !matches!(s.kind, vr::Kind::GreenZone(_)))
                    .collect();
                result = Some(st.store.compare_rule_sets(&unit, from, to, sets).await?);
            }
        }
    }
    let base = format!("/units/{}", unit.code);
    let depth = unit.path.matches('/').count();
    let body = html! {
        p { a href=(base) { (unit.full_name) } " · " a href={(base) "/sandbox"} { (L::Sandbox.get(lang)) } }
        h1 { (L::Compare.get(lang)) " — " (unit.name) }
        p { (L::CompareHelp.get(lang)) }
        (errors_box(&errors))
        form method="get" action={(base) "/sandbox/compare"} {
            (lang_field(lang))
            label { (L::FromDay.get(lang)) " " input type="date" name="from" value=(q.from) required; }
            " " label { (L::ToDay.get(lang)) " " input type="date" name="to" value=(q.to) required; }
            " " button type="submit" { (L::Run.get(lang)) }
        }
        @if let Some(c) = &result {
            p { (c.disagreements()) " " (L::Disagree.get(lang)) " (" (c.days() * c.units.len()) ")" }
            table.compare {
                thead { tr {
                    th { (L::Unit.get(lang)) }
                    @for rs in &c.rule_sets {
                        th { (rs.id) br; small { (if lang == Lang::Vi { &rs.name } else { &rs.name_en }) } }
                    }
                } }
                tbody { @for (i, u) in c.units.iter().enumerate() {
                    @if u.path.matches('/').count() <= depth + 1 {
                        tr {
                            td { a href={"/units/" (u.code) "/sandbox/compare?from=" (q.from) "&to=" (q.to)} { (u.name) } " (" (u.code) ")" }
                            @for s in 0..c.rule_sets.len() {
                                @let n = c.days_at(s, i);
                                @let missing = c.outcomes[s].iter().filter(|d| d[i].incomplete).count();
                                td {
                                    code.days { @for d in &c.outcomes[s] { (d[i].level.number()) } }
                                    br;
                                    small { (L::DaysAtLevel.get(lang)) ": " (n[0]) " · " (n[1]) " · " (n[2]) " · " (n[3])
                                        @if missing > 0 { "; " (missing) " " (L::DataMissing.get(lang)) } }
                                }
                            }
                        }
                    }
                } }
            }
        }
    };
    Ok(layout(&ctx, Some(&v), L::Compare.get(lang), body).into_response())
}

// ---------------------------------------------------------------------------------------
// Summaries for the situation room (dashboard and work lists)

/// The targets of a subtree on `date`, one line each, linking to their unit's targets page.
/// With `at_risk_only`, only those at risk or missed.
pub(crate) fn targets_summary(
    views: &[TargetView],
    date: NaiveDate,
    at_risk_only: bool,
    lang: Lang,
) -> Markup {
    let shown: Vec<&TargetView> = views
        .iter()
        .filter(|t| {
            !at_risk_only
                || matches!(
                    t.progress.status,
                    TargetStatus::AtRisk | TargetStatus::Missed
                )
        })
        .collect();
    html! {
        @if shown.is_empty() {
            p.muted { (L::NoReviews.get(lang)) }
        } @else {
            ul.targets { @for t in shown {
                li {
                    a href={"/units/" (t.target.unit_code) "/targets?date=" (date)} { (t.target.unit_name) } ": "
                    (L::TargetLevel.get(lang)) " " (t.target.target.level.number()) " "
                    (L::By.get(lang)) " " (lang.date(t.target.target.by)) " — "
                    strong { (target_status_text(t.progress.status, lang)) } "; "
                    (L::Earliest.get(lang)) " "
                    @match t.progress.earliest { Some(e) => (lang.date(e)), None => (L::NotByWaiting.get(lang)) }
                    @if !t.held_back.is_empty() {
                        "; " (L::HeldBack.get(lang)) ": "
                        @for (i, h) in t.held_back.iter().enumerate() {
                            @if i > 0 { ", " }
                            a href={"/units/" (h.code) "/status?date=" (date)} { (h.name) }
                        }
                    }
                }
            } }
        }
    }
}

/// Accountability reviews not closed, one line each, linking to their unit's green-zone page.
pub(crate) fn reviews_summary(reviews: &[Review], lang: Lang) -> Markup {
    html! {
        @if reviews.is_empty() {
            p.muted { (L::NoReviews.get(lang)) }
        } @else {
            ul.reviews { @for r in reviews {
                li {
                    a href={"/units/" (r.unit_code) "/green-zone"} { (r.unit_name) } " — "
                    (L::Case.get(lang)) " " (r.case_ref) ", " (lang.date(r.opened_on)) "; "
                    (L::Status.get(lang)) ": " (status_text(r.status, lang)) "; "
                    (L::HeadsThatDay.get(lang)) ": "
                    @for (i, h) in r.heads.iter().enumerate() {
                        @if i > 0 { ", " }
                        (h.name) " (" (h.title) ")"
                    }
                }
            } }
        }
    }
}
