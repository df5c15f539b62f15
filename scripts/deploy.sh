#!/usr/bin/env bash
# Deploys edgebeat to your Cloudflare account in one command (`make deploy`),
# and again after every update (each step is skipped when already done):
#
#   1. checks the tools (wrangler needs Node >= 22: scripts/env.sh puts the one
#      scripts/setup.sh installed first on PATH) and that wrangler is logged in
#   2. finds the D1 database by name, or creates it
#   3. writes wrangler.deploy.toml: wrangler.toml with your Worker's name and
#      database (gitignored; pass it with -c to wrangler tail, d1 execute ...)
#   4. applies the migrations to the remote database
#   5. sets the ADMIN_TOKEN secret when the Worker has none: $ADMIN_TOKEN, or
#      typed in, or generated and printed once
#   6. deploys (wrangler builds first) with PUBLIC_URL and the custom domain;
#      the first time without a PUBLIC_URL it takes the workers.dev URL that
#      wrangler printed and deploys once more with it
#   7. saves the settings in .deploy.env (gitignored) for the next run
#
# --dry-run does every step that needs no Cloudflare account (the build, the
# configuration, `wrangler deploy --dry-run`) and prints the others instead of
# running them; it contacts nobody and leaves no file behind but the bundle in
# $EDGEBEAT_DRY_RUN_OUTDIR (default build/dry-run).
#
# Settings, from the environment or .deploy.env (the environment wins):
#   EDGEBEAT_WORKER    the Worker's name (default edgebeat)
#   EDGEBEAT_DATABASE  the D1 database's name (default edgebeat)
#   EDGEBEAT_DOMAIN    a custom domain such as status.example.com, whose zone is
#                      on the same Cloudflare account (default: none)
#   PUBLIC_URL         the origin of ping URLs and alert links (default
#                      https://$EDGEBEAT_DOMAIN, else the workers.dev URL)
#   ADMIN_TOKEN        the admin token to set when the Worker has none yet
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGEBEAT_ROOT"

say() { printf 'deploy: %s\n' "$*"; }
fail() {
  printf 'deploy: %s\n' "$*" >&2
  exit 1
}

dry_run=false
case "${1:-}" in
  --dry-run) dry_run=true ;;
  "") ;;
  *)
    echo "usage: scripts/deploy.sh [--dry-run]" >&2
    exit 2
    ;;
esac

# Settings saved by an earlier run; only these names, never executed as shell.
settings_file=.deploy.env
if [ -f "$settings_file" ]; then
  while IFS='=' read -r key value; do
    case "$key" in
      EDGEBEAT_WORKER | EDGEBEAT_DATABASE | EDGEBEAT_DOMAIN | PUBLIC_URL)
        [ -n "${!key:-}" ] || printf -v "$key" '%s' "$value"
        ;;
    esac
  done <"$settings_file"
fi
worker="${EDGEBEAT_WORKER:-edgebeat}"
database="${EDGEBEAT_DATABASE:-edgebeat}"
domain="${EDGEBEAT_DOMAIN:-}"
public_url="${PUBLIC_URL:-}"
[ -n "$public_url" ] || [ -z "$domain" ] || public_url="https://$domain"
public_url="${public_url%/}"

scratch="$(mktemp -d)"
if $dry_run; then
  config=wrangler.dry-run.toml
else
  config=wrangler.deploy.toml
fi
cleanup() {
  rm -rf "$scratch"
  if $dry_run; then rm -f "$config"; fi
}
trap cleanup EXIT

# Runs a step, or in a dry run prints it.
remote() {
  if $dry_run; then
    say "would run: $*"
  else
    "$@"
  fi
}

# 1. Tools and login.
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
[ "$node_major" -ge 22 ] || fail "wrangler needs Node >= 22 and this is $(node --version 2>/dev/null || echo no Node): run scripts/setup.sh (make deploy does)"
command -v wrangler >/dev/null 2>&1 || fail "wrangler is missing: run scripts/setup.sh (make deploy does)"
say "Worker $worker, D1 database $database${domain:+, custom domain $domain}${public_url:+, PUBLIC_URL $public_url}"
if ! $dry_run; then
  if ! who="$(wrangler whoami 2>&1)" || grep -qi 'not authenticated' <<<"$who"; then
    fail "wrangler is not logged in: run \`source scripts/env.sh && wrangler login\`, or set CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID)"
  fi
fi

# 2. The D1 database: found by name, created when missing.
database_id_of() {
  wrangler d1 list --json | node -e '
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk));
    process.stdin.on("end", () => {
      const found = JSON.parse(text).find((db) => db.name === process.argv[1]);
      process.stdout.write(found ? found.uuid : "");
    });' "$1"
}
if $dry_run; then
  say "would look up the D1 database $database, and create it (wrangler d1 create $database) if missing"
  database_id=00000000-0000-0000-0000-000000000000
