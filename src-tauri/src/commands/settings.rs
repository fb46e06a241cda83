//! Commands about preferences and the passphrase: read and save the settings, change the vault
//! passphrase, and show a sample notification.

use super::{blocking, AppStateRef};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::reminders::Outgoing;
use crate::settings::Settings;
use keystead_core::reminders::ReminderText;
use keystead_core::vault;
use keystead_core::KdfParams;
use secrecy::SecretString;
use std::time::Duration;
use tauri::AppHandle;
use tauri_plugin_autostart::ManagerExt;

#[tauri::command]
pub async fn get_settings(state: AppStateRef<'_>) -> AppResult<Settings> {
    Ok(state.settings())
}

#[tauri::command]
pub async fn set_settings(
    app: AppHandle,
    state: AppStateRef<'_>,
    settings: Settings,
) -> AppResult<Settings> {
    settings.check()?;
    if settings.start_at_login != state.settings().start_at_login {
        let autostart = app.autolaunch();
        let done = if settings.start_at_login {
            autostart.enable()
        } else {
            autostart.disable()
        };
        done.map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("Could not change \"start at login\": {e}. Nothing was saved."),
            )
        })?;
    }
    state.save_settings(settings)
}

/// Shows a sample reminder, so the user sees how (and whether) their desktop shows Keystead's
/// notifications. Says nothing about any key.
#[tauri::command]
pub async fn send_test_notification(app: AppHandle, state: AppStateRef<'_>) -> AppResult<()> {
    let text = ReminderText::test();
    state.notify(&app, &Outgoing { text, key: None })
}

#[tauri::command]
pub async fn change_passphrase(
    state: AppStateRef<'_>,
    current: String,
    new_passphrase: String,
) -> AppResult<()> {
    let current = SecretString::from(current);
    let new_passphrase = SecretString::from(new_passphrase);
    vault::check_passphrase(&new_passphrase)?;
    let state = state.inner().clone();
    blocking(move || {
        state.with_vault(|v| {
            v.verify_passphrase(&current).map_err(|e| match e {
                keystead_core::Error::WrongPassphrase => AppError::new(
                    ErrorCode::WrongPassphrase,
                    "The current passphrase is wrong: nothing was changed.",
                ),
                e => e.into(),
            })?;
            let kdf = KdfParams::calibrate(Duration::from_millis(500))?;
            Ok(v.change_passphrase(&new_passphrase, kdf)?)
        })
    })
    .await
}
