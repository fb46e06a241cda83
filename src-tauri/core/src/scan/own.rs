//! The vault's own secrets as one Aho-Corasick automaton over every value and its encodings.

use super::OwnSecret;
use crate::secret::CredentialField;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use base64::Engine as _;
use secrecy::ExposeSecret;
use std::collections::HashMap;

/// How a secret appears in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Raw,
    Base64,
    Base64Url,
    Percent,
    Hex,
    Json,
}

impl Encoding {
    pub fn rule(self) -> &'static str {
        match self {
            Encoding::Raw => "own-secret",
            Encoding::Base64 => "own-secret-base64",
            Encoding::Base64Url => "own-secret-base64url",
            Encoding::Percent => "own-secret-percent",
            Encoding::Hex => "own-secret-hex",
            Encoding::Json => "own-secret-json",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Encoding::Raw => "",
            Encoding::Base64 => " base64-encoded",
            Encoding::Base64Url => " base64url-encoded",
            Encoding::Percent => " URL-encoded",
            Encoding::Hex => " hex-encoded",
            Encoding::Json => " JSON-escaped",
        }
    }
}

/// Every form of `value` looked for, the raw value first, without duplicates.
pub fn encodings(value: &str) -> Vec<(Encoding, String)> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let bytes = value.as_bytes();
    let mut out: Vec<(Encoding, String)> = vec![(Encoding::Raw, value.to_string())];
    let mut add = |encoding, text: String| {
        if !out.iter().any(|(_, t)| *t == text) {
            out.push((encoding, text));
        }
    };
    add(Encoding::Base64, STANDARD.encode(bytes));
    add(Encoding::Base64, STANDARD_NO_PAD.encode(bytes));
    add(Encoding::Base64Url, URL_SAFE.encode(bytes));
    add(Encoding::Base64Url, URL_SAFE_NO_PAD.encode(bytes));
    add(Encoding::Percent, percent_encode(bytes));
    add(Encoding::Hex, hex::encode(bytes));
    let json = serde_json::to_string(value).unwrap_or_default();
    if let Some(inner) = json.strip_prefix('"').and_then(|j| j.strip_suffix('"')) {
        add(Encoding::Json, inner.to_string());
    }
    out
}

/// RFC 3986: everything but the unreserved characters as `%XX`.
fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Who a pattern belongs to: a secret (index into the `own` slice) in one encoding.
#[derive(Debug, Clone, Copy)]
pub struct Owner {
    pub secret: usize,
    pub encoding: Encoding,
}

/// The automaton and, per pattern, every (secret, encoding) it stands for (two versions may share a value).
pub struct OwnMatcher {
    pub automaton: Option<AhoCorasick>,
    pub owners: Vec<Vec<Owner>>,
}

impl OwnMatcher {
    pub fn new(own: &[OwnSecret]) -> Self {
        let mut patterns: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<Owner>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (secret, item) in own.iter().enumerate() {
            let value = item.value.expose_secret();
            if value.chars().count() < super::MIN_OWN_SECRET_CHARS {
                continue;
            }
            for (encoding, text) in encodings(value) {
                let slot = *index.entry(text.clone()).or_insert_with(|| {
                    patterns.push(text);
                    owners.push(Vec::new());
                    patterns.len() - 1
                });
                owners[slot].push(Owner { secret, encoding });
            }
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&patterns)
                    .expect("own-secret patterns build"),
            )
        };
        // The pattern strings (secret copies) are dropped here; the automaton keeps its own tables.
        drop(index);
        drop(patterns);
        Self { automaton, owners }
    }
}

pub fn field_words(field: CredentialField) -> &'static str {
    match field {
        CredentialField::ApiKey => "API key",
        CredentialField::Secret => "secret",
        CredentialField::Password => "API passphrase",
        CredentialField::Uid => "UID",
        CredentialField::PrivateKey => "private key",
        CredentialField::WalletAddress => "wallet address",
    }
}

/// "your key 'binance-main' (secret, version 2, not current) base64-encoded".
pub fn describe(secret: &OwnSecret, encoding: Encoding) -> String {
    format!(
        "your key '{}' ({}, version {}, {}){}",
        secret.key_name,
        field_words(secret.field),
        secret.version,
        if secret.current {
            "current"
        } else {
            "not current"
        },
        encoding.words()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_encodings_are_distinct_and_named() {
        let forms = encodings("ab+/cd?&é\"x");
        let rules: Vec<_> = forms.iter().map(|(e, _)| e.rule()).collect();
        assert!(rules.contains(&"own-secret-percent") && rules.contains(&"own-secret-json"));
        assert!(forms
            .iter()
            .any(|(e, t)| *e == Encoding::Hex && t == &hex::encode("ab+/cd?&é\"x")));
        let plain = encodings("abcdefgh12");
        assert!(!plain
            .iter()
            .any(|(e, _)| matches!(e, Encoding::Percent | Encoding::Json)));
    }
}
