//! The generous oracle: how well could any matcher do on a generated list?
//!
//! # How it is computed
//!
//! For every list row made from a registry person (the "true person"), the oracle collects the
//! registry people who are **consistent** with the row, using everything the generator knows
//! about the corruption it applied ([`Applied`]) but nothing else:
//!
//! - **Name.** The typed name is split into tokens in the compare form (folded when the row
//!   stripped diacritics, lower-case NFC when it kept them). A candidate's name is put through
//!   the same structural changes the row went through (middle names dropped when they were;
//!   family name moved last when it was), giving one token per typed token. The candidate is
//!   consistent when the token counts agree and, position by position, the optimal string
//!   alignment distance from the candidate's token to the typed one is **at most** the distance
//!   from the true person's token to it (the edits the typos actually cost). Untouched
//!   tokens must therefore match exactly; a token with one typo accepts every name one edit
//!   away from what was typed. On the token that went through a romanisation confusion, the
//!   candidate's token is first put through every confusion that applies to it (the rules of
//!   [`crate::make_list`]: y/i, ph/f, tr/ch, d/gi/z, ng/n, Nguyen variants…), and one of the
//!   results must be within the typo budget.
//! - **Date of birth.** exact → same date; year only → same year; swapped → the date with day
//!   and month swapped back; one digit off → exactly one digit of `YYYYMMDD` differs;
//!   missing → anything.
//! - **Sex.** given → same sex; missing → anything.
//! - **Home province.** given (old or new name) → the candidate's home province merged into
//!   the same post-2025 province; missing → anything.
//! - **Passport.** exact → same number; misread → a number of the same length differing in
//!   exactly one character; missing → anything (also no passport).
//! - **Citizen id.** given → same id; missing → anything.
//!
//! The true person is always consistent (the oracle checks this and reports violations in
//! [`Ceiling::true_inconsistent`], which must be 0). A row is **settleable** when the true person
//! is the only consistent registry person: a perfect matcher could link it with certainty. The
//! rest are ambiguous even to the oracle, so the ideal matcher sends them to review.
//!
//! The ceiling figures assume such a matcher: every settleable row auto-matched correctly,
//! every other matched row sent to review (not a top-1 prediction), and every row made from a
//! person outside the registry correctly left unmatched (the oracle is generous here: it counts
//! no false positive even where an outsider happens to be consistent with someone in the
//! registry). So top-1 precision is 1, top-1 recall = settleable / rows with a true match, and
//! F1 = 2R / (1 + R). The "true person on screen" ceiling is 1 (every matched row is either
//! settled or reviewed with its true person among the candidates).
//!
//! Consistent sets are found exactly, not sampled: candidates come from an index on a field the
//! row pins down (citizen id, passport, its one-character misreadings, the possible dates of
//! birth, the untouched given name), or a scan of the whole registry when none is pinned down.

use crate::list::{
    Applied, DobForm, DocForm, HometownForm, ListRow, Truth, compare_tokens, osa, romanise_variants,
};
use crate::{Sex, SynthPerson};
use baoho_domain::date::PartialDate;
use baoho_domain::text::fold;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};

/// The oracle's verdict on a generated list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ceiling {
    pub rows: usize,
    /// Rows made from a registry person.
    pub rows_with_match: usize,
    /// Rows whose true person is the only consistent registry person.
    pub settleable: usize,
    /// Ceiling top-1 precision (always 1: see the module documentation).
    pub precision: f64,
    /// Ceiling top-1 recall: settleable / rows with a match.
    pub recall: f64,
    pub f1: f64,
    /// Rows with a match by the size of their consistent set: `1`, `2`, `3-5`, `6-20`, `21+`.
    pub consistent_sizes: BTreeMap<String, usize>,
    /// Rows whose true person failed the oracle's own check (a bug if not 0).
    pub true_inconsistent: usize,
    /// Rows that needed a scan of the whole registry.
    pub full_scans: usize,
    /// One-paragraph description of the method (for the `.ceiling.json` reader).
    pub method: String,
    /// Per list row: the size of its consistent set (0 for rows without a true person).
    /// Not written to `.ceiling.json`.
    #[serde(skip)]
    pub row_sizes: Vec<u32>,
}

const METHOD: &str = "For each list row made from a registry person, count the registry people \
consistent with the row given the corruption the generator applied: name tokens (after the same \
middle-name drop, name-order change and, on the romanised token, some romanisation confusion) each \
within the typos' edit distance of the typed token; date of birth equal / same year / swapped back / one digit off / free as applied; sex, \
post-2025 province, passport (exact or one character off) and citizen id equal where given. A row \
is settleable when its true person is the only consistent one. Ceiling: settleable rows \
auto-matched correctly, other matched rows sent to review, rows of people outside the registry \
left unmatched: precision 1, recall = settleable / rows with a match, F1 = 2R/(1+R).";

