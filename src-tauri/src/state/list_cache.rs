//! The key table's rows in the app: the index built from the unlocked vault at its first query, kept
//! current by the writes that say which keys they touched, read again after any other write (this
//! process's or another's) or when old, and dropped on lock.

use super::AppState;
use crate::error::AppResult;
use crate::mutex::lock;
use keystead_core::due::RiskFlag;
use keystead_core::key_list::KeyListIndex;
use keystead_core::Vault;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::MutexGuard;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The key list's index and the vault's write mark it was built at.
pub(super) struct KeyListCache {
    pub(super) index: KeyListIndex,
    pub(super) changes: u64,
    built: Instant,
}

/// Due states move with time, not only with writes: an index older than this is built again.
const KEY_LIST_MAX_AGE: Duration = Duration::from_secs(600);
/// A write to more keys than this reads the whole list again: one row lookup per key costs more than
/// that read beyond a few thousand keys.
const PUT_AT_MOST: usize = 1_000;

impl AppState {
    /// Runs `f` on the key list's index, first built again from the vault when the vault wrote
    /// anything since (a change, an import, a sync, a use, a scheduled check), or when it is old.
    pub fn with_key_list<T>(&self, f: impl FnOnce(&mut KeyListIndex) -> T) -> AppResult<T> {
        self.with_vault(|v| {
            let mut list = self.current_key_list(v)?;
            let cache = list.as_mut().expect("made current");
            Ok(f(&mut cache.index))
        })
    }

