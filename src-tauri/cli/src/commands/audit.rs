//! `audit`: the timeline of events (optionally of one key), or `--verify` of its hash chain (exit 1 if broken).

use super::open;
use crate::failure::CliResult;
use crate::output;
use std::path::Path;
use std::process::ExitCode;

pub fn audit(path: &Path, json: bool, verify: bool, key: Option<String>) -> CliResult {
    let vault = open(path)?;
    if verify {
        let report = vault.verify_audit()?;
        return Ok(output::audit_report(&report, vault.warnings()));
    }
    let records = match key {
        Some(name) => vault.audit_for(vault.find(&name)?.id)?,
        None => vault.audit_log()?,
    };
    if json {
        output::json(&records)?;
    } else {
        output::audit_timeline(&records);
    }
    Ok(ExitCode::SUCCESS)
}
