//! `keystead backup PATH [--force]`: the copy opens with `KEYSTEAD_VAULT=PATH keystead list`, holds no
//! secret in the clear, is 0600, is recorded in the audit log, and an existing file is refused unless
//! `--force` (and then only an older backup is replaced).

use crate::common::*;
use std::os::unix::fs::PermissionsExt;

#[test]
fn a_backup_lists_the_same_keys_when_opened_and_says_how_to_restore() {
    let sb = Sandbox::with_read_keys(false);
    let copy = sb.dir.path().join("backups/keystead-backup.db");
    std::fs::create_dir(copy.parent().unwrap()).unwrap();
    let out = sb.run(&["backup", copy.to_str().unwrap()]).ok();
    assert!(
        out.stdout.contains("Backup written to"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout
            .contains(&format!("KEYSTEAD_VAULT={} keystead list", copy.display())),
        "{}",
        out.describe()
    );
    assert!(out.stdout.contains("restore-accept"), "{}", out.describe());
    let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let bytes = std::fs::read(&copy).unwrap();
    assert!(!contains_bytes(&bytes, BINANCE_SECRET.as_bytes()));
    assert!(!contains_bytes(&bytes, BINANCE_API_KEY.as_bytes()));

    let last = sb.audit().into_iter().last().unwrap();
    assert_eq!(last["action"], "vault_backed_up");

    let listed = sb
        .cmd(&["list", "--json"])
        .env("KEYSTEAD_VAULT", copy.to_str().unwrap())
        .run()
        .ok();
    let names: Vec<String> = listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        vec!["binance-main".to_string()],
        "{}",
        listed.describe()
    );
    let secret = sb
        .cmd(&["reveal", "binance-main", "secret"])
        .env("KEYSTEAD_VAULT", copy.to_str().unwrap())
        .run()
        .ok();
    assert_eq!(secret.stdout.trim_end(), BINANCE_SECRET);
}

#[test]
fn an_existing_file_is_refused_without_force_and_a_non_vault_file_even_with_it() {
    let sb = Sandbox::with_read_keys(false);
    let copy = sb.dir.path().join("keystead-backup.db");
    sb.run(&["backup", "keystead-backup.db"]).ok();
    assert!(
        copy.is_file(),
        "a relative path is taken from the current folder"
    );
    let before = std::fs::read(&copy).unwrap();
    sb.run(&["backup", copy.to_str().unwrap()])
        .fails(2)
        .stderr_mentions("already exists");
    assert_eq!(std::fs::read(&copy).unwrap(), before);
    sb.run(&["backup", copy.to_str().unwrap(), "--force"]).ok();

    let notes = sb.dir.path().join("notes.txt");
    std::fs::write(&notes, "my notes").unwrap();
    sb.run(&["backup", notes.to_str().unwrap(), "--force"])
        .fails(2)
        .stderr_mentions("not a vault file");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes");
    sb.run(&["backup", sb.vault.to_str().unwrap(), "--force"])
        .fails(2)
        .stderr_mentions("own file");
}
