//! Share files: keys passed to teammates in the age format, so the standard `age` tool opens them too.
//!
//! Each vault has a sharing identity: an age X25519 key pair (files are encrypted to it) and an Ed25519
//! signing key (age says nothing about who made a file, so the payload is signed). Its public half is one
//! pasteable line, the *sharing key*:
//!
//! ```text
//! keystead-share1:<age X25519 recipient, age1…>:<Ed25519 public key, unpadded base64url>
//! ```
//!
//! A plain `age1…` recipient is accepted wherever a sharing key is, for people with only the `age` tool;
//! files from them cannot be attributed. The decrypted payload is one JSON document:
//!
//! ```json
//! {"format": "keystead-share", "version": 1,
//!  "payload": {"exported_at": "…", "exported_by": {"name": "…", "sharing_key": "keystead-share1:…"},
//!              "to": ["contact bob (ABCD-…)", "age1…"],
//!              "entries": [{"id": "…", "name": "…", "exchange": "binance", "account": null,
//!                           "environment": "production", "scopes": ["read"], "exchange_scopes": [],
//!                           "ip_allowlist": [], "expires_at": null, "rotation_days": 90, "tags": [],
//!                           "notes": "", "secrets": {"apiKey": "…", "secret": "…"}}]},
//!  "signature": {"alg": "ed25519", "public_key": "<base64url>", "value": "<base64url>"}}
//! ```
//!
//! The signature covers the exact bytes of `payload` as they appear in the file. Without `signature` the
//! file imports as *unsigned*. Every limit below is checked before the document is trusted, and an import
//! is previewed in memory before anything is written.

use crate::crypto;
use crate::error::{Error, Result};
use crate::model::{Environment, Scope};
use crate::secret::{CredentialField, SecretFields};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{Read, Write};
use std::path::Path;
use std::str::FromStr;
use uuid::Uuid;
use zeroize::Zeroizing;

/// `format` of the payload document.
pub const FORMAT: &str = "keystead-share";
/// `version` of the payload document this Keystead writes and reads.
pub const VERSION: u64 = 1;
/// Prefix of the one-line sharing key.
pub const SHARING_KEY_PREFIX: &str = "keystead-share1";
/// Largest share file accepted (encrypted or decrypted).
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// Most keys in one share file.
pub const MAX_ENTRIES: usize = 1000;
/// Deepest JSON nesting accepted (the format needs 5).
pub const MAX_DEPTH: usize = 16;
/// Longest JSON string accepted anywhere in the document, in bytes.
pub const MAX_STRING_BYTES: usize = 64 * 1024;
/// Highest scrypt work factor (log2 N) a passphrase file may ask for: 2^22 is about 4 GiB·s of work.
/// More is refused before deriving, so a hostile file cannot tie up the machine.
pub const MAX_SCRYPT_WORK_FACTOR: u8 = 22;
/// Longest secret value accepted (a PEM private key is a few KiB).
const MAX_SECRET_BYTES: usize = 16 * 1024;
/// Most items in one list of an entry (scopes, tags, IP allowlist).
const MAX_LIST_ITEMS: usize = 256;

fn refused(reason: impl Into<String>) -> Error {
    Error::ShareRefused {
        reason: reason.into(),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Sharing keys and the identity
// ---------------------------------------------------------------------------------------------------------

/// Someone's public sharing key: an age recipient, and (unless given as a plain `age1…` key) the Ed25519
/// key their files are signed with.
#[derive(Clone, PartialEq, Eq)]
pub struct SharingKey {
    /// The age recipient in its canonical form (`age1…`, lower case).
    age: String,
    signing: Option<[u8; 32]>,
}

impl SharingKey {
    /// Parses the one-line sharing key or a plain `age1…` recipient. Surrounding white space is dropped;
    /// anything else that is not exactly one of the two forms is refused.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |detail: &str| Error::BadSharingKey {
            detail: detail.to_string(),
        };
        let t = text.trim();
        if t.is_empty() {
            return Err(bad("it is empty"));
        }
        if t.len() > 512 {
            return Err(bad("it is far longer than a sharing key"));
        }
        if t.chars().any(char::is_whitespace) {
            return Err(bad(
                "it contains spaces or line breaks; paste it as one line",
            ));
        }
        let (age_part, signing) = if let Some(rest) = t
            .strip_prefix(SHARING_KEY_PREFIX)
            .and_then(|r| r.strip_prefix(':'))
        {
            let mut parts = rest.split(':');
            let (Some(age_part), Some(ed), None) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(bad("a keystead-share1 key has exactly two parts after the prefix, separated by ':'"));
            };
            (
                age_part,
                Some(parse_verifying_key(ed).map_err(|e| bad(&e))?),
            )
        } else if t.to_ascii_lowercase().starts_with("age1") {
            (t, None)
        } else if t.starts_with("AGE-SECRET-KEY-") {
            return Err(bad(
                "this is a SECRET age key; never share it. Give the public key (age1…) instead",
            ));
        } else {
            return Err(bad("it starts with neither keystead-share1: nor age1"));
        };
        let recipient = age::x25519::Recipient::from_str(age_part)
            .map_err(|e| bad(&format!("the age public key is invalid: {e}")))?;
        Ok(Self {
            age: recipient.to_string(),
            signing: signing.map(|k| k.to_bytes()),
        })
    }

    /// The age recipient (`age1…`).
    pub fn age_recipient(&self) -> &str {
        &self.age
    }

    /// Whether files signed by this key's owner can be attributed to them.
    pub fn can_verify(&self) -> bool {
        self.signing.is_some()
    }

    pub(crate) fn signing_key_bytes(&self) -> Option<[u8; 32]> {
        self.signing
    }

    fn recipient(&self) -> Result<age::x25519::Recipient> {
        age::x25519::Recipient::from_str(&self.age).map_err(|e| Error::BadSharingKey {
            detail: e.to_string(),
        })
    }

    /// A short digest of the public parts to compare by voice: four groups of four hex digits
    /// (64 bits of SHA-256 over the age recipient and the Ed25519 key).
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"keystead sharing key fingerprint v1\0");
        h.update(self.age.as_bytes());
        h.update([0u8]);
        if let Some(k) = &self.signing {
            h.update(k);
        }
        let d = h.finalize();
        let hex: String = d[..8].iter().map(|b| format!("{b:02X}")).collect();
        format!(
            "{}-{}-{}-{}",
            &hex[0..4],
            &hex[4..8],
            &hex[8..12],
            &hex[12..16]
        )
    }
}

