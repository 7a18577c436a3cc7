//! The public shapes of the matcher: what goes in (a [`Record`]) and what comes out
//! ([`Candidate`] pairs with an [`Explanation`], [`RunStats`]).

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// One person as a source file describes them. Every field is raw text as given; the matcher
/// normalises (NFC, folding, date parsing) itself, so readers should not pre-clean.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The source's own identifier (row id, registry id). Not compared.
    pub id: String,
    /// Full name as given, in any order (`Nguyễn Văn An`, `AN VAN NGUYEN`, `NGUYEN, An`).
    pub name: String,
    /// Given name when the source splits the name (may include middle names).
    pub given_name: Option<String>,
    /// Family name when the source splits the name.
    pub family_name: Option<String>,
    /// Date of birth as typed: `1990`, `1990-05-12`, `12/05/1990`, `19900512`, `05/1990`.
    pub dob: Option<String>,
    /// `M`/`F`/`nam`/`nữ`/`male`/`female`…
    pub sex: Option<String>,
    /// Home province (quê quán), pre-2025 or post-2025 name.
    pub hometown: Option<String>,
    pub passport: Option<String>,
    /// Citizen identity number (CCCD, 12 digits) or old CMND (9 digits).
    pub national_id: Option<String>,
    /// Street address (number and street).
    pub address: Option<String>,
    /// Town, suburb, district.
    pub locality: Option<String>,
    pub postcode: Option<String>,
    pub phone: Option<String>,
}

/// Three-way decision for a candidate pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Confident enough to link without a person looking.
    Match,
    /// Goes to the review queue.
    Review,
    NonMatch,
}

/// One field's part in a pair's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldContribution {
    /// Comparison name: `name`, `dob`, `sex`, `hometown`, `passport`, …
    pub field: Cow<'static, str>,
    /// Comparison level label, e.g. `exact`, `phonetic`, `year only`, `one digit off`, `null`.
    pub level: Cow<'static, str>,
    /// Bayes factor m/u of this level (with term-frequency adjustment when applied).
    pub bayes_factor: f64,
    /// log2 of `bayes_factor`: the field's contribution to the match weight.
    pub log2_weight: f64,
}

/// Why a pair scored as it did: one entry per comparison, in a fixed order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// log2 of the prior odds λ/(1-λ) that every pair starts from.
    pub prior_log2: f64,
    pub fields: Vec<FieldContribution>,
}

/// A scored pair. In linkage `list_idx` indexes the incoming list and `reg_idx` the registry;
/// in deduplication both index the one file and `list_idx < reg_idx`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub list_idx: usize,
    pub reg_idx: usize,
    /// Calibrated posterior probability that the two records are the same person.
    pub probability: f64,
    /// log2 Bayes factor summed over fields plus the prior (log2 posterior odds).
    pub match_weight: f64,
    pub decision: Decision,
    pub explanation: Explanation,
}

/// How the engine runs. `Default` is what production uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkConfig {
    /// Candidates kept per list row (best first); namesakes tying with the last of them go to
    /// review too, up to [`crate::REVIEW_TIE_CAP`] in all.
    pub max_candidates: usize,
    /// Worker threads; 0 = all cores.
    pub threads: usize,
    /// Blocks larger than this are skipped for that rule (other rules still cover the pair).
    pub max_block_size: usize,
    /// Pairs below this probability are not returned at all.
    pub min_probability: f64,
    /// Fixed thresholds instead of the ones chosen from the fitted model (None = choose).
    pub match_threshold: Option<f64>,
    pub review_threshold: Option<f64>,
    /// EM iteration cap and convergence tolerance on parameters.
    pub em_max_iterations: usize,
    pub em_tolerance: f64,
    /// Random pairs drawn to estimate u probabilities.
    pub u_sample_pairs: usize,
    /// Seed for the random pair sample (runs are reproducible).
    pub seed: u64,
    /// Return every pair blocking compared in [`LinkResult::compared`] (for measuring blocking
    /// recall exactly; 8 bytes per pair).
    #[serde(default)]
    pub keep_compared: bool,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            max_candidates: 5,
            threads: 0,
            max_block_size: 2_000,
            min_probability: 0.01,
            match_threshold: None,
            review_threshold: None,
            em_max_iterations: 50,
            em_tolerance: 1e-6,
            u_sample_pairs: 300_000,
            seed: 0x0ba0_0b0a,
            keep_compared: false,
        }
    }
}

/// Pairs produced by one blocking rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BlockingRuleStats {
    pub rule: String,
    /// Pairs this rule generated (before removing those an earlier rule already produced).
    pub pairs: u64,
    /// Pairs first produced by this rule.
    pub new_pairs: u64,
    /// Blocks skipped because they were larger than `max_block_size`.
    pub skipped_blocks: u64,
}

/// What a run did and how long it took.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    pub rules: Vec<BlockingRuleStats>,
    /// Distinct pairs compared.
    pub pairs_compared: u64,
    /// Distinct comparison-vector patterns EM ran on.
    pub patterns: usize,
    pub em_iterations: usize,
    /// Estimated share of compared pairs that match (λ among blocked pairs).
    pub lambda: f64,
    /// Linking: estimated share of list rows whose person is in the registry (EM over rows).
    pub match_share: f64,
    pub match_threshold: f64,
    pub review_threshold: f64,
    pub prepare_ms: f64,
    pub blocking_ms: f64,
    pub training_ms: f64,
    pub scoring_ms: f64,
    pub total_ms: f64,
}

/// Linkage of an incoming list against a registry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkResult {
    /// Sorted by `list_idx`, then probability descending; at most `max_candidates` per row,
    /// plus tying namesakes sent to review (at most [`crate::REVIEW_TIE_CAP`] in all).
    pub candidates: Vec<Candidate>,
    /// Every (list row, registry row) pair blocking compared, sorted; empty unless
    /// [`LinkConfig::keep_compared`] was set.
    #[serde(default)]
    pub compared: Vec<(u32, u32)>,
    pub stats: RunStats,
}

impl LinkResult {
    /// Whether blocking compared this pair (only meaningful with
    /// [`LinkConfig::keep_compared`]).
    pub fn was_compared(&self, list_idx: usize, reg_idx: usize) -> bool {
        let (Ok(a), Ok(b)) = (u32::try_from(list_idx), u32::try_from(reg_idx)) else {
            return false;
        };
        self.compared.binary_search(&(a, b)).is_ok()
    }
}

/// Deduplication of one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DedupeResult {
    /// Scored pairs (`list_idx < reg_idx`, both index `records`), probability descending.
    pub pairs: Vec<Candidate>,
    /// Groups of record indices linked by `Match` pairs; singletons are left out.
    pub clusters: Vec<Vec<usize>>,
    pub stats: RunStats,
}
