// Channels (list with secrets masked by the API, add, test, delete) and the
// project's recent notifications. Both need the read-write key.

import { h, api, session, exact, timeEl, checkId, labelCells, EVENTS, DEFAULT_EVENTS } from "./lib.js";
import { reasonText, stateClass } from "./check.js";

function needsWrite(main, what) {
  main.replaceChildren(
    h("h1", { text: what }),
    h("p", { class: "notice", text: `${what} need the project's read-write key; this session uses the read-only key.` })
  );
}

function settingsText(channel) {
  const s = channel.settings || {};
  const parts = [];
  if (s.url) parts.push(s.url);
  if (s.method) parts.push(s.method);
  if (s.routing_key) parts.push(`routing key ${s.routing_key}`);
  if (s.severity) parts.push(`severity ${s.severity}`);
  if (s.signed) parts.push("signed");
  if (s.headers && s.headers.length) parts.push(`headers: ${s.headers.join(", ")}`);
  return parts.join(" · ");
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

  const kind = h(
    "select",
    { id: "c-kind" },
    h("option", { value: "slack", text: "Slack (incoming webhook)" }),
    h("option", { value: "pagerduty", text: "PagerDuty (Events API v2)" }),
    h("option", { value: "webhook", text: "Webhook" })
  );
  const name = h("input", { id: "c-name", type: "text", maxlength: "100" });
  const url = h("input", { id: "c-url", type: "url", placeholder: "https://…" });
  const routingKey = h("input", { id: "c-routing-key", type: "text", autocomplete: "off" });
  const severity = h(
    "select",
    { id: "c-severity" },
    ["critical", "error", "warning", "info"].map((s) => h("option", { value: s, text: s }))
  );
  const eventsUrl = h("input", { id: "c-events-url", type: "url", placeholder: "https://events.pagerduty.com/v2/enqueue" });
  const method = h("select", { id: "c-method" }, ["POST", "PUT", "GET"].map((m) => h("option", { value: m, text: m })));
  const secret = h("input", { id: "c-secret", type: "password", autocomplete: "new-password" });
  const assignAll = h("input", { id: "c-assign", type: "checkbox" });
  // defaultChecked, so that resetting the form after an add ticks the defaults again.
  const eventBoxes = EVENTS.map(([event]) =>
    h("input", { type: "checkbox", id: `c-ev-${event}`, value: event, defaultChecked: DEFAULT_EVENTS.includes(event) })
  );
  const field = (id, label, input) => h("div", { dataset: { field: id } }, h("label", { for: input.id, text: label }), input);
  const fields = {
    url: field("url", "URL", url),
    routing_key: field("routing_key", "Routing key", routingKey),
    severity: field("severity", "Severity", severity),
    events_url: field("events_url", "Events API URL (optional)", eventsUrl),
    method: field("method", "Method", method),
    secret: field("secret", "Signing secret (optional, at least 16 characters)", secret),
  };
  const shownFields = { slack: ["url"], pagerduty: ["routing_key", "severity", "events_url"], webhook: ["url", "method", "secret"] };
  const sync = () => {
    for (const [key, element] of Object.entries(fields)) element.hidden = !shownFields[kind.value].includes(key);
  };
  kind.addEventListener("change", sync);
  sync();
  const message = h("div", { role: "alert", id: "channel-error" });
  const form = h(
    "form",
    { class: "panel", id: "channel-form", "aria-labelledby": "add-channel" },
    h("h2", { id: "add-channel", class: "flush", text: "Add a channel" }),
    h("div", { class: "grid2" }, field("kind", "Kind", kind), field("name", "Name", name)),
    h("div", { class: "grid2" }, ...Object.values(fields)),
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
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.replaceChildren();
    const spec = { kind: kind.value, name: name.value, events: eventBoxes.filter((b) => b.checked).map((b) => b.value) };
    if (kind.value === "pagerduty") {
      Object.assign(spec, { routing_key: routingKey.value, severity: severity.value });
      if (eventsUrl.value) spec.events_url = eventsUrl.value;
    } else {
      spec.url = url.value;
    }
    if (kind.value === "webhook") {
      spec.method = method.value;
      if (secret.value) spec.secret = secret.value;
    }
    if (assignAll.checked) spec.assign_to_all_checks = true;
    try {
      await api("POST", "/api/v3/channels/", spec);
      form.reset();
      sync();
      await refresh();
    } catch (error) {
      message.replaceChildren(h("div", { class: "error", text: `Not added: ${error.message}` }));
    }
  });

  main.replaceChildren(h("h1", { text: "Channels" }), errorBox, list, form);

  async function refresh() {
    try {
      const data = await api("GET", "/api/v3/channels/");
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
            ? `Delivered (HTTP ${answer.status})`
            : `Not delivered: ${answer.error || `HTTP ${answer.status}`}`;
        } catch (error) {
          result.textContent = `Not sent: ${error.message}`;
        } finally {
          test.disabled = false;
        }
      });
      const actions = h("td", {}, h("div", { class: "row" }, test, result));
      if (!channel.managed_by_secret) {
        const del = h("button", { type: "button", class: "ghost delete-channel", text: "Delete…" });
        del.addEventListener("click", () => {
          const yes = h("button", { type: "button", class: "danger confirm-delete-channel", text: "Delete channel" });
          const no = h("button", { type: "button", class: "ghost", text: "Cancel" });
          const box = h("div", { class: "confirm", role: "alertdialog", "aria-label": "Confirm delete" }, h("p", {}, "Delete ", h("strong", { text: channel.name || channel.kind }), "? Checks stop alerting through it."), h("div", { class: "actions" }, yes, no));
          no.addEventListener("click", () => box.remove());
          yes.addEventListener("click", async () => {
            try {
              await api("DELETE", `/api/v3/channels/${encodeURIComponent(channel.id)}`);
              await refresh();
            } catch (error) {
              box.append(h("div", { class: "error", text: error.message }));
            }
          });
          actions.append(box);
          no.focus();
        });
        actions.firstChild.append(del);
      }
      return h(
        "tr",
        { dataset: { id: channel.id } },
        h("td", { text: channel.name || "(unnamed)" }),
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
