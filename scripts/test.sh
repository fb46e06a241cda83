#!/usr/bin/env bash
# Runs Keystead's whole test suite: core unit and integration tests (real SQLite files, fake clock,
# tamper and canary checks) and the end-to-end tests of the built `keystead` binary.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_build_deps
cargo test --workspace --locked
