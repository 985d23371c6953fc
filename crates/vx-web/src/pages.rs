//! Server-rendered pages: Vietnamese first, English by `?lang=en`; no JavaScript; a
//! 360-px phone is the first screen they are drawn for.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use chrono::Utc;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;
use vx_domain::{Household, Person, Relation, Unit};
use vx_store::{StoreError, UnitCounts};

use crate::api::{check_writes, household_members, visible_duplicates};
use crate::auth::{
    self, burn_verification, client_ip, cookie_header, expired_cookie, failure_keys, login_wait,
    random_token, safe_next, session_cookie, sha256_hex, verify_password, Credential, PageViewer,
    Viewer, LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::error::{AppError, PageError, PageResult};
use crate::i18n::{Lang, T};
use crate::input::{
    parse_household, parse_person, search_text, FieldError, HouseholdFields, PersonFields,
};
use crate::scope;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/search", get(search))
        .route("/units/{code}", get(unit_page))
        .route("/units/{code}/households", get(unit_households))
        .route(
            "/households/new",
            get(new_household_form).post(create_household),
        )
        .route("/households/{id}", get(household_page))
        .route(
            "/households/{id}/edit",
            get(edit_household_form).post(update_household),
        )
        .route("/households/{id}/deactivate", post(deactivate_household))
        .route("/households/{id}/activate", post(activate_household))
        .route("/people/new", get(new_person_form).post(create_person))
        .route("/people/{id}", get(person_page))
        .route(
            "/people/{id}/edit",
            get(edit_person_form).post(update_person),
        )
        .route("/people/{id}/deactivate", post(deactivate_person))
        .route("/people/{id}/activate", post(activate_person))
        .route("/admin/audit", get(audit_page))
}

const PAGE_SIZE: i64 = 50;

// ---------------------------------------------------------------------------------------
// Request context and helpers

/// The language and the address of the page being drawn.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    path: String,
    query: String,
    /// The day the server serves as of (`--as-of`), named in the header.
    as_of: Option<chrono::NaiveDate>,
}

/// The server's `--as-of` day, put in each request's extensions by the outer middleware.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AsOf(pub Option<chrono::NaiveDate>);

impl Ctx {
    /// The page's address and language: what a page's answer depends on besides the
    /// viewer and the data (its key in [`crate::cache`]).
    pub(crate) fn address(&self) -> String {
        format!("{} {}?{}", self.lang.code(), self.path, self.query)
    }

    pub fn new(lang: Lang, path: &str, query: &str) -> Ctx {
        Ctx {
            lang,
            path: path.to_string(),
            query: query.to_string(),
            as_of: None,
        }
    }
    /// The same, served as of `as_of`.
    pub(crate) fn with_as_of(mut self, as_of: Option<chrono::NaiveDate>) -> Ctx {
        self.as_of = as_of;
        self
    }
    fn t(&self, key: T) -> &'static str {
        self.lang.t(key)
    }
    /// This page in another language.
    fn with_lang(&self, lang: Lang) -> String {
        let mut pairs: Vec<&str> = self
            .query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("lang=") && *p != "lang")
            .collect();
        let param = format!("lang={}", lang.code());
        pairs.push(&param);
        format!("{}?{}", self.path, pairs.join("&"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = parts.extensions.get::<Lang>().copied().unwrap_or_default();
        let as_of = parts.extensions.get::<AsOf>().and_then(|a| a.0);
        Ok(Ctx::new(lang, parts.uri.path(), parts.uri.query().unwrap_or("")).with_as_of(as_of))
    }
}

/// The client's address, for the failed-login limit.
pub struct ClientIp(String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts, &state.config.trusted_proxies)))
    }
}

pub(crate) use crate::input::enc;

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A page's HTML with its status.
pub(crate) fn html_response(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        markup.into_string(),
    )
        .into_response()
}

/// A page's HTML with its status, as a page handler answers.
pub(crate) fn html_page(markup: Markup, status: StatusCode) -> PageResult {
    Ok(html_response(status, markup))
}

/// A page's HTML, 200 OK.
pub(crate) fn ok(markup: Markup) -> PageResult {
    html_page(markup, StatusCode::OK)
}

/// Refuses a form whose CSRF token is not the session's (403).
pub(crate) fn csrf_check(v: &Viewer, submitted: &str) -> Result<(), PageError> {
    if v.csrf_ok(submitted) {
        Ok(())
    } else {
        Err(PageError(AppError::Forbidden(
            "CSRF token missing or wrong",
        )))
    }
}

// ---------------------------------------------------------------------------------------
// Layout

/// The page around every body: header with search, language switch and user.
pub fn layout(ctx: &Ctx, viewer: Option<&Viewer>, title: &str, body: Markup) -> Markup {
    let lang = ctx.lang;
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (ctx.t(T::AppName)) }
                link rel="stylesheet" href=(crate::state::css_url());
            }
            body {
                a.skip href="#main" { (ctx.t(T::SkipToContent)) }
                header.top {
                    a.brand href="/" { (ctx.t(T::AppName)) }
                    @if let Some(day) = ctx.as_of {
                        span.as-of title=(ctx.t(T::AsOfNote)) { (ctx.t(T::AsOf)) " " (lang.date(day)) }
                    }
                    // on paper: who printed which page (the browser adds the time and page numbers;
                    // not here: a kept page would carry the time it was drawn)
                    p.print-only.printed {
                        (ctx.t(T::Printed))
                        @if let Some(v) = viewer {
                            " " (ctx.t(T::PrintedBy)) " " (v.user.display_name) " (" (lang.role(v.user.role)) ")"
                        }
                        ": " (ctx.path)
                        @if !ctx.query.is_empty() { "?" (ctx.query) }
                    }
                    @if let Some(v) = viewer {
                        @if v.access.role.deepest_level().is_some() {
                            form.search method="get" action="/search" role="search" {
                                input type="search" name="q" maxlength="200" aria-label=(ctx.t(T::Search))
                                    placeholder=(ctx.t(T::Search));
                                button type="submit" { (ctx.t(T::SearchGo)) }
                            }
                        }
                    }
                    nav.langs aria-label=(ctx.t(T::Language)) {
                        a href=(ctx.with_lang(Lang::Vi)) hreflang="vi" lang="vi"
                            aria-current=[(lang == Lang::Vi).then_some("true")] { "Tiếng Việt" }
                        " | "
                        a href=(ctx.with_lang(Lang::En)) hreflang="en" lang="en"
                            aria-current=[(lang == Lang::En).then_some("true")] { "English" }
                    }
                    @if let Some(v) = viewer {
                        (main_nav(ctx, v))
                    }
                    @if let Some(v) = viewer {
                        div.who {
                            span { (v.user.display_name) " (" (lang.role(v.user.role)) ")" }
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(v.csrf());
                                button type="submit" { (ctx.t(T::Logout)) }
                            }
                        }
                    }
                }
                main #main { (body) }
                footer { (ctx.t(T::Tagline)) }
            }
        }
    }
}

