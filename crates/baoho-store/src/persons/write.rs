//! Recording and changing persons: checks, encryption of the private part, create, update and
//! the bulk import.

use super::*;

impl Persons {
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

    /// Replace a person's data if `version` is still current; a stale version is a Conflict.
    pub async fn update(&self, id: &str, version: i64, input: PersonInput) -> Result<PersonRecord> {
        on_db!(self.db, |pool| {
            let (mut tx, (s, glass)) = self
                .begin_gated(pool, id, Verb::Edit, AuditAction::Update)
                .await?;
            let input = self.check_input(input)?;
            // Removing a restriction is not an edit: only a supervisor lifts one, with a
            // reason, through [`Self::lift_restriction`] (its own audit action). The attempt
            // is refused here whoever makes it, and recorded.
            if !lifted(&s.scope.restricted, &input.restricted).is_empty() {
                let entry = self
                    .entry(AuditAction::RestrictionLift, AuditOutcome::Denied, &s.id)
                    .purpose("restriction removed in an edit");
                tx.audit(&entry).await?;
                tx.commit_in(&self.db).await?;
                return Err(StoreError::Validation(vec![FieldError {
                    field: "restricted".into(),
                    code: "person.error.lift_in_edit",
                }]));
            }
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

    /// Lift restrictions (`lift`, each one the record has) from a person, if `version` is
    /// still current. Only a supervisor may ([`may_lift_restriction`]): the head of the
    /// record's mission or the head at headquarters, who reached the record without
    /// break-glass, with a written reason (at least 15 characters). Audited as its own action
    /// (`restriction_lift`) with what was lifted and the reason; a refused supervisor check
    /// leaves a `denied` row and answers Forbidden.
    pub async fn lift_restriction(
        &self,
        id: &str,
        version: i64,
        lift: &[Restricted],
        reason: &str,
    ) -> Result<PersonRecord> {
        let reason = baoho_domain::text::nfc(reason.trim());
        on_db!(self.db, |pool| {
            let (mut tx, (s, glass)) = self
                .begin_gated(pool, id, Verb::Edit, AuditAction::RestrictionLift)
                .await?;
            match may_lift_restriction(&self.ctx.who, &s.scope, glass, &reason) {
                Ok(()) => {}
                Err(LiftRefusal::ReasonTooShort) => {
                    return Err(StoreError::Validation(vec![FieldError {
                        field: "reason".into(),
                        code: "person.error.lift_reason",
                    }]));
                }
                Err(why) => {
                    tracing::info!(reason = ?why, "restriction lift refused");
                    let entry = self
                        .entry(AuditAction::RestrictionLift, AuditOutcome::Denied, &s.id)
                        .purpose(if glass {
                            "break-glass"
                        } else {
                            "not a supervisor"
                        });
                    tx.audit(&entry).await?;
                    tx.commit_in(&self.db).await?;
                    return Err(StoreError::Forbidden);
                }
            }
            // A stale form is a conflict before anything else is said about it.
            let current: i64 = sqlx::query_scalar("SELECT version FROM person WHERE rid = $1")
                .bind(s.rid)
                .fetch_one(&mut *tx)
                .await?;
            if current != version {
                return Err(StoreError::Conflict(
                    "the person was changed by someone else since you opened it".into(),
                ));
            }
            if lift.is_empty() || lift.iter().any(|r| !s.scope.restricted.contains(r)) {
                return Err(StoreError::Validation(vec![FieldError {
                    field: "lift".into(),
                    code: "person.error.lift_nothing",
                }]));
            }
            let left: Vec<Restricted> = s
                .scope
                .restricted
                .iter()
                .filter(|r| !lift.contains(r))
                .copied()
                .collect();
            let r = sqlx::query(
                "UPDATE person SET version = version + 1, restricted = $3, updated_at = $4, updated_by = $5 \
                 WHERE rid = $1 AND version = $2",
            )
            .bind(s.rid)
            .bind(version)
            .bind(Restricted::join(&left))
            .bind(self.ctx.at)
            .bind(&self.ctx.who.account_id)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() == 0 {
                return Err(StoreError::Conflict(
                    "the person was changed by someone else since you opened it".into(),
                ));
            }
            // The reason is the supervisor's written justification, kept with the action
            // (the audit purpose: free text, no control characters, at most 500 characters).
            let what: Vec<&str> = lift.iter().map(|r| r.as_str()).collect();
            let purpose: String = format!("lifted {}: {reason}", what.join(","))
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(500)
                .collect();
            let entry = self
                .entry(AuditAction::RestrictionLift, AuditOutcome::Allowed, &s.id)
                .purpose(purpose);
            tx.audit(&entry).await?;
            let rec = self.load(&mut tx, &s, false).await?;
            tx.commit_in(&self.db).await?;
            Ok(rec)
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
