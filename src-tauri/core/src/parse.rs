//! Parsing of what people type: dates, durations, IP allowlists, key names.

use crate::error::{Error, Result};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::net::IpAddr;

/// A date as `YYYY-MM-DD` (the start of that day, UTC) or a full RFC 3339 time.
/// Years 0000 to 9999 only, in UTC: the times RFC 3339 can write, so a date stored is one read back.
pub fn date(text: &str) -> Result<DateTime<Utc>> {
    let t = text.trim();
    let bad = || {
        Error::input(format!(
            "bad date '{t}': write it as YYYY-MM-DD (e.g. 2027-03-01) or as an RFC 3339 time"
        ))
    };
    let day = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc());
    let at = match day {
        Some(at) => at,
        None => DateTime::parse_from_rfc3339(t)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|_| bad())?,
    };
    if (0..=9999).contains(&at.year()) {
        Ok(at)
    } else {
        Err(bad())
    }
}

/// A period in whole days, written `90d`, `12w`, `6m` (30-day months) or `1y` (365 days); a bare number is days.
pub fn days(text: &str) -> Result<u32> {
    let t = text.trim().to_ascii_lowercase();
    let bad = || {
        Error::input(format!(
            "bad duration '{text}': write a number of days, weeks, months or years, e.g. 90d, 12w, 3m or 1y"
        ))
    };
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u32 = num.parse().map_err(|_| bad())?;
    let per = match unit.trim() {
        "" | "d" | "day" | "days" => 1,
        "w" | "week" | "weeks" => 7,
        "m" | "mo" | "month" | "months" => 30,
        "y" | "year" | "years" => 365,
        _ => return Err(bad()),
    };
    match n.checked_mul(per) {
        Some(d) if (1..=36_500).contains(&d) => Ok(d),
        _ => Err(Error::input(format!(
            "bad duration '{text}': use between 1 day and 100 years"
        ))),
    }
}

/// One IP allowlist item: an address or a CIDR range (`203.0.113.0/24`, `2001:db8::/32`), normalised.
pub fn ip_entry(text: &str) -> Result<String> {
    let t = text.trim();
    let bad = || {
        Error::input(format!(
            "bad IP allowlist entry '{t}': use an IPv4 or IPv6 address, or a CIDR range such as 203.0.113.0/24"
        ))
    };
    let (addr, prefix) = match t.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (t, None),
    };
    let ip: IpAddr = addr.parse().map_err(|_| bad())?;
    match prefix {
        None => Ok(ip.to_string()),
        Some(p) => {
            let bits: u8 = p.parse().map_err(|_| bad())?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            if bits > max {
                return Err(bad());
            }
            Ok(format!("{ip}/{bits}"))
        }
    }
}

/// A list of allowlist items from comma-separated words, deduplicated in order.
pub fn ip_allowlist<S: AsRef<str>>(items: &[S]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for item in items.iter().flat_map(|s| s.as_ref().split(',')) {
        if item.trim().is_empty() {
            continue;
        }
        let ip = ip_entry(item)?;
        if !out.contains(&ip) {
            out.push(ip);
        }
    }
    Ok(out)
}

/// Longest key name accepted.
pub const MAX_NAME_LEN: usize = 128;

/// Characters that reorder or hide the text around them on a terminal or in a window: the bidirectional
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the left-to-right and
/// right-to-left marks (U+200E, U+200F).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Control characters (C0, DEL, C1) or bidirectional controls: never part of a name.
pub fn has_control_or_bidi(text: &str) -> bool {
    text.chars().any(|c| c.is_control() || is_bidi_control(c))
}

/// A key name: trimmed, non-empty, at most 128 characters, no control or bidirectional characters.
pub fn key_name(text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::input(
            "the key name is empty: give it a name such as binance-main",
        ));
    }
    if t.chars().count() > MAX_NAME_LEN {
        return Err(Error::input(format!(
            "the key name is longer than {MAX_NAME_LEN} characters: choose a shorter name"
        )));
    }
    if has_control_or_bidi(t) {
        return Err(Error::input(
            "the key name contains control or text-direction characters: use letters, digits, spaces and punctuation",
        ));
    }
    Ok(t.to_string())
}

/// Free text (notes, account labels, reasons): at most `max` characters.
pub fn text(what: &str, value: &str, max: usize) -> Result<String> {
    if value.chars().count() > max {
        return Err(Error::input(format!(
            "the {what} is longer than {max} characters: shorten it"
        )));
    }
    Ok(value.to_string())
}

/// The most bots one key records.
pub const MAX_KEY_USERS: usize = 16;
const MAX_BOT_LEN: usize = 64;
const MAX_HOST_LEN: usize = 253;

