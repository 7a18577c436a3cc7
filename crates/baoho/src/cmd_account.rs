//! `baoho account create`: the first administrator (and any account) from the command line.
//! There is no default password anywhere: the password is typed (or piped on stdin).

use crate::cmd_audit::{database_url, runtime};
use anyhow::{Context, bail};
use baoho_domain::access::Role;
use baoho_server::accounts::agency_from_code;
use baoho_server::auth;
use baoho_store::audit::{AuditAction, AuditEntry, AuditOutcome};
use baoho_store::{Accounts, NewAccount, OpenMode};
use std::io::{BufRead, IsTerminal};
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct AccountArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand, Debug)]
enum What {
    /// Create an account. The password is asked for (or read from the first line of stdin when
    /// it is not a terminal); the user enrols the second factor at first sign-in.
    Create {
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        #[arg(long)]
        username: String,
        /// The name shown (default: the username).
        #[arg(long)]
        display_name: Option<String>,
        /// mission_officer, hq_officer, head_of_mission, partner_liaison, analyst,
        /// administrator or auditor.
        #[arg(long)]
        role: String,
        /// CD (headquarters), MPS, MND, a mission code (EMB-JP-TOKYO) or P-<province code>.
        #[arg(long)]
        agency: String,
    },
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let p = rpassword::prompt_password("Password (at least 12 characters): ")?;
        let again = rpassword::prompt_password("Again: ")?;
        if p != again {
            bail!("the two passwords differ");
        }
        Ok(p)
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

pub fn run(file: Option<&Path>, a: AccountArgs) -> anyhow::Result<()> {
    match a.what {
        What::Create {
            database,
            username,
            display_name,
            role,
            agency,
        } => {
            let role = Role::parse(&role).with_context(|| format!("unknown role {role:?}"))?;
            let agency = agency_from_code(&agency).with_context(|| {
                format!("unknown agency {agency:?} (CD, MPS, MND, a mission code or P-<province>)")
            })?;
            let url = database_url(file, database)?;
            let password = read_password()?;
            if !auth::password_acceptable(&password) {
                bail!("a password needs at least 12 characters");
            }
            let hash = auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
            runtime()?.block_on(async {
                let store = baoho_store::open(&url, OpenMode::MustExist).await?;
                let made = Accounts::new(store.as_ref())
                    .create(
                        &NewAccount {
                            display_name: display_name.unwrap_or_else(|| username.clone()),
                            username,
                            role,
                            agency,
                            supervisor_id: None,
                            password_hash: hash,
                            demo: false,
                        },
                        AuditEntry::system(
                            chrono::Utc::now(),
                            AuditAction::Create,
                            AuditOutcome::Allowed,
                        )
                        .purpose("account created on the command line"),
                    )
                    .await;
                store.close().await;
                let a = made?;
                println!(
                    "created {} ({}, {}); the second factor is set up at first sign-in",
                    a.username,
                    a.role.as_str(),
                    a.agency.code
                );
                Ok(())
            })
        }
    }
}
