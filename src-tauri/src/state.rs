//! The one owner of the unlocked vault. Locking drops the vault, which wipes its keys.

use crate::clipboard::SecretClipboard;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::reminders::ReminderService;
use crate::settings::Settings;
use keystead_core::share::OpenedShare;
use keystead_core::Vault;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct AppState {
    vault_path: Mutex<PathBuf>,
    pub settings_path: PathBuf,
    pub vault: Mutex<Option<Vault>>,
    pub settings: Mutex<Settings>,
    pub clipboard: SecretClipboard,
    pub reminders: ReminderService,
    /// A share file opened for import, between preview and apply. Holds secrets: dropped on lock.
    pending_share: Mutex<Option<OpenedShare>>,
    last_activity: Mutex<Instant>,
    failures: Mutex<Failures>,
}

#[derive(Default)]
struct Failures {
    count: u32,
    not_before: Option<Instant>,
}

impl AppState {
    pub fn new(vault_path: PathBuf, settings_path: PathBuf) -> Self {
        let settings = Settings::load(&settings_path);
        Self {
            vault_path: Mutex::new(vault_path),
            settings_path,
            vault: Mutex::new(None),
            settings: Mutex::new(settings),
            clipboard: SecretClipboard::default(),
            reminders: ReminderService::default(),
            pending_share: Mutex::new(None),
            last_activity: Mutex::new(Instant::now()),
            failures: Mutex::new(Failures::default()),
        }
    }

    pub fn vault_path(&self) -> PathBuf {
        self.vault_path
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Points the app at another vault file; only while locked.
    pub fn set_vault_path(&self, path: PathBuf) -> AppResult<()> {
        if self.is_unlocked() {
            return Err(AppError::invalid(
                "Lock the vault before opening another vault file.",
            ));
        }
        *self.vault_path.lock().unwrap_or_else(|e| e.into_inner()) = path;
        *self.failures.lock().unwrap_or_else(|e| e.into_inner()) = Failures::default();
        self.reminders.forget_names();
        self.reminders.wake();
        Ok(())
    }

    pub fn settings(&self) -> Settings {
        self.settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn touch(&self) {
        *self.last_activity.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    pub fn idle_for(&self) -> Duration {
        self.last_activity
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed()
    }

    /// Runs `f` on the unlocked vault, or answers `Locked`.
    pub fn with_vault<T>(&self, f: impl FnOnce(&mut Vault) -> AppResult<T>) -> AppResult<T> {
        self.touch();
        let mut guard = self.vault.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_mut() {
            Some(v) => f(v),
            None => Err(AppError::locked()),
        }
    }

    /// Like [`Self::with_vault`], for a change that may move a due date: the reminder task looks again.
    pub fn change_keys<T>(&self, f: impl FnOnce(&mut Vault) -> AppResult<T>) -> AppResult<T> {
        let out = self.with_vault(f);
        self.reminders.wake();
        out
    }

    pub fn set_pending_share(&self, opened: Option<OpenedShare>) {
        *self.pending_share.lock().unwrap_or_else(|e| e.into_inner()) = opened;
    }

    pub fn take_pending_share(&self) -> Option<OpenedShare> {
        self.pending_share
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    pub fn is_unlocked(&self) -> bool {
        self.vault
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Drops the vault (its keys are wiped) and clears the clipboard if it still holds our secret.
    pub fn lock(&self, reason: &str) -> bool {
        let vault = self.vault.lock().unwrap_or_else(|e| e.into_inner()).take();
        self.clipboard.clear_if_ours();
        self.set_pending_share(None);
        if !self.settings().show_names_when_locked {
            self.reminders.forget_names();
        }
        self.reminders.wake();
        match vault {
            Some(mut v) => {
                let _ = v.record_lock(reason);
                drop(v);
                true
            }
            None => false,
        }
    }

    /// How long before another unlock attempt is allowed.
    pub fn retry_after(&self) -> Duration {
        let f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        f.not_before.map_or(Duration::ZERO, |t| {
            t.saturating_duration_since(Instant::now())
        })
    }

    pub fn check_retry(&self) -> AppResult<()> {
        let wait = self.retry_after();
        if wait.is_zero() {
            Ok(())
        } else {
            Err(AppError::new(
                ErrorCode::RetryLater,
                format!(
                    "Too many wrong passphrases: wait {} s before trying again.",
                    wait.as_secs() + 1
                ),
            ))
        }
    }

    /// Two free attempts, then 1 s, 2 s, 4 s … up to 60 s between attempts.
    pub fn unlock_failed(&self) {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        f.count += 1;
        if f.count >= 3 {
            let secs = 1u64 << (f.count - 3).min(6);
            f.not_before = Some(Instant::now() + Duration::from_secs(secs.min(60)));
        }
    }

    pub fn unlock_succeeded(&self) {
        *self.failures.lock().unwrap_or_else(|e| e.into_inner()) = Failures::default();
        self.touch();
        self.reminders.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_passphrases_are_free_twice_then_slowed_down_more_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::new(
            dir.path().join("vault.db"),
            dir.path().join("settings.json"),
        );
        state.unlock_failed();
        state.unlock_failed();
        assert!(state.check_retry().is_ok());
        state.unlock_failed();
        let first = state.retry_after();
        assert!(
            first > Duration::from_millis(500) && first <= Duration::from_secs(1),
            "{first:?}"
        );
        let err = state.check_retry().unwrap_err();
        assert_eq!(err.code, ErrorCode::RetryLater);
        assert!(err.message.contains("wait"), "{}", err.message);
        state.unlock_failed();
        assert!(state.retry_after() > first);
        for _ in 0..20 {
            state.unlock_failed();
        }
        assert!(state.retry_after() <= Duration::from_secs(60));
        state.unlock_succeeded();
        assert!(state.check_retry().is_ok());
    }
}
