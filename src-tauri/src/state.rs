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
use keystead_core::due::RiskFlag;
use keystead_core::exchange::keypair::GeneratedKeyPair;
use keystead_core::import::ParsedFile;
use keystead_core::key_list::KeyListIndex;
use keystead_core::scan::{Finding, ScanReport};
use keystead_core::share::OpenedShare;
use keystead_core::vault::TeamSync;
use keystead_core::Vault;
use secrecy::SecretString;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tauri::AppHandle;
use uuid::Uuid;

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
    key_list: Mutex<Option<KeyListCache>>,
}

/// The key list's index and the vault's write count it was built at.
struct KeyListCache {
    index: KeyListIndex,
    changes: u64,
    built: Instant,
}

/// Due states move with time, not only with writes: an index older than this is built again.
const KEY_LIST_MAX_AGE: Duration = Duration::from_secs(600);
/// A write to more keys than this reads the whole list again: one row lookup per key costs more than
/// that read beyond a few thousand keys.
const PUT_AT_MOST: usize = 1_000;

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

    /// Runs `f` on the key list's index, first built again from the vault when the vault wrote
    /// anything since (a change, an import, a sync, a use, a scheduled check), or when it is old.
    pub fn with_key_list<T>(&self, f: impl FnOnce(&mut KeyListIndex) -> T) -> AppResult<T> {
        self.with_vault(|v| {
            let mut list = self.current_key_list(v)?;
            let cache = list.as_mut().expect("made current");
            Ok(f(&mut cache.index))
        })
    }

    /// The key list's cache, built again first when `v` wrote anything since or it is old. Called with
    /// the vault's lock held (the lock order is the vault, then the key list).
    fn current_key_list(&self, v: &Vault) -> AppResult<MutexGuard<'_, Option<KeyListCache>>> {
        let mut list = lock(&self.key_list);
        let current = list
            .as_ref()
            .is_some_and(|c| c.changes == v.changes() && c.built.elapsed() < KEY_LIST_MAX_AGE);
        if !current {
            *list = None;
            let index = KeyListIndex::new(v.list()?);
            // Counted after the list: a read that wrote (a pending reindex) is not a change.
            *list = Some(KeyListCache {
                index,
                changes: v.changes(),
                built: Instant::now(),
            });
        }
        Ok(list)
    }

    /// Runs `f`, a write that changes key `id`'s own row and no other (a reveal or copy moves its
    /// "last used"): a current key list takes that one row instead of being built again.
    pub fn change_one_row<T>(
        &self,
        id: &str,
        f: impl FnOnce(&mut Vault) -> AppResult<T>,
    ) -> AppResult<T> {
        let id = Uuid::parse_str(id).ok();
        self.with_vault(|v| {
            let before = v.changes();
            let out = f(v)?;
            self.key_list_after_write(v, before, &Vec::from_iter(id));
            Ok(out)
        })
    }

    /// [`Self::change_keys`] for a write to the keys whose ids `f` answers beside its result (an add, a
    /// rotation, a revocation, an edit, a bulk edit): a current key list takes those keys' fresh rows,
    /// and those of the keys sharing a secret with them, instead of reading every key again.
    pub fn change_key_rows<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> AppResult<(T, Vec<Uuid>)>,
    ) -> AppResult<T> {
        let out = self.with_vault(|v| {
            let before = v.changes();
            let (out, ids) = f(v)?;
            self.key_list_after_write(v, before, &ids);
            Ok(out)
        });
        self.reminders.wake();
        self.key_changes.fetch_add(1, Ordering::SeqCst);
        out
    }

    /// Brings the key list up to date after a write to keys `ids`, which the vault counted from
    /// `before`: their rows are put in place when the list was current before the write; otherwise,
    /// or when a key shared a secret before (the keys it shared with may have changed too), or when a
    /// row cannot be read, the list is dropped and the next query builds it again.
    fn key_list_after_write(&self, v: &Vault, before: u64, ids: &[Uuid]) {
        let mut list = lock(&self.key_list);
        let Some(cache) = list
            .as_mut()
            .filter(|c| c.changes == before && !ids.is_empty() && ids.len() <= PUT_AT_MOST)
        else {
            *list = None;
            return;
        };
        let shared_before = ids.iter().any(|id| {
            cache
                .index
                .get(id)
                .is_some_and(|k| k.risk_flags.contains(&RiskFlag::DuplicateSecret))
        });
        if shared_before {
            *list = None;
            return;
        }
        match v.rows_touched_by(ids) {
            Ok(rows) => {
                let found: HashSet<Uuid> = rows.iter().map(|r| r.id).collect();
                if ids.iter().all(|id| found.contains(id)) {
                    cache.index.put(rows);
                    cache.changes = v.changes();
                } else {
                    *list = None;
                }
            }
            Err(_) => *list = None,
        }
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
    use keystead_core::{CredentialField, FixedClock, KdfParams, SystemClock};
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

    /// The key table's index follows every write: a rename through `change_key_rows` and a use through
    /// `change_one_row` (their own rows only), a write it was not told about (the vault counts writes);
    /// and lock forgets it.
    #[test]
    fn the_key_list_follows_each_write_and_goes_with_the_lock() {
        use keystead_core::key_list::{ListQuery, ListRow};
        use keystead_core::{KeyEdit, NewKey, SecretFields};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let mut vault = Vault::create(
            &path,
            &SecretString::from("correct horse battery staple"),
            KdfParams::FLOOR,
            OpenOptions::new(Arc::new(SystemClock), "app"),
        )
        .unwrap();
        for name in ["alpha", "beta"] {
            let mut secrets = SecretFields::new();
            secrets.insert(
                CredentialField::ApiKey,
                SecretString::from(format!("{name}-api-key-value")),
            );
            secrets.insert(
                CredentialField::Secret,
                SecretString::from(format!("{name}-secret-value")),
            );
            let new = NewKey {
                name: name.into(),
                exchange: "binance".into(),
                scopes: vec!["read".into()],
                ..NewKey::default()
            };
            vault.add(new, secrets).unwrap();
        }
        let state = AppState::new(path, dir.path().join("settings.json"));
        state.install_vault(vault);
        let rows = |state: &AppState| -> Vec<(String, bool)> {
            let page = state
                .with_key_list(|l| l.page(&ListQuery::default(), 0, 10))
                .unwrap();
            page.rows
                .into_iter()
                .filter_map(|r| match r {
                    ListRow::Key { key, .. } => Some((key.name, key.last_used_at.is_some())),
                    ListRow::Group { .. } => None,
                })
                .collect()
        };
        let names = |state: &AppState| rows(state).into_iter().map(|r| r.0).collect::<Vec<_>>();
        assert_eq!(names(&state), ["alpha", "beta"]);
        let alpha = state
            .with_vault(|v| Ok(v.find("alpha")?.id))
            .unwrap()
            .to_string();
        let alpha = Uuid::parse_str(&alpha).unwrap();
        state
            .change_key_rows(|v| {
                let edit = KeyEdit {
                    name: Some("gamma".into()),
                    ..KeyEdit::default()
                };
                Ok((v.edit("alpha", edit, None)?, vec![alpha]))
            })
            .unwrap();
        assert_eq!(names(&state), ["beta", "gamma"]);
        let id = state
            .with_vault(|v| Ok(v.find("beta")?.id))
            .unwrap()
            .to_string();
        state
            .change_one_row(&id, |v| {
                Ok(v.reveal("beta", CredentialField::ApiKey, None, None)?)
            })
            .unwrap();
        assert_eq!(
            rows(&state)[0],
            ("beta".to_string(), true),
            "the use is in its row"
        );
        // A write the list was not told about: the vault's count of writes moved, so it is read again.
        state.with_vault(|v| Ok(v.revoke("gamma", None)?)).unwrap();
        let status = state
            .with_key_list(|l| l.find_name("gamma").map(|k| k.status))
            .unwrap();
        assert_eq!(status, Some(keystead_core::KeyStatus::Revoked));
        assert!(state.lock("test"));
        assert!(state.with_key_list(|l| l.len()).is_err(), "locked: no list");
    }

    /// A write through `change_key_rows` puts the rows it touched in place (the list is not read again),
    /// and the list then answers exactly what a list read afresh answers: a new key holding another's
    /// secret flags both, a bulk edit, a rotation; revoking a key that shared a secret clears the
    /// other's flag (read again: which keys shared its secret is not known after the write).
    #[test]
    fn writes_put_their_rows_in_the_key_list_as_a_fresh_read_would() {
        use keystead_core::key_list::ListQuery;
        use keystead_core::{BulkEdit, NewKey, SecretFields};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let vault = Vault::create(
            &path,
            &SecretString::from("correct horse battery staple"),
            KdfParams::FLOOR,
            OpenOptions::new(Arc::new(SystemClock), "app"),
        )
        .unwrap();
        let state = AppState::new(path, dir.path().join("settings.json"));
        state.install_vault(vault);
        let secrets = |api: &str| {
            let mut s = SecretFields::new();
            s.insert(CredentialField::ApiKey, SecretString::from(api.to_string()));
            s.insert(
                CredentialField::Secret,
                SecretString::from(format!("{api}-secret")),
            );
            s
        };
        let new = |name: &str| NewKey {
            name: name.into(),
            exchange: "binance".into(),
            scopes: vec!["read".into()],
            tags: vec!["bot".into()],
            ..NewKey::default()
        };
        let add = |name: &str, api: &str| {
            state
                .change_key_rows(|v| {
                    let e = v.add(new(name), secrets(api))?;
                    Ok((e.id, vec![e.id]))
                })
                .unwrap()
        };
        let built = |state: &AppState| lock(&state.key_list).as_ref().map(|c| c.built);
        let same_as_fresh = |state: &AppState, step: &str| {
            let query = ListQuery::default();
            let kept = state.with_key_list(|l| l.page(&query, 0, 100)).unwrap();
            let fresh = state
                .with_vault(|v| Ok(KeyListIndex::new(v.list()?).page(&query, 0, 100)))
                .unwrap();
            assert_eq!(
                serde_json::to_value(&kept).unwrap(),
                serde_json::to_value(&fresh).unwrap(),
                "{step}: the kept list answers what a fresh read answers"
            );
        };
        add("beta", "beta-api-key-value");
        same_as_fresh(&state, "first key");
        let first = built(&state);
        let alpha = add("alpha", "beta-api-key-value");
        same_as_fresh(&state, "a key holding another's secret");
        let flagged = state
            .with_key_list(|l| {
                l.keys()
                    .filter(|k| k.risk_flags.contains(&RiskFlag::DuplicateSecret))
                    .count()
            })
            .unwrap();
        assert_eq!(flagged, 2, "both keys holding the secret are flagged");
        assert_eq!(built(&state), first, "the add put its rows in place");
        let delta = add("delta", "delta-api-key-value");
        let epsilon = add("epsilon", "epsilon-api-key-value");
        state
            .change_key_rows(|v| {
                let changed = v.bulk_edit(
                    &[delta.to_string(), epsilon.to_string()],
                    &BulkEdit::AddTag("desk".into()),
                    None,
                )?;
                Ok(((), changed.iter().map(|e| e.id).collect()))
            })
            .unwrap();
        same_as_fresh(&state, "a bulk edit");
        assert_eq!(built(&state), first, "the bulk edit put its rows in place");
        // Revoking alpha, which shared beta's secret: read again (beta's flag goes).
        state
            .change_key_rows(|v| {
                let e = v.revoke(&alpha.to_string(), None)?;
                Ok(((), vec![e.id]))
            })
            .unwrap();
        same_as_fresh(&state, "revoking a key that shared a secret");
        let rebuilt = built(&state);
        assert_ne!(rebuilt, first, "a key that shared a secret: read again");
        state
            .change_key_rows(|v| {
                let e = v.rotate(&delta.to_string(), secrets("delta-rotated"), None)?;
                Ok(((), vec![e.id]))
            })
            .unwrap();
        same_as_fresh(&state, "a rotation");
        assert_eq!(built(&state), rebuilt, "the rotation put its row in place");
    }

    /// The reminder look reads due dates from the key list: a key added while unlocked is reminded of at
    /// the next look, and so is one another process (the CLI) wrote to the file meanwhile.
    #[test]
    fn an_unlocked_look_reminds_of_keys_added_here_and_by_another_process() {
        use keystead_core::{NewKey, SecretFields};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let passphrase = SecretString::from("correct horse battery staple");
        let options = || OpenOptions::new(Arc::new(SystemClock), "app");
        let vault = Vault::create(&path, &passphrase, KdfParams::FLOOR, options()).unwrap();
        let state = AppState::new(path.clone(), dir.path().join("settings.json"));
        state.install_vault(vault);
        let new = |name: &str| {
            let mut secrets = SecretFields::new();
            secrets.insert(
                CredentialField::ApiKey,
                SecretString::from(format!("{name}-api-key")),
            );
            secrets.insert(
                CredentialField::Secret,
                SecretString::from(format!("{name}-secret")),
            );
            let key = NewKey {
                name: name.into(),
                exchange: "kraken".into(),
                scopes: vec!["read".into()],
                expires_at: Some(Utc::now() + chrono::Duration::days(2)),
                ..NewKey::default()
            };
            (key, secrets)
        };
        let named = |state: &AppState| -> String {
            let look = state.look_for_reminders(Utc::now()).unwrap();
            look.outgoing.map(|o| o.text.summary).unwrap_or_default()
        };
        assert_eq!(named(&state), "", "nothing due yet");
        state
            .change_key_rows(|v| {
                let (key, secrets) = new("form-key");
                let e = v.add(key, secrets)?;
                Ok(((), vec![e.id]))
            })
            .unwrap();
        assert!(named(&state).contains("form-key"), "the key added here");
        // The CLI writes to the same file on its own connection.
        let mut cli = Vault::unlock(&path, &passphrase, options()).unwrap();
        let (key, secrets) = new("cli-key");
        cli.add(key, secrets).unwrap();
        drop(cli);
        assert!(
            named(&state).contains("cli-key"),
            "the key another process added"
        );
    }
}
