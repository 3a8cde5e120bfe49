// Wycheproof's JWS and JWK cases through pkg's browser build (pkg/browser/: what an SPA imports,
// without the native signature fallback) in headless Chromium, loaded the browser way
// (`await init()`), then tests/js/suites/wycheproof.mjs, as in node and workerd. The vectors are
// read here from ../shared/vectors/wycheproof/ (beside the project) and handed to the page; every
// decision, refusal codes included, must be node's (with the full build).
import { test, before, after } from "node:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { launch, serveRepo } from "./browser.mjs";
import stepup from "../js/load.mjs";
import { checkResults, checkSameDecisions, readVectors, runSuite } from "../js/suites/wycheproof.mjs";

const DIR = new URL("../../../shared/vectors/wycheproof/", import.meta.url);
const vectors = readVectors((file) => readFileSync(new URL(file, DIR), "utf8"), fileURLToPath(DIR));

let server;
let browser;
before(async () => {
  // A page of the repository's origin, from which pkg/ and tests/ can be imported.
  server = await serveRepo({ "/": (_, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html>") });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test("chromium: every Wycheproof JWS and JWK case decided as natively", async () => {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", e));
  await page.goto(`${server.url}/`);
  const results = await page.evaluate(async (vectors) => {
    const pkg = await import("/pkg/browser/index.js");
    await pkg.default();
    const { runSuite } = await import("/tests/js/suites/wycheproof.mjs");
    return runSuite(pkg, vectors);
  }, vectors);
  checkResults("chromium", results);
  checkSameDecisions("chromium", results, await runSuite(stepup, vectors));
});
