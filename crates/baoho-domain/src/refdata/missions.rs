//! Vietnam's representative missions abroad and the countries each is responsible for.
//!
//! Public facts to be verified by an administrator (see `refdata/README.md`); the CSV is the
//! seed that the store loads and an administrator edits later.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::{RefdataError, embedded, parse_csv, split_list};

const FILE: &str = "missions.csv";
const CSV: &str = include_str!("../../refdata/missions.csv");

/// What kind of representation a mission is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissionKind {
    /// Đại sứ quán.
    Embassy,
    /// An office that is not a diplomatic mission but performs consular functions
    /// (Văn phòng Kinh tế và Văn hóa Việt Nam tại Đài Bắc).
    RepresentativeOffice,
    /// Tổng Lãnh sự quán.
    ConsulateGeneral,
    /// Lãnh sự quán.
    Consulate,
    /// Phái đoàn đại diện thường trực (UN, ASEAN, UNESCO): no consular district.
    PermanentMission,
}

/// A mission of Vietnam abroad.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mission {
    /// Stable short id, e.g. `EMB-JP-TOKYO`, `CG-JP-OSAKA`, `PM-UN-NEWYORK`.
    pub code: String,
    /// Embassy, consulate general, ...
    pub kind: MissionKind,
    /// Vietnamese name ("Đại sứ quán Việt Nam tại Nhật Bản").
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// City where it sits.
    pub city: String,
    /// ISO alpha-2 of the country where it sits.
    pub country: String,
    /// ISO alpha-2 codes of the countries it is responsible for: the host country first, then
    /// concurrent accreditations. Empty for permanent missions.
    pub jurisdiction: Vec<String>,
    /// For a consulate inside a country: the part of the country it covers (free text).
    pub area: String,
    /// Free-text remark (what to verify, other roles).
    pub note: String,
}

#[derive(Deserialize)]
struct Row {
    code: String,
    kind: MissionKind,
    name_vi: String,
    name_en: String,
    city: String,
    country: String,
    jurisdiction: String,
    area: String,
    note: String,
}

pub(super) fn parse(src: &str) -> Result<Vec<Mission>, RefdataError> {
    let rows: Vec<Row> = parse_csv(FILE, src)?;
    Ok(rows
        .into_iter()
        .map(|r| Mission {
            code: r.code,
            kind: r.kind,
            name_vi: r.name_vi,
            name_en: r.name_en,
            city: r.city,
            country: r.country,
            jurisdiction: split_list(&r.jurisdiction),
            area: r.area,
            note: r.note,
        })
        .collect())
}

static MISSIONS: LazyLock<Vec<Mission>> = LazyLock::new(|| embedded(parse(CSV)));

/// alpha-2 → indices of the missions responsible for it, embassy first.
static BY_COUNTRY: LazyLock<HashMap<String, Vec<usize>>> = LazyLock::new(|| {
    let mut map: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, m) in MISSIONS.iter().enumerate() {
        for c in &m.jurisdiction {
            map.entry(c.clone()).or_default().push(i);
        }
    }
    for v in map.values_mut() {
        // Embassy, then representative office, then consulates; within a kind, missions that
        // sit in the country before those accredited from elsewhere; then by code.
        v.sort_by_key(|&i| {
            let m = &MISSIONS[i];
            (
                m.kind,
                m.jurisdiction.first() != Some(&m.country),
                m.code.clone(),
            )
        });
    }
    map
});

/// All missions, by code.
pub fn missions() -> &'static [Mission] {
    &MISSIONS
}

/// A mission by its code (`"EMB-JP-TOKYO"`).
pub fn mission(code: &str) -> Option<&'static Mission> {
    MISSIONS.iter().find(|m| m.code == code)
}

