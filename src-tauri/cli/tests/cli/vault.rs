//! `init` and choosing the vault: where it is created, what happens without one or with two, `--vault`, and
//! the help text.

use crate::common::*;

#[test]
fn init_creates_the_vault_and_names_its_path() {
    let sb = Sandbox::new();
    let out = sb.run(&["init"]).ok();
    assert!(
        sb.vault.exists(),
        "no vault file after init\n{}",
        out.describe()
    );
    assert!(
        out.stdout.contains(&*sb.vault.to_string_lossy()),
        "init does not say where the vault is\n{}",
        out.describe()
    );
    sb.run(&["unlock"]).ok();
    assert!(sb.list().is_empty());
}

#[test]
fn commands_without_a_vault_exit_2_and_point_to_init() {
    let sb = Sandbox::new();
    for args in [
        &["list"][..],
        &["list", "--json"][..],
        &["unlock"][..],
        &["audit", "--verify"][..],
    ] {
        sb.run(args).fails(2).stderr_mentions("keystead init");
    }
    sb.cmd(&[
        "add",
        "--name",
        "k",
        "--exchange",
        "binance",
        "--secrets-stdin",
    ])
    .stdin(binance_secrets())
    .run()
    .fails(2)
    .stderr_mentions("keystead init");
    assert!(
        !sb.vault.exists(),
        "a command other than init created the vault"
    );

    let nested = sb.dir.path().join("no-such-dir").join("vault.db");
    sb.cmd(&["list"])
        .env("KEYSTEAD_VAULT", nested.to_str().unwrap())
        .run()
        .fails(2)
        .stderr_mentions("keystead init");
}

#[test]
fn init_twice_exits_2_and_keeps_the_existing_vault() {
    let sb = Sandbox::with_read_keys(false);
    let before = std::fs::read(&sb.vault).unwrap();
    sb.run(&["init"]).fails(2);
    sb.cmd(&["init"])
        .passphrase("another passphrase entirely")
        .run()
        .fails(2);
    assert!(
        std::fs::read(&sb.vault).unwrap() == before,
        "a refused init changed the vault file"
    );
    assert_eq!(sb.reveal("binance-main", "secret", &[]), BINANCE_SECRET);
    sb.cmd(&["unlock"])
        .passphrase("another passphrase entirely")
        .run()
        .fails(3);
}

#[test]
fn vault_flag_selects_the_vault_file() {
    let sb = Sandbox::new();
    let other = sb.dir.path().join("elsewhere.db");
    let other = other.to_str().unwrap();
    sb.cmd(&["--vault", other, "init"])
        .env_remove("KEYSTEAD_VAULT")
        .run()
        .ok();
    assert!(std::path::Path::new(other).exists());
    assert!(!sb.vault.exists(), "--vault was ignored");

    sb.cmd(&[
        "--vault",
        other,
        "add",
        "--name",
        "k",
        "--exchange",
        "binance",
        "--secrets-stdin",
    ])
    .env_remove("KEYSTEAD_VAULT")
    .stdin(binance_secrets())
    .run()
    .ok();
    // After the subcommand too, and over KEYSTEAD_VAULT (which points at a missing file here).
    let out = sb.cmd(&["list", "--json", "--vault", other]).run().ok();
    assert!(out.stdout.contains("\"k\""), "{}", out.describe());
    // KEYSTEAD_VAULT alone.
    let out = sb
        .cmd(&["list", "--json"])
        .env("KEYSTEAD_VAULT", other)
        .run()
        .ok();
    assert!(out.stdout.contains("\"k\""), "{}", out.describe());
}

#[test]
fn help_lists_the_exit_codes() {
    let sb = Sandbox::new();
    let out = sb.run(&["--help"]).ok();
    let help = out.stdout.to_lowercase();
    let at = help
        .find("exit code")
        .unwrap_or_else(|| panic!("--help does not list exit codes\n{}", out.describe()));
    let codes = &help[at..];
    for needle in ["0", "1", "2", "3", "passphrase"] {
        assert!(
            codes.contains(needle),
            "exit code section lacks {needle:?}\n{}",
            out.describe()
        );
    }
}
