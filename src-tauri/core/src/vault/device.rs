//! Remember on this device: the vault key wrapped under this device's key (kept in the OS keyring, see
//! [`crate::device_key`]) in a slot of its own, one row per device id, so that the vault opens without
//! the passphrase while the OS session is unlocked. Turning it on needs the passphrase; changing the
//! passphrase removes every slot; step-up still needs the passphrase, whatever opened the vault.
//!
//! The slot is bound to the vault id, the device id and the header's wrapped key, so it opens nothing
//! once the passphrase (and with it the vault key) has changed, and a slot moved to another row or
//! vault fails. Slots are plaintext rows outside the state MAC: deleting one only turns remembering
//! off, and writing one that opens needs the vault key.

use super::open::{read_header, Header};
use super::{ts, Vault, WriteTx};
use crate::audit::AuditAction;
use crate::crypto::VaultKeys;
use crate::device_key::{DeviceKey, DeviceKeyStore, KeyringUnavailable, DEVICE_ID_LEN};
use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension};
use secrecy::SecretString;
use std::path::Path;
use zeroize::Zeroizing;

/// Created on first use, like the throttle's table: an older Keystead ignores it.
const DEVICE_SLOTS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS device_slots (
    device_id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    wrapped_key BLOB NOT NULL
);
";

/// Why the vault does not open with this device: each says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RememberOff {
    /// This device's keyring holds no key for this vault: remembering was never turned on here, or
    /// was turned off.
    #[error("this device is not remembered for this vault: unlock with the passphrase")]
    NotRemembered,
    /// The keyring holds a key for this vault, but the file has no slot it opens: the passphrase was
    /// changed, or this device was forgotten, perhaps on another machine sharing the file.
    #[error("this device was remembered, but the vault no longer lets it in (the passphrase was changed or the device was forgotten, perhaps on another machine): unlock with the passphrase, and turn remembering on again if you want it")]
    SlotGone,
    /// The OS keyring is absent, locked or refused; `vault_has_slots` says whether the file holds any
    /// device's slot, so a front end tells only people who had turned remembering on.
    #[error("remembering on this device is off: {reason}; the passphrase still works")]
    KeyringUnavailable {
        reason: String,
        vault_has_slots: bool,
    },
}

/// Whether this device opens the vault without the passphrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceStatus {
    /// The keyring holds this device's key and the file its slot.
    Remembered,
    /// It does not, and why.
    Off(RememberOff),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The slot's associated data: what it is, the vault, the device, and the header's wrapped key (which
/// changes with the passphrase).
fn slot_ad(vault_id: &[u8], device_id: &[u8; DEVICE_ID_LEN], header_wrapped: &[u8]) -> Vec<u8> {
    let mut ad = Vec::with_capacity(64 + header_wrapped.len());
    ad.extend_from_slice(b"keystead device slot v1\0");
    for part in [vault_id, &device_id[..], header_wrapped] {
        ad.extend_from_slice(&(part.len() as u32).to_le_bytes());
        ad.extend_from_slice(part);
    }
    ad
}

fn slots_table_exists(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'device_slots')",
        [],
        |r| r.get(0),
    )?)
}

fn slot_count(conn: &Connection) -> Result<u64> {
    if !slots_table_exists(conn)? {
        return Ok(0);
    }
    Ok(
        conn.query_row("SELECT count(*) FROM device_slots", [], |r| {
            r.get::<_, i64>(0)
        })? as u64,
    )
}

/// This device's slot: the vault key wrapped under the device key (wiped on drop like the key itself).
fn read_slot(conn: &Connection, device: &DeviceKey) -> Result<Option<Zeroizing<Vec<u8>>>> {
    if !slots_table_exists(conn)? {
        return Ok(None);
    }
    Ok(conn
        .query_row(
            "SELECT wrapped_key FROM device_slots WHERE device_id = ?1",
            [device.id_hex()],
            |r| r.get::<_, Vec<u8>>(0),
        )
        .optional()?
        .map(Zeroizing::new))
}

/// The vault key from this device's slot, or why not.
fn open_slot(
    conn: &Connection,
    vault_id: &[u8; 16],
    header_wrapped: &[u8],
    devices: &dyn DeviceKeyStore,
) -> Result<VaultKeys> {
    let off = |why| Error::RememberOff { why };
    let device = match devices.load(&hex(vault_id)) {
        Ok(Some(d)) => d,
        Ok(None) => return Err(off(RememberOff::NotRemembered)),
        Err(KeyringUnavailable(reason)) => {
            return Err(off(RememberOff::KeyringUnavailable {
                reason,
                vault_has_slots: slot_count(conn)? > 0,
            }))
        }
    };
    let Some(wrapped) = read_slot(conn, &device)? else {
        return Err(off(RememberOff::SlotGone));
    };
    let ad = slot_ad(vault_id, device.id(), header_wrapped);
    VaultKeys::unwrap(device.key(), &wrapped, &ad, vault_id).ok_or(off(RememberOff::SlotGone))
}

