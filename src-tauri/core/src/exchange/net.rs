//! The one way Keystead talks to an exchange: HTTPS through rustls (ring, Mozilla's roots from
//! webpki-roots), a short timeout, a capped answer, no proxy, no redirect. Plain http only to a literal
//! loopback address (a test fake or a local proxy the user set up). Errors never carry the request's
//! URL, headers or body: they may hold signatures, and the caller's secrets are never in them.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// The largest answer read; key-information answers are a few hundred bytes.
pub const MAX_ANSWER_BYTES: u64 = 64 * 1024;
/// How long one check may take, connection to last byte.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A base URL that passed [`check_base_url`]: scheme, host and port, no path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Accepts `https://host[:port]` and, for a literal loopback IP only, `http://…`; nothing after the
/// port but an optional `/`.
pub fn check_base_url(url: &str) -> Result<BaseUrl, String> {
    let url = url.trim();
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("'{url}' is not a URL: give https://host[:port]"))?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return Err(format!(
            "'{url}' is not a base URL: give only https://host[:port], no path, query or user"
        ));
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("'{url}' has an unclosed [IPv6] host"))?;
        check_port(after, url)?;
        h.to_string()
    } else {
        let (h, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, format!(":{p}")),
            None => (authority, String::new()),
        };
        check_port(&port, url)?;
        h.to_string()
    };
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(BaseUrl(format!("https://{authority}"))),
        "http" => {
            let loopback = host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(BaseUrl(format!("http://{authority}")))
            } else {
                Err(format!(
                    "'{url}' uses plain http to a host that is not a loopback address: Keystead sends keys' signatures only over https (http is accepted for 127.0.0.1 or [::1] alone)"
                ))
            }
        }
        other => Err(format!("'{url}' uses '{other}': only https is accepted")),
    }
}

fn check_port(port: &str, url: &str) -> Result<(), String> {
    if port.is_empty() {
        return Ok(());
    }
    match port.strip_prefix(':').map(|p| p.parse::<u16>()) {
        Some(Ok(p)) if p > 0 => Ok(()),
        _ => Err(format!("'{url}' has an invalid port")),
    }
}

/// One request, with its headers. Built by the signer of each exchange.
pub struct Request {
    pub method: &'static str,
    /// Path and query, e.g. `/sapi/v1/account/apiRestrictions?timestamp=…`.
    pub path_and_query: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<(String, &'static str)>,
}

/// An answer: its status and its body (at most [`MAX_ANSWER_BYTES`]).
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Sends `request` to `base`. `extra_roots` (DER), when given, are the only roots trusted: tests use it
/// for their test CA, and a user behind a TLS-inspecting proxy can give that proxy's CA.
pub fn send(
    base: &BaseUrl,
    request: Request,
    extra_roots: &[Vec<u8>],
    timeout: Duration,
) -> Result<Answer, String> {
    use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
    let roots = if extra_roots.is_empty() {
        RootCerts::WebPki
    } else {
        RootCerts::Specific(Arc::new(
            extra_roots
                .iter()
                .map(|der| Certificate::from_der(der).to_owned())
                .collect(),
        ))
    };
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        .timeout_global(Some(timeout))
        .user_agent(concat!("keystead/", env!("CARGO_PKG_VERSION")))
        .tls_config(
            TlsConfig::builder()
                .provider(TlsProvider::Rustls)
                .root_certs(roots)
                .build(),
        )
        .build();
    let agent: ureq::Agent = config.into();
    let url = format!("{}{}", base.as_str(), request.path_and_query);
    let result = match request.method {
        "POST" => {
            let mut r = agent.post(&url);
            for (k, v) in &request.headers {
                r = r.header(*k, v);
            }
            let (body, content_type) = request.body.unwrap_or_default();
            r.header("Content-Type", content_type).send(body.as_bytes())
        }
        _ => {
            let mut r = agent.get(&url);
            for (k, v) in &request.headers {
                r = r.header(*k, v);
            }
            r.call()
        }
    };
    let mut response = result.map_err(|e| describe(&e, timeout))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER_BYTES)
        .read_to_string()
        .map_err(|e| describe(&e, timeout))?;
    Ok(Answer { status, body })
}

/// A transport error in words, without the URL (which may hold a signature).
fn describe(e: &ureq::Error, timeout: Duration) -> String {
    match e {
        ureq::Error::Timeout(_) => format!("no answer within {} s", timeout.as_secs()),
        ureq::Error::HostNotFound => "the exchange's host name did not resolve".into(),
        ureq::Error::ConnectionFailed => "could not connect to the exchange".into(),
        ureq::Error::BodyExceedsLimit(_) => format!(
            "the answer is larger than {} KiB: not a key-information answer",
            MAX_ANSWER_BYTES / 1024
        ),
        ureq::Error::Tls(m) => format!("the TLS connection failed ({m})"),
        ureq::Error::Rustls(r) => format!("the TLS connection failed ({r})"),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            format!("no answer within {} s", timeout.as_secs())
        }
        // rustls reports a failed handshake (an untrusted certificate) as invalid data on the stream.
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => match io.get_ref() {
            Some(inner) => format!("the TLS connection failed ({inner})"),
            None => "the TLS connection failed".into(),
        },
        ureq::Error::Io(io) => format!("the connection failed ({})", io.kind()),
        _ => "the request failed before an answer came".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_https_or_loopback_http() {
        assert_eq!(
            check_base_url("https://api.binance.com").unwrap().as_str(),
            "https://api.binance.com"
        );
        assert_eq!(
            check_base_url("https://proxy.lan:8443/").unwrap().as_str(),
            "https://proxy.lan:8443"
        );
        assert!(check_base_url("http://127.0.0.1:8443").is_ok());
        assert!(check_base_url("http://127.5.0.1:1").is_ok());
        assert!(check_base_url("http://[::1]:9000").is_ok());
        for bad in [
            "http://localhost:8443",
            "http://10.0.0.1",
            "http://example.com",
            "http://127.0.0.1.example.com",
            "ftp://127.0.0.1",
            "https://host/path",
            "https://user@host",
            "https://host:0",
            "https://host:99999",
            "api.binance.com",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
    }
}
