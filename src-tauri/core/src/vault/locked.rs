//! What happens while the vault is locked: reminders (only the plaintext ids, due dates and the
//! `reminders_sent` table are read or written, with no passphrase), failed unlocks noted, and the rule
//! for sealing those locked-time records into the audit chain at the next unlock.
//!
//! Anyone who can write the file can write these tables, so what is sealed from them is rebuilt: the
//! action and detail come from Keystead's own words, the program from a fixed set ([`locked_time_actor`]),
//! the time is bounded between the last event sealed with the key and now (a time out of range is moved
//! to the bound and says so), and the event is marked `recorded_while_locked`. Deleting rows is noticed
//! when the count of failed unlocks written beside them no longer matches; someone who lowers the count
//! too, or replaces the whole file, is not (the rollback anchor is the defence against the latter).

use super::file::{not_a_vault, open_connection};
use super::schema::{migrate, schema_version};
use super::write::WriteTx;
use super::{from_ts, parse_entry_id, ts, Vault, MAGIC, SCHEMA_VERSION};
use crate::audit::{locked_time_actor, AuditAction, AuditEvent};
use crate::error::{Error, Result};
use crate::model::KeyEntry;
use crate::reminders::{self, LockedDue, Reminder, ReminderPolicy, SentReminder, Threshold};
use chrono::{DateTime, Utc};
use rusqlite::{
    params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};
use std::path::Path;

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
}

