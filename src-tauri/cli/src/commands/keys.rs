//! Adding and changing keys: `add`, `edit`, `rotate`, `revoke`, `compromised`.

use super::{open, open_with_step_up};
use crate::args::{AddArgs, EditArgs, ScheduledCheck};
use crate::failure::{usage, CliResult};
use crate::output::{self, Shown};
use crate::prompt;
use chrono::Utc;
use keystead_core::exchange::keypair;
use keystead_core::vault;
use keystead_core::{catalog, parse, CredentialField, Exchange, KeyEdit, NewKey, SecretFields};
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// `--var FIELD=NAME` options as a map (a blank NAME kept, meaning "none"); checked again in core.
fn variables(vars: &[String]) -> CliResult<BTreeMap<CredentialField, String>> {
    let mut out = BTreeMap::new();
    for v in vars {
        let Some((field, name)) = v.split_once('=') else {
            return Err(usage(format!(
                "--var takes FIELD=NAME, e.g. --var apiKey=BINANCE_API_KEY, not '{}'",
                Shown(v)
            )));
        };
        out.insert(
            CredentialField::parse(field.trim())?,
            name.trim().to_string(),
        );
    }
    Ok(out)
}

pub fn add(path: &Path, a: AddArgs) -> CliResult<()> {
    let exchange = catalog::exchange(&a.exchange)?;
    let new = NewKey {
        name: parse::key_name(&a.name)?,
        exchange: exchange.id.to_string(),
        account: a.account,
        environment: Some(a.environment.parse()?),
        scopes: a.scopes,
        ip_allowlist: parse::ip_allowlist(&a.ip)?,
        expires_at: a.expires.as_deref().map(parse::date).transpose()?,
        rotation_days: a.rotate_every.as_deref().map(parse::days).transpose()?,
        tags: a.tags,
        notes: a.notes,
        env_names: variables(&a.vars)?,
        used_by: a.used_by,
    };
    exchange.resolve_scopes(&new.scopes)?;
    if a.new_key_pair && exchange.key_pair.is_none() {
        return Err(usage(format!(
            "{} takes no key pairs made by the user: add its key without --new-key-pair, with the API key and secret it shows",
            exchange.name
        )));
    }
    let mut vault = open(path)?;
    let (entry, holders) = if let Some(kind) = exchange.key_pair.filter(|_| a.new_key_pair) {
        let pair = keypair::generate(kind);
        show_public_key(exchange, &pair.public_key_pem)?;
        let api_key = api_key_for_pair(exchange, a.secrets_stdin)?;
        let mut fields = SecretFields::new();
        fields.insert(CredentialField::ApiKey, api_key.clone());
        let holders = vault.keys_holding_api_key(&fields)?;
        (vault.add_key_pair(new, api_key, pair)?, holders)
    } else {
        let secrets = prompt::secrets(exchange, a.secrets_stdin)?;
        let holders = vault.keys_holding_api_key(&secrets)?;
        (vault.add(new, secrets)?, holders)
    };
    println!("Added '{}' ({}).", Shown(&entry.name), exchange.name);
    if !holders.is_empty() {
        let quoted: Vec<String> = holders.iter().map(|n| format!("'{n}'")).collect();
        eprintln!(
            "warning: {}",
            Shown(&format!(
                "this API key is already in the vault as {}: the same key is now stored twice; if this is a rotation, use `keystead rotate` on the existing entry and remove this one with `keystead revoke`",
                quoted.join(", ")
            ))
        );
    }
    let summary = vault.summary(&entry.id.to_string())?;
    output::print_flags(&summary);
    Ok(())
}

/// Prints a new key pair's public key for the exchange's form, with what to do (on stderr).
fn show_public_key(exchange: &Exchange, pem: &str) -> CliResult<()> {
    eprintln!(
        "Paste this public key into {}'s API key form (create a self-generated key), then paste here the API key {} shows:",
        exchange.name, exchange.name
    );
    print!("{pem}");
    std::io::stdout()
        .flush()
        .map_err(|e| usage(format!("cannot write the public key: {e}")))
}

/// The API key the exchange gave for a new key pair's public key: asked without echo, or read from
/// standard input as `{"apiKey": "…"}`.
fn api_key_for_pair(exchange: &Exchange, from_stdin: bool) -> CliResult<SecretString> {
    if !from_stdin {
        return prompt::ask_or(
            &format!("API key ({} shows it after you submit the public key): ", exchange.name),
            "cannot ask for the API key without a terminal: pipe {\"apiKey\": \"…\"} with --secrets-stdin",
        );
    }
    let fields = prompt::secrets(exchange, true)?;
    let other: Vec<&str> = fields
        .fields()
        .into_iter()
        .filter(|f| *f != CredentialField::ApiKey)
        .map(|f| f.as_str())
        .collect();
    if !other.is_empty() {
        return Err(usage(format!(
            "--new-key-pair makes the private key itself: send only {{\"apiKey\": \"…\"}}, not {}",
            other.join(", ")
        )));
    }
    fields
        .get(CredentialField::ApiKey)
        .cloned()
        .ok_or_else(|| usage("--secrets-stdin: send {\"apiKey\": \"…\"}, the API key the exchange shows for the public key"))
}

