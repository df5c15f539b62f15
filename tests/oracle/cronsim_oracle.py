"""Answers cron questions with cronsim, the way healthchecks.io asks them.

Used by tests/cron_oracle.rs. Reads one JSON object a line on stdin:
    {"expr": "0 9 * * 1-5", "tz": "Europe/Riga", "after": <Unix ms>, "steps": 3}
and writes one a line on stdout:
    {"valid": true, "next": [<Unix ms>, ...], "past": <n>, "circles": <n>, "second_passes": <n>}
"valid" is healthchecks.io's check of a cron schedule (one line of 5 fields
that cronsim parses and finds a firing for after 2000-01-01). "next" holds
the firings after "after", each computed as healthchecks.io computes a check's
next expected ping: next(CronSim(expr, previous.astimezone(zone))), in UTC. It
is shorter when cronsim gives up (50 years without a firing). cronsim can
answer at or before the instant it starts from (a fixed-time job started from
the second pass through a repeated hour), and from a few starts it walks in a
circle for ever (where a repeated stretch spans midnight). edgebeat, and this
script with it:
- passes over answers in the past, asking again from each, or from a second
  later where cronsim does not move on, counting them in "past";
- spots a circle as a state of cronsim's walk seen before in the same walk (its
  rounds depend on nothing else); where that state is the first pass through a
  repeated wall-clock time, goes on from the second pass, counting these in
  "second_passes", and otherwise asks again from a second later, counting
  these in "circles".
"stuck" is set if answers to pass over number more than 100,000.

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
from cronsim.cronsim import is_imaginary

zoneinfo.reset_tzpath(to=[])


class Circles(Exception):
    """cronsim's walk came back to a state it had been in: it would never end."""


SECOND_PASSES = 0


def is_repeated(dt):
    if dt.tzinfo is None or is_imaginary(dt):
        return False
    return dt.replace(fold=0).utcoffset() != dt.replace(fold=1).utcoffset()


def watch_for_circles():
    advance_month = CronSim.advance_month

    def watched(self):
        global SECOND_PASSES
        # Each round of CronSim.advance() starts here. (Naive datetimes
        # compare and hash without their fold, so it goes in beside them.)
        seen = self.__dict__.setdefault("_states_seen", set())
        if not add(seen, self.dt):
            if self.dt.fold == 0 and is_repeated(self.dt):
                self.dt = self.dt.replace(fold=1)
                add(seen, self.dt)
                SECOND_PASSES += 1
            else:
                raise Circles
        advance_month(self)

    CronSim.advance_month = watched


def add(seen, dt):
    state = (dt.replace(tzinfo=None), dt.fold)
    if state in seen:
        return False
    seen.add(state)
    return True


watch_for_circles()

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)


def valid(expr):
    if "\n" in expr.strip() or len(expr.split()) != 5:
        return False
    try:
        next(CronSim(expr, datetime(2000, 1, 1)))
    except (CronSimError, StopIteration, Circles):
        return False
    return True


def answer(request):
    global SECOND_PASSES
    SECOND_PASSES = 0
    expr = request["expr"]
    if not valid(expr):
        return {"valid": False}
    zone = zoneinfo.ZoneInfo(request["tz"])
    after = EPOCH + request["after"] * MS
    firings, past, circles = [], 0, 0
    while len(firings) < request["steps"]:
        start = after
        try:
            while True:
                if past + circles > 100_000:
                    return {"valid": True, "next": firings, "stuck": True}
                try:
                    result = next(CronSim(expr, start.astimezone(zone))).astimezone(timezone.utc)
                except Circles:
                    circles += 1
                    start += timedelta(seconds=1)
                    continue
                if result > after:
                    break
                past += 1
                # Where cronsim does not move on, ask from a second later.
                start = result if result > start else start + timedelta(seconds=1)
        except (StopIteration, OverflowError):
            break
        firings.append((result - EPOCH) // MS)
        after = result
    return {"valid": True, "next": firings, "past": past, "circles": circles, "second_passes": SECOND_PASSES}


def main():
    print(json.dumps({"cronsim": version("cronsim"), "tzdata": tzdata.IANA_VERSION}), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(answer(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
