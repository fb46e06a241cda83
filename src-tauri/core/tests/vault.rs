//! The vault against a real SQLite file in a temporary folder, on a fake clock.

use chrono::{Duration, TimeZone, Utc};
use keystead_core::audit::AuditProblem;
use keystead_core::catalog::{self, RuleClock, RuleEffect};
use keystead_core::due::{DueKind, DueState, RiskFlag};
use keystead_core::vault::OpenOptions;
use keystead_core::{
    AuditAction, CredentialField, Error, FixedClock, KdfParams, KeyEdit, KeyStatus, SecretFields,
    Vault,
};
use rusqlite::Connection;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

mod common;

use common::{audit_actions, fields_for, key, secrets, start, Sandbox, PASS};

#[test]
fn a_key_added_then_reopened_returns_the_same_metadata_and_secrets() {
    let s = Sandbox::new();
    let mut v = s.open();
    let mut new = key("binance-main", "binance", &["read", "trade"]);
    new.ip_allowlist = vec!["203.0.113.7".into()];
    new.expires_at = Some(Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap());
    new.rotation_days = Some(90);
    new.notes = "main bot".into();
    let added = v
        .add(
            new,
            secrets(&[
                (CredentialField::ApiKey, "AK-1"),
                (CredentialField::Secret, "SK-1"),
            ]),
        )
        .unwrap();
    drop(v);

    let mut v = s.open();
    let found = v.find("binance-main").unwrap();
    assert_eq!(found, added);
    assert_eq!(found.ip_allowlist, vec!["203.0.113.7"]);
    assert_eq!(
        v.reveal("binance-main", CredentialField::Secret, None, None)
            .unwrap()
            .expose_secret(),
        "SK-1"
    );
    assert_eq!(
        v.reveal("BINANCE-MAIN", CredentialField::ApiKey, None, None)
            .unwrap()
            .expose_secret(),
        "AK-1"
    );
    assert_eq!(
        audit_actions(&v),
        vec![
            AuditAction::VaultCreated,
            AuditAction::KeyCreated,
            AuditAction::SecretRevealed,
            AuditAction::SecretRevealed
        ]
    );
    assert!(v.verify_audit().unwrap().intact());
    assert!(v.warnings().is_empty());
}

#[test]
fn rotating_keeps_the_old_secret_in_history_and_resets_the_countdown() {
    let s = Sandbox::new();
    let mut v = s.open();
    let mut new = key("bybit-bot", "bybit", &["read", "trade"]);
    new.ip_allowlist = vec!["198.51.100.0/24".into()];
    new.rotation_days = Some(30);
    v.add(
        new,
        secrets(&[
            (CredentialField::ApiKey, "old-key"),
            (CredentialField::Secret, "old-secret"),
        ]),
    )
    .unwrap();
    let before = v.summary("bybit-bot").unwrap();
    assert_eq!(before.due_at, Some(start() + Duration::days(30)));

    s.clock.advance(Duration::days(20));
    let entry = v
        .rotate(
            "bybit-bot",
            secrets(&[
                (CredentialField::ApiKey, "new-key"),
                (CredentialField::Secret, "new-secret"),
            ]),
            Some("scheduled".into()),
        )
        .unwrap();
    assert_eq!(entry.versions.len(), 2);
    assert_eq!(
        entry.versions[0].retired_at,
        Some(start() + Duration::days(20))
    );
    assert_eq!(entry.versions[0].reason.as_deref(), Some("scheduled"));
    assert_eq!(entry.versions[1].retired_at, None);

    let after = v.summary("bybit-bot").unwrap();
    assert_eq!(after.due_at, Some(start() + Duration::days(50)));
    assert_eq!(after.days_left, Some(30));
    assert_eq!(
        v.reveal("bybit-bot", CredentialField::Secret, None, None)
            .unwrap()
            .expose_secret(),
        "new-secret"
    );
    assert_eq!(
        v.reveal("bybit-bot", CredentialField::Secret, Some(1), None)
            .unwrap()
            .expose_secret(),
        "old-secret"
    );
    assert!(matches!(
        v.reveal("bybit-bot", CredentialField::Secret, Some(3), None),
        Err(Error::NoSuchSecret { .. })
    ));
}

