//! Reminders before a key is due, on a fake clock against a real vault file: each threshold once, exchange
//! rules, no repeats across restarts, one catch-up reminder after a long sleep, thresholds that start over
//! when the due date moves, generic text while locked, and every reminder in the audit chain.

use chrono::{DateTime, Duration, Utc};
use keystead_core::due::DueKind;
use keystead_core::key_list::KeyListIndex;
use keystead_core::{
    catalog, AuditAction, Error, FixedClock, KeyEdit, KeyReminder, KeyStatus, Reminder,
    ReminderPolicy, ReminderText, Threshold, Vault,
};
use rusqlite::Connection;
use secrecy::ExposeSecret;

mod common;

use common::{fields_for, key, start, Sandbox};

/// What the app's task does while the vault is locked: compute, record, return what to notify.
fn send_locked(s: &Sandbox, policy: &ReminderPolicy) -> Vec<Reminder> {
    let due = Vault::reminders_locked(&s.path, policy, s.now()).unwrap();
    let recorded = Vault::record_reminders_locked(&s.path, &due, s.now(), "app").unwrap();
    assert_eq!(recorded, due, "every reminder computed is newly recorded");
    recorded
}

/// What the app's task does while the vault is unlocked. The app's look reads the due dates from the key
/// list it already holds (`reminders_to_send_from`); every test here checks that it finds exactly what a
/// look at every sealed key finds.
fn send_unlocked(v: &mut Vault, policy: &ReminderPolicy) -> Vec<KeyReminder> {
    let due = v.reminders_to_send(policy).unwrap();
    let list = KeyListIndex::new(v.list().unwrap());
    let by_key = |mut r: Vec<KeyReminder>| {
        r.sort_by_key(|k| k.reminder.entry_id);
        r
    };
    assert_eq!(
        by_key(v.reminders_to_send_from(policy, &list).unwrap()),
        by_key(due.clone()),
        "the look from the key list finds what a look at every key finds"
    );
    let plain: Vec<Reminder> = due.iter().map(|k| k.reminder).collect();
    let recorded = v.record_reminders_sent(&plain).unwrap();
    assert_eq!(recorded, plain, "every reminder computed is newly recorded");
    due
}

/// A read-only Kraken key that expires 20 days after `start()` (Kraken has no key-lifetime rule).
fn add_expiring_key(v: &mut Vault, name: &str, days: i64) -> DateTime<Utc> {
    let mut new = key(name, "kraken", &["read"]);
    new.expires_at = Some(start() + Duration::days(days));
    v.add(new, fields_for("kraken", name)).unwrap();
    start() + Duration::days(days)
}

fn thresholds(reminders: &[KeyReminder]) -> Vec<Threshold> {
    reminders.iter().map(|r| r.reminder.threshold).collect()
}

fn reminder_events(v: &Vault) -> Vec<keystead_core::AuditRecord> {
    v.audit_log()
        .unwrap()
        .into_iter()
        .filter(|r| r.event.action == AuditAction::ReminderSent)
        .collect()
}

/// Sets the clock just before and just after each default threshold's mark and checks that exactly that
/// threshold fires, once. `send` returns the thresholds sent at the clock's time.
fn walk_default_thresholds(
    clock: &FixedClock,
    due: DateTime<Utc>,
    send: &mut dyn FnMut() -> Vec<Threshold>,
) {
    for days in [14u32, 7, 3, 1, 0] {
        // The countdown shows `days` once less than `days + 1` whole days are left.
        let mark = due - Duration::days(i64::from(days) + 1);
        clock.set(mark);
        assert_eq!(send(), [], "nothing yet at {days} + 1 days left");
        clock.set(mark + Duration::seconds(1));
        assert_eq!(
            send(),
            [Threshold::DaysLeft(days)],
            "the {days}-day reminder fires as the countdown reaches {days} days"
        );
        assert_eq!(send(), [], "the {days}-day reminder fires once");
        clock.set(mark + Duration::hours(12));
        assert_eq!(send(), [], "the {days}-day reminder fires once");
    }
    clock.set(due - Duration::seconds(1));
    assert_eq!(send(), [], "not overdue before the due date");
    clock.set(due);
    assert_eq!(send(), [Threshold::Overdue], "overdue at the due date");
    clock.set(due + Duration::days(30));
    assert_eq!(send(), [], "overdue is said once");
}

