//! The leak scanner on generated trees: own secrets in every encoding, key shapes, assignments, what is
//! skipped (binary, large, symlinks, unreadable, ignored), cancelling, history, and no full secret in output.

use base64::Engine as _;
use keystead_core::scan::{scan, FindingKind, OwnSecret, ScanOptions, ScanReport};
use keystead_core::CredentialField;
use secrecy::SecretString;
use std::fs;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use uuid::Uuid;

/// Marker values: the test fails if any appears whole in what the scanner returns.
const SECRET_MAIN: &str = "~~~MarkerMainSecret+/?&\"é0123456789abcdef";
const KEY_BOT: &str = "MarkerBotApiKey7QzL9xW2vB4nM6kP8";

fn own() -> Vec<OwnSecret> {
    vec![
        OwnSecret {
            key_id: Uuid::from_u128(1),
            key_name: "binance-main".into(),
            version: 2,
            current: false,
            field: CredentialField::Secret,
            value: SecretString::from(SECRET_MAIN),
        },
        OwnSecret {
            key_id: Uuid::from_u128(2),
            key_name: "kraken-bot".into(),
            version: 1,
            current: true,
            field: CredentialField::ApiKey,
            value: SecretString::from(KEY_BOT),
        },
        OwnSecret {
            key_id: Uuid::from_u128(3),
            key_name: "short".into(),
            version: 1,
            current: true,
            field: CredentialField::Password,
            value: SecretString::from("abc1234"),
        },
    ]
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}
fn b64url(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
fn json(s: &str) -> String {
    let j = serde_json::to_string(s).unwrap();
    j[1..j.len() - 1].to_string()
}

/// The planted files: (relative path, content, rule expected, key name). Without `planted`, the same files
/// with the secrets replaced by other text of the same shape.
fn plant(dir: &Path, planted: bool) -> Vec<(&'static str, &'static str, &'static str)> {
    let main = if planted {
        SECRET_MAIN.to_string()
    } else {
        SECRET_MAIN.replace("Marker", "Other1")
    };
    let bot = if planted {
        KEY_BOT.to_string()
    } else {
        KEY_BOT.replace("Marker", "Other1")
    };
    assert_ne!(
        b64(&main).trim_end_matches('='),
        b64url(&main),
        "the marker must give distinct base64 forms"
    );
    let files: Vec<(&str, String, &str, &str)> = vec![
        (
            "bot/main.py",
            format!("import ccxt\n\nclient = ccxt.binance({{'secret': '{main}'}})\n"),
            "own-secret",
            "binance-main",
        ),
        (
            "bot/config.json",
            format!(
                "{{\n  \"exchange\": \"binance\",\n  \"blob\": \"{}\"\n}}\n",
                json(&main)
            ),
            "own-secret-json",
            "binance-main",
        ),
        (
            "bot/.env",
            format!("# keys\nENCODED={}\n", b64(&main)),
            "own-secret-base64",
            "binance-main",
        ),
        (
            "notebooks/trade.ipynb",
            format!(
                "{{\"cells\": [{{\"source\": [\"k = '{}'\"]}}]}}\n",
                b64url(&main)
            ),
            "own-secret-base64url",
            "binance-main",
        ),
        (
            "home/.bash_history",
            format!("ls\ncurl 'https://x.example/?s={}'\n", percent(&main)),
            "own-secret-percent",
            "binance-main",
        ),
        (
            "home/dump.txt",
            format!("hex: {}\n", hex::encode(&main)),
            "own-secret-hex",
            "binance-main",
        ),
        (
            "home/.zsh_history",
            format!(": 1700000000:0;export KRAKEN_KEY={bot}\n"),
            "own-secret",
            "kraken-bot",
        ),
    ];
    for (path, content, _, _) in &files {
        let full = dir.join(path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, content).unwrap();
    }
    // The short secret "abc1234" is everywhere in this file: too short to be looked for.
    fs::write(dir.join("notes.md"), "abc1234 abc1234 abc12345\n").unwrap();
    files.into_iter().map(|(p, _, r, k)| (p, r, k)).collect()
}

fn run(options: &ScanOptions) -> ScanReport {
    scan(options, &own(), &|_| {}, &AtomicBool::new(false)).unwrap()
}

fn assert_no_full_secret(report: &ScanReport) {
    let serialised = serde_json::to_string(report).unwrap();
    let debug = format!("{report:?}");
    for marker in [
        SECRET_MAIN.to_string(),
        KEY_BOT.to_string(),
        b64(SECRET_MAIN),
        json(SECRET_MAIN),
        hex::encode(SECRET_MAIN),
        "MarkerMain".into(),
        "MarkerBot".into(),
    ] {
        assert!(
            !serialised.contains(&marker),
            "serialised report holds {marker}"
        );
        assert!(!debug.contains(&marker), "Debug output holds {marker}");
    }
    assert!(!format!("{:?}", own()).contains("Marker"));
}

#[test]
fn own_secrets_found_in_every_encoding_and_file_type() {
    let dir = tempfile::tempdir().unwrap();
    let expected = plant(dir.path(), true);
    let calls = std::sync::atomic::AtomicU64::new(0);
    let report = scan(
        &ScanOptions::new(vec![dir.path().to_path_buf()]),
        &own(),
        &|_| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        },
        &AtomicBool::new(false),
    )
    .unwrap();
    assert!(calls.into_inner() >= 1, "progress is sent at least once");
    assert!(report.own_secrets && !report.cancelled);
    for (path, rule, key) in &expected {
        let hits: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.path.ends_with(path) && f.kind == FindingKind::OwnSecret)
            .collect();
        assert_eq!(hits.len(), 1, "{path}: {hits:?}");
        let f = hits[0];
        assert_eq!(
            (f.rule.as_str(), f.key_name.as_deref()),
            (*rule, Some(*key)),
            "{path}"
        );
        assert!(f.path.starts_with(&dir.path().display().to_string()));
        if *key == "binance-main" {
            assert_eq!(
                (f.version, f.current, f.field),
                (Some(2), Some(false), Some(CredentialField::Secret))
            );
            assert_eq!(f.key_id, Some(Uuid::from_u128(1)));
            assert!(
                f.description.contains("binance-main") && f.description.contains("version 2"),
                "{}",
                f.description
            );
        }
        assert_eq!(f.excerpt.chars().count(), 7, "{}", f.excerpt);
    }
    let py = report
        .findings
        .iter()
        .find(|f| f.path.ends_with("main.py"))
        .unwrap();
    assert_eq!((py.line, py.column), (3, 35));
    assert_eq!(py.excerpt, "~~~M…ef");
    let own_count = report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::OwnSecret)
        .count();
    assert_eq!(own_count, expected.len(), "{:#?}", report.findings);
    assert!(report
        .findings
        .iter()
        .all(|f| f.key_name.as_deref() != Some("short")));
    assert!(report.stats.files >= 8 && report.stats.bytes > 0);
    let sorted = report
        .findings
        .windows(2)
        .all(|w| (&w[0].path, w[0].line, w[0].column) <= (&w[1].path, w[1].line, w[1].column));
    assert!(sorted);
    assert_no_full_secret(&report);
}

