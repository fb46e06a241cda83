//! Reminders while the vault is locked: only the plaintext ids, due dates and the `reminders_sent` table
//! are read or written, with no passphrase.

use super::file::{not_a_vault, open_connection};
use super::schema::{migrate, schema_version};
use super::{from_ts, parse_entry_id, ts, Vault, MAGIC, SCHEMA_VERSION};
use crate::error::{Error, Result};
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
