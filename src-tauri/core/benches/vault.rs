//! Vault benchmarks (issue #2, "Benchmarks"). Prints figures; asserts nothing about time.
//!
//! Run: `cargo bench -p keystead-core --features bench --bench vault`
//!
//! - `open_and_list/{1000,10000,100000}`: what `unlock` does after the Argon2 derivation (fresh SQLite
//!   connection, state MAC, integrity checks) plus `list()`, which decrypts every entry's metadata and
//!   computes due state and risk flags. The KDF is excluded on purpose: it is a fixed, deliberate cost.
//! - `list_after_a_write/{10000,100000}`: one key edited, then `list()` on the open vault, as the app
//!   lists after each write.
//! - `verify_audit/{100000,1000000}`: a full walk of the audit HMAC chain of that many entries.
//! - `unlock/empty_vault`: a full `Vault::unlock` of a vault with no keys, i.e. about the Argon2id cost at
//!   the floor that the two groups above leave out.
//! - `reminders/{locked,unlocked}/10000`: one look of the app's reminder task at a vault of 10,000 keys
//!   with due dates: locked, from the plaintext due dates and the sent-reminder records (no key); unlocked,
//!   decrypting every entry to name the keys. Nothing is recorded, so every iteration finds the same work.
//! - `change_passphrase/10000`: `Vault::change_passphrase` of a vault of 10,000 keys (and their 10,001
//!   audit events): the integrity checks and the audit walk it starts with, Argon2id at the floor for the
//!   new key (≈ `unlock/empty_vault`), and the one transaction that seals every record again under a new
//!   vault key. Each iteration re-keys the same vault, which gains one audit event. The first run also
//!   prints how long it took before the first progress report (checks and KDF) and after it (re-sealing).
//!
//! - `add_one/{0,10000}`: `Vault::add` of one key (its metadata, secrets, name tag, fingerprints, audit
//!   event and the vault's row digest, committed) into an empty vault and into one of 10,000 keys. Each
//!   iteration adds another key, so the vault grows by the iterations run (a few hundred).
//! - `import_1000/{0,9000}`: importing a Passivbot `api-keys.json` of 1,000 keys (parse, preview and apply
//!   in one transaction) into an empty vault and into one of 9,000 keys. Each iteration imports into a
//!   fresh copy of the vault file (copied and unlocked outside the timed code).
//!
//! Each vault is built once per size, on first use (a `--bench` filter that skips a size skips building
//! it), in a temporary directory and outside the timed code.
//!
//! With `KEYSTEAD_BENCH_WRITE_VAULT=/path/vault.db` set, the binary instead writes one vault there (passphrase
//! `bench-passphrase`, Argon2id at the floor) and exits without running criterion; `scripts/bench.sh` uses
//! this to time the CLI. `KEYSTEAD_BENCH_KEYS=N` (default 0) sets the number of keys and
//! `KEYSTEAD_BENCH_AUDIT=M` the total number of audit entries (at least 1 + N: creating the vault and each
//! key already writes one).
//!
//! With `KEYSTEAD_BENCH_WRITE_KDBX=/path/keys.kdbx` set instead, it writes the same `KEYSTEAD_BENCH_KEYS`
//! keys into a KeePass file (see [`write_kdbx`]) for `scripts/bench.sh` to compare with KeePassXC.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput};
use keystead_core::import::{self, ImportEntryChoice, SourceFormat};
use keystead_core::model::NewKey;
use keystead_core::secret::SecretFields;
use keystead_core::share::ImportChoice;
use keystead_core::vault::{OpenOptions, Vault};
use keystead_core::{CredentialField, KdfParams, SystemClock};
use secrecy::SecretString;

const PASSPHRASE: &str = "bench-passphrase";

/// No rollback anchor: the OS keyring is outside what these figures measure.
fn options() -> OpenOptions {
    OpenOptions::new(Arc::new(SystemClock), "bench")
}

