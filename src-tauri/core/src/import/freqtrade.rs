//! freqtrade's `config.json` (and split files such as `config-private.json`): the `exchange` section's
//! `name` and credentials, under any of the names freqtrade itself reads (`key`, `api_key`, `apiKey`,
//! `secret`, `password`, `uid`, and Hyperliquid's `walletAddress` and `privateKey`).

use super::{field_from_word, json, Candidate};
use crate::error::{Error, Result};
use serde_json::Value;

/// A JSON object with an `exchange` object, or freqtrade's own top-level settings.
pub(super) fn looks_like(text: &str) -> bool {
    let Ok(map) = json::object(text) else {
        return false;
    };
    map.get("exchange").is_some_and(Value::is_object)
        || ["stake_currency", "dry_run", "max_open_trades", "strategy"]
            .iter()
            .filter(|k| map.contains_key(**k))
            .count()
            >= 2
}

/// One candidate for the `exchange` section (kept even without secrets: a split config may name the
/// exchange in one file and hold the key in another; [`super::parse_files`] joins them).
pub(super) fn parse(text: &str, _warnings: &mut Vec<String>) -> Result<Vec<Candidate>> {
    let map = json::object(text)?;
    let exchange = match map.get("exchange") {
        Some(Value::Object(e)) => e,
        Some(_) => return Err(Error::input("its \"exchange\" is not an object")),
        None => {
            return Err(Error::input(
                "it has no \"exchange\" section, so no exchange key is in it",
            ))
        }
    };
    let bot = json::text(&map, "bot_name").filter(|b| !b.eq_ignore_ascii_case("freqtrade"));
    let mut c = Candidate::new("exchange", "");
    if let Some(name) = json::text(exchange, "name") {
        c.set_exchange_word(name);
    }
    for (key, value) in exchange {
        if key == "name" {
            continue;
        }
        let Some(field) = field_from_word(key) else {
            continue;
        };
        if let Some(v) = json::credential_text(value, &format!("exchange.{key}"))? {
            // freqtrade reads `key` and `api_key` alike; a file with both keeps the first non-empty.
            if c.secrets.get(field).is_none() {
                c.put(field, &v);
            }
        }
    }
    let exchange_name = c
        .exchange
        .map(|e| e.name.to_string())
        .or_else(|| c.exchange_hint.clone())
        .unwrap_or_else(|| "Exchange".into());
    c.name = match bot {
        Some(bot) => format!("{exchange_name} {bot}"),
        None => format!("{exchange_name} freqtrade"),
    };
    Ok(vec![c])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::CredentialField::*;
    use secrecy::ExposeSecret;

    fn one(text: &str) -> Candidate {
        parse(text, &mut Vec::new()).unwrap().remove(0)
    }

    #[test]
    fn a_config_written_by_new_config_with_comments_and_trailing_commas_gives_its_key() {
        let c = one(r#"{
            // written by freqtrade new-config
            "max_open_trades": 3, "stake_currency": "USDT", "dry_run": false,
            "exchange": {
                "name": "binance",
                "key": "",
                "api_key": "ft-key-value",   /* the key */
                "secret": "ft-secret-value",
                "ccxt_config": {},
                "pair_whitelist": [],
            },
        }"#);
        assert_eq!(c.exchange.map(|e| e.id), Some("binance"));
        assert_eq!(c.name, "Binance freqtrade");
        assert_eq!(c.secrets.fields(), vec![ApiKey, Secret]);
        assert_eq!(
            c.secrets.get(ApiKey).unwrap().expose_secret(),
            "ft-key-value"
        );
        assert_eq!(
            c.secrets.get(Secret).unwrap().expose_secret(),
            "ft-secret-value"
        );
    }

    #[test]
    fn okx_password_hyperliquid_wallet_and_the_bot_name_are_read() {
        let c = one(
            r#"{"bot_name": "scalper", "exchange": {"name": "okx", "apiKey": "k", "secret": "s", "password": "p"}}"#,
        );
        assert_eq!(c.name, "OKX scalper");
        assert_eq!(c.secrets.fields(), vec![ApiKey, Secret, Password]);
        let h = one(
            r#"{"exchange": {"name": "hyperliquid", "walletAddress": "0xabc", "privateKey": "0xdef"}}"#,
        );
        assert_eq!(h.exchange.map(|e| e.id), Some("hyperliquid"));
        assert_eq!(h.secrets.fields(), vec![PrivateKey, WalletAddress]);
    }

    #[test]
    fn broken_configs_are_refused_with_the_place_and_never_a_value() {
        for (text, says) in [
            ("{\"exchange\": {\"key\": \"MARKER-123\"", "not valid JSON"),
            ("[1, 2]", "not an object"),
            ("{\"exchange\": [\"MARKER-123\"]}", "not an object"),
            (
                "{\"exchange\": {\"key\": [\"MARKER-123\"]}}",
                "exchange.key is not text",
            ),
            ("{\"dry_run\": true}", "no \"exchange\""),
            (
                "{\"exchange\": {\"key\": \"MARKER-123\" \"x\": 1}}",
                "line 1",
            ),
        ] {
            let err = parse(text, &mut Vec::new()).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
            assert!(!err.contains("MARKER"), "{err}");
        }
        let deep = format!("{{\"exchange\": {}{}}}", "[".repeat(5000), "]".repeat(5000));
        assert!(parse(&deep, &mut Vec::new())
            .unwrap_err()
            .to_string()
            .contains("nested too deeply"));
    }
}
