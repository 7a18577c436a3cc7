//! Baoho's storage: the [`Store`] contract and its SQLite and PostgreSQL implementations.
//!
//! The database URL's scheme picks the backend (`sqlite:` or `postgres:`); anything else is
//! refused, and a SQLite file that does not exist is never created silently unless the caller
//! asks for it ([`OpenMode::CreateIfMissing`], used by `baoho migrate` and `baoho demo`).
//! Each backend has its own migration folder with the same file names.

pub mod accounts;
pub mod audit;
pub mod cases;
pub mod crypto;
mod db;
mod error;
mod gate;
mod identity;
pub mod inbox;
pub mod outbox;
pub mod persons;
pub mod refdata;
#[cfg(feature = "testing")]
pub mod testing;
mod url;

use std::sync::Arc;

pub use accounts::{Account, Accounts, LoginChange, NewAccount, Notification, Session};
pub use audit::{
    AuditAction, AuditBreak, AuditEntry, AuditFilter, AuditOutcome, AuditRecord, AuditVerification,
    BreakKind, append_pg, append_sqlite,
};
pub use cases::referrals::{
    ConsentGiver, ConsentInput, ConsentMethod, ConsentPurpose, ConsentRecord, InboxReferral,
    NewReferral, OverrideDecision, Referral, ReferralRequest, Snapshot,
};
pub use cases::{
    CaseEvent, CaseFilter, CaseIntake, CasePage, CaseRecord, CaseSummary, Cases, NewEvent,
    WorkQueue,
};
pub use crypto::{Aad, CryptoError, EncryptedColumn, KeyCheck, Keyring};
pub use db::Db;
pub use error::StoreError;
pub use identity::Identity;
pub use inbox::Inbox;
pub use persons::registry::{MatchRow, RegistryFeed};
pub use persons::{AccessCtx, PersonRecord, PersonSummary, Persons, SearchResult};
pub use refdata::{Country, Language, Mission, Province, RefCounts, RefData};
pub use url::{Backend, DatabaseUrl};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Whether opening may create a new, empty database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// `serve`: the database must already exist (a typo in a path must not start an empty system).
    MustExist,
    /// `migrate` and `demo`: create the SQLite file if it is missing.
    CreateIfMissing,
}

/// Durability settings as the database reports them (asserted by the contract tests).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Durability {
    pub backend: Backend,
    /// SQLite `journal_mode` (expected `wal`); PostgreSQL `wal_level`.
    pub journal: String,
    /// SQLite `synchronous` with the group commit (expected `1+wal-fsync`: NORMAL on the
    /// connection, and every commit waits for an fsync of the WAL); PostgreSQL
    /// `synchronous_commit`.
    pub synchronous: String,
    /// SQLite `foreign_keys` (expected 1); PostgreSQL always enforces them (`on`).
    pub foreign_keys: String,
}

