//! Reading files as officials send them: CSV with or without BOM, `,` or `;`, Vietnamese
//! headers, spreadsheets whose cells Excel turned into numbers and dates; and reporting
//! every problem of every row by row and column.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_xlsxwriter::{ExcelDateTime, Format as XlsxFormat, Workbook};
use vx_domain::{Located, NewHousehold, NewPerson, RowProblem};
use vx_import::{
    parse_households, parse_people, parse_units, read_table, read_table_from_bytes,
    read_table_with_limits, write_rejects, Format, Limits, Parsed, ReadError, Table,
};

// ---------------------------------------------------------------------------------------
// Helpers

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 9, 1).unwrap()
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn read(name: &str) -> Table {
    read_table(&data(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn table(name: &str, text: &str) -> Table {
    read_table_from_bytes(name, text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn people(t: &Table) -> Parsed<NewPerson> {
    parse_people(t, today()).unwrap_or_else(|e| panic!("{e}"))
}

/// A person on one line, for comparisons: "row: household | name | birth | sex | id |
/// phone | relation".
fn person(p: &Located<NewPerson>) -> String {
    let v = &p.value;
    format!(
        "{}: {} | {} | {} | {} | {} | {} | {}",
        p.row,
        v.household_code,
        v.full_name,
        v.birth,
        v.sex.as_str(),
        v.citizen_id.as_ref().map_or("-", |c| c.as_str()),
        v.phone.as_ref().map_or("-", |p| p.as_str()),
        v.relation.as_str()
    )
}

fn household(h: &Located<NewHousehold>) -> String {
    let v = &h.value;
    format!(
        "{}: {} | {} | {} | {} | {} | poor={} | lost_income={}",
        h.row,
        v.code,
        v.unit_code,
        v.head_name,
        v.address,
        v.phone.as_ref().map_or("-", |p| p.as_str()),
        v.poor,
        v.lost_income
    )
}

fn lines(problems: &[RowProblem]) -> Vec<String> {
    problems.iter().map(ToString::to_string).collect()
}

/// Checks that `parsed` kept exactly the rows `good` and that each expected problem
/// (row, column, a fragment of the message) is reported, and no other.
fn check_problems<T>(parsed: &Parsed<T>, good: &[u32], expected: &[(u32, &str, &str)]) {
    let rows: Vec<u32> = parsed.rows.iter().map(|r| r.row).collect();
    assert_eq!(
        rows,
        good,
        "rows kept; problems: {:#?}",
        lines(&parsed.problems)
    );
    for (row, column, fragment) in expected {
        assert!(
            parsed
                .problems
                .iter()
                .any(|p| p.row == *row && p.column == *column && p.message.contains(fragment)),
            "expected a problem at row {row}, column {column:?}, containing {fragment:?}; got {:#?}",
            lines(&parsed.problems)
        );
    }
    assert_eq!(
        parsed.problems.len(),
        expected.len(),
        "problems: {:#?}",
        lines(&parsed.problems)
    );
}

const FAMILY: [&str; 3] = [
    "2: 2884601-0001 | Nguyễn Văn An | 1985-03-07 | male | 083085001234 | +84912345678 | head",
    "3: 2884601-0001 | Trần Thị Bình | 1987 | female | 083187004321 | - | spouse",
    "4: 2884601-0001 | Nguyễn Thị Cúc | 2012-06-01 | female | - | - | child",
];

// ---------------------------------------------------------------------------------------
// CSV

#[test]
fn csv_with_bom_and_commas() {
    let t = read("people-bom.csv");
    assert_eq!(t.format, Format::Csv);
    assert_eq!(
        t.headers[0], "household_code",
        "the BOM is not part of the header"
    );
    assert!(t.file.ends_with("people-bom.csv"), "{}", t.file);
    let p = people(&t);
    assert!(p.is_clean(), "{:#?}", lines(&p.problems));
    assert_eq!(p.rows.iter().map(person).collect::<Vec<_>>(), FAMILY);
    assert!(p.ignored_columns.is_empty());
}

#[test]
fn csv_without_bom_with_semicolons_and_vietnamese_headers() {
    let t = read("people-semicolon-vi.csv");
    assert_eq!(t.headers.len(), 8);
    let p = people(&t);
    assert!(p.is_clean(), "{:#?}", lines(&p.problems));
    assert_eq!(p.rows.iter().map(person).collect::<Vec<_>>(), FAMILY);
    assert_eq!(p.ignored_columns, ["Ghi chú"]);
}

#[test]
fn vietnamese_headers_in_any_case_with_or_without_diacritics() {
    let row = "2884601-0001,Nguyễn Văn An,07/03/1985,Nam,083085001234,0912345678,Chủ hộ";
    let expected = FAMILY[0];
    let check = |headers: &str| {
        let t = table("people.csv", &format!("{headers}\n{row}\n"));
        let p = people(&t);
        assert!(p.is_clean(), "{headers}: {:#?}", lines(&p.problems));
        assert!(
            p.ignored_columns.is_empty(),
            "{headers}: {:?}",
            p.ignored_columns
        );
        assert_eq!(person(&p.rows[0]), expected, "{headers}");
    };
    check("household_code,full_name,birth,sex,citizen_id,phone,relation");
    check("Mã hộ,Họ và tên,Ngày sinh,Giới tính,Số CCCD/CMND,Số điện thoại,Quan hệ với chủ hộ");
    check("MÃ HỘ,HỌ VÀ TÊN,NGÀY SINH,GIỚI TÍNH,SỐ CCCD/CMND,SỐ ĐIỆN THOẠI,QUAN HỆ VỚI CHỦ HỘ");
    check("ma ho,ho va ten,ngay sinh,gioi tinh,so cccd / cmnd,so dien thoai,quan he voi chu ho");
    check("ma_ho,ho_ten,nam_sinh,gioi_tinh,cccd,sdt,quan_he");
    check(" Mã hộ gia đình (*) ,Họ tên (*),Ngày tháng năm sinh (*):,Giới tính*,CMND,SĐT,Quan hệ:");
    check("Mã hộ,Tên,date_of_birth,gender,Số định danh,Điện thoại,quan hệ");
    check("Household Code,Full Name,Birth Date,Sex,Citizen ID,Phone,Relation");
}

#[test]
fn problems_name_the_column_and_the_files_own_header() {
    let t = table(
        "people.csv",
        "Mã hộ,Họ và tên,Ngày sinh,sex\n2884601-0001,Nguyễn Văn An,hôm qua,?\n",
    );
    let p = people(&t);
    assert_eq!(
        lines(&p.problems),
        [
            "row 2, column birth (Ngày sinh): birth \"hôm qua\" is not a date (YYYY-MM-DD, DD/MM/YYYY) or a year (YYYY)",
            "row 2, column sex: \"?\" is not one of: nam, nữ (male, female)",
        ]
    );
}

#[test]
fn households_with_vietnamese_headers_quoted_lines_and_blank_rows() {
    let t = read("households-vi.csv");
    let h = parse_households(&t).unwrap();
    assert_eq!(h.ignored_columns, ["STT"]);
    assert_eq!(
        h.rows.iter().map(household).collect::<Vec<_>>(),
        [
            "2: 2884601-0001 | 2884601 | Nguyễn Văn An | Số 12, ấp Phú Thạnh | +84912345678 | poor=true | lost_income=false",
            // The address spans two lines of the file but is one row in Excel.
            "3: 2884601-0002 | 2884601 | Lê Thị Dung | Số 14, ấp Phú Thạnh | - | poor=false | lost_income=true",
            // After a blank row, still counted.
            "5: 2884601-0003 | 2884601 | Võ Văn Hùng | ấp Phú Thạnh | - | poor=false | lost_income=true",
        ]
    );
    assert_eq!(
        lines(&h.problems),
        ["row 6, column poor (Hộ nghèo): \"có lẽ\" is not yes or no (x, có, 1, true / empty, không, 0, false)"]
    );
}

#[test]
fn row_numbers_are_true_to_the_file() {
    let check = |text: &str, expected: &[u32]| {
        let t = table("rows.csv", text);
        let rows: Vec<u32> = t.rows.iter().map(|r| r.0).collect();
        assert_eq!(rows, expected, "{text:?}");
    };
    check("a,b\n1,2\n3,4\n", &[2, 3]);
    check("a,b\r\n1,2\r\n\r\n3,4\r\n", &[2, 4]);
    check("\n\na,b\n1,2\n", &[4]);
    check("a,b\n\"x\ny\",2\n3,4\n", &[2, 3]);
    check("a,b\n\"x\n\ny\",2\n\n3,4\n", &[2, 4]);
    check("a,b\n,\n;;\n1,2\n", &[3, 4]);
    check("a,b\n,,,\n1,2", &[3]);
}

#[test]
fn title_rows_above_the_header_are_skipped() {
    let t = table(
        "people.csv",
        "DANH SÁCH NHÂN KHẨU ẤP PHÚ THẠNH,,,,\n,,,,\nMã hộ,Họ và tên,Ngày sinh,Giới tính,STT\n\
         2884601-0001,Nguyễn Văn An,1985,Nam,1\n",
    );
    assert_eq!(
        t.headers,
        ["Mã hộ", "Họ và tên", "Ngày sinh", "Giới tính", "STT"]
    );
    let p = people(&t);
    assert_eq!(p.rows[0].row, 4);
    assert_eq!(p.ignored_columns, ["STT"]);
}

#[test]
fn cells_are_trimmed_and_short_rows_padded() {
    let t = table(
        "people.csv",
        "household_code,full_name,birth,sex,phone\n  hh1 , An ,\u{a0}1985 ,nam\n",
    );
    assert_eq!(t.rows[0].1, ["hh1", "An", "1985", "nam", ""]);
    assert!(people(&t).is_clean());
}

// ---------------------------------------------------------------------------------------
// Units

#[test]
fn units_in_the_format_of_the_gso_lists() {
    for (name, count) in [
        ("units-2021-excerpt.csv", 13),
        ("units-2025-excerpt.csv", 7),
    ] {
        let u = parse_units(&read(name)).unwrap();
        assert!(u.is_clean(), "{name}: {:#?}", lines(&u.problems));
        assert_eq!(u.rows.len(), count, "{name}");
        assert!(u.ignored_columns.is_empty());
    }
    let u = parse_units(&read("units-2021-excerpt.csv")).unwrap();
    let chau_thanh = u
        .rows
        .iter()
        .find(|r| r.value.code.as_str() == "28801")
        .unwrap();
    assert_eq!(
        chau_thanh.value.parent_code.as_ref().unwrap().as_str(),
        "831"
    );
    assert_eq!(chau_thanh.value.level, vx_domain::UnitLevel::Commune);
    assert_eq!(chau_thanh.value.kind, "thi-tran");
    assert_eq!(chau_thanh.value.full_name, "Thị trấn Châu Thành");
    let u = parse_units(&read("units-2025-excerpt.csv")).unwrap();
    assert_eq!(u.rows[0].value.kind, "thành phố trung ương");
    assert_eq!(u.rows[0].value.code.as_str(), "01");
}

#[test]
fn units_with_vietnamese_headers_and_problems() {
    let t = table(
        "units.csv",
        "Mã,Mã cấp trên,Cấp,Loại,Tên,Tên đầy đủ,Dân số\n\
         83,,Tỉnh,tinh,Bến Tre,Tỉnh Bến Tre,1.288.463\n\
         831,83,Huyện,huyen,Châu Thành,,160000\n\
         2884601,28846,ấp,ap,Phú Thạnh,Ấp Phú Thạnh,\n\
         28-846,831,xã,xa,Phước Thạnh,,\n\
         831,83,county,,,,-5\n\
         99,99,tinh,,Tự thân,,12.5\n",
    );
    let u = parse_units(&t).unwrap();
    let rows: Vec<String> = u
        .rows
        .iter()
        .map(|r| {
            let v = &r.value;
            format!(
                "{}: {} < {} | {} | {} | {} | {} | {:?}",
                r.row,
                v.code,
                v.parent_code.as_ref().map_or("-", |c| c.as_str()),
                v.level.as_str(),
                v.kind,
                v.name,
                v.full_name,
                v.population
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            "2: 83 < - | province | tinh | Bến Tre | Tỉnh Bến Tre | Some(1288463)",
            "3: 831 < 83 | district | huyen | Châu Thành | Châu Thành | Some(160000)",
            "4: 2884601 < 28846 | hamlet | ap | Phú Thạnh | Ấp Phú Thạnh | None",
        ]
    );
    check_problems(
        &u,
        &[2, 3, 4],
        &[
            (5, "code (Mã)", "must be 1 to 16 letters or digits"),
            (6, "level (Cấp)", "unknown level \"county\""),
            (6, "code (Mã)", "unit code 831 is also on row 3"),
            (6, "name (Tên)", "missing"),
            (6, "population (Dân số)", "whole number"),
            (7, "parent_code (Mã cấp trên)", "cannot be its own parent"),
            (7, "population (Dân số)", "whole number"),
        ],
    );
}

// ---------------------------------------------------------------------------------------
// Spreadsheets

/// A people workbook as an office makes it: a title, a blank row, the header on row 3,
/// IDs and phones typed into General cells (so Excel keeps them as numbers), a birth
/// typed as a date.
fn people_workbook() -> Workbook {
    let mut wb = Workbook::new();
    let date = XlsxFormat::new().set_num_format("dd/mm/yyyy");
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "DANH SÁCH NHÂN KHẨU").unwrap();
    for (c, h) in [
        "Mã hộ",
        "Họ và tên",
        "Ngày sinh",
        "Giới tính",
        "Số CCCD",
        "Số điện thoại",
        "Quan hệ",
    ]
    .into_iter()
    .enumerate()
    {
        ws.write_string(2, c as u16, h).unwrap();
    }
    // Row 4: a date cell, an 11-digit CCCD and a 9-digit mobile as numbers.
    ws.write_string(3, 0, "2884601-0001").unwrap();
    ws.write_string(3, 1, "Nguyễn Văn An").unwrap();
    ws.write_date_with_format(3, 2, ExcelDateTime::from_ymd(1985, 3, 7).unwrap(), &date)
        .unwrap();
    ws.write_string(3, 3, "Nam").unwrap();
    ws.write_number(3, 4, 83085001234.0).unwrap();
    ws.write_number(3, 5, 912345678.0).unwrap();
    ws.write_string(3, 6, "Chủ hộ").unwrap();
    // Row 5: a year as a number, a Hà Nội CCCD (001…) that lost two zeros, a landline.
    ws.write_string(4, 0, "2884601-0001").unwrap();
    ws.write_string(4, 1, "Lê Thị Mẹ").unwrap();
    ws.write_number(4, 2, 1940).unwrap();
    ws.write_string(4, 3, "Nữ").unwrap();
    ws.write_number(4, 4, 1140001234.0).unwrap();
    ws.write_number(4, 5, 2753822123.0).unwrap();
    ws.write_string(4, 6, "Mẹ").unwrap();
    // Row 7 (row 6 blank): an 11-digit CCCD typed as text is kept as typed, and refused.
    ws.write_string(6, 0, "2884601-0001").unwrap();
    ws.write_string(6, 1, "Trần Thị Bình").unwrap();
    ws.write_string(6, 2, "1987").unwrap();
    ws.write_string(6, 3, "Nữ").unwrap();
    ws.write_string(6, 4, "83187004321").unwrap();
    ws.write_string(6, 6, "Vợ").unwrap();
    wb
}

#[test]
fn xlsx_cells_read_as_the_user_typed_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nhan-khau.xlsx");
    people_workbook().save(&path).unwrap();
    let from_file = read_table(&path).unwrap();
    let bytes = people_workbook().save_to_buffer().unwrap();
    let upload = read_table_from_bytes("Nhân khẩu.XLSX", &bytes).unwrap();
    assert_eq!(upload.file, "Nhân khẩu.XLSX");
    assert_eq!(from_file.rows, upload.rows);
    assert_eq!(from_file.format, Format::Xlsx);

    let t = upload;
    assert_eq!(t.headers[0], "Mã hộ");
    assert_eq!(
        t.rows,
        [
            (
                4,
                [
                    "2884601-0001",
                    "Nguyễn Văn An",
                    "1985-03-07",
                    "Nam",
                    "83085001234",
                    "912345678",
                    "Chủ hộ"
                ]
                .map(String::from)
                .to_vec()
            ),
            (
                5,
                [
                    "2884601-0001",
                    "Lê Thị Mẹ",
                    "1940",
                    "Nữ",
                    "1140001234",
                    "2753822123",
                    "Mẹ"
                ]
                .map(String::from)
                .to_vec()
            ),
            (
                7,
                [
                    "2884601-0001",
                    "Trần Thị Bình",
                    "1987",
                    "Nữ",
                    "83187004321",
                    "",
                    "Vợ"
                ]
                .map(String::from)
                .to_vec()
            ),
        ]
    );
    assert!(t.is_numeric_cell(4, 4) && t.is_numeric_cell(5, 2) && !t.is_numeric_cell(7, 4));

    let p = people(&t);
    assert_eq!(
        p.rows.iter().map(person).collect::<Vec<_>>(),
        [
            "4: 2884601-0001 | Nguyễn Văn An | 1985-03-07 | male | 083085001234 | +84912345678 | head",
            "5: 2884601-0001 | Lê Thị Mẹ | 1940 | female | 001140001234 | +842753822123 | parent",
        ]
    );
    assert_eq!(
        lines(&p.problems),
        ["row 7, column citizen_id (Số CCCD): citizen ID \"83187004321\" must be 12 digits (CCCD) or 9 digits (CMND)"]
    );
}

#[test]
fn xlsx_households_with_booleans_and_numbers() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in [
        "household_code",
        "unit_code",
        "head_name",
        "phone",
        "poor",
        "lost_income",
    ]
    .into_iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, h).unwrap();
    }
    ws.write_number(1, 0, 17.0).unwrap();
    ws.write_number(1, 1, 2884601.0).unwrap();
    ws.write_string(1, 2, "Nguyễn Văn An").unwrap();
    ws.write_number(1, 3, 84912345678.0).unwrap();
    ws.write_boolean(1, 4, true).unwrap();
    ws.write_number(1, 5, 0.0).unwrap();
    let t = read_table_from_bytes("ho.xlsx", &wb.save_to_buffer().unwrap()).unwrap();
    assert_eq!(
        t.rows[0].1,
        ["17", "2884601", "Nguyễn Văn An", "84912345678", "TRUE", "0"]
    );
    let h = parse_households(&t).unwrap();
    assert!(h.is_clean(), "{:#?}", lines(&h.problems));
    assert_eq!(
        household(&h.rows[0]),
        "2: 17 | 2884601 | Nguyễn Văn An |  | +84912345678 | poor=true | lost_income=false"
    );
}

#[test]
fn xlsx_unit_codes_get_their_zeros_back() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["code", "parent_code", "level", "type", "name"]
        .into_iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, h).unwrap();
    }
    let rows: [(f64, Option<f64>, &str, &str); 4] = [
        (1.0, None, "province", "Hà Nội"),
        (1.0, Some(1.0), "district", "Ba Đình"),
        (1.0, Some(1.0), "commune", "Phúc Xá"),
        (100101.0, Some(1.0), "hamlet", "Tổ 1"),
    ];
    for (r, (code, parent, level, name)) in rows.into_iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_number(r, 0, code).unwrap();
        if let Some(parent) = parent {
            ws.write_number(r, 1, parent).unwrap();
        }
        ws.write_string(r, 2, level).unwrap();
        ws.write_string(r, 4, name).unwrap();
    }
    let t = read_table_from_bytes("units.xlsx", &wb.save_to_buffer().unwrap()).unwrap();
    let u = parse_units(&t).unwrap();
    let codes: Vec<String> = u
        .rows
        .iter()
        .map(|r| {
            format!(
                "{} < {}",
                r.value.code,
                r.value.parent_code.as_ref().map_or("-", |c| c.as_str())
            )
        })
        .collect();
    assert_eq!(
        codes,
        ["01 < -", "001 < 01", "00001 < 001", "100101 < 00001"]
    );
}