fn ymd(d: &PartialDate) -> u32 {
    u32::from(d.year) * 10_000
        + u32::from(d.month.unwrap_or(0)) * 100
        + u32::from(d.day.unwrap_or(0))
}

fn hash_str(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

fn prov_num(p: &SynthPerson) -> u8 {
    p.new_province_code()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Per-person fields for cheap filtering.
struct Compact {
    dob: u32,
    sex: Sex,
    prov: u8,
    fam: u64,
    given: u64,
}

enum DobRule {
    Any,
    Year(u16),
    Dates(Vec<u32>),
}

/// What the oracle requires of a consistent candidate.
struct Rule<'a> {
    applied: &'a Applied,
    typed: Vec<String>,
    sex: Option<Sex>,
    prov: Option<u8>,
    dob: DobRule,
    passport: Option<(&'a str, bool)>,
    national_id: Option<&'a str>,
    /// Folded hash of the untouched given / family token.
    given: Option<u64>,
    fam: Option<u64>,
}

/// Every valid date whose `YYYYMMDD` differs from `d` in exactly one digit.
fn one_digit_off(d: u32) -> Vec<u32> {
    let s = format!("{d:08}");
    let mut out = Vec::new();
    for pos in 0..8 {
        for c in b'0'..=b'9' {
            let mut bs = s.clone().into_bytes();
            if bs[pos] == c {
                continue;
            }
            bs[pos] = c;
            let t = String::from_utf8_lossy(&bs).into_owned();
            let (Ok(y), Ok(m), Ok(dd)) = (
                t[0..4].parse::<u16>(),
                t[4..6].parse::<u8>(),
                t[6..8].parse::<u8>(),
            ) else {
                continue;
            };
            if PartialDate::new(y, Some(m), Some(dd)).is_ok() {
                out.push(u32::from(y) * 10_000 + u32::from(m) * 100 + u32::from(dd));
            }
        }
    }
    out
}

fn name_tokens(p: &SynthPerson, a: &Applied) -> Vec<String> {
    let mut toks: Vec<String> = compare_tokens(&p.family_name, a.diacritics_kept);
    let n_family = toks.len();
    if !a.middle_dropped {
        for m in &p.middle_names {
            toks.extend(compare_tokens(m, a.diacritics_kept));
        }
    }
    toks.extend(compare_tokens(&p.given_name, a.diacritics_kept));
    if a.family_last {
        toks.rotate_left(n_family);
    }
    toks
}

fn hamming1(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).filter(|(x, y)| x != y).count() == 1
}

impl Rule<'_> {
    fn cheap_ok(&self, c: &Compact) -> bool {
        if self.sex.is_some_and(|s| s != c.sex) || self.prov.is_some_and(|p| p != c.prov) {
            return false;
        }
        if self.given.is_some_and(|g| g != c.given) || self.fam.is_some_and(|f| f != c.fam) {
            return false;
        }
        match &self.dob {
            DobRule::Any => true,
            DobRule::Year(y) => c.dob / 10_000 == u32::from(*y),
            DobRule::Dates(ds) => ds.contains(&c.dob),
        }
    }

    fn consistent(&self, p: &SynthPerson, c: &Compact) -> bool {
        if !self.cheap_ok(c) {
            return false;
        }
        if let Some(n) = self.national_id
            && n != p.national_id
        {
            return false;
        }
        match (self.passport, p.passport.as_deref()) {
            (None, _) => {}
            (Some(_), None) => return false,
            (Some((typed, false)), Some(pp)) if typed != pp => return false,
            (Some((typed, true)), Some(pp)) if !hamming1(typed, pp) => return false,
            _ => {}
        }
        let toks = name_tokens(p, self.applied);
        let rom = self.applied.romanised.map(usize::from);
        toks.len() == self.typed.len()
            && toks
                .iter()
                .zip(&self.typed)
                .zip(&self.applied.name_budget)
                .enumerate()
                .all(|(pos, ((t, o), b))| {
                    let b = usize::from(*b);
                    if rom == Some(pos) {
                        romanise_variants(t).iter().any(|v| osa(v, o) <= b)
                    } else {
                        osa(t, o) <= b
                    }
                })
    }
}

