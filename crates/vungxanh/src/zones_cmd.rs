//! Commands of zone status (issue 4): rule sets, classification, vaccinations, adjacency,
//! heads of units.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use sha2::{Digest, Sha256};
use vx_domain::{Birth, CitizenId, HouseholdCode, PersonName, RowProblem};
use vx_store::rules::{self as vr, render};
use vx_store::{Actor, DosePerson, ImportOptions, Located, NewDose, Store, StoreError};

/// Imports for zone status, flattened into `vungxanh import`.
#[derive(Subcommand)]
pub enum ZonesImport {
    /// Borders between units (`code_a,code_b`; symmetric; idempotent).
    Adjacency {
        file: PathBuf,
        /// Who is importing, for the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Heads of units (`unit_code,name,title,term_from,term_to`; Vietnamese headers
    /// `ma_don_vi,ho_ten,chuc_vu,tu_ngay,den_ngay`; dates YYYY-MM-DD or DD/MM/YYYY; all or
    /// nothing; idempotent).
    Heads {
        file: PathBuf,
        /// Who is importing, for the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Vaccination doses (`citizen_id` or `household_code,full_name,birth`; `dose,date`).
    Vaccinations {
        file: PathBuf,
        /// Check everything, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Who is importing, for the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
}

/// `vungxanh classify`: levels of every unit of a subtree for every day, stored.
#[derive(Args)]
pub struct ClassifyArgs {
    /// Root unit code (its whole subtree is classified).
    #[arg(long)]
    unit: String,
    #[arg(long)]
    from: NaiveDate,
    /// Last day (default: `--from`).
    #[arg(long)]
    to: Option<NaiveDate>,
    /// Who runs it, for the audit log.
    #[arg(long, default_value = "cli")]
    actor: String,
}

/// `vungxanh rules …`.
#[derive(Subcommand)]
pub enum RulesCommand {
    /// Check a rule file: every problem with file, line and field.
    Check { file: PathBuf },
    /// Policy sandbox: run FILE's rule set over a past period (nothing is stored) and list
    /// the units and days whose level differs from the stored ones, with both reasons.
    Simulate {
        file: PathBuf,
        #[arg(long)]
        unit: String,
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: Option<NaiveDate>,
    },
    /// Policy sandbox, side by side: the levels of a unit and its subtree, day by day, under
    /// several stored rule sets (default: every level rule set, e.g. qd-2686, qd-4800 and
    /// qd-218), each applied to the whole period; nothing is stored.
    Compare {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: Option<NaiveDate>,
        /// A stored rule set id (repeat for several).
        #[arg(long = "rule-set")]
        rule_sets: Vec<String>,
        /// A rule file to compare too (repeat for several), e.g. an earlier version.
        #[arg(long = "file")]
        files: Vec<PathBuf>,
        /// How deep below the unit to list (1: its children).
        #[arg(long, default_value_t = 1)]
        depth: usize,
    },
    /// List the stored rule sets (latest versions).
    List,
}

pub async fn import(store: &Store, cmd: ZonesImport) -> Result<()> {
    match cmd {
        ZonesImport::Adjacency { file, actor } => {
            let table = vx_import::read_table(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let col = |name: &str| {
                table
                    .headers
                    .iter()
                    .position(|h| h.trim().eq_ignore_ascii_case(name))
            };
            let (Some(a), Some(b)) = (col("code_a"), col("code_b")) else {
                bail!("{}: the header must name code_a and code_b", file.display());
            };
            let pairs: Vec<(String, String)> = table
                .rows
                .iter()
                .map(|(_, r)| {
                    (
                        r.get(a).cloned().unwrap_or_default(),
                        r.get(b).cloned().unwrap_or_default(),
                    )
                })
                .collect();
            let name = file.display().to_string();
            match store
                .import_adjacency(&Actor::system(&actor), &name, &pairs)
                .await
            {
                Ok(s) => {
                    println!(
                        "{name}: {} borders, {} new, {} unchanged",
                        pairs.len(),
                        s.created,
                        s.unchanged
                    );
                    Ok(())
                }
                Err(StoreError::Rows(problems)) => report_problems(&name, &problems),
                Err(e) => Err(e.into()),
            }
        }
        ZonesImport::Heads { file, actor } => {
            let name = file.display().to_string();
            let table = vx_import::read_table(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let col = |names: &[&str]| {
                table.headers.iter().position(|h| {
                    let h = vx_domain::fold(h.trim()).replace([' ', '-'], "_");
                    names.iter().any(|n| h == *n)
                })
            };
            let cols = [
                ("unit_code", col(&["unit_code", "ma_don_vi", "ma_dv"])),
                ("name", col(&["name", "ho_ten", "ho_va_ten"])),
                ("title", col(&["title", "chuc_vu"])),
                ("term_from", col(&["term_from", "tu_ngay"])),
                ("term_to", col(&["term_to", "den_ngay"])),
            ];
            let missing: Vec<&str> = cols[..4]
                .iter()
                .filter(|(_, c)| c.is_none())
                .map(|(n, _)| *n)
                .collect();
            if !missing.is_empty() {
                bail!("{name}: the header must name {}", missing.join(", "));
            }
            let cell = |r: &Vec<String>, k: usize| -> String {
                cols[k]
                    .1
                    .and_then(|i| r.get(i))
                    .cloned()
                    .unwrap_or_default()
            };
            let date = |s: &str| -> Option<NaiveDate> {
                let s = s.trim();
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
                    .ok()
            };
            let mut rows = Vec::new();
            let mut problems = Vec::new();
            for (row, r) in &table.rows {
                let from = date(&cell(r, 3));
                if from.is_none() {
                    problems.push(RowProblem::new(
                        *row,
                        "term_from",
                        "a date: YYYY-MM-DD or DD/MM/YYYY",
                    ));
                }
                let to_text = cell(r, 4);
                let to = if to_text.trim().is_empty() {
                    None
                } else {
                    date(&to_text)
                };
                if !to_text.trim().is_empty() && to.is_none() {
                    problems.push(RowProblem::new(
                        *row,
                        "term_to",
                        "a date: YYYY-MM-DD or DD/MM/YYYY",
                    ));
                }
                if let Some(from) = from {
                    rows.push((
                        *row,
                        cell(r, 0),
                        vx_store::NewHead {
                            name: cell(r, 1),
                            title: cell(r, 2),
                            term_from: from,
                            term_to: to,
                        },
                    ));
                }
            }
            if !problems.is_empty() {
                // Also the problems the store finds in the other rows, then stop.
                if let Err(StoreError::Rows(more)) = store
                    .import_unit_heads(&Actor::system(&actor), &name, &rows, true)
                    .await
                {
                    problems.extend(more);
                }
                problems.sort_by_key(|p| p.row);
                return report_problems(&name, &problems);
            }
            match store
                .import_unit_heads(&Actor::system(&actor), &name, &rows, false)
                .await
            {
                Ok((created, unchanged)) => {
                    println!(
                        "{name}: {} heads, {created} new, {unchanged} unchanged",
                        rows.len()
                    );
                    Ok(())
                }
                Err(StoreError::Rows(problems)) => report_problems(&name, &problems),
                Err(e) => Err(e.into()),
            }
        }
        ZonesImport::Vaccinations {
            file,
            dry_run,
            actor,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file.display().to_string();
            let table = vx_import::read_table_from_bytes(&name, &bytes)?;
            let (rows, problems) = parse_doses(&table);
            if !problems.is_empty() {
                return report_problems(&name, &problems);
            }
            let opts = ImportOptions {
                dry_run,
                skip_bad_rows: false,
                file_name: name.clone(),
                sha256: hex::encode(Sha256::digest(&bytes)),
                ..Default::default()
            };
            let started = Instant::now();
            match store
                .import_vaccinations(&Actor::system(&actor), rows, &opts)
                .await
            {
                Ok(s) => {
                    println!(
                        "{name}: {} doses: {} new, {} changed, {} unchanged{} in {:.2} s",
                        s.rows(),
                        s.created,
                        s.updated,
                        s.unchanged,
                        if dry_run {
                            " (dry run, nothing written)"
                        } else {
                            ""
                        },
                        started.elapsed().as_secs_f64()
                    );
                    Ok(())
                }
                Err(StoreError::Rows(problems)) => report_problems(&name, &problems),
                Err(e) => Err(e.into()),
            }
        }
    }
}

fn report_problems(name: &str, problems: &[RowProblem]) -> Result<()> {
    for p in problems {
        eprintln!("{name}:{}: {}: {}", p.row, p.column, p.message);
    }
    bail!("{name}: {} problems, nothing imported", problems.len())
}

/// Rows of a vaccination file: `citizen_id` or `household_code`+`full_name`+`birth`, then
/// `dose` and `date` (YYYY-MM-DD or DD/MM/YYYY).
fn parse_doses(table: &vx_import::Table) -> (Vec<Located<NewDose>>, Vec<RowProblem>) {
    let col = |names: &[&str]| {
        table.headers.iter().position(|h| {
            let h = vx_domain::fold(h.trim()).replace(' ', "_");
            names.iter().any(|n| h == *n)
        })
    };
    let cid = col(&["citizen_id", "cccd", "so_cccd"]);
    let hh = col(&["household_code", "ma_ho"]);
    let fname = col(&["full_name", "ho_ten", "ho_va_ten"]);
    let birth = col(&["birth", "ngay_sinh", "nam_sinh"]);
    let dose = col(&["dose", "mui", "mui_so"]);
    let date = col(&["date", "ngay", "ngay_tiem"]);
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (row, cells) in &table.rows {
        let get = |c: Option<usize>| {
            c.and_then(|c| cells.get(c))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
        };
        let before = problems.len();
        let day = match get(date).map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        }) {
            Some(Ok(d)) => Some(d),
            Some(Err(_)) => {
                problems.push(RowProblem::new(
                    *row,
                    "date",
                    "expected a date like 2021-09-01 or 01/09/2021",
                ));
                None
            }
            None => {
                problems.push(RowProblem::new(*row, "date", "missing"));
                None
            }
        };
        let n = match get(dose).map(str::parse::<u32>) {
            Some(Ok(n)) if n >= 1 => Some(n),
            _ => {
                problems.push(RowProblem::new(
                    *row,
                    "dose",
                    "expected a dose number 1, 2, 3…",
                ));
                None
            }
        };
        let person = if let Some(id) = get(cid) {
            match CitizenId::parse(id) {
                Ok(id) => Some(DosePerson::CitizenId(id)),
                Err(e) => {
                    problems.push(RowProblem::new(*row, "citizen_id", format!("{e:?}")));
                    None
                }
            }
        } else {
            let h = get(hh).map(HouseholdCode::parse);
            let f = get(fname).map(PersonName::parse);
            let b = get(birth).map(|b| Birth::parse(b, day.unwrap_or(NaiveDate::MAX)));
            match (h, f, b) {
                (Some(Ok(household_code)), Some(Ok(full_name)), Some(Ok(birth))) => {
                    Some(DosePerson::Household {
                        household_code,
                        full_name,
                        birth,
                    })
                }
                _ => {
                    problems.push(RowProblem::new(
                        *row,
                        "citizen_id",
                        "give a citizen ID, or a household code, full name and birth",
                    ));
                    None
                }
            }
        };
        if problems.len() == before {
            if let (Some(person), Some(dose), Some(day)) = (person, n, day) {
                out.push(Located {
                    row: *row,
                    value: NewDose { person, dose, day },
                });
            }
        }
    }
    (out, problems)
}

pub async fn classify(store: &Store, args: ClassifyArgs) -> Result<()> {
    let root = store
        .unit(&args.unit)
        .await?
        .with_context(|| format!("no unit with code {}", args.unit))?;
    let to = args.to.unwrap_or(args.from);
    let started = Instant::now();
    let s = store
        .classify(&Actor::system(&args.actor), &root, args.from, to)
        .await?;
    println!(
        "{} ({}): {} units × {} days = {} levels stored ({} without a rule set) in {:.3} s \
         (load {} ms, engine {} ms, store {} ms)",
        root.name,
        root.code,
        s.units,
        s.days,
        s.stored,
        s.without_rule_set,
        started.elapsed().as_secs_f64(),
        s.load_ms,
        s.classify_ms,
        s.store_ms
    );
    Ok(())
}

pub async fn rules(database: &str, cmd: RulesCommand) -> Result<()> {
    match cmd {
        RulesCommand::Check { file } => {
            let rs = load_file(&file)?;
            println!(
                "{}: ok — {} v{} ({}), in force from {}{}",
                file.display(),
                rs.id,
                rs.version,
                rs.kind.name(),
                rs.effective_from,
                rs.effective_to
                    .map(|t| format!(" to {t}"))
                    .unwrap_or_default()
            );
            Ok(())
        }
        RulesCommand::List => {
            let store = crate::open(database).await?;
            for rs in store.rule_sets().await? {
                println!(
                    "{}\tv{}\t{}\t{}",
                    rs.id, rs.version, rs.effective_from, rs.name
                );
            }
            Ok(())
        }
        RulesCommand::Compare {
            unit,
            from,
            to,
            rule_sets,
            files,
            depth,
        } => {
            let store = crate::open(database).await?;
            let root = store
                .unit(&unit)
                .await?
                .with_context(|| format!("no unit with code {unit}"))?;
            let to = to.unwrap_or(from);
            let stored = store.rule_sets().await?;
            let mut sets: Vec<vr::RuleSet> = if rule_sets.is_empty() && !files.is_empty() {
                Vec::new()
            } else if rule_sets.is_empty() {
                stored
                    .into_iter()
                    .filter(|s| !matches!(s.kind, vr::Kind::GreenZone(_)))
                    .collect()
            } else {
                let mut out = Vec::new();
                for id in &rule_sets {
                    let rs = stored
                        .iter()
                        .find(|s| &s.id == id)
                        .with_context(|| format!("no stored rule set {id} (see `rules list`)"))?;
                    out.push(rs.clone());
                }
                out
            };
            for f in &files {
                sets.push(load_file(f)?);
            }
            let started = Instant::now();
            let c = store.compare_rule_sets(&root, from, to, sets).await?;
            print!("{}", comparison_table(&c, &root, depth));
            println!(
                "{} of {} unit-days differ between {} ({:.3} s); nothing stored",
                c.disagreements(),
                c.days() * c.units.len(),
                c.rule_sets
                    .iter()
                    .map(|s| format!("{} v{}", s.id, s.version))
                    .collect::<Vec<_>>()
                    .join(", "),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        RulesCommand::Simulate {
            file,
            unit,
            from,
            to,
        } => {
            let rs = load_file(&file)?;
            let store = crate::open(database).await?;
            let root = store
                .unit(&unit)
                .await?
                .with_context(|| format!("no unit with code {unit}"))?;
            let to = to.unwrap_or(from);
            let started = Instant::now();
            let official = store.compute_levels(&root, from, to, None).await?;
            let trial = store
                .compute_levels(&root, from, to, Some(rs.clone()))
                .await?;
            let stored = store.zone_levels(&root, from, to).await?;
            let by_key: std::collections::HashMap<(i64, NaiveDate), &vx_store::ZoneStatus> =
                stored.iter().map(|z| ((z.unit_id, z.day), z)).collect();
            let mut changed = 0usize;
            for (k, day) in trial.days.iter().enumerate() {
                let date = from + chrono::Days::new(k as u64);
                for (i, b) in day.iter().enumerate() {
                    let Some((_, b)) = b else { continue };
                    let u = &trial.batch.units[i];
                    // the official level: stored, else computed by the rule sets in force
                    let (a_rs, a) = match by_key.get(&(u.id, date)) {
                        Some(z) => (
                            store
                                .rule_set_version(&z.rule_set_id, z.rule_set_version)
                                .await?,
                            z.outcome,
                        ),
                        None => match official.days[k][i] {
                            Some((s, o)) => (Some(official.sets[s].clone()), o),
                            None => continue,
                        },
                    };
                    if vr::diff_day(date, &[a], &[*b]).is_empty() {
                        continue;
                    }
                    changed += 1;
                    println!("{date} {} {}:", u.code, u.name);
                    if let Some(a_rs) = a_rs {
                        println!(
                            "  now ({}): {}",
                            a_rs.id,
                            indent(&render::explain(&a_rs, &a, render::Lang::Vi))
                        );
                    }
                    println!(
                        "  with {}: {}",
                        rs.id,
                        indent(&render::explain(&rs, b, render::Lang::Vi))
                    );
                }
            }
            println!(
                "{changed} unit-days would change under {} v{} ({} units × {} days, {:.3} s); nothing stored",
                rs.id, rs.version, trial.batch.units.len(), trial.days.len(), started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

/// One line per unit (the root and `depth` levels below it): for each rule set, the level of
/// every day as a digit (1–4, `?` where data were missing), then the days at each level.
fn comparison_table(c: &vx_store::Comparison, root: &vx_domain::Unit, depth: usize) -> String {
    use std::fmt::Write;
    let root_depth = root.path.matches('/').count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({} units), {} → {}: one digit a day, the level 1–4",
        root.code,
        root.name,
        c.units.len(),
        c.from,
        c.from + chrono::Days::new(c.days().saturating_sub(1) as u64)
    );
    for (i, u) in c.units.iter().enumerate() {
        let d = u.path.matches('/').count() - root_depth;
        if d > depth {
            continue;
        }
        let _ = writeln!(out, "{}{} {}", "  ".repeat(d), u.code, u.name);
        for (s, rs) in c.rule_sets.iter().enumerate() {
            let days: String = c.outcomes[s]
                .iter()
                .map(|day| char::from(b'0' + day[i].level.number()))
                .collect();
            let incomplete = c.outcomes[s].iter().filter(|day| day[i].incomplete).count();
            let n = c.days_at(s, i);
            let _ = writeln!(
                out,
                "{}  {:<14} {days}  [1: {}, 2: {}, 3: {}, 4: {}; data missing: {incomplete}]",
                "  ".repeat(d),
                format!("{} v{}", rs.id, rs.version),
                n[0],
                n[1],
                n[2],
                n[3]
            );
        }
    }
    out
}

fn indent(s: &str) -> String {
    s.replace('\n', "\n    ")
}

fn load_file(file: &std::path::Path) -> Result<vr::RuleSet> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    match vr::load_str(&text, &file.display().to_string()) {
        Ok(rs) => Ok(rs),
        Err(e) => {
            eprintln!("{e}");
            bail!("{}: not a valid rule set", file.display())
        }
    }
}
