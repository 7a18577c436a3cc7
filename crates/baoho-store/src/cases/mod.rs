//! Protection cases behind the same authorization layer as persons.
//!
//! [`Cases`] is issued for one identity. Each method loads the case's scope (mission, country,
//! restricted categories, members) in its transaction, asks
//! [`baoho_domain::access::decide`], and writes its audit row there; a case outside the scope
//! answers [`StoreError::NotFound`] with a `denied` row. Persons are linked only if this
//! identity may read them (the person handle's gate decides, and audits).

pub mod attachments;
pub mod consular_access;
mod deadlines;
mod intake;
mod list;
pub mod overview;
mod queue;
mod read;
pub mod referrals;
pub mod transfers;
mod workflow;

pub use deadlines::escalate_overdue;
pub use intake::CaseIntake;
pub use list::{CaseFilter, CasePage};
pub use queue::{QUEUE_COUNT_CAP, WorkQueue};

use crate::Identity;
use crate::accounts::uuid_v7;
use crate::audit::{AuditAction, AuditEntry, AuditOutcome};
use crate::crypto::{Aad, Keyring};
use crate::db::{AuditTx, Commit, Db, Dialect, TxConn, on_db};
use crate::outbox::outbox_push;
use crate::persons::{AccessCtx, Persons};
use crate::{Result, Store, StoreError};
use baoho_domain::access::{AgencyKind, Decision, Restricted, Role, Scope, Verb, decide};
use baoho_domain::case::{
    Channel, Escalation, Priority, Rag, Status, case_type, check_transition, escalation, rag,
};
use baoho_domain::person::FieldError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Private {
    summary: String,
    reporter: String,
    reporter_contact: String,
    #[serde(default)]
    details: BTreeMap<String, String>,
}

/// A case as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseSummary {
    pub id: String,
    pub reference: String,
    pub case_type: String,
    pub priority: Priority,
    pub status: Status,
    pub mission: String,
    pub country: String,
    pub lead_officer: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub rag: Rag,
    pub escalation: Escalation,
    pub restricted: bool,
    pub close_requested: bool,
}

/// One timeline entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseEvent {
    pub id: String,
    pub kind: String,
    pub at: DateTime<Utc>,
    pub author: String,
    pub body: String,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    /// For money advanced: `signed` (the citizen signed an undertaking to repay), `pending`
    /// (to be signed) or `waived` (a grant, nothing to repay).
    pub repayment: Option<String>,
}

/// Proof that this account opened the case through the gate (with its audited read). Only the
/// store makes one, so the parts of a case (referrals, transfers, attachments, the clock) can
/// be read for the same request without a second gate, transaction and audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened(String);

/// A case opened by an authorised reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseRecord {
    #[serde(flatten)]
    pub summary: CaseSummary,
    pub version: i64,
    pub channel: Channel,
    pub city: String,
    pub description: String,
    pub reporter: String,
    pub reporter_contact: String,
    /// The case type's own fields, by key, as stored (a choice's value, a date as
    /// `YYYY-MM-DD`).
    pub details: BTreeMap<String, String>,
    /// Person ids.
    pub persons: Vec<String>,
    /// Account ids working on the case.
    pub members: Vec<String>,
    /// Checklist items done (by index in the type's checklist).
    pub checks_done: Vec<i64>,
    pub events: Vec<CaseEvent>,
    #[serde(skip)]
    #[schema(ignore)]
    opened: Opened,
}

/// A new timeline entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewEvent {
    /// One of `note`, `call`, `visit`, `consular_visit`, `court_hearing`, `money_advanced`,
    /// `document_issued`, `family_message`.
    #[schema(
        pattern = r"^\s*(note|call|visit|consular_visit|court_hearing|money_advanced|document_issued|family_message)\s*$"
    )]
    pub kind: String,
    pub body: String,
    /// For `money_advanced`: amount in minor units (cents) and ISO 4217 currency.
    #[serde(default)]
    pub amount_minor: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    /// For `money_advanced`: `signed`, `pending` or `waived` (the repayment undertaking).
    #[serde(default)]
    pub repayment: Option<String>,
}

/// How long the reason for removing a person from a case may be, in characters (trimmed):
/// at least this…
pub const UNLINK_REASON_MIN: usize = 5;
/// …and at most this.
pub const UNLINK_REASON_MAX: usize = 2000;

/// What a money advance's repayment undertaking may be.
pub const REPAYMENT: &[&str] = &["signed", "pending", "waived"];

const USER_EVENTS: &[&str] = &[
    "note",
    "call",
    "visit",
    "consular_visit",
    "court_hearing",
    "money_advanced",
    "document_issued",
    "family_message",
];

/// The scoped case handle.
pub struct Cases {
    pub(crate) db: Db,
    keys: Arc<Keyring>,
    ctx: AccessCtx,
    persons: Persons,
}

