//! The reminder task: sends a desktop notification when a key reaches one of its reminder thresholds,
//! whether the vault is locked or not, and keeps the tray's count of due keys current.
//!
//! Which reminders are due, what they say (and which key a click opens) and the record that keeps them
//! from repeating are core's (`keystead_core::reminders`); this module only decides when to look, and
//! shows what core answers. Locked, core reads the plaintext due dates and the text is generic (unless
//! the user asked for names); unlocked, it names the keys.

use crate::error::AppResult;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use keystead_core::reminders::{
    self, next_threshold_at, single_key, KeyLabel, KeyReminder, Reminder, ReminderText,
};
use keystead_core::Vault;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;
use uuid::Uuid;

/// The longest the task sleeps without looking again, even with nothing due for weeks.
const MAX_SLEEP: Duration = Duration::from_secs(3600);
/// How often the task wakes to notice a resume from suspend (the wall clock jumped past the next
/// threshold) or a vault file changed by another process (`keystead add` from a terminal). Two `stat`
/// calls each time.
const TICK: Duration = Duration::from_secs(10);

/// One notification to show: its text and, when it is about one key, which key a click opens.
#[derive(Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub text: ReminderText,
    pub key: Option<Uuid>,
}

/// What one look found: the notification to show (if any), how many keys are due, when to look next.
pub struct Look {
    outgoing: Option<Outgoing>,
    due_count: usize,
    next_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct ReminderService {
    wake: tokio::sync::Notify,
    labels: Mutex<HashMap<Uuid, KeyLabel>>,
    /// Notification id → the key it is about (None: about several keys), for a click.
    shown: Mutex<HashMap<i32, Option<Uuid>>>,
    next_id: AtomicI32,
}

impl ReminderService {
    /// Makes the task look again now (after an unlock, a change of keys or of settings).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves when [`Self::wake`] is called.
    pub async fn woken(&self) {
        self.wake.notified().await
    }

    /// Forgets remembered key names (on lock, unless the user wants names while locked).
    pub fn forget_names(&self) {
        self.labels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The key a clicked notification is about.
    pub fn key_of_notification(&self, id: i32) -> Option<Uuid> {
        self.shown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .copied()
            .flatten()
    }

    /// Shows a notification through the Tauri notification plugin and remembers which key it is about.
    pub fn show(&self, app: &AppHandle, outgoing: &Outgoing) -> AppResult<()> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        self.shown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, outgoing.key);
        app.notification()
            .builder()
            .id(id)
            .title(&outgoing.text.summary)
            .body(&outgoing.text.body)
            .show()
            .map_err(|e| {
                crate::error::AppError::new(
                    crate::error::ErrorCode::Storage,
                    format!("Could not show a desktop notification: {e}."),
                )
            })
    }

    /// One look at the vault: records and returns what to notify, with the vault locked or not.
    pub fn look(&self, state: &AppState, now: DateTime<Utc>) -> AppResult<Look> {
        let settings = state.settings();
        let policy = settings.reminder_policy()?;
        let path = state.vault_path();
        if !path.is_file() {
            return Ok(Look {
                outgoing: None,
                due_count: 0,
                next_at: None,
            });
        }
        let unlocked = state.with_vault_if_unlocked(|vault| -> AppResult<Option<Outgoing>> {
            let keys = vault.reminders_to_send(&policy)?;
            let sent: Vec<Reminder> = keys.iter().map(|k| k.reminder).collect();
            let recorded = vault.record_reminders_sent(&sent)?;
            let mut labels = self.labels.lock().unwrap_or_else(|e| e.into_inner());
            if settings.show_names_when_locked {
                *labels = vault
                    .list()?
                    .iter()
                    .filter_map(KeyLabel::from_summary)
                    .collect();
            } else {
                labels.clear();
            }
            let fresh: Vec<KeyReminder> = keys
                .into_iter()
                .filter(|k| recorded.contains(&k.reminder))
                .collect();
            Ok(unlocked_notification(&fresh, now))
        });
        let outgoing = match unlocked {
            Some(outgoing) => outgoing?,
            None => {
                let due = Vault::reminders_locked(&path, &policy, now)?;
                let recorded = Vault::record_reminders_locked(&path, &due, now, "app")?;
                let labels = self.labels.lock().unwrap_or_else(|e| e.into_inner());
                let names = settings.show_names_when_locked.then_some(&*labels);
                locked_notification(&recorded, names, now)
            }
        };
        let dates = Vault::due_dates_locked(&path)?;
        Ok(Look {
            outgoing,
            due_count: dates
                .iter()
                .filter(|d| reminders::threshold_reached(&policy, d.due_at, now).is_some())
                .count(),
            next_at: next_threshold_at(&policy, &dates, now),
        })
    }
}

