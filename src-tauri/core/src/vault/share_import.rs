//! Importing a share file: opening it, comparing each shared key with the vault, and applying the
//! chosen action for each in one transaction.

use super::cells::{read_entries, read_secrets, Cells, History};
use super::contacts::{read_contacts, read_identity, ContactRecord};
use super::index::name_taken;
use super::{Vault, WriteTx};
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::model::{KeyEntry, Scope};
use crate::parse;
use crate::secret::SecretFields;
use crate::share::{
    self, ImportChoice, OpenedShare, ShareEntryStatus, ShareImportSummary, SharePreview,
    SharePreviewEntry, ShareSender, SharedKey,
};
use crate::validate::CheckedKey;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

pub(super) fn secrets_equal(a: &SecretFields, b: &SecretFields) -> bool {
    a.fields() == b.fields()
        && a.iter().all(|(f, v)| {
            b.get(f).is_some_and(|w| {
                crate::crypto::mac_eq(v.expose_secret().as_bytes(), w.expose_secret().as_bytes())
            })
        })
}

/// The metadata fields in which an imported key differs from the stored one, by name.
fn changed_fields(e: &KeyEntry, c: &CheckedKey) -> Vec<String> {
    let mut out = Vec::new();
    let mut differs = |name: &str, d: bool| {
        if d {
            out.push(name.to_string());
        }
    };
    differs("name", e.name != c.name);
    differs("exchange", e.exchange != c.exchange.id);
    differs("account", e.account != c.account);
    differs("environment", e.environment != c.environment);
    differs(
        "scopes",
        e.scopes != c.scopes || e.exchange_scopes != c.exchange_scopes,
    );
    differs("ip_allowlist", e.ip_allowlist != c.ip_allowlist);
    differs("expires_at", e.expires_at != c.expires_at);
    differs("rotation_days", e.rotation_days != c.rotation_days);
    differs("tags", e.tags != c.tags);
    differs("notes", e.notes != c.notes);
    out
}

/// How one shared key compares with the keys of the vault.
pub(super) struct Classified {
    pub(super) status: ShareEntryStatus,
    /// The stored key it matches by id (new/identical/changed) or by name (conflicting).
    pub(super) existing: Option<(KeyEntry, u64)>,
    pub(super) changed_fields: Vec<String>,
    pub(super) secrets_changed: bool,
}

pub(super) fn classify(
    conn: &Connection,
    cells: &Cells<'_>,
    entries: &[(KeyEntry, u64)],
    shared: &SharedKey,
) -> Result<Classified> {
    if let Some((e, g)) = shared
        .id
        .and_then(|id| entries.iter().find(|(e, _)| e.id == id))
    {
        let (secrets, _) = read_secrets(conn, cells, e, *g)?;
        let fields = changed_fields(e, &shared.checked);
        let secrets_changed = !secrets_equal(&secrets, &shared.secrets);
        let status = if fields.is_empty() && !secrets_changed {
            ShareEntryStatus::Identical
        } else {
            ShareEntryStatus::Changed
        };
        return Ok(Classified {
            status,
            existing: Some((e.clone(), *g)),
            changed_fields: fields,
            secrets_changed,
        });
    }
    let same_name = entries
        .iter()
        .find(|(e, _)| e.name.eq_ignore_ascii_case(&shared.checked.name));
    Ok(Classified {
        status: if same_name.is_some() {
            ShareEntryStatus::Conflicting
        } else {
            ShareEntryStatus::New
        },
        existing: same_name.cloned(),
        changed_fields: Vec::new(),
        secrets_changed: false,
    })
}

/// Who signed `opened`, in terms of this vault's contacts.
pub(super) fn sender_of(opened: &OpenedShare, contacts: &[(ContactRecord, u64)]) -> ShareSender {
    let Some(signer) = &opened.signer else {
        return ShareSender::Unsigned;
    };
    let signing = signer.signing_key_bytes();
    let contact = contacts.iter().find(|(c, _)| {
        c.key()
            .ok()
            .and_then(|k| k.signing_key_bytes())
            .is_some_and(|k| Some(k) == signing)
    });
    match contact {
        Some((c, _)) => ShareSender::Contact {
            name: c.name.clone(),
            fingerprint: signer.fingerprint(),
        },
        None => ShareSender::UnknownSender {
            fingerprint: signer.fingerprint(),
            sharing_key: signer.to_string(),
            claimed_name: opened.claimed_name.clone(),
        },
    }
}