// ---------------------------------------------------------------------------------------
// Problems

#[test]
fn people_file_mixing_good_and_bad_rows() {
    let t = read("people-bad.csv");
    let p = people(&t);
    assert_eq!(p.ignored_columns, ["Ghi chú"]);
    assert_eq!(
        p.rows.iter().map(person).collect::<Vec<_>>(),
        [
            "2: 2884601-0001 | Nguyễn Văn An | 1985-03-07 | male | 083085001234 | +84912345678 | head",
            "3: 2884601-0001 | Trần Thị Bình | 1987 | female | 083187004321 | - | spouse",
            // Row 12 is blank. Excel dropped the zeros of the CCCD and the phone.
            "13: 2884601-0004 | Đặng Thị Nga | 1985 | female | 083185001234 | +84912345678 | head",
        ]
    );
    check_problems(
        &p,
        &[2, 3, 13],
        &[
            (4, "citizen_id (Số CCCD/CMND)", "must be 12 digits"),
            (
                5,
                "citizen_id (Số CCCD/CMND)",
                "says male but the sex is female",
            ),
            (6, "birth (Ngày sinh)", "in the future"),
            (7, "birth (Ngày sinh)", "\"31/02/1990\" is not a date"),
            (8, "sex (Giới tính)", "\"X\" is not one of"),
            (
                9,
                "phone (Số điện thoại)",
                "\"0112345678\" is not a Vietnamese number",
            ),
            (10, "full_name (Họ và tên)", "missing"),
            (11, "household_code (Mã hộ)", "missing"),
            (11, "sex (Giới tính)", "\"không rõ\""),
            (11, "relation (Quan hệ với chủ hộ)", "\"hàng xóm\""),
            (
                14,
                "citizen_id (Số CCCD/CMND)",
                "083085001234 is also on row 2",
            ),
            (15, "phone (Số điện thoại)", "HYPERLINK"),
        ],
    );
    insta::assert_yaml_snapshot!("people_bad_problems", p.problems);
}

