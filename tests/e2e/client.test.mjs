// The browser client (pkg's `Client`) in headless Chromium against the local IdP and an API
// behind the edge guard in workerd: sign-in, the callback, tokens kept per level, an RFC 9470
// challenge met by a step-up and a single replay, a refused level as a typed error.
import { test, before, after } from "node:test";
import { createServer } from "node:http";
import assert from "node:assert/strict";
import { launch, passIdp, serveRepo } from "./browser.mjs";
import { PAGE, clientPages } from "./client-page.mjs";
import { SPA_CLIENT_ID } from "../idp/server.mjs";
import { API_AUDIENCE, edgeClient, spaClient, startIdp } from "../idp/server.mjs";
import { freePort, guardEnv, startWorkerd } from "../js/workerd.mjs";

let idp, app, worker, browser, base, open, ready, viaIdp, answerInPopup;
/** What the vendor-shaped APIs were called with: `[path, acr the guard verified]`. */
const vendorCalls = [];
/** What reached the echoing APIs: `[path, sub the guard verified]`. */
const apiCalls = [];
/** Where the app's `/moved` sends the browser, if anywhere (a test sets it). */
let movedTo;
/** How long `/api/slower` works before its challenge, in ms (a test may need longer). */
let slowerMs = 3000;
// An Entra claims challenge (Conditional Access authentication context): access token `acrs`
// and an essential `id_token.acr`, which the local IdP honours.
const ENTRA_CLAIMS = { access_token: { acrs: { essential: true, value: "LOA2" } }, id_token: { acr: { essential: true, values: ["LOA2"] } } };

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  idp = await startIdp({
    profile: "wso2",
    clients: [spaClient([`${base}${PAGE}`], { post_logout_redirect_uris: [`${base}${PAGE}`] }), edgeClient([`${base}/callback`])],
  });
  // The app: this page and an API that echoes who the guard says is calling.
  const api = (req, res) => {
    apiCalls.push([req.url, req.headers["x-stepup-sub"]]);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ path: req.url, method: req.method, sub: req.headers["x-stepup-sub"], acr: req.headers["x-stepup-acr"] }));
  };
  // APIs that judge the level themselves and answer as each vendor does: Okta's MyAccount API a
  // 403 `insufficient_authentication_context`, an Entra-protected API a 401 claims challenge.
  const vendor = (status, challenge) => (req, res) => {
    const acr = req.headers["x-stepup-acr"];
    vendorCalls.push([req.url, acr]);
    if (acr === "LOA2") return api(req, res);
    res.writeHead(status, { "www-authenticate": challenge, "content-type": "application/json" });
    res.end("{}");
  };
  const entra = Buffer.from(JSON.stringify(ENTRA_CLAIMS)).toString("base64");
  app = await serveRepo({
    "/moved": (req, res) => {
      res.writeHead(307, { location: movedTo });
      res.end();
    },
    "/api/basic": api,
    // An API slow to answer, then with a step-up challenge (X24).
    "/api/slow": (req, res) => {
      apiCalls.push([req.url, req.headers["x-stepup-sub"]]);
      setTimeout(() => {
        res.writeHead(401, { "www-authenticate": 'Bearer error="insufficient_user_authentication", acr_values="LOA2"' });
        res.end();
      }, 700);
    },
    // Slower still: long enough for a 2 s access token to expire while it works (X30, X33).
    "/api/slower": (req, res) => {
      apiCalls.push([req.url, req.headers["x-stepup-sub"]]);
      setTimeout(() => {
        res.writeHead(401, { "www-authenticate": 'Bearer error="insufficient_user_authentication", acr_values="LOA2"' });
        res.end();
      }, slowerMs);
    },
    "/api/mfa": api,
    // An API the guard does not guard, which asks for a step-up itself (X33).
    "/open/challenge": (req, res) => {
      apiCalls.push([req.url, req.headers.authorization === undefined ? "no token" : "a token"]);
      res.writeHead(401, { "www-authenticate": 'Bearer error="insufficient_user_authentication", acr_values="LOA2"' });
      res.end();
    },
    "/api/okta": vendor(403, 'Bearer error="insufficient_authentication_context", error_description="The resource requires more authentication", acr_values="LOA2"'),
    "/api/entra": vendor(401, `Bearer realm="", authorization_uri="${"https://login.example/authorize"}", error="insufficient_claims", claims="${entra}"`),
    // A claims request the client refuses to send on (a member it does not know).
    "/api/entra-bogus": vendor(401, `Bearer error="insufficient_claims", claims="${Buffer.from(JSON.stringify({ ...ENTRA_CLAIMS, bogus: 1 })).toString("base64")}"`),
  });
  worker = await startWorkerd(new URL("../../worker/config.capnp", import.meta.url), {
    port,
    env: guardEnv(idp, {
      STEPUP_UPSTREAM: app.url,
      STEPUP_API_AUDIENCE: API_AUDIENCE,
      STEPUP_RULES: [
        { path: "/api/basic", acr: ["LOA1"], api: true },
        { path: "/api/slow", acr: ["LOA1"], api: true },
        { path: "/api/slower", acr: ["LOA1"], api: true },
        { path: "/api/mfa", acr: ["LOA2"], api: true },
        { path: "/api/okta", acr: ["LOA1"], api: true },
        { path: "/api/entra", acr: ["LOA1"], api: true },
        { path: "/api/entra-bogus", acr: ["LOA1"], api: true },
      ],
    }),
  });
  browser = await launch();
  ({ open, ready, viaIdp, answerInPopup } = clientPages({ base, idp, preset: "wso2", resource: API_AUDIENCE }));
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

/**
 * Back on the page after a step-up: the callback, then the saved call replayed (its status and
 * what the API answered), then `resume()` again, which must find nothing left to replay.
 */
const callbackAndResume = (page) => page.evaluate(async () => {
  const { claims } = await window.client.handleCallback();
  const res = await window.client.resume();
  return { acr: claims.acr, status: res.status, body: await res.json(), again: await window.client.resume() };
});

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
  const resumed = await callbackAndResume(page);
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

/** What another origin answers by default: JSON `{}`, with CORS for this page. */
function allowing(req, res) {
  const cors = { "access-control-allow-origin": base, "access-control-allow-headers": "authorization, content-type", "access-control-allow-methods": "GET, POST" };
  res.writeHead(req.method === "OPTIONS" ? 204 : 200, { ...cors, "content-type": "application/json" });
  res.end(req.method === "OPTIONS" ? undefined : "{}");
}

/**
 * Runs `body({ origin, seen })` with another origin (another port) that answers as `answer` does
 * and records `[method, path, Authorization]` of every call that reached it (preflights aside)
 * in `seen`; closed afterwards.
 */
async function withOtherOrigin(body, answer = allowing) {
  const seen = [];
  const other = createServer((req, res) => {
    if (req.method !== "OPTIONS") seen.push([req.method, req.url, req.headers.authorization]);
    answer(req, res);
  });
  await new Promise((resolve) => other.listen(0, "127.0.0.1", resolve));
  try {
    await body({ origin: `http://127.0.0.1:${/** @type {import("node:net").AddressInfo} */ (other.address()).port}`, seen });
  } finally {
    await new Promise((resolve) => other.close(resolve));
  }
}

