//! The commune's review pages: upload a laboratory's results file, confirm or reject a
//! proposed case, settle conflicting results, list a unit's cases, sample a retest order
//! from the work list, add an F2 to an F1. Every page is scope-checked (404 outside), every
//! form carries the CSRF token, every write goes through an audited store method.

use std::collections::HashMap;

use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{html, Markup};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use vx_domain::epi::{
    CaseDetails, CaseSource, ConflictStatus, ContactLevel, ContactSource, IsolationPlace,
    NewContact, NewSample, ProposalStatus, QuarantinePlace, SampleCode, SampleMethod, Severity,
};
use vx_domain::{Role, Unit};
use vx_store::StoreError;

use super::api::{import_table, lab_name, may_upload, ImportHow, UploadAnswer, MAX_UPLOAD};
use crate::auth::{PageViewer, Viewer};
use crate::error::{AppError, PageError, PageResult};
use crate::i18n::{page_strings, Lang};
use crate::pages::{csrf_check, enc, html_page, layout, settle_form, Ctx};
use crate::scope;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/results/upload",
            get(upload_page)
                .post(upload)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/results/upload/progress.json", get(upload_progress))
        .route("/proposals/{id}", get(proposal_page))
        .route("/proposals/{id}/confirm", post(confirm_proposal))
        .route("/proposals/{id}/reject", post(reject_proposal))
        .route("/units/{code}/conflicts", get(conflicts_page))
        .route("/conflicts/{id}/resolve", post(resolve_conflict))
        .route("/units/{code}/cases", get(cases_page))
        .route("/retests/{id}/sample", post(retest_sample))
        .route("/contacts/{id}/contacts", post(add_f2))
}

// ---------------------------------------------------------------------------------------
// Strings (Vietnamese, English)

page_strings! {
    R, t;
    Upload => "Nhập kết quả xét nghiệm", "Import laboratory results";
    UploadHelp => "Tệp CSV hoặc Excel (XLSX) của phòng xét nghiệm: mã mẫu, kết quả, Ct, ngày xét nghiệm. Nếu có dòng sai, không dòng nào được ghi (trừ khi chọn bỏ qua dòng sai).",
        "A laboratory's CSV or Excel (XLSX) file: sample code, result, Ct, tested at. If a row is bad, nothing is recorded (unless bad rows are skipped).";
    File => "Tệp kết quả", "Results file";
    Laboratory => "Phòng xét nghiệm", "Laboratory";
    SkipBad => "Bỏ qua dòng sai, ghi các dòng đúng", "Skip bad rows, record the good ones";
    DryRun => "Chỉ kiểm tra, không ghi", "Check only, record nothing";
    Send => "Tải lên", "Upload";
    ProgressSent => "Đã gửi", "Sent";
    ProgressReading => "Đang đọc tệp…", "Reading the file…";
    ProgressChecking => "Đã kiểm tra", "Rows checked:";
    ProgressRows => "dòng", "rows";
    ProgressWriting => "Đang ghi kết quả…", "Writing the results…";
    ProgressDone => "Xong, đang tải kết quả…", "Done, loading the answer…";
    ProgressFailed => "Không gửi được tệp. Kiểm tra kết nối rồi thử lại.", "The file could not be sent. Check the connection and try again.";
    Imported => "Đã ghi kết quả", "Results recorded";
    NotImported => "Chưa ghi gì: hãy sửa các dòng sai, hoặc chọn bỏ qua dòng sai.", "Nothing recorded: fix the bad rows, or skip them.";
    Checked => "Đã kiểm tra (không ghi)", "Checked (nothing recorded)";
    Row => "Dòng", "Row";
    SampleCode => "Mã mẫu", "Sample code";
    Outcome => "Kết quả nhập", "Outcome";
    Problems => "Lỗi", "Problems";
    Accepted => "Đã ghi", "Recorded";
    Unchanged => "Không đổi", "Unchanged";
    Conflict => "Khác kết quả đã có: chờ xem xét", "Differs from the stored result: for review";
    Problem => "Dòng sai", "Bad row";
    Summary => "Tóm tắt", "Summary";
    RowsOmitted => "Số dòng khác không liệt kê (đã ghi nhận hoặc không đổi, hoặc sau 200 dòng đầu):", "Other rows not listed (accepted or unchanged, or after the first 200):";
    RetestOrders => "Chỉ định xét nghiệm lại", "Retest orders";
    CaseProposals => "Đề xuất ca bệnh", "Case proposals";
    BackToWork => "Xem danh sách việc cần làm", "Open the work list";
    Bad => "Thông tin chưa hợp lệ:", "Please correct:";
    NeedFile => "Hãy chọn tệp CSV hoặc XLSX", "Choose a CSV or XLSX file";
    NeedLab => "Hãy ghi tên phòng xét nghiệm", "Give the laboratory's name";
    Proposal => "Xác nhận ca bệnh (F0)", "Confirm a case (F0)";
    Person => "Người", "Person";
    Sample => "Mẫu", "Sample";
    Result => "Kết quả", "Result";
    Confirmed => "Ngày xác nhận", "Confirmed on";
    Source => "Nguồn phát hiện", "Source of detection";
    SourceAuto => "Người đang cách ly (F1/F2) được ghi là ‘trong khu cách ly’ tự động.", "A person in quarantine is recorded as found in quarantine automatically.";
    Community => "Cộng đồng", "Community";
    InQuarantine => "Trong khu cách ly", "In quarantine";
    ImportedCase => "Ngoại tỉnh / nhập cảnh", "Imported";
    Severity => "Mức độ", "Severity";
    Place => "Nơi cách ly điều trị", "Isolation";
    IsolationStart => "Bắt đầu cách ly", "Isolation start";
    Confirm => "Xác nhận F0", "Confirm as F0";
    Reject => "Không phải ca mới (bác bỏ)", "Not a new case (reject)";
    Decided => "Đề xuất này đã được xử lý", "This proposal is decided already";
    Conflicts => "Kết quả xét nghiệm mâu thuẫn", "Conflicting results";
    NoConflicts => "Không có kết quả mâu thuẫn.", "No conflicting result.";
    Stored => "Kết quả đang lưu", "Stored result";
    Proposed => "Kết quả mới", "New result";
    Status => "Trạng thái", "Status";
    Keep => "Giữ kết quả đang lưu", "Keep the stored result";
    Replace => "Thay bằng kết quả mới", "Replace with the new result";
    Note => "Ghi chú (lý do)", "Note (why)";
    NeedNote => "Hãy ghi lý do", "Give a reason";
    Resolve => "Xử lý", "Settle";
    OpenOnly => "Chưa xử lý", "Open";
    All => "Tất cả", "All";
    Cases => "Danh sách ca bệnh (F0)", "Cases (F0)";
    NoCases => "Chưa có ca bệnh.", "No case.";
    ReleaseDue => "Dự kiến hết cách ly", "Release due";
    Closed => "Kết thúc", "Closed";
    Open => "Đang cách ly", "In isolation";
    More => "Trang sau", "Next page";
    Back => "Quay lại", "Back";
    Home => "Tại nhà", "At home";
    Facility => "Cơ sở cách ly", "Facility";
    Hospital => "Bệnh viện", "Hospital";
}

