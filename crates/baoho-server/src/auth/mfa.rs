//! The second factor: TOTP (RFC 6238), recovery codes, the enrolment QR code.

use super::token_hash;
use crate::error::AppError;

pub const TOTP_ISSUER: &str = "Baoho";

/// A TOTP (RFC 6238: SHA-1, 6 digits, 30 s, one step of skew) for `secret`.
pub fn totp(secret: &[u8], username: &str) -> Result<totp_rs::Totp, AppError> {
    totp_rs::Builder::new()
        .with_secret(secret.to_vec())
        .with_skew(1)
        .with_account_name(username.to_owned())
        .with_issuer(Some(TOTP_ISSUER))
        .build()
        .map_err(|e| AppError::Internal(format!("totp: {e}")))
}

/// A new TOTP secret: 20 random bytes.
pub fn new_totp_secret() -> Result<Vec<u8>, AppError> {
    let b = baoho_store::crypto::random_bytes()
        .map_err(|e| AppError::Internal(format!("random: {e}")))?;
    Ok(b[..20].to_vec())
}

/// Ten recovery codes (`xxxx-xxxx-xxxx`, 60 bits each), shown once; stored hashed.
pub fn new_recovery_codes() -> Result<Vec<String>, AppError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut out = Vec::new();
    for _ in 0..10 {
        let b = baoho_store::crypto::random_bytes()
            .map_err(|e| AppError::Internal(format!("random: {e}")))?;
        let s: String = b
            .iter()
            .take(12)
            .map(|x| ALPHABET[usize::from(*x) % ALPHABET.len()] as char)
            .collect();
        out.push(format!("{}-{}-{}", &s[0..4], &s[4..8], &s[8..12]));
    }
    Ok(out)
}

/// Recovery codes are compared without case, spaces or dashes.
pub fn recovery_hash(code: &str) -> String {
    let c: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    token_hash(&format!("recovery:{c}"))
}

/// An SVG QR code of the otpauth URL, for enrolment.
pub fn qr_svg(url: &str) -> Result<String, AppError> {
    let code =
        qrcode::QrCode::new(url.as_bytes()).map_err(|e| AppError::Internal(format!("qr: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}
