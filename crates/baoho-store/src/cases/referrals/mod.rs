//! Referrals of a case to a partner agency, and the partner's inbox.
//!
//! A referral carries a snapshot of only the fields the officer chose for the receiver, frozen
//! when it is made and encrypted at rest; the partner never reaches the live case or person
//! (ADR 0019). It needs the person's consent, kept as a record (who consented — the person, a
//! guardian or a representative — to which purpose, on which day, how, and who recorded it), or
//! an override with a written reason that a second person approves or refuses before anything
//! is sent: never the one who asked. Partners reach referrals only through
//! [`Inbox`](crate::inbox::Inbox), issued for their identity: a referral to another agency, or
//! one not sent yet, does not exist for them (404 and a denied audit row).
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
use chrono::{DateTime, NaiveDate, Utc};
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

/// A code list (an enum whose JSON and SQL form is its snake_case code).
macro_rules! code_list {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$v),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $code),+ }
            }

            /// The value for a code, if it is one of the list.
            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == code)
            }
        }
    };
}

code_list! {
    /// Who gave consent.
    ConsentGiver {
        /// The person themself.
        Person = "person",
        /// A parent or legal guardian (a minor, a person who cannot decide).
        Guardian = "guardian",
        /// A representative the person chose (a lawyer, a relative with authority).
        Representative = "representative",
    }
}

code_list! {
    /// What the person agreed their information is shared for (a fixed list: the page shows
    /// each in Vietnamese and English).
    ConsentPurpose {
        IdentityVerification = "identity_verification",
        ReturnReception = "return_reception",
        ProtectionSupport = "protection_support",
        FamilyContact = "family_contact",
        LegalProceedings = "legal_proceedings",
        Reintegration = "reintegration",
    }
}

code_list! {
    /// How consent was given.
    ConsentMethod {
        InPerson = "in_person",
        Phone = "phone",
        Written = "written",
    }
}

/// The consent an officer records with a referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsentInput {
    pub given_by: ConsentGiver,
    /// The guardian's or representative's name (required for them; left empty for the person).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub given_by_name: String,
    pub purpose: ConsentPurpose,
    /// The day consent was given (not in the future).
    pub given_on: NaiveDate,
    pub method: ConsentMethod,
}

/// What the officer asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewReferral {
    /// `MPS` (police), `MND` (defence), `P-<province code>` or `STATE-<ISO alpha-2>` (a partner
    /// state, through the diplomatic channel).
    #[schema(min_length = 1)]
    pub agency: String,
    /// What the partner is asked to do (verify identity, receive at the border…).
    #[schema(min_length = 1, max_length = 500)]
    pub purpose: String,
    /// Which of `identity`, `hometown`, `documents`, `family`, `location`, `summary` to send.
    #[schema(min_items = 1)]
    pub fields: Vec<String>,
    /// The consent record; absent or `null`: sent without consent, which needs
    /// `override_reason` and a second person's approval.
    #[serde(default)]
    pub consent: Option<ConsentInput>,
    /// Without consent: why the referral must go anyway (at least 15 characters; another
    /// supervisor approves it).
    #[serde(default)]
    pub override_reason: String,
}

/// The first referral request, with consent as a bare yes/no. Kept so that older Rust callers
/// build: without consent it is an override as before; with `consent: true` it is refused
/// (`referral.error.consent_record`), since consent is now a record — use [`NewReferral`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralRequest {
    pub agency: String,
    pub purpose: String,
    pub fields: Vec<String>,
    #[serde(default)]
    pub consent: bool,
    #[serde(default)]
    pub override_reason: String,
}

/// Either request shape, for [`Cases::refer`].
#[derive(Debug, Clone)]
pub enum ReferralInput {
    New(NewReferral),
    /// A bare consent flag (`consent: true` is refused).
    Bare(ReferralRequest),
}

impl From<NewReferral> for ReferralInput {
    fn from(r: NewReferral) -> Self {
        ReferralInput::New(r)
    }
}

impl From<ReferralRequest> for ReferralInput {
    fn from(r: ReferralRequest) -> Self {
        ReferralInput::Bare(r)
    }
}

