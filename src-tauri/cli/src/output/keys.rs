//! Keys for people: the `list` table, one key's `show` page (and its masked JSON), risk flags, and the
//! checklist after `compromised`.

use super::{countdown, date, paint, Cell, Shown, Table, AMBER, DIM, RED};
use crate::failure::{cannot_print, CliResult};
use chrono::{DateTime, Utc};
use keystead_core::due::DueState;
use keystead_core::vault;
use keystead_core::{KeyDetail, KeyEntry, KeyStatus, KeySummary, KeyUse, KeyUseKind, Scope};
use serde::Serialize;

pub(super) fn due_cell(k: &KeySummary, now: DateTime<Utc>) -> (String, &'static str) {
    let Some(at) = k.due_at else {
        return ("—".into(), "");
    };
    let when = countdown(at, now);
    match k.due_state {
        DueState::Ok => (when, ""),
        DueState::DueSoon => (format!("due {when}"), AMBER),
        DueState::Overdue => (format!("overdue {}", when.trim_end_matches(" ago")), RED),
        DueState::Expired => (format!("expired {when}"), RED),
    }
}

/// The scopes, or "unknown" (in red: such a key counts as able to move funds) for an imported key whose
/// file did not say.
fn scopes_cell(k: &KeySummary) -> Cell {
    let scopes = &k.scopes;
    if scopes.is_empty() {
        return if k.scopes_unknown {
            Cell::painted("unknown", RED)
        } else {
            "—".into()
        };
    }
    Cell::join(
        scopes.iter().map(|s| {
            if s.moves_funds() {
                Cell::painted(s.as_str(), RED)
            } else {
                s.as_str().into()
            }
        }),
        ",",
    )
}

pub fn key_table(keys: &[KeySummary], now: DateTime<Utc>) {
    if keys.is_empty() {
        println!("No keys yet. Add one with: keystead add --name NAME --exchange binance --scopes read,trade");
        return;
    }
    let mut table = Table::new(&[
        "NAME",
        "EXCHANGE",
        "ENV",
        "SCOPES",
        "IP",
        "DUE",
        "LAST USED",
        "STATUS",
        "FLAGS",
    ]);
    for k in keys {
        let (due, due_colour) = due_cell(k, now);
        let status = match k.status {
            KeyStatus::Active => "active".into(),
            KeyStatus::Revoked => Cell::painted("revoked", DIM),
            KeyStatus::Compromised => Cell::painted("compromised", RED),
        };
        table.row(vec![
            (&k.name).into(),
            (&k.exchange_name).into(),
            k.environment.to_string().into(),
            scopes_cell(k),
            match k.ip_allowlist.len() {
                0 => Cell::painted(
                    "any",
                    if k.scopes.iter().any(|s| s.can_act()) {
                        AMBER
                    } else {
                        ""
                    },
                ),
                1 => (&k.ip_allowlist[0]).into(),
                n => format!("{n} ranges").into(),
            },
            Cell::painted(&due, due_colour),
            last_used(k.last_used_at, now).into(),
            status,
            k.risk_flags
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(",")
                .into(),
        ]);
    }
    table.print();
    let soon = keys
        .iter()
        .filter(|k| k.due_state == DueState::DueSoon)
        .count();
    let late = keys
        .iter()
        .filter(|k| k.due_state >= DueState::Overdue)
        .count();
    let withdraw = keys
        .iter()
        .filter(|k| k.status == KeyStatus::Active && k.scopes.contains(&Scope::Withdraw))
        .count();
    println!(
        "\n{} key{}: {soon} due soon, {late} overdue or expired, {withdraw} withdraw-enabled.",
        keys.len(),
        if keys.len() == 1 { "" } else { "s" }
    );
}

/// How a key was last used: "copied in the app on trader-pc", "run as python3 by the CLI on vps-1".
fn use_text(used: &KeyUse) -> String {
    let how = match (used.how, &used.program) {
        (KeyUseKind::Revealed, _) => "shown".to_string(),
        (KeyUseKind::Copied, _) => "copied".to_string(),
        (KeyUseKind::Run, Some(program)) => format!("handed to {program} by keystead run"),
        (KeyUseKind::Run, None) => "handed to a program by keystead run".to_string(),
        (KeyUseKind::Verified, _) => "checked on its exchange".to_string(),
    };
    let by = match used.by.as_str() {
        "app" => " in the app",
        "cli" if used.how != KeyUseKind::Run => " with the CLI",
        _ => "",
    };
    match &used.host {
        Some(host) => format!("{how}{by} on {host}"),
        None => format!("{how}{by}"),
    }
}

/// When the key was last shown, copied or run: "3d 04h ago", "just now" (under a minute, or a clock set
/// back), or "never".
fn last_used(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match at {
        None => "never".into(),
        Some(at) if (now - at).num_seconds() < 60 => "just now".into(),
        Some(at) => countdown(at, now),
    }
}

pub fn print_flags(k: &KeySummary) {
    for f in &k.risk_flags {
        println!(
            "  {} {}: {}",
            paint("!", AMBER),
            f.as_str(),
            Shown(f.reason())
        );
    }
    if let (Some(at), Some(reason)) = (k.due_at, &k.due_reason) {
        println!(
            "  due {} ({}): {}",
            at.format("%Y-%m-%d %H:%M UTC"),
            countdown(at, Utc::now()),
            Shown(reason)
        );
    }
}

const MASK: &str = "••••••••";

#[derive(Serialize)]
struct MaskedSecret {
    field: &'static str,
    masked: &'static str,
}

#[derive(Serialize)]
struct ShowJson<'a> {
    #[serde(flatten)]
    detail: &'a KeyDetail,
    secrets: Vec<MaskedSecret>,
}

