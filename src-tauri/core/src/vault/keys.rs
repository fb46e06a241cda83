//! Key changes: add, edit, rotate, revoke, mark compromised, and edits and revocations of several keys at
//! once. Each is one write with its audit events (one per key changed).

use super::cells::History;
use super::index::{find_row, name_taken};
use super::{exchange_of, or_none, Vault, WriteTx};
use crate::audit::AuditAction;
use crate::error::{Error, Result, MOVES_FUNDS};
use crate::model::{BulkEdit, KeyEdit, KeyEntry, KeyStatus, NewKey};
use crate::parse;
use crate::secret::SecretFields;
use crate::validate::{
    check_env_names, check_new_key, check_rotation, check_secrets, clean_tags, reason_text,
    MAX_NOTES_CHARS,
};
use chrono::{DateTime, Utc};
use secrecy::SecretString;

impl Vault {
    /// Adds a key. Refuses unknown exchanges and scopes, missing required fields and duplicate names.
    pub fn add(&mut self, new: NewKey, secrets: SecretFields) -> Result<KeyEntry> {
        self.add_marked(new, secrets, false)
    }

    /// [`Vault::add`], marking the first version's private key as made inside Keystead when `generated`.
    pub(super) fn add_marked(
        &mut self,
        new: NewKey,
        secrets: SecretFields,
        generated: bool,
    ) -> Result<KeyEntry> {
        let checked = check_new_key(&new, &secrets)?;
        self.write(|tx| {
            if name_taken(&tx.tx, &tx.cells, &checked.name, None)? {
                return Err(Error::DuplicateName {
                    name: checked.name.clone(),
                });
            }
            let id = tx.new_key_id();
            let mut entry = tx.new_entry(&checked, id, checked.name.clone(), &secrets);
            if generated {
                entry.versions[0].generated_key_pair = Some(true);
            }
            tx.put_entry(&entry, None, Some((&secrets, &History::new())))?;
            let scopes: Vec<&str> = entry.scopes.iter().map(|s| s.as_str()).collect();
            tx.audit(
                AuditAction::KeyCreated,
                Some(&entry),
                Some(format!(
                    "{} {}, scopes: {}{}",
                    checked.exchange.name,
                    entry.environment,
                    or_none(&scopes.join(", ")),
                    if generated {
                        ", key pair made in Keystead"
                    } else {
                        ""
                    }
                )),
            )?;
            Ok(entry)
        })
    }

    /// Changes a key's metadata. Records which fields changed. Removing the withdraw or transfer scope
    /// needs `step_up`, the vault passphrase given again; adding one marks the current secret version
    /// as able to move funds, for good.
    pub fn edit(
        &mut self,
        name: &str,
        edit: KeyEdit,
        step_up: Option<&SecretString>,
    ) -> Result<KeyEntry> {
        if edit.is_empty() {
            return Err(Error::input(
                "nothing to change: give at least one field to edit",
            ));
        }
        let checked = CheckedEdit::new(edit)?;
        let before = self.find(name)?;
        let needed = checked.removes_funds(&before)?;
        self.step_up(
            &before.name,
            needed,
            MOVES_FUNDS,
            "removing the withdraw or transfer scope",
            step_up,
        )?;
        self.write(|tx| {
            let (entry, generation) = find_row(&tx.tx, &tx.cells, name)?;
            tx.apply_edit(entry, generation, &checked, needed)
        })
    }

    /// One of the key table's bulk changes (rotation reminder, add or remove a tag) made to several
    /// keys at once: see [`Vault::edit_many`].
    pub fn bulk_edit(
        &mut self,
        names: &[String],
        change: &BulkEdit,
        step_up: Option<&SecretString>,
    ) -> Result<Vec<KeyEntry>> {
        match change {
            BulkEdit::AddTag(t) | BulkEdit::RemoveTag(t) => {
                if t.trim().is_empty() {
                    return Err(Error::input("type the tag to add or remove"));
                }
                parse::text("tag", t.trim(), 64)?;
            }
            BulkEdit::RotationDays(r) => check_rotation(*r)?,
        }
        self.edit_many(names, |e| change.edit_for(e), step_up)
    }

