//! `KEYSTEAD_PASSPHRASE_FILE`: the passphrase read from a file (a systemd credential), so a service's
//! stdin stays the bot's; a file other users may read is refused outside `$CREDENTIALS_DIRECTORY`, and
//! `run` hands neither the path nor the passphrase to the program.

use crate::common::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Writes `text` to `dir/name` with `mode` and returns its path.
fn passphrase_file(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).expect("write the passphrase file");
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
    path
}

/// The path as the environment variable's value.
fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temporary path")
}

#[test]
fn a_private_passphrase_file_unlocks_the_vault_with_one_trailing_newline_dropped() {
    let sb = Sandbox::with_read_keys(false);
    let with_newline = passphrase_file(sb.dir.path(), "pass", &format!("{PASSPHRASE}\n"), 0o600);
    let out = sb
        .cmd(&["list", "--json"])
        .env_remove("KEYSTEAD_PASSPHRASE")
        .env("KEYSTEAD_PASSPHRASE_FILE", text(&with_newline))
        .run()
        .ok();
    assert!(out.stdout.contains("binance-main"), "{}", out.describe());

    let without = passphrase_file(sb.dir.path(), "pass-bare", PASSPHRASE, 0o400);
    sb.cmd(&["list"])
        .env_remove("KEYSTEAD_PASSPHRASE")
        .env("KEYSTEAD_PASSPHRASE_FILE", text(&without))
        .run()
        .ok();

    // Only one newline is the file's end; a second one is part of the passphrase, which is then wrong.
    let two = passphrase_file(
        sb.dir.path(),
        "pass-two",
        &format!("{PASSPHRASE}\n\n"),
        0o600,
    );
    sb.cmd(&["list"])
        .env_remove("KEYSTEAD_PASSPHRASE")
        .env("KEYSTEAD_PASSPHRASE_FILE", text(&two))
        .run()
        .fails(3);
}

#[test]
fn a_passphrase_file_other_users_may_read_is_refused_and_not_read() {
    let sb = Sandbox::with_read_keys(false);
    for mode in [0o644, 0o640, 0o604, 0o620] {
        let path = passphrase_file(sb.dir.path(), "pass", &format!("{PASSPHRASE}\n"), mode);
        let out = sb
            .cmd(&["list"])
            .env_remove("KEYSTEAD_PASSPHRASE")
            .env("KEYSTEAD_PASSPHRASE_FILE", text(&path))
            .run()
            .fails(2)
            .stderr_mentions("chmod 600")
            .stderr_mentions(&format!("{mode:03o}"));
        assert!(
            !out.output().contains(PASSPHRASE),
            "the refusal showed the passphrase\n{}",
            out.describe()
        );
    }
    // Refused before anything was unlocked: no unlock, failed or not, is in the audit log.
    let unlock_failures = sb
        .audit()
        .iter()
        .filter(|e| e["action"] == "unlock_failed")
        .count();
    assert_eq!(
        unlock_failures, 0,
        "a refused file was tried as a passphrase"
    );
}

#[test]
fn inside_the_credentials_directory_systemd_made_the_mode_is_not_checked() {
    let sb = Sandbox::with_read_keys(false);
    let credentials = sb.dir.path().join("credentials");
    fs::create_dir(&credentials).unwrap();
    let inside = passphrase_file(&credentials, "keystead-passphrase", PASSPHRASE, 0o644);
    sb.cmd(&["list"])
        .env_remove("KEYSTEAD_PASSPHRASE")
        .env("CREDENTIALS_DIRECTORY", text(&credentials))
        .env("KEYSTEAD_PASSPHRASE_FILE", text(&inside))
        .run()
        .ok();

    // A path that only starts with the folder's name but leads out of it is outside.
    let outside = passphrase_file(sb.dir.path(), "elsewhere", PASSPHRASE, 0o644);
    let escaping = credentials.join("..").join("elsewhere");
    for path in [&outside, &escaping] {
        sb.cmd(&["list"])
            .env_remove("KEYSTEAD_PASSPHRASE")
            .env("CREDENTIALS_DIRECTORY", text(&credentials))
            .env("KEYSTEAD_PASSPHRASE_FILE", text(path))
            .run()
            .fails(2)
            .stderr_mentions("chmod 600");
    }
}

#[test]
fn a_missing_or_empty_file_or_both_variables_set_is_a_clear_error() {
    let sb = Sandbox::with_read_keys(false);
    let missing = sb.dir.path().join("no-such-file");
    sb.cmd(&["list"])
        .env_remove("KEYSTEAD_PASSPHRASE")
        .env("KEYSTEAD_PASSPHRASE_FILE", text(&missing))
        .run()
        .fails(2)
        .stderr_mentions("cannot read the passphrase file");

    let empty = passphrase_file(sb.dir.path(), "empty", "\n", 0o600);
    sb.cmd(&["list"])
        .env_remove("KEYSTEAD_PASSPHRASE")
        .env("KEYSTEAD_PASSPHRASE_FILE", text(&empty))
        .run()
        .fails(2)
        .stderr_mentions("is empty");

    let good = passphrase_file(sb.dir.path(), "pass", PASSPHRASE, 0o600);
    sb.cmd(&["list"])
        .env("KEYSTEAD_PASSPHRASE_FILE", text(&good))
        .run()
        .fails(2)
        .stderr_mentions("unset one of them");
}

#[test]
fn run_with_a_passphrase_file_keeps_stdin_for_the_program_and_hides_the_file_from_it() {
    let sb = Sandbox::with_read_keys(false);
    let path = passphrase_file(sb.dir.path(), "pass", &format!("{PASSPHRASE}\n"), 0o600);
    let child = r#"echo "file=${KEYSTEAD_PASSPHRASE_FILE-unset} pass=${KEYSTEAD_PASSPHRASE-unset} key=${#BINANCE_APIKEY}"; cat"#;
    let out = sb
        .cmd(&["run", "--key", "binance-main", "--", "sh", "-c", child])
        .env_remove("KEYSTEAD_PASSPHRASE")
        .env("KEYSTEAD_PASSPHRASE_FILE", text(&path))
        .stdin("order book from stdin\n")
        .run()
        .ok();
    let expected = format!(
        "file=unset pass=unset key={}\norder book from stdin\n",
        BINANCE_API_KEY.len()
    );
    assert_eq!(out.stdout, expected, "{}", out.describe());
}