#[test]
fn every_exchange_rule_sets_the_due_date_and_state_on_a_fake_clock() {
    for exchange in catalog::exchanges() {
        for rule in exchange.lifetime_rules {
            let s = Sandbox::new();
            let mut v = s.open();
            let scope = rule.when_any_scope.first().map_or("read", |s| s.as_str());
            let name = format!("{}-no-ip", exchange.id);
            v.add(
                key(&name, exchange.id, &[scope]),
                fields_for(exchange.id, "a"),
            )
            .unwrap();
            let kind = match rule.effect {
                RuleEffect::KeyExpires => DueKind::ExchangeExpiry,
                RuleEffect::TradingDisabled => DueKind::ExchangeTradingLapse,
            };
            let due = start() + Duration::days(rule.days.into());
            let k = v.summary(&name).unwrap();
            assert_eq!(
                (k.due_at, k.due_kind),
                (Some(due), Some(kind)),
                "{}",
                exchange.id
            );
            assert_eq!(k.due_reason.as_deref(), Some(rule.summary));

            s.clock.set(due - Duration::days(15));
            assert_eq!(
                v.summary(&name).unwrap().due_state,
                DueState::Ok,
                "{}",
                exchange.id
            );
            s.clock.set(due - Duration::days(14));
            let k = v.summary(&name).unwrap();
            assert_eq!(
                (k.due_state, k.days_left),
                (DueState::DueSoon, Some(14)),
                "{}",
                exchange.id
            );
            s.clock.set(due - Duration::hours(1));
            assert_eq!(v.summary(&name).unwrap().days_left, Some(0));
            s.clock.set(due);
            assert_eq!(
                v.summary(&name).unwrap().due_state,
                DueState::Expired,
                "{}",
                exchange.id
            );
            s.clock.set(due + Duration::hours(1));
            assert_eq!(v.summary(&name).unwrap().days_left, Some(-1));

            // Binding the key to an address lifts the rule.
            v.edit(
                &name,
                KeyEdit {
                    ip_allowlist: Some(vec!["203.0.113.9".into()]),
                    ..KeyEdit::default()
                },
                None,
            )
            .unwrap();
            let k = v.summary(&name).unwrap();
            assert_eq!(
                (k.due_at, k.due_state),
                (None, DueState::Ok),
                "{}",
                exchange.id
            );
            if rule.clock == RuleClock::Inactivity {
                assert!(!rule.when_any_scope.is_empty());
            }
        }
    }
}

#[test]
fn exchange_rules_apply_only_to_the_scopes_they_name() {
    let s = Sandbox::new();
    let mut v = s.open();
    // OKX deletes unbound keys that can trade; a read-only key is left alone.
    v.add(key("okx-read", "okx", &["read"]), fields_for("okx", "r"))
        .unwrap();
    v.add(
        key("okx-trade", "okx", &["read", "trade"]),
        fields_for("okx", "t"),
    )
    .unwrap();
    assert_eq!(v.summary("okx-read").unwrap().due_at, None);
    assert_eq!(
        v.summary("okx-trade").unwrap().due_at,
        Some(start() + Duration::days(14))
    );
    // Bybit expires every unbound key, read-only or not.
    v.add(
        key("bybit-read", "bybit", &["read"]),
        fields_for("bybit", "b"),
    )
    .unwrap();
    assert_eq!(
        v.summary("bybit-read").unwrap().due_at,
        Some(start() + Duration::days(90))
    );
}

