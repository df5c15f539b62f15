// The edgebeat dashboard: a client of the management API (/api/v3/, X-Api-Key)
// and /health. Every rule and permission is the API's; this page only shows
// what the API answers. Routing lives in the hash: #/, #/checks/<id>,
// #/checks/<id>/edit, #/new, #/channels, #/notifications, #/maintenance,
// #/status-pages.

import {
  h,
  api,
  session,
  ApiError,
  duration,
  scheduleText,
  ago,
  timeEl,
  shownStatus,
  neverRanText,
  STATUS_ORDER,
  STATUS_TITLES,
  checkId,
  byName,
  exact,
  tagLabel,
  tagChip,
} from "./lib.js";
import { checkPage } from "./check.js";
import { checkForm } from "./form.js";
import { channelsPage, notificationsPage } from "./channels.js";
import { maintenancePage } from "./maintenance.js";
import { auditPage, membersPage } from "./people.js";
import { accessSignIn } from "./lib.js";
import { statusPagesPage } from "./status-pages.js";

/** How often every page refreshes itself. */
export const REFRESH_MS = 20000;

const main = document.getElementById("main");

// Anything the Content-Security-Policy refuses is a bug of this page: count it where tests can see it.
document.addEventListener("securitypolicyviolation", (event) => {
  const root = document.documentElement;
  root.dataset.cspViolations = `${root.dataset.cspViolations || ""}${event.violatedDirective} ${event.blockedURI};`;
});
let cleanup = null;
let flash = null;