#[test]
fn each_threshold_fires_once_as_the_countdown_reaches_14_7_3_1_0_days_then_overdue() {
    let s = Sandbox::app();
    let mut v = s.open();
    let due = add_expiring_key(&mut v, "kraken-tax", 20);
    let policy = ReminderPolicy::default();
    let clock = s.clock.clone();
    let mut texts = Vec::new();
    walk_default_thresholds(&clock, due, &mut || {
        let sent = send_unlocked(&mut v, &policy);
        texts.extend(
            sent.iter()
                .map(|r| ReminderText::for_key(r, s.now()).summary),
        );
        thresholds(&sent)
    });
    assert_eq!(
        texts,
        [
            "kraken-tax (Kraken) expires in 14 days",
            "kraken-tax (Kraken) expires in 7 days",
            "kraken-tax (Kraken) expires in 3 days",
            "kraken-tax (Kraken) expires in 1 day",
            "kraken-tax (Kraken) expires in less than a day",
            "kraken-tax (Kraken) has expired",
        ]
    );
    // Each reminder is in the audit log, with the key's name.
    let events = reminder_events(&v);
    assert_eq!(events.len(), 6);
    assert!(events
        .iter()
        .all(|e| e.event.key_name.as_deref() == Some("kraken-tax") && e.event.actor == "app"));
    assert!(v.verify_audit().unwrap().intact());
}

#[test]
fn each_threshold_fires_once_while_the_vault_stays_locked() {
    let s = Sandbox::app();
    let due = add_expiring_key(&mut s.open(), "kraken-tax", 20);
    let policy = ReminderPolicy::default();
    walk_default_thresholds(&s.clock, due, &mut || {
        send_locked(&s, &policy)
            .iter()
            .map(|r| r.threshold)
            .collect()
    });
}

#[test]
fn exchange_rules_set_the_due_date_an_okx_trade_key_without_ip_is_due_14_days_after_creation() {
    let s = Sandbox::app();
    let mut v = s.open();
    let okx = v
        .add(
            key("okx-bot", "okx", &["read", "trade"]),
            fields_for("okx", "o"),
        )
        .unwrap();
    let binance = v
        .add(
            key("binance-bot", "binance", &["read", "trade"]),
            fields_for("binance", "b"),
        )
        .unwrap();
    let mut bound = key("okx-bound", "okx", &["read", "trade"]);
    bound.ip_allowlist = vec!["203.0.113.7".into()];
    v.add(bound, fields_for("okx", "ob")).unwrap();

    // The plaintext due dates the locked side reads carry the exchange rules; a bound key has none.
    let mut locked = Vault::due_dates_locked(&s.path).unwrap();
    locked.sort_by_key(|d| d.due_at);
    assert_eq!(
        locked.iter().map(|d| (d.id, d.due_at)).collect::<Vec<_>>(),
        [
            (okx.id, start() + Duration::days(14)),
            (binance.id, start() + Duration::days(30)),
        ]
    );

    let policy = ReminderPolicy::default();
    // Created with 14 days to live: the 14-day reminder is due at once.
    let sent = send_unlocked(&mut v, &policy);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].reminder.entry_id, okx.id);
    assert_eq!(sent[0].reminder.threshold, Threshold::DaysLeft(14));
    assert_eq!(sent[0].kind, DueKind::ExchangeExpiry);
    let text = ReminderText::for_key(&sent[0], s.now());
    assert_eq!(text.summary, "okx-bot (OKX) expires in 14 days");
    assert!(
        text.body
            .starts_with("OKX deletes a key with Trade or Withdraw permission"),
        "{}",
        text.body
    );
    assert!(
        text.body.ends_with("Due 2026-01-24 09:00 UTC."),
        "{}",
        text.body
    );

    // Binance takes trading away from an unbound key 30 days after creation.
    s.clock.set(start() + Duration::days(27));
    let sent = send_unlocked(&mut v, &policy);
    let binance_reminder = sent
        .iter()
        .find(|r| r.reminder.entry_id == binance.id)
        .expect("a reminder for the Binance key");
    assert_eq!(binance_reminder.kind, DueKind::ExchangeTradingLapse);
    assert_eq!(
        ReminderText::for_key(binance_reminder, s.now()).summary,
        "binance-bot (Binance) loses trading permission in 3 days"
    );
    // The OKX key went past its 14 days meanwhile: one overdue reminder, however long ago.
    let okx_reminder = sent
        .iter()
        .find(|r| r.reminder.entry_id == okx.id)
        .expect("a reminder for the OKX key");
    assert_eq!(okx_reminder.reminder.threshold, Threshold::Overdue);
    assert_eq!(
        ReminderText::for_key(okx_reminder, s.now()).summary,
        "okx-bot (OKX) expired 13 days ago"
    );
}