/** A page in a new browser context, signed in at LOA1. */
async function signedInPage() {
  const context = await browser.newContext();
  const page = await open(context);
  const signedIn = await viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  assert.equal(signedIn.ok?.claims.acr, "LOA1", JSON.stringify(signedIn));
  return { context, page };
}

/** Runs `fn` while the provider issues access tokens that last `seconds`. */
async function withTokenTtl(seconds, fn) {
  idp.setAccessTokenTtl(seconds);
  try {
    return await fn();
  } finally {
    idp.setAccessTokenTtl(600);
  }
}

/** alice signed in at LOA1 on `page` (through `pages`), her access token lasting `seconds`. */
async function signedInBriefly(page, seconds, pages = { viaIdp }) {
  const signedIn = await withTokenTtl(seconds, () => pages.viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); }));
  assert.equal(signedIn.ok?.claims.sub, "alice", JSON.stringify(signedIn));
}

const later = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Has `answer(route)` answer every refresh at the provider's token endpoint in `context`; a
 * sign-in's code exchange goes through as usual.
 */
const onRefresh = (context, answer) => context.route((url) => url.href.startsWith(idp.issuer) && url.pathname.endsWith("/token"), (route) =>
  new URLSearchParams(route.request().postData() ?? "").get("grant_type") === "refresh_token" ? answer(route) : route.continue());

/** The provider's refusal of a refresh token (RFC 6749 §5.2). */
const refuse = (route) => route.fulfill({ status: 400, contentType: "application/json", body: '{"error":"invalid_grant"}' });

test("X01 X02: tokens go only to the page's origin, resource's and apiOrigins: a call elsewhere is refused before anything is sent", () => withOtherOrigin(async ({ origin, seen }) => {
  const { context, page } = await signedInPage();
  const refused = await page.evaluate(async (url) => {
    try {
      await window.client.fetch(url, { method: "POST", body: "{}" });
      return "sent";
    } catch (e) {
      return { code: e.code, name: e.name, message: e.message };
    }
  }, `${origin}/steal`);
  assert.equal(refused.code, "ERR_INVALID_ARG_VALUE", JSON.stringify(refused));
  assert.equal(refused.name, "TypeError");
  assert.match(refused.message, new RegExp(`${origin.replaceAll(".", "\\.")}$`));
  // A saved call someone wrote into this tab's storage, to another origin, is no call to replay;
  // nor is one whose header Fetch could not send.
  const tampered = await page.evaluate(async ({ url, key }) => {
    const saved = (u, headers) => JSON.stringify({ url: u, method: "POST", headers, body: "{}", requirement: {}, signIn: "x", ready: true });
    sessionStorage.setItem(key, saved(url, []));
    const foreign = await window.client.resume();
    sessionStorage.setItem(key, saved(location.origin + "/api/basic", [["bad name", "x"]]));
    const badHeader = await window.client.resume();
    return { foreign, badHeader };
  }, { url: `${origin}/replayed`, key: `stepup:${SPA_CLIENT_ID}:pending` });
  assert.deepEqual(tampered, { foreign: null, badHeader: null });
  assert.deepEqual(seen, [], "nothing reached the other origin");
  // Named in apiOrigins, the same origin gets the token.
  const sent = await page.evaluate(async ({ url, options }) => {
    const client = new window.stepup.Client({ ...options, policy: window.stepup.acrPolicy("wso2") });
    const res = await client.fetch(url, { method: "POST", body: "{}" });
    return { status: res.status, token: client.accessToken() };
  }, {
    url: `${origin}/allowed`,
    options: { issuer: idp.issuer, clientId: SPA_CLIENT_ID, redirectUri: `${base}${PAGE}`, resource: API_AUDIENCE, apiOrigins: [origin] },
  });
  assert.equal(sent.status, 200);
  assert.equal(typeof sent.token, "string");
  assert.deepEqual(seen, [["POST", "/allowed", `Bearer ${sent.token}`]]);
  await context.close();
}));

test("X12: a token goes only to the API its sign-in asked for: another client of the same id, for another resource, sends none", () => withOtherOrigin(async ({ origin, seen }) => {
  const { context, page } = await signedInPage();
  const out = await page.evaluate(async ({ url, options }) => {
    // The same client id and issuer, the same store, another API: `resource` at the other origin.
    const b = new window.stepup.Client({ ...options, policy: window.stepup.acrPolicy("wso2") });
    const res = await b.fetch(url, { method: "POST", body: "{}" });
    return { status: res.status, bToken: b.accessToken() ?? null, bSignedIn: b.session().signedIn, aToken: window.client.accessToken() };
  }, { url: `${origin}/b`, options: { issuer: idp.issuer, clientId: SPA_CLIENT_ID, redirectUri: `${base}${PAGE}`, resource: `${origin}/` } });
  assert.equal(out.status, 200);
  assert.equal(typeof out.aToken, "string", "the client whose sign-in it was holds its token");
  assert.equal(out.bToken, null, "the other API's client has no token of its own");
  assert.equal(out.bSignedIn, true, "the user is signed in all the same");
  assert.deepEqual(seen, [["POST", "/b", undefined]], "the other API got no token");
  // The first client's own API gets its token.
  const own = await call(page, "/api/basic");
  assert.equal(own.status, 200, JSON.stringify(own));
  await context.close();
}));

test("X21: a call saved for a step-up is left for its own client: another client of the same id, for another API, neither drops nor replays it", async () => {
  const { context, page } = await signedInPage();
  await page.evaluate(() => { window.client.fetch("/api/mfa", { method: "POST", body: '{"n":1}' }, { stepUp: true }); });
  await passIdp(page, base);
  await ready(page);
  const reached = apiCalls.length;
  const out = await page.evaluate(async (options) => {
    const { claims } = await window.client.handleCallback();
    // The same client id, issuer and store; another API.
    const other = new window.stepup.Client({ ...options, policy: window.stepup.acrPolicy("wso2") });
    const byOther = await other.resume();
    const res = await window.client.resume();
    return { acr: claims.acr, byOther, status: res.status, body: await res.json(), again: await window.client.resume() };
  }, { issuer: idp.issuer, clientId: SPA_CLIENT_ID, redirectUri: `${base}${PAGE}`, resource: `${base}/other-api/` });
  assert.deepEqual(out, { acr: "LOA2", byOther: null, status: 200, body: { path: "/api/mfa", method: "POST", sub: "alice", acr: "LOA2" }, again: null });
  assert.deepEqual(apiCalls.slice(reached), [["/api/mfa", "alice"]], "replayed once, by its own client");
  await context.close();
});

test("X14: a stored token that no header can carry fails the call with a code, and nothing is sent", async () => {
  const { context, page } = await signedInPage();
  const reached = apiCalls.length;
  const out = await page.evaluate(async (key) => {
    // Tokens stored before the token endpoint's answers were checked: one with a line feed, one
    // with a character past U+00FF.
    const results = [];
    for (const bad of ["a\nb", "a\u20acb"]) {
      const sets = JSON.parse(sessionStorage.getItem(key));
      for (const set of sets) if (set.accessToken) set.accessToken = bad;
      sessionStorage.setItem(key, JSON.stringify(sets));
      try {
        await window.client.fetch("/api/basic", { method: "POST", body: "{}" });
        results.push("sent");
      } catch (e) {
        results.push({ code: e.code, name: e.name });
      }
    }
    return results;
  }, `stepup:${SPA_CLIENT_ID}:tokens`);
  assert.deepEqual(out, [{ code: "ERR_FETCH_FAILED", name: "StepUpError" }, { code: "ERR_FETCH_FAILED", name: "StepUpError" }]);
  assert.deepEqual(apiCalls.slice(reached), [], "the API saw no call");
  await context.close();
});

