//! Field encryption at rest for restricted fields (trafficking, minors, gender-based violence,
//! health, informants), and keyed blind indexes for exact lookups on them.
//!
//! * Cipher: XChaCha20-Poly1305 (an AEAD with a 192-bit random nonce, so random nonces never
//!   realistically collide however many values one key encrypts). See
//!   `docs/decisions/0002-audit-and-encryption.md`.
//! * Envelope, as stored in a TEXT column: `v1:<kid>:<base64url(nonce ‖ ciphertext ‖ tag)>`.
//!   The key id picks the key to decrypt with, so old and new keys coexist during a rotation.
//! * Associated data binds a value to its place: (table, column, row id), plus the envelope
//!   version and key id. A ciphertext copied to another row or column does not decrypt.
//! * Keys come from a key file (`kid=base64(32 bytes)` per line, the first line is the active
//!   key) or an environment variable holding the same lines, never from the database. The
//!   database keeps only a key-check value ([`Keyring::check_against`]) so a server started
//!   with the wrong key file refuses to start instead of writing values nobody can read.
//! * Blind index: HMAC-SHA256 of the folded value under a key derived (HKDF-SHA256) from a key
//!   of the ring and a purpose string, so indexes of different fields cannot be correlated.
//!
//! Nothing here logs or echoes plaintext or key material; errors name key ids and line numbers.

use crate::{Result, Store, StoreError};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use std::path::Path;
use zeroize::Zeroizing;

const VERSION: &str = "v1";
const NONCE_LEN: usize = 24;
const KEY_CHECK_PLAINTEXT: &[u8] = b"baoho key check v1";

/// What can go wrong with keys and envelopes. Never carries plaintext or key bytes.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("key file: {0}")]
    KeyFile(String),
    #[error("malformed encrypted value")]
    Malformed,
    #[error("encrypted value uses key id {0:?}, which is not in the key file")]
    UnknownKey(String),
    #[error("decryption failed: wrong key, value moved from another row, or tampered")]
    Decrypt,
    #[error("random number generator failed")]
    Random,
    #[error(
        "the key file does not match this database: its key check does not decrypt with any key in the file (key id {0:?})"
    )]
    WrongKey(String),
}

/// Where an encrypted value lives: its associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aad<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row_id: &'a str,
}

impl<'a> Aad<'a> {
    pub fn new(table: &'a str, column: &'a str, row_id: &'a str) -> Self {
        Self {
            table,
            column,
            row_id,
        }
    }

    fn encode(&self, kid: &str) -> Vec<u8> {
        let mut out = b"baoho-field-".to_vec();
        for part in [VERSION, kid, self.table, self.column, self.row_id] {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

struct KeyEntry {
    kid: String,
    key: Zeroizing<[u8; 32]>,
}

/// The keys this process may use: the first is active (encrypts, indexes), the others only
/// decrypt values written before a rotation.
pub struct Keyring {
    keys: Vec<KeyEntry>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("kids", &self.kids())
            .finish_non_exhaustive()
    }
}

fn valid_kid(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= 32
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Keyring {
    /// Parse key lines: `kid=base64(32 bytes)`; blank lines and `#` comments are ignored.
    pub fn parse(text: &str) -> Result<Self> {
        let mut keys: Vec<KeyEntry> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: &str| CryptoError::KeyFile(format!("line {}: {why}", n + 1));
            let (kid, b64) = line
                .split_once('=')
                .ok_or_else(|| bad("expected kid=base64key"))?;
            let kid = kid.trim();
            if !valid_kid(kid) {
                return Err(bad("key id must be 1-32 of A-Z a-z 0-9 - _").into());
            }
            if keys.iter().any(|k| k.kid == kid) {
                return Err(bad("duplicate key id").into());
            }
            let bytes = Zeroizing::new(
                STANDARD
                    .decode(b64.trim())
                    .map_err(|_| bad("key is not base64"))?,
            );
            let mut key = Zeroizing::new([0u8; 32]);
            if bytes.len() != key.len() {
                return Err(bad("key must be 32 bytes").into());
            }
            key.copy_from_slice(&bytes);
            keys.push(KeyEntry {
                kid: kid.to_owned(),
                key,
            });
        }
        if keys.is_empty() {
            return Err(CryptoError::KeyFile("no key".into()).into());
        }
        Ok(Self { keys })
    }

    /// Load a key file (see [`Keyring::parse`]).
    pub fn from_key_file(path: &Path) -> Result<Self> {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|e| CryptoError::KeyFile(format!("{}: {e}", path.display())))?,
        );
        Self::parse(&text)
            .map_err(|e| StoreError::from(CryptoError::KeyFile(format!("{}: {e}", path.display()))))
    }

