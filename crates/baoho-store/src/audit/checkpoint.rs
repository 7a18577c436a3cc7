//! Signed checkpoints of the audit chain's head: anchors kept outside the database.
//!
//! The chain alone shows an edit in the middle, but whoever can write the table can also cut
//! rows off its end, or recompute every hash after an edit (the chain is unkeyed). A
//! checkpoint is the head (`seq`, `hash`) and the time, signed with an Ed25519 key that lives
//! in a file outside the database (and outside the serving role's reach): [`verify`] then
//! reports a head below a checkpoint (truncation) and a row whose hash differs from the
//! checkpointed one (recomputation).
//!
//! Files: the secret key file holds one line `ed25519-secret=<base64 32-byte seed>` (mode
//! 0600), the public key file `ed25519-public=<base64 32 bytes>`; a checkpoint is a JSON file
//! `checkpoint-<seq, 20 digits>-<unix time>.json` holding `seq`, `hash`, `at` (RFC 3339),
//! `public_key` and `signature` (base64), the signature over the bytes
//! `baoho-audit-checkpoint-v1\n<seq>\n<hash>\n<at>\n`. Signing is the `ed25519-dalek` crate;
//! only the file layout is ours.

use crate::{Result, Store, StoreError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

const SECRET_TAG: &str = "ed25519-secret=";
const PUBLIC_TAG: &str = "ed25519-public=";

fn bad(why: impl Into<String>) -> StoreError {
    StoreError::Invalid(why.into())
}

/// A signed head of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: String,
    /// The signer's public key (base64), to tell which key signed.
    pub public_key: String,
    pub signature: String,
}

fn message(seq: i64, hash: &str, at: &str) -> Vec<u8> {
    format!("baoho-audit-checkpoint-v1\n{seq}\n{hash}\n{at}\n").into_bytes()
}

/// Write a new key pair: `secret` (mode 0600, never overwritten) and `<secret>.pub`.
/// Returns the public key file's path.
pub fn generate_key(secret: &Path) -> Result<PathBuf> {
    let seed = Zeroizing::new(crate::crypto::random_bytes()?);
    let key = SigningKey::from_bytes(&seed);
    let line = Zeroizing::new(format!(
        "{SECRET_TAG}{}\n",
        STANDARD.encode(seed.as_slice())
    ));
    crate::crypto::write_private_file(secret, line.as_bytes())?;
    let public = public_path(secret);
    let text = format!(
        "{PUBLIC_TAG}{}\n",
        STANDARD.encode(key.verifying_key().as_bytes())
    );
    std::fs::write(&public, text).map_err(|e| bad(format!("{}: {e}", public.display())))?;
    Ok(public)
}

/// Where [`generate_key`] puts the public key of `secret`.
pub fn public_path(secret: &Path) -> PathBuf {
    let mut s = secret.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

fn read_tagged(path: &Path, tag: &str) -> Result<Zeroizing<[u8; 32]>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| bad(format!("{}: {e}", path.display())))?,
    );
    let line = text
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(tag))
        .ok_or_else(|| bad(format!("{}: no `{tag}…` line", path.display())))?;
    let bytes = Zeroizing::new(
        STANDARD
            .decode(line.trim())
            .map_err(|_| bad(format!("{}: not base64", path.display())))?,
    );
    let mut out = Zeroizing::new([0u8; 32]);
    if bytes.len() != 32 {
        return Err(bad(format!("{}: a key is 32 bytes", path.display())));
    }
    out.copy_from_slice(&bytes);
    Ok(out)
}

/// The signing key in `path` (written by [`generate_key`]).
pub fn signing_key(path: &Path) -> Result<SigningKey> {
    Ok(SigningKey::from_bytes(&*read_tagged(path, SECRET_TAG)?))
}

/// The public key in `path` (the `.pub` file of [`generate_key`]).
pub fn verifying_key(path: &Path) -> Result<VerifyingKey> {
    VerifyingKey::from_bytes(&*read_tagged(path, PUBLIC_TAG)?)
        .map_err(|_| bad(format!("{}: not an Ed25519 public key", path.display())))
}

/// Sign the head (`seq`, `hash`) at `at`.
pub fn sign(key: &SigningKey, seq: i64, hash: &str, at: DateTime<Utc>) -> Checkpoint {
    let at = at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let sig = key.sign(&message(seq, hash, &at));
    Checkpoint {
        seq,
        hash: hash.to_owned(),
        at,
        public_key: STANDARD.encode(key.verifying_key().as_bytes()),
        signature: STANDARD.encode(sig.to_bytes()),
    }
}

impl Checkpoint {
    /// Whether `key` signed exactly this checkpoint.
    pub fn is_signed_by(&self, key: &VerifyingKey) -> bool {
        let Ok(sig) = STANDARD.decode(&self.signature) else {
            return false;
        };
        let Ok(sig) = Signature::from_slice(&sig) else {
            return false;
        };
        key.verify(&message(self.seq, &self.hash, &self.at), &sig)
            .is_ok()
    }
}

