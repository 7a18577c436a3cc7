//! How a foreign clerk misspells a Vietnamese name: romanisation confusions and typos, and the
//! distance the oracle uses to measure them.

use baoho_domain::text::{fold, fold_tokens, nfc};
use rand::Rng;

/// The tokens of a name in the form the oracle compares: folded (`fold_tokens`) when the row
/// stripped diacritics, lower-case NFC split on non-letters when it kept them.
pub(crate) fn compare_tokens(s: &str, diacritics_kept: bool) -> Vec<String> {
    if diacritics_kept {
        nfc(&s.to_lowercase())
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    } else {
        fold_tokens(s)
    }
}

/// Optimal string alignment distance (Levenshtein plus adjacent transposition), on chars.
pub(crate) fn osa(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let w = m + 1;
    let mut d = vec![0usize; (n + 1) * w];
    for i in 0..=n {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[n * w + m]
}

/// Romanisation confusions, as (pattern, replacement, where): `^` at the token start, `$` at
/// its end, `*` anywhere.
const ROMAN: &[(&str, &str, char)] = &[
    ("y", "i", '$'),
    ("i", "y", '$'),
    ("ph", "f", '^'),
    ("tr", "ch", '^'),
    ("ch", "tr", '^'),
    ("d", "z", '^'),
    ("gi", "z", '^'),
    ("gi", "d", '^'),
    ("d", "gi", '^'),
    ("ng", "n", '$'),
    ("nh", "n", '$'),
    ("ng", "n", '^'),
    ("kh", "k", '^'),
    ("th", "t", '^'),
    ("x", "s", '^'),
    ("s", "x", '^'),
    ("qu", "q", '^'),
    ("uy", "ui", '*'),
];

/// Variants of the commonest family name as foreign clerks type it.
const NGUYEN_VARIANTS: &[&str] = &[
    "ngyuen", "nguen", "nguyn", "ngyen", "nguyem", "nuyen", "nguyenn",
];

/// The romanisation rules that apply to a (folded) token: indices into [`ROMAN`], and
/// `usize::MAX` for the Nguyen variants.
fn roman_rules(t: &str) -> Vec<usize> {
    let mut out = Vec::new();
    if t == "nguyen" {
        out.push(usize::MAX);
    }
    for (ri, (pat, _, pos)) in ROMAN.iter().enumerate() {
        let ok = match pos {
            '^' => t.starts_with(pat),
            '$' => t.ends_with(pat),
            _ => t.contains(pat),
        };
        if ok && t.len() > pat.len() {
            out.push(ri);
        }
    }
    out
}

fn apply_rule(t: &str, ri: usize) -> String {
    let (pat, rep, pos) = ROMAN[ri];
    match pos {
        '^' => format!("{rep}{}", &t[pat.len()..]),
        '$' => format!("{}{rep}", &t[..t.len() - pat.len()]),
        _ => t.replacen(pat, rep, 1),
    }
}

/// Every token one romanisation confusion turns `t` into (the oracle's view of [`romanise`]).
pub(crate) fn romanise_variants(t: &str) -> Vec<String> {
    let mut out = Vec::new();
    for ri in roman_rules(t) {
        if ri == usize::MAX {
            out.extend(NGUYEN_VARIANTS.iter().map(|v| (*v).to_owned()));
        } else {
            out.push(apply_rule(t, ri));
        }
    }
    out
}

/// Apply one romanisation confusion to one token; returns the token's index.
pub(super) fn romanise(rng: &mut impl Rng, tokens: &mut [String]) -> Option<usize> {
    let options: Vec<(usize, usize)> = tokens
        .iter()
        .enumerate()
        .flat_map(|(ti, t)| roman_rules(t).into_iter().map(move |ri| (ti, ri)))
        .collect();
    if options.is_empty() {
        return None;
    }
    let (ti, ri) = options[rng.random_range(0..options.len())];
    let t = &mut tokens[ti];
    *t = if ri == usize::MAX {
        NGUYEN_VARIANTS[rng.random_range(0..NGUYEN_VARIANTS.len())].to_owned()
    } else {
        apply_rule(t, ri)
    };
    Some(ti)
}

/// Keys next to each other on a QWERTY keyboard.
fn neighbour(rng: &mut impl Rng, c: char) -> char {
    const ROWS: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
    let base = fold(&c.to_string()).chars().next().unwrap_or(c);
    for row in ROWS {
        if let Some(i) = row.find(base) {
            let bytes = row.as_bytes();
            let mut opts = Vec::new();
            if i > 0 {
                opts.push(bytes[i - 1] as char);
            }
            if i + 1 < bytes.len() {
                opts.push(bytes[i + 1] as char);
            }
            return opts[rng.random_range(0..opts.len())];
        }
    }
    (b'a' + rng.random_range(0..26u8)) as char
}

pub(crate) fn typo(rng: &mut impl Rng, tokens: &mut [String]) {
    // Longer tokens draw typos more often, as in real typing.
    let total: usize = tokens.iter().map(|t| t.chars().count()).sum();
    if total == 0 {
        return;
    }
    let mut k = rng.random_range(0..total);
    let mut ti = 0;
    for (i, t) in tokens.iter().enumerate() {
        let n = t.chars().count();
        if k < n {
            ti = i;
            break;
        }
        k -= n;
    }
    let mut cs: Vec<char> = tokens[ti].chars().collect();
    let n = cs.len();
    let i = rng.random_range(0..n);
    match rng.random_range(0..4) {
        0 => cs[i] = neighbour(rng, cs[i]),
        1 if n >= 2 => {
            let j = if i + 1 < n { i } else { i - 1 };
            if cs[j] == cs[j + 1] {
                cs[j] = neighbour(rng, cs[j]);
            } else {
                cs.swap(j, j + 1);
            }
        }
        2 if n >= 3 => {
            cs.remove(i);
        }
        _ => {
            let c = cs[i];
            cs.insert(i, c);
        }
    }
    tokens[ti] = cs.into_iter().collect();
}

pub(crate) fn title_case(t: &str) -> String {
    let mut cs = t.chars();
    match cs.next() {
        Some(c) => c.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osa_distance() {
        assert_eq!(osa("nguyen", "nguyen"), 0);
        assert_eq!(osa("nguyen", "ngyuen"), 1);
        assert_eq!(osa("phuong", "fuong"), 2);
        assert_eq!(osa("", "abc"), 3);
        assert_eq!(osa("trang", "tranh"), 1);
    }
}
