//! The output language and how numbers and dates read in it: below the rendering of reasons
//! (`render`) and of green-zone states (`zone`), which both use it.

use chrono::NaiveDate;

/// Output language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Vietnamese.
    Vi,
    /// English.
    En,
}

impl Lang {
    pub(crate) fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

/// A number with at most two decimals, trailing zeros removed, grouped by thousands:
/// `73,5` / `73.5`, `100.000` / `100,000`.
pub fn format_number(x: f64, lang: Lang) -> String {
    let (group, decimal) = match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    let s = format!("{:.2}", (x * 100.0).round() / 100.0);
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let (sign, digits) = match int.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", int),
    };
    let mut out = String::with_capacity(s.len() + 4);
    out.push_str(
        if digits.bytes().all(|b| b == b'0') && frac.trim_end_matches('0').is_empty() {
            ""
        } else {
            sign
        },
    );
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    let frac = frac.trim_end_matches('0');
    if !frac.is_empty() {
        out.push(decimal);
        out.push_str(frac);
    }
    out
}

/// A date: `16/10/2021` (vi) or `2021-10-16` (en).
pub fn format_date(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Vi => d.format("%d/%m/%Y").to_string(),
        Lang::En => d.format("%Y-%m-%d").to_string(),
    }
}
