/**
 * The list of my photos: newest first with "Load more" (Limit + LastEvaluatedKey), under the
 * filter the Find card chose. Every card shows the photo's visibility and all its tags, whichever
 * query found it (tag queries return the photos themselves, src/photos.js `listByTag`).
 *
 * Timing marks for the speed checks (read by benchmarks/page.py and the browser tests):
 * `photos-query-returned` when a page of results arrives, `photos-rendered` when it is in the DOM,
 * `photos-painted` after the next frame, and the measures `photos-render` and `photos-paint` from
 * the query's return to each; `first-photos-rendered` once the first list is in the DOM.
 */

import { clear, h, releaseUrls, thumbUrl } from "../dom.js";
import { reportError } from "../shell.js";

function pageSize() {
  const n = Number(globalThis.localStorage?.getItem("photoPageSize"));
  return Number.isInteger(n) && n > 0 && n <= 1000 ? n : 24;
}

function describeFilter(filter) {
  if (filter.mode === "tag") {
    const range = filter.from || filter.to ? ` from ${filter.from || "the start"} to ${filter.to || "today"}` : "";
    return `Tagged “${filter.tag}”${range}`;
  }
  if (filter.mode === "date") return `Taken from ${filter.from} to ${filter.to}`;
  return "My photos";
}

export function createPhotoList({ photos, store, onEdit }) {
  const urls = [];
  let filter = { mode: "mine" };
  let next;
  let loaded = [];
  let busy = false;

  const heading = h("h2", { testid: "list-heading" }, "My photos");
  const grid = h("div", { class: "grid", testid: "photo-list" });
  const empty = h("p", { class: "empty", testid: "photo-empty", hidden: true }, "No photos here yet.");
  const more = h("button", { type: "button", class: "button", testid: "load-more", hidden: true, onclick: () => loadPage(false) }, "Load more");

  function card(item) {
    const tags = item.Tags ? [...item.Tags].sort() : [item.Tag];
    const src = thumbUrl(item.Thumb, urls);
    return h("article", { class: "photo", testid: "photo-card", dataset: { photoId: item.PhotoId } },
      src ? h("img", { src, alt: item.Title ?? "", loading: "lazy", decoding: "async" }) : h("div", { class: "noimg" }),
      h("div", { class: "meta" },
        h("h3", { testid: "photo-card-title" }, item.Title ?? ""),
        h("p", { class: "muted" }, item.TakenOn ?? "",
          item.Visibility ? h("span", { class: `badge ${item.Visibility}`, testid: "photo-card-visibility" }, item.Visibility) : null),
        h("p", { class: "tags", testid: "photo-card-tags" }, tags.filter(Boolean).map((t) => h("span", { class: "chip small" }, t))),
        h("button", { type: "button", class: "button small", testid: "photo-edit", onclick: () => onEdit(item) }, "Edit")));
  }

  function render(append = false) {
    performance.mark("photos-render-start");
    if (!append) {
      releaseUrls(urls);
      clear(grid);
    }
    const fragment = document.createDocumentFragment();
    const shown = append ? loaded.slice(grid.childElementCount) : loaded;
    for (const item of shown) fragment.append(card(item));
    grid.append(fragment);
    heading.textContent = describeFilter(filter);
    empty.hidden = loaded.length > 0;
    more.hidden = !next;
    grid.dataset.count = String(loaded.length);
    performance.mark("photos-rendered");
    if (!performance.getEntriesByName("first-photos-rendered").length) performance.mark("first-photos-rendered");
    performance.measure("photos-render", "photos-query-returned", "photos-rendered");
    // The frame after the next animation frame is painted: "on screen", not only in the DOM.
    requestAnimationFrame(() => setTimeout(() => {
      performance.mark("photos-painted");
      performance.measure("photos-paint", "photos-query-returned", "photos-painted");
    }, 0));
    store.set({ photosShown: loaded.length });
  }

  function query(startKey) {
    const limit = pageSize();
    if (filter.mode === "tag") return photos.listByTag(filter.tag, filter.from, filter.to, { limit, startKey });
    if (filter.mode === "date") return photos.listByDate(filter.from, filter.to, { limit, startKey });
    return photos.listMine({ limit, startKey });
  }

  async function loadPage(fresh) {
    if (busy) return;
    busy = true;
    grid.setAttribute("aria-busy", "true");
    more.disabled = true;
    more.textContent = "Loading…";
    try {
      const page = await query(fresh ? undefined : next);
      performance.mark("photos-query-returned");
      loaded = fresh ? page.items : loaded.concat(page.items);
      next = page.next;
      render(!fresh);
    } catch (error) {
      reportError(error);
    } finally {
      busy = false;
      grid.removeAttribute("aria-busy");
      more.disabled = false;
      more.textContent = "Load more";
    }
  }

  return {
    elements: [h("div", { class: "list-head" }, heading), grid, empty, h("div", { class: "center" }, more)],
    get filter() { return filter; },
    show(newFilter) {
      filter = newFilter;
      return this.reload();
    },
    reload() {
      next = undefined;
      return loadPage(true);
    },
    /** Show a photo as saved (same filter), without asking DynamoDB again. */
    replace(photo) {
      loaded = loaded.map((p) => (p.PhotoId === photo.PhotoId ? photo : p));
      render(false);
    },
  };
}
