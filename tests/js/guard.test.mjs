// The edge guard for real: worker/ in workerd in front of an echo upstream and the local IdP
// (oidc-provider, tests/idp/), driven by a cookie-keeping HTTP client through whole sign-ins.
// Rows of SECURITY.md section G, API challenges (E16-E18), replayed callbacks, tampered cookies,
// an IdP that cannot reach the level, and outages.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import { EDGE_CLIENT_ID, API_AUDIENCE, edgeClient, startIdp } from "../idp/server.mjs";
import { Agent, signIn, signInThrough } from "./agent.mjs";
import { freePort, guardEnv, startWorkerd } from "./workerd.mjs";

const RULES = [
  { path: "/admin/*", acr: ["LOA2"] },
  { path: "/api/*", acr: ["LOA2"], api: true },
  { path: "/fresh", maxAge: 60 },
  { path: "/codes/*", amr: { all: ["pwd", "otp"] } },
];

let idp, upstream, worker, base;
/** Every request target the upstream received, in order. */
const forwarded = [];

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  idp = await startIdp({ profile: "wso2", clients: [edgeClient([`${base}/callback`])] });
  upstream = createServer((req, res) => {
    forwarded.push(req.url);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }));
  });
  await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
  worker = await startWorkerd(new URL("../../worker/config.capnp", import.meta.url), {
    port,
    env: guardEnv(idp, {
      STEPUP_UPSTREAM: `http://127.0.0.1:${upstream.address().port}`,
      STEPUP_RULES: RULES,
      STEPUP_API_AUDIENCE: API_AUDIENCE,
      STEPUP_PUBLIC_ORIGIN: base,
    }),
  });
});
after(async () => {
  await worker?.stop();
  await idp?.close();
  await new Promise((r) => upstream?.close(r));
});

const html = { accept: "text/html,application/xhtml+xml" };

/** Signs `user` in through the guard, starting at `path`. */
const signInThroughGuard = (agent, path, user = "alice") => signInThrough(idp, agent, `${base}${path}`, user);

test("open paths are forwarded without the guard's cookies or spoofed identity headers (G13)", async () => {
  const res = await fetch(`${base}/public/x?y=1`, {
    headers: { "x-stepup-sub": "admin", "x-stepup-acr": "LOA3", cookie: "__Host-stepup-session=forged; theme=dark" },
  });
  assert.equal(res.status, 200);
  const seen = await res.json();
  assert.equal(seen.url, "/public/x?y=1");
  assert.equal(seen.headers["x-stepup-sub"], undefined);
  assert.equal(seen.headers["x-stepup-acr"], undefined);
  assert.equal(seen.headers.cookie, "theme=dark");
});

test("a browser without a session is sent to the IdP with everything step-up needs (E20, F16, G02, G08)", async () => {
  const agent = new Agent();
  const res = await agent.fetch(`${base}/Admin/../admin/panel?tab=2`, { headers: html });
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("cache-control"), "no-store");
  const to = new URL(res.headers.get("location"));
  assert.equal(`${to.origin}${to.pathname}`, `${idp.issuer}/auth`);
  const q = Object.fromEntries(to.searchParams);
  assert.equal(q.response_type, "code");
  assert.equal(q.client_id, EDGE_CLIENT_ID);
  assert.equal(q.redirect_uri, `${base}/callback`);
  assert.equal(q.acr_values, "LOA2");
  assert.equal(q.code_challenge_method, "S256");
  assert.match(q.code_challenge, /^[A-Za-z0-9_-]{43}$/);
  assert.match(q.state, /^[A-Za-z0-9_-]{43}$/);
  assert.match(q.nonce, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(q.scope.split(" ").includes("openid"));
  const [tx] = res.headers.getSetCookie();
  assert.match(tx, /^__Host-stepup-tx-[A-Za-z0-9_-]{16}=[^;]+; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=600$/);
});

