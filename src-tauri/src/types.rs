//! Request and response types of the IPC commands. Defined once here; the UI imports the generated
//! TypeScript from ui/src/bindings.

use keystead_core::{CredentialField, Environment};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use ts_rs::TS;
use zeroize::{Zeroize, Zeroizing};

/// A passphrase typed in the window, as it arrives over IPC: serde's string is wiped as soon as it is
/// copied, once, into a [`SecretString`] (wiped on drop, never printed). The JSON text of the request
/// itself belongs to Tauri and is not wiped (see the README's "How it protects the keys").
pub struct Typed(SecretString);

impl Typed {
    pub fn into_secret(self) -> SecretString {
        self.0
    }
}

impl<'de> Deserialize<'de> for Typed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        Ok(Self(SecretString::from(text.as_str())))
    }
}

impl std::fmt::Debug for Typed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Typed(<redacted>)")
    }
}

/// Sends a revealed secret to the webview without a plain `String` copy of it on the Rust side.
fn expose<S: Serializer>(value: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value.expose_secret())
}

#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize)]
pub struct VaultStatus {
    pub path: String,
    pub exists: bool,
    pub unlocked: bool,
    /// Milliseconds before another unlock attempt is accepted (growing delay after failures).
    pub retry_after_ms: u64,
    /// Integrity warnings found at unlock (rolled-back file, cut audit log).
    pub warnings: Vec<String>,
    /// The vault file is older than the one this machine last saw (one of `warnings`), until the user
    /// accepts it as a restored backup.
    pub older_file: bool,
}

/// What the vault file chooser is for: its title, and whether it opens or saves.
#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VaultFilePurpose {
    /// Where a new vault is created (a save chooser).
    Create,
    /// An existing vault to open.
    Open,
    /// Where a backup of the open vault goes (a save chooser).
    Backup,
}

/// A backup written: where it went (the UI says how to restore it from there).
#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize)]
pub struct BackupResult {
    pub path: String,
}

/// "Remember on this device": whether this device unlocks the vault without the passphrase, and why not.
#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RememberStatus {
    /// This device's key (in the OS keyring) opens the vault's slot for it.
    pub remembered: bool,
    /// Why remembering cannot be turned on here now (no OS keyring, or it is locked); null when it can.
    pub unavailable: Option<String>,
    /// For someone who had remembered this device and whose slot no longer opens (the passphrase was
    /// changed or the device forgotten elsewhere).
    pub note: Option<String>,
}

impl From<keystead_core::vault::DeviceStatus> for RememberStatus {
    fn from(s: keystead_core::vault::DeviceStatus) -> Self {
        use keystead_core::vault::{DeviceStatus, RememberOff};
        let (remembered, unavailable, note) = match s {
            DeviceStatus::Remembered => (true, None, None),
            DeviceStatus::Off(RememberOff::KeyringUnavailable { reason, .. }) => {
                (false, Some(sentence(&reason)), None)
            }
            DeviceStatus::Off(RememberOff::SlotGone) => (
                false,
                None,
                Some("This device was remembered, but the vault no longer lets it in: the passphrase was changed or the device was forgotten, perhaps on another machine.".into()),
            ),
            DeviceStatus::Off(_) => (false, None, None),
        };
        Self {
            remembered,
            unavailable,
            note,
        }
    }
}

/// Core's reason ("no OS keyring answered (…)") as a sentence for the window.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// How far a passphrase change is: `done` of `total` records (keys, contacts, the sharing identity,
/// audit events) sealed again under the new vault key. Streamed to the settings dialog.
#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RekeyProgress {
    pub done: u64,
    pub total: u64,
}

/// One typed-in secret. The value moves into a `SecretString` at once and is wiped from this struct.
#[derive(TS)]
#[ts(export)]
#[derive(Deserialize)]
pub struct SecretInput {
    pub field: CredentialField,
    pub value: String,
}

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretInput")
            .field("field", &self.field)
            .field("value", &"<redacted>")
            .finish()
    }
}

