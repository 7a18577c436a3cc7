//! Blocking: which pairs get compared. A union of rules, each a key per record; two records
//! sharing a key under some rule form a candidate pair. A block larger than the cap is
//! skipped for that rule (the other rules still cover its pairs), so a common name such as
//! Nguyễn never explodes the pair count.

use crate::intern::NONE;
use crate::prep::{Name, Prep, Side, Store};
use crate::record::BlockingRuleStats;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

pub const RULES: [&str; 15] = [
    "document number",
    "document number, one digit off",
    "family+given phonetic, birth year",
    "given phonetic, birth day+month (either order)",
    "birth date (day and month either order), family phonetic",
    "family+given phonetic, place (hometown, locality or postcode)",
    "phone",
    "birth date, place",
    "family phonetic, place (small blocks only)",
    "given phonetic, place (small blocks only)",
    "full name phonetic (small blocks only)",
    "family + given within one edit, birth year",
    "family + given within one edit, place",
    "family + given within one edit (small blocks only)",
    "family + given within one edit, birth day+month (either order)",
];

/// Rules whose blocks are capped at a sixteenth of the configured size (the name-only typo
/// rule at a fortieth): broad keys that only help where names or places are rare.
pub fn rule_cap(rule: usize, max_block: usize) -> usize {
    match rule {
        8..=12 | 14 => (max_block / 16).max(8),
        13 => (max_block / 40).max(8),
        _ => max_block,
    }
}
pub const N_RULES: usize = RULES.len();
// Rule sets travel as u16 masks.
const _: () = assert!(N_RULES <= 16);

/// Fields whose comparison a rule forces to agree (excluded from EM in that rule's session).
/// Given names are gendered and go with particular middle names, so rules on a given name
/// also hold out sex and middle name: within such a block non-matches agree on them far more
/// often than random pairs do, which would pull EM's match class towards them.
pub fn rule_fields(rule: usize) -> &'static [usize] {
    use crate::compare::*;
    match rule {
        0 | 1 => &[PASSPORT, NATIONAL_ID],
        2 => &[FAMILY, GIVEN, DOB, SEX, MIDDLE],
        3 => &[GIVEN, DOB, SEX, MIDDLE],
        4 => &[DOB, FAMILY],
        5 => &[FAMILY, GIVEN, SEX, MIDDLE, HOMETOWN, LOCALITY, POSTCODE],
        6 => &[PHONE],
        7 => &[DOB, HOMETOWN, LOCALITY, POSTCODE],
        8 => &[FAMILY, HOMETOWN, LOCALITY, POSTCODE],
        10 | 13 => &[FAMILY, GIVEN, MIDDLE, SEX],
        11 | 14 => &[FAMILY, GIVEN, MIDDLE, SEX, DOB],
        12 => &[FAMILY, GIVEN, MIDDLE, SEX, HOMETOWN, LOCALITY, POSTCODE],
        _ => &[GIVEN, SEX, MIDDLE, HOMETOWN, LOCALITY, POSTCODE],
    }
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn key(rule: usize, parts: &[u64]) -> u64 {
    let mut h = mix(rule as u64 + 1);
    for &p in parts {
        h = mix(h ^ p.wrapping_add(0x9e37_79b9_7f4a_7c15));
    }
    h
}

