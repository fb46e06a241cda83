//! Reading keys: find by name or id, the list and detail views, due state.

use super::cells::read_entries;
use super::index::{active_keys_holding, duplicate_secret, find_row, row_by_id};
use super::{exchange_of, Vault};
use crate::due::{self, DueInfo};
use crate::error::{Error, Result};
use crate::model::{KeyEntry, KeyStatus};
use crate::secret::{CredentialField, SecretFields};
use crate::view::{KeyDetail, KeySummary};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

impl Vault {
    /// Every key's metadata with its row generation.
    pub(super) fn entries(&self) -> Result<Vec<(KeyEntry, u64)>> {
        read_entries(&self.conn, &self.cells())
    }

    /// Finds a key by exact name, then by name ignoring case (if that is unambiguous), then by id.
    /// Opens only the rows the name index or the id points at.
    pub fn find(&self, name: &str) -> Result<KeyEntry> {
        find_row(&self.conn, &self.cells(), name).map(|(e, _)| e)
    }

    /// The names of the active keys that already hold the API key of `secrets` (for a key without an
    /// API key field, its private key), sorted: what adding these secrets would store twice. Reads the
    /// fingerprint index and the rows it names, never another key's secrets.
    pub fn keys_holding_api_key(&self, secrets: &SecretFields) -> Result<Vec<String>> {
        let cells = self.cells();
        let Some(value) = secrets
            .get(CredentialField::ApiKey)
            .or_else(|| secrets.get(CredentialField::PrivateKey))
        else {
            return Ok(Vec::new());
        };
        let fp = cells.fingerprint(secrecy::ExposeSecret::expose_secret(value));
        let mut names: Vec<String> = active_keys_holding(&self.conn, &cells, &fp)?
            .into_iter()
            .map(|e| e.name)
            .collect();
        names.sort_by_cached_key(|n| (n.to_lowercase(), n.clone()));
        Ok(names)
    }

    /// A mark that moves with every write to the file since it was opened: the rows this vault wrote
    /// (keys, audit events, anything) and the commits of other connections (the CLI, another window)
    /// seen since, as SQLite's `data_version` counts them. A list read at one mark is current while the
    /// mark stays the same.
    pub fn changes(&self) -> u64 {
        // data_version moves only when another connection committed; 0 when it cannot be read, so a
        // failure here never hides this vault's own writes.
        let others: u64 = self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0))
            .map_or(0, |v| v as u64);
        (others << 32) ^ self.conn.total_changes()
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
        let duplicates: Vec<bool> = entries
            .iter()
            .map(|(e, _)| {
                e.status == KeyStatus::Active
                    && e.fingerprints
                        .iter()
                        .any(|fp| holders.get(fp.as_str()).copied().unwrap_or(0) > 1)
            })
            .collect();
        drop(holders);
        let teams = super::team::team_of_keys(&self.conn, &self.cells())?;
        let mut out: Vec<KeySummary> = entries
            .into_iter()
            .zip(duplicates)
            .map(|((e, _), duplicate)| {
                let team = teams.get(&e.id).cloned();
                let exchange = exchange_of(&e);
                let due = due::due_info(&e, exchange, now);
                let flags = due::risk_flags(&e, now, duplicate);
                let mut row = KeySummary::from_entry(e, exchange.name, due, flags);
                row.team = team;
                row
            })
            .collect();
        out.sort_by_cached_key(|k| (k.name.to_lowercase(), k.name.clone()));
        Ok(out)
    }

    /// The names of the active keys a bot uses (its `used_by` entries, any host), sorted: what "Deploy
    /// to a server" puts in the server's share file. An error names the bots there are when none uses
    /// it.
    pub fn keys_used_by(&self, bot: &str) -> Result<Vec<String>> {
        let bot = bot.trim();
        let keys = self.list()?;
        let names: Vec<String> = keys
            .iter()
            .filter(|k| k.status == KeyStatus::Active && k.used_by.iter().any(|u| u.bot == bot))
            .map(|k| k.name.clone())
            .collect();
        if names.is_empty() {
            let mut bots: Vec<&str> = keys
                .iter()
                .filter(|k| k.status == KeyStatus::Active)
                .flat_map(|k| k.used_by.iter().map(|u| u.bot.as_str()))
                .collect();
            bots.sort_unstable();
            bots.dedup();
            return Err(Error::input(match bots.as_slice() {
                [] => format!(
                    "no active key records bot '{}': record the bots that use each key first (used by)",
                    bot.escape_debug()
                ),
                some => format!(
                    "no active key records bot '{}'; the bots recorded are: {}",
                    bot.escape_debug(),
                    some.join(", ")
                ),
            }));
        }
        Ok(names)
    }

    /// The list rows a write to keys `ids` leaves changed: each key's own row and the rows of the active
    /// keys that hold one of its secrets now (their "same secret stored twice" flag follows it). Reads
    /// those rows only, never every key; a key no longer in the vault has no row. A key that shared a
    /// secret before the write and no longer holds it (rotated, say) leaves the keys it shared with
    /// unnamed here: the caller reads the whole list again then.
    pub fn rows_touched_by(&self, ids: &[Uuid]) -> Result<Vec<KeySummary>> {
        let cells = self.cells();
        let now = self.clock.now();
        let teams = super::team::team_of_keys(&self.conn, &cells)?;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for id in ids {
            let Some((entry, _)) = row_by_id(&self.conn, &cells, &id.to_string())? else {
                continue;
            };
            let own: HashSet<&String> = entry.fingerprints.iter().collect();
            let mut touched = Vec::new();
            for fp in own {
                touched.extend(active_keys_holding(&self.conn, &cells, fp)?);
            }
            touched.push(entry);
            for e in touched {
                if seen.insert(e.id) {
                    let (duplicate, _) = duplicate_secret(&self.conn, &cells, &e)?;
                    let mut row = summarize(&e, now, duplicate);
                    row.team = teams.get(&e.id).cloned();
                    out.push(row);
                }
            }
        }
        Ok(out)
    }

    /// One key's list view (due state and risk flags), looked up by name or id.
    pub fn summary(&self, name: &str) -> Result<KeySummary> {
        self.summary_of(&self.find(name)?)
    }

    /// One key's detail view, looked up by name or id.
    pub fn detail(&self, name: &str) -> Result<KeyDetail> {
        self.detail_of(&self.find(name)?)
    }

    /// The list view of a key already in hand (e.g. returned by a write), without looking it up again.
    /// The "same secret stored twice" flag comes from the fingerprint index.
    pub fn summary_of(&self, entry: &KeyEntry) -> Result<KeySummary> {
        let (duplicate, _) = duplicate_secret(&self.conn, &self.cells(), entry)?;
        let mut row = summarize(entry, self.clock.now(), duplicate);
        row.team = super::team::team_of_keys(&self.conn, &self.cells())?.remove(&entry.id);
        Ok(row)
    }

    /// The detail view of a key already in hand: what the app shows after add, edit, rotate or revoke,
    /// from the entry the write returned.
    pub fn detail_of(&self, entry: &KeyEntry) -> Result<KeyDetail> {
        let (duplicate, others) = duplicate_secret(&self.conn, &self.cells(), entry)?;
        let mut row = summarize(entry, self.clock.now(), duplicate);
        row.team = super::team::team_of_keys(&self.conn, &self.cells())?.remove(&entry.id);
        let mut detail = KeyDetail::new(entry, row, exchange_of(entry).api_key_page);
        detail.same_secret_as = others;
        Ok(detail)
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
