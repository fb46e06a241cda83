//! The SQLite schema of a vault file, by version, and the in-place migration of older files.

use super::file::not_a_vault;
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

/// Schema version 4: plaintext lookup columns over sealed data (see the `index` module). Since version 8
/// the fingerprint table is keyed by its 16 fingerprint bytes and the key id, without a row id: with
/// 10,000 keys, table and index take 2.6 MB where versions 4 to 7's table of hex strings and its two
/// indexes took 3.5 MB. The name tag and
/// the fingerprints are keyed MACs: they say which keys share a name or a secret, not what either is.
/// A migrated file gets a row in `pending_reindex`; the next unlock fills the columns (it needs the key).
/// The ALTERs are guarded in [`migrate`], which also runs this on a new file.
pub(super) const INDEX_SCHEMA: &str = "
CREATE INDEX IF NOT EXISTS entries_name_tag ON entries(name_tag);
CREATE TABLE IF NOT EXISTS secret_fingerprints (
    fp BLOB NOT NULL,
    entry_id TEXT NOT NULL,
    PRIMARY KEY (fp, entry_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS secret_fingerprints_entry ON secret_fingerprints(entry_id);
CREATE INDEX IF NOT EXISTS audit_key_id ON audit(key_id);
CREATE TABLE IF NOT EXISTS pending_reindex (singleton INTEGER PRIMARY KEY CHECK (singleton = 1));
";

/// Schema version 5: how many failed unlocks were noted since the last unlock, kept beside
/// `unlock_failures` and raised in the same transaction as each row is added. Written without the vault
/// key, so it cannot be trusted either; it makes a deletion of failure rows visible unless the count is
/// lowered by the same amount (see [`super::locked`]).
pub(super) const FAILURE_COUNT_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS unlock_failure_count (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    pending INTEGER NOT NULL
);
INSERT OR IGNORE INTO unlock_failure_count SELECT 1, count(*) FROM unlock_failures;
";

/// Schema version 6: the scan findings the user ignored, and the key that names findings, in one sealed
/// record counted in the entries digest (a deleted or rolled-back list is noticed like a key's).
pub(super) const SCAN_IGNORES_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS scan_ignores (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    generation INTEGER NOT NULL,
    record BLOB NOT NULL
);
";

/// Schema version 7: the team vaults this vault is in (see the `team` module), one sealed record per
/// team (remote, member list trusted, revision of each team key held), counted in the entries digest.
pub(super) const TEAMS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS teams (
    id TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    record BLOB NOT NULL
);
";

/// Adds the version 4 lookup columns and tables to `conn` (a new file or an older one).
pub(super) fn add_index_schema(conn: &Connection) -> Result<()> {
    for (table, column, kind) in [("entries", "name_tag", "BLOB"), ("audit", "key_id", "TEXT")] {
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2)",
            [table, column],
            |r| r.get(0),
        )?;
        if !exists {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"))?;
        }
    }
    conn.execute_batch(INDEX_SCHEMA)?;
    Ok(())
}

/// Brings a vault file of an older schema up to [`SCHEMA_VERSION`], in one transaction. Needs no vault
/// key: every step only adds tables and columns (the sharing identity is made at its first use, the
/// lookup columns are filled at the next unlock).
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
    if version < 4 {
        add_index_schema(&tx)?;
        tx.execute("INSERT OR IGNORE INTO pending_reindex VALUES (1)", [])?;
    }
    if version < 5 {
        tx.execute_batch(FAILURE_COUNT_SCHEMA)?;
    }
    if version < 6 {
        tx.execute_batch(SCAN_IGNORES_SCHEMA)?;
    }
    if version < 7 {
        tx.execute_batch(TEAMS_SCHEMA)?;
    }
    if (4..8).contains(&version) {
        // The fingerprint table of hex strings goes; the next unlock fills the compact one (it needs
        // the key), as for a file from before the lookups.
        tx.execute_batch("DROP TABLE IF EXISTS secret_fingerprints;")?;
        tx.execute_batch(INDEX_SCHEMA)?;
        tx.execute("INSERT OR IGNORE INTO pending_reindex VALUES (1)", [])?;
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
