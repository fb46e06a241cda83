//! The write transaction: a change, its audit events and the new MAC'd vault state commit together;
//! the commit counter is mirrored outside the file (never lowered, except when the user accepts a restored
//! backup) to notice a rollback.

use super::cells::{
    history_to_json, pack, read_secrets, read_state, xor_into, Cells, History, State,
};
use super::{exchange_of, ts, Vault};
use crate::anchor::{AnchorKey, Mark, Seen};
use crate::audit::{self, AuditAction, AuditEvent};
use crate::crypto::{self, VaultKeys};
use crate::due;
use crate::error::Result;
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
        let (out, counter) = self.commit(f)?;
        self.raise_anchor(counter);
        Ok(out)
    }

    /// The transaction of [`Vault::write`]; returns `f`'s result and the new commit counter.
    fn commit<T>(&mut self, f: impl FnOnce(&mut WriteTx<'_>) -> Result<T>) -> Result<(T, u64)> {
        let now = self.clock.now();
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
        let counter = w.commit_state()?;
        Ok((out, counter))
    }

    pub(super) fn anchor_id(&self) -> String {
        self.vault_id.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The key of the anchor file's MAC: derived from the vault key, used for nothing else.
    pub(super) fn anchor_key(&self) -> AnchorKey {
        anchor_key_of(&self.keys)
    }

    /// Raises the anchor to `counter`; never lowers it, and keeps a dispute (an older file seen) in place.
    /// A record that cannot be trusted is left as it is, so its warning stays until the user accepts the
    /// file: a write alone never makes a warning vanish.
    fn raise_anchor(&self, counter: u64) {
        let (id, key) = (self.anchor_id(), self.anchor_key());
        match self.anchor.seen(&id, &key) {
            Seen::Counter(m) if m.counter >= counter => {}
            Seen::Untrusted(_) => {}
            Seen::Counter(Mark { disputed, .. }) => {
                self.anchor.record(&id, &key, Mark { counter, disputed })
            }
            Seen::Nothing => self.anchor.record(
                &id,
                &key,
                Mark {
                    counter,
                    disputed: false,
                },
            ),
        }
    }

    /// Compares the file's commit counter with the highest one recorded outside it: the warning for an
    /// older file (or an anchor that cannot be trusted), or `None` after raising the anchor to `counter`.
    /// An older file marks the record disputed, so later writes on that file (whose counter then climbs
    /// past the old one) keep the warning.
    pub(super) fn check_rollback(&self, counter: u64) -> Option<String> {
        let (id, key) = (self.anchor_id(), self.anchor_key());
        match self.anchor.seen(&id, &key) {
            Seen::Counter(m) if m.counter > counter || m.disputed => {
                if !m.disputed {
                    self.anchor.record(
                        &id,
                        &key,
                        Mark {
                            disputed: true,
                            ..m
                        },
                    );
                }
                Some(format!(
                    "this vault file was replaced by an older copy (write #{counter}; this machine had seen write #{}) \
                     (a restored backup, a sync conflict, or someone undoing changes), so revoked keys may show as \
                     active again and recent audit entries may be missing",
                    m.counter
                ))
            }
            Seen::Untrusted(why) => Some(format!(
                "cannot tell whether this vault file was replaced by an older copy: {why}"
            )),
            Seen::Counter(_) | Seen::Nothing => {
                self.raise_anchor(counter);
                None
            }
        }
    }

    /// The warning about an older file (or an untrusted anchor) found at unlock, until accepted.
    pub fn rollback_warning(&self) -> Option<&str> {
        self.rollback.as_deref()
    }

    /// The user says this older file is a backup they restored on purpose: records that in the audit log,
    /// then sets the anchor to this file's counter (the only way it ever goes down) and drops the warning.
    /// `false` (and nothing written) if there was nothing to accept.
    pub fn accept_restored_backup(&mut self) -> Result<bool> {
        let Some(warning) = self.rollback.clone() else {
            return Ok(false);
        };
        let file = self.commit_counter()?;
        let detail = match self.anchor.seen(&self.anchor_id(), &self.anchor_key()) {
            Seen::Counter(m) => {
                format!(
                    "this file (write #{file}) accepted in place of write #{}",
                    m.counter
                )
            }
            Seen::Untrusted(_) | Seen::Nothing => {
                format!("this file (write #{file}) accepted; the record of the last write could not be trusted")
            }
        };
        self.write(|tx| tx.audit(AuditAction::RestoredBackupAccepted, None, Some(detail)))?;
        let counter = self.commit_counter()?;
        let mark = Mark {
            counter,
            disputed: false,
        };
        self.anchor
            .record(&self.anchor_id(), &self.anchor_key(), mark);
        self.warnings.retain(|w| *w != warning);
        self.rollback = None;
        Ok(true)
    }
}

/// The anchor key of one set of vault keys (see [`Vault::anchor_key`]).
pub(super) fn anchor_key_of(keys: &VaultKeys) -> AnchorKey {
    AnchorKey::new(crypto::mac(
        &keys.state_mac,
        &[b"keystead v1 rollback anchor key"],
    ))
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
    /// Ends the transaction: the commit counter goes up by one, the vault state is MAC'd under this
    /// transaction's keys and written, and everything commits together. Returns the new counter.
    pub(super) fn commit_state(mut self) -> Result<u64> {
        self.state.commit_counter += 1;
        let mac = self.cells.state_mac(&self.state);
        self.tx.execute(
            "UPDATE state SET commit_counter = ?1, audit_head_seq = ?2, audit_head_mac = ?3, entries_digest = ?4, mac = ?5 WHERE singleton = 1",
            params![
                self.state.commit_counter as i64,
                self.state.audit_head_seq as i64,
                &self.state.audit_head_mac[..],
                &self.state.entries_digest[..],
                &mac[..]
            ],
        )?;
        self.tx.commit()?;
        Ok(self.state.commit_counter)
    }

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
        let sealed = self
            .cells
            .seal("audit", &seq.to_string(), "event", 0, &pack(event)?);
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
            scopes_unknown: false,
            ip_allowlist: checked.ip_allowlist.clone(),
            created_at: now,
            updated_at: now,
            expires_at: checked.expires_at,
            last_rotated_at: None,
            last_used_at: None,
            last_use: None,
            rotation_days: checked.rotation_days,
            status: KeyStatus::Active,
            status_reason: None,
            status_changed_at: None,
            tags: checked.tags.clone(),
            notes: checked.notes.clone(),
            env_names: checked.env_names.clone(),
            used_by: checked.used_by.clone(),
            versions: vec![SecretVersionInfo {
                version: 1,
                fields: secrets.fields(),
                created_at: now,
                retired_at: None,
                reason: None,
                moves_funds: Some(checked.scopes.iter().any(|s| s.moves_funds())),
                generated_key_pair: None,
            }],
            found_in_plaintext: None,
            member_left: None,
            last_verification: None,
            scheduled_check: None,
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

    /// Makes `new` the key's current secrets (a rotation, or an import that replaces them): the current
    /// ones go into `history` as the retired version with `reason`, a version is added, and the
    /// fingerprints follow. Returns the new version's number.
    pub(super) fn push_version(
        &self,
        entry: &mut KeyEntry,
        history: &mut History,
        old: SecretFields,
        new: &SecretFields,
        reason: Option<String>,
    ) -> u32 {
        let now = self.now;
        let version = entry.versions.last().map_or(1, |v| v.version);
        history.insert(version, old);
        entry.retire_current(now, reason);
        entry.versions.push(SecretVersionInfo {
            version: version + 1,
            fields: new.fields(),
            created_at: now,
            retired_at: None,
            reason: None,
            moves_funds: Some(entry.scopes_move_funds()),
            generated_key_pair: None,
        });
        entry.last_rotated_at = Some(now);
        entry.fingerprints = self.fingerprints(new);
        version + 1
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
        let meta = self
            .cells
            .seal("entries", &id, "meta", generation, &pack(entry)?);
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