    /// Keys from an environment variable's value: the key file's lines, separated by newlines
    /// or commas.
    pub fn from_env_value(value: &str) -> Result<Self> {
        let text = Zeroizing::new(value.replace(',', "\n"));
        Self::parse(&text)
    }

    /// A ring of one fresh random key (tests, `generate_key_file`).
    pub fn generate(kid: &str) -> Result<Self> {
        if !valid_kid(kid) {
            return Err(CryptoError::KeyFile("invalid key id".into()).into());
        }
        let key = Zeroizing::new(<[u8; 32]>::try_generate().map_err(|_| CryptoError::Random)?);
        Ok(Self {
            keys: vec![KeyEntry {
                kid: kid.to_owned(),
                key,
            }],
        })
    }

    /// This ring with `other`'s keys appended (as decrypt-only keys), skipping known ids.
    pub fn with_previous(mut self, other: Keyring) -> Self {
        for k in other.keys {
            if !self.keys.iter().any(|m| m.kid == k.kid) {
                self.keys.push(k);
            }
        }
        self
    }

    /// The key file text for this ring (secret: write it with [`write_key_file`]).
    pub fn to_key_file(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::new());
        for k in &self.keys {
            s.push_str(&k.kid);
            s.push('=');
            s.push_str(&STANDARD.encode(k.key.as_slice()));
            s.push('\n');
        }
        s
    }

    pub fn active_kid(&self) -> &str {
        self.keys
            .first()
            .map(|k| k.kid.as_str())
            .unwrap_or_default()
    }

    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.kid.as_str()).collect()
    }

    fn active(&self) -> Result<&KeyEntry> {
        self.keys
            .first()
            .ok_or_else(|| CryptoError::KeyFile("no key".into()).into())
    }

    fn key(&self, kid: &str) -> Result<&KeyEntry> {
        self.keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or_else(|| CryptoError::UnknownKey(kid.to_owned()).into())
    }

    /// Encrypt under the active key: `v1:<kid>:<base64url(nonce ‖ ciphertext)>`.
    pub fn encrypt(&self, aad: &Aad<'_>, plaintext: &[u8]) -> Result<String> {
        let k = self.active()?;
        let cipher = XChaCha20Poly1305::new_from_slice(k.key.as_slice())
            .map_err(|_| CryptoError::Malformed)?;
        let nonce = XNonce::try_generate().map_err(|_| CryptoError::Random)?;
        let ad = aad.encode(&k.kid);
        let ct = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &ad,
                },
            )
            .map_err(|_| CryptoError::Random)?;
        let mut body = Vec::with_capacity(NONCE_LEN + ct.len());
        body.extend_from_slice(nonce.as_slice());
        body.extend_from_slice(&ct);
        Ok(format!(
            "{VERSION}:{}:{}",
            k.kid,
            URL_SAFE_NO_PAD.encode(body)
        ))
    }

    pub fn encrypt_str(&self, aad: &Aad<'_>, plaintext: &str) -> Result<String> {
        self.encrypt(aad, plaintext.as_bytes())
    }

    /// The key id an envelope names (without decrypting it).
    pub fn envelope_kid(envelope: &str) -> Result<&str> {
        let mut parts = envelope.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(VERSION), Some(kid), Some(_)) if valid_kid(kid) => Ok(kid),
            _ => Err(CryptoError::Malformed.into()),
        }
    }

    /// Decrypt with the key the envelope names.
    pub fn decrypt(&self, aad: &Aad<'_>, envelope: &str) -> Result<Zeroizing<Vec<u8>>> {
        let kid = Self::envelope_kid(envelope)?;
        let body = envelope
            .get(VERSION.len() + kid.len() + 2..)
            .ok_or(CryptoError::Malformed)?;
        let body = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| CryptoError::Malformed)?;
        if body.len() < NONCE_LEN + 16 {
            return Err(CryptoError::Malformed.into());
        }
        let k = self.key(kid)?;
        let (nonce, ct) = body.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| CryptoError::Malformed)?;
        let cipher = XChaCha20Poly1305::new_from_slice(k.key.as_slice())
            .map_err(|_| CryptoError::Malformed)?;
        let ad = aad.encode(kid);
        let pt = cipher
            .decrypt(&nonce, Payload { msg: ct, aad: &ad })
            .map_err(|_| CryptoError::Decrypt)?;
        Ok(Zeroizing::new(pt))
    }

    pub fn decrypt_string(&self, aad: &Aad<'_>, envelope: &str) -> Result<Zeroizing<String>> {
        let bytes = self.decrypt(aad, envelope)?;
        let s = std::str::from_utf8(&bytes).map_err(|_| CryptoError::Malformed)?;
        Ok(Zeroizing::new(s.to_owned()))
    }

    /// Re-encrypt under the active key, or None if the value already uses it.
    pub fn reencrypt(&self, aad: &Aad<'_>, envelope: &str) -> Result<Option<String>> {
        if Self::envelope_kid(envelope)? == self.active_kid() {
            return Ok(None);
        }
        let pt = self.decrypt(aad, envelope)?;
        self.encrypt(aad, &pt).map(Some)
    }

    fn blind_index_with(k: &KeyEntry, purpose: &str, folded: &str) -> Result<String> {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"baoho-blind-index-v1"), k.key.as_slice());
        let mut sub = Zeroizing::new([0u8; 32]);
        hk.expand(purpose.as_bytes(), sub.as_mut_slice())
            .map_err(|_| CryptoError::Random)?;
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(sub.as_slice())
            .map_err(|_| CryptoError::Random)?;
        mac.update(folded.as_bytes());
        let tag = mac.finalize().into_bytes();
        Ok(format!("{}:{}", k.kid, URL_SAFE_NO_PAD.encode(tag)))
    }

    /// Keyed blind index of an already folded value (see `baoho_domain` folding) for exact
    /// lookups of an encrypted field: `<kid>:<base64url(HMAC-SHA256)>` under a key derived from
    /// the active key and `purpose` (e.g. `person.passport_no`). Rotation recomputes indexes.
    pub fn blind_index(&self, purpose: &str, folded_value: &str) -> Result<String> {
        Self::blind_index_with(self.active()?, purpose, folded_value)
    }

    /// The value's blind index under every key of the ring: look up with `IN (…)` while a
    /// rotation is in progress.
    pub fn blind_indexes(&self, purpose: &str, folded_value: &str) -> Result<Vec<String>> {
        self.keys
            .iter()
            .map(|k| Self::blind_index_with(k, purpose, folded_value))
            .collect()
    }

    /// Compare with the database's key-check value; establish it on a new database. Call before
    /// serving: an error means the key file does not belong to this database.
    pub async fn check_against(&self, store: &dyn Store) -> Result<KeyCheck> {
        let aad = key_check_aad();
        if store.key_check().await?.is_none() {
            let envelope = self.encrypt(&aad, KEY_CHECK_PLAINTEXT)?;
            store.init_key_check(&envelope).await?;
        }
        // Read back: another process may have established it first.
        let envelope = store.key_check().await?.ok_or(StoreError::NotFound)?;
        let kid = Self::envelope_kid(&envelope)?.to_owned();
        match self.decrypt(&aad, &envelope) {
            Ok(pt) if pt.as_slice() == KEY_CHECK_PLAINTEXT => Ok(KeyCheck {
                rotation_pending: kid != self.active_kid(),
                kid,
            }),
            Ok(_) | Err(StoreError::Crypto(CryptoError::Decrypt | CryptoError::UnknownKey(_))) => {
                Err(CryptoError::WrongKey(kid).into())
            }
            Err(e) => Err(e),
        }
    }

    /// Rotate everything in the database to the active key, in an order a crash cannot hide:
    /// every registered column ([`ENCRYPTED_COLUMNS`] plus `extra`) but the key check, then the
    /// blind indexes ([`BLIND_INDEXES`]), and the key check last ([`Keyring::finish_rotation`]),
    /// so that until everything is done the key check still names the old key and
    /// `keys check` reports the rotation pending. Returns rows rewritten per column, in the
    /// registry's order (the key check first, `extra` last), whatever order they were done in.
    ///
    /// Attachments are sealed outside the database: a caller with attachments runs
    /// [`Keyring::rotate_columns`], then re-seals them, then [`Keyring::finish_rotation`].
    pub async fn rotate(
        &self,
        store: &dyn Store,
        extra: &[EncryptedColumn],
    ) -> Result<Vec<(EncryptedColumn, u64)>> {
        let mut done = self.rotate_columns(store, extra).await?;
        let sealed = self.finish_rotation(store, extra).await?;
        done.insert(0, (KEY_CHECK_COLUMN, sealed));
        Ok(done)
    }

    /// The first step of a rotation: check the ring against the database, re-encrypt every
    /// registered column except the key check, recompute every blind index. Returns rows
    /// rewritten per column (without the key check, see [`Keyring::rotate`]).
    pub async fn rotate_columns(
        &self,
        store: &dyn Store,
        extra: &[EncryptedColumn],
    ) -> Result<Vec<(EncryptedColumn, u64)>> {
        self.check_against(store).await?;
        let mut done = Vec::new();
        for col in ENCRYPTED_COLUMNS
            .iter()
            .chain(extra)
            .filter(|c| **c != KEY_CHECK_COLUMN)
        {
            let n = store.reencrypt_column(col, self).await?;
            done.push((*col, n));
        }
        let db = crate::Db::of(store);
        for b in BLIND_INDEXES {
            rotate::reindex(&db, b, self).await?;
        }
        Ok(done)
    }

    /// The last step of a rotation: once no column and no blind index holds anything under an
    /// older key, re-encrypt the key check (so it names the active key). Refused while
    /// something is pending: the key check must not claim a rotation that has not happened.
    /// Returns the rows rewritten (1, or 0 when it already was under the active key).
    pub async fn finish_rotation(
        &self,
        store: &dyn Store,
        extra: &[EncryptedColumn],
    ) -> Result<u64> {
        let left: Vec<String> = self
            .pending(store, extra)
            .await?
            .into_iter()
            .filter(|p| p.what != "key_check.envelope")
            .map(|p| format!("{} ({} rows)", p.what, p.rows))
            .collect();
        if !left.is_empty() {
            return Err(StoreError::Invalid(format!(
                "the rotation is not finished: still under an older key: {}",
                left.join(", ")
            )));
        }
        let n = store.reencrypt_column(&KEY_CHECK_COLUMN, self).await?;
        let check = self.check_against(store).await?;
        if check.rotation_pending {
            return Err(CryptoError::WrongKey(check.kid).into());
        }
        Ok(n)
    }

    /// What is not yet under the active key: each registered column ([`ENCRYPTED_COLUMNS`]
    /// plus `extra`, the key check included) and each blind index with rows left, in the
    /// registry's order. Empty when the database is fully rotated (attachments, sealed outside
    /// the database, are not counted: the key check stays old until they are done too).
    pub async fn pending(
        &self,
        store: &dyn Store,
        extra: &[EncryptedColumn],
    ) -> Result<Vec<Pending>> {
        let db = crate::Db::of(store);
        let kid = self.active_kid();
        let mut out = Vec::new();
        for col in ENCRYPTED_COLUMNS.iter().chain(extra) {
            let rows = rotate::count_pending(&db, col, kid).await?;
            if rows > 0 {
                out.push(Pending {
                    what: format!("{}.{}", col.table, col.column),
                    rows,
                });
            }
        }
        for b in BLIND_INDEXES {
            let rows = rotate::count_pending_index(&db, b, kid).await?;
            if rows > 0 {
                out.push(Pending {
                    what: format!("{}.{} (blind index)", b.table, b.index),
                    rows,
                });
            }
        }
        Ok(out)
    }
}

