//! Protection cases: the officer's work queue, intake with a duplicate warning, the case page
//! (timeline, checklist, workflow, assignment, closure), lists with filters, and the JSON API.
//! Every handler reaches cases only through the scoped handle issued for the caller.

use crate::app::AppState;
use crate::auth::Authed;
use crate::caller::Caller;
use crate::error::{AppError, ProblemBody};
use crate::extract::{Form, Json, Query};
use crate::i18n::{Lang, Tr, country_name, mission_name};
use crate::layers::RequestId;
use crate::web::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use baoho_domain::access::{AgencyKind, Role};
use baoho_domain::case::{CaseType, Status, case_type, case_types};
use baoho_domain::person::{Document, DocumentKind, PersonInput};
use baoho_domain::refdata;
use baoho_store::{
    AccessCtx, Accounts, CaseFilter, CaseIntake, CasePage, CaseRecord, CaseSummary, Cases,
    NewEvent, StoreError,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

fn cases(state: &AppState, authed: &Authed, rid: &RequestId, purpose: &str) -> Cases {
    Cases::new(
        state.store.as_ref(),
        state.keys.clone(),
        AccessCtx {
            who: authed.identity.clone(),
            request_id: rid.0.clone(),
            purpose: purpose.chars().take(200).collect(),
            at: state.now(),
        },
    )
}

fn type_name(lang: Lang, code: &str) -> String {
    match case_type(code) {
        Some(t) if lang == Lang::Vi => t.name_vi.clone(),
        Some(t) => t.name_en.clone(),
        None => code.to_owned(),
    }
}

/// A referral's receiver as people name it: the ministry, the province or the partner state.
pub fn agency_label(lang: Lang, code: &str) -> String {
    let t = Tr::new(lang);
    if let Some(c) = baoho_store::referrals::partner_state(code) {
        let name = if lang == Lang::Vi {
            &c.name_vi
        } else {
            &c.name_en
        };
        return format!("{name} ({})", t.s("referral.partner_state"));
    }
    match code {
        "MPS" => t.s("agency.public_security").to_owned(),
        "MND" => t.s("agency.national_defence").to_owned(),
        _ => match code.strip_prefix("P-").and_then(refdata::province) {
            Some(p) if lang == Lang::Vi => p.name_vi.clone(),
            Some(p) => p.name_en.clone(),
            None => code.to_owned(),
        },
    }
}

/// A case row as lists show it.
pub struct Row {
    pub id: String,
    pub reference: String,
    pub type_name: String,
    pub priority: String,
    pub status: String,
    pub rag: String,
    pub due: String,
    pub place: String,
    pub mission_name: String,
    pub restricted: bool,
    pub escalation: String,
}

/// Where a case is, short: the country, then its mission by city (no mission: the country
/// alone).
fn place(lang: Lang, country: &str, mission: &str) -> String {
    let country = country_name(lang, country);
    let city = refdata::mission(mission)
        .map(|m| m.city.as_str())
        .filter(|c| !c.is_empty())
        .unwrap_or(mission);
    if city.is_empty() {
        country
    } else {
        format!("{country} · {city}")
    }
}

fn rows(lang: Lang, cs: &[CaseSummary]) -> Vec<Row> {
    cs.iter()
        .map(|c| Row {
            id: c.id.clone(),
            reference: c.reference.clone(),
            type_name: type_name(lang, &c.case_type),
            priority: c.priority.as_str().to_owned(),
            status: c.status.as_str().to_owned(),
            rag: c.rag.as_str().to_owned(),
            due: c.due_at.format("%Y-%m-%d %H:%M").to_string(),
            // The mission by its city (the full name is the cell's title).
            place: place(lang, &c.country, &c.mission),
            mission_name: mission_name(lang, &c.mission),
            restricted: c.restricted,
            escalation: c.escalation.as_str().to_owned(),
        })
        .collect()
}

// --- the work queue ------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "cases_queue.html")]
pub struct QueuePage {
    pub c: Chrome,
    pub mine: Vec<Row>,
    pub overdue: Vec<Row>,
    pub approvals: Vec<Row>,
    pub unassigned: Vec<Row>,
    pub since: Vec<Row>,
    /// Totals of the lists (each shows its first 50).
    pub totals: QueueTotals,
    /// When I last looked (UTC, minutes), if ever.
    pub last_looked: Option<String>,
    pub can_intake: bool,
    pub incoming: Vec<baoho_store::transfers::Transfer>,
    /// Referrals awaiting my approval.
    pub referral_approvals: Vec<QueueReferralRow>,
    /// Partners' answers on my cases' referrals since I last looked.
    pub referral_answers: Vec<QueueAnswerRow>,
}

pub struct QueueTotals {
    pub mine: String,
    pub overdue: String,
    pub approvals: String,
    pub unassigned: String,
    pub since: String,
    pub referral_approvals: String,
    pub referral_answers: String,
}

/// A referral awaiting approval as the queue page shows it.
pub struct QueueReferralRow {
    pub case_id: String,
    pub reference: String,
    pub type_name: String,
    pub agency: String,
    pub purpose: String,
    pub asked: String,
}

/// A partner's answer as the queue page shows it (not its text: the case page has it).
pub struct QueueAnswerRow {
    pub case_id: String,
    pub reference: String,
    pub agency: String,
    pub status: String,
    pub answered: String,
}

fn queue_referral_rows(
    lang: Lang,
    q: &baoho_store::referrals::QueueReferrals,
) -> Vec<QueueReferralRow> {
    q.items
        .iter()
        .map(|r| QueueReferralRow {
            case_id: r.case_id.clone(),
            reference: r.case_reference.clone(),
            type_name: type_name(lang, &r.case_type),
            agency: agency_label(lang, &r.agency),
            purpose: r.purpose.clone(),
            asked: r.created_at.format("%Y-%m-%d %H:%M").to_string(),
        })
        .collect()
}

fn queue_answer_rows(lang: Lang, q: &baoho_store::referrals::QueueAnswers) -> Vec<QueueAnswerRow> {
    q.items
        .iter()
        .map(|a| QueueAnswerRow {
            case_id: a.case_id.clone(),
            reference: a.case_reference.clone(),
            agency: agency_label(lang, &a.agency),
            status: a.status.clone(),
            answered: a.updated_at.format("%Y-%m-%d %H:%M").to_string(),
        })
        .collect()
}

/// `GET /cases`: what needs me.
pub async fn queue_page(caller: Caller, c: Chrome) -> Result<QueuePage, AppError> {
    let h = caller.cases("work queue");
    let lang = c.t.lang;
    let (q, incoming) = tokio::try_join!(h.work_queue(), h.incoming_transfers())?;
    Ok(QueuePage {
        incoming,
        mine: rows(lang, &q.mine.cases),
        overdue: rows(lang, &q.overdue.cases),
        approvals: rows(lang, &q.approvals.cases),
        unassigned: rows(lang, &q.unassessed.cases),
        since: rows(lang, &q.since_last_look.cases),
        totals: QueueTotals {
            mine: q.mine.shown_total(),
            overdue: q.overdue.shown_total(),
            approvals: q.approvals.shown_total(),
            unassigned: q.unassessed.shown_total(),
            since: q.since_last_look.shown_total(),
            referral_approvals: q.referral_approvals.shown_total(),
            referral_answers: q.referral_answers.shown_total(),
        },
        referral_approvals: queue_referral_rows(lang, &q.referral_approvals),
        referral_answers: queue_answer_rows(lang, &q.referral_answers),
        last_looked: q
            .last_looked
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
        // The roles `GET /cases/new` admits (the store refuses the others at intake).
        can_intake: matches!(
            caller.account().role,
            Role::MissionOfficer | Role::HqOfficer | Role::HeadOfMission
        ),
        c,
    })
}

// --- lists ---------------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams, Default)]
pub struct ListParams {
    /// A case type code.
    #[serde(default)]
    pub case_type: Option<String>,
    /// `new`, `assessed`, `in_progress`, `awaiting_partner`, `resolved`, `closed`; or `open`:
    /// every case not yet resolved or closed.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub mission: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    /// Lead officer's account id.
    #[serde(default)]
    pub officer: Option<String>,
    /// `1`: only overdue cases.
    #[serde(default)]
    pub overdue: Option<String>,
    /// A case reference, or an affected person's name (with or without diacritics) or
    /// document number.
    #[serde(default)]
    pub q: Option<String>,
    /// Page number from 1 (50 per page).
    #[serde(default)]
    pub page: Option<u32>,
}

fn some(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl ListParams {
    fn filter(&self) -> Result<CaseFilter, AppError> {
        let open_only = some(&self.status).as_deref() == Some("open");
        let status = match some(&self.status).filter(|_| !open_only) {
            Some(s) => Some(
                Status::parse(&s).ok_or_else(|| AppError::BadRequest("unknown status".into()))?,
            ),
            None => None,
        };
        Ok(CaseFilter {
            case_type: some(&self.case_type),
            status,
            open_only,
            mission: some(&self.mission).map(|m| m.to_ascii_uppercase()),
            country: some(&self.country).map(|m| m.to_ascii_uppercase()),
            lead_officer: some(&self.officer),
            overdue_only: self.overdue.as_deref() == Some("1"),
            q: some(&self.q).map(|q| baoho_domain::text::nfc(&q)),
            limit: 50,
            offset: self.page.unwrap_or(1).clamp(1, 10_000).saturating_sub(1) * 50,
            ..Default::default()
        })
    }
}

/// Cases in your scope, filtered, 50 per page, most urgent first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(ListParams),
    responses((status = 200, body = CasePage), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Query(p): Query<ListParams>,
) -> Result<Json<CasePage>, AppError> {
    Ok(Json(
        cases(&state, &authed, &rid, "").list(&p.filter()?).await?,
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "cases_list.html")]
pub struct ListPage {
    pub c: Chrome,
    pub rows: Vec<Row>,
    pub total: i64,
    pub page: u32,
    pub pages: u32,
    pub types: Vec<(String, String)>,
    pub statuses: Vec<&'static str>,
    pub countries: Vec<Opt>,
    pub missions: Vec<Opt>,
    pub f: ListParams,
    pub query: String,
    /// Officers and heads of mission may export; others do not see the buttons.
    pub can_export: bool,
}

fn may_export(role: Role) -> bool {
    matches!(
        role,
        Role::MissionOfficer | Role::HqOfficer | Role::HeadOfMission
    )
}

/// The most rows one export holds: beyond it the officer narrows the filters (an export is
/// never silently cut short).
const EXPORT_MAX_ROWS: i64 = 20_000;

/// `GET /cases/list`
pub async fn list_page(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Query(p): Query<ListParams>,
) -> Result<ListPage, AppError> {
    let r = cases(&state, &authed, &rid, "").list(&p.filter()?).await?;
    let lang = c.t.lang;
    let query = serde_urlencoded::to_string([
        ("case_type", p.case_type.clone().unwrap_or_default()),
        ("status", p.status.clone().unwrap_or_default()),
        ("mission", p.mission.clone().unwrap_or_default()),
        ("country", p.country.clone().unwrap_or_default()),
        ("overdue", p.overdue.clone().unwrap_or_default()),
        ("officer", p.officer.clone().unwrap_or_default()),
        ("q", p.q.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    Ok(ListPage {
        can_export: may_export(authed.account.role),
        rows: rows(lang, &r.cases),
        total: r.total,
        page: p.page.unwrap_or(1).max(1),
        pages: ((r.total + 49) / 50).max(1) as u32,
        types: case_types()
            .iter()
            .map(|t| (t.code.clone(), type_name(lang, &t.code)))
            .collect(),
        statuses: Status::ALL.iter().map(|s| s.as_str()).collect(),
        countries: crate::i18n::country_options(lang),
        missions: crate::i18n::mission_options(lang),
        f: p,
        query,
        c,
    })
}

/// `GET /cases/export.csv`: the filtered list as CSV (audited as an export).
pub async fn export_csv(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Query(p): Query<ListParams>,
) -> Result<Response, AppError> {
    let lang = c.t.lang;
    let out = export_list(&state, &authed, &rid, &p, |cases| {
        let headers: Vec<&str> = EXPORT_COLUMNS.iter().map(|c| c.header).collect();
        let mut out = csv_line(&headers);
        for c in cases {
            let values = export_row(lang, c);
            let cells: Vec<String> = values
                .into_iter()
                .map(|v| match v {
                    ExportValue::Text(s) => s,
                    ExportValue::Time(t) => t.to_rfc3339(),
                })
                .collect();
            let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
            out.push_str(&csv_line(&cells));
        }
        Ok(out)
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"cases.csv\"",
            ),
        ],
        format!("\u{feff}{out}"),
    )
        .into_response())
}

/// One column of every case-list export: its header (stable codes, for whoever processes the
/// file) and its width in Excel. Each code column is followed by its name in the officer's
/// language, for whoever reads it.
struct ExportColumn {
    header: &'static str,
    width: f64,
}

const fn col(header: &'static str, width: f64) -> ExportColumn {
    ExportColumn { header, width }
}

/// The columns of every case-list export, in order; [`export_row`] gives the values.
const EXPORT_COLUMNS: [ExportColumn; 14] = [
    col("reference", 20.0),
    col("type", 16.0),
    col("type_name", 26.0),
    col("priority", 10.0),
    col("status", 14.0),
    col("status_name", 16.0),
    col("rag", 8.0),
    col("country", 9.0),
    col("country_name", 18.0),
    col("mission", 18.0),
    col("mission_name", 30.0),
    col("opened_at", 17.0),
    col("due_at", 17.0),
    col("escalation", 12.0),
];

/// One exported value: text, or an instant (RFC 3339 in CSV, a date cell in Excel).
enum ExportValue {
    Text(String),
    Time(chrono::DateTime<chrono::Utc>),
}

/// One case's values, in the order of [`EXPORT_COLUMNS`], the names in `lang`.
fn export_row(lang: Lang, c: &CaseSummary) -> [ExportValue; 14] {
    use ExportValue::{Text, Time};
    let t = Tr::new(lang);
    [
        Text(c.reference.clone()),
        Text(c.case_type.clone()),
        Text(type_name(lang, &c.case_type)),
        Text(c.priority.as_str().to_owned()),
        Text(c.status.as_str().to_owned()),
        Text(
            t.s(&format!("case.status.{}", c.status.as_str()))
                .to_owned(),
        ),
        Text(c.rag.as_str().to_owned()),
        Text(c.country.clone()),
        Text(country_name(lang, &c.country)),
        Text(c.mission.clone()),
        Text(mission_name(lang, &c.mission)),
        Time(c.opened_at),
        Time(c.due_at),
        Text(c.escalation.as_str().to_owned()),
    ]
}

/// What every case-list export shares, whatever its format: the roles that may export, the
/// list's filters (every matching row, up to [`EXPORT_MAX_ROWS`]), the scoped list calls (with its audited search) and the
/// export's own audit row, written once `render` has made the file from the rows.
async fn export_list<T>(
    state: &AppState,
    authed: &Authed,
    rid: &RequestId,
    p: &ListParams,
    render: impl FnOnce(&[CaseSummary]) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let entry = |outcome, purpose: String| {
        baoho_store::audit::AuditEntry::new(
            state.now(),
            &authed.account.id,
            baoho_store::audit::AuditAction::Export,
            outcome,
        )
        .role(authed.account.role.as_str())
        .agency(&authed.account.agency.code)
        .object("case", "")
        .purpose(purpose)
        .request(&rid.0)
    };
    if !may_export(authed.account.role) {
        state
            .store
            .append_audit(&entry(
                baoho_store::audit::AuditOutcome::Denied,
                "case list export".into(),
            ))
            .await?;
        return Err(AppError::Forbidden("your role may not export lists".into()));
    }
    let mut f = p.filter()?;
    f.limit = 500;
    f.offset = 0;
    let h = cases(state, authed, rid, "export");
    // Every matching row, a page at a time (each page read is an audited search).
    let mut all: Vec<CaseSummary> = Vec::new();
    loop {
        let page = h.list(&f).await?;
        if page.total > EXPORT_MAX_ROWS {
            return Err(AppError::Unprocessable {
                detail: format!(
                    "{} cases match; an export holds at most {EXPORT_MAX_ROWS}: narrow the filters",
                    page.total
                ),
                errors: vec![],
            });
        }
        let n = page.cases.len();
        all.extend(page.cases);
        if n < 500 || all.len() as i64 >= page.total {
            break;
        }
        f.offset += 500;
    }
    let page = CasePage {
        total: all.len() as i64,
        cases: all,
        total_is_at_least: false,
    };
    let file = render(&page.cases)?;
    state
        .store
        .append_audit(&entry(
            baoho_store::audit::AuditOutcome::Allowed,
            format!("case list export, {} rows", page.cases.len()),
        ))
        .await?;
    Ok(file)
}

/// `GET /cases/export.xlsx`: the same rows as [`export_csv`], through the same scoped list
/// call and audited the same way, as an Excel workbook (dates as date cells, in UTC).
pub async fn export_xlsx(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Query(p): Query<ListParams>,
) -> Result<Response, AppError> {
    use crate::xlsx::{Cell, Column};
    let lang = c.t.lang;
    let file = export_list(&state, &authed, &rid, &p, |cases| {
        let columns: Vec<Column<'_>> = EXPORT_COLUMNS
            .iter()
            .map(|c| Column {
                header: match c.header {
                    "opened_at" => "opened_at (UTC)",
                    "due_at" => "due_at (UTC)",
                    h => h,
                },
                width: c.width,
            })
            .collect();
        let rows: Vec<[ExportValue; 14]> = cases.iter().map(|c| export_row(lang, c)).collect();
        crate::xlsx::workbook(
            "cases",
            &columns,
            rows.iter().map(|r| {
                r.iter()
                    .map(|v| match v {
                        ExportValue::Text(s) => Cell::Text(s),
                        ExportValue::Time(t) => Cell::Time(*t),
                    })
                    .collect()
            }),
        )
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, crate::xlsx::CONTENT_TYPE),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"cases.xlsx\"",
            ),
        ],
        file,
    )
        .into_response())
}

fn csv_line(fields: &[&str]) -> String {
    let mut s = fields
        .iter()
        .map(|f| {
            // Quote everything; neutralise spreadsheet formulas.
            let f = if f.starts_with(['=', '+', '-', '@']) {
                format!("'{f}")
            } else {
                (*f).to_owned()
            };
            format!("\"{}\"", f.replace('"', "\"\""))
        })
        .collect::<Vec<_>>()
        .join(",");
    s.push_str("\r\n");
    s
}

// --- intake --------------------------------------------------------------------------------

/// The intake form as posted (flat, works without JavaScript).
#[derive(Debug, Deserialize, Default, Clone)]
pub struct IntakeForm {
    #[serde(default)]
    pub case_type: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub mission: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub reporter: String,
    #[serde(default)]
    pub reporter_contact: String,
    /// An existing person chosen (from the duplicate warning or a search).
    #[serde(default)]
    pub person_id: String,
    /// A new person's name, birth and passport (checked for duplicates first).
    #[serde(default)]
    pub person_name: String,
    #[serde(default)]
    pub person_birth: String,
    #[serde(default)]
    pub person_passport: String,
    /// `1` after the officer saw the duplicate warning and chose to create a new person.
    #[serde(default)]
    pub confirm_new: String,
    /// Everything else posted: the chosen type's own fields come as `details.<key>`.
    #[serde(flatten)]
    pub rest: std::collections::BTreeMap<String, String>,
}

impl IntakeForm {
    /// The type's own fields as posted (`details.<key>`), only that type's keys: a field of
    /// another type (left in the form after the type changed) is ignored.
    fn details(&self, ty: &CaseType) -> std::collections::BTreeMap<String, String> {
        ty.fields
            .iter()
            .filter_map(|f| {
                self.rest
                    .get(&format!("details.{}", f.key))
                    .map(|v| (f.key.clone(), v.clone()))
            })
            .collect()
    }
}

pub use crate::i18n::Opt;

#[derive(Template, WebTemplate)]
#[template(path = "case_new.html")]
pub struct IntakePage {
    pub c: Chrome,
    pub f: IntakeForm,
    pub types: Vec<Opt>,
    pub countries: Vec<Opt>,
    /// The mission choices, those covering the chosen country first.
    pub mission_choice: MissionChoice,
    pub errors: Vec<(String, String)>,
    /// Likely existing persons for the new person typed (the duplicate warning), with why.
    pub duplicates: Vec<crate::dupes::warning::LikelyView>,
    /// The warning came from the text search (the matcher was not ready).
    pub dup_by_text: bool,
    /// The chosen type's own fields with the values typed and their errors (empty until a
    /// type is chosen; htmx fills the block from `GET /cases/new/fields` meanwhile).
    pub type_fields: Vec<DetailRow>,
}

impl IntakePage {
    pub fn err(&self, field: &str) -> String {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, k)| self.c.t.s(k).to_owned())
            .unwrap_or_default()
    }
}

