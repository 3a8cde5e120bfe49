// The guard when the provider's endpoints fail, in workerd against the local IdP: a token
// endpoint that errs, answers garbage or hangs during the callback's code exchange; a key set
// that hangs just when a rotation makes the guard refetch it; keys rotating while wrk keeps the
// guard busy. What the README promises ("The provider", in the edge worker section): signed-in
// users and the keys already held keep working; a request that needs the provider gets a 503
// page saying the identity provider cannot be reached, within stepup's fetch timeout (5 s), with
// no redirect and no session; once the provider is back, sign-ins work again.
// guard-provider.test.mjs covers a key set that fails or turns to garbage, plain rotation and
// outages; guard.test.mjs an IdP that is down altogether. The key-refresh cooldown is one second
// here (STEPUP_KEYS_COOLDOWN), so a rotation costs no waiting.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { API_AUDIENCE, edgeClient, spaClient, startIdp } from "../idp/server.mjs";
import { Agent, HTML as html, SESSION_COOKIE, accessToken, sessionCookie, signInThrough, toCallback } from "./agent.mjs";
import { byKind, latencyLine, mixProblems, runMix } from "./load/mix.mjs";
import { freePort, guardEnv, startWorkerd } from "./workerd.mjs";

const CONFIG = new URL("../../worker/config.capnp", import.meta.url);
const COOLDOWN_MS = 1000;
/** stepup's wait for the provider (src/wasm/http.rs); the IdP's "slow" answers after 10 s. */
const FETCH_TIMEOUT_MS = 5000;
/** Bounds with slack for a busy two-core machine: past the timeout, well short of 10 s. */
const GAVE_UP_AFTER_MS = FETCH_TIMEOUT_MS - 500;
const GAVE_UP_BEFORE_MS = 9000;
const SPA_CALLBACK = "http://127.0.0.1:5998/callback"; // the SPA client's tokens; never followed
const RULES = [
  { path: "/admin/*", acr: ["LOA2"] },
  { path: "/api/*", acr: ["LOA2"], api: true },
];
const ports = { tokens: await freePort(), keys: await freePort(), load: await freePort(), dropped: await freePort() };

let idp;
const workers = [];

before(async () => {
  idp = await startIdp({
    profile: "wso2",
    clients: [
      edgeClient(Object.values(ports).map((p) => `http://127.0.0.1:${p}/callback`)),
      spaClient([SPA_CALLBACK]),
    ],
  });
});
after(async () => {
  idp?.setJwksMode("ok");
  idp?.setTokenMode("ok");
  for (const w of workers) await w.stop();
  await idp?.close();
});

/**
 * A guard of its own (own isolate, own held keys) on `port`, taking bearer tokens for the API;
 * `settings` adds to its settings. Resolves to its URL (its workerd: `workerAt`).
 */
async function startGuard(port, settings = {}) {
  const worker = await startWorkerd(CONFIG, {
    port,
    env: guardEnv(idp, {
      STEPUP_RULES: RULES,
      STEPUP_API_AUDIENCE: API_AUDIENCE,
      STEPUP_KEYS_COOLDOWN: String(COOLDOWN_MS / 1000),
      ...settings,
    }),
  });
  workers.push(worker);
  return worker.url;
}

/** The workerd serving `base`. */
const workerAt = (base) => workers.find((w) => w.url === base);
/** Where the log of the guard at `base` stands now: `assertUnreachable` reads what comes after. */
const logMark = (base) => ({ worker: workerAt(base), from: workerAt(base).output().length });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cooldown = () => sleep(COOLDOWN_MS + 200);

/** Resolves to `{ res, ms }`: the answer and how long it took. */
async function timed(pending) {
  const started = Date.now();
  const res = await pending;
  return { res, ms: Date.now() - started };
}

const kid = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[0], "base64url")).kid;
const bearer = (base, token) => fetch(`${base}/api/balance`, { headers: { authorization: `Bearer ${token}` } });
const strongToken = () => accessToken(idp, { redirectUri: SPA_CALLBACK, acrValues: ["LOA2"] });

/** An agent with alice's session, signed in through the guard at `base`. */
async function signedIn(base) {
  const agent = new Agent();
  const { callback } = await signInThrough(idp, agent, `${base}/admin/x`);
  assert.equal(callback.status, 303, await callback.clone().text());
  assert.ok(hasSession(agent), "the callback set a session");
  return agent;
}

