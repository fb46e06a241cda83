//! Finding one key without opening every row (schema version 4): the name index, the secret
//! fingerprints behind the duplicate flag, one key's own audit history, and the migration of a
//! version 3 file that has none of them.

mod common;

use common::{fields_for, key, secrets, Sandbox, PASS};
use keystead_core::due::RiskFlag;
use keystead_core::{
    AuditRecord, CredentialField, Error, KdfParams, KeyEdit, ReminderPolicy, Vault,
};
use rusqlite::Connection;
use secrecy::SecretString;
use uuid::Uuid;

fn user_version(c: &Connection) -> i64 {
    c.pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

/// What `audit_for` must return: the key's events in the full log, oldest first.
fn events_of(v: &Vault, id: Uuid) -> Vec<AuditRecord> {
    v.audit_log()
        .unwrap()
        .into_iter()
        .filter(|r| r.event.key_id == Some(id))
        .collect()
}

fn seqs(records: &[AuditRecord]) -> Vec<u64> {
    records.iter().map(|r| r.seq).collect()
}

fn duplicate_in_list(v: &Vault, name: &str) -> bool {
    v.list()
        .unwrap()
        .into_iter()
        .find(|k| k.name == name)
        .unwrap()
        .risk_flags
        .contains(&RiskFlag::DuplicateSecret)
}

fn duplicate_in_detail(v: &Vault, name: &str) -> bool {
    v.detail(name)
        .unwrap()
        .summary
        .risk_flags
        .contains(&RiskFlag::DuplicateSecret)
}

/// A vault with a few keys and a history: two keys share a secret, one was renamed, one rotated, one
/// revoked, one secret revealed.
fn busy_vault() -> Sandbox {
    let s = Sandbox::new();
    let mut v = s.open();
    v.add(
        key("binance-main", "binance", &["read", "trade"]),
        fields_for("binance", "shared"),
    )
    .unwrap();
    v.add(
        key("copy", "bybit", &["read"]),
        fields_for("binance", "shared"),
    )
    .unwrap();
    v.add(key("okx-bot", "okx", &["read"]), fields_for("okx", "bot"))
        .unwrap();
    v.add(
        key("old-kraken", "kraken", &["read"]),
        fields_for("kraken", "k"),
    )
    .unwrap();
    v.edit(
        "old-kraken",
        KeyEdit {
            name: Some("kraken-tax".into()),
            ..KeyEdit::default()
        },
        None,
    )
    .unwrap();
    v.rotate(
        "okx-bot",
        fields_for("okx", "bot-2"),
        Some("routine".into()),
    )
    .unwrap();
    v.reveal("binance-main", CredentialField::ApiKey, None, None)
        .unwrap();
    v.add(
        key("gone", "kraken", &["read"]),
        fields_for("kraken", "gone"),
    )
    .unwrap();
    v.revoke("gone", None).unwrap();
    s
}

/// Turns a current file into what Keystead 3 wrote: no lookup columns or tables, schema version 3.
fn downgrade_to_version_3(s: &Sandbox) {
    s.sql()
        .execute_batch(
            "DROP INDEX entries_name_tag; ALTER TABLE entries DROP COLUMN name_tag;
             DROP INDEX audit_key_id; ALTER TABLE audit DROP COLUMN key_id;
             DROP TABLE secret_fingerprints; DROP TABLE pending_reindex;
             PRAGMA user_version = 3;",
        )
        .unwrap();
}

/// Turns a current file into what Keystead 7 wrote: the fingerprint table of hex strings with a row id
/// and two indexes, holding the same fingerprints; schema version 7.
fn downgrade_to_version_7(s: &Sandbox) {
    s.sql()
        .execute_batch(
            "CREATE TABLE old_fingerprints (fp TEXT NOT NULL, entry_id TEXT NOT NULL);
             INSERT INTO old_fingerprints SELECT lower(hex(fp)), entry_id FROM secret_fingerprints;
             DROP TABLE secret_fingerprints;
             ALTER TABLE old_fingerprints RENAME TO secret_fingerprints;
             CREATE INDEX secret_fingerprints_fp ON secret_fingerprints(fp);
             CREATE INDEX secret_fingerprints_entry ON secret_fingerprints(entry_id);
             PRAGMA user_version = 7;",
        )
        .unwrap();
}

#[test]
fn a_version_7_vault_gets_the_compact_fingerprint_table_and_keeps_every_duplicate_flag() {
    let s = busy_vault();
    let before = answers(&s.open());
    let flags: Vec<bool> = {
        let v = s.open();
        NAMES.iter().map(|n| duplicate_in_list(&v, n)).collect()
    };
    assert!(flags.contains(&true), "the busy vault holds a secret twice");
    let rows = |c: &Connection| -> i64 {
        c.query_row("SELECT count(*) FROM secret_fingerprints", [], |r| r.get(0))
            .unwrap()
    };
    let count = rows(&s.sql());
    downgrade_to_version_7(&s);
    assert_eq!(rows(&s.sql()), count);

    let v = s.open();
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    assert_eq!(answers(&v), before);
    for (name, flag) in NAMES.iter().zip(&flags) {
        assert_eq!(duplicate_in_list(&v, name), *flag, "{name} in the list");
        assert_eq!(duplicate_in_detail(&v, name), *flag, "{name} in its detail");
    }
    let c = s.sql();
    assert_eq!(user_version(&c), common::CURRENT_SCHEMA);
    assert_eq!(rows(&c), count, "every fingerprint filled in again");
    let (kind, without_rowid): (String, String) = c
        .query_row(
            "SELECT (SELECT type FROM pragma_table_xinfo('secret_fingerprints') WHERE name = 'fp'),
                    (SELECT sql FROM sqlite_schema WHERE name = 'secret_fingerprints')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(kind, "BLOB");
    assert!(without_rowid.contains("WITHOUT ROWID"), "{without_rowid}");
    let pending: i64 = c
        .query_row("SELECT count(*) FROM pending_reindex", [], |r| r.get(0))
        .unwrap();
    assert_eq!(pending, 0);
}

const NAMES: [&str; 5] = ["binance-main", "copy", "okx-bot", "kraken-tax", "gone"];

/// Everything the lookups answer, to compare before and after a migration.
fn answers(v: &Vault) -> Vec<(String, String, Vec<u64>)> {
    NAMES
        .iter()
        .map(|name| {
            let entry = v.find(name).unwrap();
            let detail = serde_json::to_string(&v.detail(name).unwrap()).unwrap();
            (
                entry.id.to_string(),
                detail,
                seqs(&v.audit_for(entry.id).unwrap()),
            )
        })
        .collect()
}

#[test]
fn a_version_3_vault_is_migrated_and_keeps_find_detail_and_each_keys_audit_right() {
    let s = busy_vault();
    let before = answers(&s.open());
    let due = Vault::due_dates_locked(&s.path).unwrap();
    downgrade_to_version_3(&s);

    // Locked-time reads work on the old file and leave it as it is.
    assert_eq!(Vault::due_dates_locked(&s.path).unwrap(), due);
    assert_eq!(user_version(&s.sql()), 3);

    let v = s.open();
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    assert!(v.verify_audit().unwrap().intact());
    assert_eq!(answers(&v), before);
    for name in NAMES {
        let id = v.find(name).unwrap().id;
        assert_eq!(seqs(&v.audit_for(id).unwrap()), seqs(&events_of(&v, id)));
        assert_eq!(duplicate_in_detail(&v, name), duplicate_in_list(&v, name));
    }
    let c = s.sql();
    assert_eq!(user_version(&c), common::CURRENT_SCHEMA);
    let unfilled: i64 = c
        .query_row(
            "SELECT (SELECT COUNT(*) FROM entries WHERE name_tag IS NULL)
                  + (SELECT COUNT(*) FROM pending_reindex)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unfilled, 0);
    drop(v);
    // And the next unlock finds nothing to fill and nothing wrong.
    let v = s.open();
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    assert_eq!(answers(&v), before);
}

#[test]
fn a_version_3_vault_migrated_by_a_reminder_while_locked_gets_its_lookups_at_the_next_unlock() {
    let s = busy_vault();
    s.clock.advance(chrono::Duration::days(400));
    let before = answers(&s.open());
    s.clock.advance(chrono::Duration::days(-400));
    let dates = Vault::due_dates_locked(&s.path).unwrap();
    downgrade_to_version_3(&s);
    // Late enough that the keys with a due date are overdue, so a reminder is recorded.
    s.clock.advance(chrono::Duration::days(400));
    let policy = ReminderPolicy::default();
    let due = Vault::reminders_locked(&s.path, &policy, s.now()).unwrap();
    assert!(!due.is_empty());
    Vault::record_reminders_locked(&s.path, &due, s.now(), "app").unwrap();
    assert_eq!(user_version(&s.sql()), common::CURRENT_SCHEMA);
    assert_eq!(Vault::due_dates_locked(&s.path).unwrap(), dates);

    let v = s.open();
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    assert!(v.verify_audit().unwrap().intact());
    for ((id, detail, _), name) in before.iter().zip(NAMES) {
        assert_eq!(v.find(name).unwrap().id.to_string(), *id);
        assert_eq!(
            serde_json::to_string(&v.detail(name).unwrap()).unwrap(),
            *detail
        );
    }
}

#[test]
fn find_takes_the_exact_name_another_case_or_the_id_and_names_an_unknown_key() {
    let s = busy_vault();
    let v = s.open();
    let id = v.find("binance-main").unwrap().id;
    assert_eq!(v.find("BINANCE-Main").unwrap().id, id);
    assert_eq!(v.find("  binance-main ").unwrap().id, id);
    assert_eq!(v.find(&id.to_string()).unwrap().id, id);
    assert_eq!(v.detail(&id.to_string()).unwrap().summary.id, id);
    assert!(matches!(
        v.find("binance"),
        Err(Error::KeyNotFound { name }) if name == "binance"
    ));
    assert!(matches!(
        v.detail(&Uuid::nil().to_string()),
        Err(Error::KeyNotFound { .. })
    ));
}

#[test]
fn a_renamed_key_is_found_by_its_new_name_only_and_frees_the_old_one() {
    let s = busy_vault();
    let mut v = s.open();
    let id = v.find("kraken-tax").unwrap().id;
    assert!(matches!(
        v.find("old-kraken"),
        Err(Error::KeyNotFound { .. })
    ));
    assert!(matches!(
        v.add(
            key("KRAKEN-TAX", "kraken", &["read"]),
            fields_for("kraken", "x")
        ),
        Err(Error::DuplicateName { .. })
    ));
    assert!(matches!(
        v.edit(
            "copy",
            KeyEdit {
                name: Some("Kraken-Tax".into()),
                ..KeyEdit::default()
            },
            None
        ),
        Err(Error::DuplicateName { .. })
    ));
    let again = v
        .add(
            key("old-kraken", "kraken", &["read"]),
            fields_for("kraken", "y"),
        )
        .unwrap();
    assert_ne!(again.id, id);
    assert_eq!(v.find("old-kraken").unwrap().id, again.id);
    assert_eq!(v.find("kraken-tax").unwrap().id, id);
    // A change of case alone is a rename too.
    v.edit(
        "kraken-tax",
        KeyEdit {
            name: Some("Kraken-Tax".into()),
            ..KeyEdit::default()
        },
        None,
    )
    .unwrap();
    assert_eq!(v.find("Kraken-Tax").unwrap().name, "Kraken-Tax");
}

#[test]
fn the_duplicate_flag_of_one_key_matches_the_list_through_rotation_and_revocation() {
    let s = busy_vault();
    let mut v = s.open();
    let check = |v: &Vault| {
        for name in NAMES {
            assert_eq!(
                duplicate_in_detail(v, name),
                duplicate_in_list(v, name),
                "{name}"
            );
        }
    };
    check(&v);
    assert!(duplicate_in_detail(&v, "binance-main"));
    assert!(duplicate_in_detail(&v, "copy"));
    assert!(!duplicate_in_detail(&v, "okx-bot"));
    // The detail names the other entry (what the app's warning says), and only it.
    assert_eq!(v.detail("binance-main").unwrap().same_secret_as, ["copy"]);
    assert_eq!(v.detail("copy").unwrap().same_secret_as, ["binance-main"]);
    assert!(v.detail("okx-bot").unwrap().same_secret_as.is_empty());
    // A revoked key with the same secret does not count.
    v.add(key("third", "okx", &["read"]), fields_for("okx", "bot-2"))
        .unwrap();
    assert!(duplicate_in_detail(&v, "okx-bot"));
    let third = v.revoke("third", None).unwrap();
    assert!(!duplicate_in_detail(&v, "okx-bot"));
    assert!(!v
        .detail_of(&third)
        .unwrap()
        .summary
        .risk_flags
        .contains(&RiskFlag::DuplicateSecret));
    check(&v);
    // Rotating one of the pair away clears both; `detail_of` on the entry the write returned agrees.
    let rotated = v
        .rotate("copy", fields_for("binance", "fresh"), None)
        .unwrap();
    assert_eq!(
        serde_json::to_string(&v.detail_of(&rotated).unwrap()).unwrap(),
        serde_json::to_string(&v.detail("copy").unwrap()).unwrap()
    );
    assert!(!duplicate_in_detail(&v, "binance-main"));
    assert!(v.detail("binance-main").unwrap().same_secret_as.is_empty());
    check(&v);
}

#[test]
fn audit_for_returns_exactly_one_keys_events_and_ignores_a_key_id_column_pointed_at_it() {
    let s = busy_vault();
    let (main, copy) = {
        let v = s.open();
        (
            v.find("binance-main").unwrap().id,
            v.find("copy").unwrap().id,
        )
    };
    let v = s.open();
    let mine = v.audit_for(main).unwrap();
    assert_eq!(seqs(&mine), seqs(&events_of(&v, main)));
    assert!(mine.len() >= 2, "created and revealed");
    assert!(mine.iter().all(|r| r.event.key_id == Some(main)));
    assert!(mine.windows(2).all(|w| w[0].seq < w[1].seq), "oldest first");
    drop(v);

    // Someone with the file points the other key's events, and the vault's own, at this key.
    s.sql()
        .execute(
            "UPDATE audit SET key_id = ?1 WHERE key_id = ?2 OR key_id IS NULL",
            [main.to_string(), copy.to_string()],
        )
        .unwrap();
    let v = s.open();
    assert_eq!(seqs(&v.audit_for(main).unwrap()), seqs(&mine));
    assert!(v.audit_for(copy).unwrap().is_empty(), "hidden, not moved");
    assert!(
        v.verify_audit().unwrap().intact(),
        "the chain does not depend on the column"
    );
}

#[test]
fn changing_the_passphrase_keeps_find_detail_and_the_duplicate_flag() {
    let s = busy_vault();
    let mut v = s.open();
    let before = answers(&v);
    let new = SecretString::from("another long passphrase");
    v.change_passphrase(&new, KdfParams::FLOOR).unwrap();
    drop(v);
    assert!(s.try_open(PASS).is_err());
    let v = Vault::unlock(&s.path, &new, s.opts()).unwrap();
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    for ((id, detail, _), name) in before.iter().zip(NAMES) {
        assert_eq!(v.find(name).unwrap().id.to_string(), *id);
        assert_eq!(
            serde_json::to_string(&v.detail(name).unwrap()).unwrap(),
            *detail
        );
        assert_eq!(duplicate_in_detail(&v, name), duplicate_in_list(&v, name));
    }
}

#[test]
fn adding_an_api_key_the_vault_holds_names_the_active_keys_holding_it() {
    let sb = Sandbox::new();
    let mut v = sb.open();
    let held = secrets(&[
        (CredentialField::ApiKey, "held-api-key-0001"),
        (CredentialField::Secret, "held-secret-0001"),
    ]);
    v.add(key("Binance main", "binance", &["read"]), held)
        .unwrap();
    v.add(
        key("binance copy", "binance", &["read"]),
        secrets(&[
            (CredentialField::ApiKey, "held-api-key-0001"),
            (CredentialField::Secret, "another-secret"),
        ]),
    )
    .unwrap();
    v.add(
        key("other", "binance", &["read"]),
        fields_for("binance", "other"),
    )
    .unwrap();

    // The same API key with any secret is the same key; named in list order.
    let same_key = secrets(&[
        (CredentialField::ApiKey, "held-api-key-0001"),
        (CredentialField::Secret, "typed-again"),
    ]);
    assert_eq!(
        v.keys_holding_api_key(&same_key).unwrap(),
        vec!["binance copy".to_string(), "Binance main".to_string()]
    );
    // Another API key that happens to share the secret is not the same API key.
    let other_key = secrets(&[
        (CredentialField::ApiKey, "fresh-api-key-0002"),
        (CredentialField::Secret, "held-secret-0001"),
    ]);
    assert!(v.keys_holding_api_key(&other_key).unwrap().is_empty());

    // A revoked key no longer holds it; nor does a reopened vault forget the active one.
    v.revoke("binance copy", None).unwrap();
    drop(v);
    let v = sb.open();
    assert_eq!(
        v.keys_holding_api_key(&same_key).unwrap(),
        vec!["Binance main".to_string()]
    );
}

/// An open vault's list always shows the file as it is now (a guard for any metadata kept between
/// lists): a change made through another handle on the file, a passphrase change sealing every row
/// again and a row swapped for another key's sealed record are all seen, never a copy from before.
#[test]
fn a_list_after_a_change_shows_the_change_whoever_wrote_it() {
    let sb = Sandbox::new();
    let mut v = sb.open();
    v.add(
        key("alpha", "binance", &["read"]),
        fields_for("binance", "a"),
    )
    .unwrap();
    v.add(
        key("bravo", "binance", &["read"]),
        fields_for("binance", "b"),
    )
    .unwrap();
    let account = |v: &Vault, name: &str| {
        v.list()
            .unwrap()
            .into_iter()
            .find(|k| k.name == name)
            .and_then(|k| k.account)
    };
    assert_eq!(account(&v, "alpha"), None);

    // Another process's write to the same file.
    let mut other = sb.open();
    let edit = KeyEdit {
        account: Some(Some("set-elsewhere".into())),
        ..KeyEdit::default()
    };
    other.edit("alpha", edit, None).unwrap();
    drop(other);
    assert_eq!(account(&v, "alpha").as_deref(), Some("set-elsewhere"));

    // A passphrase change computes every fingerprint again under the new key: the list's duplicate
    // flags and the fingerprints come from the new rows.
    let before = v.list().unwrap();
    v.change_passphrase(
        &SecretString::from("another long passphrase here"),
        KdfParams::FLOOR,
    )
    .unwrap();
    let after = v.list().unwrap();
    assert_eq!(before.len(), after.len());
    let fresh = Vault::unlock(
        &sb.path,
        &SecretString::from("another long passphrase here"),
        sb.opts(),
    )
    .unwrap();
    let names =
        |l: &[keystead_core::KeySummary]| l.iter().map(|k| k.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&after), names(&fresh.list().unwrap()));
    drop(fresh);

    // Bravo's sealed record written into alpha's row: refused, not answered from what was kept.
    let c = sb.sql();
    c.execute(
        "UPDATE entries SET meta = (SELECT meta FROM entries WHERE id = (SELECT id FROM entries ORDER BY rowid LIMIT 1 OFFSET 1)) WHERE rowid = (SELECT MIN(rowid) FROM entries)",
        [],
    )
    .unwrap();
    drop(c);
    assert!(v.list().is_err(), "a swapped record was listed");
}
