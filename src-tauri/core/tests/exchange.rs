//! Checking keys on their exchanges (issue 16) against loopback fakes that verify every signature the
//! way the exchange documents it (tests/common/fake_exchange.rs).

mod common;
#[path = "common/fake_exchange.rs"]
mod fake_exchange;

use common::{audit_actions, key, secrets, Sandbox, PASS};
use fake_exchange::{Creds, Fake, Reply};
use keystead_core::exchange::{check_base_url, CheckOptions, KeyVerification, VerifyOutcome};
use keystead_core::{AuditAction, CredentialField, NewKey, Scope, Vault};
use secrecy::SecretString;
use std::time::Duration;
use CredentialField::{ApiKey, Password, PrivateKey, Secret};

const BINANCE_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const KRAKEN_SECRET: &str =
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";

fn creds(api_key: &str, secret: &str, passphrase: &str) -> Creds {
    Creds {
        api_key: api_key.into(),
        secret: secret.into(),
        passphrase: passphrase.into(),
        ed25519_public: None,
    }
}

fn options(exchange: &str, fake: &Fake) -> CheckOptions {
    let mut o = CheckOptions::default();
    o.base_urls
        .insert(exchange.into(), check_base_url(&fake.base_url).unwrap());
    if let Some(ca) = &fake.ca_der {
        o.extra_roots.push(ca.clone());
    }
    o
}

fn add(v: &mut Vault, new: NewKey, fields: &[(CredentialField, &str)]) {
    v.add(new, secrets(fields)).unwrap();
}

fn with_ips(mut k: NewKey, ips: &[&str]) -> NewKey {
    k.ip_allowlist = ips.iter().map(|s| s.to_string()).collect();
    k
}

fn binance_answer(withdrawals: bool, ip_restrict: bool) -> Reply {
    Reply::Json(
        200,
        format!(
            r#"{{"ipRestrict":{ip_restrict},"createTime":1767225600000,"enableReading":true,"enableWithdrawals":{withdrawals},"enableInternalTransfer":false,"enableMargin":false,"enableFutures":false,"permitsUniversalTransfer":false,"enableVanillaOptions":false,"enableFixApiTrade":false,"enableFixReadOnly":false,"enableSpotAndMarginTrading":true,"enablePortfolioMarginTrading":false}}"#
        ),
    )
}

fn last_detail(v: &Vault, action: AuditAction) -> String {
    v.audit_log()
        .unwrap()
        .into_iter()
        .rev()
        .find(|r| r.event.action == action)
        .and_then(|r| r.event.detail)
        .unwrap_or_default()
}

fn verify(v: &mut Vault, name: &str, o: &CheckOptions) -> KeyVerification {
    v.verify_key(name, o).unwrap()
}

#[test]
fn binance_over_tls_with_a_test_ca_agrees_with_the_record() {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        with_ips(
            key(
                "bot",
                "binance",
                &["enable_reading", "enable_spot_margin_trading"],
            ),
            &["203.0.113.7"],
        ),
        &[(ApiKey, "binance-key"), (Secret, BINANCE_SECRET)],
    );
    let fake = fake_exchange::start(
        "binance",
        creds("binance-key", BINANCE_SECRET, ""),
        binance_answer(false, true),
        true,
    );
    let got = verify(&mut v, "bot", &options("binance", &fake));
    assert_eq!(
        got.verification.outcome,
        VerifyOutcome::Agrees,
        "{:?}",
        got.verification
    );
    assert!(got.verification.drift.is_empty());
    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].signature_ok, "{:?}", seen[0].problem);
    let report = got.verification.report.unwrap();
    assert_eq!(report.ip_restricted, Some(true));
    assert_eq!(
        report.scopes.unwrap(),
        vec![Scope::Read, Scope::Trade, Scope::Margin]
    );
    assert_eq!(
        report.created_at.unwrap().to_rfc3339(),
        "2026-01-01T00:00:00+00:00"
    );
    // Audited, and kept in the sealed record across a reopen.
    assert_eq!(
        last_detail(&v, AuditAction::KeyVerified),
        "outcome: agrees, differences: 0"
    );
    // A request the exchange answered is a use of the key: "last used" says so.
    let used = v.find("bot").unwrap();
    assert_eq!(used.last_used_at, Some(s.now()));
    assert_eq!(
        used.last_use.map(|u| u.how),
        Some(keystead_core::KeyUseKind::Verified)
    );
    drop(v);
    let v = s.open();
    let stored = v.find("bot").unwrap().last_verification.unwrap();
    assert_eq!(stored.outcome, VerifyOutcome::Agrees);
}

