//! What the CLI prints. Tables for people, JSON for programs; colour only on a terminal without NO_COLOR.

use crate::{CliResult, Failure};
use chrono::{DateTime, Utc};
use keystead_core::audit::AuditProblem;
use keystead_core::catalog::ExchangeInfo;
use keystead_core::due::DueState;
use keystead_core::share::{ShareExportSummary, ShareImportSummary, SharePreview};
use keystead_core::vault;
use keystead_core::{
    catalog, AuditRecord, AuditReport, Contact, ImportChoice, KeyDetail, KeyEntry, KeyStatus,
    KeySummary, Scope, ShareEntryStatus, ShareSender, SharingKeyInfo,
};
use serde::Serialize;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

fn colour() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

fn paint(text: &str, code: &str) -> String {
    if colour() && !code.is_empty() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

const RED: &str = "31";
const AMBER: &str = "33";
const DIM: &str = "2";

pub fn json<T: Serialize>(value: &T) -> CliResult<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Failure {
        code: 3,
        message: format!("cannot print JSON: {e}"),
    })?;
    println!("{text}");
    Ok(())
}

pub fn welcome(path: &Path) {
    println!("Keystead keeps your exchange API keys encrypted, shows what each key may do and when it is due,");
    println!("and records everything done with them.\n");
    if path.exists() {
        println!("Your vault: {}", path.display());
        println!("  keystead list              every key with its scopes and due date");
        println!("  keystead add --help        add a key");
        println!("  keystead audit --verify    check the audit trail");
    } else {
        println!("No vault yet at {}.", path.display());
        println!("  keystead init              create it (you choose a passphrase)");
        println!("  keystead exchanges         the exchanges Keystead knows");
    }
    println!("\nAll commands: keystead --help");
}

