//! Pages of screening: campaigns and rounds (list, create) and a round's coverage per unit
//! with children rolled up. Vietnamese first; no JavaScript; figures only (no person here).

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::html;
use serde::Deserialize;
use vx_domain::epi::{Campaign, NewCampaign, NewRound, Round, TargetGroup};
use vx_domain::{Role, Unit, UnitCode};
use vx_store::StoreError;

use crate::auth::{PageViewer, Viewer};
use crate::error::{AppError, PageError, PageResult};
use crate::i18n::{page_strings, Lang};
use crate::pages::{csrf_check, enc, layout, ok, Ctx};
use crate::scope;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(campaigns_page).post(create_campaign))
        .route("/campaigns/{id}/rounds", post(create_round))
        .route("/rounds/{id}/coverage", get(coverage_page))
        .route("/units/{code}/work", get(work_page))
        .route(
            "/rounds/{id}/units/{code}/sampling",
            get(sampling_page).post(record_sample),
        )
        .route(
            "/rounds/{id}/units/{code}/sampling.xlsx",
            get(sampling_xlsx),
        )
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/checks", post(add_check))
        .route("/cases/{id}/release", post(release))
        .route("/cases/{id}/outcome", post(outcome))
        .route("/cases/{id}/contacts", post(add_contact))
        .route("/cases/{id}/chain", get(chain_page))
        .route("/people/{id}/timeline", get(timeline_page))
}

// ---------------------------------------------------------------------------------------
// Strings (Vietnamese, English)

page_strings! {
    S, s;
    Campaigns => "Chiến dịch xét nghiệm", "Screening campaigns";
    NoCampaigns => "Chưa có chiến dịch nào.", "No campaign yet.";
    Target => "Đối tượng", "Target";
    TargetUnits => "Địa bàn (mã đơn vị, cách nhau bởi dấu phẩy)", "Units (codes, separated by commas)";
    Everyone => "Toàn dân", "Everyone";
    OnePerHousehold => "Mỗi hộ một người", "One person per household";
    Ages => "Theo độ tuổi", "By age";
    Workers => "Người lao động của doanh nghiệp", "Workers of a business";
    AgeFrom => "Từ tuổi", "Age from";
    AgeTo => "Đến tuổi", "Age to";
    Name => "Tên", "Name";
    Round => "Đợt", "Round";
    NoRounds => "Chưa có đợt nào.", "No round yet.";
    Start => "Ngày bắt đầu", "Start";
    End => "Ngày kết thúc", "End";
    NewCampaign => "Tạo chiến dịch", "New campaign";
    NewRound => "Thêm đợt", "Add a round";
    Create => "Tạo", "Create";
    Coverage => "Độ bao phủ và tỷ lệ dương tính", "Coverage and positivity";
    Unit => "Đơn vị", "Unit";
    Targeted => "Cần lấy mẫu", "Targeted";
    Sampled => "Đã lấy mẫu", "Sampled";
    CoveragePct => "Bao phủ", "Coverage";
    Samples => "Số mẫu", "Samples";
    Resulted => "Có kết quả", "With result";
    Positives => "Dương tính", "Positive";
    PositivityPct => "Tỷ lệ dương tính", "Positivity";
    Clean => "Sạch", "Clean";
    CleanYes => "Sạch (không có ca dương tính)", "Clean (no positive)";
    CleanNo => "Chưa", "Not yet";
    Total => "Tổng", "Total";
    Bad => "Thông tin chưa hợp lệ:", "Please correct:";
    Days => "Ngày", "Days";
    WorkList => "Việc cần làm", "Work list";
    Day => "Ngày", "Day";
    TestsDue => "Cần xét nghiệm hôm nay", "Tests due today";
    QuarantinesEnding => "Kết thúc cách ly", "Quarantines ending";
    Overdue => "Quá hạn", "Overdue";
    Retests => "Xét nghiệm lại (mẫu gộp dương tính)", "Retests (positive pools)";
    Proposals => "Đề xuất xác nhận ca bệnh (F0)", "Cases to confirm (F0)";
    Nothing => "Không có.", "None.";
    Person => "Người", "Person";
    Household => "Hộ", "Household";
    Timeline => "Diễn biến dịch tễ", "Epidemiological timeline";
    NoEvents => "Chưa có sự kiện nào.", "No event yet.";
    Event => "Sự kiện", "Event";
    Detail => "Chi tiết", "Detail";
    Go => "Xem", "Show";
    SamplingList => "Danh sách lấy mẫu", "Sampling list";
    Download => "Tải về (Excel)", "Download (Excel)";
    SampledYes => "Đã lấy", "Sampled";
    SampledNo => "Chưa lấy", "Not yet";
    Birth => "Năm sinh", "Birth";
    NewSample => "Nhập mẫu", "Record a sample";
    SampleCode => "Mã mẫu (gõ hoặc quét mã vạch)", "Sample code (type or scan)";
    Method => "Phương pháp", "Method";
    Pooled => "Mẫu gộp", "Pooled";
    HighRisk => "Vùng nguy cơ cao", "High-risk area";
    Collector => "Người lấy mẫu", "Collector";
    Laboratory => "Phòng xét nghiệm", "Laboratory";
    Members => "Người trong mẫu: đánh dấu, hoặc chọn cả hộ", "People in the sample: tick them, or a whole household";
    WholeHousehold => "Cả hộ", "Whole household";
    Save => "Lưu mẫu", "Save the sample";
    Saved => "Đã lưu mẫu", "Sample saved";
    CaseTitle => "Ca bệnh (F0)", "Case (F0)";
    Confirmed => "Ngày xác nhận", "Confirmed on";
    Source => "Nguồn phát hiện", "Source of detection";
    Severity => "Mức độ", "Severity";
    Place => "Nơi cách ly", "Isolation";
    IsolationStart => "Bắt đầu cách ly", "Isolation start";
    ReleaseDue => "Dự kiến kết thúc cách ly", "Release due";
    Released => "Đã kết thúc cách ly", "Released on";
    NegativeTest => "Ngày xét nghiệm âm tính", "Negative test on";
    Outcome => "Kết cục", "Outcome";
    DailyChecks => "Theo dõi hằng ngày", "Daily checks";
    Symptoms => "Triệu chứng", "Symptoms";
    Spo2 => "SpO2 (%)", "SpO2 (%)";
    AddCheck => "Ghi nhận", "Record";
    Release => "Kết thúc cách ly", "Release";
    SetOutcome => "Ghi kết cục", "Record the outcome";
    AddContact => "Thêm người tiếp xúc", "Add a contact";
    PersonId => "Mã người (số trong địa chỉ trang người đó)", "Person id (the number in the person page's address)";
    Exposure => "Ngày tiếp xúc", "Exposure date";
    Vaccinated => "Đã tiêm đủ vắc xin", "Fully vaccinated";
    QuarantineEnd => "Kết thúc cách ly", "Quarantine ends";
    TestDays => "Ngày xét nghiệm", "Test days";
    Chain => "Chuỗi lây nhiễm", "Transmission chain";
    Level => "Cấp", "Level";
    Status => "Trạng thái", "Status";
    More => "Trang sau", "Next page";
    Home => "Tại nhà", "At home";
    Facility => "Cơ sở cách ly", "Facility";
    UploadResults => "Nhập kết quả xét nghiệm", "Import lab results";
    CaseList => "Danh sách F0", "Cases (F0)";
    ConflictList => "Kết quả mâu thuẫn", "Conflicting results";
    IdentityList => "Đối chiếu nhân thân", "Identity review";
    DuplicateList => "Người trùng lặp", "Duplicate people";
    RetestSample => "Ghi mẫu xét nghiệm lại", "Record the retest sample";
    ConfirmCase => "xác nhận F0", "confirm as F0";
    Contacts => "Người tiếp xúc gần (F1)", "Close contacts (F1)";
    AddF2 => "Thêm F2 của người này", "Add an F2 of this person";
}

