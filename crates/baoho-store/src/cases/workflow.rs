//! The audited changes of an open case: timeline entries, members, details, status,
//! assignment, checklist and closure.

use super::*;

/// A version that is no longer the case's: someone else's change came first. Checked twice:
/// against the row read under its lock, and again by the `UPDATE … AND version = $n` itself
/// (0 rows: the same answer), so no path writes over a change it did not see.
fn stale() -> StoreError {
    StoreError::Conflict("the case was changed by someone else since you opened it".into())
}

impl Cases {
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
            let (mut tx, s) = self.begin_gated(pool, id, Verb::Edit, action).await?;
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
                        .gate(
                            &mut tx,
                            pool.agg(),
                            person,
                            Verb::Read,
                            AuditAction::Read,
                            "",
                        )
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
                        return Err(stale());
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
                    let r = sqlx::query("UPDATE case_file SET private_data = $2, version = version + 1, updated_at = $3, updated_by = $4 WHERE rid = $1 AND version = $5")
                        .bind(s.rid).bind(&env).bind(now).bind(me).bind(version).execute(&mut *tx).await?;
                    if r.rows_affected() == 0 {
                        return Err(stale());
                    }
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
                        return Err(stale());
                    }
                    check_transition(s.status, to, reason)
                        .map_err(|_| invalid("status", "case.error.transition"))?;
                    let r = sqlx::query("UPDATE case_file SET status = $2, version = version + 1, close_requested_by = NULL, closed_at = NULL, closed_by = NULL, updated_at = $3, updated_by = $4 WHERE rid = $1 AND version = $5")
                        .bind(s.rid).bind(to.as_str()).bind(now).bind(me).bind(version).execute(&mut *tx).await?;
                    if r.rows_affected() == 0 {
                        return Err(stale());
                    }
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
                        return Err(stale());
                    }
                    if s.status != Status::Resolved {
                        return Err(invalid("status", "case.error.close_needs_resolved"));
                    }
                    let r = sqlx::query("UPDATE case_file SET close_requested_by = $2, version = version + 1, updated_at = $3, updated_by = $4 WHERE rid = $1 AND version = $5")
                        .bind(s.rid).bind(me).bind(now).bind(me).bind(version).execute(&mut *tx).await?;
                    if r.rows_affected() == 0 {
                        return Err(stale());
                    }
                    self.insert_event(&mut tx, s.rid, "status", "close requested", None, None)
                        .await?;
                    let mission = s.scope.missions.first().cloned().unwrap_or_default();
                    outbox_push(&mut tx, "notify_supervisors", &serde_json::json!({"mission": mission, "kind": "case_close_requested", "object_id": s.id, "actor": me}), now).await?;
                }
                ChangeOp::ApproveClose { version } => {
                    if s.version != version {
                        return Err(stale());
                    }
                    if s.status != Status::Resolved || s.close_requested_by.is_none() {
                        return Err(invalid("status", "case.error.close_not_requested"));
                    }
                    if !may_approve_close(&self.ctx.who, &s.scope)
                        || s.close_requested_by.as_deref() == Some(me)
                    {
                        return Err(StoreError::Forbidden);
                    }
                    let r = sqlx::query("UPDATE case_file SET status = 'closed', closed_at = $2, closed_by = $3, version = version + 1, updated_at = $2, updated_by = $3 WHERE rid = $1 AND version = $4")
                        .bind(s.rid).bind(now).bind(me).bind(version).execute(&mut *tx).await?;
                    if r.rows_affected() == 0 {
                        return Err(stale());
                    }
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
}

pub(super) enum ChangeOp<'a> {
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
