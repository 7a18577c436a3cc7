//! The audit trail: an append-only, hash-chained table.
//!
//! Every row carries the SHA-256 of its own canonical encoding, which includes the previous
//! row's hash, so editing, inserting or removing a row in the middle breaks the chain at that
//! row. `verify` recomputes the chain in `seq` order and names the first broken link.
//!
//! # Canonical encoding (version 1)
//!
//! The hashed bytes are the ASCII tag `baoho-audit-v1` followed by twelve fields, each as a
//! 4-byte big-endian byte length and then the field's UTF-8 bytes, in this order:
//!
//! 1. `seq` in decimal (`1`, `2`, …)
//! 2. `at` as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, always six fractional digits)
//! 3. `actor`, 4. `role`, 5. `agency`, 6. `object_kind`, 7. `object_id`
//! 8. `action` (lower case, e.g. `read`), 9. `purpose`, 10. `outcome` (`allowed`, `denied`,
//!    `failed`), 11. `request_id`
//! 12. `prev_hash`: the previous row's `hash` in lower-case hex; for `seq = 1` sixty-four `0`s.
//!
//! `hash` is the lower-case hex SHA-256 of those bytes. The length prefixes make the encoding
//! unambiguous (no field can bleed into the next), and both backends hash the same bytes: the
//! time is truncated to microseconds (PostgreSQL's precision) before it is stored.
//!
//! # Subjects (version 2, ADR 0018)
//!
//! A row that returned persons without opening one (a search, a duplicate check, an export, a
//! transfer's decision) names them in `subjects`: their ids, sorted, without repeats, joined by
//! `,` (ids cannot hold a comma). A row with subjects is hashed with the tag `baoho-audit-v2`
//! and the same twelve fields followed by a thirteenth, `subjects` as stored; a row without
//! any keeps the version 1 encoding, so every row written before keeps its hash. Editing the
//! list breaks the row's hash like editing any other field. The table `audit_subject`
//! (`seq`, `person_id`), filled from the column by a trigger in the same insert, is the
//! index the "who saw whom" reports read; `verify` checks it against the hashed column.
//!
//! # Serialisation
//!
//! Appends read the last row and insert the next under one lock, so the chain never forks: on
//! PostgreSQL a transaction-scoped advisory lock ([`AUDIT_LOCK_KEY`]), on SQLite the single
//! writer (the write transaction). As a second line of defence `seq` is the primary key and
//! `prev_hash` is unique, so two rows can never claim the same predecessor: a racing append
//! fails instead of forking the chain.
//!
//! # What may be written
//!
//! Audit rows hold identifiers, never personal data: actor, object and request ids are checked
//! against an identifier alphabet (no spaces, no letters outside ASCII), so a name cannot be
//! written there by mistake. `purpose` is free text typed by the user (a case reference, a
//! legal basis); the UI must say it is not the place for names.

mod chain;
pub mod checkpoint;
pub(crate) mod trail;

pub use chain::*;

use crate::{Result, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// The `prev_hash` of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// PostgreSQL advisory lock key taken (transaction-scoped) before reading the chain's tail.
/// The ASCII of "BAOHOAUD".
pub const AUDIT_LOCK_KEY: i64 = 0x4241_4F48_4F41_5544;

/// Rows read per batch by `verify` (the chain is streamed, never loaded whole).
pub const VERIFY_BATCH: i64 = 1000;

/// Most rows one [`AuditFilter`] query returns.
pub const MAX_PAGE: u32 = 1000;

/// Most persons one audit row may name (an export of the largest case list names fewer).
pub const MAX_SUBJECTS: usize = 100_000;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Read,
    Search,
    Create,
    Update,
    Delete,
    Export,
    Import,
    /// Sending data to a partner (another agency, a foreign authority).
    Disclose,
    Login,
    Logout,
    /// Re-encryption of the restricted fields under a new key.
    KeyRotate,
    /// A restricted record opened with a written reason.
    BreakGlass,
    /// An account's MFA enrolment, disabling, password reset.
    Admin,
    /// A restriction (trafficking, minor, gender-based violence) lifted by a supervisor, with
    /// the reason; or refused.
    RestrictionLift,
    /// An administrator asks for an account with file access, or for a reset of one's
    /// password and second factor: it waits for a second administrator (four eyes).
    AccountRequest,
    /// A second administrator approves such a request: it takes effect; or is refused
    /// (their own request).
    AccountApprove,
    /// A second administrator refuses such a request: nothing changes.
    AccountRefuse,
}