#[test]
fn a_rotation_period_reminds_that_the_key_is_due_for_rotation() {
    let s = Sandbox::app();
    let mut v = s.open();
    let mut new = key("kraken-bot", "kraken", &["read"]);
    new.rotation_days = Some(90);
    v.add(new, fields_for("kraken", "k")).unwrap();
    let policy = ReminderPolicy::default();
    s.clock.set(start() + Duration::days(83));
    let sent = send_unlocked(&mut v, &policy);
    assert_eq!(thresholds(&sent), [Threshold::DaysLeft(7)]);
    assert_eq!(
        ReminderText::for_key(&sent[0], s.now()).summary,
        "kraken-bot (Kraken) is due for rotation in 7 days"
    );
    s.clock
        .set(start() + Duration::days(92) + Duration::hours(1));
    let sent = send_unlocked(&mut v, &policy);
    assert_eq!(
        ReminderText::for_key(&sent[0], s.now()).summary,
        "kraken-bot (Kraken) was due for rotation 2 days ago"
    );
}

#[test]
fn no_reminder_is_repeated_after_the_vault_is_closed_and_reopened() {
    let s = Sandbox::app();
    let due = add_expiring_key(&mut s.open(), "kraken-tax", 20);
    let policy = ReminderPolicy::default();
    s.clock.set(due - Duration::days(3));
    {
        let mut v = s.open();
        assert_eq!(
            thresholds(&send_unlocked(&mut v, &policy)),
            [Threshold::DaysLeft(3)]
        );
    }
    // A restart: the app opens the file again, locked and then unlocked.
    s.clock.advance(Duration::hours(2));
    assert_eq!(
        Vault::reminders_locked(&s.path, &policy, s.now()).unwrap(),
        []
    );
    let v = s.open();
    assert_eq!(v.reminders_to_send(&policy).unwrap(), []);
    drop(v);

    // The same the other way round: sent while locked, then the app restarts and unlocks.
    s.clock.set(due - Duration::hours(30));
    assert_eq!(send_locked(&s, &policy).len(), 1);
    let v = s.open();
    assert_eq!(v.reminders_to_send(&policy).unwrap(), []);
    assert_eq!(
        Vault::reminders_locked(&s.path, &policy, s.now()).unwrap(),
        []
    );
}

