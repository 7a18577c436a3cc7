//! The person registry: pages and JSON API. Every handler reaches persons only through the
//! scoped handle issued for the caller (`Authed::persons`), which checks scope and audits.

use crate::app::AppState;
use crate::auth::Authed;
use crate::error::{AppError, ProblemBody};
use crate::extract::{Form, Json, Query};
use crate::i18n::{Lang, country_name, mission_name};
use crate::layers::RequestId;
use crate::web::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use baoho_domain::access::Restricted;
use baoho_domain::date::PartialDate;
use baoho_domain::person::{
    Contact, Document, DocumentKind, NextOfKin, PersonInput, PersonQuery, Sex,
};
use baoho_domain::refdata;
use baoho_store::{PersonRecord, SearchResult, StoreError};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Why the caller opens a record, from `?purpose=`, the form, or the `X-Purpose` header.
fn purpose(headers: &HeaderMap, given: Option<&str>) -> String {
    given
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get("x-purpose")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

// --- API ---------------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// A name (any order, with or without diacritics) or a document number.
    #[serde(default)]
    pub q: String,
    /// Only persons born that year.
    pub birth_year: Option<u16>,
    /// At most this many hits (default 50, at most 100).
    pub limit: Option<u32>,
    /// Why you search (recorded in the audit trail; never a name).
    pub purpose: Option<String>,
}

/// Search persons in your scope.
#[utoipa::path(get, path = "/api/v1/persons", tag = "persons", params(SearchParams),
    responses((status = 200, body = SearchResult), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
pub async fn api_search(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    Query(p): Query<SearchParams>,
) -> Result<Json<SearchResult>, AppError> {
    let h = authed.persons(&state, &rid, &purpose(&headers, p.purpose.as_deref()));
    let r = h
        .search(&PersonQuery {
            text: p.q,
            birth_year: p.birth_year,
            limit: p.limit.unwrap_or(50),
        })
        .await?;
    Ok(Json(r))
}

/// Create a person.
#[utoipa::path(post, path = "/api/v1/persons", tag = "persons", request_body = PersonInput,
    responses((status = 201, body = PersonRecord), (status = 422, body = ProblemBody), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    Json(input): Json<PersonInput>,
) -> Result<Response, AppError> {
    let h = authed.persons(&state, &rid, &purpose(&headers, None));
    let rec = h.create(input).await?;
    state.dupes.add(&rec);
    let loc = format!("/api/v1/persons/{}", rec.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, loc)], Json(rec)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PurposeParam {
    /// Why you open this record (recorded in the audit trail; never a name).
    pub purpose: Option<String>,
}

/// Read one person. Outside your scope, or missing: 404 (the same answer).
#[utoipa::path(get, path = "/api/v1/persons/{id}", tag = "persons", params(("id" = String, Path), PurposeParam),
    responses((status = 200, body = PersonRecord), (status = 404, body = ProblemBody)))]
pub async fn api_get(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<PurposeParam>,
) -> Result<Json<PersonRecord>, AppError> {
    let h = authed.persons(&state, &rid, &purpose(&headers, p.purpose.as_deref()));
    Ok(Json(h.get(&id).await?))
}

/// An edit: the version you read, and the new data.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PersonEdit {
    pub version: i64,
    #[serde(flatten)]
    pub data: PersonInput,
}

/// Replace a person's data. A stale `version` gets 409 and changes nothing.
#[utoipa::path(put, path = "/api/v1/persons/{id}", tag = "persons", params(("id" = String, Path)), request_body = PersonEdit,
    responses((status = 200, body = PersonRecord), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_update(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(edit): Json<PersonEdit>,
) -> Result<Json<PersonRecord>, AppError> {
    let h = authed.persons(&state, &rid, &purpose(&headers, None));
    let rec = h.update(&id, edit.version, edit.data).await?;
    state.dupes.add(&rec);
    Ok(Json(rec))
}

/// Export one person's full record as a JSON file (audited as an export).
#[utoipa::path(get, path = "/api/v1/persons/{id}/export", tag = "persons", params(("id" = String, Path), PurposeParam),
    responses((status = 200, body = PersonRecord), (status = 404, body = ProblemBody)))]
