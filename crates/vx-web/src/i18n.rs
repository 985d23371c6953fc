//! Every string a page shows, in Vietnamese (the default) and English, in one table.
//!
//! Pages never compare the language themselves: they ask `lang.t(T::Key)`, or one of the
//! formatting helpers below, so that a new language is one more column here.

use chrono::{DateTime, NaiveDate, Utc};
use vx_domain::{Birth, Relation, Role, Sex, UnitLevel};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
    pub fn t(self, key: T) -> &'static str {
        match self {
            Lang::Vi => key.vi(),
            Lang::En => key.en(),
        }
    }
    /// DD/MM/YYYY in Vietnamese, YYYY-MM-DD in English.
    pub fn date(self, d: NaiveDate) -> String {
        match self {
            Lang::Vi => d.format("%d/%m/%Y").to_string(),
            Lang::En => d.format("%Y-%m-%d").to_string(),
        }
    }
    pub fn birth(self, b: &Birth) -> String {
        match b {
            Birth::Date(d) => self.date(*d),
            Birth::Year(y) => format!("{y:04}"),
        }
    }
    /// An instant in Vietnam's time, to the minute.
    pub fn instant(self, at: DateTime<Utc>) -> String {
        let offset =
            chrono::FixedOffset::east_opt(vx_domain::VN_UTC_OFFSET_SECONDS).expect("valid offset");
        let local = at.with_timezone(&offset);
        match self {
            Lang::Vi => local.format("%d/%m/%Y %H:%M").to_string(),
            Lang::En => local.format("%Y-%m-%d %H:%M").to_string(),
        }
    }
    /// Thousands grouped: "45.000" in Vietnamese, "45,000" in English.
    pub fn number(self, n: i64) -> String {
        let sep = match self {
            Lang::Vi => '.',
            Lang::En => ',',
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }
    pub fn level(self, level: UnitLevel) -> &'static str {
        match self {
            Lang::Vi => level.name_vi(),
            Lang::En => level.name_en(),
        }
    }
    pub fn role(self, role: Role) -> &'static str {
        match (self, role) {
            (Lang::Vi, r) => r.name_vi(),
            (Lang::En, Role::Admin) => "Administrator",
            (Lang::En, Role::Province) => "Province officer",
            (Lang::En, Role::District) => "District officer",
            (Lang::En, Role::Commune) => "Commune officer",
            (Lang::En, Role::Hamlet) => "Hamlet COVID team",
            (Lang::En, Role::Laboratory) => "Laboratory",
        }
    }
    pub fn sex(self, sex: Sex) -> &'static str {
        self.t(match sex {
            Sex::Male => T::Male,
            Sex::Female => T::Female,
        })
    }
    pub fn relation(self, r: Relation) -> &'static str {
        match self {
            Lang::Vi => r.name_vi(),
            Lang::En => match r {
                Relation::Head => "Head of household",
                Relation::Spouse => "Spouse",
                Relation::Child => "Child",
                Relation::Parent => "Parent",
                Relation::Grandchild => "Grandchild",
                Relation::Other => "Other",
            },
        }
    }
    pub fn yes_no(self, b: bool) -> &'static str {
        self.t(if b { T::Yes } else { T::No })
    }
    /// A field that agrees in a duplicate suggestion.
    pub fn reason(self, reason: &str) -> &'static str {
        self.t(match reason {
            "citizen_id" => T::CitizenId,
            "name" => T::FullName,
            "birth" => T::Birth,
            "household" => T::Household,
            _ => T::Other,
        })
    }
}

