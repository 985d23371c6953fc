//! `vungxanh import units|households|people FILE`: read, check every row, then write all or
//! nothing (unless `--skip-bad-rows`), and say what happened.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::Subcommand;
use sha2::{Digest, Sha256};
use vx_domain::RowProblem;

pub use crate::import_args::CommonArgs;
use crate::import_args::{print_problems, say_totals_row};
use vx_store::{Actor, ImportOptions, ImportSummary, Store, StoreError};

/// The official lists shipped in the binary (codes of the General Statistics Office).
pub const UNITS_2021: &[u8] = include_bytes!("../units/vn-admin-units-2021.csv");
pub const UNITS_2025: &[u8] = include_bytes!("../units/vn-admin-units-2025.csv");

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Administrative units (`code,parent_code,level,type,name,full_name[,population]`), also hamlets.
    Units {
        /// The file; omit with --builtin.
        file: Option<PathBuf>,
        /// Load an official list shipped with vungxanh: 2021 (63 provinces, 705 districts,
        /// 10,599 communes) or 2025 (34 provinces, 3,321 communes).
        #[arg(long, value_parser = ["2021", "2025"])]
        builtin: Option<String>,
        /// First day of validity of new or changed units (default: new units inherit their
        /// parent's; changed ones start today).
        #[arg(long)]
        valid_from: Option<NaiveDate>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Households (`household_code,unit_code,head_name,address,phone,poor,lost_income`).
    Households {
        file: PathBuf,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// People (`household_code,full_name,birth,sex,citizen_id,phone,relation`).
    People {
        file: PathBuf,
        #[command(flatten)]
        common: CommonArgs,
    },
    #[command(flatten)]
    Epi(crate::epi_cmd::EpiImport),
    #[command(flatten)]
    Zones(crate::zones_cmd::ZonesImport),
    #[command(flatten)]
    Situation(crate::boundaries_cmd::SituationImport),
}

/// What one import did.
#[derive(Debug, Default)]
pub struct Report {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
    /// Rows held for identity review (`vungxanh review identity`).
    pub held: u64,
    /// Of `updated`, people moved to another commune.
    pub moved: u64,
    /// What the file did not erase, said after the summary.
    pub kept_note: Option<String>,
    pub seconds: f64,
    pub dry_run: bool,
}

pub async fn run(store: &Store, cmd: ImportCommand) -> Result<()> {
    let (kind, report) = match cmd {
        ImportCommand::Units {
            file,
            builtin,
            valid_from,
            common,
        } => {
            let source = match (file, builtin.as_deref()) {
                (Some(f), None) => Source::File(f),
                (None, Some("2021")) => Source::builtin_2021(),
                (None, Some(_)) => {
                    Source::Bytes("vn-admin-units-2025.csv".into(), UNITS_2025.into())
                }
                _ => bail!("give either a FILE or --builtin 2021|2025"),
            };
            let valid_from = valid_from.or_else(|| {
                (builtin.as_deref() == Some("2025")).then(|| "2025-07-01".parse().expect("date"))
            });
            (
                "units",
                import(store, Kind::Units { valid_from }, &source, &common).await?,
            )
        }
        ImportCommand::Households { file, common } => (
            "households",
            import(store, Kind::Households, &Source::File(file), &common).await?,
        ),
        ImportCommand::Epi(cmd) => return crate::epi_cmd::import(store, cmd).await,
        ImportCommand::Zones(cmd) => return crate::zones_cmd::import(store, cmd).await,
        ImportCommand::Situation(cmd) => return crate::boundaries_cmd::import(store, cmd).await,
        ImportCommand::People { file, common } => (
            "people",
            import(store, Kind::People, &Source::File(file), &common).await?,
        ),
    };
    println!(
        "{kind}: {} rows — {} new, {} changed{}, {} unchanged, {} held, {} skipped ({:.2} s, {:.0} rows/s){}",
        report.rows,
        report.created,
        report.updated,
        if report.moved > 0 {
            format!(" ({} moved between communes)", report.moved)
        } else {
            String::new()
        },
        report.unchanged,
        report.held,
        report.skipped,
        report.seconds,
        report.rows as f64 / report.seconds.max(1e-9),
        if report.dry_run {
            " — dry run, nothing written"
        } else {
            ""
        },
    );
    if let Some(note) = &report.kept_note {
        println!("{kind}: {note}");
    }
    if report.held > 0 {
        println!(
            "{kind}: {} rows held for identity review: `vungxanh review identity list`, or /units/{{code}}/identity",
            report.held
        );
    }
    Ok(())
}

pub enum Source {
    File(PathBuf),
    /// A file's name and content, e.g. a built-in list or generated demo data.
    Bytes(String, std::borrow::Cow<'static, [u8]>),
}

impl Source {
    pub fn builtin_2021() -> Source {
        Source::Bytes("vn-admin-units-2021.csv".into(), UNITS_2021.into())
    }
}

#[derive(Clone, Copy)]
pub enum Kind {
    Units { valid_from: Option<NaiveDate> },
    Households,
    People,
}

/// Reads, checks and writes one file. Every problem of every row is reported; nothing is
/// written unless all rows are good or `--skip-bad-rows` is given.
pub async fn import(
    store: &Store,
    kind: Kind,
    source: &Source,
    args: &CommonArgs,
) -> Result<Report> {
    let started = Instant::now();
    let (name, bytes): (String, std::borrow::Cow<'_, [u8]>) = match source {
        Source::File(path) => (
            path.display().to_string(),
            std::fs::read(path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .into(),
        ),
        Source::Bytes(name, bytes) => (name.clone(), std::borrow::Cow::Borrowed(&bytes[..])),
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let table = vx_import::read_table_from_bytes(&name, &bytes)?;
    say_totals_row(&table);
    let today = vx_domain::vn_date(chrono::Utc::now());
    let (actor, access) = match &args.user {
        Some(username) => {
            let (user, _) = store
                .user_by_username(username)
                .await?
                .with_context(|| format!("no user {username:?} (see `vungxanh user list`)"))?;
            (user.actor(), Some(user.access()))
        }
        None => (Actor::system(&args.actor), None),
    };
    let skip = args.skip_bad_rows.is_some();
    let opts = ImportOptions {
        dry_run: args.dry_run,
        skip_bad_rows: skip,
        file_name: Path::new(&name)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.clone()),
        sha256,
        access,
        ..Default::default()
    };
    // With bad rows and no permission to skip them, still ask the store about the good
    // ones (a dry run) so that the user sees every problem in one go.
    let check_only = ImportOptions {
        dry_run: true,
        skip_bad_rows: true,
        ..opts.clone()
    };
    let mut problems: Vec<RowProblem>;
    let mut kept_note = None;
    let result = match kind {
        Kind::Units { valid_from } => {
            let parsed = vx_import::parse_units(&table)?;
            problems = parsed.problems;
            let o = if problems.is_empty() || skip {
                &opts
            } else {
                &check_only
            };
            store
                .import_units(&actor, parsed.rows, valid_from, o)
                .await
                .map(|s| ImportSummary {
                    created: s.created,
                    updated: s.updated + s.versioned,
                    unchanged: s.unchanged,
                    skipped: s.skipped,
                    ..Default::default()
                })
        }
        Kind::Households => {
            let parsed = vx_import::parse_households(&table)?;
            problems = parsed.problems.clone();
            kept_note = kept_note_of(&parsed, args.empty_clears);
            let kept = parsed.kept(args.empty_clears);
            let o = if problems.is_empty() || skip {
                &opts
            } else {
                &check_only
            };
            let o = ImportOptions { kept, ..o.clone() };
            store.import_households(&actor, parsed.rows, &o).await
        }
        Kind::People => {
            let parsed = vx_import::parse_people(&table, today)?;
            problems = parsed.problems.clone();
            kept_note = kept_note_of(&parsed, args.empty_clears);
            let kept = parsed.kept(args.empty_clears);
            let o = if problems.is_empty() || skip {
                &opts
            } else {
                &check_only
            };
            let o = ImportOptions { kept, ..o.clone() };
            store.import_people(&actor, parsed.rows, &o).await
        }
    };
    let summary = match result {
        Ok(mut s) => {
            problems.append(&mut s.skipped);
            s
        }
        Err(StoreError::Rows(more)) => {
            problems.extend(more);
            ImportSummary::default()
        }
        Err(e) => return Err(e).with_context(|| format!("importing {name}")),
    };
    problems.sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
    if !problems.is_empty() {
        if let Some(rejects) = &args.skip_bad_rows {
            vx_import::write_rejects(rejects, &table, &problems)
                .with_context(|| format!("cannot write {}", rejects.display()))?;
            eprintln!(
                "{name}: {} rows refused, written with their reasons to {}",
                count_rows(&problems),
                rejects.display()
            );
        } else {
            print_problems(&name, &problems, |line| eprintln!("{line}"));
            bail!(
                "{name}: {} of {} rows refused; nothing was imported (fix them, or use --skip-bad-rows FILE)",
                count_rows(&problems),
                table.rows.len()
            );
        }
    }
    print_problems(&name, &summary.held, |line| println!("{line}"));
    Ok(Report {
        rows: table.rows.len() as u64,
        created: summary.created,
        updated: summary.updated,
        unchanged: summary.unchanged,
        skipped: count_rows(&problems),
        held: summary.held.len() as u64,
        moved: summary.moved,
        kept_note: kept_note.filter(|_| summary.updated + summary.unchanged > 0 || args.dry_run),
        seconds: started.elapsed().as_secs_f64(),
        dry_run: args.dry_run,
    })
}

/// What a file leaves as stored: its missing optional columns, and its empty cells unless
/// `--empty-clears`.
fn kept_note_of<T>(parsed: &vx_import::Parsed<T>, empty_clears: bool) -> Option<String> {
    let mut parts = Vec::new();
    if !parsed.absent_columns.is_empty() {
        parts.push(format!(
            "columns not in the file keep their stored values ({})",
            parsed.absent_columns.join(", ")
        ));
    }
    let empty = parsed.empty_cells.len();
    if empty_clears && empty > 0 {
        parts.push(format!(
            "empty cells of {empty} rows erase the stored values (--empty-clears)"
        ));
    } else if empty > 0 {
        parts.push(format!(
            "empty cells of {empty} rows keep the stored values (--empty-clears to erase them)"
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn count_rows(problems: &[RowProblem]) -> u64 {
    let mut rows: Vec<u32> = problems.iter().map(|p| p.row).collect();
    rows.dedup();
    rows.len() as u64
}
