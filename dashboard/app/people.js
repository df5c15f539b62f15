// People in the dashboard: the log of changes (per project, per check) and,
// for owners, the project's members. Signed in through Cloudflare Access the
// project is the one chosen in the header; with a key, the key's own.

import { h, api, session, ApiError, timeEl, exact, labelCells } from "./lib.js";

/** The current project's id: the chosen one, or (with a key) the key's. */
async function projectId() {
  if (session.projectId && !session.key) return session.projectId;
  const me = await api("GET", "/api/v3/me");
  return me.projects[0].id;
}

/** What an entry changed, in words: `name: "nightly"`, `role: viewer`. */
function changeText(change) {
  if (!change || typeof change !== "object") return "";
  return Object.entries(change)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([name, value]) => `${name}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ");
}

const ACTIONS = {
  "check.create": "created the check",
  "check.edit": "edited the check",
  "check.pause": "paused the check",
  "check.resume": "resumed the check",
  "check.delete": "deleted the check",
  "check.snooze": "snoozed the check",
  "check.unsnooze": "ended the snooze",
  "channel.create": "added a channel",
  "channel.edit": "changed a channel",
  "channel.delete": "deleted a channel",
  "window.create": "added a maintenance window",
  "window.edit": "changed a maintenance window",
  "window.delete": "deleted a maintenance window",
  "status_page.create": "published a status page",
  "status_page.edit": "changed a status page",
  "status_page.delete": "deleted a status page",
  "member.add": "added a member",
  "member.role": "changed a member's role",
  "member.remove": "removed a member",
  "keys.replace": "replaced the API keys",
  "project.create": "created the project",
  "project.delete": "deleted the project",
};

/** A table of log entries, newest first. */
export function auditTable(entries, id = "audit-log") {
  if (!entries.length) return h("p", { class: "muted", id, text: "No changes recorded yet." });
  const rows = entries.map((e) =>
    h(
      "tr",
      { dataset: { action: e.action } },
      h("td", {}, timeEl(e.at, exact(e.at))),
      h("td", { class: "actor", text: e.actor }),
      h("td", { text: ACTIONS[e.action] || e.action }),
      h("td", { class: "change", text: changeText(e.change) })
    )
  );
  return labelCells(
    h(
      "table",
      { id, class: "audit" },
      h("thead", {}, h("tr", {}, ["When", "Who", "What", "Change"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, rows)
    )
  );
}

/** #/audit: the project's log, a page at a time. */
export function auditPage(ctx) {
  const { main } = ctx;
  document.title = "Log of changes · edgebeat";
  const errorBox = h("div", { role: "alert" });
  const list = h("div", { id: "audit-list" });
  const more = h("button", { type: "button", class: "ghost", id: "audit-older", text: "Older changes", hidden: true });
  main.replaceChildren(
    h("section", { "aria-labelledby": "audit-title" }, h("h1", { id: "audit-title", text: "Log of changes" }), errorBox, list, more)
  );
  let entries = [];
  let next = null;
  let stopped = false;
  async function load(before) {
    try {
      const id = await projectId();
      const query = before ? `?before=${before}` : "";
      const page = await api("GET", `/api/v3/projects/${id}/audit/${query}`);
      if (stopped) return;
      entries = before ? entries.concat(page.entries) : page.entries;
      next = page.next;
      list.replaceChildren(auditTable(entries));
      more.hidden = next === null;
      main.dataset.loaded = "audit";
    } catch (error) {
      const shown = ctx.handleError(error, "auth");
      if (shown) errorBox.replaceChildren(shown);
    }
  }
  more.addEventListener("click", () => load(next));
  load(null);
  return () => (stopped = true);
}

const ROLES = [
  ["viewer", "viewer: sees checks"],
  ["member", "member: changes checks, channels, windows"],
  ["owner", "owner: also members, keys, deleting the project"],
];

/** #/members: the project's members (owners manage them). */
export function membersPage(ctx) {
  const { main } = ctx;
  document.title = "Members · edgebeat";
  const errorBox = h("div", { role: "alert", id: "members-error" });
  const list = h("div", { id: "member-list" });
  const email = h("input", { id: "m-email", type: "email", required: true, autocomplete: "off" });
  const role = h("select", { id: "m-role" }, ROLES.map(([value, text]) => h("option", { value, text })));
  const form = h(
    "form",
    { class: "panel", id: "member-form", "aria-labelledby": "member-form-title" },
    h("h2", { id: "member-form-title", text: "Add a member" }),
    h("label", { for: "m-email", text: "Email address (as your identity provider signs them in)" }),
    email,
    h("label", { for: "m-role", text: "Role" }),
    role,
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Add" }))
  );
  main.replaceChildren(
    h("section", { "aria-labelledby": "members-title" }, h("h1", { id: "members-title", text: "Members" }), errorBox, list, form)
  );
  if (!session.canManage) {
    form.hidden = true;
  }
  const show = (error) => errorBox.replaceChildren(h("div", { class: "error", text: error.message || String(error) }));

  async function change(method, path, body) {
    errorBox.replaceChildren();
    try {
      await api(method, path, body);
      await refresh();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) ctx.handleError(error, "auth");
      else show(error);
    }
  }

  async function refresh() {
    try {
      const id = await projectId();
      const data = await api("GET", `/api/v3/projects/${id}/members/`);
      const base = `/api/v3/projects/${id}/members/`;
      const rows = data.members.map((m) => {
        const select = h("select", { "aria-label": `Role of ${m.email}`, class: "member-role" }, ROLES.map(([value]) => h("option", { value, text: value })));
        select.value = m.role;
        select.addEventListener("change", () => change("POST", base, { email: m.email, role: select.value }));
        const remove = h("button", { type: "button", class: "ghost member-remove", text: "Remove" });
        remove.addEventListener("click", () => change("DELETE", `${base}${encodeURIComponent(m.email)}`));
        return h("tr", { dataset: { email: m.email } }, h("td", { text: m.email }), h("td", {}, select), h("td", {}, timeEl(m.added)), h("td", {}, remove));
      });
      list.replaceChildren(
        labelCells(
          h(
            "table",
            { id: "members" },
            h("thead", {}, h("tr", {}, ["Email", "Role", "Added", ""].map((t) => h("th", { scope: "col", text: t })))),
            h("tbody", {}, rows)
          )
        )
      );
      main.dataset.loaded = "members";
    } catch (error) {
      const shown = ctx.handleError(error, "auth");
      if (shown) errorBox.replaceChildren(shown);
      main.dataset.loaded = "members";
    }
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = await projectId();
    await change("POST", `/api/v3/projects/${id}/members/`, { email: email.value.trim(), role: role.value });
    email.value = "";
  });
  refresh();
  return null;
}
