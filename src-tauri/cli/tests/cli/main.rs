//! End-to-end tests: the built `keystead` binary against temporary vaults, one module per topic over the
//! one `common` harness (a single test binary, so it links once).
//!
//! Each test owns a [`common::Sandbox`] (temporary directory, vault path, HOME), sets
//! `KEYSTEAD_KDF_TARGET_MS=1` so `init` uses the minimum Argon2 cost, and asserts what a user would notice:
//! exit codes, the one-line `error: ` messages, what `list`/`show`/`reveal`/`audit` print, and what is
//! (not) in the vault file.

mod common;

mod add;
mod audit;
#[cfg(unix)]
mod backup;
mod canary;
mod contacts;
mod crash;
mod due;
mod hardening;
mod import;
mod key_pair;
mod lifecycle;
mod passphrase;
#[cfg(unix)]
mod passphrase_file;
mod remember;
mod rollback;
mod run;
mod run_vars;
mod scan;
mod share;
mod show;
mod stdin_secrets;
mod tamper;
mod team;
mod terminal;
mod vault;
mod verify;
