//! Share files between real vaults in temporary folders: export, preview, apply, and hostile files.

use keystead_core::share;
use keystead_core::vault::OpenOptions;
use keystead_core::{
    AuditAction, CredentialField, Error, FixedClock, ImportChoice, KdfParams, KeyEdit, NewKey,
    OpenedShare, ShareEntryStatus, ShareExport, ShareSender, Vault,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::io::Write;
use std::sync::Arc;
use tempfile::TempDir;

mod common;

use common::{fields_for as fields, start, PASS};

/// One vault in its own temporary folder, kept open for the whole test.
struct Desk {
    dir: TempDir,
    vault: Vault,
    clock: Arc<FixedClock>,
}

impl Desk {
    fn new() -> Self {
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

    fn sharing_key(&mut self) -> String {
        self.vault.sharing_key().unwrap().sharing_key
    }

    fn add(&mut self, name: &str, exchange: &str, scopes: &[&str], tag: &str) {
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

    fn secret(&mut self, name: &str, field: CredentialField) -> String {
        self.vault
            .reveal(name, field, None, Some(&SecretString::from(PASS)))
            .unwrap()
            .expose_secret()
            .to_string()
    }

    fn export(&mut self, keys: &[&str], to: &[&str]) -> Vec<u8> {
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
    fn snapshot(&self) -> (u64, String) {
        (
            self.vault.commit_counter().unwrap(),
            serde_json::to_string(&self.vault.list().unwrap()).unwrap(),
        )
    }

    fn actions(&self) -> Vec<AuditAction> {
        self.vault
            .audit_log()
            .unwrap()
            .into_iter()
            .map(|r| r.event.action)
            .collect()
    }

    fn last_detail(&self, action: AuditAction) -> String {
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
fn alice_and_bob() -> (Desk, Desk) {
    let (mut a, mut b) = (Desk::new(), Desk::new());
    let (ka, kb) = (a.sharing_key(), b.sharing_key());
    a.vault.add_contact("bob", &kb).unwrap();
    b.vault.add_contact("alice", &ka).unwrap();
    (a, b)
}

fn import_defaults(b: &mut Desk, file: &[u8]) -> keystead_core::ShareImportSummary {
    let opened = b.vault.share_open(file, None).unwrap();
    let preview = b.vault.share_preview(&opened).unwrap();
    b.vault
        .share_apply(&opened, &preview.default_choices())
        .unwrap()
}

/// Encrypts any bytes to an age recipient, as the `age` tool would.
fn age_encrypt(plain: &[u8], recipient: &str) -> Vec<u8> {
    let r: age::x25519::Recipient = recipient.parse().unwrap();
    let enc = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient)).unwrap();
    let mut out = Vec::new();
    let mut w = enc.wrap_output(&mut out).unwrap();
    w.write_all(plain).unwrap();
    w.finish().unwrap();
    out
}

#[test]
fn keys_travel_from_one_vault_to_a_contact_with_metadata_secrets_and_sender() {
    let (mut a, mut b) = alice_and_bob();
    a.add("binance-main", "binance", &["read", "trade"], "bm");
    a.add("okx-bot", "okx", &["read"], "ok");
    let exported = a
        .vault
        .share_export(&ShareExport {
            keys: vec!["binance-main,okx-bot".into()],
            to: vec!["bob".into()],
            ..ShareExport::default()
        })
        .unwrap();
    assert_eq!(exported.summary.keys, ["binance-main", "okx-bot"]);
    assert!(exported.summary.recipients[0].starts_with("contact bob ("));
    assert!(!String::from_utf8_lossy(&exported.bytes).contains("bm-apiKey-value"));

    let opened = b.vault.share_open(&exported.bytes, None).unwrap();
    let preview = b.vault.share_preview(&opened).unwrap();
    assert!(
        matches!(&preview.sender, ShareSender::Contact { name, .. } if name == "alice"),
        "{:?}",
        preview.sender
    );
    assert!(preview.warnings.is_empty(), "{:?}", preview.warnings);
    assert_eq!(
        preview.entries.iter().map(|e| e.status).collect::<Vec<_>>(),
        [ShareEntryStatus::New, ShareEntryStatus::New]
    );
    // Nothing secret reaches the preview or a Debug print of the opened file.
    let shown = format!("{}{opened:?}", serde_json::to_string(&preview).unwrap());
    for secret in ["bm-apiKey-value", "bm-secret-value", "ok-password-value"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    let summary = b
        .vault
        .share_apply(&opened, &preview.default_choices())
        .unwrap();
    assert_eq!(summary.added, ["binance-main", "okx-bot"]);

    assert_eq!(
        b.secret("binance-main", CredentialField::Secret),
        "bm-secret-value"
    );
    assert_eq!(
        b.secret("okx-bot", CredentialField::Password),
        "ok-password-value"
    );
    let (ka, kb) = (
        a.vault.find("binance-main").unwrap(),
        b.vault.find("binance-main").unwrap(),
    );
    assert_eq!(
        kb.id, ka.id,
        "the id travels, so a later file updates the same key"
    );
    assert_eq!(
        (
            &kb.scopes,
            &kb.ip_allowlist,
            &kb.tags,
            &kb.notes,
            kb.rotation_days
        ),
        (
            &ka.scopes,
            &ka.ip_allowlist,
            &ka.tags,
            &ka.notes,
            ka.rotation_days
        )
    );

    let export_detail = a.last_detail(AuditAction::ShareExported);
    assert!(
        export_detail.contains("binance-main, okx-bot"),
        "{export_detail}"
    );
    assert!(export_detail.contains("contact bob"), "{export_detail}");
    let import_detail = b.last_detail(AuditAction::ShareImported);
    assert!(
        import_detail.contains("from contact alice"),
        "{import_detail}"
    );
    assert!(
        import_detail.contains("added: binance-main, okx-bot"),
        "{import_detail}"
    );
    // Each key's own history says it left one vault and came into the other.
    let history = |d: &Desk, name: &str| -> Vec<(AuditAction, String)> {
        d.vault
            .audit_log()
            .unwrap()
            .into_iter()
            .filter(|r| r.event.key_name.as_deref() == Some(name))
            .map(|r| (r.event.action, r.event.detail.unwrap_or_default()))
            .collect()
    };
    for name in ["binance-main", "okx-bot"] {
        let sent = history(&a, name);
        assert!(
            sent.iter()
                .any(|(act, d)| *act == AuditAction::ShareExported && d.contains("contact bob")),
            "{name}: {sent:?}"
        );
        let got = history(&b, name);
        assert!(
            got.iter().any(|(act, d)| *act == AuditAction::ShareImported
                && d.starts_with("added from contact alice")),
            "{name}: {got:?}"
        );
    }
    for d in [&a, &b] {
        assert!(d.vault.verify_audit().unwrap().intact());
        assert!(d.vault.integrity_problems().unwrap().is_empty());
    }
    // A new vault has its identity from the start: no separate event for it.
    assert!(!a.actions().contains(&AuditAction::SharingIdentityCreated));
}

#[test]
fn a_file_made_for_one_contact_cannot_be_opened_by_another_vault() {
    let (mut a, mut b) = alice_and_bob();
    let mut carol = Desk::new();
    a.add("k", "binance", &["read"], "k");
    let file = a.export(&["k"], &["bob"]);
    let before = carol.snapshot();
    let e = carol.vault.share_open(&file, None).unwrap_err();
    assert!(matches!(e, Error::ShareNotForYou), "{e}");
    assert!(e.to_string().contains("not made for you"), "{e}");
    assert_eq!(carol.snapshot(), before);
    assert_eq!(import_defaults(&mut b, &file).added, ["k"]);
}

#[test]
fn a_passphrase_file_opens_with_the_passphrase_only() {
    let (mut a, mut b) = alice_and_bob();
    a.add("k", "binance", &["read"], "k");
    let pass = SecretString::from("a long share passphrase");
    let req = |to: Vec<String>| ShareExport {
        keys: vec!["k".into()],
        to,
        passphrase: Some(pass.clone()),
        scrypt_work_factor: Some(10),
        ..ShareExport::default()
    };
    let e = a.vault.share_export(&req(vec!["bob".into()])).unwrap_err();
    assert!(e.to_string().contains("not both"), "{e}");
    let file = a.vault.share_export(&req(vec![])).unwrap().bytes;
    assert!(share::is_passphrase_protected(&file).unwrap());

    let before = b.snapshot();
    assert!(matches!(
        b.vault.share_open(&file, None).unwrap_err(),
        Error::SharePassphraseNeeded
    ));
    assert!(matches!(
        b.vault
            .share_open(&file, Some(&SecretString::from("not the passphrase")))
            .unwrap_err(),
        Error::WrongSharePassphrase
    ));
    assert_eq!(b.snapshot(), before);
    let opened = b.vault.share_open(&file, Some(&pass)).unwrap();
    let preview = b.vault.share_preview(&opened).unwrap();
    assert!(matches!(&preview.sender, ShareSender::Contact { name, .. } if name == "alice"));
    b.vault
        .share_apply(&opened, &preview.default_choices())
        .unwrap();
    assert_eq!(b.secret("k", CredentialField::ApiKey), "k-apiKey-value");

    // A file asking for more scrypt work than allowed is refused before deriving: the header's work
    // factor is edited from 10 to 23 (the header MAC is only checked after the key is derived).
    let text = file.clone();
    let at = text
        .windows(4)
        .position(|w| w == b" 10\n")
        .expect("scrypt stanza with work factor 10");
    let mut hostile = text[..at].to_vec();
    hostile.extend_from_slice(b" 23\n");
    hostile.extend_from_slice(&text[at + 4..]);
    let e = b.vault.share_open(&hostile, Some(&pass)).unwrap_err();
    assert!(e.to_string().contains("work factor 23"), "{e}");
}

#[test]
fn the_preview_tells_new_identical_changed_and_conflicting_and_each_choice_is_applied() {
    let (mut a, mut b) = alice_and_bob();
    for k in ["same", "edited", "clash", "fresh"] {
        a.add(k, "binance", &["read"], k);
    }
    import_defaults(&mut b, &a.export(&["same", "edited"], &["bob"]));
    a.vault
        .edit(
            "edited",
            KeyEdit {
                notes: Some("new notes".into()),
                scopes: Some(vec!["read".into(), "trade".into()]),
                ..KeyEdit::default()
            },
            None,
        )
        .unwrap();
    a.vault
        .rotate("edited", fields("binance", "edited-2"), None)
        .unwrap();
    b.add("clash", "kraken", &["read"], "bobs-own");

    let file = a.export(&["same", "edited", "clash", "fresh"], &["bob"]);
    let opened = b.vault.share_open(&file, None).unwrap();
    let preview = b.vault.share_preview(&opened).unwrap();
    let statuses: Vec<_> = preview.entries.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            ShareEntryStatus::Identical,
            ShareEntryStatus::Changed,
            ShareEntryStatus::Conflicting,
            ShareEntryStatus::New
        ]
    );
    let edited = &preview.entries[1];
    assert_eq!(edited.changed_fields, ["scopes", "notes"]);
    assert!(edited.secrets_changed);
    assert_eq!(preview.entries[2].existing_name.as_deref(), Some("clash"));
    // Only new keys are taken by default: a changed or conflicting key is skipped unless chosen.
    assert_eq!(
        preview.default_choices(),
        [
            ImportChoice::Skip,
            ImportChoice::Skip,
            ImportChoice::Skip,
            ImportChoice::Add
        ]
    );
    assert_eq!(
        preview
            .entries
            .iter()
            .map(|e| e.replace_allowed)
            .collect::<Vec<_>>(),
        [false, true, true, false]
    );
    assert!(preview.entries.iter().all(|e| !e.older_than_yours));
    let chosen = [
        ImportChoice::Skip,
        ImportChoice::Replace,
        ImportChoice::KeepBoth,
        ImportChoice::Add,
    ];

    // Choices that do not fit the entry fail the whole import; nothing changes.
    let before = b.snapshot();
    for bad in [
        [
            ImportChoice::Skip,
            ImportChoice::Add,
            ImportChoice::Skip,
            ImportChoice::Add,
        ],
        [
            ImportChoice::Skip,
            ImportChoice::Skip,
            ImportChoice::Add,
            ImportChoice::Add,
        ],
        [
            ImportChoice::Skip,
            ImportChoice::Skip,
            ImportChoice::Skip,
            ImportChoice::Replace,
        ],
    ] {
        let e = b.vault.share_apply(&opened, &bad).unwrap_err();
        assert!(!e.to_string().is_empty());
        assert_eq!(
            b.snapshot(),
            before,
            "a refused import changed the vault ({e})"
        );
    }
    assert!(b.vault.share_apply(&opened, &[ImportChoice::Skip]).is_err());

    let summary = b.vault.share_apply(&opened, &chosen).unwrap();
    assert_eq!(summary.added, ["clash (imported)", "fresh"]);
    assert_eq!(summary.replaced, ["edited"]);
    assert_eq!(summary.skipped, ["same"]);

    // Replace: new metadata and secrets, the old secrets kept as version 1 with the reason.
    let e = b.vault.find("edited").unwrap();
    assert_eq!(e.notes, "new notes");
    assert_eq!(e.versions.len(), 2);
    let reason = e.versions[0].reason.clone().unwrap_or_default();
    assert!(
        reason.starts_with("imported from contact alice"),
        "{reason}"
    );
    assert_eq!(
        b.secret("edited", CredentialField::Secret),
        "edited-2-secret-value"
    );
    assert_eq!(
        b.vault
            .reveal("edited", CredentialField::Secret, Some(1), None)
            .unwrap()
            .expose_secret(),
        "edited-secret-value"
    );
    // Keep both: Bob's own key is untouched, Alice's sits beside it under a new id.
    assert_eq!(
        b.secret("clash", CredentialField::ApiKey),
        "bobs-own-apiKey-value"
    );
    let copy = b.vault.find("clash (imported)").unwrap();
    assert_ne!(copy.id, a.vault.find("clash").unwrap().id);
    assert_eq!(
        b.secret("clash (imported)", CredentialField::ApiKey),
        "clash-apiKey-value"
    );

    // Replace on a conflict overwrites Bob's key of that name (keeping its id and old secrets).
    let again = b.vault.share_open(&file, None).unwrap();
    let bobs_clash = b.vault.find("clash").unwrap().id;
    b.vault
        .share_apply(
            &again,
            &[
                ImportChoice::Skip,
                ImportChoice::Skip,
                ImportChoice::Replace,
                ImportChoice::Skip,
            ],
        )
        .unwrap();
    let clash = b.vault.find("clash").unwrap();
    assert_eq!((clash.id, clash.exchange.as_str()), (bobs_clash, "binance"));
    assert_eq!(
        b.secret("clash", CredentialField::ApiKey),
        "clash-apiKey-value"
    );

    let detail = b.last_detail(AuditAction::ShareImported);
    assert!(detail.contains("replaced: clash"), "{detail}");
    assert!(b.vault.verify_audit().unwrap().intact());
    assert!(b.vault.integrity_problems().unwrap().is_empty());
}

#[test]
fn a_withdraw_key_is_shared_only_when_confirmed_by_name() {
    let (mut a, _b) = alice_and_bob();
    a.add("hot", "binance", &["read", "withdraw"], "h");
    a.add("cold", "binance", &["read"], "c");
    let before = a.snapshot();
    let e = a
        .vault
        .share_export(&ShareExport {
            keys: vec!["hot".into(), "cold".into()],
            to: vec!["bob".into()],
            confirm_withdraw: vec!["cold".into()],
            ..ShareExport::default()
        })
        .unwrap_err();
    assert!(matches!(e, Error::WithdrawNotConfirmed { .. }), "{e}");
    assert!(e.to_string().contains("hot"), "{e}");
    assert_eq!(a.snapshot(), before, "a refused export is not audited");
    a.vault
        .share_export(&ShareExport {
            keys: vec!["hot".into()],
            to: vec!["bob".into()],
            confirm_withdraw: vec!["HOT".into()],
            step_up: Some(SecretString::from(PASS)),
            ..ShareExport::default()
        })
        .unwrap();
    assert!(a
        .last_detail(AuditAction::ShareExported)
        .contains("withdraw confirmed and passphrase given again for: hot"));
}

#[test]
fn contacts_are_added_renamed_and_removed_with_an_audit_event_each() {
    let mut a = Desk::new();
    let mut b = Desk::new();
    let kb = b.sharing_key();
    let own = a.sharing_key();
    let plain = age::x25519::Identity::generate().to_public().to_string();
    let bob = a.vault.add_contact("bob", &kb).unwrap();
    assert!(bob.can_verify);
    assert_eq!(bob.fingerprint, b.vault.sharing_key().unwrap().fingerprint);
    let dave = a.vault.add_contact("dave", &plain).unwrap();
    assert!(!dave.can_verify);

    for (name, key, needle) in [
        ("BOB", plain.as_str(), "already exists"),
        ("robert", kb.as_str(), "already your contact 'bob'"),
        ("me", own.as_str(), "own sharing key"),
        ("x", "age1notakey", "not a sharing key"),
        ("", kb.as_str(), "empty"),
        ("age1abc", kb.as_str(), "cannot start with age1"),
    ] {
        let e = a.vault.add_contact(name, key).unwrap_err();
        assert!(e.to_string().contains(needle), "{name}: {e}");
    }
    a.vault.rename_contact("bob", "bobby").unwrap();
    assert!(a.vault.rename_contact("bobby", "Dave").is_err());
    assert!(matches!(
        a.vault.remove_contact("nobody").unwrap_err(),
        Error::ContactNotFound { .. }
    ));
    a.vault.remove_contact("dave").unwrap();
    let names: Vec<String> = a
        .vault
        .contacts()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["bobby"]);
    assert_eq!(
        a.actions()[1..].to_vec(),
        [
            AuditAction::ContactAdded,
            AuditAction::ContactAdded,
            AuditAction::ContactRenamed,
            AuditAction::ContactRemoved
        ]
    );
    assert!(a.vault.verify_audit().unwrap().intact());
    assert!(a.vault.integrity_problems().unwrap().is_empty());

    // A contact row deleted outside Keystead is noticed like a deleted key.
    let path = a.dir.path().join("vault.db");
    drop(a.vault);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("DELETE FROM contacts", [])
        .unwrap();
    let v = Vault::unlock(
        &path,
        &SecretString::from(PASS),
        OpenOptions::new(Arc::new(FixedClock::new(start())), "test"),
    )
    .unwrap();
    assert!(
        v.warnings().iter().any(|w| w.contains("contact")),
        "{:?}",
        v.warnings()
    );
}

// ---------------------------------------------------------------------------------------------------------
// Hostile files
// ---------------------------------------------------------------------------------------------------------

#[test]
fn any_single_changed_byte_in_a_share_file_is_refused_and_changes_nothing() {
    let (mut a, mut b) = alice_and_bob();
    a.add("k", "binance", &["read"], "k");
    let binary = a.export(&["k"], &["bob"]);
    let armored = a
        .vault
        .share_export(&ShareExport {
            keys: vec!["k".into()],
            to: vec!["bob".into()],
            armor: true,
            ..ShareExport::default()
        })
        .unwrap()
        .bytes;
    assert!(armored.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
    let identity = b.vault.sharing_identity().unwrap();
    assert!(share::open(&binary, Some(&identity), None).is_ok());
    assert!(share::open(&armored, Some(&identity), None).is_ok());
    let before = b.snapshot();

    let mut tried = 0;
    for (file, step) in [(&binary, 1), (&armored, 5)] {
        for at in (0..file.len()).step_by(step) {
            for flip in [0x01u8, 0x80] {
                let mut bad = file.clone();
                bad[at] ^= flip;
                match share::open(&bad, Some(&identity), None) {
                    Ok(_) => panic!("a file with byte {at} changed (^{flip:#04x}) was accepted"),
                    Err(e) => assert!(!e.to_string().is_empty()),
                }
                tried += 1;
            }
        }
    }
    assert!(tried > 2 * binary.len());
    assert_eq!(b.snapshot(), before);
}

/// A signed document as Alice's vault writes it for `also` (contact names) and an age identity made here,
/// in plaintext, read back with that identity.
fn signed_document(a: &mut Desk, also: &[&str]) -> String {
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

fn doc(entries: Value) -> Value {
    json!({"format": "keystead-share", "version": 1, "payload": {"entries": entries}})
}

fn entry() -> Value {
    json!({"name": "hand", "exchange": "binance", "scopes": ["read"],
           "secrets": {"apiKey": "AK", "secret": "SK"}})
}

fn with(field: &str, value: Value) -> Value {
    let mut e = entry();
    e[field] = value;
    doc(json!([e]))
}

fn without(field: &str) -> Value {
    let mut e = entry();
    e.as_object_mut().unwrap().remove(field);
    doc(json!([e]))
}

#[test]
fn two_hundred_malformed_or_hostile_files_are_each_refused_with_a_message_and_change_nothing() {
    let (mut a, mut b) = alice_and_bob();
    a.add("k", "binance", &["read"], "k");
    let me = b.vault.sharing_key().unwrap().age_recipient;
    let signed = signed_document(&mut a, &["bob"]);
    let good_file = a.export(&["k"], &["bob"]);
    // The unsigned hand-written document imports (it is the baseline every variant breaks).
    let baseline = age_encrypt(doc(json!([entry()])).to_string().as_bytes(), &me);
    assert!(b.vault.share_open(&baseline, None).is_ok());
    assert!(b
        .vault
        .share_open(&age_encrypt(signed.as_bytes(), &me), None)
        .is_ok());

    let mut plaintexts: Vec<(String, Vec<u8>)> = Vec::new();
    let mut push = |what: String, bytes: Vec<u8>| plaintexts.push((what, bytes));
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();

    // Truncated documents and truncated files.
    for cut in (0..signed.len()).step_by(signed.len() / 40 + 1) {
        push(
            format!("document cut at {cut}"),
            signed.as_bytes()[..cut].to_vec(),
        );
    }
    for cut in (0..good_file.len()).step_by(good_file.len() / 30 + 1) {
        files.push((format!("file cut at {cut}"), good_file[..cut].to_vec()));
    }
    // Envelope: format and version.
    for v in [
        json!(0),
        json!(2),
        json!(999),
        json!(-1),
        json!("1"),
        json!(1.5),
        json!(null),
    ] {
        let mut d = doc(json!([entry()]));
        d["version"] = v.clone();
        push(format!("version {v}"), d.to_string().into_bytes());
    }
    for f in [
        json!("keystead-sharing"),
        json!(""),
        json!("KEYSTEAD-SHARE"),
        json!(1),
        json!(null),
    ] {
        let mut d = doc(json!([entry()]));
        d["format"] = f.clone();
        push(format!("format {f}"), d.to_string().into_bytes());
    }
    for top in [
        "[]",
        "1",
        "\"x\"",
        "null",
        "true",
        "",
        "{}",
        "{\"format\":\"keystead-share\"}",
    ] {
        push(format!("top level {top}"), top.as_bytes().to_vec());
    }
    let mut extra = doc(json!([entry()]));
    extra["payload"]["surprise"] = json!(1);
    push(
        "unknown payload field".into(),
        extra.to_string().into_bytes(),
    );
    push("no entries".into(), doc(json!([])).to_string().into_bytes());
    push(
        "entries not a list".into(),
        doc(json!({"a": 1})).to_string().into_bytes(),
    );
    // Entry fields: missing, wrong type, invalid.
    for f in ["name", "exchange", "secrets"] {
        push(format!("no {f}"), without(f).to_string().into_bytes());
    }
    for f in [
        "id",
        "name",
        "exchange",
        "account",
        "environment",
        "scopes",
        "exchange_scopes",
        "ip_allowlist",
        "expires_at",
        "rotation_days",
        "tags",
        "notes",
        "secrets",
    ] {
        let scalar = if f == "rotation_days" {
            json!("12")
        } else {
            json!(12)
        };
        for v in [scalar, json!([1]), json!({"x": 1}), json!(true)] {
            push(format!("{f} = {v}"), with(f, v).to_string().into_bytes());
        }
    }
    for (f, v) in [
        ("exchange", json!("mtgox")),
        ("scopes", json!(["read", "teleport"])),
        ("ip_allowlist", json!(["300.1.1.1"])),
        ("expires_at", json!("tomorrow")),
        ("rotation_days", json!(0)),
        ("rotation_days", json!(-3)),
        ("environment", json!("moon")),
        ("name", json!("")),
        ("name", json!("a\u{7}b")),
        ("name", json!("x".repeat(129))),
        ("notes", json!("n".repeat(10_001))),
        ("account", json!("a".repeat(501))),
        ("tags", json!(["t".repeat(65)])),
        ("tags", json!(vec!["t"; 300])),
        ("id", json!("not-a-uuid")),
        ("secrets", json!({})),
        ("secrets", json!({"apiKey": "AK"})),
        (
            "secrets",
            json!({"apiKey": "AK", "secret": "SK", "pin": "1"}),
        ),
        (
            "secrets",
            json!({"apiKey": "AK", "secret": "SK", "password": "P"}),
        ),
        (
            "secrets",
            json!({"apiKey": "A".repeat(17_000), "secret": "SK"}),
        ),
        (
            "secrets",
            json!({"apiKey": "AK", "APIKEY": "AK2", "secret": "SK"}),
        ),
        ("surprise", json!("field")),
    ] {
        push(
            format!("{f} = {v:.40}"),
            with(f, v).to_string().into_bytes(),
        );
    }
    let mut okx = entry();
    okx["exchange"] = json!("okx");
    push(
        "okx without password".into(),
        doc(json!([okx])).to_string().into_bytes(),
    );
    // Sizes and counts.
    push(
        "a 70 KiB string".into(),
        with("notes", json!("n".repeat(70 * 1024)))
            .to_string()
            .into_bytes(),
    );
    for n in [1001usize, 10_000] {
        let many: Vec<Value> = (0..n)
            .map(|i| {
                let mut e = entry();
                e["name"] = json!(format!("k{i}"));
                e
            })
            .collect();
        push(
            format!("{n} entries"),
            doc(Value::Array(many)).to_string().into_bytes(),
        );
    }
    // Nesting, in the entry and at the top.
    for depth in [17usize, 20, 64, 1000, 100_000] {
        let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let text = with("notes", json!("PLACEHOLDER"))
            .to_string()
            .replace("\"PLACEHOLDER\"", &deep);
        push(format!("nested {depth} deep in notes"), text.into_bytes());
        push(
            format!("nested {depth} deep"),
            "[".repeat(depth).into_bytes(),
        );
    }
    // Duplicates within one file.
    let id = "0190a0b0-0000-7000-8000-000000000001";
    let (mut e1, mut e2) = (entry(), entry());
    e1["id"] = json!(id);
    e2["id"] = json!(id);
    e2["name"] = json!("other");
    push(
        "duplicate ids".into(),
        doc(json!([e1, e2])).to_string().into_bytes(),
    );
    let mut e3 = entry();
    e3["name"] = json!("HAND");
    push(
        "duplicate names".into(),
        doc(json!([entry(), e3])).to_string().into_bytes(),
    );
    // Invalid UTF-8 at several places.
    let good = doc(json!([entry()])).to_string().into_bytes();
    for at in (0..good.len()).step_by(good.len() / 10 + 1) {
        let mut bad = good.clone();
        bad.insert(at, 0xff);
        push(format!("0xff at {at}"), bad);
    }
    // Signatures: payload changed after signing, forged or mismatched keys, malformed blocks.
    let tamper = |from: &str, to: &str| -> Vec<u8> {
        assert!(signed.contains(from), "{from} not in the signed document");
        signed.replacen(from, to, 1).into_bytes()
    };
    push(
        "payload edited after signing".into(),
        tamper("\"name\":\"k\"", "\"name\":\"j\""),
    );
    push(
        "secret edited after signing".into(),
        tamper("k-secret-value", "k-secret-valuf"),
    );
    push(
        "notes edited after signing".into(),
        tamper("\"notes\":\"k notes\"", "\"notes\":\"k notez\""),
    );
    push(
        "alg changed".into(),
        tamper("\"alg\":\"ed25519\"", "\"alg\":\"rsa\""),
    );
    let sig: Value = serde_json::from_str::<Value>(&signed).unwrap()["signature"].clone();
    let value = sig["value"].as_str().unwrap().to_string();
    let public = sig["public_key"].as_str().unwrap().to_string();
    let mut flipped = value.clone().into_bytes();
    flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
    push(
        "signature value changed".into(),
        tamper(&value, std::str::from_utf8(&flipped).unwrap()),
    );
    push("signature too short".into(), tamper(&value, &value[..40]));
    push("signature not base64".into(), tamper(&value, "!!!!"));
    let stranger = {
        use base64::Engine as _;
        let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]).verifying_key();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.to_bytes())
    };
    push("signed by another key".into(), tamper(&public, &stranger));
    push("public key garbage".into(), tamper(&public, "AAAA"));
    let mut unsigned_claim: Value = serde_json::from_str(&signed).unwrap();
    unsigned_claim["signature"]["value"] = json!(null);
    push(
        "signature value null".into(),
        unsigned_claim.to_string().into_bytes(),
    );
    let mut no_sender: Value = serde_json::from_str(&signed).unwrap();
    no_sender["payload"]["exported_by"]["sharing_key"] = json!("age1zzz");
    push(
        "sender key invalid".into(),
        no_sender.to_string().into_bytes(),
    );

    for (what, plain) in plaintexts {
        files.push((what, age_encrypt(&plain, &me)));
    }
    // Wrong recipients, passphrase files without a passphrase, garbage and size.
    for i in 0..5 {
        let other = age::x25519::Identity::generate().to_public().to_string();
        files.push((
            format!("for someone else {i}"),
            age_encrypt(signed.as_bytes(), &other),
        ));
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for i in 0..20 {
        let len = 1 + (i * 37) % 400;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        files.push((format!("random bytes {i}"), bytes));
    }
    files.push((
        "age header only".into(),
        b"age-encryption.org/v1\n".to_vec(),
    ));
    files.push((
        "armor header only".into(),
        b"-----BEGIN AGE ENCRYPTED FILE-----\n".to_vec(),
    ));
    files.push(("too large".into(), vec![0u8; share::MAX_FILE_BYTES + 1]));

    assert!(files.len() >= 200, "only {} hostile files", files.len());
    let before = b.snapshot();
    let audit_before = b.vault.audit_log().unwrap().len();
    let started = std::time::Instant::now();
    for (what, file) in &files {
        // The whole import path: open, and (if it ever opened) preview and apply.
        let result = b
            .vault
            .share_open(file, None)
            .and_then(|opened: OpenedShare| {
                let p = b.vault.share_preview(&opened)?;
                b.vault.share_apply(&opened, &p.default_choices())
            });
        match result {
            Ok(_) => panic!("hostile file accepted: {what}"),
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.len() > 20, "{what}: unclear error {msg:?}");
                assert!(!msg.contains("k-secret-value"), "{what}: {msg}");
            }
        }
    }
    assert_eq!(b.snapshot(), before);
    assert_eq!(b.vault.audit_log().unwrap().len(), audit_before);
    eprintln!(
        "{} hostile files refused in {:?}",
        files.len(),
        started.elapsed()
    );
}

