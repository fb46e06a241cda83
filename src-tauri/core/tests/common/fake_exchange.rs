//! Loopback fakes of the exchanges' key-information endpoints, for the core's and the CLI's tests. Each
//! checks the request's signature the way the exchange documents it, written here from the exchanges'
//! documentation and not with Keystead's signer, and answers a fixture only when it verifies; a bad
//! signature gets the exchange's documented refusal. Plain http on 127.0.0.1, or TLS with a test CA.
#![allow(dead_code)]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The credentials the fake exchange knows for its one key.
#[derive(Clone)]
pub struct Creds {
    pub api_key: String,
    /// HMAC secret (Kraken: base64), or Coinbase's EC private key PEM (its public key is derived).
    pub secret: String,
    pub passphrase: String,
    /// Binance Ed25519 keys: the public key the user registered.
    pub ed25519_public: Option<[u8; 32]>,
}

/// What the fake answers to a request whose signature verifies.
#[derive(Clone)]
pub enum Reply {
    Json(u16, String),
    /// Waits this long before answering anything.
    Slow(Duration),
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub signature_ok: bool,
    /// Why the signature did not verify.
    pub problem: Option<String>,
}

pub struct Fake {
    pub base_url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    /// The CA certificate (DER) a TLS fake's certificate chains to.
    pub ca_der: Option<Vec<u8>>,
    pub ca_pem: Option<String>,
}

impl Fake {
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Starts a fake `exchange` on 127.0.0.1 (a free port), over TLS when `tls`.
pub fn start(exchange: &'static str, creds: Creds, reply: Reply, tls: bool) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (server_config, ca_der, ca_pem) = if tls {
        let (c, der, pem) = tls_config();
        (Some(c), Some(der), Some(pem))
    } else {
        (None, None, None)
    };
    let host = format!("127.0.0.1:{port}");
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (creds, reply, log, host, config) = (
                creds.clone(),
                reply.clone(),
                log.clone(),
                host.clone(),
                server_config.clone(),
            );
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
                match config {
                    Some(c) => {
                        let conn = rustls::ServerConnection::new(c).unwrap();
                        let mut tls = rustls::StreamOwned::new(conn, stream);
                        serve_one(&mut tls, exchange, &creds, &reply, &log, &host);
                    }
                    None => {
                        let mut s: TcpStream = stream;
                        serve_one(&mut s, exchange, &creds, &reply, &log, &host);
                    }
                }
            });
        }
    });
    Fake {
        base_url: format!("{}://127.0.0.1:{port}", if tls { "https" } else { "http" }),
        seen,
        ca_der,
        ca_pem,
    }
}

fn tls_config() -> (Arc<rustls::ServerConfig>, Vec<u8>, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Keystead test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf_params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    (Arc::new(config), ca.der().to_vec(), ca.pem())
}

fn serve_one(
    stream: &mut (impl Read + Write),
    exchange: &str,
    creds: &Creds,
    reply: &Reply,
    log: &Mutex<Vec<Seen>>,
    host: &str,
) {
    let mut reader = BufReader::new(&mut *stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() {
            return;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let body = String::from_utf8_lossy(&body).to_string();
    if let Reply::Slow(d) = reply {
        std::thread::sleep(*d);
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.clone(), String::new()),
    };
    let verdict = if path != expected_path(exchange) {
        Err(format!("unexpected path {path}"))
    } else {
        verify(
            exchange, creds, &method, &path, &query, &headers, &body, host,
        )
    };
    log.lock().unwrap().push(Seen {
        method: method.clone(),
        path: path.clone(),
        signature_ok: verdict.is_ok(),
        problem: verdict.clone().err(),
    });
    let (status, text) = match (verdict, reply) {
        (Ok(()), Reply::Json(status, text)) => (*status, text.clone()),
        (Ok(()), Reply::Slow(_)) => (200, "{}".to_string()),
        (Err(_), _) => refusal(exchange),
    };
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
}

pub fn expected_path(exchange: &str) -> &'static str {
    match exchange {
        "binance" => "/sapi/v1/account/apiRestrictions",
        "okx" => "/api/v5/account/config",
        "bybit" => "/v5/user/query-api",
        "kraken" => "/0/private/GetApiKeyInfo",
        "kucoin" => "/api/v1/user/api-key",
        "coinbase" => "/api/v3/brokerage/key_permissions",
        _ => "?",
    }
}

