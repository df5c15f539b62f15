# shellcheck shell=bash
# Sourced by the other scripts: puts the project's own tools first on PATH and
# points worker-build at local binaries so a build never downloads anything.
EDGEBEAT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export EDGEBEAT_ROOT
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
PATH="$EDGEBEAT_ROOT/node_modules/.bin:$CARGO_BIN:$PATH"
# A Node >= 22 for wrangler, installed by setup.sh only where the system one is older.
if [ -x "$EDGEBEAT_ROOT/.tools/node/node_modules/.bin/node" ]; then
  PATH="$EDGEBEAT_ROOT/.tools/node/node_modules/.bin:$PATH"
fi
export PATH
export WASM_BINDGEN_BIN="$CARGO_BIN/wasm-bindgen"
export WASM_OPT_BIN="$EDGEBEAT_ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$EDGEBEAT_ROOT/node_modules/.bin/esbuild"
# Offline by design: no Request.cf download, no telemetry.
export CLOUDFLARE_CF_FETCH_ENABLED=false
export WRANGLER_SEND_METRICS=false
export WRANGLER_SEND_ERROR_REPORTS=false
