#!/usr/bin/env bash
# make fuzz: the coverage-guided fuzz targets (fuzz/, cargo-fuzz + libFuzzer) over every target
# (json, xml, token, request, action), 10 million inputs each by default (FUZZ_INPUTS), built
# optimised with debug assertions and overflow checks (an overflow is a finding). Each target's
# seed corpus is written from the real fixtures (events/ and fuzz-driver/corpus/) into
# fuzz/corpus/<target>/ before it runs (libFuzzer adds what it finds there; both are
# git-ignored). Prints, per target: inputs run, seconds, inputs per second, final coverage
# (edges and features), corpus size and crashes; exits non-zero when any target crashed (the
# crashing input is in fuzz/artifacts/<target>/; replay it with
# `cargo +nightly fuzz run <target> fuzz/artifacts/<target>/crash-…`).
#
#   scripts/fuzz.sh [target...]           the coverage-guided targets (all five by default)
#   scripts/fuzz.sh --stable [args...]    the stable, structure-aware driver instead (no
#                                         nightly): `--seed N`, targets; what `make test` slices
#
# Installs what it needs on first use: rustup (its own installer) when absent, a nightly
# toolchain (minimal profile; FUZZ_TOOLCHAIN to choose another), g++ (apt) when there is no C++
# compiler for libFuzzer, and cargo-fuzz into the git-ignored .tools/cargo-fuzz (`cargo install
# --locked`). FUZZ_JOBS runs that many targets at a time (default 1); FUZZ_SECONDS bounds each
# target's time (libFuzzer's -max_total_time; the summary says when that stopped a target
# before FUZZ_INPUTS); FUZZ_ARGS adds libFuzzer flags.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
inputs="${FUZZ_INPUTS:-10000000}"

if [[ "${1:-}" == "--stable" ]]; then
  shift
  cargo build --profile fuzz -p fuzz-driver
  exec "$root/target/fuzz/fuzz-driver" --inputs "$inputs" "$@"
fi

toolchain="${FUZZ_TOOLCHAIN:-nightly}"
cargo_fuzz_version=0.13.2
export PATH="$root/.tools/cargo-fuzz/bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if ! command -v rustup >/dev/null; then
  echo "fuzz: installing rustup (rustup-init from static.rust-lang.org)" >&2
  command -v curl >/dev/null || { echo "fuzz: curl is needed to install rustup" >&2; exit 1; }
  # rustup-init must be called rustup-init (its name says what it is).
  init_dir="$(mktemp -d)"
  curl --proto '=https' --tlsv1.2 -sSf -o "$init_dir/rustup-init" \
    "https://static.rust-lang.org/rustup/dist/$(uname -m)-unknown-linux-gnu/rustup-init"
  chmod +x "$init_dir/rustup-init"
  # No default toolchain: every cargo and rustc here names its toolchain.
  "$init_dir/rustup-init" -y --no-modify-path --profile minimal --default-toolchain none
  rm -rf "$init_dir"
fi
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
  echo "fuzz: installing the $toolchain toolchain (minimal profile)" >&2
  rustup toolchain install "$toolchain" --profile minimal
fi
if ! cargo-fuzz --version 2>/dev/null | grep -q "$cargo_fuzz_version"; then
  echo "fuzz: installing cargo-fuzz $cargo_fuzz_version into .tools/cargo-fuzz" >&2
  cargo "+$toolchain" install --locked --quiet cargo-fuzz --version "$cargo_fuzz_version" \
    --root "$root/.tools/cargo-fuzz"
fi

# libfuzzer-sys compiles libFuzzer (C++).
if ! command -v c++ >/dev/null; then
  echo "fuzz: installing g++ (apt), for libFuzzer" >&2
  sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq g++ >/dev/null
fi

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(json xml token request action)

# Release optimisation, debug assertions and overflow checks, no sanitizer (the code under test
# is safe Rust; AddressSanitizer would only slow it). All five targets in one build.
cargo "+$toolchain" fuzz build --release --debug-assertions --sanitizer none
bin_dir="$root/fuzz/target/$(rustc "+$toolchain" -vV | sed -n 's/^host: //p')/release"

mkdir -p "$root/fuzz/logs"

# Runs one target; its summary line goes to fuzz/logs/<target>.summary, its exit status is the
# fuzzer's.
run_target() {
  local target=$1
  local corpus="$root/fuzz/corpus/$target" artifacts="$root/fuzz/artifacts/$target"
  local log="$root/fuzz/logs/$target.log"
  mkdir -p "$corpus" "$artifacts"
  echo "fuzz: $target, $inputs inputs (log: fuzz/logs/$target.log)" >&2
  local started status=0
  started=$(date +%s.%N)
  # FUZZ_SEED_CORPUS: the target writes its seeds from the fixtures into the corpus first.
  # shellcheck disable=SC2086
  FUZZ_SEED_CORPUS="$corpus" "$bin_dir/$target" \
    -runs="$inputs" ${FUZZ_SECONDS:+-max_total_time=$FUZZ_SECONDS} \
    -max_len=65536 -timeout=60 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} \
    "$corpus" >"$log" 2>&1 || status=$?
  local secs runs last cov ft corp crashes rate
  secs=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  # The last status line libFuzzer printed: "#N DONE cov: E ft: F corp: C/…".
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  if [[ $status -ne 0 ]]; then
    # A crash stops the target: its input count is where libFuzzer was.
    [[ -n "$runs" ]] || runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
    crashes="$(grep -c 'Test unit written to' "$log" || true) (exit $status)"
    grep -E 'fuzz finding|panicked at|Test unit written to' "$log" | head -5 >&2 || true
  else
    crashes=0
    # Stopped by FUZZ_SECONDS before FUZZ_INPUTS: said, not hidden.
    [[ "${runs:-0}" -ge "$inputs" ]] || crashes="0 (stopped at FUZZ_SECONDS=${FUZZ_SECONDS:-})"
  fi
  rate=$(awk -v n="${runs:-0}" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
  printf '%-8s %10s inputs %8.0f s %7s/s  cov %6s  ft %7s  corpus %5s  crashes %s\n' \
    "$target" "${runs:-?}" "$secs" "$rate" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" \
    | tee "$root/fuzz/logs/$target.summary"
  return "$status"
}

# FUZZ_JOBS targets at a time (default 1: the counts per second are then comparable).
jobs="${FUZZ_JOBS:-1}"
crashed=0
running=0
for target in "${targets[@]}"; do
  rm -f "$root/fuzz/logs/$target.summary"
  if [[ $running -ge $jobs ]]; then
    wait -n || crashed=1
    running=$((running - 1))
  fi
  run_target "$target" &
  running=$((running + 1))
done
while [[ $running -gt 0 ]]; do
  wait -n || crashed=1
  running=$((running - 1))
done
echo
echo "make fuzz: $inputs inputs per target ($toolchain, $(rustc "+$toolchain" --version | cut -d' ' -f2-))"
for target in "${targets[@]}"; do
  cat "$root/fuzz/logs/$target.summary" 2>/dev/null || echo "$target: no summary"
done
exit "$crashed"