/** A one-time message shown on the next page (after a delete, for example). */
export function setFlash(text) {
  flash = text;
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** Signs out: forgets the key and shows the sign-in form, with a reason if given. */
export function signOut(reason) {
  if (session.person && !session.key) {
    // Signed in through Cloudflare Access: only Access can sign the browser out.
    session.clear();
    location.href = "/cdn-cgi/access/logout";
    return;
  }
  session.clear();
  checksCache = null;
  history.replaceState(null, "", "#/");
  route(reason);
}

/** Any view's API failure: a rejected key signs out, the rest is shown where it happened. */
export function handleError(error, where) {
  if (error instanceof ApiError && error.status === 401 && where === "auth" && session.project && !session.key) {
    return h("div", { class: "error", role: "alert", text: `${error.message}. Reload the page to sign in again.` });
  }
  if (error instanceof ApiError && error.status === 401 && where === "auth") {
    signOut("This key is no longer accepted. Sign in again with a project key.");
    return;
  }
  return h("div", { class: "error", role: "alert", text: error.message || String(error) });
}

// ---------------------------------------------------------------- sign in

function signInView(reason) {
  document.title = "Sign in · edgebeat";
  const input = h("input", {
    id: "key",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "key-hint",
  });
  const message = h("div", { id: "signin-error", role: "alert" });
  if (reason) message.append(h("div", { class: "error", text: reason }));
  const submit = h("button", { type: "submit", text: "Sign in" });
  const form = h(
    "form",
    { class: "panel signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title", text: "Sign in to edgebeat" }),
    h("label", { for: "key", text: "Project API key" }),
    input,
    h(
      "p",
      { id: "key-hint", class: "muted" },
      "The read-write key (hcw_…) lets you change checks and channels; the read-only key (hcr_…) shows checks only. ",
      "The key stays in this browser tab and is forgotten when you sign out or close the tab."
    ),
    message,
    h("div", { class: "actions" }, submit)
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    submit.disabled = true;
    message.replaceChildren();
    try {
      const checks = await api("GET", "/api/v3/checks/", undefined, key);
      session.key = key;
      await probeAccess(checks);
      input.value = "";
      route();
    } catch (error) {
      const text =
        error instanceof ApiError && error.status === 401
          ? "That key was not accepted. Copy the project's whole read-write (hcw_…) or read-only (hcr_…) key and try again."
          : error.message;
      message.replaceChildren(h("div", { class: "error", text }));
      input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  main.replaceChildren(form);
  input.focus();
}

/** Read-write or read-only, as the API decides: only a read-write key may list channels. */
async function probeAccess(checks) {
  if (checks && checks.checks && checks.checks.some((c) => c.unique_key)) {
    session.canWrite = false;
    return;
  }
  try {
    await api("GET", "/api/v3/channels/");
    session.canWrite = true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) session.canWrite = false;
    else throw error;
  }
}

function showChrome(signedIn) {
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("signout").hidden = !signedIn;
  const access = document.getElementById("access");
  access.hidden = !signedIn;
  const person = session.key ? null : session.person;
  const project = person ? session.project : null;
  access.textContent = project ? `${person.email} · ${project.role}` : session.canWrite ? "read-write key" : "read-only key";
  for (const link of document.querySelectorAll("[data-write]")) link.hidden = !session.canWrite;
  for (const link of document.querySelectorAll("[data-manage]")) link.hidden = !session.canManage;
  // Every project of the person, to switch between.
  const switcher = document.getElementById("project-switch");
  switcher.hidden = !(signedIn && project);
  if (signedIn && project) {
    const select = document.getElementById("project");
    select.replaceChildren(...person.projects.map((p) => h("option", { value: p.id, text: `${p.name || "(unnamed)"} (${p.role})` })));
    select.value = project.id;
  }
  if (!signedIn) {
    document.getElementById("sweep").textContent = "";
    document.getElementById("sweep-warning").hidden = true;
  }
}

// ---------------------------------------------------------------- health

async function refreshHealth() {
  const sweep = document.getElementById("sweep");
  const warning = document.getElementById("sweep-warning");
  let body;
  try {
    const response = await fetch("/health", { cache: "no-store", credentials: "omit" });
    body = await response.json();
  } catch {
    sweep.textContent = "edgebeat is unreachable";
    return;
  }
  if (body.last_sweep) {
    // The server's own count (behind_seconds), so a wrong clock here cannot mislead.
    const behind = Math.max(0, Number(body.behind_seconds) || 0);
    const text = behind < 10 ? "just now" : `${duration(behind)} ago`;
    sweep.replaceChildren("Last sweep ", timeEl(body.last_sweep, text));
  } else {
    sweep.textContent = "No sweep yet";
  }
  // The public answer: status ok or down, and the reason in one word.
  const warnings = {
    starting:
      "edgebeat has not completed a sweep yet: late checks are not detected and no alerts are sent until it does.",
    stalled:
      `Sweeps are late: the last completed sweep was ${duration(body.behind_seconds)} ago. ` +
      "Late checks are not detected and alerts are not sent until sweeps run again.",
    storage: "edgebeat cannot store pings right now: pings are answered 503 and should be retried.",
  };
  if (body.status === "ok") {
    warning.hidden = true;
  } else {
    warning.hidden = false;
    warning.textContent = warnings[body.reason] || "edgebeat reports a problem with itself (/health).";
  }
}

// ---------------------------------------------------------------- checks list

/** The list's filters and sort, kept while moving between pages. */
const listPrefs = { text: "", tag: "", sort: "status" };
/** The last list the API gave, so a check page can name channels and the list reappears at once. */
let checksCache = null;

function listView() {
  const canWrite = session.canWrite;
  const search = h("input", { id: "filter-text", type: "search", value: listPrefs.text, placeholder: "name, slug, tag…" });
  const tagSelect = h("select", { id: "filter-tag" }, h("option", { value: "", text: "All tags" }));
  const sortSelect = h(
    "select",
    { id: "sort" },
    h("option", { value: "status", text: "Status (down first)" }),
    h("option", { value: "name", text: "Name" })
  );
  sortSelect.value = listPrefs.sort;
  const summary = h("p", { class: "summary", id: "summary", role: "status", "aria-live": "polite" });
  // An ARIA table of grid rows rather than a <table>: each row skips layout and
  // paint while off screen (content-visibility), so 1,000 checks stay fast.
  const tbody = h("div", { id: "check-rows", role: "rowgroup" });
  const empty = h("p", { class: "empty", hidden: true });
  const errorBox = h("div", { role: "alert" });
  const table = h(
    "div",
    { class: "checks", role: "table", "aria-label": "Checks" },
    h(
      "div",
      { role: "rowgroup", class: "checks-head" },
      h(
        "div",
        { role: "row", class: "check-row" },
        ["Status", "Name", "Schedule", "Last ping", "Next expected"].map((text) =>
          h("div", { role: "columnheader", text })
        )
      )
    ),
    tbody
  );
  const view = h(
    "section",
    { "aria-labelledby": "list-title" },
    h(
      "div",
      { class: "row" },
      h("h1", { id: "list-title", text: "Checks" }),
      canWrite && h("a", { href: "#/new", id: "new-check", class: "button push-right", text: "New check" })
    ),
    flashBox(),
    h(
      "div",
      { class: "toolbar", role: "search" },
      h("div", { class: "grow" }, h("label", { for: "filter-text", text: "Filter" }), search),
      h("div", {}, h("label", { for: "filter-tag", text: "Tag" }), tagSelect),
      h("div", {}, h("label", { for: "sort", text: "Sort by" }), sortSelect)
    ),
    errorBox,
    summary,
    table,
    empty
  );
  main.replaceChildren(view);

  /** One entry per check id: its row, cells and last data. */
  const rows = new Map();
  let checks = [];
  let knownTags = "";

  // One row built once and cloned: cheaper than building 1,000 rows element by element.
  const cell = (attrs, ...children) => h("div", { role: "cell", ...attrs }, ...children);
  const template = h(
    "div",
    { role: "row", class: "check-row" },
    cell({ "data-label": "Status" }, h("span", { class: "status" }), h("span", { class: "snoozed", hidden: true, text: "snoozed" })),
    cell({ class: "name" }, h("a", {}), h("div", { class: "tags" })),
    cell({ "data-label": "Schedule" }),
    cell({ "data-label": "Last ping" }, h("time", {})),
    cell({ "data-label": "Next expected" }, h("time", {}))
  );

  function makeRow(id) {
    const tr = template.cloneNode(true);
    tr.dataset.id = id;
    const [status, name, sched, last, next] = tr.children;
    const link = name.firstChild;
    link.href = `#/checks/${encodeURIComponent(id)}`;
    return {
      tr,
      badge: status.firstChild,
      snoozed: status.lastChild,
      link,
      tags: name.lastChild,
      sched,
      last: last.firstChild,
      next: next.firstChild,
      signature: "",
      search: "",
      check: null,
    };
  }

  function fillRow(row, check, now) {
    const shown = shownStatus(check);
    const schedule = scheduleText(check);
    const snoozed = check.snoozed_until || "";
    const signature = `${shown}\n${check.name}\n${check.slug}\n${check.tags}\n${schedule}\n${snoozed}\n${check.never_ran_since}`;
    if (signature !== row.signature) {
      row.signature = signature;
      row.badge.className = `status s-${shown}`;
      row.badge.textContent = shown;
      const neverRan = neverRanText(check);
      row.badge.title = neverRan && shown !== "new" ? `${STATUS_TITLES[shown]}: ${neverRan}` : STATUS_TITLES[shown];
      // Snoozed (or in a maintenance window): said in words, the exact end on hover.
      row.snoozed.hidden = !snoozed;
      row.snoozed.title = snoozed ? `Snoozed until ${exact(snoozed)}: no notifications` : "";
      row.link.textContent = check.name || check.slug || "(unnamed)";
      const tags = check.tags.split(/\s+/).filter(Boolean);
      row.tags.replaceChildren(...tags.map((t) => tagChip(t, tags)));
      row.sched.textContent = schedule;
      row.search = [check.name, check.slug, check.desc, ...tags, ...tags.map((t) => tagLabel(t, tags))].join(" ").toLowerCase();
    }
    setTime(row.last, check.last_ping, check.last_ping ? ago(check.last_ping, now) : "never");
    const [nextAt, nextText] = nextExpected(check, now);
    setTime(row.next, nextAt, nextText);
    row.check = check;
    row.shown = shown;
    row.name = check.name || check.slug || "";
  }

  function apply() {
    listPrefs.text = search.value;
    listPrefs.tag = tagSelect.value;
    listPrefs.sort = sortSelect.value;
    const text = listPrefs.text.trim().toLowerCase();
    const tag = listPrefs.tag;
    const ordered = [...rows.values()].sort((a, b) => {
      if (listPrefs.sort === "status") {
        const d = STATUS_ORDER[a.shown] - STATUS_ORDER[b.shown];
        if (d) return d;
      }
      return byName(a.name, b.name);
    });
    let visible = 0;
    for (const row of ordered) {
      const tags = row.check.tags.split(/\s+/);
      const show = (!text || row.search.includes(text)) && (!tag || tags.includes(tag));
      row.tr.hidden = !show;
      if (show) visible++;
    }
    // Move rows only when the order changed: no churn, no jumps on refresh.
    const current = tbody.children;
    let same = current.length === ordered.length;
    for (let i = 0; same && i < ordered.length; i++) same = current[i] === ordered[i].tr;
    if (!same) tbody.replaceChildren(...ordered.map((r) => r.tr));
    empty.hidden = visible > 0;
    empty.textContent = rows.size === 0 ? "No checks yet." : "No check matches the filter.";
    const counts = {};
    for (const row of rows.values()) counts[row.shown] = (counts[row.shown] || 0) + 1;
    const parts = ["down", "late", "started", "new", "up", "paused"]
      .filter((s) => counts[s])
      .map((s) => `${counts[s]} ${s}`);
    summary.textContent =
      `${rows.size} check${rows.size === 1 ? "" : "s"}` +
      (parts.length ? `: ${parts.join(", ")}` : "") +
      (visible !== rows.size ? ` (${visible} shown)` : "");
    setDownCount(counts.down || 0);
  }

  function render(list) {
    const now = Date.now();
    checks = list;
    const seen = new Set();
    for (const check of checks) {
      const id = checkId(check);
      seen.add(id);
      let row = rows.get(id);
      if (!row) {
        row = makeRow(id);
        rows.set(id, row);
      }
      fillRow(row, check, now);
    }
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        rows.delete(id);
      }
    }
    // Each tag once, named as its chips are (a sync marker by who manages the check).
    const labels = new Map();
    for (const check of checks) {
      const own = check.tags.split(/\s+/).filter(Boolean);
      for (const t of own) if (!labels.has(t) || labels.get(t) === t) labels.set(t, tagLabel(t, own));
    }
    const tags = [...labels.keys()].sort((a, b) => byName(labels.get(a), labels.get(b)));
    const signature = tags.map((t) => `${t}=${labels.get(t)}`).join(" ");
    if (signature !== knownTags) {
      knownTags = signature;
      const chosen = tagSelect.value || listPrefs.tag;
      tagSelect.replaceChildren(
        h("option", { value: "", text: "All tags" }),
        ...tags.map((t) => h("option", { value: t, text: labels.get(t) }))
      );
      tagSelect.value = tags.includes(chosen) ? chosen : "";
    }
    apply();
  }

  let pending = 0;
  const schedule = () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(apply);
  };
  search.addEventListener("input", schedule);
  tagSelect.addEventListener("change", apply);
  sortSelect.addEventListener("change", apply);

  async function refresh() {
    try {
      const data = await api("GET", "/api/v3/checks/");
      checksCache = data.checks;
      errorBox.replaceChildren();
      const start = performance.now();
      render(data.checks);
      // User Timing marks, for `make bench` (list of 1,000 checks usable within 1 s).
      performance.measure("edgebeat:list-render", { start, end: performance.now() });
      // Usable: the frame after the rows went in has been laid out and painted.
      if (!performance.getEntriesByName("edgebeat:list-ready").length) {
        requestAnimationFrame(() => setTimeout(() => performance.mark("edgebeat:list-ready")));
      }
      main.dataset.loaded = "list";
    } catch (error) {
      const shown = handleError(error, "auth");
      if (shown) errorBox.replaceChildren(shown);
    }
  }
  if (checksCache) render(checksCache);
  refresh();
  const timer = setInterval(refresh, REFRESH_MS);
  return () => clearInterval(timer);
}

