//! Operations (issue 7): checkpoints and travel permits, businesses reopening safely, social
//! support. Pages under `/ops/…`, API under `/api/v1/{permits,checkpoints,businesses,
//! programmes}/…`.
//!
//! Scope (see `vx_domain::access`):
//! * checkpoints belong to a unit: whoever sees the unit sees the checkpoint and its daily
//!   counts; the crossings themselves (names) and recording them need personal data there;
//! * permits are issued and seen by administrators, districts and communes whose scope holds
//!   the issuing unit (a commune or a district);
//! * businesses: whoever sees the unit sees the business and its status; its workers'
//!   names need personal data there;
//! * programmes: seen by whoever sees their unit or works inside it; eligible households,
//!   distributions and the treasury export need personal data in the unit asked for; the
//!   gap report is figures only (a district sees it down to the hamlet).
//!
//! Anything else answers 404.

use axum::Router;
use utoipa::OpenApi;
use vx_domain::{Role, Unit, UnitLevel};
use vx_store::ops::{Business, Checkpoint, Permit, Programme};
use vx_store::Store;

use crate::auth::Viewer;
use crate::error::AppError;
use crate::i18n::page_strings;
use crate::state::AppState;

mod api;
mod businesses;
mod index;
mod permits;
mod support;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(api::routes())
        .merge(index::routes())
        .merge(permits::routes())
        .merge(businesses::routes())
        .merge(support::routes())
}

pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    api::OpsApiDoc::openapi()
}

// ---------------------------------------------------------------------------------------
// Strings (Vietnamese, English)

