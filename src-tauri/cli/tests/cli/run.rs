//! `keystead run`: the child gets the keys' secrets under the profile's variable names (checked by
//! digest, so no secret is printed), its exit code passes through, the vault passphrase does not reach
//! it, refused keys start nothing, a withdraw key takes the CLI passphrase as its step-up, the audit
//! names the program only, SIGTERM to keystead reaches the child, and a Ctrl+C at a terminal (through
//! `script`) reaches the child while keystead waits for its exit code. `--mask` conceals the secrets and
//! their base64, base64url and percent-encoded forms in the child's stdout and stderr, also when split
//! across writes. The passivbot profile writes api-keys.json 0600 in a 0700 temporary folder, and both
//! are gone after a normal exit, SIGTERM or SIGINT to keystead, and SIGKILL of the child.

use crate::common::*;
use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The sha256 digest `sha256sum` prints for `value` (the same tool the child uses).
pub(crate) fn digest(value: &str) -> String {
    let out = Command::new("sh")
        .args(["-c", "printf %s \"$V\" | sha256sum"])
        .env("V", value)
        .output()
        .expect("sha256sum");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A child script printing `NAME=<digest>` for each variable (`unset` when it is not set).
pub(crate) fn digests_of(vars: &[&str]) -> String {
    vars.iter()
        .map(|v| {
            format!(
                "if [ -n \"${{{v}+x}}\" ]; then printf '%s=' {v}; printf %s \"${v}\" | sha256sum; else echo {v}=unset; fi"
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub(crate) fn expect_line(out: &Out, var: &str, value: Option<&str>) {
    let want = match value {
        Some(v) => format!("{var}={}", digest(v)),
        None => format!("{var}=unset"),
    };
    assert!(
        out.stdout.lines().any(|l| l.trim() == want),
        "expected {want}\n{}",
        out.describe()
    );
}

pub(crate) fn run_sh<'a>(sb: &'a Sandbox, keys: &[&str], extra: &[&str], script: &str) -> Cmd<'a> {
    let mut args = vec!["run"];
    for k in keys {
        args.extend(["--key", k]);
    }
    args.extend_from_slice(extra);
    args.extend(["--", "sh", "-c", script]);
    sb.cmd(&args)
}

#[test]
fn the_ccxt_profile_hands_each_field_to_the_child_and_the_exit_code_passes_through() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read,trade"],
        &binance_secrets(),
    );
    sb.add("okx-bot", "okx", &["--scopes", "read"], &okx_secrets());
    let vars = [
        "BINANCE_APIKEY",
        "BINANCE_SECRET",
        "BINANCE_PASSWORD",
        "OKX_APIKEY",
        "OKX_SECRET",
        "OKX_PASSWORD",
        "KEYSTEAD_PASSPHRASE",
    ];
    let out = run_sh(
        &sb,
        &["binance-main", "okx-bot"],
        &[],
        &format!("{}; exit 7", digests_of(&vars)),
    )
    .run()
    .exits(7);
    expect_line(&out, "BINANCE_APIKEY", Some(BINANCE_API_KEY));
    expect_line(&out, "BINANCE_SECRET", Some(BINANCE_SECRET));
    expect_line(&out, "BINANCE_PASSWORD", None);
    expect_line(&out, "OKX_APIKEY", Some(OKX_API_KEY));
    expect_line(&out, "OKX_SECRET", Some(OKX_SECRET));
    expect_line(&out, "OKX_PASSWORD", Some(OKX_PASSWORD));
    expect_line(&out, "KEYSTEAD_PASSPHRASE", None);
    prints_no_secret(&out);

    for name in ["binance-main", "okx-bot"] {
        assert!(
            sb.show(name)["last_used_at"].is_string(),
            "{name}: {}",
            sb.show(name)
        );
    }
    let runs: Vec<_> = sb
        .audit()
        .into_iter()
        .filter(|e| e["action"] == "key_run")
        .collect();
    assert_eq!(runs.len(), 2, "{runs:#?}");
    assert_eq!(runs[0]["detail"], "profile: ccxt; program: sh");

    // Two keys of one exchange cannot both be BINANCE_APIKEY.
    sb.add(
        "binance-2",
        "binance",
        &["--scopes", "read"],
        &json!({ "apiKey": "k2", "secret": "s2" }).to_string(),
    );
    let marker = sb.dir.path().join("ran");
    run_sh(
        &sb,
        &["binance-main", "binance-2"],
        &[],
        &format!("touch {}", marker.display()),
    )
    .run()
    .fails(2)
    .stderr_mentions("'binance-main' and 'binance-2'");
    assert!(!marker.exists());
}

#[test]
fn the_freqtrade_profile_uses_freqtrades_names_and_takes_one_key() {
    let sb = Sandbox::init();
    sb.add("okx-bot", "okx", &["--scopes", "read"], &okx_secrets());
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &binance_secrets(),
    );
    let vars = [
        "FREQTRADE__EXCHANGE__API_KEY",
        "FREQTRADE__EXCHANGE__KEY",
        "FREQTRADE__EXCHANGE__SECRET",
        "FREQTRADE__EXCHANGE__PASSWORD",
        "FREQTRADE__EXCHANGE__UID",
        "OKX_APIKEY",
    ];
    let out = run_sh(
        &sb,
        &["okx-bot"],
        &["--profile", "freqtrade"],
        &digests_of(&vars),
    )
    .run()
    .ok();
    // freqtrade since 2025.1 reads exchange.api_key first; older releases only exchange.key.
    expect_line(&out, "FREQTRADE__EXCHANGE__API_KEY", Some(OKX_API_KEY));
    expect_line(&out, "FREQTRADE__EXCHANGE__KEY", Some(OKX_API_KEY));
    expect_line(&out, "FREQTRADE__EXCHANGE__SECRET", Some(OKX_SECRET));
    expect_line(&out, "FREQTRADE__EXCHANGE__PASSWORD", Some(OKX_PASSWORD));
    expect_line(&out, "FREQTRADE__EXCHANGE__UID", None);
    expect_line(&out, "OKX_APIKEY", None);

    run_sh(
        &sb,
        &["okx-bot", "binance-main"],
        &["--profile", "freqtrade"],
        "true",
    )
    .run()
    .fails(2)
    .stderr_mentions("exactly one key");
}

