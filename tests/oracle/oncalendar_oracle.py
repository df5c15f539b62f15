"""The PyPI `oncalendar` library, read the way healthchecks.io uses it, for
tests/oncalendar_oracle.rs: one JSON request per line on stdin, one JSON
answer per line on stdout.

Request: {"schedule": str, "zone": str, "start_ms": int, "steps": int}
Answer:  {"error": str} when healthchecks.io refuses the schedule (the
         library's message, or "No firing after 2000-01-01" when the first
         `next()` from 2000-01-01T00:00:00Z stops), else {"next": [ms | null, ...]}:
         `steps` firings, each the first `next()` of a fresh OnCalendar started
         at the previous one (the first at start_ms) in ZoneInfo(zone), as
         healthchecks.io computes a check's grace start from its last ping.
"""

import json
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from oncalendar import OnCalendar, OnCalendarError

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)


def answer(req):
    schedule = req["schedule"]
    try:
        next(OnCalendar(schedule, datetime(2000, 1, 1, tzinfo=timezone.utc)))
    except OnCalendarError as e:
        return {"error": str(e)}
    except StopIteration:
        return {"error": "No firing after 2000-01-01"}

    zone = ZoneInfo(req["zone"])
    start = (EPOCH + req["start_ms"] * MS).astimezone(zone)
    firings = []
    for _ in range(req["steps"]):
        try:
            result = next(OnCalendar(schedule, start))
        except StopIteration:
            firings.append(None)
            break
        firings.append((result - EPOCH) // MS)
        start = result
    return {"next": firings}


def main():
    for line in sys.stdin:
        req = json.loads(line)
        try:
            reply = answer(req)
        except Exception as e:  # a crash is reported, not hidden
            reply = {"crash": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
