.PHONY: run test bench fuzz lint fmt eval-summary

# The API on 127.0.0.1:$(PORT) with a local DynamoDB + EventBridge (moto), ready for curl.
run:
	scripts/run.sh

# Every test: installs its tools, validates the SAM template, runs the whole workspace's tests.
test:
	scripts/test.sh

# The handler and intelligence benchmarks, the live channel's push latency (1, 100, 1,000
# subscribers) and delivery calls, then the functions' cold start, binary size and peak memory
# next to a minimal lambda_runtime function (scripts/coldstart.sh).
bench:
	cargo bench -p shared
	cargo bench -p local-server --bench live
	cargo bench -p local-server --bench erasure
	scripts/coldstart.sh

# The coverage-guided fuzz targets (fuzz/, cargo-fuzz + libFuzzer on a nightly toolchain it
# installs), 10 million inputs per target (FUZZ_INPUTS to change), with counts, coverage and
# crashes printed; `scripts/fuzz.sh --stable` runs the stable structure-aware driver instead,
# of which `make test` runs a bounded slice.
fuzz:
	scripts/fuzz.sh

lint:
	cargo fmt --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt

# Summary quality: ROUGE of the built-in summariser against DialogSum's dev split (human
# references), next to lead-3. The data stays outside the repository: DIALOGSUM_DEV=path.
DIALOGSUM_DEV ?= ../dialogsum/dialogsum.dev.jsonl
eval-summary:
	cargo run -q -p testkit --bin eval-summary -- $(DIALOGSUM_DEV)