/// What each role may use, in the header of every page: units, work lists, screening and
/// operations for the roles that see units; the results upload for laboratories, communes and
/// administrators; the offline field app for communes and hamlets; the audit log for
/// administrators.
fn main_nav(ctx: &Ctx, v: &Viewer) -> Markup {
    use vx_domain::Role;
    let role = v.user.role;
    let sees_units = role.deepest_level().is_some();
    html! {
        nav.main aria-label=(ctx.t(T::Menu)) {
            @if sees_units {
                a href="/" { (ctx.t(T::NavUnits)) } " "
                a href="/worklists" { (ctx.t(T::NavWorkLists)) } " "
                a href="/campaigns" { (ctx.t(T::NavCampaigns)) } " "
                // checkpoints, permits, businesses and support programmes of the user's units
                a href="/ops" { (ctx.t(T::NavOps)) } " "
            }
            @if matches!(role, Role::Laboratory | Role::Commune | Role::Admin) {
                a href="/results/upload" { (ctx.t(T::NavResults)) } " "
            }
            // the offline app of the teams that visit households (docs/field.md)
            @if matches!(role, Role::Commune | Role::Hamlet) {
                a href="/field/" { (ctx.t(T::NavField)) } " "
            }
            @if role == Role::Admin {
                a href="/admin/audit" { (ctx.t(T::NavAudit)) }
            }
        }
    }
}

/// An error page in the user's language (drawn by the outer middleware).
pub fn error_page(ctx: &Ctx, status: StatusCode) -> Markup {
    let (title, text) = match status {
        StatusCode::NOT_FOUND => (T::NotFound, T::NotFoundText),
        StatusCode::FORBIDDEN => (T::Forbidden, T::ForbiddenText),
        _ => (T::ServerError, T::ServerErrorText),
    };
    let title = if status.is_server_error()
        || matches!(status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN)
    {
        ctx.t(title).to_string()
    } else {
        status.to_string()
    };
    layout(
        ctx,
        None,
        &title,
        html! {
            h1 { (title) }
            p { (ctx.t(text)) }
            p { a href="/" { (ctx.t(T::BackHome)) } }
        },
    )
}

/// The trail down to this page: units (linked where the viewer sees them), then where we
/// are.
fn crumbs(ctx: &Ctx, access: &vx_domain::Access, trail: &[&Unit], here: &str) -> Markup {
    html! {
        nav.crumbs aria-label=(ctx.t(T::Units)) {
            ol {
                @for a in trail {
                    li {
                        @if access.sees_unit(a) {
                            a href={"/units/" (a.code)} { (a.name) }
                        } @else {
                            span { (a.name) }
                        }
                    }
                }
                li aria-current="page" { (here) }
            }
        }
    }
}

/// The ancestors of a unit and the unit itself, root first.
async fn unit_trail(st: &AppState, unit: &Unit) -> Result<Vec<Unit>, PageError> {
    let mut trail = st.store.ancestors(unit).await?;
    trail.push(unit.clone());
    Ok(trail)
}

fn refs(units: &[Unit]) -> Vec<&Unit> {
    units.iter().collect()
}

fn figures(ctx: &Ctx, unit: &Unit, counts: UnitCounts) -> Markup {
    let lang = ctx.lang;
    html! {
        ul.figures {
            li { (ctx.t(T::Households)) b { (lang.number(counts.households)) } }
            li { (ctx.t(T::People)) b { (lang.number(counts.people)) } }
            @if let Some(p) = unit.population {
                li { (ctx.t(T::Population)) b { (lang.number(p)) } }
            }
        }
    }
}

fn status_badge(ctx: &Ctx, active: bool) -> Markup {
    html! {
        @if active {
            span.badge { (ctx.t(T::Active)) }
        } @else {
            span.badge.off { (ctx.t(T::Inactive)) }
        }
    }
}

fn units_table(ctx: &Ctx, rows: &[(Unit, UnitCounts)], link: bool) -> Markup {
    let lang = ctx.lang;
    html! {
        div.scroll tabindex="0" {
            table {
                thead { tr {
                    th { (ctx.t(T::Name)) } th { (ctx.t(T::Level)) } th { (ctx.t(T::Code)) }
                    th.num { (ctx.t(T::Households)) } th.num { (ctx.t(T::People)) }
                } }
                tbody {
                    @for (u, c) in rows {
                        tr {
                            td { @if link { a href={"/units/" (u.code)} { (u.name) } } @else { (u.name) } }
                            td { (lang.level(u.level)) }
                            td { (u.code) }
                            td.num { (lang.number(c.households)) }
                            td.num { (lang.number(c.people)) }
                        }
                    }
                }
            }
        }
    }
}

fn households_table(ctx: &Ctx, rows: &[Household]) -> Markup {
    let lang = ctx.lang;
    html! {
        div.scroll tabindex="0" {
            table {
                thead { tr {
                    th { (ctx.t(T::HouseholdCode)) } th { (ctx.t(T::HeadName)) }
                    th.num { (ctx.t(T::Members)) } th { (ctx.t(T::Address)) } th { (ctx.t(T::Status)) }
                } }
                tbody {
                    @for h in rows {
                        tr {
                            td { a href={"/households/" (h.id)} { (h.data.code) } }
                            td { (h.data.head_name) }
                            td.num { (lang.number(h.members)) }
                            td.wrap { (h.data.address) }
                            td { (status_badge(ctx, h.active)) }
                        }
                    }
                }
            }
        }
    }
}

