//! A deportee list as a foreign government types it, made from registry people (and people the
//! registry does not hold), with the truth and the record of every corruption applied.

use crate::{Generator, Sex, SynthPerson};
use baoho_domain::date::{PartialDate, days_in_month};
use baoho_domain::refdata;
use baoho_domain::text::{fold, fold_tokens, nfc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One row of a foreign list. `None` = the column is empty for this row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRow {
    /// `L000001`…
    pub list_id: String,
    pub full_name: String,
    pub dob: Option<String>,
    pub sex: Option<String>,
    pub hometown: Option<String>,
    pub passport: Option<String>,
    pub national_id: Option<String>,
}

/// How the date of birth was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DobForm {
    /// The full date, correct (in one of several formats).
    Exact,
    /// Only the year is right: `1990` or `01/01/1990`.
    YearOnly,
    /// Day and month swapped (only applied where the result is a valid, different date).
    Swapped,
    /// One digit of `YYYYMMDD` changed (the result is a valid date).
    DigitOff,
    Missing,
}

/// How the home province was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HometownForm {
    /// Pre-2025 province name.
    Old,
    /// Post-2025 province name.
    New,
    Missing,
}

/// How a document number was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocForm {
    Exact,
    /// One character misread (0/O, 1/I, 5/S, 8/B, 2/Z, 6/G) or one digit off.
    Misread,
    Missing,
}

/// Every corruption applied to one list row: what the oracle ([`crate::ceiling()`]) knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The name kept its diacritics (compared in lower-case NFC rather than folded).
    pub diacritics_kept: bool,
    /// Western order: middle and given names first, family name last.
    pub family_last: bool,
    /// `FAMILY, MIDDLE GIVEN`.
    pub comma: bool,
    pub middle_dropped: bool,
    /// A romanisation confusion (y/i, ph/f, tr/ch, d/gi/z, ng/n, Nguyen variants…) was applied
    /// to the token at this position of the typed name (before any typo).
    pub romanised: Option<u8>,
    /// Typos applied (substitution, transposition, dropped or doubled letter).
    pub typos: u8,
    /// Per token of the typed name (in its order): the edit distance (optimal string
    /// alignment) between the true token, romanised where that was applied, and the typed
    /// one, both in the compare form: the cost of the typos.
    pub name_budget: Vec<u8>,
    pub dob: DobForm,
    pub sex_missing: bool,
    pub hometown: HometownForm,
    pub passport: DocForm,
    /// The citizen id was given (always exact when given).
    pub national_id: bool,
}

impl fmt::Display for Applied {
    /// Compact form for the truth file: `name=strip,last,drop,rom,t1,b0.1.0;dob=swapped;…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = vec![
            if self.diacritics_kept {
                "keep"
            } else {
                "strip"
            }
            .into(),
        ];
        if self.family_last {
            parts.push("last".into());
        }
        if self.comma {
            parts.push("comma".into());
        }
        if self.middle_dropped {
            parts.push("drop".into());
        }
        if let Some(pos) = self.romanised {
            parts.push(format!("rom{pos}"));
        }
        if self.typos > 0 {
            parts.push(format!("t{}", self.typos));
        }
        let budget: Vec<String> = self.name_budget.iter().map(u8::to_string).collect();
        parts.push(format!("b{}", budget.join(".")));
        let dob = match self.dob {
            DobForm::Exact => "exact",
            DobForm::YearOnly => "year_only",
            DobForm::Swapped => "swapped",
            DobForm::DigitOff => "digit_off",
            DobForm::Missing => "missing",
        };
        let home = match self.hometown {
            HometownForm::Old => "old",
            HometownForm::New => "new",
            HometownForm::Missing => "missing",
        };
        let pp = match self.passport {
            DocForm::Exact => "exact",
            DocForm::Misread => "misread",
            DocForm::Missing => "missing",
        };
        write!(
            f,
            "name={};dob={dob};sex={};home={home};passport={pp};nid={}",
            parts.join(","),
            if self.sex_missing { "missing" } else { "given" },
            if self.national_id { "given" } else { "missing" },
        )
    }
}

