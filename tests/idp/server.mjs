// The local OpenID Provider for tests and the demo: oidc-provider behind a tiny HTTP wrapper that
// serves the interaction pages, injects faults, and swaps the provider on key rotation.
//
//   const idp = await startIdp({ profile: "wso2", clients: [spaClient([cb])] });
//   idp.issuer, idp.url, idp.port, idp.provider, idp.lastOtp("alice")
//   idp.rotateKeys(), idp.setDown(true), idp.setJwksMode("garbage"), idp.setTokenMode("slow"),
//   idp.setIntrospectionMode("error"),
//   idp.ignoreAcrValues(true), idp.hits("/jwks"), await idp.close()
//   startIdp({ accessTokens: "opaque" }): opaque access tokens, the introspection endpoint
//   (`/token/introspection`) and revocation (`/token/revocation`); idp.setAccessTokenTtl(5)
//
// Run directly: `IDP_PORT=9000 IDP_PROFILE=fief node tests/idp/server.mjs`.
import { createServer } from "node:http";
import Provider from "oidc-provider";
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import {
  EDGE_CLIENT_ID, EDGE_CLIENT_SECRET, SPA_CLIENT_ID, edgeClient, generateSigningKeys,
  interactionPrefix, memoryAdapter, providerConfiguration, spaClient,
} from "./config.mjs";
import { interactionHandler } from "./interactions.mjs";
import { profile as loadProfile } from "./profiles.mjs";

export { API_AUDIENCE, API_SCOPES, EDGE_CLIENT_ID, EDGE_CLIENT_SECRET, SPA_CLIENT_ID, USERS,
  edgeClient, spaClient } from "./config.mjs";
export { PROFILES } from "./profiles.mjs";

// Faults of one endpoint (the key set, the token endpoint, the introspection endpoint): "slow"
// answers after SLOW_MS, longer than a client should wait; "lagging" answers as usual after
// LAG_MS, long enough for a burst of requests to overlap; "garbage" is a 200 that claims JSON
// and is not; "error" a 500; "oversized" the usual answer followed by OVERSIZE bytes of JSON
// whitespace: still the same JSON, longer than stepup reads of a provider's answer (1 MiB).
const FAULT_MODES = new Set(["ok", "slow", "lagging", "garbage", "error", "oversized"]);
const OVERSIZE = 1536 * 1024;
const SLOW_MS = 10_000;
const LAG_MS = 400;
const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * Starts an IdP on `host:port` (port 0: any free port). `clients` are oidc-provider client
 * metadata (default: the SPA and edge clients with loopback redirect URIs). `issuer` may be a
 * string or `(port) => string`; a path in it is served as the provider's mount path.
 */
