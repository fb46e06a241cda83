//! Every file Keystead writes is 0600 and every folder it makes 0700 from the first byte, whatever the
//! umask: the vault and its WAL/SHM, the rollback anchor, share files. Run under umask 000, watched.
#![cfg(unix)]

use keystead_core::anchor::FileAnchor;
use keystead_core::vault::OpenOptions;
use keystead_core::{share, FixedClock, KdfParams, ShareExport, Vault};
use secrecy::SecretString;
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::thread::JoinHandle;

mod common;

use common::{fields_for, key, start, PASS};

/// The most permissive umask there is, for the whole test binary (umask is per process; every test
/// here wants it).
fn permissive_umask() {
    static SET: Once = Once::new();
    SET.call_once(|| {
        // SAFETY: umask only swaps the process's creation mask; it cannot fail.
        unsafe { libc::umask(0o000) };
    });
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Looks at every entry under `root` as fast as it can until stopped, and returns each one it ever saw
/// readable or writable by group or others (a file created wide and narrowed later shows up here).
struct Watcher {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<BTreeSet<(PathBuf, u32)>>,
}

impl Watcher {
    fn start(root: &Path) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, root) = (stop.clone(), root.to_path_buf());
        let thread = std::thread::spawn(move || {
            let mut wide = BTreeSet::new();
            while !flag.load(Ordering::Relaxed) {
                let mut dirs = vec![root.clone()];
                while let Some(dir) = dirs.pop() {
                    let Ok(entries) = std::fs::read_dir(&dir) else {
                        continue;
                    };
                    for entry in entries.flatten() {
                        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
                            continue;
                        };
                        let m = meta.permissions().mode() & 0o777;
                        if m & 0o077 != 0 {
                            wide.insert((entry.path(), m));
                        }
                        if meta.is_dir() {
                            dirs.push(entry.path());
                        }
                    }
                }
            }
            wide
        });
        Watcher { stop, thread }
    }

    fn wide_entries(self) -> BTreeSet<(PathBuf, u32)> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

fn opts() -> OpenOptions {
    OpenOptions::new(Arc::new(FixedClock::new(start())), "test")
}

#[test]
fn a_new_vault_its_wal_and_shm_and_its_folders_are_private_under_umask_000() {
    permissive_umask();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("data/keystead/vault.db");
    let watcher = Watcher::start(tmp.path());
    let vault = Vault::create(
        &path,
        &SecretString::from(PASS),
        KdfParams::FLOOR,
        opts().with_anchor(Arc::new(FileAnchor::new(tmp.path().join("state/anchors")))),
    )
    .unwrap();
    // The vault is open: its write-ahead log and shared-memory index exist beside it.
    assert_eq!(mode(&path), 0o600, "vault.db");
    assert_eq!(mode(&with_suffix(&path, "-wal")), 0o600, "vault.db-wal");
    assert_eq!(mode(&with_suffix(&path, "-shm")), 0o600, "vault.db-shm");
    assert_eq!(mode(&tmp.path().join("data")), 0o700);
    assert_eq!(mode(&tmp.path().join("data/keystead")), 0o700);
    drop(vault);
    let wide = watcher.wide_entries();
    assert!(wide.is_empty(), "seen with group/other access: {wide:?}");
}

#[test]
fn reopening_a_vault_under_umask_000_makes_its_wal_and_shm_private() {
    permissive_umask();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("vault.db");
    drop(Vault::create(&path, &SecretString::from(PASS), KdfParams::FLOOR, opts()).unwrap());
    // Closing checkpoints and removes the log: the next open makes new ones.
    assert!(!with_suffix(&path, "-wal").exists());
    let watcher = Watcher::start(tmp.path());
    let mut vault = Vault::unlock(&path, &SecretString::from(PASS), opts()).unwrap();
    vault
        .add(key("k", "binance", &["read"]), fields_for("binance", "k"))
        .unwrap();
    for suffix in ["", "-wal", "-shm"] {
        assert_eq!(mode(&with_suffix(&path, suffix)), 0o600, "vault.db{suffix}");
    }
    drop(vault);
    let wide = watcher.wide_entries();
    assert!(wide.is_empty(), "seen with group/other access: {wide:?}");
}

