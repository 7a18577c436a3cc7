//! Comparison levels: each field of a pair is put into one level, most similar first.
//! Level 0 is always "null" (either side missing): it carries no evidence (Bayes factor 1).
//! A pair's levels are packed four bits per field into a [`Gamma`].

use crate::intern::NONE;
use crate::prep::{Dob, Name, Prep, Side, Store};
use crate::strings::{jaro_winkler_at_least, osa_distance, within_one_edit};

pub type Gamma = u64;

pub const FAMILY: usize = 0;
pub const GIVEN: usize = 1;
pub const MIDDLE: usize = 2;
pub const DOB: usize = 3;
pub const SEX: usize = 4;
pub const HOMETOWN: usize = 5;
pub const PASSPORT: usize = 6;
pub const NATIONAL_ID: usize = 7;
pub const ADDRESS: usize = 8;
pub const LOCALITY: usize = 9;
pub const POSTCODE: usize = 10;
pub const PHONE: usize = 11;
pub const N_FIELDS: usize = 12;

pub const FIELD_NAMES: [&str; N_FIELDS] = [
    "family_name",
    "given_name",
    "middle_name",
    "dob",
    "sex",
    "hometown",
    "passport",
    "national_id",
    "address",
    "locality",
    "postcode",
    "phone",
];

const NAME_LEVELS: &[&str] = &["null", "exact", "phonetic", "fuzzy", "two edits", "else"];
const GIVEN_LEVELS: &[&str] = &[
    "null",
    "exact",
    "phonetic",
    "fuzzy",
    "partial",
    "two edits",
    "else",
];
const MIDDLE_LEVELS: &[&str] = &["null", "exact", "phonetic", "one missing", "else"];
const DOB_LEVELS: &[&str] = &[
    "null",
    "exact",
    "day/month swapped",
    "one digit off",
    "partial, agrees",
    "year and month",
    "year",
    "year ±1",
    "else",
];
const SEX_LEVELS: &[&str] = &["null", "equal", "different"];
const HOME_LEVELS: &[&str] = &["null", "same province", "same merged province", "else"];
const CODE_LEVELS: &[&str] = &["null", "exact", "one edit", "else"];
const TEXT_LEVELS: &[&str] = &["null", "exact", "fuzzy", "else"];

/// Level labels per field.
pub const LEVELS: [&[&str]; N_FIELDS] = [
    NAME_LEVELS,
    GIVEN_LEVELS,
    MIDDLE_LEVELS,
    DOB_LEVELS,
    SEX_LEVELS,
    HOME_LEVELS,
    CODE_LEVELS,
    CODE_LEVELS,
    TEXT_LEVELS,
    TEXT_LEVELS,
    CODE_LEVELS,
    CODE_LEVELS,
];

/// Levels whose Bayes factor is adjusted by the term frequency of the agreed value.
pub fn tf_level(field: usize, level: u8) -> bool {
    level == 1 && matches!(field, FAMILY | GIVEN | MIDDLE | DOB | LOCALITY)
}

pub fn level(g: Gamma, field: usize) -> u8 {
    ((g >> (4 * field)) & 0xf) as u8
}

fn set(g: &mut Gamma, field: usize, level: u8) {
    *g |= u64::from(level) << (4 * field);
}

/// A pair's comparison vector and the agreed values the term-frequency adjustment needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Comparison {
    pub gamma: Gamma,
    /// Agreed family / given token (NONE unless that field is at level exact).
    pub family_tok: u32,
    pub given_tok: u32,
    /// Agreed middle names as one key ([`middle_key`]; NONE unless middle is at level exact).
    pub middle_key: u32,
    /// The agreed family / given token sits in the same slot of the other record (whose
    /// name has one reading): its frequency in that slot is what a chance agreement costs.
    pub own_slot: bool,
}

