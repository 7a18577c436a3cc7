use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "cases/cases_overview.html")]
pub struct OverviewPage {
    pub c: Chrome,
    pub rows: Vec<(String, String, baoho_store::cases::overview::OpenCount)>,
    pub total: i64,
    pub overdue: i64,
}

/// `GET /cases/overview`: open cases by type, mission and age (leadership).
pub async fn overview_page(caller: Caller, c: Chrome) -> Result<OverviewPage, AppError> {
    let lang = c.t.lang;
    let counts = caller.cases("overview").open_counts().await?;
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

/// Open cases in your scope by type, mission and age (counts only).
#[utoipa::path(get, path = "/api/v1/reports/open-cases", tag = "cases",
    responses((status = 200, body = Vec<baoho_store::cases::overview::OpenCount>), (status = 403, body = ProblemBody)))]
pub async fn api_overview(
    caller: Caller,
) -> Result<Json<Vec<baoho_store::cases::overview::OpenCount>>, AppError> {
    Ok(Json(caller.cases("overview").open_counts().await?))
}

/// This sub-area's routes, each with who may call it.
pub(super) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::LEADERS;
    use crate::routes::Route;
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::GET, "/cases/overview", LEADERS, overview_page),
        Route::api(LEADERS, routes!(api_overview)),
    ]
}
