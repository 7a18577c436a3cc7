//! Vietnamese personal names: which token is the family name (họ), which the given name
//! (tên), and which the middle names (đệm), whatever order a foreign list wrote them in.
//!
//! Works on folded tokens. The order is decided from a frequency list of family names; when
//! both ends (or neither) look like a family name the other reading is kept as an
//! alternative and the comparison tries both.

/// Folded family names, most frequent first (after the 2019 census shares). The first group
/// is almost never a given name; the second is also common as a given or middle name.
const STRONG_FAMILY: &[&str] = &[
    "nguyen", "tran", "le", "pham", "huynh", "phan", "vu", "vo", "dang", "bui", "do", "ngo",
    "duong", "ly", "trinh", "truong", "doan", "dinh", "luu", "ton", "quach", "trieu", "luong",
    "tang", "thai", "phung", "chu", "nghiem", "khuc", "kieu", "ong", "nong", "vuong", "thach",
    "tieu", "banh", "lai", "dau", "ho",
];
const WEAK_FAMILY: &[&str] = &[
    "hoang", "mai", "lam", "dao", "cao", "chau", "giang", "kim", "tu", "la", "ta", "mac", "quan",
    "au", "lu", "van", "tong", "bach", "hua", "kha", "tiet", "lac", "ma", "diep", "ha", "thieu",
    "vien", "dam", "khong", "khuu",
    // Rarer family names that are also given or middle names (Thân, Lò, Lục, Phí, Ninh, Hầu,
    // Vi, Đồng, Mẫn, Cù, Ung, Sầm).
    "than", "lo", "luc", "phi", "ninh", "hau", "vi", "dong", "man", "cu", "ung", "sam",
];

/// Middle names that mark Vietnamese order when they stand right after the family name
/// (`Văn` for men, `Thị` for women).
const MIDDLE_MARKERS: &[&str] = &["van", "thi"];

/// How strongly a folded token reads as a family name: 2 strong, 1 also a given name or a
/// misspelt strong one (`nguyn`, `nguiem`, `bguyen`), 0 not.
pub fn family_strength(tok: &str) -> u8 {
    if STRONG_FAMILY.contains(&tok) {
        2
    } else if WEAK_FAMILY.contains(&tok)
        || (tok.len() >= 4
            && STRONG_FAMILY[..6]
                .iter()
                .any(|f| crate::strings::within_one_edit(f.as_bytes(), tok.as_bytes())))
    {
        1
    } else {
        0
    }
}

/// The known family name a folded token stands for when it is one or misspells one by a
/// single edit (`nguyem`, `phaam`, `huyn`); two-letter tokens when exact or with their
/// letters swapped (`ov` for Võ). `None` for anything else.
pub fn canonical_family(tok: &str) -> Option<&'static str> {
    let all = || STRONG_FAMILY.iter().chain(WEAK_FAMILY.iter());
    if let Some(f) = all().find(|f| **f == tok) {
        return Some(f);
    }
    if tok.len() == 2 {
        // Two letters swapped (`ov`, `uv`, `yl`): a common typo on the short family names.
        let b = tok.as_bytes();
        return all()
            .find(|f| f.len() == 2 && f.as_bytes() == [b[1], b[0]])
            .copied();
    }
    if tok.len() < 2 {
        return None;
    }
    all()
        .find(|f| f.len() >= 3 && crate::strings::within_one_edit(f.as_bytes(), tok.as_bytes()))
        .copied()
}

/// Phonetic keys of the known family names: a token with one of these is that family name
/// as it sounds (`chan` for Trần, `fam` for Phạm) and is not re-read as a misspelling.
pub fn family_phonetics() -> &'static std::collections::HashSet<String> {
    static SET: std::sync::OnceLock<std::collections::HashSet<String>> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        let mut buf = String::new();
        STRONG_FAMILY
            .iter()
            .chain(WEAK_FAMILY.iter())
            .map(|f| {
                crate::text::phonetic_into(f, &mut buf);
                buf.clone()
            })
            .collect()
    })
}

pub fn is_middle_marker(tok: &str) -> bool {
    MIDDLE_MARKERS.contains(&tok)
}

/// A name read in Vietnamese order: positions into the token slice it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameOrder {
    pub family: Option<usize>,
    /// Middle tokens in Vietnamese order.
    pub middle: Vec<usize>,
    pub given: Option<usize>,
}