#[test]
fn tls_without_the_test_ca_is_refused() {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        key("bot", "binance", &["read"]),
        &[(ApiKey, "k"), (Secret, BINANCE_SECRET)],
    );
    let fake = fake_exchange::start(
        "binance",
        creds("k", BINANCE_SECRET, ""),
        binance_answer(false, true),
        true,
    );
    let mut o = options("binance", &fake);
    o.extra_roots.clear();
    let got = verify(&mut v, "bot", &o);
    assert_eq!(got.verification.outcome, VerifyOutcome::Failed);
    let err = got.verification.error.unwrap();
    assert!(err.contains("TLS"), "{err}");
    assert_eq!(
        v.find("bot").unwrap().last_used_at,
        None,
        "no answer, no use"
    );
    assert!(
        fake.seen().is_empty(),
        "no request reached a server Keystead does not trust"
    );
}

#[test]
fn binance_withdrawals_enabled_is_drift_and_accepting_takes_the_exchanges_view() {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        with_ips(
            key(
                "bot",
                "binance",
                &["enable_reading", "enable_spot_margin_trading"],
            ),
            &["203.0.113.7"],
        ),
        &[(ApiKey, "binance-key"), (Secret, BINANCE_SECRET)],
    );
    let fake = fake_exchange::start(
        "binance",
        creds("binance-key", BINANCE_SECRET, ""),
        binance_answer(true, true),
        false,
    );
    let o = options("binance", &fake);
    let got = verify(&mut v, "bot", &o);
    assert_eq!(got.verification.outcome, VerifyOutcome::Drift);
    assert_eq!(
        got.verification.drift,
        vec!["withdrawals are enabled on Binance but not recorded here".to_string()]
    );
    assert_eq!(
        last_detail(&v, AuditAction::KeyVerified),
        "outcome: drift, differences: 1"
    );
    let entry = v.accept_exchange_view("bot", None).unwrap();
    assert!(entry.scopes.contains(&Scope::Withdraw));
    assert!(entry
        .exchange_scopes
        .contains(&"enable_withdrawals".to_string()));
    assert_eq!(
        entry.ip_allowlist,
        vec!["203.0.113.7".to_string()],
        "Binance does not list IPs: kept"
    );
    assert!(last_detail(&v, AuditAction::KeyEdited).contains("scopes:"));
    let again = verify(&mut v, "bot", &o);
    assert_eq!(
        again.verification.outcome,
        VerifyOutcome::Agrees,
        "{:?}",
        again.verification.drift
    );
}

#[test]
fn accepting_a_view_without_withdrawals_needs_the_passphrase_again() {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        with_ips(
            key(
                "bot",
                "binance",
                &[
                    "enable_reading",
                    "enable_spot_margin_trading",
                    "enable_withdrawals",
                ],
            ),
            &["203.0.113.7"],
        ),
        &[(ApiKey, "binance-key"), (Secret, BINANCE_SECRET)],
    );
    let fake = fake_exchange::start(
        "binance",
        creds("binance-key", BINANCE_SECRET, ""),
        binance_answer(false, true),
        false,
    );
    let got = verify(&mut v, "bot", &options("binance", &fake));
    assert_eq!(
        got.verification.drift,
        vec!["withdrawals are recorded here but not enabled on Binance".to_string()]
    );
    assert!(matches!(
        v.accept_exchange_view("bot", None),
        Err(keystead_core::Error::StepUpRequired { .. })
    ));
    let entry = v
        .accept_exchange_view("bot", Some(&SecretString::from(PASS)))
        .unwrap();
    assert!(!entry.scopes.contains(&Scope::Withdraw));
}

