//! Exchange link (issue 16): ask an exchange what a key can really do, through its read-only
//! key-information endpoint, and compare that with the record. A request is sent only when the user asks
//! for a check or turned the schedule on ([`schedule`]); the key's secrets never leave core except as the
//! signature the exchange requires.

pub mod drift;
pub mod keypair;
pub mod net;
pub mod schedule;
pub mod sign;

use crate::catalog::{self, Exchange};
use crate::model::{KeyEntry, Scope};
use crate::secret::{CredentialField, SecretFields};
use chrono::{DateTime, TimeZone, Utc};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

pub use drift::drift;
pub use net::{check_base_url, BaseUrl};

/// Environment variable prefix of a per-exchange base URL (`KEYSTEAD_BASE_URL_BINANCE`).
pub const BASE_URL_ENV_PREFIX: &str = "KEYSTEAD_BASE_URL_";
/// Environment variable naming a PEM file of CA certificates trusted instead of the built-in roots.
pub const CA_FILE_ENV: &str = "KEYSTEAD_CA_FILE";

/// What the exchange reports about a key, in the catalog's terms.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeKeyReport {
    /// The catalog's permission ids the exchange reports as enabled; `None`: the answer does not say.
    pub permissions: Option<Vec<String>>,
    /// The canonical scopes those permissions grant; `None`: the answer does not say.
    pub scopes: Option<Vec<Scope>>,
    /// Whether the key is bound to IP addresses; `None`: the answer does not say.
    pub ip_restricted: Option<bool>,
    /// The addresses, when the exchange lists them.
    pub ip_allowlist: Vec<String>,
    /// When the exchange will expire or delete the key.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the exchange will take trading permission away (Binance, keys without an IP allowlist).
    pub trading_expires_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The exchange's answer about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    Report(ExchangeKeyReport),
    /// The exchange refused the key (deleted, wrong secret or passphrase, or not allowed from here):
    /// its own words.
    Rejected(String),
}

/// Where and how checks go. [`CheckOptions::from_env`] is what the CLI and the app use.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Base URL by exchange id; exchanges not in it use their public API host.
    pub base_urls: BTreeMap<String, BaseUrl>,
    /// DER certificates trusted instead of the built-in roots (tests' CA, a TLS-inspecting proxy's CA).
    pub extra_roots: Vec<Vec<u8>>,
    pub timeout: Duration,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            base_urls: BTreeMap::new(),
            extra_roots: Vec::new(),
            timeout: net::TIMEOUT,
        }
    }
}

impl CheckOptions {
    /// Reads `KEYSTEAD_BASE_URL_<EXCHANGE>` for each exchange that can be checked and `KEYSTEAD_CA_FILE`.
    /// A base URL that is not https (or http to a loopback address) is an error, never ignored.
    pub fn from_env() -> crate::Result<Self> {
        let mut options = Self::default();
        for e in catalog::exchanges().iter().filter(|e| e.key_info.is_some()) {
            let var = format!("{BASE_URL_ENV_PREFIX}{}", e.id.to_ascii_uppercase());
            if let Ok(value) = std::env::var(&var) {
                let url = check_base_url(&value)
                    .map_err(|m| crate::Error::input(format!("{var}: {m}")))?;
                options.base_urls.insert(e.id.to_string(), url);
            }
        }
        if let Some(path) = std::env::var_os(CA_FILE_ENV) {
            let pem = std::fs::read(&path).map_err(|e| {
                crate::Error::input(format!(
                    "{CA_FILE_ENV}: cannot read {}: {e}",
                    path.to_string_lossy()
                ))
            })?;
            for item in ureq::tls::parse_pem(&pem) {
                if let Ok(ureq::tls::PemItem::Certificate(c)) = item {
                    options.extra_roots.push(c.der().to_vec());
                }
            }
            if options.extra_roots.is_empty() {
                return Err(crate::Error::input(format!(
                    "{CA_FILE_ENV}: {} holds no PEM certificate",
                    path.to_string_lossy()
                )));
            }
        }
        Ok(options)
    }
}

