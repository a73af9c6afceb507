#!/usr/bin/env bash
# make test: every test of the workspace. Installs its tools on a fresh machine; the tests start
# their own moto servers and Lambda runtime emulators and fail (never skip) if one is missing.
# Then the built artifacts: `sam build` (arm64, release, as deployed) and every file of events/
# replayed through the built bootstraps under the runtime emulator and qemu (artifact-tests).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/tools.sh
source scripts/arm64.sh

echo "== sam validate --lint"
AWS_DEFAULT_REGION=us-east-1 "$SAM" validate --lint --template template.yaml

echo "== cargo test (includes the fuzz driver's bounded slice: fuzz-driver/tests/slice.rs, a fixed"
echo "   seed and a random one it prints)"
cargo test --workspace --exclude artifact-tests "$@"

echo "== sam build"
# cargo-lambda would add the target itself, but once per function built in parallel: they race.
rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 ||
  rustup target add aarch64-unknown-linux-gnu
start=$SECONDS
"$SAM" build --template template.yaml --region us-east-1
echo "sam build: $((SECONDS - start)) s"

echo "== artifact tests (the built arm64 bootstraps under the runtime emulator and qemu)"
# The contact-flow answers are compared with the x86 dev builds `cargo test` made above.
BUILT_INGEST_BOOTSTRAP="$root/.aws-sam/build/IngestEventsFunction/bootstrap" \
BUILT_INTELLIGENCE_BOOTSTRAP="$root/.aws-sam/build/GetIntelligenceFunction/bootstrap" \
DEV_INGEST_BOOTSTRAP="$root/target/debug/ingest-events" \
DEV_INTELLIGENCE_BOOTSTRAP="$root/target/debug/get-intelligence" \
  cargo test -p artifact-tests
