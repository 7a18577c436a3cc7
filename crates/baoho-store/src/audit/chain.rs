//! The hash chain: the canonical encoding, appending a row (per backend: SQLite's batched
//! writer, PostgreSQL's advisory lock), and the walk that finds the first broken link.

use super::*;

/// The hashed fields of a row, as text (how verification sees a stored row).
#[derive(Debug, Clone, Copy)]
pub struct ChainFields<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub actor: &'a str,
    pub role: &'a str,
    pub agency: &'a str,
    pub object_kind: &'a str,
    pub object_id: &'a str,
    pub action: &'a str,
    pub purpose: &'a str,
    pub outcome: &'a str,
    pub request_id: &'a str,
    pub prev_hash: &'a str,
}

impl ChainFields<'_> {
    /// The canonical encoding of a row without subjects (version 1, see the module
    /// documentation).
    pub fn canonical(&self) -> Vec<u8> {
        self.canonical_with("")
    }

    /// The canonical encoding of a row naming `subjects` (their stored text): version 1 when
    /// there are none, version 2 (a thirteenth field) otherwise.
    pub fn canonical_with(&self, subjects: &str) -> Vec<u8> {
        let seq = self.seq.to_string();
        let fields: [&str; 12] = [
            &seq,
            self.at,
            self.actor,
            self.role,
            self.agency,
            self.object_kind,
            self.object_id,
            self.action,
            self.purpose,
            self.outcome,
            self.request_id,
            self.prev_hash,
        ];
        let mut out = Vec::with_capacity(
            18 + subjects.len() + fields.iter().map(|f| f.len() + 4).sum::<usize>(),
        );
        let push = |out: &mut Vec<u8>, f: &str| {
            // Fields are bounded by validation (and by the database) far below 4 GiB.
            let len = u32::try_from(f.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(f.as_bytes());
        };
        if subjects.is_empty() {
            out.extend_from_slice(b"baoho-audit-v1");
        } else {
            out.extend_from_slice(b"baoho-audit-v2");
        }
        for f in fields {
            push(&mut out, f);
        }
        if !subjects.is_empty() {
            push(&mut out, subjects);
        }
        out
    }

    /// The hash of a row without subjects.
    pub fn hash(&self) -> String {
        self.hash_with("")
    }

    /// The hash of a row naming `subjects` (their stored text).
    pub fn hash_with(&self, subjects: &str) -> String {
        hex(&Sha256::digest(self.canonical_with(subjects)))
    }
}

