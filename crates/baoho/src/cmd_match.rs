//! `baoho match`: link a list against a registry, or deduplicate one file.

#[derive(clap::Args, Debug)]
pub struct MatchArgs {}

pub fn run(_args: MatchArgs) -> anyhow::Result<()> {
    anyhow::bail!("baoho match is not built yet")
}