impl fmt::Display for SharingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.signing {
            Some(k) => write!(
                f,
                "{SHARING_KEY_PREFIX}:{}:{}",
                self.age,
                URL_SAFE_NO_PAD.encode(k)
            ),
            None => f.write_str(&self.age),
        }
    }
}

impl fmt::Debug for SharingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SharingKey({self})")
    }
}

fn parse_verifying_key(b64: &str) -> std::result::Result<VerifyingKey, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(b64)
        .map_err(|_| "the signing key is not unpadded base64url".to_string())?;
    let bytes: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| format!("the signing key is {} bytes, not 32", bytes.len()))?;
    let key = VerifyingKey::from_bytes(&bytes)
        .map_err(|_| "the signing key is not a valid Ed25519 public key".to_string())?;
    if key.is_weak() {
        return Err("the signing key is a weak Ed25519 key".into());
    }
    Ok(key)
}

/// This vault's sharing identity: the age X25519 secret key and the Ed25519 signing key. No `Debug` of
/// the secret parts; both are wiped when dropped (the age and dalek types zeroize themselves).
pub struct ShareIdentity {
    age: age::x25519::Identity,
    signing: SigningKey,
}

impl fmt::Debug for ShareIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShareIdentity")
            .field("sharing_key", &self.sharing_key().to_string())
            .finish_non_exhaustive()
    }
}

/// The sealed form of a [`ShareIdentity`].
#[derive(Serialize, Deserialize)]
struct SealedIdentity<'a> {
    age: &'a str,
    ed25519: &'a str,
}

impl ShareIdentity {
    /// A fresh identity from the OS random source.
    pub(crate) fn generate() -> Self {
        let seed = Zeroizing::new(crypto::random_bytes::<32>());
        Self {
            age: age::x25519::Identity::generate(),
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// The public half, as teammates paste it.
    pub fn sharing_key(&self) -> SharingKey {
        SharingKey {
            age: self.age.to_public().to_string(),
            signing: Some(self.signing.verifying_key().to_bytes()),
        }
    }

    /// The secret parts as JSON in a buffer wiped on drop; sealed into the vault like any record.
    pub(crate) fn to_sealed_json(&self) -> Zeroizing<Vec<u8>> {
        let age = self.age.to_string();
        let ed = Zeroizing::new(URL_SAFE_NO_PAD.encode(self.signing.to_bytes()));
        let mut out = Zeroizing::new(Vec::with_capacity(256));
        let _ = serde_json::to_writer(
            &mut *out,
            &SealedIdentity {
                age: age.expose_secret(),
                ed25519: &ed,
            },
        );
        out
    }

    pub(crate) fn from_sealed_json(bytes: &[u8]) -> Option<Self> {
        let sealed: SealedIdentity<'_> = serde_json::from_slice(bytes).ok()?;
        let age = age::x25519::Identity::from_str(sealed.age).ok()?;
        let seed = Zeroizing::new(URL_SAFE_NO_PAD.decode(sealed.ed25519).ok()?);
        let seed: Zeroizing<[u8; 32]> = Zeroizing::new(seed.as_slice().try_into().ok()?);
        Some(Self {
            age,
            signing: SigningKey::from_bytes(&seed),
        })
    }
}

/// A sharing key as the UI and `keystead whoami` show it.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharingKeyInfo {
    /// The one line to give teammates.
    pub sharing_key: String,
    /// The age public key alone, for people with only the `age` tool.
    pub age_recipient: String,
    /// Four groups of four hex digits, to compare by voice.
    pub fingerprint: String,
}

impl From<&SharingKey> for SharingKeyInfo {
    fn from(k: &SharingKey) -> Self {
        Self {
            sharing_key: k.to_string(),
            age_recipient: k.age.clone(),
            fingerprint: k.fingerprint(),
        }
    }
}

/// A teammate: a name and their sharing key.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: Uuid,
    pub name: String,
    /// As it was pasted, normalised: the keystead-share1 line, or a plain age1… key.
    pub sharing_key: String,
    pub age_recipient: String,
    /// False for a contact added by a plain age1… key: files from them cannot be attributed.
    pub can_verify: bool,
    pub fingerprint: String,
    pub added_at: DateTime<Utc>,
}