/// Why a check gave no answer about the key. Never holds a secret or the signed URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckError(pub String);

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The public API host of each exchange that can be checked.
fn public_base(exchange: &str) -> &'static str {
    match exchange {
        "binance" => "https://api.binance.com",
        "okx" => "https://www.okx.com",
        "bybit" => "https://api.bybit.com",
        "kraken" => "https://api.kraken.com",
        "kucoin" => "https://api.kucoin.com",
        "coinbase" => "https://api.coinbase.com",
        _ => "",
    }
}

fn field<'a>(
    secrets: &'a SecretFields,
    f: CredentialField,
    ex: &Exchange,
) -> Result<&'a str, CheckError> {
    secrets
        .get(f)
        .map(|s| s.expose_secret())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            CheckError(format!(
                "this {} key has no {} stored: it cannot be checked",
                ex.name,
                f.label()
            ))
        })
}

/// Asks the exchange about the key whose current secrets are `secrets`. `now` is the request's
/// timestamp (exchanges refuse clocks far off theirs).
pub fn check(
    exchange: &Exchange,
    secrets: &SecretFields,
    options: &CheckOptions,
    now: DateTime<Utc>,
) -> Result<KeyCheck, CheckError> {
    let Some(path) = exchange.key_info else {
        return Err(CheckError(format!(
            "{} has no endpoint that reports a key's permissions: Keystead cannot check its keys",
            exchange.name
        )));
    };
    let base = match options.base_urls.get(exchange.id) {
        Some(b) => b.clone(),
        None => check_base_url(public_base(exchange.id)).map_err(CheckError)?,
    };
    let request = build_request(exchange, path, secrets, now, &base)?;
    let answer = net::send(&base, request, &options.extra_roots, options.timeout)
        .map_err(|m| CheckError(format!("{}: {m}", exchange.name)))?;
    parse_answer(exchange, answer.status, &answer.body).map_err(|m| {
        CheckError(format!(
            "{} answered something Keystead cannot read: {m}",
            exchange.name
        ))
    })
}

