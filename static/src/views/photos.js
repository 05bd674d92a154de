/**
 * "My photos": add (thumbnail made in the browser), list newest first with "Load more" (Limit +
 * LastEvaluatedKey), filter by date range (LSI ByDate), by tag and by tag within dates (PhotoTags),
 * the tag cloud (COUNT# items), edit with optimistic locking and delete.
 *
 * Timing marks for the speed checks (read by benchmarks/page.py and the browser tests):
 * `photos-query-returned` when a page of results arrives, `photos-rendered` when it is in the DOM,
 * `photos-painted` after the next frame, and the measures `photos-render` and `photos-paint` from
 * the query's return to each; `first-photos-rendered` once the first list is in the DOM.
 */

import { isConditionFailure } from "../errors.js";
import { parseTags, validatePhoto } from "../keys.js";
import { makeThumbnail } from "../thumb.js";
import { reportError, toast } from "./shell.js";
import { byTestId, clear, h, releaseUrls, thumbUrl, today } from "./dom.js";

const CONFLICT = "This photo was changed in another window. It has been reloaded: check it and save again.";

function pageSize() {
  const n = Number(globalThis.localStorage?.getItem("photoPageSize"));
  return Number.isInteger(n) && n > 0 && n <= 1000 ? n : 24;
}