fn errors_box(lang: Lang, errors: &[String]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.errors role="alert" { p { (t(lang, R::Bad)) } ul { @for e in errors { li { (e) } } } }
        }
    }
}

/// A page that says why a write was refused, with a way back.
fn refused_page(ctx: &Ctx, v: &Viewer, title: &str, errors: &[String], back: &str) -> PageResult {
    let lang = ctx.lang;
    let body = html! {
        h1 { (title) }
        (errors_box(lang, errors))
        p { a.button.secondary href=(back) { (t(lang, R::Back)) } }
    };
    html_page(
        layout(ctx, Some(v), title, body),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// The message of a store refusal the user can act on; other errors go up.
fn user_error(e: StoreError) -> Result<String, PageError> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
        StoreError::Rows(rows) => Ok(rows
            .iter()
            .map(|r| r.message.clone())
            .collect::<Vec<_>>()
            .join("; ")),
        e => Err(e.into()),
    }
}

/// A unit code from a form or query, kept only when the viewer sees its people.
async fn back_unit(st: &AppState, v: &Viewer, code: &str) -> Result<Option<Unit>, PageError> {
    if code.trim().is_empty() {
        return Ok(None);
    }
    Ok(scope::people_unit(&st.store, &v.access, code.trim())
        .await
        .ok())
}

fn parse_day(raw: &str, errors: &mut Vec<String>) -> Option<chrono::NaiveDate> {
    match raw.trim().parse() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(format!("{raw:?}: YYYY-MM-DD"));
            None
        }
    }
}

// ---------------------------------------------------------------------------------------
// Upload of a results file

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UnitQuery {
    unit: String,
}

/// Who may upload from the page: laboratories, administrators, commune officers.
fn uploader(v: &Viewer) -> Result<(), PageError> {
    if may_upload(v, true) {
        Ok(())
    } else {
        Err(PageError(AppError::Forbidden(
            "results are imported by a laboratory or the commune",
        )))
    }
}

