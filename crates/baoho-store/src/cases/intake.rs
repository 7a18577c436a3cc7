//! Intake: a new case's checks and first rows (the case, its creator as member, the first
//! timeline entry).

use super::*;

/// An intake that passed [`Cases::check_intake`]'s checks, its values cleaned.
pub(super) struct CheckedIntake {
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
    #[schema(pattern = r"^\s*(urgent|high|normal|low)\s*$")]
    pub priority: String,
    /// `hotline`, `mission`, `partner` or `portal`.
    #[schema(pattern = r"^\s*(hotline|mission|partner|portal)\s*$")]
    pub channel: String,
    /// ISO alpha-2 of where it happened.
    #[schema(pattern = r"^\s*[A-Za-z]{2}\s*$")]
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

impl Cases {
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
                    .gate(&mut tx, pool.agg(), pid, Verb::Read, AuditAction::Read, "")
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

/// Binds `$1`…`$13` of a [`NewCase`], the same on both backends (in this order).
macro_rules! bind_new_case {
    ($q:expr, $c:expr) => {
        $q.bind($c.id)
            .bind($c.case_type)
            .bind($c.priority)
            .bind($c.channel)
            .bind($c.mission)
            .bind($c.country)
            .bind($c.city)
            .bind($c.restricted)
            .bind($c.private_data)
            .bind($c.lead)
            .bind($c.at)
            .bind($c.due)
            .bind($c.by)
    };
}

impl InsertCase for crate::db::batch::WriteTx {
    /// One round trip to SQLite's worker thread (it runs the statements one after another):
    /// under load every round trip waits for the async side to be scheduled, and the writer
    /// connection is the bottleneck of all writes. The rid is the next one SQLite would give
    /// (`INTEGER PRIMARY KEY` without AUTOINCREMENT), so the reference is written with the row.
    async fn insert_case(&mut self, c: &NewCase<'_>) -> Result<(i64, String)> {
        Ok(bind_new_case!(sqlx::query_as(
            "INSERT INTO case_file (rid, id, reference, version, case_type, priority, status, channel, mission_code, country, city, restricted, private_data, lead_officer, opened_at, due_at, created_by, updated_at, updated_by) \
             SELECT n, $1, printf('BH-%s-%06d', $14, n), 1, $2, $3, 'new', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $11, $13 \
             FROM (SELECT COALESCE(MAX(rid), 0) + 1 AS n FROM case_file); \
             INSERT INTO case_member (case_rid, account_id) SELECT rid, $13 FROM case_file WHERE id = $1; \
             INSERT INTO case_event (id, case_rid, kind, at, author, body, amount_minor, currency) \
             SELECT $15, rid, 'status', $11, $13, $16, NULL, NULL FROM case_file WHERE id = $1; \
             SELECT rid, reference FROM case_file WHERE id = $1",
        ), c)
        .bind(&c.year)
        .bind(c.event_id)
        .bind(c.event_body)
        .fetch_one(&mut **self)
        .await?)
    }
}

impl InsertCase for sqlx::Transaction<'_, sqlx::Postgres> {
    async fn insert_case(&mut self, c: &NewCase<'_>) -> Result<(i64, String)> {
        let rid: i64 = bind_new_case!(sqlx::query_scalar(
            "INSERT INTO case_file (id, reference, version, case_type, priority, status, channel, mission_code, country, city, restricted, private_data, lead_officer, opened_at, due_at, created_by, updated_at, updated_by) \
             VALUES ($1, $1, 1, $2, $3, 'new', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $11, $13) RETURNING rid",
        ), c)
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
