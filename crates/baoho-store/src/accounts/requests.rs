//! Four eyes on accounts with file access (issue #14, ADR 0017): an administrator asks, a
//! second, different administrator approves or refuses, and only the approval changes an
//! account. Each step writes its own audit row (`account_request`, `account_approve`,
//! `account_refuse`) in its transaction; asking tells the account's supervisor through the
//! outbox (an in-app notice).

use super::*;
use crate::outbox::outbox_push;
use baoho_domain::access::{Decision, DenyReason, Scope, Verb, decide};

/// Whether creating an account of `role`, or resetting its password and second factor, needs
/// a second administrator: every role the access policy lets near a person's or a case's file
/// (the answer is [`decide`]'s, so it follows the policy: mission and HQ officers, heads of
/// mission, partner liaisons), and the administrator itself (an administrator made, or whose
/// password was reset, by one administrator alone would be that administrator's "second").
/// Analysts and auditors read no file (the policy refuses their role outright): one
/// administrator is enough for them.
pub fn needs_four_eyes(role: Role) -> bool {
    let anyone = Principal {
        account_id: String::new(),
        role,
        agency: Agency {
            kind: AgencyKind::ConsularDepartment,
            code: "CD".into(),
        },
        jurisdiction: Vec::new(),
    };
    let reads_files = decide(&anyone, Verb::Read, &Scope::default(), None)
        != Decision::Deny(DenyReason::RoleHasNoCaseAccess);
    reads_files || role == Role::Administrator
}

/// What an administrator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// A new account.
    Create,
    /// A new password for an account; its second factor cleared, its sessions ended.
    Reset,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Create => "create",
            RequestKind::Reset => "reset",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    Pending,
    Approved,
    Refused,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Refused => "refused",
        }
    }
}

/// A request as stored (without the password hash it carries while pending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRequest {
    pub id: String,
    pub kind: RequestKind,
    /// Reset: the account. Create: the account made, once approved.
    pub account_id: Option<String>,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub agency: Agency,
    pub supervisor_id: Option<String>,
    pub status: RequestStatus,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

const REQUEST_COLUMNS: &str = "id, kind, account_id, username, display_name, role, agency_kind, agency_code, supervisor_id, status, requested_by, requested_at, decided_by, decided_at";