const hasSession = (agent) => sessionCookie(agent) !== undefined;

/**
 * A new agent up to the IdP's redirect back to the guard: the IdP's own pages only, so faults
 * of its token endpoint or key set are not met yet. Returns the agent and the callback URL.
 */
async function atCallback(base) {
  const agent = new Agent();
  const { location } = await toCallback(idp, agent, `${base}/admin/x`);
  assert.equal(location.pathname, "/callback", location.href);
  return { agent, location };
}

/**
 * The README's answer when the provider cannot be reached: a 503 page saying so and naming
 * nothing of the provider (X18), uncacheable, no redirect, no session cookie; the guard's log
 * since `mark` (`logMark`) names what failed (`names`). Resolves to that log.
 */
async function assertUnreachable(res, mark, names, label) {
  const body = await res.text();
  assert.equal(res.status, 503, `${label}: ${body}`);
  assert.match(body, /The identity provider cannot be reached\. Try again later\./, label);
  assert.ok(!body.includes(idp.issuer), `${label}: ${body}`);
  assert.equal(res.headers.get("location"), null, `${label}: not a redirect`);
  assert.equal(res.headers.get("cache-control"), "no-store", label);
  assert.ok(!res.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`)), `${label}: no session cookie`);
  const log = await mark.worker.logged(names, mark.from);
  assert.match(log, new RegExp(`stepup guard: the identity provider cannot be reached: .*${names.source}`), label);
  return log;
}

test("a token endpoint that fails, answers garbage or hangs: the callback is a bounded 503, the log naming it, no session, no redirect; sessions keep working; sign-ins recover", async (t) => {
  const base = await startGuard(ports.tokens);
  const alice = await signedIn(base);
  const token = new RegExp(`POST ${idp.issuer}/token: `);
  const why = {
    error: /status 500/,
    garbage: /not a JSON object/,
    slow: /aborted due to timeout/, // the runtime's words for AbortSignal.timeout
  };
  for (const mode of ["error", "garbage", "slow"]) {
    const { agent, location } = await atCallback(base);
    const exchanges = idp.hits("/token");
    idp.setTokenMode(mode);
    let callback, session;
    const mark = logMark(base);
    try {
      const pending = timed(agent.fetch(location, { headers: html }));
      // While the callback waits on the provider, a signed-in user is not kept waiting.
      session = await timed(alice.fetch(`${base}/admin/x`, { headers: html }));
      callback = await pending;
    } finally {
      idp.setTokenMode("ok");
    }
    const log = await assertUnreachable(callback.res, mark, token, mode);
    assert.match(log, why[mode], mode);
    assert.equal(idp.hits("/token") - exchanges, 1, `${mode}: one exchange, no retry`);
    assert.ok(!hasSession(agent), `${mode}: no session`);
    assert.equal(session.res.status, 200, `${mode}: the session works during the fault`);
    if (mode === "slow") {
      assert.ok(callback.ms >= GAVE_UP_AFTER_MS && callback.ms < GAVE_UP_BEFORE_MS,
        `slow: gave up after ${callback.ms} ms (timeout ${FETCH_TIMEOUT_MS} ms, the IdP answers after 10 s)`);
      assert.ok(session.ms < callback.ms, `slow: the session answered in ${session.ms} ms, before the callback (${callback.ms} ms)`);
    } else {
      assert.ok(callback.ms < FETCH_TIMEOUT_MS, `${mode}: answered at once (${callback.ms} ms), not at a timeout`);
    }
    t.diagnostic(`${mode}: 503 after ${callback.ms} ms (session meanwhile ${session.ms} ms): ${log.match(/stepup guard: .*/)?.[0]}`);

    // The code was never redeemed and the sign-in transaction is kept: reloading the error page
    // once the provider is back completes the sign-in (the README says so).
    const reload = await agent.fetch(location, { headers: html });
    assert.equal(reload.status, 303, `${mode}: reload ${await reload.clone().text()}`);
    assert.equal(new URL(reload.headers.get("location"), base).href, `${base}/admin/x`, `${mode}: back where the sign-in started`);
    assert.ok(hasSession(agent), `${mode}: the reload signed in`);

    // Recovery: a fresh sign-in works and its session is good.
    const fresh = await signedIn(base);
    assert.equal((await fresh.fetch(`${base}/admin/x`, { headers: html })).status, 200, `${mode}: recovered`);
  }
  assert.equal((await alice.fetch(`${base}/admin/x`, { headers: html })).status, 200, "the first session is still good");
});

test("C11 C03 a key set that hangs when a rotation needs it: a 503 within the fetch timeout; sessions and held keys keep working; then the new key is fetched once", async (t) => {
  const base = await startGuard(ports.keys);
  const alice = await signedIn(base);
  const old = await strongToken();
  assert.equal((await bearer(base, old)).status, 200, "the key set is held");

  const kids = await idp.rotateKeys({ keepPrevious: true });
  const rotated = await strongToken();
  assert.ok(kids.includes(kid(rotated)) && kid(rotated) !== kid(old), "the new token names the new key");
  await cooldown();

  idp.setJwksMode("slow");
  let callback, session, held, attempts;
  const jwks = idp.hits("/jwks");
  try {
    // The new ID token names the new key: the guard must refetch the key set, which hangs.
    const { agent, location } = await atCallback(base);
    const mark = logMark(base);
    const pending = timed(agent.fetch(location, { headers: html }));
    await sleep(300);
    session = await timed(alice.fetch(`${base}/admin/x`, { headers: html }));
    held = await timed(bearer(base, old));
    callback = await pending;
    await assertUnreachable(callback.res, mark, new RegExp(`GET ${idp.issuer}/jwks`), "sign-in");
    assert.ok(!hasSession(agent), "no session");
    assert.ok(callback.ms >= GAVE_UP_AFTER_MS && callback.ms < GAVE_UP_BEFORE_MS,
      `gave up after ${callback.ms} ms (timeout ${FETCH_TIMEOUT_MS} ms, the IdP answers after 10 s)`);
    assert.equal(session.res.status, 200, "the session needs no keys");
    assert.ok(session.ms < callback.ms, `the session answered in ${session.ms} ms, before the callback`);
    assert.equal(held.res.status, 200, "a token signed by a held key verifies");
    // It does not wait behind the hanging refetch (src/wasm/provider.rs: held documents first).
    assert.ok(held.ms < callback.ms - 1000, `the held-key bearer answered in ${held.ms} ms, the callback in ${callback.ms} ms`);

    // Right after, within the cooldown: held keys answer at once, the new key is still a 503.
    const again = await timed(bearer(base, old));
    assert.equal(again.res.status, 200);
    assert.ok(again.ms < FETCH_TIMEOUT_MS, `held key: ${again.ms} ms`);
    const missingMark = logMark(base);
    const missing = await timed(bearer(base, rotated));
    await assertUnreachable(missing.res, missingMark, /jwks/, "bearer with the new key");
    assert.ok(missing.ms < GAVE_UP_BEFORE_MS, `bearer with the new key: ${missing.ms} ms`);
    attempts = idp.hits("/jwks") - jwks;
    t.diagnostic(`sign-in 503 after ${callback.ms} ms; meanwhile session ${session.ms} ms, held-key bearer ${held.ms} ms; ` +
      `then held-key bearer ${again.ms} ms, new-key bearer 503 after ${missing.ms} ms; ${attempts} key-set requests`);
    // One per attempt, each at least a cooldown after the last: never a retry storm.
    assert.ok(attempts >= 1 && attempts <= 2, `${attempts} key-set requests while it hung`);
  } finally {
    idp.setJwksMode("ok");
  }

  // Recovery: past the cooldown the new key is fetched once, and everything works.
  await cooldown();
  const recovered = idp.hits("/jwks");
  assert.equal((await bearer(base, rotated)).status, 200, "the new key verifies");
  assert.equal(idp.hits("/jwks") - recovered, 1, "one refetch");
  const fresh = await signedIn(base);
  assert.equal((await fresh.fetch(`${base}/admin/x`, { headers: html })).status, 200);
  assert.equal((await bearer(base, old)).status, 200, "the previous key is still published and held");
  assert.equal(idp.hits("/jwks") - recovered, 1, "no further refetch");
});

test("C03 keys rotating under load: no 5xx, every answer its own, each new key fetched once", async (t) => {
  const base = await startGuard(ports.load);
  const alice = sessionCookie(await signedIn(base));
  const old = await strongToken();
  assert.equal((await bearer(base, old)).status, 200, "the key set is held");
  await idp.rotateKeys({ keepPrevious: true });
  const rotated = await strongToken(); // a key the guard has not seen: the run's first use refetches
  await cooldown();

  const cookie = { cookie: `${SESSION_COOKIE}=${alice}` };
  const mix = [
    { name: "session-page", kind: "allowed", path: "/admin/x", headers: { ...html, ...cookie }, status: 200, check: ["cache-control", "private, no-store"] },
    { name: "session-api", kind: "allowed", path: "/api/balance", headers: { accept: "application/json", ...cookie }, status: 200 },
    { name: "bearer-old-key", kind: "allowed", path: "/api/balance", headers: { authorization: `Bearer ${old}` }, status: 200 },
    { name: "bearer-rotated-key", kind: "allowed", path: "/api/balance", headers: { authorization: `Bearer ${rotated}` }, status: 200 },
  ];
  const SECONDS = 6;
  const jwks = idp.hits("/jwks");
  const ends = Date.now() + SECONDS * 1000;
  const run = runMix(base, mix, { seconds: SECONDS });

  // Mid-run: another rotation, and a token from the newest key used alongside the mix.
  await sleep(1500);
  const beforeRotation = idp.hits("/jwks") - jwks;
  await idp.rotateKeys({ keepPrevious: true });
  const latest = await strongToken();
  await cooldown();
  const statuses = [];
  while (Date.now() < ends - 700) statuses.push((await bearer(base, latest)).status);
  const report = await run;

  t.diagnostic(latencyLine(report));
  t.diagnostic(`${statuses.length} requests with the newest key during the run; key-set requests: ${beforeRotation} before the mid-run rotation, ${idp.hits("/jwks") - jwks} in all`);
  assert.deepEqual(mixProblems(report), []);
  const allowed = byKind(report).allowed;
  assert.equal(allowed.server_errors, 0, "no 5xx");
  assert.equal(allowed.mismatched, 0, "every answer as expected");
  for (const { name } of mix) assert.ok(report.variants[name].ok > 0, `${name}: answered`);
  assert.ok(statuses.length > 0, "the newest key was used during the run");
  assert.deepEqual([...new Set(statuses)], [200], "the newest key verifies during the run");
  assert.equal(beforeRotation, 1, "the rotated key: one refetch, however many requests named it");
  assert.equal(idp.hits("/jwks") - jwks, 2, "one refetch per new key");

  // After the run: every key still verifies, with no further fetch.
  for (const token of [old, rotated, latest]) assert.equal((await bearer(base, token)).status, 200);
  assert.equal(idp.hits("/jwks") - jwks, 2, "no further refetch");
});

test("C03 a bearer token answered before is refused once its key has left the provider's set", async (t) => {
  // The app behind the guard records what reaches it.
  const received = [];
  const upstream = createServer((req, res) => {
    received.push({ url: req.url, sub: req.headers["x-stepup-sub"], acr: req.headers["x-stepup-acr"] });
    res.end("app");
  });
  await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
  t.after(() => new Promise((r) => upstream.close(r)));
  const base = await startGuard(ports.dropped, { STEPUP_UPSTREAM: `http://127.0.0.1:${upstream.address().port}` });
  const call = (token, path) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });

  const old = await strongToken();
  // The second answer comes from the guard's verifier, which keeps what it verified.
  for (const path of ["/api/one", "/api/two"]) assert.equal((await call(old, path)).status, 200, path);
  await idp.rotateKeys();
  await cooldown();
  const rotated = await strongToken();
  const jwks = idp.hits("/jwks");
  assert.equal((await call(rotated, "/api/three")).status, 200, "the new key is fetched and verifies");
  assert.equal(idp.hits("/jwks") - jwks, 1, "one refetch");
  const refused = await call(old, "/api/four");
  assert.equal(refused.status, 401, "the dropped key's token, verified before, is refused");
  assert.match(refused.headers.get("www-authenticate"), /^Bearer error="invalid_token"/);
  assert.notEqual(await refused.text(), "app", "the answer is the guard's, not the app's");
  assert.equal((await call(rotated, "/api/five")).status, 200, "the new key's token still verifies");
  // What reached the app: each accepted call once, with alice's identity; never the refused one.
  // (workerd's start-up probe of `/` is no API call.)
  assert.deepEqual(received.filter((r) => r.url.startsWith("/api/")), ["/api/one", "/api/two", "/api/three", "/api/five"].map((url) => ({ url, sub: "alice", acr: "LOA2" })));
});
