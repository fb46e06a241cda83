//! Rolling the vault file back to an older copy: the commit counter kept outside the file (an OS keyring
//! stand-in, or the MAC'd anchor file used where there is no keyring) reports the older file at every
//! unlock, and never goes backwards, until the user accepts the file as a restored backup.

use keystead_core::anchor::{AnchorKey, FileAnchor, Mark, RollbackAnchor, Seen};
use keystead_core::vault::OpenOptions;
use keystead_core::{AuditAction, KeyStatus, Vault};
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

mod common;

use common::{audit_actions, fields_for, key, wal_path, Sandbox, PASS};

/// A copy of the vault file (and its WAL, if any) taken while no vault is open.
struct Copy(Vec<u8>, Option<Vec<u8>>);

impl Copy {
    fn take(path: &Path) -> Self {
        Copy(
            std::fs::read(path).unwrap(),
            std::fs::read(wal_path(path)).ok(),
        )
    }

    fn restore(&self, path: &Path) {
        std::fs::write(path, &self.0).unwrap();
        let mut shm = path.as_os_str().to_owned();
        shm.push("-shm");
        let _ = std::fs::remove_file(PathBuf::from(shm));
        match &self.1 {
            Some(wal) => std::fs::write(wal_path(path), wal).unwrap(),
            None => {
                let _ = std::fs::remove_file(wal_path(path));
            }
        }
    }
}

/// The anchor the CLI and app use where no keyring answers: a file in a state folder apart from the vault.
struct Headless {
    sandbox: Sandbox,
    state: tempfile::TempDir,
}

impl Headless {
    fn new() -> Self {
        Self {
            sandbox: Sandbox::new(),
            state: tempfile::tempdir().unwrap(),
        }
    }

    fn anchor(&self) -> FileAnchor {
        FileAnchor::new(self.state.path().join("keystead/anchors"))
    }

    fn open(&self) -> Vault {
        let opts = OpenOptions::new(self.sandbox.clock.clone(), "test")
            .with_anchor(Arc::new(self.anchor()));
        Vault::unlock(&self.sandbox.path, &SecretString::from(PASS), opts).unwrap()
    }

