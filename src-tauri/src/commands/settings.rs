//! Commands about preferences and the passphrase: read and save the settings, change the vault
//! passphrase, and show a sample notification.

use super::{blocking, AppStateRef};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::reminders::Outgoing;
use crate::settings::Settings;
use keystead_core::reminders::ReminderText;
use keystead_core::vault;
use keystead_core::{KdfParams, Vault};
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
            check_current(v, &current)?;
            let kdf = KdfParams::calibrate(Duration::from_millis(500))?;
            Ok(v.change_passphrase(&new_passphrase, kdf)?)
        })
    })
    .await
}

/// The current passphrase, checked through core's throttle (a wrong one is audited and slows the next
/// guess down; too soon, the answer is RetryLater without a check).
fn check_current(v: &mut Vault, current: &SecretString) -> AppResult<()> {
    v.verify_passphrase(current).map_err(|e| match e {
        keystead_core::Error::WrongPassphrase => AppError::new(
            ErrorCode::WrongPassphrase,
            "The current passphrase is wrong: nothing was changed.",
        ),
        e => e.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use keystead_core::vault::OpenOptions;
    use keystead_core::{AuditAction, FixedClock};
    use std::sync::Arc;

    /// Attack: guess the current passphrase in "Change passphrase" of an unlocked vault, as fast as
    /// the form answers. Today every guess is checked at once and none is audited.
    #[test]
    fn guessing_the_current_passphrase_is_slowed_down_and_audited() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(FixedClock::new(chrono::Utc::now()));
        let mut v = Vault::create(
            &dir.path().join("vault.db"),
            &SecretString::from("correct horse battery staple"),
            KdfParams::FLOOR,
            OpenOptions::new(clock.clone(), "app"),
        )
        .unwrap();
        let guess = SecretString::from("a wrong guess");
        let codes: Vec<ErrorCode> = (0..6)
            .map(|_| check_current(&mut v, &guess).unwrap_err().code)
            .collect();
        assert_eq!(&codes[..4], &[ErrorCode::WrongPassphrase; 4]);
        assert_eq!(&codes[4..], &[ErrorCode::RetryLater; 2]);
        let audited = v
            .audit_log()
            .unwrap()
            .iter()
            .filter(|r| r.event.action == AuditAction::UnlockFailed)
            .count();
        assert_eq!(audited, 6, "four wrong guesses and two refused ones");
        clock.advance(chrono::Duration::seconds(1));
        check_current(&mut v, &SecretString::from("correct horse battery staple")).unwrap();
        assert!(check_current(&mut v, &guess).unwrap_err().code == ErrorCode::WrongPassphrase);
    }
}
