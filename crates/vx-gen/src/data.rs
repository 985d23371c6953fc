//! Static tables: names, phone prefixes, province codes and the distributions the model
//! samples from. Weights are relative (per mille where that reads naturally).

/// Vietnamese family names with their relative frequencies, skewed to the south
/// (Huỳnh and Võ where the north has Hoàng and Vũ). Nguyễn ≈ 38.6 %.
pub(crate) const FAMILY: &[(&str, u32)] = &[
    ("Nguyễn", 370),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 55),
    ("Huỳnh", 50),
    ("Võ", 45),
    ("Phan", 40),
    ("Trương", 18),
    ("Hồ", 15),
    ("Đặng", 14),
    ("Bùi", 12),
    ("Ngô", 12),
    ("Đỗ", 10),
    ("Dương", 10),
    ("Lý", 8),
    ("Hoàng", 8),
    ("Đoàn", 8),
    ("Lâm", 8),
    ("Mai", 6),
    ("Cao", 6),
    ("Châu", 5),
    ("Vũ", 4),
    ("Tô", 4),
    ("Lưu", 4),
    ("Đinh", 4),
    ("Thái", 4),
    ("Lương", 4),
    ("Đào", 4),
    ("Tạ", 3),
    ("La", 3),
    ("Quách", 3),
    ("Hà", 3),
    ("Trịnh", 3),
    ("Thạch", 3),
    ("Từ", 2),
    ("Kiều", 2),
    ("Văn", 2),
    ("Sơn", 2),
];

/// Male middle names other than "Văn".
pub(crate) const MIDDLE_MALE: &[&str] = &[
    "Minh", "Thanh", "Hoàng", "Quốc", "Hữu", "Đức", "Công", "Tấn", "Thành", "Trọng", "Duy", "Gia",
    "Anh", "Nhật", "Hoài", "Phước", "Chí", "Ngọc", "Trung", "Thiện", "Bảo", "Đăng", "Tuấn", "Vĩnh",
    "Phú",
];

/// Female middle names other than "Thị".
pub(crate) const MIDDLE_FEMALE: &[&str] = &[
    "Ngọc", "Kim", "Thanh", "Thu", "Hồng", "Mỹ", "Bích", "Phương", "Diễm", "Ánh", "Bảo", "Khánh",
    "Như", "Thùy", "Minh", "Hoàng", "Tuyết", "Cẩm", "Yến", "Huỳnh", "Mai", "Trúc", "Gia", "Hoài",
    "Lan", "Xuân",
];

/// Male given names used in every generation.
pub(crate) const GIVEN_MALE: &[&str] = &[
    "Hùng", "Dũng", "Tuấn", "Minh", "Hải", "Long", "Phúc", "Tài", "Sang", "Tâm", "Thành", "Hiếu",
    "Nghĩa", "Trung", "Hòa", "Bình", "Lộc", "Thắng", "Cường", "Hậu", "Tín", "Toàn", "Vinh", "Nam",
    "Quang", "Huy", "Đạt", "Nhân", "Lợi", "Tùng", "Sơn", "Hưng", "Thiện", "Trí", "Tú", "Phước",
    "Thuận", "Hoàng", "Khánh", "Việt", "Kiên", "Trọng", "Đức", "An", "Phong", "Hiền", "Luân",
    "Thanh",
];

/// Male given names of older generations (southern birth-order names among them).
pub(crate) const GIVEN_MALE_OLD: &[&str] = &[
    "Ba", "Tư", "Năm", "Sáu", "Bảy", "Tám", "Chín", "Mười", "Út", "Được", "Lành", "Thìn", "Dần",
    "Đực", "Chiến", "Thọ", "Lực", "Mạnh", "Vĩnh", "Kỉnh", "Sĩ", "Hên",
];

