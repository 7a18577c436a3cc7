//! The person registry behind the one authorization layer.
//!
//! [`Persons`] is a handle issued for one [`Identity`] (with the request's id and purpose).
//! It is the only way to a person's row: every method loads the record's scope, asks
//! [`baoho_domain::access::decide`], and writes its audit row in the same transaction as the
//! read or the change. A record outside the identity's scope is reported exactly like a
//! missing one ([`StoreError::NotFound`]) and leaves a `denied` audit row.

mod read;
pub mod registry;
mod search;
mod sharing;
mod write;

use crate::Identity;
use crate::accounts::uuid_v7;
use crate::audit::{AuditAction, AuditEntry, AuditOutcome};
use crate::crypto::{Aad, Keyring};
use crate::db::{AuditTx, Commit, Db, Dialect, TxConn, on_db};
use crate::{Result, Store, StoreError};
use baoho_domain::access::{
    AgencyKind, BreakGlass, Decision, LiftRefusal, Restricted, Role, Scope, Verb, decide, lifted,
    may_lift_restriction,
};
use baoho_domain::date::PartialDate;
use baoho_domain::person::{
    Contact, Document, DocumentKind, FieldError, NextOfKin, PersonInput, PersonQuery, Sex,
    document_key,
};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::sync::Arc;

/// Who asks, why, and when: every audit row written through a handle carries it.
#[derive(Debug, Clone)]
pub struct AccessCtx {
    pub who: Identity,
    /// The HTTP request id (or job id).
    pub request_id: String,
    /// Why (a case reference, a legal basis); may be empty. Never a name.
    pub purpose: String,
    pub at: DateTime<Utc>,
}

/// A person as the registry holds them, decrypted for an authorised reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PersonRecord {
    pub id: String,
    /// Send it back with an edit: a stale version is refused (409).
    pub version: i64,
    #[serde(flatten)]
    pub data: PersonInput,
    /// The 2025 province code of the hometown, when recognised.
    pub hometown_province: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    /// Opened through a break-glass grant (shown on the page).
    pub via_break_glass: bool,
}

/// One search hit: enough to recognise the person, nothing restricted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PersonSummary {
    pub id: String,
    pub full_name: String,
    pub other_names: String,
    pub birth: Option<PartialDate>,
    pub sex: Sex,
    pub hometown: String,
    pub country: String,
    pub mission: String,
    pub restricted: Vec<Restricted>,
}

/// Search results: at most `limit` hits, and whether there were more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SearchResult {
    pub hits: Vec<PersonSummary>,
    pub more: bool,
}

/// The private part, stored as one encrypted JSON envelope.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Private {
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    next_of_kin: Vec<NextOfKin>,
    #[serde(default)]
    notes: String,
}

/// How long a break-glass grant lasts.
pub const BREAK_GLASS_HOURS: i64 = 4;
/// Most hits one search returns.
pub const MAX_HITS: u32 = 100;

/// The reason carried for a stored (already validated) grant when asking the policy again.
const STORED_GRANT: BreakGlass<'static> = BreakGlass {
    reason: "stored break-glass grant with a written reason",
};

pub(crate) const BLIND_PURPOSE: &str = "person_document.number";

/// The scoped handle. Build with [`Persons::new`]; nothing else in the system reads persons.
pub struct Persons {
    db: Db,
    keys: Arc<Keyring>,
    ctx: AccessCtx,
}

/// The scope columns of a person row, as loaded in one query.
pub(crate) struct ScopeRow {
    pub(crate) rid: i64,
    pub(crate) id: String,
    scope: Scope,
    glass: bool,
}

impl ScopeRow {
    fn decide(&self, who: &Identity, verb: Verb) -> (Decision, bool) {
        let plain = decide(who, verb, &self.scope, None);
        if plain.is_allowed() || !self.glass {
            return (plain, false);
        }
        let d = decide(who, verb, &self.scope, Some(&STORED_GRANT));
        (d, d.is_allowed())
    }
}

fn safe_object_id(id: &str) -> &str {
    let ok = id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'@'));
    if ok { id } else { "" }
}

fn is_case_role(who: &Identity) -> bool {
    !matches!(
        who.role,
        Role::Administrator | Role::Auditor | Role::Analyst
    )
}