#[test]
fn a_reminder_sent_while_locked_is_not_repeated_once_unlocked_when_due_dates_have_fractions_of_a_second(
) {
    // The wall clock has nanoseconds; the plaintext due_at column keeps whole seconds.
    let s = Sandbox::app_at(start() + Duration::milliseconds(750));
    let mut v = s.open();
    let mut new = key("kraken-tax", "kraken", &["read"]);
    new.rotation_days = Some(5);
    v.add(new, fields_for("kraken", "k")).unwrap();
    drop(v);
    let policy = ReminderPolicy::default();
    let locked = send_locked(&s, &policy);
    assert_eq!(locked.len(), 1);
    let mut v = s.open();
    assert_eq!(v.reminders_to_send(&policy).unwrap(), []);
    // And the other way round, at the next threshold.
    s.clock.advance(Duration::days(2));
    assert_eq!(send_unlocked(&mut v, &policy).len(), 1);
    assert_eq!(
        Vault::reminders_locked(&s.path, &policy, s.now()).unwrap(),
        []
    );
}

#[test]
fn catch_up_after_a_long_sleep_sends_one_reminder_per_key_for_the_most_urgent_threshold_crossed() {
    let s = Sandbox::app();
    let mut v = s.open();
    let soon = add_expiring_key(&mut v, "kraken-soon", 20);
    add_expiring_key(&mut v, "kraken-later", 30);
    let past = add_expiring_key(&mut v, "kraken-past", 25);
    drop(v);
    let policy = ReminderPolicy::default();
    assert_eq!(
        send_locked(&s, &policy),
        [],
        "20 days and more left: nothing yet"
    );

    // The machine sleeps, or the app stays closed, until 2.5 days before the first key is due.
    s.clock.set(soon - Duration::hours(60));
    let mut v = s.open();
    let sent = send_unlocked(&mut v, &policy);
    let by_name: Vec<(&str, Threshold)> = sent
        .iter()
        .map(|r| (r.name.as_str(), r.reminder.threshold))
        .collect();
    assert_eq!(
        by_name,
        [
            ("kraken-soon", Threshold::DaysLeft(3)),
            ("kraken-past", Threshold::DaysLeft(7)),
            ("kraken-later", Threshold::DaysLeft(14)),
        ],
        "one reminder per key, the most urgent threshold only, most urgent key first"
    );
    assert_eq!(
        ReminderText::for_key(&sent[0], s.now()).summary,
        "kraken-soon (Kraken) expires in 2 days"
    );
    assert_eq!(reminder_events(&v).len(), 3);
    drop(v);

    // A second long sleep, locked this time, past all three due dates: one overdue reminder each.
    s.clock.set(past + Duration::days(5) + Duration::hours(3));
    let sent = send_locked(&s, &policy);
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|r| r.threshold == Threshold::Overdue));
    assert_eq!(send_locked(&s, &policy), []);
}

#[test]
fn a_rotated_or_re_dated_key_starts_its_thresholds_over() {
    let s = Sandbox::app();
    let mut v = s.open();
    let mut new = key("kraken-bot", "kraken", &["read"]);
    new.rotation_days = Some(30);
    v.add(new, fields_for("kraken", "k")).unwrap();
    let policy = ReminderPolicy::default();
    s.clock.set(start() + Duration::days(28));
    assert_eq!(
        thresholds(&send_unlocked(&mut v, &policy)),
        [Threshold::DaysLeft(3)]
    );

    // Rotation: due 30 days from now; the 14-day reminder comes again, then the others.
    v.rotate("kraken-bot", fields_for("kraken", "k2"), None)
        .unwrap();
    let rotated_at = s.now();
    assert_eq!(send_unlocked(&mut v, &policy), []);
    s.clock.set(rotated_at + Duration::days(16));
    assert_eq!(
        thresholds(&send_unlocked(&mut v, &policy)),
        [Threshold::DaysLeft(14)]
    );
    s.clock.set(rotated_at + Duration::days(28));
    assert_eq!(
        thresholds(&send_unlocked(&mut v, &policy)),
        [Threshold::DaysLeft(3)]
    );
    // The locked side sees the new due date too, and nothing new to send.
    assert_eq!(
        Vault::reminders_locked(&s.path, &policy, s.now()).unwrap(),
        []
    );

    // An edit that moves the due date (an expiry sooner than the rotation) starts over as well.
    v.edit(
        "kraken-bot",
        KeyEdit {
            expires_at: Some(Some(s.now() + Duration::hours(12))),
            ..KeyEdit::default()
        },
        None,
    )
    .unwrap();
    let sent = send_unlocked(&mut v, &policy);
    assert_eq!(thresholds(&sent), [Threshold::DaysLeft(0)]);
    assert_eq!(sent[0].kind, DueKind::Expiry);
}