#[test]
fn binance_ed25519_keys_are_signed_with_the_private_key() {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    let signing = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let pem = signing.to_pkcs8_pem(Default::default()).unwrap();
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        with_ips(
            key(
                "ed",
                "binance",
                &["enable_reading", "enable_spot_margin_trading"],
            ),
            &["203.0.113.7"],
        ),
        &[
            (ApiKey, "ed-key"),
            (Secret, "unused-hmac"),
            (PrivateKey, pem.as_str()),
        ],
    );
    let mut c = creds("ed-key", "", "");
    c.ed25519_public = Some(signing.verifying_key().to_bytes());
    let fake = fake_exchange::start("binance", c, binance_answer(false, true), false);
    let got = verify(&mut v, "ed", &options("binance", &fake));
    assert!(fake.seen()[0].signature_ok, "{:?}", fake.seen()[0].problem);
    assert_eq!(got.verification.outcome, VerifyOutcome::Agrees);
}

#[test]
fn a_bad_signature_from_our_side_is_refused_by_the_fake() {
    // The vault holds another secret than the exchange knows: the fake's check must catch it.
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        key("bot", "binance", &["read"]),
        &[(ApiKey, "binance-key"), (Secret, "not-the-secret")],
    );
    let fake = fake_exchange::start(
        "binance",
        creds("binance-key", BINANCE_SECRET, ""),
        binance_answer(false, true),
        false,
    );
    let got = verify(&mut v, "bot", &options("binance", &fake));
    assert!(!fake.seen()[0].signature_ok);
    assert_eq!(got.verification.outcome, VerifyOutcome::Rejected);
    assert_eq!(
        got.verification.drift,
        vec!["the exchange rejected this key: deleted or wrong secret (Binance says: Signature for this request is not valid. (code -1022))".to_string()]
    );
}

#[test]
fn okx_without_an_ip_restriction_names_the_removed_allowlist() {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        with_ips(
            key("okx", "okx", &["okx_read", "okx_trade"]),
            &["198.51.100.4"],
        ),
        &[
            (ApiKey, "okx-key"),
            (Secret, "okx-secret"),
            (Password, "okx-pass"),
        ],
    );
    let answer = r#"{"code":"0","msg":"","data":[{"acctLv":"2","uid":"44705892343619584","label":"bot","ip":"","perm":"read_only,trade","mainUid":"44705892343619584"}]}"#;
    let fake = fake_exchange::start(
        "okx",
        creds("okx-key", "okx-secret", "okx-pass"),
        Reply::Json(200, answer.into()),
        false,
    );
    let got = verify(&mut v, "okx", &options("okx", &fake));
    assert!(fake.seen()[0].signature_ok, "{:?}", fake.seen()[0].problem);
    assert_eq!(
        got.verification.drift,
        vec!["IP allowlist removed: OKX accepts this key from any address (recorded here: 198.51.100.4)".to_string()]
    );
    let entry = v.accept_exchange_view("okx", None).unwrap();
    assert!(entry.ip_allowlist.is_empty());
}

#[test]
fn okx_wrong_passphrase_is_caught_by_the_fake() {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        key("okx", "okx", &["okx_read"]),
        &[
            (ApiKey, "okx-key"),
            (Secret, "okx-secret"),
            (Password, "wrong"),
        ],
    );
    let fake = fake_exchange::start(
        "okx",
        creds("okx-key", "okx-secret", "okx-pass"),
        Reply::Json(200, "{}".into()),
        false,
    );
    let got = verify(&mut v, "okx", &options("okx", &fake));
    assert!(!fake.seen()[0].signature_ok);
    assert_eq!(got.verification.outcome, VerifyOutcome::Rejected);
}

