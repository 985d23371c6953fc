//! `vungxanh review identity list|settle`: the identity review queue on the command line —
//! rows of a people import held because their citizen ID belongs to someone else, or
//! because they move a person between communes (see `docs/registry.md`).

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use vx_domain::{CitizenId, NewPerson};
use vx_store::{Actor, Store};

#[derive(Subcommand)]
pub enum ReviewCommand {
    /// Import rows held for identity review.
    #[command(subcommand)]
    Identity(IdentityCommand),
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
    let ReviewCommand::Identity(cmd) = cmd;
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
