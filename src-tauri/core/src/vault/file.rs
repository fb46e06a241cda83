//! The vault's SQLite file: the connection with its pragmas (WAL, full sync, secure delete), what a file
//! that is not a vault reports, and the empty private file SQLite is given to fill (so that it, its
//! journal, WAL and SHM, which SQLite creates with the database file's mode, are 0600 from the start).

use crate::error::{Error, Result};
use crate::private_file;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// Makes the empty vault file, 0600, and any missing folder above it, 0700, before SQLite opens it:
/// SQLite would create it with its default mode (0644 less the umask), and makes the `-journal`, `-wal`
/// and `-shm` files with the mode of the database file it finds. Refuses an existing file.
pub(super) fn create_vault_file(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_file::create_dir(dir)
            .map_err(|e| Error::Storage(format!("cannot create {}: {e}", dir.display())))?;
    }
    match private_file::create_new(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::VaultExists {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(Error::Storage(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

/// Opens an existing vault file (never creates one: see [`create_vault_file`]).
pub(super) fn open_connection(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| not_a_vault(path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(|e| not_a_vault(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Storage(format!(
            "SQLite refused WAL mode (got {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update_and_check(None, "secure_delete", "ON", |_| Ok(()))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

pub(super) fn not_a_vault(path: &Path, e: rusqlite::Error) -> Error {
    match Error::from(e) {
        Error::Damaged { what } => Error::NotAVault {
            path: path.to_path_buf(),
            detail: what,
        },
        other => other,
    }
}