/** When the next ping is expected: [instant or null, words]. */
function nextExpected(check, now) {
  if (check.status === "paused") return [null, "paused"];
  if (!check.next_ping) return [null, check.status === "new" ? "after the first ping" : "—"];
  const at = new Date(check.next_ping).getTime();
  return [check.next_ping, at >= now ? ago(check.next_ping, now) : `due ${ago(check.next_ping, now)}`];
}

/** Updates a row's <time>: relative words, the exact time on hover; muted words without an instant. */
function setTime(el, iso, text) {
  if (el.textContent !== text) el.textContent = text;
  if (iso) {
    if (el.dateTime !== iso) {
      el.dateTime = iso;
      el.title = exact(iso);
      el.className = "";
    }
  } else if (el.dateTime) {
    el.removeAttribute("datetime");
    el.removeAttribute("title");
    el.className = "muted";
  } else {
    el.className = "muted";
  }
}

let downCount = -1;
/** The title and the favicon say how many checks are down. */
export function setDownCount(n) {
  document.title = n > 0 ? `(${n} down) edgebeat` : "edgebeat";
  if (n === downCount) return;
  downCount = n;
  const icon = document.getElementById("favicon");
  // One static icon per count (the CSP allows no generated images): 1 to 9, then 9+.
  icon.href = n <= 0 ? "favicon.svg" : n <= 9 ? `favicon-down-${n}.svg` : "favicon-down-many.svg";
}