/// [`DeviceStatus`] of the vault whose connection and header are given.
fn status_of(
    conn: &Connection,
    vault_id: &[u8; 16],
    header_wrapped: &[u8],
    devices: &dyn DeviceKeyStore,
) -> Result<DeviceStatus> {
    match open_slot(conn, vault_id, header_wrapped, devices) {
        Ok(_) => Ok(DeviceStatus::Remembered),
        Err(Error::RememberOff { why }) => Ok(DeviceStatus::Off(why)),
        Err(e) => Err(e),
    }
}

impl WriteTx<'_> {
    /// Removes every device's slot (a passphrase change: the vault key they wrap is gone), audited
    /// when there was one. Returns how many.
    pub(super) fn forget_every_device(&mut self) -> Result<u64> {
        let removed = slot_count(&self.tx)?;
        if removed == 0 {
            return Ok(0);
        }
        self.tx.execute("DELETE FROM device_slots", [])?;
        self.audit(
            AuditAction::DeviceForgotten,
            None,
            Some(format!(
                "{removed} remembered device{}, with the passphrase change",
                if removed == 1 { "" } else { "s" }
            )),
        )?;
        Ok(removed)
    }
}

impl Vault {
    /// Opens and unlocks the vault at `path` with this device's slot instead of the passphrase, then
    /// runs exactly the checks of [`Vault::unlock`] (integrity, rollback anchor, records noted while
    /// locked). Not a passphrase check: it neither counts in nor resets the throttle, and it proves
    /// nothing to step-up. Without a slot that opens, [`Error::RememberOff`] says why; the passphrase
    /// still works.
    pub fn unlock_remembered(path: &Path, opts: super::OpenOptions) -> Result<Vault> {
        let header: Header = read_header(path)?;
        let keys = open_slot(
            &header.conn,
            &header.vault_id,
            &header.wrapped,
            opts.devices.as_ref(),
        )?;
        Vault::finish_unlock(header, path, keys, opts)
    }

    /// Whether the vault at `path` opens with this device, read without unlocking (for the unlock
    /// screen and the CLI). The slot is opened, so "remembered" means it works.
    pub fn device_status_locked(path: &Path, devices: &dyn DeviceKeyStore) -> Result<DeviceStatus> {
        let header = read_header(path)?;
        status_of(&header.conn, &header.vault_id, &header.wrapped, devices)
    }

    /// Whether this vault opens with this device.
    pub fn device_status(&self) -> Result<DeviceStatus> {
        let wrapped = self.header_wrapped_key()?;
        status_of(&self.conn, &self.vault_id, &wrapped, self.devices.as_ref())
    }

    fn header_wrapped_key(&self) -> Result<Vec<u8>> {
        Ok(self.conn.query_row(
            "SELECT wrapped_key FROM header WHERE singleton = 1",
            [],
            |r| r.get(0),
        )?)
    }

    /// Remembers this vault on this device: a new device key in the OS keyring and the vault key
    /// wrapped under it in this device's slot, written with its `device_remembered` audit event in one
    /// transaction. Needs `passphrase`, checked again (throttled, a wrong one audited), so that an
    /// unlocked window left alone cannot be made to remember. Remembering again replaces the key.
    pub fn remember_device(&mut self, passphrase: &SecretString) -> Result<()> {
        self.verify_passphrase(passphrase)?;
        let vault_id = self.anchor_id();
        let unavailable = |KeyringUnavailable(reason), conn: &Connection| -> Result<Error> {
            Ok(Error::RememberOff {
                why: RememberOff::KeyringUnavailable {
                    reason,
                    vault_has_slots: slot_count(conn)? > 0,
                },
            })
        };
        let earlier = match self.devices.load(&vault_id) {
            Ok(d) => d,
            Err(e) => return Err(unavailable(e, &self.conn)?),
        };
        let device = DeviceKey::generate();
        let wrapped = Zeroizing::new(self.keys.wrap(
            device.key(),
            &slot_ad(&self.vault_id, device.id(), &self.header_wrapped_key()?),
        ));
        if let Err(e) = self.devices.save(&vault_id, &device) {
            return Err(unavailable(e, &self.conn)?);
        }
        let written = self.write(|tx| {
            tx.tx.execute_batch(DEVICE_SLOTS_SCHEMA)?;
            if let Some(old) = &earlier {
                tx.tx.execute(
                    "DELETE FROM device_slots WHERE device_id = ?1",
                    [old.id_hex()],
                )?;
            }
            tx.tx.execute(
                "INSERT OR REPLACE INTO device_slots VALUES (?1, ?2, ?3)",
                rusqlite::params![device.id_hex(), ts(tx.now), wrapped.as_slice()],
            )?;
            tx.audit(
                AuditAction::DeviceRemembered,
                None,
                Some(format!("device {}", device.id_hex())),
            )
        });
        if written.is_err() {
            // The keyring goes back to what it held, so it never names a slot the file lacks.
            let _ = match &earlier {
                Some(old) => self.devices.save(&vault_id, old),
                None => self.devices.delete(&vault_id),
            };
        }
        written
    }

