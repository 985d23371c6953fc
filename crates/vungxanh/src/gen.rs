//! `vungxanh gen`: deterministic synthetic data in the interchange formats.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use vx_gen::{CommuneSpec, GenConfig};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scale {
    /// Phước Thạnh commune (28846), Châu Thành: 8,000 people (smoke tests).
    Commune,
    /// Châu Thành district (831), Bến Tre: 21 communes, 160,000 people.
    District,
    /// Bến Tre province (83): 9 districts, 1.29 million people.
    Province,
    /// Vietnam (2021 list): 10,599 communes and their generated hamlets, 98 million people
    /// as per-hamlet daily case counts and facts, not as a registry.
    National,
}

#[derive(Args)]
pub struct GenArgs {
    #[arg(long, value_enum, default_value = "district")]
    pub scale: Scale,
    #[arg(long, default_value_t = 2021)]
    pub seed: u64,
    /// Folder to write into: units.csv (hamlets), households.csv, people.csv,
    /// vaccinations.csv, samples.csv and results.csv (one screening round); at national
    /// scale units.csv, daily_counts.csv and unit_facts.csv.
    #[arg(long)]
    pub out: PathBuf,
}

/// The communes of the built-in 2021 list under a district or province code, or that
/// commune itself (`""`: all).
pub fn communes_under(code: &str) -> Result<Vec<CommuneSpec>> {
    let mut districts = std::collections::HashMap::new();
    let mut reader = csv::Reader::from_reader(crate::import::UNITS_2021);
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.context("built-in unit list")?;
        let (unit, parent, level, kind, name) = (&row[0], &row[1], &row[2], &row[3], &row[4]);
        match level {
            "district" => {
                districts.insert(unit.to_string(), parent.to_string());
            }
            "commune" => {
                let province = districts.get(parent).map(String::as_str);
                if code.is_empty() || unit == code || parent == code || province == Some(code) {
                    out.push(CommuneSpec {
                        code: unit.to_string(),
                        name: name.to_string(),
                        kind: kind.to_string(),
                        district_code: parent.to_string(),
                    });
                }
            }
            _ => {}
        }
    }
    if out.is_empty() {
        bail!("no communes under {code} in the built-in 2021 list");
    }
    Ok(out)
}

pub fn scale_config(scale: Scale, seed: u64) -> (&'static str, GenConfig) {
    match scale {
        Scale::Commune => (
            "28846",
            GenConfig {
                seed,
                people_target: 8_000,
            },
        ),
        Scale::District => (
            "831",
            GenConfig {
                seed,
                people_target: 160_000,
            },
        ),
        Scale::Province => (
            "83",
            GenConfig {
                seed,
                people_target: 1_290_000,
            },
        ),
        Scale::National => (
            "",
            GenConfig {
                seed,
                people_target: 98_000_000,
            },
        ),
    }
}

pub fn run(args: GenArgs) -> Result<()> {
    let started = Instant::now();
    let (code, cfg) = scale_config(args.scale, args.seed);
    let communes = communes_under(code)?;
    let hamlets = vx_gen::hamlets(&communes, &cfg);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let create = |name: &str| -> Result<BufWriter<File>> {
        let path = args.out.join(name);
        Ok(BufWriter::new(File::create(&path).with_context(|| {
            format!("cannot create {}", path.display())
        })?))
    };
    vx_gen::write_units_csv(create("units.csv")?, &hamlets)?;
    if args.scale == Scale::National {
        let district: std::collections::HashMap<&str, &str> = communes
            .iter()
            .map(|c| (c.code.as_str(), c.district_code.as_str()))
            .collect();
        let keys: Vec<&str> = hamlets
            .iter()
            .map(|h| district[h.parent_code.as_str()])
            .collect();
        let counts = vx_gen::national::daily_counts(&hamlets, &keys, args.seed, NATIONAL_DAYS);
        vx_gen::national::write_daily_counts_csv(
            create("daily_counts.csv")?,
            &hamlets,
            &counts,
            national_from(),
        )?;
        let facts = vx_gen::national::hamlet_facts(&hamlets, args.seed);
        vx_gen::national::write_facts_csv(create("unit_facts.csv")?, &hamlets, &facts)?;
        println!(
            "wrote {} communes' {} hamlets, {} hamlet-days with cases ({} days from {}) and \
             their facts to {} in {:.2} s",
            communes.len(),
            hamlets.len(),
            counts.len(),
            NATIONAL_DAYS,
            national_from(),
            args.out.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let (households, people) = vx_gen::write_registry_csv(
        create("households.csv")?,
        create("people.csv")?,
        &hamlets,
        &cfg,
    )?;
    let doses = vx_gen::round::write_vaccinations_csv(create("vaccinations.csv")?, &hamlets, &cfg)?;
    let round = vx_gen::round::write_round_csv(
        create("samples.csv")?,
        create("results.csv")?,
        &hamlets,
        &cfg,
        &vx_gen::round::RoundSpec::september_2021(1, ROUND_DAY),
    )?;
    println!(
        "wrote {} communes' {} hamlets, {households} households, {people} people, {doses} \
         vaccination doses and a screening round on {ROUND_DAY} ({} pooled samples of {} \
         people, {} positive) to {} in {:.2} s",
        communes.len(),
        hamlets.len(),
        round.samples,
        round.members,
        round.positives,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The day of the generated screening round.
pub const ROUND_DAY: &str = "2021-09-12";
/// Days of national daily counts, from [`national_from`].
pub const NATIONAL_DAYS: u16 = 90;

/// First day of national daily counts: 2021-08-01.
pub fn national_from() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2021, 8, 1).expect("date")
}
