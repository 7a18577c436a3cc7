//! Reference data kept as data, not code: CSV files under `crates/baoho-domain/refdata/`,
//! embedded with `include_str!` and parsed once on first use.
//!
//! - [`provinces`]: Vietnam's 34 provinces and centrally-run cities from 1 July 2025, the 63
//!   before, the old → new mapping and a fast name lookup ([`find_province`]).
//! - [`countries`]: ISO 3166-1 with Vietnamese names ([`country`], [`find_country`]).
//! - [`missions`]: Vietnam's missions abroad and their consular jurisdiction
//!   ([`mission`], [`missions_for_country`]).
//! - [`languages`]: ISO 639-1 languages with Vietnamese and native names ([`language`]).
//!
//! Sources and licences are in `refdata/README.md`. Every embedded file is checked by the unit
//! tests (parses, invariants hold, strings are NFC), so the parse at run time cannot fail for a
//! build that passed its tests.

mod countries;
mod languages;
mod missions;
mod provinces;

pub use countries::{Country, countries, country, find_country};
pub use languages::{Language, language, languages};
pub use missions::{Mission, MissionKind, mission, missions, missions_for_country};

pub use provinces::{
    OldProvince, Province, ProvinceKind, ProvinceMatch, find_province, merged_into, old_province,
    old_provinces, province, provinces,
};

/// An embedded reference file did not parse or broke an invariant.
#[derive(Debug, thiserror::Error)]
#[error("refdata/{file}: {message}")]
pub struct RefdataError {
    /// File name under `refdata/`.
    pub file: &'static str,
    /// What went wrong (with the record's line where known).
    pub message: String,
}

impl RefdataError {
    fn new(file: &'static str, message: impl Into<String>) -> Self {
        Self {
            file,
            message: message.into(),
        }
    }
}

/// Parse a headed CSV into records.
fn parse_csv<T: serde::de::DeserializeOwned>(
    file: &'static str,
    src: &str,
) -> Result<Vec<T>, RefdataError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(src.as_bytes());
    let mut out = Vec::new();
    for rec in rdr.deserialize() {
        out.push(rec.map_err(|e| RefdataError::new(file, e.to_string()))?);
    }
    Ok(out)
}

/// Split a semicolon-separated list cell into trimmed, non-empty items.
fn split_list(cell: &str) -> Vec<String> {
    cell.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Unwrap the parse of an embedded file inside a `LazyLock` initialiser.
///
/// The data is compiled in and the unit tests parse every file and check its invariants, so an
/// error here means the binary was built from data that failed its own tests: there is no
/// sensible fallback (empty reference data would silently break matching), hence the panic.
fn embedded<T>(r: Result<T, RefdataError>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            panic!("embedded reference data is invalid (run cargo test -p baoho-domain): {e}")
        }
    }
}
