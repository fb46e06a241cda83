//! Secret values: redacted `Debug`, no `Serialize`, zeroized on drop; and their JSON form, written into a
//! buffer sized once and read without serde_json's scratch buffer, so no freed copy of a secret is left.

use crate::error::{Error, Result};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeSeed;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
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

    /// The sealed form: a JSON object in a buffer sized once and wiped when dropped.
    pub(crate) fn to_json(&self) -> Zeroizing<Vec<u8>> {
        let plain: BTreeMap<&str, &str> = self
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose_secret()))
            .collect();
        // Writing a map of strings cannot fail.
        json_sized_once(&plain).unwrap_or_default()
    }

    pub(crate) fn from_sealed_json(bytes: &[u8]) -> Option<Self> {
        let raw: BTreeMap<CredentialField, RawSecret<'_>> = serde_json::from_slice(bytes).ok()?;
        let mut fields = BTreeMap::new();
        for (k, v) in raw {
            fields.insert(k, v.decode()?);
        }
        Some(Self(fields))
    }
}

/// Serializes `value` as compact JSON into a buffer wiped on drop, sized exactly once: the length is
/// measured first by writing into a counter, so the buffer never grows (growing reallocates and leaves
/// the old block, with the secrets written so far, in freed memory).
pub(crate) fn json_sized_once<T: Serialize + ?Sized>(
    value: &T,
) -> serde_json::Result<Zeroizing<Vec<u8>>> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value)?;
    let mut out = Zeroizing::new(Vec::with_capacity(count.0));
    let (block, capacity) = (out.as_ptr(), out.capacity());
    serde_json::to_writer(&mut *out, value)?;
    debug_assert!(
        out.as_ptr() == block && out.capacity() == capacity && out.len() == count.0,
        "the JSON buffer was reallocated"
    );
    Ok(out)
}

/// A secret as a JSON string in a document being read, borrowed exactly as written (quotes and escapes
/// included). Deserializing it as a `String` would unescape through serde_json's scratch buffer, which
/// grows by reallocation and is never wiped; [`RawSecret::decode`] writes it once into its final home.
pub(crate) struct RawSecret<'a>(&'a str);

impl<'de: 'a, 'a> Deserialize<'de> for RawSecret<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let raw = <&'a RawValue>::deserialize(d)?.get().trim();
        if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
            Ok(Self(raw))
        } else {
            // Never quote the value: it may be a secret in the wrong place.
            Err(serde::de::Error::custom("a secret value is not a string"))
        }
    }
}

impl RawSecret<'_> {
    /// The unescaped value, in a buffer allocated once at its exact length. `None` for an invalid escape
    /// (a lone surrogate, a bad hex digit).
    pub(crate) fn decode(&self) -> Option<SecretString> {
        let mut len = 0;
        unescape(self.0, |piece| len += piece.len())?;
        let mut out = String::with_capacity(len);
        unescape(self.0, |piece| out.push_str(piece))?;
        // Exact capacity: turning it into the secret's boxed `str` does not reallocate.
        debug_assert_eq!(out.capacity(), out.len());
        Some(SecretString::from(out))
    }
}