export async function startIdp({
  port = 0,
  host = "127.0.0.1",
  profile = "fief",
  clients = [
    spaClient(["http://127.0.0.1:8080/callback", "http://localhost:8080/callback"]),
    edgeClient(["http://127.0.0.1:8787/callback", "http://localhost:8787/callback"]),
  ],
  issuer,
  // Where discovery is served instead of `{issuer}/.well-known/openid-configuration`, which then
  // answers 404 (Janssen: `/jans-auth/.well-known/openid-configuration`).
  discoveryPath,
  // "jwt" (the dialect's own JWT shape, or RFC 9068), or "opaque": what WSO2 and Janssen issue
  // by default, with RFC 7662 introspection and RFC 7009 revocation (config.mjs).
  accessTokens = "jwt",
} = {}) {
  if (!["jwt", "opaque"].includes(accessTokens)) throw new TypeError(`accessTokens must be "jwt" or "opaque"`);
  if (!LOOPBACK.has(host)) throw new TypeError(`the local IdP binds to loopback only, not ${host}`);
  const p = loadProfile(profile);
  // Janssen: the SPA client carries default_acr_values unless the caller chose its own.
  const registered = clients.map((c) => c.client_id === SPA_CLIENT_ID && p.clientDefaultAcrValues &&
    !("default_acr_values" in c) ? { ...c, default_acr_values: p.clientDefaultAcrValues } : c);
  const cookieKeys = [randomBytes(32).toString("base64url")];
  const Adapter = memoryAdapter((model, payload) => {
    // Fief: "level 0: the user was authenticated through ... a refresh token".
    if (model === "RefreshToken" && p.refreshAcr !== undefined) payload.acr = p.refreshAcr;
  });
  const otps = new Map();

  let down = false;
  let accessTokenTtl = 600; // seconds, of the next access token for the API
  const hits = new Map(); // path → requests received
  const faults = { jwks: "ok", token: "ok", "token/introspection": "ok" }; // endpoint → fault mode
  let keys = await generateSigningKeys();
  let provider;
  let callback;
  const timers = new Set();

  const server = createServer((req, res) => {
    dispatch(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
      res.end(`local IdP error: ${err.message}\n`);
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const actualPort = server.address().port;
  const url = `http://${host}:${actualPort}`;
  const iss = typeof issuer === "function" ? issuer(actualPort) : issuer ?? url;
  const mount = new URL(iss).pathname.replace(/\/$/, "");
  const prefix = interactionPrefix(iss);
  const interactions = interactionHandler({ provider: () => provider, profile: p, prefix, otps });

  // oidc-provider reads `jwks` once, so a rotation builds a new Provider over the same storage,
  // cookie keys and clients: sessions, grants and refresh tokens survive, keys do not.
  const build = async () => {
    provider = new Provider(iss, providerConfiguration({
      profile: p, clients: registered, keys, cookieKeys, Adapter,
      opaque: accessTokens === "opaque", accessTokenTtl: () => accessTokenTtl,
    }));
    callback = provider.callback();
  };
  await build();

  async function dispatch(req, res) {
    const path = new URL(req.url, url).pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (down) {
      res.writeHead(503, { "Content-Type": "text/plain", "Retry-After": "1" });
      return res.end("local IdP is down (fault injected)\n");
    }
    const endpoint = Object.keys(faults).find((name) => path === `${mount}/${name}`);
    if (endpoint && faults[endpoint] !== "ok") {
      const answered = await injectFault(endpoint, faults[endpoint], res);
      if (answered) return undefined;
    }
    if (path.startsWith(`${prefix}/`)) return interactions(req, res);
    if (discoveryPath && path === `${mount}/.well-known/openid-configuration`) {
      res.writeHead(404, { "Content-Type": "text/plain" });
      return res.end("not found: discovery is elsewhere here\n");
    }
    if (discoveryPath && path === discoveryPath) {
      // Served as if asked at the issuer (no originalUrl: oidc-provider would read the path as a
      // mount point and move every endpoint under it).
      req.url = "/.well-known/openid-configuration";
      return callback(req, res);
    }
    if (mount && !(path === mount || path.startsWith(`${mount}/`))) {
      res.writeHead(404, { "Content-Type": "text/plain" });
      return res.end("not found\n");
    }
    if (mount) {
      // Mounted like Express does it: oidc-provider rebuilds its URLs from originalUrl.
      req.originalUrl = req.url;
      const rest = req.url.slice(mount.length);
      req.url = rest.startsWith("/") ? rest : `/${rest}`;
    }
    return callback(req, res);
  }

  /**
   * Answers a request to `endpoint` as its fault `mode` says: true once it is dealt with, false
   * when it should then be served as usual ("slow" and "lagging", after the delay, if the client
   * still waits).
   */
  async function injectFault(endpoint, mode, res) {
    if (mode === "error") {
      res.writeHead(500, { "Content-Type": "text/plain" });
      res.end(`${endpoint} fault injected\n`);
      return true;
    }
    if (mode === "oversized") {
      // Served as usual, then the padding, sent in chunks (no Content-Length): only a client
      // that counts what it reads can stop.
      const { end, setHeader } = res;
      res.setHeader = (name, value) => (name.toLowerCase() === "content-length" ? res : setHeader.call(res, name, value));
      res.end = (chunk, ...rest) => {
        if (chunk !== undefined && typeof chunk !== "function") res.write(chunk);
        for (let sent = 0; sent < OVERSIZE; sent += 64 * 1024) res.write(" ".repeat(64 * 1024));
        return end.call(res, ...rest.filter((a) => typeof a === "function"));
      };
      return false;
    }
    if (mode === "garbage") {
      // Claims JSON, is not: a client must parse defensively, not trust the content type.
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(`<html>this is not what ${endpoint} should answer}`);
      return true;
    }
    // A client that gave up closes the connection: its request (a code, say) is then never
    // processed, as with a provider that never got round to it.
    return new Promise((resolve) => {
      const t = setTimeout(() => { timers.delete(t); resolve(res.destroyed); }, mode === "lagging" ? LAG_MS : SLOW_MS);
      timers.add(t);
      res.once("close", () => { timers.delete(t); clearTimeout(t); resolve(true); });
    });
  }

  const setFault = (endpoint) => (mode) => {
    if (!FAULT_MODES.has(mode)) throw new TypeError(`${endpoint} mode must be one of ${[...FAULT_MODES]}`);
    faults[endpoint] = mode;
  };

  return {
    issuer: iss,
    url,
    discoveryUrl: `${url}${discoveryPath ?? `${mount}/.well-known/openid-configuration`}`,
    port: actualPort,
    /** The dialect's name (`fief`, `auth0`, `wso2`, `janssen`). */
    profile: p.name,
    get provider() { return provider; },
    /** Publishes a new key per algorithm and signs with it; old keys are dropped unless kept. */
    async rotateKeys({ keepPrevious = false } = {}) {
      const fresh = await generateSigningKeys();
      keys = keepPrevious ? [...fresh, ...keys] : fresh;
      await build();
      return fresh.map((k) => k.kid);
    },
    setDown(value) { down = Boolean(value); },
    /** The lifetime in seconds of the access tokens issued from now on (default 600). */
    setAccessTokenTtl(seconds) { accessTokenTtl = seconds; },
    /** Faults of the key set (`/jwks`): "ok", "slow", "garbage" or "error". */
    setJwksMode: setFault("jwks"),
    /** Faults of the token endpoint (`/token`), the same modes. */
    setTokenMode: setFault("token"),
    /** Faults of the introspection endpoint (`/token/introspection`), the same modes. */
    setIntrospectionMode: setFault("token/introspection"),
    /** Stop (or resume) honouring `acr_values`: sign-ins then assert whatever the user did. */
    ignoreAcrValues(value) { p.ignoresAcrValues = Boolean(value); },
    /** How many requests reached `path` (relative to the issuer). */
    hits(path) { return hits.get(`${mount}${path}`) ?? 0; },
    lastOtp(user) { return otps.get(user); },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const port = Number(process.env.IDP_PORT ?? 9000);
  const profile = process.env.IDP_PROFILE ?? "fief";
  const list = (name, fallback) => process.env[name]?.split(/[ ,]+/).filter(Boolean) ?? fallback;
  const idp = await startIdp({
    port,
    profile,
    clients: [
      spaClient(list("IDP_SPA_REDIRECT_URIS", [`http://127.0.0.1:8080/callback`])),
      edgeClient(list("IDP_EDGE_REDIRECT_URIS", [`http://127.0.0.1:8787/callback`])),
    ],
  });
  console.log(`stepup local IdP (profile ${profile}) — issuer ${idp.issuer}`);
  console.log(`  discovery  ${idp.issuer}/.well-known/openid-configuration`);
  console.log(`  clients    ${SPA_CLIENT_ID} (public, PKCE)`);
  console.log(`             ${EDGE_CLIENT_ID} / ${EDGE_CLIENT_SECRET} (client_secret_basic)`);
  console.log("  users      alice / wonderland (password + one-time code)");
  console.log("             bob / builder (password only: strong levels are unmet)");
  const stop = async () => { await idp.close(); process.exit(0); };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
