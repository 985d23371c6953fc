//! `vungxanh demo`: Châu Thành district (Bến Tre) in August–September 2021, with synthetic
//! households and people, one user per role, served on 127.0.0.1:8080. The database is
//! created once under the data folder and reused on the next run.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use vx_domain::{Role, UnitCode};
use vx_store::{Actor, NewUser, Store};

use crate::gen::{communes_under, scale_config, Scale};
use crate::import::{import, CommonArgs, Kind, Source};
use crate::progress::Step;

#[derive(Args)]
pub struct DemoArgs {
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Where the demo database lives.
    #[arg(long, default_value = "data/demo")]
    pub data_dir: PathBuf,
    #[arg(long, default_value_t = 2021)]
    pub seed: u64,
    /// Build the demo database anew even if one exists.
    #[arg(long)]
    pub fresh: bool,
    /// Build the database, then exit instead of serving.
    #[arg(long)]
    pub no_serve: bool,
    /// Serve as of this day (YYYY-MM-DD), the story's day by default (12-9-2021, the day
    /// of the article); `today` for the real clock.
    #[arg(long, value_name = "DATE", default_value = DEMO_DAY, value_parser = crate::parse_as_of)]
    pub as_of: crate::AsOf,
}

/// The demo's day: Châu Thành on 12 September 2021.
pub const DEMO_DAY: &str = "2021-09-12";

/// The demo's users: one per role, all with the password [`DEMO_PASSWORD`].
pub const DEMO_USERS: &[(&str, &str, Role, &[&str])] = &[
    ("admin", "Quản trị hệ thống", Role::Admin, &[]),
    ("tinh.bentre", "Sở Y tế Bến Tre", Role::Province, &["83"]),
    (
        "huyen.chauthanh",
        "BCĐ huyện Châu Thành",
        Role::District,
        &["831"],
    ),
    (
        "xa.phuocthanh",
        "Trạm Y tế xã Phước Thạnh",
        Role::Commune,
        &["28846"],
    ),
    (
        "xa.tanthach",
        "Trạm Y tế xã Tân Thạch",
        Role::Commune,
        &["28804"],
    ),
    (
        "ap1.phuocthanh",
        "Tổ COVID ấp 1, Phước Thạnh",
        Role::Hamlet,
        &["2884601"],
    ),
    (
        "xetnghiem.chauthanh",
        "Phòng xét nghiệm TTYT Châu Thành",
        Role::Laboratory,
        &["831"],
    ),
];
pub const DEMO_PASSWORD: &str = "vungxanh2021";

pub async fn run(args: DemoArgs) -> Result<()> {
    let started = Instant::now();
    let db_file = args.data_dir.join("vungxanh.sqlite");
    if args.fresh {
        for suffix in ["", "-wal", "-shm"] {
            let f = PathBuf::from(format!("{}{suffix}", db_file.display()));
            if f.exists() {
                std::fs::remove_file(&f)
                    .with_context(|| format!("cannot remove {}", f.display()))?;
            }
        }
    }
    let url = crate::sqlite_url(&args.data_dir);
    let store = crate::open(&url).await?;
    let built = if store.user_by_username("admin").await?.is_some() {
        println!("reusing the demo database {}", db_file.display());
        false
    } else {
        seed(&store, args.seed).await?;
        true
    };
    println!("demo ready in {:.1} s", started.elapsed().as_secs_f64());
    println!("users (password: {DEMO_PASSWORD}):");
    for (username, name, role, scope) in DEMO_USERS {
        println!(
            "  {username:<22} {:<11} {:<7} {name}",
            role.as_str(),
            scope.join(",")
        );
    }
    if args.no_serve {
        return Ok(());
    }
    if let Some(day) = args.as_of.0 {
        println!("serving as of {day} (--as-of today for the real clock)");
    }
    if built {
        // Serve from a fresh process: the build's memory (the registry and the outbreak in
        // memory, the connections' page caches, the allocator's free lists) stays behind.
        store.close().await;
        std::io::Write::flush(&mut std::io::stdout()).ok();
        return serve_afresh(&url, &args);
    }
    let config = vx_web::WebConfig {
        as_of: args.as_of.0,
        ..Default::default()
    };
    crate::serve(store, args.bind, config).await
}

