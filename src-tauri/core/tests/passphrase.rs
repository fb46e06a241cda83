//! The passphrase against an attacker who guesses it: one throttle for unlock and every check again,
//! kept in the vault file, serialised between processes, audited.

use chrono::Duration;
use keystead_core::{AuditAction, Error, Vault};
use secrecy::SecretString;

mod common;

use common::{Sandbox, PASS};

fn refused_or_wrong(r: &keystead_core::Result<Vault>) -> &'static str {
    match r {
        Err(Error::WrongPassphrase) => "wrong",
        Err(Error::RetryLater { .. }) => "later",
        Ok(_) => "open",
        Err(_) => "other",
    }
}

fn failed_unlock_details(v: &Vault) -> Vec<String> {
    v.audit_log()
        .unwrap()
        .iter()
        .filter(|r| r.event.action == AuditAction::UnlockFailed)
        .map(|r| r.event.detail.clone().unwrap_or_default())
        .collect()
}

/// Attack (a): an unlocked vault's "check the passphrase again" (step-up, change passphrase) as a
/// guessing oracle: no delay and nothing in the audit.
#[test]
fn checking_the_passphrase_again_is_throttled_and_every_failure_is_audited() {
    let s = Sandbox::new();
    let mut v = s.open();
    let guess = SecretString::from("a wrong guess");
    let answers: Vec<&str> = (0..6)
        .map(|_| match v.verify_passphrase(&guess) {
            Err(Error::WrongPassphrase) => "wrong",
            Err(Error::RetryLater { wait_seconds }) => {
                assert_eq!(wait_seconds, 1);
                "later"
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        answers,
        ["wrong", "wrong", "wrong", "wrong", "later", "later"]
    );
    // Even the right passphrase waits: nothing is checked during the wait.
    assert!(matches!(
        v.verify_passphrase(&SecretString::from(PASS)),
        Err(Error::RetryLater { .. })
    ));
    let details = failed_unlock_details(&v);
    assert_eq!(details.len(), 7, "{details:?}");
    assert!(details[0].contains("wrong passphrase when asked again"));
    assert!(details[6].contains("too many wrong passphrases"));
    assert!(v.verify_audit().unwrap().intact());

    s.clock.advance(Duration::seconds(1));
    v.verify_passphrase(&SecretString::from(PASS)).unwrap();
    // Reset by the right one: the next three wrong ones are free again.
    for _ in 0..4 {
        assert!(matches!(
            v.verify_passphrase(&guess),
            Err(Error::WrongPassphrase)
        ));
    }
}

/// Attack (b): guess, restart (a new process opens the file) and guess again at full speed.
#[test]
fn the_growing_wait_is_kept_in_the_vault_file_across_restarts() {
    let s = Sandbox::new();
    for _ in 0..4 {
        assert!(matches!(
            s.try_open("not the passphrase"),
            Err(Error::WrongPassphrase)
        ));
    }
    s.clock.advance(Duration::seconds(1));
    assert!(matches!(
        s.try_open("not the passphrase"),
        Err(Error::WrongPassphrase)
    ));
    // Five failures: 2 s to wait, whoever opens the file next.
    assert_eq!(Vault::passphrase_wait_locked(&s.path, s.now()).unwrap(), 2);
    assert!(matches!(
        s.try_open(PASS),
        Err(Error::RetryLater { wait_seconds: 2 })
    ));
    s.clock.advance(Duration::seconds(2));
    assert!(matches!(
        s.try_open("still wrong"),
        Err(Error::WrongPassphrase)
    ));
    assert!(matches!(
        s.try_open(PASS),
        Err(Error::RetryLater { wait_seconds: 4 })
    ));
    s.clock.advance(Duration::seconds(4));
    let v = s.open();
    let details = failed_unlock_details(&v);
    assert_eq!(
        details.len(),
        7,
        "six wrong, one event for the refusals: {details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.contains("2 unlock attempts refused while locked")),
        "{details:?}"
    );
    assert!(v.verify_audit().unwrap().intact());
    drop(v);
    assert_eq!(Vault::passphrase_wait_locked(&s.path, s.now()).unwrap(), 0);
    // Sealed once.
    assert_eq!(failed_unlock_details(&s.open()).len(), 7);
}

/// Attack (c): many unlock attempts at once, so that they all pass the check before any is counted.
#[test]
fn parallel_unlock_attempts_cannot_all_pass_the_check() {
    let s = Sandbox::new();
    let results: Vec<&str> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let s = &s;
                scope.spawn(move || refused_or_wrong(&s.try_open(&format!("wrong guess {i}"))))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let checked = results.iter().filter(|r| **r == "wrong").count();
    let refused = results.iter().filter(|r| **r == "later").count();
    assert_eq!((checked, refused), (4, 4), "{results:?}");
}

/// A header edited to the published ceiling (4 GiB, 20 passes, 16 lanes) is refused before deriving,
/// with an error that says what to do, and does not count as a guess.
#[test]
fn a_header_at_the_kdf_ceiling_is_refused_within_a_second() {
    let s = Sandbox::new();
    s.sql()
        .execute(
            "UPDATE header SET kdf_memory_kib = 4194304, kdf_iterations = 20, kdf_parallelism = 16",
            [],
        )
        .unwrap();
    let started = std::time::Instant::now();
    let err = s.try_open(PASS).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert!(matches!(err, Error::KdfTooCostly { .. }), "{err}");
    assert!(
        err.to_string().contains("machine with more memory"),
        "{err}"
    );
    assert_eq!(Vault::passphrase_wait_locked(&s.path, s.now()).unwrap(), 0);
}

/// Attack (item 7): the old passphrase leaked and an old copy of the header row was kept. The owner
/// changes the passphrase and adds a key; the attacker writes the old header row back. Before, the old
/// passphrase then unwrapped the same vault key and opened the new key too.
#[test]
fn an_old_header_row_and_the_old_passphrase_open_nothing_after_a_change() {
    let s = Sandbox::new();
    let mut v = s.open();
    v.add(
        common::key("before", "okx", &["read"]),
        common::fields_for("okx", "old"),
    )
    .unwrap();
    v.add_contact("alice", &other_sharing_key()).unwrap();
    let old_header: Vec<rusqlite::types::Value> = {
        let c = s.sql();
        let mut stmt = c.prepare("SELECT * FROM header").unwrap();
        let n = stmt.column_count();
        stmt.query_row([], |r| (0..n).map(|i| r.get(i)).collect())
            .unwrap()
    };
    let new_pass = SecretString::from("a brand new passphrase");
    let mut seen = Vec::new();
    v.change_passphrase_with_progress(&new_pass, keystead_core::KdfParams::FLOOR, |d, t| {
        seen.push((d, t))
    })
    .unwrap();
    let (_, total) = *seen.last().unwrap();
    assert_eq!(seen.first(), Some(&(0, total)));
    assert_eq!(seen.last(), Some(&(total, total)));
    v.add(
        common::key("after", "okx", &["read"]),
        common::fields_for("okx", "new"),
    )
    .unwrap();
    assert!(v.verify_audit().unwrap().intact());
    drop(v);

    let c = s.sql();
    let placeholders = vec!["?"; old_header.len()].join(", ");
    c.execute("DELETE FROM header", []).unwrap();
    c.execute(
        &format!("INSERT INTO header VALUES ({placeholders})"),
        rusqlite::params_from_iter(old_header.iter()),
    )
    .unwrap();
    drop(c);
    match s.try_open(PASS) {
        Err(Error::Damaged { .. }) => {}
        Ok(mut v) => panic!(
            "the old header opened the vault: {:?}",
            v.reveal("after", keystead_core::CredentialField::Secret, None, None)
                .is_ok()
        ),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn after_a_change_every_record_opens_with_the_new_passphrase_only() {
    let s = Sandbox::new();
    let mut v = s.open();
    v.add(
        common::key("k", "okx", &["read"]),
        common::fields_for("okx", "p"),
    )
    .unwrap();
    v.add_contact("alice", &other_sharing_key()).unwrap();
    let own_key = v.sharing_key().unwrap();
    let events = v.audit_log().unwrap().len();
    v.change_passphrase(
        &SecretString::from("a brand new passphrase"),
        keystead_core::KdfParams::FLOOR,
    )
    .unwrap();
    drop(v);
    let v = Vault::unlock(
        &s.path,
        &SecretString::from("a brand new passphrase"),
        s.opts(),
    )
    .unwrap();
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    assert!(v.verify_audit().unwrap().intact());
    assert_eq!(v.audit_log().unwrap().len(), events + 1);
    assert_eq!(v.find("k").unwrap().name, "k");
    assert_eq!(v.contacts().unwrap().len(), 1);
    let mut v = v;
    assert_eq!(v.sharing_key().unwrap().sharing_key, own_key.sharing_key);
}

fn other_sharing_key() -> String {
    let other = Sandbox::new();
    let mut v = other.open();
    v.sharing_key().unwrap().sharing_key
}

/// `cargo test -p keystead-core --release --features bench --test passphrase -- --ignored --nocapture`:
/// how long a passphrase change takes with 10,000 keys (every record sealed again).
#[cfg(feature = "bench")]
#[test]
#[ignore]
fn bench_change_passphrase_with_10000_keys() {
    let s = Sandbox::new();
    let mut v = s.open();
    v.bench_add_many(10_000).unwrap();
    let started = std::time::Instant::now();
    let mut calls = 0;
    v.change_passphrase_with_progress(
        &SecretString::from("a brand new passphrase"),
        keystead_core::KdfParams::FLOOR,
        |_, _| calls += 1,
    )
    .unwrap();
    println!(
        "change_passphrase, 10,000 keys: {:?} ({calls} progress calls)",
        started.elapsed()
    );
    assert_eq!(v.list().unwrap().len(), 10_000);
}
