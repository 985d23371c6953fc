//! Charts as SVG written by hand: the epidemic curve, the level timeline, coverage and
//! positivity per round. Each series has a pattern as well as a colour, and values are
//! written out, so that a black-and-white print reads.

use std::fmt::Write;

use chrono::NaiveDate;
use maud::{html, Markup, PreEscaped};
use vx_store::rules::Level;
use vx_store::{CurveDay, RoundFigures};

use super::{colour, esc, level_name, pct, S};
use crate::i18n::Lang;

/// Pattern definitions for the four levels (ids `{p}-l1`..`{p}-l4`, `{p}-l0`) and the
/// curve's series (`{p}-hatch`).
pub(crate) fn defs(p: &str) -> String {
    let mut s = String::from("<defs>");
    let _ = write!(
        s,
        "<pattern id=\"{p}-l0\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\"><rect width=\"6\" height=\"6\" fill=\"{}\"/></pattern>\
         <pattern id=\"{p}-l1\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\"><rect width=\"6\" height=\"6\" fill=\"{}\"/></pattern>\
         <pattern id=\"{p}-l2\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\"><rect width=\"6\" height=\"6\" fill=\"{}\"/><circle cx=\"3\" cy=\"3\" r=\"1.1\" fill=\"#000\" fill-opacity=\".55\"/></pattern>\
         <pattern id=\"{p}-l3\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"{}\"/><rect width=\"1.6\" height=\"6\" fill=\"#000\" fill-opacity=\".5\"/></pattern>\
         <pattern id=\"{p}-l4\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"{}\"/><rect width=\"1.6\" height=\"6\" fill=\"#000\" fill-opacity=\".6\"/><rect width=\"6\" height=\"1.6\" fill=\"#000\" fill-opacity=\".6\"/></pattern>\
         <pattern id=\"{p}-hatch\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"5\" height=\"5\" fill=\"#fff\"/><rect width=\"2\" height=\"5\" fill=\"#1f5f99\"/></pattern>",
        colour(None),
        colour(Some(Level::Green)),
        colour(Some(Level::Yellow)),
        colour(Some(Level::Orange)),
        colour(Some(Level::Red)),
    );
    s.push_str("</defs>");
    s
}

/// The fill of a level: its pattern.
pub(crate) fn fill(p: &str, level: Option<Level>) -> String {
    format!("url(#{p}-l{})", level.map_or(0, |l| l.number()))
}

/// The legend of the levels, as HTML (readable without the SVG).
pub(crate) fn level_legend(lang: Lang) -> Markup {
    html! {
        ul.legend {
            @for l in [None, Some(Level::Green), Some(Level::Yellow), Some(Level::Orange), Some(Level::Red)] {
                li { span class=(super::level_class(l)) {} (level_name(l, lang)) }
            }
        }
    }
}

fn nice_max(m: i64) -> i64 {
    let m = m.max(1);
    for step in [
        1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000,
    ] {
        if m <= step * 4 {
            return step * 4;
        }
    }
    ((m + 9999) / 10_000) * 10_000
}

fn short_day(d: NaiveDate) -> String {
    d.format("%d/%m").to_string()
}