test("the whole sign-in: callback, session cookie, 303 back, forwarded with the identity (G01, G05)", async () => {
  const agent = new Agent();
  const { callback } = await signInThroughGuard(agent, "/admin/panel?tab=2");
  assert.equal(callback.status, 303, await callback.clone().text());
  assert.equal(callback.headers.get("location"), `${base}/admin/panel?tab=2`);
  const cookies = callback.headers.getSetCookie();
  assert.ok(cookies.some((c) => /^__Host-stepup-tx-[^=]+=; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=0$/.test(c)), "transaction deleted");
  const session = cookies.find((c) => c.startsWith("__Host-stepup-session="));
  assert.match(session, /; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
  assert.ok(!/domain=/i.test(session));

  const res = await agent.fetch(`${base}/admin/panel?tab=2`, { headers: html });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), "private, no-store");
  const seen = await res.json();
  assert.equal(seen.headers["x-stepup-sub"], "alice");
  assert.equal(seen.headers["x-stepup-acr"], "LOA2");
  // As the token says: WSO2 names its authenticators (the policy reads them as pwd and otp).
  assert.equal(seen.headers["x-stepup-amr"], "BasicAuthenticator totp");
  assert.match(seen.headers["x-stepup-auth-time"], /^\d+$/);
  assert.ok(!(seen.headers.cookie ?? "").includes("__Host-stepup"), "session cookie not forwarded");

  // The same session calls the API from the page (same-origin fetch).
  const api = await agent.fetch(`${base}/api/balance`, { headers: { accept: "application/json" } });
  assert.equal(api.status, 200);
});

test("a rule in RFC 8176 names is met by WSO2's authenticator names through the wso2 policy's amrMapping", async () => {
  const agent = new Agent();
  const { callback } = await signInThroughGuard(agent, "/admin/panel");
  assert.equal(callback.status, 303, await callback.clone().text());
  const res = await agent.fetch(`${base}/codes/list`, { headers: html });
  assert.equal(res.status, 200, "BasicAuthenticator and totp are pwd and otp");
  const seen = await res.json();
  assert.equal(seen.url, "/codes/list");
  assert.equal(seen.headers["x-stepup-amr"], "BasicAuthenticator totp");

  // bob has only a password: the same rule is not met, and nothing reaches the upstream.
  const bob = new Agent();
  const weak = await signInThroughGuard(bob, "/fresh", "bob");
  assert.equal(weak.callback.status, 303);
  forwarded.length = 0;
  const refused = await bob.fetch(`${base}/codes/list`, { headers: html });
  // Sent to sign in again (RFC 8176 names no ACR for a one-time code here): a fresh sign-in.
  assert.equal(refused.status, 302);
  const to = new URL(refused.headers.get("location"));
  assert.equal(`${to.origin}${to.pathname}`, `${idp.issuer}/auth`);
  assert.equal(to.searchParams.get("prompt"), "login");
  assert.deepEqual(forwarded, [], "nothing reached the upstream");
});

test("a replayed callback, or one in another browser, is refused with a page, never a redirect (F06, F07, G07)", async () => {
  const agent = new Agent();
  const { location } = await signInThroughGuard(agent, "/admin/x");
  const again = await agent.fetch(location, { headers: html });
  assert.equal(again.status, 400);
  assert.equal(again.headers.get("location"), null);
  const stranger = await new Agent().fetch(location, { headers: html });
  assert.equal(stranger.status, 400, "another browser cannot complete it");
});

test("an IdP that cannot reach the level gets a 403 that explains, not a loop (G15)", async () => {
  const agent = new Agent();
  const start = await agent.fetch(`${base}/admin/x`, { headers: html });
  const { location } = await signIn(idp, agent, start, { user: "bob" });
  assert.equal(location.searchParams.get("error"), "unmet_authentication_requirements");
  const res = await agent.fetch(location, { headers: html });
  assert.equal(res.status, 403);
  assert.equal(res.headers.get("location"), null);
  assert.match(await res.text(), /could not authenticate you as strongly/);
});