    /// The one anchor file in the state folder.
    fn anchor_file(&self) -> PathBuf {
        let files: Vec<_> = std::fs::read_dir(self.anchor().dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        files[0].clone()
    }
}

fn older(v: &Vault) -> bool {
    v.warnings().iter().any(|w| w.contains("older copy"))
}

/// Adds a withdraw key, copies the file, revokes the key, and puts the copy back.
fn revoke_then_roll_back(path: &Path, open: impl Fn() -> Vault) {
    let mut v = open();
    v.add(
        key("a", "binance", &["read", "withdraw"]),
        fields_for("binance", "a"),
    )
    .unwrap();
    drop(v);
    let before = Copy::take(path);
    let mut v = open();
    v.revoke("a", Some("left the team".into())).unwrap();
    drop(v);
    let v = open();
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    drop(v);
    before.restore(path);
}

#[test]
fn without_a_keyring_an_older_copy_is_reported_through_the_anchor_file() {
    let h = Headless::new();
    revoke_then_roll_back(&h.sandbox.path, || h.open());
    let v = h.open();
    assert_eq!(v.find("a").unwrap().status, KeyStatus::Active);
    assert!(older(&v), "{:?}", v.warnings());
    assert!(v.rollback_warning().is_some());
    // The anchor lives in the state folder, never beside the vault.
    assert!(!h
        .anchor_file()
        .starts_with(h.sandbox.path.parent().unwrap()));
}

#[test]
fn the_warning_stays_after_writes_until_the_restored_backup_is_accepted() {
    let s = Sandbox::new();
    revoke_then_roll_back(&s.path, || s.open());
    let mut v = s.open();
    assert!(older(&v), "{:?}", v.warnings());
    // A write on the older file does not lower the recorded counter.
    v.record_unlock().unwrap();
    v.record_lock("test").unwrap();
    drop(v);
    let mut v = s.open();
    assert!(
        older(&v),
        "the warning vanished after a write: {:?}",
        v.warnings()
    );

    assert!(v.accept_restored_backup().unwrap());
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    assert_eq!(
        audit_actions(&v).last(),
        Some(&AuditAction::RestoredBackupAccepted)
    );
    let detail = v.audit_log().unwrap().last().unwrap().event.detail.clone();
    assert!(detail.unwrap().contains("accepted in place of write #"));
    drop(v);
    let mut v = s.open();
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    // Nothing left to accept: nothing written.
    let events = v.audit_log().unwrap().len();
    assert!(!v.accept_restored_backup().unwrap());
    assert_eq!(v.audit_log().unwrap().len(), events);
}

#[test]
fn a_hand_edited_anchor_file_is_reported_and_not_overwritten_by_a_write() {
    let h = Headless::new();
    let mut v = h.open();
    v.add(key("a", "binance", &["read"]), fields_for("binance", "a"))
        .unwrap();
    drop(v);
    let before = Copy::take(&h.sandbox.path);
    let mut v = h.open();
    v.revoke("a", None).unwrap();
    drop(v);
    before.restore(&h.sandbox.path);
    // The attacker lowers the recorded counter to match the old file; they cannot redo the MAC.
    let file = h.anchor_file();
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[1] = "1".into();
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();

    let mut v = h.open();
    assert!(
        v.warnings().iter().any(|w| w.contains("altered")),
        "{:?}",
        v.warnings()
    );
    v.record_unlock().unwrap();
    drop(v);
    let mut v = h.open();
    assert!(v.rollback_warning().is_some(), "{:?}", v.warnings());
    assert!(v.accept_restored_backup().unwrap());
    drop(v);
    assert!(h.open().warnings().is_empty());
}

#[test]
fn the_anchor_never_moves_backwards_and_a_newer_file_raises_it() {
    let h = Headless::new();
    let v = h.open();
    let first = v.commit_counter().unwrap();
    drop(v);
    let old = Copy::take(&h.sandbox.path);
    let mut v = h.open();
    for _ in 0..3 {
        v.record_unlock().unwrap();
    }
    let high = v.commit_counter().unwrap();
    drop(v);
    old.restore(&h.sandbox.path);
    let mut v = h.open();
    v.record_unlock().unwrap();
    assert!(v.commit_counter().unwrap() < high);
    drop(v);
    let text = std::fs::read_to_string(h.anchor_file()).unwrap();
    assert_eq!(
        text.lines().nth(1),
        Some(format!("{high} disputed").as_str())
    );
    assert!(first < high);
}

#[test]
fn a_passphrase_change_records_the_anchor_again_under_the_new_vault_key() {
    let h = Headless::new();
    let mut v = h.open();
    v.add(key("a", "binance", &["read"]), fields_for("binance", "a"))
        .unwrap();
    let new = SecretString::from("a new passphrase for the rekeyed vault");
    v.change_passphrase(&new, keystead_core::KdfParams::FLOOR)
        .unwrap();
    drop(v);
    let opts = OpenOptions::new(h.sandbox.clock.clone(), "test").with_anchor(Arc::new(h.anchor()));
    let v = Vault::unlock(&h.sandbox.path, &new, opts).unwrap();
    // The anchor file's MAC is keyed from the vault key: a stale record would read as "altered".
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    assert!(v.rollback_warning().is_none());
    // The record made for the change before its commit is gone with the record after it.
    h.anchor_file();
}

/// The file anchor, with the process killed right after a passphrase change's commit: the record that
/// follows the commit is never written.
struct KilledAfterCommit {
    file: FileAnchor,
    committing: AtomicBool,
}

impl RollbackAnchor for KilledAfterCommit {
    fn seen(&self, vault_id: &str, key: &AnchorKey) -> Seen {
        self.file.seen(vault_id, key)
    }
    fn record(&self, vault_id: &str, key: &AnchorKey, mark: Mark) {
        if !self.committing.load(Ordering::SeqCst) {
            self.file.record(vault_id, key, mark);
        }
    }
    fn record_next(&self, vault_id: &str, next_key: &AnchorKey, mark: Mark) {
        self.file.record_next(vault_id, next_key, mark);
        self.committing.store(true, Ordering::SeqCst);
    }
}

/// Found by the crash proof (`KEYSTEAD_PROOF_SEED=1796315649023840296`, write #41, `keystead passwd`):
/// killed after the vault committed under its new key but before the anchor was recorded under it, the
/// next open said the anchor "was altered or made for another vault key" and `audit --verify` failed.
#[test]
fn a_passphrase_change_killed_between_its_commit_and_the_anchor_leaves_no_false_warning() {
    let h = Headless::new();
    let mut v = h.open();
    v.add(key("a", "binance", &["read"]), fields_for("binance", "a"))
        .unwrap();
    drop(v);
    let before = Copy::take(&h.sandbox.path);
    let killed = Arc::new(KilledAfterCommit {
        file: h.anchor(),
        committing: AtomicBool::new(false),
    });
    let opts = OpenOptions::new(h.sandbox.clock.clone(), "test").with_anchor(killed.clone());
    let mut v = Vault::unlock(&h.sandbox.path, &SecretString::from(PASS), opts).unwrap();
    let new = SecretString::from("a new passphrase for the rekeyed vault");
    v.change_passphrase(&new, keystead_core::KdfParams::FLOOR)
        .unwrap();
    drop(v);
    assert!(killed.committing.load(Ordering::SeqCst));
    let files = std::fs::read_dir(h.anchor().dir()).unwrap().count();
    assert_eq!(files, 2, "the old record and the one made for the new key");

    let opts = OpenOptions::new(h.sandbox.clock.clone(), "test").with_anchor(Arc::new(h.anchor()));
    let v = Vault::unlock(&h.sandbox.path, &new, opts).unwrap();
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    assert!(v.verify_audit().unwrap().problem.is_none());
    drop(v);
    // The open raised the anchor under the new key and dropped the record made for the change.
    let text = std::fs::read_to_string(h.anchor_file()).unwrap();
    assert!(text.starts_with("keystead-anchor v1\n"), "{text}");

    // The file rolled back to before the change (old key, older counter) is still reported.
    before.restore(&h.sandbox.path);
    let v = h.open();
    assert!(v.rollback_warning().is_some(), "{:?}", v.warnings());
}