#[test]
fn an_unsigned_file_made_with_age_alone_imports_with_a_warning() {
    let mut b = Desk::new();
    let me = b.vault.sharing_key().unwrap().age_recipient;
    let file = age_encrypt(doc(json!([entry()])).to_string().as_bytes(), &me);
    let opened = b.vault.share_open(&file, None).unwrap();
    let preview = b.vault.share_preview(&opened).unwrap();
    assert_eq!(preview.sender, ShareSender::Unsigned);
    assert!(
        preview.warnings[0].contains("unsigned"),
        "{:?}",
        preview.warnings
    );
    b.vault
        .share_apply(&opened, &preview.default_choices())
        .unwrap();
    assert_eq!(b.secret("hand", CredentialField::Secret), "SK");
    assert!(b
        .last_detail(AuditAction::ShareImported)
        .contains("from an unsigned file"));
}

#[test]
fn a_file_signed_by_someone_who_is_not_a_contact_names_their_fingerprint() {
    let (mut a, _) = alice_and_bob();
    let mut carol = Desk::new();
    let kc = carol.sharing_key();
    a.vault.add_contact("carol", &kc).unwrap();
    a.add("k", "binance", &["read"], "k");
    let file = a
        .vault
        .share_export(&ShareExport {
            keys: vec!["k".into()],
            to: vec!["carol".into()],
            sender_name: Some("Alice".into()),
            ..ShareExport::default()
        })
        .unwrap()
        .bytes;
    let opened = carol.vault.share_open(&file, None).unwrap();
    let preview = carol.vault.share_preview(&opened).unwrap();
    let fp = a.vault.sharing_key().unwrap().fingerprint;
    match &preview.sender {
        ShareSender::UnknownSender {
            fingerprint,
            claimed_name,
            ..
        } => {
            assert_eq!(fingerprint, &fp);
            assert_eq!(claimed_name.as_deref(), Some("Alice"));
        }
        other => panic!("{other:?}"),
    }
    assert!(preview.warnings[0].contains(&fp));
}

