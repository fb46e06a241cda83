//! Key pairs made inside Keystead (issue 16, "New key pair"): the public key is what Binance's form
//! takes and verifies what Keystead signs; the private key leaves the vault only with the passphrase
//! given again; a request signed with it is accepted by the loopback Binance.

mod common;
#[path = "common/fake_exchange.rs"]
mod fake_exchange;

use common::{audit_actions, key, secrets, Sandbox, PASS};
use ed25519_dalek::pkcs8::DecodePublicKey;
use fake_exchange::{Creds, Reply};
use keystead_core::exchange::keypair::{self, KeyPairKind};
use keystead_core::exchange::{check_base_url, CheckOptions, VerifyOutcome};
use keystead_core::{AuditAction, CredentialField, Error, ShareExport};
use secrecy::{ExposeSecret, SecretString};
use std::process::Command;
use CredentialField::{ApiKey, PrivateKey, Secret};

fn pass() -> SecretString {
    SecretString::from(PASS.to_string())
}

fn step_up_needed(e: &Error) {
    assert!(matches!(e, Error::StepUpRequired { .. }), "{e}");
}

#[test]
fn a_new_key_pair_is_stored_with_the_api_key_and_its_public_key_shown_again() {
    let s = Sandbox::new();
    let mut v = s.open();
    let pair = keypair::generate(KeyPairKind::Ed25519);
    let public = pair.public_key_pem.clone();
    let entry = v
        .add_key_pair(
            key(
                "ed-bot",
                "binance",
                &["enable_reading", "enable_spot_margin_trading"],
            ),
            SecretString::from("api-key-binance-gave".to_string()),
            pair,
        )
        .unwrap();
    assert_eq!(entry.versions[0].fields, vec![ApiKey, PrivateKey]);
    assert_eq!(entry.versions[0].generated_key_pair, Some(true));
    assert_eq!(v.public_key("ed-bot").unwrap(), public);
    let created = v
        .audit_log()
        .unwrap()
        .into_iter()
        .find(|r| r.event.action == AuditAction::KeyCreated)
        .unwrap();
    assert!(
        created
            .event
            .detail
            .unwrap()
            .ends_with("key pair made in Keystead"),
        "the audit says where the private key came from"
    );

    // The API key is an ordinary release; the private key needs the passphrase again, and the
    // refusal writes nothing.
    assert_eq!(
        v.reveal("ed-bot", ApiKey, None, None)
            .unwrap()
            .expose_secret(),
        "api-key-binance-gave"
    );
    let before = audit_actions(&v).len();
    step_up_needed(&v.reveal("ed-bot", PrivateKey, None, None).unwrap_err());
    step_up_needed(
        &v.secret_for_copy("ed-bot", PrivateKey, None, None)
            .unwrap_err(),
    );
    assert_eq!(audit_actions(&v).len(), before);
    let private = v.reveal("ed-bot", PrivateKey, None, Some(&pass())).unwrap();
    assert!(private
        .expose_secret()
        .starts_with("-----BEGIN PRIVATE KEY-----"));

    // A share export of it needs the passphrase again too.
    let request = |step_up: Option<SecretString>| ShareExport {
        keys: vec!["ed-bot".into()],
        passphrase: Some(SecretString::from("a share passphrase of my choosing")),
        scrypt_work_factor: Some(10),
        step_up,
        ..ShareExport::default()
    };
    step_up_needed(&v.share_export(&request(None)).unwrap_err());
    assert!(!v
        .share_export(&request(Some(pass())))
        .unwrap()
        .bytes
        .is_empty());

    // `run` hands the private key to a program: the same rule, and the refusal writes nothing.
    let run = |step_up: Option<&SecretString>, v: &mut keystead_core::Vault| {
        v.release_for_run(
            &keystead_core::RunRequest {
                keys: vec!["ed-bot".into()],
                profile: "ccxt".into(),
                program: "/usr/bin/python3".into(),
                allow_expired: false,
            },
            step_up,
        )
    };
    let before = audit_actions(&v).len();
    let e = run(None, &mut v).unwrap_err();
    step_up_needed(&e);
    assert!(
        e.to_string()
            .contains("holds a private key made in Keystead"),
        "{e}"
    );
    assert_eq!(audit_actions(&v).len(), before);
    assert_eq!(run(Some(&pass()), &mut v).unwrap().len(), 1);

    // The mark survives closing and opening the vault.
    drop(v);
    let mut v = s.open();
    step_up_needed(&v.reveal("ed-bot", PrivateKey, None, None).unwrap_err());
}

