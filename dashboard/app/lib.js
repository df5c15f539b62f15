// Small helpers of the edgebeat dashboard: DOM building (text only, never
// HTML from data), the API client, and how times, durations and statuses read.

/** Builds an element. `attrs` are properties or attributes; children are nodes or text. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name in el && typeof value !== "string") el[name] = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An SVG element (for the runs picture). */
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "text") el.textContent = value;
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

/** An error the API answered with: its status and its `error` message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const KEY_STORE = "edgebeat.key";
const WRITE_STORE = "edgebeat.write";
/** Signed in through Cloudflare Access: the person, their projects, the chosen one. */
const ACCESS_STORE = "edgebeat.access";
const PROJECT_STORE = "edgebeat.project";

export const session = {
  /** The person signed in through Cloudflare Access: {email, projects: [{id, name, role}]}, or null. */
  get person() {
    try {
      return JSON.parse(sessionStorage.getItem(ACCESS_STORE) || "null");
    } catch {
      return null;
    }
  },
  set person(value) {
    if (value) sessionStorage.setItem(ACCESS_STORE, JSON.stringify(value));
    else sessionStorage.removeItem(ACCESS_STORE);
  },
  /** The project a person works in now (its id), kept across reloads and visits. */
  get projectId() {
    const person = this.person;
    if (!person) return null;
    const kept = localStorage.getItem(PROJECT_STORE);
    const found = person.projects.find((p) => p.id === kept) || person.projects[0];
    return found ? found.id : null;
  },
  set projectId(id) {
    localStorage.setItem(PROJECT_STORE, id);
  },
  /** The chosen project with the person's role there, or null. */
  get project() {
    const person = this.person;
    const id = this.projectId;
    return person && id ? person.projects.find((p) => p.id === id) || null : null;
  },
  /** Whether anyone is signed in: a key, or a person with a project. */
  get signedIn() {
    return Boolean(this.key || this.project);
  },
  /** Owners manage members and keys (only hides controls: the API decides). */
  get canManage() {
    const project = this.project;
    return Boolean(project && project.role === "owner");
  },
  get key() {
    return sessionStorage.getItem(KEY_STORE);
  },
  set key(value) {
    if (value) sessionStorage.setItem(KEY_STORE, value);
    else sessionStorage.removeItem(KEY_STORE);
  },
  /** true with the read-write key or as a member or owner (only hides controls: the API decides). */
  get canWrite() {
    const project = this.project;
    if (project) return project.role === "owner" || project.role === "member";
    return sessionStorage.getItem(WRITE_STORE) === "1";
  },
  set canWrite(value) {
    sessionStorage.setItem(WRITE_STORE, value ? "1" : "0");
  },
  /** Whether the key's access was found out yet (a reload keeps it). */
  get accessKnown() {
    return Boolean(this.project) || sessionStorage.getItem(WRITE_STORE) !== null;
  },
  /** Forgets the key, the person, and everything about them. */
  clear() {
    sessionStorage.removeItem(KEY_STORE);
    sessionStorage.removeItem(WRITE_STORE);
    sessionStorage.removeItem(ACCESS_STORE);
  },
};

/**
 * Calls the management API with the session's key (in a header, never in the
 * URL), or, signed in through Cloudflare Access, with the browser's Access
 * cookie and the chosen project named in X-Edgebeat-Project.
 */
export async function api(method, path, body, key = session.key) {
  const headers = {};
  const project = key ? null : session.projectId;
  if (project) headers["X-Edgebeat-Project"] = project;
  else headers["X-Api-Key"] = key || "";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: project ? "same-origin" : "omit",
    });
  } catch {
    throw new ApiError(0, "edgebeat could not be reached; check your connection");
  }
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    const message = data && typeof data === "object" && data.error ? data.error : `HTTP ${response.status}`;
    throw new ApiError(response.status, message);
  }
  return data;
}

/** Who the browser is signed in as through Cloudflare Access (GET /api/v3/me with its cookie), or null. */
export async function accessSignIn() {
  let response;
  try {
    response = await fetch("/api/v3/me", { cache: "no-store", credentials: "same-origin" });
  } catch {
    return null;
  }
  if (!response.ok) return { refused: response.status === 401 ? await response.json().catch(() => null) : null };
  const me = await response.json().catch(() => null);
  return me && me.email ? me : null;
}

