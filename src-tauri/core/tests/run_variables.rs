//! A key's own variable names for `run` (e.g. `BINANCE_API_KEY`): checked when set (plain names only, none
//! that changes how programs start, no two fields in one), recorded in the audit log when edited, shown in
//! the detail, and kept in this vault only: a share file neither carries nor replaces them.

use keystead_core::{AuditAction, CredentialField, ImportChoice, KeyEdit};
use std::collections::BTreeMap;

mod common;

use common::desk::{alice_and_bob, import_defaults, signed_document, Desk};
use common::{fields_for as fields, key};

fn names(pairs: &[(CredentialField, &str)]) -> BTreeMap<CredentialField, String> {
    pairs.iter().map(|(f, n)| (*f, n.to_string())).collect()
}

fn with_names(d: &mut Desk, name: &str, pairs: &[(CredentialField, &str)]) {
    let mut new = key(name, "binance", &["read", "trade"]);
    new.env_names = names(pairs);
    d.vault.add(new, fields("binance", name)).unwrap();
}

#[test]
fn names_are_kept_trimmed_blank_ones_dropped_and_shown_in_the_detail() {
    let mut d = Desk::new();
    with_names(
        &mut d,
        "binance-main",
        &[
            (CredentialField::ApiKey, " BINANCE_API_KEY "),
            (CredentialField::Secret, "BINANCE_API_SECRET"),
            (CredentialField::Password, "  "),
        ],
    );
    let want = names(&[
        (CredentialField::ApiKey, "BINANCE_API_KEY"),
        (CredentialField::Secret, "BINANCE_API_SECRET"),
    ]);
    assert_eq!(d.vault.find("binance-main").unwrap().env_names, want);
    let id = d.vault.find("binance-main").unwrap().id.to_string();
    assert_eq!(d.vault.detail(&id).unwrap().env_names, want);
    // A reopened vault reads them back from the sealed record.
    let path = d.dir.path().join("vault.db");
    drop(d.vault);
    let v = keystead_core::Vault::unlock(
        &path,
        &secrecy::SecretString::from(common::PASS),
        keystead_core::vault::OpenOptions::new(d.clock.clone(), "test"),
    )
    .unwrap();
    assert_eq!(v.find("binance-main").unwrap().env_names, want);
}

#[test]
fn names_that_are_not_plain_or_change_how_programs_start_are_refused_and_nothing_is_written() {
    let mut d = Desk::new();
    let bad: [(&[(CredentialField, &str)], &str); 8] = [
        (
            &[(CredentialField::ApiKey, "PATH")],
            "changes how programs start",
        ),
        (
            &[(CredentialField::ApiKey, "LD_PRELOAD")],
            "changes how programs start",
        ),
        (
            &[(CredentialField::ApiKey, "ld_library_path")],
            "changes how programs start",
        ),
        (
            &[(CredentialField::Secret, "KEYSTEAD_PASSPHRASE")],
            "keystead's own",
        ),
        (
            &[(CredentialField::ApiKey, "1KEY")],
            "not a plain variable name",
        ),
        (
            &[(CredentialField::ApiKey, "MY-KEY")],
            "not a plain variable name",
        ),
        (
            &[(CredentialField::ApiKey, "A=B")],
            "not a plain variable name",
        ),
        (
            &[
                (CredentialField::ApiKey, "SAME"),
                (CredentialField::Secret, "SAME"),
            ],
            "both the apiKey and the secret",
        ),
    ];
    let before = d.snapshot();
    for (pairs, says) in bad {
        let mut new = key("k", "binance", &["read"]);
        new.env_names = names(pairs);
        let e = d.vault.add(new, fields("binance", "k")).unwrap_err();
        assert!(e.to_string().contains(says), "{pairs:?}: {e}");
        assert_eq!(d.snapshot(), before, "{pairs:?} was written");
    }
    let long = "K".repeat(129);
    let mut new = key("k", "binance", &["read"]);
    new.env_names = names(&[(CredentialField::ApiKey, &long)]);
    assert!(d.vault.add(new, fields("binance", "k")).is_err());

    // The same rules hold for an edit.
    with_names(&mut d, "k", &[]);
    let before = d.snapshot();
    let e = d
        .vault
        .edit(
            "k",
            KeyEdit {
                env_names: Some(names(&[(CredentialField::ApiKey, "LD_PRELOAD")])),
                ..KeyEdit::default()
            },
            None,
        )
        .unwrap_err();
    assert!(e.to_string().contains("LD_PRELOAD"), "{e}");
    assert_eq!(d.snapshot(), before);
}

#[test]
fn an_edit_records_the_new_names_and_an_unchanged_set_records_nothing() {
    let mut d = Desk::new();
    with_names(&mut d, "k", &[(CredentialField::ApiKey, "BOT_KEY")]);
    let edit = |pairs: &[(CredentialField, &str)]| KeyEdit {
        env_names: Some(names(pairs)),
        ..KeyEdit::default()
    };
    let events = d.actions().len();
    d.vault
        .edit("k", edit(&[(CredentialField::ApiKey, "BOT_KEY")]), None)
        .unwrap();
    assert_eq!(d.actions().len(), events, "a no-op edit was audited");

    d.vault
        .edit(
            "k",
            edit(&[
                (CredentialField::ApiKey, "BOT_KEY"),
                (CredentialField::Secret, "BOT_SECRET"),
            ]),
            None,
        )
        .unwrap();
    assert_eq!(
        d.last_detail(AuditAction::KeyEdited),
        "run variables: apiKey=BOT_KEY,secret=BOT_SECRET"
    );
    d.vault.edit("k", edit(&[]), None).unwrap();
    assert_eq!(d.last_detail(AuditAction::KeyEdited), "run variables: none");
    assert!(d.vault.find("k").unwrap().env_names.is_empty());
}

#[test]
fn a_share_file_carries_no_names_and_a_replace_keeps_the_receivers_own() {
    let (mut a, mut b) = alice_and_bob();
    with_names(&mut a, "k", &[(CredentialField::ApiKey, "ALICE_KEY")]);
    let document = signed_document(&mut a, &["bob"]);
    assert!(document.contains("\"k\""), "{document}");
    assert!(
        !document.contains("ALICE_KEY"),
        "the share document names Alice's variable"
    );
    import_defaults(&mut b, &a.export(&["k"], &["bob"]));
    assert!(b.vault.find("k").unwrap().env_names.is_empty());

    // Bob gives the key his own name; Alice rotates and sends it again; Bob replaces his copy.
    b.vault
        .edit(
            "k",
            KeyEdit {
                env_names: Some(names(&[(CredentialField::ApiKey, "BOB_KEY")])),
                ..KeyEdit::default()
            },
            None,
        )
        .unwrap();
    a.clock.advance(chrono::Duration::hours(1));
    a.vault.rotate("k", fields("binance", "k-2"), None).unwrap();
    let opened = b
        .vault
        .share_open(&a.export(&["k"], &["bob"]), None)
        .unwrap();
    b.vault
        .share_apply(&opened, &[ImportChoice::Replace])
        .unwrap();
    assert_eq!(
        b.secret("k", CredentialField::ApiKey),
        a.secret("k", CredentialField::ApiKey)
    );
    assert_eq!(
        b.vault.find("k").unwrap().env_names,
        names(&[(CredentialField::ApiKey, "BOB_KEY")])
    );
}
