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

phase_start=$SECONDS
phase() { # name: prints how long the previous phase took, then the next one's header
  [[ -n ${phase_name:-} ]] && echo "-- $phase_name: $((SECONDS - phase_start)) s"
  phase_name=$1 phase_start=$SECONDS
  [[ -n $1 ]] && echo "== $1"
  true
}

phase "sam validate --lint"
AWS_DEFAULT_REGION=us-east-1 "$SAM" validate --lint --template template.yaml

phase "build: the workspace's tests (dev, x86); sam build (release, arm64) behind everything"
# The build is CPU-bound on a 2-core machine: cold, the release build alone needs ~1,000 s of
# CPU, the dev test build ~800 s, and nothing of one is of use to the other (other profile,
# other target). So `sam build` (one cargo-lambda run of every function, lambda-build/Makefile)
# starts first and runs at the lowest priority (nice 19, inherited by cargo and rustc): it takes
# whatever CPU the dev build and then the tests leave idle (the tests wait on moto and the
# emulators much of the time), and gives way at once when they want it, so the tests' latency
# assertions see a machine as quiet as if nothing else ran. The artifact tests wait for it.
# cargo-lambda would add the target itself; adding it first keeps rustup out of the build.
rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 ||
  rustup target add aarch64-unknown-linux-gnu
sam_log="$(mktemp)"
sam_start=$SECONDS
nice -n 19 "$SAM" build --template template.yaml --region us-east-1 >"$sam_log" 2>&1 &
sam_job=$!
trap 'kill "$sam_job" 2>/dev/null || true' EXIT
cargo test --workspace --exclude artifact-tests --no-run "$@"

phase "cargo test (sam build still running, at the lowest priority)"
echo "   (includes the fuzz driver's bounded slice: fuzz-driver/tests/slice.rs, a fixed seed and a"
echo "   random one it prints)"
cargo test --workspace --exclude artifact-tests "$@"

phase "waiting for sam build"
sam_status=0
wait "$sam_job" || sam_status=$?
trap - EXIT
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
