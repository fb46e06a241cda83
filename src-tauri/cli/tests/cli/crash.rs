//! Crash safety: the real `keystead` binary SIGKILLed at seeded random moments during every kind of write
//! (add, edit, rotate, revoke, share import, passphrase change). After each kill the file passes SQLite's
//! integrity check, opens, holds every acknowledged write exactly, holds the killed write wholly or not at
//! all (key row, secret versions, fingerprints, name index and audit entries agree), and `audit --verify`
//! passes. `KEYSTEAD_PROOF_KILLS` sets how many kills (default 40), `KEYSTEAD_PROOF_SEED` the seed.

use crate::common::*;
use keystead_core::anchor::MemoryAnchor;
use keystead_core::vault::OpenOptions;
use keystead_core::{KdfParams, NewKey, SecretFields, ShareExport, SystemClock, Vault};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A small seeded generator (splitmix64): the same seed gives the same kinds, targets and kill delays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn token(&mut self, prefix: &str) -> String {
        format!("{prefix}{:016x}{:016x}", self.next(), self.next())
    }
}

pub fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn seed_from_env() -> u64 {
    std::env::var("KEYSTEAD_PROOF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

/// One key as a user would check it: what it is, its status, every secret version's values.
#[derive(Debug, Clone, PartialEq)]
struct KeyState {
    exchange: String,
    scopes: Vec<String>,
    ip: Vec<String>,
    notes: String,
    /// `Some(reason)` once revoked.
    revoked: Option<String>,
    /// Every version's fields and values, oldest first; the last is current.
    versions: Vec<BTreeMap<String, String>>,
}

/// The whole vault as the proof compares it: keys by name, the passphrase that opens it, and how many
/// audit events of each writing kind it holds.
#[derive(Debug, Clone, PartialEq)]
struct VaultState {
    keys: BTreeMap<String, KeyState>,
    passphrase: String,
    events: BTreeMap<String, usize>,
}

/// Audit actions that only writes of the kinds under test produce (reveals and unlocks are left out: the
/// check itself makes them).
const WRITE_ACTIONS: [&str; 6] = [
    "key_created",
    "key_edited",
    "key_rotated",
    "key_revoked",
    "share_imported",
    "passphrase_changed",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Add,
    Edit,
    Rotate,
    Revoke,
    ShareImport,
    Passwd,
}

const KINDS: [Kind; 6] = [
    Kind::Add,
    Kind::Edit,
    Kind::Rotate,
    Kind::Revoke,
    Kind::ShareImport,
    Kind::Passwd,
];

/// One write: the command line, its stdin and extra environment, and the state it leads to.
struct Planned {
    kind: Kind,
    args: Vec<String>,
    stdin: String,
    env: Vec<(String, String)>,
    after: VaultState,
}

fn binance_fields(api_key: &str, secret: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("apiKey".to_string(), api_key.to_string()),
        ("secret".to_string(), secret.to_string()),
    ])
}

fn bump(events: &mut BTreeMap<String, usize>, action: &str, by: usize) {
    *events.entry(action.to_string()).or_default() += by;
}

/// A share file the vault can import: one new key from the sender vault, encrypted to `recipient`.
struct ShareFile {
    path: std::path::PathBuf,
    name: String,
    key: KeyState,
}

/// The vault that sends share files, opened once in-process (one key derivation for the whole run).
struct Sender {
    _dir: tempfile::TempDir,
    vault: Vault,
    made: usize,
}

impl Sender {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sender.db");
        let vault = Vault::create(
            &path,
            &SecretString::from(PASSPHRASE),
            KdfParams::FLOOR,
            opts(),
        )
        .unwrap();
        Sender {
            _dir: dir,
            vault,
            made: 0,
        }
    }

    fn share_file(&mut self, rng: &mut Rng, dir: &Path, recipient: &str) -> ShareFile {
        self.made += 1;
        let name = format!("shared-{}", self.made);
        let (api_key, secret) = (rng.token("sk"), rng.token("ss"));
        let notes = rng.token("from-sender-");
        let mut fields = SecretFields::new();
        for (f, v) in [("apiKey", &api_key), ("secret", &secret)] {
            fields.insert(
                keystead_core::CredentialField::parse(f).unwrap(),
                SecretString::from(v.clone()),
            );
        }
        self.vault
            .add(
                NewKey {
                    name: name.clone(),
                    exchange: "binance".into(),
                    scopes: vec!["read".into()],
                    notes: notes.clone(),
                    ..NewKey::default()
                },
                fields,
            )
            .unwrap();
        let file = self
            .vault
            .share_export(&ShareExport {
                keys: vec![name.clone()],
                to: vec![recipient.to_string()],
                passphrase: None,
                armor: false,
                confirm_withdraw: vec![],
                sender_name: Some("sender".into()),
                scrypt_work_factor: None,
                step_up: None,
            })
            .unwrap();
        let path = dir.join(format!("{name}.age"));
        std::fs::write(&path, &file.bytes).unwrap();
        ShareFile {
            path,
            name,
            key: KeyState {
                exchange: "binance".into(),
                scopes: vec!["read".into()],
                ip: vec![],
                notes,
                revoked: None,
                versions: vec![binance_fields(&api_key, &secret)],
            },
        }
    }
}

