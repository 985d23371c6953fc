//! The daily report a commune or district sends up, for the unit and each child: new cases
//! by source, cumulative cases, F1 in quarantine by place, samples and positives of the
//! day, coverage of the last round, level changes. As a page
//! (`/units/{code}/report?date=D`), XLSX (`/units/{code}/report.xlsx`) and CSV
//! (`/units/{code}/report.csv`); the command line writes the same files
//! (`vungxanh report daily`). Text cells beginning with = + - @ (or a tab or carriage
//! return) are neutralised with a leading apostrophe so that a spreadsheet never runs them.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use maud::html;
use serde::{Deserialize, Serialize};
use vx_domain::Unit;
use vx_store::{Figures, Store, StoreError};

use super::{days_before, level_class, level_name, S};
use crate::auth::PageViewer;
use crate::error::{AppError, PageError};
use crate::input::day_or_today;
use crate::pages::{layout, Ctx};
use crate::scope;
use crate::state::AppState;

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/units/{code}/report", get(report_page))
        .route("/units/{code}/report.xlsx", get(report_xlsx))
        .route("/units/{code}/report.csv", get(report_csv))
}

/// One line of the report: a unit (the reporting unit first, then each child).
#[derive(Debug, Clone, Serialize)]
pub struct ReportRow {
    pub code: String,
    pub name: String,
    /// Level numbers (1 green .. 4 red) the day before and on the day; `None`: not assessed.
    pub level_before: Option<u8>,
    pub level: Option<u8>,
    pub figures: Figures,
}

/// The daily report of a unit.
#[derive(Debug, Clone, Serialize)]
pub struct DailyReport {
    pub unit_code: String,
    pub unit_name: String,
    pub date: NaiveDate,
    pub rows: Vec<ReportRow>,
}

/// Builds the report of `unit` and `children` (all of them, or those a viewer sees) on
/// `date`: eight grouped queries whatever the number of children.
pub async fn daily_report(
    store: &Store,
    unit: &Unit,
    children: &[Unit],
    date: NaiveDate,
) -> Result<DailyReport, StoreError> {
    let mut units = vec![unit.clone()];
    units.extend(children.iter().cloned());
    let figures = store.figures(unit, &units, date).await?;
    let levels = store
        .level_numbers(unit, days_before(date, 1), date, false)
        .await?;
    let level = |id: i64, d: NaiveDate| {
        levels
            .iter()
            .find(|(u, day, _)| *u == id && *day == d)
            .map(|(_, _, n)| *n)
    };
    let rows = units
        .iter()
        .zip(figures)
        .map(|(u, f)| ReportRow {
            code: u.code.to_string(),
            name: u.full_name.clone(),
            level_before: level(u.id, days_before(date, 1)),
            level: level(u.id, date),
            figures: f,
        })
        .collect();
    Ok(DailyReport {
        unit_code: unit.code.to_string(),
        unit_name: unit.full_name.clone(),
        date,
        rows,
    })
}

