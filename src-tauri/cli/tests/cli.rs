//! End-to-end tests: the built `keystead` binary against temporary vaults.
//!
//! Each test owns a [`Sandbox`] (temporary directory, vault path, HOME), sets `KEYSTEAD_KDF_TARGET_MS=1` so
//! `init` uses the minimum Argon2 cost, and asserts what a user would notice: exit codes, the one-line
//! `error: ` messages, what `list`/`show`/`reveal`/`audit` print, and what is (not) in the vault file.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

// ---------------------------------------------------------------------------------------------------------
// Keys in and out
// ---------------------------------------------------------------------------------------------------------

#[test]
fn init_creates_the_vault_and_names_its_path() {
    let sb = Sandbox::new();
    let out = sb.run(&["init"]).ok();
    assert!(
        sb.vault.exists(),
        "no vault file after init\n{}",
        out.describe()
    );
    assert!(
        out.stdout.contains(&*sb.vault.to_string_lossy()),
        "init does not say where the vault is\n{}",
        out.describe()
    );
    sb.run(&["unlock"]).ok();
    assert!(sb.list().is_empty());
}

#[test]
fn added_keys_round_trip_through_list_show_and_reveal() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &[
            "--env",
            "production",
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
    sb.add(
        "okx-bot",
        "okx",
        &["--env", "testnet", "--account", "sub-1", "--scopes", "read"],
        &okx_secrets(),
    );

    let list_out = sb.run(&["list", "--json"]).ok();
    let list = list_out.json();
    let list = list.as_array().expect("list --json prints an array");
    assert_eq!(list.len(), 2, "{list:#?}");
    for secret in [
        BINANCE_API_KEY,
        BINANCE_SECRET,
        OKX_API_KEY,
        OKX_SECRET,
        OKX_PASSWORD,
    ] {
        assert!(
            !list_out.stdout.contains(secret),
            "list --json prints a secret\n{}",
            list_out.describe()
        );
    }

    let b = sb.key("binance-main");
    assert!(b["id"].as_str().is_some_and(|id| !id.is_empty()), "{b:#}");
    assert_eq!(b["exchange"], "binance", "{b:#}");
    assert_eq!(b["environment"], "production", "{b:#}");
    let mut scopes = strings(&b["scopes"]);
    scopes.sort();
    assert_eq!(scopes, ["read", "trade"], "{b:#}");
    assert_eq!(strings(&b["ip_allowlist"]), ["203.0.113.7"], "{b:#}");
    assert_eq!(b["status"], "active", "{b:#}");
    assert!(
        b["expires_at"]
            .as_str()
            .is_some_and(|t| t.starts_with("2031-03-01")),
        "expires_at should be 2031-03-01: {b:#}"
    );
    assert!(
        b["due_at"].is_string(),
        "a key with an expiry and a rotation period is due some day: {b:#}"
    );
    assert_eq!(b["due_state"], "ok", "{b:#}");
    assert!(b["days_left"].is_i64(), "{b:#}");
    let flags = strings(&b["risk_flags"]);
    for absent in [
        "withdraw_enabled",
        "transfer_enabled",
        "no_ip_allowlist",
        "production_without_expiry",
    ] {
        assert!(
            !flags.iter().any(|f| f == absent),
            "{absent} on a read/trade key with IP and expiry: {b:#}"
        );
    }

    let o = sb.key("okx-bot");
    assert_eq!(o["exchange"], "okx", "{o:#}");
    assert_eq!(o["environment"], "testnet", "{o:#}");
    assert_eq!(strings(&o["scopes"]), ["read"], "{o:#}");
    assert!(strings(&o["ip_allowlist"]).is_empty(), "{o:#}");
    assert!(o["expires_at"].is_null(), "{o:#}");
    assert_eq!(o["status"], "active", "{o:#}");
    assert_ne!(b["id"], o["id"]);

    assert_eq!(sb.reveal("binance-main", "apiKey", &[]), BINANCE_API_KEY);
    assert_eq!(sb.reveal("binance-main", "secret", &[]), BINANCE_SECRET);
    assert_eq!(sb.reveal("okx-bot", "apiKey", &[]), OKX_API_KEY);
    assert_eq!(sb.reveal("okx-bot", "secret", &[]), OKX_SECRET);
    assert_eq!(sb.reveal("okx-bot", "password", &[]), OKX_PASSWORD);

    let table = sb.run(&["list"]).ok();
    assert!(
        table.stdout.contains("binance-main") && table.stdout.contains("okx-bot"),
        "the plain list does not show the names\n{}",
        table.describe()
    );

    let show_out = sb.run(&["show", "okx-bot", "--json"]).ok();
    for secret in [OKX_API_KEY, OKX_SECRET, OKX_PASSWORD] {
        assert!(
            !show_out.stdout.contains(secret),
            "show --json prints a secret\n{}",
            show_out.describe()
        );
    }
    let show = show_out.json();
    assert_eq!(show["name"], "okx-bot", "{show:#}");
    assert_eq!(show["exchange"], "okx", "{show:#}");
    let secrets = show["secrets"]
        .as_array()
        .expect("show --json has a secrets array");
    let mut fields: Vec<&str> = secrets
        .iter()
        .map(|s| s["field"].as_str().expect("field"))
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["apiKey", "password", "secret"], "{show:#}");
    for s in secrets {
        assert!(
            s["masked"].is_string(),
            "each secret has a masked form: {s}"
        );
    }
    let versions = show["versions"]
        .as_array()
        .expect("show --json has a versions array");
    assert_eq!(versions.len(), 1, "{show:#}");
    assert_eq!(versions[0]["version"], 1, "{show:#}");
    assert!(versions[0]["retired_at"].is_null(), "{show:#}");
    assert!(versions[0]["created_at"].is_string(), "{show:#}");
}

