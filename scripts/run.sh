#!/usr/bin/env bash
# Builds Keystead (release) and starts it on the default vault (~/.local/share/keystead/vault.db, or
# KEYSTEAD_VAULT). Arguments are passed on: `scripts/run.sh list`, `scripts/run.sh init`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_build_deps
cargo build --release --locked -q -p keystead-cli
exec "${CARGO_TARGET_DIR:-target}/release/keystead" "$@"