/// Builds a vault with `keys` keys and (at least) `audit_entries` audit entries in total.
fn build_vault(path: &Path, keys: usize, audit_entries: usize) -> Vault {
    let start = Instant::now();
    let mut vault = Vault::create(
        path,
        &SecretString::from(PASSPHRASE),
        KdfParams::FLOOR,
        options(),
    )
    .expect("create the bench vault");
    if keys > 0 {
        vault.bench_add_many(keys).expect("add the bench keys");
    }
    // One event for creating the vault, one per added key.
    let present = 1 + keys;
    if audit_entries > present {
        vault
            .bench_append_audit(audit_entries - present)
            .expect("append the bench audit events");
    }
    vault.checkpoint().expect("checkpoint the bench vault");
    eprintln!(
        "built {}: {keys} keys, {} audit entries in {:.1} s",
        path.display(),
        audit_entries.max(present),
        start.elapsed().as_secs_f64()
    );
    vault
}

/// A vault built on first use, so that benchmarks a `--bench` filter skips cost nothing. Criterion only
/// times the code inside `Bencher::iter`, so building it in the benchmark closure stays untimed.
struct Fixture {
    keys: usize,
    audit_entries: usize,
    built: Option<(Vault, tempfile::TempDir)>,
}

impl Fixture {
    fn new(keys: usize, audit_entries: usize) -> Self {
        Fixture {
            keys,
            audit_entries,
            built: None,
        }
    }

    fn vault(&mut self) -> &Vault {
        self.vault_mut()
    }

    fn vault_mut(&mut self) -> &mut Vault {
        let (keys, audit_entries) = (self.keys, self.audit_entries);
        let (vault, _dir) = self.built.get_or_insert_with(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let vault = build_vault(&dir.path().join("vault.db"), keys, audit_entries);
            (vault, dir)
        });
        vault
    }
}

fn env_count(name: &str) -> Option<usize> {
    let v = std::env::var(name).ok()?;
    Some(
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}='{v}' is not a whole number")),
    )
}

fn open_and_list(c: &mut Criterion) {
    let mut group = c.benchmark_group("open_and_list");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .sampling_mode(SamplingMode::Flat);
    // Long enough for 10 samples of one iteration each at the largest size (about 1.6 s per run here).
    for (n, secs) in [(1_000usize, 5), (10_000, 5), (100_000, 20)] {
        let mut fixture = Fixture::new(n, 0);
        group
            .measurement_time(Duration::from_secs(secs))
            .throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            let vault = fixture.vault();
            b.iter(|| {
                let opened = vault.bench_reopen().expect("reopen");
                let keys = opened.list().expect("list");
                assert_eq!(keys.len(), n);
                black_box(keys)
            })
        });
    }
    group.finish();
}

/// `list()` again on an open vault after one key changed: what the app asks after each write.
fn list_again(c: &mut Criterion) {
    let mut group = c.benchmark_group("list_after_a_write");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for n in [10_000usize, 100_000] {
        let mut fixture = Fixture::new(n, 0);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            let vault = fixture.vault_mut();
            vault.list().expect("list");
            let mut i = 0u64;
            b.iter(|| {
                i += 1;
                let edit = keystead_core::KeyEdit {
                    account: Some(Some(format!("acct-{i}"))),
                    ..Default::default()
                };
                vault
                    .edit("bench-key-000007", edit, None)
                    .expect("edit one key");
                let keys = vault.list().expect("list");
                assert_eq!(keys.len(), n);
                black_box(keys)
            })
        });
    }
    group.finish();
}

