//! The registry's pages: search, a record, break-glass, export.

use super::api::{PurposeParam, api_export};
use crate::caller::Caller;
use crate::error::AppError;
use crate::extract::{Form, Query};
use crate::i18n::{Lang, country_name, mission_name};
use crate::web::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use baoho_domain::person::{Document, PersonQuery};
use baoho_domain::refdata;
use baoho_store::{PersonRecord, StoreError};
use serde::Deserialize;

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
#[template(path = "persons/persons.html")]
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
    caller: Caller,
    c: Chrome,
    Query(f): Query<SearchForm>,
) -> Result<PersonsPage, AppError> {
    let year = f.year.trim().parse::<u16>().ok();
    let searched = !f.q.trim().is_empty();
    let (hits, more) = if searched {
        let r = caller
            .persons("")
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
#[template(path = "persons/person.html")]
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
#[template(path = "persons/restricted.html")]
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
    caller: Caller,
    c: Chrome,
    Path(id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Result<Response, AppError> {
    let h = caller.persons(q.purpose.as_deref().unwrap_or(""));
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
    caller: Caller,
    c: Chrome,
    Path(id): Path<String>,
    Form(f): Form<BreakGlassForm>,
) -> Result<Response, AppError> {
    let h = caller.persons("break-glass");
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
    caller: Caller,
    headers: HeaderMap,
    id: Path<String>,
    q: Query<PurposeParam>,
) -> Result<Response, AppError> {
    api_export(caller, headers, id, q).await
}
