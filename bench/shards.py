#!/usr/bin/env python3
"""`make bench-shards` (scripts/bench.sh shards): edgebeat's real sharded code
under ping load with 1, 2 and 4 D1 databases bound to one Worker.

Each configuration is one `wrangler dev` whose config is derived from
wrangler.toml as the tests derive theirs (tests/support/worker.rs): `DB` as
configured, then `DB_1`, `DB_2`, ... like it. The admin API places one
project on each database (placement fills the emptiest, newest first) and the
same four checks are pinged in every configuration, spread evenly over the
databases: four oha processes of BENCH_CONCURRENCY / 4 connections each, so
the load generator does the same work whatever the number of databases.

Per configuration it reports:
  - pings per second (2xx), the median of BENCH_ROUNDS rounds; the three
    configurations' runs alternate within each round, and the ratio to one
    database is the median of each round's own ratio, so the machine's other
    load biases no comparison;
  - the worker's CPU per ping (workerd, which locally also runs D1's SQLite);
  - each database's share of the pings stored during the load (from the
    checks' n_pings through the API, which must equal the 2xx answers);
  - D1's own rows read and written per ping, in all and in each database,
    from `X-D1-Rows-By-Database` (D1_USAGE_HEADER=1) over BENCH_SAMPLES
    sequential pings per check after the load: a ping by UUID touches its own
    database only, so each database's rows per deployment ping fall as 1/N.

Locally every database is a SQLite file served by the same workerd on the
same cores, so more databases add no capacity here; what the figures show is
that spreading costs nothing per ping and divides each database's load.
A benchmark, not a test: it prints what it measured, and fails only when it
could not measure (a worker that did not start, pings stored != 2xx answers).
"""

import atexit
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

