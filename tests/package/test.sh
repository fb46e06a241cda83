#!/usr/bin/env bash
# The two Debian packages on this machine: builds the debug packages (scripts/package.sh --debug, reusing the
# app binary scripts/e2e.sh built), installs keystead-cli with apt and runs the installed /usr/bin/keystead
# for real (a vault in a throw-away HOME, a key, `keystead run` with a passphrase file, the README's cron
# lines, the systemd unit through `systemd-analyze verify`), then installs the desktop package over it (which
# must take keystead-cli's place), and removes everything again: the machine is left as it was found, also on
# failure or Ctrl+C. Prints the time of each step.
#   tests/package/test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
source scripts/deps.sh
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
apt_get() { DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 "$@"; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep ' installed$' >/dev/null; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# desktop-file-validate checks the menu entry.
apt_install desktop-file-utils

for p in keystead keystead-cli; do
  if installed "$p"; then
    fail "the package $p is installed on this machine; this test installs and removes it, so remove it first (apt-get purge $p)"
  fi
done
[ ! -e /usr/bin/keystead ] || fail "/usr/bin/keystead exists but belongs to no keystead package; move it away first"

timings=()
test_start=$(date +%s%N)
step_start=$test_start
# Ends the step named $1: its time is kept for the summary.
done_step() {
  local now ms
  now=$(date +%s%N)
  ms=$(( (now - step_start) / 1000000 ))
  timings+=("$(printf '%6d.%d s  %s' $((ms / 1000)) $((ms % 1000 / 100)) "$1")")
  echo "== $1: $((ms / 1000)).$((ms % 1000 / 100)) s" >&2
  step_start=$now
}

work=$(mktemp -d /tmp/keystead-package-test.XXXXXX)
auto_before=$(apt-mark showauto | sort)
remove_packages() {
  local p new_auto
  for p in keystead keystead-cli; do
    if installed "$p"; then apt_get purge -y -qq "$p" >/dev/null; fi
  done
  # Dependencies apt pulled in for the packages (marked automatic) go too.
  new_auto=$(comm -13 <(printf '%s\n' "$auto_before") <(apt-mark showauto | sort))
  if [ -n "$new_auto" ]; then
    # shellcheck disable=SC2086
    apt_get purge -y -qq $new_auto >/dev/null
  fi
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  remove_packages || status=1
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
# Under pipefail, `cmd | grep -q` fails when cmd writes after grep has quit (SIGPIPE): checks read a
# process's whole output (grep … >/dev/null, or $(…) first); grep -q only reads printf's.
# A command that fails outside the checks below is named (not those inside $(…), whose callers check them).
trap '[ "$BASH_SUBSHELL" -eq 0 ] && echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Build -----------------------------------------------------------------------------------------------
packaged=$(scripts/package.sh --debug --reuse-app)
desktop_deb=$(printf '%s\n' "$packaged" | sed -n 's#^desktop package[^/]*##p')
server_deb=$(printf '%s\n' "$packaged" | sed -n 's#^server package[^/]*##p')
[ -f "$desktop_deb" ] && [ -f "$server_deb" ] || fail "scripts/package.sh did not print both packages: $packaged"
done_step "build the debug packages (scripts/package.sh --debug --reuse-app)"

depends=$(dpkg-deb -f "$server_deb" Depends)
if printf '%s' "$depends" | grep -qiE 'webkit|gtk|appindicator'; then
  fail "keystead-cli depends on desktop libraries: $depends"
fi
contents() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's#^\./#/#; s#^\([^/]\)#/\1#'; }
contents "$server_deb" | grep -x '/usr/bin/keystead' >/dev/null || fail "keystead-cli holds no /usr/bin/keystead"
if contents "$server_deb" | grep -E -v '^/usr/(bin/keystead|share/doc/keystead-cli/.*|bin/|share/|share/doc/|)$'; then
  fail "keystead-cli holds more than the command and its documentation (above)"
fi
for f in /usr/bin/keystead /usr/bin/keystead-app /usr/share/applications/Keystead.desktop; do
  contents "$desktop_deb" | grep -x "$f" >/dev/null || fail "the desktop package holds no $f"
done
for field in Conflicts Replaces Provides; do
  [ "$(dpkg-deb -f "$desktop_deb" "$field")" = keystead-cli ] || fail "the desktop package's $field is not keystead-cli"
done
done_step "check the packages' fields and contents"

# --- keystead-cli, installed -----------------------------------------------------------------------------
apt_get install -y -qq "$server_deb" >/dev/null
installed keystead-cli || fail "keystead-cli did not install"
[ "$(dpkg-query -S /usr/bin/keystead | cut -d: -f1)" = keystead-cli ] || fail "/usr/bin/keystead is not keystead-cli's"
if ldd /usr/bin/keystead | grep -iE 'webkit|gtk' >/dev/null; then fail "the installed keystead links desktop libraries"; fi
done_step "apt-get install keystead-cli"

home="$work/home"
mkdir -p "$home"
passphrase="package test passphrase $RANDOM$RANDOM"
api_key="pkgTestKey$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
secret="pkgTestSecret$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$passphrase" >"$work/passphrase"
chmod 600 "$work/passphrase"
# The installed command in a clean environment: nothing from this shell (or cargo) leaks in.
ks() {
  env -i PATH=/usr/bin:/bin HOME="$home" XDG_DATA_HOME="$home/.local/share" XDG_STATE_HOME="$home/.local/state" \
    XDG_CONFIG_HOME="$home/.config" TZ=UTC KEYSTEAD_VAULT="$home/vault.db" KEYSTEAD_KDF_TARGET_MS=1 "$@"
}
expected_version="keystead $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
version=$(ks keystead --version)
[ "$version" = "$expected_version" ] || fail "keystead --version printed '$version', expected '$expected_version'"
ks KEYSTEAD_PASSPHRASE="$passphrase" keystead init >/dev/null 2>&1
printf '{"apiKey":"%s","secret":"%s"}' "$api_key" "$secret" |
  ks KEYSTEAD_PASSPHRASE="$passphrase" keystead add --name server-bot --exchange binance --env testnet \
    --scopes read,trade --ip 203.0.113.7 --secrets-stdin >/dev/null
# A child that prints digests of what it got, never the values; the passphrase comes from the file, as
# under the systemd unit, and stdin stays the child's.
child='printf %s "$BINANCE_APIKEY" | sha256sum; printf %s "$BINANCE_SECRET" | sha256sum; echo "file=${KEYSTEAD_PASSPHRASE_FILE-unset} pass=${KEYSTEAD_PASSPHRASE-unset}"; cat'
got=$(echo "stdin for the bot" | ks KEYSTEAD_PASSPHRASE_FILE="$work/passphrase" keystead run --key server-bot -- sh -c "$child")
expected=$(printf '%s  -\n%s  -\nfile=unset pass=unset\nstdin for the bot' \
  "$(printf %s "$api_key" | sha256sum | cut -d' ' -f1)" "$(printf %s "$secret" | sha256sum | cut -d' ' -f1)")
[ "$got" = "$expected" ] || fail "keystead run handed over something else:
$got
expected:
$expected"
code=0
ks KEYSTEAD_PASSPHRASE_FILE="$work/passphrase" keystead run --key server-bot -- sh -c 'exit 7' </dev/null || code=$?
[ "$code" = 7 ] || fail "keystead run exited $code, not the program's 7"
done_step "keystead --version, init, add, run (passphrase file) with the installed command"

# The cron lines of keystead-due.cron (also in the README), run as cron would: sh, the crontab's variable.
# The repository's copies: a minimal image may keep dpkg from writing /usr/share/doc.
examples="$repo/src-tauri/cli/packaging"
for f in keystead-due.cron keystead-bot@.service; do
  dpkg -L keystead-cli | grep -x "/usr/share/doc/keystead-cli/examples/$f" >/dev/null || fail "keystead-cli does not install $f"
done
cron_file="$examples/keystead-due.cron"
daily=$(grep -E '^0 8 \* \* \* ' "$cron_file" | sed -E 's/^([^ ]+ +){5}//')
weekly=$(grep -E '^0 8 \* \* 1 ' "$cron_file" | sed -E 's/^([^ ]+ +){5}//')
[ -n "$daily" ] && [ -n "$weekly" ] || fail "no daily and weekly line in $cron_file"
cron_env=(KEYSTEAD_PASSPHRASE_FILE="$work/passphrase")
mail=$(ks "${cron_env[@]}" sh -c "$daily" </dev/null)
[ -z "$mail" ] || fail "the daily cron line printed (cron would mail) with nothing overdue: $mail"
printf '{"apiKey":"%sold","secret":"%sold"}' "$api_key" "$secret" |
  ks KEYSTEAD_PASSPHRASE="$passphrase" keystead add --name expired-key --exchange binance --env testnet \
    --scopes read --expires 2020-01-01 --secrets-stdin >/dev/null 2>&1
mail=$(ks "${cron_env[@]}" sh -c "$daily" </dev/null)
printf '%s' "$mail" | grep -q 'expired-key' || fail "the daily cron line did not report the expired key: $mail"
mail=$(ks sh -c "$daily" </dev/null)
printf '%s' "$mail" | grep -qi 'passphrase' || fail "the daily cron line without a passphrase said nothing: $mail"
# Exit 1 (an expired key) is what cron ignores; the mail is the table.
mail=$(ks "${cron_env[@]}" sh -c "$weekly" </dev/null) || true
printf '%s' "$mail" | grep -q 'expired-key' || fail "the weekly cron line did not list the expired key: $mail"
for line in "$daily" "$weekly"; do
  grep -qF -- "$line" README.md || fail "README does not show the cron line: $line"
done
done_step "the cron lines for keystead due"

unit="$examples/keystead-bot@.service"
while IFS= read -r line; do
  case "$line" in '' | '#'*) continue ;; esac
  grep -qxF -- "$line" README.md || fail "README's unit differs from $unit at: $line"
