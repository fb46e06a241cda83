//! The one owner of the app's state: the unlocked vault, settings, clipboard, reminders, the share file
//! between preview and apply. The unlock back-off is core's, kept in the vault file. Commands and tasks go through its methods; none
//! touches its fields. Locking drops the vault, which wipes its keys.

use crate::clipboard::SecretClipboard;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::mutex::lock;
use crate::reminders::{Look, Outgoing, ReminderService};
use crate::settings::Settings;
use crate::types::TeamAutoSync;
use chrono::{DateTime, Utc};
use keystead_core::exchange::keypair::GeneratedKeyPair;
use keystead_core::import::ParsedFile;
use keystead_core::scan::{Finding, ScanReport};
use keystead_core::share::OpenedShare;
use keystead_core::vault::TeamSync;
use keystead_core::Vault;
use secrecy::SecretString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tauri::AppHandle;
use uuid::Uuid;

mod list_cache;

pub struct AppState {
    vault_path: Mutex<PathBuf>,
    settings_path: PathBuf,
    vault: Mutex<Option<Vault>>,
    settings: Mutex<Settings>,
    clipboard: SecretClipboard,
    reminders: ReminderService,
    /// A share file opened for import, between preview and apply. Holds secrets: dropped on lock.
    pending_share: Mutex<Option<OpenedShare>>,
    /// Files read for an import (they hold secrets), between its preview and apply.
    pending_import: Mutex<Option<Vec<ParsedFile>>>,
    /// The running scan's stop flag (`None`: no scan running), and the last scan's findings (no secret
    /// in them) for actions on a finding by its index.
    scan: Mutex<Option<Arc<AtomicBool>>>,
    last_scan: Mutex<Option<ScanReport>>,
    last_activity: Mutex<Instant>,
    open_key: Mutex<OpenKeyHandoff>,
    /// A key pair made for the add form ("New key pair"), until the form adds it with the API key the
    /// exchange gave: the exchange it is for, and the pair. Its private key never reaches the webview;
    /// dropped on lock.
    pending_key_pair: Mutex<Option<(String, GeneratedKeyPair)>>,
    /// A team sync previewed in the window (it holds the incoming keys' secrets) until applied or
    /// cancelled; dropped on lock.
    pending_team_sync: Mutex<Option<TeamSync>>,
    /// What the last automatic team sync did, per team, for the Team screen (no secret in it).
    team_auto: Mutex<Vec<TeamAutoSync>>,
    /// Counts the user's changes to keys, so the scheduled-check task plans again when one may have
    /// turned a key's scheduled checks on or off.
    key_changes: AtomicU64,
    /// The key table's rows, built from the unlocked vault at its first query and again after any
    /// write (see [`Self::with_key_list`]); dropped on lock. Locked after `vault`, never before.
    key_list: Mutex<Option<list_cache::KeyListCache>>,
}