#[test]
fn revoked_keys_and_keys_with_nothing_due_get_no_reminder() {
    let s = Sandbox::app();
    let mut v = s.open();
    add_expiring_key(&mut v, "kraken-old", 2);
    v.add(
        key("kraken-forever", "kraken", &["read"]),
        fields_for("kraken", "f"),
    )
    .unwrap();
    v.revoke("kraken-old", Some("replaced".into())).unwrap();
    let policy = ReminderPolicy::default();
    assert_eq!(v.reminders_to_send(&policy).unwrap(), []);
    assert_eq!(Vault::due_dates_locked(&s.path).unwrap(), []);
    s.clock.advance(Duration::days(400));
    assert_eq!(
        Vault::reminders_locked(&s.path, &policy, s.now()).unwrap(),
        []
    );
}

#[test]
fn the_locked_text_names_no_key_and_the_unlocked_text_names_key_and_exchange_but_no_secret() {
    let s = Sandbox::app();
    let mut v = s.open();
    add_expiring_key(&mut v, "kraken-tax", 5);
    add_expiring_key(&mut v, "kraken-payroll", 1);
    let mut b = key("binance-main", "binance", &["read"]);
    b.expires_at = Some(start() + Duration::days(3));
    b.notes = "main account, do not share".into();
    v.add(b, fields_for("binance", "canary")).unwrap();
    drop(v);
    s.clock.advance(Duration::days(1) + Duration::hours(1));

    let policy = ReminderPolicy::default();
    let locked = send_locked(&s, &policy);
    assert_eq!(locked.len(), 3);
    let text = ReminderText::locked(&locked).unwrap();
    assert_eq!(text.summary, "3 API keys need rotation");
    assert_eq!(
        text.body,
        "1 is past its due date. Unlock Keystead to see which."
    );
    let all = format!("{}\n{}", text.summary, text.body);
    for word in [
        "kraken", "Kraken", "binance", "Binance", "canary", "main", "tax", "payroll",
    ] {
        assert!(!all.contains(word), "locked text names {word:?}: {all}");
    }
    assert_eq!(ReminderText::locked(&[]), None);
    assert_eq!(
        ReminderText::locked(&locked[..1]).unwrap(),
        ReminderText {
            summary: "1 API key needs rotation".into(),
            body: "It is past its due date. Unlock Keystead to see which.".into(),
        }
    );

    // Unlocked, on the next thresholds: names and exchanges, never a secret or a note.
    s.clock.advance(Duration::days(2));
    let mut v = s.open();
    let sent = send_unlocked(&mut v, &policy);
    assert_eq!(sent.len(), 2, "{sent:?}");
    let text = ReminderText::unlocked(&sent, s.now()).unwrap();
    assert_eq!(text.summary, "2 API keys need attention");
    assert_eq!(
        text.body,
        "binance-main (Binance) has expired\nkraken-tax (Kraken) expires in 1 day"
    );
    let one = ReminderText::unlocked(&sent[..1], s.now()).unwrap();
    assert_eq!(one, ReminderText::for_key(&sent[0], s.now()));
    for field in catalog::exchange("binance").unwrap().required_fields {
        let secret = v.reveal("binance-main", *field, None, None).unwrap();
        let all = format!(
            "{} {} {} {}",
            text.summary, text.body, one.summary, one.body
        );
        assert!(!all.contains(secret.expose_secret()));
        assert!(!all.contains("do not share"));
    }
}

