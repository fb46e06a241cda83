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
    /// Too many failed unlocks: the UI counts down `VaultStatus.retry_after_ms`.
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

impl From<keystead_core::Error> for AppError {
    fn from(e: keystead_core::Error) -> Self {
        let code = match (&e, e.kind()) {
            (keystead_core::Error::WrongPassphrase, _) => ErrorCode::WrongPassphrase,
            (_, ErrorKind::Access) => ErrorCode::Damaged,
            (_, ErrorKind::Storage) => ErrorCode::Storage,
            (_, ErrorKind::Input) => ErrorCode::Invalid,
        };
        Self::new(code, sentence(e.to_string()))
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

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
}
