//! Referrals of a case to a partner agency, and the partner's inbox.
//!
//! A referral carries a snapshot of only the fields the officer chose for the receiver,
//! encrypted at rest; it needs the person's consent, or an override with a written reason that
//! a supervisor approves before anything is sent. Partners reach referrals only through
//! [`Inbox`](crate::inbox::Inbox), issued for their identity: a referral to another agency does not exist for them
//! (404 and a denied audit row). They never see the case itself.
//!
//! A foreign state (`STATE-<ISO alpha-2>`) has no inbox in Baoho: its referral goes out through
//! the diplomatic channel as a printed letter carrying the same snapshot, and the case's own
//! officers record the state's answer on the case (through the case gate, audited, on the
//! timeline).

use crate::accounts::uuid_v7;
use crate::audit::{AuditAction, AuditEntry, AuditOutcome};
use crate::cases::Cases;
use crate::crypto::{Aad, Keyring};
use crate::db::{AuditTx, Commit, Dialect, on_db};
use crate::{Result, StoreError};
use baoho_domain::access::{AgencyKind, Role, Verb};
use baoho_domain::person::{Document, FieldError, NextOfKin, Sex};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// The fields an officer may send, each chosen explicitly.
pub const FIELDS: &[&str] = &[
    "identity",
    "hometown",
    "documents",
    "family",
    "location",
    "summary",
];

/// What the officer asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReferralRequest {
    /// `MPS` (police), `MND` (defence), `P-<province code>` or `STATE-<ISO alpha-2>` (a partner
    /// state, through the diplomatic channel).
    pub agency: String,
    /// What the partner is asked to do (verify identity, receive at the border…).
    pub purpose: String,
    /// Which of `identity`, `hometown`, `documents`, `family`, `location`, `summary` to send.
    pub fields: Vec<String>,
    /// The person agreed to the referral.
    #[serde(default)]
    pub consent: bool,
    /// Without consent: why the referral must go anyway (a supervisor approves it).
    #[serde(default)]
    pub override_reason: String,
}

/// One person as a partner receives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PersonSnapshot {
    pub full_name: Option<String>,
    pub birth: Option<String>,
    pub sex: Option<Sex>,
    pub hometown: Option<String>,
    pub documents: Vec<Document>,
    pub next_of_kin: Vec<NextOfKin>,
}

/// What was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Snapshot {
    pub case_reference: String,
    pub case_type: String,
    pub country: Option<String>,
    pub city: Option<String>,
    pub summary: Option<String>,
    pub persons: Vec<PersonSnapshot>,
}

/// A referral as either side sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Referral {
    pub id: String,
    pub agency: String,
    /// `inbox` (a Vietnamese agency answers in Baoho) or `diplomatic` (a partner state: the
    /// mission sends the letter and records the state's answer on the case).
    pub channel: String,
    pub purpose: String,
    /// `given` or `override`.
    pub consent: String,
    /// `awaiting_approval`, `sent`, `acknowledged`, `accepted`, `declined`, `done`.
    pub status: String,
    pub snapshot: Snapshot,
    pub response: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const STATUSES: &[&str] = &[
    "awaiting_approval",
    "sent",
    "acknowledged",
    "accepted",
    "declined",
    "done",
];
/// What a partner may answer.
pub const RESPONSES: &[&str] = &["acknowledged", "accepted", "declined", "done"];

pub fn valid_agency(code: &str) -> bool {
    matches!(code, "MPS" | "MND")
        || code
            .strip_prefix("P-")
            .is_some_and(|p| baoho_domain::refdata::province(p).is_some())
        || partner_state(code).is_some()
}

/// The foreign state a `STATE-<ISO alpha-2>` code names (never Viet Nam itself).
pub fn partner_state(code: &str) -> Option<&'static baoho_domain::refdata::Country> {
    let a2 = code.strip_prefix("STATE-")?;
    if a2.len() != 2 || a2.eq_ignore_ascii_case("VN") {
        return None;
    }
    baoho_domain::refdata::country(a2)
}

/// How a referral to `agency` travels: `inbox` or `diplomatic`.
pub fn channel_of(agency: &str) -> &'static str {
    if partner_state(agency).is_some() {
        "diplomatic"
    } else {
        "inbox"
    }
}

