//! Errors cross IPC as `{ code, message }`. A code exists only where the UI branches on it.

use keystead_core::error::ErrorKind;
use serde::Serialize;
use ts_rs::TS;

#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The unlock screen says so and keeps the field.
    WrongPassphrase,
    /// Too many wrong passphrases (core's throttle): the UI counts down `VaultStatus.retry_after_ms`.
    RetryLater,
    /// The vault is locked: the UI returns to the unlock screen.
    Locked,
    /// A withdraw-enabled key's secret needs the passphrase again.
    StepUpRequired,
    /// The vault file is damaged or not a vault.
    Damaged,
    /// Anything the user can fix in the form (the message says what).
    Invalid,
    /// Disk or keyring trouble.
    Storage,
    /// The file to write exists: the UI asks whether to replace it.
    FileExists,
}

#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn locked() -> Self {
        Self::new(
            ErrorCode::Locked,
            "The vault is locked: unlock it to continue.",
        )
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Invalid, message)
    }
}

/// Capitalised first letter: core messages are written to follow "error: " on a terminal.
/// Core's messages follow "error: " on a terminal: lower-case start, no final stop. In the window they
/// stand alone as sentences.
fn sentence(text: String) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return text,
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// What to do, in the app's own words (its screens, dialogs and buttons), for the core errors where the
/// window has a way out that core cannot name. Core's message says what went wrong; this follows it.
fn advice(e: &keystead_core::Error) -> Option<&'static str> {
    use keystead_core::Error as E;
    Some(match e {
        E::NoVault { .. } => {
            "Create a vault on this screen, or choose another vault file with \"Use another vault file…\"."
        }
        E::VaultExists { .. } => {
            "Unlock it, or choose another path with \"Use another vault file…\" on the unlock screen."
        }
        E::NotAVault { .. } => {
            "Choose the vault file with \"Use another vault file…\" on the unlock screen."
        }
        E::KeyNotFound { .. } => "It may have been renamed or removed: search the Keys list.",
        E::ContactNotFound { .. } => "Your contacts are in Settings → Sharing.",
        E::BadSharingKey { .. } => {
            "Paste the whole line your teammate copies from \"My sharing key\" in their Settings → Sharing (keystead-share1:age1…:…), or a plain age public key (age1…)."
        }
        E::WithdrawNotConfirmed { .. } => {
            "Tick \"I confirm sending …\" beside each key under \"Withdraw-enabled keys\" in \"Share keys\", or leave the key out."
        }
        E::ShareNotForYou => {
            "Your sharing key is under \"My sharing key\" in Settings → Sharing: send it to the sender."
        }
        E::SharePassphraseNeeded => {
            "Type it in the passphrase field of \"Import shared keys\", then choose Open."
        }
        E::NoContacts { .. } => "Add one in Settings → Sharing → Contacts.",
        E::NoKeysChosen => "Tick the keys to share under \"Keys\" in \"Share keys\".",
        E::RecipientsAndPassphrase | E::NoRecipient => {
            "Under \"Who can open it\", tick contacts or paste sharing keys, or choose \"Protect with a passphrase instead\" alone."
        }
        _ => return None,
    })
}

