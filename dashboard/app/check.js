// A check's page: status and why, the ping URL with snippets, recent runs,
// the ping log with bodies (as text), flips, notifications, and actions.

import { auditTable } from "./people.js";
import {
  h,
  svg,
  api,
  session,
  ApiError,
  duration,
  runTime,
  scheduleText,
  exact,
  timeEl,
  shownStatus,
  statusBadge,
  copyButton,
  policyLines,
  tagChip,
  labelCells,
  schedulePreview,
  previewNodes,
  neverRanText,
} from "./lib.js";

/** The snooze presets offered on a check's page: [label, seconds]. */
const SNOOZES = [
  ["1 hour", 3600],
  ["4 hours", 14400],
  ["24 hours", 86400],
];

const REASONS = {
  timeout: "no success ping arrived in time (late)",
  fail: "the last run reported failure",
  ran_too_long: "a run started and did not finish within the grace period (ran too long)",
  too_fast: "a run finished faster than its shortest run (too fast)",
  never_ran: "it never ran: no first ping by its first expected run plus grace",
};

/** The reason of a flip in words: late, failed, exit status N, ran too long. */
export function reasonText(reason) {
  if (!reason) return "";
  const exit = /^exitstatus:(\d+)$/.exec(reason);
  if (exit) return `the last run exited with status ${exit[1]}`;
  return REASONS[reason] || reason;
}

/** Why a check is down, from what the API shows: the alert's recorded reason, else the last ping. */
function whyDown(check, pings, notifications, flips) {
  const neverRan = neverRanText(check);
  if (neverRan) return `Down: ${neverRan} (no first ping by its first expected run plus grace).`;
  // The alert written with the latest flip to down records its reason.
  const flip = (flips || []).find((f) => f.up === 0);
  const since = flip ? new Date(flip.timestamp).getTime() - 1000 : Infinity;
  const lastDown = (notifications || []).find(
    (n) => n.event === "down" && n.reason && new Date(n.created).getTime() >= since
  );
  if (lastDown) return `Down because ${reasonText(lastDown.reason)}.`;
  if (pings && pings.length) {
    const last = pings.find((p) => p.type !== "log");
    if (last && last.type === "fail") {
      return last.exitstatus !== null && last.exitstatus !== undefined && last.exitstatus !== 0
        ? `Down because ${reasonText(`exitstatus:${last.exitstatus}`)}.`
        : `Down because ${reasonText("fail")}.`;
    }
    if (check.started) return `Down because ${reasonText("ran_too_long")}.`;
    return `Down because ${reasonText("timeout")}.`;
  }
  if (check.started) return `Down because ${reasonText("ran_too_long")}.`;
  return check.last_ping ? "Down: no success arrived within the grace period, or the last run failed." : "Down.";
}

function statusLine(check, pings, notifications, flips) {
  const shown = shownStatus(check);
  switch (shown) {
    case "down":
      return whyDown(check, pings, notifications, flips);
    case "late":
      return neverRanText(check)
        ? `Late: ${neverRanText(check)}; it goes down if nothing arrives within the grace period.`
        : "Late: the ping is overdue and the grace period is running; it goes down if nothing arrives.";
    case "started":
      return "Running: a start signal arrived and the run has not finished yet.";
    case "paused":
      return "Paused: edgebeat does not alert for this check until it is resumed or pinged.";
    case "new":
      return check.expect_first_ping
        ? "New: waiting for the first ping; it goes down as never run if none arrives by its first expected run plus grace."
        : "New: waiting for the first ping.";
    default:
      return "Up: the last run reported success on time.";
  }
}

/**
 * A Kubernetes name for the check (lowercase letters, digits and dashes, at
 * most 52 characters as a CronJob's name allows): its slug, else its name.
 */
export function kubernetesName(check) {
  const base = (check.slug || check.name || "").toLowerCase();
  const name = base.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 52).replace(/-+$/, "");
  return name || "job";
}

/**
 * A cron schedule to run the job on, from the check: its own cron
 * expression, or for a simple period one that runs as often (a period cron
 * cannot express gets a placeholder). `note` says what to adjust, if anything.
 */