/// Run the oracle over a generated list. See the module documentation for the method.
pub fn ceiling(registry: &[SynthPerson], rows: &[ListRow], truth: &[Truth]) -> Ceiling {
    let by_id: HashMap<&str, usize> = registry
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let compact: Vec<Compact> = registry
        .iter()
        .map(|p| Compact {
            dob: ymd(&p.dob),
            sex: p.sex,
            prov: prov_num(p),
            fam: hash_str(&fold(&p.family_name)),
            given: hash_str(&fold(&p.given_name)),
        })
        .collect();
    let mut nid_ix: HashMap<&str, usize> = HashMap::new();
    let mut pp_ix: HashMap<&str, usize> = HashMap::new();
    let mut dob_ix: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut given_ix: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, p) in registry.iter().enumerate() {
        nid_ix.insert(p.national_id.as_str(), i);
        if let Some(pp) = &p.passport {
            pp_ix.insert(pp.as_str(), i);
        }
        dob_ix.entry(compact[i].dob).or_default().push(i);
        given_ix.entry(compact[i].given).or_default().push(i);
    }

    let mut out = Ceiling {
        rows: rows.len(),
        rows_with_match: 0,
        settleable: 0,
        precision: 1.0,
        recall: 0.0,
        f1: 0.0,
        consistent_sizes: BTreeMap::new(),
        true_inconsistent: 0,
        full_scans: 0,
        method: METHOD.to_owned(),
        row_sizes: vec![0; rows.len()],
    };
    for k in ["1", "2", "3-5", "6-20", "21+"] {
        out.consistent_sizes.insert(k.to_owned(), 0);
    }

    for (ri, (row, t)) in rows.iter().zip(truth).enumerate() {
        let Some(ti) = t
            .registry_id
            .as_deref()
            .and_then(|id| by_id.get(id).copied())
        else {
            continue;
        };
        out.rows_with_match += 1;
        let a = &t.applied;
        let tp = &registry[ti];
        let typed = compare_tokens(&row.full_name, a.diacritics_kept);
        let n = typed.len();
        let (gpos, fpos) = if a.family_last {
            (n.saturating_sub(2), n - 1)
        } else {
            (n - 1, 0)
        };
        let untouched = |pos: usize| -> Option<u64> {
            (a.name_budget.get(pos) == Some(&0) && a.romanised.map(usize::from) != Some(pos))
                .then(|| hash_str(&fold(&typed[pos])))
        };
        let parsed = row.dob.as_deref().and_then(|d| PartialDate::parse(d).ok());
        let dob = match (a.dob, parsed) {
            (DobForm::Exact, Some(d)) => DobRule::Dates(vec![ymd(&d)]),
            (DobForm::Swapped, Some(d)) => DobRule::Dates(vec![ymd(&PartialDate {
                year: d.year,
                month: d.day,
                day: d.month,
            })]),
            (DobForm::DigitOff, Some(d)) => DobRule::Dates(one_digit_off(ymd(&d))),
            (DobForm::YearOnly, Some(d)) => DobRule::Year(d.year),
            _ => DobRule::Any,
        };
        let rule = Rule {
            applied: a,
            sex: (!a.sex_missing).then_some(tp.sex),
            prov: (a.hometown != HometownForm::Missing).then(|| prov_num(tp)),
            dob,
            passport: match (a.passport, row.passport.as_deref()) {
                (DocForm::Exact, Some(pp)) => Some((pp, false)),
                (DocForm::Misread, Some(pp)) => Some((pp, true)),
                _ => None,
            },
            national_id: row.national_id.as_deref().filter(|_| a.national_id),
            given: untouched(gpos),
            fam: untouched(fpos),
            typed,
        };

        let mut consistent: Vec<usize> = Vec::new();
        let mut check = |i: usize| {
            if rule.consistent(&registry[i], &compact[i]) {
                consistent.push(i);
            }
        };
        if let Some(nid) = rule.national_id {
            if let Some(&i) = nid_ix.get(nid) {
                check(i);
            }
        } else if let Some((pp, misread)) = rule.passport {
            if misread {
                let mut bs = pp.as_bytes().to_vec();
                for pos in 0..bs.len() {
                    let orig = bs[pos];
                    for c in (b'0'..=b'9').chain(b'A'..=b'Z') {
                        if c == orig {
                            continue;
                        }
                        bs[pos] = c;
                        if let Some(&i) = std::str::from_utf8(&bs).ok().and_then(|k| pp_ix.get(k)) {
                            check(i);
                        }
                    }
                    bs[pos] = orig;
                }
            } else if let Some(&i) = pp_ix.get(pp) {
                check(i);
            }
        } else if let DobRule::Dates(ds) = &rule.dob {
            for d in ds {
                for &i in dob_ix.get(d).map_or(&[][..], Vec::as_slice) {
                    check(i);
                }
            }
        } else if let Some(g) = rule.given {
            for &i in given_ix.get(&g).map_or(&[][..], Vec::as_slice) {
                check(i);
            }
        } else {
            out.full_scans += 1;
            for i in 0..registry.len() {
                check(i);
            }
        }

        if !consistent.contains(&ti) {
            out.true_inconsistent += 1;
        }
        let size = consistent.len().max(1);
        out.row_sizes[ri] = u32::try_from(size).unwrap_or(u32::MAX);
        if size == 1 && consistent.first() == Some(&ti) {
            out.settleable += 1;
        }
        let bucket = match size {
            1 => "1",
            2 => "2",
            3..=5 => "3-5",
            6..=20 => "6-20",
            _ => "21+",
        };
        *out.consistent_sizes.entry(bucket.to_owned()).or_default() += 1;
    }
    if out.rows_with_match > 0 {
        out.recall = out.settleable as f64 / out.rows_with_match as f64;
        out.f1 = 2.0 * out.recall / (1.0 + out.recall);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Generator, make_list};

    #[test]
    fn oracle_finds_the_true_person_always() {
        let reg = Generator::new(21).registry(30_000);
        let (rows, truth) = make_list(&reg, 3_000, 0.8, 4);
        let c = ceiling(&reg, &rows, &truth);
        assert_eq!(c.rows, 3_000);
        assert_eq!(c.rows_with_match, 2_400);
        assert_eq!(c.true_inconsistent, 0);
        assert!(c.settleable > 2_000 && c.settleable < 2_400, "{c:?}");
        assert!((c.recall - c.settleable as f64 / 2_400.0).abs() < 1e-12);
        assert_eq!(c.consistent_sizes.values().sum::<usize>(), 2_400);
        assert!(c.f1 > c.recall);
    }

    #[test]
    fn twins_are_not_settleable() {
        // Two registry people identical in everything the row shows: neither can be settled.
        let mut reg = Generator::new(8).registry(50);
        let mut twin = reg[0].clone();
        twin.id = "R9999999".into();
        twin.passport = None;
        twin.national_id = "001099000001".into();
        reg.push(twin);
        let (rows, truth) = make_list(&reg[..1], 1, 1.0, 2);
        let mut t = truth.clone();
        t[0].applied.passport = DocForm::Missing;
        t[0].applied.national_id = false;
        let mut r = rows.clone();
        r[0].passport = None;
        r[0].national_id = None;
        let c = ceiling(&reg, &r, &t);
        assert_eq!(c.rows_with_match, 1);
        assert_eq!(c.true_inconsistent, 0);
        assert_eq!(c.settleable, 0);
    }

    #[test]
    fn romanised_token_needs_a_confusion_not_any_edit() {
        // Phương and Hương differ by one letter, but "FUONG" (ph → f) can only be Phương.
        let mut a = Generator::new(4).registry(1).remove(0);
        a.given_name = "Phương".into();
        a.sex = Sex::Female;
        let mut b = a.clone();
        b.id = "R0000002".into();
        b.given_name = "Hương".into();
        b.passport = None;
        b.national_id = "001199000002".into();
        let reg = vec![a.clone(), b];
        let mut name: Vec<String> = vec![fold(&a.family_name).to_uppercase()];
        name.extend(a.middle_names.iter().map(|m| fold(m).to_uppercase()));
        name.push("FUONG".into());
        let n = name.len();
        let row = ListRow {
            list_id: "L000001".into(),
            full_name: name.join(" "),
            dob: None,
            sex: None,
            hometown: None,
            passport: None,
            national_id: None,
        };
        let applied = Applied {
            diacritics_kept: false,
            family_last: false,
            comma: false,
            middle_dropped: false,
            romanised: u8::try_from(n - 1).ok(),
            typos: 0,
            name_budget: vec![0; n],
            dob: DobForm::Missing,
            sex_missing: true,
            hometown: HometownForm::Missing,
            passport: DocForm::Missing,
            national_id: false,
        };
        let truth = Truth {
            list_id: row.list_id.clone(),
            registry_id: Some(a.id.clone()),
            applied,
        };
        let c = ceiling(&reg, &[row], &[truth]);
        assert_eq!(c.true_inconsistent, 0);
        assert_eq!(c.settleable, 1);
        assert_eq!(c.full_scans, 1);
    }

    #[test]
    fn digit_off_variants() {
        let v = one_digit_off(19_900_512);
        assert!(v.contains(&19_910_512));
        assert!(v.contains(&19_900_513));
        assert!(!v.contains(&19_900_512));
        assert!(!v.contains(&19_901_512)); // month 15
    }
}