/// New cases per day: community (solid) stacked under in quarantine (hatched) and
/// imported (white, outlined).
pub(crate) fn curve(days: &[CurveDay], lang: Lang) -> Markup {
    let (w, h, left, bottom, top) = (640.0_f64, 220.0_f64, 36.0_f64, 28.0_f64, 10.0_f64);
    let n = days.len().max(1) as f64;
    let bw = (w - left - 4.0) / n;
    let max = days
        .iter()
        .map(|d| d.community + d.in_quarantine + d.imported)
        .max()
        .unwrap_or(0);
    let ymax = nice_max(max) as f64;
    let y = |v: f64| top + (h - top - bottom) * (1.0 - v / ymax);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"curve-t\" font-size=\"10\" font-family=\"sans-serif\"><title id=\"curve-t\">{}</title>",
        esc(S::Curve.get(lang))
    );
    s.push_str(&defs("cv"));
    for k in 0..=4 {
        let v = ymax * f64::from(k) / 4.0;
        let yy = y(v);
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{w}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#ccc\" stroke-width=\".5\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 3.0,
            yy + 3.0,
            v as i64
        );
    }
    for (i, d) in days.iter().enumerate() {
        let x = left + bw * i as f64;
        let mut base = 0.0;
        for (v, fill, stroke) in [
            (d.community, "#7a1f14", "none"),
            (d.in_quarantine, "url(#cv-hatch)", "#1f5f99"),
            (d.imported, "#fff", "#333"),
        ] {
            if v > 0 {
                let (y1, y0) = (y(base + v as f64), y(base));
                let _ = write!(
                    s,
                    "<rect x=\"{:.1}\" y=\"{y1:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\".6\"><title>{}: {} {}, {} {}, {} {}</title></rect>",
                    x + 0.5,
                    (bw - 1.0).max(0.5),
                    (y0 - y1).max(0.5),
                    d.day,
                    esc(S::Community.get(lang)),
                    d.community,
                    esc(S::InQuarantine.get(lang)),
                    d.in_quarantine,
                    esc(S::Imported.get(lang)),
                    d.imported
                );
                base += v as f64;
            }
        }
        if i % 7 == 0 || (i + 1 == days.len() && i % 7 >= 4) {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + bw / 2.0,
                h - bottom + 14.0,
                short_day(d.day)
            );
        }
    }
    let _ = write!(
        s,
        "<line x1=\"{left}\" x2=\"{w}\" y1=\"{0:.1}\" y2=\"{0:.1}\" stroke=\"#333\"/></svg>",
        y(0.0)
    );
    html! {
        figure.chart {
            (PreEscaped(s))
            figcaption { ul.legend { (legend_curve(lang)) } }
        }
    }
}

fn legend_curve(lang: Lang) -> Markup {
    let sw = |fill: &str, pattern: bool| {
        let inner = if pattern {
            "<defs><pattern id=\"lg-h\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"5\" height=\"5\" fill=\"#fff\"/><rect width=\"2\" height=\"5\" fill=\"#1f5f99\"/></pattern></defs><rect width=\"14\" height=\"14\" fill=\"url(#lg-h)\" stroke=\"#1f5f99\"/>".to_string()
        } else {
            format!("<rect width=\"14\" height=\"14\" fill=\"{fill}\" stroke=\"#333\"/>")
        };
        PreEscaped(format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"14\" height=\"14\" aria-hidden=\"true\">{inner}</svg> "
        ))
    };
    html! {
        li { (sw("#7a1f14", false)) (S::Community.get(lang)) }
        li { (sw("", true)) (S::InQuarantine.get(lang)) }
        li { (sw("#fff", false)) (S::Imported.get(lang)) }
    }
}

