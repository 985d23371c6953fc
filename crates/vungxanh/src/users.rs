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
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user (e.g. a laboratory); the secret is printed once.
    Add {
        username: String,
        #[arg(long, default_value = "api")]
        name: String,
    },
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
    }
}
