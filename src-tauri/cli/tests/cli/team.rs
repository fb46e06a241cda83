//! `team init`, `join`, `add-member`, `remove-member`, `share`, `sync`, `status` between two sandboxes over a bare git
//! repository (file://), through the built binary.

use crate::common::*;
use serde_json::Value;
use std::process::Command;

fn bare_remote(sb: &Sandbox) -> String {
    let path = sb.dir.path().join("desk.git");
    let repo = git2::Repository::init_bare(&path).unwrap();
    repo.set_head("refs/heads/main").unwrap();
    format!("file://{}", path.display())
}

#[test]
fn a_team_is_made_joined_after_confirming_and_its_keys_sync_to_the_new_member() {
    let (a, b) = (Sandbox::init(), Sandbox::init());
    let url = bare_remote(&a);
    let kb = whoami(&b);
    a.run(&["contacts", "add", "bob", ka_str(&kb)]).ok();
    let out = a
        .run(&["team", "init", &url, "--name", "desk", "--as", "alice"])
        .ok();
    assert!(out.stdout.contains("Team desk"), "{}", out.describe());

    // Bob is not a member yet: the join says what to do, and nothing is kept.
    b.run(&["team", "join", &url, "--yes"])
        .fails(2)
        .stderr_mentions("not a member of team desk yet");
    a.run(&["team", "add-member", "bob", "--role", "write"])
        .ok();

    // Without --yes and without a terminal, nothing is kept; the preview names the creator's fingerprint.
    let alice_fp = whoami(&a)["fingerprint"].as_str().unwrap().to_string();
    let out = b
        .run(&["team", "join", &url])
        .fails(2)
        .stderr_mentions("nothing was kept");
    assert!(out.stdout.contains(&alice_fp), "{}", out.describe());
    b.run(&["team", "status"])
        .fails(2)
        .stderr_mentions("in no team");
    b.run(&["team", "join", &url, "--yes"]).ok();

    a.add(
        "binance-main",
        "binance",
        &["--scopes", "read,trade"],
        &binance_secrets(),
    );
    a.run(&["team", "share", "binance-main"]).ok();

    let out = b.run(&["team", "status"]).ok();
    assert!(
        out.stdout
            .contains("new      binance-main (revision 1, by alice)"),
        "{}",
        out.describe()
    );
    b.run(&["team", "sync"])
        .fails(2)
        .stderr_mentions("nothing was applied");
    let out = b.run(&["team", "sync", "--yes"]).ok();
    assert!(
        out.stdout.contains("Added: binance-main"),
        "{}",
        out.describe()
    );
    assert_eq!(b.reveal("binance-main", "secret", &[]), BINANCE_SECRET);
    let actions: Vec<String> = b
        .audit()
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(actions.contains(&"team_joined".to_string()), "{actions:?}");
    assert!(
        actions.contains(&"team_key_received".to_string()),
        "{actions:?}"
    );
    assert!(actions.contains(&"team_synced".to_string()), "{actions:?}");
    let out = b.run(&["team", "status"]).ok();
    assert!(out.stdout.contains("Up to date."), "{}", out.describe());

    // Both change the key; Alice syncs first: Bob's sync names the conflict and how to keep one side.
    a.run(&["edit", "binance-main", "--notes", "alice"]).ok();
    b.run(&["edit", "binance-main", "--notes", "bob"]).ok();
    a.run(&["team", "sync", "--yes"]).ok();
    let out = b.run(&["team", "status"]).ok();
    assert!(
        out.stdout.contains(
            "differs in: notes; keep one with --mine binance-main or --theirs binance-main"
        ),
        "{}",
        out.describe()
    );
    b.run(&["team", "sync", "--yes", "--mine", "other"])
        .fails(2)
        .stderr_mentions("the keys in conflict are: binance-main");
    let out = b
        .run(&["team", "sync", "--yes", "--theirs", "binance-main"])
        .ok();
    assert!(
        out.stdout.contains("Changed: binance-main"),
        "{}",
        out.describe()
    );
    assert_eq!(b.show("binance-main")["notes"], "alice");

    // Alice removes Bob: the key he could read is to be rotated, in `remove-member`'s words and the list.
    a.run(&["team", "remove-member", "nobody"])
        .fails(2)
        .stderr_mentions("the members are alice, bob");
    let out = a.run(&["team", "remove-member", "bob"]).ok();
    assert!(
        out.stdout
            .contains("Rotate on the exchange, then here (keystead rotate NAME): binance-main"),
        "{}",
        out.describe()
    );
    let k = a.key("binance-main");
    assert!(
        k["risk_flags"]
            .as_array()
            .unwrap()
            .contains(&Value::from("member_left")),
        "{k:#}"
    );
    assert_eq!(k["due_state"], "overdue", "{k:#}");
    let shown = a.run(&["show", "binance-main"]).ok().stdout;
    assert!(shown.contains("bob left team desk"), "{shown}");
}

