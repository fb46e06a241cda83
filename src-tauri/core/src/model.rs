//! What a key is, in the trader's words.

use crate::error::{Error, Result};
use crate::secret::CredentialField;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// What a key may do, in canonical terms shared by every exchange.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    Trade,
    Withdraw,
    Transfer,
    Margin,
    Futures,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Self::Read,
        Self::Trade,
        Self::Withdraw,
        Self::Transfer,
        Self::Margin,
        Self::Futures,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Trade => "trade",
            Self::Withdraw => "withdraw",
            Self::Transfer => "transfer",
            Self::Margin => "margin",
            Self::Futures => "futures",
        }
    }

    /// Scopes that can move money out of the account or between accounts.
    pub fn moves_funds(self) -> bool {
        matches!(self, Self::Withdraw | Self::Transfer)
    }

    /// Scopes that can place orders or move funds: the ones exchanges want IP-bound.
    pub fn can_act(self) -> bool {
        !matches!(self, Self::Read)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Production,
    Staging,
    Development,
    Testnet,
}

impl Environment {
    pub const ALL: [Environment; 4] = [
        Self::Production,
        Self::Staging,
        Self::Development,
        Self::Testnet,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Staging => "staging",
            Self::Development => "development",
            Self::Testnet => "testnet",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Environment {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        let found = match s.as_str() {
            "prod" => Some(Self::Production),
            "dev" => Some(Self::Development),
            "test" => Some(Self::Testnet),
            _ => Self::ALL.into_iter().find(|e| e.as_str() == s),
        };
        found.ok_or_else(|| Error::InvalidInput {
            message: format!(
                "unknown environment '{s}': use production, staging, development or testnet"
            ),
        })
    }
}

#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    Revoked,
    Compromised,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
            Self::Compromised => "compromised",
        }
    }
}

impl fmt::Display for KeyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One stored version of a key's secrets, described without the secrets.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretVersionInfo {
    /// 1 for the secrets the key was created with, +1 per rotation.
    pub version: u32,
    pub fields: Vec<CredentialField>,
    pub created_at: DateTime<Utc>,
    /// When it was replaced by a rotation; `None` for the current version.
    pub retired_at: Option<DateTime<Utc>>,
    /// Why it was replaced.
    pub reason: Option<String>,
    /// Whether this secret could withdraw or transfer funds: set from the key's scopes when the version
    /// is created (and when an edit adds such a scope), never cleared by a later edit, so releasing it
    /// always needs the passphrase again. Vaults written before this field existed get it from the
    /// key's scopes when the record is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub moves_funds: Option<bool>,
    /// The private key of this version was made inside Keystead ("New key pair") and has never left the
    /// vault: revealing, copying or sharing it needs the passphrase again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub generated_key_pair: Option<bool>,
}

/// How a key was last used: its secret shown, copied or handed to a program by `run`, or a request
/// signed with it answered by its exchange.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyUseKind {
    Revealed,
    Copied,
    Run,
    /// Checked on its exchange (a signed request the exchange answered).
    Verified,
}

/// The last use of a key ([`KeyEntry::last_used_at`] is its time): how, from which front end, on which
/// machine, and for `run` the program. Names only, never a value.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyUse {
    pub how: KeyUseKind,
    /// `app` or `cli`.
    pub by: String,
    /// This machine's host name, when the system tells it.
    pub host: Option<String>,
    /// For `run`: the program's file name (control characters replaced).
    pub program: Option<String>,
}

/// Where a scan found a key's current secret.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundInPlaintext {
    pub at: DateTime<Utc>,
    /// The first place found: `path:line`.
    pub place: String,
    /// How many places the scan found it in.
    pub count: u32,
}

/// A program that uses a key, and where it runs: "which bot uses which key" (`freqtrade@vps-1`).
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeyUser {
    pub bot: String,
    /// The host name or address it runs on, when known.
    pub host: Option<String>,
}

impl std::fmt::Display for KeyUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.host {
            Some(h) => write!(f, "{}@{h}", self.bot),
            None => f.write_str(&self.bot),
        }
    }
}

/// A member who could read this key left one of its teams: git history keeps the files they could open,
/// so the key must be rotated (the flag goes with the rotation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberLeft {
    pub team: String,
    pub member: String,
    pub at: DateTime<Utc>,
}

