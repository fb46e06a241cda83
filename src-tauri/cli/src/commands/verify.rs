//! `verify`: ask each key's exchange what the key can really do, show it beside the record with each
//! difference in words, and with --accept write the exchange's view into the record (audited).

use super::open_with_step_up;
use crate::failure::CliResult;
use crate::output;
use keystead_core::catalog;
use keystead_core::exchange::{CheckOptions, VerifyOutcome};
use keystead_core::KeyStatus;
use std::path::Path;
use std::process::ExitCode;

pub fn verify(path: &Path, names: Vec<String>, json: bool, accept: bool) -> CliResult {
    // Read the environment first: a bad KEYSTEAD_BASE_URL_* stops before the passphrase is asked.
    let options = CheckOptions::from_env()?;
    let (mut vault, mut step_up) = open_with_step_up(path)?;
    let names = if names.is_empty() {
        let all: Vec<String> = vault
            .list()?
            .into_iter()
            .filter(|k| k.status == KeyStatus::Active)
            .filter(|k| catalog::exchange(&k.exchange).is_ok_and(|e| e.key_info.is_some()))
            .map(|k| k.name)
            .collect();
        if all.is_empty() {
            return Err(crate::failure::usage(
                "no active key of an exchange Keystead can check (Binance, Coinbase, Kraken, OKX, Bybit, KuCoin)",
            ));
        }
        all
    } else {
        names
    };
    let mut results = Vec::new();
    let mut accepted = Vec::new();
    for name in &names {
        let checked = vault.verify_key(name, &options)?;
        if accept && checked.verification.outcome == VerifyOutcome::Drift {
            let entry = step_up.run(|p| vault.accept_exchange_view(&checked.name, p))?;
            accepted.push(entry.name);
        }
        results.push(checked);
    }
    if json {
        output::json(&serde_json::json!({ "keys": results, "accepted": accepted }))?;
    } else {
        for r in &results {
            output::verification(r);
        }
        for name in &accepted {
            println!(
                "Accepted the exchange's view into '{}' (audited).",
                output::shown(name)
            );
        }
    }
    let worst = results
        .iter()
        .map(|r| r.verification.outcome)
        .fold(0u8, |code, o| {
            code.max(match o {
                VerifyOutcome::Agrees => 0,
                VerifyOutcome::Drift | VerifyOutcome::Rejected => 1,
                VerifyOutcome::Failed => 2,
            })
        });
    Ok(ExitCode::from(worst))
}