// ---------------------------------------------------------------------------------------------------------
// Encrypting and decrypting
// ---------------------------------------------------------------------------------------------------------

/// Who can open a file being written: age public keys, or a passphrase alone (age's scrypt recipient must
/// be the only one).
pub(crate) enum Seal<'a> {
    Recipients(&'a [SharingKey]),
    Passphrase {
        passphrase: &'a SecretString,
        /// log2 of scrypt's N; `None` lets age pick about one second of work on this machine.
        work_factor: Option<u8>,
    },
}

/// Encrypts `plain` in memory; the result is the whole share file.
pub(crate) fn encrypt(plain: &[u8], seal: Seal<'_>, armor: bool) -> Result<Vec<u8>> {
    let failed = |e: &dyn fmt::Display| Error::Storage(format!("encrypting the share file: {e}"));
    let encryptor = match seal {
        Seal::Recipients(keys) => {
            if keys.is_empty() {
                return Err(Error::input(
                    "no recipient: name at least one contact or age1… key, or use a passphrase",
                ));
            }
            let recipients = keys
                .iter()
                .map(SharingKey::recipient)
                .collect::<Result<Vec<_>>>()?;
            age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|e| failed(&e))?
        }
        Seal::Passphrase {
            passphrase,
            work_factor,
        } => {
            let mut r = age::scrypt::Recipient::new(passphrase.clone());
            if let Some(n) = work_factor {
                if !(1..=MAX_SCRYPT_WORK_FACTOR).contains(&n) {
                    return Err(Error::input(format!(
                        "the scrypt work factor must be between 1 and {MAX_SCRYPT_WORK_FACTOR}"
                    )));
                }
                r.set_work_factor(n);
            }
            age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
                .map_err(|e| failed(&e))?
        }
    };
    // The ciphertext is about the plaintext's size; one allocation up front.
    let mut out = Vec::with_capacity(plain.len() * 4 / 3 + 1024);
    let format = if armor {
        age::armor::Format::AsciiArmor
    } else {
        age::armor::Format::Binary
    };
    let armored =
        age::armor::ArmoredWriter::wrap_output(&mut out, format).map_err(|e| failed(&e))?;
    let mut writer = encryptor.wrap_output(armored).map_err(|e| failed(&e))?;
    writer.write_all(plain).map_err(|e| failed(&e))?;
    writer
        .finish()
        .and_then(|a| a.finish())
        .map_err(|e| failed(&e))?;
    Ok(out)
}

/// Whether a share file is protected by a passphrase (then it opens with the passphrase only).
pub fn is_passphrase_protected(file: &[u8]) -> Result<bool> {
    Ok(decryptor(file)?.is_scrypt())
}

type FileDecryptor<'a> = age::Decryptor<age::armor::ArmoredReader<std::io::BufReader<&'a [u8]>>>;

fn decryptor(file: &[u8]) -> Result<FileDecryptor<'_>> {
    if file.len() > MAX_FILE_BYTES {
        return Err(refused(format!(
            "it is larger than {} MiB",
            MAX_FILE_BYTES / 1024 / 1024
        )));
    }
    if file.is_empty() {
        return Err(refused("the file is empty"));
    }
    age::Decryptor::new_buffered(age::armor::ArmoredReader::new(file)).map_err(|e| match e {
        age::DecryptError::UnknownFormat => refused(
            "it is not in the age format this Keystead reads (a newer age version, or not a share file)",
        ),
        age::DecryptError::Io(e) => refused(format!(
            "it is not an age file, or it is truncated or damaged ({e})"
        )),
        e => refused(format!("its age header is damaged ({e})")),
    })
}