pub(crate) struct CaseScope {
    pub(crate) rid: i64,
    pub(crate) id: String,
    version: i64,
    status: Status,
    scope: Scope,
    close_requested_by: Option<String>,
}

fn invalid(field: &str, code: &'static str) -> StoreError {
    StoreError::Validation(vec![FieldError {
        field: field.into(),
        code,
    }])
}

fn is_case_role(who: &Identity) -> bool {
    !matches!(
        who.role,
        Role::Administrator | Role::Auditor | Role::Analyst
    )
}

/// Supervisors approve closures: heads of mission of the case's mission, and headquarters.
fn may_approve_close(who: &Identity, scope: &Scope) -> bool {
    match who.role {
        Role::HeadOfMission => {
            who.agency.kind == AgencyKind::ConsularDepartment
                || scope.missions.contains(&who.agency.code)
        }
        Role::HqOfficer => who.agency.kind == AgencyKind::ConsularDepartment,
        _ => false,
    }
}

const SCOPE_COLUMNS: &str = "c.rid, c.id, c.version, c.status, c.mission_code, c.country, c.restricted, c.close_requested_by, \
     EXISTS (SELECT 1 FROM case_member m WHERE m.case_rid = c.rid AND m.account_id = $2) AS member";

/// A listed row: its summary and its scope (no column twice, so pages can be merged; the
/// member flag asks about this account, `$1` in the list queries).
const LIST_COLUMNS: &str = "c.id, c.reference, c.case_type, c.priority, c.status, c.mission_code, c.country, c.lead_officer, c.opened_at, c.due_at, c.escalation, c.restricted, c.close_requested_by, \
     c.rid, c.version, EXISTS (SELECT 1 FROM case_member m WHERE m.case_rid = c.rid AND m.account_id = $1) AS member";

/// A restricted case is listed only to its members.
const LIST_RESTRICTED: &str = "(c.restricted = '' OR EXISTS (SELECT 1 FROM case_member m WHERE m.case_rid = c.rid AND m.account_id = $1))";

const SUMMARY_COLUMNS: &str = "c.id, c.reference, c.case_type, c.priority, c.status, c.mission_code, c.country, c.lead_officer, c.opened_at, c.due_at, c.escalation, c.restricted, c.close_requested_by";

impl Cases {
    pub fn new(store: &dyn Store, keys: Arc<Keyring>, ctx: AccessCtx) -> Self {
        Self {
            db: Db::of(store),
            persons: Persons::new(store, keys.clone(), ctx.clone()),
            keys,
            ctx,
        }
    }