#[test]
fn scientific_notation_ids_are_explained() {
    let t = table(
        "people.csv",
        "household_code,full_name,birth,sex,citizen_id\nhh1,An,1985,nam,8.31851E+10\n",
    );
    let p = people(&t);
    assert_eq!(p.problems.len(), 1);
    assert!(
        p.problems[0].message.contains("scientific notation"),
        "{:?}",
        p.problems
    );
}

#[test]
fn missing_required_columns_refuse_the_file() {
    let t = table(
        "nhan-khau.csv",
        "Mã hộ,Họ và tên,Số CCCD\n2884601-0001,Nguyễn Văn An,083085001234\n",
    );
    let e = parse_people(&t, today()).unwrap_err();
    assert_eq!(e.file(), "nhan-khau.csv");
    insta::assert_snapshot!("missing_columns", e.to_string());
    assert!(matches!(&e, ReadError::MissingColumns { missing, .. } if missing.len() == 2));

    let t = table("ho.csv", "Mã hộ,Họ tên chủ hộ\nhh1,An\n");
    assert_eq!(
        parse_households(&t).unwrap_err().to_string(),
        "ho.csv: not a households file: missing required column unit_code (accepted headers: \
         \"unit_code\", \"mã đơn vị\", \"mã ấp\", \"mã xã\", \"mã địa bàn\", \"mã thôn\", \"mã khu phố\")"
    );
    // A units file given as people: the error says what a people file needs.
    let e = parse_people(&read("units-2021-excerpt.csv"), today()).unwrap_err();
    assert!(
        e.to_string()
            .contains("units-2021-excerpt.csv: not a people file"),
        "{e}"
    );
}

