//! Allocation-free folding and the Vietnamese phonetic key.
//!
//! [`fold_into`] gives exactly `baoho_domain::text::fold` (a property test checks it) but
//! writes into a reused buffer and decomposes one character at a time, because preparing a
//! million-row registry calls it ten million times.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Fold `s` into `out` (cleared first): lower case, marks stripped, `đ`→`d`, runs of
/// whitespace and punctuation to one space, apostrophes dropped.
pub fn fold_into(s: &str, out: &mut String) {
    out.clear();
    let mut pending_space = false;
    let table = latin_table();
    for c in s.chars() {
        if c.is_ascii() {
            push_folded(c, out, &mut pending_space);
        } else if let Some(&a) = table.get(c as usize)
            && a != 0
        {
            // Latin letters with diacritics (all of Vietnamese): one table lookup.
            push_folded(char::from(a), out, &mut pending_space);
        } else {
            decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    push_folded(d, out, &mut pending_space);
                }
            });
        }
    }
}

/// Characters below U+1F00 whose folding is exactly one ASCII letter or digit (`ệ` → `e`,
/// `Đ` → `d`), as that byte; 0 for the rest (handled by decomposition). Built once from the
/// general rule, so the fast path cannot disagree with it.
fn latin_table() -> &'static [u8] {
    static TABLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = vec![0u8; 0x1F00];
        let mut out = String::new();
        for (cp, slot) in t.iter_mut().enumerate().skip(0x80) {
            let Some(c) = char::from_u32(cp as u32) else {
                continue;
            };
            out.clear();
            let mut pending = false;
            decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    push_folded(d, &mut out, &mut pending);
                }
            });
            if !pending && out.len() == 1 && out.as_bytes()[0].is_ascii_alphanumeric() {
                *slot = out.as_bytes()[0];
            }
        }
        t
    })
}

fn push_folded(c: char, out: &mut String, pending_space: &mut bool) {
    if c.is_ascii() {
        push_lower(c.to_ascii_lowercase(), out, pending_space);
        return;
    }
    // Lower-case first, as the domain's fold does: some capitals lower-case into letters that
    // fold further (`ẞ` → `ß` → `s`) or into a letter plus a combining mark.
    for l in c.to_lowercase() {
        if !is_combining_mark(l) {
            push_lower(l, out, pending_space);
        }
    }
}

/// Push one lower-case character: `đ`→`d` (and the other Latin letters that do not
/// decompose), a run of anything else but apostrophes as one space.
fn push_lower(c: char, out: &mut String, pending_space: &mut bool) {
    let c = match c {
        'đ' => 'd',
        'ø' => 'o',
        'ł' => 'l',
        'ß' => 's',
        _ => c,
    };
    if c.is_alphanumeric() {
        if *pending_space && !out.is_empty() {
            out.push(' ');
        }
        *pending_space = false;
        out.push(c);
    } else if c == '\'' || c == '’' {
        // Apostrophes inside names ("K'Nơ") are dropped, not split on.
    } else {
        *pending_space = true;
    }
}