/// The missions responsible for a country (alpha-2, any case): embassy (or representative
/// office) first, then consulates general with their areas. Empty when no mission is recorded
/// for that country (see `refdata/README.md` for the known gaps).
pub fn missions_for_country(alpha2: &str) -> Vec<&'static Mission> {
    let key = alpha2.to_ascii_uppercase();
    BY_COUNTRY
        .get(&key)
        .map(|v| v.iter().filter_map(|&i| MISSIONS.get(i)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::refdata::country;
    use crate::text::is_nfc;
    use std::collections::HashSet;

    #[test]
    fn embedded_file_parses_and_holds_invariants() {
        let all = parse(CSV).unwrap();
        assert!(all.len() >= 90, "{}", all.len());
        let codes: HashSet<_> = all.iter().map(|m| m.code.as_str()).collect();
        assert_eq!(codes.len(), all.len(), "duplicate mission code");
        let mut embassy_for = HashSet::new();
        for m in &all {
            assert!(
                country(&m.country).is_some(),
                "{}: country {}",
                m.code,
                m.country
            );
            for c in &m.jurisdiction {
                assert!(country(c).is_some(), "{}: jurisdiction {c}", m.code);
                assert_ne!(c, "VN", "{}", m.code);
            }
            let prefix = match m.kind {
                MissionKind::Embassy => "EMB-",
                MissionKind::RepresentativeOffice => "REP-",
                MissionKind::ConsulateGeneral => "CG-",
                MissionKind::Consulate => "CON-",
                MissionKind::PermanentMission => "PM-",
            };
            assert!(m.code.starts_with(prefix), "{}", m.code);
            if m.kind == MissionKind::PermanentMission {
                assert!(m.jurisdiction.is_empty(), "{}", m.code);
            } else {
                assert_eq!(m.jurisdiction.first(), Some(&m.country), "{}", m.code);
                assert!(
                    m.code.starts_with(&format!("{prefix}{}-", m.country)),
                    "{}",
                    m.code
                );
            }
            if matches!(
                m.kind,
                MissionKind::Embassy | MissionKind::RepresentativeOffice
            ) {
                for c in &m.jurisdiction {
                    assert!(embassy_for.insert(c.clone()), "two embassies for {c}");
                }
            }
            for s in [
                &m.code, &m.name_vi, &m.name_en, &m.city, &m.country, &m.area, &m.note,
            ] {
                assert!(is_nfc(s) && s.trim() == s, "{s:?}");
            }
            assert!(!m.name_vi.is_empty() && !m.name_en.is_empty() && !m.city.is_empty());
        }
        // Every country with a consulate general also has an embassy or office responsible.
        for m in all
            .iter()
            .filter(|m| m.kind == MissionKind::ConsulateGeneral)
        {
            for c in &m.jurisdiction {
                assert!(
                    embassy_for.contains(c) || c == "HK" || c == "MO",
                    "{}: {c}",
                    m.code
                );
            }
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(
            mission("EMB-JP-TOKYO").unwrap().name_vi,
            "Đại sứ quán Việt Nam tại Nhật Bản"
        );
        assert_eq!(
            mission("CG-JP-OSAKA").unwrap().kind,
            MissionKind::ConsulateGeneral
        );
        assert!(mission("EMB-XX-NOWHERE").is_none());
        let jp: Vec<_> = missions_for_country("jp")
            .iter()
            .map(|m| m.code.as_str())
            .collect();
        assert_eq!(jp, ["EMB-JP-TOKYO", "CG-JP-FUKUOKA", "CG-JP-OSAKA"]);
        assert_eq!(missions_for_country("TW")[0].code, "REP-TW-TAIPEI");
        assert_eq!(missions_for_country("MO")[0].code, "CG-HK-HONGKONG");
        assert_eq!(missions_for_country("LU")[0].code, "EMB-BE-BRUSSELS");
        assert_eq!(missions_for_country("US")[0].code, "EMB-US-WASHINGTONDC");
        assert!(missions_for_country("VN").is_empty());
        for cc in [
            "CN", "KR", "LA", "KH", "TH", "MY", "SG", "RU", "DE", "GB", "FR", "AU", "SA",
        ] {
            let ms = missions_for_country(cc);
            assert_eq!(
                ms.first().map(|m| m.kind),
                Some(MissionKind::Embassy),
                "{cc}"
            );
        }
    }
}