#[test]
fn key_names_are_found_and_reveal_is_audited() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--ip", "203.0.113.7"],
        &binance_secrets(),
    );
    sb.reveal("binance-main", "secret", &[]);
    let id = sb.key("binance-main")["id"].clone();
    let audit = sb.audit();
    let revealed: Vec<&Value> = audit
        .iter()
        .filter(|e| e["action"] == "secret_revealed")
        .collect();
    assert_eq!(
        revealed.len(),
        1,
        "one reveal, one secret_revealed event: {audit:#?}"
    );
    assert_eq!(revealed[0]["key_name"], "binance-main", "{audit:#?}");
    assert_eq!(revealed[0]["key_id"], id, "{audit:#?}");
}

#[test]
fn okx_key_without_password_is_refused_naming_the_field_and_nothing_is_written() {
    let sb = Sandbox::init();
    let before = (sb.changes(), sb.entries_rows());
    let secrets = json!({ "apiKey": OKX_API_KEY, "secret": OKX_SECRET }).to_string();
    let out = sb
        .cmd(&[
            "add",
            "--name",
            "okx-half",
            "--exchange",
            "okx",
            "--scopes",
            "read",
            "--secrets-stdin",
        ])
        .stdin(secrets)
        .run()
        .fails(2)
        .stderr_mentions("password");
    assert!(
        !out.stderr.contains(OKX_SECRET),
        "the error repeats a secret\n{}",
        out.describe()
    );
    assert!(sb.list().is_empty(), "a key was half-written");
    assert_eq!(
        (sb.changes(), sb.entries_rows()),
        before,
        "the vault changed"
    );
}

#[test]
fn hyperliquid_key_needs_wallet_address_and_private_key() {
    let sb = Sandbox::init();
    let wallet = "0x5e9ee1089755c3435139848e47e6635505d5a13a";
    let private_key = "0x8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63";
    sb.cmd(&[
        "add",
        "--name",
        "hl",
        "--exchange",
        "hyperliquid",
        "--secrets-stdin",
    ])
    .stdin(json!({ "walletAddress": wallet }).to_string())
    .run()
    .fails(2)
    .stderr_mentions("privateKey");
    sb.cmd(&[
        "add",
        "--name",
        "hl",
        "--exchange",
        "hyperliquid",
        "--secrets-stdin",
    ])
    .stdin(json!({ "privateKey": private_key }).to_string())
    .run()
    .fails(2)
    .stderr_mentions("walletAddress");
    assert!(sb.list().is_empty());

    sb.add(
        "hl",
        "hyperliquid",
        &["--scopes", "trade"],
        &json!({ "walletAddress": wallet, "privateKey": private_key }).to_string(),
    );
    assert_eq!(sb.reveal("hl", "privateKey", &[]), private_key);
    assert_eq!(sb.reveal("hl", "walletAddress", &[]), wallet);
}

#[test]
fn bad_input_exits_2_with_one_error_line_and_changes_nothing() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read", "--ip", "203.0.113.7"],
        &binance_secrets(),
    );
    let before = (sb.changes(), sb.list(), sb.entries_rows());

    let add = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut args = vec!["add", "--name", "new-key", "--exchange", "binance"];
        args.extend_from_slice(extra);
        args.push("--secrets-stdin");
        args
    };
    let other_secrets =
        json!({ "apiKey": "other-api-key-0001", "secret": "other-secret-0001" }).to_string();
    // (arguments, stdin, a word the error must contain)
    let cases: Vec<(Vec<&str>, String, &str)> = vec![
        (
            vec![
                "add",
                "--name",
                "new-key",
                "--exchange",
                "binanse",
                "--secrets-stdin",
            ],
            other_secrets.clone(),
            "binanse",
        ),
        (
            add(&["--scopes", "read,yolo"]),
            other_secrets.clone(),
            "yolo",
        ),
        (
            add(&["--expires", "2027-13-45"]),
            other_secrets.clone(),
            "2027-13-45",
        ),
        (add(&["--rotate-every", "9x"]), other_secrets.clone(), "9x"),
        (add(&["--env", "moon"]), other_secrets.clone(), "moon"),
        (
            add(&["--ip", "203.0.113"]),
            other_secrets.clone(),
            "203.0.113",
        ),
        (
            add(&[]),
            "{\"apiKey\": \"other-api-key-0001\", ".to_string(),
            "",
        ),
        (
            vec![
                "add",
                "--name",
                "binance-main",
                "--exchange",
                "binance",
                "--secrets-stdin",
            ],
            other_secrets.clone(),
            "binance-main",
        ),
        (vec!["show", "nope"], String::new(), "nope"),
        (vec!["show", "nope", "--json"], String::new(), "nope"),
        (vec!["reveal", "nope", "apiKey"], String::new(), "nope"),
        (vec!["edit", "nope", "--notes", "x"], String::new(), "nope"),
        (
            vec!["rotate", "nope", "--secrets-stdin"],
            other_secrets.clone(),
            "nope",
        ),
        (vec!["revoke", "nope"], String::new(), "nope"),
        (vec!["compromised", "nope"], String::new(), "nope"),
        (vec!["audit", "--key", "nope"], String::new(), "nope"),
        (
            vec!["reveal", "binance-main", "nonsense"],
            String::new(),
            "nonsense",
        ),
        (
            vec!["reveal", "binance-main", "password"],
            String::new(),
            "password",
        ),
        (
            vec!["reveal", "binance-main", "secret", "--version", "7"],
            String::new(),
            "7",
        ),
        (
            vec!["edit", "binance-main", "--expires", "2027-13-45"],
            String::new(),
            "2027-13-45",
        ),
        (
            vec!["edit", "binance-main", "--rotate-every", "9x"],
            String::new(),
            "9x",
        ),
        (
            vec!["edit", "binance-main", "--scopes", "read,yolo"],
            String::new(),
            "yolo",
        ),
        (
            vec!["edit", "binance-main", "--env", "moon"],
            String::new(),
            "moon",
        ),
    ];
    for (args, stdin, word) in cases {
        let out = sb.cmd(&args).stdin(stdin).run().fails(2);
        if !word.is_empty() {
            assert!(
                out.stderr.contains(word),
                "the error does not say what was wrong ({word})\n{}",
                out.describe()
            );
        }
        for secret in [BINANCE_API_KEY, BINANCE_SECRET] {
            assert!(
                !out.output().contains(secret),
                "a failed command printed a secret\n{}",
                out.describe()
            );
        }
    }

    assert_eq!(
        (sb.changes(), sb.list(), sb.entries_rows()),
        before,
        "a refused command changed the vault"
    );
    assert_eq!(sb.reveal("binance-main", "secret", &[]), BINANCE_SECRET);
}

