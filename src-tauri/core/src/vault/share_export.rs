//! Exporting keys into a share file: recipients resolved, withdraw-enabled keys confirmed and stepped up, one audit
//! event per key shared.

use super::contacts::{find_contact, looks_like_key, read_contacts};
use super::index::find_row;
use super::passphrase::check_passphrase;
use super::Vault;
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::model::{KeyEntry, KeyStatus};
use crate::parse;
use crate::secret::SecretFields;
use crate::share::{
    self, ExportedShare, Seal, ShareExport, ShareExportSummary, SharingKey, WireEntryOut,
};
use secrecy::ExposeSecret;
use std::path::PathBuf;

/// A stored key and its secrets as a share document's entry (also a team vault's entry file).
pub(super) fn wire_entry<'a>(e: &'a KeyEntry, s: &'a SecretFields) -> WireEntryOut<'a> {
    WireEntryOut {
        id: e.id,
        name: &e.name,
        exchange: &e.exchange,
        account: e.account.as_deref(),
        environment: e.environment,
        scopes: e.scopes.iter().map(|s| s.as_str()).collect(),
        exchange_scopes: &e.exchange_scopes,
        ip_allowlist: &e.ip_allowlist,
        expires_at: e.expires_at,
        rotation_days: e.rotation_days,
        tags: &e.tags,
        notes: &e.notes,
        secrets: s
            .iter()
            .map(|(f, v)| (f.as_str(), v.expose_secret()))
            .collect(),
    }
}

impl Vault {
    /// The files a share export must never replace: this vault and its SQLite `-wal` and `-shm`. The
    /// app adds its settings file.
    pub fn share_protected_files(&self) -> Vec<PathBuf> {
        super::own_files(self.path())
    }

