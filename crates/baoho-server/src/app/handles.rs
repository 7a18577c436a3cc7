//! The privileged handles, issued here (where the store is) and only after their check:
//! account administration to an administrator, the audit trail to an auditor or an
//! administrator, the public reference data read-only to anyone. A handle carries who asked,
//! so the audit rows it writes are its own, not the handler's.

use super::AppState;
use super::caller::Caller;
use crate::error::AppError;
use baoho_domain::access::Role;
use baoho_store::accounts::{AccountRequest, needs_four_eyes};
use baoho_store::audit::{AuditAction, AuditEntry, AuditFilter, AuditOutcome, AuditRecord};
use baoho_store::{
    Account, Accounts, Country, Language, Mission, NewAccount, Province, StoreError,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

impl Caller {
    /// Account administration, for an administrator only (Forbidden otherwise, whatever rule
    /// the route was given).
    pub fn account_admin(&self) -> Result<AccountAdmin, AppError> {
        if self.account().role != Role::Administrator {
            return Err(AppError::Forbidden(
                "account administration is for administrators".into(),
            ));
        }
        Ok(AccountAdmin {
            accounts: Accounts::new(self.state().store.as_ref()),
            caller: self.clone(),
        })
    }

    /// The audit trail, for an auditor or an administrator only.
    pub fn audit_trail(&self) -> Result<AuditTrail, AppError> {
        if !matches!(self.account().role, Role::Auditor | Role::Administrator) {
            return Err(AppError::Forbidden(
                "the audit trail is for auditors and administrators".into(),
            ));
        }
        Ok(AuditTrail {
            state: self.state().clone(),
        })
    }
}

/// Account administration (see [`Caller::account_admin`]); every change is audited as the
/// administrator's.
pub struct AccountAdmin {
    accounts: Accounts,
    caller: Caller,
}

impl AccountAdmin {
    /// The audit row of an administrative change.
    fn entry(&self, what: &str) -> AuditEntry {
        let a = self.caller.account();
        AuditEntry::new(
            self.caller.now(),
            &a.id,
            AuditAction::Admin,
            AuditOutcome::Allowed,
        )
        .role(a.role.as_str())
        .agency(&a.agency.code)
        .purpose(what)
        .request(self.caller.request_id())
    }

    pub async fn list(&self) -> Result<Vec<Account>, AppError> {
        Ok(self.accounts.list().await?)
    }

    pub async fn by_username(&self, username: &str) -> Result<Option<Account>, AppError> {
        Ok(self.accounts.by_username(username).await?)
    }

    /// Create an account: at once for a role that reads no file; for one that does (or an
    /// administrator), a request a second administrator decides (four eyes, ADR 0017).
    pub async fn create(&self, a: &NewAccount) -> Result<AdminChange, StoreError> {
        if needs_four_eyes(a.role) {
            let what = format!(
                "account asked for: {} {}",
                a.role.as_str(),
                a.username.trim()
            );
            let req = self.accounts.request_create(a, self.entry(&what)).await?;
            return Ok(AdminChange::Requested(Box::new(req)));
        }
        self.accounts
            .create(a, self.entry("account created"))
            .await?;
        Ok(AdminChange::Done)
    }

    /// The requests waiting for a second administrator, then the latest decided ones.
    pub async fn requests(&self) -> Result<Vec<AccountRequest>, AppError> {
        Ok(self.accounts.requests(50).await?)
    }

    /// Approve or refuse another administrator's request (never one's own: Forbidden, and a
    /// `denied` row).
    pub async fn decide(&self, id: &str, approve: bool) -> Result<AccountRequest, AppError> {
        let what = if approve {
            "account request approved"
        } else {
            "account request refused"
        };
        match self
            .accounts
            .decide_request(id, approve, self.entry(what))
            .await
        {
            Err(StoreError::Forbidden) => Err(AppError::Forbidden(
                "a second administrator decides a request, not the one who made it".into(),
            )),
            other => Ok(other?),
        }
    }

    pub async fn set_disabled(&self, id: &str, disabled: bool) -> Result<(), AppError> {
        let what = if disabled {
            "account disabled"
        } else {
            "account enabled"
        };
        let audit = self.entry(what).object("account", id);
        Ok(self.accounts.set_disabled(id, disabled, audit).await?)
    }

    /// A new password; the second factor is cleared and every session ended: at once for an
    /// account that reads no file, after a second administrator's approval otherwise.
    pub async fn reset_password(&self, id: &str, hash: &str) -> Result<AdminChange, AppError> {
        let target = self.accounts.get(id).await?;
        if needs_four_eyes(target.role) {
            let audit = self.entry("password and MFA reset asked for");
            let req = self.accounts.request_reset(id, hash, audit).await?;
            return Ok(AdminChange::Requested(Box::new(req)));
        }
        let audit = self.entry("password and MFA reset").object("account", id);
        self.accounts.set_password(id, hash, true, audit).await?;
        Ok(AdminChange::Done)
    }
}

/// What an administrator's change did.
#[derive(Debug)]
pub enum AdminChange {
    /// Done.
    Done,
    /// Waiting for a second administrator.
    Requested(Box<AccountRequest>),
}

/// The audit trail, read-only (see [`Caller::audit_trail`]).
pub struct AuditTrail {
    state: AppState,
}

impl AuditTrail {
    pub async fn query(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, AppError> {
        Ok(self.state.store.audit_query(filter).await?)
    }

    /// Every object one account touched in a period, persons seen in lists included.
    pub async fn touched(
        &self,
        q: &baoho_store::audit::TouchedQuery,
    ) -> Result<Vec<baoho_store::audit::TouchedObject>, AppError> {
        Ok(self.state.store.audit_touched(q).await?)
    }

    /// An account's id from its username (the trail names accounts by id).
    pub async fn account_id(&self, username: &str) -> Result<Option<String>, AppError> {
        Ok(Accounts::new(self.state.store.as_ref())
            .by_username(username)
            .await?
            .map(|a| a.id))
    }

    /// Every account's username, by id (to name the actors of the rows).
    pub async fn usernames(&self) -> Result<HashMap<String, String>, AppError> {
        Ok(Accounts::new(self.state.store.as_ref())
            .list()
            .await?
            .into_iter()
            .map(|a| (a.id, a.username))
            .collect())
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.state.now()
    }
}

/// Public reference data, read-only: countries, missions, provinces, languages. An extractor:
/// any route may ask for it, signed in or not.
#[derive(Clone)]
pub struct ReferenceData {
    state: AppState,
}

impl axum::extract::FromRequestParts<AppState> for ReferenceData {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ReferenceData {
            state: state.clone(),
        })
    }
}

impl ReferenceData {
    pub async fn countries(&self) -> Result<Vec<Country>, AppError> {
        Ok(self.state.store.countries().await?)
    }

    pub async fn missions(&self) -> Result<Vec<Mission>, AppError> {
        Ok(self.state.store.missions().await?)
    }

    pub async fn mission(&self, code: &str) -> Result<Mission, AppError> {
        Ok(self.state.store.mission(code).await?)
    }

    pub async fn provinces(&self) -> Result<Vec<Province>, AppError> {
        Ok(self.state.store.provinces().await?)
    }

    pub async fn languages(&self) -> Result<Vec<Language>, AppError> {
        Ok(self.state.store.languages().await?)
    }

    /// Which database backend answers (shown on the home page).
    pub fn backend(&self) -> String {
        self.state.store.backend().to_string()
    }
}
