//! The registries of what is encrypted (columns) and indexed (blind indexes) at rest, which a
//! key rotation walks, and the key check's place among them.

use super::Aad;
use crate::{Result, StoreError};

/// A column (or blind index) with rows not yet under the active key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// `table.column`, with ` (blind index)` for an index.
    pub what: String,
    pub rows: u64,
}

/// A keyed blind index (see [`Keyring::blind_index`]) kept beside an encrypted column:
/// recomputed from the decrypted value when the key rotates. Names are checked as SQL
/// identifiers before use.
#[derive(Debug, Clone, Copy)]
pub struct BlindIndexColumn {
    pub table: &'static str,
    /// The column whose text value is the row id in the source's associated data.
    pub id_column: &'static str,
    /// The encrypted column the index is computed from.
    pub source: &'static str,
    /// The column holding the index.
    pub index: &'static str,
    /// The blind index's purpose string.
    pub purpose: &'static str,
    /// How the plaintext is folded before indexing (as the writers fold it).
    pub key: fn(&str) -> String,
}

impl BlindIndexColumn {
    pub(crate) fn checked(&self) -> Result<()> {
        EncryptedColumn {
            table: self.table,
            id_column: self.id_column,
            column: self.source,
        }
        .checked()?;
        EncryptedColumn {
            table: self.table,
            id_column: self.id_column,
            column: self.index,
        }
        .checked()
    }
}

/// Every blind index. Add each one here when its column is created.
pub const BLIND_INDEXES: &[BlindIndexColumn] = &[BlindIndexColumn {
    table: "person_document",
    id_column: "id",
    source: "number",
    index: "number_index",
    purpose: crate::persons::BLIND_PURPOSE,
    key: baoho_domain::person::document_key,
}];

pub(crate) const KEY_CHECK_COLUMN: EncryptedColumn = EncryptedColumn {
    table: "key_check",
    id_column: "id",
    column: "envelope",
};

/// The result of [`Keyring::check_against`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCheck {
    /// The key id of the stored key check.
    pub kid: String,
    /// The stored check is under an older key of the ring: run `baoho keys rotate`.
    pub rotation_pending: bool,
}

pub(crate) fn key_check_aad() -> Aad<'static> {
    Aad::new("key_check", "envelope", "1")
}

/// A column holding envelopes, for rotation. Names are checked as SQL identifiers before use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptedColumn {
    pub table: &'static str,
    /// The column whose text value is the row id in the associated data.
    pub id_column: &'static str,
    pub column: &'static str,
}

impl EncryptedColumn {
    pub(crate) fn checked(&self) -> Result<()> {
        for name in [self.table, self.id_column, self.column] {
            let ok = !name.is_empty()
                && name.len() <= 63
                && name
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                return Err(StoreError::Invalid(format!(
                    "{name:?} is not a plain SQL identifier"
                )));
            }
        }
        Ok(())
    }

    pub fn aad<'a>(&self, row_id: &'a str) -> Aad<'a> {
        Aad::new(self.table, self.column, row_id)
    }
}

/// Every encrypted column. Add each restricted field here when its table is created.
pub const ENCRYPTED_COLUMNS: &[EncryptedColumn] = &[
    // Listed first, rotated last (see `Keyring::rotate`).
    KEY_CHECK_COLUMN,
    EncryptedColumn {
        table: "account",
        id_column: "id",
        column: "totp_secret",
    },
    EncryptedColumn {
        table: "person",
        id_column: "id",
        column: "private_data",
    },
    EncryptedColumn {
        table: "person_document",
        id_column: "id",
        column: "number",
    },
    EncryptedColumn {
        table: "break_glass",
        id_column: "id",
        column: "reason",
    },
    EncryptedColumn {
        table: "case_file",
        id_column: "id",
        column: "private_data",
    },
    EncryptedColumn {
        table: "case_event",
        id_column: "id",
        column: "body",
    },
    EncryptedColumn {
        table: "case_referral",
        id_column: "id",
        column: "snapshot",
    },
    EncryptedColumn {
        table: "case_referral",
        id_column: "id",
        column: "override_reason",
    },
    EncryptedColumn {
        table: "case_referral",
        id_column: "id",
        column: "response",
    },
    EncryptedColumn {
        table: "case_referral",
        id_column: "id",
        column: "consent_by_name",
    },
    EncryptedColumn {
        table: "case_referral",
        id_column: "id",
        column: "refusal_reason",
    },
    EncryptedColumn {
        table: "case_transfer",
        id_column: "id",
        column: "reason",
    },
    EncryptedColumn {
        table: "case_attachment",
        id_column: "id",
        column: "file_name",
    },
];
