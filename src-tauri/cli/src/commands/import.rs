//! `keystead import`: keys read from other tools' files (bot configs, `.env`, KeePass, Bitwarden), shown
//! in a preview and imported in one transaction with the choices given on the command line.

use super::open;
use crate::args::ImportArgs;
use crate::failure::{usage, CliResult};
use crate::output::{self, Shown};
use crate::prompt;
use keystead_core::import::{self, ImportEntryChoice, ImportPreview, SourceFormat};
use keystead_core::{catalog, ImportChoice, ShareEntryStatus};
use secrecy::SecretString;
use std::path::{Path, PathBuf};

/// Where scripts (and tests) give the password of an encrypted file; otherwise it is asked.
const PASSWORD_VARIABLE: &str = "KEYSTEAD_IMPORT_PASSWORD";

pub fn import(path: &Path, a: ImportArgs) -> CliResult<()> {
    let format = match a.format.trim() {
        f if f.eq_ignore_ascii_case("auto") => None,
        f => Some(SourceFormat::parse(f)?),
    };
    let protected = keystead_core::vault::own_files(path);
    let files = a
        .paths
        .iter()
        .map(|p| {
            Ok((
                std::path::absolute(p).unwrap_or_else(|_| p.clone()),
                import::read_source(p, &protected)?,
            ))
        })
        .collect::<CliResult<Vec<(PathBuf, Vec<u8>)>>>()?;
    let formats: Vec<Option<SourceFormat>> = files
        .iter()
        .map(|(p, bytes)| format.or_else(|| import::detect(p, bytes)))
        .collect();
    let password = password(&files, &formats)?;
    let parsed = import::parse_files(&files, format, password.as_ref())?;
    drop(password);

    let mut vault = open(path)?;
    let preview = vault.import_preview(&parsed)?;
    let choices = choices(&preview, &a)?;
    if !a.json {
        output::import_preview(&preview, &choices, format.is_none());
    }
    let writes = choices
        .iter()
        .filter(|c| c.action != ImportChoice::Skip)
        .count();
    if a.dry_run {
        if a.json {
            output::json(&preview)?;
        } else {
            println!("Dry run: nothing was imported.");
        }
        return Ok(());
    }
    if writes == 0 {
        // Nothing is written: the summary only lists what was skipped.
        let summary = vault.import_apply(&parsed, &choices)?;
        if a.json {
            return output::json(&summary);
        }
        output::imported(&summary);
        if preview
            .entries
            .iter()
            .all(|e| e.status == ShareEntryStatus::Identical)
        {
            println!(
                "Nothing to import: every key in these files is already in this vault (identical)."
            );
        } else {
            println!("Nothing to import: every entry is skipped (name entries with --replace, --keep-both or --exchange to import them).");
        }
        return Ok(());
    }
    if !a.yes {
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err(usage("nothing was imported: pass --yes to import without asking, or --dry-run to only see the preview"));
        }
        let question = format!("Import {writes} key{}?", if writes == 1 { "" } else { "s" });
        if !prompt::confirm_no_default(&question) {
            println!("Nothing was imported.");
            return Ok(());
        }
    }
    let summary = vault.import_apply(&parsed, &choices)?;
    if a.json {
        output::json(&summary)
    } else {
        output::imported(&summary);
        Ok(())
    }
}

/// The encrypted files' own password (not the vault passphrase), when one of them needs it:
/// `KEYSTEAD_IMPORT_PASSWORD`, or asked once without echo.
fn password(
    files: &[(PathBuf, Vec<u8>)],
    formats: &[Option<SourceFormat>],
) -> CliResult<Option<SecretString>> {
    let encrypted: Vec<(&Path, SourceFormat)> = files
        .iter()
        .zip(formats)
        .filter_map(|((p, _), f)| f.filter(|f| f.needs_password()).map(|f| (p.as_path(), f)))
        .collect();
    if encrypted.is_empty() {
        return Ok(None);
    }
    if let Ok(p) = std::env::var(PASSWORD_VARIABLE) {
        return Ok(Some(SecretString::from(p)));
    }
    let what = match encrypted.as_slice() {
        list if list.iter().all(|(_, f)| *f == SourceFormat::Hummingbot) => {
            "the Hummingbot files".to_string()
        }
        [(p, _)] => format!("the KeePass database {}", p.display()),
        _ => "these files".to_string(),
    };
    let asked = prompt::ask_or(
        &format!("Password of {}: ", Shown(&what)),
        &format!("cannot ask for the password of {what} without a terminal: set {PASSWORD_VARIABLE}, or run keystead in a terminal"),
    )?;
    Ok(Some(asked))
}

