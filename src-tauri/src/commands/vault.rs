//! Commands about the vault itself: its status, create, unlock, choose another file (the native chooser),
//! lock, a backup, accepting an older file as a restored backup, the activity ping that holds off the auto-lock, and "remember on
//! this device" (its status, turning it on and off, unlocking with it).

use super::{blocking, chooser, AppStateRef};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::types::{BackupResult, RememberStatus, Typed, VaultFilePurpose, VaultStatus};
use keystead_core::device_key::OsKeyring;
use keystead_core::vault::{self, OpenOptions};
use keystead_core::KdfParams;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tauri::AppHandle;

fn open_options() -> OpenOptions {
    OpenOptions::new(Arc::new(keystead_core::SystemClock), "app")
        .with_anchor(Arc::new(keystead_core::anchor::SystemAnchor::default()))
        .with_device_keys(Arc::new(OsKeyring::default()))
}

#[tauri::command]
pub async fn vault_status(state: AppStateRef<'_>) -> AppResult<VaultStatus> {
    Ok(VaultStatus {
        path: state.vault_path().display().to_string(),
        exists: state.vault_path().is_file(),
        unlocked: state.is_unlocked(),
        retry_after_ms: state.retry_after().as_millis() as u64,
        warnings: state.warnings(),
        older_file: state.older_file(),
    })
}

/// "I restored this backup on purpose": accepts the older vault file (audited in core), which ends the
/// rollback warning; answers the new status.
#[tauri::command]
pub async fn accept_restored_backup(state: AppStateRef<'_>) -> AppResult<VaultStatus> {
    let inner = state.inner().clone();
    blocking(move || {
        inner.with_vault(|v| {
            v.accept_restored_backup()?;
            Ok(())
        })
    })
    .await?;
    vault_status(state).await
}

/// Creates a vault with `passphrase`, at `path` when given (the Welcome screen's chosen file, which must
/// not exist yet), else at the current vault path. Turns the first-run checklist on.
#[tauri::command]
pub async fn create_vault(
    state: AppStateRef<'_>,
    passphrase: Typed,
    path: Option<String>,
) -> AppResult<()> {
    let passphrase = passphrase.into_secret();
    vault::check_passphrase(&passphrase)?;
    let target = match path.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(text) => {
            let path = checked_vault_path(text)?;
            if path.exists() {
                return Err(AppError::new(
                    ErrorCode::FileExists,
                    format!(
                        "{} already exists: open it with \"Open an existing vault\", or choose another name.",
                        path.display()
                    ),
                ));
            }
            Some(path)
        }
        None => None,
    };
    let state = state.inner().clone();
    blocking(move || {
        let path = target.unwrap_or_else(|| state.vault_path());
        let kdf = KdfParams::calibrate(Duration::from_millis(500))?;
        let v = keystead_core::Vault::create(&path, &passphrase, kdf, open_options())?;
        state.set_vault_path(path)?;
        state.install_vault(v);
        let settings = crate::settings::Settings {
            first_run_checklist: true,
            ..state.settings()
        };
        // The vault exists either way: a settings file that cannot be written only loses the checklist.
        let _ = state.save_settings(settings);
        Ok(())
    })
    .await
}

/// The desktop's file chooser for a vault file: where to create one, one to open, or where a backup
/// goes. `None` when the user cancels.
#[tauri::command]
pub async fn choose_vault_file(
    app: AppHandle,
    purpose: VaultFilePurpose,
    current: Option<String>,
) -> AppResult<Option<String>> {
    let (title, mode) = match purpose {
        VaultFilePurpose::Create => ("Create a new vault", chooser::Mode::Save),
        VaultFilePurpose::Open => ("Open an existing vault", chooser::Mode::Open),
        VaultFilePurpose::Backup => ("Save a backup of the vault", chooser::Mode::Save),
    };
    let picked = chooser::show(
        &app,
        chooser::Request {
            title,
            filters: &[("Keystead vaults", &["db"]), ("Every file", &[])],
            mode,
            current: current.map(PathBuf::from),
        },
    )
    .await?;
    Ok(picked.first().map(|p| p.display().to_string()))
}

/// Where a backup is offered by default: a dated file in the home folder (another disk is better; the
/// chooser lets the user pick one).
#[tauri::command]
pub async fn default_backup_path() -> AppResult<String> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|h| h.is_dir())
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::Storage,
                "No home folder to offer a backup in: choose a folder.",
            )
        })?;
    let day = chrono::Utc::now().format("%Y-%m-%d");
    Ok(home
        .join(format!("keystead-backup-{day}.db"))
        .display()
        .to_string())
}

/// Writes a backup of the open vault to `path` (core: a consistent private copy, audited). An existing
/// file answers `FileExists` unless `replace`; the settings file is never a target.
#[tauri::command]
pub async fn backup_vault(
    state: AppStateRef<'_>,
    path: String,
    replace: bool,
) -> AppResult<BackupResult> {
    let path = checked_vault_path(&path)?;
    if path.exists() && !replace {
        return Err(AppError::new(
            ErrorCode::FileExists,
            format!(
                "{} already exists. Replace it (only an older backup can be replaced), or choose another name.",
                path.display()
            ),
        ));
    }
    let state = state.inner().clone();
    blocking(move || {
        if keystead_core::share::same_file(&path, &state.settings_path()) {
            return Err(AppError::invalid(
                "That is Keystead's settings file: choose another name for the backup.",
            ));
        }
        state.with_vault(|v| Ok(v.backup_to(&path, replace)?))?;
        Ok(BackupResult {
            path: path.display().to_string(),
        })
    })
    .await
}

