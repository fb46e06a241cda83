//! Vault benchmarks (issue #2, "Benchmarks"). Prints figures; asserts nothing about time.
//!
//! Run: `cargo bench -p keystead-core --features bench --bench vault`
//!
//! - `open_and_list/{1000,10000,100000}`: what `unlock` does after the Argon2 derivation (fresh SQLite
//!   connection, state MAC, integrity checks) plus `list()`, which decrypts every entry's metadata and
//!   computes due state and risk flags. The KDF is excluded on purpose: it is a fixed, deliberate cost.
//! - `verify_audit/{100000,1000000}`: a full walk of the audit HMAC chain of that many entries.
//!
//! Each vault is built once per size in a temporary directory, outside the timed code.
//!
//! With `KEYSTEAD_BENCH_WRITE_VAULT=/path/vault.db` set, the binary instead writes one vault there (passphrase
//! `bench-passphrase`, Argon2id at the floor) and exits without running criterion; `scripts/bench.sh` uses
//! this to time the CLI. `KEYSTEAD_BENCH_KEYS=N` (default 0) sets the number of keys and
//! `KEYSTEAD_BENCH_AUDIT=M` the total number of audit entries (at least 1 + N: creating the vault and each
//! key already writes one).

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use keystead_core::vault::{OpenOptions, Vault};
use keystead_core::{KdfParams, SystemClock};
use secrecy::SecretString;

const PASSPHRASE: &str = "bench-passphrase";

/// Builds a vault with `keys` keys and (at least) `audit_entries` audit entries in total.
fn build_vault(path: &Path, keys: usize, audit_entries: usize) -> Vault {
    let start = Instant::now();
    let mut vault = Vault::create(
        path,
        &SecretString::from(PASSPHRASE),
        KdfParams::FLOOR,
        OpenOptions {
            clock: Arc::new(SystemClock),
            actor: "bench".into(),
        },
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
        .measurement_time(Duration::from_secs(5))
        .sampling_mode(SamplingMode::Flat);
    for n in [1_000usize, 10_000, 100_000] {
        let dir = tempfile::tempdir().expect("temp dir");
        let vault = build_vault(&dir.path().join("vault.db"), n, 0);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| {
                let opened = vault.bench_reopen().expect("reopen");
                let keys = opened.list().expect("list");
                assert_eq!(keys.len(), n);
                black_box(keys)
            })
        });
        drop(vault);
    }
    group.finish();
}

fn verify_audit(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify_audit");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8))
        .sampling_mode(SamplingMode::Flat);
    for n in [100_000usize, 1_000_000] {
        let dir = tempfile::tempdir().expect("temp dir");
        let vault = build_vault(&dir.path().join("vault.db"), 0, n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| {
                let report = vault.verify_audit().expect("verify");
                assert!(report.intact() && report.entries == n as u64);
                black_box(report)
            })
        });
        drop(vault);
    }
    group.finish();
}

fn main() {
    if let Some(path) = std::env::var_os("KEYSTEAD_BENCH_WRITE_VAULT") {
        let keys = env_count("KEYSTEAD_BENCH_KEYS").unwrap_or(0);
        let audit = env_count("KEYSTEAD_BENCH_AUDIT").unwrap_or(0);
        drop(build_vault(Path::new(&path), keys, audit));
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    open_and_list(&mut c);
    verify_audit(&mut c);
    c.final_summary();
}
