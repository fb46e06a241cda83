//! Share files between real vaults in temporary folders: export, preview, apply, passphrase files and contacts.

use keystead_core::share;
use keystead_core::vault::OpenOptions;
use keystead_core::{
    AuditAction, CredentialField, Error, FixedClock, ImportChoice, KeyEdit, ShareEntryStatus,
    ShareExport, ShareSender, Vault,
};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

mod common;

use common::desk::{alice_and_bob, import_defaults, Desk};
use common::{fields_for as fields, start, PASS};

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
