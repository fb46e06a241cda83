//! This device's key for "remember on this device": a random 256-bit key and a random device id, kept
//! in the OS keyring (one entry per vault) and never in a file. The vault file holds the vault key
//! wrapped under it (see `vault::device`).

use crate::crypto::{self, KEY_LEN};
use std::collections::HashMap;
use std::sync::Mutex;
use zeroize::Zeroizing;

/// Length of a device id: names this device's slot in the vault file, so that two machines sharing
/// one file each have their own.
pub const DEVICE_ID_LEN: usize = 16;

/// One device's key for one vault. Wiped on drop; `Debug` shows the device id only.
pub struct DeviceKey {
    id: [u8; DEVICE_ID_LEN],
    key: Zeroizing<[u8; KEY_LEN]>,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey")
            .field("id", &self.id_hex())
            .field("key", &"<redacted>")
            .finish()
    }
}

/// How an entry is written in the keyring: `keystead-device-key v1:<device id hex>:<key hex>`.
const ENTRY_PREFIX: &str = "keystead-device-key v1:";

impl DeviceKey {
    /// A new random key with a new random device id.
    pub(crate) fn generate() -> Self {
        Self {
            id: crypto::random_bytes(),
            key: Zeroizing::new(crypto::random_bytes()),
        }
    }

    /// The device id in hex: the slot's row id in the vault file.
    pub fn id_hex(&self) -> String {
        hex(&self.id)
    }

    pub(crate) fn id(&self) -> &[u8; DEVICE_ID_LEN] {
        &self.id
    }

    pub(crate) fn key(&self) -> &[u8; KEY_LEN] {
        &self.key
    }

    /// The keyring entry's text (a secret: wiped on drop).
    fn encode(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(
            ENTRY_PREFIX.len() + 2 * (DEVICE_ID_LEN + KEY_LEN) + 1,
        ));
        text.push_str(ENTRY_PREFIX);
        text.push_str(&self.id_hex());
        text.push(':');
        for b in self.key.iter() {
            text.push(char::from(HEX[usize::from(b >> 4)]));
            text.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        text
    }

    /// Reads a keyring entry's text; `None` if Keystead did not write it.
    fn decode(text: &str) -> Option<Self> {
        let rest = text.trim().strip_prefix(ENTRY_PREFIX)?;
        let (id, key) = rest.split_once(':')?;
        let id = Zeroizing::new(unhex(id)?);
        let key = Zeroizing::new(unhex(key)?);
        Some(Self {
            id: id.as_slice().try_into().ok()?,
            key: Zeroizing::new(key.as_slice().try_into().ok()?),
        })
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 0x0f)]])
        .map(char::from)
        .collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The keyring did not answer, or refused: why, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringUnavailable(pub String);

/// Where device keys are kept. Calls may block (D-Bus round trips): async callers run them on a
/// blocking thread.
pub trait DeviceKeyStore: Send + Sync {
    /// This device's key for the vault `vault_id` (hex), if one is kept.
    fn load(&self, vault_id: &str) -> Result<Option<DeviceKey>, KeyringUnavailable>;
    /// Keeps `key` for the vault, replacing any earlier one.
    fn save(&self, vault_id: &str, key: &DeviceKey) -> Result<(), KeyringUnavailable>;
    /// Removes the vault's key; nothing kept is not an error.
    fn delete(&self, vault_id: &str) -> Result<(), KeyringUnavailable>;
}

/// No keyring: remembering is unavailable (the default of [`crate::vault::OpenOptions`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoDeviceKeys;

const NO_KEYRING: &str = "this program was started without access to an OS keyring";

impl DeviceKeyStore for NoDeviceKeys {
    fn load(&self, _: &str) -> Result<Option<DeviceKey>, KeyringUnavailable> {
        Err(KeyringUnavailable(NO_KEYRING.into()))
    }
    fn save(&self, _: &str, _: &DeviceKey) -> Result<(), KeyringUnavailable> {
        Err(KeyringUnavailable(NO_KEYRING.into()))
    }
    fn delete(&self, _: &str) -> Result<(), KeyringUnavailable> {
        Err(KeyringUnavailable(NO_KEYRING.into()))
    }
}

/// The OS keyring through the `keyring` crate: Secret Service on Linux, the Keychain on macOS,
/// Credential Manager on Windows. Entries: service `keystead`, user `device-key:<vault id>`.
#[derive(Debug, Clone)]
pub struct OsKeyring {
    service: String,
}

