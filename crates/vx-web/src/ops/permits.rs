//! Pages of checkpoints and travel permits: the checkpoint page (phone-first, no
//! JavaScript: paste or scan the permit code, record the crossing, see the answer at once),
//! the printable permit with its QR code, revocation, and tracing through crossings.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use maud::{html, PreEscaped};
use serde::Deserialize;
use vx_domain::ops::permit::{
    read_unverified, unmet_conditions, verify, Claims, Conditions, Direction, Holder, NewPermit,
    Plate, Refusal, Shown,
};
use vx_domain::UnitCode;
use vx_store::ops::{Crossing, NewCrossing};
use vx_store::{Store, StoreError};

use super::{day_or_today, issuing_unit, s, seen_checkpoint, seen_permit, staffed_checkpoint, S};
use crate::auth::{PageViewer, Viewer};
use crate::error::{AppError, PageError, PageResult};
use crate::i18n::Lang;
use crate::pages::{csrf_check, layout, ok, Ctx};
use crate::scope;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ops/checkpoints", post(create_checkpoint))
        .route(
            "/ops/checkpoints/{id}",
            get(checkpoint_page).post(record_crossing),
        )
        .route("/ops/permits", post(issue_permit))
        .route("/ops/permits/{id}", get(permit_page))
        .route("/ops/permits/{id}/qr.svg", get(permit_qr))
        .route("/ops/permits/{id}/revoke", post(revoke_permit))
        .route("/ops/people/{id}/trace", get(trace_page))
}

/// How close in time two crossings of one checkpoint count as "crossed together".
pub(crate) const TOGETHER_MINUTES: i64 = 30;

