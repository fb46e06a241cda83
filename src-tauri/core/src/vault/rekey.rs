//! Changing the passphrase with a new vault key: every cell sealed or MAC'd under the old key (key rows,
//! contacts, the sharing identity, audit events and their chain, the name tags and fingerprints, the
//! vault state) is opened and sealed again under a new random key in one transaction, so an old header
//! row and the old passphrase open nothing written before or after.

use super::cells::{
    contact_row, pack, read_state, team_row, xor_into, Cells, IDENTITY_ROW, SCAN_IGNORES_ROW,
};
use super::write::anchor_key_of;
use super::{header_ad, Vault, WriteTx, FORMAT_VERSION};
use crate::anchor::{Mark, Seen};
use crate::audit::{self, AuditAction};
use crate::crypto::{self, KdfParams, VaultKeys, MAC_LEN};
use crate::error::{Error, Result};
use crate::memlock::Locked;
use crate::secret::SecretFields;
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use secrecy::SecretString;

/// A key row as read for sealing again: id, generation, meta, secrets, history.
type KeyRow = (String, i64, Vec<u8>, Vec<u8>, Vec<u8>);

impl Vault {
    /// [`Vault::change_passphrase`], calling `progress(done, total)` as the cells are sealed again
    /// (total: key rows, contacts, the sharing identity and audit events), for a progress bar.
    /// Refuses a vault whose integrity checks or audit chain fail: sealing it again under a new key
    /// would make the damage look genuine.
    pub fn change_passphrase_with_progress(
        &mut self,
        new_passphrase: &SecretString,
        kdf: KdfParams,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<()> {
        super::check_passphrase(new_passphrase)?;
        kdf.check()?;
        kdf.check_affordable()?;
        if let Some(problem) = self.integrity_problems()?.into_iter().next() {
            return Err(Error::damaged(format!(
                "{problem}; the passphrase was not changed"
            )));
        }
        if let Some(problem) = self.verify_audit()?.problem {
            return Err(Error::damaged(format!(
                "the audit log does not verify ({problem}); the passphrase was not changed"
            )));
        }
        let salt: [u8; 32] = crypto::random_bytes();
        let kek = crypto::derive_kek(new_passphrase, &salt, kdf)?;
        let new_keys = VaultKeys::generate(&self.vault_id);
        let wrapped = new_keys.wrap(&kek, &header_ad(&self.vault_id, FORMAT_VERSION, kdf, &salt));
        let now = self.clock.now();
        let anchor_id = self.anchor_id();
        // The anchor file's MAC is keyed from the vault key: record it again under the new key, keeping a
        // dispute (an older file seen and not accepted) as it was.
        let disputed = self.rollback.is_some()
            || matches!(
                self.anchor.seen(&anchor_id, &self.anchor_key()),
                Seen::Counter(Mark { disputed: true, .. })
            );
        // Before the commit, the record as it stands, made again under the new key: killed between the
        // commit and the record below, the next open still finds one it can check.
        self.anchor.record_next(
            &anchor_id,
            &anchor_key_of(&new_keys),
            Mark {
                counter: self.commit_counter()?,
                disputed,
            },
        );
        let counter = self.reseal_all(&new_keys, now, kdf, &salt, &wrapped, &mut progress)?;
        self.keys = Locked::new(new_keys);
        self.anchor
            .record(&anchor_id, &self.anchor_key(), Mark { counter, disputed });
        self.forget_device_key();
        Ok(())
    }

    /// The transaction of [`Vault::change_passphrase_with_progress`]; returns the new commit counter.
    fn reseal_all(
        &mut self,
        new_keys: &VaultKeys,
        now: chrono::DateTime<chrono::Utc>,
        kdf: KdfParams,
        salt: &[u8],
        wrapped: &[u8],
        progress: &mut impl FnMut(u64, u64),
    ) -> Result<u64> {
        let old = Cells {
            keys: &self.keys,
            vault_id: &self.vault_id,
        };
        let new = Cells {
            keys: new_keys,
            vault_id: &self.vault_id,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut state = read_state(&tx, &old)?;
        let count = |sql: &str| -> Result<u64> {
            Ok(tx.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
        };
        let total = count("SELECT COUNT(*) FROM entries")?
            + count("SELECT COUNT(*) FROM contacts")?
            + count("SELECT COUNT(*) FROM sharing_identity")?
            + count("SELECT COUNT(*) FROM scan_ignores")?
            + count("SELECT COUNT(*) FROM teams")?
            + count("SELECT COUNT(*) FROM audit")?;
        progress(0, total);
        let mut done = 0u64;
        let mut step = |done: &mut u64| {
            *done += 1;
            if *done % 256 == 0 || *done == total {
                progress(*done, total);
            }
        };
        let mut digest = [0u8; MAC_LEN];
        let digests = new.row_digests();

        // Audit events first: the chain is rebuilt under the new MAC key, oldest first.
        {
            let rows: Vec<(i64, Vec<u8>)> = tx
                .prepare("SELECT seq, event FROM audit ORDER BY seq")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut update = tx.prepare("UPDATE audit SET event = ?2, mac = ?3 WHERE seq = ?1")?;
            let mut head = audit::GENESIS;
            for (seq, sealed) in rows {
                let row = seq.to_string();
                let plain = old.open("audit", &row, "event", 0, &sealed)?;
                let sealed = new.seal("audit", &row, "event", 0, &plain);
                head = audit::chain_mac(&new_keys.audit_mac, &head, seq as u64, &sealed);
                update.execute(params![seq, sealed, &head[..]])?;
                step(&mut done);
            }
            state.audit_head_mac = head;
        }
        // Contacts and the sharing identity.
        {
            let rows: Vec<(String, i64, Vec<u8>)> = tx
                .prepare("SELECT id, generation, record FROM contacts")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut update = tx.prepare("UPDATE contacts SET record = ?2 WHERE id = ?1")?;
            for (id, generation, sealed) in rows {
                let g = generation as u64;
                let plain = old.open("contacts", &id, "record", g, &sealed)?;
                update.execute(params![id, new.seal("contacts", &id, "record", g, &plain)])?;
                xor_into(&mut digest, &digests.of(&contact_row(&id), g));
                step(&mut done);
            }
            let rows: Vec<(String, i64, Vec<u8>)> = tx
                .prepare("SELECT id, generation, record FROM teams")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut update = tx.prepare("UPDATE teams SET record = ?2 WHERE id = ?1")?;
            for (id, generation, sealed) in rows {
                let g = generation as u64;
                let plain = old.open("teams", &id, "record", g, &sealed)?;
                update.execute(params![id, new.seal("teams", &id, "record", g, &plain)])?;
                xor_into(&mut digest, &digests.of(&team_row(&id), g));
                step(&mut done);
            }
            let identity: Option<(i64, Vec<u8>)> = tx
                .query_row(
                    "SELECT generation, secret FROM sharing_identity WHERE singleton = 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(e),
                })?;
            if let Some((generation, sealed)) = identity {
                let g = generation as u64;
                let plain = old.open("sharing_identity", "1", "secret", g, &sealed)?;
                tx.execute(
                    "UPDATE sharing_identity SET secret = ?1 WHERE singleton = 1",
                    [new.seal("sharing_identity", "1", "secret", g, &plain)],
                )?;
                xor_into(&mut digest, &digests.of(IDENTITY_ROW, g));
                step(&mut done);
            }
            let ignores: Option<(i64, Vec<u8>)> = tx
                .query_row(
                    "SELECT generation, record FROM scan_ignores WHERE singleton = 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((generation, sealed)) = ignores {
                let g = generation as u64;
                let plain = old.open("scan_ignores", "1", "record", g, &sealed)?;
                tx.execute(
                    "UPDATE scan_ignores SET record = ?1 WHERE singleton = 1",
                    [new.seal("scan_ignores", "1", "record", g, &plain)],
                )?;
                xor_into(&mut digest, &digests.of(SCAN_IGNORES_ROW, g));
                step(&mut done);
            }
        }
        let mut w = WriteTx {
            tx,
            cells: new,
            state,
            now,
            actor: &self.actor,
        };
        // Key rows: every column sealed again at its generation; the fingerprints (inside the metadata)
        // and the name tag are keyed too, so they are computed again.
        {
            let rows: Vec<KeyRow> =
                w.tx.prepare("SELECT id, generation, meta, secrets, history FROM entries")?
                    .query_map([], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                    })?
                    .collect::<rusqlite::Result<_>>()?;
            w.tx.execute("DELETE FROM secret_fingerprints", [])?;
            for (id, generation, meta, secrets, history) in rows {
                let g = generation as u64;
                let mut entry = old.read_entry(&id, g, &meta)?;
                let secrets = old.open("entries", &id, "secrets", g, &secrets)?;
                let history = old.open("entries", &id, "history", g, &history)?;
                let fields = SecretFields::from_sealed_json(&secrets).ok_or_else(|| {
                    Error::damaged(format!("key record {id} has unreadable secrets"))
                })?;
                entry.fingerprints = w.fingerprints(&fields);
                let meta = pack(&entry)?;
                w.tx.prepare_cached(
                    "UPDATE entries SET meta = ?2, secrets = ?3, history = ?4 WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    w.cells.seal("entries", &id, "meta", g, &meta),
                    w.cells.seal("entries", &id, "secrets", g, &secrets),
                    w.cells.seal("entries", &id, "history", g, &history),
                ])?;
                w.index_entry(&entry)?;
                xor_into(&mut digest, &digests.of(&id, g));
                step(&mut done);
            }
        }
        w.state.entries_digest = digest;
        w.tx.execute(
            "UPDATE header SET kdf_memory_kib = ?1, kdf_iterations = ?2, kdf_parallelism = ?3, salt = ?4, wrapped_key = ?5 WHERE singleton = 1",
            params![kdf.memory_kib, kdf.iterations, kdf.parallelism, salt, wrapped],
        )?;
        w.audit(
            AuditAction::PassphraseChanged,
            None,
            Some(format!(
                "Argon2id {} MiB, {} passes; new vault key, every record sealed again",
                kdf.memory_kib / 1024,
                kdf.iterations
            )),
        )?;
        // The slots of remembered devices wrap the old vault key: they go in the same transaction.
        w.forget_every_device()?;
        // The state is MAC'd under the new keys (`w.cells`), like every cell above.
        let counter = w.commit_state()?;
        progress(total, total);
        Ok(counter)
    }
}
