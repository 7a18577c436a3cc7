//! The person form (new and edit): reading, checking and showing it again.

use crate::caller::Caller;
use crate::error::AppError;
use crate::extract::Form;
use crate::web::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baoho_domain::access::{Restricted, Role};
use baoho_domain::date::PartialDate;
use baoho_domain::person::{Contact, Document, DocumentKind, NextOfKin, PersonInput, Sex};
use baoho_domain::refdata;
use baoho_store::{PersonRecord, StoreError};
use serde::Deserialize;

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
#[template(path = "persons/person_form.html")]
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
    /// The supervisor's "lift a restriction" box, when this caller may be offered it.
    pub lift: Option<LiftBox>,
    /// Why a lift was refused (a message key), shown at the top of the page; empty if none.
    pub lift_error: String,
}

/// Lifting a restriction, as the edit page offers it to a supervisor: the categories the
/// record has (form field, message key) and the reason typed so far.
pub struct LiftBox {
    pub version: i64,
    pub categories: Vec<(String, String)>,
    pub reason: String,
}

impl LiftBox {
    /// Offered to a head of mission (the domain's supervisor role, [`may_lift_restriction`])
    /// on a restricted record not opened through break-glass; the store decides again.
    ///
    /// [`may_lift_restriction`]: baoho_domain::access::may_lift_restriction
    fn offer(caller: &Caller, rec: &PersonRecord, reason: String) -> Option<LiftBox> {
        (caller.account().role == Role::HeadOfMission
            && !rec.via_break_glass
            && !rec.data.restricted.is_empty())
        .then(|| LiftBox {
            version: rec.version,
            categories: rec
                .data
                .restricted
                .iter()
                .map(|r| {
                    (
                        format!("lift_{}", r.as_str()),
                        format!("restricted.{}", r.as_str()),
                    )
                })
                .collect(),
            reason,
        })
    }
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
        lift: None,
        lift_error: String::new(),
    }
}

/// `GET /persons/new`: a mission officer's form starts in their own mission and country.
pub async fn new_page(c: Chrome, caller: Caller) -> PersonFormPage {
    let mut f = PersonForm {
        nationality: "VN".into(),
        ..Default::default()
    };
    if caller.account().agency.kind == baoho_domain::access::AgencyKind::Mission {
        f.mission = caller.account().agency.code.clone();
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
    caller: Caller,
    c: Chrome,
    Form(f): Form<PersonForm>,
) -> Result<Response, AppError> {
    let (input, names, early) = f.to_input(None);
    if !early.is_empty() {
        let errs = early.into_iter().map(|(a, b)| (a, b.to_owned())).collect();
        return Ok(invalid(c, None, f, errs));
    }
    match caller.persons("").create(input).await {
        Ok(rec) => {
            caller.dupes().add(&rec);
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
    caller: Caller,
    c: Chrome,
    Path(id): Path<String>,
) -> Result<PersonFormPage, AppError> {
    let rec = caller.persons("").get_for_edit(&id).await?;
    let mut page = form_page(
        c,
        Some(rec.id.clone()),
        PersonForm::from_record(&rec),
        vec![],
    );
    page.lift = LiftBox::offer(&caller, &rec, String::new());
    Ok(page)
}

/// `POST /persons/{id}`: save an edit; a stale version shows the form again with a notice and
/// the latest saved data beside what was typed.
pub async fn edit_submit(
    caller: Caller,
    c: Chrome,
    Path(id): Path<String>,
    Form(f): Form<PersonForm>,
) -> Result<Response, AppError> {
    let h = caller.persons("");
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
            caller.dupes().add(&rec);
            Ok(Redirect::to(&format!("/persons/{}?saved=1", rec.id)).into_response())
        }
        Err(StoreError::Validation(errs)) => {
            let errs = errs
                .into_iter()
                .map(|e| (form_field(&e.field, &names), e.code.to_owned()))
                .collect();
            let mut page = form_page(c, Some(id), f, errs);
            page.lift = LiftBox::offer(&caller, &current, String::new());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
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

/// The supervisor's "lift a restriction" form on the edit page.
#[derive(Debug, Deserialize, Default)]
pub struct LiftForm {
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub lift_trafficking: Option<String>,
    #[serde(default)]
    pub lift_minor: Option<String>,
    #[serde(default)]
    pub lift_gender_based_violence: Option<String>,
    #[serde(default)]
    pub reason: String,
}

/// `POST /persons/{id}/lift-restriction`: a supervisor lifts restricted categories with a
/// reason. A refusal (not a supervisor, break-glass, no reason, stale version) shows the
/// edit page again with what went wrong.
pub async fn lift_submit(
    caller: Caller,
    c: Chrome,
    Path(id): Path<String>,
    Form(f): Form<LiftForm>,
) -> Result<Response, AppError> {
    let Some(version) = f.version else {
        return Err(AppError::BadRequest("version missing".into()));
    };
    let lift: Vec<Restricted> = [
        (&f.lift_trafficking, Restricted::Trafficking),
        (&f.lift_minor, Restricted::Minor),
        (
            &f.lift_gender_based_violence,
            Restricted::GenderBasedViolence,
        ),
    ]
    .into_iter()
    .filter_map(|(on, r)| on.is_some().then_some(r))
    .collect();
    let h = caller.persons("");
    let (status, key) = match h.lift_restriction(&id, version, &lift, &f.reason).await {
        Ok(rec) => {
            caller.dupes().add(&rec);
            return Ok(Redirect::to(&format!("/persons/{}?saved=1", rec.id)).into_response());
        }
        Err(StoreError::Validation(errs)) => {
            let key = match errs.first().map(|e| e.field.as_str()) {
                Some("reason") => "person.error.lift_reason",
                _ => "person.error.lift_nothing",
            };
            (StatusCode::UNPROCESSABLE_ENTITY, key)
        }
        Err(StoreError::Forbidden) => (StatusCode::FORBIDDEN, "person.error.lift_not_supervisor"),
        Err(StoreError::Conflict(_)) => (StatusCode::CONFLICT, "person.conflict"),
        Err(e) => return Err(e.into()),
    };
    let current = h.get_for_edit(&id).await?;
    let mut page = form_page(
        c,
        Some(current.id.clone()),
        PersonForm::from_record(&current),
        vec![],
    );
    page.lift = LiftBox::offer(&caller, &current, f.reason.clone());
    page.lift_error = key.to_owned();
    Ok((status, page).into_response())
}