    /// Edits several keys (named or by id) in one transaction, each with the edit `edit_for` makes of
    /// it: each follows the rules of [`Vault::edit`], each changed key gets its own audit event, and a
    /// key that cannot take its edit fails the whole batch with that key's error, nothing written. A
    /// key already as asked is left alone (no event). One passphrase given again covers every key that
    /// needs it. Returns the keys in the order given, each once.
    pub fn edit_many(
        &mut self,
        names: &[String],
        edit_for: impl Fn(&KeyEntry) -> KeyEdit,
        step_up: Option<&SecretString>,
    ) -> Result<Vec<KeyEntry>> {
        let names = chosen_names(names)?;
        let mut needs = None;
        for name in &names {
            let before = self.find(name)?;
            if CheckedEdit::new(edit_for(&before))?.removes_funds(&before)? {
                needs.get_or_insert(before.name);
            }
        }
        if let Some(first) = &needs {
            self.step_up(
                first,
                true,
                MOVES_FUNDS,
                "removing the withdraw or transfer scope",
                step_up,
            )?;
        }
        self.write(|tx| {
            let mut out: Vec<KeyEntry> = Vec::new();
            for name in &names {
                let (entry, generation) = find_row(&tx.tx, &tx.cells, name)?;
                if out.iter().any(|e| e.id == entry.id) {
                    continue;
                }
                let checked = CheckedEdit::new(edit_for(&entry))?;
                out.push(tx.apply_edit(entry, generation, &checked, needs.is_some())?);
            }
            Ok(out)
        })
    }

    /// Replaces a key's secrets. The old version is kept, encrypted, with when and why; the rotation
    /// countdown starts again.
    pub fn rotate(
        &mut self,
        name: &str,
        secrets: SecretFields,
        reason: Option<String>,
    ) -> Result<KeyEntry> {
        self.rotate_marked(name, secrets, reason, false)
    }

    /// [`Vault::rotate`], marking the new version's private key as made inside Keystead when `generated`.
    pub(super) fn rotate_marked(
        &mut self,
        name: &str,
        secrets: SecretFields,
        reason: Option<String>,
        generated: bool,
    ) -> Result<KeyEntry> {
        let reason = reason_text(reason)?;
        self.write(|tx| {
            let (mut entry, generation) = find_row(&tx.tx, &tx.cells, name)?;
            if entry.status != KeyStatus::Active {
                return Err(Error::NotActive {
                    name: entry.name.clone(),
                    status: entry.status.to_string(),
                    hint: "a revoked or compromised key is not rotated; add its replacement as a new key".into(),
                });
            }
            check_secrets(exchange_of(&entry), &secrets)?;
            let (old, mut history) = tx.secrets_of(&entry, generation)?;
            let version = tx.push_version(&mut entry, &mut history, old, &secrets, reason.clone()) - 1;
            if generated {
                if let Some(v) = entry.versions.last_mut() {
                    v.generated_key_pair = Some(true);
                }
            }
            entry.updated_at = tx.now;
            tx.put_entry(&entry, Some(generation), Some((&secrets, &history)))?;
            let mut detail = match &reason {
                Some(r) => format!("version {} → {}; reason: {r}", version, version + 1),
                None => format!("version {} → {}", version, version + 1),
            };
            if generated {
                detail += "; key pair made in Keystead";
            }
            tx.audit(AuditAction::KeyRotated, Some(&entry), Some(detail))?;
            Ok(entry)
        })
    }

    /// Marks a key revoked (the user deleted it on the exchange).
    pub fn revoke(&mut self, name: &str, reason: Option<String>) -> Result<KeyEntry> {
        self.set_status(name, KeyStatus::Revoked, reason)
    }

    /// Marks a key compromised; the caller shows the incident checklist.
    pub fn mark_compromised(&mut self, name: &str, reason: Option<String>) -> Result<KeyEntry> {
        self.set_status(name, KeyStatus::Compromised, reason)
    }

    /// Marks several keys revoked in one transaction, one audit event each; a key that cannot be
    /// revoked (revoked already, or not found) fails the whole batch with its error, nothing written.
    pub fn revoke_many(
        &mut self,
        names: &[String],
        reason: Option<String>,
    ) -> Result<Vec<KeyEntry>> {
        let names = chosen_names(names)?;
        let reason = reason_text(reason)?;
        self.write(|tx| {
            let mut out: Vec<KeyEntry> = Vec::new();
            for name in &names {
                let (entry, generation) = find_row(&tx.tx, &tx.cells, name)?;
                if out.iter().any(|e| e.id == entry.id) {
                    continue;
                }
                out.push(tx.apply_status(entry, generation, KeyStatus::Revoked, &reason)?);
            }
            Ok(out)
        })
    }

    pub(super) fn set_status(
        &mut self,
        name: &str,
        status: KeyStatus,
        reason: Option<String>,
    ) -> Result<KeyEntry> {
        let reason = reason_text(reason)?;
        self.write(|tx| {
            let (entry, generation) = find_row(&tx.tx, &tx.cells, name)?;
            tx.apply_status(entry, generation, status, &reason)
        })
    }
}