/// Decrypts a share file in memory with this vault's identity, or with the passphrase when the file is
/// protected by one. The plaintext lives in a buffer wiped on drop.
pub(crate) fn decrypt(
    file: &[u8],
    identity: Option<&ShareIdentity>,
    passphrase: Option<&SecretString>,
) -> Result<Zeroizing<Vec<u8>>> {
    let d = decryptor(file)?;
    let scrypt = d.is_scrypt();
    let reader = if scrypt {
        let passphrase = passphrase.ok_or(Error::SharePassphraseNeeded)?;
        let mut id = age::scrypt::Identity::new(passphrase.clone());
        id.set_max_work_factor(MAX_SCRYPT_WORK_FACTOR);
        d.decrypt(std::iter::once(&id as &dyn age::Identity))
    } else {
        let identity = identity.ok_or(Error::ShareNotForYou)?;
        d.decrypt(std::iter::once(&identity.age as &dyn age::Identity))
    }
    .map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => Error::ShareNotForYou,
        age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed if scrypt => {
            Error::WrongSharePassphrase
        }
        age::DecryptError::ExcessiveWork { required, .. } => refused(format!(
            "its passphrase protection asks for scrypt work factor {required}, above the {MAX_SCRYPT_WORK_FACTOR} this Keystead allows"
        )),
        age::DecryptError::InvalidMac => refused("its age header was altered (the header MAC does not match)"),
        e => refused(format!("it does not decrypt ({e})")),
    })?;
    // The plaintext is never longer than the file, so this buffer never reallocates (a reallocation
    // would leave a copy of the secrets behind in freed memory).
    let mut plain = Zeroizing::new(Vec::with_capacity(file.len() + 1));
    let mut limited = reader.take(MAX_FILE_BYTES as u64 + 1);
    let mut chunk = Zeroizing::new([0u8; 8192]);
    loop {
        let n = limited.read(&mut chunk[..]).map_err(|e| {
            refused(format!(
                "its contents do not decrypt: altered, truncated or damaged ({e})"
            ))
        })?;
        if n == 0 {
            break;
        }
        if plain.len() + n > plain.capacity() || plain.len() + n > MAX_FILE_BYTES {
            return Err(refused(format!(
                "its contents are larger than {} MiB",
                MAX_FILE_BYTES / 1024 / 1024
            )));
        }
        plain.extend_from_slice(&chunk[..n]);
    }
    Ok(plain)
}

/// Writes a share file atomically: a temporary file in the same folder, written and flushed to disk, then
/// renamed over `path` (or, with `overwrite` false, refused if `path` exists), then the folder is flushed.
/// A crash leaves either no file or the whole file.
pub fn write_file(path: &Path, bytes: &[u8], overwrite: bool) -> Result<()> {
    let io =
        |what: &str, e: std::io::Error| Error::Storage(format!("{what} {}: {e}", path.display()));
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !overwrite && path.exists() {
        return Err(Error::input(format!(
            "{} already exists: choose another file name, or move that file away first",
            path.display()
        )));
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".keystead-share-")
        .tempfile_in(dir)
        .map_err(|e| io("cannot create a temporary file beside", e))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| io("cannot write", e))?;
    if overwrite {
        tmp.persist(path).map_err(|e| io("cannot save", e.error))?;
    } else {
        tmp.persist_noclobber(path)
            .map_err(|e| io("cannot save", e.error))?;
    }
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        // The rename is durable only once the folder entry is on disk.
        let _ = d.sync_all();
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------------------------------------

/// Who made a file, as written in its payload.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireSender {
    #[serde(default)]
    name: Option<String>,
    sharing_key: String,
}

#[derive(Serialize)]
pub(crate) struct WireEntryOut<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub exchange: &'a str,
    pub account: Option<&'a str>,
    pub environment: Environment,
    pub scopes: Vec<&'static str>,
    pub exchange_scopes: &'a [String],
    pub ip_allowlist: &'a [String],
    pub expires_at: Option<DateTime<Utc>>,
    pub rotation_days: Option<u32>,
    pub tags: &'a [String],
    pub notes: &'a str,
    pub secrets: BTreeMap<&'static str, &'a str>,
}

