//! How each exchange wants a request signed, as pure functions of the secret and the request's parts.
//! Nothing here talks to the network or keeps a secret beyond the call.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

/// Why a signature could not be made. Never holds the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignError(pub String);

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Binance HMAC-SHA256 keys: the hex HMAC-SHA256 of the query string (and body), keyed by the secret.
pub fn binance_hmac(secret: &str, payload: &str) -> String {
    hex::encode(hmac_sha256(secret.as_bytes(), payload.as_bytes()))
}

/// Binance Ed25519 keys: the base64 Ed25519 signature of the query string, with the private key in
/// PKCS#8 PEM (as Binance's key-pair instructions make it). The caller percent-encodes it in the query.
pub fn binance_ed25519(private_key_pem: &str, payload: &str) -> Result<String, SignError> {
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    use ed25519_dalek::Signer;
    let key = ed25519_dalek::SigningKey::from_pkcs8_pem(private_key_pem.trim()).map_err(|_| {
        SignError("the private key is not an Ed25519 private key in PKCS#8 PEM form".into())
    })?;
    Ok(STANDARD.encode(key.sign(payload.as_bytes()).to_bytes()))
}

/// OKX: base64 HMAC-SHA256 of timestamp + method + request path (with query) + body.
pub fn okx(secret: &str, timestamp: &str, method: &str, path: &str, body: &str) -> String {
    let message = format!("{timestamp}{method}{path}{body}");
    STANDARD.encode(hmac_sha256(secret.as_bytes(), message.as_bytes()))
}

/// Bybit v5: hex HMAC-SHA256 of timestamp + API key + recv window + query string (GET) or body (POST).
pub fn bybit(
    secret: &str,
    timestamp: &str,
    api_key: &str,
    recv_window: &str,
    payload: &str,
) -> String {
    let message = format!("{timestamp}{api_key}{recv_window}{payload}");
    hex::encode(hmac_sha256(secret.as_bytes(), message.as_bytes()))
}

/// Kraken spot REST: base64 HMAC-SHA512 of (URI path + SHA256(nonce + POST data)), keyed by the
/// base64-decoded secret.
pub fn kraken(
    secret_b64: &str,
    path: &str,
    nonce: &str,
    post_data: &str,
) -> Result<String, SignError> {
    let key = STANDARD
        .decode(secret_b64.trim())
        .map_err(|_| SignError("the Kraken private key is not base64".into()))?;
    let inner = Sha256::digest(format!("{nonce}{post_data}").as_bytes());
    let mut mac = Hmac::<Sha512>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(path.as_bytes());
    mac.update(&inner);
    Ok(STANDARD.encode(mac.finalize().into_bytes()))
}

/// KuCoin: KC-API-SIGN, base64 HMAC-SHA256 of timestamp + method + endpoint (with query) + body.
pub fn kucoin(secret: &str, timestamp: &str, method: &str, endpoint: &str, body: &str) -> String {
    let message = format!("{timestamp}{method}{endpoint}{body}");
    STANDARD.encode(hmac_sha256(secret.as_bytes(), message.as_bytes()))
}

/// KuCoin API keys of version 2 and 3: the passphrase header is the base64 HMAC-SHA256 of the
/// passphrase, keyed by the secret.
pub fn kucoin_passphrase(secret: &str, passphrase: &str) -> String {
    STANDARD.encode(hmac_sha256(secret.as_bytes(), passphrase.as_bytes()))
}

/// Coinbase CDP keys: an ES256 JWT for one request. `uri` is "METHOD host/path"; the token lives two
/// minutes. The private key is the key's EC private key in PEM (SEC1, as CDP gives it, or PKCS#8).
pub fn coinbase_jwt(
    key_name: &str,
    private_key_pem: &str,
    now_unix: i64,
    nonce: &str,
    uri: &str,
) -> Result<String, SignError> {
    use p256::ecdsa::signature::Signer;
    use p256::pkcs8::DecodePrivateKey;
    // CDP shows the PEM with literal "\n" when copied from its JSON file.
    let pem = private_key_pem.trim().replace("\\n", "\n");
    let secret = p256::SecretKey::from_sec1_pem(&pem)
        .or_else(|_| p256::SecretKey::from_pkcs8_pem(&pem))
        .map_err(|_| {
            SignError("the Coinbase secret is not an EC (P-256) private key in PEM form".into())
        })?;
    let key = p256::ecdsa::SigningKey::from(secret);
    let header =
        serde_json::json!({ "alg": "ES256", "typ": "JWT", "kid": key_name, "nonce": nonce });
    let claims = serde_json::json!({
        "sub": key_name,
        "iss": "cdp",
        "nbf": now_unix,
        "exp": now_unix + 120,
        "uri": uri,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature: p256::ecdsa::Signature = key.sign(signing_input.as_bytes());
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Binance's API documentation ("SIGNED endpoint examples for POST /api/v3/order", HMAC keys).
    #[test]
    fn binance_hmac_matches_the_documented_example() {
        let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
        let query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert_eq!(
            binance_hmac(secret, query),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
        assert_ne!(
            binance_hmac(secret, &query.replace("0.1", "0.2")),
            binance_hmac(secret, query)
        );
    }

    /// Kraken's "Spot REST Authentication" guide: the API-Sign of a limit order (buy 1.25 XBTUSD at 37500).
    #[test]
    fn kraken_matches_the_documented_example() {
        let secret = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
        let nonce = "1616492376594";
        let post =
            "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
        assert_eq!(
            kraken(secret, "/0/private/AddOrder", nonce, post).unwrap(),
            "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
        );
        assert!(kraken("not base64!", "/0/private/AddOrder", nonce, post).is_err());
    }

    #[test]
    fn a_bad_key_is_named_without_its_value() {
        let err = binance_ed25519(
            "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----",
            "a=1",
        )
        .unwrap_err();
        assert!(!err.0.contains("c2VjcmV0"));
        let err =
            coinbase_jwt("organizations/x/apiKeys/y", "hunter2", 0, "n", "GET h/p").unwrap_err();
        assert!(!err.0.contains("hunter2"));
    }
}