/// Male given names of the young generation.
pub(crate) const GIVEN_MALE_NEW: &[&str] = &[
    "Khang", "Phát", "Khoa", "Bảo", "Kiệt", "Duy", "Thịnh", "Khôi", "Quân", "Khải", "Nguyên",
    "Hào", "Lâm", "Vỹ", "Triết", "Đăng", "Thiên", "Phú", "Nhật", "Danh", "Tiến", "Tường",
];

/// Female given names used in every generation.
pub(crate) const GIVEN_FEMALE: &[&str] = &[
    "Lan",
    "Hoa",
    "Hương",
    "Mai",
    "Linh",
    "Trang",
    "Thảo",
    "Ngọc",
    "Nhung",
    "Hạnh",
    "Hằng",
    "Phượng",
    "Yến",
    "Loan",
    "Thủy",
    "Tuyết",
    "Nga",
    "Trinh",
    "Anh",
    "Ánh",
    "Diễm",
    "Xuân",
    "Thu",
    "Hồng",
    "Dung",
    "Hiền",
    "Kiều",
    "Tiên",
    "Phương",
    "Huyền",
    "Nhàn",
    "Thúy",
    "Hà",
    "Vân",
    "Liên",
    "Oanh",
    "Quyên",
    "Uyên",
    "Nguyệt",
    "Tâm",
    "Thắm",
    "Diệu",
];

/// Female given names of older generations.
pub(crate) const GIVEN_FEMALE_OLD: &[&str] = &[
    "Cúc", "Lài", "Sen", "Huệ", "Lệ", "Mận", "Đào", "Bông", "Ba", "Tư", "Năm", "Sáu", "Bảy", "Tám",
    "Chín", "Mười", "Út", "Bé", "Gấm", "Nhỏ", "Lụa", "Thơm",
];

/// Female given names of the young generation.
pub(crate) const GIVEN_FEMALE_NEW: &[&str] = &[
    "Vy", "Nhi", "Hân", "Thư", "Ngân", "Trâm", "Như", "Quỳnh", "My", "Trúc", "Giang", "Khánh",
    "Châu", "Thy", "Hạ", "Vi", "Nhiên", "An", "Di", "Hiếu", "Tú", "Ngọc",
];

/// Mobile prefixes in use in 2021 (after the 2018 renumbering): Viettel, VinaPhone,
/// MobiFone, Vietnamobile, Gmobile.
pub(crate) const PHONE_PREFIXES: &[&str] = &[
    "032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097",
    "098", // Viettel
    "081", "082", "083", "084", "085", "088", "091", "094", // VinaPhone
    "070", "076", "077", "078", "079", "089", "090", "093", // MobiFone
    "052", "056", "058", "092", // Vietnamobile
    "059", "099", // Gmobile
];

/// Household sizes (persons, relative weight): mean ≈ 3.5, as in the 2019 census for the
/// Mekong delta.
pub(crate) const HOUSEHOLD_SIZE: &[(u8, u32)] = &[
    (1, 110),
    (2, 190),
    (3, 220),
    (4, 250),
    (5, 120),
    (6, 60),
    (7, 30),
    (8, 13),
    (9, 7),
];

/// Ages of people 60 and over, by five-year band (lower bound, upper bound, weight).
pub(crate) const ELDER_AGE: &[((u8, u8), u32)] = &[
    ((60, 64), 300),
    ((65, 69), 260),
    ((70, 74), 180),
    ((75, 79), 125),
    ((80, 84), 95),
    ((85, 89), 55),
    ((90, 98), 20),
];

/// Age of the youngest child still living with its parents.
pub(crate) const YOUNGEST_CHILD_AGE: &[((u8, u8), u32)] = &[
    ((0, 5), 15),
    ((6, 11), 20),
    ((12, 17), 25),
    ((18, 24), 25),
    ((25, 32), 15),
];

