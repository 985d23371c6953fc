//! The level map: the children of a unit drawn from their imported boundaries as SVG, each
//! a link filled with its level's pattern and labelled with its name and level number.
//! Without boundaries, a tile board: each unit a tile grouped by its parent.

use std::fmt::Write;

use maud::{html, Markup, PreEscaped};
use vx_domain::Unit;
use vx_store::rules::Level;
use vx_store::Boundary;

use super::charts::{defs, fill, level_legend};
use super::{esc, level_class, level_name, S};
use crate::i18n::Lang;

/// One unit on the map: code, name, level, key figure, link.
pub(crate) struct Place<'a> {
    pub unit: &'a Unit,
    pub level: Option<Level>,
    pub key: String,
    pub href: String,
}

const WIDTH: f64 = 600.0;

/// The SVG map of `places` from their boundaries (those without one are left out).
pub(crate) fn svg(places: &[Place<'_>], boundaries: &[Boundary], lang: Lang) -> Markup {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for b in boundaries {
        if let Some((a, b2, c, d)) = b.bbox() {
            x0 = x0.min(a);
            y0 = y0.min(b2);
            x1 = x1.max(c);
            y1 = y1.max(d);
        }
    }
    if x0 > x1 {
        return html! {};
    }
    // Equirectangular, longitudes shrunk by the cosine of the middle latitude.
    let k = ((y0 + y1) / 2.0).to_radians().cos().max(0.1);
    let sx = WIDTH / ((x1 - x0) * k).max(1e-9);
    let height = ((y1 - y0) * sx).clamp(50.0, 900.0);
    let sy = height / (y1 - y0).max(1e-9);
    let px = |x: f64| (x - x0) * k * sx;
    let py = |y: f64| (y1 - y) * sy;
    let schematic = boundaries.iter().any(|b| b.schematic);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"-4 -4 {:.0} {:.0}\" width=\"{:.0}\" height=\"{:.0}\" role=\"group\" aria-labelledby=\"map-t\" font-size=\"11\" font-family=\"sans-serif\"><title id=\"map-t\">{}</title>",
        WIDTH + 8.0,
        height + 8.0,
        WIDTH + 8.0,
        height + 8.0,
        esc(S::Map.get(lang))
    );
    s.push_str(&defs("mp"));
    let mut labels = String::new();
    for b in boundaries {
        let Some(place) = places.iter().find(|p| p.unit.code.as_str() == b.unit_code) else {
            continue;
        };
        let mut d = String::new();
        for poly in &b.polygons {
            for ring in poly {
                for (i, &(x, y)) in ring.iter().enumerate() {
                    let _ = write!(
                        d,
                        "{}{:.1} {:.1}",
                        if i == 0 { "M" } else { "L" },
                        px(x),
                        py(y)
                    );
                }
                d.push('Z');
            }
        }
        let name = level_name(place.level, lang);
        let _ = write!(
            s,
            "<a href=\"{}\"><path d=\"{d}\" fill=\"{}\" stroke=\"#1b1f1d\" stroke-width=\"1.2\" fill-rule=\"evenodd\"><title>{} — {} — {}</title></path></a>",
            esc(&place.href),
            fill("mp", place.level),
            esc(&place.unit.name),
            esc(&name),
            esc(&place.key)
        );
        // label at the middle of the largest polygon's box
        let biggest = b
            .polygons
            .iter()
            .max_by_key(|p| p.first().map_or(0, |r| r.len()));
        if let Some(outer) = biggest.and_then(|p| p.first()) {
            let (mut a, mut bb, mut c, mut dd) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for &(x, y) in outer {
                a = a.min(x);
                bb = bb.min(y);
                c = c.max(x);
                dd = dd.max(y);
            }
            let (cx, cy) = (px((a + c) / 2.0), py((bb + dd) / 2.0));
            let _ = write!(
                labels,
                "<a href=\"{}\"><text x=\"{cx:.1}\" y=\"{cy:.1}\" text-anchor=\"middle\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\" fill=\"#000\">{}</text><text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\" font-weight=\"bold\" fill=\"#000\">{}</text></a>",
                esc(&place.href),
                esc(&short(&place.unit.name)),
                cy + 12.0,
                place.level.map_or("?".to_string(), |l| l.number().to_string())
            );
        }
    }
    s.push_str(&labels);
    s.push_str("</svg>");
    html! {
        figure.chart {
            (PreEscaped(s))
            figcaption {
                (level_legend(lang))
                @if schematic { strong { (S::Schematic.get(lang)) } }
            }
        }
    }
}

fn short(name: &str) -> String {
    let n: Vec<char> = name.chars().collect();
    if n.len() <= 16 {
        name.to_string()
    } else {
        n[..15].iter().collect::<String>() + "…"
    }
}

/// The tile board: one group per parent, one tile per unit with its level and key figure.
pub(crate) fn tiles(groups: &[(String, Vec<Place<'_>>)], lang: Lang) -> Markup {
    html! {
        @for (title, places) in groups {
            div.tilegroup {
                @if groups.len() > 1 { h3 { (title) } }
                div.tiles {
                    @for p in places {
                        a class=(level_class(p.level)) href=(p.href) {
                            b { (p.unit.name) }
                            (level_name(p.level, lang)) br;
                            (p.key)
                        }
                    }
                }
            }
        }
        (level_legend(lang))
    }
}
