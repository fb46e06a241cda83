//! The key-shape rules (one table, to review in one place) and the `.env`-style assignment rule.

use super::Confidence;

/// One shape of key. `regex` runs on bytes (`regex::bytes`); its whole match is the finding.
pub struct ShapeRule {
    pub id: &'static str,
    pub regex: &'static str,
    /// The catalog id of the exchange the shape belongs to, when it belongs to one.
    pub exchange: Option<&'static str>,
    pub description: &'static str,
    /// The confidence with none of `context` on the match's line; `None`: only reported with one of them
    /// (these rules run only on lines holding a keyword, never over whole files).
    pub bare: Option<Confidence>,
    /// Lower-case words that, on the same line (compared case-insensitively), raise the confidence to theirs.
    pub context: &'static [(&'static str, Confidence)],
    /// Drop matches made of hex digits only (hashes and digests are hex; these keys are not).
    pub not_all_hex: bool,
    /// Drop matches without both a digit and a letter (ordinary words).
    pub mixed: bool,
    /// Drop matches that are part of a longer token (a neighbour in `[A-Za-z0-9+/=_-]`).
    pub standalone: bool,
    /// `Some(n)`: a standalone match is a whole token of `n` bytes, so the rule runs on such tokens only
    /// (found by one pass over the file) instead of over the whole file: counted repetitions like `{64}`
    /// are slow in a regex over every byte.
    pub token: Option<usize>,
}

use Confidence::{High, Low, Medium};

/// Every shape rule. Word boundaries are ASCII (`(?-u:\b)`) so the rules compile to DFAs.
pub static SHAPE_RULES: &[ShapeRule] = &[
    ShapeRule {
        id: "binance-api-key",
        regex: r"(?-u:\b)[A-Za-z0-9]{64}(?-u:\b)",
        exchange: Some("binance"),
        description: "a 64-character key shaped like a Binance API key or secret",
        bare: Some(Low),
        context: &[("binance", High), ("api", Medium), ("secret", Medium)],
        not_all_hex: true,
        standalone: true,
        token: Some(64),
        mixed: true,
    },
    ShapeRule {
        id: "kraken-api-key",
        regex: r"(?-u:\b)[A-Za-z0-9+/]{56}",
        exchange: Some("kraken"),
        description: "a 56-character base64 key shaped like a Kraken API key",
        bare: Some(Low),
        context: &[("kraken", High), ("api", Medium)],
        not_all_hex: true,
        standalone: true,
        token: Some(56),
        mixed: true,
    },
    ShapeRule {
        id: "kraken-private-key",
        regex: r"(?-u:\b)[A-Za-z0-9+/]{86}==",
        exchange: Some("kraken"),
        description: "an 88-character base64 key shaped like a Kraken private key",
        bare: Some(Low),
        context: &[("kraken", High), ("secret", Medium), ("private", Medium)],
        not_all_hex: true,
        standalone: true,
        token: Some(88),
        mixed: true,
    },
    ShapeRule {
        id: "kucoin-api-key",
        regex: r"(?-u:\b)[0-9a-f]{24}(?-u:\b)",
        exchange: Some("kucoin"),
        description: "a 24-hex-digit KuCoin API key id",
        bare: None,
        context: &[("kucoin", Medium)],
        not_all_hex: false,
        standalone: true,
        token: None,
        mixed: false,
    },
    ShapeRule {
        id: "kucoin-api-secret",
        regex: uuid_shapes::KUCOIN,
        exchange: Some("kucoin"),
        description: "a UUID next to 'kucoin', shaped like a KuCoin API secret",
        bare: None,
        context: &[("kucoin", Medium)],
        not_all_hex: false,
        standalone: true,
        token: None,
        mixed: false,
    },
    ShapeRule {
        id: "bitfinex-api-key",
        regex: r"(?-u:\b)[A-Za-z0-9]{43}(?-u:\b)",
        exchange: Some("bitfinex"),
        description: "a 43-character key shaped like a Bitfinex API key or secret",
        bare: Some(Low),
        context: &[("bitfinex", Medium)],
        not_all_hex: true,
        standalone: true,
        token: Some(43),
        mixed: true,
    },
    ShapeRule {
        id: "deribit-client-id",
        regex: r"(?-u:\b)[A-Za-z0-9_-]{8}(?-u:\b)",
        exchange: Some("deribit"),
        description: "an 8-character id next to 'deribit', shaped like a Deribit client id",
        bare: None,
        context: &[("deribit", Medium)],
        not_all_hex: false,
        standalone: true,
        token: None,
        mixed: true,
    },
    ShapeRule {
        id: "deribit-client-secret",
        regex: r"(?-u:\b)[A-Za-z0-9_-]{43}(?-u:\b)",
        exchange: Some("deribit"),
        description: "a 43-character secret next to 'deribit', shaped like a Deribit client secret",
        bare: None,
        context: &[("deribit", Medium)],
        not_all_hex: false,
        standalone: true,
        token: None,
        mixed: true,
    },
    ShapeRule {
        id: "okx-api-key",
        regex: uuid_shapes::OKX,
        exchange: Some("okx"),
        description: "a UUID next to 'okx', shaped like an OKX API key",
        bare: None,
        context: &[("okx", Medium)],
        not_all_hex: false,
        standalone: true,
        token: None,
        mixed: false,
    },
    ShapeRule {
        id: "okx-api-secret",
        regex: r"(?-u:\b)[0-9A-F]{32}(?-u:\b)",
        exchange: Some("okx"),
        description: "32 hex digits next to 'okx', shaped like an OKX API secret",
        bare: None,
        context: &[("okx", Medium)],
        not_all_hex: false,
        standalone: true,
        token: None,
        mixed: false,
    },
    ShapeRule {
        id: "coinbase-cdp-key-name",
        regex: uuid_shapes::CDP,
        exchange: Some("coinbase"),
        description: "a Coinbase CDP API key name",
        bare: Some(High),
        context: &[],
        not_all_hex: false,
        standalone: false,
        token: None,
        mixed: false,
    },
    ShapeRule {
        id: "coinbase-ec-private-key",
        regex: r"-----BEGIN EC PRIVATE KEY-----",
        exchange: Some("coinbase"),
        description: "an EC private key (PEM), as Coinbase CDP keys are",
        bare: Some(High),
        context: &[],
        not_all_hex: false,
        standalone: false,
        token: None,
        mixed: false,
    },
    ShapeRule {
        id: "hex-private-key",
        regex: r"(?-u:\b)0x[0-9a-fA-F]{64}(?-u:\b)",
        exchange: None,
        description: "a 0x-prefixed 64-hex-digit private key (Ethereum-style wallets, Hyperliquid)",
        bare: Some(Medium),
        context: &[],
        not_all_hex: false,
        standalone: false,
        token: None,
        mixed: false,
    },
    ShapeRule {
        id: "pem-private-key",
        regex: r"-----BEGIN (?:RSA |OPENSSH |)PRIVATE KEY-----",
        exchange: None,
        description: "a PEM private key",
        bare: Some(High),
        context: &[],
        not_all_hex: false,
        standalone: false,
        token: None,
        mixed: false,
    },
    ShapeRule {
        id: "aws-access-key-id",
        regex: r"(?-u:\b)AKIA[0-9A-Z]{16}(?-u:\b)",
        exchange: None,
        description: "an AWS access key id",
        bare: Some(High),
        context: &[],
        not_all_hex: false,
        standalone: false,
        token: None,
        mixed: false,
    },
    ShapeRule {
        id: "github-token",
        regex: r"(?-u:\b)gh[pousr]_[A-Za-z0-9]{36,}",
        exchange: None,
        description: "a GitHub token",
        bare: Some(High),
        context: &[],
        not_all_hex: false,
        standalone: false,
        token: None,
        mixed: false,
    },
    ShapeRule {
        id: "github-fine-grained-token",
        regex: r"(?-u:\b)github_pat_[A-Za-z0-9_]{22,}",
        exchange: None,
        description: "a GitHub fine-grained personal access token",
        bare: Some(High),
        context: &[],
        not_all_hex: false,
        standalone: false,
        token: None,
        mixed: false,
    },
    ShapeRule {
        id: "slack-token",
        regex: r"(?-u:\b)xox[baprs]-[A-Za-z0-9-]{10,}",
        exchange: None,
        description: "a Slack token",
        bare: Some(High),
        context: &[],
        not_all_hex: false,
        standalone: false,
        token: None,
        mixed: false,
    },
];