impl Default for OsKeyring {
    fn default() -> Self {
        Self {
            service: "keystead".into(),
        }
    }
}

/// The keyring's own error, on one line, said as what it means for remembering.
fn unavailable(e: keyring::Error) -> KeyringUnavailable {
    let detail = e
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    KeyringUnavailable(match e {
        keyring::Error::NoStorageAccess(_) => {
            format!("the OS keyring is locked or refused access ({detail})")
        }
        keyring::Error::PlatformFailure(_) => {
            format!("no OS keyring answered ({detail})")
        }
        _ => format!("the OS keyring failed ({detail})"),
    })
}

impl OsKeyring {
    /// The keyring entry of one vault (its name, not its contents).
    pub fn entry_user(vault_id: &str) -> String {
        format!("device-key:{vault_id}")
    }

    fn entry(&self, vault_id: &str) -> Result<keyring::Entry, KeyringUnavailable> {
        keyring::Entry::new(&self.service, &Self::entry_user(vault_id)).map_err(unavailable)
    }
}

impl DeviceKeyStore for OsKeyring {
    fn load(&self, vault_id: &str) -> Result<Option<DeviceKey>, KeyringUnavailable> {
        match self.entry(vault_id)?.get_password() {
            Ok(text) => {
                let text = Zeroizing::new(text);
                DeviceKey::decode(&text).map(Some).ok_or_else(|| {
                    KeyringUnavailable(
                        "the OS keyring's entry for this vault was not written by Keystead".into(),
                    )
                })
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn save(&self, vault_id: &str, key: &DeviceKey) -> Result<(), KeyringUnavailable> {
        self.entry(vault_id)?
            .set_password(&key.encode())
            .map_err(unavailable)
    }

    fn delete(&self, vault_id: &str) -> Result<(), KeyringUnavailable> {
        match self.entry(vault_id)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// An in-process keyring, for tests; [`MemoryDeviceKeys::unavailable`] plays a locked one.
#[derive(Debug, Default)]
pub struct MemoryDeviceKeys {
    entries: Mutex<HashMap<String, Zeroizing<String>>>,
    down: Mutex<Option<String>>,
}

impl MemoryDeviceKeys {
    /// From now on every call fails with `why` (until [`MemoryDeviceKeys::available`]).
    pub fn unavailable(&self, why: &str) {
        if let Ok(mut d) = self.down.lock() {
            *d = Some(why.to_string());
        }
    }

    pub fn available(&self) {
        if let Ok(mut d) = self.down.lock() {
            *d = None;
        }
    }

    /// Whether an entry is kept for the vault (read even while "unavailable").
    pub fn holds(&self, vault_id: &str) -> bool {
        self.entries.lock().is_ok_and(|m| m.contains_key(vault_id))
    }

    fn check(&self) -> Result<(), KeyringUnavailable> {
        match self.down.lock().ok().and_then(|d| d.clone()) {
            Some(why) => Err(KeyringUnavailable(why)),
            None => Ok(()),
        }
    }
}

impl DeviceKeyStore for MemoryDeviceKeys {
    fn load(&self, vault_id: &str) -> Result<Option<DeviceKey>, KeyringUnavailable> {
        self.check()?;
        let entries = self
            .entries
            .lock()
            .map_err(|_| KeyringUnavailable("poisoned".into()))?;
        Ok(entries.get(vault_id).and_then(|t| DeviceKey::decode(t)))
    }

    fn save(&self, vault_id: &str, key: &DeviceKey) -> Result<(), KeyringUnavailable> {
        self.check()?;
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| KeyringUnavailable("poisoned".into()))?;
        entries.insert(vault_id.to_string(), key.encode());
        Ok(())
    }

    fn delete(&self, vault_id: &str) -> Result<(), KeyringUnavailable> {
        self.check()?;
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| KeyringUnavailable("poisoned".into()))?;
        entries.remove(vault_id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_key_survives_its_keyring_text_and_never_prints() {
        let k = DeviceKey::generate();
        let text = k.encode();
        let back = DeviceKey::decode(&text).unwrap();
        assert_eq!(back.id(), k.id());
        assert_eq!(back.key(), k.key());
        let shown = format!("{k:?}");
        assert!(shown.contains(&k.id_hex()), "{shown}");
        assert!(!shown.contains(&hex(k.key())), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        for bad in [
            "",
            "keystead-device-key v1:zz:00",
            "other:00:00",
            &text[..text.len() - 2],
        ] {
            assert!(DeviceKey::decode(bad).is_none(), "{bad:?}");
        }
    }
}
