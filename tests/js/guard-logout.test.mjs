// Signing out through the guard (STEPUP_LOGOUT_PATH): worker/ in workerd in front of an echo
// upstream and the local IdP. A page of the site POSTs to the logout path; the guard deletes its
// session cookie and sends the browser to the provider's end_session_endpoint (RP-Initiated
// Logout 1.0), which ends the provider's session too; nothing is forwarded. A logout attempt
// from another site changes nothing.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { EDGE_CLIENT_ID, edgeClient, startIdp } from "../idp/server.mjs";
import { Agent, signIn, signInThrough } from "./agent.mjs";
import { freePort, guardEnv, startWorkerd } from "./workerd.mjs";

const html = { accept: "text/html,application/xhtml+xml" };
let idp, upstream, worker, base;
const seen = [];

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  idp = await startIdp({
    profile: "wso2",
    clients: [edgeClient([`${base}/callback`], { post_logout_redirect_uris: [`${base}/`] })],
  });
  upstream = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ url: req.url, sub: req.headers["x-stepup-sub"] ?? null }));
  });
  await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
  worker = await startWorkerd(new URL("../../worker/config.capnp", import.meta.url), {
    port,
    env: guardEnv(idp, {
      STEPUP_UPSTREAM: `http://127.0.0.1:${upstream.address().port}`,
      STEPUP_PUBLIC_ORIGIN: base,
      STEPUP_LOGOUT_PATH: "/logout",
      STEPUP_RULES: [{ path: "/admin/*", acr: ["LOA1"] }],
    }),
  });
});
after(async () => {
  await worker?.stop();
  await idp?.close();
  await new Promise((r) => upstream?.close(r));
});

/** A signed-in agent: through the guard, then one request that reached the upstream. */
async function signedIn() {
  const agent = new Agent();
  const { callback } = await signInThrough(idp, agent, `${base}/admin/x`);
  assert.equal(callback.status, 303, await callback.clone().text());
  const res = await agent.fetch(`${base}/admin/x`, { headers: html });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).sub, "alice");
  return agent;
}

const logout = (agent, headers) => agent.fetch(`${base}/logout`, { method: "POST", headers: { ...html, ...headers } });

test("a sign-out from the site's own page ends the guard's session and the provider's", async () => {
  const agent = await signedIn();
  seen.length = 0;
  const res = await logout(agent, { origin: base, "sec-fetch-site": "same-origin" });
  assert.equal(res.status, 303);
  const to = new URL(res.headers.get("location"));
  assert.equal(`${to.origin}${to.pathname}`, `${idp.issuer}/session/end`);
  assert.deepEqual(Object.fromEntries(to.searchParams), { client_id: EDGE_CLIENT_ID, post_logout_redirect_uri: `${base}/` });
  assert.deepEqual(res.headers.getSetCookie(), ["__Host-stepup-session=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"]);
  assert.deepEqual(seen, [], "the logout request is the guard's, never the upstream's");

  // At the provider: the user confirms, and is sent back to the site.
  const page = await agent.fetch(to);
  const text = await page.text();
  assert.equal(page.status, 200, text);
  const action = new URL(text.match(/<form[^>]*action="([^"]+)"/)[1], idp.url);
  const xsrf = text.match(/name="xsrf" value="([^"]+)"/)[1];
  const confirmed = await agent.fetch(action, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ xsrf, logout: "yes" }).toString(),
  });
  assert.equal(confirmed.status, 303);
  assert.equal(confirmed.headers.get("location"), `${base}/`);

  // Signed out here: the guarded page starts a sign-in again, and nothing reaches the upstream.
  const again = await agent.fetch(`${base}/admin/x`, { headers: html });
  assert.equal(again.status, 302);
  assert.deepEqual(seen, []);
  // And there: the provider asks for the password again, where its session would have skipped it.
  const { pages } = await signIn(idp, agent, again);
  assert.deepEqual(pages, ["password"]);
});

test("a logout attempt from another site, or by a link, changes nothing", async () => {
  const agent = await signedIn();
  for (const [headers, status] of [
    [{ origin: "https://evil.example", "sec-fetch-site": "cross-site" }, 403],
    [{ origin: "https://evil.example" }, 403],
    [{ "sec-fetch-site": "same-site" }, 403],
    [{}, 403],
  ]) {
    const res = await logout(agent, headers);
    assert.equal(res.status, status, JSON.stringify(headers));
    assert.deepEqual(res.headers.getSetCookie(), [], "the session cookie is left alone");
    assert.equal(res.headers.get("location"), null);
  }
  const link = await agent.fetch(`${base}/logout`, { headers: { ...html, "sec-fetch-site": "cross-site" } });
  assert.equal(link.status, 405);
  assert.equal(link.headers.get("allow"), "POST");
  seen.length = 0;
  const still = await agent.fetch(`${base}/admin/x`, { headers: html });
  assert.equal(still.status, 200, "still signed in");
  assert.deepEqual(seen, [{ method: "GET", url: "/admin/x" }]);
});