impl From<keystead_core::Error> for AppError {
    fn from(e: keystead_core::Error) -> Self {
        let code = match (&e, e.kind()) {
            (keystead_core::Error::WrongPassphrase, _) => ErrorCode::WrongPassphrase,
            (keystead_core::Error::RetryLater { .. }, _) => ErrorCode::RetryLater,
            (keystead_core::Error::StepUpRequired { .. }, _) => ErrorCode::StepUpRequired,
            (_, ErrorKind::Access) => ErrorCode::Damaged,
            (_, ErrorKind::Storage) => ErrorCode::Storage,
            (_, ErrorKind::Input) => ErrorCode::Invalid,
        };
        let mut message = sentence(e.to_string());
        if let Some(advice) = advice(&e) {
            message.push(' ');
            message.push_str(advice);
        }
        Self::new(code, message)
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;
    use keystead_core::share::ShareExport;
    use keystead_core::vault::OpenOptions;
    use keystead_core::{Error as E, KdfParams, Vault};
    use secrecy::SecretString;
    use std::path::PathBuf;
    use std::sync::Arc;

    #[test]
    fn core_messages_become_sentences_in_the_window() {
        let e = AppError::from(keystead_core::Error::WrongSharePassphrase);
        assert_eq!(e.code, ErrorCode::Invalid);
        assert!(
            e.message.starts_with("Wrong share passphrase"),
            "{}",
            e.message
        );
        assert!(
            e.message.ends_with("Nothing was imported."),
            "{}",
            e.message
        );
        assert_eq!(sentence("done.".into()), "Done.");
        assert_eq!(sentence(String::new()), "");
    }

    /// The part of a window message that is command-line advice: a flag (`--to`), an environment
    /// variable (`KEYSTEAD_VAULT`) or a `keystead …` command. The window has buttons, not a terminal.
    fn cli_advice_in(message: &str) -> Option<String> {
        let chars: Vec<char> = message.chars().collect();
        if let Some(i) = chars
            .windows(3)
            .position(|w| w[0] == '-' && w[1] == '-' && w[2].is_ascii_alphabetic())
        {
            return Some(
                chars[i..]
                    .iter()
                    .take_while(|c| !c.is_whitespace())
                    .collect(),
            );
        }
        ["KEYSTEAD_", "`keystead "]
            .into_iter()
            .find(|bad| message.contains(bad))
            .map(str::to_string)
    }

    /// Every window message among `errors` that names the command line, with what it names.
    fn cli_advice(errors: impl IntoIterator<Item = keystead_core::Error>) -> Vec<String> {
        errors
            .into_iter()
            .map(AppError::from)
            .filter_map(|e| cli_advice_in(&e.message).map(|bad| format!("{bad} in: {}", e.message)))
            .collect()
    }

    #[test]
    fn command_line_advice_is_recognised() {
        assert_eq!(
            cli_advice_in("Drop --to or --passphrase.").as_deref(),
            Some("--to")
        );
        assert!(cli_advice_in("Point KEYSTEAD_VAULT at it.").is_some());
        assert!(cli_advice_in("`keystead list` shows the names.").is_some());
        assert_eq!(cli_advice_in("Version 1 -- 2, a dash — and -x."), None);
    }

    /// Each core error, with fields as core fills them.
    fn every_core_error() -> Vec<keystead_core::Error> {
        let path = PathBuf::from("/home/ana/.local/share/keystead/vault.db");
        vec![
            E::WrongPassphrase,
            E::NoContacts {
                name: "bob".into(),
            },
            E::NoKeysChosen,
            E::RecipientsAndPassphrase,
            E::NoRecipient,
            E::NoVault { path: path.clone() },
            E::VaultExists { path: path.clone() },
            E::NotAVault {
                path,
                detail: "file is not a database".into(),
            },
            E::Damaged {
                what: "the record of key 0193a1 does not authenticate".into(),
            },
            E::KdfOutOfRange {
                detail: "memory 8 MiB is below 64 MiB".into(),
            },
            E::UnsupportedVersion {
                found: 9,
                supported: 3,
            },
            E::KeyNotFound {
                name: "binance-main".into(),
            },
            E::DuplicateName {
                name: "binance-main".into(),
            },
            E::UnknownExchange {
                given: "binanse".into(),
                known: "binance, okx, bybit, kraken".into(),
            },
            E::UnknownScope {
                given: "withdrawl".into(),
                exchange: "Binance".into(),
                valid: "read, trade, withdraw".into(),
            },
            E::UnknownField {
                given: "apikey2".into(),
                valid: "apiKey, secret".into(),
            },
            E::MissingFields {
                exchange: "OKX".into(),
                fields: "secret, password".into(),
            },
            E::NoSuchSecret {
                message: "'binance-main' has no version 4: its versions are 1 to 3".into(),
            },
            E::WeakPassphrase { min: 12 },
            E::InvalidInput {
                message: "'2026-13-01' is not a date: use YYYY-MM-DD".into(),
            },
            E::NotActive {
                name: "binance-main".into(),
                status: "revoked".into(),
                hint: "only active keys are shared".into(),
            },
            E::ContactNotFound {
                name: "carol".into(),
                hint: "your contacts are alice, bob".into(),
            },
            E::DuplicateContact {
                message: "a contact named 'alice' already exists: choose another name, or remove or rename that contact first".into(),
            },
            E::BadSharingKey {
                detail: "no age1 key in it".into(),
            },
            E::WithdrawNotConfirmed {
                names: "binance-main".into(),
            },
            E::ShareRefused {
                reason: "entry 2 has no name".into(),
            },
            E::ShareNotForYou,
            E::WrongSharePassphrase,
            E::SharePassphraseNeeded,
            E::BadSignature {
                detail: "signature mismatch".into(),
            },
            E::Storage("database is locked".into()),
        ]
    }

    // Waits on core's rewording (issue 9): on today's core text this fails for NoVault, VaultExists,
    // NotAVault, KeyNotFound, BadSharingKey, WithdrawNotConfirmed, ShareNotForYou and
    // SharePassphraseNeeded, whose messages still carry the CLI's advice.
    #[test]
    fn no_core_error_reaches_the_window_with_command_line_advice() {
        let bad = cli_advice(every_core_error());
        assert!(
            bad.is_empty(),
            "command-line advice in the window:\n{}",
            bad.join("\n")
        );
    }

    // Waits on core's rewording too, and beyond error.rs: today NoVault, VaultExists, KeyNotFound and
    // BadSharingKey fail as above, and so do texts core writes in vault/sharing.rs: the empty contact
    // list's hint (`keystead contacts add`) and share_export's input checks (--keys, --to, --passphrase).
    #[test]
    fn errors_of_real_core_operations_reach_the_window_without_command_line_advice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let opts = || OpenOptions::new(Arc::new(keystead_core::SystemClock), "app");
        let pass = SecretString::from("correct horse battery staple".to_string());
        let mut errors = vec![Vault::unlock(&path, &pass, opts()).err()];
        let mut v = Vault::create(&path, &pass, KdfParams::FLOOR, opts()).unwrap();
        errors.push(Vault::create(&path, &pass, KdfParams::FLOOR, opts()).err());
        errors.push(v.detail("binance-main").err());
        errors.push(v.remove_contact("bob").err());
        errors.push(v.add_contact("bob", "not-a-sharing-key").err());
        let export = |keys: &[&str], to: &[&str], passphrase: Option<&str>| ShareExport {
            keys: keys.iter().map(|k| k.to_string()).collect(),
            to: to.iter().map(|t| t.to_string()).collect(),
            passphrase: passphrase.map(|p| SecretString::from(p.to_string())),
            armor: false,
            confirm_withdraw: vec![],
            sender_name: None,
            scrypt_work_factor: None,
            step_up: None,
        };
        errors.push(v.share_export(&export(&[], &["alice"], None)).err());
        errors.push(
            v.share_export(&export(
                &["binance-main"],
                &["alice"],
                Some("a long passphrase"),
            ))
            .err(),
        );
        errors.push(v.share_export(&export(&["binance-main"], &[], None)).err());
        errors.push(v.share_open(b"not a share file", None).err());
        assert!(
            errors.iter().all(Option::is_some),
            "each operation above must fail"
        );
        let bad = cli_advice(errors.into_iter().flatten());
        assert!(
            bad.is_empty(),
            "command-line advice in the window:\n{}",
            bad.join("\n")
        );
    }

