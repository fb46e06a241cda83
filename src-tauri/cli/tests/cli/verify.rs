//! `verify`: each key checked on a loopback fake of its exchange that verifies the signature as the
//! exchange documents it (core/tests/common/fake_exchange.rs); exit 0 agrees, 1 drift or rejected, 2 error.

use crate::common::*;

#[path = "../../../core/tests/common/fake_exchange.rs"]
pub(crate) mod fake_exchange;

use fake_exchange::{Creds, Reply};
use serde_json::json;

fn creds(api_key: &str, secret: &str, passphrase: &str) -> Creds {
    Creds {
        api_key: api_key.into(),
        secret: secret.into(),
        passphrase: passphrase.into(),
        ed25519_public: None,
    }
}

fn binance(withdrawals: bool) -> Reply {
    Reply::Json(
        200,
        format!(
            r#"{{"ipRestrict":true,"createTime":1767225600000,"enableReading":true,"enableWithdrawals":{withdrawals},"enableInternalTransfer":false,"enableMargin":false,"enableFutures":false,"permitsUniversalTransfer":false,"enableVanillaOptions":false,"enableSpotAndMarginTrading":true}}"#
        ),
    )
}

fn add_binance(sb: &Sandbox, name: &str) {
    sb.add(
        name,
        "binance",
        &[
            "--scopes",
            "enable_reading,enable_spot_margin_trading",
            "--ip",
            "203.0.113.7",
        ],
        &binance_secrets(),
    );
}