fn intake_page(
    c: Chrome,
    f: IntakeForm,
    errors: Vec<(String, String)>,
    duplicates: Vec<crate::dupes::warning::LikelyView>,
) -> IntakePage {
    let lang = c.t.lang;
    let label = |vi: &str, en: &str| {
        if lang == Lang::Vi {
            vi.to_owned()
        } else {
            en.to_owned()
        }
    };
    let countries = crate::i18n::country_options(lang);
    let mission_choice = MissionChoice::new(lang, &f.country, &f.mission, true);
    let types = case_types()
        .iter()
        .map(|t: &CaseType| Opt {
            value: t.code.clone(),
            label: label(&t.name_vi, &t.name_en),
        })
        .collect();
    let type_fields = match case_type(f.case_type.trim()) {
        Some(ty) => {
            let mut rows = detail_rows(lang, ty, &f.details(ty));
            for r in &mut rows {
                let field = format!("details.{}", r.key);
                if let Some((_, key)) = errors.iter().find(|(name, _)| *name == field) {
                    r.error = c.t.s(key).to_owned();
                }
            }
            rows
        }
        None => vec![],
    };
    IntakePage {
        c,
        f,
        types,
        countries,
        mission_choice,
        errors,
        duplicates,
        dup_by_text: false,
        type_fields,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NewCaseQuery {
    /// A case type to preselect (its own fields shown); an unknown code is ignored.
    #[serde(default)]
    pub case_type: String,
}

/// `GET /cases/new` (`?case_type=` preselects a type)
pub async fn new_page(
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Query(q): Query<NewCaseQuery>,
) -> IntakePage {
    let mut f = IntakeForm {
        priority: "normal".into(),
        channel: "hotline".into(),
        case_type: case_type(q.case_type.trim())
            .map(|t| t.code.clone())
            .unwrap_or_default(),
        ..Default::default()
    };
    if authed.account.agency.kind == AgencyKind::Mission {
        f.mission = authed.account.agency.code.clone();
        f.channel = "mission".into();
        if let Some(m) = refdata::mission(&f.mission) {
            f.country = m.country.clone();
        }
    }
    intake_page(c, f, vec![], vec![])
}

#[derive(Debug, Default, Deserialize)]
pub struct TypeFieldsQuery {
    #[serde(default)]
    pub case_type: String,
}

/// The intake form's block of one type's own fields (`type_fields.html`).
#[derive(Template, WebTemplate)]
#[template(path = "type_fields.html")]
pub struct TypeFieldsT {
    pub c: Chrome,
    pub type_fields: Vec<DetailRow>,
}

/// `GET /cases/new/fields?case_type=`: the block of that type's own fields, empty inputs,
/// which htmx swaps into the intake form when the type changes. No type: an empty block;
/// an unknown type: 404.
pub async fn type_fields_fragment(
    c: Chrome,
    Query(q): Query<TypeFieldsQuery>,
) -> Result<TypeFieldsT, AppError> {
    let code = q.case_type.trim();
    let type_fields = if code.is_empty() {
        vec![]
    } else {
        let ty = case_type(code).ok_or(AppError::NotFound)?;
        detail_rows(c.t.lang, ty, &Default::default())
    };
    Ok(TypeFieldsT { c, type_fields })
}

/// The intake form's mission choices for a country: the missions that cover it (its host
/// country or a concurrent accreditation) first, then all others; the only covering mission is
/// chosen when none was.
pub struct MissionChoice {
    /// The country's name, for the first group's label (empty: no country chosen).
    pub country: String,
    pub covering: Vec<Opt>,
    pub others: Vec<Opt>,
    pub chosen: String,
}

impl MissionChoice {
    /// `keep`: keep a chosen mission that does not cover the country (a form coming back
    /// shows what was sent, beside its error); otherwise (the country just changed) it is
    /// dropped for the country's own.
    pub fn new(lang: Lang, country: &str, chosen: &str, keep: bool) -> Self {
        let country = country.trim().to_ascii_uppercase();
        let covers =
            |code: &str| refdata::mission(code).is_some_and(|m| m.jurisdiction.contains(&country));
        let (covering, others): (Vec<Opt>, Vec<Opt>) = crate::i18n::mission_options(lang)
            .into_iter()
            .partition(|o| !country.is_empty() && covers(&o.value));
        let chosen = chosen.trim().to_ascii_uppercase();
        let chosen = if chosen.is_empty() || (!keep && !covers(&chosen)) {
            match covering.as_slice() {
                [only] => only.value.clone(),
                _ => String::new(),
            }
        } else {
            chosen
        };
        Self {
            country: if covering.is_empty() {
                String::new()
            } else {
                country_name(lang, &country)
            },
            covering,
            others,
            chosen,
        }
    }
}

/// The options of the intake form's mission select (`mission_options.html`).
#[derive(Template, WebTemplate)]
#[template(path = "mission_options.html")]
pub struct MissionOptionsT {
    pub c: Chrome,
    pub mission_choice: MissionChoice,
}

#[derive(Debug, Deserialize, Default)]
pub struct MissionOptionsQuery {
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub mission: String,
}

/// `GET /cases/new/missions?country=&mission=`: the mission select's options for that
/// country, which htmx swaps in when the country changes (the missions covering it first).
pub async fn mission_options_fragment(
    c: Chrome,
    Query(q): Query<MissionOptionsQuery>,
) -> MissionOptionsT {
    let mission_choice = MissionChoice::new(c.t.lang, &q.country, &q.mission, false);
    MissionOptionsT { c, mission_choice }
}

/// Likely existing persons for the person typed at intake, in the officer's scope: the
/// matcher's candidates (the text search until it is ready) and exact passport hits.
async fn duplicate_candidates(
    state: &AppState,
    persons: &baoho_store::Persons,
    f: &IntakeForm,
) -> Result<crate::dupes::warning::Warning, AppError> {
    let probe = crate::dupes::Probe {
        name: f.person_name.clone(),
        birth: baoho_domain::date::PartialDate::parse(&f.person_birth).ok(),
        passport: f.person_passport.clone(),
        ..Default::default()
    };
    crate::dupes::warning::check(&state.dupes, persons, &probe).await
}

/// `POST /cases`: record the case. A new person is checked against the registry first: if
/// likely existing persons are found, the form comes back with them (the duplicate warning)
/// until the officer picks one or confirms a new person.
pub async fn create_submit(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Form(f): Form<IntakeForm>,
) -> Result<Response, AppError> {
    // The chosen type's own fields, only (another type's, left in the form, are dropped).
    let details = case_type(f.case_type.trim())
        .map(|ty| f.details(ty))
        .unwrap_or_default();
    // Everything the case itself needs (its type's fields included) is checked before a new
    // person is recorded for it: a refused case must not leave a person behind (a second try
    // would record a second one).
    let h = cases(&state, &authed, &rid, "intake");
    let intake_of = |f: &IntakeForm, persons: Vec<String>| CaseIntake {
        case_type: f.case_type.clone(),
        priority: f.priority.clone(),
        channel: f.channel.clone(),
        country: f.country.clone(),
        city: f.city.clone(),
        mission: f.mission.clone(),
        summary: f.summary.clone(),
        reporter: f.reporter.clone(),
        reporter_contact: f.reporter_contact.clone(),
        persons,
        details: details.clone(),
    };
    let refused = |c: Chrome, f: IntakeForm, errs: Vec<baoho_domain::person::FieldError>| {
        let errs = errs
            .into_iter()
            .map(|e| (e.field, e.code.to_owned()))
            .collect();
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            intake_page(c, f, errs, vec![]),
        )
            .into_response()
    };
    match h.check_intake(&intake_of(&f, vec![])) {
        Ok(()) => {}
        Err(StoreError::Validation(errs)) => return Ok(refused(c, f, errs)),
        Err(e) => return Err(e.into()),
    }
    let persons = authed.persons(&state, &rid, "case intake");
    let mut person_ids = Vec::new();
    let mut f = f;
    if !f.person_id.trim().is_empty() {
        person_ids.push(f.person_id.trim().to_owned());
    } else if !f.person_name.trim().is_empty() {
        if f.confirm_new != "1" {
            let w = duplicate_candidates(&state, &persons, &f).await?;
            if !w.candidates.is_empty() {
                let mut f2 = f.clone();
                f2.confirm_new.clear();
                let views = crate::dupes::warning::views(c.t, &w);
                let mut page = intake_page(c, f2, vec![], views);
                page.dup_by_text = w.method == crate::dupes::warning::Method::TextSearch;
                return Ok((StatusCode::OK, page).into_response());
            }
        }
        let birth = match f.person_birth.trim() {
            "" => None,
            b => match baoho_domain::date::PartialDate::parse(b) {
                Ok(d) => Some(d),
                Err(_) => {
                    let errs = vec![("person_birth".to_owned(), "person.error.date".to_owned())];
                    return Ok((
                        StatusCode::UNPROCESSABLE_ENTITY,
                        intake_page(c, f, errs, vec![]),
                    )
                        .into_response());
                }
            },
        };
        let mut input = PersonInput {
            full_name: f.person_name.clone(),
            birth,
            country: f.country.clone(),
            mission: f.mission.clone(),
            ..Default::default()
        };
        if !f.person_passport.trim().is_empty() {
            input.documents.push(Document {
                kind: DocumentKind::Passport,
                number: f.person_passport.clone(),
                issuing_country: "VN".into(),
                issued_by: String::new(),
                issued_on: None,
                expires_on: None,
            });
        }
        if let Some(ty) = case_type(&f.case_type) {
            input.restricted = ty.restricted.clone();
        }
        match persons.create(input).await {
            Ok(p) => {
                state.dupes.add(&p);
                // Should the case still be refused, the form comes back holding this person,
                // so that the next try links them instead of recording them again.
                f.person_id = p.id.clone();
                person_ids.push(p.id);
            }
            Err(StoreError::Validation(errs)) => {
                let errs = errs
                    .into_iter()
                    .map(|e| {
                        let field = match e.field.as_str() {
                            "full_name" => "person_name".to_owned(),
                            f if f.starts_with("documents") => "person_passport".to_owned(),
                            f => f.to_owned(),
                        };
                        (field, e.code.to_owned())
                    })
                    .collect();
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    intake_page(c, f, errs, vec![]),
                )
                    .into_response());
            }
            Err(e) => return Err(e.into()),
        }
    }
    match h.create(intake_of(&f, person_ids)).await {
        Ok(rec) => Ok(Redirect::to(&format!("/cases/{}", rec.summary.id)).into_response()),
        Err(StoreError::Validation(errs)) => Ok(refused(c, f, errs)),
        Err(e) => Err(e.into()),
    }
}

