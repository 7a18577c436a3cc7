//! Fellegi–Sunter parameters: u from random pairs, m by EM without labels (one session per
//! blocking rule, the rule's own fields held out, as Splink does), the prior λ by a fixed
//! point over all blocked pairs, and term-frequency adjusted Bayes factors.

use crate::blocking::{N_RULES, Pair, rule_fields};
use crate::compare::{Comparison, Gamma, LEVELS, N_FIELDS, compare, level, tf_level};
use crate::intern::NONE;
use crate::prep::{Prep, Side, Store};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// Trained parameters, per field and level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Prior probability that two random records are the same person.
    pub lambda: f64,
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
    pub em_iterations: usize,
}

/// Small deterministic generator for the random-pair sample (reproducible runs).
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

fn counts_of(gammas: impl Iterator<Item = Gamma>) -> Vec<Vec<u64>> {
    let mut c: Vec<Vec<u64>> = LEVELS.iter().map(|l| vec![0; l.len()]).collect();
    for g in gammas {
        for (f, cf) in c.iter_mut().enumerate() {
            if let Some(x) = cf.get_mut(usize::from(level(g, f))) {
                *x += 1;
            }
        }
    }
    c
}

/// u probabilities from `samples` random pairs (a from side A, b from side B, a ≠ b when
/// both sides are the same file).
pub fn estimate_u(
    s: &Store,
    sa: &Side,
    sb: &Side,
    same: bool,
    samples: usize,
    seed: u64,
) -> Vec<Vec<f64>> {
    let (na, nb) = (sa.len(), sb.len());
    if na == 0 || nb == 0 || (same && na < 2) {
        return LEVELS
            .iter()
            .map(|l| vec![1.0 / l.len() as f64; l.len()])
            .collect();
    }
    let parts = 16usize;
    let per = samples.div_ceil(parts);
    let counts: Vec<Vec<Vec<u64>>> = (0..parts)
        .into_par_iter()
        .map(|p| {
            let mut rng = SplitMix(seed ^ (p as u64).wrapping_mul(0x5851_f42d_4c95_7f2d));
            counts_of((0..per).map(|_| {
                let i = rng.below(na);
                let mut j = rng.below(nb);
                if same && i == j {
                    j = (j + 1) % nb;
                }
                compare(s, sa, &sa.recs[i], sb, &sb.recs[j]).gamma
            }))
        })
        .collect();
    let mut total: Vec<Vec<u64>> = LEVELS.iter().map(|l| vec![0; l.len()]).collect();
    for c in counts {
        for (t, x) in total.iter_mut().zip(c) {
            for (a, b) in t.iter_mut().zip(x) {
                *a += b;
            }
        }
    }
    total
        .iter()
        .map(|c| {
            let nonnull: u64 = c.iter().skip(1).sum();
            let denom = nonnull as f64 + 1.0;
            let mut u: Vec<f64> = c
                .iter()
                .enumerate()
                .map(|(l, &x)| {
                    if l == 0 {
                        1.0
                    } else {
                        (x as f64).max(0.5) / denom
                    }
                })
                .collect();
            let sum: f64 = u.iter().skip(1).sum();
            for x in u.iter_mut().skip(1) {
                *x /= sum;
            }
            u
        })
        .collect()
}

/// Starting m: most mass on the first agreeing level, decreasing after.
fn initial_m() -> Vec<Vec<f64>> {
    LEVELS
        .iter()
        .map(|l| {
            let k = l.len() - 1;
            let mut v = vec![1.0];
            let mut rest = 1.0;
            for i in 0..k {
                let x = if i + 1 == k { rest } else { rest * 0.85 };
                v.push(x);
                rest -= x;
            }
            v
        })
        .collect()
}

pub struct Patterns {
    /// (gamma, rule mask) → count.
    pub counts: Vec<(Gamma, u16, f64)>,
}

pub fn patterns(comps: &[Comparison], pairs: &[Pair]) -> Patterns {
    let mut map: FxHashMap<(Gamma, u16), f64> = FxHashMap::default();
    for (c, p) in comps.iter().zip(pairs) {
        *map.entry((c.gamma, p.rules)).or_insert(0.0) += 1.0;
    }
    Patterns {
        counts: map.into_iter().map(|((g, r), n)| (g, r, n)).collect(),
    }
}

fn mask_fields(g: Gamma, fields: &[usize]) -> Gamma {
    let mut g = g;
    for &f in fields {
        g &= !(0xf << (4 * f));
    }
    g
}

/// No level is impossible among matches: a floor keeps one odd field from vetoing a pair.
const M_FLOOR: f64 = 5e-4;

struct Session {
    m: Vec<Vec<f64>>,
    /// Expected matches with each field observed (the weight of this session's m).
    weight: Vec<f64>,
    iterations: usize,
}