pub async fn api_export(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<PurposeParam>,
) -> Result<Response, AppError> {
    let h = authed.persons(&state, &rid, &purpose(&headers, p.purpose.as_deref()));
    let rec = h.export(&id).await?;
    let body = serde_json::to_vec_pretty(&rec).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"person-{}.json\"", rec.id),
            ),
        ],
        body,
    )
        .into_response())
}

/// A written reason to open a restricted record.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BreakGlassRequest {
    /// At least 15 characters; your supervisor is told at once.
    pub reason: String,
}

/// Break the glass on a restricted record in your scope.
#[utoipa::path(post, path = "/api/v1/persons/{id}/break-glass", tag = "persons", params(("id" = String, Path)), request_body = BreakGlassRequest,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_break_glass(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Json(b): Json<BreakGlassRequest>,
) -> Result<StatusCode, AppError> {
    let h = authed.persons(&state, &rid, "break-glass");
    h.break_glass(&id, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- pages -------------------------------------------------------------------------------

/// A search hit as the list shows it.
pub struct HitRow {
    pub id: String,
    pub name: String,
    pub other_names: String,
    pub birth: String,
    pub sex_key: String,
    pub hometown: String,
    pub country: String,
    pub mission: String,
    pub restricted: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "persons.html")]
pub struct PersonsPage {
    pub c: Chrome,
    pub q: String,
    pub year: String,
    pub searched: bool,
    pub hits: Vec<HitRow>,
    pub more: bool,
}

#[derive(Debug, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    year: String,
}

/// `GET /persons`: search.
pub async fn search_page(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Query(f): Query<SearchForm>,
) -> Result<PersonsPage, AppError> {
    let year = f.year.trim().parse::<u16>().ok();
    let searched = !f.q.trim().is_empty();
    let (hits, more) = if searched {
        let r = authed
            .persons(&state, &rid, "")
            .search(&PersonQuery {
                text: f.q.clone(),
                birth_year: year,
                limit: 50,
            })
            .await?;
        let lang = c.t.lang;
        (
            r.hits
                .into_iter()
                .map(|h| HitRow {
                    name: h.full_name,
                    other_names: h.other_names,
                    birth: h.birth.map(|d| d.to_string()).unwrap_or_default(),
                    sex_key: format!("sex.{}", h.sex.as_str()),
                    hometown: h.hometown,
                    country: country_name(lang, &h.country),
                    mission: mission_name(lang, &h.mission),
                    restricted: !h.restricted.is_empty(),
                    id: h.id,
                })
                .collect(),
            r.more,
        )
    } else {
        (vec![], false)
    };
    Ok(PersonsPage {
        c,
        q: f.q,
        year: f.year,
        searched,
        hits,
        more,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "person.html")]
pub struct PersonPage {
    pub c: Chrome,
    pub p: PersonRecord,
    pub birth: String,
    pub sex_key: String,
    pub hometown_new: String,
    pub nationality: String,
    pub country: String,
    pub mission: String,
    pub restricted_keys: Vec<String>,
    pub docs: Vec<(String, Document)>,
    pub saved: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "restricted.html")]
pub struct RestrictedPage {
    pub c: Chrome,
    pub id: String,
    pub error: bool,
}

#[derive(Debug, Deserialize)]
pub struct ViewQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    purpose: Option<String>,
}

fn province_label(lang: Lang, code: &str) -> String {
    match refdata::province(code) {
        Some(p) if lang == Lang::Vi => p.name_vi.clone(),
        Some(p) => p.name_en.clone(),
        None => String::new(),
    }
}

