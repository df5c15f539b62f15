# The two commands a newcomer needs: `make dev` and `make test`.
# Each runs its idempotent setup first, which installs only what is missing:
# `setup` what building and running needs, `setup-test` the test tools too.
SHELL := bash

.PHONY: dev test setup setup-test build bench bench-shards check

dev: setup
	scripts/dev.sh

test: setup-test
	scripts/test.sh

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

build: setup
	scripts/build.sh --force

# Benchmarks (not tests): ping path vs its floor, the sweep at scale, wasm size.
# Prints each figure next to its target; see BENCHMARKS.md.
bench: setup-test
	scripts/bench.sh

# The scale-out simulation of docs/scaling.md: one D1 database vs two.
bench-shards: setup-test
	scripts/bench.sh shards

# The fast loop (well under a minute when warm): formatting, clippy with
# warnings denied on the native core and on the wasm adapter, unit tests.
check:
	cargo fmt --check
	cargo clippy --lib --tests -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings
	cargo test --lib -q