/// The truth for one list row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truth {
    pub list_id: String,
    /// The registry person the row was made from; `None` for people not in the registry.
    pub registry_id: Option<String>,
    pub applied: Applied,
}

/// Rates of each corruption. `Default` is the realistic mix `baoho gen` uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListConfig {
    pub strip_diacritics: f64,
    pub upper_case: f64,
    pub family_last: f64,
    pub comma: f64,
    pub drop_middle: f64,
    pub romanise: f64,
    /// Probability of at least one typo; of two typos.
    pub typo: f64,
    pub two_typos: f64,
    pub dob_year_only: f64,
    pub dob_swapped: f64,
    pub dob_digit_off: f64,
    pub dob_missing: f64,
    pub sex_missing: f64,
    pub hometown_old: f64,
    pub hometown_new: f64,
    pub passport_exact: f64,
    pub passport_misread: f64,
    pub national_id: f64,
}

impl Default for ListConfig {
    fn default() -> Self {
        Self {
            strip_diacritics: 0.85,
            upper_case: 0.80,
            family_last: 0.25,
            comma: 0.05,
            drop_middle: 0.15,
            romanise: 0.15,
            typo: 0.25,
            two_typos: 0.05,
            dob_year_only: 0.10,
            dob_swapped: 0.12,
            dob_digit_off: 0.08,
            dob_missing: 0.10,
            sex_missing: 0.15,
            hometown_old: 0.35,
            hometown_new: 0.30,
            passport_exact: 0.45,
            passport_misread: 0.15,
            national_id: 0.20,
        }
    }
}

/// A corrupted deportee list of `n_rows` rows: `match_share` of them made from distinct
/// registry people, the rest from people outside the registry (same distributions, documents
/// that never collide with the registry's). Rows are shuffled; ids `L000001`….
pub fn make_list(
    registry: &[SynthPerson],
    n_rows: usize,
    match_share: f64,
    seed: u64,
) -> (Vec<ListRow>, Vec<Truth>) {
    make_list_with(registry, n_rows, match_share, seed, &ListConfig::default())
}

