//! Reference data: countries, missions and their consular jurisdiction, provinces (old and
//! new), languages. Public facts, readable without an account; edited by administrators.

use crate::app::ReferenceData;
use crate::error::{AppError, ProblemBody};
use crate::extract::{Json, Query};
use axum::extract::Path;
use baoho_domain::text::fold;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub mod pages;

pub use pages::{MissionRow, MissionsPage, missions_page};

#[derive(Debug, Serialize, ToSchema)]
pub struct CountryOut {
    /// ISO 3166-1 alpha-2.
    pub alpha2: String,
    pub alpha3: String,
    pub numeric: String,
    pub name_en: String,
    pub name_vi: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MissionOut {
    pub code: String,
    /// `embassy`, `consulate_general`, `consulate`, `permanent_mission`, `representative_office`.
    pub kind: String,
    pub name_vi: String,
    pub name_en: String,
    pub city: String,
    /// Host country, ISO alpha-2.
    pub country: String,
    /// Part of the host country covered by a consulate (free text).
    pub area: String,
    pub active: bool,
    /// Countries in its consular jurisdiction (alpha-2).
    pub jurisdiction: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProvinceOut {
    pub code: String,
    /// `2025` (the 34 units since 1 July 2025) or `pre2025` (the 63 before).
    pub era: String,
    pub name_vi: String,
    pub name_en: String,
    /// `province` or `city`.
    pub kind: String,
    /// For a pre-2025 province: the code of the post-2025 province it merged into.
    pub merged_into: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LanguageOut {
    /// ISO 639-1.
    pub code: String,
    pub name_en: String,
    pub name_vi: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words to look for, diacritics and case ignored (`ha noi` finds `Hà Nội`).
    pub q: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MissionQuery {
    /// Words to look for in the name, city or country (diacritics and case ignored).
    pub q: Option<String>,
    /// Only missions whose consular jurisdiction covers this country (ISO alpha-2).
    #[param(pattern = "^[A-Za-z]{2}$")]
    pub country: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProvinceQuery {
    /// Words to look for, diacritics and case ignored.
    pub q: Option<String>,
    /// `2025` or `pre2025`; both when absent.
    #[param(pattern = "^(2025|pre2025)$")]
    pub era: Option<String>,
}

/// True when every folded word of the query occurs in the folded haystack.
fn matches_words(query: &str, haystack: &[&str]) -> bool {
    let hay = fold(&haystack.join(" "));
    let hay_nospace = hay.replace(' ', "");
    baoho_domain::text::fold_tokens(query)
        .iter()
        .all(|w| hay.contains(w.as_str()) || hay_nospace.contains(w.as_str()))
}

fn check_len(q: &Option<String>) -> Result<(), AppError> {
    match q {
        Some(q) if q.chars().count() > 200 => Err(AppError::Unprocessable {
            detail: "q is longer than 200 characters".into(),
            errors: vec![crate::error::FieldError {
                field: "q".into(),
                message: "at most 200 characters".into(),
            }],
        }),
        _ => Ok(()),
    }
}

/// List countries.
#[utoipa::path(get, path = "/api/v1/countries", tag = "reference", params(SearchQuery),
    responses((status = 200, body = [CountryOut]), (status = 422, body = ProblemBody, content_type = "application/problem+json")))]
pub async fn list_countries(
    s: ReferenceData,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<CountryOut>>, AppError> {
    check_len(&q.q)?;
    let rows = s.countries().await?;
    Ok(Json(
        rows.into_iter()
            .filter(|c| {
                q.q.as_deref().is_none_or(|w| {
                    matches_words(w, &[&c.name_en, &c.name_vi, &c.alpha2, &c.alpha3])
                })
            })
            .map(|c| CountryOut {
                alpha2: c.alpha2,
                alpha3: c.alpha3,
                numeric: c.numeric,
                name_en: c.name_en,
                name_vi: c.name_vi,
            })
            .collect(),
    ))
}

fn mission_out(m: baoho_store::Mission) -> MissionOut {
    MissionOut {
        code: m.code,
        kind: m.kind,
        name_vi: m.name_vi,
        name_en: m.name_en,
        city: m.city,
        country: m.country,
        area: m.area,
        active: m.active,
        jurisdiction: m.jurisdiction,
    }
}

async fn find_missions(
    s: &ReferenceData,
    q: &MissionQuery,
) -> Result<Vec<baoho_store::Mission>, AppError> {
    check_len(&q.q)?;
    if let Some(c) = &q.country
        && (c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        return Err(AppError::Unprocessable {
            detail: "country must be an ISO 3166-1 alpha-2 code".into(),
            errors: vec![crate::error::FieldError {
                field: "country".into(),
                message: "two letters, e.g. JP".into(),
            }],
        });
    }
    let countries = s.countries().await?;
    let name_of = |a2: &str| {
        countries
            .iter()
            .find(|c| c.alpha2 == a2)
            .map(|c| (c.name_en.clone(), c.name_vi.clone()))
            .unwrap_or_default()
    };
    let want_country = q.country.as_deref().map(str::to_ascii_uppercase);
    Ok(s.missions()
        .await?
        .into_iter()
        .filter(|m| {
            want_country
                .as_deref()
                .is_none_or(|c| m.jurisdiction.iter().any(|j| j == c) || m.country == c)
        })
        .filter(|m| {
            q.q.as_deref().is_none_or(|w| {
                let (en, vi) = name_of(&m.country);
                matches_words(
                    w,
                    &[&m.name_vi, &m.name_en, &m.city, &m.code, &en, &vi, &m.area],
                )
            })
        })
        .collect())
}

/// List missions abroad, optionally those whose jurisdiction covers one country.
#[utoipa::path(get, path = "/api/v1/missions", tag = "reference", params(MissionQuery),
    responses((status = 200, body = [MissionOut]), (status = 422, body = ProblemBody, content_type = "application/problem+json")))]
pub async fn list_missions(
    s: ReferenceData,
    Query(q): Query<MissionQuery>,
) -> Result<Json<Vec<MissionOut>>, AppError> {
    Ok(Json(
        find_missions(&s, &q)
            .await?
            .into_iter()
            .map(mission_out)
            .collect(),
    ))
}

/// One mission.
#[utoipa::path(get, path = "/api/v1/missions/{code}", tag = "reference", params(("code" = String, Path, description = "Mission code, e.g. EMB-JP-TOKYO")),
    responses((status = 200, body = MissionOut), (status = 404, body = ProblemBody, content_type = "application/problem+json")))]
