#!/usr/bin/env bash
# Builds the release Worker bundle into build/ with worker-build, using only
# local tools. Skips the build when nothing it depends on changed, because
# wrangler runs this before every `wrangler dev` and `wrangler deploy`.
# openapi.json is embedded in the wasm, so it counts as a source, and so does
# the domain core (core/), which the Worker links.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGEBEAT_ROOT"

stamp=build/worker/shim.mjs
# EDGEBEAT_SKIP_BUILD=1 keeps an existing build as it is (running the e2e tests against
# it while the sources change).
if [ -n "${EDGEBEAT_SKIP_BUILD:-}" ] && [ -f "$stamp" ]; then
  exit 0
fi
if [ "${1:-}" != "--force" ] && [ -f "$stamp" ] \
  && [ -z "$(find src core Cargo.toml Cargo.lock openapi.json -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
worker-build --release
# worker-build keeps the wasm names section (function and data names, about 320 KB raw and
# 100 KB gzip, used only to label stack traces). The Worker's size goal is 600 KB gzip, so the
# release build drops it; EDGEBEAT_KEEP_WASM_NAMES=1 keeps it for debugging.
if [ "${EDGEBEAT_KEEP_WASM_NAMES:-}" != 1 ]; then
  "$WASM_OPT_BIN" build/index_bg.wasm -o build/index_bg.wasm --strip-debug \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
    --enable-multivalue --enable-reference-types --enable-exception-handling
fi
