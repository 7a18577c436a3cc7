//! `baoho db …`: database roles (PostgreSQL).

use crate::cmd_audit::{database_url, runtime};
use baoho_store::OpenMode;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct DbArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand, Debug)]
enum What {
    /// Grant the application role (the one `serve` connects as) what it needs and no more: no
    /// DDL, no TRIGGER, and on the audit table only SELECT and INSERT. Run as the owner (the
    /// role `baoho migrate` runs as), after every migration.
    Grant {
        /// The owner's database URL.
        #[arg(long, alias = "database-url", value_name = "URL")]
        database: Option<String>,
        /// The application role (created beforehand: CREATE ROLE NAME LOGIN PASSWORD '…').
        #[arg(long, value_name = "NAME")]
        app_role: String,
    },
}

pub fn run(file: Option<&Path>, a: DbArgs) -> anyhow::Result<()> {
    match a.what {
        What::Grant { database, app_role } => {
            let url = database_url(file, database)?;
            runtime()?.block_on(async {
                let store = baoho_store::open(&url, OpenMode::MustExist).await?;
                let r = store.grant_app_role(&app_role).await;
                store.close().await;
                r?;
                println!(
                    "granted {app_role} on {url}: read and write the data, append to the audit trail; \
                     no DDL, no TRIGGER, no UPDATE/DELETE/TRUNCATE on audit"
                );
                Ok(())
            })
        }
    }
}