pub fn detail_json(detail: &KeyDetail) -> CliResult<serde_json::Value> {
    let show = ShowJson {
        detail,
        secrets: detail
            .secret_fields
            .iter()
            .map(|f| MaskedSecret {
                field: f.as_str(),
                masked: MASK,
            })
            .collect(),
    };
    serde_json::to_value(show).map_err(cannot_print)
}

/// One key's page: a label, then a value [`Cell`] (escaped as it is made, coloured parts by
/// [`Cell::painted`]).
pub fn detail(entry: &KeyEntry, k: &KeySummary, now: DateTime<Utc>) {
    let row = |label: &str, value: Cell| println!("  {label:<14}{}", value.0);
    println!(
        "{}  ({} · {} · {})",
        Shown(&entry.name),
        Shown(&k.exchange_name),
        k.environment,
        k.status
    );
    row("id", entry.id.to_string().into());
    if let Some(a) = &entry.account {
        row("account", a.into());
    }
    let mut scopes = vec![scopes_cell(k)];
    if !entry.exchange_scopes.is_empty() {
        scopes.push(format!("({})", entry.exchange_scopes.join(", ")).into());
    }
    row("scopes", Cell::join(scopes, "  "));
    row(
        "IP allowlist",
        if entry.ip_allowlist.is_empty() {
            "any address".into()
        } else {
            entry.ip_allowlist.join(", ").into()
        },
    );
    row("created", date(Some(entry.created_at)).into());
    row("expires", date(entry.expires_at).into());
    row(
        "rotation",
        match entry.rotation_days {
            Some(d) => format!(
                "every {d} days; last rotated {}",
                date(entry.last_rotated_at)
            )
            .into(),
            None => "no rotation period".into(),
        },
    );
    row(
        "last used",
        match entry.last_used_at {
            Some(at) => match &entry.last_use {
                Some(used) => format!(
                    "{} ({}): {}",
                    date(Some(at)),
                    last_used(Some(at), now),
                    use_text(used)
                )
                .into(),
                None => format!("{} ({})", date(Some(at)), last_used(Some(at), now)).into(),
            },
            None => "never (not shown, copied or run since it was added)".into(),
        },
    );
    let (due, c) = due_cell(k, now);
    row(
        "due",
        match (&k.due_at, &k.due_reason) {
            (Some(at), Some(reason)) => Cell::join(
                [
                    format!("{} —", date(Some(*at))).into(),
                    Cell::painted(&due, c),
                    format!("({reason})").into(),
                ],
                " ",
            ),
            _ => "nothing due".into(),
        },
    );
    if vault::exchange_of(entry).key_info.is_some() {
        let last = match &entry.last_verification {
            Some(v) => format!("last checked {}: {}", date(Some(v.at)), v.outcome.as_str()),
            None => "never checked".to_string(),
        };
        let scheduled = match entry.scheduled_check {
            Some(true) => "scheduled checks: always",
            Some(false) => "scheduled checks: never",
            None => "scheduled checks: as the app's setting says",
        };
        row("on exchange", format!("{last}; {scheduled}").into());
    }
    if let Some(r) = &entry.status_reason {
        row("status reason", r.into());
    }
    for f in &k.risk_flags {
        row("risk", format!("{}: {}", f.as_str(), f.reason()).into());
    }
    if !entry.tags.is_empty() {
        row("tags", entry.tags.join(", ").into());
    }
    if !entry.used_by.is_empty() {
        let bots: Vec<String> = entry.used_by.iter().map(|u| u.to_string()).collect();
        row("used by", bots.join(", ").into());
    }
    if !entry.notes.is_empty() {
        row("notes", Cell::lines(&entry.notes, "\n                "));
    }
    let fields: Vec<String> = entry
        .secret_fields()
        .iter()
        .map(|f| format!("{f} {MASK}"))
        .collect();
    row("secrets", fields.join("   ").into());
    if !entry.env_names.is_empty() {
        let vars: Vec<String> = entry
            .env_names
            .iter()
            .map(|(field, name)| format!("{field} → {name}"))
            .collect();
        row("run variables", vars.join("   ").into());
    }
    for v in entry.versions.iter().rev() {
        let state = match v.retired_at {
            None => "current".to_string(),
            Some(r) => format!(
                "retired {}{}",
                date(Some(r)),
                v.reason
                    .as_ref()
                    .map(|x| format!(" — {x}"))
                    .unwrap_or_default()
            ),
        };
        row(
            &format!("version {}", v.version),
            format!("created {}; {state}", date(Some(v.created_at))).into(),
        );
    }
    let page = vault::exchange_of(entry).api_key_page;
    if !page.is_empty() {
        row("API key page", page.into());
    }
    println!(
        "\nReveal a field: keystead reveal '{}' apiKey   (audited)",
        Shown(&entry.name)
    );
}

pub fn incident_checklist(entry: &KeyEntry) {
    let exchange = vault::exchange_of(entry);
    println!(
        "'{}' is marked compromised. Work through this now:",
        Shown(&entry.name)
    );
    let page = if exchange.api_key_page.is_empty() {
        "the provider's API-key page".into()
    } else {
        exchange.api_key_page.to_string()
    };
    println!("  1. Delete the key on {}: {page}", exchange.name);
    println!(
        "  2. Check recent withdrawals and the withdrawal address whitelist on {}.",
        exchange.name
    );
    println!("  3. Create a replacement key (bind it to an IP allowlist) and add it: keystead add --exchange {} …", exchange.id);
    println!(
        "  4. Update every bot or server that used '{}'.",
        Shown(&entry.name)
    );
    println!("  5. Look for other copies of the key (files, chats, backups).");
}
