//! ccxt's `keys.local.json` (the file its examples and tests read): an object of exchange ids, each with
//! `apiKey`, `secret` and, where the exchange needs them, `password`, `uid`, `privateKey`, `walletAddress`.

use super::{exchange_from_word, field_from_word, json, Candidate};
use crate::error::{Error, Result};
use serde_json::Value;

/// Most top-level names are exchanges and their objects hold an `apiKey` or `secret`.
pub(super) fn looks_like(text: &str) -> bool {
    let Ok(map) = json::object(text) else {
        return false;
    };
    let with_keys = map
        .iter()
        .filter(|(name, v)| {
            exchange_from_word(name).is_some()
                && v.as_object()
                    .is_some_and(|o| o.contains_key("apiKey") || o.contains_key("secret"))
        })
        .count();
    with_keys > 0 && with_keys * 2 >= map.len()
}

pub(super) fn parse(text: &str, warnings: &mut Vec<String>) -> Result<Vec<Candidate>> {
    let map = json::object(text)?;
    let mut out = Vec::new();
    for (id, entry) in &map {
        let Value::Object(fields) = entry else {
            return Err(Error::input(format!(
                "\"{}\" is not an object of key fields",
                shown(id)
            )));
        };
        let mut c = Candidate::new(format!("\"{}\"", shown(id)), "");
        c.set_exchange_word(id);
        for (key, value) in fields {
            let Some(field) = field_from_word(key) else {
                continue;
            };
            if let Some(v) = json::credential_text(value, &format!("{}.{}", shown(id), shown(key)))?
            {
                c.put(field, &v);
            }
        }
        if c.secrets.is_empty() {
            warnings.push(format!("\"{}\" has no key fields: left out", shown(id)));
            continue;
        }
        c.name = c.exchange.map_or_else(|| shown(id), |e| e.name.to_string());
        out.push(c);
    }
    Ok(out)
}

/// A name from the file as it may be shown in a message (short, control characters escaped).
fn shown(name: &str) -> String {
    name.chars()
        .take(64)
        .collect::<String>()
        .escape_debug()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::CredentialField::*;
    use secrecy::ExposeSecret;

    #[test]
    fn each_exchange_of_the_file_is_one_key() {
        let text = r#"{"binance": {"apiKey": "bk", "secret": "bs", "options": {"defaultType": "future"}}, "okx": {"apiKey": "ok", "secret": "os", "password": "op"}, "kraken": {"verbose": true}}"#;
        assert!(looks_like(text));
        let mut warnings = Vec::new();
        let got = parse(text, &mut warnings).unwrap();
        assert_eq!(
            got.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["Binance", "OKX"]
        );
        assert_eq!(got[1].secrets.get(Password).unwrap().expose_secret(), "op");
        assert_eq!(warnings, ["\"kraken\" has no key fields: left out"]);
    }

    #[test]
    fn wrong_types_are_refused_without_values() {
        for text in [
            r#"{"binance": "MARKER-1"}"#,
            r#"{"binance": {"apiKey": {"x": "MARKER-1"}}}"#,
        ] {
            let err = parse(text, &mut Vec::new()).unwrap_err().to_string();
            assert!(err.contains("binance"), "{err}");
            assert!(!err.contains("MARKER"), "{err}");
        }
    }
}
