//! Importing keys from other tools' files (bot configs, `.env`, KeePass, Bitwarden): each key found is
//! compared with the vault by its key value and its name, and the user's choices are applied in one
//! transaction with one audit entry per key. The trust rule for these unsigned plaintext files (DESIGN.md
//! "Trust rules"): new keys may be added; an existing key changes only when the user chose `replace` for
//! that entry, and its history says where the new secret came from.

use super::cells::{read_entries, read_secrets, Cells};
use super::share_import::{keep_both_name, secrets_equal};
use super::{Vault, WriteTx};
use crate::audit::AuditAction;
use crate::catalog::{self, Exchange};
use crate::error::{Error, Result};
use crate::import::{
    self, Candidate, ImportEntryChoice, ImportPreview, ImportPreviewEntry, ImportSource,
    ImportSummary, ParsedFile,
};
use crate::model::{KeyEntry, NewKey, Scope};
use crate::parse;
use crate::secret::SecretFields;
use crate::share::{ImportChoice, ShareEntryStatus};
use crate::validate::{check_env_names, check_new_key, check_secrets};
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};

/// The name a candidate gets: the file's name without control or direction characters, within the
/// length limit, and distinct (case-insensitively) from the names given to earlier entries.
fn clean_name(raw: &str, given: &HashSet<String>) -> String {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_control() && !parse::is_bidi_control(*c))
        .collect();
    let base: String = cleaned
        .trim()
        .chars()
        .take(parse::MAX_NAME_LEN - 4)
        .collect();
    let base = if base.trim().is_empty() {
        "imported key".to_string()
    } else {
        base.trim().to_string()
    };
    let taken = |n: &str| given.contains(&n.to_ascii_lowercase());
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|i| format!("{base} {i}"))
        .find(|n| !taken(n))
        .expect("some number is free")
}

/// The exchange's default permissions for a new key: the read-only ones.
fn default_scopes(exchange: &Exchange) -> Vec<&'static str> {
    exchange
        .permissions
        .iter()
        .filter(|p| p.grants == [Scope::Read])
        .take(1)
        .map(|p| p.label)
        .collect()
}

/// One candidate, named and checked against the catalog.
struct Entry<'a> {
    source: usize,
    candidate: &'a Candidate,
    name: String,
}

/// How an entry compares with the vault's keys.
struct Classified {
    status: ShareEntryStatus,
    existing: Option<(KeyEntry, u64)>,
    secrets_changed: bool,
}

/// The vault's keys as an import compares entries with them: by API-key fingerprint and by name, each
/// found through a map built once per import, so an entry costs the same whatever the vault's size.
struct Stored {
    rows: Vec<(KeyEntry, u64)>,
    by_print: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
}

impl Stored {
    fn new(rows: Vec<(KeyEntry, u64)>) -> Self {
        let mut stored = Stored {
            rows: Vec::with_capacity(rows.len()),
            by_print: HashMap::with_capacity(rows.len() * 2),
            by_name: HashMap::with_capacity(rows.len()),
        };
        for row in rows {
            stored.push(row);
        }
        stored
    }

    /// The first key (in vault order) to hold `print`, as a linear search would find it.
    fn with_print(&self, print: &str) -> Option<&(KeyEntry, u64)> {
        let holds = |(k, _): &&(KeyEntry, u64)| k.fingerprints.iter().any(|p| p == print);
        let first = self.by_print.get(print).map(|&i| &self.rows[i])?;
        // A key replaced during this import keeps its old fingerprints in the map: then another key
        // may be the first to hold it (rare: searched in order).
        Some(first)
            .filter(holds)
            .or_else(|| self.rows.iter().find(holds))
    }

    fn named(&self, name: &str) -> Option<&(KeyEntry, u64)> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.rows[i])
    }

    fn index(&mut self, i: usize) {
        let (k, _) = &self.rows[i];
        for p in &k.fingerprints {
            self.by_print.entry(p.clone()).or_insert(i);
        }
        self.by_name.entry(k.name.to_ascii_lowercase()).or_insert(i);
    }

    fn push(&mut self, row: (KeyEntry, u64)) {
        self.rows.push(row);
        self.index(self.rows.len() - 1);
    }

    /// The stored key with `row`'s id becomes `row` (a replaced secret: new fingerprints, same name).
    fn replace(&mut self, row: (KeyEntry, u64)) {
        let found = self
            .by_name
            .get(&row.0.name.to_ascii_lowercase())
            .copied()
            .filter(|&i| self.rows[i].0.id == row.0.id)
            .or_else(|| self.rows.iter().position(|(k, _)| k.id == row.0.id));
        if let Some(i) = found {
            self.rows[i] = row;
            self.index(i);
        }
    }
}

