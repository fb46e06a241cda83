//! Remember on this device, attacked: the remembered slot opens the vault with the same checks as the
//! passphrase, needs the passphrase to be made, never satisfies step-up, goes with "forget" and with a
//! passphrase change, keeps two devices apart, and a keyring that does not answer turns it off with a
//! reason while the passphrase still works. The last tests run against the real OS keyring
//! (gnome-keyring on a private D-Bus session, KEYSTEAD_TEST_KEYRING=1).

mod common;

use common::{audit_actions, fields_for, key, Sandbox, PASS};
use keystead_core::device_key::{DeviceKeyStore, MemoryDeviceKeys, OsKeyring};
use keystead_core::vault::{DeviceStatus, OpenOptions, RememberOff};
use keystead_core::{AuditAction, CredentialField, Error, KdfParams, Vault};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

fn pass() -> SecretString {
    SecretString::from(PASS)
}

/// A vault sandbox and one device's keyring.
struct Device {
    s: Sandbox,
    keys: Arc<MemoryDeviceKeys>,
}

impl Device {
    fn new() -> Self {
        Self {
            s: Sandbox::new(),
            keys: Arc::new(MemoryDeviceKeys::default()),
        }
    }

    fn opts(&self) -> OpenOptions {
        self.s.opts().with_device_keys(self.keys.clone())
    }

    fn open(&self) -> Vault {
        Vault::unlock(&self.s.path, &pass(), self.opts()).unwrap()
    }

    fn remembered(&self) -> keystead_core::Result<Vault> {
        Vault::unlock_remembered(&self.s.path, self.opts())
    }

    fn status(&self) -> DeviceStatus {
        Vault::device_status_locked(&self.s.path, self.keys.as_ref()).unwrap()
    }
}

fn off(r: keystead_core::Result<Vault>) -> RememberOff {
    match r {
        Err(Error::RememberOff { why }) => why,
        Err(e) => panic!("expected remembering to be off, got: {e}"),
        Ok(_) => panic!("the vault opened without the passphrase"),
    }
}

fn vault_id(d: &Device) -> String {
    let id: Vec<u8> =
        d.s.sql()
            .query_row("SELECT vault_id FROM header", [], |r| r.get(0))
            .unwrap();
    id.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_remembered_device_opens_the_vault_without_the_passphrase_and_it_is_audited() {
    let d = Device::new();
    assert_eq!(d.status(), DeviceStatus::Off(RememberOff::NotRemembered));
    assert_eq!(off(d.remembered()), RememberOff::NotRemembered);
    let mut v = d.open();
    v.add(
        key("binance-main", "binance", &["read"]),
        fields_for("binance", "v1"),
    )
    .unwrap();
    v.remember_device(&pass()).unwrap();
    assert_eq!(v.device_status().unwrap(), DeviceStatus::Remembered);
    assert_eq!(v.remembered_devices().unwrap(), 1);
    assert_eq!(
        audit_actions(&v).last(),
        Some(&AuditAction::DeviceRemembered)
    );
    drop(v);
    assert_eq!(d.status(), DeviceStatus::Remembered);
    let v = d.remembered().unwrap();
    assert_eq!(v.list().unwrap().len(), 1);
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    assert_eq!(v.verify_audit().unwrap().problem, None);
}

#[test]
fn turning_remembering_on_needs_the_passphrase_and_a_wrong_one_is_audited() {
    let d = Device::new();
    let mut v = d.open();
    let e = v
        .remember_device(&SecretString::from("walked away, someone else typing"))
        .unwrap_err();
    assert!(matches!(e, Error::WrongPassphrase), "{e}");
    assert!(
        !d.keys.holds(&vault_id(&d)),
        "a wrong passphrase put a key in the keyring"
    );
    assert_eq!(v.remembered_devices().unwrap(), 0);
    assert_eq!(audit_actions(&v).last(), Some(&AuditAction::UnlockFailed));
    drop(v);
    assert_eq!(off(d.remembered()), RememberOff::NotRemembered);
}

#[test]
fn a_remembered_unlock_does_not_satisfy_step_up() {
    let d = Device::new();
    let mut v = d.open();
    v.add(
        key("hot", "binance", &["read", "withdraw"]),
        fields_for("binance", "v1"),
    )
    .unwrap();
    v.remember_device(&pass()).unwrap();
    drop(v);
    let mut v = d.remembered().unwrap();
    for copy in [false, true] {
        let e = if copy {
            v.secret_for_copy("hot", CredentialField::Secret, None, None)
        } else {
            v.reveal("hot", CredentialField::Secret, None, None)
        }
        .unwrap_err();
        assert!(matches!(e, Error::StepUpRequired { .. }), "{e}");
    }
    let wrong = v.reveal(
        "hot",
        CredentialField::Secret,
        None,
        Some(&SecretString::from("not the passphrase")),
    );
    assert!(matches!(wrong, Err(Error::WrongPassphrase)));
    let shown = v
        .reveal("hot", CredentialField::Secret, None, Some(&pass()))
        .unwrap();
    assert_eq!(shown.expose_secret(), "v1-secret-value");
}

#[test]
fn forgetting_the_device_removes_its_slot_and_its_keyring_entry() {
    let d = Device::new();
    let mut v = d.open();
    v.remember_device(&pass()).unwrap();
    assert!(d.keys.holds(&vault_id(&d)));
    assert!(v.forget_device().unwrap());
    assert_eq!(
        audit_actions(&v).last(),
        Some(&AuditAction::DeviceForgotten)
    );
    assert!(!d.keys.holds(&vault_id(&d)));
    assert_eq!(v.remembered_devices().unwrap(), 0);
    assert!(
        !v.forget_device().unwrap(),
        "forgetting twice reports nothing to forget"
    );
    drop(v);
    assert_eq!(off(d.remembered()), RememberOff::NotRemembered);
    d.open();
}

#[test]
fn a_passphrase_change_removes_every_slot_and_this_devices_keyring_entry() {
    let d = Device::new();
    let other = Arc::new(MemoryDeviceKeys::default());
    let mut v = d.open();
    v.remember_device(&pass()).unwrap();
    drop(v);
    // A second machine sharing the file remembers it too.
    let mut w = Vault::unlock(
        &d.s.path,
        &pass(),
        d.s.opts().with_device_keys(other.clone()),
    )
    .unwrap();
    w.remember_device(&pass()).unwrap();
    assert_eq!(w.remembered_devices().unwrap(), 2);
    drop(w);
    let mut v = d.remembered().unwrap();
    v.change_passphrase(
        &SecretString::from("a brand new passphrase"),
        KdfParams::FLOOR,
    )
    .unwrap();
    assert_eq!(v.remembered_devices().unwrap(), 0);
    let log = v.audit_log().unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.event.action, AuditAction::DeviceForgotten);
    assert!(last
        .event
        .detail
        .as_deref()
        .unwrap()
        .contains("2 remembered devices"));
    assert!(
        !d.keys.holds(&vault_id(&d)),
        "this device's keyring entry stayed"
    );
    drop(v);
    assert_eq!(off(d.remembered()), RememberOff::NotRemembered);
    // The other machine still has its entry, which opens nothing now.
    let r = Vault::unlock_remembered(&d.s.path, d.s.opts().with_device_keys(other.clone()));
    assert_eq!(off(r), RememberOff::SlotGone);
}

