//! `baoho gen`: synthetic labelled data (registry, corrupted list, truth).

#[derive(clap::Args, Debug)]
pub struct GenArgs {}

pub fn run(_args: GenArgs) -> anyhow::Result<()> {
    anyhow::bail!("baoho gen is not built yet")
}
