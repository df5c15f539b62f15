#!/usr/bin/env python3
"""edgebeat's benchmarks, run by `make bench` (scripts/bench.sh builds first).

Benchmarks, not timed tests: nothing here fails on a slow machine. Every
figure is printed next to its target with pass, miss or info; the run exits
non-zero only when a benchmark could not be carried out (a worker that did not
start, a ping count that does not match the 2xx answers, ...).

What it measures, against `wrangler dev` with a local D1 (each worker on a
free port with its own throw-away --persist-to directory):
  1. ping throughput and latency (p50, p99) for GET and for POST with a 1 KB
     body, under load from `oha`, and checks that the pings stored (the
     check's n_pings, read through the API) equal the 2xx answers;
  2. the same against the floor, bench/floor: one D1 insert per request and
     nothing else; edgebeat's throughput is reported as a ratio to it;
  3. the minute sweep with 1,000 and 100,000 checks (seeded with SQL):
     wall time and D1 rows read with 0, 100 and 10,000 checks due;
  4. ping throughput as the store grows (1,000 checks vs 100,000 checks with
     a long ping history, pinging checks whose history is full);
  5. release wasm size (raw, gzip -9), wasm compile time under V8, and the
     time from spawning `wrangler dev` to the first 200 (median of 3);
  6. the dashboard: first-load JavaScript and CSS (gzip -9), and in headless
     chromium (chromedriver, traffic to 127.0.0.1 only) the time from
     navigation to a rendered list of the small store's checks (median of 3);
  7. maintenance windows in the sweep (issue 17): one project with 100
     always-open windows and 40 due checks, another project with one due
     check, in one sweep (wall time, worker CPU), next to a sweep with as
     many due checks in a project without windows.

Knobs (environment): BENCH_DURATION (s per load run, 15), BENCH_WARMUP (s, 3),
BENCH_CONCURRENCY (32), BENCH_CHECKS (100000), BENCH_SMALL_CHECKS (1000),
BENCH_DUE (10000), BENCH_STARTUPS (3), BENCH_ONLY=rows (only the D1 rows per operation),
BENCH_ONLY=ping (only the ping load against the floor, for trying changes to the ping path),
BENCH_ONLY=windows (only the sweep with maintenance windows),
BENCH_ONLY=size (only the wasm size, compile time and startup), BENCH_ROUNDS (2: each load run
is repeated, alternating floor and edgebeat, and the median is reported), BENCH_JSON / BENCH_MARKDOWN (write the
results there too), BENCH_KEEP=1 (keep the scratch directory).
"""

import atexit
import ctypes
import datetime
import gzip
import http.client
import http.server
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = ROOT / "bench" / "floor"
ADMIN_TOKEN = "bench-admin-token"
# /health shows the sweep's statistics only to the admin token.
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

