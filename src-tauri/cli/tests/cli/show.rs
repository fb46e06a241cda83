//! `list`, `show` and `reveal`: what a key looks like once added, how names are found, risk flags and due
//! state.

use crate::common::*;
use serde_json::{json, Value};

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
fn an_unknown_key_name_exits_2_and_points_to_list() {
    let sb = Sandbox::with_read_keys(false);
    for args in [
        &["show", "binance-mian"][..],
        &["reveal", "binance-mian", "secret"][..],
        &["rotate", "binance-mian", "--secrets-stdin"][..],
    ] {
        sb.run(args)
            .fails(2)
            .stderr_mentions("no key named 'binance-mian'")
            .stderr_mentions("`keystead list` shows the names");
    }
}