/// Read a full name given as one string (already split into folded tokens).
/// `comma_at` is the number of tokens before a comma in the raw text (`NGUYEN, Van An`):
/// what stands before the comma is the family name.
/// Returns the preferred reading and, when the order is ambiguous, the others (at most two).
pub fn parse_full(toks: &[&str], comma_at: Option<usize>) -> (NameOrder, Vec<NameOrder>) {
    let n = toks.len();
    match n {
        0 => return (NameOrder::default(), Vec::new()),
        1 => {
            return (
                NameOrder {
                    family: None,
                    middle: Vec::new(),
                    given: Some(0),
                },
                Vec::new(),
            );
        }
        _ => {}
    }
    if let Some(k) = comma_at.filter(|&k| k >= 1 && k < n) {
        // "FAMILY [MIDDLE…], GIVEN NAMES" – family first, the rest in Vietnamese order.
        let mut order = NameOrder {
            family: Some(0),
            middle: (1..k).collect(),
            given: None,
        };
        let rest: Vec<usize> = (k..n).collect();
        split_rest(toks, &rest, &mut order);
        return (order, Vec::new());
    }
    let front = family_strength(toks[0]);
    let back = family_strength(toks[n - 1]);
    let front_first = front_order(n);
    let back_first = back_order(toks);
    // Foreign lists write either order and misspell family names, so the other readings are
    // kept unless the order is plain (a sure family name first, nothing like one last); the
    // comparison takes whichever reading agrees better. A family-last name ending in a middle
    // marker and the given name (`Thanh Van Nguyen`) is read reversed (Nguyễn Văn Thanh) and
    // also as written (Nguyễn Thanh Vân).
    let straight = back_straight(toks);
    if back > front {
        let mut alts = vec![front_first];
        alts.extend(straight);
        (back_first, alts)
    } else if front == 2 && back == 0 {
        (front_first, Vec::new())
    } else {
        let mut alts = vec![back_first];
        alts.extend(straight);
        (front_first, alts)
    }
}

/// Read a name whose source split family and given names. Handles the usual slips: the two
/// fields swapped, middle names put with the family name (`NGUYEN THI` / `MAI`), and given
/// names written middle-last (`AN VAN`). `ascii`: the given names were typed without
/// diacritics; with them the source wrote Vietnamese order and `Kim Vân` is not `Văn Kim`.
pub fn parse_split<'a>(fam: &[&'a str], giv: &[&'a str], ascii: bool) -> (Vec<&'a str>, NameOrder) {
    let swapped = !fam.is_empty()
        && !giv.is_empty()
        && fam.iter().all(|t| family_strength(t) == 0)
        && family_strength(giv[0]) == 2
        && giv.len() == 1;
    let (fam, giv) = if swapped { (giv, fam) } else { (fam, giv) };
    let mut toks: Vec<&'a str> = Vec::with_capacity(fam.len() + giv.len());
    toks.extend_from_slice(fam);
    let giv_start = toks.len();
    // Given names written with the middle name last ("AN VAN") back to Vietnamese order.
    if ascii && giv.len() >= 2 && is_middle_marker(giv[giv.len() - 1]) && !is_middle_marker(giv[0])
    {
        toks.extend(giv.iter().rev());
    } else {
        toks.extend_from_slice(giv);
    }
    let n = toks.len();
    let order = if fam.is_empty() {
        NameOrder {
            family: None,
            middle: (0..n.saturating_sub(1)).collect(),
            given: n.checked_sub(1),
        }
    } else if giv.is_empty() {
        NameOrder {
            family: Some(0),
            middle: (1..n).collect(),
            given: None,
        }
    } else {
        NameOrder {
            family: Some(0),
            middle: (1..giv_start).chain(giv_start..n - 1).collect(),
            given: Some(n - 1),
        }
    };
    (toks, order)
}

/// Family name first: `Nguyễn Văn An`.
fn front_order(n: usize) -> NameOrder {
    NameOrder {
        family: Some(0),
        middle: (1..n - 1).collect(),
        given: Some(n - 1),
    }
}

/// Family name last: `Văn An Nguyễn` (given names kept in Vietnamese order, the usual way a
/// passport's "given names" field is copied) or `An Văn Nguyễn` (fully reversed, recognised
/// by a middle marker at the end).
fn back_order(toks: &[&str]) -> NameOrder {
    let n = toks.len();
    let mut order = NameOrder {
        family: Some(n - 1),
        middle: Vec::new(),
        given: None,
    };
    let rest: Vec<usize> = (0..n - 1).collect();
    split_rest(toks, &rest, &mut order);
    order
}

/// The family-last reading that keeps the given names in the order written (given name
/// last), when [`back_order`] read them reversed because of a middle marker at the end.
fn back_straight(toks: &[&str]) -> Option<NameOrder> {
    let n = toks.len();
    if n < 3 || !is_middle_marker(toks[n - 2]) || is_middle_marker(toks[0]) {
        return None;
    }
    Some(NameOrder {
        family: Some(n - 1),
        middle: (0..n - 2).collect(),
        given: Some(n - 2),
    })
}

