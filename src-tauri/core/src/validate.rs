//! Input validation of a key's metadata and secrets, before anything is written.

use crate::catalog::{self, Exchange};
use crate::error::{Error, Result};
use crate::model::{Environment, NewKey, Scope};
use crate::parse;
use crate::secret::{CredentialField, SecretFields};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

pub(crate) const MAX_NOTES_CHARS: usize = 10_000;
pub(crate) const MAX_SHORT_TEXT_CHARS: usize = 500;

/// A reason given for a rotation or a status change: trimmed, bounded, `None` when empty.
pub(crate) fn reason_text(reason: Option<String>) -> Result<Option<String>> {
    Ok(reason
        .map(|r| parse::text("reason", r.trim(), MAX_SHORT_TEXT_CHARS))
        .transpose()?
        .filter(|r| !r.is_empty()))
}

/// Longest variable name a key may give `run`.
pub const MAX_VARIABLE_CHARS: usize = 128;

/// Variables that change how a program or its shell starts: a key's secret never goes in one.
const RESERVED_VARIABLES: [&str; 22] = [
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "PWD",
    "IFS",
    "ENV",
    "BASH_ENV",
    "TERM",
    "LANG",
    "TMPDIR",
    "PS4",
    "NODE_OPTIONS",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PERL5OPT",
    "PERL5LIB",
    "RUBYOPT",
    "RUBYLIB",
    "JAVA_TOOL_OPTIONS",
];
/// Prefixes of variables the loader, the locale or keystead itself reads.
const RESERVED_PREFIXES: [&str; 4] = ["LD_", "DYLD_", "LC_", "KEYSTEAD_"];

/// A key's own variable names for `run`: each a plain variable name (letters, digits and `_`, not
/// starting with a digit), not one that changes how programs start, and no two fields the same. A
/// blank name means the field has none.
pub(crate) fn check_env_names(
    names: &BTreeMap<CredentialField, String>,
) -> Result<BTreeMap<CredentialField, String>> {
    let mut out: BTreeMap<CredentialField, String> = BTreeMap::new();
    for (field, name) in names {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        let shown: String = name
            .chars()
            .take(40)
            .collect::<String>()
            .escape_debug()
            .to_string();
        let plain = name.len() <= MAX_VARIABLE_CHARS
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !name.as_bytes()[0].is_ascii_digit();
        if !plain {
            return Err(Error::input(format!(
                "the variable name \"{shown}\" for the {} is not a plain variable name: use letters, digits and _ (not first), at most {MAX_VARIABLE_CHARS} characters, e.g. BINANCE_API_KEY",
                field.as_str()
            )));
        }
        let upper = name.to_ascii_uppercase();
        if RESERVED_VARIABLES.contains(&upper.as_str())
            || RESERVED_PREFIXES.iter().any(|p| upper.starts_with(p))
        {
            return Err(Error::input(format!(
                "{name} changes how programs start (or is keystead's own): a secret is never put in it; choose another name for the {}",
                field.as_str()
            )));
        }
        if let Some((other, _)) = out.iter().find(|(_, n)| n.as_str() == name) {
            return Err(Error::input(format!(
                "{name} is given to both the {} and the {}: each field needs its own variable",
                other.as_str(),
                field.as_str()
            )));
        }
        out.insert(*field, name.to_string());
    }
    Ok(out)
}

pub(crate) fn check_rotation(days: Option<u32>) -> Result<()> {
    match days {
        Some(0) => Err(Error::input("the rotation period must be at least 1 day")),
        _ => Ok(()),
    }
}

pub(crate) fn clean_tags(tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags
        .iter()
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let t = parse::text("tag", t, 64)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// Refuses secrets the exchange does not take, and names the required ones that are missing.
pub(crate) fn check_secrets(exchange: &Exchange, secrets: &SecretFields) -> Result<()> {
    let accepted: Vec<CredentialField> = exchange.accepted_fields().collect();
    if exchange.id != "custom" {
        if let Some(f) = secrets.fields().into_iter().find(|f| !accepted.contains(f)) {
            return Err(Error::input(format!(
                "{} keys have no '{f}' field: they take {}",
                exchange.name,
                accepted
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let missing: Vec<&str> = exchange
        .required_for(secrets)
        .iter()
        .filter(|f| secrets.get(**f).is_none())
        .map(|f| f.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Error::MissingFields {
            exchange: exchange.name.to_string(),
            fields: missing.join(", "),
        });
    }
    if secrets.is_empty() {
        return Err(Error::input(
            "no secret given: a key needs at least one secret field, e.g. apiKey and secret",
        ));
    }
    Ok(())
}

/// A key's metadata as checked for `add` and for an imported key: names, scopes, addresses and lengths
/// validated, the exchange known, the secrets complete for it.
pub(crate) struct CheckedKey {
    pub name: String,
    pub exchange: &'static Exchange,
    pub account: Option<String>,
    pub environment: Environment,
    pub scopes: BTreeSet<Scope>,
    pub exchange_scopes: Vec<String>,
    pub ip_allowlist: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub rotation_days: Option<u32>,
    pub tags: Vec<String>,
    pub notes: String,
    pub env_names: BTreeMap<CredentialField, String>,
    pub used_by: Vec<crate::model::KeyUser>,
}

pub(crate) fn check_new_key(new: &NewKey, secrets: &SecretFields) -> Result<CheckedKey> {
    let exchange = catalog::exchange(&new.exchange)?;
    let name = parse::key_name(&new.name)?;
    let (scopes, exchange_scopes) = exchange.resolve_scopes(&new.scopes)?;
    let ip_allowlist = parse::ip_allowlist(&new.ip_allowlist)?;
    check_secrets(exchange, secrets)?;
    check_rotation(new.rotation_days)?;
    let notes = parse::text("notes", &new.notes, MAX_NOTES_CHARS)?;
    let account = new
        .account
        .as_deref()
        .map(|a| parse::text("account label", a.trim(), MAX_SHORT_TEXT_CHARS))
        .transpose()?
        .filter(|a| !a.is_empty());
    let tags = clean_tags(&new.tags)?;
    let env_names = check_env_names(&new.env_names)?;
    let used_by = parse::key_users(&new.used_by)?;
    Ok(CheckedKey {
        name,
        exchange,
        account,
        environment: new.environment.unwrap_or(Environment::Production),
        scopes,
        exchange_scopes,
        ip_allowlist,
        expires_at: new.expires_at,
        rotation_days: new.rotation_days,
        tags,
        notes,
        env_names,
        used_by,
    })
}
