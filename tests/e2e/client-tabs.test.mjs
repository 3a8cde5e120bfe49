// Tabs that agree, in headless Chromium against the local IdP: two pages of one browser context
// with the browser client (pkg's `Client`). A sign-in, a step-up (by redirect or in a popup) and
// a sign-out in one tab reach the other's `onChange` listeners, over a BroadcastChannel, or, in a
// browser without one, as storage events of the shared "local" store; a tab never hears itself.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch } from "./browser.mjs";
import { startClientApp } from "./client-app.mjs";

const WAIT = { timeout: 15_000 };
let app, browser;

before(async () => {
  app = await startClientApp();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await app?.stop();
});

/** Records what `page`'s client hears from other tabs in `window.changes` (again after each page load). */
const listen = (page) => page.evaluate(() => {
  window.changes = [];
  window.stopListening = window.client.onChange((change) => window.changes.push(change));
});

/** Waits until `page` heard `count` changes; resolves to them as `[type, acr, sub]`. */
async function heard(page, count) {
  await page.waitForFunction((n) => window.changes.length >= n, count, WAIT);
  return page.evaluate(() => window.changes.map((c) => [c.type, c.claims?.acr, c.claims?.sub]));
}

/** A sign-in or step-up in a popup of `page`, answered as `user` would. */
async function inPopup(pages, page, call) {
  const opened = page.waitForEvent("popup", WAIT);
  await page.evaluate(call);
  await pages.answerInPopup(await opened);
  await page.waitForFunction(() => window.outcome !== undefined, undefined, WAIT);
  return page.evaluate(() => window.outcome);
}

test("BroadcastChannel, sessionStorage: each tab hears the other's sign-in, step-up and sign-out", { timeout: 120_000 }, async () => {
  const pages = app.pages();
  const context = await browser.newContext();
  const a = await pages.open(context);
  const b = await pages.open(context);
  await listen(a);
  await listen(b);
  assert.equal(await b.evaluate(() => typeof BroadcastChannel), "function");

  // A signs in by redirect: B hears it (A's page is new afterwards).
  const signedIn = await pages.viaIdp(a, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  assert.equal(signedIn.ok?.claims.acr, "LOA1", JSON.stringify(signedIn));
  assert.deepEqual(await heard(b, 1), [["signedIn", "LOA1", "alice"]]);
  await listen(a);
  // B has its own sessionStorage: it was told, it holds nothing.
  assert.equal((await b.evaluate(() => window.client.session())).signedIn, false);

  // B signs in, then steps up, in popups: A hears both.
  const first = await inPopup(pages, b, () => { window.track(window.client.signIn({ popup: true, acrValues: ["LOA1"] })); });
  assert.equal(first.ok?.claims.acr, "LOA1", JSON.stringify(first));
  assert.deepEqual(await heard(a, 1), [["signedIn", "LOA1", "alice"]]);
  const stepped = await inPopup(pages, b, () => { window.track(window.client.stepUp({ acr: ["LOA2"] }, { popup: true })); });
  assert.equal(stepped.ok?.claims.acr, "LOA2", JSON.stringify(stepped));
  assert.deepEqual(await heard(a, 2), [["signedIn", "LOA1", "alice"], ["signedIn", "LOA2", "alice"]]);
  assert.equal((await a.evaluate(() => window.client.session({ acr: ["LOA2"] }))).satisfied, false, "A's tokens are its own");

  // A stops one listener; then B signs out: A hears it and is signed out too.
  await a.evaluate(() => {
    window.stopped = [];
    const stop = window.client.onChange((c) => window.stopped.push(c));
    stop();
  });
  await b.evaluate(() => window.client.signOut());
  assert.deepEqual(await heard(a, 3), [["signedIn", "LOA1", "alice"], ["signedIn", "LOA2", "alice"], ["signedOut", undefined, undefined]]);
  assert.equal((await a.evaluate(() => window.client.session())).signedIn, false, "signed out here too");
  assert.deepEqual(await a.evaluate(() => Object.keys(sessionStorage).filter((k) => k.endsWith(":tokens"))), []);
  assert.deepEqual(await a.evaluate(() => window.stopped), [], "an unsubscribed listener hears nothing");
  assert.deepEqual(await heard(b, 1), [["signedIn", "LOA1", "alice"]], "B never heard itself");
  await context.close();
});

test("no BroadcastChannel, localStorage: storage events carry sign-ins and sign-outs, not refreshes", { timeout: 120_000 }, async () => {
  const pages = app.pages({ store: "local" });
  const context = await browser.newContext();
  await context.addInitScript(() => { delete window.BroadcastChannel; });
  const a = await pages.open(context);
  const b = await pages.open(context);
  assert.equal(await b.evaluate(() => typeof BroadcastChannel), "undefined");
  await listen(b);

  const signedIn = await pages.viaIdp(a, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  assert.equal(signedIn.ok?.claims.acr, "LOA1", JSON.stringify(signedIn));
  assert.deepEqual(await heard(b, 1), [["signedIn", "LOA1", "alice"]]);
  assert.equal((await b.evaluate(() => window.client.session())).signedIn, true, "the shared store holds the sign-in");
  await listen(a);

  // B steps up in a popup: A hears it and can use the LOA2 token at once.
  const stepped = await inPopup(pages, b, () => { window.track(window.client.stepUp({ acr: ["LOA2"] }, { popup: true })); });
  assert.equal(stepped.ok?.claims.acr, "LOA2", JSON.stringify(stepped));
  assert.deepEqual(await heard(a, 1), [["signedIn", "LOA2", "alice"]]);
  assert.equal(await a.evaluate(async () => (await (await window.client.fetch("/api/mfa")).json()).acr), "LOA2");

  // A refresh renews the tokens of the same sign-in: no change to tell.
  const renewed = await a.evaluate(async () => (await window.client.refresh({ acr: ["LOA2"] })).claims.acr);
  assert.equal(renewed, "LOA2");
  await b.waitForTimeout(500);
  assert.deepEqual(await heard(b, 1), [["signedIn", "LOA1", "alice"]], "the refresh was not told as a sign-in");

  await a.evaluate(() => window.client.signOut());
  assert.deepEqual(await heard(b, 2), [["signedIn", "LOA1", "alice"], ["signedOut", undefined, undefined]]);
  assert.equal((await b.evaluate(() => window.client.session())).signedIn, false);
  assert.deepEqual(await heard(a, 1), [["signedIn", "LOA2", "alice"]], "A never heard itself");
  await context.close();
});
