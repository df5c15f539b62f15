"""Drives edgebeat with a third-party healthchecks.io client: healthchecks-io from PyPI
(https://github.com/andrewthetechie/py-healthchecks.io, the version scripts/setup.sh pins),
through its sync Client, its AsyncClient and its CheckTrap, with the API version it uses by
default (v1). Every management and ping method is called and its result checked.

Run by tests/e2e_client.rs:

    python healthchecks_client.py <base url> <read-write key> <read-only key> <ping key>

Prints one JSON object: which methods were called and what each returned, and the client's
own bugs (calls that fail against healthchecks.io too), so the Rust test can check both.
Exits non-zero, with a traceback, on the first result that is not what healthchecks.io gives.
"""

import asyncio
import hashlib
import json
import sys
import uuid as uuidlib

from healthchecks_io import AsyncClient, CheckCreate, CheckTrap, CheckUpdate, Client
from healthchecks_io.client.exceptions import (
    BadAPIRequestError,
    CheckNotFoundError,
    HCAPIAuthError,
    NonUniqueSlugError,
)
from healthchecks_io.schemas.checks import CheckStatuses

base, rw_key, ro_key, ping_key = sys.argv[1:5]
api_url, ping_url = f"{base}/api/", f"{base}/ping/"

called = {}
client_bugs = []


def record(method, result):
    called.setdefault(method, []).append(result)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def raises(exception, call):
    try:
        call()
    except exception as err:
        return str(err)
    raise AssertionError(f"expected {exception.__name__}")


def raw(client, path):
    """A GET through the client's own httpx session (its key, its API version)."""
    response = client._client.get(client._get_api_request_url(path))
    expect(response.status_code == 200, f"GET {path}: {response.status_code} {response.text}")
    return response.json()


def healthchecks_unique_key(uuid):
    """hc/api/models.py Check.unique_key."""
    return hashlib.sha1(uuidlib.UUID(uuid).hex[:16].encode()).hexdigest()


client = Client(api_key=rw_key, ping_key=ping_key, api_url=api_url, ping_url=ping_url)
expect(client._api_url == f"{base}/api/v1/", "the client uses API v1 by default")

# create_check: a simple check. API v1 makes the slug from the name.
backup = client.create_check(
    CheckCreate(name="Nightly Backup", tags="prod db", desc="pg_dump", timeout=3600, grace=120)
)
expect(backup.slug == "nightly-backup", f"v1 slug from the name: {backup.slug!r}")
expect((backup.status, backup.timeout, backup.grace, backup.n_pings) == ("new", 3600, 120, 0), backup)
expect(backup.uuid and backup.ping_url == f"{base}/ping/{backup.uuid}", backup)
expect(backup.update_url == f"{base}/api/v1/checks/{backup.uuid}", backup.update_url)
record("create_check", {"uuid": backup.uuid, "slug": backup.slug})

# create_check: a cron check (the client also sends its default timeout; the schedule wins).
report = client.create_check(CheckCreate(name="Weekday Report", schedule="30 6 * * 1-5", tz="Europe/Riga"))
expect(report.slug == "weekday-report" and report.timeout is None, report)
record("create_check", {"uuid": report.uuid, "slug": report.slug})

# create_check with unique: the existing check is returned (and updated), not a new one.
# (CheckCreate sends its defaults, tags="" and desc="" among them, so they are repeated.)
again = client.create_check(
    CheckCreate(name="Nightly Backup", tags="prod db", desc="pg_dump", timeout=3600, grace=120, unique=["name"])
)
expect(again.uuid == backup.uuid, "unique=['name'] finds the existing check")
record("create_check", {"uuid": again.uuid, "upsert": True})

# get_checks, with and without tags.
everything = client.get_checks()
expect(sorted(c.name for c in everything) == ["Nightly Backup", "Weekday Report"], everything)
tagged = client.get_checks(tags=["prod", "db"])
expect([c.uuid for c in tagged] == [backup.uuid], tagged)
expect(client.get_checks(tags=["prod", "web"]) == [], "every tag must match")
record("get_checks", len(everything))

# get_check by uuid.
shown = client.get_check(backup.uuid)
expect((shown.name, shown.tags, shown.desc, shown.methods) == ("Nightly Backup", "prod db", "pg_dump", ""), shown)
record("get_check", shown.uuid)

