//! The one way a handler reaches data: [`Caller`], extracted from the request the guard let
//! through. It holds who is asking (built by the session layer, never from request input)
//! and the request's id, and it issues the store's scoped handles for that identity; each
//! handle decides, audits and commits per operation. A handler never holds the raw store.

use crate::app::AppState;
use crate::auth::Authed;
use crate::error::AppError;
use crate::layers::RequestId;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use baoho_store::Identity;
use baoho_store::{AccessCtx, Account, Cases, Persons, Session};
use chrono::{DateTime, Utc};

/// The signed-in caller of a guarded route (any route whose access is not `Public`).
#[derive(Clone)]
pub struct Caller {
    state: AppState,
    authed: Authed,
    request_id: RequestId,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        // The guard inserts the caller on every non-public route; a public route that asks
        // for a Caller is answered as unauthenticated rather than served to nobody.
        let authed = parts
            .extensions
            .get::<Authed>()
            .cloned()
            .ok_or(AppError::Unauthorized)?;
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(String::new()));
        Ok(Caller {
            state: state.clone(),
            authed,
            request_id,
        })
    }
}

/// A public page asks `Option<Caller>`: who is looking, if anyone is signed in (the guard
/// inserts the session's caller on public routes too, for the navigation).
impl axum::extract::OptionalFromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, AppError> {
        if parts.extensions.get::<Authed>().is_none() {
            return Ok(None);
        }
        <Caller as FromRequestParts<AppState>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

impl Caller {
    pub fn account(&self) -> &Account {
        &self.authed.account
    }

    pub fn identity(&self) -> &Identity {
        &self.authed.identity
    }

    pub fn session(&self) -> &Session {
        &self.authed.session
    }

    pub fn authed(&self) -> &Authed {
        &self.authed
    }

    pub fn request_id(&self) -> &str {
        &self.request_id.0
    }

    /// The server's clock (tests move it).
    pub fn now(&self) -> DateTime<Utc> {
        self.state.now()
    }

    /// The application state, for the handles issued in the app module only.
    pub(in crate::app) fn state(&self) -> &AppState {
        &self.state
    }

    /// The registry in memory for the intake duplicate warning.
    pub fn dupes(&self) -> &std::sync::Arc<crate::dupes::Dupes> {
        &self.state.dupes
    }

    /// Where attachments' sealed bytes are kept (`None` when the folder is unusable).
    pub fn objects(&self) -> Option<&std::sync::Arc<dyn object_store::ObjectStore>> {
        self.state.objects.as_ref()
    }

    /// A partner agency's inbox of referrals, as this caller may see it.
    pub fn inbox(&self) -> baoho_store::Inbox {
        baoho_store::Inbox::new(
            self.state.store.as_ref(),
            self.state.keys.clone(),
            self.ctx(""),
        )
    }

    /// The staff accounts (names, roles, agencies: no person's data), to name the people on a
    /// case's timeline and to fill the assign list.
    pub async fn staff_directory(&self) -> Result<Vec<Account>, AppError> {
        Ok(baoho_store::Accounts::new(self.state.store.as_ref())
            .list()
            .await?)
    }

    /// One staff account by id (an officer named as a case's lead).
    pub async fn staff_account(&self, id: &str) -> Result<Account, baoho_store::StoreError> {
        baoho_store::Accounts::new(self.state.store.as_ref())
            .get(id)
            .await
    }

    /// Record the caller's export (its own audit row: what was exported, by whom, why).
    pub async fn record_export(&self, entry: &baoho_store::AuditEntry) -> Result<(), AppError> {
        if entry.actor != self.account().id {
            return Err(AppError::Forbidden(
                "an export is recorded as its exporter's".into(),
            ));
        }
        self.state.store.append_audit(entry).await?;
        Ok(())
    }

    /// Who else read a case in the audit trail since `since`. Only for a case this caller has
    /// just opened through its gate (the case page).
    pub async fn recent_case_reads(
        &self,
        case_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<baoho_store::AuditRecord>, AppError> {
        Ok(self
            .state
            .store
            .audit_query(&baoho_store::AuditFilter {
                object_kind: Some("case".into()),
                object_id: Some(case_id.to_owned()),
                from: Some(since),
                limit: 200,
                ..Default::default()
            })
            .await?)
    }

    /// The caller's own notifications (newest first), each with its actor's display name.
    pub async fn notifications(
        &self,
        limit: i64,
    ) -> Result<Vec<(baoho_store::Notification, String)>, AppError> {
        let accounts = baoho_store::Accounts::new(self.state.store.as_ref());
        let mut out = Vec::new();
        for n in accounts.notifications(&self.account().id, limit).await? {
            let actor = match accounts.get(&n.actor).await {
                Ok(x) => x.display_name,
                Err(_) => n.actor.clone(),
            };
            out.push((n, actor));
        }
        Ok(out)
    }

    /// The audit/access context of this request, for `purpose` (what the officer says the
    /// access is for; control characters dropped, 200 characters at most).
    pub fn ctx(&self, purpose: &str) -> AccessCtx {
        self.authed.ctx(&self.state, &self.request_id, purpose)
    }

    /// Protection cases as this caller may see and change them.
    pub fn cases(&self, purpose: &str) -> Cases {
        Cases::new(
            self.state.store.as_ref(),
            self.state.keys.clone(),
            self.ctx(purpose),
        )
    }

    /// The person registry as this caller may see it.
    pub fn persons(&self, purpose: &str) -> Persons {
        self.authed.persons(&self.state, &self.request_id, purpose)
    }
}