#[test]
fn two_headers_for_one_column_refuse_the_file() {
    let t = table(
        "people.csv",
        "household_code,Họ tên,Họ và tên,birth,sex\nhh1,An,An,1985,nam\n",
    );
    assert_eq!(
        parse_people(&t, today()).unwrap_err().to_string(),
        "people.csv: headers \"Họ tên\" and \"Họ và tên\" both give column full_name; keep only one of them"
    );
}

#[test]
fn unreadable_files_are_refused_with_their_name() {
    let check = |name: &str, bytes: &[u8], expected: &str| {
        let e = read_table_from_bytes(name, bytes).unwrap_err();
        assert_eq!(e.file(), name);
        assert!(e.to_string().starts_with(name), "{e}");
        assert!(e.to_string().contains(expected), "{name}: {e}");
    };
    check(
        "latin1.csv",
        b"household_code,full_name\n\nhh1,Nguy\xe9n\n",
        "latin1.csv, row 3: the text is not UTF-8",
    );
    check("utf16.csv", b"\xff\xfeh\0i\0", "UTF-16");
    check("people.pdf", b"%PDF", "unsupported file type");
    check("noext", b"a,b", "unsupported file type");
    check("empty.csv", b"", "empty");
    check("blank.csv", b"\xef\xbb\xbf\n ,  \n\n", "empty");
    check(
        "broken.xlsx",
        b"PK\x03\x04 not really",
        "not a valid spreadsheet",
    );
    let e = read_table(Path::new("/nonexistent/ho.csv")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/ho.csv: cannot read"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------
// Rejects

#[test]
fn rejects_file_holds_refused_rows_with_their_reasons() {
    let t = read("people-bad.csv");
    let p = people(&t);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rejects.csv");
    write_rejects(&path, &t, &p.problems).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    insta::assert_snapshot!("people_bad_rejects", text);

    // The rejects file reads back as a people file: same refused rows, same problems
    // (the formula is quoted, so Excel does not run it; the phone stays refused).
    let back = read_table(&path).unwrap();
    assert_eq!(back.headers.first().map(String::as_str), Some("row"));
    assert_eq!(back.headers.last().map(String::as_str), Some("reason"));
    let again = people(&back);
    assert_eq!(back.rows.len(), 10);
    assert!(
        again.rows.len() <= 1,
        "only the duplicate ID becomes good once alone"
    );
    let line15 = back.rows.iter().find(|r| r.1[0] == "15").unwrap();
    assert_eq!(line15.1[6], "'=HYPERLINK(\"http://example.invalid\")");
}

// ---------------------------------------------------------------------------------------
// Never a panic

fn header_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("household_code".to_string()),
        Just("Họ và tên".to_string()),
        Just("Ngày sinh".to_string()),
        Just("giới tính".to_string()),
        Just("CCCD".to_string()),
        Just("sdt".to_string()),
        Just("quan hệ".to_string()),
        "\\PC{0,12}",
    ]
}

