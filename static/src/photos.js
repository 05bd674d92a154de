/**
 * Photos and their tags, written exactly as docs/data-model.md describes: every change of a photo
 * and its PhotoTags items is one TransactWriteItems (so tag items and counters never drift), every
 * edit carries the `Version` condition (optimistic locking: a second window can never overwrite a
 * change it has not seen), and public photos are found through the `PublicByTag` GSI with only
 * the public attributes projected (the policy's `dynamodb:Attributes` and `dynamodb:Select`
 * conditions; DynamoDB Developer Guide, "Using IAM policy conditions for fine-grained access
 * control").
 */

import {
  counterKey, diffTags, isoNow, names, newPhotoId, projection, tagDateRange, tagItemKey, tagPrefix,
} from "./keys.js";

export const PUBLIC_ATTRIBUTES = [
  "PublicTag", "TakenOn", "UserId", "TagKey", "Title", "Thumb", "PhotoId", "OwnerName",
];

export function createPhotos({ db, tables, me }) {
  const T = tables.photos;
  const TT = tables.photoTags;

  function tagItem(photo, tag, ownerName) {
    const item = {
      UserId: photo.UserId, TagKey: tagItemKey(tag, photo.TakenOn, photo.PhotoId), Tag: tag,
      PhotoId: photo.PhotoId, TakenOn: photo.TakenOn, Title: photo.Title, Thumb: photo.Thumb,
    };
    if (photo.Visibility === "public") {
      item.PublicTag = tag;
      item.OwnerName = ownerName;
    }
    return { Put: { TableName: TT, Item: item } };
  }

  function counter(tag, delta) {
    return {
      Update: {
        TableName: TT,
        Key: { UserId: me().sub, TagKey: counterKey(tag) },
        UpdateExpression: "SET #Tag = :tag ADD #PhotoCount :delta",
        ExpressionAttributeNames: names("Tag", "PhotoCount"),
        ExpressionAttributeValues: { ":tag": tag, ":delta": delta },
      },
    };
  }

  async function pageOf(params, { limit, startKey }) {
    const out = await db.query({ ...params, Limit: limit, ExclusiveStartKey: startKey });
    return { items: out.Items ?? [], next: out.LastEvaluatedKey };
  }

  function tagPage(tag, from, to, { limit, startKey }) {
    const ranged = Boolean(from || to);
    const [low, high] = tagDateRange(tag, from || "0000-00-00", to || "9999-12-31");
    return pageOf({
      TableName: TT,
      KeyConditionExpression: ranged
        ? "#UserId = :me AND #TagKey BETWEEN :low AND :high"
        : "#UserId = :me AND begins_with(#TagKey, :prefix)",
      ExpressionAttributeNames: names("UserId", "TagKey"),
      ExpressionAttributeValues: ranged
        ? { ":me": me().sub, ":low": low, ":high": high }
        : { ":me": me().sub, ":prefix": tagPrefix(tag) },
      ScanIndexForward: false,
    }, { limit, startKey });
  }

  /** The photos of tag items, in the tag items' order; a tag item whose photo is gone is kept. */
  async function withPhotos(tagItems) {
    if (!tagItems.length) return tagItems;
    const found = new Map();
    let request = { [T]: { Keys: tagItems.map((t) => ({ UserId: me().sub, PhotoId: t.PhotoId })) } };
    for (let round = 0; round < 5 && request?.[T]?.Keys?.length; round += 1) {
      const out = await db.batchGet({ RequestItems: request });
      for (const photo of out.Responses?.[T] ?? []) found.set(photo.PhotoId, photo);
      request = out.UnprocessedKeys;
    }
    return tagItems.map((t) => found.get(t.PhotoId) ?? t);
  }

  return {
    /** My photos, newest first (PhotoId sorts by upload time). */
    listMine({ limit = 24, startKey } = {}) {
      return pageOf({
        TableName: T,
        KeyConditionExpression: "#UserId = :me",
        ExpressionAttributeNames: names("UserId"),
        ExpressionAttributeValues: { ":me": me().sub },
        ScanIndexForward: false,
      }, { limit, startKey });
    },

    /** My photos taken between two dates (LSI ByDate), latest date first. */
    listByDate(from, to, { limit = 24, startKey } = {}) {
      return pageOf({
        TableName: T,
        IndexName: "ByDate",
        KeyConditionExpression: "#UserId = :me AND #TakenOn BETWEEN :from AND :to",
        ExpressionAttributeNames: names("UserId", "TakenOn"),
        ExpressionAttributeValues: { ":me": me().sub, ":from": from, ":to": to },
        ScanIndexForward: false,
      }, { limit, startKey });
    },

    /**
     * My photos with a tag, optionally within dates (PhotoTags tag items), each shown as the photo
     * itself (one BatchGetItem on my own partition), so a tag-filtered card keeps its visibility,
     * its other tags and its Version.
     */
    async listByTag(tag, from, to, { limit = 24, startKey } = {}) {
      const page = await tagPage(tag, from, to, { limit, startKey });
      return { items: await withPhotos(page.items), next: page.next };
    },

    /** `[{tag, count}]`, most used first, from the COUNT# items. */
    async tagCloud() {
      const counters = await db.queryAll({
        TableName: TT,
        KeyConditionExpression: "#UserId = :me AND begins_with(#TagKey, :count)",
        ExpressionAttributeNames: names("UserId", "TagKey"),
        ExpressionAttributeValues: { ":me": me().sub, ":count": "COUNT#" },
      });
      const tags = counters
        .map((item) => ({ tag: item.Tag ?? item.TagKey.slice(6), count: Number(item.PhotoCount ?? 0) }))
        .filter((t) => t.count > 0);
      return tags.sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag));
    },

    async get(photoId) {
      const out = await db.get({
        TableName: T, Key: { UserId: me().sub, PhotoId: photoId }, ConsistentRead: true,
      });
      return out.Item ?? null;
    },

    /** One transaction: the photo (must be new), its tag items, +1 on each tag's counter. */
    async add({ thumb, title, tags, takenOn, visibility }, now = new Date()) {
      const { sub, displayName } = me();
      const at = isoNow(now);
      const photo = {
        UserId: sub, PhotoId: newPhotoId(now), TakenOn: takenOn, Title: title, Tags: new Set(tags),
        Visibility: visibility, Thumb: thumb, ContentType: "image/jpeg", Version: 1,
        CreatedAt: at, UpdatedAt: at,
      };
      await db.transactWrite({
        TransactItems: [
          {
            Put: {
              TableName: T, Item: photo,
              ConditionExpression: "attribute_not_exists(#PhotoId)",
              ExpressionAttributeNames: names("PhotoId"),
            },
          },
          ...tags.map((tag) => tagItem(photo, tag, displayName)),
          ...tags.map((tag) => counter(tag, 1)),
        ],
      });
      return photo;
    },

    /**
     * One transaction: the photo with `Version = :expected` (a change from another window makes
     * it fail as a whole: ConditionalCheckFailed, nothing written), the removed tag items deleted,
     * the current ones rewritten, the counters of added/dropped tags moved by ±1.
     */
    async edit(photo, { title, tags, takenOn, visibility }, now = new Date()) {
      const { displayName } = me();
      const after = { ...photo, Title: title, Tags: new Set(tags), TakenOn: takenOn, Visibility: visibility };
      const diff = diffTags(
        { tags: [...photo.Tags], takenOn: photo.TakenOn, photoId: photo.PhotoId },
        { tags, takenOn, photoId: photo.PhotoId },
      );
      const expected = Number(photo.Version);
      await db.transactWrite({
        TransactItems: [
          {
            Update: {
              TableName: T,
              Key: { UserId: photo.UserId, PhotoId: photo.PhotoId },
              UpdateExpression:
                "SET #Title = :title, #Tags = :tags, #TakenOn = :takenOn, #Visibility = :visibility, "
                + "#UpdatedAt = :now, #Version = #Version + :one",
              ConditionExpression: "#Version = :expected",
              ExpressionAttributeNames: names("Title", "Tags", "TakenOn", "Visibility", "UpdatedAt", "Version"),
              ExpressionAttributeValues: {
                ":title": title, ":tags": new Set(tags), ":takenOn": takenOn, ":visibility": visibility,
                ":now": isoNow(now), ":one": 1, ":expected": expected,
              },
            },
          },
          ...diff.remove.map((key) => ({ Delete: { TableName: TT, Key: { UserId: photo.UserId, TagKey: key } } })),
          ...tags.map((tag) => tagItem(after, tag, displayName)),
          ...diff.added.map((tag) => counter(tag, 1)),
          ...diff.dropped.map((tag) => counter(tag, -1)),
        ],
      });
      return { ...after, Version: expected + 1, UpdatedAt: isoNow(now) };
    },

    /** One transaction: the photo (version condition), its tag items, -1 on its counters. */
    async remove(photo) {
      const tags = [...photo.Tags];
      await db.transactWrite({
        TransactItems: [
          {
            Delete: {
              TableName: T,
              Key: { UserId: photo.UserId, PhotoId: photo.PhotoId },
              ConditionExpression: "#Version = :expected",
              ExpressionAttributeNames: names("Version"),
              ExpressionAttributeValues: { ":expected": Number(photo.Version) },
            },
          },
          ...tags.map((tag) => ({
            Delete: { TableName: TT, Key: { UserId: photo.UserId, TagKey: tagItemKey(tag, photo.TakenOn, photo.PhotoId) } },
          })),
          ...tags.map((tag) => counter(tag, -1)),
        ],
      });
    },

    /** Everyone's public photos with a tag (GSI PublicByTag, public attributes only). */
    findPublic(tag, { limit = 48, startKey } = {}) {
      return pageOf({
        TableName: TT,
        IndexName: "PublicByTag",
        KeyConditionExpression: "#PublicTag = :tag",
        Select: "SPECIFIC_ATTRIBUTES",
        ...projection(...PUBLIC_ATTRIBUTES),
        ExpressionAttributeValues: { ":tag": tag },
        ScanIndexForward: false,
      }, { limit, startKey });
    },

    /** Access panel: a Query on someone else's partition (LeadingKeys ≠ my sub: denied). */
    tryReadOthers(otherSub) {
      return db.query({
        TableName: T,
        KeyConditionExpression: "#UserId = :other",
        ExpressionAttributeNames: names("UserId"),
        ExpressionAttributeValues: { ":other": otherSub },
      });
    },

    /** Access panel: a Scan has no leading keys, so the policy never allows it. */
    tryScan() {
      return db.scan({ TableName: T, Limit: 5 });
    },
  };
}