    /// Forgets this device: its slot leaves the file (audited, one transaction) and its key the
    /// keyring. Returns whether it was remembered. Needs the keyring (to know which slot is ours).
    pub fn forget_device(&mut self) -> Result<bool> {
        let vault_id = self.anchor_id();
        let device = match self.devices.load(&vault_id) {
            Ok(Some(d)) => d,
            Ok(None) => return Ok(false),
            Err(KeyringUnavailable(reason)) => {
                return Err(Error::RememberOff {
                    why: RememberOff::KeyringUnavailable {
                        reason,
                        vault_has_slots: slot_count(&self.conn)? > 0,
                    },
                })
            }
        };
        self.write(|tx| {
            let removed = if slots_table_exists(&tx.tx)? {
                tx.tx.execute(
                    "DELETE FROM device_slots WHERE device_id = ?1",
                    [device.id_hex()],
                )?
            } else {
                0
            };
            let detail = if removed == 0 {
                format!("device {} (its slot was already gone)", device.id_hex())
            } else {
                format!("device {}", device.id_hex())
            };
            tx.audit(AuditAction::DeviceForgotten, None, Some(detail))
        })?;
        self.devices
            .delete(&vault_id)
            .map_err(|KeyringUnavailable(reason)| Error::RememberOff {
                why: RememberOff::KeyringUnavailable {
                    reason,
                    vault_has_slots: false,
                },
            })?;
        Ok(true)
    }

    /// After a passphrase change: this device's keyring entry goes too (its slot went with the
    /// change). Best effort: a keyring that does not answer keeps an entry that opens nothing.
    pub(super) fn forget_device_key(&self) {
        let _ = self.devices.delete(&self.anchor_id());
    }

    /// Audits an unlock made with this device's slot ([`Vault::unlock_remembered`]), saying so.
    pub fn record_unlock_with_device(&mut self) -> Result<()> {
        self.write(|tx| {
            tx.audit(
                AuditAction::VaultUnlocked,
                None,
                Some("with this device's remembered key".into()),
            )
        })
    }

    /// How many devices' slots the file holds (tests and the settings card).
    pub fn remembered_devices(&self) -> Result<u64> {
        slot_count(&self.conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::crypto::KdfParams;
    use crate::device_key::MemoryDeviceKeys;
    use crate::vault::OpenOptions;
    use std::sync::Arc;

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn neither_the_device_key_nor_the_vault_key_is_in_any_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let keys = Arc::new(MemoryDeviceKeys::default());
        let opts = || {
            OpenOptions::new(Arc::new(FixedClock::new(chrono::Utc::now())), "test")
                .with_device_keys(keys.clone())
        };
        let pass = SecretString::from("correct horse battery staple");
        let mut v = Vault::create(&path, &pass, KdfParams::FLOOR, opts()).unwrap();
        v.remember_device(&pass).unwrap();
        let master = *v.keys.master_for_tests();
        let device = keys.load(&v.anchor_id()).unwrap().unwrap();
        let device_key = *device.key();
        drop(v);
        let v = Vault::unlock_remembered(&path, opts()).unwrap();
        assert_eq!(v.keys.master_for_tests(), &master);
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            files.push(std::fs::read(entry.unwrap().path()).unwrap());
        }
        assert!(!files.is_empty());
        for bytes in &files {
            for (what, secret) in [("device key", &device_key), ("vault key", &master)] {
                assert!(!contains(bytes, secret), "the {what} is in a file");
                assert!(
                    !contains(bytes, hex(secret).as_bytes()),
                    "the {what} is in a file, in hex"
                );
            }
        }
    }
}
