//! Bitwarden's unencrypted JSON export. Written by the KeePass helper.

use super::Candidate;
use crate::error::{Error, Result};

pub(super) fn looks_like(_text: &str) -> bool {
    false
}

pub(super) fn parse(_text: &str, _warnings: &mut Vec<String>) -> Result<Vec<Candidate>> {
    Err(Error::input("Bitwarden exports are not read yet"))
}
