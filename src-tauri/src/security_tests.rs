//! Guards of the webview boundary: the CSP, the global Tauri object, devtools and the main window's
//! capability. Each test reads the real configuration files the app is built from.

use serde_json::Value;

fn read_json(path: &str) -> Value {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    serde_json::from_str(&std::fs::read_to_string(&full).unwrap()).unwrap()
}

#[test]
fn the_csp_allows_only_our_own_scripts_and_no_eval_or_remote_sources() {
    let conf = read_json("tauri.conf.json");
    let csp = conf["app"]["security"]["csp"]
        .as_object()
        .expect("the CSP must be set");
    for (directive, sources) in csp {
        for source in sources.as_str().unwrap().split_whitespace() {
            let allowed = match source {
                "'self'" | "'none'" => true,
                "'unsafe-inline'" => directive == "style-src",
                "data:" => directive == "img-src",
                "ipc:" | "http://ipc.localhost" => directive == "connect-src",
                _ => false,
            };
            assert!(allowed, "{directive} allows {source}");
        }
    }
    assert_eq!(csp["script-src"], "'self'");
    assert_eq!(csp["default-src"], "'self'");
    assert!(conf["app"]["security"]
        .get("dangerousDisableAssetCspModification")
        .is_none());
}

#[test]
fn the_webview_gets_no_global_tauri_object_no_remote_urls_and_no_devtools() {
    let conf = read_json("tauri.conf.json");
    assert_eq!(conf["app"]["withGlobalTauri"], false);
    for w in conf["app"]["windows"].as_array().unwrap() {
        assert_eq!(w["devtools"], false, "devtools on in {w}");
        assert!(
            w.get("url")
                .is_none_or(|u| !u.as_str().unwrap_or("").starts_with("http")),
            "{w}"
        );
    }
}

#[test]
fn the_main_window_may_call_only_our_commands_and_listen_to_events() {
    let cap = read_json("src-tauri/capabilities/main.json");
    let granted: Vec<&str> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let mut expected: Vec<String> = crate::command_names::COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    expected.push("core:event:allow-listen".into());
    expected.push("core:event:allow-unlisten".into());
    let mut granted_sorted: Vec<String> = granted.iter().map(|s| s.to_string()).collect();
    granted_sorted.sort();
    expected.sort();
    assert_eq!(
        granted_sorted, expected,
        "the capability must list exactly our commands"
    );
    assert!(
        cap.get("remote").is_none(),
        "no remote URLs may use the IPC"
    );
    assert_eq!(cap["windows"], serde_json::json!(["main"]));
}

#[test]
fn typed_in_and_revealed_secrets_print_redacted() {
    let input: crate::types::SecretInput =
        serde_json::from_str(r#"{"field": "secret", "value": "canary-typed-secret"}"#).unwrap();
    assert!(!format!("{input:?}").contains("canary"));
    let fields = crate::types::SecretInput::into_fields(vec![input]);
    assert!(!format!("{fields:?}").contains("canary"));
    let shown = crate::types::RevealedSecret {
        value: "canary-shown".into(),
        hide_after_seconds: 30,
    };
    assert!(!format!("{shown:?}").contains("canary"));
}
