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
    /// Châu Thành district (831), Bến Tre: 21 communes, 160,000 people.
    District,
    /// Bến Tre province (83): 9 districts, 1.29 million people.
    Province,
}

#[derive(Args)]
pub struct GenArgs {
    #[arg(long, value_enum, default_value = "district")]
    pub scale: Scale,
    #[arg(long, default_value_t = 2021)]
    pub seed: u64,
    /// Folder to write units.csv (hamlets), households.csv and people.csv into.
    #[arg(long)]
    pub out: PathBuf,
}

/// The communes of the built-in 2021 list under a district or province code.
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
                if parent == code || province == Some(code) {
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
    let (households, people) = vx_gen::write_registry_csv(
        create("households.csv")?,
        create("people.csv")?,
        &hamlets,
        &cfg,
    )?;
    println!(
        "wrote {} communes' {} hamlets, {households} households and {people} people to {} in {:.2} s",
        communes.len(),
        hamlets.len(),
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