#[test]
fn two_devices_sharing_one_file_each_keep_their_own_slot() {
    let d = Device::new();
    let other = Arc::new(MemoryDeviceKeys::default());
    let other_opts = || d.s.opts().with_device_keys(other.clone());
    d.open().remember_device(&pass()).unwrap();
    Vault::unlock(&d.s.path, &pass(), other_opts())
        .unwrap()
        .remember_device(&pass())
        .unwrap();
    let mut v = d.remembered().unwrap();
    assert!(v.forget_device().unwrap());
    drop(v);
    assert_eq!(off(d.remembered()), RememberOff::NotRemembered);
    Vault::unlock_remembered(&d.s.path, other_opts()).unwrap();
}

#[test]
fn a_keyring_that_does_not_answer_turns_remembering_off_with_its_reason_and_the_passphrase_works() {
    let d = Device::new();
    // Never remembered, keyring locked: off, and the file holds no slot (nobody to tell).
    d.keys.unavailable("the login keyring is locked");
    let mut v = d.open();
    let e = v.remember_device(&pass()).unwrap_err();
    assert!(e.to_string().contains("the login keyring is locked"), "{e}");
    assert_eq!(v.remembered_devices().unwrap(), 0);
    drop(v);
    assert_eq!(
        off(d.remembered()),
        RememberOff::KeyringUnavailable {
            reason: "the login keyring is locked".into(),
            vault_has_slots: false
        }
    );
    // Remembered, then the keyring goes away: off, with the reason, and the file says it had a slot.
    d.keys.available();
    d.open().remember_device(&pass()).unwrap();
    d.keys.unavailable("no Secret Service on this bus");
    let why = off(d.remembered());
    assert_eq!(
        why,
        RememberOff::KeyringUnavailable {
            reason: "no Secret Service on this bus".into(),
            vault_has_slots: true
        }
    );
    assert!(why.to_string().contains("passphrase"), "{why}");
    let v = d.open();
    assert!(matches!(v.device_status().unwrap(), DeviceStatus::Off(_)));
    // Nothing fell back to a file: the vault key is nowhere but the keyring's slot.
    d.keys.available();
    drop(v);
    d.remembered().unwrap();
}