/// The consent as recorded with a referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsentRecord {
    pub given_by: ConsentGiver,
    /// The guardian's or representative's name (encrypted at rest).
    pub given_by_name: Option<String>,
    pub purpose: ConsentPurpose,
    pub given_on: NaiveDate,
    pub method: ConsentMethod,
    /// The account that recorded it (the referral's sender).
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// A second person's decision on a referral without consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OverrideDecision {
    pub approved: bool,
    /// The account that decided (never the sender).
    pub by: String,
    pub at: DateTime<Utc>,
    /// Why it was refused (empty when approved).
    pub reason: String,
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

/// A referral as the case's side sees it.
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
    /// Who consented, to what, when and how (`null` for an override, and for referrals made
    /// before consent records).
    pub consent_record: Option<ConsentRecord>,
    /// Why it went without consent (`null` with consent).
    pub override_reason: Option<String>,
    /// The second person's decision on an override (`null` until decided, and with consent).
    pub decision: Option<OverrideDecision>,
    /// The account that made the referral.
    pub requested_by: String,
    /// `awaiting_approval`, `refused`, `sent`, `acknowledged`, `accepted`, `declined`, `done`.
    pub status: String,
    pub snapshot: Snapshot,
    pub response: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A referral as the partner sees it: the snapshot, and of the consent only its basis, its
/// purpose and its day (not who gave it, how, or who recorded it; not an override's reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InboxReferral {
    pub id: String,
    pub agency: String,
    pub purpose: String,
    /// `given`, or `override` (sent without the person's consent, approved by a second person).
    pub consent: String,
    pub consent_purpose: Option<ConsentPurpose>,
    pub consent_given_on: Option<NaiveDate>,
    /// `sent`, `acknowledged`, `accepted`, `declined` or `done`.
    pub status: String,
    pub snapshot: Snapshot,
    pub response: String,
    /// When it was sent to the partner (an override: when it was approved).
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Referral> for InboxReferral {
    fn from(r: Referral) -> Self {
        let received_at = match &r.decision {
            Some(d) if d.approved => d.at,
            _ => r.created_at,
        };
        InboxReferral {
            consent_purpose: r.consent_record.as_ref().map(|c| c.purpose),
            consent_given_on: r.consent_record.as_ref().map(|c| c.given_on),
            id: r.id,
            agency: r.agency,
            purpose: r.purpose,
            consent: r.consent,
            status: r.status,
            snapshot: r.snapshot,
            response: r.response,
            received_at,
            updated_at: r.updated_at,
        }
    }
}

pub const STATUSES: &[&str] = &[
    "awaiting_approval",
    "refused",
    "sent",
    "acknowledged",
    "accepted",
    "declined",
    "done",
];
/// The statuses in which a partner sees a referral (as SQL): sent, and answered.
pub(crate) const PARTNER_VISIBLE_SQL: &str =
    "('sent', 'acknowledged', 'accepted', 'declined', 'done')";

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

/// Decrypt an optional envelope of `case_referral.<column>` for row `id`.
fn open_opt(keys: &Keyring, column: &str, id: &str, env: Option<String>) -> Result<Option<String>> {
    match env {
        Some(env) => Ok(Some(
            keys.decrypt_string(&Aad::new("case_referral", column, id), &env)?
                .to_string(),
        )),
        None => Ok(None),
    }
}

fn code<T>(parse: fn(&str) -> Option<T>, raw: &str) -> Result<T> {
    parse(raw).ok_or_else(|| StoreError::Invalid(format!("unknown code {raw:?} in a referral")))
}

