//! Changing keys: `edit`, `rotate` (old versions kept), `revoke` and `compromised`.

use crate::common::*;
use serde_json::json;
use std::time::Duration;

#[test]
fn edit_changes_metadata_and_is_audited() {
    let sb = Sandbox::init();
    sb.add(
        "bot",
        "binance",
        &[
            "--scopes",
            "read,trade",
            "--ip",
            "203.0.113.7",
            "--expires",
            "2031-03-01",
            "--rotate-every",
            "90d",
        ],
        &binance_secrets(),
    );
    let id = sb.key("bot")["id"].clone();

    sb.run(&[
        "edit",
        "bot",
        "--rename",
        "bot-2",
        "--scopes",
        "read",
        "--ip",
        "198.51.100.0/24,192.0.2.1",
        "--ip",
        "2001:db8::1",
        "--expires",
        "never",
        "--rotate-every",
        "12w",
        "--env",
        "testnet",
        "--account",
        "sub-account-7",
        "--tag",
        "alpha",
        "--tag",
        "beta",
        "--notes",
        "moved to the arbitrage box",
    ])
    .ok();

    let k = sb.key("bot-2");
    assert_eq!(k["id"], id, "rename made a new key: {k:#}");
    assert_eq!(strings(&k["scopes"]), ["read"], "{k:#}");
    assert_eq!(
        strings(&k["ip_allowlist"]),
        ["198.51.100.0/24", "192.0.2.1", "2001:db8::1"],
        "{k:#}"
    );
    assert!(k["expires_at"].is_null(), "{k:#}");
    assert_eq!(k["environment"], "testnet", "{k:#}");
    let days_left = k["days_left"]
        .as_i64()
        .expect("a 12-week rotation period makes the key due");
    assert!(
        (83..=84).contains(&days_left),
        "12w = 84 days from creation: {k:#}"
    );
    assert!(
        !sb.list().iter().any(|k| k["name"] == "bot"),
        "the old name is still listed"
    );

    let show = sb.run(&["show", "bot-2"]).ok();
    for shown in [
        "sub-account-7",
        "alpha",
        "beta",
        "moved to the arbitrage box",
    ] {
        assert!(
            show.stdout.contains(shown),
            "show does not show {shown:?}\n{}",
            show.describe()
        );
    }
    sb.run(&["show", "bot"]).fails(2);
    assert_eq!(sb.reveal("bot-2", "secret", &[]), BINANCE_SECRET);

    sb.run(&["edit", "bot-2", "--no-ip", "--rotate-every", "never"])
        .ok();
    let k = sb.key("bot-2");
    assert!(strings(&k["ip_allowlist"]).is_empty(), "{k:#}");
    assert!(
        k["due_at"].is_null(),
        "no expiry, no rotation period, no exchange rule for a read key: {k:#}"
    );

    let edits = sb
        .audit()
        .into_iter()
        .filter(|e| e["action"] == "key_edited" && e["key_id"] == id)
        .count();
    assert_eq!(edits, 2, "each edit is one key_edited event");
}

#[test]
fn rotation_keeps_the_old_version_and_restarts_the_rotation_clock() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &[
            "--scopes",
            "read",
            "--ip",
            "203.0.113.7",
            "--rotate-every",
            "30d",
        ],
        &binance_secrets(),
    );
    let before = sb.key("binance-main");
    let due_before = epoch_seconds(before["due_at"].as_str().expect("30d rotation sets due_at"));

    // Due dates have (at least) second precision; make sure the rotation happens in a later second.
    std::thread::sleep(Duration::from_millis(1100));
    let new_key = "N3wApiKeyAfterRotation0000000000000000000000000000000000000000000";
    let new_secret = "N3wSecretAfterRotation000000000000000000000000000000000000000000";
    sb.cmd(&[
        "rotate",
        "binance-main",
        "--reason",
        "quarterly rotation",
        "--secrets-stdin",
    ])
    .stdin(json!({ "apiKey": new_key, "secret": new_secret }).to_string())
    .run()
    .ok();

    assert_eq!(sb.reveal("binance-main", "secret", &[]), new_secret);
    assert_eq!(sb.reveal("binance-main", "apiKey", &[]), new_key);
    assert_eq!(
        sb.reveal("binance-main", "secret", &["--version", "1"]),
        BINANCE_SECRET
    );
    assert_eq!(
        sb.reveal("binance-main", "apiKey", &["--version", "1"]),
        BINANCE_API_KEY
    );
    assert_eq!(
        sb.reveal("binance-main", "secret", &["--version", "2"]),
        new_secret
    );

    let show = sb.show("binance-main");
    let versions = show["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2, "{show:#}");
    assert_eq!(versions[0]["version"], 1, "{show:#}");
    assert!(
        versions[0]["retired_at"].is_string(),
        "version 1 was retired: {show:#}"
    );
    assert_eq!(versions[0]["reason"], "quarterly rotation", "{show:#}");
    assert_eq!(versions[1]["version"], 2, "{show:#}");
    assert!(
        versions[1]["retired_at"].is_null(),
        "version 2 is current: {show:#}"
    );
    let fields = strings(&versions[1]["fields"]);
    assert!(
        fields.iter().any(|f| f == "apiKey") && fields.iter().any(|f| f == "secret"),
        "{show:#}"
    );

    let after = sb.key("binance-main");
    let due_after = epoch_seconds(after["due_at"].as_str().expect("still due"));
    assert!(
        due_after > due_before,
        "rotation did not restart the 30-day clock: {before:#} -> {after:#}"
    );
    let days_left = after["days_left"].as_i64().expect("days_left");
    assert!((29..=30).contains(&days_left), "{after:#}");

    let rotated = sb
        .audit()
        .into_iter()
        .filter(|e| e["action"] == "key_rotated")
        .count();
    assert_eq!(rotated, 1);

    // A rotation without a required field is refused and keeps the current secrets.
    sb.cmd(&["rotate", "binance-main", "--secrets-stdin"])
        .stdin(json!({ "apiKey": "lonely-api-key" }).to_string())
        .run()
        .fails(2)
        .stderr_mentions("secret");
    assert_eq!(
        sb.show("binance-main")["versions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(sb.reveal("binance-main", "apiKey", &[]), new_key);
}

#[test]
fn revoke_and_compromised_change_status_and_compromised_points_to_the_exchange_page() {
    let sb = Sandbox::init();
    sb.add(
        "old-bot",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    sb.add(
        "leaked",
        "binance",
        &["--scopes", "read,trade"],
        &json!({ "apiKey": "leaked-api-key-77", "secret": "leaked-secret-77" }).to_string(),
    );

    sb.run(&["revoke", "old-bot", "--reason", "bot retired"])
        .ok();
    assert_eq!(sb.key("old-bot")["status"], "revoked");
    assert_eq!(sb.key("leaked")["status"], "active");

    let out = sb
        .run(&[
            "compromised",
            "leaked",
            "--reason",
            "found in a public repo",
        ])
        .ok();
    assert!(
        out.stdout.contains("binance.com"),
        "no link to Binance's API-key page\n{}",
        out.describe()
    );
    assert_eq!(sb.key("leaked")["status"], "compromised");
    assert_eq!(sb.key("old-bot")["status"], "revoked");

    let audit = sb.audit();
    assert!(
        audit
            .iter()
            .any(|e| e["action"] == "key_revoked" && e["key_name"] == "old-bot"),
        "{audit:#?}"
    );
    assert!(
        audit
            .iter()
            .any(|e| e["action"] == "key_compromised" && e["key_name"] == "leaked"),
        "{audit:#?}"
    );
}
