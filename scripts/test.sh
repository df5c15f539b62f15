#!/usr/bin/env bash
# Runs every test: the native unit tests of the domain core and the end-to-end
# suite in tests/, which drives the built Worker under wrangler dev over HTTP.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGEBEAT_ROOT"

scripts/build.sh
# The e2e tests mostly wait on their own wrangler dev instances, so run more
# of them at once than there are cores.
cargo test --all-targets -- --test-threads "${TEST_THREADS:-4}" "$@"
