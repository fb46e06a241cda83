//! The vault's own secrets as one Aho-Corasick automaton over every value and its encodings.

use super::OwnSecret;
use crate::secret::CredentialField;
use aho_corasick::{
    AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Anchored, Input, MatchKind, StartKind,
};
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

/// log2 of the bits of the filter of the patterns' 8-byte blocks (128 KiB).
const FILTER_BITS: u32 = 20;

fn filter_slot(block: &[u8]) -> usize {
    let word = u64::from_le_bytes(block[..8].try_into().expect("8 bytes"));
    (word.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FILTER_BITS)) as usize
}

/// The automaton and, per pattern, every (secret, encoding) it stands for (two versions may share a value).
///
/// Every pattern is at least `min` ≥ 8 bytes long, so an occurrence starting at `start` holds the text's 8
/// bytes at each probe position `p` with `start ≤ p ≤ start + min - 8`. The search probes only every
/// `stride = min - 7`th position, testing those 8 bytes against a bit filter of every pattern's blocks at
/// offsets `0..=min - 8`; where the filter says yes, the automaton runs anchored (leftmost-longest) at the
/// `stride` starts that probe covers. Same matches as an unanchored leftmost-longest search, without
/// touching most bytes.
pub struct OwnMatcher {
    automaton: Option<AhoCorasick>,
    filter: Vec<u64>,
    /// The shortest pattern's length in bytes.
    min: usize,
    pub owners: Vec<Vec<Owner>>,
}

impl OwnMatcher {
    pub fn new(own: &[OwnSecret]) -> Self {
        let mut patterns: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<Owner>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (secret, item) in own.iter().enumerate() {
            let value = item.value.expose_secret();
            // Every pattern then has at least 8 bytes, which the filter in `find_each` relies on.
            if value.chars().count() < super::MIN_OWN_SECRET_CHARS.max(8) {
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
        let min = patterns.iter().map(String::len).min().unwrap_or(8);
        let mut filter = vec![0u64; 1 << (FILTER_BITS - 6)];
        for pattern in &patterns {
            for offset in 0..=min - 8 {
                let slot = filter_slot(&pattern.as_bytes()[offset..]);
                filter[slot >> 6] |= 1 << (slot & 63);
            }
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                // A full DFA: several times faster than the NFAs chosen by default for many patterns, at
                // about 1 KiB of memory per pattern byte... bounded by the few thousand patterns of a vault.
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .kind(Some(AhoCorasickKind::DFA))
                    .start_kind(StartKind::Anchored)
                    .prefilter(false)
                    .build(&patterns)
                    .expect("own-secret patterns build"),
            )
        };
        // The pattern strings (secret copies) are dropped here; the automaton keeps its own tables.
        drop(index);
        drop(patterns);
        Self {
            automaton,
            filter,
            min,
            owners,
        }
    }

    /// Calls `found(start, end, pattern)` for each match in `buf`, left to right, without overlaps.
    pub fn find_each(&self, buf: &[u8], mut found: impl FnMut(usize, usize, usize)) {
        let Some(ac) = &self.automaton else {
            return;
        };
        let stride = self.min - 7;
        // Starts before this are inside a match already reported.
        let mut free = 0;
        let mut probe = stride - 1;
        while probe + 8 <= buf.len() {
            let slot = filter_slot(&buf[probe..]);
            if self.filter[slot >> 6] & (1 << (slot & 63)) != 0 {
                for start in (probe + 1 - stride).max(free)..=probe {
                    let input = Input::new(buf).range(start..).anchored(Anchored::Yes);
                    if let Some(m) = ac.find(input) {
                        found(m.start(), m.end(), m.pattern().as_usize());
                        free = m.end();
                        break;
                    }
                }
            }
            probe += stride;
        }
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
    fn scan_strided_search_matches_the_plain_automaton() {
        let values = [
            "abcdefgh",
            "abcdefghijklmnop",
            "zz0123456789zz",
            "hijklmnopqrs",
        ];
        let own: Vec<OwnSecret> = values
            .iter()
            .map(|v| OwnSecret {
                key_id: uuid::Uuid::nil(),
                key_name: "k".into(),
                version: 1,
                current: true,
                field: CredentialField::Secret,
                value: secrecy::SecretString::from(*v),
            })
            .collect();
        let matcher = OwnMatcher::new(&own);
        let forms: Vec<String> = values
            .iter()
            .flat_map(|v| encodings(v))
            .map(|(_, t)| t)
            .collect();
        let plain = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&forms)
            .unwrap();
        let mut seed = 7u64;
        let mut text = String::new();
        for _ in 0..4000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pick = (seed >> 33) as usize;
            if pick % 5 == 0 {
                text.push_str(&forms[pick % forms.len()]);
            } else {
                text.push(char::from(b'a' + (pick % 26) as u8));
            }
        }
        let expected: Vec<(usize, usize)> = plain
            .find_iter(&text)
            .map(|m| (m.start(), m.end()))
            .collect();
        let mut got = Vec::new();
        matcher.find_each(text.as_bytes(), |s, e, _| got.push((s, e)));
        assert!(expected.len() > 100);
        assert_eq!(got, expected);
    }

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
