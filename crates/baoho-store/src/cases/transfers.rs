//! Transfers of a case between missions. The holding mission asks (an edit of the case); the
//! receiving mission sees the request in its queue — the reference, type, where from and why,
//! not the file — and accepts (the case becomes theirs, the acceptor its lead) or rejects.

use crate::accounts::uuid_v7;
use crate::audit::{AuditAction, AuditEntry, AuditOutcome};
use crate::cases::Cases;
use crate::crypto::Aad;
use crate::db::{AuditTx, Commit, Dialect, on_db};
use crate::{Result, StoreError};
use baoho_domain::access::{AgencyKind, Role, Verb};
use baoho_domain::person::FieldError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// A transfer as both missions see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Transfer {
    pub id: String,
    pub case_id: String,
    pub case_reference: String,
    pub case_type: String,
    pub from_mission: String,
    pub to_mission: String,
    pub reason: String,
    /// `requested`, `accepted` or `rejected`.
    pub status: String,
    pub created_at: DateTime<Utc>,
}

fn invalid(field: &str, code: &'static str) -> StoreError {
    StoreError::Validation(vec![FieldError {
        field: field.into(),
        code,
    }])
}

fn pending() -> StoreError {
    StoreError::Conflict("a transfer of this case is already pending".into())
}

const COLUMNS: &str = "t.id, c.id AS case_id, c.reference, c.case_type, t.from_mission, t.to_mission, t.reason, t.status, t.created_at";

impl Cases {
    fn transfer_entry(
        &self,
        action: AuditAction,
        outcome: AuditOutcome,
        case_id: &str,
        purpose: String,
    ) -> AuditEntry {
        let who = &self.ctx().who;
        AuditEntry::new(self.ctx().at, &who.account_id, action, outcome)
            .role(who.role.as_str())
            .agency(&who.agency.code)
            .object("case", case_id)
            .purpose(purpose)
            .request(&self.ctx().request_id)
    }

    fn transfer_from_row<R: Row>(&self, r: &R) -> Result<Transfer>
    where
        for<'a> &'a str: sqlx::ColumnIndex<R>,
        String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        DateTime<Utc>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    {
        let id: String = r.try_get("id")?;
        let reason: String = r.try_get("reason")?;
        Ok(Transfer {
            reason: self
                .keys_ref()
                .decrypt_string(&Aad::new("case_transfer", "reason", &id), &reason)?
                .to_string(),
            id,
            case_id: r.try_get("case_id")?,
            case_reference: r.try_get("reference")?,
            case_type: r.try_get("case_type")?,
            from_mission: r.try_get("from_mission")?,
            to_mission: r.try_get("to_mission")?,
            status: r.try_get("status")?,
            created_at: r.try_get("created_at")?,
        })
    }