/// The key table's index (built once at unlock from `list()`) and what the webview asks of it: a search
/// keystroke, a sort by another column, a window further down, each answering one screen of rows.
fn key_list(c: &mut Criterion) {
    use keystead_core::key_list::{KeyListIndex, ListQuery, SortColumn, SortDirection, SortOrder};
    let mut group = c.benchmark_group("key_list");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for n in [10_000usize, 100_000] {
        let mut fixture = Fixture::new(n, 0);
        let keys = fixture.vault().list().expect("list");
        group.bench_function(BenchmarkId::new("build_index", n), |b| {
            b.iter(|| black_box(KeyListIndex::new(keys.clone())))
        });
        let mut index = KeyListIndex::new(keys.clone());
        let searches = ["b", "be", "ben", "bench-key-0001", "bench-key-00012"];
        let mut i = 0usize;
        group.bench_function(BenchmarkId::new("search_keystroke", n), |b| {
            b.iter(|| {
                i += 1;
                let query = ListQuery {
                    text: searches[i % searches.len()].into(),
                    ..ListQuery::default()
                };
                black_box(index.page(&query, 0, 40))
            })
        });
        let columns = [SortColumn::Name, SortColumn::Due, SortColumn::Exchange];
        group.bench_function(BenchmarkId::new("sort_by_another_column", n), |b| {
            b.iter(|| {
                i += 1;
                let query = ListQuery {
                    sort: SortOrder {
                        column: columns[i % columns.len()],
                        direction: SortDirection::Ascending,
                    },
                    ..ListQuery::default()
                };
                black_box(index.page(&query, 0, 40))
            })
        });
        let query = ListQuery::default();
        group.bench_function(BenchmarkId::new("scroll_window", n), |b| {
            b.iter(|| {
                i += 1;
                let start = ((i * 7919) % n) as u32;
                black_box(index.page(&query, start, 200))
            })
        });
        // After a write to one key (an edit, a rotation, a revocation): its row (and those sharing its
        // secret) read from the vault and put in place, then the first screen again. The app did a
        // rebuild from `list()` instead (build_index plus open_and_list's list).
        let id = keys[n / 2].id;
        group.bench_function(BenchmarkId::new("upkeep_after_a_write", n), |b| {
            let vault = fixture.vault();
            b.iter(|| {
                index.put(vault.rows_touched_by(&[id]).expect("rows"));
                black_box(index.page(&query, 0, 40))
            })
        });
        // A rename (or an add) also moves the key in the vault's order.
        let mut renamed = keys[n / 2].clone();
        group.bench_function(BenchmarkId::new("upkeep_after_a_rename", n), |b| {
            b.iter(|| {
                i += 1;
                renamed.name = format!("renamed-{}", i % 2);
                index.put(vec![renamed.clone()]);
                black_box(index.page(&query, 0, 40))
            })
        });
    }
    group.finish();
}

fn verify_audit(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify_audit");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .sampling_mode(SamplingMode::Flat);
    for (n, secs) in [(100_000usize, 5), (1_000_000, 12)] {
        let mut fixture = Fixture::new(0, n);
        group
            .measurement_time(Duration::from_secs(secs))
            .throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            let vault = fixture.vault();
            b.iter(|| {
                let report = vault.verify_audit().expect("verify");
                assert!(report.intact() && report.entries == n as u64);
                black_box(report)
            })
        });
    }
    group.finish();
}

/// `Vault::unlock` of a vault with no keys: the Argon2id derivation at the floor (64 MiB, 3 passes) plus a
/// negligible open, i.e. the part `open_and_list` leaves out. Writes nothing to the vault.
fn unlock_empty(c: &mut Criterion) {
    let mut group = c.benchmark_group("unlock");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sampling_mode(SamplingMode::Flat);
    let mut fixture = Fixture::new(0, 0);
    group.bench_function("empty_vault", |b| {
        let path = fixture.vault().path().to_path_buf();
        let passphrase = SecretString::from(PASSPHRASE);
        b.iter(|| {
            let vault = Vault::unlock(&path, &passphrase, options()).expect("unlock");
            black_box(vault)
        })
    });
    group.finish();
}

fn reminder_looks(c: &mut Criterion) {
    use keystead_core::reminders::ReminderPolicy;
    let mut group = c.benchmark_group("reminders");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    let n = 10_000usize;
    let mut fixture = Fixture::new(n, 0);
    let policy = ReminderPolicy::default();
    group.bench_with_input(BenchmarkId::new("locked", n), &n, |b, _| {
        let path = fixture.vault().path().to_path_buf();
        b.iter(|| {
            let due = Vault::reminders_locked(&path, &policy, chrono::Utc::now()).expect("look");
            assert!(!due.is_empty());
            black_box(due)
        })
    });
    group.bench_with_input(BenchmarkId::new("unlocked", n), &n, |b, _| {
        let vault = fixture.vault();
        b.iter(|| {
            let due = vault.reminders_to_send(&policy).expect("look");
            assert!(!due.is_empty());
            black_box(due)
        })
    });
    // The app's look: the due dates from the key list it already holds, no decryption.
    group.bench_with_input(BenchmarkId::new("unlocked_from_list", n), &n, |b, _| {
        let vault = fixture.vault();
        let list = keystead_core::key_list::KeyListIndex::new(vault.list().expect("list"));
        b.iter(|| {
            let due = vault.reminders_to_send_from(&policy, &list).expect("look");
            assert!(!due.is_empty());
            black_box(due)
        })
    });
    group.finish();
}