else
  database_id="$(database_id_of "$database")"
  if [ -z "$database_id" ]; then
    say "creating the D1 database $database"
    wrangler d1 create "$database"
    database_id="$(database_id_of "$database")"
    [ -n "$database_id" ] || fail "wrangler d1 create $database did not leave a database of that name"
  fi
  say "D1 database $database is $database_id"
fi

# 3. The deploy configuration: wrangler.toml with this Worker's name and database.
awk -v name="$worker" -v db="$database" -v id="$database_id" '
  NR == 1 { print "# Written by scripts/deploy.sh from wrangler.toml: edit that file or .deploy.env instead." }
  /^\[/ { table = $0 }
  table == "" && /^name = / { print "name = \"" name "\""; replaced++; next }
  table == "[[d1_databases]]" && /^database_name = / { print "database_name = \"" db "\""; replaced++; next }
  table == "[[d1_databases]]" && /^database_id = / { print "database_id = \"" id "\""; replaced++; next }
  { print }
  END { if (replaced != 3) exit 1 }
' wrangler.toml >"$config" || fail "wrangler.toml no longer has the name, database_name and database_id lines this script sets"
grep -q '^crons = \["\* \* \* \* \*"\]' "$config" || fail "wrangler.toml lost its minute cron trigger ([triggers] crons = [\"* * * * *\"])"
say "wrote $config"

# 4. The schema, on the remote database.
remote wrangler d1 migrations apply DB --remote -c "$config"

# 5. ADMIN_TOKEN, when the Worker has none (a Worker not deployed yet has none).
base_args=(-c "$config")
[ -z "$domain" ] || base_args+=(--domain "$domain")
deploy_args=("${base_args[@]}")
[ -z "$public_url" ] || deploy_args+=(--var "PUBLIC_URL:$public_url")
has_admin_token() {
  wrangler secret list -c "$config" --format json 2>/dev/null | grep -q '"ADMIN_TOKEN"'
}
if $dry_run; then
  say "would set the ADMIN_TOKEN secret if the Worker has none (from \$ADMIN_TOKEN, typed in, or generated)"
elif ! has_admin_token; then
  token="${ADMIN_TOKEN:-}"
  if [ -z "$token" ] && [ -t 0 ]; then
    read -rsp "deploy: an ADMIN_TOKEN for creating projects (empty: generate one): " token
    echo
  fi
  generated=false
  if [ -z "$token" ]; then
    token="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
    generated=true
  fi
  (umask 077 && printf 'ADMIN_TOKEN=%s\n' "$token" >"$scratch/secrets.env")
  deploy_args+=(--secrets-file "$scratch/secrets.env")
  if $generated; then
    say "generated ADMIN_TOKEN $token (shown only now: keep it in your password manager)"
  fi
fi

# 6. Deploy.
if $dry_run; then
  outdir="${EDGEBEAT_DRY_RUN_OUTDIR:-build/dry-run}"
  say "wrangler deploy --dry-run ${deploy_args[*]} --outdir $outdir"
  wrangler deploy --dry-run "${deploy_args[@]}" --outdir "$outdir"
else
  wrangler deploy "${deploy_args[@]}" 2>&1 | tee "$scratch/deploy.log"
  if [ -z "$public_url" ]; then
    public_url="$(grep -oE 'https://[A-Za-z0-9.-]+\.workers\.dev' "$scratch/deploy.log" | head -n 1 || true)"
    if [ -n "$public_url" ]; then
      say "setting PUBLIC_URL to $public_url (links in alerts need it) and deploying once more"
      wrangler deploy "${base_args[@]}" --var "PUBLIC_URL:$public_url"
    else
      say "wrangler printed no workers.dev URL: set PUBLIC_URL (in .deploy.env) and run this again" >&2
    fi
  fi
fi

# 7. Remember the settings.
if $dry_run; then
  say "would save the settings in $settings_file"
  say "dry run complete: nothing was sent to Cloudflare"
  exit 0
fi
{
  echo "# Written by scripts/deploy.sh; edit freely. The environment wins over these."
  echo "EDGEBEAT_WORKER=$worker"
  echo "EDGEBEAT_DATABASE=$database"
  echo "EDGEBEAT_DOMAIN=$domain"
  echo "PUBLIC_URL=$public_url"
} >"$settings_file"
cat <<TXT

deploy: edgebeat is deployed${public_url:+ at $public_url}.
Next:
  # create a project with the ADMIN_TOKEN; keep the keys it prints, they are shown only once
  curl -s -X POST ${public_url:-https://<your worker>}/api/v3/projects/ -H "Authorization: Bearer <ADMIN_TOKEN>" -d '{"name": "My project"}'
  # the dashboard
  ${public_url:-https://<your worker>}/app/
  # its logs
  source scripts/env.sh && wrangler tail -c $config
TXT
