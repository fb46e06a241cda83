//! Two-vault harness for the share tests: a vault kept open in its own folder (`Desk`), Alice and Bob as
//! each other's contacts, age encryption of hand-made payloads, and the documents such payloads hold.

use super::{fields_for as fields, start, PASS};
use keystead_core::vault::OpenOptions;
use keystead_core::{
    AuditAction, CredentialField, FixedClock, KdfParams, NewKey, ShareExport, Vault,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::io::Write;
use std::sync::Arc;
use tempfile::TempDir;

/// One vault in its own temporary folder, kept open for the whole test.
pub struct Desk {
    pub dir: TempDir,
    pub vault: Vault,
    pub clock: Arc<FixedClock>,
}

impl Desk {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(FixedClock::new(start()));
        let vault = Vault::create(
            &dir.path().join("vault.db"),
            &SecretString::from(PASS),
            KdfParams::FLOOR,
            OpenOptions::new(clock.clone(), "test"),
        )
        .unwrap();
        Desk { dir, vault, clock }
    }

    pub fn sharing_key(&mut self) -> String {
        self.vault.sharing_key().unwrap().sharing_key
    }

    pub fn add(&mut self, name: &str, exchange: &str, scopes: &[&str], tag: &str) {
        let new = NewKey {
            name: name.into(),
            exchange: exchange.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ip_allowlist: vec!["203.0.113.7".into()],
            rotation_days: Some(90),
            tags: vec!["bots".into()],
            notes: format!("{name} notes"),
            ..NewKey::default()
        };
        self.vault.add(new, fields(exchange, tag)).unwrap();
    }

    pub fn secret(&mut self, name: &str, field: CredentialField) -> String {
        self.vault
            .reveal(name, field, None, Some(&SecretString::from(PASS)))
            .unwrap()
            .expose_secret()
            .to_string()
    }

    pub fn export(&mut self, keys: &[&str], to: &[&str]) -> Vec<u8> {
        self.vault
            .share_export(&ShareExport {
                keys: keys.iter().map(|s| s.to_string()).collect(),
                to: to.iter().map(|s| s.to_string()).collect(),
                ..ShareExport::default()
            })
            .unwrap()
            .bytes
    }

    /// What must not change when an import is refused: the commit counter and every key's metadata.
    pub fn snapshot(&self) -> (u64, String) {
        (
            self.vault.commit_counter().unwrap(),
            serde_json::to_string(&self.vault.list().unwrap()).unwrap(),
        )
    }

    pub fn actions(&self) -> Vec<AuditAction> {
        self.vault
            .audit_log()
            .unwrap()
            .into_iter()
            .map(|r| r.event.action)
            .collect()
    }

    pub fn last_detail(&self, action: AuditAction) -> String {
        self.vault
            .audit_log()
            .unwrap()
            .into_iter()
            .rev()
            .find(|r| r.event.action == action)
            .and_then(|r| r.event.detail)
            .unwrap_or_else(|| panic!("no {action} event"))
    }
}

/// Alice and Bob, each with a vault, each the other's contact.
pub fn alice_and_bob() -> (Desk, Desk) {
    let (mut a, mut b) = (Desk::new(), Desk::new());
    let (ka, kb) = (a.sharing_key(), b.sharing_key());
    a.vault.add_contact("bob", &kb).unwrap();
    b.vault.add_contact("alice", &ka).unwrap();
    (a, b)
}

pub fn import_defaults(b: &mut Desk, file: &[u8]) -> keystead_core::ShareImportSummary {
    let opened = b.vault.share_open(file, None).unwrap();
    let preview = b.vault.share_preview(&opened).unwrap();
    b.vault
        .share_apply(&opened, &preview.default_choices())
        .unwrap()
}

/// Encrypts any bytes to an age recipient, as the `age` tool would.
pub fn age_encrypt(plain: &[u8], recipient: &str) -> Vec<u8> {
    let r: age::x25519::Recipient = recipient.parse().unwrap();
    let enc = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient)).unwrap();
    let mut out = Vec::new();
    let mut w = enc.wrap_output(&mut out).unwrap();
    w.write_all(plain).unwrap();
    w.finish().unwrap();
    out
}

/// A signed document as Alice's vault writes it for `also` (contact names) and an age identity made here,
/// in plaintext, read back with that identity.
pub fn signed_document(a: &mut Desk, also: &[&str]) -> String {
    let reader = age::x25519::Identity::generate();
    let public = reader.to_public().to_string();
    let mut to = vec![public.as_str()];
    to.extend_from_slice(also);
    let file = a.export(&["k"], &to);
    let d = age::Decryptor::new(&file[..]).unwrap();
    let mut r = d
        .decrypt(std::iter::once(&reader as &dyn age::Identity))
        .unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut r, &mut text).unwrap();
    text
}

pub fn doc(entries: Value) -> Value {
    json!({"format": "keystead-share", "version": 1, "payload": {"entries": entries}})
}

pub fn entry() -> Value {
    json!({"name": "hand", "exchange": "binance", "scopes": ["read"],
           "secrets": {"apiKey": "AK", "secret": "SK"}})
}

pub fn with(field: &str, value: Value) -> Value {
    let mut e = entry();
    e[field] = value;
    doc(json!([e]))
}

pub fn without(field: &str) -> Value {
    let mut e = entry();
    e.as_object_mut().unwrap().remove(field);
    doc(json!([e]))
}