/// [`make_list`] with explicit corruption rates.
pub fn make_list_with(
    registry: &[SynthPerson],
    n_rows: usize,
    match_share: f64,
    seed: u64,
    cfg: &ListConfig,
) -> (Vec<ListRow>, Vec<Truth>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6c69_7374_0000_0001);
    let n_match = ((n_rows as f64 * match_share.clamp(0.0, 1.0)).round() as usize)
        .min(registry.len())
        .min(n_rows);
    let picked = rand::seq::index::sample(&mut rng, registry.len(), n_match);
    let mut outsiders = Generator::with_prefix(seed ^ 0x6f75_7473_6964_6572, 'X');
    outsiders.reserve_documents(registry);
    let mut people: Vec<(bool, SynthPerson)> =
        picked.iter().map(|i| (true, registry[i].clone())).collect();
    for _ in n_match..n_rows {
        people.push((false, outsiders.person()));
    }
    people.shuffle(&mut rng);

    let mut rows = Vec::with_capacity(n_rows);
    let mut truth = Vec::with_capacity(n_rows);
    for (i, (in_registry, p)) in people.into_iter().enumerate() {
        let list_id = format!("L{:06}", i + 1);
        let (row, applied) = corrupt(&mut rng, &p, list_id.clone(), cfg);
        rows.push(row);
        truth.push(Truth {
            list_id,
            registry_id: in_registry.then(|| p.id.clone()),
            applied,
        });
    }
    (rows, truth)
}

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
fn romanise(rng: &mut impl Rng, tokens: &mut [String]) -> Option<usize> {
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

fn corrupt(
    rng: &mut impl Rng,
    p: &SynthPerson,
    list_id: String,
    cfg: &ListConfig,
) -> (ListRow, Applied) {
    // --- name ---
    let diacritics_kept = !rng.random_bool(cfg.strip_diacritics);
    let middle_dropped = !p.middle_names.is_empty() && rng.random_bool(cfg.drop_middle);
    let lower = |s: &str| -> String {
        if diacritics_kept {
            nfc(&s.to_lowercase())
        } else {
            fold(s)
        }
    };
    let family = lower(&p.family_name);
    let middles: Vec<String> = if middle_dropped {
        Vec::new()
    } else {
        p.middle_names.iter().map(|m| lower(m)).collect()
    };
    let given = lower(&p.given_name);
    let mut tokens: Vec<String> = std::iter::once(family)
        .chain(middles)
        .chain([given])
        .collect();
    let romanised_internal = if !diacritics_kept && rng.random_bool(cfg.romanise) {
        romanise(rng, &mut tokens)
    } else {
        None
    };
    // The tokens before typos, in the compare form (already lower case, folded or NFC).
    let mut pre_typo = tokens.clone();
    let typos = if rng.random_bool(cfg.typo) {
        if rng.random_bool(cfg.two_typos / cfg.typo.max(1e-9)) {
            2
        } else {
            1
        }
    } else {
        0
    };
    for _ in 0..typos {
        typo(rng, &mut tokens);
    }
    let r = rng.random::<f64>();
    let cased: Vec<String> = if r < cfg.upper_case {
        tokens.iter().map(|t| t.to_uppercase()).collect()
    } else if r < cfg.upper_case + (1.0 - cfg.upper_case) * 0.8 {
        tokens.iter().map(|t| title_case(t)).collect()
    } else {
        tokens.clone()
    };
    let r = rng.random::<f64>();
    let (family_last, comma) = if r < cfg.family_last {
        (true, false)
    } else if r < cfg.family_last + cfg.comma {
        (false, true)
    } else {
        (false, false)
    };
    let full_name = if family_last {
        let mut v = cased[1..].to_vec();
        v.push(cased[0].clone());
        v.join(" ")
    } else if comma {
        format!("{}, {}", cased[0], cased[1..].join(" "))
    } else {
        cased.join(" ")
    };
    let full_name = nfc(&full_name);
    // Budget: the typos' cost, position by position in the typed order, in the compare form.
    let typed = compare_tokens(&full_name, diacritics_kept);
    let n = pre_typo.len();
    let to_typed = |i: usize| if family_last { (i + n - 1) % n } else { i };
    if family_last {
        pre_typo.rotate_left(1);
    }
    debug_assert_eq!(typed.len(), pre_typo.len());
    let name_budget: Vec<u8> = typed
        .iter()
        .zip(&pre_typo)
        .map(|(a, b)| u8::try_from(osa(a, b)).unwrap_or(u8::MAX))
        .collect();
    let romanised = romanised_internal.and_then(|i| u8::try_from(to_typed(i)).ok());

    // --- date of birth ---
    let (y, m, d) = (p.dob.year, p.dob.month.unwrap_or(1), p.dob.day.unwrap_or(1));
    let r = rng.random::<f64>();
    let mut dob_form = if r < cfg.dob_missing {
        DobForm::Missing
    } else if r < cfg.dob_missing + cfg.dob_year_only {
        DobForm::YearOnly
    } else if r < cfg.dob_missing + cfg.dob_year_only + cfg.dob_swapped {
        DobForm::Swapped
    } else if r < cfg.dob_missing + cfg.dob_year_only + cfg.dob_swapped + cfg.dob_digit_off {
        DobForm::DigitOff
    } else {
        DobForm::Exact
    };
    if dob_form == DobForm::Swapped && (d > 12 || d == m) {
        dob_form = DobForm::Exact;
    }
    let mut dob = None;
    if dob_form == DobForm::DigitOff {
        let digits = format!("{y:04}{m:02}{d:02}");
        for _ in 0..30 {
            let pos = rng.random_range(0..8);
            let mut bs = digits.clone().into_bytes();
            let old = bs[pos];
            let new = if rng.random_bool(0.5) {
                if old == b'9' { b'8' } else { old + 1 }
            } else {
                b'0' + rng.random_range(0..10u8)
            };
            if new == old {
                continue;
            }
            bs[pos] = new;
            let s = String::from_utf8_lossy(&bs).into_owned();
            let (ny, nm, nd) = (
                s[0..4].parse::<u16>(),
                s[4..6].parse::<u8>(),
                s[6..8].parse::<u8>(),
            );
            if let (Ok(ny), Ok(nm), Ok(nd)) = (ny, nm, nd)
                && (1920..=2025).contains(&ny)
                && PartialDate::new(ny, Some(nm), Some(nd)).is_ok()
            {
                dob = Some(fmt_full(rng, ny, nm, nd));
                break;
            }
        }
        if dob.is_none() {
            dob_form = DobForm::Exact;
        }
    }
    let dob = match dob_form {
        DobForm::Missing => None,
        DobForm::YearOnly => Some(if rng.random_bool(0.7) {
            format!("{y:04}")
        } else {
            format!("01/01/{y:04}")
        }),
        DobForm::Swapped => Some(format!("{m:02}/{d:02}/{y:04}")),
        DobForm::DigitOff => dob,
        DobForm::Exact => Some(fmt_full(rng, y, m, d)),
    };
    debug_assert!(days_in_month(y, m) >= d);

    // --- sex ---
    let sex_missing = rng.random_bool(cfg.sex_missing);
    let sex = (!sex_missing).then(|| {
        let long = rng.random_bool(0.2);
        match (p.sex, long) {
            (Sex::Male, false) => "M".to_owned(),
            (Sex::Female, false) => "F".to_owned(),
            (Sex::Male, true) => "MALE".to_owned(),
            (Sex::Female, true) => "FEMALE".to_owned(),
        }
    });

    // --- hometown ---
    let r = rng.random::<f64>();
    let old = refdata::old_province(&p.province_code);
    let new = refdata::merged_into(&p.province_code);
    let (hometown_form, names) = if r < cfg.hometown_old {
        (
            HometownForm::Old,
            old.map(|o| (o.short_vi.clone(), o.name_en.clone())),
        )
    } else if r < cfg.hometown_old + cfg.hometown_new {
        (
            HometownForm::New,
            new.map(|o| (o.short_vi.clone(), o.name_en.clone())),
        )
    } else {
        (HometownForm::Missing, None)
    };
    let hometown_form = if names.is_none() {
        HometownForm::Missing
    } else {
        hometown_form
    };
    let hometown = names.map(|(vi, en)| {
        let r = rng.random::<f64>();
        let base = if r < 0.15 {
            en.to_uppercase()
        } else if diacritics_kept {
            vi.to_uppercase()
        } else {
            fold(&vi).to_uppercase()
        };
        if rng.random_bool(0.12) {
            format!("{base} PROVINCE")
        } else {
            nfc(&base)
        }
    });

    // --- passport ---
    let r = rng.random::<f64>();
    let (passport_form, passport) = match &p.passport {
        None => (DocForm::Missing, None),
        Some(pp) if r < cfg.passport_exact => (DocForm::Exact, Some(pp.clone())),
        Some(pp) if r < cfg.passport_exact + cfg.passport_misread => {
            (DocForm::Misread, Some(misread(rng, pp)))
        }
        Some(_) => (DocForm::Missing, None),
    };
    let passport_form =
        if passport.as_ref() == p.passport.as_ref() && passport_form == DocForm::Misread {
            DocForm::Exact
        } else {
            passport_form
        };

    // --- citizen id ---
    let national_id_given = rng.random_bool(cfg.national_id);
    let national_id = national_id_given.then(|| p.national_id.clone());

    let applied = Applied {
        diacritics_kept,
        family_last,
        comma,
        middle_dropped,
        romanised,
        typos,
        name_budget,
        dob: dob_form,
        sex_missing,
        hometown: hometown_form,
        passport: passport_form,
        national_id: national_id_given,
    };
    let row = ListRow {
        list_id,
        full_name,
        dob,
        sex,
        hometown,
        passport,
        national_id,
    };
    (row, applied)
}

/// A full date in one of the formats clerks use.
fn fmt_full(rng: &mut impl Rng, y: u16, m: u8, d: u8) -> String {
    let r = rng.random::<f64>();
    if r < 0.7 {
        format!("{d:02}/{m:02}/{y:04}")
    } else if r < 0.9 {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{d:02}.{m:02}.{y:04}")
    }
}

/// Letters and digits that optical reading and hand copying confuse.
const CONFUSABLE: &[(u8, u8)] = &[
    (b'0', b'O'),
    (b'1', b'I'),
    (b'5', b'S'),
    (b'8', b'B'),
    (b'2', b'Z'),
    (b'6', b'G'),
];

/// One character of a passport number misread: a digit read as its look-alike letter, or one
/// digit off.
fn misread(rng: &mut impl Rng, pp: &str) -> String {
    let mut bs = pp.as_bytes().to_vec();
    if bs.len() < 2 {
        return pp.to_owned();
    }
    let i = rng.random_range(1..bs.len());
    let c = bs[i];
    let look_alike = CONFUSABLE.iter().find(|(d, _)| *d == c).map(|(_, l)| *l);
    bs[i] = match look_alike {
        Some(l) if rng.random_bool(0.5) => l,
        _ if c.is_ascii_digit() => {
            let off = rng.random_range(1..10u8);
            b'0' + (c - b'0' + off) % 10
        }
        _ => c,
    };
    String::from_utf8_lossy(&bs).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use baoho_domain::text::is_nfc;
    use std::collections::HashSet;

    fn sample() -> (Vec<SynthPerson>, Vec<ListRow>, Vec<Truth>) {
        let reg = Generator::new(5).registry(20_000);
        let (rows, truth) = make_list(&reg, 4_000, 0.8, 9);
        (reg, rows, truth)
    }

    #[test]
    fn osa_distance() {
        assert_eq!(osa("nguyen", "nguyen"), 0);
        assert_eq!(osa("nguyen", "ngyuen"), 1);
        assert_eq!(osa("phuong", "fuong"), 2);
        assert_eq!(osa("", "abc"), 3);
        assert_eq!(osa("trang", "tranh"), 1);
    }

    #[test]
    fn list_shape_and_truth() {
        let (reg, rows, truth) = sample();
        assert_eq!(rows.len(), 4_000);
        assert_eq!(truth.len(), 4_000);
        let matched = truth.iter().filter(|t| t.registry_id.is_some()).count();
        assert_eq!(matched, 3_200);
        let ids: HashSet<&str> = reg.iter().map(|p| p.id.as_str()).collect();
        let mut seen = HashSet::new();
        for (r, t) in rows.iter().zip(&truth) {
            assert_eq!(r.list_id, t.list_id);
            assert!(is_nfc(&r.full_name));
            if let Some(id) = &t.registry_id {
                assert!(ids.contains(id.as_str()));
                assert!(seen.insert(id.clone()), "registry person used twice");
            }
            assert_eq!(
                compare_tokens(&r.full_name, t.applied.diacritics_kept).len(),
                t.applied.name_budget.len()
            );
            match t.applied.dob {
                DobForm::Missing => assert!(r.dob.is_none()),
                _ => assert!(
                    r.dob
                        .as_deref()
                        .is_some_and(|d| PartialDate::parse(d).is_ok()),
                    "{:?}",
                    r.dob
                ),
            }
            assert_eq!(t.applied.sex_missing, r.sex.is_none());
            assert_eq!(t.applied.national_id, r.national_id.is_some());
            if let Some(h) = &r.hometown {
                assert!(refdata::find_province(h).is_some(), "{h}");
            }
        }
        let upper = rows
            .iter()
            .filter(|r| r.full_name == r.full_name.to_uppercase())
            .count();
        assert!(upper > 3_000);
        let ascii = rows.iter().filter(|r| r.full_name.is_ascii()).count();
        assert!((3_200..3_700).contains(&ascii), "{ascii}");
        let exact = truth
            .iter()
            .filter(|t| t.applied.name_budget.iter().all(|b| *b == 0))
            .count();
        assert!((2_000..3_200).contains(&exact), "{exact}");
    }

    #[test]
    fn matched_rows_resemble_their_person() {
        let (reg, rows, truth) = sample();
        let by_id: std::collections::HashMap<&str, &SynthPerson> =
            reg.iter().map(|p| (p.id.as_str(), p)).collect();
        for (r, t) in rows.iter().zip(&truth) {
            let Some(p) = t.registry_id.as_deref().and_then(|id| by_id.get(id)) else {
                continue;
            };
            if t.applied.passport == DocForm::Exact {
                assert_eq!(r.passport, p.passport);
            }
            if t.applied.passport == DocForm::Misread {
                let (a, b) = (
                    r.passport.clone().unwrap_or_default(),
                    p.passport.clone().unwrap_or_default(),
                );
                assert_eq!(a.len(), b.len());
                assert_eq!(a.bytes().zip(b.bytes()).filter(|(x, y)| x != y).count(), 1);
            }
            if t.applied.dob == DobForm::Exact {
                assert_eq!(
                    r.dob.as_deref().and_then(|d| PartialDate::parse(d).ok()),
                    Some(p.dob)
                );
            }
            if t.applied.dob == DobForm::Swapped {
                let d = r.dob.as_deref().and_then(|d| PartialDate::parse(d).ok());
                assert_eq!(
                    d.map(|d| (d.year, d.day, d.month)),
                    Some((p.dob.year, p.dob.month, p.dob.day))
                );
            }
        }
    }

    #[test]
    fn deterministic() {
        let reg = Generator::new(1).registry(2_000);
        let a = make_list(&reg, 500, 0.7, 3);
        let b = make_list(&reg, 500, 0.7, 3);
        let c = make_list(&reg, 500, 0.7, 4);
        assert_eq!(a, b);
        assert_ne!(a.0, c.0);
    }

    #[test]
    fn outsiders_never_share_documents() {
        let reg = Generator::new(2).registry(5_000);
        let (rows, truth) = make_list(&reg, 2_000, 0.0, 1);
        let pps: HashSet<&str> = reg.iter().filter_map(|p| p.passport.as_deref()).collect();
        let nids: HashSet<&str> = reg.iter().map(|p| p.national_id.as_str()).collect();
        for (r, t) in rows.iter().zip(&truth) {
            assert!(t.registry_id.is_none());
            if t.applied.passport == DocForm::Exact {
                assert!(!pps.contains(r.passport.as_deref().unwrap_or("")));
            }
            if let Some(n) = &r.national_id {
                assert!(!nids.contains(n.as_str()));
            }
        }
    }

    #[test]
    fn applied_display() {
        let a = Applied {
            diacritics_kept: false,
            family_last: true,
            comma: false,
            middle_dropped: true,
            romanised: Some(0),
            typos: 1,
            name_budget: vec![0, 1],
            dob: DobForm::Swapped,
            sex_missing: false,
            hometown: HometownForm::Old,
            passport: DocForm::Missing,
            national_id: false,
        };
        assert_eq!(
            a.to_string(),
            "name=strip,last,drop,rom0,t1,b0.1;dob=swapped;sex=given;home=old;passport=missing;nid=missing"
        );
    }
}
