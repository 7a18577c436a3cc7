//! Provinces of Vietnam: 34 from 1 July 2025 (Resolution 202/2025/QH15), 63 before, and the
//! mapping old → new.
//!
//! Codes are the official two-digit GSO codes as strings. **The two code spaces overlap with
//! different meanings** (new `15` is Lào Cai, old `15` was Yên Bái; new `24` Bắc Ninh, old `24`
//! Bắc Giang; also 44, 52, 80, 82, 91): never mix an old code with a new one.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::{RefdataError, embedded, parse_csv, split_list};
use crate::text::fold;

const NEW_FILE: &str = "provinces.csv";
const OLD_FILE: &str = "old_provinces.csv";
const NEW_CSV: &str = include_str!("../../refdata/provinces.csv");
const OLD_CSV: &str = include_str!("../../refdata/old_provinces.csv");

/// Province (tỉnh) or centrally-run city (thành phố trực thuộc trung ương).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvinceKind {
    /// Tỉnh.
    Province,
    /// Thành phố trực thuộc trung ương.
    City,
}

/// A province-level unit from 1 July 2025 (34).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Province {
    /// Official two-digit code, e.g. `"79"`.
    pub code: String,
    /// Full Vietnamese name, e.g. `"Thành phố Hồ Chí Minh"`.
    pub name_vi: String,
    /// Short Vietnamese name, e.g. `"Hồ Chí Minh"`.
    pub short_vi: String,
    /// English name, e.g. `"Ho Chi Minh City"`.
    pub name_en: String,
    /// Province or centrally-run city.
    pub kind: ProvinceKind,
    /// Approximate centre (WGS 84).
    pub lat: f64,
    /// Approximate centre (WGS 84).
    pub lon: f64,
    /// Other names users type ("TP HCM", "Sài Gòn").
    pub aliases: Vec<String>,
}

/// A province-level unit before 1 July 2025 (63).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OldProvince {
    /// Official two-digit code in the pre-2025 list, e.g. `"49"` (Quảng Nam).
    pub code: String,
    /// Full Vietnamese name, e.g. `"Tỉnh Quảng Nam"`.
    pub name_vi: String,
    /// Short Vietnamese name, e.g. `"Quảng Nam"`.
    pub short_vi: String,
    /// English name.
    pub name_en: String,
    /// Province or centrally-run city.
    pub kind: ProvinceKind,
    /// Code of the new province it merged into (in the new code space).
    pub new_code: String,
    /// Approximate centre (WGS 84).
    pub lat: f64,
    /// Approximate centre (WGS 84).
    pub lon: f64,
    /// Other names, including earlier ones ("Thừa Thiên Huế", "Hà Tây").
    pub aliases: Vec<String>,
    /// Free-text remark.
    pub note: String,
}

/// What [`find_province`] recognised.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProvinceMatch {
    /// The province (from 1 July 2025) the name is, or merged into.
    pub province: &'static Province,
    /// The pre-2025 province the name denotes. Every new province kept the name of one old
    /// province, so "Đà Nẵng" gives `Some(old Đà Nẵng)` with `names_new == true`.
    pub old: Option<&'static OldProvince>,
    /// The name is also a name of the new province, so the user may mean the new (larger) unit:
    /// "Đà Nẵng" → true, "Quảng Nam" → false.
    pub names_new: bool,
}

#[derive(Deserialize)]
struct NewRow {
    code: String,
    name_vi: String,
    short_vi: String,
    name_en: String,
    kind: ProvinceKind,
    lat: f64,
    lon: f64,
    aliases: String,
}

#[derive(Deserialize)]
struct OldRow {
    code: String,
    name_vi: String,
    short_vi: String,
    name_en: String,
    kind: ProvinceKind,
    new_code: String,
    lat: f64,
    lon: f64,
    aliases: String,
    note: String,
}

