# The two commands a newcomer needs: `make dev` and `make test`.
# Both run the idempotent setup first, which installs only what is missing.
SHELL := bash

.PHONY: dev test setup build bench bench-shards check

dev: setup
	scripts/dev.sh

test: setup
	scripts/test.sh

setup:
	@scripts/setup.sh

build: setup
	scripts/build.sh --force

# Benchmarks (not tests): ping path vs its floor, the sweep at scale, wasm size.
# Prints each figure next to its target; see BENCHMARKS.md.
bench: setup
	scripts/bench.sh

# The scale-out simulation of docs/scaling.md: one D1 database vs two.
bench-shards: setup
	scripts/bench.sh shards

# The fast loop (well under a minute when warm): formatting, clippy with
# warnings denied on the native crates and on the wasm adapter, unit tests.
check:
	cargo fmt --check
	cargo clippy --workspace --lib --tests -- -D warnings
	cargo clippy -p edgebeat --lib --target wasm32-unknown-unknown -- -D warnings
	cargo test --workspace --lib -q