/// Write `c` into `dir` (created if missing), durably (file and directory synced).
pub fn write(dir: &Path, c: &Checkpoint) -> Result<PathBuf> {
    let io = |e: std::io::Error| bad(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let stamp = DateTime::parse_from_rfc3339(&c.at).map_or(0, |t| t.timestamp());
    let path = dir.join(format!("checkpoint-{:020}-{stamp}.json", c.seq));
    let json = serde_json::to_vec_pretty(c).map_err(|e| bad(e.to_string()))?;
    let tmp = dir.join(format!(".checkpoint-{}.tmp", uuid::Uuid::new_v4().simple()));
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(&json).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, &path).map_err(io)?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io)?;
    Ok(path)
}

/// Verify the database's chain and, if it is intact, sign its head and write the checkpoint
/// into `dir`. Refuses a broken chain (a checkpoint must not vouch for it). Returns the file
/// and the checkpoint; `None` when the trail is empty.
pub async fn checkpoint(
    store: &dyn Store,
    key: &SigningKey,
    dir: &Path,
    now: DateTime<Utc>,
) -> Result<Option<(PathBuf, Checkpoint)>> {
    let v = store.verify_audit().await?;
    if let Some(b) = &v.broken {
        return Err(bad(format!(
            "the audit chain is broken at seq {} ({}): no checkpoint written",
            b.seq, b.kind
        )));
    }
    if v.rows == 0 {
        return Ok(None);
    }
    let c = sign(key, v.last_seq, &v.last_hash, now);
    let path = write(dir, &c)?;
    Ok(Some((path, c)))
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckpointReport {
    /// Checkpoints read and correctly signed.
    pub checked: usize,
    /// Problems, one line each (empty when every checkpoint holds).
    pub problems: Vec<String>,
}

impl CheckpointReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Compare the database with every checkpoint in `dir` signed by `key`: a badly signed or
/// unreadable checkpoint, a head below a checkpoint (rows cut off the end), and a row whose
/// hash differs from its checkpoint (the chain recomputed) are each reported. Also reports a
/// broken chain.
pub async fn verify(store: &dyn Store, dir: &Path, key: &VerifyingKey) -> Result<CheckpointReport> {
    let mut report = CheckpointReport::default();
    let v = store.verify_audit().await?;
    if let Some(b) = &v.broken {
        report
            .problems
            .push(format!("the chain is broken at seq {}: {}", b.seq, b.kind));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| bad(format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("checkpoint-") && n.ends_with(".json"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        report
            .problems
            .push(format!("no checkpoint in {}", dir.display()));
    }
    let head = if v.rows == 0 { 0 } else { v.last_seq };
    for f in files {
        let name = f.display().to_string();
        let c: Checkpoint = match std::fs::read(&f)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(c) => c,
            Err(e) => {
                report.problems.push(format!("{name}: unreadable ({e})"));
                continue;
            }
        };
        if !c.is_signed_by(key) {
            report
                .problems
                .push(format!("{name}: not signed by this public key"));
            continue;
        }
        report.checked += 1;
        if c.seq > head {
            report.problems.push(format!(
                "truncated: checkpoint {name} vouches for seq {} but the chain ends at seq {head}",
                c.seq
            ));
            continue;
        }
        match store.audit_hash_at(c.seq).await? {
            Some(h) if h == c.hash => {}
            Some(h) => report.problems.push(format!(
                "rewritten: seq {} has hash {h}, checkpoint {name} says {}",
                c.seq, c.hash
            )),
            None => report
                .problems
                .push(format!("seq {} is missing (checkpoint {name})", c.seq)),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn signatures_bind_every_field_and_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("audit.key");
        let public = generate_key(&secret).unwrap();
        let key = signing_key(&secret).unwrap();
        let vk = verifying_key(&public).unwrap();
        let c = sign(&key, 42, "ab", Utc::now());
        assert!(c.is_signed_by(&vk));
        for changed in [
            Checkpoint {
                seq: 41,
                ..c.clone()
            },
            Checkpoint {
                hash: "ac".into(),
                ..c.clone()
            },
            Checkpoint {
                at: "2020-01-01T00:00:00Z".into(),
                ..c.clone()
            },
        ] {
            assert!(!changed.is_signed_by(&vk));
        }
        let other = generate_key(&dir.path().join("other.key")).unwrap();
        assert!(!c.is_signed_by(&verifying_key(&other).unwrap()));
        // Never overwritten; the secret is private.
        assert!(generate_key(&secret).is_err());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // Round trip through a file.
        let path = write(&dir.path().join("cp"), &c).unwrap();
        let back: Checkpoint = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
