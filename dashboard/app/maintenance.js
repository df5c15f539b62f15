// Maintenance windows (read-write key): the list with what each one mutes and
// when, delete, and a form for a one-off window. The API validates; its
// message is shown as it is.

import { h, api, session, duration, exact, timeEl, labelCells, deleteButton } from "./lib.js";

/** When a window is: "0 5 * * 0 in Europe/Riga, for 2 hours" or "from … to …". */
function whenText(win) {
  if (win.schedule) return `${win.schedule} in ${win.tz || "UTC"}, for ${duration(win.duration)}`;
  return `from ${exact(win.start)} to ${exact(win.end)}`;
}

/** Which checks a window mutes, in words. */
function scopeText(win) {
  if (win.all_checks) return "all checks";
  const parts = [];
  if (win.tags) parts.push(`checks tagged ${win.tags.split(/\s+/).filter(Boolean).join(" or ")}`);
  if (win.checks && win.checks.length) parts.push(`${win.checks.length} chosen check${win.checks.length === 1 ? "" : "s"}`);
  return parts.join(", and ");
}

/** Open now, next opening, or over. */
function stateCell(win) {
  if (win.open_until) return h("span", {}, h("strong", { text: "Open" }), " until ", timeEl(win.open_until, exact(win.open_until)));
  if (win.next_start) return h("span", {}, "Next opens ", timeEl(win.next_start));
  return h("span", { class: "muted", text: "Over" });
}

/** A `datetime-local` value as an ISO instant in this browser's zone (or as typed, for the API to refuse). */
function isoFromLocal(value) {
  const at = new Date(value);
  return value && !Number.isNaN(at.getTime()) ? at.toISOString() : value;
}

export function maintenancePage(ctx) {
  const { main } = ctx;
  if (!session.canWrite) {
    main.replaceChildren(
      h("h1", { text: "Maintenance windows" }),
      h("p", { class: "notice", text: "Maintenance windows need the project's read-write key; this session uses the read-only key." })
    );
    return null;
  }
  document.title = "Maintenance · edgebeat";
  const list = h("div", { id: "window-list" });
  const errorBox = h("div", { role: "alert" });

  const name = h("input", { id: "m-name", type: "text", maxlength: "100" });
  const start = h("input", { id: "m-start", type: "datetime-local", required: true });
  const end = h("input", { id: "m-end", type: "datetime-local", required: true });
  const allRadio = h("input", { type: "radio", name: "m-scope", id: "m-scope-all", value: "all", defaultChecked: true });
  const tagsRadio = h("input", { type: "radio", name: "m-scope", id: "m-scope-tags", value: "tags" });
  const tags = h("input", { id: "m-tags", type: "text", "aria-describedby": "m-tags-hint" });
  const tagsBox = h(
    "div",
    { id: "m-tags-field" },
    h("label", { for: "m-tags", text: "Tags" }),
    tags,
    h("p", { class: "hint", id: "m-tags-hint", text: "Separated by spaces: a check with any of them is muted." })
  );
  const sync = () => (tagsBox.hidden = !tagsRadio.checked);
  allRadio.addEventListener("change", sync);
  tagsRadio.addEventListener("change", sync);
  sync();
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "this browser's time zone";
  const message = h("div", { role: "alert", id: "window-error" });
  const form = h(
    "form",
    { class: "panel", id: "window-form", "aria-labelledby": "add-window", novalidate: true },
    h("h2", { id: "add-window", class: "flush", text: "Add a one-off window" }),
    h("p", {
      class: "muted",
      text: `Times are in ${zone}. While the window is open its checks are muted like a snooze: pings and status changes are recorded, nobody is notified.`,
    }),
    h("div", { class: "grid2" }, h("div", {}, h("label", { for: "m-name", text: "Name" }), name)),
    h(
      "div",
      { class: "grid2" },
      h("div", {}, h("label", { for: "m-start", text: "Starts" }), start),
      h("div", {}, h("label", { for: "m-end", text: "Ends" }), end)
    ),
    h(
      "fieldset",
      {},
      h("legend", { text: "Mutes" }),
      h("label", { class: "radio", for: "m-scope-all" }, allRadio, "All checks"),
      h("label", { class: "radio", for: "m-scope-tags" }, tagsRadio, "Checks with tags"),
      tagsBox
    ),
    message,
    h("div", { class: "actions" }, h("button", { type: "submit", id: "m-save", text: "Add window" }))
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.replaceChildren();
    const spec = { name: name.value, start: isoFromLocal(start.value), end: isoFromLocal(end.value) };
    if (tagsRadio.checked) spec.tags = tags.value;
    try {
      await api("POST", "/api/v3/maintenance/", spec);
      form.reset();
      sync();
      await refresh();
    } catch (error) {
      message.replaceChildren(h("div", { class: "error", text: `Not added: ${error.message}` }));
    }
  });

  main.replaceChildren(
    h("h1", { text: "Maintenance windows" }),
    h(
      "p",
      { class: "muted" },
      "Recurring windows (a cron schedule) are set through the API; see docs/alert-policy.md."
    ),
    errorBox,
    list,
    form
  );

  function render(windows) {
    if (!windows.length) {
      list.replaceChildren(h("p", { class: "muted", text: "No maintenance windows." }));
      return;
    }
    const rows = windows.map((win) => {
      const actions = h("td", {});
      const label = win.name || "(unnamed)";
      const path = `/api/v3/maintenance/${encodeURIComponent(win.id)}`;
      const consequence = "Checks it already muted stay muted until it would have closed.";
      actions.append(deleteButton({ cell: actions, kind: "window", name: label, consequence, path, done: refresh }));
      return h(
        "tr",
        { dataset: { id: win.id } },
        h("td", { text: label }),
        h("td", { text: whenText(win) }),
        h("td", { text: scopeText(win) }),
        h("td", {}, stateCell(win)),
        actions
      );
    });
    list.replaceChildren(
      h(
        "div",
        { class: "scroll" },
        labelCells(h(
          "table",
          { "aria-label": "Maintenance windows" },
          h("thead", {}, h("tr", {}, ["Name", "When", "Mutes", "State", "Actions"].map((t) => h("th", { scope: "col", text: t })))),
          h("tbody", {}, rows)
        ))
      )
    );
  }

  async function refresh() {
    try {
      const data = await api("GET", "/api/v3/maintenance/");
      errorBox.replaceChildren();
      render(data.windows);
      main.dataset.loaded = "maintenance";
    } catch (error) {
      const shown = ctx.handleError(error, "auth");
      if (shown) errorBox.replaceChildren(shown);
    }
  }
  refresh();
  return null;
}