// ---------------------------------------------------------------------------------------
// Helpers

/// Roles that plan screening: district and commune staff, and administrators.
fn plans(v: &Viewer) -> bool {
    matches!(v.user.role, Role::Admin | Role::District | Role::Commune)
}

/// Roles that see units (laboratories see none: no screening pages).
fn sees_units(v: &Viewer) -> Result<(), PageError> {
    if v.access.role.deepest_level().is_some() {
        Ok(())
    } else {
        Err(PageError(AppError::not_found()))
    }
}

/// Whether a campaign concerns the viewer: a target unit inside the viewer's scope, or
/// above it (a district's campaign covers its communes).
async fn concerns(st: &AppState, v: &Viewer, c: &Campaign) -> Result<bool, PageError> {
    if v.access.is_admin() {
        return Ok(true);
    }
    for code in &c.data.target_units {
        if let Some(u) = st.store.unit(code.as_str()).await? {
            if v.access.sees_unit(&u) || v.user.scope.iter().any(|s| s.path.starts_with(&u.path)) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn target_text(lang: Lang, t: &TargetGroup) -> String {
    match t {
        TargetGroup::Everyone => s(lang, S::Everyone).into(),
        TargetGroup::OnePerHousehold => s(lang, S::OnePerHousehold).into(),
        TargetGroup::Ages { from, to } => format!("{} {from}–{to}", s(lang, S::Ages)),
        TargetGroup::Workers { business } => format!("{}: {business}", s(lang, S::Workers)),
    }
}

// ---------------------------------------------------------------------------------------
// Campaigns and rounds

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CampaignForm {
    csrf: String,
    name: String,
    units: String,
    target: String,
    age_from: String,
    age_to: String,
    business: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RoundForm {
    csrf: String,
    start: String,
    end: String,
}

async fn campaigns_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
) -> PageResult {
    sees_units(&v)?;
    draw_campaigns(&st, &ctx, &v, &CampaignForm::default(), &[]).await
}

async fn draw_campaigns(
    st: &AppState,
    ctx: &Ctx,
    v: &Viewer,
    form: &CampaignForm,
    errors: &[String],
) -> PageResult {
    let lang = ctx.lang;
    let mut shown: Vec<(Campaign, Vec<Round>)> = Vec::new();
    for c in st.store.campaigns().await? {
        if concerns(st, v, &c).await? {
            let rounds = st.store.rounds(c.id).await?;
            shown.push((c, rounds));
        }
    }
    let top = scope::top_units(&st.store, v).await?;
    let unit_param = match top.as_slice() {
        [only] if !v.access.is_admin() => format!("?unit={}", enc(only.code.as_str())),
        _ => String::new(),
    };
    let body = html! {
        h1 { (s(lang, S::Campaigns)) }
        @if shown.is_empty() { p { (s(lang, S::NoCampaigns)) } }
        @for (c, rounds) in &shown {
            section.card {
                h2 { (c.data.name) }
                p.muted {
                    (s(lang, S::Target)) ": " (target_text(lang, &c.data.target)) " · "
                    @for (i, u) in c.data.target_units.iter().enumerate() {
                        @if i > 0 { ", " } (u)
                    }
                }
                @if rounds.is_empty() {
                    p { (s(lang, S::NoRounds)) }
                } @else {
                    div.scroll tabindex="0" { table {
                        thead { tr { th { (s(lang, S::Round)) } th { (s(lang, S::Days)) } th { (s(lang, S::Coverage)) } } }
                        tbody { @for r in rounds { tr {
                            td { (r.data.number) }
                            td { (lang.date(r.data.start)) " – " (lang.date(r.data.end)) }
                            td { a href={"/rounds/" (r.id) "/coverage" (unit_param)} { (s(lang, S::Coverage)) } }
                        } } }
                    } }
                }
                @if plans(v) {
                    form.inline method="post" action={"/campaigns/" (c.id) "/rounds"} {
                        input type="hidden" name="csrf" value=(v.csrf());
                        div.field {
                            label for={"start-" (c.id)} { (s(lang, S::Start)) }
                            input id={"start-" (c.id)} type="date" name="start" required;
                        }
                        div.field {
                            label for={"end-" (c.id)} { (s(lang, S::End)) }
                            input id={"end-" (c.id)} type="date" name="end" required;
                        }
                        button type="submit" { (s(lang, S::NewRound)) }
                    }
                }
            }
        }
        @if plans(v) {
            h2 { (s(lang, S::NewCampaign)) }
            @if !errors.is_empty() {
                div.errors role="alert" {
                    p { (s(lang, S::Bad)) }
                    ul { @for e in errors { li { (e) } } }
                }
            }
            form method="post" action="/campaigns" {
                input type="hidden" name="csrf" value=(v.csrf());
                div.field {
                    label for="name" { (s(lang, S::Name)) }
                    input id="name" type="text" name="name" value=(form.name) required;
                }
                div.field {
                    label for="units" { (s(lang, S::TargetUnits)) }
                    input id="units" type="text" name="units" value=(form.units) required;
                }
                div.field {
                    label for="target" { (s(lang, S::Target)) }
                    select id="target" name="target" {
                        @for (val, key) in [("everyone", S::Everyone), ("one-per-household", S::OnePerHousehold),
                                            ("ages", S::Ages), ("workers", S::Workers)] {
                            option value=(val) selected[form.target == val] { (s(lang, key)) }
                        }
                    }
                }
                div.field {
                    label for="age_from" { (s(lang, S::AgeFrom)) }
                    input id="age_from" type="number" min="0" max="130" name="age_from" value=(form.age_from);
                }
                div.field {
                    label for="age_to" { (s(lang, S::AgeTo)) }
                    input id="age_to" type="number" min="0" max="130" name="age_to" value=(form.age_to);
                }
                div.field {
                    label for="business" { (s(lang, S::Workers)) }
                    input id="business" type="text" name="business" value=(form.business);
                }
                button type="submit" { (s(lang, S::Create)) }
            }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = ok(layout(ctx, Some(v), s(lang, S::Campaigns), body))?;
    *r.status_mut() = status;
    Ok(r)
}

/// The target units of a campaign form, each inside the viewer's scope (else 404 — its
/// existence is not told).
async fn writable_units(
    st: &AppState,
    v: &Viewer,
    raw: &str,
    errors: &mut Vec<String>,
) -> Result<Vec<UnitCode>, PageError> {
    let mut out = Vec::new();
    for part in raw.split([',', ';', ' ']).filter(|p| !p.trim().is_empty()) {
        match UnitCode::parse(part.trim()) {
            Ok(code) => {
                let unit = scope::seen_unit(&st.store, &v.access, code.as_str()).await?;
                out.push(unit.code.clone());
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    Ok(out)
}

async fn create_campaign(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Form(form): Form<CampaignForm>,
) -> PageResult {
    csrf_check(&v, &form.csrf)?;
    if !plans(&v) {
        return Err(PageError(AppError::Forbidden(
            "campaigns are planned by district and commune staff",
        )));
    }
    let mut errors = Vec::new();
    let target_units = writable_units(&st, &v, &form.units, &mut errors).await?;
    let age = |raw: &str, errors: &mut Vec<String>| match raw.trim().parse::<u8>() {
        Ok(a) => a,
        Err(_) => {
            errors.push(format!("{raw:?}: age 0–130"));
            0
        }
    };
    let target = match form.target.as_str() {
        "one-per-household" => TargetGroup::OnePerHousehold,
        "ages" => TargetGroup::Ages {
            from: age(&form.age_from, &mut errors),
            to: age(&form.age_to, &mut errors),
        },
        "workers" => TargetGroup::Workers {
            business: form.business.trim().to_string(),
        },
        _ => TargetGroup::Everyone,
    };
    let new = NewCampaign {
        name: form.name.trim().to_string(),
        target_units,
        target,
    };
    if let Err(e) = new.validate() {
        errors.push(e);
    }
    if errors.is_empty() {
        match st.store.create_campaign(&v.user.actor(), &new).await {
            Ok(_) => return Ok(Redirect::to("/campaigns").into_response()),
            Err(StoreError::Invalid(msg)) | Err(StoreError::Conflict(msg)) => errors.push(msg),
            Err(e) => return Err(e.into()),
        }
    }
    draw_campaigns(&st, &ctx, &v, &form, &errors).await
}

async fn create_round(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(form): Form<RoundForm>,
) -> PageResult {
    csrf_check(&v, &form.csrf)?;
    let campaign = match id.parse::<i64>() {
        Ok(id) => st.store.campaign(id).await?,
        Err(_) => None,
    };
    let Some(campaign) = campaign else {
        return Err(PageError(AppError::not_found()));
    };
    if !concerns(&st, &v, &campaign).await? {
        return Err(PageError(AppError::not_found()));
    }
    if !plans(&v) {
        return Err(PageError(AppError::Forbidden(
            "rounds are planned by district and commune staff",
        )));
    }
    let mut errors = Vec::new();
    let day = |raw: &str, errors: &mut Vec<String>| match raw.trim().parse() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(format!("{raw:?}: YYYY-MM-DD"));
            None
        }
    };
    let (start, end) = (day(&form.start, &mut errors), day(&form.end, &mut errors));
    if let (Some(start), Some(end)) = (start, end) {
        let number = st.store.rounds(campaign.id).await?.len() as u32 + 1;
        let new = NewRound {
            campaign_id: campaign.id,
            number,
            start,
            end,
        };
        match new.validate() {
            Err(e) => errors.push(e),
            Ok(()) => match st.store.create_round(&v.user.actor(), &new).await {
                Ok(_) => return Ok(Redirect::to("/campaigns").into_response()),
                Err(StoreError::Invalid(msg)) | Err(StoreError::Conflict(msg)) => errors.push(msg),
                Err(e) => return Err(e.into()),
            },
        }
    }
    draw_campaigns(&st, &ctx, &v, &CampaignForm::default(), &errors).await
}

// ---------------------------------------------------------------------------------------
// Coverage

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UnitQuery {
    unit: String,
}

fn pct(lang: Lang, v: f64) -> String {
    match lang {
        Lang::Vi => format!("{v:.1}%").replace('.', ","),
        Lang::En => format!("{v:.1}%"),
    }
}

/// A round's coverage and positivity for a unit and each child the viewer sees, children
/// rolled up; each child links one level down.
async fn coverage_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Query(q): Query<UnitQuery>,
) -> PageResult {
    sees_units(&v)?;
    let round = match id.parse::<i64>() {
        Ok(id) => st.store.round(id).await?,
        Err(_) => None,
    }
    .ok_or(PageError(AppError::not_found()))?;
    let campaign = st
        .store
        .campaign(round.data.campaign_id)
        .await?
        .ok_or(PageError(AppError::not_found()))?;
    if !concerns(&st, &v, &campaign).await? {
        return Err(PageError(AppError::not_found()));
    }
    let unit: Unit = if q.unit.trim().is_empty() {
        let top = scope::top_units(&st.store, &v).await?;
        match top.into_iter().next() {
            Some(u) if !v.access.is_admin() => u,
            _ => {
                let first = campaign
                    .data
                    .target_units
                    .first()
                    .ok_or(PageError(AppError::not_found()))?;
                scope::seen_unit(&st.store, &v.access, first.as_str()).await?
            }
        }
    } else {
        scope::seen_unit(&st.store, &v.access, q.unit.trim()).await?
    };
    let children = scope::seen_children(&st.store, &v.access, &unit).await?;
    let rows = st.store.coverage(round.id, &unit).await?;
    let lang = ctx.lang;
    let (total, kids): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|r| r.unit_code == unit.code.as_str());
    let kids: Vec<_> = kids
        .into_iter()
        .filter(|r| children.iter().any(|c| c.code.as_str() == r.unit_code))
        .collect();
    let drill = |code: &str| {
        children
            .iter()
            .find(|c| c.code.as_str() == code)
            .is_some_and(|c| c.level != vx_domain::UnitLevel::Hamlet)
    };
    // a hamlet whose people the viewer sees: its sampling list for the round
    let sampling = |code: &str| {
        children
            .iter()
            .find(|c| c.code.as_str() == code)
            .is_some_and(|c| c.level == vx_domain::UnitLevel::Hamlet && v.access.sees_people_in(c))
    };
    let title = format!(
        "{} · {} {}",
        s(lang, S::Coverage),
        s(lang, S::Round),
        round.data.number
    );
    let body = html! {
        p.muted { a href="/campaigns" { (s(lang, S::Campaigns)) } " › " (campaign.data.name) }
        h1 { (s(lang, S::Coverage)) }
        p {
            (s(lang, S::Round)) " " (round.data.number) " · "
            (lang.date(round.data.start)) " – " (lang.date(round.data.end)) " · "
            (s(lang, S::Target)) ": " (target_text(lang, &campaign.data.target))
        }
        h2 { (unit.full_name) }
        div.scroll tabindex="0" { table {
            thead { tr {
                th { (s(lang, S::Unit)) }
                th.num { (s(lang, S::Targeted)) } th.num { (s(lang, S::Sampled)) }
                th.num { (s(lang, S::CoveragePct)) } th.num { (s(lang, S::Samples)) }
                th.num { (s(lang, S::Resulted)) } th.num { (s(lang, S::Positives)) }
                th.num { (s(lang, S::PositivityPct)) } th { (s(lang, S::Clean)) }
            } }
            tbody {
                @for r in &kids {
                    tr {
                        td { @if drill(&r.unit_code) {
                                a href={"/rounds/" (round.id) "/coverage?unit=" (enc(&r.unit_code))} { (r.unit_name) }
                             } @else if sampling(&r.unit_code) {
                                a href={"/rounds/" (round.id) "/units/" (enc(&r.unit_code)) "/sampling"} { (r.unit_name) }
                             } @else { (r.unit_name) } }
                        td.num { (lang.number(r.targeted)) } td.num { (lang.number(r.sampled)) }
                        td.num { (pct(lang, r.coverage_pct)) } td.num { (lang.number(r.samples)) }
                        td.num { (lang.number(r.resulted)) } td.num { (lang.number(r.positives)) }
                        td.num { (pct(lang, r.positivity_pct)) }
                        td { @if r.clean { span.badge { (s(lang, S::Clean)) } } @else { (s(lang, S::CleanNo)) } }
                    }
                }
                @for r in &total {
                    tr.total {
                        th scope="row" { (s(lang, S::Total)) " · " (r.unit_name) }
                        td.num { (lang.number(r.targeted)) } td.num { (lang.number(r.sampled)) }
                        td.num { (pct(lang, r.coverage_pct)) } td.num { (lang.number(r.samples)) }
                        td.num { (lang.number(r.resulted)) } td.num { (lang.number(r.positives)) }
                        td.num { (pct(lang, r.positivity_pct)) }
                        td { @if r.clean { span.badge { (s(lang, S::CleanYes)) } } @else { (s(lang, S::CleanNo)) } }
                    }
                }
            }
        } }
    };
    ok(layout(&ctx, Some(&v), &title, body))
}

// ---------------------------------------------------------------------------------------
// Work list and timeline (personal data: commune, hamlet and admin within scope)

fn kind_text(lang: Lang, k: vx_domain::epi::TimelineKind) -> &'static str {
    use vx_domain::epi::TimelineKind as K;
    match (lang, k) {
        (Lang::Vi, K::ContactExposure) => "Tiếp xúc",
        (Lang::Vi, K::QuarantineStart) => "Bắt đầu cách ly",
        (Lang::Vi, K::Sampled) => "Lấy mẫu",
        (Lang::Vi, K::Result) => "Kết quả xét nghiệm",
        (Lang::Vi, K::RetestOrdered) => "Chỉ định xét nghiệm lại",
        (Lang::Vi, K::CaseProposed) => "Đề xuất ca bệnh",
        (Lang::Vi, K::CaseConfirmed) => "Xác nhận ca bệnh",
        (Lang::Vi, K::IsolationStart) => "Bắt đầu cách ly điều trị",
        (Lang::Vi, K::DailyCheck) => "Theo dõi hằng ngày",
        (Lang::Vi, K::QuarantineTestDue) => "Ngày xét nghiệm khi cách ly",
        (Lang::Vi, K::QuarantineEnd) => "Hết hạn cách ly",
        (Lang::Vi, K::QuarantineClosed) => "Kết thúc cách ly",
        (Lang::Vi, K::Released) => "Ra viện / hết cách ly",
        (Lang::Vi, K::Outcome) => "Kết cục",
        (Lang::En, k) => k.as_str(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WorkQuery {
    day: String,
    retest: String,
}

async fn work_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Query(q): Query<WorkQuery>,
) -> PageResult {
    let unit = scope::people_unit(&st.store, &v.access, &code).await?;
    let day = q.day.trim().parse().unwrap_or_else(|_| st.config.today());
    let list = st.store.work_list(&unit, day).await?;
    // Case proposals of people inside this unit (one index range).
    let proposals = st.store.proposals_in(&unit, 500).await?;
    let lang = ctx.lang;
    let uploads = crate::epi::api::may_upload(&v, true);
    let section = |title: S, items: &[vx_domain::epi::WorkItem]| {
        html! {
            h2 { (s(lang, title)) " (" (items.len()) ")" }
            @if items.is_empty() { p.muted { (s(lang, S::Nothing)) } } @else {
                div.scroll tabindex="0" { table {
                    thead { tr { th { (s(lang, S::Person)) } th { (s(lang, S::Household)) } th { (s(lang, S::Day)) } th {} } }
                    tbody { @for i in items { tr {
                        td { a href={"/people/" (i.person_id)} { (i.person_name) } }
                        td { (i.household_code) }
                        td { (lang.date(i.day)) }
                        td { a href={"/people/" (i.person_id) "/timeline"} { (s(lang, S::Timeline)) } }
                    } } }
                } }
            }
        }
    };
    let body = html! {
        h1 { (s(lang, S::WorkList)) " · " (unit.name) }
        p.actions {
            @if uploads {
                a.button href={"/results/upload?unit=" (enc(unit.code.as_str()))} { (s(lang, S::UploadResults)) } " "
            }
            a.button.secondary href={"/units/" (unit.code) "/cases"} { (s(lang, S::CaseList)) } " "
            a.button.secondary href={"/units/" (unit.code) "/conflicts"} { (s(lang, S::ConflictList)) } " "
            a.button.secondary href={"/units/" (unit.code) "/identity"} { (s(lang, S::IdentityList)) } " "
            a.button.secondary href={"/units/" (unit.code) "/duplicates"} { (s(lang, S::DuplicateList)) }
        }
        @if !q.retest.is_empty() { p.notice role="status" { (s(lang, S::Saved)) " " (q.retest) } }
        form.inline method="get" action={"/units/" (unit.code) "/work"} {
            div.field {
                label for="day" { (s(lang, S::Day)) }
                input id="day" type="date" name="day" value=(day.to_string());
            }
            button type="submit" { (s(lang, S::Go)) }
        }
        (section(S::TestsDue, &list.tests_due_today))
        (section(S::QuarantinesEnding, &list.quarantines_ending))
        (section(S::Overdue, &list.overdue))
        h2 { (s(lang, S::Retests)) " (" (list.retests.len()) ")" }
        @if list.retests.is_empty() { p.muted { (s(lang, S::Nothing)) } } @else {
            div.scroll tabindex="0" { table {
                thead { tr { th { (s(lang, S::Person)) } th { (s(lang, S::Household)) } th { (s(lang, S::Day)) } th { (s(lang, S::RetestSample)) } } }
                tbody { @for i in &list.retests { tr {
                    td { a href={"/people/" (i.person_id) "/timeline"} { (i.person_name) } }
                    td { (i.household_code) }
                    td { (lang.date(i.day)) }
                    td {
                        form.inline method="post" action={"/retests/" (i.ref_id) "/sample"} {
                            input type="hidden" name="csrf" value=(v.csrf());
                            input type="hidden" name="unit" value=(unit.code);
                            label for={"retest-" (i.ref_id)} { (s(lang, S::SampleCode)) }
                            input id={"retest-" (i.ref_id)} type="text" name="code" required autocomplete="off"
                                pattern="[A-Za-z0-9-]{4,32}";
                            button type="submit" { (s(lang, S::RetestSample)) }
                        }
                    }
                } } }
            } }
        }
        h2 { (s(lang, S::Proposals)) " (" (proposals.len()) ")" }
        @if proposals.is_empty() { p.muted { (s(lang, S::Nothing)) } } @else {
            ul { @for (p, name) in &proposals {
                li {
                    a href={"/proposals/" (p.id)} { (name) " — " (s(lang, S::ConfirmCase)) } " · "
                    a href={"/people/" (p.person_id) "/timeline"} { (s(lang, S::Timeline)) }
                }
            } }
        }
    };
    ok(layout(&ctx, Some(&v), s(lang, S::WorkList), body))
}

async fn timeline_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
) -> PageResult {
    let (person, _unit) = scope::seen_person(&st.store, &v.access, &id).await?;
    let events = st.store.person_timeline(person.id).await?;
    let lang = ctx.lang;
    let body = html! {
        p.muted { a href={"/people/" (person.id)} { (person.data.full_name) } }
        h1 { (s(lang, S::Timeline)) }
        @if events.is_empty() { p { (s(lang, S::NoEvents)) } } @else {
            div.scroll tabindex="0" { table {
                thead { tr { th { (s(lang, S::Day)) } th { (s(lang, S::Event)) } th { (s(lang, S::Detail)) } } }
                tbody { @for e in &events { tr {
                    td { @if let Some(at) = e.at { (lang.instant(at)) } @else { (lang.date(e.day)) } }
                    td { @if e.kind == vx_domain::epi::TimelineKind::CaseConfirmed {
                            a href={"/cases/" (e.ref_id)} { (kind_text(lang, e.kind)) }
                         } @else { (kind_text(lang, e.kind)) } }
                    td { (e.detail) }
                } } }
            } }
        }
    };
    ok(layout(&ctx, Some(&v), s(lang, S::Timeline), body))
}

// ---------------------------------------------------------------------------------------
// Sampling list (page, XLSX) and fast sample entry

async fn sampling_scope(
    st: &AppState,
    v: &Viewer,
    id: &str,
    code: &str,
) -> Result<(Round, Unit), PageError> {
    let unit = scope::people_unit(&st.store, &v.access, code).await?;
    let round = match id.parse::<i64>() {
        Ok(id) => st.store.round(id).await?,
        Err(_) => None,
    }
    .ok_or(PageError(AppError::not_found()))?;
    Ok((round, unit))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SavedQuery {
    saved: String,
}

async fn sampling_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path((id, code)): Path<(String, String)>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let (round, unit) = sampling_scope(&st, &v, &id, &code).await?;
    draw_sampling(
        &st,
        &ctx,
        &v,
        &round,
        &unit,
        &SampleForm::default(),
        &[],
        &q.saved,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn draw_sampling(
    st: &AppState,
    ctx: &Ctx,
    v: &Viewer,
    round: &Round,
    unit: &Unit,
    form: &SampleForm,
    errors: &[String],
    saved: &str,
) -> PageResult {
    let list = st.store.sampling_list(round.id, unit.code.as_str()).await?;
    let lang = ctx.lang;
    let done = list.iter().filter(|(_, s)| *s).count();
    let base = format!("/rounds/{}/units/{}/sampling", round.id, unit.code);
    let mut households: Vec<&str> = list
        .iter()
        .map(|(p, _)| p.data.household_code.as_str())
        .collect();
    households.dedup();
    let body = html! {
        h1 { (s(lang, S::SamplingList)) " · " (unit.name) }
        p.muted {
            (s(lang, S::Round)) " " (round.data.number) " · " (lang.date(round.data.start)) " – "
            (lang.date(round.data.end)) " · " (s(lang, S::Sampled)) " " (done) "/" (list.len())
        }
        p { a.button.secondary href={(base) ".xlsx"} { (s(lang, S::Download)) } }
        @if !saved.is_empty() { p.notice role="status" { (s(lang, S::Saved)) " " (saved) } }
        @if !errors.is_empty() {
            div.errors role="alert" { p { (s(lang, S::Bad)) } ul { @for e in errors { li { (e) } } } }
        }
        form method="post" action=(base) {
            input type="hidden" name="csrf" value=(v.csrf());
            h2 { (s(lang, S::NewSample)) }
            div.field {
                label for="code" { (s(lang, S::SampleCode)) }
                input id="code" type="text" name="code" value=(form.code) required autofocus
                    autocomplete="off" inputmode="text" pattern="[A-Za-z0-9-]{4,32}";
            }
            div.field {
                label for="method" { (s(lang, S::Method)) }
                select id="method" name="method" {
                    option value="rt-pcr" selected[form.method != "rapid-antigen"] { "RT-PCR" }
                    option value="rapid-antigen" selected[form.method == "rapid-antigen"] { "Test nhanh kháng nguyên" }
                }
            }
            div.field.check {
                input id="pooled" type="checkbox" name="pooled" value="1" checked[form.pooled == "1" || form.code.is_empty()];
                " " label for="pooled" { (s(lang, S::Pooled)) }
            }
            div.field.check {
                input id="high_risk" type="checkbox" name="high_risk" value="1" checked[form.high_risk == "1"];
                " " label for="high_risk" { (s(lang, S::HighRisk)) }
            }
            div.field {
                label for="collector" { (s(lang, S::Collector)) }
                input id="collector" type="text" name="collector" value=(form.collector);
            }
            div.field {
                label for="laboratory" { (s(lang, S::Laboratory)) }
                input id="laboratory" type="text" name="laboratory" value=(form.laboratory) required;
            }
            fieldset {
                legend { (s(lang, S::Members)) }
                div.scroll tabindex="0" { table {
                    thead { tr { th {} th { (s(lang, S::Person)) } th { (s(lang, S::Birth)) } th { (s(lang, S::Sampled)) } } }
                    tbody {
                        @for hh in &households {
                            tr.household {
                                td { input type="checkbox" name="household" value=(hh) id={"hh-" (hh)}; }
                                th colspan="3" scope="rowgroup" {
                                    label for={"hh-" (hh)} { (s(lang, S::Household)) " " (hh) " — " (s(lang, S::WholeHousehold)) }
                                }
                            }
                            @for (p, sampled) in list.iter().filter(|(p, _)| p.data.household_code.as_str() == *hh) {
                                tr {
                                    td { @if !*sampled { input type="checkbox" name="person" value=(p.id) id={"p-" (p.id)}; } }
                                    td { label for={"p-" (p.id)} { a href={"/people/" (p.id) "/timeline"} { (p.data.full_name) } } }
                                    td { (lang.birth(&p.data.birth)) }
                                    td { @if *sampled { span.badge { (s(lang, S::SampledYes)) } } @else { (s(lang, S::SampledNo)) } }
                                }
                            }
                        }
                    }
                } }
            }
            button type="submit" { (s(lang, S::Save)) }
        }
    };
    let mut r = ok(layout(ctx, Some(v), s(lang, S::SamplingList), body))?;
    if !errors.is_empty() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SampleForm {
    csrf: String,
    code: String,
    method: String,
    pooled: String,
    high_risk: String,
    collector: String,
    laboratory: String,
}

/// Records a sample from the sampling list: the ticked people and whole households.
async fn record_sample(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path((id, code)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> PageResult {
    // Repeated fields (person=1&person=2) are read by hand; the rest as a form.
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(&body);
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let form = SampleForm {
        csrf: get("csrf"),
        code: get("code"),
        method: get("method"),
        pooled: get("pooled"),
        high_risk: get("high_risk"),
        collector: get("collector"),
        laboratory: get("laboratory"),
    };
    csrf_check(&v, &form.csrf)?;
    let (round, unit) = sampling_scope(&st, &v, &id, &code).await?;
    let list = st.store.sampling_list(round.id, unit.code.as_str()).await?;
    let ticked: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "person")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let households: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "household")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut members: Vec<i64> = list
        .iter()
        .filter(|(p, sampled)| {
            !*sampled
                && (ticked.contains(&p.id) || households.contains(&p.data.household_code.as_str()))
        })
        .map(|(p, _)| p.id)
        .collect();
    members.dedup();
    let mut errors = Vec::new();
    let sample_code = vx_domain::epi::SampleCode::parse(&form.code).map_err(|e| e.to_string());
    if let Err(e) = &sample_code {
        errors.push(e.clone());
    }
    if members.is_empty() {
        errors.push(s(ctx.lang, S::Members).to_string());
    }
    if form.laboratory.trim().is_empty() {
        errors.push(format!("{}: ?", s(ctx.lang, S::Laboratory)));
    }
    let method = vx_domain::epi::SampleMethod::parse(if form.method.is_empty() {
        "rt-pcr"
    } else {
        &form.method
    });
    if let (Ok(sample_code), Ok(method), true) = (sample_code, method, errors.is_empty()) {
        let new = vx_domain::epi::NewSample {
            code: sample_code.clone(),
            round_id: round.id,
            method,
            pooled: form.pooled == "1" || members.len() > 1,
            high_risk: form.high_risk == "1",
            collected_at: chrono::Utc::now(),
            collector: if form.collector.trim().is_empty() {
                v.user.display_name.clone()
            } else {
                form.collector.trim().to_string()
            },
            laboratory: form.laboratory.trim().to_string(),
            members,
            retest_order_id: None,
        };
        match st.store.create_sample(&v.user.actor(), &new).await {
            Ok(_) => {
                return Ok(Redirect::to(&format!(
                    "/rounds/{}/units/{}/sampling?saved={}",
                    round.id,
                    unit.code,
                    enc(sample_code.as_str())
                ))
                .into_response())
            }
            Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => errors.push(m),
            Err(e) => return Err(e.into()),
        }
    }
    let keep = SampleForm {
        csrf: String::new(),
        ..form
    };
    draw_sampling(&st, &ctx, &v, &round, &unit, &keep, &errors, "").await
}

/// `application/x-www-form-urlencoded` pairs, repeated keys kept.
fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                if let Ok(b) = u8::from_str_radix(hex, 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

async fn sampling_xlsx(
    State(st): State<AppState>,
    PageViewer(v): PageViewer,
    Path((id, code)): Path<(String, String)>,
) -> PageResult {
    let (round, unit) = sampling_scope(&st, &v, &id, &code).await?;
    let list = st.store.sampling_list(round.id, unit.code.as_str()).await?;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let internal = |e: rust_xlsxwriter::XlsxError| PageError(AppError::Internal(e.to_string()));
    let headers = [
        "Mã hộ (household_code)",
        "Họ và tên (full_name)",
        "Năm sinh (birth)",
        "CCCD (citizen_id)",
        "Đã lấy mẫu (sampled)",
        "Mã mẫu (sample_code)",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).map_err(internal)?;
    }
    for (i, (p, sampled)) in list.iter().enumerate() {
        let r = i as u32 + 1;
        sheet
            .write_string(r, 0, p.data.household_code.as_str())
            .map_err(internal)?;
        sheet
            .write_string(r, 1, p.data.full_name.to_string())
            .map_err(internal)?;
        sheet
            .write_string(r, 2, p.data.birth.to_string())
            .map_err(internal)?;
        sheet
            .write_string(
                r,
                3,
                p.data
                    .citizen_id
                    .as_ref()
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
            )
            .map_err(internal)?;
        sheet
            .write_string(r, 4, if *sampled { "x" } else { "" })
            .map_err(internal)?;
    }
    let bytes = book.save_to_buffer().map_err(internal)?;
    let name = format!(
        "danh-sach-lay-mau-dot-{}-{}.xlsx",
        round.data.number, unit.code
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(crate::epi::api::XLSX_TYPE),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                    .map_err(|e| PageError(AppError::Internal(e.to_string())))?,
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------
// Cases, daily checks, release, outcome, contacts, chain

/// A case whose person the viewer sees (else 404).
async fn seen_case(
    st: &AppState,
    v: &Viewer,
    id: &str,
) -> Result<(vx_domain::epi::Case, vx_domain::Person), PageError> {
    let case = match id.parse::<i64>() {
        Ok(id) => st.store.case(id).await?,
        Err(_) => None,
    }
    .ok_or(PageError(AppError::not_found()))?;
    let (person, _) = scope::seen_person(&st.store, &v.access, &case.person_id.to_string()).await?;
    Ok((case, person))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CaseForm {
    csrf: String,
    day: String,
    symptoms: String,
    spo2: String,
    on: String,
    negative_test_on: String,
    outcome: String,
    person_id: String,
    exposure_date: String,
    place: String,
    vaccinated: String,
}

async fn case_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
) -> PageResult {
    let (case, person) = seen_case(&st, &v, &id).await?;
    draw_case(&st, &ctx, &v, &case, &person, &[], None).await
}

async fn draw_case(
    st: &AppState,
    ctx: &Ctx,
    v: &Viewer,
    case: &vx_domain::epi::Case,
    person: &vx_domain::Person,
    errors: &[String],
    added: Option<&vx_domain::epi::Contact>,
) -> PageResult {
    let lang = ctx.lang;
    let checks = st.store.daily_checks(case.id).await?;
    // The case's own F1 (the first page of its chain), each with a form for its F2.
    let f1: Vec<vx_domain::epi::ChainItem> = st
        .store
        .chain(case.id, None, 500)
        .await?
        .items
        .into_iter()
        .filter(|i| i.depth == 1 && i.level == "F1")
        .collect();
    let today = st.config.today().to_string();
    let base = format!("/cases/{}", case.id);
    let body = html! {
        p.muted { a href={"/people/" (person.id) "/timeline"} { (person.data.full_name) } }
        h1 { (s(lang, S::CaseTitle)) " · " (person.data.full_name) }
        @if !errors.is_empty() {
            div.errors role="alert" { p { (s(lang, S::Bad)) } ul { @for e in errors { li { (e) } } } }
        }
        @if let Some(c) = added {
            div.notice role="status" {
                p { (s(lang, S::AddContact)) ": " (c.level) " · " (s(lang, S::QuarantineEnd)) " "
                    (lang.date(c.plan.end)) }
                p { (s(lang, S::TestDays)) ": "
                    @for (i, d) in c.plan.test_days.iter().enumerate() { @if i > 0 { ", " } (lang.date(*d)) } }
            }
        }
        dl {
            dt { (s(lang, S::Confirmed)) } dd { (lang.date(case.confirmed_on)) }
            dt { (s(lang, S::Source)) } dd { (case.source) }
            dt { (s(lang, S::Severity)) } dd { (case.severity) }
            dt { (s(lang, S::Place)) } dd { (case.place) }
            dt { (s(lang, S::IsolationStart)) } dd { (lang.date(case.isolation_start)) }
            dt { (s(lang, S::ReleaseDue)) } dd { (lang.date(case.release_due)) }
            @if let Some(d) = case.released_on { dt { (s(lang, S::Released)) } dd { (lang.date(d)) } }
            @if let Some(o) = case.outcome {
                dt { (s(lang, S::Outcome)) } dd { (o) @if let Some(d) = case.outcome_on { " · " (lang.date(d)) } }
            }
        }
        p { a.button.secondary href={(base) "/chain"} { (s(lang, S::Chain)) } }
        h2 { (s(lang, S::DailyChecks)) }
        @if !checks.is_empty() {
            div.scroll tabindex="0" { table {
                thead { tr { th { (s(lang, S::Day)) } th { (s(lang, S::Symptoms)) } th.num { (s(lang, S::Spo2)) } } }
                tbody { @for c in &checks { tr {
                    td { (lang.date(c.day)) } td { (c.symptoms) }
                    td.num { @if let Some(x) = c.spo2 { (x.value()) } }
                } } }
            } }
        }
        form method="post" action={(base) "/checks"} {
            input type="hidden" name="csrf" value=(v.csrf());
            div.field { label for="day" { (s(lang, S::Day)) } input id="day" type="date" name="day" value=(today) required; }
            div.field { label for="symptoms" { (s(lang, S::Symptoms)) } input id="symptoms" type="text" name="symptoms"; }
            div.field { label for="spo2" { (s(lang, S::Spo2)) } input id="spo2" type="number" min="50" max="100" name="spo2"; }
            button type="submit" { (s(lang, S::AddCheck)) }
        }
        @if case.released_on.is_none() {
            h2 { (s(lang, S::Release)) }
            form method="post" action={(base) "/release"} {
                input type="hidden" name="csrf" value=(v.csrf());
                div.field { label for="on" { (s(lang, S::Day)) } input id="on" type="date" name="on" value=(today) required; }
                div.field { label for="negative_test_on" { (s(lang, S::NegativeTest)) } input id="negative_test_on" type="date" name="negative_test_on"; }
                button type="submit" { (s(lang, S::Release)) }
            }
        }
        h2 { (s(lang, S::SetOutcome)) }
        form method="post" action={(base) "/outcome"} {
            input type="hidden" name="csrf" value=(v.csrf());
            div.field {
                label for="outcome" { (s(lang, S::Outcome)) }
                select id="outcome" name="outcome" {
                    option value="recovered" { "Khỏi bệnh / recovered" }
                    option value="transferred" { "Chuyển viện / transferred" }
                    option value="died" { "Tử vong / died" }
                }
            }
            div.field { label for="outcome_on" { (s(lang, S::Day)) } input id="outcome_on" type="date" name="on" value=(today) required; }
            button type="submit" { (s(lang, S::SetOutcome)) }
        }
        h2 { (s(lang, S::Contacts)) " (" (f1.len()) ")" }
        @if f1.is_empty() { p.muted { (s(lang, S::Nothing)) } } @else {
            div.scroll tabindex="0" { table {
                thead { tr { th { (s(lang, S::Person)) } th { (s(lang, S::Exposure)) } th { (s(lang, S::Status)) } th { (s(lang, S::AddF2)) } } }
                tbody { @for k in &f1 { tr {
                    td { a href={"/people/" (k.person_id) "/timeline"} { (k.person_name) } }
                    td { (lang.date(k.day)) }
                    td { (k.status) }
                    td { @if k.status == "open" {
                        form.inline method="post" action={"/contacts/" (k.id) "/contacts"} {
                            input type="hidden" name="csrf" value=(v.csrf());
                            input type="hidden" name="exposure_date" value=(k.day.to_string());
                            label for={"f2-" (k.id)} { (s(lang, S::PersonId)) }
                            input id={"f2-" (k.id)} type="number" name="person_id" required;
                            button type="submit" { "F2" }
                        }
                    } }
                } } }
            } }
        }
        h2 { (s(lang, S::AddContact)) }
        form method="post" action={(base) "/contacts"} {
            input type="hidden" name="csrf" value=(v.csrf());
            div.field { label for="person_id" { (s(lang, S::PersonId)) } input id="person_id" type="number" name="person_id" required; }
            div.field { label for="exposure_date" { (s(lang, S::Exposure)) } input id="exposure_date" type="date" name="exposure_date" value=(today) required; }
            div.field {
                label for="place" { (s(lang, S::Place)) }
                select id="place" name="place" {
                    option value="home" { (s(lang, S::Home)) }
                    option value="facility" { (s(lang, S::Facility)) }
                }
            }
            div.field.check { input id="vaccinated" type="checkbox" name="vaccinated" value="1"; " " label for="vaccinated" { (s(lang, S::Vaccinated)) } }
            button type="submit" { (s(lang, S::AddContact)) }
        }
    };
    let mut r = ok(layout(ctx, Some(v), s(lang, S::CaseTitle), body))?;
    if !errors.is_empty() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

fn day_of(raw: &str, errors: &mut Vec<String>) -> Option<chrono::NaiveDate> {
    match raw.trim().parse() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(format!("{raw:?}: YYYY-MM-DD"));
            None
        }
    }
}

/// After a write on a case: back to its page, or the page again with the store's reason.
async fn after_case_write<T>(
    st: &AppState,
    ctx: &Ctx,
    v: &Viewer,
    case_id: i64,
    result: Result<T, StoreError>,
    mut errors: Vec<String>,
) -> PageResult {
    match result {
        Ok(_) if errors.is_empty() => {
            return Ok(Redirect::to(&format!("/cases/{case_id}")).into_response())
        }
        Ok(_) => {}
        // An empty message is the form's own refusal: its errors say why.
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) if !m.is_empty() => {
            errors.push(m)
        }
        Err(StoreError::Invalid(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let (case, person) = seen_case(st, v, &case_id.to_string()).await?;
    draw_case(st, ctx, v, &case, &person, &errors, None).await
}

/// The form's own refusal (its errors say why), before asking the store.
fn refused<T>() -> Result<T, StoreError> {
    Err(StoreError::Invalid(String::new()))
}

async fn add_check(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<CaseForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let (case, _) = seen_case(&st, &v, &id).await?;
    let mut errors = Vec::new();
    let day = day_of(&f.day, &mut errors);
    let spo2 = if f.spo2.trim().is_empty() {
        None
    } else {
        match f
            .spo2
            .trim()
            .parse::<u8>()
            .map_err(|e| e.to_string())
            .and_then(|n| vx_domain::epi::Spo2::new(n).map_err(|e| e.to_string()))
        {
            Ok(x) => Some(x),
            Err(e) => {
                errors.push(format!("SpO2: {e}"));
                None
            }
        }
    };
    let result = match day {
        Some(day) if errors.is_empty() => {
            let check = vx_domain::epi::DailyCheck {
                day,
                symptoms: f.symptoms.trim().to_string(),
                spo2,
            };
            st.store
                .add_daily_check(&v.user.actor(), case.id, &check)
                .await
        }
        _ => refused(),
    };
    after_case_write(&st, &ctx, &v, case.id, result, errors).await
}

async fn release(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<CaseForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let (case, _) = seen_case(&st, &v, &id).await?;
    let mut errors = Vec::new();
    let on = day_of(&f.on, &mut errors);
    let negative = if f.negative_test_on.trim().is_empty() {
        None
    } else {
        day_of(&f.negative_test_on, &mut errors)
    };
    let result = match on {
        Some(on) if errors.is_empty() => {
            st.store
                .release_case(&v.user.actor(), case.id, on, negative)
                .await
        }
        _ => refused(),
    };
    after_case_write(&st, &ctx, &v, case.id, result, errors).await
}

async fn outcome(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<CaseForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let (case, _) = seen_case(&st, &v, &id).await?;
    let mut errors = Vec::new();
    let on = day_of(&f.on, &mut errors);
    let outcome = match vx_domain::epi::Outcome::parse(&f.outcome) {
        Ok(o) => Some(o),
        Err(e) => {
            errors.push(e.to_string());
            None
        }
    };
    let result = match (on, outcome) {
        (Some(on), Some(o)) => st.store.set_outcome(&v.user.actor(), case.id, o, on).await,
        _ => refused(),
    };
    after_case_write(&st, &ctx, &v, case.id, result, errors).await
}

async fn add_contact(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<CaseForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let (case, person) = seen_case(&st, &v, &id).await?;
    let mut errors = Vec::new();
    // The contact must be a person the viewer sees: else 404, as anywhere.
    let (contact_person, _) = scope::seen_person(&st.store, &v.access, f.person_id.trim()).await?;
    let exposure = day_of(&f.exposure_date, &mut errors);
    let place = vx_domain::epi::QuarantinePlace::parse(&f.place)
        .unwrap_or(vx_domain::epi::QuarantinePlace::Home);
    if let (Some(exposure_date), true) = (exposure, errors.is_empty()) {
        let new = vx_domain::epi::NewContact {
            person_id: contact_person.id,
            source: vx_domain::epi::ContactSource::Case(case.id),
            level: vx_domain::epi::ContactLevel::F1,
            exposure_date,
            place,
            vaccinated: f.vaccinated == "1",
        };
        match st.store.add_contact(&v.user.actor(), &new).await {
            Ok(c) => return draw_case(&st, &ctx, &v, &case, &person, &[], Some(&c)).await,
            Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => errors.push(m),
            Err(e) => return Err(e.into()),
        }
    }
    draw_case(&st, &ctx, &v, &case, &person, &errors, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ChainQuery {
    after: String,
}

/// A transmission chain, depth first, 100 per page (a cursor, not an offset).
async fn chain_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Query(q): Query<ChainQuery>,
) -> PageResult {
    let (case, person) = seen_case(&st, &v, &id).await?;
    let after = (!q.after.is_empty()).then_some(q.after.as_str());
    let page = st.store.chain(case.id, after, 100).await?;
    let lang = ctx.lang;
    // People outside the viewer's scope appear without name nor link.
    let mut visible = std::collections::HashMap::new();
    for item in &page.items {
        if let std::collections::hash_map::Entry::Vacant(e) = visible.entry(item.person_id) {
            let seen = scope::seen_person(&st.store, &v.access, &item.person_id.to_string())
                .await
                .is_ok();
            e.insert(seen);
        }
    }
    let body = html! {
        p.muted { a href={"/cases/" (case.id)} { (s(lang, S::CaseTitle)) " · " (person.data.full_name) } }
        h1 { (s(lang, S::Chain)) }
        div.scroll tabindex="0" { table {
            thead { tr { th { (s(lang, S::Level)) } th { (s(lang, S::Person)) } th { (s(lang, S::Day)) } th { (s(lang, S::Status)) } } }
            tbody { @for i in &page.items { tr {
                td { (" ".repeat(i.depth as usize * 2)) (i.level) }
                td { @if visible.get(&i.person_id).copied().unwrap_or(false) {
                        a href={"/people/" (i.person_id) "/timeline"} { (i.person_name) }
                     } @else { "—" } }
                td { (lang.date(i.day)) }
                td { (i.status) }
            } } }
        } }
        @if let Some(next) = &page.next {
            p { a.button.secondary href={"/cases/" (case.id) "/chain?after=" (enc(next))} { (s(lang, S::More)) " →" } }
        }
    };
    ok(layout(&ctx, Some(&v), s(lang, S::Chain), body))
}
