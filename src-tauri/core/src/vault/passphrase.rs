//! The passphrase: its minimum length, changing it, checking it again before a sensitive operation
//! (through the throttle, audited).

use super::index::find_row;
use super::locked::open_locked;
use super::throttle;
use super::{header_ad, Vault, FORMAT_VERSION, MIN_PASSPHRASE_CHARS};
use crate::audit::AuditAction;
use crate::crypto::{self, KdfParams, VaultKeys};
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::path::Path;

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
    /// Changes the passphrase (new salt; `kdf` as given) and the vault key under it: every record is
    /// sealed again under a new random key in one transaction (see the `rekey` module), so an old copy
    /// of the header and the old passphrase open nothing. [`Vault::change_passphrase_with_progress`]
    /// reports progress.
    pub fn change_passphrase(
        &mut self,
        new_passphrase: &SecretString,
        kdf: KdfParams,
    ) -> Result<()> {
        self.change_passphrase_with_progress(new_passphrase, kdf, |_, _| {})
    }

    /// Checks a passphrase against the header before a sensitive operation (step-up, a passphrase
    /// change). Goes through the vault file's throttle like an unlock: too soon after repeated failures
    /// it answers [`Error::RetryLater`] without checking. A wrong or refused attempt is audited.
    pub fn verify_passphrase(&mut self, passphrase: &SecretString) -> Result<()> {
        self.check_again(passphrase, None)
    }

    /// [`Vault::verify_passphrase`] before using the secret of key `name`; the audit event of a wrong
    /// or refused attempt names the key.
    pub fn verify_passphrase_for_key(
        &mut self,
        passphrase: &SecretString,
        name: &str,
    ) -> Result<()> {
        self.check_again(passphrase, Some(name))
    }

    fn check_again(&mut self, passphrase: &SecretString, key: Option<&str>) -> Result<()> {
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
        if let Err(e) = throttle::begin_attempt(&self.conn, self.clock.now(), false) {
            if let Error::RetryLater { wait_seconds } = e {
                self.record_check_failure(
                    key,
                    format!("passphrase not checked: too many wrong passphrases ({wait_seconds} s to wait)"),
                )?;
            }
            return Err(e);
        }
        let kek = crypto::derive_kek(passphrase, &salt, kdf)?;
        let ad = header_ad(&self.vault_id, FORMAT_VERSION, kdf, &salt);
        match VaultKeys::unwrap(&kek, &wrapped, &ad, &self.vault_id) {
            Some(_) => throttle::succeeded(&self.conn),
            None => {
                let detail = match key {
                    Some(_) => "wrong passphrase when asked again for this key (step-up)",
                    None => "wrong passphrase when asked again",
                };
                self.record_check_failure(key, detail.into())?;
                Err(Error::WrongPassphrase)
            }
        }
    }

    /// Audits a wrong or refused passphrase given while unlocked, so guessing shows in the audit.
    fn record_check_failure(&mut self, key: Option<&str>, detail: String) -> Result<()> {
        self.write(|tx| {
            let entry = match key {
                Some(name) => find_row(&tx.tx, &tx.cells, name).ok().map(|(e, _)| e),
                None => None,
            };
            tx.audit(AuditAction::UnlockFailed, entry.as_ref(), Some(detail))
        })
    }

    /// Seals the unlock attempts the throttle refused while the vault was locked into the audit chain
    /// (one event with their number). [`Vault::unlock`] calls it.
    pub(super) fn seal_refused_attempts(&mut self) -> Result<()> {
        let refused = throttle::refused(&self.conn)?;
        if refused == 0 {
            return Ok(());
        }
        self.write(|tx| {
            tx.audit(
                AuditAction::UnlockFailed,
                None,
                Some(format!(
                    "{refused} unlock attempt{} refused while locked: too many wrong passphrases",
                    if refused == 1 { "" } else { "s" }
                )),
            )?;
            throttle::clear_refused(&tx.tx)
        })
    }

    /// Seconds before the next passphrase attempt on the vault at `path` may be made, read without the
    /// passphrase (0 for a file that has had no recent failures).
    pub fn passphrase_wait_locked(path: &Path, now: DateTime<Utc>) -> Result<u64> {
        throttle::wait_seconds(&open_locked(path, false)?, now)
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