/// The key a clicked reminder asks the window to open. The window is destroyed while Keystead sits in
/// the tray, and a page that is still loading misses events: until it has asked (`take_open_key`), the
/// key waits here.
#[derive(Default)]
struct OpenKeyHandoff {
    /// The page of the current window asked once, so it listens to `open-key`.
    page_ready: bool,
    pending: Option<Uuid>,
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
            pending_import: Mutex::new(None),
            pending_team_sync: Mutex::new(None),
            team_auto: Mutex::new(Vec::new()),
            scan: Mutex::new(None),
            last_scan: Mutex::new(None),
            last_activity: Mutex::new(Instant::now()),
            open_key: Mutex::new(OpenKeyHandoff::default()),
            pending_key_pair: Mutex::new(None),
            key_changes: AtomicU64::new(0),
            key_list: Mutex::new(None),
        }
    }

    pub fn vault_path(&self) -> PathBuf {
        lock(&self.vault_path).clone()
    }

    /// Points the app at another vault file; only while locked.
    pub fn set_vault_path(&self, path: PathBuf) -> AppResult<()> {
        if self.is_unlocked() {
            return Err(AppError::invalid(
                "Lock the vault before opening another vault file.",
            ));
        }
        *lock(&self.vault_path) = path;
        self.reminders.forget_names();
        self.reminders.wake();
        Ok(())
    }

    /// The settings file (a share export never replaces it).
    pub fn settings_path(&self) -> PathBuf {
        self.settings_path.clone()
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    /// Saves checked settings to the settings file and uses them from now on; the reminder task looks
    /// again with them. Nothing changes when the file cannot be written.
    pub fn save_settings(&self, settings: Settings) -> AppResult<Settings> {
        settings.save(&self.settings_path)?;
        *lock(&self.settings) = settings.clone();
        if !settings.show_names_when_locked {
            self.reminders.forget_names();
        }
        self.reminders.wake();
        Ok(settings)
    }

    pub fn touch(&self) {
        *lock(&self.last_activity) = Instant::now();
    }

    pub fn idle_for(&self) -> Duration {
        lock(&self.last_activity).elapsed()
    }

    /// Makes a just created or unlocked vault the open one: counts as activity, forgets failed
    /// attempts, and the reminder task looks again.
    pub fn install_vault(&self, vault: Vault) {
        *lock(&self.vault) = Some(vault);
        self.unlock_succeeded();
    }

    /// Runs `f` on the unlocked vault, or answers `Locked`. Counts as the user's activity.
    pub fn with_vault<T>(&self, f: impl FnOnce(&mut Vault) -> AppResult<T>) -> AppResult<T> {
        self.touch();
        match lock(&self.vault).as_mut() {
            Some(v) => f(v),
            None => Err(AppError::locked()),
        }
    }

    /// Runs `f` on the unlocked vault for a background task (scheduled checks), or answers `Locked`.
    /// Not the user's activity: it never keeps the vault from locking itself.
    pub fn with_vault_in_background<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> AppResult<T>,
    ) -> AppResult<T> {
        match lock(&self.vault).as_mut() {
            Some(v) => f(v),
            None => Err(AppError::locked()),
        }
    }

    /// A background task changed keys (a scheduled check records a use): the reminder task looks again.
    pub fn keys_changed_in_background(&self) {
        self.reminders.wake();
    }

    /// Like [`Self::with_vault`], for a change that may move a due date: the reminder task looks again.
    pub fn change_keys<T>(&self, f: impl FnOnce(&mut Vault) -> AppResult<T>) -> AppResult<T> {
        let out = self.with_vault(f);
        self.reminders.wake();
        self.key_changes.fetch_add(1, Ordering::SeqCst);
        out
    }

    /// How many times the user changed keys since start (see [`Self::change_keys`]).
    pub fn key_changes(&self) -> u64 {
        self.key_changes.load(Ordering::SeqCst)
    }

    /// The integrity warnings of the unlocked vault (rolled-back file, cut audit log); none while locked.
    pub fn warnings(&self) -> Vec<String> {
        lock(&self.vault)
            .as_ref()
            .map(|v| v.warnings().to_vec())
            .unwrap_or_default()
    }

    /// Whether the unlocked vault's file is older than the one this machine last saw (until accepted).
    pub fn older_file(&self) -> bool {
        lock(&self.vault)
            .as_ref()
            .is_some_and(|v| v.rollback_warning().is_some())
    }

    pub fn is_unlocked(&self) -> bool {
        lock(&self.vault).is_some()
    }

    /// Keeps a new key pair for `exchange` until the add form uses it; answers its public key.
    pub fn keep_key_pair(&self, exchange: String, pair: GeneratedKeyPair) -> String {
        let public = pair.public_key_pem.clone();
        *lock(&self.pending_key_pair) = Some((exchange, pair));
        public
    }

    /// The public key of the pair waiting for the add form, if any.
    pub fn pending_public_key(&self) -> Option<String> {
        lock(&self.pending_key_pair)
            .as_ref()
            .map(|(_, p)| p.public_key_pem.clone())
    }

    /// The pair waiting for the add form, if it was made for `exchange`. It stays until
    /// [`Self::forget_key_pair`]: an add that fails (a name already taken) can be tried again with the
    /// same pair, whose public key the exchange may already hold.
    pub fn key_pair_for(&self, exchange: &str) -> Option<GeneratedKeyPair> {
        match lock(&self.pending_key_pair).as_ref() {
            Some((ex, pair)) if ex.eq_ignore_ascii_case(exchange) => Some(pair.clone()),
            _ => None,
        }
    }

    /// Drops the pair waiting for the add form (it was added).
    pub fn forget_key_pair(&self) {
        *lock(&self.pending_key_pair) = None;
    }

    pub fn set_pending_share(&self, opened: Option<OpenedShare>) {
        *lock(&self.pending_share) = opened;
    }

    pub fn take_pending_share(&self) -> Option<OpenedShare> {
        lock(&self.pending_share).take()
    }

    pub fn set_pending_import(&self, files: Option<Vec<ParsedFile>>) {
        *lock(&self.pending_import) = files;
    }

    pub fn take_pending_import(&self) -> Option<Vec<ParsedFile>> {
        lock(&self.pending_import).take()
    }

    pub fn set_pending_team_sync(&self, sync: Option<TeamSync>) {
        *lock(&self.pending_team_sync) = sync;
    }

    /// Runs `f` on the previewed team sync (resolving a conflict), if one waits.
    pub fn with_pending_team_sync<T>(
        &self,
        f: impl FnOnce(&mut TeamSync) -> AppResult<T>,
    ) -> AppResult<T> {
        match lock(&self.pending_team_sync).as_mut() {
            Some(sync) => f(sync),
            None => Err(AppError::invalid(
                "No team sync is open: press Sync now to see what it would do.",
            )),
        }
    }

    pub fn has_pending_team_sync(&self) -> bool {
        lock(&self.pending_team_sync).is_some()
    }

    pub fn take_pending_team_sync(&self) -> Option<TeamSync> {
        lock(&self.pending_team_sync).take()
    }

    pub fn team_auto_sync(&self) -> Vec<TeamAutoSync> {
        lock(&self.team_auto).clone()
    }

    pub fn set_team_auto_sync(&self, notes: Vec<TeamAutoSync>) {
        *lock(&self.team_auto) = notes;
    }

    /// Marks a scan as running and gives its stop flag; refused while another runs.
    pub fn start_scan(&self) -> AppResult<Arc<AtomicBool>> {
        let mut running = lock(&self.scan);
        if running.is_some() {
            return Err(AppError::invalid(
                "A scan is already running: wait for it or cancel it.",
            ));
        }
        let flag = Arc::new(AtomicBool::new(false));
        *running = Some(flag.clone());
        Ok(flag)
    }

    /// The scan ended: its report (when it finished) is kept for actions on its findings.
    pub fn end_scan(&self, report: Option<ScanReport>) {
        *lock(&self.scan) = None;
        if report.is_some() {
            *lock(&self.last_scan) = report;
        }
    }

    pub fn cancel_scan(&self) {
        if let Some(flag) = lock(&self.scan).as_ref() {
            flag.store(true, Ordering::Relaxed);
        }
    }

    /// The path of finding `index` of the last scan.
    pub fn last_scan_path(&self, index: usize) -> Option<String> {
        lock(&self.last_scan)
            .as_ref()
            .and_then(|r| r.findings.get(index))
            .map(|f| f.path.clone())
    }

    /// Finding `index` of the last scan.
    pub fn last_scan_finding(&self, index: usize) -> Option<Finding> {
        lock(&self.last_scan)
            .as_ref()
            .and_then(|r| r.findings.get(index))
            .cloned()
    }

    /// Marks the last scan's finding `id` ignored or not, and answers the updated report. A report that
    /// left ignored findings out drops a newly ignored one (and counts it).
    pub fn mark_last_scan_ignored(&self, id: Option<&str>, ignored: bool) -> Option<ScanReport> {
        let id = id?;
        let mut last = lock(&self.last_scan);
        let report = last.as_mut()?;
        let mut changed = 0;
        for f in report.findings.iter_mut() {
            if f.id.as_deref() == Some(id) && f.ignored != ignored {
                f.ignored = ignored;
                changed += 1;
            }
        }
        if ignored {
            report.ignored += changed;
            if !report.ignored_shown {
                report.findings.retain(|f| !f.ignored);
            }
        } else {
            report.ignored = report.ignored.saturating_sub(changed);
        }
        Some(report.clone())
    }

    /// Puts a secret on the clipboard, to be cleared by [`Self::clear_clipboard_if_ours`].
    pub fn copy_secret(&self, value: &SecretString) -> AppResult<()> {
        self.clipboard.copy(value).map_err(copy_failed)
    }

    /// Puts a public value (a sharing key) on the clipboard; it is never cleared.
    pub fn copy_public(&self, text: &str) -> AppResult<()> {
        self.clipboard.copy_public(text).map_err(copy_failed)
    }

    /// Clears the clipboard if it still holds the secret we put there.
    pub fn clear_clipboard_if_ours(&self) -> bool {
        self.clipboard.clear_if_ours()
    }

    /// Shows a desktop notification; a click on it opens the key it is about.
    pub fn notify(&self, app: &AppHandle, outgoing: &Outgoing) -> AppResult<()> {
        self.reminders.show(app, outgoing)
    }

    /// The key a clicked notification is about.
    pub fn key_of_notification(&self, id: i32) -> Option<Uuid> {
        self.reminders.key_of_notification(id)
    }

    /// A clicked reminder about `key` (None: several keys): handed to `emit` when the window's page is
    /// listening, else kept for the page to take when it starts.
    pub fn open_key_from_notification(&self, key: Option<Uuid>, emit: impl FnOnce(Option<Uuid>)) {
        let mut handoff = lock(&self.open_key);
        if handoff.page_ready {
            handoff.pending = None;
            emit(key);
        } else {
            // A new page shows the keys list anyway: only a single key needs to wait.
            handoff.pending = key;
        }
    }

    /// A starting page asks which key a clicked reminder wants open; from now on it gets them as events.
    pub fn take_open_key(&self) -> Option<Uuid> {
        let mut handoff = lock(&self.open_key);
        handoff.page_ready = true;
        handoff.pending.take()
    }

    /// The window (and its page) is gone: a reminder clicked now waits for the next page.
    pub fn window_gone(&self) {
        *lock(&self.open_key) = OpenKeyHandoff::default();
    }

    /// One look of the reminder task: records and returns what to notify, locked or not.
    pub fn look_for_reminders(&self, now: DateTime<Utc>) -> AppResult<Look> {
        let settings = self.settings();
        let path = self.vault_path();
        let mut vault = lock(&self.vault);
        let Some(v) = vault.as_mut() else {
            return self.reminders.look(&settings, &path, None, now);
        };
        // Unlocked, the look reads the keys' due dates from the key list (decrypted once, shared with
        // the window's table) instead of decrypting every key again.
        let mut list = self.current_key_list(v)?;
        let cache = list.as_mut().expect("made current");
        let before = v.changes();
        let look = self
            .reminders
            .look(&settings, &path, Some((v, &cache.index)), now);
        // Recording what was sent writes reminder records and audit events, never a key's row.
        if cache.changes == before {
            cache.changes = v.changes();
        }
        look
    }

    /// Resolves when something asks the reminder task to look again (unlock, a change of keys or
    /// settings, lock).
    pub async fn reminders_woken(&self) {
        self.reminders.woken().await
    }

    /// Drops the vault (its keys are wiped) and clears the clipboard if it still holds our secret.
    pub fn lock(&self, reason: &str) -> bool {
        let vault = lock(&self.vault).take();
        *lock(&self.key_list) = None;
        self.clipboard.clear_if_ours();
        self.set_pending_share(None);
        self.set_pending_import(None);
        self.set_pending_team_sync(None);
        *lock(&self.pending_key_pair) = None;
        self.cancel_scan();
        *lock(&self.last_scan) = None;
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

    /// How long before another passphrase attempt on the chosen vault file is allowed. Core keeps the
    /// count in the file (see `Vault::passphrase_wait_locked`), so neither a restart nor choosing another
    /// file and back shortens it; a file that cannot be read has no wait to show.
    pub fn retry_after(&self) -> Duration {
        let wait = Vault::passphrase_wait_locked(&self.vault_path(), Utc::now()).unwrap_or(0);
        Duration::from_secs(wait)
    }

    fn unlock_succeeded(&self) {
        self.touch();
        self.reminders.wake();
    }
}