/// The storage contract. Both backends pass the same contract suite (`tests/contract.rs`).
///
/// Later capabilities add scoped handles here (persons, cases…) issued for one identity; the
/// reference data below is public and needs none.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;
    /// A cheap round trip to the database (for `/readyz`).
    async fn ping(&self) -> Result<()> {
        self.db().ping().await
    }
    /// Apply pending migrations (idempotent).
    async fn migrate(&self) -> Result<()>;
    /// Check, without changing anything, that every migration of this build is applied (for a
    /// server that does not own the schema: `serve --no-migrate`).
    async fn check_schema(&self) -> Result<()>;
    /// Grant the application role `role` what `serve` needs and nothing more (PostgreSQL; run
    /// as the owner after each migration). See migration 0018.
    async fn grant_app_role(&self, role: &str) -> Result<()> {
        let _ = role;
        Err(StoreError::Invalid(
            "database roles exist on PostgreSQL only".into(),
        ))
    }
    async fn durability(&self) -> Result<Durability>;
    /// Load each reference dataset that has never been loaded. Datasets loaded before are left
    /// alone, so an administrator's edits survive restarts. Returns what was inserted now.
    async fn load_reference_data(&self, data: &RefData) -> Result<RefCounts> {
        refdata::load(&self.db(), data).await
    }
    async fn countries(&self) -> Result<Vec<Country>> {
        refdata::countries(&self.db()).await
    }
    async fn missions(&self) -> Result<Vec<Mission>> {
        refdata::missions(&self.db()).await
    }
    async fn mission(&self, code: &str) -> Result<Mission> {
        refdata::mission(&self.db(), code).await
    }
    /// Replace a mission's editable fields and its jurisdiction (administrator edit).
    async fn update_mission(&self, mission: &Mission) -> Result<()> {
        refdata::update_mission(&self.db(), mission).await
    }
    async fn provinces(&self) -> Result<Vec<Province>> {
        refdata::provinces(&self.db()).await
    }
    async fn languages(&self) -> Result<Vec<Language>> {
        refdata::languages(&self.db()).await
    }

    /// Append one audit row in its own transaction (reads, denials, logins: events that change
    /// nothing else). A change writes its row in its own transaction with
    /// [`append_sqlite`] / [`append_pg`] instead.
    async fn append_audit(&self, entry: &AuditEntry) -> Result<AuditRecord> {
        audit::trail::append(&self.db(), entry).await
    }
    /// Audit rows matching `filter`, newest first, one page.
    async fn audit_query(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        audit::trail::query(&self.db(), filter).await
    }
    /// Append `entries` in order, chained, a thousand per transaction (a bulk load of rows
    /// that record nothing else: the benches' synthetic trails). Returns the rows appended.
    async fn append_audit_many(&self, entries: &[AuditEntry]) -> Result<u64> {
        audit::trail::append_many(&self.db(), entries).await
    }
    /// Every object one account touched in a period, persons seen in lists included.
    async fn audit_touched(&self, q: &audit::TouchedQuery) -> Result<Vec<audit::TouchedObject>> {
        audit::trail::touched(&self.db(), q).await
    }
    /// Recompute the hash chain in `seq` order (in batches) and report the first broken link.
    async fn verify_audit(&self) -> Result<AuditVerification> {
        audit::trail::verify(&self.db()).await
    }
    /// The stored hash of audit row `seq` (compared with a signed checkpoint).
    async fn audit_hash_at(&self, seq: i64) -> Result<Option<String>> {
        audit::trail::hash_at(&self.db(), seq).await
    }

    /// The stored key-check envelope, if one was established (see [`Keyring::check_against`]).
    async fn key_check(&self) -> Result<Option<String>> {
        crypto::key_check(&self.db()).await
    }
    /// Store the key-check envelope unless one exists already (first start wins).
    async fn init_key_check(&self, envelope: &str) -> Result<()> {
        crypto::init_key_check(&self.db(), envelope).await
    }
    /// Re-encrypt every value of `column` not under `keyring`'s active key, in batches, each
    /// batch in its own transaction (resumable). Returns the number of rows rewritten.
    async fn reencrypt_column(&self, column: &EncryptedColumn, keyring: &Keyring) -> Result<u64> {
        crypto::reencrypt_column(&self.db(), column, keyring).await
    }
    async fn close(&self);
    /// The database handle the account service and the scoped person handles are built on.
    /// Opaque outside this crate: nothing else can query through it.
    fn db(&self) -> Db;
}

/// How the store waits for the database. `acquire_timeout` bounds the wait for a connection
/// (a pool slot, the connection's liveness check, or a new connection): past it the operation
/// fails with [`StoreError::Unavailable`], which the server answers 503. A stopped or
/// unreachable database is thus answered within that time instead of holding requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    pub acquire_timeout: std::time::Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            acquire_timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// Open the database named by `url` without migrating it, and check that its schema is
/// current (a server connected as an application role that may not change the schema).
pub async fn open_existing(url: &DatabaseUrl) -> Result<Arc<dyn Store>> {
    open_existing_with(url, PoolSettings::default()).await
}

/// [`open_existing`] with the given pool settings.
pub async fn open_existing_with(url: &DatabaseUrl, pool: PoolSettings) -> Result<Arc<dyn Store>> {
    let store = open_backend(url, OpenMode::MustExist, pool).await?;
    store.check_schema().await?;
    Ok(store)
}

/// Open (and migrate) the database named by `url`.
pub async fn open(url: &DatabaseUrl, mode: OpenMode) -> Result<Arc<dyn Store>> {
    open_with(url, mode, PoolSettings::default()).await
}

/// [`open`] with the given pool settings.
pub async fn open_with(
    url: &DatabaseUrl,
    mode: OpenMode,
    pool: PoolSettings,
) -> Result<Arc<dyn Store>> {
    let store = open_backend(url, mode, pool).await?;
    store.migrate().await?;
    Ok(store)
}

async fn open_backend(
    url: &DatabaseUrl,
    mode: OpenMode,
    pool: PoolSettings,
) -> Result<Arc<dyn Store>> {
    Ok(match url.backend() {
        Backend::Sqlite => Arc::new(db::sqlite::SqliteStore::open(url, mode, pool).await?),
        Backend::Postgres => Arc::new(db::postgres::PgStore::open(url, pool).await?),
    })
}
