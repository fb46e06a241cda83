#!/usr/bin/env bash
# Runs Keystead's whole test suite:
#   1. Rust: core unit and integration tests (real SQLite files, fake clock, tamper and canary checks),
#      the app's security guards, and end-to-end tests of the built `keystead` CLI — on a private D-Bus
#      session with gnome-keyring's Secret Service (the real OS keyring, in a throw-away home).
#   2. UI: svelte-check and vitest.
#   3. A short fuzzing run of every decoder of bytes Keystead reads (scripts/fuzz.sh, 10 s per target).
#   4. The real desktop app under Xvfb, driven through WebDriver (scripts/e2e.sh).
#   5. The two Debian packages built from those binaries, installed, run and removed (tests/package/test.sh),
#      and freqtrade itself under `keystead run --profile freqtrade` (tests/package/freqtrade.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each phase's time, printed as it ends and in a summary at the end (CI's budget is 30 minutes).
phases=()
phase_name=""
phase_start=$SECONDS
phase() {
  local now=$SECONDS
  [ -z "$phase_name" ] || phases+=("$(printf '%5d s  %s' $((now - phase_start)) "$phase_name")")
  phase_name="$1"
  phase_start=$now
  [ -z "$1" ] || echo "== $1"
}
phase "build dependencies (apt, rustup, npm packages)"
source scripts/deps.sh
ensure_build_deps
# age: the share-file tests check that Debian's `age` tool opens our files and that we open its files.
# openssl, python3-cryptography: a key pair Keystead makes is read and checked by outside tools.
# git: a team vault is tested over a loopback `git daemon` (git://) as well as over file://.
apt_install dbus gnome-keyring age openssl python3-cryptography git
ensure_ui_packages

phase "UI: svelte-check and vitest"
npm --prefix ui run -s check
npm --prefix ui run -s test

phase "Rust tests"
cargo build --workspace --all-targets --locked
# The keyring gets a throw-away HOME; cargo and rustup keep theirs.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
dbus-run-session -- bash -c '
  set -euo pipefail
  export HOME=$(mktemp -d) KEYSTEAD_TEST_KEYRING=1 KEYSTEAD_REQUIRE_AGE=1
  eval "$(printf keystead-test | gnome-keyring-daemon --unlock --components=secrets)"
  trap "rm -rf \"\$HOME\"" EXIT
  cargo test --workspace --locked
'

phase "Fuzzing: 10 s per target (scripts/fuzz.sh)"
./scripts/fuzz.sh 10

phase "End-to-end: the real app under Xvfb"
./scripts/e2e.sh

phase "Packages: the .deb files installed and run; freqtrade under keystead run"
./tests/package/test.sh
./tests/package/freqtrade.sh
phase ""
echo "== Test suite passed in $SECONDS s:"
printf '%s\n' "${phases[@]}"
