#!/usr/bin/env bash
# Runs edgebeat locally: local D1 with migrations applied, `wrangler dev` on
# http://127.0.0.1:$PORT (8787 by default), and a ticker that fires the minute
# sweep the way the cron trigger does in production. Ctrl-C stops everything it
# started.
#
#   PORT                 the port to serve on (default 8787)
#   PUBLIC_URL           the origin in every URL edgebeat hands out: ping URLs,
#                        badges, alert links (default http://127.0.0.1:$PORT;
#                        set it to a tunnel's https origin to click alert links
#                        from elsewhere)
#   EDGEBEAT_DEV_VARS    the local secrets file (default .dev.vars, created from
#                        .dev.vars.example when missing)
#   EDGEBEAT_DEV_STATE   where the local D1 lives (default wrangler's .wrangler/state)
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGEBEAT_ROOT"

port="${PORT:-8787}"
base="http://127.0.0.1:$port"
public_url="${PUBLIC_URL:-$base}"
dev_vars="${EDGEBEAT_DEV_VARS:-.dev.vars}"
state=()
[ -z "${EDGEBEAT_DEV_STATE:-}" ] || state=(--persist-to "$EDGEBEAT_DEV_STATE")

if [ ! -f "$dev_vars" ]; then
  cp .dev.vars.example "$dev_vars"
  echo "dev: created $dev_vars from .dev.vars.example"
fi
scripts/build.sh
# wrangler reprints its table of migrations after each one it applies (hundreds
# of lines on a first run) and asks to continue on a terminal: its output is
# kept back, and shown only when a migration fails.
echo "dev: applying the database migrations to the local D1"
if ! migrated="$(wrangler d1 migrations apply DB --local "${state[@]}" </dev/null 2>&1)"; then
  printf '%s\n' "$migrated" >&2
  echo "dev: a migration failed (wrangler's output is above)" >&2
  exit 1
fi
if grep -q "No migrations to apply" <<<"$migrated"; then
  echo "dev: the local D1 is up to date"
else
  echo "dev: migrations applied to the local D1"
fi

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

# PUBLIC_URL as a --var wins over any PUBLIC_URL in the secrets file (an older
# .dev.vars said http://127.0.0.1:8787), so URLs name the port actually served.
wrangler dev --ip 127.0.0.1 --port "$port" --env-file "$dev_vars" "${state[@]}" \
  --var "PUBLIC_URL:$public_url" --show-interactive-dev-session=false &
pids+=($!)

# The ticker: at every minute boundary, run the scheduled handler for that minute.
(
  while true; do
    sleep $((60 - $(date +%s) % 60))
    minute=$(( $(date +%s) / 60 ))
    minute_ms=$(( minute * 60000 ))
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
minute=$(( $(date +%s) / 60 ))
curl -fsS -o /dev/null "$base/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=$(( minute * 60000 ))" \
  || echo "dev: the first sweep failed" >&2

admin_token="$(grep -E '^ADMIN_TOKEN=' "$dev_vars" | cut -d= -f2-)"
cat <<TXT

edgebeat is running on $base (the sweep runs every minute; Ctrl-C stops it all).
URLs it hands out start with $public_url.
(Wrangler's warning that scheduled Workers are not triggered locally is about
wrangler alone: this script's ticker fires the sweep at every minute boundary.)

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
