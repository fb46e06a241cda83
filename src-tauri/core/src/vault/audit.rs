//! The vault's audit side: events that change no key (lock, unlock, incident steps), the timeline, the
//! chain check and the structural integrity checks.

use super::cells::{contact_row, team_row, xor_into, IDENTITY_ROW, SCAN_IGNORES_ROW};
use super::index::find_row;
use super::Vault;
use crate::audit::{self, AuditAction, AuditRecord, AuditReport};
use crate::crypto::{self, MAC_LEN};
use crate::error::{Error, Result};
use crate::parse;
use crate::validate::MAX_SHORT_TEXT_CHARS;
use rusqlite::OptionalExtension;

impl Vault {
    /// Records a step of a compromised key's incident checklist.
    pub fn record_incident_step(&mut self, name: &str, step: &str, done: bool) -> Result<()> {
        let step = parse::text("incident step", step, MAX_SHORT_TEXT_CHARS)?;
        self.write(|tx| {
            let (entry, _) = find_row(&tx.tx, &tx.cells, name)?;
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
            let event = cells.read_event(seq, &sealed)?;
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
        let digests = cells.row_digests();
        let state = self.read_state()?;
        let mut problems = Vec::new();
        let mut digest = [0u8; MAC_LEN];
        {
            let mut stmt = self.conn.prepare("SELECT id, generation FROM entries")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let id = row
                    .get_ref(0)?
                    .as_str()
                    .map_err(|_| Error::damaged("a key row's id is not text"))?;
                let generation: i64 = row.get(1)?;
                xor_into(&mut digest, &digests.of(id, generation as u64));
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
            let mut stmt = self.conn.prepare("SELECT id, generation FROM teams")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            for row in rows {
                let (id, generation) = row?;
                xor_into(
                    &mut digest,
                    &cells.row_digest(&team_row(&id), generation as u64),
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
            let ignores: Option<i64> = self
                .conn
                .query_row("SELECT generation FROM scan_ignores", [], |r| r.get(0))
                .optional()?;
            if let Some(generation) = ignores {
                xor_into(
                    &mut digest,
                    &cells.row_digest(SCAN_IGNORES_ROW, generation as u64),
                );
            }
        }
        if !crypto::mac_eq(&digest, &state.entries_digest) {
            problems.push(
                "the set of key, contact, team and ignored-finding records does not match the vault's record of them: a key or contact was deleted, added or rolled back outside Keystead"
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
                "the audit log ends at #{seq} but the vault recorded #{}: entries were removed or the log was rolled back",
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