impl Drop for SecretInput {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl SecretInput {
    pub fn into_fields(inputs: Vec<SecretInput>) -> keystead_core::SecretFields {
        let mut fields = keystead_core::SecretFields::new();
        for mut input in inputs {
            let value = zeroize::Zeroizing::new(std::mem::take(&mut input.value));
            fields.insert(input.field, SecretString::from(value.trim().to_string()));
        }
        fields
    }
}

#[derive(TS)]
#[ts(export)]
#[derive(Debug, Deserialize)]
pub struct AddKeyInput {
    pub name: String,
    pub exchange: String,
    pub account: Option<String>,
    pub environment: Environment,
    /// Canonical scope names or the exchange's permission ids.
    pub scopes: Vec<String>,
    pub ip_allowlist: Vec<String>,
    /// `YYYY-MM-DD`.
    pub expires_at: Option<String>,
    /// `90d`, `12w`, `3m`, `1y`.
    pub rotate_every: Option<String>,
    pub tags: Vec<String>,
    pub notes: String,
    /// The key's own variable names for `keystead run`, by field (blank: none).
    #[serde(default)]
    pub env_names: BTreeMap<CredentialField, String>,
    /// The bots that use it: `bot` or `bot@host`.
    #[serde(default)]
    pub used_by: Vec<String>,
    pub secrets: Vec<SecretInput>,
    /// Add the key pair made by `new_key_pair` for this exchange; `secrets` then holds only the API key
    /// the exchange gave for its public key.
    #[serde(default)]
    pub key_pair: bool,
}

/// The editable metadata, replaced as a whole by the edit form.
#[derive(TS)]
#[ts(export)]
#[derive(Debug, Deserialize)]
pub struct EditKeyInput {
    pub name: String,
    pub account: Option<String>,
    pub environment: Environment,
    pub scopes: Vec<String>,
    pub ip_allowlist: Vec<String>,
    pub expires_at: Option<String>,
    pub rotate_every: Option<String>,
    pub tags: Vec<String>,
    pub notes: String,
    /// The key's own variable names for `keystead run`, all of them (blank: none).
    #[serde(default)]
    pub env_names: BTreeMap<CredentialField, String>,
    /// The bots that use it, all of them: `bot` or `bot@host` (required: a form that leaves it out
    /// must not clear them).
    pub used_by: Vec<String>,
}

/// A revealed secret, shown for `hide_after_seconds` and then dropped by the UI.
#[derive(TS)]
#[ts(export)]
#[derive(Serialize)]
pub struct RevealedSecret {
    #[serde(serialize_with = "expose")]
    #[ts(as = "String")]
    pub value: SecretString,
    pub hide_after_seconds: u32,
}

impl std::fmt::Debug for RevealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevealedSecret")
            .field("value", &"<redacted>")
            .finish()
    }
}

#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize)]
pub struct CopyResult {
    pub clears_in_seconds: u32,
}

#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize)]
pub struct AuditStatus {
    pub intact: bool,
    pub entries: u64,
    /// "Chain intact — 42 events" or what is broken, e.g. "Entry #7 was altered, swapped or replaced".
    pub message: String,
}

#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStep {
    RevokeOnExchange,
    CheckWithdrawals,
    CreateReplacement,
    UpdateBots,
    ScanForCopies,
}

impl IncidentStep {
    pub fn label(self) -> &'static str {
        match self {
            Self::RevokeOnExchange => "revoke the key on the exchange",
            Self::CheckWithdrawals => "check recent withdrawals and the withdrawal whitelist",
            Self::CreateReplacement => "create a replacement key",
            Self::UpdateBots => "update bots that used this key",
            Self::ScanForCopies => "scan for other copies of this key",
        }
    }
}

#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditExportFormat {
    Json,
    Csv,
}

/// A share file to make: which keys, for whom, where.
#[derive(TS)]
#[ts(export)]
#[derive(Deserialize)]
pub struct ShareExportInput {
    /// Key ids.
    pub keys: Vec<String>,
    /// Contact names and/or age1… / keystead-share1 keys.
    pub to: Vec<String>,
    /// A passphrase instead of recipients (sent once, moved into a secret type).
    #[ts(as = "Option<String>")]
    pub passphrase: Option<Typed>,
    pub armor: bool,
    /// Ids of withdraw-enabled keys the user confirmed one by one.
    pub confirm_withdraw: Vec<String>,
    /// The vault passphrase given again (step-up), when a chosen key can withdraw or transfer funds.
    #[serde(default)]
    #[ts(optional, as = "Option<String>")]
    pub vault_passphrase: Option<Typed>,
    /// How the recipient sees the sender named (unverified; the signature is what counts).
    pub sender_name: Option<String>,
    /// Full path of the file to write.
    pub path: String,
    /// Replace an existing file at `path`.
    pub overwrite: bool,
}