export function cronForJob(check) {
  if (check.schedule !== undefined) {
    if (check.schedule.trim().split(/\s+/).length === 5 && !check.schedule.includes("\n")) {
      return { schedule: check.schedule.trim(), note: "" };
    }
    return { schedule: "<cron schedule>", note: "this check uses an OnCalendar schedule: write the cron schedule that matches it" };
  }
  const minutes = check.timeout / 60;
  const every = `runs every ${duration(check.timeout)}, as the check expects: pick the minute and hour`;
  if (Number.isInteger(minutes) && minutes < 60 && 60 % minutes === 0) {
    return { schedule: minutes === 1 ? "* * * * *" : `*/${minutes} * * * *`, note: "" };
  }
  const hours = minutes / 60;
  if (Number.isInteger(hours) && hours < 24 && 24 % hours === 0) return { schedule: hours === 1 ? "0 * * * *" : `0 */${hours} * * *`, note: every };
  if (hours === 24) return { schedule: "0 0 * * *", note: every };
  if (hours === 168) return { schedule: "0 0 * * 0", note: every };
  return { schedule: "<cron schedule>", note: `no cron schedule runs every ${duration(check.timeout)}: write the one your job runs on` };
}

/** Ready-to-paste snippets for the check's ping URL, with its own name and schedule. */
export function snippets(check) {
  const url = check.ping_url;
  const name = kubernetesName(check);
  const { schedule, note } = cronForJob(check);
  const zone = check.schedule !== undefined ? check.tz || "UTC" : "";
  const crontabZone = zone && zone !== "UTC" ? `# ${schedule} in ${zone} time: run cron in that zone (cronie: CRON_TZ=${zone})\n` : "";
  const crontabNote = note ? `# ${note}\n` : "";
  return [
    [
      "crontab",
      `${crontabNote}${crontabZone}${schedule} /usr/local/bin/${name}.sh && curl -fsS --retry 3 -o /dev/null ${url} || curl -fsS --retry 3 -o /dev/null ${url}/fail`,
    ],
    [
      "set -e shell script",
      `#!/bin/sh
set -eu
URL="${url}"
RID=$(cat /proc/sys/kernel/random/uuid)
curl -fsS --retry 3 -o /dev/null "$URL/start?rid=$RID"
set +e
OUTPUT=$(/usr/local/bin/${name}.sh 2>&1)
STATUS=$?
set -e
curl -fsS --retry 3 -o /dev/null --data-urlencode "msg=$OUTPUT" "$URL/$STATUS?rid=$RID"
exit $STATUS`,
    ],
    [
      "Kubernetes CronJob",
      `apiVersion: batch/v1
kind: CronJob
metadata:
  name: ${name}
spec:
  schedule: "${schedule}"${note ? `  # ${note}` : ""}${zone ? `\n  timeZone: "${zone}"` : ""}
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: ${name}
              image: your/${name}-image
              command: ["/bin/sh", "-c"]
              args:
                - |
                  curl -fsS --retry 3 -o /dev/null ${url}/start
                  /usr/local/bin/${name}.sh
                  status=$?
                  curl -fsS --retry 3 -o /dev/null ${url}/$status
                  exit $status`,
    ],
    [
      "systemd service",
      `[Service]
Type=oneshot
ExecStartPre=-/usr/bin/curl -fsS --retry 3 -o /dev/null ${url}/start
ExecStart=/usr/local/bin/${name}.sh
ExecStopPost=/bin/sh -c '/usr/bin/curl -fsS --retry 3 -o /dev/null ${url}/$EXIT_STATUS'`,
    ],
  ];
}

/** The recent runs as bars: height is the run's duration, colour its outcome. */
function runsPicture(pings) {
  const runs = pings.filter((p) => p.type === "success" || p.type === "fail").slice(0, 60).reverse();
  if (!runs.length) return h("p", { class: "muted", text: "No finished runs yet." });
  const width = 600;
  const height = 120;
  const slot = width / Math.max(runs.length, 20);
  const longest = Math.max(...runs.map((r) => r.duration || 0), 0.001);
  const failed = runs.filter((r) => r.type === "fail").length;
  const timed = runs.filter((r) => r.duration !== undefined);
  const outcome =
    runs.length === 1
      ? `The last run ${failed ? "failed" : "succeeded"}`
      : `The last ${runs.length} runs: ${runs.length - failed} succeeded, ${failed} failed`;
  const label =
    outcome +
    (runs.length === 1
      ? timed.length
        ? `; it ran ${runTime(longest)}`
        : "; no duration (no start signal)"
      : timed.length
        ? `; longest ${runTime(longest)}`
        : "; no durations (no start signals)");
  const bars = runs.map((run, i) => {
    const barHeight = run.duration !== undefined ? Math.max(4, ((height - 10) * run.duration) / longest) : height / 3;
    return svg(
      "rect",
      {
        x: (i * slot + slot * 0.15).toFixed(1),
        y: (height - barHeight).toFixed(1),
        width: (slot * 0.7).toFixed(1),
        height: barHeight.toFixed(1),
        class: run.type === "success" ? "ok" : "bad",
      },
      svg("title", {
        text: `#${run.n} ${run.type === "success" ? "success" : "failure"}${exitText(run)}, ${exact(run.date)}${
          run.duration !== undefined ? `, ran ${runTime(run.duration)}` : ""
        }`,
      })
    );
  });
  return h(
    "figure",
    { class: "runs-figure" },
    svg(
      "svg",
      { class: "runs", viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", role: "img", "aria-label": label },
      svg("line", { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: "axis" }),
      ...bars
    ),
    h("figcaption", { class: "legend", text: `${label}. Green: success, red: failure; taller bars ran longer.` })
  );
}

function exitText(ping) {
  return ping.exitstatus !== null && ping.exitstatus !== undefined ? ` (exit status ${ping.exitstatus})` : "";
}

const KINDS = { success: "success", fail: "failure", start: "start", log: "log", ign: "ignored" };

function bodyPath(uuid, n) {
  return `/api/v3/checks/${encodeURIComponent(uuid)}/pings/${n}/body`;
}

/** Fetches a ping body and shows it as text. */
async function loadBody(uuid, n, target) {
  target.replaceChildren(h("span", { class: "muted", text: "Loading…" }));
  try {
    const text = await api("GET", bodyPath(uuid, n));
    target.replaceChildren(h("pre", { class: "ping-body", tabindex: "0", text: String(text) }));
  } catch (error) {
    target.replaceChildren(
      h("span", { class: "muted", text: error.status === 404 ? "This body is no longer kept." : error.message })
    );
  }
}

function pingLog(uuid, pings) {
  if (!pings.length) return h("p", { class: "muted", text: "No pings yet." });
  const rows = [];
  for (const ping of pings) {
    const bodyCell = h("td", {});
    const tr = h(
      "tr",
      { dataset: { n: ping.n } },
      h("td", { text: `#${ping.n}` }),
      h("td", {}, h("span", { class: `kind k-${ping.type}`, text: KINDS[ping.type] || ping.type })),
      h("td", {}, timeEl(ping.date, exact(ping.date))),
      h("td", { text: ping.exitstatus ?? "" }),
      h("td", { text: ping.method }),
      h("td", { text: [ping.scheme, ping.remote_addr].filter(Boolean).join(" from ") }),
      h("td", { class: "ua", text: ping.ua }),
      h("td", { text: runTime(ping.duration) }),
      bodyCell
    );
    rows.push(tr);
    if (ping.body_url) {
      const bodyRow = h("tr", { class: "body-row", hidden: true }, h("td", { colspan: 9 }));
      const button = h("button", {
        type: "button",
        class: "ghost show-body",
        "aria-expanded": "false",
        text: "Show body",
      });
      button.addEventListener("click", () => {
        const open = bodyRow.hidden;
        bodyRow.hidden = !open;
        button.setAttribute("aria-expanded", String(open));
        button.textContent = open ? "Hide body" : "Show body";
        if (open && !bodyRow.dataset.loaded) {
          bodyRow.dataset.loaded = "1";
          loadBody(uuid, ping.n, bodyRow.firstChild);
        }
      });
      bodyCell.append(button);
      rows.push(bodyRow);
    }
  }
  return h(
    "div",
    { class: "scroll" },
    labelCells(h(
      "table",
      { class: "log", id: "ping-log", "aria-label": "Ping log" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["#", "Kind", "Time", "Exit status", "Method", "Source", "User agent", "Run time", "Body"].map((t) =>
            h("th", { scope: "col", text: t })
          )
        )
      ),
      h("tbody", {}, rows)
    ))
  );
}

