/**
 * "Discover": everyone's public photos with a tag, through the sparse GSI PublicByTag. The query
 * asks only for the public attributes (ProjectionExpression + Select SPECIFIC_ATTRIBUTES), which
 * is what the role's `dynamodb:Attributes` condition requires; owners' names come with the item
 * (`OwnerName`), so no profile needs to be read.
 */

import { reportError } from "./shell.js";
import { clear, h, releaseUrls, thumbUrl } from "./dom.js";

export function createPublicView({ root, photos, profiles }) {
  const urls = [];
  const input = h("input", { type: "search", placeholder: "e.g. sunset", required: true, testid: "public-tag" });
  const status = h("p", { class: "muted", testid: "public-status" }, "Search a tag to see what people share.");
  const grid = h("div", { class: "grid", testid: "public-list" });
  const form = h("form", { class: "filters", testid: "public-form" },
    h("label", {}, "Tag", input),
    h("button", { type: "submit", class: "button primary", testid: "public-search" }, "Search"));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const tag = input.value.trim().toLowerCase().replace(/^#/, "");
    if (!tag) return;
    status.textContent = "Searching…";
    grid.setAttribute("aria-busy", "true");
    try {
      const { items } = await photos.findPublic(tag);
      releaseUrls(urls);
      clear(grid).append(...items.map((item) => {
        const src = thumbUrl(item.Thumb, urls);
        return h("article", { class: "photo", testid: "public-card", dataset: { photoId: item.PhotoId, owner: item.UserId } },
          src ? h("img", { src, alt: item.Title ?? "", loading: "lazy" }) : h("div", { class: "noimg" }),
          h("div", { class: "meta" },
            h("h3", { testid: "public-card-title" }, item.Title ?? ""),
            h("p", { class: "muted" }, `${item.TakenOn ?? ""} · by `, h("span", { testid: "public-card-owner" }, item.OwnerName || "someone"))));
      }));
      profiles.rememberPeople(Object.fromEntries(items.map((i) => [i.UserId, i.OwnerName])));
      status.textContent = items.length
        ? `${items.length} public photo${items.length === 1 ? "" : "s"} tagged “${tag}”.`
        : `No public photos tagged “${tag}” yet.`;
    } catch (error) {
      status.textContent = "";
      reportError(error);
    } finally {
      grid.removeAttribute("aria-busy");
    }
  });

  root.append(h("div", { class: "card" }, h("h2", {}, "Discover public photos"), form, status), grid);
  return {};
}