    #[test]
    fn the_window_says_where_in_the_app_to_go_when_core_cannot() {
        let says = |e: keystead_core::Error, words: &str| {
            let message = AppError::from(e).message;
            assert!(message.contains(words), "{words:?} missing in: {message}");
        };
        let path = PathBuf::from("/home/ana/vault.db");
        says(E::NoVault { path }, "\"Use another vault file…\"");
        says(
            E::KeyNotFound {
                name: "binance-main".into(),
            },
            "search the Keys list",
        );
        says(
            E::WithdrawNotConfirmed {
                names: "binance-main".into(),
            },
            "\"Withdraw-enabled keys\" in \"Share keys\"",
        );
        says(
            E::BadSharingKey {
                detail: "no age1 key in it".into(),
            },
            "\"My sharing key\"",
        );
        says(E::ShareNotForYou, "\"My sharing key\"");
        says(E::SharePassphraseNeeded, "\"Import shared keys\"");
        says(
            E::ContactNotFound {
                name: "carol".into(),
                hint: "your contacts are alice, bob".into(),
            },
            "Settings → Sharing",
        );
        let weak = || E::WeakPassphrase { min: 12 };
        assert_eq!(
            AppError::from(weak()).message,
            sentence(weak().to_string()),
            "where the form itself is the way out, nothing is added"
        );
    }
}
