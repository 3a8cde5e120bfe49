// Popup sign-in and popup step-up of the browser client (pkg's `Client`) in headless Chromium
// against the local IdP and an API behind the edge guard in workerd: the page keeps its state
// and the call is replayed once, in the page; the tokens land in the page that opened the popup
// (even with the "memory" store); only the popup's own answer with the state bound to it counts;
// a blocked, closed or too slow popup is a typed error. Every wait is bounded.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, passIdp } from "./browser.mjs";
import { PAGE } from "./client-page.mjs";
import { startClientApp } from "./client-app.mjs";

const WAIT = { timeout: 15_000 };
let app, browser, pages;

before(async () => {
  app = await startClientApp();
  pages = app.pages();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await app?.stop();
});

/** What the call the page started with `window.track` settled to (client.html). */
const outcome = async (page) => {
  await page.waitForFunction(() => window.outcome !== undefined, undefined, WAIT);
  return page.evaluate(() => window.outcome);
};

/** The authorization requests `context`'s pages make, as the IdP receives them. */
function authorizations(context) {
  const seen = [];
  context.on("request", (r) => {
    const url = new URL(r.url());
    if (r.isNavigationRequest() && url.searchParams.has("code_challenge")) seen.push(Object.fromEntries(url.searchParams));
  });
  return seen;
}

/** The client's keys in the page's sessionStorage and localStorage, sorted. */
const storedKeys = (page) => page.evaluate(() => [sessionStorage, localStorage].flatMap((s) => Object.keys(s).filter((k) => k.startsWith("stepup:"))).sort());

test("a popup step-up keeps the page's state, stores the tokens here and replays the call once", { timeout: 90_000 }, async () => {
  const context = await browser.newContext();
  const asked = authorizations(context);
  const page = await pages.open(context);
  const signedIn = await pages.viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  assert.equal(signedIn.ok?.claims.acr, "LOA1", JSON.stringify(signedIn));
  // The page's state: a half-filled form and a value in memory, which a reload would lose.
  await page.evaluate(() => {
    document.body.insertAdjacentHTML("beforeend", '<form><input id="to"><input id="amount"></form>');
    window.pageLife = "the same page";
  });
  await page.fill("#to", "Carol Danvers");
  await page.fill("#amount", "42.50");
  app.calls.length = 0;

  const popupOpened = page.waitForEvent("popup", WAIT);
  await page.evaluate(() => { window.track(window.client.fetch("/api/mfa", { method: "POST", body: '{"amount":"42.50"}' }, { stepUp: "popup" })); });
  const popup = await popupOpened;
  await pages.answerInPopup(popup);
  const result = await outcome(page);
  assert.deepEqual(result, { ok: { status: 200, body: { path: "/api/mfa", method: "POST", body: '{"amount":"42.50"}', sub: "alice", acr: "LOA2" } } });
  assert.deepEqual(app.calls.map((c) => [c.path, c.acr]), [["/api/mfa", "LOA2"]], "the API got the call once (the guard answered the first with its challenge)");

  // What the popup asked the IdP for: the challenge's level, with a state marked as a popup's.
  const step = asked.at(-1);
  assert.equal(step.acr_values, "LOA2");
  assert.match(step.state, /^popup\./);
  assert.equal(step.redirect_uri, `${app.base}${PAGE}`);
  // The page stayed: no reload, the form as the user left it, the tokens in this page's store,
  // nothing saved for a redirect's resume().
  const after = await page.evaluate(async () => ({
    life: window.pageLife,
    form: [document.getElementById("to").value, document.getElementById("amount").value],
    level: window.client.session({ acr: ["LOA2"] }).satisfied,
    resumed: await window.client.resume(),
  }));
  assert.deepEqual(after, { life: "the same page", form: ["Carol Danvers", "42.50"], level: true, resumed: null });
  assert.deepEqual(await storedKeys(page), ["stepup:stepup-spa:kept", "stepup:stepup-spa:signedout", "stepup:stepup-spa:tokens"], "no transaction or saved call left behind");
  assert.equal(app.calls.length, 1, "replayed once");
  await context.close();
});

