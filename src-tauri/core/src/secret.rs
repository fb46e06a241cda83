//! Secret values: redacted `Debug`, no `Serialize`, zeroized on drop.

use crate::error::{Error, Result};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use zeroize::Zeroizing;

/// A credential field, named as ccxt names it (`apiKey`, `secret`, `password`, …), so `--secrets-stdin`
/// documents and bots share one vocabulary.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CredentialField {
    #[serde(rename = "apiKey")]
    ApiKey,
    #[serde(rename = "secret")]
    Secret,
    /// The exchange's API passphrase (OKX, KuCoin, Bitget), not the vault passphrase.
    #[serde(rename = "password")]
    Password,
    #[serde(rename = "uid")]
    Uid,
    #[serde(rename = "privateKey")]
    PrivateKey,
    #[serde(rename = "walletAddress")]
    WalletAddress,
}

impl CredentialField {
    pub const ALL: [CredentialField; 6] = [
        Self::ApiKey,
        Self::Secret,
        Self::Password,
        Self::Uid,
        Self::PrivateKey,
        Self::WalletAddress,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiKey => "apiKey",
            Self::Secret => "secret",
            Self::Password => "password",
            Self::Uid => "uid",
            Self::PrivateKey => "privateKey",
            Self::WalletAddress => "walletAddress",
        }
    }

    /// How a person would call the field in a prompt.
    pub fn label(self) -> &'static str {
        match self {
            Self::ApiKey => "API key",
            Self::Secret => "API secret",
            Self::Password => "API passphrase",
            Self::Uid => "User ID",
            Self::PrivateKey => "Private key",
            Self::WalletAddress => "Wallet address",
        }
    }

    /// Whether two keys holding the same value in this field means one secret is stored twice.
    /// A wallet address or user id is shared by many keys of one account.
    pub(crate) fn identifies_key(self) -> bool {
        matches!(self, Self::ApiKey | Self::Secret | Self::PrivateKey)
    }

    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::UnknownField {
                given: name.to_string(),
                valid: Self::ALL
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

impl fmt::Display for CredentialField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The secret fields of one key version. Never serialized by serde; sealed through [`SecretFields::to_json`].
#[derive(Default, Clone)]
pub struct SecretFields(BTreeMap<CredentialField, SecretString>);

impl fmt::Debug for SecretFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|k| (k.as_str(), "<redacted>")))
            .finish()
    }
}

impl SecretFields {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a field. Empty values are not stored: an empty answer at a prompt means "not given".
    pub fn insert(&mut self, field: CredentialField, value: SecretString) {
        if value.expose_secret().is_empty() {
            self.0.remove(&field);
        } else {
            self.0.insert(field, value);
        }
    }

    pub fn get(&self, field: CredentialField) -> Option<&SecretString> {
        self.0.get(&field)
    }

    pub fn fields(&self) -> Vec<CredentialField> {
        self.0.keys().copied().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (CredentialField, &SecretString)> {
        self.0.iter().map(|(k, v)| (*k, v))
    }

    /// Parses the `--secrets-stdin` document: one JSON object of ccxt field names to strings.
    /// Leading and trailing white space of each value is dropped (a pasted newline is never part of a key).
    pub fn from_json(text: &str) -> Result<Self> {
        let raw: BTreeMap<String, Zeroizing<String>> =
            serde_json::from_str(text).map_err(|e| Error::InvalidInput {
                message: format!(
                    "the secrets are not a JSON object of strings ({e}); send e.g. {{\"apiKey\": \"…\", \"secret\": \"…\"}}"
                ),
            })?;
        let mut fields = Self::new();
        for (name, value) in raw {
            let field = CredentialField::parse(&name)?;
            fields.insert(field, SecretString::from(value.trim().to_string()));
        }
        Ok(fields)
    }

    /// The sealed form: a JSON object in a buffer that is wiped when dropped.
    pub(crate) fn to_json(&self) -> Zeroizing<Vec<u8>> {
        let plain: BTreeMap<&str, &str> = self
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose_secret()))
            .collect();
        let mut out = Zeroizing::new(Vec::with_capacity(256));
        // Writing a map of strings into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, &plain);
        out
    }

    pub(crate) fn from_sealed_json(bytes: &[u8]) -> Option<Self> {
        let raw: BTreeMap<CredentialField, Zeroizing<String>> =
            serde_json::from_slice(bytes).ok()?;
        Some(Self(
            raw.into_iter()
                .map(|(k, v)| (k, SecretString::from(v.as_str().to_string())))
                .collect(),
        ))
    }
}