#[test]
fn secrets_are_not_accepted_as_arguments() {
    let sb = Sandbox::init();
    for flag in ["--secret", "--api-key", "--apiKey", "--password"] {
        sb.cmd(&[
            "add",
            "--name",
            "k",
            "--exchange",
            "binance",
            flag,
            BINANCE_SECRET,
        ])
        .stdin(binance_secrets())
        .run()
        .exits(2);
    }
    assert!(sb.list().is_empty());
}

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
fn risk_flags_and_due_state_follow_the_key_settings() {
    let sb = Sandbox::init();
    sb.add(
        "risky",
        "binance",
        &[
            "--env",
            "production",
            "--scopes",
            "read,trade,enable_withdrawals,transfer",
        ],
        &binance_secrets(),
    );
    sb.add(
        "twin",
        "binance",
        &["--env", "testnet", "--scopes", "read"],
        &binance_secrets(),
    );
    let soon = date_in_days(5);
    sb.add(
        "safe",
        "binance",
        &[
            "--env",
            "production",
            "--scopes",
            "read",
            "--ip",
            "203.0.113.7",
            "--expires",
            &soon,
        ],
        &json!({ "apiKey": "safe-api-key-42", "secret": "safe-secret-42" }).to_string(),
    );

    let risky = sb.key("risky");
    let mut scopes = strings(&risky["scopes"]);
    scopes.sort();
    assert_eq!(
        scopes,
        ["read", "trade", "transfer", "withdraw"],
        "enable_withdrawals means withdraw: {risky:#}"
    );
    let flags = strings(&risky["risk_flags"]);
    for flag in [
        "withdraw_enabled",
        "transfer_enabled",
        "no_ip_allowlist",
        "production_without_expiry",
        "duplicate_secret",
    ] {
        assert!(
            flags.iter().any(|f| f == flag),
            "risky lacks {flag}: {risky:#}"
        );
    }
    assert!(strings(&sb.key("twin")["risk_flags"])
        .iter()
        .any(|f| f == "duplicate_secret"));

    let safe = sb.key("safe");
    let flags = strings(&safe["risk_flags"]);
    for flag in [
        "withdraw_enabled",
        "transfer_enabled",
        "no_ip_allowlist",
        "production_without_expiry",
        "duplicate_secret",
        "rotation_overdue",
    ] {
        assert!(
            !flags.iter().any(|f| f == flag),
            "safe has {flag}: {safe:#}"
        );
    }
    assert_eq!(safe["due_state"], "due_soon", "expires in 5 days: {safe:#}");
    let days_left = safe["days_left"].as_i64().expect("days_left");
    assert!((3..=5).contains(&days_left), "expires in 5 days: {safe:#}");
    assert!(
        safe["expires_at"]
            .as_str()
            .is_some_and(|t| t.starts_with(&soon)),
        "{safe:#}"
    );
    // A key recorded after its expiry date shows as expired, with a negative countdown.
    let past = date_in_days(-3);
    sb.add(
        "expired",
        "binance",
        &["--env", "testnet", "--scopes", "read", "--expires", &past],
        &json!({ "apiKey": "expired-api-key-9", "secret": "expired-secret-9" }).to_string(),
    );
    let expired = sb.key("expired");
    assert_eq!(expired["due_state"], "expired", "{expired:#}");
    assert!(
        expired["days_left"].as_i64().is_some_and(|d| d < 0),
        "{expired:#}"
    );
}