#[test]
fn hyperliquid_wallet_and_private_key_get_freqtrades_config_names() {
    let sb = Sandbox::init();
    let wallet = "0x5e9ee1089755c3435139848e47e6635505d5a13a";
    let private = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    sb.add(
        "hl",
        "hyperliquid",
        &["--scopes", "read,trade"],
        &json!({ "walletAddress": wallet, "privateKey": private }).to_string(),
    );
    let vars = [
        "FREQTRADE__EXCHANGE__WALLET_ADDRESS",
        "FREQTRADE__EXCHANGE__PRIVATE_KEY",
        "HYPERLIQUID_WALLETADDRESS",
        "HYPERLIQUID_PRIVATEKEY",
    ];
    let out = run_sh(
        &sb,
        &["hl"],
        &["--profile", "freqtrade"],
        &digests_of(&vars),
    )
    .run()
    .ok();
    expect_line(&out, "FREQTRADE__EXCHANGE__WALLET_ADDRESS", Some(wallet));
    expect_line(&out, "FREQTRADE__EXCHANGE__PRIVATE_KEY", Some(private));
    let out = run_sh(&sb, &["hl"], &[], &digests_of(&vars)).run().ok();
    expect_line(&out, "HYPERLIQUID_WALLETADDRESS", Some(wallet));
    expect_line(&out, "HYPERLIQUID_PRIVATEKEY", Some(private));
}