fn em_session(pats: &[(Gamma, f64)], u: &[Vec<f64>], max_iter: usize, tol: f64) -> Session {
    let mut m = initial_m();
    let mut lambda = 0.1f64;
    let ln_u: Vec<Vec<f64>> = u
        .iter()
        .map(|r| r.iter().map(|x| x.ln()).collect())
        .collect();
    let total: f64 = pats.iter().map(|p| p.1).sum();
    let mut weight = vec![0.0; N_FIELDS];
    let mut iterations = 0;
    for _ in 0..max_iter {
        iterations += 1;
        let ln_m: Vec<Vec<f64>> = m
            .iter()
            .map(|r| r.iter().map(|x| x.ln()).collect())
            .collect();
        let mut sums: Vec<Vec<f64>> = LEVELS.iter().map(|l| vec![0.0; l.len()]).collect();
        let mut tw = 0.0;
        let (lm0, lu0) = (lambda.ln(), (1.0 - lambda).ln());
        for &(g, n) in pats {
            let (mut lm, mut lu) = (lm0, lu0);
            for f in 0..N_FIELDS {
                let l = usize::from(level(g, f));
                if l > 0 {
                    lm += ln_m[f][l];
                    lu += ln_u[f][l];
                }
            }
            let w = 1.0 / (1.0 + (lu - lm).exp());
            let nw = n * w;
            tw += nw;
            for (f, s) in sums.iter_mut().enumerate() {
                let l = usize::from(level(g, f));
                if l > 0 {
                    s[l] += nw;
                }
            }
        }
        let mut delta: f64 = 0.0;
        for f in 0..N_FIELDS {
            let nonnull: f64 = sums[f].iter().skip(1).sum();
            weight[f] = nonnull;
            if nonnull < 1e-9 {
                continue;
            }
            for l in 1..sums[f].len() {
                let v = (sums[f][l] / nonnull).max(M_FLOOR);
                delta = delta.max((v - m[f][l]).abs());
                m[f][l] = v;
            }
        }
        lambda = (tw / total).clamp(1e-9, 1.0 - 1e-9);
        if delta < tol {
            break;
        }
    }
    Session {
        m,
        weight,
        iterations,
    }
}

/// Train m (EM per blocking rule) and λ from the blocked pairs' patterns.
pub fn train(pats: &Patterns, u: Vec<Vec<f64>>, space: f64, max_iter: usize, tol: f64) -> Params {
    let mut m_sum: Vec<Vec<f64>> = LEVELS.iter().map(|l| vec![0.0; l.len()]).collect();
    let mut w_sum = [0.0; N_FIELDS];
    let mut iters = 0;
    for rule in 0..N_RULES {
        let held = rule_fields(rule);
        let mut map: FxHashMap<Gamma, f64> = FxHashMap::default();
        for &(g, mask, n) in &pats.counts {
            if mask & (1 << rule) != 0 {
                *map.entry(mask_fields(g, held)).or_insert(0.0) += n;
            }
        }
        if map.is_empty() {
            continue;
        }
        let session_pats: Vec<(Gamma, f64)> = map.into_iter().collect();
        let s = em_session(&session_pats, &u, max_iter, tol);
        iters += s.iterations;
        for f in 0..N_FIELDS {
            if held.contains(&f) || s.weight[f] < 1.0 {
                continue;
            }
            for l in 1..m_sum[f].len() {
                m_sum[f][l] += s.weight[f] * s.m[f][l];
            }
            w_sum[f] += s.weight[f];
        }
    }
    let init = initial_m();
    let m: Vec<Vec<f64>> = (0..N_FIELDS)
        .map(|f| {
            if w_sum[f] > 0.0 {
                let mut v: Vec<f64> = m_sum[f].iter().map(|x| x / w_sum[f]).collect();
                v[0] = 1.0;
                v
            } else {
                init[f].clone()
            }
        })
        .collect();
    let mut params = Params {
        lambda: 1.0 / space.max(1.0),
        m,
        u,
        em_iterations: iters,
    };
    params.lambda = estimate_lambda(&params, pats, space);
    params
}

/// Fixed point of λ = E[matches | blocked pairs] / (all pairs), with m and u fixed.
fn estimate_lambda(p: &Params, pats: &Patterns, space: f64) -> f64 {
    let lw: Vec<f64> = pats.counts.iter().map(|&(g, _, _)| log_bf(p, g)).collect();
    let mut lambda = 1.0 / space.max(1.0);
    for _ in 0..200 {
        let prior = (lambda / (1.0 - lambda)).ln();
        let e: f64 = pats
            .counts
            .iter()
            .zip(&lw)
            .map(|(&(_, _, n), &w)| n / (1.0 + (-(prior + w)).exp()))
            .sum();
        let next = (e / space).clamp(1e-12, 0.5);
        if (next - lambda).abs() <= lambda * 1e-6 {
            lambda = next;
            break;
        }
        lambda = next;
    }
    lambda
}

/// Natural-log Bayes factor of a pattern (no term-frequency adjustment).
pub fn log_bf(p: &Params, g: Gamma) -> f64 {
    let mut w = 0.0;
    for f in 0..N_FIELDS {
        let l = usize::from(level(g, f));
        if l > 0 {
            w += (p.m[f][l] / p.u[f][l]).ln();
        }
    }
    w
}

