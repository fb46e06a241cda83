//! Plaintext lookup columns over sealed data (schema version 4): a keyed tag of each key's name, so
//! finding a key by name opens only the rows that can match; the active keys' secret fingerprints, so
//! the "same secret stored twice" flag of one key needs no other rows; and the key id of each audit event,
//! for one key's history. Every lookup is re-checked against the sealed data it points at: a tampered
//! column can hide a row from a view, never put another key's row in it.

use super::cells::{read_entries, sealed_row, unpack, Cells};
use super::{Vault, WriteTx};
use crate::audit::{AuditEvent, AuditRecord};
use crate::crypto;
use crate::error::{Error, Result};
use crate::model::{KeyEntry, KeyStatus};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashSet;
use uuid::Uuid;

/// Bytes of the name tag kept (of the 32-byte HMAC-SHA256).
const NAME_TAG_LEN: usize = 16;

impl Cells<'_> {
    /// The name index tag: a keyed MAC of the name with ASCII letters lower-cased, the same folding as
    /// the case-insensitive name match, so every name that matches ignoring case has the same tag.
    pub(super) fn name_tag(&self, name: &str) -> [u8; NAME_TAG_LEN] {
        let mac = crypto::mac(
            &self.keys.name_index,
            &[name.trim().to_ascii_lowercase().as_bytes()],
        );
        let mut tag = [0u8; NAME_TAG_LEN];
        tag.copy_from_slice(&mac[..NAME_TAG_LEN]);
        tag
    }

    /// Opens one audit event; `seq` is bound into its associated data.
    pub(super) fn read_event(&self, seq: u64, sealed: &[u8]) -> Result<AuditEvent> {
        let plain = self.open("audit", &seq.to_string(), "event", 0, sealed)?;
        unpack(&plain)
            .map_err(|e| Error::damaged(format!("audit entry #{seq} is unreadable ({e})")))
    }
}

/// The keys whose name tag is that of `name`: the ones named `name` ignoring case, and nothing else
/// once opened (a row whose tag was moved to it is dropped here).
pub(super) fn rows_named(
    conn: &Connection,
    cells: &Cells<'_>,
    name: &str,
) -> Result<Vec<(KeyEntry, u64)>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, generation, meta FROM entries WHERE name_tag = ?1")?;
    let rows = stmt.query_map([&cells.name_tag(name)[..]], sealed_row)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, generation, meta) = row?;
        let entry = cells.read_entry(&id, generation, &meta)?;
        if entry.name.eq_ignore_ascii_case(name.trim()) {
            out.push((entry, generation));
        }
    }
    Ok(out)
}

/// One key by its id, if there is one.
pub(super) fn row_by_id(
    conn: &Connection,
    cells: &Cells<'_>,
    id: &str,
) -> Result<Option<(KeyEntry, u64)>> {
    let row = conn
        .prepare_cached("SELECT id, generation, meta FROM entries WHERE id = ?1")?
        .query_row([id], sealed_row)
        .optional()?;
    row.map(|(id, generation, meta)| Ok((cells.read_entry(&id, generation, &meta)?, generation)))
        .transpose()
}

/// Finds a key by exact name, then by name ignoring case (if that is unambiguous), then by id. Opens
/// only the rows the name index or the id points at.
pub(super) fn find_row(
    conn: &Connection,
    cells: &Cells<'_>,
    name: &str,
) -> Result<(KeyEntry, u64)> {
    let wanted = name.trim();
    let mut named = rows_named(conn, cells, wanted)?;
    if let Some(i) = named.iter().position(|(e, _)| e.name == wanted) {
        return Ok(named.swap_remove(i));
    }
    if named.len() == 1 {
        return Ok(named.swap_remove(0));
    }
    if let Some(found) = row_by_id(conn, cells, wanted)? {
        return Ok(found);
    }
    Err(Error::KeyNotFound {
        name: wanted.to_string(),
    })
}

/// Whether a key other than `except` is named `name`, ignoring case.
pub(super) fn name_taken(
    conn: &Connection,
    cells: &Cells<'_>,
    name: &str,
    except: Option<Uuid>,
) -> Result<bool> {
    Ok(rows_named(conn, cells, name)?
        .iter()
        .any(|(e, _)| Some(e.id) != except))
}

/// Whether an active key holds a secret that another active key (or another of its own fields) holds
/// too, and the names of those other keys (sorted): the same answer as [`Vault::list`] gives, from the
/// fingerprint table and the rows it names.
pub(super) fn duplicate_secret(
    conn: &Connection,
    cells: &Cells<'_>,
    entry: &KeyEntry,
) -> Result<(bool, Vec<String>)> {
    if entry.status != KeyStatus::Active {
        return Ok((false, Vec::new()));
    }
    let mut own = HashSet::new();
    let twice_in_itself = entry.fingerprints.iter().any(|fp| !own.insert(fp));
    let mut others = Vec::new();
    for fp in own {
        for e in active_keys_holding(conn, cells, fp)? {
            if e.id != entry.id && !others.contains(&e.name) {
                others.push(e.name);
            }
        }
    }
    others.sort();
    Ok((twice_in_itself || !others.is_empty(), others))
}

