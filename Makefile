# The two commands a newcomer needs: `make dev` and `make test`.
# Each runs its idempotent setup first, which installs only what is missing:
# `setup` what building and running needs, `setup-test` the test tools too.
SHELL := bash

.PHONY: dev test deploy setup setup-test build bench bench-shards check

# PORT=8788 make dev serves on another port (8787 by default).
dev: setup
	scripts/dev.sh

test: setup-test
	scripts/test.sh

# Deploys to your Cloudflare account (docs/deploy.md); DRY_RUN=1 shows what it would do.
deploy: setup
	scripts/deploy.sh $(if $(DRY_RUN),--dry-run)

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

build: setup
	scripts/build.sh --force

# Benchmarks (not tests): ping path vs its floor, the sweep at scale, wasm size.
# Prints each figure next to its target; see docs/benchmarks.md.
bench: setup-test
	scripts/bench.sh

# The real sharded code under ping load with 1, 2 and 4 D1 databases bound
# (docs/scaling.md): pings/s and D1 rows per ping in each database.
bench-shards: setup-test
	scripts/bench.sh shards

# The fast loop (well under a minute when warm): formatting, clippy with
# warnings denied on the native crates and on the wasm adapter, unit tests.
check:
	cargo fmt --check
	cargo clippy --workspace --lib --tests -- -D warnings
	cargo clippy -p edgebeat --lib --target wasm32-unknown-unknown -- -D warnings
	cargo test --workspace --lib -q
