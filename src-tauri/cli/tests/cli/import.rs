//! `keystead import` from other tools' files: freqtrade, .env, ccxt, Passivbot and Hummingbot files into
//! a real vault; a second import writes nothing; only `--replace` replaces; hostile and broken files fail
//! clearly with nothing written and no secret printed.

use crate::common::*;
use std::path::{Path, PathBuf};

/// Secret values of the files below, each distinct so any leak is found.
const FT_KEY: &str = "FTMARKERkey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS";
const FT_SECRET: &str = "FTMARKERsecret9876543210zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLK";
const ENV_BN_KEY: &str = "ENVMARKERbinanceKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH";
const ENV_BN_SECRET: &str = "ENVMARKERbinanceSecret0123456789abcdefghijklmnopqrstuvwxyzABCDE";
const ENV_OKX_KEY: &str = "1d2e3f40-ENVM-ARKE-Rokx-key000000000001";
const ENV_OKX_SECRET: &str = "ENVMARKEROKXSECRET0123456789ABCDEF";
const CCXT_KEY: &str = "CCXTMARKERbybitKey0123";
const CCXT_SECRET: &str = "CCXTMARKERbybitSecret0123456789abcdef";
const PB_KEY: &str = "PBMARKERbinanceKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";
const PB_SECRET: &str = "PBMARKERbinanceSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEF";
const HB_PASSWORD: &str = "hummingbot-fixture-pass";
const HB_KEY: &str = "HBFIXTUREbinanceApiKey0123456789abcdefghijklmnopqrstuvwxyzABCD";

const MARKERS: [&str; 9] = [
    FT_KEY,
    FT_SECRET,
    ENV_BN_KEY,
    ENV_BN_SECRET,
    ENV_OKX_KEY,
    ENV_OKX_SECRET,
    CCXT_KEY,
    CCXT_SECRET,
    PB_SECRET,
];

fn freqtrade_config() -> String {
    format!(
        r#"{{
    // my scalper
    "bot_name": "scalper",
    /* keys below */
    "exchange": {{"name": "binance", "key": "", "api_key": "{FT_KEY}", "secret": "{FT_SECRET}",}},
    "stake_currency": "USDT",
}}"#
    )
}

/// Writes `text` to `name` in the sandbox's folder; returns its path as a string.
fn write(sb: &Sandbox, name: &str, text: impl AsRef<[u8]>) -> String {
    let path = sb.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().expect("utf-8 temp path").to_string()
}