impl Persons {
    pub fn new(store: &dyn Store, keys: Arc<Keyring>, ctx: AccessCtx) -> Self {
        Self {
            db: Db::of(store),
            keys,
            ctx,
        }
    }

    pub fn identity(&self) -> &Identity {
        &self.ctx.who
    }

    fn entry(&self, action: AuditAction, outcome: AuditOutcome, id: &str) -> AuditEntry {
        AuditEntry::new(self.ctx.at, &self.ctx.who.account_id, action, outcome)
            .role(self.ctx.who.role.as_str())
            .agency(&self.ctx.who.agency.code)
            .object("person", safe_object_id(id))
            .purpose(&self.ctx.purpose)
            .request(&self.ctx.request_id)
    }

    /// The scope of one person, seen by this identity (assignment and break-glass are "mine").
    fn scope_sql(&self, agg: &str) -> String {
        format!(
            "SELECT p.rid, p.id, p.mission_code, p.country, p.restricted, \
             (SELECT {agg}(r.agency_code, ',') FROM person_referral r WHERE r.person_rid = p.rid) AS referred, \
             EXISTS (SELECT 1 FROM person_assignment a WHERE a.person_rid = p.rid AND a.account_id = $2) AS assigned, \
             EXISTS (SELECT 1 FROM break_glass g WHERE g.person_rid = p.rid AND g.account_id = $2 AND g.expires_at > $3) AS glass \
             FROM person p WHERE p.id = $1"
        )
    }

