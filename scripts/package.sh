#!/usr/bin/env bash
# Builds Keystead's two Debian packages and prints where they are (the last two lines of stdout):
#   keystead      the desktop app, by Tauri's bundler: /usr/bin/keystead-app, its menu entry and icons, and the
#                 `keystead` command; Conflicts/Replaces/Provides keystead-cli
#   keystead-cli  the `keystead` command alone, by cargo-deb, for servers: Depends computed from the binary,
#                 no WebKit or GTK; the systemd unit and cron examples in /usr/share/doc/keystead-cli/examples/
#   scripts/package.sh                       release packages: the UI and both binaries built optimised
#   scripts/package.sh --debug               debug packages, fast, for tests: the debug binaries with their
#                                            debug info stripped (the app built with `tauri build --debug --no-bundle`)
#   scripts/package.sh --debug --reuse-app   the same, packaging the debug app binary already built (by
#                                            scripts/e2e.sh) instead of building it again
# Output: $CARGO_TARGET_DIR/packages/ (release) or packages-debug/; build output goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

debug=0
reuse_app=0
for arg in "$@"; do
  case "$arg" in
    --debug) debug=1 ;;
    --reuse-app) reuse_app=1 ;;
    *) echo "usage: scripts/package.sh [--debug [--reuse-app]]" >&2; exit 2 ;;
  esac
done
if [ "$reuse_app" = 1 ] && [ "$debug" = 0 ]; then
  echo "--reuse-app goes with --debug: release packages are always built from the sources" >&2
  exit 2
fi

source scripts/deps.sh
ensure_build_deps
# dpkg-shlibdeps (dpkg-dev) computes keystead-cli's Depends; strip (binutils) slims the debug binaries.
apt_install dpkg-dev binutils
ensure_ui_packages
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$CARGO_HOME/bin:$PATH"
if ! cargo deb --version >/dev/null 2>&1; then
  echo "Installing cargo-deb" >&2
  # Its own temporary target dir, not the project's.
  env -u CARGO_TARGET_DIR cargo install cargo-deb --locked --version '^3.8' >&2
fi

target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$repo/$target" ;; esac
if [ "$debug" = 1 ]; then out="$target/packages-debug"; else out="$target/packages"; fi
rm -rf "$out"
mkdir -p "$out"

# Seconds since $1 (from `date +%s%N`), one decimal.
since() { local ms=$(( ($(date +%s%N) - $1) / 1000000 )); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
# The desktop package's /usr/bin/keystead: tauri.conf.json names target/release/keystead; this points it at
# the binary actually packaged (another target dir, or the stripped debug one).
cli_file_config() {
  printf '{"bundle":{"linux":{"deb":{"files":{"/usr/bin/keystead":"%s"}}}}}' "$1"
}

if [ "$debug" = 0 ]; then
  t=$(date +%s%N)
  echo "== Building the keystead command (release)" >&2
  cargo build --release --locked -p keystead-cli >&2
  echo "== Building the UI and the desktop app (release) and its .deb (tauri build)" >&2
  rm -rf "$target/release/bundle/deb"
  npm --prefix ui exec -- tauri build --bundles deb --config "$(cli_file_config "$target/release/keystead")" >&2
  cp "$target/release/bundle/deb/"*.deb "$out/"
  echo "== keystead-cli .deb (cargo deb)" >&2
  cargo deb -p keystead-cli --no-build --locked -o "$out/" >&2
  echo "== Release packages built in $(since "$t") s" >&2
else
  t=$(date +%s%N)
  echo "== Building the keystead command (debug)" >&2
  cargo build --locked -p keystead-cli >&2
  if [ "$reuse_app" = 0 ] || [ ! -x "$target/debug/keystead-app" ]; then
    echo "== Building the UI and the desktop app (debug; tauri build --debug --no-bundle)" >&2
    npm --prefix ui exec -- tauri build --debug --no-bundle >&2
  fi
  echo "== Built in $(since "$t") s" >&2
  # Both tools package binaries from <target>/release/: a staging target dir holds the debug binaries there,
  # stripped of their debug info (about 7 times smaller, so compressing and installing take seconds) and
  # leaving the ones in target/debug/ untouched (Tauri's bundler also patches the binary it packages).
  t=$(date +%s%N)
  stage="$target/package-debug"
  rm -rf "$stage"
  mkdir -p "$stage/release"
  strip --strip-debug -o "$stage/release/keystead-app" "$target/debug/keystead-app"
  strip --strip-debug -o "$stage/release/keystead" "$target/debug/keystead"
  echo "== Stripped the debug binaries in $(since "$t") s" >&2
  t=$(date +%s%N)
  CARGO_TARGET_DIR="$stage" npm --prefix ui exec -- \
    tauri bundle --bundles deb --config "$(cli_file_config "$stage/release/keystead")" >&2
  cp "$stage/release/bundle/deb/"*.deb "$out/"
  echo "== Desktop .deb (tauri bundle) in $(since "$t") s" >&2
  t=$(date +%s%N)
  CARGO_TARGET_DIR="$stage" cargo deb -p keystead-cli --no-build --fast -o "$out/" >&2
  echo "== keystead-cli .deb (cargo deb --fast) in $(since "$t") s" >&2
fi

desktop=$(find "$out" -maxdepth 1 -name 'Keystead_*.deb' | head -n 1)
server=$(find "$out" -maxdepth 1 -name 'keystead-cli_*.deb' | head -n 1)
[ -n "$desktop" ] && [ -n "$server" ] || { echo "A package is missing in $out" >&2; ls -l "$out" >&2; exit 1; }
echo "desktop package (keystead, the app and the command): $desktop"
echo "server package (keystead-cli, the command only):     $server"
