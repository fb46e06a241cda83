//! Who may change a key through a share file: unsigned files, strangers, replays after a rotation and
//! files re-encrypted to another vault never replace a key; nor does an export replace the vault.

use keystead_core::share;
use keystead_core::{
    AuditAction, CredentialField, ImportChoice, NewKey, ShareEntryStatus, ShareExport, ShareSender,
};
use serde_json::json;

mod common;

use common::desk::{
    age_encrypt, alice_and_bob, doc, entry, import_defaults, signed_document, Desk,
};
use common::{fields_for as fields, start};

#[test]
fn an_unsigned_file_made_with_age_alone_imports_with_a_warning() {
    let mut b = Desk::new();
    let me = b.vault.sharing_key().unwrap().age_recipient;
    let file = age_encrypt(doc(json!([entry()])).to_string().as_bytes(), &me);
    let opened = b.vault.share_open(&file, None).unwrap();
    let preview = b.vault.share_preview(&opened).unwrap();
    assert_eq!(preview.sender, ShareSender::Unsigned);
    assert!(
        preview
            .sender_warning
            .as_ref()
            .is_some_and(|w| w.contains("unsigned")),
        "{:?}",
        preview.sender_warning
    );
    assert!(
        preview.warnings.is_empty(),
        "said once: {:?}",
        preview.warnings
    );
    b.vault
        .share_apply(&opened, &preview.default_choices())
        .unwrap();
    assert_eq!(b.secret("hand", CredentialField::Secret), "SK");
    assert!(b
        .last_detail(AuditAction::ShareImported)
        .contains("from an unsigned file"));
    // One key imported: one line in the timeline, the key's own.
    let lines: Vec<_> = b
        .vault
        .audit_log()
        .unwrap()
        .into_iter()
        .filter(|r| r.event.action == AuditAction::ShareImported)
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].event.key_name.as_deref(), Some("hand"));
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
    assert!(preview.sender_warning.unwrap().contains(&fp));
    assert!(
        preview.warnings.is_empty(),
        "said once: {:?}",
        preview.warnings
    );
    // Alice made it for Carol's sharing key: Carol's vault says "you".
    assert_eq!(preview.to, ["you"]);
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
