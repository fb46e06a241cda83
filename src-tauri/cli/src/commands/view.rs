//! Reading keys: `list`, `show`, `reveal`.

use super::{open, open_with_step_up};
use crate::failure::CliResult;
use crate::output;
use chrono::Utc;
use keystead_core::CredentialField;
use secrecy::ExposeSecret;
use std::io::Write;
use std::path::Path;

pub fn list(path: &Path, json: bool, used_by: Option<&str>) -> CliResult<()> {
    let vault = open(path)?;
    let mut keys = vault.list()?;
    if let Some(bot) = used_by.map(str::trim) {
        keys.retain(|k| k.used_by.iter().any(|u| u.bot == bot));
    }
    if json {
        output::json(&keys)
    } else {
        output::key_table(&keys, Utc::now());
        Ok(())
    }
}

pub fn show(path: &Path, name: &str, json: bool) -> CliResult<()> {
    let vault = open(path)?;
    if json {
        output::json(&output::detail_json(&vault.detail(name)?)?)
    } else {
        let entry = vault.find(name)?;
        output::detail(&entry, &vault.summary_of(&entry)?, Utc::now());
        Ok(())
    }
}

/// Prints one secret field and nothing else, so it can be piped (the vault audits the reveal).
pub fn reveal(path: &Path, name: &str, field: &str, version: Option<u32>) -> CliResult<()> {
    let field = CredentialField::parse(field)?;
    let (mut vault, mut step_up) = open_with_step_up(path)?;
    let value = step_up.run(|p| vault.reveal(name, field, version, p))?;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(value.expose_secret().as_bytes());
    let _ = out.write_all(b"\n");
    Ok(())
}
