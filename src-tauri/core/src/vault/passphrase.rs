//! The passphrase: its minimum length, changing it, checking it again before a sensitive operation.

use super::index::find_row;
use super::{header_ad, Vault, FORMAT_VERSION, MIN_PASSPHRASE_CHARS};
use crate::audit::AuditAction;
use crate::crypto::{self, KdfParams, VaultKeys};
use crate::error::{Error, Result};
use rusqlite::params;
use secrecy::{ExposeSecret, SecretString};

/// Refuses a passphrase too short to protect a vault. `create` and `change_passphrase` call it too;
/// front ends call it first to answer before the slow key derivation.
pub fn check_passphrase(p: &SecretString) -> Result<()> {
    if p.expose_secret().chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(Error::WeakPassphrase {
            min: MIN_PASSPHRASE_CHARS,
        });
    }
    Ok(())
}

impl Vault {
    /// Re-wraps the vault key under a new passphrase (new salt; `kdf` as given). Records are untouched.
    pub fn change_passphrase(
        &mut self,
        new_passphrase: &SecretString,
        kdf: KdfParams,
    ) -> Result<()> {
        check_passphrase(new_passphrase)?;
        kdf.check()?;
        let salt: [u8; 32] = crypto::random_bytes();
        let kek = crypto::derive_kek(new_passphrase, &salt, kdf)?;
        let wrapped = self
            .keys
            .wrap(&kek, &header_ad(&self.vault_id, FORMAT_VERSION, kdf, &salt));
        self.write(|tx| {
            tx.tx.execute(
                "UPDATE header SET kdf_memory_kib = ?1, kdf_iterations = ?2, kdf_parallelism = ?3, salt = ?4, wrapped_key = ?5 WHERE singleton = 1",
                params![kdf.memory_kib, kdf.iterations, kdf.parallelism, &salt[..], wrapped],
            )?;
            // The vault key stays the same (it is re-wrapped), so the lookup columns stay valid; they
            // are rebuilt anyway, which also repairs any that were altered outside Keystead.
            tx.reindex_entries()?;
            tx.audit(
                AuditAction::PassphraseChanged,
                None,
                Some(format!("Argon2id {} MiB, {} passes", kdf.memory_kib / 1024, kdf.iterations)),
            )
        })
    }

    /// Checks a passphrase against the header without changing anything (step-up before a sensitive
    /// operation). Costs one key derivation.
    pub fn verify_passphrase(&self, passphrase: &SecretString) -> Result<()> {
        let (m, t, p, salt, wrapped): (u32, u32, u32, Vec<u8>, Vec<u8>) = self.conn.query_row(
            "SELECT kdf_memory_kib, kdf_iterations, kdf_parallelism, salt, wrapped_key FROM header WHERE singleton = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        let kdf = KdfParams {
            memory_kib: m,
            iterations: t,
            parallelism: p,
        };
        let kek = crypto::derive_kek(passphrase, &salt, kdf)?;
        let ad = header_ad(&self.vault_id, FORMAT_VERSION, kdf, &salt);
        match VaultKeys::unwrap(&kek, &wrapped, &ad, &self.vault_id) {
            Some(_) => Ok(()),
            None => Err(Error::WrongPassphrase),
        }
    }

    /// Records a wrong passphrase given to use a key's secret (step-up), so guessing shows in the audit.
    pub fn record_step_up_failure(&mut self, name: &str) -> Result<()> {
        self.write(|tx| {
            let (entry, _) = find_row(&tx.tx, &tx.cells, name)?;
            tx.audit(
                AuditAction::UnlockFailed,
                Some(&entry),
                Some("wrong passphrase when asked again for this key's secret".into()),
            )
        })
    }

    /// The KDF parameters in the header.
    pub fn kdf_params(&self) -> Result<KdfParams> {
        Ok(self.conn.query_row(
            "SELECT kdf_memory_kib, kdf_iterations, kdf_parallelism FROM header WHERE singleton = 1",
            [],
            |r| Ok(KdfParams { memory_kib: r.get(0)?, iterations: r.get(1)?, parallelism: r.get(2)? }),
        )?)
    }
}
