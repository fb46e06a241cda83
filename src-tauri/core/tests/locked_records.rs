//! Records written while the vault is locked, forged by someone who can write the file: what the next
//! unlock seals from `unlock_failures` and `reminders_sent` is rebuilt from Keystead's own words, its time
//! bounded, its program one of a fixed set, marked "recorded while locked"; deleted failures are noticed.

use chrono::{DateTime, Duration, Utc};
use keystead_core::{AuditAction, AuditRecord, Error, Vault};
use rusqlite::params;

mod common;

use common::{fields_for, key, start, Sandbox};

fn events_of(v: &Vault, action: AuditAction) -> Vec<AuditRecord> {
    v.audit_log()
        .unwrap()
        .into_iter()
        .filter(|r| r.event.action == action)
        .collect()
}

/// No control character anywhere in what an event says.
fn assert_plain(r: &AuditRecord) {
    let e = &r.event;
    for text in [Some(&e.actor), e.detail.as_ref(), e.key_name.as_ref()]
        .into_iter()
        .flatten()
    {
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(
            !text.contains("[32m") && !text.contains("pwned"),
            "{text:?}"
        );
    }
}

/// The time of the newest event in the chain.
fn head_time(s: &Sandbox) -> DateTime<Utc> {
    s.open().audit_log().unwrap().last().unwrap().event.at
}

#[test]
fn a_back_dated_failed_unlock_with_escape_codes_is_sealed_with_keysteads_words_at_a_bounded_time() {
    let s = Sandbox::new();
    s.clock.advance(Duration::hours(2));
    let floor = head_time(&s);
    s.clock.advance(Duration::hours(1));
    let forged_at = start() - Duration::days(365);
    s.sql()
        .execute(
            "INSERT INTO unlock_failures (at, actor) VALUES (?1, ?2)",
            params![
                forged_at.timestamp(),
                "\x1b[32mroot logged in from 10.0.0.1\x1b[0m"
            ],
        )
        .unwrap();
    // The attacker also keeps the count in step, so only the content is forged.
    s.sql()
        .execute("UPDATE unlock_failure_count SET pending = pending + 1", [])
        .unwrap();

    let v = s.open();
    let failed = events_of(&v, AuditAction::UnlockFailed);
    assert_eq!(failed.len(), 1, "{failed:#?}");
    let e = &failed[0].event;
    assert!(e.recorded_while_locked);
    assert_eq!(e.actor, "unknown");
    assert_eq!(
        e.at, floor,
        "not a year back: no earlier than the last sealed event"
    );
    let detail = e.detail.as_deref().unwrap();
    assert!(detail.starts_with("wrong passphrase; recorded as 2025-01-10 09:00:00 UTC, before the last event sealed with the key"), "{detail}");
    assert_plain(&failed[0]);
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    assert!(v.verify_audit().unwrap().intact());
    // Events sealed with the key carry no mark.
    assert!(v
        .audit_log()
        .unwrap()
        .iter()
        .filter(|r| r.event.action != AuditAction::UnlockFailed)
        .all(|r| !r.event.recorded_while_locked));
}

#[test]
fn a_failed_unlock_dated_in_the_future_or_with_a_non_number_time_is_placed_within_bounds() {
    let s = Sandbox::new();
    let c = s.sql();
    c.execute(
        "INSERT INTO unlock_failures (at, actor) VALUES (?1, 'cli')",
        [(start() + Duration::days(30)).timestamp()],
    )
    .unwrap();
    c.execute(
        "INSERT INTO unlock_failures (at, actor) VALUES ('yesterday', 'app')",
        [],
    )
    .unwrap();
    c.execute("UPDATE unlock_failure_count SET pending = 2", [])
        .unwrap();
    drop(c);
    s.clock.advance(Duration::hours(1));
    let v = s.open();
    let failed = events_of(&v, AuditAction::UnlockFailed);
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0].event.at, s.now(), "not after this unlock");
    assert_eq!(failed[0].event.actor, "cli");
    assert!(failed[0]
        .event
        .detail
        .as_deref()
        .unwrap()
        .contains("later than this unlock"));
    assert_eq!(failed[1].event.at, start());
    assert_eq!(failed[1].event.actor, "app");
    assert!(failed[1]
        .event
        .detail
        .as_deref()
        .unwrap()
        .contains("unreadable"));
    assert!(failed.iter().all(|r| r.event.recorded_while_locked));
    assert!(v.verify_audit().unwrap().intact());
}