async fn upload_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Query(q): Query<UnitQuery>,
) -> PageResult {
    uploader(&v)?;
    let unit = if q.unit.trim().is_empty() {
        None
    } else {
        Some(scope::people_unit(&st.store, &v.access, q.unit.trim()).await?)
    };
    draw_upload(&ctx, &v, unit.as_ref(), "", &[], None, StatusCode::OK)
}

fn draw_upload(
    ctx: &Ctx,
    v: &Viewer,
    unit: Option<&Unit>,
    lab: &str,
    errors: &[String],
    answer: Option<&UploadAnswer>,
    status: StatusCode,
) -> PageResult {
    let lang = ctx.lang;
    let fixed_lab = v.user.role == Role::Laboratory;
    let lab_value = if fixed_lab {
        lab_name(v)
    } else {
        lab.to_string()
    };
    let outcome_text = |o: &str| match o {
        "accepted" => t(lang, R::Accepted),
        "unchanged" => t(lang, R::Unchanged),
        "conflict" => t(lang, R::Conflict),
        _ => t(lang, R::Problem),
    };
    let body = html! {
        h1 { (t(lang, R::Upload)) @if let Some(u) = unit { " · " (u.name) } }
        @if let Some(u) = unit {
            p { a.button.secondary href={"/units/" (u.code) "/work"} { (t(lang, R::BackToWork)) } }
        }
        (errors_box(lang, errors))
        @if let Some(a) = answer {
            section.card {
                h2 { (t(lang, R::Summary)) }
                @if a.imported {
                    p.notice role="status" { (t(lang, R::Imported)) " · " (a.laboratory) }
                } @else if a.dry_run {
                    p.notice role="status" { (t(lang, R::Checked)) }
                } @else {
                    div.errors role="alert" { p { (t(lang, R::NotImported)) } }
                }
                dl {
                    dt { (t(lang, R::Accepted)) } dd { (a.accepted) }
                    dt { (t(lang, R::Unchanged)) } dd { (a.unchanged) }
                    dt { (t(lang, R::Conflict)) } dd { (a.conflicts) }
                    dt { (t(lang, R::Problem)) } dd { (a.problems) }
                    dt { (t(lang, R::RetestOrders)) } dd { (a.retest_orders) }
                    dt { (t(lang, R::CaseProposals)) } dd { (a.case_proposals) }
                }
                div.scroll tabindex="0" { table {
                    thead { tr {
                        th.num { (t(lang, R::Row)) } th { (t(lang, R::SampleCode)) }
                        th { (t(lang, R::Outcome)) } th { (t(lang, R::Problems)) }
                    } }
                    tbody { @for r in &a.rows { tr {
                        td.num { (r.row) }
                        td { (r.sample_code) }
                        td { (outcome_text(r.outcome))
                             @if let Some(s) = &r.stored { " (" (s) ")" } }
                        td.wrap { @for (i, p) in r.problems.iter().enumerate() {
                            @if i > 0 { "; " } (p.column) ": " (p.message)
                        } }
                    } } }
                } }
                @if a.rows_omitted > 0 {
                    p.muted { (t(lang, R::RowsOmitted)) " " (lang.number(a.rows_omitted as i64)) }
                }
            }
        }
        p.muted { (t(lang, R::UploadHelp)) }
        form method="post" action="/results/upload" enctype="multipart/form-data"
            data-progress="/results/upload/progress.json" {
            input type="hidden" name="csrf" value=(v.csrf());
            @if let Some(u) = unit { input type="hidden" name="unit" value=(u.code); }
            div.field {
                label for="lab" { (t(lang, R::Laboratory)) }
                @if fixed_lab {
                    input id="lab" type="text" name="lab" value=(lab_value) readonly;
                } @else {
                    input id="lab" type="text" name="lab" value=(lab_value) required;
                }
            }
            div.field {
                label for="file" { (t(lang, R::File)) }
                input id="file" type="file" name="file" accept=".csv,.xlsx,text/csv" required;
            }
            div.field.check { input id="skip_bad_rows" type="checkbox" name="skip_bad_rows" value="1"; " " label for="skip_bad_rows" { (t(lang, R::SkipBad)) } }
            div.field.check { input id="dry_run" type="checkbox" name="dry_run" value="1"; " " label for="dry_run" { (t(lang, R::DryRun)) } }
            button type="submit" { (t(lang, R::Send)) }
            // shown by the script while the file goes and the server checks it
            div.progress hidden role="status" aria-live="polite"
                data-sent=(t(lang, R::ProgressSent)) data-reading=(t(lang, R::ProgressReading))
                data-checking=(t(lang, R::ProgressChecking)) data-rows=(t(lang, R::ProgressRows))
                data-writing=(t(lang, R::ProgressWriting)) data-done=(t(lang, R::ProgressDone))
                data-failed=(t(lang, R::ProgressFailed)) data-lang=(lang.code()) {
                progress max="1" value="0" aria-label=(t(lang, R::Upload)) {}
                " " span.progress-text {}
            }
        }
        script src=(crate::state::upload_js_url()) defer {}
    };
    html_page(layout(ctx, Some(v), t(lang, R::Upload), body), status)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProgressQuery {
    /// The id the page's script chose for this upload (letters, digits, dashes).
    progress: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProgressIdQuery {
    id: String,
}

/// Where the user's upload `id` is: `{"step": "reading|checking|writing|done", "done", "total"}`
/// (rows), 404 when this server does not follow it. Polled by the upload page's script.
async fn upload_progress(
    State(st): State<AppState>,
    PageViewer(v): PageViewer,
    Query(q): Query<ProgressIdQuery>,
) -> PageResult {
    match st.uploads.get(v.user.id, &q.id) {
        Some(p) => Ok((
            [(axum::http::header::CACHE_CONTROL, "no-store")],
            axum::Json(p),
        )
            .into_response()),
        None => Err(PageError(AppError::not_found())),
    }
}

/// Imports a results file sent from the page (multipart). The same parser and store path
/// as the CLI and the API; a commune officer only reaches the samples of its scope (others
/// are answered as unknown).
async fn upload(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Query(pq): Query<ProgressQuery>,
    mut form: Multipart,
) -> PageResult {
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| PageError(AppError::BadRequest(e.to_string())))?
    {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| PageError(AppError::BadRequest(e.to_string())))?;
            file = Some((file_name, bytes.to_vec()));
        } else {
            let value = field
                .text()
                .await
                .map_err(|e| PageError(AppError::BadRequest(e.to_string())))?;
            fields.insert(name, value);
        }
    }
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    csrf_check(&v, get("csrf"))?;
    uploader(&v)?;
    // followed by the page's script when it chose an id (`?progress=`); done when dropped
    let tracker = st.uploads.start(v.user.id, &pq.progress);
    let unit = if get("unit").trim().is_empty() {
        None
    } else {
        Some(scope::people_unit(&st.store, &v.access, get("unit").trim()).await?)
    };
    let lang = ctx.lang;
    let lab = if v.user.role == Role::Laboratory {
        lab_name(&v)
    } else {
        get("lab").trim().to_string()
    };
    let mut errors = Vec::new();
    if lab.is_empty() {
        errors.push(t(lang, R::NeedLab).to_string());
    }
    let file = file.filter(|(_, b)| !b.is_empty());
    if file.is_none() {
        errors.push(t(lang, R::NeedFile).to_string());
    }
    let table = match &file {
        Some((name, bytes)) if errors.is_empty() => {
            let name = if name.trim().is_empty() {
                "upload.csv"
            } else {
                name.trim()
            };
            match vx_import::read_table_from_bytes(name, bytes) {
                Ok(t) => Some(t),
                Err(e) => {
                    errors.push(e.to_string());
                    None
                }
            }
        }
        _ => None,
    };
    let Some(table) = table else {
        return draw_upload(
            &ctx,
            &v,
            unit.as_ref(),
            &lab,
            &errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let sha256 = hex::encode(Sha256::digest(&file.as_ref().expect("a file").1));
    let skip = get("skip_bad_rows") == "1";
    let dry = get("dry_run") == "1";
    // Commune officers reach only the samples of their scope; laboratories and
    // administrators every sample (as through the API).
    let within = (v.user.role == Role::Commune).then_some(&v.access);
    let how = ImportHow {
        skip_bad_rows: skip,
        dry_run: dry,
        within,
        progress: Some(&tracker),
    };
    let answer = match import_table(&st.store, &v, &lab, &table, sha256, how).await {
        Ok(a) => a,
        Err(AppError::BadRequest(m)) => {
            return draw_upload(
                &ctx,
                &v,
                unit.as_ref(),
                &lab,
                &[m],
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => return Err(PageError(e)),
    };
    let status = if answer.problems > 0 && !skip {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    draw_upload(&ctx, &v, unit.as_ref(), &lab, &[], Some(&answer), status)
}

// ---------------------------------------------------------------------------------------
// Case proposals

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProposalForm {
    csrf: String,
    confirmed_on: String,
    source: String,
    severity: String,
    place: String,
    isolation_start: String,
}

async fn seen_proposal(
    st: &AppState,
    v: &Viewer,
    id: &str,
) -> Result<(vx_domain::epi::CaseProposal, vx_domain::Person, Unit), PageError> {
    let p = match id.trim().parse::<i64>() {
        Ok(id) => st.store.case_proposal(id).await?,
        Err(_) => None,
    }
    .ok_or(PageError(AppError::not_found()))?;
    let (person, unit) = scope::seen_person(&st.store, &v.access, &p.person_id.to_string()).await?;
    Ok((p, person, unit))
}

async fn proposal_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
) -> PageResult {
    let (p, person, unit) = seen_proposal(&st, &v, &id).await?;
    draw_proposal(
        &st,
        &ctx,
        &v,
        &p,
        &person,
        &unit,
        &ProposalForm::default(),
        &[],
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn draw_proposal(
    st: &AppState,
    ctx: &Ctx,
    v: &Viewer,
    p: &vx_domain::epi::CaseProposal,
    person: &vx_domain::Person,
    unit: &Unit,
    form: &ProposalForm,
    errors: &[String],
) -> PageResult {
    let lang = ctx.lang;
    let sample = st.store.sample(p.sample_id).await?;
    let day = sample
        .as_ref()
        .and_then(|s| s.result.as_ref())
        .map(|r| vx_domain::epi::epi_day(r.tested_at))
        .unwrap_or_else(|| st.config.today())
        .to_string();
    let or = |v: &str| {
        if v.is_empty() {
            day.clone()
        } else {
            v.to_string()
        }
    };
    let body = html! {
        p.muted {
            a href={"/units/" (unit.code) "/work"} { (unit.name) } " › "
            a href={"/people/" (person.id) "/timeline"} { (person.data.full_name) }
        }
        h1 { (t(lang, R::Proposal)) " · " (person.data.full_name) }
        (errors_box(lang, errors))
        dl {
            dt { (t(lang, R::Person)) } dd { (person.data.full_name) " · " (person.data.household_code) }
            @if let Some(s) = &sample {
                dt { (t(lang, R::Sample)) } dd { (s.code) " · " (s.method) " · " (lang.instant(s.collected_at)) }
                @if let Some(r) = &s.result {
                    dt { (t(lang, R::Result)) } dd { (r.result) @if let Some(ct) = r.ct { " · Ct " (ct.value()) } " · " (r.laboratory) }
                }
            }
            dt { (t(lang, R::Status)) } dd { (p.status) }
        }
        @if p.status != ProposalStatus::Proposed {
            p.notice { (t(lang, R::Decided)) @if let Some(c) = p.case_id { " · " a href={"/cases/" (c)} { "F0 #" (c) } } }
        } @else {
            form method="post" action={"/proposals/" (p.id) "/confirm"} {
                input type="hidden" name="csrf" value=(v.csrf());
                div.field { label for="confirmed_on" { (t(lang, R::Confirmed)) }
                    input id="confirmed_on" type="date" name="confirmed_on" value=(or(&form.confirmed_on)) required; }
                div.field {
                    label for="source" { (t(lang, R::Source)) }
                    select id="source" name="source" {
                        option value="" selected[form.source.is_empty()] { (t(lang, R::Community)) }
                        option value="imported" selected[form.source == "imported"] { (t(lang, R::ImportedCase)) }
                    }
                    p.muted { (t(lang, R::SourceAuto)) }
                }
                div.field {
                    label for="severity" { (t(lang, R::Severity)) }
                    select id="severity" name="severity" {
                        @for (val, vi) in [("asymptomatic", "Không triệu chứng"), ("mild", "Nhẹ"), ("moderate", "Trung bình"),
                                           ("severe", "Nặng"), ("critical", "Nguy kịch")] {
                            option value=(val) selected[form.severity == val] { (vi) " / " (val) }
                        }
                    }
                }
                div.field {
                    label for="place" { (t(lang, R::Place)) }
                    select id="place" name="place" {
                        option value="home" selected[form.place == "home"] { (t(lang, R::Home)) }
                        option value="facility" selected[form.place == "facility" || form.place.is_empty()] { (t(lang, R::Facility)) }
                        option value="hospital" selected[form.place == "hospital"] { (t(lang, R::Hospital)) }
                    }
                }
                div.field { label for="isolation_start" { (t(lang, R::IsolationStart)) }
                    input id="isolation_start" type="date" name="isolation_start" value=(or(&form.isolation_start)) required; }
                button type="submit" { (t(lang, R::Confirm)) }
            }
            form.inline method="post" action={"/proposals/" (p.id) "/reject"} {
                input type="hidden" name="csrf" value=(v.csrf());
                button.secondary type="submit" { (t(lang, R::Reject)) }
            }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_page(layout(ctx, Some(v), t(lang, R::Proposal), body), status)
}

async fn confirm_proposal(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<ProposalForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let (p, person, unit) = seen_proposal(&st, &v, &id).await?;
    let mut errors = Vec::new();
    let confirmed_on = parse_day(&f.confirmed_on, &mut errors);
    let isolation_start = parse_day(&f.isolation_start, &mut errors);
    let source = match f.source.trim() {
        "" => None,
        s => match CaseSource::parse(s) {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(e.to_string());
                None
            }
        },
    };
    let severity = Severity::parse(&f.severity).map_err(|e| errors.push(e.to_string()));
    let place = IsolationPlace::parse(&f.place).map_err(|e| errors.push(e.to_string()));
    if let (Some(confirmed_on), Some(isolation_start), Ok(severity), Ok(place), true) = (
        confirmed_on,
        isolation_start,
        severity,
        place,
        errors.is_empty(),
    ) {
        let details = CaseDetails {
            confirmed_on,
            source,
            severity,
            place,
            isolation_start,
        };
        match st
            .store
            .confirm_proposal(&v.user.actor(), p.id, &details)
            .await
        {
            Ok(case) => return Ok(Redirect::to(&format!("/cases/{}", case.id)).into_response()),
            Err(e) => errors.push(user_error(e)?),
        }
    }
    draw_proposal(&st, &ctx, &v, &p, &person, &unit, &f, &errors).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CsrfForm {
    csrf: String,
}

async fn reject_proposal(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let (p, person, unit) = seen_proposal(&st, &v, &id).await?;
    match st.store.reject_proposal(&v.user.actor(), p.id).await {
        Ok(()) => Ok(Redirect::to(&format!("/units/{}/work", unit.code)).into_response()),
        Err(e) => {
            let errors = [user_error(e)?];
            draw_proposal(
                &st,
                &ctx,
                &v,
                &p,
                &person,
                &unit,
                &ProposalForm::default(),
                &errors,
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------
// Conflicting results

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ConflictQuery {
    status: String,
    after: String,
}

/// Roles that settle conflicts and act on the record: administrators and the commune.
fn reviews(v: &Viewer) -> Result<(), PageError> {
    if matches!(v.user.role, Role::Admin | Role::Commune) {
        Ok(())
    } else {
        Err(PageError(AppError::Forbidden(
            "conflicting results are settled by the commune",
        )))
    }
}

async fn conflicts_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Query(q): Query<ConflictQuery>,
) -> PageResult {
    let unit = scope::people_unit(&st.store, &v.access, &code).await?;
    draw_conflicts(&st, &ctx, &v, &unit, &q, &[]).await
}

async fn draw_conflicts(
    st: &AppState,
    ctx: &Ctx,
    v: &Viewer,
    unit: &Unit,
    q: &ConflictQuery,
    errors: &[String],
) -> PageResult {
    let lang = ctx.lang;
    let all = q.status == "all";
    let status = (!all).then_some(ConflictStatus::Open);
    let after = q.after.trim().parse::<i64>().unwrap_or(0);
    const PAGE: i64 = 50;
    let mut list = st
        .store
        .result_conflicts_in(unit, status, after, PAGE + 1)
        .await?;
    let more = list.len() as i64 > PAGE;
    list.truncate(PAGE as usize);
    let may = matches!(v.user.role, Role::Admin | Role::Commune);
    let base = format!("/units/{}/conflicts", unit.code);
    let show = |r: &vx_domain::epi::SampleResult| {
        format!(
            "{}{} · {} · {}",
            r.result,
            r.ct.map(|c| format!(" (Ct {})", c.value()))
                .unwrap_or_default(),
            r.laboratory,
            lang.instant(r.tested_at)
        )
    };
    let body = html! {
        p.muted { a href={"/units/" (unit.code) "/work"} { (unit.name) } }
        h1 { (t(lang, R::Conflicts)) " · " (unit.name) }
        p {
            a.button.secondary href=(base) { (t(lang, R::OpenOnly)) } " "
            a.button.secondary href={(base) "?status=all"} { (t(lang, R::All)) }
        }
        (errors_box(lang, errors))
        @if list.is_empty() { p { (t(lang, R::NoConflicts)) } } @else {
            div.scroll tabindex="0" { table {
                thead { tr {
                    th { (t(lang, R::SampleCode)) } th { (t(lang, R::Stored)) } th { (t(lang, R::Proposed)) }
                    th { (t(lang, R::Status)) } th {}
                } }
                tbody { @for c in &list { tr {
                    td { (c.sample_code) }
                    td { (show(&c.stored)) }
                    td { (show(&c.proposed)) }
                    td { (c.status)
                        @if let Some(by) = &c.resolved_by { " · " (by) }
                        @if !c.note.is_empty() { " · " (c.note) } }
                    td { @if c.status == ConflictStatus::Open && may {
                        (settle_form(&format!("/conflicts/{}/resolve", c.id), v.csrf(), unit.code.as_str(), c.id,
                            &[("keep", t(lang, R::Keep), true), ("replace", t(lang, R::Replace), false)],
                            t(lang, R::Note), t(lang, R::Resolve)))
                    } }
                } } }
            } }
        }
        @if more {
            @if let Some(last) = list.last() {
                p { a.button.secondary href={(base) "?status=" (if all { "all" } else { "open" }) "&after=" (last.id)} { (t(lang, R::More)) " →" } }
            }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_page(layout(ctx, Some(v), t(lang, R::Conflicts), body), status)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResolveForm {
    csrf: String,
    unit: String,
    choice: String,
    note: String,
}

async fn resolve_conflict(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<ResolveForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let conflict = match id.trim().parse::<i64>() {
        Ok(id) => st.store.result_conflict(id).await?,
        Err(_) => None,
    }
    .ok_or(PageError(AppError::not_found()))?;
    let sample = st
        .store
        .sample(conflict.sample_id)
        .await?
        .ok_or(PageError(AppError::not_found()))?;
    let sample_unit = st
        .store
        .unit_by_id(sample.unit_id)
        .await?
        .filter(|u| v.access.sees_people_in(u))
        .ok_or(PageError(AppError::not_found()))?;
    reviews(&v)?;
    let unit = back_unit(&st, &v, &f.unit).await?.unwrap_or(sample_unit);
    let lang = ctx.lang;
    let mut errors = Vec::new();
    let replace = match f.choice.as_str() {
        "keep" => Some(false),
        "replace" => Some(true),
        other => {
            errors.push(format!("{other:?}: keep | replace"));
            None
        }
    };
    if f.note.trim().is_empty() {
        errors.push(t(lang, R::NeedNote).to_string());
    }
    if let (Some(replace), true) = (replace, errors.is_empty()) {
        match st
            .store
            .resolve_conflict(&v.user.actor(), conflict.id, replace, &f.note)
            .await
        {
            Ok(_) => {
                return Ok(Redirect::to(&format!("/units/{}/conflicts", unit.code)).into_response())
            }
            Err(e) => errors.push(user_error(e)?),
        }
    }
    draw_conflicts(&st, &ctx, &v, &unit, &ConflictQuery::default(), &errors).await
}

// ---------------------------------------------------------------------------------------
// Cases of a unit

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CasesQuery {
    before: String,
}

async fn cases_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Query(q): Query<CasesQuery>,
) -> PageResult {
    let unit = scope::people_unit(&st.store, &v.access, &code).await?;
    const PAGE: i64 = 50;
    let before = q.before.trim().parse::<i64>().ok();
    let mut cases = st.store.cases_in(&unit, before, PAGE + 1).await?;
    let more = cases.len() as i64 > PAGE;
    cases.truncate(PAGE as usize);
    let lang = ctx.lang;
    let source = |s: CaseSource| match s {
        CaseSource::Community => t(lang, R::Community),
        CaseSource::InQuarantine => t(lang, R::InQuarantine),
        CaseSource::Imported => t(lang, R::ImportedCase),
    };
    let body = html! {
        p.muted { a href={"/units/" (unit.code) "/work"} { (unit.name) } }
        h1 { (t(lang, R::Cases)) " · " (unit.name) }
        @if cases.is_empty() { p { (t(lang, R::NoCases)) } } @else {
            div.scroll tabindex="0" { table {
                thead { tr {
                    th { "F0" } th { (t(lang, R::Person)) } th { (t(lang, R::Confirmed)) } th { (t(lang, R::Source)) }
                    th { (t(lang, R::Severity)) } th { (t(lang, R::Place)) } th { (t(lang, R::ReleaseDue)) }
                    th { (t(lang, R::Status)) }
                } }
                tbody { @for (c, name) in &cases { tr {
                    td { a href={"/cases/" (c.id)} { "#" (c.id) } }
                    td { a href={"/people/" (c.person_id) "/timeline"} { (name) } }
                    td { (lang.date(c.confirmed_on)) }
                    td { (source(c.source)) }
                    td { (c.severity) }
                    td { (c.place) }
                    td { (lang.date(c.release_due)) }
                    td { @if let Some(d) = c.released_on.or(c.outcome_on) {
                            (t(lang, R::Closed)) " " (lang.date(d))
                         } @else { (t(lang, R::Open)) } }
                } } }
            } }
        }
        @if more {
            @if let Some((last, _)) = cases.last() {
                p { a.button.secondary href={"/units/" (unit.code) "/cases?before=" (last.id)} { (t(lang, R::More)) " →" } }
            }
        }
    };
    html_page(
        layout(&ctx, Some(&v), t(lang, R::Cases), body),
        StatusCode::OK,
    )
}

// ---------------------------------------------------------------------------------------
// Retest sampling from the work list

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RetestForm {
    csrf: String,
    unit: String,
    code: String,
    laboratory: String,
}

/// Records the individual sample that answers a retest order, in one action.
async fn retest_sample(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<RetestForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let order = match id.trim().parse::<i64>() {
        Ok(id) => st.store.retest_order(id).await?,
        Err(_) => None,
    }
    .ok_or(PageError(AppError::not_found()))?;
    let (_, person_unit) =
        scope::seen_person(&st.store, &v.access, &order.person_id.to_string()).await?;
    let unit = back_unit(&st, &v, &f.unit).await?.unwrap_or(person_unit);
    let back = format!("/units/{}/work", unit.code);
    let lang = ctx.lang;
    let mut errors = Vec::new();
    let code = SampleCode::parse(&f.code).map_err(|e| errors.push(e.to_string()));
    let pool = st.store.sample(order.pool_sample_id).await?;
    let laboratory = match (f.laboratory.trim(), &pool) {
        ("", Some(p)) => p.laboratory.clone(),
        (l, _) => l.to_string(),
    };
    if let (Ok(code), true) = (code, errors.is_empty()) {
        let new = NewSample {
            code: code.clone(),
            round_id: order.round_id,
            method: SampleMethod::RtPcr,
            pooled: false,
            high_risk: pool.as_ref().is_some_and(|p| p.high_risk),
            collected_at: chrono::Utc::now(),
            collector: v.user.display_name.clone(),
            laboratory,
            members: vec![order.person_id],
            retest_order_id: Some(order.id),
        };
        match st.store.create_sample(&v.user.actor(), &new).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("{back}?retest={}", enc(code.as_str()))).into_response(),
                )
            }
            Err(e) => errors.push(user_error(e)?),
        }
    }
    refused_page(&ctx, &v, t(lang, R::RetestOrders), &errors, &back)
}

// ---------------------------------------------------------------------------------------
// F2 of an F1

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ContactForm {
    csrf: String,
    person_id: String,
    exposure_date: String,
    place: String,
    vaccinated: String,
}

/// Adds an F2 (a close contact of an F1) from the case page.
async fn add_f2(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(id): Path<String>,
    Form(f): Form<ContactForm>,
) -> PageResult {
    csrf_check(&v, &f.csrf)?;
    let f1 = match id.trim().parse::<i64>() {
        Ok(id) => st.store.contact(id).await?,
        Err(_) => None,
    }
    .ok_or(PageError(AppError::not_found()))?;
    scope::seen_person(&st.store, &v.access, &f1.person_id.to_string()).await?;
    // The new contact must be a person the viewer sees: else 404, as anywhere.
    let (person, _) = scope::seen_person(&st.store, &v.access, f.person_id.trim()).await?;
    let back = match f1.source {
        ContactSource::Case(c) => format!("/cases/{c}"),
        ContactSource::Contact(_) => format!("/people/{}/timeline", f1.person_id),
    };
    let mut errors = Vec::new();
    if f1.level != ContactLevel::F1 {
        errors.push("F2: F1?".to_string());
    }
    let exposure = parse_day(&f.exposure_date, &mut errors);
    let place = QuarantinePlace::parse(&f.place).unwrap_or(QuarantinePlace::Home);
    if let (Some(exposure_date), true) = (exposure, errors.is_empty()) {
        let new = NewContact {
            person_id: person.id,
            source: ContactSource::Contact(f1.id),
            level: ContactLevel::F2,
            exposure_date,
            place,
            vaccinated: f.vaccinated == "1",
        };
        match st.store.add_contact(&v.user.actor(), &new).await {
            Ok(_) => return Ok(Redirect::to(&back).into_response()),
            Err(e) => errors.push(user_error(e)?),
        }
    }
    refused_page(&ctx, &v, "F2", &errors, &back)
}