/// `GET /persons/{id}`
pub async fn view_page(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Result<Response, AppError> {
    let h = authed.persons(&state, &rid, q.purpose.as_deref().unwrap_or(""));
    let p = match h.get(&id).await {
        Ok(p) => p,
        Err(StoreError::NotFound) if h.can_break_glass(&id).await? => {
            let page = RestrictedPage {
                c,
                id,
                error: false,
            };
            return Ok((StatusCode::FORBIDDEN, page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let lang = c.t.lang;
    let page = PersonPage {
        birth: p.data.birth.map(|d| d.to_string()).unwrap_or_default(),
        sex_key: format!("sex.{}", p.data.sex.as_str()),
        hometown_new: p
            .hometown_province
            .as_deref()
            .map(|code| province_label(lang, code))
            .unwrap_or_default(),
        nationality: country_name(lang, &p.data.nationality),
        country: country_name(lang, &p.data.country),
        mission: mission_name(lang, &p.data.mission),
        restricted_keys: p
            .data
            .restricted
            .iter()
            .map(|r| format!("restricted.{}", r.as_str()))
            .collect(),
        docs: p
            .data
            .documents
            .iter()
            .map(|d| (format!("doc.{}", d.kind.as_str()), d.clone()))
            .collect(),
        saved: q.saved.is_some(),
        c,
        p,
    };
    Ok(page.into_response())
}

#[derive(Debug, Deserialize)]
pub struct BreakGlassForm {
    #[serde(default)]
    reason: String,
}

/// `POST /persons/{id}/break-glass`
pub async fn break_glass_submit(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Form(f): Form<BreakGlassForm>,
) -> Result<Response, AppError> {
    let h = authed.persons(&state, &rid, "break-glass");
    match h.break_glass(&id, &f.reason).await {
        Ok(()) => Ok(Redirect::to(&format!("/persons/{id}")).into_response()),
        Err(StoreError::Validation(_)) => {
            let page = RestrictedPage { c, id, error: true };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /persons/{id}/export`: the record as a JSON file.
pub async fn export_page(
    state: State<AppState>,
    authed: Extension<Authed>,
    rid: Extension<RequestId>,
    headers: HeaderMap,
    id: Path<String>,
    q: Query<PurposeParam>,
) -> Result<Response, AppError> {
    api_export(state, authed, rid, headers, id, q).await
}

// --- the form ------------------------------------------------------------------------------

/// A form turned into input: the input, where each domain field path sits in the form, and
/// the problems found before the domain's own checks (an unreadable date).
type FormInput = (
    PersonInput,
    Vec<(String, String)>,
    Vec<(String, &'static str)>,
);

/// The person form as posted (flat, so it works without JavaScript).
#[derive(Debug, Deserialize, Default, Clone)]
pub struct PersonForm {
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub other_names: String,
    #[serde(default)]
    pub birth: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub hometown: String,
    #[serde(default)]
    pub nationality: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub mission: String,
    #[serde(default)]
    pub restricted_trafficking: Option<String>,
    #[serde(default)]
    pub restricted_minor: Option<String>,
    #[serde(default)]
    pub restricted_gender_based_violence: Option<String>,
    #[serde(default)]
    pub passport: String,
    #[serde(default)]
    pub passport_country: String,
    #[serde(default)]
    pub passport_issued_by: String,
    #[serde(default)]
    pub passport_issued_on: String,
    #[serde(default)]
    pub passport_expires_on: String,
    #[serde(default)]
    pub citizen_id: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub kin_name: String,
    #[serde(default)]
    pub kin_relation: String,
    #[serde(default)]
    pub kin_phone: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub version: Option<i64>,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

impl PersonForm {
    fn from_record(r: &PersonRecord) -> Self {
        let d = &r.data;
        let passport = d
            .documents
            .iter()
            .find(|x| x.kind == DocumentKind::Passport);
        let cid = d
            .documents
            .iter()
            .find(|x| x.kind == DocumentKind::CitizenId);
        let contact = |k: &str| {
            d.contacts
                .iter()
                .find(|c| c.kind == k)
                .map(|c| c.value.clone())
                .unwrap_or_default()
        };
        let kin = d.next_of_kin.first();
        let has = |x: Restricted| d.restricted.contains(&x).then(|| "on".to_owned());
        PersonForm {
            full_name: d.full_name.clone(),
            other_names: d.other_names.clone(),
            birth: d.birth.map(|b| b.to_string()).unwrap_or_default(),
            sex: d.sex.as_str().to_owned(),
            hometown: d.hometown.clone(),
            nationality: d.nationality.clone(),
            country: d.country.clone(),
            mission: d.mission.clone(),
            restricted_trafficking: has(Restricted::Trafficking),
            restricted_minor: has(Restricted::Minor),
            restricted_gender_based_violence: has(Restricted::GenderBasedViolence),
            passport: passport.map(|p| p.number.clone()).unwrap_or_default(),
            passport_country: passport
                .map(|p| p.issuing_country.clone())
                .unwrap_or_default(),
            passport_issued_by: passport.map(|p| p.issued_by.clone()).unwrap_or_default(),
            passport_issued_on: passport
                .and_then(|p| p.issued_on.clone())
                .unwrap_or_default(),
            passport_expires_on: passport
                .and_then(|p| p.expires_on.clone())
                .unwrap_or_default(),
            citizen_id: cid.map(|p| p.number.clone()).unwrap_or_default(),
            phone: contact("phone"),
            email: contact("email"),
            address: contact("address"),
            kin_name: kin.map(|k| k.name.clone()).unwrap_or_default(),
            kin_relation: kin.map(|k| k.relation.clone()).unwrap_or_default(),
            kin_phone: kin.map(|k| k.phone.clone()).unwrap_or_default(),
            notes: d.notes.clone(),
            version: Some(r.version),
        }
    }

    /// The input, and a map from the domain's field paths to this form's field names. Other
    /// documents and contacts of the record (entered through the API) are kept.
    fn to_input(&self, keep: Option<&PersonInput>) -> FormInput {
        let mut names = Vec::new();
        let mut early = Vec::new();
        let birth = match opt(&self.birth) {
            Some(b) => match PartialDate::parse(&b) {
                Ok(d) => Some(d),
                Err(_) => {
                    early.push(("birth".to_owned(), "person.error.date"));
                    None
                }
            },
            None => None,
        };
        let mut documents = Vec::new();
        if let Some(n) = opt(&self.passport) {
            names.push((
                format!("documents[{}]", documents.len()),
                "passport".to_owned(),
            ));
            documents.push(Document {
                kind: DocumentKind::Passport,
                number: n,
                issuing_country: opt(&self.passport_country).unwrap_or_else(|| "VN".into()),
                issued_by: self.passport_issued_by.clone(),
                issued_on: opt(&self.passport_issued_on),
                expires_on: opt(&self.passport_expires_on),
            });
        }
        if let Some(n) = opt(&self.citizen_id) {
            names.push((
                format!("documents[{}]", documents.len()),
                "citizen_id".to_owned(),
            ));
            documents.push(Document {
                kind: DocumentKind::CitizenId,
                number: n,
                issuing_country: "VN".into(),
                issued_by: String::new(),
                issued_on: None,
                expires_on: None,
            });
        }
        let mut contacts = Vec::new();
        for (kind, v) in [
            ("phone", &self.phone),
            ("email", &self.email),
            ("address", &self.address),
        ] {
            if let Some(v) = opt(v) {
                names.push((format!("contacts[{}]", contacts.len()), kind.to_owned()));
                contacts.push(Contact {
                    kind: kind.into(),
                    value: v,
                });
            }
        }
        let mut next_of_kin = Vec::new();
        if opt(&self.kin_name).is_some() || opt(&self.kin_phone).is_some() {
            names.push(("next_of_kin[0]".into(), "kin_name".into()));
            next_of_kin.push(NextOfKin {
                name: self.kin_name.clone(),
                relation: self.kin_relation.clone(),
                phone: self.kin_phone.clone(),
                address: String::new(),
            });
        }
        if let Some(old) = keep {
            documents.extend(
                old.documents
                    .iter()
                    .filter(|d| !matches!(d.kind, DocumentKind::Passport | DocumentKind::CitizenId))
                    .cloned(),
            );
            contacts.extend(
                old.contacts
                    .iter()
                    .filter(|c| !["phone", "email", "address"].contains(&c.kind.as_str()))
                    .cloned(),
            );
            next_of_kin.extend(old.next_of_kin.iter().skip(1).cloned());
        }
        let mut restricted = Vec::new();
        for (on, r) in [
            (&self.restricted_trafficking, Restricted::Trafficking),
            (&self.restricted_minor, Restricted::Minor),
            (
                &self.restricted_gender_based_violence,
                Restricted::GenderBasedViolence,
            ),
        ] {
            if on.is_some() {
                restricted.push(r);
            }
        }
        let input = PersonInput {
            full_name: self.full_name.clone(),
            other_names: self.other_names.clone(),
            birth,
            sex: Sex::parse(&self.sex).unwrap_or_default(),
            hometown: self.hometown.clone(),
            nationality: self.nationality.clone(),
            country: self.country.clone(),
            mission: self.mission.clone(),
            restricted,
            documents,
            contacts,
            next_of_kin,
            notes: self.notes.clone(),
        };
        (input, names, early)
    }
}

/// The form field a domain error belongs to (`documents[0].number` → `passport`).
fn form_field(path: &str, names: &[(String, String)]) -> String {
    for (prefix, name) in names {
        if path.starts_with(prefix.as_str()) {
            if name == "passport" && path.contains("issued_on") {
                return "passport_issued_on".into();
            }
            if name == "passport" && path.contains("expires_on") {
                return "passport_expires_on".into();
            }
            if name == "passport" && path.contains("issuing_country") {
                return "passport_country".into();
            }
            return name.clone();
        }
    }
    path.to_owned()
}

pub use crate::i18n::Opt;

#[derive(Template, WebTemplate)]
#[template(path = "person_form.html")]
pub struct PersonFormPage {
    pub c: Chrome,
    /// `None` for a new person.
    pub id: Option<String>,
    pub f: PersonForm,
    /// (form field, message key)
    pub errors: Vec<(String, String)>,
    pub countries: Vec<Opt>,
    pub missions: Vec<Opt>,
    pub provinces: Vec<String>,
    pub conflict: bool,
}

impl PersonFormPage {
    pub fn error_for(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, k)| self.c.t.s(k).to_owned())
    }
    /// The translated error of one field, or empty.
    pub fn err(&self, field: &str) -> String {
        self.error_for(field).unwrap_or_default()
    }
}

fn form_page(
    c: Chrome,
    id: Option<String>,
    f: PersonForm,
    errors: Vec<(String, String)>,
) -> PersonFormPage {
    let lang = c.t.lang;
    let countries = crate::i18n::country_options(lang);
    let missions = crate::i18n::mission_options(lang);
    let mut provinces: Vec<String> = refdata::provinces()
        .iter()
        .map(|p| p.short_vi.clone())
        .chain(refdata::old_provinces().iter().map(|p| p.short_vi.clone()))
        .collect();
    provinces.sort();
    provinces.dedup();
    PersonFormPage {
        c,
        id,
        f,
        errors,
        countries,
        missions,
        provinces,
        conflict: false,
    }
}

/// `GET /persons/new`: a mission officer's form starts in their own mission and country.
pub async fn new_page(c: Chrome, Extension(authed): Extension<Authed>) -> PersonFormPage {
    let mut f = PersonForm {
        nationality: "VN".into(),
        ..Default::default()
    };
    if authed.account.agency.kind == baoho_domain::access::AgencyKind::Mission {
        f.mission = authed.account.agency.code.clone();
        if let Some(m) = refdata::mission(&f.mission) {
            f.country = m.country.clone();
        }
    }
    form_page(c, None, f, vec![])
}

fn invalid(c: Chrome, id: Option<String>, f: PersonForm, errs: Vec<(String, String)>) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, form_page(c, id, f, errs)).into_response()
}

/// `POST /persons`
pub async fn create_submit(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Form(f): Form<PersonForm>,
) -> Result<Response, AppError> {
    let (input, names, early) = f.to_input(None);
    if !early.is_empty() {
        let errs = early.into_iter().map(|(a, b)| (a, b.to_owned())).collect();
        return Ok(invalid(c, None, f, errs));
    }
    match authed.persons(&state, &rid, "").create(input).await {
        Ok(rec) => {
            state.dupes.add(&rec);
            Ok(Redirect::to(&format!("/persons/{}?saved=1", rec.id)).into_response())
        }
        Err(StoreError::Validation(errs)) => {
            let errs = errs
                .into_iter()
                .map(|e| (form_field(&e.field, &names), e.code.to_owned()))
                .collect();
            Ok(invalid(c, None, f, errs))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /persons/{id}/edit`
pub async fn edit_page(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<PersonFormPage, AppError> {
    let rec = authed.persons(&state, &rid, "").get_for_edit(&id).await?;
    Ok(form_page(
        c,
        Some(rec.id.clone()),
        PersonForm::from_record(&rec),
        vec![],
    ))
}

/// `POST /persons/{id}`: save an edit; a stale version shows the form again with a notice and
/// the latest saved data beside what was typed.
pub async fn edit_submit(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Form(f): Form<PersonForm>,
) -> Result<Response, AppError> {
    let h = authed.persons(&state, &rid, "");
    let current = h.get_for_edit(&id).await?;
    let (input, names, early) = f.to_input(Some(&current.data));
    if !early.is_empty() {
        let errs = early.into_iter().map(|(a, b)| (a, b.to_owned())).collect();
        return Ok(invalid(c, Some(id), f, errs));
    }
    let Some(version) = f.version else {
        return Err(AppError::BadRequest("version missing".into()));
    };
    match h.update(&id, version, input).await {
        Ok(rec) => {
            state.dupes.add(&rec);
            Ok(Redirect::to(&format!("/persons/{}?saved=1", rec.id)).into_response())
        }
        Err(StoreError::Validation(errs)) => {
            let errs = errs
                .into_iter()
                .map(|e| (form_field(&e.field, &names), e.code.to_owned()))
                .collect();
            Ok(invalid(c, Some(id), f, errs))
        }
        Err(StoreError::Conflict(_)) => {
            // Keep what the officer typed, on top of the latest version.
            let mut mine = f.clone();
            mine.version = Some(current.version);
            let mut page = form_page(c, Some(id), mine, vec![]);
            page.conflict = true;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// This capability's routes, each with who may call it (joined in [`crate::routes::table`]).
pub fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::Staff;
    use crate::routes::Route;
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::GET, "/persons", Staff, search_page),
        Route::page(Method::POST, "/persons", Staff, create_submit),
        Route::page(Method::GET, "/persons/new", Staff, new_page),
        Route::page(Method::GET, "/persons/{id}", Staff, view_page),
        Route::page(Method::POST, "/persons/{id}", Staff, edit_submit),
        Route::page(Method::GET, "/persons/{id}/edit", Staff, edit_page),
        Route::page(Method::GET, "/persons/{id}/export", Staff, export_page),
        Route::page(
            Method::POST,
            "/persons/{id}/break-glass",
            Staff,
            break_glass_submit,
        ),
        Route::api(Staff, routes!(api_search)),
        Route::api(Staff, routes!(api_create)),
        Route::api(Staff, routes!(crate::dupes::warning::api_check)),
        Route::api(Staff, routes!(api_get)),
        Route::api(Staff, routes!(api_update)),
        Route::api(Staff, routes!(api_export)),
        Route::api(Staff, routes!(api_break_glass)),
    ]
}
