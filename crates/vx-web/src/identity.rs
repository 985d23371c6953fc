//! The identity review queue of a unit (`/units/{code}/identity`): import rows held because
//! their citizen ID belongs to someone else, or because they move a person between
//! communes, shown beside the stored person; settled by applying or rejecting them, with a
//! note (see `docs/registry.md`). Scope-checked like the other unit pages: 404 outside;
//! settling needs a scope over both units concerned. Every write is an audited store call.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{html, Markup};
use serde::Deserialize;
use vx_domain::{CitizenId, NewPerson, Role, Unit};
use vx_store::{IdentityReview, StoreError};

use crate::auth::{PageViewer, Viewer};
use crate::error::{AppError, PageError, PageResult};
use crate::i18n::{page_strings, Lang};
use crate::pages::{html_page, layout, settle_form, Ctx};
use crate::scope;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/units/{code}/identity", get(identity_page))
        .route("/identity/{id}/settle", post(settle))
}

page_strings! {
    S, t;
    Title => "Đối chiếu nhân thân", "Identity review";
    Help => "Các dòng nhập bị giữ lại vì số CCCD đã thuộc về người khác, người đã có số CCCD khác, hoặc chuyển người sang xã khác. Chưa dòng nào được ghi.",
        "Import rows held because their citizen ID belongs to someone else, the person already has another ID, or they move a person to another commune. None has been applied.";
    Stored => "Đang lưu", "Stored";
    Row => "Dòng nhập", "The row";
    Why => "Lý do", "Why";
    Status => "Trạng thái", "Status";
    Apply => "Áp dụng dòng nhập", "Apply the row";
    Reject => "Bỏ dòng nhập", "Reject the row";
    Note => "Ghi chú", "Note";
    Settle => "Xử lý", "Settle";
    NeedNote => "Cần ghi chú lý do.", "A note is needed.";
    Nothing => "Không có dòng nào chờ đối chiếu.", "No rows wait for review.";
    OpenOnly => "Đang chờ", "Open";
    All => "Tất cả", "All";
    More => "Xem thêm", "More";
    Bad => "Chưa xử lý:", "Not settled:";
    Gone => "(không còn)", "(gone)";
    NoId => "không có CCCD", "no citizen ID";
}

/// Roles that write the registry: administrators, the commune and the hamlet's team.
fn may_settle(v: &Viewer) -> bool {
    matches!(v.user.role, Role::Admin | Role::Commune | Role::Hamlet)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    status: String,
    after: String,
}

async fn identity_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let unit = scope::people_unit(&st.store, &v.access, &code).await?;
    draw(&st, &ctx, &v, &unit, &q, &[]).await
}

fn show(lang: Lang, p: &NewPerson, unit: &str) -> Markup {
    html! {
        strong { (p.full_name) } br;
        (p.birth) " · " (p.sex.name_vi()) br;
        (p.citizen_id.as_ref().map(CitizenId::as_str).unwrap_or(t(lang, S::NoId))) br;
        (p.household_code) " · " (unit) br;
        (p.phone.as_ref().map(|x| x.as_str()).unwrap_or("")) " " (p.relation.name_vi())
    }
}