export function createPhotosView({ root, photos, store }) {
  const urls = [];
  let filter = { mode: "mine" };
  let next;
  let loaded = [];
  let busy = false;

  // Add form ---------------------------------------------------------------------------------
  const fileInput = h("input", { type: "file", accept: "image/*", required: true, testid: "photo-file" });
  const titleInput = h("input", { type: "text", maxlength: "200", required: true, placeholder: "Sunset at the pier", testid: "photo-title" });
  const tagsInput = h("input", { type: "text", placeholder: "beach, summer, family", testid: "photo-tags" });
  const dateInput = h("input", { type: "date", value: today(), required: true, testid: "photo-date" });
  const visibilityInput = h("select", { testid: "photo-visibility" },
    h("option", { value: "private" }, "Private: only you"),
    h("option", { value: "public" }, "Public: anyone signed in, by tag"));
  const preview = h("img", { class: "preview", alt: "", hidden: true });
  const progress = h("progress", { max: "1", value: "0", hidden: true, testid: "upload-progress" });
  const addStatus = h("p", { class: "form-status", testid: "add-status" });
  const addButton = h("button", { type: "submit", class: "button primary", testid: "photo-add" }, "Add photo");
  const addForm = h("form", { class: "card add-form", testid: "add-form", novalidate: true },
    h("h2", {}, "Add a photo"),
    h("div", { class: "add-grid" },
      h("label", { class: "file-drop" }, preview, h("span", {}, "Choose an image"), fileInput),
      h("div", { class: "fields" },
        h("label", {}, "Title", titleInput),
        h("label", {}, "Tags ", h("small", {}, "(1–10, separated by commas or spaces)"), tagsInput),
        h("div", { class: "row" }, h("label", {}, "Date", dateInput), h("label", {}, "Visibility", visibilityInput)),
        h("div", { class: "row end" }, progress, addButton),
        addStatus)));

  fileInput.addEventListener("change", () => {
    const file = fileInput.files?.[0];
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.hidden = !file;
    if (file) preview.src = URL.createObjectURL(file);
    if (file && !titleInput.value) titleInput.value = file.name.replace(/\.[^.]+$/, "").slice(0, 200);
  });

  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = fileInput.files?.[0];
    const { tags, errors } = parseTags(tagsInput.value);
    const values = { title: titleInput.value.trim(), tags, takenOn: dateInput.value, visibility: visibilityInput.value };
    const problems = [...(file ? [] : ["Choose an image."]), ...errors, ...validatePhoto(values).filter((p) => !/tags/.test(p) || !errors.length)];
    if (problems.length) {
      addStatus.textContent = problems.join(" ");
      addStatus.className = "form-status error";
      return;
    }
    addButton.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    addStatus.className = "form-status";
    addStatus.textContent = "Making the thumbnail…";
    try {
      const thumb = await makeThumbnail(file, (p) => { progress.value = p * 0.7; });
      addStatus.textContent = `Saving (${Math.ceil(thumb.bytes.length / 1024)} KB thumbnail)…`;
      progress.value = 0.8;
      const photo = await photos.add({ ...values, thumb: thumb.bytes });
      progress.value = 1;
      addStatus.textContent = `Added “${photo.Title}”.`;
      addForm.reset();
      dateInput.value = today();
      preview.hidden = true;
      toast("Photo added.", "success");
      await Promise.all([reload(), refreshCloud()]);
    } catch (error) {
      addStatus.textContent = "";
      reportError(error);
    } finally {
      addButton.disabled = false;
      setTimeout(() => { progress.hidden = true; }, 600);
    }
  });

  // Filters and tag cloud --------------------------------------------------------------------
  const filterTag = h("input", { type: "text", placeholder: "any tag", testid: "filter-tag" });
  const filterFrom = h("input", { type: "date", testid: "filter-from" });
  const filterTo = h("input", { type: "date", testid: "filter-to" });
  const filterForm = h("form", { class: "filters", testid: "filter-form" },
    h("label", {}, "Tag", filterTag),
    h("label", {}, "From", filterFrom),
    h("label", {}, "To", filterTo),
    h("button", { type: "submit", class: "button", testid: "filter-apply" }, "Show"),
    h("button", { type: "button", class: "button ghost", testid: "filter-clear", onclick: () => {
      filterForm.reset();
      filter = { mode: "mine" };
      reload();
    } }, "Clear"));
  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const tag = filterTag.value.trim().toLowerCase().replace(/^#/, "");
    const from = filterFrom.value;
    const to = filterTo.value;
    if (tag) filter = { mode: "tag", tag, from, to };
    else if (from || to) filter = { mode: "date", from: from || "0000-01-01", to: to || "9999-12-31" };
    else filter = { mode: "mine" };
    reload();
  });

  const cloud = h("div", { class: "cloud", testid: "tag-cloud" });
  async function refreshCloud() {
    try {
      const tags = await photos.tagCloud();
      const max = Math.max(1, ...tags.map((t) => t.count));
      clear(cloud).append(...(tags.length ? tags.map(({ tag, count }) => h("button", {
        type: "button", class: `chip size-${Math.ceil((count / max) * 3)}`, testid: "cloud-tag",
        dataset: { tag, count: String(count) },
        onclick: () => { filterTag.value = tag; filterForm.requestSubmit(); },
      }, tag, h("span", { class: "count" }, String(count)))) : [h("span", { class: "muted" }, "Your tags will appear here.")]));
    } catch (error) {
      reportError(error);
    }
  }

  // The list ---------------------------------------------------------------------------------
  const heading = h("h2", { testid: "list-heading" }, "My photos");
  const grid = h("div", { class: "grid", testid: "photo-list" });
  const empty = h("p", { class: "empty", testid: "photo-empty", hidden: true }, "No photos here yet.");
  const more = h("button", { type: "button", class: "button", testid: "load-more", hidden: true, onclick: () => loadPage(false) }, "Load more");

  function describeFilter() {
    if (filter.mode === "tag") {
      const range = filter.from || filter.to ? ` from ${filter.from || "the start"} to ${filter.to || "today"}` : "";
      return `Tagged “${filter.tag}”${range}`;
    }
    if (filter.mode === "date") return `Taken from ${filter.from} to ${filter.to}`;
    return "My photos";
  }

  function card(item) {
    const tags = item.Tags ? [...item.Tags].sort() : [item.Tag];
    const src = thumbUrl(item.Thumb, urls);
    return h("article", { class: "photo", testid: "photo-card", dataset: { photoId: item.PhotoId } },
      src ? h("img", { src, alt: item.Title ?? "", loading: "lazy", decoding: "async" }) : h("div", { class: "noimg" }),
      h("div", { class: "meta" },
        h("h3", { testid: "photo-card-title" }, item.Title ?? ""),
        h("p", { class: "muted" }, item.TakenOn ?? "",
          item.Visibility ? h("span", { class: `badge ${item.Visibility}`, testid: "photo-card-visibility" }, item.Visibility) : null),
        h("p", { class: "tags" }, tags.filter(Boolean).map((t) => h("span", { class: "chip small" }, t))),
        h("button", { type: "button", class: "button small", testid: "photo-edit", onclick: () => openEditor(item) }, "Edit")));
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
    heading.textContent = describeFilter();
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

  function reload() {
    next = undefined;
    return loadPage(true);
  }

  // Editing ----------------------------------------------------------------------------------
  const edTitle = h("input", { type: "text", maxlength: "200", testid: "edit-title" });
  const edTags = h("input", { type: "text", testid: "edit-tags" });
  const edDate = h("input", { type: "date", testid: "edit-date" });
  const edVisibility = h("select", { testid: "edit-visibility" },
    h("option", { value: "private" }, "Private"), h("option", { value: "public" }, "Public"));
  const edMessage = h("p", { class: "form-status", testid: "edit-message", role: "alert" });
  const edVersion = h("span", { class: "muted", testid: "edit-version" });
  const edSave = h("button", { type: "submit", class: "button primary", testid: "edit-save" }, "Save");
  const edDelete = h("button", { type: "button", class: "button danger ghost", testid: "edit-delete" }, "Delete");
  const edConfirm = h("button", { type: "button", class: "button danger", testid: "edit-delete-confirm", hidden: true }, "Really delete");
  const edImage = h("img", { class: "preview", alt: "" });
  const edForm = h("form", { method: "dialog", class: "editor", testid: "edit-form" },
    h("header", {}, h("h2", {}, "Edit photo"), edVersion),
    edImage,
    h("label", {}, "Title", edTitle),
    h("label", {}, "Tags", edTags),
    h("div", { class: "row" }, h("label", {}, "Date", edDate), h("label", {}, "Visibility", edVisibility)),
    edMessage,
    h("div", { class: "row end" },
      edDelete, edConfirm,
      h("button", { type: "button", class: "button ghost", testid: "edit-cancel", onclick: () => dialog.close() }, "Close"),
      edSave));
  const dialog = h("dialog", { class: "dialog", testid: "edit-dialog" }, edForm);
  let editing = null;
  const editorUrls = [];

  function fillEditor(photo) {
    editing = photo;
    edTitle.value = photo.Title ?? "";
    edTags.value = [...(photo.Tags ?? [])].sort().join(", ");
    edDate.value = photo.TakenOn ?? "";
    edVisibility.value = photo.Visibility ?? "private";
    edVersion.textContent = `version ${photo.Version}`;
    releaseUrls(editorUrls);
    edImage.src = thumbUrl(photo.Thumb, editorUrls) ?? "";
    edConfirm.hidden = true;
  }

  function replaceInList(photo) {
    loaded = loaded.map((p) => (p.PhotoId === photo.PhotoId && p.Tags ? photo : p));
    render(false);
  }

  async function openEditor(item) {
    edMessage.textContent = "";
    edMessage.className = "form-status";
    try {
      // Items of a tag query carry no Version: read the photo itself. Items of "my photos" are
      // edited as listed, so a change made meanwhile elsewhere is caught by the Version condition.
      const photo = item.Version === undefined ? await photos.get(item.PhotoId) : item;
      if (!photo) {
        toast("This photo no longer exists.", "error");
        return reload();
      }
      fillEditor(photo);
      dialog.showModal();
    } catch (error) {
      reportError(error);
    }
  }

  async function reloadAfterConflict(error) {
    const fresh = await photos.get(editing.PhotoId);
    edMessage.textContent = CONFLICT;
    edMessage.className = "form-status error";
    edMessage.dataset.kind = "conflict";
    if (fresh) {
      fillEditor(fresh);
      replaceInList(fresh);
    } else {
      edMessage.textContent = "This photo was deleted in another window.";
      await reload();
    }
    console.info("edit conflict", error?.name);
  }

  edForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { tags, errors } = parseTags(edTags.value);
    const values = { title: edTitle.value.trim(), tags, takenOn: edDate.value, visibility: edVisibility.value };
    const problems = errors.length ? errors : validatePhoto(values);
    if (problems.length) {
      edMessage.textContent = problems.join(" ");
      edMessage.className = "form-status error";
      return;
    }
    edSave.disabled = true;
    edMessage.className = "form-status";
    edMessage.textContent = "Saving…";
    try {
      const saved = await photos.edit(editing, values);
      edMessage.textContent = "";
      dialog.close();
      toast("Changes saved.", "success");
      replaceInList(saved);
      if (filter.mode !== "mine") await reload();
      await refreshCloud();
    } catch (error) {
      if (isConditionFailure(error)) await reloadAfterConflict(error).catch(reportError);
      else {
        edMessage.textContent = "";
        reportError(error);
      }
    } finally {
      edSave.disabled = false;
    }
  });

  edDelete.addEventListener("click", () => { edConfirm.hidden = false; });
  edConfirm.addEventListener("click", async () => {
    edConfirm.disabled = true;
    try {
      await photos.remove(editing);
      dialog.close();
      toast("Photo deleted.", "success");
      await Promise.all([reload(), refreshCloud()]);
    } catch (error) {
      if (isConditionFailure(error)) await reloadAfterConflict(error).catch(reportError);
      else reportError(error);
    } finally {
      edConfirm.disabled = false;
    }
  });

  root.append(
    addForm,
    h("div", { class: "card" }, h("h2", {}, "Find"), filterForm, cloud),
    h("div", { class: "list-head" }, heading),
    grid, empty, h("div", { class: "center" }, more),
    dialog,
  );

  return {
    async start() {
      await Promise.all([reload(), refreshCloud()]);
    },
    reload,
    get listElement() { return byTestId("photo-list", root); },
  };
}