/**
 * A `fetch(path, …, { stepUp: true })` during which the page signs out after `ms`: what it
 * resolved to (its status, or "no answer" within 5 s) and the saved call or sign-in left behind.
 */
const signOutDuringCall = (page, path, ms) => page.evaluate(async ({ path, ms }) => {
  const call = window.client.fetch(path, { method: "POST", body: '{"to":"carol"}' }, { stepUp: true });
  await new Promise((resolve) => setTimeout(resolve, ms));
  await window.client.signOut();
  const res = await Promise.race([call, new Promise((resolve) => setTimeout(() => resolve("no answer"), 5000))]);
  return {
    status: res.status ?? res,
    kept: Object.keys(sessionStorage).filter((k) => k.endsWith(":pending") || k.includes(":tx:")),
  };
}, { path, ms });

test("X24: a call answered with a challenge after a sign-out comes back as it came: no step-up, no retry, nothing saved", async () => {
  const { context, page } = await signedInPage();
  const reached = apiCalls.length;
  const here = page.url();
  // Signed out while the API takes its time.
  const out = await signOutDuringCall(page, "/api/slow", 200);
  assert.deepEqual(out, { status: 401, kept: [] });
  assert.equal(page.url(), here, "no step-up: the page stayed");
  assert.deepEqual(apiCalls.slice(reached), [["/api/slow", "alice"]], "sent once, as alice");
  await context.close();
});

test("X26: handleCallback run twice at once (React's StrictMode) completes the step-up once and its saved call is still replayed once", async () => {
  const { context, page } = await signedInPage();
  await page.evaluate(() => { window.client.fetch("/api/mfa", { method: "POST", body: '{"n":2}' }, { stepUp: true }); });
  await passIdp(page, base);
  await ready(page);
  const reached = apiCalls.length;
  const out = await page.evaluate(async () => {
    const both = await Promise.allSettled([window.client.handleCallback(), window.client.handleCallback()]);
    const res = await window.client.resume();
    return {
      outcomes: both.map((o) => o.status === "fulfilled" ? o.value.claims.acr : o.reason.code).sort(),
      status: res?.status, body: await res?.json(), again: await window.client.resume(),
    };
  });
  assert.deepEqual(out, {
    outcomes: ["ERR_AUTH_RESPONSE_INVALID", "LOA2"],
    status: 200, body: { path: "/api/mfa", method: "POST", sub: "alice", acr: "LOA2" }, again: null,
  });
  assert.deepEqual(apiCalls.slice(reached), [["/api/mfa", "alice"]], "replayed once");
  await context.close();
});

test("X27: resume() sends the same call: its credentials, redirect, cache, referrer policy and mode as fetch() had them", async () => {
  const { context, page } = await signedInPage();
  // What each Request the client hands fetch() says of how it is sent, kept in this tab's
  // sessionStorage across the step-up's navigation.
  const record = () => page.evaluate(() => {
    const original = window.fetch;
    window.fetch = (input, init) => {
      if (input instanceof Request && input.url.includes("/api/")) {
        const { credentials, redirect, cache, referrerPolicy, mode } = input;
        // The page the call was made from, not the callback's URL with its code.
        const referrer = input.referrer === "about:client" ? location.href : input.referrer;
        const sent = JSON.parse(sessionStorage.getItem("test-sent") ?? "[]");
        sessionStorage.setItem("test-sent", JSON.stringify([...sent, { credentials, redirect, cache, referrerPolicy, mode, referrer }]));
      }
      return original(input, init);
    };
  });
  const how = { credentials: "omit", redirect: "error", cache: "no-store", referrerPolicy: "no-referrer", mode: "same-origin" };
  await record();
  const from = page.url();
  await page.evaluate((how) => { window.client.fetch("/api/mfa", { method: "POST", body: "{}", ...how }, { stepUp: true }); }, how);
  await passIdp(page, base);
  await ready(page);
  await record();
  const out = await page.evaluate(async () => {
    await window.client.handleCallback();
    const res = await window.client.resume();
    return { status: res.status, sent: JSON.parse(sessionStorage.getItem("test-sent")) };
  });
  // The first call as the app made it, then the replay the same.
  assert.deepEqual(out, { status: 200, sent: [{ ...how, referrer: from }, { ...how, referrer: from }] });
  await context.close();
});

test("X24: a sign-out while the step-up for a call is starting (the provider's discovery under way) cancels it: the page stays and nothing is saved", async () => {
  const { context, page } = await signedInPage();
  // A fresh page holds no discovery document: the step-up fetches it, slowly.
  await page.reload();
  await ready(page);
  await context.route(`${idp.issuer}/.well-known/openid-configuration`, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.continue();
  });
  const here = page.url();
  const reached = apiCalls.length;
  const out = await signOutDuringCall(page, "/api/mfa", 600);
  assert.deepEqual(out, { status: 401, kept: [] });
  assert.equal(page.url(), here, "no step-up: the page stayed");
  assert.deepEqual(apiCalls.slice(reached), [], "the API saw no call");
  await context.close();
});

for (const start of ["stepUp", "signIn"]) test(`X24: a sign-out while a ${start}() that leaves the page is starting cancels it: ERR_AUTH_RESPONSE_INVALID, the page stays, nothing is stored`, async () => {
  const { context, page } = await signedInPage();
  await page.reload();
  await ready(page);
  await context.route(`${idp.issuer}/.well-known/openid-configuration`, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.continue();
  });
  const here = page.url();
  const out = await page.evaluate(async (start) => {
    const begun = start === "stepUp" ? window.client.stepUp({ acr: ["LOA2"] }) : window.client.signIn({ acrValues: ["LOA1"] });
    await new Promise((resolve) => setTimeout(resolve, 600));
    await window.client.signOut();
    const ended = await Promise.race([begun.then(() => "went", (e) => e.code), new Promise((resolve) => setTimeout(() => resolve("no answer"), 5000))]);
    return { ended, kept: Object.keys(sessionStorage).filter((k) => k.includes(":tx:")), signedIn: window.client.session().signedIn };
  }, start);
  assert.deepEqual(out, { ended: "ERR_AUTH_RESPONSE_INVALID", kept: [], signedIn: false });
  assert.equal(page.url(), here, "the page stayed");
  await context.close();
});

test("X24: a sign-out while a challenged call's retry refreshes its token leaves the answer as it came: no retry, no error, no token kept", async () => {
  const { context, page } = await signedInPage();
  // alice also holds LOA2, whose access token has expired by the call: the retry that meets the
  // API's challenge must refresh it first.
  const stepped = await withTokenTtl(1, () => viaIdp(page, () => { window.client.stepUp({ acr: ["LOA2"] }); }));
  assert.equal(stepped.ok?.claims.acr, "LOA2", JSON.stringify(stepped));
  await later(1500);
  // The refresh takes its time at the provider; alice signs out meanwhile.
  let refreshes = 0;
  await onRefresh(context, async (route) => {
    refreshes++;
    await later(1500);
    await route.continue();
  });
  const reached = apiCalls.length;
  const out = await page.evaluate(async () => {
    const call = window.client.fetch("/api/mfa", { method: "POST", body: '{"to":"carol"}' });
    await new Promise((resolve) => setTimeout(resolve, 600));
    await window.client.signOut();
    const ended = await Promise.race([call.then((res) => res.status, (e) => e.code), new Promise((resolve) => setTimeout(() => resolve("no answer"), 5000))]);
    return { ended, signedIn: window.client.session().signedIn, tokens: Object.keys(sessionStorage).filter((k) => k.endsWith(":tokens")) };
  });
  assert.equal(refreshes, 1, "the retry refreshed once");
  // The guard's challenge, as the API's answer came: the call was made by alice, who is gone.
  assert.deepEqual(out, { ended: 401, signedIn: false, tokens: [] });
  assert.deepEqual(apiCalls.slice(reached), [], "the API saw no call");
  await context.close();
});

