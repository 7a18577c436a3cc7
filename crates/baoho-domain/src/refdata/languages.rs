//! Languages a consular service meets (interpreting, correspondence, advisories).

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::{RefdataError, embedded, parse_csv};

const FILE: &str = "languages.csv";
const CSV: &str = include_str!("../../refdata/languages.csv");

/// A language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Language {
    /// ISO 639-1 code, lower case (`"vi"`).
    pub code: String,
    /// ISO 639-3 code (`"vie"`).
    pub code3: String,
    /// English name (`"Vietnamese"`).
    pub name_en: String,
    /// Vietnamese name (`"Tiếng Việt"`).
    pub name_vi: String,
    /// The language's name for itself (`"日本語"`).
    pub name_native: String,
}

pub(super) fn parse(src: &str) -> Result<Vec<Language>, RefdataError> {
    let rows: Vec<Language> = parse_csv(FILE, src)?;
    for l in &rows {
        let ok = l.code.len() == 2
            && l.code3.len() == 3
            && l.code
                .bytes()
                .chain(l.code3.bytes())
                .all(|b| b.is_ascii_lowercase())
            && !l.name_en.is_empty()
            && !l.name_vi.is_empty()
            && !l.name_native.is_empty();
        if !ok {
            return Err(RefdataError::new(FILE, format!("bad row {l:?}")));
        }
    }
    Ok(rows)
}

static LANGUAGES: LazyLock<Vec<Language>> = LazyLock::new(|| embedded(parse(CSV)));

/// The languages, Vietnamese first, then roughly by how often a consular service meets them.
pub fn languages() -> &'static [Language] {
    &LANGUAGES
}

/// A language by ISO 639-1 code, any case (`"ja"`).
pub fn language(code: &str) -> Option<&'static Language> {
    LANGUAGES.iter().find(|l| l.code.eq_ignore_ascii_case(code))
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
        assert!(all.len() >= 40, "{}", all.len());
        let codes: HashSet<_> = all.iter().map(|l| l.code.as_str()).collect();
        assert_eq!(codes.len(), all.len());
        for l in &all {
            for s in [&l.name_en, &l.name_vi, &l.name_native] {
                assert!(is_nfc(s) && s.trim() == s, "{s:?}");
            }
        }
        assert_eq!(all[0].code, "vi");
    }

    #[test]
    fn lookups() {
        for c in [
            "vi", "en", "zh", "ja", "ko", "km", "lo", "th", "my", "ms", "id", "tl", "ru", "uk",
            "ar", "he", "fr", "de", "es", "pt", "it", "pl", "cs",
        ] {
            assert!(language(c).is_some(), "{c}");
        }
        assert_eq!(language("JA").unwrap().name_vi, "Tiếng Nhật");
        assert!(language("xx").is_none());
    }
}
