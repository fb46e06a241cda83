//! A key's own variable names (`add`/`edit --var FIELD=NAME`) win over every profile's names in `run`; two
//! keys of one exchange run together once one has its own names; bad names are refused with what to do;
//! `show` lists them and `list` shows when `run` last used each key.

use super::run::{digests_of, expect_line, run_sh};
use crate::common::*;

#[test]
fn a_keys_own_names_win_over_the_ccxt_and_freqtrade_names_and_passivbot_gets_them_too() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &[
            "--scopes",
            "read",
            "--var",
            "apiKey=BINANCE_API_KEY",
            "--var",
            "secret= BINANCE_API_SECRET ",
        ],
        &binance_secrets(),
    );
    let vars = [
        "BINANCE_API_KEY",
        "BINANCE_API_SECRET",
        "BINANCE_APIKEY",
        "BINANCE_SECRET",
        "FREQTRADE__EXCHANGE__KEY",
        "FREQTRADE__EXCHANGE__API_KEY",
    ];
    for profile in ["ccxt", "freqtrade", "passivbot"] {
        let out = run_sh(
            &sb,
            &["binance-main"],
            &["--profile", profile],
            &digests_of(&vars),
        )
        .run()
        .ok();
        expect_line(&out, "BINANCE_API_KEY", Some(BINANCE_API_KEY));
        expect_line(&out, "BINANCE_API_SECRET", Some(BINANCE_SECRET));
        expect_line(&out, "BINANCE_APIKEY", None);
        expect_line(&out, "BINANCE_SECRET", None);
        expect_line(&out, "FREQTRADE__EXCHANGE__KEY", None);
        expect_line(&out, "FREQTRADE__EXCHANGE__API_KEY", None);
        prints_no_secret(&out);
    }
    let shown = sb.run(&["show", "binance-main"]).ok();
    assert!(
        shown
            .stdout
            .contains("apiKey → BINANCE_API_KEY   secret → BINANCE_API_SECRET"),
        "{}",
        shown.describe()
    );
}

#[test]
fn two_keys_of_one_exchange_clash_until_one_has_its_own_names() {
    const ALT_KEY: &str = "alt-api-key-7Hq2mZp9Lw4x";
    const ALT_SECRET: &str = "alt-secret-Vd8Rk3Nc6Ts1";
    let sb = Sandbox::with_read_keys(false);
    sb.add(
        "binance-alt",
        "binance",
        &["--scopes", "read"],
        &serde_json::json!({ "apiKey": ALT_KEY, "secret": ALT_SECRET }).to_string(),
    );
    let vars = ["BINANCE_APIKEY", "ALT_KEY", "ALT_SECRET"];
    run_sh(&sb, &["binance-main", "binance-alt"], &[], "true")
        .run()
        .fails(2)
        .stderr_mentions("'binance-main' and 'binance-alt' would both set BINANCE_APIKEY");
    let runs = |sb: &Sandbox| {
        sb.audit()
            .iter()
            .filter(|e| e["action"] == "key_run")
            .count()
    };
    assert_eq!(runs(&sb), 0, "a refused run was audited");

    sb.run(&[
        "edit",
        "binance-alt",
        "--var",
        "apiKey=ALT_KEY",
        "--var",
        "secret=ALT_SECRET",
    ])
    .ok();
    let out = run_sh(
        &sb,
        &["binance-main", "binance-alt"],
        &[],
        &digests_of(&vars),
    )
    .run()
    .ok();
    expect_line(&out, "BINANCE_APIKEY", Some(BINANCE_API_KEY));
    expect_line(&out, "ALT_KEY", Some(ALT_KEY));
    expect_line(&out, "ALT_SECRET", Some(ALT_SECRET));
    assert_eq!(runs(&sb), 2);

    // `--var FIELD=` removes one name, `--no-vars` all of them; each edit is audited with the new set.
    sb.run(&["edit", "binance-alt", "--var", "secret="]).ok();
    assert_eq!(
        sb.show("binance-alt")["env_names"],
        serde_json::json!({"apiKey": "ALT_KEY"})
    );
    sb.run(&["edit", "binance-alt", "--no-vars"]).ok();
    assert_eq!(sb.show("binance-alt")["env_names"], serde_json::json!({}));
    let edits: Vec<String> = sb
        .audit()
        .iter()
        .filter(|e| e["action"] == "key_edited")
        .map(|e| e["detail"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        edits,
        [
            "run variables: apiKey=ALT_KEY,secret=ALT_SECRET",
            "run variables: apiKey=ALT_KEY",
            "run variables: none"
        ]
    );
}

#[test]
fn bad_names_are_refused_with_what_to_do_and_nothing_is_added() {
    let sb = Sandbox::init();
    for (var, says) in [
        ("apiKey=LD_PRELOAD", "changes how programs start"),
        ("apiKey=PATH", "changes how programs start"),
        ("apiKey=1KEY", "not a plain variable name"),
        ("apiKey=$(id)", "not a plain variable name"),
        ("apiKee=X", "apiKey"),
        ("BINANCE_API_KEY", "--var takes FIELD=NAME"),
    ] {
        sb.cmd(&[
            "add",
            "--name",
            "k",
            "--exchange",
            "binance",
            "--var",
            var,
            "--secrets-stdin",
        ])
        .stdin(binance_secrets())
        .run()
        .fails(2)
        .stderr_mentions(says);
    }
    assert!(sb.list().is_empty());
}

#[test]
fn list_shows_when_run_last_used_each_key() {
    let sb = Sandbox::with_read_keys(true);
    let before = sb.run(&["list"]).ok();
    let header = before.stdout.lines().next().unwrap_or_default();
    assert!(header.contains("LAST USED"), "{}", before.describe());
    let row = |out: &Out, name: &str| {
        out.stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        row(&before, "binance-main").contains("never"),
        "{}",
        before.describe()
    );

    run_sh(&sb, &["binance-main"], &[], "true").run().ok();
    let after = sb.run(&["list"]).ok();
    assert!(
        row(&after, "binance-main").contains("just now"),
        "{}",
        after.describe()
    );
    assert!(
        row(&after, "okx-bot").contains("never"),
        "{}",
        after.describe()
    );
    assert!(sb.key("binance-main")["last_used_at"].is_string());
    assert!(sb.key("okx-bot")["last_used_at"].is_null());
    let shown = sb.run(&["show", "binance-main"]).ok();
    assert!(
        shown
            .stdout
            .lines()
            .any(|l| l.trim_start().starts_with("last used")
                && l.contains("(just now): handed to sh by keystead run on ")),
        "{}",
        shown.describe()
    );
    // Showing a secret with the CLI is a use too; --json says how and where.
    sb.reveal("okx-bot", "secret", &[]);
    let okx = sb.key("okx-bot");
    assert!(okx["last_used_at"].is_string(), "{okx}");
    assert_eq!(okx["last_use"]["how"], "revealed", "{okx}");
    assert_eq!(okx["last_use"]["by"], "cli", "{okx}");
    let shown = sb.run(&["show", "okx-bot"]).ok();
    assert!(
        shown.stdout.lines().any(
            |l| l.trim_start().starts_with("last used") && l.contains("shown with the CLI on ")
        ),
        "{}",
        shown.describe()
    );
}
