//! Public pages, no login: every unit's level and reasons in plain words, what is allowed
//! there today, announcements, an Atom feed of level changes and announcements, and open
//! data (CSV and JSON of levels per unit per day). No personal data: only levels and
//! aggregate counts, and below commune level counts from 1 to 4 read "<5". Every public
//! response carries a strong ETag and answers `304 Not Modified` to a matching
//! `If-None-Match`.
//!
//! Staff of a district or commune (and administrators) write announcements at
//! `/units/{code}/announcements` (CSRF-protected, audited).

use std::fmt::Write;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::NaiveDate;
use maud::html;
use serde::{Deserialize, Serialize};
use vx_domain::{Role, Unit, UnitCode};
use vx_store::rules::{self as vr, render};
use vx_store::Store;

use super::{
    cached, days_before, esc, level_class, level_name, public_count, rlang, status_of, Levels, S,
};
use crate::auth::{PageViewer, Viewer};
use crate::error::{AppError, PageError};
use crate::input::day_or_today;
use crate::pages::{enc, layout, Ctx};
use crate::scope;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/public", get(public_index))
        .route("/public/units/{code}", get(public_unit))
        .route("/public/units/{code}/feed.atom", get(feed))
        .route("/public/units/{code}/levels.csv", get(levels_csv))
        .route("/public/units/{code}/levels.json", get(levels_json))
        .route(
            "/units/{code}/announcements",
            get(announcements_page).post(publish),
        )
}

const HTML: &str = "text/html; charset=utf-8";
/// Most days one open-data request returns.
const MAX_DAYS: i64 = 92;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DayQuery {
    date: Option<String>,
}

async fn public_unit_of(store: &Store, code: &str) -> Result<Unit, AppError> {
    let unit = match UnitCode::parse(code) {
        Ok(c) => store.unit(c.as_str()).await?,
        Err(_) => None,
    };
    unit.ok_or_else(AppError::not_found)
}

fn public_href(code: &str, day: Option<NaiveDate>) -> String {
    match day {
        Some(d) => format!("/public/units/{}?date={d}", enc(code)),
        None => format!("/public/units/{}", enc(code)),
    }
}

async fn public_index(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let roots = st.store.children(None).await?;
    let body = html! {
        (super::css_link())
        h1 { (S::PublicTitle.get(lang)) }
        p { (S::PublicIntro.get(lang)) }
        ul {
            @for u in &roots {
                li { a href=(public_href(u.code.as_str(), None)) { (u.full_name) } }
            }
        }
    };
    let page = layout(&ctx, None, S::PublicTitle.get(lang), body).into_string();
    Ok(cached(&headers, HTML, page))
}