#[test]
fn custom_thresholds_replace_the_defaults() {
    let s = Sandbox::app();
    let due = add_expiring_key(&mut s.open(), "kraken-tax", 60);
    let policy = ReminderPolicy::new(vec![2, 30]).unwrap();
    assert_eq!(
        policy.thresholds_days,
        [30, 2],
        "sorted, most distant first"
    );
    let mut fired = Vec::new();
    let mut day = start();
    while day <= due + Duration::days(2) {
        s.clock.set(day);
        fired.extend(send_locked(&s, &policy).into_iter().map(|r| r.threshold));
        day += Duration::hours(6);
    }
    assert_eq!(
        fired,
        [
            Threshold::DaysLeft(30),
            Threshold::DaysLeft(2),
            Threshold::Overdue
        ]
    );
}

#[test]
fn invalid_thresholds_are_refused_with_a_message_that_says_what_to_fix() {
    let refused = |days: Vec<u32>| match ReminderPolicy::new(days) {
        Err(e @ Error::InvalidInput { .. }) => e.to_string(),
        other => panic!("expected InvalidInput, got {other:?}"),
    };
    assert!(refused(vec![]).contains("at least one"));
    let eleven = refused((0..11).collect());
    assert!(
        eleven.contains("11") && eleven.contains("at most 10"),
        "{eleven}"
    );
    let far = refused(vec![400, 7]);
    assert!(far.contains("400") && far.contains("0 to 365"), "{far}");
    let twice = refused(vec![7, 3, 7]);
    assert!(twice.contains("7 days is listed twice"), "{twice}");

    // A policy read from settings as it is (not through `new`) must be sorted too.
    let unsorted = ReminderPolicy {
        thresholds_days: vec![1, 7],
    };
    let e = unsorted.validate().unwrap_err().to_string();
    assert!(e.contains("most distant") && e.contains("1, 7"), "{e}");

    assert!(ReminderPolicy::default().validate().is_ok());
    assert_eq!(ReminderPolicy::default().thresholds_days, [14, 7, 3, 1, 0]);
    assert!(ReminderPolicy::new(vec![365, 0]).is_ok());
    assert!(ReminderPolicy::new((0..10).collect()).is_ok());
}

fn user_version(c: &Connection) -> i64 {
    c.pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

fn has_reminders_table(c: &Connection) -> bool {
    c.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'reminders_sent')",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

/// A vault file as Keystead wrote it before reminders existed (schema version 1).
fn version_1_vault() -> (Sandbox, DateTime<Utc>) {
    let s = Sandbox::app();
    let due = add_expiring_key(&mut s.open(), "kraken-tax", 10);
    let c = s.sql();
    assert_eq!(
        user_version(&c),
        common::CURRENT_SCHEMA,
        "a new vault has the current schema"
    );
    c.execute_batch("DROP TABLE reminders_sent; PRAGMA user_version = 1;")
        .unwrap();
    assert!(!has_reminders_table(&c));
    (s, due)
}

#[test]
fn a_version_1_vault_file_is_migrated_in_place_when_unlocked() {
    let (s, _) = version_1_vault();
    let v = s.open();
    {
        let c = s.sql();
        assert_eq!(user_version(&c), common::CURRENT_SCHEMA);
        assert!(has_reminders_table(&c));
        let columns: Vec<String> = c
            .prepare("SELECT name FROM pragma_table_info('reminders_sent')")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            columns,
            [
                "entry_id",
                "due_at",
                "threshold",
                "sent_at",
                "actor",
                "sealed"
            ]
        );
    }
    // Nothing else changed: the key, its secrets and the audit chain are as before.
    assert_eq!(v.list().unwrap().len(), 1);
    v.detail("kraken-tax").unwrap();
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    assert!(v.verify_audit().unwrap().intact());
    let mut v = v;
    assert_eq!(send_unlocked(&mut v, &ReminderPolicy::default()).len(), 1);
}

