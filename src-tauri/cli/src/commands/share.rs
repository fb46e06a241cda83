//! Passing keys between vaults: `whoami`, `share export`, `share import`.

use super::{open, open_with_step_up};
use crate::args::{OnConflict, ShareExportArgs, ShareImportArgs};
use crate::failure::{usage, CliResult};
use crate::output::Shown;
use crate::{output, prompt};
use keystead_core::{share, vault};
use keystead_core::{Error, ImportChoice, ShareEntryStatus, ShareExport};
use std::path::Path;

pub fn whoami(path: &Path, json: bool) -> CliResult<()> {
    let mut vault = open(path)?;
    let key = vault.sharing_key()?;
    if json {
        output::json(&key)
    } else {
        output::whoami(&key);
        Ok(())
    }
}

pub fn export(path: &Path, a: ShareExportArgs) -> CliResult<()> {
    if !a.force && a.output.exists() {
        return Err(usage(format!(
            "{} already exists: choose another file name with -o, or pass --force to replace it",
            a.output.display()
        )));
    }
    if a.passphrase && !a.to.is_empty() {
        return Err(Error::RecipientsAndPassphrase.into());
    }
    let (mut vault, mut step_up) = open_with_step_up(path)?;
    // Before the export is made (and audited): the file it would replace must be fine to replace.
    share::check_export_target(&a.output, &vault.share_protected_files())?;
    let passphrase = if a.passphrase {
        let p = prompt::new_passphrase("KEYSTEAD_SHARE_PASSPHRASE", "Share file passphrase: ")?;
        vault::check_passphrase(&p)?;
        Some(p)
    } else {
        None
    };
    let keys = match &a.used_by {
        Some(bot) => {
            let keys = vault.keys_used_by(bot)?;
            let n = keys.len();
            eprintln!(
                "Sharing the {n} {} used by {}: {}",
                if n == 1 { "key" } else { "keys" },
                Shown(bot.trim()),
                Shown(&keys.join(", "))
            );
            keys
        }
        None => a.keys,
    };
    let request = ShareExport {
        keys,
        to: a.to,
        passphrase,
        armor: a.armor,
        confirm_withdraw: a.confirm_withdraw,
        sender_name: a.from,
        scrypt_work_factor: None,
        step_up: None,
    };
    let exported = step_up.run(|p| {
        vault.share_export(&ShareExport {
            step_up: p.cloned(),
            ..request.clone()
        })
    })?;
    share::write_file(
        &a.output,
        &exported.bytes,
        a.force,
        &vault.share_protected_files(),
    )?;
    output::share_exported(&a.output, &exported.summary);
    Ok(())
}

pub fn import(path: &Path, a: ShareImportArgs) -> CliResult<()> {
    use std::io::Read;
    let file = std::fs::File::open(&a.file)
        .map_err(|e| usage(format!("cannot read {}: {e}", a.file.display())))?;
    let mut bytes = Vec::new();
    file.take(share::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| usage(format!("cannot read {}: {e}", a.file.display())))?;
    let mut vault = open(path)?;
    let passphrase = if a.passphrase || share::is_passphrase_protected(&bytes)? {
        Some(match std::env::var("KEYSTEAD_SHARE_PASSPHRASE") {
            Ok(p) => secrecy::SecretString::from(p),
            Err(_) => prompt::ask("Share file passphrase: ")?,
        })
    } else {
        None
    };
    let opened = vault.share_open(&bytes, passphrase.as_ref())?;
    let preview = vault.share_preview(&opened)?;
    let changes_keys = |e: &share::SharePreviewEntry| {
        matches!(
            e.status,
            ShareEntryStatus::Changed | ShareEntryStatus::Conflicting
        )
    };
    if matches!(a.on_conflict, OnConflict::Replace)
        && preview
            .entries
            .iter()
            .any(|e| changes_keys(e) && !e.replace_allowed)
    {
        return Err(usage(format!(
            "nothing was imported: --on-conflict replace is refused for this file, because {}; only a file signed by one of your contacts and made for this vault may replace your keys (drop --on-conflict replace to import only its new keys)",
            match &preview.sender {
                share::ShareSender::Unsigned => "it is unsigned",
                share::ShareSender::UnknownSender { .. } =>
                    "its sender is not one of your contacts",
                share::ShareSender::Contact { .. } =>
                    "its signed document does not say it was made for this vault",
            }
        )));
    }
    // Changed keys are replaced only on request, and never from a file older than your copy.
    let choices: Vec<ImportChoice> = preview
        .entries
        .iter()
        .map(|e| match (e.status, a.on_conflict) {
            (_, OnConflict::Replace) if changes_keys(e) && !e.older_than_yours => {
                ImportChoice::Replace
            }
            (ShareEntryStatus::Conflicting, OnConflict::KeepBoth) => ImportChoice::KeepBoth,
            _ => e.default_choice,
        })
        .collect();
    if !a.json {
        output::share_preview(&preview, &choices);
    }
    let nothing = choices.iter().all(|c| *c == ImportChoice::Skip);
    let apply = !a.dry_run
        && !nothing
        && {
            if a.yes {
                true
            } else if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                prompt::confirm("Import these keys?")
            } else {
                return Err(usage("nothing was imported: pass --yes to import without asking, or --dry-run to only see the preview"));
            }
        };
    let imported = if apply {
        Some(vault.share_apply(&opened, &choices)?)
    } else {
        None
    };
    if a.json {
        output::json(&serde_json::json!({
            "preview": preview,
            "choices": choices,
            "imported": imported,
        }))?;
    } else if let Some(summary) = &imported {
        output::share_imported(summary);
    } else if a.dry_run {
        println!("Dry run: nothing was imported.");
    } else if nothing {
        println!("Nothing to import.");
    } else {
        println!("Nothing was imported.");
    }
    Ok(())
}