/// A fingerprint as the table keys it: its 16 bytes (the sealed metadata keeps them as hex).
fn fingerprint_bytes(fp: &str) -> Option<[u8; 16]> {
    let mut bytes = [0u8; 16];
    hex::decode_to_slice(fp, &mut bytes).ok()?;
    Some(bytes)
}

/// The active keys whose secrets include the fingerprint `fp`, from the fingerprint table, each
/// re-checked against its sealed row.
pub(super) fn active_keys_holding(
    conn: &Connection,
    cells: &Cells<'_>,
    fp: &str,
) -> Result<Vec<KeyEntry>> {
    let Some(bytes) = fingerprint_bytes(fp) else {
        return Ok(Vec::new());
    };
    let ids: Vec<String> = conn
        .prepare_cached("SELECT entry_id FROM secret_fingerprints WHERE fp = ?1")?
        .query_map([&bytes[..]], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    for id in ids {
        if let Some((e, _)) = row_by_id(conn, cells, &id)? {
            if e.status == KeyStatus::Active && e.fingerprints.iter().any(|f| f == fp) {
                out.push(e);
            }
        }
    }
    Ok(out)
}

impl WriteTx<'_> {
    /// Brings a key's name tag and fingerprint rows up to date with `entry` (its row written already).
    pub(super) fn index_entry(&mut self, entry: &KeyEntry) -> Result<()> {
        let id = entry.id.to_string();
        self.tx.execute(
            "UPDATE entries SET name_tag = ?2 WHERE id = ?1",
            params![id, &self.cells.name_tag(&entry.name)[..]],
        )?;
        self.tx
            .prepare_cached("DELETE FROM secret_fingerprints WHERE entry_id = ?1")?
            .execute([&id])?;
        if entry.status == KeyStatus::Active {
            // A key holding one secret in two fields has one row for it.
            let mut insert = self.tx.prepare_cached(
                "INSERT OR IGNORE INTO secret_fingerprints (fp, entry_id) VALUES (?1, ?2)",
            )?;
            for fp in &entry.fingerprints {
                let bytes = fingerprint_bytes(fp).ok_or_else(|| {
                    Error::damaged(format!("key record {id} holds a malformed fingerprint"))
                })?;
                insert.execute(params![&bytes[..], id])?;
            }
        }
        Ok(())
    }

    /// Recomputes every key's name tag and fingerprint rows from the sealed rows.
    pub(super) fn reindex_entries(&mut self) -> Result<()> {
        self.tx.execute("DELETE FROM secret_fingerprints", [])?;
        for (entry, _) in read_entries(&self.tx, &self.cells)? {
            self.index_entry(&entry)?;
        }
        Ok(())
    }

    /// Fills the key id column of the audit events that have none, from the sealed events.
    fn fill_audit_key_ids(&mut self) -> Result<()> {
        let rows: Vec<(i64, Vec<u8>)> = self
            .tx
            .prepare("SELECT seq, event FROM audit WHERE key_id IS NULL")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut update = self
            .tx
            .prepare("UPDATE audit SET key_id = ?2 WHERE seq = ?1")?;
        for (seq, sealed) in rows {
            if let Some(key) = self.cells.read_event(seq as u64, &sealed)?.key_id {
                update.execute(params![seq, key.to_string()])?;
            }
        }
        Ok(())
    }
}

impl Vault {
    /// Whether the lookup columns need filling: a file migrated from schema 3 or older, or a key row
    /// without its name tag.
    fn needs_reindex(&self) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM pending_reindex)
                 OR EXISTS (SELECT 1 FROM entries WHERE name_tag IS NULL)",
            [],
            |r| r.get(0),
        )?)
    }

    /// Fills the lookup columns of a file from before them, in one write transaction. [`Vault::unlock`]
    /// calls it.
    pub(super) fn reindex_if_needed(&mut self) -> Result<()> {
        if !self.needs_reindex()? {
            return Ok(());
        }
        self.write(|tx| {
            tx.reindex_entries()?;
            tx.fill_audit_key_ids()?;
            tx.tx.execute("DELETE FROM pending_reindex", [])?;
            Ok(())
        })
    }

    /// One key's audit events, oldest first. Selected by the plaintext key id column, then each event
    /// kept only if its sealed content names the key: a tampered column can hide an event here (the chain
    /// check of [`Vault::verify_audit`] still sees it), never show another key's.
    pub fn audit_for(&self, key: Uuid) -> Result<Vec<AuditRecord>> {
        let cells = self.cells();
        let mut stmt = self
            .conn
            .prepare("SELECT seq, event FROM audit WHERE key_id = ?1 ORDER BY seq")?;
        let rows = stmt.query_map([key.to_string()], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, sealed) = row?;
            let event = cells.read_event(seq, &sealed)?;
            if event.key_id == Some(key) {
                out.push(AuditRecord { seq, event });
            }
        }
        Ok(out)
    }
}
