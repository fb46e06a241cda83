//! Scan results for people: one line per finding (place, rule, whose key or what shape, the redacted
//! excerpt), then what was read and left out. Paths and names from the disk go through the escaping
//! cells; no full secret is ever in a finding.

use super::{Cell, Table, AMBER, DIM, RED};
use keystead_core::scan::{Confidence, FindingKind, IgnoredFinding, ScanReport};

pub fn scan_report(r: &ScanReport) {
    let mut table = Table::new(&["PLACE", "RULE", "WHAT", "EXCERPT", "ID"]);
    for f in &r.findings {
        let place = match &f.commit {
            Some(c) => format!("{}:{}:{} (commit {c})", f.path, f.line, f.column),
            None => format!("{}:{}:{}", f.path, f.line, f.column),
        };
        let what = match (f.kind, &f.key_name) {
            (FindingKind::OwnSecret, Some(name)) => Cell::painted(
                &format!(
                    "your key '{name}' ({}{})",
                    f.field.map(|x| x.as_str()).unwrap_or("secret"),
                    match (f.version, f.current) {
                        (Some(v), Some(false)) => format!(", old version {v}"),
                        _ => String::new(),
                    }
                ),
                RED,
            ),
            _ => Cell::painted(
                &f.description,
                match f.confidence {
                    Confidence::High => AMBER,
                    _ => DIM,
                },
            ),
        };
        let id = match (&f.id, f.ignored) {
            (Some(id), true) => Cell::painted(&format!("{id} (ignored)"), DIM),
            (Some(id), false) => Cell::from(id),
            (None, _) => Cell::from("-"),
        };
        table.row(vec![
            Cell::from(place),
            Cell::from(&f.rule),
            what,
            Cell::from(&f.excerpt),
            id,
        ]);
    }
    if !r.findings.is_empty() {
        table.print();
        println!();
    }
    let s = &r.stats;
    let mb = s.bytes as f64 / 1e6;
    let shown = r.findings.iter().filter(|f| !f.ignored).count();
    println!(
        "{shown} finding{} in {} files ({mb:.1} MB in {:.1} s, {:.0} MB/s){}{}",
        if shown == 1 { "" } else { "s" },
        s.files,
        s.seconds,
        if s.seconds > 0.0 { mb / s.seconds } else { 0.0 },
        if r.cancelled { ", cancelled" } else { "" },
        match r.ignored {
            0 => String::new(),
            n if r.ignored_shown => format!("; {n} ignored, shown marked"),
            n => format!("; {n} ignored not shown (--include-ignored shows them)"),
        }
    );
    let skipped: Vec<String> = [
        (s.skipped_binary, "binary"),
        (s.skipped_large, "over the size limit"),
        (s.skipped_unreadable, "unreadable"),
        (s.skipped_links, "symlinks not followed"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if !skipped.is_empty() {
        println!("Skipped: {}", skipped.join(", "));
    }
    if !r.own_secrets {
        println!("Your own keys were not looked for (the vault was not opened): only key shapes and assignments.");
    }
    if r.findings
        .iter()
        .any(|f| !f.ignored && f.kind == FindingKind::OwnSecret && f.current == Some(true))
    {
        println!("A key found in a file is exposed: rotate it (keystead rotate NAME), or mark it compromised if the place is public (keystead compromised NAME).");
    }
}

/// `keystead scan --ignored`: what was ignored, where, when and by whom, with the ID to un-ignore it.
pub fn ignored_findings(list: &[IgnoredFinding]) {
    if list.is_empty() {
        println!("No ignored findings. `keystead scan PATH --ignore ID` ignores one.");
        return;
    }
    let mut table = Table::new(&["ID", "PLACE", "RULE", "KEY", "EXCERPT", "IGNORED"]);
    for f in list {
        table.row(vec![
            Cell::from(&f.id),
            Cell::from(format!("{}:{}", f.path, f.line)),
            Cell::from(&f.rule),
            Cell::from(f.key_name.as_deref().unwrap_or("-")),
            Cell::from(&f.excerpt),
            Cell::from(format!(
                "{} by {}",
                f.ignored_at.format("%Y-%m-%d %H:%M UTC"),
                f.ignored_by
            )),
        ]);
    }
    table.print();
    println!(
        "{} ignored finding{}. `keystead scan --unignore ID` reports one again.",
        list.len(),
        if list.len() == 1 { "" } else { "s" }
    );
}