fn request_from_row<R: Row>(r: &R) -> Result<AccountRequest>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    DateTime<Utc>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<DateTime<Utc>>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let stored = |what: &str, v: &str| StoreError::Invalid(format!("stored {what} {v:?}"));
    let kind: String = r.try_get("kind")?;
    let role: String = r.try_get("role")?;
    let agency_kind: String = r.try_get("agency_kind")?;
    let status: String = r.try_get("status")?;
    Ok(AccountRequest {
        id: r.try_get("id")?,
        kind: match kind.as_str() {
            "create" => RequestKind::Create,
            "reset" => RequestKind::Reset,
            _ => return Err(stored("request kind", &kind)),
        },
        account_id: r.try_get("account_id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role: Role::parse(&role).ok_or_else(|| stored("role", &role))?,
        agency: Agency {
            kind: parse_agency_kind(&agency_kind)
                .ok_or_else(|| stored("agency kind", &agency_kind))?,
            code: r.try_get("agency_code")?,
        },
        supervisor_id: r.try_get("supervisor_id")?,
        status: match status.as_str() {
            "pending" => RequestStatus::Pending,
            "approved" => RequestStatus::Approved,
            "refused" => RequestStatus::Refused,
            _ => return Err(stored("request status", &status)),
        },
        requested_by: r.try_get("requested_by")?,
        requested_at: r.try_get("requested_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
    })
}

/// The notice for the account's supervisor: to them if the account names one, else to the
/// heads of the account's agency.
fn supervisor_notice(
    supervisor: Option<&str>,
    agency: &str,
    kind: &str,
    object_id: &str,
    actor: &str,
) -> (&'static str, serde_json::Value) {
    match supervisor {
        Some(s) => (
            "notify",
            serde_json::json!({"recipient": s, "kind": kind, "object_kind": "account", "object_id": object_id, "actor": actor}),
        ),
        None => (
            "notify_supervisors",
            serde_json::json!({"mission": agency, "kind": kind, "object_kind": "account", "object_id": object_id, "actor": actor}),
        ),
    }
}

impl Accounts {
    /// Ask for a new account; nothing exists until a second administrator approves
    /// ([`Accounts::decide_request`]). The requester is `audit`'s actor. A username already
    /// taken, or already asked for, is a conflict.
    pub async fn request_create(
        &self,
        a: &NewAccount,
        audit: AuditEntry,
    ) -> Result<AccountRequest> {
        let username = valid_username(&a.username)?;
        let id = format!("req-{}", uuid_v7());
        let now = audit.at;
        let by = audit.actor.clone();
        let entry = audit
            .object("account_request", &id)
            .with_action(AuditAction::AccountRequest, AuditOutcome::Allowed);
        let (outbox, payload) = supervisor_notice(
            a.supervisor_id.as_deref(),
            &a.agency.code,
            "account_requested",
            &id,
            &by,
        );
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let taken: Option<String> =
                sqlx::query_scalar("SELECT id FROM account WHERE username = $1")
                    .bind(&username)
                    .fetch_optional(&mut *tx)
                    .await?;
            if taken.is_some() {
                return Err(StoreError::Conflict("username taken".into()));
            }
            sqlx::query(
                "INSERT INTO account_request (id, kind, username, display_name, role, agency_kind, agency_code, supervisor_id, password_hash, status, requested_by, requested_at) \
                 VALUES ($1, 'create', $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10)",
            )
            .bind(&id)
            .bind(&username)
            .bind(&a.display_name)
            .bind(a.role.as_str())
            .bind(agency_kind_str(a.agency.kind))
            .bind(&a.agency.code)
            .bind(&a.supervisor_id)
            .bind(&a.password_hash)
            .bind(&by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.audit(&entry).await?;
            outbox_push(&mut tx, outbox, &payload, now).await?;
            tx.commit_in(&self.db).await?;
        });
        self.request(&id).await
    }

    /// Ask for a new password (`hash`) for account `id`, its second factor cleared and its
    /// sessions ended once a second administrator approves. Nothing changes before. One
    /// pending reset per account (another is a conflict).
    pub async fn request_reset(
        &self,
        id: &str,
        hash: &str,
        audit: AuditEntry,
    ) -> Result<AccountRequest> {
        let target = self.get(id).await?;
        let rid = format!("req-{}", uuid_v7());
        let now = audit.at;
        let by = audit.actor.clone();
        let entry = audit
            .object("account", id)
            .with_action(AuditAction::AccountRequest, AuditOutcome::Allowed);
        let (outbox, payload) = supervisor_notice(
            target.supervisor_id.as_deref(),
            &target.agency.code,
            "account_reset_requested",
            &rid,
            &by,
        );
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            sqlx::query(
                "INSERT INTO account_request (id, kind, account_id, username, display_name, role, agency_kind, agency_code, supervisor_id, password_hash, status, requested_by, requested_at) \
                 VALUES ($1, 'reset', $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11)",
            )
            .bind(&rid)
            .bind(&target.id)
            .bind(&target.username)
            .bind(&target.display_name)
            .bind(target.role.as_str())
            .bind(agency_kind_str(target.agency.kind))
            .bind(&target.agency.code)
            .bind(&target.supervisor_id)
            .bind(hash)
            .bind(&by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.audit(&entry).await?;
            outbox_push(&mut tx, outbox, &payload, now).await?;
            tx.commit_in(&self.db).await?;
        });
        self.request(&rid).await
    }

    pub async fn request(&self, id: &str) -> Result<AccountRequest> {
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM account_request WHERE id = $1");
        on_db!(self.db, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound)?;
            request_from_row(&row)
        })
    }

    /// The pending requests (oldest first), then up to `decided` decided ones (newest first).
    pub async fn requests(&self, decided: i64) -> Result<Vec<AccountRequest>> {
        let pending = format!(
            "SELECT {REQUEST_COLUMNS} FROM account_request WHERE status = 'pending' ORDER BY requested_at, id"
        );
        let done = format!(
            "SELECT {REQUEST_COLUMNS} FROM account_request WHERE status <> 'pending' ORDER BY decided_at DESC, id DESC LIMIT $1"
        );
        on_db!(self.db, |pool| {
            let mut out = Vec::new();
            for row in sqlx::query(sqlx::AssertSqlSafe(pending))
                .fetch_all(pool)
                .await?
            {
                out.push(request_from_row(&row)?);
            }
            for row in sqlx::query(sqlx::AssertSqlSafe(done))
                .bind(decided)
                .fetch_all(pool)
                .await?
            {
                out.push(request_from_row(&row)?);
            }
            Ok(out)
        })
    }

    /// A second administrator (`audit`'s actor) approves (`approve`) or refuses a pending
    /// request. The requester may do neither: that attempt is refused with `Forbidden` and its
    /// `denied` row committed. A request already decided is a conflict. On approval the
    /// account is created, or its password replaced, its second factor cleared and its
    /// sessions ended, in the same transaction as the decision, its audit row and the notice
    /// to the supervisor.
    pub async fn decide_request(
        &self,
        id: &str,
        approve: bool,
        audit: AuditEntry,
    ) -> Result<AccountRequest> {
        let now = audit.at;
        let by = audit.actor.clone();
        let action = if approve {
            AuditAction::AccountApprove
        } else {
            AuditAction::AccountRefuse
        };
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let sql = format!(
                "SELECT {REQUEST_COLUMNS}, password_hash FROM account_request WHERE id = $1{}",
                pool.for_update()
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let req = request_from_row(&row)?;
            let hash: Option<String> = row.try_get("password_hash")?;
            let object = match (&req.kind, &req.account_id) {
                (RequestKind::Reset, Some(a)) => ("account", a.clone()),
                _ => ("account_request", req.id.clone()),
            };
            let entry = |outcome, what: String| {
                audit
                    .clone()
                    .object(object.0, &object.1)
                    .with_action(action, outcome)
                    .purpose(what)
            };
            if req.requested_by == by {
                let what = format!(
                    "{} of request {}: its own requester",
                    action.as_str(),
                    req.id
                );
                tx.audit(&entry(AuditOutcome::Denied, what)).await?;
                tx.commit_in(&self.db).await?;
                return Err(StoreError::Forbidden);
            }
            if req.status != RequestStatus::Pending {
                return Err(StoreError::Conflict(
                    "this request was already decided".into(),
                ));
            }
            let status = if approve { "approved" } else { "refused" };
            let mut account_id = req.account_id.clone();
            if approve {
                let hash = hash.ok_or_else(|| {
                    StoreError::Invalid("a pending request without its password".into())
                })?;
                match req.kind {
                    RequestKind::Create => {
                        let new_id = format!("acc-{}", uuid_v7());
                        sqlx::query(INSERT_ACCOUNT)
                            .bind(&new_id)
                            .bind(&req.username)
                            .bind(&req.display_name)
                            .bind(req.role.as_str())
                            .bind(agency_kind_str(req.agency.kind))
                            .bind(&req.agency.code)
                            .bind(&req.supervisor_id)
                            .bind(&hash)
                            .bind(false)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                        account_id = Some(new_id);
                    }
                    RequestKind::Reset => {
                        let target = account_id.clone().unwrap_or_default();
                        let r = sqlx::query(RESET_ACCOUNT)
                            .bind(&target)
                            .bind(&hash)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                        if r.rows_affected() == 0 {
                            return Err(StoreError::NotFound);
                        }
                        sqlx::query("DELETE FROM recovery_code WHERE account_id = $1")
                            .bind(&target)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("DELETE FROM session WHERE account_id = $1")
                            .bind(&target)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
            }
            sqlx::query(
                "UPDATE account_request SET status = $2, account_id = $3, password_hash = NULL, decided_by = $4, decided_at = $5 WHERE id = $1 AND status = 'pending'",
            )
            .bind(&req.id)
            .bind(status)
            .bind(&account_id)
            .bind(&by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let what = format!(
                "{} request {} ({} {} {}) of {}",
                status,
                req.id,
                req.kind.as_str(),
                req.role.as_str(),
                req.username,
                req.requested_by
            );
            let mut done = entry(AuditOutcome::Allowed, what);
            if let (RequestKind::Create, Some(a)) = (req.kind, &account_id) {
                done = done.object("account", a);
            }
            tx.audit(&done).await?;
            if approve {
                let (outbox, payload) = supervisor_notice(
                    req.supervisor_id.as_deref(),
                    &req.agency.code,
                    match req.kind {
                        RequestKind::Create => "account_created",
                        RequestKind::Reset => "account_reset",
                    },
                    account_id.as_deref().unwrap_or_default(),
                    &by,
                );
                outbox_push(&mut tx, outbox, &payload, now).await?;
            }
            tx.commit_in(&self.db).await?;
        });
        self.request(id).await
    }
}
