//! Benchmark of the leak scanner (scripts/bench-scan.sh): 100 keys' secrets from a seed, one scan of the
//! folder given, files / MB / seconds / MB/s and finding counts printed. No vault needed.
//!
//! `scan_bench DIR [--literals FILE]`: with `--literals`, also writes every searched own-secret form (one a
//! line) to FILE for an equivalent `rg -F -f FILE` run.

use keystead_core::scan::{scan, FindingKind, OwnSecret, ScanOptions};
use keystead_core::CredentialField;
use secrecy::{ExposeSecret, SecretString};
use std::sync::atomic::AtomicBool;

/// The secrets scripts/scan-tree.py plants: key i's API key and secret, from the same generator.
fn secret_value(i: usize, field: &str) -> String {
    // Same as scan-tree.py's own_secret(i, field).
    format!(
        "kst{field}{i:03}Q9v{:016x}",
        (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .expect("usage: scan_bench DIR [--literals FILE]");
    let literals = match (args.next().as_deref(), args.next()) {
        (Some("--literals"), Some(file)) => Some(file),
        _ => None,
    };
    let mut own = Vec::new();
    for i in 0..100 {
        for (field, kind) in [
            ("K", CredentialField::ApiKey),
            ("S", CredentialField::Secret),
        ] {
            own.push(OwnSecret {
                key_id: uuid::Uuid::from_u128(i as u128 + 1),
                key_name: format!("bench-key-{i:03}"),
                version: 1,
                current: true,
                field: kind,
                value: SecretString::from(secret_value(i, field)),
            });
        }
    }
    if let Some(file) = literals {
        let mut text = String::new();
        for secret in &own {
            for form in keystead_core::scan::own_secret_forms(secret.value.expose_secret()) {
                text.push_str(&form);
                text.push('\n');
            }
        }
        std::fs::write(file, text).expect("write the literals file");
        return;
    }
    let report = scan(
        &ScanOptions::new(vec![dir.into()]),
        &own,
        &|_| {},
        &AtomicBool::new(false),
    )
    .expect("scan");
    let s = &report.stats;
    let mb = s.bytes as f64 / 1e6;
    let count = |kind| report.findings.iter().filter(|f| f.kind == kind).count();
    println!(
        "files {} MB {:.1} seconds {:.2} MB/s {:.0} own {} shapes {} assignments {}",
        s.files,
        mb,
        s.seconds,
        mb / s.seconds,
        count(FindingKind::OwnSecret),
        count(FindingKind::KeyShape),
        count(FindingKind::Assignment)
    );
}
