//! Duplicate people of a unit (`/units/{code}/duplicates`): candidate pairs side by side
//! with their reason, settled by merging one into the other or saying they are two people
//! (a note required); the merges made there, each with its undo. Scope-checked like the
//! other unit pages: 404 outside; a merge needs a scope over both people. Every write is an
//! audited store call (rules: `docs/registry.md`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{html, Markup};
use serde::Deserialize;
use vx_domain::{CitizenId, Person, Role, Unit};
use vx_store::StoreError;

use crate::auth::{PageViewer, Viewer};
use crate::error::{AppError, PageError, PageResult};
use crate::i18n::{page_strings, Lang};
use crate::pages::{html_page, layout, settle_form, Ctx};
use crate::scope;
use crate::state::AppState;

/// The most pairs a page lists.
const PAGE: usize = 100;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/units/{code}/duplicates", get(duplicates_page))
        .route("/duplicates/{a}/{b}/settle", post(settle))
        .route("/merges/{id}/undo", post(undo))
}

page_strings! {
    S, t;
    Title => "Người trùng lặp", "Duplicate people";
    Help => "Những cặp có thể là cùng một người, theo các quy tắc chặt (cùng hộ; cùng ấp và cùng ngày sinh; cùng số điện thoại và ngày sinh). Gộp sẽ chuyển mẫu xét nghiệm, ca bệnh, tiếp xúc, mũi tiêm và giấy đi đường sang người được giữ; có thể hoàn tác.",
        "Pairs that may be one person, by narrow rules (one household; one hamlet and one birth date; one phone and birth date). A merge moves samples, cases, contacts, doses and permits onto the person kept; it can be undone.";
    Why => "Lý do", "Why";
    KeepA => "Giữ người bên trái, gộp người bên phải vào", "Keep the left one, merge the right one into it";
    KeepB => "Giữ người bên phải, gộp người bên trái vào", "Keep the right one, merge the left one into it";
    Dismiss => "Không phải cùng một người", "Not the same person";
    Note => "Ghi chú", "Note";
    Settle => "Xử lý", "Settle";
    NeedNote => "Cần ghi chú lý do.", "A note is needed.";
    Nothing => "Không có cặp nào cần xem.", "No pairs to look at.";
    Shown => "Hiện", "Showing";
    Of => "trên", "of";
    Merges => "Đã gộp", "Merges";
    Into => "gộp vào", "merged into";
    Undo => "Hoàn tác", "Undo";
    Undone => "đã hoàn tác", "undone";
    Bad => "Chưa xử lý:", "Not settled:";
    NoId => "không có CCCD", "no citizen ID";
    Moved => "Đã chuyển", "Moved";
}

/// Roles that write the registry: administrators, the commune and the hamlet's team.
fn may_merge(v: &Viewer) -> bool {
    matches!(v.user.role, Role::Admin | Role::Commune | Role::Hamlet)
}

fn show(lang: Lang, p: &Person) -> Markup {
    let d = &p.data;
    html! {
        a href={"/people/" (p.id)} { strong { (d.full_name) } } " #" (p.id) br;
        (d.birth) " · " (d.sex.name_vi()) br;
        (d.citizen_id.as_ref().map(CitizenId::as_str).unwrap_or(t(lang, S::NoId))) br;
        (d.household_code) " · " (p.unit_code) br;
        (d.phone.as_ref().map(|x| x.as_str()).unwrap_or(""))
    }
}

async fn duplicates_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
) -> PageResult {
    let unit = scope::people_unit(&st.store, &v.access, &code).await?;
    draw(&st, &ctx, &v, &unit, &[]).await
}

