//! The passphrase throttle: every passphrase check (unlock, and the checks again while unlocked) counts
//! in one plaintext table of the vault file, so the growing delay survives a restart and a change of
//! vault file, and is shared by every process that opens the file.
//!
//! The check and the record are one IMMEDIATE transaction taken before the key derivation: each attempt
//! is counted as a failure before it is tried and the count is reset only when it succeeds, so parallel
//! attempts cannot all pass the check and a crash mid-derivation still counts. The table is plaintext
//! (it is read and written while locked); whoever can rewrite the file can also copy it and guess
//! offline, which no throttle stops; that is what the Argon2id cost is for.

use super::ts;
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

/// Created on first use: a file without it has had no failed attempt, and an older Keystead ignores it.
const THROTTLE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS passphrase_failures (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    count INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    refused INTEGER NOT NULL DEFAULT 0
);
";

/// Consecutive failures that cost nothing.
pub(super) const FREE_FAILURES: u32 = 3;
/// The longest wait between two attempts.
pub(super) const MAX_WAIT_SECONDS: u64 = 5 * 60;

/// How long after the last attempt the next one may be made, after `failures` consecutive failures:
/// nothing for the first three, then 1 s, 2 s, 4 s … up to five minutes.
pub(super) fn wait_after(failures: u32) -> u64 {
    if failures <= FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES - 1).min(16);
    (1u64 << doublings).min(MAX_WAIT_SECONDS)
}

/// Seconds still to wait at `now` (0: an attempt may be made). A last attempt in the future (the clock
/// was set back) counts as made now, so nobody is locked out for longer than the longest wait.
pub(super) fn remaining(failures: u32, last_at: i64, now: DateTime<Utc>) -> u64 {
    let wait = wait_after(failures);
    let now = ts(now);
    let elapsed = u64::try_from(now.saturating_sub(last_at)).unwrap_or(0);
    wait.saturating_sub(elapsed)
}

/// The throttle's row: consecutive failures, when the last attempt was made, attempts refused since.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Failures {
    pub(super) count: u32,
    pub(super) last_at: i64,
    pub(super) refused: u32,
}

fn table_exists(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'passphrase_failures')",
        [],
        |r| r.get(0),
    )?)
}

fn read(conn: &Connection) -> Result<Failures> {
    if !table_exists(conn)? {
        return Ok(Failures::default());
    }
    let row = conn
        .query_row(
            "SELECT count, last_at, refused FROM passphrase_failures WHERE singleton = 1",
            [],
            |r| {
                Ok(Failures {
                    count: u32::try_from(r.get::<_, i64>(0)?).unwrap_or(u32::MAX),
                    last_at: r.get(1)?,
                    refused: u32::try_from(r.get::<_, i64>(2)?).unwrap_or(u32::MAX),
                })
            },
        )
        .optional()?;
    Ok(row.unwrap_or_default())
}

/// Seconds before the next passphrase attempt on this file may be made.
pub(super) fn wait_seconds(conn: &Connection, now: DateTime<Utc>) -> Result<u64> {
    let f = read(conn)?;
    Ok(remaining(f.count, f.last_at, now))
}

/// Takes one attempt before deriving: refuses with [`Error::RetryLater`] when it comes too soon,
/// otherwise counts it as a failure until [`succeeded`] says otherwise. A refusal is counted in the
/// table when `count_refusal` (while locked: sealed into the audit chain at the next unlock); an
/// unlocked caller audits it itself.
pub(super) fn begin_attempt(
    conn: &Connection,
    now: DateTime<Utc>,
    count_refusal: bool,
) -> Result<()> {
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    tx.execute_batch(THROTTLE_SCHEMA)?;
    let f = read(&tx)?;
    let wait = remaining(f.count, f.last_at, now);
    if wait > 0 {
        if count_refusal {
            tx.execute(
                "INSERT INTO passphrase_failures (singleton, count, last_at, refused) VALUES (1, ?1, ?2, 1)
                 ON CONFLICT(singleton) DO UPDATE SET refused = refused + 1",
                params![f.count, f.last_at],
            )?;
            tx.commit()?;
        }
        return Err(Error::RetryLater { wait_seconds: wait });
    }
    tx.execute(
        "INSERT INTO passphrase_failures (singleton, count, last_at, refused) VALUES (1, 1, ?1, 0)
         ON CONFLICT(singleton) DO UPDATE SET count = count + 1, last_at = excluded.last_at",
        params![ts(now)],
    )?;
    tx.commit()?;
    Ok(())
}

/// The attempts refused while locked since they were last sealed into the audit chain.
pub(super) fn refused(conn: &Connection) -> Result<u32> {
    Ok(read(conn)?.refused)
}

/// Forgets the refused attempts (inside the write that seals them into the audit chain).
pub(super) fn clear_refused(conn: &Connection) -> Result<()> {
    if table_exists(conn)? {
        conn.execute(
            "UPDATE passphrase_failures SET refused = 0 WHERE singleton = 1 AND refused != 0",
            [],
        )?;
    }
    Ok(())
}

/// Resets the count of consecutive failures after a right passphrase. Writes nothing on a file that has
/// never seen a failure.
pub(super) fn succeeded(conn: &Connection) -> Result<()> {
    if table_exists(conn)? {
        conn.execute(
            "UPDATE passphrase_failures SET count = 0 WHERE singleton = 1 AND count != 0",
            [],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn three_failures_are_free_then_the_wait_doubles_up_to_five_minutes() {
        let waits: Vec<u64> = (0..=14).map(wait_after).collect();
        assert_eq!(
            waits,
            [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
        );
        assert_eq!(wait_after(u32::MAX), MAX_WAIT_SECONDS);
    }

    #[test]
    fn the_wait_counts_from_the_last_attempt_and_never_exceeds_the_longest() {
        let at = Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap();
        let last = ts(at);
        assert_eq!(remaining(5, last, at), 2);
        assert_eq!(remaining(5, last, at + chrono::Duration::seconds(1)), 1);
        assert_eq!(remaining(5, last, at + chrono::Duration::seconds(2)), 0);
        // The clock set back a day: still only the wait itself.
        assert_eq!(remaining(20, last, at - chrono::Duration::days(1)), 300);
        assert_eq!(remaining(3, last, at), 0);
    }

    #[test]
    fn parallel_attempts_are_counted_one_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let at = Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap();
        let outcomes: Vec<Result<()>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let path = path.clone();
                    s.spawn(move || {
                        let conn = Connection::open(&path).unwrap();
                        conn.busy_timeout(std::time::Duration::from_secs(10))
                            .unwrap();
                        begin_attempt(&conn, at, true)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let passed = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(passed, FREE_FAILURES as usize + 1, "{outcomes:?}");
        assert!(outcomes
            .iter()
            .filter_map(|o| o.as_ref().err())
            .all(|e| matches!(e, Error::RetryLater { wait_seconds: 1 })));
        let conn = Connection::open(&path).unwrap();
        assert_eq!(read(&conn).unwrap().refused, 4);
        succeeded(&conn).unwrap();
        assert_eq!(wait_seconds(&conn, at).unwrap(), 0);
        assert_eq!(refused(&conn).unwrap(), 4);
        clear_refused(&conn).unwrap();
        assert_eq!(refused(&conn).unwrap(), 0);
    }
}
