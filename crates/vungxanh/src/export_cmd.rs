//! `vungxanh export dhis2`: a unit's and its children's figures over a period as DHIS2
//! data values (`dataValueSets` JSON or ADX), named by a mapping file.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use vx_exchange::{parse_mapping, Mapping, Period};
use vx_store::Store;

#[derive(Subcommand)]
pub enum ExportCommand {
    /// DHIS2 data values of a unit and its children over a day, an ISO week or a month.
    Dhis2(Dhis2Args),
}

#[derive(Args)]
pub struct Dhis2Args {
    /// The mapping file (TOML: data_set, org_units, data_elements; see docs/exchange.md).
    /// Without it: every indicator as VX_<NAME>, every unit under its own code.
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
    /// The unit (its values and its children's).
    #[arg(long)]
    unit: String,
    /// 2021-09-12 (a day), 2021W37 (an ISO week) or 2021-09 (a month).
    #[arg(long, value_parser = |s: &str| Period::parse(s).map_err(|e| e.to_string()))]
    period: Period,
    /// ADX (application/adx+xml) instead of dataValueSets JSON.
    #[arg(long)]
    adx: bool,
    /// Write here instead of the standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Send the values to this DHIS2 server (its base address, e.g.
    /// https://dhis2.example.gov.vn; `POST /api/dataValueSets`, codes as identifiers).
    /// Credentials from the environment: DHIS2_TOKEN (a personal access token), else
    /// DHIS2_USERNAME and DHIS2_PASSWORD.
    #[arg(long, value_name = "URL", value_parser = vx_web::parse_dhis2_server)]
    push: Option<vx_web::Url>,
    /// With --push: the server checks the values and stores nothing (`dryRun=true`).
    #[arg(long, requires = "push")]
    dry_run: bool,
}

/// Reads and checks a mapping file (size-capped; errors name file, line and field).
pub fn read_mapping(path: &std::path::Path) -> Result<Mapping> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > vx_exchange::MAX_MAPPING_BYTES as u64 {
        bail!(
            "{}: {size} bytes; a mapping file is at most {} KiB",
            path.display(),
            vx_exchange::MAX_MAPPING_BYTES / 1024
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {} (UTF-8 text)", path.display()))?;
    Ok(parse_mapping(&path.display().to_string(), &text)?)
}

pub async fn run(store: &Store, cmd: ExportCommand) -> Result<()> {
    match cmd {
        ExportCommand::Dhis2(args) => dhis2(store, args).await,
    }
}

async fn dhis2(store: &Store, args: Dhis2Args) -> Result<()> {
    let mapping = match &args.mapping {
        Some(path) => read_mapping(path)?,
        None => Mapping::identity("VX_COVID"),
    };
    let unit = store
        .unit(args.unit.trim())
        .await?
        .with_context(|| format!("no unit {}", args.unit.trim()))?;
    let mut units = vec![unit.clone()];
    units.extend(store.children(Some(&unit.code)).await?);
    let figures = store
        .period_figures(&unit, &units, args.period.start(), args.period.end())
        .await?;
    let set = vx_exchange::data_value_set(&mapping, args.period, &figures);
    let text = if args.adx {
        vx_exchange::adx(&set, args.period, chrono::Utc::now())?
    } else {
        serde_json::to_string_pretty(&set)? + "\n"
    };
    if let Some(server) = &args.push {
        let credentials = match (
            std::env::var("DHIS2_TOKEN").ok().filter(|t| !t.is_empty()),
            std::env::var("DHIS2_USERNAME").ok().filter(|u| !u.is_empty()),
        ) {
            (Some(token), _) => vx_web::Dhis2Credentials::Token(token),
            (None, Some(user)) => vx_web::Dhis2Credentials::Basic(
                user,
                std::env::var("DHIS2_PASSWORD").unwrap_or_default(),
            ),
            (None, None) => bail!(
                "not sent: give the server's credentials in DHIS2_TOKEN (a personal access token), or DHIS2_USERNAME and DHIS2_PASSWORD"
            ),
        };
        let report =
            vx_web::push_dhis2(server, &set, &text, args.adx, args.dry_run, &credentials).await?;
        eprintln!("{report}");
    }
    match &args.out {
        None if args.push.is_some() => {}
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "{} data values of {} units for {} ({}) written to {}",
                set.data_values.len(),
                units.len(),
                args.period,
                args.period.dhis2(),
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(())
}
