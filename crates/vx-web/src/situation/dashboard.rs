//! `GET /units/{code}/dashboard?date=D&sort=K&dir=asc|desc`: a unit's situation on a day —
//! its level and reasons, its figures, the level map (or tiles), the epidemic curve, the
//! level timeline of its children, coverage and positivity per round, and its children
//! with their levels and figures, sortable by links, each linking to its own dashboard.

use std::cmp::Ordering;
use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use maud::{html, Markup};
use serde::Deserialize;
use vx_domain::{Access, Unit};
use vx_store::rules::{render, Level};
use vx_store::Figures;

use super::map::{self, Place};
use super::{charts, days_before, level_class, level_name, num1, pct, rlang, status_of, Levels, S};
use crate::auth::PageViewer;
use crate::error::PageError;
use crate::i18n::Lang;
use crate::input::day_or_today;
use crate::pages::{enc, layout, Ctx};
use crate::scope;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/units/{code}/dashboard", get(dashboard))
}

/// Days in the epidemic curve and in the level timeline.
const CURVE_DAYS: u64 = 60;
const TIMELINE_DAYS: u64 = 30;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DashQuery {
    date: Option<String>,
    sort: String,
    dir: String,
}

/// The sortable columns of the children table.
const SORTS: [&str; 9] = [
    "name", "level", "c7", "c14", "rate", "days", "cov", "pos", "iso",
];

pub(crate) fn dashboard_href(code: &str, day: NaiveDate) -> String {
    format!("/units/{}/dashboard?date={day}", enc(code))
}

struct Row<'a> {
    unit: &'a Unit,
    level: Option<Level>,
    f: &'a Figures,
}