    /// The key list's cache, built again first when `v` wrote anything since or it is old. Called with
    /// the vault's lock held (the lock order is the vault, then the key list).
    pub(super) fn current_key_list(
        &self,
        v: &Vault,
    ) -> AppResult<MutexGuard<'_, Option<KeyListCache>>> {
        let mut list = lock(&self.key_list);
        let current = list
            .as_ref()
            .is_some_and(|c| c.changes == v.changes() && c.built.elapsed() < KEY_LIST_MAX_AGE);
        if !current {
            *list = None;
            let index = KeyListIndex::new(v.list()?);
            // Counted after the list: a read that wrote (a pending reindex) is not a change.
            *list = Some(KeyListCache {
                index,
                changes: v.changes(),
                built: Instant::now(),
            });
        }
        Ok(list)
    }

    /// Runs `f`, a write that changes key `id`'s own row and no other (a reveal or copy moves its
    /// "last used"): a current key list takes that one row instead of being built again.
    pub fn change_one_row<T>(
        &self,
        id: &str,
        f: impl FnOnce(&mut Vault) -> AppResult<T>,
    ) -> AppResult<T> {
        let id = Uuid::parse_str(id).ok();
        self.with_vault(|v| {
            let before = v.changes();
            let out = f(v)?;
            self.key_list_after_write(v, before, &Vec::from_iter(id));
            Ok(out)
        })
    }

    /// [`Self::change_keys`] for a write to the keys whose ids `f` answers beside its result (an add, a
    /// rotation, a revocation, an edit, a bulk edit): a current key list takes those keys' fresh rows,
    /// and those of the keys sharing a secret with them, instead of reading every key again.
    pub fn change_key_rows<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> AppResult<(T, Vec<Uuid>)>,
    ) -> AppResult<T> {
        let out = self.with_vault(|v| {
            let before = v.changes();
            let (out, ids) = f(v)?;
            self.key_list_after_write(v, before, &ids);
            Ok(out)
        });
        self.reminders.wake();
        self.key_changes.fetch_add(1, Ordering::SeqCst);
        out
    }

    /// Brings the key list up to date after a write to keys `ids`, which the vault counted from
    /// `before`: their rows are put in place when the list was current before the write; otherwise,
    /// or when a key shared a secret before (the keys it shared with may have changed too), or when a
    /// row cannot be read, the list is dropped and the next query builds it again.
    fn key_list_after_write(&self, v: &Vault, before: u64, ids: &[Uuid]) {
        let mut list = lock(&self.key_list);
        let Some(cache) = list
            .as_mut()
            .filter(|c| c.changes == before && !ids.is_empty() && ids.len() <= PUT_AT_MOST)
        else {
            *list = None;
            return;
        };
        let shared_before = ids.iter().any(|id| {
            cache
                .index
                .get(id)
                .is_some_and(|k| k.risk_flags.contains(&RiskFlag::DuplicateSecret))
        });
        if shared_before {
            *list = None;
            return;
        }
        match v.rows_touched_by(ids) {
            Ok(rows) => {
                let found: HashSet<Uuid> = rows.iter().map(|r| r.id).collect();
                if ids.iter().all(|id| found.contains(id)) {
                    cache.index.put(rows);
                    cache.changes = v.changes();
                } else {
                    *list = None;
                }
            }
            Err(_) => *list = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use keystead_core::vault::OpenOptions;
    use keystead_core::{CredentialField, KdfParams, NewKey, SecretFields, SystemClock};
    use secrecy::SecretString;
    use std::path::Path;
    use std::sync::Arc;

    const PASSPHRASE: &str = "correct horse battery staple";

    fn options() -> OpenOptions {
        OpenOptions::new(Arc::new(SystemClock), "app")
    }

    /// An app state with a new, unlocked vault file in `dir` (`vault.db`).
    fn unlocked(dir: &Path) -> AppState {
        let path = dir.join("vault.db");
        let vault = Vault::create(
            &path,
            &SecretString::from(PASSPHRASE),
            KdfParams::FLOOR,
            options(),
        )
        .unwrap();
        let state = AppState::new(path, dir.join("settings.json"));
        state.install_vault(vault);
        state
    }

    /// An API key and a secret derived from `api`.
    fn secrets(api: &str) -> SecretFields {
        let mut s = SecretFields::new();
        s.insert(CredentialField::ApiKey, SecretString::from(api.to_string()));
        s.insert(
            CredentialField::Secret,
            SecretString::from(format!("{api}-secret")),
        );
        s
    }

    /// The key table's index follows every write: a rename through `change_key_rows` and a use through
    /// `change_one_row` (their own rows only), a write it was not told about (the vault counts writes);
    /// and lock forgets it.
    #[test]
    fn the_key_list_follows_each_write_and_goes_with_the_lock() {
        use keystead_core::key_list::{ListQuery, ListRow};
        use keystead_core::KeyEdit;
        let dir = tempfile::tempdir().unwrap();
        let state = unlocked(dir.path());
        for name in ["alpha", "beta"] {
            let new = NewKey {
                name: name.into(),
                exchange: "binance".into(),
                scopes: vec!["read".into()],
                ..NewKey::default()
            };
            let secrets = secrets(&format!("{name}-api-key-value"));
            state.with_vault(|v| Ok(v.add(new, secrets)?)).unwrap();
        }
        let rows = |state: &AppState| -> Vec<(String, bool)> {
            let page = state
                .with_key_list(|l| l.page(&ListQuery::default(), 0, 10))
                .unwrap();
            page.rows
                .into_iter()
                .filter_map(|r| match r {
                    ListRow::Key { key, .. } => Some((key.name, key.last_used_at.is_some())),
                    ListRow::Group { .. } => None,
                })
                .collect()
        };
        let names = |state: &AppState| rows(state).into_iter().map(|r| r.0).collect::<Vec<_>>();
        assert_eq!(names(&state), ["alpha", "beta"]);
        let alpha = state
            .with_vault(|v| Ok(v.find("alpha")?.id))
            .unwrap()
            .to_string();
        let alpha = Uuid::parse_str(&alpha).unwrap();
        state
            .change_key_rows(|v| {
                let edit = KeyEdit {
                    name: Some("gamma".into()),
                    ..KeyEdit::default()
                };
                Ok((v.edit("alpha", edit, None)?, vec![alpha]))
            })
            .unwrap();
        assert_eq!(names(&state), ["beta", "gamma"]);
        let id = state
            .with_vault(|v| Ok(v.find("beta")?.id))
            .unwrap()
            .to_string();
        state
            .change_one_row(&id, |v| {
                Ok(v.reveal("beta", CredentialField::ApiKey, None, None)?)
            })
            .unwrap();
        assert_eq!(
            rows(&state)[0],
            ("beta".to_string(), true),
            "the use is in its row"
        );
        // A write the list was not told about: the vault's count of writes moved, so it is read again.
        state.with_vault(|v| Ok(v.revoke("gamma", None)?)).unwrap();
        let status = state
            .with_key_list(|l| l.find_name("gamma").map(|k| k.status))
            .unwrap();
        assert_eq!(status, Some(keystead_core::KeyStatus::Revoked));
        assert!(state.lock("test"));
        assert!(state.with_key_list(|l| l.len()).is_err(), "locked: no list");
    }

    /// A write through `change_key_rows` puts the rows it touched in place (the list is not read again),
    /// and the list then answers exactly what a list read afresh answers: a new key holding another's
    /// secret flags both, a bulk edit, a rotation; revoking a key that shared a secret clears the
    /// other's flag (read again: which keys shared its secret is not known after the write).
    #[test]
    fn writes_put_their_rows_in_the_key_list_as_a_fresh_read_would() {
        use keystead_core::key_list::ListQuery;
        use keystead_core::BulkEdit;
        let dir = tempfile::tempdir().unwrap();
        let state = unlocked(dir.path());
        let new = |name: &str| NewKey {
            name: name.into(),
            exchange: "binance".into(),
            scopes: vec!["read".into()],
            tags: vec!["bot".into()],
            ..NewKey::default()
        };
        let add = |name: &str, api: &str| {
            state
                .change_key_rows(|v| {
                    let e = v.add(new(name), secrets(api))?;
                    Ok((e.id, vec![e.id]))
                })
                .unwrap()
        };
        let built = |state: &AppState| lock(&state.key_list).as_ref().map(|c| c.built);
        let same_as_fresh = |state: &AppState, step: &str| {
            let query = ListQuery::default();
            let kept = state.with_key_list(|l| l.page(&query, 0, 100)).unwrap();
            let fresh = state
                .with_vault(|v| Ok(KeyListIndex::new(v.list()?).page(&query, 0, 100)))
                .unwrap();
            assert_eq!(
                serde_json::to_value(&kept).unwrap(),
                serde_json::to_value(&fresh).unwrap(),
                "{step}: the kept list answers what a fresh read answers"
            );
        };
        add("beta", "beta-api-key-value");
        same_as_fresh(&state, "first key");
        let first = built(&state);
        let alpha = add("alpha", "beta-api-key-value");
        same_as_fresh(&state, "a key holding another's secret");
        let flagged = state
            .with_key_list(|l| {
                l.keys()
                    .filter(|k| k.risk_flags.contains(&RiskFlag::DuplicateSecret))
                    .count()
            })
            .unwrap();
        assert_eq!(flagged, 2, "both keys holding the secret are flagged");
        assert_eq!(built(&state), first, "the add put its rows in place");
        let delta = add("delta", "delta-api-key-value");
        let epsilon = add("epsilon", "epsilon-api-key-value");
        state
            .change_key_rows(|v| {
                let changed = v.bulk_edit(
                    &[delta.to_string(), epsilon.to_string()],
                    &BulkEdit::AddTag("desk".into()),
                    None,
                )?;
                Ok(((), changed.iter().map(|e| e.id).collect()))
            })
            .unwrap();
        same_as_fresh(&state, "a bulk edit");
        assert_eq!(built(&state), first, "the bulk edit put its rows in place");
        // Revoking alpha, which shared beta's secret: read again (beta's flag goes).
        state
            .change_key_rows(|v| {
                let e = v.revoke(&alpha.to_string(), None)?;
                Ok(((), vec![e.id]))
            })
            .unwrap();
        same_as_fresh(&state, "revoking a key that shared a secret");
        let rebuilt = built(&state);
        assert_ne!(rebuilt, first, "a key that shared a secret: read again");
        state
            .change_key_rows(|v| {
                let e = v.rotate(&delta.to_string(), secrets("delta-rotated"), None)?;
                Ok(((), vec![e.id]))
            })
            .unwrap();
        same_as_fresh(&state, "a rotation");
        assert_eq!(built(&state), rebuilt, "the rotation put its row in place");
    }

    /// The reminder look reads due dates from the key list: a key added while unlocked is reminded of at
    /// the next look, and so is one another process (the CLI) wrote to the file meanwhile.
    #[test]
    fn an_unlocked_look_reminds_of_keys_added_here_and_by_another_process() {
        let dir = tempfile::tempdir().unwrap();
        let state = unlocked(dir.path());
        let new = |name: &str| {
            let secrets = secrets(&format!("{name}-api-key"));
            let key = NewKey {
                name: name.into(),
                exchange: "kraken".into(),
                scopes: vec!["read".into()],
                expires_at: Some(Utc::now() + chrono::Duration::days(2)),
                ..NewKey::default()
            };
            (key, secrets)
        };
        let named = |state: &AppState| -> String {
            let look = state.look_for_reminders(Utc::now()).unwrap();
            look.outgoing.map(|o| o.text.summary).unwrap_or_default()
        };
        assert_eq!(named(&state), "", "nothing due yet");
        state
            .change_key_rows(|v| {
                let (key, secrets) = new("form-key");
                let e = v.add(key, secrets)?;
                Ok(((), vec![e.id]))
            })
            .unwrap();
        assert!(named(&state).contains("form-key"), "the key added here");
        // The CLI writes to the same file on its own connection.
        let path = dir.path().join("vault.db");
        let mut cli = Vault::unlock(&path, &SecretString::from(PASSPHRASE), options()).unwrap();
        let (key, secrets) = new("cli-key");
        cli.add(key, secrets).unwrap();
        drop(cli);
        assert!(
            named(&state).contains("cli-key"),
            "the key another process added"
        );
    }
}