    /// Writes the chosen keys into a share file, in memory: signed by this vault, encrypted to the
    /// recipients (contacts by name, age1… keys) or to a passphrase alone. Keys with the withdraw scope
    /// are refused unless confirmed one by one. Audited (which keys, to whom) in the same transaction;
    /// nothing is written to disk here (see [`share::write_file`]).
    pub fn share_export(&mut self, req: &ShareExport) -> Result<ExportedShare> {
        let to: Vec<&str> = req
            .to
            .iter()
            .flat_map(|t| t.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        let names: Vec<&str> = req
            .keys
            .iter()
            .flat_map(|t| t.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        if names.is_empty() {
            return Err(Error::NoKeysChosen);
        }
        match (&req.passphrase, to.is_empty()) {
            (Some(_), false) => return Err(Error::RecipientsAndPassphrase),
            (None, true) => return Err(Error::NoRecipient),
            (Some(p), true) => check_passphrase(p)?,
            (None, false) => {}
        }
        let sender_name = req
            .sender_name
            .as_deref()
            .map(|n| parse::text("sender name", n.trim(), 128))
            .transpose()?
            .filter(|n| !n.is_empty());
        // Before anything leaves, and before the passphrase is asked: every chosen key that can move
        // funds confirmed by name, then one step-up covering them all (an unknown name fails again, with
        // its own error, below; the transaction checks both rules once more on what it reads).
        let confirmed = |e: &KeyEntry| {
            req.confirm_withdraw
                .iter()
                .flat_map(|t| t.split(','))
                .map(str::trim)
                .any(|c| c.eq_ignore_ascii_case(&e.name) || c == e.id.to_string())
        };
        let unconfirmed = |chosen: &mut dyn Iterator<Item = &KeyEntry>| -> Result<()> {
            let names: Vec<&str> = chosen
                .filter(|e| e.version_moves_funds(None) && !confirmed(e))
                .map(|e| e.name.as_str())
                .collect();
            if names.is_empty() {
                Ok(())
            } else {
                Err(Error::WithdrawNotConfirmed {
                    names: names.join(","),
                })
            }
        };
        let found: Vec<KeyEntry> = names.iter().filter_map(|n| self.find(n).ok()).collect();
        unconfirmed(&mut found.iter())?;
        let needed = found.iter().find(|e| e.release_needs_step_up(None, None));
        let proven = needed.is_some();
        if let Some(e) = needed {
            let name = e.name.clone();
            let why = e.step_up_why(None);
            self.step_up(&name, true, why, "sharing it", req.step_up.as_ref())?;
        }
        self.write(|tx| {
            let identity = tx.sharing_identity(true)?;
            let contacts = read_contacts(&tx.tx, &tx.cells)?;

            // Recipients, described the way the audit log and the payload name them.
            let mut keys: Vec<SharingKey> = Vec::new();
            let mut described: Vec<String> = Vec::new();
            for word in &to {
                let (key, description) = if looks_like_key(word) {
                    let key = SharingKey::parse(word)?;
                    let known = contacts.iter().find(|(c, _)| {
                        c.key()
                            .is_ok_and(|k| k.age_recipient() == key.age_recipient())
                    });
                    let d = match known {
                        Some((c, _)) => format!("contact {} ({})", c.name, key.fingerprint()),
                        None => key.age_recipient().to_string(),
                    };
                    (key, d)
                } else {
                    let (c, _) = find_contact(contacts.clone(), word)?;
                    let key = c.key()?;
                    let d = format!("contact {} ({})", c.name, key.fingerprint());
                    (key, d)
                };
                if !keys
                    .iter()
                    .any(|k| k.age_recipient() == key.age_recipient())
                {
                    keys.push(key);
                    described.push(description);
                }
            }
            if req.passphrase.is_some() {
                described.push("passphrase".into());
            }

            // Keys, each once, active, and withdraw-enabled ones confirmed by name.
            let mut chosen: Vec<(KeyEntry, u64)> = Vec::new();
            for name in &names {
                let (e, g) = find_row(&tx.tx, &tx.cells, name)?;
                if e.status != KeyStatus::Active {
                    return Err(Error::NotActive {
                        name: e.name.clone(),
                        status: e.status.to_string(),
                        hint: "only active keys are shared".into(),
                    });
                }
                if e.release_needs_step_up(None, None) && !proven {
                    return Err(Error::StepUpRequired {
                        name: e.name.clone(),
                        why: e.step_up_why(None).into(),
                        what: "sharing it".into(),
                    });
                }
                if !chosen.iter().any(|(c, _)| c.id == e.id) {
                    chosen.push((e, g));
                }
            }
            unconfirmed(&mut chosen.iter().map(|(e, _)| e))?;

            let secrets: Vec<SecretFields> = chosen
                .iter()
                .map(|(e, g)| tx.secrets_of(e, *g).map(|(s, _)| s))
                .collect::<Result<_>>()?;
            let wire: Vec<WireEntryOut<'_>> = chosen
                .iter()
                .zip(&secrets)
                .map(|((e, _), s)| wire_entry(e, s))
                .collect();
            // The sharing keys the file is encrypted to, signed with it (none for a passphrase file).
            let recipients: Vec<String> = match &req.passphrase {
                Some(_) => Vec::new(),
                None => keys.iter().map(|k| k.age_recipient().to_string()).collect(),
            };
            let document = share::build_document(
                &identity,
                sender_name.as_deref(),
                tx.now,
                &described,
                &recipients,
                &wire,
                None,
            )?;
            let seal = match &req.passphrase {
                Some(p) => Seal::Passphrase {
                    passphrase: p,
                    work_factor: req.scrypt_work_factor,
                },
                None => Seal::Recipients(&keys),
            };
            let bytes = share::encrypt(&document, seal, req.armor)?;

            let key_names: Vec<String> = chosen.iter().map(|(e, _)| e.name.clone()).collect();
            let withdraw: Vec<&str> = chosen
                .iter()
                .filter(|(e, _)| e.version_moves_funds(None))
                .map(|(e, _)| e.name.as_str())
                .collect();
            let mut detail = format!(
                "keys: {}; to: {}",
                key_names.join(", "),
                described.join(", ")
            );
            if !withdraw.is_empty() {
                detail += &format!(
                    "; withdraw confirmed and passphrase given again for: {}",
                    withdraw.join(", ")
                );
            }
            // One event per key, so each key's own history shows that its secrets left the vault.
            for (entry, _) in &chosen {
                tx.audit(
                    AuditAction::ShareExported,
                    Some(entry),
                    Some(detail.clone()),
                )?;
            }
            Ok(ExportedShare {
                summary: ShareExportSummary {
                    keys: key_names,
                    recipients: described,
                    armored: req.armor,
                    bytes: bytes.len() as u64,
                },
                bytes,
            })
        })
    }
}