#[test]
fn a_revoked_or_expired_key_starts_nothing_and_expired_runs_when_allowed() {
    let sb = Sandbox::with_read_keys(true);
    sb.run(&["revoke", "binance-main"]).ok();
    let marker = sb.dir.path().join("ran");
    let touch = format!("touch {}", marker.display());
    let before = sb.changes().len();
    run_sh(&sb, &["binance-main"], &["--allow-expired"], &touch)
        .run()
        .fails(2)
        .stderr_mentions("'binance-main' is revoked");
    assert!(!marker.exists(), "nothing was run");
    assert_eq!(sb.changes().len(), before, "nothing audited");

    // Expired yesterday: refused, then run with --allow-expired.
    sb.run(&["edit", "okx-bot", "--expires", &date_in_days(-1)])
        .ok();
    run_sh(&sb, &["okx-bot"], &[], &touch)
        .run()
        .fails(2)
        .stderr_mentions("--allow-expired");
    assert!(!marker.exists(), "nothing was run");
    run_sh(&sb, &["okx-bot"], &["--allow-expired"], &touch)
        .run()
        .ok();
    assert!(marker.exists());
}

#[test]
fn a_withdraw_key_runs_with_the_cli_passphrase_and_the_audit_names_only_the_program() {
    let sb = Sandbox::init();
    sb.add(
        "binance-hot",
        "binance",
        &["--scopes", "read,withdraw"],
        &binance_secrets(),
    );
    let out = sb
        .cmd(&[
            "run",
            "--key",
            "binance-hot",
            "--",
            "/bin/sh",
            "-c",
            &digests_of(&["BINANCE_SECRET"]),
            "--api-secret=do-not-log-me",
        ])
        .run()
        .ok();
    expect_line(&out, "BINANCE_SECRET", Some(BINANCE_SECRET));
    let run = sb
        .audit()
        .into_iter()
        .rfind(|e| e["action"] == "key_run")
        .expect("a key_run event");
    assert_eq!(run["key_name"], "binance-hot");
    assert_eq!(
        run["detail"],
        "profile: ccxt; program: sh; passphrase given again"
    );
    let log = sb.run(&["audit", "--json"]).ok();
    assert!(!log.stdout.contains("do-not-log-me"), "{}", log.stdout);
    assert!(!log.stdout.contains("BINANCE_SECRET"), "{}", log.stdout);

    // A wrong passphrase opens nothing, so nothing runs.
    let marker = sb.dir.path().join("ran");
    run_sh(
        &sb,
        &["binance-hot"],
        &[],
        &format!("touch {}", marker.display()),
    )
    .passphrase("not the passphrase")
    .run()
    .fails(3);
    assert!(!marker.exists());
}

#[test]
fn a_program_that_cannot_start_fails_with_127() {
    let sb = Sandbox::with_read_keys(false);
    sb.run(&["run", "--key", "binance-main", "--", "./no-such-program"])
        .fails(127)
        .stderr_mentions("cannot start no-such-program");
}

fn wait_for(path: &Path, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if path.exists() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn sigterm_to_keystead_reaches_the_child_and_its_exit_code_comes_back() {
    let sb = Sandbox::with_read_keys(false);
    let ready = sb.dir.path().join("ready");
    let got = sb.dir.path().join("got-term");
    let script = format!(
        "trap 'touch {got}; exit 143' TERM; echo $$ > {ready}.tmp; mv {ready}.tmp {ready}; while :; do sleep 0.05; done",
        got = got.display(),
        ready = ready.display()
    );
    let mut child = Command::new(BIN)
        .args(["run", "--key", "binance-main", "--", "sh", "-c", &script])
        .current_dir(sb.dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sb.dir.path())
        .env("XDG_DATA_HOME", sb.dir.path().join("xdg-data"))
        .env("KEYSTEAD_VAULT", &sb.vault)
        .env("KEYSTEAD_PASSPHRASE", &sb.passphrase)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start keystead");
    assert!(
        wait_for(&ready, Duration::from_secs(60)),
        "the child never started"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("keystead did not end after SIGTERM");
        }
        thread::sleep(Duration::from_millis(20));
    };
    if !got.exists() {
        // Not reached: end the orphaned child before failing.
        let pid = std::fs::read_to_string(&ready).unwrap_or_default();
        let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
        panic!("the child did not get SIGTERM");
    }
    assert_eq!(
        status.code(),
        Some(143),
        "keystead waited for the child and returned its code"
    );
}