fn people_table(ctx: &Ctx, rows: &[Person], with_household: bool) -> Markup {
    let lang = ctx.lang;
    html! {
        div.scroll tabindex="0" {
            table {
                thead { tr {
                    th { (ctx.t(T::FullName)) } th { (ctx.t(T::Birth)) } th { (ctx.t(T::Sex)) }
                    th { (ctx.t(T::Relation)) }
                    @if with_household { th { (ctx.t(T::Household)) } }
                    th { (ctx.t(T::Status)) }
                } }
                tbody {
                    @for p in rows {
                        tr {
                            td { a href={"/people/" (p.id)} { (p.data.full_name) } }
                            td { (lang.birth(&p.data.birth)) }
                            td { (lang.sex(p.data.sex)) }
                            td { (lang.relation(p.data.relation)) }
                            @if with_household {
                                td { a href={"/households/" (p.household_id)} { (p.data.household_code) } }
                            }
                            td { (status_badge(ctx, p.active)) }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Login and logout

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NextParam {
    next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: String,
}

/// "Wait N seconds (minutes) and try again", in the page's language.
fn login_wait_message(lang: Lang, secs: i64) -> String {
    let (n, vi, en) = if secs < 60 {
        (secs, "giây", if secs == 1 { "second" } else { "seconds" })
    } else {
        let m = (secs + 59) / 60;
        (m, "phút", if m == 1 { "minute" } else { "minutes" })
    };
    match lang {
        Lang::Vi => format!("Đăng nhập sai nhiều lần: vui lòng chờ {n} {vi} rồi thử lại."),
        Lang::En => format!("Too many failed sign-ins: please wait {n} {en} and try again."),
    }
}

fn login_page(ctx: &Ctx, csrf: &str, username: &str, next: &str, message: Option<&str>) -> Markup {
    layout(
        ctx,
        None,
        ctx.t(T::LoginTitle),
        html! {
            h1 { (ctx.t(T::LoginTitle)) }
            @if let Some(m) = message {
                p.notice role="alert" { (m) }
            }
            form.edit method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="next" value=(next);
                div.field {
                    label for="username" { (ctx.t(T::Username)) }
                    input #username type="text" name="username" value=(username)
                        autocomplete="username" autocapitalize="none" required autofocus;
                }
                div.field {
                    label for="password" { (ctx.t(T::Password)) }
                    input #password type="password" name="password" autocomplete="current-password" required;
                }
                button type="submit" { (ctx.t(T::SignIn)) }
            }
        },
    )
}

async fn login_form(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    Query(p): Query<NextParam>,
    headers: axum::http::HeaderMap,
) -> PageResult {
    // Already signed in: go on.
    if auth::from_session(&st, &headers).await?.is_some() {
        return Ok(see_other(safe_next(&p.next).unwrap_or("/")));
    }
    let token = match jar.get(LOGIN_CSRF_COOKIE) {
        Some(c) if c.value().len() >= 32 => c.value().to_string(),
        _ => random_token(),
    };
    let next = safe_next(&p.next).unwrap_or("");
    let mut res = html_response(StatusCode::OK, login_page(&ctx, &token, "", next, None));
    res.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie_header(
            LOGIN_CSRF_COOKIE,
            &token,
            3600,
            st.config.secure_cookies,
        ))
        .expect("cookie header"),
    );
    Ok(res)
}

async fn login(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    ClientIp(ip): ClientIp,
    Form(f): Form<LoginForm>,
) -> PageResult {
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value()).unwrap_or("");
    if expected.is_empty() || !auth::same_secret(expected, &f.csrf) {
        return Err(PageError(AppError::Forbidden(
            "CSRF token missing or wrong",
        )));
    }
    let next = safe_next(&f.next).unwrap_or("").to_string();
    let username = f.username.trim().to_string();
    let again = |status: StatusCode, message: &str| {
        html_response(
            status,
            login_page(&ctx, expected, &username, &next, Some(message)),
        )
    };
    let keys = failure_keys(&username, &ip);
    let wait = login_wait(&st.store, &keys).await?;
    if wait > 0 {
        tracing::warn!(%username, %ip, wait, "login slowed down: recent failures");
        let mut res = again(
            StatusCode::TOO_MANY_REQUESTS,
            &login_wait_message(ctx.lang, wait),
        );
        res.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&wait.to_string()).expect("digits"),
        );
        return Ok(res);
    }
    let found = if username.is_empty() {
        None
    } else {
        st.store.user_by_username(&username).await?
    };
    let password = f.password.clone();
    let user = tokio::task::spawn_blocking(move || match found {
        Some((user, hash)) if verify_password(&password, &hash) && user.active => Some(user),
        Some(_) => None,
        None => {
            burn_verification(&password);
            None
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let Some(user) = user else {
        for (key, _) in &keys {
            st.store.record_login_failure(key).await?;
        }
        tracing::info!(%username, %ip, "login failed");
        return Ok(again(StatusCode::UNAUTHORIZED, ctx.t(T::LoginFailed)));
    };
    st.store.clear_login_failures(&keys[0].0).await?;
    if let Some(old) = jar.get(SESSION_COOKIE) {
        let hash = sha256_hex(old.value());
        st.store.end_session(&user.actor(), &hash).await?;
        st.cache.forget(&format!("s:{hash}"));
    }
    let token = random_token();
    let hours = st.config.session_hours.max(1);
    st.store
        .create_session(
            user.id,
            &sha256_hex(&token),
            &random_token(),
            Utc::now() + chrono::Duration::hours(hours),
        )
        .await?;
    tracing::info!(username = %user.username, "login");
    let secure = st.config.secure_cookies;
    let mut res = see_other(if next.is_empty() { "/" } else { &next });
    let headers = res.headers_mut();
    for cookie in [
        session_cookie(&token, hours * 3600, secure),
        expired_cookie(LOGIN_CSRF_COOKIE, secure),
    ] {
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_str(&cookie).expect("cookie header"),
        );
    }
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(st): State<AppState>,
    PageViewer(v): PageViewer,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    if let Credential::Session { token_hash, .. } = &v.credential {
        st.store.end_session(&v.user.actor(), token_hash).await?;
        st.cache.forget(&v.cache_key());
    }
    let mut res = see_other("/login");
    res.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&expired_cookie(SESSION_COOKIE, st.config.secure_cookies))
            .expect("cookie header"),
    );
    Ok(res)
}

// ---------------------------------------------------------------------------------------
// Units

async fn home(State(st): State<AppState>, ctx: Ctx, PageViewer(v): PageViewer) -> PageResult {
    let units = scope::top_units(&st.store, &v).await?;
    if let [only] = units.as_slice() {
        if !v.access.is_admin() {
            return Ok(see_other(&format!("/units/{}", only.code)));
        }
    }
    let rows = scope::with_counts(&st.store, units).await?;
    let body = html! {
        h1 { (ctx.t(T::MyUnits)) }
        @if rows.is_empty() {
            p.notice {
                @if v.access.role.deepest_level().is_none() { (ctx.t(T::LabNothing)) }
                @else { (ctx.t(T::NoUnits)) }
            }
        } @else {
            (units_table(&ctx, &rows, true))
        }
    };
    ok(layout(&ctx, Some(&v), ctx.t(T::MyUnits), body))
}

async fn unit_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
) -> PageResult {
    let store = &st.store;
    let unit = scope::seen_unit(store, &v.access, &code).await?;
    let ancestors = unit_trail(&st, &unit).await?;
    let counts = store.counts_under(std::slice::from_ref(&unit)).await?[0];
    let children = scope::seen_children(store, &v.access, &unit).await?;
    let children = scope::with_counts(store, children).await?;
    let sees_people = v.access.sees_people_in(&unit);
    let holds = scope::holds_households(store, &unit).await?;
    let writes = holds && v.access.writes_registry_in(&unit);
    const SHOWN: i64 = 20;
    let households = if sees_people && holds {
        store.households_in(&unit, None, 0, SHOWN + 1).await?
    } else {
        vec![]
    };
    let lang = ctx.lang;
    let body = html! {
        (crumbs(&ctx, &v.access, &refs(&ancestors[..ancestors.len() - 1]), &unit.name))
        h1 { (unit.full_name) }
        p.muted { (lang.level(unit.level)) " · " (ctx.t(T::Code)) " " (unit.code) }
        nav.unit-links aria-label=(unit.name) {
            a href={"/units/" (unit.code) "/dashboard"} { (ctx.t(T::UnitDashboard)) } " · "
            a href={"/units/" (unit.code) "/status"} { (ctx.t(T::UnitStatus)) } " · "
            a href={"/units/" (unit.code) "/green-zone"} { (ctx.t(T::UnitGreenZone)) } " · "
            a href={"/units/" (unit.code) "/targets"} { (ctx.t(T::UnitTargets)) } " · "
            a href={"/units/" (unit.code) "/worklists"} { (ctx.t(T::UnitWorkLists)) } " · "
            a href={"/ops?unit=" (enc(unit.code.as_str()))} { (ctx.t(T::UnitOperations)) } " · "
            a href={"/public/units/" (unit.code)} { (ctx.t(T::UnitPublic)) }
            @if sees_people {
                " · " a href={"/units/" (unit.code) "/work"} { (ctx.t(T::UnitWork)) }
                " · " a href={"/units/" (unit.code) "/cases"} { (ctx.t(T::UnitCases)) }
                " · " a href={"/units/" (unit.code) "/conflicts"} { (ctx.t(T::UnitConflicts)) }
                " · " a href={"/units/" (unit.code) "/identity"} { (ctx.t(T::UnitIdentity)) }
                " · " a href={"/units/" (unit.code) "/duplicates"} { (ctx.t(T::UnitDuplicates)) }
            }
        }
        h2 { (ctx.t(T::Figures)) }
        (figures(&ctx, &unit, counts))
        @if sees_people || writes {
            div.actions {
                @if sees_people {
                    a.button.secondary href={"/units/" (unit.code) "/households"} { (ctx.t(T::HouseholdList)) }
                }
                @if writes {
                    a.button href={"/households/new?unit=" (enc(unit.code.as_str()))} { (ctx.t(T::AddHousehold)) }
                }
            }
        }
        @if !children.is_empty() {
            h2 { (ctx.t(T::SubUnits)) }
            (units_table(&ctx, &children, true))
        }
        @if sees_people && holds {
            h2 { (ctx.t(T::Households)) }
            @if households.is_empty() {
                p { (ctx.t(T::NoHouseholds)) }
            } @else {
                (households_table(&ctx, &households[..households.len().min(SHOWN as usize)]))
                @if households.len() as i64 > SHOWN {
                    p { a href={"/units/" (unit.code) "/households"} { (ctx.t(T::HouseholdList)) " →" } }
                }
            }
        }
    };
    ok(layout(&ctx, Some(&v), &unit.name, body))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    q: String,
    page: String,
}