#[test]
fn bybit_expiring_key_names_the_date() {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        key("by", "bybit", &["read_only", "spot_trade"]),
        &[(ApiKey, "bybit-key"), (Secret, "bybit-secret")],
    );
    let answer = r#"{"retCode":0,"retMsg":"","result":{"id":"13770661","note":"bot","apiKey":"bybit-key","readOnly":0,"secret":"","permissions":{"ContractTrade":[],"Spot":["SpotTrade"],"Wallet":[],"Options":[],"Derivatives":[],"CopyTrading":[],"BlockTrade":[],"Exchange":[],"NFT":[]},"ips":["*"],"type":1,"deadlineDay":50,"expiredAt":"2026-03-01T07:20:25Z","createdAt":"2026-01-01T02:24:40Z","uta":1,"userID":24617703},"retExtInfo":{},"time":1697525990798}"#;
    let fake = fake_exchange::start(
        "bybit",
        creds("bybit-key", "bybit-secret", ""),
        Reply::Json(200, answer.into()),
        false,
    );
    let got = verify(&mut v, "by", &options("bybit", &fake));
    assert!(fake.seen()[0].signature_ok, "{:?}", fake.seen()[0].problem);
    assert_eq!(
        got.verification.drift,
        vec!["the exchange says this key expires on 2026-03-01 (recorded here: never)".to_string()]
    );
    let entry = v.accept_exchange_view("by", None).unwrap();
    assert_eq!(
        entry.expires_at.unwrap().format("%Y-%m-%d").to_string(),
        "2026-03-01"
    );
}

#[test]
fn kucoin_invalid_key_is_rejected() {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        key("ku", "kucoin", &["general"]),
        &[
            (ApiKey, "ku-key"),
            (Secret, "ku-secret"),
            (Password, "ku-pass"),
        ],
    );
    let answer = r#"{"code":"400003","msg":"KC-API-KEY not exists"}"#;
    let fake = fake_exchange::start(
        "kucoin",
        creds("ku-key", "ku-secret", "ku-pass"),
        Reply::Json(401, answer.into()),
        false,
    );
    let got = verify(&mut v, "ku", &options("kucoin", &fake));
    assert!(fake.seen()[0].signature_ok, "{:?}", fake.seen()[0].problem);
    assert_eq!(got.verification.outcome, VerifyOutcome::Rejected);
    assert!(got.verification.drift[0]
        .starts_with("the exchange rejected this key: deleted or wrong secret"));
    assert!(got.verification.drift[0].contains("KC-API-KEY not exists"));
    assert_eq!(
        last_detail(&v, AuditAction::KeyVerified),
        "outcome: rejected, differences: 1"
    );
}

#[test]
fn kucoin_valid_key_with_withdrawal() {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        with_ips(
            key("ku", "kucoin", &["general", "spot_trading"]),
            &["203.0.113.9"],
        ),
        &[
            (ApiKey, "ku-key"),
            (Secret, "ku-secret"),
            (Password, "ku-pass"),
        ],
    );
    let answer = r#"{"code":"200000","data":{"remark":"bot","apiKey":"ku-key","apiVersion":3,"permission":"General,Spot,Withdrawal","ipWhitelist":"203.0.113.9","createdAt":1767225600000,"uid":165111215,"isMaster":true}}"#;
    let fake = fake_exchange::start(
        "kucoin",
        creds("ku-key", "ku-secret", "ku-pass"),
        Reply::Json(200, answer.into()),
        false,
    );
    let got = verify(&mut v, "ku", &options("kucoin", &fake));
    assert!(fake.seen()[0].signature_ok, "{:?}", fake.seen()[0].problem);
    assert_eq!(
        got.verification.drift,
        vec!["withdrawals are enabled on KuCoin but not recorded here".to_string()]
    );
}

