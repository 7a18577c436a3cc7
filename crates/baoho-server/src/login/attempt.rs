//! One sign-in attempt, the same for the password and the second factor: slots are taken
//! *before* anything is evaluated (the client address's in memory, the account's in one
//! database statement), so concurrent guesses cannot all pass a check made before any of them
//! was counted; then the outcome is recorded with its audit row.

use crate::app::AppState;
use crate::auth::{self, ThrottleKey};
use crate::error::AppError;
use crate::layers::RequestId;
use baoho_store::accounts::LoginSlot;
use baoho_store::audit::{AuditAction, AuditOutcome};
use baoho_store::{Account, LoginChange};
use chrono::Duration;
use std::net::IpAddr;

/// Why an attempt is not evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Too many attempts from this client address.
    Address,
    /// The account (or, for an unknown username, the name) is locked.
    Locked,
}

impl Refusal {
    /// The message key shown; the same for known and unknown usernames.
    pub(super) fn message(self) -> &'static str {
        match self {
            Refusal::Address => "login.error.throttled",
            Refusal::Locked => "login.error.locked",
        }
    }
}

/// An attempt that holds its slots and may be evaluated.
pub(super) struct Attempt<'a> {
    state: &'a AppState,
    rid: &'a RequestId,
    ip: IpAddr,
    account: Option<&'a Account>,
    /// This attempt's account slot reached the limit and set the lock.
    slot_locks: bool,
}

/// Take the address's slot, then the account's (or, for a username no account has, the
/// name's: it locks the same way, so the answers do not reveal which usernames exist).
pub(super) async fn begin<'a>(
    state: &'a AppState,
    rid: &'a RequestId,
    ip: IpAddr,
    account: Option<&'a Account>,
    username: &str,
) -> Result<Result<Attempt<'a>, Refusal>, AppError> {
    let now = state.now();
    if !state
        .throttle
        .take(ThrottleKey::Addr(ip), now, auth::ADDRESS_LIMIT)
    {
        return Ok(Err(Refusal::Address));
    }
    let slot_locks = match account {
        Some(a) => {
            let until = now + Duration::minutes(auth::LOCK_MINUTES);
            match state
                .sign_in()
                .take_login_slot(&a.id, now, auth::LOCK_AFTER, until)
                .await?
            {
                LoginSlot::Taken { locks, .. } => locks,
                LoginSlot::Locked { .. } => return Ok(Err(Refusal::Locked)),
            }
        }
        None => {
            let name = baoho_store::accounts::normalise_username(username);
            let limit = u32::try_from(auth::LOCK_AFTER).unwrap_or(u32::MAX);
            if !state.throttle.take(ThrottleKey::Unknown(name), now, limit) {
                return Ok(Err(Refusal::Locked));
            }
            false
        }
    };
    Ok(Ok(Attempt {
        state,
        rid,
        ip,
        account,
        slot_locks,
    }))
}

/// Audit a refused attempt (nothing was evaluated, nothing more is counted).
pub(super) async fn refused(
    state: &AppState,
    rid: &RequestId,
    account: Option<&Account>,
    what: &str,
) -> Result<(), AppError> {
    record(
        state,
        rid,
        account,
        LoginChange::None,
        AuditOutcome::Denied,
        what,
    )
    .await
}

/// The same work for a refused or unknown sign-in as for a real one (an argon2 verification
/// against a dummy hash), so the answer's timing does not reveal which usernames exist.
pub(super) async fn same_work(state: &AppState, password: &str) -> Result<(), AppError> {
    auth::check_password(state, password, auth::dummy_hash()).await?;
    Ok(())
}

async fn record(
    state: &AppState,
    rid: &RequestId,
    account: Option<&Account>,
    change: LoginChange,
    outcome: AuditOutcome,
    what: &str,
) -> Result<(), AppError> {
    let entry = match account {
        Some(a) => auth::account_audit(state, a, AuditAction::Login, outcome, &rid.0, what),
        None => auth::auth_audit(state, "unknown", AuditAction::Login, outcome, &rid.0, what),
    };
    state
        .sign_in()
        .record_login(account.map(|a| a.id.as_str()), change, entry)
        .await?;
    Ok(())
}

impl Attempt<'_> {
    /// The attempt was evaluated and failed: its slots stay counted.
    pub(super) async fn failed(self, what: &str) -> Result<(), AppError> {
        record(
            self.state,
            self.rid,
            self.account,
            LoginChange::None,
            AuditOutcome::Failed,
            what,
        )
        .await
    }

    /// The password was right (the second factor is still to come): the slots are given
    /// back.
    pub(super) async fn password_passed(self) -> Result<(), AppError> {
        let change = LoginChange::Passed {
            slot_locked: self.slot_locks,
        };
        self.passed(change, "password accepted").await
    }

    /// The second factor was right: signed in, the account's failures are forgotten.
    pub(super) async fn signed_in(self) -> Result<(), AppError> {
        self.passed(LoginChange::Success, "second factor accepted")
            .await
    }

    /// Both factors given again on a signed-in session: the sign-in is recent again.
    pub(super) async fn reauthenticated(self) -> Result<(), AppError> {
        self.passed(
            LoginChange::Success,
            "re-authenticated (password and second factor)",
        )
        .await
    }

    async fn passed(self, change: LoginChange, what: &str) -> Result<(), AppError> {
        self.state
            .throttle
            .give_back(&ThrottleKey::Addr(self.ip), self.state.now());
        record(
            self.state,
            self.rid,
            self.account,
            change,
            AuditOutcome::Allowed,
            what,
        )
        .await
    }
}