done <"$unit"
if command -v systemd-analyze >/dev/null 2>&1; then
  # systemd-analyze exits 0 on settings it ignores: any message is a failure. The unit's /usr/bin/keystead
  # must exist, which it does now.
  verify=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify failed: $verify"
  [ -z "$verify" ] || fail "systemd-analyze verify complained: $verify"
  done_step "systemd-analyze verify keystead-bot@.service"
else
  echo "== systemd-analyze is not installed: the unit was not verified" >&2
fi

# --- The desktop package, over keystead-cli ----------------------------------------------------------------
apt_get install -y -qq "$desktop_deb" >/dev/null
installed keystead || fail "the desktop package did not install"
! installed keystead-cli || fail "keystead-cli is still installed beside the desktop package"
[ "$(dpkg-query -S /usr/bin/keystead | cut -d: -f1)" = keystead ] || fail "/usr/bin/keystead is not the desktop package's"
[ -x /usr/bin/keystead-app ] || fail "no /usr/bin/keystead-app"
desktop_file=/usr/share/applications/Keystead.desktop
grep -qx 'Exec=keystead-app' "$desktop_file" || fail "$desktop_file does not start keystead-app: $(cat "$desktop_file")"
desktop-file-validate "$desktop_file" || fail "$desktop_file is not a valid desktop entry"
if ldd /usr/bin/keystead-app | grep 'not found' >/dev/null; then
  fail "the desktop package's Depends leave libraries missing: $(ldd /usr/bin/keystead-app | grep 'not found')"
