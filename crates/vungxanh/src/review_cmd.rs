//! `vungxanh review identity list|settle`: the identity review queue on the command line —
//! rows of a people import held because their citizen ID belongs to someone else, or
//! because they move a person between communes; `vungxanh review duplicates
//! list|merge|undo|dismiss`: candidate duplicate people and their merge (see
//! `docs/registry.md`).

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use vx_domain::{CitizenId, NewPerson};
use vx_store::{Actor, Store};

#[derive(Subcommand)]
pub enum ReviewCommand {
    /// Import rows held for identity review.
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// People who may be one person: list, merge, undo a merge, dismiss a pair.
    #[command(subcommand)]
    Duplicates(DuplicatesCommand),
}

#[derive(Subcommand)]
pub enum DuplicatesCommand {
    /// Candidate pairs of a unit's subtree, each with its reason, and the merges made there.
    List {
        #[arg(long)]
        unit: String,
        /// At most this many pairs.
        #[arg(long, default_value_t = 200)]
        limit: usize,
    },
    /// Merge person MERGED into person KEPT (audited; undone with `undo`).
    Merge {
        kept: i64,
        merged: i64,
        /// Why (kept in the audit log).
        #[arg(long)]
        note: String,
        /// Who merges, for the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
        /// Merge as this user: its scope must cover both people.
        #[arg(long, value_name = "USERNAME")]
        user: Option<String>,
    },
    /// Undo a merge: every row it moved goes back.
    Undo {
        merge: i64,
        #[arg(long, default_value = "cli")]
        actor: String,
        #[arg(long, value_name = "USERNAME")]
        user: Option<String>,
    },
    /// Two people are not the same person: the pair is not suggested again.
    Dismiss {
        a: i64,
        b: i64,
        #[arg(long)]
        note: String,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
}

/// The actor and, for a named user, its access.
async fn who(
    store: &Store,
    actor: &str,
    user: &Option<String>,
) -> Result<(Actor, Option<vx_domain::Access>)> {
    Ok(match user {
        Some(username) => {
            let (user, _) = store
                .user_by_username(username)
                .await?
                .with_context(|| format!("no user {username:?}"))?;
            (user.actor(), Some(user.access()))
        }
        None => (Actor::system(actor), None),
    })
}

async fn duplicates(store: &Store, cmd: DuplicatesCommand) -> Result<()> {
    match cmd {
        DuplicatesCommand::List { unit, limit } => {
            let root = store
                .unit(&unit)
                .await?
                .with_context(|| format!("no unit with code {unit}"))?;
            let (pairs, total) = store.duplicate_pairs(&root, limit).await?;
            for pair in &pairs {
                println!("{} + {}: {}", pair.a.id, pair.b.id, pair.reason.text_en());
                for p in [&pair.a, &pair.b] {
                    println!("  #{:<8} {} (unit {})", p.id, show(&p.data), p.unit_code);
                }
            }
            println!(
                "{total} candidate pairs in {} {}{}",
                root.code,
                root.name,
                if total > pairs.len() {
                    format!(" ({} shown)", pairs.len())
                } else {
                    String::new()
                }
            );
            for m in store.person_merges(&root, 20).await? {
                println!(
                    "merge #{}: #{} into #{} by {} {} ({}){}",
                    m.id,
                    m.merged_id,
                    m.kept_id,
                    m.actor,
                    m.at.format("%Y-%m-%d %H:%M UTC"),
                    m.moves.summary(),
                    m.undone_by
                        .as_ref()
                        .map(|b| format!(", undone by {b}"))
                        .unwrap_or_default()
                );
            }
        }
        DuplicatesCommand::Merge {
            kept,
            merged,
            note,
            actor,
            user,
        } => {
            if note.trim().is_empty() {
                bail!("--note: say why");
            }
            let (actor, access) = who(store, &actor, &user).await?;
            let m = store
                .merge_people(&actor, kept, merged, note.trim(), access.as_ref())
                .await
                .with_context(|| format!("merging person {merged} into {kept}"))?;
            println!(
                "merge #{}: #{} into #{}: moved {}{}{}",
                m.id,
                m.merged_id,
                m.kept_id,
                m.moves.summary(),
                if m.moves.took.is_empty() {
                    String::new()
                } else {
                    format!("; #{} took {}", m.kept_id, m.moves.took.join(", "))
                },
                if m.moves.left.is_empty() {
                    String::new()
                } else {
                    format!("; left on #{}: {}", m.merged_id, m.moves.left.join("; "))
                }
            );
            println!("undo with: vungxanh review duplicates undo {}", m.id);
        }
        DuplicatesCommand::Undo { merge, actor, user } => {
            let (actor, access) = who(store, &actor, &user).await?;
            let m = store
                .undo_merge(&actor, merge, access.as_ref())
                .await
                .with_context(|| format!("undoing merge {merge}"))?;
            println!(
                "merge #{} undone: #{} and #{} are two people again",
                m.id, m.kept_id, m.merged_id
            );
        }
        DuplicatesCommand::Dismiss { a, b, note, actor } => {
            if note.trim().is_empty() {
                bail!("--note: say why");
            }
            store
                .dismiss_duplicate(&Actor::system(&actor), a, b, note.trim())
                .await?;
            println!("#{a} and #{b}: not the same person; not suggested again");
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum IdentityCommand {
    /// List held rows, the stored person and the row side by side.
    List {
        /// Only rows concerning this unit's subtree (the stored person's or the row's).
        #[arg(long)]
        unit: Option<String>,
        /// Settled rows too.
        #[arg(long)]
        all: bool,
    },
    /// Apply a held row onto the stored person (--apply) or reject it (--reject).
    Settle {
        id: i64,
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        apply: bool,
        #[arg(long)]
        reject: bool,
        /// Why (kept in the audit log).
        #[arg(long)]
        note: String,
        /// Who settles, for the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
        /// Settle as this user: its scope must cover both units concerned.
        #[arg(long, value_name = "USERNAME")]
        user: Option<String>,
    },
}

fn show(p: &NewPerson) -> String {
    format!(
        "{} · {} · {} · {} · household {}",
        p.full_name,
        p.birth,
        p.sex.as_str(),
        p.citizen_id
            .as_ref()
            .map(CitizenId::as_str)
            .unwrap_or("no citizen ID"),
        p.household_code
    )
}

pub async fn run(store: &Store, cmd: ReviewCommand) -> Result<()> {
    let cmd = match cmd {
        ReviewCommand::Identity(cmd) => cmd,
        ReviewCommand::Duplicates(cmd) => return duplicates(store, cmd).await,
    };
    match cmd {
        IdentityCommand::List { unit, all } => {
            let within = match &unit {
                Some(code) => {
                    store
                        .unit(code)
                        .await?
                        .with_context(|| format!("no unit with code {code}"))?
                        .path
                }
                None => "/".to_string(),
            };
            let mut after = 0;
            let mut n = 0;
            loop {
                let page = store.identity_reviews_in(&within, all, after, 200).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                for r in &page {
                    n += 1;
                    let stored = store.person(r.person_id).await?;
                    println!(
                        "#{} {} · {} row {} · held {} by {} · {}{}",
                        r.id,
                        r.kind,
                        r.file_name,
                        r.row,
                        r.at.format("%Y-%m-%d %H:%M UTC"),
                        r.actor,
                        r.status,
                        r.settled_by
                            .as_ref()
                            .map(|b| format!(" by {b}: {}", r.note))
                            .unwrap_or_default()
                    );
                    match stored {
                        Some(p) => println!("  stored:   {} (unit {})", show(&p.data), p.unit_code),
                        None => println!("  stored:   person {} (gone)", r.person_id),
                    }
                    println!(
                        "  the row:  {} (unit {})",
                        show(&r.proposed),
                        r.target_unit_code
                    );
                    println!("  why:      {}", r.reason);
                }
            }
            println!("{n} {}", if all { "rows" } else { "open rows" });
        }
        IdentityCommand::Settle {
            id,
            apply,
            reject,
            note,
            actor,
            user,
        } => {
            if apply == reject {
                bail!("give either --apply or --reject");
            }
            if note.trim().is_empty() {
                bail!("--note: say why");
            }
            let (actor, access) = match &user {
                Some(username) => {
                    let (user, _) = store
                        .user_by_username(username)
                        .await?
                        .with_context(|| format!("no user {username:?}"))?;
                    (user.actor(), Some(user.access()))
                }
                None => (Actor::system(&actor), None),
            };
            let r = store
                .settle_identity_review(&actor, id, apply, note.trim(), access.as_ref())
                .await
                .with_context(|| format!("settling identity review {id}"))?;
            println!("identity review #{}: {}", r.id, r.status);
        }
    }
    Ok(())
}
