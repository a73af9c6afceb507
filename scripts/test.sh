#!/usr/bin/env bash
# make test: every test of the workspace. Installs its tools on a fresh machine; the tests start
# their own moto servers and Lambda runtime emulators and fail (never skip) if one is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/tools.sh

echo "== sam validate --lint"
AWS_DEFAULT_REGION=us-east-1 "$SAM" validate --lint --template template.yaml

echo "== cargo test"
cargo test --workspace "$@"
