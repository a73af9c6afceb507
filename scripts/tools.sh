#!/usr/bin/env bash
# Installs the Python-packaged tools the project needs into git-ignored venvs, once:
#   .venv       AWS SAM CLI (sam validate/build, and the Lambda runtime interface emulator
#               it ships) and cargo-lambda (with zig, for arm64 cross builds)
#   .venv-moto  moto server: local DynamoDB, EventBridge and SQS
#   chromium + chromium-driver (apt), for the live console's browser test
# Kept apart because their boto pins differ. Source it: it exports the paths below.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

SAM_CLI_VERSION=1.170.0
CARGO_LAMBDA_VERSION=1.9.2
MOTO_VERSION=5.2.5

ensure_venv() { # dir stamp packages...
  local dir=$1 stamp=$2 start=$SECONDS; shift 2
  if [[ ! -f "$dir/.stamp-$stamp" ]]; then
    echo "tools: installing $* into $dir" >&2
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
    touch "$dir/.stamp-$stamp"
    echo "tools: $dir installed in $((SECONDS - start)) s" >&2
  fi
}

# The two venvs are independent: installed side by side (pip spends much of its time waiting on
# the registry), while apt installs the browser below.
ensure_venv "$root/.venv" "sam-$SAM_CLI_VERSION-cl-$CARGO_LAMBDA_VERSION" \
  "aws-sam-cli==$SAM_CLI_VERSION" "cargo-lambda==$CARGO_LAMBDA_VERSION" &
sam_venv_job=$!
ensure_venv "$root/.venv-moto" "moto-$MOTO_VERSION" "moto[server]==$MOTO_VERSION" &
moto_venv_job=$!

# Headless Chromium and its WebDriver, for the console's browser test (Debian's packages; root in
# CI). Installed once: the stamp records it.
browser_stamp="$root/.venv/.stamp-chromium"
if [[ ! -f "$browser_stamp" ]] || ! command -v chromedriver >/dev/null; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "tools: installing chromium and chromium-driver (apt)" >&2
    sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    apt_start=$SECONDS
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq chromium chromium-driver >/dev/null
    echo "tools: chromium installed in $((SECONDS - apt_start)) s" >&2
  fi
  mkdir -p "$(dirname "$browser_stamp")" # the venv may still be on its way
  touch "$browser_stamp"
fi
# `wait PID` returns the job's status: a failed install stops here (set -e).
wait "$sam_venv_job"
wait "$moto_venv_job"
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
export CHROMIUM="${CHROMIUM:-$(command -v chromium)}"

export SAM_CLI_TELEMETRY=0
export SAM="$root/.venv/bin/sam"
export MOTO_SERVER="$root/.venv-moto/bin/moto_server"
rie_dir="$("$root/.venv/bin/python" -c 'import samcli,os;print(os.path.dirname(samcli.__file__))')/local/rapid"
export AWS_LAMBDA_RIE="$rie_dir/aws-lambda-rie-$(uname -m | sed 's/aarch64/arm64/')"
export PATH="$root/.venv/bin:$PATH"