# update_check: a rename changes the slug (API v1), other fields stay.
renamed = client.update_check(backup.uuid, CheckUpdate(name="Nightly DB Backup", grace=300))
expect((renamed.slug, renamed.grace, renamed.timeout) == ("nightly-db-backup", 300, 3600), renamed)
record("update_check", renamed.slug)

# Pings by uuid and by slug (the slug v1 derived).
ok, text = client.success_ping(slug="nightly-db-backup", data="dump finished")
expect((ok, text) == (True, "OK"), (ok, text))
expect(client.get_check(backup.uuid).status == "up", "a success ping makes the check up")
record("success_ping", text)

ok, text = client.start_ping(uuid=backup.uuid)
expect((ok, text) == (True, "OK"), (ok, text))
expect(client.get_check(backup.uuid).status == "started", "API v1 shows a running check as started")
record("start_ping", text)

ok, text = client.success_ping(uuid=backup.uuid)
after_run = raw(client, f"checks/{backup.uuid}")
expect(after_run["status"] == "up" and after_run["started"] is False, after_run)
expect(after_run.get("last_duration") == 0, f"a run under a second lasted 0 s: {after_run}")

ok, text = client.fail_ping(uuid=backup.uuid, data="disk full")
expect((ok, text) == (True, "OK") and client.get_check(backup.uuid).status == "down", (ok, text))
record("fail_ping", text)

ok, text = client.exit_code_ping(0, slug="nightly-db-backup")
expect((ok, text) == (True, "OK") and client.get_check(backup.uuid).status == "up", (ok, text))
ok, text = client.exit_code_ping(3, uuid=backup.uuid, data="exit 3")
expect((ok, text) == (True, "OK") and client.get_check(backup.uuid).status == "down", (ok, text))
record("exit_code_ping", text)

# CheckTrap: start, then success with the log lines, or fail with the exception.
with CheckTrap(client, uuid=backup.uuid) as trap:
    trap.add_log("rows: 42")
expect(client.get_check(backup.uuid).status == "up", "CheckTrap reports success")
try:
    with CheckTrap(client, slug="nightly-db-backup"):
        raise RuntimeError("backup exploded")
except RuntimeError:
    pass
expect(client.get_check(backup.uuid).status == "down", "CheckTrap reports the exception as a failure")
record("CheckTrap", "ok")

# get_check_pings: newest first, with the client's renamed fields.
pings = client.get_check_pings(backup.uuid)
kinds = [p.type for p in pings]
expected_kinds = ["fail", "start", "success", "start", "fail", "success", "fail", "success", "start", "success"]
expect(kinds == expected_kinds, kinds)
expect([p.number_of_pings for p in pings] == list(range(len(pings), 0, -1)), [p.number_of_pings for p in pings])
expect(all(p.user_agent.startswith("py-healthchecks.io/") for p in pings), pings)
expect(all(p.method == "POST" and p.scheme in ("http", "https") for p in pings), pings)
expect(pings[0].duration is not None and pings[0].duration >= 0, "a failure after a start has a duration")
record("get_check_pings", kinds)

# get_check_flips: the client iterates over the response object itself, but healthchecks.io
# answers {"flips": [...]} (hc/api/views.py flips(), every version since flips exist), so
# the call fails against healthchecks.io as it does here: the client's bug, documented.
try:
    client.get_check_flips(backup.uuid, seconds=3600)
    raise AssertionError("get_check_flips worked: the client was fixed; drop this workaround")
except TypeError as err:
    client_bugs.append({"method": "get_check_flips", "error": f"TypeError: {err}"})
flips = raw(client, f"checks/{backup.uuid}/flips/?seconds=3600")["flips"]
statuses = [CheckStatuses(**flip) for flip in flips]
expect([s.up for s in statuses] == [0, 1, 0, 1, 0, 1], [s.up for s in statuses])
record("get_check_flips", len(statuses))

# get_integrations: the project's channels, as {id, name, kind}.
integrations = client.get_integrations()
expect([(i.name, i.kind) for i in integrations] == [("ops hook", "webhook")], integrations)
record("get_integrations", [i.kind for i in integrations])

