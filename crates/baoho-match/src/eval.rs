//! Measuring a linkage against the truth.
//!
//! Definitions (a "row" is a list row; its "true persons" are the registry ids the truth gives
//! for it that exist in the registry file; its "best candidate" is its candidate with the
//! highest probability):
//!
//! - **pairwise** P/R/F1 at the decision threshold: predicted pairs are the candidates decided
//!   `Match`; true pairs are the truth's (list row, registry person) pairs.
//! - **top-1** P/R/F1: a row's prediction is its best candidate when that is decided `Match`
//!   (the auto match); recall is over rows with a true match. This is what the generator's
//!   oracle ceiling (`baoho_gen::ceiling`) bounds.
//! - **top-1 incl. review**: the same with the best candidate predicted when decided `Match`
//!   or `Review` (ranking quality of what the officer sees first).
//! - **auto-match precision**: of the rows whose best candidate is decided `Match`, the share
//!   whose best candidate is a true person (equal to top-1 precision; reported with counts).
//! - **true person on screen**: of the rows with a true match, the share whose true person is
//!   the auto match or among the candidates decided `Review`.
//! - **review share**: rows sent to review (best candidate decided `Review`) over all rows.
//! - **blocking recall**: true pairs the blocking compared, over all true pairs. Exact when the
//!   caller supplies which pairs were compared; otherwise a lower bound from the pairs present
//!   among the returned candidates (pairs scored below the cut-off are not returned).

use crate::io::TruthRow;
use crate::{Candidate, Decision, Record};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Precision, recall and F1 with their counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Prf {
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Prf {
    pub fn new(tp: u64, fp: u64, fn_: u64) -> Self {
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let precision = if tp + fp == 0 {
            1.0
        } else {
            ratio(tp, tp + fp)
        };
        let recall = if tp + fn_ == 0 {
            1.0
        } else {
            ratio(tp, tp + fn_)
        };
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Self {
            tp,
            fp,
            fn_,
            precision,
            recall,
            f1,
        }
    }
}

/// Everything `baoho match --truth` prints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub list_rows: usize,
    /// Rows with at least one true person in the registry file.
    pub rows_with_match: usize,
    pub true_pairs: usize,
    /// Truth ids found in neither file (ignored).
    pub unknown_truth_ids: usize,
    pub pairwise: Prf,
    pub top1: Prf,
    pub top1_incl_review: Prf,
    /// Rows whose best candidate is decided `Match`.
    pub auto_matches: usize,
    pub auto_match_correct: usize,
    pub auto_match_precision: f64,
    /// Rows whose best candidate is decided `Review`.
    pub review_rows: usize,
    pub review_share: f64,
    /// Rows with no candidate decided `Match` or `Review`.
    pub no_match_rows: usize,
    pub on_screen_rows: usize,
    pub on_screen: f64,
    pub blocking_recall: f64,
    /// False when `blocking_recall` is only the lower bound from the returned candidates.
    pub blocking_recall_exact: bool,
}