/// The UUID-based regexes, spelled out (a `static` table cannot call `format!`).
mod uuid_shapes {
    pub const KUCOIN: &str = r"(?-u:\b)[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?-u:\b)";
    pub const OKX: &str = KUCOIN;
    pub const CDP: &str = r"organizations/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/apiKeys/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
}

/// The words (each also in upper case and capitalised) whose presence on a line makes the assignment rule run
/// there. The rule itself compares names case-insensitively; lines whose name is in another casing
/// (`aPi_KeY`) are not looked at.
pub const ASSIGNMENT_KEYWORDS: &[&str] = &[
    "api_key",
    "apikey",
    "apiKey",
    "ApiKey",
    "secret",
    "passphrase",
    "password",
    "private_key",
    "privateKey",
    "PrivateKey",
    "token",
];

/// `NAME = value`, `NAME: value`, `"name": "value"`, `export NAME='value'`: group 1 the name, group 2 the value.
pub const ASSIGNMENT_REGEX: &str = r#"(?i)([A-Za-z0-9_.-]*(?:api_?key|secret|passphrase|password|private_?key|token))["']?[ \t]*(?::|=|:=)[ \t]*["']?([^\s"'`,;]{8,})"#;

/// Values that are obviously not a real secret.
pub fn is_placeholder(value: &[u8]) -> bool {
    let v = String::from_utf8_lossy(value).to_ascii_lowercase();
    let v = v.trim_matches(|c| c == '"' || c == '\'');
    v.is_empty()
        || v == "changeme"
        || v.starts_with("your_")
        || v.starts_with("your-")
        || v.starts_with("xxx")
        || (v.starts_with('<') && v.ends_with('>'))
        || v.starts_with('<')
        || v.starts_with("${")
        || v.starts_with("$(")
        || v.starts_with("{{")
        || v.starts_with("os.environ")
        || v.starts_with("os.getenv")
        || v.starts_with("process.env")
        || v.starts_with("env(")
        || v.starts_with("getenv(")
        || v.chars().all(|c| c == '*' || c == 'x' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_rules_compile_and_ids_are_unique() {
        let mut ids = std::collections::HashSet::new();
        for rule in SHAPE_RULES {
            regex::bytes::Regex::new(rule.regex).unwrap();
            assert!(ids.insert(rule.id), "{}", rule.id);
            assert!(
                rule.bare.is_some() || !rule.context.is_empty(),
                "{}",
                rule.id
            );
        }
        regex::bytes::Regex::new(ASSIGNMENT_REGEX).unwrap();
    }

    #[test]
    fn scan_placeholders() {
        for p in [
            "changeme",
            "your_api_key_here",
            "xxxxxxxxxxxx",
            "<secret-here>",
            "${SECRET}",
            "os.environ['X']",
            "********",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        assert!(!is_placeholder(b"s3cr3tValue99"));
    }
}
