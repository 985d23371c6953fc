//! The columns of each kind of file, the headers accepted for them, and the mapping of a
//! file's headers onto them.
//!
//! Headers are compared by a key: surrounding spaces, a trailing "(*)", "*" or ":" are
//! dropped, diacritics and case are folded ([`vx_domain::fold`]), `_` counts as a space and
//! spaces around `/` are ignored. So "Họ và tên", "HỌ VÀ TÊN (*)", "ho va ten:" and
//! "ho_va_ten" are one header. Aliases are per kind: "tên" is a person's full name in a
//! people file and a unit's short name in a units file.

use vx_domain::fold;

use crate::error::{MissingColumn, ReadError};

/// The kinds of files this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Units,
    Households,
    People,
}

/// A column of a kind of file: its canonical English name, whether it is required, and the
/// other headers accepted for it (written as officials write them; compared folded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub required: bool,
    pub aliases: &'static [&'static str],
}

const fn req(name: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        name,
        required: true,
        aliases,
    }
}

const fn opt(name: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        name,
        required: false,
        aliases,
    }
}

const HOUSEHOLD_CODE: &[&str] = &["mã hộ", "mã hộ gia đình", "ma_ho"];
const PHONE: &[&str] = &[
    "số điện thoại",
    "điện thoại",
    "điện thoại liên hệ",
    "sđt",
    "sdt",
    "số đt",
    "đt",
    "phone_number",
    "mobile",
];

const UNITS: &[Column] = &[
    req("code", &["mã", "mã đơn vị", "ma_dv"]),
    opt(
        "parent_code",
        &["mã cấp trên", "mã đơn vị cha", "mã cha", "parent"],
    ),
    req("level", &["cấp"]),
    opt("type", &["loại", "kind", "loại đơn vị"]),
    req("name", &["tên", "tên đơn vị"]),
    opt("full_name", &["tên đầy đủ"]),
    opt("population", &["dân số", "số dân"]),
];

const HOUSEHOLDS: &[Column] = &[
    req("household_code", HOUSEHOLD_CODE),
    req(
        "unit_code",
        &[
            "mã đơn vị",
            "mã ấp",
            "mã xã",
            "mã địa bàn",
            "mã thôn",
            "mã khu phố",
        ],
    ),
    req(
        "head_name",
        &["chủ hộ", "họ tên chủ hộ", "họ và tên chủ hộ", "tên chủ hộ"],
    ),
    opt(
        "address",
        &["địa chỉ", "địa chỉ thường trú", "địa chỉ nơi ở"],
    ),
    opt("phone", PHONE),
    opt("poor", &["hộ nghèo"]),
    opt(
        "lost_income",
        &["mất thu nhập", "mất việc làm", "hộ mất thu nhập"],
    ),
];

const PEOPLE: &[Column] = &[
    req("household_code", HOUSEHOLD_CODE),
    req("full_name", &["họ và tên", "họ tên", "tên"]),
    req(
        "birth",
        &[
            "ngày sinh",
            "năm sinh",
            "ngày tháng năm sinh",
            "ngày, tháng, năm sinh",
            "birth_date",
            "date_of_birth",
            "birth_year",
            "dob",
        ],
    ),
    req("sex", &["giới tính", "gender"]),
    opt(
        "citizen_id",
        &[
            "cccd",
            "số cccd",
            "cmnd",
            "số cmnd",
            "số cccd/cmnd",
            "cccd/cmnd",
            "số cmnd/cccd",
            "cmnd/cccd",
            "số định danh",
            "số định danh cá nhân",
        ],
    ),
    opt("phone", PHONE),
    opt(
        "relation",
        &["quan hệ với chủ hộ", "quan hệ", "relationship"],
    ),
];

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Units, Kind::Households, Kind::People];

    /// "units", "households" or "people".
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Units => "units",
            Kind::Households => "households",
            Kind::People => "people",
        }
    }

    /// The columns of this kind of file, in their canonical order.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Kind::Units => UNITS,
            Kind::Households => HOUSEHOLDS,
            Kind::People => PEOPLE,
        }
    }

    /// The column a header gives in this kind of file, if any.
    pub fn column_for(self, header: &str) -> Option<&'static Column> {
        let key = header_key(header);
        if key.is_empty() {
            return None;
        }
        self.columns()
            .iter()
            .find(|c| header_key(c.name) == key || c.aliases.iter().any(|a| header_key(a) == key))
    }
}

impl Column {
    /// Every header accepted for this column, the canonical name first.
    pub fn accepted(&self) -> Vec<&'static str> {
        std::iter::once(self.name)
            .chain(self.aliases.iter().copied())
            .collect()
    }
}

/// The comparison key of a header (see the module documentation).
pub(crate) fn header_key(header: &str) -> String {
    let mut s = header.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    loop {
        let before = s;
        s = s.trim_end_matches([':', '*']).trim_end();
        if let Some(rest) = s.strip_suffix("(*)") {
            s = rest.trim_end();
        }
        if s == before {
            break;
        }
    }
    fold(&s.replace('_', " "))
        .replace(" /", "/")
        .replace("/ ", "/")
}

