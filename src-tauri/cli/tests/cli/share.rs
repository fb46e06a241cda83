//! `share export` and `share import` between two sandboxes (Alice's and Bob's vaults), and interop with
//! Debian's `age` tool.

use crate::common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

/// Alice and Bob, each the other's contact.
fn alice_and_bob() -> (Sandbox, Sandbox) {
    let (a, b) = (Sandbox::init(), Sandbox::init());
    let (ka, kb) = (whoami(&a), whoami(&b));
    a.run(&["contacts", "add", "bob", ka_str(&kb)]).ok();
    b.run(&["contacts", "add", "alice", ka_str(&ka)]).ok();
    (a, b)
}

/// Whether Debian's `age` tool is here. Without it the interop tests are skipped with a notice, unless
/// KEYSTEAD_REQUIRE_AGE is set (CI sets it), then they fail.
fn age_available(test: &str) -> bool {
    let found = Command::new("age").arg("--version").output().is_ok()
        && Command::new("age-keygen").arg("--help").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("KEYSTEAD_REQUIRE_AGE").is_none(),
            "KEYSTEAD_REQUIRE_AGE is set but the `age` tool is not installed (apt-get install age)"
        );
        eprintln!("NOTICE: skipping {test}: the `age` tool is not installed (apt-get install age)");
    }
    found
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[test]
fn keys_exported_from_one_vault_import_into_another_after_a_dry_run() {
    let (a, b) = alice_and_bob();
    a.add(
        "binance-main",
        "binance",
        &["--scopes", "read,trade", "--ip", "203.0.113.7"],
        &binance_secrets(),
    );
    a.add(
        "okx-hot",
        "okx",
        &["--scopes", "read,withdraw"],
        &okx_secrets(),
    );
    let file = a.dir.path().join("for-bob.age");
    let file = path_str(&file);

    a.run(&[
        "share",
        "export",
        "--keys",
        "binance-main,okx-hot",
        "--to",
        "bob",
        "-o",
        file,
    ])
    .fails(2)
    .stderr_mentions("--confirm-withdraw okx-hot");
    assert!(!Path::new(file).exists(), "a refused export left a file");
    let out = a
        .run(&[
            "share",
            "export",
            "--keys",
            "binance-main,okx-hot",
            "--to",
            "bob",
            "--confirm-withdraw",
            "okx-hot",
            "-o",
            file,
        ])
        .ok();
    assert!(out.stdout.contains("contact bob"), "{}", out.describe());
    let bytes = std::fs::read(file).unwrap();
    for secret in [BINANCE_SECRET, OKX_PASSWORD] {
        assert!(
            !contains_bytes(&bytes, secret.as_bytes()),
            "plaintext secret in the share file"
        );
    }
    a.run(&[
        "share",
        "export",
        "--keys",
        "binance-main",
        "--to",
        "bob",
        "-o",
        file,
    ])
    .fails(2)
    .stderr_mentions("already exists");

    // Dry run: the preview, sender first, and nothing imported.
    let rows = b.entries_rows();
    let dry = b.run(&["share", "import", file, "--dry-run"]).ok();
    let first = dry.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("From: contact alice"),
        "{}",
        dry.describe()
    );
    assert!(
        dry.stdout.contains("new") && dry.stdout.contains("okx-hot"),
        "{}",
        dry.describe()
    );
    assert!(dry.stderr.contains("can withdraw"), "{}", dry.describe());
    assert_eq!(b.entries_rows(), rows);
    // Without a terminal and without --yes: refused, nothing imported.
    b.run(&["share", "import", file])
        .fails(2)
        .stderr_mentions("--yes");
    assert_eq!(b.entries_rows(), rows);

    let preview = b
        .run(&["share", "import", file, "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(preview["preview"]["sender"]["kind"], "contact");
    assert_eq!(preview["imported"], Value::Null);
    assert!(!preview.to_string().contains(BINANCE_SECRET));

    b.run(&["share", "import", file, "--yes"]).ok();
    assert_eq!(b.reveal("binance-main", "secret", &[]), BINANCE_SECRET);
    assert_eq!(b.reveal("okx-hot", "password", &[]), OKX_PASSWORD);
    assert_eq!(
        b.key("binance-main")["ip_allowlist"],
        json!(["203.0.113.7"])
    );

    // The same file again: everything identical, nothing to do.
    let again = b.run(&["share", "import", file, "--yes"]).ok();
    assert!(again.stdout.contains("identical"), "{}", again.describe());
    let (imported, per_key): (Vec<Value>, Vec<Value>) = b
        .changes()
        .into_iter()
        .filter(|e| e["action"] == "share_imported")
        .partition(|e| e["key_name"].is_null());
    assert_eq!(imported.len(), 1, "one import: {imported:#?}");
    assert!(
        !per_key.is_empty()
            && per_key.iter().all(|e| e["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("added from contact alice"))),
        "each imported key's history names the sender: {per_key:#?}"
    );
    let detail = imported[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("from contact alice") && detail.contains("okx-hot"),
        "{detail}"
    );
    let exported = a
        .changes()
        .into_iter()
        .find(|e| e["action"] == "share_exported")
        .unwrap();
    assert!(
        exported["detail"].as_str().unwrap().contains("contact bob"),
        "{exported}"
    );
    b.run(&["audit", "--verify"]).ok();
}

#[test]
fn a_share_file_made_for_an_age_keygen_identity_opens_with_the_age_tool() {
    if !age_available("a_share_file_made_for_an_age_keygen_identity_opens_with_the_age_tool") {
        return;
    }
    let a = Sandbox::init();
    a.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    let dir = a.dir.path();
    let id = dir.join("id.txt");
    let keygen = Command::new("age-keygen")
        .arg("-o")
        .arg(&id)
        .output()
        .unwrap();
    assert!(keygen.status.success(), "{keygen:?}");
    let public = Command::new("age-keygen")
        .arg("-y")
        .arg(&id)
        .output()
        .unwrap();
    let recipient = String::from_utf8(public.stdout).unwrap().trim().to_string();
    for armor in [false, true] {
        let file = dir.join(format!("share-{armor}.age"));
        let mut args = vec![
            "share",
            "export",
            "--keys",
            "binance-main",
            "--to",
            &recipient,
            "-o",
            path_str(&file),
        ];
        if armor {
            args.push("--armor");
        }
        a.run(&args).ok();
        let out = Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(&id)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "age -d failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout).expect("age -d yields JSON");
        assert_eq!(doc["format"], "keystead-share");
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["signature"]["alg"], "ed25519");
        let entry = &doc["payload"]["entries"][0];
        assert_eq!(entry["name"], "binance-main");
        assert_eq!(entry["secrets"]["secret"], BINANCE_SECRET);
        assert_eq!(doc["payload"]["to"], json!([recipient]));
    }
}

#[test]
fn a_payload_wrapped_with_age_r_imports_with_an_unsigned_warning() {
    if !age_available("a_payload_wrapped_with_age_r_imports_with_an_unsigned_warning") {
        return;
    }
    let b = Sandbox::init();
    let recipient = whoami(&b)["age_recipient"].as_str().unwrap().to_string();
    let doc = json!({
        "format": "keystead-share",
        "version": 1,
        "payload": {"entries": [{
            "name": "handmade", "exchange": "binance", "scopes": ["read"],
            "secrets": {"apiKey": BINANCE_API_KEY, "secret": BINANCE_SECRET}
        }]}
    });
    let plain = b.dir.path().join("doc.json");
    std::fs::write(&plain, doc.to_string()).unwrap();
    let file = b.dir.path().join("hand.age");
    let out = Command::new("age")
        .args(["-r", &recipient, "-o"])
        .arg(&file)
        .arg(&plain)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(&plain).unwrap();

    let imported = b.run(&["share", "import", path_str(&file), "--yes"]).ok();
    assert!(
        imported.output().to_lowercase().contains("unsigned"),
        "no unsigned warning\n{}",
        imported.describe()
    );
    assert_eq!(b.reveal("handmade", "secret", &[]), BINANCE_SECRET);
}

#[test]
fn share_export_mistakes_exit_2_naming_the_flag_to_fix_and_write_nothing() {
    let sb = Sandbox::with_read_keys(false);
    let file = sb.dir.path().join("out.age");
    let file = path_str(&file);
    sb.cmd(&[
        "share",
        "export",
        "--keys",
        "binance-main",
        "--to",
        "age1x",
        "--passphrase",
        "-o",
        file,
    ])
    .env("KEYSTEAD_SHARE_PASSPHRASE", "a long share passphrase")
    .run()
    .fails(2)
    .stderr_mentions("not both")
    .stderr_mentions("drop --to or --passphrase");
    sb.run(&["share", "export", "--keys", "binance-main", "-o", file])
        .fails(2)
        .stderr_mentions("no recipient")
        .stderr_mentions("--to alice,bob");
    assert!(!Path::new(file).exists(), "a refused export wrote {file}");
}

#[test]
fn an_unsigned_file_holding_the_id_of_my_key_never_replaces_it_even_with_yes() {
    if !age_available("an_unsigned_file_holding_the_id_of_my_key_never_replaces_it_even_with_yes") {
        return;
    }
    let b = Sandbox::init();
    b.add(
        "binance-main",
        "binance",
        &[
            "--scopes",
            "read,withdraw",
            "--ip",
            "203.0.113.7",
            "--expires",
            "2099-01-01",
        ],
        &binance_secrets(),
    );
    let mine = b.key("binance-main");
    let recipient = whoami(&b)["age_recipient"].as_str().unwrap().to_string();
    let doc = json!({
        "format": "keystead-share",
        "version": 1,
        "payload": {"entries": [{
            "id": mine["id"], "name": "binance-main", "exchange": "binance", "scopes": ["read"],
            "secrets": {"apiKey": "ATTACKER-API-KEY", "secret": "ATTACKER-SECRET"}
        }]}
    });
    let plain = b.dir.path().join("doc.json");
    std::fs::write(&plain, doc.to_string()).unwrap();
    let file = b.dir.path().join("hostile.age");
    let out = Command::new("age")
        .args(["-r", &recipient, "-o"])
        .arg(&file)
        .arg(&plain)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = b.entries_rows();

    // `--yes` alone takes the defaults: the changed key is skipped.
    let imported = b.run(&["share", "import", path_str(&file), "--yes"]).ok();
    assert!(
        !imported.stdout.contains("replaced 1"),
        "{}",
        imported.describe()
    );
    assert!(
        imported
            .output()
            .contains("cannot change keys you already have"),
        "{}",
        imported.describe()
    );
    // Asking to replace is refused for an unsigned file, and nothing is written.
    let rows_after_skip = b.entries_rows();
    b.run(&[
        "share",
        "import",
        path_str(&file),
        "--yes",
        "--on-conflict",
        "replace",
    ])
    .fails(2)
    .stderr_mentions("unsigned")
    .stderr_mentions("--on-conflict replace");
    assert_eq!(b.entries_rows(), rows_after_skip);
    assert_eq!(rows_after_skip.len(), rows.len());

    assert_eq!(b.reveal("binance-main", "secret", &[]), BINANCE_SECRET);
    let kept = b.key("binance-main");
    assert_eq!(kept["scopes"], mine["scopes"]);
    assert_eq!(kept["expires_at"], mine["expires_at"]);
}

#[test]
fn share_export_never_replaces_the_vault_its_journal_or_a_file_that_is_not_a_share_file() {
    let (a, _b) = alice_and_bob();
    a.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    // Opening the vault writes its own bookkeeping (the passphrase throttle), so compare what it holds.
    let keys_before = a.run(&["list", "--json"]).ok().stdout;
    let changes = a.changes().len();
    let export = |out: &str| {
        a.run(&[
            "share",
            "export",
            "--keys",
            "binance-main",
            "--to",
            "bob",
            "-o",
            out,
            "--force",
        ])
    };

    export(path_str(&a.vault))
        .fails(2)
        .stderr_mentions("one of Keystead's own files");
    // The same file spelled another way, and its journal even while it does not exist.
    let spelled = a.dir.path().join(".").join("vault.db");
    export(path_str(&spelled))
        .fails(2)
        .stderr_mentions("one of Keystead's own files");
    let wal = a.dir.path().join("vault.db-wal");
    export(path_str(&wal))
        .fails(2)
        .stderr_mentions("one of Keystead's own files");
    assert_eq!(a.run(&["list", "--json"]).ok().stdout, keys_before);
    a.run(&["audit", "--verify"]).ok();
    assert_eq!(
        a.changes().len(),
        changes,
        "a refused export is not recorded as made"
    );

    let notes = a.dir.path().join("notes.txt");
    std::fs::write(&notes, "my notes\n").unwrap();
    export(path_str(&notes))
        .fails(2)
        .stderr_mentions("not a share file");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes\n");

    // An older share file is replaced with --force.
    let file = a.dir.path().join("for-bob.age");
    export(path_str(&file)).ok();
    export(path_str(&file)).ok();
    assert!(std::fs::read(&file)
        .unwrap()
        .starts_with(b"age-encryption.org/v1"));
}

#[test]
fn deploy_to_a_server_shares_only_the_keys_its_bot_uses_and_the_server_holds_only_those() {
    // The trader's vault, and the server's own vault (its sharing key is the trader's contact).
    let (me, server) = (Sandbox::init(), Sandbox::init());
    me.run(&["contacts", "add", "vps-1", ka_str(&whoami(&server))])
        .ok();
    me.add(
        "binance-grid",
        "binance",
        &[
            "--scopes",
            "read,trade",
            "--used-by",
            "freqtrade@vps-1,grid",
        ],
        &binance_secrets(),
    );
    me.add(
        "okx-tax",
        "okx",
        &["--scopes", "read", "--used-by", "tax-report@laptop"],
        &okx_secrets(),
    );
    me.add(
        "kraken-idle",
        "kraken",
        &["--scopes", "query_funds"],
        &json!({ "apiKey": "kraken-key", "secret": "a3Jha2VuLXNlY3JldA==" }).to_string(),
    );
    me.add(
        "binance-old",
        "binance",
        &["--scopes", "read", "--used-by", "freqtrade@vps-1"],
        &json!({ "apiKey": "old-api-key-0123456789", "secret": "old-secret-0123456789abcdef" })
            .to_string(),
    );
    me.run(&["revoke", "binance-old", "--reason", "replaced"])
        .ok();
    assert_eq!(
        me.key("binance-grid")["used_by"],
        json!([{ "bot": "freqtrade", "host": "vps-1" }, { "bot": "grid", "host": null }])
    );
    let shown = me.run(&["show", "binance-grid"]).ok().stdout;
    assert!(
        shown.contains("used by       freqtrade@vps-1, grid"),
        "{shown}"
    );
    let listed: Vec<Value> = me
        .run(&["list", "--used-by", "freqtrade", "--json"])
        .ok()
        .json()
        .as_array()
        .cloned()
        .unwrap();
    let names: Vec<&str> = listed.iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["binance-grid", "binance-old"]);

    let file = me.dir.path().join("vps-1.age");
    let file = path_str(&file);
    let out = me
        .run(&[
            "share",
            "export",
            "--used-by",
            "freqtrade",
            "--to",
            "vps-1",
            "-o",
            file,
        ])
        .ok();
    assert!(
        out.stderr
            .contains("Sharing the 1 key used by freqtrade: binance-grid"),
        "only the active key: {}",
        out.describe()
    );
    server.run(&["share", "import", file, "--yes"]).ok();
    let held: Vec<String> = server
        .list()
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        held,
        ["binance-grid"],
        "the server holds only its bot's key"
    );
    assert_eq!(server.reveal("binance-grid", "secret", &[]), BINANCE_SECRET);
    assert_eq!(
        server.key("binance-grid")["used_by"],
        json!([]),
        "which bots use a key is the sender's own record"
    );

    // A bot nobody records: the error names the bots there are, and nothing is written.
    let never = me.dir.path().join("never.age");
    me.cmd(&[
        "share",
        "export",
        "--used-by",
        "hummingbot",
        "--to",
        "vps-1",
        "-o",
        path_str(&never),
    ])
    .run()
    .fails(2)
    .stderr_mentions("the bots recorded are: freqtrade, grid, tax-report");
    assert!(!never.exists());
    // Bad input says what to write.
    me.cmd(&["edit", "okx-tax", "--used-by", "bot@bad host"])
        .run()
        .fails(2)
        .stderr_mentions("bad host");
    me.run(&["edit", "okx-tax", "--no-used-by"]).ok();
    assert_eq!(me.key("okx-tax")["used_by"], json!([]));
    let edits: Vec<String> = me
        .audit()
        .iter()
        .filter(|e| e["action"] == "key_edited")
        .map(|e| e["detail"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(edits, ["used by: tax-report@laptop → none"]);
}
