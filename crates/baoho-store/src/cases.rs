//! Protection cases behind the same authorization layer as persons.
//!
//! [`Cases`] is issued for one identity. Each method loads the case's scope (mission, country,
//! restricted categories, members) in its transaction, asks
//! [`baoho_domain::access::decide`], and writes its audit row there; a case outside the scope
//! answers [`StoreError::NotFound`] with a `denied` row. Persons are linked only if this
//! identity may read them (the person handle's gate decides, and audits).

use crate::accounts::uuid_v7;
use crate::audit::{AuditAction, AuditEntry, AuditOutcome};
use crate::crypto::{Aad, Keyring};
use crate::db::{AuditTx, Commit, Db, Dialect, TxConn, on_db};
use crate::persons::{AccessCtx, Persons};
use crate::{Result, Store, StoreError};
use baoho_domain::access::{AgencyKind, Decision, Identity, Restricted, Role, Scope, Verb, decide};
use baoho_domain::case::{
    Channel, Escalation, Priority, Rag, Status, case_type, check_transition, escalation, rag,
};
use baoho_domain::person::FieldError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::Arc;

/// An intake that passed [`Cases::check_intake`]'s checks, its values cleaned.
struct CheckedIntake {
    ty: &'static baoho_domain::case::CaseType,
    priority: Priority,
    channel: Channel,
    country: String,
    mission: String,
    summary: String,
    details: BTreeMap<String, String>,
}

/// What intake records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseIntake {
    /// A case type code (`arrest`, `trafficking`, …; see `GET /api/v1/case-types`).
    pub case_type: String,
    /// `urgent`, `high`, `normal` or `low`.
    pub priority: String,
    /// `hotline`, `mission`, `partner` or `portal`.
    pub channel: String,
    /// ISO alpha-2 of where it happened.
    pub country: String,
    #[serde(default)]
    pub city: String,
    /// Responsible mission; empty for headquarters.
    #[serde(default)]
    pub mission: String,
    /// What happened (restricted: encrypted at rest).
    pub summary: String,
    /// Who reported it and how to reach them (restricted).
    #[serde(default)]
    pub reporter: String,
    #[serde(default)]
    pub reporter_contact: String,
    /// Ids of the persons affected (each must be readable by you).
    #[serde(default)]
    pub persons: Vec<String>,
    /// The case type's own fields by key (see `fields` in `GET /api/v1/case-types`);
    /// restricted: encrypted at rest with the summary.
    #[serde(default)]
    pub details: BTreeMap<String, String>,
}

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

/// Filters for the case list; all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    pub case_type: Option<String>,
    pub status: Option<Status>,
    pub mission: Option<String>,
    pub country: Option<String>,
    pub lead_officer: Option<String>,
    pub open_only: bool,
    /// Only cases resolved or closed (the second part of an unfiltered list, after the open
    /// ones).
    pub settled_only: bool,
    pub overdue_only: bool,
    /// Only cases this account works on.
    pub mine: bool,
    /// Only cases whose closure awaits approval.
    pub awaiting_approval: bool,
    /// Only cases opened after the case with this row number, by someone else (the work
    /// queue's "new since I last looked").
    pub after_rid: Option<i64>,
    /// Free text: a case reference (`BH-2026-000129`, or its digits), an affected person's
    /// document number, or their name (folded: `nguyen` finds Nguyễn).
    pub q: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

/// One page of cases and how many match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CasePage {
    pub cases: Vec<CaseSummary>,
    pub total: i64,
    /// The work queue counts each list only up to [`QUEUE_COUNT_CAP`]: `true` when there are
    /// more than `total` (shown as "1,000+"). Lists and exports always count exactly.
    #[serde(default)]
    pub total_is_at_least: bool,
}

impl CasePage {
    /// The total as a page shows it: exact, or "1000+" when the count stopped at the cap.
    pub fn shown_total(&self) -> String {
        if self.total_is_at_least {
            format!("{}+", self.total)
        } else {
            self.total.to_string()
        }
    }
}

/// The work queue's lists count up to this many cases each (an officer acts on the first
/// fifty; past a thousand the exact figure is the overview's job, not the queue's).
pub const QUEUE_COUNT_CAP: i64 = 1000;

