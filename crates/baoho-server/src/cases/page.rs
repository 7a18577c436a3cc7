use super::*;

/// Open a case. Outside your scope, or missing: 404.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", operation_id = "cases_get", params(("id" = String, Path)),
    responses((status = 200, body = CaseRecord), (status = 404, body = ProblemBody)))]
pub async fn api_get(caller: Caller, Path(id): Path<String>) -> Result<Json<CaseRecord>, AppError> {
    Ok(Json(caller.cases("").get(&id).await?))
}

pub struct EventRow {
    pub kind_key: String,
    pub at: String,
    pub author: String,
    pub body: String,
    pub amount: String,
}

pub struct CheckRow {
    pub index: usize,
    pub label: String,
    pub done: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/case.html")]
pub struct CasePageT {
    pub c: Chrome,
    pub k: CaseRecord,
    pub type_name: String,
    pub place: String,
    pub persons: Vec<(String, String)>,
    pub checks: Vec<CheckRow>,
    pub events: Vec<EventRow>,
    pub next: Vec<&'static str>,
    pub can_request_close: bool,
    pub can_approve: bool,
    pub officers: Vec<Opt>,
    pub lead_name: String,
    pub consular_access: bool,
    pub referrals: Vec<ReferralRow>,
    /// Today (`YYYY-MM-DD`), the referral form's default day of consent.
    pub consent_today: String,
    pub partner_agencies: Vec<Opt>,
    /// Foreign states (the case's country first), reached through the diplomatic channel.
    pub partner_states: Vec<Opt>,
    /// The consular-access clock (arrest and detention types only): dates as `YYYY-MM-DD`
    /// and the breaches now.
    pub clock: Option<ClockView>,
    pub transfers: Vec<baoho_store::cases::transfers::Transfer>,
    pub missions: Vec<Opt>,
    /// Colleagues who opened this case in the last 10 minutes.
    pub also_here: Vec<String>,
    pub attachments: Vec<baoho_store::cases::attachments::Attachment>,
    /// The case type's own fields with their values.
    pub details: Vec<DetailRow>,
    /// The registry search for a person to add (`?find=`), and its hits not yet on the case.
    pub find: String,
    pub found: Vec<baoho_store::PersonSummary>,
    /// A person was just removed from the case (`?removed=1`).
    pub removed: bool,
    /// A removal the store refused: the form comes back open with what was typed.
    pub unlink: Option<UnlinkView>,
}

/// A refused removal of a person from the case, as the page shows it again.
pub struct UnlinkView {
    /// The person the form was for.
    pub person: String,
    /// The reason as typed.
    pub reason: String,
    /// Why it was refused, in the reader's language.
    pub error: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct CasePageQuery {
    /// Search the registry for a person to add to the case.
    #[serde(default)]
    pub find: Option<String>,
    /// Set after a person was removed (the redirect says so).
    #[serde(default)]
    pub removed: Option<String>,
}

/// One of the case type's own fields on the case page.
pub struct DetailRow {
    pub key: String,
    pub label: String,
    /// `text`, `date`, `number` or `choice`.
    pub kind: &'static str,
    /// As stored (the form's value).
    pub value: String,
    /// As people read it (a choice's label).
    pub display: String,
    pub options: Vec<Opt>,
    /// What is wrong with the value typed (intake form), in the page's language.
    pub error: String,
}

pub(super) fn detail_rows(
    lang: Lang,
    ty: &baoho_domain::case::CaseType,
    values: &std::collections::BTreeMap<String, String>,
) -> Vec<DetailRow> {
    use baoho_domain::case::FieldKind;
    ty.fields
        .iter()
        .map(|f| {
            let value = values.get(&f.key).cloned().unwrap_or_default();
            DetailRow {
                key: f.key.clone(),
                label: f.label(lang.code()).to_owned(),
                kind: match f.kind {
                    FieldKind::Text => "text",
                    FieldKind::Date => "date",
                    FieldKind::Number => "number",
                    FieldKind::Choice => "choice",
                },
                display: f.display(&value, lang.code()),
                options: f
                    .options
                    .iter()
                    .map(|o| Opt {
                        value: o.value.clone(),
                        label: if lang == Lang::Vi {
                            o.vi.clone()
                        } else {
                            o.en.clone()
                        },
                    })
                    .collect(),
                value,
                error: String::new(),
            }
        })
        .collect()
}

impl CasePageT {
    fn agency(&self, code: &str) -> String {
        agency_label(self.c.t.lang, code)
    }