/// Evaluate a linkage. `compared(list_idx, reg_idx)` tells whether blocking compared a pair,
/// when the engine can say; without it blocking recall is a lower bound.
pub fn evaluate(
    list: &[Record],
    registry: &[Record],
    candidates: &[Candidate],
    truth: &[TruthRow],
    compared: Option<&dyn Fn(usize, usize) -> bool>,
) -> Evaluation {
    let list_ix: HashMap<&str, usize> = list
        .iter()
        .enumerate()
        .rev()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let reg_ix: HashMap<&str, usize> = registry
        .iter()
        .enumerate()
        .rev()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut unknown = 0usize;
    let mut true_pairs: HashSet<(usize, usize)> = HashSet::new();
    for t in truth {
        let Some(&l) = list_ix.get(t.list_id.as_str()) else {
            unknown += 1;
            continue;
        };
        if let Some(rid) = &t.registry_id {
            match reg_ix.get(rid.as_str()) {
                Some(&r) => {
                    true_pairs.insert((l, r));
                }
                None => unknown += 1,
            }
        }
    }
    let rows_with_match: HashSet<usize> = true_pairs.iter().map(|(l, _)| *l).collect();

    // Per row: best candidate and the on-screen set.
    let mut best: HashMap<usize, &Candidate> = HashMap::new();
    for c in candidates {
        let e = best.entry(c.list_idx).or_insert(c);
        if c.probability > e.probability {
            *e = c;
        }
    }
    let mut pw_tp = 0u64;
    let mut pw_pred = 0u64;
    let mut on_screen: HashSet<usize> = HashSet::new();
    let mut in_candidates = 0usize;
    let mut seen_pairs: HashSet<(usize, usize)> = HashSet::new();
    for c in candidates {
        let pair = (c.list_idx, c.reg_idx);
        let is_true = true_pairs.contains(&pair);
        if c.decision == Decision::Match {
            pw_pred += 1;
            pw_tp += u64::from(is_true);
        }
        if is_true && seen_pairs.insert(pair) {
            in_candidates += 1;
            if matches!(c.decision, Decision::Match | Decision::Review) {
                on_screen.insert(c.list_idx);
            }
        }
    }

    let (mut auto, mut auto_ok, mut review, mut review_ok) = (0usize, 0usize, 0usize, 0usize);
    for (l, c) in &best {
        let ok = true_pairs.contains(&(*l, c.reg_idx));
        match c.decision {
            Decision::Match => {
                auto += 1;
                auto_ok += usize::from(ok);
            }
            Decision::Review => {
                review += 1;
                review_ok += usize::from(ok);
            }
            Decision::NonMatch => {}
        }
    }
    let n_match = rows_with_match.len() as u64;
    let top1 = Prf::new(
        auto_ok as u64,
        (auto - auto_ok) as u64,
        n_match - auto_ok as u64,
    );
    let any_ok = (auto_ok + review_ok) as u64;
    let top1_incl_review = Prf::new(any_ok, (auto + review) as u64 - any_ok, n_match - any_ok);
    let pairwise = Prf::new(pw_tp, pw_pred - pw_tp, true_pairs.len() as u64 - pw_tp);

    let (blocking_recall, exact) = if true_pairs.is_empty() {
        (1.0, compared.is_some())
    } else if let Some(f) = compared {
        let n = true_pairs.iter().filter(|(l, r)| f(*l, *r)).count();
        (n as f64 / true_pairs.len() as f64, true)
    } else {
        (in_candidates as f64 / true_pairs.len() as f64, false)
    };
    let share = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Evaluation {
        list_rows: list.len(),
        rows_with_match: rows_with_match.len(),
        true_pairs: true_pairs.len(),
        unknown_truth_ids: unknown,
        pairwise,
        top1,
        top1_incl_review,
        auto_matches: auto,
        auto_match_correct: auto_ok,
        auto_match_precision: if auto == 0 { 1.0 } else { share(auto_ok, auto) },
        review_rows: review,
        review_share: share(review, list.len()),
        no_match_rows: list.len() - auto - review,
        on_screen_rows: on_screen.len(),
        on_screen: if rows_with_match.is_empty() {
            1.0
        } else {
            share(on_screen.len(), rows_with_match.len())
        },
        blocking_recall,
        blocking_recall_exact: exact,
    }
}

impl Evaluation {
    /// A short human-readable report.
    pub fn report(&self) -> String {
        let p = |x: &Prf| format!("P {:.4}  R {:.4}  F1 {:.4}", x.precision, x.recall, x.f1);
        format!(
            "rows {} ({} with a true match, {} true pairs{})\n\
             pairwise (decided match)      {}\n\
             top-1 (auto match)            {}\n\
             top-1 incl. review            {}\n\
             auto-match precision          {:.4} ({} of {} rows)\n\
             true person on screen         {:.4} ({} of {} rows)\n\
             review share                  {:.4} ({} rows); no match {} rows\n\
             blocking recall               {:.4}{}",
            self.list_rows,
            self.rows_with_match,
            self.true_pairs,
            if self.unknown_truth_ids > 0 {
                format!(", {} truth ids not in the files", self.unknown_truth_ids)
            } else {
                String::new()
            },
            p(&self.pairwise),
            p(&self.top1),
            p(&self.top1_incl_review),
            self.auto_match_precision,
            self.auto_match_correct,
            self.auto_matches,
            self.on_screen,
            self.on_screen_rows,
            self.rows_with_match,
            self.review_share,
            self.review_rows,
            self.no_match_rows,
            self.blocking_recall,
            if self.blocking_recall_exact {
                ""
            } else {
                " (lower bound: true pairs among returned candidates)"
            },
        )
    }
}

/// Deduplication measured against the truth (`(record id, person id)` for every record).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DedupeEvaluation {
    pub records: usize,
    /// Pairs of records of the same person.
    pub true_pairs: u64,
    /// Pairs inside the predicted clusters against the true pairs.
    pub clusters: Prf,
    /// Pairs decided `Match` against the true pairs.
    pub pairwise: Prf,
    /// Pairs decided `Review`, and how many of them are true.
    pub review_pairs: usize,
    pub review_true: usize,
    /// True pairs among the returned pairs (a lower bound on blocking recall).
    pub blocking_recall_lower_bound: f64,
}