/// Bob's key `bm`: withdraw-enabled, with an expiry, as an attacker would like to overwrite it.
fn bobs_withdraw_key(b: &mut Desk) -> keystead_core::KeyEntry {
    let new = NewKey {
        name: "bm".into(),
        exchange: "binance".into(),
        scopes: vec!["read".into(), "withdraw".into()],
        ip_allowlist: vec!["203.0.113.7".into()],
        expires_at: Some(start() + chrono::Duration::days(30)),
        ..NewKey::default()
    };
    b.vault.add(new, fields("binance", "bobs")).unwrap()
}

#[test]
fn an_unsigned_file_holding_the_id_of_my_key_never_replaces_it() {
    let mut b = Desk::new();
    let mine = bobs_withdraw_key(&mut b);
    let me = b.vault.sharing_key().unwrap().age_recipient;
    let mut hostile = entry();
    hostile["id"] = json!(mine.id.to_string());
    hostile["name"] = json!("bm");
    hostile["secrets"] = json!({"apiKey": "ATTACKER-AK", "secret": "ATTACKER-SK"});
    let file = age_encrypt(doc(json!([hostile])).to_string().as_bytes(), &me);

    let opened = b.vault.share_open(&file, None).unwrap();
    let preview = b.vault.share_preview(&opened).unwrap();
    let e = &preview.entries[0];
    assert_eq!(e.status, ShareEntryStatus::Changed);
    assert!(!e.replace_allowed);
    assert_eq!(e.default_choice, ImportChoice::Skip);
    assert!(
        preview.warnings.iter().any(|w| w.contains("cannot change")),
        "{:?}",
        preview.warnings
    );

    // The defaults (what `--yes` applies) skip it.
    let before = b.snapshot();
    let summary = b
        .vault
        .share_apply(&opened, &preview.default_choices())
        .unwrap();
    assert!(summary.replaced.is_empty());
    assert_eq!(summary.skipped, ["bm"]);
    // Choosing replace explicitly is refused, and nothing changes.
    let before_replace = b.snapshot();
    let err = b
        .vault
        .share_apply(&opened, &[ImportChoice::Replace])
        .unwrap_err();
    assert!(err.to_string().contains("unsigned"), "{err}");
    assert_eq!(b.snapshot(), before_replace);
    assert_ne!(before, before_replace, "the skip is audited");

    let kept = b.vault.find("bm").unwrap();
    assert_eq!(kept.scopes, mine.scopes);
    assert_eq!(kept.expires_at, mine.expires_at);
    assert_eq!(b.secret("bm", CredentialField::Secret), "bobs-secret-value");
}

