/**
 * Browser-side thumbnails: the photo is decoded and drawn on a canvas, then encoded as JPEG,
 * shrinking the size and the quality until it fits the 64 KB `Thumb` attribute of
 * docs/data-model.md (DynamoDB items are at most 400 KB; the thumbnail is also copied into every
 * tag item, so it must stay small). The original file never leaves the browser.
 */

import { MAX_THUMB_BYTES } from "./keys.js";

const STEPS = [
  [640, 0.82], [512, 0.8], [480, 0.72], [400, 0.7], [320, 0.68], [256, 0.6], [192, 0.55], [128, 0.5],
];

async function decode(file) {
  if (typeof createImageBitmap === "function") {
    try {
      return await createImageBitmap(file);
    } catch {
      // Fall through to <img>, which some browsers decode more formats with.
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } catch {
    throw new Error("This file is not an image the browser can read.");
  } finally {
    URL.revokeObjectURL(url);
  }
}

function encode(canvas, quality) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("Could not encode the thumbnail."))),
      "image/jpeg", quality);
  });
}

/** `{bytes: Uint8Array, width, height}` of a JPEG no larger than 64 KB. */
export async function makeThumbnail(file, onProgress = () => {}) {
  const image = await decode(file);
  const width = image.width || image.naturalWidth;
  const height = image.height || image.naturalHeight;
  if (!width || !height) throw new Error("This image is empty.");
  for (const [index, [edge, quality]] of STEPS.entries()) {
    onProgress((index + 1) / (STEPS.length + 1));
    const scale = Math.min(1, edge / Math.max(width, height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    const blob = await encode(canvas, quality);
    if (blob.size <= MAX_THUMB_BYTES) {
      return { bytes: new Uint8Array(await blob.arrayBuffer()), width: canvas.width, height: canvas.height };
    }
  }
  throw new Error("This image could not be made small enough for a thumbnail.");
}