fn classify(
    conn: &Connection,
    cells: &Cells<'_>,
    stored: &Stored,
    e: &Entry<'_>,
) -> Result<Classified> {
    let print =
        |v: &secrecy::SecretString| cells.fingerprint(secrecy::ExposeSecret::expose_secret(v));
    // The API key (or private key) identifies the key; a stored key holding it is the same key.
    let same_key = match e
        .candidate
        .secrets
        .get(crate::secret::CredentialField::ApiKey)
    {
        Some(key) => stored.with_print(&print(key)),
        None => e
            .candidate
            .secrets
            .iter()
            .filter(|(f, _)| f.identifies_key())
            .find_map(|(_, v)| stored.with_print(&print(v))),
    };
    if let Some((k, g)) = same_key {
        let (held, _) = read_secrets(conn, cells, k, *g)?;
        let changed = !secrets_equal(&held, &e.candidate.secrets);
        return Ok(Classified {
            status: if changed {
                ShareEntryStatus::Changed
            } else {
                ShareEntryStatus::Identical
            },
            existing: Some((k.clone(), *g)),
            secrets_changed: changed,
        });
    }
    let same_name = stored.named(&e.name);
    Ok(Classified {
        status: if same_name.is_some() {
            ShareEntryStatus::Conflicting
        } else {
            ShareEntryStatus::New
        },
        existing: same_name.cloned(),
        secrets_changed: false,
    })
}

/// The key an entry would be added as, for `exchange`: `Err` says why it cannot be (missing fields, …).
fn new_key(e: &Entry<'_>, exchange: &'static Exchange, defaults: bool) -> Result<NewKey> {
    let c = e.candidate;
    check_secrets(exchange, &c.secrets).map_err(|err| {
        Error::input(format!(
            "{err} (the file does not hold {}): add it to the file and import again, or add the key by hand",
            if matches!(err, Error::MissingFields { .. }) { "them all" } else { "a field this exchange takes" }
        ))
    })?;
    Ok(NewKey {
        name: e.name.clone(),
        exchange: exchange.id.to_string(),
        account: c.account.clone(),
        environment: c.environment,
        scopes: if defaults {
            default_scopes(exchange)
                .into_iter()
                .map(String::from)
                .collect()
        } else {
            Vec::new()
        },
        ip_allowlist: Vec::new(),
        expires_at: None,
        rotation_days: None,
        tags: Vec::new(),
        notes: c
            .notes
            .chars()
            .take(crate::validate::MAX_NOTES_CHARS)
            .collect(),
        // Variable names a file used that keystead would refuse (a reserved name) are left out.
        env_names: check_env_names(&c.env_names).unwrap_or_default(),
        used_by: Vec::new(),
    })
}

/// The exchange of an entry: the file's, else the one chosen in the preview.
fn exchange_for(e: &Entry<'_>, chosen: Option<&str>) -> Result<Option<&'static Exchange>> {
    match (
        e.candidate.exchange,
        chosen.map(str::trim).filter(|c| !c.is_empty()),
    ) {
        (Some(x), _) => Ok(Some(x)),
        (None, Some(id)) => catalog::exchange(id).map(Some),
        (None, None) => Ok(None),
    }
}

fn entries_of(files: &[ParsedFile]) -> Vec<Entry<'_>> {
    // Lower-cased: names are distinct regardless of ASCII case.
    let mut given: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for (source, f) in files.iter().enumerate() {
        for candidate in &f.candidates {
            let name = clean_name(&candidate.name, &given);
            given.insert(name.to_ascii_lowercase());
            out.push(Entry {
                source,
                candidate,
                name,
            });
        }
    }
    out
}

/// "freqtrade config /home/me/ft/config.json": where an imported key came from, for its history.
fn origin(f: &ParsedFile) -> String {
    format!("{} {}", f.format.label(), f.path.display())
}

