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
