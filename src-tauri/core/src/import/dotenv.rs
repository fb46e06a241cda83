//! `.env` files: `NAME=value` lines (`export` allowed, single or double quotes, `#` comments), with
//! variables grouped into keys by their exchange prefix and credential suffix (`BINANCE_API_KEY` and
//! `BINANCE_API_SECRET` are one Binance key; ccxt's `OKX_APIKEY`/`OKX_PASSWORD` work the same way).
//!
//! Read here rather than with a dotenv crate: the Rust ones (dotenvy) expand `$NAME` from the process
//! environment, so a file saying `BINANCE_API_SECRET=$KEYSTEAD_PASSPHRASE` would import the value of a
//! variable of ours. Keystead takes every value as written; a `${…}` in a value is kept and named in a
//! warning.

use super::{exchange_from_word, field_from_word, Candidate};
use crate::error::{Error, Result};
use crate::secret::CredentialField;
use std::collections::BTreeMap;

/// The variables of one key, by field.
type Group<'a> = Vec<(CredentialField, &'a Assignment)>;

/// One assignment, with the line it starts on.
struct Assignment {
    line: usize,
    name: String,
    value: String,
}

fn plain_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && !b[0].is_ascii_digit()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Reads every assignment; a line that is not one (nor blank, nor a comment) is an error naming it.
fn assignments(text: &str) -> Result<Vec<Assignment>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut out = Vec::new();
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)));
    while let Some((n, raw)) = lines.next() {
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export ")
            .or_else(|| line.strip_prefix("export\t"))
            .map_or(line, str::trim_start);
        let Some((name, rest)) = line.split_once('=') else {
            return Err(Error::input(format!(
                "line {n} is not NAME=value: fix or remove that line"
            )));
        };
        let name = name.trim_end();
        if !plain_name(name) {
            return Err(Error::input(format!(
                "line {n}: the variable name is not a plain name (letters, digits and _)"
            )));
        }
        let rest = rest.trim_start();
        let value = match rest.chars().next() {
            Some(q @ ('\'' | '"')) => {
                let mut value = String::new();
                let mut body = &rest[1..];
                let mut at = n;
                loop {
                    match closing(body, q) {
                        Some((part, after)) => {
                            value.push_str(&unescape(part, q));
                            let after = after.trim_start();
                            if !(after.is_empty() || after.starts_with('#')) {
                                return Err(Error::input(format!(
                                    "line {at}: text after the closing quote of {name}"
                                )));
                            }
                            break;
                        }
                        None => {
                            value.push_str(&unescape(body, q));
                            value.push('\n');
                            match lines.next() {
                                Some((m, next)) => {
                                    at = m;
                                    body = next;
                                }
                                None => {
                                    return Err(Error::input(format!(
                                        "line {n}: the quote that opens the value of {name} is never closed"
                                    )))
                                }
                            }
                        }
                    }
                }
                value
            }
            _ => {
                // An unquoted value ends at a `#` that follows white space.
                let end = rest
                    .char_indices()
                    .find(|(i, c)| *c == '#' && rest[..*i].ends_with([' ', '\t']))
                    .map_or(rest.len(), |(i, _)| i);
                rest[..end].trim().to_string()
            }
        };
        out.push(Assignment {
            line: n,
            name: name.to_string(),
            value,
        });
    }
    Ok(out)
}

/// The text up to the closing quote `q` in `body` and what follows it; `None` when the line has none.
fn closing(body: &str, q: char) -> Option<(&str, &str)> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' && q == '"' {
            escaped = true;
        } else if c == q {
            return Some((&body[..i], &body[i + 1..]));
        }
    }
    None
}

