//! `vungxanh bench`: measured figures beside their baselines, on SQLite and PostgreSQL.
//! Prints Markdown tables for BENCHMARKS.md. No timing is asserted anywhere.
//!
//! `bench suite` runs everything of one scale in one process, so that every figure has its
//! baseline measured in the same run: registry import beside the raw load, a screening round
//! beside COPY / prepared inserts, classification beside SQL, HTTP beside `/healthz`.

mod classify;
pub mod http;
mod round;
mod sync;

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
    /// Everything at one scale, on SQLite then PostgreSQL: registry import, one screening
    /// round (samples, results), classification of the province for one day and 90 days
    /// (beside SQL), HTTP under 64 connections (beside /healthz) with the server's memory
    /// and start time; then classification at national scale from daily counts.
    Suite {
        /// commune (a smoke run), district or province.
        #[arg(long, value_enum, default_value = "province")]
        scale: Scale,
        #[arg(long, default_value_t = 2021)]
        seed: u64,
        #[arg(
            long,
            env = "VX_TEST_POSTGRES",
            default_value = "postgres://postgres@127.0.0.1:5432/test"
        )]
        postgres: String,
        /// SQLite only (no SQL baselines for classification).
        #[arg(long)]
        no_postgres: bool,
        /// Seconds of load per page (0: no HTTP part).
        #[arg(long, default_value_t = 10)]
        http_seconds: u32,
        /// Skip the national classification.
        #[arg(long)]
        no_national: bool,
        /// Days of the national replay (at most 90).
        #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u16).range(1..=90))]
        national_days: u16,
        /// Keep the SQLite database in DIR (`DIR/vungxanh.sqlite`) instead of a temporary
        /// one, to measure it again (`bench classify`, `serve`) without loading it again.
        #[arg(long, value_name = "DIR")]
        keep_sqlite: Option<std::path::PathBuf>,
    },
    /// Classification of a stored subtree (the global `--database`): one day and 90 days
    /// from the store (nothing stored), then 90 days computed and stored, each timed with
    /// its parts (loading the indicators, the engine).
    Classify {
        /// Root unit code.
        #[arg(long)]
        unit: String,
    },
    /// HTTP of a stored database (the global `--database`): `vungxanh serve` as a second
    /// process, `wrk` on `/healthz`, the status API and the dashboard of a unit, signed in as
    /// a user of that unit; with the server's start time and peak memory.
    Http {
        /// Unit code.
        #[arg(long)]
        unit: String,
        /// Seconds of load per page.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
    },
    /// Field sync of a stored database (the global `--database`; issue 18): a phone of a
    /// commune or hamlet pulls its scope from a server just started, pushes queued records
    /// in one request, pushes them again (receipts), pulls what changed since its cursor;
    /// `vungxanh serve` as a second process, curl as the phone.
    Sync {
        /// Commune or hamlet code.
        #[arg(long)]
        unit: String,
        /// Records queued on the phone (at most 1,000: one sync).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u16).range(1..=1000))]
        records: u16,
        /// The server's day (the demo's is 2021-09-12; default: today).
        #[arg(long, value_name = "DATE", value_parser = crate::parse_as_of)]
        as_of: Option<crate::AsOf>,
    },
}

/// One measured figure and, where there is one, its baseline.
pub struct Line {
    backend: String,
    step: String,
    rows: u64,
    secs: f64,
    baseline_rate: Option<f64>,
}

impl Line {
    pub fn new(backend: &str, step: &str, rows: u64, secs: f64) -> Line {
        Line {
            backend: backend.to_string(),
            step: step.to_string(),
            rows,
            secs,
            baseline_rate: None,
        }
    }
    /// The baseline's rows per second.
    pub fn beside(mut self, rate: f64) -> Line {
        self.baseline_rate = Some(rate);
        self
    }
    /// The baseline's seconds for the same rows, if measured.
    pub fn beside_secs(mut self, secs: Option<f64>, rows: u64) -> Line {
        self.baseline_rate = secs.map(|s| rows as f64 / s.max(1e-9));
        self
    }
}

/// Lines printed as they come, in one Markdown table.
#[derive(Default)]
pub struct Table {
    started: bool,
}