fn opts() -> OpenOptions {
    OpenOptions::new(Arc::new(SystemClock), "proof").with_anchor(Arc::new(MemoryAnchor::default()))
}

/// The next write of `kind` from `state`; `None` when there is no key it could change.
fn plan(
    kind: Kind,
    state: &VaultState,
    rng: &mut Rng,
    serial: usize,
    share: &mut dyn FnMut(&mut Rng) -> ShareFile,
) -> Option<Planned> {
    let mut after = state.clone();
    let active: Vec<&String> = state
        .keys
        .iter()
        .filter(|(_, k)| k.revoked.is_none())
        .map(|(n, _)| n)
        .collect();
    let target = (!active.is_empty()).then(|| active[rng.below(active.len())].clone());
    let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let w: Planned = match kind {
        Kind::Add => {
            let name = format!("key-{serial}");
            let (api_key, secret, notes) = (rng.token("ak"), rng.token("as"), rng.token("n"));
            after.keys.insert(
                name.clone(),
                KeyState {
                    exchange: "binance".into(),
                    scopes: vec!["read".into()],
                    ip: vec![],
                    notes: notes.clone(),
                    revoked: None,
                    versions: vec![binance_fields(&api_key, &secret)],
                },
            );
            bump(&mut after.events, "key_created", 1);
            Planned {
                kind,
                args: owned(&[
                    "add",
                    "--name",
                    &name,
                    "--exchange",
                    "binance",
                    "--scopes",
                    "read",
                    "--notes",
                    &notes,
                    "--secrets-stdin",
                ]),
                stdin: json!({ "apiKey": api_key, "secret": secret }).to_string(),
                env: vec![],
                after,
            }
        }
        Kind::Edit => {
            let name = target?;
            let notes = rng.token("edited-");
            let ip = format!("203.0.113.{}", 1 + rng.below(250));
            let key = after.keys.get_mut(&name).unwrap();
            key.scopes = vec!["read".into(), "trade".into()];
            key.ip = vec![ip.clone()];
            key.notes = notes.clone();
            bump(&mut after.events, "key_edited", 1);
            Planned {
                kind,
                args: owned(&[
                    "edit",
                    &name,
                    "--scopes",
                    "read,trade",
                    "--ip",
                    &ip,
                    "--notes",
                    &notes,
                ]),
                stdin: String::new(),
                env: vec![],
                after,
            }
        }
        Kind::Rotate => {
            let name = target?;
            let (api_key, secret) = (rng.token("rk"), rng.token("rs"));
            after
                .keys
                .get_mut(&name)
                .unwrap()
                .versions
                .push(binance_fields(&api_key, &secret));
            bump(&mut after.events, "key_rotated", 1);
            Planned {
                kind,
                args: owned(&[
                    "rotate",
                    &name,
                    "--reason",
                    &format!("scheduled {serial}"),
                    "--secrets-stdin",
                ]),
                stdin: json!({ "apiKey": api_key, "secret": secret }).to_string(),
                env: vec![],
                after,
            }
        }
        Kind::Revoke => {
            let name = target?;
            let reason = rng.token("left-");
            after.keys.get_mut(&name).unwrap().revoked = Some(reason.clone());
            bump(&mut after.events, "key_revoked", 1);
            Planned {
                kind,
                args: owned(&["revoke", &name, "--reason", &reason]),
                stdin: String::new(),
                env: vec![],
                after,
            }
        }
        Kind::ShareImport => {
            let file = share(rng);
            after.keys.insert(file.name.clone(), file.key);
            // One key added: its own event is the import's one line.
            bump(&mut after.events, "share_imported", 1);
            Planned {
                kind,
                args: owned(&["share", "import", &file.path.to_string_lossy(), "--yes"]),
                stdin: String::new(),
                env: vec![],
                after,
            }
        }
        Kind::Passwd => {
            let new = rng.token("pass-");
            after.passphrase = new.clone();
            bump(&mut after.events, "passphrase_changed", 1);
            Planned {
                kind,
                args: owned(&["passwd"]),
                stdin: String::new(),
                env: vec![("KEYSTEAD_NEW_PASSPHRASE".into(), new)],
                after,
            }
        }
    };
    Some(w)
}

