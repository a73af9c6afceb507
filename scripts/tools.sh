#!/usr/bin/env bash
# Installs the Python-packaged tools the project needs into git-ignored venvs, once:
#   .venv       AWS SAM CLI (sam validate/build, and the Lambda runtime interface emulator
#               it ships) and cargo-lambda (with zig, for arm64 cross builds)
#   .venv-moto  moto server: local DynamoDB, EventBridge and SQS
# Kept apart because their boto pins differ. Source it: it exports the paths below.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

SAM_CLI_VERSION=1.170.0
CARGO_LAMBDA_VERSION=1.9.2
MOTO_VERSION=5.2.5

ensure_venv() { # dir stamp packages...
  local dir=$1 stamp=$2; shift 2
  if [[ ! -f "$dir/.stamp-$stamp" ]]; then
    echo "tools: installing $* into $dir" >&2
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
    touch "$dir/.stamp-$stamp"
  fi
}

ensure_venv "$root/.venv" "sam-$SAM_CLI_VERSION-cl-$CARGO_LAMBDA_VERSION" \
  "aws-sam-cli==$SAM_CLI_VERSION" "cargo-lambda==$CARGO_LAMBDA_VERSION"
ensure_venv "$root/.venv-moto" "moto-$MOTO_VERSION" "moto[server]==$MOTO_VERSION"

export SAM_CLI_TELEMETRY=0
export SAM="$root/.venv/bin/sam"
export MOTO_SERVER="$root/.venv-moto/bin/moto_server"
rie_dir="$("$root/.venv/bin/python" -c 'import samcli,os;print(os.path.dirname(samcli.__file__))')/local/rapid"
export AWS_LAMBDA_RIE="$rie_dir/aws-lambda-rie-$(uname -m | sed 's/aarch64/arm64/')"
export PATH="$root/.venv/bin:$PATH"