test("APIs get RFC 6750 / RFC 9470 answers, never redirects (E16, E18, G14)", async () => {
  const plain = await fetch(`${base}/api/x`, { redirect: "manual", headers: html });
  assert.equal(plain.status, 401);
  assert.equal(plain.headers.get("www-authenticate"), "Bearer");
  const json = await fetch(`${base}/admin/x`, { redirect: "manual", headers: { accept: "application/json" } });
  assert.equal(json.status, 401, "a guarded page asked for JSON is an API call");
  for (const bad of ["Bearer", "Bearer  x", "Bearer x y"]) {
    const res = await fetch(`${base}/api/x`, { redirect: "manual", headers: { authorization: bad } });
    assert.equal(res.status, 400, bad);
    assert.match(res.headers.get("www-authenticate"), /error="invalid_request"/);
  }
  const forged = await fetch(`${base}/api/x`, { redirect: "manual", headers: { authorization: "Bearer eyJhbGciOiJub25lIn0.e30." } });
  assert.equal(forged.status, 401);
  assert.match(forged.headers.get("www-authenticate"), /^Bearer error="invalid_token"/);
  assert.equal(forged.headers.get("cache-control"), "no-store");
});

test("a session short of the rule gets the RFC 9470 challenge on an API and a step-up in a browser", async () => {
  const agent = new Agent();
  // A fresh password-only sign-in (LOA1) for /fresh, then the API that needs LOA2.
  const { callback } = await signInThroughGuard(agent, "/fresh", "bob");
  assert.equal(callback.status, 303, await callback.clone().text());
  const api = await agent.fetch(`${base}/api/x`, { headers: { accept: "application/json" } });
  assert.equal(api.status, 401);
  assert.equal(
    api.headers.get("www-authenticate"),
    'Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="LOA2"',
  );
  const page = await agent.fetch(`${base}/admin/x`, { headers: html });
  assert.equal(page.status, 302);
  assert.equal(new URL(page.headers.get("location")).searchParams.get("acr_values"), "LOA2");
});

test("tampered, truncated or foreign session cookies are no session (G03)", async () => {
  const agent = new Agent();
  await signInThroughGuard(agent, "/admin/x");
  const value = [...agent.cookies.values()].find((c) => c.name === "__Host-stepup-session").value;
  const flipped = value.slice(0, 10) + (value[10] === "A" ? "B" : "A") + value.slice(11);
  for (const forged of [flipped, value.slice(0, -2), "garbage", `${value}; __Host-stepup-session=${value}`]) {
    const res = await fetch(`${base}/admin/x`, { headers: { ...html, cookie: `__Host-stepup-session=${forged}` }, redirect: "manual" });
    assert.equal(res.status, 302, `${forged.slice(0, 20)}: ${await res.clone().text()}`);
  }
});

test("sessions keep working while the IdP is down; new sign-ins get a clear 503", async () => {
  const agent = new Agent();
  await signInThroughGuard(agent, "/admin/x");
  idp.setDown(true);
  try {
    const ok = await agent.fetch(`${base}/admin/x`, { headers: html });
    assert.equal(ok.status, 200, "the session needs no provider round trip");
    // The callback needs the token endpoint: a new sign-in cannot complete.
    const fresh = new Agent();
    const start = await fresh.fetch(`${base}/admin/x`, { headers: html });
    assert.equal(start.status, 302, "metadata is cached; the redirect still works");
  } finally {
    idp.setDown(false);
  }
});

test("an IdP that ignores acr_values: the short token gets a 403 that says so, not a loop (E06, G15)", async () => {
  idp.ignoreAcrValues(true);
  try {
    const agent = new Agent();
    const { callback } = await signInThroughGuard(agent, "/admin/x");
    assert.equal(callback.status, 403);
    assert.equal(callback.headers.get("location"), null);
    const page = await callback.text();
    assert.match(page, /asked for &quot;LOA2&quot;, signed in with &quot;LOA1&quot;|asked for "LOA2", signed in with "LOA1"/);
    assert.ok(!callback.headers.getSetCookie().some((c) => c.startsWith("__Host-stepup-session=")), "no session");
  } finally {
    idp.ignoreAcrValues(false);
  }
});

