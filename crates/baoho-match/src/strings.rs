//! String similarity on folded (ASCII) bytes.
//!
//! Hand-written rather than `strsim` because the compare loop runs millions of times per
//! linkage and `strsim` allocates a flag vector per call; these work on stack arrays and
//! bytes (every compared string is already folded to ASCII). The tests check them against
//! `strsim`.

/// Longest input handled exactly; longer strings are compared on their first `MAX` bytes.
const MAX: usize = 64;

/// Jaro–Winkler similarity (prefix scale 0.1, prefix up to 4), in `[0, 1]`.
pub fn jaro_winkler(a: &[u8], b: &[u8]) -> f64 {
    let j = jaro(a, b);
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
    j + 0.1 * prefix as f64 * (1.0 - j)
}

/// `jaro_winkler(a, b) >= threshold`, usually decided without computing it: the number of
/// matching characters is at most the characters the two strings have in common (counted in
/// 64 buckets, which can only over-count), which bounds the similarity from above. Random
/// pairs (the u sample, most blocked non-matches) are rejected by that bound.
pub fn jaro_winkler_at_least(a: &[u8], b: &[u8], threshold: f64) -> bool {
    let a = &a[..a.len().min(MAX)];
    let b = &b[..b.len().min(MAX)];
    if a.is_empty() || b.is_empty() || a == b {
        return jaro_winkler(a, b) >= threshold;
    }
    let mut ca = [0u8; 64];
    let mut cb = [0u8; 64];
    for &c in a {
        ca[usize::from(c & 63)] += 1;
    }
    for &c in b {
        cb[usize::from(c & 63)] += 1;
    }
    let common: u32 = ca.iter().zip(&cb).map(|(&x, &y)| u32::from(x.min(y))).sum();
    let m = f64::from(common);
    let j_ub = (m / a.len() as f64 + m / b.len() as f64 + 1.0) / 3.0;
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
    let jw_ub = j_ub + 0.1 * prefix as f64 * (1.0 - j_ub);
    // A hair of slack so rounding never rejects a pair exactly at the threshold.
    if jw_ub + 1e-9 < threshold {
        return false;
    }
    jaro_winkler(a, b) >= threshold
}

/// Jaro similarity, in `[0, 1]`.
pub fn jaro(a: &[u8], b: &[u8]) -> f64 {
    let a = &a[..a.len().min(MAX)];
    let b = &b[..b.len().min(MAX)];
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    // Bit-parallel: each byte's positions in `b` as a mask (both are at most 64 bytes), so
    // finding the first unmatched equal byte in the window is a few word operations, not a
    // scan of the window (addresses made this the hot spot of deduplication).
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut pos = [0u64; 256];
    for (j, &c) in b.iter().enumerate() {
        pos[usize::from(c)] |= 1 << j;
    }
    let below = |n: usize| if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
    let mut a_flag = 0u64;
    let mut b_flag = 0u64;
    let mut matches = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        if lo >= hi {
            continue;
        }
        let cand = pos[usize::from(ca)] & below(hi) & !below(lo) & !b_flag;
        if cand != 0 {
            b_flag |= cand & cand.wrapping_neg();
            a_flag |= 1 << i;
            matches += 1;
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut bits = b_flag;
    for (i, &ca) in a.iter().enumerate() {
        if a_flag >> i & 1 == 0 {
            continue;
        }
        let k = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        if b.get(k) != Some(&ca) {
            transpositions += 1;
        }
    }
    let m = matches as f64;
    let t = (transpositions / 2) as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - t) / m) / 3.0
}

/// True when `a` and `b` differ by at most one edit: substitution, insertion, deletion or a
/// swap of two adjacent characters (optimal string alignment distance ≤ 1).
pub fn within_one_edit(a: &[u8], b: &[u8]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match long.len() - short.len() {
        0 => {
            let first = match short.iter().zip(long).position(|(x, y)| x != y) {
                None => return true,
                Some(i) => i,
            };
            // Substitution at `first`, or adjacent transposition at `first, first+1`.
            if short[first + 1..] == long[first + 1..] {
                return true;
            }
            first + 1 < short.len()
                && short[first] == long[first + 1]
                && short[first + 1] == long[first]
                && short[first + 2..] == long[first + 2..]
        }
        1 => {
            let first = short
                .iter()
                .zip(long)
                .position(|(x, y)| x != y)
                .unwrap_or(short.len());
            short[first..] == long[first + 1..]
        }
        _ => false,
    }
}

