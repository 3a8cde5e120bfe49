// The edge guard for real: worker/ in workerd in front of an echo upstream and the local IdP
// (oidc-provider, tests/idp/), driven by a cookie-keeping HTTP client through whole sign-ins.
// Rows of SECURITY.md section G, API challenges (E16-E18), replayed callbacks, tampered cookies,
// an IdP that cannot reach the level, and outages.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { EDGE_CLIENT_ID, EDGE_CLIENT_SECRET, API_AUDIENCE, edgeClient, startIdp } from "../idp/server.mjs";
import { Agent, signIn } from "./agent.mjs";
import { freePort, startWorkerd } from "./workerd.mjs";

const RULES = [
  { path: "/admin/*", acr: ["LOA2"] },
  { path: "/api/*", acr: ["LOA2"], api: true },
  { path: "/fresh", maxAge: 60 },
];

let idp, upstream, worker, base;

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  idp = await startIdp({ profile: "wso2", clients: [edgeClient([`${base}/callback`])] });
  upstream = createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }));
  });
  await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
  worker = await startWorkerd(new URL("../../worker/config.capnp", import.meta.url), {
    port,
    env: {
      STEPUP_ISSUER: idp.issuer,
      STEPUP_CLIENT_ID: EDGE_CLIENT_ID,
      STEPUP_CLIENT_SECRET: EDGE_CLIENT_SECRET,
      STEPUP_SESSION_SECRET: "a-test-session-secret-of-at-least-32-bytes",
      STEPUP_UPSTREAM: `http://127.0.0.1:${upstream.address().port}`,
      STEPUP_ACR_POLICY: "wso2",
      STEPUP_RULES: JSON.stringify(RULES),
      STEPUP_API_AUDIENCE: API_AUDIENCE,
    },
  });
});
after(async () => {
  await worker?.stop();
  await idp?.close();
  await new Promise((r) => upstream?.close(r));
});

const html = { accept: "text/html,application/xhtml+xml" };

/** Signs `user` in through the guard, starting at `path`; returns the callback's answer. */
async function signInThroughGuard(agent, path, user = "alice") {
  const start = await agent.fetch(`${base}${path}`, { headers: html });
  assert.equal(start.status, 302, await start.clone().text());
  const { location } = await signIn(idp, agent, start, { user });
  assert.ok(location.href.startsWith(`${base}/callback?`), location.href);
  return { start, callback: await agent.fetch(location, { headers: html }), location };
}

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

test("a browser without a session is sent to the IdP with everything step-up needs (G02, G08)", async () => {
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
  assert.equal(seen.headers["x-stepup-amr"], "pwd otp mfa");
  assert.match(seen.headers["x-stepup-auth-time"], /^\d+$/);
  assert.ok(!(seen.headers.cookie ?? "").includes("__Host-stepup"), "session cookie not forwarded");

  // The same session calls the API from the page (same-origin fetch).
  const api = await agent.fetch(`${base}/api/balance`, { headers: { accept: "application/json" } });
  assert.equal(api.status, 200);
});

test("a replayed callback is refused with a page, never a redirect (F, G07)", async () => {
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