test("signIn and stepUp in a popup with the memory store: the tokens land in the page that opened it", { timeout: 90_000 }, async () => {
  const memory = app.pages({ store: "memory" });
  const context = await browser.newContext();
  const page = await memory.open(context);
  const popupOpened = page.waitForEvent("popup", WAIT);
  await page.evaluate(() => { window.track(window.client.signIn({ popup: true, acrValues: ["LOA1"] })); });
  await memory.answerInPopup(await popupOpened);
  const signedIn = await outcome(page);
  assert.equal(signedIn.ok?.claims.acr, "LOA1", JSON.stringify(signedIn));
  assert.equal(signedIn.ok.claims.sub, "alice");
  assert.deepEqual(Object.keys(signedIn.ok), ["claims"]);
  assert.deepEqual(await storedKeys(page), ["stepup:stepup-spa:signedout"], "nothing in sessionStorage or localStorage but the origin's sign-out mark");

  // A step-up in a window the page opened itself (auth0-spa-js's config.popup).
  let popups = 0;
  page.on("popup", () => { popups += 1; });
  const ownOpened = page.waitForEvent("popup", WAIT);
  await page.evaluate(() => { window.track(window.client.stepUp({ acr: ["LOA2"] }, { popup: window.open("", "my-popup", "width=400,height=600") })); });
  await memory.answerInPopup(await ownOpened);
  const stepped = await outcome(page);
  assert.equal(stepped.ok?.claims.acr, "LOA2", JSON.stringify(stepped));
  assert.equal(popups, 1, "the page's own window was used, no other opened");
  const calls = await page.evaluate(async () => Promise.all(["/api/basic", "/api/mfa"].map(async (path) => (await (await window.client.fetch(path)).json()).acr)));
  assert.deepEqual(calls, ["LOA1", "LOA2"], "both levels held in memory, each used where it suffices");
  await context.close();
});

test("the popup's answer counts only from that popup, with the state bound to it", { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await pages.open(context);
  const popupOpened = page.waitForEvent("popup", WAIT);
  await page.evaluate(() => { window.track(window.client.signIn({ popup: true, acrValues: ["LOA1"] })); });
  const popup = await popupOpened;
  await popup.waitForSelector("#password", WAIT);
  const tokenCalls = app.idp.hits("/token");
  // Another window (here the page itself) posting a well-formed answer with another state is
  // not the popup: waited past.
  await page.evaluate(({ base, page }) => window.postMessage(JSON.stringify({ stepup: "authorization_response", url: `${base}${page}?code=x&state=popup.forged` }), location.origin), { base: app.base, page: PAGE });
  await page.waitForTimeout(500);
  assert.equal(await page.evaluate(() => window.outcome), undefined, "still waiting for the popup");
  // The popup itself coming back with a response that is not this sign-in's: refused.
  await popup.goto(`${app.base}${PAGE}?code=x&state=popup.forged&iss=${encodeURIComponent(app.idp.issuer)}`);
  await pages.ready(popup);
  const closed = popup.waitForEvent("close", WAIT);
  await popup.evaluate(() => { window.client.handleCallback(); }).catch(() => {});
  await closed;
  const refused = await outcome(page);
  assert.equal(refused.error?.code, "ERR_AUTH_RESPONSE_INVALID", JSON.stringify(refused));
  assert.equal(refused.error.param, "state");
  assert.equal(app.idp.hits("/token"), tokenCalls, "no code was exchanged");
  assert.equal((await page.evaluate(() => window.client.session())).signedIn, false);

  // A callback page with a popup's state but no page that opened it says so.
  const orphan = await pages.open(context);
  const alone = await orphan.evaluate((url) => window.client.handleCallback(url).catch((e) => ({ code: e.code, param: e.param, message: e.message })), `${app.base}${PAGE}?code=x&state=popup.abc`);
  assert.deepEqual({ ...alone, message: undefined }, { code: "ERR_AUTH_RESPONSE_INVALID", param: "state", message: undefined });
  assert.match(alone.message, /no page of this origin that opened it is open/);
  assert.equal(app.idp.hits("/token"), tokenCalls, "no code was exchanged");
  await context.close();
});

