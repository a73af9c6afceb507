.PHONY: run test bench lint fmt

# The API on 127.0.0.1:$(PORT) with a local DynamoDB + EventBridge (moto), ready for curl.
run:
	scripts/run.sh

# Every test: installs its tools, validates the SAM template, runs the whole workspace's tests.
test:
	scripts/test.sh

bench:
	cargo bench -p shared

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

fmt:
	cargo fmt
