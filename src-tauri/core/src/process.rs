//! Process hardening shared by the app and the CLI.

/// Keeps secrets out of core dumps and away from other processes of the same user: no core files
/// (`RLIMIT_CORE` 0) and not dumpable (`PR_SET_DUMPABLE` 0: no ptrace attach, no reading of
/// `/proc/PID/mem` or `environ` by the same user). Always in release builds; a debug build may be left
/// debuggable with `KEYSTEAD_DEBUGGABLE=1` (a release build ignores it). No-op on non-Linux targets.
pub fn harden() {
    if cfg!(debug_assertions) && std::env::var_os("KEYSTEAD_DEBUGGABLE").is_some_and(|v| v == "1") {
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: plain syscalls with constant arguments; no memory is shared with the kernel beyond `limit`.
    unsafe {
        let limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &limit);
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// For command-line programs: a closed pipe (`keystead list | head`) ends the process quietly, as
/// for other Unix tools, instead of a panic in `println!`.
pub fn exit_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default disposition of one signal before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// This machine's host name, for "last used on HOST": `None` when the system does not say. Control
/// and text-direction characters become `?`; at most 64 characters.
pub fn host_name() -> Option<String> {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: `buf` is writable for its whole length, which is passed; the kernel writes at most that.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc != 0 {
            return None;
        }
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        let name: String = String::from_utf8_lossy(&buf[..end])
            .chars()
            .take(64)
            .map(|c| {
                if c.is_control() || crate::parse::is_bidi_control(c) {
                    '?'
                } else {
                    c
                }
            })
            .collect();
        (!name.trim().is_empty()).then_some(name)
    }
    #[cfg(not(unix))]
    {
        None
    }
}