/// Record a case.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = CaseIntake,
    responses((status = 201, body = CaseRecord), (status = 422, body = ProblemBody), (status = 403, body = ProblemBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Json(intake): Json<CaseIntake>,
) -> Result<Response, AppError> {
    let rec = cases(&state, &authed, &rid, "intake")
        .create(intake)
        .await?;
    let loc = format!("/api/v1/cases/{}", rec.summary.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, loc)], Json(rec)).into_response())
}

// --- the case page -------------------------------------------------------------------------

/// Open a case. Outside your scope, or missing: 404.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = String, Path)),
    responses((status = 200, body = CaseRecord), (status = 404, body = ProblemBody)))]
pub async fn api_get(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<Json<CaseRecord>, AppError> {
    Ok(Json(cases(&state, &authed, &rid, "").get(&id).await?))
}

/// Add a timeline entry.
#[utoipa::path(post, path = "/api/v1/cases/{id}/events", tag = "cases", params(("id" = String, Path)), request_body = NewEvent,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_add_event(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Json(ev): Json<NewEvent>,
) -> Result<StatusCode, AppError> {
    cases(&state, &authed, &rid, "").add_event(&id, ev).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A status change: the version you read, the new status, a reason for reopening.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusChange {
    pub version: i64,
    pub status: String,
    #[serde(default)]
    pub reason: String,
}

/// Move a case along its workflow (`closed` goes through close request and approval).
#[utoipa::path(post, path = "/api/v1/cases/{id}/status", tag = "cases", params(("id" = String, Path)), request_body = StatusChange,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_status(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Json(s): Json<StatusChange>,
) -> Result<StatusCode, AppError> {
    let to = Status::parse(&s.status).ok_or_else(|| AppError::Unprocessable {
        detail: "unknown status".into(),
        errors: vec![],
    })?;
    cases(&state, &authed, &rid, "")
        .set_status(&id, s.version, to, &s.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The case types with their checklists and deadlines.
#[utoipa::path(get, path = "/api/v1/case-types", tag = "cases",
    responses((status = 200, body = Vec<CaseType>)))]
