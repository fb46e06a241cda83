//! The step-up rule, attacked: every way a secret that can withdraw or transfer funds leaves the vault or
//! loses that capability (reveal, copy, share export, an edit removing the scope, an older version)
//! needs the vault passphrase given again, and a wrong one is audited and changes nothing.

mod common;

use common::{audit_actions, fields_for, key, Sandbox, PASS};
use keystead_core::{AuditAction, CredentialField, Error, KeyEdit, Scope, ShareExport, Vault};
use secrecy::{ExposeSecret, SecretString};

fn pass() -> SecretString {
    SecretString::from(PASS)
}

fn wrong() -> SecretString {
    SecretString::from("not the passphrase at all")
}

fn step_up_required(e: &Error, name: &str) {
    match e {
        Error::StepUpRequired { name: n, .. } => assert_eq!(n, name),
        other => panic!("expected a step-up for {name}, got: {other}"),
    }
}

/// A vault holding `hot` (binance, read + withdraw, one version).
fn hot_vault() -> (Sandbox, Vault) {
    let s = Sandbox::new();
    let mut v = s.open();
    v.add(
        key("hot", "binance", &["read", "withdraw"]),
        fields_for("binance", "v1"),
    )
    .unwrap();
    (s, v)
}

fn without_withdraw() -> KeyEdit {
    KeyEdit {
        scopes: Some(vec!["read".into()]),
        ..KeyEdit::default()
    }
}

fn revealed(v: &mut Vault, version: Option<u32>, proof: Option<&SecretString>) -> String {
    v.reveal("hot", CredentialField::Secret, version, proof)
        .unwrap()
        .expose_secret()
        .to_string()
}

#[test]
fn reveal_and_copy_of_a_withdraw_key_need_the_passphrase_again_and_a_wrong_one_is_audited() {
    let (_s, mut v) = hot_vault();
    let before = audit_actions(&v).len();
    for copy in [false, true] {
        let e = if copy {
            v.secret_for_copy("hot", CredentialField::Secret, None, None)
        } else {
            v.reveal("hot", CredentialField::Secret, None, None)
        }
        .unwrap_err();
        step_up_required(&e, "hot");
    }
    assert_eq!(audit_actions(&v).len(), before, "nothing was released");

    let e = v
        .reveal("hot", CredentialField::Secret, None, Some(&wrong()))
        .unwrap_err();
    assert!(matches!(e, Error::WrongPassphrase), "{e}");
    let log = v.audit_log().unwrap();
    let last = &log.last().unwrap().event;
    assert_eq!(last.action, AuditAction::UnlockFailed);
    assert_eq!(
        last.key_name.as_deref(),
        Some("hot"),
        "the guess names the key"
    );

    assert_eq!(revealed(&mut v, None, Some(&pass())), "v1-secret-value");
    v.secret_for_copy("hot", CredentialField::Secret, None, Some(&pass()))
        .unwrap();
}

#[test]
fn an_edit_removing_withdraw_or_transfer_needs_the_passphrase_and_the_secret_keeps_its_step_up() {
    let (_s, mut v) = hot_vault();
    // The walk-around from the review: drop the scope, then reveal without a passphrase.
    let e = v.edit("hot", without_withdraw(), None).unwrap_err();
    step_up_required(&e, "hot");
    assert!(
        v.find("hot").unwrap().scopes.contains(&Scope::Withdraw),
        "unchanged"
    );
    let e = v
        .edit("hot", without_withdraw(), Some(&wrong()))
        .unwrap_err();
    assert!(matches!(e, Error::WrongPassphrase), "{e}");
    assert!(
        v.find("hot").unwrap().scopes.contains(&Scope::Withdraw),
        "unchanged"
    );

    // Other edits of a withdraw key need nothing.
    v.edit(
        "hot",
        KeyEdit {
            notes: Some("bot 3".into()),
            ..KeyEdit::default()
        },
        None,
    )
    .unwrap();

    v.edit("hot", without_withdraw(), Some(&pass())).unwrap();
    assert!(!v.find("hot").unwrap().scopes.contains(&Scope::Withdraw));
    // The secret itself could still withdraw (the exchange does not know of the edit).
    let e = v
        .reveal("hot", CredentialField::Secret, None, None)
        .unwrap_err();
    step_up_required(&e, "hot");
    assert_eq!(revealed(&mut v, None, Some(&pass())), "v1-secret-value");

    // Transfer counts the same as withdraw.
    v.add(
        key("mover", "binance", &["read", "transfer"]),
        fields_for("binance", "m"),
    )
    .unwrap();
    let e = v.edit("mover", without_withdraw(), None).unwrap_err();
    step_up_required(&e, "mover");
}

