//! Passwords (argon2id) and random tokens, stored hashed.

use crate::error::AppError;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Hash a password with argon2id (the crate's defaults: m=19456 KiB, t=2, p=1).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// Run `work` (argon2: tens of milliseconds of CPU) off the async runtime, at most
/// `hash_concurrency` at a time: a flood of sign-ins queues here instead of stalling every
/// other request (`/readyz` included).
async fn off_runtime<T: Send + 'static>(
    state: &crate::app::AppState,
    what: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let _permit = state
        .hashing
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| AppError::Internal(format!("hashing limit: {e}")))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(format!("{what}: {e}")))
}

/// Verify a password off the async runtime, under the hashing limit.
pub async fn check_password(
    state: &crate::app::AppState,
    password: &str,
    hash: &str,
) -> Result<bool, AppError> {
    let password = zeroize::Zeroizing::new(password.to_owned());
    let hash = hash.to_owned();
    off_runtime(state, "password check", move || {
        verify_password(&password, &hash)
    })
    .await
}

/// Hash a new password off the async runtime, under the same limit as [`check_password`].
pub async fn hash_password_limited(
    state: &crate::app::AppState,
    password: &str,
) -> Result<String, AppError> {
    let password = zeroize::Zeroizing::new(password.to_owned());
    off_runtime(state, "password hashing", move || hash_password(&password)).await?
}

/// A hash that costs the same as a real verification, for unknown usernames (no timing oracle).
pub fn dummy_hash() -> &'static str {
    static H: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("not a real password").unwrap_or_default());
    &H
}

/// The rules for a new password: long enough to resist guessing; no composition rules.
pub fn password_acceptable(p: &str) -> bool {
    p.chars().count() >= 12 && p.chars().count() <= 256
}

/// A fresh random token (URL-safe base64 of 32 bytes).
pub fn new_token() -> Result<String, AppError> {
    let b = baoho_store::crypto::random_bytes()
        .map_err(|e| AppError::Internal(format!("random: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

/// How a token is stored: SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}