const UNITS = [
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** "1 day", "1 hour 30 minutes", "45 seconds". */
export function duration(seconds) {
  seconds = Math.round(Number(seconds) || 0);
  if (seconds <= 0) return "0 seconds";
  const parts = [];
  for (const [name, size] of UNITS) {
    const n = Math.floor(seconds / size);
    if (n > 0) {
      parts.push(`${n} ${name}${n === 1 ? "" : "s"}`);
      seconds -= n * size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

/** A run's duration from seconds with decimals: "12.3 s", "4 min 2 s". */
export function runTime(seconds) {
  if (seconds === undefined || seconds === null) return "";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  return duration(seconds);
}

/** The schedule in words: "every 1 day, grace 1 hour" or "30 6 * * 1-5 in Europe/Riga, grace 30 minutes". */
export function scheduleText(check) {
  const grace = `grace ${duration(check.grace)}`;
  if (check.schedule !== undefined) return `${check.schedule} in ${check.tz || "UTC"}, ${grace}`;
  return `every ${duration(check.timeout)}, ${grace}`;
}

/**
 * A schedule in words with its next five runs, as edgebeat computes them
 * (GET /api/v3/schedule/preview): `{description, next: [RFC 3339 in the zone]}`.
 */
export function schedulePreview(schedule, tz) {
  const query = new URLSearchParams({ schedule, tz: tz || "UTC" });
  return api("GET", `/api/v3/schedule/preview?${query}`);
}

let zoneList = null;
/** The time zone names the API accepts (GET /api/v3/schedule/zones), fetched once. */
export function timeZones() {
  zoneList ??= api("GET", "/api/v3/schedule/zones").then(
    (data) => data.zones,
    (error) => {
      zoneList = null;
      throw error;
    }
  );
  return zoneList;
}

const WEEKDAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** A run time as the server gives it (RFC 3339 with the zone's offset), as the wall clock in that zone: "Tue 2025-12-02 02:15". */
export function wallClock(rfc3339) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(rfc3339 || "");
  if (!match) return rfc3339 || "";
  const [, y, m, d, hh, mm, ss] = match;
  const weekday = WEEKDAY_NAMES[new Date(Date.UTC(+y, +m - 1, +d)).getUTCDay()];
  return `${weekday} ${y}-${m}-${d} ${hh}:${mm}${ss === "00" ? "" : `:${ss}`}`;
}

/** A schedule preview shown: its words, then the next runs in the zone's wall-clock time, each with how soon. */
export function previewNodes(preview, tz) {
  const runs = preview.next.map((at) =>
    h("li", {}, h("time", { datetime: at, title: exact(at), text: `${wallClock(at)} ${tz}` }), h("span", { class: "muted", text: ` (${ago(at)})` }))
  );
  return [
    h("p", { class: "schedule-words", text: preview.description }),
    runs.length
      ? h("ol", { class: "next-runs", "aria-label": `Next ${runs.length === 1 ? "run" : `${runs.length} runs`}` }, runs)
      : h("p", { class: "muted", text: "It does not run again." }),
  ];
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "always" });

/** "5 minutes ago", "in 2 hours", "just now". */
export function ago(iso, now = Date.now()) {
  if (!iso) return "never";
  const diff = (new Date(iso).getTime() - now) / 1000;
  const abs = Math.abs(diff);
  if (abs < 10) return "just now";
  for (const [name, size] of UNITS) {
    if (abs >= size || name === "second") {
      return relative.format(Math.round(diff / size), name);
    }
  }
  return "";
}

const exactFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  timeZoneName: "short",
});

/** The exact local time, for hover titles and logs (one shared formatter: 1,000 rows stay fast). */
export function exact(iso) {
  if (!iso) return "";
  return exactFormat.format(new Date(iso));
}

/** Name order, case-insensitive (one shared collator). */
export const byName = new Intl.Collator(undefined, { sensitivity: "base", numeric: true }).compare;

/** A <time> showing relative time, with the exact time on hover. */
export function timeEl(iso, text) {
  if (!iso) return h("span", { class: "muted", text: text || "never" });
  return h("time", { datetime: iso, title: exact(iso), text: text || ago(iso) });
}

/** What a check's status badge says: down, late, started, paused, new or up. */
export function shownStatus(check) {
  if (check.status === "paused") return "paused";
  if (check.status === "down") return "down";
  if (check.started) return "started";
  if (check.status === "grace") return "late";
  return check.status === "new" ? "new" : "up";
}

/**
 * For a check that expects its first ping and never got it: "never ran since
 * it was created at ..." (or resumed); null for any other check.
 */
export function neverRanText(check) {
  if (!check.never_ran_since) return null;
  return `never ran since it was ${check.never_ran_after === "resumed" ? "resumed" : "created"} at ${exact(check.never_ran_since)}`;
}

/** Down first, then late, running, new, up, paused. */
export const STATUS_ORDER = { down: 0, late: 1, started: 2, new: 3, up: 4, paused: 5 };

export const STATUS_TITLES = {
  down: "Down: did not report success in time",
  late: "Late: within its grace period",
  started: "Started: a run is in progress",
  paused: "Paused: not monitored",
  new: "New: has never pinged",
  up: "Up: reported on time",
};

export function statusBadge(status) {
  return h("span", { class: `status s-${status}`, title: STATUS_TITLES[status] || status, text: status });
}

/** The tag `edgebeat sync` and `edgebeat k8s-sync` mark the checks they manage with: `edgebeat:<set>`. */
const MANAGED_PREFIX = "edgebeat:";

/** The words for a check's tags: a sync set's marker reads "managed by sync" or "managed by k8s-sync". */
export function tagLabel(tag, checkTags) {
  if (!tag.startsWith(MANAGED_PREFIX) || tag.length === MANAGED_PREFIX.length) return tag;
  const set = tag.slice(MANAGED_PREFIX.length);
  // k8s-sync's default set is "k8s", and it tags every check it makes "k8s" too.
  const k8s = set === "k8s" || checkTags.includes("k8s");
  const tool = k8s ? "k8s-sync" : "sync";
  return set === (k8s ? "k8s" : "sync") ? `managed by ${tool}` : `managed by ${tool} (${set})`;
}

/** A tag as a chip; a sync marker says who manages the check, with the raw tag on hover. */
export function tagChip(tag, checkTags) {
  const label = tagLabel(tag, checkTags);
  if (label === tag) return h("span", { class: "tag", text: tag });
  const tool = label.includes("k8s-sync") ? "edgebeat k8s-sync" : "edgebeat sync";
  return h("span", {
    class: "tag managed",
    title: `Tag ${tag}: ${tool} keeps this check as its file says; change it there, as its next run undoes edits made here.`,
    text: label,
  });
}

/** The id the API knows a check by: its uuid (read-write key) or unique_key (read-only). */
export function checkId(check) {
  return check.uuid || check.unique_key;
}

/**
 * Gives each cell of a table the name of its column (`data-label`), so that
 * on a phone, where the stylesheet stacks a row's cells, each says what it is.
 * Returns the table. Rows with one cell across the table are left alone.
 */
export function labelCells(table) {
  const names = [...table.tHead.rows[0].cells].map((th) => th.textContent);
  for (const body of table.tBodies) {
    for (const row of body.rows) {
      if (row.cells.length !== names.length) continue;
      [...row.cells].forEach((cell, i) => (cell.dataset.label = names[i]));
    }
  }
  table.classList.add("stack");
  return table;
}

/**
 * A list row's "Delete…" button: it opens a confirmation in `cell` saying
 * what deleting `name` does (`consequence`), and its confirm button sends
 * `DELETE path` and then calls `done` (the list's refresh). Cancel puts the
 * focus back on the button; a refusal is shown in the confirmation.
 * `kind` names the classes (`delete-<kind>`, `confirm-delete-<kind>`) and
 * the confirm button ("Delete <kind>").
 */
export function deleteButton({ cell, kind, name, consequence, path, done }) {
  const del = h("button", { type: "button", class: `ghost delete-${kind}`, text: "Delete…" });
  del.addEventListener("click", () => {
    if (cell.querySelector(".confirm")) return;
    const yes = h("button", { type: "button", class: `danger confirm-delete-${kind}`, text: `Delete ${kind}` });
    const no = h("button", { type: "button", class: "ghost", text: "Cancel" });
    const box = h(
      "div",
      { class: "confirm", role: "alertdialog", "aria-label": "Confirm delete" },
      h("p", {}, "Delete ", h("strong", { text: name }), `? ${consequence}`),
      h("div", { class: "actions" }, yes, no)
    );
    no.addEventListener("click", () => {
      box.remove();
      del.focus();
    });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try {
        await api("DELETE", path);
        await done();
      } catch (error) {
        yes.disabled = false;
        box.append(h("div", { class: "error", text: error.message }));
      }
    });
    cell.append(box);
    no.focus();
  });
  return del;
}

