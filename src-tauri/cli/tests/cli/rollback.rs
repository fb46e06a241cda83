//! Rolling the vault file back with the built binary, on a headless machine (no Secret Service: the
//! anchor file in the state folder) and with the OS keyring: the older file is reported at every
//! command and fails `audit --verify` until `keystead restore-accept`.

use crate::common::*;
use std::path::{Path, PathBuf};

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The file and its WAL (if any), copied while no command runs.
fn copy_vault(sb: &Sandbox) -> (Vec<u8>, Option<Vec<u8>>) {
    (
        std::fs::read(&sb.vault).unwrap(),
        std::fs::read(sibling(&sb.vault, "-wal")).ok(),
    )
}

fn restore_vault(sb: &Sandbox, copy: &(Vec<u8>, Option<Vec<u8>>)) {
    std::fs::write(&sb.vault, &copy.0).unwrap();
    let _ = std::fs::remove_file(sibling(&sb.vault, "-shm"));
    match &copy.1 {
        Some(wal) => std::fs::write(sibling(&sb.vault, "-wal"), wal).unwrap(),
        None => {
            let _ = std::fs::remove_file(sibling(&sb.vault, "-wal"));
        }
    }
}

fn revoke_then_restore(sb: &Sandbox, run: impl Fn(&[&str]) -> Out) {
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read,withdraw"],
        &binance_secrets(),
    );
    // Each command checkpoints the WAL into the main file on exit.
    let before = copy_vault(sb);
    run(&["revoke", "binance-main", "--reason", "left the team"]).ok();
    let out = run(&["list"]).ok();
    assert!(!out.stderr.contains("older"), "{}", out.describe());
    restore_vault(sb, &before);
}

#[test]
fn without_a_keyring_a_restored_older_copy_is_reported_until_accepted() {
    let sb = Sandbox::init();
    revoke_then_restore(&sb, |args| sb.run(args));

    let out = sb.run(&["list", "--json"]).ok();
    assert!(out.stderr.contains("older copy"), "{}", out.describe());
    assert!(out.stderr.contains("restore-accept"), "{}", out.describe());
    let verify = sb.run(&["audit", "--verify"]).exits(1);
    assert!(
        verify.stdout.contains("older copy"),
        "{}",
        verify.describe()
    );
    // Writes on the older file do not make the warning go away.
    sb.run(&["unlock"]).ok();
    sb.run(&["edit", "binance-main", "--notes", "x"]).ok();
    let verify = sb.run(&["audit", "--verify"]).exits(1);
    assert!(
        verify.stdout.contains("older copy"),
        "{}",
        verify.describe()
    );

    // The anchor lives in the state folder, not beside the vault.
    let anchors = sb.dir.path().join(".local/state/keystead/anchors");
    assert_eq!(std::fs::read_dir(&anchors).unwrap().count(), 1);

    // Without a terminal, accepting needs --yes.
    sb.run(&["restore-accept"])
        .fails(2)
        .stderr_mentions("--yes");
    sb.run(&["restore-accept", "--yes"]).ok();
    let out = sb.run(&["audit", "--verify"]).ok();
    assert!(!out.stderr.contains("older"), "{}", out.describe());
    assert!(sb
        .audit()
        .iter()
        .any(|e| e["action"] == "restored_backup_accepted"));
    assert!(sb
        .run(&["restore-accept", "--yes"])
        .ok()
        .stdout
        .contains("Nothing to accept"));
}

#[test]
fn a_hand_edited_anchor_file_is_reported() {
    let sb = Sandbox::init();
    revoke_then_restore(&sb, |args| sb.run(args));
    let anchors = sb.dir.path().join(".local/state/keystead/anchors");
    let file = std::fs::read_dir(&anchors)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1] = "1";
    std::fs::write(&file, lines.join("\n")).unwrap();
    let verify = sb.run(&["audit", "--verify"]).exits(1);
    assert!(verify.stdout.contains("altered"), "{}", verify.describe());
}

/// The OS keyring of the test run: gnome-keyring's Secret Service on the private D-Bus session that
/// scripts/test.sh starts. `None` (the test says so and passes) when run outside that script.
fn keyring_bus() -> Option<String> {
    if std::env::var_os("KEYSTEAD_TEST_KEYRING").is_none() {
        eprintln!("skipped: needs gnome-keyring on a private D-Bus session; run scripts/test.sh");
        return None;
    }
    Some(
        std::env::var("DBUS_SESSION_BUS_ADDRESS")
            .expect("KEYSTEAD_TEST_KEYRING is set but there is no D-Bus session"),
    )
}

#[test]
fn with_the_os_keyring_the_warning_stays_after_the_next_write() {
    let Some(bus) = keyring_bus() else { return };
    let sb = Sandbox::new();
    let with_keyring = |args: &[&str]| sb.cmd(args).env("DBUS_SESSION_BUS_ADDRESS", &bus).run();
    with_keyring(&["init"]).ok();
    revoke_then_restore(&sb, with_keyring);
    let out = with_keyring(&["list", "--json"]).ok();
    assert!(out.stderr.contains("older copy"), "{}", out.describe());
    with_keyring(&["unlock"]).ok();
    let verify = with_keyring(&["audit", "--verify"]).exits(1);
    assert!(verify.stdout.contains("older"), "{}", verify.describe());
    with_keyring(&["restore-accept", "--yes"]).ok();
    with_keyring(&["audit", "--verify"]).ok();
}
