//! Process hardening shared by the app and the CLI.

/// Keeps secrets out of core dumps: no core files and no ptrace attach by other processes of the same
/// user. Only in release builds, so developers can still debug. No-op on non-Linux targets.
pub fn harden() {
    #[cfg(all(target_os = "linux", not(debug_assertions)))]
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
