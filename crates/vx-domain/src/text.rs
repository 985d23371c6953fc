//! Text helpers shared by search, duplicate detection and imports.

use unicode_normalization::UnicodeNormalization;

/// Folds a name for search and comparison: removes diacritics (including đ/Đ), lowercases,
/// and collapses white space. "  Phước   THẠNH " → "phuoc thanh".
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Parses a yes/no cell as officials write it: "x", "có", "1", "yes", "true" → true;
/// empty, "không", "0", "no", "false" → false.
pub fn parse_flag(s: &str) -> Option<bool> {
    match fold(s).as_str() {
        "" | "0" | "khong" | "k" | "no" | "n" | "false" | "f" => Some(false),
        "x" | "1" | "co" | "c" | "yes" | "y" | "true" | "t" => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        let check = |input: &str, expected: &str| assert_eq!(fold(input), expected, "{input:?}");
        check("Phước Thạnh", "phuoc thanh");
        check("  ĐẶNG   Thị\tHỒNG ", "dang thi hong");
        check("Qưới Sơn", "quoi son");
        check("", "");
    }

    #[test]
    fn flags() {
        assert_eq!(parse_flag("Có"), Some(true));
        assert_eq!(parse_flag("x"), Some(true));
        assert_eq!(parse_flag(""), Some(false));
        assert_eq!(parse_flag("không"), Some(false));
        assert_eq!(parse_flag("maybe"), None);
    }
}
