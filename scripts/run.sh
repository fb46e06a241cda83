#!/usr/bin/env bash
# Builds and starts the Keystead desktop app on the default vault (~/.local/share/keystead/vault.db;
# KEYSTEAD_VAULT or `--vault PATH` choose another). The first build takes several minutes.
#   scripts/run.sh            the desktop app
#   scripts/run.sh cli ARGS   the `keystead` command-line program instead, e.g. `scripts/run.sh cli list`
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_build_deps
target="${CARGO_TARGET_DIR:-target}"

if [ "${1:-}" = cli ]; then
  shift
  cargo build --release --locked -q -p keystead-cli
  exec "$target/release/keystead" "$@"
fi

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "No graphical display here: run the desktop app in a desktop session, or use the command line:" >&2
  echo "  scripts/run.sh cli        (then: scripts/run.sh cli init, scripts/run.sh cli list …)" >&2
  exit 2
fi
ensure_ui_packages
npm --prefix ui exec -- tauri build --no-bundle >&2
exec "$target/release/keystead-app" "$@"