/// A feature's own strings, beside its pages: `page_strings!(S, t; Key => "vi", "en"; …)` makes
/// the enum `S`, the function `t(lang, S::Key)` that picks the language, and a test that no
/// string is empty in either language. (The strings shared by every page are [`T`].)
macro_rules! page_strings {
    ($name:ident, $pick:ident; $($key:ident => $vi:literal, $en:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum $name { $($key),* }
        impl $name {
            #[cfg(test)]
            const ALL: &'static [$name] = &[$($name::$key),*];
            fn vi(self) -> &'static str { match self { $($name::$key => $vi),* } }
            fn en(self) -> &'static str { match self { $($name::$key => $en),* } }
        }
        /// This string in `lang`.
        pub(crate) fn $pick(lang: $crate::i18n::Lang, key: $name) -> &'static str {
            match lang {
                $crate::i18n::Lang::Vi => key.vi(),
                $crate::i18n::Lang::En => key.en(),
            }
        }
        #[cfg(test)]
        mod page_strings_tests {
            #[test]
            fn every_string_has_both_languages() {
                for k in super::$name::ALL {
                    assert!(!k.vi().is_empty() && !k.en().is_empty(), "{k:?}");
                }
            }
        }
    };
}
pub(crate) use page_strings;

macro_rules! table {
    ($($key:ident => $vi:literal, $en:literal;)*) => {
        /// The keys of the string table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum T { $($key),* }
        impl T {
            pub const ALL: &'static [T] = &[$(T::$key),*];
            pub fn vi(self) -> &'static str { match self { $(T::$key => $vi),* } }
            pub fn en(self) -> &'static str { match self { $(T::$key => $en),* } }
        }
    };
}

