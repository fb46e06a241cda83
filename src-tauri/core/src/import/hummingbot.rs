//! Hummingbot connector files (`conf/connectors/<connector>.yml`): YAML whose secret values are the hex of
//! an Ethereum keystore-v3 JSON document (pbkdf2-sha256 or scrypt, AES-128-CTR, a Keccak-256 MAC),
//! encrypted with the user's Hummingbot password.

use super::{field_from_word, Candidate, MAX_DEPTH};
use crate::error::{Error, Result};
use crate::model::Environment;
use crate::secret::CredentialField;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::path::Path;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};
use zeroize::{Zeroize, Zeroizing};

/// The hex of `{"crypto"`, how every value Hummingbot encrypts begins.
const KEYSTORE_HEX_PREFIX: &str = "7b2263727970746f22";
/// The length Hummingbot (and the keystore spec) derive: 16 bytes of AES key, 16 of MAC key.
const DKLEN: usize = 32;
/// The longest secret a keystore value may hold (API secrets are well under 1 KiB).
const MAX_CIPHERTEXT: usize = 64 * 1024;
/// The longest keystore value, as hex of its JSON (the ciphertext twice over for hex, plus the rest).
const MAX_VALUE_HEX: usize = 4 * MAX_CIPHERTEXT + 8 * 1024;
/// pbkdf2 rounds: Hummingbot writes 1,000,000; ten times that is still a few seconds.
const MAX_PBKDF2_ROUNDS: u32 = 10_000_000;
/// scrypt: `n` up to 2^20, memory (128·n·r bytes) up to 256 MiB (geth's standard keystores need
/// exactly that), work (n·r·p) up to 2^22.
const MAX_SCRYPT_LOG_N: u32 = 20;
const MAX_SCRYPT_MEMORY: u64 = 256 * 1024 * 1024;
const MAX_SCRYPT_WORK: u64 = 1 << 22;
/// Salts longer than this are not a keystore.
const MAX_SALT: usize = 1024;

/// Connector-name endings that are the same exchange (`binance_perpetual` is Binance).
const MARKET_SUFFIXES: &[&str] = &["_perpetual", "_paper_trade", "_spot", "_futures"];

/// Whether `text` reads like a Hummingbot connector file: a `connector:` line and a value that is the
/// hex of a keystore. Cheap: nothing is parsed or decrypted.
pub(super) fn looks_like(text: &str) -> bool {
    let mut connector = false;
    let mut keystore = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.starts_with(' ') || line.starts_with('\t') || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().trim_matches(|c| c == '\'' || c == '"');
        if key.trim() == "connector" {
            connector = true;
        } else if value.len() > KEYSTORE_HEX_PREFIX.len()
            && value.as_bytes()[..KEYSTORE_HEX_PREFIX.len()]
                .eq_ignore_ascii_case(KEYSTORE_HEX_PREFIX.as_bytes())
        {
            keystore = true;
        }
        if connector && keystore {
            return true;
        }
    }
    false
}

/// Reads one connector file into one candidate, decrypting its secrets with `password`.
pub(super) fn parse(
    path: &Path,
    text: &str,
    password: &SecretString,
    warnings: &mut Vec<String>,
) -> Result<Vec<Candidate>> {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "the file".to_string());
    let fields = read_fields(text)?;

    let connector = match fields.iter().find(|f| f.key == "connector") {
        Some(f) => match &f.value {
            Value::Text(v) if is_plain_word(v) => v.trim().to_string(),
            Value::Text(_) => {
                return Err(Error::input(format!(
                    "line {}: 'connector' is not a connector name",
                    f.line
                )))
            }
            _ => {
                return Err(Error::input(format!(
                    "line {}: 'connector' is not text",
                    f.line
                )))
            }
        },
        None => path
            .file_stem()
            .map(|s| s.to_string_lossy().trim().to_string())
            .filter(|s| is_plain_word(s))
            .ok_or_else(|| {
                Error::input("no 'connector' field, and the file name is not a connector name")
            })?,
    };
    let (exchange_word, testnet) = exchange_of(&connector);
    let mut cand = Candidate::new(connector.clone(), String::new());
    cand.set_exchange_word(&exchange_word);
    if testnet {
        cand.environment = Some(Environment::Testnet);
    }
    let shown = cand
        .exchange
        .map(|e| e.name.to_string())
        .unwrap_or_else(|| title_case(&exchange_word));
    cand.name = if testnet {
        format!("{shown} testnet (Hummingbot)")
    } else {
        format!("{shown} (Hummingbot)")
    };
    let hyperliquid = cand.exchange.is_some_and(|e| e.id == "hyperliquid");

    let prefix = format!("{connector}_");
    let mut seen: Vec<CredentialField> = Vec::new();
    for f in &fields {
        if f.key == "connector" {
            continue;
        }
        let encrypted = matches!(&f.value, Value::Text(v) if is_keystore_hex(v));
        let field = match f.key.strip_prefix(&prefix) {
            Some(suffix) => field_from_word(suffix),
            None if encrypted => longest_suffix_field(&f.key),
            None => None,
        };
        let Some(mut field) = field else {
            if encrypted {
                warnings.push(format!(
                    "line {}: '{}' is encrypted but is no credential Keystead knows: left out",
                    f.line,
                    shown_key(&f.key)
                ));
            }
            continue;
        };
        if hyperliquid {
            // Hummingbot's Hyperliquid connectors keep the wallet address under `api_key` and the
            // wallet's private key under `api_secret`.
            field = match field {
                CredentialField::ApiKey => CredentialField::WalletAddress,
                CredentialField::Secret => CredentialField::PrivateKey,
                other => other,
            };
        }
        let value = match &f.value {
            Value::Text(v) if is_empty_scalar(v) => continue,
            Value::Text(v) => v,
            Value::Other(kind) => {
                return Err(Error::input(format!(
                    "line {}: '{}' is {kind}, not an encrypted value",
                    f.line,
                    shown_key(&f.key)
                )))
            }
        };
        if seen.contains(&field) {
            return Err(Error::input(format!(
                "line {}: '{}' is a second {} in the same file",
                f.line,
                shown_key(&f.key),
                field.as_str()
            )));
        }
        let context = || format!("line {}, '{}'", f.line, shown_key(&f.key));
        let plain = decrypt_value(value.trim(), password.expose_secret().as_bytes())
            .map_err(|e| e.in_context(&context(), &file))?;
        let plain = std::str::from_utf8(&plain).map_err(|_| {
            Error::input(format!(
                "{}: the decrypted value is not UTF-8 text",
                context()
            ))
        })?;
        cand.put(field, plain);
        seen.push(field);
    }
    if cand.secrets.is_empty() {
        return Err(Error::input(format!(
            "no encrypted credential found (fields beginning with '{prefix}'): is it a Hummingbot connector file?"
        )));
    }
    Ok(vec![cand])
}