/// One API credential's metadata. The secrets live apart, in [`crate::secret::SecretFields`]. Sealed as is
/// in the vault (and nowhere else): fields with nothing in them are left out of the record and read back
/// empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEntry {
    pub id: Uuid,
    pub name: String,
    /// Catalog id of the exchange (`binance`, `okx`, …) or `custom`.
    pub exchange: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub environment: Environment,
    /// Canonical scopes: what the key may do.
    pub scopes: BTreeSet<Scope>,
    /// The exchange's own permission names, as chosen (each implies canonical scopes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchange_scopes: Vec<String>,
    /// The key came from a file that does not record what it may do (a bot config, a `.env`): its
    /// scopes are not known until the user sets them. Until then it counts as able to move funds.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scopes_unknown: bool,
    /// Addresses or CIDR ranges the exchange accepts this key from; empty = any address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_allowlist: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rotated_at: Option<DateTime<Utc>>,
    /// Last time the current secret left the vault (shown, copied, or handed to a program by `run`);
    /// exchanges count inactivity from use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// How and where it was last used (vaults from before this was kept have only the time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_use: Option<KeyUse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_days: Option<u32>,
    pub status: KeyStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_changed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// The environment variables `run` puts this key's fields in (e.g. `BINANCE_API_KEY`), chosen by
    /// the user; they win over the profile's names. Kept in this vault only: never in a share file.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env_names: BTreeMap<CredentialField, String>,
    /// The bots that use this key, and where they run, as the user recorded them; sorted, each once.
    /// This vault's own record: never in a share file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub used_by: Vec<KeyUser>,
    /// Where and when a scan last found the current secret in a file ("/home/me/bot/.env:3"); cleared
    /// by the next rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_in_plaintext: Option<FoundInPlaintext>,
    /// A team member who could read the current secret left (cleared by the next rotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_left: Option<MemberLeft>,
    /// The last check on the exchange (issue 16): when, what it found. Vaults written before it read as
    /// `None`; it lives in the sealed metadata like every other field, so no schema change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_verification: Option<crate::exchange::Verification>,
    /// Whether scheduled checks on the exchange look at this key: `None` follows the app's choice (all
    /// keys, or only the chosen ones), `Some(true)` always, `Some(false)` never. This vault's own
    /// preference: never in a share file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_check: Option<bool>,
    /// Every secret version, oldest first; the last one is current.
    pub versions: Vec<SecretVersionInfo>,
    /// Keyed fingerprints of the current secret values, to spot one secret stored twice without
    /// decrypting secrets when listing. Meaningless without the vault key.
    #[serde(default)]
    pub(crate) fingerprints: Vec<String>,
}

impl KeyEntry {
    pub fn current_version(&self) -> Option<&SecretVersionInfo> {
        self.versions.last()
    }

    /// Whether the key's current scopes can withdraw or transfer funds.
    pub fn scopes_move_funds(&self) -> bool {
        self.scopes.iter().any(|s| s.moves_funds())
    }

    /// Whether releasing `version` (`None`: the current one) needs the passphrase again: the version
    /// could move funds when it was made or since, or the key can now.
    pub fn version_moves_funds(&self, version: Option<u32>) -> bool {
        let current = self.versions.last().map(|v| v.version);
        let wanted = version.or(current);
        let flagged = self
            .versions
            .iter()
            .find(|v| Some(v.version) == wanted)
            .is_some_and(|v| v.moves_funds == Some(true));
        flagged || (wanted == current && (self.scopes_move_funds() || self.scopes_unknown))
    }

    /// Whether `version` (`None`: the current one) holds a private key made inside Keystead.
    pub fn version_generated_key_pair(&self, version: Option<u32>) -> bool {
        let wanted = version.or(self.versions.last().map(|v| v.version));
        self.versions
            .iter()
            .find(|v| Some(v.version) == wanted)
            .is_some_and(|v| v.generated_key_pair == Some(true))
    }

    /// The step-up rule's question for handing out `field` of `version` (`field` `None`: the whole
    /// version, as a share does): a secret that could move funds, or a private key made in Keystead,
    /// needs the passphrase again.
    pub fn release_needs_step_up(
        &self,
        version: Option<u32>,
        field: Option<CredentialField>,
    ) -> bool {
        self.version_moves_funds(version)
            || (field.is_none_or(|f| f == CredentialField::PrivateKey)
                && self.version_generated_key_pair(version))
    }

    /// What the step-up message says about the key (see [`Self::release_needs_step_up`]).
    pub fn step_up_why(&self, version: Option<u32>) -> &'static str {
        if self.version_moves_funds(version) {
            crate::error::MOVES_FUNDS
        } else {
            crate::error::KEY_PAIR_MADE_HERE
        }
    }

    /// Retires the current secret version (a rotation or a replacing import). A version retired while
    /// the key's scopes were unknown keeps "could move funds" for good.
    pub(crate) fn retire_current(&mut self, now: DateTime<Utc>, reason: Option<String>) {
        // The secret found in plaintext, or readable by a member who left, is retired: the flag goes.
        self.found_in_plaintext = None;
        self.member_left = None;
        let unknown = self.scopes_unknown;
        if let Some(v) = self.versions.last_mut() {
            v.retired_at = Some(now);
            v.reason = reason;
            if unknown {
                v.moves_funds = Some(true);
            }
        }
    }

    /// Fills the capability of versions recorded before it was kept per version, from the current
    /// scopes (the best knowledge there is for them).
    pub(crate) fn fill_version_capability(&mut self) {
        let now = self.scopes_move_funds();
        for v in &mut self.versions {
            v.moves_funds.get_or_insert(now);
        }
    }

    /// The secret fields the current version holds.
    pub fn secret_fields(&self) -> Vec<CredentialField> {
        self.current_version()
            .map(|v| v.fields.clone())
            .unwrap_or_default()
    }
}