/// Phonetic key of one folded syllable, tuned to Vietnamese and its romanisations: the
/// confusions `y/i`, `ph/f`, `tr/ch`, `d/gi/z/r`, `ng/n`, `ngh/ng`, `k/c/q`, `s/x`, the
/// finals `nh/ng/n` and `ch/c`, and doubled letters all map to one key.
pub fn phonetic_into(syllable: &str, out: &mut String) {
    out.clear();
    // y and i are one letter for the key (`Huy`/`Hui`, `Quý`/`Quí`).
    let mut norm = [0u8; 24];
    let src = syllable.as_bytes();
    let n = src.len().min(norm.len());
    for (d, &c) in norm.iter_mut().zip(&src[..n]) {
        *d = if c == b'y' { b'i' } else { c };
    }
    let b = &norm[..n];
    let (onset, rest): (&str, &[u8]) = match b {
        [b'n', b'g', b'h', r @ ..] => ("n", r),
        [b'n', b'g', r @ ..] => ("n", r),
        [b'g', b'h', r @ ..] => ("g", r),
        // `gi` before a vowel is the consonant /z/; `gi` alone or before a consonant keeps `i`.
        [b'g', b'i', r @ ..] if r.first().is_some_and(|&c| is_vowel(c)) => ("z", r),
        [b'g', b'i', ..] => ("z", &b[1..]),
        [b'p', b'h', r @ ..] => ("f", r),
        [b't', b'r', r @ ..] | [b'c', b'h', r @ ..] => ("c", r),
        [b'k', b'h', r @ ..] => ("k", r),
        [b't', b'h', r @ ..] => ("t", r),
        [b'd' | b'z' | b'r' | b'j', r @ ..] => ("z", r),
        [b'k' | b'c', r @ ..] => ("c", r),
        [b'q', b'u', r @ ..] => ("cu", r),
        [b'q', r @ ..] => ("c", r),
        [b'x', r @ ..] => ("s", r),
        [b'w', r @ ..] => ("u", r),
        _ => ("", b),
    };
    out.push_str(onset);
    // Finals: nh/ng → n, ch → c.
    let rest: &[u8] = rest;
    let (body, fin): (&[u8], &str) = match rest {
        [body @ .., b'n', b'h'] | [body @ .., b'n', b'g'] => (body, "n"),
        [body @ .., b'c', b'h'] => (body, "c"),
        _ => (rest, ""),
    };
    for &c in body {
        let c = match c {
            b'y' => b'i',
            b'w' => b'u',
            b'z' | b'j' => b'z',
            b'x' => b's',
            b'k' | b'q' => b'c',
            _ => c,
        };
        push_dedup(out, c);
    }
    for &c in fin.as_bytes() {
        push_dedup(out, c);
    }
}

fn push_dedup(out: &mut String, c: u8) {
    if out.as_bytes().last() != Some(&c) {
        out.push(char::from(c));
    }
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ph(s: &str) -> String {
        let mut out = String::new();
        phonetic_into(s, &mut out);
        out
    }

    fn fold(s: &str) -> String {
        let mut out = String::new();
        fold_into(s, &mut out);
        out
    }

    #[test]
    fn romanisation_confusions_share_a_key() {
        assert_eq!(ph("phuong"), ph("fuong"));
        assert_eq!(ph("truong"), ph("chuong"));
        assert_eq!(ph("duong"), ph("zuong"));
        assert_eq!(ph("giang"), ph("dang"));
        assert_eq!(ph("giang"), ph("zang"));
        assert_eq!(ph("huy"), ph("hui"));
        assert_eq!(ph("nguyen"), ph("nuyen"));
        assert_eq!(ph("nghia"), ph("ngia"));
        assert_eq!(ph("hoang"), ph("hoan"));
        assert_eq!(ph("thanh"), ph("than"));
        assert_eq!(ph("quy"), ph("qui"));
        assert_ne!(ph("lan"), ph("lam"));
        assert_ne!(ph("mai"), ph("hai"));
    }

    #[test]
    fn folds_like_the_domain() {
        assert_eq!(fold("  Nguyễn   Thị ĐÀO "), "nguyen thi dao");
        assert_eq!(fold("K'Nơ"), "kno");
    }

    #[test]
    fn capitals_that_lower_case_into_foldable_letters() {
        // Found by the `names` fuzz target (on its seed corpus): the capital sharp s was lower-cased after the
        // mapping of `ß`, so it stayed `ß` here while the domain's fold gave `s`.
        assert_eq!(fold("İstanbul ẞ"), "istanbul s");
        assert_eq!(fold("İstanbul ẞ"), baoho_domain::text::fold("İstanbul ẞ"));
        assert_eq!(fold("ĐØŁ"), "dol");
    }

    proptest! {
        #[test]
        fn fold_into_equals_domain_fold(s in "\\PC{0,40}") {
            prop_assert_eq!(fold(&s), baoho_domain::text::fold(&s));
        }

        #[test]
        fn fold_into_equals_domain_fold_vietnamese(s in "[a-zA-ZàáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĐ ,.'-]{0,30}") {
            prop_assert_eq!(fold(&s), baoho_domain::text::fold(&s));
        }

        #[test]
        fn phonetic_ignores_y_i(s in "[bcdghklmnpqrstvx]{0,2}[aeiouy]{1,3}[cmnpt]?") {
            prop_assert_eq!(ph(&s), ph(&s.replace('y', "i")));
        }
    }
}