#[test]
fn the_anchor_file_and_the_state_folders_it_makes_are_private_under_umask_000() {
    permissive_umask();
    let tmp = tempfile::tempdir().unwrap();
    let anchors = tmp.path().join("state/keystead/anchors");
    let watcher = Watcher::start(tmp.path());
    let anchor = Arc::new(FileAnchor::new(&anchors));
    let mut vault = Vault::create(
        &tmp.path().join("vault.db"),
        &SecretString::from(PASS),
        KdfParams::FLOOR,
        opts().with_anchor(anchor),
    )
    .unwrap();
    vault
        .add(key("k", "binance", &["read"]), fields_for("binance", "k"))
        .unwrap();
    drop(vault);
    let files: Vec<PathBuf> = std::fs::read_dir(&anchors)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        files.len(),
        1,
        "one anchor file, no temporary left: {files:?}"
    );
    assert_eq!(mode(&files[0]), 0o600);
    for dir in ["state", "state/keystead", "state/keystead/anchors"] {
        assert_eq!(mode(&tmp.path().join(dir)), 0o700, "{dir}");
    }
    let wide = watcher.wide_entries();
    assert!(wide.is_empty(), "seen with group/other access: {wide:?}");
}

#[test]
fn a_share_file_new_or_replacing_a_wider_one_is_private_under_umask_000() {
    permissive_umask();
    let tmp = tempfile::tempdir().unwrap();
    let mut vault = Vault::create(
        &tmp.path().join("vault.db"),
        &SecretString::from(PASS),
        KdfParams::FLOOR,
        opts(),
    )
    .unwrap();
    vault
        .add(key("k", "binance", &["read"]), fields_for("binance", "k"))
        .unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let watcher = Watcher::start(&out);
    let bytes = vault
        .share_export(&ShareExport {
            keys: vec!["k".into()],
            passphrase: Some(SecretString::from("share pass phrase")),
            scrypt_work_factor: Some(10),
            ..ShareExport::default()
        })
        .unwrap()
        .bytes;
    let protected = vault.share_protected_files();
    let new = out.join("new.age");
    share::write_file(&new, &bytes, false, &protected).unwrap();
    assert_eq!(mode(&new), 0o600);
    let wide = watcher.wide_entries();
    assert!(wide.is_empty(), "seen with group/other access: {wide:?}");

    // An older share file someone left world-readable is replaced by a private one.
    let old = out.join("old.age");
    std::fs::write(&old, &bytes).unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    share::write_file(&old, &bytes, true, &protected).unwrap();
    assert_eq!(mode(&old), 0o600);
    let left: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(left.len(), 2, "no temporary file left behind");
}

/// What the vault relies on: SQLite's unix VFS makes `-journal`, `-wal` and `-shm` with the mode of the
/// database file it opens (not its default 0644 less the umask), so a database file that is 0600 from
/// its first byte gives private companions.
#[test]
fn sqlite_gives_its_journal_wal_and_shm_the_mode_of_the_database_file() {
    permissive_umask();
    let tmp = tempfile::tempdir().unwrap();
    for wanted in [0o600, 0o640] {
        let path = tmp.path().join(format!("db-{wanted:o}"));
        let f = std::fs::File::create_new(&path).unwrap();
        f.set_permissions(std::fs::Permissions::from_mode(wanted))
            .unwrap();
        drop(f);
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        // A rollback journal lives during a write in the default mode; hold one open.
        conn.execute_batch("BEGIN; INSERT INTO t VALUES (2);")
            .unwrap();
        assert_eq!(mode(&with_suffix(&path, "-journal")), wanted, "-journal");
        conn.execute_batch("COMMIT").unwrap();
        let journal_mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(journal_mode, "wal");
        conn.execute_batch("INSERT INTO t VALUES (3);").unwrap();
        assert_eq!(mode(&with_suffix(&path, "-wal")), wanted, "-wal");
        assert_eq!(mode(&with_suffix(&path, "-shm")), wanted, "-shm");
    }
}
