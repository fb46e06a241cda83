//! Hummingbot connector files (`conf/connectors/<exchange>.yml`). Written by the Hummingbot helper.

use super::Candidate;
use crate::error::{Error, Result};
use secrecy::SecretString;
use std::path::Path;

pub(super) fn looks_like(_text: &str) -> bool {
    false
}

pub(super) fn parse(
    _path: &Path,
    _text: &str,
    _password: &SecretString,
    _warnings: &mut Vec<String>,
) -> Result<Vec<Candidate>> {
    Err(Error::input("Hummingbot files are not read yet"))
}
