//! `vungxanh bench`: measured figures beside their baselines, on SQLite and PostgreSQL.
//! Prints a Markdown table for BENCHMARKS.md. No timing is asserted anywhere.

use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use vx_domain::Located;
use vx_store::Store;

use crate::gen::{communes_under, scale_config, Scale};
use crate::import::{import, CommonArgs, Kind, Source};

#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchWhat,
}

#[derive(Subcommand)]
enum BenchWhat {
    /// Registry import (households, people) through vungxanh's importer, beside the same
    /// rows loaded by the database's own bulk path (COPY; one transaction of prepared inserts).
    Import {
        #[arg(long, value_enum, default_value = "district")]
        scale: Scale,
        #[arg(long, default_value_t = 2021)]
        seed: u64,
        /// PostgreSQL server to create a scratch database on.
        #[arg(
            long,
            env = "VX_TEST_POSTGRES",
            default_value = "postgres://postgres@127.0.0.1:5432/test"
        )]
        postgres: String,
        /// SQLite only.
        #[arg(long)]
        no_postgres: bool,
    },
}

struct Data {
    units: Vec<u8>,
    households: Vec<u8>,
    people: Vec<u8>,
}

pub async fn run(args: BenchArgs) -> Result<()> {
    match args.what {
        BenchWhat::Import {
            scale,
            seed,
            postgres,
            no_postgres,
        } => {
            let (code, cfg) = scale_config(scale, seed);
            let hamlets = vx_gen::hamlets(&communes_under(code)?, &cfg);
            let mut data = Data {
                units: Vec::new(),
                households: Vec::new(),
                people: Vec::new(),
            };
            vx_gen::write_units_csv(&mut data.units, &hamlets)?;
            vx_gen::write_registry_csv(&mut data.households, &mut data.people, &hamlets, &cfg)?;
            println!("| backend | step | rows | seconds | rows/s | baseline rows/s | ratio |");
            println!("|---|---|---:|---:|---:|---:|---:|");
            let dir = tempfile::tempdir()?;
            let sqlite = crate::sqlite_url(dir.path());
            bench_import("SQLite", &sqlite, &data).await?;
            if !no_postgres {
                let name = format!("vx_bench_{}", std::process::id());
                let url = vx_store::admin::create_postgres_database(&postgres, &name)
                    .await
                    .context("creating a scratch PostgreSQL database (or pass --no-postgres)")?;
                let result = bench_import("PostgreSQL", &url, &data).await;
                vx_store::admin::drop_postgres_database(&postgres, &name).await?;
                result?;
            }
            Ok(())
        }
    }
}

async fn bench_import(backend: &str, url: &str, data: &Data) -> Result<()> {
    let store = crate::open(url).await?;
    let quiet = CommonArgs {
        actor: "bench".into(),
        ..Default::default()
    };
    let line = |step: &str, rows: u64, secs: f64, baseline: Option<f64>| {
        let rate = rows as f64 / secs.max(1e-9);
        match baseline {
            Some(b) => println!(
                "| {backend} | {step} | {rows} | {secs:.2} | {rate:.0} | {b:.0} | {:.2} |",
                rate / b
            ),
            None => println!("| {backend} | {step} | {rows} | {secs:.2} | {rate:.0} | | |"),
        }
    };
    let r = import(
        &store,
        Kind::Units { valid_from: None },
        &Source::builtin_2021(),
        &quiet,
    )
    .await?;
    line("units (official 2021 list)", r.rows, r.seconds, None);
    let r = import(
        &store,
        Kind::Units { valid_from: None },
        &Source::Bytes("hamlets.csv".into(), data.units.clone().into()),
        &quiet,
    )
    .await?;
    line("units (hamlets)", r.rows, r.seconds, None);
    let r = import(
        &store,
        Kind::Households,
        &Source::Bytes("households.csv".into(), data.households.clone().into()),
        &quiet,
    )
    .await?;
    line("households", r.rows, r.seconds, None);
    let people = import(
        &store,
        Kind::People,
        &Source::Bytes("people.csv".into(), data.people.clone().into()),
        &quiet,
    )
    .await?;
    let again = import(
        &store,
        Kind::People,
        &Source::Bytes("people.csv".into(), data.people.clone().into()),
        &quiet,
    )
    .await?;

    // Baseline: the same rows, already parsed and resolved, by the database's bulk path.
    let baseline = raw_people(&store, &data.people).await?;
    line(
        "people: import (parse, check, match, write)",
        people.rows,
        people.seconds,
        Some(baseline),
    );
    line(
        "people: same file again (nothing changes)",
        again.rows,
        again.seconds,
        None,
    );
    store.close().await;
    Ok(())
}

/// Rows per second of the raw bulk load of the people file.
async fn raw_people(store: &Store, csv: &[u8]) -> Result<f64> {
    let table = vx_import::read_table_from_bytes("people.csv", csv)?;
    let parsed = vx_import::parse_people(&table, vx_domain::vn_date(chrono::Utc::now()))?;
    let ids = store.bench_household_ids().await?;
    let rows: Vec<(i64, i64, vx_domain::NewPerson)> = parsed
        .rows
        .into_iter()
        .map(|Located { value, .. }| {
            let (hh, unit) = ids[value.household_code.as_str()];
            (hh, unit, value)
        })
        .collect();
    store.bench_delete_people().await?;
    let started = Instant::now();
    store.bench_raw_load_people(&rows).await?;
    Ok(rows.len() as f64 / started.elapsed().as_secs_f64())
}
