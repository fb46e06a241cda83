//! Corruption: one byte at a time changed (XOR with a seeded non-zero mask) in a small vault file and its
//! un-checkpointed WAL, and in share files (binary and armored to a recipient, and passphrase-protected).
//! Each variant is refused with an error, or opens with a warning, or reads back exactly the original:
//! every key's metadata and every secret version revealed, the contacts and the audit log; 0 panics,
//! 0 hangs (each case has a time limit), 0 different plaintext without an error or warning.
//! `KEYSTEAD_PROOF_VAULT_FLIPS` sets how many vault positions (default 30; each open derives the key
//! unless the `proof` feature remembers it), `KEYSTEAD_PROOF_SHARE_FLIPS` how many per share file
//! (default 400; more than the file's size: every byte), `KEYSTEAD_PROOF_SEED` the seed.

mod common;

use common::proof::{env_count, seed_from_env, Rng};
use common::PASS;
use keystead_core::anchor::{AnchorKey, Mark, RollbackAnchor, Seen};
use keystead_core::vault::OpenOptions;
use keystead_core::{
    CredentialField, ImportChoice, KdfParams, KeyEdit, NewKey, SecretFields, ShareExport,
    SystemClock, Vault,
};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A case that takes longer than this is a hang (a key derivation on a loaded machine takes ~1 s).
const CASE_LIMIT: Duration = Duration::from_secs(60);

/// `count` positions of `0..len` spread evenly with a seeded offset in each stride (every position when
/// `count >= len`).
fn positions(len: usize, count: usize, rng: &mut Rng) -> Vec<usize> {
    if count >= len {
        return (0..len).collect();
    }
    (0..count)
        .map(|i| {
            let (a, b) = (i * len / count, (i + 1) * len / count);
            a + rng.below((b - a) as u64) as usize
        })
        .collect()
}

/// How one case ended.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// Refused when opened (the error's kind).
    Refused(String),
    /// Opened, and said the file is damaged or older (a warning, or the audit check); `true` when what
    /// it showed was the original all the same (e.g. an older state: a damaged WAL frame ends the log).
    Flagged(bool),
    /// Opened, and a read of a key, a secret, the contacts or the log was refused.
    RefusedRead(String),
    /// Read back exactly the original.
    Identical,
    /// Read back something else without any error or warning: the failure this proof looks for.
    Different(String),
}

/// Runs `case` on a thread with a time limit; a panic or a hang fails the proof with `what`.
fn guarded<T: Send + 'static>(what: &str, case: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(catch_unwind(AssertUnwindSafe(case)));
    });
    match rx.recv_timeout(CASE_LIMIT) {
        Ok(Ok(out)) => out,
        Ok(Err(panic)) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("PANIC on {what}: {msg}")
        }
        Err(_) => panic!("HANG on {what}: no answer within {CASE_LIMIT:?}"),
    }
}

fn kind_of(e: &keystead_core::Error) -> String {
    let debug = format!("{e:?}");
    let kind = debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string();
    // A clear error: it says something.
    assert!(
        !e.to_string().trim().is_empty(),
        "an empty error message ({kind})"
    );
    kind
}

/// A rollback anchor holding the original file's commit counter, as the machine that wrote it would.
struct ProofAnchor(Mutex<Option<Mark>>);

impl RollbackAnchor for ProofAnchor {
    fn seen(&self, _: &str, _: &AnchorKey) -> Seen {
        self.0.lock().unwrap().map_or(Seen::Nothing, Seen::Counter)
    }
    fn record(&self, _: &str, _: &AnchorKey, mark: Mark) {
        *self.0.lock().unwrap() = Some(mark);
    }
}

fn opts(counter: Option<u64>) -> OpenOptions {
    let mark = counter.map(|counter| Mark {
        counter,
        disputed: false,
    });
    OpenOptions::new(Arc::new(SystemClock), "proof")
        .with_anchor(Arc::new(ProofAnchor(Mutex::new(mark))))
}

/// One key: its summary (without the clock-derived due fields), notes, and every version's secrets.
type KeySeen = (serde_json::Value, String, Vec<BTreeMap<String, String>>);

/// Everything a user can read back from a vault.
#[derive(Debug, Clone, PartialEq)]
struct Contents {
    keys: BTreeMap<String, KeySeen>,
    contacts: Vec<String>,
    audit: Vec<serde_json::Value>,
}

