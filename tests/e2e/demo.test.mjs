// The demo bank (www/, `make demo`) in headless Chromium, for each ACR dialect of the local IdP:
// sign in, read the balance, transfer (the guard's API challenges, the SPA steps up with a
// one-time code and replays the transfer), a refused level shown as a typed error without a
// loop, and "change email" after the freshness window. Screenshots of each step go to
// tests/e2e/artifacts/ (not committed).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { launch, passIdp } from "./browser.mjs";
import { startDemo } from "../../www/demo.mjs";

const ARTIFACTS = new URL("./artifacts/", import.meta.url);
mkdirSync(ARTIFACTS, { recursive: true });
const EMAIL_MAX_AGE = 2; // seconds; the guard adds its 30 s clock tolerance

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A fresh browser on the demo, signed in as `user` at the basic level. */
async function signedIn(demo, user, shots) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e));
  await page.goto(`${demo.url}/`);
  await page.click("#sign-in");
  await passIdp(page, demo.url, { user });
  await page.waitForFunction(() => /\d/.test(document.getElementById("balance").textContent));
  await shots(page, "signed-in");
  assert.equal(await page.textContent("#sub"), user);
  return { context, page };
}

const screenshots = (profile) => (page, step) =>
  page.screenshot({ path: new URL(`${profile}-${step}.png`, ARTIFACTS).pathname, fullPage: true });

for (const profile of ["wso2", "fief", "auth0", "janssen"]) {
  test(`${profile}: sign in, balance, a transfer that steps up with a one-time code`, async () => {
    const demo = await startDemo({ profile, port: 0, emailMaxAge: EMAIL_MAX_AGE });
    const shots = screenshots(profile);
    try {
      const { context, page } = await signedIn(demo, "alice", shots);
      const before = await page.textContent("#balance");

      await page.click("#transfer");
      await passIdp(page, demo.url, { user: "alice" });
      await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Sent"));
      await shots(page, "transferred");
      // What the guard forwarded from the access token: Fief's carry acr but no amr (the local
      // IdP issues each dialect's own shape, tests/idp/config.mjs).
      const saw = profile === "fief" ? /The API saw acr 2, amr \(none\)\.$/ : /The API saw acr .*, amr .*otp/;
      assert.match(await page.textContent("#status"), /^Sent €125\.00 to Bob Builder\. /);
      assert.match(await page.textContent("#status"), saw);
      assert.notEqual(await page.textContent("#balance"), before);
      assert.equal(await page.isVisible("#error"), false);
      await context.close();
    } finally {
      await demo.stop();
    }
  });
}

test("wso2: bob cannot reach multi-factor: a typed error, no loop; email needs a recent sign-in", async () => {
  const demo = await startDemo({ profile: "wso2", port: 0, emailMaxAge: EMAIL_MAX_AGE });
  const shots = screenshots("wso2-bob");
  try {
    const { context, page } = await signedIn(demo, "bob", shots);
    await page.click("#transfer");
    await page.waitForSelector("#error:not([hidden])");
    await shots(page, "refused");
    assert.match(await page.textContent("#error"), /unmet_authentication_requirements/);
    await page.waitForTimeout(1000);
    assert.ok(page.url().startsWith(demo.url), "still on the bank, not sent back to the IdP");

    // The freshness window of "change email" runs out (plus the guard's 30 s tolerance).
    await page.waitForTimeout((EMAIL_MAX_AGE + 31) * 1000);
    const address = await page.inputValue("#new-email");
    await page.click("#change-email");
    await passIdp(page, demo.url, { user: "bob" });
    await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Statements"));
    await shots(page, "email-changed");
    assert.equal(await page.textContent("#email"), address);
    await context.close();
  } finally {
    await demo.stop();
  }
});
