//! What the user sees and chooses around a file import: the preview (one entry per key found, compared
//! with the vault), the choice per entry, and what the import did, with what is still in plaintext and
//! the `keystead run` line that replaces it. None of these hold a secret.

use super::SourceFormat;
use crate::secret::CredentialField;
use crate::share::{ImportChoice, ShareEntryStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One file of the import.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportSource {
    pub index: u32,
    pub path: String,
    pub format: SourceFormat,
    /// "freqtrade config", ".env file", … (the format was detected from the content unless named).
    pub format_label: String,
    /// Whether the file holds its secrets readable by anyone who can read it.
    pub plaintext: bool,
    /// Keys found in it.
    pub keys: u32,
}

/// One key found, compared with the vault. Never a secret: fields by name only.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportPreviewEntry {
    /// Position in the preview; choices are given in this order.
    pub index: u32,
    /// The file it is in (an index into `sources`).
    pub source: u32,
    /// Where in the file ("exchange", "line 3 (BINANCE_API_KEY, …)", "entry 'Binance main'").
    pub location: String,
    /// The name it gets in the vault when added.
    pub name: String,
    /// The catalog exchange, when the file says which.
    pub exchange: Option<String>,
    pub exchange_name: Option<String>,
    /// What the file called the exchange when it is not in the catalog.
    pub exchange_hint: Option<String>,
    pub secret_fields: Vec<CredentialField>,
    /// Why it cannot be added as it is ("OKX keys need password…", "which exchange?"); `None` when it can.
    pub problem: Option<String>,
    /// Whether choosing an exchange would let it be added (the file does not say which).
    pub needs_exchange: bool,
    /// New: no key with this key value or name. Identical: the vault holds this key value with the
    /// same secrets. Changed: the vault holds this API key with other secrets. Conflicting: another key
    /// has this name.
    pub status: ShareEntryStatus,
    pub secrets_changed: bool,
    /// The key this entry matches (same key value) or conflicts with (same name).
    pub existing_id: Option<Uuid>,
    pub existing_name: Option<String>,
    /// `replace` may be chosen (changed or conflicting): only ever as an explicit choice for the entry.
    pub replace_allowed: bool,
    pub default_choice: ImportChoice,
    /// The exchange's defaults for a new key ("Enable Reading"), offered since files do not record scopes.
    pub default_scopes: Vec<String>,
}

/// What importing the chosen files would do. Holds no secret, so it may cross to the UI.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportPreview {
    pub sources: Vec<ImportSource>,
    pub entries: Vec<ImportPreviewEntry>,
    /// Things to tell the user before they confirm (entries left out, scopes unknown, …), never a value.
    pub warnings: Vec<String>,
}

impl ImportPreview {
    /// The default choice of every entry, in order, with no exchange picked and scopes left unknown.
    pub fn default_choices(&self) -> Vec<ImportEntryChoice> {
        self.entries
            .iter()
            .map(|e| ImportEntryChoice {
                action: e.default_choice,
                exchange: None,
                default_scopes: false,
            })
            .collect()
    }
}

/// The user's choice for one entry.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportEntryChoice {
    pub action: ImportChoice,
    /// The exchange, for an entry whose file does not say (ignored when it does).
    #[serde(default)]
    #[ts(optional)]
    pub exchange: Option<String>,
    /// Record the exchange's defaults for a new key as its scopes instead of "scopes unknown".
    #[serde(default)]
    pub default_scopes: bool,
}

/// A file that still holds keys in plaintext after the import, and what replaces it.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaintextLeft {
    pub path: String,
    pub format_label: String,
    /// The keys imported from it, by their names in the vault.
    pub keys: Vec<String>,
    /// The `keystead run` lines that hand the bot the same keys instead (one per bot run); empty for
    /// exports from other vaults.
    pub run_commands: Vec<String>,
    /// What to do with the file (Keystead never edits or deletes it).
    pub advice: String,
}

/// What an import changed.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub added: Vec<String>,
    pub replaced: Vec<String>,
    pub skipped: Vec<String>,
    /// The files that still hold what was imported in plaintext.
    pub plaintext: Vec<PlaintextLeft>,
}