#[test]
fn a_forged_reminder_record_with_free_text_is_sealed_without_its_text() {
    let s = Sandbox::app();
    let mut v = s.open();
    v.add(
        key("kraken-tax", "kraken", &["read"]),
        fields_for("kraken", "t"),
    )
    .unwrap();
    let id = v.detail("kraken-tax").unwrap().summary.id;
    drop(v);
    s.clock.advance(Duration::hours(1));
    let floor = head_time(&s);
    let back = (start() - Duration::days(400)).timestamp();
    let c = s.sql();
    // A key id that is text, a real key's id from a year back, and a threshold no Keystead writes.
    let rows: [(&str, i64, &str); 3] = [
        ("\x1b]0;pwned\x07\x1b[2J", 0, "\x1b[32mapp"),
        (&id.to_string(), 0, "cli\x1b[0m"),
        (&id.to_string(), -7, "app\u{202e}"),
    ];
    for (entry, threshold, actor) in rows {
        c.execute(
            "INSERT INTO reminders_sent (entry_id, due_at, threshold, sent_at, actor, sealed)
             VALUES (?1, ?2, ?3, ?4, ?5, 0)",
            params![
                entry,
                start().timestamp() + threshold,
                threshold,
                back,
                actor
            ],
        )
        .unwrap();
    }
    drop(c);
    s.clock.advance(Duration::hours(1));
    let v = s.open();
    let sent = events_of(&v, AuditAction::ReminderSent);
    assert_eq!(sent.len(), 3, "{sent:#?}");
    for r in &sent {
        assert_plain(r);
        assert!(r.event.recorded_while_locked);
        assert_eq!(r.event.at, floor);
        assert_eq!(r.event.actor, "unknown");
        assert!(r
            .event
            .detail
            .as_deref()
            .unwrap()
            .contains("before the last event sealed with the key"));
    }
    let unreadable = sent
        .iter()
        .filter(|r| {
            r.event
                .detail
                .as_deref()
                .unwrap()
                .starts_with("a record of a reminder that cannot be read")
        })
        .count();
    assert_eq!(unreadable, 2, "the text id and the unknown threshold");
    let real = sent.iter().find(|r| r.event.key_id == Some(id)).unwrap();
    assert_eq!(
        real.event.key_name.as_deref(),
        Some("kraken-tax"),
        "named from the sealed key record"
    );
    assert!(v.verify_audit().unwrap().intact());
}

#[test]
fn deleting_failed_unlocks_from_the_file_is_reported_and_sealed_as_an_event() {
    let s = Sandbox::new();
    for pass in ["guess one", "guess two", "guess three"] {
        assert!(matches!(s.try_open(pass), Err(Error::WrongPassphrase)));
    }
    s.sql()
        .execute(
            "DELETE FROM unlock_failures WHERE id > (SELECT min(id) FROM unlock_failures)",
            [],
        )
        .unwrap();
    let v = s.open();
    let failed = events_of(&v, AuditAction::UnlockFailed);
    assert_eq!(failed.len(), 2, "{failed:#?}");
    assert!(failed[0].event.recorded_while_locked);
    assert_eq!(failed[0].event.detail.as_deref(), Some("wrong passphrase"));
    let missing = "2 failed unlocks noted while the vault was locked are missing: their records were deleted from the vault file outside Keystead";
    assert_eq!(failed[1].event.detail.as_deref(), Some(missing));
    assert!(
        !failed[1].event.recorded_while_locked,
        "noticed by this unlock, sealed with the key"
    );
    assert_eq!(failed[1].event.actor, "test");
    assert_eq!(v.warnings(), [missing.to_string()]);
    drop(v);
    // Counted once: the next unlock is quiet again.
    let v = s.open();
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    assert_eq!(events_of(&v, AuditAction::UnlockFailed).len(), 2);
}

#[test]
fn deleting_every_failed_unlock_is_reported_too() {
    let s = Sandbox::new();
    assert!(s.try_open("guess").is_err());
    s.sql().execute("DELETE FROM unlock_failures", []).unwrap();
    let v = s.open();
    assert_eq!(
        v.warnings(),
        ["1 failed unlock noted while the vault was locked is missing: its record was deleted from the vault file outside Keystead".to_string()]
    );
}

#[test]
fn a_failed_unlock_row_added_without_its_count_is_sealed_and_reported() {
    let s = Sandbox::new();
    s.sql()
        .execute(
            "INSERT INTO unlock_failures (at, actor) VALUES (?1, 'cli')",
            [start().timestamp()],
        )
        .unwrap();
    let v = s.open();
    assert_eq!(
        v.warnings(),
        ["1 record of failed unlocks was added to the vault file outside Keystead".to_string()]
    );
    assert_eq!(events_of(&v, AuditAction::UnlockFailed).len(), 2);
}

#[test]
fn failures_noted_in_a_schema_4_file_are_counted_by_its_migration() {
    let s = Sandbox::new();
    s.sql()
        .execute_batch("DROP TABLE unlock_failure_count; PRAGMA user_version = 4;")
        .unwrap();
    assert!(s.try_open("guess").is_err());
    let v = s.open();
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    let failed = events_of(&v, AuditAction::UnlockFailed);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].event.detail.as_deref(), Some("wrong passphrase"));
}
