//! Drift: each difference between what the exchange reports about a key and what the vault records,
//! named in one plain sentence.

use super::{ExchangeKeyReport, KeyCheck};
use crate::model::{KeyEntry, Scope};
use std::collections::BTreeSet;

/// What a scope lets a key do, as a sentence's subject.
fn subject(scope: Scope) -> &'static str {
    match scope {
        Scope::Read => "reading",
        Scope::Trade => "trading",
        Scope::Withdraw => "withdrawals",
        Scope::Transfer => "transfers",
        Scope::Margin => "margin",
        Scope::Futures => "futures",
    }
}

fn verb(scope: Scope) -> &'static str {
    if scope == Scope::Withdraw || scope == Scope::Transfer {
        "are"
    } else {
        "is"
    }
}

fn day(d: chrono::DateTime<chrono::Utc>) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The differences, most dangerous first; empty when the exchange agrees with the record.
pub fn drift(entry: &KeyEntry, exchange_name: &str, check: &KeyCheck) -> Vec<String> {
    let report = match check {
        KeyCheck::Rejected(why) => {
            return vec![format!(
            "the exchange rejected this key: deleted or wrong secret ({exchange_name} says: {why})"
        )]
        }
        KeyCheck::Report(r) => r,
    };
    let mut out = Vec::new();
    scope_drift(entry, exchange_name, report, &mut out);
    ip_drift(entry, exchange_name, report, &mut out);
    if let Some(exp) = report.expires_at {
        if entry.expires_at.map(day) != Some(day(exp)) {
            out.push(format!(
                "the exchange says this key expires on {} (recorded here: {})",
                day(exp),
                entry.expires_at.map_or("never".to_string(), day)
            ));
        }
    }
    if let Some(lapse) = report.trading_expires_at {
        out.push(format!(
            "{exchange_name} says trading on this key lapses on {} unless it gets an IP allowlist",
            day(lapse)
        ));
    }
    out
}

fn scope_drift(entry: &KeyEntry, ex: &str, report: &ExchangeKeyReport, out: &mut Vec<String>) {
    let Some(reported) = &report.scopes else {
        return;
    };
    let reported: BTreeSet<Scope> = reported.iter().copied().collect();
    if entry.scopes_unknown {
        let list: Vec<&str> = reported.iter().map(|s| s.as_str()).collect();
        out.push(format!(
            "this key's scopes are not recorded here; {ex} reports: {}",
            if list.is_empty() {
                "none".to_string()
            } else {
                list.join(", ")
            }
        ));
        return;
    }
    // Scopes that can move funds first: they are the ones that hurt.
    let mut extra: Vec<Scope> = reported.difference(&entry.scopes).copied().collect();
    extra.sort_by_key(|s| !s.moves_funds());
    for s in extra {
        out.push(format!(
            "{} {} enabled on {ex} but not recorded here",
            subject(s),
            verb(s)
        ));
    }
    for s in entry.scopes.difference(&reported) {
        out.push(format!(
            "{} {} recorded here but not enabled on {ex}",
            subject(*s),
            verb(*s)
        ));
    }
}

fn ip_drift(entry: &KeyEntry, ex: &str, report: &ExchangeKeyReport, out: &mut Vec<String>) {
    let Some(restricted) = report.ip_restricted else {
        return;
    };
    let recorded = &entry.ip_allowlist;
    if !restricted && !recorded.is_empty() {
        out.push(format!(
            "IP allowlist removed: {ex} accepts this key from any address (recorded here: {})",
            recorded.join(", ")
        ));
    } else if restricted && recorded.is_empty() {
        if report.ip_allowlist.is_empty() {
            out.push(format!(
                "{ex} binds this key to IP addresses, none are recorded here"
            ));
        } else {
            out.push(format!(
                "{ex} binds this key to {}, none are recorded here",
                report.ip_allowlist.join(", ")
            ));
        }
    } else if restricted && !report.ip_allowlist.is_empty() {
        let mut mine = recorded.clone();
        mine.sort();
        if mine != report.ip_allowlist {
            out.push(format!(
                "the IP allowlist differs: {ex} has {}, recorded here: {}",
                report.ip_allowlist.join(", "),
                recorded.join(", ")
            ));
        }
    }
}