/// One strip per unit across the days, one cell per day filled with the level's pattern;
/// each change of level is written as its number.
pub(crate) fn timeline(
    rows: &[(String, String, Vec<Option<Level>>)],
    from: NaiveDate,
    day_href: impl Fn(&str) -> String,
    lang: Lang,
) -> Markup {
    let ndays = rows.first().map_or(0, |r| r.2.len()).max(1);
    let (label_w, cell, row_h) = (150.0_f64, (480.0 / ndays as f64).max(4.0), 18.0_f64);
    let w = label_w + cell * ndays as f64 + 4.0;
    let h = 22.0 + row_h * rows.len() as f64;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" role=\"group\" aria-labelledby=\"tl-t\" font-size=\"10\" font-family=\"sans-serif\"><title id=\"tl-t\">{}</title>",
        esc(S::Timeline.get(lang))
    );
    s.push_str(&defs("tl"));
    for k in (0..ndays).step_by(7) {
        let d = from + chrono::Days::new(k as u64);
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"12\">{}</text>",
            label_w + cell * k as f64,
            short_day(d)
        );
    }
    for (r, (code, name, levels)) in rows.iter().enumerate() {
        let y0 = 18.0 + row_h * r as f64;
        let _ = write!(
            s,
            "<a href=\"{}\"><text x=\"0\" y=\"{:.1}\">{}</text></a>",
            esc(&day_href(code)),
            y0 + 12.0,
            esc(&truncate(name, 26))
        );
        // runs of equal levels: one rect per run
        let mut k = 0;
        while k < levels.len() {
            let l = levels[k];
            let mut e = k;
            while e + 1 < levels.len() && levels[e + 1] == l {
                e += 1;
            }
            let x = label_w + cell * k as f64;
            let wd = cell * (e - k + 1) as f64;
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y0:.1}\" width=\"{wd:.1}\" height=\"{:.1}\" fill=\"{}\" stroke=\"#333\" stroke-width=\".4\"><title>{} {} – {}: {}</title></rect>",
                row_h - 3.0,
                fill("tl", l),
                esc(name),
                from + chrono::Days::new(k as u64),
                from + chrono::Days::new(e as u64),
                esc(&level_name(l, lang))
            );
            if wd >= 9.0 {
                let _ = write!(
                    s,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-weight=\"bold\" fill=\"{}\">{}</text>",
                    x + 2.0,
                    y0 + 11.0,
                    if matches!(l, Some(Level::Green | Level::Red)) {
                        "#fff"
                    } else {
                        "#000"
                    },
                    l.map_or("?".to_string(), |l| l.number().to_string())
                );
            }
            k = e + 1;
        }
    }
    s.push_str("</svg>");
    html! {
        figure.chart {
            (PreEscaped(s))
            figcaption { (level_legend(lang)) }
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// Coverage of each round as a bar (0–100 %), its positivity written above it.
pub(crate) fn rounds(rounds: &[RoundFigures], lang: Lang) -> Markup {
    let n = rounds.len().max(1) as f64;
    let (w, h, left, bottom, top) = (640.0_f64, 200.0_f64, 36.0_f64, 30.0_f64, 24.0_f64);
    let bw = ((w - left) / n).min(60.0);
    let y = |v: f64| top + (h - top - bottom) * (1.0 - v / 100.0);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"rd-t\" font-size=\"10\" font-family=\"sans-serif\"><title id=\"rd-t\">{}</title>",
        esc(S::Rounds.get(lang))
    );
    s.push_str(&defs("rd"));
    for k in 0..=4 {
        let v = 25.0 * f64::from(k);
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{w}\" y1=\"{0:.1}\" y2=\"{0:.1}\" stroke=\"#ccc\" stroke-width=\".5\"/><text x=\"{1}\" y=\"{2:.1}\" text-anchor=\"end\">{3}%</text>",
            y(v),
            left - 3.0,
            y(v) + 3.0,
            v as i64
        );
    }
    for (i, r) in rounds.iter().enumerate() {
        let x = left + bw * i as f64 + 4.0;
        let c = r.coverage_pct().unwrap_or(0.0).min(100.0);
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"url(#rd-hatch)\" stroke=\"#1f5f99\"><title>{} {}: {} {}, {} {}</title></rect>",
            y(c),
            bw - 8.0,
            y(0.0) - y(c),
            esc(S::Round.get(lang)),
            r.number,
            esc(S::Coverage.get(lang)),
            esc(&pct(r.coverage_pct(), lang)),
            esc(S::Positivity.get(lang)),
            esc(&pct(r.positivity_pct(), lang)),
        );
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"bold\">+{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{} {}</text>",
            x + (bw - 8.0) / 2.0,
            y(c) - 12.0,
            esc(&pct(r.coverage_pct(), lang)),
            x + (bw - 8.0) / 2.0,
            y(c) - 2.0,
            esc(&pct(r.positivity_pct(), lang)),
            x + (bw - 8.0) / 2.0,
            h - bottom + 14.0,
            esc(S::Round.get(lang)),
            r.number
        );
    }
    s.push_str("</svg>");
    html! {
        figure.chart {
            (PreEscaped(s))
            figcaption { (S::Coverage.get(lang)) " (" (S::Positivity.get(lang)) ": +%)" }
        }
    }
}
