/**
 * The edit dialog: every save carries the `Version` condition (optimistic locking, src/photos.js
 * `edit`). When another window changed the photo meanwhile, what the user typed is kept (fields
 * they did not touch take the other window's values), what changed is listed, and "Save" applies
 * the typed values on top of the new version.
 */

import { isConditionFailure } from "../../errors.js";
import { parseTags, validatePhoto } from "../../keys.js";
import { clear, h, releaseUrls, thumbUrl } from "../dom.js";
import { reportError, toast } from "../shell.js";

const FIELDS = [["Title", "title"], ["Tags", "tags"], ["TakenOn", "date"], ["Visibility", "visibility"]];

function shown(photo, attribute) {
  if (attribute === "Tags") return [...(photo.Tags ?? [])].sort().join(", ");
  return String(photo[attribute] ?? "");
}

export function createEditor({ photos, onSaved, onDeleted }) {
  const edTitle = h("input", { type: "text", maxlength: "200", testid: "edit-title" });
  const edTags = h("input", { type: "text", testid: "edit-tags" });
  const edDate = h("input", { type: "date", testid: "edit-date" });
  const edVisibility = h("select", { testid: "edit-visibility" },
    h("option", { value: "private" }, "Private"), h("option", { value: "public" }, "Public"));
  const edMessage = h("p", { class: "form-status", testid: "edit-message", role: "alert" });
  const edChanges = h("ul", { class: "changes", testid: "edit-changes", hidden: true });
  const edVersion = h("span", { class: "muted", testid: "edit-version" });
  const edSave = h("button", { type: "submit", class: "button primary", testid: "edit-save" }, "Save");
  const edDelete = h("button", { type: "button", class: "button danger ghost", testid: "edit-delete" }, "Delete");
  const edConfirm = h("button", { type: "button", class: "button danger", testid: "edit-delete-confirm", hidden: true }, "Really delete");
  const edImage = h("img", { class: "preview", alt: "" });
  const form = h("form", { method: "dialog", class: "editor", testid: "edit-form" },
    h("header", {}, h("h2", {}, "Edit photo"), edVersion),
    edImage,
    h("label", {}, "Title", edTitle),
    h("label", {}, "Tags", edTags),
    h("div", { class: "row" }, h("label", {}, "Date", edDate), h("label", {}, "Visibility", edVisibility)),
    edMessage, edChanges,
    h("div", { class: "row end" },
      edDelete, edConfirm,
      h("button", { type: "button", class: "button ghost", testid: "edit-cancel", onclick: () => dialog.close() }, "Close"),
      edSave));
  const dialog = h("dialog", { class: "dialog", testid: "edit-dialog" }, form);
  let editing = null;
  const urls = [];

  function say(text, kind = "") {
    edMessage.textContent = text;
    edMessage.className = kind ? `form-status ${kind}` : "form-status";
    edMessage.dataset.kind = kind === "error" ? "conflict" : "";
  }

  /** Show `photo` as the version being edited; `keepTyped` leaves the inputs as the user left them. */
  function fill(photo, { keepTyped = false } = {}) {
    editing = photo;
    if (!keepTyped) {
      edTitle.value = photo.Title ?? "";
      edTags.value = shown(photo, "Tags");
      edDate.value = photo.TakenOn ?? "";
      edVisibility.value = photo.Visibility ?? "private";
      edChanges.hidden = true;
    }
    edVersion.textContent = `version ${photo.Version}`;
    releaseUrls(urls);
    edImage.src = thumbUrl(photo.Thumb, urls) ?? "";
    edConfirm.hidden = true;
  }

  async function open(item) {
    say("");
    try {
      // Items of "my photos" are edited as listed, so a change made meanwhile elsewhere is
      // caught by the Version condition; anything else is read first.
      const photo = item.Version === undefined ? await photos.get(item.PhotoId) : item;
      if (!photo) {
        toast("This photo no longer exists.", "error");
        return onDeleted();
      }
      fill(photo);
      dialog.showModal();
    } catch (error) {
      reportError(error);
    }
  }

  async function afterConflict(before) {
    const fresh = await photos.get(before.PhotoId);
    if (!fresh) {
      say("This photo was deleted in another window.", "error");
      return onDeleted();
    }
    const changed = FIELDS.filter(([attribute]) => shown(before, attribute) !== shown(fresh, attribute));
    clear(edChanges).append(...changed.map(([attribute, label]) => h("li", {},
      `${label}: now “${shown(fresh, attribute)}” (was “${shown(before, attribute)}”)`)));
    edChanges.hidden = changed.length === 0;
    say("This photo was changed in another window. Your edits are kept: check what changed and press Save to apply them to the new version.", "error");
    // Three-way merge: a field the user did not touch takes the other window's value; a field
    // they typed in keeps what they typed.
    const inputs = { Title: edTitle, Tags: edTags, TakenOn: edDate, Visibility: edVisibility };
    for (const [attribute] of FIELDS) {
      const input = inputs[attribute];
      const untouched = attribute === "Visibility" ? input.value === (before.Visibility ?? "private") : input.value === shown(before, attribute);
      if (untouched) input.value = attribute === "Visibility" ? fresh.Visibility ?? "private" : shown(fresh, attribute);
    }
    fill(fresh, { keepTyped: true });
    onSaved(fresh, { quiet: true });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { tags, errors } = parseTags(edTags.value);
    const values = { title: edTitle.value.trim(), tags, takenOn: edDate.value, visibility: edVisibility.value };
    const problems = errors.length ? errors : validatePhoto(values);
    if (problems.length) {
      say(problems.join(" "), "error");
      return;
    }
    edSave.disabled = true;
    say("Saving…");
    const before = editing;
    try {
      const saved = await photos.edit(before, values);
      say("");
      dialog.close();
      toast("Changes saved.", "success");
      await onSaved(saved);
    } catch (error) {
      if (isConditionFailure(error)) await afterConflict(before).catch(reportError);
      else {
        say("");
        reportError(error, { retry: () => form.requestSubmit() });
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
      await onDeleted();
    } catch (error) {
      if (isConditionFailure(error)) await afterConflict(editing).catch(reportError);
      else reportError(error);
    } finally {
      edConfirm.disabled = false;
    }
  });

  return { element: dialog, open };
}
