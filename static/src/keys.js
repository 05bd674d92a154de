/**
 * Pure helpers that build the keys and validate the values of docs/data-model.md.
 *
 * Nothing here touches the network or the DOM, so node can test it (`npm test`). Every key format
 * is the one docs/data-model.md fixes; the page and the policies agree on them:
 * - PhotoId  `<CreatedAt ISO-8601 UTC>#<8 random hex>` (sorts by upload time)
 * - TagKey   `TAG#<tag>#<TakenOn>#<PhotoId>` and `COUNT#<tag>`
 * - GameId   `<hostSub>~<opponentSub>~<12 random hex>` (IAM's LeadingKeys check `${sub}~*`)
 */

export const TAG_PATTERN = /^[a-z0-9-]{1,30}$/;
export const MAX_TAGS = 10;
export const MAX_TITLE = 200;
export const MAX_DISPLAY_NAME = 60;
export const MAX_BIO = 500;
export const MAX_THUMB_BYTES = 64 * 1024;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** `n` random bytes as lower-case hex, from the platform's CSPRNG. */
export function randomHex(bytes, random = globalThis.crypto) {
  const buf = new Uint8Array(bytes);
  random.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** ISO-8601 UTC with milliseconds, the form every `*At` attribute uses. */
export function isoNow(now = new Date()) {
  return now.toISOString();
}

export function newPhotoId(now = new Date(), random = globalThis.crypto) {
  return `${isoNow(now)}#${randomHex(4, random)}`;
}

/**
 * The player directory's normalized name (`NameKey`; `NameBucket` is its first character): NFKC,
 * spaces collapsed, lower case; webapp/demo.py `name_key` computes the same for the demo users.
 */
export function nameKey(displayName) {
  return String(displayName ?? "").normalize("NFKC").trim().split(/\s+/).join(" ").toLowerCase();
}

/** `{NameBucket, NameKey}` for a display name (the GSI ByName's keys). */
export function directoryKeys(displayName) {
  const key = nameKey(displayName);
  return { NameBucket: [...key][0] ?? "", NameKey: key };
}

export function newGameId(hostSub, opponentSub, random = globalThis.crypto) {
  return `${hostSub}~${opponentSub}~${randomHex(6, random)}`;
}

/**
 * Tags typed by a person ("Beach, sun  #Sea") as the stored set: lower-case, deduplicated, in the
 * order typed. Returns `{tags, errors}`; a non-empty `errors` lists what to fix, in words.
 */
export function parseTags(text) {
  const errors = [];
  const tags = [];
  for (const raw of String(text ?? "").split(/[\s,;]+/)) {
    const tag = raw.replace(/^#/, "").toLowerCase();
    if (!tag) continue;
    if (!TAG_PATTERN.test(tag)) {
      errors.push(`"${raw}" is not a valid tag: use 1–30 letters, digits or dashes.`);
      continue;
    }
    if (!tags.includes(tag)) tags.push(tag);
  }
  if (tags.length === 0 && errors.length === 0) errors.push("Add at least one tag.");
  if (tags.length > MAX_TAGS) errors.push(`At most ${MAX_TAGS} tags, you have ${tags.length}.`);
  return { tags, errors };
}

export function isValidDate(text) {
  if (!DATE_PATTERN.test(text ?? "")) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/** Validation of the photo form; returns a list of problems in words (empty: fine). */
export function validatePhoto({ title, tags, takenOn, visibility }) {
  const problems = [];
  if (!title || !title.trim()) problems.push("Give the photo a title.");
  else if (title.length > MAX_TITLE) problems.push(`The title is longer than ${MAX_TITLE} characters.`);
  if (!isValidDate(takenOn)) problems.push("The date must be a real date (YYYY-MM-DD).");
  if (visibility !== "private" && visibility !== "public") problems.push("Choose private or public.");
  if (!Array.isArray(tags) || tags.length < 1 || tags.length > MAX_TAGS) {
    problems.push(`Give 1 to ${MAX_TAGS} tags.`);
  }
  return problems;
}

export function tagItemKey(tag, takenOn, photoId) {
  return `TAG#${tag}#${takenOn}#${photoId}`;
}

export function counterKey(tag) {
  return `COUNT#${tag}`;
}

export function tagPrefix(tag) {
  return `TAG#${tag}#`;
}

/** The TagKey bounds for "tag within dates" (inclusive on both ends, any PhotoId). */
export function tagDateRange(tag, from, to) {
  return [`TAG#${tag}#${from}`, `TAG#${tag}#${to}#\uffff`];
}

/**
 * What an edit changes in PhotoTags: the tag items to delete, the tag items to (re)write and the
 * counters to move. A kept tag whose date changed moves to a new key (delete + put); every kept
 * item is rewritten because it carries the title, thumbnail and public flag.
 */
export function diffTags(before, after) {
  const oldKeys = new Map(before.tags.map((t) => [tagItemKey(t, before.takenOn, before.photoId), t]));
  const newKeys = new Map(after.tags.map((t) => [tagItemKey(t, after.takenOn, after.photoId), t]));
  const remove = [...oldKeys.keys()].filter((k) => !newKeys.has(k));
  const put = [...newKeys.keys()];
  const added = after.tags.filter((t) => !before.tags.includes(t));
  const dropped = before.tags.filter((t) => !after.tags.includes(t));
  return { remove, put, added, dropped };
}

/** A safe RoleSessionName (STS: `[\w+=,.@-]{2,64}`) naming the user and the moment. */
export function roleSessionName(name, now = Date.now()) {
  const base = String(name || "user").replace(/[^\w+=,.@-]/g, "-").slice(0, 40) || "user";
  return `${base}-${now}`.slice(0, 64).padEnd(2, "-");
}

/** `#Name` placeholders for attribute names, so no name ever collides with a reserved word. */
export function names(...attributes) {
  return Object.fromEntries(attributes.map((a) => [`#${a}`, a]));
}

export function projection(...attributes) {
  return {
    ProjectionExpression: attributes.map((a) => `#${a}`).join(", "),
    ExpressionAttributeNames: names(...attributes),
  };
}
