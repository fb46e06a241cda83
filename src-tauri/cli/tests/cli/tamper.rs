//! Altered vault files: flipped bytes, moved ciphertext, changed generations and header edits are refused as
//! damaged (exit 3) without printing a secret (older copies of the whole file: see `rollback`).

use crate::common::*;
use serde_json::json;
use std::time::Duration;

#[test]
fn flipped_byte_in_key_metadata_is_reported_as_damaged() {
    let sb = Sandbox::with_read_keys(true);
    let id = sb.entry_id("binance-main");
    sb.flip_entry_byte(&id, "meta");

    for args in [
        &["list", "--json"][..],
        &["list"][..],
        &["show", "binance-main", "--json"][..],
        &["reveal", "binance-main", "secret"][..],
    ] {
        let out = sb.run(args).fails(3).stderr_mentions("damaged");
        prints_no_secret(&out);
    }
}

#[test]
fn flipped_byte_in_key_secrets_is_reported_as_damaged() {
    let sb = Sandbox::with_read_keys(true);
    let id = sb.entry_id("binance-main");
    sb.flip_entry_byte(&id, "secrets");

    for field in ["apiKey", "secret"] {
        let out = sb
            .run(&["reveal", "binance-main", field])
            .fails(3)
            .stderr_mentions("damaged");
        prints_no_secret(&out);
    }
    let show = sb.run(&["show", "binance-main", "--json"]);
    assert!(
        matches!(show.code, Some(0) | Some(3)),
        "{}",
        show.describe()
    );
    prints_no_secret(&show);
    assert_eq!(
        sb.reveal("okx-bot", "password", &[]),
        OKX_PASSWORD,
        "the undamaged key is still readable"
    );
}

#[test]
fn flipped_byte_in_rotation_history_is_reported_as_damaged() {
    let sb = Sandbox::with_read_keys(false);
    let new_secret = "secret-after-rotation-123";
    sb.cmd(&[
        "rotate",
        "binance-main",
        "--reason",
        "scheduled",
        "--secrets-stdin",
    ])
    .stdin(json!({ "apiKey": "api-key-after-rotation-123", "secret": new_secret }).to_string())
    .run()
    .ok();
    let id = sb.entry_id("binance-main");
    sb.flip_entry_byte(&id, "history");

    // Whichever commands read the history must refuse; none may print wrong data.
    let mut refused = Vec::new();
    let attempts: [(&[&str], Option<&str>); 3] = [
        (
            &["reveal", "binance-main", "secret", "--version", "1"],
            Some(BINANCE_SECRET),
        ),
        (&["show", "binance-main", "--json"], None),
        (&["show", "binance-main"], None),
    ];
    for (args, expected) in attempts {
        let out = sb.run(args);
        match out.code {
            Some(0) => {
                if let Some(expected) = expected {
                    assert_eq!(
                        out.stdout,
                        format!("{expected}\n"),
                        "wrong plaintext\n{}",
                        out.describe()
                    );
                }
            }
            Some(3) => {
                refused.push(out.stderr_mentions("damaged").args);
            }
            _ => panic!("neither correct output nor exit 3\n{}", out.describe()),
        }
    }
    let rotate = sb
        .cmd(&["rotate", "binance-main", "--secrets-stdin"])
        .stdin(json!({ "apiKey": "k3", "secret": "s3" }).to_string())
        .run();
    if rotate.code == Some(3) {
        refused.push(rotate.stderr_mentions("damaged").args);
    }
    assert!(!refused.is_empty(), "a flipped byte in the rotation history went unnoticed by reveal --version 1, show and rotate");
}

#[test]
fn secrets_copied_from_another_key_do_not_decrypt() {
    let sb = Sandbox::with_read_keys(false);
    let other =
        json!({ "apiKey": "second-binance-key-0002", "secret": "second-binance-secret-0002" })
            .to_string();
    sb.add("binance-second", "binance", &["--scopes", "read"], &other);
    let from = sb.entry_id("binance-main");
    let to = sb.entry_id("binance-second");
    sb.db()
        .execute(
            "UPDATE entries SET secrets = (SELECT secrets FROM entries WHERE id = ?1) WHERE id = ?2",
            [&from, &to],
        )
        .unwrap();

    for field in ["apiKey", "secret"] {
        let out = sb.run(&["reveal", "binance-second", field]).fails(3);
        prints_no_secret(&out);
    }
    assert_eq!(sb.reveal("binance-main", "secret", &[]), BINANCE_SECRET);
}