/// Double-quoted values take `\n`, `\t`, `\"` and `\\`; single-quoted ones are literal.
fn unescape(part: &str, q: char) -> String {
    if q == '\'' {
        return part.to_string();
    }
    let mut out = String::with_capacity(part.len());
    let mut chars = part.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// The credential field a variable ends with and the prefix before it (`BINANCE_SUB_API_SECRET` →
/// (`BINANCE_SUB`, secret)); the longest suffix wins, so `API_KEY` is not read as `KEY` of `…_API`.
fn split_name(name: &str) -> Option<(String, CredentialField)> {
    let upper = name.to_ascii_uppercase();
    let tokens: Vec<&str> = upper.split('_').collect();
    for k in (1..=tokens.len().min(3)).rev() {
        let suffix = tokens[tokens.len() - k..].join("_");
        if let Some(field) = field_from_word(&suffix) {
            let prefix = tokens[..tokens.len() - k].join("_");
            return Some((prefix.trim_end_matches('_').to_string(), field));
        }
    }
    None
}

/// A `.env` file has at least one `NAME=value` line whose name ends in a credential word.
pub(super) fn looks_like(text: &str) -> bool {
    assignments(text).is_ok_and(|a| a.iter().any(|a| split_name(&a.name).is_some()))
}

pub(super) fn parse(text: &str, warnings: &mut Vec<String>) -> Result<Vec<Candidate>> {
    let all = assignments(text)?;
    // freqtrade's own variables name the exchange in FREQTRADE__EXCHANGE__NAME.
    let freqtrade_exchange = all
        .iter()
        .rev()
        .find(|a| a.name.eq_ignore_ascii_case("FREQTRADE__EXCHANGE__NAME"))
        .map(|a| a.value.clone());
    let mut groups: BTreeMap<String, (usize, Group<'_>)> = BTreeMap::new();
    let mut order = 0;
    for a in &all {
        let Some((prefix, field)) = split_name(&a.name) else {
            continue;
        };
        let group = groups.entry(prefix).or_insert_with(|| {
            order += 1;
            (order, Vec::new())
        });
        // A later line for the same variable wins, as it does when the shell reads the file.
        group.1.retain(|(f, _)| *f != field);
        group.1.push((field, a));
    }
    let mut groups: Vec<(String, Group<'_>)> = {
        let mut v: Vec<_> = groups.into_iter().collect();
        v.sort_by_key(|(_, (o, _))| *o);
        v.into_iter().map(|(p, (_, g))| (p, g)).collect()
    };
    let mut out = Vec::new();
    for (prefix, fields) in groups.drain(..) {
        let first = fields.iter().map(|(_, a)| a.line).min().unwrap_or(0);
        let names: Vec<&str> = fields.iter().map(|(_, a)| a.name.as_str()).collect();
        let mut c = Candidate::new(format!("line {first} ({})", names.join(", ")), "");
        let tokens: Vec<&str> = prefix.split('_').filter(|t| !t.is_empty()).collect();
        if prefix.eq_ignore_ascii_case("FREQTRADE__EXCHANGE") {
            if let Some(word) = &freqtrade_exchange {
                c.set_exchange_word(word);
            }
        } else if let Some((i, e)) = tokens
            .iter()
            .enumerate()
            .find_map(|(i, t)| exchange_from_word(t).map(|e| (i, e)))
        {
            c.exchange = Some(e);
            let rest: Vec<String> = tokens
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, t)| t.to_ascii_lowercase())
                .collect();
            c.name = std::iter::once(e.name.to_string())
                .chain(rest)
                .collect::<Vec<_>>()
                .join(" ");
        } else if !prefix.is_empty() {
            c.exchange_hint = Some(prefix.chars().take(64).collect());
        }
        for (field, a) in &fields {
            if a.value.contains("${") {
                warnings.push(format!(
                    "line {}: {} refers to another variable (${{…}}); Keystead imports the text as written",
                    a.line, a.name
                ));
            }
            c.put(*field, &a.value);
            c.env_names.insert(*field, a.name.clone());
        }
        let identifies = c.secrets.fields().iter().any(|f| f.identifies_key());
        if c.secrets.is_empty() || (c.exchange.is_none() && !identifies) {
            if !c.secrets.is_empty() {
                warnings.push(format!(
                    "{} left out: no exchange key (no API key, secret or private key, and no exchange in the name)",
                    names.join(", ")
                ));
            }
            continue;
        }
        if c.name.is_empty() {
            c.name = if prefix.is_empty() {
                ".env key".into()
            } else {
                prefix.to_ascii_lowercase()
            };
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

    fn value(c: &Candidate, f: CredentialField) -> &str {
        c.secrets.get(f).unwrap().expose_secret()
    }

    #[test]
    fn variables_group_into_keys_by_exchange_prefix_and_suffix() {
        let text = "# bot keys\nexport BINANCE_API_KEY=bk1\nBINANCE_API_SECRET='bs 1' # main\nOKX_APIKEY=\"ok\"\nOKX_SECRET=os\nOKX_PASSWORD=\"p\\\"w\"\nBINANCE_SUB1_API_KEY=sk\nBINANCE_SUB1_API_SECRET=ss\nDATABASE_URL=postgres://x\nDB_PASSWORD=hunter2\n";
        let mut warnings = Vec::new();
        let got = parse(text, &mut warnings).unwrap();
        let names: Vec<&str> = got.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Binance", "OKX", "Binance sub1"]);
        assert_eq!(value(&got[0], ApiKey), "bk1");
        assert_eq!(value(&got[0], Secret), "bs 1");
        assert_eq!(
            got[0].env_names.get(&Secret).map(String::as_str),
            Some("BINANCE_API_SECRET")
        );
        assert_eq!(got[1].exchange.map(|e| e.id), Some("okx"));
        assert_eq!(value(&got[1], Password), "p\"w");
        assert_eq!(
            got[1].env_names.get(&ApiKey).map(String::as_str),
            Some("OKX_APIKEY")
        );
        assert_eq!(value(&got[2], ApiKey), "sk");
        assert!(
            warnings.iter().any(|w| w.contains("DB_PASSWORD left out")),
            "{warnings:?}"
        );
        assert!(!warnings.iter().any(|w| w.contains("hunter2")));
    }

    #[test]
    fn values_are_never_expanded_from_the_environment() {
        let got = parse(
            "BYBIT_API_KEY=k\nBYBIT_API_SECRET=$HOME${KEYSTEAD_PASSPHRASE}\n",
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(value(&got[0], Secret), "$HOME${KEYSTEAD_PASSPHRASE}");
    }

    #[test]
    fn freqtrade_variables_and_unknown_prefixes_and_multi_line_keys() {
        let text = "FREQTRADE__EXCHANGE__NAME=kraken\nFREQTRADE__EXCHANGE__KEY=k\nFREQTRADE__EXCHANGE__SECRET=s\nMYBOT_API_KEY=m\nMYBOT_API_SECRET=n\nHL_PRIVATE_KEY=\"-----BEGIN\nabc\n-----END\"\nHL_WALLET_ADDRESS=0x1\n";
        let got = parse(text, &mut Vec::new()).unwrap();
        assert_eq!(got[0].exchange.map(|e| e.id), Some("kraken"));
        assert_eq!(got[1].exchange, None);
        assert_eq!(got[1].exchange_hint.as_deref(), Some("MYBOT"));
        assert_eq!(value(&got[2], PrivateKey), "-----BEGIN\nabc\n-----END");
    }

    #[test]
    fn broken_lines_are_refused_with_their_number_and_no_value() {
        for (text, says) in [
            (
                "BINANCE_API_KEY=ok\nMARKER-123\n",
                "line 2 is not NAME=value",
            ),
            ("BINANCE_API_KEY=\"MARKER-123\n", "never closed"),
            (
                "BINANCE_API_KEY='MARKER-123' MARKER\n",
                "text after the closing quote",
            ),
            ("BIN-ANCE=MARKER-123\n", "not a plain name"),
        ] {
            let err = parse(text, &mut Vec::new()).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
            assert!(!err.contains("MARKER"), "{err}");
        }
    }
}