/// The signed request, per the exchange's documentation.
fn build_request(
    ex: &Exchange,
    path: &str,
    secrets: &SecretFields,
    now: DateTime<Utc>,
    base: &BaseUrl,
) -> Result<net::Request, CheckError> {
    let api_key = field(secrets, CredentialField::ApiKey, ex)?
        .trim()
        .to_string();
    let ms = now.timestamp_millis().to_string();
    let sign_err = |e: sign::SignError| CheckError(e.0);
    let request = match ex.id {
        "binance" => {
            let query = format!("recvWindow=5000&timestamp={ms}");
            let signature = match secrets
                .get(CredentialField::PrivateKey)
                .map(|s| s.expose_secret())
            {
                Some(pem) if !pem.trim().is_empty() => {
                    percent_encode(&sign::binance_ed25519(pem, &query).map_err(sign_err)?)
                }
                _ => sign::binance_hmac(field(secrets, CredentialField::Secret, ex)?, &query),
            };
            net::Request {
                method: "GET",
                path_and_query: format!("{path}?{query}&signature={signature}"),
                headers: vec![("X-MBX-APIKEY", api_key)],
                body: None,
            }
        }
        "okx" => {
            let ts = now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            let secret = field(secrets, CredentialField::Secret, ex)?;
            let passphrase = field(secrets, CredentialField::Password, ex)?;
            net::Request {
                method: "GET",
                path_and_query: path.to_string(),
                headers: vec![
                    ("OK-ACCESS-KEY", api_key),
                    ("OK-ACCESS-SIGN", sign::okx(secret, &ts, "GET", path, "")),
                    ("OK-ACCESS-TIMESTAMP", ts),
                    ("OK-ACCESS-PASSPHRASE", passphrase.to_string()),
                ],
                body: None,
            }
        }
        "bybit" => {
            let secret = field(secrets, CredentialField::Secret, ex)?;
            let recv = "5000";
            net::Request {
                method: "GET",
                path_and_query: path.to_string(),
                headers: vec![
                    ("X-BAPI-SIGN", sign::bybit(secret, &ms, &api_key, recv, "")),
                    ("X-BAPI-API-KEY", api_key),
                    ("X-BAPI-TIMESTAMP", ms),
                    ("X-BAPI-RECV-WINDOW", recv.to_string()),
                ],
                body: None,
            }
        }
        "kraken" => {
            let secret = field(secrets, CredentialField::Secret, ex)?;
            let nonce = now.timestamp_micros().to_string();
            let post = format!("nonce={nonce}");
            let signature = sign::kraken(secret, path, &nonce, &post).map_err(sign_err)?;
            net::Request {
                method: "POST",
                path_and_query: path.to_string(),
                headers: vec![("API-Key", api_key), ("API-Sign", signature)],
                body: Some((post, "application/x-www-form-urlencoded")),
            }
        }
        "kucoin" => {
            let secret = field(secrets, CredentialField::Secret, ex)?;
            let passphrase = field(secrets, CredentialField::Password, ex)?;
            net::Request {
                method: "GET",
                path_and_query: path.to_string(),
                headers: vec![
                    ("KC-API-KEY", api_key),
                    ("KC-API-SIGN", sign::kucoin(secret, &ms, "GET", path, "")),
                    ("KC-API-TIMESTAMP", ms),
                    (
                        "KC-API-PASSPHRASE",
                        sign::kucoin_passphrase(secret, passphrase),
                    ),
                    ("KC-API-KEY-VERSION", "2".to_string()),
                ],
                body: None,
            }
        }
        "coinbase" => {
            let pem = field(secrets, CredentialField::Secret, ex)?;
            let host = base.as_str().split_once("://").map_or("", |(_, h)| h);
            let nonce = hex::encode(crate::crypto::random_bytes::<16>());
            let jwt = sign::coinbase_jwt(
                &api_key,
                pem,
                now.timestamp(),
                &nonce,
                &format!("GET {host}{path}"),
            )
            .map_err(sign_err)?;
            net::Request {
                method: "GET",
                path_and_query: path.to_string(),
                headers: vec![("Authorization", format!("Bearer {jwt}"))],
                body: None,
            }
        }
        other => {
            return Err(CheckError(format!(
                "Keystead does not know how to sign {other} requests"
            )));
        }
    };
    Ok(request)
}

/// Percent-encodes a base64 signature for a query string.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The exchange's own words in a refusal, cut short and single-line.
fn words(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    one_line.trim().chars().take(200).collect()
}

fn ms_time(v: &Value) -> Option<DateTime<Utc>> {
    let n = v
        .as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))?;
    (n > 0)
        .then(|| Utc.timestamp_millis_opt(n).single())
        .flatten()
}