/// Rows re-encrypted per transaction during a rotation.
pub(crate) const ROTATE_BATCH: i64 = 500;

/// 32 bytes from the operating system's CSPRNG (session tokens, TOTP secrets, recovery codes).
pub fn random_bytes() -> Result<[u8; 32]> {
    Ok(<[u8; 32]>::try_generate().map_err(|_| CryptoError::Random)?)
}

/// Write a key file that must not exist yet, readable by its owner only.
/// Create `path` (never overwriting) with mode 0600, write `bytes` and sync it.
pub(crate) fn write_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let io = |e: std::io::Error| CryptoError::KeyFile(format!("{}: {e}", path.display()));
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(())
}

pub fn write_key_file(path: &Path, ring: &Keyring) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let io = |e: std::io::Error| CryptoError::KeyFile(format!("{}: {e}", path.display()));
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(
        b"# Baoho field-encryption keys: kid=base64(32 bytes). The first line is the active key.\n\
          # Keep this file secret and backed up apart from the database.\n",
    )
    .map_err(io)?;
    f.write_all(ring.to_key_file().as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(())
}

/// Generate a new key and write it to `path` (which must not exist) as the active key, followed
/// by the keys of `previous` if given (for a rotation). Returns the new key id.
pub fn generate_key_file(path: &Path, previous: Option<&Keyring>) -> Result<String> {
    let suffix = u32::try_generate().map_err(|_| CryptoError::Random)?;
    let kid = format!("k{}{suffix:08x}", chrono::Utc::now().format("%Y%m%d"));
    let mut ring = Keyring::generate(&kid)?;
    if let Some(prev) = previous {
        for k in &prev.keys {
            if k.kid != kid {
                ring.keys.push(KeyEntry {
                    kid: k.kid.clone(),
                    key: k.key.clone(),
                });
            }
        }
    }
    write_key_file(path, &ring)?;
    Ok(kid)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const ROW: Aad<'static> = Aad {
        table: "person_restricted",
        column: "notes",
        row_id: "42",
    };

    fn ring(kid: &str) -> Keyring {
        Keyring::generate(kid).unwrap()
    }

    #[test]
    fn round_trip() {
        let r = ring("k1");
        let env = r.encrypt_str(&ROW, "nạn nhân mua bán người").unwrap();
        assert!(env.starts_with("v1:k1:"), "{env}");
        assert!(!env.contains("nạn"));
        assert_eq!(
            r.decrypt_string(&ROW, &env).unwrap().as_str(),
            "nạn nhân mua bán người"
        );
        // Fresh nonce every time.
        assert_ne!(env, r.encrypt_str(&ROW, "nạn nhân mua bán người").unwrap());
        assert_eq!(
            r.decrypt(&ROW, &r.encrypt(&ROW, b"").unwrap())
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn wrong_key_fails() {
        let env = ring("k1").encrypt_str(&ROW, "secret").unwrap();
        let other = ring("k1");
        assert!(matches!(
            other.decrypt(&ROW, &env),
            Err(StoreError::Crypto(CryptoError::Decrypt))
        ));
        assert!(matches!(
            ring("k2").decrypt(&ROW, &env),
            Err(StoreError::Crypto(CryptoError::UnknownKey(k))) if k == "k1"
        ));
    }

    #[test]
    fn wrong_aad_fails() {
        let r = ring("k1");
        let env = r.encrypt_str(&ROW, "secret").unwrap();
        for aad in [
            Aad {
                row_id: "43",
                ..ROW
            },
            Aad {
                column: "other",
                ..ROW
            },
            Aad {
                table: "person",
                ..ROW
            },
        ] {
            assert!(matches!(
                r.decrypt(&aad, &env),
                Err(StoreError::Crypto(CryptoError::Decrypt))
            ));
        }
    }

    #[test]
    fn tampered_ciphertext_fails() {
        let r = ring("k1");
        let env = r.encrypt_str(&ROW, "secret").unwrap();
        let body = env.rsplit(':').next().unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(body).unwrap();
        for i in [0, NONCE_LEN, bytes.len() - 1] {
            bytes[i] ^= 1;
            let forged = format!("v1:k1:{}", URL_SAFE_NO_PAD.encode(&bytes));
            assert!(matches!(
                r.decrypt(&ROW, &forged),
                Err(StoreError::Crypto(CryptoError::Decrypt))
            ));
            bytes[i] ^= 1;
        }
        for bad in [
            "",
            "v1:k1",
            "v2:k1:AAAA",
            "v1:k1:!!",
            "v1:k1:AAAA",
            "v1::AAAA",
        ] {
            assert!(r.decrypt(&ROW, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_id_selects_the_key() {
        let old = ring("k1");
        let env_old = old.encrypt_str(&ROW, "before").unwrap();
        let new = ring("k2").with_previous(old);
        assert_eq!(new.active_kid(), "k2");
        assert_eq!(new.kids(), ["k2", "k1"]);
        assert_eq!(
            new.decrypt_string(&ROW, &env_old).unwrap().as_str(),
            "before"
        );
        let env_new = new.encrypt_str(&ROW, "after").unwrap();
        assert!(env_new.starts_with("v1:k2:"));
        // Rotation: the old value moves to the active key; an active one is left alone.
        let moved = new.reencrypt(&ROW, &env_old).unwrap().unwrap();
        assert!(moved.starts_with("v1:k2:"));
        assert_eq!(new.decrypt_string(&ROW, &moved).unwrap().as_str(), "before");
        assert_eq!(new.reencrypt(&ROW, &env_new).unwrap(), None);
        // Once rotated, the old key can go.
        let only_new = Keyring::parse(new.to_key_file().lines().next().unwrap()).unwrap();
        assert_eq!(
            only_new.decrypt_string(&ROW, &moved).unwrap().as_str(),
            "before"
        );
    }

    #[test]
    fn key_files_parse_and_refuse_bad_lines() {
        let text = ring("a").with_previous(ring("b")).to_key_file();
        let commented = format!("# keys\n\n{}", text.as_str());
        let r = Keyring::parse(&commented).unwrap();
        assert_eq!(r.kids(), ["a", "b"]);
        let env = Keyring::from_env_value(&text.replace('\n', ",")).unwrap();
        assert_eq!(env.kids(), ["a", "b"]);
        let key = STANDARD.encode([7u8; 32]);
        for bad in [
            String::new(),
            "# only a comment".into(),
            "k1".into(),
            format!("bad kid={key}"),
            format!("k1={key}\nk1={key}"),
            "k1=notbase64!".into(),
            format!("k1={}", STANDARD.encode([7u8; 16])),
        ] {
            let e = Keyring::parse(&bad).expect_err(&bad).to_string();
            assert!(!e.contains(&key), "errors never echo keys: {e}");
        }
        assert!(!format!("{r:?}").contains(&STANDARD.encode(r.keys[0].key.as_slice())));
    }

    #[test]
    fn blind_index_is_keyed_and_purpose_bound() {
        let r = ring("k1");
        let a = r.blind_index("person.passport", "c1234567").unwrap();
        assert_eq!(a, r.blind_index("person.passport", "c1234567").unwrap());
        assert!(a.starts_with("k1:"));
        assert_ne!(a, r.blind_index("person.phone", "c1234567").unwrap());
        assert_ne!(a, r.blind_index("person.passport", "c1234568").unwrap());
        assert_ne!(
            a,
            ring("k1")
                .blind_index("person.passport", "c1234567")
                .unwrap()
        );
        let both = ring("k2").with_previous(r);
        let all = both.blind_indexes("person.passport", "c1234567").unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1], a);
    }

    #[test]
    fn generated_key_files_are_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baoho.keys");
        let kid = generate_key_file(&path, None).unwrap();
        let r = Keyring::from_key_file(&path).unwrap();
        assert_eq!(r.active_kid(), kid);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "key file readable by others: {mode:o}");
        }
        assert!(
            generate_key_file(&path, None).is_err(),
            "refuses to overwrite"
        );
        let next = dir.path().join("next.keys");
        let kid2 = generate_key_file(&next, Some(&r)).unwrap();
        assert_eq!(
            Keyring::from_key_file(&next).unwrap().kids(),
            [kid2.as_str(), kid.as_str()]
        );
    }
}

mod columns;
mod rotate;
pub use columns::{
    BLIND_INDEXES, BlindIndexColumn, ENCRYPTED_COLUMNS, EncryptedColumn, KeyCheck, Pending,
};
pub(crate) use columns::{KEY_CHECK_COLUMN, key_check_aad};
pub(crate) use rotate::{init_key_check, key_check, reencrypt_column};
