// The browser client (pkg's `Client`) in headless Chromium against the local IdP and an API
// behind the edge guard in workerd: sign-in, the callback, tokens kept per level, an RFC 9470
// challenge met by a step-up and a single replay, a refused level as a typed error.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, passIdp, serveRepo } from "./browser.mjs";
import { PAGE, clientPages } from "./client-page.mjs";
import { API_AUDIENCE, edgeClient, spaClient, startIdp } from "../idp/server.mjs";
import { freePort, guardEnv, startWorkerd } from "../js/workerd.mjs";

let idp, app, worker, browser, base, open, ready, viaIdp;

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  idp = await startIdp({ profile: "wso2", clients: [spaClient([`${base}${PAGE}`]), edgeClient([`${base}/callback`])] });
  // The app: this page and an API that echoes who the guard says is calling.
  const api = (req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ path: req.url, method: req.method, sub: req.headers["x-stepup-sub"], acr: req.headers["x-stepup-acr"] }));
  };
  app = await serveRepo({ "/api/basic": api, "/api/mfa": api });
  worker = await startWorkerd(new URL("../../worker/config.capnp", import.meta.url), {
    port,
    env: guardEnv(idp, {
      STEPUP_UPSTREAM: app.url,
      STEPUP_API_AUDIENCE: API_AUDIENCE,
      STEPUP_RULES: [{ path: "/api/basic", acr: ["LOA1"], api: true }, { path: "/api/mfa", acr: ["LOA2"], api: true }],
    }),
  });
  browser = await launch();
  ({ open, ready, viaIdp } = clientPages({ base, idp, preset: "wso2", resource: API_AUDIENCE }));
});
after(async () => {
  await browser?.close();
  await worker?.stop();
  await app?.close();
  await idp?.close();
});

const call = (page, path, options) => page.evaluate(async ({ path, options }) => {
  try {
    const res = await window.client.fetch(path, { method: "POST", body: "{}" }, options);
    return { status: res.status, cache: res.headers.get("cache-control"), body: await res.json() };
  } catch (e) {
    return { error: JSON.parse(JSON.stringify({ code: e.code, acrValues: e.acrValues, maxAge: e.maxAge })) };
  }
}, { path, options });

test("sign in, call the API, meet its step-up challenge, replay once; both tokens are kept", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  assert.deepEqual(await page.evaluate(() => window.client.session()), { signedIn: false, satisfied: false, reasons: [] });

  const signedIn = await viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  assert.equal(signedIn.ok?.claims.acr, "LOA1", JSON.stringify(signedIn));
  assert.equal(signedIn.ok.claims.sub, "alice");
  assert.equal(signedIn.ok.returnTo, `${base}${PAGE}`);

  const basic = await call(page, "/api/basic");
  assert.deepEqual(basic.body, { path: "/api/basic", method: "POST", sub: "alice", acr: "LOA1" });
  assert.equal(basic.cache, "private, no-store", "a bearer-authenticated answer is never shared (G09)");
  assert.deepEqual(await call(page, "/api/mfa"), { error: { code: "ERR_STEP_UP_REQUIRED", acrValues: ["LOA2"] } });
  const status = await page.evaluate(() => window.client.session({ acr: ["LOA2"] }));
  assert.equal(status.satisfied, false);
  assert.deepEqual(status.acrValues, ["LOA2"]);

  // The step-up: the saved call is replayed once after the callback.
  await page.evaluate(() => { window.client.fetch("/api/mfa", { method: "POST", body: "{}" }, { stepUp: true }); });
  await passIdp(page, base);
  await ready(page);
  const resumed = await page.evaluate(async () => {
    const { claims } = await window.client.handleCallback();
    const res = await window.client.resume();
    return { acr: claims.acr, status: res.status, body: await res.json(), again: await window.client.resume() };
  });
  assert.deepEqual(resumed, { acr: "LOA2", status: 200, body: { path: "/api/mfa", method: "POST", sub: "alice", acr: "LOA2" }, again: null });

  // WSO2 names its authenticators in amr; the wso2 policy's amrMapping reads them as RFC 8176
  // names, so a requirement written in those is met, and one the token lacks is not.
  const methods = await page.evaluate(() => ({
    met: window.client.session({ amr: { all: ["pwd", "otp"] } }),
    unmet: window.client.session({ amr: { all: ["sms"] } }),
  }));
  assert.deepEqual(methods.met.claims.amr, ["BasicAuthenticator", "totp"]);
  assert.equal(methods.met.satisfied, true, JSON.stringify(methods.met));
  assert.equal(methods.unmet.satisfied, false);
  assert.deepEqual(methods.unmet.reasons, ["amr"]);

  // RFC 9470 §2: the weaker token is still used where it suffices.
  const picks = await page.evaluate(() => ({
    basic: window.client.accessToken({ acr: ["LOA1"] }),
    mfa: window.client.accessToken({ acr: ["LOA2"] }),
    session: window.client.session({ acr: ["LOA2"], maxAge: 300 }),
  }));
  assert.ok(picks.basic && picks.mfa && picks.basic !== picks.mfa);
  assert.equal(picks.session.satisfied, true);
  assert.ok(picks.session.expiresIn > 250 && picks.session.expiresIn <= 330, `expiresIn ${picks.session.expiresIn}`);
  assert.equal((await call(page, "/api/basic")).body.acr, "LOA1");
  assert.equal((await call(page, "/api/mfa")).body.acr, "LOA2", "retried once with the stronger token");
  await context.close();
});

test("auth0.js and Lock spellings ask for the same thing", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  const urls = await page.evaluate(async () => {
    const query = async (o) => Object.fromEntries(new URL(await window.client.authorizationUrl(o)).searchParams);
    return [await query({ acr_values: "LOA2 LOA1", max_age: 60 }), await query({ auth: { params: { acr_values: "LOA2 LOA1", max_age: 60 } } }), await query({ acrValues: ["LOA2", "LOA1"], maxAge: 60 })];
  });
  for (const q of urls) {
    assert.equal(q.acr_values, "LOA2 LOA1");
    assert.equal(q.max_age, "60");
    assert.equal(q.code_challenge_method, "S256");
    assert.equal(q.resource, "https://api.stepup.test");
  }
  await context.close();
});

test("an IdP that cannot reach the level is a typed error; a replayed callback is refused", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  const refused = await viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA2"] }); }, undefined, "bob");
  assert.equal(refused.error?.code, "ERR_AUTH_RESPONSE_ERROR", JSON.stringify(refused));
  assert.equal(refused.error.error, "unmet_authentication_requirements");
  const replay = await page.evaluate(async () => window.client.handleCallback().catch((e) => e.code));
  assert.equal(replay, "ERR_AUTH_RESPONSE_INVALID", "the transaction was used up");
  assert.equal((await page.evaluate(() => window.client.session())).signedIn, false);
  await context.close();
});