#[test]
fn older_versions_keep_the_step_up_they_had_and_a_secret_that_never_could_withdraw_needs_none() {
    let (_s, mut v) = hot_vault();
    v.rotate("hot", fields_for("binance", "v2"), None).unwrap();
    v.edit("hot", without_withdraw(), Some(&pass())).unwrap();
    v.rotate("hot", fields_for("binance", "v3"), None).unwrap();
    // v3 was made after the scope went: read-only, no step-up.
    assert_eq!(revealed(&mut v, None, None), "v3-secret-value");
    // v1 and v2 were made while the key could withdraw.
    for old in [1, 2] {
        let e = v
            .reveal("hot", CredentialField::Secret, Some(old), None)
            .unwrap_err();
        step_up_required(&e, "hot");
        assert_eq!(
            revealed(&mut v, Some(old), Some(&pass())),
            format!("v{old}-secret-value")
        );
    }

    // Adding withdraw marks the current secret for good; an older read-only one stays free.
    v.edit(
        "hot",
        KeyEdit {
            scopes: Some(vec!["read".into(), "withdraw".into()]),
            ..KeyEdit::default()
        },
        None,
    )
    .unwrap();
    v.edit("hot", without_withdraw(), Some(&pass())).unwrap();
    let e = v
        .reveal("hot", CredentialField::Secret, None, None)
        .unwrap_err();
    step_up_required(&e, "hot");
    let versions = v.find("hot").unwrap().versions;
    let flags: Vec<_> = versions.iter().map(|x| x.moves_funds).collect();
    assert_eq!(
        flags,
        vec![Some(true), Some(true), Some(true)],
        "{versions:?}"
    );
}

#[test]
fn sharing_a_withdraw_key_needs_the_passphrase_even_to_a_passphrase_file_and_nothing_leaves_without(
) {
    let (_s, mut v) = hot_vault();
    v.add(
        key("cold", "binance", &["read"]),
        fields_for("binance", "c"),
    )
    .unwrap();
    let request = |step_up: Option<SecretString>| ShareExport {
        keys: vec!["cold".into(), "hot".into()],
        passphrase: Some(SecretString::from("a share passphrase of my choosing")),
        confirm_withdraw: vec!["hot".into()],
        scrypt_work_factor: Some(10),
        step_up,
        ..ShareExport::default()
    };
    let before = audit_actions(&v).len();
    let e = v.share_export(&request(None)).unwrap_err();
    step_up_required(&e, "hot");
    let e = v.share_export(&request(Some(wrong()))).unwrap_err();
    assert!(matches!(e, Error::WrongPassphrase), "{e}");
    let actions = audit_actions(&v);
    assert_eq!(
        actions.len(),
        before + 1,
        "only the wrong guess is recorded"
    );
    assert_eq!(actions.last(), Some(&AuditAction::UnlockFailed));

    // Without the confirmation by name, the passphrase is not even asked.
    let mut unconfirmed = request(None);
    unconfirmed.confirm_withdraw.clear();
    let e = v.share_export(&unconfirmed).unwrap_err();
    assert!(matches!(e, Error::WithdrawNotConfirmed { .. }), "{e}");

    let exported = v.share_export(&request(Some(pass()))).unwrap();
    assert!(!exported.bytes.is_empty());
    assert_eq!(
        audit_actions(&v)
            .iter()
            .filter(|a| **a == AuditAction::ShareExported)
            .count(),
        2
    );

    // A key that can no longer withdraw still holds a secret that can: the same rule.
    v.edit("hot", without_withdraw(), Some(&pass())).unwrap();
    let mut after_edit = request(None);
    after_edit.keys = vec!["hot".into()];
    let e = v.share_export(&after_edit).unwrap_err();
    step_up_required(&e, "hot");
}

#[test]
fn a_read_only_key_is_revealed_copied_edited_and_shared_without_a_second_passphrase() {
    let s = Sandbox::new();
    let mut v = s.open();
    v.add(
        key("ro", "binance", &["read", "trade"]),
        fields_for("binance", "r"),
    )
    .unwrap();
    v.reveal("ro", CredentialField::Secret, None, None).unwrap();
    v.secret_for_copy("ro", CredentialField::Secret, None, None)
        .unwrap();
    v.edit("ro", without_withdraw(), None).unwrap();
    v.share_export(&ShareExport {
        keys: vec!["ro".into()],
        passphrase: Some(SecretString::from("a share passphrase of my choosing")),
        scrypt_work_factor: Some(10),
        ..ShareExport::default()
    })
    .unwrap();
}
