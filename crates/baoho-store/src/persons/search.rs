//! Searching persons within the identity's scope (names, documents by blind index).

use super::*;

impl Persons {
    /// The SQL condition (and its parameters, numbered from `first`) that keeps only persons
    /// this identity may find. It mirrors [`decide`] for `Verb::Search`; every hit is checked
    /// with [`decide`] again before it is returned.
    pub(super) fn search_scope(&self, first: usize) -> (String, Vec<String>) {
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
            // Partners read referral snapshots in their inbox, never the registry (ADR 0019).
            _ => "1 = 0".to_owned(),
        };
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
            // The row names the persons returned (ids; "who saw whom", ADR 0018).
            tx.audit(&entry.clone().subjects(hits.iter().map(|h| h.id.as_str())))
                .await?;
            tx.commit_in(&self.db).await?;
            Ok(SearchResult { hits, more })
        })
    }

    /// A search row as a hit, if [`decide`] lets this identity find it (the SQL scope already
    /// filtered; this is the second check).
    pub(super) fn summary_if_searchable<R: Row>(&self, r: &R) -> Result<Option<PersonSummary>>
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
}
