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