fi
version=$(ks keystead --version)
[ "$version" = "$expected_version" ] || fail "the desktop package's keystead --version printed '$version'"
listed=$(ks KEYSTEAD_PASSPHRASE_FILE="$work/passphrase" keystead list </dev/null 2>&1) ||
  fail "the desktop package's keystead list failed: $listed"
printf '%s\n' "$listed" | grep -q server-bot || fail "the desktop package's keystead does not list the vault's key: $listed"
# The other way round is refused: both packages cannot hold /usr/bin/keystead.
if "${sudo[@]}" dpkg -i "$server_deb" >"$work/dpkg.log" 2>&1; then
  fail "dpkg installed keystead-cli beside the desktop package"
fi
grep -qi 'conflict' "$work/dpkg.log" || fail "dpkg refused keystead-cli, but not for the conflict: $(cat "$work/dpkg.log")"
installed keystead && ! installed keystead-cli || fail "a refused keystead-cli changed the installed packages"
done_step "apt-get install the desktop package (replaces keystead-cli); checks"

remove_packages
[ ! -e /usr/bin/keystead ] && [ ! -e /usr/bin/keystead-app ] && [ ! -e "$desktop_file" ] ||
  fail "files are left after removing the packages"
done_step "apt-get purge"

step_start=$test_start
done_step "package test, in all" >/dev/null 2>&1
echo "== Package test passed. Timings:" >&2
printf '%s\n' "${timings[@]}" >&2
