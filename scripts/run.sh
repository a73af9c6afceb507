#!/usr/bin/env bash
# make run: a local moto server (DynamoDB + EventBridge) and the API on 127.0.0.1:$PORT.
# Ctrl-C stops both.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/tools.sh

MOTO_PORT="${MOTO_PORT:-8000}"
export PORT="${PORT:-3000}"
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:$MOTO_PORT}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
export AWS_REGION="${AWS_REGION:-us-east-1}"

cargo build --quiet -p local-server

moto_pid=""
stop() { [[ -n "$moto_pid" ]] && kill "$moto_pid" 2>/dev/null; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

if ! curl -fs "$AWS_ENDPOINT_URL/moto-api/" >/dev/null 2>&1; then
  mkdir -p target
  # moto with DynamoDB's write isolation (see scripts/moto_serializable.py).
  "$(dirname "$MOTO_SERVER")/python" scripts/moto_serializable.py -H 127.0.0.1 -p "$MOTO_PORT" >target/moto-run.log 2>&1 &
  moto_pid=$!
  for _ in $(seq 100); do
    curl -fs "$AWS_ENDPOINT_URL/moto-api/" >/dev/null 2>&1 && break
    kill -0 "$moto_pid" 2>/dev/null || { echo "moto server failed to start; see target/moto-run.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "moto server (DynamoDB + EventBridge) on $AWS_ENDPOINT_URL"
else
  echo "using the emulator already listening on $AWS_ENDPOINT_URL"
fi

target/debug/local-server