#[test]
fn an_ed25519_key_needs_no_secret_but_an_hmac_key_still_does() {
    let s = Sandbox::new();
    let mut v = s.open();
    let pair = keypair::generate(KeyPairKind::Ed25519);
    // A key pair made elsewhere (Binance's own generator) and pasted: API key and private key.
    v.add(
        key("pasted", "binance", &["read"]),
        secrets(&[
            (ApiKey, "pasted-api-key"),
            (PrivateKey, pair.private_key_pem.expose_secret()),
        ]),
    )
    .unwrap();
    // Pasted, so not marked: the private key is released like any secret of a read key.
    assert!(v.reveal("pasted", PrivateKey, None, None).is_ok());
    let e = v
        .add(
            key("hmac", "binance", &["read"]),
            secrets(&[(ApiKey, "only-the-api-key")]),
        )
        .unwrap_err();
    assert!(e.to_string().contains("secret"), "{e}");
}

#[test]
fn exchanges_without_key_pairs_and_empty_api_keys_are_refused() {
    let s = Sandbox::new();
    let mut v = s.open();
    let e = v
        .add_key_pair(
            key("o", "okx", &["read"]),
            SecretString::from("k".to_string()),
            keypair::generate(KeyPairKind::Ed25519),
        )
        .unwrap_err();
    assert!(e.to_string().contains("OKX takes no key pairs"), "{e}");
    let e = v
        .add_key_pair(
            key("b", "binance", &["read"]),
            SecretString::from("  ".to_string()),
            keypair::generate(KeyPairKind::Ed25519),
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("paste the API key Binance shows"),
        "{e}"
    );
    assert!(v.list().unwrap().is_empty(), "nothing half-written");
    v.add(
        key("h", "binance", &["read"]),
        secrets(&[(ApiKey, "a"), (Secret, "s")]),
    )
    .unwrap();
    let e = v.public_key("h").unwrap_err();
    assert!(e.to_string().contains("is not a key pair"), "{e}");
}

#[test]
fn binance_accepts_requests_signed_with_a_generated_pair() {
    let s = Sandbox::new();
    let mut v = s.open();
    let pair = keypair::generate(KeyPairKind::Ed25519);
    let public = ed25519_dalek::VerifyingKey::from_public_key_pem(&pair.public_key_pem).unwrap();
    let mut k = key(
        "ed",
        "binance",
        &["enable_reading", "enable_spot_margin_trading"],
    );
    k.ip_allowlist = vec!["203.0.113.7".into()];
    v.add_key_pair(k, SecretString::from("ed-key".to_string()), pair)
        .unwrap();
    let fake = fake_exchange::start(
        "binance",
        Creds {
            api_key: "ed-key".into(),
            secret: String::new(),
            passphrase: String::new(),
            ed25519_public: Some(public.to_bytes()),
        },
        Reply::Json(
            200,
            r#"{"ipRestrict":true,"createTime":1767225600000,"enableReading":true,"enableWithdrawals":false,"enableInternalTransfer":false,"enableMargin":false,"enableFutures":false,"permitsUniversalTransfer":false,"enableVanillaOptions":false,"enableFixApiTrade":false,"enableFixReadOnly":false,"enableSpotAndMarginTrading":true,"enablePortfolioMarginTrading":false}"#.into(),
        ),
        false,
    );
    let mut o = CheckOptions::default();
    o.base_urls
        .insert("binance".into(), check_base_url(&fake.base_url).unwrap());
    if let Some(ca) = &fake.ca_der {
        o.extra_roots.push(ca.clone());
    }
    let got = v.verify_key("ed", &o).unwrap();
    assert!(fake.seen()[0].signature_ok, "{:?}", fake.seen()[0].problem);
    assert_eq!(got.verification.outcome, VerifyOutcome::Agrees);
}