#[test]
fn an_old_genuine_file_replayed_after_a_rotation_is_older_than_yours_and_skipped() {
    let (mut a, mut b) = alice_and_bob();
    a.add("k", "binance", &["read"], "first");
    let old = a.export(&["k"], &["bob"]);
    import_defaults(&mut b, &old);
    assert_eq!(b.secret("k", CredentialField::Secret), "first-secret-value");

    b.clock.advance(chrono::Duration::days(10));
    b.vault
        .rotate("k", fields("binance", "rotated"), None)
        .unwrap();

    let opened = b.vault.share_open(&old, None).unwrap();
    let preview = b.vault.share_preview(&opened).unwrap();
    let e = &preview.entries[0];
    assert_eq!(e.status, ShareEntryStatus::Changed);
    assert!(e.older_than_yours);
    assert!(e.replace_allowed, "a contact's file may replace on request");
    assert_eq!(e.default_choice, ImportChoice::Skip);
    assert!(
        preview
            .warnings
            .iter()
            .any(|w| w.contains("older than yours")),
        "{:?}",
        preview.warnings
    );
    let summary = b
        .vault
        .share_apply(&opened, &preview.default_choices())
        .unwrap();
    assert!(summary.replaced.is_empty());
    assert_eq!(
        b.secret("k", CredentialField::Secret),
        "rotated-secret-value"
    );
}