test("an IdP that cannot reach the level answers through the popup: a typed error, nothing stored", { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await pages.open(context);
  const popupOpened = page.waitForEvent("popup", WAIT);
  await page.evaluate(() => { window.track(window.client.signIn({ popup: true, acrValues: ["LOA2"] })); });
  await pages.answerInPopup(await popupOpened, "bob");
  const refused = await outcome(page);
  assert.equal(refused.error?.code, "ERR_AUTH_RESPONSE_ERROR", JSON.stringify(refused));
  assert.equal(refused.error.error, "unmet_authentication_requirements");
  assert.deepEqual(await storedKeys(page), ["stepup:stepup-spa:signedout"], "only the origin's sign-out mark");
  await context.close();
});

test("a closed popup and a popup that takes too long are ERR_STEP_UP_REQUIRED with their reason, and change nothing", { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await pages.open(context);
  const signedIn = await pages.viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  assert.equal(signedIn.ok?.claims.acr, "LOA1", JSON.stringify(signedIn));
  const tokensBefore = await page.evaluate(() => sessionStorage.getItem("stepup:stepup-spa:tokens"));
  const exchanges = app.idp.hits("/token");
  // Closed by the user at the IdP's sign-in page.
  let popupOpened = page.waitForEvent("popup", WAIT);
  await page.evaluate(() => { window.track(window.client.stepUp({ acr: ["LOA2"], maxAge: 300 }, { popup: true })); });
  const popup = await popupOpened;
  await popup.waitForURL((u) => u.href.startsWith(app.idp.issuer) && u.pathname.includes("/interaction/"), WAIT);
  await popup.close();
  const closed = await outcome(page);
  assert.deepEqual(
    { ...closed.error, message: undefined },
    // What the step-up asked for: the LOA1 sign-in is fresh, so only the acr falls short.
    { name: "StepUpError", code: "ERR_STEP_UP_REQUIRED", reason: "popup_closed", acrValues: ["LOA2"], maxAge: undefined, param: undefined, error: undefined, message: undefined },
  );
  assert.match(closed.error.message, /closed before the sign-in finished/);

  // Left open past timeoutInSeconds: the client gives up and closes it.
  popupOpened = page.waitForEvent("popup", WAIT);
  const began = Date.now();
  await page.evaluate(() => { window.track(window.client.signIn({ popup: true, acrValues: ["LOA1"], timeoutInSeconds: 1 })); });
  const slow = await popupOpened;
  const slowClosed = slow.waitForEvent("close", WAIT);
  const timedOut = await outcome(page);
  assert.equal(timedOut.error?.reason, "popup_timeout", JSON.stringify(timedOut));
  assert.equal(timedOut.error.code, "ERR_STEP_UP_REQUIRED");
  assert.deepEqual(timedOut.error.acrValues, ["LOA1"]);
  const took = Date.now() - began;
  assert.ok(took >= 1000 && took < 10_000, `gave up after ${took} ms`);
  await slowClosed;
  // Nothing was exchanged or stored: the LOA1 sign-in is as it was, and no transaction is left.
  assert.equal(app.idp.hits("/token"), exchanges, "no code redeemed");
  assert.deepEqual(await storedKeys(page), ["stepup:stepup-spa:kept", "stepup:stepup-spa:signedout", "stepup:stepup-spa:tokens"]);
  assert.equal(await page.evaluate(() => sessionStorage.getItem("stepup:stepup-spa:tokens")), tokensBefore);
  await context.close();
});

