//! Reminders while the vault is unlocked: they name the key and its exchange, and each one recorded gets
//! its audit event in the same transaction.

use super::cells::read_entries;
use super::locked::{insert_sent_reminder, read_sent_reminders};
use super::{exchange_of, from_ts, whole_seconds, Vault};
use crate::audit::AuditAction;
use crate::due::DueInfo;
use crate::error::{Error, Result};
use crate::model::KeyEntry;
use crate::reminders::{self, KeyReminder, LockedDue, Reminder, ReminderPolicy, Threshold};
use chrono::{DateTime, Utc};
use rusqlite::params;
use std::collections::HashMap;
use uuid::Uuid;

impl Vault {
    /// The reminders to send now, naming each key and its exchange. Show them with
    /// [`reminders::ReminderText::for_key`] and record them with [`Vault::record_reminders_sent`].
    pub fn reminders_to_send(&self, policy: &ReminderPolicy) -> Result<Vec<KeyReminder>> {
        let now = self.clock.now();
        let mut known: HashMap<Uuid, (KeyEntry, DueInfo)> = HashMap::new();
        let mut due = Vec::new();
        for (entry, _) in self.entries()? {
            let info = self.due(&entry);
            if let Some(at) = info.due_at.filter(|_| info.kind.is_some()) {
                // The plaintext column keeps whole seconds; records of reminders sent while locked name
                // that value, so the unlocked side must use it too.
                due.push(LockedDue {
                    id: entry.id,
                    due_at: whole_seconds(at),
                });
                known.insert(entry.id, (entry, info));
            }
        }
        let sent = read_sent_reminders(&self.conn)?;
        Ok(reminders::reminders_due(policy, &due, &sent, now)
            .into_iter()
            .filter_map(|reminder| {
                let (entry, info) = known.get(&reminder.entry_id)?;
                Some(KeyReminder {
                    reminder,
                    name: entry.name.clone(),
                    exchange_name: exchange_of(entry).name.to_string(),
                    kind: info.kind?,
                    reason: info.reason.clone().unwrap_or_default(),
                })
            })
            .collect())
    }

    /// Records reminders sent while unlocked, each with its `reminder_sent` audit event in the same
    /// transaction. Returns the ones newly recorded: notify for those only.
    pub fn record_reminders_sent(&mut self, sent: &[Reminder]) -> Result<Vec<Reminder>> {
        if sent.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|tx| {
            let entries = read_entries(&tx.tx, &tx.cells)?;
            let mut recorded = Vec::new();
            for r in sent {
                if !insert_sent_reminder(&tx.tx, r, tx.now, tx.actor, true)? {
                    continue;
                }
                let entry = entries.iter().map(|(e, _)| e).find(|e| e.id == r.entry_id);
                let detail = reminder_detail(
                    &r.entry_id.to_string(),
                    r.threshold,
                    r.due_at,
                    entry.is_none(),
                    false,
                );
                tx.audit(AuditAction::ReminderSent, entry, Some(detail))?;
                recorded.push(*r);
            }
            Ok(recorded)
        })
    }

    /// Seals the reminders recorded while locked into the audit chain, at the time they were sent.
    /// [`Vault::unlock`] calls it; returns how many were sealed.
    pub fn seal_locked_reminders(&mut self) -> Result<usize> {
        let pending: Vec<(String, i64, i64, i64, String)> = {
            let mut stmt = self.conn.prepare(
                "SELECT entry_id, due_at, threshold, sent_at, actor FROM reminders_sent
                 WHERE sealed = 0 ORDER BY sent_at, due_at, entry_id, threshold DESC",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if pending.is_empty() {
            return Ok(0);
        }
        self.write(|tx| {
            let entries = read_entries(&tx.tx, &tx.cells)?;
            for (id, due_at, code, sent_at, actor) in &pending {
                let threshold = Threshold::from_code(*code).ok_or_else(|| {
                    Error::damaged(format!("a reminder record holds threshold {code}"))
                })?;
                let entry = entries
                    .iter()
                    .map(|(e, _)| e)
                    .find(|e| e.id.to_string() == *id);
                let detail = reminder_detail(
                    id,
                    threshold,
                    from_ts(*due_at),
                    entry.is_none(),
                    true,
                );
                tx.audit_at(
                    from_ts(*sent_at),
                    AuditAction::ReminderSent,
                    entry,
                    Some(detail),
                    actor,
                )?;
                tx.tx.execute(
                    "UPDATE reminders_sent SET sealed = 1 WHERE entry_id = ?1 AND due_at = ?2 AND threshold = ?3",
                    params![id, due_at, code],
                )?;
            }
            Ok(pending.len())
        })
    }
}

/// The audit detail of a reminder: which threshold, for which due date. Names no secret.
pub(super) fn reminder_detail(
    id: &str,
    threshold: Threshold,
    due_at: DateTime<Utc>,
    unknown_key: bool,
    while_locked: bool,
) -> String {
    let mut detail = if unknown_key {
        format!("key {id}: ")
    } else {
        String::new()
    };
    detail += &format!("{threshold}, due {} UTC", due_at.format("%Y-%m-%d %H:%M"));
    if while_locked {
        detail += "; sent while the vault was locked";
    }
    detail
}
