//! `vungxanh`: the one binary. Parses the command line and hands over to the library
//! crates; errors become `anyhow` reports with context.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

mod bench;
mod boundaries_cmd;
mod demo;
mod demo_ops;
mod demo_outbreak;
mod demo_situation;
mod demo_zones;
mod epi_cmd;
mod export_cmd;
mod gen;
mod import;
mod import_args;
mod progress;
mod report_cmd;
mod review_cmd;
#[cfg(test)]
mod tidy;
mod users;
mod zones_cmd;

/// vùng xanh — epidemic-response operations for local government.
#[derive(Parser)]
#[command(name = "vungxanh", version, about, long_about = None)]
struct Cli {
    /// Database URL: sqlite://PATH (embedded, the default) or postgres://USER@HOST:PORT/DB.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://data/vungxanh.sqlite"
    )]
    database: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web pages and the API.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Mark cookies Secure and send Strict-Transport-Security (behind HTTPS).
        #[arg(long)]
        secure_cookies: bool,
        /// A reverse proxy (an address or a network, e.g. 10.0.0.0/8) whose
        /// X-Forwarded-For names the client, for the failed-login back-off and the logs.
        /// Repeat for several. The proxy must pass the Host header through.
        #[arg(long = "trust-proxy", value_name = "CIDR", value_parser = vx_web::parse_proxy)]
        trust_proxy: Vec<vx_web::IpNet>,
        /// The DHIS2 mapping of /api/v1/exchange/dhis2/dataValueSets (TOML; see
        /// docs/exchange.md). Default: every indicator as VX_<NAME>, units by their code.
        #[arg(long, value_name = "FILE")]
        dhis2_mapping: Option<std::path::PathBuf>,
        /// Serve as of this day (YYYY-MM-DD; training, replays): pages and the API show it
        /// when no date is asked for, and the header names it. Default: today in Vietnam.
        #[arg(long, value_name = "DATE", value_parser = parse_as_of)]
        as_of: Option<AsOf>,
    },
    /// Apply the database migrations (serve and import do it too).
    Migrate,
    /// Import units, households or people from CSV or XLSX.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Manage users.
    #[command(subcommand)]
    User(users::UserCommand),
    /// Manage API tokens for machine clients (laboratories).
    #[command(subcommand)]
    Token(users::TokenCommand),
    /// Sign-in sessions: end every session of a user (a lost phone).
    #[command(subcommand)]
    Session(users::SessionCommand),
    /// Create (once) and serve a demo: Châu Thành district, Bến Tre, Aug–Sep 2021, synthetic people.
    Demo(demo::DemoArgs),
    /// Write deterministic synthetic data in the interchange formats.
    Gen(gen::GenArgs),
    /// Measure, beside baselines, on SQLite and PostgreSQL (see BENCHMARKS.md).
    Bench(bench::BenchArgs),
    /// Compute and store zone levels of every unit of a subtree for every day, with reasons.
    Classify(zones_cmd::ClassifyArgs),
    /// Rule sets: check a file, simulate another rule set over a past period, list.
    #[command(subcommand)]
    Rules(zones_cmd::RulesCommand),
    /// Reports: the daily report of a unit and its children (XLSX or CSV).
    #[command(subcommand)]
    Report(report_cmd::ReportCommand),
    /// Reviews: import rows held for identity review (list, settle); duplicate people (list,
    /// merge, undo, dismiss).
    #[command(subcommand)]
    Review(review_cmd::ReviewCommand),
    /// Exchange: a unit's figures as DHIS2 data values (dataValueSets JSON or ADX).
    #[command(subcommand)]
    Export(export_cmd::ExportCommand),
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(run(cli))
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve {
            bind,
            secure_cookies,
            trust_proxy,
            dhis2_mapping,
            as_of,
        } => {
            let dhis2_mapping = match &dhis2_mapping {
                Some(path) => Some(std::sync::Arc::new(export_cmd::read_mapping(path)?)),
                None => None,
            };
            let store = open(&cli.database).await?;
            let config = vx_web::WebConfig {
                dhis2_mapping,
                secure_cookies,
                trusted_proxies: trust_proxy,
                as_of: as_of.and_then(|a| a.0),
                ..Default::default()
            };
            serve(store, bind, config).await
        }
        Command::Migrate => {
            open(&cli.database).await?;
            println!("migrated {}", vx_store::redact_url(&cli.database));
            Ok(())
        }
        Command::Import(cmd) => {
            let store = open(&cli.database).await?;
            import::run(&store, cmd).await
        }
        Command::User(cmd) => users::user(&open(&cli.database).await?, cmd).await,
        Command::Token(cmd) => users::token(&open(&cli.database).await?, cmd).await,
        Command::Session(cmd) => users::session(&open(&cli.database).await?, cmd).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Gen(args) => gen::run(args),
        Command::Bench(args) => bench::run(args, &cli.database).await,
        Command::Classify(args) => zones_cmd::classify(&open(&cli.database).await?, args).await,
        Command::Rules(cmd) => zones_cmd::rules(&cli.database, cmd).await,
        Command::Report(cmd) => report_cmd::run(&open(&cli.database).await?, cmd).await,
        Command::Review(cmd) => review_cmd::run(&open(&cli.database).await?, cmd).await,
        Command::Export(cmd) => export_cmd::run(&open(&cli.database).await?, cmd).await,
    }
}

/// Opens and migrates the database.
pub(crate) async fn open(url: &str) -> Result<vx_store::Store> {
    let store = vx_store::Store::connect(url).await?;
    store
        .migrate()
        .await
        .with_context(|| format!("migrating {}", vx_store::redact_url(url)))?;
    Ok(store)
}

pub(crate) async fn serve(
    store: vx_store::Store,
    bind: SocketAddr,
    config: vx_web::WebConfig,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    println!("vungxanh is serving on http://{addr}/");
    vx_web::serve(listener, store, config)
        .await
        .context("server failed")
}

/// A `--as-of` value: a day, or `today` (no fixed day).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AsOf(pub Option<chrono::NaiveDate>);

pub(crate) fn parse_as_of(s: &str) -> Result<AsOf, String> {
    match s.trim() {
        "today" => Ok(AsOf(None)),
        d => d
            .parse()
            .map(|d| AsOf(Some(d)))
            .map_err(|_| format!("{d:?} is not a day (YYYY-MM-DD) nor \"today\"")),
    }
}

/// The data folder given on the command line, as a SQLite URL.
pub(crate) fn sqlite_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}", dir.join("vungxanh.sqlite").display())
}