fn data_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,16}",
        "[0-9 ./+-]{0,14}",
        "[0-9]{8,12}",
        Just("31/02/1990".to_string()),
        Just("Nam".to_string()),
        Just("nữ".to_string()),
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_csv_of_text_cells_reads_and_parses_without_panic(
        headers in prop::collection::vec(header_cell(), 0..9),
        rows in prop::collection::vec(prop::collection::vec(data_cell(), 0..10), 0..8),
        semicolon in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .delimiter(if semicolon { b';' } else { b',' })
            .from_writer(Vec::new());
        w.write_record(&headers).unwrap();
        for r in &rows {
            w.write_record(r).unwrap();
        }
        let mut bytes = if bom { b"\xef\xbb\xbf".to_vec() } else { Vec::new() };
        bytes.extend(w.into_inner().unwrap());
        if let Ok(t) = read_table_from_bytes("random.csv", &bytes) {
            for (_, cells) in &t.rows {
                prop_assert!(cells.len() >= t.headers.len());
            }
            if let Ok(p) = parse_people(&t, today()) {
                // Every row is either kept or refused with at least one problem.
                let refused: std::collections::BTreeSet<u32> =
                    p.problems.iter().map(|x| x.row).collect();
                prop_assert_eq!(p.rows.len() + refused.len(), t.rows.len());
                prop_assert!(p.rows.iter().all(|r| !refused.contains(&r.row)));
                let mut out = Vec::new();
                vx_import::write_rejects_to(&mut out, &t, &p.problems).unwrap();
            }
            let _ = parse_households(&t);
            let _ = parse_units(&t);
        }
    }

    #[test]
    fn any_bytes_read_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = read_table_from_bytes("random.csv", &bytes);
        let _ = read_table_from_bytes("random.xlsx", &bytes);
        let _ = read_table_from_bytes("random.ods", &bytes);
        let _ = read_table_from_bytes("random.xls", &bytes);
    }
}