/// An officer's "what needs me" queue, read in one go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorkQueue {
    /// Open cases I lead, most urgent first.
    pub mine: CasePage,
    /// Overdue open cases in my scope.
    pub overdue: CasePage,
    /// Closures awaiting my approval (heads of mission and HQ; empty for others).
    pub approvals: CasePage,
    /// New cases in my scope not yet assessed.
    pub unassessed: CasePage,
    /// Cases opened by others since I last looked at this queue.
    pub since_last_look: CasePage,
    /// When I last looked (none on the first visit).
    pub last_looked: Option<DateTime<Utc>>,
    /// Referrals without consent awaiting my approval (heads of mission and HQ; never my own;
    /// empty for others), oldest first.
    #[serde(default)]
    pub referral_approvals: crate::referrals::QueueReferrals,
    /// Partners' answers on referrals of cases I am a member of, since I last looked (the
    /// last 7 days on the first visit), newest first. The answer's text is on the case page.
    #[serde(default)]
    pub referral_answers: crate::referrals::QueueAnswers,
}

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
    pub(crate) async fn gate<DB, T>(
        &self,
        tx: &mut T,
        id: &str,
        verb: Verb,
        action: AuditAction,
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
        let sql = format!("SELECT {SCOPE_COLUMNS} FROM case_file c WHERE c.id = $1");
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

    fn encrypt(&self, table: &str, column: &str, id: &str, plain: &str) -> Result<String> {
        self.keys.encrypt_str(&Aad::new(table, column, id), plain)
    }

    /// Every check [`Self::create`] makes before it writes (the intake's fields and whether
    /// this identity may open a case there), without writing anything: the intake page runs it
    /// before it records a new person for the case, so a refused case leaves no person behind.
    pub fn check_intake(&self, intake: &CaseIntake) -> Result<()> {
        self.checked_intake(intake).map(|_| ())
    }

    fn checked_intake(&self, intake: &CaseIntake) -> Result<CheckedIntake> {
        let who = &self.ctx.who;
        if !is_case_role(who) || who.role == Role::PartnerLiaison {
            return Err(StoreError::Forbidden);
        }
        let ty = case_type(intake.case_type.trim())
            .ok_or_else(|| invalid("case_type", "case.error.type"))?;
        let priority = Priority::parse(intake.priority.trim())
            .ok_or_else(|| invalid("priority", "case.error.priority"))?;
        let channel = Channel::parse(intake.channel.trim())
            .ok_or_else(|| invalid("channel", "case.error.channel"))?;
        let country = intake.country.trim().to_ascii_uppercase();
        let mission = intake.mission.trim().to_ascii_uppercase();
        let mut errs = Vec::new();
        if baoho_domain::refdata::country(&country).is_none() {
            errs.push(FieldError {
                field: "country".into(),
                code: "person.error.unknown_country",
            });
        }
        match baoho_domain::refdata::mission(&mission) {
            None if !mission.is_empty() => errs.push(FieldError {
                field: "mission".into(),
                code: "person.error.unknown_mission",
            }),
            // The responsible mission covers the country (its host country or a concurrent
            // accreditation), else the case lands in a queue nobody there works. Permanent
            // missions (to the UN, ASEAN…) cover no country: they take no case.
            Some(m)
                if baoho_domain::refdata::country(&country).is_some()
                    && !m.jurisdiction.contains(&country) =>
            {
                errs.push(FieldError {
                    field: "mission".into(),
                    code: "case.error.mission_country",
                })
            }
            _ => {}
        }
        let summary = baoho_domain::text::nfc(intake.summary.trim());
        if summary.is_empty() || summary.chars().count() > 20_000 {
            errs.push(FieldError {
                field: "summary".into(),
                code: "case.error.summary",
            });
        }
        let details = match ty.clean_details(&intake.details) {
            Ok(d) => d,
            Err(e) => {
                errs.extend(e);
                BTreeMap::new()
            }
        };
        if !errs.is_empty() {
            return Err(StoreError::Validation(errs));
        }
        let scope = Scope {
            missions: if mission.is_empty() {
                vec![]
            } else {
                vec![mission.clone()]
            },
            countries: vec![country.clone()],
            restricted: ty.restricted.clone(),
            assigned: vec![who.account_id.clone()],
            ..Default::default()
        };
        if !decide(who, Verb::Create, &scope, None).is_allowed() {
            return Err(invalid("mission", "person.error.outside_scope"));
        }
        Ok(CheckedIntake {
            ty,
            priority,
            channel,
            country,
            mission,
            summary,
            details,
        })
    }

    /// Record a new case. The creator becomes a member (and the lead, unless an HQ officer
    /// records it for a mission). Deadline from the type and priority.
    pub async fn create(&self, intake: CaseIntake) -> Result<CaseRecord> {
        let who = &self.ctx.who;
        let CheckedIntake {
            ty,
            priority,
            channel,
            country,
            mission,
            summary,
            details,
        } = self.checked_intake(&intake)?;
        let id = uuid_v7();
        let private = Private {
            summary,
            reporter: baoho_domain::text::nfc(intake.reporter.trim()),
            reporter_contact: baoho_domain::text::nfc(intake.reporter_contact.trim()),
            details,
        };
        let json =
            serde_json::to_string(&private).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let envelope = self.encrypt("case_file", "private_data", &id, &json)?;
        let at = self.ctx.at;
        let due = at + ty.deadline(priority);
        let lead = (who.role == Role::MissionOfficer || who.role == Role::HeadOfMission)
            .then(|| who.account_id.clone());
        let restricted = Restricted::join(&ty.restricted);
        let entry = self.entry(AuditAction::Create, AuditOutcome::Allowed, &id);
        let person_ids = intake.persons.clone();
        let city = baoho_domain::text::nfc(intake.city.trim());
        let first_event = uuid_v7();
        let row = NewCase {
            id: &id,
            case_type: &ty.code,
            priority: priority.as_str(),
            channel: channel.as_str(),
            mission: &mission,
            country: &country,
            city: &city,
            restricted: &restricted,
            private_data: &envelope,
            lead: lead.as_deref(),
            at,
            due,
            by: &who.account_id,
            year: at.format("%Y").to_string(),
            event_id: &first_event,
            event_body: &self.encrypt("case_event", "body", &first_event, "new")?,
        };
        let (reference, persons) = on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            // Each person must be readable by this identity (audited, denied rows on refusal).
            let mut persons: Vec<(i64, String)> = Vec::new();
            for pid in &person_ids {
                match self
                    .persons
                    .gate(&mut tx, pool.agg(), pid, Verb::Read, AuditAction::Read)
                    .await
                {
                    Ok((s, _)) => persons.push((s.rid, s.id)),
                    Err(StoreError::NotFound) => {
                        tx.commit_in(&self.db).await?;
                        return Err(invalid("persons", "case.error.person"));
                    }
                    Err(e) => return Err(e),
                }
            }
            let (rid, reference) = tx.insert_case(&row).await?;
            persons.sort();
            persons.dedup();
            for (p, _) in &persons {
                sqlx::query("INSERT INTO case_person (case_rid, person_rid) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(rid)
                    .bind(p)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
            (reference, persons)
        });
        // The creator holds the new case as written: no second transaction reads it back
        // (the `create` audit row records the access).
        Ok(CaseRecord {
            opened: Opened(who.account_id.clone()),
            version: 1,
            channel,
            city,
            description: private.summary,
            reporter: private.reporter,
            reporter_contact: private.reporter_contact,
            details: private.details,
            persons: persons.into_iter().map(|(_, id)| id).collect(),
            members: vec![who.account_id.clone()],
            checks_done: vec![],
            events: vec![CaseEvent {
                id: first_event,
                kind: "status".into(),
                at,
                author: who.account_id.clone(),
                body: "new".into(),
                amount_minor: None,
                currency: None,
                repayment: None,
            }],
            summary: CaseSummary {
                id: id.clone(),
                reference,
                case_type: ty.code.clone(),
                priority,
                status: Status::New,
                mission,
                country,
                lead_officer: lead,
                opened_at: at,
                due_at: due,
                rag: rag(at, due, at),
                escalation: Escalation::from_level(0),
                restricted: !restricted.is_empty(),
                close_requested: false,
            },
        })
    }

    pub(crate) async fn insert_event<DB, T>(
        &self,
        tx: &mut T,
        rid: i64,
        kind: &str,
        body: &str,
        amount: Option<i64>,
        currency: Option<&str>,
    ) -> Result<String>
    where
        DB: sqlx::Database,
        T: TxConn<Db = DB>,
        for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
        DB::Arguments: sqlx::IntoArguments<DB>,
        for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        for<'a> String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        for<'a> i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        for<'a> Option<i64>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        for<'a> Option<&'a str>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        for<'a> DateTime<Utc>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    {
        let eid = uuid_v7();
        let env = self.encrypt("case_event", "body", &eid, body)?;
        sqlx::query("INSERT INTO case_event (id, case_rid, kind, at, author, body, amount_minor, currency) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&eid)
            .bind(rid)
            .bind(kind)
            .bind(self.ctx.at)
            .bind(self.ctx.who.account_id.clone())
            .bind(env)
            .bind(amount)
            .bind(currency)
            .execute(&mut **tx)
            .await?;
        Ok(eid)
    }

    /// Open a case (audited `read`).
    pub async fn get(&self, id: &str) -> Result<CaseRecord> {
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let s = match self.gate(&mut tx, id, Verb::Read, AuditAction::Read).await {
                Ok(s) => s,
                Err(e) => {
                    tx.commit_in(&self.db).await?;
                    return Err(e);
                }
            };
            let sql = format!(
                "SELECT {SUMMARY_COLUMNS}, c.version, c.channel, c.city, c.private_data FROM case_file c WHERE c.rid = $1"
            );
            let r = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(s.rid)
                .fetch_one(&mut *tx)
                .await?;
            let summary = self.summary_from_row(&r)?;
            let env: Option<String> = r.try_get("private_data")?;
            let private: Private = match env {
                Some(e) => {
                    let json = self
                        .keys
                        .decrypt_string(&Aad::new("case_file", "private_data", &s.id), &e)?;
                    serde_json::from_str(&json).map_err(|e| StoreError::Invalid(e.to_string()))?
                }
                None => Private::default(),
            };
            let channel: String = r.try_get("channel")?;
            let persons: Vec<String> = sqlx::query_scalar("SELECT p.id FROM case_person cp JOIN person p ON p.rid = cp.person_rid WHERE cp.case_rid = $1 ORDER BY p.rid")
                .bind(s.rid).fetch_all(&mut *tx).await?;
            let members: Vec<String> = sqlx::query_scalar(
                "SELECT account_id FROM case_member WHERE case_rid = $1 ORDER BY account_id",
            )
            .bind(s.rid)
            .fetch_all(&mut *tx)
            .await?;
            let checks_done: Vec<i64> =
                sqlx::query_scalar("SELECT item FROM case_check WHERE case_rid = $1 ORDER BY item")
                    .bind(s.rid)
                    .fetch_all(&mut *tx)
                    .await?;
            let rows = sqlx::query("SELECT id, kind, at, author, body, amount_minor, currency, repayment FROM case_event WHERE case_rid = $1 ORDER BY at DESC, id DESC")
                .bind(s.rid).fetch_all(&mut *tx).await?;
            let mut events = Vec::with_capacity(rows.len());
            for e in &rows {
                let eid: String = e.try_get("id")?;
                let body: Option<String> = e.try_get("body")?;
                events.push(CaseEvent {
                    body: match body {
                        Some(b) => self
                            .keys
                            .decrypt_string(&Aad::new("case_event", "body", &eid), &b)?
                            .to_string(),
                        None => String::new(),
                    },
                    id: eid,
                    kind: e.try_get("kind")?,
                    at: e.try_get("at")?,
                    author: e.try_get("author")?,
                    amount_minor: e.try_get("amount_minor")?,
                    currency: e.try_get("currency")?,
                    repayment: e.try_get("repayment")?,
                });
            }
            tx.audit(&self.entry(AuditAction::Read, AuditOutcome::Allowed, &s.id))
                .await?;
            tx.commit_in(&self.db).await?;
            Ok(CaseRecord {
                opened: Opened(self.ctx.who.account_id.clone()),
                version: s.version,
                channel: Channel::parse(&channel).unwrap_or(Channel::Mission),
                city: r.try_get("city")?,
                description: private.summary,
                reporter: private.reporter,
                reporter_contact: private.reporter_contact,
                details: private.details,
                persons,
                members,
                checks_done,
                events,
                summary,
            })
        })
    }

    /// Run one audited change on a case the identity may edit. `f` gets the transaction and
    /// the case's scope.
    async fn change(
        &self,
        id: &str,
        action: AuditAction,
        purpose: &str,
        op: ChangeOp<'_>,
    ) -> Result<()> {
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let s = match self.gate(&mut tx, id, Verb::Edit, action).await {
                Ok(s) => s,
                Err(e) => {
                    tx.commit_in(&self.db).await?;
                    return Err(e);
                }
            };
            let now = self.ctx.at;
            let me = self.ctx.who.account_id.as_str();
            match op {
                ChangeOp::Event(ev) => {
                    let eid = self
                        .insert_event(
                            &mut tx,
                            s.rid,
                            &ev.kind,
                            &ev.body,
                            ev.amount_minor,
                            ev.currency.as_deref(),
                        )
                        .await?;
                    if let Some(r) = ev.repayment.as_deref() {
                        sqlx::query("UPDATE case_event SET repayment = $2 WHERE id = $1")
                            .bind(&eid)
                            .bind(r)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                ChangeOp::LinkPerson { person } | ChangeOp::UnlinkPerson { person, .. } => {
                    // The person must be readable by this identity too (its own gate: a
                    // denied row and a field error if not, as at intake). A person this
                    // identity may not read is not shown on its case page, so it is not
                    // removed from it either.
                    let p = match self
                        .persons
                        .gate(&mut tx, pool.agg(), person, Verb::Read, AuditAction::Read)
                        .await
                    {
                        Ok((p, _)) => p,
                        Err(StoreError::NotFound) => {
                            tx.commit_in(&self.db).await?;
                            return Err(invalid("person", "case.error.person"));
                        }
                        Err(e) => return Err(e),
                    };
                    if let ChangeOp::UnlinkPerson { reason, .. } = op {
                        let n = reason.chars().count();
                        if !(UNLINK_REASON_MIN..=UNLINK_REASON_MAX).contains(&n)
                            || reason
                                .chars()
                                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
                        {
                            return Err(invalid("reason", "case.error.unlink_reason"));
                        }
                        let removed = sqlx::query(
                            "DELETE FROM case_person WHERE case_rid = $1 AND person_rid = $2",
                        )
                        .bind(s.rid)
                        .bind(p.rid)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if removed == 0 {
                            // Not on the case (or removed meanwhile): nothing changes, as for a
                            // person linked twice.
                            return Err(invalid("person", "case.error.person_not_linked"));
                        }
                        // The timeline keeps who was removed and why (`<person id>: <reason>`,
                        // encrypted like every entry's body); the audit row below names the case
                        // only. Referrals already sent keep their snapshot.
                        self.insert_event(
                            &mut tx,
                            s.rid,
                            "person_unlinked",
                            &format!("{}: {reason}", p.id),
                            None,
                            None,
                        )
                        .await?;
                    } else {
                        let added = sqlx::query("INSERT INTO case_person (case_rid, person_rid) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                            .bind(s.rid)
                            .bind(p.rid)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                        if added == 0 {
                            return Err(invalid("person", "case.error.person_linked"));
                        }
                        self.insert_event(&mut tx, s.rid, "person_linked", &p.id, None, None)
                            .await?;
                    }
                }
                ChangeOp::Details { version, details } => {
                    if s.version != version {
                        return Err(StoreError::Conflict(
                            "the case was changed by someone else since you opened it".into(),
                        ));
                    }
                    let (ty, env): (String, Option<String>) = sqlx::query_as(
                        "SELECT case_type, private_data FROM case_file WHERE rid = $1",
                    )
                    .bind(s.rid)
                    .fetch_one(&mut *tx)
                    .await?;
                    let clean = case_type(&ty)
                        .ok_or_else(|| invalid("case_type", "case.error.type"))?
                        .clean_details(details)
                        .map_err(StoreError::Validation)?;
                    let aad = Aad::new("case_file", "private_data", &s.id);
                    let mut private: Private = match env {
                        Some(e) => {
                            let json = self.keys.decrypt_string(&aad, &e)?;
                            serde_json::from_str(&json)
                                .map_err(|e| StoreError::Invalid(e.to_string()))?
                        }
                        None => Private::default(),
                    };
                    let changed: Vec<String> = clean
                        .keys()
                        .chain(private.details.keys())
                        .filter(|k| clean.get(*k) != private.details.get(*k))
                        .cloned()
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    private.details = clean;
                    let json = serde_json::to_string(&private)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?;
                    let env = self.encrypt("case_file", "private_data", &s.id, &json)?;
                    sqlx::query("UPDATE case_file SET private_data = $2, version = version + 1, updated_at = $3, updated_by = $4 WHERE rid = $1")
                        .bind(s.rid).bind(&env).bind(now).bind(me).execute(&mut *tx).await?;
                    if !changed.is_empty() {
                        // The timeline names what changed; the values stay in the file.
                        self.insert_event(
                            &mut tx,
                            s.rid,
                            "details",
                            &changed.join(", "),
                            None,
                            None,
                        )
                        .await?;
                    }
                }
                ChangeOp::Status {
                    version,
                    to,
                    reason,
                } => {
                    if s.version != version {
                        return Err(StoreError::Conflict(
                            "the case was changed by someone else since you opened it".into(),
                        ));
                    }
                    check_transition(s.status, to, reason)
                        .map_err(|_| invalid("status", "case.error.transition"))?;
                    sqlx::query("UPDATE case_file SET status = $2, version = version + 1, close_requested_by = NULL, closed_at = NULL, closed_by = NULL, updated_at = $3, updated_by = $4 WHERE rid = $1")
                        .bind(s.rid).bind(to.as_str()).bind(now).bind(me).execute(&mut *tx).await?;
                    let body = if reason.is_empty() {
                        to.as_str().to_owned()
                    } else {
                        format!("{}: {reason}", to.as_str())
                    };
                    self.insert_event(&mut tx, s.rid, "status", &body, None, None)
                        .await?;
                }
                ChangeOp::Assign { account } => {
                    sqlx::query("UPDATE case_file SET lead_officer = $2, version = version + 1, updated_at = $3, updated_by = $4 WHERE rid = $1")
                        .bind(s.rid).bind(account).bind(now).bind(me).execute(&mut *tx).await?;
                    sqlx::query("INSERT INTO case_member (case_rid, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(s.rid).bind(account).execute(&mut *tx).await?;
                    self.insert_event(&mut tx, s.rid, "assignment", account, None, None)
                        .await?;
                    outbox_push(&mut tx, "notify", &serde_json::json!({"recipient": account, "kind": "case_assigned", "object_id": s.id, "actor": me}), now).await?;
                }
                ChangeOp::Check { item, done } => {
                    if done {
                        sqlx::query("INSERT INTO case_check (case_rid, item, done_at, done_by) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                            .bind(s.rid).bind(item).bind(now).bind(me).execute(&mut *tx).await?;
                    } else {
                        sqlx::query("DELETE FROM case_check WHERE case_rid = $1 AND item = $2")
                            .bind(s.rid)
                            .bind(item)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                ChangeOp::RequestClose { version } => {
                    if s.version != version {
                        return Err(StoreError::Conflict(
                            "the case was changed by someone else since you opened it".into(),
                        ));
                    }
                    if s.status != Status::Resolved {
                        return Err(invalid("status", "case.error.close_needs_resolved"));
                    }
                    sqlx::query("UPDATE case_file SET close_requested_by = $2, version = version + 1, updated_at = $3, updated_by = $4 WHERE rid = $1")
                        .bind(s.rid).bind(me).bind(now).bind(me).execute(&mut *tx).await?;
                    self.insert_event(&mut tx, s.rid, "status", "close requested", None, None)
                        .await?;
                    let mission = s.scope.missions.first().cloned().unwrap_or_default();
                    outbox_push(&mut tx, "notify_supervisors", &serde_json::json!({"mission": mission, "kind": "case_close_requested", "object_id": s.id, "actor": me}), now).await?;
                }
                ChangeOp::ApproveClose { version } => {
                    if s.version != version {
                        return Err(StoreError::Conflict(
                            "the case was changed by someone else since you opened it".into(),
                        ));
                    }
                    if s.status != Status::Resolved || s.close_requested_by.is_none() {
                        return Err(invalid("status", "case.error.close_not_requested"));
                    }
                    if !may_approve_close(&self.ctx.who, &s.scope)
                        || s.close_requested_by.as_deref() == Some(me)
                    {
                        return Err(StoreError::Forbidden);
                    }
                    sqlx::query("UPDATE case_file SET status = 'closed', closed_at = $2, closed_by = $3, version = version + 1, updated_at = $2, updated_by = $3 WHERE rid = $1")
                        .bind(s.rid).bind(now).bind(me).execute(&mut *tx).await?;
                    self.insert_event(&mut tx, s.rid, "status", "closed (approved)", None, None)
                        .await?;
                }
            }
            let entry = self
                .entry(action, AuditOutcome::Allowed, &s.id)
                .purpose(purpose);
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }

    /// Add a timeline entry.
    pub async fn add_event(&self, id: &str, ev: NewEvent) -> Result<()> {
        let kind = ev.kind.trim().to_owned();
        if !USER_EVENTS.contains(&kind.as_str()) {
            return Err(invalid("kind", "case.error.event_kind"));
        }
        let body = baoho_domain::text::nfc(ev.body.trim());
        if body.is_empty() || body.chars().count() > 20_000 {
            return Err(invalid("body", "case.error.body"));
        }
        if kind == "money_advanced" {
            let ok_amount = ev.amount_minor.is_some_and(|a| a > 0);
            let ok_cur = ev
                .currency
                .as_deref()
                .is_some_and(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()));
            if !ok_amount || !ok_cur {
                return Err(invalid("amount", "case.error.amount"));
            }
            if !ev
                .repayment
                .as_deref()
                .is_some_and(|r| REPAYMENT.contains(&r))
            {
                return Err(invalid("repayment", "case.error.repayment"));
            }
        }
        let repayment = if kind == "money_advanced" {
            ev.repayment.clone()
        } else {
            None
        };
        let ev = NewEvent {
            kind,
            body,
            repayment,
            ..ev
        };
        self.change(id, AuditAction::Update, "timeline", ChangeOp::Event(&ev))
            .await
    }

    /// Add a person from the registry to the case's affected persons (a fishing crew, a group
    /// rescued together). Both gates apply: edit on the case, read on the person.
    pub async fn link_person(&self, id: &str, person: &str) -> Result<()> {
        self.change(
            id,
            AuditAction::Update,
            "person linked",
            ChangeOp::LinkPerson { person },
        )
        .await
    }

    /// Remove a person added to the case by mistake, with the reason (kept in the timeline).
    /// The same gates as [`Self::link_person`]: edit on the case, read on the person. A person
    /// not on the case is a field error (`person`), like one linked twice; the last person may
    /// go (a case may be opened with none). No `version`: like linking, this changes the set
    /// of persons, not the fields a stale form could overwrite, so it neither checks nor bumps
    /// the case's version (a status or details form open elsewhere stays valid).
    pub async fn unlink_person(&self, id: &str, person: &str, reason: &str) -> Result<()> {
        // The reason is checked after the case's gate (in `change`): on a case one may not
        // touch, the refusal is its denied row, never an unaudited field error.
        let reason = baoho_domain::text::nfc(reason.trim());
        self.change(
            id,
            AuditAction::Update,
            "person unlinked",
            ChangeOp::UnlinkPerson {
                person: person.trim(),
                reason: &reason,
            },
        )
        .await
    }

    /// Replace the case type's own fields (a stale `version` is a Conflict). Empty values
    /// clear a field; the timeline names the fields that changed.
    pub async fn set_details(
        &self,
        id: &str,
        version: i64,
        details: &BTreeMap<String, String>,
    ) -> Result<()> {
        self.change(
            id,
            AuditAction::Update,
            "details",
            ChangeOp::Details { version, details },
        )
        .await
    }

    /// Move the case along its workflow (a stale `version` is a Conflict).
    pub async fn set_status(&self, id: &str, version: i64, to: Status, reason: &str) -> Result<()> {
        let reason = baoho_domain::text::nfc(reason.trim());
        self.change(
            id,
            AuditAction::Update,
            "status",
            ChangeOp::Status {
                version,
                to,
                reason: &reason,
            },
        )
        .await
    }

    /// Make `account` the lead officer (and a member).
    pub async fn assign(&self, id: &str, account: &str) -> Result<()> {
        self.change(
            id,
            AuditAction::Update,
            "assign",
            ChangeOp::Assign { account },
        )
        .await
    }

    pub async fn check(&self, id: &str, item: i64, done: bool) -> Result<()> {
        if !(0..100).contains(&item) {
            return Err(invalid("item", "case.error.item"));
        }
        self.change(
            id,
            AuditAction::Update,
            "checklist",
            ChangeOp::Check { item, done },
        )
        .await
    }

    /// Ask a supervisor to close a resolved case.
    pub async fn request_close(&self, id: &str, version: i64) -> Result<()> {
        self.change(
            id,
            AuditAction::Update,
            "close requested",
            ChangeOp::RequestClose { version },
        )
        .await
    }

    /// A supervisor (not the requester) closes the case.
    pub async fn approve_close(&self, id: &str, version: i64) -> Result<()> {
        self.change(
            id,
            AuditAction::Update,
            "close approved",
            ChangeOp::ApproveClose { version },
        )
        .await
    }

    /// Whether this identity may approve closing this case (for the page's buttons).
    pub fn can_approve(&self, c: &CaseRecord) -> bool {
        let scope = Scope {
            missions: if c.summary.mission.is_empty() {
                vec![]
            } else {
                vec![c.summary.mission.clone()]
            },
            ..Default::default()
        };
        may_approve_close(&self.ctx.who, &scope) && c.summary.close_requested
    }

    /// The SQL condition for cases this identity may list (mirrors [`decide`]; every row is
    /// re-checked).
    pub(crate) fn list_scope(&self, params: &mut Vec<String>) -> String {
        let places = self.list_places(params);
        let place = if places.len() == 1 {
            places.concat()
        } else {
            format!("(({}))", places.join(") OR ("))
        };
        format!("{place} AND {LIST_RESTRICTED}")
    }

    /// Where the cases this identity may list are, as disjoint conditions (a mission officer's
    /// own mission, then the rest of its jurisdiction), so that [`Cases::list`] can count and
    /// page each from its own index instead of one `OR` that reads every row.
    fn list_places(&self, params: &mut Vec<String>) -> Vec<String> {
        let who = &self.ctx.who;
        let mut p = |v: &str| {
            params.push(v.to_owned());
            format!("${}", params.len() + 1)
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
                let m = p(&who.agency.code);
                let cs: Vec<String> = who.jurisdiction.iter().map(|c| p(c)).collect();
                if cs.is_empty() {
                    return vec![format!("c.mission_code = {m}")];
                }
                return vec![
                    format!("c.mission_code = {m}"),
                    format!("c.country IN ({}) AND c.mission_code <> {m}", cs.join(", ")),
                ];
            }
            _ => "1 = 0".to_owned(),
        };
        vec![place]
    }

    /// The free-text condition of a case list: the reference, or an affected person's document
    /// number or folded name. Only persons without restricted categories are matched by name or
    /// document: a case in scope must not confirm who a restricted person is (find them in the
    /// person registry, which applies their own rules, then open their cases).
    fn text_condition(&self, q: &str, params: &mut Vec<String>) -> Result<String> {
        let q: String = q.chars().take(200).collect();
        let upper = q.to_ascii_uppercase();
        let mut alts = Vec::new();
        // References are `BH-YYYY-NNNNNN`: any part of one ("000129", "BH-2026-0001").
        if upper
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b'B' || b == b'H')
            && upper.bytes().any(|b| b.is_ascii_digit())
        {
            // Only digits, `-`, `B` and `H` here: nothing LIKE would read as a wildcard.
            params.push(format!("%{upper}%"));
            alts.push(format!("c.reference LIKE ${}", params.len() + 1));
        }
        let pq = baoho_domain::person::PersonQuery {
            text: q.clone(),
            ..Default::default()
        };
        if let Some(k) = pq.document_key() {
            let idx = self.keys.blind_indexes(crate::persons::BLIND_PURPOSE, &k)?;
            let ps: Vec<String> = idx
                .into_iter()
                .map(|i| {
                    params.push(i);
                    format!("${}", params.len() + 1)
                })
                .collect();
            alts.push(format!(
                "c.rid IN (SELECT cp.case_rid FROM case_person cp JOIN person p ON p.rid = cp.person_rid JOIN person_document d ON d.person_rid = p.rid WHERE p.restricted = '' AND d.number_index IN ({}))",
                ps.join(", ")
            ));
        }
        let words = pq.words();
        if !words.is_empty() && alts.is_empty() {
            let n = params.len() + 2;
            let (join, matcher, query) = on_db!(self.db, |pool| {
                let (j, m) = pool.name_match(n);
                (j, m, pool.name_query(&words))
            });
            params.push(query);
            alts.push(format!(
                "c.rid IN (SELECT cp.case_rid FROM case_person cp JOIN person p ON p.rid = cp.person_rid{join} WHERE p.restricted = '' AND {matcher})"
            ));
        }
        if alts.is_empty() {
            return Ok(" AND 1 = 0".to_owned());
        }
        Ok(format!(" AND ({})", alts.join(" OR ")))
    }

    /// Cases in scope, by urgency (overdue first, then the nearest deadline); not audited (the
    /// callers write the row).
    async fn fetch(&self, f: &CaseFilter, cap: Option<i64>) -> Result<CasePage> {
        if !is_case_role(&self.ctx.who) || self.ctx.who.role == Role::PartnerLiaison {
            return Err(StoreError::Forbidden);
        }
        let mut params: Vec<String> = Vec::new();
        let mut places = self.list_places(&mut params);
        if (f.lead_officer.is_some() || f.after_rid.is_some()) && places.len() > 1 {
            // One officer's cases (from `case_lead_open`) or the newest cases (a row-number
            // range) are few: read them once and test the places on each, rather than scan
            // each place's index for them.
            places = vec![format!("(({}))", places.join(") OR ("))];
        }
        let mut cond = format!(" AND {LIST_RESTRICTED}");
        let add = |c: &str, v: &str, params: &mut Vec<String>| {
            params.push(v.to_owned());
            format!(" AND {c} = ${}", params.len() + 1)
        };
        if let Some(t) = &f.case_type {
            cond.push_str(&add("c.case_type", t, &mut params));
        }
        if let Some(s) = f.status {
            cond.push_str(&add("c.status", s.as_str(), &mut params));
        }
        if let Some(m) = &f.mission {
            cond.push_str(&add("c.mission_code", m, &mut params));
        }
        if let Some(c) = &f.country {
            cond.push_str(&add("c.country", c, &mut params));
        }
        if let Some(o) = &f.lead_officer {
            cond.push_str(&add("c.lead_officer", o, &mut params));
        }
        if f.open_only || f.overdue_only {
            cond.push_str(" AND c.status NOT IN ('resolved', 'closed')");
        }
        if f.settled_only {
            cond.push_str(" AND c.status IN ('resolved', 'closed')");
        }
        if f.awaiting_approval {
            cond.push_str(" AND c.status = 'resolved' AND c.close_requested_by IS NOT NULL");
        }
        if let Some(rid) = f.after_rid {
            params.push(rid.to_string());
            cond.push_str(&format!(
                " AND c.rid > CAST(${} AS BIGINT) AND c.created_by <> $1",
                params.len() + 1
            ));
        }
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            cond.push_str(&self.text_condition(q, &mut params)?);
        }
        if f.mine {
            // Driven from the member index when that is the smaller side. (A correlated
            // EXISTS instead costs a lookup per case of the place: 3x slower for a head of
            // mission with no case of their own, measured.)
            cond.push_str(
                " AND c.rid IN (SELECT m2.case_rid FROM case_member m2 WHERE m2.account_id = $1)",
            );
        }
        let now_param = params.len() + 2;
        if f.overdue_only {
            cond.push_str(&format!(" AND c.due_at <= ${now_param}"));
        }
        let limit = if f.limit == 0 { 50 } else { f.limit.min(500) };
        // One count and one ordered page per (disjoint) place, merged: each is read from the
        // place's index (`case_mission`, `case_country`, migration 0008) in deadline order.
        let sql_count = format!(
            "SELECT {}",
            places
                .iter()
                .enumerate()
                .map(|(i, p)| match cap {
                    Some(cap) => format!(
                        "(SELECT COUNT(*) FROM (SELECT 1 FROM case_file c WHERE {p}{cond} LIMIT {}) AS k{i})",
                        cap + 1
                    ),
                    None => format!("(SELECT COUNT(*) FROM case_file c WHERE {p}{cond})"),
                })
                .collect::<Vec<_>>()
                .join(" + ")
        );
        let sql = if places.len() == 1 {
            format!(
                "SELECT {LIST_COLUMNS} FROM case_file c WHERE {}{cond} ORDER BY c.due_at, c.rid LIMIT {limit} OFFSET {}",
                places[0], f.offset
            )
        } else {
            let top = u64::from(limit) + u64::from(f.offset);
            let parts: Vec<String> = places
                .iter()
                .enumerate()
                .map(|(i, p)| format!("SELECT * FROM (SELECT {LIST_COLUMNS} FROM case_file c WHERE {p}{cond} ORDER BY c.due_at, c.rid LIMIT {top}) AS b{i}"))
                .collect();
            format!(
                "{} ORDER BY due_at, rid LIMIT {limit} OFFSET {}",
                parts.join(" UNION ALL "),
                f.offset
            )
        };
        on_db!(self.db, |pool| {
            let mut q =
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(self.ctx.who.account_id.as_str());
            let mut qc = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql_count))
                .bind(self.ctx.who.account_id.as_str());
            for p in &params {
                q = q.bind(p.as_str());
                qc = qc.bind(p.as_str());
            }
            if f.overdue_only {
                q = q.bind(self.ctx.at);
                qc = qc.bind(self.ctx.at);
            }
            let rows = q.fetch_all(pool).await?;
            let total = qc.fetch_one(pool).await?;
            let mut cases = Vec::with_capacity(rows.len());
            for r in &rows {
                let s = self.scope_from_row(r)?;
                if !decide(&self.ctx.who, Verb::Search, &s.scope, None).is_allowed() {
                    continue;
                }
                cases.push(self.summary_from_row(r)?);
            }
            let at_least = cap.is_some_and(|cap| total > cap);
            Ok(CasePage {
                cases,
                total: match cap {
                    Some(cap) if at_least => cap,
                    _ => total,
                },
                total_is_at_least: at_least,
            })
        })
    }

    /// Cases in scope, by urgency (audited `search`): the open cases first, overdue first and
    /// then by the nearest deadline; then, when no status was asked for, the resolved and
    /// closed ones (their deadlines are past and no longer urgent).
    pub async fn list(&self, f: &CaseFilter) -> Result<CasePage> {
        let mixed = f.status.is_none()
            && !f.open_only
            && !f.settled_only
            && !f.overdue_only
            && !f.awaiting_approval;
        let page = if mixed {
            self.fetch_open_first(f).await?
        } else {
            self.fetch(f, None).await?
        };
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            tx.audit(&self.entry(AuditAction::Search, AuditOutcome::Allowed, ""))
                .await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(page)
    }

    /// A list of every status as two lists in deadline order (each its count and its page, read
    /// from the place indexes), open cases then settled ones, paged across the two; rather
    /// than one read sorted on the status, which no index gives in order (the whole scope
    /// would be sorted for each page).
    async fn fetch_open_first(&self, f: &CaseFilter) -> Result<CasePage> {
        let limit = if f.limit == 0 { 50 } else { f.limit.min(500) };
        let open = self
            .fetch(
                &CaseFilter {
                    open_only: true,
                    limit,
                    ..f.clone()
                },
                None,
            )
            .await?;
        let open_total = u32::try_from(open.total).unwrap_or(u32::MAX);
        // The open cases' positions on this page (not the rows kept: a row the per-row check
        // dropped must not pull settled cases in among the open ones).
        let shown = open_total.saturating_sub(f.offset).min(limit);
        // The settled part: from its start when this page begins among the open cases, else
        // as far into it as the page is past them (a full page still reads it for its count).
        let settled = self
            .fetch(
                &CaseFilter {
                    settled_only: true,
                    offset: f.offset.saturating_sub(open_total),
                    limit: (limit - shown.min(limit)).max(1),
                    ..f.clone()
                },
                None,
            )
            .await?;
        let mut cases = open.cases;
        if shown < limit {
            cases.extend(settled.cases.into_iter().take((limit - shown) as usize));
        }
        Ok(CasePage {
            cases,
            total: open.total + settled.total,
            total_is_at_least: false,
        })
    }

    /// The "what needs me" queue: the lists read concurrently on the reader connections, then
    /// one write with one audit row that also records this look (for the next "since I last
    /// looked").
    pub async fn work_queue(&self) -> Result<WorkQueue> {
        self.work_queue_counting_up_to(QUEUE_COUNT_CAP).await
    }

    /// [`Self::work_queue`] with another count cap (tests).
    #[doc(hidden)]
    pub async fn work_queue_counting_up_to(&self, cap: i64) -> Result<WorkQueue> {
        if !is_case_role(&self.ctx.who) || self.ctx.who.role == Role::PartnerLiaison {
            return Err(StoreError::Forbidden);
        }
        let me = self.ctx.who.account_id.as_str();
        let (last, newest) = on_db!(self.db, |pool| {
            let last: Option<(DateTime<Utc>, i64)> =
                sqlx::query_as("SELECT seen_at, seen_rid FROM queue_seen WHERE account_id = $1")
                    .bind(me)
                    .fetch_optional(pool)
                    .await?;
            let newest: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(rid), 0) FROM case_file")
                .fetch_one(pool)
                .await?;
            (last, newest)
        });
        let approvals = matches!(self.ctx.who.role, Role::HeadOfMission | Role::HqOfficer);
        let empty = || CasePage {
            cases: vec![],
            total: 0,
            total_is_at_least: false,
        };
        let referral_cap = cap;
        let cap = Some(cap);
        // My cases are the open cases I lead (read from `case_lead_open` in deadline order,
        // migration 0013); cases I only took part in are in the full list's "mine" filter.
        let f_mine = CaseFilter {
            lead_officer: Some(me.to_owned()),
            open_only: true,
            ..Default::default()
        };
        let f_overdue = CaseFilter {
            overdue_only: true,
            ..Default::default()
        };
        // A head of mission sees the jurisdiction's cases but approves closures only for
        // their own mission's (`may_approve_close`): list only those they can act on.
        let f_approvals = CaseFilter {
            awaiting_approval: true,
            mission: (self.ctx.who.role == Role::HeadOfMission
                && self.ctx.who.agency.kind != AgencyKind::ConsularDepartment)
                .then(|| self.ctx.who.agency.code.clone()),
            ..Default::default()
        };
        let f_new = CaseFilter {
            status: Some(Status::New),
            ..Default::default()
        };
        let f_since = CaseFilter {
            after_rid: last.map(|(_, rid)| rid),
            ..Default::default()
        };
        let answers_since = last.map_or(
            self.ctx.at - chrono::Duration::days(crate::referrals::FIRST_LOOK_DAYS),
            |(at, _)| at,
        );
        let (
            mine,
            overdue,
            approvals,
            unassessed,
            since_last_look,
            referral_approvals,
            referral_answers,
        ) = tokio::try_join!(
            self.fetch(&f_mine, cap),
            self.fetch(&f_overdue, cap),
            async {
                if approvals {
                    self.fetch(&f_approvals, cap).await
                } else {
                    Ok(empty())
                }
            },
            self.fetch(&f_new, cap),
            async {
                if last.is_some() {
                    self.fetch(&f_since, cap).await
                } else {
                    Ok(empty())
                }
            },
            self.queue_referral_approvals(referral_cap),
            self.queue_referral_answers(answers_since, referral_cap),
        )?;
        let entry = self.entry(AuditAction::Search, AuditOutcome::Allowed, "");
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            sqlx::query(
                "INSERT INTO queue_seen (account_id, seen_at, seen_rid) VALUES ($1, $2, $3) \
                 ON CONFLICT (account_id) DO UPDATE SET seen_at = excluded.seen_at, seen_rid = excluded.seen_rid",
            )
            .bind(me)
            .bind(self.ctx.at)
            .bind(newest)
            .execute(&mut *tx)
            .await?;
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(WorkQueue {
            mine,
            overdue,
            approvals,
            unassessed,
            since_last_look,
            last_looked: last.map(|(at, _)| at),
            referral_approvals,
            referral_answers,
        })
    }

    /// Whether a row read with the scope columns (and the member flag asking about the
    /// account bound as `$1`) may be listed to me: the per-row re-check of the lists.
    pub(crate) fn listable<R: Row>(&self, r: &R) -> Result<bool>
    where
        for<'a> &'a str: sqlx::ColumnIndex<R>,
        String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        bool: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    {
        let s = self.scope_from_row(r)?;
        Ok(decide(&self.ctx.who, Verb::Search, &s.scope, None).is_allowed())
    }
}

