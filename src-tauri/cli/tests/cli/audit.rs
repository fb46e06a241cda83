//! The audit log: every operation in order, filtered by key, and `audit --verify` naming the first bad entry
//! of an edited, deleted, swapped or truncated chain.

use crate::common::*;
use serde_json::json;

/// A vault with a handful of audited operations: seq 1 is `vault_created`, then at least five more.
fn vault_with_history() -> Sandbox {
    let sb = Sandbox::with_read_keys(true);
    sb.run(&["edit", "binance-main", "--notes", "main account"])
        .ok();
    sb.reveal("binance-main", "secret", &[]);
    sb.run(&["revoke", "okx-bot"]).ok();
    sb
}

#[test]
fn audit_lists_every_operation_in_order_and_filters_by_key() {
    let sb = Sandbox::init();
    sb.add("a", "binance", &["--scopes", "read"], &binance_secrets());
    sb.run(&["edit", "a", "--notes", "n"]).ok();
    sb.reveal("a", "apiKey", &[]);
    sb.cmd(&["rotate", "a", "--secrets-stdin"])
        .stdin(json!({ "apiKey": "a-key-2", "secret": "a-secret-2" }).to_string())
        .run()
        .ok();
    sb.run(&["revoke", "a"]).ok();
    sb.add("b", "okx", &["--scopes", "read"], &okx_secrets());
    sb.run(&["compromised", "b"]).ok();

    let audit = sb.audit();
    for (i, e) in audit.iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1, "seq counts 1, 2, 3, …: {audit:#?}");
        epoch_seconds(e["at"].as_str().expect("at"));
    }
    let actions: Vec<&str> = audit
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| *a != "vault_unlocked" && *a != "vault_locked")
        .collect();
    assert_eq!(
        actions,
        [
            "vault_created",
            "key_created",
            "key_edited",
            "secret_revealed",
            "key_rotated",
            "key_revoked",
            "key_created",
            "key_compromised"
        ],
        "{audit:#?}"
    );
    let a_id = sb.key("a")["id"].clone();
    for e in audit.iter().filter(|e| e["key_name"] == "a") {
        assert_eq!(e["key_id"], a_id, "{e}");
    }

    let only_a = sb.run(&["audit", "--json", "--key", "a"]).ok().json();
    let only_a = only_a.as_array().expect("array");
    assert!(
        only_a.iter().all(|e| e["key_id"] == a_id),
        "--key a shows other events: {only_a:#?}"
    );
    let a_actions: Vec<&str> = only_a
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        a_actions,
        [
            "key_created",
            "key_edited",
            "secret_revealed",
            "key_rotated",
            "key_revoked"
        ]
    );

    let table = sb.run(&["audit"]).ok();
    assert!(
        table.stdout.contains("key_rotated") || table.stdout.to_lowercase().contains("rotated")
    );
}

#[test]
fn audit_verify_reports_an_intact_chain() {
    let sb = vault_with_history();
    sb.cmd(&["unlock"])
        .passphrase("wrong passphrase here")
        .run()
        .fails(3);
    sb.cmd(&["passwd"])
        .env("KEYSTEAD_NEW_PASSPHRASE", "the second passphrase")
        .run()
        .ok();
    let out = sb
        .cmd(&["audit", "--verify"])
        .passphrase("the second passphrase")
        .run()
        .ok();
    assert!(out.stdout.contains("intact"), "{}", out.describe());
}

/// After the audit table was altered, ordinary commands either still show the right keys or refuse with 3.
#[track_caller]
fn still_truthful_or_refused(sb: &Sandbox) {
    let out = sb.run(&["list", "--json"]);
    match out.code {
        Some(0) => {
            let names: Vec<String> = out
                .json()
                .as_array()
                .expect("array")
                .iter()
                .map(|k| k["name"].as_str().unwrap().to_string())
                .collect();
            assert!(
                names.len() == 2
                    && names.iter().any(|n| n == "binance-main")
                    && names.iter().any(|n| n == "okx-bot")
            );
        }
        Some(3) => {
            out.fails(3);
        }
        _ => panic!(
            "list after audit tampering: neither correct output nor exit 3\n{}",
            out.describe()
        ),
    }
}

