//! The vault's commit counter mirrored outside the vault file, so a file swapped for an older copy of
//! itself (which would undo a revocation or hide audit entries) is reported at the next unlock.

use std::collections::HashMap;
use std::sync::Mutex;

/// Where the highest commit counter seen for each vault is kept.
pub trait RollbackAnchor: Send + Sync {
    /// The counter last recorded for this vault on this machine; `None` if unknown or unreachable.
    fn seen(&self, vault_id: &str) -> Option<u64>;
    /// Records the counter after a write. Best effort: a missing keyring never blocks the vault.
    fn record(&self, vault_id: &str, counter: u64);
}

/// No mirror: used where no keyring exists. A whole-file rollback then goes unnoticed.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAnchor;

impl RollbackAnchor for NoAnchor {
    fn seen(&self, _: &str) -> Option<u64> {
        None
    }
    fn record(&self, _: &str, _: u64) {}
}

/// The OS keyring: Secret Service on Linux, the Keychain on macOS, Credential Manager on Windows.
/// Calls block (D-Bus round trips): async callers run them on a blocking thread.
#[derive(Debug, Clone)]
pub struct KeyringAnchor {
    service: String,
}

impl Default for KeyringAnchor {
    fn default() -> Self {
        Self {
            service: "keystead".into(),
        }
    }
}

impl KeyringAnchor {
    fn entry(&self, vault_id: &str) -> Option<keyring::Entry> {
        keyring::Entry::new(&self.service, &format!("vault-commit-counter:{vault_id}")).ok()
    }
}

impl RollbackAnchor for KeyringAnchor {
    fn seen(&self, vault_id: &str) -> Option<u64> {
        self.entry(vault_id)?
            .get_password()
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn record(&self, vault_id: &str, counter: u64) {
        if let Some(e) = self.entry(vault_id) {
            let _ = e.set_password(&counter.to_string());
        }
    }
}

/// An in-process mirror, for tests of the rollback check itself and for tools that open a vault twice.
#[derive(Debug, Default)]
pub struct MemoryAnchor(Mutex<HashMap<String, u64>>);

impl RollbackAnchor for MemoryAnchor {
    fn seen(&self, vault_id: &str) -> Option<u64> {
        self.0.lock().ok()?.get(vault_id).copied()
    }
    fn record(&self, vault_id: &str, counter: u64) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(vault_id.to_string(), counter);
        }
    }
}