# Three rounds unless told otherwise (bench.py's default is two), before bench reads it.
os.environ.setdefault("BENCH_ROUNDS", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402
from bench import BenchError, api, say  # noqa: E402

DATABASES = (1, 2, 4)
CHECKS = 4  # pinged checks in every configuration, spread evenly over its databases
SECONDS = int(os.environ.get("BENCH_DURATION", "15"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "3"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
ROUNDS = int(os.environ["BENCH_ROUNDS"])
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "25"))  # sequential pings per check for the row counts


def binding(n):
    return "DB" if n == 0 else f"DB_{n}"


def wrangler_config(databases):
    """wrangler.toml with absolute paths, no build step (scripts/bench.sh has
    built) and `databases` D1 bindings, derived line by line as
    tests/support/worker.rs derives the tests' configs."""
    root = bench.ROOT
    text, block, skipping, in_database = [], [], False, False
    for line in (root / "wrangler.toml").read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            skipping = stripped == "[build]"
            in_database = stripped == "[[d1_databases]]"
        if skipping:
            continue
        key, sep, value = stripped.partition(" = ")
        if sep and key in ("main", "directory", "migrations_dir"):
            line = f'{key} = "{root / value.strip(chr(34))}"'
        if in_database and stripped and not stripped.startswith("#"):
            block.append(line)
        text.append(line)
    if not block:
        raise BenchError("wrangler.toml binds no D1 database")
    for n in range(1, databases):
        text.append("")
        for line in block:
            key = line.strip().partition(" = ")[0]
            line = {
                "binding": f'binding = "{binding(n)}"',
                "database_name": f'database_name = "edgebeat-{n}"',
                "database_id": f'database_id = "00000000-0000-0000-0000-00000000000{n}"',
            }.get(key, line)
            text.append(line)
    path = bench.SCRATCH / f"config-{databases}" / "wrangler.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(text) + "\n")
    return path


def migrated(databases, config):
    """Local databases with every migration applied, one per binding."""
    state = bench.SCRATCH / f"state-{databases}"
    for n in range(databases):
        bench.run(["wrangler", "d1", "migrations", "apply", binding(n), "--local", "--persist-to", str(state),
                   "-c", str(config)])
    return state


class Deployment:
    """One Worker with `databases` databases, a project on each, and the
    CHECKS pinged checks spread evenly over them."""

    def __init__(self, databases):
        self.databases = databases
        config = wrangler_config(databases)
        state = migrated(databases, config)
        port = bench.free_port()
        env_file = bench.SCRATCH / f"shards-{databases}.env"
        env_file.write_text(f"ADMIN_TOKEN={bench.ADMIN_TOKEN}\nPUBLIC_URL=http://127.0.0.1:{port}\nD1_USAGE_HEADER=1\n")
        self.worker = bench.Worker(f"shards-{databases}", bench.ROOT, state, env_file, port, config=config)
        self.worker.wait_for("/health", statuses=(200, 503))
        self.sweep()
        keys = {}
        for n in range(databases):
            project = api(self.worker, "POST", "/api/v3/projects/", body={"name": f"bench {n}"}, admin=True)
            keys[project["id"]] = project["api_key"]
        placed = {p["id"]: p["database"] for p in api(self.worker, "GET", "/api/v3/projects/", admin=True)["projects"]}
        by_database = {placed[project]: key for project, key in keys.items()}
        if sorted(by_database) != list(range(databases)):
            raise BenchError(f"{databases} databases: projects placed on {sorted(placed.values())}")
        # (database, api key, check uuid) for each pinged check.
        self.checks = []
        for i in range(CHECKS):
            database = i % databases
            key = by_database[database]
            check = api(self.worker, "POST", "/api/v3/checks/", key=key, body={"name": f"load {i}", "timeout": 86400})
            self.checks.append((database, key, check["uuid"]))
            # A full history, as every check has once it has pinged PING_HISTORY
            # times: a ping then replaces its oldest slot (bench.py's rows measure the same).
            for _ in range(bench.HISTORY + 5):
                status, _ = bench.http_request(self.worker.port, "GET", f"/ping/{check['uuid']}")
                if status != 200:
                    raise BenchError(f"ping: {status}")

    def sweep(self):
        """A real sweep now (wrangler dev fires no cron): /health stays 200
        and no request starts a rescue sweep during the load."""
        at = int(time.time() * 1000)
        status, body = bench.http_request(self.worker.port, "GET", f"/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time={at}")
        if status != 200:
            raise BenchError(f"sweep: {status} {body[:300]!r}")

    def n_pings(self):
        return [api(self.worker, "GET", f"/api/v3/checks/{uuid}", key=key)["n_pings"] for _, key, uuid in self.checks]

    def load(self, seconds):
        """Every check under load at once (CONCURRENCY / CHECKS connections
        each): the pings per second answered 2xx, the worker's CPU seconds,
        and the pings stored per database."""
        self.sweep()
        before, cpu_before = self.n_pings(), self.worker.cpu()["worker"]
        reports = [None] * len(self.checks)

        def one(i, uuid):
            cmd = ["oha", "-z", f"{seconds}s", "-w", "-c", str(max(1, CONCURRENCY // CHECKS)), "--no-tui",
                   "--output-format", "json", self.worker.url(f"/ping/{uuid}")]
            reports[i] = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)

        threads = [threading.Thread(target=one, args=(i, uuid)) for i, (_, _, uuid) in enumerate(self.checks)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        cpu = self.worker.cpu()["worker"] - cpu_before
        stored = [after - b for after, b in zip(self.n_pings(), before)]
        ok = [sum(n for code, n in r.get("statusCodeDistribution", {}).items() if code.startswith("2")) for r in reports]
        if ok != stored:
            raise BenchError(f"{self.databases} databases: 2xx answers {ok} but pings stored {stored}")
        if sum(ok) == 0:
            raise BenchError(f"{self.databases} databases: no 2xx answers: {reports}")
        per_database = [0] * self.databases
        for (database, _, _), n in zip(self.checks, stored):
            per_database[database] += n
        rps = sum(n / r["summary"]["total"] for n, r in zip(ok, reports))
        return {"rps": rps, "pings": sum(ok), "cpu_s": cpu, "stored_per_database": per_database}

    def rows(self):
        """D1's rows per ping, per database, over SAMPLES sequential pings of
        each check: [(read, written) per deployment ping for each database],
        and how many pings touched a database other than their check's."""
        totals = [[0, 0] for _ in range(self.databases)]
        strays, pings = 0, 0
        for database, _, uuid in self.checks:
            for _ in range(SAMPLES):
                conn = http.client.HTTPConnection("127.0.0.1", self.worker.port, timeout=60)
                try:
                    conn.request("GET", f"/ping/{uuid}")
                    response = conn.getresponse()
                    response.read()
                    if response.status != 200:
                        raise BenchError(f"ping: {response.status}")
                    header = response.getheader("X-D1-Rows-By-Database")
                finally:
                    conn.close()
                if not header:
                    raise BenchError("no X-D1-Rows-By-Database header (D1_USAGE_HEADER=1)")
                pings += 1
                for part in header.split("; "):
                    n, _, counts = part.partition(": ")
                    fields = dict(kv.split("=") for kv in counts.split(", "))
                    read, written = int(fields["read"]), int(fields["written"])
                    totals[int(n)][0] += read
                    totals[int(n)][1] += written
                    if int(n) != database and (read or written):
                        strays += 1
        return [(r / pings, w / pings) for r, w in totals], strays


def main():
    signal.signal(signal.SIGTERM, bench.on_signal)
    signal.signal(signal.SIGINT, bench.on_signal)
    atexit.register(bench.cleanup)
    started = time.monotonic()
    say(f"scratch directory {bench.SCRATCH}")
    say("machine")
    bench.machine()
    say(f"starting workers with {', '.join(map(str, DATABASES))} databases")
    deployments = {n: Deployment(n) for n in DATABASES}
    say(f"warm-up ({WARMUP} s each)")
    for deployment in deployments.values():
        deployment.load(WARMUP)
    runs = {n: [] for n in DATABASES}
    for r in range(ROUNDS):
        for n in DATABASES:  # alternating, so that the machine's drift reaches all alike
            run = deployments[n].load(SECONDS)
            runs[n].append(run)
            print(f"    round {r + 1}, {n} database(s): {run['rps']:6.0f} pings/s, "
                  f"worker CPU {run['cpu_s'] * 1000 / run['pings']:.2f} ms/ping, "
                  f"stored per database {run['stored_per_database']}", flush=True)
    say(f"D1 rows per ping ({SAMPLES} sequential pings per check)")
    rows = {n: deployments[n].rows() for n in DATABASES}
    for deployment in deployments.values():
        deployment.worker.stop()

    results = {}
    for n in DATABASES:
        ratios = [a["rps"] / b["rps"] for a, b in zip(runs[n], runs[1])]
        cpu = [run["cpu_s"] * 1000 / run["pings"] for run in runs[n]]
        cpu_one = [run["cpu_s"] * 1000 / run["pings"] for run in runs[1]]
        cpu_ratios = [a / b for a, b in zip(cpu, cpu_one)]
        stored = [sum(run["stored_per_database"][d] for run in runs[n]) for d in range(n)]
        per_database, strays = rows[n]
        results[n] = {
            "rps": statistics.median(run["rps"] for run in runs[n]), "rounds_rps": [run["rps"] for run in runs[n]],
            "ratio": statistics.median(ratios), "rounds_ratio": ratios, "cpu_ms_per_ping": statistics.median(cpu),
            "cpu_ratio": statistics.median(cpu_ratios),
            "share": [s / sum(stored) for s in stored],
            "rows_per_database": per_database, "rows_read": sum(r for r, _ in per_database),
            "rows_written": sum(w for _, w in per_database), "stray_pings": strays,
        }
    lines = [
        f"| databases | pings/s (median of {ROUNDS} rounds) | vs 1 database (median of paired rounds) "
        "| worker CPU per ping (median) | vs 1 database (median of paired rounds) "
        "| D1 rows per ping, read / written (all databases) | pings touching another database |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n, res in results.items():
        rounds = ", ".join(f"{x:.2f}" for x in res["rounds_ratio"])
        lines.append(f"| {n} | {res['rps']:.0f} | {res['ratio']:.2f} ({rounds}) | {res['cpu_ms_per_ping']:.2f} ms "
                     f"| {res['cpu_ratio']:.2f} | {res['rows_read']:.2f} / {res['rows_written']:.2f} "
                     f"| {res['stray_pings']} |")
    lines += [
        "",
        "| databases | database | share of the pings stored | its pings/s | its rows read / written per ping of the deployment |",
        "| --- | --- | --- | --- | --- |",
    ]
    for n, res in results.items():
        for d in range(n):
            read, written = res["rows_per_database"][d]
            lines.append(f"| {n} | {binding(d)} | {res['share'][d]:.3f} | {res['rps'] * res['share'][d]:.0f} "
                         f"| {read:.2f} / {written:.2f} |")
    print("\n" + "\n".join(lines) + "\n", flush=True)
    say(f"done in {time.monotonic() - started:.0f} s")
    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps({"machine": bench.DATA.get("machine"), "runs": runs,
                                                              "results": results}, indent=2))


if __name__ == "__main__":
    try:
        main()
    except BenchError as err:
        print(f"bench: could not measure: {err}", file=sys.stderr)
        sys.exit(1)
