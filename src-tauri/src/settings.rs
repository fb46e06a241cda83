//! Preferences that are not secret and must be known before unlock (theme, auto-lock), kept as JSON in
//! the platform config dir.

use crate::error::{AppError, AppResult, ErrorCode};
use keystead_core::reminders::ReminderPolicy;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use ts_rs::TS;

#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    Light,
    Dark,
    System,
}

#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Lock after this many minutes without activity.
    pub auto_lock_minutes: u32,
    /// Clear a copied secret from the clipboard after this many seconds (if it is still ours).
    pub clipboard_clear_seconds: u32,
    /// Mask a revealed secret again after this many seconds.
    pub reveal_seconds: u32,
    pub theme: Theme,
    /// Days before a key is due at which a reminder is sent, most distant first.
    pub reminder_thresholds_days: Vec<u32>,
    /// While locked, name the keys in reminders (from names remembered since the last unlock, in memory
    /// only). Off: a locked reminder only says how many keys are due.
    pub show_names_when_locked: bool,
    /// Closing the window keeps Keystead running in the system tray, so reminders still fire.
    pub close_to_tray: bool,
    /// Start Keystead (in the tray, window hidden) when the user logs in.
    pub start_at_login: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            auto_lock_minutes: 5,
            clipboard_clear_seconds: 20,
            reveal_seconds: 30,
            theme: Theme::System,
            reminder_thresholds_days: ReminderPolicy::DEFAULT_THRESHOLDS_DAYS.to_vec(),
            show_names_when_locked: false,
            close_to_tray: true,
            start_at_login: false,
        }
    }
}

impl Settings {
    pub fn check(&self) -> AppResult<()> {
        let range = |what: &str, v: u32, lo: u32, hi: u32, unit: &str| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(AppError::invalid(format!(
                    "{what} must be between {lo} and {hi} {unit}."
                )))
            }
        };
        range("Auto-lock", self.auto_lock_minutes, 1, 240, "minutes")?;
        range(
            "Clipboard clearing",
            self.clipboard_clear_seconds,
            5,
            300,
            "seconds",
        )?;
        range("Reveal time", self.reveal_seconds, 5, 300, "seconds")?;
        self.reminder_policy().map(|_| ())
    }

    /// The reminder thresholds as core's policy, validated (a message that says what to fix otherwise).
    pub fn reminder_policy(&self) -> AppResult<ReminderPolicy> {
        let policy = ReminderPolicy {
            thresholds_days: self.reminder_thresholds_days.clone(),
        };
        policy.validate().map_err(|e| {
            let mut m = e.to_string();
            if let Some(first) = m.chars().next() {
                m.replace_range(..first.len_utf8(), &first.to_uppercase().to_string());
            }
            AppError::invalid(format!("{m}."))
        })?;
        Ok(policy)
    }

    /// Reads the file; a missing or unreadable file gives the defaults (preferences are not worth
    /// refusing to start over).
    pub fn load(path: &Path) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Settings>(&b).ok())
            .filter(|s| s.check().is_ok())
            .unwrap_or_default()
    }

    /// Writes atomically: a temporary file in the same folder, then a rename.
    pub fn save(&self, path: &Path) -> AppResult<()> {
        self.check()?;
        let fail = |e: std::io::Error| {
            AppError::new(ErrorCode::Storage, format!("Could not save settings: {e}."))
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let tmp: PathBuf = path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(self).map_err(|e| AppError::invalid(e.to_string()))?;
        std::fs::write(&tmp, text).map_err(fail)?;
        std::fs::rename(&tmp, path).map_err(fail)
    }
}
