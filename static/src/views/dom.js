/**
 * A tiny element builder. Text is always set with text nodes / `textContent`, never innerHTML,
 * so user content (titles, names, bios, tags) can never become markup.
 */

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "testid") el.dataset.testid = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (typeof value === "boolean") el.toggleAttribute(key, value);
    else if (key === "value" || key === "checked") el[key] = value;
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function byTestId(id, root = document) {
  return root.querySelector(`[data-testid="${id}"]`);
}

/** The page's one timestamp format ("Nov 29, 2026, 6:42 PM"), for every date and time shown. */
export function formatDateTime(value) {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value ?? "");
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function today() {
  const d = new Date();
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}

/** An object URL for a JPEG thumbnail, released when `scope` is cleared. */
export function thumbUrl(bytes, scope) {
  if (!bytes || !bytes.length) return null;
  const url = URL.createObjectURL(new Blob([bytes], { type: "image/jpeg" }));
  scope?.push(url);
  return url;
}

export function releaseUrls(scope) {
  for (const url of scope.splice(0)) URL.revokeObjectURL(url);
}
