//! The vault's side of sharing (issue 5): its sharing identity, contacts, export and import. The file
//! format, encryption and signature live in [`crate::share`]; here every change and its audit event go
//! through [`Vault::write`], in one transaction.

use super::{
    contact_row, find_in, read_entries, read_secrets, xor_into, Cells, CheckedKey, History, Vault,
    WriteTx, IDENTITY_ROW,
};
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::model::{KeyEntry, KeyStatus, Scope, SecretVersionInfo};
use crate::parse;
use crate::secret::SecretFields;
use crate::share::{
    self, Contact, ExportedShare, ImportChoice, OpenedShare, Seal, ShareEntryStatus, ShareExport,
    ShareExportSummary, ShareIdentity, ShareImportSummary, SharePreview, SharePreviewEntry,
    ShareSender, SharedKey, SharingKey, SharingKeyInfo, WireEntryOut,
};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A contact as sealed in its row.
#[derive(Clone, Serialize, Deserialize)]
struct ContactRecord {
    id: Uuid,
    name: String,
    key: String,
    added_at: DateTime<Utc>,
}

impl ContactRecord {
    fn key(&self) -> Result<SharingKey> {
        SharingKey::parse(&self.key)
            .map_err(|_| Error::damaged(format!("contact record {} holds an invalid key", self.id)))
    }

    fn to_contact(&self) -> Result<Contact> {
        let key = self.key()?;
        Ok(Contact {
            id: self.id,
            name: self.name.clone(),
            sharing_key: key.to_string(),
            age_recipient: key.age_recipient().to_string(),
            can_verify: key.can_verify(),
            fingerprint: key.fingerprint(),
            added_at: self.added_at,
        })
    }
}

fn read_identity(conn: &Connection, cells: &Cells<'_>) -> Result<Option<ShareIdentity>> {
    let row: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT generation, secret FROM sharing_identity WHERE singleton = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((generation, sealed)) = row else {
        return Ok(None);
    };
    let plain = cells.open(
        "sharing_identity",
        "1",
        "secret",
        generation as u64,
        &sealed,
    )?;
    ShareIdentity::from_sealed_json(&plain)
        .map(Some)
        .ok_or_else(|| Error::damaged("the sharing identity is unreadable"))
}

/// Every contact with its row generation, sorted by name.
fn read_contacts(conn: &Connection, cells: &Cells<'_>) -> Result<Vec<(ContactRecord, u64)>> {
    let mut stmt = conn.prepare("SELECT id, generation, record FROM contacts")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)? as u64,
            r.get::<_, Vec<u8>>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, generation, sealed) = row?;
        let plain = cells.open("contacts", &id, "record", generation, &sealed)?;
        let record: ContactRecord = serde_json::from_slice(&plain)
            .map_err(|e| Error::damaged(format!("contact record {id} is unreadable ({e})")))?;
        if record.id.to_string() != id {
            return Err(Error::damaged(format!(
                "contact record {id} holds another contact"
            )));
        }
        out.push((record, generation));
    }
    out.sort_by_cached_key(|(c, _)| (c.name.to_lowercase(), c.name.clone()));
    Ok(out)
}