#[test]
fn a_remembered_unlock_runs_the_rollback_and_integrity_checks() {
    let d = Device::new();
    let mut v = d.open();
    v.add(key("a", "binance", &["read"]), fields_for("binance", "v1"))
        .unwrap();
    v.remember_device(&pass()).unwrap();
    drop(v);
    let copy = d.s.path.with_extension("older");
    std::fs::copy(&d.s.path, &copy).unwrap();
    let mut v = d.remembered().unwrap();
    v.revoke("a", Some("left the team".into())).unwrap();
    drop(v);
    std::fs::copy(&copy, &d.s.path).unwrap();
    let v = d.remembered().unwrap();
    assert!(v.rollback_warning().is_some(), "{:?}", v.warnings());
    drop(v);
    // A deleted key row is noticed too.
    d.s.sql().execute("DELETE FROM entries", []).unwrap();
    let v = d.remembered().unwrap();
    assert!(
        v.warnings().iter().any(|w| !w.contains("older copy")),
        "a deleted row went unnoticed: {:?}",
        v.warnings()
    );
}

#[test]
fn an_altered_or_moved_slot_opens_nothing() {
    let d = Device::new();
    d.open().remember_device(&pass()).unwrap();
    let sql = d.s.sql();
    let (id, mut blob): (String, Vec<u8>) = sql
        .query_row("SELECT device_id, wrapped_key FROM device_slots", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let at = blob.len() / 2;
    blob[at] ^= 1;
    sql.execute(
        "UPDATE device_slots SET wrapped_key = ?1 WHERE device_id = ?2",
        rusqlite::params![blob, id],
    )
    .unwrap();
    drop(sql);
    assert_eq!(off(d.remembered()), RememberOff::SlotGone);
    // Remembering again mends it; a slot moved under another device id does not open.
    d.open().remember_device(&pass()).unwrap();
    d.remembered().unwrap();
    d.s.sql()
        .execute("UPDATE device_slots SET device_id = 'ab' || device_id", [])
        .unwrap();
    assert_eq!(off(d.remembered()), RememberOff::SlotGone);
    // Remembering again writes a new slot; the stray row opens nothing and is no harm.
    d.open().remember_device(&pass()).unwrap();
    d.remembered().unwrap();
}

/// The OS keyring of the test run, or `None` (the test says so and passes) outside scripts/test.sh.
fn real_keyring() -> Option<Arc<OsKeyring>> {
    if std::env::var_os("KEYSTEAD_TEST_KEYRING").is_none() {
        eprintln!("skipped: needs gnome-keyring on a private D-Bus session; run scripts/test.sh");
        return None;
    }
    Some(Arc::new(OsKeyring::default()))
}

#[test]
fn with_the_os_keyring_remember_unlock_forget_and_a_passphrase_change() {
    let Some(keyring) = real_keyring() else {
        return;
    };
    let s = Sandbox::new();
    let opts = || s.opts().with_device_keys(keyring.clone());
    let id: String = {
        let id: Vec<u8> = s
            .sql()
            .query_row("SELECT vault_id FROM header", [], |r| r.get(0))
            .unwrap();
        id.iter().map(|b| format!("{b:02x}")).collect()
    };
    let entry = || keyring::Entry::new("keystead", &OsKeyring::entry_user(&id)).unwrap();
    assert!(matches!(
        entry().get_password(),
        Err(keyring::Error::NoEntry)
    ));
    let mut v = Vault::unlock(&s.path, &pass(), opts()).unwrap();
    v.remember_device(&pass()).unwrap();
    drop(v);
    let stored = entry()
        .get_password()
        .expect("the device key is in the keyring");
    assert!(stored.starts_with("keystead-device-key v1:"));
    // Nothing of it is in the vault file or its log.
    let key_hex = stored.rsplit(':').next().unwrap();
    let key_bytes: Vec<u8> = (0..key_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&key_hex[i..i + 2], 16).unwrap())
        .collect();
    let bytes = s.file_bytes();
    assert!(!bytes.windows(32).any(|w| w == key_bytes.as_slice()));
    assert!(!bytes.windows(64).any(|w| w == key_hex.as_bytes()));

    let mut v = Vault::unlock_remembered(&s.path, opts()).unwrap();
    assert_eq!(v.device_status().unwrap(), DeviceStatus::Remembered);
    assert!(v.forget_device().unwrap());
    assert!(matches!(
        entry().get_password(),
        Err(keyring::Error::NoEntry)
    ));
    drop(v);
    assert!(matches!(
        Vault::unlock_remembered(&s.path, opts()),
        Err(Error::RememberOff {
            why: RememberOff::NotRemembered
        })
    ));

    let mut v = Vault::unlock(&s.path, &pass(), opts()).unwrap();
    v.remember_device(&pass()).unwrap();
    assert!(entry().get_password().is_ok());
    v.change_passphrase(
        &SecretString::from("a brand new passphrase"),
        KdfParams::FLOOR,
    )
    .unwrap();
    assert!(
        matches!(entry().get_password(), Err(keyring::Error::NoEntry)),
        "the keyring entry outlived the passphrase change"
    );
    drop(v);
    assert!(Vault::unlock_remembered(&s.path, opts()).is_err());
    let _ = keyring.delete(&id);
}