impl Table {
    pub fn push(&mut self, l: Line) {
        if !self.started {
            println!("| backend | step | rows | seconds | rows/s | baseline rows/s | ratio |");
            println!("|---|---|---:|---:|---:|---:|---:|");
            self.started = true;
        }
        let rate = l.rows as f64 / l.secs.max(1e-9);
        match l.baseline_rate {
            Some(b) => println!(
                "| {} | {} | {} | {:.3} | {rate:.0} | {b:.0} | {:.2} |",
                l.backend,
                l.step,
                l.rows,
                l.secs,
                rate / b
            ),
            None => println!(
                "| {} | {} | {} | {:.3} | {rate:.0} | | |",
                l.backend, l.step, l.rows, l.secs
            ),
        }
    }
}

struct Data {
    units: Vec<u8>,
    households: Vec<u8>,
    people: Vec<u8>,
}

pub async fn run(args: BenchArgs, database: &str) -> Result<()> {
    match args.what {
        BenchWhat::Suite {
            scale,
            seed,
            postgres,
            no_postgres,
            http_seconds,
            no_national,
            national_days,
            keep_sqlite,
        } => {
            suite(
                scale,
                seed,
                (!no_postgres).then_some(postgres.as_str()),
                http_seconds,
                (!no_national).then_some(national_days),
                keep_sqlite,
            )
            .await
        }
        BenchWhat::Classify { unit } => {
            let store = crate::open(database).await?;
            let mut table = Table::default();
            let backend = backend_name(&store);
            classify::province(backend, &store, &unit, &mut table).await?;
            store.close().await;
            Ok(())
        }
        BenchWhat::Http { unit, seconds } => {
            let store = crate::open(database).await?;
            let backend = backend_name(&store);
            let run = http_run(&store, database, &unit, seconds).await?;
            print_http(&[(backend.to_string(), run)]);
            Ok(())
        }
        BenchWhat::Sync {
            unit,
            records,
            as_of,
        } => {
            let store = crate::open(database).await?;
            let mut table = Table::default();
            let backend = backend_name(&store);
            let day = as_of.and_then(|a| a.0);
            sync::run(
                backend,
                &store,
                database,
                &unit,
                usize::from(records),
                day,
                &mut table,
            )
            .await?;
            store.close().await;
            Ok(())
        }
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
            let mut table = Table::default();
            let dir = tempfile::tempdir()?;
            let sqlite = crate::sqlite_url(dir.path());
            bench_import("SQLite", &sqlite, &data, &mut table).await?;
            if !no_postgres {
                let name = format!("vx_bench_{}", std::process::id());
                let url = vx_store::admin::create_postgres_database(&postgres, &name)
                    .await
                    .context("creating a scratch PostgreSQL database (or pass --no-postgres)")?;
                let result = bench_import("PostgreSQL", &url, &data, &mut table).await;
                vx_store::admin::drop_postgres_database(&postgres, &name).await?;
                result?;
            }
            Ok(())
        }
    }
}

async fn bench_import(backend: &str, url: &str, data: &Data, table: &mut Table) -> Result<()> {
    let store = crate::open(url).await?;
    bench_import_into(backend, &store, data, table).await?;
    store.close().await;
    Ok(())
}

