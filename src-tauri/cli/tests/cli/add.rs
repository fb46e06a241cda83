//! `add`: each exchange's required fields, bad input refused with one error line and nothing written, secrets
//! never as arguments, and the catalog `exchanges` prints.

use crate::common::*;
use serde_json::json;

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

#[test]
fn adding_an_api_key_already_held_warns_naming_the_entry_and_keeps_both() {
    let sb = Sandbox::with_read_keys(false);
    let out = sb.add(
        "binance-again",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    assert!(
        out.stderr.contains("warning:")
            && out.stderr.contains("'binance-main'")
            && out.stderr.contains("keystead rotate"),
        "no warning naming the entry that holds the API key\n{}",
        out.describe()
    );
    assert!(
        !out.stderr.contains(BINANCE_API_KEY) && !out.stderr.contains(BINANCE_SECRET),
        "the warning repeats a secret\n{}",
        out.describe()
    );
    assert_eq!(
        sb.list().len(),
        2,
        "the key was not added after the warning"
    );

    // A fresh API key adds without a warning.
    let fresh =
        json!({ "apiKey": "fresh-binance-api-key-0002", "secret": BINANCE_SECRET }).to_string();
    let out = sb.add("binance-fresh", "binance", &["--scopes", "read"], &fresh);
    assert!(
        !out.stderr.contains("warning:"),
        "a new API key was called a duplicate\n{}",
        out.describe()
    );
}
