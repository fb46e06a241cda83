//! Preferences that are not secret and must be known before unlock (theme, auto-lock), kept as JSON in
//! the platform config dir.

use crate::error::{AppError, AppResult, ErrorCode};
use keystead_core::exchange::schedule::{Schedule, ScheduleScope};
use keystead_core::private_file::{self, Existing};
use keystead_core::reminders::ReminderPolicy;
use serde::{Deserialize, Serialize};
use std::path::Path;
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
    /// The name Share… last signed a file with ("shown to the recipient"), offered the next time.
    pub share_sender_name: Option<String>,
    /// Check each active key on its exchange every this many hours while the vault is unlocked, and
    /// notify on drift. `None` (the default): off, and no request is ever sent without the user asking.
    pub exchange_check_hours: Option<u32>,
    /// Which keys the schedule checks: all (except the ones turned off), or only the ones turned on.
    pub exchange_check_keys: ScheduleScope,
    /// The first-run checklist (import, tray and login, the CLI, a backup) is shown above the keys:
    /// set when a vault is created here, cleared when the user dismisses it.
    pub first_run_checklist: bool,
    /// The key table's optional columns the user turned on (its Columns menu), in the table's order.
    pub key_table_columns: Vec<OptionalColumn>,
    /// Sync each team at unlock and then every this many minutes while the vault is unlocked.
    /// `None` (the default): off, teams sync when the user presses Sync now (or `keystead team sync`).
    pub team_sync_minutes: Option<u32>,
}

/// The shortest and longest time between automatic team syncs.
pub const TEAM_SYNC_MINUTES: (u32, u32) = (5, 1440);

/// A column of the key table that is off until the user turns it on.
#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionalColumn {
    Account,
    Tags,
    UsedBy,
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
            share_sender_name: None,
            exchange_check_hours: None,
            exchange_check_keys: ScheduleScope::All,
            first_run_checklist: false,
            key_table_columns: Vec::new(),
            team_sync_minutes: None,
        }
    }
}

impl Settings {
    /// The scheduled checks these settings ask for (core decides which keys are due).
    pub fn schedule(&self) -> Schedule {
        Schedule {
            every_hours: self.exchange_check_hours,
            scope: self.exchange_check_keys,
        }
    }

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
        if let Some(hours) = self.exchange_check_hours {
            use keystead_core::exchange::schedule::{MAX_HOURS, MIN_HOURS};
            range(
                "Checks on the exchange",
                hours,
                MIN_HOURS,
                MAX_HOURS,
                "hours",
            )?;
        }
        if let Some(minutes) = self.team_sync_minutes {
            let (lo, hi) = TEAM_SYNC_MINUTES;
            range("Team sync", minutes, lo, hi, "minutes")?;
        }
        if let Some(name) = &self.share_sender_name {
            if name.chars().count() > 128 || keystead_core::parse::has_control_or_bidi(name) {
                return Err(AppError::invalid(
                    "The sender name must be at most 128 characters, without control or text-direction characters.",
                ));
            }
        }
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

    /// Writes atomically and 0600 from the first byte (a private temporary file in the same folder, then
    /// a rename); a missing config folder is made 0700.
    pub fn save(&self, path: &Path) -> AppResult<()> {
        self.check()?;
        let fail = |e: std::io::Error| {
            AppError::new(ErrorCode::Storage, format!("Could not save settings: {e}."))
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_file::create_dir(dir).map_err(fail)?;
        }
        let text = serde_json::to_vec_pretty(self).map_err(|e| AppError::invalid(e.to_string()))?;
        private_file::write(path, &text, Existing::Replace).map_err(fail)
    }
}