/// Outside tools read the public key as the exchange would: `openssl pkey -pubin` parses it, and
/// Python's `cryptography` verifies a signature Keystead made. Skipped when a tool is missing, unless
/// KEYSTEAD_REQUIRE_AGE is set (CI sets it and installs openssl and python3-cryptography).
#[test]
fn openssl_and_python_cryptography_take_the_public_key() {
    let required = std::env::var_os("KEYSTEAD_REQUIRE_AGE").is_some();
    let pair = keypair::generate(KeyPairKind::Ed25519);
    let dir = tempfile::tempdir().unwrap();
    let pem_path = dir.path().join("public.pem");
    std::fs::write(&pem_path, &pair.public_key_pem).unwrap();

    match Command::new("openssl")
        .args(["pkey", "-pubin", "-noout", "-text", "-in"])
        .arg(&pem_path)
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("ED25519 Public-Key"), "{text}");
        }
        Err(e) => assert!(!required, "openssl is not installed: {e}"),
    }

    let message = "recvWindow=5000&timestamp=1767225600000";
    let signature = keystead_core::exchange::sign::binance_ed25519(
        pair.private_key_pem.expose_secret(),
        message,
    )
    .unwrap();
    let script = "import sys, base64\n\
from cryptography.hazmat.primitives.serialization import load_pem_public_key\n\
key = load_pem_public_key(open(sys.argv[1], 'rb').read())\n\
key.verify(base64.b64decode(sys.argv[2]), sys.argv[3].encode())\n\
print('verified')\n";
    let run = |sig: &str| {
        Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&pem_path)
            .arg(sig)
            .arg(message)
            .output()
    };
    match run(&signature) {
        Ok(out) if out.status.success() => {
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "verified");
            // The check can fail: another pair's signature does not verify.
            let other = keypair::generate(KeyPairKind::Ed25519);
            let wrong = keystead_core::exchange::sign::binance_ed25519(
                other.private_key_pem.expose_secret(),
                message,
            )
            .unwrap();
            let out = run(&wrong).unwrap();
            assert!(!out.status.success(), "a foreign signature verified");
        }
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                !required && err.contains("No module named"),
                "python3 cryptography refused Keystead's signature: {err}"
            );
        }
        Err(e) => assert!(!required, "python3 is not installed: {e}"),
    }
}

#[test]
fn rotating_to_a_new_key_pair_marks_the_new_version_and_keeps_the_old_one_guarded() {
    let s = Sandbox::new();
    let mut v = s.open();
    let first = keypair::generate(KeyPairKind::Ed25519);
    let first_public = first.public_key_pem.clone();
    v.add_key_pair(
        key("ed", "binance", &["read"]),
        SecretString::from("first-api-key".to_string()),
        first,
    )
    .unwrap();
    let second = keypair::generate(KeyPairKind::Ed25519);
    let second_public = second.public_key_pem.clone();
    let rotated = v
        .rotate_key_pair(
            "ed",
            SecretString::from("second-api-key".to_string()),
            second,
            Some("scheduled".into()),
        )
        .unwrap();
    assert_eq!(rotated.versions.len(), 2);
    assert_eq!(rotated.versions[1].fields, vec![ApiKey, PrivateKey]);
    assert_eq!(rotated.versions[1].generated_key_pair, Some(true));
    assert_eq!(v.public_key("ed").unwrap(), second_public);
    assert_ne!(second_public, first_public);
    let rotation = v
        .audit_log()
        .unwrap()
        .into_iter()
        .rev()
        .find(|r| r.event.action == AuditAction::KeyRotated)
        .unwrap();
    assert!(rotation
        .event
        .detail
        .unwrap()
        .ends_with("key pair made in Keystead"));
    // The retired private key is as guarded as the current one.
    step_up_needed(&v.reveal("ed", PrivateKey, Some(1), None).unwrap_err());
    step_up_needed(&v.reveal("ed", PrivateKey, Some(2), None).unwrap_err());
    assert_eq!(
        v.reveal("ed", ApiKey, Some(1), None)
            .unwrap()
            .expose_secret(),
        "first-api-key"
    );

    // Rotated to an ordinary HMAC key: the new version is not marked, the old ones stay so.
    v.rotate(
        "ed",
        secrets(&[(ApiKey, "hmac-api-key"), (Secret, "hmac-secret")]),
        None,
    )
    .unwrap();
    assert!(v.reveal("ed", Secret, None, None).is_ok());
    step_up_needed(&v.reveal("ed", PrivateKey, Some(2), None).unwrap_err());
    let e = v.public_key("ed").unwrap_err();
    assert!(e.to_string().contains("is not a key pair"), "{e}");
}
