//! A backup: a consistent copy of the vault file (already encrypted: the same passphrase opens it) at a
//! place the user chose, written private and whole or not at all, and recorded in the audit log.

use super::{own_files, Vault};
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::private_file::{self, Existing};
use std::io::Read;
use std::path::Path;

/// The first bytes of every SQLite file, so of every vault file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

impl Vault {
    /// Writes a copy of this vault to `path`: the backup is recorded in the audit log first (so the copy
    /// holds its own entry and has this file's commit counter), then SQLite's `VACUUM INTO` writes the copy
    /// into a new 0600 temporary file beside `path`, which is flushed and renamed into place. An existing
    /// file is refused unless `replace` is set, and even then only another vault file is replaced, never
    /// this vault's own files. If the copy fails, that is recorded too and nothing is left at `path`.
    pub fn backup_to(&mut self, path: &Path, replace: bool) -> Result<()> {
        self.check_backup_target(path, replace)?;
        let Some(target) = path.to_str() else {
            return Err(Error::input(format!(
                "{} is not a UTF-8 path: choose a file name made of ordinary characters",
                path.display()
            )));
        };
        self.write(|tx| {
            tx.audit(
                AuditAction::VaultBackedUp,
                None,
                Some(format!("vault backed up to {target}")),
            )
        })?;
        let copied = self.copy_into(path, replace);
        if let Err(e) = &copied {
            let why = format!("backup to {target} failed: {e}");
            let _ = self.write(|tx| tx.audit(AuditAction::VaultBackedUp, None, Some(why)));
        }
        copied
    }

    fn check_backup_target(&self, path: &Path, replace: bool) -> Result<()> {
        if !path.is_absolute() {
            return Err(Error::input(format!(
                "give the backup's full path ({} is not one)",
                path.display()
            )));
        }
        if !path.parent().is_some_and(Path::is_dir) {
            return Err(Error::input(format!(
                "the folder of {} does not exist: choose a folder that does",
                path.display()
            )));
        }
        let target = crate::share::resolved(path);
        if own_files(self.path())
            .iter()
            .any(|p| crate::share::resolved(p) == target)
        {
            return Err(Error::input(format!(
                "{} is this vault's own file (or its journal): a backup goes to another file, ideally on another disk",
                path.display()
            )));
        }
        match std::fs::symlink_metadata(path) {
            Err(_) => Ok(()),
            Ok(m) if m.is_dir() => Err(Error::input(format!(
                "{} is a folder: give a file name in it",
                path.display()
            ))),
            Ok(_) if !replace => Err(Error::input(format!(
                "{} already exists: choose another file name, or replace it on purpose",
                path.display()
            ))),
            Ok(_) if !starts_like_sqlite(path) => Err(Error::input(format!(
                "{} already exists and is not a vault file: a backup replaces only an older backup; choose another file name",
                path.display()
            ))),
            Ok(_) => Ok(()),
        }
    }

    /// `VACUUM INTO` an empty private temporary file beside `path` (SQLite accepts an empty file and
    /// keeps its mode), flushed, then moved into place.
    fn copy_into(&self, path: &Path, replace: bool) -> Result<()> {
        let cannot =
            |e: std::io::Error| Error::Storage(format!("cannot write {}: {e}", path.display()));
        let (file, tmp) = private_file::create_temp_beside(path).map_err(cannot)?;
        drop(file);
        let filled = tmp
            .to_str()
            .ok_or_else(|| Error::input("the backup folder's path is not UTF-8"))
            .and_then(|t| Ok(self.conn.execute("VACUUM INTO ?1", [t])?))
            .and_then(|_| {
                std::fs::File::open(&tmp)
                    .and_then(|f| f.sync_all())
                    .map_err(cannot)
            });
        if let Err(e) = filled {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        let existing = if replace {
            Existing::Replace
        } else {
            Existing::Keep
        };
        private_file::place(&tmp, path, existing).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Error::input(format!(
                "{} appeared while the backup was written: choose another file name",
                path.display()
            )),
            _ => cannot(e),
        })
    }
}

fn starts_like_sqlite(path: &Path) -> bool {
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == SQLITE_MAGIC
}
