//! `--history`: every blob of a git repository's history, read once through the system `git`
//! (`rev-list --objects --all`, then `cat-file --batch`).

use super::engine::{Engine, Shared};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

fn missing_git() -> Error {
    Error::input(
        "scanning git history needs the `git` program: install it (Debian/Ubuntu: `sudo apt install git`) or scan without --history",
    )
}

/// Fails with what to do when `git` cannot be run.
pub(super) fn check_git() -> Result<()> {
    match Command::new("git")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(status) if status.success() => Ok(()),
        _ => Err(missing_git()),
    }
}

fn git(repo: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(repo)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stderr(Stdio::null());
    command
}

/// At most this many blobs with findings per repository get their commit looked up (each lookup walks
/// the history once); findings in further blobs carry no commit.
const COMMIT_LOOKUPS: usize = 200;

/// The oldest commit (short id), on any branch or tag, that added blob `id`.
fn introducing_commit(repo: &Path, id: &str) -> Option<String> {
    let out = git(repo)
        .args(["log", "--all", "--reverse", "--format=%h"])
        .arg(format!("--find-object={id}"))
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let first = text.lines().next()?.trim();
    (!first.is_empty() && first.bytes().all(|b| b.is_ascii_hexdigit())).then(|| first.to_string())
}

/// Scans each blob of `repo`'s history once (the first path rev-list names it by). Findings are named
/// `REPO@path` and carry the commit that introduced the blob (looked up only for blobs with findings,
/// at most [`COMMIT_LOOKUPS`] per repository). A repository git cannot read is skipped.
pub(super) fn scan_history(
    repo: &Path,
    max: u64,
    engine: &Engine,
    shared: &Shared,
    cancel: &AtomicBool,
) -> Result<()> {
    let listed = match git(repo).args(["rev-list", "--objects", "--all"]).output() {
        Ok(out) if out.status.success() => out.stdout,
        Ok(_) => return Ok(()),
        Err(_) => return Err(missing_git()),
    };
    // Objects with a path are blobs or trees; rev-list names each object once.
    let mut paths: HashMap<String, String> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for line in listed.split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(line);
        if let Some((id, path)) = line.split_once(' ') {
            if !path.is_empty() && !paths.contains_key(id) {
                paths.insert(id.to_string(), path.to_string());
                order.push(id.to_string());
            }
        }
    }
    if order.is_empty() {
        return Ok(());
    }
    let mut child = git(repo)
        .args([
            "cat-file",
            "--batch=%(objectname) %(objecttype) %(objectsize)",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|_| missing_git())?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    let repo_name = repo.display().to_string();
    std::thread::scope(|scope| {
        let order = &order;
        scope.spawn(move || {
            for id in order {
                if stdin.write_all(id.as_bytes()).is_err() || stdin.write_all(b"\n").is_err() {
                    break;
                }
            }
        });
        let mut reader = BufReader::with_capacity(1 << 16, stdout);
        let mut header = String::new();
        let mut buf: Vec<u8> = Vec::new();
        let mut lookups = 0usize;
        loop {
            header.clear();
            match reader.read_line(&mut header) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let mut parts = header.split_whitespace();
            let (Some(id), Some(kind), Some(size)) = (parts.next(), parts.next(), parts.next())
            else {
                continue; // "<id> missing"
            };
            let Ok(size) = size.parse::<u64>() else {
                continue;
            };
            buf.clear();
            if (&mut reader).take(size + 1).read_to_end(&mut buf).is_err() {
                break;
            }
            buf.pop(); // the newline after each object
            if cancel.load(Relaxed) {
                break;
            }
            if kind != "blob" {
                continue;
            }
            if size > max {
                shared.skipped_large.fetch_add(1, Relaxed);
                continue;
            }
            let path = format!("{repo_name}@{}", paths.get(id).map_or("", String::as_str));
            shared.scan_text(engine, &buf, &path, || {
                lookups += 1;
                (lookups <= COMMIT_LOOKUPS)
                    .then(|| introducing_commit(repo, id))
                    .flatten()
            });
            shared.progress(false);
        }
        // Unblocks the writer if the loop stopped early (cancelled, or git failed).
        let _ = child.kill();
    });
    let _ = child.wait();
    Ok(())
}