/// How a run ended.
enum Ending {
    /// Exited by itself (the write acknowledged when the status is 0).
    Exited(ExitStatus, String),
    /// SIGKILLed while still running.
    Killed,
}

/// The `keystead` command as the harness runs it (the same environment as `common::Cmd`).
fn command(sb: &Sandbox, passphrase: &str, args: &[String], env: &[(String, String)]) -> Command {
    let dir = sb.dir.path();
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(v) = std::env::var_os("PATH") {
        cmd.env("PATH", v);
    }
    cmd.env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("xdg-data"))
        .env("XDG_CONFIG_HOME", dir.join("xdg-config"))
        .env("XDG_CACHE_HOME", dir.join("xdg-cache"))
        .env("TZ", "UTC")
        .env("KEYSTEAD_VAULT", &sb.vault)
        .env("KEYSTEAD_PASSPHRASE", passphrase)
        .env("KEYSTEAD_KDF_TARGET_MS", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// When to send SIGKILL: a fraction of the run's key derivation, or of the rest after it (where the
/// write happens).
#[derive(Debug, Clone, Copy)]
enum KillAt {
    DuringUnlock(f64),
    AfterUnlock(f64),
}

/// How long the phases of an acknowledged run took: up to the end of the unlock's key derivation (the
/// WAL file's first change after a quiet stretch: the throttle notes the attempt before deriving, clears it after) and
/// from there to the exit.
#[derive(Debug, Clone, Copy)]
struct Phases {
    unlock: Duration,
    rest: Duration,
}

/// Shorter than any Argon2id run at the floor (64 MiB, 3 passes), longer than the gaps between the
/// transactions of one command.
const KDF_QUIET: Duration = Duration::from_millis(40);

/// The WAL's size and modification time, to see a transaction land from outside the process.
fn wal_mark(path: &Path) -> Option<(u64, SystemTime)> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let m = std::fs::metadata(std::path::PathBuf::from(wal)).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// Runs `w`, sending SIGKILL at `kill` (measured against `phases` of earlier runs) if it still runs then.
fn run_write(
    sb: &Sandbox,
    passphrase: &str,
    w: &Planned,
    kill: Option<(KillAt, Phases)>,
) -> (Ending, Option<Phases>) {
    let started = Instant::now();
    let mut last = wal_mark(&sb.vault);
    let mut last_change = started;
    let mut unlocked: Option<Instant> = None;
    let mut child = command(sb, passphrase, &w.args, &w.env).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(w.stdin.as_bytes());
    drop(stdin);
    let mut stderr = child.stderr.take().unwrap();
    let reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let hang = Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let phases = unlocked.map(|u| Phases {
                unlock: u - started,
                rest: u.elapsed(),
            });
            return (Ending::Exited(status, reader.join().unwrap()), phases);
        }
        if unlocked.is_none() {
            let now = wal_mark(&sb.vault);
            if now != last {
                last = now;
                // The first change after a quiet stretch as long as a key derivation: the throttle
                // clearing the attempt it noted before deriving.
                if last_change.elapsed() >= KDF_QUIET {
                    unlocked = Some(Instant::now());
                }
                last_change = Instant::now();
            }
        }
        let due = kill.is_some_and(|(at, p)| match at {
            KillAt::DuringUnlock(u) => started.elapsed() >= p.unlock.mul_f64(u),
            KillAt::AfterUnlock(u) => unlocked.is_some_and(|t| t.elapsed() >= p.rest.mul_f64(u)),
        });
        if due {
            child.kill().unwrap();
            let status = child.wait().unwrap();
            let _ = reader.join();
            // It may have exited between the last look and the signal.
            let ending = if status.code().is_some() {
                Ending::Exited(status, String::new())
            } else {
                Ending::Killed
            };
            return (ending, None);
        }
        assert!(
            started.elapsed() < hang,
            "`keystead {}` hung",
            w.args.join(" ")
        );
        thread::sleep(Duration::from_micros(100));
    }
}

/// The header's wrapped vault key: it changes exactly when a passphrase change commits.
fn wrapped_key(path: &Path) -> Vec<u8> {
    let db = rusqlite::Connection::open(path).unwrap();
    db.query_row("SELECT wrapped_key FROM header", [], |r| r.get(0))
        .unwrap()
}