#[test]
fn audit_verify_names_an_edited_entry() {
    let sb = vault_with_history();
    {
        let db = sb.db();
        let mut event: Vec<u8> = db
            .query_row("SELECT event FROM audit WHERE seq = 3", [], |r| r.get(0))
            .unwrap();
        let at = event.len() / 2;
        event[at] ^= 0x01;
        db.execute("UPDATE audit SET event = ?1 WHERE seq = 3", [event])
            .unwrap();
    }
    let out = sb.run(&["audit", "--verify"]).exits(1);
    assert!(
        names_entry(&out.output(), 3),
        "verify does not name #3\n{}",
        out.describe()
    );
    still_truthful_or_refused(&sb);
}

#[test]
fn audit_verify_names_a_deleted_entry() {
    let sb = vault_with_history();
    assert_eq!(
        sb.db()
            .execute("DELETE FROM audit WHERE seq = 3", [])
            .unwrap(),
        1
    );
    let out = sb.run(&["audit", "--verify"]).exits(1);
    assert!(
        names_entry(&out.output(), 3),
        "verify does not name #3\n{}",
        out.describe()
    );
    still_truthful_or_refused(&sb);
}

#[test]
fn audit_verify_names_the_first_of_two_swapped_entries() {
    let sb = vault_with_history();
    {
        let db = sb.db();
        let row = |seq: i64| -> (Vec<u8>, Vec<u8>) {
            db.query_row("SELECT event, mac FROM audit WHERE seq = ?1", [seq], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap()
        };
        let (e2, m2) = row(2);
        let (e3, m3) = row(3);
        db.execute(
            "UPDATE audit SET event = ?1, mac = ?2 WHERE seq = 2",
            rusqlite::params![e3, m3],
        )
        .unwrap();
        db.execute(
            "UPDATE audit SET event = ?1, mac = ?2 WHERE seq = 3",
            rusqlite::params![e2, m2],
        )
        .unwrap();
    }
    let out = sb.run(&["audit", "--verify"]).exits(1);
    assert!(
        names_entry(&out.output(), 2),
        "verify does not name #2\n{}",
        out.describe()
    );
    still_truthful_or_refused(&sb);
}

#[test]
fn audit_verify_detects_a_truncated_tail() {
    let sb = vault_with_history();
    let last: i64 = {
        let db = sb.db();
        let last: i64 = db
            .query_row("SELECT max(seq) FROM audit", [], |r| r.get(0))
            .unwrap();
        assert!(last >= 6, "expected at least 6 audit entries, found {last}");
        assert_eq!(
            db.execute("DELETE FROM audit WHERE seq = ?1", [last])
                .unwrap(),
            1
        );
        last
    };
    let out = sb.run(&["audit", "--verify"]).exits(1);
    assert!(
        names_entry(&out.output(), last),
        "verify does not name the removed #{last}\n{}",
        out.describe()
    );
    still_truthful_or_refused(&sb);
}

#[test]
fn audit_text_prints_each_time_in_utc_and_says_so() {
    let sb = vault_with_history();
    let records = sb.audit();
    let text = sb
        .cmd(&["audit"])
        .env("TZ", "Pacific/Kiritimati")
        .run()
        .ok()
        .output();
    for r in &records {
        let at = r["at"].as_str().expect("at");
        assert!(
            at.ends_with('Z') || at.ends_with("+00:00"),
            "JSON times are UTC: {at}"
        );
        let shown = format!("{} {} UTC", &at[0..10], &at[11..19]);
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("#{:<5} ", r["seq"].as_u64().expect("seq"))))
            .unwrap_or_else(|| panic!("no line for seq {}: {text}", r["seq"]));
        assert!(line.contains(&shown), "{line:?} should show {shown:?}");
    }
}