pub(super) fn parse_new(src: &str) -> Result<Vec<Province>, RefdataError> {
    let rows: Vec<NewRow> = parse_csv(NEW_FILE, src)?;
    Ok(rows
        .into_iter()
        .map(|r| Province {
            code: r.code,
            name_vi: r.name_vi,
            short_vi: r.short_vi,
            name_en: r.name_en,
            kind: r.kind,
            lat: r.lat,
            lon: r.lon,
            aliases: split_list(&r.aliases),
        })
        .collect())
}

pub(super) fn parse_old(src: &str) -> Result<Vec<OldProvince>, RefdataError> {
    let rows: Vec<OldRow> = parse_csv(OLD_FILE, src)?;
    Ok(rows
        .into_iter()
        .map(|r| OldProvince {
            code: r.code,
            name_vi: r.name_vi,
            short_vi: r.short_vi,
            name_en: r.name_en,
            kind: r.kind,
            new_code: r.new_code,
            lat: r.lat,
            lon: r.lon,
            aliases: split_list(&r.aliases),
            note: r.note,
        })
        .collect())
}

static NEW: LazyLock<Vec<Province>> = LazyLock::new(|| embedded(parse_new(NEW_CSV)));
static OLD: LazyLock<Vec<OldProvince>> = LazyLock::new(|| embedded(parse_old(OLD_CSV)));

/// Index entry: position in NEW, position in OLD, name is a new province's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    new: usize,
    old: Option<usize>,
    names_new: bool,
}

static INDEX: LazyLock<HashMap<String, Entry>> =
    LazyLock::new(|| embedded(build_index(&NEW, &OLD)));

/// Lookup key: folded, without spaces, so "Ha Noi", "Hanoi" and "HÀ NỘI" agree.
fn key(name: &str) -> String {
    let mut k = fold(name);
    k.retain(|c| c != ' ');
    k
}

/// Prefixes and suffixes of a key that do not change which province is meant. None of the
/// province names starts or ends with one of these, which the tests check.
const PREFIXES: &[&str] = &["thanhphotructhuoctrunguong", "thanhpho", "tinh", "tp"];
const SUFFIXES: &[&str] = &["province", "city", "municipality"];

fn strip_affixes(mut k: &str) -> &str {
    loop {
        let before = k.len();
        for p in PREFIXES {
            if let Some(rest) = k.strip_prefix(p)
                && !rest.is_empty()
            {
                k = rest;
            }
        }
        for s in SUFFIXES {
            if let Some(rest) = k.strip_suffix(s)
                && !rest.is_empty()
            {
                k = rest;
            }
        }
        if k.len() == before {
            return k;
        }
    }
}

fn build_index(
    new: &[Province],
    old: &[OldProvince],
) -> Result<HashMap<String, Entry>, RefdataError> {
    let mut map: HashMap<String, Entry> = HashMap::new();
    let mut add = |name: &str, e: Entry| -> Result<(), RefdataError> {
        let k = key(name);
        if k.is_empty() {
            return Err(RefdataError::new(
                OLD_FILE,
                format!("empty name key for {name:?}"),
            ));
        }
        for k in [strip_affixes(&k).to_owned(), k] {
            match map.get_mut(&k) {
                None => {
                    map.insert(k, e);
                }
                Some(prev) if prev.new == e.new && prev.old == e.old => {
                    prev.names_new |= e.names_new;
                }
                Some(_) => {
                    return Err(RefdataError::new(
                        OLD_FILE,
                        format!("name {name:?} (key {k:?}) denotes two different provinces"),
                    ));
                }
            }
        }
        Ok(())
    };
    for (oi, o) in old.iter().enumerate() {
        let ni = new
            .iter()
            .position(|p| p.code == o.new_code)
            .ok_or_else(|| {
                RefdataError::new(
                    OLD_FILE,
                    format!("{}: unknown new_code {}", o.code, o.new_code),
                )
            })?;
        let e = Entry {
            new: ni,
            old: Some(oi),
            names_new: false,
        };
        for n in [&o.name_vi, &o.short_vi, &o.name_en]
            .into_iter()
            .chain(&o.aliases)
        {
            add(n, e)?;
        }
    }
    for (ni, p) in new.iter().enumerate() {
        // The old province that gave the new one its name.
        let oi = old
            .iter()
            .position(|o| key(&o.short_vi) == key(&p.short_vi) && o.new_code == p.code);
        let e = Entry {
            new: ni,
            old: oi,
            names_new: true,
        };
        for n in [&p.name_vi, &p.short_vi, &p.name_en]
            .into_iter()
            .chain(&p.aliases)
        {
            add(n, e)?;
        }
    }
    Ok(map)
}

