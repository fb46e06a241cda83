//! What the user sees and chooses around a share file: the import preview with a status and a default
//! choice per key, the export request, and the summaries of what an export or an import did. None of
//! these hold a secret except `ShareExport`'s passphrase (no `Serialize` there).

use super::document::ShareSender;
use crate::model::{Environment, Scope};
use crate::secret::CredentialField;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use uuid::Uuid;

/// How an entry of a share file compares with this vault.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareEntryStatus {
    /// No key with this id or name.
    New,
    /// The same key (same id), with the same metadata and secrets.
    Identical,
    /// The same key (same id), with different metadata and/or secrets.
    Changed,
    /// A different key (another id) already has this name.
    Conflicting,
}

/// What to do with one entry.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportChoice {
    /// Add as a new key (for a new entry).
    Add,
    /// Overwrite the existing key (same id, or same name for a conflict); old secrets stay in its history.
    Replace,
    /// Add beside the existing key, with a fresh id and a distinct name ("name (imported)").
    KeepBoth,
    Skip,
}

impl ImportChoice {
    /// The choice made when the user does not choose: add new keys and skip everything else. A file never
    /// changes an existing key unless the user picks `Replace` for that entry (and the file may).
    pub fn default_for(status: ShareEntryStatus) -> Self {
        match status {
            ShareEntryStatus::New => Self::Add,
            ShareEntryStatus::Changed
            | ShareEntryStatus::Identical
            | ShareEntryStatus::Conflicting => Self::Skip,
        }
    }
}

/// One entry of the preview. Never a secret: changed secrets show as `secrets_changed` only.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharePreviewEntry {
    /// Position in the file; choices are given in this order.
    pub index: u32,
    /// The id in the file (absent in hand-written files).
    pub id: Option<Uuid>,
    pub name: String,
    pub exchange: String,
    pub exchange_name: String,
    pub environment: Environment,
    pub scopes: BTreeSet<Scope>,
    /// The secret fields the file holds (names only).
    pub secret_fields: Vec<CredentialField>,
    pub status: ShareEntryStatus,
    /// For `changed`: the metadata fields that differ (`name`, `scopes`, `notes`, …).
    pub changed_fields: Vec<String>,
    /// For `changed`: whether the secret values differ.
    pub secrets_changed: bool,
    /// The existing key this entry matches (same id) or conflicts with (same name).
    pub existing_id: Option<Uuid>,
    pub existing_name: Option<String>,
    /// Whether `replace` may be chosen: only for a changed or conflicting entry of a file signed by a
    /// contact and made for this vault.
    pub replace_allowed: bool,
    /// The file was exported before the existing key was last changed or rotated ("older than yours").
    pub older_than_yours: bool,
    pub default_choice: ImportChoice,
}

/// What importing a share file would do. Holds no secret, so it may cross to the UI.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharePreview {
    pub sender: ShareSender,
    /// What to tell the user about the sender before they confirm (an unknown sender, an unsigned
    /// file); `None` for a contact. The app shows it with the sender, the CLI as a warning.
    pub sender_warning: Option<String>,
    pub exported_at: Option<DateTime<Utc>>,
    /// Whom the sender says the file was made for (unverified unless signed); "you" for this vault.
    pub to: Vec<String>,
    pub entries: Vec<SharePreviewEntry>,
    /// Other things to tell the user before they confirm (withdraw scopes, keys held back, older copies).
    pub warnings: Vec<String>,
}

impl SharePreview {
    /// The default choice of every entry, in order.
    pub fn default_choices(&self) -> Vec<ImportChoice> {
        self.entries.iter().map(|e| e.default_choice).collect()
    }
}

/// What to put in a share file and who may open it.
#[derive(Debug, Clone, Default)]
pub struct ShareExport {
    /// Key names or ids (comma-separated lists are split).
    pub keys: Vec<String>,
    /// Contact names and/or age1… / keystead-share1 keys (comma-separated lists are split).
    pub to: Vec<String>,
    /// Protect the file with this passphrase instead of recipients (age allows a passphrase only alone).
    pub passphrase: Option<SecretString>,
    /// ASCII armor (`-----BEGIN AGE ENCRYPTED FILE-----`) instead of binary.
    pub armor: bool,
    /// Keys with the withdraw scope that the user confirmed, by name or id; others are refused.
    pub confirm_withdraw: Vec<String>,
    /// How the sender calls themselves in the file (shown to the receiver, unverified).
    pub sender_name: Option<String>,
    /// log2 of scrypt's N for a passphrase file (1 to
    /// [`MAX_SCRYPT_WORK_FACTOR`](super::MAX_SCRYPT_WORK_FACTOR)); `None` lets age pick about one
    /// second of work on this machine. Lower it only in tests.
    pub scrypt_work_factor: Option<u8>,
    /// The vault passphrase given again: needed when a chosen key can withdraw or transfer funds.
    pub step_up: Option<SecretString>,
}

/// A share file made in memory, and what it holds. Write it with [`write_file`](super::write_file).
pub struct ExportedShare {
    /// The encrypted file (no plaintext).
    pub bytes: Vec<u8>,
    pub summary: ShareExportSummary,
}

impl fmt::Debug for ExportedShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportedShare")
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

/// What an export wrote.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareExportSummary {
    /// Names of the keys in the file.
    pub keys: Vec<String>,
    /// Who can open it: contacts with fingerprints, age keys, or "passphrase".
    pub recipients: Vec<String>,
    pub armored: bool,
    /// Size of the file in bytes.
    pub bytes: u64,
}

/// What an import changed.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareImportSummary {
    pub sender: ShareSender,
    /// Names of keys added (including "keep both" copies, under their new names).
    pub added: Vec<String>,
    pub replaced: Vec<String>,
    pub skipped: Vec<String>,
}