fn iso_time(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str()?.trim();
    if s.is_empty() {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Turns the exchange's permission ids (those the answer shows enabled) into the report's two lists.
fn permissions_of(
    ex: &Exchange,
    ids: BTreeSet<&'static str>,
) -> (Option<Vec<String>>, Option<Vec<Scope>>) {
    let mut scopes = BTreeSet::new();
    let mut own = Vec::new();
    for p in ex.permissions.iter().filter(|p| ids.contains(p.id)) {
        own.push(p.id.to_string());
        scopes.extend(p.grants.iter().copied());
    }
    (Some(own), Some(scopes.into_iter().collect()))
}

fn ip_list(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = items
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Reads an answer strictly: the documented envelope, the documented fields with their types.
pub fn parse_answer(ex: &Exchange, status: u16, body: &str) -> Result<KeyCheck, String> {
    let v: Value = serde_json::from_str(body).map_err(|_| format!("not JSON (HTTP {status})"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let flag = |o: &serde_json::Map<String, Value>, k: &str| -> Result<bool, String> {
        match o.get(k) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("'{k}' is not true or false")),
        }
    };
    match ex.id {
        "binance" => {
            if let Some(code) = obj.get("code").and_then(Value::as_i64) {
                let msg = obj.get("msg").and_then(Value::as_str).unwrap_or("");
                return Ok(KeyCheck::Rejected(words(&format!("{msg} (code {code})"))));
            }
            if status != 200 {
                return Err(format!("HTTP {status}"));
            }
            let table = [
                ("enableReading", "enable_reading"),
                ("enableSpotAndMarginTrading", "enable_spot_margin_trading"),
                ("enableMargin", "enable_margin_loan_repay_transfer"),
                ("enableFutures", "enable_futures"),
                ("enableVanillaOptions", "enable_european_options"),
                ("permitsUniversalTransfer", "permits_universal_transfer"),
                ("enableWithdrawals", "enable_withdrawals"),
            ];
            if !obj.contains_key("ipRestrict") || !obj.contains_key("enableReading") {
                return Err("no 'ipRestrict' or 'enableReading'".into());
            }
            let mut ids = BTreeSet::new();
            for (k, id) in table {
                if flag(obj, k)? {
                    ids.insert(id);
                }
            }
            let (permissions, scopes) = permissions_of(ex, ids);
            Ok(KeyCheck::Report(ExchangeKeyReport {
                permissions,
                scopes,
                ip_restricted: Some(flag(obj, "ipRestrict")?),
                ip_allowlist: Vec::new(),
                expires_at: None,
                trading_expires_at: obj.get("tradingAuthorityExpirationTime").and_then(ms_time),
                created_at: obj.get("createTime").and_then(ms_time),
                last_used_at: None,
            }))
        }
        "okx" => {
            let code = obj.get("code").and_then(Value::as_str).ok_or("no 'code'")?;
            if code != "0" {
                let msg = obj.get("msg").and_then(Value::as_str).unwrap_or("");
                return Ok(KeyCheck::Rejected(words(&format!("{msg} (code {code})"))));
            }
            let data = obj
                .get("data")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_object)
                .ok_or("no 'data'")?;
            let perm = data
                .get("perm")
                .and_then(Value::as_str)
                .ok_or("no 'perm'")?;
            let ip = data.get("ip").and_then(Value::as_str).ok_or("no 'ip'")?;
            let mut ids = BTreeSet::new();
            for word in perm.split(',').map(str::trim) {
                match word {
                    "read_only" => ids.insert("okx_read"),
                    "trade" => ids.insert("okx_trade"),
                    "withdraw" => ids.insert("okx_withdraw"),
                    _ => false,
                };
            }
            let (permissions, scopes) = permissions_of(ex, ids);
            let ips = ip_list(ip.split(',').map(String::from));
            Ok(KeyCheck::Report(ExchangeKeyReport {
                permissions,
                scopes,
                ip_restricted: Some(!ips.is_empty()),
                ip_allowlist: ips,
                expires_at: None,
                trading_expires_at: None,
                created_at: None,
                last_used_at: None,
            }))
        }
        "bybit" => {
            let code = obj
                .get("retCode")
                .and_then(Value::as_i64)
                .ok_or("no 'retCode'")?;
            if code != 0 {
                let msg = obj.get("retMsg").and_then(Value::as_str).unwrap_or("");
                return Ok(KeyCheck::Rejected(words(&format!(
                    "{msg} (retCode {code})"
                ))));
            }
            let r = obj
                .get("result")
                .and_then(Value::as_object)
                .ok_or("no 'result'")?;
            let read_only = r
                .get("readOnly")
                .and_then(Value::as_i64)
                .ok_or("no 'readOnly'")?;
            let perms = r
                .get("permissions")
                .and_then(Value::as_object)
                .ok_or("no 'permissions'")?;
            let has = |group: &str, name: &str| {
                perms
                    .get(group)
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(name)))
            };
            let mut ids = BTreeSet::from(["read_only"]);
            if read_only == 0 {
                for (group, name, id) in [
                    ("ContractTrade", "Order", "orders"),
                    ("ContractTrade", "Position", "positions"),
                    ("Spot", "SpotTrade", "spot_trade"),
                    ("Wallet", "AccountTransfer", "account_transfer"),
                    ("Wallet", "SubMemberTransfer", "subaccount_transfer"),
                    ("Wallet", "SubMemberTransferList", "subaccount_transfer"),
                    ("Wallet", "Withdraw", "withdrawal"),
                ] {
                    if has(group, name) {
                        ids.insert(id);
                    }
                }
            }
            let (permissions, scopes) = permissions_of(ex, ids);
            let ips: Vec<String> = r
                .get("ips")
                .and_then(Value::as_array)
                .ok_or("no 'ips'")?
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .filter(|s| s != "*")
                .collect();
            let ips = ip_list(ips);
            Ok(KeyCheck::Report(ExchangeKeyReport {
                permissions,
                scopes,
                ip_restricted: Some(!ips.is_empty()),
                ip_allowlist: ips,
                expires_at: r.get("expiredAt").and_then(iso_time),
                trading_expires_at: None,
                created_at: r.get("createdAt").and_then(iso_time),
                last_used_at: None,
            }))
        }
        "kraken" => {
            let errors = obj
                .get("error")
                .and_then(Value::as_array)
                .ok_or("no 'error'")?;
            if !errors.is_empty() {
                let list: Vec<&str> = errors.iter().filter_map(Value::as_str).collect();
                return Ok(KeyCheck::Rejected(words(&list.join("; "))));
            }
            if !obj.get("result").is_some_and(Value::is_object) {
                return Err("no 'result'".into());
            }
            // Kraken accepted the key. Which fields of the result name its permissions is not yet
            // mapped here: the report says the key works and claims nothing else.
            Ok(KeyCheck::Report(ExchangeKeyReport {
                permissions: None,
                scopes: None,
                ip_restricted: None,
                ip_allowlist: Vec::new(),
                expires_at: None,
                trading_expires_at: None,
                created_at: None,
                last_used_at: None,
            }))
        }
        "kucoin" => {
            let code = obj.get("code").and_then(Value::as_str).ok_or("no 'code'")?;
            if code != "200000" {
                let msg = obj.get("msg").and_then(Value::as_str).unwrap_or("");
                return Ok(KeyCheck::Rejected(words(&format!("{msg} (code {code})"))));
            }
            let d = obj
                .get("data")
                .and_then(Value::as_object)
                .ok_or("no 'data'")?;
            let perm = d
                .get("permission")
                .and_then(Value::as_str)
                .ok_or("no 'permission'")?;
            let mut ids = BTreeSet::new();
            for word in perm.split(',').map(str::trim) {
                let id = match word {
                    "General" => "general",
                    "Spot" => "spot_trading",
                    "Margin" => "margin_trading",
                    "Futures" => "futures_trading",
                    "Transfer" | "InnerTransfer" => "kucoin_transfer",
                    "Withdrawal" => "withdrawal",
                    _ => continue,
                };
                ids.insert(id);
            }
            let (permissions, scopes) = permissions_of(ex, ids);
            let ips = match d.get("ipWhitelist") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::String(s)) => ip_list(s.split(',').map(String::from)),
                Some(_) => return Err("'ipWhitelist' is not text".into()),
            };
            Ok(KeyCheck::Report(ExchangeKeyReport {
                permissions,
                scopes,
                ip_restricted: Some(!ips.is_empty()),
                ip_allowlist: ips,
                expires_at: None,
                trading_expires_at: None,
                created_at: d.get("createdAt").and_then(ms_time),
                last_used_at: None,
            }))
        }
        "coinbase" => {
            if status == 401 || status == 403 {
                let msg = obj
                    .get("message")
                    .or_else(|| obj.get("error"))
                    .and_then(Value::as_str)
                    .unwrap_or("unauthorized");
                return Ok(KeyCheck::Rejected(words(&format!("{msg} (HTTP {status})"))));
            }
            if status != 200 {
                return Err(format!("HTTP {status}"));
            }
            let mut ids = BTreeSet::new();
            for (k, id) in [
                ("can_view", "view"),
                ("can_trade", "coinbase_trade"),
                ("can_transfer", "coinbase_transfer"),
            ] {
                match obj.get(k) {
                    Some(Value::Bool(true)) => {
                        ids.insert(id);
                    }
                    Some(Value::Bool(false)) => {}
                    _ => return Err(format!("no '{k}'")),
                }
            }
            let (permissions, scopes) = permissions_of(ex, ids);
            Ok(KeyCheck::Report(ExchangeKeyReport {
                permissions,
                scopes,
                ip_restricted: None,
                ip_allowlist: Vec::new(),
                expires_at: None,
                trading_expires_at: None,
                created_at: None,
                last_used_at: None,
            }))
        }
        other => Err(format!("no reader for {other}")),
    }
}