/// The entries that `name` names: by the name they get, or by the name of the key of yours they match.
fn named(preview: &ImportPreview, flag: &str, name: &str) -> CliResult<Vec<usize>> {
    let wanted = name.trim();
    let hits: Vec<usize> = preview
        .entries
        .iter()
        .filter(|e| {
            e.name.eq_ignore_ascii_case(wanted)
                || e.existing_name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(wanted))
        })
        .map(|e| e.index as usize)
        .collect();
    if hits.is_empty() {
        let names: Vec<String> = preview
            .entries
            .iter()
            .map(|e| format!("'{}'", e.name))
            .collect();
        return Err(usage(format!(
            "{flag} {wanted}: no entry of these files is named '{wanted}'; the entries are {}",
            names.join(", ")
        )));
    }
    Ok(hits)
}

/// The choice per entry: the preview's defaults, then what the flags say. Only `--replace` replaces.
fn choices(preview: &ImportPreview, a: &ImportArgs) -> CliResult<Vec<ImportEntryChoice>> {
    let mut choices = preview.default_choices();
    let mut chosen_by: Vec<Option<&str>> = vec![None; choices.len()];
    let flags = [
        ("--replace", &a.replace, ImportChoice::Replace),
        ("--keep-both", &a.keep_both, ImportChoice::KeepBoth),
        ("--skip", &a.skip, ImportChoice::Skip),
    ];
    for (flag, names, action) in flags {
        for name in names {
            for i in named(preview, flag, name)? {
                let e = &preview.entries[i];
                if let Some(other) = chosen_by[i].filter(|o| *o != flag) {
                    return Err(usage(format!(
                        "'{}' is named by both {other} and {flag}: choose one",
                        e.name
                    )));
                }
                if action == ImportChoice::Replace && !e.replace_allowed {
                    return Err(usage(match e.status {
                        ShareEntryStatus::Identical => format!(
                            "--replace {name}: '{}' is identical to your '{}', there is nothing to replace",
                            e.name,
                            e.existing_name.as_deref().unwrap_or(&e.name)
                        ),
                        _ => format!(
                            "--replace {name}: '{}' is a new key, there is no key of yours to replace{}",
                            e.name,
                            if e.problem.is_some() {
                                " (and it cannot be added as it is, see the preview)"
                            } else {
                                " (it is added without --replace)"
                            }
                        ),
                    }));
                }
                choices[i].action = action;
                chosen_by[i] = Some(flag);
            }
        }
    }
    for spec in &a.exchange {
        let Some((name, id)) = spec.rsplit_once('=') else {
            return Err(usage(format!(
                "--exchange {spec}: write NAME=EXCHANGE, e.g. --exchange mybot=bybit"
            )));
        };
        let exchange = catalog::exchange(id.trim())?;
        for i in named(preview, "--exchange", name)? {
            let e = &preview.entries[i];
            if !e.needs_exchange {
                return Err(usage(format!(
                    "--exchange {spec}: the file says '{}' is a {} key; --exchange is for entries whose file does not say",
                    e.name,
                    e.exchange_name.as_deref().unwrap_or("known")
                )));
            }
            choices[i].exchange = Some(exchange.id.to_string());
            if chosen_by[i].is_none() && e.status == ShareEntryStatus::New {
                choices[i].action = ImportChoice::Add;
            }
        }
    }
    for (e, c) in preview.entries.iter().zip(&mut choices) {
        c.default_scopes = a.default_scopes;
        if !matches!(c.action, ImportChoice::Add | ImportChoice::KeepBoth) {
            continue;
        }
        if e.needs_exchange && c.exchange.is_none() {
            return Err(usage(format!(
                "'{}': the file does not say which exchange it is for: give it with --exchange '{}=EXCHANGE' (see `keystead exchanges`), or --skip it",
                e.name, e.name
            )));
        }
        if let Some(problem) = e.problem.as_deref().filter(|_| !e.needs_exchange) {
            return Err(usage(format!(
                "'{}' cannot be imported as it is: {problem}",
                e.name
            )));
        }
    }
    Ok(choices)
}
