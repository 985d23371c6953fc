//! `vungxanh user …` and `vungxanh token …`.

use anyhow::{Context, Result};
use clap::Subcommand;
use rand::distributions::{Alphanumeric, DistString};
use vx_domain::{Role, UnitCode};
use vx_store::{Actor, NewUser, Store};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user. Without --password, one is generated and printed once.
    Add {
        username: String,
        /// admin, province, district, commune, hamlet or laboratory.
        #[arg(long)]
        role: Role,
        /// Scope unit codes (one or more; the level must match the role).
        #[arg(long = "scope", value_name = "CODE")]
        scope: Vec<UnitCode>,
        /// Display name (default: the username).
        #[arg(long)]
        name: Option<String>,
        #[arg(long, env = "VUNGXANH_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// List users with their roles and scopes.
    List,
    /// Replace a user's scope (a hamlet team moved to another hamlet): audited, and
    /// every server and phone sees it from its next request or sync.
    Scope {
        username: String,
        /// Scope unit codes (one or more; the level must match the role).
        #[arg(long = "scope", value_name = "CODE", required = true)]
        scope: Vec<UnitCode>,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user (e.g. a laboratory); the secret is printed once.
    Add {
        username: String,
        #[arg(long, default_value = "api")]
        name: String,
    },
    /// List API tokens (id, user, name, created, revoked), of one user or all.
    List { username: Option<String> },
    /// Revoke an API token by its id (from `token list`): every server refuses it from the
    /// next request on.
    Revoke { id: i64 },
}

#[derive(Subcommand)]
pub enum SessionCommand {
    /// End every sign-in session of a user, on every server at once (audited). API tokens
    /// are revoked with `token revoke`.
    Revoke { username: String },
}

pub fn random_password() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 16)
}

pub async fn user(store: &Store, cmd: UserCommand) -> Result<()> {
    match cmd {
        UserCommand::Add {
            username,
            role,
            scope,
            name,
            password,
        } => {
            let generated = password.is_none();
            let password = password.unwrap_or_else(random_password);
            let user = store
                .create_user(
                    &Actor::system("cli"),
                    &NewUser {
                        display_name: name.unwrap_or_else(|| username.clone()),
                        username,
                        password_hash: vx_web::hash_password(&password),
                        role,
                        scope,
                    },
                )
                .await
                .context("cannot add the user")?;
            println!("added {} ({})", user.username, user.role);
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        UserCommand::Scope { username, scope } => {
            let user = store
                .set_user_scope(&Actor::system("cli"), &username, &scope)
                .await
                .with_context(|| format!("cannot change the scope of {username}"))?;
            let codes: Vec<&str> = user.scope.iter().map(|s| s.code.as_str()).collect();
            println!("{}: scope {}", user.username, codes.join(","));
            Ok(())
        }
        UserCommand::List => {
            for u in store.users().await? {
                let scope: Vec<&str> = u.scope.iter().map(|s| s.code.as_str()).collect();
                println!(
                    "{}\t{}\t{}\t{}{}",
                    u.username,
                    u.role,
                    scope.join(","),
                    u.display_name,
                    if u.active { "" } else { "\t(inactive)" }
                );
            }
            Ok(())
        }
    }
}

pub async fn token(store: &Store, cmd: TokenCommand) -> Result<()> {
    match cmd {
        TokenCommand::Add { username, name } => {
            let (user, _) = store
                .user_by_username(&username)
                .await?
                .with_context(|| format!("no user {username}"))?;
            let (secret, hash) = vx_web::new_api_token();
            store
                .create_api_token(&Actor::system("cli"), user.id, &name, &hash)
                .await?;
            println!("token for {username} ({name}), shown once:\n{secret}");
            Ok(())
        }
        TokenCommand::List { username } => {
            let user_id = match &username {
                Some(u) => Some(user_id(store, u).await?),
                None => None,
            };
            for t in store.api_tokens(user_id).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    t.token.id,
                    t.username,
                    t.token.name,
                    t.token.created_at.format("%Y-%m-%d %H:%M"),
                    t.revoked_at.map_or_else(
                        || "active".to_string(),
                        |at| format!("revoked {}", at.format("%Y-%m-%d %H:%M"))
                    )
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            store
                .revoke_api_token(&Actor::system("cli"), id)
                .await
                .with_context(|| format!("cannot revoke API token {id}"))?;
            println!("revoked API token {id}");
            Ok(())
        }
    }
}

async fn user_id(store: &Store, username: &str) -> Result<i64> {
    Ok(store
        .user_by_username(username)
        .await?
        .with_context(|| format!("no user {username}"))?
        .0
        .id)
}

pub async fn session(store: &Store, cmd: SessionCommand) -> Result<()> {
    match cmd {
        SessionCommand::Revoke { username } => {
            let id = user_id(store, &username).await?;
            let n = store
                .revoke_sessions(&Actor::system("cli"), id)
                .await
                .with_context(|| format!("cannot end the sessions of {username}"))?;
            println!("ended {n} session(s) of {username}");
            Ok(())
        }
    }
}
