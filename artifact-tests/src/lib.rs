//! No library code: the tests are in `tests/`, run by scripts/test.sh after `sam build`.
