//! The document inside a share file: its wire types, its signature, and the checks an opened file passes
//! before anything in it is trusted. The decrypted payload is one JSON document:
//!
//! ```json
//! {"format": "keystead-share", "version": 1,
//!  "payload": {"exported_at": "…", "exported_by": {"name": "…", "sharing_key": "keystead-share1:…"},
//!              "to": ["contact bob (ABCD-…)", "age1…"], "recipients": ["age1…", "age1…"],
//!              "entries": [{"id": "…", "name": "…", "exchange": "binance", "account": null,
//!                           "environment": "production", "scopes": ["read"], "exchange_scopes": [],
//!                           "ip_allowlist": [], "expires_at": null, "rotation_days": 90, "tags": [],
//!                           "notes": "", "secrets": {"apiKey": "…", "secret": "…"}}]},
//!  "signature": {"alg": "ed25519", "public_key": "<base64url>", "value": "<base64url>"}}
//! ```
//!
//! The signature covers the exact bytes of `payload` as they appear in the file. Without `signature` the
//! file imports as *unsigned*. `recipients` binds the file to the sharing keys it was encrypted to (empty
//! for a passphrase file): a signed file re-encrypted to someone else says it was not made for them.
//! Every limit below is checked before the document is trusted.

use super::envelope::decrypt;
use super::identity::{parse_verifying_key, ShareIdentity, SharingKey};
use super::refused;
use crate::error::{Error, Result};
use crate::model::Environment;
use crate::secret::{json_sized_once, CredentialField, RawSecret, SecretFields};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use ed25519_dalek::Signer;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use uuid::Uuid;
use zeroize::Zeroizing;

/// `format` of the payload document.
pub const FORMAT: &str = "keystead-share";
/// `version` of the payload document this Keystead writes and reads.
pub const VERSION: u64 = 1;
/// Most keys in one share file.
pub const MAX_ENTRIES: usize = 1000;
/// Deepest JSON nesting accepted (the format needs 5).
pub const MAX_DEPTH: usize = 16;
/// Longest JSON string accepted anywhere in the document, in bytes.
pub const MAX_STRING_BYTES: usize = 64 * 1024;
/// Longest secret value accepted (a PEM private key is a few KiB).
const MAX_SECRET_BYTES: usize = 16 * 1024;
/// Most items in one list of an entry (scopes, tags, IP allowlist).
const MAX_LIST_ITEMS: usize = 256;

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
    recipients: &'a [String],
    entries: &'a [WireEntryOut<'a>],
    #[serde(skip_serializing_if = "Option::is_none")]
    team: Option<&'a TeamStamp>,
}

/// In the entry file of a team vault (see the `team` module): which team the document belongs to and
/// the revision of its one key. Signed with the rest of the payload; absent from ordinary share files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamStamp {
    pub team_id: Uuid,
    pub revision: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireEntryIn<'a> {
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
    /// Borrowed as written and unescaped once into the secret (see [`RawSecret`]).
    #[serde(borrow)]
    secrets: BTreeMap<String, RawSecret<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WirePayloadIn<'a> {
    #[serde(default)]
    exported_at: Option<DateTime<Utc>>,
    #[serde(default)]
    exported_by: Option<WireSender>,
    #[serde(default)]
    to: Vec<String>,
    #[serde(default)]
    recipients: Option<Vec<String>>,
    #[serde(borrow)]
    entries: Vec<WireEntryIn<'a>>,
    #[serde(default)]
    team: Option<TeamStamp>,
}

/// An Ed25519 signature as share files and team member lists carry it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireSignature {
    pub(crate) alg: String,
    pub(crate) public_key: String,
    pub(crate) value: String,
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
    json_sized_once(value).map_err(|e| Error::Storage(format!("writing the share document: {e}")))
}

