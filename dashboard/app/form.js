// Creating and editing a check (read-write key). The API validates; its
// message is shown as it is.

import { h, api, session, schedulePreview, timeZones, previewNodes } from "./lib.js";

const UNITS = [
  ["seconds", 1],
  ["minutes", 60],
  ["hours", 3600],
  ["days", 86400],
];

/** A number and a unit select for a period in seconds. */
function periodInput(id, label, seconds) {
  let unit = 1;
  for (const [, size] of UNITS) if (seconds % size === 0) unit = size;
  const number = h("input", { id, name: id, type: "number", min: "1", step: "any", value: String(seconds / unit), required: true });
  const select = h("select", { id: `${id}-unit`, "aria-label": `${label} unit` }, UNITS.map(([name, size]) => h("option", { value: String(size), text: name })));
  select.value = String(unit);
  return {
    element: h("div", {}, h("label", { for: id, text: label }), h("div", { class: "row" }, number, select)),
    seconds: () => Math.round(Number(number.value) * Number(select.value)),
  };
}

/**
 * An optional period (empty means none), as a number and a unit. `read()`
 * gives seconds, null when empty, or the raw text when it is not a number (the
 * API then says why).
 */
function optionalPeriod(id, label, hint, seconds, defaultUnit) {
  let unit = defaultUnit;
  if (seconds) {
    unit = 1;
    for (const [, size] of UNITS) if (seconds % size === 0) unit = size;
  }
  const number = h("input", {
    id,
    name: id,
    type: "number",
    min: "0",
    step: "any",
    value: seconds ? String(seconds / unit) : "",
    placeholder: hint.placeholder,
    "aria-describedby": `${id}-hint`,
  });
  const select = h("select", { id: `${id}-unit`, "aria-label": `${label} unit` }, UNITS.map(([name, size]) => h("option", { value: String(size), text: name })));
  select.value = String(unit);
  return {
    element: h(
      "div",
      {},
      h("label", { for: id, text: label }),
      h("div", { class: "row" }, number, select),
      h("p", { class: "hint", id: `${id}-hint`, text: hint.text })
    ),
    read: () => {
      if (number.validity.badInput) return "";
      if (number.value.trim() === "") return null;
      return Math.round(Number(number.value) * Number(select.value));
    },
  };
}

/** A whole number with a default: `read()` gives the default when empty. */
function countInput(id, label, hint, value, fallback) {
  const input = h("input", {
    id,
    name: id,
    type: "number",
    min: "1",
    max: "100",
    step: "1",
    value: String(value ?? fallback),
    placeholder: String(fallback),
    "aria-describedby": `${id}-hint`,
  });
  return {
    element: h("div", {}, h("label", { for: id, text: label }), input, h("p", { class: "hint", id: `${id}-hint`, text: hint })),
    read: () => {
      if (input.validity.badInput) return "";
      return input.value.trim() === "" ? fallback : Number(input.value);
    },
  };
}

function textInput(id, label, value, attrs = {}) {
  const input = h("input", { id, name: id, type: "text", value: value || "", ...attrs });
  return { input, element: h("div", {}, h("label", { for: id }, label), input) };
}

