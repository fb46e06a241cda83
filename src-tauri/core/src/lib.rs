//! Keystead's domain logic: the encrypted vault file, the audit chain, the exchange catalog, due state and
//! risk flags. Nothing here knows about Tauri, windows, notifications or the clipboard; time comes from a
//! [`Clock`] so that expiry logic is exact under test.

#[cfg(test)]
mod alloc_probe;
pub mod anchor;
pub mod audit;
pub mod catalog;
pub mod clock;
mod crypto;
pub mod device_key;
pub mod due;
pub mod error;
pub mod exchange;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod import;
pub mod key_list;
mod memlock;
pub mod model;
pub mod parse;
pub mod private_file;
pub mod process;
pub mod reminders;
pub mod scan;
pub mod secret;
pub mod share;
pub mod team;
mod validate;
pub mod vault;
pub mod view;

pub use audit::{AuditAction, AuditEvent, AuditRecord, AuditReport};
pub use catalog::Exchange;
pub use clock::{Clock, FixedClock, SystemClock};
pub use crypto::KdfParams;
pub use due::{DueInfo, DueKind, DueState, RiskFlag};
pub use error::{Error, Result};
pub use model::{
    BulkEdit, Environment, FoundInPlaintext, KeyEdit, KeyEntry, KeyStatus, KeyUse, KeyUseKind,
    KeyUser, MemberLeft, NewKey, RunRequest, Scope, SecretVersionInfo,
};
pub use reminders::{
    KeyLabel, KeyReminder, LockedDue, Reminder, ReminderPolicy, ReminderText, SentReminder,
    Threshold,
};
pub use secret::{CredentialField, SecretFields};
pub use share::{
    Contact, ImportChoice, OpenedShare, ShareEntryStatus, ShareExport, ShareImportSummary,
    SharePreview, ShareSender, SharingKey, SharingKeyInfo,
};
pub use vault::Vault;
pub use view::{CheckSummary, KeyDetail, KeySummary};
