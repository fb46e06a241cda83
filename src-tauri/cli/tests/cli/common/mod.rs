//! Harness for the end-to-end tests: every test gets a [`Sandbox`] (its own temporary directory, vault
//! path and HOME) and runs the built `keystead` binary in it, so tests can run in parallel.

use rusqlite::Connection;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tempfile::TempDir;

/// The built CLI.
pub const BIN: &str = env!("CARGO_BIN_EXE_keystead");

/// The passphrase every sandbox uses unless a test says otherwise.
pub const PASSPHRASE: &str = "correct horse battery staple";

/// Longest a single command may take before the test fails (a hang is a failure, not a wait).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

// Realistic-looking secrets (not real keys).
pub const BINANCE_API_KEY: &str =
    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
pub const BINANCE_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
pub const OKX_API_KEY: &str = "3c1a7f0e-5b2d-4e8a-9f61-2d7c4b8e0a13";
pub const OKX_SECRET: &str = "8F2C4A1E9B7D3F605E1A2B3C4D5E6F70";
pub const OKX_PASSWORD: &str = "Tr4d1ng-Passphrase!";

/// `--secrets-stdin` input for a Binance key.
pub fn binance_secrets() -> String {
    json!({ "apiKey": BINANCE_API_KEY, "secret": BINANCE_SECRET }).to_string()
}

/// `--secrets-stdin` input for an OKX key (OKX needs the API passphrase as `password`).
pub fn okx_secrets() -> String {
    json!({ "apiKey": OKX_API_KEY, "secret": OKX_SECRET, "password": OKX_PASSWORD }).to_string()
}

/// What one command did.
#[derive(Debug, Clone)]
pub struct Out {
    pub args: Vec<String>,
    /// `None` when killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// The command and everything it printed, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "`keystead {}` exited with {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }

    /// stdout and stderr together.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Asserts exit 0.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, Some(0), "expected success\n{}", self.describe());
        self
    }

    /// Asserts the exit code and nothing else.
    #[track_caller]
    pub fn exits(self, code: i32) -> Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit {code}\n{}",
            self.describe()
        );
        self
    }

    /// Asserts an error exit: the code, and the error as one line on stderr starting with `error: `, after
    /// any progress or warning lines.
    #[track_caller]
    pub fn fails(self, code: i32) -> Self {
        let out = self.exits(code);
        let lines: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        let errors = lines.iter().filter(|l| l.starts_with("error: ")).count();
        assert!(
            errors == 1 && lines.last().is_some_and(|l| l.starts_with("error: ")),
            "expected the error as one stderr line starting with `error: `, at the end\n{}",
            out.describe()
        );
        out
    }

    /// Asserts that stderr contains `needle` (case-insensitive).
    #[track_caller]
    pub fn stderr_mentions(self, needle: &str) -> Self {
        assert!(
            self.stderr.to_lowercase().contains(&needle.to_lowercase()),
            "expected stderr to mention {needle:?}\n{}",
            self.describe()
        );
        self
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", self.describe()))
    }
}

/// One command being prepared.
pub struct Cmd<'a> {
    sandbox: &'a Sandbox,
    args: Vec<String>,
    stdin: Vec<u8>,
    env: Vec<(String, Option<String>)>,
    timeout: Duration,
}

impl Cmd<'_> {
    /// Bytes written to the command's stdin (then closed). Without this, stdin is empty.
    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.stdin = data.into();
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), Some(value.to_string())));
        self
    }

    pub fn env_remove(mut self, key: &str) -> Self {
        self.env.push((key.to_string(), None));
        self
    }

    /// Runs with this vault passphrase instead of the sandbox's.
    pub fn passphrase(self, passphrase: &str) -> Self {
        self.env("KEYSTEAD_PASSPHRASE", passphrase)
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs the command to completion (killing it and failing the test after the timeout).
    #[track_caller]
    pub fn run(self) -> Out {
        let dir = self.sandbox.dir.path();
        let mut cmd = Command::new(BIN);
        cmd.args(&self.args)
            .current_dir(dir)
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for inherited in ["PATH", "LLVM_PROFILE_FILE"] {
            if let Some(v) = std::env::var_os(inherited) {
                cmd.env(inherited, v);
            }
        }
        cmd.env("HOME", dir)
            .env("XDG_DATA_HOME", dir.join("xdg-data"))
            .env("XDG_CONFIG_HOME", dir.join("xdg-config"))
            .env("XDG_CACHE_HOME", dir.join("xdg-cache"))
            .env("TZ", "UTC")
            .env("KEYSTEAD_VAULT", &self.sandbox.vault)
            .env("KEYSTEAD_PASSPHRASE", &self.sandbox.passphrase)
            .env("KEYSTEAD_KDF_TARGET_MS", "1");
        for (key, value) in &self.env {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }

        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"));
        let mut stdin = child.stdin.take().expect("piped stdin");
        let input = self.stdin;
        let writer = thread::spawn(move || {
            // The command may exit without reading; a broken pipe is not the test's concern.
            let _ = stdin.write_all(&input);
        });
        let mut stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let out_reader = thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stdout.read_to_end(&mut buf);
            buf
        });
        let err_reader = thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf);
            buf
        });

        let deadline = Instant::now() + self.timeout;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for keystead") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`keystead {}` was still running after {:?}; killed it",
                    self.args.join(" "),
                    self.timeout
                );
            }
            thread::sleep(Duration::from_millis(10));
        };
        let _ = writer.join();
        let stdout = String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned();
        let stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
        let out = Out {
            args: self.args,
            code: status.code(),
            stdout,
            stderr,
        };
        self.sandbox.transcript.lock().unwrap().push(out.clone());
        out
    }
}

