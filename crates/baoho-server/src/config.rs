//! Configuration: defaults < `baoho.toml` < `BAOHO_*` environment < command-line flags.
//! Unknown keys are rejected everywhere, so a typo is an error, not a silent default.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// `sqlite://path/to/baoho.db` (embedded) or `postgres://user:pass@host/db`.
    pub database: String,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// A tracing filter, e.g. `info` or `baoho_server=debug,info`.
    pub log_level: String,
    /// The URL people reach Baoho at, when it is behind a proxy (used in links and cookies).
    pub public_url: Option<String>,
    /// Seconds before a request is abandoned with 503.
    pub request_timeout_secs: u64,
    /// Seconds a request waits for a database connection (a free pool slot and its liveness
    /// check) before it is answered 503: a stopped or unreachable database is reported this
    /// quickly instead of after `request_timeout_secs`.
    pub database_acquire_timeout_secs: u64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The field-encryption key file (`baoho keys generate`). Never inside the database.
    /// Alternatively the key file's content in the environment variable `BAOHO_KEYS`.
    pub key_file: Option<PathBuf>,
    /// Where case attachments are kept (local disk). Default: an `attachments` folder beside
    /// a SQLite database, or `baoho-data/attachments` for PostgreSQL.
    pub attachments_dir: Option<PathBuf>,
    /// A session ends after this many minutes without a request.
    pub session_idle_minutes: u64,
    /// A session ends this many hours after login, however busy.
    pub session_absolute_hours: u64,
    /// The Ed25519 key (`baoho audit keygen`) that signs checkpoints of the audit chain's head.
    /// With `audit_checkpoint_dir`, `serve` writes one every `audit_checkpoint_interval_secs`.
    pub audit_checkpoint_key: Option<PathBuf>,
    /// Where `serve` writes signed audit checkpoints (best a mount of another machine).
    pub audit_checkpoint_dir: Option<PathBuf>,
    /// Seconds between two scheduled audit checkpoints.
    pub audit_checkpoint_interval_secs: u64,
    /// Proxies (CIDRs, e.g. `["10.0.0.0/8", "::1/128"]`) whose `Forwarded` /
    /// `X-Forwarded-For` headers are believed: the client address (for the sign-in throttle)
    /// is the rightmost hop that is not one of them. Empty: the socket peer is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `/metrics` answers only requests with `Authorization: Bearer <this token>`; without
    /// a token configured it answers 404.
    pub metrics_token: Option<String>,
    /// Password hashes computed at once (each on a blocking thread); default: the number
    /// of CPUs.
    pub hash_concurrency: Option<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: "sqlite://baoho-data/baoho.db".into(),
            log_format: LogFormat::Text,
            log_level: "info".into(),
            public_url: None,
            request_timeout_secs: 30,
            database_acquire_timeout_secs: 3,
            max_body_bytes: 10 * 1024 * 1024,
            key_file: None,
            attachments_dir: None,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            audit_checkpoint_key: None,
            audit_checkpoint_dir: None,
            audit_checkpoint_interval_secs: 3600,
            trusted_proxies: Vec::new(),
            metrics_token: None,
            hash_concurrency: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

/// Values given on the command line; `None` leaves the lower layers' value.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
}

impl Config {
    /// Build the effective configuration. `file` is `baoho.toml` unless given; a file named
    /// explicitly must exist, the default one may be absent.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(p) if !p.exists() => {
                return Err(ConfigError(format!(
                    "config file {} not found",
                    p.display()
                )));
            }
            Some(p) => fig = fig.merge(Toml::file_exact(p)),
            None => {
                let default = PathBuf::from("baoho.toml");
                if default.exists() {
                    fig = fig.merge(Toml::file_exact(default));
                }
            }
        }
        // Read the environment we were handed (not the process's), so tests are hermetic.
        let vars: Vec<(String, String)> = env
            .into_iter()
            .filter_map(|(k, v)| k.strip_prefix("BAOHO_").map(|k| (k.to_lowercase(), v)))
            .collect();
        let mut env_map = serde_json::Map::new();
        for (k, v) in vars {
            env_map.insert(k, Env::parse_value(&v));
        }
        fig = fig.merge(Serialized::defaults(env_map));
        fig = fig.merge(Serialized::defaults(overrides));
        fig.extract::<Config>()
            .map_err(|e| ConfigError(e.to_string()))
    }

    /// The origin (`https://host[:port]`) of `public_url` when it is an https URL: Baoho is
    /// then reached through TLS (a proxy in front of it terminates TLS).
    pub fn https_origin(&self) -> Option<String> {
        let uri: axum::http::Uri = self.public_url.as_deref()?.trim().parse().ok()?;
        if uri.scheme_str() != Some("https") {
            return None;
        }
        let authority = uri.authority()?;
        Some(format!(
            "https://{}",
            authority.as_str().to_ascii_lowercase()
        ))
    }

    /// Refuse to serve where passwords would cross a network in clear: a listen address
    /// other than loopback needs `public_url` set to the https address of the TLS proxy in
    /// front of Baoho.
    pub fn check_listen(&self) -> Result<(), ConfigError> {
        if self.listen.ip().is_loopback() || self.https_origin().is_some() {
            return Ok(());
        }
        Err(ConfigError(format!(
            "listen = {} is not a loopback address, and public_url is not an https:// URL. \
             Baoho serves plain HTTP: put a TLS proxy in front of it and set public_url to the \
             https:// address people use (and trusted_proxies to the proxy's address), or \
             listen on 127.0.0.1",
            self.listen
        )))
    }

    /// The configuration as TOML with secrets (database password, metrics token) hidden.
    pub fn redacted_toml(&self) -> String {
        let mut shown = self.clone();
        if shown.metrics_token.is_some() {
            shown.metrics_token = Some("***".into());
        }
        shown.database = match baoho_store::DatabaseUrl::parse(&self.database) {
            Ok(u) => u.to_string(),
            Err(_) => self.database.clone(),
        };
        toml::to_string_pretty(&shown).unwrap_or_default()
    }
}