/// The notification for reminders recorded while unlocked: names and exchanges.
pub fn unlocked_notification(fresh: &[KeyReminder], now: DateTime<Utc>) -> Option<Outgoing> {
    let text = ReminderText::unlocked(fresh, now)?;
    Some(Outgoing {
        text,
        key: single_key(fresh.iter().map(|k| k.reminder.entry_id)),
    })
}

/// The notification for reminders recorded while locked: generic, unless the user asked for names and
/// every key is one whose name is remembered from the last unlock.
fn locked_notification(
    recorded: &[Reminder],
    names: Option<&HashMap<Uuid, KeyLabel>>,
    now: DateTime<Utc>,
) -> Option<Outgoing> {
    Some(Outgoing {
        text: ReminderText::while_locked(recorded, names, now)?,
        key: single_key(recorded.iter().map(|r| r.entry_id)),
    })
}

/// The modification times of the vault file and its write-ahead log: a change means another process
/// (or this one) wrote to the vault, and the due dates may have moved.
fn file_marks(path: &Path) -> (Option<SystemTime>, Option<SystemTime>) {
    let mtime = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    (mtime(path.to_path_buf()), mtime(PathBuf::from(wal)))
}

/// After a failed look (a vault file being written by another process, a full disk), the next one.
const RETRY_AFTER_ERROR: Duration = Duration::from_secs(30);

/// Starts the task: one look at start (the catch-up after the app was off or the machine slept), then
/// one at each threshold, at least hourly, and whenever woken.
pub fn spawn(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        loop {
            let state = app.state::<Arc<AppState>>().inner().clone();
            // Taken before the look, so a write that lands during it is still noticed afterwards.
            let path = state.vault_path();
            let marks = file_marks(&path);
            let service_app = app.clone();
            let look = tauri::async_runtime::spawn_blocking(move || {
                let look = state.look_for_reminders(Utc::now());
                if let Ok(Look {
                    outgoing: Some(out),
                    ..
                }) = &look
                {
                    if let Err(e) = state.notify(&service_app, out) {
                        eprintln!("keystead: {}", e.message);
                    }
                }
                look
            })
            .await;
            let retry = Utc::now() + RETRY_AFTER_ERROR;
            let next_at = match look {
                Ok(Ok(look)) => {
                    crate::tray::show_due_count(&app, look.due_count);
                    look.next_at
                }
                Ok(Err(e)) => {
                    eprintln!("keystead: reminders: {}", e.message);
                    Some(retry)
                }
                Err(_) => Some(retry),
            };
            wait_for_next_look(&app, &path, marks, next_at).await;
        }
    });
}

async fn wait_for_next_look(
    app: &AppHandle,
    path: &Path,
    marks: (Option<SystemTime>, Option<SystemTime>),
    next_at: Option<DateTime<Utc>>,
) {
    let state = app.state::<Arc<AppState>>().inner().clone();
    let settings = state.settings();
    let give_up = tokio::time::Instant::now() + MAX_SLEEP;
    loop {
        // The monotonic clock stops while the machine sleeps; the wall clock does not. Comparing with
        // the wall clock at every tick is what notices a resume.
        if next_at.is_some_and(|at| Utc::now() >= at) || tokio::time::Instant::now() >= give_up {
            return;
        }
        tokio::select! {
            _ = state.reminders_woken() => return,
            _ = tokio::time::sleep(TICK) => {}
        }
        if state.vault_path() != path || file_marks(path) != marks || state.settings() != settings {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use keystead_core::reminders::Threshold;

    #[test]
    fn a_locked_notification_about_one_key_opens_it_and_nothing_recorded_shows_nothing() {
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap();
        let id = Uuid::now_v7();
        let recorded = [Reminder {
            entry_id: id,
            due_at: now + chrono::Duration::days(2),
            threshold: Threshold::DaysLeft(3),
        }];
        let out = locked_notification(&recorded, None, now).unwrap();
        assert_eq!(out.text, ReminderText::locked(&recorded).unwrap());
        assert_eq!(out.key, Some(id));
        assert_eq!(locked_notification(&[], None, now), None);
        assert_eq!(unlocked_notification(&[], now), None);
    }
}
