//! Errors say what happened, and what to do where that is the same in every front end. Every variant's
//! message is written for the person at the keyboard; `kind()` tells a front end how to react (exit code,
//! which screen). Advice that names a command, a flag or a setting of one front end is that front end's to
//! add (the CLI's is in `keystead-cli`'s `failure.rs`).

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a key's release or downgrade needs the passphrase again: it can move funds…
pub const MOVES_FUNDS: &str = "can withdraw or transfer funds";
/// …or it holds a private key made inside Keystead, which has never left the vault.
pub const KEY_PAIR_MADE_HERE: &str = "holds a private key made in Keystead";

/// How a front end should treat an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request itself is wrong (a name, a date, a missing field); fix the input and retry.
    Input,
    /// The vault could not be opened: wrong passphrase, or a damaged or altered file.
    Access,
    /// The vault file could not be read or written (disk, permissions, another program holds it).
    Storage,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The passphrase did not unlock the vault key.
    #[error("wrong passphrase: the vault did not unlock. Check the passphrase and try again (if you are sure it is right, the vault header may have been altered)")]
    WrongPassphrase,
    /// Too many wrong passphrases in a row for this vault file: no check was made. The wait grows with
    /// each further failure and is kept in the file, so a restart does not shorten it.
    #[error("too many wrong passphrases: wait {wait_seconds} s before trying again (nothing was checked)")]
    RetryLater { wait_seconds: u64 },
    /// No vault file at the path.
    #[error("no vault at {}", path.display())]
    NoVault { path: PathBuf },
    /// `init` on a path that already holds a file.
    #[error("a file already exists at {}", path.display())]
    VaultExists { path: PathBuf },
    /// The file is not a Keystead vault at all.
    #[error("{} is not a Keystead vault ({detail})", path.display())]
    NotAVault { path: PathBuf, detail: String },
    /// A record failed authentication or the vault's structure is inconsistent.
    #[error(
        "the vault is damaged: {what}. Nothing was changed; restore the vault file from a backup"
    )]
    Damaged { what: String },
    /// The header asks for key-derivation work outside the accepted range; refused before deriving.
    #[error("the vault header's key-derivation parameters are out of range ({detail}); the header was altered or damaged. Restore the vault file from a backup")]
    KdfOutOfRange { detail: String },
    /// The header asks for more key-derivation work than this machine can do in a few seconds (within the
    /// accepted range, but beyond this machine's budget); refused before deriving.
    #[error("the vault header asks for more key-derivation work than this machine allows ({detail}). If you chose these settings, open the vault on a machine with more memory and change the passphrase there (that sets new parameters); otherwise the header was altered: restore the vault file from a backup")]
    KdfTooCostly { detail: String },
    /// A vault written by a newer Keystead.
    #[error("this vault has format version {found}, newer than this Keystead understands ({supported}); update Keystead")]
    UnsupportedVersion { found: i64, supported: i64 },
    /// No key by that name or id.
    #[error("no key named '{name}'")]
    KeyNotFound { name: String },
    /// Another key already has this name.
    #[error("a key named '{name}' already exists: choose another name, or edit that key")]
    DuplicateName { name: String },
    #[error("unknown exchange '{given}': use one of {known}")]
    UnknownExchange { given: String, known: String },
    #[error("unknown scope '{given}' for {exchange}: use one of {valid}")]
    UnknownScope {
        given: String,
        exchange: String,
        valid: String,
    },
    #[error("unknown credential field '{given}': use one of {valid}")]
    UnknownField { given: String, valid: String },
    /// Required credential fields were not given.
    #[error("{exchange} keys need {fields}: supply {them} too", them = if fields.contains(',') { "them" } else { "it" })]
    MissingFields { exchange: String, fields: String },
    /// The key has no such secret field or version.
    #[error("{message}")]
    NoSuchSecret { message: String },
    /// The passphrase is too short to protect a vault.
    #[error(
        "the passphrase is too short: use at least {min} characters (a few random words work well)"
    )]
    WeakPassphrase { min: usize },
    /// Any other malformed input (date, duration, address, name).
    #[error("{message}")]
    InvalidInput { message: String },
    /// The operation does not apply to a key in its current status.
    #[error("'{name}' is {status}: {hint}")]
    NotActive {
        name: String,
        status: String,
        hint: String,
    },
    /// No contact by that name.
    #[error("no contact named '{name}': {hint}")]
    ContactNotFound { name: String, hint: String },
    /// A contact was named but the vault has none.
    #[error("no contact named '{name}': you have no contacts yet")]
    NoContacts { name: String },
    /// Another contact already has this name or this sharing key.
    #[error("{message}")]
    DuplicateContact { message: String },
    /// A sharing key (or age public key) that does not parse.
    #[error("not a sharing key ({detail}): paste the whole sharing key line (keystead-share1:age1…:…), or a plain age public key (age1…)")]
    BadSharingKey { detail: String },
    /// A share was asked for without naming any key.
    #[error("no key chosen to share")]
    NoKeysChosen,
    /// A share was asked for both recipients and a passphrase.
    #[error("a share file is protected either by recipients or by a passphrase, not both (the age format requires the passphrase alone)")]
    RecipientsAndPassphrase,
    /// A share was asked for with neither recipients nor a passphrase.
    #[error("no recipient: the file needs contacts, age keys or a passphrase")]
    NoRecipient,
    /// Keys with the withdraw scope were chosen for a share without confirming each one.
    #[error(
        "{names} can withdraw funds: a share file would let everyone who opens it withdraw too"
    )]
    WithdrawNotConfirmed { names: String },
    /// The share file cannot be read as a Keystead share: too large, malformed, wrong format or version,
    /// invalid entries. Nothing was imported.
    #[error(
        "the share file was refused: {reason}. Nothing was imported; ask the sender for a new file"
    )]
    ShareRefused { reason: String },
    /// A team vault operation that cannot go on (not a member, a remote that moved on, a remote that
    /// already holds a team, …): what happened and what to do. Nothing was changed.
    #[error("{message}")]
    Team { message: String },
    /// No identity we hold opens the file.
    #[error("this share file was not made for you: it is encrypted to other people's sharing keys. Ask the sender to export it to your sharing key. Nothing was imported")]
    ShareNotForYou,
    /// The share passphrase does not open the file.
    #[error("wrong share passphrase: the file did not open. Ask the sender for the passphrase they chose when exporting. Nothing was imported")]
    WrongSharePassphrase,
    /// The file is protected by a passphrase and none was given.
    #[error("this share file is protected by a passphrase: give the passphrase the sender chose. Nothing was imported")]
    SharePassphraseNeeded,
    /// The payload carries a signature that does not verify: altered after signing, or forged.
    #[error("the share file's signature does not verify ({detail}): it was altered after it was signed or it is forged. Nothing was imported; ask the sender for a new file")]
    BadSignature { detail: String },
    /// The operation releases or downgrades the secret of a key that can withdraw or transfer funds
    /// (reveal, copy, share export, removing the withdraw or transfer scope) and the vault passphrase
    /// was not given again for it.
    #[error("'{name}' {why}: {what} needs the vault passphrase again")]
    StepUpRequired {
        name: String,
        /// Why the key is guarded: [`MOVES_FUNDS`] or [`KEY_PAIR_MADE_HERE`].
        why: String,
        what: String,
    },
    /// The vault did not open with this device ("remember on this device"): why, and that the passphrase
    /// still works.
    #[error("{why}")]
    RememberOff { why: crate::vault::RememberOff },
    /// SQLite or the file system failed.
    #[error("could not read or write the vault file: {0}. Check the disk and file permissions, and that no other program is using the file")]
    Storage(String),
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::WrongPassphrase
            | Self::RetryLater { .. }
            | Self::NotAVault { .. }
            | Self::Damaged { .. }
            | Self::KdfOutOfRange { .. }
            | Self::KdfTooCostly { .. }
            | Self::UnsupportedVersion { .. } => ErrorKind::Access,
            Self::Storage(_) => ErrorKind::Storage,
            _ => ErrorKind::Input,
        }
    }

    pub(crate) fn damaged(what: impl Into<String>) -> Self {
        Self::Damaged { what: what.into() }
    }

    pub(crate) fn team(message: impl Into<String>) -> Self {
        Self::Team {
            message: message.into(),
        }
    }

    pub(crate) fn input(message: impl Into<String>) -> Self {
        Self::InvalidInput {
            message: message.into(),
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode;
        match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(f.code, ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) =>
            {
                Self::damaged(format!("SQLite reports: {e}"))
            }
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::QueryReturnedNoRows => {
                Self::damaged(format!("unexpected contents ({e})"))
            }
            _ => Self::Storage(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of every variant. The match in `variant_index` has no wildcard, so a new variant does not
    /// compile until it has an index, and the test fails until it is also in this list.
    fn every_variant() -> Vec<Error> {
        let path = || PathBuf::from("/home/trader/vault.db");
        let text = || "some detail".to_string();
        vec![
            Error::WrongPassphrase,
            Error::NoVault { path: path() },
            Error::VaultExists { path: path() },
            Error::NotAVault {
                path: path(),
                detail: text(),
            },
            Error::Damaged { what: text() },
            Error::KdfOutOfRange { detail: text() },
            Error::UnsupportedVersion {
                found: 9,
                supported: 1,
            },
            Error::KeyNotFound { name: text() },
            Error::DuplicateName { name: text() },
            Error::UnknownExchange {
                given: text(),
                known: text(),
            },
            Error::UnknownScope {
                given: text(),
                exchange: text(),
                valid: text(),
            },
            Error::UnknownField {
                given: text(),
                valid: text(),
            },
            Error::MissingFields {
                exchange: text(),
                fields: "secret, password".into(),
            },
            Error::NoSuchSecret { message: text() },
            Error::WeakPassphrase { min: 8 },
            Error::InvalidInput { message: text() },
            Error::NotActive {
                name: text(),
                status: text(),
                hint: text(),
            },
            Error::ContactNotFound {
                name: text(),
                hint: text(),
            },
            Error::NoContacts { name: text() },
            Error::DuplicateContact { message: text() },
            Error::BadSharingKey { detail: text() },
            Error::NoKeysChosen,
            Error::RecipientsAndPassphrase,
            Error::NoRecipient,
            Error::WithdrawNotConfirmed { names: text() },
            Error::ShareRefused { reason: text() },
            Error::Team { message: text() },
            Error::ShareNotForYou,
            Error::WrongSharePassphrase,
            Error::SharePassphraseNeeded,
            Error::BadSignature { detail: text() },
            Error::Storage(text()),
            Error::RetryLater { wait_seconds: 4 },
            Error::KdfTooCostly { detail: text() },
            Error::StepUpRequired {
                name: text(),
                why: text(),
                what: text(),
            },
            Error::RememberOff {
                why: crate::vault::RememberOff::NotRemembered,
            },
            Error::RememberOff {
                why: crate::vault::RememberOff::SlotGone,
            },
            Error::RememberOff {
                why: crate::vault::RememberOff::KeyringUnavailable {
                    reason: text(),
                    vault_has_slots: true,
                },
            },
        ]
    }

    fn variant_index(e: &Error) -> usize {
        match e {
            Error::WrongPassphrase => 0,
            Error::NoVault { .. } => 1,
            Error::VaultExists { .. } => 2,
            Error::NotAVault { .. } => 3,
            Error::Damaged { .. } => 4,
            Error::KdfOutOfRange { .. } => 5,
            Error::UnsupportedVersion { .. } => 6,
            Error::KeyNotFound { .. } => 7,
            Error::DuplicateName { .. } => 8,
            Error::UnknownExchange { .. } => 9,
            Error::UnknownScope { .. } => 10,
            Error::UnknownField { .. } => 11,
            Error::MissingFields { .. } => 12,
            Error::NoSuchSecret { .. } => 13,
            Error::WeakPassphrase { .. } => 14,
            Error::InvalidInput { .. } => 15,
            Error::NotActive { .. } => 16,
            Error::ContactNotFound { .. } => 17,
            Error::NoContacts { .. } => 18,
            Error::DuplicateContact { .. } => 19,
            Error::BadSharingKey { .. } => 20,
            Error::NoKeysChosen => 21,
            Error::RecipientsAndPassphrase => 22,
            Error::NoRecipient => 23,
            Error::WithdrawNotConfirmed { .. } => 24,
            Error::ShareRefused { .. } => 25,
            Error::ShareNotForYou => 26,
            Error::WrongSharePassphrase => 27,
            Error::SharePassphraseNeeded => 28,
            Error::BadSignature { .. } => 29,
            Error::Storage(_) => 30,
            Error::RetryLater { .. } => 31,
            Error::KdfTooCostly { .. } => 32,
            Error::StepUpRequired { .. } => 33,
            Error::RememberOff {
                why: crate::vault::RememberOff::NotRemembered,
            } => 34,
            Error::RememberOff {
                why: crate::vault::RememberOff::SlotGone,
            } => 35,
            Error::RememberOff {
                why: crate::vault::RememberOff::KeyringUnavailable { .. },
            } => 36,
            Error::Team { .. } => 37,
        }
    }

    /// Why a message would be wrong in the desktop window: it names something only the CLI has.
    fn names_the_cli(message: &str) -> Option<&'static str> {
        let flag = message
            .as_bytes()
            .windows(3)
            .any(|w| w[0] == b'-' && w[1] == b'-' && w[2].is_ascii_alphabetic());
        if flag {
            Some("a command-line flag (--…)")
        } else if message.contains("KEYSTEAD_") {
            Some("an environment variable (KEYSTEAD_…)")
        } else if message.contains("`keystead ") {
            Some("a `keystead …` command")
        } else {
            None
        }
    }

    #[test]
    fn no_message_names_a_cli_flag_variable_or_command() {
        let all = every_variant();
        let mut indices: Vec<usize> = all.iter().map(variant_index).collect();
        indices.sort_unstable();
        assert_eq!(
            indices,
            (0..=37).collect::<Vec<_>>(),
            "every_variant() must hold each variant exactly once"
        );
        for e in &all {
            let message = e.to_string();
            assert!(!message.is_empty(), "{e:?} has no message");
            if let Some(what) = names_the_cli(&message) {
                panic!("{e:?} names {what}; that advice belongs to the front end: {message}");
            }
        }
    }

    #[test]
    fn the_cli_check_catches_what_the_messages_used_to_say() {
        for old in [
            "point --vault (or KEYSTEAD_VAULT) at an existing vault file",
            "`keystead list` shows the names",
            "(--confirm-withdraw okx-hot)",
        ] {
            assert!(names_the_cli(old).is_some(), "{old}");
        }
        assert_eq!(
            names_the_cli("keystead-share1:age1…:… — a dash -- then a space"),
            None
        );
    }
}