/// The bots that use a key, each typed as `bot` or `bot@host` (`freqtrade@vps-1`, `grid@10.0.0.5`):
/// trimmed, blanks dropped, each once, sorted. A bot name is at most 64 characters without control or
/// text-direction characters, `@` or `,`; a host is a host name or an address.
pub fn key_users(list: &[String]) -> Result<Vec<crate::model::KeyUser>> {
    let mut out = std::collections::BTreeSet::new();
    for item in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let (bot, host) = match item.rsplit_once('@') {
            Some((b, h)) => (b.trim(), Some(h.trim())),
            None => (item, None),
        };
        let shown = item.escape_debug();
        if bot.is_empty() {
            return Err(Error::input(format!(
                "'{shown}' names no bot: write the bot's name, then @ and its host, e.g. freqtrade@vps-1"
            )));
        }
        if bot.chars().count() > MAX_BOT_LEN || has_control_or_bidi(bot) || bot.contains(['@', ','])
        {
            return Err(Error::input(format!(
                "bad bot name '{shown}': at most {MAX_BOT_LEN} characters, without @, commas or control characters"
            )));
        }
        let host = match host {
            None => None,
            Some(h) => {
                let fine = !h.is_empty()
                    && h.len() <= MAX_HOST_LEN
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
                if !fine {
                    return Err(Error::input(format!(
                        "bad host in '{shown}': give a host name or address after @, e.g. vps-1 or 203.0.113.7"
                    )));
                }
                Some(h.to_string())
            }
        };
        out.insert(crate::model::KeyUser {
            bot: bot.to_string(),
            host,
        });
    }
    if out.len() > MAX_KEY_USERS {
        return Err(Error::input(format!(
            "a key records at most {MAX_KEY_USERS} bots: {} given",
            out.len()
        )));
    }
    Ok(out.into_iter().collect())
}

#[cfg(test)]
mod tests {

    #[test]
    fn bots_are_names_with_an_optional_host_each_once_and_sorted() {
        let users = key_users(&[
            " grid@10.0.0.5 ".into(),
            "freqtrade@vps-1".into(),
            "".into(),
            "freqtrade@vps-1".into(),
            "hummingbot".into(),
        ])
        .unwrap();
        let shown: Vec<String> = users.iter().map(|u| u.to_string()).collect();
        assert_eq!(shown, ["freqtrade@vps-1", "grid@10.0.0.5", "hummingbot"]);
        assert_eq!(users[2].host, None);
        for (bad, says) in [
            ("@vps-1", "names no bot"),
            ("bot@", "bad host"),
            ("bot@vps 1", "bad host"),
            ("bo\u{1b}[2Jt", "bad bot name"),
            ("a,b", "bad bot name"),
        ] {
            let err = key_users(&[bad.into()]).unwrap_err().to_string();
            assert!(err.contains(says), "{bad}: {err}");
            assert!(
                !err.contains('\u{1b}'),
                "no raw escape in the message: {err}"
            );
        }
        let many: Vec<String> = (0..17).map(|i| format!("bot-{i}")).collect();
        assert!(key_users(&many)
            .unwrap_err()
            .to_string()
            .contains("at most 16"));
    }
    use super::*;

    #[test]
    fn dates_are_read_as_the_start_of_the_day_in_utc_or_as_rfc3339() {
        assert_eq!(
            date("2027-03-01").unwrap().to_rfc3339(),
            "2027-03-01T00:00:00+00:00"
        );
        assert_eq!(
            date("2027-03-01T12:00:00+02:00").unwrap().to_rfc3339(),
            "2027-03-01T10:00:00+00:00"
        );
        // Found by fuzzing (fuzz/regressions/args): years RFC 3339 cannot write were accepted, and
        // would have been stored as a time that is not read back.
        for bad in [
            "2027-13-45",
            "tomorrow",
            "",
            "01/03/2027",
            "-23-01-1",
            "+10000-01-01",
            "0000-01-01T00:00:00+01:00",
            "9999-12-31T23:00:00-02:00",
        ] {
            let e = date(bad).unwrap_err().to_string();
            assert!(e.contains("YYYY-MM-DD"), "{e}");
        }
    }

    #[test]
    fn durations_accept_days_weeks_months_and_years() {
        assert_eq!(days("90d").unwrap(), 90);
        assert_eq!(days("90").unwrap(), 90);
        assert_eq!(days("12w").unwrap(), 84);
        assert_eq!(days("3m").unwrap(), 90);
        assert_eq!(days("1y").unwrap(), 365);
        for bad in ["9x", "d", "0d", "-5d", "99999999999d", "1000y"] {
            assert!(days(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn ip_allowlists_take_addresses_and_cidr_ranges_and_refuse_the_rest() {
        assert_eq!(
            ip_allowlist(&["203.0.113.7, 198.51.100.0/24", "2001:db8::1", "203.0.113.7"]).unwrap(),
            vec!["203.0.113.7", "198.51.100.0/24", "2001:db8::1"]
        );
        for bad in ["203.0.113", "10.0.0.0/33", "example.com", "::1/129"] {
            assert!(ip_entry(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn key_names_are_trimmed_and_must_be_printable() {
        assert_eq!(key_name("  binance-main ").unwrap(), "binance-main");
        assert!(key_name("").is_err());
        assert!(key_name("a\u{7}b").is_err());
        for bad in [
            "a\x1b[2Jb",
            "a\u{9b}b",
            "a\u{7f}b",
            "gate\u{202e}niam",
            "a\u{2066}b\u{2069}",
            "a\u{200f}b",
        ] {
            let e = key_name(bad).unwrap_err().to_string();
            assert!(
                e.contains("control or text-direction characters"),
                "{bad:?}: {e}"
            );
        }
        assert!(key_name(&"x".repeat(129)).is_err());
        assert_eq!(
            key_name("<img src=x onerror=alert(1)>").unwrap(),
            "<img src=x onerror=alert(1)>"
        );
    }
}