#[test]
fn kraken_signs_with_the_decoded_secret_and_reads_refusals() {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        key("kr", "kraken", &["query_funds"]),
        &[(ApiKey, "kr-key"), (Secret, KRAKEN_SECRET)],
    );
    let ok = fake_exchange::start(
        "kraken",
        creds("kr-key", KRAKEN_SECRET, ""),
        Reply::Json(200, r#"{"error":[],"result":{}}"#.into()),
        false,
    );
    let got = verify(&mut v, "kr", &options("kraken", &ok));
    assert!(ok.seen()[0].signature_ok, "{:?}", ok.seen()[0].problem);
    assert_eq!(got.verification.outcome, VerifyOutcome::Agrees);
    let gone = fake_exchange::start(
        "kraken",
        creds("kr-key", KRAKEN_SECRET, ""),
        Reply::Json(200, r#"{"error":["EAPI:Invalid key"]}"#.into()),
        false,
    );
    let got = verify(&mut v, "kr", &options("kraken", &gone));
    assert_eq!(got.verification.outcome, VerifyOutcome::Rejected);
    assert!(got.verification.drift[0].contains("EAPI:Invalid key"));
}

#[test]
fn coinbase_es256_jwt_verifies_and_transfer_is_drift() {
    use p256::pkcs8::LineEnding;
    let secret = p256::SecretKey::from_slice(&[9u8; 32]).unwrap();
    let pem = secret.to_sec1_pem(LineEnding::LF).unwrap().to_string();
    let name = "organizations/org-1/apiKeys/key-1";
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        key("cb", "coinbase", &["view", "coinbase_trade"]),
        &[(ApiKey, name), (Secret, pem.as_str())],
    );
    let answer = r#"{"can_view":true,"can_trade":true,"can_transfer":true,"portfolio_uuid":"p-1","portfolio_type":"DEFAULT"}"#;
    let fake = fake_exchange::start(
        "coinbase",
        creds(name, &pem, ""),
        Reply::Json(200, answer.into()),
        true,
    );
    let got = verify(&mut v, "cb", &options("coinbase", &fake));
    assert!(fake.seen()[0].signature_ok, "{:?}", fake.seen()[0].problem);
    assert_eq!(
        got.verification.drift,
        vec![
            "withdrawals are enabled on Coinbase but not recorded here".to_string(),
            "transfers are enabled on Coinbase but not recorded here".to_string()
        ]
    );
}

#[test]
fn a_slow_exchange_times_out_with_a_clear_error() {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        key("bot", "binance", &["read"]),
        &[(ApiKey, "k"), (Secret, BINANCE_SECRET)],
    );
    let fake = fake_exchange::start(
        "binance",
        creds("k", BINANCE_SECRET, ""),
        Reply::Slow(Duration::from_secs(4)),
        false,
    );
    let mut o = options("binance", &fake);
    o.timeout = Duration::from_secs(1);
    let started = std::time::Instant::now();
    let got = verify(&mut v, "bot", &o);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(got.verification.outcome, VerifyOutcome::Failed);
    assert_eq!(
        got.verification.error.as_deref(),
        Some("Binance: no answer within 1 s")
    );
    assert_eq!(
        last_detail(&v, AuditAction::KeyVerified),
        "outcome: failed (Binance: no answer within 1 s)"
    );
}

#[test]
fn a_malformed_answer_is_an_error_not_a_report() {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        key("by", "bybit", &["read_only"]),
        &[(ApiKey, "bybit-key"), (Secret, "bybit-secret")],
    );
    for body in [
        "<html>maintenance</html>",
        r#"{"retCode":0,"result":{"readOnly":"yes"}}"#,
    ] {
        let fake = fake_exchange::start(
            "bybit",
            creds("bybit-key", "bybit-secret", ""),
            Reply::Json(200, body.into()),
            false,
        );
        let got = verify(&mut v, "by", &options("bybit", &fake));
        assert_eq!(got.verification.outcome, VerifyOutcome::Failed, "{body}");
        assert!(got
            .verification
            .error
            .unwrap()
            .starts_with("Bybit answered something Keystead cannot read"));
    }
}

