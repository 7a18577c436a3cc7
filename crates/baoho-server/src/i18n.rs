//! Vietnamese and English texts.
//!
//! Each language is one TOML catalogue (`locales/vi.toml`, `locales/en.toml`) embedded in the
//! binary; a test checks both have exactly the same keys. Written by hand because the i18n
//! crates we looked at keep a process-global locale, and here every request has its own.

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Vi, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language (for the switch link).
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// Pick from an `Accept-Language` header: the first of vi/en in preference order.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut prefs: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut it = part.trim().split(';');
                let tag = it.next()?.trim();
                let q = it
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                let primary = tag.split('-').next()?;
                Lang::from_code(primary).map(|l| (q, l))
            })
            .collect();
        prefs.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
        prefs.first().map(|p| p.1)
    }

    /// Resolve a request's language: the `lang` cookie, else Accept-Language, else Vietnamese.
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Lang {
        let from_cookie = headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix("lang=").and_then(Lang::from_code));
        from_cookie
            .or_else(|| {
                headers
                    .get(axum::http::header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or_default()
    }
}

type Catalogue = HashMap<String, String>;

fn parse(src: &str) -> Catalogue {
    fn walk(prefix: &str, v: &toml::Value, out: &mut Catalogue) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            toml::Value::String(s) => {
                out.insert(prefix.to_owned(), s.clone());
            }
            other => {
                out.insert(prefix.to_owned(), other.to_string());
            }
        }
    }
    let mut out = Catalogue::new();
    match src.parse::<toml::Table>() {
        Ok(t) => walk("", &toml::Value::Table(t), &mut out),
        Err(e) => tracing::error!(error = %e, "locale catalogue does not parse"),
    }
    out
}

static VI: LazyLock<Catalogue> = LazyLock::new(|| parse(include_str!("../locales/vi.toml")));
static EN: LazyLock<Catalogue> = LazyLock::new(|| parse(include_str!("../locales/en.toml")));

/// Translator for one language; cheap to copy into every template.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }

    /// The text for `key`; a missing key shows the key itself (and a test fails on it).
    pub fn s<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        let cat: &'static Catalogue = match self.lang {
            Lang::Vi => &VI,
            Lang::En => &EN,
        };
        match cat.get(key) {
            Some(v) => v.as_str(),
            None => key,
        }
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

/// Every key of a language (for tests and tools).
pub fn keys(lang: Lang) -> Vec<String> {
    let cat: &Catalogue = match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    };
    let mut k: Vec<String> = cat.keys().cloned().collect();
    k.sort();
    k
}

/// A country as people name it in `lang` (the code itself when unknown).
pub fn country_name(lang: Lang, code: &str) -> String {
    match baoho_domain::refdata::country(code) {
        Some(c) if lang == Lang::Vi => c.name_vi.clone(),
        Some(c) => c.name_en.clone(),
        None => code.to_owned(),
    }
}

/// A mission as people name it in `lang` (the code itself when unknown).
pub fn mission_name(lang: Lang, code: &str) -> String {
    match baoho_domain::refdata::mission(code) {
        Some(m) if lang == Lang::Vi => m.name_vi.clone(),
        Some(m) => m.name_en.clone(),
        None => code.to_owned(),
    }
}

/// One choice of a `<select>`: the value sent and the label shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    pub value: String,
    pub label: String,
}

fn by_folded_label(mut v: Vec<Opt>) -> Vec<Opt> {
    v.sort_by_cached_key(|o| baoho_domain::text::fold(&o.label));
    v
}

/// Every country (alpha-2, name in `lang`), in the order people look for them: by name,
/// diacritics folded.
pub fn country_options(lang: Lang) -> Vec<Opt> {
    by_folded_label(
        baoho_domain::refdata::countries()
            .iter()
            .map(|c| Opt {
                value: c.alpha2.clone(),
                label: country_name(lang, &c.alpha2),
            })
            .collect(),
    )
}

/// Every mission (code, name in `lang`), by name (diacritics folded).
pub fn mission_options(lang: Lang) -> Vec<Opt> {
    by_folded_label(
        baoho_domain::refdata::missions()
            .iter()
            .map(|m| Opt {
                value: m.code.clone(),
                label: mission_name(lang, &m.code),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let vi = keys(Lang::Vi);
        let en = keys(Lang::En);
        assert!(!vi.is_empty());
        let only_vi: Vec<_> = vi.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !vi.contains(k)).collect();
        assert!(
            only_vi.is_empty() && only_en.is_empty(),
            "vi only: {only_vi:?}; en only: {only_en:?}"
        );
    }

    #[test]
    fn catalogues_are_nfc_and_non_empty() {
        for l in Lang::ALL {
            for k in keys(l) {
                let v = Tr::new(l).s(&k).to_owned();
                assert!(!v.trim().is_empty(), "{k} is empty in {}", l.code());
                assert!(
                    baoho_domain::text::is_nfc(&v),
                    "{k} is not NFC in {}",
                    l.code()
                );
            }
        }
    }

    /// Every literal key a template asks for exists (a missing key would show as the key).
    #[test]
    fn every_key_the_templates_use_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let vi = keys(Lang::Vi);
        let mut missing = Vec::new();
        let mut files = Vec::new();
        let mut dirs = vec![dir];
        while let Some(d) = dirs.pop() {
            for entry in std::fs::read_dir(d).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for part in text.split("c.t.s(\"").skip(1) {
                let key = part.split('"').next().unwrap_or_default();
                if !vi.iter().any(|k| k == key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys used by templates but not in the catalogues: {missing:?}"
        );
    }

    #[test]
    fn accept_language() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("fr, en;q=0.5, vi;q=0.8"),
            Some(Lang::Vi)
        );
        assert_eq!(Lang::from_accept_language("fr"), None);
        assert_eq!(Lang::from_accept_language(""), None);
    }
}
