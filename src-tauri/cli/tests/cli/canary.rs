//! Canary: secrets and metadata never reach the vault file in plaintext, and secrets never reach any output
//! but `reveal`.

use crate::common::*;
use serde_json::json;

#[test]
fn canary_secrets_never_reach_the_vault_file_or_any_output() {
    let sb = Sandbox::init();
    let api_key = unique("CANARYAPIKEY");
    let secret = unique("CANARYSECRET");
    let password = unique("CANARYPASSWORD");
    let rotated_secret = unique("CANARYROTATEDSECRET");
    let name = unique("canary-name");
    let notes = unique("canary-notes");
    let account = unique("canary-account");
    let tag = unique("canary-tag");
    let ip = "198.51.100.77";

    sb.add(
        &name,
        "okx",
        &[
            "--scopes",
            "read,trade",
            "--ip",
            ip,
            "--account",
            &account,
            "--tag",
            &tag,
            "--notes",
            &notes,
        ],
        &json!({ "apiKey": api_key, "secret": secret, "password": password }).to_string(),
    );
    sb.run(&["list"]).ok();
    sb.run(&["list", "--json"]).ok();
    sb.run(&["show", &name]).ok();
    sb.run(&["show", &name, "--json"]).ok();
    assert_eq!(sb.reveal(&name, "secret", &[]), secret);
    assert_eq!(sb.reveal(&name, "password", &[]), password);
    sb.cmd(&[
        "rotate",
        &name,
        "--reason",
        "canary rotation",
        "--secrets-stdin",
    ])
    .stdin(json!({ "apiKey": api_key, "secret": rotated_secret, "password": password }).to_string())
    .run()
    .ok();
    assert_eq!(sb.reveal(&name, "secret", &["--version", "1"]), secret);
    sb.run(&["edit", &name, "--notes", &format!("{notes}-edited")])
        .ok();
    sb.cmd(&["unlock"])
        .passphrase("wrong passphrase!")
        .run()
        .fails(3);
    sb.run(&["show", &name, "--json"]).ok();
    sb.run(&["audit"]).ok();
    sb.run(&["audit", "--json"]).ok();
    sb.run(&["audit", "--verify"]).ok();
    sb.run(&["compromised", &name, "--reason", "canary test"])
        .ok();
    sb.cmd(&[
        "add",
        "--name",
        &name,
        "--exchange",
        "okx",
        "--secrets-stdin",
    ])
    .stdin(json!({ "apiKey": api_key, "secret": secret }).to_string())
    .run()
    .fails(2);
    sb.cmd(&[
        "add",
        "--name",
        "second",
        "--exchange",
        "okx",
        "--scopes",
        "nonsense",
        "--secrets-stdin",
    ])
    .stdin(json!({ "apiKey": api_key, "secret": secret, "password": password }).to_string())
    .run()
    .fails(2);

    let secrets = [&api_key, &secret, &password, &rotated_secret];
    for out in sb.transcript() {
        for s in secrets {
            assert!(
                !out.stderr.contains(s.as_str()),
                "stderr holds a secret\n{}",
                out.describe()
            );
            if out.args.first().map(String::as_str) != Some("reveal") {
                assert!(
                    !out.stdout.contains(s.as_str()),
                    "stdout holds a secret\n{}",
                    out.describe()
                );
            }
        }
    }

    let in_file = [
        &api_key,
        &secret,
        &password,
        &rotated_secret,
        &name,
        &notes,
        &account,
        &tag,
    ];
    let files = sb.files();
    assert!(
        files.iter().any(|(p, _)| p == &sb.vault),
        "vault file missing from {:?}",
        sb.dir.path()
    );
    for (path, bytes) in &files {
        for canary in in_file {
            assert!(
                !contains_bytes(bytes, canary.as_bytes()),
                "{} holds {canary} in plaintext",
                path.display()
            );
        }
        assert!(
            !contains_bytes(bytes, ip.as_bytes()),
            "{} holds the IP allowlist in plaintext",
            path.display()
        );
    }
}