#[test]
fn the_earliest_of_expiry_rotation_and_exchange_rule_decides_and_rotation_lateness_is_overdue() {
    let s = Sandbox::new();
    let mut v = s.open();
    let mut new = key("kraken-tax", "kraken", &["read"]);
    new.expires_at = Some(start() + Duration::days(100));
    new.rotation_days = Some(60);
    v.add(new, fields_for("kraken", "k")).unwrap();
    let k = v.summary("kraken-tax").unwrap();
    assert_eq!(
        (k.due_at, k.due_kind),
        (Some(start() + Duration::days(60)), Some(DueKind::Rotation))
    );
    s.clock.advance(Duration::days(61));
    let k = v.summary("kraken-tax").unwrap();
    assert_eq!(k.due_state, DueState::Overdue);
    assert!(k.risk_flags.contains(&RiskFlag::RotationOverdue));
    s.clock.advance(Duration::days(40));
    v.rotate("kraken-tax", fields_for("kraken", "k2"), None)
        .unwrap();
    let k = v.summary("kraken-tax").unwrap();
    assert_eq!(
        (k.due_kind, k.due_state),
        (Some(DueKind::Expiry), DueState::Expired)
    );
}

#[test]
fn risk_flags_name_withdraw_unbound_unexpiring_and_duplicated_keys() {
    let s = Sandbox::new();
    let mut v = s.open();
    v.add(
        key("withdrawer", "binance", &["read", "withdraw"]),
        fields_for("binance", "same"),
    )
    .unwrap();
    let mut safe = key("safe", "kraken", &["read"]);
    safe.expires_at = Some(start() + Duration::days(300));
    v.add(safe, fields_for("kraken", "unique")).unwrap();
    let flags = v.summary("withdrawer").unwrap().risk_flags;
    assert_eq!(
        flags,
        vec![
            RiskFlag::WithdrawEnabled,
            RiskFlag::NoIpAllowlist,
            RiskFlag::ProductionWithoutExpiry
        ]
    );
    assert!(v.summary("safe").unwrap().risk_flags.is_empty());

    // The same secret stored a second time (under another exchange) flags both.
    v.add(
        key("copy", "bybit", &["read"]),
        fields_for("binance", "same"),
    )
    .unwrap();
    assert!(v
        .summary("withdrawer")
        .unwrap()
        .risk_flags
        .contains(&RiskFlag::DuplicateSecret));
    assert!(v
        .summary("copy")
        .unwrap()
        .risk_flags
        .contains(&RiskFlag::DuplicateSecret));
    v.revoke("copy", None).unwrap();
    assert!(!v
        .summary("withdrawer")
        .unwrap()
        .risk_flags
        .contains(&RiskFlag::DuplicateSecret));
}

#[test]
fn bad_input_changes_nothing_and_says_what_to_fix() {
    let s = Sandbox::new();
    let mut v = s.open();
    let events = v.audit_log().unwrap().len();
    let err = v
        .add(
            key("okx-bot", "okx", &["trade"]),
            secrets(&[
                (CredentialField::ApiKey, "a"),
                (CredentialField::Secret, "b"),
            ]),
        )
        .unwrap_err();
    assert!(matches!(err, Error::MissingFields { .. }));
    assert!(err.to_string().contains("password"), "{err}");
    assert!(matches!(
        v.add(key("x", "mtgox", &[]), fields_for("okx", "x")),
        Err(Error::UnknownExchange { .. })
    ));
    assert!(matches!(
        v.add(key("x", "okx", &["yolo"]), fields_for("okx", "x")),
        Err(Error::UnknownScope { .. })
    ));
    v.add(key("dup", "kraken", &["read"]), fields_for("kraken", "d"))
        .unwrap();
    assert!(matches!(
        v.add(key("DUP", "kraken", &[]), fields_for("kraken", "e")),
        Err(Error::DuplicateName { .. })
    ));
    assert!(matches!(v.find("nope"), Err(Error::KeyNotFound { .. })));
    let binance_password = secrets(&[
        (CredentialField::ApiKey, "a"),
        (CredentialField::Secret, "b"),
        (CredentialField::Password, "c"),
    ]);
    assert!(v.add(key("bp", "binance", &[]), binance_password).is_err());
    assert_eq!(v.list().unwrap().len(), 1);
    assert_eq!(v.audit_log().unwrap().len(), events + 1);
}