page_strings! {
    S, s;
    Ops => "Điều hành: chốt, doanh nghiệp, an sinh", "Operations: checkpoints, businesses, support";
    Checkpoints => "Chốt kiểm soát", "Checkpoints";
    Checkpoint => "Chốt", "Checkpoint";
    NoCheckpoints => "Chưa có chốt nào.", "No checkpoint yet.";
    NewCheckpoint => "Lập chốt mới", "New checkpoint";
    Location => "Vị trí", "Location";
    Officers => "Cán bộ trực chốt", "Officers on duty";
    Name => "Tên", "Name";
    Unit => "Đơn vị", "Unit";
    UnitCode => "Mã đơn vị", "Unit code";
    Create => "Tạo", "Create";
    Save => "Ghi nhận", "Record";
    Show => "Xem", "Show";
    Day => "Ngày", "Day";
    Bad => "Thông tin chưa hợp lệ:", "Please correct:";
    Permits => "Giấy đi đường", "Travel permits";
    Permit => "Giấy đi đường số", "Travel permit no.";
    NoPermits => "Chưa cấp giấy đi đường nào.", "No permit issued yet.";
    IssuePermit => "Cấp giấy đi đường", "Issue a travel permit";
    HolderKind => "Cấp cho", "Issued to";
    PersonKind => "Người", "Person";
    VehicleKind => "Phương tiện", "Vehicle";
    HolderName => "Họ tên (người đi hoặc lái xe)", "Name (traveller or driver)";
    Document => "Số CCCD/giấy tờ", "Citizen ID or document";
    Plate => "Biển số xe", "Plate";
    Purpose => "Mục đích", "Purpose";
    Destinations => "Nơi đến (mã đơn vị, cách nhau bởi dấu phẩy)", "Destinations (unit codes, comma-separated)";
    ValidFrom => "Hiệu lực từ ngày", "Valid from";
    ValidDays => "Số ngày hiệu lực", "Days valid";
    TestHours => "Yêu cầu xét nghiệm âm tính trong (giờ, để trống nếu không)", "Negative test within (hours, empty if none)";
    Doses => "Số mũi vắc xin tối thiểu (để trống nếu không)", "Minimum vaccine doses (empty if none)";
    Validity => "Hiệu lực", "Validity";
    Conditions => "Điều kiện", "Conditions";
    None_ => "Không có.", "None.";
    Revoked => "Đã thu hồi", "Revoked";
    Revoke => "Thu hồi", "Revoke";
    Reason => "Lý do", "Reason";
    Print => "In giấy này (Ctrl+P); mã QR chứa chữ ký số, chốt kiểm tra không cần mạng.", "Print this page (Ctrl+P); the QR code carries a digital signature, checkpoints verify it offline.";
    Token => "Mã giấy đi đường (dán hoặc quét QR)", "Permit code (paste or scan the QR)";
    Direction => "Hướng", "Direction";
    In => "Vào", "In";
    Out => "Ra", "Out";
    TestShown => "Kết quả xét nghiệm xuất trình", "Test result shown";
    NoTest => "Không có", "None";
    Negative => "Âm tính", "Negative";
    Positive => "Dương tính", "Positive";
    TestAt => "Ngày lấy mẫu", "Sampled on";
    DosesShown => "Số mũi vắc xin", "Vaccine doses";
    PersonId => "Mã người trong sổ hộ khẩu (nếu có)", "Registry person id (if any)";
    Allowed => "CHO QUA", "LET THROUGH";
    Refused => "KHÔNG CHO QUA", "TURN BACK";
    TurnedBack => "bị từ chối", "turned back";
    Crossings => "Lượt qua chốt", "Crossings";
    NoCrossings => "Chưa có lượt nào.", "No crossing yet.";
    Time => "Giờ", "Time";
    Who => "Người / phương tiện", "Person / vehicle";
    Result => "Kết quả", "Result";
    CountsOnly => "Số lượt theo hướng (không hiển thị thông tin cá nhân ở cấp này)", "Counts by direction (no personal data at this level)";
    Trace => "Truy vết qua chốt và nơi làm việc", "Tracing through checkpoints and workplaces";
    CrossedWith => "Cùng qua chốt (trong vòng 30 phút)", "Crossed with (within 30 minutes)";
    Workplaces => "Doanh nghiệp bị ảnh hưởng", "Businesses affected";
    Elsewhere => "doanh nghiệp ngoài địa bàn quản lý (báo cấp trên để xử lý)", "business(es) outside your area (report to the level above)";
    Businesses => "Doanh nghiệp, hộ kinh doanh", "Businesses";
    NoBusinesses => "Chưa có doanh nghiệp nào.", "No business yet.";
    NewBusiness => "Đăng ký doanh nghiệp", "Register a business";
    Sector => "Ngành nghề", "Sector";
    HouseholdBusiness => "Hộ kinh doanh", "Household business";
    Address => "Địa chỉ", "Address";
    SafetyPlan => "Có phương án phòng, chống dịch được duyệt", "Approved COVID-19 safety plan";
    ThreeOnSite => "Tổ chức \"3 tại chỗ\"", "Organised \"3 on-site\"";
    OneRoute => "Tổ chức \"1 cung đường, 2 điểm đến\"", "Organised \"1 route, 2 destinations\"";
    Status => "Tình trạng hoạt động", "Operating status";
    LevelOfUnit => "Cấp độ dịch của địa bàn", "Zone level of the unit";
    NoLevel => "chưa có", "not known";
    Workers => "Người lao động", "Workers";
    NoWorkers => "Chưa có người lao động nào.", "No worker yet.";
    LastNegative => "Âm tính gần nhất", "Last negative";
    Due => "Đến hạn xét nghiệm", "Test due";
    OverdueMark => "Quá hạn", "Overdue";
    AddWorker => "Thêm người lao động (mã người)", "Add a worker (person id)";
    RecordTest => "Ghi kết quả xét nghiệm của người lao động", "Record a worker's test";
    Overdue => "Người lao động quá hạn xét nghiệm", "Workers overdue for testing";
    Programmes => "Chương trình hỗ trợ", "Support programmes";
    NoProgrammes => "Chưa có chương trình nào.", "No programme yet.";
    NewProgramme => "Tạo chương trình hỗ trợ", "New support programme";
    Kind => "Hình thức", "Kind";
    Cash => "Tiền mặt", "Cash";
    Goods => "Hiện vật", "Goods";
    Amount => "Mức hỗ trợ mỗi hộ (đồng)", "Amount per household (VND)";
    GoodsWhat => "Hiện vật mỗi hộ", "Goods per household";
    Rules => "Đối tượng được hỗ trợ (một trong các điều kiện)", "Eligible households (any of)";
    Eligible => "Hộ đủ điều kiện", "Eligible households";
    NoEligible => "Không có hộ nào đủ điều kiện.", "No eligible household.";
    Household => "Hộ", "Household";
    Head => "Chủ hộ", "Head";
    Why => "Lý do đủ điều kiện", "Why eligible";
    Given => "Đã nhận", "Received";
    HandedBy => "Người trao", "Handed over by";
    Receipt => "Số biên nhận", "Receipt no.";
    Distribute => "Ghi nhận đã trao", "Record as handed over";
    Already => "Hộ này đã nhận hỗ trợ của chương trình. Lần trao trước:", "This household was already supported by the programme. Earlier record:";
    Gap => "Báo cáo hộ chưa được hỗ trợ", "Gap report: eligible, not yet supported";
    Supported => "Đã hỗ trợ", "Supported";
    Missing => "Chưa hỗ trợ", "Not yet supported";
    Total => "Tổng", "Total";
    Treasury => "Xuất danh sách cho Kho bạc (Excel)", "Treasury export (Excel)";
}

// ---------------------------------------------------------------------------------------
// Helpers

pub(crate) fn parse_id(id: &str) -> Option<i64> {
    id.trim().parse::<i64>().ok().filter(|n| *n > 0)
}

pub(crate) use crate::input::day_or_today;