fn page_number(raw: &str) -> i64 {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=100_000).contains(n))
        .unwrap_or(1)
}

async fn unit_households(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Query(p): Query<ListQuery>,
) -> PageResult {
    let store = &st.store;
    let unit = scope::people_unit(store, &v.access, &code).await?;
    let ancestors = unit_trail(&st, &unit).await?;
    let page = page_number(&p.page);
    let q = search_text(Some(&p.q))?.unwrap_or("");
    let mut rows = store
        .households_in(
            &unit,
            (!q.is_empty()).then_some(q),
            (page - 1) * PAGE_SIZE,
            PAGE_SIZE + 1,
        )
        .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let holds = scope::holds_households(store, &unit).await?;
    let link = |n: i64| format!("/units/{}/households?q={}&page={n}", unit.code, enc(q));
    let title = format!("{} · {}", ctx.t(T::Households), unit.name);
    let body = html! {
        (crumbs(&ctx, &v.access, &refs(&ancestors), ctx.t(T::Households)))
        h1 { (title) }
        form.search method="get" {
            input type="search" name="q" value=(q) maxlength="200" aria-label=(ctx.t(T::Search))
                placeholder=(ctx.t(T::HeadName));
            button type="submit" { (ctx.t(T::SearchGo)) }
        }
        @if holds && v.access.writes_registry_in(&unit) {
            div.actions {
                a.button href={"/households/new?unit=" (enc(unit.code.as_str()))} { (ctx.t(T::AddHousehold)) }
            }
        }
        @if rows.is_empty() {
            p { (ctx.t(T::NoResults)) }
        } @else {
            (households_table(&ctx, &rows))
        }
        nav.pager {
            @if page > 1 { a href=(link(page - 1)) rel="prev" { "← " (ctx.t(T::Previous)) } }
            span.muted { (ctx.t(T::PageN)) " " (page) }
            @if more { a href=(link(page + 1)) rel="next" { (ctx.t(T::Next)) " →" } }
        }
    };
    ok(layout(&ctx, Some(&v), &title, body))
}

// ---------------------------------------------------------------------------------------
// Households

fn field_error<'a>(errors: &'a [FieldError], name: &str) -> Option<&'a FieldError> {
    errors.iter().find(|e| e.field == name)
}

fn text_field(
    ctx: &Ctx,
    errors: &[FieldError],
    name: &str,
    label: T,
    value: &str,
    hint: Option<T>,
    required: bool,
) -> Markup {
    let error = field_error(errors, name);
    let described = match (hint, error) {
        (_, Some(_)) => Some(format!("{name}-error")),
        (Some(_), None) => Some(format!("{name}-hint")),
        _ => None,
    };
    html! {
        div.field.bad[error.is_some()] {
            label for=(name) { (ctx.t(label)) }
            @if let Some(h) = hint { span.hint id={(name) "-hint"} { (ctx.t(h)) } }
            input id=(name) type="text" name=(name) value=(value) required[required]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[described];
            @if let Some(e) = error { p.error id={(name) "-error"} { (ctx.t(e.key)) } }
        }
    }
}

fn check_field(ctx: &Ctx, errors: &[FieldError], name: &str, label: T, value: &str) -> Markup {
    let checked = matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "on" | "1" | "true" | "x" | "yes"
    ) || vx_domain::parse_flag(value) == Some(true);
    let error = field_error(errors, name);
    html! {
        div.field.check.bad[error.is_some()] {
            input id=(name) type="checkbox" name=(name) value="1" checked[checked];
            " "
            label for=(name) { (ctx.t(label)) }
            @if let Some(e) = error { p.error { (ctx.t(e.key)) } }
        }
    }
}