async fn public_unit(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let store = &st.store;
    let unit = public_unit_of(store, &code).await?;
    let day = day_or_today(q.date.as_deref(), st.config.today())?;
    let lang = ctx.lang;
    let rl = rlang(lang);
    let children = store.children(Some(&unit.code)).await?;
    let mut units = vec![unit.clone()];
    units.extend(children.iter().cloned());
    let figures = store.figures(&unit, &units, day).await?;
    let levels = Levels::load(store, &unit, day, day).await?;
    let status = status_of(store, &levels, &unit, day, false).await?;
    let news = store.announcements_for(&unit, day, 10).await?;
    let ancestors = store.ancestors(&unit).await?;
    let explicit_day = q.date.as_ref().map(|_| day);
    let body = html! {
        (super::css_link())
        nav.crumbs aria-label="breadcrumb" { ol {
            li { a href="/public" { (S::PublicTitle.get(lang)) } }
            @for a in &ancestors { li { a href=(public_href(a.code.as_str(), explicit_day)) { (a.name) } } }
            li aria-current="page" { (unit.name) }
        } }
        h1 { (unit.full_name) }
        form method="get" action={"/public/units/" (unit.code)} {
            label { (S::Day.get(lang)) " " input type="date" name="date" value=(day.to_string()); }
            " " button type="submit" { (S::Show.get(lang)) }
        }
        @match &status {
            None => p { span class="lvbadge lv0" { (S::NotAssessed.get(lang)) } },
            Some((rs, o, _)) => {
                p { span class={"lvbadge " (level_class(Some(o.level)))} { (level_name(Some(o.level), lang)) } " "
                    strong { (render::level_long(rs, o.level, rl)) } }
                h2 { (S::Reasons.get(lang)) }
                ul.reasons { @for r in o.reasons.iter().filter(|r| r.decided || r.met) {
                    li { (render::render_reason(rs, r, rl)) }
                } }
                h2 { (S::AllowedToday.get(lang)) }
                ul { @for m in vr::measures_for(o.in_force, rs, &[], day) {
                    li { (render::render_measure(&m, rl)) }
                } }
            }
        }
        ul.figures {
            li { (S::Cases7.get(lang)) b { (public_count(figures[0].community_7d, &unit, lang)) } }
            li { (S::Cases14.get(lang)) b { (public_count(figures[0].community_14d, &unit, lang)) } }
        }
        @if !children.is_empty() {
            h2 { (S::Children.get(lang)) }
            div.tiles {
                @for (i, c) in children.iter().enumerate() {
                    @let l = levels.level_on(c.id, day);
                    a class=(level_class(l)) href=(public_href(c.code.as_str(), explicit_day)) {
                        b { (c.name) } (level_name(l, lang)) br;
                        (public_count(figures[i + 1].community_7d, c, lang)) " " (S::Key7d.get(lang))
                    }
                }
            }
            (super::charts::level_legend(lang))
        }
        h2 { (S::Announcements.get(lang)) }
        @if news.is_empty() { p.muted { "—" } }
        @for a in &news {
            article.announce {
                h3 { (a.title) }
                p.muted { (lang.date(a.published_on)) " · " (a.unit_name) }
                p { (a.body) }
            }
        }
        p {
            a href={"/public/units/" (unit.code) "/feed.atom"} { (S::Feed.get(lang)) }
            " · " (S::OpenData.get(lang)) ": "
            a href={"/public/units/" (unit.code) "/levels.csv?to=" (day)} { "CSV" } " · "
            a href={"/public/units/" (unit.code) "/levels.json?to=" (day)} { "JSON" }
        }
    };
    let page = layout(&ctx, None, &unit.name, body).into_string();
    Ok(cached(&headers, HTML, page))
}

// ---------------------------------------------------------------------------------------
// Atom feed

async fn feed(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let store = &st.store;
    let unit = public_unit_of(store, &code).await?;
    let day = day_or_today(q.date.as_deref(), st.config.today())?;
    let lang = ctx.lang;
    let children = store.children(Some(&unit.code)).await?;
    let levels = Levels::load(store, &unit, days_before(day, 60), day).await?;
    let news = store.announcements_for(&unit, day, 50).await?;
    // (day, id, title, text, link)
    let mut entries: Vec<(NaiveDate, String, String, String, String)> = Vec::new();
    for u in std::iter::once(&unit).chain(children.iter()) {
        for (d, from, to) in levels.changes(u.id) {
            entries.push((
                d,
                format!("tag:vungxanh,2021:level:{}:{d}", u.code),
                format!(
                    "{}: {} → {}",
                    u.full_name,
                    level_name(Some(from), lang),
                    level_name(Some(to), lang)
                ),
                format!(
                    "{} {} {}",
                    S::LevelChange.get(lang),
                    lang.date(d),
                    u.full_name
                ),
                public_href(u.code.as_str(), Some(d)),
            ));
        }
    }
    for a in &news {
        entries.push((
            a.published_on,
            format!("tag:vungxanh,2021:announcement:{}", a.id),
            a.title.clone(),
            a.body.clone(),
            public_href(&a.unit_code, Some(a.published_on)),
        ));
    }
    entries.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    entries.truncate(100);
    let updated = entries.first().map_or(day, |e| e.0);
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">",
    );
    let _ = write!(
        s,
        "<title>{} — {}</title><id>tag:vungxanh,2021:feed:{}</id><updated>{updated}T00:00:00+07:00</updated><link rel=\"self\" href=\"/public/units/{}/feed.atom\"/><link href=\"{}\"/><author><name>vungxanh</name></author>",
        esc(S::PublicTitle.get(lang)),
        esc(&unit.full_name),
        unit.code,
        unit.code,
        esc(&public_href(unit.code.as_str(), None))
    );
    for (d, id, title, text, link) in &entries {
        let _ = write!(
            s,
            "<entry><id>{}</id><title>{}</title><updated>{d}T00:00:00+07:00</updated><link href=\"{}\"/><content type=\"text\">{}</content></entry>",
            esc(id),
            esc(title),
            esc(link),
            esc(text)
        );
    }
    s.push_str("</feed>\n");
    Ok(cached(&headers, "application/atom+xml; charset=utf-8", s))
}

