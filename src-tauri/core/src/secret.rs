//! Secret values: redacted `Debug`, no `Serialize`, zeroized on drop.

use crate::error::{Error, Result};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeSeed;
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
    /// An error says what is wrong and where (line and column), never a value or field name from the
    /// document: a misplaced secret must not end up on a terminal or in a log.
    pub fn from_json(text: &str) -> Result<Self> {
        let problem = std::cell::Cell::new(None);
        let mut de = serde_json::Deserializer::from_str(text);
        let parsed = stdin_doc::Doc { problem: &problem }
            .deserialize(&mut de)
            .and_then(|fields| de.end().map(|()| fields));
        match parsed {
            Ok(fields) => Ok(fields),
            Err(e) => Err(Error::InvalidInput {
                message: stdin_doc::message(&e, problem.take()),
            }),
        }
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

/// The `--secrets-stdin` document read with visitors whose errors carry no input: what went wrong is
/// recorded in words of this module, and serde's own text is shown only for JSON syntax errors (which
/// never quote the input).
mod stdin_doc {
    use super::{CredentialField, SecretFields};
    use secrecy::SecretString;
    use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
    use std::cell::Cell;
    use std::fmt;
    use zeroize::Zeroizing;

    /// What was wrong, from this module's vocabulary only (no text from the document).
    #[derive(Clone, Copy)]
    pub(super) enum Problem {
        /// The document is not an object.
        NotAnObject(&'static str),
        /// A field name that no credential field has.
        UnknownField,
        /// A field whose value is not a string.
        NotAString(CredentialField, &'static str),
    }

    pub(super) fn message(e: &serde_json::Error, problem: Option<Problem>) -> String {
        let fields = CredentialField::ALL.map(|f| f.as_str()).join(", ");
        let what = match problem {
            Some(Problem::NotAnObject(kind)) => {
                format!("the document is {kind}, not a JSON object")
            }
            Some(Problem::UnknownField) => "an unknown field name".to_string(),
            Some(Problem::NotAString(field, kind)) => {
                format!("the value of {field} is {kind}, not a string")
            }
            None if e.is_data() => "a value of the wrong kind".to_string(),
            None => {
                // serde_json's syntax messages are fixed phrases ("expected `,` or `}`", "EOF while
                // parsing a string", …) followed by the position, which is given below.
                let text = e.to_string();
                let phrase = text
                    .rsplit_once(" at line ")
                    .map_or(text.as_str(), |(p, _)| p);
                if phrase.contains('"') || phrase.contains('\'') {
                    "it is not valid JSON".to_string()
                } else {
                    format!("it is not valid JSON ({phrase})")
                }
            }
        };
        format!(
            "the secrets are not one JSON object of field names to strings: {what}, at line {} column {}. Send e.g. {{\"apiKey\": \"…\", \"secret\": \"…\"}}; the field names are {fields}",
            e.line(),
            e.column()
        )
    }

    fn refuse<E: de::Error, T>(problem: &Cell<Option<Problem>>, p: Problem) -> Result<T, E> {
        problem.set(Some(p));
        Err(E::custom("secrets document refused"))
    }

    /// `visit_*` for the JSON kinds a visitor does not take, each refusing through its `refused(kind)`.
    macro_rules! refuse_kinds {
        () => {
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                self.refused("true or false")
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                self.refused("a number")
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                self.refused("a number")
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                self.refused("a number")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                self.refused("null")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
                self.refused("a list")
            }
        };
    }

    /// The whole document: an object of field names to strings.
    pub(super) struct Doc<'a> {
        pub problem: &'a Cell<Option<Problem>>,
    }

    impl Doc<'_> {
        fn refused<E: de::Error, T>(self, kind: &'static str) -> Result<T, E> {
            refuse(self.problem, Problem::NotAnObject(kind))
        }
    }

    impl<'de> DeserializeSeed<'de> for Doc<'_> {
        type Value = SecretFields;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<SecretFields, D::Error> {
            // `any`, not `map`: serde_json answers a wrong kind for `map` itself, quoting the value.
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Doc<'_> {
        type Value = SecretFields;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("one JSON object of field names to strings")
        }
        refuse_kinds!();
        fn visit_str<E: de::Error>(self, _: &str) -> Result<SecretFields, E> {
            self.refused("a string")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SecretFields, A::Error> {
            let mut fields = SecretFields::new();
            while let Some(field) = map.next_key_seed(Name {
                problem: self.problem,
            })? {
                let value = map.next_value_seed(Value {
                    field,
                    problem: self.problem,
                })?;
                fields.insert(field, SecretString::from(value.trim().to_string()));
            }
            Ok(fields)
        }
    }

    /// A field name, as a credential field.
    struct Name<'a> {
        problem: &'a Cell<Option<Problem>>,
    }

    impl<'de> DeserializeSeed<'de> for Name<'_> {
        type Value = CredentialField;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<CredentialField, D::Error> {
            d.deserialize_str(self)
        }
    }

    impl<'de> Visitor<'de> for Name<'_> {
        type Value = CredentialField;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a credential field name")
        }
        fn visit_str<E: de::Error>(self, name: &str) -> Result<CredentialField, E> {
            CredentialField::parse(name).or_else(|_| refuse(self.problem, Problem::UnknownField))
        }
    }

    /// A field's value: a string, held in a buffer wiped on drop.
    struct Value<'a> {
        field: CredentialField,
        problem: &'a Cell<Option<Problem>>,
    }

    impl Value<'_> {
        fn refused<E: de::Error, T>(self, kind: &'static str) -> Result<T, E> {
            refuse(self.problem, Problem::NotAString(self.field, kind))
        }
    }

    impl<'de> DeserializeSeed<'de> for Value<'_> {
        type Value = Zeroizing<String>;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            // `any`, not `str`: serde_json answers a wrong kind for `str` itself, quoting the value.
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Value<'_> {
        type Value = Zeroizing<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        refuse_kinds!();
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Zeroizing::new(v.to_string()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Zeroizing::new(v))
        }
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            self.refused("an object")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_secrets_document_is_described_without_its_values() {
        let leak = "S3CR3T-987654321";
        for (doc, says) in [
            (
                r#"{"secret": 987654321}"#.to_string(),
                "the value of secret is a number",
            ),
            (format!(r#""{leak}""#), "the document is a string"),
            (
                format!(r#"{{"apiKey": ["{leak}"]}}"#),
                "the value of apiKey is a list",
            ),
            (format!(r#"{{"{leak}": "x"}}"#), "an unknown field name"),
            (format!(r#"{{"apiKey": "{leak}" x"#), "it is not valid JSON"),
            (r#"{"secret": true}"#.to_string(), "true or false"),
        ] {
            let e = SecretFields::from_json(&doc).unwrap_err().to_string();
            assert!(e.contains(says), "{doc}: {e}");
            assert!(e.contains("at line 1 column"), "{doc}: {e}");
            assert!(e.contains("apiKey, secret, password"), "{doc}: {e}");
            assert!(
                !e.contains("987654321") && !e.contains("S3CR3T"),
                "{doc}: {e}"
            );
        }
        let ok = SecretFields::from_json(r#"{"APIKEY": " a ", "secret": "b"}"#).unwrap();
        assert_eq!(
            ok.get(CredentialField::ApiKey).unwrap().expose_secret(),
            "a"
        );
        assert_eq!(ok.fields().len(), 2);
    }
}
