#!/usr/bin/env bash
# Runs every test of the workspace: the native unit tests of the domain core, the
# end-to-end suite in tests/, which drives the built Worker under wrangler dev over
# HTTP, and the edgebeat CLI's (cli/: unit tests, and its binary against the Worker).
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGEBEAT_ROOT"

scripts/build.sh
# The e2e tests mostly wait on their own wrangler dev instances, so run more
# of them at once than there are cores.
cargo test --workspace --all-targets -- --test-threads "${TEST_THREADS:-4}" "$@"