#[test]
fn a_wrong_passphrase_is_refused_and_sealed_into_the_audit_chain_at_the_next_unlock() {
    let s = Sandbox::new();
    assert!(matches!(
        s.try_open("not the passphrase"),
        Err(Error::WrongPassphrase)
    ));
    s.clock.advance(Duration::minutes(5));
    assert!(matches!(
        s.try_open("still wrong"),
        Err(Error::WrongPassphrase)
    ));
    s.clock.advance(Duration::minutes(5));
    let v = s.open();
    let log = v.audit_log().unwrap();
    let failed: Vec<_> = log
        .iter()
        .filter(|r| r.event.action == AuditAction::UnlockFailed)
        .collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0].event.at, start());
    assert_eq!(failed[1].event.at, start() + Duration::minutes(5));
    assert!(v.verify_audit().unwrap().intact());
    drop(v);
    // Sealed once: the next unlock adds nothing.
    assert_eq!(s.open().audit_log().unwrap().len(), log.len());
}

#[test]
fn changing_the_passphrase_rewraps_the_vault_key_and_keeps_every_secret() {
    let s = Sandbox::new();
    let mut v = s.open();
    v.add(key("k", "okx", &["read"]), fields_for("okx", "p"))
        .unwrap();
    assert!(matches!(
        v.change_passphrase(&SecretString::from("short"), KdfParams::FLOOR),
        Err(Error::WeakPassphrase { .. })
    ));
    v.change_passphrase(
        &SecretString::from("a brand new passphrase"),
        KdfParams::FLOOR,
    )
    .unwrap();
    drop(v);
    assert!(matches!(s.try_open(PASS), Err(Error::WrongPassphrase)));
    let mut v = s.try_open("a brand new passphrase").unwrap();
    assert_eq!(
        v.reveal("k", CredentialField::Password, None, None)
            .unwrap()
            .expose_secret(),
        "p-password-value"
    );
    assert!(audit_actions(&v).contains(&AuditAction::PassphraseChanged));
    assert!(v.verify_audit().unwrap().intact());
}

fn flip_byte(s: &Sandbox, table: &str, column: &str, filter: &str) {
    let c = s.sql();
    let blob: Vec<u8> = c
        .query_row(
            &format!("SELECT {column} FROM {table} WHERE {filter}"),
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut blob = blob;
    let i = blob.len() / 2;
    blob[i] ^= 0x01;
    c.execute(
        &format!("UPDATE {table} SET {column} = ?1 WHERE {filter}"),
        [blob],
    )
    .unwrap();
}

fn first_id(s: &Sandbox) -> String {
    s.sql()
        .query_row("SELECT id FROM entries ORDER BY id LIMIT 1", [], |r| {
            r.get(0)
        })
        .unwrap()
}

fn vault_with_rotated_key(s: &Sandbox) {
    let mut v = s.open();
    v.add(key("k", "binance", &["read"]), fields_for("binance", "v1"))
        .unwrap();
    v.rotate("k", fields_for("binance", "v2"), None).unwrap();
}

#[test]
fn a_flipped_byte_in_any_encrypted_column_reads_as_damaged_never_as_wrong_plaintext() {
    for column in ["meta", "secrets", "history"] {
        let s = Sandbox::new();
        vault_with_rotated_key(&s);
        let id = first_id(&s);
        flip_byte(&s, "entries", column, &format!("id = '{id}'"));
        let mut v = s.open();
        let result = match column {
            "meta" => v.list().map(|_| ()),
            "secrets" => v
                .reveal("k", CredentialField::Secret, None, None)
                .map(|_| ()),
            _ => v
                .reveal("k", CredentialField::Secret, Some(1), None)
                .map(|_| ()),
        };
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Damaged { .. }), "{column}: {err}");
        assert!(err.to_string().contains("damaged"), "{err}");
    }
}

