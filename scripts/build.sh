#!/usr/bin/env bash
# Builds the release Worker bundle into build/ with worker-build, using only
# local tools. Skips the build when nothing it depends on changed, because
# wrangler runs this before every `wrangler dev` and `wrangler deploy`.
# openapi.json is embedded in the wasm, so it counts as a source.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGEBEAT_ROOT"

stamp=build/worker/shim.mjs
if [ "${1:-}" != "--force" ] && [ -f "$stamp" ] \
  && [ -z "$(find src Cargo.toml Cargo.lock openapi.json -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
worker-build --release