# get_badges: every tag and "*", each with the six URLs.
badges = client.get_badges()
expect(sorted(badges) == ["*", "db", "prod"], sorted(badges))
expect(all(b.svg.endswith(".svg") and b.json_url.endswith(".json") and b.shields3.endswith(".shields")
           for b in badges.values()), badges)
record("get_badges", sorted(badges))

# pause_check.
paused = client.pause_check(backup.uuid)
expect(paused.status == "paused", paused)
record("pause_check", paused.status)

# A read-only key: unique_key (as healthchecks computes it) instead of the uuid.
readonly = Client(api_key=ro_key, api_url=api_url, ping_url=ping_url)
ro_checks = readonly.get_checks()
ro_backup = next(c for c in ro_checks if c.name == "Nightly DB Backup")
expect(ro_backup.uuid is None and ro_backup.ping_url is None, ro_backup)
expect(ro_backup.unique_key == healthchecks_unique_key(backup.uuid), ro_backup.unique_key)
expect(readonly.get_check(ro_backup.unique_key).name == "Nightly DB Backup", "get_check by unique key")
raises(HCAPIAuthError, lambda: readonly.pause_check(backup.uuid))
record("get_check", ro_backup.unique_key)

# Errors as the client maps them.
raises(HCAPIAuthError, lambda: Client(api_key="hcw_" + "x" * 28, api_url=api_url).get_checks())
raises(CheckNotFoundError, lambda: client.get_check(str(uuidlib.uuid4())))
raises(CheckNotFoundError, lambda: client.success_ping(slug="no-such-check"))
raises(BadAPIRequestError, lambda: client.create_check(CheckCreate(name="x", grace=1)))
raises(BadAPIRequestError, lambda: client.success_ping(uuid=backup.uuid, slug="both"))
twin = client.create_check(CheckCreate(name="Weekday Report"))  # the same name, so the same slug
raises(NonUniqueSlugError, lambda: client.success_ping(slug="weekday-report"))
record("errors", "ok")

# delete_check: answers the check as it was; it is gone afterwards.
deleted = client.delete_check(twin.uuid)
expect(deleted.uuid == twin.uuid, deleted)
raises(CheckNotFoundError, lambda: client.get_check(twin.uuid))
record("delete_check", deleted.uuid)


async def async_client():
    """The same surface through AsyncClient, and CheckTrap as an async context manager."""
    aclient = AsyncClient(api_key=rw_key, ping_key=ping_key, api_url=api_url, ping_url=ping_url)
    made = await aclient.create_check(CheckCreate(name="Async Job", tags="async", timeout=600, grace=60))
    expect(made.slug == "async-job", made)
    updated = await aclient.update_check(made.uuid, CheckUpdate(name="Async Job 2"))
    expect(updated.slug == "async-job-2", updated)
    expect([c.uuid for c in await aclient.get_checks(tags=["async"])] == [made.uuid], "async get_checks")
    expect((await aclient.get_check(made.uuid)).name == "Async Job 2", "async get_check")
    for ping in (aclient.start_ping(slug="async-job-2"), aclient.success_ping(uuid=made.uuid),
                 aclient.fail_ping(uuid=made.uuid), aclient.exit_code_ping(0, uuid=made.uuid)):
        expect(await ping == (True, "OK"), "async ping")
    async with CheckTrap(aclient, uuid=made.uuid) as trap:
        trap.add_log("async run")
    expect(len(await aclient.get_check_pings(made.uuid)) == 6, "async get_check_pings")
    try:
        await aclient.get_check_flips(made.uuid)
        raise AssertionError("async get_check_flips worked: the client was fixed")
    except TypeError as err:
        client_bugs.append({"method": "AsyncClient.get_check_flips", "error": f"TypeError: {err}"})
    expect([i.kind for i in await aclient.get_integrations()] == ["webhook"], "async get_integrations")
    expect("async" in await aclient.get_badges(), "async get_badges")
    expect((await aclient.pause_check(made.uuid)).status == "paused", "async pause_check")
    expect((await aclient.delete_check(made.uuid)).uuid == made.uuid, "async delete_check")
    await aclient._client.aclose()
    record("AsyncClient", "ok")


asyncio.run(async_client())
print(json.dumps({"called": called, "client_bugs": client_bugs, "backup": backup.uuid, "report": report.uuid}))
