#!/usr/bin/env bash
# Keystead's benchmarks (issue #2): prints figures against the targets; asserts nothing.
#   1. criterion (src-tauri/core/benches/vault.rs): open + list of 1k/10k/100k keys with the KDF excluded,
#      the audit chain walk on 100k/1M entries, an unlock of an empty vault (≈ the Argon2id cost), a
#      passphrase change of 10k keys (new vault key, every record sealed again; Argon2id at the floor),
#      one add into 0 and 10k keys, and an import of 1,000 keys into 0 and 9,000 keys.
#   2. hyperfine on the release `keystead` binary: `list --json` on 0 and 10k keys, `show NAME` on 1 and
#      10k keys (one key read through the name index, whatever the vault's size), `audit --verify` on
#      100k and 1M audit entries. These wall times include process start, the OS keyring lookup (if a
#      Secret Service is reachable) and Argon2id at the floor (64 MiB, 3 passes).
#   3. The same 10,000 keys in a KeePass file (written by the benchmark binary with the keepass crate):
#      `keepassxc-cli ls` on it and on an empty one (hyperfine), and the two files' sizes.
# Run from anywhere: scripts/bench.sh. Takes a few minutes on 2 cores. Extra arguments go to criterion,
# e.g. scripts/bench.sh 'open_and_list' to run one group (the summary then shows "n/a" for the rest).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_build_deps
command -v hyperfine >/dev/null 2>&1 || apt_install hyperfine
command -v jq >/dev/null 2>&1 || apt_install jq
command -v keepassxc-cli >/dev/null 2>&1 || apt_install keepassxc

echo "== Building the release CLI and the benchmark" >&2
cargo build --release --locked -p keystead-cli
cargo bench --locked -p keystead-core --features bench --bench vault --no-run

target_dir=$(cargo metadata --format-version 1 --no-deps --locked | jq -r .target_directory)
keystead="$target_dir/release/keystead"
criterion_dir="${CRITERION_HOME:-$target_dir/criterion}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The bench binary writes a vault and exits when KEYSTEAD_BENCH_WRITE_VAULT is set (passphrase
# bench-passphrase, Argon2id at the floor). KEYSTEAD_BENCH_AUDIT is the total number of audit entries.
write_vault() { # path keys audit_entries
  KEYSTEAD_BENCH_WRITE_VAULT="$1" KEYSTEAD_BENCH_KEYS="$2" KEYSTEAD_BENCH_AUDIT="$3" \
    cargo bench --locked -q -p keystead-core --features bench --bench vault
}
echo "== Writing the CLI's test vaults in $work" >&2
write_vault "$work/empty.db" 0 0
write_vault "$work/keys1.db" 1 0
write_vault "$work/keys10k.db" 10000 0
write_vault "$work/audit100k.db" 0 100000
write_vault "$work/audit1m.db" 0 1000000
# The same 10,000 keys in a KeePass file (and an empty one), password bench-passphrase, Argon2d at the floor.
write_kdbx() { # path keys
  KEYSTEAD_BENCH_WRITE_KDBX="$1" KEYSTEAD_BENCH_KEYS="$2" \
    cargo bench --locked -q -p keystead-core --features bench --bench vault
}
write_kdbx "$work/empty.kdbx" 0
write_kdbx "$work/keys10k.kdbx" 10000

export KEYSTEAD_PASSPHRASE=bench-passphrase
# Mean wall time in ms of one CLI command on one vault (output discarded).
cli_ms() { # name vault args...
  local name=$1 vault=$2
  shift 2
  KEYSTEAD_VAULT="$vault" hyperfine -N --style basic --warmup 2 --min-runs 10 \
    --export-json "$work/$name.json" --command-name "keystead $* ($name)" "'$keystead' $*" >&2
  jq '.results[0].mean * 1000' "$work/$name.json"
}
echo "== CLI wall times (hyperfine)" >&2
cli_empty=$(cli_ms list-empty "$work/empty.db" list --json)
cli_10k=$(cli_ms list-10k "$work/keys10k.db" list --json)
show_1=$(cli_ms show-1 "$work/keys1.db" show bench-key-000000 --json)
show_10k=$(cli_ms show-10k "$work/keys10k.db" show bench-key-005000 --json)
cli_a100k=$(cli_ms audit-100k "$work/audit100k.db" audit --verify)
cli_a1m=$(cli_ms audit-1m "$work/audit1m.db" audit --verify)
# keepassxc-cli reads the password from stdin; the shell that feeds it is part of both runs.
kp_ms() { # name file
  hyperfine --style basic --warmup 2 --min-runs 10 --export-json "$work/kp-$1.json" \
    --command-name "keepassxc-cli ls ($1)" "printf 'bench-passphrase\\n' | keepassxc-cli ls -q '$2' >/dev/null" >&2
  jq '.results[0].mean * 1000' "$work/kp-$1.json"
}
kp_empty=$(kp_ms empty "$work/empty.kdbx")
kp_10k=$(kp_ms 10k "$work/keys10k.kdbx")
[ "$(printf 'bench-passphrase\n' | keepassxc-cli ls -q "$work/keys10k.kdbx" | wc -l)" = 10000 ] \
  || { echo "keepassxc-cli did not list the 10,000 entries" >&2; exit 1; }
vault_bytes=$(stat -c %s "$work/keys10k.db")
kdbx_bytes=$(stat -c %s "$work/keys10k.kdbx")

echo "== Criterion" >&2
cargo bench --locked -p keystead-core --features bench --bench vault -- "$@"

