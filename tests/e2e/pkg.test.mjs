// pkg's browser build (pkg/browser/, what an SPA imports) in a real browser: loaded with `await init()` (fetching stepup_bg.wasm), then the same
// suites node and workerd run.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, serveRepo } from "./browser.mjs";

let server;
let browser;
let page;
before(async () => {
  server = await serveRepo();
  browser = await launch();
  page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", e));
  await page.goto(`${server.url}/tests/e2e/suites.html`);
  await page.waitForFunction(() => window.ready === true);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

for (const suite of ["request", "engine", "tokens", "verifier"]) {
  test(`chromium: ${suite} suite`, async () => {
    const results = await page.evaluate((s) => window.runSuite(s), suite);
    assert.ok(results.length > 10, `ran ${results.length} cases`);
    const failed = results.filter((r) => !r.ok);
    assert.deepEqual(failed, [], failed.map((f) => `${f.name}: ${f.error}`).join("\n"));
  });
}
