//! The vault file: one SQLite database. Every change and its audit entry are written in one transaction,
//! and every transaction re-MACs the vault state (commit counter, audit head, a keyed digest of all
//! entry rows), so a deleted row, a rolled-back row or a truncated audit log is noticed.
//!
//! Plaintext columns: ids, generation and the next due date. Everything that says what a key is
//! (name, exchange, scopes, notes) and every secret is sealed with associated data
//! `vault id ‖ table ‖ row id ‖ column ‖ generation`.

use crate::anchor::{NoAnchor, RollbackAnchor};
use crate::audit::{self, AuditAction, AuditEvent, AuditRecord, AuditReport};
use crate::catalog::{self, Exchange};
use crate::clock::Clock;
use crate::crypto::{self, KdfParams, VaultKeys, MAC_LEN};
use crate::due::{self, DueInfo};
use crate::error::{Error, Result};
use crate::parse;
use crate::reminders::{
    self, KeyReminder, LockedDue, Reminder, ReminderPolicy, SentReminder, Threshold,
};
use crate::secret::{CredentialField, SecretFields};
use crate::{
    Environment, KeyDetail, KeyEdit, KeyEntry, KeyStatus, KeySummary, NewKey, Scope,
    SecretVersionInfo,
};
use chrono::{DateTime, Utc};
use rusqlite::{
    params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};
use secrecy::{ExposeSecret, SecretString};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use uuid::Uuid;
use zeroize::Zeroizing;

mod sharing;

const MAGIC: &[u8] = b"KEYSTEAD";
/// Version of the cryptographic format (header, record sealing). Bound into the header's associated data.
pub const FORMAT_VERSION: i64 = 1;
/// Version of the SQLite schema (`PRAGMA user_version`). 2 added `reminders_sent`, 3 the sharing identity
/// and contacts; older files are migrated in place when opened (see [`migrate`]).
const SCHEMA_VERSION: i64 = 3;
/// Shortest passphrase accepted for a new vault or a passphrase change.
pub const MIN_PASSPHRASE_CHARS: usize = 8;
const MAX_NOTES_CHARS: usize = 10_000;
const MAX_SHORT_TEXT_CHARS: usize = 500;

const SCHEMA: &str = "
CREATE TABLE header (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    magic BLOB NOT NULL,
    format_version INTEGER NOT NULL,
    vault_id BLOB NOT NULL,
    kdf_memory_kib INTEGER NOT NULL,
    kdf_iterations INTEGER NOT NULL,
    kdf_parallelism INTEGER NOT NULL,
    salt BLOB NOT NULL,
    wrapped_key BLOB NOT NULL
);
CREATE TABLE state (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    commit_counter INTEGER NOT NULL,
    audit_head_seq INTEGER NOT NULL,
    audit_head_mac BLOB NOT NULL,
    entries_digest BLOB NOT NULL,
    mac BLOB NOT NULL
);
CREATE TABLE entries (
    id TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    due_at INTEGER,
    meta BLOB NOT NULL,
    secrets BLOB NOT NULL,
    history BLOB NOT NULL
);
CREATE INDEX entries_due_at ON entries(due_at);
-- Lets the integrity check read ids and generations without touching the sealed columns.
CREATE INDEX entries_generation ON entries(id, generation);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    event BLOB NOT NULL,
    mac BLOB NOT NULL
);
-- Failed unlocks are noted here without a key (there is none yet) and sealed into the audit chain at the
-- next successful unlock.
CREATE TABLE unlock_failures (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL
);
";

/// Schema version 2: the reminders already sent, so a restart neither repeats nor misses one. Plaintext on
/// purpose: it holds only entry ids and due dates, which the `entries` table already keeps in plaintext so
/// that reminders fire while the vault is locked; nothing in it says what a key is. Written while locked
/// (no vault key needed); `sealed` turns 1 once the reminder's audit event is in the chain, which for a
/// reminder sent while locked happens at the next unlock.
const REMINDERS_SCHEMA: &str = "
CREATE TABLE reminders_sent (
    entry_id TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    threshold INTEGER NOT NULL,
    sent_at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    sealed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (entry_id, due_at, threshold)
);
";

/// Schema version 3: the sharing identity (its secret parts sealed, made with the vault or on first use for
/// an older vault) and contacts (name and sharing key, sealed). Both count in the entries digest of the
/// vault state, so a deleted or rolled-back row is noticed like a key's.
const SHARING_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sharing_identity (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    generation INTEGER NOT NULL,
    secret BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS contacts (
    id TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    record BLOB NOT NULL
);
";

/// Row ids of the sharing tables in the entries digest. Key ids are UUIDs, which never contain '/'.
const IDENTITY_ROW: &str = "sharing_identity/1";
fn contact_row(id: &str) -> String {
    format!("contacts/{id}")
}

/// The MAC'd vault state, read and re-written by every transaction.
#[derive(Clone)]
struct State {
    commit_counter: u64,
    audit_head_seq: u64,
    audit_head_mac: [u8; MAC_LEN],
    entries_digest: [u8; MAC_LEN],
}

/// Seals and opens cells of this vault.
struct Cells<'a> {
    keys: &'a VaultKeys,
    vault_id: &'a [u8; 16],
}