/// Each exchange's documented answer to a request whose signature does not verify.
pub fn refusal(exchange: &str) -> (u16, String) {
    match exchange {
        "binance" => (400, r#"{"code":-1022,"msg":"Signature for this request is not valid."}"#.into()),
        "okx" => (401, r#"{"msg":"Invalid Sign","code":"50113"}"#.into()),
        "bybit" => (401, r#"{"retCode":10004,"retMsg":"error sign! origin_string[]","result":{},"retExtInfo":{},"time":1}"#.into()),
        "kraken" => (200, r#"{"error":["EAPI:Invalid signature"]}"#.into()),
        "kucoin" => (401, r#"{"code":"400005","msg":"Invalid KC-API-SIGN"}"#.into()),
        _ => (401, r#"{"error":"unauthorized","message":"Unauthorized"}"#.into()),
    }
}

fn hmac256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

fn header<'a>(h: &'a HashMap<String, String>, k: &str) -> Result<&'a str, String> {
    h.get(&k.to_ascii_lowercase())
        .map(String::as_str)
        .ok_or(format!("no {k} header"))
}

fn same(what: &str, got: &str, want: &str) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what} does not match"))
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

#[allow(clippy::too_many_arguments)]
fn verify(
    exchange: &str,
    c: &Creds,
    method: &str,
    path: &str,
    query: &str,
    h: &HashMap<String, String>,
    body: &str,
    host: &str,
) -> Result<(), String> {
    match exchange {
        // Binance: signature = HMAC-SHA256 hex of the total params (query string before `signature`),
        // or for Ed25519 keys the base64 Ed25519 signature of the same, URL-encoded; key in X-MBX-APIKEY.
        "binance" => {
            same("X-MBX-APIKEY", header(h, "X-MBX-APIKEY")?, &c.api_key)?;
            same("method", method, "GET")?;
            let (payload, sig) = query
                .rsplit_once("&signature=")
                .ok_or("no signature parameter")?;
            if !payload.split('&').any(|p| p.starts_with("timestamp=")) {
                return Err("no timestamp".into());
            }
            match c.ed25519_public {
                Some(public) => {
                    let raw = STANDARD
                        .decode(percent_decode(sig))
                        .map_err(|_| "signature not base64")?;
                    let sig = ed25519_dalek::Signature::from_slice(&raw)
                        .map_err(|_| "bad signature length")?;
                    ed25519_dalek::VerifyingKey::from_bytes(&public)
                        .unwrap()
                        .verify_strict(payload.as_bytes(), &sig)
                        .map_err(|_| "Ed25519 signature does not verify".to_string())
                }
                None => same(
                    "signature",
                    sig,
                    &hex::encode(hmac256(c.secret.as_bytes(), payload.as_bytes())),
                ),
            }
        }
        // OKX: OK-ACCESS-SIGN = Base64(HMAC-SHA256(timestamp + method + requestPath + body)).
        "okx" => {
            same("OK-ACCESS-KEY", header(h, "OK-ACCESS-KEY")?, &c.api_key)?;
            same(
                "OK-ACCESS-PASSPHRASE",
                header(h, "OK-ACCESS-PASSPHRASE")?,
                &c.passphrase,
            )?;
            let ts = header(h, "OK-ACCESS-TIMESTAMP")?;
            if !(ts.ends_with('Z') && ts.contains('T') && ts.len() == 24) {
                return Err("timestamp is not ISO 8601 with milliseconds".into());
            }
            let full = if query.is_empty() {
                path.to_string()
            } else {
                format!("{path}?{query}")
            };
            let want = STANDARD.encode(hmac256(
                c.secret.as_bytes(),
                format!("{ts}{method}{full}{body}").as_bytes(),
            ));
            same("OK-ACCESS-SIGN", header(h, "OK-ACCESS-SIGN")?, &want)
        }
        // Bybit v5: X-BAPI-SIGN = hex HMAC-SHA256(timestamp + api_key + recv_window + queryString).
        "bybit" => {
            let key = header(h, "X-BAPI-API-KEY")?;
            same("X-BAPI-API-KEY", key, &c.api_key)?;
            let ts = header(h, "X-BAPI-TIMESTAMP")?;
            let recv = header(h, "X-BAPI-RECV-WINDOW")?;
            let want = hex::encode(hmac256(
                c.secret.as_bytes(),
                format!("{ts}{key}{recv}{query}").as_bytes(),
            ));
            same("X-BAPI-SIGN", header(h, "X-BAPI-SIGN")?, &want)
        }
        // Kraken: API-Sign = Base64(HMAC-SHA512(path + SHA256(nonce + POST data), base64-decoded secret)).
        "kraken" => {
            same("method", method, "POST")?;
            same("API-Key", header(h, "API-Key")?, &c.api_key)?;
            let nonce = body
                .split('&')
                .find_map(|p| p.strip_prefix("nonce="))
                .ok_or("no nonce in the POST data")?;
            let inner = Sha256::digest(format!("{nonce}{body}").as_bytes());
            let mut m =
                Hmac::<Sha512>::new_from_slice(&STANDARD.decode(&c.secret).unwrap()).unwrap();
            m.update(path.as_bytes());
            m.update(&inner);
            same(
                "API-Sign",
                header(h, "API-Sign")?,
                &STANDARD.encode(m.finalize().into_bytes()),
            )
        }
        // KuCoin: KC-API-SIGN = Base64(HMAC-SHA256(timestamp + method + endpoint + body)); for key
        // versions 2 and 3 KC-API-PASSPHRASE = Base64(HMAC-SHA256(passphrase)), both keyed by the secret.
        "kucoin" => {
            same("KC-API-KEY", header(h, "KC-API-KEY")?, &c.api_key)?;
            let version = header(h, "KC-API-KEY-VERSION")?;
            if version != "2" && version != "3" {
                return Err("KC-API-KEY-VERSION is not 2 or 3".into());
            }
            let ts = header(h, "KC-API-TIMESTAMP")?;
            let endpoint = if query.is_empty() {
                path.to_string()
            } else {
                format!("{path}?{query}")
            };
            let want = STANDARD.encode(hmac256(
                c.secret.as_bytes(),
                format!("{ts}{method}{endpoint}{body}").as_bytes(),
            ));
            same("KC-API-SIGN", header(h, "KC-API-SIGN")?, &want)?;
            let pass = STANDARD.encode(hmac256(c.secret.as_bytes(), c.passphrase.as_bytes()));
            same("KC-API-PASSPHRASE", header(h, "KC-API-PASSPHRASE")?, &pass)
        }
        // Coinbase CDP: Authorization: Bearer <ES256 JWT>, header kid = key name, claims sub = key name,
        // iss "cdp", uri "METHOD host/path", nbf and exp (two minutes).
        _ => {
            use p256::ecdsa::signature::Verifier;
            let jwt = header(h, "Authorization")?
                .strip_prefix("Bearer ")
                .ok_or("not a Bearer token")?;
            let mut parts = jwt.split('.');
            let (hd, pl, sg) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
            );
            let head: serde_json::Value = serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(hd)
                    .map_err(|_| "header not base64url")?,
            )
            .map_err(|_| "header not JSON")?;
            let claims: serde_json::Value = serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(pl)
                    .map_err(|_| "claims not base64url")?,
            )
            .map_err(|_| "claims not JSON")?;
            same("alg", head["alg"].as_str().unwrap_or(""), "ES256")?;
            same("kid", head["kid"].as_str().unwrap_or(""), &c.api_key)?;
            same("sub", claims["sub"].as_str().unwrap_or(""), &c.api_key)?;
            same("iss", claims["iss"].as_str().unwrap_or(""), "cdp")?;
            same(
                "uri",
                claims["uri"].as_str().unwrap_or(""),
                &format!("{method} {host}{path}"),
            )?;
            let (nbf, exp) = (
                claims["nbf"].as_i64().unwrap_or(0),
                claims["exp"].as_i64().unwrap_or(0),
            );
            if exp <= nbf || exp - nbf > 120 {
                return Err("nbf/exp not a short window".into());
            }
            let secret = p256::SecretKey::from_sec1_pem(&c.secret).unwrap();
            let public = p256::ecdsa::VerifyingKey::from(&p256::ecdsa::SigningKey::from(secret));
            let raw = URL_SAFE_NO_PAD
                .decode(sg)
                .map_err(|_| "signature not base64url")?;
            let sig =
                p256::ecdsa::Signature::from_slice(&raw).map_err(|_| "signature not 64 bytes")?;
            public
                .verify(format!("{hd}.{pl}").as_bytes(), &sig)
                .map_err(|_| "ES256 signature does not verify".to_string())
        }
    }
}
