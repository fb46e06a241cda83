//! `keystead scan` against a real vault: the vault's own secrets found in a folder in their encodings and
//! older versions, named by key; exit codes; no whole secret printed in either format; the scan audited
//! and the key flagged "found in plaintext" until rotated; --locked looks for shapes only.

use crate::common::*;
use base64::Engine;

fn tree(sb: &Sandbox) -> std::path::PathBuf {
    let root = sb.dir.path().join("bots");
    std::fs::create_dir_all(root.join("ft")).unwrap();
    std::fs::write(root.join("README.md"), "nothing secret here\n").unwrap();
    root
}

/// A vault with the key 'binance-main' (read only) and an empty-ish folder to scan.
fn vault_and_tree() -> (Sandbox, std::path::PathBuf) {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    let root = tree(&sb);
    (sb, root)
}

/// Whether the key carries the "found in plaintext" risk flag.
fn flagged(sb: &Sandbox, name: &str) -> bool {
    sb.key(name)["risk_flags"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f == "found_in_plaintext"))
}

#[test]
fn a_clean_folder_exits_0_and_a_planted_secret_exits_1_naming_its_key_without_printing_it() {
    let (sb, root) = vault_and_tree();
    let root_s = root.to_str().unwrap();
    let out = sb.run(&["scan", root_s]).ok();
    assert!(out.stdout.contains("0 findings"), "{}", out.describe());

    let encoded = base64::engine::general_purpose::STANDARD.encode(BINANCE_SECRET);
    std::fs::write(
        root.join("ft/notes.py"),
        format!("# old\nclient = make(\n    secret=b64decode('{encoded}'))\n"),
    )
    .unwrap();
    std::fs::write(
        root.join("ft/.env"),
        format!("BINANCE_API_KEY={BINANCE_API_KEY}\n"),
    )
    .unwrap();
    let out = sb.run(&["scan", root_s]).exits(1);
    prints_no_secret(&out);
    assert!(!out.output().contains(&encoded), "{}", out.describe());
    assert!(out.stdout.contains("notes.py:3:"), "{}", out.describe());
    assert!(
        out.stdout.contains("own-secret-base64"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("your key 'binance-main' (secret)"),
        "{}",
        out.describe()
    );
    assert!(out.stdout.contains(".env:1:"), "{}", out.describe());
    let json = sb.run(&["scan", root_s, "--json"]).exits(1);
    prints_no_secret(&json);
    let report = json.json();
    let own: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "own_secret")
        .collect();
    assert_eq!(own.len(), 2, "{}", json.describe());
    assert!(own.iter().all(|f| f["key_name"] == "binance-main"));
    assert!(report["stats"]["files"].as_u64().unwrap() >= 3);

    // Audited, and the key carries the flag until it is rotated.
    assert!(sb.audit().iter().any(|e| e["action"] == "scan_run"));
    assert!(sb
        .audit()
        .iter()
        .any(|e| e["action"] == "key_found_in_plaintext"));
    assert!(flagged(&sb, "binance-main"));
    sb.cmd(&["rotate", "binance-main", "--secrets-stdin"])
        .stdin(serde_json::json!({"apiKey": "rotatedKeyValue0123456789", "secret": "rotatedSecretValue0123456789"}).to_string())
        .run()
        .ok();
    assert!(!flagged(&sb, "binance-main"));
    // The old version is still found, as an old version: no flag comes back.
    let out = sb.run(&["scan", root_s]).exits(1);
    assert!(out.stdout.contains("old version 1"), "{}", out.describe());
    assert!(!flagged(&sb, "binance-main"));
}

#[test]
fn locked_scans_look_for_shapes_only_and_bad_arguments_exit_2() {
    let sb = Sandbox::init();
    let root = tree(&sb);
    std::fs::write(root.join("aws.txt"), "id = AKIAIOSFODNN7EXAMPLE\n").unwrap();
    let out = sb
        .cmd(&["scan", root.to_str().unwrap(), "--locked"])
        .env_remove("KEYSTEAD_PASSPHRASE")
        .run()
        .exits(1);
    assert!(out.stdout.contains("aws"), "{}", out.describe());
    assert!(
        out.stdout.contains("Your own keys were not looked for"),
        "{}",
        out.describe()
    );
    sb.run(&["scan", root.to_str().unwrap(), "--max-file-size", "ten"])
        .fails(2)
        .stderr_mentions("8M");
    sb.run(&["scan", sb.dir.path().join("missing").to_str().unwrap()])
        .fails(2);
}

#[test]
fn a_finding_ignored_by_its_id_stays_out_of_later_scans_until_unignored() {
    let (sb, root) = vault_and_tree();
    let root_s = root.to_str().unwrap();
    std::fs::write(
        root.join("ft/fixture.py"),
        format!("SECRET = '{BINANCE_SECRET}'\n"),
    )
    .unwrap();
    let json = sb.run(&["scan", root_s, "--json"]).exits(1);
    let id = json.json()["findings"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 16);
    // The text output shows the same id in its last column.
    let out = sb.run(&["scan", root_s]).exits(1);
    assert!(out.stdout.contains(&id), "{}", out.describe());

    // An id this scan did not find: refused, nothing ignored.
    sb.run(&["scan", root_s, "--ignore", "0123456789abcdef"])
        .fails(2)
        .stderr_mentions("nothing was ignored");
    sb.run(&["scan", root_s, "--locked", "--ignore", &id])
        .fails(2);
    assert!(!sb.audit().iter().any(|e| e["action"] == "finding_ignored"));

    let out = sb.run(&["scan", root_s, "--ignore", &id]).ok();
    assert!(
        out.stdout.contains("0 findings") && out.stdout.contains("1 ignored not shown"),
        "{}",
        out.describe()
    );
    // A line added above it: still ignored.
    std::fs::write(
        root.join("ft/fixture.py"),
        format!("# test data\nSECRET = '{BINANCE_SECRET}'\n"),
    )
    .unwrap();
    sb.run(&["scan", root_s]).ok();
    let shown = sb.run(&["scan", root_s, "--include-ignored"]).ok();
    assert!(
        shown.stdout.contains("fixture.py:2:") && shown.stdout.contains("(ignored)"),
        "{}",
        shown.describe()
    );
    let list = sb.run(&["scan", "--ignored"]).ok();
    assert!(
        list.stdout.contains(&id) && list.stdout.contains("binance-main"),
        "{}",
        list.describe()
    );
    prints_no_secret(&list);
    let listed = sb.run(&["scan", "--ignored", "--json"]).ok().json();
    assert_eq!(listed[0]["id"], id.as_str());

    sb.run(&["scan", "--unignore", &id]).ok();
    sb.run(&["scan", root_s]).exits(1);
    sb.run(&["scan", "--unignore", &id])
        .fails(2)
        .stderr_mentions("--ignored");
    let actions: Vec<_> = sb.audit().iter().map(|e| e["action"].clone()).collect();
    assert!(actions.iter().any(|a| a == "finding_ignored"));
    assert!(actions.iter().any(|a| a == "finding_unignored"));
}
