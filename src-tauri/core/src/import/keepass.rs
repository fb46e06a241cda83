//! KeePass databases (KDBX) and KeePassXC CSV exports. Written by the KeePass helper.

use super::Candidate;
use crate::error::{Error, Result};
use secrecy::SecretString;

pub(super) fn is_kdbx(_bytes: &[u8]) -> bool {
    false
}

pub(super) fn looks_like_csv(_text: &str) -> bool {
    false
}

pub(super) fn parse_kdbx(
    _bytes: &[u8],
    _password: &SecretString,
    _warnings: &mut Vec<String>,
) -> Result<Vec<Candidate>> {
    Err(Error::input("KeePass databases are not read yet"))
}

pub(super) fn parse_csv(_text: &str, _warnings: &mut Vec<String>) -> Result<Vec<Candidate>> {
    Err(Error::input("KeePassXC CSV files are not read yet"))
}