/// `'…'` for sh, with any `'` inside closed, escaped and reopened.
fn sh_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[test]
fn ctrl_c_at_a_terminal_reaches_the_child_once_and_keystead_waits_for_its_exit_code() {
    let sb = Sandbox::with_read_keys(false);
    let ready = sb.dir.path().join("ready");
    let got = sb.dir.path().join("got-int");
    // The child takes a moment to exit after Ctrl+C: keystead must still be there to return its code.
    let child = format!(
        "trap 'echo int >> {got}; sleep 0.3; exit 42' INT; echo $$ > {ready}.tmp; mv {ready}.tmp {ready}; while :; do sleep 0.05; done",
        got = got.display(),
        ready = ready.display()
    );
    let inner = format!(
        "exec {} run --key binance-main -- sh -c {}",
        sh_quoted(BIN),
        sh_quoted(&child)
    );
    // `script` gives keystead a terminal; the Ctrl+C typed into it is the terminal's SIGINT to the
    // whole foreground group, keystead and the child alike.
    let mut terminal = Command::new("script")
        .args(["-qfec", &inner, "/dev/null"])
        .current_dir(sb.dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sb.dir.path())
        .env("SHELL", "/bin/sh")
        .env("XDG_DATA_HOME", sb.dir.path().join("xdg-data"))
        .env("KEYSTEAD_VAULT", &sb.vault)
        .env("KEYSTEAD_PASSPHRASE", &sb.passphrase)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start script");
    let started = wait_for(&ready, Duration::from_secs(60));
    let mut keys = terminal.stdin.take().expect("piped stdin");
    if started {
        use std::io::Write;
        keys.write_all(b"\x03").unwrap();
        keys.flush().unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = terminal.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() >= deadline {
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    drop(keys);
    if status.is_none() || !got.exists() {
        let pid = std::fs::read_to_string(&ready).unwrap_or_default();
        let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
        let _ = terminal.kill();
        let _ = terminal.wait();
    }
    assert!(started, "the child never started");
    let status = status.expect("keystead and the child ended after Ctrl+C");
    let got = std::fs::read_to_string(&got).expect("the child got SIGINT");
    assert_eq!(got.lines().count(), 1, "SIGINT reached the child once");
    assert_eq!(
        status.code(),
        Some(42),
        "keystead waited for the child and returned its code"
    );
}

/// How many times `needle` occurs in `text`.
fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

const CONCEALED: &str = "<concealed by keystead>";

/// A child printing the OKX key's secrets raw, in base64, base64url and percent-encoded, one split
/// across two writes with a pause between, and one on stderr; the encodings are made by the child.
const LEAKY_CHILD: &str = r#"echo "start"
echo "raw $OKX_APIKEY end"
echo "b64 $(printf %s "$OKX_SECRET" | base64 -w0) end"
echo "b64nopad $(printf %s "$OKX_PASSWORD" | base64 -w0 | tr -d =) end"
echo "b64url $(printf %s "$OKX_PASSWORD" | base64 -w0 | tr '+/' '-_' | tr -d =) end"
echo "url $(python3 -c 'import os, urllib.parse; print(urllib.parse.quote(os.environ["OKX_PASSWORD"], safe=""))') end"
printf 'split '; printf %s "$OKX_APIKEY" | head -c 5; sleep 0.2; printf %s "$OKX_APIKEY" | tail -c +6; echo ' end'
echo "err $OKX_SECRET end" >&2
exit 5"#;

/// The forms of the OKX secrets the leaky child prints.
fn leaked_forms() -> Vec<String> {
    let b64 = |v: &str| {
        let out = Command::new("sh")
            .args(["-c", "printf %s \"$V\" | base64 -w0"])
            .env("V", v)
            .output()
            .expect("base64");
        String::from_utf8(out.stdout).unwrap()
    };
    let password_b64 = b64(OKX_PASSWORD);
    vec![
        OKX_API_KEY.to_string(),
        OKX_SECRET.to_string(),
        b64(OKX_SECRET),
        password_b64.trim_end_matches('=').to_string(),
        password_b64
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_"),
        OKX_PASSWORD.replace('!', "%21"),
    ]
}

#[test]
fn mask_conceals_each_secret_raw_encoded_and_split_across_writes_on_stdout_and_stderr() {
    let sb = Sandbox::init();
    sb.add("okx-bot", "okx", &["--scopes", "read"], &okx_secrets());
    let forms = leaked_forms();
    assert!(
        forms[3] != OKX_PASSWORD && forms[5] != OKX_PASSWORD,
        "the encoded forms differ from the raw value, so each is a separate pattern"
    );

    // Without --mask the child's output carries the secrets: the check below can fail.
    let plain = run_sh(&sb, &["okx-bot"], &[], LEAKY_CHILD).run().exits(5);
    for form in &forms {
        assert!(plain.output().contains(form.as_str()), "{form} was printed");
    }
    assert!(plain.stdout.contains(&format!("split {OKX_API_KEY} end")));
    assert_eq!(count(&plain.output(), CONCEALED), 0);

    let out = run_sh(&sb, &["okx-bot"], &["--mask"], LEAKY_CHILD)
        .run()
        .exits(5);
    for form in &forms {
        assert!(
            !out.output().contains(form.as_str()),
            "{form} leaked\n{}",
            out.describe()
        );
    }
    for line in [
        "start".to_string(),
        format!("raw {CONCEALED} end"),
        format!("b64 {CONCEALED} end"),
        format!("b64nopad {CONCEALED} end"),
        format!("b64url {CONCEALED} end"),
        format!("url {CONCEALED} end"),
        format!("split {CONCEALED} end"),
    ] {
        assert!(
            out.stdout.lines().any(|l| l == line),
            "expected the line {line:?}\n{}",
            out.describe()
        );
    }
    assert_eq!(count(&out.stdout, CONCEALED), 6, "{}", out.describe());
    assert_eq!(
        out.stderr
            .lines()
            .filter(|l| *l == format!("err {CONCEALED} end"))
            .count(),
        1,
        "{}",
        out.describe()
    );
    assert_eq!(count(&out.stderr, CONCEALED), 1, "{}", out.describe());
}

#[test]
fn mask_leaves_values_shorter_than_four_characters_alone_and_says_which_field() {
    let sb = Sandbox::init();
    let api_key = "ck-0123456789abcdef";
    sb.add(
        "tiny",
        "custom",
        &["--scopes", "read"],
        &json!({ "apiKey": api_key, "uid": "e7" }).to_string(),
    );
    let out = run_sh(
        &sb,
        &["tiny"],
        &["--profile", "freqtrade", "--mask"],
        r#"echo "key $FREQTRADE__EXCHANGE__KEY uid $FREQTRADE__EXCHANGE__UID e7e7""#,
    )
    .run()
    .ok();
    assert_eq!(
        out.stdout.trim(),
        format!("key {CONCEALED} uid e7 e7e7"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr
            .contains("the uid of 'tiny' is shorter than 4 characters and is not masked"),
        "{}",
        out.describe()
    );
    assert!(!out.stderr.contains("e7"), "the value is never named");
}

const HL_WALLET: &str = "0x5e9ee1089755c3435139848e47e6635505d5a13a";
const HL_PRIVATE: &str = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

/// A sandbox with an OKX key and a Hyperliquid key, and a private temporary folder for keystead.
fn passivbot_sandbox() -> (Sandbox, std::path::PathBuf) {
    let sb = Sandbox::init();
    sb.add("okx-bot", "okx", &["--scopes", "read"], &okx_secrets());
    sb.add(
        "hl",
        "hyperliquid",
        &["--scopes", "read,trade"],
        &json!({ "walletAddress": HL_WALLET, "privateKey": HL_PRIVATE }).to_string(),
    );
    let tmp = sb.dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    (sb, tmp)
}

/// passivbot's api-keys.json as keystead writes it for the two keys (checked to parse as the
/// object passivbot reads).
fn expected_passivbot_file() -> String {
    let text = format!(
        "{{\n  \"okx-bot\": {{\n    \"exchange\": \"okx\",\n    \"key\": \"{OKX_API_KEY}\",\n    \"secret\": \"{OKX_SECRET}\",\n    \"passphrase\": \"{OKX_PASSWORD}\"\n  }},\n  \"hl\": {{\n    \"exchange\": \"hyperliquid\",\n    \"private_key\": \"{HL_PRIVATE}\",\n    \"wallet_address\": \"{HL_WALLET}\"\n  }}\n}}\n"
    );
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        parsed,
        json!({
            "okx-bot": { "exchange": "okx", "key": OKX_API_KEY, "secret": OKX_SECRET, "passphrase": OKX_PASSWORD },
            "hl": { "exchange": "hyperliquid", "wallet_address": HL_WALLET, "private_key": HL_PRIVATE },
        })
    );
    text
}

/// The value after `name=` on its line of the child's output.
fn reported<'a>(out: &'a Out, name: &str) -> &'a str {
    let prefix = format!("{name}=");
    out.stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no {name}= line\n{}", out.describe()))
        .trim()
}

