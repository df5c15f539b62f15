// Channels (list with secrets masked by the API, add, test, delete) and the
// project's recent notifications. Both need the read-write key.

import { h, api, session, exact, timeEl, checkId, labelCells, EVENTS, DEFAULT_EVENTS, deleteButton } from "./lib.js";
import { reasonText, stateClass } from "./check.js";

function needsWrite(main, what) {
  main.replaceChildren(
    h("h1", { text: what }),
    h("p", { class: "notice", text: `${what} need the project's read-write key; this session uses the read-only key.` })
  );
}

/** Where a channel sends and its other settings, as the API shows them (secrets masked). */
function settingsText(channel) {
  const s = channel.settings || {};
  const parts = channel.destination ? [channel.destination] : [];
  for (const [key, value] of Object.entries(s)) {
    if (value === channel.destination || value === false || value === null) continue;
    const label = key.replace(/_/g, " ");
    if (value === true) parts.push(label);
    else if (Array.isArray(value)) {
      if (value.length) parts.push(`${label}: ${value.join(", ")}`);
    } else parts.push(`${label} ${value}`);
  }
  return parts.join(" · ");
}

/** The channel kinds and their fields, as the API describes them (one list, the server's registry). */
let kindsLoaded = null;
function loadKinds() {
  kindsLoaded ||= api("GET", "/api/v3/channels/kinds").then((data) => data.kinds);
  kindsLoaded.catch(() => (kindsLoaded = null));
  return kindsLoaded;
}

/** The input for one field of the registry; its id is `c-<name>` (`routing_key` is `c-routing-key`). */
function fieldInput(field) {
  const id = `c-${field.name.replace(/_/g, "-")}`;
  switch (field.type) {
    case "choice":
      return h("select", { id }, field.choices.map((c) => h("option", { value: c, text: c })));
    case "secret":
      return h("input", { id, type: "password", autocomplete: "new-password" });
    case "url":
      return h("input", { id, type: "url", placeholder: field.default || "https://…" });
    case "emails":
      return h("input", { id, type: "text", autocomplete: "off", placeholder: "ops@example.com, oncall@example.com" });
    case "headers":
      return h("textarea", { id, rows: "2", placeholder: "X-Team: ops" });
    default:
      return h("input", { id, type: "text", autocomplete: "off" });
  }
}