/// One row of the entries table: id, generation, meta, secrets, history.
pub type EntryRow = (String, i64, Vec<u8>, Vec<u8>, Vec<u8>);

/// A temporary directory holding one vault, used by one test.
pub struct Sandbox {
    pub dir: TempDir,
    pub vault: PathBuf,
    pub passphrase: String,
    transcript: Mutex<Vec<Out>>,
}

impl Sandbox {
    /// A sandbox with no vault yet.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("keystead-e2e-")
            .tempdir()
            .expect("tempdir");
        let vault = dir.path().join("vault.db");
        Self {
            dir,
            vault,
            passphrase: PASSPHRASE.to_string(),
            transcript: Mutex::new(Vec::new()),
        }
    }

    /// A sandbox with an initialised, empty vault.
    #[track_caller]
    pub fn init() -> Self {
        let sandbox = Self::new();
        sandbox.run(&["init"]).ok();
        assert!(
            sandbox.vault.exists(),
            "init did not create {}",
            sandbox.vault.display()
        );
        sandbox
    }

    /// [`Sandbox::init`] holding `binance-main` (binance, read), and `okx-bot` (okx, read) when `okx`.
    #[track_caller]
    pub fn with_read_keys(okx: bool) -> Self {
        let sandbox = Self::init();
        sandbox.add(
            "binance-main",
            "binance",
            &["--scopes", "read"],
            &binance_secrets(),
        );
        if okx {
            sandbox.add("okx-bot", "okx", &["--scopes", "read"], &okx_secrets());
        }
        sandbox
    }

    pub fn cmd(&self, args: &[&str]) -> Cmd<'_> {
        Cmd {
            sandbox: self,
            args: args.iter().map(|a| a.to_string()).collect(),
            stdin: Vec::new(),
            env: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Out {
        self.cmd(args).run()
    }

    /// Every command run so far in this sandbox, in order.
    pub fn transcript(&self) -> Vec<Out> {
        self.transcript.lock().unwrap().clone()
    }

    /// `add --name NAME --exchange EXCHANGE EXTRA... --secrets-stdin`, asserting success.
    #[track_caller]
    pub fn add(&self, name: &str, exchange: &str, extra: &[&str], secrets: &str) -> Out {
        let mut args = vec!["add", "--name", name, "--exchange", exchange];
        args.extend_from_slice(extra);
        args.push("--secrets-stdin");
        self.cmd(&args).stdin(secrets).run().ok()
    }

    /// `list --json`, asserting success.
    #[track_caller]
    pub fn list(&self) -> Vec<Value> {
        let out = self.run(&["list", "--json"]).ok();
        match out.json() {
            Value::Array(items) => items,
            other => panic!("list --json did not print an array: {other}"),
        }
    }

    /// The `list --json` element for `name`.
    #[track_caller]
    pub fn key(&self, name: &str) -> Value {
        let list = self.list();
        list.iter()
            .find(|k| k["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no key {name:?} in list --json: {list:#?}"))
    }

    /// `show NAME --json`, asserting success.
    #[track_caller]
    pub fn show(&self, name: &str) -> Value {
        self.run(&["show", name, "--json"]).ok().json()
    }

    /// `reveal NAME FIELD [ARGS...]`: asserts success and that exactly one line was printed; returns it.
    #[track_caller]
    pub fn reveal(&self, name: &str, field: &str, extra: &[&str]) -> String {
        let mut args = vec!["reveal", name, field];
        args.extend_from_slice(extra);
        let out = self.run(&args).ok();
        let value = out.stdout.strip_suffix('\n').unwrap_or_else(|| {
            panic!(
                "reveal output does not end with a newline\n{}",
                out.describe()
            )
        });
        assert!(
            !value.contains('\n'),
            "reveal printed more than one line\n{}",
            out.describe()
        );
        value.to_string()
    }

    /// `audit --json`, asserting success.
    #[track_caller]
    pub fn audit(&self) -> Vec<Value> {
        match self.run(&["audit", "--json"]).ok().json() {
            Value::Array(items) => items,
            other => panic!("audit --json did not print an array: {other}"),
        }
    }

    /// The actions in the audit log, leaving out the `vault_unlocked` events that merely opening the vault
    /// may record: what was done to the vault and its keys.
    #[track_caller]
    pub fn changes(&self) -> Vec<Value> {
        self.audit()
            .into_iter()
            .filter(|e| e["action"] != "vault_unlocked")
            .map(|mut e| {
                // `seq` shifts when unlock events are interleaved; compare what happened, not where.
                if let Value::Object(m) = &mut e {
                    m.remove("seq");
                }
                e
            })
            .collect()
    }

    /// Opens the vault file directly (only while no keystead process runs in this sandbox).
    pub fn db(&self) -> Connection {
        Connection::open(&self.vault).expect("open vault with rusqlite")
    }

    /// `id` of the key named `name`, as the entries table stores it.
    #[track_caller]
    pub fn entry_id(&self, name: &str) -> String {
        let id = self.key(name)["id"]
            .as_str()
            .expect("id is a string")
            .to_string();
        let found: i64 = self
            .db()
            .query_row("SELECT count(*) FROM entries WHERE id = ?1", [&id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(
            found, 1,
            "list --json id {id} is not a row id in the entries table"
        );
        id
    }

    /// Every row of the entries table, for "nothing changed" comparisons.
    pub fn entries_rows(&self) -> Vec<EntryRow> {
        let db = self.db();
        let mut stmt = db
            .prepare("SELECT id, generation, meta, secrets, history FROM entries ORDER BY id")
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows
    }

    /// Flips one bit in the middle of a BLOB column of the entries row `id`.
    pub fn flip_entry_byte(&self, id: &str, column: &str) {
        let db = self.db();
        let mut blob: Vec<u8> = db
            .query_row(
                &format!("SELECT {column} FROM entries WHERE id = ?1"),
                [id],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!blob.is_empty(), "{column} of {id} is empty");
        let at = blob.len() / 2;
        blob[at] ^= 0x01;
        let n = db
            .execute(
                &format!("UPDATE entries SET {column} = ?1 WHERE id = ?2"),
                rusqlite::params![blob, id],
            )
            .unwrap();
        assert_eq!(n, 1);
    }

    /// Every file under the sandbox directory (vault, WAL, anything the CLI wrote into HOME).
    pub fn files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    out.push((path, bytes));
                }
            }
        }
        let mut out = Vec::new();
        walk(self.dir.path(), &mut out);
        out
    }
}

