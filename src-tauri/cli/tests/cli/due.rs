//! `due`: what needs rotating soon, for servers and cron jobs (exit 1 when a key is overdue or expired).

use crate::common::*;
use serde_json::json;

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