#[test]
fn no_secret_reaches_an_error_the_audit_log_or_the_stored_verdict() {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        key("bot", "binance", &["read"]),
        &[(ApiKey, "binance-key"), (Secret, BINANCE_SECRET)],
    );
    let fake = fake_exchange::start(
        "binance",
        creds("binance-key", BINANCE_SECRET, ""),
        Reply::Slow(Duration::from_secs(3)),
        false,
    );
    let mut o = options("binance", &fake);
    o.timeout = Duration::from_secs(1);
    let got = verify(&mut v, "bot", &o);
    let shown = format!("{got:?} {:?}", v.audit_log().unwrap());
    assert!(!shown.contains(BINANCE_SECRET));
    assert!(
        !shown.contains("signature="),
        "the signed URL never appears"
    );
}

#[test]
fn exchanges_without_an_endpoint_say_so() {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        key("g", "gate", &["account"]),
        &[(ApiKey, "k"), (Secret, "s")],
    );
    let err = v
        .verify_key("g", &CheckOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Gate has no endpoint that reports a key's permissions"),
        "{err}"
    );
    assert!(
        !keystead_core::catalog::exchange("gate")
            .unwrap()
            .info()
            .can_verify
    );
    assert!(
        keystead_core::catalog::exchange("okx")
            .unwrap()
            .info()
            .can_verify
    );
}