#[test]
fn a_ciphertext_moved_to_another_row_or_column_fails_to_open() {
    let s = Sandbox::new();
    let mut v = s.open();
    v.add(key("a", "kraken", &["read"]), fields_for("kraken", "a"))
        .unwrap();
    v.add(key("b", "kraken", &["read"]), fields_for("kraken", "b"))
        .unwrap();
    drop(v);
    let c = s.sql();
    let ids: Vec<String> = c
        .prepare("SELECT id FROM entries ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // b's secrets moved into a's row.
    c.execute(
        "UPDATE entries SET secrets = (SELECT secrets FROM entries WHERE id = ?2) WHERE id = ?1",
        [&ids[0], &ids[1]],
    )
    .unwrap();
    let mut v = s.open();
    let a_name = v
        .list()
        .unwrap()
        .into_iter()
        .find(|k| k.id.to_string() == ids[0])
        .unwrap()
        .name;
    assert!(matches!(
        v.reveal(&a_name, CredentialField::Secret, None, None),
        Err(Error::Damaged { .. })
    ));
    drop(v);
    // A row's own secrets moved into its history column.
    c.execute(
        "UPDATE entries SET history = secrets WHERE id = ?1",
        [&ids[1]],
    )
    .unwrap();
    let mut v = s.open();
    let b_name = v
        .list()
        .unwrap()
        .into_iter()
        .find(|k| k.id.to_string() == ids[1])
        .unwrap()
        .name;
    assert!(matches!(
        v.reveal(&b_name, CredentialField::Secret, None, None),
        Err(Error::Damaged { .. })
    ));
    // A whole metadata cell swapped between rows.
    drop(v);
    c.execute(
        "UPDATE entries SET meta = (SELECT meta FROM entries WHERE id = ?2) WHERE id = ?1",
        [&ids[0], &ids[1]],
    )
    .unwrap();
    assert!(matches!(s.open().list(), Err(Error::Damaged { .. })));
}

#[test]
fn absurd_kdf_parameters_in_the_header_are_refused_before_deriving() {
    for (column, value) in [
        ("kdf_memory_kib", 4_i64 * 1024 * 1024 * 1024), // 4 TiB
        ("kdf_memory_kib", 1024),
        ("kdf_iterations", 1_000_000),
        ("kdf_iterations", 1),
        ("kdf_parallelism", 255),
        ("kdf_memory_kib", -1),
    ] {
        let s = Sandbox::new();
        s.sql()
            .execute(&format!("UPDATE header SET {column} = ?1"), [value])
            .unwrap();
        let err = s.try_open(PASS).unwrap_err();
        assert!(
            matches!(err, Error::KdfOutOfRange { .. }),
            "{column}={value}: {err}"
        );
    }
}

#[test]
fn any_header_edit_within_range_fails_to_unwrap_the_vault_key() {
    for sql in [
        "UPDATE header SET kdf_iterations = kdf_iterations + 1",
        "UPDATE header SET kdf_memory_kib = kdf_memory_kib + 1024",
        "UPDATE header SET vault_id = randomblob(16)",
        "UPDATE header SET salt = randomblob(32)",
    ] {
        let s = Sandbox::new();
        s.sql().execute(sql, []).unwrap();
        assert!(
            matches!(s.try_open(PASS), Err(Error::WrongPassphrase)),
            "{sql}"
        );
    }
    let s = Sandbox::new();
    s.sql()
        .execute("UPDATE header SET magic = x'00'", [])
        .unwrap();
    assert!(matches!(s.try_open(PASS), Err(Error::NotAVault { .. })));
    let s = Sandbox::new();
    s.sql()
        .execute("UPDATE header SET format_version = 99", [])
        .unwrap();
    assert!(matches!(
        s.try_open(PASS),
        Err(Error::UnsupportedVersion { .. })
    ));
}

#[test]
fn a_file_that_is_not_a_vault_or_is_missing_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let opts = || OpenOptions::new(Arc::new(FixedClock::new(start())), "test");
    let junk = dir.path().join("junk.db");
    std::fs::write(
        &junk,
        b"this is not sqlite at all, just some text that is long enough........",
    )
    .unwrap();
    assert!(matches!(
        Vault::unlock(&junk, &SecretString::from(PASS), opts()),
        Err(Error::NotAVault { .. })
    ));
    let missing = dir.path().join("missing.db");
    assert!(matches!(
        Vault::unlock(&missing, &SecretString::from(PASS), opts()),
        Err(Error::NoVault { .. })
    ));
    let other = dir.path().join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    assert!(matches!(
        Vault::unlock(&other, &SecretString::from(PASS), opts()),
        Err(Error::NotAVault { .. })
    ));
    // init refuses an existing file and leaves it alone.
    let before = std::fs::read(&junk).unwrap();
    assert!(matches!(
        Vault::create(&junk, &SecretString::from(PASS), KdfParams::FLOOR, opts()),
        Err(Error::VaultExists { .. })
    ));
    assert_eq!(std::fs::read(&junk).unwrap(), before);
}

