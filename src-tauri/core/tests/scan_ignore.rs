//! Ignoring scan findings: an ignored finding stays out of later scans (also when lines move above it, after
//! a passphrase change and a reopen), is audited both ways, does not flag its key, and the sealed list
//! cannot be deleted or rolled back unseen. A locked scan names no findings, so nothing from it is ignored.

mod common;

use common::desk::Desk;
use common::PASS;
use keystead_core::scan::{scan, FindingKind, ScanOptions, ScanReport};
use keystead_core::vault::OpenOptions;
use keystead_core::{AuditAction, CredentialField, KdfParams, Vault};
use secrecy::SecretString;
use std::fs;
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// Scans `root` as the app and the CLI do: the vault's secrets, findings named with its key, ignores applied.
fn scan_with(vault: &mut Vault, root: &Path, show_ignored: bool) -> ScanReport {
    let own = vault.scan_secrets().unwrap();
    let mut options = ScanOptions::new(vec![root.to_path_buf()]);
    options.finding_ids = Some(vault.finding_id_key().unwrap());
    let mut report = scan(&options, &own, &|_| {}, &AtomicBool::new(false)).unwrap();
    vault.apply_ignores(&mut report, show_ignored).unwrap();
    report
}

fn own_findings(r: &ScanReport) -> Vec<&keystead_core::scan::Finding> {
    r.findings
        .iter()
        .filter(|f| f.kind == FindingKind::OwnSecret)
        .collect()
}

/// A vault with two keys, and a folder where each one's secret sits in its own file.
fn setup() -> (Desk, tempfile::TempDir) {
    let mut d = Desk::new();
    d.add("binance-main", "binance", &["read", "trade"], "main");
    d.add("kraken-bot", "kraken", &["read"], "bot");
    let tree = tempfile::tempdir().unwrap();
    let main = d.secret("binance-main", CredentialField::Secret);
    let bot = d.secret("kraken-bot", CredentialField::Secret);
    fs::write(
        tree.path().join("fixture.py"),
        format!("SECRET = '{main}'\n"),
    )
    .unwrap();
    fs::write(tree.path().join("bot.env"), format!("token {bot}\n")).unwrap();
    (d, tree)
}

/// [`setup`], scanned once, with the finding in fixture.py ignored.
fn setup_with_fixture_ignored() -> (Desk, tempfile::TempDir) {
    let (mut d, tree) = setup();
    let first = scan_with(&mut d.vault, tree.path(), false);
    let fixture = own_findings(&first)
        .into_iter()
        .find(|f| f.path.ends_with("fixture.py"))
        .unwrap()
        .clone();
    d.vault.ignore_findings(&[fixture]).unwrap();
    (d, tree)
}

#[test]
fn an_ignored_finding_stays_out_of_later_scans_and_is_audited() {
    let (mut d, tree) = setup();
    let first = scan_with(&mut d.vault, tree.path(), false);
    let own = own_findings(&first);
    assert_eq!(own.len(), 2, "{:?}", first.findings);
    assert!(own
        .iter()
        .all(|f| f.id.as_deref().is_some_and(|id| id.len() == 16)));
    let fixture = own
        .iter()
        .find(|f| f.path.ends_with("fixture.py"))
        .cloned()
        .unwrap()
        .clone();

    let added = d
        .vault
        .ignore_findings(std::slice::from_ref(&fixture))
        .unwrap();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].key_name.as_deref(), Some("binance-main"));
    assert!(d
        .last_detail(AuditAction::FindingIgnored)
        .contains("fixture.py:1, own-secret (key binance-main)"));
    // Ignoring it again changes nothing and writes nothing.
    let counter = d.vault.commit_counter().unwrap();
    assert!(d
        .vault
        .ignore_findings(std::slice::from_ref(&fixture))
        .unwrap()
        .is_empty());
    assert_eq!(d.vault.commit_counter().unwrap(), counter);

    // Lines added above it: the same finding, another line, still ignored.
    let text = fs::read_to_string(tree.path().join("fixture.py")).unwrap();
    fs::write(tree.path().join("fixture.py"), format!("# a\n# b\n{text}")).unwrap();
    let second = scan_with(&mut d.vault, tree.path(), false);
    let own = own_findings(&second);
    assert_eq!(own.len(), 1, "{:?}", second.findings);
    assert!(own[0].path.ends_with("bot.env"));
    assert_eq!(second.ignored, 1);

    // Asked for, it is there, marked, on its new line.
    let shown = scan_with(&mut d.vault, tree.path(), true);
    let ignored: Vec<_> = shown.findings.iter().filter(|f| f.ignored).collect();
    assert_eq!(ignored.len(), 1);
    assert_eq!(
        (ignored[0].line, ignored[0].id.clone()),
        (3, fixture.id.clone())
    );

    // The scan's record counts it as ignored and flags only the key found elsewhere.
    let names = d
        .vault
        .record_scan(&[tree.path().to_path_buf()], &shown)
        .unwrap();
    assert_eq!(names, vec!["kraken-bot".to_string()]);
    assert!(d.last_detail(AuditAction::ScanRun).contains("; 1 ignored"));
    assert!(d
        .vault
        .detail("binance-main")
        .unwrap()
        .found_in_plaintext
        .is_none());
    assert!(d
        .vault
        .detail("kraken-bot")
        .unwrap()
        .found_in_plaintext
        .is_some());

    // The list reads without a scan; un-ignoring brings it back, audited.
    let list = d.vault.ignored_findings().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].line, 1);
    d.vault
        .unignore_findings(&[fixture.id.clone().unwrap()])
        .unwrap();
    assert!(d
        .last_detail(AuditAction::FindingUnignored)
        .contains("fixture.py:1"));
    assert_eq!(
        own_findings(&scan_with(&mut d.vault, tree.path(), false)).len(),
        2
    );
    let err = d
        .vault
        .unignore_findings(&[fixture.id.clone().unwrap()])
        .unwrap_err();
    assert!(err.to_string().contains("keystead scan --ignored"), "{err}");
    let err = d
        .vault
        .unignore_findings(&["\u{1b}[31mnot-an-id".into()])
        .unwrap_err();
    assert!(!err.to_string().contains('\u{1b}'), "{err}");
}