#[test]
fn a_version_1_vault_file_reads_while_locked_and_is_migrated_by_the_first_reminder_recorded() {
    let (s, due) = version_1_vault();
    let policy = ReminderPolicy::default();
    // Reading is read-only: the old file is not changed, and nothing was sent yet.
    assert_eq!(Vault::sent_reminders_locked(&s.path).unwrap(), []);
    assert_eq!(
        Vault::due_dates_locked(&s.path)
            .unwrap()
            .iter()
            .map(|d| d.due_at)
            .collect::<Vec<_>>(),
        [due]
    );
    assert_eq!(user_version(&s.sql()), 1);
    assert_eq!(send_locked(&s, &policy).len(), 1);
    assert_eq!(user_version(&s.sql()), common::CURRENT_SCHEMA);
    assert_eq!(Vault::sent_reminders_locked(&s.path).unwrap().len(), 1);
    let v = s.open();
    assert_eq!(reminder_events(&v).len(), 1);
    assert!(v.verify_audit().unwrap().intact());
}

#[test]
fn a_vault_of_a_newer_schema_or_a_file_that_is_not_a_vault_is_refused_while_locked() {
    let s = Sandbox::app();
    let newer = common::CURRENT_SCHEMA + 1;
    s.sql()
        .execute_batch(&format!("PRAGMA user_version = {newer};"))
        .unwrap();
    assert!(matches!(
        Vault::due_dates_locked(&s.path),
        Err(Error::UnsupportedVersion {
            found,
            supported: common::CURRENT_SCHEMA
        }) if found == newer
    ));
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("notes.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE notes (t TEXT); PRAGMA user_version = 1;")
        .unwrap();
    assert!(matches!(
        Vault::due_dates_locked(&other),
        Err(Error::NotAVault { .. })
    ));
    assert!(matches!(
        Vault::record_reminders_locked(
            &dir.path().join("missing.db"),
            &[Reminder {
                entry_id: uuid_nil(),
                due_at: start(),
                threshold: Threshold::Overdue
            }],
            start(),
            "app"
        ),
        Err(Error::NoVault { .. })
    ));
}

fn uuid_nil() -> uuid::Uuid {
    uuid::Uuid::nil()
}

#[test]
fn reading_due_dates_while_locked_changes_nothing_in_the_file() {
    let s = Sandbox::app();
    let due = add_expiring_key(&mut s.open(), "kraken-tax", 10);
    let before = std::fs::read(&s.path).unwrap();
    s.clock.set(due - Duration::days(2));
    let policy = ReminderPolicy::default();
    assert_eq!(
        Vault::reminders_locked(&s.path, &policy, s.now())
            .unwrap()
            .len(),
        1
    );
    Vault::due_dates_locked(&s.path).unwrap();
    Vault::sent_reminders_locked(&s.path).unwrap();
    assert_eq!(std::fs::read(&s.path).unwrap(), before);
}

