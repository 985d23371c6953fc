//! `/ops?unit=CODE`: the operations of a unit on one page — checkpoints, permits,
//! businesses with today's status, support programmes — with the forms to add them.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use maud::html;
use serde::Deserialize;
use vx_domain::ops::business::Sector;
use vx_domain::ops::support::Rule;
use vx_domain::UnitLevel;

use super::businesses::{registers, status_text};
use super::support::{creates_programmes, programmes_for, rule_name};
use super::{day_or_today, issues_permits, s, S};
use crate::auth::PageViewer;
use crate::error::{AppError, PageError, PageResult};
use crate::i18n::Lang;
use crate::pages::{layout, ok, Ctx};
use crate::scope;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/ops", get(ops_page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OpsQuery {
    unit: Option<String>,
    date: Option<String>,
}

async fn ops_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Query(q): Query<OpsQuery>,
) -> PageResult {
    let unit = match q.unit.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => scope::seen_unit(&st.store, &v.access, code).await?,
        None => scope::top_units(&st.store, &v)
            .await?
            .into_iter()
            .next()
            .ok_or(PageError(AppError::not_found()))?,
    };
    let day = day_or_today(q.date.as_deref(), st.config.today())?;
    let lang = ctx.lang;
    let checkpoints = st.store.checkpoints_under(&unit).await?;
    let permits = if issues_permits(&v) {
        st.store.permits_under(&unit, 50).await?
    } else {
        vec![]
    };
    let mut businesses = Vec::new();
    for b in st.store.businesses_under(&unit).await? {
        let (_, _, d) = st.store.business_decision(&b, day).await?;
        businesses.push((b, d));
    }
    let programmes = programmes_for(&st, &v).await?;
    let issuer =
        issues_permits(&v) && matches!(unit.level, UnitLevel::Commune | UnitLevel::District);
    let personal = v.access.sees_people_in(&unit);
    let body = html! {
        h1 { (s(lang, S::Ops)) " · " (unit.name) }
        p.muted { (unit.full_name) " · " (lang.date(day)) }
        @if personal { p { a href={"/ops/units/" (unit.code) "/overdue?date=" (day)} { (s(lang, S::Overdue)) } } }

        h2 { (s(lang, S::Checkpoints)) }
        @if checkpoints.is_empty() { p { (s(lang, S::NoCheckpoints)) } }
        ul { @for c in &checkpoints {
            li { a href={"/ops/checkpoints/" (c.id)} { (c.name) } " · " (c.location) " · " (c.unit_name) }
        } }
        @if issues_permits(&v) {
            details {
                summary { (s(lang, S::NewCheckpoint)) }
                form method="post" action="/ops/checkpoints" {
                    input type="hidden" name="csrf" value=(v.csrf());
                    input type="hidden" name="unit" value=(unit.code);
                    div.field { label for="cp_name" { (s(lang, S::Name)) } input id="cp_name" type="text" name="name" required; }
                    div.field { label for="cp_loc" { (s(lang, S::Location)) } input id="cp_loc" type="text" name="location"; }
                    div.field { label for="cp_off" { (s(lang, S::Officers)) } input id="cp_off" type="text" name="officers"; }
                    button type="submit" { (s(lang, S::Create)) }
                }
            }
        }

        @if issues_permits(&v) {
            h2 { (s(lang, S::Permits)) }
            @if permits.is_empty() { p { (s(lang, S::NoPermits)) } }
            ul { @for p in &permits {
                li {
                    a href={"/ops/permits/" (p.id)} { "#" (p.id) " " (p.permit.holder.label()) }
                    " · " (p.permit.purpose) " · " (lang.instant(p.permit.valid_to))
                    @if p.revoked_at.is_some() { " · " strong { (s(lang, S::Revoked)) } }
                }
            } }
            @if issuer {
                details {
                    summary { (s(lang, S::IssuePermit)) }
                    form method="post" action="/ops/permits" {
                        input type="hidden" name="csrf" value=(v.csrf());
                        input type="hidden" name="unit" value=(unit.code);
                        fieldset { legend { (s(lang, S::HolderKind)) }
                            label { input type="radio" name="kind" value="person" checked; " " (s(lang, S::PersonKind)) } " "
                            label { input type="radio" name="kind" value="vehicle"; " " (s(lang, S::VehicleKind)) } }
                        div.field { label for="p_name" { (s(lang, S::HolderName)) } input id="p_name" type="text" name="name" required; }
                        div.field { label for="p_doc" { (s(lang, S::Document)) } input id="p_doc" type="text" name="document"; }
                        div.field { label for="p_plate" { (s(lang, S::Plate)) } input id="p_plate" type="text" name="plate"; }
                        div.field { label for="p_person" { (s(lang, S::PersonId)) } input id="p_person" type="number" name="person_id"; }
                        div.field { label for="p_purpose" { (s(lang, S::Purpose)) } input id="p_purpose" type="text" name="purpose" required; }
                        div.field { label for="p_dest" { (s(lang, S::Destinations)) } input id="p_dest" type="text" name="destinations" required; }
                        div.field { label for="p_from" { (s(lang, S::ValidFrom)) } input id="p_from" type="date" name="valid_from" value=(day.to_string()); }
                        div.field { label for="p_days" { (s(lang, S::ValidDays)) } input id="p_days" type="number" name="days" value="7" min="1" max="30"; }
                        div.field { label for="p_hours" { (s(lang, S::TestHours)) } input id="p_hours" type="number" name="test_hours" value="72"; }
                        div.field { label for="p_doses" { (s(lang, S::Doses)) } input id="p_doses" type="number" name="doses"; }
                        button type="submit" { (s(lang, S::IssuePermit)) }
                    }
                }
            }
        }

        h2 { (s(lang, S::Businesses)) }
        @if businesses.is_empty() { p { (s(lang, S::NoBusinesses)) } } @else {
            div.scroll tabindex="0" { table {
                thead { tr { th { (s(lang, S::Name)) } th { (s(lang, S::Sector)) } th { (s(lang, S::Unit)) } th { (s(lang, S::Workers)) } th { (s(lang, S::Status)) } } }
                tbody { @for (b, d) in &businesses {
                    tr {
                        td { a href={"/ops/businesses/" (b.id) "?date=" (day)} { (b.business.name) }
                            @if b.business.household { " · " (s(lang, S::HouseholdBusiness)) } }
                        td { (match lang { Lang::Vi => b.business.sector.name_vi(), Lang::En => b.business.sector.name_en() }) }
                        td { (b.unit_name) }
                        td { (b.workers) }
                        td { (status_text(lang, &d.status)) }
                    }
                } }
            } }
        }
        @if registers(&v) {
            details {
                summary { (s(lang, S::NewBusiness)) }
                form method="post" action="/ops/businesses" {
                    input type="hidden" name="csrf" value=(v.csrf());
                    div.field { label for="b_unit" { (s(lang, S::UnitCode)) } input id="b_unit" type="text" name="unit" value=(unit.code) required; }
                    div.field { label for="b_name" { (s(lang, S::Name)) } input id="b_name" type="text" name="name" required; }
                    div.field { label for="b_sector" { (s(lang, S::Sector)) }
                        select id="b_sector" name="sector" { @for x in Sector::ALL {
                            option value=(x.as_str()) { (match lang { Lang::Vi => x.name_vi(), Lang::En => x.name_en() }) }
                        } } }
                    div.field { label for="b_addr" { (s(lang, S::Address)) } input id="b_addr" type="text" name="address"; }
                    div.field.check { input id="b_hh" type="checkbox" name="household" value="1"; " " label for="b_hh" { (s(lang, S::HouseholdBusiness)) } }
                    div.field.check { input id="b_plan" type="checkbox" name="safety_plan" value="1"; " " label for="b_plan" { (s(lang, S::SafetyPlan)) } }
                    div.field.check { input id="b_3" type="checkbox" name="three_on_site" value="1"; " " label for="b_3" { (s(lang, S::ThreeOnSite)) } }
                    div.field.check { input id="b_1" type="checkbox" name="one_route" value="1"; " " label for="b_1" { (s(lang, S::OneRoute)) } }
                    button type="submit" { (s(lang, S::Create)) }
                }
            }
        }

        h2 { (s(lang, S::Programmes)) }
        @if programmes.is_empty() { p { (s(lang, S::NoProgrammes)) } }
        ul { @for g in &programmes {
            li { a href={"/ops/programmes/" (g.id) "?unit=" (unit.code) "&date=" (day)} { (g.programme.name) }
                " · " a href={"/ops/programmes/" (g.id) "/gap?unit=" (unit.code) "&date=" (day)} { (s(lang, S::Gap)) } }
        } }
        @if creates_programmes(&v) {
            details {
                summary { (s(lang, S::NewProgramme)) }
                form method="post" action="/ops/programmes" {
                    input type="hidden" name="csrf" value=(v.csrf());
                    input type="hidden" name="unit" value=(unit.code);
                    div.field { label for="g_name" { (s(lang, S::Name)) } input id="g_name" type="text" name="name" required; }
                    fieldset { legend { (s(lang, S::Kind)) }
                        label { input type="radio" name="kind" value="goods" checked; " " (s(lang, S::Goods)) } " "
                        label { input type="radio" name="kind" value="cash"; " " (s(lang, S::Cash)) } }
                    div.field { label for="g_goods" { (s(lang, S::GoodsWhat)) } input id="g_goods" type="text" name="goods"; }
                    div.field { label for="g_amount" { (s(lang, S::Amount)) } input id="g_amount" type="text" name="amount" inputmode="numeric"; }
                    fieldset { legend { (s(lang, S::Rules)) }
                        @for r in Rule::ALL {
                            @let id = format!("r_{}", r.as_str().replace('-', "_"));
                            div.field.check { input id=(id) type="checkbox" name=(id) value="1"; " " label for=(id) { (rule_name(lang, r)) } }
                        } }
                    button type="submit" { (s(lang, S::Create)) }
                }
            }
        }
    };
    ok(layout(&ctx, Some(&v), s(lang, S::Ops), body))
}