/// The one rule for changing an existing key from a share file: the file is signed by a contact and its
/// signed list of recipients names this vault. Anything else (unsigned, unknown sender, a file that does
/// not say whom it was made for) may only add keys.
fn may_change_keys(sender: &ShareSender, opened: &OpenedShare) -> bool {
    matches!(sender, ShareSender::Contact { .. }) && opened.made_for_this_vault
}

/// Why a file may not change existing keys, in words (for the preview and the refusal).
fn why_no_replace(sender: &ShareSender) -> &'static str {
    match sender {
        ShareSender::Unsigned => "it is unsigned",
        ShareSender::UnknownSender { .. } => "its sender is not one of your contacts",
        ShareSender::Contact { .. } => {
            "its signed document does not say it was made for this vault"
        }
    }
}

/// Whether `exported_at` is before the existing key was last changed or rotated (a file without a date
/// counts as older).
fn older_than(existing: &KeyEntry, exported_at: Option<DateTime<Utc>>) -> bool {
    let mine = existing
        .last_rotated_at
        .map_or(existing.updated_at, |r| r.max(existing.updated_at));
    !matches!(exported_at, Some(t) if t >= mine)
}

/// "name (imported)", "name (imported 2)", … : the first name no key has, within the name length limit.
pub(super) fn keep_both_name(name: &str, entries: &[(KeyEntry, u64)]) -> String {
    let taken = |n: &str| entries.iter().any(|(e, _)| e.name.eq_ignore_ascii_case(n));
    for i in 1.. {
        let suffix = if i == 1 {
            " (imported)".to_string()
        } else {
            format!(" (imported {i})")
        };
        let room = parse::MAX_NAME_LEN - suffix.chars().count();
        let base: String = name.chars().take(room).collect();
        let candidate = format!("{}{suffix}", base.trim_end());
        if !taken(&candidate) {
            return candidate;
        }
    }
    unreachable!("some suffix is free")
}

impl Vault {
    /// Decrypts, verifies and validates a share file with this vault's identity (or the passphrase when
    /// the file is protected by one), in memory. Nothing in the vault changes, except that a vault from
    /// before sharing gets its sharing identity.
    pub fn share_open(
        &mut self,
        file: &[u8],
        passphrase: Option<&SecretString>,
    ) -> Result<OpenedShare> {
        let identity = self.sharing_identity()?;
        share::open(file, Some(&identity), passphrase)
    }

    /// What importing `opened` would do, entry by entry. Reads only.
    pub fn share_preview(&self, opened: &OpenedShare) -> Result<SharePreview> {
        let cells = self.cells();
        let entries = read_entries(&self.conn, &cells)?;
        let contacts = read_contacts(&self.conn, &cells)?;
        let sender = sender_of(opened, &contacts);
        let mut warnings = Vec::new();
        let sender_warning = match &sender {
            ShareSender::Contact { .. } => None,
            ShareSender::UnknownSender { fingerprint, claimed_name, .. } => Some(format!(
                "signed by a sharing key that is not one of your contacts (fingerprint {fingerprint}{}): compare the fingerprint with the sender before you import, and add them as a contact if it matches",
                claimed_name.as_ref().map(|n| format!(", claims to be {n}")).unwrap_or_default()
            )),
            ShareSender::Unsigned => Some(
                "the file is unsigned: it does not say who made it, and anyone who knows your sharing key could have. Import it only if you expected it".into(),
            ),
        };
        // The sender named this vault's own sharing key as a recipient ("contact bob (…)" in Bob's
        // vault): say "you".
        let mine = read_identity(&self.conn, &cells)?.map(|i| i.sharing_key());
        let to = opened
            .to
            .iter()
            .map(|d| match &mine {
                Some(k)
                    if d.ends_with(&format!("({})", k.fingerprint())) || d == k.age_recipient() =>
                {
                    "you".to_string()
                }
                _ => d.clone(),
            })
            .collect();
        let may_change = may_change_keys(&sender, opened);
        let mut out = Vec::with_capacity(opened.entries.len());
        let mut held_back = Vec::new();
        let mut older = Vec::new();
        for (i, shared) in opened.entries.iter().enumerate() {
            let c = classify(&self.conn, &cells, &entries, shared)?;
            let checked = &shared.checked;
            let would_change = matches!(
                c.status,
                ShareEntryStatus::Changed | ShareEntryStatus::Conflicting
            );
            let older_than_yours = would_change
                && c.existing
                    .as_ref()
                    .is_some_and(|(e, _)| older_than(e, opened.exported_at));
            if would_change && !may_change {
                held_back.push(checked.name.clone());
            }
            if older_than_yours {
                older.push(checked.name.clone());
            }
            if checked.scopes.contains(&Scope::Withdraw) {
                warnings.push(format!("'{}' can withdraw funds", checked.name));
            }
            out.push(SharePreviewEntry {
                index: i as u32,
                id: shared.id,
                name: checked.name.clone(),
                exchange: checked.exchange.id.to_string(),
                exchange_name: checked.exchange.name.to_string(),
                environment: checked.environment,
                scopes: checked.scopes.clone(),
                secret_fields: shared.secrets.fields(),
                status: c.status,
                changed_fields: c.changed_fields,
                secrets_changed: c.secrets_changed,
                existing_id: c.existing.as_ref().map(|(e, _)| e.id),
                existing_name: c.existing.as_ref().map(|(e, _)| e.name.clone()),
                replace_allowed: would_change && may_change,
                older_than_yours,
                default_choice: ImportChoice::default_for(c.status),
            });
        }
        if !held_back.is_empty() {
            warnings.push(format!(
                "this file cannot change keys you already have ({}), because {}: {} will be skipped unless you keep both",
                held_back.join(", "),
                why_no_replace(&sender),
                if held_back.len() == 1 { "it" } else { "they" }
            ));
        }
        if !older.is_empty() {
            warnings.push(format!(
                "older than yours: the file was made before your copy of {} last changed; it is skipped unless you choose to replace",
                older.join(", ")
            ));
        }
        Ok(SharePreview {
            sender,
            sender_warning,
            exported_at: opened.exported_at,
            to,
            entries: out,
            warnings,
        })
    }