impl Cells<'_> {
    fn seal(&self, table: &str, row: &str, column: &str, generation: u64, plain: &[u8]) -> Vec<u8> {
        let ad = crypto::record_ad(self.vault_id, table, row, column, generation);
        crypto::seal(&self.keys.records, plain, &ad)
    }

    fn open(
        &self,
        table: &str,
        row: &str,
        column: &str,
        generation: u64,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let ad = crypto::record_ad(self.vault_id, table, row, column, generation);
        crypto::open(&self.keys.records, sealed, &ad).ok_or_else(|| {
            Error::damaged(format!(
                "{table} record {row}, column {column}, does not decrypt (altered, moved or corrupted)"
            ))
        })
    }

    fn state_mac(&self, s: &State) -> [u8; MAC_LEN] {
        crypto::mac(
            &self.keys.state_mac,
            &[
                self.vault_id,
                &s.commit_counter.to_le_bytes(),
                &s.audit_head_seq.to_le_bytes(),
                &s.audit_head_mac,
                &s.entries_digest,
            ],
        )
    }

    /// One row's share of the entries digest. XOR of keyed MACs: rows can be added, changed and removed
    /// incrementally, and without the key nobody can compute a matching value.
    fn row_digest(&self, id: &str, generation: u64) -> [u8; MAC_LEN] {
        crypto::mac(
            &self.keys.state_mac,
            &[b"entry", id.as_bytes(), &generation.to_le_bytes()],
        )
    }

    fn fingerprint(&self, value: &str) -> String {
        let m = crypto::mac(&self.keys.fingerprint, &[value.as_bytes()]);
        m[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    fn read_entry(&self, id: &str, generation: u64, meta: &[u8]) -> Result<KeyEntry> {
        let plain = self.open("entries", id, "meta", generation, meta)?;
        let entry: KeyEntry = serde_json::from_slice(&plain).map_err(|e| {
            Error::damaged(format!("key record {id} has unreadable metadata ({e})"))
        })?;
        if entry.id.to_string() != id {
            return Err(Error::damaged(format!(
                "key record {id} holds the metadata of another key"
            )));
        }
        Ok(entry)
    }
}

fn xor_into(acc: &mut [u8; MAC_LEN], x: &[u8; MAC_LEN]) {
    for (a, b) in acc.iter_mut().zip(x) {
        *a ^= b;
    }
}

/// Secrets of retired versions, by version number.
type History = BTreeMap<u32, SecretFields>;

fn history_to_json(history: &History) -> Zeroizing<Vec<u8>> {
    let plain: BTreeMap<u32, BTreeMap<&str, &str>> = history
        .iter()
        .map(|(v, f)| {
            (
                *v,
                f.iter()
                    .map(|(k, s)| (k.as_str(), s.expose_secret()))
                    .collect(),
            )
        })
        .collect();
    let mut out = Zeroizing::new(Vec::new());
    let _ = serde_json::to_writer(&mut *out, &plain);
    out
}

fn history_from_json(bytes: &[u8]) -> Option<History> {
    let raw: BTreeMap<u32, BTreeMap<CredentialField, Zeroizing<String>>> =
        serde_json::from_slice(bytes).ok()?;
    Some(
        raw.into_iter()
            .map(|(v, fields)| {
                let mut f = SecretFields::new();
                for (k, s) in fields {
                    f.insert(k, SecretString::from(s.as_str().to_string()));
                }
                (v, f)
            })
            .collect(),
    )
}

/// An open, unlocked vault. Dropping it checkpoints the WAL into the file and wipes the keys.
pub struct Vault {
    conn: Connection,
    path: PathBuf,
    vault_id: [u8; 16],
    keys: VaultKeys,
    clock: Arc<dyn Clock>,
    actor: String,
    anchor: Arc<dyn RollbackAnchor>,
    warnings: Vec<String>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn open_connection(path: &Path, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).map_err(|e| not_a_vault(path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(|e| not_a_vault(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Storage(format!(
            "SQLite refused WAL mode (got {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update_and_check(None, "secure_delete", "ON", |_| Ok(()))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

fn not_a_vault(path: &Path, e: rusqlite::Error) -> Error {
    match Error::from(e) {
        Error::Damaged { what } => Error::NotAVault {
            path: path.to_path_buf(),
            detail: what,
        },
        other => other,
    }
}

fn header_ad(vault_id: &[u8], version: i64, kdf: KdfParams, salt: &[u8]) -> Vec<u8> {
    let mut ad = Vec::with_capacity(64 + salt.len());
    ad.extend_from_slice(MAGIC);
    ad.extend_from_slice(&version.to_le_bytes());
    ad.extend_from_slice(vault_id);
    ad.extend_from_slice(&kdf.memory_kib.to_le_bytes());
    ad.extend_from_slice(&kdf.iterations.to_le_bytes());
    ad.extend_from_slice(&kdf.parallelism.to_le_bytes());
    ad.extend_from_slice(&(salt.len() as u32).to_le_bytes());
    ad.extend_from_slice(salt);
    ad
}

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

fn ts(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

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
}

impl OpenOptions {
    /// Options with no rollback mirror; add one with [`OpenOptions::with_anchor`].
    pub fn new(clock: Arc<dyn Clock>, actor: &str) -> Self {
        Self {
            clock,
            actor: actor.to_string(),
            anchor: Arc::new(NoAnchor),
        }
    }

    pub fn with_anchor(mut self, anchor: Arc<dyn RollbackAnchor>) -> Self {
        self.anchor = anchor;
        self
    }
}

impl Vault {
    /// Creates a new vault file at `path`. Refuses an existing file. On any error the file is removed.
    pub fn create(
        path: &Path,
        passphrase: &SecretString,
        kdf: KdfParams,
        opts: OpenOptions,
    ) -> Result<Vault> {
        check_passphrase(passphrase)?;
        kdf.check()?;
        if path.exists() {
            return Err(Error::VaultExists {
                path: path.to_path_buf(),
            });
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        let result = Self::create_inner(path, passphrase, kdf, opts);
        if result.is_err() {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.as_os_str().to_owned();
                p.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(p));
            }
        }
        result
    }

    fn create_inner(
        path: &Path,
        passphrase: &SecretString,
        kdf: KdfParams,
        opts: OpenOptions,
    ) -> Result<Vault> {
        let conn = open_connection(path, true)?;
        restrict_permissions(path);
        let vault_id: [u8; 16] = crypto::random_bytes();
        let salt: [u8; 32] = crypto::random_bytes();
        let keys = VaultKeys::generate(&vault_id);
        let kek = crypto::derive_kek(passphrase, &salt, kdf)?;
        let wrapped = keys.wrap(&kek, &header_ad(&vault_id, FORMAT_VERSION, kdf, &salt));
        let mut vault = Vault {
            conn,
            path: path.to_path_buf(),
            vault_id,
            keys,
            clock: opts.clock,
            actor: opts.actor,
            anchor: opts.anchor,
            warnings: Vec::new(),
        };
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
    /// A wrong passphrase is noted in the file and sealed into the audit chain at the next unlock.
    pub fn unlock(path: &Path, passphrase: &SecretString, opts: OpenOptions) -> Result<Vault> {
        if !path.is_file() {
            return Err(Error::NoVault {
                path: path.to_path_buf(),
            });
        }
        let conn = open_connection(path, false)?;
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
        if !(16..=64).contains(&salt.len()) {
            return Err(Error::damaged(format!(
                "the header's salt is {} bytes long",
                salt.len()
            )));
        }
        let vault_id: [u8; 16] = vault_id
            .as_slice()
            .try_into()
            .map_err(|_| Error::damaged("the header's vault id is malformed"))?;
        let kek = crypto::derive_kek(passphrase, &salt, kdf)?;
        let Some(keys) = VaultKeys::unwrap(
            &kek,
            &wrapped,
            &header_ad(&vault_id, version, kdf, &salt),
            &vault_id,
        ) else {
            // Best effort: a read-only file still reports the wrong passphrase.
            let _ = conn.execute(
                "INSERT INTO unlock_failures (at, actor) VALUES (?1, ?2)",
                params![ts(opts.clock.now()), opts.actor],
            );
            return Err(Error::WrongPassphrase);
        };
        let mut vault = Vault {
            conn,
            path: path.to_path_buf(),
            vault_id,
            keys,
            clock: opts.clock,
            actor: opts.actor,
            anchor: opts.anchor,
            warnings: Vec::new(),
        };
        if schema < SCHEMA_VERSION {
            migrate(&vault.conn)?;
        }
        let state = vault.read_state()?;
        let rollback = vault.check_rollback(state.commit_counter);
        vault.seal_failed_unlocks()?;
        vault.seal_locked_reminders()?;
        vault.warnings = vault.integrity_problems()?;
        vault.warnings.extend(rollback);
        Ok(vault)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Problems found at unlock that do not stop the vault from opening: rows deleted or rolled back, the
    /// audit log cut short. `audit --verify` reports the same.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn cells(&self) -> Cells<'_> {
        Cells {
            keys: &self.keys,
            vault_id: &self.vault_id,
        }
    }

    fn read_state(&self) -> Result<State> {
        read_state(&self.conn, &self.cells())
    }

    /// Seals the failed unlocks noted since the last successful one into the audit chain.
    fn seal_failed_unlocks(&mut self) -> Result<()> {
        let failures: Vec<(i64, i64, String)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id, at, actor FROM unlock_failures ORDER BY id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if failures.is_empty() {
            return Ok(());
        }
        self.write(|tx| {
            for (id, at, actor) in &failures {
                let at = DateTime::from_timestamp(*at, 0).unwrap_or_default();
                tx.audit_at(
                    at,
                    AuditAction::UnlockFailed,
                    None,
                    Some("wrong passphrase".into()),
                    actor,
                )?;
                tx.tx
                    .execute("DELETE FROM unlock_failures WHERE id = ?1", [id])?;
            }
            Ok(())
        })
    }

    /// Runs `f` in one IMMEDIATE transaction; its changes, its audit events and the new vault state
    /// commit together or not at all.
    fn write<T>(&mut self, f: impl FnOnce(&mut WriteTx<'_>) -> Result<T>) -> Result<T> {
        let now = self.clock.now();
        let (anchor, anchor_id) = (self.anchor.clone(), self.anchor_id());
        let cells = Cells {
            keys: &self.keys,
            vault_id: &self.vault_id,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let state = read_state(&tx, &cells)?;
        let mut w = WriteTx {
            tx,
            cells,
            state,
            now,
            actor: &self.actor,
        };
        let out = f(&mut w)?;
        w.state.commit_counter += 1;
        let mac = w.cells.state_mac(&w.state);
        w.tx.execute(
            "UPDATE state SET commit_counter = ?1, audit_head_seq = ?2, audit_head_mac = ?3, entries_digest = ?4, mac = ?5 WHERE singleton = 1",
            params![
                w.state.commit_counter as i64,
                w.state.audit_head_seq as i64,
                &w.state.audit_head_mac[..],
                &w.state.entries_digest[..],
                &mac[..]
            ],
        )?;
        let counter = w.state.commit_counter;
        w.tx.commit()?;
        anchor.record(&anchor_id, counter);
        Ok(out)
    }

    fn anchor_id(&self) -> String {
        self.vault_id.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Compares the file's commit counter with the one mirrored outside it.
    fn check_rollback(&self, counter: u64) -> Option<String> {
        match self.anchor.seen(&self.anchor_id()) {
            Some(seen) if seen > counter => Some(format!(
                "this vault file is older than the one this machine last saw (write #{counter}, last seen #{seen}): \
                 it was replaced by an older copy. If you restored a backup on purpose, carry on; otherwise \
                 find out who replaced the file, and check that revoked keys are still marked revoked"
            )),
            Some(seen) if seen == counter => None,
            _ => {
                self.anchor.record(&self.anchor_id(), counter);
                None
            }
        }
    }

    /// Every key's metadata with its row generation.
    fn entries(&self) -> Result<Vec<(KeyEntry, u64)>> {
        read_entries(&self.conn, &self.cells())
    }

    /// Finds a key by exact name, then by name ignoring case (if that is unambiguous), then by id.
    pub fn find(&self, name: &str) -> Result<KeyEntry> {
        find_in(self.entries()?, name).map(|(e, _)| e)
    }

    /// All keys as the list shows them, sorted by name. Never decrypts a secret.
    pub fn list(&self) -> Result<Vec<KeySummary>> {
        let entries = self.entries()?;
        let now = self.clock.now();
        let mut holders: HashMap<&str, usize> = HashMap::new();
        for (e, _) in &entries {
            if e.status == KeyStatus::Active {
                for fp in &e.fingerprints {
                    *holders.entry(fp.as_str()).or_default() += 1;
                }
            }
        }
        let mut out: Vec<KeySummary> = entries
            .iter()
            .map(|(e, _)| {
                let duplicate = e.status == KeyStatus::Active
                    && e.fingerprints
                        .iter()
                        .any(|fp| holders.get(fp.as_str()).copied().unwrap_or(0) > 1);
                summarize(e, now, duplicate)
            })
            .collect();
        out.sort_by_cached_key(|k| (k.name.to_lowercase(), k.name.clone()));
        Ok(out)
    }

    /// One key's list view (due state and risk flags), looked up by name.
    pub fn summary(&self, name: &str) -> Result<KeySummary> {
        let key = self.find(name)?;
        Ok(self
            .list()?
            .into_iter()
            .find(|s| s.id == key.id)
            .unwrap_or_else(|| summarize(&key, self.clock.now(), false)))
    }

    /// One key's detail view, looked up by name or id.
    pub fn detail(&self, name: &str) -> Result<KeyDetail> {
        let entry = self.find(name)?;
        let summary = self.summary(&entry.id.to_string())?;
        Ok(KeyDetail::new(
            &entry,
            summary,
            exchange_of(&entry).api_key_page,
        ))
    }

    /// The due state of one key now.
    pub fn due(&self, entry: &KeyEntry) -> DueInfo {
        due::due_info(entry, exchange_of(entry), self.clock.now())
    }

    /// Adds a key. Refuses unknown exchanges and scopes, missing required fields and duplicate names.
    pub fn add(&mut self, new: NewKey, secrets: SecretFields) -> Result<KeyEntry> {
        let checked = check_new_key(&new, &secrets)?;
        self.write(|tx| {
            let entries = read_entries(&tx.tx, &tx.cells)?;
            if entries
                .iter()
                .any(|(e, _)| e.name.eq_ignore_ascii_case(&checked.name))
            {
                return Err(Error::DuplicateName {
                    name: checked.name.clone(),
                });
            }
            let id = tx.new_key_id();
            let entry = tx.new_entry(&checked, id, checked.name.clone(), &secrets);
            tx.put_entry(&entry, None, Some((&secrets, &History::new())))?;
            let scopes: Vec<&str> = entry.scopes.iter().map(|s| s.as_str()).collect();
            tx.audit(
                AuditAction::KeyCreated,
                Some(&entry),
                Some(format!(
                    "{} {}, scopes: {}",
                    checked.exchange.name,
                    entry.environment,
                    or_none(&scopes.join(", "))
                )),
            )?;
            Ok(entry)
        })
    }

    /// Changes a key's metadata. Records which fields changed.
    pub fn edit(&mut self, name: &str, edit: KeyEdit) -> Result<KeyEntry> {
        if edit.is_empty() {
            return Err(Error::input(
                "nothing to change: give at least one field to edit",
            ));
        }
        let new_name = edit.name.as_deref().map(parse::key_name).transpose()?;
        let ip = edit
            .ip_allowlist
            .as_ref()
            .map(|l| parse::ip_allowlist(l))
            .transpose()?;
        let notes = edit
            .notes
            .as_deref()
            .map(|n| parse::text("notes", n, MAX_NOTES_CHARS))
            .transpose()?;
        let tags = edit.tags.as_ref().map(|t| clean_tags(t)).transpose()?;
        if let Some(r) = edit.rotation_days {
            check_rotation(r)?;
        }
        self.write(|tx| {
            let entries = read_entries(&tx.tx, &tx.cells)?;
            let (mut entry, generation) = find_in(entries.clone(), name)?;
            let exchange = exchange_of(&entry);
            let mut changed = Vec::new();
            if let Some(n) = new_name.filter(|n| *n != entry.name) {
                if entries
                    .iter()
                    .any(|(e, _)| e.id != entry.id && e.name.eq_ignore_ascii_case(&n))
                {
                    return Err(Error::DuplicateName { name: n });
                }
                changed.push(format!("name: {} → {n}", entry.name));
                entry.name = n;
            }
            if let Some(a) = edit.account {
                let a = a.map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
                if a != entry.account {
                    changed.push("account".to_string());
                    entry.account = a;
                }
            }
            if let Some(env) = edit.environment.filter(|e| *e != entry.environment) {
                changed.push(format!("environment: {} → {env}", entry.environment));
                entry.environment = env;
            }
            if let Some(words) = &edit.scopes {
                let (scopes, own) = exchange.resolve_scopes(words)?;
                if scopes != entry.scopes || own != entry.exchange_scopes {
                    let show = |s: &std::collections::BTreeSet<crate::model::Scope>| {
                        or_none(&s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(","))
                    };
                    changed.push(format!(
                        "scopes: {} → {}",
                        show(&entry.scopes),
                        show(&scopes)
                    ));
                    entry.scopes = scopes;
                    entry.exchange_scopes = own;
                }
            }
            if let Some(ip) = ip.filter(|ip| *ip != entry.ip_allowlist) {
                changed.push(format!(
                    "IP allowlist: {} → {}",
                    or_none(&entry.ip_allowlist.join(",")),
                    or_none(&ip.join(","))
                ));
                entry.ip_allowlist = ip;
            }
            if let Some(exp) = edit.expires_at.filter(|e| *e != entry.expires_at) {
                let show = |d: Option<DateTime<Utc>>| {
                    d.map_or("never".to_string(), |d| d.format("%Y-%m-%d").to_string())
                };
                changed.push(format!(
                    "expires: {} → {}",
                    show(entry.expires_at),
                    show(exp)
                ));
                entry.expires_at = exp;
            }
            if let Some(r) = edit.rotation_days.filter(|r| *r != entry.rotation_days) {
                let show =
                    |d: Option<u32>| d.map_or("never".to_string(), |d| format!("every {d} days"));
                changed.push(format!(
                    "rotation: {} → {}",
                    show(entry.rotation_days),
                    show(r)
                ));
                entry.rotation_days = r;
            }
            if let Some(t) = tags.filter(|t| *t != entry.tags) {
                changed.push("tags".to_string());
                entry.tags = t;
            }
            if let Some(n) = notes.filter(|n| *n != entry.notes) {
                changed.push("notes".to_string());
                entry.notes = n;
            }
            if changed.is_empty() {
                return Ok(entry);
            }
            entry.updated_at = tx.now;
            tx.put_entry(&entry, Some(generation), None)?;
            tx.audit(
                AuditAction::KeyEdited,
                Some(&entry),
                Some(changed.join("; ")),
            )?;
            Ok(entry)
        })
    }

    /// Replaces a key's secrets. The old version is kept, encrypted, with when and why; the rotation
    /// countdown starts again.
    pub fn rotate(
        &mut self,
        name: &str,
        secrets: SecretFields,
        reason: Option<String>,
    ) -> Result<KeyEntry> {
        let reason = reason
            .map(|r| parse::text("reason", r.trim(), MAX_SHORT_TEXT_CHARS))
            .transpose()?
            .filter(|r| !r.is_empty());
        self.write(|tx| {
            let (mut entry, generation) = find_in(read_entries(&tx.tx, &tx.cells)?, name)?;
            if entry.status != KeyStatus::Active {
                return Err(Error::NotActive {
                    name: entry.name.clone(),
                    status: entry.status.to_string(),
                    hint: "a revoked or compromised key is not rotated; add its replacement as a new key".into(),
                });
            }
            check_secrets(exchange_of(&entry), &secrets)?;
            let (old, mut history) = tx.secrets_of(&entry, generation)?;
            let now = tx.now;
            let version = entry.versions.last().map_or(1, |v| v.version);
            history.insert(version, old);
            if let Some(v) = entry.versions.last_mut() {
                v.retired_at = Some(now);
                v.reason = reason.clone();
            }
            entry.versions.push(SecretVersionInfo {
                version: version + 1,
                fields: secrets.fields(),
                created_at: now,
                retired_at: None,
                reason: None,
            });
            entry.last_rotated_at = Some(now);
            entry.updated_at = now;
            entry.fingerprints = tx.fingerprints(&secrets);
            tx.put_entry(&entry, Some(generation), Some((&secrets, &history)))?;
            let detail = match &reason {
                Some(r) => format!("version {} → {}; reason: {r}", version, version + 1),
                None => format!("version {} → {}", version, version + 1),
            };
            tx.audit(AuditAction::KeyRotated, Some(&entry), Some(detail))?;
            Ok(entry)
        })
    }

    /// Marks a key revoked (the user deleted it on the exchange).
    pub fn revoke(&mut self, name: &str, reason: Option<String>) -> Result<KeyEntry> {
        self.set_status(name, KeyStatus::Revoked, reason)
    }

    /// Marks a key compromised; the caller shows the incident checklist.
    pub fn mark_compromised(&mut self, name: &str, reason: Option<String>) -> Result<KeyEntry> {
        self.set_status(name, KeyStatus::Compromised, reason)
    }

    fn set_status(
        &mut self,
        name: &str,
        status: KeyStatus,
        reason: Option<String>,
    ) -> Result<KeyEntry> {
        let reason = reason
            .map(|r| parse::text("reason", r.trim(), MAX_SHORT_TEXT_CHARS))
            .transpose()?
            .filter(|r| !r.is_empty());
        self.write(|tx| {
            let (mut entry, generation) = find_in(read_entries(&tx.tx, &tx.cells)?, name)?;
            if entry.status == status {
                return Err(Error::NotActive {
                    name: entry.name.clone(),
                    status: status.to_string(),
                    hint: "nothing to change".into(),
                });
            }
            let action = match status {
                KeyStatus::Revoked => AuditAction::KeyRevoked,
                KeyStatus::Compromised => AuditAction::KeyCompromised,
                KeyStatus::Active => AuditAction::KeyEdited,
            };
            let detail = format!("status: {} → {status}", entry.status)
                + &reason
                    .as_ref()
                    .map(|r| format!("; reason: {r}"))
                    .unwrap_or_default();
            entry.status = status;
            entry.status_reason = reason.clone();
            entry.status_changed_at = Some(tx.now);
            entry.updated_at = tx.now;
            tx.put_entry(&entry, Some(generation), None)?;
            tx.audit(action, Some(&entry), Some(detail))?;
            Ok(entry)
        })
    }

    /// Returns one secret field of the current version, or of an older `version`, to show it. Audited
    /// before the value is returned: no audit entry, no secret.
    pub fn reveal(
        &mut self,
        name: &str,
        field: CredentialField,
        version: Option<u32>,
    ) -> Result<SecretString> {
        self.secret_for(name, field, version, AuditAction::SecretRevealed)
    }

    /// Like [`Vault::reveal`], for putting the value on the clipboard (audited as a copy).
    pub fn secret_for_copy(
        &mut self,
        name: &str,
        field: CredentialField,
        version: Option<u32>,
    ) -> Result<SecretString> {
        self.secret_for(name, field, version, AuditAction::SecretCopied)
    }

    fn secret_for(
        &mut self,
        name: &str,
        field: CredentialField,
        version: Option<u32>,
        action: AuditAction,
    ) -> Result<SecretString> {
        self.write(|tx| {
            let (entry, generation) = find_in(read_entries(&tx.tx, &tx.cells)?, name)?;
            let current = entry.versions.last().map_or(1, |v| v.version);
            let wanted = version.unwrap_or(current);
            let (secrets, history) = tx.secrets_of(&entry, generation)?;
            let fields = if wanted == current {
                secrets
            } else {
                history
                    .get(&wanted)
                    .cloned()
                    .ok_or_else(|| Error::NoSuchSecret {
                        message: format!(
                            "'{}' has no version {wanted}: its versions are 1 to {current}",
                            entry.name
                        ),
                    })?
            };
            let value = fields
                .get(field)
                .cloned()
                .ok_or_else(|| Error::NoSuchSecret {
                    message: format!(
                        "'{}' has no {field} in version {wanted}: it holds {}",
                        entry.name,
                        fields
                            .fields()
                            .iter()
                            .map(|f| f.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })?;
            let detail = if wanted == current {
                field.as_str().to_string()
            } else {
                format!("{field} of version {wanted}")
            };
            tx.audit(action, Some(&entry), Some(detail))?;
            Ok(value)
        })
    }

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
            let (entry, _) = find_in(read_entries(&tx.tx, &tx.cells)?, name)?;
            tx.audit(
                AuditAction::UnlockFailed,
                Some(&entry),
                Some("wrong passphrase when asked again for this key's secret".into()),
            )
        })
    }

    /// Records a step of a compromised key's incident checklist.
    pub fn record_incident_step(&mut self, name: &str, step: &str, done: bool) -> Result<()> {
        let step = parse::text("incident step", step, MAX_SHORT_TEXT_CHARS)?;
        self.write(|tx| {
            let (entry, _) = find_in(read_entries(&tx.tx, &tx.cells)?, name)?;
            let detail = format!("{} {step}", if done { "done:" } else { "undone:" });
            tx.audit(AuditAction::IncidentStep, Some(&entry), Some(detail))
        })
    }

    /// Records that the vault was locked; the caller drops the vault next.
    pub fn record_lock(&mut self, reason: &str) -> Result<()> {
        self.write(|tx| tx.audit(AuditAction::VaultLocked, None, Some(reason.to_string())))
    }

    /// Records a successful unlock (the app does at every unlock; the CLI's `unlock` check does).
    pub fn record_unlock(&mut self) -> Result<()> {
        self.write(|tx| tx.audit(AuditAction::VaultUnlocked, None, None))
    }

    /// The KDF parameters in the header.
    pub fn kdf_params(&self) -> Result<KdfParams> {
        Ok(self.conn.query_row(
            "SELECT kdf_memory_kib, kdf_iterations, kdf_parallelism FROM header WHERE singleton = 1",
            [],
            |r| Ok(KdfParams { memory_kib: r.get(0)?, iterations: r.get(1)?, parallelism: r.get(2)? }),
        )?)
    }

    /// The audit timeline, oldest first.
    pub fn audit_log(&self) -> Result<Vec<AuditRecord>> {
        let cells = self.cells();
        let mut stmt = self
            .conn
            .prepare("SELECT seq, event FROM audit ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, sealed) = row?;
            let seq = seq as u64;
            let plain = cells.open("audit", &seq.to_string(), "event", 0, &sealed)?;
            let event: AuditEvent = serde_json::from_slice(&plain)
                .map_err(|e| Error::damaged(format!("audit entry #{seq} is unreadable ({e})")))?;
            out.push(AuditRecord { seq, event });
        }
        Ok(out)
    }

    /// Checks the whole audit chain against the anchored head; names the first bad entry.
    pub fn verify_audit(&self) -> Result<AuditReport> {
        let state = self.read_state()?;
        let mut stmt = self
            .conn
            .prepare("SELECT seq, event, mac FROM audit ORDER BY seq")?;
        let mut rows = stmt.query([])?;
        let mut walk = audit::ChainWalk::new(&self.keys.audit_mac);
        while let Some(row) = rows.next()? {
            let seq = row.get::<_, i64>(0)? as u64;
            let blob = |i: usize| -> Result<&[u8]> {
                row.get_ref(i)?
                    .as_blob()
                    .map_err(|_| Error::damaged(format!("audit entry #{seq} is not a blob")))
            };
            let (event, mac) = (blob(1)?, blob(2)?);
            if let Some(problem) = walk.next(seq, event, mac) {
                return Ok(AuditReport {
                    entries: walk.entries,
                    problem: Some(problem),
                });
            }
        }
        let entries = walk.entries;
        let problem = walk.finish((state.audit_head_seq, state.audit_head_mac));
        Ok(AuditReport { entries, problem })
    }

    /// Structural checks that need no full chain walk: the entry rows match the MAC'd digest, and the
    /// audit log ends where the vault state says it does.
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        let cells = self.cells();
        let state = self.read_state()?;
        let mut problems = Vec::new();
        let mut digest = [0u8; MAC_LEN];
        {
            let mut stmt = self.conn.prepare("SELECT id, generation FROM entries")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            for row in rows {
                let (id, generation) = row?;
                xor_into(&mut digest, &cells.row_digest(&id, generation as u64));
            }
            let mut stmt = self.conn.prepare("SELECT id, generation FROM contacts")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            for row in rows {
                let (id, generation) = row?;
                xor_into(
                    &mut digest,
                    &cells.row_digest(&contact_row(&id), generation as u64),
                );
            }
            let identity: Option<i64> = self
                .conn
                .query_row("SELECT generation FROM sharing_identity", [], |r| r.get(0))
                .optional()?;
            if let Some(generation) = identity {
                xor_into(
                    &mut digest,
                    &cells.row_digest(IDENTITY_ROW, generation as u64),
                );
            }
        }
        if !crypto::mac_eq(&digest, &state.entries_digest) {
            problems.push(
                "the set of key and contact records does not match the vault's record of them: a key or contact was deleted, added or rolled back outside Keystead"
                    .to_string(),
            );
        }
        let tail: Option<(i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (seq, mac) = tail.unwrap_or((0, audit::GENESIS.to_vec()));
        if seq as u64 != state.audit_head_seq || !crypto::mac_eq(&mac, &state.audit_head_mac) {
            problems.push(format!(
                "the audit log ends at #{seq} but the vault recorded #{}: run `keystead audit --verify`",
                state.audit_head_seq
            ));
        }
        Ok(problems)
    }

    /// How many times the vault has been written (for rollback detection).
    pub fn commit_counter(&self) -> Result<u64> {
        Ok(self.read_state()?.commit_counter)
    }

    /// Writes the WAL back into the main file and truncates it.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        let _ = self.checkpoint();
    }
}

// ---------------------------------------------------------------------------------------------------------
// Reminders (issue 4). While locked, only the plaintext ids, due dates and the `reminders_sent` table are
// read or written, with no passphrase. While unlocked, reminders name the key and its exchange, and each
// one recorded gets its audit event in the same transaction.
// ---------------------------------------------------------------------------------------------------------

impl Vault {
    /// Every active key's id and due date, read without a passphrase (a read-only open that touches
    /// nothing but `entries.id` and `entries.due_at`). Keys with nothing due are left out.
    pub fn due_dates_locked(path: &Path) -> Result<Vec<LockedDue>> {
        read_due_dates(&open_locked(path, false)?)
    }

    /// The reminders recorded as sent, read without a passphrase. A vault file from before reminders
    /// existed has none.
    pub fn sent_reminders_locked(path: &Path) -> Result<Vec<SentReminder>> {
        read_sent_reminders(&open_locked(path, false)?)
    }

    /// The reminders to send at `now`, computed without a passphrase (see [`reminders::reminders_due`]).
    /// Show them with [`reminders::ReminderText::locked`] and record them with
    /// [`Vault::record_reminders_locked`].
    pub fn reminders_locked(
        path: &Path,
        policy: &ReminderPolicy,
        now: DateTime<Utc>,
    ) -> Result<Vec<Reminder>> {
        let conn = open_locked(path, false)?;
        // One read transaction, so the due dates and the sent reminders are of the same moment.
        let tx = conn.unchecked_transaction()?;
        let due = read_due_dates(&tx)?;
        let sent = read_sent_reminders(&tx)?;
        Ok(reminders::reminders_due(policy, &due, &sent, now))
    }

    /// Records reminders sent while the vault is locked, without a passphrase; their audit events are
    /// sealed into the chain at the next unlock. Returns the ones newly recorded (a reminder recorded
    /// before, by this or another process, is not returned): notify for those only.
    pub fn record_reminders_locked(
        path: &Path,
        sent: &[Reminder],
        now: DateTime<Utc>,
        actor: &str,
    ) -> Result<Vec<Reminder>> {
        if sent.is_empty() {
            return Ok(Vec::new());
        }
        let conn = open_locked(path, true)?;
        let tx = Transaction::new_unchecked(&conn, TransactionBehavior::Immediate)?;
        let mut recorded = Vec::new();
        for r in sent {
            if insert_sent_reminder(&tx, r, now, actor, false)? {
                recorded.push(*r);
            }
        }
        tx.commit()?;
        Ok(recorded)
    }

    /// The reminders to send now, naming each key and its exchange. Show them with
    /// [`reminders::ReminderText::for_key`] and record them with [`Vault::record_reminders_sent`].
    pub fn reminders_to_send(&self, policy: &ReminderPolicy) -> Result<Vec<KeyReminder>> {
        let now = self.clock.now();
        let mut known: HashMap<Uuid, (KeyEntry, DueInfo)> = HashMap::new();
        let mut due = Vec::new();
        for (entry, _) in self.entries()? {
            let info = self.due(&entry);
            if let Some(at) = info.due_at.filter(|_| info.kind.is_some()) {
                // The plaintext column keeps whole seconds; records of reminders sent while locked name
                // that value, so the unlocked side must use it too.
                due.push(LockedDue {
                    id: entry.id,
                    due_at: whole_seconds(at),
                });
                known.insert(entry.id, (entry, info));
            }
        }
        let sent = read_sent_reminders(&self.conn)?;
        Ok(reminders::reminders_due(policy, &due, &sent, now)
            .into_iter()
            .filter_map(|reminder| {
                let (entry, info) = known.get(&reminder.entry_id)?;
                Some(KeyReminder {
                    reminder,
                    name: entry.name.clone(),
                    exchange_name: exchange_of(entry).name.to_string(),
                    kind: info.kind?,
                    reason: info.reason.clone().unwrap_or_default(),
                })
            })
            .collect())
    }

    /// Records reminders sent while unlocked, each with its `reminder_sent` audit event in the same
    /// transaction. Returns the ones newly recorded: notify for those only.
    pub fn record_reminders_sent(&mut self, sent: &[Reminder]) -> Result<Vec<Reminder>> {
        if sent.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|tx| {
            let entries = read_entries(&tx.tx, &tx.cells)?;
            let mut recorded = Vec::new();
            for r in sent {
                if !insert_sent_reminder(&tx.tx, r, tx.now, tx.actor, true)? {
                    continue;
                }
                let entry = entries.iter().map(|(e, _)| e).find(|e| e.id == r.entry_id);
                let detail = reminder_detail(
                    &r.entry_id.to_string(),
                    r.threshold,
                    r.due_at,
                    entry.is_none(),
                    false,
                );
                tx.audit(AuditAction::ReminderSent, entry, Some(detail))?;
                recorded.push(*r);
            }
            Ok(recorded)
        })
    }

    /// Seals the reminders recorded while locked into the audit chain, at the time they were sent.
    /// [`Vault::unlock`] calls it; returns how many were sealed.
    pub fn seal_locked_reminders(&mut self) -> Result<usize> {
        let pending: Vec<(String, i64, i64, i64, String)> = {
            let mut stmt = self.conn.prepare(
                "SELECT entry_id, due_at, threshold, sent_at, actor FROM reminders_sent
                 WHERE sealed = 0 ORDER BY sent_at, due_at, entry_id, threshold DESC",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if pending.is_empty() {
            return Ok(0);
        }
        self.write(|tx| {
            let entries = read_entries(&tx.tx, &tx.cells)?;
            for (id, due_at, code, sent_at, actor) in &pending {
                let threshold = Threshold::from_code(*code).ok_or_else(|| {
                    Error::damaged(format!("a reminder record holds threshold {code}"))
                })?;
                let entry = entries
                    .iter()
                    .map(|(e, _)| e)
                    .find(|e| e.id.to_string() == *id);
                let detail = reminder_detail(
                    id,
                    threshold,
                    from_ts(*due_at),
                    entry.is_none(),
                    true,
                );
                tx.audit_at(
                    from_ts(*sent_at),
                    AuditAction::ReminderSent,
                    entry,
                    Some(detail),
                    actor,
                )?;
                tx.tx.execute(
                    "UPDATE reminders_sent SET sealed = 1 WHERE entry_id = ?1 AND due_at = ?2 AND threshold = ?3",
                    params![id, due_at, code],
                )?;
            }
            Ok(pending.len())
        })
    }

    /// Active keys due within `window` from now (overdue and expired ones included), most urgent first.
    pub fn due_within(&self, window: chrono::Duration) -> Result<Vec<KeySummary>> {
        let now = self.clock.now();
        let mut keys: Vec<KeySummary> = self
            .list()?
            .into_iter()
            .filter(|k| {
                k.status == KeyStatus::Active && k.due_at.is_some_and(|at| at - now <= window)
            })
            .collect();
        keys.sort_by(|a, b| a.due_at.cmp(&b.due_at).then_with(|| a.name.cmp(&b.name)));
        Ok(keys)
    }
}

/// Brings a vault file of an older schema up to [`SCHEMA_VERSION`], in one transaction. Needs no vault
/// key: every step so far only adds tables (the sharing identity is made at its first use).
fn migrate(conn: &Connection) -> Result<()> {
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    // Read again inside the write lock: another process may have migrated the file meanwhile.
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version >= SCHEMA_VERSION {
        return Ok(());
    }
    if version < 2 {
        tx.execute_batch(REMINDERS_SCHEMA)?;
    }
    if version < 3 {
        tx.execute_batch(SHARING_SCHEMA)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Opens a vault file without its passphrase, for the plaintext reminder columns only. `write` opens it
/// read-write and migrates an older schema; otherwise the open is read-only.
/// The file's schema version, refusing a file with no Keystead tables or from a newer Keystead.
fn schema_version(conn: &Connection, path: &Path) -> Result<i64> {
    let schema: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| not_a_vault(path, e))?;
    if schema == 0 {
        return Err(Error::NotAVault {
            path: path.to_path_buf(),
            detail: "it has no Keystead tables".into(),
        });
    }
    if schema > SCHEMA_VERSION {
        return Err(Error::UnsupportedVersion {
            found: schema,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(schema)
}

fn open_locked(path: &Path, write: bool) -> Result<Connection> {
    if !path.is_file() {
        return Err(Error::NoVault {
            path: path.to_path_buf(),
        });
    }
    let conn = if write {
        open_connection(path, false)?
    } else {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| not_a_vault(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn
    };
    let schema = schema_version(&conn, path)?;
    let has_header: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'header')",
        [],
        |r| r.get(0),
    )?;
    let magic: Option<Vec<u8>> = if has_header {
        conn.query_row("SELECT magic FROM header WHERE singleton = 1", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| not_a_vault(path, e))?
    } else {
        None
    };
    if magic.as_deref() != Some(MAGIC) {
        return Err(Error::NotAVault {
            path: path.to_path_buf(),
            detail: "its header is missing or has the wrong magic".into(),
        });
    }
    if write && schema < SCHEMA_VERSION {
        migrate(&conn)?;
    }
    Ok(conn)
}

fn from_ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn whole_seconds(at: DateTime<Utc>) -> DateTime<Utc> {
    from_ts(ts(at))
}

fn read_due_dates(conn: &Connection) -> Result<Vec<LockedDue>> {
    let mut stmt = conn.prepare("SELECT id, due_at FROM entries WHERE due_at IS NOT NULL")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    rows.map(|row| {
        let (id, due_at) = row?;
        Ok(LockedDue {
            id: parse_entry_id(&id)?,
            due_at: from_ts(due_at),
        })
    })
    .collect()
}

fn read_sent_reminders(conn: &Connection) -> Result<Vec<SentReminder>> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reminders_sent')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        // A schema-1 file opened read-only: not migrated yet, so nothing was sent.
        return Ok(Vec::new());
    }
    let mut stmt =
        conn.prepare("SELECT entry_id, due_at, threshold, sent_at FROM reminders_sent")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    rows.map(|row| {
        let (id, due_at, code, sent_at) = row?;
        Ok(SentReminder {
            entry_id: parse_entry_id(&id)?,
            due_at: from_ts(due_at),
            threshold: Threshold::from_code(code).ok_or_else(|| {
                Error::damaged(format!("a reminder record holds threshold {code}"))
            })?,
            sent_at: from_ts(sent_at),
        })
    })
    .collect()
}

fn parse_entry_id(id: &str) -> Result<Uuid> {
    Uuid::parse_str(id).map_err(|_| Error::damaged(format!("a key id is malformed ({id:?})")))
}

/// Inserts one sent reminder; `false` when it was recorded already.
fn insert_sent_reminder(
    conn: &Connection,
    r: &Reminder,
    now: DateTime<Utc>,
    actor: &str,
    sealed: bool,
) -> Result<bool> {
    let n = conn.execute(
        "INSERT OR IGNORE INTO reminders_sent (entry_id, due_at, threshold, sent_at, actor, sealed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            r.entry_id.to_string(),
            ts(r.due_at),
            r.threshold.code(),
            ts(now),
            actor,
            sealed
        ],
    )?;
    Ok(n == 1)
}

/// The audit detail of a reminder: which threshold, for which due date. Names no secret.
fn reminder_detail(
    id: &str,
    threshold: Threshold,
    due_at: DateTime<Utc>,
    unknown_key: bool,
    while_locked: bool,
) -> String {
    let mut detail = if unknown_key {
        format!("key {id}: ")
    } else {
        String::new()
    };
    detail += &format!("{threshold}, due {} UTC", due_at.format("%Y-%m-%d %H:%M"));
    if while_locked {
        detail += "; sent while the vault was locked";
    }
    detail
}

/// The list view of one entry.
fn summarize(e: &KeyEntry, now: DateTime<Utc>, duplicate: bool) -> KeySummary {
    let exchange = exchange_of(e);
    let due = due::due_info(e, exchange, now);
    let flags = due::risk_flags(e, now, duplicate);
    KeySummary::new(e, exchange.name, due, flags)
}

/// The catalog entry of a stored key; a key of an exchange this build no longer knows is treated as custom.
pub fn exchange_of(entry: &KeyEntry) -> &'static Exchange {
    catalog::exchange(&entry.exchange)
        .or_else(|_| catalog::exchange("custom"))
        .unwrap_or(&catalog::exchanges()[catalog::exchanges().len() - 1])
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "none".into()
    } else {
        s.to_string()
    }
}

fn check_rotation(days: Option<u32>) -> Result<()> {
    match days {
        Some(0) => Err(Error::input("the rotation period must be at least 1 day")),
        _ => Ok(()),
    }
}

fn clean_tags(tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags
        .iter()
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let t = parse::text("tag", t, 64)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// Refuses secrets the exchange does not take, and names the required ones that are missing.
fn check_secrets(exchange: &Exchange, secrets: &SecretFields) -> Result<()> {
    let accepted: Vec<CredentialField> = exchange.accepted_fields().collect();
    if exchange.id != "custom" {
        if let Some(f) = secrets.fields().into_iter().find(|f| !accepted.contains(f)) {
            return Err(Error::input(format!(
                "{} keys have no '{f}' field: they take {}",
                exchange.name,
                accepted
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let missing: Vec<&str> = exchange
        .required_fields
        .iter()
        .filter(|f| secrets.get(**f).is_none())
        .map(|f| f.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Error::MissingFields {
            exchange: exchange.name.to_string(),
            fields: missing.join(", "),
        });
    }
    if secrets.is_empty() {
        return Err(Error::input(
            "no secret given: a key needs at least one secret field, e.g. apiKey and secret",
        ));
    }
    Ok(())
}

fn read_state(conn: &Connection, cells: &Cells<'_>) -> Result<State> {
    let (counter, seq, head, digest, mac): (i64, i64, Vec<u8>, Vec<u8>, Vec<u8>) = conn
        .query_row(
            "SELECT commit_counter, audit_head_seq, audit_head_mac, entries_digest, mac FROM state WHERE singleton = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Error::damaged("the vault state record is missing"),
            e => e.into(),
        })?;
    let arr = |v: Vec<u8>| -> Result<[u8; MAC_LEN]> {
        v.try_into()
            .map_err(|_| Error::damaged("the vault state record is malformed"))
    };
    let state = State {
        commit_counter: counter as u64,
        audit_head_seq: seq as u64,
        audit_head_mac: arr(head)?,
        entries_digest: arr(digest)?,
    };
    if !crypto::mac_eq(&cells.state_mac(&state), &mac) {
        return Err(Error::damaged(
            "the vault state record does not match its MAC (altered outside Keystead)",
        ));
    }
    Ok(state)
}

/// Below this many rows, decrypting on one thread is faster than starting others.
const PARALLEL_DECRYPT_MIN_ROWS: usize = 512;

/// Every key's metadata with its row generation. Rows are read first, then decrypted and parsed on all
/// cores: for thousands of keys that is most of the time `list` takes.
fn read_entries(conn: &Connection, cells: &Cells<'_>) -> Result<Vec<(KeyEntry, u64)>> {
    let mut stmt = conn.prepare_cached("SELECT id, generation, meta FROM entries")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)? as u64,
            r.get::<_, Vec<u8>>(2)?,
        ))
    })?;
    let rows: Vec<(String, u64, Vec<u8>)> = rows.collect::<rusqlite::Result<_>>()?;
    let decrypt = |chunk: &[(String, u64, Vec<u8>)]| -> Result<Vec<(KeyEntry, u64)>> {
        chunk
            .iter()
            .map(|(id, generation, meta)| {
                Ok((cells.read_entry(id, *generation, meta)?, *generation))
            })
            .collect()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || rows.len() < PARALLEL_DECRYPT_MIN_ROWS {
        return decrypt(&rows);
    }
    let chunk_len = rows.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = rows
            .chunks(chunk_len)
            .map(|chunk| scope.spawn(move || decrypt(chunk)))
            .collect();
        let mut out = Vec::with_capacity(rows.len());
        for w in workers {
            out.extend(
                w.join()
                    .map_err(|_| Error::damaged("a key record could not be decoded"))??,
            );
        }
        Ok(out)
    })
}

fn find_in(entries: Vec<(KeyEntry, u64)>, name: &str) -> Result<(KeyEntry, u64)> {
    let wanted = name.trim();
    if let Some(i) = entries.iter().position(|(e, _)| e.name == wanted) {
        return Ok(entries.into_iter().nth(i).expect("index from position"));
    }
    let folded: Vec<usize> = entries
        .iter()
        .enumerate()
        .filter(|(_, (e, _))| e.name.eq_ignore_ascii_case(wanted))
        .map(|(i, _)| i)
        .collect();
    if let [i] = folded[..] {
        return Ok(entries.into_iter().nth(i).expect("index from filter"));
    }
    if let Some(i) = entries.iter().position(|(e, _)| e.id.to_string() == wanted) {
        return Ok(entries.into_iter().nth(i).expect("index from position"));
    }
    Err(Error::KeyNotFound {
        name: wanted.to_string(),
    })
}

/// The current secrets and the retired versions of a key.
fn read_secrets(
    conn: &Connection,
    cells: &Cells<'_>,
    entry: &KeyEntry,
    generation: u64,
) -> Result<(SecretFields, History)> {
    let id = entry.id.to_string();
    let (secrets, history): (Vec<u8>, Vec<u8>) = conn.query_row(
        "SELECT secrets, history FROM entries WHERE id = ?1",
        [&id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let s = cells.open("entries", &id, "secrets", generation, &secrets)?;
    let h = cells.open("entries", &id, "history", generation, &history)?;
    let s = SecretFields::from_sealed_json(&s)
        .ok_or_else(|| Error::damaged(format!("key record {id} has unreadable secrets")))?;
    let h = history_from_json(&h)
        .ok_or_else(|| Error::damaged(format!("key record {id} has an unreadable history")))?;
    Ok((s, h))
}

/// A key's metadata as checked for `add` and for an imported key: names, scopes, addresses and lengths
/// validated, the exchange known, the secrets complete for it.
pub(crate) struct CheckedKey {
    pub name: String,
    pub exchange: &'static Exchange,
    pub account: Option<String>,
    pub environment: Environment,
    pub scopes: BTreeSet<Scope>,
    pub exchange_scopes: Vec<String>,
    pub ip_allowlist: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub rotation_days: Option<u32>,
    pub tags: Vec<String>,
    pub notes: String,
}

pub(crate) fn check_new_key(new: &NewKey, secrets: &SecretFields) -> Result<CheckedKey> {
    let exchange = catalog::exchange(&new.exchange)?;
    let name = parse::key_name(&new.name)?;
    let (scopes, exchange_scopes) = exchange.resolve_scopes(&new.scopes)?;
    let ip_allowlist = parse::ip_allowlist(&new.ip_allowlist)?;
    check_secrets(exchange, secrets)?;
    check_rotation(new.rotation_days)?;
    let notes = parse::text("notes", &new.notes, MAX_NOTES_CHARS)?;
    let account = new
        .account
        .as_deref()
        .map(|a| parse::text("account label", a.trim(), MAX_SHORT_TEXT_CHARS))
        .transpose()?
        .filter(|a| !a.is_empty());
    let tags = clean_tags(&new.tags)?;
    Ok(CheckedKey {
        name,
        exchange,
        account,
        environment: new.environment.unwrap_or(Environment::Production),
        scopes,
        exchange_scopes,
        ip_allowlist,
        expires_at: new.expires_at,
        rotation_days: new.rotation_days,
        tags,
        notes,
    })
}

/// One write transaction: reads see its own writes; `audit` extends the chain.
struct WriteTx<'a> {
    tx: rusqlite::Transaction<'a>,
    cells: Cells<'a>,
    state: State,
    now: DateTime<Utc>,
    actor: &'a str,
}

impl WriteTx<'_> {
    /// Keeps the keyed digest of all rows current when a row goes from `old` (None: new row) to `new`.
    fn move_row_digest(&mut self, row: &str, old: Option<u64>, new: u64) {
        if let Some(old) = old {
            xor_into(
                &mut self.state.entries_digest,
                &self.cells.row_digest(row, old),
            );
        }
        xor_into(
            &mut self.state.entries_digest,
            &self.cells.row_digest(row, new),
        );
    }

    fn audit(
        &mut self,
        action: AuditAction,
        key: Option<&KeyEntry>,
        detail: Option<String>,
    ) -> Result<()> {
        let actor = self.actor.to_string();
        self.audit_at(self.now, action, key, detail, &actor)
    }

    fn audit_at(
        &mut self,
        at: DateTime<Utc>,
        action: AuditAction,
        key: Option<&KeyEntry>,
        detail: Option<String>,
        actor: &str,
    ) -> Result<()> {
        let event = AuditEvent {
            at,
            action,
            key_id: key.map(|k| k.id),
            key_name: key.map(|k| k.name.clone()),
            detail,
            actor: actor.to_string(),
        };
        let seq = self.state.audit_head_seq + 1;
        let plain = serde_json::to_vec(&event).map_err(|e| Error::Storage(e.to_string()))?;
        let sealed = self
            .cells
            .seal("audit", &seq.to_string(), "event", 0, &plain);
        let mac = audit::chain_mac(
            &self.cells.keys.audit_mac,
            &self.state.audit_head_mac,
            seq,
            &sealed,
        );
        self.tx.execute(
            "INSERT INTO audit (seq, event, mac) VALUES (?1, ?2, ?3)",
            params![seq as i64, sealed, &mac[..]],
        )?;
        self.state.audit_head_seq = seq;
        self.state.audit_head_mac = mac;
        Ok(())
    }

    /// A fresh key id, ordered by creation time.
    fn new_key_id(&self) -> Uuid {
        let ms = u64::try_from(self.now.timestamp_millis()).unwrap_or(0);
        Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            ms / 1000,
            ((ms % 1000) * 1_000_000) as u32,
        ))
    }

    /// A new key at version 1 with these secrets.
    fn new_entry(
        &self,
        checked: &CheckedKey,
        id: Uuid,
        name: String,
        secrets: &SecretFields,
    ) -> KeyEntry {
        let now = self.now;
        KeyEntry {
            id,
            name,
            exchange: checked.exchange.id.to_string(),
            account: checked.account.clone(),
            environment: checked.environment,
            scopes: checked.scopes.clone(),
            exchange_scopes: checked.exchange_scopes.clone(),
            ip_allowlist: checked.ip_allowlist.clone(),
            created_at: now,
            updated_at: now,
            expires_at: checked.expires_at,
            last_rotated_at: None,
            last_used_at: None,
            rotation_days: checked.rotation_days,
            status: KeyStatus::Active,
            status_reason: None,
            status_changed_at: None,
            tags: checked.tags.clone(),
            notes: checked.notes.clone(),
            versions: vec![SecretVersionInfo {
                version: 1,
                fields: secrets.fields(),
                created_at: now,
                retired_at: None,
                reason: None,
            }],
            fingerprints: self.fingerprints(secrets),
        }
    }

    fn fingerprints(&self, secrets: &SecretFields) -> Vec<String> {
        secrets
            .iter()
            .filter(|(f, _)| f.identifies_key())
            .map(|(_, v)| self.cells.fingerprint(v.expose_secret()))
            .collect()
    }

    /// The current secrets and the retired versions of a key.
    fn secrets_of(&self, entry: &KeyEntry, generation: u64) -> Result<(SecretFields, History)> {
        read_secrets(&self.tx, &self.cells, entry, generation)
    }

    /// Writes a key row at the next generation, re-sealing every column under it (all columns carry the
    /// generation in their associated data, so none can be swapped for an older copy).
    fn put_entry(
        &mut self,
        entry: &KeyEntry,
        old_generation: Option<u64>,
        new_secrets: Option<(&SecretFields, &History)>,
    ) -> Result<()> {
        let id = entry.id.to_string();
        let generation = old_generation.map_or(1, |g| g + 1);
        let (secrets, history) = match new_secrets {
            Some((s, h)) => (s.clone(), h.clone()),
            None => self.secrets_of(entry, old_generation.unwrap_or(0))?,
        };
        let meta = serde_json::to_vec(entry).map_err(|e| Error::Storage(e.to_string()))?;
        let meta = self.cells.seal("entries", &id, "meta", generation, &meta);
        let secrets = self
            .cells
            .seal("entries", &id, "secrets", generation, &secrets.to_json());
        let history = self.cells.seal(
            "entries",
            &id,
            "history",
            generation,
            &history_to_json(&history),
        );
        let due_at = due::due_info(entry, exchange_of(entry), self.now)
            .due_at
            .map(ts);
        self.tx.execute(
            "INSERT INTO entries (id, generation, due_at, meta, secrets, history) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(id) DO UPDATE SET generation = excluded.generation, due_at = excluded.due_at,
               meta = excluded.meta, secrets = excluded.secrets, history = excluded.history",
            params![id, generation as i64, due_at, meta, secrets, history],
        )?;
        self.move_row_digest(&id, old_generation, generation);
        Ok(())
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    let made = {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    };
    #[cfg(not(unix))]
    let made = std::fs::create_dir_all(dir);
    made.map_err(|e| Error::Storage(format!("cannot create {}: {e}", dir.display())))
}

fn restrict_permissions(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(feature = "bench")]
impl Vault {
    /// Benchmarks only: adds `n` custom keys in one transaction.
    #[doc(hidden)]
    pub fn bench_add_many(&mut self, n: usize) -> Result<()> {
        let exchanges = ["binance", "okx", "bybit", "kraken", "kucoin"];
        self.write(|tx| {
            for i in 0..n {
                let ex = catalog::exchange(exchanges[i % exchanges.len()])?;
                let mut secrets = SecretFields::new();
                for f in ex.required_fields {
                    secrets.insert(
                        *f,
                        SecretString::from(format!("{f}-{i}-{}", "x".repeat(48))),
                    );
                }
                let now = tx.now;
                let entry = KeyEntry {
                    id: Uuid::now_v7(),
                    name: format!("bench-key-{i:06}"),
                    exchange: ex.id.into(),
                    account: Some("main".into()),
                    environment: crate::model::Environment::Production,
                    scopes: [crate::model::Scope::Read, crate::model::Scope::Trade].into(),
                    exchange_scopes: vec![],
                    ip_allowlist: if i % 2 == 0 {
                        vec!["203.0.113.7".into()]
                    } else {
                        vec![]
                    },
                    created_at: now,
                    updated_at: now,
                    expires_at: Some(now + chrono::Duration::days((i % 400) as i64)),
                    last_rotated_at: None,
                    last_used_at: None,
                    rotation_days: Some(90),
                    status: KeyStatus::Active,
                    status_reason: None,
                    status_changed_at: None,
                    tags: vec!["bot".into()],
                    notes: "benchmark key".into(),
                    versions: vec![SecretVersionInfo {
                        version: 1,
                        fields: secrets.fields(),
                        created_at: now,
                        retired_at: None,
                        reason: None,
                    }],
                    fingerprints: tx.fingerprints(&secrets),
                };
                tx.put_entry(&entry, None, Some((&secrets, &History::new())))?;
                tx.audit(AuditAction::KeyCreated, Some(&entry), None)?;
            }
            Ok(())
        })
    }

    /// Benchmarks only: what `unlock` does after the key derivation (a fresh connection, the state MAC,
    /// the integrity checks), so open time can be measured without the deliberate Argon2 cost.
    #[doc(hidden)]
    pub fn bench_reopen(&self) -> Result<Vault> {
        let vault = Vault {
            conn: open_connection(&self.path, false)?,
            path: self.path.clone(),
            vault_id: self.vault_id,
            keys: self.keys.clone(),
            clock: self.clock.clone(),
            actor: self.actor.clone(),
            anchor: self.anchor.clone(),
            warnings: Vec::new(),
        };
        vault.read_state()?;
        vault.integrity_problems()?;
        Ok(vault)
    }

    /// Benchmarks only: appends `n` audit events in one transaction.
    #[doc(hidden)]
    pub fn bench_append_audit(&mut self, n: usize) -> Result<()> {
        self.write(|tx| {
            for i in 0..n {
                tx.audit(
                    AuditAction::SecretRevealed,
                    None,
                    Some(format!("bench event {i}")),
                )?;
            }
            Ok(())
        })
    }
}
