//! Dispatch: each command goes to the module of its noun. What every command shares lives here: the vault
//! path, opening the vault (passphrase, warnings), the key-derivation target.

mod audit;
mod contacts;
mod due;
mod import;
mod keys;
mod run;
mod scan;
mod share;
mod team;
mod vault;
mod verify;
mod view;

use crate::args::{Cli, Command, ShareCommand};
use crate::failure::{usage, CliResult};
use crate::output::{self, Shown};
use crate::prompt;
use keystead_core::anchor::SystemAnchor;
use keystead_core::device_key::OsKeyring;
use keystead_core::vault::{self as core_vault, OpenOptions, RememberOff};
use keystead_core::{Error, SystemClock, Vault};
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

pub fn run(cli: Cli) -> CliResult {
    let path = vault_path(&cli)?;
    let Some(command) = cli.command else {
        output::welcome(&path);
        if !path.exists() && prompt::confirm(&format!("Create a vault at {} now?", path.display()))
        {
            println!();
            vault::init(&path)?;
        }
        return Ok(ExitCode::SUCCESS);
    };
    match command {
        Command::Init => vault::init(&path)?,
        Command::Unlock { remember } => vault::unlock(&path, remember)?,
        Command::ForgetDevice => vault::forget_device(&path)?,
        Command::Passwd => vault::passwd(&path)?,
        Command::RestoreAccept { yes } => vault::restore_accept(&path, yes)?,
        Command::Add(a) => keys::add(&path, a)?,
        Command::Edit(e) => keys::edit(&path, e)?,
        Command::Rotate {
            name,
            reason,
            secrets_stdin,
            new_key_pair,
        } => keys::rotate(&path, &name, reason, secrets_stdin, new_key_pair)?,
        Command::Revoke { name, reason } => keys::revoke(&path, &name, reason)?,
        Command::Compromised { name, reason } => keys::compromised(&path, &name, reason)?,
        Command::List { json, used_by } => view::list(&path, json, used_by.as_deref())?,
        Command::Show { name, json } => view::show(&path, &name, json)?,
        Command::PublicKey { name } => keys::public_key(&path, &name)?,
        Command::Reveal {
            name,
            field,
            version,
        } => view::reveal(&path, &name, &field, version)?,
        Command::Exchanges { json } => output::exchanges(json)?,
        Command::Audit { json, verify, key } => return audit::audit(&path, json, verify, key),
        Command::Due { within, json } => return due::due(&path, &within, json),
        Command::Whoami { json } => share::whoami(&path, json)?,
        Command::Contacts(c) => contacts::contacts(&path, c)?,
        Command::Share(ShareCommand::Export(a)) => share::export(&path, a)?,
        Command::Share(ShareCommand::Import(a)) => share::import(&path, a)?,
        Command::Team(t) => team::team(&path, t)?,
        Command::Import(a) => import::import(&path, a)?,
        Command::Scan(a) => return scan::scan(&path, a),
        Command::Run(a) => return run::run(&path, a),
        Command::Verify {
            names,
            json,
            accept,
        } => return verify::verify(&path, names, json, accept),
    }
    Ok(ExitCode::SUCCESS)
}

fn vault_path(cli: &Cli) -> CliResult<PathBuf> {
    match &cli.vault {
        Some(p) if !p.as_os_str().is_empty() => Ok(p.clone()),
        _ => core_vault::default_path().ok_or_else(|| {
            usage("cannot find a home directory for the default vault: give --vault PATH")
        }),
    }
}

fn options() -> OpenOptions {
    OpenOptions::new(Arc::new(SystemClock), "cli")
        .with_anchor(Arc::new(SystemAnchor::default()))
        .with_device_keys(Arc::new(OsKeyring::default()))
}

/// The longest wait after wrong passphrases that `open` sits out before trying; a longer one fails.
const MAX_CLI_WAIT_SECONDS: u64 = 10;

/// Unlocks the vault at `path`, printing the vault's warnings: with this device's remembered slot when
/// no passphrase is given in the environment, otherwise (or when that does not work) with the
/// passphrase from the environment or the terminal.
fn open(path: &Path) -> CliResult<Vault> {
    if !prompt::passphrase_supplied() {
        if let Some(vault) = open_remembered(path)? {
            return Ok(vault);
        }
    }
    Ok(open_keeping_passphrase(path)?.0)
}

