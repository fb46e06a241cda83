//! Hostile share files: every single changed byte, and two hundred malformed or hostile documents, are
//! refused with a message and change nothing.

use keystead_core::share;
use keystead_core::{OpenedShare, ShareExport};
use serde_json::{json, Value};

mod common;

use common::desk::{age_encrypt, alice_and_bob, doc, entry, signed_document, with, without};

// ---------------------------------------------------------------------------------------------------------
// Hostile files
// ---------------------------------------------------------------------------------------------------------

#[test]
fn any_single_changed_byte_in_a_share_file_is_refused_and_changes_nothing() {
    let (mut a, mut b) = alice_and_bob();
    a.add("k", "binance", &["read"], "k");
    let binary = a.export(&["k"], &["bob"]);
    let armored = a
        .vault
        .share_export(&ShareExport {
            keys: vec!["k".into()],
            to: vec!["bob".into()],
            armor: true,
            ..ShareExport::default()
        })
        .unwrap()
        .bytes;
    assert!(armored.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
    let identity = b.vault.sharing_identity().unwrap();
    assert!(share::open(&binary, Some(&identity), None).is_ok());
    assert!(share::open(&armored, Some(&identity), None).is_ok());
    let before = b.snapshot();

    let mut tried = 0;
    for (file, step) in [(&binary, 1), (&armored, 5)] {
        for at in (0..file.len()).step_by(step) {
            for flip in [0x01u8, 0x80] {
                let mut bad = file.clone();
                bad[at] ^= flip;
                match share::open(&bad, Some(&identity), None) {
                    Ok(_) => panic!("a file with byte {at} changed (^{flip:#04x}) was accepted"),
                    Err(e) => assert!(!e.to_string().is_empty()),
                }
                tried += 1;
            }
        }
    }
    assert!(tried > 2 * binary.len());
    assert_eq!(b.snapshot(), before);
}

#[test]
fn two_hundred_malformed_or_hostile_files_are_each_refused_with_a_message_and_change_nothing() {
    let (mut a, mut b) = alice_and_bob();
    a.add("k", "binance", &["read"], "k");
    let me = b.vault.sharing_key().unwrap().age_recipient;
    let signed = signed_document(&mut a, &["bob"]);
    let good_file = a.export(&["k"], &["bob"]);
    // The unsigned hand-written document imports (it is the baseline every variant breaks).
    let baseline = age_encrypt(doc(json!([entry()])).to_string().as_bytes(), &me);
    assert!(b.vault.share_open(&baseline, None).is_ok());
    assert!(b
        .vault
        .share_open(&age_encrypt(signed.as_bytes(), &me), None)
        .is_ok());

    let mut plaintexts: Vec<(String, Vec<u8>)> = Vec::new();
    let mut push = |what: String, bytes: Vec<u8>| plaintexts.push((what, bytes));
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();

    // Truncated documents and truncated files.
    for cut in (0..signed.len()).step_by(signed.len() / 40 + 1) {
        push(
            format!("document cut at {cut}"),
            signed.as_bytes()[..cut].to_vec(),
        );
    }
    for cut in (0..good_file.len()).step_by(good_file.len() / 30 + 1) {
        files.push((format!("file cut at {cut}"), good_file[..cut].to_vec()));
    }
    // Envelope: format and version.
    for v in [
        json!(0),
        json!(2),
        json!(999),
        json!(-1),
        json!("1"),
        json!(1.5),
        json!(null),
    ] {
        let mut d = doc(json!([entry()]));
        d["version"] = v.clone();
        push(format!("version {v}"), d.to_string().into_bytes());
    }
    for f in [
        json!("keystead-sharing"),
        json!(""),
        json!("KEYSTEAD-SHARE"),
        json!(1),
        json!(null),
    ] {
        let mut d = doc(json!([entry()]));
        d["format"] = f.clone();
        push(format!("format {f}"), d.to_string().into_bytes());
    }
    for top in [
        "[]",
        "1",
        "\"x\"",
        "null",
        "true",
        "",
        "{}",
        "{\"format\":\"keystead-share\"}",
    ] {
        push(format!("top level {top}"), top.as_bytes().to_vec());
    }
    let mut extra = doc(json!([entry()]));
    extra["payload"]["surprise"] = json!(1);
    push(
        "unknown payload field".into(),
        extra.to_string().into_bytes(),
    );
    push("no entries".into(), doc(json!([])).to_string().into_bytes());
    push(
        "entries not a list".into(),
        doc(json!({"a": 1})).to_string().into_bytes(),
    );
    // Entry fields: missing, wrong type, invalid.
    for f in ["name", "exchange", "secrets"] {
        push(format!("no {f}"), without(f).to_string().into_bytes());
    }
    for f in [
        "id",
        "name",
        "exchange",
        "account",
        "environment",
        "scopes",
        "exchange_scopes",
        "ip_allowlist",
        "expires_at",
        "rotation_days",
        "tags",
        "notes",
        "secrets",
    ] {
        let scalar = if f == "rotation_days" {
            json!("12")
        } else {
            json!(12)
        };
        for v in [scalar, json!([1]), json!({"x": 1}), json!(true)] {
            push(format!("{f} = {v}"), with(f, v).to_string().into_bytes());
        }
    }
    for (f, v) in [
        ("exchange", json!("mtgox")),
        ("scopes", json!(["read", "teleport"])),
        ("ip_allowlist", json!(["300.1.1.1"])),
        ("expires_at", json!("tomorrow")),
        ("rotation_days", json!(0)),
        ("rotation_days", json!(-3)),
        ("environment", json!("moon")),
        ("name", json!("")),
        ("name", json!("a\u{7}b")),
        ("name", json!("x".repeat(129))),
        ("notes", json!("n".repeat(10_001))),
        ("account", json!("a".repeat(501))),
        ("tags", json!(["t".repeat(65)])),
        ("tags", json!(vec!["t"; 300])),
        ("id", json!("not-a-uuid")),
        ("secrets", json!({})),
        ("secrets", json!({"apiKey": "AK"})),
        (
            "secrets",
            json!({"apiKey": "AK", "secret": "SK", "pin": "1"}),
        ),
        (
            "secrets",
            json!({"apiKey": "AK", "secret": "SK", "password": "P"}),
        ),
        (
            "secrets",
            json!({"apiKey": "A".repeat(17_000), "secret": "SK"}),
        ),
        (
            "secrets",
            json!({"apiKey": "AK", "APIKEY": "AK2", "secret": "SK"}),
        ),
        ("surprise", json!("field")),
    ] {
        push(
            format!("{f} = {v:.40}"),
            with(f, v).to_string().into_bytes(),
        );
    }
    let mut okx = entry();
    okx["exchange"] = json!("okx");
    push(
        "okx without password".into(),
        doc(json!([okx])).to_string().into_bytes(),
    );
    // Sizes and counts.
    push(
        "a 70 KiB string".into(),
        with("notes", json!("n".repeat(70 * 1024)))
            .to_string()
            .into_bytes(),
    );
    for n in [1001usize, 10_000] {
        let many: Vec<Value> = (0..n)
            .map(|i| {
                let mut e = entry();
                e["name"] = json!(format!("k{i}"));
                e
            })
            .collect();
        push(
            format!("{n} entries"),
            doc(Value::Array(many)).to_string().into_bytes(),
        );
    }
    // Nesting, in the entry and at the top.
    for depth in [17usize, 20, 64, 1000, 100_000] {
        let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let text = with("notes", json!("PLACEHOLDER"))
            .to_string()
            .replace("\"PLACEHOLDER\"", &deep);
        push(format!("nested {depth} deep in notes"), text.into_bytes());
        push(
            format!("nested {depth} deep"),
            "[".repeat(depth).into_bytes(),
        );
    }
    // Duplicates within one file.
    let id = "0190a0b0-0000-7000-8000-000000000001";
    let (mut e1, mut e2) = (entry(), entry());
    e1["id"] = json!(id);
    e2["id"] = json!(id);
    e2["name"] = json!("other");
    push(
        "duplicate ids".into(),
        doc(json!([e1, e2])).to_string().into_bytes(),
    );
    let mut e3 = entry();
    e3["name"] = json!("HAND");
    push(
        "duplicate names".into(),
        doc(json!([entry(), e3])).to_string().into_bytes(),
    );
    // Invalid UTF-8 at several places.
    let good = doc(json!([entry()])).to_string().into_bytes();
    for at in (0..good.len()).step_by(good.len() / 10 + 1) {
        let mut bad = good.clone();
        bad.insert(at, 0xff);
        push(format!("0xff at {at}"), bad);
    }
    // Signatures: payload changed after signing, forged or mismatched keys, malformed blocks.
    let tamper = |from: &str, to: &str| -> Vec<u8> {
        assert!(signed.contains(from), "{from} not in the signed document");
        signed.replacen(from, to, 1).into_bytes()
    };
    push(
        "payload edited after signing".into(),
        tamper("\"name\":\"k\"", "\"name\":\"j\""),
    );
    push(
        "secret edited after signing".into(),
        tamper("k-secret-value", "k-secret-valuf"),
    );
    push(
        "notes edited after signing".into(),
        tamper("\"notes\":\"k notes\"", "\"notes\":\"k notez\""),
    );
    push(
        "alg changed".into(),
        tamper("\"alg\":\"ed25519\"", "\"alg\":\"rsa\""),
    );
    let sig: Value = serde_json::from_str::<Value>(&signed).unwrap()["signature"].clone();
    let value = sig["value"].as_str().unwrap().to_string();
    let public = sig["public_key"].as_str().unwrap().to_string();
    let mut flipped = value.clone().into_bytes();
    flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
    push(
        "signature value changed".into(),
        tamper(&value, std::str::from_utf8(&flipped).unwrap()),
    );
    push("signature too short".into(), tamper(&value, &value[..40]));
    push("signature not base64".into(), tamper(&value, "!!!!"));
    let stranger = {
        use base64::Engine as _;
        let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]).verifying_key();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.to_bytes())
    };
    push("signed by another key".into(), tamper(&public, &stranger));
    push("public key garbage".into(), tamper(&public, "AAAA"));
    let mut unsigned_claim: Value = serde_json::from_str(&signed).unwrap();
    unsigned_claim["signature"]["value"] = json!(null);
    push(
        "signature value null".into(),
        unsigned_claim.to_string().into_bytes(),
    );
    let mut no_sender: Value = serde_json::from_str(&signed).unwrap();
    no_sender["payload"]["exported_by"]["sharing_key"] = json!("age1zzz");
    push(
        "sender key invalid".into(),
        no_sender.to_string().into_bytes(),
    );

    for (what, plain) in plaintexts {
        files.push((what, age_encrypt(&plain, &me)));
    }
    // Wrong recipients, passphrase files without a passphrase, garbage and size.
    for i in 0..5 {
        let other = age::x25519::Identity::generate().to_public().to_string();
        files.push((
            format!("for someone else {i}"),
            age_encrypt(signed.as_bytes(), &other),
        ));
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for i in 0..20 {
        let len = 1 + (i * 37) % 400;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        files.push((format!("random bytes {i}"), bytes));
    }
    files.push((
        "age header only".into(),
        b"age-encryption.org/v1\n".to_vec(),
    ));
    files.push((
        "armor header only".into(),
        b"-----BEGIN AGE ENCRYPTED FILE-----\n".to_vec(),
    ));
    files.push(("too large".into(), vec![0u8; share::MAX_FILE_BYTES + 1]));

    assert!(files.len() >= 200, "only {} hostile files", files.len());
    let before = b.snapshot();
    let audit_before = b.vault.audit_log().unwrap().len();
    let started = std::time::Instant::now();
    for (what, file) in &files {
        // The whole import path: open, and (if it ever opened) preview and apply.
        let result = b
            .vault
            .share_open(file, None)
            .and_then(|opened: OpenedShare| {
                let p = b.vault.share_preview(&opened)?;
                b.vault.share_apply(&opened, &p.default_choices())
            });
        match result {
            Ok(_) => panic!("hostile file accepted: {what}"),
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.len() > 20, "{what}: unclear error {msg:?}");
                assert!(!msg.contains("k-secret-value"), "{what}: {msg}");
            }
        }
    }
    assert_eq!(b.snapshot(), before);
    assert_eq!(b.vault.audit_log().unwrap().len(), audit_before);
    eprintln!(
        "{} hostile files refused in {:?}",
        files.len(),
        started.elapsed()
    );
}
