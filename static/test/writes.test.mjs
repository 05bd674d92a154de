// The requests the page sends, checked against docs/data-model.md with a recording `db`
// (the same plain-object interface src/aws.js gives the feature modules).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createGames } from "../src/games.js";
import { createPhotos } from "../src/photos.js";
import { createProfiles } from "../src/profile.js";

const tables = { photos: "Photos", photoTags: "PhotoTags", profiles: "Profiles", games: "Games" };
const me = () => ({ sub: "alice-sub", displayName: "Alice" });

function recorder(answers = {}) {
  const calls = [];
  const db = new Proxy({}, {
    get: (_, op) => async (params) => {
      calls.push({ op, params });
      return answers[op]?.(params) ?? {};
    },
  });
  return { db, calls };
}

const thumb = new Uint8Array([0xff, 0xd8, 0xff]);
const photo = {
  UserId: "alice-sub", PhotoId: "2024-01-01T00:00:00.000Z#00aa00bb", TakenOn: "2024-01-01", Title: "Old",
  Tags: new Set(["sea", "sun"]), Visibility: "public", Thumb: thumb, Version: 3,
};

test("add: one transaction with the photo (must be new), a tag item per tag and +1 per counter", async () => {
  const { db, calls } = recorder();
  const added = await createPhotos({ db, tables, me }).add(
    { thumb, title: "Pier", tags: ["sea", "sun"], takenOn: "2024-05-01", visibility: "public" },
    new Date("2024-06-01T10:00:00Z"),
  );
  assert.equal(calls.length, 1);
  assert.equal(calls[0].op, "transactWrite");
  const [put, ...rest] = calls[0].params.TransactItems;
  assert.equal(put.Put.TableName, "Photos");
  assert.equal(put.Put.ConditionExpression, "attribute_not_exists(#PhotoId)");
  assert.match(put.Put.Item.PhotoId, /^2024-06-01T10:00:00\.000Z#[0-9a-f]{8}$/);
  assert.equal(put.Put.Item.Version, 1);
  assert.deepEqual([...put.Put.Item.Tags], ["sea", "sun"]);
  const tagItems = rest.filter((i) => i.Put).map((i) => i.Put.Item);
  assert.deepEqual(tagItems.map((i) => i.TagKey), ["sea", "sun"].map((t) => `TAG#${t}#2024-05-01#${added.PhotoId}`));
  assert.deepEqual(tagItems.map((i) => [i.PublicTag, i.OwnerName]), [["sea", "Alice"], ["sun", "Alice"]]);
  const counters = rest.filter((i) => i.Update).map((i) => i.Update);
  assert.deepEqual(counters.map((u) => [u.Key.TagKey, u.ExpressionAttributeValues[":delta"]]), [["COUNT#sea", 1], ["COUNT#sun", 1]]);
  assert.ok(counters.every((u) => u.UpdateExpression.includes("ADD #PhotoCount :delta")));
});

test("private photos' tag items carry no PublicTag, so the sparse PublicByTag index never holds them", async () => {
  const { db, calls } = recorder();
  await createPhotos({ db, tables, me }).add({ thumb, title: "Diary", tags: ["me"], takenOn: "2024-05-01", visibility: "private" });
  const tagItem = calls[0].params.TransactItems[1].Put.Item;
  assert.equal(tagItem.PublicTag, undefined);
  assert.equal(tagItem.OwnerName, undefined);
});

test("edit: version condition and increment, removed tag items deleted, counters moved only for changed tags", async () => {
  const { db, calls } = recorder();
  const saved = await createPhotos({ db, tables, me }).edit(photo, { title: "New", tags: ["sun", "sky"], takenOn: "2024-01-01", visibility: "private" });
  const items = calls[0].params.TransactItems;
  const update = items[0].Update;
  assert.equal(update.ConditionExpression, "#Version = :expected");
  assert.equal(update.ExpressionAttributeValues[":expected"], 3);
  assert.match(update.UpdateExpression, /#Version = #Version \+ :one/);
  assert.deepEqual(items.filter((i) => i.Delete).map((i) => i.Delete.Key.TagKey), [`TAG#sea#2024-01-01#${photo.PhotoId}`]);
  assert.deepEqual(items.filter((i) => i.Put).map((i) => [i.Put.Item.Tag, i.Put.Item.Title, i.Put.Item.PublicTag]), [["sun", "New", undefined], ["sky", "New", undefined]]);
  assert.deepEqual(items.filter((i) => i.Update && i !== items[0]).map((i) => [i.Update.Key.TagKey, i.Update.ExpressionAttributeValues[":delta"]]), [["COUNT#sky", 1], ["COUNT#sea", -1]]);
  assert.equal(saved.Version, 4);
});

test("delete: photo with the version condition, every tag item, -1 per counter, in one transaction", async () => {
  const { db, calls } = recorder();
  await createPhotos({ db, tables, me }).remove(photo);
  const items = calls[0].params.TransactItems;
  assert.equal(items[0].Delete.ConditionExpression, "#Version = :expected");
  assert.equal(items.filter((i) => i.Delete).length, 3);
  assert.deepEqual(items.filter((i) => i.Update).map((i) => i.Update.ExpressionAttributeValues[":delta"]), [-1, -1]);
});

test("public search asks PublicByTag for the public attributes only, with Select SPECIFIC_ATTRIBUTES", async () => {
  const { db, calls } = recorder();
  await createPhotos({ db, tables, me }).findPublic("sea");
  const q = calls[0].params;
  assert.equal(q.IndexName, "PublicByTag");
  assert.equal(q.Select, "SPECIFIC_ATTRIBUTES");
  assert.deepEqual(Object.values(q.ExpressionAttributeNames).sort(),
    ["OwnerName", "PhotoId", "PublicTag", "TagKey", "TakenOn", "Thumb", "Title", "UserId"]);
});

test("profile: the update names only DisplayName, its directory keys, Bio, UpdatedAt; others' names are read with a projection", async () => {
  const { db, calls } = recorder({ batchGet: () => ({ Responses: { Profiles: [{ UserId: "bob", DisplayName: "Bob" }] } }) });
  const profiles = createProfiles({ db, tables, me, storage: null });
  await profiles.saveMine({ displayName: " Alice ", bio: "hi" });
  assert.deepEqual(Object.values(calls[0].params.ExpressionAttributeNames).sort(), ["Bio", "DisplayName", "NameBucket", "NameKey", "UpdatedAt"]);
  assert.deepEqual([calls[0].params.ExpressionAttributeValues[":bucket"], calls[0].params.ExpressionAttributeValues[":key"]], ["a", "alice"]);
  assert.equal(calls[0].params.ReturnValues, "UPDATED_NEW");
  assert.deepEqual(await profiles.displayNames(["bob", "bob"]), { bob: "Bob" });
  assert.equal(calls[1].params.RequestItems.Profiles.ProjectionExpression, "#UserId, #DisplayName");
  assert.equal(calls[1].params.RequestItems.Profiles.Keys.length, 1);
});

test("a move is one UpdateItem conditioned on status, turn, move count and the old board", async () => {
  const { db, calls } = recorder({ update: (p) => ({ Attributes: { ok: p } }) });
  const game = { GameId: "alice-sub~bob-sub~0123456789ab", Host: "alice-sub", Opponent: "bob-sub", Board: "XX-OO----", Turn: "alice-sub", MoveCount: 4, GameStatus: "ACTIVE" };
  await createGames({ db, tables, me }).move(game, 2, new Date("2024-01-01T00:00:00Z"));
  assert.equal(calls.length, 1);
  const p = calls[0].params;
  assert.equal(p.ConditionExpression, "#GameStatus = :active AND #Turn = :me AND #MoveCount = :n AND #Board = :oldBoard");
  assert.deepEqual([p.ExpressionAttributeValues[":n"], p.ExpressionAttributeValues[":oldBoard"], p.ExpressionAttributeValues[":newBoard"]], [4, "XX-OO----", "XXXOO----"]);
  assert.match(p.UpdateExpression, /#GameStatus = :done, #Winner = :w$/);
  assert.equal(p.ExpressionAttributeValues[":w"], "alice-sub");
});

test("a challenge is created by its host with a GameId that starts with the host's sub", async () => {
  const { db, calls } = recorder();
  const game = await createGames({ db, tables, me }).challenge("bob-sub", "Bob");
  assert.match(game.GameId, /^alice-sub~bob-sub~[0-9a-f]{12}$/);
  assert.deepEqual([game.GameStatus, game.Turn, game.Board, game.MoveCount], ["PENDING", "alice-sub", "---------", 0]);
  assert.equal(calls[0].params.ConditionExpression, "attribute_not_exists(#GameId)");
  await assert.rejects(createGames({ db, tables, me }).challenge("alice-sub"), /someone else/);
});

test("accepting names only status and time: the role refuses any UpdateItem naming Host or Opponent", async () => {
  const { db, calls } = recorder({ update: () => ({ Attributes: {} }) });
  await createGames({ db, tables, me }).accept({ GameId: "bob-sub~alice-sub~0123456789ab" });
  const p = calls[0].params;
  assert.deepEqual(Object.values(p.ExpressionAttributeNames).sort(), ["GameStatus", "UpdatedAt"]);
  assert.equal(p.ConditionExpression, "#GameStatus = :pending");
});

test("my games leave out items whose Host and Opponent disagree with the GameId (forged by a PutItem)", async () => {
  const genuine = { GameId: "alice-sub~bob-sub~0123456789ab", Host: "alice-sub", Opponent: "bob-sub", UpdatedAt: "2" };
  const forged = { GameId: "bob-sub~carol-sub~0123456789ab", Host: "alice-sub", Opponent: "carol-sub", UpdatedAt: "3" };
  const invited = { GameId: "carol-sub~alice-sub~0123456789ab", Host: "carol-sub", Opponent: "alice-sub", UpdatedAt: "1" };
  const { db } = recorder({
    queryAll: (p) => (p.IndexName === "ByHost" ? [genuine, forged] : [invited]),
  });
  const games = await createGames({ db, tables, me }).list();
  assert.deepEqual(games.map((g) => g.GameId), [genuine.GameId, invited.GameId]);
});

test("directory: a prefix Query on ByName for UserId and DisplayName only; results whose keys lie are dropped", async () => {
  const { db, calls } = recorder({ query: () => ({ Items: [
    { UserId: "bob", DisplayName: "Bob" }, { UserId: "mallory", DisplayName: "Mallory" }, { UserId: "alice-sub", DisplayName: "Bo Me" },
  ] }) });
  const profiles = createProfiles({ db, tables, me, storage: null });
  assert.deepEqual(await profiles.findPlayers("  BO "), [{ sub: "bob", name: "Bob" }]);
  const q = calls[0].params;
  assert.equal(q.IndexName, "ByName");
  assert.equal(q.Select, "SPECIFIC_ATTRIBUTES");
  assert.equal(q.ProjectionExpression, "#UserId, #DisplayName");
  assert.deepEqual([q.ExpressionAttributeValues[":bucket"], q.ExpressionAttributeValues[":prefix"]], ["b", "bo"]);
});

test("a new profile starts from the token's name, only while it has none (docs/data-model.md)", async () => {
  const { db, calls } = recorder({ get: () => ({ Item: { UserId: "alice-sub" } }) });
  await createProfiles({ db, tables, me }).startMine("  Alice Liddell ", new Date("2024-01-01T00:00:00Z"));
  const updates = calls.filter((c) => c.op === "update");
  assert.equal(updates.length, 1);
  const p = updates[0].params;
  assert.equal(p.ConditionExpression, "attribute_not_exists(#DisplayName)");
  assert.deepEqual([p.ExpressionAttributeValues[":name"], p.ExpressionAttributeValues[":bucket"], p.ExpressionAttributeValues[":key"]],
    ["Alice Liddell", "a", "alice liddell"]);

  const named = recorder({ get: () => ({ Item: { UserId: "alice-sub", DisplayName: "Edited" } }) });
  await createProfiles({ db: named.db, tables, me }).startMine("Alice Liddell");
  assert.equal(named.calls.filter((c) => c.op === "update").length, 0); // an edited name is never overwritten
});

test("a game is read strongly consistent, as the opponent's poll needs (docs/data-model.md)", async () => {
  const { db, calls } = recorder({ get: () => ({ Item: { GameId: "g" } }) });
  assert.deepEqual(await createGames({ db, tables, me }).get("g"), { GameId: "g" });
  assert.deepEqual(calls, [{ op: "get", params: { TableName: "Games", Key: { GameId: "g" }, ConsistentRead: true } }]);
});