#[test]
fn tree_without_planted_secrets_has_no_own_findings() {
    let dir = tempfile::tempdir().unwrap();
    plant(dir.path(), false);
    let report = run(&ScanOptions::new(vec![dir.path().to_path_buf()]));
    let own: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::OwnSecret)
        .collect();
    assert!(own.is_empty(), "{own:?}");
    assert!(report.stats.files >= 8);
}

const SHAPES: &[(&str, &str)] = &[
    ("binance-api-key", "BINANCE_KEY = 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A'"),
    ("kraken-api-key", "kraken key: U8dAmC6+b+WJ2HrP0rT4H1ttEDRnT5ZX4+j+9lWIZRSbPNNvK3gNhTwG"),
    ("kraken-private-key", "kraken private: kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="),
    ("kucoin-api-key", "KUCOIN id 5f1e2d3c4b5a697887766554"),
    ("kucoin-api-secret", "kucoin sec 8c1f3b2a-1d4e-4f6a-9b7c-2e5d8a0f1c3b"),
    ("bitfinex-api-key", "bitfinex 4Dk8sPq2Lm7Nx9Vb3Rt6Yw1Zc5Hg0Jf8Ke2Ua4Io7Ed"),
    ("deribit-client-id", "deribit id Ab12Cd34"),
    ("deribit-client-secret", "Deribit: secretvalue_4Dk8sPq2Lm7Nx9Vb3Rt6Yw1Zc5Hg0Jf"),
    ("okx-api-key", "okx 0f5a8e2c-3b7d-4e91-a6c4-d2b8f1e7a9c3"),
    ("okx-api-secret", "OKX sec 9C2F1A7B3E8D4C6A5B0F2E9D7C1A3B8E"),
    ("coinbase-cdp-key-name", "name: organizations/0f5a8e2c-3b7d-4e91-a6c4-d2b8f1e7a9c3/apiKeys/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"),
    ("coinbase-ec-private-key", "-----BEGIN EC PRIVATE KEY-----"),
    ("hex-private-key", "wallet = 0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"),
    ("pem-private-key", "-----BEGIN OPENSSH PRIVATE KEY-----"),
    ("aws-access-key-id", "aws AKIAIOSFODNN7EXAMPLE"),
    ("github-token", "gh ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("github-fine-grained-token", "t github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"),
    ("slack-token", "slack xoxb-123456789012-abcdefABCDEF"),
];

#[test]
fn every_shape_rule_finds_its_example() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (_, line)) in SHAPES.iter().enumerate() {
        fs::write(
            dir.path().join(format!("shape{i}.txt")),
            format!("first line\n{line}\n"),
        )
        .unwrap();
    }
    let report = run(&ScanOptions::new(vec![dir.path().to_path_buf()]));
    for (i, (rule, _)) in SHAPES.iter().enumerate() {
        let name = format!("shape{i}.txt");
        let hits: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.path.ends_with(&name))
            .collect();
        assert!(
            hits.iter()
                .any(|f| f.rule == *rule && f.kind == FindingKind::KeyShape && f.line == 2),
            "{rule}: {hits:?}"
        );
    }
    for rule in keystead_core::scan::SHAPE_RULES {
        assert!(
            SHAPES.iter().any(|(id, _)| *id == rule.id),
            "no example for {}",
            rule.id
        );
    }
    let binance = report
        .findings
        .iter()
        .find(|f| f.rule == "binance-api-key")
        .unwrap();
    assert_eq!(
        (binance.exchange.as_deref(), binance.confidence),
        (Some("binance"), keystead_core::scan::Confidence::High)
    );
    assert_eq!(binance.excerpt, "vmPU…8A");
    // Without an exchange's name on the line, a UUID or 24 hex digits are not keys.
    fs::write(dir.path().join("plain.txt"), "id 0f5a8e2c-3b7d-4e91-a6c4-d2b8f1e7a9c3 oid 5f1e2d3c4b5a697887766554\nsha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n").unwrap();
    let report = run(&ScanOptions::new(vec![dir.path().join("plain.txt")]));
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}

