/**
 * Profiles (docs/data-model.md): my own item read in full and updated with only the attributes
 * the policy lets a user write (`dynamodb:Attributes` ⊆ UserId, DisplayName, Bio, UpdatedAt;
 * ReturnValues NONE or UPDATED_NEW); anyone else's read with `ProjectionExpression UserId,
 * DisplayName` only. Plan and Role are shown, never written: the role's explicit Deny refuses any
 * write naming them (the Access panel tries it to show the message).
 *
 * The page cannot list users (no Scan), so it remembers the people it has met (games, public
 * photos, pasted IDs) in localStorage and resolves their names with BatchGetItem. The list is
 * kept per signed-in user and removed at sign-out (`forgetPeople`; ASVS 5.0 14.3.1: data of an
 * authenticated user is cleared from the browser when the session ends), so the next person on
 * the same browser never sees whom the previous one met.
 */

import { MAX_BIO, MAX_DISPLAY_NAME, directoryKeys, isoNow, nameKey, names, projection } from "./keys.js";

const PEOPLE_KEY = "knownPeople";

/** Remove every remembered-people list from `storage` (at sign-out). */
export function forgetPeople(storage = globalThis.localStorage) {
  try {
    const keys = [];
    for (let i = 0; i < (storage?.length ?? 0); i += 1) keys.push(storage.key(i));
    for (const key of keys) {
      if (key === PEOPLE_KEY || key?.startsWith(`${PEOPLE_KEY}:`)) storage.removeItem(key);
    }
  } catch {
    // storage unavailable (privacy mode): nothing was kept either
  }
}

export function validateProfile({ displayName, bio }) {
  const problems = [];
  if (!displayName || !displayName.trim()) problems.push("Your display name cannot be empty.");
  else if (displayName.length > MAX_DISPLAY_NAME) problems.push(`Display names have at most ${MAX_DISPLAY_NAME} characters.`);
  if ((bio ?? "").length > MAX_BIO) problems.push(`The bio has at most ${MAX_BIO} characters.`);
  return problems;
}

export function createProfiles({ db, tables, me, storage = globalThis.localStorage }) {
  const T = tables.profiles;
  const peopleKey = () => `${PEOPLE_KEY}:${me().sub}`;

  function loadPeople() {
    try {
      const raw = JSON.parse(storage?.getItem(peopleKey()) ?? "{}");
      return raw && typeof raw === "object" ? raw : {};
    } catch {
      return {};
    }
  }

  return {
    async loadMine() {
      const out = await db.get({ TableName: T, Key: { UserId: me().sub }, ConsistentRead: true });
      return out.Item ?? { UserId: me().sub };
    },

    async saveMine({ displayName, bio }, now = new Date()) {
      const { NameBucket, NameKey } = directoryKeys(displayName);
      const out = await db.update({
        TableName: T,
        Key: { UserId: me().sub },
        UpdateExpression: "SET #DisplayName = :name, #NameBucket = :bucket, #NameKey = :key, #Bio = :bio, #UpdatedAt = :now",
        ExpressionAttributeNames: names("DisplayName", "NameBucket", "NameKey", "Bio", "UpdatedAt"),
        ExpressionAttributeValues: {
          ":name": displayName.trim(), ":bucket": NameBucket, ":key": NameKey, ":bio": bio ?? "", ":now": isoNow(now),
        },
        ReturnValues: "UPDATED_NEW",
      });
      return out.Attributes ?? {};
    },

    /**
     * A new user's profile starts with the name their ID token gives (`name` claim): written only
     * when the profile has no DisplayName yet, so an edited name is never overwritten. Returns the
     * profile as it then is.
     */
    async startMine(tokenName, now = new Date()) {
      const current = await this.loadMine();
      const name = String(tokenName ?? "").trim().slice(0, MAX_DISPLAY_NAME);
      if (current.DisplayName || !name) return current;
      const { NameBucket, NameKey } = directoryKeys(name);
      try {
        await db.update({
          TableName: T,
          Key: { UserId: me().sub },
          UpdateExpression: "SET #DisplayName = :name, #NameBucket = :bucket, #NameKey = :key, #UpdatedAt = :now",
          ConditionExpression: "attribute_not_exists(#DisplayName)",
          ExpressionAttributeNames: names("DisplayName", "NameBucket", "NameKey", "UpdatedAt"),
          ExpressionAttributeValues: { ":name": name, ":bucket": NameBucket, ":key": NameKey, ":now": isoNow(now) },
        });
      } catch (error) {
        if (error?.name !== "ConditionalCheckFailedException") throw error; // another tab was first
      }
      return this.loadMine();
    },

    /**
     * The player directory: people whose display name starts with `prefix` (Query on the GSI
     * ByName, public attributes only, as the role allows). Entries whose stored keys do not match
     * their name are dropped: IAM cannot check that a user's NameKey is their name's, so a user
     * who wrote another one only hides themself.
     */
    async findPlayers(prefix, limit = 10) {
      const key = nameKey(prefix);
      if (!key) return [];
      const out = await db.query({
        TableName: T, IndexName: "ByName",
        KeyConditionExpression: "#NameBucket = :bucket AND begins_with(#NameKey, :prefix)",
        Select: "SPECIFIC_ATTRIBUTES",
        ...projection("UserId", "DisplayName"),
        ExpressionAttributeNames: names("NameBucket", "NameKey", "UserId", "DisplayName"),
        ExpressionAttributeValues: { ":bucket": [...key][0], ":prefix": key },
        Limit: 50,
      });
      return (out.Items ?? [])
        .filter((p) => p.UserId && p.UserId !== me().sub && nameKey(p.DisplayName).startsWith(key))
        .slice(0, limit)
        .map((p) => ({ sub: p.UserId, name: p.DisplayName }));
    },

    /** `{sub: DisplayName}` for the given users (BatchGetItem, public attributes only). */
    async displayNames(subs) {
      const unique = [...new Set(subs.filter(Boolean))];
      const found = {};
      for (let i = 0; i < unique.length; i += 100) {
        let request = {
          [T]: { Keys: unique.slice(i, i + 100).map((UserId) => ({ UserId })), ...projection("UserId", "DisplayName") },
        };
        for (let round = 0; round < 5 && request && Object.keys(request).length; round += 1) {
          const out = await db.batchGet({ RequestItems: request });
          for (const item of out.Responses?.[T] ?? []) found[item.UserId] = item.DisplayName;
          request = out.UnprocessedKeys;
        }
      }
      return found;
    },

    /** One user's public name (GetItem, public attributes only), or null. */
    async displayName(sub) {
      const out = await db.get({ TableName: T, Key: { UserId: sub }, ...projection("UserId", "DisplayName") });
      return out.Item?.DisplayName ?? null;
    },

    /** Access panel: writing my own Plan is refused by the role's explicit Deny. */
    tryWritePlan() {
      return db.update({
        TableName: T,
        Key: { UserId: me().sub },
        UpdateExpression: "SET #Plan = :pro",
        ExpressionAttributeNames: names("Plan"),
        ExpressionAttributeValues: { ":pro": "pro" },
      });
    },

    people() {
      return loadPeople();
    },

    /** Remember `{sub: name}` pairs (never my own sub). */
    rememberPeople(entries) {
      const people = loadPeople();
      let changed = false;
      for (const [sub, name] of Object.entries(entries)) {
        if (!sub || sub === me().sub) continue;
        const value = name || people[sub] || "";
        if (people[sub] !== value) {
          people[sub] = value;
          changed = true;
        }
      }
      if (changed) storage?.setItem(peopleKey(), JSON.stringify(people));
      return people;
    },
  };
}
