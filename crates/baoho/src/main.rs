//! The `baoho` binary: a thin clap front over the crates.

mod bench;
mod bench_audit;
mod bench_cases;
mod bench_dupes;
mod bench_search;
mod cmd_account;
mod cmd_audit;
mod cmd_db;
mod cmd_gen;
mod cmd_keys;
mod cmd_match;
mod serve;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "baoho",
    version,
    about = "Baoho — consular citizen-protection information system"
)]
struct Cli {
    /// Configuration file (default: ./baoho.toml if present).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server on an existing database.
    Serve(serve::ServeArgs),
    /// Run a demonstration: embedded SQLite with synthetic data, ready to click through.
    Demo(serve::DemoArgs),
    /// Create the database if needed and apply migrations.
    Migrate(serve::MigrateArgs),
    /// Print the effective configuration (secrets redacted).
    Config(serve::ConfigArgs),
    /// Write synthetic labelled data: a registry, a corrupted list and the truth.
    Gen(cmd_gen::GenArgs),
    /// Link a list against a registry, or deduplicate one file.
    Match(cmd_match::MatchArgs),
    /// Benchmarks that print figures (see docs/benchmarks.md).
    Bench(bench::BenchArgs),
    /// The audit trail: `baoho audit verify` recomputes the hash chain; signed checkpoints
    /// (`keygen`, `checkpoint`, `verify --checkpoints`) anchor it outside the database.
    Audit(cmd_audit::AuditArgs),
    /// Database roles: `baoho db grant --app-role NAME` (PostgreSQL, as the owner).
    Db(cmd_db::DbArgs),
    /// Field-encryption keys: generate, check, rotate.
    Keys(cmd_keys::KeysArgs),
    /// Staff accounts: `baoho account create` (the first administrator).
    Account(cmd_account::AccountArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(a) => serve::serve(cli.config.as_deref(), a),
        Command::Demo(a) => serve::demo(cli.config.as_deref(), a),
        Command::Migrate(a) => serve::migrate(cli.config.as_deref(), a),
        Command::Config(a) => serve::print_config(cli.config.as_deref(), a),
        Command::Gen(a) => cmd_gen::run(a),
        Command::Match(a) => cmd_match::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Audit(a) => cmd_audit::run(cli.config.as_deref(), a),
        Command::Db(a) => cmd_db::run(cli.config.as_deref(), a),
        Command::Keys(a) => cmd_keys::run(cli.config.as_deref(), a),
        Command::Account(a) => cmd_account::run(cli.config.as_deref(), a),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baoho: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
