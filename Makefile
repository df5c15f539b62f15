# The two commands a newcomer needs: `make dev` and `make test`.
# Both run the idempotent setup first, which installs only what is missing.
SHELL := bash

.PHONY: dev test setup build bench

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