    /// Applies `choices` (one per entry, in file order) in one transaction with one `share_imported`
    /// audit event. Entries are compared with the vault again inside the transaction; a choice that no
    /// longer fits (e.g. `add` for a key that now exists) fails the whole import, and nothing changes.
    /// A replaced key keeps its old secrets in its history, like a rotation.
    pub fn share_apply(
        &mut self,
        opened: &OpenedShare,
        choices: &[ImportChoice],
    ) -> Result<ShareImportSummary> {
        if choices.len() != opened.entries.len() {
            return Err(Error::input(format!(
                "{} choices for {} keys: give one choice per key in the file",
                choices.len(),
                opened.entries.len()
            )));
        }
        self.write(|tx| {
            let contacts = read_contacts(&tx.tx, &tx.cells)?;
            let sender = sender_of(opened, &contacts);
            let may_change = may_change_keys(&sender, opened);
            let from = sender.describe();
            let mut entries = read_entries(&tx.tx, &tx.cells)?;
            let mut summary = ShareImportSummary {
                sender: sender.clone(),
                added: Vec::new(),
                replaced: Vec::new(),
                skipped: Vec::new(),
            };
            let mut kept_both = Vec::new();
            for (shared, choice) in opened.entries.iter().zip(choices) {
                let name = &shared.checked.name;
                let c = classify(&tx.tx, &tx.cells, &entries, shared)?;
                match (choice, c.status) {
                    (ImportChoice::Skip, _) => summary.skipped.push(name.clone()),
                    (ImportChoice::Add, ShareEntryStatus::New) => {
                        let id = shared
                            .id
                            .filter(|id| !entries.iter().any(|(e, _)| e.id == *id))
                            .unwrap_or_else(|| tx.new_key_id());
                        let entry = tx.import_new(shared, id, name.clone())?;
                        tx.audit(
                            AuditAction::ShareImported,
                            Some(&entry),
                            Some(format!("added from {from}")),
                        )?;
                        summary.added.push(entry.name.clone());
                        entries.push((entry, 1));
                    }
                    (ImportChoice::Add, status) => {
                        return Err(Error::input(format!(
                            "'{name}' is {} this vault: choose replace, keep both or skip for it",
                            match status {
                                ShareEntryStatus::Conflicting => "the name of another key in",
                                _ => "already in",
                            }
                        )))
                    }
                    (ImportChoice::KeepBoth, _) => {
                        let new_name = if c.status == ShareEntryStatus::New {
                            name.clone()
                        } else {
                            keep_both_name(name, &entries)
                        };
                        let id = tx.new_key_id();
                        let entry = tx.import_new(shared, id, new_name.clone())?;
                        tx.audit(
                            AuditAction::ShareImported,
                            Some(&entry),
                            Some(format!("added from {from}")),
                        )?;
                        if new_name != *name {
                            kept_both.push(format!("{name} as '{new_name}'"));
                        }
                        summary.added.push(entry.name.clone());
                        entries.push((entry, 1));
                    }
                    (ImportChoice::Replace, ShareEntryStatus::New) => {
                        return Err(Error::input(format!(
                            "'{name}' is not in this vault, so there is nothing to replace: choose add"
                        )))
                    }
                    (ImportChoice::Replace, _) if !may_change => {
                        return Err(Error::input(format!(
                            "'{name}' was not replaced: this file may not change keys you already have, because {}. Choose skip or keep both for it",
                            why_no_replace(&sender)
                        )))
                    }
                    (ImportChoice::Replace, _) => {
                        let Some((old, generation)) = c.existing else {
                            return Err(Error::input(format!("'{name}': nothing to replace")));
                        };
                        if entries.iter().any(|(e, _)| {
                            e.id != old.id && e.name.eq_ignore_ascii_case(name)
                        }) {
                            return Err(Error::DuplicateName { name: name.clone() });
                        }
                        let updated = tx.import_replace(shared, old, generation, &from)?;
                        tx.audit(
                            AuditAction::ShareImported,
                            Some(&updated.0),
                            Some(format!("replaced from {from}")),
                        )?;
                        summary.replaced.push(updated.0.name.clone());
                        if let Some(slot) = entries.iter_mut().find(|(e, _)| e.id == updated.0.id) {
                            *slot = updated;
                        }
                    }
                }
            }
            let mut detail = format!("from {from}");
            let list = |v: &[String]| v.join(", ");
            if !summary.added.is_empty() {
                detail += &format!("; added: {}", list(&summary.added));
            }
            if !kept_both.is_empty() {
                detail += &format!("; kept both: {}", list(&kept_both));
            }
            if !summary.replaced.is_empty() {
                detail += &format!("; replaced: {}", list(&summary.replaced));
            }
            if !summary.skipped.is_empty() {
                detail += &format!("; skipped: {}", list(&summary.skipped));
            }
            // One key in, nothing else: its own event ("added from contact alice") is the whole story,
            // and a second line for the same import would only repeat it.
            let one_key = summary.added.len() + summary.replaced.len() == 1
                && summary.skipped.is_empty()
                && kept_both.is_empty();
            if !one_key {
                tx.audit(AuditAction::ShareImported, None, Some(detail))?;
            }
            Ok(summary)
        })
    }
}

