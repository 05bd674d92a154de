/**
 * "Find": filter my photos by tag and/or date range, and my tag cloud (the COUNT# items). A range
 * whose From is after its To is said at once instead of silently finding nothing.
 */

import { clear, h } from "../dom.js";
import { reportError } from "../shell.js";

export function createFinder({ photos, onFilter }) {
  const filterTag = h("input", { type: "text", placeholder: "any tag", testid: "filter-tag" });
  const filterFrom = h("input", { type: "date", testid: "filter-from" });
  const filterTo = h("input", { type: "date", testid: "filter-to" });
  const message = h("p", { class: "form-status error", testid: "filter-message", role: "alert", hidden: true });
  const form = h("form", { class: "filters", testid: "filter-form" },
    h("label", {}, "Tag", filterTag),
    h("label", {}, "From", filterFrom),
    h("label", {}, "To", filterTo),
    h("button", { type: "submit", class: "button", testid: "filter-apply" }, "Show"),
    h("button", { type: "button", class: "button ghost", testid: "filter-clear", onclick: () => {
      form.reset();
      message.hidden = true;
      onFilter({ mode: "mine" });
    } }, "Clear"));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const tag = filterTag.value.trim().toLowerCase().replace(/^#/, "");
    const from = filterFrom.value;
    const to = filterTo.value;
    if (from && to && from > to) {
      message.textContent = `“From” (${from}) is after “To” (${to}): no photo can be in that range. Swap the dates?`;
      message.hidden = false;
      return;
    }
    message.hidden = true;
    if (tag) onFilter({ mode: "tag", tag, from, to });
    else if (from || to) onFilter({ mode: "date", from: from || "0000-01-01", to: to || "9999-12-31" });
    else onFilter({ mode: "mine" });
  });

  const cloud = h("div", { class: "cloud", testid: "tag-cloud" });
  async function refreshCloud() {
    try {
      const tags = await photos.tagCloud();
      const max = Math.max(1, ...tags.map((t) => t.count));
      clear(cloud).append(...(tags.length ? tags.map(({ tag, count }) => h("button", {
        type: "button", class: `chip size-${Math.ceil((count / max) * 3)}`, testid: "cloud-tag",
        dataset: { tag, count: String(count) },
        onclick: () => { filterTag.value = tag; form.requestSubmit(); },
      }, tag, h("span", { class: "count" }, String(count)))) : [h("span", { class: "muted" }, "Your tags will appear here.")]));
    } catch (error) {
      reportError(error);
    }
  }

  return { element: h("div", { class: "card" }, h("h2", {}, "Find"), form, message, cloud), refreshCloud };
}
