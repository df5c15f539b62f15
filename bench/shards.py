#!/usr/bin/env python3
"""The scale-out simulation of docs/scaling.md: the same ping load on one D1
database, then split over two (each its own Worker and local D1), measured in
one run. Run by `make bench-shards` (scripts/bench.sh shards), which builds
and installs what it needs; it reuses bench.py's helpers (workers on free
ports with throw-away state, the local receiver) and oha.

A benchmark, not a test: it prints what it measured.
"""

import atexit
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

SECONDS = int(os.environ.get("BENCH_DURATION", "15"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))


def oha_json(url, seconds, concurrency):
    cmd = ["oha", "-z", f"{seconds}s", "-w", "-c", str(concurrency), "--no-tui", "--output-format", "json", url]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def ok_rps(result):
    ok = sum(n for code, n in result.get("statusCodeDistribution", {}).items() if code.startswith("2"))
    return ok / result["summary"]["total"]


def shard(name, template, receiver):
    worker, key, _ = bench.start_edgebeat(name, template, receiver)
    check = bench.api(worker, "POST", "/api/v3/checks/", key=key, body={"name": name, "timeout": 86400})
    return worker, worker.url("/ping/" + check["ping_url"].rsplit("/", 1)[1])


def load(urls):
    """Runs the total concurrency split over `urls` at once; the summed rate."""
    results = [None] * len(urls)

    def one(i, url):
        results[i] = oha_json(url, SECONDS, max(1, CONCURRENCY // len(urls)))

    threads = [threading.Thread(target=one, args=(i, u)) for i, u in enumerate(urls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(ok_rps(r) for r in results), results


def main():
    atexit.register(bench.cleanup)
    template = bench.SCRATCH / "template"
    bench.run(["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", str(template)])
    now = int(time.time() * 1000)
    bench.run(["wrangler", "d1", "execute", "DB", "--local", "--persist-to", str(template), "--command",
               f"INSERT INTO sweeps (scheduled_at, finished_at) VALUES ({now}, {now})"])
    receiver = bench.Receiver()
    one, one_url = shard("shard-a", template, receiver)
    two, two_url = shard("shard-b", template, receiver)
    for url in (one_url, two_url):
        oha_json(url, 3, CONCURRENCY)  # warm up both
    rounds = []
    for _ in range(2):
        single, _ = load([one_url])
        split, _ = load([one_url, two_url])
        rounds.append((single, split))
    one.stop()
    two.stop()
    receiver.server.shutdown()
    single = sorted(r[0] for r in rounds)[len(rounds) // 2]
    split = sorted(r[1] for r in rounds)[len(rounds) // 2]
    print(f"| load ({CONCURRENCY} connections, {SECONDS} s, 2 rounds) | pings per second |")
    print("| --- | --- |")
    print(f"| one database | {single:.0f} |")
    print(f"| two databases, the same load split | {split:.0f} ({split / single:.2f} x) |")
    for i, (s, p) in enumerate(rounds):
        print(f"round {i + 1}: one {s:.0f}/s, two {p:.0f}/s", file=sys.stderr)


if __name__ == "__main__":
    main()
