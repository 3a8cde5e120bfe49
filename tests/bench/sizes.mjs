// What users ship: pkg as published, the peers bundled and minified with esbuild, and the edge
// worker as a deployment uploads it. Sizes are gzip -9, the compression Cloudflare's limit counts.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const ROOT = new URL("../../", import.meta.url);
const read = (path) => readFileSync(new URL(path, ROOT));
const measure = (...parts) => ({
  raw: parts.reduce((sum, p) => sum + p.length, 0),
  gzip: parts.reduce((sum, p) => sum + gzipSync(p, { level: 9 }).length, 0),
});

/** One minified ES module bundle of `source` (resolved from the repository root). */
async function bundle(source, options = {}) {
  const result = await build({
    stdin: { contents: source, resolveDir: new URL(".", ROOT).pathname, loader: "js" },
    bundle: true, minify: true, format: "esm", platform: "neutral", write: false, logLevel: "silent",
    ...options,
  });
  return result.outputFiles[0].contents;
}

export async function sizes() {
  const wasm = read("pkg/stepup_bg.wasm");
  return {
    pkg: measure(wasm, read("pkg/stepup.js"), read("pkg/index.js"), read("pkg/verifier.js"), read("pkg/guard.js")),
    jose: measure(await bundle('export { jwtVerify, createLocalJWKSet } from "jose"')),
    oauth4webapi: measure(await bundle('export * from "oauth4webapi"')),
    // worker.js with stepup.js in one module, and the wasm module beside it, as wrangler uploads.
    worker: measure(wasm, await bundle('export { default } from "./worker/worker.js"', { external: ["*.wasm"] })),
  };
}

/** The suite with jose in one module, for workerd and Chromium (tests/bench/out/suite.js). */
export async function bundleSuite() {
  await build({
    entryPoints: [new URL("suite.mjs", import.meta.url).pathname],
    outfile: new URL("out/suite.js", import.meta.url).pathname,
    bundle: true, format: "esm", platform: "neutral", logLevel: "warning",
  });
}