/// Whether a header names a column of any kind (used to find the header row below a
/// spreadsheet's title lines).
pub(crate) fn is_known_header(header: &str) -> bool {
    Kind::ALL.iter().any(|k| k.column_for(header).is_some())
}

/// Where a file's columns are: for each column of the kind, the index of its cell in a row
/// and the label used in problems.
#[derive(Debug)]
pub(crate) struct Mapping {
    kind: Kind,
    cells: Vec<Option<usize>>,
    labels: Vec<String>,
    pub ignored: Vec<String>,
}

impl Mapping {
    pub fn new(
        file: &str,
        kind: Kind,
        headers: &[String],
        rows: &[(u32, Vec<String>)],
    ) -> Result<Mapping, ReadError> {
        let columns = kind.columns();
        let mut cells: Vec<Option<usize>> = vec![None; columns.len()];
        let mut labels: Vec<String> = columns.iter().map(|c| c.name.to_string()).collect();
        let mut ignored = Vec::new();
        for (i, header) in headers.iter().enumerate() {
            let Some(column) = kind.column_for(header) else {
                if !header.is_empty() {
                    ignored.push(header.clone());
                } else if rows
                    .iter()
                    .any(|(_, r)| r.get(i).is_some_and(|c| !c.is_empty()))
                {
                    ignored.push(format!("(no header, column {})", column_letters(i)));
                }
                continue;
            };
            let c = columns
                .iter()
                .position(|x| x.name == column.name)
                .expect("column of this kind");
            if let Some(first) = cells[c] {
                return Err(ReadError::DuplicateColumn {
                    file: file.to_string(),
                    column: column.name,
                    first: headers[first].clone(),
                    second: header.clone(),
                });
            }
            cells[c] = Some(i);
            if header != column.name {
                labels[c] = format!("{} ({})", column.name, header);
            }
        }
        let missing: Vec<MissingColumn> = columns
            .iter()
            .zip(&cells)
            .filter(|(c, cell)| c.required && cell.is_none())
            .map(|(c, _)| MissingColumn {
                column: c.name,
                accepted: c.accepted(),
            })
            .collect();
        if !missing.is_empty() {
            return Err(ReadError::MissingColumns {
                file: file.to_string(),
                kind: kind.as_str(),
                missing,
            });
        }
        Ok(Mapping {
            kind,
            cells,
            labels,
            ignored,
        })
    }

    fn index(&self, column: &str) -> usize {
        self.kind
            .columns()
            .iter()
            .position(|c| c.name == column)
            .unwrap_or_else(|| panic!("no column {column} in {} files", self.kind.as_str()))
    }

    /// The cell of `column` in a row; empty when the file has no such column or the row is
    /// short.
    pub fn cell<'a>(&self, row: &'a [String], column: &str) -> (&'a str, Option<usize>) {
        match self.cells[self.index(column)] {
            Some(i) => (row.get(i).map_or("", String::as_str), Some(i)),
            None => ("", None),
        }
    }

    /// The optional columns of the kind, with the index of their cell when the file has
    /// them.
    pub fn optional(&self) -> impl Iterator<Item = (&'static str, Option<usize>)> + '_ {
        self.kind
            .columns()
            .iter()
            .zip(&self.cells)
            .filter(|(c, _)| !c.required)
            .map(|(c, cell)| (c.name, *cell))
    }

    /// The label of `column` in problems: "birth", or "birth (Ngày sinh)" when the file's
    /// header differs from the canonical name.
    pub fn label(&self, column: &str) -> &str {
        &self.labels[self.index(column)]
    }
}

/// Spreadsheet column letters for a 0-based index: 0 → A, 26 → AA.
pub(crate) fn column_letters(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_keys() {
        let check = |h: &str, key: &str| assert_eq!(header_key(h), key, "{h:?}");
        check("Họ và tên", "ho va ten");
        check("  HỌ VÀ TÊN (*) ", "ho va ten");
        check("ho va ten:", "ho va ten");
        check("ho_va_ten*", "ho va ten");
        check("Số CCCD / CMND", "so cccd/cmnd");
        check("\u{feff}code", "code");
        check("", "");
        check("(*)", "");
    }

    #[test]
    fn aliases_do_not_collide_within_a_kind() {
        for kind in Kind::ALL {
            let mut seen = std::collections::HashMap::new();
            for column in kind.columns() {
                for header in column.accepted() {
                    if let Some(other) = seen.insert(header_key(header), column.name) {
                        assert_eq!(
                            other,
                            column.name,
                            "{header:?} in {} files is both {other} and {}",
                            kind.as_str(),
                            column.name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn overlapping_aliases_resolve_per_kind() {
        let name = |k: Kind, h: &str| k.column_for(h).map(|c| c.name);
        assert_eq!(name(Kind::People, "Tên"), Some("full_name"));
        assert_eq!(name(Kind::Units, "Tên"), Some("name"));
        assert_eq!(name(Kind::Units, "Tên đầy đủ"), Some("full_name"));
        assert_eq!(name(Kind::Units, "Mã đơn vị"), Some("code"));
        assert_eq!(name(Kind::Households, "Mã đơn vị"), Some("unit_code"));
        assert_eq!(name(Kind::Households, "Tên"), None);
    }

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }
}
