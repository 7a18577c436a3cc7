//! The `baoho` binary: thin clap front over the crates.

mod cmd_gen;
mod cmd_match;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "baoho", version, about = "Baoho — consular citizen-protection system")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write synthetic labelled data: a registry, a corrupted list and the truth.
    Gen(cmd_gen::GenArgs),
    /// Link a list against a registry, or deduplicate one file.
    Match(cmd_match::MatchArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Gen(a) => cmd_gen::run(a),
        Command::Match(a) => cmd_match::run(a),
    }
}
