#!/usr/bin/env bash
# The release profile's choices, measured: ingest-events and the floor (bench/minimal-function)
# built with the release profile as it is and with one setting changed at a time, each reported
# with its x86_64 size, cold start and peak memory (scripts/coldstart.py), and the real-time
# handler bench's per-request time for the speed each choice costs. The README's "Release profile"
# table comes from this. Slow: every variant is a full release build (~5-10 min on 2 cores).
# Usage: scripts/profile-variants.sh [--measure-only] [variant...]  (baseline fat-lto opt-s
# panic-abort thin-lto). --measure-only measures the variants already built (target/variants),
# e.g. again on a quieter machine: the builds themselves load it and disturb the timings.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/tools.sh

declare -A settings=(
  [baseline]=""
  [fat-lto]='lto="fat"'
  [opt-s]='opt-level="s"'
  [panic-abort]='panic="abort"'
  [thin-lto]='lto="thin"'
)
measure_only=false
if [ "${1:-}" = --measure-only ]; then
  measure_only=true
  shift
fi
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(baseline fat-lto opt-s panic-abort thin-lto)

for variant in "${variants[@]}"; do
  profile="v-$variant"
  config=(--config "profile.$profile.inherits=\"release\"")
  if [ -n "${settings[$variant]}" ]; then
    config+=(--config "profile.$profile.${settings[$variant]}")
  fi
  dir="$root/target/variants"
  echo "== $variant: ${settings[$variant]:-the release profile as it is}"
  if [ "$measure_only" = false ]; then
    CARGO_TARGET_DIR="$dir" cargo build -q "${config[@]}" --profile "$profile" \
      -p minimal-function -p ingest-events
    CARGO_TARGET_DIR="$dir" cargo bench -q "${config[@]}" --profile "$profile" -p shared \
      --bench handler --no-run 2>/dev/null
  fi
  # The handler bench under the same settings (bench inherits from the profile it is given).
  bench="$(ls -t "$dir/$profile/deps/"handler-* | grep -v '\.d$' | head -1)"
  "$bench" | tail -2
  out="$dir/$profile"
  python3 scripts/coldstart.py --rie "$AWS_LAMBDA_RIE" --events "$root/events" --size-of x86_64 \
    --runs 15 --invocations 300 \
    "minimal-function=$out/minimal-function,-,realtime-seed-categories,-" \
    "ingest-events=$out/ingest-events,-,realtime-seed-categories,401" | sed -n '/^function/,/^$/p'
done