impl Vault {
    /// What importing `files` would do, entry by entry. Reads only; holds no secret.
    pub fn import_preview(&self, files: &[ParsedFile]) -> Result<ImportPreview> {
        let cells = self.cells();
        let stored = Stored::new(read_entries(&self.conn, &cells)?);
        let list = entries_of(files);
        let mut warnings: Vec<String> = files.iter().flat_map(|f| f.warnings.clone()).collect();
        let mut out = Vec::with_capacity(list.len());
        for (i, e) in list.iter().enumerate() {
            let c = classify(&self.conn, &cells, &stored, e)?;
            let exchange = e.candidate.exchange;
            let problem = match exchange {
                None => Some(match &e.candidate.exchange_hint {
                    Some(h) => format!("the file calls its exchange '{h}', which Keystead does not know: choose the exchange"),
                    None => "the file does not say which exchange this key is for: choose the exchange".to_string(),
                }),
                Some(x) => new_key(e, x, false).err().map(|err| err.to_string()),
            };
            let default_choice = if c.status == ShareEntryStatus::New && problem.is_none() {
                ImportChoice::Add
            } else {
                ImportChoice::Skip
            };
            out.push(ImportPreviewEntry {
                index: i as u32,
                source: e.source as u32,
                location: e.candidate.location.clone(),
                name: e.name.clone(),
                exchange: exchange.map(|x| x.id.to_string()),
                exchange_name: exchange.map(|x| x.name.to_string()),
                exchange_hint: e.candidate.exchange_hint.clone(),
                secret_fields: e.candidate.secrets.fields(),
                problem,
                needs_exchange: exchange.is_none(),
                status: c.status,
                secrets_changed: c.secrets_changed,
                existing_id: c.existing.as_ref().map(|(k, _)| k.id),
                existing_name: c.existing.as_ref().map(|(k, _)| k.name.clone()),
                replace_allowed: matches!(
                    c.status,
                    ShareEntryStatus::Changed | ShareEntryStatus::Conflicting
                ),
                default_choice,
                default_scopes: exchange
                    .map(|x| default_scopes(x).into_iter().map(String::from).collect())
                    .unwrap_or_default(),
            });
        }
        if out.iter().any(|e| e.status == ShareEntryStatus::New) {
            warnings.push(
                "these files do not record scopes, IP allowlists or expiry: imported keys show \"scopes unknown\" (and count as able to move funds) until you set them, or take the exchange's defaults for a new key".into(),
            );
        }
        let sources = files
            .iter()
            .enumerate()
            .map(|(i, f)| ImportSource {
                index: i as u32,
                path: f.path.display().to_string(),
                format: f.format,
                format_label: f.format.label().to_string(),
                plaintext: f.format.is_plaintext(),
                keys: f.candidates.len() as u32,
            })
            .collect();
        Ok(ImportPreview {
            sources,
            entries: out,
            warnings,
        })
    }