/// The 34 provinces and centrally-run cities from 1 July 2025, by code.
pub fn provinces() -> &'static [Province] {
    &NEW
}

/// The 63 provinces and centrally-run cities before 1 July 2025, by code.
pub fn old_provinces() -> &'static [OldProvince] {
    &OLD
}

/// A province from 1 July 2025 by its code (`"79"`).
pub fn province(code: &str) -> Option<&'static Province> {
    NEW.iter().find(|p| p.code == code)
}

/// A pre-2025 province by its (old) code (`"49"` Quảng Nam).
pub fn old_province(code: &str) -> Option<&'static OldProvince> {
    OLD.iter().find(|p| p.code == code)
}

/// The province (from 1 July 2025) an old province merged into, by the old code.
/// `None` only for a code that is not one of the 63.
pub fn merged_into(old_code: &str) -> Option<&'static Province> {
    old_province(old_code).and_then(|o| province(&o.new_code))
}

/// Recognise a province name, old or new, with or without diacritics, case, or prefixes
/// ("Tỉnh", "Thành phố", "TP.", "… Province", "… City"), and common aliases ("TP HCM", "Sài Gòn",
/// "HCMC", "Thừa Thiên Huế", "Hà Tây").
///
/// ```
/// use baoho_domain::refdata::find_province;
/// let m = find_province("Quảng Nam").unwrap();
/// assert_eq!(m.province.short_vi, "Đà Nẵng");
/// assert_eq!(m.old.unwrap().short_vi, "Quảng Nam");
/// ```
pub fn find_province(name: &str) -> Option<ProvinceMatch> {
    let k = key(name);
    let e = match INDEX.get(k.as_str()) {
        Some(e) => *e,
        None => *INDEX.get(strip_affixes(&k))?,
    };
    Some(ProvinceMatch {
        province: NEW.get(e.new)?,
        old: e.old.and_then(|i| OLD.get(i)),
        names_new: e.names_new,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::text::is_nfc;
    use std::collections::HashSet;

    #[test]
    fn embedded_files_parse_with_counts() {
        let new = parse_new(NEW_CSV).unwrap();
        let old = parse_old(OLD_CSV).unwrap();
        assert_eq!(new.len(), 34);
        assert_eq!(old.len(), 63);
        build_index(&new, &old).unwrap();
        assert_eq!(provinces().len(), 34);
        assert_eq!(old_provinces().len(), 63);
        assert_eq!(
            new.iter().filter(|p| p.kind == ProvinceKind::City).count(),
            6
        );
    }

    #[test]
    fn codes_unique_and_every_old_maps_to_a_new() {
        let codes: HashSet<_> = provinces().iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes.len(), 34);
        let old: HashSet<_> = old_provinces().iter().map(|p| p.code.as_str()).collect();
        assert_eq!(old.len(), 63);
        for o in old_provinces() {
            assert!(
                codes.contains(o.new_code.as_str()),
                "{} → {}",
                o.code,
                o.new_code
            );
            assert_eq!(merged_into(&o.code).unwrap().code, o.new_code);
        }
        // Every new province received at least one old one, and kept one old one's name.
        for p in provinces() {
            assert!(
                old_provinces()
                    .iter()
                    .any(|o| o.new_code == p.code && o.short_vi == p.short_vi)
            );
        }
        assert_eq!(merged_into("99"), None);
    }

    #[test]
    fn strings_are_nfc_and_trimmed() {
        for p in provinces() {
            for s in [&p.code, &p.name_vi, &p.short_vi, &p.name_en]
                .into_iter()
                .chain(&p.aliases)
            {
                assert!(is_nfc(s) && s.trim() == s && !s.is_empty(), "{s:?}");
            }
        }
        for p in old_provinces() {
            for s in [&p.code, &p.name_vi, &p.short_vi, &p.name_en, &p.new_code]
                .into_iter()
                .chain(&p.aliases)
                .chain([&p.note])
            {
                assert!(is_nfc(s) && s.trim() == s, "{s:?}");
            }
        }
    }

    #[test]
    fn affixes_never_eat_a_name() {
        for n in provinces()
            .iter()
            .map(|p| &p.short_vi)
            .chain(old_provinces().iter().map(|p| &p.short_vi))
        {
            let k = key(n);
            assert_eq!(strip_affixes(&k), k, "{n}");
        }
    }

    fn new_of(name: &str) -> &'static str {
        find_province(name).map_or("-", |m| m.province.short_vi.as_str())
    }

    #[test]
    fn finds_new_names_in_many_spellings() {
        for n in [
            "ho chi minh",
            "Hồ Chí Minh",
            "TP HCM",
            "TP. HCM",
            "TPHCM",
            "tp.hcm",
            "HCMC",
            "Ho Chi Minh City",
            "Sài Gòn",
            "saigon",
            "Thành phố Hồ Chí Minh",
            "THANH PHO HO CHI MINH",
        ] {
            assert_eq!(new_of(n), "Hồ Chí Minh", "{n}");
        }
        for n in [
            "Hà Nội",
            "ha noi",
            "Hanoi",
            "HN",
            "TP Hà Nội",
            "Thành phố Hà Nội",
            "Hanoi City",
        ] {
            assert_eq!(new_of(n), "Hà Nội", "{n}");
        }
        assert_eq!(new_of("Tỉnh Cao Bằng"), "Cao Bằng");
        assert_eq!(new_of("cao bang province"), "Cao Bằng");
        assert_eq!(new_of("Thanh Hoá"), "Thanh Hóa");
        assert_eq!(new_of("Da Nang"), "Đà Nẵng");
        assert_eq!(new_of("Danang"), "Đà Nẵng");
        assert_eq!(new_of("Huế"), "Huế");
    }

    #[test]
    fn finds_old_names_and_their_new_province() {
        let m = find_province("Quảng Nam").unwrap();
        assert_eq!(m.province.short_vi, "Đà Nẵng");
        assert_eq!(m.old.unwrap().code, "49");
        assert!(!m.names_new);

        let m = find_province("Đà Nẵng").unwrap();
        assert_eq!(m.old.unwrap().code, "48");
        assert!(m.names_new);

        for (old, new) in [
            ("Thua Thien Hue", "Huế"),
            ("Tỉnh Thừa Thiên Huế", "Huế"),
            ("Hà Tây", "Hà Nội"),
            ("Bình Dương", "Hồ Chí Minh"),
            ("Bà Rịa - Vũng Tàu", "Hồ Chí Minh"),
            ("Vũng Tàu", "Hồ Chí Minh"),
            ("Yên Bái", "Lào Cai"),
            ("Bắc Giang", "Bắc Ninh"),
            ("Quảng Bình", "Quảng Trị"),
            ("Bình Định", "Gia Lai"),
            ("Long An", "Tây Ninh"),
            ("Tiền Giang", "Đồng Tháp"),
            ("Kiên Giang", "An Giang"),
            ("Dak Nong", "Lâm Đồng"),
            ("Bắc Cạn", "Thái Nguyên"),
            ("Kontum", "Quảng Ngãi"),
            ("tinh hau giang", "Cần Thơ"),
        ] {
            assert_eq!(new_of(old), new, "{old}");
            assert!(find_province(old).unwrap().old.is_some(), "{old}");
        }
        // Hà Tây is reported as (old) Hà Nội.
        assert_eq!(find_province("Hà Tây").unwrap().old.unwrap().code, "01");
    }

    #[test]
    fn unknown_names_are_none() {
        for n in ["", "   ", "Paris", "Tỉnh", "Thành phố", "TP", "Hà", "Quảng"] {
            assert!(find_province(n).is_none(), "{n:?}");
        }
    }
}