/** A field's value for the API, or undefined when left empty. */
function fieldValue(field, input) {
  const value = input.value.trim();
  if (!value) return undefined;
  if (field.type === "headers") {
    const headers = {};
    for (const line of value.split("\n")) {
      const at = line.indexOf(":");
      if (at > 0) headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    return headers;
  }
  return value;
}

/** The events a channel receives, in words: "down, up, reminder" or "none (sends nothing)". */
function eventsText(events) {
  if (!events) return "";
  return events.length ? events.join(", ") : "none (sends nothing)";
}

export function channelsPage(ctx) {
  const { main } = ctx;
  if (!session.canWrite) {
    needsWrite(main, "Channels");
    return null;
  }
  document.title = "Channels · edgebeat";
  const list = h("div", { id: "channel-list" });
  const errorBox = h("div", { role: "alert" });

  const kind = h("select", { id: "c-kind" });
  const name = h("input", { id: "c-name", type: "text", maxlength: "100" });
  const about = h("p", { class: "muted", id: "c-about" });
  const assignAll = h("input", { id: "c-assign", type: "checkbox" });
  // defaultChecked, so that resetting the form after an add ticks the defaults again.
  const eventBoxes = EVENTS.map(([event]) =>
    h("input", { type: "checkbox", id: `c-ev-${event}`, value: event, defaultChecked: DEFAULT_EVENTS.includes(event) })
  );
  // One input per field name across the kinds; the chosen kind's are shown.
  const fieldArea = h("div", { class: "grid2", id: "c-fields" });
  const inputs = new Map();
  let kinds = [];
  const chosen = () => kinds.find((k) => k.kind === kind.value);
  const sync = () => {
    const current = chosen();
    if (!current) return;
    about.textContent = current.about;
    for (const [fieldName, { wrapper, label, hint, input }] of inputs) {
      const field = current.fields.find((f) => f.name === fieldName);
      wrapper.hidden = !field;
      // A hidden field of another kind must not hold the form back.
      input.required = Boolean(field && field.required);
      if (!field) continue;
      label.textContent = field.required ? field.label : `${field.label} (optional)`;
      hint.textContent = field.help;
      if (field.type === "choice" && field.default && !input.dataset.touched) input.value = field.default;
    }
  };
  kind.addEventListener("change", sync);
  const message = h("div", { role: "alert", id: "channel-error" });
  const form = h(
    "form",
    { class: "panel", id: "channel-form", "aria-labelledby": "add-channel" },
    h("h2", { id: "add-channel", class: "flush", text: "Add a channel" }),
    h("div", { class: "grid2" }, h("div", { dataset: { field: "kind" } }, h("label", { for: "c-kind", text: "Kind" }), kind), h("div", { dataset: { field: "name" } }, h("label", { for: "c-name", text: "Name" }), name)),
    about,
    fieldArea,
    h(
      "fieldset",
      { id: "c-events" },
      h("legend", { text: "Send these events" }),
      eventBoxes.map((box, i) => h("label", { class: "radio", for: box.id }, box, EVENTS[i][1]))
    ),
    h("label", { class: "radio", for: "c-assign" }, assignAll, "Alert for every existing check too"),
    message,
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Add channel" }))
  );
  const formReady = loadKinds()
    .then((loaded) => {
      kinds = loaded;
      kind.replaceChildren(...kinds.map((k) => h("option", { value: k.kind, text: k.title })));
      for (const k of kinds) {
        for (const field of k.fields) {
          if (inputs.has(field.name)) continue;
          const input = fieldInput(field);
          input.addEventListener("change", () => (input.dataset.touched = "1"));
          const label = h("label", { for: input.id });
          const hint = h("small", { class: "muted", id: `${input.id}-hint` });
          input.setAttribute("aria-describedby", hint.id);
          const wrapper = h("div", { dataset: { field: field.name } }, label, input, hint);
          inputs.set(field.name, { wrapper, label, hint, input });
          fieldArea.append(wrapper);
        }
      }
      kind.value = kinds.some((k) => k.kind === "slack") ? "slack" : kinds[0]?.kind;
      sync();
    })
    .catch((error) => message.replaceChildren(h("div", { class: "error", text: `Channel kinds not loaded: ${error.message}` })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.replaceChildren();
    const current = chosen();
    if (!current) return;
    const spec = { kind: current.kind, name: name.value, events: eventBoxes.filter((b) => b.checked).map((b) => b.value) };
    for (const field of current.fields) {
      const value = fieldValue(field, inputs.get(field.name).input);
      if (value !== undefined) spec[field.name] = value;
    }
    if (assignAll.checked) spec.assign_to_all_checks = true;
    try {
      await api("POST", "/api/v3/channels/", spec);
      const keep = kind.value;
      form.reset();
      for (const { input } of inputs.values()) delete input.dataset.touched;
      kind.value = keep;
      sync();
      await refresh();
    } catch (error) {
      message.replaceChildren(h("div", { class: "error", text: `Not added: ${error.message}` }));
    }
  });

  main.replaceChildren(h("h1", { text: "Channels" }), errorBox, list, form);

  async function refresh() {
    try {
      const [data] = await Promise.all([api("GET", "/api/v3/channels/"), formReady]);
      render(data.channels);
      main.dataset.loaded = "channels";
    } catch (error) {
      const shown = ctx.handleError(error, "auth");
      if (shown) errorBox.replaceChildren(shown);
    }
  }

  function render(channels) {
    if (!channels.length) {
      list.replaceChildren(h("p", { class: "muted", text: "No channels yet: alerts go nowhere until you add one." }));
      return;
    }
    const rows = channels.map((channel) => {
      const result = h("span", { class: "test-result", role: "status" });
      const test = h("button", { type: "button", class: "ghost send-test", text: "Send test" });
      test.addEventListener("click", async () => {
        test.disabled = true;
        result.textContent = "Sending…";
        try {
          const answer = await api("POST", `/api/v3/channels/${encodeURIComponent(channel.id)}/test`, {});
          result.textContent = answer.delivered
            ? answer.status
              ? `Delivered (HTTP ${answer.status})`
              : answer.response
                ? `Delivered: ${answer.response}`
                : "Delivered"
            : `Not delivered: ${answer.error || `HTTP ${answer.status}`}`;
          // A delivered test clears a failing mark.
          if (answer.delivered && channel.failing) await refresh();
        } catch (error) {
          result.textContent = `Not sent: ${error.message}`;
        } finally {
          test.disabled = false;
        }
      });
      const actions = h("td", {}, h("div", { class: "row" }, test, result));
      if (!channel.managed_by_secret) {
        const path = `/api/v3/channels/${encodeURIComponent(channel.id)}`;
        const name = channel.name || channel.kind;
        const consequence = "Checks stop alerting through it.";
        actions.firstChild.append(deleteButton({ cell: actions, kind: "channel", name, consequence, path, done: refresh }));
      }
      return h(
        "tr",
        { dataset: { id: channel.id } },
        h(
          "td",
          {},
          channel.name || "(unnamed)",
          channel.failing &&
            h(
              "div",
              { class: "channel-failing" },
              h("span", { class: "status s-down", text: "failing" }),
              ` since ${exact(channel.failing.since)}: ${channel.failing.reason}. Nothing is sent until you edit it or a test is delivered.`
            )
        ),
        h("td", { text: channel.kind + (channel.managed_by_secret ? " (from a secret)" : "") }),
        h("td", { class: "settings", text: settingsText(channel) }),
        h("td", { class: "events", text: eventsText(channel.events) }),
        actions
      );
    });
    list.replaceChildren(
      h(
        "div",
        { class: "scroll" },
        labelCells(h(
          "table",
          { "aria-label": "Channels" },
          h("thead", {}, h("tr", {}, ["Name", "Kind", "Settings (secrets masked)", "Events", "Actions"].map((t) => h("th", { scope: "col", text: t })))),
          h("tbody", {}, rows)
        ))
      )
    );
  }
  refresh();
  return null;
}

export function notificationsPage(ctx) {
  const { main } = ctx;
  if (!session.canWrite) {
    needsWrite(main, "Notifications");
    return null;
  }
  document.title = "Notifications · edgebeat";
  const state = h(
    "select",
    { id: "n-state" },
    h("option", { value: "", text: "All" }),
    ["pending", "delivered", "failed"].map((s) => h("option", { value: s, text: s }))
  );
  const list = h("div", { id: "notification-list" });
  const errorBox = h("div", { role: "alert" });
  main.replaceChildren(
    h("h1", { text: "Notifications" }),
    h("div", { class: "toolbar" }, h("div", {}, h("label", { for: "n-state", text: "State" }), state)),
    errorBox,
    list
  );
  async function refresh() {
    try {
      const query = state.value ? `?state=${state.value}` : "";
      const [data, checks, channels] = await Promise.all([
        api("GET", `/api/v3/notifications/${query}`),
        api("GET", "/api/v3/checks/"),
        ctx.loadChannels(),
      ]);
      const checkNames = new Map(checks.checks.map((c) => [checkId(c), c.name || c.slug || checkId(c)]));
      const channelNames = new Map(channels.map((c) => [c.id, c.name || c.kind]));
      if (!data.notifications.length) {
        list.replaceChildren(h("p", { class: "muted", text: "No notifications." }));
      } else {
        list.replaceChildren(
          h(
            "div",
            { class: "scroll" },
            labelCells(h(
              "table",
              { "aria-label": "Notifications" },
              h("thead", {}, h("tr", {}, ["Created", "Check", "Event", "Reason", "Channel", "State", "Attempts", "Last answer"].map((t) => h("th", { scope: "col", text: t })))),
              h(
                "tbody",
                {},
                data.notifications.map((n) =>
                  h(
                    "tr",
                    {},
                    h("td", {}, timeEl(n.created, exact(n.created))),
                    h("td", {}, h("a", { href: `#/checks/${n.check}`, text: checkNames.get(n.check) || n.check })),
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
          )
        );
      }
      errorBox.replaceChildren();
      main.dataset.loaded = "notifications";
    } catch (error) {
      const shown = ctx.handleError(error, "auth");
      if (shown) errorBox.replaceChildren(shown);
    }
  }
  state.addEventListener("change", refresh);
  refresh();
  const timer = setInterval(refresh, ctx.refreshMs);
  return () => clearInterval(timer);
}