    fn details_empty(&self) -> bool {
        self.details.iter().all(|d| d.value.is_empty())
    }

    /// What kind of file an attachment is, as people say it (the accepted types only).
    fn file_kind(&self, content_type: &str) -> &str {
        match content_type {
            "application/pdf" => "PDF",
            "image/jpeg" => "JPEG",
            "image/png" => "PNG",
            _ => self.c.t.s("attachment.kind.text"),
        }
    }

    /// A size people can read: bytes under 1 KiB, then KiB, then MiB with one decimal.
    fn file_size(&self, bytes: &i64) -> String {
        file_size(*bytes)
    }

    /// The refused removal if it was for this listed person (its form comes back open).
    fn unlink_for(&self, person: &str) -> Option<&UnlinkView> {
        self.unlink.as_ref().filter(|u| u.person == person)
    }

    /// The refusal of a removal whose person is not listed here (removed meanwhile, or not
    /// on this case): shown above the list.
    fn unlink_unlisted(&self) -> Option<&UnlinkView> {
        self.unlink
            .as_ref()
            .filter(|u| !self.persons.iter().any(|(pid, _)| *pid == u.person))
    }
}

pub(super) fn file_size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        // Rounded to whole KiB below what would round to 1024 KiB.
        b if b < 1024 * 1024 - 512 => format!("{} KiB", (b + 512) / 1024),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

pub struct ClockView {
    pub arrested: String,
    pub notified: String,
    pub requested: String,
    pub granted: String,
    pub visits: usize,
    /// (message key, days)
    pub breaches: Vec<(String, i64)>,
}

pub(super) fn day(d: Option<chrono::DateTime<chrono::Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Every account, to name the people in the case's timeline and to fill the assign list.
async fn all_accounts(caller: &Caller) -> Result<Vec<baoho_store::Account>, AppError> {
    caller.staff_directory().await
}

/// `GET /cases/{id}` (`?find=` searches the registry for a person to add; `?removed=1` says a
/// person was just removed)
pub async fn case_page(
    caller: Caller,
    c: Chrome,
    Path(id): Path<String>,
    Query(cq): Query<CasePageQuery>,
) -> Result<CasePageT, AppError> {
    let mut page = case_view(&caller, c, &id, cq.find.as_deref()).await?;
    page.removed = cq.removed.is_some();
    Ok(page)
}

/// The case page as `GET /cases/{id}` shows it (also re-rendered by a refused form).
pub(super) async fn case_view(
    caller: &Caller,
    c: Chrome,
    id: &str,
    find: Option<&str>,
) -> Result<CasePageT, AppError> {
    let h = caller.cases("");
    let k = h.get(id).await?;
    let lang = c.t.lang;
    let persons_h = caller.persons(&format!("case {}", k.summary.reference));
    let mut persons = Vec::new();
    for pid in &k.persons {
        // Each person is opened through the person handle (audited; hidden if not allowed).
        match persons_h.get(pid).await {
            Ok(p) => persons.push((p.id.clone(), p.data.full_name.clone())),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // The timeline names the persons it added and removed: those no longer on the case are
    // opened like the others, one audited read each (left unnamed if out of scope).
    let mut named = persons.clone();
    let mut gone: Vec<String> = k
        .events
        .iter()
        .filter_map(|e| match e.kind.as_str() {
            "person_linked" => Some(e.body.as_str()),
            "person_unlinked" => e.body.split_once(": ").map(|(pid, _)| pid),
            _ => None,
        })
        .filter(|pid| !persons.iter().any(|(id, _)| id == pid))
        .map(str::to_owned)
        .collect();
    gone.sort();
    gone.dedup();
    for pid in &gone {
        match persons_h.get(pid).await {
            Ok(p) => named.push((p.id.clone(), p.data.full_name.clone())),
            Err(StoreError::NotFound | StoreError::Forbidden) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let name_in_case = |pid: &str| {
        named
            .iter()
            .find(|(id, _)| id == pid)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| "—".into())
    };
    let find = find.map(str::trim).unwrap_or("").to_owned();
    let found = if find.is_empty() {
        vec![]
    } else {
        persons_h
            .search(&baoho_domain::person::PersonQuery {
                text: find.clone(),
                birth_year: None,
                limit: 20,
            })
            .await?
            .hits
            .into_iter()
            .filter(|h| !k.persons.contains(&h.id))
            .collect()
    };
    let ty = case_type(&k.summary.case_type);
    let checks = ty
        .map(|t| {
            t.checklist
                .iter()
                .enumerate()
                .map(|(i, item)| CheckRow {
                    index: i,
                    label: if lang == Lang::Vi {
                        item.vi.clone()
                    } else {
                        item.en.clone()
                    },
                    done: k.checks_done.contains(&(i as i64)),
                })
                .collect()
        })
        .unwrap_or_default();
    let accounts = all_accounts(caller).await?;
    let name_of = |id: &str| {
        accounts
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.display_name.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    // System entries hold codes; show them in the reader's language.
    let t = c.t;
    let known = |key: String, raw: &str| {
        let v = t.s(&key);
        if v == key {
            raw.to_owned()
        } else {
            v.to_owned()
        }
    };
    let events = k
        .events
        .iter()
        .map(|e| EventRow {
            kind_key: format!("case.event.{}", e.kind),
            at: e.at.format("%Y-%m-%d %H:%M").to_string(),
            author: if e.author == "system" {
                "Baoho".into()
            } else {
                name_of(&e.author)
            },
            body: match e.kind.as_str() {
                "status" => match e.body.split_once(": ") {
                    Some((code, reason)) => {
                        format!("{} — {reason}", known(format!("case.status.{code}"), code))
                    }
                    None => known(format!("case.status.{}", e.body), &e.body),
                },
                "escalation" => known(format!("case.escalation.{}", e.body), &e.body),
                "assignment" => name_of(&e.body),
                "person_linked" => name_in_case(&e.body),
                "person_unlinked" => match e.body.split_once(": ") {
                    Some((pid, reason)) => format!("{} — {reason}", name_in_case(pid)),
                    None => e.body.clone(),
                },
                "details" => e
                    .body
                    .split(", ")
                    .map(|key| {
                        ty.and_then(|t| t.fields.iter().find(|f| f.key == key))
                            .map(|f| f.label(lang.code()).to_owned())
                            .unwrap_or_else(|| key.to_owned())
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => e.body.clone(),
            },
            amount: match (e.amount_minor, &e.currency) {
                (Some(a), Some(cur)) => {
                    let mut s = format!("{}.{:02} {cur}", a / 100, a % 100);
                    if let Some(r) = &e.repayment {
                        s.push_str(" · ");
                        s.push_str(t.s(&format!("case.repayment.{r}")));
                    }
                    s
                }
                _ => String::new(),
            },
        })
        .collect();
    let officers = accounts
        .iter()
        .filter(|a| {
            !a.disabled
                && matches!(
                    a.role,
                    Role::MissionOfficer | Role::HeadOfMission | Role::HqOfficer
                )
                && (a.agency.code == k.summary.mission
                    || a.agency.kind == AgencyKind::ConsularDepartment)
        })
        .map(|a| Opt {
            value: a.id.clone(),
            label: format!("{} ({})", a.display_name, a.agency.code),
        })
        .collect();
    let lead_name = k
        .summary
        .lead_officer
        .as_deref()
        .map(name_of)
        .unwrap_or_default();
    let referrals = h.referrals(&k).await?;
    let transfers = h.transfers_of(&k).await?;
    let attachments = h.attachments(&k).await?;
    // Who else is on this case right now: other accounts' reads of it in the last 10 minutes,
    // from the audit trail (this reader already passed the case's gate).
    let recent = caller
        .recent_case_reads(&k.summary.id, caller.now() - chrono::Duration::minutes(10))
        .await?;
    let mut also_here: Vec<String> = Vec::new();
    for r in recent {
        let a = &r.entry.actor;
        if *a != caller.account().id
            && a != "system"
            && r.entry.outcome == baoho_store::AuditOutcome::Allowed
        {
            let n = name_of(a);
            if !also_here.contains(&n) {
                also_here.push(n);
            }
        }
    }
    let missions: Vec<Opt> = crate::i18n::mission_options(lang)
        .into_iter()
        .filter(|o| o.value != k.summary.mission)
        .collect();
    let clock = if ty.is_some_and(|t| t.consular_access) {
        let cl = h.access_clock(&k).await?;
        let at = caller.now();
        Some(ClockView {
            arrested: day(cl.arrested_at),
            notified: day(cl.notified_at),
            requested: day(cl.requested_at),
            granted: day(cl.granted_at),
            visits: cl.visits.len(),
            breaches: cl
                .breaches(at)
                .into_iter()
                .map(|b| (format!("vccr.breach.{}", b.code()), b.days()))
                .collect(),
        })
    } else {
        None
    };
    let can_approve_referrals =
        matches!(caller.account().role, Role::HeadOfMission | Role::HqOfficer);
    let referrals = referral_rows(
        &t,
        &caller.account().id,
        can_approve_referrals,
        referrals,
        &name_of,
    );
    let mut partner_agencies = vec![
        Opt {
            value: "MPS".into(),
            label: t.s("agency.public_security").to_owned(),
        },
        Opt {
            value: "MND".into(),
            label: t.s("agency.national_defence").to_owned(),
        },
    ];
    for p in refdata::provinces() {
        partner_agencies.push(Opt {
            value: format!("P-{}", p.code),
            label: if lang == Lang::Vi {
                p.name_vi.clone()
            } else {
                p.name_en.clone()
            },
        });
    }
    let mut partner_states: Vec<Opt> = crate::i18n::country_options(lang)
        .into_iter()
        .filter(|o| o.value != "VN")
        .map(|o| Opt {
            value: format!("STATE-{}", o.value),
            label: o.label,
        })
        .collect();
    if let Some(i) = partner_states
        .iter()
        .position(|o| o.value[6..] == *k.summary.country)
    {
        let host = partner_states.remove(i);
        partner_states.insert(0, host);
    }
    Ok(CasePageT {
        type_name: type_name(lang, &k.summary.case_type),
        place: format!(
            "{}{}{}",
            if k.city.is_empty() {
                String::new()
            } else {
                format!("{}, ", k.city)
            },
            country_name(lang, &k.summary.country),
            if k.summary.mission.is_empty() {
                String::new()
            } else {
                format!(" · {}", k.summary.mission)
            }
        ),
        persons,
        checks,
        events,
        next: k.summary.status.next().iter().map(|s| s.as_str()).collect(),
        can_request_close: k.summary.status == Status::Resolved && !k.summary.close_requested,
        can_approve: h.can_approve(&k),
        officers,
        lead_name,
        consular_access: ty.is_some_and(|t| t.consular_access),
        referrals,
        consent_today: caller.now().date_naive().to_string(),
        partner_agencies,
        partner_states,
        clock,
        transfers,
        missions,
        also_here,
        attachments,
        details: ty
            .map(|t| detail_rows(lang, t, &k.details))
            .unwrap_or_default(),
        find,
        found,
        removed: false,
        unlink: None,
        k,
        c,
    })
}

/// This sub-area's routes, each with who may call it.
pub(super) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::Staff;
    use crate::routes::Route;
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::GET, "/cases/{id}", Staff, case_page),
        Route::api(Staff, routes!(api_get)),
    ]
}
