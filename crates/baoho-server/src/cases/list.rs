use super::*;

#[derive(Debug, Deserialize, IntoParams, Default)]
pub struct ListParams {
    /// A case type code.
    #[serde(default)]
    pub case_type: Option<String>,
    /// `new`, `assessed`, `in_progress`, `awaiting_partner`, `resolved`, `closed`; or `open`:
    /// every case not yet resolved or closed. Anything else is refused with 400.
    #[serde(default)]
    #[param(
        pattern = r"^\s*(new|assessed|in_progress|awaiting_partner|resolved|closed|open)?\s*$"
    )]
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
    /// Page number from 1 (50 per page; at most 10,000, more is refused with 400).
    #[serde(default)]
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<u32>,
}

pub(super) fn some(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl ListParams {
    pub(super) fn filter(&self) -> Result<CaseFilter, AppError> {
        if self.page.is_some_and(|p| !(1..=10_000).contains(&p)) {
            return Err(AppError::BadRequest("page must be 1 to 10000".into()));
        }
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
    caller: Caller,
    Query(p): Query<ListParams>,
) -> Result<Json<CasePage>, AppError> {
    Ok(Json(caller.cases("").list(&p.filter()?).await?))
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/cases_list.html")]
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

pub(super) fn may_export(role: Role) -> bool {
    matches!(
        role,
        Role::MissionOfficer | Role::HqOfficer | Role::HeadOfMission
    )
}

/// The most rows one export holds: beyond it the officer narrows the filters (an export is
/// never silently cut short).
pub(super) const EXPORT_MAX_ROWS: i64 = 20_000;

/// `GET /cases/list`
pub async fn list_page(
    caller: Caller,
    c: Chrome,
    Query(p): Query<ListParams>,
) -> Result<ListPage, AppError> {
    let r = caller.cases("").list(&p.filter()?).await?;
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
        can_export: may_export(caller.account().role),
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

/// This sub-area's routes, each with who may call it.
pub(super) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::Staff;
    use crate::routes::Route;
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::GET, "/cases/list", Staff, list_page),
        Route::api(Staff, routes!(api_list)),
    ]
}
