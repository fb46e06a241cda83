//! The vault's sharing identity (made with the vault, or on first use for an older one) and its
//! contacts: the teammates whose sharing keys it knows, sealed like keys.

use super::cells::{contact_row, sealed_row, xor_into, Cells, IDENTITY_ROW};
use super::{Vault, WriteTx};
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::share::{self, Contact, ShareIdentity, SharingKey, SharingKeyInfo};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A contact as sealed in its row.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct ContactRecord {
    pub(super) id: Uuid,
    pub(super) name: String,
    pub(super) key: String,
    pub(super) added_at: DateTime<Utc>,
}

impl ContactRecord {
    pub(super) fn key(&self) -> Result<SharingKey> {
        SharingKey::parse(&self.key)
            .map_err(|_| Error::damaged(format!("contact record {} holds an invalid key", self.id)))
    }

    pub(super) fn to_contact(&self) -> Result<Contact> {
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

pub(super) fn read_identity(conn: &Connection, cells: &Cells<'_>) -> Result<Option<ShareIdentity>> {
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
pub(super) fn read_contacts(
    conn: &Connection,
    cells: &Cells<'_>,
) -> Result<Vec<(ContactRecord, u64)>> {
    let mut stmt = conn.prepare("SELECT id, generation, record FROM contacts")?;
    let rows = stmt.query_map([], sealed_row)?;
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
pub(super) fn find_contact(
    contacts: Vec<(ContactRecord, u64)>,
    name: &str,
) -> Result<(ContactRecord, u64)> {
    let wanted = name.trim();
    if contacts.is_empty() {
        return Err(Error::NoContacts {
            name: wanted.to_string(),
        });
    }
    let hint = format!(
        "your contacts are {}",
        contacts
            .iter()
            .map(|(c, _)| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
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

pub(super) fn contact_name(text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::input(
            "the contact name is empty: give a name such as alice",
        ));
    }
    if t.chars().count() > 64 || crate::parse::has_control_or_bidi(t) {
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
pub(super) fn looks_like_key(text: &str) -> bool {
    let t = text.trim();
    t.to_ascii_lowercase().starts_with("age1") || t.starts_with(share::SHARING_KEY_PREFIX)
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::crypto::KdfParams;
    use crate::vault::OpenOptions;
    use secrecy::SecretString;
    use std::sync::Arc;

    fn opts() -> OpenOptions {
        OpenOptions::new(Arc::new(FixedClock::new(chrono::Utc::now())), "test")
    }

    #[test]
    fn contact_names_refuse_control_and_text_direction_characters() {
        assert_eq!(contact_name(" alice ").unwrap(), "alice");
        for bad in [
            "al\x1b]0;x\x07ice",
            "bob\u{9b}",
            "eve\u{202e}",
            "a\u{2067}b",
            "a\u{200e}",
        ] {
            assert!(contact_name(bad).is_err(), "{bad:?} accepted");
        }
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
        assert_eq!(version, crate::vault::SCHEMA_VERSION);
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