#[test]
fn ciphertext_moved_to_another_column_does_not_decrypt() {
    let sb = Sandbox::with_read_keys(false);
    let id = sb.entry_id("binance-main");
    sb.db()
        .execute("UPDATE entries SET secrets = meta WHERE id = ?1", [&id])
        .unwrap();
    let out = sb
        .run(&["reveal", "binance-main", "secret"])
        .fails(3)
        .stderr_mentions("damaged");
    prints_no_secret(&out);
}

#[test]
fn changed_generation_makes_the_record_unreadable() {
    let sb = Sandbox::with_read_keys(false);
    let id = sb.entry_id("binance-main");
    sb.db()
        .execute(
            "UPDATE entries SET generation = generation + 1 WHERE id = ?1",
            [&id],
        )
        .unwrap();
    for args in [
        &["list", "--json"][..],
        &["reveal", "binance-main", "secret"][..],
    ] {
        let out = sb.run(args).fails(3).stderr_mentions("damaged");
        prints_no_secret(&out);
    }
}

const KDF_WAIT: Duration = Duration::from_secs(60);

#[test]
fn absurd_kdf_parameters_in_the_header_are_refused_before_deriving() {
    let sb = Sandbox::with_read_keys(false);
    let (memory, iterations, parallelism): (i64, i64, i64) = sb
        .db()
        .query_row(
            "SELECT kdf_memory_kib, kdf_iterations, kdf_parallelism FROM header",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();

    let cases: [(&str, i64, i64); 6] = [
        ("kdf_memory_kib", 4_294_967_295, memory), // ≈ 4 TiB
        ("kdf_memory_kib", 8, memory),             // below the 64 MiB floor
        ("kdf_iterations", 1000, iterations),
        ("kdf_iterations", 1, iterations),
        ("kdf_parallelism", 1000, parallelism),
        ("kdf_parallelism", 0, parallelism),
    ];
    for (column, absurd, original) in cases {
        sb.db()
            .execute(&format!("UPDATE header SET {column} = ?1"), [absurd])
            .unwrap();
        for args in [&["unlock"][..], &["list", "--json"][..]] {
            let out = sb
                .cmd(args)
                .timeout(KDF_WAIT)
                .run()
                .fails(3)
                .stderr_mentions("range");
            assert!(!out.stdout.contains("binance-main"), "{}", out.describe());
        }
        sb.db()
            .execute(&format!("UPDATE header SET {column} = ?1"), [original])
            .unwrap();
        sb.run(&["unlock"]).ok();
    }
}

#[test]
fn in_range_header_edits_fail_to_unlock_with_exit_3() {
    let sb = Sandbox::with_read_keys(false);
    let (memory, iterations): (i64, i64) = sb
        .db()
        .query_row(
            "SELECT kdf_memory_kib, kdf_iterations FROM header",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();

    for (column, value) in [
        ("kdf_iterations", iterations + 1),
        ("kdf_memory_kib", memory + 1024),
    ] {
        sb.db()
            .execute(&format!("UPDATE header SET {column} = ?1"), [value])
            .unwrap();
        let out = sb.cmd(&["list", "--json"]).timeout(KDF_WAIT).run().fails(3);
        assert!(!out.stdout.contains("binance-main"), "{}", out.describe());
        let original = if column == "kdf_iterations" {
            iterations
        } else {
            memory
        };
        sb.db()
            .execute(&format!("UPDATE header SET {column} = ?1"), [original])
            .unwrap();
        sb.run(&["unlock"]).ok();
    }

    for column in ["salt", "wrapped_key", "vault_id"] {
        let original: Vec<u8> = sb
            .db()
            .query_row(&format!("SELECT {column} FROM header"), [], |r| r.get(0))
            .unwrap();
        let mut changed = original.clone();
        let at = changed.len() / 2;
        changed[at] ^= 0x01;
        sb.db()
            .execute(&format!("UPDATE header SET {column} = ?1"), [changed])
            .unwrap();
        let out = sb
            .cmd(&["reveal", "binance-main", "secret"])
            .timeout(KDF_WAIT)
            .run()
            .fails(3);
        prints_no_secret(&out);
        sb.db()
            .execute(&format!("UPDATE header SET {column} = ?1"), [original])
            .unwrap();
        sb.run(&["unlock"]).ok();
    }
    assert_eq!(sb.reveal("binance-main", "secret", &[]), BINANCE_SECRET);
}
