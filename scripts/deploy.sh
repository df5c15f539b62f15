#!/usr/bin/env bash
# Deploys edgebeat to your Cloudflare account in one command (`make deploy`),
# and again after every update (each step is skipped when already done):
#
#   1. checks the tools (wrangler needs Node >= 22: scripts/env.sh puts the one
#      scripts/setup.sh installed first on PATH) and that wrangler is logged in
#   2. finds each D1 database by name, or creates it
#   3. writes wrangler.deploy.toml: wrangler.toml with your Worker's name and
#      databases (gitignored; pass it with -c to wrangler tail, d1 execute ...)
#   4. applies the migrations to each remote database
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
#   EDGEBEAT_DATABASES how many D1 databases projects are spread over (default
#                      1): the first is EDGEBEAT_DATABASE, bound as DB; the
#                      n-th more is EDGEBEAT_DATABASE-n, bound as DB_n. It can
#                      grow, never shrink: projects live in the databases
#                      (docs/scaling.md)
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
      EDGEBEAT_WORKER | EDGEBEAT_DATABASE | EDGEBEAT_DATABASES | EDGEBEAT_DOMAIN | PUBLIC_URL)
        [ "$key" != EDGEBEAT_DATABASES ] || saved_databases="$value"
        [ -n "${!key:-}" ] || printf -v "$key" '%s' "$value"
        ;;
    esac
  done <"$settings_file"
fi
worker="${EDGEBEAT_WORKER:-edgebeat}"
database="${EDGEBEAT_DATABASE:-edgebeat}"
databases="${EDGEBEAT_DATABASES:-1}"
if ! [[ "$databases" =~ ^[1-9][0-9]?$ ]] || [ "$databases" -gt 36 ]; then
  fail "EDGEBEAT_DATABASES is $databases: a number of databases, 1 to 36"
fi
if [ "$databases" -lt "${saved_databases:-1}" ]; then
  fail "EDGEBEAT_DATABASES is $databases, but this deployment has ${saved_databases} databases: projects live in them, so their number only grows (docs/scaling.md)"
fi
# The binding and name of database n: DB and $database, then DB_n and $database-n.
binding_of() { if [ "$1" -eq 0 ]; then echo DB; else echo "DB_$1"; fi; }
name_of() { if [ "$1" -eq 0 ]; then echo "$database"; else echo "$database-$1"; fi; }
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
say "Worker $worker, D1 database $database$([ "$databases" -eq 1 ] || echo " and $((databases - 1)) more")${domain:+, custom domain $domain}${public_url:+, PUBLIC_URL $public_url}"
if ! $dry_run; then
  if ! who="$(wrangler whoami 2>&1)" || grep -qi 'not authenticated' <<<"$who"; then
    fail "wrangler is not logged in: run \`source scripts/env.sh && wrangler login\`, or set CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID)"
  fi
fi

# 2. The D1 databases: found by name, created when missing.
database_id_of() {
  wrangler d1 list --json | node -e '
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk));
    process.stdin.on("end", () => {
      const found = JSON.parse(text).find((db) => db.name === process.argv[1]);
      process.stdout.write(found ? found.uuid : "");
    });' "$1"
}
ids=()
for ((n = 0; n < databases; n++)); do
  name="$(name_of "$n")"
  if $dry_run; then
    say "would look up the D1 database $name, and create it (wrangler d1 create $name) if missing"
    ids+=("00000000-0000-0000-0000-0000000000$(printf '%02d' "$n")")
    continue
  fi
  id="$(database_id_of "$name")"
  if [ -z "$id" ]; then
    say "creating the D1 database $name"
    wrangler d1 create "$name"
    id="$(database_id_of "$name")"
    [ -n "$id" ] || fail "wrangler d1 create $name did not leave a database of that name"
  fi
  say "D1 database $name is $id"
  ids+=("$id")
done
database_id="${ids[0]}"

# 3. The deploy configuration: wrangler.toml with this Worker's name and
# database, and a binding like DB's for each database more.
awk -v name="$worker" -v db="$database" -v id="$database_id" '
  NR == 1 { print "# Written by scripts/deploy.sh from wrangler.toml: edit that file or .deploy.env instead." }
  /^\[/ { table = $0; if (table == "[[d1_databases]]") blocks++ }
  table == "" && /^name = / { print "name = \"" name "\""; replaced++; next }
  table == "[[d1_databases]]" && /^database_name = / { print "database_name = \"" db "\""; replaced++; next }
  table == "[[d1_databases]]" && /^database_id = / { print "database_id = \"" id "\""; replaced++; next }
  { print }
  END { if (replaced != 3 || blocks != 1) exit 1 }
' wrangler.toml >"$config" || fail "wrangler.toml no longer has the one D1 binding (DB) and the name, database_name and database_id lines this script sets (more databases come from EDGEBEAT_DATABASES)"
for ((n = 1; n < databases; n++)); do
  printf '\n[[d1_databases]]\nbinding = "%s"\ndatabase_name = "%s"\ndatabase_id = "%s"\nmigrations_dir = "migrations"\n' \
    "$(binding_of "$n")" "$(name_of "$n")" "${ids[n]}" >>"$config"
done
grep -q '^crons = \["\* \* \* \* \*"\]' "$config" || fail "wrangler.toml lost its minute cron trigger ([triggers] crons = [\"* * * * *\"])"
say "wrote $config"

# 4. The schema, on every remote database, before the new code goes live.
for ((n = 0; n < databases; n++)); do
  remote wrangler d1 migrations apply "$(binding_of "$n")" --remote -c "$config"
done

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
  echo "EDGEBEAT_DATABASES=$databases"
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
