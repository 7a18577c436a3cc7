//! Staff accounts, MFA material, sessions and notifications.
//!
//! This module stores; it does not decide. Password hashing, TOTP verification, throttling and
//! session lifetimes are the server's `auth` module. Account rows hold no citizen's data, so
//! they need no person scope; every change to one writes its audit row in the same transaction.

mod mfa;
mod notifications;
mod requests;
mod sessions;

pub use requests::{AccountRequest, RequestKind, RequestStatus, needs_four_eyes};

use crate::Identity;
use crate::audit::{AuditAction, AuditEntry, AuditOutcome};
use crate::db::{AuditTx, Commit, Db, Dialect, on_db};
use crate::{Result, Store, StoreError};
use baoho_domain::access::{Agency, AgencyKind, Principal, Role};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// A staff account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub agency: Agency,
    /// Who is told when this account breaks the glass on a restricted record.
    pub supervisor_id: Option<String>,
    /// argon2id PHC string.
    pub password_hash: String,
    /// TOTP secret as an encrypted envelope; `None` until enrolled.
    pub totp_secret: Option<String>,
    /// The last TOTP time step accepted (each is accepted once).
    pub totp_last_step: Option<i64>,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    /// A demo account (created by `baoho demo`): its MFA code may be shown on the demo's login
    /// page. Never set by anything else.
    pub demo: bool,
    pub created_at: DateTime<Utc>,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub agency: Agency,
    pub supervisor_id: Option<String>,
    pub password_hash: String,
    pub demo: bool,
}

/// A server-side session. The cookie holds a random token; the database holds its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub account_id: String,
    /// The synchronizer token every state-changing form and API call must echo.
    pub csrf: String,
    /// The second factor was given in this session.
    pub mfa_ok: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// A notice for one account (break-glass on a record they supervise, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: String,
    pub recipient: String,
    pub kind: String,
    pub object_kind: String,
    pub object_id: String,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// What an evaluated login attempt changes on the account, beyond the failure its slot
/// already counted (see [`Accounts::take_login_slot`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginChange {
    /// Signed in (the last step passed): reset the failure count and any lock.
    Success,
    /// A first step passed (the password, with the second factor still to come): the slot
    /// counted for this attempt is given back, and the lock too if this slot set it.
    Passed { slot_locked: bool },
    /// Nothing to change: a failed attempt (its slot stays counted), or a refusal that was
    /// never evaluated. Only the audit row.
    None,
}

/// The answer to a request for an evaluation slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginSlot {
    /// The attempt may be evaluated. It is already counted as a failure; `locks` says that
    /// this slot reached the limit and set the lock (no other attempt is evaluated until it
    /// ends or this one succeeds).
    Taken { failed_logins: i64, locks: bool },
    /// The account is locked until then: the attempt must not be evaluated.
    Locked { until: DateTime<Utc> },
}

/// Account and session storage for one database.
#[derive(Clone)]
pub struct Accounts {
    db: Db,
}

const ACCOUNT_COLUMNS: &str = "id, username, display_name, role, agency_kind, agency_code, supervisor_id, password_hash, totp_secret, totp_last_step, disabled, failed_logins, locked_until, demo, created_at";

fn agency_kind_str(k: AgencyKind) -> &'static str {
    match k {
        AgencyKind::ConsularDepartment => "consular_department",
        AgencyKind::Mission => "mission",
        AgencyKind::PublicSecurity => "public_security",
        AgencyKind::NationalDefence => "national_defence",
        AgencyKind::Province => "province",
    }
}

pub fn parse_agency_kind(s: &str) -> Option<AgencyKind> {
    [
        AgencyKind::ConsularDepartment,
        AgencyKind::Mission,
        AgencyKind::PublicSecurity,
        AgencyKind::NationalDefence,
        AgencyKind::Province,
    ]
    .into_iter()
    .find(|k| agency_kind_str(*k) == s)
}

pub fn agency_kind_code(k: AgencyKind) -> &'static str {
    agency_kind_str(k)
}