/// A refusal page: what was wrong, and the way back.
pub(crate) fn invalid_page(ctx: &Ctx, v: &Viewer, errors: &[String], back: &str) -> PageResult {
    let lang = ctx.lang;
    let body = html! {
        div.errors role="alert" { p { (s(lang, S::Bad)) } ul { @for e in errors { li { (e) } } } }
        p { a href=(back) { "← " (s(lang, S::Ops)) } }
    };
    let mut r = ok(layout(ctx, Some(v), s(lang, S::Bad), body))?;
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

fn store_problem(e: StoreError) -> Result<String, PageError> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
        other => Err(other.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Checkpoints

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CheckpointForm {
    csrf: String,
    unit: String,
    name: String,
    location: String,
    officers: String,
}

async fn create_checkpoint(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Form(f): Form<CheckpointForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    if !super::issues_permits(&v) {
        return Err(PageError(AppError::not_found()));
    }
    let unit = scope::seen_unit(&st.store, &v.access, f.unit.trim()).await?;
    match st
        .store
        .create_checkpoint(&v.user.actor(), &unit, &f.name, &f.location, &f.officers)
        .await
    {
        Ok(cp) => Ok(Redirect::to(&format!("/ops/checkpoints/{}", cp.id)).into_response()),
        Err(e) => invalid_page(&ctx, &v, &[store_problem(e)?], "/ops"),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CheckpointQuery {
    date: Option<String>,
    last: Option<i64>,
}

fn day_bounds(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = vx_domain::epi::epi_day_start(day);
    (start, start + Duration::days(1))
}

fn test_text(lang: Lang, c: &NewCrossing) -> String {
    match c.test {
        None => s(lang, S::NoTest).to_string(),
        Some((r, at)) => format!(
            "{} ({})",
            s(
                lang,
                if r == Shown::Negative {
                    S::Negative
                } else {
                    S::Positive
                }
            ),
            lang.date(vx_domain::vn_date(at))
        ),
    }
}

async fn checkpoint_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Query(q): Query<CheckpointQuery>,
) -> PageResult {
    let (cp, unit) = seen_checkpoint(&st.store, &v, &id).await?;
    let day = day_or_today(q.date.as_deref(), st.config.today())?;
    let (from, to) = day_bounds(day);
    let crossings = st.store.crossings(cp.id, from, to).await?;
    let lang = ctx.lang;
    let personal = v.access.sees_people_in(&unit);
    let last = q
        .last
        .and_then(|id| crossings.iter().find(|c| c.id == id))
        .filter(|_| personal);
    let count = |d: Direction, ok: bool| {
        crossings
            .iter()
            .filter(|c| c.crossing.direction == d && c.crossing.allowed == ok)
            .count()
    };
    let base = format!("/ops/checkpoints/{}", cp.id);
    let body = html! {
        h1 { (s(lang, S::Checkpoint)) " " (cp.name) }
        p.muted { (cp.location) " · " (unit.full_name) " · " (s(lang, S::Officers)) ": " (cp.officers) }
        @if let Some(c) = last {
            div.notice role="status" {
                p { strong { (if c.crossing.allowed { s(lang, S::Allowed) } else { s(lang, S::Refused) }) }
                    " — " (c.crossing.holder_name) }
                p { (c.crossing.reason) }
            }
        }
        @if personal {
            form method="post" action=(base) {
                input type="hidden" name="csrf" value=(v.csrf());
                div.field {
                    label for="token" { (s(lang, S::Token)) }
                    textarea id="token" name="token" rows="3" autofocus autocomplete="off" {}
                }
                div.field {
                    label for="plate" { (s(lang, S::Plate)) }
                    input id="plate" type="text" name="plate" autocomplete="off";
                }
                div.field {
                    label for="name" { (s(lang, S::HolderName)) }
                    input id="name" type="text" name="name" autocomplete="off";
                }
                fieldset {
                    legend { (s(lang, S::Direction)) }
                    label { input type="radio" name="direction" value="in" checked; " " (s(lang, S::In)) }
                    " "
                    label { input type="radio" name="direction" value="out"; " " (s(lang, S::Out)) }
                }
                div.field {
                    label for="test" { (s(lang, S::TestShown)) }
                    select id="test" name="test" {
                        option value="" { (s(lang, S::NoTest)) }
                        option value="negative" { (s(lang, S::Negative)) }
                        option value="positive" { (s(lang, S::Positive)) }
                    }
                }
                div.field {
                    label for="test_on" { (s(lang, S::TestAt)) }
                    input id="test_on" type="date" name="test_on";
                }
                div.field {
                    label for="doses" { (s(lang, S::DosesShown)) }
                    input id="doses" type="number" name="doses" min="0" max="9" inputmode="numeric";
                }
                button type="submit" { (s(lang, S::Save)) }
            }
        }
        h2 { (s(lang, S::Crossings)) " · " (lang.date(day)) }
        form method="get" action=(base) {
            label { (s(lang, S::Day)) " " input type="date" name="date" value=(day.to_string()); }
            " " button type="submit" { (s(lang, S::Show)) }
        }
        p { (s(lang, S::In)) ": " (count(Direction::In, true)) " (" (s(lang, S::TurnedBack)) " " (count(Direction::In, false)) ")"
            " · " (s(lang, S::Out)) ": " (count(Direction::Out, true)) " (" (s(lang, S::TurnedBack)) " " (count(Direction::Out, false)) ")" }
        @if !personal {
            p.muted { (s(lang, S::CountsOnly)) }
        } @else if crossings.is_empty() {
            p { (s(lang, S::NoCrossings)) }
        } @else {
            div.scroll tabindex="0" { table {
                thead { tr { th { (s(lang, S::Time)) } th { (s(lang, S::Direction)) } th { (s(lang, S::Who)) }
                    th { (s(lang, S::TestShown)) } th { (s(lang, S::Result)) } } }
                tbody { @for c in &crossings { (crossing_row(lang, c)) } }
            } }
        }
    };
    ok(layout(&ctx, Some(&v), &cp.name, body))
}

fn crossing_row(lang: Lang, c: &Crossing) -> maud::Markup {
    let x = &c.crossing;
    html! {
        tr {
            td { (lang.instant(x.at)) }
            td { (if x.direction == Direction::In { s(lang, S::In) } else { s(lang, S::Out) }) }
            td {
                @if let Some(pid) = x.person_id { a href={"/people/" (pid)} { (x.holder_name) } } @else { (x.holder_name) }
                @if let Some(p) = &x.plate { " · " (p) }
                @if let Some(id) = x.permit_id { " · #" (id) }
            }
            td { (test_text(lang, x)) }
            td { strong { (if x.allowed { s(lang, S::Allowed) } else { s(lang, S::Refused) }) } " " (x.reason) }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CrossingForm {
    pub csrf: String,
    pub token: String,
    pub plate: String,
    pub name: String,
    pub person_id: String,
    pub direction: String,
    pub test: String,
    pub test_on: String,
    pub doses: String,
}

/// What a checkpoint decides about one traveller: the permit's signature and validity
/// (offline-capable), its conditions against what is shown, the plate against the permit.
pub(crate) async fn decide_crossing(
    store: &Store,
    lang: Lang,
    checkpoint_id: i64,
    f: &CrossingForm,
    now: DateTime<Utc>,
) -> Result<Result<NewCrossing, Vec<String>>, AppError> {
    let mut errors = Vec::new();
    let direction = match f.direction.trim() {
        "" => Direction::In,
        d => Direction::parse(d).unwrap_or_else(|e| {
            errors.push(format!("direction: {e}"));
            Direction::In
        }),
    };
    let typed_plate = match f.plate.trim() {
        "" => None,
        p => match Plate::parse(p) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(e.to_string());
                None
            }
        },
    };
    let test = match f.test.trim() {
        "" => None,
        t => match Shown::parse(t) {
            Ok(r) => {
                let on: Option<NaiveDate> = f.test_on.trim().parse().ok();
                // A test day without a time counts from noon in Vietnam.
                let at = on
                    .map(|d| vx_domain::epi::epi_day_start(d) + Duration::hours(12))
                    .unwrap_or(now);
                Some((r, at.min(now)))
            }
            Err(e) => {
                errors.push(format!("test: {e}"));
                None
            }
        },
    };
    let doses: u8 = f.doses.trim().parse().unwrap_or(0);
    let person_id = f.person_id.trim().parse::<i64>().ok();
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut reasons: Vec<String> = Vec::new();
    let mut allowed = true;
    let mut holder_name = f.name.trim().to_string();
    let mut plate = typed_plate.clone();
    let mut permit_id = None;
    if f.token.trim().is_empty() {
        allowed = false;
        reasons.push(match lang {
            Lang::Vi => "Không có giấy đi đường.".into(),
            Lang::En => "No travel permit.".into(),
        });
    } else {
        let key = store.permit_key().await?.public();
        let revoked = store.revoked_ids().await?;
        match verify(&f.token, &key, now, &revoked) {
            Err(refusal) => {
                allowed = false;
                reasons.push(match lang {
                    Lang::Vi => refusal.text_vi(),
                    Lang::En => refusal.text_en(),
                });
                // Record who the paper names: as claimed when the signature is false,
                // as issued when it is true (expired, revoked).
                if let Some(c) = read_unverified(&f.token) {
                    if refusal == Refusal::Forged {
                        if holder_name.is_empty() {
                            holder_name = match lang {
                                Lang::Vi => format!("{} (giấy giả, chưa xác thực)", c.holder),
                                Lang::En => format!("{} (forged, unverified)", c.holder),
                            };
                        }
                    } else {
                        permit_id = Some(c.id);
                        let mut ignored = true;
                        accept_claims(
                            lang,
                            &c,
                            &typed_plate,
                            &mut holder_name,
                            &mut plate,
                            &mut reasons,
                            &mut ignored,
                        );
                    }
                }
                if holder_name.is_empty() && plate.is_none() {
                    holder_name = match lang {
                        Lang::Vi => "(không rõ)".into(),
                        Lang::En => "(unknown)".into(),
                    };
                }
            }
            Ok(claims) => {
                permit_id = Some(claims.id);
                accept_claims(
                    lang,
                    &claims,
                    &typed_plate,
                    &mut holder_name,
                    &mut plate,
                    &mut reasons,
                    &mut allowed,
                );
                for u in unmet_conditions(&claims.conditions, test, doses, now) {
                    allowed = false;
                    reasons.push(match lang {
                        Lang::Vi => u.text_vi(),
                        Lang::En => u.text_en(),
                    });
                }
            }
        }
    }
    if matches!(test, Some((Shown::Positive, _))) && allowed {
        allowed = false;
    }
    if allowed {
        reasons.push(match lang {
            Lang::Vi => "Giấy đi đường hợp lệ, đủ điều kiện.".into(),
            Lang::En => "Valid permit, conditions met.".into(),
        });
    }
    if holder_name.is_empty() && plate.is_none() {
        return Ok(Err(vec![s(lang, S::HolderName).to_string() + ": ?"]));
    }
    Ok(Ok(NewCrossing {
        checkpoint_id,
        at: now,
        direction,
        person_id,
        holder_name,
        plate,
        permit_id,
        test,
        allowed,
        reason: reasons.join(" "),
    }))
}

fn accept_claims(
    lang: Lang,
    claims: &Claims,
    typed_plate: &Option<Plate>,
    holder_name: &mut String,
    plate: &mut Option<Plate>,
    reasons: &mut Vec<String>,
    allowed: &mut bool,
) {
    if holder_name.is_empty() {
        *holder_name = claims.holder.clone();
    }
    if let Some(p) = claims.plate.as_deref().and_then(|p| Plate::parse(p).ok()) {
        if let Some(t) = typed_plate {
            if *t != p {
                *allowed = false;
                reasons.push(match lang {
                    Lang::Vi => format!("Biển số {t} không khớp giấy đi đường ({p})."),
                    Lang::En => format!("Plate {t} does not match the permit ({p})."),
                });
            }
        }
        *plate = Some(p);
    }
}

async fn record_crossing(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<CrossingForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let (cp, _) = staffed_checkpoint(&st.store, &v, &id).await?;
    let back = format!("/ops/checkpoints/{}", cp.id);
    match decide_crossing(&st.store, ctx.lang, cp.id, &f, Utc::now()).await? {
        Err(errors) => invalid_page(&ctx, &v, &errors, &back),
        Ok(c) => match st.store.record_crossing(&v.user.actor(), &c).await {
            Ok(c) => Ok(Redirect::to(&format!("{back}?last={}", c.id)).into_response()),
            Err(e) => invalid_page(&ctx, &v, &[store_problem(e)?], &back),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Permits

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PermitForm {
    pub csrf: String,
    pub unit: String,
    pub kind: String,
    pub name: String,
    pub document: String,
    pub plate: String,
    pub person_id: String,
    pub purpose: String,
    pub destinations: String,
    pub valid_from: String,
    pub days: String,
    pub test_hours: String,
    pub doses: String,
}

/// Parses a permit form; every field at fault is named.
pub(crate) fn parse_permit(f: &PermitForm, issuer: &UnitCode) -> Result<NewPermit, Vec<String>> {
    let mut errors = Vec::new();
    let holder = if f.kind.trim() == "vehicle" {
        match Plate::parse(&f.plate) {
            Ok(plate) => Some(Holder::Vehicle {
                plate,
                driver: f.name.trim().to_string(),
            }),
            Err(e) => {
                errors.push(e.to_string());
                None
            }
        }
    } else {
        Some(Holder::Person {
            person_id: f.person_id.trim().parse().ok(),
            name: f.name.trim().to_string(),
            document: Some(f.document.trim().to_string()).filter(|d| !d.is_empty()),
        })
    };
    let mut destinations = Vec::new();
    for c in f
        .destinations
        .split([',', ' ', ';'])
        .filter(|c| !c.trim().is_empty())
    {
        match UnitCode::parse(c.trim()) {
            Ok(code) => destinations.push(code),
            Err(e) => errors.push(format!("destinations: {e}")),
        }
    }
    let from: Option<NaiveDate> = match f.valid_from.trim() {
        "" => Some(vx_domain::vn_date(Utc::now())),
        d => d.parse().ok(),
    };
    if from.is_none() {
        errors.push(format!(
            "valid_from: {:?} is not a date (YYYY-MM-DD)",
            f.valid_from
        ));
    }
    let days: i64 = match f.days.trim() {
        "" => 7,
        d => d.parse().unwrap_or_else(|_| {
            errors.push(format!("days: {d:?} is not a number"));
            0
        }),
    };
    let opt_num = |raw: &str, field: &str, errors: &mut Vec<String>| -> Option<u32> {
        match raw.trim() {
            "" => None,
            x => x
                .parse()
                .map_err(|_| errors.push(format!("{field}: {x:?} is not a number")))
                .ok(),
        }
    };
    let test_hours = opt_num(&f.test_hours, "test_hours", &mut errors);
    let doses = opt_num(&f.doses, "doses", &mut errors).map(|d| u8::try_from(d).unwrap_or(u8::MAX));
    let (Some(holder), Some(from), true) = (holder, from, errors.is_empty()) else {
        return Err(errors);
    };
    let valid_from = vx_domain::epi::epi_day_start(from);
    let p = NewPermit {
        issuer: issuer.clone(),
        holder,
        purpose: f.purpose.trim().to_string(),
        destinations,
        valid_from,
        valid_to: valid_from + Duration::days(days) - Duration::seconds(1),
        conditions: Conditions {
            negative_test_hours: test_hours,
            vaccine_doses: doses,
        },
    };
    p.validate().map_err(|e| vec![e.to_string()])?;
    Ok(p)
}

async fn issue_permit(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Form(f): Form<PermitForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let unit = match issuing_unit(&st.store, &v, &f.unit).await {
        Ok(u) => u,
        Err(AppError::Invalid(p)) => {
            return invalid_page(
                &ctx,
                &v,
                &p.into_iter().map(|p| p.error).collect::<Vec<_>>(),
                "/ops",
            )
        }
        Err(e) => return Err(e.into()),
    };
    let back = format!("/ops?unit={}", unit.code);
    let permit = match parse_permit(&f, &unit.code) {
        Ok(p) => p,
        Err(errors) => return invalid_page(&ctx, &v, &errors, &back),
    };
    if let Holder::Person {
        person_id: Some(pid),
        ..
    } = &permit.holder
    {
        // A registered person must be one the issuer sees.
        scope::seen_person(&st.store, &v.access, &pid.to_string()).await?;
    }
    match st.store.issue_permit(&v.user.actor(), &unit, &permit).await {
        Ok((p, _)) => Ok(Redirect::to(&format!("/ops/permits/{}", p.id)).into_response()),
        Err(e) => invalid_page(&ctx, &v, &[store_problem(e)?], &back),
    }
}

/// The QR code of a token as an SVG document (no XML declaration, for inline use).
pub(crate) fn qr_svg(token: &str) -> Result<String, AppError> {
    let code =
        qrcode::QrCode::new(token.as_bytes()).map_err(|e| AppError::Internal(e.to_string()))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(280, 280)
        .build();
    Ok(svg
        .find("<svg")
        .map(|i| svg[i..].to_string())
        .unwrap_or(svg))
}

fn conditions_text(lang: Lang, c: &Conditions) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(h) = c.negative_test_hours {
        out.push(match lang {
            Lang::Vi => format!("Xét nghiệm âm tính trong {h} giờ"),
            Lang::En => format!("Negative test within {h} hours"),
        });
    }
    if let Some(d) = c.vaccine_doses {
        out.push(match lang {
            Lang::Vi => format!("Đã tiêm ít nhất {d} mũi vắc xin"),
            Lang::En => format!("At least {d} vaccine doses"),
        });
    }
    out
}

async fn permit_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
) -> PageResult {
    let (permit, unit) = seen_permit(&st.store, &v, &id).await?;
    let token = st.store.permit_token(&permit).await?;
    let svg = qr_svg(&token)?;
    let lang = ctx.lang;
    let p = &permit.permit;
    let conds = conditions_text(lang, &p.conditions);
    let mut names: HashMap<String, String> = HashMap::new();
    for d in &p.destinations {
        if let Some(u) = st.store.unit(d.as_str()).await? {
            names.insert(d.to_string(), u.full_name);
        }
    }
    let body = html! {
        h1 { (s(lang, S::Permit)) " " (permit.id) }
        p.muted { (unit.full_name) " · " (permit.issued_by) " · " (lang.instant(permit.issued_at)) }
        @if let Some(at) = permit.revoked_at {
            div.errors role="alert" { p { strong { (s(lang, S::Revoked)) } " " (lang.instant(at)) ": "
                (permit.revoke_reason.clone().unwrap_or_default()) } }
        }
        div.qr { (PreEscaped(svg)) }
        dl {
            dt { (s(lang, S::HolderKind)) }
            dd { @match &p.holder {
                Holder::Person { name, document, .. } => {
                    (s(lang, S::PersonKind)) ": " strong { (name) }
                    @if let Some(d) = document { " · " (d) }
                }
                Holder::Vehicle { plate, driver } => {
                    (s(lang, S::VehicleKind)) ": " strong { (plate) } " · " (driver)
                }
            } }
            dt { (s(lang, S::Purpose)) } dd { (p.purpose) }
            dt { (s(lang, S::Destinations)) }
            dd { @for (i, d) in p.destinations.iter().enumerate() {
                @if i > 0 { ", " } (names.get(d.as_str()).cloned().unwrap_or_else(|| d.to_string())) " (" (d) ")"
            } }
            dt { (s(lang, S::Validity)) } dd { (lang.instant(p.valid_from)) " – " (lang.instant(p.valid_to)) }
            dt { (s(lang, S::Conditions)) }
            dd { @if conds.is_empty() { (s(lang, S::None_)) } @else { (conds.join("; ")) } }
        }
        p.muted { (s(lang, S::Print)) }
        details { summary { (s(lang, S::Token)) } pre.token { (token) } }
        @if permit.revoked_at.is_none() {
            form method="post" action={"/ops/permits/" (permit.id) "/revoke"} {
                input type="hidden" name="csrf" value=(v.csrf());
                div.field {
                    label for="reason" { (s(lang, S::Reason)) }
                    input id="reason" type="text" name="reason" required;
                }
                button.secondary type="submit" { (s(lang, S::Revoke)) }
            }
        }
    };
    ok(layout(&ctx, Some(&v), s(lang, S::Permits), body))
}

async fn permit_qr(
    State(st): State<AppState>,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (permit, _) = seen_permit(&st.store, &v, &id).await?;
    let token = st.store.permit_token(&permit).await?;
    let svg = qr_svg(&token)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("image/svg+xml"),
        )],
        svg,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RevokeForm {
    csrf: String,
    reason: String,
}

async fn revoke_permit(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<RevokeForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let (permit, _) = seen_permit(&st.store, &v, &id).await?;
    if f.reason.trim().is_empty() {
        let back = format!("/ops/permits/{}", permit.id);
        return invalid_page(&ctx, &v, &[format!("{}: ?", s(ctx.lang, S::Reason))], &back);
    }
    st.store
        .revoke_permit(&v.user.actor(), permit.id, &f.reason)
        .await?;
    Ok(Redirect::to(&format!("/ops/permits/{}", permit.id)).into_response())
}

// ---------------------------------------------------------------------------------------
// Tracing

async fn trace_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
) -> PageResult {
    let (person, home) = scope::seen_person(&st.store, &v.access, &id).await?;
    let lang = ctx.lang;
    let mut crossings = Vec::new();
    for (own, near) in st
        .store
        .crossed_with(person.id, Duration::minutes(TOGETHER_MINUTES))
        .await?
    {
        // Only crossings at checkpoints whose records the viewer may read.
        if let Ok((cp, _)) =
            staffed_checkpoint(&st.store, &v, &own.crossing.checkpoint_id.to_string()).await
        {
            crossings.push((cp, own, near));
        }
    }
    let mut businesses = Vec::new();
    let mut elsewhere = 0;
    for b in st.store.businesses_of_worker(person.id).await? {
        match super::seen_business(&st.store, &v, &b.id.to_string()).await {
            Ok((b, unit)) => businesses.push((b, unit)),
            Err(_) => elsewhere += 1,
        }
    }
    let body = html! {
        h1 { (s(lang, S::Trace)) }
        p { a href={"/people/" (person.id)} { (person.data.full_name) } " · " (home.full_name) }
        h2 { (s(lang, S::Crossings)) }
        @if crossings.is_empty() { p { (s(lang, S::NoCrossings)) } }
        @for (cp, own, near) in &crossings {
            h3 { a href={"/ops/checkpoints/" (cp.id)} { (cp.name) } " · " (lang.instant(own.crossing.at)) }
            p { (s(lang, S::CrossedWith)) ": " (near.len()) }
            @if !near.is_empty() {
                div.scroll tabindex="0" { table {
                    thead { tr { th { (s(lang, S::Time)) } th { (s(lang, S::Direction)) } th { (s(lang, S::Who)) }
                        th { (s(lang, S::TestShown)) } th { (s(lang, S::Result)) } } }
                    tbody { @for c in near { (crossing_row(lang, c)) } }
                } }
            }
        }
        h2 { (s(lang, S::Workplaces)) }
        @if businesses.is_empty() && elsewhere == 0 { p { (s(lang, S::None_)) } }
        @if elsewhere > 0 { p { strong { (elsewhere) } " " (s(lang, S::Elsewhere)) } }
        ul { @for (b, unit) in &businesses {
            li { a href={"/ops/businesses/" (b.id)} { (b.business.name) } " · " (unit.full_name)
                " (" (b.workers) " " (s(lang, S::Workers).to_lowercase()) ")" }
        } }
    };
    ok(layout(&ctx, Some(&v), s(lang, S::Trace), body))
}
