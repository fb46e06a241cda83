//! `--secrets-stdin` documents that are malformed or of the wrong shape: the error says what to fix and
//! where, and never repeats a value (or a field name) from the document.

use crate::common::*;

const LEAK: &str = "S3CR3T-LEAK-12345678";
const LEAK_NUMBER: &str = "987654321987";

/// Documents a user might pipe by mistake, each holding a secret-looking value.
fn bad_documents() -> Vec<String> {
    vec![
        format!(r#"{{"secret": {LEAK_NUMBER}}}"#),
        format!(r#"{{"apiKey": "{LEAK}", "secret": -{LEAK_NUMBER}}}"#),
        format!(r#"{{"secret": {LEAK_NUMBER}.5e3}}"#),
        format!(r#""{LEAK}""#),
        LEAK_NUMBER.to_string(),
        format!(r#"{{"secret": ["{LEAK}"]}}"#),
        format!(r#"{{"secret": {{"{LEAK}": 1}}}}"#),
        format!(r#"{{"secret": true, "apiKey": "{LEAK}"}}"#),
        format!(r#"["{LEAK}", "{LEAK}"]"#),
        format!(r#"{{"{LEAK}": "x"}}"#),
        format!(r#"{{"apiKey": "{LEAK}", "secret": {LEAK}}}"#),
        format!(r#"{{"apiKey": "{LEAK}" "secret": "x"}}"#),
        format!(r#"{{"apiKey": "{LEAK}"#),
        format!("apiKey={LEAK}"),
        format!(r#"{{"apiKey": "{LEAK}\q"}}"#),
    ]
}

#[track_caller]
fn leaks_nothing(out: &Out, doc: &str) {
    for needle in [LEAK, LEAK_NUMBER, "12345678", "987654"] {
        assert!(
            !out.output().contains(needle),
            "printed {needle:?} from the document {doc}\n{}",
            out.describe()
        );
    }
}

#[test]
fn a_malformed_secrets_document_is_refused_without_repeating_its_values() {
    let sb = Sandbox::with_read_keys(false);
    for doc in bad_documents() {
        for args in [
            &[
                "add",
                "--name",
                "new-key",
                "--exchange",
                "binance",
                "--scopes",
                "read",
                "--secrets-stdin",
            ][..],
            &["rotate", "binance-main", "--secrets-stdin"][..],
        ] {
            let out = sb.cmd(args).stdin(doc.clone()).run().fails(2);
            leaks_nothing(&out, &doc);
            assert!(
                out.stderr.contains("--secrets-stdin")
                    && out.stderr.contains("apiKey, secret, password"),
                "the error names the flag and the known fields\n{}",
                out.describe()
            );
        }
    }
    assert!(sb.list().iter().all(|k| k["name"] != "new-key"));
    assert_eq!(sb.reveal("binance-main", "secret", &[]), BINANCE_SECRET);
}

#[test]
fn the_error_says_where_and_what_was_wrong() {
    let sb = Sandbox::init();
    let add = |doc: &str| {
        sb.cmd(&[
            "add",
            "--name",
            "k",
            "--exchange",
            "binance",
            "--scopes",
            "read",
            "--secrets-stdin",
        ])
        .stdin(doc)
        .run()
        .fails(2)
    };
    add(&format!(r#"{{"apiKey": "a", "secret": {LEAK_NUMBER}}}"#))
        .stderr_mentions("the value of secret is a number, not a string")
        .stderr_mentions("line 1 column");
    add(&format!("\"{LEAK}\""))
        .stderr_mentions("a string, not a JSON object")
        .stderr_mentions("line 1 column");
    add(&format!("{{\n  \"{LEAK}\": \"x\"\n}}"))
        .stderr_mentions("an unknown field name")
        .stderr_mentions("line 2 column");
    add(&format!(r#"{{"apiKey": [{LEAK}]}}"#)).stderr_mentions("the value of apiKey is a list");
    add(r#"{"apiKey": "a", "#).stderr_mentions("line 1 column");
}
