//! Reference data rows as the store keeps them, and the embedded defaults from baoho-domain.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Country {
    pub alpha2: String,
    pub alpha3: String,
    pub numeric: String,
    pub name_en: String,
    pub name_vi: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mission {
    pub code: String,
    /// `embassy`, `consulate_general`, `consulate`, `permanent_mission` or `office`.
    pub kind: String,
    pub name_vi: String,
    pub name_en: String,
    pub city: String,
    /// ISO alpha-2 of the host country.
    pub country: String,
    /// Part of a country a consulate covers, free text.
    pub area: String,
    pub active: bool,
    /// Countries (alpha-2) in its consular jurisdiction, sorted.
    pub jurisdiction: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Province {
    pub code: String,
    /// `2025` for the 34 units after the merger, `pre2025` for the 63 before it.
    pub era: String,
    pub name_vi: String,
    pub name_en: String,
    pub kind: String,
    /// For a pre-2025 province: the post-2025 province it merged into.
    pub merged_into: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Language {
    pub code: String,
    pub name_en: String,
    pub name_vi: String,
}

/// A full reference set to load.
#[derive(Debug, Clone, Default)]
pub struct RefData {
    pub countries: Vec<Country>,
    pub missions: Vec<Mission>,
    pub provinces: Vec<Province>,
    pub languages: Vec<Language>,
}

/// Rows inserted by one load, per dataset (0 when it had been loaded before).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RefCounts {
    pub countries: u64,
    pub missions: u64,
    pub provinces: u64,
    pub languages: u64,
}

impl RefData {
    /// The reference data embedded in baoho-domain (public facts; see its refdata/README.md).
    pub fn embedded() -> Self {
        embedded::load()
    }

    /// Provinces ordered so that the post-2025 units are inserted before the old ones that
    /// point at them.
    pub(crate) fn provinces_in_load_order(&self) -> Vec<&Province> {
        let mut v: Vec<&Province> = self.provinces.iter().collect();
        v.sort_by_key(|p| (p.era != "2025", p.code.clone()));
        v
    }
}

mod embedded {
    use super::*;
    use baoho_domain::refdata as rd;

    /// serde's snake_case name of a unit enum (the same spelling as the CSV files).
    fn tag<T: Serialize>(v: &T) -> String {
        match serde_json::to_value(v) {
            Ok(serde_json::Value::String(s)) => s,
            _ => String::new(),
        }
    }

    pub(super) fn load() -> RefData {
        let countries = rd::countries()
            .iter()
            .map(|c| Country {
                alpha2: c.alpha2.clone(),
                alpha3: c.alpha3.clone(),
                numeric: c.numeric.clone(),
                name_en: c.name_en.clone(),
                name_vi: c.name_vi.clone(),
            })
            .collect();
        let mut provinces: Vec<Province> = rd::provinces()
            .iter()
            .map(|p| Province {
                code: p.code.clone(),
                era: "2025".into(),
                name_vi: p.name_vi.clone(),
                name_en: p.name_en.clone(),
                kind: tag(&p.kind),
                merged_into: None,
            })
            .collect();
        provinces.extend(rd::old_provinces().iter().map(|p| Province {
            code: p.code.clone(),
            era: "pre2025".into(),
            name_vi: p.name_vi.clone(),
            name_en: p.name_en.clone(),
            kind: tag(&p.kind),
            merged_into: Some(p.new_code.clone()),
        }));
        let missions = rd::missions()
            .iter()
            .map(|m| {
                let mut jurisdiction = m.jurisdiction.clone();
                jurisdiction.sort();
                jurisdiction.dedup();
                Mission {
                    code: m.code.clone(),
                    kind: tag(&m.kind),
                    name_vi: m.name_vi.clone(),
                    name_en: m.name_en.clone(),
                    city: m.city.clone(),
                    country: m.country.clone(),
                    area: m.area.clone(),
                    active: true,
                    jurisdiction,
                }
            })
            .collect();
        let languages = rd::languages()
            .iter()
            .map(|l| Language {
                code: l.code.clone(),
                name_en: l.name_en.clone(),
                name_vi: l.name_vi.clone(),
            })
            .collect();
        RefData {
            countries,
            missions,
            provinces,
            languages,
        }
    }
}

mod store;
pub(crate) use store::{countries, languages, load, mission, missions, provinces, update_mission};