/// Registry import into an empty store, then the raw bulk load of the same people.
async fn bench_import_into(
    backend: &str,
    store: &Store,
    data: &Data,
    table: &mut Table,
) -> Result<()> {
    let quiet = CommonArgs {
        actor: "bench".into(),
        ..Default::default()
    };
    let r = import(
        store,
        Kind::Units { valid_from: None },
        &Source::builtin_2021(),
        &quiet,
    )
    .await?;
    table.push(Line::new(
        backend,
        "units (official 2021 list)",
        r.rows,
        r.seconds,
    ));
    let r = import(
        store,
        Kind::Units { valid_from: None },
        &Source::Bytes("hamlets.csv".into(), data.units.clone().into()),
        &quiet,
    )
    .await?;
    table.push(Line::new(backend, "units (hamlets)", r.rows, r.seconds));
    let r = import(
        store,
        Kind::Households,
        &Source::Bytes("households.csv".into(), data.households.clone().into()),
        &quiet,
    )
    .await?;
    table.push(Line::new(backend, "households", r.rows, r.seconds));
    let people = import(
        store,
        Kind::People,
        &Source::Bytes("people.csv".into(), data.people.clone().into()),
        &quiet,
    )
    .await?;
    let again = import(
        store,
        Kind::People,
        &Source::Bytes("people.csv".into(), data.people.clone().into()),
        &quiet,
    )
    .await?;
    // Baseline: the same rows, already parsed and resolved, by the database's bulk path.
    let baseline = raw_people(store, &data.people).await?;
    table.push(
        Line::new(
            backend,
            "people: import (parse, check, match, write)",
            people.rows,
            people.seconds,
        )
        .beside(baseline),
    );
    table.push(Line::new(
        backend,
        "people: same file again (nothing changes)",
        again.rows,
        again.seconds,
    ));
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

/// A scratch PostgreSQL database for the length of `f`, dropped afterwards.
async fn with_scratch_postgres<F, Fut>(server: &str, what: &str, f: F) -> Result<()>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let name = format!("vx_bench_{what}_{}", std::process::id());
    let url = vx_store::admin::create_postgres_database(server, &name)
        .await
        .context("creating a scratch PostgreSQL database (or pass --no-postgres)")?;
    let result = f(url).await;
    vx_store::admin::drop_postgres_database(server, &name).await?;
    result
}