pub(crate) fn invalid(field: &str, code: &'static str) -> StoreError {
    StoreError::Validation(vec![FieldError {
        field: field.into(),
        code,
    }])
}

pub(crate) fn referral_from_row<R: Row>(keys: &Keyring, r: &R) -> Result<Referral>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    DateTime<Utc>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = r.try_get("id")?;
    let snap: String = r.try_get("snapshot")?;
    let snap = keys.decrypt_string(&Aad::new("case_referral", "snapshot", &id), &snap)?;
    let response: Option<String> = r.try_get("response")?;
    let response = match response {
        Some(env) => keys
            .decrypt_string(&Aad::new("case_referral", "response", &id), &env)?
            .to_string(),
        None => String::new(),
    };
    let agency: String = r.try_get("agency_code")?;
    Ok(Referral {
        snapshot: serde_json::from_str(&snap).map_err(|e| StoreError::Invalid(e.to_string()))?,
        id,
        channel: channel_of(&agency).into(),
        agency,
        purpose: r.try_get("purpose")?,
        consent: r.try_get("consent")?,
        status: r.try_get("status")?,
        response,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(crate) const REFERRAL_COLUMNS: &str = "r.id, r.agency_code, r.purpose, r.consent, r.status, r.snapshot, r.response, r.created_at, r.updated_at";

fn may_approve(who: &crate::Identity, mission: &str) -> bool {
    match who.role {
        Role::HeadOfMission => {
            who.agency.kind == AgencyKind::ConsularDepartment || who.agency.code == mission
        }
        Role::HqOfficer => who.agency.kind == AgencyKind::ConsularDepartment,
        _ => false,
    }
}

impl Cases {
    /// Refer a case to a partner agency with a snapshot of the chosen fields. With consent it
    /// is sent at once; an override waits for a supervisor (unless the requester is one).
    pub async fn refer(&self, case_id: &str, req: ReferralRequest) -> Result<Referral> {
        let agency = req.agency.trim().to_ascii_uppercase();
        let mut errs = Vec::new();
        if !valid_agency(&agency) {
            errs.push(FieldError {
                field: "agency".into(),
                code: "referral.error.agency",
            });
        }
        let purpose = baoho_domain::text::nfc(req.purpose.trim());
        if purpose.is_empty() || purpose.chars().count() > 500 {
            errs.push(FieldError {
                field: "purpose".into(),
                code: "referral.error.purpose",
            });
        }
        if req.fields.is_empty() || req.fields.iter().any(|f| !FIELDS.contains(&f.as_str())) {
            errs.push(FieldError {
                field: "fields".into(),
                code: "referral.error.fields",
            });
        }
        let reason = baoho_domain::text::nfc(req.override_reason.trim());
        if !req.consent
            && reason
                .split_whitespace()
                .collect::<String>()
                .chars()
                .count()
                < 15
        {
            errs.push(FieldError {
                field: "override_reason".into(),
                code: "referral.error.consent",
            });
        }
        if !errs.is_empty() {
            return Err(StoreError::Validation(errs));
        }
        // Read the case and its persons through the handles (audited reads, scope checked).
        let case = self.get(case_id).await?;
        let has = |f: &str| req.fields.iter().any(|x| x == f);
        let mut persons = Vec::new();
        for pid in &case.persons {
            let p = match self.persons_handle().get(pid).await {
                Ok(p) => p,
                Err(StoreError::NotFound) => continue,
                Err(e) => return Err(e),
            };
            persons.push(PersonSnapshot {
                full_name: has("identity").then(|| p.data.full_name.clone()),
                birth: if has("identity") {
                    p.data.birth.map(|b| b.to_string())
                } else {
                    None
                },
                sex: has("identity").then_some(p.data.sex),
                hometown: has("hometown").then(|| p.data.hometown.clone()),
                documents: if has("documents") {
                    p.data.documents.clone()
                } else {
                    vec![]
                },
                next_of_kin: if has("family") {
                    p.data.next_of_kin.clone()
                } else {
                    vec![]
                },
            });
        }
        let snapshot = Snapshot {
            case_reference: case.summary.reference.clone(),
            case_type: case.summary.case_type.clone(),
            country: has("location").then(|| case.summary.country.clone()),
            city: has("location").then(|| case.city.clone()),
            summary: has("summary").then(|| case.description.clone()),
            persons,
        };
        let who = self.ctx().who.clone();
        let supervisor = may_approve(&who, &case.summary.mission);
        let (consent, status, approved_by) = if req.consent {
            ("given", "sent", None)
        } else if supervisor {
            ("override", "sent", Some(who.account_id.clone()))
        } else {
            ("override", "awaiting_approval", None)
        };
        let id = uuid_v7();
        let keys = self.keys_ref();
        let snap_json =
            serde_json::to_string(&snapshot).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let snap_env = keys.encrypt_str(&Aad::new("case_referral", "snapshot", &id), &snap_json)?;
        let reason_env = if req.consent {
            None
        } else {
            Some(keys.encrypt_str(&Aad::new("case_referral", "override_reason", &id), &reason)?)
        };
        let at = self.ctx().at;
        let entry = AuditEntry::new(
            at,
            &who.account_id,
            AuditAction::Disclose,
            AuditOutcome::Allowed,
        )
        .role(who.role.as_str())
        .agency(&who.agency.code)
        .object("case", &case.summary.id)
        .purpose(format!("referral {id} to {agency}: {status}"))
        .request(&self.ctx().request_id);
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let case_rid: i64 = sqlx::query_scalar("SELECT rid FROM case_file WHERE id = $1")
                .bind(&case.summary.id)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO case_referral (id, case_rid, agency_code, purpose, consent, override_reason, status, snapshot, created_at, created_by, approved_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $9)")
                .bind(&id).bind(case_rid).bind(&agency).bind(&purpose).bind(consent).bind(&reason_env).bind(status)
                .bind(&snap_env).bind(at).bind(&who.account_id).bind(&approved_by)
                .execute(&mut *tx).await?;
            // A partner state has no inbox here: nobody to notify once it is sent (the
            // officer prints the letter for the diplomatic channel).
            if status != "sent" || partner_state(&agency).is_none() {
                let kind = if status == "sent" {
                    "notify_agency"
                } else {
                    "notify_supervisors"
                };
                let payload = serde_json::json!({"agency": agency, "mission": case.summary.mission, "kind": if status == "sent" { "referral_received" } else { "referral_needs_approval" }, "object_kind": if status == "sent" { "referral" } else { "case" }, "object_id": if status == "sent" { id.clone() } else { case.summary.id.clone() }, "actor": who.account_id});
                sqlx::query("INSERT INTO outbox (id, kind, payload, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $4)")
                    .bind(uuid_v7()).bind(kind).bind(payload.to_string()).bind(at).execute(&mut *tx).await?;
            }
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(Referral {
            id,
            channel: channel_of(&agency).into(),
            agency,
            purpose,
            consent: consent.into(),
            status: status.into(),
            snapshot,
            response: String::new(),
            created_at: at,
            updated_at: at,
        })
    }

    /// The referrals of a case opened with [`Cases::get`] (for its page).
    pub async fn referrals(&self, case: &crate::cases::CaseRecord) -> Result<Vec<Referral>> {
        let case_id = self.opened(case)?;
        let keys = self.keys_ref().clone();
        let sql = format!(
            "SELECT {REFERRAL_COLUMNS} FROM case_referral r JOIN case_file c ON c.rid = r.case_rid WHERE c.id = $1 ORDER BY r.created_at DESC"
        );
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(case_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| referral_from_row(&keys, r)).collect()
        })
    }

    /// A supervisor approves an override referral: it is sent.
    pub async fn approve_referral(&self, case_id: &str, referral_id: &str) -> Result<()> {
        let case = self.get(case_id).await?;
        let who = self.ctx().who.clone();
        if !may_approve(&who, &case.summary.mission) {
            return Err(StoreError::Forbidden);
        }
        let at = self.ctx().at;
        let entry = AuditEntry::new(
            at,
            &who.account_id,
            AuditAction::Disclose,
            AuditOutcome::Allowed,
        )
        .role(who.role.as_str())
        .agency(&who.agency.code)
        .object("case", &case.summary.id)
        .purpose(format!("referral {referral_id} approved"))
        .request(&self.ctx().request_id);
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let row = sqlx::query("SELECT r.agency_code, r.created_by FROM case_referral r JOIN case_file c ON c.rid = r.case_rid WHERE r.id = $1 AND c.id = $2 AND r.status = 'awaiting_approval'")
                .bind(referral_id).bind(&case.summary.id).fetch_optional(&mut *tx).await?;
            let Some(row) = row else {
                return Err(StoreError::NotFound);
            };
            let agency: String = row.try_get("agency_code")?;
            let by: String = row.try_get("created_by")?;
            if by == who.account_id {
                return Err(StoreError::Forbidden);
            }
            sqlx::query("UPDATE case_referral SET status = 'sent', approved_by = $2, updated_at = $3 WHERE id = $1")
                .bind(referral_id).bind(&who.account_id).bind(at).execute(&mut *tx).await?;
            if partner_state(&agency).is_none() {
                let payload = serde_json::json!({"agency": agency, "kind": "referral_received", "object_kind": "referral", "object_id": referral_id, "actor": who.account_id});
                sqlx::query("INSERT INTO outbox (id, kind, payload, created_at, next_attempt_at) VALUES ($1, 'notify_agency', $2, $3, $3)")
                    .bind(uuid_v7()).bind(payload.to_string()).bind(at).execute(&mut *tx).await?;
            }
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }
}