/// Finds a contact by exact name, then by name ignoring case.
fn find_contact(contacts: Vec<(ContactRecord, u64)>, name: &str) -> Result<(ContactRecord, u64)> {
    let wanted = name.trim();
    let hint = if contacts.is_empty() {
        "you have no contacts yet; add one with `keystead contacts add NAME KEY`".to_string()
    } else {
        format!(
            "your contacts are {}",
            contacts
                .iter()
                .map(|(c, _)| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let pos = contacts
        .iter()
        .position(|(c, _)| c.name == wanted)
        .or_else(|| {
            contacts
                .iter()
                .position(|(c, _)| c.name.eq_ignore_ascii_case(wanted))
        });
    match pos {
        Some(i) => Ok(contacts.into_iter().nth(i).expect("index from position")),
        None => Err(Error::ContactNotFound {
            name: wanted.to_string(),
            hint,
        }),
    }
}

fn contact_name(text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::input(
            "the contact name is empty: give a name such as alice",
        ));
    }
    if t.chars().count() > 64 || t.chars().any(char::is_control) {
        return Err(Error::input(
            "a contact name is at most 64 printable characters: choose a shorter name",
        ));
    }
    // A name must never read as a key, or `--to` could not tell them apart.
    if t.to_ascii_lowercase().starts_with("age1") || t.starts_with(share::SHARING_KEY_PREFIX) {
        return Err(Error::input(
            "a contact name cannot start with age1 or keystead-share1: choose a name such as alice",
        ));
    }
    Ok(t.to_string())
}

/// Whether a `--to` word is a key rather than a contact name.
fn looks_like_key(text: &str) -> bool {
    let t = text.trim();
    t.to_ascii_lowercase().starts_with("age1") || t.starts_with(share::SHARING_KEY_PREFIX)
}

fn secrets_equal(a: &SecretFields, b: &SecretFields) -> bool {
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
struct Classified {
    status: ShareEntryStatus,
    /// The stored key it matches by id (new/identical/changed) or by name (conflicting).
    existing: Option<(KeyEntry, u64)>,
    changed_fields: Vec<String>,
    secrets_changed: bool,
}

fn classify(
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
fn sender_of(opened: &OpenedShare, contacts: &[(ContactRecord, u64)]) -> ShareSender {
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

/// "name (imported)", "name (imported 2)", … : the first name no key has, within the name length limit.
fn keep_both_name(name: &str, entries: &[(KeyEntry, u64)]) -> String {
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
    /// This vault's public sharing key, to give teammates. Makes the sharing identity first if the vault
    /// predates sharing (audited as `sharing_identity_created`).
    pub fn sharing_key(&mut self) -> Result<SharingKeyInfo> {
        let identity = self.sharing_identity()?;
        Ok(SharingKeyInfo::from(&identity.sharing_key()))
    }

    /// The sharing identity, made on first use for a vault from before sharing.
    pub fn sharing_identity(&mut self) -> Result<ShareIdentity> {
        if let Some(identity) = read_identity(&self.conn, &self.cells())? {
            return Ok(identity);
        }
        self.write(|tx| tx.sharing_identity(true))
    }

    /// Every contact, sorted by name.
    pub fn contacts(&self) -> Result<Vec<Contact>> {
        read_contacts(&self.conn, &self.cells())?
            .iter()
            .map(|(c, _)| c.to_contact())
            .collect()
    }

    /// Adds a contact from the sharing key they gave you (or a plain age1… key, then files from them
    /// cannot be attributed). Refuses a name or key already used, and this vault's own key.
    pub fn add_contact(&mut self, name: &str, key: &str) -> Result<Contact> {
        let name = contact_name(name)?;
        let key = SharingKey::parse(key)?;
        let own = self.sharing_identity()?.sharing_key();
        if own.age_recipient() == key.age_recipient() {
            return Err(Error::DuplicateContact {
                message: "that is this vault's own sharing key: add the key a teammate gives you"
                    .into(),
            });
        }
        self.write(|tx| {
            let contacts = read_contacts(&tx.tx, &tx.cells)?;
            for (c, _) in &contacts {
                if c.name.eq_ignore_ascii_case(&name) {
                    return Err(Error::DuplicateContact {
                        message: format!(
                            "a contact named '{}' already exists: choose another name, or remove or rename that contact first",
                            c.name
                        ),
                    });
                }
                let theirs = c.key()?;
                if theirs.age_recipient() == key.age_recipient()
                    || (theirs.signing_key_bytes().is_some()
                        && theirs.signing_key_bytes() == key.signing_key_bytes())
                {
                    return Err(Error::DuplicateContact {
                        message: format!(
                            "this sharing key is already your contact '{}': rename that contact if the name is wrong",
                            c.name
                        ),
                    });
                }
            }
            let record = ContactRecord {
                id: tx.new_key_id(),
                name: name.clone(),
                key: key.to_string(),
                added_at: tx.now,
            };
            tx.put_contact(&record, None)?;
            let detail = format!(
                "{name}, fingerprint {}{}",
                key.fingerprint(),
                if key.can_verify() {
                    ""
                } else {
                    " (age key only: files from them are not attributed)"
                }
            );
            tx.audit(AuditAction::ContactAdded, None, Some(detail))?;
            record.to_contact()
        })
    }

    /// Renames a contact.
    pub fn rename_contact(&mut self, old: &str, new: &str) -> Result<Contact> {
        let new = contact_name(new)?;
        self.write(|tx| {
            let contacts = read_contacts(&tx.tx, &tx.cells)?;
            let (mut record, generation) = find_contact(contacts.clone(), old)?;
            if contacts
                .iter()
                .any(|(c, _)| c.id != record.id && c.name.eq_ignore_ascii_case(&new))
            {
                return Err(Error::DuplicateContact {
                    message: format!("a contact named '{new}' already exists: choose another name"),
                });
            }
            let detail = format!("{} → {new}", record.name);
            record.name = new.clone();
            tx.put_contact(&record, Some(generation))?;
            tx.audit(AuditAction::ContactRenamed, None, Some(detail))?;
            record.to_contact()
        })
    }

    /// Removes a contact. Keys shared with them before stay shared: remove a contact and rotate the keys
    /// they had when someone leaves the team.
    pub fn remove_contact(&mut self, name: &str) -> Result<Contact> {
        self.write(|tx| {
            let (record, generation) = find_contact(read_contacts(&tx.tx, &tx.cells)?, name)?;
            let contact = record.to_contact()?;
            tx.tx.execute(
                "DELETE FROM contacts WHERE id = ?1",
                [record.id.to_string()],
            )?;
            xor_into(
                &mut tx.state.entries_digest,
                &tx.cells
                    .row_digest(&contact_row(&record.id.to_string()), generation),
            );
            tx.audit(
                AuditAction::ContactRemoved,
                None,
                Some(format!(
                    "{}, fingerprint {}",
                    contact.name, contact.fingerprint
                )),
            )?;
            Ok(contact)
        })
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
            return Err(Error::input(
                "no key chosen: name the keys to share, e.g. --keys binance-main,okx-bot",
            ));
        }
        match (&req.passphrase, to.is_empty()) {
            (Some(_), false) => {
                return Err(Error::input(
                    "a share file is protected either by recipients or by a passphrase, not both (the age format requires the passphrase alone): drop --to or --passphrase",
                ))
            }
            (None, true) => {
                return Err(Error::input(
                    "no recipient: name contacts or age1… keys (--to alice,bob), or protect the file with a passphrase",
                ))
            }
            (Some(p), true) => super::check_passphrase(p)?,
            (None, false) => {}
        }
        let sender_name = req
            .sender_name
            .as_deref()
            .map(|n| parse::text("sender name", n.trim(), 128))
            .transpose()?
            .filter(|n| !n.is_empty());
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
            let all = read_entries(&tx.tx, &tx.cells)?;
            let mut chosen: Vec<(KeyEntry, u64)> = Vec::new();
            for name in &names {
                let (e, g) = find_in(all.clone(), name)?;
                if e.status != KeyStatus::Active {
                    return Err(Error::NotActive {
                        name: e.name.clone(),
                        status: e.status.to_string(),
                        hint: "only active keys are shared".into(),
                    });
                }
                if !chosen.iter().any(|(c, _)| c.id == e.id) {
                    chosen.push((e, g));
                }
            }
            let confirmed = |e: &KeyEntry| {
                req.confirm_withdraw
                    .iter()
                    .flat_map(|t| t.split(','))
                    .map(str::trim)
                    .any(|c| c.eq_ignore_ascii_case(&e.name) || c == e.id.to_string())
            };
            let unconfirmed: Vec<&str> = chosen
                .iter()
                .filter(|(e, _)| e.scopes.contains(&Scope::Withdraw) && !confirmed(e))
                .map(|(e, _)| e.name.as_str())
                .collect();
            if !unconfirmed.is_empty() {
                return Err(Error::WithdrawNotConfirmed {
                    names: unconfirmed.join(","),
                });
            }

            let secrets: Vec<SecretFields> = chosen
                .iter()
                .map(|(e, g)| tx.secrets_of(e, *g).map(|(s, _)| s))
                .collect::<Result<_>>()?;
            let wire: Vec<WireEntryOut<'_>> = chosen
                .iter()
                .zip(&secrets)
                .map(|((e, _), s)| WireEntryOut {
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
                })
                .collect();
            let document = share::build_document(
                &identity,
                sender_name.as_deref(),
                tx.now,
                &described,
                &wire,
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
                .filter(|(e, _)| e.scopes.contains(&Scope::Withdraw))
                .map(|(e, _)| e.name.as_str())
                .collect();
            let mut detail = format!(
                "keys: {}; to: {}",
                key_names.join(", "),
                described.join(", ")
            );
            if !withdraw.is_empty() {
                detail += &format!("; withdraw confirmed for: {}", withdraw.join(", "));
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
        match &sender {
            ShareSender::Contact { .. } => {}
            ShareSender::UnknownSender { fingerprint, claimed_name, .. } => warnings.push(format!(
                "signed by a sharing key that is not one of your contacts (fingerprint {fingerprint}{}): compare the fingerprint with the sender before you import, and add them as a contact if it matches",
                claimed_name.as_ref().map(|n| format!(", claims to be {n}")).unwrap_or_default()
            )),
            ShareSender::Unsigned => warnings.push(
                "the file is unsigned: it does not say who made it, and anyone who knows your sharing key could have. Import it only if you expected it".into(),
            ),
        }
        let mut out = Vec::with_capacity(opened.entries.len());
        for (i, shared) in opened.entries.iter().enumerate() {
            let c = classify(&self.conn, &cells, &entries, shared)?;
            let checked = &shared.checked;
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
                default_choice: ImportChoice::default_for(c.status),
            });
        }
        Ok(SharePreview {
            sender,
            exported_at: opened.exported_at,
            to: opened.to.clone(),
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
            tx.audit(AuditAction::ShareImported, None, Some(detail))?;
            Ok(summary)
        })
    }
}

impl WriteTx<'_> {
    /// The sharing identity, made now if the vault has none (audited when `audit` is set).
    pub(super) fn sharing_identity(&mut self, audit: bool) -> Result<ShareIdentity> {
        if let Some(identity) = read_identity(&self.tx, &self.cells)? {
            return Ok(identity);
        }
        let identity = ShareIdentity::generate();
        let sealed = self.cells.seal(
            "sharing_identity",
            "1",
            "secret",
            1,
            &identity.to_sealed_json(),
        );
        self.tx.execute(
            "INSERT INTO sharing_identity (singleton, generation, secret) VALUES (1, 1, ?1)",
            params![sealed],
        )?;
        xor_into(
            &mut self.state.entries_digest,
            &self.cells.row_digest(IDENTITY_ROW, 1),
        );
        if audit {
            let fingerprint = identity.sharing_key().fingerprint();
            self.audit(
                AuditAction::SharingIdentityCreated,
                None,
                Some(format!("fingerprint {fingerprint}")),
            )?;
        }
        Ok(identity)
    }

    fn put_contact(&mut self, record: &ContactRecord, old_generation: Option<u64>) -> Result<()> {
        let id = record.id.to_string();
        let generation = old_generation.map_or(1, |g| g + 1);
        let plain = serde_json::to_vec(record).map_err(|e| Error::Storage(e.to_string()))?;
        let sealed = self
            .cells
            .seal("contacts", &id, "record", generation, &plain);
        self.tx.execute(
            "INSERT INTO contacts (id, generation, record) VALUES (?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET generation = excluded.generation, record = excluded.record",
            params![id, generation as i64, sealed],
        )?;
        let row = contact_row(&id);
        self.move_row_digest(&row, old_generation, generation);
        Ok(())
    }

    /// Adds a shared key as a new key of this vault.
    fn import_new(&mut self, shared: &SharedKey, id: Uuid, name: String) -> Result<KeyEntry> {
        if read_entries(&self.tx, &self.cells)?
            .iter()
            .any(|(e, _)| e.name.eq_ignore_ascii_case(&name))
        {
            return Err(Error::DuplicateName { name });
        }
        let entry = self.new_entry(&shared.checked, id, name, &shared.secrets);
        self.put_entry(&entry, None, Some((&shared.secrets, &History::new())))?;
        Ok(entry)
    }

    /// Overwrites a stored key with a shared one: its metadata, and its secrets as a new version when they
    /// differ (the old version stays in the history, with the reason "imported from …").
    fn import_replace(
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
        entry.ip_allowlist = c.ip_allowlist.clone();
        entry.expires_at = c.expires_at;
        entry.rotation_days = c.rotation_days;
        entry.tags = c.tags.clone();
        entry.notes = c.notes.clone();
        entry.updated_at = self.now;
        let secrets = if secrets_equal(&old, &shared.secrets) {
            old
        } else {
            let now = self.now;
            let version = entry.versions.last().map_or(1, |v| v.version);
            history.insert(version, old);
            if let Some(v) = entry.versions.last_mut() {
                v.retired_at = Some(now);
                v.reason = Some(format!("imported from {from}"));
            }
            entry.versions.push(SecretVersionInfo {
                version: version + 1,
                fields: shared.secrets.fields(),
                created_at: now,
                retired_at: None,
                reason: None,
            });
            entry.last_rotated_at = Some(now);
            entry.fingerprints = self.fingerprints(&shared.secrets);
            shared.secrets.clone()
        };
        self.put_entry(&entry, Some(generation), Some((&secrets, &history)))?;
        Ok((entry, generation + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::KdfParams;
    use crate::vault::OpenOptions;
    use crate::FixedClock;
    use std::sync::Arc;

    fn opts() -> OpenOptions {
        OpenOptions::new(Arc::new(FixedClock::new(chrono::Utc::now())), "test")
    }

    #[test]
    fn a_vault_from_before_sharing_is_migrated_and_gets_its_identity_on_first_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let pass = SecretString::from("correct horse battery staple");
        let mut v = Vault::create(&path, &pass, KdfParams::FLOOR, opts()).unwrap();
        // Make it what a schema-2 vault is: no sharing tables, no identity (and the digest without it).
        v.write(|tx| {
            tx.tx
                .execute_batch("DROP TABLE sharing_identity; DROP TABLE contacts;")?;
            xor_into(
                &mut tx.state.entries_digest,
                &tx.cells.row_digest(IDENTITY_ROW, 1),
            );
            Ok(())
        })
        .unwrap();
        v.conn.pragma_update(None, "user_version", 2).unwrap();
        drop(v);

        let mut v = Vault::unlock(&path, &pass, opts()).unwrap();
        assert!(v.warnings().is_empty(), "{:?}", v.warnings());
        let version: i64 = v
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 3);
        assert!(v.contacts().unwrap().is_empty());
        let key = v.sharing_key().unwrap();
        assert_eq!(v.sharing_key().unwrap(), key, "made once, then kept");
        let events: Vec<_> = v
            .audit_log()
            .unwrap()
            .into_iter()
            .filter(|r| r.event.action == AuditAction::SharingIdentityCreated)
            .collect();
        assert_eq!(events.len(), 1);
        assert!(events[0]
            .event
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains(&key.fingerprint));
        drop(v);
        let v = Vault::unlock(&path, &pass, opts()).unwrap();
        assert!(v.warnings().is_empty(), "{:?}", v.warnings());
        assert!(v.verify_audit().unwrap().intact());
        // The secret parts are sealed: neither the age secret key nor its prefix is in the file.
        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.windows(15).any(|w| w == b"AGE-SECRET-KEY-"));
    }
}
