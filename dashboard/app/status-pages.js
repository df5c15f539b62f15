// Public status pages (read-write key): the project's pages with their public
// addresses, delete, and a form to publish one (a slug, a title, the checks by
// tags or by choice, whether descriptions show). The API validates; its message
// is shown as it is.

import { h, api, session, byName, labelCells, deleteButton } from "./lib.js";

/** Which checks a page shows, in words. */
function scopeText(page) {
  const parts = [];
  const tags = (page.tags || "").split(/\s+/).filter(Boolean);
  if (tags.length) parts.push(`checks tagged ${tags.join(" or ")}`);
  if (page.checks.length) parts.push(`${page.checks.length} chosen check${page.checks.length === 1 ? "" : "s"}`);
  return parts.join(", and ");
}

export function statusPagesPage(ctx) {
  const { main } = ctx;
  if (!session.canWrite) {
    main.replaceChildren(
      h("h1", { text: "Status pages" }),
      h("p", { class: "notice", text: "Status pages need the project's read-write key; this session uses the read-only key." })
    );
    return null;
  }
  document.title = "Status pages · edgebeat";
  const list = h("div", { id: "page-list" });
  const errorBox = h("div", { role: "alert" });

  const slug = h("input", {
    id: "p-slug",
    type: "text",
    required: true,
    maxlength: "64",
    autocapitalize: "none",
    spellcheck: false,
    "aria-describedby": "p-slug-hint",
  });
  const title = h("input", { id: "p-title", type: "text", required: true, maxlength: "100" });
  const tags = h("input", { id: "p-tags", type: "text", "aria-describedby": "p-tags-hint" });
  const describe = h("input", { id: "p-descriptions", type: "checkbox" });
  const choices = h("div", { id: "p-checks", class: "choices" });
  const message = h("div", { role: "alert", id: "page-error" });
  const form = h(
    "form",
    { class: "panel", id: "page-form", "aria-labelledby": "add-page", novalidate: true },
    h("h2", { id: "add-page", class: "flush", text: "Publish a status page" }),
    h("p", {
      class: "muted",
      text: "Anyone with the address sees the chosen checks' names, statuses and 90 days of availability; never their ping URLs, keys or ping bodies.",
    }),
    h(
      "div",
      { class: "grid2" },
      h(
        "div",
        {},
        h("label", { for: "p-slug", text: "Address" }),
        slug,
        h("p", { class: "hint", id: "p-slug-hint", text: "The page is at /status/ followed by this: 3 to 64 lowercase letters, digits and hyphens." })
      ),
      h("div", {}, h("label", { for: "p-title", text: "Title" }), title)
    ),
    h(
      "fieldset",
      {},
      h("legend", { text: "Shows" }),
      h("label", { for: "p-tags", text: "Checks with tags" }),
      tags,
      h("p", { class: "hint", id: "p-tags-hint", text: "Separated by spaces: a check with any of them is shown." }),
      h("p", { class: "label", id: "p-checks-label", text: "And these checks" }),
      choices
    ),
    h("label", { class: "radio", for: "p-descriptions" }, describe, "Show the checks' descriptions"),
    message,
    h("div", { class: "actions" }, h("button", { type: "submit", id: "p-save", text: "Publish" }))
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.replaceChildren();
    const spec = {
      slug: slug.value.trim(),
      title: title.value,
      tags: tags.value,
      checks: [...choices.querySelectorAll("input:checked")].map((box) => box.value),
      show_descriptions: describe.checked,
    };
    try {
      await api("POST", "/api/v3/status-pages/", spec);
      form.reset();
      await refresh();
    } catch (error) {
      message.replaceChildren(h("div", { class: "error", text: `Not published: ${error.message}` }));
    }
  });

  main.replaceChildren(h("h1", { text: "Status pages" }), errorBox, list, form);

  function render(pages) {
    if (!pages.length) {
      list.replaceChildren(h("p", { class: "muted", text: "No status pages: nothing of this project is public." }));
      return;
    }
    const rows = pages.map((page) => {
      const actions = h("td", {});
      const path = `/api/v3/status-pages/${encodeURIComponent(page.slug)}`;
      const consequence = "Its address stops answering within a minute.";
      actions.append(deleteButton({ cell: actions, kind: "page", name: page.title, consequence, path, done: refresh }));
      return h(
        "tr",
        { dataset: { slug: page.slug } },
        h("td", { text: page.title }),
        h("td", {}, h("a", { href: page.url, class: "page-link", text: `/status/${page.slug}` })),
        h("td", { text: scopeText(page) }),
        h("td", { text: page.show_descriptions ? "Shown" : "Hidden" }),
        actions
      );
    });
    list.replaceChildren(
      h(
        "div",
        { class: "scroll" },
        labelCells(
          h(
            "table",
            { "aria-label": "Status pages" },
            h("thead", {}, h("tr", {}, ["Title", "Address", "Shows", "Descriptions", "Actions"].map((t) => h("th", { scope: "col", text: t })))),
            h("tbody", {}, rows)
          )
        )
      )
    );
  }

  function renderChoices(checks) {
    const sorted = [...checks].sort((a, b) => byName(a.name || a.slug || "", b.name || b.slug || ""));
    if (!sorted.length) {
      choices.replaceChildren(h("p", { class: "muted", text: "No checks yet." }));
      return;
    }
    choices.replaceChildren(
      h(
        "div",
        { role: "group", "aria-labelledby": "p-checks-label", class: "choice-list" },
        sorted.map((check, i) =>
          h(
            "label",
            { class: "radio", for: `p-check-${i}` },
            h("input", { type: "checkbox", id: `p-check-${i}`, value: check.uuid }),
            check.name || check.slug || "(unnamed)"
          )
        )
      )
    );
  }

  async function refresh() {
    try {
      const [data, checks] = await Promise.all([api("GET", "/api/v3/status-pages/"), api("GET", "/api/v3/checks/")]);
      errorBox.replaceChildren();
      render(data.status_pages);
      renderChoices(checks.checks);
      main.dataset.loaded = "status-pages";
    } catch (error) {
      const shown = ctx.handleError(error, "auth");
      if (shown) errorBox.replaceChildren(shown);
    }
  }
  refresh();
  return null;
}
