// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, and a static file
// server for the repository, both on loopback.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, normalize, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json", ".wasm": "application/wasm", ".html": "text/html", ".css": "text/css" };

/** Serves files under the repository root (only `pkg/`, `tests/` and `www/`). */
export async function serveRepo(extraRoutes = {}) {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (extraRoutes[path]) return extraRoutes[path](req, res);
    const file = normalize(join(ROOT, decodeURIComponent(path)));
    if (!/^\/(pkg|tests|www)\//.test(path) || !file.startsWith(ROOT)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** Chromium, headless; `options` go to Playwright's `launch` (e.g. `ignoreDefaultArgs`). */
export async function launch(options = {}) {
  return chromium.launch({
    ...options,
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/**
 * Goes through the local IdP's pages (tests/idp/) in `page` as `user` — password, then the
 * one-time code the page shows — until the browser is back on `origin`.
 */
export async function passIdp(page, origin, { user = "alice", password } = {}) {
  const passwords = { alice: "wonderland", bob: "builder" };
  await page.waitForURL((u) => !u.href.startsWith(origin));
  for (let step = 0; step < 4; step++) {
    await page.waitForLoadState();
    if (page.url().startsWith(origin)) return;
    // The next page may come at the same URL (the code step after the password), so wait for a
    // navigation, not for a new address.
    const submitted = page.waitForNavigation();
    if (await page.locator("#password").count()) {
      await page.fill("#username", user);
      await page.fill("#password", password ?? passwords[user]);
      await page.click("#sign-in");
    } else if (await page.locator("#otp").count()) {
      await page.fill("#otp", (await page.locator("#otp-code").textContent()).trim());
      await page.click("#verify");
    } else {
      throw new Error(`unexpected page at ${page.url()}: ${(await page.content()).slice(0, 500)}`);
    }
    await submitted;
  }
  await page.waitForURL((u) => u.href.startsWith(origin));
}

/**
 * Goes through the local IdP's pages in `popup` (a sign-in popup) as `user` until the popup
 * closes: the redirect URI's page hands the answer to the page that opened it and closes. The
 * IdP may answer at once (its session), with no page to fill in. Fails after 60 s.
 */
export async function passIdpInPopup(popup, { user = "alice", password } = {}) {
  const passwords = { alice: "wonderland", bob: "builder" };
  const closed = popup.waitForEvent("close", { timeout: 60_000 }).then(() => "closed");
  for (let step = 0; step < 4; step++) {
    const form = popup.waitForSelector("#password, #otp", { timeout: 30_000 }).then(() => "form", () => "closed");
    if ((await Promise.race([closed, form])) === "closed") return closed;
    // Commit, not load: the page after the last form may close as soon as it runs.
    const submitted = popup.waitForNavigation({ waitUntil: "commit" }).catch(() => {});
    if (await popup.locator("#password").count()) {
      await popup.fill("#username", user);
      await popup.fill("#password", password ?? passwords[user]);
      await popup.click("#sign-in");
    } else {
      await popup.fill("#otp", (await popup.locator("#otp-code").textContent()).trim());
      await popup.click("#verify");
    }
    await submitted;
  }
  return closed;
}