function flipsTimeline(flips) {
  if (!flips.length) return h("p", { class: "muted", text: "No status changes yet." });
  const items = flips.slice(0, 50).map((flip, i) => {
    const up = flip.up === 1;
    const until = i > 0 ? flips[i - 1].timestamp : null;
    const lasted = until ? ` for ${duration((new Date(until) - new Date(flip.timestamp)) / 1000)}` : " (now)";
    return h(
      "li",
      { class: up ? "t-up" : "t-down" },
      h("strong", { text: up ? "Up" : "Down" }),
      " ",
      timeEl(flip.timestamp, exact(flip.timestamp)),
      h("span", { class: "muted", text: lasted })
    );
  });
  return h("ol", { class: "timeline", id: "flips", "aria-label": "Status changes, newest first" }, items);
}

function notificationsTable(notifications, channelNames) {
  if (!notifications.length) return h("p", { class: "muted", text: "No notifications for this check." });
  return h(
    "div",
    { class: "scroll" },
    labelCells(h(
      "table",
      { id: "check-notifications", "aria-label": "Notifications" },
      h(
        "thead",
        {},
        h("tr", {}, ...["Created", "Event", "Reason", "Channel", "State", "Attempts", "Last answer"].map((t) => h("th", { scope: "col", text: t })))
      ),
      h(
        "tbody",
        {},
        notifications.map((n) =>
          h(
            "tr",
            {},
            h("td", {}, timeEl(n.created, exact(n.created))),
            h("td", { text: n.event }),
            h("td", { text: reasonText(n.reason) }),
            h("td", { text: channelNames.get(n.channel) || n.channel }),
            h("td", {}, h("span", { class: `status s-${stateClass(n.state)}`, text: n.state })),
            h("td", { text: n.attempts }),
            h("td", { text: n.last_error || (n.last_status ? `HTTP ${n.last_status}` : "") })
          )
        )
      )
    ))
  );
}

