//! The SQLite schema of a vault file, by version, and the in-place migration of older files.

use super::open::not_a_vault;
use super::SCHEMA_VERSION;
use crate::error::{Error, Result};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::Path;

pub(super) const SCHEMA: &str = "
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
pub(super) const REMINDERS_SCHEMA: &str = "
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
pub(super) const SHARING_SCHEMA: &str = "
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

/// Brings a vault file of an older schema up to [`SCHEMA_VERSION`], in one transaction. Needs no vault
/// key: every step so far only adds tables (the sharing identity is made at its first use).
pub(super) fn migrate(conn: &Connection) -> Result<()> {
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

/// The file's schema version, refusing a file with no Keystead tables or from a newer Keystead.
pub(super) fn schema_version(conn: &Connection, path: &Path) -> Result<i64> {
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