fn copy_failed(e: String) -> AppError {
    AppError::new(ErrorCode::Storage, format!("Could not copy: {e}."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use keystead_core::vault::OpenOptions;
    use keystead_core::{FixedClock, KdfParams, SystemClock};
    use std::sync::Arc;

    /// A wrong unlock by a process whose clock stands at `at`, a minute ahead: its attempts count as
    /// made "now" at any later reading, so the waits below do not depend on how fast this machine
    /// derives keys.
    fn wrong_unlock(path: &std::path::Path, ahead: DateTime<Utc>) -> keystead_core::Error {
        Vault::unlock(
            path,
            &SecretString::from("not the passphrase"),
            OpenOptions::new(Arc::new(FixedClock::new(ahead)), "app"),
        )
        .unwrap_err()
    }

    /// A reminder clicked while no page listens (the window is being recreated from the tray) is not
    /// lost: the new page takes it once; a page that listens gets it as an event, never twice.
    #[test]
    fn a_clicked_reminder_waits_for_a_page_that_listens() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::new(dir.path().join("v.db"), dir.path().join("settings.json"));
        let key = Uuid::from_u128(0x5eed);
        let mut emitted = Vec::new();
        state.open_key_from_notification(Some(key), |k| emitted.push(k));
        assert!(emitted.is_empty(), "no page listens yet");
        assert_eq!(state.take_open_key(), Some(key));
        assert_eq!(state.take_open_key(), None, "taken once");
        state.open_key_from_notification(Some(key), |k| emitted.push(k));
        assert_eq!(emitted, vec![Some(key)], "a listening page gets the event");
        assert_eq!(state.take_open_key(), None, "and nothing waits besides");
        state.window_gone();
        state.open_key_from_notification(None, |k| emitted.push(k));
        state.open_key_from_notification(Some(key), |k| emitted.push(k));
        assert_eq!(emitted.len(), 1, "the window is gone: nothing emitted");
        assert_eq!(state.take_open_key(), Some(key));
    }

    /// Attack: guess, choose another vault file and back (or restart the app), guess again at full
    /// speed. The wait is the file's, so it survives both.
    #[test]
    fn the_wait_after_wrong_passphrases_survives_another_file_and_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        drop(
            Vault::create(
                &path,
                &SecretString::from("correct horse battery staple"),
                KdfParams::FLOOR,
                OpenOptions::new(Arc::new(SystemClock), "app"),
            )
            .unwrap(),
        );
        let state = AppState::new(path.clone(), dir.path().join("settings.json"));
        let ahead = Utc::now() + chrono::Duration::seconds(60);
        for _ in 0..4 {
            assert!(matches!(
                wrong_unlock(&path, ahead),
                keystead_core::Error::WrongPassphrase
            ));
        }
        // Four failures: 1 s before the next attempt.
        let first = state.retry_after();
        assert_eq!(first, Duration::from_secs(1));
        state.set_vault_path(dir.path().join("other.db")).unwrap();
        assert_eq!(state.retry_after(), Duration::ZERO);
        state.set_vault_path(path.clone()).unwrap();
        assert!(
            state.retry_after() > Duration::ZERO,
            "reset by another file"
        );
        let restarted = AppState::new(path.clone(), dir.path().join("settings.json"));
        assert!(
            restarted.retry_after() > Duration::ZERO,
            "reset by a restart"
        );
        let err = crate::error::AppError::from(wrong_unlock(&path, ahead));
        assert_eq!(err.code, ErrorCode::RetryLater);
        assert!(err.message.contains("wait"), "{}", err.message);
    }
}
