import assert from "node:assert/strict";
import { test } from "node:test";
import {
  diffTags, isValidDate, newGameId, newPhotoId, parseTags, projection, roleSessionName, tagDateRange,
  tagItemKey, validatePhoto,
} from "../src/keys.js";
import { describeError, isConditionFailure } from "../src/errors.js";

test("tags are lower-cased, deduplicated, '#'-stripped and checked against [a-z0-9-]{1,30}", () => {
  const cases = [
    ["Beach, sun  #Sea", ["beach", "sun", "sea"], 0],
    ["a,a,A", ["a"], 0],
    ["ok bad_tag", ["ok"], 1],
    ["", [], 1],
    ["x".repeat(31), [], 1],
    ["1 2 3 4 5 6 7 8 9 10 11", ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"], 1],
  ];
  for (const [text, tags, errors] of cases) {
    const parsed = parseTags(text);
    assert.deepEqual(parsed.tags, tags, text);
    assert.equal(parsed.errors.length, errors, text);
  }
});

test("keys have the formats of docs/data-model.md", () => {
  const now = new Date("2026-01-02T03:04:05.678Z");
  assert.match(newPhotoId(now), /^2026-01-02T03:04:05\.678Z#[0-9a-f]{8}$/);
  assert.match(newGameId("alice-sub", "bob-sub"), /^alice-sub~bob-sub~[0-9a-f]{12}$/);
  assert.equal(tagItemKey("sea", "2026-01-01", "P"), "TAG#sea#2026-01-01#P");
  assert.deepEqual(tagDateRange("sea", "2026-01-01", "2026-02-01"), ["TAG#sea#2026-01-01", "TAG#sea#2026-02-01#\uffff"]);
  assert.match(roleSessionName("Alice Smith!", 5), /^Alice-Smith--5$/);
  assert.deepEqual(projection("UserId", "DisplayName"), {
    ProjectionExpression: "#UserId, #DisplayName",
    ExpressionAttributeNames: { "#UserId": "UserId", "#DisplayName": "DisplayName" },
  });
});

test("dates must be real calendar dates", () => {
  for (const [text, ok] of [["2024-02-29", true], ["2023-02-29", false], ["2024-13-01", false], ["24-01-01", false]]) {
    assert.equal(isValidDate(text), ok, text);
  }
  assert.deepEqual(validatePhoto({ title: "t", tags: ["a"], takenOn: "2024-01-01", visibility: "public" }), []);
  assert.equal(validatePhoto({ title: "", tags: [], takenOn: "x", visibility: "secret" }).length, 4);
});

test("an edit deletes tag items whose key changed and moves counters only for added/dropped tags", () => {
  const before = { tags: ["a", "b"], takenOn: "2024-01-01", photoId: "P" };
  const sameDate = diffTags(before, { tags: ["b", "c"], takenOn: "2024-01-01", photoId: "P" });
  assert.deepEqual(sameDate, {
    remove: ["TAG#a#2024-01-01#P"], put: ["TAG#b#2024-01-01#P", "TAG#c#2024-01-01#P"], added: ["c"], dropped: ["a"],
  });
  const newDate = diffTags(before, { tags: ["a", "b"], takenOn: "2024-02-02", photoId: "P" });
  assert.deepEqual(newDate.remove, ["TAG#a#2024-01-01#P", "TAG#b#2024-01-01#P"]);
  assert.deepEqual([newDate.added, newDate.dropped], [[], []]);
});

test("AWS errors become sentences a person can act on", () => {
  const err = (name, extra = {}) => Object.assign(new Error("aws says"), { name, ...extra });
  const cases = [
    [err("AccessDeniedException"), "access"],
    [err("ConditionalCheckFailedException"), "conflict"],
    [err("TransactionCanceledException", { CancellationReasons: [{ Code: "ConditionalCheckFailed" }, { Code: "None" }] }), "conflict"],
    [err("TransactionCanceledException", { CancellationReasons: [{ Code: "TransactionConflict" }] }), "other"],
    [err("ProvisionedThroughputExceededException"), "throttled"],
    [err("ThrottlingException"), "throttled"],
    [err("ExpiredTokenException"), "session"],
    [err("LoginRequired"), "session"],
    [Object.assign(new TypeError("Failed to fetch")), "network"],
  ];
  for (const [error, kind] of cases) assert.equal(describeError(error).kind, kind, error.name);
  assert.equal(describeError(err("ExpiredTokenException")).text, "Your session has expired. Please sign in again.");
  assert.ok(isConditionFailure(err("ConditionalCheckFailedException")));
});

test("the lengths docs/data-model.md gives: title 200, display name 60, bio 500", async () => {
  const { validateProfile } = await import("../src/profile.js");
  const photo = (title) => validatePhoto({ title, tags: ["a"], takenOn: "2024-01-01", visibility: "private" });
  assert.deepEqual([photo("t".repeat(200)).length, photo("t".repeat(201)).length], [0, 1]);
  const profile = (displayName, bio) => validateProfile({ displayName, bio }).length;
  assert.deepEqual([profile("n".repeat(60), ""), profile("n".repeat(61), ""), profile("n", "b".repeat(500)),
                    profile("n", "b".repeat(501))], [0, 1, 0, 1]);
});

test("directory keys: NameKey is the name NFKC-normalized, spaces collapsed, lower case; NameBucket its first character", async () => {
  const { directoryKeys } = await import("../src/keys.js");
  assert.deepEqual(directoryKeys("  Ｂob   the\tBuilder "), { NameBucket: "b", NameKey: "bob the builder" });
  assert.deepEqual(directoryKeys("Émile"), { NameBucket: "é", NameKey: "émile" });
});