/// figment's environment provider reads the process; this small adapter parses one value the
/// same way (numbers, booleans, strings) without touching global state.
trait ParseValue {
    fn parse_value(v: &str) -> serde_json::Value;
}

impl ParseValue for Env {
    fn parse_value(v: &str) -> serde_json::Value {
        if let Ok(n) = v.parse::<u64>() {
            return serde_json::Value::from(n);
        }
        match v {
            "true" => serde_json::Value::Bool(true),
            "false" => serde_json::Value::Bool(false),
            _ => serde_json::Value::String(v.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("baoho.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\nlog_level = \"debug\"\ndatabase = \"sqlite://file.db\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&file), env(&[]), &Overrides::default()).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.log_level, "debug");

        let c = Config::load(
            Some(&file),
            env(&[
                ("BAOHO_LISTEN", "127.0.0.1:9100"),
                ("BAOHO_DATABASE", "sqlite://env.db"),
            ]),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.listen.port(), 9100);
        assert_eq!(c.database, "sqlite://env.db");

        let o = Overrides {
            database: Some("sqlite://flag.db".into()),
            ..Default::default()
        };
        let c = Config::load(
            Some(&file),
            env(&[("BAOHO_DATABASE", "sqlite://env.db")]),
            &o,
        )
        .unwrap();
        assert_eq!(c.database, "sqlite://flag.db");
        assert_eq!(c.listen.port(), 9000, "lower layers stay");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("baoho.toml");
        std::fs::write(&file, "listne = \"127.0.0.1:9000\"\n").unwrap();
        let e = Config::load(Some(&file), env(&[]), &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("listne"), "{e}");
        let e =
            Config::load(None, env(&[("BAOHO_DATABSE", "x")]), &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("databse"), "{e}");
    }

    #[test]
    fn a_named_file_must_exist() {
        assert!(
            Config::load(
                Some(Path::new("/nonexistent/baoho.toml")),
                env(&[]),
                &Overrides::default()
            )
            .is_err()
        );
    }

    #[test]
    fn secrets_are_redacted() {
        for database in [
            "postgres://app:hunter2@db/baoho",
            "postgres://db/baoho?user=app&password=hunter2",
            "postgres://db/baoho?sslmode=require&PASSWORD=hunter2&x=1",
        ] {
            let c = Config {
                database: database.into(),
                metrics_token: Some("hunter2".into()),
                ..Default::default()
            };
            let s = c.redacted_toml();
            assert!(!s.contains("hunter2"), "{s}");
        }
    }

    #[test]
    fn a_public_listen_address_needs_https_in_front() {
        let open = Config {
            listen: "0.0.0.0:8080".parse().unwrap(),
            ..Default::default()
        };
        let e = open.check_listen().unwrap_err().to_string();
        assert!(e.contains("public_url"), "{e}");
        let plain = Config {
            public_url: Some("http://baoho.example".into()),
            ..open.clone()
        };
        assert!(plain.check_listen().is_err());
        let tls = Config {
            public_url: Some("https://Baoho.example:8443/app".into()),
            ..open
        };
        assert!(tls.check_listen().is_ok());
        assert_eq!(
            tls.https_origin().as_deref(),
            Some("https://baoho.example:8443")
        );
        assert!(Config::default().check_listen().is_ok(), "loopback");
        let v6 = Config {
            listen: "[::1]:8080".parse().unwrap(),
            ..Default::default()
        };
        assert!(v6.check_listen().is_ok());
    }

    #[test]
    fn trusted_proxies_are_cidrs() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("baoho.toml");
        std::fs::write(&file, "trusted_proxies = [\"10.0.0.0/8\", \"::1/128\"]\n").unwrap();
        let c = Config::load(Some(&file), env(&[]), &Overrides::default()).unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        std::fs::write(&file, "trusted_proxies = [\"10.0.0.0/33\"]\n").unwrap();
        assert!(Config::load(Some(&file), env(&[]), &Overrides::default()).is_err());
    }
}