    /// Applies one choice per entry (in preview order) in one transaction, with one `key_imported`
    /// audit entry per key added or replaced. Entries are compared with the vault again inside the
    /// transaction; a choice that no longer fits fails the whole import and nothing changes. Nothing
    /// is written when every choice is `skip`.
    pub fn import_apply(
        &mut self,
        files: &[ParsedFile],
        choices: &[ImportEntryChoice],
    ) -> Result<ImportSummary> {
        let list = entries_of(files);
        if choices.len() != list.len() {
            return Err(Error::input(format!(
                "{} choices for {} keys: give one choice per key found",
                choices.len(),
                list.len()
            )));
        }
        let mut summary = ImportSummary {
            added: Vec::new(),
            replaced: Vec::new(),
            skipped: Vec::new(),
            plaintext: Vec::new(),
        };
        if choices.iter().all(|c| c.action == ImportChoice::Skip) {
            summary.skipped = list.iter().map(|e| e.name.clone()).collect();
            return Ok(summary);
        }
        let mut imported: Vec<Vec<String>> = vec![Vec::new(); files.len()];
        let summary = self.write(|tx| {
            let mut stored = Stored::new(read_entries(&tx.tx, &tx.cells)?);
            for (e, choice) in list.iter().zip(choices) {
                let from = origin(&files[e.source]);
                let c = classify(&tx.tx, &tx.cells, &stored, e)?;
                let name = &e.name;
                let exchange = || -> Result<&'static Exchange> {
                    exchange_for(e, choice.exchange.as_deref())?.ok_or_else(|| {
                        Error::input(format!(
                            "'{name}': the file does not say which exchange it is for: choose one, or skip it"
                        ))
                    })
                };
                match (choice.action, c.status) {
                    (ImportChoice::Skip, _) => summary.skipped.push(name.clone()),
                    (ImportChoice::Add, ShareEntryStatus::New) | (ImportChoice::KeepBoth, _) => {
                        let new_name = if c.status == ShareEntryStatus::Conflicting
                            || stored.named(name).is_some()
                        {
                            keep_both_name(name, &stored.rows)
                        } else {
                            name.clone()
                        };
                        let x = exchange()?;
                        let mut key = new_key(e, x, choice.default_scopes)?;
                        key.name = new_name;
                        // A bot's own config file: the key is the one that bot uses.
                        key.used_by = files[e.source].format.bot().map(String::from).into_iter().collect();
                        let entry = tx.import_file_key(&key, &e.candidate.secrets, !choice.default_scopes)?;
                        tx.audit(
                            AuditAction::KeyImported,
                            Some(&entry),
                            Some(format!(
                                "imported from {from}, {}; scopes {}",
                                e.candidate.location,
                                if entry.scopes_unknown { "unknown".to_string() } else { entry.exchange_scopes.join(", ") }
                            )),
                        )?;
                        summary.added.push(entry.name.clone());
                        imported[e.source].push(entry.name.clone());
                        stored.push((entry, 1));
                    }
                    (ImportChoice::Add, status) => {
                        return Err(Error::input(format!(
                            "'{name}' {}: choose replace, keep both or skip for it",
                            match status {
                                ShareEntryStatus::Conflicting => "has the name of another key in this vault",
                                _ => "is already in this vault (the same API key)",
                            }
                        )))
                    }
                    (ImportChoice::Replace, ShareEntryStatus::New) => {
                        return Err(Error::input(format!(
                            "'{name}' is not in this vault, so there is nothing to replace: choose add"
                        )))
                    }
                    (ImportChoice::Replace, _) => {
                        let Some((old, generation)) = c.existing else {
                            return Err(Error::input(format!("'{name}': nothing to replace")));
                        };
                        if let Some(x) = e.candidate.exchange.filter(|x| x.id != old.exchange) {
                            return Err(Error::input(format!(
                                "'{name}' is a {} key in the file but '{}' is a {} key here: choose keep both or skip",
                                x.name, old.name, crate::vault::exchange_of(&old).name
                            )));
                        }
                        let updated = tx.import_file_replace(e.candidate, old, generation, &from)?;
                        tx.audit(
                            AuditAction::KeyImported,
                            Some(&updated.0),
                            Some(format!("secrets replaced from {from}, {}", e.candidate.location)),
                        )?;
                        summary.replaced.push(updated.0.name.clone());
                        imported[e.source].push(updated.0.name.clone());
                        stored.replace(updated);
                    }
                }
            }
            Ok(summary)
        })?;
        let mut summary = summary;
        summary.plaintext = files
            .iter()
            .zip(&imported)
            .filter(|(_, keys)| !keys.is_empty())
            .filter_map(|(f, keys)| import::plaintext_left(f.format, &f.path, keys))
            .collect();
        Ok(summary)
    }
}

impl WriteTx<'_> {
    /// Adds a key read from a file (scopes unknown unless the exchange's defaults were taken).
    fn import_file_key(
        &mut self,
        key: &NewKey,
        secrets: &SecretFields,
        scopes_unknown: bool,
    ) -> Result<KeyEntry> {
        let checked = check_new_key(key, secrets)?;
        if super::index::name_taken(&self.tx, &self.cells, &checked.name, None)? {
            return Err(Error::DuplicateName { name: checked.name });
        }
        let id = self.new_key_id();
        let mut entry = self.new_entry(&checked, id, checked.name.clone(), secrets);
        entry.scopes_unknown = scopes_unknown;
        self.put_entry(&entry, None, Some((secrets, &super::cells::History::new())))?;
        Ok(entry)
    }

    /// Gives a stored key the secrets read from a file, as a new version (the old one stays in its
    /// history with the reason "imported from …"); its metadata stays, since the file has none.
    fn import_file_replace(
        &mut self,
        c: &Candidate,
        mut entry: KeyEntry,
        generation: u64,
        from: &str,
    ) -> Result<(KeyEntry, u64)> {
        check_secrets(super::exchange_of(&entry), &c.secrets)?;
        let (old, mut history) = self.secrets_of(&entry, generation)?;
        if secrets_equal(&old, &c.secrets) {
            return Err(Error::input(format!(
                "'{}' already holds these secrets: choose skip",
                entry.name
            )));
        }
        self.push_version(
            &mut entry,
            &mut history,
            old,
            &c.secrets,
            Some(format!("imported from {from}")),
        );
        if let Ok(names) = check_env_names(&c.env_names) {
            entry.env_names.extend(names);
        }
        entry.updated_at = self.now;
        self.put_entry(&entry, Some(generation), Some((&c.secrets, &history)))?;
        Ok((entry, generation + 1))
    }
}