fn account_from_row<R: Row>(r: &R) -> Result<Account>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    bool: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    DateTime<Utc>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<DateTime<Utc>>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let role: String = r.try_get("role")?;
    let kind: String = r.try_get("agency_kind")?;
    Ok(Account {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Invalid(format!("stored role {role:?}")))?,
        agency: Agency {
            kind: parse_agency_kind(&kind)
                .ok_or_else(|| StoreError::Invalid(format!("stored agency kind {kind:?}")))?,
            code: r.try_get("agency_code")?,
        },
        supervisor_id: r.try_get("supervisor_id")?,
        password_hash: r.try_get("password_hash")?,
        totp_secret: r.try_get("totp_secret")?,
        totp_last_step: r.try_get("totp_last_step")?,
        disabled: r.try_get("disabled")?,
        failed_logins: r.try_get("failed_logins")?,
        locked_until: r.try_get("locked_until")?,
        demo: r.try_get("demo")?,
        created_at: r.try_get("created_at")?,
    })
}

fn session_from_row<R: Row>(r: &R) -> Result<Session>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    bool: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    DateTime<Utc>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Session {
        token_hash: r.try_get("token_hash")?,
        account_id: r.try_get("account_id")?,
        csrf: r.try_get("csrf")?,
        mfa_ok: r.try_get("mfa_ok")?,
        created_at: r.try_get("created_at")?,
        last_seen_at: r.try_get("last_seen_at")?,
    })
}

/// The username as stored and looked up: trimmed, lower case.
pub fn normalise_username(s: &str) -> String {
    s.trim().to_lowercase()
}

/// A username as stored, or why it cannot be one.
fn valid_username(s: &str) -> Result<String> {
    let username = normalise_username(s);
    let ok_name = !username.is_empty()
        && username.len() <= 64
        && username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    if !ok_name {
        return Err(StoreError::Invalid(
            "username: 1-64 ASCII letters, digits, . _ - @".into(),
        ));
    }
    Ok(username)
}

/// A new account's row (a direct creation, or an approved request).
const INSERT_ACCOUNT: &str = "INSERT INTO account (id, username, display_name, role, agency_kind, agency_code, supervisor_id, password_hash, demo, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)";

/// An administrator's reset ($2 the new password hash, $3 the time): the failures and lock
/// forgotten, the second factor cleared (to enrol again at the next sign-in). Its recovery codes
/// and sessions go with it.
const RESET_ACCOUNT: &str = "UPDATE account SET password_hash = $2, failed_logins = 0, locked_until = NULL, totp_secret = NULL, totp_last_step = NULL, updated_at = $3 WHERE id = $1";
impl Accounts {
    pub fn new(store: &dyn Store) -> Self {
        Self { db: Db::of(store) }
    }

    /// Create an account; `audit` describes who did it (its object is filled in here).
    pub async fn create(&self, a: &NewAccount, audit: AuditEntry) -> Result<Account> {
        let username = valid_username(&a.username)?;
        let id = format!("acc-{}", uuid_v7());
        let now = audit.at;
        let entry = audit
            .object("account", &id)
            .with_action(AuditAction::Create, AuditOutcome::Allowed);
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            sqlx::query(INSERT_ACCOUNT)
                .bind(&id)
                .bind(&username)
                .bind(&a.display_name)
                .bind(a.role.as_str())
                .bind(agency_kind_str(a.agency.kind))
                .bind(&a.agency.code)
                .bind(&a.supervisor_id)
                .bind(&a.password_hash)
                .bind(a.demo)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        self.get(&id).await
    }