fn sort_rows(rows: &mut [Row<'_>], key: &str, desc: bool, day: NaiveDate) {
    let cmp_f = |a: Option<f64>, b: Option<f64>| a.partial_cmp(&b).unwrap_or(Ordering::Equal);
    rows.sort_by(|a, b| {
        let o = match key {
            "level" => a
                .level
                .map(|l| l.number())
                .cmp(&b.level.map(|l| l.number())),
            "c7" => a.f.community_7d.cmp(&b.f.community_7d),
            "c14" => a.f.community_14d.cmp(&b.f.community_14d),
            "rate" => cmp_f(a.f.per_100k_7d(), b.f.per_100k_7d()),
            "days" => {
                a.f.days_since_community(day)
                    .unwrap_or(i64::MAX)
                    .cmp(&b.f.days_since_community(day).unwrap_or(i64::MAX))
            }
            "cov" => cmp_f(
                a.f.round.as_ref().and_then(|r| r.coverage_pct()),
                b.f.round.as_ref().and_then(|r| r.coverage_pct()),
            ),
            "pos" => cmp_f(
                a.f.round.as_ref().and_then(|r| r.positivity_pct()),
                b.f.round.as_ref().and_then(|r| r.positivity_pct()),
            ),
            "iso" => (a.f.isolating + a.f.f1_home + a.f.f1_facility)
                .cmp(&(b.f.isolating + b.f.f1_home + b.f.f1_facility)),
            _ => vx_domain::fold(&a.unit.name).cmp(&vx_domain::fold(&b.unit.name)),
        };
        let o = o.then_with(|| a.unit.code.cmp(&b.unit.code));
        if desc {
            o.reverse()
        } else {
            o
        }
    });
}

pub(crate) fn figures_list(f: &Figures, day: NaiveDate, lang: Lang) -> Markup {
    html! {
        ul.figures {
            li { (S::Cases7.get(lang)) b { (lang.number(f.community_7d)) } }
            li { (S::Cases14.get(lang)) b { (lang.number(f.community_14d)) } }
            li { (S::Per100k.get(lang)) b { (num1(f.per_100k_7d(), lang)) } }
            li { (S::DaysSince.get(lang)) b {
                @match f.days_since_community(day) {
                    Some(d) => (d),
                    None => (S::NoCommunityCase.get(lang)),
                }
            } }
            @if let Some(r) = &f.round {
                li { (S::LastRound.get(lang)) b { (S::Round.get(lang)) " " (r.number) } (lang.date(r.start)) }
                li { (S::Coverage.get(lang)) b { (pct(r.coverage_pct(), lang)) } (lang.number(r.sampled)) "/" (lang.number(r.targeted)) }
                li { (S::Positivity.get(lang)) b { (pct(r.positivity_pct(), lang)) } (lang.number(r.positives)) "/" (lang.number(r.resulted)) }
            }
            li { (S::Isolating.get(lang)) b { (lang.number(f.isolating)) } }
            li { (S::QuarantineHome.get(lang)) b { (lang.number(f.f1_home)) } }
            li { (S::QuarantineFacility.get(lang)) b { (lang.number(f.f1_facility)) } }
            li { (S::F2.get(lang)) b { (lang.number(f.f2)) } }
            @if let Some(p) = f.population { li { (S::Population.get(lang)) b { (lang.number(p)) } } }
        }
    }
}

/// The dashboard, drawn once per data version for each session, day, sort and language.
async fn dashboard(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Query(q): Query<DashQuery>,
) -> Result<Response, PageError> {
    st.cache
        .page(&v, ctx.address(), || {
            draw_dashboard(&st, &ctx, &v, &code, &q)
        })
        .await
}

async fn draw_dashboard(
    st: &AppState,
    ctx: &Ctx,
    v: &crate::auth::Viewer,
    code: &str,
    q: &DashQuery,
) -> Result<Response, PageError> {
    let store = &st.store;
    let unit = scope::seen_unit(store, &v.access, code).await?;
    let day = day_or_today(q.date.as_deref(), st.config.today())?;
    let lang = ctx.lang;
    let children = scope::seen_children(store, &v.access, &unit).await?;

    // Tiles grouped by parent: under a district, its hamlets by commune (when seen).
    let grandchildren: Vec<Unit> = if unit.level == vx_domain::UnitLevel::District {
        store
            .subtree(&unit)
            .await?
            .into_iter()
            .filter(|u| {
                u.parent_code.as_ref().is_some_and(|p| p != &unit.code)
                    && children
                        .iter()
                        .any(|c| Some(&c.code) == u.parent_code.as_ref())
                    && v.access.sees_unit(u)
            })
            .collect()
    } else {
        vec![]
    };

    let mut all = vec![unit.clone()];
    all.extend(children.iter().cloned());
    all.extend(grandchildren.iter().cloned());
    let figures = store.figures(&unit, &all, day).await?;
    let levels = Levels::load(store, &unit, days_before(day, TIMELINE_DAYS - 1), day).await?;
    let status = status_of(store, &levels, &unit, day, true).await?;
    let curve = store
        .curve(&unit, days_before(day, CURVE_DAYS - 1), day)
        .await?;
    let rounds = store.rounds_in(&unit, day).await?;
    let targets = store.targets_under(&unit.path, day).await?;
    let reviews = store.open_reviews_under(&unit.path).await?;
    let boundaries = if children.is_empty() {
        vec![]
    } else {
        store.child_boundaries(&unit).await?
    };
    let grand_levels: HashMap<i64, Level> = if grandchildren.is_empty() {
        HashMap::new()
    } else {
        store
            .level_numbers(&unit, day, day, true)
            .await?
            .into_iter()
            .filter_map(|(id, _, n)| Some((id, Level::from_number(n)?)))
            .collect()
    };
    let ancestors = store.ancestors(&unit).await?;
    let unassessed = super::unassessed_notice(store, &unit, day, lang, |d| {
        dashboard_href(unit.code.as_str(), d)
    })
    .await?;

    // Children rows, sorted as asked.
    let sort = SORTS
        .iter()
        .find(|s| **s == q.sort)
        .copied()
        .unwrap_or("name");
    let desc = q.dir == "desc";
    let mut rows: Vec<Row<'_>> = children
        .iter()
        .enumerate()
        .map(|(i, c)| Row {
            unit: c,
            level: levels.level_on(c.id, day),
            f: &figures[i + 1],
        })
        .collect();
    sort_rows(&mut rows, sort, desc, day);

    let key7 = |f: &Figures| format!("{} {}", lang.number(f.community_7d), S::Key7d.get(lang));
    let places: Vec<Place<'_>> = children
        .iter()
        .enumerate()
        .map(|(i, c)| Place {
            unit: c,
            level: levels.level_on(c.id, day),
            key: key7(&figures[i + 1]),
            href: dashboard_href(c.code.as_str(), day),
        })
        .collect();
    let tile_groups: Vec<(String, Vec<Place<'_>>)> = if grandchildren.is_empty() {
        vec![(
            unit.name.clone(),
            places
                .iter()
                .map(|p| Place {
                    unit: p.unit,
                    level: p.level,
                    key: p.key.clone(),
                    href: p.href.clone(),
                })
                .collect(),
        )]
    } else {
        let offset = 1 + children.len();
        children
            .iter()
            .map(|c| {
                let members = grandchildren
                    .iter()
                    .enumerate()
                    .filter(|(_, g)| g.parent_code.as_ref() == Some(&c.code))
                    .map(|(j, g)| Place {
                        unit: g,
                        level: grand_levels.get(&g.id).copied(),
                        key: key7(&figures[offset + j]),
                        href: dashboard_href(g.code.as_str(), day),
                    })
                    .collect::<Vec<_>>();
                let members = if members.is_empty() {
                    vec![Place {
                        unit: c,
                        level: levels.level_on(c.id, day),
                        key: key7(
                            &figures[1 + children.iter().position(|x| x.id == c.id).unwrap_or(0)],
                        ),
                        href: dashboard_href(c.code.as_str(), day),
                    }]
                } else {
                    members
                };
                (c.name.clone(), members)
            })
            .collect()
    };

    let timeline_from = days_before(day, TIMELINE_DAYS - 1);
    let timeline_rows: Vec<(String, String, Vec<Option<Level>>)> = children
        .iter()
        .map(|c| {
            let strip = timeline_from
                .iter_days()
                .take(TIMELINE_DAYS as usize)
                .map(|d| levels.level_on(c.id, d))
                .collect();
            (c.code.to_string(), c.name.clone(), strip)
        })
        .collect();

    let sort_link = |key: &str, label: &str| -> Markup {
        let dir = if sort == key {
            if desc {
                "asc"
            } else {
                "desc"
            }
        } else if key == "name" {
            "asc"
        } else {
            "desc"
        };
        let href = format!(
            "/units/{}/dashboard?date={day}&sort={key}&dir={dir}",
            enc(unit.code.as_str())
        );
        html! { a href=(href) { (label) @if sort == key { @if desc { " ▼" } @else { " ▲" } } } }
    };
    // the sorted column says so on its header cell (aria-sort belongs to th)
    let sorted = |key: &str| (sort == key).then_some(if desc { "descending" } else { "ascending" });
    let rl = rlang(lang);
    let f0 = &figures[0];
    let body = html! {
        (super::css_link())
        (crumbs(&v.access, &ancestors, &unit, day))
        h1 { (S::Dashboard.get(lang)) " — " (unit.full_name) }
        (unassessed)
        form method="get" action={"/units/" (unit.code) "/dashboard"} {
            label { (S::Day.get(lang)) " " input type="date" name="date" value=(day.to_string()); }
            @if sort != "name" { input type="hidden" name="sort" value=(sort); }
            @if desc { input type="hidden" name="dir" value="desc"; }
            " " button type="submit" { (S::Show.get(lang)) }
        }
        section #level {
            h2 { (S::Level.get(lang)) }
            @match &status {
                None => p { span class="lvbadge lv0" { (S::NotAssessed.get(lang)) } },
                Some((rs, o, stored)) => {
                    p { span class={"lvbadge " (level_class(Some(o.level)))} { (level_name(Some(o.level), lang)) } " "
                        (render::level_long(rs, o.level, rl)) }
                    @if !stored { p.muted { (S::NotStored.get(lang)) } }
                    details #reasons open {
                        summary { (S::Reasons.get(lang)) }
                        ul.reasons {
                            @for r in o.reasons.iter() {
                                li { @if r.decided { strong { (render::render_reason(rs, r, rl)) } } @else { (render::render_reason(rs, r, rl)) } }
                            }
                        }
                    }
                }
            }
            div.actions {
                a.button.secondary href={"/units/" (unit.code) "/status?date=" (day)} { (S::StatusPage.get(lang)) }
                a.button.secondary href={"/units/" (unit.code) "/report?date=" (day)} { (S::DailyReport.get(lang)) }
                a.button.secondary href={"/units/" (unit.code) "/worklists?date=" (day)} { (S::WorkLists.get(lang)) }
                a.button.secondary href={"/units/" (unit.code) "/announcements"} { (S::Announcements.get(lang)) }
            }
        }
        section #figures {
            (figures_list(f0, day, lang))
        }
        section #targets {
            h2 { (S::Targets.get(lang)) }
            (crate::zones::targets_summary(&targets, day, false, lang))
        }
        section #open-reviews {
            h2 { (S::OpenReviews.get(lang)) }
            (crate::zones::reviews_summary(&reviews, lang))
        }
        @if !children.is_empty() {
            section #map {
                h2 { (S::Map.get(lang)) }
                @if boundaries.is_empty() {
                    (map::tiles(&tile_groups, lang))
                } @else {
                    (map::svg(&places, &boundaries, lang))
                }
            }
        }
        section #curve {
            h2 { (S::Curve.get(lang)) }
            (charts::curve(&curve, lang))
        }
        @if !children.is_empty() {
            section #timeline {
                h2 { (S::Timeline.get(lang)) }
                (charts::timeline(&timeline_rows, timeline_from, |c| dashboard_href(c, day), lang))
            }
        }
        @if !rounds.is_empty() {
            section #rounds {
                h2 { (S::Rounds.get(lang)) }
                (charts::rounds(&rounds, lang))
            }
        }
        @if !children.is_empty() {
            section #children {
                h2 { (S::Children.get(lang)) }
                div.scroll tabindex="0" { table {
                    thead { tr {
                        th aria-sort=[sorted("name")] { (sort_link("name", S::Unit.get(lang))) }
                        th aria-sort=[sorted("level")] { (sort_link("level", S::Level.get(lang))) }
                        th.num aria-sort=[sorted("c7")] { (sort_link("c7", S::Cases7.get(lang))) }
                        th.num aria-sort=[sorted("c14")] { (sort_link("c14", S::Cases14.get(lang))) }
                        th.num aria-sort=[sorted("rate")] { (sort_link("rate", S::Per100k.get(lang))) }
                        th.num aria-sort=[sorted("days")] { (sort_link("days", S::DaysSince.get(lang))) }
                        th.num aria-sort=[sorted("cov")] { (sort_link("cov", S::Coverage.get(lang))) }
                        th.num aria-sort=[sorted("pos")] { (sort_link("pos", S::Positivity.get(lang))) }
                        th.num aria-sort=[sorted("iso")] { (sort_link("iso", S::Isolating.get(lang))) " + F1" }
                    } }
                    tbody {
                        @for r in &rows {
                            tr {
                                td { a href=(dashboard_href(r.unit.code.as_str(), day)) { (r.unit.name) } }
                                td { span class={"lvbadge " (level_class(r.level))} { (level_name(r.level, lang)) } }
                                td.num { (lang.number(r.f.community_7d)) }
                                td.num { (lang.number(r.f.community_14d)) }
                                td.num { (num1(r.f.per_100k_7d(), lang)) }
                                td.num { @match r.f.days_since_community(day) { Some(d) => (d), None => "—" } }
                                td.num { (pct(r.f.round.as_ref().and_then(|x| x.coverage_pct()), lang)) }
                                td.num { (pct(r.f.round.as_ref().and_then(|x| x.positivity_pct()), lang)) }
                                td.num { (lang.number(r.f.isolating)) " + " (lang.number(r.f.f1_home + r.f.f1_facility)) }
                            }
                        }
                    }
                } }
            }
        }
    };
    Ok(layout(ctx, Some(v), S::Dashboard.get(lang), body).into_response())
}

fn crumbs(access: &Access, ancestors: &[Unit], unit: &Unit, day: NaiveDate) -> Markup {
    html! {
        nav.crumbs aria-label="breadcrumb" {
            ol {
                @for a in ancestors {
                    li {
                        @if access.sees_unit(a) {
                            a href=(dashboard_href(a.code.as_str(), day)) { (a.name) }
                        } @else {
                            span { (a.name) }
                        }
                    }
                }
                li aria-current="page" { (unit.name) }
            }
        }
    }
}