fn change_passphrase(c: &mut Criterion) {
    let mut group = c.benchmark_group("change_passphrase");
    // Under a second per run here: 10 samples of one or two iterations each.
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(12))
        .sampling_mode(SamplingMode::Flat);
    let n = 10_000usize;
    let mut fixture = Fixture::new(n, 0);
    let new_passphrase = SecretString::from("bench-passphrase-changed");
    let mut explained = false;
    group.throughput(Throughput::Elements(n as u64));
    group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
        let vault = fixture.vault_mut();
        if !explained {
            explained = true;
            let start = Instant::now();
            let mut first_report = None;
            let mut records = 0;
            vault
                .change_passphrase_with_progress(&new_passphrase, KdfParams::FLOOR, |done, total| {
                    first_report.get_or_insert_with(Instant::now);
                    records = total.max(done);
                })
                .expect("change the passphrase");
            let end = Instant::now();
            let first = first_report.expect("a progress report");
            eprintln!(
                "change_passphrase/{n}: {:.0} ms in all: {:.0} ms of checks and Argon2id at the floor before the first progress report, {:.0} ms sealing {records} records again and committing",
                (end - start).as_secs_f64() * 1e3,
                (first - start).as_secs_f64() * 1e3,
                (end - first).as_secs_f64() * 1e3,
            );
        }
        b.iter(|| {
            vault
                .change_passphrase(&new_passphrase, KdfParams::FLOOR)
                .expect("change the passphrase")
        })
    });
    group.finish();
}

/// A Passivbot `api-keys.json` with `n` Bybit keys named `import-NNNNNN`.
fn passivbot_file(n: usize) -> String {
    let entries: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#""import-{i:06}": {{"exchange": "bybit", "key": "impkey{i:06}{pad}", "secret": "impsecret{i:06}{pad}"}}"#,
                pad = "q".repeat(24)
            )
        })
        .collect();
    format!("{{{}}}", entries.join(",\n"))
}