pub(crate) fn referral_from_row<R: Row>(keys: &Keyring, r: &R) -> Result<Referral>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    DateTime<Utc>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<DateTime<Utc>>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<NaiveDate>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = r.try_get("id")?;
    let snap: String = r.try_get("snapshot")?;
    let snap = keys.decrypt_string(&Aad::new("case_referral", "snapshot", &id), &snap)?;
    let response = open_opt(keys, "response", &id, r.try_get("response")?)?.unwrap_or_default();
    let agency: String = r.try_get("agency_code")?;
    let created_at: DateTime<Utc> = r.try_get("created_at")?;
    let requested_by: String = r.try_get("created_by")?;
    let by: Option<String> = r.try_get("consent_by")?;
    let purpose: Option<String> = r.try_get("consent_purpose")?;
    let on: Option<NaiveDate> = r.try_get("consent_on")?;
    let method: Option<String> = r.try_get("consent_method")?;
    let consent_record = match (by, purpose, on, method) {
        (Some(by), Some(purpose), Some(on), Some(method)) => Some(ConsentRecord {
            given_by: code(ConsentGiver::parse, &by)?,
            given_by_name: open_opt(keys, "consent_by_name", &id, r.try_get("consent_by_name")?)?,
            purpose: code(ConsentPurpose::parse, &purpose)?,
            given_on: on,
            method: code(ConsentMethod::parse, &method)?,
            recorded_by: r
                .try_get::<Option<String>, _>("consent_recorded_by")?
                .unwrap_or_else(|| requested_by.clone()),
            recorded_at: created_at,
        }),
        _ => None,
    };
    let decided_at: Option<DateTime<Utc>> = r.try_get("decided_at")?;
    let approved_by: Option<String> = r.try_get("approved_by")?;
    let refused_by: Option<String> = r.try_get("refused_by")?;
    let decision = match (decided_at, approved_by, refused_by) {
        (Some(at), Some(by), None) => Some(OverrideDecision {
            approved: true,
            by,
            at,
            reason: String::new(),
        }),
        (Some(at), None, Some(by)) => Some(OverrideDecision {
            approved: false,
            by,
            at,
            reason: open_opt(keys, "refusal_reason", &id, r.try_get("refusal_reason")?)?
                .unwrap_or_default(),
        }),
        _ => None,
    };
    Ok(Referral {
        snapshot: serde_json::from_str(&snap).map_err(|e| StoreError::Invalid(e.to_string()))?,
        override_reason: open_opt(keys, "override_reason", &id, r.try_get("override_reason")?)?,
        channel: channel_of(&agency).into(),
        agency,
        purpose: r.try_get("purpose")?,
        consent: r.try_get("consent")?,
        consent_record,
        decision,
        requested_by,
        status: r.try_get("status")?,
        response,
        created_at,
        updated_at: r.try_get("updated_at")?,
        id,
    })
}

pub(crate) const REFERRAL_COLUMNS: &str = "r.id, r.agency_code, r.purpose, r.consent, r.override_reason, r.status, r.snapshot, r.response, r.created_at, r.created_by, r.updated_at, \
     r.consent_by, r.consent_by_name, r.consent_purpose, r.consent_on, r.consent_method, r.consent_recorded_by, \
     r.approved_by, r.refused_by, r.refusal_reason, r.decided_at";

/// At least 15 characters of words (an override's or a refusal's reason).
fn says_enough(reason: &str) -> bool {
    reason
        .split_whitespace()
        .collect::<String>()
        .chars()
        .count()
        >= 15
}