impl Cases {
    /// One referral of a case opened with [`Cases::get`] (the letter for a partner state).
    pub async fn referral(
        &self,
        case: &crate::cases::CaseRecord,
        referral_id: &str,
    ) -> Result<Referral> {
        let case_id = self.opened(case)?;
        let keys = self.keys_ref().clone();
        let sql = format!(
            "SELECT {REFERRAL_COLUMNS} FROM case_referral r JOIN case_file c ON c.rid = r.case_rid WHERE c.id = $1 AND r.id = $2"
        );
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(case_id)
                .bind(referral_id)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(r) => referral_from_row(&keys, &r),
                None => Err(StoreError::NotFound),
            }
        })
    }

    /// Record a partner state's answer (it arrives by diplomatic note, not through Baoho):
    /// whoever may edit the case records it; it joins the case's timeline. Agencies answer in
    /// their own inbox instead.
    pub async fn record_state_answer(
        &self,
        case_id: &str,
        referral_id: &str,
        status: &str,
        note: &str,
    ) -> Result<()> {
        if !RESPONSES.contains(&status) {
            return Err(invalid("status", "referral.error.response"));
        }
        let note = baoho_domain::text::nfc(note.trim());
        if note.chars().count() > 5000 {
            return Err(invalid("note", "case.error.body"));
        }
        let at = self.ctx().at;
        let keys = self.keys_ref().clone();
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let (mut tx, s) = self
                .begin_gated(pool, case_id, Verb::Edit, AuditAction::Update)
                .await?;
            let row: Option<(String, String)> = sqlx::query_as(
                "SELECT agency_code, status FROM case_referral WHERE id = $1 AND case_rid = $2",
            )
            .bind(referral_id)
            .bind(s.rid)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((agency, current)) = row else {
                return Err(StoreError::NotFound);
            };
            if partner_state(&agency).is_none() {
                return Err(invalid("status", "referral.error.inbox_answers"));
            }
            if current == "awaiting_approval" {
                return Err(invalid("status", "referral.error.not_sent"));
            }
            let env =
                keys.encrypt_str(&Aad::new("case_referral", "response", referral_id), &note)?;
            sqlx::query("UPDATE case_referral SET status = $2, response = $3, updated_at = $4, answered_by = $5 WHERE id = $1")
                .bind(referral_id).bind(status).bind(&env).bind(at).bind(&self.ctx().who.account_id).execute(&mut *tx).await?;
            let body = if note.is_empty() {
                format!("{agency}: {status}")
            } else {
                format!("{agency}: {status}. {note}")
            };
            self.insert_event(&mut tx, s.rid, "referral", &body, None, None)
                .await?;
            let entry = self
                .entry(AuditAction::Update, AuditOutcome::Allowed, &s.id)
                .purpose(format!(
                    "referral {referral_id}: answer of {agency} recorded ({status})"
                ));
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }
}

mod queue;
pub use queue::{FIRST_LOOK_DAYS, QueueAnswer, QueueAnswers, QueueReferral, QueueReferrals};