// ---------------------------------------------------------------------------------------
// Scope

/// A checkpoint whose unit the viewer sees, with that unit.
pub(crate) async fn seen_checkpoint(
    store: &Store,
    v: &Viewer,
    id: &str,
) -> Result<(Checkpoint, Unit), AppError> {
    let Some(id) = parse_id(id) else {
        return Err(AppError::not_found());
    };
    let cp = store
        .checkpoint(id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let unit = store
        .unit_by_id(cp.unit_id)
        .await?
        .filter(|u| v.access.sees_unit(u))
        .ok_or_else(AppError::not_found)?;
    Ok((cp, unit))
}

/// A checkpoint whose crossings (names) the viewer sees and records.
pub(crate) async fn staffed_checkpoint(
    store: &Store,
    v: &Viewer,
    id: &str,
) -> Result<(Checkpoint, Unit), AppError> {
    let (cp, unit) = seen_checkpoint(store, v, id).await?;
    if v.access.sees_people_in(&unit) {
        Ok((cp, unit))
    } else {
        Err(AppError::not_found())
    }
}

/// Roles that issue permits: administrators, districts and communes.
pub(crate) fn issues_permits(v: &Viewer) -> bool {
    matches!(v.access.role, Role::Admin | Role::District | Role::Commune)
}

/// A unit that may issue permits (a commune or district) inside the viewer's scope.
pub(crate) async fn issuing_unit(store: &Store, v: &Viewer, code: &str) -> Result<Unit, AppError> {
    if !issues_permits(v) {
        return Err(AppError::not_found());
    }
    let unit = crate::scope::seen_unit(store, &v.access, code).await?;
    if matches!(unit.level, UnitLevel::Commune | UnitLevel::District) {
        Ok(unit)
    } else {
        Err(AppError::Invalid(vec![crate::error::FieldProblem {
            field: "unit".into(),
            error: "permits are issued by a commune or a district".into(),
        }]))
    }
}

/// A permit the viewer may see: an issuing role whose scope holds the issuing unit.
pub(crate) async fn seen_permit(
    store: &Store,
    v: &Viewer,
    id: &str,
) -> Result<(Permit, Unit), AppError> {
    if !issues_permits(v) {
        return Err(AppError::not_found());
    }
    let Some(id) = parse_id(id) else {
        return Err(AppError::not_found());
    };
    let permit = store.permit(id).await?.ok_or_else(AppError::not_found)?;
    let unit = store
        .unit_by_id(permit.issuer_unit_id)
        .await?
        .filter(|u| v.access.sees_unit(u))
        .ok_or_else(AppError::not_found)?;
    Ok((permit, unit))
}

/// A business whose unit the viewer sees, with that unit.
pub(crate) async fn seen_business(
    store: &Store,
    v: &Viewer,
    id: &str,
) -> Result<(Business, Unit), AppError> {
    let Some(id) = parse_id(id) else {
        return Err(AppError::not_found());
    };
    let b = store.business(id).await?.ok_or_else(AppError::not_found)?;
    let unit = store
        .unit_by_id(b.unit_id)
        .await?
        .filter(|u| v.access.sees_unit(u))
        .ok_or_else(AppError::not_found)?;
    Ok((b, unit))
}

/// Whether a programme concerns the viewer: its unit is seen, or holds one of the
/// viewer's scope units (a provincial programme concerns a commune).
pub(crate) fn concerns(v: &Viewer, g: &Programme) -> bool {
    if v.access.role.deepest_level().is_none() {
        return false;
    }
    v.access.is_admin()
        || v.access.path_in_scope(&g.unit_path)
        || v.user
            .scope
            .iter()
            .any(|u| u.path.starts_with(&g.unit_path))
}

pub(crate) async fn seen_programme(
    store: &Store,
    v: &Viewer,
    id: &str,
) -> Result<Programme, AppError> {
    let Some(id) = parse_id(id) else {
        return Err(AppError::not_found());
    };
    store
        .programme(id)
        .await?
        .filter(|g| concerns(v, g))
        .ok_or_else(AppError::not_found)
}

/// The unit a programme page is about: asked for (`unit=`), else the viewer's first scope
/// unit (or the programme's unit for an administrator). Must be seen.
pub(crate) async fn programme_unit(
    store: &Store,
    v: &Viewer,
    g: &Programme,
    unit: Option<&str>,
) -> Result<Unit, AppError> {
    let code = match unit.map(str::trim).filter(|s| !s.is_empty()) {
        Some(c) => c.to_string(),
        None if v.access.is_admin() || v.access.path_in_scope(&g.unit_path) => {
            g.programme.unit_code.to_string()
        }
        None => v
            .user
            .scope
            .first()
            .map(|u| u.code.to_string())
            .ok_or_else(AppError::not_found)?,
    };
    crate::scope::seen_unit(store, &v.access, &code).await
}
