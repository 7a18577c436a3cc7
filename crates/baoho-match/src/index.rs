//! A registry kept in memory for single-record queries (the intake duplicate warning): the
//! prepared records, their blocking keys and term frequencies, plus a trained [`Model`].

use crate::blocking::{KeyIndex, Pair, query, record_keys, rule_cap};
use crate::compare::{Comparison, compare};
use crate::engine::{explain, resolver};
use crate::model::{
    Params, SplitMix, TermFreq, estimate_u, match_weight, patterns, probability, train,
};
use crate::prep::{Side, Store};
use crate::record::{Candidate, Decision, LinkConfig, Record};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::sync::RwLock;

/// Registry records prepared for matching. Build once, keep (the server does), push new
/// registrations as they arrive. Queries take a short write lock to intern new words.
#[derive(Debug)]
pub struct Index {
    store: RwLock<Store>,
    side: Side,
    keys: KeyIndex,
    /// Keys of records pushed after the build.
    extra: FxHashMap<u64, Vec<u32>>,
    tf: TermFreq,
    max_block: usize,
}

impl Index {
    pub fn build(records: &[Record]) -> Self {
        let mut store = Store::new(resolver());
        let side = store.prepare(records);
        let keys = KeyIndex::build(&store, &side);
        let tf = TermFreq::build(&store, &side);
        Index {
            store: RwLock::new(store),
            side,
            keys,
            extra: FxHashMap::default(),
            tf,
            max_block: LinkConfig::default().max_block_size,
        }
    }

    /// Add one record; returns its index (the `reg_idx` candidates will carry). Term
    /// frequencies are those of the build until the index is rebuilt.
    pub fn push(&mut self, record: &Record) -> usize {
        let store = self.store.get_mut().unwrap_or_else(|e| e.into_inner());
        let one = store.prepare(std::slice::from_ref(record));
        let id = self.side.append(&one);
        let mut buf = Vec::new();
        if let Some(r) = self.side.recs.get(id) {
            record_keys(store, &self.side, r, &mut buf);
        }
        for (_, k) in buf {
            self.extra.entry(k).or_default().push(id as u32);
        }
        id
    }

    pub fn len(&self) -> usize {
        self.side.len()
    }

    pub fn is_empty(&self) -> bool {
        self.side.len() == 0
    }
}

/// Trained Fellegi–Sunter parameters (m, u, λ) and thresholds. Train once on a registry,
/// serialise with serde, score single records cheaply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub params: Params,
    pub match_threshold: f64,
    pub review_threshold: f64,
}

impl Model {
    /// Train without labels on the registry's own pairs: a sample of records is blocked
    /// against the whole index (deduplication setting).
    pub fn train(index: &Index, cfg: &LinkConfig) -> Self {
        let store = index.store.read().unwrap_or_else(|e| e.into_inner());
        let n = index.side.len();
        let sample_n = n.min(20_000);
        let mut rng = SplitMix(cfg.seed);
        let mut sample: Vec<u32> = (0..sample_n).map(|_| rng.below(n.max(1)) as u32).collect();
        sample.sort_unstable();
        sample.dedup();
        let mut pairs: Vec<Pair> = Vec::new();
        let mut out = Vec::new();
        for &a in &sample {
            let r = &index.side.recs[a as usize];
            query(
                &store,
                &index.side,
                r,
                &index.keys,
                index.max_block,
                &mut out,
            );
            pairs.extend(
                out.iter()
                    .filter(|&&(b, _)| b != a)
                    .map(|&(b, rules)| Pair { a, b, rules }),
            );
        }
        let comps: Vec<Comparison> = pairs
            .iter()
            .map(|p| {
                let (ra, rb) = (
                    &index.side.recs[p.a as usize],
                    &index.side.recs[p.b as usize],
                );
                compare(&store, &index.side, ra, &index.side, rb)
            })
            .collect();
        let u = estimate_u(
            &store,
            &index.side,
            &index.side,
            true,
            cfg.u_sample_pairs,
            cfg.seed,
        );
        let pats = patterns(&comps, &pairs);
        let space = sample.len() as f64 * (n.saturating_sub(1)) as f64;
        let mut params = train(&pats, u, space, cfg.em_max_iterations, cfg.em_tolerance);
        // Prior for a query: about one new registration in fifty is someone already
        // registered, whatever this registry's own duplicate rate says.
        params.lambda = params.lambda.max(0.02 / n.max(1) as f64);
        Model {
            params,
            match_threshold: cfg.match_threshold.unwrap_or(0.99),
            review_threshold: cfg.review_threshold.unwrap_or(0.2),
        }
    }

    /// Candidates for one incoming record against `index`, best first, at most `max`.
    /// `list_idx` is 0; `probability` is the pairwise posterior.
    pub fn candidates(&self, record: &Record, index: &Index, max: usize) -> Vec<Candidate> {
        let qside = {
            let mut store = index.store.write().unwrap_or_else(|e| e.into_inner());
            store.prepare(std::slice::from_ref(record))
        };
        let store = index.store.read().unwrap_or_else(|e| e.into_inner());
        let Some(q) = qside.recs.first() else {
            return Vec::new();
        };
        let mut ids = Vec::new();
        query(&store, &qside, q, &index.keys, index.max_block, &mut ids);
        let mut buf = Vec::new();
        record_keys(&store, &qside, q, &mut buf);
        for (rule, k) in buf {
            if let Some(v) = index.extra.get(&k)
                && v.len() <= rule_cap(usize::from(rule), index.max_block)
            {
                ids.extend(v.iter().map(|&id| (id, 1u16 << rule)));
            }
        }
        ids.sort_unstable();
        ids.dedup_by_key(|x| x.0);
        let mut out: Vec<Candidate> = ids
            .iter()
            .filter_map(|&(b, _)| {
                let rb = index.side.recs.get(b as usize)?;
                let c = compare(&store, &qside, q, &index.side, rb);
                let w = match_weight(&self.params, &index.tf, &c, q);
                let p = probability(w);
                (p >= 1e-6).then(|| Candidate {
                    list_idx: 0,
                    reg_idx: b as usize,
                    probability: p,
                    match_weight: w,
                    decision: if p >= self.match_threshold {
                        Decision::Match
                    } else if p >= self.review_threshold {
                        Decision::Review
                    } else {
                        Decision::NonMatch
                    },
                    explanation: explain(&self.params, &index.tf, &c, q),
                })
            })
            .collect();
        out.sort_by(|x, y| y.match_weight.total_cmp(&x.match_weight));
        out.truncate(max);
        out
    }
}
