//! Secrets full of what JSON escapes (PEM newlines, quotes, backslashes, control characters, text
//! outside ASCII) come back from the vault file byte for byte, current and older versions alike, now
//! that the sealed JSON is written sized once and read without serde_json's scratch buffer.

use keystead_core::CredentialField::{ApiKey, PrivateKey, Secret};
use keystead_core::{CredentialField, SecretFields};
use secrecy::{ExposeSecret, SecretString};

mod common;

use common::{key, Sandbox};

fn awkward(version: u32, field: CredentialField) -> String {
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
        "MC4CAQAwBQYDK2VwBCIEI/+abc".repeat(40)
    );
    format!("v{version} {field} \"quoted\" back\\slash tab\t bell\u{7} é€😀 {pem}")
}

fn secrets(version: u32) -> SecretFields {
    let mut s = SecretFields::new();
    for f in [ApiKey, Secret, PrivateKey] {
        s.insert(f, SecretString::from(awkward(version, f)));
    }
    s
}

#[test]
fn escaped_secrets_of_every_version_come_back_byte_for_byte_after_reopening() {
    let sandbox = Sandbox::new();
    let mut vault = sandbox.open();
    vault
        .add(key("pem-key", "binance", &["read"]), secrets(1))
        .unwrap();
    for v in 2..=4 {
        vault
            .rotate("pem-key", secrets(v), Some("scheduled".into()))
            .unwrap();
    }
    drop(vault);
    let mut vault = sandbox.open();
    for v in 1..=4 {
        for f in [ApiKey, Secret, PrivateKey] {
            let got = vault.reveal("pem-key", f, Some(v), None).unwrap();
            assert_eq!(got.expose_secret(), awkward(v, f), "version {v} {f}");
        }
    }
    let current = vault.reveal("pem-key", PrivateKey, None, None).unwrap();
    assert_eq!(current.expose_secret(), awkward(4, PrivateKey));
}
