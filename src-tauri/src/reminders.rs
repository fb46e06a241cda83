//! Reminders in the app: one look at the vault (locked or not) asks core what to notify and records it,
//! then shows it as a desktop notification and remembers which key a click opens. The task that decides
//! when to look is `reminder_task`.
//!
//! Which reminders are due, what they say (and which key a click opens) and the record that keeps them
//! from repeating are core's (`keystead_core::reminders`); this module only decides when to look, and
//! shows what core answers. Locked, core reads the plaintext due dates and the text is generic (unless
//! the user asked for names); unlocked, it names the keys.

use crate::error::AppResult;
use crate::mutex::lock;
use crate::settings::Settings;
use chrono::{DateTime, Utc};
use keystead_core::key_list::KeyListIndex;
use keystead_core::reminders::{
    self, next_threshold_at, single_key, KeyLabel, KeyReminder, Reminder, ReminderText,
};
use keystead_core::Vault;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;
use uuid::Uuid;

/// One notification to show: its text and, when it is about one key, which key a click opens.
#[derive(Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub text: ReminderText,
    pub key: Option<Uuid>,
}

/// What one look found: the notification to show (if any), how many keys are due, when to look next.
pub struct Look {
    pub outgoing: Option<Outgoing>,
    pub due_count: usize,
    pub next_at: Option<DateTime<Utc>>,
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
        lock(&self.labels).clear();
    }

    /// The key a clicked notification is about.
    pub fn key_of_notification(&self, id: i32) -> Option<Uuid> {
        lock(&self.shown).get(&id).copied().flatten()
    }

    /// Shows a notification through the Tauri notification plugin and remembers which key it is about.
    pub fn show(&self, app: &AppHandle, outgoing: &Outgoing) -> AppResult<()> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        lock(&self.shown).insert(id, outgoing.key);
        let text = outgoing.text.for_notification_server();
        app.notification()
            .builder()
            .id(id)
            .title(&text.summary)
            .body(&text.body)
            .show()
            .map_err(|e| {
                crate::error::AppError::new(
                    crate::error::ErrorCode::Storage,
                    format!("Could not show a desktop notification: {e}."),
                )
            })
    }

    /// One look at the vault: records and returns what to notify, with the vault locked or not.
    /// `vault` is the unlocked vault, or `None` while locked (then core reads the plaintext due dates).
    pub fn look(
        &self,
        settings: &Settings,
        path: &Path,
        vault: Option<(&mut Vault, &KeyListIndex)>,
        now: DateTime<Utc>,
    ) -> AppResult<Look> {
        let policy = settings.reminder_policy()?;
        if !path.is_file() {
            return Ok(Look {
                outgoing: None,
                due_count: 0,
                next_at: None,
            });
        }
        let unlocked = vault.map(|(vault, list)| -> AppResult<Option<Outgoing>> {
            let keys = vault.reminders_to_send_from(&policy, list)?;
            let sent: Vec<Reminder> = keys.iter().map(|k| k.reminder).collect();
            let recorded = vault.record_reminders_sent(&sent)?;
            let mut labels = lock(&self.labels);
            if settings.show_names_when_locked {
                *labels = list.keys().filter_map(KeyLabel::from_summary).collect();
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
                let due = Vault::reminders_locked(path, &policy, now)?;
                let recorded = Vault::record_reminders_locked(path, &due, now, "app")?;
                let labels = lock(&self.labels);
                let names = settings.show_names_when_locked.then_some(&*labels);
                locked_notification(&recorded, names, now)
            }
        };
        let dates = Vault::due_dates_locked(path)?;
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
