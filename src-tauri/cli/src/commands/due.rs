//! `due`: the keys due within a window, exiting 1 when one is overdue or expired (for cron jobs).

use super::open;
use crate::failure::CliResult;
use crate::output;
use chrono::Utc;
use keystead_core::due::DueState;
use keystead_core::parse;
use std::path::Path;
use std::process::ExitCode;

pub fn due(path: &Path, within: &str, json: bool) -> CliResult {
    let days = parse::days(within)?;
    let vault = open(path)?;
    let keys = vault.due_within(chrono::Duration::days(days.into()))?;
    if json {
        output::json(&keys)?;
    } else {
        output::due_table(&keys, days, Utc::now());
    }
    if keys.iter().any(|k| k.due_state >= DueState::Overdue) {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
