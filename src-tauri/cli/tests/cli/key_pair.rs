//! `add --new-key-pair` and `public-key`: Keystead makes a Binance Ed25519 key pair, prints the public
//! key for the exchange's form, stores the API key pasted back; the exchange (a loopback fake) accepts
//! requests signed with it, and the private key needs the passphrase to leave.

use crate::common::*;

use crate::verify::fake_exchange::{self, Creds, Reply};
use ed25519_dalek::pkcs8::DecodePublicKey;
use serde_json::json;

const PEM_START: &str = "-----BEGIN PUBLIC KEY-----";
const PEM_END: &str = "-----END PUBLIC KEY-----";

/// The public key PEM block in `stdout`.
fn pem_in(stdout: &str) -> String {
    let start = stdout.find(PEM_START).expect("a public key is printed");
    let end = stdout.find(PEM_END).expect("the PEM block ends") + PEM_END.len();
    format!("{}\n", &stdout[start..end])
}

pub fn new_pair(sb: &Sandbox, name: &str) -> Out {
    sb.cmd(&[
        "add",
        "--name",
        name,
        "--exchange",
        "binance",
        "--scopes",
        "enable_reading,enable_spot_margin_trading",
        "--ip",
        "203.0.113.7",
        "--new-key-pair",
        "--secrets-stdin",
    ])
    .stdin(json!({ "apiKey": "binance-gave-this-key" }).to_string())
    .run()
    .ok()
}

#[test]
fn a_new_key_pair_prints_its_public_key_and_binance_accepts_its_signatures() {
    let sb = Sandbox::init();
    let out = new_pair(&sb, "ed-bot");
    let pem = pem_in(&out.stdout);
    assert!(
        out.stdout.contains("Added 'ed-bot' (Binance)."),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr
            .contains("Paste this public key into Binance's API key form"),
        "{}",
        out.describe()
    );
    assert!(!out.stdout.contains("PRIVATE KEY") && !out.stderr.contains("PRIVATE KEY"));

    // Shown again on demand, byte for byte.
    let again = sb.run(&["public-key", "ed-bot"]).ok();
    assert_eq!(again.stdout, pem);
    let show = sb.show("ed-bot");
    assert_eq!(
        show["versions"][0]["generated_key_pair"],
        json!(true),
        "{show}"
    );
    assert!(!show.to_string().contains("PRIVATE KEY"));

    let public = ed25519_dalek::VerifyingKey::from_public_key_pem(&pem).unwrap();
    let fake = fake_exchange::start(
        "binance",
        Creds {
            api_key: "binance-gave-this-key".into(),
            secret: String::new(),
            passphrase: String::new(),
            ed25519_public: Some(public.to_bytes()),
        },
        Reply::Json(
            200,
            r#"{"ipRestrict":true,"createTime":1767225600000,"enableReading":true,"enableWithdrawals":false,"enableInternalTransfer":false,"enableMargin":false,"enableFutures":false,"permitsUniversalTransfer":false,"enableVanillaOptions":false,"enableSpotAndMarginTrading":true}"#.into(),
        ),
        false,
    );
    let out = sb
        .cmd(&["verify", "ed-bot"])
        .env("KEYSTEAD_BASE_URL_BINANCE", &fake.base_url)
        .run()
        .exits(0);
    assert!(fake.seen()[0].signature_ok, "{:?}", fake.seen()[0].problem);
    assert!(
        out.stdout.contains("Binance agrees with the record"),
        "{}",
        out.describe()
    );

    // The private key leaves only with the passphrase given for this command (the CLI asks it).
    let private = sb.run(&["reveal", "ed-bot", "privateKey"]).ok().stdout;
    assert!(
        private.starts_with("-----BEGIN PRIVATE KEY-----\n"),
        "{private}"
    );
}

#[test]
fn new_key_pair_refusals_say_what_to_do_and_write_nothing() {
    let sb = Sandbox::init();
    sb.cmd(&[
        "add",
        "--name",
        "o",
        "--exchange",
        "okx",
        "--scopes",
        "read",
        "--new-key-pair",
        "--secrets-stdin",
    ])
    .stdin(json!({ "apiKey": "k" }).to_string())
    .run()
    .fails(2)
    .stderr_mentions("OKX takes no key pairs made by the user");
    sb.cmd(&[
        "add",
        "--name",
        "b",
        "--exchange",
        "binance",
        "--scopes",
        "read",
        "--new-key-pair",
        "--secrets-stdin",
    ])
    .stdin(json!({ "apiKey": "k", "privateKey": "mine" }).to_string())
    .run()
    .fails(2)
    .stderr_mentions("send only {\"apiKey\"");
    assert!(sb.list().is_empty());
    sb.add("h", "binance", &["--scopes", "read"], &binance_secrets());
    sb.run(&["public-key", "h"])
        .fails(2)
        .stderr_mentions("'h' is not a key pair");
}

#[test]
fn rotate_new_key_pair_prints_a_new_public_key_and_keeps_the_old_version() {
    let sb = Sandbox::init();
    let first = pem_in(&new_pair(&sb, "ed-bot").stdout);
    let out = sb
        .cmd(&[
            "rotate",
            "ed-bot",
            "--new-key-pair",
            "--secrets-stdin",
            "--reason",
            "scheduled",
        ])
        .stdin(json!({ "apiKey": "binance-gave-a-new-key" }).to_string())
        .run()
        .ok();
    let second = pem_in(&out.stdout);
    assert_ne!(first, second);
    assert!(
        out.stdout.contains("now at version 2"),
        "{}",
        out.describe()
    );
    assert_eq!(sb.run(&["public-key", "ed-bot"]).ok().stdout, second);
    assert_eq!(
        sb.reveal("ed-bot", "apiKey", &["--version", "1"]),
        "binance-gave-this-key"
    );
    assert_eq!(sb.reveal("ed-bot", "apiKey", &[]), "binance-gave-a-new-key");
    sb.add("h", "binance", &["--scopes", "read"], &binance_secrets());
    sb.cmd(&["rotate", "h", "--new-key-pair", "--secrets-stdin"])
        .stdin(json!({ "apiKey": "x", "secret": "y" }).to_string())
        .run()
        .fails(2)
        .stderr_mentions("send only {\"apiKey\"");
}