/** Sends `path` exactly as written (fetch would normalise it first). */
function rawRequest(path, { method = "GET", headers = html } = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: new URL(base).port, path, method, headers }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("every spelling an origin could route to /admin is guarded (G10, G11)", async () => {
  const spellings = [
    "/admin", "/admin/", "/ADMIN", "/Admin/x", "/admin/../admin", "/public/../admin",
    "/public/%2e%2e/admin", "/public/.%2e/admin", "/%2e/admin", "/./admin", "//admin", "/admin//x",
    "/%61dmin", "/adm%69n", "/admin%2f", "/public%2f..%2fadmin", "/admin;jsessionid=1", "/admin%00",
    "/admin%20", "/admin%09", "/admin.", "/admin..;/", "/public\\..\\admin", "/%C0%AE%C0%AE/admin",
    "/public/%252e%252e/admin", "/admin%zz", "/%FF/admin",
  ];
  for (const path of spellings) {
    const res = await rawRequest(path);
    assert.ok([302, 400, 401].includes(res.status), `${path}: ${res.status} ${res.body.slice(0, 200)}`);
    if (res.status === 302) assert.ok(res.headers.location.startsWith(`${idp.issuer}/auth?`), path);
  }
});

test("every method gets the decision GET gets; none reaches the origin unguarded (G12)", async () => {
  for (const method of ["HEAD", "OPTIONS", "PATCH", "DELETE", "PROPFIND"]) {
    const page = await rawRequest("/admin/x", { method });
    assert.equal(page.status, 302, `${method} /admin/x`);
    assert.ok(page.headers.location.startsWith(`${idp.issuer}/auth?`), method);
    const api = await rawRequest("/api/x", { method, headers: { accept: "application/json" } });
    assert.equal(api.status, 401, `${method} /api/x`);
    assert.equal(api.headers["www-authenticate"], "Bearer", method);
  }
  // A method the runtime does not know never reaches the guard or the origin.
  const unknown = await rawRequest("/admin/x", { method: "FOO" });
  assert.ok(unknown.status >= 400 && !unknown.body.includes('"headers"'), `FOO: ${unknown.status}`);
});

test("fifty tabs signing in at once keep at most four transactions; the newest complete (G04)", async () => {
  const agent = new Agent();
  const starts = [];
  for (let tab = 0; tab < 50; tab++) {
    starts.push(await agent.fetch(`${base}/admin/tab/${tab}`, { headers: html }));
  }
  const transactions = [...agent.cookies.values()].filter((c) => c.name.startsWith("__Host-stepup-tx-"));
  assert.equal(transactions.length, 4);
  const header = [...agent.cookies.values()].map((c) => `${c.name}=${c.value}`).join("; ");
  assert.ok(header.length < 4096, `cookie header of ${header.length} bytes`);

  const newest = await signIn(idp, agent, starts[49]);
  const done = await agent.fetch(newest.location, { headers: html });
  assert.equal(done.status, 303);
  assert.equal(done.headers.get("location"), `${base}/admin/tab/49`);
  const oldest = await signIn(idp, agent, starts[0]);
  const expired = await agent.fetch(oldest.location, { headers: html });
  assert.equal(expired.status, 400, "the evicted tab's sign-in has expired");
});

test("a request for another host is refused; no URL is built from the Host header (F18)", async () => {
  for (const headers of [{ ...html, host: "evil.example" }, { ...html, host: `evil.example:${new URL(base).port}` }]) {
    const res = await rawRequest("/admin/x", { headers });
    assert.equal(res.status, 421, headers.host);
    assert.equal(res.headers.location, undefined);
  }
  const forwarded = await rawRequest("/admin/x", { headers: { ...html, "x-forwarded-host": "evil.example" } });
  assert.equal(forwarded.status, 302);
  assert.equal(new URL(forwarded.headers.location).searchParams.get("redirect_uri"), `${base}/callback`);
});

test("after a step-up, the pre-step-up session cookie does not open the stepped-up page (E11)", async () => {
  const agent = new Agent();
  assert.equal((await signInThroughGuard(agent, "/fresh")).callback.status, 303);
  const before = [...agent.cookies.values()].find((c) => c.name === "__Host-stepup-session").value;
  const { callback } = await signInThroughGuard(agent, "/admin/x");
  assert.equal(callback.status, 303);
  assert.equal((await agent.fetch(`${base}/admin/x`, { headers: html })).status, 200);
  const old = await fetch(`${base}/admin/x`, { headers: { ...html, cookie: `__Host-stepup-session=${before}` }, redirect: "manual" });
  assert.equal(old.status, 302, "the LOA1 session is still LOA1");
});