#[test]
fn exchanges_lists_the_whole_catalog() {
    let sb = Sandbox::new();
    let ids = [
        "binance",
        "coinbase",
        "kraken",
        "okx",
        "bybit",
        "kucoin",
        "bitget",
        "gate",
        "bitfinex",
        "deribit",
        "hyperliquid",
        "custom",
    ];
    let json = sb.run(&["exchanges", "--json"]).ok().json();
    let listed: Vec<&str> = json
        .as_array()
        .expect("exchanges --json prints an array")
        .iter()
        .map(|e| e["id"].as_str().expect("each exchange has an id"))
        .collect();
    for id in ids {
        assert!(
            listed.contains(&id),
            "{id} missing from exchanges --json: {listed:?}"
        );
    }
    let table = sb.run(&["exchanges"]).ok().stdout.to_lowercase();
    for id in ids {
        assert!(
            table.contains(id),
            "{id} missing from `keystead exchanges`:\n{table}"
        );
    }
    assert!(!sb.vault.exists(), "listing the catalog created a vault");
}

// ---------------------------------------------------------------------------------------------------------
// Rotation, revocation, compromise
// ---------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------
// Passphrase
// ---------------------------------------------------------------------------------------------------------

#[test]
fn wrong_passphrase_exits_3_and_next_unlock_audits_the_failure() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
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
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    sb.add("okx-bot", "okx", &["--scopes", "read"], &okx_secrets());
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
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
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

// ---------------------------------------------------------------------------------------------------------
// Vault selection, help
// ---------------------------------------------------------------------------------------------------------

#[test]
fn commands_without_a_vault_exit_2_and_point_to_init() {
    let sb = Sandbox::new();
    for args in [
        &["list"][..],
        &["list", "--json"][..],
        &["unlock"][..],
        &["audit", "--verify"][..],
    ] {
        sb.run(args).fails(2).stderr_mentions("keystead init");
    }
    sb.cmd(&[
        "add",
        "--name",
        "k",
        "--exchange",
        "binance",
        "--secrets-stdin",
    ])
    .stdin(binance_secrets())
    .run()
    .fails(2)
    .stderr_mentions("keystead init");
    assert!(
        !sb.vault.exists(),
        "a command other than init created the vault"
    );

    let nested = sb.dir.path().join("no-such-dir").join("vault.db");
    sb.cmd(&["list"])
        .env("KEYSTEAD_VAULT", nested.to_str().unwrap())
        .run()
        .fails(2)
        .stderr_mentions("keystead init");
}

#[test]
fn init_twice_exits_2_and_keeps_the_existing_vault() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    let before = std::fs::read(&sb.vault).unwrap();
    sb.run(&["init"]).fails(2);
    sb.cmd(&["init"])
        .passphrase("another passphrase entirely")
        .run()
        .fails(2);
    assert!(
        std::fs::read(&sb.vault).unwrap() == before,
        "a refused init changed the vault file"
    );
    assert_eq!(sb.reveal("binance-main", "secret", &[]), BINANCE_SECRET);
    sb.cmd(&["unlock"])
        .passphrase("another passphrase entirely")
        .run()
        .fails(3);
}

#[test]
fn vault_flag_selects_the_vault_file() {
    let sb = Sandbox::new();
    let other = sb.dir.path().join("elsewhere.db");
    let other = other.to_str().unwrap();
    sb.cmd(&["--vault", other, "init"])
        .env_remove("KEYSTEAD_VAULT")
        .run()
        .ok();
    assert!(std::path::Path::new(other).exists());
    assert!(!sb.vault.exists(), "--vault was ignored");

    sb.cmd(&[
        "--vault",
        other,
        "add",
        "--name",
        "k",
        "--exchange",
        "binance",
        "--secrets-stdin",
    ])
    .env_remove("KEYSTEAD_VAULT")
    .stdin(binance_secrets())
    .run()
    .ok();
    // After the subcommand too, and over KEYSTEAD_VAULT (which points at a missing file here).
    let out = sb.cmd(&["list", "--json", "--vault", other]).run().ok();
    assert!(out.stdout.contains("\"k\""), "{}", out.describe());
    // KEYSTEAD_VAULT alone.
    let out = sb
        .cmd(&["list", "--json"])
        .env("KEYSTEAD_VAULT", other)
        .run()
        .ok();
    assert!(out.stdout.contains("\"k\""), "{}", out.describe());
}