/// `at` as stored in SQLite and hashed on both backends.
pub fn format_at(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn parse_at(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Invalid(format!("stored audit time {s:?}: {e}")))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Build the record that follows `prev` (seq, hash) for `e`.
pub(crate) fn next_record(e: &AuditEntry, prev: Option<(i64, String)>) -> AuditRecord {
    let (prev_seq, prev_hash) = prev.unwrap_or((0, GENESIS_HASH.to_owned()));
    let seq = prev_seq + 1;
    let mut entry = e.clone();
    entry.at = e.stored_at();
    entry.subjects = normal_subjects(&e.subjects);
    let subjects = entry.subjects.join(",");
    let at = format_at(&entry.at);
    let hash = ChainFields {
        seq,
        at: &at,
        actor: &entry.actor,
        role: &entry.role,
        agency: &entry.agency,
        object_kind: &entry.object_kind,
        object_id: &entry.object_id,
        action: entry.action.as_str(),
        purpose: &entry.purpose,
        outcome: entry.outcome.as_str(),
        request_id: &entry.request_id,
        prev_hash: &prev_hash,
    }
    .hash_with(&subjects);
    AuditRecord {
        seq,
        entry,
        prev_hash,
        hash,
    }
}

/// Walks the chain in seq order and stops at the first broken link.
#[derive(Debug)]
pub(crate) struct ChainChecker {
    rows: u64,
    last_seq: i64,
    last_hash: String,
    /// The last good row before `last_seq` (for [`Self::fail_last`]).
    before: (i64, String),
    broken: Option<AuditBreak>,
}

impl ChainChecker {
    pub(crate) fn new() -> Self {
        Self {
            rows: 0,
            last_seq: 0,
            last_hash: GENESIS_HASH.to_owned(),
            before: (0, GENESIS_HASH.to_owned()),
            broken: None,
        }
    }

    /// Check the next stored row (with its stored subjects text and hash). Returns false once
    /// broken.
    pub(crate) fn check(
        &mut self,
        row: &ChainFields<'_>,
        subjects: &str,
        stored_hash: &str,
    ) -> bool {
        if self.broken.is_some() {
            return false;
        }
        self.rows += 1;
        let kind = if row.seq != self.last_seq + 1 {
            Some(BreakKind::Gap {
                expected_seq: self.last_seq + 1,
            })
        } else if row.prev_hash != self.last_hash {
            Some(BreakKind::PrevHashMismatch {
                stored: row.prev_hash.to_owned(),
                expected: self.last_hash.clone(),
            })
        } else {
            let computed = row.hash_with(subjects);
            (computed != stored_hash).then(|| BreakKind::HashMismatch {
                stored: stored_hash.to_owned(),
                computed,
            })
        };
        match kind {
            Some(kind) => {
                self.broken = Some(AuditBreak { seq: row.seq, kind });
                false
            }
            None => {
                let last = std::mem::replace(&mut self.last_hash, stored_hash.to_owned());
                self.before = (self.last_seq, last);
                self.last_seq = row.seq;
                true
            }
        }
    }

    /// Report the row just accepted by [`Self::check`] broken for another reason than its
    /// chain (its subject index): the last good row is the one before it.
    pub(crate) fn fail_last(&mut self, kind: BreakKind) {
        if self.broken.is_none() {
            let seq = self.last_seq;
            (self.last_seq, self.last_hash) = std::mem::take(&mut self.before);
            self.broken = Some(AuditBreak { seq, kind });
        }
    }

    pub(crate) fn finish(self) -> AuditVerification {
        AuditVerification {
            rows: self.rows,
            last_seq: self.last_seq,
            last_hash: self.last_hash,
            broken: self.broken,
        }
    }
}

/// Append `e` inside the caller's SQLite transaction, so the audit row commits (or rolls back)
/// with the change it records.
///
/// Start the transaction with `BEGIN IMMEDIATE` (`pool.begin_with("BEGIN IMMEDIATE")`), or
/// write before appending: SQLite's single writer then serialises the read of the tail and the
/// insert. A deferred transaction that only read before appending may fail with "database is
/// locked" when another writer got in first; it never forks the chain (the `prev_hash` unique
/// constraint refuses a second successor).
pub async fn append_sqlite(tx: &mut sqlx::SqliteConnection, e: &AuditEntry) -> Result<AuditRecord> {
    e.validate()?;
    let tail = tail_sqlite(tx).await?;
    let r = next_record(e, tail);
    insert_sqlite(tx, std::slice::from_ref(&r)).await?;
    Ok(r)
}

/// The last row of the chain (seq, hash), `None` for an empty trail.
pub(crate) async fn tail_sqlite(tx: &mut sqlx::SqliteConnection) -> Result<Option<(i64, String)>> {
    Ok(
        sqlx::query_as("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?,
    )
}

/// Insert chained records (built with [`next_record`]) in one statement.
pub(crate) async fn insert_sqlite(
    tx: &mut sqlx::SqliteConnection,
    records: &[AuditRecord],
) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    insert_query(records).build().execute(&mut *tx).await?;
    Ok(())
}

/// The statement that inserts `records` (not empty), for callers that send more after it.
pub(crate) fn insert_query(records: &[AuditRecord]) -> sqlx::QueryBuilder<sqlx::Sqlite> {
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(INSERT_AUDIT);
    q.push_values(records, |mut b, r| {
        b.push_bind(r.seq)
            .push_bind(format_at(&r.entry.at))
            .push_bind(&r.entry.actor)
            .push_bind(&r.entry.role)
            .push_bind(&r.entry.agency)
            .push_bind(&r.entry.object_kind)
            .push_bind(&r.entry.object_id)
            .push_bind(r.entry.action.as_str())
            .push_bind(&r.entry.purpose)
            .push_bind(r.entry.outcome.as_str())
            .push_bind(&r.entry.request_id)
            .push_bind(&r.prev_hash)
            .push_bind(&r.hash)
            .push_bind(r.entry.subjects.join(","));
    });
    q
}

/// Append `e` inside the caller's PostgreSQL transaction (READ COMMITTED, the default), so the
/// audit row commits (or rolls back) with the change it records. Takes the transaction-scoped
/// advisory lock [`AUDIT_LOCK_KEY`] before reading the tail: concurrent appenders queue there
/// until this transaction ends.
pub async fn append_pg(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    e: &AuditEntry,
) -> Result<AuditRecord> {
    e.validate()?;
    let tail = lock_tail_pg(tx).await?;
    let r = next_record(e, tail);
    insert_query_pg(std::slice::from_ref(&r))
        .build()
        .execute(&mut **tx)
        .await?;
    Ok(r)
}

/// The head of the insert of audit rows (both backends bind the same columns in this order).
const INSERT_AUDIT: &str = "INSERT INTO audit (seq, at, actor, role, agency, object_kind, object_id, action, purpose, outcome, request_id, prev_hash, hash, subjects) ";

/// Take the chain's transaction-scoped advisory lock [`AUDIT_LOCK_KEY`] on PostgreSQL, then read
/// the tail the next rows link to: concurrent appenders queue at the lock until this
/// transaction ends.
pub(crate) async fn lock_tail_pg(tx: &mut sqlx::PgConnection) -> Result<Option<(i64, String)>> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(AUDIT_LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    Ok(
        sqlx::query_as("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?,
    )
}

/// The statement that inserts `records` (not empty) on PostgreSQL.
pub(crate) fn insert_query_pg(records: &[AuditRecord]) -> sqlx::QueryBuilder<sqlx::Postgres> {
    let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new(INSERT_AUDIT);
    q.push_values(records, |mut b, r| {
        b.push_bind(r.seq)
            .push_bind(r.entry.at)
            .push_bind(&r.entry.actor)
            .push_bind(&r.entry.role)
            .push_bind(&r.entry.agency)
            .push_bind(&r.entry.object_kind)
            .push_bind(&r.entry.object_id)
            .push_bind(r.entry.action.as_str())
            .push_bind(&r.entry.purpose)
            .push_bind(r.entry.outcome.as_str())
            .push_bind(&r.entry.request_id)
            .push_bind(&r.prev_hash)
            .push_bind(&r.hash)
            .push_bind(r.entry.subjects.join(","));
    });
    q
}

/// Column list for reading records (both backends).
pub(crate) const RECORD_COLUMNS: &str = "seq, at, actor, role, agency, object_kind, object_id, action, purpose, outcome, request_id, prev_hash, hash, subjects";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use chrono::TimeZone;

    fn entry() -> AuditEntry {
        AuditEntry::new(
            Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            "acct-1",
            AuditAction::Read,
            AuditOutcome::Allowed,
        )
        .object("person", "p-42")
    }

    #[test]
    fn chain_links_and_detects_edits() {
        let a = next_record(&entry(), None);
        assert_eq!(a.seq, 1);
        assert_eq!(a.prev_hash, GENESIS_HASH);
        let b = next_record(&entry(), Some((a.seq, a.hash.clone())));
        assert_eq!(b.prev_hash, a.hash);
        assert_ne!(a.hash, b.hash, "seq and prev_hash are hashed");
        let at = format_at(&a.entry.at);
        let fields = |actor: &'static str| ChainFields {
            seq: 1,
            at: &at,
            actor,
            role: "",
            agency: "",
            object_kind: "person",
            object_id: "p-42",
            action: "read",
            purpose: "",
            outcome: "allowed",
            request_id: "",
            prev_hash: GENESIS_HASH,
        };
        let mut c = ChainChecker::new();
        assert!(c.check(&fields("acct-1"), "", &a.hash));
        let mut c = ChainChecker::new();
        assert!(!c.check(&fields("acct-2"), "", &a.hash));
        assert!(matches!(
            c.finish().broken,
            Some(AuditBreak {
                seq: 1,
                kind: BreakKind::HashMismatch { .. }
            })
        ));
    }

    #[test]
    fn subjects_are_hashed_and_rows_without_keep_version_1() {
        let plain = next_record(&entry(), None);
        let with = next_record(&entry().subjects(["p-9", "p-2", "p-9"]), None);
        assert_eq!(
            with.entry.subjects,
            ["p-2", "p-9"],
            "sorted, without repeats"
        );
        assert_ne!(plain.hash, with.hash);
        let at = format_at(&plain.entry.at);
        let f = ChainFields {
            seq: 1,
            at: &at,
            actor: "acct-1",
            role: "",
            agency: "",
            object_kind: "person",
            object_id: "p-42",
            action: "read",
            purpose: "",
            outcome: "allowed",
            request_id: "",
            prev_hash: GENESIS_HASH,
        };
        assert_eq!(f.hash(), plain.hash, "no subjects: the version 1 hash");
        assert_eq!(f.hash_with("p-2,p-9"), with.hash);
        assert_ne!(
            f.hash_with("p-2"),
            with.hash,
            "a person left out is noticed"
        );
        let mut bad = entry();
        bad.subjects = vec!["Nguyễn Văn A".into()];
        assert!(bad.validate().is_err(), "names are refused as subjects");
    }

    #[test]
    fn encoding_is_unambiguous() {
        let base = ChainFields {
            seq: 1,
            at: "2026-01-02T03:04:05.000000Z",
            actor: "ab",
            role: "c",
            agency: "",
            object_kind: "",
            object_id: "",
            action: "read",
            purpose: "",
            outcome: "allowed",
            request_id: "",
            prev_hash: GENESIS_HASH,
        };
        let shifted = ChainFields {
            actor: "a",
            role: "bc",
            ..base
        };
        assert_ne!(base.hash(), shifted.hash());
    }

    #[test]
    fn times_are_canonical() {
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
            + chrono::Duration::nanoseconds(123_456_789);
        let e = AuditEntry { at: t, ..entry() };
        assert_eq!(format_at(&e.stored_at()), "2026-01-02T03:04:05.123456Z");
        assert_eq!(
            parse_at("2026-01-02T03:04:05.123456Z").unwrap(),
            e.stored_at()
        );
    }

    #[test]
    fn names_are_refused_in_id_fields() {
        let mut e = entry();
        e.object_id = "Nguyễn Văn A".into();
        assert!(e.validate().is_err());
        let mut e = entry();
        e.actor = String::new();
        assert!(e.validate().is_err());
        assert!(entry().purpose("case C-12, art. 5").validate().is_ok());
        for a in AuditAction::ALL {
            assert_eq!(a.as_str().parse::<AuditAction>().unwrap(), *a);
        }
    }
}