test("a blocked popup is ERR_STEP_UP_REQUIRED with reason popup_blocked, from signIn and from fetch", { timeout: 90_000 }, async () => {
  // Chromium as users run it: its popup blocker on (Playwright turns it off by default), and
  // calls made with no user activation (Playwright's evaluate always has one, so these go
  // through the DevTools protocol with userGesture false).
  const blocking = await launch({ ignoreDefaultArgs: ["--disable-popup-blocking"] });
  try {
    const context = await blocking.newContext();
    const page = await pages.open(context);
    const signedIn = await pages.viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
    assert.equal(signedIn.ok?.claims.acr, "LOA1", JSON.stringify(signedIn));
    let popups = 0;
    page.on("popup", () => { popups += 1; });
    const cdp = await context.newCDPSession(page);
    // `settle` ms first: the activation a Playwright call gave the page lasts 5 s. The page never
    // waits longer than 10 s for the call, so this cannot hang.
    const withoutActivation = async (call, settle = 0) => {
      const expression = `(async () => {
        await new Promise((r) => setTimeout(r, ${settle}));
        const active = navigator.userActivation.isActive;
        const limit = new Promise((r) => setTimeout(() => r({ hung: true }), 10000));
        const settled = (${call})().then(() => ({ settled: "resolved" }), (e) => ({ name: e.name, code: e.code, reason: e.reason, acrValues: e.acrValues }));
        return { active, ...(await Promise.race([settled, limit])) };
      })()`;
      const { result, exceptionDetails } = await cdp.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true, userGesture: false });
      assert.equal(exceptionDetails, undefined, JSON.stringify(exceptionDetails));
      return result.value;
    };
    app.calls.length = 0;
    const asked = app.idp.hits("/auth");
    assert.deepEqual(
      await withoutActivation('() => window.client.signIn({ popup: true, acrValues: ["LOA2"] })', 5500),
      { active: false, name: "StepUpError", code: "ERR_STEP_UP_REQUIRED", reason: "popup_blocked", acrValues: ["LOA2"] },
    );
    assert.deepEqual(
      await withoutActivation('() => window.client.fetch("/api/mfa", { method: "POST", body: "{}" }, { stepUp: "popup" })'),
      { active: false, name: "StepUpError", code: "ERR_STEP_UP_REQUIRED", reason: "popup_blocked", acrValues: ["LOA2"] },
      "the challenge's level, to ask for from a click",
    );
    assert.equal(popups, 0);
    assert.equal(app.idp.hits("/auth"), asked, "nothing was asked of the IdP");
    assert.deepEqual(app.calls, [], "the challenged call was not replayed");

    // The same call from a click opens the popup in this browser: the blocker, not the client,
    // refused the calls above.
    await page.evaluate(() => { document.body.insertAdjacentHTML("beforeend", '<button id="go">Sign in</button>'); });
    await page.evaluate(() => document.getElementById("go").addEventListener("click", () => {
      window.track(window.client.signIn({ popup: true, acrValues: ["LOA2"] }));
    }));
    const popupOpened = page.waitForEvent("popup", WAIT);
    await page.click("#go");
    const popup = await popupOpened;
    await popup.waitForURL((u) => u.href.startsWith(app.idp.issuer), WAIT);
    await popup.close();
    assert.equal((await outcome(page)).error?.reason, "popup_closed");
    await context.close();
  } finally {
    await blocking.close();
  }
});

test("popup options: mistakes are TypeErrors naming the option", { timeout: 30_000 }, async () => {
  const context = await browser.newContext();
  const page = await pages.open(context);
  const named = await page.evaluate(async () => {
    const name = (e) => [e.name, e.code, e.param];
    const c = window.client;
    return [
      await c.signIn({ popup: "yes" }).catch(name),
      await c.signIn({ popup: { location: {} } }).catch(name),
      await c.signIn({ popup: true, returnTo: "/x" }).catch(name),
      await c.signIn({ timeoutInSeconds: 5 }).catch(name),
      await c.stepUp({ acr: ["LOA2"] }, { popup: true, timeoutInSeconds: -1 }).catch(name),
      await c.fetch("/api/basic", undefined, { stepUp: "window" }).catch(name),
      await c.fetch("/api/basic", undefined, { stepUp: true, timeoutInSeconds: 5 }).catch(name),
      (() => { try { c.onChange("not a function"); } catch (e) { return name(e); } })(),
    ];
  });
  assert.deepEqual(named, [
    ["TypeError", "ERR_INVALID_ARG_TYPE", "popup"],
    ["TypeError", "ERR_INVALID_ARG_TYPE", "popup"],
    ["TypeError", "ERR_INVALID_ARG_VALUE", "returnTo"],
    ["TypeError", "ERR_INVALID_ARG_VALUE", "timeoutInSeconds"],
    ["TypeError", "ERR_INVALID_ARG_VALUE", "timeoutInSeconds"],
    ["TypeError", "ERR_INVALID_ARG_VALUE", "stepUp"],
    ["TypeError", "ERR_INVALID_ARG_VALUE", "timeoutInSeconds"],
    ["TypeError", "ERR_INVALID_ARG_TYPE", "listener"],
  ]);
  assert.equal(context.pages().length, 1, "no popup opened for a call refused");
  await context.close();
});

