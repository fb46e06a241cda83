//! Guards of the webview boundary: the CSP, the global Tauri object, devtools, the main window's
//! capability and the commands ipc.ts calls. Each test reads the real files the app is built from.

use serde_json::Value;

/// The names of `command_list.rs`.
const COMMANDS: &[&str] = with_command_list!(command_names);

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

/// Every `(path, key)` of a JSON document, depth first.
fn keys_of(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.push((path.to_string(), k.clone()));
                keys_of(v, &format!("{path}.{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                keys_of(v, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Every string of a JSON document with its path.
fn strings_of(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => out.push((path.to_string(), s.clone())),
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| strings_of(v, &format!("{path}.{k}"), out)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| strings_of(v, &format!("{path}[{i}]"), out)),
        _ => {}
    }
}

#[test]
fn no_dangerous_setting_no_remote_url_and_no_devtools_feature_in_any_build() {
    let conf = read_json("tauri.conf.json");
    let mut keys = Vec::new();
    keys_of(&conf, "", &mut keys);
    for (path, key) in &keys {
        assert!(
            !key.to_ascii_lowercase().starts_with("dangerous"),
            "{path}.{key} is set in tauri.conf.json"
        );
    }
    let mut strings = Vec::new();
    strings_of(&conf, "", &mut strings);
    for (path, s) in &strings {
        let remote = (s.starts_with("http://") || s.starts_with("https://"))
            && !s.starts_with("http://localhost:")
            && !s.starts_with("http://ipc.localhost")
            && path != ".$schema";
        assert!(!remote, "{path} loads {s} from the network");
    }
    assert_eq!(
        conf["build"]["devUrl"], "http://localhost:1420",
        "only `tauri dev` may use a dev server, on this machine"
    );
    // The `devtools` cargo feature would turn the inspector on in release builds.
    let manifest = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"),
    )
    .unwrap();
    let tauri_line = manifest
        .lines()
        .find(|l| l.trim_start().starts_with("tauri = "))
        .expect("the tauri dependency");
    assert!(!tauri_line.contains("devtools"), "{tauri_line}");
    assert!(
        !manifest.contains("\"tauri/devtools\""),
        "a feature enables tauri/devtools"
    );
    // The page loads its one script from the app, nothing inline and nothing remote.
    let html = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/index.html"),
    )
    .unwrap();
    let scripts: Vec<&str> = html
        .match_indices("<script")
        .map(|(i, _)| &html[i..])
        .collect();
    assert_eq!(scripts.len(), 1, "{html}");
    assert!(scripts[0].starts_with("<script type=\"module\" src=\"/src/main.ts\"></script>"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    assert!(
        !html.contains(" on"),
        "an inline event handler in index.html"
    );
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
    let mut expected: Vec<String> = COMMANDS
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

/// The names ipc.ts passes to `call(…)` / `call<T>(…)`, the one function there that invokes a command.
fn called_commands(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut from = 0;
    while let Some(at) = source[from..].find("call").map(|i| from + i) {
        from = at + "call".len();
        let word_start = source[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'));
        if !word_start {
            continue;
        }
        let mut rest = &source[from..];
        if let Some(generic) = rest.strip_prefix('<') {
            // Skip the type argument, which may nest (`call<Array<string>>`).
            let mut depth = 1;
            let Some(end) = generic.char_indices().find_map(|(i, c)| {
                match c {
                    '<' => depth += 1,
                    '>' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(i)
            }) else {
                continue;
            };
            rest = &generic[end + 1..];
        }
        let Some(args) = rest.trim_start().strip_prefix('(') else {
            continue;
        };
        let args = args.trim_start();
        let Some(quote) = args
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\'' | '`'))
        else {
            continue;
        };
        if let Some(end) = args[1..].find(quote) {
            names.push(args[1..1 + end].to_string());
        }
    }
    names
}

#[test]
fn command_calls_are_found_in_typescript() {
    let source = r#"
        async function call<T>(command: string, args?: InvokeArgs): Promise<T> {}
        export const a = () => call<VaultStatus>("vault_status");
        export const b = (p: string) =>
          call<string | null>(
            'choose_share_file', { p });
        export const c = () => call("lock");
        const recall = () => recall("not_a_command");
        export const d = () => call<Array<Map<string, number>>>(`audit_log`);
    "#;
    assert_eq!(
        called_commands(source),
        ["vault_status", "choose_share_file", "lock", "audit_log"]
    );
}

#[test]
fn ipc_ts_calls_exactly_the_commands_of_the_list() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/ipc.ts");
    let source = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        source.matches("invoke<").count() + source.matches("invoke(").count(),
        1,
        "ipc.ts invokes commands only through `call`"
    );
    let called = called_commands(&source);
    let unknown: Vec<&String> = called
        .iter()
        .filter(|c| !COMMANDS.contains(&c.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "ipc.ts calls commands that are not in src-tauri/src/command_list.rs: {unknown:?}"
    );
    let unused: Vec<&&str> = COMMANDS
        .iter()
        .filter(|c| !called.iter().any(|n| n == *c))
        .collect();
    assert!(
        unused.is_empty(),
        "commands in src-tauri/src/command_list.rs that ipc.ts never calls: {unused:?}"
    );
}
