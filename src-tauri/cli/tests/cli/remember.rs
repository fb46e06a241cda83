//! Remember on this device: `unlock --remember` against gnome-keyring's Secret Service on the private
//! D-Bus session of scripts/test.sh, then commands with no passphrase; `forget-device`; a passphrase
//! change; no key material in any file; and with no Secret Service (a dead bus) the passphrase path
//! still works and whoever had remembered is told why remembering is off.

use crate::common::*;

/// The OS keyring's bus, or `None` (the test says so and passes) outside scripts/test.sh.
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

/// A bus address where nothing listens: no Secret Service at all.
fn dead_bus(sb: &Sandbox) -> String {
    format!(
        "unix:path={}",
        sb.dir.path().join("no-such-bus-socket").display()
    )
}

/// What the error says when the passphrase is needed and there is no terminal to ask on.
const ASKS: &str = "cannot ask for the passphrase without a terminal";

/// The vault id in hex, as the keyring entry names it.
fn vault_id(sb: &Sandbox) -> String {
    let id: Vec<u8> = sb
        .db()
        .query_row("SELECT vault_id FROM header", [], |r| r.get(0))
        .unwrap();
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// This vault's entry in the OS keyring (the test process shares the session's bus).
fn keyring_entry(sb: &Sandbox) -> keyring::Entry {
    keyring::Entry::new("keystead", &format!("device-key:{}", vault_id(sb))).unwrap()
}

/// A command on the keyring's bus with no passphrase in the environment.
fn no_passphrase<'a>(sb: &'a Sandbox, bus: &str, args: &[&str]) -> Cmd<'a> {
    sb.cmd(args)
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .env_remove("KEYSTEAD_PASSPHRASE")
}

fn remember(sb: &Sandbox, bus: &str) {
    let out = sb
        .cmd(&["unlock", "--remember"])
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .run()
        .ok();
    assert!(
        out.stdout.contains("This device is remembered"),
        "{}",
        out.describe()
    );
}

#[test]
fn after_unlock_remember_list_needs_no_passphrase_and_after_forget_it_asks_again() {
    let Some(bus) = keyring_bus() else { return };
    let sb = Sandbox::with_read_keys(false);
    // Not remembered: asked, and nothing said about remembering (no nagging).
    let out = no_passphrase(&sb, &bus, &["list"]).run().fails(2);
    assert!(out.stderr.contains(ASKS), "{}", out.describe());
    assert!(!out.stderr.contains("note:"), "{}", out.describe());
    let out = sb
        .cmd(&["unlock"])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .run()
        .ok();
    assert!(
        out.stdout.contains("This device is not remembered"),
        "{}",
        out.describe()
    );

    remember(&sb, &bus);
    let out = no_passphrase(&sb, &bus, &["list", "--json"]).run().ok();
    assert!(out.stdout.contains("binance-main"), "{}", out.describe());
    assert!(out.stderr.trim().is_empty(), "{}", out.describe());
    let out = no_passphrase(&sb, &bus, &["unlock"]).run().ok();
    assert!(
        out.stdout.contains("This device is remembered"),
        "{}",
        out.describe()
    );
    let last_unlock = sb
        .audit()
        .into_iter()
        .rev()
        .find(|e| e["action"] == "vault_unlocked")
        .unwrap();
    assert!(
        last_unlock["detail"]
            .as_str()
            .is_some_and(|d| d.contains("remembered key")),
        "the unlock with the device is audited as such: {last_unlock}"
    );

    let out = no_passphrase(&sb, &bus, &["forget-device"]).run().ok();
    assert!(out.stdout.contains("forgotten"), "{}", out.describe());
    assert!(matches!(
        keyring_entry(&sb).get_password(),
        Err(keyring::Error::NoEntry)
    ));
    let out = no_passphrase(&sb, &bus, &["list"]).run().fails(2);
    assert!(out.stderr.contains(ASKS), "{}", out.describe());
    assert!(!out.stderr.contains("note:"), "{}", out.describe());
    let actions: Vec<_> = sb
        .changes()
        .into_iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    let remembered = actions.iter().position(|a| a == "device_remembered");
    let forgotten = actions.iter().position(|a| a == "device_forgotten");
    assert!(
        remembered.is_some() && forgotten > remembered,
        "{actions:?}"
    );
}

#[test]
fn no_key_material_is_in_any_file_under_home_or_beside_the_vault() {
    let Some(bus) = keyring_bus() else { return };
    let sb = Sandbox::with_read_keys(false);
    remember(&sb, &bus);
    no_passphrase(&sb, &bus, &["list"]).run().ok();
    let stored = keyring_entry(&sb)
        .get_password()
        .expect("the device key is in the OS keyring");
    let (_, key_hex) = stored.rsplit_once(':').unwrap();
    assert_eq!(key_hex.len(), 64, "{stored}");
    let key: Vec<u8> = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&key_hex[i..i + 2], 16).unwrap())
        .collect();
    let encoded = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&key)
    };
    let files = sb.files();
    assert!(files.iter().any(|(p, _)| p == &sb.vault));
    for (path, bytes) in &files {
        for (what, needle) in [
            ("the keyring entry", stored.as_bytes()),
            ("the device key", key.as_slice()),
            ("the device key in hex", key_hex.as_bytes()),
            ("the device key in base64", encoded.as_bytes()),
        ] {
            assert!(
                !contains_bytes(bytes, needle),
                "{what} is in {}",
                path.display()
            );
        }
    }
    no_passphrase(&sb, &bus, &["forget-device"]).run().ok();
}

