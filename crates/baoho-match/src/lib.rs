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
mod intern;
pub mod io;
mod model;
mod name;
mod places;
mod prep;
mod record;
mod strings;
mod text;

use serde::{Deserialize, Serialize};

pub use record::{
    BlockingRuleStats, Candidate, Decision, DedupeResult, Explanation, FieldContribution,
    LinkConfig, LinkResult, Record, RunStats,
};

/// Link every row of `list` to its best candidates in `registry`.
pub fn link(registry: &[Record], list: &[Record], cfg: &LinkConfig) -> LinkResult {
    engine::run_link(registry, list, cfg)
}

/// Find the duplicates inside one file and cluster them.
pub fn dedupe(records: &[Record], cfg: &LinkConfig) -> DedupeResult {
    engine::run_dedupe(records, cfg)
}

/// Registry records prepared for matching (normalised fields and blocking keys). Build once,
/// keep in memory (the server does), push new registrations as they arrive.
#[derive(Debug, Clone, Default)]
pub struct Index {
    len: usize,
}

impl Index {
    pub fn build(records: &[Record]) -> Self {
        Self { len: records.len() }
    }

    /// Add one record; returns its index (the `reg_idx` candidates will carry).
    pub fn push(&mut self, record: &Record) -> usize {
        let _ = record;
        self.len += 1;
        self.len - 1
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Trained Fellegi–Sunter parameters (m, u, λ, term frequencies, thresholds). Train once on a
/// registry, serialise with serde, and score single records cheaply.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Model {
    pub match_threshold: f64,
    pub review_threshold: f64,
}

impl Model {
    /// Train without labels on the registry's own pairs (deduplication setting).
    pub fn train(registry: &Index, cfg: &LinkConfig) -> Self {
        let _ = (registry, cfg);
        Self::default()
    }

    /// Candidates for one incoming record against `index`, best first (intake duplicate
    /// warning). `list_idx` is 0 in the results.
    pub fn candidates(&self, record: &Record, index: &Index, max: usize) -> Vec<Candidate> {
        let _ = (record, index, max);
        Vec::new()
    }
}