/// The keys a batch names, trimmed, blanks dropped; at least one.
fn chosen_names(names: &[String]) -> Result<Vec<String>> {
    let names: Vec<String> = names
        .iter()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return Err(Error::NoKeysChosen);
    }
    Ok(names)
}

/// A [`KeyEdit`] with its fields parsed and checked, ready to apply to a key.
struct CheckedEdit {
    edit: KeyEdit,
    new_name: Option<String>,
    ip: Option<Vec<String>>,
    notes: Option<String>,
    tags: Option<Vec<String>>,
    env_names: Option<std::collections::BTreeMap<crate::secret::CredentialField, String>>,
    used_by: Option<Vec<crate::model::KeyUser>>,
}

impl CheckedEdit {
    fn new(edit: KeyEdit) -> Result<Self> {
        let new_name = edit.name.as_deref().map(parse::key_name).transpose()?;
        let ip = edit
            .ip_allowlist
            .as_ref()
            .map(|l| parse::ip_allowlist(l))
            .transpose()?;
        let notes = edit
            .notes
            .as_deref()
            .map(|n| parse::text("notes", n, MAX_NOTES_CHARS))
            .transpose()?;
        let tags = edit.tags.as_ref().map(|t| clean_tags(t)).transpose()?;
        let env_names = edit.env_names.as_ref().map(check_env_names).transpose()?;
        let used_by = edit.used_by.as_deref().map(parse::key_users).transpose()?;
        if let Some(r) = edit.rotation_days {
            check_rotation(r)?;
        }
        Ok(Self {
            edit,
            new_name,
            ip,
            notes,
            tags,
            env_names,
            used_by,
        })
    }

    /// The scope words to apply to `entry`. An empty scope list for a key whose scopes are unknown (an
    /// imported key edited in a form with nothing ticked) leaves them unknown: "no scopes" is not what
    /// the user said.
    fn scope_words(&self, entry: &KeyEntry) -> Option<&Vec<String>> {
        self.edit
            .scopes
            .as_ref()
            .filter(|w| !(entry.scopes_unknown && w.iter().all(|x| x.trim().is_empty())))
    }

    /// Whether this edit takes the withdraw or transfer scope from `entry` (and so needs a step-up).
    fn removes_funds(&self, entry: &KeyEntry) -> Result<bool> {
        let Some(words) = self.scope_words(entry) else {
            return Ok(false);
        };
        let (scopes, _) = exchange_of(entry).resolve_scopes(words)?;
        // Setting the scopes of a key whose scopes were unknown (it counted as able to move funds)
        // to ones that cannot is a downgrade too.
        Ok(entry
            .scopes
            .iter()
            .any(|s| s.moves_funds() && !scopes.contains(s))
            || (entry.scopes_unknown && !scopes.iter().any(|s| s.moves_funds())))
    }
}