    fn scope_from_row<R: Row>(&self, r: &R) -> Result<ScopeRow>
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
        let referred: Option<String> = r.try_get("referred")?;
        let assigned: bool = r.try_get("assigned")?;
        Ok(ScopeRow {
            rid: r.try_get("rid")?,
            id: r.try_get("id")?,
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
                referred_to: referred
                    .unwrap_or_default()
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                restricted: Restricted::split(&restricted),
                assigned: if assigned {
                    vec![self.ctx.who.account_id.clone()]
                } else {
                    vec![]
                },
            },
            glass: r.try_get("glass")?,
        })
    }

    /// Write a denied row on its own (no object to lock).
    async fn deny_only(&self, action: AuditAction, id: &str) -> Result<()> {
        let entry = self.entry(action, AuditOutcome::Denied, id);
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }

    /// Load the scope of `id` and decide; on refusal write the denied row and answer NotFound.
    /// On success returns the scope row and whether break-glass was needed. Runs in `tx`;
    /// `lock` follows the query (the dialect's row lock for an edit, see [`crate::gate::lock_for`]).
    pub(crate) async fn gate<DB, T>(
        &self,
        tx: &mut T,
        agg: &str,
        id: &str,
        verb: Verb,
        action: AuditAction,
        lock: &str,
    ) -> Result<(ScopeRow, bool)>
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
        DateTime<Utc>: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    {
        let sql = format!("{}{lock}", self.scope_sql(agg));
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(self.ctx.who.account_id.as_str())
            .bind(self.ctx.at)
            .fetch_optional(&mut **tx)
            .await?;
        let scoped = match row {
            Some(r) => Some(self.scope_from_row(&r)?),
            None => None,
        };
        match scoped {
            Some(s) => {
                let (d, glass) = s.decide(&self.ctx.who, verb);
                if d.is_allowed() {
                    return Ok((s, glass));
                }
                tracing::info!(reason = ?d, action = %action, "person access denied");
            }
            None => tracing::info!(action = %action, "person not found"),
        }
        tx.audit(&self.entry(action, AuditOutcome::Denied, id))
            .await?;
        Err(StoreError::NotFound)
    }

    /// Begin a write transaction and pass the person's gate in it (see [`crate::gate`]): the
    /// transaction, the person's scope and whether break-glass opened it, or the refusal after
    /// its `denied` row is committed.
    pub(crate) async fn begin_gated<P>(
        &self,
        pool: &P,
        id: &str,
        verb: Verb,
        action: AuditAction,
    ) -> Result<(P::Tx, (ScopeRow, bool))>
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
        DateTime<Utc>: for<'a> sqlx::Encode<'a, P::Db> + sqlx::Type<P::Db>,
    {
        let mut tx = pool.begin_write(&self.db).await?;
        let lock = crate::gate::lock_for(pool, verb);
        let checked = self.gate(&mut tx, pool.agg(), id, verb, action, lock).await;
        crate::gate::settle(tx, &self.db, checked).await
    }

    async fn load<DB, T>(
        &self,
        tx: &mut T,
        s: &ScopeRow,
        via_break_glass: bool,
    ) -> Result<PersonRecord>
    where
        DB: sqlx::Database,
        T: TxConn<Db = DB>,
        for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
        DB::Arguments: sqlx::IntoArguments<DB>,
        for<'a> &'a str: sqlx::ColumnIndex<DB::Row>,
        String: for<'a> sqlx::Decode<'a, DB> + sqlx::Type<DB>,
        Option<String>: for<'a> sqlx::Decode<'a, DB> + sqlx::Type<DB>,
        i64: for<'a> sqlx::Encode<'a, DB> + for<'a> sqlx::Decode<'a, DB> + sqlx::Type<DB>,
        Option<i64>: for<'a> sqlx::Decode<'a, DB> + sqlx::Type<DB>,
        DateTime<Utc>: for<'a> sqlx::Decode<'a, DB> + sqlx::Type<DB>,
    {
        let r = sqlx::query("SELECT * FROM person WHERE rid = $1")
            .bind(s.rid)
            .fetch_one(&mut **tx)
            .await?;
        let docs = sqlx::query("SELECT id, kind, number, issuing_country, issued_by, issued_on, expires_on FROM person_document WHERE person_rid = $1 ORDER BY id")
            .bind(s.rid)
            .fetch_all(&mut **tx)
            .await?;
        let mut documents = Vec::with_capacity(docs.len());
        for d in &docs {
            let doc_id: String = d.try_get("id")?;
            let kind: String = d.try_get("kind")?;
            let number: String = d.try_get("number")?;
            documents.push(Document {
                kind: DocumentKind::parse(&kind).unwrap_or(DocumentKind::Other),
                number: self
                    .keys
                    .decrypt_string(&Aad::new("person_document", "number", &doc_id), &number)?
                    .to_string(),
                issuing_country: d.try_get("issuing_country")?,
                issued_by: d.try_get("issued_by")?,
                issued_on: d.try_get("issued_on")?,
                expires_on: d.try_get("expires_on")?,
            });
        }
        let private: Option<String> = r.try_get("private_data")?;
        let private: Private = match private {
            Some(env) => {
                let json = self
                    .keys
                    .decrypt_string(&Aad::new("person", "private_data", &s.id), &env)?;
                serde_json::from_str(&json)
                    .map_err(|e| StoreError::Invalid(format!("private data: {e}")))?
            }
            None => Private::default(),
        };
        let sex: String = r.try_get("sex")?;
        let restricted: String = r.try_get("restricted")?;
        Ok(PersonRecord {
            id: s.id.clone(),
            version: r.try_get("version")?,
            data: PersonInput {
                full_name: r.try_get("full_name")?,
                other_names: r.try_get("other_names")?,
                birth: birth_from(
                    r.try_get("birth_year")?,
                    r.try_get("birth_month")?,
                    r.try_get("birth_day")?,
                ),
                sex: Sex::parse(&sex).unwrap_or_default(),
                hometown: r.try_get("hometown")?,
                nationality: r.try_get("nationality")?,
                country: r.try_get("country")?,
                mission: r.try_get("mission_code")?,
                restricted: Restricted::split(&restricted),
                documents,
                contacts: private.contacts,
                next_of_kin: private.next_of_kin,
                notes: private.notes,
            },
            hometown_province: r.try_get("hometown_province")?,
            created_at: r.try_get("created_at")?,
            created_by: r.try_get("created_by")?,
            updated_at: r.try_get("updated_at")?,
            updated_by: r.try_get("updated_by")?,
            via_break_glass,
        })
    }
}

fn birth_parts(b: Option<PartialDate>) -> (Option<i64>, Option<i64>, Option<i64>) {
    match b {
        Some(d) => (
            Some(i64::from(d.year)),
            d.month.map(i64::from),
            d.day.map(i64::from),
        ),
        None => (None, None, None),
    }
}

pub(crate) fn birth_from(y: Option<i64>, m: Option<i64>, d: Option<i64>) -> Option<PartialDate> {
    let y = u16::try_from(y?).ok()?;
    PartialDate::new(
        y,
        m.and_then(|m| u8::try_from(m).ok()),
        d.and_then(|d| u8::try_from(d).ok()),
    )
    .ok()
}
