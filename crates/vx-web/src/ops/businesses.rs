//! Pages of businesses: registration, whether and how a business may open today and why,
//! its workers and their testing schedule, overdue lists per unit.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::html;
use serde::Deserialize;
use vx_domain::ops::business::{Arrangements, Decision, Sector, Status};
use vx_domain::ops::permit::Shown;
use vx_domain::Role;
use vx_store::ops::NewBusiness;

use super::permits::invalid_page;
use super::{day_or_today, s, seen_business, S};
use crate::auth::{PageViewer, Viewer};
use crate::error::{AppError, PageError, PageResult};
use crate::i18n::Lang;
use crate::pages::{csrf_check, layout, ok, Ctx};
use crate::scope;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ops/businesses", post(create_business))
        .route("/ops/businesses/{id}", get(business_page))
        .route("/ops/businesses/{id}/workers", post(add_worker))
        .route("/ops/businesses/{id}/tests", post(record_test))
        .route("/ops/units/{code}/overdue", get(overdue_page))
}

/// Roles that register businesses: administrators, districts and communes.
pub(crate) fn registers(v: &Viewer) -> bool {
    matches!(v.access.role, Role::Admin | Role::District | Role::Commune)
}

pub(crate) fn status_text(lang: Lang, st: &Status) -> &'static str {
    match lang {
        Lang::Vi => st.name_vi(),
        Lang::En => st.name_en(),
    }
}