/// How a check ended.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyOutcome {
    /// The exchange's view matches the record.
    Agrees,
    /// The exchange reports something the record does not say.
    Drift,
    /// The exchange refused the key.
    Rejected,
    /// No answer about the key (network, timeout, an answer Keystead cannot read).
    Failed,
}

impl VerifyOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agrees => "agrees",
            Self::Drift => "drift",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
        }
    }
}

/// One check on the exchange, kept in the key's sealed metadata.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub at: DateTime<Utc>,
    pub outcome: VerifyOutcome,
    /// Each difference in one sentence.
    pub drift: Vec<String>,
    /// Why there was no answer (outcome `failed`).
    pub error: Option<String>,
    /// What the exchange reported (outcome `agrees` or `drift`).
    pub report: Option<ExchangeKeyReport>,
}

/// What the record says, beside the exchange's report.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedView {
    pub permissions: Vec<String>,
    pub scopes: Vec<Scope>,
    pub scopes_unknown: bool,
    pub ip_allowlist: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A key's check as front ends show it.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyVerification {
    pub name: String,
    pub exchange: String,
    pub exchange_name: String,
    pub recorded: RecordedView,
    pub verification: Verification,
}

impl Verification {
    /// The verdict on `entry` from one check's result.
    pub fn of(
        entry: &KeyEntry,
        exchange: &Exchange,
        result: Result<KeyCheck, CheckError>,
        at: DateTime<Utc>,
    ) -> Self {
        match result {
            Err(e) => Self {
                at,
                outcome: VerifyOutcome::Failed,
                drift: Vec::new(),
                error: Some(e.0),
                report: None,
            },
            Ok(check) => {
                let drift = drift(entry, exchange.name, &check);
                let (outcome, report) = match check {
                    KeyCheck::Rejected(_) => (VerifyOutcome::Rejected, None),
                    KeyCheck::Report(r) if drift.is_empty() => (VerifyOutcome::Agrees, Some(r)),
                    KeyCheck::Report(r) => (VerifyOutcome::Drift, Some(r)),
                };
                Self {
                    at,
                    outcome,
                    drift,
                    error: None,
                    report,
                }
            }
        }
    }
}

impl RecordedView {
    pub fn of(entry: &KeyEntry) -> Self {
        Self {
            permissions: entry.exchange_scopes.clone(),
            scopes: entry.scopes.iter().copied().collect(),
            scopes_unknown: entry.scopes_unknown,
            ip_allowlist: entry.ip_allowlist.clone(),
            expires_at: entry.expires_at,
            created_at: entry.created_at,
        }
    }
}