impl WriteTx<'_> {
    /// Adds a shared key as a new key of this vault.
    pub(super) fn import_new(
        &mut self,
        shared: &SharedKey,
        id: Uuid,
        name: String,
    ) -> Result<KeyEntry> {
        if name_taken(&self.tx, &self.cells, &name, None)? {
            return Err(Error::DuplicateName { name });
        }
        let entry = self.new_entry(&shared.checked, id, name, &shared.secrets);
        self.put_entry(&entry, None, Some((&shared.secrets, &History::new())))?;
        Ok(entry)
    }

    /// Overwrites a stored key with a shared one: its metadata, and its secrets as a new version when they
    /// differ (the old version stays in the history, with the reason "imported from …").
    pub(super) fn import_replace(
        &mut self,
        shared: &SharedKey,
        mut entry: KeyEntry,
        generation: u64,
        from: &str,
    ) -> Result<(KeyEntry, u64)> {
        let c = &shared.checked;
        let (old, mut history) = self.secrets_of(&entry, generation)?;
        entry.name = c.name.clone();
        entry.exchange = c.exchange.id.to_string();
        entry.account = c.account.clone();
        entry.environment = c.environment;
        entry.scopes = c.scopes.clone();
        entry.exchange_scopes = c.exchange_scopes.clone();
        entry.scopes_unknown = false;
        entry.ip_allowlist = c.ip_allowlist.clone();
        entry.expires_at = c.expires_at;
        entry.rotation_days = c.rotation_days;
        entry.tags = c.tags.clone();
        entry.notes = c.notes.clone();
        entry.updated_at = self.now;
        let secrets = if secrets_equal(&old, &shared.secrets) {
            old
        } else {
            self.push_version(
                &mut entry,
                &mut history,
                old,
                &shared.secrets,
                Some(format!("imported from {from}")),
            );
            shared.secrets.clone()
        };
        self.put_entry(&entry, Some(generation), Some((&secrets, &history)))?;
        Ok((entry, generation + 1))
    }
}
