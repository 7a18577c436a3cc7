//! Reading a person: the audited read, the export, the read for an edit, and summaries of
//! many.

use super::*;

impl Persons {
    async fn read_as(&self, id: &str, verb: Verb, action: AuditAction) -> Result<PersonRecord> {
        on_db!(self.db, |pool| {
            let (mut tx, (s, glass)) = self.begin_gated(pool, id, verb, action).await?;
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
            // The row names the candidates shown (ids; "who saw whom", ADR 0018).
            tx.audit(&entry.clone().subjects(hits.iter().map(|h| h.id.as_str())))
                .await?;
            tx.commit_in(&self.db).await?;
            Ok(hits)
        })
    }
}
