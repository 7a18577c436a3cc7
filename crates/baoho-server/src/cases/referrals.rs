use super::*;
use crate::inbox::ResponseForm;

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
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<ReferralForm>,
) -> Result<Response, AppError> {
    caller.cases("referral").refer(&id, f.request()).await?;
    Ok(back(&id))
}

/// `POST /cases/{id}/referrals/{ref}/approve`
pub async fn referral_approve(
    caller: Caller,
    Path((id, referral)): Path<(String, String)>,
) -> Result<Response, AppError> {
    caller
        .cases("referral approval")
        .approve_referral(&id, &referral)
        .await?;
    Ok(back(&id))
}

/// Refer a case to a partner agency (consent, or an override a supervisor approves).
#[utoipa::path(post, path = "/api/v1/cases/{id}/referrals", tag = "cases", params(("id" = String, Path)), request_body = baoho_store::ReferralRequest,
    responses((status = 201, body = baoho_store::Referral), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_refer(
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<baoho_store::ReferralRequest>,
) -> Result<Response, AppError> {
    let r = caller.cases("referral").refer(&id, req).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/referral_letter.html")]
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
    caller: Caller,
    mut c: Chrome,
    Path((id, referral)): Path<(String, String)>,
    Query(q): Query<LetterQuery>,
) -> Result<LetterPage, AppError> {
    // A letter may go out in the other language than the officer's pages (`?lang=en`); any
    // other value keeps the page's language (a refusal before the case's gate would go
    // unaudited).
    if let Some(lang) = q.lang.as_deref().and_then(Lang::from_code) {
        c.t = Tr::new(lang);
    }
    let h = caller.cases("referral letter");
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
    caller: Caller,
    Path((id, referral)): Path<(String, String)>,
    Form(f): Form<ResponseForm>,
) -> Result<Response, AppError> {
    caller
        .cases("referral answer")
        .record_state_answer(&id, &referral, &f.status, &f.note)
        .await?;
    Ok(back(&id))
}

/// The referrals of a case, with their status and the partners' answers.
#[utoipa::path(get, path = "/api/v1/cases/{id}/referrals", tag = "cases", params(("id" = String, Path)),
    responses((status = 200, body = Vec<baoho_store::Referral>), (status = 404, body = ProblemBody)))]
pub async fn api_referrals(
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<baoho_store::Referral>>, AppError> {
    let h = caller.cases("referrals");
    let k = h.get(&id).await?;
    Ok(Json(h.referrals(&k).await?))
}

/// Record a partner state's answer to a referral (states answer by diplomatic note; agencies
/// answer in their own inbox).
#[utoipa::path(post, path = "/api/v1/cases/{id}/referrals/{referral}/answer", tag = "cases",
    params(("id" = String, Path), ("referral" = String, Path)), request_body = ResponseForm,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_referral_answer(
    caller: Caller,
    Path((id, referral)): Path<(String, String)>,
    Json(f): Json<ResponseForm>,
) -> Result<StatusCode, AppError> {
    caller
        .cases("referral answer")
        .record_state_answer(&id, &referral, &f.status, &f.note)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A supervisor approves a referral sent without the person's consent: it goes out.
#[utoipa::path(post, path = "/api/v1/cases/{id}/referrals/{referral}/approval", tag = "cases",
    params(("id" = String, Path), ("referral" = String, Path)),
    responses((status = 204), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
pub async fn api_referral_approve(
    caller: Caller,
    Path((id, referral)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    caller
        .cases("referral approval")
        .approve_referral(&id, &referral)
        .await?;
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
            "/cases/{id}/referrals",
            Staff,
            referral_submit,
        ),
        Route::page(
            Method::POST,
            "/cases/{id}/referrals/{referral}/approve",
            Staff,
            referral_approve,
        )
        .recent(),
        Route::api(Staff, routes!(api_referral_approve)).recent(),
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
        Route::api(Staff, routes!(api_refer)),
    ]
}
