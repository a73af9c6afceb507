#!/usr/bin/env bash
# make bench, second half: each function's cold start (init duration under the Lambda runtime
# interface emulator, no AWS call allowed), its arm64 binary size and its peak memory over warm
# invocations, next to bench/minimal-function (a lambda_runtime echo) measured in the same run.
# Usage: scripts/coldstart.sh [--runs N] [--invocations N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/tools.sh

echo "== release builds (x86_64: run under the emulator)"
cargo build --release -p minimal-function -p ingest-events -p get-intelligence

echo "== release builds (arm64: what sam build deploys, reused after it)"
# As sam build runs it (from the root, one target dir); cargo-lambda adds the target itself,
# but the rustup call keeps it quiet and idempotent.
rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 || true
cargo lambda build --release --arm64 \
  --bin minimal-function --bin ingest-events --bin get-intelligence

spec() { # name event
  echo "$1=$root/target/release/$1,$root/target/lambda/$1/bootstrap,$2"
}
echo "== cold start and footprint"
python3 scripts/coldstart.py --rie "$AWS_LAMBDA_RIE" --events "$root/events" "$@" \
  "$(spec minimal-function realtime-seed-categories)" \
  "$(spec ingest-events realtime-seed-categories)" \
  "$(spec get-intelligence intelligence-describe)"