#[test]
fn with_no_secret_service_the_passphrase_works_and_who_had_remembered_is_told_why() {
    let sb = Sandbox::with_read_keys(false);
    let dead = dead_bus(&sb);
    // Never remembered: `unlock --remember` says why it cannot, and nothing is written.
    let out = sb
        .cmd(&["unlock", "--remember"])
        .env("DBUS_SESSION_BUS_ADDRESS", &dead)
        .run()
        .fails(2);
    assert!(
        out.stderr.contains("remembering on this device is off") && out.stderr.contains("keyring"),
        "{}",
        out.describe()
    );
    let out = sb
        .cmd(&["unlock"])
        .env("DBUS_SESSION_BUS_ADDRESS", &dead)
        .run()
        .ok();
    assert!(
        out.stdout.contains("cannot be: no OS keyring answered"),
        "{}",
        out.describe()
    );
    // Someone who never remembered is not nagged.
    let out = no_passphrase(&sb, &dead, &["list"]).run().fails(2);
    assert!(!out.stderr.contains("note:"), "{}", out.describe());

    let Some(bus) = keyring_bus() else { return };
    remember(&sb, &bus);
    // The Secret Service is gone: the passphrase opens the vault, and the user is told why the
    // device did not, on one line, before being asked.
    let out = sb
        .cmd(&["list", "--json"])
        .env("DBUS_SESSION_BUS_ADDRESS", &dead)
        .run()
        .ok();
    assert!(out.stdout.contains("binance-main"), "{}", out.describe());
    let out = no_passphrase(&sb, &dead, &["list"]).run().fails(2);
    let notes: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("note: "))
        .collect();
    assert_eq!(notes.len(), 1, "{}", out.describe());
    assert!(
        notes[0].contains("remembering on this device is off")
            && notes[0].contains("no OS keyring answered"),
        "{}",
        out.describe()
    );
    assert!(out.stderr.contains(ASKS), "{}", out.describe());
    // Back on the session's bus, the device opens it again.
    no_passphrase(&sb, &bus, &["list"]).run().ok();
    no_passphrase(&sb, &bus, &["forget-device"]).run().ok();
}

#[test]
fn after_a_passphrase_change_the_remembered_unlock_is_gone_with_its_keyring_entry() {
    let Some(bus) = keyring_bus() else { return };
    let sb = Sandbox::with_read_keys(false);
    remember(&sb, &bus);
    assert!(keyring_entry(&sb).get_password().is_ok());
    // Changing the passphrase asks for the current one even on a remembered device.
    let out = no_passphrase(&sb, &bus, &["passwd"])
        .env("KEYSTEAD_NEW_PASSPHRASE", "a brand new passphrase")
        .run()
        .fails(2);
    assert!(out.stderr.contains(ASKS), "{}", out.describe());
    sb.cmd(&["passwd"])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .env("KEYSTEAD_NEW_PASSPHRASE", "a brand new passphrase")
        .run()
        .ok();
    assert!(
        matches!(
            keyring_entry(&sb).get_password(),
            Err(keyring::Error::NoEntry)
        ),
        "the keyring entry outlived the passphrase change"
    );
    let out = no_passphrase(&sb, &bus, &["list"]).run().fails(2);
    assert!(out.stderr.contains(ASKS), "{}", out.describe());
    sb.cmd(&["list"])
        .passphrase("a brand new passphrase")
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .run()
        .ok();
}

#[test]
fn a_remembered_device_runs_and_reveals_a_read_key_without_the_passphrase_but_not_a_withdraw_key() {
    let Some(bus) = keyring_bus() else { return };
    let sb = Sandbox::with_read_keys(false);
    sb.add(
        "binance-withdraw",
        "binance",
        &["--scopes", "read,withdraw"],
        &serde_json::json!({ "apiKey": "wd-api-key-0123456789", "secret": "wd-secret-0123456789" })
            .to_string(),
    );
    remember(&sb, &bus);
    let out = no_passphrase(&sb, &bus, &["reveal", "binance-main", "apiKey"])
        .run()
        .ok();
    assert_eq!(out.stdout.trim(), BINANCE_API_KEY);
    no_passphrase(&sb, &bus, &["run", "--key", "binance-main", "--", "true"])
        .run()
        .ok();
    // A key that can move funds: the passphrase again (step-up), which no terminal can give here.
    for args in [
        &["reveal", "binance-withdraw", "apiKey"][..],
        &["run", "--key", "binance-withdraw", "--", "true"][..],
    ] {
        let out = no_passphrase(&sb, &bus, args).run().fails(2);
        assert!(
            out.stderr.contains("can withdraw or transfer funds") && out.stderr.contains(ASKS),
            "{}",
            out.describe()
        );
    }
    let runs = sb
        .audit()
        .iter()
        .filter(|e| e["action"] == "key_run")
        .count();
    assert_eq!(runs, 1, "a refused run was audited");
}

#[test]
fn a_remembered_device_still_needs_the_passphrase_for_a_private_key_made_in_keystead() {
    let Some(bus) = keyring_bus() else { return };
    let sb = Sandbox::init();
    crate::key_pair::new_pair(&sb, "ed-bot");
    remember(&sb, &bus);
    let out = no_passphrase(&sb, &bus, &["reveal", "ed-bot", "privateKey"])
        .run()
        .fails(2);
    assert!(
        out.stderr.contains("holds a private key made in Keystead") && out.stderr.contains(ASKS),
        "{}",
        out.describe()
    );
    // The API key of the same entry is released as usual.
    let out = no_passphrase(&sb, &bus, &["reveal", "ed-bot", "apiKey"])
        .run()
        .ok();
    assert_eq!(out.stdout.trim(), "binance-gave-this-key");
}