    /// Ask another mission to take the case.
    pub async fn request_transfer(
        &self,
        case_id: &str,
        to_mission: &str,
        reason: &str,
    ) -> Result<Transfer> {
        let to = to_mission.trim().to_ascii_uppercase();
        if baoho_domain::refdata::mission(&to).is_none() {
            return Err(invalid("to_mission", "person.error.unknown_mission"));
        }
        let reason = baoho_domain::text::nfc(reason.trim());
        if reason.chars().count() < 5 || reason.chars().count() > 2000 {
            return Err(invalid("reason", "transfer.error.reason"));
        }
        let id = uuid_v7();
        let env = self
            .keys_ref()
            .encrypt_str(&Aad::new("case_transfer", "reason", &id), &reason)?;
        let at = self.ctx().at;
        let me = self.ctx().who.account_id.clone();
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let (mut tx, s) = self
                .begin_gated(pool, case_id, Verb::Edit, AuditAction::Update)
                .await?;
            let (from, reference, case_type): (String, String, String) = sqlx::query_as(
                "SELECT mission_code, reference, case_type FROM case_file WHERE rid = $1",
            )
            .bind(s.rid)
            .fetch_one(&mut *tx)
            .await?;
            if from == to {
                return Err(invalid("to_mission", "transfer.error.same"));
            }
            let open: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM case_transfer WHERE case_rid = $1 AND status = 'requested'",
            )
            .bind(s.rid)
            .fetch_one(&mut *tx)
            .await?;
            if open > 0 {
                return Err(pending());
            }
            // The case's row is locked (an edit's gate), so the count above cannot change
            // under us; the partial unique index `case_transfer_one_pending` (migration 0017)
            // refuses a second pending transfer whatever path inserts it.
            sqlx::query("INSERT INTO case_transfer (id, case_rid, from_mission, to_mission, reason, status, requested_by, created_at) VALUES ($1, $2, $3, $4, $5, 'requested', $6, $7)")
                .bind(&id).bind(s.rid).bind(&from).bind(&to).bind(&env).bind(&me).bind(at)
                .execute(&mut *tx).await
                .map_err(|e| match StoreError::from(e) {
                    StoreError::Conflict(_) => pending(),
                    other => other,
                })?;
            let payload = serde_json::json!({"mission": to, "kind": "transfer_requested", "object_kind": "transfer", "object_id": id, "actor": me});
            sqlx::query("INSERT INTO outbox (id, kind, payload, created_at, next_attempt_at) VALUES ($1, 'notify_mission', $2, $3, $3)")
                .bind(uuid_v7()).bind(payload.to_string()).bind(at).execute(&mut *tx).await?;
            tx.audit(&self.transfer_entry(
                AuditAction::Update,
                AuditOutcome::Allowed,
                &s.id,
                format!("transfer {id} requested to {to}"),
            ))
            .await?;
            tx.commit_in(&self.db).await?;
            Ok(Transfer {
                id,
                case_id: s.id,
                case_reference: reference,
                case_type,
                from_mission: from,
                to_mission: to,
                reason,
                status: "requested".into(),
                created_at: at,
            })
        })
    }

    /// Transfers of a case opened with [`Cases::get`].
    pub async fn transfers_of(&self, case: &crate::cases::CaseRecord) -> Result<Vec<Transfer>> {
        let case_id = self.opened(case)?;
        let sql = format!(
            "SELECT {COLUMNS} FROM case_transfer t JOIN case_file c ON c.rid = t.case_rid WHERE c.id = $1 ORDER BY t.created_at DESC"
        );
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(case_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| self.transfer_from_row(r)).collect()
        })
    }

    /// Transfers waiting for my mission (HQ: all).
    pub async fn incoming_transfers(&self) -> Result<Vec<Transfer>> {
        let who = &self.ctx().who;
        // HQ sees every pending transfer; a mission those addressed to it ($1 is its code).
        let (cond, mission) = match (who.role, who.agency.kind) {
            (Role::HqOfficer | Role::HeadOfMission, AgencyKind::ConsularDepartment) => {
                ("$1 = $1", String::new())
            }
            (Role::MissionOfficer | Role::HeadOfMission, AgencyKind::Mission) => {
                ("t.to_mission = $1", who.agency.code.clone())
            }
            _ => return Ok(vec![]),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM case_transfer t JOIN case_file c ON c.rid = t.case_rid WHERE t.status = 'requested' AND {cond} ORDER BY t.created_at"
        );
        // The persons of the cases listed, for the audit row ("who saw whom", ADR 0018).
        let persons_sql = format!(
            "SELECT DISTINCT p.id FROM case_transfer t JOIN case_person cp ON cp.case_rid = t.case_rid JOIN person p ON p.rid = cp.person_rid WHERE t.status = 'requested' AND {cond}"
        );
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&mission)
                .fetch_all(pool)
                .await?;
            let transfers: Vec<Transfer> = rows
                .iter()
                .map(|r| self.transfer_from_row(r))
                .collect::<Result<_>>()?;
            let persons: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(persons_sql))
                .bind(&mission)
                .fetch_all(pool)
                .await?;
            let mut tx = pool.begin_write(&self.db).await?;
            // The incoming queue shows other missions' cases (reference, type, reason): audited.
            let mut entry = self.transfer_entry(
                AuditAction::Search,
                AuditOutcome::Allowed,
                "",
                format!("incoming transfers: {}", transfers.len()),
            );
            entry.object_kind = "transfer".into();
            tx.audit(&entry.subjects(persons)).await?;
            tx.commit_in(&self.db).await?;
            Ok(transfers)
        })
    }

    /// Accept or reject a transfer to my mission. Accepting moves the case to my mission and
    /// makes me its lead. A transfer to another mission does not exist for me.
    pub async fn decide_transfer(&self, transfer_id: &str, accept: bool) -> Result<()> {
        let who = self.ctx().who.clone();
        let at = self.ctx().at;
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            // Lock the case's row first, as every edit of the case does (its gate), then read
            // the transfer again under that lock: of two decisions on one transfer the second
            // finds it decided; an edit of the case waits for the move (ADR 0014).
            let case_rid: Option<i64> =
                sqlx::query_scalar("SELECT case_rid FROM case_transfer WHERE id = $1")
                    .bind(transfer_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(rid) = case_rid {
                let sql = format!(
                    "SELECT rid FROM case_file WHERE rid = $1{}",
                    pool.for_update()
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(rid)
                    .fetch_optional(&mut *tx)
                    .await?;
            }
            let sql = format!(
                "SELECT t.case_rid, t.from_mission, t.to_mission, c.id AS case_id FROM case_transfer t JOIN case_file c ON c.rid = t.case_rid WHERE t.id = $1 AND t.status = 'requested'{}",
                pool.for_update()
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(transfer_id)
                .fetch_optional(&mut *tx)
                .await?;
            let allowed = |to: &str| match (who.role, who.agency.kind) {
                (Role::HqOfficer | Role::HeadOfMission, AgencyKind::ConsularDepartment) => true,
                (Role::MissionOfficer | Role::HeadOfMission, AgencyKind::Mission) => {
                    who.agency.code == to
                }
                _ => false,
            };
            let found = match &row {
                Some(r) => {
                    let to: String = r.try_get("to_mission")?;
                    allowed(&to).then(|| {
                        (
                            r.try_get::<i64, _>("case_rid"),
                            to,
                            r.try_get::<String, _>("case_id"),
                        )
                    })
                }
                None => None,
            };
            let Some((rid, to, case_id)) = found else {
                tx.audit(&self.transfer_entry(
                    AuditAction::Update,
                    AuditOutcome::Denied,
                    "",
                    format!(
                            "transfer {}",
                            transfer_id
                                .chars()
                                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                                .take(40)
                                .collect::<String>()
                        ),
                ))
                .await?;
                tx.commit_in(&self.db).await?;
                return Err(StoreError::NotFound);
            };
            let (rid, case_id) = (rid?, case_id?);
            let status = if accept { "accepted" } else { "rejected" };
            let decided = sqlx::query("UPDATE case_transfer SET status = $2, decided_by = $3, decided_at = $4 WHERE id = $1 AND status = 'requested'")
                .bind(transfer_id).bind(status).bind(&who.account_id).bind(at).execute(&mut *tx).await?;
            if decided.rows_affected() == 0 {
                return Err(StoreError::Conflict(
                    "the transfer was decided meanwhile".into(),
                ));
            }
            if accept {
                sqlx::query("UPDATE case_file SET mission_code = $2, lead_officer = $3, version = version + 1, updated_at = $4, updated_by = $3 WHERE rid = $1")
                    .bind(rid).bind(&to).bind(&who.account_id).bind(at).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO case_member (case_rid, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(rid).bind(&who.account_id).execute(&mut *tx).await?;
            }
            let eid = uuid_v7();
            let body = self.keys_ref().encrypt_str(
                &Aad::new("case_event", "body", &eid),
                &format!("{status}: {to}"),
            )?;
            sqlx::query("INSERT INTO case_event (id, case_rid, kind, at, author, body) VALUES ($1, $2, 'transfer', $3, $4, $5)")
                .bind(&eid).bind(rid).bind(at).bind(&who.account_id).bind(&body).execute(&mut *tx).await?;
            let payload = serde_json::json!({"kind": format!("transfer_{status}"), "object_id": case_id, "actor": who.account_id});
            sqlx::query("INSERT INTO outbox (id, kind, payload, created_at, next_attempt_at) VALUES ($1, 'notify_case', $2, $3, $3)")
                .bind(uuid_v7()).bind(payload.to_string()).bind(at).execute(&mut *tx).await?;
            // The receiving mission's decision names the case's persons: accepted, they arrive
            // in its scope ("who saw whom", ADR 0018).
            let persons: Vec<String> = sqlx::query_scalar(
                "SELECT p.id FROM case_person cp JOIN person p ON p.rid = cp.person_rid WHERE cp.case_rid = $1",
            )
            .bind(rid)
            .fetch_all(&mut *tx)
            .await?;
            let from: String = match &row {
                Some(r) => r.try_get("from_mission")?,
                None => String::new(),
            };
            let what = if accept {
                format!("accepted: arrived at {to} from {from}")
            } else {
                format!("rejected by {to}, stays with {from}")
            };
            tx.audit(
                &self
                    .transfer_entry(
                        AuditAction::Update,
                        AuditOutcome::Allowed,
                        &case_id,
                        format!("transfer {transfer_id} {what}"),
                    )
                    .subjects(persons),
            )
            .await?;
            tx.commit_in(&self.db).await?;
            Ok(())
        })
    }
}