async fn draw(st: &AppState, ctx: &Ctx, v: &Viewer, unit: &Unit, errors: &[String]) -> PageResult {
    let lang = ctx.lang;
    let (pairs, total) = st.store.duplicate_pairs(unit, PAGE).await?;
    let merges = st.store.person_merges(unit, 20).await?;
    let may = may_merge(v);
    let body = html! {
        p.muted { a href={"/units/" (unit.code)} { (unit.name) } }
        h1 { (t(lang, S::Title)) " · " (unit.name) }
        p { (t(lang, S::Help)) }
        @if !errors.is_empty() {
            div.errors role="alert" { p { (t(lang, S::Bad)) } ul { @for e in errors { li { (e) } } } }
        }
        @if pairs.is_empty() { p { (t(lang, S::Nothing)) } } @else {
            @if total > pairs.len() {
                p { (t(lang, S::Shown)) " " (pairs.len()) " " (t(lang, S::Of)) " " (total) }
            }
            div.scroll tabindex="0" { table {
                thead { tr { th { "#" } th { "A" } th { "B" } th { (t(lang, S::Why)) } th {} } }
                tbody { @for (i, p) in pairs.iter().enumerate() { tr {
                    td { (i + 1) }
                    td { (show(lang, &p.a)) }
                    td { (show(lang, &p.b)) }
                    td { (match lang { Lang::Vi => p.reason.text_vi(), Lang::En => p.reason.text_en() }) }
                    td { @if may {
                        (settle_form(&format!("/duplicates/{}/{}/settle", p.a.id, p.b.id), v.csrf(),
                            unit.code.as_str(), i as i64,
                            &[("keep-a", t(lang, S::KeepA), false), ("keep-b", t(lang, S::KeepB), false),
                              ("dismiss", t(lang, S::Dismiss), true)],
                            t(lang, S::Note), t(lang, S::Settle)))
                    } }
                } } }
            } }
        }
        @if !merges.is_empty() {
            h2 { (t(lang, S::Merges)) }
            ul { @for m in &merges { li {
                "#" (m.merged_id) " " (t(lang, S::Into)) " #" (m.kept_id) " · " (m.actor) " · "
                (m.at.format("%d/%m/%Y %H:%M")) " UTC · " (t(lang, S::Moved)) ": " (m.moves.summary())
                @if !m.note.is_empty() { " · " (m.note) }
                @if let Some(by) = &m.undone_by { " · " (t(lang, S::Undone)) " (" (by) ")" }
                @else if may {
                    form.inline method="post" action={"/merges/" (m.id) "/undo"} {
                        input type="hidden" name="csrf" value=(v.csrf());
                        input type="hidden" name="unit" value=(unit.code.as_str());
                        " " button.secondary type="submit" { (t(lang, S::Undo)) }
                    }
                }
            } } }
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

fn id_of(s: &str) -> Result<i64, PageError> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(PageError(AppError::not_found()))
}

async fn settle(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path((a, b)): Path<(String, String)>,
    Form(f): Form<SettleForm>,
) -> PageResult {
    if !v.csrf_ok(&f.csrf) {
        return Err(PageError(AppError::Forbidden(
            "CSRF token missing or wrong",
        )));
    }
    let unit = scope::people_unit(&st.store, &v.access, f.unit.trim()).await?;
    let (a, b) = (id_of(&a)?, id_of(&b)?);
    // Both people must be seen by the viewer, or the pair does not exist for it.
    for id in [a, b] {
        scope::seen_person(&st.store, &v.access, &id.to_string()).await?;
    }
    if !may_merge(&v) {
        return Err(PageError(AppError::Forbidden(
            "duplicates are settled by the commune",
        )));
    }
    let lang = ctx.lang;
    let mut errors = Vec::new();
    let note = f.note.trim();
    if note.is_empty() {
        errors.push(t(lang, S::NeedNote).to_string());
    }
    if errors.is_empty() {
        let actor = v.user.actor();
        let access = (!v.access.is_admin()).then_some(&v.access);
        let done = match f.choice.as_str() {
            "keep-a" => st
                .store
                .merge_people(&actor, a, b, note, access)
                .await
                .map(|_| ()),
            "keep-b" => st
                .store
                .merge_people(&actor, b, a, note, access)
                .await
                .map(|_| ()),
            "dismiss" => st.store.dismiss_duplicate(&actor, a, b, note).await,
            other => Err(StoreError::Invalid(format!(
                "{other:?}: keep-a | keep-b | dismiss"
            ))),
        };
        match done {
            Ok(()) => {
                return Ok(Redirect::to(&format!("/units/{}/duplicates", unit.code)).into_response())
            }
            Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => errors.push(m),
            Err(e) => return Err(PageError(e.into())),
        }
    }
    draw(&st, &ctx, &v, &unit, &errors).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UndoForm {
    csrf: String,
    unit: String,
}

async fn undo(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<UndoForm>,
) -> PageResult {
    if !v.csrf_ok(&f.csrf) {
        return Err(PageError(AppError::Forbidden(
            "CSRF token missing or wrong",
        )));
    }
    let unit = scope::people_unit(&st.store, &v.access, f.unit.trim()).await?;
    let merge = st
        .store
        .person_merge(id_of(&id)?)
        .await?
        .ok_or(PageError(AppError::not_found()))?;
    scope::seen_person(&st.store, &v.access, &merge.kept_id.to_string()).await?;
    if !may_merge(&v) {
        return Err(PageError(AppError::Forbidden(
            "merges are undone by the commune",
        )));
    }
    let access = (!v.access.is_admin()).then_some(&v.access);
    match st.store.undo_merge(&v.user.actor(), merge.id, access).await {
        Ok(_) => Ok(Redirect::to(&format!("/units/{}/duplicates", unit.code)).into_response()),
        Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => {
            draw(&st, &ctx, &v, &unit, &[m]).await
        }
        Err(e) => Err(PageError(e.into())),
    }
}