/// The signed document, ready to encrypt.
pub(crate) fn build_document(
    identity: &ShareIdentity,
    sender_name: Option<&str>,
    exported_at: DateTime<Utc>,
    to: &[String],
    recipients: &[String],
    entries: &[WireEntryOut<'_>],
    team: Option<&TeamStamp>,
) -> Result<Zeroizing<Vec<u8>>> {
    let payload = to_zeroizing_json(&WirePayloadOut {
        exported_at,
        exported_by: WireSender {
            name: sender_name.map(str::to_string),
            sharing_key: identity.sharing_key().to_string(),
        },
        to,
        recipients,
        entries,
        team,
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
    pub checked: crate::validate::CheckedKey,
    pub secrets: SecretFields,
}

/// A decrypted, verified and validated share file, held in memory between preview and apply. Holds the
/// secrets: no `Debug` of them, no `Serialize`, wiped on drop.
pub struct OpenedShare {
    pub(crate) signer: Option<SharingKey>,
    pub(crate) claimed_name: Option<String>,
    pub(crate) exported_at: Option<DateTime<Utc>>,
    pub(crate) to: Vec<String>,
    /// Whether the signed document names this vault's sharing key (or a passphrase, for a file opened
    /// with one) among the recipients it was made for. False for unsigned files and for signed files
    /// that do not name their recipients: such a file never changes a key.
    pub(crate) made_for_this_vault: bool,
    pub(crate) entries: Vec<SharedKey>,
    /// The team stamp of a team vault's entry file (signed), if the document has one.
    pub(crate) team: Option<TeamStamp>,
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
    let (plain, by_passphrase) = decrypt(file, identity, passphrase)?;
    let (mut opened, recipients) = parse_document(&plain)?;
    if let Some(recipients) = recipients {
        let mine = if by_passphrase {
            recipients.is_empty()
        } else {
            identity.is_some_and(|i| {
                let me = i.sharing_key();
                recipients.iter().any(|r| r == me.age_recipient())
            })
        };
        if !mine {
            return Err(refused(
                "it was not made for this vault: its signed list of recipients does not include this vault's sharing key (someone re-encrypted a file made for another person)",
            ));
        }
        opened.made_for_this_vault = opened.signer.is_some();
    }
    Ok(opened)
}

/// Parses and checks the decrypted document; also answers the recipients it names, if it names them.
pub(crate) fn parse_document(plain: &[u8]) -> Result<(OpenedShare, Option<Vec<String>>)> {
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
    let payload: WirePayloadIn<'_> =
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
    if payload.to.len() > MAX_LIST_ITEMS
        || payload
            .recipients
            .as_ref()
            .is_some_and(|r| r.len() > MAX_LIST_ITEMS)
    {
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
    let opened = OpenedShare {
        signer,
        claimed_name,
        exported_at: payload.exported_at,
        to: payload
            .to
            .into_iter()
            .map(|t| t.chars().take(200).collect())
            .collect(),
        made_for_this_vault: false,
        entries,
        team: payload.team,
    };
    Ok((opened, payload.recipients))
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

fn check_entry(wire: WireEntryIn<'_>) -> Result<SharedKey> {
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
        let value = value
            .decode()
            .ok_or_else(|| Error::input(format!("its {field} holds an invalid escape")))?;
        if value.expose_secret().len() > MAX_SECRET_BYTES {
            return Err(Error::input(format!(
                "its {field} is longer than {} KiB",
                MAX_SECRET_BYTES / 1024
            )));
        }
        if secrets.get(field).is_some() {
            return Err(Error::input(format!("its {field} is given twice")));
        }
        let trimmed = value.expose_secret().trim();
        let value = if trimmed.len() == value.expose_secret().len() {
            value
        } else {
            SecretString::from(trimmed.to_string())
        };
        secrets.insert(field, value);
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
        // Variable names are this vault's own choice: a share file never sets them.
        env_names: Default::default(),
        used_by: Vec::new(),
    };
    let checked = crate::validate::check_new_key(&new, &secrets)?;
    Ok(SharedKey {
        id: wire.id,
        checked,
        secrets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn unsigned_with_secrets(secrets: &str) -> Vec<u8> {
        format!(r#"{{"format":"keystead-share","version":1,"payload":{{"entries":[{{"name":"k","exchange":"binance","secrets":{secrets}}}]}}}}"#).into_bytes()
    }

    #[test]
    fn secrets_with_escapes_are_read_exactly_and_trimmed() {
        let doc = unsigned_with_secrets(
            r#"{"apiKey":"  key\"with\\quotes\u00e9\ud83d\ude00 ","secret":"-----BEGIN-----\nAAA\/BBB\n-----END-----\n"}"#,
        );
        let (opened, _) = parse_document(&doc).unwrap();
        let s = &opened.entries[0].secrets;
        assert_eq!(
            s.get(CredentialField::ApiKey).unwrap().expose_secret(),
            "key\"with\\quotesé😀"
        );
        assert_eq!(
            s.get(CredentialField::Secret).unwrap().expose_secret(),
            "-----BEGIN-----\nAAA/BBB\n-----END-----"
        );
    }

    #[test]
    fn a_secret_that_is_a_number_or_holds_a_lone_surrogate_is_refused_without_quoting_it() {
        let e = parse_document(&unsigned_with_secrets(
            r#"{"apiKey":73519264,"secret":"y"}"#,
        ))
        .unwrap_err()
        .to_string();
        assert!(!e.contains("73519264"), "{e}");
        let e = parse_document(&unsigned_with_secrets(
            r#"{"apiKey":"QZab\ud800QZcd","secret":"y"}"#,
        ))
        .unwrap_err()
        .to_string();
        assert!(!e.contains("QZ"), "{e}");
        assert!(e.contains("invalid escape"), "{e}");
    }

    #[test]
    fn long_escaped_secrets_of_a_share_file_are_unescaped_without_a_growing_scratch_buffer() {
        let value = crate::secret::tests::awkward_value("pem", 16 * 1024);
        let text = serde_json::to_string(&BTreeMap::from([("privateKey", &value)])).unwrap();
        let (secrets, reallocs) = crate::alloc_probe::reallocs_during(|| {
            let raw: BTreeMap<String, RawSecret<'_>> = serde_json::from_str(&text).unwrap();
            raw["privateKey"].decode().unwrap()
        });
        assert_eq!(reallocs, 0, "a buffer grew while unescaping the secret");
        assert_eq!(secrets.expose_secret(), value);
    }
}