async fn draw(
    st: &AppState,
    ctx: &Ctx,
    v: &Viewer,
    unit: &Unit,
    q: &ListQuery,
    errors: &[String],
) -> PageResult {
    let lang = ctx.lang;
    let all = q.status == "all";
    let after = q.after.trim().parse::<i64>().unwrap_or(0);
    const PAGE: i64 = 50;
    let mut list: Vec<IdentityReview> = st
        .store
        .identity_reviews_in(&unit.path, all, after, PAGE + 1)
        .await?;
    let more = list.len() as i64 > PAGE;
    list.truncate(PAGE as usize);
    let mut stored = Vec::with_capacity(list.len());
    for r in &list {
        stored.push(st.store.person(r.person_id).await?);
    }
    let base = format!("/units/{}/identity", unit.code);
    let body = html! {
        p.muted { a href={"/units/" (unit.code)} { (unit.name) } }
        h1 { (t(lang, S::Title)) " · " (unit.name) }
        p { (t(lang, S::Help)) }
        p {
            a.button.secondary href=(base) { (t(lang, S::OpenOnly)) } " "
            a.button.secondary href={(base) "?status=all"} { (t(lang, S::All)) }
        }
        @if !errors.is_empty() {
            div.errors role="alert" { p { (t(lang, S::Bad)) } ul { @for e in errors { li { (e) } } } }
        }
        @if list.is_empty() { p { (t(lang, S::Nothing)) } } @else {
            div.scroll tabindex="0" { table {
                thead { tr {
                    th { "#" } th { (t(lang, S::Stored)) } th { (t(lang, S::Row)) }
                    th { (t(lang, S::Why)) } th { (t(lang, S::Status)) } th {}
                } }
                tbody { @for (r, p) in list.iter().zip(&stored) { tr {
                    td { (r.id) br; (r.file_name) " · " (r.row) }
                    td { @match p {
                        Some(p) => (show(lang, &p.data, p.unit_code.as_str())),
                        None => (t(lang, S::Gone)),
                    } }
                    td { (show(lang, &r.proposed, &r.target_unit_code)) }
                    td { (r.reason) }
                    td { (r.status)
                        @if let Some(by) = &r.settled_by { " · " (by) }
                        @if !r.note.is_empty() { " · " (r.note) } }
                    td { @if r.status == "open" && may_settle(v)
                        && v.access.path_in_scope(&r.unit_path) && v.access.path_in_scope(&r.target_path) {
                        (settle_form(&format!("/identity/{}/settle", r.id), v.csrf(), unit.code.as_str(), r.id,
                            &[("apply", t(lang, S::Apply), false), ("reject", t(lang, S::Reject), true)],
                            t(lang, S::Note), t(lang, S::Settle)))
                    } }
                } } }
            } }
        }
        @if more {
            @if let Some(last) = list.last() {
                p { a.button.secondary href={(base) "?status=" (if all { "all" } else { "open" }) "&after=" (last.id)} { (t(lang, S::More)) " →" } }
            }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_page(layout(ctx, Some(v), t(lang, S::Title), body), status)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SettleForm {
    csrf: String,
    unit: String,
    choice: String,
    note: String,
}

async fn settle(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<SettleForm>,
) -> PageResult {
    if !v.csrf_ok(&f.csrf) {
        return Err(PageError(AppError::Forbidden(
            "CSRF token missing or wrong",
        )));
    }
    let review = match id.trim().parse::<i64>() {
        Ok(id) => st.store.identity_review(id).await?,
        Err(_) => None,
    }
    .filter(|r| {
        v.access.role.sees_personal_data()
            && (v.access.path_in_scope(&r.unit_path) || v.access.path_in_scope(&r.target_path))
    })
    .ok_or(PageError(AppError::not_found()))?;
    if !may_settle(&v) {
        return Err(PageError(AppError::Forbidden(
            "identity reviews are settled by the commune",
        )));
    }
    let unit = match scope::people_unit(&st.store, &v.access, f.unit.trim()).await {
        Ok(u) => u,
        Err(_) => {
            let code = if v.access.path_in_scope(&review.unit_path) {
                &review.unit_code
            } else {
                &review.target_unit_code
            };
            scope::people_unit(&st.store, &v.access, code).await?
        }
    };
    let lang = ctx.lang;
    let mut errors = Vec::new();
    let apply = match f.choice.as_str() {
        "apply" => Some(true),
        "reject" => Some(false),
        other => {
            errors.push(format!("{other:?}: apply | reject"));
            None
        }
    };
    if f.note.trim().is_empty() {
        errors.push(t(lang, S::NeedNote).to_string());
    }
    if let (Some(apply), true) = (apply, errors.is_empty()) {
        let access = (!v.access.is_admin()).then_some(&v.access);
        match st
            .store
            .settle_identity_review(&v.user.actor(), review.id, apply, f.note.trim(), access)
            .await
        {
            Ok(_) => {
                return Ok(Redirect::to(&format!("/units/{}/identity", unit.code)).into_response())
            }
            Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => errors.push(m),
            Err(e) => return Err(PageError(e.into())),
        }
    }
    draw(&st, &ctx, &v, &unit, &ListQuery::default(), &errors).await
}
