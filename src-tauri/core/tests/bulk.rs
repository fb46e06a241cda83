//! Bulk changes from the key table: one change to several keys is one transaction with one audit event
//! per key changed, and all or nothing: a key that cannot take the change fails the batch, names that
//! key, and leaves every key and the audit log as they were.

mod common;

use common::{audit_actions, fields_for, key, Sandbox, PASS};
use keystead_core::{AuditAction, BulkEdit, Error, KeyEdit, KeyStatus, Vault};
use secrecy::SecretString;

/// A vault with three keys: `alpha` and `beta` (read only), `hot` (read + withdraw).
fn three_keys() -> (Sandbox, Vault) {
    let s = Sandbox::new();
    let mut v = s.open();
    v.add(
        key("alpha", "binance", &["read"]),
        fields_for("binance", "a"),
    )
    .unwrap();
    v.add(key("beta", "kraken", &["read"]), fields_for("kraken", "b"))
        .unwrap();
    v.add(
        key("hot", "binance", &["read", "withdraw"]),
        fields_for("binance", "h"),
    )
    .unwrap();
    (s, v)
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|n| n.to_string()).collect()
}

/// The audit events after `from`, as (action, key name, detail).
fn events_after(v: &Vault, from: usize) -> Vec<(AuditAction, String, String)> {
    v.audit_log()
        .unwrap()
        .into_iter()
        .skip(from)
        .map(|r| {
            (
                r.event.action,
                r.event.key_name.unwrap_or_default(),
                r.event.detail.unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn adding_a_tag_to_two_keys_tags_both_with_one_audit_event_each() {
    let (_s, mut v) = three_keys();
    let before = audit_actions(&v).len();
    let changed = v
        .bulk_edit(
            &names(&["alpha", "beta"]),
            &BulkEdit::AddTag(" bots ".into()),
            None,
        )
        .unwrap();
    assert_eq!(
        changed.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["alpha", "beta"]
    );
    assert_eq!(v.find("alpha").unwrap().tags, ["bots"]);
    assert_eq!(v.find("beta").unwrap().tags, ["bots"]);
    assert!(v.find("hot").unwrap().tags.is_empty(), "a key not chosen");
    let events = events_after(&v, before);
    assert_eq!(events.len(), 2, "{events:?}");
    for ((action, name, detail), want) in events.iter().zip(["alpha", "beta"]) {
        assert_eq!(*action, AuditAction::KeyEdited);
        assert_eq!(name, want);
        assert_eq!(detail, "tags");
    }
    v.verify_audit().unwrap();
}

#[test]
fn a_key_that_already_has_the_tag_is_left_alone_and_removing_ignores_case() {
    let (_s, mut v) = three_keys();
    v.bulk_edit(&names(&["alpha"]), &BulkEdit::AddTag("Bots".into()), None)
        .unwrap();
    let before = audit_actions(&v).len();
    v.bulk_edit(
        &names(&["alpha", "beta"]),
        &BulkEdit::AddTag("Bots".into()),
        None,
    )
    .unwrap();
    let events = events_after(&v, before);
    assert_eq!(events.len(), 1, "only beta changed: {events:?}");
    assert_eq!(events[0].1, "beta");

    let before = audit_actions(&v).len();
    v.bulk_edit(
        &names(&["alpha", "beta", "hot"]),
        &BulkEdit::RemoveTag("bots".into()),
        None,
    )
    .unwrap();
    assert!(v.find("alpha").unwrap().tags.is_empty());
    assert!(v.find("beta").unwrap().tags.is_empty());
    assert_eq!(events_after(&v, before).len(), 2, "hot had no such tag");
}

#[test]
fn the_rotation_reminder_is_set_and_cleared_for_every_chosen_key() {
    let (_s, mut v) = three_keys();
    let before = audit_actions(&v).len();
    v.bulk_edit(
        &names(&["alpha", "hot"]),
        &BulkEdit::RotationDays(Some(90)),
        None,
    )
    .unwrap();
    assert_eq!(v.find("alpha").unwrap().rotation_days, Some(90));
    assert_eq!(v.find("hot").unwrap().rotation_days, Some(90));
    assert_eq!(v.find("beta").unwrap().rotation_days, None);
    let events = events_after(&v, before);
    assert_eq!(events.len(), 2);
    assert!(events
        .iter()
        .all(|(_, _, d)| d == "rotation: never → every 90 days"));

    v.bulk_edit(
        &names(&["alpha", "hot"]),
        &BulkEdit::RotationDays(None),
        None,
    )
    .unwrap();
    assert_eq!(v.find("hot").unwrap().rotation_days, None);
    let e = v
        .bulk_edit(&names(&["alpha"]), &BulkEdit::RotationDays(Some(0)), None)
        .unwrap_err();
    assert!(e.to_string().contains("at least 1 day"), "{e}");
}

#[test]
fn revoking_a_range_revokes_each_key_with_its_reason_and_one_event_each() {
    let (_s, mut v) = three_keys();
    let before = audit_actions(&v).len();
    let revoked = v
        .revoke_many(&names(&["alpha", "beta"]), Some("desk closed".into()))
        .unwrap();
    assert_eq!(revoked.len(), 2);
    for name in ["alpha", "beta"] {
        let e = v.find(name).unwrap();
        assert_eq!(e.status, KeyStatus::Revoked);
        assert_eq!(e.status_reason.as_deref(), Some("desk closed"));
    }
    assert_eq!(v.find("hot").unwrap().status, KeyStatus::Active);
    let events = events_after(&v, before);
    assert_eq!(
        events
            .iter()
            .map(|(a, n, _)| (*a, n.as_str()))
            .collect::<Vec<_>>(),
        [
            (AuditAction::KeyRevoked, "alpha"),
            (AuditAction::KeyRevoked, "beta")
        ]
    );
    assert!(
        events[0].2.contains("reason: desk closed"),
        "{:?}",
        events[0]
    );
}

#[test]
fn a_key_revoked_already_fails_the_whole_batch_naming_it_and_nothing_is_written() {
    let (s, mut v) = three_keys();
    v.revoke("beta", None).unwrap();
    let before = audit_actions(&v).len();
    let counter = s
        .sql()
        .query_row("SELECT commit_counter FROM state", [], |r| {
            r.get::<_, i64>(0)
        });
    let e = v
        .revoke_many(&names(&["alpha", "beta", "hot"]), Some("cleanup".into()))
        .unwrap_err();
    match &e {
        Error::NotActive { name, .. } => assert_eq!(name, "beta"),
        other => panic!("expected beta named, got: {other}"),
    }
    assert!(e.to_string().contains("beta"), "{e}");
    assert_eq!(
        v.find("alpha").unwrap().status,
        KeyStatus::Active,
        "alpha came before beta in the batch and stays active"
    );
    assert_eq!(v.find("hot").unwrap().status, KeyStatus::Active);
    assert_eq!(audit_actions(&v).len(), before, "no audit event");
    assert_eq!(
        s.sql()
            .query_row("SELECT commit_counter FROM state", [], |r| r
                .get::<_, i64>(0))
            .unwrap(),
        counter.unwrap(),
        "no commit"
    );
}

#[test]
fn an_unknown_key_in_the_batch_changes_nothing() {
    let (_s, mut v) = three_keys();
    let before = audit_actions(&v).len();
    let e = v
        .bulk_edit(
            &names(&["alpha", "gone"]),
            &BulkEdit::AddTag("x".into()),
            None,
        )
        .unwrap_err();
    assert!(
        matches!(&e, Error::KeyNotFound { name } if name == "gone"),
        "{e}"
    );
    assert!(v.find("alpha").unwrap().tags.is_empty());
    assert_eq!(audit_actions(&v).len(), before);
}

#[test]
fn a_batch_that_takes_away_withdraw_needs_the_passphrase_again_for_all_of_it() {
    let (_s, mut v) = three_keys();
    let read_only = |_: &keystead_core::KeyEntry| KeyEdit {
        scopes: Some(vec!["read".into()]),
        ..KeyEdit::default()
    };
    let before = audit_actions(&v).len();
    let e = v
        .edit_many(&names(&["alpha", "hot"]), read_only, None)
        .unwrap_err();
    match &e {
        Error::StepUpRequired { name, .. } => assert_eq!(name, "hot"),
        other => panic!("expected a step-up for hot, got: {other}"),
    }
    assert_eq!(audit_actions(&v).len(), before, "nothing written");
    assert!(v
        .find("hot")
        .unwrap()
        .scopes
        .iter()
        .any(|s| s.moves_funds()));

    let wrong = SecretString::from("not the passphrase at all");
    let e = v
        .edit_many(&names(&["alpha", "hot"]), read_only, Some(&wrong))
        .unwrap_err();
    assert!(matches!(e, Error::WrongPassphrase), "{e}");
    assert!(v
        .find("hot")
        .unwrap()
        .scopes
        .iter()
        .any(|s| s.moves_funds()));

    let changed = v
        .edit_many(
            &names(&["alpha", "hot"]),
            read_only,
            Some(&SecretString::from(PASS)),
        )
        .unwrap();
    assert_eq!(changed.len(), 2);
    assert!(!v
        .find("hot")
        .unwrap()
        .scopes
        .iter()
        .any(|s| s.moves_funds()));
}

#[test]
fn a_key_named_twice_or_by_id_and_name_is_changed_once() {
    let (_s, mut v) = three_keys();
    let id = v.find("alpha").unwrap().id.to_string();
    let before = audit_actions(&v).len();
    let changed = v
        .bulk_edit(
            &[id, "alpha".into(), "ALPHA".into()],
            &BulkEdit::AddTag("once".into()),
            None,
        )
        .unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(v.find("alpha").unwrap().tags, ["once"]);
    assert_eq!(audit_actions(&v).len(), before + 1);
    let e = v
        .bulk_edit(&[], &BulkEdit::AddTag("x".into()), None)
        .unwrap_err();
    assert!(matches!(e, Error::NoKeysChosen), "{e}");
    let e = v
        .bulk_edit(&names(&["alpha"]), &BulkEdit::AddTag("  ".into()), None)
        .unwrap_err();
    assert!(e.to_string().contains("tag"), "{e}");
}