fn audited_vault() -> Sandbox {
    let s = Sandbox::new();
    let mut v = s.open();
    v.add(key("a", "kraken", &["read"]), fields_for("kraken", "a"))
        .unwrap(); // #2
    v.reveal("a", CredentialField::Secret, None, None).unwrap(); // #3
    v.edit(
        "a",
        KeyEdit {
            notes: Some("n".into()),
            ..KeyEdit::default()
        },
        None,
    )
    .unwrap(); // #4
    v.revoke("a", None).unwrap(); // #5
    assert!(v.verify_audit().unwrap().intact());
    s
}

fn verify(s: &Sandbox) -> Option<AuditProblem> {
    s.open().verify_audit().unwrap().problem
}

#[test]
fn an_edited_deleted_swapped_or_truncated_audit_entry_is_named_by_verify() {
    let s = audited_vault();
    flip_byte(&s, "audit", "event", "seq = 3");
    assert_eq!(verify(&s), Some(AuditProblem::Altered { seq: 3 }));

    let s = audited_vault();
    s.sql()
        .execute("DELETE FROM audit WHERE seq = 3", [])
        .unwrap();
    assert_eq!(verify(&s), Some(AuditProblem::Missing { seq: 3 }));

    let s = audited_vault();
    let c = s.sql();
    c.execute_batch(
        "UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = -2;",
    )
    .unwrap();
    assert_eq!(verify(&s), Some(AuditProblem::Altered { seq: 2 }));

    let s = audited_vault();
    s.sql()
        .execute("DELETE FROM audit WHERE seq >= 4", [])
        .unwrap();
    let v = s.open();
    assert!(
        v.warnings().iter().any(|w| w.contains("#3")),
        "{:?}",
        v.warnings()
    );
    assert_eq!(
        v.verify_audit().unwrap().problem,
        Some(AuditProblem::Truncated {
            last_present: 3,
            expected_last: 5
        })
    );
}

#[test]
fn a_deleted_or_rolled_back_key_row_is_noticed_and_a_forged_state_refused() {
    let s = Sandbox::new();
    let mut v = s.open();
    v.add(key("a", "kraken", &["read"]), fields_for("kraken", "a"))
        .unwrap();
    v.add(key("b", "kraken", &["read"]), fields_for("kraken", "b"))
        .unwrap();
    drop(v);
    let id = first_id(&s);
    s.sql()
        .execute("DELETE FROM entries WHERE id = ?1", [&id])
        .unwrap();
    let v = s.open();
    assert!(
        v.warnings().iter().any(|w| w.contains("deleted")),
        "{:?}",
        v.warnings()
    );
    drop(v);

    let s = Sandbox::new();
    s.sql()
        .execute("UPDATE state SET commit_counter = commit_counter + 1", [])
        .unwrap();
    assert!(matches!(s.try_open(PASS), Err(Error::Damaged { .. })));
}