/// What `add` takes besides the secrets.
#[derive(Debug, Clone, Default)]
pub struct NewKey {
    pub name: String,
    pub exchange: String,
    pub account: Option<String>,
    pub environment: Option<Environment>,
    /// Canonical scope names or the exchange's own permission names.
    pub scopes: Vec<String>,
    pub ip_allowlist: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub rotation_days: Option<u32>,
    pub tags: Vec<String>,
    pub notes: String,
    /// The key's own variable names for `run`, by field (see [`KeyEntry::env_names`]).
    pub env_names: BTreeMap<CredentialField, String>,
    /// The bots that use it, as typed: `bot` or `bot@host` (see [`crate::parse::key_users`]).
    pub used_by: Vec<String>,
}

/// What handing keys to a program (`run`) asks for. Released by [`crate::Vault::release_for_run`].
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// Key names or ids; each key once (a key named twice is released once).
    pub keys: Vec<String>,
    /// How the secrets are handed over (`ccxt`, `freqtrade`), recorded in the audit log.
    pub profile: String,
    /// The program started, as given: only its file name is recorded, never its arguments (which may
    /// hold secrets).
    pub program: String,
    /// Release expired keys too. Revoked and compromised keys are refused all the same.
    pub allow_expired: bool,
}

/// A change to a key's metadata; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct KeyEdit {
    pub name: Option<String>,
    pub account: Option<Option<String>>,
    pub environment: Option<Environment>,
    pub scopes: Option<Vec<String>>,
    pub ip_allowlist: Option<Vec<String>>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
    pub rotation_days: Option<Option<u32>>,
    pub tags: Option<Vec<String>>,
    pub notes: Option<String>,
    /// The key's own variable names for `run`, all of them (a field left out has none).
    pub env_names: Option<BTreeMap<CredentialField, String>>,
    /// Whether scheduled checks look at the key (`Some(None)`: as the app's setting says).
    pub scheduled_check: Option<Option<bool>>,
    /// The bots that use it, all of them, as typed (`bot` or `bot@host`).
    pub used_by: Option<Vec<String>>,
}

/// One change made to several keys at once (the key table's bulk bar): each key gets the [`KeyEdit`]
/// this change makes of it, all in one transaction.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum BulkEdit {
    /// The rotation reminder: rotate every so many days, or never (`None`).
    RotationDays(Option<u32>),
    /// Adds this tag to every key that lacks it.
    AddTag(String),
    /// Removes this tag (ignoring case) from every key that has it.
    RemoveTag(String),
}

impl BulkEdit {
    /// The edit this change makes of `entry` (empty when the key already is as asked).
    pub fn edit_for(&self, entry: &KeyEntry) -> KeyEdit {
        match self {
            Self::RotationDays(days) => KeyEdit {
                rotation_days: Some(*days),
                ..KeyEdit::default()
            },
            Self::AddTag(tag) => {
                let tag = tag.trim();
                if entry.tags.iter().any(|t| t == tag) {
                    return KeyEdit::default();
                }
                let mut tags = entry.tags.clone();
                tags.push(tag.to_string());
                KeyEdit {
                    tags: Some(tags),
                    ..KeyEdit::default()
                }
            }
            Self::RemoveTag(tag) => {
                let tag = tag.trim();
                if !entry.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
                    return KeyEdit::default();
                }
                KeyEdit {
                    tags: Some(
                        entry
                            .tags
                            .iter()
                            .filter(|t| !t.eq_ignore_ascii_case(tag))
                            .cloned()
                            .collect(),
                    ),
                    ..KeyEdit::default()
                }
            }
        }
    }
}

impl KeyEdit {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.account.is_none()
            && self.environment.is_none()
            && self.scopes.is_none()
            && self.ip_allowlist.is_none()
            && self.expires_at.is_none()
            && self.rotation_days.is_none()
            && self.tags.is_none()
            && self.notes.is_none()
            && self.env_names.is_none()
            && self.scheduled_check.is_none()
            && self.used_by.is_none()
    }
}