/// A field name for messages: at most 64 characters of it, control characters left out.
fn shown_key(key: &str) -> String {
    key.chars().filter(|c| !c.is_control()).take(64).collect()
}

/// A connector name: ASCII letters, digits, `_`, `-`, `.`, 1 to 64 of them.
fn is_plain_word(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// YAML's ways of writing nothing.
fn is_empty_scalar(v: &str) -> bool {
    matches!(v.trim(), "" | "~" | "null" | "Null" | "NULL")
}

fn is_keystore_hex(v: &str) -> bool {
    let v = v.trim().as_bytes();
    v.len() > KEYSTORE_HEX_PREFIX.len()
        && v[..KEYSTORE_HEX_PREFIX.len()].eq_ignore_ascii_case(KEYSTORE_HEX_PREFIX.as_bytes())
}

/// The field a name without the connector's prefix ends in: the longest `_`-separated tail that names
/// one (`x_secret_key` is a secret, not a key).
fn longest_suffix_field(key: &str) -> Option<CredentialField> {
    std::iter::once(key)
        .chain(key.match_indices('_').map(|(i, _)| &key[i + 1..]))
        .find_map(field_from_word)
}

/// The exchange a connector names, and whether it is a testnet: `binance_perpetual_testnet` is
/// (`binance`, true).
fn exchange_of(connector: &str) -> (String, bool) {
    let mut word = connector.trim().to_ascii_lowercase();
    let mut testnet = false;
    loop {
        if let Some(w) = word.strip_suffix("_testnet") {
            word = w.to_string();
            testnet = true;
            continue;
        }
        match MARKET_SUFFIXES.iter().find_map(|s| word.strip_suffix(s)) {
            Some(w) if !w.is_empty() => word = w.to_string(),
            _ => break,
        }
    }
    (word, testnet)
}

fn title_case(word: &str) -> String {
    word.split(['_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------------
// YAML: the top-level mapping of one document, read with the event parser so nesting is bounded here.

enum Value {
    /// A scalar. Wiped when dropped: it may be a secret (encrypted, but still).
    Text(Zeroizing<String>),
    /// A list, a mapping or an alias, named for messages.
    Other(&'static str),
}

struct Field {
    key: String,
    value: Value,
    /// 1-based.
    line: usize,
}

fn yaml_error(e: &ScanError) -> Error {
    // The scanner's messages are fixed texts; the position is the marker's, never a value.
    Error::input(format!(
        "not valid YAML: {} (line {}, column {})",
        e.info(),
        e.marker().line(),
        e.marker().col() + 1
    ))
}

fn line_of(m: &Marker) -> usize {
    m.line()
}

fn read_fields(text: &str) -> Result<Vec<Field>> {
    let mut parser = Parser::new_from_str(text);
    let mut next = move || parser.next_token().map_err(|e| yaml_error(&e));
    let (first, _) = next()?;
    if first != Event::StreamStart {
        return Err(Error::input("not valid YAML"));
    }
    match next()? {
        (Event::DocumentStart, _) => {}
        (Event::StreamEnd, _) => return Err(Error::input("the file is empty")),
        (_, m) => {
            return Err(Error::input(format!(
                "not valid YAML (line {})",
                line_of(&m)
            )))
        }
    }
    match next()? {
        (Event::MappingStart(..), _) => {}
        (_, m) => {
            return Err(Error::input(format!(
                "line {}: the file is not a mapping of fields (`name: value` lines)",
                line_of(&m)
            )))
        }
    }
    let mut fields = Vec::new();
    loop {
        let (event, m) = next()?;
        let line = line_of(&m);
        let key = match event {
            Event::MappingEnd => break,
            Event::Scalar(k, ..) => k,
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                return Err(Error::input(format!(
                    "line {line}: a field name that is not text"
                )))
            }
            _ => {
                return Err(Error::input(format!(
                    "line {line}: a field name that is not text"
                )))
            }
        };
        let value = match next()? {
            (Event::Scalar(v, style, ..), _) => {
                let v = Zeroizing::new(v);
                if style == TScalarStyle::Plain && is_empty_scalar(&v) {
                    Value::Text(Zeroizing::new(String::new()))
                } else {
                    Value::Text(v)
                }
            }
            (Event::Alias(_), _) => Value::Other("an alias"),
            (Event::MappingStart(..), m) => {
                skip_nested(&mut next, &m)?;
                Value::Other("a mapping")
            }
            (Event::SequenceStart(..), m) => {
                skip_nested(&mut next, &m)?;
                Value::Other("a list")
            }
            (_, m) => {
                return Err(Error::input(format!(
                    "not valid YAML (line {})",
                    line_of(&m)
                )))
            }
        };
        if fields.iter().any(|f: &Field| f.key == key) {
            return Err(Error::input(format!(
                "line {line}: '{}' appears twice",
                shown_key(&key)
            )));
        }
        fields.push(Field { key, value, line });
    }
    match next()? {
        (Event::DocumentEnd, _) => {}
        (_, m) => {
            return Err(Error::input(format!(
                "not valid YAML (line {})",
                line_of(&m)
            )))
        }
    }
    match next()? {
        (Event::StreamEnd, _) => Ok(fields),
        (_, m) => Err(Error::input(format!(
            "line {}: a second YAML document; a connector file holds one",
            line_of(&m)
        ))),
    }
}

/// Reads past a nested list or mapping whose start was just read (depth 2: inside the top mapping),
/// refusing anything nested deeper than [`MAX_DEPTH`].
fn skip_nested(next: &mut impl FnMut() -> Result<(Event, Marker)>, start: &Marker) -> Result<()> {
    let mut depth = 2usize;
    loop {
        match next()? {
            (Event::MappingStart(..) | Event::SequenceStart(..), _) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Error::input(format!(
                        "line {}: nested more than {MAX_DEPTH} levels deep",
                        line_of(start)
                    )));
                }
            }
            (Event::MappingEnd | Event::SequenceEnd, _) => {
                depth -= 1;
                if depth < 2 {
                    return Ok(());
                }
            }
            (Event::StreamEnd | Event::DocumentEnd, m) => {
                return Err(Error::input(format!(
                    "not valid YAML (line {})",
                    line_of(&m)
                )))
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Ethereum keystore v3 (Web3 Secret Storage).

/// Why a keystore could not be opened, before the file's place is added.
enum KeystoreError {
    /// Not a keystore this reads (the message says what is wrong, never a value).
    Malformed(String),
    /// The MAC does not match: the password is wrong (or the file was changed).
    WrongPassword,
}

impl KeystoreError {
    fn in_context(self, place: &str, file: &str) -> Error {
        match self {
            Self::Malformed(why) => Error::input(format!("{place}: {why}")),
            Self::WrongPassword => Error::input(format!(
                "wrong Hummingbot password for {file}: {place} does not open with it (or the file was changed); try again"
            )),
        }
    }
}

fn malformed(why: impl Into<String>) -> KeystoreError {
    KeystoreError::Malformed(why.into())
}

#[derive(Deserialize)]
struct Keystore {
    crypto: Crypto,
    #[serde(default)]
    version: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Crypto {
    cipher: String,
    cipherparams: CipherParams,
    ciphertext: String,
    kdf: String,
    kdfparams: serde_json::Map<String, serde_json::Value>,
    mac: String,
}

#[derive(Deserialize)]
struct CipherParams {
    iv: String,
}

#[derive(Deserialize)]
struct Pbkdf2Params {
    c: u64,
    dklen: u64,
    prf: String,
    salt: String,
}

#[derive(Deserialize)]
struct ScryptParams {
    n: u64,
    r: u64,
    p: u64,
    dklen: u64,
    salt: String,
}

/// A key derivation checked against the bounds, ready to run.
enum Kdf {
    Pbkdf2 {
        rounds: u32,
        salt: Vec<u8>,
    },
    Scrypt {
        params: scrypt::Params,
        salt: Vec<u8>,
    },
}

/// The plaintext of one Hummingbot value: hex of keystore JSON. Wiped when dropped.
fn decrypt_value(
    hex_text: &str,
    password: &[u8],
) -> std::result::Result<Zeroizing<Vec<u8>>, KeystoreError> {
    if hex_text.len() > MAX_VALUE_HEX {
        return Err(malformed(format!(
            "the encrypted value is longer than the {} KiB a keystore holds",
            MAX_VALUE_HEX / 1024
        )));
    }
    if hex_text.len() % 2 != 0 {
        return Err(malformed(
            "the encrypted value is not whole hex (odd number of digits): is the file cut short?",
        ));
    }
    let json = hex::decode(hex_text).map_err(|_| malformed("the encrypted value is not hex"))?;
    decrypt_keystore(&json, password)
}

/// The plaintext of one keystore-v3 JSON document, checked by its MAC. Wiped when dropped.
fn decrypt_keystore(
    json: &[u8],
    password: &[u8],
) -> std::result::Result<Zeroizing<Vec<u8>>, KeystoreError> {
    let ks: Keystore = serde_json::from_slice(json).map_err(|e| {
        malformed(format!(
            "the encrypted value is not a keystore ({} at column {}): is the file cut short?",
            match e.classify() {
                serde_json::error::Category::Eof => "it ends early",
                serde_json::error::Category::Syntax => "not JSON",
                _ => "a field is missing or of the wrong type",
            },
            e.column()
        ))
    })?;
    if let Some(v) = &ks.version {
        if v.as_u64() != Some(3) {
            return Err(malformed("the keystore is not version 3"));
        }
    }
    let c = ks.crypto;
    if !c.cipher.eq_ignore_ascii_case("aes-128-ctr") {
        return Err(malformed(format!(
            "the keystore's cipher '{}' is not one Keystead reads (aes-128-ctr)",
            shown_key(&c.cipher)
        )));
    }
    let iv = decode_hex(&c.cipherparams.iv, "iv", 16)?;
    if iv.is_empty() {
        return Err(malformed("the keystore's iv is empty"));
    }
    // Hummingbot writes the iv as a big-endian integer, so leading zero bytes may be missing.
    let mut iv16 = [0u8; 16];
    iv16[16 - iv.len()..].copy_from_slice(&iv);
    let ciphertext = decode_hex(&c.ciphertext, "ciphertext", MAX_CIPHERTEXT)?;
    let mac = decode_hex(&c.mac, "mac", 32)?;
    if mac.len() != 32 {
        return Err(malformed("the keystore's mac is not 32 bytes"));
    }
    let kdf = check_kdf(&c.kdf, c.kdfparams)?;

    let mut dk = Zeroizing::new([0u8; DKLEN]);
    match kdf {
        Kdf::Pbkdf2 { rounds, salt } => {
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, &salt, rounds, dk.as_mut());
        }
        Kdf::Scrypt { params, salt } => {
            scrypt::scrypt(password, &salt, &params, dk.as_mut())
                .map_err(|_| malformed("the keystore's scrypt parameters are invalid"))?;
        }
    }

    use sha3::Digest;
    let mut hasher = sha3::Keccak256::new();
    hasher.update(&dk[16..32]);
    hasher.update(&ciphertext);
    let expected = hasher.finalize();
    if !crate::crypto::mac_eq(&expected, &mac) {
        return Err(KeystoreError::WrongPassword);
    }

    use aes::cipher::{KeyIvInit, StreamCipher};
    let mut plain = Zeroizing::new(ciphertext);
    let mut cipher = ctr::Ctr128BE::<aes::Aes128>::new(dk[..16].into(), (&iv16).into());
    cipher.apply_keystream(&mut plain);
    iv16.zeroize();
    Ok(plain)
}

/// Hex bytes of at most `max` bytes (an optional `0x` allowed), checked before decoding.
fn decode_hex(text: &str, what: &str, max: usize) -> std::result::Result<Vec<u8>, KeystoreError> {
    let t = text.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    if t.len() > 2 * max {
        return Err(malformed(format!(
            "the keystore's {what} is longer than {max} bytes"
        )));
    }
    if t.len() % 2 != 0 {
        return Err(malformed(format!(
            "the keystore's {what} is not whole hex (odd number of digits)"
        )));
    }
    hex::decode(t).map_err(|_| malformed(format!("the keystore's {what} is not hex")))
}

/// The key derivation a keystore names, refused when unknown or beyond the bounds (before any work).
fn check_kdf(
    kdf: &str,
    params: serde_json::Map<String, serde_json::Value>,
) -> std::result::Result<Kdf, KeystoreError> {
    let bad = |what: &str| malformed(format!("the keystore's {what}"));
    let params = serde_json::Value::Object(params);
    match kdf {
        "pbkdf2" => {
            let p: Pbkdf2Params = serde_json::from_value(params)
                .map_err(|_| bad("pbkdf2 parameters are missing or of the wrong type"))?;
            if p.prf != "hmac-sha256" {
                return Err(malformed(format!(
                    "the keystore's pbkdf2 function '{}' is not one Keystead reads (hmac-sha256)",
                    shown_key(&p.prf)
                )));
            }
            if p.dklen != DKLEN as u64 {
                return Err(bad("derived key length is not 32"));
            }
            if p.c == 0 || p.c > u64::from(MAX_PBKDF2_ROUNDS) {
                return Err(malformed(format!(
                    "the keystore's pbkdf2 rounds ({}) are outside 1 to {MAX_PBKDF2_ROUNDS}",
                    p.c
                )));
            }
            let salt = decode_hex(&p.salt, "salt", MAX_SALT)?;
            Ok(Kdf::Pbkdf2 {
                rounds: p.c as u32,
                salt,
            })
        }
        "scrypt" => {
            let p: ScryptParams = serde_json::from_value(params)
                .map_err(|_| bad("scrypt parameters are missing or of the wrong type"))?;
            if p.dklen != DKLEN as u64 {
                return Err(bad("derived key length is not 32"));
            }
            if p.n < 2 || !p.n.is_power_of_two() || p.n.trailing_zeros() > MAX_SCRYPT_LOG_N {
                return Err(malformed(format!(
                    "the keystore's scrypt n ({}) is not a power of two from 2 to 2^{MAX_SCRYPT_LOG_N}",
                    p.n
                )));
            }
            let memory = 128u64.saturating_mul(p.n).saturating_mul(p.r);
            let work = p.n.saturating_mul(p.r).saturating_mul(p.p);
            if p.r == 0 || p.p == 0 || memory > MAX_SCRYPT_MEMORY || work > MAX_SCRYPT_WORK {
                return Err(malformed(format!(
                    "the keystore's scrypt parameters (n {}, r {}, p {}) ask for more than {} MiB or 2^22 rounds",
                    p.n,
                    p.r,
                    p.p,
                    MAX_SCRYPT_MEMORY / (1024 * 1024)
                )));
            }
            let log_n = p.n.trailing_zeros();
            if u64::from(log_n) >= p.r.saturating_mul(16) {
                // RFC 7914 wants n < 2^(16·r); the scrypt crate (like OpenSSL) refuses anything else.
                return Err(malformed(format!(
                    "the keystore's scrypt parameters (n 2^{log_n} with r {}) are outside what scrypt allows (n below 2^(16·r))",
                    p.r
                )));
            }
            let salt = decode_hex(&p.salt, "salt", MAX_SALT)?;
            let params = scrypt::Params::new(log_n as u8, p.r as u32, p.p as u32, DKLEN)
                .map_err(|_| bad("scrypt parameters are invalid"))?;
            Ok(Kdf::Scrypt { params, salt })
        }
        other => Err(malformed(format!(
            "the keystore's key derivation '{}' is not one Keystead reads (pbkdf2, scrypt)",
            shown_key(other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{parse_file, SourceFormat};
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    const FIXTURE_PASSWORD: &str = "hummingbot-fixture-pass";
    const BINANCE_YML: &str = include_str!("../../tests/fixtures/import/hummingbot/binance.yml");
    const OKX_YML: &str = include_str!("../../tests/fixtures/import/hummingbot/okx.yml");
    const HYPERLIQUID_YML: &str =
        include_str!("../../tests/fixtures/import/hummingbot/hyperliquid_perpetual_testnet.yml");
    /// In every secret the hostile tests write; no error may contain it.
    const MARKER: &str = "HBMARKERsecret";

    fn pw(p: &str) -> SecretString {
        SecretString::from(p.to_string())
    }

    fn secret(c: &Candidate, f: CredentialField) -> String {
        c.secrets
            .get(f)
            .map(|s| s.expose_secret().to_string())
            .unwrap_or_default()
    }

    fn parse_as(name: &str, text: &str, password: &str) -> Result<Vec<Candidate>> {
        parse(Path::new(name), text, &pw(password), &mut Vec::new())
    }

    fn err_of(name: &str, text: &str, password: &str) -> String {
        match parse_as(name, text, password) {
            Ok(c) => panic!("{name} parsed to {c:?}"),
            Err(e) => e.to_string(),
        }
    }

    /// A keystore-v3 value as Hummingbot writes it (pbkdf2 with `rounds`), made with the same crates
    /// the reader uses, but through the spec's steps, so the hostile tests can change any part of it.
    fn keystore(value: &str, password: &str, rounds: u32) -> serde_json::Value {
        use aes::cipher::{KeyIvInit, StreamCipher};
        use sha3::Digest;
        let salt = [7u8; 16];
        let iv = [9u8; 16];
        let mut dk = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), &salt, rounds, &mut dk);
        let mut ct = value.as_bytes().to_vec();
        ctr::Ctr128BE::<aes::Aes128>::new(dk[..16].into(), (&iv).into()).apply_keystream(&mut ct);
        let mut h = sha3::Keccak256::new();
        h.update(&dk[16..]);
        h.update(&ct);
        serde_json::json!({
            "crypto": {
                "cipher": "aes-128-ctr",
                "cipherparams": {"iv": hex::encode(iv)},
                "ciphertext": hex::encode(&ct),
                "kdf": "pbkdf2",
                "kdfparams": {"c": rounds, "dklen": 32, "prf": "hmac-sha256", "salt": hex::encode(salt)},
                "mac": hex::encode(h.finalize()),
            },
            "version": 3,
        })
    }

    fn hexed(ks: &serde_json::Value) -> String {
        hex::encode(serde_json::to_string(ks).unwrap())
    }

    fn binance_file(api_key_value: &str) -> String {
        let secret = hexed(&keystore(&format!("{MARKER}-secret"), "pw", 10));
        format!(
            "connector: binance\nbinance_api_key: {api_key_value}\nbinance_api_secret: {secret}\n"
        )
    }

    fn good_key() -> serde_json::Value {
        keystore(&format!("{MARKER}-key"), "pw", 10)
    }

    // -- The Web3 Secret Storage spec's own test vectors ------------------------------------------

    const SPEC_SECRET: &str = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

    #[test]
    fn the_specs_pbkdf2_vector_decrypts_to_its_key() {
        let json = r#"{
            "crypto" : {
                "cipher" : "aes-128-ctr",
                "cipherparams" : { "iv" : "6087dab2f9fdbbfaddc31a909735c1e6" },
                "ciphertext" : "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
                "kdf" : "pbkdf2",
                "kdfparams" : {
                    "c" : 262144,
                    "dklen" : 32,
                    "prf" : "hmac-sha256",
                    "salt" : "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"
                },
                "mac" : "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"
            },
            "id" : "3198bc9c-6672-5ab3-d995-4942343ae5b6",
            "version" : 3
        }"#;
        let plain = decrypt_keystore(json.as_bytes(), b"testpassword")
            .unwrap_or_else(|_| panic!("the spec's vector does not open"));
        assert_eq!(hex::encode(&*plain), SPEC_SECRET);
        assert!(matches!(
            decrypt_keystore(json.as_bytes(), b"testpassworD"),
            Err(KeystoreError::WrongPassword)
        ));
        // Through a Hummingbot file too: the hex of the same document (its secret is 32 raw bytes, not
        // the text Hummingbot encrypts, and is refused as such, after the MAC matched).
        let file = format!(
            "connector: binance\nbinance_api_secret: {}\n",
            hex::encode(json)
        );
        let e = err_of("binance.yml", &file, "testpassword");
        assert!(e.contains("not UTF-8"), "{e}");
        let e = err_of("binance.yml", &file, "testpassworD");
        assert!(e.contains("wrong Hummingbot password"), "{e}");
    }

    #[test]
    fn the_specs_scrypt_vector_is_refused_clearly_and_eth_keyfiles_scrypt_opens() {
        let json = r#"{
            "crypto" : {
                "cipher" : "aes-128-ctr",
                "cipherparams" : { "iv" : "83dbcc02d8ccb40e466191a123791e0e" },
                "ciphertext" : "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
                "kdf" : "scrypt",
                "kdfparams" : {
                    "dklen" : 32,
                    "n" : 262144,
                    "r" : 1,
                    "p" : 8,
                    "salt" : "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19"
                },
                "mac" : "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097"
            },
            "id" : "3198bc9c-6672-5ab3-d995-4942343ae5b6",
            "version" : 3
        }"#;
        // Its r 1 with n 2^18 breaks RFC 7914's n < 2^(16·r), which the scrypt crate enforces (as
        // OpenSSL does): a clear refusal, not a wrong-password message, and no derivation.
        match decrypt_keystore(json.as_bytes(), b"testpassword") {
            Err(KeystoreError::Malformed(why)) => {
                assert!(why.contains("outside what scrypt allows"), "{why}")
            }
            Err(KeystoreError::WrongPassword) => panic!("a wrong-password message"),
            Ok(_) => panic!("opened"),
        }
        // The same key in keystores eth-keyfile's create_keyfile_json wrote (scrypt n 2^14, r 8, p 1,
        // as eth-keyfile and geth write them; and pbkdf2): the spec's secret, with the spec's password.
        for json in [
            include_str!("../../tests/fixtures/import/hummingbot/eth_keyfile_scrypt.json"),
            include_str!("../../tests/fixtures/import/hummingbot/eth_keyfile_pbkdf2.json"),
        ] {
            let plain = decrypt_keystore(json.as_bytes(), b"testpassword")
                .unwrap_or_else(|_| panic!("eth-keyfile's keystore does not open"));
            assert_eq!(hex::encode(&*plain), SPEC_SECRET);
            assert!(matches!(
                decrypt_keystore(json.as_bytes(), b"wrong"),
                Err(KeystoreError::WrongPassword)
            ));
        }
    }

    // -- Files written by the real library (tests/fixtures/import/hummingbot/make_fixtures.py) ----

    #[test]
    fn binance_fixture_decrypts_to_the_exact_values() {
        assert!(looks_like(BINANCE_YML));
        let c = parse_as("binance.yml", BINANCE_YML, FIXTURE_PASSWORD).unwrap();
        assert_eq!(c.len(), 1);
        let c = &c[0];
        assert_eq!(c.exchange.map(|e| e.id), Some("binance"));
        assert_eq!(c.name, "Binance (Hummingbot)");
        assert_eq!(c.location, "binance");
        assert_eq!(c.environment, None);
        assert_eq!(c.secrets.fields().len(), 2);
        assert_eq!(
            secret(c, CredentialField::ApiKey),
            "HBFIXTUREbinanceApiKey0123456789abcdefghijklmnopqrstuvwxyzABCD"
        );
        assert_eq!(
            secret(c, CredentialField::Secret),
            "HBFIXTUREbinanceSecret9876543210zyxwvutsrqponmlkjihgfedcbaZYXW"
        );
    }

    #[test]
    fn okx_fixture_decrypts_key_secret_and_passphrase_even_with_a_short_iv() {
        let c = parse_as("okx.yml", OKX_YML, FIXTURE_PASSWORD).unwrap();
        let c = &c[0];
        assert_eq!(c.exchange.map(|e| e.id), Some("okx"));
        assert_eq!(c.name, "OKX (Hummingbot)");
        assert_eq!(c.secrets.fields().len(), 3);
        assert_eq!(
            secret(c, CredentialField::ApiKey),
            "HBFIXTURE-okx-key-6f1c2a3b-4d5e-6f70-8192-a3b4c5d6e7f8"
        );
        assert_eq!(
            secret(c, CredentialField::Secret),
            "HBFIXTUREOKXSECRET0123456789ABCDEF"
        );
        assert_eq!(
            secret(c, CredentialField::Password),
            "HBFIXTURE pass-phrase é!"
        );
    }

    #[test]
    fn hyperliquid_testnet_fixture_gives_wallet_address_and_private_key_on_testnet() {
        let mut warnings = Vec::new();
        let c = parse(
            Path::new("hyperliquid_perpetual_testnet.yml"),
            HYPERLIQUID_YML,
            &pw(FIXTURE_PASSWORD),
            &mut warnings,
        )
        .unwrap();
        let c = &c[0];
        assert_eq!(c.exchange.map(|e| e.id), Some("hyperliquid"));
        assert_eq!(c.environment, Some(Environment::Testnet));
        assert_eq!(c.name, "Hyperliquid testnet (Hummingbot)");
        assert_eq!(
            secret(c, CredentialField::PrivateKey),
            "0xHBFIXTURE4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
        );
        assert_eq!(
            secret(c, CredentialField::WalletAddress),
            "0xHBFIXTUREaddress00112233445566778899aabbccdd"
        );
        assert_eq!(c.secrets.fields().len(), 2, "use_vault is not a credential");
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn fixtures_are_detected_and_read_through_parse_file() {
        for (name, text) in [("binance.yml", BINANCE_YML), ("okx.yml", OKX_YML)] {
            let path = PathBuf::from("conf/connectors").join(name);
            let parsed =
                parse_file(&path, text.as_bytes(), None, Some(&pw(FIXTURE_PASSWORD))).unwrap();
            assert_eq!(parsed.format, SourceFormat::Hummingbot);
            assert_eq!(parsed.candidates.len(), 1);
            let e = parse_file(&path, text.as_bytes(), None, None).unwrap_err();
            assert!(e.to_string().contains("password is needed"), "{e}");
        }
    }

    #[test]
    fn a_wrong_password_says_so_and_shows_no_secret() {
        for (name, text) in [("binance.yml", BINANCE_YML), ("okx.yml", OKX_YML)] {
            let e = err_of(name, text, "not-the-password");
            assert!(
                e.contains(&format!("wrong Hummingbot password for {name}")),
                "{e}"
            );
            assert!(e.contains("try again"), "{e}");
            assert!(!e.contains("HBFIXTURE") && !e.contains("7b2263"), "{e}");
        }
        let e = parse_file(
            Path::new("binance.yml"),
            BINANCE_YML.as_bytes(),
            Some(SourceFormat::Hummingbot),
            Some(&pw("")),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("wrong Hummingbot password"), "{e}");
    }

    // -- Detection and names -----------------------------------------------------------------------

    #[test]
    fn looks_like_wants_a_connector_line_and_a_keystore_value() {
        assert!(looks_like(&binance_file(&hexed(&good_key()))));
        assert!(!looks_like("connector: binance\nbinance_api_key: abc\n"));
        assert!(!looks_like("binance_api_key: 7b2263727970746f223a\n"));
        assert!(!looks_like(
            "BINANCE_API_KEY=7b2263727970746f223a\nconnector=x\n"
        ));
        assert!(!looks_like(""));
    }

    #[test]
    fn connector_names_give_the_exchange_and_testnet() {
        assert_eq!(exchange_of("binance_perpetual"), ("binance".into(), false));
        assert_eq!(
            exchange_of("binance_paper_trade"),
            ("binance".into(), false)
        );
        assert_eq!(
            exchange_of("bybit_perpetual_testnet"),
            ("bybit".into(), true)
        );
        assert_eq!(exchange_of("gate_io"), ("gate_io".into(), false));
        let key = hexed(&good_key());
        for (connector, id) in [
            ("gate_io", "gate"),
            ("kucoin", "kucoin"),
            ("bybit_perpetual", "bybit"),
        ] {
            let file = format!("connector: {connector}\n{connector}_api_key: {key}\n");
            let c = parse_as("x.yml", &file, "pw").unwrap();
            assert_eq!(c[0].exchange.map(|e| e.id), Some(id), "{connector}");
            assert_eq!(
                secret(&c[0], CredentialField::ApiKey),
                format!("{MARKER}-key")
            );
        }
        // No connector field: the file name says which.
        let file = format!("kucoin_api_key: {key}\nkucoin_secret_key: {key}\n");
        let c = parse_as("kucoin.yml", &file, "pw").unwrap();
        assert_eq!(c[0].exchange.map(|e| e.id), Some("kucoin"));
        assert!(c[0].secrets.get(CredentialField::Secret).is_some());
        // An exchange outside the catalog is kept as a hint.
        let file = format!("connector: foo_bar\nfoo_bar_api_key: {key}\n");
        let c = parse_as("foo_bar.yml", &file, "pw").unwrap();
        assert_eq!(c[0].exchange, None);
        assert_eq!(c[0].exchange_hint.as_deref(), Some("foo_bar"));
        assert_eq!(c[0].name, "Foo Bar (Hummingbot)");
    }

    // -- Hostile and broken files ------------------------------------------------------------------

    fn assert_clean(e: &str) {
        assert!(!e.contains(MARKER), "a secret in the error: {e}");
        assert!(
            !e.contains("7b2263"),
            "an encrypted value in the error: {e}"
        );
        assert!(e.len() < 400, "a long error: {e}");
    }

    #[test]
    fn broken_hex_is_refused_naming_the_field() {
        let key = hexed(&good_key());
        let cases = [
            (key[..key.len() / 2].to_string(), "cut short"),
            (key[..key.len() - 1].to_string(), "odd number"),
            (format!("{}zz", &key[..key.len() - 2]), "not hex"),
            (
                hex::encode(format!("{{\"crypto\": \"{MARKER}\"}}")),
                "not a keystore",
            ),
            (hex::encode(MARKER), "not a keystore"),
        ];
        for (value, why) in cases {
            let e = err_of("binance.yml", &binance_file(&value), "pw");
            assert!(
                e.contains("'binance_api_key'") && e.contains("line 2"),
                "{e}"
            );
            assert!(e.contains(why), "{why}: {e}");
            assert_clean(&e);
        }
        // A plain value under a credential field is not silently imported.
        let e = err_of("binance.yml", &binance_file(MARKER), "pw");
        assert!(e.contains("'binance_api_key'"), "{e}");
        assert_clean(&e);
    }

    #[test]
    fn a_tampered_mac_or_ciphertext_is_a_mac_error() {
        for part in ["mac", "ciphertext"] {
            let mut ks = good_key();
            let v = ks["crypto"][part].as_str().unwrap().to_string();
            let flipped = if v.starts_with('0') { "1" } else { "0" };
            ks["crypto"][part] = format!("{flipped}{}", &v[1..]).into();
            let e = err_of("binance.yml", &binance_file(&hexed(&ks)), "pw");
            assert!(e.contains("wrong Hummingbot password"), "{part}: {e}");
            assert_clean(&e);
        }
        // The untampered one opens (so the test above fails for the right reason).
        assert!(parse_as("binance.yml", &binance_file(&hexed(&good_key())), "pw").is_ok());
    }

    #[test]
    fn hostile_kdf_and_cipher_parameters_are_refused_before_any_derivation() {
        let set = |path: &[&str], v: serde_json::Value| {
            let mut ks = good_key();
            let mut at = &mut ks["crypto"];
            for p in &path[..path.len() - 1] {
                at = &mut at[*p];
            }
            at[path[path.len() - 1]] = v;
            ks
        };
        let scrypt = |n: u64, r: u64, p: u64, dklen: u64| {
            set(
                &["kdfparams"],
                serde_json::json!({"n": n, "r": r, "p": p, "dklen": dklen, "salt": "00"}),
            )
        };
        let scrypt_kdf = |ks: serde_json::Value| {
            let mut ks = ks;
            ks["crypto"]["kdf"] = "scrypt".into();
            ks
        };
        let cases: Vec<(serde_json::Value, &str)> = vec![
            (set(&["kdfparams", "c"], 4_000_000_000u64.into()), "rounds"),
            (set(&["kdfparams", "c"], u64::MAX.into()), "rounds"),
            // Just over the bound: deriving it would take seconds, refusing it takes none.
            (
                set(&["kdfparams", "c"], (MAX_PBKDF2_ROUNDS + 1).into()),
                "rounds",
            ),
            (set(&["kdfparams", "c"], 0.into()), "rounds"),
            (set(&["kdfparams", "c"], "1000".into()), "wrong type"),
            (set(&["kdfparams", "c"], (-5).into()), "wrong type"),
            (set(&["kdfparams", "dklen"], 64.into()), "length"),
            (
                set(&["kdfparams", "prf"], "hmac-sha512".into()),
                "hmac-sha512",
            ),
            (
                set(&["kdfparams", "salt"], "ab".repeat(5000).into()),
                "salt",
            ),
            (set(&["kdf"], "argon2id".into()), "argon2id"),
            (set(&["kdf"], serde_json::Value::Null), "not a keystore"),
            (set(&["cipher"], "aes-256-gcm".into()), "aes-256-gcm"),
            (set(&["cipherparams", "iv"], "00".repeat(17).into()), "iv"),
            (set(&["cipherparams", "iv"], "".into()), "iv"),
            (set(&["mac"], "00".repeat(31).into()), "mac"),
            (
                set(&["ciphertext"], "00".repeat(64 * 1024 + 1).into()),
                "ciphertext",
            ),
            (scrypt_kdf(scrypt(1 << 30, 8, 1, 32)), "power of two"),
            (scrypt_kdf(scrypt(1000, 8, 1, 32)), "power of two"),
            (scrypt_kdf(scrypt(0, 8, 1, 32)), "power of two"),
            (scrypt_kdf(scrypt(1 << 20, 8, 1, 32)), "MiB"),
            (scrypt_kdf(scrypt(1 << 14, 8, 1 << 20, 32)), "MiB"),
            (scrypt_kdf(scrypt(1 << 14, u64::MAX, u64::MAX, 32)), "MiB"),
            (scrypt_kdf(scrypt(1 << 14, 0, 1, 32)), "MiB"),
            (scrypt_kdf(scrypt(1 << 14, 8, 1, 16)), "length"),
            (
                scrypt_kdf(scrypt(1 << 18, 1, 8, 32)),
                "outside what scrypt allows",
            ),
            (
                scrypt_kdf(set(&["kdfparams", "c"], 1.into())),
                "scrypt parameters",
            ),
        ];
        for (ks, why) in cases {
            let file = binance_file(&hexed(&ks));
            let started = Instant::now();
            let e = err_of("binance.yml", &file, "pw");
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{why}: took {:?}",
                started.elapsed()
            );
            assert!(
                e.contains(why) && e.contains("'binance_api_key'"),
                "{why}: {e}"
            );
            assert!(!e.contains("wrong Hummingbot password"), "{why}: {e}");
            assert_clean(&e);
        }
        // Keystead's own bounds are no stricter than what real keystores use: the spec's scrypt
        // geth's standard (n 2^18, r 8, p 1) and light (n 2^12, r 8, p 6) keystores pass the check.
        for (n, r, p) in [(1u64 << 18, 8u64, 1u64), (1 << 12, 8, 6)] {
            let params = serde_json::json!({"n": n, "r": r, "p": p, "dklen": 32, "salt": "00"});
            assert!(check_kdf("scrypt", params.as_object().unwrap().clone()).is_ok());
        }
    }

    #[test]
    fn a_secret_that_is_not_utf8_is_refused() {
        use aes::cipher::{KeyIvInit, StreamCipher};
        use sha3::Digest;
        let mut ks = good_key();
        let mut dk = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"pw", &[7u8; 16], 10, &mut dk);
        let mut ct = vec![0xff, 0xfe, 0x00];
        ctr::Ctr128BE::<aes::Aes128>::new(dk[..16].into(), (&[9u8; 16]).into())
            .apply_keystream(&mut ct);
        let mut h = sha3::Keccak256::new();
        h.update(&dk[16..]);
        h.update(&ct);
        ks["crypto"]["ciphertext"] = hex::encode(&ct).into();
        ks["crypto"]["mac"] = hex::encode(h.finalize()).into();
        let e = err_of("binance.yml", &binance_file(&hexed(&ks)), "pw");
        assert!(e.contains("not UTF-8"), "{e}");
    }

    #[test]
    fn broken_yaml_and_wrong_types_are_clear_errors() {
        let key = hexed(&good_key());
        let deep_flow = format!(
            "connector: binance\nbinance_api_key: {key}\nx: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let mut deep_block = format!("connector: binance\nbinance_api_key: {key}\nx:\n");
        for i in 0..200 {
            deep_block.push_str(&" ".repeat(i + 1));
            deep_block.push_str("a:\n");
        }
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "empty"),
            ("# only a comment\n".into(), "empty"),
            (
                format!("connector: [binance\nbinance_api_key: {key}\n"),
                "YAML",
            ),
            (
                format!("connector: binance\nbinance_api_key: \"{MARKER}\n"),
                "YAML",
            ),
            (
                format!("connector: binance\n\tbinance_api_key: {key}\n"),
                "YAML",
            ),
            (format!("- connector\n- {key}\n"), "not a mapping"),
            (format!("{key}\n"), "not a mapping"),
            (
                format!("connector: binance\nbinance_api_key: [{MARKER}, b]\n"),
                "a list",
            ),
            (
                format!("connector: binance\nbinance_api_key: {{a: {MARKER}}}\n"),
                "a mapping",
            ),
            (
                format!("connector: binance\nbinance_api_key: &a {key}\nbinance_api_secret: *a\n"),
                "an alias",
            ),
            (
                format!("connector: [binance]\nbinance_api_key: {key}\n"),
                "'connector' is not text",
            ),
            (
                format!("connector: bin ance\nbinance_api_key: {key}\n"),
                "not a connector name",
            ),
            (
                format!("connector: binance\n[a]: 1\nbinance_api_key: {key}\n"),
                "field name",
            ),
            (
                format!("connector: binance\nbinance_api_key: {key}\nbinance_api_key: {key}\n"),
                "twice",
            ),
            (
                format!("connector: binance\nbinance_api_key: {key}\nbinance_key: {key}\n"),
                "second",
            ),
            (
                format!("connector: binance\nbinance_api_key: {key}\n---\nconnector: okx\n"),
                "second YAML document",
            ),
            (
                "connector: binance\nuse_vault: true\nrate: 1.5\n".into(),
                "no encrypted credential",
            ),
            (deep_flow, "YAML"),
            (deep_block, "deep"),
        ];
        for (text, why) in cases {
            let e = err_of("binance.yml", &text, "pw");
            assert!(e.contains(why), "{why}: {e}");
            assert_clean(&e);
        }
    }

    #[test]
    fn plain_fields_are_ignored_and_unknown_encrypted_ones_are_warned_about() {
        let key = hexed(&good_key());
        let file = format!(
            "########\n# binance config\n########\n\nconnector: binance\nuse_vault: false\nfee: 0.1\nbinance_api_key: '{key}'\nbinance_sub_account: {key}\nbinance_api_secret: ~\n"
        );
        let mut warnings = Vec::new();
        let c = parse(Path::new("binance.yml"), &file, &pw("pw"), &mut warnings).unwrap();
        assert_eq!(c[0].secrets.fields().len(), 1);
        assert_eq!(
            secret(&c[0], CredentialField::ApiKey),
            format!("{MARKER}-key")
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("binance_sub_account") && warnings[0].contains("line 9"));
        assert!(!warnings[0].contains(MARKER) && !warnings[0].contains("7b2263"));
    }
}