#[test]
fn the_same_secret_in_another_file_is_another_finding() {
    let (mut d, tree) = setup_with_fixture_ignored();
    fs::copy(tree.path().join("fixture.py"), tree.path().join("copy.py")).unwrap();
    let report = scan_with(&mut d.vault, tree.path(), false);
    let paths: Vec<_> = own_findings(&report)
        .iter()
        .map(|f| f.path.clone())
        .collect();
    assert!(paths.iter().any(|p| p.ends_with("copy.py")), "{paths:?}");
    assert!(
        !paths.iter().any(|p| p.ends_with("fixture.py")),
        "{paths:?}"
    );
}

#[test]
fn ignores_survive_a_passphrase_change_and_a_reopen() {
    let (mut d, tree) = setup_with_fixture_ignored();
    let new_pass = SecretString::from("another long passphrase here");
    d.vault
        .change_passphrase(&new_pass, KdfParams::FLOOR)
        .unwrap();
    assert!(d.vault.integrity_problems().unwrap().is_empty());
    let path = d.dir.path().join("vault.db");
    let Desk { dir, vault, clock } = d;
    drop(vault);
    let mut vault = Vault::unlock(&path, &new_pass, OpenOptions::new(clock, "test")).unwrap();
    let report = scan_with(&mut vault, tree.path(), false);
    assert_eq!(own_findings(&report).len(), 1);
    assert_eq!(report.ignored, 1);
    drop(dir);
}

#[test]
fn deleting_or_rolling_back_the_ignore_list_outside_keystead_is_noticed() {
    let (mut d, tree) = setup();
    let first = scan_with(&mut d.vault, tree.path(), false);
    let findings: Vec<_> = own_findings(&first).into_iter().cloned().collect();
    d.vault.ignore_findings(&findings[..1]).unwrap();
    let path = d.dir.path().join("vault.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let old: (i64, Vec<u8>) = conn
        .query_row("SELECT generation, record FROM scan_ignores", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    d.vault.ignore_findings(&findings[1..]).unwrap();
    assert!(d.vault.integrity_problems().unwrap().is_empty());

    // Rolled back to the list with one ignore: the digest no longer matches.
    conn.execute(
        "UPDATE scan_ignores SET generation = ?1, record = ?2",
        rusqlite::params![old.0, old.1],
    )
    .unwrap();
    let problems = d.vault.integrity_problems().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("ignored-finding records")),
        "{problems:?}"
    );
    // Deleted: the same.
    conn.execute("DELETE FROM scan_ignores", []).unwrap();
    let problems = d.vault.integrity_problems().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("ignored-finding records")),
        "{problems:?}"
    );
}

#[test]
fn a_locked_scan_names_no_findings_and_none_can_be_ignored() {
    let (mut d, tree) = setup();
    let own = d.vault.scan_secrets().unwrap();
    let options = ScanOptions::new(vec![tree.path().to_path_buf()]);
    let report = scan(&options, &own, &|_| {}, &AtomicBool::new(false)).unwrap();
    assert!(report.findings.iter().all(|f| f.id.is_none()));
    let err = d.vault.ignore_findings(&report.findings).unwrap_err();
    assert!(
        err.to_string().contains("unlock the vault, scan again"),
        "{err}"
    );
    assert!(d.vault.ignored_findings().unwrap().is_empty());
}

#[test]
fn a_vault_from_before_ignores_is_migrated() {
    let (d, tree) = setup();
    let path = d.dir.path().join("vault.db");
    // Make the file look like schema 5: no scan_ignores table.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("DROP TABLE scan_ignores; PRAGMA user_version = 5;")
            .unwrap();
    }
    let Desk { dir, vault, clock } = d;
    drop(vault);
    let mut vault = Vault::unlock(
        &path,
        &SecretString::from(PASS),
        OpenOptions::new(clock, "test"),
    )
    .unwrap();
    let report = scan_with(&mut vault, tree.path(), false);
    assert_eq!(own_findings(&report).len(), 2);
    assert!(vault.integrity_problems().unwrap().is_empty());
    drop(dir);
}