test("X15: a challenge from the origin an API redirected to asks for nothing: the app gets the answer, no step-up starts and no call is saved", () => withOtherOrigin(async ({ origin, seen }) => {
  movedTo = `${origin}/challenge`;
  try {
    const { context, page } = await signedInPage();
    const out = await page.evaluate(async () => {
      const res = await window.client.fetch("/moved", { method: "POST", body: "{}" }, { stepUp: true });
      return {
        status: res.status,
        redirected: res.redirected,
        here: location.pathname,
        stored: Object.keys(sessionStorage).filter((k) => k.includes(":pending") || k.includes(":tx:")),
      };
    });
    assert.deepEqual(out, { status: 401, redirected: true, here: new URL(PAGE, base).pathname, stored: [] });
    assert.deepEqual(seen, [["POST", "/challenge", undefined]], "the redirect target got the call, never a token");
    await context.close();
  } finally {
    movedTo = undefined;
  }
}, (req, res) => {
  // A challenge of its own choosing, readable by this page.
  res.writeHead(401, {
    "access-control-allow-origin": base,
    "access-control-expose-headers": "www-authenticate",
    "www-authenticate": 'Bearer error="insufficient_user_authentication", acr_values="evil-chosen"',
  });
  res.end();
}));

test("X16: a call whose body cannot be kept for resume() (not UTF-8 text, or more than storage holds) is refused with a code, and nothing starts or stays", async () => {
  const { context, page } = await signedInPage();
  const reached = apiCalls.length;
  const out = await page.evaluate(async () => {
    const attempt = (body) => window.client.fetch("/api/mfa", { method: "POST", body }, { stepUp: true }).then(
      () => "navigating",
      (e) => ({ code: e.code, param: e.param, name: e.name }),
    );
    return {
      binary: await attempt(new Uint8Array([0xff, 0x00, 0x80, 0x41])),
      huge: await attempt("x".repeat(6_000_000)),
      here: location.pathname,
      stored: Object.keys(sessionStorage).filter((k) => k.includes(":pending") || k.includes(":tx:")),
    };
  });
  assert.deepEqual(out.binary, { code: "ERR_INVALID_ARG_VALUE", param: "init.body", name: "TypeError" });
  assert.equal(out.huge.code, "ERR_FETCH_FAILED", JSON.stringify(out.huge));
  assert.deepEqual({ here: out.here, stored: out.stored }, { here: new URL(PAGE, base).pathname, stored: [] });
  // The guard answered both first calls with its challenge; the app saw neither.
  assert.deepEqual(apiCalls.slice(reached), []);
  await context.close();
});

for (const clears of [false, true]) test(`X04: a tab away at the provider when another tab signs out${clears ? " (and the app clears localStorage)" : ""} comes back signed out: its sign-in is cancelled and its saved call never replayed`, async () => {
  const context = await browser.newContext();
  const away = await open(context);
  const signedIn = await viaIdp(away, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  assert.equal(signedIn.ok?.claims.acr, "LOA1", JSON.stringify(signedIn));
  // A step-up that leaves the page, with the call saved for it.
  await away.evaluate(() => { window.client.fetch("/api/mfa", { method: "POST", body: '{"transfer":1}' }, { stepUp: true }); });
  await away.waitForURL((u) => u.href.startsWith(idp.issuer));
  // Meanwhile another tab signs out: the tab at the provider cannot hear it.
  const other = await open(context);
  await other.evaluate(async (clears) => {
    await window.client.signOut();
    if (clears) localStorage.clear();
  }, clears);
  const reached = apiCalls.length;
  await passIdp(away, base);
  await ready(away);
  const back = await away.evaluate(async () => {
    const held = window.client.session().signedIn;
    const callback = await window.client.handleCallback().then(() => "signed in", (e) => ({ code: e.code, param: e.param, message: e.message }));
    return { held, callback, resumed: await window.client.resume(), after: window.client.session().signedIn, keys: Object.keys(sessionStorage).filter((k) => k.startsWith("stepup:")) };
  });
  assert.equal(back.held, false, "the LOA1 tokens it held before the sign-out are gone");
  assert.equal(back.callback.code, "ERR_AUTH_RESPONSE_INVALID", JSON.stringify(back));
  assert.match(back.callback.message, /cancelled by a sign-out/);
  assert.deepEqual({ resumed: back.resumed, after: back.after, keys: back.keys }, { resumed: null, after: false, keys: [] });
  assert.equal(apiCalls.length, reached, "the call saved before the sign-out was not replayed");
  await context.close();
});

test("with the memory store, a call saved for a step-up is replayed after the sign-in, also once the origin has signed out before", async () => {
  const memory = clientPages({ base, idp, preset: "wso2", resource: API_AUDIENCE, store: "memory" });
  const context = await browser.newContext();
  const page = await memory.open(context);
  await page.evaluate(() => window.client.signOut());
  const signedIn = await memory.viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  assert.equal(signedIn.ok?.claims.acr, "LOA1", JSON.stringify(signedIn));
  // The memory store is gone with the page: the step-up's callback page starts with no tokens.
  await page.evaluate(() => { window.client.fetch("/api/mfa", { method: "POST", body: "{}" }, { stepUp: true }); });
  await passIdp(page, base);
  await memory.ready(page);
  const resumed = await callbackAndResume(page);
  assert.deepEqual(resumed, { acr: "LOA2", status: 200, body: { path: "/api/mfa", method: "POST", sub: "alice", acr: "LOA2" }, again: null });
  await context.close();
});

test("X30: with the memory store, a step-up is completed only by the user who stepped up: another user's sign-in at the provider is refused and the call never replayed as them", async () => {
  const memory = clientPages({ base, idp, preset: "wso2", resource: API_AUDIENCE, store: "memory" });
  const context = await browser.newContext();
  const page = await memory.open(context);
  const signedIn = await memory.viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  assert.equal(signedIn.ok?.claims.sub, "alice", JSON.stringify(signedIn));
  // alice's call needs a step-up; at the provider (its session gone), another user, who can
  // reach the level, signs in.
  await context.clearCookies();
  const reached = apiCalls.length;
  await page.evaluate(() => { window.client.fetch("/api/mfa", { method: "POST", body: '{"to":"carol"}' }, { stepUp: true }); });
  await passIdp(page, base, { user: "zoe smith", password: "zoetrope" });
  await memory.ready(page);
  const out = await page.evaluate(async () => {
    const callback = await window.client.handleCallback().then((r) => r.claims.sub, (e) => ({ code: e.code, claim: e.claim }));
    return { callback, resumed: await window.client.resume(), signedIn: window.client.session().signedIn };
  });
  assert.deepEqual(out, { callback: { code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "sub" }, resumed: null, signedIn: false });
  assert.deepEqual(apiCalls.slice(reached), [], "the API saw no call as the other user");
  await context.close();
});

test("X30: a call's step-up is the user's who made the call, even after a refresh refused meanwhile dropped their tokens: another user's sign-in is refused and the call never replayed as them", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  // alice's access token lasts 2 s; the provider then refuses to renew it (her session there
  // ended).
  await signedInBriefly(page, 2);
  await onRefresh(context, refuse);
  const reached = apiCalls.length;
  const during = await page.evaluate(async () => {
    // Her call, which the API answers with a challenge after 3 s; meanwhile her token expires,
    // and another call's refresh is refused, which drops her tokens.
    window.call = window.client.fetch("/api/slower", { method: "POST", body: '{"to":"carol"}' }, { stepUp: true });
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const other = await window.client.fetch("/api/basic", { method: "POST", body: "{}" }).then((res) => res.status, (e) => e.code);
    return { other, signedIn: window.client.session().signedIn };
  });
  assert.deepEqual(during, { other: 401, signedIn: false }, "the refused refresh dropped alice's tokens while her call was under way");
  // The step-up for her call leaves for the provider, where another user, who can reach the
  // level, signs in.
  await context.clearCookies();
  await passIdp(page, base, { user: "zoe smith", password: "zoetrope" });
  await ready(page);
  const out = await page.evaluate(async () => {
    const callback = await window.client.handleCallback().then((r) => r.claims.sub, (e) => ({ code: e.code, claim: e.claim }));
    return { callback, resumed: await window.client.resume(), signedIn: window.client.session().signedIn };
  });
  assert.deepEqual(out, { callback: { code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "sub" }, resumed: null, signedIn: false });
  assert.deepEqual(apiCalls.slice(reached), [["/api/slower", "alice"]], "the API saw alice's call once, and none as the other user");
  await context.close();
});