impl WriteTx<'_> {
    /// Applies `edit` to `entry` (read in this transaction at `generation`) and audits the fields that
    /// changed; nothing is written when none did. `proven`: the passphrase was given again, as
    /// removing the withdraw or transfer scope needs.
    fn apply_edit(
        &mut self,
        mut entry: KeyEntry,
        generation: u64,
        checked: &CheckedEdit,
        proven: bool,
    ) -> Result<KeyEntry> {
        if checked.removes_funds(&entry)? && !proven {
            return Err(Error::StepUpRequired {
                name: entry.name.clone(),
                why: MOVES_FUNDS.into(),
                what: "removing the withdraw or transfer scope".into(),
            });
        }
        let edit = &checked.edit;
        let exchange = exchange_of(&entry);
        let mut changed = Vec::new();
        if let Some(n) = checked.new_name.clone().filter(|n| *n != entry.name) {
            if name_taken(&self.tx, &self.cells, &n, Some(entry.id))? {
                return Err(Error::DuplicateName { name: n });
            }
            changed.push(format!("name: {} → {n}", entry.name));
            entry.name = n;
        }
        if let Some(a) = &edit.account {
            let a = a
                .as_ref()
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty());
            if a != entry.account {
                changed.push("account".to_string());
                entry.account = a;
            }
        }
        if let Some(env) = edit.environment.filter(|e| *e != entry.environment) {
            changed.push(format!("environment: {} → {env}", entry.environment));
            entry.environment = env;
        }
        if let Some(words) = checked.scope_words(&entry) {
            let (scopes, own) = exchange.resolve_scopes(words)?;
            if scopes != entry.scopes || own != entry.exchange_scopes || entry.scopes_unknown {
                let show = |s: &std::collections::BTreeSet<crate::model::Scope>| {
                    or_none(&s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(","))
                };
                changed.push(format!(
                    "scopes: {} → {}",
                    if entry.scopes_unknown {
                        "unknown".to_string()
                    } else {
                        show(&entry.scopes)
                    },
                    show(&scopes)
                ));
                entry.scopes_unknown = false;
                entry.scopes = scopes;
                entry.exchange_scopes = own;
                if entry.scopes_move_funds() {
                    if let Some(v) = entry.versions.last_mut() {
                        v.moves_funds = Some(true);
                    }
                }
            }
        }
        if let Some(ip) = checked.ip.clone().filter(|ip| *ip != entry.ip_allowlist) {
            changed.push(format!(
                "IP allowlist: {} → {}",
                or_none(&entry.ip_allowlist.join(",")),
                or_none(&ip.join(","))
            ));
            entry.ip_allowlist = ip;
        }
        if let Some(exp) = edit.expires_at.filter(|e| *e != entry.expires_at) {
            let show = |d: Option<DateTime<Utc>>| {
                d.map_or("never".to_string(), |d| d.format("%Y-%m-%d").to_string())
            };
            changed.push(format!(
                "expires: {} → {}",
                show(entry.expires_at),
                show(exp)
            ));
            entry.expires_at = exp;
        }
        if let Some(r) = edit.rotation_days.filter(|r| *r != entry.rotation_days) {
            let show =
                |d: Option<u32>| d.map_or("never".to_string(), |d| format!("every {d} days"));
            changed.push(format!(
                "rotation: {} → {}",
                show(entry.rotation_days),
                show(r)
            ));
            entry.rotation_days = r;
        }
        if let Some(t) = checked.tags.clone().filter(|t| *t != entry.tags) {
            changed.push("tags".to_string());
            entry.tags = t;
        }
        if let Some(n) = checked.notes.clone().filter(|n| *n != entry.notes) {
            changed.push("notes".to_string());
            entry.notes = n;
        }
        if let Some(v) = checked.env_names.clone().filter(|v| *v != entry.env_names) {
            let names: Vec<String> = v
                .iter()
                .map(|(field, name)| format!("{}={name}", field.as_str()))
                .collect();
            changed.push(format!("run variables: {}", or_none(&names.join(","))));
            entry.env_names = v;
        }
        if let Some(u) = checked.used_by.clone().filter(|u| *u != entry.used_by) {
            let show = |u: &[crate::model::KeyUser]| {
                or_none(
                    &u.iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                )
            };
            changed.push(format!("used by: {} → {}", show(&entry.used_by), show(&u)));
            entry.used_by = u;
        }
        if let Some(c) = edit.scheduled_check.filter(|c| *c != entry.scheduled_check) {
            let show = |c: Option<bool>| match c {
                Some(true) => "always",
                Some(false) => "never",
                None => "as the app's setting says",
            };
            changed.push(format!(
                "scheduled checks: {} → {}",
                show(entry.scheduled_check),
                show(c)
            ));
            entry.scheduled_check = c;
        }
        if changed.is_empty() {
            return Ok(entry);
        }
        entry.updated_at = self.now;
        self.put_entry(&entry, Some(generation), None)?;
        self.audit(
            AuditAction::KeyEdited,
            Some(&entry),
            Some(changed.join("; ")),
        )?;
        Ok(entry)
    }

    /// Sets `entry`'s status (read in this transaction at `generation`), with its audit event. A key
    /// already in that status is refused.
    fn apply_status(
        &mut self,
        mut entry: KeyEntry,
        generation: u64,
        status: KeyStatus,
        reason: &Option<String>,
    ) -> Result<KeyEntry> {
        if entry.status == status {
            return Err(Error::NotActive {
                name: entry.name.clone(),
                status: status.to_string(),
                hint: "nothing to change".into(),
            });
        }
        let action = match status {
            KeyStatus::Revoked => AuditAction::KeyRevoked,
            KeyStatus::Compromised => AuditAction::KeyCompromised,
            KeyStatus::Active => AuditAction::KeyEdited,
        };
        let detail = format!("status: {} → {status}", entry.status)
            + &reason
                .as_ref()
                .map(|r| format!("; reason: {r}"))
                .unwrap_or_default();
        entry.status = status;
        entry.status_reason = reason.clone();
        entry.status_changed_at = Some(self.now);
        entry.updated_at = self.now;
        self.put_entry(&entry, Some(generation), None)?;
        self.audit(action, Some(&entry), Some(detail))?;
        Ok(entry)
    }
}