/// The vault opened with this device's remembered slot, or `None` to ask for the passphrase. Says why
/// on one stderr line when this device had been remembered and no longer opens it (keyring locked or
/// absent, slot gone); silent for someone who never turned remembering on.
fn open_remembered(path: &Path) -> CliResult<Option<Vault>> {
    if !path.is_file() {
        return Ok(None);
    }
    match Vault::unlock_remembered(path, options()) {
        Ok(vault) => {
            print_warnings(&vault);
            Ok(Some(vault))
        }
        Err(Error::RememberOff { why }) => {
            match &why {
                RememberOff::NotRemembered
                | RememberOff::KeyringUnavailable {
                    vault_has_slots: false,
                    ..
                } => {}
                _ => eprintln!("note: {}", Shown(&why)),
            }
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The step-up passphrase of one command: the passphrase just given, or none on a device that opened the
/// vault with its remembered slot until core says a key needs it (it can move funds).
pub(super) struct StepUp(Option<SecretString>);

impl StepUp {
    /// Runs `f` with the step-up. When core asks for the passphrase and none was given (a remembered
    /// device), asks for it once and runs `f` again; core checks it as for every step-up.
    pub(super) fn run<T>(
        &mut self,
        mut f: impl FnMut(Option<&SecretString>) -> keystead_core::Result<T>,
    ) -> CliResult<T> {
        match f(self.0.as_ref()) {
            Err(Error::StepUpRequired { name, why, what }) if self.0.is_none() => {
                eprintln!(
                    "'{}' {why}: {} needs the vault passphrase, remembered device or not.",
                    Shown(&name),
                    Shown(&what)
                );
                self.0 = Some(prompt::passphrase("Vault passphrase: ")?);
                Ok(f(self.0.as_ref())?)
            }
            other => Ok(other?),
        }
    }
}

/// [`open`] for a command that may release or downgrade a key that can move funds: with this device's
/// remembered slot (no step-up until one is needed), else with the passphrase, kept as the step-up.
fn open_with_step_up(path: &Path) -> CliResult<(Vault, StepUp)> {
    if !prompt::passphrase_supplied() {
        if let Some(vault) = open_remembered(path)? {
            return Ok((vault, StepUp(None)));
        }
    }
    let (vault, passphrase) = open_keeping_passphrase(path)?;
    Ok((vault, StepUp(Some(passphrase))))
}

/// [`open`], keeping the passphrase just given: a command that releases or downgrades a key that can
/// withdraw or transfer funds hands it to core as the step-up (each CLI command asks for the
/// passphrase afresh, so it is as fresh as the app's second prompt; core checks it again).
fn open_keeping_passphrase(path: &Path) -> CliResult<(Vault, SecretString)> {
    if !path.is_file() {
        return Err(Error::NoVault {
            path: path.to_path_buf(),
        }
        .into());
    }
    let passphrase = prompt::passphrase("Vault passphrase: ")?;
    let mut waits = 0;
    let vault = loop {
        match Vault::unlock(path, &passphrase, options()) {
            // Core's throttle: a short wait is waited out here (twice at most: another process may be
            // guessing too); a long one is the error, which says how long.
            Err(Error::RetryLater { wait_seconds })
                if wait_seconds <= MAX_CLI_WAIT_SECONDS && waits < 2 =>
            {
                waits += 1;
                eprintln!("Too many wrong passphrases: waiting {wait_seconds} s before trying…");
                std::thread::sleep(Duration::from_secs(wait_seconds));
            }
            other => break other?,
        }
    };
    print_warnings(&vault);
    Ok((vault, passphrase))
}

/// The problems found at unlock, one `warning:` line each.
fn print_warnings(vault: &Vault) {
    for w in vault.warnings() {
        eprintln!("warning: {}", Shown(w));
    }
    if vault.rollback_warning().is_some() {
        eprintln!(
            "warning: if you restored this backup on purpose, run `keystead restore-accept`; otherwise find out who replaced the file and check that revoked keys are still revoked"
        );
    }
}

/// How long Argon2id should take at `init` and `passwd`: `KEYSTEAD_KDF_TARGET_MS`, or half a second.
fn kdf_target() -> CliResult<Duration> {
    match std::env::var("KEYSTEAD_KDF_TARGET_MS") {
        Ok(v) => v
            .trim()
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| {
                usage(format!(
                    "KEYSTEAD_KDF_TARGET_MS='{v}' is not a number of milliseconds"
                ))
            }),
        Err(_) => Ok(Duration::from_millis(500)),
    }
}