/// Evaluate a deduplication. `truth` gives each record id its person (cluster) id; records it
/// does not name count as their own person.
pub fn evaluate_dedupe(
    records: &[Record],
    result: &crate::DedupeResult,
    truth: &[(String, String)],
) -> DedupeEvaluation {
    let person: HashMap<&str, &str> = truth
        .iter()
        .map(|(r, p)| (r.as_str(), p.as_str()))
        .collect();
    let cluster_of: Vec<Option<&str>> = records
        .iter()
        .map(|r| person.get(r.id.as_str()).copied())
        .collect();
    let same = |a: usize, b: usize| match (cluster_of.get(a), cluster_of.get(b)) {
        (Some(Some(x)), Some(Some(y))) => x == y,
        _ => false,
    };
    let mut sizes: HashMap<&str, u64> = HashMap::new();
    for c in cluster_of.iter().flatten() {
        *sizes.entry(c).or_default() += 1;
    }
    let true_pairs: u64 = sizes.values().map(|k| k * (k - 1) / 2).sum();

    let (mut pred, mut pred_ok) = (0u64, 0u64);
    for cl in &result.clusters {
        let k = cl.len() as u64;
        pred += k * k.saturating_sub(1) / 2;
        let mut by_person: HashMap<&str, u64> = HashMap::new();
        for &i in cl {
            if let Some(Some(c)) = cluster_of.get(i) {
                *by_person.entry(c).or_default() += 1;
            }
        }
        pred_ok += by_person.values().map(|k| k * (k - 1) / 2).sum::<u64>();
    }
    let (mut m, mut m_ok, mut rv, mut rv_ok, mut found) = (0u64, 0u64, 0usize, 0usize, 0u64);
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    for c in &result.pairs {
        let t = same(c.list_idx, c.reg_idx);
        let key = (c.list_idx.min(c.reg_idx), c.list_idx.max(c.reg_idx));
        if t && seen.insert(key) {
            found += 1;
        }
        match c.decision {
            Decision::Match => {
                m += 1;
                m_ok += u64::from(t);
            }
            Decision::Review => {
                rv += 1;
                rv_ok += usize::from(t);
            }
            Decision::NonMatch => {}
        }
    }
    DedupeEvaluation {
        records: records.len(),
        true_pairs,
        clusters: Prf::new(
            pred_ok,
            pred - pred_ok,
            true_pairs - pred_ok.min(true_pairs),
        ),
        pairwise: Prf::new(m_ok, m - m_ok, true_pairs - m_ok.min(true_pairs)),
        review_pairs: rv,
        review_true: rv_ok,
        blocking_recall_lower_bound: if true_pairs == 0 {
            1.0
        } else {
            found as f64 / true_pairs as f64
        },
    }
}