pub async fn get_mission(
    s: ReferenceData,
    Path(code): Path<String>,
) -> Result<Json<MissionOut>, AppError> {
    if code.len() > 64 {
        return Err(AppError::NotFound);
    }
    Ok(Json(mission_out(s.mission(&code).await?)))
}

/// List provinces: the 34 since 1 July 2025 and the 63 before, with the merger mapping.
#[utoipa::path(get, path = "/api/v1/provinces", tag = "reference", params(ProvinceQuery),
    responses((status = 200, body = [ProvinceOut]), (status = 422, body = ProblemBody, content_type = "application/problem+json")))]
pub async fn list_provinces(
    s: ReferenceData,
    Query(q): Query<ProvinceQuery>,
) -> Result<Json<Vec<ProvinceOut>>, AppError> {
    check_len(&q.q)?;
    if let Some(e) = q.era.as_deref()
        && e != "2025"
        && e != "pre2025"
    {
        return Err(AppError::Unprocessable {
            detail: "era must be 2025 or pre2025".into(),
            errors: vec![crate::error::FieldError {
                field: "era".into(),
                message: "2025 or pre2025".into(),
            }],
        });
    }
    let rows = s.provinces().await?;
    Ok(Json(
        rows.into_iter()
            .filter(|p| q.era.as_deref().is_none_or(|e| p.era == e))
            .filter(|p| {
                q.q.as_deref()
                    .is_none_or(|w| matches_words(w, &[&p.name_vi, &p.name_en]))
            })
            .map(|p| ProvinceOut {
                code: p.code,
                era: p.era,
                name_vi: p.name_vi,
                name_en: p.name_en,
                kind: p.kind,
                merged_into: p.merged_into,
            })
            .collect(),
    ))
}

/// List languages.
#[utoipa::path(get, path = "/api/v1/languages", tag = "reference",
    responses((status = 200, body = [LanguageOut])))]
pub async fn list_languages(s: ReferenceData) -> Result<Json<Vec<LanguageOut>>, AppError> {
    Ok(Json(
        s.languages()
            .await?
            .into_iter()
            .map(|l| LanguageOut {
                code: l.code,
                name_en: l.name_en,
                name_vi: l.name_vi,
            })
            .collect(),
    ))
}

/// This capability's routes, each with who may call it (joined in [`crate::routes::table`]).
pub fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::Public;
    use crate::routes::Route;
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::GET, "/missions", Public, pages::missions_page),
        Route::api(Public, routes!(list_countries)),
        Route::api(Public, routes!(list_missions)),
        Route::api(Public, routes!(get_mission)),
        Route::api(Public, routes!(list_provinces)),
        Route::api(Public, routes!(list_languages)),
    ]
}