/// Everything the proof checks after a kill, read the way an attacker and a user would: SQLite's own
/// integrity check on the file as the kill left it, then the vault opened through keystead-core (no
/// warning, audit chain intact, every key found by name, every secret version revealed, fingerprint and
/// name-index rows matching the keys), then `keystead audit --verify`.
fn observe(sb: &Sandbox, passphrase: &str, context: &str) -> VaultState {
    {
        let db = rusqlite::Connection::open(&sb.vault).unwrap();
        let check: String = db
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "integrity_check after {context}");
    }
    let mut vault = Vault::unlock(&sb.vault, &SecretString::from(passphrase), opts())
        .unwrap_or_else(|e| panic!("the vault does not open after {context}: {e}"));
    assert!(
        vault.warnings().is_empty(),
        "warnings after {context}: {:?}",
        vault.warnings()
    );
    let report = vault.verify_audit().unwrap();
    assert!(
        report.problem.is_none(),
        "audit chain broken after {context}: {:?}",
        report.problem
    );
    let mut events = BTreeMap::new();
    for record in vault.audit_log().unwrap() {
        let action = serde_json::to_value(record.event.action).unwrap();
        let action = action.as_str().unwrap().to_string();
        if WRITE_ACTIONS.contains(&action.as_str()) {
            *events.entry(action).or_default() += 1;
        }
    }
    let mut keys = BTreeMap::new();
    let mut ids = BTreeMap::new();
    for summary in vault.list().unwrap() {
        let name = summary.name.clone();
        let detail = vault.detail(&name).unwrap();
        let s = serde_json::to_value(&detail.summary).unwrap();
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect()
        };
        let current = detail.versions.last().map(|v| v.version);
        let mut versions = Vec::new();
        for version in &detail.versions {
            let mut fields = BTreeMap::new();
            for field in &version.fields {
                let which = (Some(version.version) != current).then_some(version.version);
                let value = vault.reveal(&name, *field, which, None).unwrap();
                fields.insert(
                    field.as_str().to_string(),
                    value.expose_secret().to_string(),
                );
            }
            versions.push(fields);
        }
        let revoked = match s["status"].as_str().unwrap() {
            "active" => None,
            "revoked" => Some(detail.status_reason.clone().unwrap_or_default()),
            other => panic!("unexpected status {other} after {context}"),
        };
        ids.insert(name.clone(), (summary.id.to_string(), revoked.is_none()));
        keys.insert(
            name,
            KeyState {
                exchange: s["exchange"].as_str().unwrap().to_string(),
                scopes: strings(&s["scopes"]),
                ip: strings(&s["ip_allowlist"]),
                notes: detail.notes.clone(),
                revoked,
                versions,
            },
        );
    }
    drop(vault);
    // The lookup columns agree with the sealed rows: one name tag per key, and two fingerprints (API key
    // and secret) for each active key, none for a revoked one.
    let db = rusqlite::Connection::open(&sb.vault).unwrap();
    let (rows, tags): (i64, i64) = db
        .query_row(
            "SELECT count(*), count(DISTINCT name_tag) FROM entries",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (rows as usize, tags as usize),
        (keys.len(), keys.len()),
        "rows / name tags after {context}"
    );
    let orphans: i64 = db
        .query_row(
            "SELECT count(*) FROM secret_fingerprints WHERE entry_id NOT IN (SELECT id FROM entries)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0, "fingerprints of no key after {context}");
    for (name, (id, active)) in &ids {
        let n: i64 = db
            .query_row(
                "SELECT count(*) FROM secret_fingerprints WHERE entry_id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            n,
            if *active { 2 } else { 0 },
            "fingerprints of {name} after {context}"
        );
    }
    drop(db);
    let verify = command(sb, passphrase, &["audit".into(), "--verify".into()], &[])
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "`keystead audit --verify` after {context}: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    VaultState {
        keys,
        passphrase: passphrase.to_string(),
        events,
    }
}

/// What the kill runs counted.
#[derive(Debug, Default)]
pub struct KillFigures {
    pub attempts: usize,
    /// SIGKILL reached a running process.
    pub kills: usize,
    /// Of those, the write was found committed (killed between its commit and its exit).
    pub killed_committed: usize,
    /// The write finished (exit 0) before the kill was due.
    pub acknowledged: usize,
    pub by_kind: BTreeMap<String, (usize, usize)>,
}

