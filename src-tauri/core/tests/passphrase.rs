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