// ---------------------------------------------------------------------------------------
// Officials' files as they are, and limits (issue 14)

/// An official template: a title, the header, two people (one birth a date-time cell),
/// and the totals row "Tổng cộng: 2".
fn official_template() -> Workbook {
    let mut wb = Workbook::new();
    let stamp = XlsxFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "DANH SÁCH NHÂN KHẨU ẤP 1").unwrap();
    for (c, h) in ["Mã hộ", "Họ và tên", "Ngày sinh", "Giới tính"]
        .into_iter()
        .enumerate()
    {
        ws.write_string(1, c as u16, h).unwrap();
    }
    ws.write_string(2, 0, "2884601-0001").unwrap();
    ws.write_string(2, 1, "Nguyễn Văn An").unwrap();
    let at = ExcelDateTime::parse_from_str("1977-07-07T13:45:00").unwrap();
    ws.write_datetime_with_format(2, 2, &at, &stamp).unwrap();
    ws.write_string(2, 3, "Nam").unwrap();
    ws.write_string(3, 0, "2884601-0001").unwrap();
    ws.write_string(3, 1, "Lê Thị Hoa").unwrap();
    ws.write_string(3, 2, "1980").unwrap();
    ws.write_string(3, 3, "Nữ").unwrap();
    ws.write_string(4, 0, "Tổng cộng: 2").unwrap();
    wb
}

