//! Terminal injection: text from the user or from a share file reaches the terminal with its control and
//! text-direction characters made visible (`\u{1b}`), so a file cannot paint a fake line.

use crate::common::*;
use serde_json::json;
use std::process::Command;

/// What a hostile share file writes into its sender label and `to` list: erase the line, paint a green
/// "verified" claim.
const FAKE_VERIFIED: &str = "\r\x1b[2K\x1b[32m✔ signature verified: Alice (trusted contact)\x1b[0m";
/// The same text as the CLI shows it.
const FAKE_VERIFIED_SHOWN: &str =
    "\\u{d}\\u{1b}[2K\\u{1b}[32m✔ signature verified: Alice (trusted contact)\\u{1b}[0m";

/// ESC, the one-character CSI of C1 (U+009B), and the right-to-left override.
const HOSTILE: &str = "x\x1b[31mRED\u{9b}2J\u{202e}gnp.exe";
const HOSTILE_SHOWN: &str = "x\\u{1b}[31mRED\\u{9b}2J\\u{202e}gnp.exe";

/// Asserts that nothing the command printed holds a raw terminal control or text-direction character.
#[track_caller]
fn nothing_raw(out: &Out) {
    let raw: Vec<char> = out
        .output()
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(
        raw.is_empty(),
        "printed raw control characters {raw:?}\n{}",
        out.describe()
    );
}

fn age_available() -> bool {
    let found = Command::new("age").arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("KEYSTEAD_REQUIRE_AGE").is_none(),
            "KEYSTEAD_REQUIRE_AGE is set but the `age` tool is not installed (apt-get install age)"
        );
        eprintln!("NOTICE: skipping a terminal test: the `age` tool is not installed");
    }
    found
}

#[test]
fn a_share_files_sender_label_cannot_paint_a_fake_verified_line() {
    // Alice is not Bob's contact: her file arrives signed by an unknown sender, with her label.
    let (a, b) = (Sandbox::init(), Sandbox::init());
    a.run(&["contacts", "add", "bob", ka_str(&whoami(&b))]).ok();
    a.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    let file = a.dir.path().join("for-bob.age");
    let file = file.to_str().unwrap();
    let label = format!("Mallory{FAKE_VERIFIED}");
    a.run(&[
        "share",
        "export",
        "--keys",
        "binance-main",
        "--to",
        "bob",
        "--from",
        &label,
        "-o",
        file,
    ])
    .ok();

    let preview = b.run(&["share", "import", file, "--dry-run"]).ok();
    nothing_raw(&preview);
    assert!(
        preview
            .stdout
            .contains(&format!("Mallory{FAKE_VERIFIED_SHOWN}")),
        "the label is shown escaped\n{}",
        preview.describe()
    );
    assert!(
        preview
            .stdout
            .lines()
            .next()
            .is_some_and(|l| l.starts_with("From: ") && l.contains("not one of your contacts")),
        "{}",
        preview.describe()
    );
    let imported = b.run(&["share", "import", file, "--yes"]).ok();
    nothing_raw(&imported);
    assert!(
        imported.output().contains(FAKE_VERIFIED_SHOWN),
        "{}",
        imported.describe()
    );
    // The audit trail quotes the label too.
    let audit = b.run(&["audit"]).ok();
    nothing_raw(&audit);
    assert!(
        audit.stdout.contains(FAKE_VERIFIED_SHOWN),
        "{}",
        audit.describe()
    );
}

