//! The missions page (public): every mission, its host country and its consular jurisdiction.

use super::{MissionQuery, find_missions};
use crate::app::ReferenceData;
use crate::error::AppError;
use crate::extract::Query;
use crate::web::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use baoho_domain::text::fold;

/// A row of the missions page.
pub struct MissionRow {
    pub code: String,
    pub kind_key: String,
    pub name: String,
    pub city: String,
    pub country: String,
    pub area: String,
    pub jurisdiction: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reference/missions.html")]
pub struct MissionsPage {
    pub c: Chrome,
    pub q: String,
    pub rows: Vec<MissionRow>,
}

/// The missions page: every mission, its host country and its consular jurisdiction.
pub async fn missions_page(
    s: ReferenceData,
    c: Chrome,
    Query(q): Query<MissionQuery>,
) -> Result<MissionsPage, AppError> {
    let vi = c.t.lang == crate::i18n::Lang::Vi;
    let countries = s.countries().await?;
    let cname = |a2: &str| {
        countries
            .iter()
            .find(|c| c.alpha2 == a2)
            .map(|c| {
                if vi {
                    c.name_vi.clone()
                } else {
                    c.name_en.clone()
                }
            })
            .unwrap_or_else(|| a2.to_owned())
    };
    let mut rows: Vec<MissionRow> = find_missions(&s, &q)
        .await?
        .into_iter()
        .map(|m| {
            let mut juris: Vec<String> = m.jurisdiction.iter().map(|j| cname(j)).collect();
            juris.sort();
            MissionRow {
                kind_key: format!("missions.kind.{}", m.kind),
                name: if vi {
                    m.name_vi.clone()
                } else {
                    m.name_en.clone()
                },
                city: m.city.clone(),
                country: cname(&m.country),
                area: m.area.clone(),
                jurisdiction: juris.join(", "),
                code: m.code,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        fold(&a.country)
            .cmp(&fold(&b.country))
            .then(a.kind_key.cmp(&b.kind_key))
    });
    Ok(MissionsPage {
        c,
        q: q.q.unwrap_or_default(),
        rows,
    })
}
