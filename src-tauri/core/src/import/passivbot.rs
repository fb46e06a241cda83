//! Passivbot's `api-keys.json`: one entry per user label (`"bybit_01": {"exchange": "bybit", "key": …,
//! "secret": …}`), OKX/KuCoin/Bitget's `passphrase`, Hyperliquid's `wallet_address` and `private_key`.
//! The label stays the key's name, so `keystead run --profile passivbot` gives the bot the same user.

use super::{field_from_word, json, Candidate};
use crate::error::{Error, Result};
use serde_json::Value;

/// Some top-level entry has an `exchange` and a key field.
pub(super) fn looks_like(text: &str) -> bool {
    let Ok(map) = json::object(text) else {
        return false;
    };
    map.values().any(|v| {
        v.as_object().is_some_and(|o| {
            o.get("exchange").is_some_and(Value::is_string)
                && o.keys().any(|k| field_from_word(k).is_some())
        })
    })
}

pub(super) fn parse(text: &str, warnings: &mut Vec<String>) -> Result<Vec<Candidate>> {
    let map = json::object(text)?;
    let mut out = Vec::new();
    for (user, entry) in &map {
        let shown: String = user
            .chars()
            .take(64)
            .collect::<String>()
            .escape_debug()
            .to_string();
        let Value::Object(fields) = entry else {
            return Err(Error::input(format!("user \"{shown}\" is not an object")));
        };
        let Some(exchange) = fields.get("exchange") else {
            // e.g. "referrals": not a key.
            continue;
        };
        let Some(exchange) = exchange.as_str() else {
            return Err(Error::input(format!(
                "user \"{shown}\": \"exchange\" is not text"
            )));
        };
        let mut c = Candidate::new(format!("user \"{shown}\""), user.trim());
        c.set_exchange_word(exchange);
        for (key, value) in fields {
            if key == "exchange" {
                continue;
            }
            let Some(field) = field_from_word(key) else {
                continue;
            };
            if let Some(v) = json::credential_text(value, &format!("user \"{shown}\": {key}"))? {
                c.put(field, &v);
            }
        }
        if c.secrets.is_empty() {
            warnings.push(format!(
                "user \"{shown}\" has no key (empty fields): left out"
            ));
            continue;
        }
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::CredentialField::*;
    use secrecy::ExposeSecret;

    #[test]
    fn users_become_keys_under_their_labels() {
        let text = r#"{
            "referrals": {"binance": "https://…"},
            "binance_01": {"exchange": "binance", "key": "bk", "secret": "bs"},
            "okx_01": {"exchange": "okx", "key": "ok", "secret": "os", "passphrase": "op"},
            "hyperliquid_01": {"exchange": "hyperliquid", "wallet_address": "0xw", "private_key": "0xp", "is_vault": false},
            "bybit_template": {"exchange": "bybit", "key": "", "secret": ""}
        }"#;
        assert!(looks_like(text));
        let mut warnings = Vec::new();
        let got = parse(text, &mut warnings).unwrap();
        assert_eq!(
            got.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["binance_01", "hyperliquid_01", "okx_01"]
        );
        assert_eq!(got[2].secrets.get(Password).unwrap().expose_secret(), "op");
        assert_eq!(got[1].secrets.fields(), vec![PrivateKey, WalletAddress]);
        assert_eq!(got[1].exchange.map(|e| e.id), Some("hyperliquid"));
        assert_eq!(warnings.len(), 1);
    }
}
