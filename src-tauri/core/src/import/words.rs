//! The words files use for exchanges and credential fields, mapped to the catalog and to ccxt names.

use crate::catalog::{self, Exchange};
use crate::secret::CredentialField;

/// Names other tools use for catalog exchanges (ccxt's market-specific ids, old names).
const ALIASES: &[(&str, &str)] = &[
    ("okex", "okx"),
    ("okex5", "okx"),
    ("gateio", "gate"),
    ("binanceusdm", "binance"),
    ("binancecoinm", "binance"),
    ("kucoinfutures", "kucoin"),
    ("bitfinex2", "bitfinex"),
    ("coinbaseadvanced", "coinbase"),
    ("bitgetfutures", "bitget"),
];

fn squeeze(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn by_id(word: &str) -> Option<&'static Exchange> {
    let w = squeeze(word);
    if w.is_empty() || w == "custom" {
        return None;
    }
    let id = ALIASES
        .iter()
        .find(|(alias, _)| *alias == w)
        .map_or(w.as_str(), |(_, id)| id);
    catalog::exchanges()
        .iter()
        .find(|e| e.id != "custom" && (e.id == id || squeeze(e.name) == id))
}

/// The catalog exchange a word of a file names: an id or name (`binance`, `OKX`, `gate.io`), a ccxt id
/// (`binanceusdm`), a URL or host (`https://www.binance.com/…`), or a title that has one of those as a
/// word ("Binance main account"). `None` when none does (or the word names `custom`).
pub fn exchange_from_word(word: &str) -> Option<&'static Exchange> {
    let word = word.trim();
    if let Some(e) = by_id(word) {
        return Some(e);
    }
    let lower = word.to_ascii_lowercase();
    let host = lower
        .split_once("://")
        .map_or(lower.as_str(), |(_, rest)| rest)
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or("");
    if host.contains('.') && !host.contains(' ') {
        // api.binance.com, www.okx.com, gate.io: the label before the public suffix.
        let labels: Vec<&str> = host.split('.').collect();
        if let Some(e) = labels.iter().rev().skip(1).find_map(|l| by_id(l)) {
            return Some(e);
        }
        if let Some(e) = by_id(host) {
            return Some(e);
        }
    }
    lower
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '.')
        .filter(|w| !w.is_empty())
        .find_map(by_id)
}

/// The ccxt field a file's field or variable suffix means (`api_key`, `apiKey`, `key`, `API_SECRET`,
/// `passphrase`, `wallet_address`, `private_key`, …), case and separators ignored.
pub fn field_from_word(word: &str) -> Option<CredentialField> {
    use CredentialField::*;
    Some(match squeeze(word).as_str() {
        "apikey" | "key" | "accesskey" | "apiaccesskey" | "publickey" | "apipublickey" => ApiKey,
        "secret" | "apisecret" | "secretkey" | "apisecretkey" | "secretapikey" => Secret,
        "password" | "passphrase" | "apipassphrase" | "apipassword" | "pass" => Password,
        "uid" | "userid" | "apiuid" => Uid,
        "privatekey" | "apiprivatekey" | "walletprivatekey" => PrivateKey,
        "walletaddress" | "wallet" | "address" | "apiwalletaddress" | "accountaddress" => {
            WalletAddress
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchanges_are_found_by_id_alias_url_and_title_word() {
        let id = |w| exchange_from_word(w).map(|e| e.id);
        assert_eq!(id("binance"), Some("binance"));
        assert_eq!(id("OKX"), Some("okx"));
        assert_eq!(id("okex"), Some("okx"));
        assert_eq!(id("gateio"), Some("gate"));
        assert_eq!(id("Gate.io"), Some("gate"));
        assert_eq!(id("binanceusdm"), Some("binance"));
        assert_eq!(
            id("https://www.binance.com/en/my/settings/api-management"),
            Some("binance")
        );
        assert_eq!(id("api.bybit.com"), Some("bybit"));
        assert_eq!(id("Kraken – main account"), Some("kraken"));
        assert_eq!(id("my bot"), None);
        assert_eq!(id("custom"), None);
        assert_eq!(id(""), None);
    }

    #[test]
    fn fields_are_found_under_the_names_bots_use() {
        use CredentialField::*;
        for (w, f) in [
            ("api_key", ApiKey),
            ("apiKey", ApiKey),
            ("key", ApiKey),
            ("APIKEY", ApiKey),
            ("secret", Secret),
            ("API_SECRET", Secret),
            ("secretKey", Secret),
            ("passphrase", Password),
            ("password", Password),
            ("uid", Uid),
            ("wallet_address", WalletAddress),
            ("walletAddress", WalletAddress),
            ("private_key", PrivateKey),
            ("privateKey", PrivateKey),
        ] {
            assert_eq!(field_from_word(w), Some(f), "{w}");
        }
        assert_eq!(field_from_word("name"), None);
    }
}