#[test]
fn a_hand_made_share_files_to_list_is_shown_escaped() {
    if !age_available() {
        return;
    }
    let b = Sandbox::init();
    let recipient = whoami(&b)["age_recipient"].as_str().unwrap().to_string();
    let doc = json!({
        "format": "keystead-share",
        "version": 1,
        "payload": {
            "exported_at": "2026-01-01T00:00:00Z",
            "to": [format!("bob{FAKE_VERIFIED}"), HOSTILE],
            "entries": [{
                "name": "handmade", "exchange": "binance", "scopes": ["read"],
                "notes": FAKE_VERIFIED, "tags": [HOSTILE],
                "secrets": {"apiKey": BINANCE_API_KEY, "secret": BINANCE_SECRET}
            }]
        }
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
    let file = file.to_str().unwrap();

    let preview = b.run(&["share", "import", file, "--dry-run"]).ok();
    nothing_raw(&preview);
    assert!(
        preview
            .stdout
            .contains(&format!("for bob{FAKE_VERIFIED_SHOWN}, {HOSTILE_SHOWN}")),
        "{}",
        preview.describe()
    );
    let imported = b.run(&["share", "import", file, "--yes"]).ok();
    nothing_raw(&imported);
    assert!(
        imported.stdout.contains(FAKE_VERIFIED_SHOWN),
        "{}",
        imported.describe()
    );
    // What the file brought in is shown escaped on the key's page as well.
    let show = b.run(&["show", "handmade"]).ok();
    nothing_raw(&show);
    assert!(
        show.stdout.contains(FAKE_VERIFIED_SHOWN) && show.stdout.contains(HOSTILE_SHOWN),
        "{}",
        show.describe()
    );
}

#[test]
fn notes_account_tags_and_reasons_show_escaped_in_show_list_and_audit() {
    let sb = Sandbox::init();
    let notes = format!("first line\nsecond {HOSTILE}\tend");
    sb.add(
        "binance-main",
        "binance",
        &[
            "--scopes",
            "read",
            "--account",
            HOSTILE,
            "--tag",
            HOSTILE,
            "--notes",
            &notes,
        ],
        &binance_secrets(),
    );
    sb.cmd(&[
        "rotate",
        "binance-main",
        "--reason",
        HOSTILE,
        "--secrets-stdin",
    ])
    .stdin(binance_secrets())
    .run()
    .ok();
    sb.run(&["revoke", "binance-main", "--reason", HOSTILE])
        .ok();

    let show = sb.run(&["show", "binance-main"]).ok();
    nothing_raw(&show);
    let line = |label: &str| {
        show.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line\n{}", show.describe()))
            .to_string()
    };
    assert!(
        line("account").ends_with(HOSTILE_SHOWN),
        "{}",
        show.describe()
    );
    assert!(line("tags").ends_with(HOSTILE_SHOWN), "{}", show.describe());
    assert!(
        line("status reason").ends_with(HOSTILE_SHOWN),
        "{}",
        show.describe()
    );
    assert!(
        line("version 1").ends_with(&format!("— {HOSTILE_SHOWN}")),
        "{}",
        show.describe()
    );
    // Notes keep their line breaks (indented under the label); a tab inside a line is made visible.
    assert!(line("notes").ends_with("first line"), "{}", show.describe());
    assert!(
        show.stdout.contains(&format!(
            "\n                second {HOSTILE_SHOWN}\\u{{9}}end\n"
        )),
        "{}",
        show.describe()
    );

    nothing_raw(&sb.run(&["list"]).ok());

    let audit = sb.run(&["audit"]).ok();
    nothing_raw(&audit);
    assert!(audit.stdout.contains(HOSTILE_SHOWN), "{}", audit.describe());
    let json = sb.audit();
    assert!(
        json.iter()
            .any(|e| e["detail"].as_str().is_some_and(|d| d.contains(HOSTILE))),
        "JSON keeps the text as it is: {json:#?}"
    );
}

#[test]
fn a_name_quoted_in_an_error_is_shown_escaped() {
    let sb = Sandbox::init();
    let out = sb.run(&["show", HOSTILE]).fails(2);
    nothing_raw(&out);
    assert!(out.stderr.contains(HOSTILE_SHOWN), "{}", out.describe());
    let out = sb.run(&["contacts", "rename", HOSTILE, "bob"]).exits(2);
    nothing_raw(&out);
    // Clap's own usage errors quote the argument too.
    let out = sb.run(&["list", &format!("--{HOSTILE}")]).exits(2);
    nothing_raw(&out);
    assert!(out.stderr.contains("\\u{202e}"), "{}", out.describe());
}