#[test]
fn verify_agrees_exits_0_and_shows_both_views() {
    let sb = Sandbox::init();
    add_binance(&sb, "bot");
    let fake = fake_exchange::start(
        "binance",
        creds(BINANCE_API_KEY, BINANCE_SECRET, ""),
        binance(false),
        false,
    );
    let out = sb
        .cmd(&["verify", "bot"])
        .env("KEYSTEAD_BASE_URL_BINANCE", &fake.base_url)
        .run()
        .exits(0);
    assert!(fake.seen()[0].signature_ok, "{:?}", fake.seen()[0].problem);
    assert!(
        out.stdout
            .contains("bot (Binance): Binance agrees with the record"),
        "{}",
        out.describe()
    );
    assert!(out.stdout.contains("203.0.113.7"), "{}", out.describe());
    assert!(
        out.stdout.contains("restricted (addresses not reported)"),
        "{}",
        out.describe()
    );
    prints_no_secret(&out);
    let actions: Vec<String> = sb
        .audit()
        .iter()
        .map(|e| e["action"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(actions.contains(&"key_verified".to_string()));
}

#[test]
fn verify_names_drift_exits_1_and_accept_writes_the_exchanges_view() {
    let sb = Sandbox::init();
    add_binance(&sb, "bot");
    let fake = fake_exchange::start(
        "binance",
        creds(BINANCE_API_KEY, BINANCE_SECRET, ""),
        binance(true),
        false,
    );
    let out = sb
        .cmd(&["verify", "--json"])
        .env("KEYSTEAD_BASE_URL_BINANCE", &fake.base_url)
        .run()
        .exits(1);
    let v = out.json();
    assert_eq!(v["keys"][0]["verification"]["outcome"], json!("drift"));
    assert_eq!(
        v["keys"][0]["verification"]["drift"],
        json!(["withdrawals are enabled on Binance but not recorded here"])
    );
    assert!(!sb.key("bot")["scopes"].to_string().contains("withdraw"));
    let out = sb
        .cmd(&["verify", "bot", "--accept"])
        .env("KEYSTEAD_BASE_URL_BINANCE", &fake.base_url)
        .run()
        .exits(1);
    assert!(
        out.stdout
            .contains("Accepted the exchange's view into 'bot'"),
        "{}",
        out.describe()
    );
    assert!(sb.key("bot")["scopes"].to_string().contains("withdraw"));
    sb.cmd(&["verify", "bot"])
        .env("KEYSTEAD_BASE_URL_BINANCE", &fake.base_url)
        .run()
        .exits(0);
}

#[test]
fn verify_a_rejected_key_exits_1_and_escapes_the_exchanges_words() {
    let sb = Sandbox::init();
    sb.add(
        "ku",
        "kucoin",
        &["--scopes", "general"],
        &json!({ "apiKey": "ku-key", "secret": "ku-secret", "password": "ku-pass" }).to_string(),
    );
    let answer = "{\"code\":\"400003\",\"msg\":\"KC-API-KEY not exists \u{202e}gnp.exe\"}";
    let fake = fake_exchange::start(
        "kucoin",
        creds("ku-key", "ku-secret", "ku-pass"),
        Reply::Json(401, answer.into()),
        false,
    );
    let out = sb
        .cmd(&["verify", "ku"])
        .env("KEYSTEAD_BASE_URL_KUCOIN", &fake.base_url)
        .run()
        .exits(1);
    assert!(
        out.stdout.contains("KuCoin rejected the key"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout
            .contains("the exchange rejected this key: deleted or wrong secret"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("\\u{202e}gnp.exe"),
        "{}",
        out.describe()
    );
    assert!(!out.stdout.contains('\u{202e}'));
}

#[test]
fn verify_an_unreadable_answer_exits_2() {
    let sb = Sandbox::init();
    sb.add("okx", "okx", &["--scopes", "okx_read"], &okx_secrets());
    let fake = fake_exchange::start(
        "okx",
        creds(OKX_API_KEY, OKX_SECRET, OKX_PASSWORD),
        Reply::Json(200, "<html>down</html>".into()),
        false,
    );
    let out = sb
        .cmd(&["verify", "okx"])
        .env("KEYSTEAD_BASE_URL_OKX", &fake.base_url)
        .run()
        .exits(2);
    assert!(fake.seen()[0].signature_ok, "{:?}", fake.seen()[0].problem);
    assert!(
        out.stdout
            .contains("OKX answered something Keystead cannot read"),
        "{}",
        out.describe()
    );
}

#[test]
fn verify_over_tls_trusts_the_ca_file_given() {
    let sb = Sandbox::init();
    add_binance(&sb, "bot");
    let fake = fake_exchange::start(
        "binance",
        creds(BINANCE_API_KEY, BINANCE_SECRET, ""),
        binance(false),
        true,
    );
    let ca = sb.dir.path().join("ca.pem");
    std::fs::write(&ca, fake.ca_pem.as_deref().unwrap()).unwrap();
    let without = sb
        .cmd(&["verify", "bot"])
        .env("KEYSTEAD_BASE_URL_BINANCE", &fake.base_url)
        .run()
        .exits(2);
    assert!(without.stdout.contains("TLS"), "{}", without.describe());
    sb.cmd(&["verify", "bot"])
        .env("KEYSTEAD_BASE_URL_BINANCE", &fake.base_url)
        .env("KEYSTEAD_CA_FILE", ca.to_str().unwrap())
        .run()
        .exits(0);
}

#[test]
fn verify_refuses_plain_http_to_a_remote_host_before_asking_anything() {
    let sb = Sandbox::init();
    add_binance(&sb, "bot");
    let out = sb
        .cmd(&["verify", "bot"])
        .env("KEYSTEAD_BASE_URL_BINANCE", "http://192.0.2.10:8080")
        .run()
        .fails(2);
    assert!(
        out.stderr.contains("KEYSTEAD_BASE_URL_BINANCE"),
        "{}",
        out.describe()
    );
    assert!(out.stderr.contains("only over https"), "{}", out.describe());
    let actions: Vec<String> = sb
        .audit()
        .iter()
        .map(|e| e["action"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(!actions.contains(&"key_verified".to_string()));
}

#[test]
fn verify_of_an_exchange_without_an_endpoint_says_so() {
    let sb = Sandbox::init();
    sb.add(
        "g",
        "gate",
        &["--scopes", "account"],
        &json!({ "apiKey": "gk", "secret": "gs" }).to_string(),
    );
    let out = sb.cmd(&["verify", "g"]).run().fails(2);
    assert!(
        out.stderr.contains("Gate has no endpoint"),
        "{}",
        out.describe()
    );
}

#[test]
fn edit_puts_a_key_in_or_out_of_the_apps_scheduled_checks_and_show_says_which() {
    let sb = Sandbox::init();
    add_binance(&sb, "bot");
    let shown = |sb: &Sandbox| sb.run(&["show", "bot"]).ok().stdout;
    assert!(
        shown(&sb).contains("never checked; scheduled checks: as the app's setting says"),
        "{}",
        shown(&sb)
    );
    sb.run(&["edit", "bot", "--scheduled-check", "off"]).ok();
    assert!(shown(&sb).contains("scheduled checks: never"));
    assert_eq!(sb.key("bot")["scheduled_check"], json!(false));
    sb.run(&["edit", "bot", "--scheduled-check", "on"]).ok();
    assert_eq!(sb.key("bot")["scheduled_check"], json!(true));
    sb.run(&["edit", "bot", "--scheduled-check", "default"])
        .ok();
    assert!(sb.key("bot")["scheduled_check"].is_null());
    let edits: Vec<String> = sb
        .audit()
        .iter()
        .filter(|e| e["action"] == "key_edited")
        .map(|e| e["detail"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        edits,
        [
            "scheduled checks: as the app's setting says → never",
            "scheduled checks: never → always",
            "scheduled checks: always → as the app's setting says",
        ]
    );
    sb.cmd(&["edit", "bot", "--scheduled-check", "sometimes"])
        .run()
        .exits(2)
        .stderr_mentions("possible values: on, off, default");
    // A key on an exchange that cannot be asked: no line about checks.
    sb.add(
        "g",
        "gate",
        &["--scopes", "account"],
        &json!({ "apiKey": "gk", "secret": "gs" }).to_string(),
    );
    let out = sb.run(&["show", "g"]).ok().stdout;
    assert!(!out.contains("scheduled checks"), "{out}");
}