fn writes(c: &mut Criterion) {
    let mut group = c.benchmark_group("add_one");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for n in [0usize, 10_000] {
        let mut fixture = Fixture::new(n, 0);
        let mut next = 0usize;
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            let vault = fixture.vault_mut();
            b.iter(|| {
                next += 1;
                let new = NewKey {
                    name: format!("added-{next:06}"),
                    exchange: "binance".into(),
                    scopes: vec!["read".into()],
                    ..NewKey::default()
                };
                let mut secrets = SecretFields::new();
                for (field, value) in [
                    (
                        CredentialField::ApiKey,
                        format!("addkey{next:06}{}", "k".repeat(48)),
                    ),
                    (
                        CredentialField::Secret,
                        format!("addsecret{next:06}{}", "s".repeat(48)),
                    ),
                ] {
                    secrets.insert(field, SecretString::from(value));
                }
                black_box(vault.add(new, secrets).expect("add one key"))
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("import_1000");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20))
        .sampling_mode(SamplingMode::Flat);
    let text = passivbot_file(1_000);
    let path = Path::new("api-keys.json");
    for n in [0usize, 9_000] {
        let mut fixture = Fixture::new(n, 0);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            let source = fixture.vault_mut();
            source.checkpoint().expect("checkpoint");
            let source_path = source.path().to_path_buf();
            b.iter_batched(
                || {
                    let dir = tempfile::tempdir().expect("temp dir");
                    let copy = dir.path().join("vault.db");
                    std::fs::copy(&source_path, &copy).expect("copy the vault");
                    let vault = Vault::unlock(&copy, &SecretString::from(PASSPHRASE), options())
                        .expect("unlock the copy");
                    (vault, dir)
                },
                |(mut vault, dir)| {
                    let parsed = import::parse_file(
                        path,
                        text.as_bytes(),
                        Some(SourceFormat::Passivbot),
                        None,
                    )
                    .expect("parse the file");
                    let files = [parsed];
                    let preview = vault.import_preview(&files).expect("preview");
                    let choices: Vec<ImportEntryChoice> = preview
                        .entries
                        .iter()
                        .map(|e| {
                            assert_eq!(e.default_choice, ImportChoice::Add, "{:?}", e.problem);
                            ImportEntryChoice {
                                action: ImportChoice::Add,
                                exchange: None,
                                default_scopes: false,
                            }
                        })
                        .collect();
                    let summary = vault.import_apply(&files, &choices).expect("import");
                    assert_eq!(summary.added.len(), 1_000, "into {n} keys");
                    (vault, dir)
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// Writes a KeePass file (KDBX 4) of the keys [`build_vault`] adds, for `scripts/bench.sh` to time
/// `keepassxc-cli` on and to weigh against the vault file. One entry per key, kept as a KeePassXC user
/// keeps an API key: title the name, user name the API key, password the secret, any other secret a
/// protected field; tags, notes and expiry in the entry's own places, exchange, account, IP allowlist and
/// rotation period as custom fields. Password [`PASSPHRASE`]; KeePassXC's defaults (AES-256, Argon2d,
/// GZip) with Argon2 at Keystead's floor (64 MiB, 3 passes, 2 lanes).
fn write_kdbx(path: &Path, keys: usize) {
    use keepass::config::{DatabaseConfig, KdfConfig};
    use keepass::db::fields;
    use keepass::{Database, DatabaseKey};
    let mut config = DatabaseConfig::default();
    if let KdfConfig::Argon2 {
        iterations,
        memory,
        parallelism,
        ..
    } = &mut config.kdf_config
    {
        (*iterations, *memory, *parallelism) = (3, 64 << 20, 2);
    }
    let mut db = Database::with_config(config);
    let now = chrono::Utc::now();
    for i in 0..keys {
        let key = keystead_core::vault::bench_key(i).expect("a bench key");
        db.root_mut().add_entry().edit(|e| {
            e.set_unprotected(fields::TITLE, key.name.as_str());
            for (field, value) in &key.fields {
                match field {
                    CredentialField::ApiKey => e.set_unprotected(fields::USERNAME, value.as_str()),
                    CredentialField::Secret => e.set_protected(fields::PASSWORD, value.as_str()),
                    other => e.set_protected(other.to_string(), value.as_str()),
                }
            }
            e.set_unprotected(fields::NOTES, key.notes);
            e.set_unprotected("Exchange", key.exchange);
            e.set_unprotected("Account", key.account);
            e.set_unprotected("IP allowlist", key.ip_allowlist.join(", "));
            e.set_unprotected("Rotate every (days)", key.rotation_days.to_string());
            e.tags = key.tags.clone();
            e.times.expires = Some(true);
            e.times.expiry = Some((now + chrono::Duration::days(key.expires_in_days)).naive_utc());
        });
    }
    let mut file = std::fs::File::create(path).expect("create the KeePass file");
    db.save(&mut file, DatabaseKey::new().with_password(PASSPHRASE))
        .expect("write the KeePass file");
}

fn main() {
    if let Some(path) = std::env::var_os("KEYSTEAD_BENCH_WRITE_KDBX") {
        write_kdbx(
            Path::new(&path),
            env_count("KEYSTEAD_BENCH_KEYS").unwrap_or(0),
        );
        return;
    }
    if let Some(path) = std::env::var_os("KEYSTEAD_BENCH_WRITE_VAULT") {
        let keys = env_count("KEYSTEAD_BENCH_KEYS").unwrap_or(0);
        let audit = env_count("KEYSTEAD_BENCH_AUDIT").unwrap_or(0);
        drop(build_vault(Path::new(&path), keys, audit));
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    open_and_list(&mut c);
    list_again(&mut c);
    key_list(&mut c);
    verify_audit(&mut c);
    unlock_empty(&mut c);
    reminder_looks(&mut c);
    change_passphrase(&mut c);
    writes(&mut c);
    c.final_summary();
}
