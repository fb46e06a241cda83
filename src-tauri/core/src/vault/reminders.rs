//! Reminders while the vault is unlocked: they name the key and its exchange, and each one recorded gets
//! its audit event in the same transaction.

use super::index::row_by_id;
use super::locked::{insert_sent_reminder, read_sent_reminders};
use super::{exchange_of, whole_seconds, Vault};
use crate::audit::AuditAction;
use crate::due::DueKind;
use crate::error::Result;
use crate::key_list::KeyListIndex;
use crate::reminders::{self, KeyReminder, LockedDue, Reminder, ReminderPolicy, Threshold};
use chrono::{DateTime, Utc};
use rusqlite::params;
use std::collections::HashMap;
use uuid::Uuid;

/// What a reminder look reads of one key.
struct DueKey<'a> {
    id: Uuid,
    name: &'a str,
    exchange_name: &'a str,
    due_at: Option<DateTime<Utc>>,
    kind: Option<DueKind>,
    reason: Option<String>,
}

impl Vault {
    /// The reminders to send now, naming each key and its exchange. Show them with
    /// [`reminders::ReminderText::for_key`] and record them with [`Vault::record_reminders_sent`].
    pub fn reminders_to_send(&self, policy: &ReminderPolicy) -> Result<Vec<KeyReminder>> {
        let entries = self.entries()?;
        let keys = entries.iter().map(|(entry, _)| {
            let info = self.due(entry);
            DueKey {
                id: entry.id,
                name: &entry.name,
                exchange_name: exchange_of(entry).name,
                due_at: info.due_at,
                kind: info.kind,
                reason: info.reason,
            }
        });
        self.reminders_among(policy, keys)
    }

    /// [`Vault::reminders_to_send`] from the key list already read at this unlock (its rows carry each
    /// key's due date, kind and reason as read from the sealed records), so a look does not decrypt
    /// every key again.
    pub fn reminders_to_send_from(
        &self,
        policy: &ReminderPolicy,
        list: &KeyListIndex,
    ) -> Result<Vec<KeyReminder>> {
        let keys = list.keys().map(|k| DueKey {
            id: k.id,
            name: &k.name,
            exchange_name: &k.exchange_name,
            due_at: k.due_at,
            kind: k.due_kind,
            reason: k.due_reason.clone(),
        });
        self.reminders_among(policy, keys)
    }

    fn reminders_among<'a>(
        &self,
        policy: &ReminderPolicy,
        keys: impl Iterator<Item = DueKey<'a>>,
    ) -> Result<Vec<KeyReminder>> {
        let now = self.clock.now();
        let mut known: HashMap<Uuid, DueKey<'a>> = HashMap::new();
        let mut due = Vec::new();
        for key in keys {
            if let Some(at) = key.due_at.filter(|_| key.kind.is_some()) {
                // The plaintext column keeps whole seconds; records of reminders sent while locked name
                // that value, so the unlocked side must use it too.
                due.push(LockedDue {
                    id: key.id,
                    due_at: whole_seconds(at),
                });
                known.insert(key.id, key);
            }
        }
        let sent = read_sent_reminders(&self.conn)?;
        Ok(reminders::reminders_due(policy, &due, &sent, now)
            .into_iter()
            .filter_map(|reminder| {
                let key = known.get(&reminder.entry_id)?;
                Some(KeyReminder {
                    reminder,
                    name: key.name.to_string(),
                    exchange_name: key.exchange_name.to_string(),
                    kind: key.kind?,
                    reason: key.reason.clone().unwrap_or_default(),
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
            let mut recorded = Vec::new();
            for r in sent {
                if !insert_sent_reminder(&tx.tx, r, tx.now, tx.actor, true)? {
                    continue;
                }
                // Only the rows reminded of are opened: a look at 100,000 keys with thousands due
                // reads those, not every key once for each reminder.
                let id = r.entry_id.to_string();
                let entry = row_by_id(&tx.tx, &tx.cells, &id)?.map(|(e, _)| e);
                let detail = reminder_detail(&id, r.threshold, r.due_at, entry.is_none(), false);
                tx.audit(AuditAction::ReminderSent, entry.as_ref(), Some(detail))?;
                recorded.push(*r);
            }
            Ok(recorded)
        })
    }

    /// Seals the reminders recorded while locked into the audit chain, at the time they were sent
    /// (bounded, see [`super::locked`]), naming the key only through its sealed record.
    /// [`Vault::unlock`] calls it; returns how many were sealed.
    pub fn seal_locked_reminders(&mut self) -> Result<usize> {
        let any: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM reminders_sent WHERE sealed = 0)",
            [],
            |r| r.get(0),
        )?;
        if !any {
            return Ok(0);
        }
        self.write(|tx| {
            let bounds = tx.locked_time_bounds()?;
            // Read inside the write lock; columns are read loosely, since anyone can write this table.
            let pending: Vec<PendingReminder> = {
                let mut stmt = tx.tx.prepare(
                    "SELECT rowid, entry_id, due_at, threshold, sent_at, actor FROM reminders_sent
                     WHERE sealed = 0 ORDER BY sent_at, due_at, entry_id, threshold DESC",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok(PendingReminder {
                        rowid: r.get(0)?,
                        entry_id: r
                            .get_ref(1)?
                            .as_str()
                            .ok()
                            .and_then(|id| Uuid::parse_str(id).ok()),
                        due_at: r
                            .get_ref(2)?
                            .as_i64()
                            .ok()
                            .and_then(|t| DateTime::from_timestamp(t, 0)),
                        threshold: r.get_ref(3)?.as_i64().ok().and_then(Threshold::from_code),
                        sent_at: r.get_ref(4)?.as_i64().ok(),
                        actor: r.get_ref(5)?.as_str().unwrap_or_default().to_string(),
                    })
                })?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for p in &pending {
                let entry = match p.entry_id {
                    Some(id) => row_by_id(&tx.tx, &tx.cells, &id.to_string())?.map(|(e, _)| e),
                    None => None,
                };
                let entry = entry.as_ref();
                let detail = match (p.entry_id, p.threshold, p.due_at) {
                    (Some(id), Some(threshold), Some(due_at)) => reminder_detail(
                        &id.to_string(),
                        threshold,
                        due_at,
                        entry.is_none(),
                        true,
                    ),
                    _ => "a record of a reminder that cannot be read (its key, threshold or due date is malformed); sent while the vault was locked".to_string(),
                };
                tx.seal_locked_time_record(
                    &bounds,
                    p.sent_at,
                    AuditAction::ReminderSent,
                    entry,
                    detail,
                    &p.actor,
                )?;
                tx.tx.execute(
                    "UPDATE reminders_sent SET sealed = 1 WHERE rowid = ?1",
                    params![p.rowid],
                )?;
            }
            Ok(pending.len())
        })
    }
}

/// A row of `reminders_sent` not yet sealed, as far as it could be read.
struct PendingReminder {
    rowid: i64,
    entry_id: Option<Uuid>,
    due_at: Option<DateTime<Utc>>,
    threshold: Option<Threshold>,
    sent_at: Option<i64>,
    actor: String,
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
