// Builds dist/app.js (minified ESM for browsers, with a source map) from src/main.js.
// Reproducible: same sources and lockfile give the same bytes (no timestamps, no absolute paths).
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { dirname } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));

await build({
  absWorkingDir: here,
  entryPoints: ["src/main.js"],
  outfile: "dist/app.js",
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  minify: true,
  sourcemap: "linked",
  sourcesContent: false,
  legalComments: "none",
  charset: "utf8",
  logLevel: "info",
});
