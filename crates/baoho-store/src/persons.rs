//! The person registry behind the one authorization layer.
//!
//! [`Persons`] is a handle issued for one [`Identity`] (with the request's id and purpose).
//! It is the only way to a person's row: every method loads the record's scope, asks
//! [`baoho_domain::access::decide`], and writes its audit row in the same transaction as the
//! read or the change. A record outside the identity's scope is reported exactly like a
//! missing one ([`StoreError::NotFound`]) and leaves a `denied` audit row.

use crate::accounts::uuid_v7;
use crate::audit::{AuditAction, AuditEntry, AuditOutcome};
use crate::crypto::{Aad, Keyring};
use crate::db::{AuditTx, Commit, Db, Dialect, TxConn, on_db};
use crate::{Result, Store, StoreError};
use baoho_domain::access::{
    AgencyKind, BreakGlass, Decision, Identity, Restricted, Role, Scope, Verb, decide,
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

    /// Check the input and that this identity may hold a person there (create, or the new
    /// place of an edited person).
    fn check_input(&self, input: PersonInput) -> Result<PersonInput> {
        let input = input.normalise();
        input.validate().map_err(StoreError::Validation)?;
        let scope = Scope {
            missions: if input.mission.is_empty() {
                vec![]
            } else {
                vec![input.mission.clone()]
            },
            countries: if input.country.is_empty() {
                vec![]
            } else {
                vec![input.country.clone()]
            },
            restricted: input.restricted.clone(),
            // The creator is assigned to what they create (restricted records included).
            assigned: vec![self.ctx.who.account_id.clone()],
            ..Default::default()
        };
        if !decide(&self.ctx.who, Verb::Create, &scope, None).is_allowed() {
            return Err(StoreError::Validation(vec![FieldError {
                field: "mission".into(),
                code: "person.error.outside_scope",
            }]));
        }
        Ok(input)
    }

    fn encrypt_private(&self, id: &str, input: &PersonInput) -> Result<Option<String>> {
        if input.contacts.is_empty() && input.next_of_kin.is_empty() && input.notes.is_empty() {
            return Ok(None);
        }
        let private = Private {
            contacts: input.contacts.clone(),
            next_of_kin: input.next_of_kin.clone(),
            notes: input.notes.clone(),
        };
        let json = serde_json::to_string(&private)
            .map_err(|e| StoreError::Invalid(format!("private data: {e}")))?;
        Ok(Some(self.keys.encrypt_str(
            &Aad::new("person", "private_data", id),
            &json,
        )?))
    }

    /// Create a person. The creator is assigned to the record.
    pub async fn create(&self, input: PersonInput) -> Result<PersonRecord> {
        if !is_case_role(&self.ctx.who) {
            self.deny_only(AuditAction::Create, "").await?;
            return Err(StoreError::Forbidden);
        }
        let input = match self.check_input(input) {
            Ok(i) => i,
            Err(e) => {
                if matches!(&e, StoreError::Validation(v) if v.iter().any(|f| f.code == "person.error.outside_scope"))
                {
                    self.deny_only(AuditAction::Create, "").await?;
                }
                return Err(e);
            }
        };
        let id = uuid_v7();
        let private = self.encrypt_private(&id, &input)?;
        let docs = self.document_rows(&input.documents)?;
        let who = &self.ctx.who.account_id;
        let at = self.ctx.at;
        let entry = self.entry(AuditAction::Create, AuditOutcome::Allowed, &id);
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            self.insert_person(&mut tx, &id, &input, private.as_deref(), &docs)
                .await?;
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(PersonRecord {
            id: id.clone(),
            version: 1,
            hometown_province: input.hometown_province().map(str::to_owned),
            data: input,
            created_at: at,
            created_by: who.clone(),
            updated_at: at,
            updated_by: who.clone(),
            via_break_glass: false,
        })
    }

    /// Encrypt each document number and compute its blind index.
    fn document_rows(&self, docs: &[Document]) -> Result<Vec<(String, Document, String, String)>> {
        docs.iter()
            .map(|d| {
                let doc_id = uuid_v7();
                let number = self
                    .keys
                    .encrypt_str(&Aad::new("person_document", "number", &doc_id), &d.number)?;
                let index = self
                    .keys
                    .blind_index(BLIND_PURPOSE, &document_key(&d.number))?;
                Ok((doc_id, d.clone(), number, index))
            })
            .collect()
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
    /// On success returns the scope row and whether break-glass was needed. Runs in `tx`.
    pub(crate) async fn gate<DB, T>(
        &self,
        tx: &mut T,
        agg: &str,
        id: &str,
        verb: Verb,
        action: AuditAction,
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
        let sql = self.scope_sql(agg);
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

    async fn read_as(&self, id: &str, verb: Verb, action: AuditAction) -> Result<PersonRecord> {
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let gated = self.gate(&mut tx, pool.agg(), id, verb, action).await;
            let (s, glass) = match gated {
                Ok(g) => g,
                Err(e) => {
                    tx.commit_in(&self.db).await?;
                    return Err(e);
                }
            };
            let rec = self.load(&mut tx, &s, glass).await?;
            let mut entry = self.entry(action, AuditOutcome::Allowed, &s.id);
            if glass {
                entry.purpose = format!("break-glass; {}", entry.purpose);
                entry.purpose = entry.purpose.chars().take(500).collect();
            }
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
            Ok(rec)
        })
    }

    /// Read one person (audited `read`).
    pub async fn get(&self, id: &str) -> Result<PersonRecord> {
        self.read_as(id, Verb::Read, AuditAction::Read).await
    }

    /// Read one person for export (audited `export`; the export verb is narrower than read).
    pub async fn export(&self, id: &str) -> Result<PersonRecord> {
        self.read_as(id, Verb::Export, AuditAction::Export).await
    }

    /// Read one person to edit them (audited `read`, allowed only to those who may edit).
    pub async fn get_for_edit(&self, id: &str) -> Result<PersonRecord> {
        self.read_as(id, Verb::Edit, AuditAction::Read).await
    }

    /// Replace a person's data if `version` is still current; a stale version is a Conflict.
    pub async fn update(&self, id: &str, version: i64, input: PersonInput) -> Result<PersonRecord> {
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let gated = self
                .gate(&mut tx, pool.agg(), id, Verb::Edit, AuditAction::Update)
                .await;
            let (s, glass) = match gated {
                Ok(g) => g,
                Err(e) => {
                    tx.commit_in(&self.db).await?;
                    return Err(e);
                }
            };
            let input = self.check_input(input)?;
            let private = self.encrypt_private(&s.id, &input)?;
            let docs = self.document_rows(&input.documents)?;
            let (y, m, d) = birth_parts(input.birth);
            let r = sqlx::query(
                "UPDATE person SET version = version + 1, full_name = $3, other_names = $4, name_folded = $5, birth_year = $6, birth_month = $7, birth_day = $8, sex = $9, hometown = $10, hometown_province = $11, nationality = $12, country = $13, mission_code = $14, restricted = $15, private_data = $16, updated_at = $17, updated_by = $18 \
                 WHERE rid = $1 AND version = $2",
            )
            .bind(s.rid)
            .bind(version)
            .bind(&input.full_name)
            .bind(&input.other_names)
            .bind(input.name_folded())
            .bind(y)
            .bind(m)
            .bind(d)
            .bind(input.sex.as_str())
            .bind(&input.hometown)
            .bind(input.hometown_province())
            .bind(&input.nationality)
            .bind(&input.country)
            .bind(&input.mission)
            .bind(Restricted::join(&input.restricted))
            .bind(&private)
            .bind(self.ctx.at)
            .bind(&self.ctx.who.account_id)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() == 0 {
                return Err(StoreError::Conflict(
                    "the person was changed by someone else since you opened it".into(),
                ));
            }
            sqlx::query("DELETE FROM person_document WHERE person_rid = $1")
                .bind(s.rid)
                .execute(&mut *tx)
                .await?;
            for (doc_id, doc, number, index) in &docs {
                sqlx::query("INSERT INTO person_document (id, person_rid, kind, number, number_index, issuing_country, issued_by, issued_on, expires_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(doc_id).bind(s.rid).bind(doc.kind.as_str()).bind(number).bind(index)
                    .bind(&doc.issuing_country).bind(&doc.issued_by).bind(&doc.issued_on).bind(&doc.expires_on)
                    .execute(&mut *tx).await?;
            }
            let mut entry = self.entry(AuditAction::Update, AuditOutcome::Allowed, &s.id);
            if glass {
                entry.purpose = format!("break-glass; {}", entry.purpose)
                    .chars()
                    .take(500)
                    .collect();
            }
            tx.audit(&entry).await?;
            let rec = self.load(&mut tx, &s, glass).await?;
            tx.commit_in(&self.db).await?;
            Ok(rec)
        })
    }

    /// Assign an account to a person (needed to see restricted records without break-glass).
    pub async fn assign(&self, id: &str, account_id: &str) -> Result<()> {
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let (s, _) = match self
                .gate(&mut tx, pool.agg(), id, Verb::Edit, AuditAction::Update)
                .await
            {
                Ok(g) => g,
                Err(e) => {
                    tx.commit_in(&self.db).await?;
                    return Err(e);
                }
            };
            sqlx::query("INSERT INTO person_assignment (person_rid, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(s.rid)
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
            let entry = self
                .entry(AuditAction::Update, AuditOutcome::Allowed, &s.id)
                .purpose(format!("assign {}", safe_object_id(account_id)));
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }

    /// Refer a person to a partner agency (its liaison may then read them). Audited `disclose`.
    pub async fn refer(&self, id: &str, agency_code: &str) -> Result<()> {
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let (s, _) = match self
                .gate(&mut tx, pool.agg(), id, Verb::Edit, AuditAction::Disclose)
                .await
            {
                Ok(g) => g,
                Err(e) => {
                    tx.commit_in(&self.db).await?;
                    return Err(e);
                }
            };
            sqlx::query("INSERT INTO person_referral (person_rid, agency_code) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(s.rid)
                .bind(agency_code)
                .execute(&mut *tx)
                .await?;
            let entry = self
                .entry(AuditAction::Disclose, AuditOutcome::Allowed, &s.id)
                .purpose(format!("referral to {}", safe_object_id(agency_code)));
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }

    /// Break the glass on a restricted record: a written reason opens it to this officer for
    /// [`BREAK_GLASS_HOURS`]; the officer's supervisor and the heads of their agency are
    /// notified in the same transaction. Scope is never widened: outside it, NotFound.
    pub async fn break_glass(&self, id: &str, reason: &str) -> Result<()> {
        let reason = baoho_domain::text::nfc(reason.trim());
        if !(BreakGlass { reason: &reason }).is_valid() {
            return Err(StoreError::Validation(vec![FieldError {
                field: "reason".into(),
                code: "person.error.reason_required",
            }]));
        }
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let sql = self.scope_sql(pool.agg());
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(self.ctx.who.account_id.as_str())
                .bind(self.ctx.at)
                .fetch_optional(&mut *tx)
                .await?;
            let s = match row {
                Some(r) => Some(self.scope_from_row(&r)?),
                None => None,
            };
            let bg = BreakGlass { reason: &reason };
            let allowed = s
                .as_ref()
                .filter(|s| decide(&self.ctx.who, Verb::Read, &s.scope, Some(&bg)).is_allowed());
            let Some(s) = allowed else {
                tx.audit(&self.entry(AuditAction::BreakGlass, AuditOutcome::Denied, id))
                    .await?;
                tx.commit_in(&self.db).await?;
                return Err(StoreError::NotFound);
            };
            let grant = uuid_v7();
            let envelope = self
                .keys
                .encrypt_str(&Aad::new("break_glass", "reason", &grant), &reason)?;
            sqlx::query("INSERT INTO break_glass (id, person_rid, account_id, reason, at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&grant)
                .bind(s.rid)
                .bind(&self.ctx.who.account_id)
                .bind(&envelope)
                .bind(self.ctx.at)
                .bind(self.ctx.at + Duration::hours(BREAK_GLASS_HOURS))
                .execute(&mut *tx)
                .await?;
            // The supervisor, and every head of mission or HQ head of the officer's agency.
            let recipients: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM account WHERE disabled = $4 AND id <> $3 AND (id = (SELECT supervisor_id FROM account WHERE id = $3) OR (role = $1 AND agency_code = $2))",
            )
            .bind(Role::HeadOfMission.as_str())
            .bind(&self.ctx.who.agency.code)
            .bind(&self.ctx.who.account_id)
            .bind(false)
            .fetch_all(&mut *tx)
            .await?;
            for r in &recipients {
                sqlx::query("INSERT INTO notification (id, recipient, kind, object_kind, object_id, actor, at) VALUES ($1, $2, 'break_glass', 'person', $3, $4, $5)")
                    .bind(uuid_v7())
                    .bind(r)
                    .bind(&s.id)
                    .bind(&self.ctx.who.account_id)
                    .bind(self.ctx.at)
                    .execute(&mut *tx)
                    .await?;
            }
            let entry = self
                .entry(AuditAction::BreakGlass, AuditOutcome::Allowed, &s.id)
                .purpose(format!("grant {grant}; {} notified", recipients.len()));
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }

    /// Whether this identity could break the glass on `id` (the record exists in scope and is
    /// only closed by its restricted category). Writes nothing; used to offer the form.
    pub async fn can_break_glass(&self, id: &str) -> Result<bool> {
        on_db!(self.db, |pool| {
            let sql = self.scope_sql(pool.agg());
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(self.ctx.who.account_id.as_str())
                .bind(self.ctx.at)
                .fetch_optional(pool)
                .await?;
            let Some(row) = row else { return Ok(false) };
            let s = self.scope_from_row(&row)?;
            Ok(decide(&self.ctx.who, Verb::Read, &s.scope, None)
                == Decision::Deny(baoho_domain::access::DenyReason::RestrictedNeedsAssignment))
        })
    }

    /// The SQL condition (and its parameters, numbered from `first`) that keeps only persons
    /// this identity may find. It mirrors [`decide`] for `Verb::Search`; every hit is checked
    /// with [`decide`] again before it is returned.
    fn search_scope(&self, first: usize) -> (String, Vec<String>) {
        let who = &self.ctx.who;
        let mut params = Vec::new();
        let mut next = first;
        let mut p = |v: &str, params: &mut Vec<String>| {
            params.push(v.to_owned());
            let s = format!("${next}");
            next += 1;
            s
        };
        let place = match who.role {
            Role::HqOfficer | Role::HeadOfMission
                if who.agency.kind == AgencyKind::ConsularDepartment =>
            {
                "1 = 1".to_owned()
            }
            Role::MissionOfficer | Role::HeadOfMission
                if who.agency.kind == AgencyKind::Mission =>
            {
                let m = p(&who.agency.code, &mut params);
                let cs: Vec<String> = who.jurisdiction.iter().map(|c| p(c, &mut params)).collect();
                // On SQLite the unary `+` keeps these columns' indexes out of the plan: without
                // statistics the planner would otherwise drive the search from them and probe
                // the FTS index once per person of the mission (over a second per search with
                // a few hundred thousand persons there; `baoho bench search`). The name or
                // document match drives; the scope filters its rows.
                let plus = if matches!(self.db.0, crate::db::Pools::Sqlite(..)) {
                    "+"
                } else {
                    ""
                };
                if cs.is_empty() {
                    format!("{plus}p.mission_code = {m}")
                } else {
                    format!(
                        "({plus}p.mission_code = {m} OR {plus}p.country IN ({}))",
                        cs.join(", ")
                    )
                }
            }
            Role::PartnerLiaison => {
                let a = p(&who.agency.code, &mut params);
                format!(
                    "EXISTS (SELECT 1 FROM person_referral r WHERE r.person_rid = p.rid AND r.agency_code = {a})"
                )
            }
            _ => "1 = 0".to_owned(),
        };
        if who.role == Role::PartnerLiaison {
            return (place, params);
        }
        let me = p(&who.account_id, &mut params);
        (
            format!(
                "{place} AND (p.restricted = '' OR EXISTS (SELECT 1 FROM person_assignment a WHERE a.person_rid = p.rid AND a.account_id = {me}))"
            ),
            params,
        )
    }

    /// Find persons by name (any order, diacritics and case ignored: `nguyen van a` finds
    /// `Nguyễn Văn A`, `d` finds `đ`) or by document number. Only persons in scope are
    /// returned. One `search` audit row (no query text: it holds names).
    pub async fn search(&self, q: &PersonQuery) -> Result<SearchResult> {
        if !is_case_role(&self.ctx.who) {
            self.deny_only(AuditAction::Search, "").await?;
            return Err(StoreError::Forbidden);
        }
        let words = q.words();
        let doc = q.document_key();
        if words.is_empty() && doc.is_none() {
            return Ok(SearchResult {
                hits: vec![],
                more: false,
            });
        }
        let limit = if q.limit == 0 {
            50
        } else {
            q.limit.min(MAX_HITS)
        };
        let doc_indexes = match &doc {
            Some(k) => self.keys.blind_indexes(BLIND_PURPOSE, k)?,
            None => vec![],
        };
        let entry = self.entry(AuditAction::Search, AuditOutcome::Allowed, "");
        on_db!(self.db, |pool| {
            // $1 account (assignment), $2 now (break-glass), then the match, then scope.
            let mut binds: Vec<String> = Vec::new();
            let (join, matcher) = if doc_indexes.is_empty() {
                binds.push(pool.name_query(&words));
                let (join, cond) = pool.name_match(3);
                (join, cond)
            } else {
                let ps: Vec<String> = (0..doc_indexes.len())
                    .map(|i| format!("${}", 3 + i))
                    .collect();
                binds.extend(doc_indexes.iter().cloned());
                (
                    "",
                    format!(
                        "p.rid IN (SELECT person_rid FROM person_document WHERE number_index IN ({}))",
                        ps.join(", ")
                    ),
                )
            };
            let (scope, scope_params) = self.search_scope(3 + binds.len());
            binds.extend(scope_params);
            let year_cond = match q.birth_year {
                Some(_) => format!(" AND p.birth_year = ${}", 3 + binds.len()),
                None => String::new(),
            };
            let limit_param = 3 + binds.len() + usize::from(q.birth_year.is_some());
            let sql = format!(
                "SELECT p.rid, p.id, p.full_name, p.other_names, p.birth_year, p.birth_month, p.birth_day, p.sex, p.hometown, p.country, p.mission_code, p.restricted, \
                 (SELECT {agg}(r.agency_code, ',') FROM person_referral r WHERE r.person_rid = p.rid) AS referred, \
                 EXISTS (SELECT 1 FROM person_assignment a WHERE a.person_rid = p.rid AND a.account_id = $1) AS assigned, \
                 EXISTS (SELECT 1 FROM break_glass g WHERE g.person_rid = p.rid AND g.account_id = $1 AND g.expires_at > $2) AS glass \
                 FROM person p{join} WHERE {matcher} AND {scope}{year_cond} LIMIT ${limit_param}",
                agg = pool.agg()
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(self.ctx.who.account_id.as_str())
                .bind(self.ctx.at);
            for b in &binds {
                query = query.bind(b.as_str());
            }
            if let Some(y) = q.birth_year {
                query = query.bind(i64::from(y));
            }
            let rows = query.bind(i64::from(limit) + 1).fetch_all(pool).await?;
            let more = rows.len() > limit as usize;
            let mut hits = Vec::with_capacity(rows.len().min(limit as usize));
            for r in rows.iter().take(limit as usize) {
                if let Some(hit) = self.summary_if_searchable(r)? {
                    hits.push(hit);
                }
            }
            let mut tx = pool.begin_write(&self.db).await?;
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
            Ok(SearchResult { hits, more })
        })
    }

    /// A search row as a hit, if [`decide`] lets this identity find it (the SQL scope already
    /// filtered; this is the second check).
    fn summary_if_searchable<R: Row>(&self, r: &R) -> Result<Option<PersonSummary>>
    where
        for<'a> &'a str: sqlx::ColumnIndex<R>,
        String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        bool: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        Option<i64>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    {
        let s = self.scope_from_row(r)?;
        if !decide(&self.ctx.who, Verb::Search, &s.scope, None).is_allowed() {
            return Ok(None);
        }
        let sex: String = r.try_get("sex")?;
        Ok(Some(PersonSummary {
            id: s.id,
            full_name: r.try_get("full_name")?,
            other_names: r.try_get("other_names")?,
            birth: birth_from(
                r.try_get("birth_year")?,
                r.try_get("birth_month")?,
                r.try_get("birth_day")?,
            ),
            sex: Sex::parse(&sex).unwrap_or_default(),
            hometown: r.try_get("hometown")?,
            country: s.scope.countries.first().cloned().unwrap_or_default(),
            mission: s.scope.missions.first().cloned().unwrap_or_default(),
            restricted: s.scope.restricted,
        }))
    }

    /// The summaries of the persons `ids` that this identity may find, in the order given
    /// (ids outside its scope, or missing, are left out without a trace in the answer). For
    /// candidates found elsewhere (the duplicate matcher): the same scope as [`Self::search`]
    /// and one `search` audit row, whose purpose is the handle's. At most [`MAX_HITS`] ids.
    pub async fn summaries(&self, ids: &[String]) -> Result<Vec<PersonSummary>> {
        if !is_case_role(&self.ctx.who) {
            self.deny_only(AuditAction::Search, "").await?;
            return Err(StoreError::Forbidden);
        }
        let mut wanted: Vec<&str> = Vec::with_capacity(ids.len());
        for id in ids.iter().map(String::as_str) {
            if !wanted.contains(&id) && !safe_object_id(id).is_empty() {
                wanted.push(id);
            }
        }
        wanted.truncate(MAX_HITS as usize);
        if wanted.is_empty() {
            return Ok(vec![]);
        }
        let entry = self.entry(AuditAction::Search, AuditOutcome::Allowed, "");
        on_db!(self.db, |pool| {
            // $1 account (assignment), $2 now (break-glass), then the ids, then scope.
            let ps: Vec<String> = (0..wanted.len()).map(|i| format!("${}", 3 + i)).collect();
            let (scope, scope_params) = self.search_scope(3 + wanted.len());
            let sql = format!(
                "SELECT p.rid, p.id, p.full_name, p.other_names, p.birth_year, p.birth_month, p.birth_day, p.sex, p.hometown, p.country, p.mission_code, p.restricted, \
                 (SELECT {agg}(r.agency_code, ',') FROM person_referral r WHERE r.person_rid = p.rid) AS referred, \
                 EXISTS (SELECT 1 FROM person_assignment a WHERE a.person_rid = p.rid AND a.account_id = $1) AS assigned, \
                 EXISTS (SELECT 1 FROM break_glass g WHERE g.person_rid = p.rid AND g.account_id = $1 AND g.expires_at > $2) AS glass \
                 FROM person p WHERE p.id IN ({ids}) AND {scope}",
                agg = pool.agg(),
                ids = ps.join(", "),
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(self.ctx.who.account_id.as_str())
                .bind(self.ctx.at);
            for id in &wanted {
                query = query.bind(*id);
            }
            for b in &scope_params {
                query = query.bind(b.as_str());
            }
            let rows = query.fetch_all(pool).await?;
            let mut hits = Vec::with_capacity(rows.len());
            for r in &rows {
                if let Some(hit) = self.summary_if_searchable(r)? {
                    hits.push(hit);
                }
            }
            hits.sort_by_key(|h| wanted.iter().position(|w| *w == h.id));
            let mut tx = pool.begin_write(&self.db).await?;
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
            Ok(hits)
        })
    }

    /// Insert one checked person (its row, documents and the creator's assignment) inside
    /// `tx`; the caller writes the audit row. Shared by [`Self::create`] and [`Self::import`].
    async fn insert_person<DB, T>(
        &self,
        tx: &mut T,
        id: &str,
        input: &PersonInput,
        private: Option<&str>,
        docs: &[(String, Document, String, String)],
    ) -> Result<i64>
    where
        DB: sqlx::Database,
        T: TxConn<Db = DB>,
        for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
        DB::Arguments: sqlx::IntoArguments<DB>,
        for<'a> &'a str: sqlx::ColumnIndex<DB::Row> + sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        for<'a> Option<&'a str>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        i64: for<'a> sqlx::Encode<'a, DB> + for<'a> sqlx::Decode<'a, DB> + sqlx::Type<DB>,
        Option<i64>: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        DateTime<Utc>: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    {
        let who = self.ctx.who.account_id.as_str();
        let (y, m, d) = birth_parts(input.birth);
        let folded = input.name_folded();
        let restricted = Restricted::join(&input.restricted);
        let row = sqlx::query(
            "INSERT INTO person (id, version, full_name, other_names, name_folded, birth_year, birth_month, birth_day, sex, hometown, hometown_province, nationality, country, mission_code, restricted, private_data, created_at, created_by, updated_at, updated_by) \
             VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $16, $17) RETURNING rid",
        )
        .bind(id)
        .bind(input.full_name.as_str())
        .bind(input.other_names.as_str())
        .bind(folded.as_str())
        .bind(y)
        .bind(m)
        .bind(d)
        .bind(input.sex.as_str())
        .bind(input.hometown.as_str())
        .bind(input.hometown_province())
        .bind(input.nationality.as_str())
        .bind(input.country.as_str())
        .bind(input.mission.as_str())
        .bind(restricted.as_str())
        .bind(private)
        .bind(self.ctx.at)
        .bind(who)
        .fetch_one(&mut **tx)
        .await?;
        let rid: i64 = row.try_get("rid")?;
        for (doc_id, doc, number, index) in docs {
            sqlx::query("INSERT INTO person_document (id, person_rid, kind, number, number_index, issuing_country, issued_by, issued_on, expires_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(doc_id.as_str()).bind(rid).bind(doc.kind.as_str()).bind(number.as_str()).bind(index.as_str())
                .bind(doc.issuing_country.as_str()).bind(doc.issued_by.as_str()).bind(doc.issued_on.as_deref()).bind(doc.expires_on.as_deref())
                .execute(&mut **tx).await?;
        }
        sqlx::query("INSERT INTO person_assignment (person_rid, account_id) VALUES ($1, $2)")
            .bind(rid)
            .bind(who)
            .execute(&mut **tx)
            .await?;
        Ok(rid)
    }

    /// Create many persons at once (a registry import): every input goes through the same
    /// checks as [`Self::create`], and the whole batch is written in one transaction with one
    /// `import` audit row per person, or not at all. A problem in any input refuses the batch;
    /// its field names are prefixed with the input's index (`[3].full_name`). The creator is
    /// assigned to every person. Returns the new ids in input order. Callers pass batches
    /// (a few thousand): the write lock is held for the whole call.
    pub async fn import(&self, inputs: Vec<PersonInput>) -> Result<Vec<String>> {
        if !is_case_role(&self.ctx.who) {
            self.deny_only(AuditAction::Import, "").await?;
            return Err(StoreError::Forbidden);
        }
        let mut rows = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.into_iter().enumerate() {
            let input = match self.check_input(input) {
                Ok(input) => input,
                Err(StoreError::Validation(errs)) => {
                    if errs.iter().any(|f| f.code == "person.error.outside_scope") {
                        self.deny_only(AuditAction::Import, "").await?;
                    }
                    return Err(StoreError::Validation(
                        errs.into_iter()
                            .map(|f| FieldError {
                                field: format!("[{i}].{}", f.field),
                                code: f.code,
                            })
                            .collect(),
                    ));
                }
                Err(e) => return Err(e),
            };
            let id = uuid_v7();
            let private = self.encrypt_private(&id, &input)?;
            let docs = self.document_rows(&input.documents)?;
            rows.push((id, input, private, docs));
        }
        if rows.is_empty() {
            return Ok(vec![]);
        }
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            for (id, input, private, docs) in &rows {
                self.insert_person(&mut tx, id, input, private.as_deref(), docs)
                    .await?;
                tx.audit(&self.entry(AuditAction::Import, AuditOutcome::Allowed, id))
                    .await?;
            }
            tx.commit_in(&self.db).await?;
        });
        Ok(rows.into_iter().map(|(id, ..)| id).collect())
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