#[derive(Serialize)]
struct WirePayloadOut<'a> {
    exported_at: DateTime<Utc>,
    exported_by: WireSender,
    to: &'a [String],
    entries: &'a [WireEntryOut<'a>],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireEntryIn {
    #[serde(default)]
    id: Option<Uuid>,
    name: String,
    exchange: String,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    environment: Option<Environment>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    exchange_scopes: Vec<String>,
    #[serde(default)]
    ip_allowlist: Vec<String>,
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    rotation_days: Option<u32>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    notes: String,
    secrets: BTreeMap<String, Zeroizing<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WirePayloadIn {
    #[serde(default)]
    exported_at: Option<DateTime<Utc>>,
    #[serde(default)]
    exported_by: Option<WireSender>,
    #[serde(default)]
    to: Vec<String>,
    entries: Vec<WireEntryIn>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireSignature {
    alg: String,
    public_key: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireEnvelopeIn<'a> {
    format: String,
    version: u64,
    #[serde(borrow)]
    payload: &'a RawValue,
    #[serde(default)]
    signature: Option<WireSignature>,
}

/// Serializes `value` into a buffer sized exactly once (measured first), so no reallocation leaves a
/// partial copy of the secrets behind.
fn to_zeroizing_json<T: Serialize>(value: &T) -> Result<Zeroizing<Vec<u8>>> {
    struct Count(usize);
    impl Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let fail = |e: serde_json::Error| Error::Storage(format!("writing the share document: {e}"));
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).map_err(fail)?;
    let mut out = Zeroizing::new(Vec::with_capacity(count.0));
    serde_json::to_writer(&mut *out, value).map_err(fail)?;
    Ok(out)
}

/// The signed document, ready to encrypt.
pub(crate) fn build_document(
    identity: &ShareIdentity,
    sender_name: Option<&str>,
    exported_at: DateTime<Utc>,
    to: &[String],
    entries: &[WireEntryOut<'_>],
) -> Result<Zeroizing<Vec<u8>>> {
    let payload = to_zeroizing_json(&WirePayloadOut {
        exported_at,
        exported_by: WireSender {
            name: sender_name.map(str::to_string),
            sharing_key: identity.sharing_key().to_string(),
        },
        to,
        entries,
    })?;
    let signature = identity.signing.sign(&payload);
    let sig = serde_json::to_vec(&WireSignature {
        alg: "ed25519".into(),
        public_key: URL_SAFE_NO_PAD.encode(identity.signing.verifying_key().to_bytes()),
        value: URL_SAFE_NO_PAD.encode(signature.to_bytes()),
    })
    .map_err(|e| Error::Storage(e.to_string()))?;
    let head = format!(r#"{{"format":"{FORMAT}","version":{VERSION},"payload":"#);
    let mut doc = Zeroizing::new(Vec::with_capacity(
        head.len() + payload.len() + sig.len() + 16,
    ));
    doc.extend_from_slice(head.as_bytes());
    doc.extend_from_slice(&payload);
    doc.extend_from_slice(b",\"signature\":");
    doc.extend_from_slice(&sig);
    doc.extend_from_slice(b"}");
    Ok(doc)
}

/// Checks nesting depth and string lengths by scanning the text, before any parser builds values
/// (a deeply nested document would otherwise recurse in the parser).
fn check_shape(text: &str) -> Result<()> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut string_len = 0usize;
    for &b in text.as_bytes() {
        if in_string {
            string_len += 1;
            if string_len > MAX_STRING_BYTES {
                return Err(refused(format!(
                    "it holds a text longer than {} KiB",
                    MAX_STRING_BYTES / 1024
                )));
            }
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                string_len = 0;
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(refused(format!(
                        "its document is nested deeper than {MAX_DEPTH} levels"
                    )));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A parser message without the values it may quote (a misplaced secret must not reach an error).
fn json_error(what: &str, e: &serde_json::Error) -> Error {
    let mut msg = String::new();
    let mut quoted = false;
    for c in e.to_string().chars() {
        if c == '"' {
            if !quoted {
                msg.push_str("\"…");
            }
            quoted = !quoted;
        }
        if !quoted {
            msg.push(c);
        }
    }
    refused(format!("{what} is malformed: {msg}"))
}

/// How a file's sender is known.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ShareSender {
    /// Signed by the signing key of this contact.
    Contact { name: String, fingerprint: String },
    /// Signed, but by a key no contact has. `claimed_name` is what the file says, unverified.
    UnknownSender {
        fingerprint: String,
        sharing_key: String,
        claimed_name: Option<String>,
    },
    /// No signature (e.g. a document wrapped with `age -r`): anyone who knows your sharing key could
    /// have made it.
    Unsigned,
}

impl ShareSender {
    /// In words, for the audit log and rotation reasons.
    pub fn describe(&self) -> String {
        match self {
            Self::Contact { name, fingerprint } => format!("contact {name} ({fingerprint})"),
            Self::UnknownSender {
                fingerprint,
                claimed_name,
                ..
            } => match claimed_name {
                Some(n) => format!("an unknown sender claiming to be {n} ({fingerprint})"),
                None => format!("an unknown sender ({fingerprint})"),
            },
            Self::Unsigned => "an unsigned file".into(),
        }
    }
}

/// One key of an opened share file: checked metadata and its secrets.
pub(crate) struct SharedKey {
    pub id: Option<Uuid>,
    pub checked: crate::vault::CheckedKey,
    pub secrets: SecretFields,
}

/// A decrypted, verified and validated share file, held in memory between preview and apply. Holds the
/// secrets: no `Debug` of them, no `Serialize`, wiped on drop.
pub struct OpenedShare {
    pub(crate) signer: Option<SharingKey>,
    pub(crate) claimed_name: Option<String>,
    pub(crate) exported_at: Option<DateTime<Utc>>,
    pub(crate) to: Vec<String>,
    pub(crate) entries: Vec<SharedKey>,
}

impl fmt::Debug for OpenedShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedShare")
            .field("signer", &self.signer)
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl OpenedShare {
    /// How many keys the file holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Decrypts, verifies and validates a share file, all in memory. Fails with a clear error for anything
/// out of bounds or malformed; never touches a vault.
pub fn open(
    file: &[u8],
    identity: Option<&ShareIdentity>,
    passphrase: Option<&SecretString>,
) -> Result<OpenedShare> {
    let plain = decrypt(file, identity, passphrase)?;
    parse_document(&plain)
}

/// Parses and checks the decrypted document.
pub(crate) fn parse_document(plain: &[u8]) -> Result<OpenedShare> {
    let text = std::str::from_utf8(plain).map_err(|e| {
        refused(format!(
            "its document is not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    check_shape(text)?;
    let envelope: WireEnvelopeIn<'_> =
        serde_json::from_str(text).map_err(|e| json_error("its document", &e))?;
    if envelope.format != FORMAT {
        return Err(refused(format!(
            "it is not a Keystead share (format {:?}, expected {FORMAT:?})",
            envelope.format.chars().take(40).collect::<String>()
        )));
    }
    if envelope.version != VERSION {
        return Err(if envelope.version > VERSION {
            refused(format!(
                "it was made by a newer Keystead (share format version {}; this one reads {VERSION}): update Keystead",
                envelope.version
            ))
        } else {
            refused(format!(
                "its share format version {} is not valid",
                envelope.version
            ))
        });
    }
    let payload: WirePayloadIn =
        serde_json::from_str(envelope.payload.get()).map_err(|e| json_error("its payload", &e))?;

    let claimed = payload
        .exported_by
        .as_ref()
        .map(|s| {
            let key = SharingKey::parse(&s.sharing_key)
                .map_err(|e| refused(format!("the sender's sharing key in it is invalid ({e})")))?;
            let name = s
                .name
                .as_deref()
                .map(|n| crate::parse::text("sender name", n.trim(), 128))
                .transpose()
                .map_err(|e| refused(e.to_string()))?
                .filter(|n| !n.is_empty());
            Ok::<_, Error>((key, name))
        })
        .transpose()?;
    let signer = match &envelope.signature {
        None => None,
        Some(sig) => Some(verify(
            sig,
            envelope.payload.get().as_bytes(),
            claimed.as_ref().map(|c| &c.0),
        )?),
    };
    let claimed_name = claimed.and_then(|c| c.1);

    if payload.entries.is_empty() {
        return Err(refused("it holds no keys"));
    }
    if payload.entries.len() > MAX_ENTRIES {
        return Err(refused(format!(
            "it holds {} keys; at most {MAX_ENTRIES} are accepted in one file",
            payload.entries.len()
        )));
    }
    if payload.to.len() > MAX_LIST_ITEMS {
        return Err(refused("it names too many recipients"));
    }
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut entries = Vec::with_capacity(payload.entries.len());
    for (i, wire) in payload.entries.into_iter().enumerate() {
        let shared = check_entry(wire).map_err(|e| match e {
            Error::ShareRefused { .. } => e,
            other => refused(format!("key #{} is invalid: {other}", i + 1)),
        })?;
        if let Some(id) = shared.id {
            if !ids.insert(id) {
                return Err(refused(format!("key id {id} appears twice")));
            }
        }
        if !names.insert(shared.checked.name.to_lowercase()) {
            return Err(refused(format!(
                "the key name '{}' appears twice",
                shared.checked.name
            )));
        }
        entries.push(shared);
    }
    Ok(OpenedShare {
        signer,
        claimed_name,
        exported_at: payload.exported_at,
        to: payload
            .to
            .into_iter()
            .map(|t| t.chars().take(200).collect())
            .collect(),
        entries,
    })
}

/// Verifies the signature over the payload bytes. A signature that is present must verify, and must be
/// by the key the payload names as its sender.
fn verify(sig: &WireSignature, payload: &[u8], claimed: Option<&SharingKey>) -> Result<SharingKey> {
    let bad = |detail: &str| Error::BadSignature {
        detail: detail.to_string(),
    };
    if sig.alg != "ed25519" {
        return Err(bad("it names an unknown signature algorithm"));
    }
    let key = parse_verifying_key(&sig.public_key).map_err(|e| bad(&e))?;
    let value = URL_SAFE_NO_PAD
        .decode(&sig.value)
        .map_err(|_| bad("the signature is not unpadded base64url"))?;
    let value: [u8; 64] = value
        .as_slice()
        .try_into()
        .map_err(|_| bad("the signature has the wrong length"))?;
    key.verify_strict(payload, &ed25519_dalek::Signature::from_bytes(&value))
        .map_err(|_| bad("the payload does not match its signature"))?;
    let claimed = claimed.ok_or_else(|| bad("the payload does not say who signed it"))?;
    if claimed.signing_key_bytes() != Some(key.to_bytes()) {
        return Err(bad(
            "it is signed by a different key than the sender's sharing key it names",
        ));
    }
    Ok(claimed.clone())
}

fn check_entry(wire: WireEntryIn) -> Result<SharedKey> {
    for (what, len) in [
        ("scopes", wire.scopes.len()),
        ("exchange scopes", wire.exchange_scopes.len()),
        ("IP allowlist", wire.ip_allowlist.len()),
        ("tags", wire.tags.len()),
        ("secrets", wire.secrets.len()),
    ] {
        if len > MAX_LIST_ITEMS {
            return Err(Error::input(format!(
                "its {what} list has more than {MAX_LIST_ITEMS} items"
            )));
        }
    }
    let mut secrets = SecretFields::new();
    for (name, value) in &wire.secrets {
        let field = CredentialField::parse(name).map_err(|_| {
            Error::input(format!(
                "it has an unknown secret field (use {})",
                CredentialField::ALL.map(|f| f.as_str()).join(", ")
            ))
        })?;
        if value.len() > MAX_SECRET_BYTES {
            return Err(Error::input(format!(
                "its {field} is longer than {} KiB",
                MAX_SECRET_BYTES / 1024
            )));
        }
        if secrets.get(field).is_some() {
            return Err(Error::input(format!("its {field} is given twice")));
        }
        secrets.insert(field, SecretString::from(value.trim().to_string()));
    }
    let mut words = wire.scopes;
    words.extend(wire.exchange_scopes);
    let new = crate::model::NewKey {
        name: wire.name,
        exchange: wire.exchange,
        account: wire.account,
        environment: wire.environment,
        scopes: words,
        ip_allowlist: wire.ip_allowlist,
        expires_at: wire.expires_at,
        rotation_days: wire.rotation_days,
        tags: wire.tags,
        notes: wire.notes,
    };
    let checked = crate::vault::check_new_key(&new, &secrets)?;
    Ok(SharedKey {
        id: wire.id,
        checked,
        secrets,
    })
}

// ---------------------------------------------------------------------------------------------------------
// Preview and choices
// ---------------------------------------------------------------------------------------------------------

/// How an entry of a share file compares with this vault.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareEntryStatus {
    /// No key with this id or name.
    New,
    /// The same key (same id), with the same metadata and secrets.
    Identical,
    /// The same key (same id), with different metadata and/or secrets.
    Changed,
    /// A different key (another id) already has this name.
    Conflicting,
}

/// What to do with one entry.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportChoice {
    /// Add as a new key (for a new entry).
    Add,
    /// Overwrite the existing key (same id, or same name for a conflict); old secrets stay in its history.
    Replace,
    /// Add beside the existing key, with a fresh id and a distinct name ("name (imported)").
    KeepBoth,
    Skip,
}

impl ImportChoice {
    /// The choice made when the user does not choose: add new keys, take changes, skip identical ones and
    /// keep both for a conflict.
    pub fn default_for(status: ShareEntryStatus) -> Self {
        match status {
            ShareEntryStatus::New => Self::Add,
            ShareEntryStatus::Changed => Self::Replace,
            ShareEntryStatus::Identical => Self::Skip,
            ShareEntryStatus::Conflicting => Self::KeepBoth,
        }
    }
}

/// One entry of the preview. Never a secret: changed secrets show as `secrets_changed` only.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharePreviewEntry {
    /// Position in the file; choices are given in this order.
    pub index: u32,
    /// The id in the file (absent in hand-written files).
    pub id: Option<Uuid>,
    pub name: String,
    pub exchange: String,
    pub exchange_name: String,
    pub environment: Environment,
    pub scopes: BTreeSet<Scope>,
    /// The secret fields the file holds (names only).
    pub secret_fields: Vec<CredentialField>,
    pub status: ShareEntryStatus,
    /// For `changed`: the metadata fields that differ (`name`, `scopes`, `notes`, …).
    pub changed_fields: Vec<String>,
    /// For `changed`: whether the secret values differ.
    pub secrets_changed: bool,
    /// The existing key this entry matches (same id) or conflicts with (same name).
    pub existing_id: Option<Uuid>,
    pub existing_name: Option<String>,
    pub default_choice: ImportChoice,
}

/// What importing a share file would do. Holds no secret, so it may cross to the UI.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharePreview {
    pub sender: ShareSender,
    pub exported_at: Option<DateTime<Utc>>,
    /// Whom the sender says the file was made for (unverified unless signed).
    pub to: Vec<String>,
    pub entries: Vec<SharePreviewEntry>,
    /// Things to tell the user before they confirm (unknown sender, unsigned file, withdraw scopes).
    pub warnings: Vec<String>,
}

impl SharePreview {
    /// The default choice of every entry, in order.
    pub fn default_choices(&self) -> Vec<ImportChoice> {
        self.entries.iter().map(|e| e.default_choice).collect()
    }
}

/// What to put in a share file and who may open it.
#[derive(Debug, Clone, Default)]
pub struct ShareExport {
    /// Key names or ids (comma-separated lists are split).
    pub keys: Vec<String>,
    /// Contact names and/or age1… / keystead-share1 keys (comma-separated lists are split).
    pub to: Vec<String>,
    /// Protect the file with this passphrase instead of recipients (age allows a passphrase only alone).
    pub passphrase: Option<SecretString>,
    /// ASCII armor (`-----BEGIN AGE ENCRYPTED FILE-----`) instead of binary.
    pub armor: bool,
    /// Keys with the withdraw scope that the user confirmed, by name or id; others are refused.
    pub confirm_withdraw: Vec<String>,
    /// How the sender calls themselves in the file (shown to the receiver, unverified).
    pub sender_name: Option<String>,
    /// log2 of scrypt's N for a passphrase file (1 to [`MAX_SCRYPT_WORK_FACTOR`]); `None` lets age pick
    /// about one second of work on this machine. Lower it only in tests.
    pub scrypt_work_factor: Option<u8>,
}

/// A share file made in memory, and what it holds. Write it with [`write_file`].
pub struct ExportedShare {
    /// The encrypted file (no plaintext).
    pub bytes: Vec<u8>,
    pub summary: ShareExportSummary,
}

impl fmt::Debug for ExportedShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportedShare")
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

/// What an export wrote.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareExportSummary {
    /// Names of the keys in the file.
    pub keys: Vec<String>,
    /// Who can open it: contacts with fingerprints, age keys, or "passphrase".
    pub recipients: Vec<String>,
    pub armored: bool,
    /// Size of the file in bytes.
    pub bytes: u64,
}

/// What an import changed.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareImportSummary {
    pub sender: ShareSender,
    /// Names of keys added (including "keep both" copies, under their new names).
    pub added: Vec<String>,
    pub replaced: Vec<String>,
    pub skipped: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sharing_key_prints_as_one_line_and_parses_back() {
        let id = ShareIdentity::generate();
        let key = id.sharing_key();
        let line = key.to_string();
        assert!(line.starts_with("keystead-share1:age1"), "{line}");
        assert!(!line.contains(char::is_whitespace));
        assert_eq!(SharingKey::parse(&format!("  {line}\n")).unwrap(), key);
        let plain = SharingKey::parse(key.age_recipient()).unwrap();
        assert!(!plain.can_verify());
        assert_ne!(plain.fingerprint(), key.fingerprint());
        let fp = key.fingerprint();
        assert_eq!(fp.len(), 19);
        assert_eq!(fp.matches('-').count(), 3);
    }

    #[test]
    fn malformed_sharing_keys_are_refused_with_a_reason() {
        let key = ShareIdentity::generate().sharing_key().to_string();
        let (head, ed) = key.rsplit_once(':').unwrap();
        for bad in [
            String::new(),
            "hello".into(),
            format!("{head}:"),
            format!("{key}:extra"),
            format!("{head}:{}", &ed[1..]),
            format!("{head}:{ed}="),
            key.replace("age1", "age2"),
            key.replacen(':', " :", 1),
            format!("{head}:{}", URL_SAFE_NO_PAD.encode([0u8; 32])),
            "AGE-SECRET-KEY-1QQQ".into(),
            "age1".into(),
        ] {
            let e = SharingKey::parse(&bad).unwrap_err();
            assert!(matches!(e, Error::BadSharingKey { .. }), "{bad}: {e}");
            assert!(e.to_string().contains("keystead-share1:age1…"), "{e}");
        }
    }

    #[test]
    fn the_identity_survives_its_sealed_form_and_debug_shows_no_secret() {
        let id = ShareIdentity::generate();
        let sealed = id.to_sealed_json();
        let back = ShareIdentity::from_sealed_json(&sealed).unwrap();
        assert_eq!(back.sharing_key(), id.sharing_key());
        let dbg = format!("{id:?}");
        assert!(!dbg.contains("AGE-SECRET-KEY"), "{dbg}");
        assert!(dbg.contains("keystead-share1"), "{dbg}");
    }

    #[test]
    fn the_shape_check_refuses_deep_nesting_and_huge_strings_but_not_brackets_in_strings() {
        assert!(check_shape(&"[".repeat(MAX_DEPTH + 1)).is_err());
        assert!(check_shape(&"[".repeat(MAX_DEPTH)).is_ok());
        assert!(check_shape(&format!("\"{}\"", "[".repeat(1000))).is_ok());
        assert!(check_shape(&format!("\"{}\"", "x".repeat(MAX_STRING_BYTES + 1))).is_err());
        assert!(check_shape(r#"{"a":"\"[[[["}"#).is_ok());
    }

    #[test]
    fn parser_errors_do_not_quote_values() {
        let e = parse_document(br#"{"format":"keystead-share","version":1,"payload":{"entries":[{"name":"k","exchange":"binance","secrets":{"apiKey":"x","secret":"y"},"rotation_days":"SECRET-VALUE"}]}}"#)
            .unwrap_err()
            .to_string();
        assert!(!e.contains("SECRET-VALUE"), "{e}");
        assert!(e.contains("malformed"), "{e}");
    }
}