enum ChangeOp<'a> {
    Event(&'a NewEvent),
    Details {
        version: i64,
        details: &'a BTreeMap<String, String>,
    },
    LinkPerson {
        person: &'a str,
    },
    UnlinkPerson {
        person: &'a str,
        reason: &'a str,
    },
    Status {
        version: i64,
        to: Status,
        reason: &'a str,
    },
    Assign {
        account: &'a str,
    },
    Check {
        item: i64,
        done: bool,
    },
    RequestClose {
        version: i64,
    },
    ApproveClose {
        version: i64,
    },
}

async fn outbox_push<DB, T>(
    tx: &mut T,
    kind: &str,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()>
where
    DB: sqlx::Database,
    T: TxConn<Db = DB>,
    for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'a> String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> DateTime<Utc>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    sqlx::query("INSERT INTO outbox (id, kind, payload, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $4)")
        .bind(uuid_v7())
        .bind(kind)
        .bind(payload.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Escalate every open case whose deadline has passed further than its recorded escalation:
/// raise its level, add a timeline entry, and queue a notice (outbox) to the next level up —
/// all in one transaction per case, audited as the system. Returns the cases escalated.
pub async fn escalate_overdue(
    store: &dyn Store,
    keys: &Keyring,
    now: DateTime<Utc>,
) -> Result<u64> {
    let db = Db::of(store);
    let mut n = 0;
    on_db!(db, |pool| {
        let rows = sqlx::query("SELECT rid, id, mission_code, lead_officer, opened_at, due_at, escalation FROM case_file WHERE status NOT IN ('resolved', 'closed') AND due_at <= $1 AND escalation < 3 ORDER BY due_at LIMIT 10000")
            .bind(now)
            .fetch_all(pool)
            .await?;
        for r in &rows {
            let rid: i64 = r.try_get("rid")?;
            let id: String = r.try_get("id")?;
            let opened: DateTime<Utc> = r.try_get("opened_at")?;
            let due: DateTime<Utc> = r.try_get("due_at")?;
            let current: i64 = r.try_get("escalation")?;
            let target = escalation(opened, due, now);
            if target.level() <= current {
                continue;
            }
            let mission: String = r.try_get("mission_code")?;
            let lead: Option<String> = r.try_get("lead_officer")?;
            let mut tx = pool.begin_write(&db).await?;
            let changed = sqlx::query(
                "UPDATE case_file SET escalation = $2 WHERE rid = $1 AND escalation = $3",
            )
            .bind(rid)
            .bind(target.level())
            .bind(current)
            .execute(&mut *tx)
            .await?;
            if changed.rows_affected() == 0 {
                tx.commit_in(&db).await?;
                continue;
            }
            let eid = uuid_v7();
            let body = keys.encrypt_str(
                &Aad::new("case_event", "body", &eid),
                &format!("escalated to {}", target.as_str()),
            )?;
            sqlx::query("INSERT INTO case_event (id, case_rid, kind, at, author, body) VALUES ($1, $2, 'escalation', $3, 'system', $4)")
                .bind(&eid).bind(rid).bind(now).bind(&body).execute(&mut *tx).await?;
            let payload = serde_json::json!({"kind": "case_escalated", "object_id": id, "mission": mission, "lead": lead, "level": target.as_str(), "actor": "system"});
            sqlx::query("INSERT INTO outbox (id, kind, payload, created_at, next_attempt_at) VALUES ($1, 'escalate', $2, $3, $3)")
                .bind(uuid_v7()).bind(payload.to_string()).bind(now).execute(&mut *tx).await?;
            let entry = AuditEntry::system(now, AuditAction::Update, AuditOutcome::Allowed)
                .object("case", &id)
                .purpose(format!("escalated to {}", target.as_str()));
            tx.audit(&entry).await?;
            tx.commit_in(&db).await?;
            n += 1;
        }
    });
    Ok(n)
}

/// Deliver pending outbox rows (in-app notices), oldest first, each in its own transaction
/// (claim, deliver, mark done). Returns how many were delivered. Tests call it directly (no background timer).
pub async fn drain_outbox(store: &dyn Store, now: DateTime<Utc>, limit: i64) -> Result<u64> {
    let db = Db::of(store);
    let mut delivered = 0;
    on_db!(db, |pool| {
        let rows = sqlx::query("SELECT id, kind, payload, attempts FROM outbox WHERE done_at IS NULL AND next_attempt_at <= $1 ORDER BY created_at, id LIMIT $2")
            .bind(now).bind(limit).fetch_all(pool).await?;
        for r in &rows {
            let id: String = r.try_get("id")?;
            let kind: String = r.try_get("kind")?;
            let payload: String = r.try_get("payload")?;
            let attempts: i64 = r.try_get("attempts")?;
            let p: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
            let s = |k: &str| {
                p.get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let mut tx = pool.begin_write(&db).await?;
            // Claim: only one drainer delivers a row.
            let claimed = sqlx::query("UPDATE outbox SET attempts = attempts + 1 WHERE id = $1 AND done_at IS NULL AND attempts = $2")
                .bind(&id).bind(attempts).execute(&mut *tx).await?;
            if claimed.rows_affected() == 0 {
                tx.commit_in(&db).await?;
                continue;
            }
            let mission = s("mission");
            let recipients: Vec<String> = match kind.as_str() {
                "notify" => vec![s("recipient")],
                "notify_agency" => sqlx::query_scalar("SELECT id FROM account WHERE disabled = $3 AND role = $1 AND agency_code = $2")
                    .bind(Role::PartnerLiaison.as_str()).bind(s("agency")).bind(false).fetch_all(&mut *tx).await?,
                "notify_mission" => sqlx::query_scalar("SELECT id FROM account WHERE disabled = $3 AND agency_code = $1 AND role IN ($2, 'mission_officer')")
                    .bind(s("mission")).bind(Role::HeadOfMission.as_str()).bind(false).fetch_all(&mut *tx).await?,
                "notify_case" => sqlx::query_scalar("SELECT m.account_id FROM case_member m JOIN case_file c ON c.rid = m.case_rid WHERE c.id = $1")
                    .bind(s("object_id")).fetch_all(&mut *tx).await?,
                "notify_supervisors" => sqlx::query_scalar("SELECT id FROM account WHERE disabled = $3 AND ((role = $1 AND agency_code = $2) OR ($2 = '' AND role = 'hq_officer'))")
                    .bind(Role::HeadOfMission.as_str()).bind(&mission).bind(false).fetch_all(&mut *tx).await?,
                "escalate" => {
                    let level = s("level");
                    let lead = s("lead");
                    match level.as_str() {
                        "section" => sqlx::query_scalar("SELECT supervisor_id FROM account WHERE id = $1 AND supervisor_id IS NOT NULL")
                            .bind(&lead).fetch_all(&mut *tx).await?,
                        "mission" => sqlx::query_scalar("SELECT id FROM account WHERE disabled = $3 AND role = $1 AND agency_code = $2")
                            .bind(Role::HeadOfMission.as_str()).bind(&mission).bind(false).fetch_all(&mut *tx).await?,
                        _ => sqlx::query_scalar("SELECT id FROM account WHERE disabled = $2 AND role = $1 AND agency_kind = 'consular_department'")
                            .bind(Role::HqOfficer.as_str()).bind(false).fetch_all(&mut *tx).await?,
                    }
                }
                _ => vec![],
            };
            let notice_kind = s("kind");
            for rcpt in recipients.iter().filter(|r| !r.is_empty()) {
                let object_kind = match s("object_kind") {
                    k if k.is_empty() => "case".to_owned(),
                    k => k,
                };
                sqlx::query("INSERT INTO notification (id, recipient, kind, object_kind, object_id, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(uuid_v7()).bind(rcpt).bind(&notice_kind).bind(object_kind).bind(s("object_id")).bind(s("actor")).bind(now)
                    .execute(&mut *tx).await?;
            }
            sqlx::query("UPDATE outbox SET done_at = $2 WHERE id = $1")
                .bind(&id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit_in(&db).await?;
            delivered += 1;
        }
    });
    Ok(delivered)
}

/// A new case's first rows: the case, its creator as member, its first timeline entry.
struct NewCase<'a> {
    id: &'a str,
    case_type: &'a str,
    priority: &'a str,
    channel: &'a str,
    mission: &'a str,
    country: &'a str,
    city: &'a str,
    restricted: &'a str,
    private_data: &'a str,
    lead: Option<&'a str>,
    at: DateTime<Utc>,
    due: DateTime<Utc>,
    by: &'a str,
    /// Of `at`, for the reference `BH-<year>-<rid>`.
    year: String,
    event_id: &'a str,
    /// The first timeline entry's body, encrypted.
    event_body: &'a str,
}

/// Write a [`NewCase`]; returns its rid and reference.
trait InsertCase {
    async fn insert_case(&mut self, c: &NewCase<'_>) -> Result<(i64, String)>;
}

impl InsertCase for crate::batch::WriteTx {
    /// One round trip to SQLite's worker thread (it runs the statements one after another):
    /// under load every round trip waits for the async side to be scheduled, and the writer
    /// connection is the bottleneck of all writes. The rid is the next one SQLite would give
    /// (`INTEGER PRIMARY KEY` without AUTOINCREMENT), so the reference is written with the row.
    async fn insert_case(&mut self, c: &NewCase<'_>) -> Result<(i64, String)> {
        Ok(sqlx::query_as(
            "INSERT INTO case_file (rid, id, reference, version, case_type, priority, status, channel, mission_code, country, city, restricted, private_data, lead_officer, opened_at, due_at, created_by, updated_at, updated_by) \
             SELECT n, $1, printf('BH-%s-%06d', $14, n), 1, $2, $3, 'new', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $11, $13 \
             FROM (SELECT COALESCE(MAX(rid), 0) + 1 AS n FROM case_file); \
             INSERT INTO case_member (case_rid, account_id) SELECT rid, $13 FROM case_file WHERE id = $1; \
             INSERT INTO case_event (id, case_rid, kind, at, author, body, amount_minor, currency) \
             SELECT $15, rid, 'status', $11, $13, $16, NULL, NULL FROM case_file WHERE id = $1; \
             SELECT rid, reference FROM case_file WHERE id = $1",
        )
        .bind(c.id)
        .bind(c.case_type)
        .bind(c.priority)
        .bind(c.channel)
        .bind(c.mission)
        .bind(c.country)
        .bind(c.city)
        .bind(c.restricted)
        .bind(c.private_data)
        .bind(c.lead)
        .bind(c.at)
        .bind(c.due)
        .bind(c.by)
        .bind(&c.year)
        .bind(c.event_id)
        .bind(c.event_body)
        .fetch_one(&mut **self)
        .await?)
    }
}

impl InsertCase for sqlx::Transaction<'_, sqlx::Postgres> {
    async fn insert_case(&mut self, c: &NewCase<'_>) -> Result<(i64, String)> {
        let rid: i64 = sqlx::query_scalar(
            "INSERT INTO case_file (id, reference, version, case_type, priority, status, channel, mission_code, country, city, restricted, private_data, lead_officer, opened_at, due_at, created_by, updated_at, updated_by) \
             VALUES ($1, $1, 1, $2, $3, 'new', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $11, $13) RETURNING rid",
        )
        .bind(c.id)
        .bind(c.case_type)
        .bind(c.priority)
        .bind(c.channel)
        .bind(c.mission)
        .bind(c.country)
        .bind(c.city)
        .bind(c.restricted)
        .bind(c.private_data)
        .bind(c.lead)
        .bind(c.at)
        .bind(c.due)
        .bind(c.by)
        .fetch_one(&mut **self)
        .await?;
        let reference = format!("BH-{}-{rid:06}", c.year);
        sqlx::query("UPDATE case_file SET reference = $2 WHERE rid = $1")
            .bind(rid)
            .bind(&reference)
            .execute(&mut **self)
            .await?;
        sqlx::query("INSERT INTO case_member (case_rid, account_id) VALUES ($1, $2)")
            .bind(rid)
            .bind(c.by)
            .execute(&mut **self)
            .await?;
        sqlx::query("INSERT INTO case_event (id, case_rid, kind, at, author, body, amount_minor, currency) VALUES ($1, $2, 'status', $3, $4, $5, NULL, NULL)")
            .bind(c.event_id)
            .bind(rid)
            .bind(c.at)
            .bind(c.by)
            .bind(c.event_body)
            .execute(&mut **self)
            .await?;
        Ok((rid, reference))
    }
}
