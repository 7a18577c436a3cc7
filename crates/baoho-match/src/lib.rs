//! Identity matching for Baoho (M5): deportee lists against the registry, registry
//! deduplication, and the intake duplicate warning, with one engine.
//!
//! Fellegi–Sunter scoring over Vietnamese-aware comparisons; u from random pairs, m by EM
//! without labels, term-frequency adjustment from the registry itself; a three-way decision
//! with thresholds taken from the fitted model.

mod blocking;
mod compare;
mod engine;
pub mod eval;
#[doc(hidden)]
pub mod fuzz;
mod index;
mod intern;
pub mod io;
mod model;
mod name;
mod places;
mod prep;
mod progress;
mod record;
mod strings;
mod text;

pub use engine::{REVIEW_TIE_CAP, REVIEW_TIE_RATIO};
pub use index::{Index, Model};
pub use model::Params;
pub use progress::{PHASES, Progress};
pub use record::{
    BlockingRuleStats, Candidate, Decision, DedupeResult, Explanation, FieldContribution,
    LinkConfig, LinkResult, Record, RunStats,
};

/// Link every row of `list` to its best candidates in `registry`.
pub fn link(registry: &[Record], list: &[Record], cfg: &LinkConfig) -> LinkResult {
    engine::run_link(registry, list, cfg, &Progress::new())
}

/// [`link`], advancing `progress` as it goes (poll it from another thread to show a bar).
pub fn link_with_progress(
    registry: &[Record],
    list: &[Record],
    cfg: &LinkConfig,
    progress: &Progress,
) -> LinkResult {
    engine::run_link(registry, list, cfg, progress)
}

/// Find the duplicates inside one file and cluster them.
pub fn dedupe(records: &[Record], cfg: &LinkConfig) -> DedupeResult {
    engine::run_dedupe(records, cfg)
}
