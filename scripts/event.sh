#!/usr/bin/env bash
# Prints events/NAME.json with a fresh dev token in place of {{TOKEN}}, for
#   sam local invoke IngestEventsFunction -e <(scripts/event.sh realtime-seed-categories)
# or for the runtime emulator. The token is signed by the dev key in .dev-keys/ (made on first
# use); deploy-time registries must trust that key for the invocation to pass authentication.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="${1:?usage: scripts/event.sh EVENT_NAME (a file of events/ without .json)}"
cd "$root"
cargo build --quiet -p local-server
token="$(target/debug/local-server token)"
sed "s|{{TOKEN}}|$token|" "events/${name%.json}.json"