/// Replaces this process by `vungxanh serve` on the demo database (Unix); elsewhere serves
/// from this process.
fn serve_afresh(url: &str, args: &DemoArgs) -> Result<()> {
    let exe = std::env::current_exe().context("finding the vungxanh binary")?;
    let as_of = args
        .as_of
        .0
        .map_or_else(|| "today".to_string(), |d| d.to_string());
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["--database", url, "serve", "--bind"])
        .arg(args.bind.to_string())
        .args(["--as-of", &as_of]);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = cmd.exec(); // returns only on failure
        Err(err).context("starting vungxanh serve for the demo")
    }
    #[cfg(not(unix))]
    {
        let status = cmd
            .status()
            .context("starting vungxanh serve for the demo")?;
        anyhow::ensure!(status.success(), "vungxanh serve ended with {status}");
        Ok(())
    }
}

async fn seed(store: &Store, seed: u64) -> Result<()> {
    println!("building the demo database (seed {seed})…");
    let quiet = CommonArgs {
        actor: "demo".into(),
        ..Default::default()
    };

    let t = Step::new("official units of 2021", 0);
    import(
        store,
        Kind::Units { valid_from: None },
        &Source::builtin_2021(),
        &quiet,
    )
    .await?;
    t.done("official units of 2021: 63 provinces, 705 districts, 10,599 communes");

    let t = Step::new("generating the registry", 0);
    let (district, cfg) = scale_config(Scale::District, seed);
    let communes = communes_under(district)?;
    let hamlets = vx_gen::hamlets(&communes, &cfg);
    let mut units_csv = Vec::new();
    vx_gen::write_units_csv(&mut units_csv, &hamlets)?;
    let (mut households_csv, mut people_csv) = (Vec::new(), Vec::new());
    let (households, people) =
        vx_gen::write_registry_csv(&mut households_csv, &mut people_csv, &hamlets, &cfg)?;
    t.done(&format!(
        "generated {} hamlets, {households} households, {people} people",
        hamlets.len()
    ));

    for (kind, name, bytes) in [
        (Kind::Units { valid_from: None }, "hamlets.csv", units_csv),
        (Kind::Households, "households.csv", households_csv),
        (Kind::People, "people.csv", people_csv),
    ] {
        let t = Step::new(&format!("importing {name}"), 0);
        let r = import(
            store,
            kind,
            &Source::Bytes(name.into(), bytes.into()),
            &quiet,
        )
        .await?;
        t.done(&format!(
            "imported {name}: {} rows ({:.0} rows/s)",
            r.rows,
            r.rows as f64 / r.seconds.max(1e-9)
        ));
    }

    let t = Step::new("users", DEMO_USERS.len() as u64);
    let hash = vx_web::hash_password(DEMO_PASSWORD);
    for (username, name, role, scope) in DEMO_USERS {
        store
            .create_user(
                &Actor::system("demo"),
                &NewUser {
                    username: username.to_string(),
                    display_name: name.to_string(),
                    password_hash: hash.clone(),
                    role: *role,
                    scope: scope
                        .iter()
                        .map(|c| UnitCode::parse(c).expect("demo codes"))
                        .collect(),
                },
            )
            .await
            .with_context(|| format!("demo user {username}"))?;
        t.inc(1);
    }
    t.done("users");

    let t = Instant::now();
    crate::demo_outbreak::seed(store, seed).await?;
    println!(
        "  outbreak of Aug–Oct 2021 ({:.2} s)",
        t.elapsed().as_secs_f64()
    );
    crate::demo_zones::seed(store).await?; // zone status: heads, levels, target, green zones

    let t = Step::new("operations", 0);
    t.done(&crate::demo_ops::seed(store).await?);

    let t = Step::new("situation room", 0);
    crate::demo_situation::seed(store).await?;
    t.done("situation room: schematic boundaries, announcements");
    Ok(())
}