fn summary_json(d: &keystead_core::KeyDetail) -> serde_json::Value {
    let mut summary = serde_json::to_value(&d.summary).unwrap();
    // Derived from the clock, or (last use) written by the reveals that read the contents back.
    for k in [
        "days_left",
        "due_state",
        "due_at",
        "due_kind",
        "due_reason",
        "last_used_at",
        "last_use",
    ] {
        summary.as_object_mut().unwrap().remove(k);
    }
    summary
}

/// Reads every key, secret version, contact and audit entry; the first refused read is the error.
fn contents(v: &mut Vault) -> keystead_core::Result<Contents> {
    let audit = v
        .audit_log()?
        .iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    let mut keys = BTreeMap::new();
    for s in v.list()? {
        let d = v.detail(&s.name)?;
        let current = d.versions.last().map(|x| x.version);
        let mut versions = Vec::new();
        for ver in &d.versions {
            let mut fields = BTreeMap::new();
            for f in &ver.fields {
                let which = (Some(ver.version) != current).then_some(ver.version);
                let value = v.reveal(&s.name, *f, which, None)?;
                fields.insert(f.as_str().to_string(), value.expose_secret().to_string());
            }
            versions.push(fields);
        }
        keys.insert(
            s.name.clone(),
            (summary_json(&d), d.notes.clone(), versions),
        );
    }
    let contacts = v.contacts()?.into_iter().map(|c| c.name).collect();
    Ok(Contents {
        keys,
        contacts,
        audit,
    })
}

fn fields(pairs: &[(CredentialField, &str)]) -> SecretFields {
    common::secrets(pairs)
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    }
}

/// A small vault: three keys (one rotated, one revoked), a contact, then changes left in the WAL only.
/// Returns the file, its WAL (with frames) and the commit counter.
fn small_vault(dir: &Path) -> (Vec<u8>, Vec<u8>, u64) {
    let path = dir.join("original.db");
    let mut v = Vault::create(
        &path,
        &SecretString::from(PASS),
        KdfParams::FLOOR,
        opts(None),
    )
    .unwrap();
    let new = |name: &str, exchange: &str| NewKey {
        name: name.into(),
        exchange: exchange.into(),
        scopes: vec!["read".into(), "trade".into()],
        ip_allowlist: vec!["203.0.113.7".into()],
        notes: format!("notes of {name}"),
        ..NewKey::default()
    };
    use CredentialField::*;
    v.add(
        new("binance-main", "binance"),
        fields(&[(ApiKey, "bin-api-key-0001"), (Secret, "bin-secret-0001")]),
    )
    .unwrap();
    v.add(
        new("okx-bot", "okx"),
        fields(&[
            (ApiKey, "okx-api-key-0001"),
            (Secret, "okx-secret-0001"),
            (Password, "okx-pass-0001"),
        ]),
    )
    .unwrap();
    v.add(
        new("kraken-old", "kraken"),
        fields(&[(ApiKey, "kraken-api-0001"), (Secret, "kraken-secret-0001")]),
    )
    .unwrap();
    v.revoke("kraken-old", Some("left the team".into()))
        .unwrap();
    let contact = age::x25519::Identity::generate().to_public().to_string();
    v.add_contact("bob", &contact).unwrap();
    v.checkpoint().unwrap();
    // Left in the WAL: a rotation, an edit.
    v.rotate(
        "binance-main",
        fields(&[(ApiKey, "bin-api-key-0002"), (Secret, "bin-secret-0002")]),
        Some("scheduled".into()),
    )
    .unwrap();
    v.edit(
        "okx-bot",
        KeyEdit {
            notes: Some("moved to the new server".into()),
            ..KeyEdit::default()
        },
        None,
    )
    .unwrap();
    let counter = v.commit_counter().unwrap();
    let db = std::fs::read(&path).unwrap();
    let wal = std::fs::read(with_suffix(&path, "-wal")).unwrap();
    drop(v);
    (db, wal, counter)
}

/// Writes `db` and `wal` as a vault at `path` (no SHM: SQLite rebuilds it) and reads it back.
fn open_variant(path: &Path, db: &[u8], wal: &[u8], counter: u64, original: &Contents) -> Outcome {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(with_suffix(path, suffix));
    }
    std::fs::write(path, db).unwrap();
    std::fs::write(with_suffix(path, "-wal"), wal).unwrap();
    let mut v = match Vault::unlock(path, &SecretString::from(PASS), opts(Some(counter))) {
        Ok(v) => v,
        Err(e) => return Outcome::Refused(kind_of(&e)),
    };
    let flagged =
        !v.warnings().is_empty() || v.verify_audit().map_or(true, |r| r.problem.is_some());
    match contents(&mut v) {
        Err(e) => Outcome::RefusedRead(kind_of(&e)),
        Ok(c) if c == *original => {
            if flagged {
                Outcome::Flagged(true)
            } else {
                Outcome::Identical
            }
        }
        Ok(_) if flagged => Outcome::Flagged(false),
        Ok(c) => Outcome::Different(format!("{c:#?}")),
    }
}