    /// A record opened by this same account (else it does not exist for this handle).
    pub(crate) fn opened<'r>(&self, case: &'r CaseRecord) -> Result<&'r str> {
        if case.opened.0 == self.ctx.who.account_id {
            Ok(&case.summary.id)
        } else {
            Err(StoreError::NotFound)
        }
    }

    pub(crate) fn ctx(&self) -> &AccessCtx {
        &self.ctx
    }
    pub(crate) fn keys_ref(&self) -> &Arc<Keyring> {
        &self.keys
    }
    pub(crate) fn db_ref(&self) -> &Db {
        &self.db
    }
    pub(crate) fn persons_handle(&self) -> &Persons {
        &self.persons
    }

    pub(crate) fn entry(&self, action: AuditAction, outcome: AuditOutcome, id: &str) -> AuditEntry {
        let ok = id.len() <= 128
            && id.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'@')
            });
        AuditEntry::new(self.ctx.at, &self.ctx.who.account_id, action, outcome)
            .role(self.ctx.who.role.as_str())
            .agency(&self.ctx.who.agency.code)
            .object("case", if ok { id } else { "" })
            .purpose(&self.ctx.purpose)
            .request(&self.ctx.request_id)
    }

    fn scope_from_row<R: Row>(&self, r: &R) -> Result<CaseScope>
    where
        for<'a> &'a str: sqlx::ColumnIndex<R>,
        String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        bool: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    {
        let mission: String = r.try_get("mission_code")?;
        let country: String = r.try_get("country")?;
        let restricted: String = r.try_get("restricted")?;
        let status: String = r.try_get("status")?;
        let member: bool = r.try_get("member")?;
        Ok(CaseScope {
            rid: r.try_get("rid")?,
            id: r.try_get("id")?,
            version: r.try_get("version")?,
            status: Status::parse(&status).unwrap_or(Status::New),
            close_requested_by: r.try_get("close_requested_by")?,
            scope: Scope {
                missions: if mission.is_empty() {
                    vec![]
                } else {
                    vec![mission]
                },
                countries: if country.is_empty() {
                    vec![]
                } else {
                    vec![country]
                },
                referred_to: vec![],
                restricted: Restricted::split(&restricted),
                assigned: if member {
                    vec![self.ctx.who.account_id.clone()]
                } else {
                    vec![]
                },
            },
        })
    }

    fn summary_from_row<R: Row>(&self, r: &R) -> Result<CaseSummary>
    where
        for<'a> &'a str: sqlx::ColumnIndex<R>,
        String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        DateTime<Utc>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    {
        let priority: String = r.try_get("priority")?;
        let status: String = r.try_get("status")?;
        let status = Status::parse(&status).unwrap_or(Status::New);
        let opened_at: DateTime<Utc> = r.try_get("opened_at")?;
        let due_at: DateTime<Utc> = r.try_get("due_at")?;
        let restricted: String = r.try_get("restricted")?;
        let close: Option<String> = r.try_get("close_requested_by")?;
        Ok(CaseSummary {
            id: r.try_get("id")?,
            reference: r.try_get("reference")?,
            case_type: r.try_get("case_type")?,
            priority: Priority::parse(&priority).unwrap_or(Priority::Normal),
            status,
            mission: r.try_get("mission_code")?,
            country: r.try_get("country")?,
            lead_officer: r.try_get("lead_officer")?,
            opened_at,
            due_at,
            rag: if status.is_open() {
                rag(opened_at, due_at, self.ctx.at)
            } else {
                Rag::Green
            },
            escalation: Escalation::from_level(r.try_get("escalation")?),
            restricted: !restricted.is_empty(),
            close_requested: close.is_some(),
        })
    }

    /// Load the case's scope and decide; on refusal write the denied row, answer NotFound.
    /// `lock` follows the query: the dialect's row lock ([`Dialect::for_update`]) when the
    /// transaction will decide on what it read and write (see [`Self::begin_gated`]).
    pub(crate) async fn gate<DB, T>(
        &self,
        tx: &mut T,
        id: &str,
        verb: Verb,
        action: AuditAction,
        lock: &str,
    ) -> Result<CaseScope>
    where
        DB: sqlx::Database,
        T: TxConn<Db = DB>,
        T: AuditTx,
        for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
        DB::Arguments: sqlx::IntoArguments<DB>,
        for<'a> &'a str: sqlx::ColumnIndex<DB::Row> + sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        String: for<'a> sqlx::Decode<'a, DB> + sqlx::Type<DB>,
        Option<String>: for<'a> sqlx::Decode<'a, DB> + sqlx::Type<DB>,
        bool: for<'a> sqlx::Decode<'a, DB> + sqlx::Type<DB>,
        i64: for<'a> sqlx::Decode<'a, DB> + sqlx::Type<DB>,
    {
        let sql = format!("SELECT {SCOPE_COLUMNS} FROM case_file c WHERE c.id = $1{lock}");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(self.ctx.who.account_id.as_str())
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(r) = row {
            let s = self.scope_from_row(&r)?;
            let d = decide(&self.ctx.who, verb, &s.scope, None);
            if d == Decision::Allow {
                return Ok(s);
            }
            tracing::info!(reason = ?d, action = %action, "case access denied");
        }
        tx.audit(&self.entry(action, AuditOutcome::Denied, id))
            .await?;
        Err(StoreError::NotFound)
    }

    /// Begin a write transaction and pass the case's gate in it (see [`crate::gate`]): the
    /// transaction and the case's scope, or the refusal after its `denied` row is committed.
    ///
    /// An edit locks the case's row until it commits (`SELECT … FOR UPDATE` on PostgreSQL;
    /// SQLite's single writer already serialises): what the edit decides on (the version, the
    /// status, a pending transfer) cannot change under it, and two edits of one case queue
    /// instead of both acting on the same read (ADR 0014).
    pub(crate) async fn begin_gated<P>(
        &self,
        pool: &P,
        id: &str,
        verb: Verb,
        action: AuditAction,
    ) -> Result<(P::Tx, CaseScope)>
    where
        P: Dialect,
        for<'e> &'e mut <P::Db as sqlx::Database>::Connection: sqlx::Executor<'e, Database = P::Db>,
        <P::Db as sqlx::Database>::Arguments: sqlx::IntoArguments<P::Db>,
        for<'a> &'a str: sqlx::ColumnIndex<<P::Db as sqlx::Database>::Row>
            + sqlx::Encode<'a, P::Db>
            + sqlx::Type<P::Db>,
        String: for<'a> sqlx::Decode<'a, P::Db> + sqlx::Type<P::Db>,
        Option<String>: for<'a> sqlx::Decode<'a, P::Db> + sqlx::Type<P::Db>,
        bool: for<'a> sqlx::Decode<'a, P::Db> + sqlx::Type<P::Db>,
        i64: for<'a> sqlx::Decode<'a, P::Db> + sqlx::Type<P::Db>,
    {
        let mut tx = pool.begin_write(&self.db).await?;
        let lock = crate::gate::lock_for(pool, verb);
        let checked = self.gate(&mut tx, id, verb, action, lock).await;
        crate::gate::settle(tx, &self.db, checked).await
    }

    fn encrypt(&self, table: &str, column: &str, id: &str, plain: &str) -> Result<String> {
        self.keys.encrypt_str(&Aad::new(table, column, id), plain)
    }
}