export function flashBox() {
  if (!flash) return null;
  const box = h("div", { class: "notice", role: "status", text: flash });
  flash = null;
  return box;
}

/** The channels of the project (read-write key), for names and the check form. */
export async function loadChannels() {
  if (!session.canWrite) return [];
  const data = await api("GET", "/api/v3/channels/");
  return data.channels;
}

// ---------------------------------------------------------------- routing

/** Whether this page load asked yet who Cloudflare Access signed in. */
let accessAsked = false;

/** Signs in the person Cloudflare Access signed in, if any; returns why not, when Access refused. */
async function signInThroughAccess() {
  accessAsked = true;
  const me = await accessSignIn();
  if (me && me.email) {
    session.person = { email: me.email, projects: me.projects };
    return null;
  }
  session.person = null;
  const error = me && me.refused && me.refused.error;
  return error && error !== "missing api key" ? error : null;
}

async function route(reason) {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  delete main.dataset.loaded;
  if (!session.key && !accessAsked) {
    const refused = await signInThroughAccess();
    if (refused) reason = `Cloudflare Access sign-in was refused: ${refused}`;
  }
  if (!session.key && session.person && !session.project) {
    reason = `Signed in as ${session.person.email} through Cloudflare Access, but not a member of any project yet: ask a project owner to add you, or sign in with a project key.`;
  }
  if (!session.signedIn) {
    showChrome(false);
    signInView(reason);
    return;
  }
  if (!session.accessKnown) {
    try {
      await probeAccess(null);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        signOut("This key is no longer accepted. Sign in again with a project key.");
      } else {
        main.replaceChildren(h("div", { class: "error", role: "alert", text: error.message }));
      }
      return;
    }
  }
  showChrome(true);
  refreshHealth();
  const hash = location.hash.replace(/^#/, "") || "/";
  const parts = hash.split("/").filter(Boolean).map(decodeURIComponent);
  let page = "checks";
  const context = { main, navigate, setFlash, flashBox, handleError, loadChannels, setDownCount, refreshMs: REFRESH_MS };
  if (parts.length === 0) cleanup = listView();
  else if (parts[0] === "checks" && parts.length === 2) cleanup = checkPage(parts[1], context);
  else if (parts[0] === "checks" && parts[2] === "edit") cleanup = checkForm(parts[1], context);
  else if (parts[0] === "new") cleanup = checkForm(null, context);
  else if (parts[0] === "channels") {
    page = "channels";
    cleanup = channelsPage(context);
  } else if (parts[0] === "maintenance") {
    page = "maintenance";
    cleanup = maintenancePage(context);
  } else if (parts[0] === "status-pages") {
    page = "status-pages";
    cleanup = statusPagesPage(context);
  } else if (parts[0] === "notifications") {
    page = "notifications";
    cleanup = notificationsPage(context);
  } else if (parts[0] === "members") {
    page = "members";
    cleanup = membersPage(context);
  } else if (parts[0] === "audit") {
    page = "audit";
    cleanup = auditPage(context);
  } else {
    main.replaceChildren(h("h1", { text: "Not found" }), h("p", {}, h("a", { href: "#/", text: "Back to the checks" })));
  }
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  // On a phone the links scroll sideways: keep the current one in view.
  const nav = document.getElementById("nav");
  const current = nav.querySelector("[aria-current=page]");
  if (current) {
    const left = current.offsetLeft - nav.offsetLeft;
    if (left < nav.scrollLeft || left + current.offsetWidth > nav.scrollLeft + nav.clientWidth) nav.scrollLeft = left;
  }
  const healthTimer = setInterval(refreshHealth, REFRESH_MS);
  const viewCleanup = cleanup;
  cleanup = () => {
    clearInterval(healthTimer);
    if (viewCleanup) viewCleanup();
  };
}

document.getElementById("signout").addEventListener("click", () => signOut());
document.getElementById("project").addEventListener("change", (event) => {
  session.projectId = event.target.value;
  checksCache = null;
  navigate("#/");
});
window.addEventListener("hashchange", () => {
  route();
  main.focus({ preventScroll: true });
});
route();

