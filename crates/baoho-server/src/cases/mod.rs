//! Protection cases: the officer's work queue, intake with a duplicate warning, the case page
//! (timeline, checklist, workflow, assignment, closure), lists with filters, and the JSON API.
//! Every handler reaches cases only through the scoped handle issued for the caller.

use crate::caller::Caller;
use crate::error::{AppError, ProblemBody};
use crate::extract::{Form, Json, Query};
use crate::i18n::{Lang, Tr, country_name, mission_name};
use crate::web::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use baoho_domain::access::{AgencyKind, Role};
use baoho_domain::case::{CaseType, Status, case_type, case_types};
use baoho_domain::person::{Document, DocumentKind, PersonInput};
use baoho_domain::refdata;
use baoho_store::{
    CaseFilter, CaseIntake, CasePage, CaseRecord, CaseSummary, NewEvent, StoreError,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

mod attachments;
mod consular_access;
mod events;
mod export;
mod intake;
mod list;
mod overview;
mod page;
mod persons;
mod queue;
mod referrals;
mod transfers;
mod workflow;

pub use attachments::*;
pub use consular_access::*;
pub use events::*;
pub use export::*;
pub use intake::*;
pub use list::*;
pub use overview::*;
pub use page::*;
pub use persons::*;
pub use queue::*;
pub use referrals::*;
pub use transfers::*;
pub use workflow::*;

pub(crate) fn type_name(lang: Lang, code: &str) -> String {
    match case_type(code) {
        Some(t) if lang == Lang::Vi => t.name_vi.clone(),
        Some(t) => t.name_en.clone(),
        None => code.to_owned(),
    }
}

/// A referral's receiver as people name it: the ministry, the province or the partner state.
pub fn agency_label(lang: Lang, code: &str) -> String {
    let t = Tr::new(lang);
    if let Some(c) = baoho_store::cases::referrals::partner_state(code) {
        let name = if lang == Lang::Vi {
            &c.name_vi
        } else {
            &c.name_en
        };
        return format!("{name} ({})", t.s("referral.partner_state"));
    }
    match code {
        "MPS" => t.s("agency.public_security").to_owned(),
        "MND" => t.s("agency.national_defence").to_owned(),
        _ => match code.strip_prefix("P-").and_then(refdata::province) {
            Some(p) if lang == Lang::Vi => p.name_vi.clone(),
            Some(p) => p.name_en.clone(),
            None => code.to_owned(),
        },
    }
}

/// A case row as lists show it.
pub struct Row {
    pub id: String,
    pub reference: String,
    pub type_name: String,
    pub priority: String,
    pub status: String,
    pub rag: String,
    pub due: String,
    pub place: String,
    pub mission_name: String,
    pub restricted: bool,
    pub escalation: String,
}

/// Where a case is, short: the country, then its mission by city (no mission: the country
/// alone).
fn place(lang: Lang, country: &str, mission: &str) -> String {
    let country = country_name(lang, country);
    let city = refdata::mission(mission)
        .map(|m| m.city.as_str())
        .filter(|c| !c.is_empty())
        .unwrap_or(mission);
    if city.is_empty() {
        country
    } else {
        format!("{country} · {city}")
    }
}

fn rows(lang: Lang, cs: &[CaseSummary]) -> Vec<Row> {
    cs.iter()
        .map(|c| Row {
            id: c.id.clone(),
            reference: c.reference.clone(),
            type_name: type_name(lang, &c.case_type),
            priority: c.priority.as_str().to_owned(),
            status: c.status.as_str().to_owned(),
            rag: c.rag.as_str().to_owned(),
            due: c.due_at.format("%Y-%m-%d %H:%M").to_string(),
            // The mission by its city (the full name is the cell's title).
            place: place(lang, &c.country, &c.mission),
            mission_name: mission_name(lang, &c.mission),
            restricted: c.restricted,
            escalation: c.escalation.as_str().to_owned(),
        })
        .collect()
}

pub use crate::i18n::Opt;

fn back(id: &str) -> Response {
    Redirect::to(&format!("/cases/{id}")).into_response()
}

/// This capability's routes, each with who may call it (joined in [`crate::routes::table`]):
/// every sub-area's own.
pub fn routes() -> Vec<crate::routes::Route> {
    [
        queue::routes(),
        intake::routes(),
        list::routes(),
        export::routes(),
        page::routes(),
        events::routes(),
        persons::routes(),
        attachments::routes(),
        transfers::routes(),
        consular_access::routes(),
        referrals::routes(),
        workflow::routes(),
        overview::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_place_is_its_country_and_its_missions_city() {
        use crate::i18n::Lang;
        assert_eq!(super::place(Lang::En, "JP", "CG-JP-OSAKA"), "Japan · Osaka");
        assert_eq!(
            super::place(Lang::Vi, "JP", "EMB-JP-TOKYO"),
            "Nhật Bản · Tokyo"
        );
        assert_eq!(super::place(Lang::En, "TW", ""), "Taiwan");
    }

    #[test]
    fn file_sizes_read_as_people_say_them() {
        assert_eq!(super::file_size(0), "0 B");
        assert_eq!(super::file_size(212), "212 B");
        assert_eq!(super::file_size(1024), "1 KiB");
        assert_eq!(super::file_size(1536), "2 KiB");
        assert_eq!(super::file_size(1024 * 1024 - 1), "1.0 MiB");
        assert_eq!(super::file_size(8 * 1024 * 1024), "8.0 MiB");
    }
}