#[test]
fn no_name_exchange_note_or_secret_is_readable_in_the_file() {
    let s = Sandbox::new();
    let mut v = s.open();
    let mut new = key("canary-name-7Qx", "hyperliquid", &["trade"]);
    new.notes = "canary-note-9Zt".into();
    new.account = Some("canary-account-3Kp".into());
    v.add(
        new,
        secrets(&[
            (CredentialField::WalletAddress, "0xcanarywallet5Hd"),
            (CredentialField::PrivateKey, "canary-secret-2Wm"),
        ]),
    )
    .unwrap();
    v.rotate(
        "canary-name-7Qx",
        secrets(&[
            (CredentialField::WalletAddress, "0xcanarywallet5Hd"),
            (CredentialField::PrivateKey, "canary-rotated-8Rb"),
        ]),
        Some("canary-reason-4Jc".into()),
    )
    .unwrap();
    v.reveal(
        "canary-name-7Qx",
        CredentialField::PrivateKey,
        Some(1),
        None,
    )
    .unwrap();
    let debug = format!(
        "{v:?} {:?} {:?}",
        v.find("canary-name-7Qx").unwrap(),
        v.audit_log().unwrap()
    );
    let list = serde_json::to_string(&v.list().unwrap()).unwrap();
    let detail = serde_json::to_string(&v.detail("canary-name-7Qx").unwrap()).unwrap();
    let bytes_open = s.file_bytes();
    drop(v);
    for bytes in [bytes_open, s.file_bytes()] {
        for canary in [
            "canary-name",
            "canary-note",
            "canary-account",
            "canarywallet",
            "canary-secret",
            "canary-rotated",
            "canary-reason",
            "hyperliquid",
            "Hyperliquid",
        ] {
            assert!(
                !contains(&bytes, canary.as_bytes()),
                "{canary} is readable in the vault file"
            );
        }
    }
    for secret in ["canary-secret", "canary-rotated", "canarywallet"] {
        assert!(
            !debug.contains(secret) && !list.contains(secret) && !detail.contains(secret),
            "{secret} leaked into Debug, list or detail"
        );
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn secret_types_print_redacted_in_debug() {
    let s = secrets(&[
        (CredentialField::ApiKey, "visible-canary"),
        (CredentialField::Secret, "hidden-canary"),
    ]);
    let text = format!("{s:?} {s:#?}");
    assert!(!text.contains("canary"), "{text}");
    assert!(
        text.contains("apiKey") && text.contains("<redacted>"),
        "{text}"
    );
    let parsed = SecretFields::from_json(r#"{"apiKey": " AK \n", "secret": "SK"}"#).unwrap();
    assert_eq!(
        parsed.get(CredentialField::ApiKey).unwrap().expose_secret(),
        "AK"
    );
    assert!(!format!("{parsed:?}").contains("SK"));
    for bad in [
        r#"{"apikey2": "x"}"#,
        r#"["x"]"#,
        r#"{"apiKey": 5}"#,
        "not json",
    ] {
        assert!(SecretFields::from_json(bad).is_err(), "{bad} accepted");
    }
}

#[test]
fn status_changes_are_recorded_and_rotation_is_refused_for_dead_keys() {
    let s = Sandbox::new();
    let mut v = s.open();
    v.add(key("a", "binance", &["read"]), fields_for("binance", "a"))
        .unwrap();
    let e = v
        .mark_compromised("a", Some("leaked in chat".into()))
        .unwrap();
    assert_eq!(e.status, KeyStatus::Compromised);
    assert_eq!(e.status_reason.as_deref(), Some("leaked in chat"));
    let k = v.summary("a").unwrap();
    assert_eq!(k.due_at, None);
    assert!(k.risk_flags.contains(&RiskFlag::Compromised));
    assert!(matches!(
        v.rotate("a", fields_for("binance", "b"), None),
        Err(Error::NotActive { .. })
    ));
    v.revoke("a", None).unwrap();
    let log = v.audit_log().unwrap();
    let last = &log[log.len() - 1].event;
    assert_eq!(last.action, AuditAction::KeyRevoked);
    assert_eq!(
        last.detail.as_deref(),
        Some("status: compromised → revoked")
    );
}
