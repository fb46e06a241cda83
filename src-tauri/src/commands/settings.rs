//! Commands about preferences and the passphrase: read and save the settings, change the vault
//! passphrase (streaming its progress), show a sample notification, and hand a starting page the key a
//! clicked reminder asked for.

use super::{blocking, AppStateRef};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::reminders::Outgoing;
use crate::settings::Settings;
use crate::types::{RekeyProgress, Typed};
use keystead_core::reminders::ReminderText;
use keystead_core::vault;
use keystead_core::{KdfParams, Vault};
use secrecy::SecretString;
use std::time::{Duration, Instant};
use tauri::ipc::Channel;
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

/// The key a reminder clicked while the window was closed (or its page loading) asks to open, once; the
/// page listens to `open-key` for later clicks. Only an id.
#[tauri::command]
pub async fn take_open_key(state: AppStateRef<'_>) -> AppResult<Option<String>> {
    Ok(state.take_open_key().map(|k| k.to_string()))
}

/// Checks the current passphrase, then makes a new vault key and seals every record again under it,
/// sending `{done, total}` on `on_progress` as it goes.
#[tauri::command]
pub async fn change_passphrase(
    state: AppStateRef<'_>,
    current: Typed,
    new_passphrase: Typed,
    on_progress: Channel<RekeyProgress>,
) -> AppResult<()> {
    let current = current.into_secret();
    let new_passphrase = new_passphrase.into_secret();
    vault::check_passphrase(&new_passphrase)?;
    let state = state.inner().clone();
    blocking(move || {
        state.with_vault(|v| {
            check_current(v, &current)?;
            let kdf = KdfParams::calibrate(Duration::from_millis(500))?;
            rekey(v, &new_passphrase, kdf, &on_progress)
        })
    })
    .await
}

/// The least time between two progress messages: the bar moves smoothly and the webview is not flooded.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

/// Changes the passphrase, sending core's progress on `on_progress` through a [`ProgressThrottle`].
fn rekey(
    v: &mut Vault,
    new_passphrase: &SecretString,
    kdf: KdfParams,
    on_progress: &Channel<RekeyProgress>,
) -> AppResult<()> {
    let mut throttle = ProgressThrottle::new(PROGRESS_INTERVAL);
    v.change_passphrase_with_progress(new_passphrase, kdf, |done, total| {
        if throttle.should_send(done, total, Instant::now()) {
            // A webview that went away loses its progress bar, not the change.
            let _ = on_progress.send(RekeyProgress { done, total });
        }
    })?;
    Ok(())
}

/// Which progress reports go to the webview: the first and the last always; in between one only when
/// `interval` has passed since the previous message and at least 1% more is done, so even a huge vault
/// sends about a hundred messages at most. A repeated last report is dropped.
struct ProgressThrottle {
    interval: Duration,
    /// When the previous message went out, and its `done`.
    sent: Option<(Instant, u64)>,
}

impl ProgressThrottle {
    fn new(interval: Duration) -> Self {
        Self {
            interval,
            sent: None,
        }
    }

    fn should_send(&mut self, done: u64, total: u64, now: Instant) -> bool {
        let send = match self.sent {
            None => true,
            Some((_, before)) if done >= total => before < total,
            Some((at, before)) => {
                now.saturating_duration_since(at) >= self.interval
                    && done.saturating_sub(before).saturating_mul(100) >= total
            }
        };
        if send {
            self.sent = Some((now, done));
        }
        send
    }
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

    #[test]
    fn progress_goes_out_first_and_last_and_in_between_at_most_every_interval_and_percent() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut t = ProgressThrottle::new(Duration::from_millis(50));
        assert!(t.should_send(0, 10_000, at(0)), "the first report");
        assert!(!t.should_send(256, 10_000, at(10)), "too soon");
        assert!(t.should_send(512, 10_000, at(60)), "50 ms and 5% later");
        assert!(
            !t.should_send(560, 10_000, at(200)),
            "late enough, but under 1% more"
        );
        assert!(t.should_send(612, 10_000, at(210)), "1% more");
        assert!(
            t.should_send(10_000, 10_000, at(215)),
            "the last, however soon"
        );
        assert!(!t.should_send(10_000, 10_000, at(400)), "the last again");

        let mut empty = ProgressThrottle::new(Duration::from_millis(50));
        assert!(empty.should_send(0, 0, at(0)));
        assert!(!empty.should_send(0, 0, at(100)));
    }

    #[test]
    fn a_passphrase_change_streams_its_progress_from_zero_to_every_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let clock = Arc::new(FixedClock::new(chrono::Utc::now()));
        let mut v = Vault::create(
            &path,
            &SecretString::from("correct horse battery staple"),
            KdfParams::FLOOR,
            OpenOptions::new(clock.clone(), "app"),
        )
        .unwrap();
        let sent = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let into = sent.clone();
        let channel = Channel::new(move |body| {
            if let tauri::ipc::InvokeResponseBody::Json(json) = body {
                into.lock().unwrap().push(json);
            }
            Ok(())
        });
        let new = SecretString::from("a new passphrase for the vault");
        rekey(&mut v, &new, KdfParams::FLOOR, &channel).unwrap();
        let sent: Vec<RekeyProgress> = sent
            .lock()
            .unwrap()
            .iter()
            .map(|json| {
                let v: serde_json::Value = serde_json::from_str(json).unwrap();
                RekeyProgress {
                    done: v["done"].as_u64().unwrap(),
                    total: v["total"].as_u64().unwrap(),
                }
            })
            .collect();
        let total = sent[0].total;
        assert!(total > 0, "the audit events at least: {sent:?}");
        assert_eq!(sent.first(), Some(&RekeyProgress { done: 0, total }));
        assert_eq!(sent.last(), Some(&RekeyProgress { done: total, total }));
        assert_eq!(sent.len(), 2, "{sent:?}");
        drop(v);
        Vault::unlock(&path, &new, OpenOptions::new(clock, "app")).unwrap();
    }
}