#[test]
fn reminders_recorded_while_locked_are_sealed_into_the_audit_chain_at_the_next_unlock() {
    let s = Sandbox::app();
    let mut v = s.open();
    let a = add_expiring_key(&mut v, "kraken-tax", 3);
    add_expiring_key(&mut v, "kraken-payroll", 9);
    let events_before = v.audit_log().unwrap().len();
    drop(v);

    s.clock.advance(Duration::hours(1));
    let sent_at = s.now();
    let policy = ReminderPolicy::default();
    let sent = send_locked(&s, &policy);
    assert_eq!(sent.len(), 2);
    // Recorded but not sealed: the audit chain needs the vault key.
    let unsealed: i64 = s
        .sql()
        .query_row(
            "SELECT count(*) FROM reminders_sent WHERE sealed = 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unsealed, 2);

    s.clock.advance(Duration::days(1));
    let v = s.open();
    let events = reminder_events(&v);
    assert_eq!(events.len(), 2, "{events:#?}");
    for e in &events {
        assert_eq!(e.event.at, sent_at, "sealed at the time it was sent");
        assert_eq!(e.event.actor, "app");
        let detail = e.event.detail.as_deref().unwrap_or_default();
        assert!(
            detail.contains("sent while the vault was locked"),
            "{detail}"
        );
    }
    assert_eq!(events[0].event.key_name.as_deref(), Some("kraken-tax"));
    assert_eq!(
        events[0].event.detail.as_deref(),
        Some(
            format!(
                "3 days left, due {} UTC; sent while the vault was locked",
                a.format("%Y-%m-%d %H:%M")
            )
            .as_str()
        )
    );
    assert_eq!(events[1].event.key_name.as_deref(), Some("kraken-payroll"));
    assert!(v.verify_audit().unwrap().intact());
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    let audit_len = v.audit_log().unwrap().len();
    assert!(audit_len >= events_before + 2);
    drop(v);

    let sealed: i64 = s
        .sql()
        .query_row(
            "SELECT count(*) FROM reminders_sent WHERE sealed = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(sealed, 2);
    // Sealed once: the next unlock adds nothing.
    let v = s.open();
    assert_eq!(reminder_events(&v).len(), 2);
    assert!(v.verify_audit().unwrap().intact());
}

#[test]
fn a_reminder_recorded_while_unlocked_has_its_audit_event_in_the_same_transaction() {
    let s = Sandbox::app();
    let mut v = s.open();
    let due = add_expiring_key(&mut v, "kraken-tax", 2);
    let counter = v.commit_counter().unwrap();
    let sent = send_unlocked(&mut v, &ReminderPolicy::default());
    assert_eq!(sent.len(), 1);
    assert_eq!(v.commit_counter().unwrap(), counter + 1, "one transaction");
    let events = reminder_events(&v);
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].event.detail.as_deref(),
        Some(format!("3 days left, due {} UTC", due.format("%Y-%m-%d %H:%M")).as_str())
    );
    let sealed: i64 = s
        .sql()
        .query_row("SELECT sealed FROM reminders_sent", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sealed, 1);
    // Recording the same reminder again records nothing and adds no event.
    let again = v.record_reminders_sent(&[sent[0].reminder]).unwrap();
    assert_eq!(again, []);
    assert_eq!(reminder_events(&v).len(), 1);
    assert!(v.verify_audit().unwrap().intact());
}

#[test]
fn keys_due_within_a_window_are_listed_most_urgent_first_including_expired_ones() {
    let s = Sandbox::app();
    let mut v = s.open();
    add_expiring_key(&mut v, "kraken-later", 30);
    add_expiring_key(&mut v, "kraken-soon", 10);
    add_expiring_key(&mut v, "kraken-sooner", 4);
    add_expiring_key(&mut v, "kraken-revoked", 1);
    v.revoke("kraken-revoked", None).unwrap();
    s.clock.advance(Duration::days(5));
    let names = |window: i64| -> Vec<String> {
        v.due_within(Duration::days(window))
            .unwrap()
            .into_iter()
            .map(|k| k.name)
            .collect()
    };
    assert_eq!(names(14), ["kraken-sooner", "kraken-soon"]);
    assert_eq!(names(30), ["kraken-sooner", "kraken-soon", "kraken-later"]);
    assert_eq!(names(1), ["kraken-sooner"]);
    assert!(v
        .due_within(Duration::days(30))
        .unwrap()
        .iter()
        .all(|k| k.status == KeyStatus::Active));
}
