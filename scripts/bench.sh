#!/usr/bin/env bash
# Runs edgebeat's benchmarks (`make bench`): builds the release Worker and the
# floor Worker in bench/floor/ the same way, installs the load generator when
# missing, then runs bench/bench.py, which prints every figure next to its
# target. Benchmarks, not tests: a slow machine prints misses, not failures.
# Everything it starts runs on free ports with throw-away state and is
# stopped on exit. See docs/benchmarks.md.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGEBEAT_ROOT"

say() { printf 'bench: %s\n' "$*"; }

# The HTTP load generator, from crates.io into ~/.cargo/bin, only when missing.
OHA_VERSION=1.16.0
if [ "$(oha --version 2>/dev/null | awk '{print $2}')" != "$OHA_VERSION" ]; then
  say "installing oha $OHA_VERSION"
  cargo install oha --version "=$OHA_VERSION" --locked
fi

# edgebeat's release build (a no-op when nothing changed).
scripts/build.sh

# `scripts/bench.sh shards`: the real sharded code with 1, 2 and 4 D1 databases
# bound (bench/shards.py); it needs no floor.
if [ "${1:-}" = "shards" ]; then
  exec python3 bench/shards.py
fi

# The floor, built with the same local tools (env.sh points worker-build at
# them), when its sources changed. CARGO_TARGET_DIR, when set, is used for it.
floor=bench/floor
stamp=$floor/build/worker/shim.mjs
if [ ! -f "$stamp" ] || [ -n "$(find "$floor/src" "$floor/Cargo.toml" "$floor/Cargo.lock" -newer "$stamp" -print -quit)" ]; then
  say "building the floor worker"
  (cd "$floor" && worker-build --release)
fi

exec python3 bench/bench.py "$@"