#[test]
fn an_official_template_with_a_totals_row_and_date_time_cells_imports() {
    let bytes = official_template().save_to_buffer().unwrap();
    let t = read_table_from_bytes("mau.xlsx", &bytes).unwrap();
    assert_eq!(t.totals_row, Some((5, "Tổng cộng: 2".to_string())));
    assert_eq!(t.rows.len(), 2);
    let p = people(&t);
    assert!(p.is_clean(), "{:?}", lines(&p.problems));
    assert_eq!(
        p.rows.iter().map(person).collect::<Vec<_>>(),
        [
            "3: 2884601-0001 | Nguyễn Văn An | 1977-07-07 | male | - | - | other",
            "4: 2884601-0001 | Lê Thị Hoa | 1980 | female | - | - | other",
        ]
    );
    // A last row that is a person stays.
    let t = table(
        "people.csv",
        "household_code,full_name,birth,sex\nH1,Công Văn Ba,1980,nam\n",
    );
    assert_eq!((t.totals_row, t.rows.len()), (None, 1));
}

#[test]
fn formula_like_names_are_refused_as_the_message_says() {
    let t = table(
        "people.csv",
        "household_code,full_name,birth,sex\n\
         H1,\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",1980,nam\n\
         H1,@Lê Văn A,1980,nam\n\
         H1,Nguyễn Thị Ánh-Tuyết,1980,nữ\n",
    );
    let p = people(&t);
    assert_eq!(p.rows.len(), 1);
    let problems = lines(&p.problems);
    assert_eq!(problems.len(), 2);
    for line in &problems {
        assert!(
            line.contains("without digits or any of < > = \" ; and not starting with + - @"),
            "{line}"
        );
    }
}