fn code_hash(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in b {
        h = (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Every blocking key of one record as (rule, key). Keys are deduplicated per record.
pub fn record_keys(s: &Store, side: &Side, r: &Prep, out: &mut Vec<(u8, u64)>) {
    out.clear();
    for doc in [&r.passport, &r.national_id] {
        let b = doc.as_bytes();
        if b.len() >= 5 {
            out.push((0, key(0, &[code_hash(b)])));
        }
        if b.len() >= 7 {
            // A misread character leaves three of the four position classes (mod 4) intact:
            // one key per class, that class blanked. Length is part of the key.
            for class in 0..4u8 {
                let mut masked = [0u8; 15];
                for (i, &c) in b.iter().enumerate() {
                    masked[i] = if i % 4 == usize::from(class) { b'_' } else { c };
                }
                out.push((
                    1,
                    key(1, &[u64::from(class), code_hash(&masked[..b.len()])]),
                ));
            }
        }
    }
    let names = std::iter::once(&r.name).chain(side.alts_of(r));
    for n in names {
        name_keys(s, n, r, out);
    }
    if r.phone.as_bytes().len() >= 8 {
        out.push((6, key(6, &[code_hash(r.phone.as_bytes())])));
    }
    if r.dob.is_full() {
        for (kind, v) in places(s, r) {
            out.push((7, key(7, &[u64::from(r.dob.packed()), kind, v])));
        }
    }
    out.sort_unstable();
    out.dedup();
}

/// Place values of a record as (kind, value) hashes: hometown, locality, postcode.
fn places(s: &Store, r: &Prep) -> impl Iterator<Item = (u64, u64)> {
    // Hometown by its post-2025 province when known, so old and new names share a key.
    let home = s
        .place_prov
        .get(r.home as usize)
        .filter(|p| p.1 != NONE)
        .map_or(u64::from(r.home), |p| u64::from(p.1) | (1 << 40));
    [
        (r.home != NONE).then_some((1, home)),
        (r.locality != NONE).then(|| (2, u64::from(r.locality))),
        (!r.postcode.is_empty()).then(|| (3, code_hash(r.postcode.as_bytes()))),
    ]
    .into_iter()
    .flatten()
}

fn name_keys(s: &Store, n: &Name, r: &Prep, out: &mut Vec<(u8, u64)>) {
    // The family name by the known family name it is or misspells (`nguyem`, `phaam`),
    // else by its phonetic key: a typo in the family name keeps every name key.
    let fam = if n.family == NONE {
        NONE
    } else {
        s.family_key(n.family)
    };
    let giv = if n.given == NONE {
        NONE
    } else {
        s.phon(n.given)
    };
    let d = &r.dob;
    if fam != NONE && giv != NONE {
        // Unordered pair: a family/given swap keeps the key.
        let (lo, hi) = (u64::from(fam.min(giv)), u64::from(fam.max(giv)));
        if d.year != 0 {
            out.push((2, key(2, &[lo, hi, u64::from(d.year)])));
        }
        for (kind, v) in places(s, r) {
            out.push((5, key(5, &[lo, hi, kind, v])));
        }
        let mut parts = [lo, hi, 0, 0, 0];
        for (slot, &t) in parts[2..].iter_mut().zip(n.middle.iter()) {
            if t != NONE {
                *slot = u64::from(s.phon(t)) + 1;
            }
        }
        out.push((10, key(10, &parts)));
    }
    for (kind, v) in places(s, r) {
        if fam != NONE {
            out.push((8, key(8, &[u64::from(fam), kind, v])));
        }
        if giv != NONE {
            out.push((9, key(9, &[u64::from(giv), kind, v])));
        }
    }
    if n.family != NONE && n.given != NONE {
        // Typo-tolerant: the family name as the known family name it misspells, the given
        // name by its one-deletion neighbourhood (a typo on each side still shares a key).
        let famc = u64::from(fam);
        for &dk in s.deletions(n.given) {
            if d.year != 0 {
                out.push((11, key(11, &[famc, dk, u64::from(d.year)])));
            }
            for (kind, v) in places(s, r) {
                out.push((12, key(12, &[famc, dk, kind, v])));
            }
            out.push((13, key(13, &[famc, dk])));
            if d.month != 0 && d.day != 0 {
                // A typo in the name and a wrong year (one digit off) together.
                let (lo, hi) = (u64::from(d.month.min(d.day)), u64::from(d.month.max(d.day)));
                out.push((14, key(14, &[famc, dk, lo, hi])));
            }
        }
    }
    if d.month != 0 && d.day != 0 {
        let (lo, hi) = (u64::from(d.month.min(d.day)), u64::from(d.month.max(d.day)));
        if giv != NONE {
            out.push((3, key(3, &[u64::from(giv), lo, hi])));
        }
        if fam != NONE {
            // Day and month unordered: a swapped date keeps the key.
            out.push((4, key(4, &[u64::from(fam), u64::from(d.year), lo, hi])));
        }
    }
}

/// A candidate pair: `a` on the list side, `b` on the registry side (dedupe: `a < b`), and
/// the rules that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pair {
    pub a: u32,
    pub b: u32,
    pub rules: u16,
}

/// Keys of a whole side, grouped: sorted distinct keys, offsets, and record ids.
type KeyAcc = (Vec<(u64, u8, u32)>, Vec<(u8, u64)>);
type HitAcc = (Vec<(u32, u32)>, Vec<(u8, u64)>);

#[derive(Debug, Clone, Default)]
pub struct KeyIndex {
    keys: Vec<u64>,
    rules: Vec<u8>,
    offsets: Vec<u32>,
    postings: Vec<u32>,
}

impl KeyIndex {
    pub fn build(s: &Store, side: &Side) -> KeyIndex {
        let mut all: Vec<(u64, u8, u32)> = side
            .recs
            .par_iter()
            .enumerate()
            .fold(
                || (Vec::new(), Vec::new()),
                |(mut acc, mut buf): KeyAcc, (i, r)| {
                    record_keys(s, side, r, &mut buf);
                    acc.extend(buf.iter().map(|&(rule, k)| (k, rule, i as u32)));
                    (acc, buf)
                },
            )
            .map(|(acc, _)| acc)
            .reduce(Vec::new, |mut a, mut b| {
                if a.len() < b.len() {
                    std::mem::swap(&mut a, &mut b);
                }
                a.extend(b);
                a
            });
        all.par_sort_unstable();
        let mut ix = KeyIndex::default();
        for (k, rule, id) in all {
            if ix.keys.last() != Some(&k) {
                ix.keys.push(k);
                ix.rules.push(rule);
                ix.offsets.push(ix.postings.len() as u32);
            }
            ix.postings.push(id);
        }
        ix.offsets.push(ix.postings.len() as u32);
        ix
    }

    pub fn get(&self, k: u64) -> &[u32] {
        match self.keys.binary_search(&k) {
            Ok(i) => self.block(i),
            Err(_) => &[],
        }
    }

    fn block(&self, i: usize) -> &[u32] {
        let lo = self.offsets[i] as usize;
        let hi = self.offsets[i + 1] as usize;
        &self.postings[lo..hi]
    }
}

fn empty_stats() -> Vec<BlockingRuleStats> {
    RULES
        .iter()
        .map(|r| BlockingRuleStats {
            rule: (*r).to_owned(),
            ..BlockingRuleStats::default()
        })
        .collect()
}

/// Merge raw (a, b, rule) triples into distinct pairs with rule masks, and count per rule.
fn merge(mut raw: Vec<(u64, u8)>, stats: &mut [BlockingRuleStats]) -> Vec<Pair> {
    raw.par_sort_unstable();
    let mut out: Vec<Pair> = Vec::with_capacity(raw.len() / 2 + 1);
    for (ab, rule) in raw {
        let (a, b) = ((ab >> 32) as u32, ab as u32);
        let rule = usize::from(rule);
        if let Some(s) = stats.get_mut(rule) {
            s.pairs += 1;
        }
        match out.last_mut() {
            Some(p) if p.a == a && p.b == b => p.rules |= 1 << rule,
            _ => {
                if let Some(s) = stats.get_mut(rule) {
                    s.new_pairs += 1;
                }
                out.push(Pair {
                    a,
                    b,
                    rules: 1 << rule,
                })
            }
        }
    }
    out
}

/// A list-side key: its rule and the list rows that carry it.
struct Slot {
    rule: u8,
    rows: std::ops::Range<u32>,
}

/// Pairs between a list and a registry, in one pass over the registry.
///
/// The list's keys go into a hash map (slot per distinct key) fronted by a bit filter, so
/// the registry's keys, most of which no list row carries, are mostly rejected by one bit
/// test. Each registry record's keys are computed once; a hit on a slot is counted (atomic,
/// shared) and kept only while the slot is within its rule's cap, so an oversized block costs
/// a counter, not memory. The kept hits are grouped by slot, then each list row gathers its
/// slots' registry ids and merges them into pairs with rule masks: pairs come out sorted by
/// (list row, registry row) without a global sort.
pub fn link_pairs(
    s: &Store,
    reg: &Side,
    list: &Side,
    max_block: usize,
    progress: &crate::Progress,
) -> (Vec<Pair>, Vec<BlockingRuleStats>) {
    use std::sync::atomic::{AtomicU32, Ordering};
    let mut stats = empty_stats();
    // List keys: (key, rule, row), grouped by key into slots.
    let mut lk: Vec<(u64, u8, u32)> = Vec::new();
    let mut buf = Vec::new();
    for (i, r) in list.recs.iter().enumerate() {
        record_keys(s, list, r, &mut buf);
        lk.extend(buf.iter().map(|&(rule, k)| (k, rule, i as u32)));
    }
    lk.par_sort_unstable();
    lk.dedup();
    let mut slot_of: FxHashMap<u64, u32> = FxHashMap::default();
    let mut slots: Vec<Slot> = Vec::new();
    let mut slot_keys: Vec<(u64, u8)> = Vec::new();
    let list_rows: Vec<u32> = lk.iter().map(|x| x.2).collect();
    for (n, &(k, rule, _)) in lk.iter().enumerate() {
        if slot_keys.last() == Some(&(k, rule)) {
            if let Some(last) = slots.last_mut() {
                last.rows.end = n as u32 + 1;
            }
            continue;
        }
        // Two rules never share a hash in practice (the rule is hashed in); if they did,
        // the first slot wins.
        slot_of.entry(k).or_insert(slots.len() as u32);
        slot_keys.push((k, rule));
        slots.push(Slot {
            rule,
            rows: n as u32..n as u32 + 1,
        });
    }
    drop(lk);
    drop(slot_keys);
    let bits = (slots.len() * 16).next_power_of_two().max(64);
    let mask = (bits - 1) as u64;
    let mut filter = vec![0u64; bits / 64];
    for &k in slot_of.keys() {
        let b = (k >> 7) & mask;
        filter[(b >> 6) as usize] |= 1 << (b & 63);
    }
    let caps: Vec<u32> = slots
        .iter()
        .map(|sl| rule_cap(usize::from(sl.rule), max_block) as u32)
        .collect();
    let counts: Vec<AtomicU32> = (0..slots.len()).map(|_| AtomicU32::new(0)).collect();
    // Hits per worker, left unconcatenated (no second copy).
    let hits: Vec<Vec<(u32, u32)>> = reg
        .recs
        .par_iter()
        .enumerate()
        .fold(
            || (Vec::new(), Vec::new()),
            |(mut acc, mut buf): HitAcc, (j, r)| {
                if j % 4096 == 4095 {
                    progress.advance(4096);
                }
                record_keys(s, reg, r, &mut buf);
                for &(_, k) in &buf {
                    let b = (k >> 7) & mask;
                    if filter[(b >> 6) as usize] & (1 << (b & 63)) == 0 {
                        continue;
                    }
                    if let Some(&slot) = slot_of.get(&k) {
                        let c = counts[slot as usize].fetch_add(1, Ordering::Relaxed);
                        if c < caps[slot as usize] {
                            acc.push((slot, j as u32));
                        }
                    }
                }
                (acc, buf)
            },
        )
        .map(|(acc, _)| acc)
        .collect();
    drop(filter);
    drop(slot_of);
    let counts: Vec<u32> = counts.into_iter().map(AtomicU32::into_inner).collect();
    let live = |slot: usize| counts[slot] <= caps[slot];
    for (slot, sl) in slots.iter().enumerate() {
        if !live(slot) {
            stats[usize::from(sl.rule)].skipped_blocks += 1;
        }
    }
    // Group the kept hits by slot (counting sort); oversized slots are dropped here.
    let mut offsets = vec![0u32; slots.len() + 1];
    for &(slot, _) in hits.iter().flatten() {
        if live(slot as usize) {
            offsets[slot as usize + 1] += 1;
        }
    }
    for x in 1..offsets.len() {
        offsets[x] += offsets[x - 1];
    }
    let mut fill = offsets.clone();
    let mut reg_ids = vec![0u32; offsets[slots.len()] as usize];
    for &(slot, j) in hits.iter().flatten() {
        if live(slot as usize) {
            let at = &mut fill[slot as usize];
            reg_ids[*at as usize] = j;
            *at += 1;
        }
    }
    drop(hits);
    drop(fill);
    // Slots of each list row (CSR), live ones only.
    let mut row_slots: Vec<(u32, u32)> = Vec::new();
    for (slot, sl) in slots.iter().enumerate() {
        if live(slot) && offsets[slot + 1] > offsets[slot] {
            for &i in &list_rows[sl.rows.start as usize..sl.rows.end as usize] {
                row_slots.push((i, slot as u32));
            }
        }
    }
    row_slots.par_sort_unstable();
    let mut row_start = vec![0u32; list.len() + 1];
    for &(i, _) in &row_slots {
        row_start[i as usize + 1] += 1;
    }
    for x in 1..row_start.len() {
        row_start[x] += row_start[x - 1];
    }
    // Rows in batches, so only one batch's pairs exist twice; the output is sized by the
    // raw hit count (an upper bound: pages past the distinct pairs are never touched).
    let raw: usize = row_slots
        .iter()
        .map(|&(_, slot)| (offsets[slot as usize + 1] - offsets[slot as usize]) as usize)
        .sum();
    let mut pairs: Vec<Pair> = Vec::with_capacity(raw);
    const BATCH: usize = 512;
    for first in (0..list.len()).step_by(BATCH) {
        let last = (first + BATCH).min(list.len());
        let batch: Vec<Vec<Pair>> = (first..last)
            .into_par_iter()
            .map_init(Vec::new, |tmp: &mut Vec<(u32, u16)>, i| {
                tmp.clear();
                let lo = row_start[i] as usize;
                let hi = row_start[i + 1] as usize;
                for &(_, slot) in &row_slots[lo..hi] {
                    let slot = slot as usize;
                    let bit = 1u16 << slots[slot].rule;
                    let ids = &reg_ids[offsets[slot] as usize..offsets[slot + 1] as usize];
                    tmp.extend(ids.iter().map(|&j| (j, bit)));
                }
                tmp.sort_unstable_by_key(|x| x.0);
                let mut out: Vec<Pair> = Vec::new();
                for &(j, bit) in tmp.iter() {
                    match out.last_mut() {
                        Some(p) if p.b == j => p.rules |= bit,
                        _ => out.push(Pair {
                            a: i as u32,
                            b: j,
                            rules: bit,
                        }),
                    }
                }
                out
            })
            .collect();
        for v in batch {
            pairs.extend(v);
        }
    }
    drop(reg_ids);
    drop(row_slots);
    pairs.shrink_to_fit();
    count_rules(&pairs, &mut stats);
    (pairs, stats)
}

/// Per rule: pairs it produced, and pairs no lower-numbered rule produced.
fn count_rules(pairs: &[Pair], stats: &mut [BlockingRuleStats]) {
    let (all, first) = pairs
        .par_iter()
        .fold(
            || ([0u64; N_RULES], [0u64; N_RULES]),
            |(mut all, mut first), p| {
                for (r, x) in all.iter_mut().enumerate() {
                    *x += u64::from(p.rules >> r & 1);
                }
                if let Some(x) = first.get_mut(p.rules.trailing_zeros() as usize) {
                    *x += 1;
                }
                (all, first)
            },
        )
        .reduce(
            || ([0u64; N_RULES], [0u64; N_RULES]),
            |(mut a, mut b), (c, d)| {
                for r in 0..N_RULES {
                    a[r] += c[r];
                    b[r] += d[r];
                }
                (a, b)
            },
        );
    for (r, st) in stats.iter_mut().enumerate().take(N_RULES) {
        st.pairs = all[r];
        st.new_pairs = first[r];
    }
}

/// Pairs inside one file (`a < b`).
pub fn dedupe_pairs(ix: &KeyIndex, max_block: usize) -> (Vec<Pair>, Vec<BlockingRuleStats>) {
    let mut stats = empty_stats();
    let blocks: Vec<usize> = (0..ix.keys.len())
        .filter(|&i| {
            let n = ix.block(i).len();
            let cap = rule_cap(usize::from(ix.rules[i]), max_block);
            if n > cap {
                stats[usize::from(ix.rules[i])].skipped_blocks += 1;
            }
            n >= 2 && n <= cap
        })
        .collect();
    let raw: Vec<(u64, u8)> = blocks
        .par_iter()
        .fold(Vec::new, |mut acc: Vec<(u64, u8)>, &i| {
            let ids = ix.block(i);
            let rule = ix.rules[i];
            for (x, &p) in ids.iter().enumerate() {
                for &q in &ids[x + 1..] {
                    let (a, b) = if p < q { (p, q) } else { (q, p) };
                    acc.push(((u64::from(a) << 32) | u64::from(b), rule));
                }
            }
            acc
        })
        .reduce(Vec::new, |mut a, mut b| {
            if a.len() < b.len() {
                std::mem::swap(&mut a, &mut b);
            }
            a.extend(b);
            a
        });
    let pairs = merge(raw, &mut stats);
    (pairs, stats)
}

/// Candidate ids for one prepared record against an index (intake duplicate warning).
pub fn query(
    s: &Store,
    side: &Side,
    r: &Prep,
    ix: &KeyIndex,
    max_block: usize,
    out: &mut Vec<(u32, u16)>,
) {
    let mut buf = Vec::new();
    record_keys(s, side, r, &mut buf);
    out.clear();
    for &(rule, k) in &buf {
        let ids = ix.get(k);
        if ids.len() <= rule_cap(usize::from(rule), max_block) {
            out.extend(ids.iter().map(|&id| (id, 1u16 << rule)));
        }
    }
    out.sort_unstable();
    out.dedup_by(|x, y| {
        if x.0 == y.0 {
            y.1 |= x.1;
            true
        } else {
            false
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;
    use proptest::prelude::*;

    fn rec(name: &str, dob: &str, home: &str) -> Record {
        Record {
            name: name.into(),
            dob: (!dob.is_empty()).then(|| dob.into()),
            hometown: (!home.is_empty()).then(|| home.into()),
            ..Record::default()
        }
    }

    /// Rules under which `a` and `b` share a key.
    fn shared_rules(a: &Record, b: &Record) -> Vec<usize> {
        let mut s = Store::new(crate::places::resolve);
        let sa = s.prepare(std::slice::from_ref(a));
        let sb = s.prepare(std::slice::from_ref(b));
        let (mut ka, mut kb) = (Vec::new(), Vec::new());
        record_keys(&s, &sa, &sa.recs[0], &mut ka);
        record_keys(&s, &sb, &sb.recs[0], &mut kb);
        let mut rules: Vec<usize> = ka
            .iter()
            .filter(|k| kb.contains(k))
            .map(|k| usize::from(k.0))
            .collect();
        rules.dedup();
        rules
    }

    #[test]
    fn typos_in_both_name_parts_still_share_a_key() {
        // Family misspelt, given name with a doubled letter, middle name dropped.
        let r = shared_rules(
            &rec("Phạm Thu Nga", "2002-11-17", "Tây Ninh"),
            &rec("PHAAM NGGA", "", ""),
        );
        assert!(r.contains(&13), "{r:?}");
        // Substituted letter in the given name, birth year only.
        let r = shared_rules(
            &rec("Nguyễn Thị Phương", "1998-11-25", ""),
            &rec("NGUYEN PHYONG", "1998", ""),
        );
        assert!(r.contains(&11), "{r:?}");
        // Transposition in the given name, hometown only.
        let r = shared_rules(
            &rec("Nguyễn Thị Lan", "1964-11-12", "Nghệ An"),
            &rec("NGUYEM THI LNA", "", "NGHE AN"),
        );
        assert!(r.contains(&12), "{r:?}");
        // Typo in the given name and the year one digit off: day and month still hold.
        let r = shared_rules(
            &rec("Trần Thị Phương", "1998-03-17", ""),
            &rec("TRAN THI PHUOGN", "17/03/1988", ""),
        );
        assert!(r.contains(&14), "{r:?}");
        // First two letters swapped.
        let r = shared_rules(
            &rec("Phan Văn Nam", "1997-02-27", ""),
            &rec("PHAN VAN ANM", "1997", ""),
        );
        assert!(r.contains(&11), "{r:?}");
        // A swapped day and month keeps the birth-date rule.
        let r = shared_rules(
            &rec("Lê Xuân Khải", "1989-11-06", ""),
            &rec("XUAN KKHAAI LE", "11/06/1989", ""),
        );
        assert!(r.contains(&4), "{r:?}");
        // Different given names do not.
        let r = shared_rules(
            &rec("Nguyễn Thị Lan", "1964", ""),
            &rec("Nguyễn Thị Mai", "1964", ""),
        );
        assert!(!r.iter().any(|x| (11..=14).contains(x)), "{r:?}");
    }

    #[test]
    fn caps_are_tighter_for_broad_rules() {
        assert_eq!(rule_cap(2, 2000), 2000);
        assert_eq!(rule_cap(11, 2000), 125);
        assert_eq!(rule_cap(13, 2000), 50);
        assert_eq!(RULES.len(), N_RULES);
    }

    proptest! {
        /// Two given names one edit apart (first letter kept) share a deletion key.
        #[test]
        fn one_edit_shares_a_deletion_key(g in "[bcdhklmnstv][aeiou]{1,2}[cmnpt]{0,1}[aeiou]{0,1}",
                                          pos in 1usize..6, c in "[aeiouy]", op in 0..3) {
            let mut h: Vec<u8> = g.clone().into_bytes();
            let pos = pos.min(h.len());
            let c = c.as_bytes()[0];
            match op {
                0 if pos < h.len() => h[pos] = c,
                1 => h.insert(pos, c),
                _ if pos < h.len() && h.len() > 2 => { h.remove(pos); }
                _ => {}
            }
            let h = String::from_utf8(h).unwrap_or_default();
            let mut s = Store::new(|_| None);
            let side = s.prepare(&[rec(&format!("Nguyen {g}"), "", ""), rec(&format!("Nguyen {h}"), "", "")]);
            let (a, b) = (side.recs[0].name.given, side.recs[1].name.given);
            let mut pa = String::new();
            let mut pb = String::new();
            crate::text::phonetic_into(&g, &mut pa);
            crate::text::phonetic_into(&h, &mut pb);
            // The phonetic keys themselves may differ by more than one edit (digraphs); the
            // property holds when they are within one edit with the same first letter.
            prop_assume!(pa.len() >= 3 && pb.len() >= 3 && pa.as_bytes()[0] == pb.as_bytes()[0]);
            prop_assume!(crate::strings::within_one_edit(pa.as_bytes(), pb.as_bytes()));
            let (da, db) = (s.deletions(a), s.deletions(b));
            prop_assert!(da.iter().any(|x| db.contains(x)), "{} {} {} {}", g, h, pa, pb);
        }
    }
}
