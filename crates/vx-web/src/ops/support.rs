//! Pages of social support: programmes, eligible households per hamlet with the
//! distribution form, the gap report, and the treasury export.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::NaiveDate;
use maud::html;
use serde::Deserialize;
use vx_domain::ops::support::{spreadsheet_safe, AidKind, Combine, NewProgramme, Rule};
use vx_domain::{Role, Unit, UnitCode};
use vx_store::ops::{Distribution, Handed, NewDistribution, Programme};

use super::permits::invalid_page;
use super::{concerns, day_or_today, programme_unit, s, seen_programme, S};
use crate::auth::{PageViewer, Viewer};
use crate::error::{AppError, PageError, PageResult};
use crate::i18n::Lang;
use crate::pages::{csrf_check, enc, layout, ok, Ctx};
use crate::scope;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ops/programmes", post(create_programme))
        .route("/ops/programmes/{id}", get(programme_page))
        .route("/ops/programmes/{id}/distributions", post(distribute))
        .route("/ops/programmes/{id}/gap", get(gap_page))
        .route("/ops/programmes/{id}/treasury.xlsx", get(treasury_xlsx))
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Roles that create programmes.
pub(crate) fn creates_programmes(v: &Viewer) -> bool {
    matches!(
        v.access.role,
        Role::Admin | Role::Province | Role::District | Role::Commune
    )
}

pub(crate) fn rule_name(lang: Lang, r: Rule) -> &'static str {
    match lang {
        Lang::Vi => r.name_vi(),
        Lang::En => r.name_en(),
    }
}

fn what_of(lang: Lang, g: &Programme) -> String {
    match g.programme.kind {
        AidKind::Cash => format!("{} đ", lang.number(g.programme.amount_vnd.unwrap_or(0))),
        AidKind::Goods => g.programme.goods.clone(),
    }
}

/// Programmes that concern the viewer.
pub(crate) async fn programmes_for(st: &AppState, v: &Viewer) -> Result<Vec<Programme>, AppError> {
    Ok(st
        .store
        .programmes()
        .await?
        .into_iter()
        .filter(|g| concerns(v, g))
        .collect())
}

