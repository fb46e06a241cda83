//! Backups: a copy of the vault file at a chosen place opens with the same passphrase and holds the same
//! keys and audit log, is private, holds no secret in the clear, and never lands on an existing file
//! unless asked (and then only on another vault file, never on the vault itself).

use keystead_core::{AuditAction, CredentialField, Vault};
use secrecy::{ExposeSecret, SecretString};
use std::os::unix::fs::PermissionsExt;

mod common;

use common::{audit_actions, fields_for, key, Sandbox, PASS};

fn open_copy(s: &Sandbox, path: &std::path::Path) -> Vault {
    Vault::unlock(path, &SecretString::from(PASS), s.opts()).unwrap()
}

#[test]
fn a_backup_opens_with_the_passphrase_and_holds_the_same_keys_and_audit() {
    let s = Sandbox::new();
    let mut v = s.open();
    v.add(
        key("binance scalper", "binance", &["read", "trade"]),
        fields_for("binance", "bot"),
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("vault-backup.db");
    v.backup_to(&copy, false).unwrap();
    let log = v.audit_log().unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.event.action, AuditAction::VaultBackedUp);
    assert_eq!(
        last.event.detail.as_deref(),
        Some(format!("vault backed up to {}", copy.display()).as_str())
    );
    let original_actions = audit_actions(&v);
    drop(v);

    let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the backup is private");
    let leftovers: Vec<_> = std::fs::read_dir(elsewhere.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("vault-backup.db")]);

    let bytes = std::fs::read(&copy).unwrap();
    for needle in ["bot-secret-value", "bot-apiKey-value", "binance scalper"] {
        let hit = bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
        assert!(!hit, "{needle:?} is in the backup's bytes in the clear");
    }

    let mut c = open_copy(&s, &copy);
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    let names: Vec<_> = c.list().unwrap().into_iter().map(|k| k.name).collect();
    assert_eq!(names, vec!["binance scalper".to_string()]);
    assert_eq!(audit_actions(&c), original_actions);
    assert!(
        c.verify_audit().unwrap().intact(),
        "the copy's audit chain verifies"
    );
    let secret = c
        .reveal("binance scalper", CredentialField::Secret, None, None)
        .unwrap();
    assert_eq!(secret.expose_secret(), "bot-secret-value");
}

#[test]
fn an_existing_file_is_refused_unless_replaced_on_purpose_and_only_a_vault_file_is_replaced() {
    let s = Sandbox::new();
    let mut v = s.open();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("backup.db");
    std::fs::write(&copy, b"my notes").unwrap();
    let e = v.backup_to(&copy, false).unwrap_err().to_string();
    assert!(e.contains("already exists"), "{e}");
    let e = v.backup_to(&copy, true).unwrap_err().to_string();
    assert!(e.contains("is not a vault file"), "{e}");
    assert_eq!(std::fs::read(&copy).unwrap(), b"my notes");

    std::fs::remove_file(&copy).unwrap();
    v.backup_to(&copy, false).unwrap();
    v.add(key("later", "okx", &["read"]), fields_for("okx", "later"))
        .unwrap();
    let e = v.backup_to(&copy, false).unwrap_err().to_string();
    assert!(e.contains("already exists"), "{e}");
    v.backup_to(&copy, true).unwrap();
    drop(v);
    let c = open_copy(&s, &copy);
    assert!(
        c.find("later").is_ok(),
        "the replaced backup is the newer one"
    );
}

#[test]
fn the_vault_itself_and_a_missing_folder_are_refused_and_nothing_is_recorded() {
    let s = Sandbox::new();
    let mut v = s.open();
    let before = audit_actions(&v).len();
    let e = v.backup_to(&s.path, true).unwrap_err().to_string();
    assert!(e.contains("this vault's own file"), "{e}");
    let mut wal = s.path.as_os_str().to_owned();
    wal.push("-wal");
    let e = v
        .backup_to(std::path::Path::new(&wal), true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("this vault's own file"), "{e}");
    let e = v
        .backup_to(std::path::Path::new("/no/such/folder/b.db"), false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not exist"), "{e}");
    assert_eq!(audit_actions(&v).len(), before);
}