/// Whether `haystack` contains `needle` as bytes.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether `text` names audit entry `#n` (and not, say, `#30` for `#3`).
pub fn names_entry(text: &str, n: i64) -> bool {
    let needle = format!("#{n}");
    text.match_indices(&needle)
        .any(|(i, _)| !text[i + needle.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

/// A string no other test uses, for canaries.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos:x}", std::process::id())
}

/// `YYYY-MM-DD` of today (UTC) plus `days`.
pub fn date_in_days(days: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (y, m, d) = civil_from_days(now.div_euclid(86_400) + days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Seconds since the Unix epoch of an RFC 3339 time such as `2027-03-01T00:00:00Z` or `…+02:00`.
#[track_caller]
pub fn epoch_seconds(rfc3339: &str) -> f64 {
    let bad = || -> ! { panic!("not an RFC 3339 time: {rfc3339:?}") };
    let t = rfc3339.trim();
    if t.len() < 20 || !t.is_char_boundary(19) {
        bad();
    }
    let num = |s: &str| -> i64 { s.parse().unwrap_or_else(|_| bad()) };
    let (y, mo, d) = (num(&t[0..4]), num(&t[5..7]), num(&t[8..10]));
    let (h, mi, s) = (num(&t[11..13]), num(&t[14..16]), num(&t[17..19]));
    let mut rest = &t[19..];
    let mut frac = 0.0;
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        frac = format!("0.{}", &r[..digits])
            .parse::<f64>()
            .unwrap_or_else(|_| bad());
        rest = &r[digits..];
    }
    let offset = if rest == "Z" || rest == "z" {
        0
    } else if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) {
        let sign = if rest.starts_with('-') { -1 } else { 1 };
        sign * (num(&rest[1..3]) * 3600 + num(&rest[4..6]) * 60)
    } else {
        bad()
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset;
    secs as f64 + frac
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Strings in a JSON array value.
#[track_caller]
pub fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("not a string: {v}"))
                .to_string()
        })
        .collect()
}

/// Every secret the harness feeds in: none may be printed after the vault file was altered.
pub const ALL_TEST_SECRETS: [&str; 5] = [
    BINANCE_API_KEY,
    BINANCE_SECRET,
    OKX_API_KEY,
    OKX_SECRET,
    OKX_PASSWORD,
];

#[track_caller]
pub fn prints_no_secret(out: &Out) {
    for secret in ALL_TEST_SECRETS {
        assert!(
            !out.output().contains(secret),
            "printed a secret after tampering\n{}",
            out.describe()
        );
    }
}

/// `whoami --json`.
pub fn whoami(sb: &Sandbox) -> Value {
    sb.run(&["whoami", "--json"]).ok().json()
}

/// The one-line sharing key of a `whoami --json` answer.
pub fn ka_str(v: &Value) -> &str {
    v["sharing_key"].as_str().expect("sharing_key")
}
