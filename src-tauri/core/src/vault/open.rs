//! Creating and unlocking a vault: the header, the first audit entry, the default location.

use super::cells::{Cells, State};
use super::file::{create_vault_file, not_a_vault, open_connection};
use super::locked::{
    failed_unlock_count, failure_count_mismatch, has_failed_unlocks, note_failed_unlock,
    read_failed_unlocks,
};
use super::passphrase::check_passphrase;
use super::schema::{
    add_index_schema, migrate, schema_version, FAILURE_COUNT_SCHEMA, REMINDERS_SCHEMA,
    SCAN_IGNORES_SCHEMA, SCHEMA, SHARING_SCHEMA, TEAMS_SCHEMA,
};
use super::throttle;
use super::{header_ad, Vault, FORMAT_VERSION, MAGIC, SCHEMA_VERSION};
use crate::anchor::{NoAnchor, RollbackAnchor};
use crate::audit::{self, AuditAction};
use crate::clock::Clock;
use crate::crypto::{self, KdfParams, VaultKeys, MAC_LEN};
use crate::device_key::{DeviceKeyStore, NoDeviceKeys};
use crate::error::{Error, Result};
use crate::memlock::Locked;
use rusqlite::{params, Connection, TransactionBehavior};
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The default vault location: the platform data dir (`~/.local/share/keystead/vault.db` on Linux).
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("keystead").join("vault.db"))
}

/// What `init` and `unlock` need besides the passphrase.
pub struct OpenOptions {
    pub clock: Arc<dyn Clock>,
    /// Recorded as the actor of audit events: `cli` or `app`.
    pub actor: String,
    /// Where the commit counter is mirrored outside the file.
    pub anchor: Arc<dyn RollbackAnchor>,
    /// Where this device's key for "remember on this device" is kept (the OS keyring in the app and
    /// the CLI); none by default, so remembering is off.
    pub devices: Arc<dyn DeviceKeyStore>,
}

impl OpenOptions {
    /// Options with no rollback mirror; add one with [`OpenOptions::with_anchor`].
    pub fn new(clock: Arc<dyn Clock>, actor: &str) -> Self {
        Self {
            clock,
            actor: actor.to_string(),
            anchor: Arc::new(NoAnchor),
            devices: Arc::new(NoDeviceKeys),
        }
    }

    pub fn with_anchor(mut self, anchor: Arc<dyn RollbackAnchor>) -> Self {
        self.anchor = anchor;
        self
    }

    /// Options whose device keys (see [`crate::device_key`]) live in `devices`.
    pub fn with_device_keys(mut self, devices: Arc<dyn DeviceKeyStore>) -> Self {
        self.devices = devices;
        self
    }
}

impl Vault {
    /// An open vault over `conn` with these keys; nothing read or checked yet.
    pub(super) fn from_parts(
        conn: Connection,
        path: &Path,
        vault_id: [u8; 16],
        keys: VaultKeys,
        opts: OpenOptions,
    ) -> Vault {
        Vault {
            conn,
            path: path.to_path_buf(),
            vault_id,
            keys: Locked::new(keys),
            clock: opts.clock,
            actor: opts.actor,
            anchor: opts.anchor,
            devices: opts.devices,
            warnings: Vec::new(),
            rollback: None,
        }
    }

