// The demo bank (www/, `make demo`) in headless Chromium, for each ACR dialect of the local IdP:
// sign in, read the balance, transfer (the guard's API challenges, the SPA steps up with a
// one-time code in a popup, keeps the half-filled page and replays the transfer once), a refused
// level shown as a typed error without a loop, "change email" after the freshness window (a
// step-up that leaves the page and resumes), and signing out of the bank and the IdP.
// Screenshots of each step go to tests/e2e/artifacts/ (not committed).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { launch, passIdp, passIdpInPopup } from "./browser.mjs";
import { startDemo } from "../../www/demo.mjs";
import { EDGE_CLIENT_ID, EDGE_CLIENT_SECRET } from "../idp/server.mjs";

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

/** Clicks `selector`, which steps up in a popup, and signs in there as `user`. */
async function inPopup(page, selector, user) {
  const opened = page.waitForEvent("popup", { timeout: 15_000 });
  await page.click(selector);
  await passIdpInPopup(await opened, { user });
}

for (const profile of ["wso2", "fief", "auth0", "janssen"]) {
  test(`${profile}: sign in, balance, a transfer that steps up in a popup and keeps the page`, async () => {
    const demo = await startDemo({ profile, port: 0, emailMaxAge: EMAIL_MAX_AGE });
    const shots = screenshots(profile);
    try {
      const { context, page } = await signedIn(demo, "alice", shots);
      const before = await page.textContent("#balance");
      // A transfer filled in, another form half-filled, and something only this page load holds.
      await page.fill("#transfer-to", "Carol Danvers");
      await page.fill("#transfer-amount", "42.50");
      await page.fill("#new-email", "half@filled.test");
      await page.evaluate(() => { window.pageLife = "the same page"; });
      const calls = demo.apiCalls.length;

      await inPopup(page, "#transfer", "alice");
      await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Sent"));
      await shots(page, "transferred");
      // What the guard forwarded from the access token: Fief's carry acr but no amr (the local
      // IdP issues each dialect's own shape, tests/idp/config.mjs).
      const saw = profile === "fief" ? /The API saw acr 2, amr \(none\)\.$/ : /The API saw acr .*, amr .*otp/;
      assert.match(await page.textContent("#status"), /^Sent €42\.50 to Carol Danvers\. /);
      assert.match(await page.textContent("#status"), saw);
      assert.notEqual(await page.textContent("#balance"), before);
      assert.equal(await page.isVisible("#error"), false);
      // The page was never left: the forms as the user left them, nothing reloaded.
      assert.deepEqual(
        await page.evaluate(() => [window.pageLife, ...["transfer-to", "transfer-amount", "new-email"].map((id) => document.getElementById(id).value)]),
        ["the same page", "Carol Danvers", "42.50", "half@filled.test"],
      );
      assert.equal(page.url(), `${demo.url}/`);
      // The API received the transfer once (the guard answered the first try with its challenge).
      assert.deepEqual(demo.apiCalls.slice(calls), ["POST /api/transfer alice"]);
      assert.equal(await page.locator("#transactions li").count(), 1);
      assert.match(await page.textContent("#transactions"), /Carol Danvers−€42\.50/);
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
    const authorizations = demo.idp.hits("/auth");
    const popups = [];
    context.on("page", (p) => popups.push(p));
    await inPopup(page, "#transfer", "bob");
    await page.waitForSelector("#error:not([hidden])");
    await shots(page, "refused");
    assert.match(await page.textContent("#error"), /unmet_authentication_requirements/);
    assert.deepEqual(demo.apiCalls.filter((c) => c.startsWith("POST /api/transfer")), [],
      "bob's transfer never reached the API");
    // No loop: one popup and one authorization request, and none after the error.
    await page.waitForTimeout(1000);
    assert.equal(popups.length, 1, "one popup");
    assert.equal(demo.idp.hits("/auth") - authorizations, 1, "one authorization request");

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

test("wso2: signing out ends the IdP's session and the tokens the API took; another tab is signed out too", async () => {
  const demo = await startDemo({ profile: "wso2", port: 0 });
  const shots = screenshots("wso2-sign-out");
  try {
    const { context, page } = await signedIn(demo, "alice", shots);
    const other = await context.newPage();
    await other.goto(`${demo.url}/`);
    await other.waitForSelector("#sign-in:not([hidden])");
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("stepup:stepup-spa:tokens"))[0].accessToken);
    const introspect = async () => {
      const res = await fetch(`${demo.idp.issuer}/token/introspection`, {
        method: "POST",
        headers: { authorization: `Basic ${Buffer.from(`${EDGE_CLIENT_ID}:${EDGE_CLIENT_SECRET}`).toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token }),
      });
      return (await res.json()).active;
    };
    assert.equal(await introspect(), true, "the API's token is live before");
    // A second tab signs in on its own: the IdP's session answers, no password asked (nothing
    // here would fill it in).
    await other.click("#sign-in");
    await other.waitForFunction(() => /\d/.test(document.getElementById("balance")?.textContent ?? ""));

    const calls = demo.apiCalls.length;
    const ended = page.waitForRequest((r) => r.isNavigationRequest() && r.url().includes("/session/end"));
    await page.click("#sign-out");
    const end = new URL((await ended).url()).searchParams;
    assert.deepEqual([...end.keys()].sort(), ["client_id", "id_token_hint", "post_logout_redirect_uri", "state"]);
    assert.equal(end.get("post_logout_redirect_uri"), `${demo.url}/signed-out`);
    await page.waitForSelector("button[name=logout]");
    await shots(page, "idp-logout");
    await page.click("button[name=logout]");
    await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Signed out"));
    await shots(page, "signed-out");
    assert.equal(page.url(), `${demo.url}/`);
    assert.equal(await page.isVisible("#sign-in"), true);
    assert.equal(await page.isVisible("#error"), false);
    assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith("stepup:"))), []);
    // The other tab heard it and signed out too.
    await other.waitForFunction(() => document.getElementById("status").textContent === "You signed out in another tab.");
    assert.equal(await other.isVisible("#sign-in"), true);
    assert.deepEqual(await other.evaluate(() => Object.keys(sessionStorage).filter((k) => k.endsWith(":tokens"))), []);
    // The IdP revoked what it issued in that session: the introspection the guard asks says so
    // (an answer the guard already holds counts until STEPUP_INTROSPECTION_CACHE_SECONDS pass:
    // README, "Access-token profiles").
    assert.equal(await introspect(), false, "the access token the API took is no longer active");

    // A new sign-in asks for the password again; nothing reached the API in between.
    await page.click("#sign-in");
    await page.waitForURL((u) => !u.href.startsWith(demo.url));
    await page.waitForSelector("#password");
    await shots(page, "password-again");
    await passIdp(page, demo.url, { user: "alice" });
    await page.waitForFunction(() => /\d/.test(document.getElementById("balance").textContent));
    assert.equal(await page.textContent("#sub"), "alice");
    assert.deepEqual(demo.apiCalls.slice(calls), ["GET /api/balance alice"]);
    await context.close();
  } finally {
    await demo.stop();
  }
});