/// Split the non-family tokens into middle and given names.
fn split_rest(toks: &[&str], rest: &[usize], order: &mut NameOrder) {
    match rest {
        [] => {}
        [only] => order.given = Some(*only),
        [first, .., last] => {
            if is_middle_marker(toks[*last]) && !is_middle_marker(toks[*first]) {
                order.given = Some(*first);
                order.middle = rest[1..].iter().rev().copied().collect();
            } else {
                order.given = Some(*last);
                order.middle.extend_from_slice(&rest[..rest.len() - 1]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> (String, String, String) {
        let folded = baoho_domain::text::fold(s);
        let toks: Vec<&str> = folded.split(' ').filter(|t| !t.is_empty()).collect();
        let comma = s
            .find(',')
            .map(|i| baoho_domain::text::fold_tokens(&s[..i]).len());
        let (o, _) = parse_full(&toks, comma);
        let f = o.family.map(|i| toks[i].to_owned()).unwrap_or_default();
        let m = o
            .middle
            .iter()
            .map(|&i| toks[i])
            .collect::<Vec<_>>()
            .join(" ");
        let g = o.given.map(|i| toks[i].to_owned()).unwrap_or_default();
        (f, m, g)
    }

    fn t(f: &str, m: &str, g: &str) -> (String, String, String) {
        (f.into(), m.into(), g.into())
    }

    #[test]
    fn reads_vietnamese_and_foreign_orders() {
        assert_eq!(read("Nguyễn Văn An"), t("nguyen", "van", "an"));
        assert_eq!(read("VAN AN NGUYEN"), t("nguyen", "van", "an"));
        assert_eq!(read("An Van Nguyen"), t("nguyen", "van", "an"));
        assert_eq!(read("NGUYEN, Van An"), t("nguyen", "van", "an"));
        assert_eq!(read("Trần Thị Minh Anh"), t("tran", "thi minh", "anh"));
        assert_eq!(read("Minh Anh Tran"), t("tran", "minh", "anh"));
        assert_eq!(read("Phúc"), t("", "", "phuc"));
    }

    #[test]
    fn ambiguous_order_keeps_the_other_reading() {
        let family = |a: &[NameOrder]| a.iter().map(|o| o.family).collect::<Vec<_>>();
        let toks = ["hoang", "van", "mai"];
        let (first, alts) = parse_full(&toks, None);
        assert_eq!(first.family, Some(0));
        // Family last, the given names read reversed (Mai Văn Hoàng) and as written (Mai Hoàng Văn).
        assert_eq!(family(&alts), vec![Some(2), Some(2)]);
        let toks = ["van", "doan", "nguyn"];
        assert_eq!(family(&parse_full(&toks, None).1), vec![Some(2)]);
        let toks = ["le", "van", "hung"];
        assert!(parse_full(&toks, None).1.is_empty());
        // A middle marker before a family name at the end: read reversed (Nguyễn Văn Thanh),
        // with the front reading (a misspelt family name first) and the order as written
        // (Nguyễn Thanh Vân) kept as the other readings.
        let toks = ["thanh", "van", "nguyen"];
        let (first, alts) = parse_full(&toks, None);
        assert_eq!((first.family, first.given), (Some(2), Some(0)));
        assert_eq!(alts.len(), 2);
        assert_eq!(alts[0].family, Some(0));
        assert_eq!(
            (alts[1].family, alts[1].middle.clone(), alts[1].given),
            (Some(2), vec![0], Some(1))
        );
        // A rarer family name in front keeps the family-last reading too.
        let toks = ["dinh", "hoai", "ninh"];
        assert_eq!(family(&parse_full(&toks, None).1), vec![Some(2)]);
    }

    #[test]
    fn misspelt_family_names_find_their_canonical_form() {
        assert_eq!(canonical_family("nguyen"), Some("nguyen"));
        assert_eq!(canonical_family("nguyem"), Some("nguyen"));
        assert_eq!(canonical_family("bguyen"), Some("nguyen"));
        assert_eq!(canonical_family("phaam"), Some("pham"));
        assert_eq!(canonical_family("huyn"), Some("huynh"));
        assert_eq!(canonical_family("le"), Some("le"));
        assert_eq!(canonical_family("lx"), None);
        assert_eq!(canonical_family("ov"), Some("vo"));
        assert_eq!(canonical_family("yl"), Some("ly"));
        assert_eq!(canonical_family("smith"), None);
    }

    #[test]
    fn split_fields_fix_the_usual_slips() {
        let (toks, o) = parse_split(&["an"], &["nguyen"], true);
        assert_eq!(toks[o.family.unwrap_or(9)], "nguyen");
        let (toks, o) = parse_split(&["nguyen", "thi"], &["mai"], true);
        assert_eq!(
            (o.family, o.middle.clone(), o.given),
            (Some(0), vec![1], Some(2))
        );
        assert_eq!(toks[2], "mai");
        let (toks, o) = parse_split(&["nguyen"], &["an", "van"], true);
        assert_eq!(toks[o.given.unwrap_or(9)], "an");
        // With diacritics the order is Vietnamese: `Kim Vân` keeps Vân as the given name.
        let (toks, o) = parse_split(&["nguyen"], &["kim", "van"], false);
        assert_eq!(toks[o.given.unwrap_or(9)], "van");
        let (_, o) = parse_split(&["smith"], &["john"], true);
        assert_eq!((o.family, o.given), (Some(0), Some(1)));
    }
}