/** A client with the page's client id for another issuer (a tenant's own provider), its discovery given. */
const otherIssuersClient = (base) => {
  const issuer = "https://tenant-b.example";
  const metadata = {
    issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`,
    response_types_supported: ["code"], subject_types_supported: ["public"], id_token_signing_alg_values_supported: ["RS256"],
  };
  window.otherClient = new window.stepup.Client({ issuer, clientId: "stepup-spa", redirectUri: `${base}/tests/e2e/client.html`, metadata });
};

test("X03: a sign-out here, in another tab or by another issuer's client of the same id cancels a popup step-up under way: the popup closes, nothing is stored or replayed", { timeout: 150_000 }, async () => {
  for (const where of ["here", "another tab", "another issuer's client"]) {
    const context = await browser.newContext();
    const page = await pages.open(context);
    const signedIn = await pages.viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
    assert.equal(signedIn.ok?.claims.acr, "LOA1", JSON.stringify(signedIn));
    const other = where === "another tab" ? await pages.open(context) : page;
    if (where === "another issuer's client") await page.evaluate(otherIssuersClient, app.base);
    const signOut = where === "another issuer's client" ? () => window.otherClient.signOut() : () => window.client.signOut();
    app.calls.length = 0;
    const exchanges = app.idp.hits("/token");
    const popupOpened = page.waitForEvent("popup", WAIT);
    await page.evaluate(() => { window.track(window.client.fetch("/api/mfa", { method: "POST", body: "{}" }, { stepUp: "popup" })); });
    const popup = await popupOpened;
    await popup.waitForURL((u) => u.href.startsWith(app.idp.issuer) && u.pathname.includes("/interaction/"), WAIT);
    const closed = popup.waitForEvent("close", WAIT);
    await other.evaluate(signOut);
    await closed;
    const cancelled = await outcome(page);
    assert.equal(cancelled.error?.code, "ERR_STEP_UP_REQUIRED", `${where}: ${JSON.stringify(cancelled)}`);
    assert.equal(cancelled.error.reason, "popup_closed");
    // Nothing got through: the app behind the guard saw no call (the guard answered the first
    // with its challenge), no code was redeemed, and the page is signed out with nothing of the
    // client's left.
    assert.deepEqual(app.calls.map((c) => [c.path, c.acr]), [], where);
    assert.equal(app.idp.hits("/token"), exchanges, where);
    assert.equal((await page.evaluate(() => window.client.session())).signedIn, false, where);
    // Only the origin's sign-out mark, which a tab away at the provider finds on its return.
    assert.deepEqual(await storedKeys(page), ["stepup:stepup-spa:signedout"], where);
    await context.close();
  }
});

test("X03: a sign-out while the popup's code is being exchanged stays a sign-out: the answer is not stored and the call not replayed", { timeout: 90_000 }, async () => {
  const context = await browser.newContext();
  const page = await pages.open(context);
  const signedIn = await pages.viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  assert.equal(signedIn.ok?.claims.acr, "LOA1", JSON.stringify(signedIn));
  app.calls.length = 0;
  const exchanges = app.idp.hits("/token");
  // The token endpoint answers late, so the sign-out lands after the popup answered and before
  // the page has the tokens.
  app.idp.setTokenMode("lagging");
  try {
    const popupOpened = page.waitForEvent("popup", WAIT);
    await page.evaluate(() => { window.track(window.client.fetch("/api/mfa", { method: "POST", body: "{}" }, { stepUp: "popup" })); });
    await pages.answerInPopup(await popupOpened);
    const began = Date.now();
    while (app.idp.hits("/token") === exchanges && Date.now() - began < 15_000) await new Promise((r) => setTimeout(r, 5));
    assert.equal(app.idp.hits("/token"), exchanges + 1, "the code exchange began");
    await page.evaluate(() => window.client.signOut());
    const cancelled = await outcome(page);
    assert.equal(cancelled.error?.code, "ERR_AUTH_RESPONSE_INVALID", JSON.stringify(cancelled));
    assert.equal(cancelled.error.param, "state");
    assert.match(cancelled.error.message, /cancelled by a sign-out/);
  } finally {
    app.idp.setTokenMode("ok");
  }
  assert.deepEqual(app.calls, [], "the call was not replayed");
  assert.equal((await page.evaluate(() => window.client.session())).signedIn, false);
  assert.deepEqual(await storedKeys(page), ["stepup:stepup-spa:signedout"]);
  await context.close();
});

test("X06: a callback is completed only by the client of the issuer its sign-in went to; another issuer's client leaves it", { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await pages.open(context);
  await page.evaluate(() => { window.client.signIn({ acrValues: ["LOA1"] }); });
  await passIdp(page, app.base);
  await pages.ready(page);
  await page.evaluate(otherIssuersClient, app.base);
  const exchanges = app.idp.hits("/token");
  const result = await page.evaluate(async () => {
    const refused = await window.otherClient.handleCallback().catch((e) => ({ code: e.code, param: e.param, message: e.message }));
    const { claims } = await window.client.handleCallback();
    return { refused, acr: claims.acr };
  });
  assert.equal(result.refused.code, "ERR_AUTH_RESPONSE_INVALID", JSON.stringify(result));
  assert.equal(result.refused.param, "state");
  assert.match(result.refused.message, /another issuer/);
  assert.equal(result.acr, "LOA1", "its own client completed it");
  assert.equal(app.idp.hits("/token"), exchanges + 1, "one code exchange, by the right client");
  await context.close();
});

for (const store of ["session", "local"]) test(`X19: a sign-out by another issuer's client of the same id, in another tab, signs this tab's client out at once, as its return would (this client's store: ${store})`, { timeout: 60_000 }, async () => {
  const pages = app.pages({ store: store === "session" ? undefined : store });
  const context = await browser.newContext();
  const page = await pages.open(context);
  const signedIn = await pages.viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  assert.equal(signedIn.ok?.claims.acr, "LOA1", JSON.stringify(signedIn));
  await page.evaluate(() => {
    window.heard = [];
    window.client.onChange((event) => window.heard.push(event.type));
  });
  // Another tab, where only the other issuer's client signs out.
  const other = await pages.open(context);
  await other.evaluate(otherIssuersClient, app.base);
  await other.evaluate(() => window.otherClient.signOut());
  await page.waitForFunction(() => window.heard.length > 0, undefined, WAIT);
  app.calls.length = 0;
  const after = await page.evaluate(async () => {
    const res = await window.client.fetch("/api/basic", { method: "POST", body: "{}" });
    return { heard: window.heard, signedIn: window.client.session().signedIn, status: res.status };
  });
  assert.deepEqual(after, { heard: ["signedOut"], signedIn: false, status: 401 });
  assert.deepEqual(app.calls, [], "the call went with no token: the guard refused it");
  assert.deepEqual(await storedKeys(page), ["stepup:stepup-spa:signedout"]);
  await context.close();
});

test("free() during a popup sign-in closes the popup and ends the sign-in with ERR_INVALID_STATE", { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await pages.open(context);
  const popupOpened = page.waitForEvent("popup", WAIT);
  await page.evaluate(() => { window.track(window.client.signIn({ popup: true, acrValues: ["LOA1"] })); });
  const popup = await popupOpened;
  await popup.waitForURL((u) => u.href.startsWith(app.idp.issuer) && u.pathname.includes("/interaction/"), WAIT);
  const closed = popup.waitForEvent("close", WAIT);
  // A component that unmounts frees its client while the user is at the provider.
  await page.evaluate(() => window.client.free());
  await closed;
  const ended = await outcome(page);
  assert.equal(ended.error?.code, "ERR_INVALID_STATE", JSON.stringify(ended));
  assert.deepEqual((await storedKeys(page)).filter((k) => k.endsWith(":tokens")), [], "no tokens stored");
  await context.close();
});