#[derive(Debug, Default)]
struct Tally {
    cases: usize,
    refused: BTreeMap<String, usize>,
    flagged_same: usize,
    flagged_other: usize,
    refused_read: BTreeMap<String, usize>,
    identical: usize,
    different: Vec<String>,
}

impl Tally {
    fn add(&mut self, what: String, o: Outcome) {
        self.cases += 1;
        match o {
            Outcome::Refused(k) => *self.refused.entry(k).or_default() += 1,
            Outcome::Flagged(true) => self.flagged_same += 1,
            Outcome::Flagged(false) => self.flagged_other += 1,
            Outcome::RefusedRead(k) => *self.refused_read.entry(k).or_default() += 1,
            Outcome::Identical => self.identical += 1,
            Outcome::Different(d) => self.different.push(format!("{what}: {d}")),
        }
    }
    fn line(&self) -> String {
        format!(
            "{} variants: {} refused at open {:?}, {} opened with a warning ({} showing the original, {} an \
             older or damaged state), {} refused at a read {:?}, {} read back identical, {} different \
             without a warning",
            self.cases,
            self.refused.values().sum::<usize>(),
            self.refused,
            self.flagged_same + self.flagged_other,
            self.flagged_same,
            self.flagged_other,
            self.refused_read.values().sum::<usize>(),
            self.refused_read,
            self.identical,
            self.different.len()
        )
    }
}

