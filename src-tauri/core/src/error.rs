//! Errors say what happened and what to do. Every variant's message is written for the person at the
//! keyboard; `kind()` tells a front end how to react (exit code, which screen).

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

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
    /// No vault file at the path.
    #[error("no vault at {}: create one with `keystead init`, or point --vault (or KEYSTEAD_VAULT) at an existing vault file", path.display())]
    NoVault { path: PathBuf },
    /// `init` on a path that already holds a file.
    #[error("a file already exists at {}: choose another path with --vault, or move that file away first", path.display())]
    VaultExists { path: PathBuf },
    /// The file is not a Keystead vault at all.
    #[error("{} is not a Keystead vault ({detail}): check the path given with --vault or KEYSTEAD_VAULT", path.display())]
    NotAVault { path: PathBuf, detail: String },
    /// A record failed authentication or the vault's structure is inconsistent.
    #[error(
        "the vault is damaged: {what}. Nothing was changed; restore the vault file from a backup"
    )]
    Damaged { what: String },
    /// The header asks for key-derivation work outside the accepted range; refused before deriving.
    #[error("the vault header's key-derivation parameters are out of range ({detail}); the header was altered or damaged. Restore the vault file from a backup")]
    KdfOutOfRange { detail: String },
    /// A vault written by a newer Keystead.
    #[error("this vault has format version {found}, newer than this Keystead understands ({supported}); update Keystead")]
    UnsupportedVersion { found: i64, supported: i64 },
    /// No key by that name or id.
    #[error("no key named '{name}': `keystead list` shows the names in this vault")]
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
    /// Another contact already has this name or this sharing key.
    #[error("{message}")]
    DuplicateContact { message: String },
    /// A sharing key (or age public key) that does not parse.
    #[error("not a sharing key ({detail}): paste the whole line `keystead whoami` prints (keystead-share1:age1…:…), or a plain age public key (age1…)")]
    BadSharingKey { detail: String },
    /// Keys with the withdraw scope were chosen for a share without confirming each one.
    #[error("{names} can withdraw funds: a share file would let everyone who opens it withdraw too. Confirm each one explicitly (--confirm-withdraw {names}), or leave it out")]
    WithdrawNotConfirmed { names: String },
    /// The share file cannot be read as a Keystead share: too large, malformed, wrong format or version,
    /// invalid entries. Nothing was imported.
    #[error(
        "the share file was refused: {reason}. Nothing was imported; ask the sender for a new file"
    )]
    ShareRefused { reason: String },
    /// No identity we hold opens the file.
    #[error("this share file was not made for you: it is encrypted to other people's sharing keys. Ask the sender to export it to your sharing key (`keystead whoami` shows it). Nothing was imported")]
    ShareNotForYou,
    /// The share passphrase does not open the file.
    #[error("wrong share passphrase: the file did not open. Ask the sender for the passphrase they chose when exporting. Nothing was imported")]
    WrongSharePassphrase,
    /// The file is protected by a passphrase and none was given.
    #[error("this share file is protected by a passphrase: give the passphrase the sender chose (`keystead share import --passphrase`). Nothing was imported")]
    SharePassphraseNeeded,
    /// The payload carries a signature that does not verify: altered after signing, or forged.
    #[error("the share file's signature does not verify ({detail}): it was altered after it was signed or it is forged. Nothing was imported; ask the sender for a new file")]
    BadSignature { detail: String },
    /// SQLite or the file system failed.
    #[error("could not read or write the vault file: {0}. Check the disk and file permissions, and that no other program is using the file")]
    Storage(String),
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::WrongPassphrase
            | Self::NotAVault { .. }
            | Self::Damaged { .. }
            | Self::KdfOutOfRange { .. }
            | Self::UnsupportedVersion { .. } => ErrorKind::Access,
            Self::Storage(_) => ErrorKind::Storage,
            _ => ErrorKind::Input,
        }
    }

    pub(crate) fn damaged(what: impl Into<String>) -> Self {
        Self::Damaged { what: what.into() }
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