/// Opens a vault file without its passphrase, for the plaintext reminder columns only. `write` opens it
/// read-write and migrates an older schema; otherwise the open is read-only.
pub(super) fn open_locked(path: &Path, write: bool) -> Result<Connection> {
    if !path.is_file() {
        return Err(Error::NoVault {
            path: path.to_path_buf(),
        });
    }
    let conn = if write {
        open_connection(path)?
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

pub(super) fn read_due_dates(conn: &Connection) -> Result<Vec<LockedDue>> {
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

pub(super) fn read_sent_reminders(conn: &Connection) -> Result<Vec<SentReminder>> {
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

/// Inserts one sent reminder; `false` when it was recorded already.
pub(super) fn insert_sent_reminder(
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

/// Notes a wrong passphrase in the file (there is no key to seal it with yet): a row in
/// `unlock_failures` and one more in the count beside it, in one transaction.
pub(super) fn note_failed_unlock(conn: &Connection, at: DateTime<Utc>, actor: &str) -> Result<()> {
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO unlock_failures (at, actor) VALUES (?1, ?2)",
        params![ts(at), actor],
    )?;
    // A file of schema 4 has no count yet; its migration counts the rows it finds.
    if has_table(&tx, "unlock_failure_count")? {
        tx.execute(
            "INSERT INTO unlock_failure_count VALUES (1, 1)
             ON CONFLICT(singleton) DO UPDATE SET pending = pending + 1",
            [],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn has_table(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        [name],
        |r| r.get(0),
    )?)
}

/// Whether there is anything about failed unlocks to seal or to report (a cheap check before a write).
pub(super) fn has_failed_unlocks(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM unlock_failures)
             OR coalesce((SELECT pending FROM unlock_failure_count), 0) IS NOT 0",
        [],
        |r| r.get(0),
    )?)
}

/// The failed unlocks noted: row id, time (None if the column holds no integer) and program, oldest first.
pub(super) fn read_failed_unlocks(conn: &Connection) -> Result<Vec<(i64, Option<i64>, String)>> {
    let mut stmt = conn.prepare("SELECT id, at, actor FROM unlock_failures ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get_ref(1)?.as_i64().ok(),
            r.get_ref(2)?.as_str().unwrap_or_default().to_string(),
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many failed unlocks the count beside the rows says were noted (0 if it is missing or not a number).
pub(super) fn failed_unlock_count(conn: &Connection) -> Result<u64> {
    let pending: Option<i64> = conn
        .query_row(
            "SELECT pending FROM unlock_failure_count WHERE singleton = 1",
            [],
            |r| Ok(r.get_ref(0)?.as_i64().ok()),
        )
        .optional()?
        .flatten();
    Ok(pending.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
}

/// What to report when the count of failed unlocks noted and the rows found differ.
pub(super) fn failure_count_mismatch(noted: u64, found: u64) -> Option<String> {
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    if noted > found {
        let n = noted - found;
        Some(format!(
            "{n} failed unlock{} noted while the vault was locked {} missing: {} deleted from the vault file outside Keystead",
            plural(n),
            if n == 1 { "is" } else { "are" },
            if n == 1 { "its record was" } else { "their records were" },
        ))
    } else if found > noted {
        let n = found - noted;
        Some(format!(
            "{n} record{} of failed unlocks {} added to the vault file outside Keystead",
            plural(n),
            if n == 1 { "was" } else { "were" },
        ))
    } else {
        None
    }
}

/// The range a locked-time record's time must lie in: not before the last event sealed with the key,
/// not after this unlock.
pub(super) struct LockedTimeBounds {
    pub(super) floor: DateTime<Utc>,
    pub(super) now: DateTime<Utc>,
}

/// How far back to look for the last event sealed with the key, past records sealed from locked-time
/// tables (a vault unlocked only to read keeps adding those and nothing else).
const FLOOR_LOOKBACK: i64 = 1000;

impl LockedTimeBounds {
    /// The time to seal a record at, and what to add to its detail when the stored time was out of range.
    /// Stored times are whole seconds, so the floor is compared at whole seconds too.
    pub(super) fn place(&self, stored: Option<i64>) -> (DateTime<Utc>, Option<String>) {
        let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
        match stored.and_then(|s| DateTime::from_timestamp(s, 0)) {
            None => (
                self.floor,
                Some("; its recorded time is unreadable, so it is shown at the earliest time it can have happened".into()),
            ),
            Some(t) if ts(t) < ts(self.floor) => (
                self.floor,
                Some(format!(
                    "; recorded as {} UTC, before the last event sealed with the key, so shown at that event's time",
                    fmt(t)
                )),
            ),
            Some(t) if t > self.now => (
                self.now,
                Some(format!(
                    "; recorded as {} UTC, later than this unlock, so shown at the time of this unlock",
                    fmt(t)
                )),
            ),
            Some(t) => (t, None),
        }
    }
}

impl WriteTx<'_> {
    /// The bounds for the records sealed in this transaction: the floor is the time of the newest event
    /// sealed with the key (not itself a locked-time record), within the last [`FLOOR_LOOKBACK`] events.
    pub(super) fn locked_time_bounds(&self) -> Result<LockedTimeBounds> {
        let mut floor = None;
        {
            let mut stmt = self
                .tx
                .prepare("SELECT seq, event FROM audit ORDER BY seq DESC LIMIT ?1")?;
            let mut rows = stmt.query([FLOOR_LOOKBACK])?;
            while let Some(row) = rows.next()? {
                let seq: i64 = row.get(0)?;
                let sealed: Vec<u8> = row.get(1)?;
                let event = self.cells.read_event(seq as u64, &sealed)?;
                // With only locked-time records in reach, the oldest of them still bounds the time.
                floor = Some(event.at);
                if !event.recorded_while_locked {
                    break;
                }
            }
        }
        let floor = floor.unwrap_or_default().min(self.now);
        Ok(LockedTimeBounds {
            floor,
            now: self.now,
        })
    }

    /// Seals a record read from a locked-time table: `detail` is Keystead's own text, the stored time is
    /// bounded, the stored program is replaced by one of a fixed set, and the event is marked.
    pub(super) fn seal_locked_time_record(
        &mut self,
        bounds: &LockedTimeBounds,
        stored_at: Option<i64>,
        action: AuditAction,
        key: Option<&KeyEntry>,
        mut detail: String,
        stored_actor: &str,
    ) -> Result<()> {
        let (at, note) = bounds.place(stored_at);
        detail.extend(note);
        self.append(&AuditEvent {
            at,
            action,
            key_id: key.map(|k| k.id),
            key_name: key.map(|k| k.name.clone()),
            detail: Some(detail),
            actor: locked_time_actor(stored_actor).to_string(),
            recorded_while_locked: true,
        })
    }
}
