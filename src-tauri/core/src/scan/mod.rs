//! The leak scanner: walks folders (in parallel, respecting .gitignore, skipping binary and huge files,
//! never following a symlink out of the folder given) and finds (a) the vault's own secrets, current and
//! older versions, exactly and in their base64, base64url, URL-encoded, hex and JSON-escaped forms,
//! (b) key shapes of the catalog's exchanges and common services, and (c) `.env`-style assignments to
//! secret-looking names. A full secret is never part of a finding: excerpts are redacted (first 4 …
//! last 2 characters).
//!
//! Nothing here touches the vault: [`crate::Vault::scan_secrets`] gives the secrets to look for and
//! [`crate::Vault::record_scan`] audits a scan and flags the keys found.

use crate::secret::CredentialField;
use secrecy::SecretString;
use serde::Serialize;
use std::path::PathBuf;
use uuid::Uuid;

mod engine;
mod history;
mod own;
mod redact;
mod rules;

pub use engine::scan;
pub use redact::redact;

/// Every form a secret is looked for in (raw, base64, base64url, percent-encoded, hex, JSON-escaped),
/// without duplicates; for benchmarks comparing with other tools.
pub fn own_secret_forms(value: &str) -> Vec<String> {
    own::encodings(value)
        .into_iter()
        .map(|(_, form)| form)
        .collect()
}
pub use rules::{ShapeRule, SHAPE_RULES};

/// Files larger than this are skipped unless the user sets another limit.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 8 * 1024 * 1024;
/// Own secrets shorter than this are not looked for (they would match ordinary text).
pub const MIN_OWN_SECRET_CHARS: usize = 8;

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Folders (or single files) to scan.
    pub roots: Vec<PathBuf>,
    /// Scan files that .gitignore / .ignore / git's exclude would skip.
    pub include_ignored: bool,
    /// Files larger than this many bytes are skipped (counted in the stats).
    pub max_file_size: u64,
    /// Also scan every blob of the git history of the repositories found (each blob once).
    pub history: bool,
    /// The key findings are named with ([`Finding::id`]), from the vault; none with a locked vault.
    pub finding_ids: Option<FindingIdKey>,
}

/// The key of [`Finding::id`]: a random key kept sealed in the vault, so the same match in the same file
/// gets the same id in every scan (an ignore is remembered) while the id says nothing about the text.
#[derive(Clone)]
pub struct FindingIdKey(pub(crate) zeroize::Zeroizing<[u8; 32]>);

impl std::fmt::Debug for FindingIdKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FindingIdKey(…)")
    }
}

impl ScanOptions {
    pub fn new(roots: Vec<PathBuf>) -> Self {
        Self {
            roots,
            include_ignored: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            history: false,
            finding_ids: None,
        }
    }
}

/// One secret value of the vault to look for. Never serialised; `Debug` hides the value.
pub struct OwnSecret {
    pub key_id: Uuid,
    pub key_name: String,
    /// The secret version it belongs to (the current one or an older one).
    pub version: u32,
    /// Whether `version` is the key's current one.
    pub current: bool,
    pub field: CredentialField,
    pub value: SecretString,
}

impl std::fmt::Debug for OwnSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnSecret")
            .field("key_name", &self.key_name)
            .field("version", &self.version)
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

/// Which kind of rule found something.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A secret this vault holds.
    OwnSecret,
    /// Something shaped like a key of an exchange or service.
    KeyShape,
    /// An assignment to a secret-looking name (`BINANCE_API_SECRET=…`).
    Assignment,
}

#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// One thing found. Never a full secret.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Names this match (file, rule, key and the matched text under a keyed MAC, not the line) across
    /// scans: what "ignore" remembers. `None` when the vault was locked.
    pub id: Option<String>,
    /// The user marked this finding ignored (shown only when ignored findings are asked for).
    pub ignored: bool,
    pub path: String,
    /// 1-based line and column (in characters) of the match's start.
    pub line: u32,
    pub column: u32,
    pub kind: FindingKind,
    /// The rule's id: `own-secret`, `own-secret-base64`, `binance-api-key`, `pem-private-key`,
    /// `env-assignment`, …
    pub rule: String,
    /// How the rule's match reads in words ("your key 'binance-main' (secret, version 2) base64-encoded").
    pub description: String,
    pub confidence: Confidence,
    /// For own secrets: the key, version and field it belongs to.
    pub key_id: Option<Uuid>,
    pub key_name: Option<String>,
    pub version: Option<u32>,
    /// Whether that version is the key's current one.
    pub current: Option<bool>,
    pub field: Option<crate::secret::CredentialField>,
    /// The exchange a shape or assignment points to (catalog id), when the rule knows.
    pub exchange: Option<String>,
    /// The match redacted: its first 4 and last 2 characters (`vmPU…8A`), control characters escaped.
    pub excerpt: String,
    /// For `--history`: the commit (short id) that introduced the blob (the oldest one, of every branch
    /// and tag, that added it); `None` for files on disk. History findings are named `REPO@path`.
    pub commit: Option<String>,
}

/// A finding the user marked ignored: what it was, so the list of ignores reads without a scan.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct IgnoredFinding {
    /// The finding's [`Finding::id`].
    pub id: String,
    pub path: String,
    /// Where it was when it was ignored (it stays ignored if it moves in the file).
    pub line: u32,
    pub rule: String,
    pub description: String,
    pub key_name: Option<String>,
    pub excerpt: String,
    pub ignored_at: chrono::DateTime<chrono::Utc>,
    pub ignored_by: String,
}

/// What a scan read and left out.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScanStats {
    /// Files read (and git blobs, with history).
    pub files: u64,
    pub bytes: u64,
    pub skipped_binary: u64,
    pub skipped_large: u64,
    /// Files that could not be opened or read (permissions, vanished).
    pub skipped_unreadable: u64,
    /// Symlinks not followed (they point out of the folder given, or loop).
    pub skipped_links: u64,
    pub seconds: f64,
}

/// A running scan's progress, sent a few times a second.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScanProgress {
    pub files: u64,
    pub bytes: u64,
    pub findings: u64,
    pub seconds: f64,
}

/// What a scan found.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanReport {
    pub findings: Vec<Finding>,
    pub stats: ScanStats,
    /// The user stopped the scan: the findings are those found until then.
    pub cancelled: bool,
    /// Whether the vault's own secrets were looked for (not when it is locked): `scan` sets it when it was
    /// given any.
    pub own_secrets: bool,
    /// Findings the user marked ignored, left out of `findings` (or kept there with `ignored` set when
    /// asked for). Set by [`crate::Vault::apply_ignores`].
    pub ignored: u64,
    /// The ignored findings are in `findings` (marked), as asked for with `--include-ignored`.
    pub ignored_shown: bool,
}