export function checkForm(id, ctx) {
  const { main } = ctx;
  if (!session.canWrite) {
    main.replaceChildren(
      h("h1", { text: "Read-only key" }),
      h("p", { text: "Creating and editing checks needs the project's read-write key." }),
      h("p", {}, h("a", { href: "#/", text: "Back to the checks" }))
    );
    return null;
  }
  main.replaceChildren(h("p", { class: "muted", text: "Loading…" }));
  let stopped = false;
  (async () => {
    try {
      const [check, channels, zones] = await Promise.all([
        id ? api("GET", `/api/v3/checks/${encodeURIComponent(id)}`) : null,
        ctx.loadChannels(),
        timeZones(),
      ]);
      if (!stopped) render(check, channels, zones);
    } catch (error) {
      main.replaceChildren(h("div", { class: "error", role: "alert", text: error.message }));
    }
  })();

  function render(check, allChannels, zoneNames) {
    // Channels set by a secret alert for every check: not a per-check choice.
    const channels = allChannels.filter((ch) => !ch.managed_by_secret);
    const always = allChannels.filter((ch) => ch.managed_by_secret);
    const editing = Boolean(check);
    // A new check alerts through no channel unless ticked, as the API's default (`channels` left out) is none.
    const c = check || { name: "", slug: "", tags: "", desc: "", timeout: 86400, grace: 3600, channels: "" };
    const name = textInput("f-name", "Name", c.name, { maxlength: "100" });
    const slug = textInput("f-slug", h("span", {}, "Slug ", h("span", { class: "hint", text: "(for /ping/<ping key>/<slug> URLs)" })), c.slug, { pattern: "[a-z0-9_-]*" });
    const tags = textInput("f-tags", h("span", {}, "Tags ", h("span", { class: "hint", text: "(separated by spaces)" })), c.tags);
    const desc = h("textarea", { id: "f-desc", name: "desc", rows: "3" });
    desc.value = c.desc || "";
    const isCron = c.schedule !== undefined;
    const simpleRadio = h("input", { type: "radio", name: "kind", id: "f-kind-simple", value: "simple", checked: !isCron });
    const cronRadio = h("input", { type: "radio", name: "kind", id: "f-kind-cron", value: "cron", checked: isCron });
    const timeout = periodInput("f-timeout", "Period (expected every)", c.timeout || 86400);
    const grace = periodInput("f-grace", "Grace period", c.grace || 3600);
    const schedule = textInput(
      "f-schedule",
      h("span", {}, "Cron or OnCalendar expression ", h("span", { class: "hint", text: "(cron: minute hour day month weekday)" })),
      c.schedule || "0 3 * * *",
      { "aria-describedby": "schedule-preview", spellcheck: "false", autocomplete: "off" }
    );
    // The zones the API accepts, from the API: a choice, never a guess.
    const tzSelect = h("select", { id: "f-tz", name: "tz", "aria-describedby": "schedule-preview" });
    const zones = zoneNames.includes(c.tz || "UTC") ? zoneNames : [c.tz, ...zoneNames];
    tzSelect.replaceChildren(...zones.map((zone) => h("option", { value: zone, text: zone.replaceAll("_", " ") })));
    tzSelect.value = c.tz || "UTC";
    const tz = { input: tzSelect, element: h("div", {}, h("label", { for: "f-tz", text: "Time zone" }), tzSelect) };
    // The schedule in words and its next runs, computed by edgebeat's own cron and OnCalendar code.
    const preview = h("div", { id: "schedule-preview", class: "preview", role: "status", "aria-live": "polite" });
    let previewTimer = 0;
    let previewAsked = 0;
    const showPreview = () => {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(async () => {
        const asked = ++previewAsked;
        const text = schedule.input.value;
        if (!text.trim()) {
          preview.replaceChildren();
          return;
        }
        try {
          const answer = await schedulePreview(text, tzSelect.value);
          if (asked === previewAsked) preview.replaceChildren(...previewNodes(answer, tzSelect.value));
        } catch (error) {
          if (asked === previewAsked) preview.replaceChildren(h("p", { class: "hint invalid", text: error.message }));
        }
      }, 250);
    };
    schedule.input.addEventListener("input", showPreview);
    tzSelect.addEventListener("change", showPreview);
    const simpleBox = h("div", { id: "simple-fields" }, timeout.element);
    const cronBox = h("div", { id: "cron-fields" }, h("div", { class: "grid2" }, schedule.element, tz.element), preview);
    const syncKind = () => {
      simpleBox.hidden = !simpleRadio.checked;
      cronBox.hidden = !cronRadio.checked;
      if (cronRadio.checked) showPreview();
    };
    simpleRadio.addEventListener("change", syncKind);
    cronRadio.addEventListener("change", syncKind);
    syncKind();
    const chosen = new Set(c.channels === "*" ? channels.map((ch) => ch.id) : (c.channels || "").split(",").filter(Boolean));
    const channelBoxes = channels.map((ch) =>
      h("input", { type: "checkbox", id: `f-ch-${ch.id}`, value: ch.id, checked: chosen.has(ch.id) })
    );
    const failures = countInput("f-failure-threshold", "Failures before down", "Consecutive reported failures before it goes down (empty: 1). A missed deadline goes down at once.", c.failure_threshold, 1);
    const recoveries = countInput("f-recovery-threshold", "Successes before up", "Consecutive successes before a down check recovers (empty: 1).", c.recovery_threshold, 1);
    const maxRuntime = optionalPeriod("f-max-runtime", "Longest run", { text: "After a start signal, a run still going after this long goes down (at least 1 minute; empty: no limit, grace limits runs).", placeholder: "no limit" }, c.max_runtime, 60);
    const minRuntime = optionalPeriod("f-min-runtime", "Shortest run", { text: "A success closing a run faster than this is a failure (empty: no minimum).", placeholder: "no minimum" }, c.min_runtime, 1);
    const reminder = optionalPeriod("f-reminder", "Remind every", { text: "While it stays down, alert again at this interval (at least 5 minutes; empty: no reminders).", placeholder: "off" }, c.reminder_interval, 3600);
    const manualResume = h("input", { type: "checkbox", id: "f-manual-resume", checked: Boolean(c.manual_resume) });
    const expectFirst = h("input", { type: "checkbox", id: "f-expect-first-ping", checked: Boolean(c.expect_first_ping) });
    const message = h("div", { id: "form-error", role: "alert", tabindex: "-1" });
    const submit = h("button", { type: "submit", id: "save", text: editing ? "Save changes" : "Create check" });
    const form = h(
      "form",
      { class: "panel", id: "check-form", novalidate: true },
      h("div", { class: "grid2" }, name.element, slug.element),
      tags.element,
      h("label", { for: "f-desc", text: "Description" }),
      desc,
      h(
        "fieldset",
        {},
        h("legend", { text: "Schedule" }),
        h("label", { class: "radio" }, simpleRadio, "Simple period"),
        h("label", { class: "radio" }, cronRadio, "Cron or OnCalendar schedule"),
        simpleBox,
        cronBox,
        grace.element
      ),
      h(
        "fieldset",
        {},
        h("legend", { text: "Alert through" }),
        channels.length
          ? channelBoxes.map((box, i) => h("label", { class: "radio", for: box.id }, box, channels[i].name || channels[i].kind, h("span", { class: "hint", text: ` (${channels[i].kind})` })))
          : h("p", { class: "muted" }, "No channels yet. ", h("a", { href: "#/channels", text: "Add one" }), "."),
        always.length
          ? h("p", { class: "muted", text: `Every check also alerts through ${always.map((ch) => ch.name || ch.kind).join(", ")} (set by a secret).` })
          : null
      ),
      h(
        "fieldset",
        { id: "policy-fields" },
        h("legend", { text: "Alert policy" }),
        h("div", { class: "grid2" }, failures.element, recoveries.element, maxRuntime.element, minRuntime.element, reminder.element)
      ),
      h("label", { class: "radio", for: "f-expect-first-ping" }, expectFirst, "Expect the first ping: a new check that never pings goes down at its first expected run plus grace (\"never ran\")"),
      h("label", { class: "radio", for: "f-manual-resume" }, manualResume, "Keep a paused check paused when pings arrive, until resumed here (manual resume)"),
      message,
      h("div", { class: "actions" }, submit, h("a", { class: "button ghost", href: editing ? `#/checks/${check.uuid}` : "#/", text: "Cancel" }))
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      message.replaceChildren();
      const spec = {
        name: name.input.value,
        slug: slug.input.value,
        tags: tags.input.value,
        desc: desc.value,
        grace: grace.seconds(),
        manual_resume: manualResume.checked,
        expect_first_ping: expectFirst.checked,
        channels: channelBoxes.filter((b) => b.checked).map((b) => b.value).join(","),
        failure_threshold: failures.read(),
        recovery_threshold: recoveries.read(),
        max_runtime: maxRuntime.read(),
        min_runtime: minRuntime.read(),
        reminder_interval: reminder.read() ?? 0,
      };
      if (cronRadio.checked) {
        spec.schedule = schedule.input.value;
        spec.tz = tz.input.value;
      } else {
        spec.timeout = timeout.seconds();
      }
      submit.disabled = true;
      try {
        const saved = await api("POST", editing ? `/api/v3/checks/${check.uuid}` : "/api/v3/checks/", spec);
        ctx.setFlash(editing ? "Saved." : "Created. Ping its URL to start monitoring.");
        ctx.navigate(`#/checks/${saved.uuid}`);
      } catch (error) {
        message.replaceChildren(h("div", { class: "error", text: `Not saved: ${error.message}` }));
        message.focus();
      } finally {
        submit.disabled = false;
      }
    });
    main.replaceChildren(
      h("p", {}, h("a", { href: editing ? `#/checks/${check.uuid}` : "#/", text: editing ? "← Back to the check" : "← All checks" })),
      h("h1", { text: editing ? `Edit ${c.name || c.slug || "check"}` : "New check" }),
      form
    );
    main.dataset.loaded = "form";
    name.input.focus();
  }
  return () => {
    stopped = true;
  };
}