table! {
    AppName => "Vùng xanh", "Vùng xanh (green zone)";
    Tagline => "Quản lý vùng xanh phòng chống dịch", "Green-zone epidemic response";
    SkipToContent => "Bỏ qua, đến nội dung", "Skip to content";
    AsOf => "Dữ liệu tính đến ngày", "Data as of";
    Printed => "In từ vungxanh", "Printed from vungxanh";
    PrintedBy => "bởi", "by";
    AsOfNote => "Máy chủ phục vụ theo một ngày cố định (--as-of): các trang không chọn ngày hiển thị ngày này", "The server serves as of a fixed day (--as-of): pages without a date show this day";
    LoginTitle => "Đăng nhập", "Sign in";
    Username => "Tên đăng nhập", "Username";
    Password => "Mật khẩu", "Password";
    SignIn => "Đăng nhập", "Sign in";
    Logout => "Đăng xuất", "Sign out";
    LoginFailed => "Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password.";
    Search => "Tìm kiếm", "Search";
    SearchHint => "Tên đơn vị, người hoặc mã hộ (không cần dấu)", "Name of a unit, a person or a household code (accents optional)";
    SearchGo => "Tìm", "Search";
    Home => "Trang chủ", "Home";
    UnitDashboard => "Tình hình dịch", "Situation";
    UnitStatus => "Cấp độ dịch", "Zone level";
    UnitGreenZone => "Vùng xanh", "Green zone";
    UnitTargets => "Mục tiêu", "Targets";
    UnitWorkLists => "Việc cần làm", "Work lists";
    UnitOperations => "Chốt, giấy đi đường, doanh nghiệp, hỗ trợ", "Checkpoints, permits, businesses, support";
    UnitWork => "Sàng lọc và ca bệnh", "Screening and cases";
    UnitCases => "Danh sách ca bệnh", "Cases";
    UnitConflicts => "Kết quả mâu thuẫn", "Conflicting results";
    UnitIdentity => "Đối chiếu nhân thân", "Identity review";
    UnitDuplicates => "Người trùng lặp", "Duplicate people";
    Menu => "Mục chính", "Main menu";
    NavUnits => "Đơn vị", "Units";
    NavWorkLists => "Việc cần làm", "Work lists";
    NavCampaigns => "Đợt sàng lọc", "Screening campaigns";
    NavResults => "Nhập kết quả xét nghiệm", "Upload test results";
    NavAudit => "Nhật ký thay đổi", "Audit log";
    NavOps => "Điều hành", "Operations";
    NavField => "Thực địa (ngoại tuyến)", "Field app (offline)";
    UnitPublic => "Trang công khai", "Public page";
    MyUnits => "Đơn vị của tôi", "My units";
    Units => "Đơn vị hành chính", "Administrative units";
    SubUnits => "Đơn vị trực thuộc", "Units below";
    People => "Nhân khẩu", "People";
    Households => "Hộ gia đình", "Households";
    HouseholdList => "Danh sách hộ gia đình", "Household list";
    Population => "Dân số (chính thức)", "Population (official)";
    Figures => "Số liệu", "Figures";
    Code => "Mã", "Code";
    Name => "Tên", "Name";
    Level => "Cấp", "Level";
    Status => "Trạng thái", "Status";
    Active => "Đang hoạt động", "Active";
    Inactive => "Ngừng hoạt động", "Inactive";
    Members => "Thành viên", "Members";
    HeadName => "Chủ hộ", "Head of household";
    Address => "Địa chỉ", "Address";
    Phone => "Điện thoại", "Phone";
    Poor => "Hộ nghèo", "Poor household";
    LostIncome => "Mất thu nhập", "Lost income";
    Yes => "Có", "Yes";
    No => "Không", "No";
    Edit => "Sửa", "Edit";
    Deactivate => "Ngừng hoạt động", "Deactivate";
    Activate => "Kích hoạt lại", "Reactivate";
    AddHousehold => "Thêm hộ gia đình", "Add household";
    AddMember => "Thêm thành viên", "Add member";
    Save => "Lưu", "Save";
    Cancel => "Hủy", "Cancel";
    FullName => "Họ và tên", "Full name";
    Birth => "Ngày sinh", "Birth";
    BirthHint => "NN/TT/NNNN hoặc năm sinh", "DD/MM/YYYY or the year";
    PhoneHint => "VD: 0912 345 678", "e.g. 0912 345 678";
    CitizenHint => "CCCD 12 số hoặc CMND 9 số", "CCCD 12 digits or CMND 9 digits";
    Sex => "Giới tính", "Sex";
    Male => "Nam", "Male";
    Female => "Nữ", "Female";
    CitizenId => "Số CCCD/CMND", "Citizen ID";
    Relation => "Quan hệ với chủ hộ", "Relation to the head";
    Household => "Hộ gia đình", "Household";
    Unit => "Đơn vị", "Unit";
    UnitCode => "Mã đơn vị", "Unit code";
    HouseholdCode => "Mã hộ", "Household code";
    Person => "Nhân khẩu", "Person";
    Duplicates => "Có thể trùng với", "Possible duplicates";
    DuplicatesNone => "Không thấy ai có thể trùng.", "No possible duplicate found.";
    FieldsAgree => "Trường trùng khớp", "Fields that agree";
    Other => "Khác", "Other";
    NotFound => "Không tìm thấy", "Not found";
    NotFoundText => "Trang này không tồn tại hoặc bạn không có quyền xem.", "This page does not exist or you may not see it.";
    Forbidden => "Không được phép", "Forbidden";
    ForbiddenText => "Yêu cầu bị từ chối (phiên làm việc hết hạn hoặc biểu mẫu không hợp lệ). Vui lòng tải lại trang và thử lại.", "The request was refused (expired session or invalid form). Please reload the page and try again.";
    ServerError => "Lỗi hệ thống", "Server error";
    ServerErrorText => "Đã có lỗi. Vui lòng thử lại sau.", "Something went wrong. Please try again later.";
    BackHome => "Về trang chủ", "Back to the home page";
    Next => "Trang sau", "Next page";
    Previous => "Trang trước", "Previous page";
    Older => "Cũ hơn", "Older";
    Open => "Mở", "Open";
    Newest => "Mới nhất", "Newest";
    NoResults => "Không có kết quả.", "No results.";
    NoHouseholds => "Chưa có hộ nào.", "No households yet.";
    NoMembers => "Chưa có thành viên.", "No members yet.";
    AuditLog => "Nhật ký thay đổi", "Audit log";
    Time => "Thời điểm", "Time";
    Actor => "Người thực hiện", "By";
    Action => "Thao tác", "Action";
    Entity => "Đối tượng", "Entity";
    Before => "Trước", "Before";
    After => "Sau", "After";
    NewHousehold => "Thêm hộ gia đình", "New household";
    EditHousehold => "Sửa hộ gia đình", "Edit household";
    NewPerson => "Thêm nhân khẩu", "New person";
    EditPerson => "Sửa nhân khẩu", "Edit person";
    FormHasErrors => "Vui lòng sửa các trường được đánh dấu.", "Please correct the marked fields.";
    LabNothing => "Tài khoản phòng xét nghiệm chưa có trang nào ở đây; kết quả xét nghiệm sẽ được tải lên qua API.", "Laboratory accounts have no pages here yet; results will be uploaded through the API.";
    NoUnits => "Bạn chưa được giao đơn vị nào.", "No unit is assigned to you.";
    SignedInAs => "Đăng nhập:", "Signed in:";
    Language => "Ngôn ngữ", "Language";
    PageN => "Trang", "Page";
    InUnit => "Thuộc", "In";
    ErrRequired => "Bắt buộc nhập.", "Required.";
    ErrHouseholdCode => "Mã hộ gồm 1–32 chữ, số hoặc - _ / .", "1 to 32 letters, digits or - _ / .";
    ErrUnitNotFound => "Không tìm thấy đơn vị này trong phạm vi của bạn.", "No such unit in your scope.";
    ErrUnitHolds => "Hộ gia đình phải thuộc một ấp (hoặc xã không có ấp).", "A household belongs to a hamlet (or a commune without hamlets).";
    ErrName => "Họ tên gồm 1–100 ký tự, không có chữ số hay < > = \" ; và không bắt đầu bằng + - @.", "1 to 100 characters, without digits or any of < > = \" ; and not starting with + - @.";
    ErrPhone => "Không phải số điện thoại Việt Nam (0xxxxxxxxx hoặc +84xxxxxxxxx).", "Not a Vietnamese phone number (0xxxxxxxxx or +84xxxxxxxxx).";
    ErrBirthFormat => "Nhập ngày NN/TT/NNNN hoặc năm NNNN.", "Enter a date DD/MM/YYYY or a year YYYY.";
    ErrBirthFuture => "Ngày sinh ở tương lai.", "The birth is in the future.";
    ErrBirthOld => "Ngày sinh hơn 120 năm trước.", "The birth is more than 120 years ago.";
    ErrSex => "Chọn Nam hoặc Nữ.", "Choose male or female.";
    ErrCitizenId => "CCCD gồm 12 số, CMND gồm 9 số.", "A CCCD has 12 digits, a CMND 9.";
    ErrCitizenMismatch => "Số CCCD không khớp với năm sinh hoặc giới tính.", "The CCCD does not match the birth year or the sex.";
    ErrRelation => "Quan hệ không hợp lệ.", "Unknown relation.";
    ErrFlag => "Nhập có hoặc không.", "Enter yes or no.";
    ErrAddress => "Địa chỉ tối đa 200 ký tự.", "At most 200 characters.";
    ErrHouseholdNotFound => "Không tìm thấy hộ này trong phạm vi của bạn.", "No such household in your scope.";
    ErrHouseholdExists => "Mã hộ này đã được dùng.", "This household code is taken.";
    ErrPersonExists => "Đã có người cùng số CCCD, hoặc cùng họ tên và ngày sinh trong hộ này.", "Someone has the same citizen ID, or the same name and birth in this household.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages() {
        for key in T::ALL {
            assert!(!key.vi().is_empty() && !key.en().is_empty(), "{key:?}");
        }
    }

    #[test]
    fn numbers_and_dates() {
        assert_eq!(Lang::Vi.number(45_000), "45.000");
        assert_eq!(Lang::En.number(1_094_544), "1,094,544");
        assert_eq!(Lang::Vi.number(7), "7");
        assert_eq!(Lang::Vi.number(-1234), "-1.234");
        let d = NaiveDate::from_ymd_opt(2021, 9, 21).unwrap();
        assert_eq!(Lang::Vi.date(d), "21/09/2021");
        let at = "2021-09-20T23:30:00Z".parse().unwrap();
        assert_eq!(Lang::Vi.instant(at), "21/09/2021 06:30");
    }
}