#[test]
fn assignments_found_and_placeholders_not() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join(".env"),
        "API_KEY=changeme\nSECRET=\"\"\nGH_TOKEN=your_token_here\nDB_PASSWORD=xxxxxxxxxx\nPRIVATE_KEY=<paste here>\nAPI_SECRET=${SECRET}\napi_secret = os.environ[\"X\"]\nMY_API_SECRET=s3cr3tValue99x\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("settings.json"),
        "{\n  \"passphrase\": \"Tr4der-Pass-2024\"\n}\n",
    )
    .unwrap();
    let report = run(&ScanOptions::new(vec![dir.path().to_path_buf()]));
    let found: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Assignment)
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        (
            found[0].rule.as_str(),
            found[0].excerpt.as_str(),
            found[0].line
        ),
        ("env-assignment", "MY_API_SECRET=s3cr…9x", 8)
    );
    assert_eq!(found[1].excerpt, "passphrase=Tr4d…24");
    let text = serde_json::to_string(&report).unwrap();
    assert!(!text.contains("s3cr3tValue99x") && !text.contains("Tr4der-Pass-2024"));
}

#[test]
fn binary_large_links_unreadable_and_non_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let outside = dir.path().join("outside");
    fs::create_dir_all(root.join("sub")).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("leak.txt"), SECRET_MAIN).unwrap();
    let mut binary = b"\x7fELF\0\0\0".to_vec();
    binary.extend_from_slice(SECRET_MAIN.as_bytes());
    fs::write(root.join("prog.bin"), binary).unwrap();
    fs::write(
        root.join("big.log"),
        format!("{}{SECRET_MAIN}\n", "x".repeat(5000)),
    )
    .unwrap();
    std::os::unix::fs::symlink(&root, root.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("out")).unwrap();
    std::os::unix::fs::symlink(outside.join("leak.txt"), root.join("leak-link.txt")).unwrap();
    let mut latin1 = b"caf\xe9 \xff\xfe = ".to_vec();
    latin1.extend_from_slice(KEY_BOT.as_bytes());
    fs::write(root.join("latin1.txt"), latin1).unwrap();
    let locked = root.join("locked.txt");
    fs::write(&locked, SECRET_MAIN).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let is_root = unsafe { libc::geteuid() } == 0;

    let mut options = ScanOptions::new(vec![root.clone()]);
    options.max_file_size = 4096;
    let report = run(&options);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o600)).unwrap();
    let s = &report.stats;
    assert_eq!(s.skipped_binary, 1, "{s:?}");
    assert_eq!(s.skipped_large, 1, "{s:?}");
    assert_eq!(s.skipped_links, 3, "{s:?}");
    if !is_root {
        assert_eq!(s.skipped_unreadable, 1, "{s:?}");
    }
    assert!(
        report.findings.iter().all(|f| !f.path.contains("outside")
            && !f.path.contains("prog.bin")
            && !f.path.contains("big.log")
            && !f.path.contains("leak-link")),
        "{:?}",
        report.findings
    );
    let latin = report
        .findings
        .iter()
        .find(|f| f.path.ends_with("latin1.txt"))
        .expect("non-UTF-8 text is scanned as bytes");
    assert_eq!(
        (latin.key_name.as_deref(), latin.line, latin.column),
        (Some("kraken-bot"), 1, 11)
    );
}