pub(crate) fn decision_markup(lang: Lang, d: &Decision) -> maud::Markup {
    html! {
        p { strong.badge { (status_text(lang, &d.status)) } }
        @if let Status::Conditional { conditions } = &d.status {
            ul { @for c in conditions { li { (match lang { Lang::Vi => c.text_vi(), Lang::En => c.text_en() }) } } }
        }
        h3 { (s(lang, S::Reason)) }
        ul { @for r in &d.reasons { li { (match lang { Lang::Vi => r.text_vi(), Lang::En => r.text_en() }) } } }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BusinessForm {
    csrf: String,
    unit: String,
    name: String,
    sector: String,
    household: String,
    address: String,
    safety_plan: String,
    three_on_site: String,
    one_route: String,
}

async fn create_business(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Form(f): Form<BusinessForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    if !registers(&v) {
        return Err(PageError(AppError::not_found()));
    }
    let unit = scope::seen_unit(&st.store, &v.access, f.unit.trim()).await?;
    let back = format!("/ops?unit={}", unit.code);
    let sector = match Sector::parse(&f.sector) {
        Ok(s) => s,
        Err(e) => return invalid_page(&ctx, &v, &[format!("sector: {e}")], &back),
    };
    let b = NewBusiness {
        name: f.name.trim().to_string(),
        sector,
        household: f.household == "1",
        address: f.address.trim().to_string(),
        arrangements: Arrangements {
            safety_plan: f.safety_plan == "1",
            three_on_site: f.three_on_site == "1",
            one_route: f.one_route == "1",
        },
    };
    match st.store.create_business(&v.user.actor(), &unit, &b).await {
        Ok(b) => Ok(Redirect::to(&format!("/ops/businesses/{}", b.id)).into_response()),
        Err(vx_store::StoreError::Invalid(m)) => invalid_page(&ctx, &v, &[m], &back),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DateQuery {
    date: Option<String>,
}

async fn business_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Query(q): Query<DateQuery>,
) -> PageResult {
    let (b, unit) = seen_business(&st.store, &v, &id).await?;
    let day = day_or_today(q.date.as_deref(), st.config.today())?;
    let (level, workers, decision) = st.store.business_decision(&b, day).await?;
    let lang = ctx.lang;
    let personal = v.access.sees_people_in(&unit);
    let sector = match lang {
        Lang::Vi => b.business.sector.name_vi(),
        Lang::En => b.business.sector.name_en(),
    };
    let base = format!("/ops/businesses/{}", b.id);
    let body = html! {
        h1 { (b.business.name) }
        p.muted { (sector) @if b.business.household { " · " (s(lang, S::HouseholdBusiness)) }
            " · " (b.business.address) " · " (unit.full_name) }
        form method="get" action=(base) {
            label { (s(lang, S::Day)) " " input type="date" name="date" value=(day.to_string()); }
            " " button type="submit" { (s(lang, S::Show)) }
        }
        h2 { (s(lang, S::Status)) " · " (lang.date(day)) }
        p { (s(lang, S::LevelOfUnit)) ": "
            @match level { Some(l) => strong { (l) }, None => (s(lang, S::NoLevel)) }
            " · " a href={"/units/" (unit.code) "/status?date=" (day)} { "→" } }
        (decision_markup(lang, &decision))
        h2 { (s(lang, S::Workers)) " (" (workers.len()) ")" }
        @if !personal {
            p { (s(lang, S::OverdueMark)) ": " (workers.iter().filter(|w| w.overdue).count()) }
        } @else {
            @if workers.is_empty() { p { (s(lang, S::NoWorkers)) } } @else {
                div.scroll tabindex="0" { table {
                    thead { tr { th { (s(lang, S::Name)) } th { (s(lang, S::LastNegative)) } th { (s(lang, S::Due)) } th {} } }
                    tbody { @for w in &workers {
                        tr {
                            td { a href={"/ops/people/" (w.person_id) "/trace"} { (w.name) } }
                            td { @if let Some(d) = w.last_negative { (lang.date(d)) } }
                            td { @if let Some(d) = w.due { (lang.date(d)) } }
                            td {
                                @if w.overdue { strong { (s(lang, S::OverdueMark)) } }
                                @if let Some(d) = w.positive_on { " " strong { (s(lang, S::Positive)) " " (lang.date(d)) } }
                            }
                        }
                    } }
                } }
            }
            form method="post" action={(base) "/workers"} {
                input type="hidden" name="csrf" value=(v.csrf());
                div.field { label for="person_id" { (s(lang, S::AddWorker)) }
                    input id="person_id" type="number" name="person_id" required inputmode="numeric"; }
                button type="submit" { (s(lang, S::Save)) }
            }
            form method="post" action={(base) "/tests"} {
                input type="hidden" name="csrf" value=(v.csrf());
                h3 { (s(lang, S::RecordTest)) }
                div.field { label for="t_person" { (s(lang, S::Workers)) }
                    select id="t_person" name="person_id" {
                        @for w in &workers { option value=(w.person_id) { (w.name) } }
                    } }
                div.field { label for="t_day" { (s(lang, S::TestAt)) }
                    input id="t_day" type="date" name="day" value=(day.to_string()) required; }
                div.field { label for="t_result" { (s(lang, S::Result)) }
                    select id="t_result" name="result" {
                        option value="negative" { (s(lang, S::Negative)) }
                        option value="positive" { (s(lang, S::Positive)) }
                    } }
                button type="submit" { (s(lang, S::Save)) }
            }
        }
    };
    ok(layout(&ctx, Some(&v), &b.business.name, body))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WorkerForm {
    csrf: String,
    person_id: String,
    day: String,
    result: String,
}

/// A business whose workers the viewer may name, and a person it may see.
async fn worker_scope(
    st: &AppState,
    v: &Viewer,
    id: &str,
    person: &str,
) -> Result<(vx_store::ops::Business, i64), PageError> {
    let (b, unit) = seen_business(&st.store, v, id).await?;
    if !v.access.sees_people_in(&unit) {
        return Err(PageError(AppError::not_found()));
    }
    let (p, _) = scope::seen_person(&st.store, &v.access, person).await?;
    Ok((b, p.id))
}

async fn add_worker(
    State(st): State<AppState>,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<WorkerForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let (b, person) = worker_scope(&st, &v, &id, &f.person_id).await?;
    st.store.add_worker(&v.user.actor(), b.id, person).await?;
    Ok(Redirect::to(&format!("/ops/businesses/{}", b.id)).into_response())
}

async fn record_test(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<WorkerForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let (b, person) = worker_scope(&st, &v, &id, &f.person_id).await?;
    let back = format!("/ops/businesses/{}", b.id);
    let (Ok(day), Ok(result)) = (
        f.day.trim().parse::<chrono::NaiveDate>(),
        Shown::parse(&f.result),
    ) else {
        return invalid_page(&ctx, &v, &["day, result: ?".to_string()], &back);
    };
    st.store
        .record_worker_test(&v.user.actor(), b.id, person, day, result)
        .await?;
    Ok(Redirect::to(&back).into_response())
}

async fn overdue_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Query(q): Query<DateQuery>,
) -> PageResult {
    let unit = scope::people_unit(&st.store, &v.access, &code).await?;
    let day = day_or_today(q.date.as_deref(), st.config.today())?;
    let list = st.store.overdue_workers(&unit, day).await?;
    let lang = ctx.lang;
    let body = html! {
        h1 { (s(lang, S::Overdue)) " · " (unit.name) }
        p.muted { (lang.date(day)) " · " (list.len()) }
        @if list.is_empty() { p { (s(lang, S::None_)) } } @else {
            div.scroll tabindex="0" { table {
                thead { tr { th { (s(lang, S::Businesses)) } th { (s(lang, S::Name)) } th { (s(lang, S::LastNegative)) } th { (s(lang, S::Due)) } } }
                tbody { @for (b, w) in &list {
                    tr {
                        td { a href={"/ops/businesses/" (b.id)} { (b.business.name) } }
                        td { (w.name) }
                        td { @if let Some(d) = w.last_negative { (lang.date(d)) } }
                        td { @if let Some(d) = w.due { (lang.date(d)) } }
                    }
                } }
            } }
        }
    };
    ok(layout(&ctx, Some(&v), s(lang, S::Overdue), body))
}