fn select_field(
    ctx: &Ctx,
    errors: &[FieldError],
    name: &str,
    label: T,
    value: &str,
    options: &[(&str, &str)],
) -> Markup {
    let error = field_error(errors, name);
    html! {
        div.field.bad[error.is_some()] {
            label for=(name) { (ctx.t(label)) }
            select id=(name) name=(name) aria-invalid=[error.map(|_| "true")] {
                @for (v, text) in options {
                    option value=(v) selected[*v == value] { (text) }
                }
            }
            @if let Some(e) = error { p.error { (ctx.t(e.key)) } }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct HouseholdForm {
    csrf: String,
    code: String,
    unit_code: String,
    head_name: String,
    address: String,
    phone: String,
    poor: String,
    lost_income: String,
}

impl HouseholdForm {
    fn fields(&self) -> HouseholdFields {
        HouseholdFields {
            code: self.code.clone(),
            unit_code: self.unit_code.clone(),
            head_name: self.head_name.clone(),
            address: self.address.clone(),
            phone: self.phone.clone(),
            poor: self.poor.clone(),
            lost_income: self.lost_income.clone(),
        }
    }
}

/// The title of a form page, where it posts, and where "cancel" goes.
struct Frame<'a> {
    title: &'a str,
    action: String,
    cancel: String,
}

/// The household form; `fixed_unit`: a new household's unit, not editable.
fn household_form(
    ctx: &Ctx,
    v: &Viewer,
    frame: &Frame,
    fixed_unit: Option<&Unit>,
    f: &HouseholdFields,
    errors: &[FieldError],
) -> Markup {
    html! {
        h1 { (frame.title) }
        @if !errors.is_empty() { p.notice role="alert" { (ctx.t(T::FormHasErrors)) } }
        form.edit method="post" action=(frame.action) novalidate {
            input type="hidden" name="csrf" value=(v.csrf());
            @if let Some(u) = fixed_unit {
                p { (ctx.t(T::Unit)) ": " strong { (u.full_name) } " (" (u.code) ")" }
                @if let Some(e) = field_error(errors, "unit_code") { p.error { (ctx.t(e.key)) } }
            } @else {
                (text_field(ctx, errors, "unit_code", T::UnitCode, &f.unit_code, None, true))
            }
            (text_field(ctx, errors, "code", T::HouseholdCode, &f.code, None, true))
            (text_field(ctx, errors, "head_name", T::HeadName, &f.head_name, None, true))
            (text_field(ctx, errors, "address", T::Address, &f.address, None, false))
            (text_field(ctx, errors, "phone", T::Phone, &f.phone, Some(T::PhoneHint), false))
            (check_field(ctx, errors, "poor", T::Poor, &f.poor))
            (check_field(ctx, errors, "lost_income", T::LostIncome, &f.lost_income))
            div.actions {
                button type="submit" { (ctx.t(T::Save)) }
                a href=(frame.cancel) { (ctx.t(T::Cancel)) }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UnitParam {
    unit: String,
}

async fn writable_unit(st: &AppState, v: &Viewer, code: &str) -> Result<Unit, PageError> {
    let unit = scope::people_unit(&st.store, &v.access, code).await?;
    check_writes(&v.access, &unit)?;
    Ok(unit)
}

async fn new_household_form(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Query(p): Query<UnitParam>,
) -> PageResult {
    let unit = writable_unit(&st, &v, &p.unit).await?;
    let fields = HouseholdFields {
        unit_code: unit.code.to_string(),
        ..Default::default()
    };
    let title = ctx.t(T::NewHousehold);
    let body = household_form(
        &ctx,
        &v,
        &Frame {
            title,
            action: format!("/households/new?unit={}", enc(unit.code.as_str())),
            cancel: format!("/units/{}", unit.code),
        },
        Some(&unit),
        &fields,
        &[],
    );
    ok(layout(&ctx, Some(&v), title, body))
}

fn household_store_problem(e: StoreError) -> Result<FieldError, PageError> {
    match e {
        StoreError::Conflict(msg) => Ok(FieldError::new("code", T::ErrHouseholdExists, msg)),
        StoreError::Invalid(msg) => Ok(FieldError::new("unit_code", T::ErrUnitHolds, msg)),
        other => Err(other.into()),
    }
}

async fn create_household(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Query(p): Query<UnitParam>,
    Form(form): Form<HouseholdForm>,
) -> PageResult {
    csrf_check(&v, &form.csrf)?;
    let unit = writable_unit(&st, &v, &p.unit).await?;
    let mut fields = form.fields();
    fields.unit_code = unit.code.to_string();
    let errors = match parse_household(&fields) {
        Ok(new) => match st.store.create_household(&v.user.actor(), &new).await {
            Ok(h) => return Ok(see_other(&format!("/households/{}", h.id))),
            Err(e) => vec![household_store_problem(e)?],
        },
        Err(errors) => errors,
    };
    let title = ctx.t(T::NewHousehold);
    let body = household_form(
        &ctx,
        &v,
        &Frame {
            title,
            action: format!("/households/new?unit={}", enc(unit.code.as_str())),
            cancel: format!("/units/{}", unit.code),
        },
        Some(&unit),
        &fields,
        &errors,
    );
    Ok(html_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        layout(&ctx, Some(&v), title, body),
    ))
}

async fn household_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
) -> PageResult {
    let (h, unit) = scope::seen_household(&st.store, &v.access, &id).await?;
    let ancestors = unit_trail(&st, &unit).await?;
    let members = household_members(&st.store, &h).await?;
    let writes = v.access.writes_registry_in(&unit);
    let lang = ctx.lang;
    let title = format!("{} {}", ctx.t(T::Household), h.data.code);
    let body = html! {
        (crumbs(&ctx, &v.access, &refs(&ancestors), h.data.code.as_str()))
        h1 { (title) }
        dl.facts {
            dt { (ctx.t(T::HeadName)) } dd { (h.data.head_name) }
            dt { (ctx.t(T::Unit)) } dd { a href={"/units/" (unit.code)} { (unit.full_name) } }
            dt { (ctx.t(T::Address)) } dd { (h.data.address) }
            dt { (ctx.t(T::Phone)) } dd { @if let Some(p) = &h.data.phone { (p) } @else { "—" } }
            dt { (ctx.t(T::Poor)) } dd { (lang.yes_no(h.data.poor)) }
            dt { (ctx.t(T::LostIncome)) } dd { (lang.yes_no(h.data.lost_income)) }
            dt { (ctx.t(T::Members)) } dd { (lang.number(h.members)) }
            dt { (ctx.t(T::Status)) } dd { (status_badge(&ctx, h.active)) }
        }
        @if writes {
            div.actions {
                a.button href={"/households/" (h.id) "/edit"} { (ctx.t(T::Edit)) }
                a.button.secondary href={"/people/new?household=" (enc(h.data.code.as_str()))} { (ctx.t(T::AddMember)) }
                (toggle_form(&ctx, &v, &format!("/households/{}", h.id), h.active))
            }
        }
        h2 { (ctx.t(T::Members)) }
        @if members.is_empty() { p { (ctx.t(T::NoMembers)) } }
        @else { (people_table(&ctx, &members, false)) }
    };
    ok(layout(&ctx, Some(&v), &title, body))
}

/// The deactivate (or reactivate) button of a record.
fn toggle_form(ctx: &Ctx, v: &Viewer, base: &str, active: bool) -> Markup {
    html! {
        @if active {
            form method="post" action={(base) "/deactivate"} {
                input type="hidden" name="csrf" value=(v.csrf());
                button.danger type="submit" { (ctx.t(T::Deactivate)) }
            }
        } @else {
            form method="post" action={(base) "/activate"} {
                input type="hidden" name="csrf" value=(v.csrf());
                button.secondary type="submit" { (ctx.t(T::Activate)) }
            }
        }
    }
}

async fn writable_household(
    st: &AppState,
    v: &Viewer,
    id: &str,
) -> Result<(Household, Unit), PageError> {
    let (h, unit) = scope::seen_household(&st.store, &v.access, id).await?;
    check_writes(&v.access, &unit)?;
    Ok((h, unit))
}

async fn edit_household_form(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
) -> PageResult {
    let (h, _) = writable_household(&st, &v, &id).await?;
    let title = ctx.t(T::EditHousehold);
    let body = household_form(
        &ctx,
        &v,
        &Frame {
            title,
            action: format!("/households/{}/edit", h.id),
            cancel: format!("/households/{}", h.id),
        },
        None,
        &HouseholdFields::from_household(&h.data),
        &[],
    );
    ok(layout(&ctx, Some(&v), title, body))
}

async fn update_household(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(form): Form<HouseholdForm>,
) -> PageResult {
    csrf_check(&v, &form.csrf)?;
    let (h, unit) = writable_household(&st, &v, &id).await?;
    let fields = form.fields();
    let errors = match parse_household(&fields) {
        Ok(new) => {
            let target_ok = new.unit_code == unit.code
                || match scope::people_unit(&st.store, &v.access, new.unit_code.as_str()).await {
                    Ok(target) => v.access.writes_registry_in(&target),
                    Err(AppError::NotFound { .. }) => false,
                    Err(e) => return Err(e.into()),
                };
            if !target_ok {
                vec![FieldError::new(
                    "unit_code",
                    T::ErrUnitNotFound,
                    "no such unit in scope",
                )]
            } else {
                match st.store.update_household(&v.user.actor(), h.id, &new).await {
                    Ok(h) => return Ok(see_other(&format!("/households/{}", h.id))),
                    Err(e) => vec![household_store_problem(e)?],
                }
            }
        }
        Err(errors) => errors,
    };
    let title = ctx.t(T::EditHousehold);
    let body = household_form(
        &ctx,
        &v,
        &Frame {
            title,
            action: format!("/households/{}/edit", h.id),
            cancel: format!("/households/{}", h.id),
        },
        None,
        &fields,
        &errors,
    );
    Ok(html_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        layout(&ctx, Some(&v), title, body),
    ))
}

async fn toggle_household(
    st: AppState,
    v: Viewer,
    id: String,
    csrf: String,
    active: bool,
) -> PageResult {
    csrf_check(&v, &csrf)?;
    let (h, _) = writable_household(&st, &v, &id).await?;
    st.store
        .set_household_active(&v.user.actor(), h.id, active)
        .await?;
    Ok(see_other(&format!("/households/{}", h.id)))
}

async fn deactivate_household(
    State(st): State<AppState>,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    toggle_household(st, v, id, f.csrf, false).await
}

async fn activate_household(
    State(st): State<AppState>,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    toggle_household(st, v, id, f.csrf, true).await
}

// ---------------------------------------------------------------------------------------
// People

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PersonForm {
    csrf: String,
    household_code: String,
    full_name: String,
    birth: String,
    sex: String,
    citizen_id: String,
    phone: String,
    relation: String,
}

impl PersonForm {
    fn fields(&self) -> PersonFields {
        PersonFields {
            household_code: self.household_code.clone(),
            full_name: self.full_name.clone(),
            birth: self.birth.clone(),
            sex: self.sex.clone(),
            citizen_id: self.citizen_id.clone(),
            phone: self.phone.clone(),
            relation: self.relation.clone(),
        }
    }
}

/// The person form; `fixed_household`: a new person's household, not editable.
fn person_form(
    ctx: &Ctx,
    v: &Viewer,
    frame: &Frame,
    fixed_household: Option<&Household>,
    f: &PersonFields,
    errors: &[FieldError],
) -> Markup {
    let lang = ctx.lang;
    let sexes = [
        ("", "—"),
        ("male", lang.sex(vx_domain::Sex::Male)),
        ("female", lang.sex(vx_domain::Sex::Female)),
    ];
    let relations: Vec<(&str, &str)> = Relation::ALL
        .iter()
        .map(|r| (r.as_str(), lang.relation(*r)))
        .collect();
    // Values typed in another spelling ("nữ", "chủ hộ") select their option.
    let sex_value = vx_domain::Sex::parse(&f.sex)
        .map(|s| s.as_str())
        .unwrap_or("");
    let relation_value = Relation::parse(&f.relation)
        .map(|r| r.as_str())
        .unwrap_or_else(|_| f.relation.as_str());
    let relation_value = if f.relation.is_empty() && fixed_household.is_some() {
        "child"
    } else {
        Relation::ALL
            .iter()
            .find(|r| r.as_str() == f.relation)
            .map(|r| r.as_str())
            .unwrap_or(relation_value)
    };
    html! {
        h1 { (frame.title) }
        @if !errors.is_empty() { p.notice role="alert" { (ctx.t(T::FormHasErrors)) } }
        form.edit method="post" action=(frame.action) novalidate {
            input type="hidden" name="csrf" value=(v.csrf());
            @if let Some(h) = fixed_household {
                p { (ctx.t(T::Household)) ": " strong { (h.data.code) } " · " (h.data.head_name) }
                @if let Some(e) = field_error(errors, "household_code") { p.error { (ctx.t(e.key)) } }
            } @else {
                (text_field(ctx, errors, "household_code", T::HouseholdCode, &f.household_code, None, true))
            }
            (text_field(ctx, errors, "full_name", T::FullName, &f.full_name, None, true))
            (text_field(ctx, errors, "birth", T::Birth, &f.birth, Some(T::BirthHint), true))
            (select_field(ctx, errors, "sex", T::Sex, sex_value, &sexes))
            (text_field(ctx, errors, "citizen_id", T::CitizenId, &f.citizen_id, Some(T::CitizenHint), false))
            (text_field(ctx, errors, "phone", T::Phone, &f.phone, Some(T::PhoneHint), false))
            (select_field(ctx, errors, "relation", T::Relation, relation_value, &relations))
            div.actions {
                button type="submit" { (ctx.t(T::Save)) }
                a href=(frame.cancel) { (ctx.t(T::Cancel)) }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct HouseholdParam {
    household: String,
}

async fn writable_household_by_code(
    st: &AppState,
    v: &Viewer,
    code: &str,
) -> Result<(Household, Unit), PageError> {
    let (h, unit) = scope::seen_household_by_code(&st.store, &v.access, code).await?;
    check_writes(&v.access, &unit)?;
    Ok((h, unit))
}

async fn new_person_form(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Query(p): Query<HouseholdParam>,
) -> PageResult {
    let (h, _) = writable_household_by_code(&st, &v, &p.household).await?;
    let title = ctx.t(T::NewPerson);
    let fields = PersonFields {
        household_code: h.data.code.to_string(),
        ..Default::default()
    };
    let body = person_form(
        &ctx,
        &v,
        &Frame {
            title,
            action: format!("/people/new?household={}", enc(h.data.code.as_str())),
            cancel: format!("/households/{}", h.id),
        },
        Some(&h),
        &fields,
        &[],
    );
    ok(layout(&ctx, Some(&v), title, body))
}

fn person_store_problem(e: StoreError, has_citizen_id: bool) -> Result<FieldError, PageError> {
    match e {
        StoreError::Conflict(_) => Ok(FieldError::new(
            if has_citizen_id {
                "citizen_id"
            } else {
                "full_name"
            },
            T::ErrPersonExists,
            "duplicate person",
        )),
        StoreError::Invalid(msg) => Ok(FieldError::new(
            "household_code",
            T::ErrHouseholdNotFound,
            msg,
        )),
        other => Err(other.into()),
    }
}

async fn create_person(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Query(p): Query<HouseholdParam>,
    Form(form): Form<PersonForm>,
) -> PageResult {
    csrf_check(&v, &form.csrf)?;
    let (h, _) = writable_household_by_code(&st, &v, &p.household).await?;
    let mut fields = form.fields();
    fields.household_code = h.data.code.to_string();
    let today = vx_domain::vn_date(Utc::now());
    let errors = match parse_person(&fields, today) {
        Ok(new) => match st.store.create_person(&v.user.actor(), &new).await {
            Ok(person) => return Ok(see_other(&format!("/people/{}", person.id))),
            Err(e) => vec![person_store_problem(e, new.citizen_id.is_some())?],
        },
        Err(errors) => errors,
    };
    let title = ctx.t(T::NewPerson);
    let body = person_form(
        &ctx,
        &v,
        &Frame {
            title,
            action: format!("/people/new?household={}", enc(h.data.code.as_str())),
            cancel: format!("/households/{}", h.id),
        },
        Some(&h),
        &fields,
        &errors,
    );
    Ok(html_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        layout(&ctx, Some(&v), title, body),
    ))
}

async fn person_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
) -> PageResult {
    let (p, unit) = scope::seen_person(&st.store, &v.access, &id).await?;
    let ancestors = unit_trail(&st, &unit).await?;
    let duplicates = visible_duplicates(&st.store, &v.access, &p).await?;
    let writes = v.access.writes_registry_in(&unit);
    let lang = ctx.lang;
    let d = &p.data;
    let body = html! {
        (crumbs(&ctx, &v.access, &refs(&ancestors), d.full_name.as_str()))
        h1 { (d.full_name) }
        dl.facts {
            dt { (ctx.t(T::Birth)) } dd { (lang.birth(&d.birth)) }
            dt { (ctx.t(T::Sex)) } dd { (lang.sex(d.sex)) }
            dt { (ctx.t(T::CitizenId)) } dd { @if let Some(c) = &d.citizen_id { (c) } @else { "—" } }
            dt { (ctx.t(T::Phone)) } dd { @if let Some(ph) = &d.phone { (ph) } @else { "—" } }
            dt { (ctx.t(T::Relation)) } dd { (lang.relation(d.relation)) }
            dt { (ctx.t(T::Household)) } dd { a href={"/households/" (p.household_id)} { (d.household_code) } }
            dt { (ctx.t(T::Unit)) } dd { a href={"/units/" (unit.code)} { (unit.full_name) } }
            dt { (ctx.t(T::Status)) } dd { (status_badge(&ctx, p.active)) }
        }
        p { a.button.secondary href={"/people/" (p.id) "/timeline"} { (if lang == crate::i18n::Lang::Vi { "Diễn biến dịch tễ" } else { "Epidemiological timeline" }) } }
        @if writes {
            div.actions {
                a.button href={"/people/" (p.id) "/edit"} { (ctx.t(T::Edit)) }
                (toggle_form(&ctx, &v, &format!("/people/{}", p.id), p.active))
            }
        }
        h2 { (ctx.t(T::Duplicates)) }
        @if duplicates.is_empty() {
            p { (ctx.t(T::DuplicatesNone)) }
        } @else {
            div.scroll tabindex="0" {
                table {
                    thead { tr {
                        th { (ctx.t(T::FullName)) } th { (ctx.t(T::Birth)) } th { (ctx.t(T::CitizenId)) }
                        th { (ctx.t(T::Household)) } th { (ctx.t(T::FieldsAgree)) }
                    } }
                    tbody {
                        @for s in &duplicates {
                            tr {
                                td { a href={"/people/" (s.person.id)} { (s.person.data.full_name) } }
                                td { (lang.birth(&s.person.data.birth)) }
                                td { @if let Some(c) = &s.person.data.citizen_id { (c) } @else { "—" } }
                                td { a href={"/households/" (s.person.household_id)} { (s.person.data.household_code) } }
                                td.wrap {
                                    @for (i, r) in s.reasons.iter().enumerate() {
                                        @if i > 0 { ", " }
                                        (lang.reason(r))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    ok(layout(&ctx, Some(&v), d.full_name.as_str(), body))
}

async fn writable_person(st: &AppState, v: &Viewer, id: &str) -> Result<(Person, Unit), PageError> {
    let (p, unit) = scope::seen_person(&st.store, &v.access, id).await?;
    check_writes(&v.access, &unit)?;
    Ok((p, unit))
}

async fn edit_person_form(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
) -> PageResult {
    let (p, _) = writable_person(&st, &v, &id).await?;
    let title = ctx.t(T::EditPerson);
    let body = person_form(
        &ctx,
        &v,
        &Frame {
            title,
            action: format!("/people/{}/edit", p.id),
            cancel: format!("/people/{}", p.id),
        },
        None,
        &PersonFields::from_person(&p.data),
        &[],
    );
    ok(layout(&ctx, Some(&v), title, body))
}

async fn update_person(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(form): Form<PersonForm>,
) -> PageResult {
    csrf_check(&v, &form.csrf)?;
    let (p, _) = writable_person(&st, &v, &id).await?;
    let fields = form.fields();
    let today = vx_domain::vn_date(Utc::now());
    let errors = match parse_person(&fields, today) {
        Ok(new) => {
            let target_ok = new.household_code == p.data.household_code
                || match scope::seen_household_by_code(
                    &st.store,
                    &v.access,
                    new.household_code.as_str(),
                )
                .await
                {
                    Ok((_, unit)) => v.access.writes_registry_in(&unit),
                    Err(AppError::NotFound { .. }) => false,
                    Err(e) => return Err(e.into()),
                };
            if !target_ok {
                vec![FieldError::new(
                    "household_code",
                    T::ErrHouseholdNotFound,
                    "no such household in scope",
                )]
            } else {
                match st.store.update_person(&v.user.actor(), p.id, &new).await {
                    Ok(p) => return Ok(see_other(&format!("/people/{}", p.id))),
                    Err(e) => vec![person_store_problem(e, new.citizen_id.is_some())?],
                }
            }
        }
        Err(errors) => errors,
    };
    let title = ctx.t(T::EditPerson);
    let body = person_form(
        &ctx,
        &v,
        &Frame {
            title,
            action: format!("/people/{}/edit", p.id),
            cancel: format!("/people/{}", p.id),
        },
        None,
        &fields,
        &errors,
    );
    Ok(html_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        layout(&ctx, Some(&v), title, body),
    ))
}

async fn toggle_person(
    st: AppState,
    v: Viewer,
    id: String,
    csrf: String,
    active: bool,
) -> PageResult {
    csrf_check(&v, &csrf)?;
    let (p, _) = writable_person(&st, &v, &id).await?;
    st.store
        .set_person_active(&v.user.actor(), p.id, active)
        .await?;
    Ok(see_other(&format!("/people/{}", p.id)))
}

async fn deactivate_person(
    State(st): State<AppState>,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    toggle_person(st, v, id, f.csrf, false).await
}

async fn activate_person(
    State(st): State<AppState>,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    toggle_person(st, v, id, f.csrf, true).await
}

// ---------------------------------------------------------------------------------------
// Search and audit

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SearchQuery {
    q: String,
}

async fn search(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Query(p): Query<SearchQuery>,
) -> PageResult {
    let q = search_text(Some(&p.q))?.unwrap_or("");
    let scope::Found {
        units,
        households,
        people,
    } = scope::search(&st.store, &v, q).await?;
    let lang = ctx.lang;
    let sees_people = v.access.role.sees_personal_data();
    let body = html! {
        h1 { (ctx.t(T::Search)) }
        form.search method="get" action="/search" role="search" {
            input type="search" name="q" value=(q) maxlength="200" aria-label=(ctx.t(T::Search))
                placeholder=(ctx.t(T::SearchHint));
            button type="submit" { (ctx.t(T::SearchGo)) }
        }
        @if !q.is_empty() {
            h2 { (ctx.t(T::Units)) }
            @if units.is_empty() { p { (ctx.t(T::NoResults)) } }
            @else {
                ul {
                    @for u in &units {
                        li {
                            a href={"/units/" (u.code)} { (u.full_name) }
                            " " span.muted { (lang.level(u.level)) " · " (u.code) }
                        }
                    }
                }
            }
            @if sees_people {
                h2 { (ctx.t(T::Households)) }
                @if households.is_empty() { p { (ctx.t(T::NoResults)) } }
                @else { (households_table(&ctx, &households)) }
                h2 { (ctx.t(T::People)) }
                @if people.is_empty() { p { (ctx.t(T::NoResults)) } }
                @else { (people_table(&ctx, &people, true)) }
            }
        }
    };
    ok(layout(&ctx, Some(&v), ctx.t(T::Search), body))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AuditQuery {
    before: String,
    entity: String,
    id: String,
}

/// The page of an audited record, where there is one.
fn record_page(entity: &str, id: &str) -> Option<String> {
    let id: i64 = id.parse().ok()?;
    match entity {
        "household" => Some(format!("/households/{id}")),
        "person" => Some(format!("/people/{id}")),
        _ => None,
    }
}

/// Before and after of an audit entry, pretty-printed; of two objects only the fields
/// that changed.
fn changed_fields(before: Option<&str>, after: Option<&str>) -> (String, String) {
    use serde_json::Value;
    let parse = |s: Option<&str>| {
        s.map(|s| serde_json::from_str::<Value>(s).unwrap_or_else(|_| Value::String(s.into())))
    };
    let (mut b, mut a) = (parse(before), parse(after));
    if let (Some(Value::Object(bo)), Some(Value::Object(ao))) = (&mut b, &mut a) {
        let same: Vec<String> = bo
            .iter()
            .filter(|(k, v)| ao.get(*k) == Some(*v))
            .map(|(k, _)| k.clone())
            .collect();
        for k in same {
            bo.remove(&k);
            ao.remove(&k);
        }
    }
    let show = |v: Option<Value>| match v {
        None => String::new(),
        Some(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
    };
    (show(b), show(a))
}

async fn audit_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Query(p): Query<AuditQuery>,
) -> PageResult {
    if !v.access.is_admin() {
        return Err(AppError::not_found().into());
    }
    let before = p.before.trim().parse::<i64>().ok();
    let entity = (!p.entity.trim().is_empty() && !p.id.trim().is_empty())
        .then(|| (p.entity.trim(), p.id.trim()));
    let entries = st.store.audit_log(entity, before, PAGE_SIZE).await?;
    let lang = ctx.lang;
    let shown: Vec<(String, String)> = entries
        .iter()
        .map(|e| changed_fields(e.before.as_deref(), e.after.as_deref()))
        .collect();
    let older = (entries.len() as i64 == PAGE_SIZE)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let filter = match entity {
        Some((e, id)) => format!("&entity={}&id={}", enc(e), enc(id)),
        None => String::new(),
    };
    let body = html! {
        h1 { (ctx.t(T::AuditLog)) }
        @if entries.is_empty() { p { (ctx.t(T::NoResults)) } }
        @else {
            div.scroll tabindex="0" {
                table {
                    thead { tr {
                        th { "#" } th { (ctx.t(T::Time)) } th { (ctx.t(T::Actor)) } th { (ctx.t(T::Action)) }
                        th { (ctx.t(T::Entity)) } th { (ctx.t(T::Before)) } th { (ctx.t(T::After)) }
                    } }
                    tbody {
                        @for (e, (before, after)) in entries.iter().zip(&shown) {
                            tr {
                                td { (e.id) }
                                td { (lang.instant(e.at)) }
                                td { (e.actor) }
                                td { (e.action) }
                                td {
                                    a href={"/admin/audit?entity=" (enc(&e.entity)) "&id=" (enc(&e.entity_id))} {
                                        (e.entity) " " (e.entity_id)
                                    }
                                    @if let Some(page) = record_page(&e.entity, &e.entity_id) {
                                        " " a href=(page) aria-label=(ctx.t(T::Open)) { "↗" }
                                    }
                                }
                                td { pre { (before) } }
                                td { pre { (after) } }
                            }
                        }
                    }
                }
            }
        }
        nav.pager {
            @if before.is_some() || entity.is_some() { a href="/admin/audit" { (ctx.t(T::Newest)) } }
            @if let Some(id) = older {
                a href={"/admin/audit?before=" (id) (filter)} rel="next" { (ctx.t(T::Older)) " →" }
            }
        }
    };
    ok(layout(&ctx, Some(&v), ctx.t(T::AuditLog), body))
}

/// The form that settles one held item on a review page (result conflicts, identity reviews):
/// two choices as radio buttons (`(value, label, checked)`), a required note, a submit button.
pub(crate) fn settle_form(
    action: &str,
    csrf: &str,
    unit: &str,
    id: i64,
    choices: &[(&str, &str, bool)],
    note: &str,
    submit: &str,
) -> Markup {
    html! {
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="unit" value=(unit);
            @for &(value, label, checked) in choices {
                div.field.check { input id={(value) "-" (id)} type="radio" name="choice" value=(value) checked[checked]; " "
                    label for={(value) "-" (id)} { (label) } }
            }
            div.field { label for={"note-" (id)} { (note) }
                input id={"note-" (id)} type="text" name="note" required; }
            button type="submit" { (submit) }
        }
    }
}