/// One key for a name's middle names in order (NONE when it has none): `Văn` is shared by a
/// quarter of the population and `Thu Thảo` by few, so agreement on them weighs differently.
pub fn middle_key(n: &Name) -> u32 {
    let k = n.middle_len();
    if k == 0 {
        return NONE;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &t in &n.middle[..k] {
        h = (h ^ u64::from(t)).wrapping_mul(0x0100_0000_01b3);
        h ^= h >> 29;
    }
    let key = (h ^ (h >> 32)) as u32;
    if key == NONE { key ^ 1 } else { key }
}

pub const JW_FUZZY: f64 = 0.88;

/// One slot of the per-thread token-similarity cache: (store id, token pair) and the
/// answer ([`SIM_FUZZY`], [`SIM_TWO_EDITS`] or 0).
#[derive(Clone, Copy)]
struct FuzzySlot {
    store: u32,
    pair: u64,
    sim: u8,
}

const SIM_FUZZY: u8 = 2;
const SIM_TWO_EDITS: u8 = 1;

const FUZZY_SLOTS: usize = 1 << 13;

thread_local! {
    /// Names repeat (a few thousand tokens make most names), so the same two tokens are
    /// compared again and again: a direct-mapped cache of their fuzzy / two-edit tests.
    static FUZZY: std::cell::RefCell<Vec<FuzzySlot>> = std::cell::RefCell::new(vec![
        FuzzySlot { store: 0, pair: 0, sim: 0 };
        FUZZY_SLOTS
    ]);
}

fn tokens_fuzzy(s: &Store, a: u32, b: u32) -> bool {
    tokens_similarity(s, a, b) == SIM_FUZZY
}

/// Two typos (`hnu` for `hung`, `psm` for `pham`) and not fuzzy: still far likelier between
/// a person and their own record than between two people, once both names have three
/// letters or more.
fn two_edits(s: &Store, a: u32, b: u32) -> bool {
    tokens_similarity(s, a, b) == SIM_TWO_EDITS
}

fn tokens_similarity(s: &Store, a: u32, b: u32) -> u8 {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    let pair = (u64::from(x) << 32) | u64::from(y);
    let slot = (pair.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 51) as usize & (FUZZY_SLOTS - 1);
    // Jaro–Winkler misses one edit in a short token (`phuc`/`pguc` is 0.83), which is what
    // a typo mostly is in Vietnamese syllables: one edit counts when one side has three
    // letters or more (`ga`/`nga`), and two-letter tokens when swapped (`ov`/`vo`).
    let compute = || {
        let (ta, tb) = (s.token(a), s.token(b));
        if jaro_winkler_at_least(ta, tb, JW_FUZZY)
            || (ta.len().max(tb.len()) >= 3
                && ta.len().min(tb.len()) >= 2
                && within_one_edit(ta, tb))
            || (ta.len() == 2 && tb.len() == 2 && ta[0] == tb[1] && ta[1] == tb[0])
        {
            SIM_FUZZY
        } else if ta.len().min(tb.len()) >= 3 && osa_distance(ta, tb, 2) <= 2 {
            SIM_TWO_EDITS
        } else {
            0
        }
    };
    FUZZY
        .try_with(|c| {
            let mut c = c.borrow_mut();
            match c.get(slot) {
                Some(e) if e.store == s.id && e.pair == pair => e.sim,
                _ => {
                    let sim = compute();
                    if let Some(e) = c.get_mut(slot) {
                        *e = FuzzySlot {
                            store: s.id,
                            pair,
                            sim,
                        };
                    }
                    sim
                }
            }
        })
        .unwrap_or_else(|_| compute())
}

/// Token comparison: 1 exact, 2 phonetic, 3 fuzzy, 4 else (names).
fn token_level(s: &Store, a: u32, b: u32) -> u8 {
    if a == b {
        1
    } else if s.phon(a) == s.phon(b) {
        2
    } else if tokens_fuzzy(s, a, b) {
        3
    } else {
        4
    }
}

/// `joined` is `first` immediately followed by `second` (`minhanh` = `minh` + `anh`).
fn is_join(s: &Store, joined: u32, first: u32, second: u32) -> bool {
    if first == NONE || second == NONE {
        return false;
    }
    let (j, f, t) = (s.token(joined), s.token(first), s.token(second));
    j.len() == f.len() + t.len() && j.starts_with(f) && j.ends_with(t)
}

struct NameLevels {
    family: u8,
    given: u8,
    /// Family and given names were compared crosswise.
    swapped: bool,
}

fn given_level(s: &Store, a: &Name, b: &Name) -> u8 {
    if a.given == NONE || b.given == NONE {
        return 0;
    }
    let l = token_level(s, a.given, b.given);
    if l <= 3 {
        return l;
    }
    // Partial: the given name sits elsewhere in the other name (middle/given confused), or
    // one side wrote a two-syllable given name as one word.
    let in_other = |x: &Name, y: &Name| {
        y.middle
            .iter()
            .chain(std::iter::once(&y.family))
            .any(|&t| t != NONE && (t == x.given || s.phon(t) == s.phon(x.given)))
    };
    let last_mid = |n: &Name| {
        let k = n.middle_len();
        if k == 0 { NONE } else { n.middle[k - 1] }
    };
    if in_other(a, b)
        || in_other(b, a)
        || is_join(s, a.given, last_mid(b), b.given)
        || is_join(s, b.given, last_mid(a), a.given)
    {
        return 4;
    }
    if two_edits(s, a.given, b.given) { 5 } else { 6 }
}

fn name_levels(s: &Store, a: &Name, b: &Name) -> NameLevels {
    let family = if a.family == NONE || b.family == NONE {
        0
    } else {
        match token_level(s, a.family, b.family) {
            4 if two_edits(s, a.family, b.family) => 4,
            4 => 5,
            l => l,
        }
    };
    let given = given_level(s, a, b);
    let straight = NameLevels {
        family,
        given,
        swapped: false,
    };
    if family <= 2 && given <= 2 {
        return straight;
    }
    // Family and given names swapped (a field mix-up in the source).
    if a.family != NONE && b.given != NONE && a.given != NONE && b.family != NONE {
        let f = token_level(s, a.family, b.given);
        let g = token_level(s, a.given, b.family);
        if f <= 3 && g <= 3 && f + g < score(family) + score(given) {
            return NameLevels {
                family: f,
                given: g,
                swapped: true,
            };
        }
    }
    straight
}

/// Order key for choosing between readings (null counts as middling).
fn score(level: u8) -> u8 {
    if level == 0 { 3 } else { level }
}

fn middle_level(s: &Store, a: &Name, b: &Name) -> u8 {
    let (na, nb) = (a.middle_len(), b.middle_len());
    if na == 0 && nb == 0 {
        return 0;
    }
    if (na == 0 || nb == 0) && a.given != NONE && b.given != NONE {
        // One side has middle names, the other none although it has a given name: dropped
        // middle names (or another person: `Bùi Tuấn` is not `Bùi Văn Tuấn` as surely).
        return 3;
    }
    if na == 0 || nb == 0 {
        return 0;
    }
    let (ma, mb) = (&a.middle[..na], &b.middle[..nb]);
    if ma == mb {
        return 1;
    }
    if na == nb
        && ma
            .iter()
            .zip(mb)
            .all(|(&x, &y)| s.phon(x) == s.phon(y) || tokens_fuzzy(s, x, y))
    {
        return 2;
    }
    let (short, long) = if na < nb { (ma, mb) } else { (mb, ma) };
    if short.len() < long.len()
        && short
            .iter()
            .all(|&x| long.iter().any(|&y| s.phon(x) == s.phon(y)))
    {
        return 3;
    }
    4
}

fn dob_level(a: &Dob, b: &Dob) -> u8 {
    if a.year == 0 || b.year == 0 {
        return 0;
    }
    if a.is_full() && b.is_full() {
        if a == b {
            return 1;
        }
        if a.year == b.year && a.month == b.day && a.day == b.month {
            return 2;
        }
        if within_one_edit(&dob_digits(a), &dob_digits(b)) {
            return 3;
        }
        if a.year == b.year && a.month == b.month {
            return 5;
        }
        // 1 January is the usual stand-in for an unknown day and month (`01/01/1990`).
        let jan1 = |d: &Dob| d.month == 1 && d.day == 1;
        if a.year == b.year && (jan1(a) || jan1(b)) {
            return 4;
        }
    } else {
        // At least one side is partial: agreement on every part both know.
        let month_ok = a.month == 0 || b.month == 0 || a.month == b.month;
        let day_ok = a.day == 0 || b.day == 0 || a.day == b.day;
        if a.year == b.year && month_ok && day_ok {
            return 4;
        }
    }
    if a.year == b.year {
        return 6;
    }
    if a.year.abs_diff(b.year) == 1 {
        return 7;
    }
    8
}

fn year_digits(y: u16) -> [u8; 4] {
    [
        b'0' + (y / 1000 % 10) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
    ]
}

fn dob_digits(d: &Dob) -> [u8; 8] {
    let y = year_digits(d.year);
    [
        y[0],
        y[1],
        y[2],
        y[3],
        b'0' + d.month / 10 % 10,
        b'0' + d.month % 10,
        b'0' + d.day / 10 % 10,
        b'0' + d.day % 10,
    ]
}

fn code_level(a: &[u8], b: &[u8]) -> u8 {
    if a.is_empty() || b.is_empty() {
        0
    } else if a == b {
        1
    } else if within_one_edit(a, b) {
        2
    } else {
        3
    }
}

fn text_level(a: &[u8], b: &[u8]) -> u8 {
    if a.is_empty() || b.is_empty() {
        0
    } else if a == b {
        1
    } else if jaro_winkler_at_least(a, b, JW_FUZZY) {
        2
    } else {
        3
    }
}

fn home_level(s: &Store, a: u32, b: u32) -> u8 {
    if a == NONE || b == NONE {
        return 0;
    }
    if a == b {
        return 1;
    }
    let pa = s
        .place_prov
        .get(a as usize)
        .copied()
        .unwrap_or((NONE, NONE, false));
    let pb = s
        .place_prov
        .get(b as usize)
        .copied()
        .unwrap_or((NONE, NONE, false));
    if pa.0 != NONE && pa.0 == pb.0 {
        1
    } else if pa.1 != NONE && pa.1 == pb.1 && (pa.2 || pb.2) {
        // One side names the post-2025 province the other lies in (`Đồng Nai` for Bình
        // Phước): under the new map that is the same province.
        1
    } else if pa.1 != NONE && pa.1 == pb.1 {
        2
    } else {
        3
    }
}

fn sex_level(a: u8, b: u8) -> u8 {
    if a == 0 || b == 0 {
        0
    } else if a == b {
        1
    } else {
        2
    }
}

/// Compare record `a` of side `sa` with record `b` of side `sb`.
pub fn compare(s: &Store, sa: &Side, a: &Prep, sb: &Side, b: &Prep) -> Comparison {
    let mut best = (name_levels(s, &a.name, &b.name), a.name, b.name, 0usize);
    // Ambiguous name order: try the other readings, keep the best-agreeing one.
    if best.0.family > 1 || best.0.given > 1 {
        let (ra, rb) = (sa.alts_of(a), sb.alts_of(b));
        let readings_a = std::iter::once(&a.name).chain(ra);
        for (i, na) in readings_a.enumerate() {
            for (j, nb) in std::iter::once(&b.name).chain(rb).enumerate() {
                if i == 0 && j == 0 {
                    continue;
                }
                let l = name_levels(s, na, nb);
                if score(l.family) + score(l.given) < score(best.0.family) + score(best.0.given) {
                    best = (l, *na, *nb, j);
                }
            }
        }
    }
    let (nl, na, nb, b_reading) = best;
    let mut g: Gamma = 0;
    set(&mut g, FAMILY, nl.family);
    set(&mut g, GIVEN, nl.given);
    set(&mut g, MIDDLE, middle_level(s, &na, &nb));
    set(&mut g, DOB, dob_level(&a.dob, &b.dob));
    set(&mut g, SEX, sex_level(a.sex, b.sex));
    set(&mut g, HOMETOWN, home_level(s, a.home, b.home));
    set(
        &mut g,
        PASSPORT,
        code_level(a.passport.as_bytes(), b.passport.as_bytes()),
    );
    set(
        &mut g,
        NATIONAL_ID,
        code_level(a.national_id.as_bytes(), b.national_id.as_bytes()),
    );
    set(&mut g, ADDRESS, text_level(sa.addr(a), sb.addr(b)));
    let loc = if a.locality == NONE || b.locality == NONE {
        0
    } else if a.locality == b.locality {
        1
    } else if jaro_winkler_at_least(
        s.localities.get(a.locality).as_bytes(),
        s.localities.get(b.locality).as_bytes(),
        JW_FUZZY,
    ) {
        2
    } else {
        3
    };
    set(&mut g, LOCALITY, loc);
    set(
        &mut g,
        POSTCODE,
        code_level(a.postcode.as_bytes(), b.postcode.as_bytes()),
    );
    set(
        &mut g,
        PHONE,
        code_level(a.phone.as_bytes(), b.phone.as_bytes()),
    );
    let family_tok = if nl.family == 1 { na.family } else { NONE };
    let given_tok = if nl.given == 1 { na.given } else { NONE };
    let middle_key = if level(g, MIDDLE) == 1 {
        middle_key(&nb)
    } else {
        NONE
    };
    Comparison {
        gamma: g,
        family_tok,
        given_tok,
        middle_key,
        // The agreed names stand in the slots the other record holds them in for sure: its
        // only reading, compared straight (not crosswise).
        own_slot: !nl.swapped && b_reading == 0 && sb.alts_of(b).is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;
    use proptest::prelude::*;

    fn levels(a: Record, b: Record) -> Gamma {
        let mut s = Store::new(crate::places::resolve);
        let sa = s.prepare(&[a]);
        let sb = s.prepare(&[b]);
        compare(&s, &sa, &sa.recs[0], &sb, &sb.recs[0]).gamma
    }

    #[test]
    fn agreed_names_know_their_slot() {
        let split = |f: &str, g: &str| Record {
            name: format!("{f} {g}"),
            family_name: Some(f.into()),
            given_name: Some(g.into()),
            ..Record::default()
        };
        let cmp = |a: Record, b: Record| {
            let mut s = Store::new(crate::places::resolve);
            let sa = s.prepare(&[a]);
            let sb = s.prepare(&[b]);
            compare(&s, &sa, &sa.recs[0], &sb, &sb.recs[0])
        };
        // Straight agreement with a registry name of one reading: the given name Nguyên is
        // weighed by the given names' frequencies, not the family name Nguyễn's.
        let c = cmp(rec("NGUYEN VAN NGUYEN", ""), split("Nguyễn", "Văn Nguyên"));
        assert!(c.own_slot && c.given_tok != NONE);
        // Crosswise (family and given fields swapped in the source): either slot.
        let c = cmp(rec("HUNG, TRAN", ""), split("Trần", "Hùng"));
        assert!(!c.own_slot, "{c:?}");
    }

    fn rec(name: &str, dob: &str) -> Record {
        Record {
            name: name.into(),
            dob: Some(dob.into()),
            ..Record::default()
        }
    }

    fn lv(g: Gamma, f: usize) -> &'static str {
        LEVELS[f][usize::from(level(g, f))]
    }

    #[test]
    fn name_levels() {
        let g = levels(rec("Nguyễn Văn An", ""), rec("AN VAN NGUYEN", ""));
        assert_eq!(
            (lv(g, FAMILY), lv(g, GIVEN), lv(g, MIDDLE)),
            ("exact", "exact", "exact")
        );
        let g = levels(rec("Phạm Thị Phương", ""), rec("FAM THI FUONG", ""));
        assert_eq!((lv(g, FAMILY), lv(g, GIVEN)), ("phonetic", "phonetic"));
        let g = levels(rec("Nguyễn Thị Phượng", ""), rec("NGUYEN THI PHUONGG", ""));
        assert_eq!(lv(g, GIVEN), "fuzzy");
        let g = levels(rec("Trần Thị Minh Anh", ""), rec("TRAN ANH", ""));
        assert_eq!((lv(g, GIVEN), lv(g, MIDDLE)), ("exact", "one missing"));
        let g = levels(rec("Bùi Tuấn", ""), rec("BUI TUAN", ""));
        assert_eq!(lv(g, MIDDLE), "null");
        let g = levels(rec("Trần Thị Minh Anh", ""), rec("TRAN THI ANH", ""));
        assert_eq!(lv(g, MIDDLE), "one missing");
        let g = levels(rec("Lê Văn Hùng", ""), rec("Lê Thị Lan", ""));
        assert_eq!((lv(g, GIVEN), lv(g, MIDDLE)), ("else", "else"));
        let g = levels(rec("Lê Minh Anh", ""), rec("Lê Minhanh", ""));
        assert_eq!(lv(g, GIVEN), "partial");
        // Two typos in a given name of three letters or more; two short names are not.
        let g = levels(rec("Lê Thanh Hùng", ""), rec("LE HNU", ""));
        assert_eq!(lv(g, GIVEN), "two edits");
        let g = levels(rec("Lê Văn Cường", ""), rec("LE VAN CYON", ""));
        assert_eq!(lv(g, GIVEN), "two edits");
        let g = levels(rec("Lê Văn An", ""), rec("LE VAN HA", ""));
        assert_eq!(lv(g, GIVEN), "else");
        let g = levels(rec("Phạm Văn Hùng", ""), rec("PSM VĂN HÙNG", ""));
        assert_eq!(lv(g, FAMILY), "two edits");
        // One edit on a short token is fuzzy (Jaro–Winkler alone misses it).
        let g = levels(rec("Nguyễn Văn Phúc", ""), rec("NGUYEN VAN PGUC", ""));
        assert_eq!(lv(g, GIVEN), "fuzzy");
        let g = levels(rec("Bùi Kim Hoa", ""), rec("BIU KIM HOA", ""));
        assert_eq!(lv(g, FAMILY), "fuzzy");
        let g = levels(rec("Phan Thanh Hậu", ""), rec("PHAN THNAH HAU", ""));
        assert_eq!(lv(g, MIDDLE), "phonetic");
        let g = levels(rec("", ""), rec("Lê Minhanh", ""));
        assert_eq!(lv(g, FAMILY), "null");
    }

    #[test]
    fn dob_levels() {
        let d = |a: &str, b: &str| lv(levels(rec("A", a), rec("A", b)), DOB);
        assert_eq!(d("1990-05-12", "12/05/1990"), "exact");
        assert_eq!(d("1990-05-12", "1990-12-05"), "day/month swapped");
        assert_eq!(d("1990-05-12", "1990-05-13"), "one digit off");
        assert_eq!(d("1990-05-12", "1990"), "partial, agrees");
        assert_eq!(d("1990-05-12", "1990-05-28"), "year and month");
        assert_eq!(d("1990-05-12", "1990-08-27"), "year");
        assert_eq!(d("1990-05-12", "1991-08-27"), "year ±1");
        assert_eq!(d("1990-05-12", "1975-08-27"), "else");
        // 1 January stands in for an unknown day and month.
        assert_eq!(d("1990-05-12", "01/01/1990"), "partial, agrees");
        assert_eq!(d("01/01/1990", "1990-05-12"), "partial, agrees");
        assert_eq!(d("01/01/1990", "1991-05-12"), "year ±1");
        assert_eq!(d("1990-05-12", ""), "null");
    }

    #[test]
    fn other_field_levels() {
        let r = |sex: &str, home: &str, pp: &str| Record {
            name: "A".into(),
            sex: Some(sex.into()),
            hometown: Some(home.into()),
            passport: Some(pp.into()),
            ..Record::default()
        };
        let g = levels(
            r("M", "Hà Giang", "C1234567"),
            r("nam", "HA GIANG", "C1234567"),
        );
        assert_eq!(
            (lv(g, SEX), lv(g, HOMETOWN), lv(g, PASSPORT)),
            ("equal", "same province", "exact")
        );
        // Two pre-2025 provinces merged into one, neither giving it its name.
        let g = levels(r("M", "Hà Nam", "C1234567"), r("F", "Nam Định", "C1284567"));
        assert_eq!(
            (lv(g, SEX), lv(g, HOMETOWN), lv(g, PASSPORT)),
            ("different", "same merged province", "one edit")
        );
        // A name that is also the new province's is the same province as all of it.
        let g = levels(r("M", "NINH BINH", ""), r("M", "Nam Định", ""));
        assert_eq!(lv(g, HOMETOWN), "same province");
        let g = levels(r("M", "Hà Giang", ""), r("M", "Tuyên Quang", ""));
        assert_eq!(lv(g, HOMETOWN), "same province");
        let g = levels(r("", "Hà Nội", "C1234567"), r("F", "Cà Mau", "B7654321"));
        assert_eq!(
            (lv(g, SEX), lv(g, HOMETOWN), lv(g, PASSPORT)),
            ("null", "else", "else")
        );
    }

    proptest! {
        #[test]
        fn dob_comparison_is_symmetric(y1 in 1950u16..2010, m1 in 1u8..=12, d1 in 1u8..=28,
                                       y2 in 1950u16..2010, m2 in 1u8..=12, d2 in 1u8..=28,
                                       partial in 0..3) {
            let a = Dob { year: y1, month: m1, day: d1 };
            let b = match partial {
                0 => Dob { year: y2, month: m2, day: d2 },
                1 => Dob { year: y2, month: m2, day: 0 },
                _ => Dob { year: y2, month: 0, day: 0 },
            };
            prop_assert_eq!(dob_level(&a, &b), dob_level(&b, &a));
            prop_assert_eq!(dob_level(&a, &a), 1);
            if y1 == y2 && partial == 2 {
                prop_assert_eq!(dob_level(&a, &b), 4);
            }
        }

        #[test]
        fn one_changed_digit_is_one_digit_off(y in 1950u16..2010, m in 1u8..=12, d in 10u8..=28, nd in 10u8..=28) {
            prop_assume!(nd != d && (nd / 10 == d / 10 || nd % 10 == d % 10));
            let a = Dob { year: y, month: m, day: d };
            let b = Dob { year: y, month: m, day: nd };
            prop_assert!(matches!(dob_level(&a, &b), 2 | 3));
        }
    }
}