#[test]
fn every_changed_byte_of_a_vault_and_its_wal_is_refused_or_reads_back_the_original() {
    let count = env_count("KEYSTEAD_PROOF_VAULT_FLIPS", 30);
    let seed = seed_from_env();
    let mut rng = Rng(seed);
    let dir = scratch_dir();
    let (db, wal, counter) = small_vault(dir.path());
    assert!(wal.len() > 32, "the WAL holds frames");
    let path = dir.path().join("variant.db");
    let original = {
        for (suffix, bytes) in [("", &db), ("-wal", &wal)] {
            std::fs::write(with_suffix(&path, suffix), bytes).unwrap();
        }
        let mut v = Vault::unlock(&path, &SecretString::from(PASS), opts(Some(counter))).unwrap();
        assert!(v.warnings().is_empty(), "{:?}", v.warnings());
        contents(&mut v).unwrap()
    };
    assert_eq!(original.keys.len(), 3);
    let total = db.len() + wal.len();
    let picked = positions(total, count, &mut rng);
    eprintln!(
        "corruption proof (vault): {} of {total} positions (file {} + WAL {} bytes), seed {seed}",
        picked.len(),
        db.len(),
        wal.len()
    );
    let started = Instant::now();
    let (original, db, wal, path) = (
        Arc::new(original),
        Arc::new(db),
        Arc::new(wal),
        Arc::new(path),
    );
    let mut tally = Tally::default();
    for at in picked {
        let mask = rng.mask();
        let what = format!("vault byte {at} ^ {mask:#04x} (seed {seed})");
        let (original, db, wal, path) = (original.clone(), db.clone(), wal.clone(), path.clone());
        let outcome = guarded(&what, move || {
            let (mut db, mut wal) = ((*db).clone(), (*wal).clone());
            if at < db.len() {
                db[at] ^= mask;
            } else {
                wal[at - db.len()] ^= mask;
            }
            open_variant(&path, &db, &wal, counter, &original)
        });
        tally.add(what, outcome);
        if tally.cases % 2000 == 0 {
            eprintln!("corruption proof (vault): {} variants so far", tally.cases);
        }
    }
    eprintln!(
        "corruption proof (vault): seed {seed}: {}, {:.0} s",
        tally.line(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        tally.different.is_empty(),
        "{}",
        tally.different.join("\n\n")
    );
}

/// Everything an import of one share file adds, as read back from the receiving vault.
fn imported(
    v: &mut Vault,
    bytes: &[u8],
    passphrase: Option<&SecretString>,
) -> Result<KeySeen, String> {
    let opened = v.share_open(bytes, passphrase).map_err(|e| kind_of(&e))?;
    let preview = v.share_preview(&opened).map_err(|e| kind_of(&e))?;
    let choices = vec![ImportChoice::KeepBoth; preview.entries.len()];
    let summary = v.share_apply(&opened, &choices).map_err(|e| kind_of(&e))?;
    assert_eq!(summary.added.len(), 1, "one key per file");
    let name = &summary.added[0];
    let d = v.detail(name).map_err(|e| kind_of(&e))?;
    let mut summary = summary_json(&d);
    for k in ["id", "name", "created_at"] {
        summary.as_object_mut().unwrap().remove(k);
    }
    let mut versions = Vec::new();
    let current = d.versions.last().map(|x| x.version);
    for ver in &d.versions {
        let mut fields = BTreeMap::new();
        for f in &ver.fields {
            let which = (Some(ver.version) != current).then_some(ver.version);
            let value = v.reveal(name, *f, which, None).map_err(|e| kind_of(&e))?;
            fields.insert(f.as_str().to_string(), value.expose_secret().to_string());
        }
        versions.push(fields);
    }
    Ok((summary, d.notes.clone(), versions))
}

#[test]
fn every_changed_byte_of_a_share_file_is_refused_or_imports_the_original() {
    let per_file = env_count("KEYSTEAD_PROOF_SHARE_FLIPS", 400);
    let seed = seed_from_env();
    let mut rng = Rng(seed);
    let dir = scratch_dir();
    let mut sender = Vault::create(
        &dir.path().join("sender.db"),
        &SecretString::from(PASS),
        KdfParams::FLOOR,
        opts(None),
    )
    .unwrap();
    let receiver = Vault::create(
        &dir.path().join("receiver.db"),
        &SecretString::from(PASS),
        KdfParams::FLOOR,
        opts(None),
    )
    .unwrap();
    let receiver = Arc::new(Mutex::new(receiver));
    let recipient = receiver.lock().unwrap().sharing_key().unwrap().sharing_key;
    use CredentialField::*;
    sender
        .add(
            NewKey {
                name: "okx-bot".into(),
                exchange: "okx".into(),
                scopes: vec!["read".into(), "trade".into()],
                ip_allowlist: vec!["203.0.113.7".into()],
                notes: "for the grid bot".into(),
                ..NewKey::default()
            },
            fields(&[
                (ApiKey, "okx-api-key-0001"),
                (Secret, "okx-secret-0001"),
                (Password, "okx-pass-0001"),
            ]),
        )
        .unwrap();
    let share_pass = SecretString::from("share file passphrase");
    let export = |sender: &mut Vault, armor: bool, passphrase: bool| {
        sender
            .share_export(&ShareExport {
                keys: vec!["okx-bot".into()],
                to: if passphrase {
                    vec![]
                } else {
                    vec![recipient.clone()]
                },
                passphrase: passphrase.then(|| share_pass.clone()),
                armor,
                confirm_withdraw: vec![],
                sender_name: Some("alice".into()),
                scrypt_work_factor: passphrase.then_some(2),
                step_up: None,
            })
            .unwrap()
            .bytes
    };
    let files = [
        (
            "recipient, binary",
            export(&mut sender, false, false),
            false,
        ),
        (
            "recipient, armored",
            export(&mut sender, true, false),
            false,
        ),
        ("passphrase, binary", export(&mut sender, false, true), true),
    ];
    let started = Instant::now();
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    for (label, bytes, with_pass) in files {
        let pass = with_pass.then(|| share_pass.clone());
        let original = imported(&mut receiver.lock().unwrap(), &bytes, pass.as_ref())
            .unwrap_or_else(|e| panic!("the unchanged {label} file does not import: {e}"));
        let mut tally = Tally::default();
        let (bytes, original) = (Arc::new(bytes), Arc::new(original));
        for at in positions(bytes.len(), per_file, &mut rng) {
            let mask = rng.mask();
            let what = format!("{label} share file byte {at} ^ {mask:#04x} (seed {seed})");
            let (bytes, original, receiver, pass) = (
                bytes.clone(),
                original.clone(),
                receiver.clone(),
                pass.clone(),
            );
            let outcome = guarded(&what, move || {
                let mut b = (*bytes).clone();
                b[at] ^= mask;
                let mut v = receiver.lock().unwrap_or_else(|p| p.into_inner());
                match imported(&mut v, &b, pass.as_ref()) {
                    Err(kind) => Outcome::Refused(kind),
                    Ok(seen) if seen == *original => Outcome::Identical,
                    Ok(seen) => Outcome::Different(format!("{seen:#?}")),
                }
            });
            tally.add(what, outcome);
        }
        lines.push(format!("{label} ({} bytes): {}", bytes.len(), tally.line()));
        failures.extend(tally.different);
    }
    for l in &lines {
        eprintln!("corruption proof (share file): seed {seed}: {l}");
    }
    eprintln!(
        "corruption proof (share files): {:.0} s",
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
