use crate::StoreError;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// A database URL whose scheme has been checked. The scheme must be explicit: a bare path
/// is refused rather than guessed (a typo must never become a new empty database).
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    url: String,
}

impl DatabaseUrl {
    pub fn parse(s: &str) -> Result<Self, StoreError> {
        let s = s.trim();
        let backend = if s.starts_with("sqlite:") {
            Backend::Sqlite
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::BadUrl(redact(s)));
        };
        if backend == Backend::Sqlite && Self::sqlite_path_of(s).is_empty() {
            return Err(StoreError::BadUrl(s.to_owned()));
        }
        Ok(Self {
            backend,
            url: s.to_owned(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The full URL, secrets included: for connecting only, never for printing.
    pub fn expose(&self) -> &str {
        &self.url
    }

    /// For SQLite: the file path (`sqlite://a/b.db`, `sqlite:a/b.db`, query string dropped).
    pub fn sqlite_path(&self) -> Option<&str> {
        (self.backend == Backend::Sqlite).then(|| Self::sqlite_path_of(&self.url))
    }

    fn sqlite_path_of(s: &str) -> &str {
        let rest = s.trim_start_matches("sqlite:");
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        rest.split('?').next().unwrap_or("")
    }

    pub fn is_memory(&self) -> bool {
        self.sqlite_path() == Some(":memory:") || self.url.contains("mode=memory")
    }
}

/// Hide a password in `scheme://user:password@host` and in a `password=` query parameter.
fn redact(s: &str) -> String {
    let s = match (s.find("://"), s.find('@')) {
        (Some(i), Some(at)) if at > i => {
            let creds = &s[i + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &s[..i + 3], &creds[..c], &s[at..]),
                None => s.to_owned(),
            }
        }
        _ => s.to_owned(),
    };
    match s.split_once('?') {
        Some((base, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => p.to_owned(),
                })
                .collect();
            format!("{base}?{}", params.join("&"))
        }
        None => s,
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.url))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_picks_the_backend() {
        let u = DatabaseUrl::parse("sqlite://data/baoho.db").map(|u| u.backend());
        assert_eq!(u.ok(), Some(Backend::Sqlite));
        let u = DatabaseUrl::parse("postgres://app:pw@127.0.0.1:5432/baoho").map(|u| u.backend());
        assert_eq!(u.ok(), Some(Backend::Postgres));
    }

    #[test]
    fn a_bare_path_or_unknown_scheme_is_refused() {
        assert!(DatabaseUrl::parse("data/baoho.db").is_err());
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite:").is_err());
        assert!(DatabaseUrl::parse("sqlte://x.db").is_err());
    }

    #[test]
    fn sqlite_paths() {
        let p = |s: &str| {
            DatabaseUrl::parse(s)
                .ok()
                .and_then(|u| u.sqlite_path().map(String::from))
        };
        assert_eq!(p("sqlite://a/b.db").as_deref(), Some("a/b.db"));
        assert_eq!(p("sqlite:a/b.db?mode=rwc").as_deref(), Some("a/b.db"));
        assert_eq!(p("sqlite:///abs/b.db").as_deref(), Some("/abs/b.db"));
    }

    #[test]
    fn passwords_are_redacted_in_display() {
        let u = DatabaseUrl::parse("postgres://app:s3cret@db:5432/baoho");
        let shown = u.map(|u| u.to_string()).unwrap_or_default();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("app:***@db"), "{shown}");
        let u = DatabaseUrl::parse("postgres://db/baoho?user=app&Password=s3cret&sslmode=require");
        let shown = u.map(|u| u.to_string()).unwrap_or_default();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.ends_with("Password=***&sslmode=require"), "{shown}");
    }
}