async fn suite(
    scale: Scale,
    seed: u64,
    postgres: Option<&str>,
    http_seconds: u32,
    national_days: Option<u16>,
    keep_sqlite: Option<std::path::PathBuf>,
) -> Result<()> {
    let started = Instant::now();
    let data = round::RoundData::generate(scale, seed)?;
    let cases = classify::province_cases(scale, seed)?;
    let (code, cfg) = scale_config(scale, seed);
    let hamlets = vx_gen::hamlets(&communes_under(code)?, &cfg);
    let mut vaccinations = Vec::new();
    vx_gen::round::write_vaccinations_csv(&mut vaccinations, &hamlets, &cfg)?;
    eprintln!(
        "generated {} people's registry, a round of {} samples ({} people), {} case-days, in {:.1} s",
        data.people.iter().filter(|&&b| b == b'\n').count().saturating_sub(1),
        data.counts.samples,
        data.counts.members,
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    let mut table = Table::default();
    let mut http_lines = Vec::new();
    let dir = tempfile::tempdir()?;
    let sqlite = match &keep_sqlite {
        Some(keep) => {
            std::fs::create_dir_all(keep)
                .with_context(|| format!("creating {}", keep.display()))?;
            let url = crate::sqlite_url(keep);
            anyhow::ensure!(
                !keep.join("vungxanh.sqlite").exists(),
                "{} holds a database already: the suite starts from an empty one",
                keep.display()
            );
            url
        }
        None => crate::sqlite_url(dir.path()),
    };
    let mut backends = vec![("SQLite".to_string(), sqlite.clone())];
    let scratch = format!("vx_bench_suite_{}", std::process::id());
    if let Some(server) = postgres {
        let url = vx_store::admin::create_postgres_database(server, &scratch)
            .await
            .context("creating a scratch PostgreSQL database (or pass --no-postgres)")?;
        backends.push(("PostgreSQL".to_string(), url));
    }
    let mut result = Ok(());
    for (backend, url) in &backends {
        result = suite_backend(
            backend,
            url,
            code,
            &data,
            &vaccinations,
            &cases,
            http_seconds,
            &mut table,
            &mut http_lines,
        )
        .await;
        if result.is_err() {
            break;
        }
    }
    if let Some(server) = postgres {
        vx_store::admin::drop_postgres_database(server, &scratch).await?;
    }
    result?;
    if let Some(days) = national_days {
        let n = classify::National::generate(seed)?;
        match postgres {
            Some(server) => {
                with_scratch_postgres(server, "national", |url| async move {
                    let store = crate::open(&url).await?;
                    classify::load_national_sql(&store, &n).await?;
                    classify::national(&n, days, Some(&store), &mut table).await?;
                    store.close().await;
                    Ok(())
                })
                .await?
            }
            None => classify::national(&n, days, None, &mut table).await?,
        }
    }
    print_http(&http_lines);
    eprintln!("suite done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The backend's name in the tables.
fn backend_name(store: &Store) -> &'static str {
    match store.backend() {
        vx_store::Backend::Sqlite => "SQLite",
        vx_store::Backend::Postgres => "PostgreSQL",
    }
}

/// Signs a user of `code` in, closes `store` and loads `/healthz`, the status API and the
/// dashboard of `code` on a server of `url` started for it, then the dashboard of the day
/// before cold (first paint under load: nobody has opened that day in this server).
async fn http_run(store: &Store, url: &str, code: &str, seconds: u32) -> Result<http::HttpRun> {
    let cookie = http::viewer(store, code).await?;
    store.close().await;
    let day = classify::one_day();
    let cold_day = day.pred_opt().unwrap_or(day);
    let page = |path: String, cold: bool| http::Page { path, cold };
    let paths = vec![
        page("/healthz".to_string(), false),
        page(format!("/api/v1/units/{code}/status?date={day}"), false),
        page(format!("/units/{code}/dashboard?date={day}"), false),
        page(format!("/units/{code}/dashboard?date={cold_day}"), true),
    ];
    let url = url.to_string();
    tokio::task::spawn_blocking(move || http::run(&url, &cookie, &paths, seconds)).await?
}

/// The HTTP tables: each page beside `/healthz`, then the server's start and memory.
fn print_http(http_lines: &[(String, http::HttpRun)]) {
    if !http_lines.is_empty() {
        println!();
        println!("| backend | page | requests/s | p50 ms | p99 ms | non-2xx | /healthz requests/s | ratio |");
        println!("|---|---|---:|---:|---:|---:|---:|---:|");
        for (backend, run) in http_lines {
            let run: &http::HttpRun = run;
            let base = run.loads[0].requests_per_sec;
            for l in &run.loads {
                println!(
                    "| {backend} | `{}`{} | {:.0} | {:.2} | {:.2} | {} | {base:.0} | {:.2} |",
                    l.path,
                    if l.cold { " (cold)" } else { "" },
                    l.requests_per_sec,
                    l.p50_ms,
                    l.p99_ms,
                    l.non_2xx,
                    l.requests_per_sec / base
                );
            }
        }
        println!();
        println!("| backend | server ready after start | peak memory (VmHWM) |");
        println!("|---|---:|---:|");
        for (backend, run) in http_lines {
            println!(
                "| {backend} | {:.3} s | {:.1} MiB |",
                run.ready_secs, run.peak_mib
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn suite_backend(
    backend: &str,
    url: &str,
    code: &str,
    data: &round::RoundData,
    vaccinations: &[u8],
    cases: &[vx_store::bench::CaseCount],
    http_seconds: u32,
    table: &mut Table,
    http_lines: &mut Vec<(String, http::HttpRun)>,
) -> Result<()> {
    let store = crate::open(url).await?;
    let registry = Data {
        units: data.units.clone(),
        households: data.households.clone(),
        people: data.people.clone(),
    };
    bench_import_into(backend, &store, &registry, table).await?;
    round::run(backend, &store, data, table).await?;
    // Vaccinations and cases: the rest of the data classification reads.
    let started = Instant::now();
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("vaccinations.csv");
    std::fs::write(&file, vaccinations)?;
    crate::zones_cmd::import(
        &store,
        crate::zones_cmd::ZonesImport::Vaccinations {
            file,
            dry_run: false,
            actor: "bench".into(),
        },
    )
    .await?;
    let doses = vaccinations.iter().filter(|&&b| b == b'\n').count() as u64 - 1;
    table.push(Line::new(
        backend,
        "vaccinations import (1 row a dose)",
        doses,
        started.elapsed().as_secs_f64(),
    ));
    let n = store.bench_insert_cases(cases).await?;
    eprintln!("{backend}: {n} cases added for classification");
    classify::province(backend, &store, code, table).await?;
    if http_seconds > 0 {
        let run = http_run(&store, url, code, http_seconds).await?;
        http_lines.push((backend.to_string(), run));
    } else {
        store.close().await;
    }
    Ok(())
}