pub async fn api_case_types() -> Json<Vec<CaseType>> {
    Json(case_types().to_vec())
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
#[template(path = "case.html")]
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
    pub referrals: Vec<baoho_store::Referral>,
    pub can_approve_referrals: bool,
    pub partner_agencies: Vec<Opt>,
    /// Foreign states (the case's country first), reached through the diplomatic channel.
    pub partner_states: Vec<Opt>,
    /// The consular-access clock (arrest and detention types only): dates as `YYYY-MM-DD`
    /// and the breaches now.
    pub clock: Option<ClockView>,
    pub transfers: Vec<baoho_store::transfers::Transfer>,
    pub missions: Vec<Opt>,
    /// Colleagues who opened this case in the last 10 minutes.
    pub also_here: Vec<String>,
    pub attachments: Vec<baoho_store::attachments::Attachment>,
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

fn detail_rows(
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

fn file_size(bytes: i64) -> String {
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

fn day(d: Option<chrono::DateTime<chrono::Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// `GET /cases/{id}` (`?find=` searches the registry for a person to add; `?removed=1` says a
/// person was just removed)
pub async fn case_page(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Query(cq): Query<CasePageQuery>,
) -> Result<CasePageT, AppError> {
    let mut page = case_view(&state, c, &authed, &rid, &id, cq.find.as_deref()).await?;
    page.removed = cq.removed.is_some();
    Ok(page)
}

/// The case page as `GET /cases/{id}` shows it (also re-rendered by a refused form).
async fn case_view(
    state: &AppState,
    c: Chrome,
    authed: &Authed,
    rid: &RequestId,
    id: &str,
    find: Option<&str>,
) -> Result<CasePageT, AppError> {
    let h = cases(state, authed, rid, "");
    let k = h.get(id).await?;
    let lang = c.t.lang;
    let persons_h = authed.persons(state, rid, &format!("case {}", k.summary.reference));
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
    let accounts = Accounts::new(state.store.as_ref()).list().await?;
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
    let recent = state
        .store
        .audit_query(&baoho_store::AuditFilter {
            object_kind: Some("case".into()),
            object_id: Some(k.summary.id.clone()),
            from: Some(state.now() - chrono::Duration::minutes(10)),
            limit: 200,
            ..Default::default()
        })
        .await?;
    let mut also_here: Vec<String> = Vec::new();
    for r in recent {
        let a = &r.entry.actor;
        if *a != authed.account.id
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
        let at = state.now();
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
        matches!(authed.account.role, Role::HeadOfMission | Role::HqOfficer);
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
        can_approve_referrals,
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

fn objects(state: &AppState) -> Result<&dyn object_store::ObjectStore, AppError> {
    state
        .objects
        .as_deref()
        .ok_or_else(|| AppError::Unavailable("attachment storage is not available".into()))
}

/// `POST /cases/{id}/attachments` (multipart: `file`; the CSRF token in `?csrf=`).
pub async fn attach_submit(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let (name, bytes) = multipart_file(form).await?;
    cases(&state, &authed, &rid, "attachment")
        .attach(objects(&state)?, &id, &name, &bytes)
        .await?;
    Ok(back(&id))
}

/// The `file` field of a multipart form: its name and bytes.
async fn multipart_file(mut form: axum::extract::Multipart) -> Result<(String, Vec<u8>), AppError> {
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("form: {e}")))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("file").to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| AppError::BadRequest(format!("file: {e}")))?;
            file = Some((name, bytes.to_vec()));
        }
    }
    file.ok_or_else(|| AppError::Unprocessable {
        detail: "choose a file".into(),
        errors: vec![],
    })
}

/// `GET /cases/{id}/attachments/{attachment}`: download (audited).
pub async fn attachment_download(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path((id, attachment)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (meta, bytes) = cases(&state, &authed, &rid, "attachment")
        .download(objects(&state)?, &id, &attachment)
        .await?;
    let ascii: String = meta
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, meta.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferForm {
    /// The receiving mission's code.
    #[serde(default)]
    pub to_mission: String,
    #[serde(default)]
    pub reason: String,
}

/// `POST /cases/{id}/transfers`
pub async fn transfer_submit(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Form(f): Form<TransferForm>,
) -> Result<Response, AppError> {
    cases(&state, &authed, &rid, "transfer")
        .request_transfer(&id, &f.to_mission, &f.reason)
        .await?;
    Ok(back(&id))
}

/// Ask another mission to take the case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/transfers", tag = "cases", params(("id" = String, Path)), request_body = TransferForm,
    responses((status = 201, body = baoho_store::transfers::Transfer), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_transfer(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Json(f): Json<TransferForm>,
) -> Result<Response, AppError> {
    let t = cases(&state, &authed, &rid, "transfer")
        .request_transfer(&id, &f.to_mission, &f.reason)
        .await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

/// Transfers waiting for your mission.
#[utoipa::path(get, path = "/api/v1/transfers/incoming", tag = "cases",
    responses((status = 200, body = Vec<baoho_store::transfers::Transfer>)))]
pub async fn api_incoming(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
) -> Result<Json<Vec<baoho_store::transfers::Transfer>>, AppError> {
    Ok(Json(
        cases(&state, &authed, &rid, "")
            .incoming_transfers()
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferDecision {
    pub accept: bool,
}

/// Accept or reject a transfer to your mission.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/decision", tag = "cases", params(("id" = String, Path)), request_body = TransferDecision,
    responses((status = 204), (status = 404, body = ProblemBody)))]
pub async fn api_decide_transfer(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Json(d): Json<TransferDecision>,
) -> Result<StatusCode, AppError> {
    cases(&state, &authed, &rid, "transfer")
        .decide_transfer(&id, d.accept)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /transfers/{id}/accept` and `/reject`
pub async fn transfer_accept(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    cases(&state, &authed, &rid, "transfer")
        .decide_transfer(&id, true)
        .await?;
    Ok(Redirect::to("/cases").into_response())
}

pub async fn transfer_reject(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    cases(&state, &authed, &rid, "transfer")
        .decide_transfer(&id, false)
        .await?;
    Ok(Redirect::to("/cases").into_response())
}

/// The consular-access dates, each `YYYY-MM-DD` or empty.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ClockForm {
    #[serde(default)]
    arrested: String,
    #[serde(default)]
    notified: String,
    #[serde(default)]
    requested: String,
    #[serde(default)]
    granted: String,
}

fn parse_day(field: &str, v: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .map(|d| Some(d.and_utc()))
        .ok_or_else(|| AppError::Unprocessable {
            detail: "dates are YYYY-MM-DD".into(),
            errors: vec![crate::error::FieldError {
                field: field.into(),
                message: "not a date (YYYY-MM-DD)".into(),
            }],
        })
}

impl ClockForm {
    /// The dates as the store takes them (visits come from the timeline).
    fn clock(&self) -> Result<baoho_domain::case::AccessClock, AppError> {
        Ok(baoho_domain::case::AccessClock {
            arrested_at: parse_day("arrested", &self.arrested)?,
            notified_at: parse_day("notified", &self.notified)?,
            requested_at: parse_day("requested", &self.requested)?,
            granted_at: parse_day("granted", &self.granted)?,
            visits: vec![],
        })
    }
}

/// `POST /cases/{id}/consular-access`
pub async fn clock_submit(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Form(f): Form<ClockForm>,
) -> Result<Response, AppError> {
    cases(&state, &authed, &rid, "")
        .set_access_clock(&id, &f.clock()?)
        .await?;
    Ok(back(&id))
}

#[derive(Template, WebTemplate)]
#[template(path = "vccr_report.html")]
pub struct VccrPage {
    pub c: Chrome,
    pub rows: Vec<(String, baoho_store::access_clock::CountryCompliance, String)>,
}

/// `GET /cases/consular-access`: how host countries honour consular access (VCCR art. 36).
pub async fn vccr_page(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
) -> Result<VccrPage, AppError> {
    let lang = c.t.lang;
    let rows = cases(&state, &authed, &rid, "report")
        .access_report()
        .await?
        .into_iter()
        .map(|r| {
            let pct = format!("{:.0} %", r.compliance() * 100.0);
            (country_name(lang, &r.country), r, pct)
        })
        .collect();
    Ok(VccrPage { c, rows })
}

/// Consular-access compliance per host country, over the cases in your scope.
#[utoipa::path(get, path = "/api/v1/reports/consular-access", tag = "cases",
    responses((status = 200, body = Vec<baoho_store::access_clock::CountryCompliance>)))]
pub async fn api_vccr(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
) -> Result<Json<Vec<baoho_store::access_clock::CountryCompliance>>, AppError> {
    Ok(Json(
        cases(&state, &authed, &rid, "report")
            .access_report()
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct ReferralForm {
    #[serde(default)]
    agency: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    f_identity: Option<String>,
    #[serde(default)]
    f_hometown: Option<String>,
    #[serde(default)]
    f_documents: Option<String>,
    #[serde(default)]
    f_family: Option<String>,
    #[serde(default)]
    f_location: Option<String>,
    #[serde(default)]
    f_summary: Option<String>,
    #[serde(default)]
    consent: Option<String>,
    #[serde(default)]
    override_reason: String,
}

impl ReferralForm {
    fn request(self) -> baoho_store::ReferralRequest {
        let mut fields = Vec::new();
        for (on, name) in [
            (&self.f_identity, "identity"),
            (&self.f_hometown, "hometown"),
            (&self.f_documents, "documents"),
            (&self.f_family, "family"),
            (&self.f_location, "location"),
            (&self.f_summary, "summary"),
        ] {
            if on.is_some() {
                fields.push(name.to_owned());
            }
        }
        baoho_store::ReferralRequest {
            agency: self.agency,
            purpose: self.purpose,
            fields,
            consent: self.consent.is_some(),
            override_reason: self.override_reason,
        }
    }
}

/// `POST /cases/{id}/referrals`
pub async fn referral_submit(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Form(f): Form<ReferralForm>,
) -> Result<Response, AppError> {
    cases(&state, &authed, &rid, "referral")
        .refer(&id, f.request())
        .await?;
    Ok(back(&id))
}

/// `POST /cases/{id}/referrals/{ref}/approve`
pub async fn referral_approve(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path((id, referral)): Path<(String, String)>,
) -> Result<Response, AppError> {
    cases(&state, &authed, &rid, "referral approval")
        .approve_referral(&id, &referral)
        .await?;
    Ok(back(&id))
}

/// Refer a case to a partner agency (consent, or an override a supervisor approves).
#[utoipa::path(post, path = "/api/v1/cases/{id}/referrals", tag = "cases", params(("id" = String, Path)), request_body = baoho_store::ReferralRequest,
    responses((status = 201, body = baoho_store::Referral), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_refer(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Json(req): Json<baoho_store::ReferralRequest>,
) -> Result<Response, AppError> {
    let r = cases(&state, &authed, &rid, "referral")
        .refer(&id, req)
        .await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "referral_letter.html")]
pub struct LetterPage {
    pub c: Chrome,
    pub r: baoho_store::Referral,
    pub case_id: String,
    pub receiver: String,
    pub mission: String,
    pub type_name: String,
    pub country: String,
}

/// `GET /cases/{id}/referrals/{referral}/letter`: what goes to a partner state through the
/// diplomatic channel — the snapshot only, never the case — ready to print.
pub async fn referral_letter(
    State(state): State<AppState>,
    mut c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path((id, referral)): Path<(String, String)>,
    Query(q): Query<LetterQuery>,
) -> Result<LetterPage, AppError> {
    // A letter may go out in the other language than the officer's pages (`?lang=en`); any
    // other value keeps the page's language (a refusal before the case's gate would go
    // unaudited).
    if let Some(lang) = q.lang.as_deref().and_then(Lang::from_code) {
        c.t = Tr::new(lang);
    }
    let h = cases(&state, &authed, &rid, "referral letter");
    let k = h.get(&id).await?;
    let r = h.referral(&k, &referral).await?;
    let lang = c.t.lang;
    let mission = refdata::mission(&k.summary.mission)
        .map(|m| {
            if lang == Lang::Vi {
                m.name_vi.clone()
            } else {
                m.name_en.clone()
            }
        })
        .unwrap_or_else(|| k.summary.mission.clone());
    Ok(LetterPage {
        receiver: agency_label(lang, &r.agency),
        type_name: type_name(lang, &r.snapshot.case_type),
        country: r
            .snapshot
            .country
            .as_deref()
            .map(|x| country_name(lang, x))
            .unwrap_or_default(),
        mission,
        case_id: k.summary.id.clone(),
        r,
        c,
    })
}

#[derive(Debug, Deserialize, Default)]
pub struct LetterQuery {
    /// `vi` or `en`: the letter's language, whatever the page language.
    #[serde(default)]
    pub lang: Option<String>,
}

/// `POST /cases/{id}/referrals/{referral}/answer`: a partner state's answer, recorded by the
/// case's officers.
pub async fn referral_answer(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path((id, referral)): Path<(String, String)>,
    Form(f): Form<ResponseForm>,
) -> Result<Response, AppError> {
    cases(&state, &authed, &rid, "referral answer")
        .record_state_answer(&id, &referral, &f.status, &f.note)
        .await?;
    Ok(back(&id))
}

/// The referrals of a case, with their status and the partners' answers.
#[utoipa::path(get, path = "/api/v1/cases/{id}/referrals", tag = "cases", params(("id" = String, Path)),
    responses((status = 200, body = Vec<baoho_store::Referral>), (status = 404, body = ProblemBody)))]
pub async fn api_referrals(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<Json<Vec<baoho_store::Referral>>, AppError> {
    let h = cases(&state, &authed, &rid, "referrals");
    let k = h.get(&id).await?;
    Ok(Json(h.referrals(&k).await?))
}

/// Record a partner state's answer to a referral (states answer by diplomatic note; agencies
/// answer in their own inbox).
#[utoipa::path(post, path = "/api/v1/cases/{id}/referrals/{referral}/answer", tag = "cases",
    params(("id" = String, Path), ("referral" = String, Path)), request_body = ResponseForm,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_referral_answer(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path((id, referral)): Path<(String, String)>,
    Json(f): Json<ResponseForm>,
) -> Result<StatusCode, AppError> {
    cases(&state, &authed, &rid, "referral answer")
        .record_state_answer(&id, &referral, &f.status, &f.note)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- the partner's inbox -------------------------------------------------------------------

fn inbox(state: &AppState, authed: &Authed, rid: &RequestId) -> baoho_store::Inbox {
    baoho_store::Inbox::new(
        state.store.as_ref(),
        state.keys.clone(),
        AccessCtx {
            who: authed.identity.clone(),
            request_id: rid.0.clone(),
            purpose: String::new(),
            at: state.now(),
        },
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "inbox.html")]
pub struct InboxPage {
    pub c: Chrome,
    pub items: Vec<baoho_store::Referral>,
}

/// `GET /inbox`: referrals to my agency.
pub async fn inbox_page(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
) -> Result<InboxPage, AppError> {
    let items = inbox(&state, &authed, &rid).list().await?;
    Ok(InboxPage { c, items })
}

#[derive(Template, WebTemplate)]
#[template(path = "referral.html")]
pub struct ReferralPage {
    pub c: Chrome,
    pub r: baoho_store::Referral,
    pub type_name: String,
}

/// `GET /inbox/{id}`
pub async fn referral_page(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<ReferralPage, AppError> {
    let r = inbox(&state, &authed, &rid).get(&id).await?;
    Ok(ReferralPage {
        type_name: type_name(c.t.lang, &r.snapshot.case_type),
        r,
        c,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResponseForm {
    /// `acknowledged`, `accepted`, `declined` or `done`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub note: String,
}

/// `POST /inbox/{id}`
pub async fn referral_respond(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Form(f): Form<ResponseForm>,
) -> Result<Response, AppError> {
    inbox(&state, &authed, &rid)
        .respond(&id, &f.status, &f.note)
        .await?;
    Ok(Redirect::to(&format!("/inbox/{id}")).into_response())
}

/// Referrals sent to your agency (partner liaisons).
#[utoipa::path(get, path = "/api/v1/inbox", tag = "inbox",
    responses((status = 200, body = Vec<baoho_store::Referral>), (status = 403, body = ProblemBody)))]
pub async fn api_inbox(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
) -> Result<Json<Vec<baoho_store::Referral>>, AppError> {
    Ok(Json(inbox(&state, &authed, &rid).list().await?))
}

/// Answer a referral.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/response", tag = "inbox", params(("id" = String, Path)), request_body = ResponseForm,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_respond(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Json(f): Json<ResponseForm>,
) -> Result<StatusCode, AppError> {
    inbox(&state, &authed, &rid)
        .respond(&id, &f.status, &f.note)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct EventForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    repayment: String,
}

fn parse_amount(s: &str) -> Option<i64> {
    let s = s.trim().replace(',', ".");
    if s.is_empty() {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    (v.is_finite() && v > 0.0 && v < 1e12).then(|| (v * 100.0).round() as i64)
}

fn back(id: &str) -> Response {
    Redirect::to(&format!("/cases/{id}")).into_response()
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkPerson {
    /// The id of a person in the registry you may read.
    #[serde(default)]
    pub person_id: String,
}

/// `POST /cases/{id}/persons`: add a person from the registry.
pub async fn link_person_submit(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Form(f): Form<LinkPerson>,
) -> Result<Response, AppError> {
    cases(&state, &authed, &rid, "person linked")
        .link_person(&id, f.person_id.trim())
        .await?;
    Ok(back(&id))
}

/// Add a person from the registry to the case (a crew, a group rescued together).
#[utoipa::path(post, path = "/api/v1/cases/{id}/persons", tag = "cases", params(("id" = String, Path)), request_body = LinkPerson,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_link_person(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Json(f): Json<LinkPerson>,
) -> Result<StatusCode, AppError> {
    cases(&state, &authed, &rid, "person linked")
        .link_person(&id, f.person_id.trim())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Why a person is removed from a case.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UnlinkPerson {
    /// Why the person is removed (5 to 2,000 characters; kept in the case's timeline).
    #[serde(default)]
    pub reason: String,
}

/// `POST /cases/{id}/persons/{person}/remove`: remove a person added by mistake. Refused input
/// brings the case page back (422) with the form open, the reason as typed and why.
pub async fn unlink_person_submit(
    State(state): State<AppState>,
    mut c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path((id, person)): Path<(String, String)>,
    Form(f): Form<UnlinkPerson>,
) -> Result<Response, AppError> {
    let done = cases(&state, &authed, &rid, "person unlinked")
        .unlink_person(&id, &person, &f.reason)
        .await;
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}?removed=1#persons")).into_response()),
        Err(StoreError::Validation(errs)) => {
            let error = errs
                .iter()
                .map(|e| c.t.s(e.code))
                .collect::<Vec<_>>()
                .join(" ");
            // The language switch of the page shown comes back to the case, not to this POST.
            c.path = format!("/cases/{id}");
            let mut page = case_view(&state, c, &authed, &rid, &id, None).await?;
            page.unlink = Some(UnlinkView {
                person: person.trim().to_owned(),
                reason: f.reason,
                error,
            });
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Remove a person added to the case by mistake, with the reason (kept in the timeline).
/// The same gates as adding one: edit on the case, read on the person. A person not on the
/// case is a 422 (field `person`), like one added twice; the case's version is not needed.
#[utoipa::path(post, path = "/api/v1/cases/{id}/persons/{person}/removal", tag = "cases",
    params(("id" = String, Path), ("person" = String, Path, description = "The id of a person on the case")),
    request_body = UnlinkPerson,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_unlink_person(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path((id, person)): Path<(String, String)>,
    Json(f): Json<UnlinkPerson>,
) -> Result<StatusCode, AppError> {
    cases(&state, &authed, &rid, "person unlinked")
        .unlink_person(&id, &person, &f.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /cases/{id}/details`: the type's own fields, as `d_<key>` form fields and the
/// `version` read.
pub async fn details_submit(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut version = 0;
    let mut details = std::collections::BTreeMap::new();
    for (k, v) in pairs {
        if k == "version" {
            version = v.trim().parse().unwrap_or(0);
        } else if let Some(key) = k.strip_prefix("d_") {
            details.insert(key.to_owned(), v);
        }
    }
    cases(&state, &authed, &rid, "details")
        .set_details(&id, version, &details)
        .await?;
    Ok(back(&id))
}

/// The case type's own fields: the version you read and every field's value (a field left
/// out or empty is cleared).
#[derive(Debug, Deserialize, ToSchema)]
pub struct DetailsUpdate {
    pub version: i64,
    #[serde(default)]
    pub details: std::collections::BTreeMap<String, String>,
}

/// Replace the case type's own fields (see `fields` in `GET /api/v1/case-types`).
#[utoipa::path(put, path = "/api/v1/cases/{id}/details", tag = "cases", params(("id" = String, Path)), request_body = DetailsUpdate,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_details(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Json(u): Json<DetailsUpdate>,
) -> Result<StatusCode, AppError> {
    cases(&state, &authed, &rid, "details")
        .set_details(&id, u.version, &u.details)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /cases/{id}/events`
pub async fn event_submit(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Form(f): Form<EventForm>,
) -> Result<Response, AppError> {
    let ev = NewEvent {
        kind: f.kind,
        body: f.body,
        amount_minor: parse_amount(&f.amount),
        currency: Some(f.currency.trim().to_ascii_uppercase()).filter(|c| !c.is_empty()),
        repayment: Some(f.repayment.trim().to_owned()).filter(|r| !r.is_empty()),
    };
    cases(&state, &authed, &rid, "").add_event(&id, ev).await?;
    Ok(back(&id))
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    version: i64,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

/// `POST /cases/{id}/status`
pub async fn status_submit(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> Result<Response, AppError> {
    let to =
        Status::parse(&f.status).ok_or_else(|| AppError::BadRequest("unknown status".into()))?;
    cases(&state, &authed, &rid, "")
        .set_status(&id, f.version, to, &f.reason)
        .await?;
    Ok(back(&id))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignForm {
    /// The account id of the new lead officer.
    #[serde(default)]
    account: String,
}

/// `POST /cases/{id}/assign`
pub async fn assign_submit(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> Result<Response, AppError> {
    let target = lead_candidate(&state, &f.account).await?;
    cases(&state, &authed, &rid, "")
        .assign(&id, &target)
        .await?;
    Ok(back(&id))
}

/// The account id of an officer who may lead a case (enabled, a consular role).
async fn lead_candidate(state: &AppState, account: &str) -> Result<String, AppError> {
    let target = Accounts::new(state.store.as_ref())
        .get(account.trim())
        .await
        .map_err(|_| AppError::Unprocessable {
            detail: "no such officer".into(),
            errors: vec![],
        })?;
    if target.disabled
        || !matches!(
            target.role,
            Role::MissionOfficer | Role::HeadOfMission | Role::HqOfficer
        )
    {
        return Err(AppError::Unprocessable {
            detail: "this account cannot lead a case".into(),
            errors: vec![],
        });
    }
    Ok(target.id)
}

#[derive(Debug, Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    item: i64,
    #[serde(default)]
    done: String,
}

/// `POST /cases/{id}/check`
pub async fn check_submit(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Form(f): Form<CheckForm>,
) -> Result<Response, AppError> {
    cases(&state, &authed, &rid, "")
        .check(&id, f.item, f.done == "1")
        .await?;
    Ok(back(&id))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VersionForm {
    /// The version of the case you read.
    #[serde(default)]
    version: i64,
}

/// `POST /cases/{id}/close-request`
pub async fn close_request_submit(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, AppError> {
    cases(&state, &authed, &rid, "")
        .request_close(&id, f.version)
        .await?;
    Ok(back(&id))
}

/// `POST /cases/{id}/close-approve`
pub async fn close_approve_submit(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, AppError> {
    cases(&state, &authed, &rid, "")
        .approve_close(&id, f.version)
        .await?;
    Ok(back(&id))
}

// --- the same operations for programs (JSON) ----------------------------------------------

/// Make an officer the case's lead (and a member).
#[utoipa::path(post, path = "/api/v1/cases/{id}/assign", tag = "cases", params(("id" = String, Path)), request_body = AssignForm,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_assign(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Json(f): Json<AssignForm>,
) -> Result<StatusCode, AppError> {
    let target = lead_candidate(&state, &f.account).await?;
    cases(&state, &authed, &rid, "")
        .assign(&id, &target)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckUpdate {
    pub done: bool,
}

/// Tick or untick an item of the case type's checklist (by its index).
#[utoipa::path(put, path = "/api/v1/cases/{id}/checklist/{item}", tag = "cases",
    params(("id" = String, Path), ("item" = i64, Path)), request_body = CheckUpdate,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_check(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path((id, item)): Path<(String, i64)>,
    Json(f): Json<CheckUpdate>,
) -> Result<StatusCode, AppError> {
    cases(&state, &authed, &rid, "")
        .check(&id, item, f.done)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ask a supervisor to close a resolved case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/close-request", tag = "cases", params(("id" = String, Path)), request_body = VersionForm,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_close_request(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Json(f): Json<VersionForm>,
) -> Result<StatusCode, AppError> {
    cases(&state, &authed, &rid, "")
        .request_close(&id, f.version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A supervisor (not the requester) approves the closure.
#[utoipa::path(post, path = "/api/v1/cases/{id}/close-approval", tag = "cases", params(("id" = String, Path)), request_body = VersionForm,
    responses((status = 204), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_close_approve(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Json(f): Json<VersionForm>,
) -> Result<StatusCode, AppError> {
    cases(&state, &authed, &rid, "")
        .approve_close(&id, f.version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set the consular-access dates of an arrest or detention case (VCCR art. 36).
#[utoipa::path(put, path = "/api/v1/cases/{id}/consular-access", tag = "cases", params(("id" = String, Path)), request_body = ClockForm,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_clock(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Json(f): Json<ClockForm>,
) -> Result<StatusCode, AppError> {
    cases(&state, &authed, &rid, "")
        .set_access_clock(&id, &f.clock()?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A supervisor approves a referral sent without the person's consent: it goes out.
#[utoipa::path(post, path = "/api/v1/cases/{id}/referrals/{referral}/approval", tag = "cases",
    params(("id" = String, Path), ("referral" = String, Path)),
    responses((status = 204), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
pub async fn api_referral_approve(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path((id, referral)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    cases(&state, &authed, &rid, "referral approval")
        .approve_referral(&id, &referral)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The case's attachments (names, types, sizes; not their content).
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments", tag = "cases", params(("id" = String, Path)),
    responses((status = 200, body = Vec<baoho_store::attachments::Attachment>), (status = 404, body = ProblemBody)))]
pub async fn api_attachments(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<Json<Vec<baoho_store::attachments::Attachment>>, AppError> {
    let h = cases(&state, &authed, &rid, "attachments");
    let k = h.get(&id).await?;
    Ok(Json(h.attachments(&k).await?))
}

/// Attach a file (multipart form, field `file`): PDF, JPEG, PNG or text, size-limited;
/// encrypted at rest when the case is restricted.
#[utoipa::path(post, path = "/api/v1/cases/{id}/attachments", tag = "cases", params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = baoho_store::attachments::Attachment), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_attach(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let (name, bytes) = multipart_file(form).await?;
    let a = cases(&state, &authed, &rid, "attachment")
        .attach(objects(&state)?, &id, &name, &bytes)
        .await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

/// Download an attachment (audited).
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments/{attachment}", tag = "cases",
    params(("id" = String, Path), ("attachment" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404, body = ProblemBody)))]
pub async fn api_attachment_download(
    state: State<AppState>,
    authed: Extension<Authed>,
    rid: Extension<RequestId>,
    path: Path<(String, String)>,
) -> Result<Response, AppError> {
    attachment_download(state, authed, rid, path).await
}

#[derive(Template, WebTemplate)]
#[template(path = "cases_overview.html")]
pub struct OverviewPage {
    pub c: Chrome,
    pub rows: Vec<(String, String, baoho_store::overview::OpenCount)>,
    pub total: i64,
    pub overdue: i64,
}

/// `GET /cases/overview`: open cases by type, mission and age (leadership).
pub async fn overview_page(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
) -> Result<OverviewPage, AppError> {
    let lang = c.t.lang;
    let counts = cases(&state, &authed, &rid, "overview")
        .open_counts()
        .await?;
    let total = counts.iter().map(|c| c.total()).sum();
    let overdue = counts.iter().map(|c| c.overdue).sum();
    let rows = counts
        .into_iter()
        .map(|r| {
            let mission = match refdata::mission(&r.mission) {
                Some(m) if lang == Lang::Vi => m.name_vi.clone(),
                Some(m) => m.name_en.clone(),
                None => c.t.s("person.hq").to_owned(),
            };
            (mission, type_name(lang, &r.case_type), r)
        })
        .collect();
    Ok(OverviewPage {
        c,
        rows,
        total,
        overdue,
    })
}

/// What needs me: my open cases by urgency, overdue cases in my scope, closures awaiting my
/// approval, new cases not yet assessed, cases opened by others since I last asked, referrals
/// awaiting my approval, and partners' answers on my cases' referrals since I last asked (the
/// first 50 of each, with totals). Asking records the look.
#[utoipa::path(get, path = "/api/v1/queue", tag = "cases",
    responses((status = 200, body = baoho_store::WorkQueue), (status = 403, body = ProblemBody)))]
pub async fn api_queue(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
) -> Result<Json<baoho_store::WorkQueue>, AppError> {
    Ok(Json(
        cases(&state, &authed, &rid, "work queue")
            .work_queue()
            .await?,
    ))
}

/// Open cases in your scope by type, mission and age (counts only).
#[utoipa::path(get, path = "/api/v1/reports/open-cases", tag = "cases",
    responses((status = 200, body = Vec<baoho_store::overview::OpenCount>), (status = 403, body = ProblemBody)))]
pub async fn api_overview(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
) -> Result<Json<Vec<baoho_store::overview::OpenCount>>, AppError> {
    Ok(Json(
        cases(&state, &authed, &rid, "overview")
            .open_counts()
            .await?,
    ))
}

/// This capability's routes, each with who may call it (joined in [`crate::routes::table`]).
pub fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::Staff;
    use crate::routes::Route;
    use crate::routes::{INTAKE, LEADERS, PARTNER};
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::GET, "/cases", Staff, queue_page),
        Route::page(Method::POST, "/cases", Staff, create_submit),
        Route::page(Method::GET, "/cases/new", INTAKE, new_page),
        Route::page(
            Method::GET,
            "/cases/new/fields",
            INTAKE,
            type_fields_fragment,
        ),
        Route::page(
            Method::GET,
            "/cases/new/missions",
            INTAKE,
            mission_options_fragment,
        ),
        Route::page(Method::GET, "/cases/list", Staff, list_page),
        Route::page(Method::GET, "/cases/export.csv", Staff, export_csv),
        Route::page(Method::GET, "/cases/export.xlsx", Staff, export_xlsx),
        Route::page(Method::GET, "/cases/{id}", Staff, case_page),
        Route::page(Method::POST, "/cases/{id}/events", Staff, event_submit),
        Route::page(Method::POST, "/cases/{id}/status", Staff, status_submit),
        Route::page(Method::POST, "/cases/{id}/assign", Staff, assign_submit),
        Route::page(Method::POST, "/cases/{id}/check", Staff, check_submit),
        Route::page(
            Method::POST,
            "/cases/{id}/close-request",
            Staff,
            close_request_submit,
        ),
        Route::page(
            Method::POST,
            "/cases/{id}/close-approve",
            Staff,
            close_approve_submit,
        ),
        Route::page(
            Method::POST,
            "/cases/{id}/consular-access",
            Staff,
            clock_submit,
        ),
        Route::page(Method::GET, "/cases/consular-access", Staff, vccr_page),
        Route::api(Staff, routes!(api_vccr)),
        Route::page(
            Method::POST,
            "/cases/{id}/transfers",
            Staff,
            transfer_submit,
        ),
        Route::page(
            Method::POST,
            "/transfers/{id}/accept",
            Staff,
            transfer_accept,
        ),
        Route::page(
            Method::POST,
            "/transfers/{id}/reject",
            Staff,
            transfer_reject,
        ),
        Route::api(Staff, routes!(api_transfer)),
        Route::api(Staff, routes!(api_incoming)),
        Route::api(Staff, routes!(api_decide_transfer)),
        Route::page(Method::GET, "/cases/overview", LEADERS, overview_page),
        Route::api(LEADERS, routes!(api_overview)),
        Route::page(
            Method::POST,
            "/cases/{id}/attachments",
            Staff,
            attach_submit,
        ),
        Route::page(
            Method::GET,
            "/cases/{id}/attachments/{attachment}",
            Staff,
            attachment_download,
        ),
        Route::page(
            Method::POST,
            "/cases/{id}/referrals",
            Staff,
            referral_submit,
        ),
        Route::page(
            Method::POST,
            "/cases/{id}/referrals/{referral}/approve",
            Staff,
            referral_approve,
        ),
        Route::api(Staff, routes!(api_assign)),
        Route::api(Staff, routes!(api_check)),
        Route::api(Staff, routes!(api_close_request)),
        Route::api(Staff, routes!(api_close_approve)),
        Route::api(Staff, routes!(api_clock)),
        Route::api(Staff, routes!(api_referral_approve)),
        Route::api(Staff, routes!(api_attachments)),
        Route::api(Staff, routes!(api_attach)),
        Route::api(Staff, routes!(api_attachment_download)),
        Route::page(
            Method::POST,
            "/cases/{id}/persons",
            Staff,
            link_person_submit,
        ),
        Route::api(Staff, routes!(api_link_person)),
        Route::page(
            Method::POST,
            "/cases/{id}/persons/{person}/remove",
            Staff,
            unlink_person_submit,
        ),
        Route::api(Staff, routes!(api_unlink_person)),
        Route::page(Method::POST, "/cases/{id}/details", Staff, details_submit),
        Route::api(Staff, routes!(api_details)),
        Route::page(
            Method::POST,
            "/cases/{id}/referrals/{referral}/answer",
            Staff,
            referral_answer,
        ),
        Route::page(
            Method::GET,
            "/cases/{id}/referrals/{referral}/letter",
            Staff,
            referral_letter,
        ),
        Route::api(Staff, routes!(api_referrals)),
        Route::api(Staff, routes!(api_referral_answer)),
        Route::page(Method::GET, "/inbox", PARTNER, inbox_page),
        Route::page(Method::GET, "/inbox/{id}", PARTNER, referral_page),
        Route::page(Method::POST, "/inbox/{id}", PARTNER, referral_respond),
        Route::api(PARTNER, routes!(api_inbox)),
        Route::api(PARTNER, routes!(api_respond)),
        Route::api(Staff, routes!(api_refer)),
        Route::api(Staff, routes!(api_case_types)),
        Route::api(Staff, routes!(api_list)),
        Route::api(Staff, routes!(api_queue)),
        Route::api(Staff, routes!(api_create)),
        Route::api(Staff, routes!(api_get)),
        Route::api(Staff, routes!(api_add_event)),
        Route::api(Staff, routes!(api_status)),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_place_is_its_country_and_its_missions_city() {
        use crate::i18n::Lang;
        assert_eq!(super::place(Lang::En, "JP", "CG-JP-OSAKA"), "Japan · Osaka");
        assert_eq!(
            super::place(Lang::Vi, "JP", "EMB-JP-TOKYO"),
            "Nhật Bản · Tokyo"
        );
        assert_eq!(super::place(Lang::En, "TW", ""), "Taiwan");
    }

    #[test]
    fn file_sizes_read_as_people_say_them() {
        assert_eq!(super::file_size(0), "0 B");
        assert_eq!(super::file_size(212), "212 B");
        assert_eq!(super::file_size(1024), "1 KiB");
        assert_eq!(super::file_size(1536), "2 KiB");
        assert_eq!(super::file_size(1024 * 1024 - 1), "1.0 MiB");
        assert_eq!(super::file_size(8 * 1024 * 1024), "8.0 MiB");
    }
}