// ---------------------------------------------------------------------------------------
// Open data

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

/// One unit on one day, as published.
#[derive(Debug, Serialize)]
struct LevelRecord {
    unit_code: String,
    unit_name: String,
    parent_code: Option<String>,
    date: NaiveDate,
    level: u8,
    level_name: &'static str,
    level_in_force: u8,
    rule_set: String,
}

async fn level_records(
    store: &Store,
    code: &str,
    q: &RangeQuery,
    today: NaiveDate,
) -> Result<Vec<LevelRecord>, AppError> {
    let unit = public_unit_of(store, code).await?;
    let to = day_or_today(q.to.as_deref(), today)?;
    let from = match q.from.as_deref() {
        Some(_) => day_or_today(q.from.as_deref(), today)?,
        None => days_before(to, 6),
    };
    if from > to || (to - from).num_days() >= MAX_DAYS {
        return Err(AppError::BadRequest(format!(
            "from..to must be 1 to {MAX_DAYS} days"
        )));
    }
    let children = store.children(Some(&unit.code)).await?;
    let mut units = vec![unit.clone()];
    units.extend(children);
    let by_id: std::collections::HashMap<i64, &Unit> = units.iter().map(|u| (u.id, u)).collect();
    Ok(store
        .levels_of_children(&unit, from, to)
        .await?
        .into_iter()
        .filter_map(|z| {
            let u = by_id.get(&z.unit_id)?;
            Some(LevelRecord {
                unit_code: u.code.to_string(),
                unit_name: u.full_name.clone(),
                parent_code: u.parent_code.as_ref().map(|c| c.to_string()),
                date: z.day,
                level: z.outcome.level.number(),
                level_name: z.outcome.level.name(),
                level_in_force: z.outcome.in_force.number(),
                rule_set: format!("{}@{}", z.rule_set_id, z.rule_set_version),
            })
        })
        .collect())
}

