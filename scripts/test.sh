#!/usr/bin/env bash
# Runs Keystead's whole test suite: core unit and integration tests (real SQLite files, fake clock,
# tamper and canary checks) and the end-to-end tests of the built `keystead` binary, on a private D-Bus
# session with gnome-keyring's Secret Service (the real OS keyring, in a throw-away home).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_build_deps
apt_install dbus gnome-keyring
cargo build --workspace --all-targets --locked
# The keyring gets a throw-away HOME; cargo and rustup keep theirs.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
exec dbus-run-session -- bash -c '
  set -euo pipefail
  export HOME=$(mktemp -d) KEYSTEAD_TEST_KEYRING=1
  eval "$(printf keystead-test | gnome-keyring-daemon --unlock --components=secrets)"
  trap "rm -rf \"\$HOME\"" EXIT
  cargo test --workspace --locked
'
