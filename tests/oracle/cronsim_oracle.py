"""Answers cron questions with cronsim, the way healthchecks.io asks them.

Used by tests/cron_oracle.rs. Reads one JSON object a line on stdin:
    {"expr": "0 9 * * 1-5", "tz": "Europe/Riga", "after": <Unix ms>, "steps": 3}
and writes one a line on stdout:
    {"valid": true, "next": [<Unix ms>, ...], "past": <count>}
"valid" is healthchecks.io's check of a cron schedule (one line of 5 fields
that cronsim parses and finds a firing for after 2000-01-01). "next" holds
the firings after "after", each computed as healthchecks.io computes a check's
next expected ping: next(CronSim(expr, previous.astimezone(zone))), in UTC. It
is shorter when cronsim gives up (50 years without a firing). cronsim can
answer at or before the instant it starts from (a fixed-time job started from
the second pass through a repeated hour); edgebeat passes over such answers,
asking again from each (or, where cronsim does not move on, from a second
later), and so does this script, counting them in "past". "stuck" is set if
that takes more than 100,000 answers.

The first line written names the versions in use:
    {"cronsim": "2.7", "tzdata": "2025b"}
Time zones come from the tzdata package, not the system's files, so that the
oracle and chrono-tz can be held to the same IANA release.
"""

import json
import sys
import zoneinfo
from datetime import datetime, timedelta, timezone
from importlib.metadata import version

import tzdata
from cronsim import CronSim, CronSimError

zoneinfo.reset_tzpath(to=[])

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)


def valid(expr):
    if "\n" in expr.strip() or len(expr.split()) != 5:
        return False
    try:
        next(CronSim(expr, datetime(2000, 1, 1)))
    except (CronSimError, StopIteration):
        return False
    return True


def answer(request):
    expr = request["expr"]
    if not valid(expr):
        return {"valid": False}
    zone = zoneinfo.ZoneInfo(request["tz"])
    after = EPOCH + request["after"] * MS
    firings, past = [], 0
    while len(firings) < request["steps"]:
        start = after
        try:
            while True:
                result = next(CronSim(expr, start.astimezone(zone))).astimezone(timezone.utc)
                if result > after:
                    break
                past += 1
                if past > 100_000:
                    return {"valid": True, "next": firings, "past": past, "stuck": True}
                # Where cronsim does not move on, ask from a second later.
                start = result if result > start else start + timedelta(seconds=1)
        except (StopIteration, OverflowError):
            break
        firings.append((result - EPOCH) // MS)
        after = result
    return {"valid": True, "next": firings, "past": past}


def main():
    print(json.dumps({"cronsim": version("cronsim"), "tzdata": tzdata.IANA_VERSION}), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(answer(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