test("X33: a challenged call is retried only with a token of the user who made it: after a refused refresh dropped alice's tokens, another user who signs in meanwhile does not carry her call out", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  await signedInBriefly(page, 2);
  // The provider refuses to renew alice's token (her session there ended); sign-ins still work.
  await onRefresh(context, refuse);
  slowerMs = 8000;
  const reached = apiCalls.length;
  try {
    // alice's call, which the API answers with a challenge for LOA2 after 8 s; meanwhile her
    // token expires and another call's refresh is refused, which drops her tokens (no sign-out).
    await page.evaluate(() => {
      window.hers = window.client.fetch("/api/slower", { method: "POST", body: '{"to":"carol"}' }).then((res) => res.status, (e) => e.code);
    });
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const other = await page.evaluate(() => window.client.fetch("/api/basic", { method: "POST", body: "{}" }).then((res) => res.status, (e) => e.code));
    assert.equal(other, 401);
    // Another user, who can reach LOA2, signs in at the provider in a popup before the API answers.
    await context.clearCookies();
    const popupOpened = page.waitForEvent("popup");
    await page.evaluate(() => { window.zoe = window.client.signIn({ popup: true, acrValues: ["LOA2"] }).then((r) => r.claims.sub, (e) => e.code); });
    await answerInPopup(await popupOpened, "zoe smith", "zoetrope");
    const out = await page.evaluate(async () => ({
      zoe: await window.zoe,
      hers: await Promise.race([window.hers, new Promise((resolve) => setTimeout(() => resolve("no answer"), 10_000))]),
    }));
    assert.deepEqual(out, { zoe: "zoe smith", hers: "ERR_STEP_UP_REQUIRED" });
    assert.deepEqual(apiCalls.slice(reached), [["/api/slower", "alice"]], "alice's call once, never as the other user");
  } finally {
    slowerMs = 3000;
  }
  await context.close();
});

test("X33: a call made with no one signed in comes back as it came, even with stepUp: nothing starts, nothing is saved, and no one's token is sent", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  const here = page.url();
  const reached = apiCalls.length;
  const out = await page.evaluate(async () => {
    const res = await window.client.fetch("/open/challenge", { method: "POST", body: '{"confirm":"yes"}' }, { stepUp: true });
    return { status: res.status, kept: Object.keys(sessionStorage).filter((k) => k.endsWith(":pending") || k.includes(":tx:")) };
  });
  assert.deepEqual(out, { status: 401, kept: [] });
  assert.equal(page.url(), here, "no step-up: the page stayed");
  assert.deepEqual(apiCalls.slice(reached), [["/open/challenge", "no token"]]);
  await context.close();
});

test("X35: a refresh refused after its set was replaced (the user signed in again in another tab meanwhile) stores nothing: the new sign-in's tokens stay, and the call goes with them", async () => {
  const local = clientPages({ base, idp, preset: "wso2", resource: API_AUDIENCE, store: "local" });
  const context = await browser.newContext();
  const page = await local.open(context);
  await signedInBriefly(page, 1, local);
  await later(1500);
  // The provider takes its time, then refuses the refresh; a sign-in's code exchange goes through.
  await onRefresh(context, async (route) => {
    await later(4000);
    await refuse(route);
  });
  const reached = apiCalls.length;
  await page.evaluate(() => {
    window.call = window.client.fetch("/api/basic", { method: "POST", body: "{}" }).then((res) => res.status, (e) => e.code);
  });
  // alice signs in again meanwhile, in another tab (the provider's session answers at once).
  const other = await local.open(context);
  await other.evaluate(() => { window.client.signIn({ acrValues: ["LOA1"] }); });
  await other.waitForURL((u) => u.searchParams.has("code"));
  await local.ready(other);
  assert.equal(await other.evaluate(() => window.client.handleCallback().then((r) => r.claims.sub, (e) => e.code)), "alice");
  const out = await page.evaluate(async () => ({
    call: await window.call,
    signedIn: window.client.session().signedIn,
    stored: Object.keys(localStorage).filter((k) => k.endsWith(":tokens")).map((k) => typeof JSON.parse(localStorage.getItem(k) ?? "null")),
  }));
  assert.deepEqual(out, { call: 200, signedIn: true, stored: ["object"] });
  assert.equal(await other.evaluate(() => window.client.session().signedIn), true, "the other tab too");
  assert.deepEqual(apiCalls.slice(reached), [["/api/basic", "alice"]], "the call went once, with the new sign-in's token");
  await context.close();
});

test("X33: resume() replays a saved call with its own user's token only: a sign-out while the replay's token is refreshed, and another user's sign-in, send nothing", async () => {
  const { context, page } = await signedInPage();
  // alice steps up for her call; her LOA2 access token lasts 2 s.
  await page.evaluate(() => { window.client.fetch("/api/mfa", { method: "POST", body: '{"to":"carol"}' }, { stepUp: true }); });
  await withTokenTtl(2, async () => {
    await passIdp(page, base);
    await ready(page);
    assert.equal(await page.evaluate(() => window.client.handleCallback().then((r) => r.claims.acr, (e) => e.code)), "LOA2");
  });
  // The app asks before it resumes; meanwhile her token expires, and the provider will take its
  // time and then refuse to renew it.
  await later(2500);
  await onRefresh(context, async (route) => {
    await later(5000);
    await refuse(route);
  });
  const reached = apiCalls.length;
  await page.evaluate(() => { window.resumed = window.client.resume().then((res) => res?.status ?? res, (e) => e.code); });
  // While the replay's token is refreshed: alice signs out, and another user signs in (LOA2).
  await page.evaluate(() => window.client.signOut());
  await context.clearCookies();
  const popupOpened = page.waitForEvent("popup");
  await page.evaluate(() => { window.zoe = window.client.signIn({ popup: true, acrValues: ["LOA2"] }).then((r) => r.claims.sub, (e) => e.code); });
  await answerInPopup(await popupOpened, "zoe smith", "zoetrope");
  const out = await page.evaluate(async () => ({ zoe: await window.zoe, resumed: await window.resumed }));
  assert.deepEqual(out, { zoe: "zoe smith", resumed: null });
  assert.deepEqual(apiCalls.slice(reached), [], "alice's call was not replayed, as anyone");
  await context.close();
});