/// What an export wrote, and where.
#[derive(TS)]
#[ts(export)]
#[derive(Serialize)]
pub struct ShareExportResult {
    pub summary: keystead_core::share::ShareExportSummary,
    pub path: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_passphrase_arrives_as_a_secret_and_never_prints() {
        let t: Typed = serde_json::from_str(r#""correct horse battery staple""#).unwrap();
        assert_eq!(format!("{t:?}"), "Typed(<redacted>)");
        assert_eq!(
            t.into_secret().expose_secret(),
            "correct horse battery staple"
        );
        let input: ShareExportInput = serde_json::from_value(serde_json::json!({
            "keys": ["k"], "to": [], "passphrase": "share passphrase", "armor": false,
            "confirm_withdraw": [], "vault_passphrase": "vault passphrase",
            "sender_name": null, "path": "/tmp/x.age", "overwrite": false
        }))
        .unwrap();
        let shown = format!("{:?}", input.passphrase);
        assert!(!shown.contains("share passphrase"), "{shown}");
        assert!(input.vault_passphrase.is_some());
    }

    #[test]
    fn the_remember_status_says_why_this_device_cannot_be_remembered() {
        use keystead_core::vault::{DeviceStatus, RememberOff};
        assert_eq!(
            RememberStatus::from(DeviceStatus::Remembered),
            RememberStatus {
                remembered: true,
                unavailable: None,
                note: None
            }
        );
        let off = RememberStatus::from(DeviceStatus::Off(RememberOff::KeyringUnavailable {
            reason: "no OS keyring answered (no bus)".into(),
            vault_has_slots: false,
        }));
        assert!(!off.remembered);
        assert_eq!(
            off.unavailable.as_deref(),
            Some("No OS keyring answered (no bus).")
        );
        let gone = RememberStatus::from(DeviceStatus::Off(RememberOff::SlotGone));
        assert!(!gone.remembered && gone.unavailable.is_none() && gone.note.is_some());
        let never = RememberStatus::from(DeviceStatus::Off(RememberOff::NotRemembered));
        assert_eq!((never.unavailable, never.note), (None, None));
    }

    #[test]
    fn a_revealed_secret_goes_to_the_webview_as_its_text_and_debug_hides_it() {
        let r = RevealedSecret {
            value: SecretString::from("sk-live-1234"),
            hide_after_seconds: 20,
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"value": "sk-live-1234", "hide_after_seconds": 20})
        );
        assert!(!format!("{r:?}").contains("sk-live"));
    }

    /// Every passphrase or secret a command takes from the webview arrives as [`Typed`] (or the wiped
    /// [`SecretInput`]), never as a plain `String` that would be freed unwiped.
    #[test]
    fn no_command_takes_a_passphrase_as_a_plain_string() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/src");
        let mut files = vec![dir.join("types.rs")];
        for entry in std::fs::read_dir(dir.join("commands")).unwrap() {
            files.push(entry.unwrap().path());
        }
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let l = line.trim();
                let (name, ty) = match l.split_once(':') {
                    Some((name, ty)) => (name.trim_start_matches("pub ").trim(), ty.trim()),
                    None => continue,
                };
                if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                // `current` is the passphrase being replaced in settings (elsewhere, a folder).
                let secretish = name.contains("passphrase")
                    || (name == "current" && file.ends_with("settings.rs"));
                let plain = ty.starts_with("String") || ty.starts_with("Option<String>");
                assert!(
                    !(secretish && plain),
                    "{}:{}: `{l}` takes a passphrase as a plain String; use Typed",
                    file.display(),
                    n + 1
                );
            }
        }
    }
}

/// One file chosen for an import: its format as judged from its content, and whether it needs its own
/// password (a Hummingbot or KeePass file).
#[derive(TS)]
#[ts(export)]
#[derive(Serialize)]
pub struct ImportFileInfo {
    pub path: String,
    /// `None`: none of the formats Keystead reads (the user may name one).
    pub format: Option<keystead_core::import::SourceFormat>,
    pub format_label: Option<String>,
    pub needs_password: bool,
}

/// What the last automatic team sync (Settings → Team sync) did with one team: applied, nothing to
/// do, or waiting for the user (a conflict to choose, a refused member list). Names only, no secret.
#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamAutoSync {
    pub team: String,
    pub at: chrono::DateTime<chrono::Utc>,
    /// One line for the Team screen ("2 keys changed, 1 sent", "1 conflict waits for your choice").
    pub text: String,
    /// The sync was not applied: the user opens it with Sync now and chooses.
    pub needs_you: bool,
}

/// The Team screen: the teams this vault is in and what the automatic sync last did with each.
#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize)]
pub struct TeamOverview {
    pub teams: Vec<keystead_core::vault::TeamInfo>,
    pub auto_sync: Vec<TeamAutoSync>,
}