impl AuditAction {
    pub const ALL: &[AuditAction] = &[
        Self::Read,
        Self::Search,
        Self::Create,
        Self::Update,
        Self::Delete,
        Self::Export,
        Self::Import,
        Self::Disclose,
        Self::Login,
        Self::Logout,
        Self::KeyRotate,
        Self::BreakGlass,
        Self::Admin,
        Self::RestrictionLift,
        Self::AccountRequest,
        Self::AccountApprove,
        Self::AccountRefuse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Search => "search",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Export => "export",
            Self::Import => "import",
            Self::Disclose => "disclose",
            Self::Login => "login",
            Self::Logout => "logout",
            Self::KeyRotate => "key_rotate",
            Self::BreakGlass => "break_glass",
            Self::Admin => "admin",
            Self::RestrictionLift => "restriction_lift",
            Self::AccountRequest => "account_request",
            Self::AccountApprove => "account_approve",
            Self::AccountRefuse => "account_refuse",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditAction {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| StoreError::Invalid(format!("unknown audit action {s:?}")))
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Allowed,
    Denied,
    Failed,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Denied => "denied",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for AuditOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditOutcome {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "allowed" => Ok(Self::Allowed),
            "denied" => Ok(Self::Denied),
            "failed" => Ok(Self::Failed),
            _ => Err(StoreError::Invalid(format!("unknown audit outcome {s:?}"))),
        }
    }
}

/// One event to record. Ids only: see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When (from the caller's clock); stored truncated to microseconds.
    pub at: DateTime<Utc>,
    /// Account id, or `system`.
    pub actor: String,
    /// The role the actor acted in (e.g. `consular_officer`); empty for `system`.
    pub role: String,
    /// The actor's agency or mission code; may be empty.
    pub agency: String,
    /// What kind of object (e.g. `person`, `case`, `session`); may be empty (a search).
    pub object_kind: String,
    /// The object's id; may be empty.
    pub object_id: String,
    pub action: AuditAction,
    /// Why (free text, may be empty).
    pub purpose: String,
    pub outcome: AuditOutcome,
    /// The HTTP request id (or a job id), to join with the logs; may be empty.
    pub request_id: String,
    /// The persons the event returned or moved without opening them one by one (search
    /// results, duplicate candidates, an export's persons, a transferred case's persons): ids
    /// only. Stored sorted and without repeats, hashed (see "Subjects" above).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
}

impl AuditEntry {
    /// An entry with the given actor, action and outcome at `at`; other fields empty.
    pub fn new(
        at: DateTime<Utc>,
        actor: impl Into<String>,
        action: AuditAction,
        outcome: AuditOutcome,
    ) -> Self {
        Self {
            at,
            actor: actor.into(),
            role: String::new(),
            agency: String::new(),
            object_kind: String::new(),
            object_id: String::new(),
            action,
            purpose: String::new(),
            outcome,
            request_id: String::new(),
            subjects: Vec::new(),
        }
    }

    /// An entry by the system itself (migrations, key rotation, jobs).
    pub fn system(at: DateTime<Utc>, action: AuditAction, outcome: AuditOutcome) -> Self {
        Self::new(at, "system", action, outcome)
    }

    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.role = role.into();
        self
    }

    pub fn agency(mut self, agency: impl Into<String>) -> Self {
        self.agency = agency.into();
        self
    }

    pub fn object(mut self, kind: impl Into<String>, id: impl Into<String>) -> Self {
        self.object_kind = kind.into();
        self.object_id = id.into();
        self
    }

    pub fn with_action(mut self, action: AuditAction, outcome: AuditOutcome) -> Self {
        self.action = action;
        self.outcome = outcome;
        self
    }

    pub fn purpose(mut self, purpose: impl Into<String>) -> Self {
        self.purpose = purpose.into();
        self
    }

    pub fn request(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = request_id.into();
        self
    }

    /// Name the persons this event returned (ids; order and repeats do not matter).
    pub fn subjects<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.subjects = ids.into_iter().map(Into::into).collect();
        self
    }

    /// The subjects as stored and hashed: sorted, without repeats, joined by `,`.
    pub fn subjects_text(&self) -> String {
        normal_subjects(&self.subjects).join(",")
    }

    /// Refuse values that are not identifiers where identifiers belong (a name typed into an
    /// id field), over-long values, and times the canonical encoding cannot hold.
    pub fn validate(&self) -> Result<()> {
        check_id("actor", &self.actor, false)?;
        check_code("role", &self.role)?;
        check_code("agency", &self.agency)?;
        check_code("object_kind", &self.object_kind)?;
        check_id("object_id", &self.object_id, true)?;
        check_id("request_id", &self.request_id, true)?;
        if self.subjects.len() > MAX_SUBJECTS {
            return Err(StoreError::Invalid(format!(
                "an audit row names at most {MAX_SUBJECTS} persons"
            )));
        }
        for s in &self.subjects {
            check_id("subject", s, false)?;
        }
        if self.purpose.chars().count() > 500 {
            return Err(StoreError::Invalid(
                "audit purpose is longer than 500 characters".into(),
            ));
        }
        if self.purpose.chars().any(|c| c.is_control()) {
            return Err(StoreError::Invalid(
                "audit purpose contains control characters".into(),
            ));
        }
        let year = chrono::Datelike::year(&self.at);
        if !(1970..=9999).contains(&year) {
            return Err(StoreError::Invalid(format!("audit time year {year}")));
        }
        Ok(())
    }

    /// The time as stored and hashed (microsecond precision).
    pub fn stored_at(&self) -> DateTime<Utc> {
        self.at.trunc_subsecs(6)
    }
}