/// Makes a text safe in a spreadsheet cell: one beginning with = + - @, a tab or a carriage
/// return gets a leading apostrophe, so that it is never read as a formula.
pub fn neutralise(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

enum Cell {
    Text(String),
    Int(i64),
    Num(Option<f64>),
}

const HEADERS: [(&str, &str); 17] = [
    ("Mã đơn vị", "code"),
    ("Đơn vị", "unit"),
    ("Ca mới cộng đồng", "new_community"),
    ("Ca mới trong khu cách ly", "new_in_quarantine"),
    ("Ca mới từ nơi khác đến", "new_imported"),
    ("Cộng dồn số ca", "cumulative_cases"),
    ("F0 đang cách ly điều trị", "in_isolation"),
    ("F1 cách ly tại nhà", "f1_home"),
    ("F1 cách ly tập trung", "f1_facility"),
    ("Mẫu lấy trong ngày", "samples"),
    ("Mẫu dương tính", "positive_samples"),
    ("Đợt xét nghiệm gần nhất", "last_round"),
    ("Độ phủ (%)", "coverage_pct"),
    ("Tỷ lệ dương tính (%)", "positivity_pct"),
    ("Cấp độ hôm trước", "level_before"),
    ("Cấp độ", "level"),
    ("Thay đổi cấp độ", "level_change"),
];

fn change(before: Option<u8>, now: Option<u8>) -> String {
    match (before, now) {
        (Some(a), Some(b)) if a < b => format!("{a} → {b} (tăng/up)"),
        (Some(a), Some(b)) if a > b => format!("{a} → {b} (giảm/down)"),
        (Some(_), Some(_)) => "không đổi (unchanged)".into(),
        _ => String::new(),
    }
}

fn round2(x: Option<f64>) -> Option<f64> {
    x.map(|v| (v * 100.0).round() / 100.0)
}

impl DailyReport {
    fn cells(&self) -> Vec<Vec<Cell>> {
        self.rows
            .iter()
            .map(|r| {
                let f = &r.figures;
                let round = f.round.as_ref();
                vec![
                    Cell::Text(r.code.clone()),
                    Cell::Text(r.name.clone()),
                    Cell::Int(f.new_community),
                    Cell::Int(f.new_in_quarantine),
                    Cell::Int(f.new_imported),
                    Cell::Int(f.total_community + f.total_in_quarantine + f.total_imported),
                    Cell::Int(f.isolating),
                    Cell::Int(f.f1_home),
                    Cell::Int(f.f1_facility),
                    Cell::Int(f.samples_day),
                    Cell::Int(f.positives_day),
                    Cell::Text(
                        round
                            .map(|x| format!("{} #{} ({})", x.campaign, x.number, x.start))
                            .unwrap_or_default(),
                    ),
                    Cell::Num(round2(round.and_then(|x| x.coverage_pct()))),
                    Cell::Num(round2(round.and_then(|x| x.positivity_pct()))),
                    Cell::Num(r.level_before.map(f64::from)),
                    Cell::Num(r.level.map(f64::from)),
                    Cell::Text(change(r.level_before, r.level)),
                ]
            })
            .collect()
    }

    /// The report as CSV (UTF-8 with a byte-order mark, so that spreadsheets read the
    /// diacritics), one header line then one line per unit.
    pub fn to_csv(&self) -> Vec<u8> {
        fn field(out: &mut String, s: &str) {
            if s.contains([',', '"', '\n', '\r']) {
                out.push('"');
                out.push_str(&s.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(s);
            }
        }
        let mut out = String::from("\u{feff}");
        let header: Vec<String> = HEADERS
            .iter()
            .map(|(vi, en)| format!("{vi} ({en})"))
            .collect();
        for (i, h) in header.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            field(&mut out, h);
        }
        out.push_str("\r\n");
        for row in self.cells() {
            for (i, c) in row.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match c {
                    Cell::Text(s) => field(&mut out, &neutralise(s)),
                    Cell::Int(n) => out.push_str(&n.to_string()),
                    Cell::Num(Some(x)) => out.push_str(&x.to_string()),
                    Cell::Num(None) => {}
                }
            }
            out.push_str("\r\n");
        }
        out.into_bytes()
    }

    /// The report as an XLSX workbook: a title line, the header, one line per unit.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut book = Workbook::new();
        let bold = Format::new().set_bold();
        let wrap = Format::new().set_bold().set_text_wrap();
        let sheet = book.add_worksheet();
        sheet.set_name("Báo cáo ngày")?;
        sheet.write_string_with_format(
            0,
            0,
            neutralise(&format!(
                "Báo cáo ngày {} — {} ({})",
                self.date.format("%d/%m/%Y"),
                self.unit_name,
                self.unit_code
            )),
            &bold,
        )?;
        for (c, (vi, en)) in HEADERS.iter().enumerate() {
            sheet.write_string_with_format(2, c as u16, format!("{vi} ({en})"), &wrap)?;
        }
        sheet.set_column_width(0, 10)?;
        sheet.set_column_width(1, 28)?;
        for c in 2..HEADERS.len() as u16 {
            sheet.set_column_width(c, 13)?;
        }
        sheet.set_column_width(11, 24)?;
        sheet.set_column_width(16, 20)?;
        for (i, row) in self.cells().iter().enumerate() {
            let r = i as u32 + 3;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => {
                        sheet.write_string(r, c, neutralise(s))?;
                    }
                    Cell::Int(n) => {
                        sheet.write_number(r, c, *n as f64)?;
                    }
                    Cell::Num(Some(x)) => {
                        sheet.write_number(r, c, *x)?;
                    }
                    Cell::Num(None) => {}
                }
            }
        }
        book.save_to_buffer()
    }

    /// The file name for a download: `bao-cao-ngay-CODE-DATE.EXT`.
    pub fn file_name(&self, ext: &str) -> String {
        format!("bao-cao-ngay-{}-{}.{ext}", self.unit_code, self.date)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DateQuery {
    date: Option<String>,
}

async fn build(
    st: &AppState,
    v: &crate::auth::Viewer,
    code: &str,
    q: &DateQuery,
) -> Result<DailyReport, PageError> {
    let unit = scope::seen_unit(&st.store, &v.access, code).await?;
    let date = day_or_today(q.date.as_deref(), st.config.today())?;
    let children = scope::seen_children(&st.store, &v.access, &unit).await?;
    Ok(daily_report(&st.store, &unit, &children, date).await?)
}

async fn report_page(
    State(st): State<AppState>,
    ctx: Ctx,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Query(q): Query<DateQuery>,
) -> Result<Response, PageError> {
    let report = build(&st, &v, &code, &q).await?;
    let lang = ctx.lang;
    let lv = |n: Option<u8>| n.and_then(vx_store::rules::Level::from_number);
    let (code, day) = (&report.unit_code, report.date);
    let body = html! {
        (super::css_link())
        p.no-print { a href=(super::dashboard::dashboard_href(code, day)) { "← " (S::Dashboard.get(lang)) } }
        h1 { (S::DailyReport.get(lang)) " " (lang.date(day)) " — " (report.unit_name) }
        form method="get" action={"/units/" (code) "/report"} {
            label { (S::Day.get(lang)) " " input type="date" name="date" value=(day.to_string()); }
            " " button type="submit" { (S::Show.get(lang)) }
        }
        div.actions {
            a.button href={"/units/" (code) "/report.xlsx?date=" (day)} download { (S::Download.get(lang)) " XLSX" }
            a.button.secondary href={"/units/" (code) "/report.csv?date=" (day)} download { (S::Download.get(lang)) " CSV" }
        }
        div.scroll tabindex="0" { table {
            thead {
                tr {
                    th rowspan="2" { (S::Unit.get(lang)) }
                    th colspan="3" { (S::NewCases.get(lang)) " " (S::Source.get(lang)) }
                    th.num rowspan="2" { (S::Total.get(lang)) }
                    th.num rowspan="2" { (S::Isolating.get(lang)) }
                    th colspan="2" { (S::F1ByPlace.get(lang)) }
                    th.num rowspan="2" { (S::Samples.get(lang)) }
                    th.num rowspan="2" { (S::Positives.get(lang)) }
                    th.num rowspan="2" { (S::Coverage.get(lang)) }
                    th rowspan="2" { (S::LevelChange.get(lang)) }
                }
                tr {
                    th.num { (S::Community.get(lang)) }
                    th.num { (S::InQuarantine.get(lang)) }
                    th.num { (S::Imported.get(lang)) }
                    th.num { (S::QuarantineHome.get(lang)) }
                    th.num { (S::QuarantineFacility.get(lang)) }
                }
            }
            tbody {
                @for (i, r) in report.rows.iter().enumerate() {
                    @let f = &r.figures;
                    tr {
                        td { @if i == 0 { strong { (r.name) } } @else { a href={"/units/" (r.code) "/report?date=" (day)} { (r.name) } } }
                        td.num { (lang.number(f.new_community)) }
                        td.num { (lang.number(f.new_in_quarantine)) }
                        td.num { (lang.number(f.new_imported)) }
                        td.num { (lang.number(f.total_community + f.total_in_quarantine + f.total_imported)) }
                        td.num { (lang.number(f.isolating)) }
                        td.num { (lang.number(f.f1_home)) }
                        td.num { (lang.number(f.f1_facility)) }
                        td.num { (lang.number(f.samples_day)) }
                        td.num { (lang.number(f.positives_day)) }
                        td.num { (super::pct(f.round.as_ref().and_then(|x| x.coverage_pct()), lang)) }
                        td {
                            @if r.level_before != r.level && r.level_before.is_some() {
                                span class={"lvbadge " (level_class(lv(r.level_before)))} { (level_name(lv(r.level_before), lang)) }
                                " → "
                            }
                            span class={"lvbadge " (level_class(lv(r.level)))} { (level_name(lv(r.level), lang)) }
                        }
                    }
                }
            }
        } }
    };
    Ok(layout(&ctx, Some(&v), S::DailyReport.get(lang), body).into_response())
}

fn download(content_type: &'static str, name: &str, bytes: Vec<u8>) -> Result<Response, PageError> {
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                    .map_err(|e| PageError(AppError::Internal(e.to_string())))?,
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn report_xlsx(
    State(st): State<AppState>,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Query(q): Query<DateQuery>,
) -> Result<Response, PageError> {
    let report = build(&st, &v, &code, &q).await?;
    let bytes = report
        .to_xlsx()
        .map_err(|e| PageError(AppError::Internal(e.to_string())))?;
    download(XLSX_TYPE, &report.file_name("xlsx"), bytes)
}

async fn report_csv(
    State(st): State<AppState>,
    PageViewer(v): PageViewer,
    Path(code): Path<String>,
    Query(q): Query<DateQuery>,
) -> Result<Response, PageError> {
    let report = build(&st, &v, &code, &q).await?;
    download(
        "text/csv; charset=utf-8",
        &report.file_name("csv"),
        report.to_csv(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for (input, want) in [
            ("=1+2", "'=1+2"),
            ("+84912", "'+84912"),
            ("-3", "'-3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=x", "'\t=x"),
            ("Phước Thạnh", "Phước Thạnh"),
            ("", ""),
        ] {
            assert_eq!(neutralise(input), want, "{input:?}");
        }
    }
}