/// Hands the unescaped text of the JSON string `raw` (with its quotes) to `emit`, piece by piece.
fn unescape(raw: &str, mut emit: impl FnMut(&str)) -> Option<()> {
    let mut rest = raw.strip_prefix('"')?.strip_suffix('"')?;
    let hex4 = |s: Option<&str>| -> Option<u32> {
        let s = s?;
        (s.len() == 4 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u32::from_str_radix(s, 16).ok())
            .flatten()
    };
    while let Some(i) = rest.find('\\') {
        emit(&rest[..i]);
        let esc = &rest[i + 1..];
        let (c, used) = match esc.as_bytes().first()? {
            b'"' => ('"', 1),
            b'\\' => ('\\', 1),
            b'/' => ('/', 1),
            b'b' => ('\u{8}', 1),
            b'f' => ('\u{c}', 1),
            b'n' => ('\n', 1),
            b'r' => ('\r', 1),
            b't' => ('\t', 1),
            b'u' => {
                let first = hex4(esc.get(1..5))?;
                if (0xD800..0xDC00).contains(&first) {
                    if esc.get(5..7) != Some("\\u") {
                        return None;
                    }
                    let second = hex4(esc.get(7..11))?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return None;
                    }
                    let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    (char::from_u32(c)?, 11)
                } else {
                    // A lone trailing surrogate is no character: `from_u32` refuses it.
                    (char::from_u32(first)?, 5)
                }
            }
            _ => return None,
        };
        emit(c.encode_utf8(&mut [0u8; 4]));
        rest = &esc[used..];
    }
    emit(rest);
    Some(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::alloc_probe::reallocs_during;

    /// A long value with everything JSON escapes: quotes, backslashes, newlines, control characters,
    /// and text outside ASCII (written as is).
    pub(crate) fn awkward_value(tag: &str, len: usize) -> String {
        let unit = format!("{tag}:\"q\" \\ \n-----PEM-----\r\t\u{1}é€😀/");
        unit.repeat(len / unit.len() + 1)
    }

    fn all_fields(len: usize) -> SecretFields {
        let mut s = SecretFields::new();
        for f in CredentialField::ALL {
            s.insert(f, SecretString::from(awkward_value(f.as_str(), len)));
        }
        s
    }

    #[test]
    fn the_sealed_json_of_long_secrets_is_written_into_one_buffer_sized_once() {
        let secrets = all_fields(16 * 1024);
        let (json, reallocs) = reallocs_during(|| secrets.to_json());
        assert_eq!(
            reallocs, 0,
            "the buffer grew, leaving copies of the secrets behind"
        );
        assert_eq!(json.capacity(), json.len());
        assert!(json.len() > 6 * 16 * 1024);
        // The same bytes serde_json writes the plain way.
        let plain: BTreeMap<&str, &str> = secrets
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose_secret()))
            .collect();
        assert_eq!(&json[..], serde_json::to_vec(&plain).unwrap());
    }

    #[test]
    fn reading_the_sealed_json_back_needs_no_growing_buffer_and_gives_the_same_secrets() {
        let secrets = all_fields(16 * 1024);
        let json = secrets.to_json();
        let (back, reallocs) = reallocs_during(|| SecretFields::from_sealed_json(&json).unwrap());
        assert_eq!(
            reallocs, 0,
            "a scratch buffer grew while unescaping the secrets"
        );
        for f in CredentialField::ALL {
            assert_eq!(
                back.get(f).unwrap().expose_secret(),
                secrets.get(f).unwrap().expose_secret()
            );
        }
    }

    #[test]
    fn json_escapes_decode_as_serde_json_decodes_them() {
        for raw in [
            r#""""#,
            r#""plain""#,
            r#""\"\\\/\b\f\n\r\t""#,
            r#""\u00e9\u20AC \ud83d\ude00 x""#,
            r#""tail\\""#,
            "\"raw é€😀\"",
        ] {
            let want: String = serde_json::from_str(raw).unwrap();
            let got = RawSecret(raw).decode().unwrap();
            assert_eq!(got.expose_secret(), want, "{raw}");
        }
        for bad in [
            r#""\ud83d""#,
            r#""\ude00""#,
            r#""\ud83d\u0041""#,
            r#""\x41""#,
            r#""\u+041""#,
            r#""\u00""#,
            r#""\""#,
        ] {
            assert!(RawSecret(bad).decode().is_none(), "{bad}");
        }
    }

    #[test]
    fn a_secret_that_is_not_a_string_is_refused_without_quoting_it() {
        assert!(SecretFields::from_sealed_json(br#"{"apiKey": 12345678}"#).is_none());
        let e = serde_json::from_str::<BTreeMap<String, RawSecret<'_>>>(r#"{"apiKey": 12345678}"#)
            .err()
            .unwrap();
        assert!(!e.to_string().contains("12345678"), "{e}");
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
mod stdin_tests {
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