#[test]
fn a_signed_file_re_encrypted_to_another_vault_is_not_made_for_it() {
    let (mut a, mut b) = alice_and_bob();
    a.add("k", "binance", &["read"], "k");
    // Alice's genuine, signed document made for someone else, wrapped to Bob with the age tool.
    let text = signed_document(&mut a, &[]);
    let me = b.vault.sharing_key().unwrap().age_recipient;
    let file = age_encrypt(text.as_bytes(), &me);
    let before = b.snapshot();
    let err = b.vault.share_open(&file, None).unwrap_err();
    assert!(err.to_string().contains("not made for this vault"), "{err}");
    assert_eq!(b.snapshot(), before);
}

#[test]
fn a_share_file_never_replaces_the_vault_its_journal_or_a_file_that_is_not_a_share_file() {
    let (mut a, _b) = alice_and_bob();
    a.add("k", "binance", &["read"], "k");
    let bytes = a.export(&["k"], &["bob"]);
    let protected = a.vault.share_protected_files();
    let vault_path = a.dir.path().join("vault.db");
    let before = std::fs::read(&vault_path).unwrap();
    for p in &protected {
        let e = share::write_file(p, &bytes, true, &protected).unwrap_err();
        assert!(e.to_string().contains("Keystead's own files"), "{e}");
    }
    assert_eq!(std::fs::read(&vault_path).unwrap(), before);
    let notes = a.dir.path().join("notes.txt");
    std::fs::write(&notes, "mine").unwrap();
    let e = share::write_file(&notes, &bytes, true, &protected).unwrap_err();
    assert!(e.to_string().contains("not a share file"), "{e}");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "mine");
    let out = a.dir.path().join("out.age");
    share::write_file(&out, &bytes, false, &protected).unwrap();
    share::write_file(&out, &bytes, true, &protected).unwrap();
    assert!(share::read_file(&out).is_ok());
    assert!(share::read_file(&notes).is_err());
}
