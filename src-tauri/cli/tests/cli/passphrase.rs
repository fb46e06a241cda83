//! The vault passphrase: a wrong one exits 3 and is audited, `passwd` changes it, short ones are refused.

use crate::common::*;
use serde_json::{json, Value};

#[test]
fn wrong_passphrase_exits_3_and_next_unlock_audits_the_failure() {
    let sb = Sandbox::with_read_keys(false);
    let entries = sb.entries_rows();

    for args in [&["list", "--json"][..], &["unlock"][..]] {
        let out = sb
            .cmd(args)
            .passphrase("not the passphrase")
            .run()
            .fails(3)
            .stderr_mentions("passphrase");
        assert!(
            !out.stdout.contains("binance-main"),
            "a wrong passphrase showed data\n{}",
            out.describe()
        );
    }
    sb.cmd(&["reveal", "binance-main", "secret"])
        .passphrase("not the passphrase")
        .run()
        .fails(3);
    assert_eq!(
        sb.entries_rows(),
        entries,
        "a failed unlock changed the keys"
    );

    sb.run(&["unlock"]).ok();
    let audit = sb.audit();
    let failed: Vec<&Value> = audit
        .iter()
        .filter(|e| e["action"] == "unlock_failed")
        .collect();
    assert_eq!(
        failed.len(),
        3,
        "three failed attempts, three unlock_failed events: {audit:#?}"
    );
    let created = audit
        .iter()
        .position(|e| e["action"] == "key_created")
        .expect("key_created");
    let first_failed = audit
        .iter()
        .position(|e| e["action"] == "unlock_failed")
        .unwrap();
    assert!(
        first_failed > created,
        "failures are recorded in the order they happened: {audit:#?}"
    );
    let verify = sb.run(&["audit", "--verify"]).ok();
    assert!(verify.stdout.contains("intact"), "{}", verify.describe());
}

#[test]
fn passwd_changes_the_passphrase_and_keeps_every_secret() {
    let sb = Sandbox::with_read_keys(true);
    sb.cmd(&["rotate", "okx-bot", "--secrets-stdin"])
        .stdin(
            json!({ "apiKey": "okx-key-v2", "secret": "okx-secret-v2", "password": "okx-pass-v2" })
                .to_string(),
        )
        .run()
        .ok();

    let new = "a much longer new passphrase";
    sb.cmd(&["passwd"])
        .env("KEYSTEAD_NEW_PASSPHRASE", new)
        .run()
        .ok();

    sb.run(&["unlock"]).fails(3).stderr_mentions("passphrase");
    sb.run(&["list", "--json"]).fails(3);
    sb.cmd(&["unlock"]).passphrase(new).run().ok();

    let reveal = |name: &str, field: &str, extra: &[&str]| -> String {
        let mut args = vec!["reveal", name, field];
        args.extend_from_slice(extra);
        let out = sb.cmd(&args).passphrase(new).run().ok();
        out.stdout
            .strip_suffix('\n')
            .expect("newline-terminated")
            .to_string()
    };
    assert_eq!(reveal("binance-main", "apiKey", &[]), BINANCE_API_KEY);
    assert_eq!(reveal("binance-main", "secret", &[]), BINANCE_SECRET);
    assert_eq!(reveal("okx-bot", "apiKey", &[]), "okx-key-v2");
    assert_eq!(reveal("okx-bot", "secret", &[]), "okx-secret-v2");
    assert_eq!(reveal("okx-bot", "password", &[]), "okx-pass-v2");
    assert_eq!(
        reveal("okx-bot", "password", &["--version", "1"]),
        OKX_PASSWORD
    );

    let audit = sb
        .cmd(&["audit", "--json"])
        .passphrase(new)
        .run()
        .ok()
        .json();
    let changed = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "passphrase_changed")
        .count();
    assert_eq!(changed, 1, "{audit:#}");
    let verify = sb.cmd(&["audit", "--verify"]).passphrase(new).run().ok();
    assert!(verify.stdout.contains("intact"), "{}", verify.describe());
}

#[test]
fn passwd_refuses_a_short_new_passphrase_and_keeps_the_old_one() {
    let sb = Sandbox::with_read_keys(false);
    sb.cmd(&["passwd"])
        .env("KEYSTEAD_NEW_PASSPHRASE", "short")
        .run()
        .fails(2);
    sb.run(&["unlock"]).ok();
    sb.cmd(&["unlock"]).passphrase("short").run().fails(3);
    assert_eq!(sb.reveal("binance-main", "secret", &[]), BINANCE_SECRET);
}

#[test]
fn init_refuses_a_passphrase_shorter_than_8_characters() {
    let sb = Sandbox::new();
    sb.cmd(&["init"]).passphrase("1234567").run().fails(2);
    assert!(
        !sb.vault.exists(),
        "a refused init left a vault file behind"
    );

    sb.cmd(&["init"]).passphrase("12345678").run().ok();
    sb.cmd(&["unlock"]).passphrase("12345678").run().ok();
}

/// Attack: guess the passphrase with `keystead unlock` in a loop. Four wrong guesses are free; the next
/// one waits before it is checked, and a long wait (kept in the vault file) refuses even the right
/// passphrase at once, saying how long to wait.
#[test]
fn repeated_wrong_passphrases_are_slowed_down_and_a_long_wait_is_refused_with_its_length() {
    let sb = Sandbox::init();
    for _ in 0..4 {
        sb.cmd(&["unlock"])
            .passphrase("not the passphrase")
            .run()
            .fails(3);
    }
    // The four came within a second or two; pin the last one to now (and one more failure) so the
    // next is surely too soon, however loaded the machine.
    sb.db()
        .execute(
            "UPDATE passphrase_failures SET count = 5, last_at = CAST(strftime('%s', 'now') AS INTEGER)",
            [],
        )
        .unwrap();
    let started = std::time::Instant::now();
    sb.cmd(&["unlock"])
        .passphrase("not the passphrase")
        .run()
        .fails(3)
        .stderr_mentions("Too many wrong passphrases: waiting");
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));

    // Many failures later (as if a script had kept guessing): minutes to wait, refused at once.
    sb.db()
        .execute(
            "UPDATE passphrase_failures SET count = 12, last_at = CAST(strftime('%s', 'now') AS INTEGER)",
            [],
        )
        .unwrap();
    let started = std::time::Instant::now();
    sb.run(&["unlock"])
        .fails(3)
        .stderr_mentions("too many wrong passphrases: wait");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    sb.db()
        .execute("UPDATE passphrase_failures SET count = 0", [])
        .unwrap();
    sb.run(&["unlock"]).ok();
    let refused = sb
        .audit()
        .iter()
        .filter(|e| e["action"] == "unlock_failed")
        .filter(|e| e["detail"].as_str().unwrap_or("").contains("refused"))
        .count();
    assert_eq!(refused, 1, "the refused attempt is audited");
}
