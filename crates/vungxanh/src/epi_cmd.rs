//! Commands of the epidemiological record (issue 3): `import samples`, `import results`.
//!
//! Same contract as `import people`: every problem of every row is reported as
//! `FILE: row R, column C: …`; nothing is written unless all rows are good or
//! `--skip-bad-rows FILE` is given; `--dry-run` writes nothing; importing a file again
//! changes nothing. Big files show a progress bar while they are read and checked.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use vx_domain::RowProblem;
use vx_store::{Actor, ImportOptions, Store, StoreError};

use crate::import_args::{print_problems, say_totals_row, CommonArgs};

/// Imports of the epidemiological record, flattened into `vungxanh import`.
#[derive(Subcommand)]
pub enum EpiImport {
    /// Samples, one row per member (`sample_code,round_id,method,pooled,high_risk,
    /// collected_at,collector,laboratory` and `citizen_id` or `household_code,full_name,birth`;
    /// Vietnamese headers accepted: mã mẫu, đợt, phương pháp, gộp mẫu, ngày lấy mẫu, …).
    Samples {
        file: PathBuf,
        /// The round of rows without a `round_id` cell.
        #[arg(long, value_name = "ROUND_ID")]
        round: Option<i64>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// A laboratory's results (`sample_code,result,ct,tested_at`; mã mẫu, kết quả, ct,
    /// ngày xét nghiệm). A result that disagrees with a stored one is kept for review.
    Results {
        file: PathBuf,
        /// The laboratory's name, as on the samples.
        #[arg(long, value_name = "NAME")]
        lab: String,
        #[command(flatten)]
        common: CommonArgs,
    },
}

pub async fn import(store: &Store, cmd: EpiImport) -> Result<()> {
    match cmd {
        EpiImport::Samples {
            file,
            round,
            common,
        } => import_file(store, &file, What::Samples { round }, &common).await,
        EpiImport::Results { file, lab, common } => {
            import_file(store, &file, What::Results { lab }, &common).await
        }
    }
}

enum What {
    Samples { round: Option<i64> },
    Results { lab: String },
}

fn bar(rows: u64) -> ProgressBar {
    // Small files finish before a bar is worth drawing.
    let pb = if rows >= 5_000 {
        ProgressBar::new(rows)
    } else {
        ProgressBar::hidden()
    };
    pb.set_style(
        ProgressStyle::with_template(
            "{msg:>10} [{elapsed_precise}] {wide_bar} {pos}/{len} rows ({per_sec})",
        )
        .expect("template"),
    );
    pb
}

/// Reads, checks and writes one samples or results file, then prints what happened.
async fn import_file(store: &Store, path: &Path, what: What, args: &CommonArgs) -> Result<()> {
    let started = Instant::now();
    let name = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let table = vx_import::read_table_from_bytes(&name, &bytes)?;
    say_totals_row(&table);
    drop(bytes);
    let total = table.rows.len() as u64;
    let pb = bar(total);
    pb.set_message("checking");
    let today = vx_domain::vn_date(chrono::Utc::now());
    let actor = Actor::system(&args.actor);
    let skip = args.skip_bad_rows.is_some();
    let opts = ImportOptions {
        dry_run: args.dry_run,
        skip_bad_rows: skip,
        file_name: path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.clone()),
        sha256,
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
    let mut notes: Vec<String> = Vec::new();
    let (kind, counts) = match &what {
        What::Samples { round } => {
            let parsed =
                vx_import::epi::parse_samples(&table, *round, today, |n| pb.set_position(n))?;
            problems = parsed.problems;
            let o = if problems.is_empty() || skip {
                &opts
            } else {
                &check_only
            };
            storing(&pb, parsed.rows.len());
            let r = store.import_samples(&actor, parsed.rows, o).await;
            pb.finish_and_clear();
            (
                "samples",
                r.map(|s| {
                    (
                        format!(
                            "{} new samples, {} changed, {} unchanged",
                            s.created, s.updated, s.unchanged
                        ),
                        s.skipped,
                    )
                }),
            )
        }
        What::Results { lab } => {
            let parsed = vx_import::epi::parse_results(&table, |n| pb.set_position(n))?;
            problems = parsed.problems;
            let o = if problems.is_empty() || skip {
                &opts
            } else {
                &check_only
            };
            storing(&pb, parsed.rows.len());
            let r = store.import_results(&actor, lab, parsed.rows, o).await;
            pb.finish_and_clear();
            (
                "results",
                r.map(|s| {
                    for c in &s.conflicts {
                        notes.push(format!(
                            "{name}: row {}, column result: sample {} already has {} from {}; \
                             {} kept for review{}",
                            c.row,
                            c.sample_code,
                            c.stored,
                            c.stored_laboratory,
                            c.proposed,
                            c.conflict_id
                                .map(|id| format!(" (conflict #{id})"))
                                .unwrap_or_default()
                        ));
                    }
                    (
                        format!(
                            "{} recorded, {} unchanged, {} conflicts kept for review, \
                             {} retest orders, {} case proposals",
                            s.recorded,
                            s.unchanged,
                            s.conflicts.len(),
                            s.retest_orders,
                            s.case_proposals
                        ),
                        s.skipped,
                    )
                }),
            )
        }
    };
    let summary = match counts {
        Ok((summary, skipped)) => {
            problems.extend(skipped);
            summary
        }
        Err(StoreError::Rows(more)) => {
            problems.extend(more);
            String::new()
        }
        Err(e) => return Err(e).with_context(|| format!("importing {name}")),
    };
    problems.sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
    problems.dedup();
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
                total
            );
        }
    }
    for n in &notes {
        eprintln!("{n}");
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{kind}: {total} rows — {summary}, {} rows skipped ({seconds:.2} s, {:.0} rows/s){}",
        count_rows(&problems),
        total as f64 / seconds.max(1e-9),
        if args.dry_run {
            " — dry run, nothing written"
        } else {
            ""
        },
    );
    Ok(())
}

/// The store writes in one transaction: a spinner while it works.
fn storing(pb: &ProgressBar, rows: usize) {
    if pb.is_hidden() {
        return;
    }
    pb.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}").expect("template"),
    );
    pb.set_message(format!("writing {rows} rows in one transaction…"));
    pb.enable_steady_tick(Duration::from_millis(200));
}

fn count_rows(problems: &[RowProblem]) -> u64 {
    let mut rows: Vec<u32> = problems.iter().map(|p| p.row).collect();
    rows.sort_unstable();
    rows.dedup();
    rows.len() as u64
}