/// The app's way: prepare with the vault held, let it go for the request, record after. An edit made
/// while the request was out is what the verdict compares with, and the list row shows the verdict.
#[test]
fn a_check_in_two_steps_leaves_the_vault_free_during_the_request_and_judges_the_record_as_it_is_then(
) {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        with_ips(
            key(
                "bot",
                "binance",
                &["enable_reading", "enable_spot_margin_trading"],
            ),
            &["203.0.113.7"],
        ),
        &[(ApiKey, "binance-key"), (Secret, BINANCE_SECRET)],
    );
    let fake = fake_exchange::start(
        "binance",
        creds("binance-key", BINANCE_SECRET, ""),
        binance_answer(true, true),
        false,
    );
    let o = options("binance", &fake);
    let prepared = v.prepare_check("bot").unwrap();
    let printed = format!("{prepared:?}");
    assert!(!printed.contains(BINANCE_SECRET) && !printed.contains("binance-key"));
    assert!(fake.seen().is_empty(), "preparing sends nothing");
    assert!(v.list().unwrap()[0].last_check.is_none(), "never checked");

    let answer = prepared.run(&o);
    // Meanwhile the owner records that withdrawals are on: the exchange now agrees with the record.
    v.edit(
        "bot",
        keystead_core::KeyEdit {
            scopes: Some(vec![
                "enable_reading".into(),
                "enable_spot_margin_trading".into(),
                "enable_withdrawals".into(),
            ]),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let got = v.record_check(prepared, answer).unwrap();
    assert_eq!(fake.seen().len(), 1);
    assert_eq!(
        got.verification.outcome,
        VerifyOutcome::Agrees,
        "{:?}",
        got.verification.drift
    );
    let row = &v.list().unwrap()[0];
    let summary = row.last_check.as_ref().expect("the row shows the check");
    assert_eq!(summary.outcome, VerifyOutcome::Agrees);
    assert_eq!(summary.at, got.verification.at);
    assert_eq!(summary.differences, 0);

    // A drifting answer: the row says drift and how many differences, and no secret.
    v.edit(
        "bot",
        keystead_core::KeyEdit {
            scopes: Some(vec![
                "enable_reading".into(),
                "enable_spot_margin_trading".into(),
            ]),
            ..Default::default()
        },
        Some(&SecretString::from(PASS)),
    )
    .unwrap();
    verify(&mut v, "bot", &o);
    let rows = v.list().unwrap();
    let summary = rows[0].last_check.as_ref().unwrap();
    assert_eq!(
        (summary.outcome, summary.differences),
        (VerifyOutcome::Drift, 1)
    );
    let json = serde_json::to_string(&rows).unwrap();
    assert!(json.contains(r#""last_check":{"at":"#), "{json}");
    assert!(!json.contains(BINANCE_SECRET) && !json.contains("binance-key"));
}

/// Rotated while the request was out: the answer is about the old secret, so nothing is recorded and
/// the error says to check again.
#[test]
fn a_key_rotated_during_its_check_keeps_no_verdict_about_the_old_secret() {
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        key("bot", "binance", &["enable_reading"]),
        &[(ApiKey, "binance-key"), (Secret, BINANCE_SECRET)],
    );
    let fake = fake_exchange::start(
        "binance",
        creds("binance-key", BINANCE_SECRET, ""),
        binance_answer(true, false),
        false,
    );
    let prepared = v.prepare_check("bot").unwrap();
    let answer = prepared.run(&options("binance", &fake));
    assert!(answer.is_ok(), "the old secret was still good on the fake");
    v.rotate(
        "bot",
        secrets(&[(ApiKey, "binance-key-2"), (Secret, "new-secret-0123456789")]),
        None,
    )
    .unwrap();
    let audit_before = v.audit_log().unwrap().len();
    let err = v.record_check(prepared, answer).unwrap_err().to_string();
    assert!(
        err.contains("'bot' was given another secret while it was being checked on Binance")
            && err.contains("Check it again"),
        "{err}"
    );
    let entry = v.find("bot").unwrap();
    assert_eq!(entry.last_verification, None, "nothing recorded");
    assert_eq!(v.audit_log().unwrap().len(), audit_before, "no audit entry");
    assert!(v.list().unwrap()[0].last_check.is_none());

    // A check of the new secret records as usual.
    let fresh = v.prepare_check("bot").unwrap();
    let answer = fresh.run(&options("binance", &fake));
    let got = v.record_check(fresh, answer).unwrap();
    assert_eq!(
        got.verification.outcome,
        VerifyOutcome::Rejected,
        "the fake knows only the old secret"
    );
}

#[test]
fn a_keys_place_in_scheduled_checks_is_an_audited_edit_kept_in_the_vault() {
    use keystead_core::exchange::schedule::{Schedule, ScheduleScope};
    let s = Sandbox::new();
    let mut v = s.open();
    add(
        &mut v,
        key("bot", "binance", &["enable_reading"]),
        &[(ApiKey, "binance-key"), (Secret, BINANCE_SECRET)],
    );
    let set = |v: &mut Vault, on: Option<bool>| {
        v.edit(
            "bot",
            keystead_core::KeyEdit {
                scheduled_check: Some(on),
                ..Default::default()
            },
            None,
        )
        .unwrap()
    };
    let all = Schedule {
        every_hours: Some(24),
        scope: ScheduleScope::All,
    };
    assert_eq!(all.due(&v.list().unwrap(), s.now()).len(), 1);
    assert_eq!(set(&mut v, Some(false)).scheduled_check, Some(false));
    assert_eq!(
        last_detail(&v, AuditAction::KeyEdited),
        "scheduled checks: as the app's setting says → never"
    );
    let edits = audit_actions(&v).len();
    set(&mut v, Some(false));
    assert_eq!(audit_actions(&v).len(), edits, "no change, no audit line");
    drop(v);
    let mut v = s.open();
    let rows = v.list().unwrap();
    assert_eq!(rows[0].scheduled_check, Some(false), "kept across a reopen");
    assert!(all.due(&rows, s.now()).is_empty());
    set(&mut v, Some(true));
    assert_eq!(
        last_detail(&v, AuditAction::KeyEdited),
        "scheduled checks: never → always"
    );
    let chosen = Schedule {
        scope: ScheduleScope::Chosen,
        ..all
    };
    assert_eq!(chosen.due(&v.list().unwrap(), s.now()).len(), 1);
    set(&mut v, None);
    assert!(chosen.due(&v.list().unwrap(), s.now()).is_empty());
}
