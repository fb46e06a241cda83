//! Sharing keys and this vault's sharing identity: who a file is encrypted to and who signed it.
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
//! files from them cannot be attributed.

use crate::crypto;
use crate::error::{Error, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;
use zeroize::Zeroizing;

/// Prefix of the one-line sharing key.
pub const SHARING_KEY_PREFIX: &str = "keystead-share1";

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

    pub(super) fn recipient(&self) -> Result<age::x25519::Recipient> {
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

pub(crate) fn parse_verifying_key(b64: &str) -> std::result::Result<VerifyingKey, String> {
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
    pub(super) age: age::x25519::Identity,
    pub(super) signing: SigningKey,
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

    /// An Ed25519 signature over `message` with this vault's signing key, and the public key, both in
    /// unpadded base64url (as share documents and team member lists carry them).
    pub(crate) fn sign_b64(&self, message: &[u8]) -> (String, String) {
        use ed25519_dalek::Signer;
        (
            URL_SAFE_NO_PAD.encode(self.signing.verifying_key().to_bytes()),
            URL_SAFE_NO_PAD.encode(self.signing.sign(message).to_bytes()),
        )
    }

    /// The secret parts as JSON in a buffer sized once and wiped on drop; sealed into the vault like any record.
    pub(crate) fn to_sealed_json(&self) -> Zeroizing<Vec<u8>> {
        let age = self.age.to_string();
        let ed = Zeroizing::new(URL_SAFE_NO_PAD.encode(self.signing.to_bytes()));
        // Writing two strings cannot fail.
        crate::secret::json_sized_once(&SealedIdentity {
            age: age.expose_secret(),
            ed25519: &ed,
        })
        .unwrap_or_default()
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
}
