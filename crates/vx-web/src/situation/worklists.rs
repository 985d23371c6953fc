//! Work lists for the viewer's scope: `GET /worklists` (the viewer's first scope unit) and
//! `GET /units/{code}/worklists?date=D`. Counts per child unit for everyone who sees the
//! unit (tests due today, quarantines ending, overdue, retests of positive pools), each a
//! link down; where the viewer's role sees people, the items themselves, each a link to
//! the person to act on. Targets at risk and open reviews have their places (issue 4).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use maud::{html, Markup};
use serde::Deserialize;
use vx_domain::epi::WorkItem;
use vx_store::WorkCounts;

use super::S;
use crate::auth::PageViewer;
use crate::error::{AppError, PageError};
use crate::i18n::Lang;
use crate::input::day_or_today;
use crate::pages::{enc, layout, Ctx};
use crate::scope;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/worklists", get(my_worklists))
        .route("/units/{code}/worklists", get(worklists))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DayQuery {
    date: Option<String>,
}

fn href(code: &str, day: NaiveDate) -> String {
    format!("/units/{}/worklists?date={day}", enc(code))
}

async fn my_worklists(
    State(st): State<AppState>,
    PageViewer(v): PageViewer,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let day = day_or_today(q.date.as_deref(), st.config.today())?;
    let tops = scope::top_units(&st.store, &v).await?;
    let first = tops.first().ok_or_else(AppError::not_found)?;
    Ok(Redirect::to(&href(first.code.as_str(), day)).into_response())
}

fn items(lang: Lang, title: S, list: &[WorkItem]) -> Markup {
    html! {
        h3 { (title.get(lang)) " (" (list.len()) ")" }
        @if list.is_empty() { p.muted { (S::Nothing.get(lang)) } } @else {
            div.scroll tabindex="0" { table {
                thead { tr { th { (S::Person.get(lang)) } th { (S::Household.get(lang)) } th { (S::Unit.get(lang)) } th { (S::Day.get(lang)) } } }
                tbody { @for i in list { tr {
                    td { a href={"/people/" (i.person_id)} { (i.person_name) } }
                    td { (i.household_code) }
                    td { (i.unit_code) }
                    td { (lang.date(i.day)) }
                } } }
            } }
        }
    }
}

async fn worklists(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let store = &st.store;
    let unit = scope::seen_unit(store, &v.access, &code).await?;
    let day = day_or_today(q.date.as_deref(), st.config.today())?;
    let lang = ctx.lang;
    let children = scope::seen_children(store, &v.access, &unit).await?;
    let mut units = vec![unit.clone()];
    units.extend(children.iter().cloned());
    let counts = store.work_counts(&unit, &units, day).await?;
    let targets = store.targets_under(&unit.path, day).await?;
    let reviews = store.open_reviews_under(&unit.path).await?;
    let list = if v.access.sees_people_in(&unit) {
        Some(store.work_list(&unit, day).await?)
    } else {
        None
    };
    let cell = |n: i64, code: &str| -> Markup {
        html! { @if n > 0 { a href=(href(code, day)) { (lang.number(n)) } } @else { "0" } }
    };
    let row = |name: &str, code: &str, c: &WorkCounts, link: bool| -> Markup {
        html! { tr {
            td { @if link { a href=(href(code, day)) { (name) } } @else { strong { (name) } } }
            td.num { (cell(c.tests_due, code)) }
            td.num { (cell(c.quarantines_ending, code)) }
            td.num { (cell(c.overdue, code)) }
            td.num { (cell(c.retests, code)) }
        } }
    };
    let body = html! {
        (super::css_link())
        p { a href=(super::dashboard::dashboard_href(unit.code.as_str(), day)) { "← " (S::Dashboard.get(lang)) } }
        h1 { (S::WorkLists.get(lang)) " — " (unit.full_name) }
        form method="get" action={"/units/" (unit.code) "/worklists"} {
            label { (S::Day.get(lang)) " " input type="date" name="date" value=(day.to_string()); }
            " " button type="submit" { (S::Show.get(lang)) }
        }
        h2 { (S::ByUnit.get(lang)) }
        div.scroll tabindex="0" { table #work-counts {
            thead { tr {
                th { (S::Unit.get(lang)) }
                th.num { (S::TestsDue.get(lang)) }
                th.num { (S::QuarantinesEnding.get(lang)) }
                th.num { (S::Overdue.get(lang)) }
                th.num { (S::Retests.get(lang)) }
            } }
            tbody {
                (row(&unit.name, unit.code.as_str(), &counts[0], false))
                @for (i, c) in children.iter().enumerate() {
                    (row(&c.name, c.code.as_str(), &counts[i + 1], true))
                }
            }
        } }
        @if let Some(list) = &list {
            section #work-items {
                (items(lang, S::TestsDue, &list.tests_due_today))
                (items(lang, S::QuarantinesEnding, &list.quarantines_ending))
                (items(lang, S::Overdue, &list.overdue))
                (items(lang, S::Retests, &list.retests))
            }
        }
        section #targets-at-risk {
            h2 { (S::TargetsAtRisk.get(lang)) }
            (crate::zones::targets_summary(&targets, day, true, lang))
        }
        section #open-reviews {
            h2 { (S::OpenReviews.get(lang)) }
            (crate::zones::reviews_summary(&reviews, lang))
        }
    };
    Ok(layout(&ctx, Some(&v), S::WorkLists.get(lang), body).into_response())
}
