use super::*;
use crate::inbox::ResponseForm;
use baoho_store::{ConsentGiver, ConsentMethod, ConsentPurpose};

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
    /// `given` (with the consent record below) or `override`.
    #[serde(default)]
    basis: String,
    #[serde(default)]
    consent_by: String,
    #[serde(default)]
    consent_by_name: String,
    #[serde(default)]
    consent_purpose: String,
    /// `YYYY-MM-DD` (the date input's value).
    #[serde(default)]
    consent_on: String,
    #[serde(default)]
    consent_method: String,
    #[serde(default)]
    override_reason: String,
}

impl ReferralForm {
    /// The request, or the fields that are not one of their lists (nothing is written).
    fn request(self) -> Result<baoho_store::NewReferral, StoreError> {
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
        let consent = match self.basis.as_str() {
            "given" => {
                let mut errs = Vec::new();
                let mut bad = |field: &str, code: &'static str| {
                    errs.push(baoho_domain::person::FieldError {
                        field: field.into(),
                        code,
                    })
                };
                let by = ConsentGiver::parse(&self.consent_by);
                let purpose = ConsentPurpose::parse(&self.consent_purpose);
                let method = ConsentMethod::parse(&self.consent_method);
                let on = chrono::NaiveDate::parse_from_str(self.consent_on.trim(), "%Y-%m-%d").ok();
                if by.is_none() {
                    bad("consent.given_by", "referral.error.consent_choice");
                }
                if purpose.is_none() {
                    bad("consent.purpose", "referral.error.consent_choice");
                }
                if method.is_none() {
                    bad("consent.method", "referral.error.consent_choice");
                }
                if on.is_none() {
                    bad("consent.given_on", "referral.error.consent_date");
                }
                match (by, purpose, method, on) {
                    (Some(given_by), Some(purpose), Some(method), Some(given_on)) => {
                        Some(baoho_store::ConsentInput {
                            given_by,
                            given_by_name: self.consent_by_name,
                            purpose,
                            given_on,
                            method,
                        })
                    }
                    _ => return Err(StoreError::Validation(errs)),
                }
            }
            "override" => None,
            _ => {
                return Err(StoreError::Validation(vec![
                    baoho_domain::person::FieldError {
                        field: "basis".into(),
                        code: "referral.error.consent_basis",
                    },
                ]));
            }
        };
        Ok(baoho_store::NewReferral {
            agency: self.agency,
            purpose: self.purpose,
            fields,
            consent,
            override_reason: self.override_reason,
        })
    }
}

/// `POST /cases/{id}/referrals`
pub async fn referral_submit(
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<ReferralForm>,
) -> Result<Response, AppError> {
    caller.cases("referral").refer(&id, f.request()?).await?;
    Ok(back(&id))
}

/// `POST /cases/{id}/referrals/{ref}/approve`: a second person approves an override.
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

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefusalForm {
    /// Why the referral must not go (at least 15 characters).
    #[serde(default)]
    #[schema(min_length = 15, max_length = 2000)]
    pub reason: String,
}

/// `POST /cases/{id}/referrals/{ref}/refuse`: a second person refuses an override.
pub async fn referral_refuse(
    caller: Caller,
    Path((id, referral)): Path<(String, String)>,
    Form(f): Form<RefusalForm>,
) -> Result<Response, AppError> {
    caller
        .cases("referral refusal")
        .refuse_referral(&id, &referral, &f.reason)
        .await?;
    Ok(back(&id))
}

/// Refer a case to a partner agency: with a consent record it is sent at once; without, it
/// needs `override_reason` and waits for a second person's approval.
#[utoipa::path(post, path = "/api/v1/cases/{id}/referrals", tag = "cases", params(("id" = String, Path)), request_body = baoho_store::NewReferral,
    responses((status = 201, body = baoho_store::Referral), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_refer(
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<baoho_store::NewReferral>,
) -> Result<Response, AppError> {
    let r = caller.cases("referral").refer(&id, req).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

/// A referral as the case page lists it, with the names and labels in the reader's language.
pub struct ReferralRow {
    pub r: baoho_store::Referral,
    pub requested_by: String,
    /// Who consented (with the guardian's or representative's name), to what, how, and who
    /// recorded it: empty for an override and for referrals made before consent records.
    pub consent_by: String,
    pub consent_purpose: String,
    pub consent_method: String,
    pub recorded_by: String,
    /// The second person's decision on an override: who and when (and why, refused).
    pub decided_by: String,
    /// The reader may approve or refuse it (an override awaiting approval they did not ask for).
    pub can_decide: bool,
    /// An override the reader asked for, awaiting someone else's decision.
    pub own: bool,
}

/// The case page's referral rows (`may_approve`: the reader's role approves overrides).
pub(crate) fn referral_rows(
    t: &Tr,
    me: &str,
    may_approve: bool,
    referrals: Vec<baoho_store::Referral>,
    name_of: &dyn Fn(&str) -> String,
) -> Vec<ReferralRow> {
    referrals
        .into_iter()
        .map(|r| {
            let rec = r.consent_record.as_ref();
            let consent_by = rec
                .map(|k| {
                    let key = format!("referral.consent_by.{}", k.given_by.as_str());
                    let who = t.s(&key);
                    match &k.given_by_name {
                        Some(n) => format!("{who}: {n}"),
                        None => who.to_owned(),
                    }
                })
                .unwrap_or_default();
            ReferralRow {
                requested_by: name_of(&r.requested_by),
                consent_purpose: rec
                    .map(|k| {
                        t.s(&format!("referral.consent_purpose.{}", k.purpose.as_str()))
                            .to_owned()
                    })
                    .unwrap_or_default(),
                consent_method: rec
                    .map(|k| {
                        t.s(&format!("referral.consent_method.{}", k.method.as_str()))
                            .to_owned()
                    })
                    .unwrap_or_default(),
                recorded_by: rec.map(|k| name_of(&k.recorded_by)).unwrap_or_default(),
                decided_by: r
                    .decision
                    .as_ref()
                    .map(|d| name_of(&d.by))
                    .unwrap_or_default(),
                can_decide: may_approve && r.status == "awaiting_approval" && r.requested_by != me,
                own: r.status == "awaiting_approval" && r.requested_by == me,
                consent_by,
                r,
            }
        })
        .collect()
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

/// A second person approves a referral sent without the person's consent: it goes out. The
/// one who asked for it, and a mission officer, get 403.
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

/// A second person refuses a referral sent without the person's consent, with a reason: it is
/// never sent, and its sender is told. The one who asked for it, and a mission officer, get
/// 403.
#[utoipa::path(post, path = "/api/v1/cases/{id}/referrals/{referral}/refusal", tag = "cases",
    params(("id" = String, Path), ("referral" = String, Path)), request_body = RefusalForm,
    responses((status = 204), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_referral_refuse(
    caller: Caller,
    Path((id, referral)): Path<(String, String)>,
    Json(f): Json<RefusalForm>,
) -> Result<StatusCode, AppError> {
    caller
        .cases("referral refusal")
        .refuse_referral(&id, &referral, &f.reason)
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
            "/cases/{id}/referrals/{referral}/refuse",
            Staff,
            referral_refuse,
        ),
        Route::api(Staff, routes!(api_referral_refuse)),
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
