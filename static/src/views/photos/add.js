/**
 * The "Add a photo" form: the thumbnail is made in the browser (src/thumb.js), then the photo and
 * its tag items are written in one transaction (src/photos.js `add`). A file that is not an image
 * is said at the picker, which keeps showing what it showed; a throttled write has been retried by
 * the SDK (adaptive retry mode, src/aws.js) and is then offered again with "Try again".
 */

import { parseTags, validatePhoto } from "../../keys.js";
import { makeThumbnail } from "../../thumb.js";
import { h, today } from "../dom.js";
import { reportError, toast } from "../shell.js";

const NOT_AN_IMAGE = "This file is not an image this browser can read: choose a JPEG, PNG, GIF or WebP picture.";

export function createAddForm({ photos, onAdded }) {
  const fileInput = h("input", { type: "file", accept: "image/*", required: true, testid: "photo-file" });
  const fileError = h("p", { class: "form-status error", testid: "photo-file-error", role: "alert", hidden: true });
  const titleInput = h("input", { type: "text", maxlength: "200", required: true, placeholder: "Sunset at the pier", testid: "photo-title" });
  const tagsInput = h("input", { type: "text", placeholder: "beach, summer, family", testid: "photo-tags" });
  const dateInput = h("input", { type: "date", value: today(), required: true, testid: "photo-date" });
  const visibilityInput = h("select", { testid: "photo-visibility" },
    h("option", { value: "private" }, "Private"),
    h("option", { value: "public" }, "Public (by tag)"));
  const preview = h("img", { class: "preview", alt: "", hidden: true });
  const progress = h("progress", { max: "1", value: "0", hidden: true, testid: "upload-progress" });
  const addStatus = h("p", { class: "form-status", testid: "add-status" });
  const addButton = h("button", { type: "submit", class: "button primary", testid: "photo-add" }, "Add photo");
  // On a phone the form starts folded (CSS hides its fields below 520px) behind this button.
  const unfold = h("button", { type: "button", class: "button small unfold", testid: "add-unfold", "aria-expanded": "false" }, "Add…");
  const form = h("form", { class: "card add-form folded", testid: "add-form", novalidate: true },
    h("header", {}, h("h2", {}, "Add a photo"), unfold),
    h("div", { class: "add-grid" },
      h("div", {}, h("label", { class: "file-drop" }, preview, h("span", {}, "Choose an image"), fileInput), fileError),
      h("div", { class: "fields" },
        h("label", {}, "Title", titleInput),
        h("label", {}, "Tags ", h("small", {}, "(1–10, separated by commas or spaces)"), tagsInput),
        h("div", { class: "row" }, h("label", {}, "Date", dateInput), h("label", {}, "Visibility", visibilityInput)),
        h("div", { class: "row end" }, progress, addButton),
        addStatus)));

  unfold.addEventListener("click", () => {
    const folded = form.classList.toggle("folded");
    unfold.setAttribute("aria-expanded", String(!folded));
    unfold.textContent = folded ? "Add…" : "Hide";
  });

  function pickerSays(text) {
    fileError.textContent = text;
    fileError.hidden = !text;
  }

  // A file named like an image that is none ("notes.png") passes the type check: the preview's
  // failed decode says so at the picker at once, and the drop zone asks for an image again.
  preview.addEventListener("error", () => {
    if (preview.hidden || !fileInput.files?.length) return;
    preview.hidden = true;
    pickerSays(NOT_AN_IMAGE);
  });

  fileInput.addEventListener("change", () => {
    const file = fileInput.files?.[0];
    pickerSays("");
    addStatus.textContent = ""; // "Added …" belongs to the previous photo
    addStatus.className = "form-status";
    if (file && file.type && !file.type.startsWith("image/")) {
      pickerSays(NOT_AN_IMAGE); // the drop zone keeps its previous preview
      return;
    }
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.hidden = !file;
    if (file) preview.src = URL.createObjectURL(file);
    if (file && !titleInput.value) titleInput.value = file.name.replace(/\.[^.]+$/, "").slice(0, 200);
  });

  async function submit() {
    const file = fileInput.files?.[0];
    const { tags, errors } = parseTags(tagsInput.value);
    const values = { title: titleInput.value.trim(), tags, takenOn: dateInput.value, visibility: visibilityInput.value };
    const problems = [...(file ? [] : ["Choose an image."]), ...errors, ...validatePhoto(values).filter((p) => !/tags/.test(p) || !errors.length)];
    if (file && file.type && !file.type.startsWith("image/")) problems.unshift(NOT_AN_IMAGE);
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
    let thumb;
    try {
      thumb = await makeThumbnail(file, (p) => { progress.value = p * 0.7; });
    } catch {
      addStatus.textContent = "";
      pickerSays(NOT_AN_IMAGE);
      addButton.disabled = false;
      progress.hidden = true;
      return;
    }
    try {
      addStatus.textContent = `Saving (${Math.ceil(thumb.bytes.length / 1024)} KB thumbnail)…`;
      progress.value = 0.8;
      const photo = await photos.add({ ...values, thumb: thumb.bytes });
      progress.value = 1;
      addStatus.textContent = `Added “${photo.Title}”.`;
      form.reset();
      dateInput.value = today();
      preview.hidden = true;
      toast("Photo added.", "success");
      await onAdded(photo);
    } catch (error) {
      addStatus.textContent = "";
      reportError(error, { retry: () => form.requestSubmit() });
    } finally {
      addButton.disabled = false;
      setTimeout(() => { progress.hidden = true; }, 600);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  return form;
}