/// A vault or backup path from the form: absolute, not a folder, in a folder that exists.
fn checked_vault_path(text: &str) -> AppResult<PathBuf> {
    let path = PathBuf::from(text.trim());
    if path.as_os_str().is_empty() || !path.is_absolute() {
        return Err(AppError::invalid(
            "Give the vault file's full path, e.g. /home/you/keys/vault.db, or press Choose….",
        ));
    }
    if path.is_dir() {
        return Err(AppError::invalid(format!(
            "{} is a folder: give the path of the vault file in it.",
            path.display()
        )));
    }
    if !path.exists() && !path.parent().is_some_and(Path::is_dir) {
        return Err(AppError::invalid(format!(
            "The folder of {} does not exist.",
            path.display()
        )));
    }
    Ok(path)
}

#[tauri::command]
pub async fn unlock(state: AppStateRef<'_>, passphrase: Typed) -> AppResult<()> {
    let passphrase = passphrase.into_secret();
    let state = state.inner().clone();
    blocking(move || {
        match keystead_core::Vault::unlock(&state.vault_path(), &passphrase, open_options()) {
            Ok(mut v) => {
                v.record_unlock()?;
                state.install_vault(v);
                Ok(())
            }
            Err(keystead_core::Error::WrongPassphrase) => Err(AppError::new(
                ErrorCode::WrongPassphrase,
                "Wrong passphrase. Check it (Caps Lock?) and try again.",
            )),
            // Core's throttle (kept in the file): RetryLater, counted down from VaultStatus.
            Err(e) => Err(e.into()),
        }
    })
    .await
}

/// Chooses another vault file (an existing one to unlock, or a new path to create one at).
#[tauri::command]
pub async fn use_vault_file(state: AppStateRef<'_>, path: String) -> AppResult<VaultStatus> {
    let path = checked_vault_path(&path)?;
    state.set_vault_path(path)?;
    vault_status(state).await
}

#[tauri::command]
pub async fn lock(state: AppStateRef<'_>) -> AppResult<()> {
    let state = state.inner().clone();
    blocking(move || {
        state.lock("locked by the user");
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn touch(state: AppStateRef<'_>) -> AppResult<()> {
    state.touch();
    Ok(())
}

/// Whether this device unlocks the vault without the passphrase (the unlock screen's button, the
/// Settings card). Read from the open vault, or from the file while locked.
#[tauri::command]
pub async fn remember_status(state: AppStateRef<'_>) -> AppResult<RememberStatus> {
    let state = state.inner().clone();
    blocking(move || {
        let path = state.vault_path();
        if !path.is_file() {
            return Ok(RememberStatus {
                remembered: false,
                unavailable: None,
                note: None,
            });
        }
        let status = match state.with_vault(|v| Ok(v.device_status()?)) {
            Err(e) if e.code == ErrorCode::Locked => {
                keystead_core::Vault::device_status_locked(&path, &OsKeyring::default())?
            }
            other => other?,
        };
        Ok(status.into())
    })
    .await
}

/// Turns "remember on this device" on: the passphrase is checked again first (core), so an unlocked
/// window left alone cannot be made to remember.
#[tauri::command]
pub async fn remember_device(
    state: AppStateRef<'_>,
    passphrase: Typed,
) -> AppResult<RememberStatus> {
    let passphrase = passphrase.into_secret();
    let state = state.inner().clone();
    blocking(move || {
        state.with_vault(|v| match v.remember_device(&passphrase) {
            Ok(()) => Ok(v.device_status()?.into()),
            Err(keystead_core::Error::WrongPassphrase) => Err(AppError::new(
                ErrorCode::WrongPassphrase,
                "Wrong passphrase: this device was not remembered. Check it (Caps Lock?) and try again.",
            )),
            Err(e) => Err(e.into()),
        })
    })
    .await
}

/// Turns "remember on this device" off: this device's slot and keyring entry go.
#[tauri::command]
pub async fn forget_device(state: AppStateRef<'_>) -> AppResult<RememberStatus> {
    let state = state.inner().clone();
    blocking(move || {
        state.with_vault(|v| {
            v.forget_device()?;
            Ok(v.device_status()?.into())
        })
    })
    .await
}

/// Unlocks with this device's remembered slot instead of the passphrase (the same checks at unlock).
#[tauri::command]
pub async fn unlock_with_device(state: AppStateRef<'_>) -> AppResult<()> {
    let state = state.inner().clone();
    blocking(move || {
        let mut v = keystead_core::Vault::unlock_remembered(&state.vault_path(), open_options())?;
        v.record_unlock_with_device()?;
        state.install_vault(v);
        Ok(())
    })
    .await
}
