//! `serve`, `demo`, `migrate` and `config`.

use anyhow::Context;
use baoho_store::Keyring;
use std::sync::Arc;

#[path = "demo_data.rs"]
mod demo_data;
use baoho_server::config::{Config, LogFormat, Overrides};
use baoho_store::{DatabaseUrl, OpenMode, RefData};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

#[derive(clap::Args, Debug, Default)]
pub struct ServerFlags {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Database URL: sqlite://path/baoho.db or postgres://user:pass@host/db.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Log format: text or json.
    #[arg(long, value_name = "FORMAT")]
    log_format: Option<LogFormatArg>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum LogFormatArg {
    Text,
    Json,
}

impl ServerFlags {
    fn overrides(&self) -> Overrides {
        Overrides {
            listen: self.listen,
            database: self.database.clone(),
            log_format: self.log_format.map(|f| match f {
                LogFormatArg::Text => LogFormat::Text,
                LogFormatArg::Json => LogFormat::Json,
            }),
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    flags: ServerFlags,
    /// Do not run migrations: check that the schema is current instead (for an application
    /// role that owns nothing; the owner runs `baoho migrate`). See docs/security.md.
    #[arg(long)]
    no_migrate: bool,
}

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    #[command(flatten)]
    flags: ServerFlags,
}

#[derive(clap::Args, Debug)]
pub struct MigrateArgs {
    /// Database URL (creates a SQLite file if it does not exist); on PostgreSQL, the owner's.
    #[arg(long, alias = "database-url", value_name = "URL")]
    database: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct ConfigArgs {
    #[command(flatten)]
    flags: ServerFlags,
}

fn load(file: Option<&Path>, o: &Overrides) -> anyhow::Result<Config> {
    Ok(Config::load(file, std::env::vars(), o)?)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn serve(file: Option<&Path>, a: ServeArgs) -> anyhow::Result<()> {
    let config = load(file, &a.flags.overrides())?;
    baoho_server::telemetry::init(config.log_format, &config.log_level);
    runtime()?.block_on(run_server(config, OpenMode::MustExist, None, !a.no_migrate))
}

pub fn demo(file: Option<&Path>, a: DemoArgs) -> anyhow::Result<()> {
    let mut o = a.flags.overrides();
    if o.database.is_none() && std::env::var("BAOHO_DATABASE").is_err() {
        o.database = Some("sqlite://baoho-demo/baoho.db".into());
    }
    let config = load(file, &o)?;
    baoho_server::telemetry::init(config.log_format, &config.log_level);
    let url = DatabaseUrl::parse(&config.database)?;
    if url.backend() != baoho_store::Backend::Sqlite {
        anyhow::bail!(
            "demo runs on the embedded SQLite database; use `baoho serve` for PostgreSQL"
        );
    }
    runtime()?.block_on(run_server(
        config,
        OpenMode::CreateIfMissing,
        Some(Demo),
        true,
    ))
}

pub fn migrate(file: Option<&Path>, a: MigrateArgs) -> anyhow::Result<()> {
    let o = Overrides {
        database: a.database,
        ..Default::default()
    };
    let config = load(file, &o)?;
    baoho_server::telemetry::init(config.log_format, &config.log_level);
    runtime()?.block_on(async {
        let url = DatabaseUrl::parse(&config.database)?;
        let store = baoho_store::open(&url, OpenMode::CreateIfMissing).await?;
        let counts = store.load_reference_data(&RefData::embedded()).await?;
        store.close().await;
        println!("migrated {url}");
        println!(
            "reference data inserted now: {} countries, {} missions, {} provinces, {} languages",
            counts.countries, counts.missions, counts.provinces, counts.languages
        );
        Ok(())
    })
}

pub fn print_config(file: Option<&Path>, a: ConfigArgs) -> anyhow::Result<()> {
    let config = load(file, &a.flags.overrides())?;
    print!("{}", config.redacted_toml());
    Ok(())
}

struct Demo;

/// The field-encryption keys: the configured key file; for the demo, a key file beside the
/// demo database, created on first start.
fn load_keys(config: &Config, url: &DatabaseUrl, demo: bool) -> anyhow::Result<Keyring> {
    if let Some(path) = &config.key_file {
        return Keyring::from_key_file(path)
            .with_context(|| format!("reading the key file {}", path.display()));
    }
    if demo {
        let dir = url
            .sqlite_path()
            .and_then(|p| Path::new(p).parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let path = dir.join("baoho-demo.keys");
        if !path.exists() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(&dir)?;
            }
            baoho_store::crypto::generate_key_file(&path, None)?;
        }
        return Ok(Keyring::from_key_file(&path)?);
    }
    anyhow::bail!(
        "no field-encryption key: create one with `baoho keys generate --out /etc/baoho/keys` \
         (keep it apart from the database) and set `key_file` in baoho.toml or BAOHO_KEY_FILE"
    )
}

async fn run_server(
    config: Config,
    mode: OpenMode,
    demo: Option<Demo>,
    migrate: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    // Before anything else: no plain-HTTP listener reachable from other machines.
    config.check_listen()?;
    let url = DatabaseUrl::parse(&config.database)?;
    let pool = baoho_store::PoolSettings {
        acquire_timeout: std::time::Duration::from_secs(
            config.database_acquire_timeout_secs.max(1),
        ),
    };
    let store = if migrate {
        baoho_store::open_with(&url, mode, pool).await
    } else {
        baoho_store::open_existing_with(&url, pool).await
    }
    .with_context(|| format!("opening {url}"))?;
    let loaded = store.load_reference_data(&RefData::embedded()).await?;
    if loaded.countries + loaded.missions + loaded.provinces + loaded.languages > 0 {
        tracing::info!(
            countries = loaded.countries,
            missions = loaded.missions,
            provinces = loaded.provinces,
            languages = loaded.languages,
            "reference data loaded"
        );
    }
    let keys = Arc::new(load_keys(&config, &url, demo.is_some())?);
    // A wrong key file must not start: it could not read what is stored, and would write
    // values nobody else can read.
    let check = keys
        .check_against(store.as_ref())
        .await
        .context("checking the key file against the database")?;
    if check.rotation_pending {
        tracing::warn!(active = keys.active_kid(), stored = %check.kid, "key rotation pending: run `baoho keys rotate`");
    }
    // The binary's own hold on the store, for the demo seeding and the background worker;
    // the server's handlers never get it (they receive scoped handles through `Caller`).
    let worker_store = store.clone();
    let state = baoho_server::AppState::new(store, config.clone(), keys).with_demo(demo.is_some());
    let seeded = match demo {
        Some(_) => {
            demo_data::seed(
                worker_store.as_ref(),
                &state.keys,
                state.objects.as_deref(),
                300,
            )
            .await?
        }
        None => false,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let ready_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(%addr, database = %url, ready_ms, "Baoho is ready");
    println!();
    println!("  Baoho is running at http://{addr}/   (ready in {ready_ms:.0} ms)");
    println!("  database: {url}");
    if demo.is_some() {
        if seeded {
            println!(
                "  demo data: 300 synthetic persons and their cases created; every person shown is invented."
            );
        } else {
            println!("  demo data: synthetic; every person shown is invented.");
        }
        println!("  demo logins (password {}):", demo_data::DEMO_PASSWORD);
        println!(
            "    hq.officer, tokyo.officer, tokyo.head, seoul.officer, police.liaison, analyst, admin, admin2, auditor"
        );
        println!("  second step: the demo's login page shows each demo account's current code");
        println!("  (only `baoho demo` does this; `baoho serve` never shows codes).");
    }
    println!("  stop with Ctrl-C");
    println!();
    // Signed checkpoints of the audit chain's head, if configured (docs/security.md).
    let checkpoints = crate::cmd_audit::spawn_checkpoints(&config, worker_store.clone())?;
    // The deadline watcher: escalates overdue cases and delivers the outbox, once a minute.
    let worker_keys = state.keys.clone();
    let worker = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            let now = chrono::Utc::now();
            match baoho_store::cases::escalate_overdue(worker_store.as_ref(), &worker_keys, now)
                .await
            {
                Ok(n) if n > 0 => tracing::info!(escalated = n, "overdue cases escalated"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "escalation pass failed"),
            }
            if let Err(e) = baoho_store::outbox::drain_outbox(worker_store.as_ref(), now, 500).await
            {
                tracing::warn!(error = %e, "outbox delivery failed");
            }
        }
    });
    baoho_server::launch(listener, state, shutdown_signal()).await?;
    worker.abort();
    if let Some(c) = checkpoints {
        c.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
