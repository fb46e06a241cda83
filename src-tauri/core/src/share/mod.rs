//! Share files: keys passed to teammates in the age format, so the standard `age` tool opens them too.
//!
//! A file is an age file (encrypted to the recipients' sharing keys, or to a passphrase alone) holding one
//! signed JSON document. An import is opened and previewed in memory before anything is written.
//!
//! - `identity`: sharing keys (`keystead-share1:…` or a plain `age1…`) and this vault's identity;
//! - `envelope`: age encryption and decryption, and writing the file atomically;
//! - `document`: the wire types, the signature and every limit checked before a document is trusted;
//! - `preview`: the import preview and choices, the export request, and the summaries.

mod document;
mod envelope;
mod identity;
mod preview;

#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use document::parse_document;
pub(crate) use document::{build_document, SharedKey, WireEntryOut, WireSignature};
pub use document::{
    open, OpenedShare, ShareSender, TeamStamp, FORMAT, MAX_DEPTH, MAX_ENTRIES, MAX_STRING_BYTES,
    VERSION,
};
#[cfg(test)]
pub(crate) use envelope::decrypt as envelope_decrypt;
pub use envelope::{
    check_export_target, is_passphrase_protected, looks_like_share_file, read_file, same_file,
    write_file, MAX_FILE_BYTES, MAX_SCRYPT_WORK_FACTOR,
};
pub(crate) use envelope::{encrypt, resolved, Seal};
pub(crate) use identity::parse_verifying_key;
pub use identity::{Contact, ShareIdentity, SharingKey, SharingKeyInfo, SHARING_KEY_PREFIX};
pub use preview::{
    ExportedShare, ImportChoice, ShareEntryStatus, ShareExport, ShareExportSummary,
    ShareImportSummary, SharePreview, SharePreviewEntry,
};

use crate::error::Error;

/// The error for a share file refused before it is trusted.
fn refused(reason: impl Into<String>) -> Error {
    Error::ShareRefused {
        reason: reason.into(),
    }
}
