//! The vault as a whole: `init`, `unlock` (and remembering this device), `forget-device`, `passwd`,
//! `restore-accept`, `backup`.

use super::{kdf_target, open, open_keeping_passphrase, open_remembered, options};
use crate::failure::{usage, CliResult};
use crate::output::Shown;
use crate::prompt;
use keystead_core::vault::{self, DeviceStatus, RememberOff};
use keystead_core::{Error, KdfParams, Vault};
use std::path::Path;

pub fn init(path: &Path) -> CliResult<()> {
    if path.exists() {
        return Err(Error::VaultExists {
            path: path.to_path_buf(),
        }
        .into());
    }
    println!(
        "Choose a passphrase of at least {} characters; a few random words work well.",
        vault::MIN_PASSPHRASE_CHARS
    );
    println!("Keystead cannot recover it for you: write it down somewhere safe.");
    let passphrase = prompt::new_passphrase("KEYSTEAD_PASSPHRASE", "New vault passphrase: ")?;
    vault::check_passphrase(&passphrase)?;
    eprintln!("Measuring this machine to tune key derivation…");
    let kdf = KdfParams::calibrate(kdf_target()?)?;
    let vault = Vault::create(path, &passphrase, kdf, options())?;
    println!(
        "Created vault at {} (Argon2id {} MiB, {} passes).",
        Shown(vault.path().display()),
        kdf.memory_kib / 1024,
        kdf.iterations
    );
    println!("Next: keystead add --name binance-main --exchange binance --scopes read,trade --ip YOUR.SERVER.IP");
    Ok(())
}

/// `unlock`, and with `remember` this device is remembered (the passphrase is asked, never taken from
/// the remembered slot).
pub fn unlock(path: &Path, remember: bool) -> CliResult<()> {
    let remembered = if remember || prompt::passphrase_supplied() {
        None
    } else {
        open_remembered(path)?
    };
    let with_device = remembered.is_some();
    let mut vault = match remembered {
        Some(vault) => vault,
        None => {
            let (mut vault, passphrase) = open_keeping_passphrase(path)?;
            if remember {
                vault.remember_device(&passphrase)?;
            }
            vault
        }
    };
    if with_device {
        vault.record_unlock_with_device()?;
    } else {
        vault.record_unlock()?;
    }
    let keys = vault.list()?.len();
    println!(
        "Vault unlocked: {keys} key{} in {}.",
        if keys == 1 { "" } else { "s" },
        Shown(path.display())
    );
    match vault.device_status()? {
        DeviceStatus::Remembered => println!(
            "This device is remembered: keystead unlocks here without the passphrase while your OS session is unlocked (`keystead forget-device` to stop)."
        ),
        DeviceStatus::Off(RememberOff::KeyringUnavailable { reason, .. }) => println!(
            "This device is not remembered, and cannot be: {}.",
            Shown(reason)
        ),
        DeviceStatus::Off(RememberOff::SlotGone) => println!(
            "This device is no longer remembered (the passphrase was changed or it was forgotten elsewhere): `keystead unlock --remember` to remember it again."
        ),
        DeviceStatus::Off(_) => println!(
            "This device is not remembered (`keystead unlock --remember` unlocks here without the passphrase)."
        ),
    }
    Ok(())
}

/// `forget-device`: this device's slot and keyring entry go; the passphrase is asked from then on.
pub fn forget_device(path: &Path) -> CliResult<()> {
    let mut vault = open(path)?;
    if vault.forget_device()? {
        println!("This device is forgotten: keystead asks for the vault passphrase here again.");
    } else {
        println!("This device was not remembered for this vault: nothing to forget.");
    }
    Ok(())
}

pub fn passwd(path: &Path) -> CliResult<()> {
    // The current passphrase, always: a remembered device alone cannot change it.
    let (mut vault, _) = open_keeping_passphrase(path)?;
    let new = prompt::new_passphrase("KEYSTEAD_NEW_PASSPHRASE", "New passphrase: ")?;
    vault::check_passphrase(&new)?;
    eprintln!("Measuring this machine to tune key derivation…");
    let kdf = KdfParams::calibrate(kdf_target()?)?;
    vault.change_passphrase(&new, kdf)?;
    println!("Passphrase changed, with a new vault key that every record is sealed under. Use the new passphrase from now on; your keys are unchanged.");
    println!("Copies of the vault file made before this still open with the old passphrase: delete the ones you do not need.");
    Ok(())
}

/// Accepts an older vault file (the rollback warning) as a backup restored on purpose.
pub fn restore_accept(path: &Path, yes: bool) -> CliResult<()> {
    let mut vault = open(path)?;
    if vault.rollback_warning().is_none() {
        println!(
            "Nothing to accept: this vault file is not older than the one this machine last saw."
        );
        return Ok(());
    }
    if !yes {
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err(usage(
                "nothing was accepted: pass --yes to accept this older vault file without asking",
            ));
        }
        if !prompt::confirm_no_default(
            "Did you restore this backup on purpose? Keys revoked or changed since it was made are back as they were then.",
        ) {
            println!("Nothing accepted; the warning stays.");
            return Ok(());
        }
    }
    vault.accept_restored_backup()?;
    println!("Accepted: this file is now the vault's latest state on this machine (recorded in the audit log).");
    Ok(())
}

/// `backup PATH [--force]`: a copy of the vault at PATH (core writes it, audited), and how to restore it.
pub fn backup(path: &Path, to: &Path, force: bool) -> CliResult<()> {
    let to = if to.is_absolute() {
        to.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| usage(format!("cannot tell the current folder: {e}")))?
            .join(to)
    };
    let mut vault = open(path)?;
    vault.backup_to(&to, force)?;
    println!(
        "Backup written to {} (encrypted; the vault passphrase opens it).",
        Shown(to.display())
    );
    println!(
        "To restore: open the copy, e.g. `KEYSTEAD_VAULT={} keystead list`, or copy it over the vault file while Keystead is closed.",
        Shown(to.display())
    );
    println!("Once the vault has changed since this backup, opening the copy is reported as an older file (a restored backup): `keystead restore-accept` accepts it.");
    Ok(())
}
