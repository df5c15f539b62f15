#!/usr/bin/env bash
# Runs edgebeat locally: local D1 with migrations applied, `wrangler dev` on
# http://127.0.0.1:8787, and a ticker that fires the minute sweep the way the
# cron trigger does in production. Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGEBEAT_ROOT"

port="${PORT:-8787}"
base="http://127.0.0.1:$port"

if [ ! -f .dev.vars ]; then
  cp .dev.vars.example .dev.vars
  echo "dev: created .dev.vars from .dev.vars.example"
fi
scripts/build.sh
wrangler d1 migrations apply DB --local

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wrangler dev --ip 127.0.0.1 --port "$port" --show-interactive-dev-session=false &
pids+=($!)

# The ticker: at every minute boundary, run the scheduled handler for that minute.
(
  while true; do
    sleep $((60 - $(date +%s) % 60))
    minute_ms=$(( $(date +%s) / 60 * 60000 ))
    curl -fsS -o /dev/null "$base/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=$minute_ms" \
      || echo "ticker: the sweep for $minute_ms failed" >&2
  done
) &
pids+=($!)

# Ready when it answers at all (/health says 503 until the first sweep).
for _ in $(seq 1 600); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health" 2>/dev/null)" != "000" ] && break
  sleep 0.2
done
# The first sweep now, rather than at the next minute boundary.
curl -fsS -o /dev/null "$base/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=$(( $(date +%s) / 60 * 60000 ))" \
  || echo "dev: the first sweep failed" >&2

admin_token="$(grep -E '^ADMIN_TOKEN=' .dev.vars | cut -d= -f2-)"
cat <<TXT

edgebeat is running on $base (the sweep runs every minute; Ctrl-C stops it all).

Next steps:
  # 1. create a project; keep the keys it prints, they are shown only once
  curl -s -X POST $base/api/v3/projects/ -H "Authorization: Bearer $admin_token" -d '{"name": "My project"}'
  # 2. create a check with the read-write key
  curl -s -X POST $base/api/v3/checks/ -H "X-Api-Key: <api_key>" -d '{"name": "nightly-backup", "timeout": 86400, "grace": 3600}'
  # 3. ping it from your job (the ping_url in the answer)
  curl -fsS --retry 3 $base/ping/<uuid>
  # health of edgebeat itself
  curl -s $base/health
  # 4. or open the dashboard and sign in with the project's api_key (or api_key_readonly)
  $base/app/

TXT
wait "${pids[0]}"
