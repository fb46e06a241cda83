//! The write transaction: a change, its audit events and the new MAC'd vault state commit together;
//! the commit counter is mirrored outside the file to notice a rollback.

use super::cells::{history_to_json, read_secrets, read_state, xor_into, Cells, History, State};
use super::{exchange_of, ts, Vault};
use crate::audit::{self, AuditAction, AuditEvent};
use crate::due;
use crate::error::{Error, Result};
use crate::model::{KeyEntry, KeyStatus, SecretVersionInfo};
use crate::secret::SecretFields;
use crate::validate::CheckedKey;
use chrono::{DateTime, Utc};
use rusqlite::{params, TransactionBehavior};
use secrecy::ExposeSecret;
use uuid::Uuid;

impl Vault {
    /// Runs `f` in one IMMEDIATE transaction; its changes, its audit events and the new vault state
    /// commit together or not at all.
    pub(super) fn write<T>(&mut self, f: impl FnOnce(&mut WriteTx<'_>) -> Result<T>) -> Result<T> {
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

    pub(super) fn anchor_id(&self) -> String {
        self.vault_id.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Compares the file's commit counter with the one mirrored outside it.
    pub(super) fn check_rollback(&self, counter: u64) -> Option<String> {
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
}

/// One write transaction: reads see its own writes; `audit` extends the chain.
pub(super) struct WriteTx<'a> {
    pub(super) tx: rusqlite::Transaction<'a>,
    pub(super) cells: Cells<'a>,
    pub(super) state: State,
    pub(super) now: DateTime<Utc>,
    pub(super) actor: &'a str,
}

impl WriteTx<'_> {
    /// Keeps the keyed digest of all rows current when a row goes from `old` (None: new row) to `new`.
    pub(super) fn move_row_digest(&mut self, row: &str, old: Option<u64>, new: u64) {
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

    pub(super) fn audit(
        &mut self,
        action: AuditAction,
        key: Option<&KeyEntry>,
        detail: Option<String>,
    ) -> Result<()> {
        let event = AuditEvent {
            at: self.now,
            action,
            key_id: key.map(|k| k.id),
            key_name: key.map(|k| k.name.clone()),
            detail,
            actor: self.actor.to_string(),
            recorded_while_locked: false,
        };
        self.append(&event)
    }

    /// Seals `event` as the next entry of the chain.
    pub(super) fn append(&mut self, event: &AuditEvent) -> Result<()> {
        let seq = self.state.audit_head_seq + 1;
        let plain = serde_json::to_vec(event).map_err(|e| Error::Storage(e.to_string()))?;
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
            "INSERT INTO audit (seq, event, mac, key_id) VALUES (?1, ?2, ?3, ?4)",
            params![
                seq as i64,
                sealed,
                &mac[..],
                event.key_id.map(|id| id.to_string())
            ],
        )?;
        self.state.audit_head_seq = seq;
        self.state.audit_head_mac = mac;
        Ok(())
    }

    /// A fresh key id, ordered by creation time.
    pub(super) fn new_key_id(&self) -> Uuid {
        let ms = u64::try_from(self.now.timestamp_millis()).unwrap_or(0);
        Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            ms / 1000,
            ((ms % 1000) * 1_000_000) as u32,
        ))
    }

    /// A new key at version 1 with these secrets.
    pub(super) fn new_entry(
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

    pub(super) fn fingerprints(&self, secrets: &SecretFields) -> Vec<String> {
        secrets
            .iter()
            .filter(|(f, _)| f.identifies_key())
            .map(|(_, v)| self.cells.fingerprint(v.expose_secret()))
            .collect()
    }

    /// The current secrets and the retired versions of a key.
    pub(super) fn secrets_of(
        &self,
        entry: &KeyEntry,
        generation: u64,
    ) -> Result<(SecretFields, History)> {
        read_secrets(&self.tx, &self.cells, entry, generation)
    }

    /// Writes a key row at the next generation, re-sealing every column under it (all columns carry the
    /// generation in their associated data, so none can be swapped for an older copy).
    pub(super) fn put_entry(
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
        self.index_entry(entry)
    }
}