/// Optimal string alignment distance (Damerau–Levenshtein without repeated edits of a
/// substring), capped: returns `cap + 1` as soon as the distance must exceed `cap`.
pub fn osa_distance(a: &[u8], b: &[u8], cap: usize) -> usize {
    let a = &a[..a.len().min(MAX)];
    let b = &b[..b.len().min(MAX)];
    if a.len().abs_diff(b.len()) > cap {
        return cap + 1;
    }
    let n = b.len();
    let mut prev2 = [0usize; MAX + 1];
    let mut prev = [0usize; MAX + 1];
    let mut cur = [0usize; MAX + 1];
    for (j, p) in prev.iter_mut().enumerate().take(n + 1) {
        *p = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > cap {
            return cap + 1;
        }
        prev2 = prev;
        prev = cur;
    }
    prev[n].min(cap + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert!((jaro(b"martha", b"marhta") - 0.9444).abs() < 1e-3);
        assert!((jaro_winkler(b"martha", b"marhta") - 0.9611).abs() < 1e-3);
        assert_eq!(jaro_winkler(b"nguyen", b"nguyen"), 1.0);
        assert_eq!(jaro(b"", b"abc"), 0.0);
        assert!(within_one_edit(b"079123456789", b"079123456780"));
        assert!(within_one_edit(b"079123456789", b"079213456789"));
        assert!(within_one_edit(b"07912345678", b"079123456789"));
        assert!(!within_one_edit(b"079123456789", b"079123456700"));
        assert_eq!(osa_distance(b"ca", b"abc", 5), 3);
        assert_eq!(osa_distance(b"nguyen", b"ngyuen", 3), 1);
    }

    proptest! {
        #[test]
        fn jaro_agrees_with_strsim(a in "[a-e]{0,12}", b in "[a-e]{0,12}") {
            let ours = jaro(a.as_bytes(), b.as_bytes());
            let theirs = strsim::jaro(&a, &b);
            prop_assert!((ours - theirs).abs() < 1e-9, "{} {} {} {}", a, b, ours, theirs);
        }

        /// Long inputs up to the 64-byte limit (the bit-parallel window masks).
        #[test]
        fn jaro_agrees_with_strsim_on_long_strings(a in "[a-h ,]{0,64}", b in "[a-h ,]{0,64}") {
            let ours = jaro(a.as_bytes(), b.as_bytes());
            let theirs = strsim::jaro(&a, &b);
            prop_assert!((ours - theirs).abs() < 1e-9, "{} {} {} {}", a, b, ours, theirs);
        }

        #[test]
        fn bounded_jaro_winkler_agrees(a in "[a-f ]{0,20}", b in "[a-f ]{0,20}", t in 0.5f64..1.0) {
            prop_assert_eq!(
                jaro_winkler_at_least(a.as_bytes(), b.as_bytes(), t),
                jaro_winkler(a.as_bytes(), b.as_bytes()) >= t
            );
        }

        #[test]
        fn bounded_jaro_winkler_agrees_near_copies(a in "[a-z]{1,12}", i in 0usize..12, c in "[a-z]") {
            let mut b = a.clone().into_bytes();
            let i = i.min(b.len() - 1);
            b[i] = c.as_bytes()[0];
            for t in [0.8, 0.88, 0.9, 0.95] {
                prop_assert_eq!(
                    jaro_winkler_at_least(a.as_bytes(), &b, t),
                    jaro_winkler(a.as_bytes(), &b) >= t
                );
            }
        }

        #[test]
        fn osa_agrees_with_strsim(a in "[a-d]{0,10}", b in "[a-d]{0,10}") {
            let theirs = strsim::osa_distance(&a, &b);
            prop_assert_eq!(osa_distance(a.as_bytes(), b.as_bytes(), 20), theirs);
            prop_assert_eq!(within_one_edit(a.as_bytes(), b.as_bytes()), theirs <= 1);
            prop_assert_eq!(osa_distance(a.as_bytes(), b.as_bytes(), 2), theirs.min(3));
        }
    }
}