async fn levels_csv(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Response, PageError> {
    let rows = level_records(&st.store, &code, &q, st.config.today()).await?;
    let mut s = String::from(
        "unit_code,unit_name,parent_code,date,level,level_name,level_in_force,rule_set\r\n",
    );
    for r in rows {
        let name = super::report::neutralise(&r.unit_name);
        let name = if name.contains([',', '"']) {
            format!("\"{}\"", name.replace('"', "\"\""))
        } else {
            name
        };
        let _ = write!(
            s,
            "{},{name},{},{},{},{},{},{}\r\n",
            r.unit_code,
            r.parent_code.unwrap_or_default(),
            r.date,
            r.level,
            r.level_name,
            r.level_in_force,
            r.rule_set
        );
    }
    Ok(cached(&headers, "text/csv; charset=utf-8", s))
}

async fn levels_json(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Response, PageError> {
    let rows = level_records(&st.store, &code, &q, st.config.today()).await?;
    let body =
        serde_json::to_vec(&rows).map_err(|e| PageError(AppError::Internal(e.to_string())))?;
    Ok(cached(&headers, "application/json", body))
}

// ---------------------------------------------------------------------------------------
// Announcements (staff)

/// District and commune staff (and administrators) publish for units of their scope, from
/// the district down.
fn writes_announcements(v: &Viewer, unit: &Unit) -> bool {
    matches!(v.access.role, Role::Admin | Role::District | Role::Commune)
        && v.access.sees_unit(unit)
        && unit.level >= vx_domain::UnitLevel::District
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AnnouncementForm {
    csrf: String,
    title: String,
    body: String,
    published_on: String,
}

async fn announcements_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    render_announcements(&st, &ctx, &v, &unit, None).await
}

async fn render_announcements(
    st: &AppState,
    ctx: &Ctx,
    v: &Viewer,
    unit: &Unit,
    error: Option<String>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let today = st.config.today();
    let horizon = today
        .checked_add_days(chrono::Days::new(366))
        .unwrap_or(today);
    let list = st.store.announcements_for(unit, horizon, 50).await?;
    let writes = writes_announcements(v, unit);
    let body = html! {
        (super::css_link())
        p { a href=(super::dashboard::dashboard_href(unit.code.as_str(), today)) { "← " (S::Dashboard.get(lang)) } }
        h1 { (S::Announcements.get(lang)) " — " (unit.full_name) }
        @if writes {
            form.edit method="post" action={"/units/" (unit.code) "/announcements"} {
                input type="hidden" name="csrf" value=(v.csrf());
                @if let Some(e) = &error { p.error role="alert" { (e) } }
                div.field { label for="title" { (S::Title.get(lang)) } input #title type="text" name="title" required maxlength="200"; }
                div.field { label for="body" { (S::Body.get(lang)) } textarea #body name="body" required maxlength="5000" {} }
                div.field { label for="published_on" { (S::PublishedOn.get(lang)) }
                    input #published_on type="date" name="published_on" value=(today.to_string()) required; }
                button type="submit" { (S::Publish.get(lang)) }
            }
        }
        @for a in &list {
            article.announce {
                h3 { (a.title) }
                p.muted { (lang.date(a.published_on)) " · " (a.unit_name) " · " (S::By.get(lang)) " " (a.author) }
                p { (a.body) }
            }
        }
        p { a href={"/public/units/" (unit.code)} { (S::PublicTitle.get(lang)) } }
    };
    Ok(layout(ctx, Some(v), S::Announcements.get(lang), body).into_response())
}

async fn publish(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Form(f): Form<AnnouncementForm>,
) -> Result<Response, PageError> {
    let unit = scope::seen_unit(&st.store, &v.access, &code).await?;
    if !v.csrf_ok(&f.csrf) {
        return Err(PageError(AppError::Forbidden(
            "CSRF token missing or wrong",
        )));
    }
    if !writes_announcements(&v, &unit) {
        return Err(PageError(AppError::Forbidden(
            "only district and commune staff publish announcements",
        )));
    }
    let Ok(on) = f.published_on.trim().parse::<NaiveDate>() else {
        return render_announcements(
            &st,
            &ctx,
            &v,
            &unit,
            Some("published_on: YYYY-MM-DD".into()),
        )
        .await;
    };
    match st
        .store
        .create_announcement(&v.user.actor(), &unit, &f.title, &f.body, on)
        .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/units/{}/announcements", enc(unit.code.as_str())))
                .into_response(),
        ),
        Err(vx_store::StoreError::Invalid(msg)) => {
            render_announcements(&st, &ctx, &v, &unit, Some(msg)).await
        }
        Err(e) => Err(PageError(e.into())),
    }
}