    /// Creates a new vault file at `path`. Refuses an existing file. On any error the file is removed.
    pub fn create(
        path: &Path,
        passphrase: &SecretString,
        kdf: KdfParams,
        opts: OpenOptions,
    ) -> Result<Vault> {
        check_passphrase(passphrase)?;
        kdf.check()?;
        create_vault_file(path)?;
        let result = Self::create_inner(path, passphrase, kdf, opts);
        if result.is_err() {
            for suffix in ["", "-journal", "-wal", "-shm"] {
                let mut p = path.as_os_str().to_owned();
                p.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(p));
            }
        }
        result
    }

    pub(super) fn create_inner(
        path: &Path,
        passphrase: &SecretString,
        kdf: KdfParams,
        opts: OpenOptions,
    ) -> Result<Vault> {
        let conn = open_connection(path)?;
        let vault_id: [u8; 16] = crypto::random_bytes();
        let salt: [u8; 32] = crypto::random_bytes();
        let keys = VaultKeys::generate(&vault_id);
        let kek = crypto::derive_kek(passphrase, &salt, kdf)?;
        let wrapped = keys.wrap(&kek, &header_ad(&vault_id, FORMAT_VERSION, kdf, &salt));
        let mut vault = Vault::from_parts(conn, path, vault_id, keys, opts);
        {
            let cells = Cells {
                keys: &vault.keys,
                vault_id: &vault.vault_id,
            };
            let tx = vault
                .conn
                .transaction_with_behavior(TransactionBehavior::Exclusive)?;
            tx.execute_batch(SCHEMA)?;
            tx.execute_batch(REMINDERS_SCHEMA)?;
            tx.execute_batch(SHARING_SCHEMA)?;
            add_index_schema(&tx)?;
            tx.execute_batch(FAILURE_COUNT_SCHEMA)?;
            tx.execute_batch(SCAN_IGNORES_SCHEMA)?;
            tx.execute_batch(TEAMS_SCHEMA)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            tx.execute(
                "INSERT INTO header VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    MAGIC,
                    FORMAT_VERSION,
                    &vault_id[..],
                    kdf.memory_kib,
                    kdf.iterations,
                    kdf.parallelism,
                    &salt[..],
                    wrapped
                ],
            )?;
            let state = State {
                commit_counter: 0,
                audit_head_seq: 0,
                audit_head_mac: audit::GENESIS,
                entries_digest: [0u8; MAC_LEN],
            };
            tx.execute(
                "INSERT INTO state VALUES (1, 0, 0, ?1, ?2, ?3)",
                params![
                    &state.audit_head_mac[..],
                    &state.entries_digest[..],
                    &cells.state_mac(&state)[..]
                ],
            )?;
            tx.commit()?;
        }
        vault.write(|tx| {
            // The sharing identity is part of the new vault; `vault_created` covers it.
            tx.sharing_identity(false)?;
            tx.audit(
                AuditAction::VaultCreated,
                None,
                Some(format!(
                    "Argon2id {} MiB, {} passes",
                    kdf.memory_kib / 1024,
                    kdf.iterations
                )),
            )
        })?;
        Ok(vault)
    }

    /// Opens and unlocks the vault at `path`. The header's KDF parameters are checked before deriving.
    /// A wrong passphrase is noted in the file and sealed into the audit chain at the next unlock. Every
    /// attempt goes through the file's throttle first (see the `throttle` module): too soon after
    /// repeated failures the answer is [`Error::RetryLater`], without deriving.
    pub fn unlock(path: &Path, passphrase: &SecretString, opts: OpenOptions) -> Result<Vault> {
        let header = read_header(path)?;
        let (kdf, salt) = (header.kdf, &header.salt);
        throttle::begin_attempt(&header.conn, opts.clock.now(), true)?;
        let kek = crypto::derive_kek(passphrase, salt, kdf)?;
        let Some(keys) = VaultKeys::unwrap(
            &kek,
            &header.wrapped,
            &header_ad(&header.vault_id, FORMAT_VERSION, kdf, salt),
            &header.vault_id,
        ) else {
            // Best effort: a read-only file still reports the wrong passphrase.
            let _ = note_failed_unlock(&header.conn, opts.clock.now(), &opts.actor);
            return Err(Error::WrongPassphrase);
        };
        throttle::succeeded(&header.conn)?;
        Vault::finish_unlock(header, path, keys, opts)
    }

    /// What every unlock does once it holds the vault key, however it got it (the passphrase, or this
    /// device's remembered slot): migration, the state MAC, the rollback anchor, the records noted
    /// while locked, the integrity checks and their warnings.
    pub(super) fn finish_unlock(
        header: Header,
        path: &Path,
        keys: VaultKeys,
        opts: OpenOptions,
    ) -> Result<Vault> {
        let schema = header.schema;
        let mut vault = Vault::from_parts(header.conn, path, header.vault_id, keys, opts);
        if schema < SCHEMA_VERSION {
            migrate(&vault.conn)?;
        }
        let state = vault.read_state()?;
        vault.rollback = vault.check_rollback(state.commit_counter);
        vault.reindex_if_needed()?;
        vault.seal_failed_unlocks()?;
        vault.seal_refused_attempts()?;
        vault.seal_locked_reminders()?;
        let problems = vault.integrity_problems()?;
        vault.warnings.extend(problems);
        vault.warnings.extend(vault.rollback.clone());
        Ok(vault)
    }

    /// Seals the failed unlocks noted since the last successful one into the audit chain, rebuilt from
    /// what they may say (see [`super::locked`]); a count of them that no longer matches the rows
    /// left becomes an event and a warning of its own.
    pub(super) fn seal_failed_unlocks(&mut self) -> Result<()> {
        if !has_failed_unlocks(&self.conn)? {
            return Ok(());
        }
        let warning = self.write(|tx| {
            let bounds = tx.locked_time_bounds()?;
            // Read inside the write lock, so a failure noted meanwhile is counted and sealed together.
            let failures = read_failed_unlocks(&tx.tx)?;
            let noted = failed_unlock_count(&tx.tx)?;
            for (id, at, actor) in &failures {
                tx.seal_locked_time_record(
                    &bounds,
                    *at,
                    AuditAction::UnlockFailed,
                    None,
                    "wrong passphrase".into(),
                    actor,
                )?;
                tx.tx
                    .execute("DELETE FROM unlock_failures WHERE id = ?1", [id])?;
            }
            let warning = failure_count_mismatch(noted, failures.len() as u64);
            if let Some(w) = &warning {
                // Noticed now, by this program: a keyed event of its own, not a locked-time record.
                tx.audit(AuditAction::UnlockFailed, None, Some(w.clone()))?;
            }
            tx.tx
                .execute("UPDATE unlock_failure_count SET pending = 0", [])?;
            Ok(warning)
        })?;
        self.warnings.extend(warning);
        Ok(())
    }
}