#[test]
fn a_megabyte_cell_is_quoted_in_80_characters() {
    let long = "A".repeat(1_000_000);
    let t = table(
        "people.csv",
        &format!("household_code,full_name,birth,sex\nH1,Lê Văn A,{long},nam\n"),
    );
    let p = people(&t);
    let line = &lines(&p.problems)[0];
    assert!(line.len() < 300, "{} bytes", line.len());
    assert!(
        line.contains(&format!("\"{}\"… (1000000 characters)", "A".repeat(80))),
        "{line}"
    );
}

#[test]
fn text_that_is_not_utf8_names_the_likely_encoding() {
    // "Nguyễn Văn Đức" saved by Excel as CSV on a Vietnamese Windows: Windows-1258.
    let e = read_table_from_bytes(
        "nhan-khau.csv",
        b"household_code,full_name\nH1,Nguy\xEA\xDEn V\xE3n \xD0\xF4\xECc\n",
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("row 2: the text is not UTF-8 (it looks like Windows-1258 (Vietnamese))"),
        "{e}"
    );
    let e = read_table_from_bytes("people.csv", b"household_code,full_name\nH1,Fran\xE7ois\n")
        .unwrap_err();
    assert!(
        e.to_string().contains("Windows-1252 (Western European)"),
        "{e}"
    );
}

/// The workbook with `extra` shared strings that no cell uses (a hostile file: the table is
/// loaded whole when a workbook opens).
fn with_unused_strings(bytes: &[u8], extra: usize) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut text = Vec::new();
        f.read_to_end(&mut text).unwrap();
        if name == "xl/sharedStrings.xml" {
            let mut xml = String::from_utf8(text).unwrap();
            let at = xml.rfind("</sst>").unwrap();
            let more: String = (0..extra)
                .map(|i| format!("<si><t>unused {i}</t></si>"))
                .collect();
            xml.insert_str(at, &more);
            text = xml.into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&text).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn a_shared_strings_table_larger_than_the_cells_is_refused_before_it_is_loaded() {
    let bytes = people_workbook().save_to_buffer().unwrap();
    // a few unused strings, as some writers leave: read as before
    let t = read_table_with_limits(
        "p.xlsx",
        &with_unused_strings(&bytes, 500),
        Limits::default(),
    )
    .unwrap();
    let plain = read_table_with_limits("p.xlsx", &bytes, Limits::default()).unwrap();
    assert_eq!(t.rows, plain.rows);
    // tens of thousands no cell uses: refused, saying why
    let e = read_table_with_limits(
        "p.xlsx",
        &with_unused_strings(&bytes, 20_000),
        Limits::default(),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("shared-strings table holds")
            && e.to_string().contains("open it and save it again"),
        "{e}"
    );
}

#[test]
fn spreadsheets_beyond_the_limits_are_refused_whole() {
    let bytes = people_workbook().save_to_buffer().unwrap();
    let roomy = Limits::default();
    assert!(read_table_with_limits("p.xlsx", &bytes, roomy).is_ok());
    let e = read_table_with_limits(
        "p.xlsx",
        &bytes,
        Limits {
            max_rows: 5,
            ..roomy
        },
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "p.xlsx: more than 5 rows (the limit); split it into smaller files"
    );
    let e = read_table_with_limits(
        "p.xlsx",
        &bytes,
        Limits {
            max_inflated_bytes: 4 * 1024 * 1024 / 1024,
            ..roomy
        },
    )
    .unwrap_err();
    assert!(matches!(e, ReadError::TooLarge { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("p.xlsx: the spreadsheet unpacks to more than"),
        "{e}"
    );
    // CSV has no row limit (a province's people are more than Excel's million rows).
    let csv = "household_code,full_name\nH1,A\nH2,B\nH3,C\n";
    let t = read_table_with_limits(
        "p.csv",
        csv.as_bytes(),
        Limits {
            max_rows: 3,
            ..roomy
        },
    )
    .unwrap();
    assert_eq!(t.rows.len(), 3);
}