function nextText(check) {
  if (check.status === "paused") return "paused";
  if (check.next_ping) return timeEl(check.next_ping, exact(check.next_ping));
  return check.status === "new" ? "after the first ping" : "after the next success";
}

export function stateClass(state) {
  return { delivered: "up", failed: "down", pending: "late" }[state] || "new";
}

export function checkPage(id, ctx) {
  const { main } = ctx;
  const canWrite = session.canWrite;
  const errorBox = h("div", { role: "alert", id: "check-error" });
  const head = h("div", {});
  const body = h("div", {});
  main.replaceChildren(
    ...[h("p", {}, h("a", { href: "#/", text: "← All checks" })), ctx.flashBox(), errorBox, head, body].filter(Boolean)
  );
  let lastData = "";
  let confirmOpen = false;
  let stopped = false;

  async function load() {
    const check = await api("GET", `/api/v3/checks/${encodeURIComponent(id)}`);
    const uuid = check.uuid;
    const requests = [api("GET", `/api/v3/checks/${encodeURIComponent(id)}/flips/`)];
    // Who changed it: the newest entries of its log.
    const log = api("GET", `/api/v3/checks/${encodeURIComponent(id)}/audit/?limit=20`).catch(() => null);
    if (canWrite && uuid) {
      requests.push(
        api("GET", `/api/v3/checks/${uuid}/pings/`),
        api("GET", `/api/v3/notifications/?check=${uuid}`),
        ctx.loadChannels()
      );
    }
    // Cron and OnCalendar schedules in words, with the next runs (edgebeat computes them).
    const preview =
      check.schedule !== undefined ? schedulePreview(check.schedule, check.tz).catch(() => null) : Promise.resolve(null);
    const [[flips, pings, notifications, channels], schedule, changes] = await Promise.all([Promise.all(requests), preview, log]);
    return {
      check,
      schedule,
      changes: changes ? changes.entries : null,
      flips: flips.flips,
      pings: pings ? pings.pings : null,
      notifications: notifications ? notifications.notifications : null,
      channels: channels || [],
    };
  }

  function renderHead(data) {
    const { check } = data;
    const shown = shownStatus(check);
    const name = check.name || check.slug || "(unnamed)";
    ctx.setDownCount(shown === "down" ? 1 : 0);
    document.title = `${shown === "down" ? "DOWN: " : ""}${name} · edgebeat`;
    const actions = h("div", { class: "actions", id: "check-actions" });
    if (canWrite && check.uuid) {
      actions.append(h("a", { class: "button ghost", href: `#/checks/${check.uuid}/edit`, id: "edit", text: "Edit" }));
      if (check.status === "paused") {
        actions.append(actionButton("Resume", "resume", () => api("POST", `/api/v3/checks/${check.uuid}/resume`, {})));
      } else {
        actions.append(actionButton("Pause", "pause", () => api("POST", `/api/v3/checks/${check.uuid}/pause`, {})));
      }
      actions.append(snoozeControls(check));
      const del = h("button", { type: "button", class: "danger", id: "delete", text: "Delete…" });
      del.addEventListener("click", () => showConfirm(check, name, actions));
      actions.append(del);
    }
    const tags = check.tags.split(/\s+/).filter(Boolean);
    const policy = policyLines(check);
    const facts = [
      ["Schedule", scheduleText(check)],
      ["Last ping", check.last_ping ? timeEl(check.last_ping, exact(check.last_ping)) : "never"],
      ["Next expected", nextText(check)],
      ["Last run time", check.last_duration !== undefined ? duration(check.last_duration) : "—"],
      ["Pings", String(check.n_pings)],
      ["Slug", check.slug || "—"],
    ];
    if (canWrite && check.channels !== undefined) {
      const names = new Map(data.channels.map((c) => [c.id, c.name || c.kind]));
      const list = check.channels.split(",").filter(Boolean).map((c) => names.get(c) || c);
      // Channels set by a secret alert for every check.
      const own = new Set(check.channels.split(","));
      for (const ch of data.channels) if (ch.managed_by_secret && !own.has(ch.id)) list.push(`${ch.name || ch.kind} (every check)`);
      facts.push(["Channels", list.length ? list.join(", ") : "none"]);
    }
    head.replaceChildren(
      ...[
      h(
        "div",
        { class: "check-head" },
        h("h1", { id: "check-name", text: name }),
        h("span", { id: "check-status" }, statusBadge(shown)),
        h("span", { class: "tags", id: "check-tags" }, tags.map((t) => tagChip(t, tags)))
      ),
      h("p", { class: "why", id: "check-why", text: statusLine(check, data.pings, data.notifications, data.flips) }),
      check.snoozed_until
        ? h(
            "p",
            { class: "notice", id: "check-snoozed" },
            h("strong", {}, "Snoozed until ", timeEl(check.snoozed_until, exact(check.snoozed_until))),
            ": pings and status changes are recorded, nobody is notified. If it is still down when the snooze ends, it alerts once."
          )
        : null,
      check.desc ? h("p", { id: "check-desc", class: "muted", text: check.desc }) : null,
      actions,
      policy.length
        ? h(
            "section",
            { class: "panel policy", "aria-labelledby": "policy-title" },
            h("h2", { id: "policy-title", class: "flush", text: "Alert policy" }),
            h("ul", { id: "check-policy" }, policy.map((line) => h("li", { text: line })))
          )
        : null,
      h(
        "section",
        { class: "panel", "aria-label": "Details" },
        h("dl", { class: "facts" }, facts.map(([k, v]) => h("div", {}, h("dt", { text: k }), h("dd", {}, v))))
      ),
      data.schedule
        ? h(
            "section",
            { class: "panel schedule", id: "check-schedule", "aria-labelledby": "schedule-title" },
            h("h2", { id: "schedule-title", class: "flush", text: `When it runs (${check.tz || "UTC"})` }),
            ...previewNodes(data.schedule, check.tz || "UTC")
          )
        : null,
      ].filter(Boolean)
    );
  }

  /** Snooze for a preset time, or end the snooze: a group of buttons with its own label. */
  function snoozeControls(check) {
    const group = h("div", { class: "row snooze", role: "group", "aria-labelledby": "snooze-label" });
    group.append(h("span", { id: "snooze-label", text: check.snoozed_until ? "Snooze again:" : "Snooze:" }));
    const path = `/api/v3/checks/${check.uuid}/snooze`;
    for (const [label, seconds] of SNOOZES) {
      const button = actionButton(label, `snooze-${seconds}`, () => api("POST", path, { seconds }), "unsnooze");
      button.classList.add("ghost");
      button.setAttribute("aria-label", `Snooze for ${label}`);
      group.append(button);
    }
    if (check.snoozed_until) {
      group.append(actionButton("End snooze", "unsnooze", () => api("DELETE", path), "snooze-3600"));
    }
    return group;
  }

  function actionButton(label, idName, call, focusAfter) {
    const button = h("button", { type: "button", id: idName, text: label });
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await call();
        lastData = "";
        await refresh();
        document.getElementById(focusAfter || (idName === "pause" ? "resume" : "pause"))?.focus();
      } catch (error) {
        errorBox.replaceChildren(h("div", { class: "error", text: error.message }));
        button.disabled = false;
      }
    });
    return button;
  }

  function showConfirm(check, name, actions) {
    if (document.getElementById("confirm-delete")) return;
    confirmOpen = true;
    const yes = h("button", { type: "button", class: "danger", id: "confirm-delete-yes", text: "Delete this check" });
    const no = h("button", { type: "button", class: "ghost", id: "confirm-delete-no", text: "Cancel" });
    const box = h(
      "div",
      { class: "confirm", id: "confirm-delete", role: "alertdialog", "aria-labelledby": "confirm-text" },
      h("p", { id: "confirm-text" }, "Delete ", h("strong", { text: name }), " with its pings and history? This cannot be undone."),
      h("div", { class: "actions" }, yes, no)
    );
    no.addEventListener("click", () => {
      box.remove();
      confirmOpen = false;
      document.getElementById("delete")?.focus();
    });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try {
        await api("DELETE", `/api/v3/checks/${check.uuid}`);
        ctx.setFlash(`Deleted “${name}”.`);
        ctx.navigate("#/");
      } catch (error) {
        yes.disabled = false;
        box.append(h("div", { class: "error", role: "alert", text: error.message }));
      }
    });
    actions.after(box);
    no.focus();
  }

  function renderBody(data) {
    const { check } = data;
    const sections = [];
    if (!canWrite || !check.uuid) {
      sections.push(
        h(
          "p",
          { class: "notice", id: "read-only-note" },
          session.project && !session.key
            ? `You are a ${session.project.role} of this project: the ping URL, the ping log and bodies, and notifications need a member's role.`
            : "Signed in with the read-only key: the ping URL, the ping log and bodies, and notifications need the project's read-write key."
        )
      );
    }
    if (check.ping_url) {
      sections.push(
        h("h2", { text: "Ping URL" }),
        h("div", { class: "copyline" }, h("code", { id: "ping-url", text: check.ping_url }), copyButton(check.ping_url, "Copy URL")),
        ...snippets(check).map(([title, text]) =>
          h("details", {}, h("summary", { text: title }), h("pre", { text }), copyButton(text, `Copy ${title}`))
        )
      );
    }
    if (check.email) {
      // Set when the deployment takes email pings (PING_EMAIL_DOMAIN).
      sections.push(
        h("h2", { text: "Email address" }),
        h("p", { class: "muted", text: "A message to this address is a ping (its subject and body filters apply)." }),
        h("div", { class: "copyline" }, h("code", { id: "ping-email", text: check.email }), copyButton(check.email, "Copy address"))
      );
    }
    if (data.pings) {
      const lastWithBody = data.pings.find((p) => p.body_url);
      const output = h("div", { id: "last-output" });
      sections.push(h("h2", { text: "Recent runs" }), runsPicture(data.pings));
      if (lastWithBody) {
        sections.push(
          h("h2", {}, "Last output ", h("span", { class: "muted", text: `(ping #${lastWithBody.n}, ${exact(lastWithBody.date)})` })),
          output
        );
        loadBody(check.uuid, lastWithBody.n, output);
      }
      sections.push(h("h2", { text: "Ping log" }), pingLog(check.uuid, data.pings));
    }
    sections.push(h("h2", { text: "Status changes" }), flipsTimeline(data.flips));
    if (data.notifications) {
      const names = new Map(data.channels.map((c) => [c.id, c.name || c.kind]));
      sections.push(h("h2", { text: "Notifications" }), notificationsTable(data.notifications, names));
    }
    if (data.changes) sections.push(h("h2", { text: "Changes" }), auditTable(data.changes, "check-audit"));
    body.replaceChildren(...sections);
  }

  async function refresh() {
    try {
      const data = await load();
      if (stopped) return;
      errorBox.replaceChildren();
      const signature = JSON.stringify(data);
      // Unchanged data: leave the page alone (open bodies, focus and scroll stay).
      if (signature === lastData || confirmOpen) return;
      const first = lastData === "";
      lastData = signature;
      renderHead(data);
      if (first || !body.querySelector('[aria-expanded="true"]')) renderBody(data);
      main.dataset.loaded = "check";
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        head.replaceChildren(h("h1", { text: "Check not found" }));
        body.replaceChildren(
          h("p", { class: "muted", text: "It may have been deleted, or it belongs to another project than this key's." })
        );
        main.dataset.loaded = "check";
        return;
      }
      const shown = ctx.handleError(error, "auth");
      if (shown) errorBox.replaceChildren(shown);
    }
  }
  refresh();
  const timer = setInterval(refresh, ctx.refreshMs);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