# Criterion's mean estimate in ms, or n/a when that benchmark did not run.
crit_ms() { # group/id
  local f="$criterion_dir/$1/new/estimates.json"
  if [ -f "$f" ] && [ "$f" -nt "$work" ]; then
    jq '.mean.point_estimate / 1e6' "$f"
  else
    echo n/a
  fi
}
open1k=$(crit_ms open_and_list/1000)
open10k=$(crit_ms open_and_list/10000)
open100k=$(crit_ms open_and_list/100000)
verify100k=$(crit_ms verify_audit/100000)
verify1m=$(crit_ms verify_audit/1000000)
kdf=$(crit_ms unlock/empty_vault)
rekey10k=$(crit_ms change_passphrase/10000)
relist10k=$(crit_ms list_after_a_write/10000)
relist100k=$(crit_ms list_after_a_write/100000)
add0=$(crit_ms add_one/0)
add10k=$(crit_ms add_one/10000)
import0=$(crit_ms import_1000/0)
import9k=$(crit_ms import_1000/9000)

fmt() { [ "$1" = n/a ] && echo n/a || printf '%.1f ms' "$1"; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f ms", a - b }'; }
# "+3.2% against the empty vault (MET: within 10%)", for one write at two vault sizes.
within() { # big_ms small_ms percent
  { [ "$1" = n/a ] || [ "$2" = n/a ]; } && { echo "not run"; return; }
  awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { d = (a - b) / b * 100; printf "%+.1f%% against the empty vault (%s: within %s%%)\n", d, (d <= p ? "MET" : "MISSED"), p }'
}
verdict() { # value_ms limit_ms
  [ "$1" = n/a ] && { echo "not run"; return; }
  awk -v v="$1" -v l="$2" 'BEGIN { if (v <= l) print "MET (target <= " l " ms)"; else printf "MISSED (target <= %s ms, %.1fx over)\n", l, v / l }'
}

cat <<EOF

==== Keystead benchmark summary ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)) ====
Open + decrypt all entries, KDF excluded (criterion mean: bench_reopen + list):
  1k keys:     $(fmt "$open1k")
  10k keys:    $(fmt "$open10k")   $(verdict "$open10k" 50)
  100k keys:   $(fmt "$open100k")
One key edited, then list() on the open vault (what the app asks after each write):
  10k keys:    $(fmt "$relist10k")
  100k keys:   $(fmt "$relist100k")
Audit chain walk, verify_audit (criterion mean):
  100k entries: $(fmt "$verify100k")
  1M entries:   $(fmt "$verify1m")   $(verdict "$verify1m" 1000)
KDF: Vault::unlock of an empty vault (Argon2id 64 MiB, 3 passes): $(fmt "$kdf")
Passphrase change, 10k keys (criterion mean; checks, Argon2id at the floor, every record sealed again):
  $(fmt "$rekey10k")   $(verdict "$rekey10k" 3000)
Writes (criterion mean; each commit with its audit entry and the vault's row digest):
  add one key, empty vault:      $(fmt "$add0")
  add one key, 10k keys:         $(fmt "$add10k")   $(within "$add10k" "$add0" 10)
  import 1,000 keys (Passivbot file: parse, preview, apply), empty vault: $(fmt "$import0")
  import 1,000 keys into 9,000:  $(fmt "$import9k")   $(verdict "$import9k" 2000)
CLI wall time (hyperfine mean; includes process start, keyring lookup and the KDF):
  list --json, 0 keys:           $(fmt "$cli_empty")   (fixed cost: KDF + start-up)
  list --json, 10k keys:         $(fmt "$cli_10k"), of which KDF ≈ $(fmt "$kdf") and fixed cost $(fmt "$cli_empty"); beyond the fixed cost: $(sub "$cli_10k" "$cli_empty")
  show --json, 1 key:            $(fmt "$show_1")
  show --json, 10k keys:         $(fmt "$show_10k"); beyond the 1-key vault: $(sub "$show_10k" "$show_1") (list beyond the fixed cost: $(sub "$cli_10k" "$cli_empty"))
  audit --verify, 100k entries:  $(fmt "$cli_a100k"); beyond the fixed cost: $(sub "$cli_a100k" "$cli_empty")
  audit --verify, 1M entries:    $(fmt "$cli_a1m"); beyond the fixed cost: $(sub "$cli_a1m" "$cli_empty")   $(verdict "$(awk -v a="$cli_a1m" -v b="$cli_empty" 'BEGIN { print a - b }')" 1000)
The same 10,000 keys in KeePassXC (keepassxc-cli ls, hyperfine mean; Argon2d at the floor too):
  ls, 0 entries:                 $(fmt "$kp_empty")
  ls, 10k entries:               $(fmt "$kp_10k"); beyond the fixed cost: $(sub "$kp_10k" "$kp_empty")
  Keystead's list beyond its fixed cost is $(awk -v k="$kp_10k" -v ke="$kp_empty" -v c="$cli_10k" -v ce="$cli_empty" 'BEGIN { r = (k - ke) / (c - ce); printf "%.1fx faster (%s: target >= 40x)", r, (r >= 40 ? "MET" : "MISSED") }')
File size, 10k keys (each file as its program writes it, 1 audit event per key in the vault):
  Keystead vault:                $(awk -v b="$vault_bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }')
  KeePass (KDBX 4, GZip):        $(awk -v b="$kdbx_bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }')
  ratio:                         $(awk -v v="$vault_bytes" -v k="$kdbx_bytes" 'BEGIN { r = v / k; printf "%.1fx KDBX (%s: target <= 3x)", r, (r <= 3 ? "MET" : "MISSED") }')
EOF