fn no_entries(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

#[test]
fn the_passivbot_profile_writes_api_keys_json_0600_in_a_0700_folder_and_removes_both() {
    let (sb, tmp) = passivbot_sandbox();
    let script = r#"f="$KEYSTEAD_API_KEYS_FILE"
echo "path=$f"
echo "arg=$1"
echo "inline=$2"
printf 'file='; sha256sum < "$f"
echo "mode=$(stat -c %a "$f")"
echo "dirmode=$(stat -c %a "$(dirname "$f")")"
echo "users=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(",".join(d))' "$f")"
if [ -n "${OKX_APIKEY+x}${FREQTRADE__EXCHANGE__KEY+x}" ]; then echo env=set; else echo env=unset; fi
exit 3"#;
    let out = sb
        .cmd(&[
            "run",
            "--key",
            "okx-bot,hl",
            "--profile",
            "passivbot",
            "--",
            "sh",
            "-c",
            script,
            "sh",
            "{keys_file}",
            "--api-keys={keys_file}",
        ])
        .env("TMPDIR", tmp.to_str().unwrap())
        .run()
        .exits(3);
    prints_no_secret(&out);
    let path = Path::new(reported(&out, "path"));
    assert!(path.starts_with(&tmp), "{}", out.describe());
    assert_eq!(path.file_name().unwrap(), "api-keys.json");
    assert_eq!(reported(&out, "arg"), path.to_str().unwrap());
    assert_eq!(
        reported(&out, "inline"),
        format!("--api-keys={}", path.display())
    );
    assert_eq!(
        reported(&out, "file"),
        digest(&expected_passivbot_file()),
        "the file holds exactly the expected JSON"
    );
    assert_eq!(reported(&out, "mode"), "600");
    assert_eq!(reported(&out, "dirmode"), "700");
    assert_eq!(reported(&out, "users"), "okx-bot,hl");
    assert_eq!(
        reported(&out, "env"),
        "unset",
        "no secret in the environment"
    );
    assert!(!path.exists(), "the file is removed");
    assert!(!path.parent().unwrap().exists(), "and its folder");
    assert!(no_entries(&tmp));
    let runs = sb
        .audit()
        .into_iter()
        .filter(|e| e["action"] == "key_run")
        .count();
    assert_eq!(runs, 2);

    // With --mask, a bot printing its file shows none of it.
    let out = run_sh(
        &sb,
        &["okx-bot", "hl"],
        &["--profile", "passivbot", "--mask"],
        r#"cat "$KEYSTEAD_API_KEYS_FILE""#,
    )
    .env("TMPDIR", tmp.to_str().unwrap())
    .run()
    .ok();
    prints_no_secret(&out);
    assert!(!out.stdout.contains(HL_PRIVATE), "{}", out.describe());
    assert_eq!(count(&out.stdout, CONCEALED), 5, "{}", out.describe());
    assert!(no_entries(&tmp));

    // passivbot needs an exchange name: a custom key is refused before anything is written.
    sb.add(
        "own",
        "custom",
        &["--scopes", "read"],
        &json!({ "apiKey": "k-0123", "secret": "s-0123" }).to_string(),
    );
    run_sh(&sb, &["own"], &["--profile", "passivbot"], "true")
        .env("TMPDIR", tmp.to_str().unwrap())
        .run()
        .fails(2)
        .stderr_mentions("custom exchange");
    assert!(no_entries(&tmp));
}

/// Starts `keystead run --profile passivbot` with `script` as the child, which writes the keys
/// file's path to `ready` once it runs; returns keystead's exit status and the file's path.
fn run_passivbot_until(
    sb: &Sandbox,
    tmp: &Path,
    script: &str,
    ready: &Path,
    signal: Option<&str>,
) -> (std::process::ExitStatus, std::path::PathBuf) {
    let mut child = Command::new(BIN)
        .args([
            "run",
            "--key",
            "okx-bot",
            "--profile",
            "passivbot",
            "--",
            "sh",
            "-c",
            script,
        ])
        .current_dir(sb.dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sb.dir.path())
        .env("TMPDIR", tmp)
        .env("XDG_DATA_HOME", sb.dir.path().join("xdg-data"))
        .env("KEYSTEAD_VAULT", &sb.vault)
        .env("KEYSTEAD_PASSPHRASE", &sb.passphrase)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start keystead");
    assert!(
        wait_for(ready, Duration::from_secs(60)),
        "the child never started"
    );
    let path = std::path::PathBuf::from(std::fs::read_to_string(ready).unwrap().trim());
    assert!(path.exists(), "the file exists while the child runs");
    if let Some(sig) = signal {
        let sent = Command::new("kill")
            .args([sig, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("keystead did not end");
        }
        thread::sleep(Duration::from_millis(20));
    };
    (status, path)
}

#[test]
fn the_keys_file_is_removed_after_sigterm_or_sigint_to_keystead_and_after_the_child_is_sigkilled() {
    let (sb, tmp) = passivbot_sandbox();
    let ready = sb.dir.path().join("ready");
    for (sig, code) in [("-TERM", 143), ("-INT", 130)] {
        let _ = std::fs::remove_file(&ready);
        let script = format!(
            "trap 'exit {code}' {name}; echo \"$KEYSTEAD_API_KEYS_FILE\" > {ready}.tmp; mv {ready}.tmp {ready}; while :; do sleep 0.05; done",
            name = &sig[1..],
            ready = ready.display()
        );
        let (status, path) = run_passivbot_until(&sb, &tmp, &script, &ready, Some(sig));
        assert_eq!(status.code(), Some(code), "{sig}: the child's code");
        assert!(!path.exists(), "{sig}: the file is removed");
        assert!(no_entries(&tmp), "{sig}: and its folder");
    }

    // The child is killed outright (as a crash would end it).
    let _ = std::fs::remove_file(&ready);
    let script = format!(
        "echo \"$KEYSTEAD_API_KEYS_FILE\" > {ready}.tmp; mv {ready}.tmp {ready}; sleep 0.3; kill -9 $$",
        ready = ready.display()
    );
    let (status, path) = run_passivbot_until(&sb, &tmp, &script, &ready, None);
    assert_eq!(status.code(), Some(137), "128 + SIGKILL");
    assert!(!path.exists(), "SIGKILL: the file is removed");
    assert!(no_entries(&tmp), "SIGKILL: and its folder");
}
