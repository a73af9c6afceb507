#!/usr/bin/env bash
# make fuzz: the structure-aware fuzz driver (fuzz-driver/) over every target, 10 million inputs
# each by default (FUZZ_INPUTS), optimised but with overflow checks and debug assertions (the
# `fuzz` profile). Prints the seed, the counts per target and every finding; exits non-zero on a
# finding. Arguments go to the driver: `scripts/fuzz.sh --seed 42 json xml`.
# `make test` runs a bounded slice of the same targets (fuzz-driver/tests/slice.rs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cargo build --profile fuzz -p fuzz-driver
exec "$root/target/fuzz/fuzz-driver" --inputs "${FUZZ_INPUTS:-10000000}" "$@"
