//! The case list and its export: filters, the scope as SQL, paging.

use super::*;

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

impl Cases {
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
    pub(super) async fn fetch(&self, f: &CaseFilter, cap: Option<i64>) -> Result<CasePage> {
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
}

impl Cases {
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

    /// The ids of the persons of the cases `case_ids` that this identity may list (the cases
    /// of an export just read through [`Cases::list`]), for the export's audit row ("who saw
    /// whom", ADR 0018). Ids only; cases outside the scope add nothing.
    pub async fn persons_of_listed(&self, case_ids: &[String]) -> Result<Vec<String>> {
        if !is_case_role(&self.ctx.who) || self.ctx.who.role == Role::PartnerLiaison {
            return Err(StoreError::Forbidden);
        }
        let mut out: Vec<String> = Vec::new();
        for chunk in case_ids.chunks(500) {
            let mut params: Vec<String> = Vec::new();
            let scope = self.list_scope(&mut params);
            let first = params.len() + 2;
            let ids: Vec<String> = (0..chunk.len())
                .map(|i| format!("${}", first + i))
                .collect();
            let sql = format!(
                "SELECT DISTINCT p.id FROM case_file c JOIN case_person cp ON cp.case_rid = c.rid JOIN person p ON p.rid = cp.person_rid WHERE c.id IN ({}) AND {scope}",
                ids.join(", ")
            );
            let found: Vec<String> = on_db!(self.db, |pool| {
                let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .bind(self.ctx.who.account_id.as_str());
                for p in &params {
                    q = q.bind(p.as_str());
                }
                for id in chunk {
                    q = q.bind(id.as_str());
                }
                q.fetch_all(pool).await?
            });
            out.extend(found);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}
