//! Handing keys to a program (`run`): the release audits each key and sets its "last used"; revoked,
//! compromised and expired keys are refused (expired ones allowed on request); a key that can withdraw
//! needs the passphrase again; a refusal writes nothing.

mod common;

use chrono::Duration;
use common::{audit_actions, fields_for, key, Sandbox, PASS};
use keystead_core::vault::program_label;
use keystead_core::{AuditAction, CredentialField, Error, RunRequest, Vault};
use secrecy::{ExposeSecret, SecretString};

fn req(keys: &[&str]) -> RunRequest {
    RunRequest {
        keys: keys.iter().map(|k| k.to_string()).collect(),
        profile: "ccxt".into(),
        program: "/usr/bin/python3".into(),
        allow_expired: false,
    }
}

fn not_active(e: &Error, name: &str, status: &str) {
    match e {
        Error::NotActive {
            name: n, status: s, ..
        } => {
            assert_eq!(n, name);
            assert_eq!(s, status);
        }
        other => panic!("expected {name} refused as {status}, got: {other}"),
    }
}

fn vault_with(keys: &[(&str, &str, &[&str])]) -> (Sandbox, Vault) {
    let s = Sandbox::new();
    let mut v = s.open();
    for (name, exchange, scopes) in keys {
        v.add(key(name, exchange, scopes), fields_for(exchange, name))
            .unwrap();
    }
    (s, v)
}

#[test]
fn a_release_hands_out_the_current_secrets_audits_each_key_and_sets_last_used() {
    let (s, mut v) = vault_with(&[
        ("main", "binance", &["read", "trade"]),
        ("okx", "okx", &["read"]),
    ]);
    assert!(v.find("main").unwrap().last_used_at.is_none());
    s.clock.advance(Duration::hours(3));
    let released = v
        .release_for_run(&req(&["main", "okx", "main"]), None)
        .unwrap();
    assert_eq!(released.len(), 2, "a key named twice is released once");
    let (entry, secrets) = &released[0];
    assert_eq!(entry.name, "main");
    assert_eq!(
        secrets
            .get(CredentialField::ApiKey)
            .unwrap()
            .expose_secret(),
        "main-apiKey-value"
    );
    assert_eq!(released[1].0.name, "okx");
    assert!(released[1].1.get(CredentialField::Password).is_some());

    for name in ["main", "okx"] {
        assert_eq!(v.find(name).unwrap().last_used_at, Some(s.now()), "{name}");
    }
    let log = v.audit_log().unwrap();
    let runs: Vec<_> = log
        .iter()
        .filter(|r| r.event.action == AuditAction::KeyRun)
        .collect();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].event.key_name.as_deref(), Some("main"));
    assert_eq!(
        runs[0].event.detail.as_deref(),
        Some("profile: ccxt; program: python3")
    );
    // Still there after the vault is closed and opened again.
    drop(v);
    let v = s.open();
    assert_eq!(v.find("okx").unwrap().last_used_at, Some(s.now()));
}