/// `public-key NAME`: the public key of a key pair, to paste into the exchange's form again.
pub fn public_key(path: &Path, name: &str) -> CliResult<()> {
    let vault = open(path)?;
    print!("{}", vault.public_key(name)?);
    Ok(())
}

pub fn edit(path: &Path, e: EditArgs) -> CliResult<()> {
    let edit = KeyEdit {
        name: e.rename,
        account: e.account.map(|a| Some(a).filter(|a| !a.trim().is_empty())),
        environment: e.environment.as_deref().map(str::parse).transpose()?,
        scopes: e.scopes,
        ip_allowlist: if e.no_ip {
            Some(Vec::new())
        } else if e.ip.is_empty() {
            None
        } else {
            Some(parse::ip_allowlist(&e.ip)?)
        },
        expires_at: e
            .expires
            .as_deref()
            .map(|d| never_or(d, parse::date))
            .transpose()?,
        rotation_days: e
            .rotate_every
            .as_deref()
            .map(|d| never_or(d, parse::days))
            .transpose()?,
        tags: (!e.tags.is_empty()).then_some(e.tags),
        notes: e.notes,
        env_names: None,
        scheduled_check: e.scheduled_check.map(ScheduledCheck::setting),
        used_by: if e.no_used_by {
            Some(Vec::new())
        } else {
            (!e.used_by.is_empty()).then_some(e.used_by)
        },
    };
    let vars = variables(&e.vars)?;
    if edit.is_empty() && vars.is_empty() && !e.no_vars {
        return Err(usage("nothing to change: give at least one option, e.g. --scopes read (see `keystead edit --help`)"));
    }
    let (mut vault, mut step_up) = open_with_step_up(path)?;
    let mut edit = edit;
    if e.no_vars {
        edit.env_names = Some(BTreeMap::new());
    } else if !vars.is_empty() {
        // The named fields change; the key's other variable names stay.
        let mut all = vault.find(&e.name)?.env_names;
        all.extend(vars);
        edit.env_names = Some(all);
    }
    let entry = step_up.run(|p| vault.edit(&e.name, edit.clone(), p))?;
    println!("Updated '{}'.", Shown(&entry.name));
    output::print_flags(&vault.summary(&entry.id.to_string())?);
    Ok(())
}

pub fn rotate(
    path: &Path,
    name: &str,
    reason: Option<String>,
    secrets_stdin: bool,
    new_key_pair: bool,
) -> CliResult<()> {
    let mut vault = open(path)?;
    let entry = vault.find(name)?;
    let exchange = vault::exchange_of(&entry);
    let entry = match exchange.key_pair {
        Some(kind) if new_key_pair => {
            let pair = keypair::generate(kind);
            show_public_key(exchange, &pair.public_key_pem)?;
            let api_key = api_key_for_pair(exchange, secrets_stdin)?;
            vault.rotate_key_pair(name, api_key, pair, reason)?
        }
        None if new_key_pair => {
            return Err(usage(format!(
                "{} takes no key pairs made by the user: rotate without --new-key-pair",
                exchange.name
            )))
        }
        _ => {
            let secrets = prompt::secrets(exchange, secrets_stdin)?;
            vault.rotate(name, secrets, reason)?
        }
    };
    let version = entry.current_version().map_or(1, |v| v.version);
    println!(
        "Rotated '{}': now at version {version}; the old secrets are kept in its history.",
        Shown(&entry.name)
    );
    let summary = vault.summary(&entry.id.to_string())?;
    if let Some(at) = summary.due_at {
        println!(
            "Next due {} ({}).",
            at.format("%Y-%m-%d"),
            output::countdown(at, Utc::now())
        );
    }
    Ok(())
}

pub fn revoke(path: &Path, name: &str, reason: Option<String>) -> CliResult<()> {
    let mut vault = open(path)?;
    let entry = vault.revoke(name, reason)?;
    println!("'{}' is now revoked.", Shown(&entry.name));
    let page = vault::exchange_of(&entry).api_key_page;
    if !page.is_empty() {
        println!(
            "Make sure it is deleted on the exchange too: {}",
            Shown(page)
        );
    }
    Ok(())
}

pub fn compromised(path: &Path, name: &str, reason: Option<String>) -> CliResult<()> {
    let mut vault = open(path)?;
    let entry = vault.mark_compromised(name, reason)?;
    output::incident_checklist(&entry);
    Ok(())
}

/// `never` clears an optional value; anything else is parsed.
fn never_or<T>(
    text: &str,
    parse: impl Fn(&str) -> keystead_core::Result<T>,
) -> CliResult<Option<T>> {
    if text.trim().eq_ignore_ascii_case("never") || text.trim().eq_ignore_ascii_case("none") {
        Ok(None)
    } else {
        Ok(Some(parse(text)?))
    }
}