    pub async fn get(&self, id: &str) -> Result<Account> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM account WHERE id = $1");
        on_db!(self.db, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound)?;
            account_from_row(&row)
        })
    }

    pub async fn by_username(&self, username: &str) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM account WHERE username = $1");
        let username = normalise_username(username);
        on_db!(self.db, |pool| {
            match sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&username)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Ok(Some(account_from_row(&row)?)),
                None => Ok(None),
            }
        })
    }

    pub async fn list(&self) -> Result<Vec<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM account ORDER BY agency_code, username");
        on_db!(self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(pool)
                .await?
                .iter()
                .map(account_from_row)
                .collect()
        })
    }

    /// The identity an account acts as: role, agency, and for a mission its jurisdiction.
    pub async fn identity(&self, a: &Account) -> Result<Identity> {
        let jurisdiction = if a.agency.kind == AgencyKind::Mission {
            on_db!(self.db, |pool| {
                sqlx::query_scalar::<_, String>(
                    "SELECT country FROM mission_jurisdiction WHERE mission = $1 ORDER BY country",
                )
                .bind(&a.agency.code)
                .fetch_all(pool)
                .await?
            })
        } else {
            Vec::new()
        };
        Ok(Identity::issue(Principal {
            account_id: a.id.clone(),
            role: a.role,
            agency: a.agency.clone(),
            jurisdiction,
        }))
    }

    /// Take an evaluation slot for a login attempt on this account, before its password or
    /// second factor is looked at: one atomic statement counts the attempt as a failure and,
    /// when that count reaches `limit`, sets the lock to `lock_until`, unless the account is
    /// locked at `now` (then nothing changes and the attempt must not be evaluated). A lock
    /// that has ended starts a fresh count. Concurrent attempts therefore cannot all see
    /// "below the limit": at most `limit` are evaluated before the lock holds.
    pub async fn take_login_slot(
        &self,
        id: &str,
        now: DateTime<Utc>,
        limit: i64,
        lock_until: DateTime<Utc>,
    ) -> Result<LoginSlot> {
        const SQL: &str = "UPDATE account SET \
             failed_logins = CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1 ELSE failed_logins + 1 END, \
             locked_until = CASE \
               WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1 ELSE failed_logins + 1 END) >= $3 THEN $4 \
               WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN NULL \
               ELSE locked_until END \
             WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) \
             RETURNING failed_logins";
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let taken: Option<i64> = sqlx::query_scalar(SQL)
                .bind(id)
                .bind(now)
                .bind(limit)
                .bind(lock_until)
                .fetch_optional(&mut *tx)
                .await?;
            let slot = match taken {
                Some(n) => LoginSlot::Taken {
                    failed_logins: n,
                    locks: n >= limit,
                },
                None => {
                    let until: Option<Option<DateTime<Utc>>> =
                        sqlx::query_scalar("SELECT locked_until FROM account WHERE id = $1")
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    match until {
                        None => return Err(StoreError::NotFound),
                        Some(u) => LoginSlot::Locked {
                            until: u.unwrap_or(lock_until),
                        },
                    }
                }
            };
            tx.commit_in(&self.db).await?;
            Ok(slot)
        })
    }

    /// Record an evaluated (or refused) login attempt: the counter change and its audit row
    /// in one transaction.
    pub async fn record_login(
        &self,
        id: Option<&str>,
        change: LoginChange,
        audit: AuditEntry,
    ) -> Result<()> {
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            if let Some(id) = id {
                match change {
                    LoginChange::Success => {
                        sqlx::query("UPDATE account SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    LoginChange::Passed { slot_locked } => {
                        sqlx::query("UPDATE account SET failed_logins = CASE WHEN failed_logins > 0 THEN failed_logins - 1 ELSE 0 END, locked_until = CASE WHEN $2 THEN NULL ELSE locked_until END WHERE id = $1")
                            .bind(id)
                            .bind(slot_locked)
                            .execute(&mut *tx)
                            .await?;
                    }
                    LoginChange::None => {}
                }
            }
            tx.audit(&audit).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }

    /// Disable or enable an account. Disabling ends its sessions in the same transaction.
    pub async fn set_disabled(&self, id: &str, disabled: bool, audit: AuditEntry) -> Result<()> {
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let r = sqlx::query("UPDATE account SET disabled = $2, failed_logins = 0, locked_until = NULL, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(disabled)
                .bind(audit.at)
                .execute(&mut *tx)
                .await?;
            if r.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            if disabled {
                sqlx::query("DELETE FROM session WHERE account_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.audit(&audit).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }

    /// Replace the password hash; ends every session of the account and clears MFA if asked
    /// (an administrator's reset).
    pub async fn set_password(
        &self,
        id: &str,
        hash: &str,
        reset_mfa: bool,
        audit: AuditEntry,
    ) -> Result<()> {
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let r = sqlx::query("UPDATE account SET password_hash = $2, failed_logins = 0, locked_until = NULL, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(hash)
                .bind(audit.at)
                .execute(&mut *tx)
                .await?;
            if r.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            if reset_mfa {
                sqlx::query(
                    "UPDATE account SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM recovery_code WHERE account_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM session WHERE account_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.audit(&audit).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }
}

pub(crate) fn uuid_v7() -> String {
    uuid::Uuid::now_v7().to_string()
}