test("X34: free() while the provider's discovery is under way fails the sign-in coded (ERR_INVALID_STATE), never with wasm's own error", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  await context.route(`${idp.issuer}/.well-known/openid-configuration`, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await route.continue();
  });
  const here = page.url();
  const out = await page.evaluate(async () => {
    const begun = window.client.signIn({ acrValues: ["LOA1"] }).then(() => "went", (e) => `${e.code}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    window.client.free();
    return begun;
  });
  assert.equal(out, "ERR_INVALID_STATE");
  assert.equal(page.url(), here, "the page stayed");
  await context.close();
});

test("X34: free() while a refresh is at the token endpoint still stores its answer: the spent refresh token is never sent again, and the next client carries on", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  await signedInBriefly(page, 1);
  await later(1500);
  // The refresh tokens the provider receives; its answer takes a second.
  const sent = [];
  await onRefresh(context, async (route) => {
    sent.push(new URLSearchParams(route.request().postData() ?? "").get("refresh_token"));
    await later(1000);
    await route.continue();
  });
  const reached = apiCalls.length;
  // The app unmounts while its call refreshes the expired token, then makes its client again.
  const freed = await page.evaluate(async () => {
    const call = window.client.fetch("/api/basic", { method: "POST", body: "{}" }).then((res) => res.status, (e) => e.code);
    await new Promise((resolve) => setTimeout(resolve, 300));
    window.client.free();
    return call;
  });
  assert.equal(freed, "ERR_INVALID_STATE");
  await ready(page);
  const again = await page.evaluate(() => window.client.fetch("/api/basic", { method: "POST", body: "{}" }).then((res) => res.status, (e) => e.code));
  assert.equal(again, 200);
  assert.equal(sent.length, 1, "one refresh: the spent refresh token was not sent again");
  assert.deepEqual(apiCalls.slice(reached), [["/api/basic", "alice"]], "the next client's call, as alice");
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

test("a provider answer past the 1 MiB the client reads is ERR_FETCH_FAILED, and nothing is stored", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  // The token endpoint's usual answer, padded: read whole, it would have signed alice in.
  const exchanges = idp.hits("/token");
  idp.setTokenMode("oversized");
  let result;
  try {
    result = await viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  } finally {
    idp.setTokenMode("ok");
  }
  assert.equal(result.error?.code, "ERR_FETCH_FAILED", JSON.stringify(result));
  assert.match(result.error.message, /status 200, answer over 1048576 bytes/);
  assert.equal(idp.hits("/token") - exchanges, 1, "the code was sent once, and its answer refused");
  // Nothing of the answer reached the page's storage.
  const stored = await page.evaluate(() => [...Object.keys(sessionStorage), ...Object.keys(localStorage)]
    .filter((k) => k.endsWith(":tokens") || k.endsWith(":pending")));
  assert.deepEqual(stored, []);
  assert.equal((await page.evaluate(() => window.client.session())).signedIn, false);
  await context.close();
});

/** The authorization request the page navigates to next, as the IdP receives it. */
const nextAuthorization = (page) => page.waitForRequest((r) => r.isNavigationRequest() && new URL(r.url()).searchParams.has("code_challenge"));

test("vendor step-up answers: Okta's 403 and Entra's claims challenge are met by a step-up and one replay", async () => {
  for (const [path, expectClaims] of [["/api/okta", undefined], ["/api/entra", ENTRA_CLAIMS]]) {
    const context = await browser.newContext();
    const page = await open(context);
    await viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
    vendorCalls.length = 0;
    assert.deepEqual(await call(page, path), { error: { code: "ERR_STEP_UP_REQUIRED", acrValues: ["LOA2"] } }, path);
    assert.deepEqual(vendorCalls, [[path, "LOA1"]], "no retry with the same token");

    const asked = nextAuthorization(page);
    await page.evaluate((path) => { window.client.fetch(path, { method: "POST", body: "{}" }, { stepUp: true }); }, path);
    const query = Object.fromEntries(new URL((await asked).url()).searchParams);
    assert.equal(query.acr_values, "LOA2", path);
    assert.deepEqual(query.claims === undefined ? undefined : JSON.parse(query.claims), expectClaims, `${path}: the claims request goes back as is`);
    await passIdp(page, base);
    await ready(page);
    const resumed = await callbackAndResume(page);
    assert.deepEqual(resumed, { acr: "LOA2", status: 200, body: { path, method: "POST", sub: "alice", acr: "LOA2" }, again: null }, path);
    assert.deepEqual(vendorCalls, [[path, "LOA1"], [path, "LOA1"], [path, "LOA2"]], `${path}: replayed once`);
    await context.close();
  }
});

test("a step-up abandoned at the provider: its saved call is never replayed after another sign-in", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  await viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  vendorCalls.length = 0;
  // The API asks for LOA2; the page saves the call and leaves for the IdP...
  const asked = nextAuthorization(page);
  await page.evaluate(() => { window.client.fetch("/api/okta", { method: "POST", body: '{"transfer":5000}' }, { stepUp: true }); });
  await asked;
  // ...where the user, at its sign-in page, gives up and comes back to the app: no callback.
  await page.waitForURL((u) => u.href.startsWith(idp.issuer) && u.pathname.includes("/interaction/"));
  await page.goto(`${base}${PAGE}`);
  await ready(page);
  assert.ok(await page.evaluate(() => Object.keys(sessionStorage).some((k) => k.endsWith(":pending"))), "the call is still saved");
  // Later, an unrelated step-up completes, and the page resumes as the quick start does.
  const later = await viaIdp(page, () => { window.client.stepUp({ acr: ["LOA2"] }); });
  assert.equal(later.ok?.claims.acr, "LOA2", JSON.stringify(later));
  assert.equal(await page.evaluate(() => window.client.resume()), null, "nothing replayed");
  assert.deepEqual(vendorCalls, [["/api/okta", "LOA1"]], "the abandoned call reached the API only the first time");
  assert.ok(!(await page.evaluate(() => Object.keys(sessionStorage).some((k) => k.endsWith(":pending")))), "and it is gone");
  await context.close();
});

test("a step-up that cannot start saves no call: a later sign-in replays nothing", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  await viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  vendorCalls.length = 0;
  const failed = await page.evaluate(async () => {
    try {
      await window.client.fetch("/api/entra-bogus", { method: "POST", body: '{"amount":1000}' }, { stepUp: true });
      return "went on";
    } catch (e) {
      return { code: e.code, param: e.param, pending: Object.keys(sessionStorage).filter((k) => k.endsWith(":pending")) };
    }
  });
  assert.deepEqual(failed, { code: "ERR_INVALID_ARG_VALUE", param: "claims.bogus", pending: [] });
  // A step-up for another reason afterwards: nothing is waiting to be replayed.
  await page.evaluate(() => { window.client.stepUp({ acr: ["LOA2"] }); });
  await passIdp(page, base);
  await ready(page);
  const after = await page.evaluate(async () => {
    await window.client.handleCallback();
    return window.client.resume();
  });
  assert.equal(after, null);
  assert.deepEqual(vendorCalls, [["/api/entra-bogus", "LOA1"]], "the refused call was never sent again");
  await context.close();
});

test("Auth0's mfa_required from the token endpoint (403) is ERR_STEP_UP_REQUIRED for the auth0 preset's multi-factor ACR", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  await viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  const posted = [];
  await page.route((url) => url.href.startsWith(idp.issuer) && url.pathname.endsWith("/token"), async (route) => {
    posted.push(Object.fromEntries(new URLSearchParams(route.request().postData() ?? "")).grant_type);
    await route.fulfill({
      status: 403,
      headers: { "content-type": "application/json", "access-control-allow-origin": base },
      body: JSON.stringify({ error: "mfa_required", error_description: "Multifactor authentication required", mfa_token: "Fe26.2*m" }),
    });
  });
  const outcome = await page.evaluate(async ({ issuer }) => {
    const { Client, acrPolicy } = window.stepup;
    const auth0 = new Client({ issuer, clientId: "stepup-spa", redirectUri: location.href.split("?")[0], resource: "https://api.stepup.test", policy: acrPolicy("auth0") });
    const before = sessionStorage.getItem("stepup:stepup-spa:tokens");
    const error = (e) => ({ code: e.code, acrValues: e.acrValues, name: e.name });
    const refresh = await auth0.refresh().then(() => "refreshed", error);
    const kept = sessionStorage.getItem("stepup:stepup-spa:tokens") === before;
    const state = new URL(await auth0.authorizationUrl({ acrValues: ["LOA1"] })).searchParams.get("state");
    const exchange = await auth0.handleCallback(`${location.origin}${location.pathname}?code=c&state=${state}&iss=${encodeURIComponent(issuer)}`).then(() => "signed in", error);
    return { refresh, kept, exchange };
  }, { issuer: idp.issuer });
  const mfa = { code: "ERR_STEP_UP_REQUIRED", acrValues: ["http://schemas.openid.net/pape/policies/2007/06/multi-factor"], name: "StepUpError" };
  assert.deepEqual(outcome, { refresh: mfa, kept: true, exchange: mfa });
  assert.deepEqual(posted, ["refresh_token", "authorization_code"]);
  await context.close();
});

test("sign-out: local state goes at once; with endSession the IdP's session ends, and the next sign-in asks for the password", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  await viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  // A local sign-out leaves the IdP's session: the next sign-in needs no password.
  await page.evaluate(() => window.client.signOut());
  assert.equal((await page.evaluate(() => window.client.session())).signedIn, false);
  await page.evaluate(() => { window.client.signIn({ acrValues: ["LOA1"] }); });
  await page.waitForURL((u) => u.href.startsWith(base) && u.searchParams.has("code"));
  await ready(page);
  const again = await page.evaluate(() => window.client.handleCallback().then((r) => r.claims.sub));
  assert.equal(again, "alice", "signed in again from the IdP's session");
  const idToken = await page.evaluate(() => JSON.parse(sessionStorage.getItem("stepup:stepup-spa:tokens"))[0].idToken);

  const ended = page.waitForRequest((r) => r.isNavigationRequest() && r.url().includes("/session/end"));
  const cleared = await page.evaluate(() => {
    window.client.signOut({ endSession: true, returnTo: "/signed-out" });
    return Object.keys(sessionStorage).filter((k) => k.endsWith(":tokens"));
  });
  assert.deepEqual(cleared, [], "cleared before any await");
  const end = Object.fromEntries(new URL((await ended).url()).searchParams);
  assert.deepEqual(Object.keys(end).sort(), ["client_id", "id_token_hint", "post_logout_redirect_uri", "state"]);
  assert.equal(end.id_token_hint, idToken);
  assert.equal(end.post_logout_redirect_uri, `${base}${PAGE}`);
  await page.waitForSelector("button[name=logout]");
  await Promise.all([page.waitForURL((u) => u.href.startsWith(base)), page.click("button[name=logout]")]);
  assert.equal(new URL(page.url()).searchParams.get("state"), end.state);
  await ready(page);
  const back = await page.evaluate(async () => ({
    first: await window.client.handleSignOutCallback(),
    replay: await window.client.handleSignOutCallback().catch((e) => e.code),
  }));
  // (A wrong state is refused natively: src/client/tests.rs; here it could only meet a state
  // already spent.)
  assert.deepEqual(back, { first: { returnTo: "/signed-out" }, replay: "ERR_AUTH_RESPONSE_INVALID" });
  // The IdP's session is gone: the password is asked for again.
  await page.evaluate(() => { window.client.signIn({ acrValues: ["LOA1"] }); });
  await page.waitForURL((u) => !u.href.startsWith(base));
  await page.waitForSelector("#password");
  await context.close();
});

test("a store of the app's own holds the tokens; sign-out removes them from it, and endSession without an end_session_endpoint says so once signed out", async () => {
  const pages = clientPages({ base, idp, preset: "wso2", resource: API_AUDIENCE, store: "app", withoutEndSession: true });
  const context = await browser.newContext();
  const page = await pages.open(context);
  const signedIn = await pages.viaIdp(page, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  assert.equal(signedIn.ok?.claims.sub, "alice", JSON.stringify(signedIn));
  const log = () => page.evaluate(() => JSON.parse(localStorage.getItem("app-log") ?? "[]"));
  // Only the tokens (and the count of sign-outs they were kept at) ever went into the app's
  // store: the sign-in under way stayed in this tab's sessionStorage.
  assert.deepEqual([...new Set((await log()).map(([op, key]) => `${op} ${key}`))], ["set stepup:stepup-spa:tokens", "set stepup:stepup-spa:kept"]);
  const kept = () => page.evaluate(() => ({
    app: Object.keys(localStorage).filter((k) => k.startsWith("app:")).sort(),
    elsewhere: [...Object.keys(sessionStorage), ...Object.keys(localStorage)].filter((k) => k.includes(":tokens") && !k.startsWith("app:")),
  }));
  assert.deepEqual(await kept(), { app: ["app:stepup:stepup-spa:kept", "app:stepup:stepup-spa:tokens"], elsewhere: [] });
  // The API sees alice: the client read her token from the app's store.
  assert.deepEqual((await call(page, "/api/basic")).body, { path: "/api/basic", method: "POST", sub: "alice", acr: "LOA1" });

  const here = page.url();
  const out = await page.evaluate(async () => {
    localStorage.setItem("app-log", "[]");
    const error = await window.client.signOut({ endSession: true }).then(() => null, (e) => ({ code: e.code, param: e.param }));
    const log = JSON.parse(localStorage.getItem("app-log"));
    return { error, removed: log.filter(([op]) => op === "remove").map(([, key]) => key).sort(), href: location.href };
  });
  assert.deepEqual(out.error, { code: "ERR_INVALID_ARG_VALUE", param: "endSession" });
  assert.deepEqual(out.removed, ["stepup:stepup-spa:kept", "stepup:stepup-spa:pending", "stepup:stepup-spa:signout", "stepup:stepup-spa:tokens"],
    "the keys the client knows");
  assert.equal(out.href, here, "no navigation");
  assert.deepEqual(await kept(), { app: [], elsewhere: [] });
  assert.equal((await page.evaluate(() => window.client.session())).signedIn, false);
  const reached = apiCalls.length;
  const after = await page.evaluate(async () => {
    try {
      const res = await window.client.fetch("/api/basic", { method: "POST", body: "{}" });
      return { status: res.status, challenge: res.headers.get("www-authenticate"), body: await res.text() };
    } catch (e) {
      return { code: e.code, message: e.message };
    }
  });
  // No token to send: the guard answers RFC 6750's bare challenge itself, the API never sees it.
  assert.deepEqual(after, { status: 401, challenge: "Bearer", body: "authentication required\n" });
  assert.deepEqual(apiCalls.slice(reached), []);
  await context.close();
});

test("with a shared localStorage store, a call saved for a step-up stays in its tab: another tab's sign-in meanwhile leaves it, and it is replayed once", async () => {
  const shared = clientPages({ base, idp, preset: "wso2", resource: API_AUDIENCE, store: "local" });
  const context = await browser.newContext();
  const first = await shared.open(context);
  await shared.viaIdp(first, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  // The step-up leaves for the IdP with the call saved.
  await first.evaluate(() => { window.client.fetch("/api/mfa", { method: "POST", body: "{}" }, { stepUp: true }); });
  await first.waitForURL((u) => u.href.startsWith(idp.issuer));
  // Meanwhile another tab signs in.
  const second = await shared.open(context);
  // (prompt=login: the IdP asks for the password again rather than answering from its session.)
  const other = await shared.viaIdp(second, () => { window.client.signIn({ acrValues: ["LOA1"], prompt: "login" }); });
  assert.equal(other.ok?.claims.acr, "LOA1", JSON.stringify(other));
  const saved = await second.evaluate(() => [sessionStorage, localStorage].map((s) => Object.keys(s).filter((k) => k.endsWith(":pending"))));
  assert.deepEqual(saved, [[], []], "the other tab holds no saved call, nor does the shared store");
  await passIdp(first, base);
  await shared.ready(first);
  const resumed = await callbackAndResume(first);
  assert.deepEqual(resumed, { acr: "LOA2", status: 200, body: { path: "/api/mfa", method: "POST", sub: "alice", acr: "LOA2" }, again: null });
  await context.close();
});

test("X13: with a shared localStorage store, a call saved for a step-up is dropped by another tab's sign-out and never replayed with the next sign-in's tokens", async () => {
  const shared = clientPages({ base, idp, preset: "wso2", resource: API_AUDIENCE, store: "local" });
  const context = await browser.newContext();
  const first = await shared.open(context);
  await shared.viaIdp(first, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  await first.evaluate(() => { window.client.fetch("/api/mfa", { method: "POST", body: '{"to":"carol"}' }, { stepUp: true }); });
  await first.waitForURL((u) => u.href.startsWith(idp.issuer));
  await passIdp(first, base);
  await shared.ready(first);
  // The step-up completed: the call is ready to replay, but the app has not resumed it yet.
  const back = await first.evaluate(async () => (await window.client.handleCallback()).claims.acr);
  assert.equal(back, "LOA2");
  const reached = apiCalls.length;
  // Another tab signs out, and someone signs in again there.
  const second = await shared.open(context);
  await second.evaluate(() => window.client.signOut());
  const again = await shared.viaIdp(second, () => { window.client.signIn({ acrValues: ["LOA2"], prompt: "login" }); });
  assert.equal(again.ok?.claims.acr, "LOA2", JSON.stringify(again));
  const resumed = await first.evaluate(async () => ({
    resumed: await window.client.resume(),
    pending: Object.keys(sessionStorage).filter((k) => k.endsWith(":pending")),
  }));
  assert.deepEqual(resumed, { resumed: null, pending: [] });
  assert.deepEqual(apiCalls.slice(reached), [], "the API saw no call");
  await context.close();
});

test("tabs sharing localStorage refresh one at a time: the refresh token is spent once and both use its result", async () => {
  const shared = clientPages({ base, idp, preset: "wso2", resource: API_AUDIENCE, store: "local" });
  const context = await browser.newContext();
  const first = await shared.open(context);
  // A sign-in under way (state, nonce, PKCE verifier) stays in this tab's sessionStorage, never
  // in the shared store.
  await first.evaluate(() => window.client.authorizationUrl({ acrValues: ["LOA1"] }));
  const pending = await first.evaluate(() => [sessionStorage, localStorage].map((s) => Object.keys(s).filter((k) => k.startsWith("stepup:"))));
  assert.equal(pending[0].length, 1, JSON.stringify(pending));
  assert.match(pending[0][0], /^stepup:stepup-spa:tx:/);
  assert.deepEqual(pending[1], ["stepup:stepup-spa:signedout"], "nothing of it in localStorage, only the origin's sign-out mark");
  const signedIn = await shared.viaIdp(first, () => { window.client.signIn({ acrValues: ["LOA1"] }); });
  assert.equal(signedIn.ok?.claims.acr, "LOA1", JSON.stringify(signedIn));
  const key = `stepup:${SPA_CLIENT_ID}:tokens`;
  const [session, local] = await first.evaluate((key) => [sessionStorage.getItem(key), localStorage.getItem(key)], key);
  assert.equal(session, null, "kept in localStorage, not sessionStorage");
  const stored = JSON.parse(local);
  assert.ok(stored[0].refreshToken && stored[0].idToken);
  const second = await shared.open(context);
  assert.equal((await second.evaluate(() => window.client.session())).signedIn, true, "the other tab sees the sign-in");
  // Both tabs find the access token expired.
  await first.evaluate(({ key, sets }) => localStorage.setItem(key, JSON.stringify(sets.map((s) => ({ ...s, expiresAt: 1 })))), { key, sets: stored });
  const refreshes = [];
  context.on("request", (r) => {
    if (r.method() === "POST" && r.url().startsWith(idp.issuer) && /grant_type=refresh_token/.test(r.postData() ?? "")) refreshes.push(r.url());
  });
  // The token endpoint answers late, so the second tab's refresh starts while the first's waits.
  idp.setTokenMode("lagging");
  const [a, b] = await Promise.all([call(first, "/api/basic"), call(second, "/api/basic")])
    .finally(() => idp.setTokenMode("ok"));
  assert.deepEqual([a.body, b.body], [{ path: "/api/basic", method: "POST", sub: "alice", acr: "LOA1" }, { path: "/api/basic", method: "POST", sub: "alice", acr: "LOA1" }], JSON.stringify([a, b]));
  assert.equal(refreshes.length, 1, "the refresh token is spent once");
  const tokens = await Promise.all([first, second].map((p) => p.evaluate(() => window.client.accessToken())));
  assert.ok(tokens[0] && tokens[0] === tokens[1], "both use the one refresh's token");
  assert.notEqual(tokens[0], stored[0].accessToken);
  // A sign-out in one tab is seen by the other at its next call.
  await second.evaluate(() => window.client.signOut());
  assert.equal((await first.evaluate(() => window.client.session())).signedIn, false);
  await context.close();
});