/// Mother's age at a birth.
pub(crate) const MOTHER_BIRTH_AGE: &[((u8, u8), u32)] = &[
    ((18, 21), 8),
    ((22, 25), 22),
    ((26, 29), 28),
    ((30, 33), 22),
    ((34, 37), 13),
    ((38, 42), 7),
];

/// Years between two siblings.
pub(crate) const SIBLING_GAP: &[((u8, u8), u32)] = &[
    ((1, 1), 8),
    ((2, 2), 25),
    ((3, 3), 25),
    ((4, 4), 18),
    ((5, 5), 12),
    ((6, 9), 12),
];

/// Age of a married child living with its parents and its own children.
pub(crate) const MARRIED_CHILD_AGE: &[((u8, u8), u32)] = &[
    ((22, 27), 25),
    ((28, 33), 35),
    ((34, 39), 25),
    ((40, 45), 15),
];

/// Husband's age minus wife's age (signed years, weight).
pub(crate) const SPOUSE_GAP: &[((i8, i8), u32)] = &[
    ((-3, -1), 8),
    ((0, 2), 30),
    ((3, 5), 35),
    ((6, 9), 20),
    ((10, 15), 7),
];

/// The 63 provinces of 2021 by the first commune code of each run of their communes (the
/// official codes are assigned in province order, with a few communes of Hà Nội, ex-Hà Tây,
/// and of two central provinces out of sequence). Built from `vn-admin-units-2021.csv`.
pub(crate) const PROVINCE_RUNS: &[(u32, u8)] = &[
    (1, 1),
    (688, 2),
    (1267, 4),
    (1834, 6),
    (2200, 8),
    (2635, 10),
    (3124, 11),
    (3386, 12),
    (3646, 14),
    (4249, 15),
    (4789, 17),
    (4927, 1),
    (4942, 17),
    (5431, 19),
    (5971, 20),
    (6649, 22),
    (7201, 24),
    (7888, 25),
    (8707, 26),
    (8973, 1),
    (9025, 26),
    (9163, 27),
    (9538, 1),
    (10507, 30),
    (11296, 31),
    (11950, 33),
    (12433, 34),
    (13285, 35),
    (13633, 36),
    (14320, 37),
    (14755, 38),
    (16663, 40),
    (18070, 42),
    (18853, 44),
    (19330, 45),
    (19750, 46),
    (20194, 48),
    (20335, 49),
    (21010, 51),
    (21550, 52),
    (22015, 54),
    (22327, 56),
    (22738, 58),
    (22739, 56),
    (22741, 58),
    (22915, 60),
    (23281, 62),
    (23557, 64),
    (24118, 66),
    (24611, 67),
    (24769, 68),
    (25195, 70),
    (25456, 72),
    (25741, 74),
    (25993, 75),
    (26506, 77),
    (26734, 79),
    (27685, 80),
    (28249, 82),
    (28756, 83),
    (29236, 84),
    (29542, 86),
    (29863, 87),
    (30280, 89),
    (30730, 91),
    (31117, 92),
    (31318, 93),
    (31498, 94),
    (31813, 95),
    (31999, 96),
];

/// The 63 province codes of 2021.
pub(crate) const PROVINCES: &[u8] = &[
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// Ho Chi Minh City: the most common birthplace outside one's own province in the south.
pub(crate) const HCMC: u8 = 79;

/// Two-digit prefix of the old 9-digit CMND by province. Known for the Mekong delta and the
/// large cities; other provinces get a stand-in in the same range (the generator only needs
/// the shape).
pub(crate) fn cmnd_prefix(province: u8) -> u8 {
    match province {
        1 => 1,
        79 => 2,
        31 => 3,
        75 => 27,
        74 => 28,
        72 => 29,
        80 => 30,
        82 => 31,
        83 => 32,
        86 | 84 => 33,
        87 => 34,
        89 => 35,
        92..=94 => 36,
        91 => 37,
        95 | 96 => 38,
        p => 4 + p % 23,
    }
}
