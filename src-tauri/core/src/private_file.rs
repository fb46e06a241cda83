//! Files and folders Keystead writes, private from their first byte: a file is 0600 and a folder 0700 in
//! the very system call that makes it, whatever the umask, never made wider and narrowed afterwards.
//! Every writer in core, the app and the CLI goes through here.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The mode of every file Keystead creates.
pub const FILE_MODE: u32 = 0o600;
/// The mode of every folder Keystead creates.
pub const DIR_MODE: u32 = 0o700;

/// What [`write`] does when `path` already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Replace it in one rename (the new file is private even if the old one was not).
    Replace,
    /// Refuse with [`io::ErrorKind::AlreadyExists`] and leave it as it was.
    Keep,
}

/// Creates `dir` and each missing parent, every one 0700. Folders that already exist are left as
/// they are.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        // mkdir(2) applies this mode at creation (the umask can only narrow it).
        builder.mode(DIR_MODE);
    }
    builder.create(dir)
}

/// Creates a new, empty file 0600. Anything already at `path` (a symbolic link included) is refused
/// with [`io::ErrorKind::AlreadyExists`], so nobody can have it open beforehand.
pub fn create_new(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // open(2) with O_CREAT|O_EXCL and this mode: the file never exists with another one.
        options.mode(FILE_MODE);
    }
    options.open(path)
}

/// Writes `bytes` as the file `path`, atomically: a new 0600 temporary file in the same folder,
/// written and flushed to disk, then renamed over `path` (or, with [`Existing::Keep`], linked into place
/// only if nothing is there), then the folder is flushed. A crash leaves the old file or the whole new
/// one, never a half-written or wider file. The folder must exist (see [`create_dir`]).
pub fn write(path: &Path, bytes: &[u8], existing: Existing) -> io::Result<()> {
    let dir = folder_of(path);
    let (mut file, tmp) = create_temp_in(dir)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            match existing {
                Existing::Replace => std::fs::rename(&tmp, path),
                Existing::Keep => place_without_replacing(&tmp, path),
            }
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    sync_dir(dir);
    Ok(())
}

/// A new, empty 0600 file with an unguessable name in the folder of `path`, and its own path: for a
/// writer (SQLite's `VACUUM INTO`) that fills a file itself before [`place`] moves it to `path`.
pub fn create_temp_beside(path: &Path) -> io::Result<(File, PathBuf)> {
    create_temp_in(folder_of(path))
}

/// Moves the finished temporary file `tmp` (from [`create_temp_beside`], written and flushed) to
/// `path`: replacing what is there, or with [`Existing::Keep`] only if nothing is; then flushes the
/// folder. On error `tmp` is removed.
pub fn place(tmp: &Path, path: &Path, existing: Existing) -> io::Result<()> {
    let placed = match existing {
        Existing::Replace => std::fs::rename(tmp, path),
        Existing::Keep => place_without_replacing(tmp, path),
    };
    if placed.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    placed?;
    sync_dir(folder_of(path));
    Ok(())
}

/// The folder `path` is in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// A new 0600 file with an unguessable name in `dir`, and its path.
fn create_temp_in(dir: &Path) -> io::Result<(File, PathBuf)> {
    let mut last = None;
    for _ in 0..8 {
        let suffix: String = crate::crypto::random_bytes::<8>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let tmp = dir.join(format!(".keystead-{suffix}.tmp"));
        match create_new(&tmp) {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temporary file name")))
}

/// Moves `tmp` to `path` unless something is there. A hard link is atomic about that; a file system
/// without hard links gets a check then a rename (a file made in between would be replaced).
fn place_without_replacing(tmp: &Path, path: &Path) -> io::Result<()> {
    match std::fs::hard_link(tmp, path) {
        Ok(()) => std::fs::remove_file(tmp),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if path.symlink_metadata().is_ok() => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the file already exists",
        )),
        Err(_) => std::fs::rename(tmp, path),
    }
}

/// A rename is durable only once the folder entry is on disk.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// umask is per process; 000 is the most permissive and harmless for the other unit tests (their
    /// files live in 0700 temporary folders and are made through here or by tempfile, 0600).
    fn permissive_umask() {
        // SAFETY: umask only swaps the process's creation mask; it cannot fail.
        unsafe { libc::umask(0o000) };
    }

    fn mode_of(f: &File) -> u32 {
        f.metadata().unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_is_0600_the_moment_it_exists_and_refuses_an_existing_path() {
        permissive_umask();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let f = create_new(&path).unwrap();
        // fstat on the handle open(2) returned: nothing ran between creation and this look.
        assert_eq!(mode_of(&f), 0o600);
        let e = create_new(&path).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), dir.path().join("link")).unwrap();
        let e = create_new(&dir.path().join("link")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert!(!dir.path().join("elsewhere").exists());
    }

    #[test]
    fn the_temporary_file_is_0600_from_creation_so_nothing_is_ever_chmodded() {
        permissive_umask();
        let dir = tempfile::tempdir().unwrap();
        let (f, tmp) = create_temp_in(dir.path()).unwrap();
        assert_eq!(mode_of(&f), 0o600);
        assert_eq!(tmp.parent(), Some(dir.path()));
        // A second one gets another name.
        let (_, other) = create_temp_in(dir.path()).unwrap();
        assert_ne!(tmp, other);
    }

    #[test]
    fn writing_replaces_a_wider_file_with_a_private_one_and_leaves_no_temporary() {
        permissive_umask();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        write(&path, b"new", Existing::Replace).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn keeping_an_existing_file_refuses_and_changes_nothing() {
        permissive_umask();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.json");
        write(&path, b"first", Existing::Keep).unwrap();
        let e = write(&path, b"second", Existing::Keep).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "the temporary file is removed");
    }

    #[test]
    fn created_folders_are_0700_each_and_existing_ones_are_left_alone() {
        permissive_umask();
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("shared");
        std::fs::create_dir(&existing).unwrap();
        std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_dir(&existing.join("a/b")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&existing), 0o755);
        assert_eq!(mode(&existing.join("a")), 0o700);
        assert_eq!(mode(&existing.join("a/b")), 0o700);
        create_dir(&existing.join("a/b")).unwrap();
    }

    #[test]
    fn a_file_written_in_a_loop_is_never_seen_wider_than_0600() {
        permissive_umask();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let watcher = std::thread::spawn(move || {
            let mut wide = Vec::new();
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                for e in std::fs::read_dir(&root).unwrap().flatten() {
                    if let Ok(m) = e.metadata() {
                        if m.permissions().mode() & 0o077 != 0 {
                            wide.push(e.path());
                        }
                    }
                }
            }
            wide
        });
        for i in 0..300 {
            write(
                &dir.path().join("anchor"),
                format!("{i}").as_bytes(),
                Existing::Replace,
            )
            .unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let wide = watcher.join().unwrap();
        assert!(wide.is_empty(), "{wide:?}");
    }
}
