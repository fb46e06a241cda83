//! `verify`: the record beside the exchange's report, and the differences in words.

use super::{paint, shown, AMBER, DIM, RED};
use keystead_core::exchange::{KeyVerification, VerifyOutcome};

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

fn day(d: Option<chrono::DateTime<chrono::Utc>>, none: &str) -> String {
    d.map_or(none.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

pub fn verification(k: &KeyVerification) {
    let v = &k.verification;
    let (word, code) = match v.outcome {
        VerifyOutcome::Agrees => ("agrees with the record", ""),
        VerifyOutcome::Drift => ("differs from the record", AMBER),
        VerifyOutcome::Rejected => ("rejected the key", RED),
        VerifyOutcome::Failed => ("could not be asked", RED),
    };
    println!(
        "{} ({}): {}",
        shown(&k.name),
        shown(&k.exchange_name),
        paint(&format!("{} {word}", k.exchange_name), code)
    );
    if let Some(e) = &v.error {
        println!("  {}", shown(e));
    }
    if let Some(r) = &v.report {
        let rec = &k.recorded;
        let not_said = || "not reported".to_string();
        let rows = [
            (
                "permissions",
                if rec.scopes_unknown {
                    "unknown".to_string()
                } else {
                    list(&rec.permissions)
                },
                r.permissions.as_deref().map_or_else(not_said, list),
            ),
            (
                "scopes",
                if rec.scopes_unknown {
                    "unknown".to_string()
                } else {
                    rec.scopes
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                r.scopes.as_ref().map_or_else(not_said, |s| {
                    let words: Vec<String> = s.iter().map(|x| x.as_str().to_string()).collect();
                    list(&words)
                }),
            ),
            (
                "IP allowlist",
                if rec.ip_allowlist.is_empty() {
                    "any address".to_string()
                } else {
                    list(&rec.ip_allowlist)
                },
                match r.ip_restricted {
                    None => not_said(),
                    Some(false) => "any address".to_string(),
                    Some(true) if r.ip_allowlist.is_empty() => {
                        "restricted (addresses not reported)".to_string()
                    }
                    Some(true) => list(&r.ip_allowlist),
                },
            ),
            (
                "expires",
                day(rec.expires_at, "never"),
                day(r.expires_at, "not reported"),
            ),
            (
                "created",
                day(Some(rec.created_at), ""),
                day(r.created_at, "not reported"),
            ),
            (
                "last used",
                "-".to_string(),
                day(r.last_used_at, "not reported"),
            ),
        ];
        println!(
            "  {:<14}{:<40}{}",
            "",
            paint("recorded", DIM),
            paint(&k.exchange_name, DIM)
        );
        for (label, mine, theirs) in rows {
            println!("  {:<14}{:<40}{}", label, shown(&mine), shown(&theirs));
        }
    }
    for d in &v.drift {
        println!("  {} {}", paint("!", code), shown(d));
    }
}
