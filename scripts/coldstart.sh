#!/usr/bin/env bash
# make bench, second half: each function's cold start (init duration under the Lambda runtime
# interface emulator, no AWS call allowed), its arm64 binary size and its peak memory over warm
# invocations, next to bench/minimal-function (a lambda_runtime echo) measured in the same run.
# Usage: scripts/coldstart.sh [--runs N] [--invocations N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/tools.sh

# The functions measured, one a line: binary (= package) name, an event of events/ it answers
# without an AWS call, and the statusCode it answers it with ("-": any answer that is not a
# function error). The first is the floor. A new function is one more line here.
functions=(
  "minimal-function realtime-seed-categories -"
  "ingest-events realtime-seed-categories 401"
  "get-intelligence intelligence-describe 401"
  "analyse-conversation analysis-stream-not-ended -"
  "live-socket live-socket-default 200"
  "live-deliver live-deliver-unroutable -"
  "admin-api admin-api-unsigned 401"
  "contact-lens-stream contact-lens-stream-unreadable -"
  "contact-lens-analysis contact-lens-analysis-other-object -"
)

packages=() bins=() specs=()
for line in "${functions[@]}"; do
  read -r name event status <<<"$line"
  packages+=(-p "$name")
  bins+=(--bin "$name")
  specs+=("$name=$root/target/release/$name,$root/target/lambda/$name/bootstrap,$event,$status")
done

echo "== release builds (x86_64: run under the emulator)"
cargo build --release "${packages[@]}"

echo "== release builds (arm64: what sam build deploys, reused after it)"
# As sam build runs it (from the root, one target dir); cargo-lambda adds the target itself,
# but the rustup call keeps it quiet and idempotent.
rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 || true
cargo lambda build --release --arm64 "${bins[@]}"

echo "== cold start and footprint"
python3 scripts/coldstart.py --rie "$AWS_LAMBDA_RIE" --events "$root/events" "$@" "${specs[@]}"