/// Someone with write access to the remote pushes a file whose name hides text behind control and bidi
/// characters: `team status` names it refused, escaped.
#[test]
fn a_refused_file_with_control_characters_in_its_name_is_shown_escaped() {
    let a = Sandbox::init();
    let url = bare_remote(&a);
    a.run(&["team", "init", &url, "--name", "desk", "--as", "alice"])
        .ok();
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::clone(&url, dir.path()).unwrap();
    let name = "keys/x\u{1b}[2J\u{202e}gpj.age";
    std::fs::create_dir_all(dir.path().join("keys")).unwrap();
    std::fs::write(dir.path().join(name), b"not age").unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(std::path::Path::new(name)).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("m", "m@example.org").unwrap();
    let parent = repo.head().unwrap().peel_to_commit().unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "x", &tree, &[&parent])
        .unwrap();
    repo.find_remote("origin")
        .unwrap()
        .push(&["refs/heads/main:refs/heads/main"], None)
        .unwrap();

    let out = a.run(&["team", "status"]).ok();
    assert!(out.stdout.contains("refused"), "{}", out.describe());
    assert!(
        out.stdout.contains("\\u{1b}[2J\\u{202e}gpj.age"),
        "{}",
        out.describe()
    );
    assert!(!out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{202e}'));
}

/// Debian's `age` tool opens a team's entry file with a member's age identity: here a member whose
/// sharing key pairs an identity made by `age-keygen` with a signing key (files from them would be
/// attributed to it; this member never signs). Skipped without `age` unless KEYSTEAD_REQUIRE_AGE is set.
#[test]
fn the_age_tool_opens_an_entry_file_with_a_members_age_identity() {
    let found = Command::new("age").arg("--version").output().is_ok()
        && Command::new("age-keygen").arg("--help").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("KEYSTEAD_REQUIRE_AGE").is_none(),
            "KEYSTEAD_REQUIRE_AGE is set but the `age` tool is not installed (apt-get install age)"
        );
        eprintln!("NOTICE: skipping: the `age` tool is not installed (apt-get install age)");
        return;
    }
    let (a, other) = (Sandbox::init(), Sandbox::init());
    let url = bare_remote(&a);
    let id = a.dir.path().join("dave.txt");
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
    let signing = ka_str(&whoami(&other))
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let line = format!("keystead-share1:{recipient}:{signing}");
    a.run(&["contacts", "add", "dave", &line]).ok();
    a.run(&["team", "init", &url, "--name", "desk", "--as", "alice"])
        .ok();
    a.run(&["team", "add-member", "dave"]).ok();
    a.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    a.run(&["team", "share", "binance-main"]).ok();

    let clone = tempfile::tempdir().unwrap();
    git2::Repository::clone(&url, clone.path()).unwrap();
    let file = clone
        .path()
        .join("keys")
        .join(format!("{}.age", a.entry_id("binance-main")));
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
    assert_eq!(doc["signature"]["alg"], "ed25519");
    assert_eq!(doc["payload"]["team"]["revision"], 1);
    assert_eq!(doc["payload"]["exported_by"]["name"], "alice");
    let entry = &doc["payload"]["entries"][0];
    assert_eq!(entry["name"], "binance-main");
    assert_eq!(entry["secrets"]["secret"], BINANCE_SECRET);
    assert!(doc["payload"]["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == recipient.as_str()));
}