#[test]
fn help_lists_the_exit_codes() {
    let sb = Sandbox::new();
    let out = sb.run(&["--help"]).ok();
    let help = out.stdout.to_lowercase();
    let at = help
        .find("exit code")
        .unwrap_or_else(|| panic!("--help does not list exit codes\n{}", out.describe()));
    let codes = &help[at..];
    for needle in ["0", "1", "2", "3", "passphrase"] {
        assert!(
            codes.contains(needle),
            "exit code section lacks {needle:?}\n{}",
            out.describe()
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// Audit log and its chain
// ---------------------------------------------------------------------------------------------------------

/// A vault with a handful of audited operations: seq 1 is `vault_created`, then at least five more.
fn vault_with_history() -> Sandbox {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    sb.add("okx-bot", "okx", &["--scopes", "read"], &okx_secrets());
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

// ---------------------------------------------------------------------------------------------------------
// Tampered records
// ---------------------------------------------------------------------------------------------------------

const ALL_TEST_SECRETS: [&str; 5] = [
    BINANCE_API_KEY,
    BINANCE_SECRET,
    OKX_API_KEY,
    OKX_SECRET,
    OKX_PASSWORD,
];

#[track_caller]
fn prints_no_secret(out: &Out) {
    for secret in ALL_TEST_SECRETS {
        assert!(
            !out.output().contains(secret),
            "printed a secret after tampering\n{}",
            out.describe()
        );
    }
}

#[test]
fn flipped_byte_in_key_metadata_is_reported_as_damaged() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    sb.add("okx-bot", "okx", &["--scopes", "read"], &okx_secrets());
    let id = sb.entry_id("binance-main");
    sb.flip_entry_byte(&id, "meta");

    for args in [
        &["list", "--json"][..],
        &["list"][..],
        &["show", "binance-main", "--json"][..],
        &["reveal", "binance-main", "secret"][..],
    ] {
        let out = sb.run(args).fails(3).stderr_mentions("damaged");
        prints_no_secret(&out);
    }
}

#[test]
fn flipped_byte_in_key_secrets_is_reported_as_damaged() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    sb.add("okx-bot", "okx", &["--scopes", "read"], &okx_secrets());
    let id = sb.entry_id("binance-main");
    sb.flip_entry_byte(&id, "secrets");

    for field in ["apiKey", "secret"] {
        let out = sb
            .run(&["reveal", "binance-main", field])
            .fails(3)
            .stderr_mentions("damaged");
        prints_no_secret(&out);
    }
    let show = sb.run(&["show", "binance-main", "--json"]);
    assert!(
        matches!(show.code, Some(0) | Some(3)),
        "{}",
        show.describe()
    );
    prints_no_secret(&show);
    assert_eq!(
        sb.reveal("okx-bot", "password", &[]),
        OKX_PASSWORD,
        "the undamaged key is still readable"
    );
}

#[test]
fn flipped_byte_in_rotation_history_is_reported_as_damaged() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    let new_secret = "secret-after-rotation-123";
    sb.cmd(&[
        "rotate",
        "binance-main",
        "--reason",
        "scheduled",
        "--secrets-stdin",
    ])
    .stdin(json!({ "apiKey": "api-key-after-rotation-123", "secret": new_secret }).to_string())
    .run()
    .ok();
    let id = sb.entry_id("binance-main");
    sb.flip_entry_byte(&id, "history");

    // Whichever commands read the history must refuse; none may print wrong data.
    let mut refused = Vec::new();
    let attempts: [(&[&str], Option<&str>); 3] = [
        (
            &["reveal", "binance-main", "secret", "--version", "1"],
            Some(BINANCE_SECRET),
        ),
        (&["show", "binance-main", "--json"], None),
        (&["show", "binance-main"], None),
    ];
    for (args, expected) in attempts {
        let out = sb.run(args);
        match out.code {
            Some(0) => {
                if let Some(expected) = expected {
                    assert_eq!(
                        out.stdout,
                        format!("{expected}\n"),
                        "wrong plaintext\n{}",
                        out.describe()
                    );
                }
            }
            Some(3) => {
                refused.push(out.stderr_mentions("damaged").args);
            }
            _ => panic!("neither correct output nor exit 3\n{}", out.describe()),
        }
    }
    let rotate = sb
        .cmd(&["rotate", "binance-main", "--secrets-stdin"])
        .stdin(json!({ "apiKey": "k3", "secret": "s3" }).to_string())
        .run();
    if rotate.code == Some(3) {
        refused.push(rotate.stderr_mentions("damaged").args);
    }
    assert!(!refused.is_empty(), "a flipped byte in the rotation history went unnoticed by reveal --version 1, show and rotate");
}

#[test]
fn secrets_copied_from_another_key_do_not_decrypt() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    let other =
        json!({ "apiKey": "second-binance-key-0002", "secret": "second-binance-secret-0002" })
            .to_string();
    sb.add("binance-second", "binance", &["--scopes", "read"], &other);
    let from = sb.entry_id("binance-main");
    let to = sb.entry_id("binance-second");
    sb.db()
        .execute(
            "UPDATE entries SET secrets = (SELECT secrets FROM entries WHERE id = ?1) WHERE id = ?2",
            [&from, &to],
        )
        .unwrap();

    for field in ["apiKey", "secret"] {
        let out = sb.run(&["reveal", "binance-second", field]).fails(3);
        prints_no_secret(&out);
    }
    assert_eq!(sb.reveal("binance-main", "secret", &[]), BINANCE_SECRET);
}

#[test]
fn ciphertext_moved_to_another_column_does_not_decrypt() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    let id = sb.entry_id("binance-main");
    sb.db()
        .execute("UPDATE entries SET secrets = meta WHERE id = ?1", [&id])
        .unwrap();
    let out = sb
        .run(&["reveal", "binance-main", "secret"])
        .fails(3)
        .stderr_mentions("damaged");
    prints_no_secret(&out);
}

