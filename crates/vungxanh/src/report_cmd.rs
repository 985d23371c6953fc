//! `vungxanh report daily --unit CODE --date D --format xlsx|csv -o FILE`: the daily report
//! of a unit and each of its children, as the web page's downloads (`vx_web::DailyReport`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::Subcommand;
use vx_store::Store;

#[derive(Subcommand)]
pub enum ReportCommand {
    /// New cases by source, cumulative, F1 in quarantine by place, samples and positives,
    /// coverage and level changes, for the unit and each child.
    Daily {
        /// The unit's code (e.g. 831).
        #[arg(long)]
        unit: String,
        /// The day (YYYY-MM-DD).
        #[arg(long)]
        date: NaiveDate,
        #[arg(long, value_parser = ["xlsx", "csv"], default_value = "xlsx")]
        format: String,
        /// Where to write the file.
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
}

pub async fn run(store: &Store, cmd: ReportCommand) -> Result<()> {
    let ReportCommand::Daily {
        unit,
        date,
        format,
        output,
    } = cmd;
    let Some(u) = store.unit(unit.trim()).await? else {
        bail!("unknown unit {unit:?}");
    };
    let children = store.children(Some(&u.code)).await?;
    let report = vx_web::daily_report(store, &u, &children, date)
        .await
        .with_context(|| format!("daily report of {} on {date}", u.code))?;
    let bytes = match format.as_str() {
        "csv" => report.to_csv(),
        _ => report
            .to_xlsx()
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("writing the workbook")?,
    };
    std::fs::write(&output, bytes).with_context(|| format!("writing {}", output.display()))?;
    println!(
        "{}: daily report of {} ({}) on {date}, {} units",
        output.display(),
        u.full_name,
        u.code,
        report.rows.len()
    );
    Ok(())
}