/// Who may approve or refuse an override of the case of `mission` (never the one who asked
/// for it: the decision checks that): a head of that mission, a head at
/// headquarters, or a headquarters officer (ADR 0019). A mission officer never does.
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
    /// Refer a case to a partner agency with a snapshot of the chosen fields, frozen now. With
    /// a consent record it is sent at once; without, it waits for a second person's approval
    /// ([`Cases::approve_referral`]), whoever asks.
    pub async fn refer(&self, case_id: &str, req: impl Into<ReferralInput>) -> Result<Referral> {
        let req = match req.into() {
            ReferralInput::New(r) => r,
            ReferralInput::Bare(r) if r.consent => {
                return Err(invalid("consent", "referral.error.consent_record"));
            }
            ReferralInput::Bare(r) => NewReferral {
                agency: r.agency,
                purpose: r.purpose,
                fields: r.fields,
                consent: None,
                override_reason: r.override_reason,
            },
        };
        let agency = req.agency.trim().to_ascii_uppercase();
        let mut errs = Vec::new();
        let mut err = |field: &str, code: &'static str| {
            errs.push(FieldError {
                field: field.into(),
                code,
            })
        };
        if !valid_agency(&agency) {
            err("agency", "referral.error.agency");
        }
        let purpose = baoho_domain::text::nfc(req.purpose.trim());
        if purpose.is_empty() || purpose.chars().count() > 500 {
            err("purpose", "referral.error.purpose");
        }
        if req.fields.is_empty() || req.fields.iter().any(|f| !FIELDS.contains(&f.as_str())) {
            err("fields", "referral.error.fields");
        }
        let at = self.ctx().at;
        let reason = baoho_domain::text::nfc(req.override_reason.trim());
        let mut consent_name = String::new();
        match &req.consent {
            None if !says_enough(&reason) => err("override_reason", "referral.error.consent"),
            None => {}
            Some(c) => {
                consent_name = baoho_domain::text::nfc(c.given_by_name.trim());
                let named = !consent_name.is_empty()
                    && consent_name.chars().count() <= 200
                    && !consent_name.chars().any(char::is_control);
                if c.given_by != ConsentGiver::Person && !named {
                    err("consent.given_by_name", "referral.error.consent_name");
                }
                if c.given_by == ConsentGiver::Person {
                    consent_name.clear();
                }
                // A day ahead of UTC at most: Viet Nam and the missions east of it are ahead.
                if c.given_on > (at + chrono::Duration::days(1)).date_naive() {
                    err("consent.given_on", "referral.error.consent_date");
                }
            }
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
        let (consent, status) = match req.consent {
            Some(_) => ("given", "sent"),
            // Never approved by the one who asks, whatever their role (ADR 0019).
            None => ("override", "awaiting_approval"),
        };
        let id = uuid_v7();
        let keys = self.keys_ref();
        let snap_json =
            serde_json::to_string(&snapshot).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let snap_env = keys.encrypt_str(&Aad::new("case_referral", "snapshot", &id), &snap_json)?;
        let reason_env = match req.consent {
            Some(_) => None,
            None => {
                Some(keys.encrypt_str(&Aad::new("case_referral", "override_reason", &id), &reason)?)
            }
        };
        let name_env = if consent_name.is_empty() {
            None
        } else {
            Some(keys.encrypt_str(
                &Aad::new("case_referral", "consent_by_name", &id),
                &consent_name,
            )?)
        };
        let c = req.consent.as_ref();
        let entry = AuditEntry::new(
            at,
            &who.account_id,
            AuditAction::Disclose,
            AuditOutcome::Allowed,
        )
        .role(who.role.as_str())
        .agency(&who.agency.code)
        .object("case", &case.summary.id)
        .purpose(match c {
            Some(c) => format!(
                "referral {id} to {agency}: {status}; consent of the {} for {}, {} on {}",
                c.given_by.as_str(),
                c.purpose.as_str(),
                c.method.as_str(),
                c.given_on
            ),
            None => format!("referral {id} to {agency}: {status} (no consent)"),
        })
        .request(&self.ctx().request_id);
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let case_rid: i64 = sqlx::query_scalar("SELECT rid FROM case_file WHERE id = $1")
                .bind(&case.summary.id)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO case_referral (id, case_rid, agency_code, purpose, consent, override_reason, status, snapshot, created_at, created_by, updated_at, \
                 consent_by, consent_by_name, consent_purpose, consent_on, consent_method, consent_recorded_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, $11, $12, $13, $14, $15, $16)")
                .bind(&id).bind(case_rid).bind(&agency).bind(&purpose).bind(consent).bind(&reason_env).bind(status)
                .bind(&snap_env).bind(at).bind(&who.account_id)
                .bind(c.map(|c| c.given_by.as_str())).bind(&name_env).bind(c.map(|c| c.purpose.as_str()))
                .bind(c.map(|c| c.given_on)).bind(c.map(|c| c.method.as_str()))
                .bind(c.map(|_| who.account_id.as_str()))
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
        let consent_record = req.consent.map(|c| ConsentRecord {
            given_by: c.given_by,
            given_by_name: (!consent_name.is_empty()).then(|| consent_name.clone()),
            purpose: c.purpose,
            given_on: c.given_on,
            method: c.method,
            recorded_by: who.account_id.clone(),
            recorded_at: at,
        });
        Ok(Referral {
            id,
            channel: channel_of(&agency).into(),
            agency,
            purpose,
            consent: consent.into(),
            override_reason: reason_env.is_some().then_some(reason),
            consent_record,
            decision: None,
            requested_by: who.account_id.clone(),
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
            if current == "awaiting_approval" || current == "refused" {
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

mod overrides;
mod queue;
pub use queue::{FIRST_LOOK_DAYS, QueueAnswer, QueueAnswers, QueueReferral, QueueReferrals};