#[test]
fn revoked_compromised_and_expired_keys_are_refused_and_nothing_is_written() {
    let (s, mut v) = vault_with(&[
        ("gone", "binance", &["read"]),
        ("leaked", "binance", &["read"]),
        ("old", "kraken", &["read"]),
        ("fine", "okx", &["read"]),
    ]);
    v.revoke("gone", None).unwrap();
    v.mark_compromised("leaked", None).unwrap();
    v.edit(
        "old",
        keystead_core::KeyEdit {
            expires_at: Some(Some(s.now() + Duration::days(1))),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    s.clock.advance(Duration::days(2));
    let before = audit_actions(&v).len();

    for allow_expired in [false, true] {
        let mut r = req(&["fine", "gone"]);
        r.allow_expired = allow_expired;
        not_active(&v.release_for_run(&r, None).unwrap_err(), "gone", "revoked");
        let mut r = req(&["fine", "leaked"]);
        r.allow_expired = allow_expired;
        not_active(
            &v.release_for_run(&r, None).unwrap_err(),
            "leaked",
            "compromised",
        );
    }
    not_active(
        &v.release_for_run(&req(&["fine", "old"]), None).unwrap_err(),
        "old",
        "expired",
    );
    assert!(matches!(
        v.release_for_run(&req(&["fine", "nope"]), None)
            .unwrap_err(),
        Error::KeyNotFound { .. }
    ));
    assert_eq!(
        audit_actions(&v).len(),
        before,
        "nothing audited on refusal"
    );
    assert!(v.find("fine").unwrap().last_used_at.is_none());

    let mut r = req(&["old"]);
    r.allow_expired = true;
    let released = v.release_for_run(&r, None).unwrap();
    assert_eq!(released[0].0.name, "old");
    assert_eq!(audit_actions(&v).last(), Some(&AuditAction::KeyRun));
}

#[test]
fn a_withdraw_key_needs_the_passphrase_once_for_the_whole_run_and_a_wrong_one_is_audited() {
    let (_s, mut v) = vault_with(&[
        ("hot", "binance", &["read", "withdraw"]),
        ("cold", "okx", &["read"]),
    ]);
    let before = audit_actions(&v).len();
    match v.release_for_run(&req(&["cold", "hot"]), None).unwrap_err() {
        Error::StepUpRequired { name, .. } => assert_eq!(name, "hot"),
        other => panic!("expected a step-up, got: {other}"),
    }
    assert_eq!(audit_actions(&v).len(), before, "nothing released");

    let wrong = SecretString::from("not the passphrase at all");
    let e = v
        .release_for_run(&req(&["cold", "hot"]), Some(&wrong))
        .unwrap_err();
    assert!(matches!(e, Error::WrongPassphrase), "{e}");
    let log = v.audit_log().unwrap();
    assert_eq!(log.len(), before + 1, "only the failed check is recorded");
    let last = &log.last().unwrap().event;
    assert_eq!(last.action, AuditAction::UnlockFailed);
    assert_eq!(last.key_name.as_deref(), Some("hot"));
    assert!(v.find("hot").unwrap().last_used_at.is_none());

    let released = v
        .release_for_run(&req(&["cold", "hot"]), Some(&SecretString::from(PASS)))
        .unwrap();
    assert_eq!(released.len(), 2);
    let log = v.audit_log().unwrap();
    let hot = log
        .iter()
        .rev()
        .find(|r| {
            r.event.action == AuditAction::KeyRun && r.event.key_name.as_deref() == Some("hot")
        })
        .unwrap();
    assert_eq!(
        hot.event.detail.as_deref(),
        Some("profile: ccxt; program: python3; passphrase given again")
    );
}

#[test]
fn only_the_program_file_name_is_recorded_made_safe_and_bounded() {
    assert_eq!(program_label("/opt/bots/freqtrade"), "freqtrade");
    assert_eq!(program_label("bot.py"), "bot.py");
    assert_eq!(program_label("dir/"), "dir");
    assert_eq!(program_label("evil\u{1b}[2J\u{202e}name"), "evil?[2J?name");
    assert_eq!(program_label(""), "?");
    let long = "x".repeat(200);
    let label = program_label(&long);
    assert_eq!(label.chars().count(), 64);
    assert!(label.ends_with('…'));

    let (_s, mut v) = vault_with(&[("main", "binance", &["read"])]);
    for bad in ["", "ccxt; program: x", "a b"] {
        let mut r = req(&["main"]);
        r.profile = bad.into();
        assert!(
            matches!(
                v.release_for_run(&r, None).unwrap_err(),
                Error::InvalidInput { .. }
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        v.release_for_run(&req(&[]), None).unwrap_err(),
        Error::InvalidInput { .. }
    ));
}

#[test]
fn showing_or_copying_the_current_secret_is_a_use_an_older_versions_is_not() {
    // OKX deletes an unbound trading key after 14 days without use: its due date counts from the last use.
    let (s, mut v) = vault_with(&[("okx", "okx", &["read", "trade"])]);
    let due_before = v.summary("okx").unwrap().due_at.unwrap();
    s.clock.advance(Duration::days(5));
    v.reveal("okx", CredentialField::Secret, None, None)
        .unwrap();
    let e = v.find("okx").unwrap();
    assert_eq!(e.last_used_at, Some(s.now()));
    let used = e.last_use.clone().unwrap();
    assert_eq!(used.how, keystead_core::KeyUseKind::Revealed);
    assert_eq!(
        used.by, "test",
        "the front end (the sandbox opens as `test`)"
    );
    assert_eq!(used.host, keystead_core::process::host_name());
    assert!(used.host.is_some(), "this machine has a host name");
    assert_eq!(used.program, None);
    let due_after = v.summary("okx").unwrap().due_at.unwrap();
    assert_eq!(
        due_after - due_before,
        Duration::days(5),
        "the inactivity rule counts from the use"
    );

    s.clock.advance(Duration::hours(2));
    v.secret_for_copy("okx", CredentialField::ApiKey, None, None)
        .unwrap();
    let e = v.find("okx").unwrap();
    assert_eq!(e.last_used_at, Some(s.now()));
    assert_eq!(e.last_use.unwrap().how, keystead_core::KeyUseKind::Copied);

    // A rotation keeps version 1 in the history; showing it is looking at the past, not a use.
    v.rotate("okx", fields_for("okx", "v2"), None).unwrap();
    let copied_at = s.now();
    s.clock.advance(Duration::hours(1));
    v.reveal("okx", CredentialField::Secret, Some(1), None)
        .unwrap();
    assert_eq!(v.find("okx").unwrap().last_used_at, Some(copied_at));

    // `run` records the program too; it all survives a reopen.
    v.release_for_run(&req(&["okx"]), None).unwrap();
    drop(v);
    let v = s.open();
    let used = v.find("okx").unwrap().last_use.unwrap();
    assert_eq!(
        (used.how, used.program.as_deref()),
        (keystead_core::KeyUseKind::Run, Some("python3"))
    );
    assert_eq!(v.summary("okx").unwrap().last_use, Some(used));
}
