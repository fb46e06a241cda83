//! Scan results for people: one line per finding (place, rule, whose key or what shape, the redacted
//! excerpt), then what was read and left out. Paths and names from the disk go through the escaping
//! cells; no full secret is ever in a finding.

use super::{Cell, Table, AMBER, DIM, RED};
use keystead_core::scan::{Confidence, FindingKind, ScanReport};

pub fn scan_report(r: &ScanReport) {
    let mut table = Table::new(&["PLACE", "RULE", "WHAT", "EXCERPT"]);
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
        table.row(vec![
            Cell::from(place),
            Cell::from(&f.rule),
            what,
            Cell::from(&f.excerpt),
        ]);
    }
    if !r.findings.is_empty() {
        table.print();
        println!();
    }
    let s = &r.stats;
    let mb = s.bytes as f64 / 1e6;
    println!(
        "{} finding{} in {} files ({mb:.1} MB in {:.1} s, {:.0} MB/s){}",
        r.findings.len(),
        if r.findings.len() == 1 { "" } else { "s" },
        s.files,
        s.seconds,
        if s.seconds > 0.0 { mb / s.seconds } else { 0.0 },
        if r.cancelled { ", cancelled" } else { "" }
    );
    let skipped: Vec<String> = [
        (s.skipped_binary, "binary"),
        (s.skipped_large, "over the size limit"),
        (s.skipped_unreadable, "unreadable"),
        (s.skipped_links, "symlinks not followed"),
        (
            s.skipped_ignored,
            "ignored by .gitignore (--include-ignored scans them)",
        ),
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
        .any(|f| f.kind == FindingKind::OwnSecret && f.current == Some(true))
    {
        println!("A key found in a file is exposed: rotate it (keystead rotate NAME), or mark it compromised if the place is public (keystead compromised NAME).");
    }
}
