#!/usr/bin/env bash
# freqtrade itself under `keystead run --profile freqtrade`: `freqtrade show-config` over a config file as
# `freqtrade new-config` writes it (an empty "api_key" and "secret") must report the vault's key and secret.
# Checked twice: by digest (the values never printed), and in the redacted form a user sees, `--mask`
# turning the values freqtrade prints into <concealed by keystead>. freqtrade is installed from PyPI into a
# venv cached in the target dir (about 2 minutes the first time, seconds afterwards).
#   tests/package/freqtrade.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
source scripts/deps.sh
apt_install python3-venv
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$CARGO_HOME/bin:$PATH"
fail() { echo "FAIL: $*" >&2; exit 1; }

# The release whose configuration/environment_vars.py and exchange.py the profile's names were checked against.
freqtrade_version=2026.9
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$repo/$target" ;; esac
venv="$target/freqtrade-venv"
stamp="$venv/.installed-freqtrade-$freqtrade_version"

start=$(date +%s)
if [ ! -f "$stamp" ]; then
  echo "== Installing freqtrade $freqtrade_version into $venv" >&2
  rm -rf "$venv"
  # Debian's Python (a pyenv one may come first in PATH).
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "freqtrade==$freqtrade_version"
  touch "$stamp"
fi
echo "== freqtrade venv ready in $(( $(date +%s) - start )) s" >&2
cargo build -q --locked -p keystead-cli
keystead="$target/debug/keystead"

work=$(mktemp -d /tmp/keystead-freqtrade.XXXXXX)
trap 'rm -rf "$work"' EXIT
home="$work/home"
mkdir -p "$home" "$work/user_data"
api_key="ftKey$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
secret="ftSecret$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
passphrase="freqtrade test passphrase"
ks() {
  env -i PATH="$venv/bin:/usr/bin:/bin" HOME="$home" XDG_DATA_HOME="$home/.local/share" \
    XDG_STATE_HOME="$home/.local/state" XDG_CONFIG_HOME="$home/.config" TZ=UTC KEYSTEAD_VAULT="$home/vault.db" \
    KEYSTEAD_KDF_TARGET_MS=1 KEYSTEAD_PASSPHRASE="$passphrase" "$keystead" "$@"
}
ks init >/dev/null 2>&1
printf '{"apiKey":"%s","secret":"%s"}' "$api_key" "$secret" |
  ks add --name ft-bot --exchange binance --env testnet --scopes read,trade --ip 203.0.113.7 --secrets-stdin >/dev/null
# The exchange section as `freqtrade new-config` writes it: the empty api_key would hide a key given only as
# FREQTRADE__EXCHANGE__KEY.
cat >"$work/config.json" <<'EOF'
{
  "stake_currency": "USDT",
  "stake_amount": "unlimited",
  "dry_run": true,
  "exchange": { "name": "binance", "api_key": "", "secret": "", "pair_whitelist": ["BTC/USDT"] },
  "pairlists": [{ "method": "StaticPairList" }]
}
EOF
show_config=(freqtrade show-config --config "$work/config.json" --userdir "$work/user_data" --show-sensitive)

# The configuration freqtrade prints after "Your combined configuration is:": digests of the API key and secret.
digests='
import hashlib, json, sys
text = sys.stdin.read()
exchange = json.loads(text[text.index("{"):])["exchange"]
for field in ("api_key", "secret"):
    print(field, hashlib.sha256(str(exchange.get(field)).encode()).hexdigest())
'
start=$(date +%s)
got=$(ks run --profile freqtrade --key ft-bot -- "${show_config[@]}" 2>"$work/freqtrade.log" |
  "$venv/bin/python" -c "$digests") || fail "freqtrade show-config failed: $(tail -5 "$work/freqtrade.log")"
expected=$(printf 'api_key %s\nsecret %s' "$(printf %s "$api_key" | sha256sum | cut -d' ' -f1)" \
  "$(printf %s "$secret" | sha256sum | cut -d' ' -f1)")
[ "$got" = "$expected" ] || fail "freqtrade does not report the vault's key and secret:
$got
expected:
$expected"
echo "== freqtrade show-config reports the vault's key and secret ($(( $(date +%s) - start )) s)" >&2

start=$(date +%s)
shown=$(ks run --mask --profile freqtrade --key ft-bot -- "${show_config[@]}" 2>"$work/freqtrade.log") ||
  fail "freqtrade show-config under --mask failed: $(tail -5 "$work/freqtrade.log")"
for field in api_key secret; do
  printf '%s\n' "$shown" | grep -qF "\"$field\": \"<concealed by keystead>\"" ||
    fail "show-config under --mask does not show $field as <concealed by keystead>"
done
if printf '%s' "$shown" | grep -qF -e "$api_key" -e "$secret"; then
  fail "show-config under --mask printed a secret"
fi
echo "== freqtrade show-config under --mask shows them as <concealed by keystead> ($(( $(date +%s) - start )) s)" >&2
echo "== freqtrade test passed" >&2
