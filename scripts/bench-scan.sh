#!/usr/bin/env bash
# The leak scanner's benchmark (issue 14): prints figures against the goal (>= 250 MB/s on 2 cores with 100
# keys' secrets and every shape rule); asserts nothing. Not part of CI.
#   1. scripts/scan-tree.py writes a deterministic >= 500 MB source-like tree with planted secrets into a
#      temp dir (SCAN_TREE_MB to change the size).
#   2. Keystead's scanner in release (src-tauri/core/examples/scan_bench.rs: 100 keys' API keys and secrets
#      from a seed, every encoding, all shape and assignment rules) over the tree.
#   3. ripgrep (Debian's; installed with apt if missing) with an equivalent pattern set: the shape regexes
#      (-e each) and, separately, the 100 keys' secrets in every encoding as fixed strings (-F -f).
# Each is timed with hyperfine when it is installed (else with `time`), the tree read once before to warm
# the page cache. Run from anywhere: scripts/bench-scan.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_rust
command -v rg >/dev/null 2>&1 || apt_install ripgrep
command -v jq >/dev/null 2>&1 || apt_install jq

echo "== Building the scanner benchmark (release)" >&2
cargo build --release --locked -p keystead-core --example scan_bench
target_dir=$(cargo metadata --format-version 1 --no-deps --locked | jq -r .target_directory)
bench="$target_dir/release/examples/scan_bench"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== Generating the tree in $work/tree" >&2
python3 scripts/scan-tree.py "$work/tree" "${SCAN_TREE_MB:-520}" >&2
bytes=$(find "$work/tree" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
mb=$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}')
cat "$work"/tree/*/*/* >/dev/null 2>&1 || true

"$bench" "$work/tree" --literals "$work/literals.txt"
# The same literals as regexes (for one rg run with the shapes), metacharacters escaped.
python3 -c 'import re, sys; [print(re.escape(line.rstrip("\n"))) for line in sys.stdin]' \
  <"$work/literals.txt" >"$work/literals.re"
# The shape rules of src-tauri/core/src/scan/rules.rs that run over whole files, in ripgrep's syntax.
shapes=(
  -e '\b[A-Za-z0-9]{64}\b' -e '\b[A-Za-z0-9+/]{56}' -e '\b[A-Za-z0-9+/]{86}=='
  -e '\b[A-Za-z0-9]{43}\b' -e 'organizations/[0-9a-fA-F-]{36}/apiKeys/[0-9a-fA-F-]{36}'
  -e '-----BEGIN (EC |RSA |OPENSSH |)PRIVATE KEY-----' -e '\b0x[0-9a-fA-F]{64}\b'
  -e '\bAKIA[0-9A-Z]{16}\b' -e '\bgh[pousr]_[A-Za-z0-9]{36,}' -e '\bgithub_pat_[A-Za-z0-9_]{22,}'
  -e '\bxox[baprs]-[A-Za-z0-9-]{10,}'
  -e '(?i)[A-Za-z0-9_.-]*(api_?key|secret|passphrase|password|private_?key|token)["'"'"']?[ \t]*(:|=)[ \t]*["'"'"']?[^\s"'"'"',;]{8,}'
)

# Seconds of one command: hyperfine's mean, or one timed run.
seconds() { # name command...
  local name=$1
  shift
  if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N --style basic --warmup 1 --runs 3 -i --export-json "$work/$name.json" \
      --command-name "$name" "$(printf '%q ' "$@")" >&2
    jq '.results[0].mean' "$work/$name.json"
  else
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null || true
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN {print e - s}'
  fi
}

echo "== Keystead's scanner" >&2
"$bench" "$work/tree" >&2
ks=$(seconds keystead "$bench" "$work/tree")
echo "== ripgrep" >&2
rg_lit=$(seconds rg-literals rg -c -F -f "$work/literals.txt" "$work/tree")
rg_shapes=$(seconds rg-shapes rg -c "${shapes[@]}" "$work/tree")
rg_all=$(seconds rg-all rg -c -f "$work/literals.re" "${shapes[@]}" "$work/tree")

rate() { awk -v b="$bytes" -v s="$1" 'BEGIN {printf "%7.0f MB/s  (%.2f s)", b / 1e6 / s, s}'; }
echo
echo "Tree: $mb MB, $(find "$work/tree" -type f | wc -l) files; $(wc -l <"$work/literals.txt") literal forms of 200 secrets"
echo "keystead scan (own secrets + shapes + assignments): $(rate "$ks")   goal >= 250 MB/s"
echo "rg -F literals only:                                 $(rate "$rg_lit")"
echo "rg shape + assignment regexes only:                  $(rate "$rg_shapes")"
echo "rg literals + regexes together:                      $(rate "$rg_all")"
