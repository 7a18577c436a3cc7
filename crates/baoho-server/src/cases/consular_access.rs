use super::*;

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

pub(super) fn parse_day(
    field: &str,
    v: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
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
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<ClockForm>,
) -> Result<Response, AppError> {
    caller.cases("").set_access_clock(&id, &f.clock()?).await?;
    Ok(back(&id))
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/vccr_report.html")]
pub struct VccrPage {
    pub c: Chrome,
    pub rows: Vec<(
        String,
        baoho_store::cases::consular_access::CountryCompliance,
        String,
    )>,
}

/// `GET /cases/consular-access`: how host countries honour consular access (VCCR art. 36).
pub async fn vccr_page(caller: Caller, c: Chrome) -> Result<VccrPage, AppError> {
    let lang = c.t.lang;
    let rows = caller
        .cases("report")
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
    responses((status = 200, body = Vec<baoho_store::cases::consular_access::CountryCompliance>)))]
pub async fn api_vccr(
    caller: Caller,
) -> Result<Json<Vec<baoho_store::cases::consular_access::CountryCompliance>>, AppError> {
    Ok(Json(caller.cases("report").access_report().await?))
}

/// Set the consular-access dates of an arrest or detention case (VCCR art. 36).
#[utoipa::path(put, path = "/api/v1/cases/{id}/consular-access", tag = "cases", params(("id" = String, Path)), request_body = ClockForm,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_clock(
    caller: Caller,
    Path(id): Path<String>,
    Json(f): Json<ClockForm>,
) -> Result<StatusCode, AppError> {
    caller.cases("").set_access_clock(&id, &f.clock()?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This sub-area's routes, each with who may call it.
pub(super) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::Staff;
    use crate::routes::Route;
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(
            Method::POST,
            "/cases/{id}/consular-access",
            Staff,
            clock_submit,
        ),
        Route::page(Method::GET, "/cases/consular-access", Staff, vccr_page),
        Route::api(Staff, routes!(api_vccr)),
        Route::api(Staff, routes!(api_clock)),
    ]
}
