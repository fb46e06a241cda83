#!/usr/bin/env bash
# End-to-end tests of the real Keystead desktop app: builds the UI and a standalone debug binary, then runs
# tests/e2e/*.test.mjs (node --test + selenium-webdriver) against it through tauri-driver + WebKitWebDriver,
# under Xvfb, on a private D-Bus session with an unlocked gnome-keyring, in a throw-away HOME.
# Screenshots of every screen land in target/e2e-screenshots/ (NN-screen.png), logs in target/e2e-logs/.
#   scripts/e2e.sh                 build, then run every test
#   E2E_SKIP_BUILD=1 scripts/e2e.sh   reuse the binary already built
#   scripts/e2e.sh --test-name-pattern=xss   extra arguments go to `node --test`
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
source scripts/deps.sh
ensure_build_deps
apt_install age webkit2gtk-driver xvfb xauth imagemagick x11-utils dbus dbus-x11 at-spi2-core gnome-keyring xclip \
  curl libwebkit2gtk-4.1-dev librsvg2-dev libxdo-dev libssl-dev libayatana-appindicator3-dev \
  xdotool python3-dbus python3-gi python3-xlib iproute2 git
command -v tauri-driver >/dev/null 2>&1 || cargo install tauri-driver --locked
if ! command -v node >/dev/null 2>&1; then
  apt_install nodejs npm
fi

# npm ci only when node_modules is missing or older than the lock file (npm ci deletes node_modules, which
# would pull the rug from under a running `tauri dev`).
npm_deps() {
  local dir=$1 stamp="$1/node_modules/.package-lock.json"
  if [ -f "$dir/package-lock.json" ]; then
    if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ] || [ "$dir/package.json" -nt "$stamp" ]; then
      npm --prefix "$dir" ci --no-audit --no-fund
    fi
  else
    npm --prefix "$dir" install --no-audit --no-fund
  fi
}
npm_deps ui
npm_deps tests

target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$repo/$target" ;; esac
app_bin="$target/debug/keystead-app"
cli_bin="$target/debug/keystead"
if [ "${E2E_SKIP_BUILD:-0}" != 1 ]; then
  echo "== Building the UI and a standalone debug binary (tauri build --debug --no-bundle)" >&2
  # Run from the repo root: the Tauri CLI does not search parent folders for tauri.conf.json.
  npm --prefix ui exec -- tauri build --debug --no-bundle >&2
  # The reminder tests prepare vaults with the CLI, as a user adding keys from a terminal would.
  cargo build -p keystead-cli >&2
fi
[ -x "$app_bin" ] || { echo "No app binary at $app_bin" >&2; exit 1; }
[ -x "$cli_bin" ] || { echo "No CLI binary at $cli_bin" >&2; exit 1; }

screenshots="$repo/target/e2e-screenshots"
logs="$repo/target/e2e-logs"
rm -rf "$screenshots" "$logs"
mkdir -p "$screenshots" "$logs"

# HOME changes below: cargo and rustup keep theirs.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$CARGO_HOME/bin:$PATH"
# Debian's Python, which has the python3-dbus, -gi and -xlib packages (a pyenv python3 may come first).
export E2E_PYTHON=/usr/bin/python3
export APP_BIN="$app_bin" CLI_BIN="$cli_bin" SCREENSHOT_DIR="$screenshots" E2E_LOGS="$logs" E2E_REPO="$repo"
# Two free ports in a row for tauri-driver and WebKitWebDriver, so two runs on one machine do not collide.
free_port_pair() {
  local p
  for p in $(seq 4444 2 4644); do
    if ! ss -ltnH "( sport = :$p or sport = :$((p + 1)) )" 2>/dev/null | grep -q .; then
      echo "$p"
      return
    fi
  done
  echo 4444
}
export E2E_PORT="${E2E_PORT:-$(free_port_pair)}"
export WEBDRIVER_URL="http://127.0.0.1:$E2E_PORT/"
export TAURI_DRIVER="$(command -v tauri-driver)"
# tests/e2e/exchange.test.mjs: the app (started by tauri-driver, so with this environment) sends its
# Binance key checks to a fake that the test starts on this loopback port.
E2E_FAKE_BINANCE_PORT="$("$E2E_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export E2E_FAKE_BINANCE_PORT KEYSTEAD_BASE_URL_BINANCE="http://127.0.0.1:$E2E_FAKE_BINANCE_PORT"

echo "== End-to-end tests (Xvfb, D-Bus, gnome-keyring, a recording notification server, tauri-driver on port $E2E_PORT)" >&2
start=$(date +%s)
set +e
# A throw-away HOME set before the D-Bus session starts, so services it starts on demand write there too.
e2e_home=$(mktemp -d /tmp/keystead-e2e-home.XXXXXX)
HOME="$e2e_home" XDG_CONFIG_HOME="$e2e_home/.config" XDG_DATA_HOME="$e2e_home/.local/share" \
  XDG_CACHE_HOME="$e2e_home/.cache" \
  xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- bash -c '
  set -uo pipefail
  unset KEYSTEAD_VAULT
  eval "$(printf e2e-pass | gnome-keyring-daemon --unlock --components=secrets)"
  # The desktop notification server: records every notification to a JSON-lines file. It must own the
  # bus name before the app notifies, or D-Bus could start another daemon.
  export NOTIFICATIONS_LOG="$E2E_LOGS/notifications.jsonl"
  "$E2E_PYTHON" "$E2E_REPO/tests/e2e/notification-recorder.py" "$NOTIFICATIONS_LOG" "$E2E_LOGS/recorder.ready" \
    2>"$E2E_LOGS/recorder.log" &
  recorder=$!
  for _ in $(seq 1 100); do [ -f "$E2E_LOGS/recorder.ready" ] && break; sleep 0.05; done
  [ -f "$E2E_LOGS/recorder.ready" ] || { echo "The notification recorder did not start:" >&2; cat "$E2E_LOGS/recorder.log" >&2; exit 1; }
  "$TAURI_DRIVER" --port "$E2E_PORT" --native-port "$((E2E_PORT + 1))" \
    --native-driver /usr/bin/WebKitWebDriver >"$E2E_LOGS/tauri-driver.log" 2>&1 &
  driver=$!
  cleanup() {
    kill "$driver" "$recorder" 2>/dev/null
    wait "$driver" "$recorder" 2>/dev/null
    rm -rf "$HOME"
  }
  trap cleanup EXIT
  ready=0
  for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$E2E_PORT/status" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "$driver" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$ready" != 1 ]; then
    echo "tauri-driver did not answer on port $E2E_PORT:" >&2
    cat "$E2E_LOGS/tauri-driver.log" >&2
    exit 1
  fi
  cd "$E2E_REPO"
  # --test-force-exit: a file whose tests are over exits even with a WebDriver request still open (a session
  # that never started kept the run waiting until CI killed it).
  node --test --test-concurrency=1 --test-force-exit "$@" tests/e2e/
' e2e "$@"
status=$?
set -e
echo "== End-to-end: exit $status in $(( $(date +%s) - start )) s; screenshots in $screenshots" >&2
ls "$screenshots" >&2 || true
exit "$status"