/// A vault file's header row, read and checked (magic, format version, vault id) without any key.
pub(super) struct Header {
    pub(super) conn: Connection,
    pub(super) schema: i64,
    pub(super) vault_id: [u8; 16],
    pub(super) kdf: KdfParams,
    pub(super) salt: Vec<u8>,
    /// The vault key wrapped under the passphrase.
    pub(super) wrapped: Vec<u8>,
}

/// Opens the file at `path` and reads its header, refusing a file that is not a vault of this format.
pub(super) fn read_header(path: &Path) -> Result<Header> {
    if !path.is_file() {
        return Err(Error::NoVault {
            path: path.to_path_buf(),
        });
    }
    let conn = open_connection(path)?;
    let schema = schema_version(&conn, path)?;
    let header = conn
        .query_row(
            "SELECT magic, format_version, vault_id, kdf_memory_kib, kdf_iterations, kdf_parallelism, salt, wrapped_key FROM header WHERE singleton = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, Vec<u8>>(6)?,
                    r.get::<_, Vec<u8>>(7)?,
                ))
            },
        )
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Error::damaged("the vault header is missing"),
            e => not_a_vault(path, e),
        })?;
    let (magic, version, vault_id, m, t, p, salt, wrapped) = header;
    let (kdf, vault_id) = check_header(path, &magic, version, &vault_id, (m, t, p), &salt)?;
    Ok(Header {
        conn,
        schema,
        vault_id,
        kdf,
        salt,
        wrapped,
    })
}

/// Checks a header row before any work is done on it: the magic, the format version, KDF parameters
/// within the published bounds and affordable here, the salt's and the vault id's lengths. Answers the
/// KDF parameters and the vault id.
pub(super) fn check_header(
    path: &Path,
    magic: &[u8],
    version: i64,
    vault_id: &[u8],
    (m, t, p): (i64, i64, i64),
    salt: &[u8],
) -> Result<(KdfParams, [u8; 16])> {
    if magic != MAGIC {
        return Err(Error::NotAVault {
            path: path.to_path_buf(),
            detail: "its header has the wrong magic".into(),
        });
    }
    if version > FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version != FORMAT_VERSION {
        return Err(Error::damaged(format!(
            "the header names format version {version}"
        )));
    }
    let as_u32 = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    let kdf = KdfParams {
        memory_kib: as_u32(m),
        iterations: as_u32(t),
        parallelism: as_u32(p),
    };
    // Refuse before any work: a hostile header could ask for terabytes of memory.
    if m < 0 || t < 0 || p < 0 {
        return Err(Error::KdfOutOfRange {
            detail: "negative values".into(),
        });
    }
    kdf.check()?;
    kdf.check_affordable()?;
    if !(16..=64).contains(&salt.len()) {
        return Err(Error::damaged(format!(
            "the header's salt is {} bytes long",
            salt.len()
        )));
    }
    let vault_id: [u8; 16] = vault_id
        .try_into()
        .map_err(|_| Error::damaged("the header's vault id is malformed"))?;
    Ok((kdf, vault_id))
}