/// Term frequencies of the values the adjustment uses, from the registry side.
#[derive(Debug, Clone, Default)]
pub struct TermFreq {
    pub family: Vec<f32>,
    pub given: Vec<f32>,
    pub locality: Vec<f32>,
    pub dob: FxHashMap<u32, f32>,
    pub dob_floor: f32,
    /// Middle names by [`crate::compare::middle_key`], among records that have any.
    pub middle: FxHashMap<u32, f32>,
    pub middle_floor: f32,
}

impl TermFreq {
    pub fn build(s: &Store, side: &Side) -> TermFreq {
        let nt = s.tokens.len();
        let mut fam = vec![0u32; nt];
        let mut giv = vec![0u32; nt];
        let mut loc = vec![0u32; s.localities.len()];
        let mut dob: FxHashMap<u32, u32> = FxHashMap::default();
        let mut mid: FxHashMap<u32, u32> = FxHashMap::default();
        let (mut nf, mut ng, mut nl, mut nd, mut nm) = (0u32, 0u32, 0u32, 0u32, 0u32);
        let mut count = |r: &Prep| {
            if let Some(x) = fam.get_mut(r.name.family as usize) {
                *x += 1;
                nf += 1;
            }
            if let Some(x) = giv.get_mut(r.name.given as usize) {
                *x += 1;
                ng += 1;
            }
            if let Some(x) = loc.get_mut(r.locality as usize) {
                *x += 1;
                nl += 1;
            }
            if r.dob.is_full() {
                *dob.entry(r.dob.packed()).or_insert(0) += 1;
                nd += 1;
            }
            let mk = crate::compare::middle_key(&r.name);
            if mk != NONE {
                *mid.entry(mk).or_insert(0) += 1;
                nm += 1;
            }
        };
        side.recs.iter().for_each(&mut count);
        let norm = |v: Vec<u32>, n: u32| -> Vec<f32> {
            let n = n.max(1) as f32;
            v.into_iter().map(|x| x.max(1) as f32 / n).collect()
        };
        let ndf = nd.max(1) as f32;
        TermFreq {
            family: norm(fam, nf),
            given: norm(giv, ng),
            locality: norm(loc, nl),
            dob: dob.into_iter().map(|(k, v)| (k, v as f32 / ndf)).collect(),
            dob_floor: 1.0 / ndf,
            middle: mid
                .into_iter()
                .map(|(k, v)| (k, v as f32 / nm.max(1) as f32))
                .collect(),
            middle_floor: 1.0 / nm.max(1) as f32,
        }
    }

    /// Frequency of the agreed value for a term-frequency level, if known.
    pub fn of(&self, field: usize, c: &Comparison, a: &Prep) -> Option<f64> {
        use crate::compare::{DOB, FAMILY, GIVEN, LOCALITY, MIDDLE};
        let get = |v: &Vec<f32>, id: u32| {
            if id == NONE {
                None
            } else {
                v.get(id as usize).map(|&x| f64::from(x))
            }
        };
        // A token agreeing as family (or given) name may stand in the other slot on one side
        // (swapped fields, ambiguous order): then take the larger of its two frequencies;
        // otherwise its frequency in its own slot (the given name Nguyên is not as common as
        // the family name Nguyễn).
        let either = |id: u32| match (get(&self.family, id), get(&self.given, id)) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let slot = |v: &Vec<f32>, id: u32| {
            if c.own_slot {
                get(v, id).or_else(|| either(id))
            } else {
                either(id)
            }
        };
        match field {
            FAMILY => slot(&self.family, c.family_tok),
            GIVEN => slot(&self.given, c.given_tok),
            LOCALITY => get(&self.locality, a.locality),
            MIDDLE if c.middle_key != NONE => Some(f64::from(
                self.middle
                    .get(&c.middle_key)
                    .copied()
                    .unwrap_or(self.middle_floor),
            )),
            DOB => Some(f64::from(
                self.dob
                    .get(&a.dob.packed())
                    .copied()
                    .unwrap_or(self.dob_floor),
            )),
            _ => None,
        }
    }
}

/// Per-field log2 Bayes factor of a compared pair, with term-frequency adjustment.
pub fn field_log2(p: &Params, tf: &TermFreq, c: &Comparison, a: &Prep, f: usize) -> (u8, f64) {
    let l = level(c.gamma, f);
    if l == 0 {
        return (0, 0.0);
    }
    let m = p.m[f][usize::from(l)];
    let mut u = p.u[f][usize::from(l)];
    if tf_level(f, l)
        && let Some(freq) = tf.of(f, c, a)
    {
        // The chance that a random other record shares this very value.
        u = freq.max(1e-7);
    }
    (l, (m / u).log2())
}

/// Total match weight (log2 posterior odds) of a compared pair.
pub fn match_weight(p: &Params, tf: &TermFreq, c: &Comparison, a: &Prep) -> f64 {
    let mut w = (p.lambda / (1.0 - p.lambda)).log2();
    for f in 0..N_FIELDS {
        w += field_log2(p, tf, c, a, f).1;
    }
    w
}

pub fn probability(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}
