//! Who is asking: passwords (argon2id), TOTP second factor with recovery codes, server-side
//! sessions, CSRF, login throttling, and the guard every route passes through.
//!
//! The guard is built from the route table (`routes.rs`): a route's declared [`Access`] is
//! what is enforced, so a route cannot exist without a rule. Handlers get the caller as an
//! [`Authed`] request extension, built here from the session, never from request input.

mod client_ip;
mod csrf;
mod guard;
mod mfa;
mod password;
mod session;
mod throttle;

pub use client_ip::{ClientIp, client_address};
pub use csrf::constant_eq;
pub use guard::guard;
pub use mfa::{TOTP_ISSUER, new_recovery_codes, new_totp_secret, qr_svg, recovery_hash, totp};
pub use password::{
    check_password, dummy_hash, hash_password, hash_password_limited, new_token,
    password_acceptable, token_hash, verify_password,
};
pub use session::{
    account_audit, auth_audit, complete_mfa, cookie_name, cookie_value, current, read_cookie,
    reauthenticate, set_cookie, start_session,
};
pub use throttle::{Throttle, ThrottleKey};

use crate::app::AppState;
use crate::layers::RequestId;
use baoho_store::Identity;
use baoho_store::{AccessCtx, Account, Persons, Session};

/// The session cookie's name (`__Host-` prefixed when served over https: [`cookie_name`]).
pub const SESSION_COOKIE: &str = "baoho_session";
/// The sign-in form's double-submit cookie (same prefix rule).
pub const LOGIN_COOKIE: &str = "baoho_login";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf";

/// Consecutive failures (password or second factor) before an account is locked.
pub const LOCK_AFTER: i64 = 5;
/// How long a lock lasts.
pub const LOCK_MINUTES: i64 = 15;
/// Failed attempts from one address in one window before it gets 429.
pub const ADDRESS_LIMIT: u32 = 20;
pub const ADDRESS_WINDOW_MINUTES: i64 = 15;

/// How recent a sign-in must be for a sensitive action: a route declared
/// [`crate::routes::Route::recent`] (the guard checks it with [`signed_in_within`]).
pub const RECENT_SIGN_IN_MINUTES: i64 = 5;

/// Whether this session's sign-in (its second factor) is less than
/// [`RECENT_SIGN_IN_MINUTES`] old at `now`. The session is replaced when the second factor is
/// given, and again on re-authentication ([`reauthenticate`]), so its creation time is the
/// sign-in time.
pub fn signed_in_within(session: &Session, now: chrono::DateTime<chrono::Utc>) -> bool {
    session.mfa_ok && now - session.created_at < chrono::Duration::minutes(RECENT_SIGN_IN_MINUTES)
}

/// The caller of a guarded route.
#[derive(Debug, Clone)]
pub struct Authed {
    pub account: Account,
    pub identity: Identity,
    pub session: Session,
}

impl Authed {
    /// The audit/access context for this request.
    pub fn ctx(&self, state: &AppState, request_id: &RequestId, purpose: &str) -> AccessCtx {
        AccessCtx {
            who: self.identity.clone(),
            request_id: request_id.0.clone(),
            purpose: purpose
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect(),
            at: state.now(),
        }
    }

    /// The person registry as this caller may see it.
    pub fn persons(&self, state: &AppState, request_id: &RequestId, purpose: &str) -> Persons {
        state.persons_for(self.ctx(state, request_id, purpose))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};
    use std::net::IpAddr;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("a long enough passphrase").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("a long enough passphrase", &h));
        assert!(!verify_password("a long enough passphrasf", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(!password_acceptable("short"));
        assert!(password_acceptable("twelve chars"));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_eq!(token_hash(&a).len(), 64);
        assert!(constant_eq(b"abc", b"abc"));
        assert!(!constant_eq(b"abc", b"abd"));
        assert!(!constant_eq(b"abc", b"ab"));
    }

    #[test]
    fn recovery_codes_compare_loosely_and_are_distinct() {
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), 10);
        let mut d = codes.clone();
        d.dedup();
        assert_eq!(d.len(), 10);
        let c = &codes[0];
        assert_eq!(
            recovery_hash(c),
            recovery_hash(&c.to_uppercase().replace('-', " "))
        );
    }

    #[test]
    fn totp_matches_rfc_6238_and_checks_one_step_of_skew() {
        // RFC 6238 appendix B, SHA-1, secret "12345678901234567890", T = 59 s: 94287082 (8
        // digits); the 6-digit code is its last six digits.
        let t = totp(b"12345678901234567890", "x").unwrap();
        assert_eq!(t.generate(59).to_string(), "287082");
        assert_eq!(t.check("287082", 59 + 30), Some(1));
        assert_eq!(t.check("287082", 59 + 90), None);
        assert!(
            qr_svg("otpauth://totp/Baoho:x?secret=ABC")
                .unwrap()
                .contains("<svg")
        );
    }

    #[test]
    fn a_sign_in_is_recent_for_five_minutes() {
        let at = Utc::now();
        let session = |mfa_ok| Session {
            token_hash: String::new(),
            account_id: "acc-1".into(),
            csrf: String::new(),
            mfa_ok,
            created_at: at,
            last_seen_at: at,
        };
        assert!(signed_in_within(&session(true), at + Duration::minutes(4)));
        assert!(!signed_in_within(&session(true), at + Duration::minutes(5)));
        assert!(
            !signed_in_within(&session(false), at),
            "no second factor: not signed in"
        );
    }

    #[test]
    fn an_address_is_throttled_after_the_limit_then_forgiven() {
        let t = Throttle::default();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let key = ThrottleKey::Addr(ip);
        let now = Utc::now();
        for _ in 0..ADDRESS_LIMIT {
            assert!(t.take(key.clone(), now, ADDRESS_LIMIT));
        }
        assert!(!t.take(key.clone(), now, ADDRESS_LIMIT));
        // A success gives its slot back.
        t.give_back(&key, now);
        assert!(t.take(key.clone(), now, ADDRESS_LIMIT));
        assert!(
            t.take(
                ThrottleKey::Addr("192.0.2.8".parse().unwrap()),
                now,
                ADDRESS_LIMIT
            ),
            "another address is not affected"
        );
        let later = now + Duration::minutes(ADDRESS_WINDOW_MINUTES + 1);
        assert!(t.take(key, later, ADDRESS_LIMIT));
    }

    /// Check and count are one step: threads racing for slots get exactly the limit.
    #[test]
    fn throttle_slots_are_atomic() {
        let t = std::sync::Arc::new(Throttle::default());
        let now = Utc::now();
        let key = ThrottleKey::Unknown("nobody".into());
        let granted: usize = (0..8)
            .map(|_| {
                let (t, key) = (t.clone(), key.clone());
                std::thread::spawn(move || (0..50).filter(|_| t.take(key.clone(), now, 20)).count())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(granted, 20);
    }
}