async fn create_programme(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| f.get(k).map(|x| x.trim().to_string()).unwrap_or_default();
    csrf_check(&v, &get("csrf"))?;
    if !creates_programmes(&v) {
        return Err(PageError(AppError::not_found()));
    }
    let unit = scope::seen_unit(&st.store, &v.access, &get("unit")).await?;
    let back = format!("/ops?unit={}", unit.code);
    let mut errors = Vec::new();
    let kind = AidKind::parse(&get("kind")).unwrap_or_else(|e| {
        errors.push(format!("kind: {e}"));
        AidKind::Goods
    });
    let amount = match get("amount").replace(['.', ',', ' '], "").as_str() {
        "" => None,
        a => a.parse::<i64>().map(Some).unwrap_or_else(|_| {
            errors.push(format!("amount_vnd: {a:?} is not a number"));
            None
        }),
    };
    let rules: Vec<Rule> = Rule::ALL
        .into_iter()
        .filter(|r| get(&format!("r_{}", r.as_str().replace('-', "_"))) == "1")
        .collect();
    let g = NewProgramme {
        name: get("name"),
        kind,
        amount_vnd: amount,
        goods: get("goods"),
        unit_code: unit.code.clone(),
        rules,
        combine: if get("combine") == "all" {
            Combine::All
        } else {
            Combine::Any
        },
    };
    if let Err(e) = g.validate() {
        errors.push(e.to_string());
    }
    if !errors.is_empty() {
        return invalid_page(&ctx, &v, &errors, &back);
    }
    match st.store.create_programme(&v.user.actor(), &g).await {
        Ok(g) => Ok(Redirect::to(&format!("/ops/programmes/{}", g.id)).into_response()),
        Err(vx_store::StoreError::Invalid(m)) => invalid_page(&ctx, &v, &[m], &back),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UnitQuery {
    unit: Option<String>,
    date: Option<String>,
}

fn header_markup(lang: Lang, g: &Programme, unit: &Unit, day: NaiveDate) -> maud::Markup {
    html! {
        h1 { (g.programme.name) }
        p.muted {
            (match g.programme.kind { AidKind::Cash => s(lang, S::Cash), AidKind::Goods => s(lang, S::Goods) })
            ": " (what_of(lang, g)) " · " (unit.full_name) " · " (lang.date(day))
        }
        p { (s(lang, S::Rules)) ": "
            @for (i, r) in g.programme.rules.iter().enumerate() { @if i > 0 { "; " } (rule_name(lang, *r)) } }
        p {
            a href={"/ops/programmes/" (g.id) "/gap?unit=" (unit.code) "&date=" (day)} { (s(lang, S::Gap)) }
        }
    }
}

async fn programme_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Query(q): Query<UnitQuery>,
) -> PageResult {
    let g = seen_programme(&st.store, &v, &id).await?;
    let unit = programme_unit(&st.store, &v, &g, q.unit.as_deref()).await?;
    let day = day_or_today(q.date.as_deref(), st.config.today())?;
    draw_programme(&st, &ctx, &v, &g, &unit, day, None).await
}

async fn draw_programme(
    st: &AppState,
    ctx: &Ctx,
    v: &Viewer,
    g: &Programme,
    unit: &Unit,
    day: NaiveDate,
    earlier: Option<&Distribution>,
) -> PageResult {
    let lang = ctx.lang;
    let personal = v.access.sees_people_in(unit);
    let list = if personal {
        st.store.eligible_households(g, unit, day).await?
    } else {
        vec![]
    };
    let eligible = list.iter().filter(|e| !e.rules.is_empty()).count();
    let given = list.iter().filter(|e| e.distribution.is_some()).count();
    let body = html! {
        (header_markup(lang, g, unit, day))
        @if let Some(d) = earlier {
            div.errors role="alert" {
                p { strong { (s(lang, S::Already)) } }
                p { (d.household_code) " · " (d.head_name) " · " (lang.date(d.distribution.handed_on)) " · "
                    (s(lang, S::HandedBy)) ": " (d.distribution.handed_by) " · " (s(lang, S::Receipt)) ": "
                    (d.distribution.receipt) " · " (d.distribution.what) }
            }
        }
        @if personal {
            p { a.button.secondary href={"/ops/programmes/" (g.id) "/treasury.xlsx?unit=" (unit.code)} { (s(lang, S::Treasury)) } }
            h2 { (s(lang, S::Eligible)) " · " (eligible) " · " (s(lang, S::Given)) " " (given) }
            @if list.is_empty() { p { (s(lang, S::NoEligible)) } } @else {
                div.scroll tabindex="0" { table {
                    thead { tr { th { (s(lang, S::Household)) } th { (s(lang, S::Head)) } th { (s(lang, S::Why)) } th { (s(lang, S::Given)) } } }
                    tbody { @for e in &list {
                        tr {
                            td { a href={"/households/" (e.household_id)} { (e.code) } }
                            td { (e.head_name) }
                            td { @for (i, r) in e.rules.iter().enumerate() { @if i > 0 { "; " } (rule_name(lang, *r)) } }
                            td {
                                @if let Some(d) = &e.distribution {
                                    (lang.date(d.distribution.handed_on)) " · " (d.distribution.handed_by) " · " (d.distribution.receipt)
                                } @else {
                                    form.inline method="post" action={"/ops/programmes/" (g.id) "/distributions"} {
                                        input type="hidden" name="csrf" value=(v.csrf());
                                        input type="hidden" name="household_id" value=(e.household_id);
                                        input type="hidden" name="unit" value=(unit.code);
                                        input type="hidden" name="handed_on" value=(day.to_string());
                                        label { (s(lang, S::HandedBy)) " " input type="text" name="handed_by" required size="12"; }
                                        " "
                                        label { (s(lang, S::Receipt)) " " input type="text" name="receipt" required size="8"; }
                                        " " button type="submit" { (s(lang, S::Distribute)) }
                                    }
                                }
                            }
                        }
                    } }
                } }
            }
        }
    };
    let mut r = ok(layout(ctx, Some(v), &g.programme.name, body))?;
    if earlier.is_some() {
        *r.status_mut() = StatusCode::CONFLICT;
    }
    Ok(r)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DistributionForm {
    csrf: String,
    household_id: String,
    unit: String,
    handed_on: String,
    handed_by: String,
    receipt: String,
}

async fn distribute(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<DistributionForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let g = seen_programme(&st.store, &v, &id).await?;
    let (household, hh_unit) = scope::seen_household(&st.store, &v.access, &f.household_id).await?;
    let unit = match f.unit.trim() {
        "" => hh_unit.clone(),
        code => scope::people_unit(&st.store, &v.access, code).await?,
    };
    let handed_on = match f.handed_on.trim() {
        "" => st.config.today(),
        d => d
            .parse()
            .map_err(|_| PageError(AppError::not_found_field("handed_on")))?,
    };
    let back = format!(
        "/ops/programmes/{}?unit={}&date={}",
        g.id,
        enc(unit.code.as_str()),
        handed_on
    );
    let new = NewDistribution {
        programme_id: g.id,
        household_id: household.id,
        handed_on,
        handed_by: f.handed_by.trim().to_string(),
        what: String::new(),
        amount_vnd: None,
        receipt: f.receipt.trim().to_string(),
    };
    match st.store.distribute(&v.user.actor(), &new).await {
        Ok(Handed::Recorded(_)) => Ok(Redirect::to(&back).into_response()),
        Ok(Handed::Earlier(earlier)) => {
            draw_programme(&st, &ctx, &v, &g, &unit, handed_on, Some(&earlier)).await
        }
        Err(vx_store::StoreError::Invalid(m)) => invalid_page(&ctx, &v, &[m], &back),
        Err(e) => Err(e.into()),
    }
}

async fn gap_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Query(q): Query<UnitQuery>,
) -> PageResult {
    let g = seen_programme(&st.store, &v, &id).await?;
    let unit = programme_unit(&st.store, &v, &g, q.unit.as_deref()).await?;
    let day = day_or_today(q.date.as_deref(), st.config.today())?;
    let rows: Vec<_> = st
        .store
        .gap_report(&g, &unit, day)
        .await?
        .into_iter()
        .filter(|r| {
            // Rows are hamlets (or communes without hamlets): keep those the viewer sees.
            UnitCode::parse(&r.unit_code).is_ok()
        })
        .collect();
    let mut seen_rows = Vec::with_capacity(rows.len());
    for r in rows {
        if let Some(u) = st.store.unit(&r.unit_code).await? {
            if v.access.sees_unit(&u) {
                seen_rows.push((u, r));
            }
        }
    }
    let total =
        |f: fn(&vx_store::ops::GapRow) -> i64| seen_rows.iter().map(|(_, r)| f(r)).sum::<i64>();
    let lang = ctx.lang;
    let body = html! {
        (header_markup(lang, &g, &unit, day))
        h2 { (s(lang, S::Gap)) }
        div.scroll tabindex="0" { table {
            thead { tr { th { (s(lang, S::Unit)) } th { (s(lang, S::Eligible)) } th { (s(lang, S::Supported)) } th { (s(lang, S::Missing)) } } }
            tbody {
                @for (u, r) in &seen_rows {
                    tr {
                        td { @if v.access.sees_people_in(u) {
                            a href={"/ops/programmes/" (g.id) "?unit=" (u.code) "&date=" (day)} { (u.full_name) }
                        } @else { (u.full_name) } }
                        td { (r.eligible) } td { (r.supported) } td { strong { (r.gap) } }
                    }
                }
                tr { th { (s(lang, S::Total)) } th { (total(|r| r.eligible)) } th { (total(|r| r.supported)) } th { (total(|r| r.gap)) } }
            }
        } }
    };
    ok(layout(&ctx, Some(&v), s(lang, S::Gap), body))
}

async fn treasury_xlsx(
    State(st): State<AppState>,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Query(q): Query<UnitQuery>,
) -> PageResult {
    let g = seen_programme(&st.store, &v, &id).await?;
    let unit = programme_unit(&st.store, &v, &g, q.unit.as_deref()).await?;
    if !v.access.sees_people_in(&unit) {
        return Err(PageError(AppError::not_found()));
    }
    let list = st.store.distributions(g.id, &unit).await?;
    let bytes =
        treasury_book(&g, &list).map_err(|e| PageError(AppError::Internal(e.to_string())))?;
    let file = format!("chi-tra-chuong-trinh-{}-{}.xlsx", g.id, unit.code);
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(XLSX_TYPE)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{file}\""))
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The treasury's sheet: one row per distribution; every text cell made formula-safe.
pub(crate) fn treasury_book(
    g: &Programme,
    list: &[Distribution],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Chi tra")?;
    let headers = [
        "STT",
        "Chương trình (programme)",
        "Mã đơn vị (unit_code)",
        "Mã hộ (household_code)",
        "Chủ hộ (head_name)",
        "Ngày trao (handed_on)",
        "Người trao (handed_by)",
        "Nội dung (what)",
        "Số tiền (amount_vnd)",
        "Số biên nhận (receipt)",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    for (i, d) in list.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_number(r, 0, f64::from(r))?;
        let texts = [
            g.programme.name.as_str(),
            d.unit_code.as_str(),
            d.household_code.as_str(),
            d.head_name.as_str(),
        ];
        for (c, t) in texts.iter().enumerate() {
            sheet.write_string(r, c as u16 + 1, spreadsheet_safe(t))?;
        }
        sheet.write_string(
            r,
            5,
            d.distribution.handed_on.format("%d/%m/%Y").to_string(),
        )?;
        sheet.write_string(r, 6, spreadsheet_safe(&d.distribution.handed_by))?;
        sheet.write_string(r, 7, spreadsheet_safe(&d.distribution.what))?;
        if let Some(a) = d.distribution.amount_vnd {
            sheet.write_number(r, 8, a as f64)?;
        }
        sheet.write_string(r, 9, spreadsheet_safe(&d.distribution.receipt))?;
    }
    book.save_to_buffer()
}