fn names(sb: &Sandbox) -> Vec<String> {
    let mut names: Vec<String> = sb
        .list()
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[track_caller]
fn prints_no_marker(out: &Out) {
    for m in MARKERS.iter().chain([&PB_KEY, &HB_KEY]) {
        assert!(
            !out.output().contains(m),
            "printed a secret of the file\n{}",
            out.describe()
        );
    }
}

/// Nothing printed holds a raw terminal control (ESC, BEL, …) or text-direction character.
#[track_caller]
fn no_raw_controls(out: &Out) {
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

#[test]
fn a_freqtrade_config_imports_one_key_with_scopes_unknown_and_its_run_line_and_again_writes_nothing(
) {
    let sb = Sandbox::init();
    let config = write(&sb, "config.json", freqtrade_config());

    let dry = sb.run(&["import", &config, "--dry-run"]).ok();
    assert!(
        dry.stdout
            .contains("config.json: freqtrade config (detected), 1 key"),
        "{}",
        dry.describe()
    );
    assert!(
        dry.stdout.contains("Binance scalper") && dry.stdout.contains("→ add"),
        "{}",
        dry.describe()
    );
    assert!(dry.stdout.contains("apiKey, secret"), "{}", dry.describe());
    assert!(dry.stderr.contains("scopes unknown"), "{}", dry.describe());
    assert!(dry.stdout.contains("Dry run: nothing was imported."));
    prints_no_marker(&dry);
    assert!(sb.list().is_empty(), "a dry run imported");
    let json = sb.run(&["import", &config, "--dry-run", "--json"]).ok();
    prints_no_marker(&json);
    let preview = json.json();
    assert_eq!(preview["sources"][0]["format"], "freqtrade");
    assert_eq!(preview["entries"][0]["name"], "Binance scalper");
    assert_eq!(preview["entries"][0]["status"], "new");
    assert!(sb.list().is_empty(), "a dry run imported");

    let before = sb.changes().len();
    let out = sb.run(&["import", &config, "--yes"]).ok();
    prints_no_marker(&out);
    assert!(
        out.stdout.contains("Added: Binance scalper"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout
            .contains(&format!("Still in plaintext: {config} (freqtrade config)")),
        "{}",
        out.describe()
    );
    let run_line = format!(
        "\n    keystead run --profile freqtrade --key 'Binance scalper' -- freqtrade trade --config {config}\n"
    );
    assert!(out.stdout.contains(&run_line), "{}", out.describe());
    let changes = sb.changes();
    assert_eq!(changes.len(), before + 1, "{changes:#?}");
    assert_eq!(changes.last().unwrap()["action"], "key_imported");
    assert_eq!(names(&sb), ["Binance scalper"]);
    assert_eq!(sb.reveal("Binance scalper", "secret", &[]), FT_SECRET);
    assert_eq!(sb.reveal("Binance scalper", "apiKey", &[]), FT_KEY);
    assert_eq!(sb.key("Binance scalper")["scopes_unknown"], true);
    // Shown as unknown where the scopes are shown.
    let list = sb.run(&["list"]).ok();
    let row = list
        .stdout
        .lines()
        .find(|l| l.starts_with("Binance scalper"))
        .unwrap();
    assert!(row.contains("unknown"), "{}", list.describe());
    let show = sb.run(&["show", "Binance scalper"]).ok();
    assert!(
        show.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("scopes") && l.contains("unknown")),
        "{}",
        show.describe()
    );

    let count = sb.changes().len();
    let again = sb.run(&["import", &config, "--yes"]).ok();
    assert!(
        again.stdout.contains("identical to 'Binance scalper'")
            && again.stdout.contains("→ skip")
            && again
                .stdout
                .contains("every key in these files is already in this vault"),
        "{}",
        again.describe()
    );
    assert!(!again.stdout.contains("Added"), "{}", again.describe());
    assert_eq!(sb.changes().len(), count, "a second import wrote");
}

#[test]
fn a_dotenv_file_imports_its_complete_keys_and_an_okx_key_without_passphrase_is_only_skipped() {
    let sb = Sandbox::init();
    let env = write(
        &sb,
        ".env",
        format!(
            "# bot\nexport BINANCE_API_KEY={ENV_BN_KEY}\nBINANCE_API_SECRET=\"{ENV_BN_SECRET}\"\nOKX_API_KEY='{ENV_OKX_KEY}'\nOKX_API_SECRET={ENV_OKX_SECRET}\n"
        ),
    );
    let out = sb.run(&["import", &env, "--yes"]).ok();
    prints_no_marker(&out);
    assert!(
        out.stdout.contains(".env: .env file (detected), 2 keys"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("Added: Binance") && out.stdout.contains("Skipped: OKX"),
        "{}",
        out.describe()
    );
    // The problem is named in the preview, under its entry.
    let okx_at = out.stdout.find("OKX").unwrap();
    assert!(
        out.stdout[okx_at..].contains("! ") && out.stdout[okx_at..].contains("password"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout
            .contains("    keystead run --key Binance -- your-bot"),
        "{}",
        out.describe()
    );
    assert_eq!(names(&sb), ["Binance"]);
    assert_eq!(sb.reveal("Binance", "secret", &[]), ENV_BN_SECRET);

    // The incomplete key cannot be forced in, by any flag; nothing is written.
    let count = sb.changes().len();
    for flag in ["--replace", "--keep-both"] {
        let refused = sb.run(&["import", &env, flag, "OKX", "--yes"]).fails(2);
        prints_no_marker(&refused);
    }
    sb.run(&["import", &env, "--replace", "nosuchkey", "--yes"])
        .fails(2)
        .stderr_mentions("the entries are 'Binance', 'OKX'");
    assert_eq!(names(&sb), ["Binance"]);
    assert_eq!(sb.changes().len(), count);
}

#[test]
fn a_ccxt_keys_file_and_a_passivbot_api_keys_file_import_to_their_names() {
    let sb = Sandbox::init();
    let ccxt = write(
        &sb,
        "keys.local.json",
        format!(r#"{{"bybit": {{"apiKey": "{CCXT_KEY}", "secret": "{CCXT_SECRET}"}}}}"#),
    );
    let dry = sb.run(&["import", &ccxt, "--dry-run"]).ok();
    assert!(
        dry.stdout.contains("ccxt keys file (detected)") && dry.stdout.contains("Bybit"),
        "{}",
        dry.describe()
    );
    let out = sb.run(&["import", &ccxt, "--yes", "--json"]).ok();
    prints_no_marker(&out);
    let summary = out.json();
    assert_eq!(summary["added"], serde_json::json!(["Bybit"]));
    assert_eq!(summary["plaintext"][0]["format_label"], "ccxt keys file");
    assert_eq!(
        summary["plaintext"][0]["run_commands"],
        serde_json::json!(["keystead run --profile ccxt --key Bybit -- your-program"])
    );
    let passivbot = write(
        &sb,
        "api-keys.json",
        format!(
            r#"{{"referrals": {{}}, "binance_01": {{"exchange": "binance", "key": "{PB_KEY}", "secret": "{PB_SECRET}"}}}}"#
        ),
    );
    let out = sb
        .run(&["import", &passivbot, "--format", "passivbot", "--yes"])
        .ok();
    assert!(
        out.stdout.contains("Passivbot api-keys file (--format)")
            && out.stdout.contains("Added: binance_01"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("--profile passivbot --key binance_01"),
        "{}",
        out.describe()
    );
    prints_no_marker(&out);
    assert_eq!(names(&sb), ["Bybit", "binance_01"]);
    assert_eq!(sb.reveal("Bybit", "secret", &[]), CCXT_SECRET);
    assert_eq!(sb.reveal("binance_01", "apiKey", &[]), PB_KEY);
}

#[test]
fn a_changed_secret_is_skipped_by_yes_and_replaced_only_with_replace_keeping_its_history() {
    let sb = Sandbox::init();
    sb.add(
        "binance-main",
        "binance",
        &["--scopes", "read"],
        &format!(r#"{{"apiKey": "{FT_KEY}", "secret": "old-secret-value"}}"#),
    );
    let config = write(&sb, "config.json", freqtrade_config());
    let count = sb.changes().len();
    let out = sb.run(&["import", &config, "--yes"]).ok();
    assert!(
        out.stdout
            .contains("changed: same API key as 'binance-main', other secret"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("Skipped: Binance scalper"),
        "{}",
        out.describe()
    );
    assert_eq!(sb.changes().len(), count, "--yes replaced a key");
    assert_eq!(sb.reveal("binance-main", "secret", &[]), "old-secret-value");

    let out = sb
        .run(&["import", &config, "--replace", "binance-main", "--yes"])
        .ok();
    assert!(
        out.stdout.contains("Replaced: binance-main"),
        "{}",
        out.describe()
    );
    assert_eq!(sb.reveal("binance-main", "secret", &[]), FT_SECRET);
    let show = sb.show("binance-main");
    let versions = show["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2, "{show:#}");
    assert_eq!(names(&sb), ["binance-main"]);
    assert_eq!(
        sb.reveal("binance-main", "secret", &["--version", "1"]),
        "old-secret-value"
    );
}

#[test]
fn a_key_without_an_exchange_takes_the_one_given_and_the_defaults_scopes_when_asked() {
    let sb = Sandbox::init();
    let env = write(
        &sb,
        "bot.env",
        "MYBOT_API_KEY=mybotkeymarker1234\nMYBOT_API_SECRET=mybotsecretmarker5678\n",
    );
    let out = sb.run(&["import", &env, "--yes"]).ok();
    assert!(
        out.stdout.contains("? (the file says 'MYBOT')") && out.stdout.contains("Skipped: mybot"),
        "{}",
        out.describe()
    );
    assert!(sb.list().is_empty());
    sb.run(&[
        "import",
        &env,
        "--exchange",
        "mybot=nosuchexchange",
        "--yes",
    ])
    .fails(2);
    let out = sb
        .run(&[
            "import",
            &env,
            "--exchange",
            "mybot=bybit",
            "--default-scopes",
            "--yes",
        ])
        .ok();
    assert!(out.stdout.contains("Added: mybot"), "{}", out.describe());
    let key = sb.key("mybot");
    assert_eq!(key["exchange"], "bybit");
    assert_eq!(key["scopes_unknown"], false);
}

fn hummingbot_fixture(sb: &Sandbox) -> String {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/fixtures/import/hummingbot/binance.yml");
    let dir: PathBuf = sb.dir.path().join("conf/connectors");
    std::fs::create_dir_all(&dir).unwrap();
    let to = dir.join("binance.yml");
    std::fs::copy(fixture, &to).unwrap();
    to.to_str().unwrap().to_string()
}

#[test]
fn a_hummingbot_connector_file_opens_with_its_password_and_a_wrong_one_writes_nothing() {
    let sb = Sandbox::init();
    let file = hummingbot_fixture(&sb);
    let count = sb.changes().len();
    let wrong = sb
        .cmd(&["import", &file, "--yes"])
        .env("KEYSTEAD_IMPORT_PASSWORD", "not-the-password")
        .run()
        .fails(2)
        .stderr_mentions("wrong Hummingbot password");
    prints_no_marker(&wrong);
    // No terminal and no variable: it says which variable to set.
    sb.run(&["import", &file, "--yes"])
        .fails(2)
        .stderr_mentions("set KEYSTEAD_IMPORT_PASSWORD");
    assert!(sb.list().is_empty());
    assert_eq!(sb.changes().len(), count);

    let out = sb
        .cmd(&["import", &file, "--yes"])
        .env("KEYSTEAD_IMPORT_PASSWORD", HB_PASSWORD)
        .run()
        .ok();
    prints_no_marker(&out);
    assert!(
        out.stdout.contains("Hummingbot connector file (detected)"),
        "{}",
        out.describe()
    );
    assert!(
        !out.stdout.contains("Still in plaintext"),
        "{}",
        out.describe()
    );
    let list = sb.list();
    assert_eq!(list.len(), 1, "{list:#?}");
    let name = list[0]["name"].as_str().unwrap().to_string();
    assert_eq!(sb.reveal(&name, "apiKey", &[]), HB_KEY);
}

#[test]
fn hostile_names_are_shown_escaped_and_broken_files_fail_clearly_with_nothing_written() {
    let sb = Sandbox::init();
    let hostile = write(
        &sb,
        "api-keys.json",
        format!(
            "{{\"evil\\u001b]0;pwned\\u0007\\u202eusr\": {{\"exchange\": \"binance\", \"key\": \"{PB_KEY}\", \"secret\": \"{PB_SECRET}\"}}, \"other\": {{\"exchange\": \"bin\\u001b[2Jance\\u202e\", \"key\": \"{ENV_BN_KEY}\", \"secret\": \"{ENV_BN_SECRET}\"}}}}"
        ),
    );
    let dry = sb
        .run(&["import", &hostile, "--format", "passivbot", "--dry-run"])
        .ok();
    no_raw_controls(&dry);
    prints_no_marker(&dry);
    assert!(dry.stdout.contains("\\u{1b}"), "{}", dry.describe());
    let out = sb
        .run(&["import", &hostile, "--format", "passivbot", "--yes"])
        .ok();
    no_raw_controls(&out);
    prints_no_marker(&out);
    let list = sb.run(&["list"]).ok();
    no_raw_controls(&list);
    // A flag naming no entry: the error lists the names, escaped, and quotes the flag escaped.
    let unknown = sb
        .run(&[
            "import",
            &hostile,
            "--skip",
            "evil\x1b]0;pwned\x07",
            "--yes",
        ])
        .fails(2)
        .stderr_mentions("the entries are");
    no_raw_controls(&unknown);
    prints_no_marker(&unknown);

    let sb = Sandbox::init();
    let count = sb.changes().len();
    // Cut after the secrets, so an error quoting the text around the fault would show them whole.
    let config = freqtrade_config();
    let truncated = write(
        &sb,
        "config.json",
        &config[..config.find("\"stake_currency\"").unwrap()],
    );
    let invalid = write(
        &sb,
        "bad.env",
        [
            format!("BINANCE_API_KEY={ENV_BN_KEY}\nBINANCE_API_SECRET=").as_bytes(),
            b"\xff\xfe",
            format!("{ENV_BN_SECRET}\n").as_bytes(),
        ]
        .concat(),
    );
    let huge = sb.dir.path().join("huge.json");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(17 * 1024 * 1024)
        .unwrap();
    let huge = huge.to_str().unwrap().to_string();
    let folder = sb.dir.path().to_str().unwrap().to_string();
    let missing = sb
        .dir
        .path()
        .join("nope.json")
        .to_str()
        .unwrap()
        .to_string();
    for (file, format, says) in [
        (&truncated, "auto", "freqtrade"),
        (&truncated, "freqtrade", "freqtrade config"),
        (&invalid, "env", "not UTF-8"),
        (&huge, "auto", "17 MiB, more than the 16 MiB"),
        (&folder, "auto", "is a folder"),
        (&missing, "auto", "does not exist"),
        (&truncated, "yaml", "unknown import format"),
    ] {
        let out = sb
            .run(&["import", file, "--format", format, "--yes"])
            .fails(2)
            .stderr_mentions(says);
        prints_no_marker(&out);
        no_raw_controls(&out);
    }
    // One bad file fails the whole import: the good one is not imported either.
    let good = write(&sb, "good.json", freqtrade_config());
    sb.run(&["import", &good, &truncated, "--yes"]).fails(2);
    assert!(sb.list().is_empty());
    assert_eq!(sb.changes().len(), count);
    // Without a terminal and without --yes, nothing is imported.
    sb.run(&["import", &good]).fails(2).stderr_mentions("--yes");
    assert!(sb.list().is_empty());
}

/// Runs `keystead ARGS` on a pseudo-terminal (util-linux `script`), answering each prompt when it
/// appears; returns everything the terminal showed. `None` (with a notice) when `script` is missing.
fn on_a_terminal(sb: &Sandbox, args: &[&str], answers: &[(&str, &str)]) -> Option<String> {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!(
            "NOTICE: skipping a terminal import test: `script` (util-linux) is not installed"
        );
        return None;
    }
    let line = std::iter::once(BIN)
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(sb.dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sb.dir.path())
        .env("TZ", "UTC")
        .env("NO_COLOR", "1")
        .env("KEYSTEAD_VAULT", &sb.vault)
        .env("KEYSTEAD_PASSPHRASE", &sb.passphrase)
        .env("KEYSTEAD_KDF_TARGET_MS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start script");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut shown = Vec::new();
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    let wait_for = |needle: &str, shown: &mut Vec<u8>| {
        while !String::from_utf8_lossy(shown).contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left.min(Duration::from_secs(1))) {
                Ok(chunk) => shown.extend(chunk),
                Err(_) if Instant::now() < deadline => {}
                Err(_) => panic!(
                    "no {needle:?} on the terminal\n{}",
                    String::from_utf8_lossy(shown)
                ),
            }
        }
    };
    for (prompt, answer) in answers {
        wait_for(prompt, &mut shown);
        // The prompt is printed just before echo is turned off: let it be off before answering.
        std::thread::sleep(Duration::from_millis(500));
        stdin.write_all(answer.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }
    let status = child.wait().expect("wait for script");
    drop(stdin);
    reader.join().unwrap();
    shown.extend(rx.try_iter().flatten());
    assert!(status.success(), "{}", String::from_utf8_lossy(&shown));
    Some(String::from_utf8_lossy(&shown).into_owned())
}

#[test]
fn on_a_terminal_the_file_password_is_asked_without_echo_and_the_import_only_on_a_yes() {
    let sb = Sandbox::init();
    let file = hummingbot_fixture(&sb);
    let answers = [
        ("Password of the Hummingbot files:", HB_PASSWORD),
        ("Import 1 key? [y/N]", ""),
    ];
    let Some(shown) = on_a_terminal(&sb, &["import", &file], &answers) else {
        return;
    };
    assert!(
        !shown.contains(HB_PASSWORD),
        "the password was echoed\n{shown}"
    );
    assert!(shown.contains("Nothing was imported."), "{shown}");
    assert!(sb.list().is_empty(), "Enter alone imported");

    let answers = [
        ("Password of the Hummingbot files:", HB_PASSWORD),
        ("Import 1 key? [y/N]", "y"),
    ];
    let shown = on_a_terminal(&sb, &["import", &file], &answers).unwrap();
    assert!(
        !shown.contains(HB_PASSWORD),
        "the password was echoed\n{shown}"
    );
    assert!(shown.contains("Added: "), "{shown}");
    assert_eq!(sb.list().len(), 1);
}
