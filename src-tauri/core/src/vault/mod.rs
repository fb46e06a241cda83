//! The vault file: one SQLite database. Every change and its audit entry are written in one transaction,
//! and every transaction re-MACs the vault state (commit counter, audit head, a keyed digest of all
//! entry rows), so a deleted row, a rolled-back row or a truncated audit log is noticed.
//!
//! Plaintext columns: ids, generation, the next due date, and opaque lookup columns (a keyed tag of each
//! name, the keyed fingerprints of active keys' secrets, the key id of an audit event), so that one key
//! is read without opening every row. Everything that says what a key is
//! (name, exchange, scopes, notes) and every secret is sealed with associated data
//! `vault id ‖ table ‖ row id ‖ column ‖ generation`.

//! The parts, one job each: `schema` (tables, migration), `cells` (sealing, state MAC, row digests),
//! `write` (the write transaction), `index` (lookup columns), `file` (the SQLite file), `open` (create,
//! unlock), `passphrase`, `throttle` (the delay after wrong passphrases), `rekey` (a new vault key), `keys` (changes to keys),
//! `secrets` (reveal, copy), `run` (keys handed to a program), `read` (find, list, detail), `audit`, `locked` and `reminders` (reminders
//! while locked and unlocked), `contacts`, `share_export`, `share_import` (sharing), `team` (team vaults), `import` (keys from other tools' files), `scan` (the leak scanner's secrets and records), `device` (remember on this device) and `bench`.

use crate::anchor::RollbackAnchor;
use crate::catalog::{self, Exchange};
use crate::clock::Clock;
use crate::crypto::{KdfParams, VaultKeys};
use crate::device_key::DeviceKeyStore;
use crate::error::{Error, Result};
use crate::memlock::Locked;
use crate::model::KeyEntry;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use uuid::Uuid;

mod audit;
mod backup;
#[cfg(feature = "bench")]
mod bench;
#[cfg(feature = "bench")]
pub use bench::{bench_key, BenchKey};
mod cells;
mod contacts;
mod device;
mod file;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzzing;
mod import;
mod index;
mod key_pair;
mod keys;
mod locked;
mod open;
mod passphrase;
mod read;
mod rekey;
mod reminders;
mod run;
mod scan;
mod schema;
mod secrets;
mod share_export;
mod share_import;
mod team;
mod throttle;
mod verify;
mod write;

pub use device::{DeviceStatus, RememberOff};
pub use open::{default_path, OpenOptions};
pub use passphrase::check_passphrase;
pub use run::program_label;
pub use team::{
    Keep, TeamEntryPreview, TeamEntryStatus, TeamInfo, TeamJoin, TeamJoinPreview, TeamMemberInfo,
    TeamShare, TeamStatus, TeamSync, TeamSyncPreview, TeamSyncSummary,
};
pub use verify::PreparedCheck;

use cells::{read_state, Cells, State};
use write::WriteTx;

const MAGIC: &[u8] = b"KEYSTEAD";
/// Version of the cryptographic format (header, record sealing). Bound into the header's associated data.
pub const FORMAT_VERSION: i64 = 1;
/// Version of the SQLite schema (`PRAGMA user_version`). 2 added `reminders_sent`, 3 the sharing identity
/// and contacts, 4 the lookup columns (name index, secret fingerprints, audit key ids), 5 the count of
/// failed unlocks noted while locked, 6 the ignored scan findings, 7 the team vaults, 8 key metadata and
/// audit events sealed as MessagePack (records written before stay JSON, a key's until it changes, and
/// read as such; a Keystead that knows only JSON refuses the file instead of calling its rows damaged),
/// and the compact fingerprint table. Older files are migrated in place when opened (see
/// [`schema::migrate`]).
const SCHEMA_VERSION: i64 = 8;
/// Shortest passphrase accepted for a new vault or a passphrase change.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// The header's associated data: magic, format version, vault id and the exact KDF parameters, so any
/// edit of the header fails to unwrap the vault key.
pub(super) fn header_ad(vault_id: &[u8], version: i64, kdf: KdfParams, salt: &[u8]) -> Vec<u8> {
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

/// An open, unlocked vault. Dropping it checkpoints the WAL into the file and wipes the keys.
pub struct Vault {
    conn: Connection,
    path: PathBuf,
    vault_id: [u8; 16],
    /// In locked memory (never swapped, never in a core dump), wiped on drop.
    keys: Locked<VaultKeys>,
    clock: Arc<dyn Clock>,
    actor: String,
    anchor: Arc<dyn RollbackAnchor>,
    /// Where this device's key for the remembered slot is kept (see the `device` module).
    devices: Arc<dyn DeviceKeyStore>,
    warnings: Vec<String>,
    /// Set when the file is older than the anchor says (or the anchor cannot be trusted), until the
    /// user accepts it as a restored backup; also one of `warnings`.
    rollback: Option<String>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn ts(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

fn from_ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn whole_seconds(at: DateTime<Utc>) -> DateTime<Utc> {
    from_ts(ts(at))
}

fn parse_entry_id(id: &str) -> Result<Uuid> {
    Uuid::parse_str(id).map_err(|_| Error::damaged(format!("a key id is malformed ({id:?})")))
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

impl Vault {
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
}

/// The vault file at `path` and its journal (WAL and shared memory): never written over by an export,
/// never read as an import source.
pub fn own_files(path: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            PathBuf::from(p)
        })
        .collect()
}

impl Drop for Vault {
    fn drop(&mut self) {
        let _ = self.checkpoint();
    }
}
