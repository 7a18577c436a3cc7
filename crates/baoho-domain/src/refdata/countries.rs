//! Countries and territories: ISO 3166-1 (Debian iso-codes) with Vietnamese names.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::{RefdataError, embedded, parse_csv};
use crate::text::fold;

const FILE: &str = "countries.csv";
const CSV: &str = include_str!("../../refdata/countries.csv");

/// A country or territory in ISO 3166-1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Country {
    /// ISO 3166-1 alpha-2, upper case (`"VN"`).
    pub alpha2: String,
    /// ISO 3166-1 alpha-3, upper case (`"VNM"`).
    pub alpha3: String,
    /// ISO 3166-1 numeric, three digits (`"704"`).
    pub numeric: String,
    /// Common English name (`"Vietnam"`, `"South Korea"`).
    pub name_en: String,
    /// Official English name (`"Socialist Republic of Viet Nam"`).
    pub official_name_en: String,
    /// Vietnamese name as used by the Ministry of Foreign Affairs (`"Hàn Quốc"`).
    pub name_vi: String,
}

pub(super) fn parse(src: &str) -> Result<Vec<Country>, RefdataError> {
    let rows: Vec<Country> = parse_csv(FILE, src)?;
    for c in &rows {
        let ok = c.alpha2.len() == 2
            && c.alpha3.len() == 3
            && c.numeric.len() == 3
            && c.alpha2
                .bytes()
                .chain(c.alpha3.bytes())
                .all(|b| b.is_ascii_uppercase())
            && c.numeric.bytes().all(|b| b.is_ascii_digit())
            && !c.name_en.is_empty()
            && !c.name_vi.is_empty();
        if !ok {
            return Err(RefdataError::new(FILE, format!("bad row {c:?}")));
        }
    }
    Ok(rows)
}

static COUNTRIES: LazyLock<Vec<Country>> = LazyLock::new(|| embedded(parse(CSV)));

static BY_NAME: LazyLock<HashMap<String, usize>> =
    LazyLock::new(|| embedded(build_index(&COUNTRIES)));

fn build_index(all: &[Country]) -> Result<HashMap<String, usize>, RefdataError> {
    let mut map: HashMap<String, usize> = HashMap::new();
    for (i, c) in all.iter().enumerate() {
        for n in [&c.name_en, &c.official_name_en, &c.name_vi] {
            let k = fold(n);
            if let Some(&j) = map.get(&k)
                && j != i
            {
                return Err(RefdataError::new(
                    FILE,
                    format!("name {n:?} denotes {} and {}", all[j].alpha2, c.alpha2),
                ));
            }
            map.insert(k, i);
        }
    }
    Ok(map)
}

/// All ISO 3166-1 entries (249), by alpha-2.
pub fn countries() -> &'static [Country] {
    &COUNTRIES
}

/// A country by ISO alpha-2 code, any case (`"vn"`, `"VN"`).
pub fn country(alpha2: &str) -> Option<&'static Country> {
    COUNTRIES
        .iter()
        .find(|c| c.alpha2.eq_ignore_ascii_case(alpha2))
}

/// A country by alpha-2, alpha-3 or numeric code, or by its English (common or official) or
/// Vietnamese name, ignoring case and diacritics (`"han quoc"`, `"KOR"`, `"South Korea"`).
pub fn find_country(s: &str) -> Option<&'static Country> {
    let t = s.trim();
    let by_code = match t.len() {
        2 => country(t),
        3 if t.bytes().all(|b| b.is_ascii_digit()) => COUNTRIES.iter().find(|c| c.numeric == t),
        3 => COUNTRIES.iter().find(|c| c.alpha3.eq_ignore_ascii_case(t)),
        _ => None,
    };
    by_code.or_else(|| {
        BY_NAME
            .get(fold(t).as_str())
            .and_then(|&i| COUNTRIES.get(i))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::text::is_nfc;
    use std::collections::HashSet;

    #[test]
    fn embedded_file_parses_with_unique_codes() {
        let all = parse(CSV).unwrap();
        assert_eq!(all.len(), 249);
        build_index(&all).unwrap();
        let key: [fn(&Country) -> &str; 3] = [|c| &c.alpha2, |c| &c.alpha3, |c| &c.numeric];
        for f in key {
            let set: HashSet<&str> = all.iter().map(f).collect();
            assert_eq!(set.len(), all.len());
        }
        for c in &all {
            for s in [&c.name_en, &c.official_name_en, &c.name_vi] {
                assert!(is_nfc(s) && s.trim() == s, "{s:?}");
            }
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(country("VN").unwrap().name_vi, "Việt Nam");
        assert_eq!(country("kr").unwrap().name_vi, "Hàn Quốc");
        assert_eq!(country("JP").unwrap().alpha3, "JPN");
        assert!(country("XX").is_none());
        assert_eq!(find_country("han quoc").unwrap().alpha2, "KR");
        assert_eq!(find_country("KOR").unwrap().alpha2, "KR");
        assert_eq!(find_country("704").unwrap().alpha2, "VN");
        assert_eq!(find_country("Nhật Bản").unwrap().alpha2, "JP");
        assert_eq!(find_country("united states").unwrap().alpha2, "US");
        assert_eq!(find_country("Campuchia").unwrap().alpha2, "KH");
        assert!(find_country("Atlantis").is_none());
    }
}