/// Runs `kills` SIGKILLs (and the acknowledged writes between them) from `seed`; panics on the first
/// broken rule, naming the seed.
pub fn kill_proof(kills: usize, seed: u64) -> KillFigures {
    let mut rng = Rng(seed);
    let mut sender = Sender::new();
    let mut figures = KillFigures::default();
    // The phases of each kind's last acknowledged run; the kill moment is drawn against them.
    let mut took: BTreeMap<Kind, Phases> = BTreeMap::new();
    let mut serial = 0;
    while figures.kills < kills {
        // A fresh vault every 16 writes keeps each check small.
        let sb = Sandbox::init();
        let recipient = {
            let mut v = Vault::unlock(&sb.vault, &SecretString::from(PASSPHRASE), opts()).unwrap();
            v.sharing_key().unwrap().sharing_key
        };
        let files = sb.dir.path().to_path_buf();
        let mut state = observe(&sb, PASSPHRASE, &format!("init (seed {seed})"));
        // The header as it is before each write: a killed `passwd` committed exactly when it changed.
        let mut header = wrapped_key(&sb.vault);
        for step in 0..16 {
            if figures.kills >= kills {
                break;
            }
            serial += 1;
            let kind = KINDS[(step + rng.below(KINDS.len())) % KINDS.len()];
            let mut share = |rng: &mut Rng| sender.share_file(rng, &files, &recipient);
            let kind = if step < 2 { Kind::Add } else { kind };
            let Some(w) = plan(kind, &state, &mut rng, serial, &mut share)
                .or_else(|| plan(Kind::Add, &state, &mut rng, serial, &mut share))
            else {
                unreachable!("an add is always possible")
            };
            // Most kills land after the unlock's key derivation, where the write happens; some during it.
            // The first two writes of a vault are left to finish, so that it has keys to change.
            let kill = took.get(&w.kind).filter(|_| step >= 2).map(|p| {
                let at = match rng.below(10) {
                    0 => KillAt::DuringUnlock(rng.unit()),
                    1..=4 => KillAt::AfterUnlock(1.05 * rng.unit()),
                    _ => KillAt::AfterUnlock(0.7 + 0.35 * rng.unit()),
                };
                (at, *p)
            });
            let context = format!(
                "`keystead {}` (seed {seed}, write #{serial}, {:?})",
                w.args.join(" "),
                w.kind
            );
            let (ending, phases) = run_write(&sb, &state.passphrase, &w, kill);
            if std::env::var_os("KEYSTEAD_PROOF_DEBUG").is_some() {
                eprintln!(
                    "{:?} kill {kill:?} phases {phases:?} killed {}",
                    w.kind,
                    matches!(ending, Ending::Killed)
                );
            }
            figures.attempts += 1;
            let entry = figures.by_kind.entry(format!("{:?}", w.kind)).or_default();
            match ending {
                Ending::Exited(status, stderr) => {
                    assert!(
                        status.success(),
                        "{context} failed unkilled: {status}\n{stderr}"
                    );
                    figures.acknowledged += 1;
                    if let Some(p) = phases {
                        took.insert(w.kind, p);
                    }
                    let seen = observe(&sb, &w.after.passphrase, &context);
                    assert_eq!(
                        seen, w.after,
                        "{context} exited 0 but its write is not exactly there"
                    );
                    state = seen;
                }
                Ending::Killed => {
                    figures.kills += 1;
                    if figures.kills % 100 == 0 {
                        eprintln!("crash proof: {} kills so far", figures.kills);
                    }
                    entry.0 += 1;
                    let passphrase = if w.kind == Kind::Passwd && wrapped_key(&sb.vault) != header {
                        w.after.passphrase.clone()
                    } else {
                        state.passphrase.clone()
                    };
                    let killed = format!("SIGKILL during {context}");
                    let seen = observe(&sb, &passphrase, &killed);
                    if seen == w.after {
                        figures.killed_committed += 1;
                        entry.1 += 1;
                    } else {
                        assert_eq!(
                            seen, state,
                            "after {killed} the vault is neither as before the write nor as after it"
                        );
                    }
                    state = seen;
                }
            }
            header = wrapped_key(&sb.vault);
        }
    }
    figures
}

#[test]
fn sigkill_during_any_write_leaves_every_acknowledged_write_and_the_killed_one_whole_or_absent() {
    let kills = env_count("KEYSTEAD_PROOF_KILLS", 40);
    let seed = seed_from_env();
    eprintln!("crash proof: {kills} kills, seed {seed} (KEYSTEAD_PROOF_SEED={seed} repeats it)");
    let started = Instant::now();
    let f = kill_proof(kills, seed);
    eprintln!(
        "crash proof: seed {seed}: {} writes, {} SIGKILLs survived ({} after the write had committed), \
         {} acknowledged writes intact, by kind (kills, committed): {:?}, {:.0} s",
        f.attempts,
        f.kills,
        f.killed_committed,
        f.acknowledged,
        f.by_kind,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(f.kills, kills);
}
