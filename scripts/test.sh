#!/usr/bin/env bash
# make test: every test of the workspace. Installs its tools on a fresh machine; the tests start
# their own moto servers and Lambda runtime emulators and fail (never skip) if one is missing.
# Then the built artifacts: `sam build` (arm64, release, as deployed) and every file of events/
# replayed through the built bootstraps under the runtime emulator and qemu (artifact-tests).
#
# The run is CPU-bound on a 2-core machine (docs/testing.md, "How long make test takes"), so
# nothing waits that need not:
#   1. the dev build of the tests starts at once (it needs cargo only), while the tools install;
#   2. `sam build` starts as soon as SAM is there, at the lowest priority (nice 19, inherited by
#      cargo and rustc): it takes what CPU the dev build and then the tests leave idle (the tests
#      wait on moto, one Python process, much of the time) and gives way at once when they want
#      it, so the tests' latency assertions see a machine as quiet as if nothing else ran;
#   3. the tests run as soon as they are built; the artifact tests wait for sam build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

phase_start=$SECONDS
phase() { # name: prints how long the previous phase took, then the next one's header
  [[ -n ${phase_name:-} ]] && echo "-- $phase_name: $((SECONDS - phase_start)) s"
  phase_name=$1 phase_start=$SECONDS
  [[ -n $1 ]] && echo "== $1"
  true
}
jobs_to_stop=()
trap 'for job in "${jobs_to_stop[@]}"; do kill "$job" 2>/dev/null || true; done' EXIT

phase "tools, and alongside, the dev build of the tests (x86)"
dev_log="$(mktemp)"
cargo test --workspace --exclude artifact-tests --no-run "$@" >"$dev_log" 2>&1 &
dev_job=$!
jobs_to_stop+=("$dev_job")
source scripts/tools.sh
source scripts/arm64.sh
# cargo-lambda would add the target itself; adding it first keeps rustup out of the build.
rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 ||
  rustup target add aarch64-unknown-linux-gnu
echo "-- tools: $((SECONDS - phase_start)) s"

echo "== sam validate --lint"
AWS_DEFAULT_REGION=us-east-1 "$SAM" validate --lint --template template.yaml

# sam build: one cargo-lambda run of every function (lambda-build/Makefile); its output is
# printed once it is done.
sam_log="$(mktemp)"
sam_start=$SECONDS
nice -n 19 "$SAM" build --template template.yaml --region us-east-1 >"$sam_log" 2>&1 &
sam_job=$!
jobs_to_stop+=("$sam_job")
echo "== sam build (release, arm64) started, at the lowest priority"

dev_status=0
wait "$dev_job" || dev_status=$?
sed 's/^/[dev build] /' "$dev_log"
rm -f "$dev_log"
[[ $dev_status -eq 0 ]]

phase "cargo test (sam build still running, at the lowest priority)"
echo "   (includes the fuzz driver's bounded slice: fuzz-driver/tests/slice.rs, a fixed seed and a"
echo "   random one it prints)"
cargo test --workspace --exclude artifact-tests "$@"

phase "waiting for sam build"
sam_status=0
wait "$sam_job" || sam_status=$?
sed 's/^/[sam build] /' "$sam_log"
rm -f "$sam_log"
echo "-- sam build: $((SECONDS - sam_start)) s since its start (exit $sam_status)"
[[ $sam_status -eq 0 ]]

phase "artifact tests (every built arm64 bootstrap under the runtime emulator and qemu)"
# Each test finds its function's .aws-sam/build/<LogicalId>/bootstrap; the contact-flow answers
# are compared with the x86 dev builds `cargo test` made above (target/debug/<bin>).
# --workspace with the test targets named, not -p artifact-tests: features are unified over the
# packages selected, and artifact-tests alone resolves a smaller set (regex, hashbrown, ...), so
# -p would compile the dev dependency tree, the AWS SDK included, a second time.
artifact_tests=()
for file in artifact-tests/tests/*.rs; do
  artifact_tests+=(--test "$(basename "$file" .rs)")
done
SAM_BUILD_DIR="$root/.aws-sam/build" cargo test --workspace "${artifact_tests[@]}"
phase ""
times
