#!/usr/bin/env bash
# The long runs of the crash, power-loss and corruption proofs (issue 11; README "Security"). The same
# tests run short in CI (cargo test); here they run long and print their figures. Any broken rule fails
# the run with the seed that repeats it.
#   scripts/proof.sh kills [N] [SEED]   N SIGKILLs of the keystead CLI during writes (default 1000)
#   scripts/proof.sh power [N] [SEED]   N power-loss copies of a vault opened (default 500)
#   scripts/proof.sh flips [N] [SEED]   N changed bytes of a vault and its WAL (default 20000), and every
#                                       byte of three share files
#   scripts/proof.sh [all] [SEED]       all three with their defaults
# SEED defaults to the current time; JOBS (default 2) splits the kills over that many processes, with
# seeds SEED, SEED+1, … Debug builds, as in CI. The flips build keystead-core with its test-only feature
# `proof`, which remembers Argon2id results inside that one test process (never in the app or the CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_build_deps

what=${1:-all}
jobs=${JOBS:-2}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# The test binary cargo builds for `cargo test ARGS` (built, not run).
test_binary() {
  cargo test --locked "$@" --no-run 2>&1 | tee "$log/build" >&2
  sed -n 's/.*Executable .*(\(.*\))$/\1/p' "$log/build" | tail -n 1
}

kills() { # count seed
  local count=$1 seed=$2 bin pids=() i
  bin=$(test_binary -p keystead-cli --test cli)
  echo "== Crash proof: $count SIGKILLs in $jobs processes, seeds $seed.. (KEYSTEAD_PROOF_SEED)"
  for ((i = 0; i < jobs; i++)); do
    KEYSTEAD_PROOF_KILLS=$(((count + jobs - 1 - i) / jobs)) KEYSTEAD_PROOF_SEED=$((seed + i)) \
      "$bin" crash::sigkill --nocapture >"$log/kills-$i" 2>&1 &
    pids+=($!)
  done
  local failed=0
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { failed=1; cat "$log/kills-$i"; }
  done
  grep -h "crash proof: seed" "$log"/kills-*
  [ "$failed" -eq 0 ]
}

power() { # count seed
  local bin
  bin=$(test_binary -p keystead-core --test power_loss)
  echo "== Power-loss proof: $1 copies, seed $2"
  KEYSTEAD_PROOF_POWER_CUTS=$1 KEYSTEAD_PROOF_SEED=$2 "$bin" --nocapture >"$log/power" 2>&1 ||
    { cat "$log/power"; return 1; }
  grep "power-loss proof: seed" "$log/power"
}

flips() { # count seed
  local bin
  bin=$(test_binary -p keystead-core --features proof --test corruption)
  echo "== Corruption proof: $1 vault bytes and every share-file byte, seed $2"
  KEYSTEAD_PROOF_VAULT_FLIPS=$1 KEYSTEAD_PROOF_SHARE_FLIPS=1000000 KEYSTEAD_PROOF_SEED=$2 \
    "$bin" --nocapture --test-threads 1 >"$log/flips" 2>&1 || { cat "$log/flips"; return 1; }
  grep "corruption proof.*seed" "$log/flips"
}

seed_or_now() { echo "${1:-$(date +%s)}"; }

case "$what" in
  kills) kills "${2:-1000}" "$(seed_or_now "${3:-}")" ;;
  power) power "${2:-500}" "$(seed_or_now "${3:-}")" ;;
  flips) flips "${2:-20000}" "$(seed_or_now "${3:-}")" ;;
  all)
    seed=$(seed_or_now "${2:-}")
    kills 1000 "$seed"
    power 500 "$seed"
    flips 20000 "$seed"
    ;;
  *)
    echo "usage: scripts/proof.sh [kills|power|flips [N] [SEED] | all [SEED]]" >&2
    exit 2
    ;;
esac