#[cfg(all(test, unix))]
pub(crate) mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Set in the copy of this test binary that [`under_umask_000`] starts.
    const CHILD: &str = "KEYSTEAD_TEST_UMASK_000";

    /// Runs the test `name` again in a copy of this test binary started by `sh` under umask 000 (the
    /// umask is per process, and this crate has no libc to set it in place). True in that copy.
    pub(crate) fn under_umask_000(name: &str) -> bool {
        if std::env::var_os(CHILD).is_some() {
            return true;
        }
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(r#"umask 000; exec "$0" "$@""#)
            .arg(std::env::current_exe().unwrap())
            .args([name, "--exact", "--test-threads=1"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("1 passed"),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        false
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn settings_and_their_folder_are_private_under_umask_000_and_replace_a_wider_file() {
        if !under_umask_000("settings::tests::settings_and_their_folder_are_private_under_umask_000_and_replace_a_wider_file") {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        // The umask really is 000 here: a plain write is world-writable.
        let probe = tmp.path().join("probe");
        std::fs::write(&probe, b"").unwrap();
        assert_eq!(mode(&probe), 0o666);

        let path = tmp.path().join("config/keystead/settings.json");
        let settings = Settings {
            auto_lock_minutes: 9,
            ..Settings::default()
        };
        settings.save(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&tmp.path().join("config")), 0o700);
        assert_eq!(mode(&tmp.path().join("config/keystead")), 0o700);
        assert_eq!(Settings::load(&path), settings);

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        Settings::default().save(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(Settings::load(&path), Settings::default());
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left beside the settings");
    }

    #[test]
    fn the_remembered_sender_name_is_checked_like_any_text_from_the_webview() {
        let with = |name: &str| Settings {
            share_sender_name: Some(name.to_string()),
            ..Settings::default()
        };
        assert!(with("alice").check().is_ok());
        assert!(with(&"a".repeat(128)).check().is_ok());
        for bad in [
            "a".repeat(129),
            "al\u{202e}ice".into(),
            "al\x1b[2Jice".into(),
        ] {
            let err = with(&bad).check().unwrap_err();
            assert!(err.message.contains("sender name"), "{}", err.message);
        }
        // Settings files from before the field read as "no name yet".
        let old: Settings = serde_json::from_str(r#"{"auto_lock_minutes": 7}"#).unwrap();
        assert_eq!((old.auto_lock_minutes, old.share_sender_name), (7, None));
    }

    #[test]
    fn checks_on_the_exchange_are_off_unless_set_and_their_period_is_bounded() {
        assert_eq!(Settings::default().exchange_check_hours, None);
        let old: Settings = serde_json::from_str(r#"{"auto_lock_minutes": 7}"#).unwrap();
        assert_eq!(old.exchange_check_hours, None, "older files: off");
        assert_eq!(old.exchange_check_keys, ScheduleScope::All, "all keys");
        let chosen: Settings =
            serde_json::from_str(r#"{"exchange_check_keys": "chosen"}"#).unwrap();
        assert_eq!(chosen.exchange_check_keys, ScheduleScope::Chosen);
        assert!(serde_json::from_str::<Settings>(r#"{"exchange_check_keys": "some"}"#).is_err());
        let every = |h| Settings {
            exchange_check_hours: Some(h),
            ..Settings::default()
        };
        assert!(every(1).check().is_ok() && every(720).check().is_ok());
        for bad in [0, 721] {
            let err = every(bad).check().unwrap_err();
            assert_eq!(
                err.message,
                "Checks on the exchange must be between 1 and 720 hours."
            );
        }
    }

    #[test]
    fn team_sync_is_off_unless_set_and_its_period_is_bounded() {
        let old: Settings = serde_json::from_str(r#"{"auto_lock_minutes": 7}"#).unwrap();
        assert_eq!(old.team_sync_minutes, None, "older files: off");
        let every = |m| Settings {
            team_sync_minutes: Some(m),
            ..Settings::default()
        };
        assert!(every(5).check().is_ok() && every(1440).check().is_ok());
        for bad in [0, 4, 1441] {
            let err = every(bad).check().unwrap_err();
            assert_eq!(err.message, "Team sync must be between 5 and 1440 minutes.");
        }
    }
}
