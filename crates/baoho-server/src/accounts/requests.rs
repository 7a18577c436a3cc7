//! The requests that wait for a second administrator (four eyes, ADR 0017): the list, and
//! approve or refuse. The store refuses the requester's own decision (and audits the attempt);
//! the page shows them "waiting for another administrator" instead of the buttons.

use crate::caller::Caller;
use crate::error::AppError;
use crate::extract::Query;
use crate::web::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::response::Redirect;
use baoho_store::accounts::{AccountRequest, RequestStatus};
use serde::Deserialize;
use std::collections::HashMap;

/// One request as the page shows it.
pub struct RequestRow {
    pub r: AccountRequest,
    pub requested_by: String,
    pub decided_by: String,
    pub supervisor: String,
    /// The signed-in administrator made it: they may not decide it.
    pub mine: bool,
}

impl RequestRow {
    pub fn pending(&self) -> bool {
        self.r.status == RequestStatus::Pending
    }

    pub fn kind_key(&self) -> String {
        format!("requests.kind.{}", self.r.kind.as_str())
    }

    pub fn status_key(&self) -> String {
        format!("requests.status.{}", self.r.status.as_str())
    }

    pub fn when(&self) -> String {
        self.r.requested_at.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/requests.html")]
pub struct RequestsPage {
    pub c: Chrome,
    pub rows: Vec<RequestRow>,
    pub notice: Option<String>,
}

impl RequestsPage {
    pub fn pending_count(&self) -> usize {
        self.rows.iter().filter(|r| r.pending()).count()
    }
}

#[derive(Debug, Deserialize)]
pub struct RequestsQuery {
    #[serde(default)]
    requested: Option<String>,
    #[serde(default)]
    decided: Option<String>,
}

/// `GET /admin/accounts/requests`
pub async fn requests_page(
    caller: Caller,
    c: Chrome,
    Query(q): Query<RequestsQuery>,
) -> Result<RequestsPage, AppError> {
    let admin = caller.account_admin()?;
    let names: HashMap<String, String> = admin
        .list()
        .await?
        .into_iter()
        .map(|a| (a.id, a.username))
        .collect();
    let name = |id: Option<&String>| {
        id.map(|i| names.get(i).cloned().unwrap_or_else(|| i.clone()))
            .unwrap_or_default()
    };
    let me = &caller.account().id;
    let rows = admin
        .requests()
        .await?
        .into_iter()
        .map(|r| RequestRow {
            requested_by: name(Some(&r.requested_by)),
            decided_by: name(r.decided_by.as_ref()),
            supervisor: name(r.supervisor_id.as_ref()),
            mine: &r.requested_by == me,
            r,
        })
        .collect();
    let notice = match (q.requested, q.decided) {
        (Some(_), _) => Some("requests.notice.requested".to_owned()),
        (_, Some(d)) if d == "approved" => Some("requests.notice.approved".to_owned()),
        (_, Some(_)) => Some("requests.notice.refused".to_owned()),
        _ => None,
    };
    Ok(RequestsPage { c, rows, notice })
}

/// `POST /admin/accounts/requests/{id}/approve`: another administrator's request takes
/// effect.
pub async fn approve(caller: Caller, Path(id): Path<String>) -> Result<Redirect, AppError> {
    caller.account_admin()?.decide(&id, true).await?;
    Ok(Redirect::to("/admin/accounts/requests?decided=approved"))
}

/// `POST /admin/accounts/requests/{id}/refuse`: another administrator's request is dropped;
/// nothing changes.
pub async fn refuse(caller: Caller, Path(id): Path<String>) -> Result<Redirect, AppError> {
    caller.account_admin()?.decide(&id, false).await?;
    Ok(Redirect::to("/admin/accounts/requests?decided=refused"))
}
