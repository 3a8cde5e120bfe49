// What users ship: each build of pkg as published, what a browser downloads of an SPA that
// imports stepup (built by Vite from the packed package), the peers bundled and minified with
// esbuild, and the edge worker as a deployment uploads it. Sizes are gzip -9, the compression
// Cloudflare's limit counts.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { build as vite } from "vite";

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

/** The JavaScript and wasm files of a build of pkg (`dir`: "pkg/" or "pkg/browser/"). */
const files = (dir) => readdirSync(new URL(dir, ROOT)).filter((f) => /\.(js|wasm)$/.test(f)).sort();

/**
 * The SPA of tests/bench/spa/ built by Vite for production, with stepup installed from
 * `npm pack pkg` as a user installs it; Vite resolves it with its default browser conditions.
 * Every emitted JavaScript and wasm file counts: it is what the browser downloads.
 */
async function spa() {
  const out = new URL("tests/bench/out/spa/", ROOT);
  rmSync(out, { recursive: true, force: true });
  cpSync(new URL("tests/bench/spa/", ROOT), out, { recursive: true });
  const installed = new URL("node_modules/stepup/", out);
  mkdirSync(installed, { recursive: true });
  const [{ filename }] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", out.pathname, "pkg/"],
    { cwd: ROOT, encoding: "utf8" }));
  execFileSync("tar", ["-xzf", new URL(filename, out).pathname, "--strip-components=1", "-C", installed.pathname]);
  const dist = new URL("dist/", out);
  await vite({ root: out.pathname, logLevel: "silent", configFile: false, build: { outDir: dist.pathname } });
  const emitted = readdirSync(new URL("assets/", dist)).filter((f) => /\.(js|wasm)$/.test(f)).sort();
  const contents = emitted.map((f) => readFileSync(new URL(`assets/${f}`, dist)));
  // The figure is the browser build's only if Vite resolved the package's `browser` export.
  if (!contents.some((c) => c.equals(read("pkg/browser/stepup_bg.wasm")))) {
    throw new Error(`the SPA's build (${emitted.join(", ")}) does not carry pkg/browser/stepup_bg.wasm`);
  }
  return { files: emitted, ...measure(...contents) };
}

export async function sizes() {
  const wasm = read("pkg/stepup_bg.wasm");
  const ofBuild = (dir) => ({ files: files(dir), ...measure(...files(dir).map((f) => read(`${dir}${f}`))) });
  return {
    full: ofBuild("pkg/"),
    browser: ofBuild("pkg/browser/"),
    spa: await spa(),
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