#[test]
fn gitignored_files_skipped_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(".gitignore"), "secrets/\n").unwrap();
    fs::create_dir(dir.path().join("secrets")).unwrap();
    fs::write(dir.path().join("secrets/keys.txt"), SECRET_MAIN).unwrap();
    let mut options = ScanOptions::new(vec![dir.path().to_path_buf()]);
    assert!(run(&options).findings.is_empty());
    options.include_ignored = true;
    let report = run(&options);
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    assert_eq!(report.findings[0].rule, "own-secret");
}

#[test]
fn cancelled_before_start_and_missing_root() {
    let dir = tempfile::tempdir().unwrap();
    plant(dir.path(), true);
    let report = scan(
        &ScanOptions::new(vec![dir.path().to_path_buf()]),
        &own(),
        &|_| {},
        &AtomicBool::new(true),
    )
    .unwrap();
    assert!(report.cancelled);
    assert_eq!(report.stats.files, 0);
    let err = scan(
        &ScanOptions::new(vec![dir.path().join("nope")]),
        &own(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    let file_root = run(&ScanOptions::new(vec![dir.path().join("bot/main.py")]));
    assert_eq!(file_root.findings.len(), 1);
}

#[test]
fn history_finds_a_deleted_secret_only_with_history() {
    if std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("git is not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    fs::create_dir(&repo).unwrap();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(status.status.success(), "{:?}", status);
    };
    git(&["init", "-q"]);
    fs::write(
        repo.join("config.py"),
        format!("SECRET = '{SECRET_MAIN}'\n"),
    )
    .unwrap();
    fs::write(repo.join("README"), "hello\n").unwrap();
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "add"]);
    git(&["rm", "-q", "config.py"]);
    git(&["commit", "-q", "-m", "remove"]);
    let mut options = ScanOptions::new(vec![dir.path().to_path_buf()]);
    assert!(run(&options)
        .findings
        .iter()
        .all(|f| f.kind != FindingKind::OwnSecret));
    options.history = true;
    let report = run(&options);
    let own: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::OwnSecret)
        .collect();
    assert_eq!(own.len(), 1, "{:?}", report.findings);
    assert_eq!(own[0].path, format!("{}@config.py", repo.display()));
    assert_eq!((own[0].line, own[0].column), (1, 11));
    // The commit that added the secret, not the one that removed it.
    let added = std::process::Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["rev-parse", "--short", "HEAD~1"])
        .output()
        .unwrap();
    let added = String::from_utf8(added.stdout).unwrap().trim().to_string();
    assert_eq!(own[0].commit.as_deref(), Some(added.as_str()));
    assert_no_full_secret(&report);
}
