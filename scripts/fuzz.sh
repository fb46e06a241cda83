#!/usr/bin/env bash
# Fuzzes every decoder of bytes Keystead reads (fuzz/fuzz_targets) with cargo-fuzz's libFuzzer on the
# stable toolchain, SECONDS per target (default 10, as scripts/test.sh runs it), then prints one line
# per target: executions, executions per second, coverage, crashes. Exits 1 if any target crashed;
# the crashing input is kept in fuzz/artifacts/<target>/ (copy it to fuzz/regressions/<target>/ once
# fixed: `cargo test` replays those).
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Sanitizer-free (`-s none`): Rust is memory safe, and stable rustc has no -Zsanitizer. libFuzzer still
# finds panics (every target checks its properties with assertions), hangs (-timeout) and runaway
# memory (-rss_limit_mb). New inputs the fuzzer finds go to the target dir, not to fuzz/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$CARGO_HOME/bin:$PATH"

seconds="${1:-10}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^keystead-fuzz$')
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "Installing cargo-fuzz" >&2
  cargo install cargo-fuzz --version 0.13.2 --locked
fi

# Beside the workspace's target dir (CI keeps it between runs, so the fuzz build stays warm).
target_dir="${CARGO_TARGET_DIR:-/var/tmp/keystead-ci-target}/fuzz"
fuzz=(cargo fuzz)
# With `-s none` cargo-fuzz passes rustc only stable flags (-Cpasses=sancov-module and the
# -sanitizer-coverage LLVM options): stable rustc builds the targets, no nightly needed.
build_start=$SECONDS
mkdir -p "$target_dir"
"${fuzz[@]}" build -s none --target-dir "$target_dir" >"$target_dir/build.log" 2>&1 ||
  { cat "$target_dir/build.log" >&2; exit 1; }
echo "fuzz build: $((SECONDS - build_start)) s"
bin_dir="$target_dir/$(rustc -vV | sed -n 's/^host: //p')/release"

failed=0
for t in "${targets[@]}"; do
  work="$target_dir/corpus/$t"
  mkdir -p "$work" "fuzz/artifacts/$t"
  seeds=()
  [ -d "fuzz/corpus/$t" ] && seeds+=("fuzz/corpus/$t")
  [ -d "fuzz/regressions/$t" ] && seeds+=("fuzz/regressions/$t")
  log="$target_dir/$t.log"
  status=0
  # The built binary itself (as `cargo fuzz run` runs it, without building again).
  "$bin_dir/$t" "$work" "${seeds[@]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
  crashes=0
  if [ "$status" -ne 0 ]; then
    crashes=1
    failed=1
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" >&2 || tail -30 "$log" >&2
  fi
  printf '%-15s %4s s  %10s execs  %7s execs/s  %-18s  crashes: %s\n' \
    "$t" "$seconds" "${runs:-?}" "${rate:-?}" "${cov:-cov: ?}" "$crashes"
done
exit "$failed"
