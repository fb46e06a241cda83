//! Reading keys: find by name or id, the list and detail views, due state.

use super::cells::read_entries;
use super::{exchange_of, Vault};
use crate::due::{self, DueInfo};
use crate::error::{Error, Result};
use crate::model::{KeyEntry, KeyStatus};
use crate::{KeyDetail, KeySummary};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

impl Vault {
    /// Every key's metadata with its row generation.
    pub(super) fn entries(&self) -> Result<Vec<(KeyEntry, u64)>> {
        read_entries(&self.conn, &self.cells())
    }

    /// Finds a key by exact name, then by name ignoring case (if that is unambiguous), then by id.
    pub fn find(&self, name: &str) -> Result<KeyEntry> {
        find_in(self.entries()?, name).map(|(e, _)| e)
    }

    /// All keys as the list shows them, sorted by name. Never decrypts a secret.
    pub fn list(&self) -> Result<Vec<KeySummary>> {
        let entries = self.entries()?;
        let now = self.clock.now();
        let mut holders: HashMap<&str, usize> = HashMap::new();
        for (e, _) in &entries {
            if e.status == KeyStatus::Active {
                for fp in &e.fingerprints {
                    *holders.entry(fp.as_str()).or_default() += 1;
                }
            }
        }
        let mut out: Vec<KeySummary> = entries
            .iter()
            .map(|(e, _)| {
                let duplicate = e.status == KeyStatus::Active
                    && e.fingerprints
                        .iter()
                        .any(|fp| holders.get(fp.as_str()).copied().unwrap_or(0) > 1);
                summarize(e, now, duplicate)
            })
            .collect();
        out.sort_by_cached_key(|k| (k.name.to_lowercase(), k.name.clone()));
        Ok(out)
    }

    /// One key's list view (due state and risk flags), looked up by name.
    pub fn summary(&self, name: &str) -> Result<KeySummary> {
        let key = self.find(name)?;
        Ok(self
            .list()?
            .into_iter()
            .find(|s| s.id == key.id)
            .unwrap_or_else(|| summarize(&key, self.clock.now(), false)))
    }

    /// One key's detail view, looked up by name or id.
    pub fn detail(&self, name: &str) -> Result<KeyDetail> {
        let entry = self.find(name)?;
        let summary = self.summary(&entry.id.to_string())?;
        Ok(KeyDetail::new(
            &entry,
            summary,
            exchange_of(&entry).api_key_page,
        ))
    }

    /// The due state of one key now.
    pub fn due(&self, entry: &KeyEntry) -> DueInfo {
        due::due_info(entry, exchange_of(entry), self.clock.now())
    }

    /// Active keys due within `window` from now (overdue and expired ones included), most urgent first.
    pub fn due_within(&self, window: chrono::Duration) -> Result<Vec<KeySummary>> {
        let now = self.clock.now();
        let mut keys: Vec<KeySummary> = self
            .list()?
            .into_iter()
            .filter(|k| {
                k.status == KeyStatus::Active && k.due_at.is_some_and(|at| at - now <= window)
            })
            .collect();
        keys.sort_by(|a, b| a.due_at.cmp(&b.due_at).then_with(|| a.name.cmp(&b.name)));
        Ok(keys)
    }
}

/// The list view of one entry.
pub(super) fn summarize(e: &KeyEntry, now: DateTime<Utc>, duplicate: bool) -> KeySummary {
    let exchange = exchange_of(e);
    let due = due::due_info(e, exchange, now);
    let flags = due::risk_flags(e, now, duplicate);
    KeySummary::new(e, exchange.name, due, flags)
}

pub(super) fn find_in(entries: Vec<(KeyEntry, u64)>, name: &str) -> Result<(KeyEntry, u64)> {
    let wanted = name.trim();
    if let Some(i) = entries.iter().position(|(e, _)| e.name == wanted) {
        return Ok(entries.into_iter().nth(i).expect("index from position"));
    }
    let folded: Vec<usize> = entries
        .iter()
        .enumerate()
        .filter(|(_, (e, _))| e.name.eq_ignore_ascii_case(wanted))
        .map(|(i, _)| i)
        .collect();
    if let [i] = folded[..] {
        return Ok(entries.into_iter().nth(i).expect("index from filter"));
    }
    if let Some(i) = entries.iter().position(|(e, _)| e.id.to_string() == wanted) {
        return Ok(entries.into_iter().nth(i).expect("index from position"));
    }
    Err(Error::KeyNotFound {
        name: wanted.to_string(),
    })
}
