// A user agent for tests that drive real HTTP flows without a browser: a cookie jar and the
// local IdP's sign-in pages (tests/idp/) filled in like a person would.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { EDGE_CLIENT_ID, EDGE_CLIENT_SECRET, SPA_CLIENT_ID } from "../idp/server.mjs";

export const PASSWORDS = { alice: "wonderland", bob: "builder" };
/** What a browser sends for a page: the guard redirects these, and challenges API calls. */
export const HTML = { accept: "text/html,application/xhtml+xml" };
/** The guard's session cookie (worker/, contract section 6). */
export const SESSION_COOKIE = "__Host-stepup-session";

export const b64url = (buf) => buf.toString("base64url");

/** A user agent: follows redirects by hand, keeps cookies (name, path; host-only, one origin). */
export class Agent {
  cookies = new Map(); // `${name};${path}` → { name, value, path }

  async fetch(url, init = {}) {
    const { pathname } = new URL(url);
    const within = (path) => pathname === path ||
      pathname.startsWith(path.endsWith("/") ? path : `${path}/`);
    const cookie = [...this.cookies.values()].filter((c) => within(c.path))
      .map((c) => `${c.name}=${c.value}`).join("; ");
    const headers = { ...init.headers, ...(cookie ? { cookie } : {}) };
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const [name, value] = [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
      const attr = (k) => attrs.find((a) => a.toLowerCase().startsWith(`${k}=`))?.split("=")[1];
      const path = attr("path") ?? "/";
      const expires = attr("expires");
      const gone = attr("max-age") === "0" || (expires && Date.parse(expires) < Date.now());
      if (gone) this.cookies.delete(`${name};${path}`);
      else this.cookies.set(`${name};${path}`, { name, value, path });
    }
    return res;
  }
}

/**
 * Reads one IdP page (password or one-time code) from a 200 response and says what to post:
 * `{ page, action, form }`.
 */
export async function fillPage(idp, res, user = "alice", password = undefined) {
  const html = await res.text();
  assert.equal(res.status, 200, html);
  const action = new URL(html.match(/<form id="[^"]+" method="post" action="([^"]+)"/)[1], idp.url);
  if (html.includes('id="password"')) {
    return { page: "password", action, form: { username: user, password: password ?? PASSWORDS[user] } };
  }
  if (html.includes('id="otp"')) {
    const shown = html.match(/<output id="otp-code"[^>]*>(\d{6})<\/output>/)[1];
    assert.equal(shown, idp.lastOtp(user), "the page shows the code lastOtp() reports");
    return { page: "otp", action, form: { otp: shown } };
  }
  assert.fail(`unexpected page:\n${html}`);
}

/**
 * Follows a redirect to the IdP through its pages until it sends the agent away from the IdP;
 * returns that response (the redirect to the relying party's callback) and the pages seen.
 */
export async function signIn(idp, agent, res, { user = "alice", password } = {}) {
  const pages = [];
  for (let hop = 0; hop < 20; hop++) {
    if (res.status >= 300 && res.status < 400) {
      const location = new URL(res.headers.get("location"), idp.url);
      if (location.origin !== new URL(idp.url).origin) return { res, location, pages };
      res = await agent.fetch(location);
      continue;
    }
    const { page, action, form } = await fillPage(idp, res, user, password);
    pages.push(page);
    res = await agent.fetch(action, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
    });
  }
  assert.fail("too many redirects");
}

/** The value of the guard's session cookie the agent holds, or undefined. */
export const sessionCookie = (agent) => [...agent.cookies.values()].find((c) => c.name === SESSION_COOKIE)?.value;

/**
 * Takes `user` through a guard (worker/) from `url` up to, not into, the guard's callback: the
 * guard's redirect and the IdP's pages. Returns `{ start, location }` (the callback URL).
 */
export async function toCallback(idp, agent, url, user = "alice") {
  const start = await agent.fetch(url, { headers: HTML });
  assert.equal(start.status, 302, await start.clone().text());
  const { location } = await signIn(idp, agent, start, { user });
  assert.equal(location.origin, new URL(url).origin, location.href);
  return { start, location };
}

/**
 * Signs `user` in through a guard, starting at `url`: [`toCallback`], then the guard's
 * callback. Returns `{ start, callback, location }`.
 */
export async function signInThrough(idp, agent, url, user = "alice") {
  const { start, location } = await toCallback(idp, agent, url, user);
  return { start, callback: await agent.fetch(location, { headers: HTML }), location };
}

/**
 * One authorization-code flow with PKCE S256 straight against the IdP, as a client of its own
 * (`clientId`, `redirectUri`: the redirect is read, never followed). Fills whatever pages the IdP
 * shows (password, one-time code) and returns the pages seen plus the callback's parameters.
 */
export async function authorize(idp, agent, {
  clientId = SPA_CLIENT_ID, redirectUri, user = "alice", password,
  acrValues, prompt, maxAge, claims, scope = "openid profile",
} = {}) {
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const url = new URL(`${idp.issuer}/auth`);
  const params = {
    response_type: "code", client_id: clientId, redirect_uri: redirectUri, scope, state, nonce,
    code_challenge: b64url(createHash("sha256").update(verifier).digest()),
    code_challenge_method: "S256",
    acr_values: acrValues?.join(" "), prompt, max_age: maxAge,
    claims: claims && JSON.stringify(claims),
  };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);

  const { location, pages } = await signIn(idp, agent, await agent.fetch(url), { user, password });
  assert.ok(location.href.startsWith(redirectUri), `the IdP sent the agent to ${location.href}`);
  const q = Object.fromEntries(location.searchParams);
  assert.equal(q.state, state, "state is echoed");
  return { ...q, pages, verifier, nonce, redirectUri, clientId };
}

/**
 * Sends the code of a flow from `authorize` to the IdP's token endpoint (the edge client with
 * client_secret_basic, any other as a public client); `init` adds to the fetch (a signal).
 */
export function tokenRequest(idp, flow, init = {}) {
  assert.ok(flow.code, `expected a code, got ${JSON.stringify(flow)}`);
  const body = new URLSearchParams({
    grant_type: "authorization_code", code: flow.code, redirect_uri: flow.redirectUri,
    code_verifier: flow.verifier,
  });
  const headers = { "content-type": "application/x-www-form-urlencoded" };
  if (flow.clientId === EDGE_CLIENT_ID) {
    headers.authorization = `Basic ${Buffer.from(`${EDGE_CLIENT_ID}:${EDGE_CLIENT_SECRET}`).toString("base64")}`;
  } else {
    body.set("client_id", flow.clientId);
  }
  return fetch(`${idp.issuer}/token`, { ...init, method: "POST", headers, body });
}

/** Redeems the code of a flow from `authorize`; returns the token response. */
export async function exchangeCode(idp, flow) {
  const res = await tokenRequest(idp, flow);
  const raw = await res.json();
  assert.equal(res.status, 200, JSON.stringify(raw));
  return raw;
}

/**
 * An RFC 9068 access token for the IdP's API, of `user` signed in at `acrValues` by the SPA
 * client (registered with `redirectUri`) in a browser of its own.
 */
export async function accessToken(idp, { redirectUri, user = "alice", acrValues }) {
  const flow = await authorize(idp, new Agent(), { redirectUri, user, acrValues });
  return (await exchangeCode(idp, flow)).access_token;
}