/// "12d 04h", "5h 10m", or "3d ago" for the past.
pub fn countdown(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (due - now).num_seconds();
    let past = secs < 0;
    let s = secs.unsigned_abs();
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    let span = if d > 0 {
        format!("{d}d {h:02}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else {
        format!("{m}m")
    };
    if past {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

fn due_cell(k: &KeySummary, now: DateTime<Utc>) -> (String, &'static str) {
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

fn scopes_cell(scopes: &std::collections::BTreeSet<Scope>) -> String {
    if scopes.is_empty() {
        return "—".into();
    }
    scopes
        .iter()
        .map(|s| {
            if s.moves_funds() {
                paint(s.as_str(), RED)
            } else {
                s.as_str().to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Pads by visible width (ANSI colour codes take no room).
fn pad(text: &str, width: usize) -> String {
    let visible = strip_ansi(text).chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(visible)))
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.chars() {
        match (in_code, c) {
            (false, '\x1b') => in_code = true,
            (true, 'm') => in_code = false,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}

pub fn table(keys: &[KeySummary], now: DateTime<Utc>) {
    if keys.is_empty() {
        println!("No keys yet. Add one with: keystead add --name NAME --exchange binance --scopes read,trade");
        return;
    }
    let header = [
        "NAME", "EXCHANGE", "ENV", "SCOPES", "IP", "DUE", "STATUS", "FLAGS",
    ];
    let rows: Vec<[String; 8]> = keys
        .iter()
        .map(|k| {
            let (due, due_colour) = due_cell(k, now);
            let status = match k.status {
                KeyStatus::Active => "active".to_string(),
                KeyStatus::Revoked => paint("revoked", DIM),
                KeyStatus::Compromised => paint("compromised", RED),
            };
            [
                k.name.clone(),
                k.exchange_name.clone(),
                k.environment.to_string(),
                scopes_cell(&k.scopes),
                match k.ip_allowlist.len() {
                    0 => paint(
                        "any",
                        if k.scopes.iter().any(|s| s.can_act()) {
                            AMBER
                        } else {
                            ""
                        },
                    ),
                    1 => k.ip_allowlist[0].clone(),
                    n => format!("{n} ranges"),
                },
                paint(&due, due_colour),
                status,
                k.risk_flags
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(strip_ansi(cell).chars().count());
        }
    }
    let line = |cells: &[String]| {
        let parts: Vec<String> = cells.iter().zip(widths).map(|(c, w)| pad(c, w)).collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(&header.map(String::from));
    for r in &rows {
        line(r);
    }
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

/// `due`: what is due within the window, most urgent first, and what happens then.
pub fn due_table(keys: &[KeySummary], window_days: u32, now: DateTime<Utc>) {
    let window = if window_days == 1 {
        "1 day".to_string()
    } else {
        format!("{window_days} days")
    };
    if keys.is_empty() {
        println!("Nothing due within {window}.");
        return;
    }
    let header = ["NAME", "EXCHANGE", "DUE", "COUNTDOWN", "WHAT HAPPENS"];
    let rows: Vec<[String; 5]> = keys
        .iter()
        .map(|k| {
            let (countdown, colour) = due_cell(k, now);
            [
                k.name.clone(),
                k.exchange_name.clone(),
                k.due_at
                    .map_or("—".into(), |d| d.format("%Y-%m-%d %H:%M UTC").to_string()),
                paint(&countdown, colour),
                k.due_reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(strip_ansi(cell).chars().count());
        }
    }
    let line = |cells: &[String]| {
        let parts: Vec<String> = cells.iter().zip(widths).map(|(c, w)| pad(c, w)).collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(&header.map(String::from));
    for r in &rows {
        line(r);
    }
    let late = keys
        .iter()
        .filter(|k| k.due_state >= DueState::Overdue)
        .count();
    println!(
        "\n{} key{} due within {window}: {late} overdue or expired.",
        keys.len(),
        if keys.len() == 1 { "" } else { "s" }
    );
}

pub fn print_flags(k: &KeySummary) {
    for f in &k.risk_flags {
        println!("  {} {}: {}", paint("!", AMBER), f.as_str(), f.reason());
    }
    if let (Some(at), Some(reason)) = (k.due_at, &k.due_reason) {
        println!(
            "  due {} ({}): {reason}",
            at.format("%Y-%m-%d %H:%M UTC"),
            countdown(at, Utc::now())
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
    serde_json::to_value(show).map_err(|e| Failure {
        code: 3,
        message: format!("cannot print JSON: {e}"),
    })
}

fn date(d: Option<DateTime<Utc>>) -> String {
    d.map_or("—".into(), |d| d.format("%Y-%m-%d %H:%M UTC").to_string())
}

pub fn detail(entry: &KeyEntry, k: &KeySummary, now: DateTime<Utc>) {
    let row = |label: &str, value: String| println!("  {label:<14}{value}");
    println!(
        "{}  ({} · {} · {})",
        entry.name, k.exchange_name, k.environment, k.status
    );
    row("id", entry.id.to_string());
    if let Some(a) = &entry.account {
        row("account", a.clone());
    }
    let mut scopes = scopes_cell(&k.scopes);
    if !entry.exchange_scopes.is_empty() {
        scopes += &format!("  ({})", entry.exchange_scopes.join(", "));
    }
    row("scopes", scopes);
    row(
        "IP allowlist",
        if entry.ip_allowlist.is_empty() {
            "any address".into()
        } else {
            entry.ip_allowlist.join(", ")
        },
    );
    row("created", date(Some(entry.created_at)));
    row("expires", date(entry.expires_at));
    row(
        "rotation",
        match entry.rotation_days {
            Some(d) => format!(
                "every {d} days; last rotated {}",
                date(entry.last_rotated_at)
            ),
            None => "no rotation period".into(),
        },
    );
    let (due, c) = due_cell(k, now);
    row(
        "due",
        match (&k.due_at, &k.due_reason) {
            (Some(at), Some(reason)) => {
                format!("{} — {} ({reason})", date(Some(*at)), paint(&due, c))
            }
            _ => "nothing due".into(),
        },
    );
    if let Some(r) = &entry.status_reason {
        row("status reason", r.clone());
    }
    for f in &k.risk_flags {
        row("risk", format!("{}: {}", f.as_str(), f.reason()));
    }
    if !entry.tags.is_empty() {
        row("tags", entry.tags.join(", "));
    }
    if !entry.notes.is_empty() {
        row("notes", entry.notes.replace('\n', "\n                "));
    }
    let fields: Vec<String> = entry
        .secret_fields()
        .iter()
        .map(|f| format!("{f} {MASK}"))
        .collect();
    row("secrets", fields.join("   "));
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
            format!("created {}; {state}", date(Some(v.created_at))),
        );
    }
    let page = vault::exchange_of(entry).api_key_page;
    if !page.is_empty() {
        row("API key page", page.to_string());
    }
    println!(
        "\nReveal a field: keystead reveal '{}' apiKey   (audited)",
        entry.name
    );
}

pub fn incident_checklist(entry: &KeyEntry) {
    let exchange = vault::exchange_of(entry);
    println!(
        "'{}' is marked compromised. Work through this now:",
        entry.name
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
        entry.name
    );
    println!("  5. Look for other copies of the key (files, chats, backups).");
}

pub fn audit_report(report: &AuditReport, problems: &[String]) -> ExitCode {
    match &report.problem {
        None if problems.is_empty() => {
            println!(
                "Audit chain intact: {} event{}, anchored in the vault state.",
                report.entries,
                if report.entries == 1 { "" } else { "s" }
            );
            ExitCode::SUCCESS
        }
        problem => {
            if let Some(p) = problem {
                println!("Audit chain BROKEN: {p}.");
                if let AuditProblem::Altered { .. } | AuditProblem::Missing { .. } = p {
                    println!("Entries before it verify; from it on the record cannot be trusted.");
                }
            } else {
                println!("Audit chain intact: {} events.", report.entries);
            }
            for w in problems {
                println!("Vault integrity: {w}.");
            }
            println!("Restore the vault from a backup you trust, and find out who else had access to the file.");
            ExitCode::from(1)
        }
    }
}

pub fn audit_timeline(records: &[AuditRecord]) {
    if records.is_empty() {
        println!("No events.");
        return;
    }
    for r in records {
        let e = &r.event;
        let key = e
            .key_name
            .as_deref()
            .map(|n| format!("  {n}"))
            .unwrap_or_default();
        let detail = e
            .detail
            .as_deref()
            .map(|d| format!("  — {d}"))
            .unwrap_or_default();
        println!(
            "#{:<5} {}  {:<18}{key}{detail}  {}",
            r.seq,
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.action.as_str(),
            paint(&format!("[{}]", e.actor), DIM)
        );
    }
}

pub fn exchanges(as_json: bool) -> CliResult<()> {
    let list: Vec<ExchangeInfo> = catalog::exchanges().iter().map(|e| e.info()).collect();
    if as_json {
        return json(&list);
    }
    let names = |fields: &[keystead_core::CredentialField]| {
        fields
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for e in &list {
        println!("{} ({})", e.id, e.name);
        let mut fields = names(&e.required_fields);
        if !e.optional_fields.is_empty() {
            fields += &format!("; optional: {}", names(&e.optional_fields));
        }
        println!("  fields: {fields}");
        if !e.permissions.is_empty() {
            let perms: Vec<String> = e
                .permissions
                .iter()
                .map(|p| {
                    let grants: Vec<&str> = p.grants.iter().map(|s| s.as_str()).collect();
                    format!("{} [{}]", p.id, grants.join(","))
                })
                .collect();
            println!("  permissions: {}", perms.join(", "));
        }
        for r in &e.lifetime_rules {
            println!("  rule: {r}");
        }
        if !e.api_key_page.is_empty() {
            println!("  API keys: {}", e.api_key_page);
        }
    }
    Ok(())
}

pub fn whoami(key: &SharingKeyInfo) {
    println!("Your sharing key (give this one line to teammates so they can send you keys):");
    println!("{}", key.sharing_key);
    println!(
        "Fingerprint: {}  (compare it with them by voice)",
        key.fingerprint
    );
    println!(
        "For someone with only the age tool, your age public key: {}",
        key.age_recipient
    );
}

pub fn contacts(list: &[Contact]) {
    if list.is_empty() {
        println!("No contacts yet. Add one with: keystead contacts add NAME KEY");
        return;
    }
    let width = list
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    println!("{}  {:<19}  KEY", pad("NAME", width), "FINGERPRINT");
    for c in list {
        let note = if c.can_verify {
            String::new()
        } else {
            paint("  (age key only: files from them are not attributed)", DIM)
        };
        println!(
            "{}  {}  {}{note}",
            pad(&c.name, width),
            c.fingerprint,
            c.sharing_key
        );
    }
}

pub fn share_exported(path: &Path, s: &ShareExportSummary) {
    println!(
        "Wrote {} ({} bytes, {}): {} key{} ({}) for {}.",
        path.display(),
        s.bytes,
        if s.armored { "armored text" } else { "binary" },
        s.keys.len(),
        if s.keys.len() == 1 { "" } else { "s" },
        s.keys.join(", "),
        s.recipients.join(", ")
    );
    if s.recipients.iter().any(|r| r == "passphrase") {
        println!("Give the passphrase to the recipient another way than the file (e.g. by phone).");
    }
}

fn sender_line(sender: &ShareSender) -> String {
    match sender {
        ShareSender::Contact { name, fingerprint } => {
            format!("From: contact {name} (fingerprint {fingerprint}), signature verified")
        }
        ShareSender::UnknownSender {
            fingerprint,
            claimed_name,
            ..
        } => format!(
            "From: {} (fingerprint {fingerprint}), signed by a key that is not one of your contacts",
            paint(
                &claimed_name
                    .as_ref()
                    .map_or("an unknown sender".to_string(), |n| format!("unknown sender claiming to be {n}")),
                AMBER
            )
        ),
        ShareSender::Unsigned => format!("From: {}", paint("unsigned file (sender unknown)", AMBER)),
    }
}

pub fn share_preview(p: &SharePreview, choices: &[ImportChoice]) {
    println!("{}", sender_line(&p.sender));
    if let Some(at) = p.exported_at {
        let to = if p.to.is_empty() {
            String::new()
        } else {
            format!(" for {}", p.to.join(", "))
        };
        println!("Exported {}{to}", at.format("%Y-%m-%d %H:%M UTC"));
    }
    for w in &p.warnings {
        eprintln!("warning: {w}");
    }
    let width = p
        .entries
        .iter()
        .map(|e| e.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    for (e, choice) in p.entries.iter().zip(choices) {
        let (status, colour) = match e.status {
            ShareEntryStatus::New => ("new", ""),
            ShareEntryStatus::Identical => ("identical", DIM),
            ShareEntryStatus::Changed => ("changed", AMBER),
            ShareEntryStatus::Conflicting => ("conflicting", RED),
        };
        let mut what = Vec::new();
        match e.status {
            ShareEntryStatus::Changed => {
                what.extend(e.changed_fields.iter().cloned());
                if e.secrets_changed {
                    what.push("secrets changed".into());
                }
            }
            ShareEntryStatus::Conflicting => what.push(format!(
                "another key is named '{}'",
                e.existing_name.as_deref().unwrap_or(&e.name)
            )),
            _ => {}
        }
        let choice = match choice {
            ImportChoice::Add => "add",
            ImportChoice::Replace => "replace",
            ImportChoice::KeepBoth => "keep both",
            ImportChoice::Skip => "skip",
        };
        println!(
            "  {}  {}  {:<24}  {:<28}  → {choice}",
            paint(&format!("{status:<11}"), colour),
            pad(&e.name, width),
            format!("{} {}", e.exchange_name, e.environment),
            what.join(", "),
        );
    }
}

pub fn share_imported(s: &ShareImportSummary) {
    let list = |v: &[String]| {
        if v.is_empty() {
            "0".to_string()
        } else {
            format!("{} ({})", v.len(), v.join(", "))
        }
    };
    println!(
        "Imported: added {}, replaced {}, skipped {}.",
        list(&s.added),
        list(&s.replaced),
        list(&s.skipped)
    );
}
