// Refreshing the browser client's tokens (OIDC Core 12.2) in Chromium against the local IdP:
// Fief's refresh answers acr "0" ("authenticated through a refresh token"), a downgrade the
// client reports, while the stronger token still in force stays usable; Auth0's keeps the
// multi-factor level. `fetch` refreshes an expired token by itself.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, serveRepo } from "./browser.mjs";
import { PAGE, clientPages } from "./client-page.mjs";
import { API_AUDIENCE, spaClient, startIdp } from "../idp/server.mjs";

const MFA_URI = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
let app, browser;

before(async () => {
  // An API that echoes the bearer token it was called with.
  app = await serveRepo({
    "/api/echo": (req, res) => res.writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ authorization: req.headers.authorization ?? null })),
  });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await app?.close();
});

/**
 * Signs in with `signIn` options at `profile`'s IdP, then runs `fn(page, idp, claims)`; the IdP
 * and the browser context are closed afterwards.
 */
async function signedIn(profile, signIn, fn) {
  const idp = await startIdp({ profile, clients: [spaClient([`${app.url}${PAGE}`])] });
  const context = await browser.newContext();
  try {
    const pages = clientPages({ base: app.url, idp, preset: profile, resource: API_AUDIENCE });
    const page = await pages.open(context);
    const result = await pages.viaIdp(page, (o) => { window.client.signIn(o); }, signIn);
    assert.ok(result.ok, JSON.stringify(result));
    await fn(page, idp, result.ok.claims);
  } finally {
    await context.close();
    await idp.close();
  }
}

const refresh = (page, requirement) => page.evaluate(async (r) => {
  try {
    return await window.client.refresh(r);
  } catch (e) {
    return { error: e.code };
  }
}, requirement);

/** Makes every held access token look expired, as time passing would. */
const expireAccessTokens = (page) => page.evaluate(() => {
  for (const key of Object.keys(sessionStorage).filter((k) => k.endsWith(":tokens"))) {
    const sets = JSON.parse(sessionStorage.getItem(key)).map((s) => ({ ...s, expiresAt: 1 }));
    sessionStorage.setItem(key, JSON.stringify(sets));
  }
});

test("Fief: a refresh comes back at level 0; the client says so and keeps the level 1 token while it lasts", async () => {
  await signedIn("fief", { acrValues: ["1"] }, async (page, idp, claims) => {
    assert.equal(claims.acr, "1");
    const tokenRequests = idp.hits("/token");
    const result = await refresh(page);
    assert.equal(idp.hits("/token"), tokenRequests + 1);
    assert.equal(result.downgraded, true, JSON.stringify(result));
    assert.equal(result.claims.acr, "0");
    assert.equal(result.claims.sub, "alice");
    assert.equal(result.claims.auth_time, claims.auth_time, "a refresh is no new authentication");
    assert.deepEqual(result.previous, { acr: "1", amr: claims.amr });

    const held = await page.evaluate(() => ({
      basic: window.client.accessToken(),
      level1: window.client.accessToken({ acr: ["1"] }),
      session: window.client.session({ acr: ["1"] }).satisfied,
    }));
    assert.ok(held.basic && held.level1 && held.basic !== held.level1, "both levels held (RFC 9470 §2)");
    assert.equal(held.session, true, "the level 1 access token is still in force");

    // Once it expires, nothing at level 1 can be refreshed: only a sign-in helps.
    await expireAccessTokens(page);
    assert.equal((await page.evaluate(() => window.client.session({ acr: ["1"] }))).satisfied, false);
    assert.deepEqual(await refresh(page, { acr: ["1"] }), { error: "ERR_STEP_UP_REQUIRED" });
    const again = await refresh(page);
    assert.equal(again.downgraded, false, "level 0 refreshed stays level 0");
    assert.equal(again.claims.acr, "0");
  });
});

test("Auth0: a refresh keeps the multi-factor level and its amr", async () => {
  await signedIn("auth0", { acrValues: [MFA_URI] }, async (page, _idp, claims) => {
    assert.equal(claims.acr, MFA_URI);
    assert.ok(claims.amr.includes("mfa"), JSON.stringify(claims.amr));
    const result = await refresh(page, { acr: [MFA_URI] });
    assert.equal(result.downgraded, false, JSON.stringify(result));
    assert.equal(result.claims.acr, MFA_URI);
    assert.deepEqual(result.claims.amr, claims.amr);
    assert.equal(result.previous, undefined);
  });
});

test("fetch refreshes an expired access token before calling; a refused refresh token is dropped", async () => {
  await signedIn("auth0", { acrValues: [MFA_URI] }, async (page, idp) => {
    const before = await page.evaluate(() => window.client.accessToken());
    await expireAccessTokens(page);
    assert.equal(await page.evaluate(() => window.client.accessToken()), undefined);
    const tokenRequests = idp.hits("/token");
    const sent = await page.evaluate(async () => (await (await window.client.fetch("/api/echo")).json()).authorization);
    assert.equal(idp.hits("/token"), tokenRequests + 1, "one refresh");
    const after = await page.evaluate(() => window.client.accessToken());
    assert.ok(after && after !== before);
    assert.equal(sent, `Bearer ${after}`);

    // A refresh token the provider does not know (revoked, expired) is refused with
    // invalid_grant: it is dropped, and with its access token expired the sign-in is over.
    await expireAccessTokens(page);
    await page.evaluate(() => {
      const key = Object.keys(sessionStorage).find((k) => k.endsWith(":tokens"));
      const sets = JSON.parse(sessionStorage.getItem(key)).map((s) => ({ ...s, refreshToken: "revoked" }));
      sessionStorage.setItem(key, JSON.stringify(sets));
    });
    const asked = idp.hits("/token");
    assert.deepEqual(await refresh(page), { error: "ERR_STEP_UP_REQUIRED" });
    assert.equal(idp.hits("/token"), asked + 1, "the refresh token was tried, and refused");
    assert.equal((await page.evaluate(() => window.client.session())).signedIn, false);
    assert.deepEqual(await refresh(page), { error: "ERR_STEP_UP_REQUIRED" }, "nothing left to refresh");
    assert.equal(idp.hits("/token"), asked + 1, "the refused token was dropped, not tried again");
  });
});

test("a sign-out while a refresh is under way stays a sign-out: the refresh's answer signs nobody back in", async () => {
  await signedIn("auth0", { acrValues: [MFA_URI] }, async (page, idp) => {
    await expireAccessTokens(page);
    // The token endpoint answers late, so the sign-out lands while the refresh waits for it.
    idp.setTokenMode("lagging");
    try {
      const asked = idp.hits("/token");
      await page.evaluate(() => { window.refreshing = window.client.refresh().then(() => "refreshed", (e) => e.code); });
      // Signed out once the refresh has reached the provider, while it waits for the answer.
      for (let i = 0; idp.hits("/token") === asked; i++) {
        assert.ok(i < 200, "the refresh never reached the provider");
        await new Promise((r) => setTimeout(r, 10));
      }
      const outcome = await page.evaluate(async () => {
        await window.client.signOut();
        const refresh = await window.refreshing;
        return { refresh, signedIn: window.client.session().signedIn, token: window.client.accessToken() ?? null,
          stored: Object.keys(sessionStorage).filter((k) => k.startsWith("stepup:")) };
      });
      assert.equal(idp.hits("/token"), asked + 1, "the refresh reached the provider");
      assert.deepEqual(outcome, { refresh: "ERR_STEP_UP_REQUIRED", signedIn: false, token: null, stored: [] });
    } finally {
      idp.setTokenMode("ok");
    }
  });
});