/// Sorted, without repeats (the stored and hashed order).
pub(crate) fn normal_subjects(ids: &[String]) -> Vec<String> {
    let mut v = ids.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

/// The stored text back to ids.
pub(crate) fn split_subjects(text: &str) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    text.split(',').map(str::to_owned).collect()
}

fn check_id(field: &str, v: &str, may_be_empty: bool) -> Result<()> {
    if v.is_empty() {
        return if may_be_empty {
            Ok(())
        } else {
            Err(StoreError::Invalid(format!("audit {field} is empty")))
        };
    }
    let ok = v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'@'));
    if ok {
        Ok(())
    } else {
        // The value itself is not echoed: it may be the personal data we are refusing.
        Err(StoreError::Invalid(format!(
            "audit {field} must be an identifier (ASCII letters, digits, - _ . : @; at most 128)"
        )))
    }
}

fn check_code(field: &str, v: &str) -> Result<()> {
    let ok = v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "audit {field} must be a code (ASCII letters, digits, - _ .; at most 64)"
        )))
    }
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// Which rows [`crate::Store::audit_query`] returns: all conditions must hold; newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    pub action: Option<AuditAction>,
    pub outcome: Option<AuditOutcome>,
    /// Inclusive lower bound on `at`.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound on `at`.
    pub to: Option<DateTime<Utc>>,
    /// Keyset paging: only rows with `seq` below this (pass the last page's smallest `seq`).
    pub before_seq: Option<i64>,
    /// Page size; 0 means 100; at most [`MAX_PAGE`].
    pub limit: u32,
}

impl AuditFilter {
    pub fn page_size(&self) -> i64 {
        i64::from(match self.limit {
            0 => 100,
            n => n.min(MAX_PAGE),
        })
    }
}

/// "Every object one account touched": whose rows, since when (and optionally until, which
/// actions and outcomes, which kind of object). Persons count whether they were opened (the
/// row's object) or returned in a list (the row's subjects).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TouchedQuery {
    pub actor: String,
    /// Inclusive lower bound on `at`.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound on `at`.
    pub to: Option<DateTime<Utc>>,
    pub action: Option<AuditAction>,
    pub outcome: Option<AuditOutcome>,
    /// Only objects of this kind (`person` for the persons seen).
    pub object_kind: Option<String>,
}

/// One object an account touched in the period: how many of its rows name it, when last, and
/// how (the actions, in the order of [`AuditAction::ALL`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TouchedObject {
    pub object_kind: String,
    pub object_id: String,
    pub times: u64,
    pub last_at: DateTime<Utc>,
    pub actions: Vec<AuditAction>,
    /// Among `times`, the rows that returned the object in a list without opening it.
    pub seen_in_lists: u64,
}

/// Why a link is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BreakKind {
    /// The row's stored hash is not the hash of its contents: the row was edited.
    HashMismatch { stored: String, computed: String },
    /// The row's `prev_hash` is not the previous row's hash: a row was replaced or inserted.
    PrevHashMismatch { stored: String, expected: String },
    /// `seq` jumps: rows are missing before this one.
    Gap { expected_seq: i64 },
    /// The `audit_subject` index does not hold exactly the persons the row's hashed `subjects`
    /// names: the index was edited.
    SubjectIndexMismatch { in_row: usize, in_index: usize },
}

impl fmt::Display for BreakKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HashMismatch { stored, computed } => write!(
                f,
                "hash mismatch (stored {stored}, contents hash to {computed}): the row was altered"
            ),
            Self::PrevHashMismatch { stored, expected } => write!(
                f,
                "prev_hash mismatch (stored {stored}, previous row's hash is {expected}): a row was replaced or inserted"
            ),
            Self::Gap { expected_seq } => {
                write!(f, "gap: expected seq {expected_seq}, rows are missing")
            }
            Self::SubjectIndexMismatch { in_row, in_index } => write!(
                f,
                "subject index mismatch (the row names {in_row} persons, audit_subject lists {in_index} for it, or other ones): the index was edited"
            ),
        }
    }
}

/// The first broken link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditBreak {
    pub seq: i64,
    pub kind: BreakKind,
}

impl fmt::Display for AuditBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seq {}: {}", self.seq, self.kind)
    }
}

/// The result of recomputing the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditVerification {
    /// Rows checked (up to and including the broken one, if any).
    pub rows: u64,
    /// The last good row's seq and hash (the head, when the chain is intact).
    pub last_seq: i64,
    pub last_hash: String,
    pub broken: Option<AuditBreak>,
}

impl AuditVerification {
    pub fn is_ok(&self) -> bool {
        self.broken.is_none()
    }
}
