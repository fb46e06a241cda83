# Sourced by the other scripts: installs what Keystead needs to build and test, only what is missing,
# so a second run costs nothing. Works as root or through sudo on Debian 12.

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "Installing Debian packages: ${missing[*]}" >&2
  # Wait for another apt (an unattended upgrade, a second script) rather than fail on its lock.
  local wait=(-o DPkg::Lock::Timeout=600)
  "${sudo[@]}" apt-get "${wait[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${wait[@]}" install -y -qq "${missing[@]}" >/dev/null
}

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    # Debian's own rustc is too old for our dependencies (they need 1.85+); rustup brings a current one.
    apt_install curl ca-certificates
    echo "Installing Rust with rustup" >&2
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
}

# C compiler for the bundled SQLite; libdbus for the OS keyring (Secret Service); WebKitGTK and friends
# for the Tauri desktop app.
ensure_build_deps() {
  apt_install build-essential pkg-config libdbus-1-dev libwebkit2gtk-4.1-dev libssl-dev libxdo-dev \
    libayatana-appindicator3-dev librsvg2-dev file
  ensure_rust
}

# Node.js and npm for the web UI (Vite needs Node 20.19 or newer).
ensure_node() {
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
}

# The UI's packages, installed from the lock file when it changed.
ensure_ui_packages() {
  ensure_node
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    npm --prefix ui ci --no-audit --no-fund
  fi
}