DURATION = int(os.environ.get("BENCH_DURATION", "15"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "3"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
BIG = int(os.environ.get("BENCH_CHECKS", "100000"))
SMALL = int(os.environ.get("BENCH_SMALL_CHECKS", "1000"))
DUE_MANY = int(os.environ.get("BENCH_DUE", "10000"))
DUE_FEW = 100
STARTUPS = int(os.environ.get("BENCH_STARTUPS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
ONLY = os.environ.get("BENCH_ONLY", "")  # "rows", "ping", "windows" or "size": only that part
HISTORY = 100  # PING_HISTORY's default: pings kept per check
HISTORY_EVERY = 100  # every 100th seeded check gets a full ping history
SWEEP_SUBREQUEST_BUDGET = 40  # the default in the README
CRON_CPU_LIMIT_S = 30.0  # Workers Paid plan, cron triggers (the Free plan allows 10 ms CPU)
GZIP_TARGET = 600_000  # bytes: 600 KB
FLOOR_RATIO_TARGET = 0.9  # issue 14: a ping at least 0.9 of the one-insert floor
GROWTH_RATIO_TARGET = 0.9
DASHBOARD_GZIP_TARGET = 150_000  # bytes: first-load JS and CSS
DASHBOARD_LIST_TARGET_MS = 1000  # the list of 1,000 checks usable within 1 s

SCRATCH = Path(tempfile.mkdtemp(prefix="edgebeat-bench-"))
RESULTS = []  # (section, what, measured, target, verdict)
DATA = {}  # everything measured, for BENCH_JSON
WORKERS = []


def say(message):
    print(f"bench: {message}", flush=True)


def result(section, what, measured, target="", verdict="info"):
    RESULTS.append((section, what, measured, target, verdict))
    mark = {"pass": "PASS", "miss": "MISS", "info": "    "}[verdict]
    print(f"  {mark}  {what:<52} {measured:<28} {('target: ' + target) if target else ''}", flush=True)


def verdict(ok):
    return "pass" if ok else "miss"


class BenchError(Exception):
    pass


# ----- processes -----


def env_tools():
    """The environment scripts/env.sh set up (bench.sh sources it)."""
    return dict(os.environ)


def die_with_parent():
    """In the child: SIGTERM when this script dies, however it dies."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def run(cmd, cwd=ROOT, check=True):
    """Runs a command to completion in its own process group, which goes
    down with it if this script is interrupted."""
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env_tools(), start_new_session=True, preexec_fn=die_with_parent,
    )
    try:
        stdout, stderr = proc.communicate()
    except BaseException:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        raise
    if check and proc.returncode != 0:
        raise BenchError(f"`{' '.join(map(str, cmd))}` failed ({proc.returncode}):\n{stdout}\n{stderr}")
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_cpu_seconds(pgid):
    """User+system CPU seconds of the processes in a process group, by role:
    `wrangler dev` runs two workerd processes, the user worker's runtime (with
    an inspector) and a proxy in front of it, plus node."""
    tick = os.sysconf("SC_CLK_TCK")
    totals = {"worker": 0.0, "proxy": 0.0, "node": 0.0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        # fields[0] is the state (field 3); pgrp is field 5, utime 14, stime 15.
        if int(fields[2]) != pgid:
            continue
        if name == "workerd":
            role = "worker" if b"--inspector-addr" in cmdline else "proxy"
        else:
            role = "node"
        totals[role] += (int(fields[11]) + int(fields[12])) / tick
    return totals


class Worker:
    """A `wrangler dev` on a free port with its own persisted local D1."""

    def __init__(self, name, cwd, state, env_file=None, port=None, config=None):
        self.name, self.cwd, self.state = name, Path(cwd), Path(state)
        self.port = port or free_port()
        self.log_path = SCRATCH / f"{name}-{self.port}.log"
        cmd = [
            "wrangler", "dev", "--ip", "127.0.0.1", "--port", str(self.port),
            "--inspector-port", str(free_port()), "--persist-to", str(self.state),
            "--show-interactive-dev-session=false",
        ]
        if env_file:
            cmd += ["--env-file", str(env_file)]
        if config:  # another wrangler config than cwd's wrangler.toml (bench/shards.py: several databases)
            cmd += ["-c", str(config)]
        self.log = open(self.log_path, "w")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            cmd, cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True, env=env_tools(), preexec_fn=die_with_parent,
        )
        WORKERS.append(self)

    def wait_for(self, path, statuses=(200,), timeout=120):
        """Seconds from spawn until `path` answered one of `statuses`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name}: wrangler dev exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                status, _ = http_request(self.port, "GET", path, timeout=5)
                if status in statuses:
                    return time.monotonic() - self.started
            except OSError:
                pass
            time.sleep(0.05)
        raise BenchError(f"{self.name}: no answer on {path} within {timeout}s:\n{self.tail()}")

    def tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def cpu(self):
        return group_cpu_seconds(self.proc.pid)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def d1(self, sql=None, file=None, json_out=False):
        """Runs SQL against this worker's local D1 from outside, with wrangler."""
        cmd = ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", str(self.state)]
        cmd += ["--command", sql] if sql is not None else ["--file", str(file)]
        if json_out:
            cmd.append("--json")
        proc = run(cmd, cwd=self.cwd)
        return json.loads(proc.stdout) if json_out else None

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left of the group (workerd included) goes now.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.log.close()
        if self in WORKERS:
            WORKERS.remove(self)


def cleanup():
    for worker in list(WORKERS):
        worker.stop()
    if os.environ.get("BENCH_KEEP") == "1":
        say(f"kept {SCRATCH}")
    else:
        shutil.rmtree(SCRATCH, ignore_errors=True)


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


# ----- HTTP -----


def http_request(port, method, path, headers=None, body=None, timeout=120):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def api(worker, method, path, key=None, body=None, admin=False):
    headers = {"Content-Type": "application/json"}
    if admin:
        headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
    if key:
        headers["X-Api-Key"] = key
    status, data = http_request(worker.port, method, path, headers, json.dumps(body) if body is not None else None)
    if not 200 <= status < 300:
        raise BenchError(f"{method} {path}: {status} {data[:300]!r}")
    return json.loads(data)


def n_pings(worker, key, check_uuid):
    return api(worker, "GET", f"/api/v3/checks/{check_uuid}", key=key)["n_pings"]


class Receiver:
    """A local webhook target that answers 200, for the default Slack channel."""

    def __init__(self):
        counter = self.count = [0]

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                counter[0] += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            # A sweep sends its whole budget at once: room for all of it in the
            # listen backlog (the default 5 makes connections wait for SYN retries).
            request_queue_size = 256

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


# ----- load -----


def oha(url, seconds, method="GET", body_file=None):
    # -w: requests still running at the deadline are waited for, so every ping stored is counted.
    cmd = ["oha", "-z", f"{seconds}s", "-w", "-c", str(CONCURRENCY), "--no-tui", "--output-format", "json", "-m", method]
    if body_file:
        cmd += ["-D", str(body_file), "-T", "text/plain"]
    proc = run(cmd + [url])
    return json.loads(proc.stdout)


def load(worker, label, path, method, body_file, stored):
    """Warms up, then runs one measured load; checks stored == 2xx answers."""
    url = worker.url(path)
    oha(url, WARMUP, method, body_file)
    before = stored()
    cpu_before, t0 = worker.cpu(), time.monotonic()
    report = oha(url, DURATION, method, body_file)
    cpu = {role: seconds - cpu_before[role] for role, seconds in worker.cpu().items()}
    after = stored()
    codes = {int(k): v for k, v in report.get("statusCodeDistribution", {}).items()}
    ok = sum(v for k, v in codes.items() if 200 <= k < 300)
    total = sum(codes.values())
    errors = sum(report.get("errorDistribution", {}).values())
    pct = report["latencyPercentiles"]
    run_data = {
        "label": label, "method": method, "rps": report["summary"]["requestsPerSec"],
        "ok_rps": ok / report["summary"]["total"], "p50_ms": pct["p50"] * 1000, "p99_ms": pct["p99"] * 1000,
        "requests": total, "ok": ok, "non_2xx": total - ok, "errors": errors, "stored": after - before,
        "worker_cpu_ms_per_request": cpu["worker"] * 1000 / max(total, 1),
        "proxy_cpu_ms_per_request": cpu["proxy"] * 1000 / max(total, 1),
        "node_cpu_ms_per_request": cpu["node"] * 1000 / max(total, 1), "seconds": time.monotonic() - t0,
    }
    DATA.setdefault("load", []).append(run_data)
    print(
        f"    {label:<34} {run_data['ok_rps']:8.0f} req/s 2xx   p50 {run_data['p50_ms']:6.1f} ms   "
        f"p99 {run_data['p99_ms']:6.1f} ms   non-2xx {total - ok}  errors {errors}   stored {after - before}   "
        f"CPU/req: worker {run_data['worker_cpu_ms_per_request']:.2f} ms, proxy {run_data['proxy_cpu_ms_per_request']:.2f} ms",
        flush=True,
    )
    if after - before != ok:
        raise BenchError(f"{label}: {ok} 2xx answers but {after - before} pings stored")
    if ok == 0:
        raise BenchError(f"{label}: no 2xx answers: {codes} {report.get('errorDistribution')}")
    return run_data


# ----- seeding -----


def seed_uuid(i):
    return f"00000000-0000-4000-8000-{i:012d}"


def seed_checks(worker, project_id, first, last, now_ms):
    """Checks `first..last` in one statement (a recursive CTE): up, pinged in
    the last 12 hours, due in 13 to 25 hours. Every HISTORY_EVERY-th gets a
    full ping history (HISTORY pings)."""
    sql = SCRATCH / f"seed-{first}-{last}.sql"
    sql.write_text(
        f"""
WITH RECURSIVE seq(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM seq WHERE i < {last})
INSERT INTO checks (uuid, project_id, name, slug, tags, timeout, grace, status, status_changed_at,
                    last_ping, n_pings, alert_after, created_at, badge_key)
SELECT printf('00000000-0000-4000-8000-%012d', i), '{project_id}', 'seed ' || i, 'seed-' || i,
       CASE WHEN i % {HISTORY_EVERY} = 0 THEN 'seed hist' ELSE 'seed' END, 86400, 3600, 'up', {now_ms} - 86400000,
       {now_ms} - (i % 43200) * 1000, CASE WHEN i % {HISTORY_EVERY} = 0 THEN {HISTORY} ELSE 1 END,
       {now_ms} - (i % 43200) * 1000 + 90000000, {now_ms} - 86400000, lower(hex(randomblob(16)))
FROM seq;
WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < {HISTORY})
INSERT INTO pings (check_id, slot, n, created_at, kind, scheme, method, ua, remote_addr, body)
SELECT c.id, k.n % {HISTORY}, k.n, {now_ms} - ({HISTORY} - k.n) * 60000, 'success', 'https', 'POST', 'curl/8.5.0', '203.0.113.7',
       CAST('backup finished: 1234 files, 0 errors' AS BLOB)
FROM checks c JOIN k
WHERE c.uuid BETWEEN '{seed_uuid(first)}' AND '{seed_uuid(last)}' AND c.tags = 'seed hist';
"""
    )
    t0 = time.monotonic()
    worker.d1(file=sql)
    return time.monotonic() - t0


def make_due(worker, first, last, sweep_at):
    """Makes seeded checks `first..last` overdue: up, last pinged 2 days before the sweep."""
    worker.d1(
        f"UPDATE checks SET status = 'up', last_ping = {sweep_at - 2 * 86400000}, alert_after = {sweep_at - 60000} "
        f"WHERE uuid BETWEEN '{seed_uuid(first)}' AND '{seed_uuid(last)}'"
    )


def sweep_time():
    """A minute boundary that is not the hour's first (that sweep also prunes history)."""
    now = int(time.time() * 1000) // 60000 * 60000
    if now % 3600000 < 60000:
        now += 60000
    return now


def sweep(worker, label, at_ms):
    cpu_before, t0 = worker.cpu()["worker"], time.monotonic()
    status, body = http_request(worker.port, "GET", f"/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time={at_ms}", timeout=600)
    wall = time.monotonic() - t0
    cpu = worker.cpu()["worker"] - cpu_before
    if status != 200:
        raise BenchError(f"sweep {label}: {status} {body[:300]!r}\n{worker.tail()}")
    status, body = http_request(worker.port, "GET", "/health", ADMIN_HEADERS)
    health = json.loads(body)
    expected = datetime.datetime.fromtimestamp(at_ms / 1000, datetime.timezone.utc).isoformat()
    if health.get("last_sweep") != expected:
        raise BenchError(f"sweep {label} at {expected} did not complete: {health}")
    stats = health["last_sweep_stats"]
    data = {"label": label, "wall_s": wall, "worker_cpu_s": cpu, **stats}
    DATA.setdefault("sweeps", []).append(data)
    print(
        f"    sweep {label:<28} {wall * 1000:8.0f} ms wall   worker CPU {cpu * 1000:6.0f} ms   due {stats['due_checks']}"
        f"   flips {stats['flips']}   sent {stats['sent']}   rows_read {stats['rows_read']}",
        flush=True,
    )
    return data


# ----- the benchmarks -----


def git_describe():
    head = run(["git", "rev-parse", "--short", "HEAD"], check=False).stdout.strip() or "?"
    dirty = run(["git", "status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock", "migrations"], check=False).stdout.strip()
    return head + (" + uncommitted changes in src/" if dirty else "")


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    os_name = "?"
    if Path("/etc/os-release").exists():
        m = re.search(r'^PRETTY_NAME="?([^"\n]*)', Path("/etc/os-release").read_text(), re.M)
        os_name = m.group(1) if m else os_name

    def version(cmd):
        try:
            return run(cmd, check=False).stdout.strip().splitlines()[-1]
        except (OSError, IndexError):
            return "?"

    info = {
        "nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(int(mem) / 1024 / 1024, 1), "os": os_name,
        "kernel": platform.release(), "node": version(["node", "--version"]),
        "wrangler": version(["wrangler", "--version"]), "workerd": version(["workerd", "--version"]),
        "rustc": version(["rustc", "--version"]), "oha": version(["oha", "--version"]),
        "edgebeat": git_describe(),
        "load": f"{DURATION}s per run after {WARMUP}s warm-up, {CONCURRENCY} connections, {ROUNDS} rounds",
    }
    DATA["machine"] = info
    for key, value in info.items():
        print(f"  {key:<9} {value}")
    return info


def bench_size():
    say("5. release wasm size and startup")
    wasm = ROOT / "build" / "index_bg.wasm"
    raw = wasm.read_bytes()
    gz = len(gzip.compress(raw, compresslevel=9))
    floor_raw = (FLOOR / "build" / "index_bg.wasm").read_bytes()
    DATA["size"] = {"raw": len(raw), "gzip9": gz, "floor_raw": len(floor_raw),
                    "floor_gzip9": len(gzip.compress(floor_raw, compresslevel=9))}
    result("size", "release wasm, raw (build/index_bg.wasm)", f"{len(raw) / 1000:.1f} KB ({len(raw):,} B)")
    result("size", "release wasm, gzip -9", f"{gz / 1000:.1f} KB ({gz:,} B)", "< 600 KB", verdict(gz < GZIP_TARGET))
    result("size", "floor wasm, raw / gzip -9",
           f"{len(floor_raw) / 1000:.1f} KB / {DATA['size']['floor_gzip9'] / 1000:.1f} KB")
    # V8 (node's, the engine workerd embeds) compiling the module: the part of startup the wasm size drives.
    script = (
        "const b=require('fs').readFileSync(process.argv[1]);(async()=>{const t=[];"
        "for(let i=0;i<5;i++){const s=performance.now();await WebAssembly.compile(b);t.push(performance.now()-s)}"
        "t.sort((x,y)=>x-y);console.log(t[2].toFixed(1))})()"
    )
    compile_ms = float(run(["node", "-e", script, str(wasm)]).stdout.strip())
    floor_compile_ms = float(run(["node", "-e", script, str(FLOOR / "build" / "index_bg.wasm")]).stdout.strip())
    DATA["size"].update(compile_ms=compile_ms, floor_compile_ms=floor_compile_ms)
    result("size", "WebAssembly.compile under V8 (median of 5)", f"{compile_ms:.1f} ms (floor {floor_compile_ms:.1f} ms)")


# ----- the dashboard -----


def webdriver(port, method, path, body=None):
    status, data = http_request(port, method, path, {"Content-Type": "application/json"},
                                json.dumps(body) if body is not None else None)
    value = json.loads(data)["value"] if data else None
    if status != 200:
        raise BenchError(f"webdriver {method} {path}: {status} {str(value)[:300]}")
    return value


def bench_dashboard(worker, key, n_checks):
    say("6. the dashboard")
    app = ROOT / "dashboard" / "app"
    assets = sorted(p for p in app.iterdir() if p.suffix in (".js", ".css"))
    gz = sum(len(gzip.compress(p.read_bytes(), compresslevel=9)) for p in assets)
    DATA["dashboard"] = {"first_load_gzip9": gz}
    result("dashboard", f"first-load JS + CSS, gzip -9 ({len(assets)} files)", f"{gz / 1000:.1f} KB ({gz:,} B)",
           "<= 150 KB", verdict(gz <= DASHBOARD_GZIP_TARGET))
    if not shutil.which("chromedriver") or not Path("/usr/bin/chromium").exists():
        result("dashboard", "list render in chromium", "skipped: no chromium/chromedriver (scripts/setup.sh)")
        return
    port = free_port()
    log = open(SCRATCH / "chromedriver.log", "w")
    driver = subprocess.Popen(["chromedriver", f"--port={port}"], stdin=subprocess.DEVNULL, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                http_request(port, "GET", "/status", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise BenchError("chromedriver did not start")
                time.sleep(0.1)
        args = ["--headless=new", "--no-sandbox", "--proxy-server=http://127.0.0.1:9",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
                "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage",
                "--window-size=1280,900"]
        session = webdriver(port, "POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}})
        sid = session["sessionId"]

        def execute(script):
            return webdriver(port, "POST", f"/session/{sid}/execute/sync", {"script": script, "args": []})

        url = worker.url("/app/")
        webdriver(port, "POST", f"/session/{sid}/url", {"url": url})
        # A signed-in tab: the key and its access (read-write) are in sessionStorage.
        execute(f"sessionStorage.setItem('edgebeat.key', {json.dumps(key)}); "
                "sessionStorage.setItem('edgebeat.write', '1'); return true")
        ready, render = [], []
        for _ in range(3):
            webdriver(port, "POST", f"/session/{sid}/url", {"url": url + "?r=" + str(time.monotonic())})
            deadline = time.monotonic() + 60
            while not execute("return performance.getEntriesByName('edgebeat:list-ready').length"):
                if time.monotonic() > deadline:
                    raise BenchError("the dashboard list did not load")
                time.sleep(0.05)
            rows = execute("return document.querySelectorAll('#check-rows .check-row').length")
            if rows != n_checks:
                raise BenchError(f"the dashboard shows {rows} rows, not {n_checks}")
            ready.append(execute("return performance.getEntriesByName('edgebeat:list-ready')[0].startTime"))
            render.append(execute("return performance.getEntriesByName('edgebeat:list-render')[0].duration"))
        webdriver(port, "DELETE", f"/session/{sid}")
        med = statistics.median(ready)
        DATA["dashboard"].update(list_ready_ms=ready, list_render_ms=render)
        result("dashboard", f"navigation -> list of {n_checks:,} checks painted (median of 3)", f"{med:.0f} ms",
               f"< {DASHBOARD_LIST_TARGET_MS} ms", verdict(med < DASHBOARD_LIST_TARGET_MS))
        result("dashboard", f"building the {n_checks:,} rows (median of 3)", f"{statistics.median(render):.0f} ms")
    finally:
        try:
            os.killpg(driver.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        driver.wait()
        log.close()


def startup(template, floor_template):
    times, floor_times = [], []
    for i in range(STARTUPS):
        for name, cwd, tmpl, path, out, env_file in (
            ("edgebeat", ROOT, template, "/health", times, SCRATCH / "startup.env"),
            ("floor", FLOOR, floor_template, "/", floor_times, None),
        ):
            state = SCRATCH / f"startup-{name}-{i}"
            shutil.copytree(tmpl, state)
            worker = Worker(f"startup-{name}", cwd, state, env_file)
            try:
                out.append(worker.wait_for(path))
            finally:
                worker.stop()
            shutil.rmtree(state, ignore_errors=True)
    med, floor_med = statistics.median(times), statistics.median(floor_times)
    DATA["startup"] = {"edgebeat_s": times, "floor_s": floor_times}
    result("size", f"wrangler dev spawn -> first 200 on /health (median of {STARTUPS})",
           f"{med:.2f} s (floor {floor_med:.2f} s)", f"info: {med - floor_med:+.2f} s vs the floor")


def paired_ratios(runs, name, method):
    """edgebeat's throughput over the floor's, round by round: each round's two
    runs follow each other, so the machine's drift (this 2-core machine's
    floor alone varies by a third between rounds) cancels out of each ratio."""
    return [r["ok_rps"] / f["ok_rps"] for f, r in zip(runs["floor", method], runs[name, method])]


def report_ratio(label, ratios):
    ratio = statistics.median(ratios)
    rounds = ", ".join(f"{r:.2f}" for r in ratios)
    result("ping", f"ping {label} throughput / floor (median of paired rounds: {rounds})", f"{ratio:.2f}",
           f">= {FLOOR_RATIO_TARGET}", verdict(ratio >= FLOOR_RATIO_TARGET))


def combine(runs):
    """One figure per scenario from its rounds: the median of each."""
    out = dict(runs[0])
    for key in ("ok_rps", "p50_ms", "p99_ms", "worker_cpu_ms_per_request", "proxy_cpu_ms_per_request"):
        out[key] = statistics.median(r[key] for r in runs)
    return out


def start_edgebeat(name, template, receiver):
    """An edgebeat worker on a copy of the migrated template, with a project
    made through the admin API. Every flip to down notifies a default Slack
    channel: the local receiver. Returns the worker, the project's read-write
    key and the project's id."""
    state = SCRATCH / f"edgebeat-{name}"
    shutil.copytree(template, state)
    env_file, port = SCRATCH / f"edgebeat-{name}.env", free_port()
    env_file.write_text(
        f"ADMIN_TOKEN={ADMIN_TOKEN}\nPUBLIC_URL=http://127.0.0.1:{port}\n"
        f"SLACK_WEBHOOK_URL=http://127.0.0.1:{receiver.port}/slack\n"
        "ALLOW_PRIVATE_DESTINATIONS=1\nD1_USAGE_HEADER=1\n"
    )
    worker = Worker(f"edgebeat-{name}", ROOT, state, env_file, port)
    worker.wait_for("/health")
    project = api(worker, "POST", "/api/v3/projects/", body={"name": f"bench {name}"}, admin=True)
    PING_KEYS[project["api_key"]] = project["ping_key"]
    return worker, project["api_key"], project["id"]


# ----- D1 rows per operation -----

FREE_ROWS_WRITTEN_PER_DAY = 100_000
FREE_ROWS_READ_PER_DAY = 5_000_000


def d1_usage(headers):
    """D1's own counts for one request: `X-D1-Rows: read=N, written=M`."""
    value = dict(headers).get("X-D1-Rows") or dict(headers).get("x-d1-rows")
    if not value:
        raise BenchError("the worker did not report D1 usage (D1_USAGE_HEADER=1)")
    parts = dict(part.strip().split("=") for part in value.split(","))
    return int(parts["read"]), int(parts["written"])


def measured(worker, method, path, key=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", worker.port, timeout=60)
    try:
        headers = {"X-Api-Key": key} if key else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if not 200 <= response.status < 300:
            raise BenchError(f"{method} {path}: {response.status}")
        return d1_usage(response.getheaders())
    finally:
        conn.close()


def sweep_usage(worker, at_ms):
    status, body = http_request(worker.port, "GET", f"/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time={at_ms}")
    if status != 200:
        raise BenchError(f"sweep: {status}")
    stats = json.loads(http_request(worker.port, "GET", "/health", ADMIN_HEADERS)[1])["last_sweep_stats"]
    return stats["total_rows_read"], stats["rows_written"], stats


def d1_costs(template, receiver):
    """Rows D1 reads and writes per operation, from its own result metadata."""
    say("D1 rows per operation (X-D1-Rows, summed over each request's statements)")
    worker, key, _project = start_edgebeat("costs", template, receiver)
    rows = {}

    def note(what, read, written):
        rows[what] = (read, written)
        print(f"    {what:<58} read {read:>6}   written {written:>4}", flush=True)

    hook = api(worker, "POST", "/api/v3/channels/", key=key,
               body={"kind": "webhook", "name": "hook", "url": f"http://127.0.0.1:{receiver.port}/hook"})
    check = api(worker, "POST", "/api/v3/checks/", key=key,
                body={"name": "costs", "slug": "costs", "timeout": 3600, "grace": 600, "channels": hook["id"]})
    ping = "/ping/" + check["ping_url"].rsplit("/", 1)[1]
    measured(worker, "GET", ping)  # new -> up; the isolate now knows the check
    for _ in range(HISTORY + 5):  # a full history: a ping now replaces the oldest
        measured(worker, "GET", ping)
    note("success ping, up idle check (one round trip)", *measured(worker, "GET", ping))
    note("success ping by slug (lookup, then the write)", *measured(worker, "GET", f"/ping/{_project_ping_key(worker, key)}/costs"))
    note("start ping", *measured(worker, "GET", ping + "/start"))
    note("success closing the run", *measured(worker, "GET", ping))
    note("failing ping that flips and queues an alert", *measured(worker, "GET", ping + "/fail"))
    note("success ping that recovers (flip, alert)", *measured(worker, "GET", ping))
    # Issue 19: a run's start and end with a run id are recorded once (a run_reports row each).
    rid = f"a0000000-0000-4000-8000-{int(time.time()):012d}"
    note("start ping with a run id", *measured(worker, "GET", f"{ping}/start?rid={rid}"))
    note("success with that run id (closes the run)", *measured(worker, "GET", f"{ping}?rid={rid}"))
    note("the same success again (already reported)", *measured(worker, "GET", f"{ping}?rid={rid}"))
    note("relayed success (?ts=, the check read first)", *measured(worker, "GET", f"{ping}?ts={int(time.time()) - 60}"))
    note("?create=1 ping that creates its check", *measured(worker, "GET", f"/ping/{_project_ping_key(worker, key)}/fresh-{int(time.time())}?create=1"))
    for n in range(100):
        api(worker, "POST", "/api/v3/checks/", key=key, body={"name": f"list-{n}", "timeout": 3600})
    note("API list of ~100 checks", *measured(worker, "GET", "/api/v3/checks/", key=key))
    at = sweep_time() + 120_000
    sweep_usage(worker, at)  # delivers what the pings queued
    read, written, _ = sweep_usage(worker, at + 60_000)
    note("sweep, 0 due", read, written)
    for n in range(100):
        created = api(worker, "POST", "/api/v3/checks/", key=key, body={"name": f"due-{n}", "timeout": 60, "grace": 60})
        measured(worker, "GET", "/ping/" + created["ping_url"].rsplit("/", 1)[1])
    read, written, stats = sweep_usage(worker, int(time.time() * 1000) + 600_000)
    note(f"sweep, {stats['due_checks']} due (each queues one alert)", read, written)
    measured(worker, "GET", ping + "/fail")
    time.sleep(2)  # the alert goes out after the ping, through wait_until
    read, written, stats = sweep_usage(worker, int(time.time() * 1000) + 1_200_000)
    note(f"sweep, 0 due, {stats['sent']} deliveries", read, written)
    # What reading a large body to the end costs (issue 9: a body is drained,
    # not left unread, so the client gets its answer): worker CPU per ping.
    for size in (1_000, 10_000_000):
        body = b"x" * size
        before = worker.cpu()["worker"]
        for _ in range(10):
            measured(worker, "POST", ping, body=body)
        per_ping = (worker.cpu()["worker"] - before) / 10 * 1000
        DATA.setdefault("body_cpu_ms", {})[size] = per_ping
        result("rows", f"worker CPU per POST ping with a {size:,}-byte body (read to the end)", f"{per_ping:.1f} ms")
    worker.stop()
    DATA["d1_rows"] = {what: {"read": r, "written": w} for what, (r, w) in rows.items()}
    idle_read, idle_written = rows["success ping, up idle check (one round trip)"]
    sweep_read, sweep_written = rows["sweep, 0 due"]
    result("rows", "rows written per success ping (up, idle)", f"{idle_written}", "<= 3", verdict(idle_written <= 3))
    result("rows", "rows read per success ping (up, idle)", f"{idle_read}", "a handful", verdict(idle_read <= 6))
    for what, (r, w) in rows.items():
        result("rows", f"{what}: read / written", f"{r} / {w}")
    # The Free plan per day: 1,440 sweeps (each also writes its own record and
    # prunes the oldest: 2 rows, not in its own count) plus the pings.
    for minutes in (1, 5, 15, 60, 1440):
        pings_per_check = 1440 / minutes
        by_writes = (FREE_ROWS_WRITTEN_PER_DAY - 1440 * (sweep_written + 2)) / (pings_per_check * max(idle_written, 1))
        by_reads = (FREE_ROWS_READ_PER_DAY - 1440 * sweep_read) / (pings_per_check * max(idle_read, 1))
        result("rows", f"Free plan: checks pinged every {minutes} min", f"{int(min(by_writes, by_reads)):,}",
               f"info: writes allow {int(by_writes):,}, reads {int(by_reads):,}")
    return rows


# ----- maintenance windows in the sweep -----

WINDOWS = 100  # a project's most
WINDOW_CHECKS = 40  # the scenario: 100 windows x 40 checks took a 48 s sweep


def bench_windows(template, receiver):
    """One sweep with 41 due checks: 40 in a project with 100 windows that
    never close (every minute, for a minute: the costliest kind to evaluate)
    and 1 in another project, next to a sweep with as many due checks in a
    project without windows (the 100 windows still exist). Every
    down flip notifies the default Slack channel (the receiver), so the
    other project's alert must be sent by the same sweep."""
    say(f"7. maintenance windows: {WINDOWS} always-open windows over {WINDOW_CHECKS} due checks in one project")
    worker, noisy_key, _ = start_edgebeat("windows", template, receiver)
    quiet_key = api(worker, "POST", "/api/v3/projects/", body={"name": "quiet"}, admin=True)["api_key"]
    plain_key = api(worker, "POST", "/api/v3/projects/", body={"name": "plain"}, admin=True)["api_key"]

    def due_checks(key, count, name):
        for n in range(count):
            check = api(worker, "POST", "/api/v3/checks/", key=key,
                        body={"name": f"{name}-{n}", "timeout": 60, "grace": 60})
            status, _ = http_request(worker.port, "GET", "/ping/" + check["ping_url"].rsplit("/", 1)[1])
            if status != 200:
                raise BenchError(f"ping: {status}")

    for n in range(WINDOWS):
        api(worker, "POST", "/api/v3/maintenance/", key=noisy_key,
            body={"name": f"w{n}", "schedule": "* * * * *", "duration": 60})
    due_checks(noisy_key, WINDOW_CHECKS, "noisy")
    due_checks(quiet_key, 1, "quiet")
    at = sweep_time() + 600_000
    sent_before = receiver.count[0]
    with_windows = sweep(worker, f"{WINDOW_CHECKS + 1} due, {WINDOWS} windows", at)
    if with_windows["flips"] != WINDOW_CHECKS + 1:
        raise BenchError(f"sweep with windows: {with_windows}")
    other_alert = with_windows["sent"] == 1 and receiver.count[0] - sent_before == 1
    due_checks(plain_key, WINDOW_CHECKS + 1, "plain")
    # The same again in a third project without windows (the 100 stay).
    without = sweep(worker, f"{WINDOW_CHECKS + 1} due elsewhere", at + 600_000)
    worker.stop()
    result("windows", f"sweep, {WINDOW_CHECKS + 1} due, {WINDOWS} always-open windows in one project: wall / worker CPU",
           f"{with_windows['wall_s'] * 1000:.0f} / {with_windows['worker_cpu_s'] * 1000:.0f} ms",
           f"info: {WINDOW_CHECKS + 1} due in a project without windows "
           f"{without['wall_s'] * 1000:.0f} / {without['worker_cpu_s'] * 1000:.0f} ms")
    result("windows", "the other project's alert sent by that same sweep (the windowed project's held)",
           "yes" if other_alert else f"no ({with_windows['sent']} sent)", "yes", verdict(other_alert))


def _project_ping_key(worker, key):
    """The project's ping key, kept by start_edgebeat."""
    return PING_KEYS[key]


PING_KEYS = {}


def main():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    atexit.register(cleanup)
    started = time.monotonic()
    if BIG < SMALL + DUE_FEW + DUE_MANY + 2 * HISTORY_EVERY:
        raise BenchError("BENCH_CHECKS is too small for BENCH_SMALL_CHECKS + BENCH_DUE")
    say(f"scratch directory {SCRATCH}")
    say("machine")
    machine()

    # Migrated templates, copied for each worker. edgebeat's records one
    # completed sweep so /health answers 200 right away.
    template, floor_template = SCRATCH / "template", SCRATCH / "floor-template"
    run(["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", str(template)])
    now = int(time.time() * 1000)
    run(["wrangler", "d1", "execute", "DB", "--local", "--persist-to", str(template), "--command",
         f"INSERT INTO sweeps (scheduled_at, finished_at) VALUES ({now}, {now})"])
    run(["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", str(floor_template)], cwd=FLOOR)
    (SCRATCH / "startup.env").write_text(f"ADMIN_TOKEN={ADMIN_TOKEN}\n")

    if ONLY in ("", "rows"):
        d1_costs(template, Receiver())
    if ONLY in ("", "windows"):
        bench_windows(template, Receiver())
    if ONLY in ("rows", "windows"):
        finish(started)
        return
    if ONLY != "ping":
        bench_size()
        startup(template, floor_template)
    if ONLY == "size":
        finish(started)
        return

    body = SCRATCH / "body-1k.txt"
    line = "2026-11-28T02:15:07Z backup: dumped 1234 tables, uploaded 5.2 GiB to s3://backups/db, 0 errors\n"
    body.write_text((line * 20)[:1024])

    # Three workers side by side (idle while another is loaded), so their load
    # runs can alternate and a change in the machine's other load between
    # runs biases no comparison: the floor, edgebeat with a small store and
    # edgebeat with a large one.
    say("starting the floor and two edgebeat workers")
    state = SCRATCH / "floor"
    shutil.copytree(floor_template, state)
    floor = Worker("floor", FLOOR, state)
    floor.wait_for("/")
    receiver = Receiver()
    small, small_key, small_project = start_edgebeat("small", template, receiver)
    if ONLY == "ping":
        ping_only(floor, small, small_key, body, started)
        return
    big, big_key, big_project = start_edgebeat("big", template, receiver)

    # Checks made through the API (small store), then the seeded ones.
    checks = {}
    for name in ("bench-get", "bench-post"):
        created = api(small, "POST", "/api/v3/checks/", key=small_key,
                      body={"name": name, "timeout": 86400, "grace": 3600})
        checks[name] = created["ping_url"].rsplit("/", 1)[1]
    now = int(time.time() * 1000)
    seconds = seed_checks(small, small_project, 1, SMALL, now)
    say(f"seeded {SMALL:,} checks in {seconds:.1f} s")
    seconds = seed_checks(big, big_project, 1, BIG, now)
    rows = big.d1("SELECT (SELECT count(*) FROM checks) AS checks, (SELECT count(*) FROM pings) AS pings",
                  json_out=True)[0]["results"][0]
    DATA["store"] = rows
    say(f"seeded {rows['checks']:,} checks and {rows['pings']:,} pings in {seconds:.1f} s")
    # In the large store, ping seeded checks whose history is already full.
    hot_get = seed_uuid(BIG // HISTORY_EVERY * HISTORY_EVERY)
    hot_post = seed_uuid(BIG // HISTORY_EVERY * HISTORY_EVERY - HISTORY_EVERY)

    def floor_rows():
        return floor.d1("SELECT count(*) AS n FROM pings", json_out=True)[0]["results"][0]["n"]

    say(f"1, 2, 4. ping load: {CONCURRENCY} connections, {DURATION}s per run after {WARMUP}s of warm-up")
    runs = {}
    for round_ in range(ROUNDS):
        for method, body_file in (("GET", None), ("POST", body)):
            label = "GET" if method == "GET" else "POST 1 KB"
            runs.setdefault(("floor", method), []).append(
                load(floor, f"floor {label}", "/ping", method, body_file, floor_rows))
            uuid_ = checks["bench-get" if method == "GET" else "bench-post"]
            runs.setdefault(("small", method), []).append(
                load(small, f"edgebeat {label}, {SMALL:,} checks", f"/ping/{uuid_}", method, body_file,
                     lambda u=uuid_: n_pings(small, small_key, u)))
            hot = hot_get if method == "GET" else hot_post
            runs.setdefault(("big", method), []).append(
                load(big, f"edgebeat {label}, {BIG:,} checks", f"/ping/{hot}", method, body_file,
                     lambda u=hot: n_pings(big, big_key, u)))
    floor.stop()
    all_runs = [r for rs in runs.values() for r in rs]
    ratios = {method: paired_ratios(runs, "small", method) for method in ("GET", "POST")}
    runs = {k: combine(rs) for k, rs in runs.items()}
    kept = big.d1(f"SELECT count(*) AS n FROM pings p JOIN checks c ON c.id = p.check_id WHERE c.uuid = '{hot_get}'",
                  json_out=True)[0]["results"][0]["n"]
    if kept != HISTORY:
        raise BenchError(f"the pinged check keeps {kept} pings, not {HISTORY}")

    bench_dashboard(small, small_key, SMALL + 2)

    say("3. the sweep")
    sweep_small = sweep(small, f"0 due, {SMALL:,} checks", sweep_time())
    small.stop()
    sweeps = {0: sweep(big, f"0 due, {BIG:,} checks", sweep_time())}
    for due, first in ((DUE_FEW, SMALL + 1), (DUE_MANY, SMALL + DUE_FEW + 1)):
        at = sweep_time() + 60000
        make_due(big, first, first + due - 1, at)
        sweeps[due] = sweep(big, f"{due:,} due, {BIG:,} checks", at)
        if sweeps[due]["due_checks"] != due or sweeps[due]["flips"] != due:
            raise BenchError(f"sweep with {due} due: {sweeps[due]}")
    DATA["receiver_requests"] = receiver.count[0]
    big.stop()
    receiver.server.shutdown()
    floor_get, floor_post = runs["floor", "GET"], runs["floor", "POST"]
    small_get, small_post = runs["small", "GET"], runs["small", "POST"]
    big_get, big_post = runs["big", "GET"], runs["big", "POST"]

    # ---- results ----
    say("results")
    for label, run_, floor_run in (
        ("GET", small_get, floor_get), ("POST 1 KB", small_post, floor_post),
    ):
        result("ping", f"ping {label} throughput, {SMALL:,} checks", f"{run_['ok_rps']:.0f} req/s (floor {floor_run['ok_rps']:.0f})")
        report_ratio(label, ratios["GET" if label == "GET" else "POST"])
        result("ping", f"ping {label} latency p50 / p99",
               f"{run_['p50_ms']:.1f} / {run_['p99_ms']:.1f} ms",
               f"info: floor {floor_run['p50_ms']:.1f} / {floor_run['p99_ms']:.1f} ms")
        result("ping", f"ping {label} worker runtime CPU per request",
               f"{run_['worker_cpu_ms_per_request']:.2f} ms", f"info: floor {floor_run['worker_cpu_ms_per_request']:.2f} ms")
    result("ping", "pings stored == 2xx answers (all runs)", f"{sum(r['stored'] for r in all_runs):,} == {sum(r['ok'] for r in all_runs):,}",
           "equal", "pass")
    for label, small, big in (("GET", small_get, big_get), ("POST 1 KB", small_post, big_post)):
        ratio = big["ok_rps"] / small["ok_rps"]
        result("growth", f"ping {label}, {BIG:,} vs {SMALL:,} checks + full history",
               f"{big['ok_rps']:.0f} vs {small['ok_rps']:.0f} req/s = {ratio:.2f}",
               f">= {GROWTH_RATIO_TARGET}", verdict(ratio >= GROWTH_RATIO_TARGET))
        result("growth", f"ping {label} p50 / p99, {BIG:,} checks", f"{big['p50_ms']:.1f} / {big['p99_ms']:.1f} ms")
    rr_small, rr_big = sweep_small["rows_read"], sweeps[0]["rows_read"]
    result("sweep", f"0 due: rows read, {SMALL:,} vs {BIG:,} checks", f"{rr_small} vs {rr_big}",
           "no growth with checks", verdict(rr_big <= max(rr_small, 1)))
    result("sweep", f"0 due: wall time, {SMALL:,} vs {BIG:,} checks",
           f"{sweep_small['wall_s'] * 1000:.0f} vs {sweeps[0]['wall_s'] * 1000:.0f} ms")
    for due in (DUE_FEW, DUE_MANY):
        s = sweeps[due]
        result("sweep", f"{due:,} due of {BIG:,}: wall time (worker CPU)",
               f"{s['wall_s']:.2f} s ({s['worker_cpu_s']:.2f} s)", f"< {CRON_CPU_LIMIT_S:.0f} s",
               verdict(s["wall_s"] < CRON_CPU_LIMIT_S))
        result("sweep", f"{due:,} due: rows read / flips", f"{s['rows_read']:,} / {s['flips']:,}", f"info: {due:,} due")
        result("sweep", f"{due:,} due: notifications sent", f"{s['sent']}", f"<= {SWEEP_SUBREQUEST_BUDGET}",
               verdict(s["sent"] <= SWEEP_SUBREQUEST_BUDGET))
    finish(started)


def ping_only(floor, small, small_key, body, started):
    """BENCH_ONLY=ping: the floor and edgebeat's ping path alone, alternating,
    for trying a change to the ping path in about a minute per round."""
    floor_rows = lambda: floor.d1("SELECT count(*) AS n FROM pings", json_out=True)[0]["results"][0]["n"]
    runs = {}
    for _ in range(ROUNDS):
        for method, body_file in (("GET", None), ("POST", body)):
            created = api(small, "POST", "/api/v3/checks/", key=small_key,
                          body={"name": f"bench-{method}-{len(runs)}", "timeout": 86400, "grace": 3600})
            uuid_ = created["ping_url"].rsplit("/", 1)[1]
            runs.setdefault(("floor", method), []).append(load(floor, f"floor {method}", "/ping", method, body_file, floor_rows))
            runs.setdefault(("small", method), []).append(
                load(small, f"edgebeat {method}", f"/ping/{uuid_}", method, body_file,
                     lambda u=uuid_: n_pings(small, small_key, u)))
    ratios = {method: paired_ratios(runs, "small", method) for method in ("GET", "POST")}
    runs = {k: combine(rs) for k, rs in runs.items()}
    for method in ("GET", "POST"):
        run_, floor_run = runs["small", method], runs["floor", method]
        result("ping", f"ping {method} throughput", f"{run_['ok_rps']:.0f} req/s (floor {floor_run['ok_rps']:.0f})")
        report_ratio(method, ratios[method])
        result("ping", f"ping {method} worker runtime CPU per request",
               f"{run_['worker_cpu_ms_per_request']:.2f} ms", f"info: floor {floor_run['worker_cpu_ms_per_request']:.2f} ms")
    floor.stop()
    small.stop()
    finish(started)


def finish(started):
    DATA["results"] = [dict(zip(("section", "what", "measured", "target", "verdict"), r)) for r in RESULTS]
    DATA["total_s"] = time.monotonic() - started

    print()
    table = markdown_table()
    print(table)
    misses = sum(1 for r in RESULTS if r[4] == "miss")
    say(f"done in {DATA['total_s']:.0f} s: {sum(1 for r in RESULTS if r[4] == 'pass')} targets met, {misses} missed")
    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(DATA, indent=2) + "\n")
    if os.environ.get("BENCH_MARKDOWN"):
        Path(os.environ["BENCH_MARKDOWN"]).write_text(table + "\n")


def markdown_table():
    lines = ["| what | measured | target | result |", "| --- | --- | --- | --- |"]
    for _section, what, measured, target, v in RESULTS:
        target = target.replace("info: ", "") if target.startswith("info") else target
        lines.append(f"| {what} | {measured} | {target} | {v if v != 'info' else ''} |")
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        main()
    except BenchError as err:
        print(f"bench: FAILED: {err}", file=sys.stderr)
        sys.exit(1)