/** Copies text to the clipboard and says so on the button. */
export function copyButton(text, label = "Copy") {
  const button = h("button", { type: "button", class: "ghost", text: label });
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select and copy";
    }
    setTimeout(() => (button.textContent = label), 2000);
  });
  return button;
}

/**
 * A check's alert policy in words, one sentence per setting that differs from
 * the default (failure and recovery after one, no run-time limits, no reminders).
 */
export function policyLines(check) {
  const lines = [];
  const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  if (check.failure_threshold > 1) {
    lines.push(`Goes down after ${plural(check.failure_threshold, "failure", "consecutive failures")} (a missed deadline still goes down at once).`);
  }
  if (check.recovery_threshold > 1) lines.push(`Recovers after ${plural(check.recovery_threshold, "success", "consecutive successes")}.`);
  if (check.max_runtime) lines.push(`A run may take up to ${duration(check.max_runtime)}; a longer one goes down.`);
  if (check.min_runtime) lines.push(`A run faster than ${duration(check.min_runtime)} is a failure.`);
  if (check.reminder_interval > 0) lines.push(`Reminds every ${duration(check.reminder_interval)} while down.`);
  return lines;
}

/** The events a channel can receive, in the API's order, with what each means. */
export const EVENTS = [
  ["down", "down: the check goes down"],
  ["up", "up: it recovers"],
  ["late", "late: past its deadline, still within grace"],
  ["reminder", "reminder: again while it stays down"],
  ["fail", "fail: every failure signal"],
  ["success", "success: every success"],
];

/** The events a new channel receives unless told otherwise. */
export const DEFAULT_EVENTS = ["down", "up", "reminder"];