#[test]
fn changed_generation_makes_the_record_unreadable() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    let id = sb.entry_id("binance-main");
    sb.db()
        .execute(
            "UPDATE entries SET generation = generation + 1 WHERE id = ?1",
            [&id],
        )
        .unwrap();
    for args in [
        &["list", "--json"][..],
        &["reveal", "binance-main", "secret"][..],
    ] {
        let out = sb.run(args).fails(3).stderr_mentions("damaged");
        prints_no_secret(&out);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------------------------------------

const KDF_WAIT: Duration = Duration::from_secs(60);

#[test]
fn absurd_kdf_parameters_in_the_header_are_refused_before_deriving() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    let (memory, iterations, parallelism): (i64, i64, i64) = sb
        .db()
        .query_row(
            "SELECT kdf_memory_kib, kdf_iterations, kdf_parallelism FROM header",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();

    let cases: [(&str, i64, i64); 6] = [
        ("kdf_memory_kib", 4_294_967_295, memory), // ≈ 4 TiB
        ("kdf_memory_kib", 8, memory),             // below the 64 MiB floor
        ("kdf_iterations", 1000, iterations),
        ("kdf_iterations", 1, iterations),
        ("kdf_parallelism", 1000, parallelism),
        ("kdf_parallelism", 0, parallelism),
    ];
    for (column, absurd, original) in cases {
        sb.db()
            .execute(&format!("UPDATE header SET {column} = ?1"), [absurd])
            .unwrap();
        for args in [&["unlock"][..], &["list", "--json"][..]] {
            let out = sb
                .cmd(args)
                .timeout(KDF_WAIT)
                .run()
                .fails(3)
                .stderr_mentions("range");
            assert!(!out.stdout.contains("binance-main"), "{}", out.describe());
        }
        sb.db()
            .execute(&format!("UPDATE header SET {column} = ?1"), [original])
            .unwrap();
        sb.run(&["unlock"]).ok();
    }
}

#[test]
fn in_range_header_edits_fail_to_unlock_with_exit_3() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    let (memory, iterations): (i64, i64) = sb
        .db()
        .query_row(
            "SELECT kdf_memory_kib, kdf_iterations FROM header",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();

    for (column, value) in [
        ("kdf_iterations", iterations + 1),
        ("kdf_memory_kib", memory + 1024),
    ] {
        sb.db()
            .execute(&format!("UPDATE header SET {column} = ?1"), [value])
            .unwrap();
        let out = sb.cmd(&["list", "--json"]).timeout(KDF_WAIT).run().fails(3);
        assert!(!out.stdout.contains("binance-main"), "{}", out.describe());
        let original = if column == "kdf_iterations" {
            iterations
        } else {
            memory
        };
        sb.db()
            .execute(&format!("UPDATE header SET {column} = ?1"), [original])
            .unwrap();
        sb.run(&["unlock"]).ok();
    }

    for column in ["salt", "wrapped_key", "vault_id"] {
        let original: Vec<u8> = sb
            .db()
            .query_row(&format!("SELECT {column} FROM header"), [], |r| r.get(0))
            .unwrap();
        let mut changed = original.clone();
        let at = changed.len() / 2;
        changed[at] ^= 0x01;
        sb.db()
            .execute(&format!("UPDATE header SET {column} = ?1"), [changed])
            .unwrap();
        let out = sb
            .cmd(&["reveal", "binance-main", "secret"])
            .timeout(KDF_WAIT)
            .run()
            .fails(3);
        prints_no_secret(&out);
        sb.db()
            .execute(&format!("UPDATE header SET {column} = ?1"), [original])
            .unwrap();
        sb.run(&["unlock"]).ok();
    }
    assert_eq!(sb.reveal("binance-main", "secret", &[]), BINANCE_SECRET);
}

// ---------------------------------------------------------------------------------------------------------
// Canary: secrets and metadata never in the file in plaintext, secrets never in output
// ---------------------------------------------------------------------------------------------------------

#[test]
fn canary_secrets_never_reach_the_vault_file_or_any_output() {
    let sb = Sandbox::init();
    let api_key = unique("CANARYAPIKEY");
    let secret = unique("CANARYSECRET");
    let password = unique("CANARYPASSWORD");
    let rotated_secret = unique("CANARYROTATEDSECRET");
    let name = unique("canary-name");
    let notes = unique("canary-notes");
    let account = unique("canary-account");
    let tag = unique("canary-tag");
    let ip = "198.51.100.77";

    sb.add(
        &name,
        "okx",
        &[
            "--scopes",
            "read,trade",
            "--ip",
            ip,
            "--account",
            &account,
            "--tag",
            &tag,
            "--notes",
            &notes,
        ],
        &json!({ "apiKey": api_key, "secret": secret, "password": password }).to_string(),
    );
    sb.run(&["list"]).ok();
    sb.run(&["list", "--json"]).ok();
    sb.run(&["show", &name]).ok();
    sb.run(&["show", &name, "--json"]).ok();
    assert_eq!(sb.reveal(&name, "secret", &[]), secret);
    assert_eq!(sb.reveal(&name, "password", &[]), password);
    sb.cmd(&[
        "rotate",
        &name,
        "--reason",
        "canary rotation",
        "--secrets-stdin",
    ])
    .stdin(json!({ "apiKey": api_key, "secret": rotated_secret, "password": password }).to_string())
    .run()
    .ok();
    assert_eq!(sb.reveal(&name, "secret", &["--version", "1"]), secret);
    sb.run(&["edit", &name, "--notes", &format!("{notes}-edited")])
        .ok();
    sb.cmd(&["unlock"])
        .passphrase("wrong passphrase!")
        .run()
        .fails(3);
    sb.run(&["show", &name, "--json"]).ok();
    sb.run(&["audit"]).ok();
    sb.run(&["audit", "--json"]).ok();
    sb.run(&["audit", "--verify"]).ok();
    sb.run(&["compromised", &name, "--reason", "canary test"])
        .ok();
    sb.cmd(&[
        "add",
        "--name",
        &name,
        "--exchange",
        "okx",
        "--secrets-stdin",
    ])
    .stdin(json!({ "apiKey": api_key, "secret": secret }).to_string())
    .run()
    .fails(2);
    sb.cmd(&[
        "add",
        "--name",
        "second",
        "--exchange",
        "okx",
        "--scopes",
        "nonsense",
        "--secrets-stdin",
    ])
    .stdin(json!({ "apiKey": api_key, "secret": secret, "password": password }).to_string())
    .run()
    .fails(2);

    let secrets = [&api_key, &secret, &password, &rotated_secret];
    for out in sb.transcript() {
        for s in secrets {
            assert!(
                !out.stderr.contains(s.as_str()),
                "stderr holds a secret\n{}",
                out.describe()
            );
            if out.args.first().map(String::as_str) != Some("reveal") {
                assert!(
                    !out.stdout.contains(s.as_str()),
                    "stdout holds a secret\n{}",
                    out.describe()
                );
            }
        }
    }

    let in_file = [
        &api_key,
        &secret,
        &password,
        &rotated_secret,
        &name,
        &notes,
        &account,
        &tag,
    ];
    let files = sb.files();
    assert!(
        files.iter().any(|(p, _)| p == &sb.vault),
        "vault file missing from {:?}",
        sb.dir.path()
    );
    for (path, bytes) in &files {
        for canary in in_file {
            assert!(
                !contains_bytes(bytes, canary.as_bytes()),
                "{} holds {canary} in plaintext",
                path.display()
            );
        }
        assert!(
            !contains_bytes(bytes, ip.as_bytes()),
            "{} holds the IP allowlist in plaintext",
            path.display()
        );
    }
}

/// The OS keyring of the test run: gnome-keyring's Secret Service on the private D-Bus session that
/// scripts/test.sh starts. `None` (the test says so and passes) when run outside that script.
fn keyring_bus() -> Option<String> {
    if std::env::var_os("KEYSTEAD_TEST_KEYRING").is_none() {
        eprintln!("skipped: needs gnome-keyring on a private D-Bus session; run scripts/test.sh");
        return None;
    }
    Some(
        std::env::var("DBUS_SESSION_BUS_ADDRESS")
            .expect("KEYSTEAD_TEST_KEYRING is set but there is no D-Bus session"),
    )
}

#[test]
fn a_vault_file_swapped_for_an_older_copy_is_reported_through_the_os_keyring() {
    let Some(bus) = keyring_bus() else { return };
    let sb = Sandbox::new();
    let with_keyring = |args: &[&str]| sb.cmd(args).env("DBUS_SESSION_BUS_ADDRESS", &bus);
    with_keyring(&["init"]).run().ok();
    with_keyring(&[
        "add",
        "--name",
        "binance-main",
        "--exchange",
        "binance",
        "--scopes",
        "read,withdraw",
        "--secrets-stdin",
    ])
    .stdin(binance_secrets())
    .run()
    .ok();
    // Each command checkpoints the WAL into the main file on exit, so the file alone is a full copy.
    let before_revoke = std::fs::read(&sb.vault).unwrap();
    with_keyring(&["revoke", "binance-main", "--reason", "left the team"])
        .run()
        .ok();
    let out = with_keyring(&["list"]).run().ok();
    assert!(!out.stderr.contains("older"), "{}", out.describe());

    // Put the pre-revocation file back: the key looks active again.
    std::fs::write(&sb.vault, before_revoke).unwrap();
    let _ = std::fs::remove_file(sb.vault.with_extension("db-wal"));
    let _ = std::fs::remove_file(sb.vault.with_extension("db-shm"));
    let out = with_keyring(&["list", "--json"]).run().ok();
    assert!(out.stderr.contains("older copy"), "{}", out.describe());
    let verify = with_keyring(&["audit", "--verify"]).run().exits(1);
    assert!(verify.stdout.contains("older"), "{}", verify.describe());

    // Without the keyring (a headless server) the same file opens with no such warning: the mirror
    // lives only in the keyring, never in a file beside the vault.
    let out = sb.cmd(&["list"]).run().ok();
    assert!(!out.stderr.contains("older"), "{}", out.describe());
}

// ---------------------------------------------------------------------------------------------------------
// `due`: what needs rotating soon, for servers and cron jobs
// ---------------------------------------------------------------------------------------------------------

/// `--secrets-stdin` input for a Binance key whose secrets no other key in the sandbox has.
fn distinct_binance_secrets(tag: &str) -> String {
    json!({ "apiKey": format!("{tag}-{BINANCE_API_KEY}"), "secret": format!("{tag}-{BINANCE_SECRET}") })
        .to_string()
}

/// Names in the order `due` prints them (the first column of each table row).
fn due_names(out: &Out) -> Vec<String> {
    out.stdout
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn due_lists_the_keys_due_within_the_window_most_urgent_first() {
    let sb = Sandbox::init();
    let in_5 = date_in_days(5);
    let in_40 = date_in_days(40);
    sb.add(
        "binance-soon",
        "binance",
        &["--scopes", "read", "--expires", &in_5],
        &distinct_binance_secrets("soon"),
    );
    sb.add(
        "binance-later",
        "binance",
        &["--scopes", "read", "--expires", &in_40],
        &distinct_binance_secrets("later"),
    );
    sb.add(
        "binance-forever",
        "binance",
        &["--scopes", "read"],
        &distinct_binance_secrets("forever"),
    );
    // OKX deletes a trade key without an IP allowlist after 14 days: due within the default window.
    sb.add(
        "okx-bot",
        "okx",
        &["--scopes", "read,trade"],
        &okx_secrets(),
    );

    let out = sb.run(&["due"]).ok();
    assert_eq!(
        due_names(&out),
        ["binance-soon", "okx-bot"],
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains(&format!("{in_5} 00:00 UTC")),
        "due date missing\n{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("the key expires")
            && out
                .stdout
                .contains("OKX deletes a key with Trade or Withdraw permission"),
        "what happens at the due date is missing\n{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("2 keys due within 14 days"),
        "{}",
        out.describe()
    );
    prints_no_secret(&out);

    let out = sb.run(&["due", "--within", "60d"]).ok();
    assert_eq!(
        due_names(&out),
        ["binance-soon", "okx-bot", "binance-later"],
        "{}",
        out.describe()
    );
    let out = sb.run(&["due", "--within", "2"]).ok();
    assert!(
        out.stdout.contains("Nothing due within 2 days"),
        "{}",
        out.describe()
    );

    // A revoked key is no longer due.
    sb.run(&["revoke", "binance-soon"]).ok();
    let out = sb.run(&["due"]).ok();
    assert_eq!(due_names(&out), ["okx-bot"], "{}", out.describe());
}

#[test]
fn due_json_gives_each_key_its_due_date_kind_state_countdown_and_reason() {
    let sb = Sandbox::init();
    let in_3 = date_in_days(3);
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read", "--expires", &in_3],
        &distinct_binance_secrets("main"),
    );
    sb.add(
        "okx-bot",
        "okx",
        &["--scopes", "read,trade"],
        &okx_secrets(),
    );
    let out = sb.run(&["due", "--json"]).ok();
    prints_no_secret(&out);
    let json = out.json();
    let items = json.as_array().expect("due --json prints an array");
    assert_eq!(items.len(), 2, "{json:#}");
    let b = &items[0];
    assert_eq!(b["name"], "binance-main", "most urgent first: {json:#}");
    assert_eq!(b["id"], sb.key("binance-main")["id"]);
    assert_eq!(b["exchange"], "binance");
    assert_eq!(
        epoch_seconds(b["due_at"].as_str().expect("due_at is a string")),
        epoch_seconds(&format!("{in_3}T00:00:00Z"))
    );
    assert_eq!(b["due_kind"], "expiry");
    assert_eq!(b["due_state"], "due_soon");
    assert!(
        b["days_left"]
            .as_i64()
            .is_some_and(|d| (1..=3).contains(&d)),
        "{b:#}"
    );
    assert_eq!(b["due_reason"], "the key expires");
    let o = &items[1];
    assert_eq!(o["name"], "okx-bot");
    assert_eq!(o["exchange"], "okx");
    assert_eq!(o["due_kind"], "exchange_expiry");
    assert_eq!(o["due_state"], "due_soon");
    assert_eq!(o["days_left"], 13);
    assert!(
        o["due_reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("OKX deletes")),
        "{o:#}"
    );

    // Nothing due: an empty array, exit 0.
    let out = sb.run(&["due", "--json", "--within", "1d"]).ok();
    assert_eq!(out.json(), json!([]));
}

#[test]
fn due_exits_1_when_a_key_has_expired() {
    let sb = Sandbox::init();
    let past = date_in_days(-3);
    sb.add(
        "binance-old",
        "binance",
        &["--scopes", "read", "--expires", &past],
        &distinct_binance_secrets("old"),
    );
    sb.add(
        "binance-ok",
        "binance",
        &["--scopes", "read", "--expires", &date_in_days(5)],
        &distinct_binance_secrets("ok"),
    );
    let out = sb.run(&["due"]).exits(1);
    assert_eq!(
        due_names(&out),
        ["binance-old", "binance-ok"],
        "{}",
        out.describe()
    );
    assert!(out.stdout.contains("expired"), "{}", out.describe());
    assert!(
        out.stdout.contains("1 overdue or expired"),
        "{}",
        out.describe()
    );
    assert!(out.stderr.trim().is_empty(), "{}", out.describe());

    let out = sb.run(&["due", "--json"]).exits(1);
    let json = out.json();
    assert_eq!(json[0]["name"], "binance-old");
    assert_eq!(json[0]["due_state"], "expired");
    assert!(
        json[0]["days_left"].as_i64().is_some_and(|d| d < 0),
        "{json:#}"
    );

    // Once the expired key is revoked, nothing is late any more.
    sb.run(&["revoke", "binance-old"]).ok();
    sb.run(&["due"]).ok();
}

#[test]
fn due_exits_0_when_nothing_is_overdue_or_nothing_is_due_at_all() {
    let sb = Sandbox::init();
    let out = sb.run(&["due"]).ok();
    assert!(
        out.stdout.contains("Nothing due within 14 days"),
        "{}",
        out.describe()
    );
    sb.add(
        "binance-later",
        "binance",
        &["--scopes", "read", "--expires", &date_in_days(30)],
        &distinct_binance_secrets("later"),
    );
    let out = sb.run(&["due"]).ok();
    assert!(
        out.stdout.contains("Nothing due within 14 days"),
        "{}",
        out.describe()
    );
    let out = sb.run(&["due", "--within", "5w"]).ok();
    assert_eq!(due_names(&out), ["binance-later"], "{}", out.describe());
}

#[test]
fn due_refuses_a_bad_window_and_documents_its_exit_codes() {
    let sb = Sandbox::init();
    sb.run(&["due", "--within", "soon"])
        .fails(2)
        .stderr_mentions("bad duration 'soon'");
    let help = sb.run(&["due", "--help"]).ok();
    assert!(
        help.stdout
            .contains("1  at least one key is overdue for rotation or expired"),
        "{}",
        help.describe()
    );
    let help = sb.run(&["--help"]).ok();
    assert!(
        help.stdout.contains("`due` found a key overdue or expired"),
        "{}",
        help.describe()
    );
}
