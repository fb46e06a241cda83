//! Process hardening on Linux, read from `/proc` while `keystead` holds an unlocked vault (an `add`
//! waiting for its secrets on stdin): no core files (`Max core file size 0`), not dumpable (its `/proc`
//! files belong to root, so another process of the same user cannot read its memory or attach), and the
//! vault key locked out of swap (`VmLck` above zero). Run as an unprivileged user when the tests run as
//! root, so "the same user" is a real, different one.

use crate::common::*;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The user the checked process runs as: `nobody` under root, else ourselves.
fn user() -> (u32, u32) {
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    if uid == 0 {
        (65534, 65534)
    } else {
        (uid, gid)
    }
}

fn keystead_as(sb: &Sandbox, args: &[&str], (uid, gid): (u32, u32)) -> Command {
    let dir = sb.dir.path();
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("KEYSTEAD_VAULT", &sb.vault)
        .env("KEYSTEAD_PASSPHRASE", &sb.passphrase)
        .env("KEYSTEAD_KDF_TARGET_MS", "1")
        .uid(uid)
        .gid(gid);
    cmd
}

fn status_field(pid: u32, field: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .map(|v| v.trim().to_string())
}

fn locked_kb(pid: u32) -> u64 {
    status_field(pid, "VmLck:")
        .and_then(|v| v.trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Waits until the process has the vault open (its key locked in memory), or fails after 30 s.
fn wait_unlocked(child: &mut Child) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let kb = locked_kb(child.id());
        if kb > 0 {
            return kb;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("keystead exited ({status}) before it held the vault open");
        }
        assert!(
            Instant::now() < deadline,
            "keystead never locked memory (VmLck 0 kB): the vault key is swappable"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_keystead_holding_the_vault_key_has_no_core_file_is_not_dumpable_and_locks_the_key_in_ram() {
    let sb = Sandbox::new();
    let who = user();
    std::os::unix::fs::chown(sb.dir.path(), Some(who.0), Some(who.1)).unwrap();
    let init = keystead_as(&sb, &["init"], who).output().unwrap();
    assert!(init.status.success(), "init: {init:?}");

    let mut add = keystead_as(
        &sb,
        &[
            "add",
            "--name",
            "k",
            "--exchange",
            "binance",
            "--secrets-stdin",
        ],
        who,
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let pid = add.id();
    let kb = wait_unlocked(&mut add);

    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    let values: Vec<&str> = core.split_whitespace().skip(4).take(2).collect();
    assert_eq!(values, ["0", "0"], "{core}");
    let owner = std::fs::metadata(format!("/proc/{pid}/status"))
        .unwrap()
        .uid();
    assert_eq!(
        owner, 0,
        "keystead (uid {}) is dumpable: its /proc files belong to it, not to root",
        who.0
    );
    assert_eq!(
        status_field(pid, "Uid:").unwrap().split_whitespace().next(),
        Some(&*who.0.to_string())
    );

    drop(add.stdin.take());
    let out = add.wait_with_output().unwrap();
    assert!(!out.status.success(), "empty secrets were accepted");
    eprintln!("VmLck while unlocked: {kb} kB");
}

#[test]
fn a_debug_build_can_be_left_debuggable_on_purpose() {
    // Only debug builds read KEYSTEAD_DEBUGGABLE; the tests run the debug binary.
    if !cfg!(debug_assertions) {
        return;
    }
    let sb = Sandbox::new();
    let who = user();
    std::os::unix::fs::chown(sb.dir.path(), Some(who.0), Some(who.1)).unwrap();
    assert!(keystead_as(&sb, &["init"], who)
        .output()
        .unwrap()
        .status
        .success());
    let mut add = keystead_as(
        &sb,
        &[
            "add",
            "--name",
            "k",
            "--exchange",
            "binance",
            "--secrets-stdin",
        ],
        who,
    )
    .env("KEYSTEAD_DEBUGGABLE", "1")
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    wait_unlocked(&mut add);
    let owner = std::fs::metadata(format!("/proc/{}/status", add.id()))
        .unwrap()
        .uid();
    assert_eq!(owner, who.0);
    drop(add.stdin.take());
    let _ = add.wait();
}