impl DedupeEvaluation {
    pub fn report(&self) -> String {
        let p = |x: &Prf| format!("P {:.4}  R {:.4}  F1 {:.4}", x.precision, x.recall, x.f1);
        format!(
            "records {} ({} true duplicate pairs)\n\
             cluster pairs                 {}\n\
             pairs decided match           {}\n\
             pairs for review              {} ({} true)\n\
             blocking recall               {:.4} (lower bound: true pairs among returned pairs)",
            self.records,
            self.true_pairs,
            p(&self.clusters),
            p(&self.pairwise),
            self.review_pairs,
            self.review_true,
            self.blocking_recall_lower_bound,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Explanation;

    fn rec(id: &str) -> Record {
        Record {
            id: id.into(),
            name: id.into(),
            ..Default::default()
        }
    }

    fn cand(l: usize, r: usize, p: f64, d: Decision) -> Candidate {
        Candidate {
            list_idx: l,
            reg_idx: r,
            probability: p,
            match_weight: 0.0,
            decision: d,
            explanation: Explanation::default(),
        }
    }

    fn truth(l: &str, r: Option<&str>) -> TruthRow {
        TruthRow {
            list_id: l.into(),
            registry_id: r.map(str::to_owned),
        }
    }

    #[test]
    fn all_measures_on_a_small_case() {
        let list: Vec<Record> = ["L1", "L2", "L3", "L4", "L5"]
            .into_iter()
            .map(rec)
            .collect();
        let reg: Vec<Record> = ["R1", "R2", "R3", "R4", "R5"]
            .into_iter()
            .map(rec)
            .collect();
        // L1→R1 auto, correct. L2→R2 true, but auto-matched to R3 (wrong), R2 in review.
        // L3→R3 true, in review as best. L4 true R4, nothing found. L5 no true match, reviewed.
        let cands = vec![
            cand(0, 0, 0.99, Decision::Match),
            cand(1, 2, 0.97, Decision::Match),
            cand(1, 1, 0.60, Decision::Review),
            cand(2, 2, 0.70, Decision::Review),
            cand(2, 4, 0.20, Decision::NonMatch),
            cand(4, 4, 0.55, Decision::Review),
        ];
        let t = vec![
            truth("L1", Some("R1")),
            truth("L2", Some("R2")),
            truth("L3", Some("R3")),
            truth("L4", Some("R4")),
            truth("L5", None),
            truth("L9", Some("R1")),
        ];
        let e = evaluate(&list, &reg, &cands, &t, None);
        assert_eq!(e.rows_with_match, 4);
        assert_eq!(e.true_pairs, 4);
        assert_eq!(e.unknown_truth_ids, 1);
        assert_eq!((e.pairwise.tp, e.pairwise.fp, e.pairwise.fn_), (1, 1, 3));
        assert_eq!((e.top1.tp, e.top1.fp, e.top1.fn_), (1, 1, 3));
        assert!((e.top1.precision - 0.5).abs() < 1e-12);
        assert!((e.top1.recall - 0.25).abs() < 1e-12);
        assert_eq!((e.top1_incl_review.tp, e.top1_incl_review.fp), (2, 2));
        assert_eq!((e.auto_matches, e.auto_match_correct), (2, 1));
        assert_eq!(e.review_rows, 2);
        assert!((e.review_share - 0.4).abs() < 1e-12);
        assert_eq!(e.no_match_rows, 1);
        // On screen: L1 (auto), L2 (R2 in review), L3 (review) — not L4.
        assert_eq!(e.on_screen_rows, 3);
        assert!((e.on_screen - 0.75).abs() < 1e-12);
        assert!((e.blocking_recall - 0.75).abs() < 1e-12);
        assert!(!e.blocking_recall_exact);

        let compared = |l: usize, r: usize| l == r;
        let e = evaluate(&list, &reg, &cands, &t, Some(&compared));
        assert!((e.blocking_recall - 1.0).abs() < 1e-12);
        assert!(e.blocking_recall_exact);
        assert!(e.report().contains("blocking recall"));
    }

    #[test]
    fn empty_inputs() {
        let e = evaluate(&[], &[], &[], &[], None);
        assert_eq!(e.list_rows, 0);
        assert_eq!(e.top1.precision, 1.0);
        assert_eq!(e.review_share, 0.0);
    }

    #[test]
    fn dedupe_measures() {
        let recs: Vec<Record> = ["a", "b", "c", "d", "e"].into_iter().map(rec).collect();
        // Truth: {a, b, c} one person, {d, e} another.
        let truth: Vec<(String, String)> = [
            ("a", "P1"),
            ("b", "P1"),
            ("c", "P1"),
            ("d", "P2"),
            ("e", "P2"),
        ]
        .into_iter()
        .map(|(r, p)| (r.to_owned(), p.to_owned()))
        .collect();
        // Predicted clusters {a, b} and {c, d}: one right pair, one wrong.
        let result = crate::DedupeResult {
            pairs: vec![
                cand(0, 1, 0.99, Decision::Match),
                cand(2, 3, 0.95, Decision::Match),
                cand(3, 4, 0.5, Decision::Review),
            ],
            clusters: vec![vec![0, 1], vec![2, 3]],
            ..Default::default()
        };
        let e = evaluate_dedupe(&recs, &result, &truth);
        assert_eq!(e.true_pairs, 4);
        assert_eq!((e.clusters.tp, e.clusters.fp, e.clusters.fn_), (1, 1, 3));
        assert_eq!((e.pairwise.tp, e.pairwise.fp), (1, 1));
        assert_eq!((e.review_pairs, e.review_true), (1, 1));
        assert!((e.blocking_recall_lower_bound - 0.5).abs() < 1e-12);
        assert!(e.report().contains("cluster pairs"));
    }

    #[test]
    fn prf() {
        let p = Prf::new(8, 2, 2);
        assert!((p.precision - 0.8).abs() < 1e-12);
        assert!((p.recall - 0.8).abs() < 1e-12);
        assert!((p.f1 - 0.8).abs() < 1e-12);
        assert_eq!(Prf::new(0, 0, 5).recall, 0.0);
    }
}
