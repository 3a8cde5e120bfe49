// What the upstream actually receives from the edge guard (worker/ in workerd), not only what the
// guard answers. The issue behind SECURITY G16-G22: the guard must forward exactly what it
// judged. An echo upstream records every request it gets (its raw target and raw header lines,
// keyed by a per-request `x-test-id`), hostile request targets are written byte for byte over a
// socket (node's HTTP client refuses odd paths, and fetch() would normalise them first), and an
// oracle written here, independent of stepup's code, says which rule the upstream's reading of
// the target falls under. Proved:
//   - a differential property over a few hundred generated targets (seeded, reproducible): what
//     reaches the upstream is what fetch() reads, falls under the rule the guard applied, and a
//     password-only session never reaches a multi-factor path through any spelling (G16-G18);
//   - every example of the outside attack as a regression: dot-segment junk, encoded
//     delimiters, case folding (G17, G18), identity-header spellings (G19), an identity that
//     cannot be a header (G20), another guard's session, a second Cookie line and cookies planted
//     by the upstream (G21), CDN directives, a long deep link and the guard's own pages (G22), a
//     cookie bomb (G04), a replayed code (F07) and a hung or unreachable upstream.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { connect } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { API_AUDIENCE, edgeClient, startIdp } from "../idp/server.mjs";
import { Agent, HTML, SESSION_COOKIE, sessionCookie, signIn, signInThrough, toCallback } from "./agent.mjs";
import { freePort, guardEnv, startWorkerd } from "./workerd.mjs";

const RULES = [
  { path: "/admin/*", acr: ["LOA2"] },
  { path: "/api/*", acr: ["LOA2"], api: true },
  { path: "/weak/*", maxAge: 3600 },
  // Exact rules, as the README's `/account/email` (X10); no generated target reaches them.
  { path: "/account/email", maxAge: 3600 },
  { path: "/cgi-bin/email.py", maxAge: 3600 },
  // What begins with `/reports` as a string (X28).
  { path: "/reports*", maxAge: 3600 },
];
/** STEPUP_UPSTREAM_TIMEOUT, in seconds. */
const UPSTREAM_TIMEOUT = 2;
/** A guard with the same session secret as the first, for another client of the same IdP. */
const OTHER_CLIENT_ID = "stepup-edge-elsewhere";
/**
 * Users whose subject no header can carry (tests/idp/config.mjs). A non-ASCII `sub` is already
 * refused by the ID token's checks (OIDC Core: 1 to 255 ASCII characters); one with a space is a
 * valid ID token that only the identity-header check refuses.
 */
const UNFORWARDABLE = [
  { user: "zoë", password: "zoetrope", page: /could not be verified/ },
  { user: "zoe smith", password: "zoetrope", page: /could not be used/ },
];

// Every setting of contract section 7, read from the environment (as worker/config.capnp does).
const SETTINGS = [
  "STEPUP_ISSUER", "STEPUP_CLIENT_ID", "STEPUP_CLIENT_SECRET", "STEPUP_REDIRECT_PATH", "STEPUP_SESSION_SECRET",
  "STEPUP_UPSTREAM", "STEPUP_ACR_POLICY", "STEPUP_RULES", "STEPUP_API_AUDIENCE", "STEPUP_SESSION_MAX_AGE",
  "STEPUP_KEYS_MAX_AGE", "STEPUP_KEYS_COOLDOWN", "STEPUP_PUBLIC_ORIGIN", "STEPUP_UPSTREAM_TIMEOUT",
  "STEPUP_ACCESS_TOKEN_PROFILE", "STEPUP_INTROSPECTION_CACHE_SECONDS",
];

let idp, upstream, configDir;
const guards = {}; // name → { worker, base, port }
/** Requests the upstream received: x-test-id → [{ url, rawHeaders }]. */
const received = new Map();
/** Answers the upstream holds back (`/…/hang`), ended when the file is done. */
const hanging = new Set();
let nextId = 0;
const testId = () => `t${++nextId}`;

/**
 * workerd's configuration for this file: the guard's modules and every setting, written to a
 * temporary directory so the file does not depend on worker/config.capnp listing the newest
 * setting. workerd resolves `embed` relative to the configuration file.
 */
async function writeConfig() {
  configDir = await mkdtemp(join(tmpdir(), "stepup-forwarding-"));
  const embed = (path) => JSON.stringify(relative(configDir, fileURLToPath(new URL(path, import.meta.url))));
  const text = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "guard", worker = .guard),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "guard") ],
);
const guard :Workerd.Worker = (
  modules = [
    (name = "worker/worker.js", esModule = embed ${embed("../../worker/worker.js")}),
    (name = "pkg/index.js", esModule = embed ${embed("../../pkg/index.js")}),
    (name = "pkg/guard.js", esModule = embed ${embed("../../pkg/guard.js")}),
    (name = "pkg/verifier.js", esModule = embed ${embed("../../pkg/verifier.js")}),
    (name = "pkg/stepup.js", esModule = embed ${embed("../../pkg/stepup.js")}),
    (name = "pkg/stepup_bg.wasm", wasm = embed ${embed("../../pkg/stepup_bg.wasm")}),
  ],
  compatibilityDate = "2026-10-01",
  bindings = [
${SETTINGS.map((name) => `    (name = "${name}", fromEnvironment = "${name}"),`).join("\n")}
  ],
  globalOutbound = "internet",
);
`;
  const file = join(configDir, "guard.capnp");
  await writeFile(file, text);
  return pathToFileURL(file);
}

/**
 * The echo upstream: records every request, then answers by the path's last segment — `cdn`
 * with CDN directives, `plant` with cookies of the guard's name plus one of its own, `hang` never.
 */
function startUpstream() {
  const server = createServer((req, res) => {
    const id = req.headers["x-test-id"] ?? "";
    if (!received.has(id)) received.set(id, []);
    received.get(id).push({ url: req.url, rawHeaders: req.rawHeaders });
    const last = req.url.split("?")[0].split("/").pop();
    if (last === "hang") {
      hanging.add(res);
      return;
    }
    const headers = { "content-type": "application/json" };
    if (last === "cdn") {
      Object.assign(headers, {
        "cache-control": "public, max-age=600",
        "cdn-cache-control": "max-age=600",
        "cloudflare-cdn-cache-control": "max-age=600",
        "akamai-cache-control": "max-age=600",
        "surrogate-control": "max-age=600",
        "fastly-surrogate-control": "max-age=600",
        "edge-control": "cache-maxage=3600",
        "x-accel-expires": "3600",
        pragma: "cache",
        age: "5",
        expires: "Thu, 01 Jan 2037 00:00:00 GMT",
      });
    }
    if (last === "csd") headers["clear-site-data"] = '"cookies", "cache"';
    if (last === "csd-params") headers["clear-site-data"] = '"cookies";x';
    if (last === "plant-value") headers["set-cookie"] = [`pref=x,${SESSION_COOKIE}=planted; Path=/`, "theme=dark; Path=/"];
    if (last === "plant-attribute") {
      headers["set-cookie"] = [`x=y; Max-Age=1,${SESSION_COOKIE}=planted`, `a=b; Path=/, ${SESSION_COOKIE}=planted; Path=/`,
        "theme=dark; Path=/"];
    }
    if (last === "status-600") {
      res.writeHead(600, headers);
      res.end("{}");
      return;
    }
    if (last === "csd-all") headers["clear-site-data"] = '"*"';
    if (last === "plant") {
      headers["set-cookie"] = [
        `${SESSION_COOKIE}=planted; Path=/; Secure; HttpOnly; SameSite=Lax`,
        "__HOST-STEPUP-tx-AAAAAAAAAAAAAAAA=planted; Path=/; Secure",
        `=${SESSION_COOKIE}=planted; Path=/`,
        "theme=dark; Path=/",
      ];
    }
    res.writeHead(200, headers);
    res.end(JSON.stringify({ url: req.url }));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** Starts a guard (`name`) in front of the recording upstream; `settings` add or override. */
async function startGuard(config, name, { port, upstream: to, ...settings } = {}) {
  port ??= await freePort();
  const base = `http://127.0.0.1:${port}`;
  const worker = await startWorkerd(config, {
    port,
    env: guardEnv(idp, {
      STEPUP_UPSTREAM: to ?? `http://127.0.0.1:${upstream.address().port}`,
      STEPUP_RULES: RULES,
      STEPUP_API_AUDIENCE: API_AUDIENCE,
      STEPUP_PUBLIC_ORIGIN: base,
      STEPUP_UPSTREAM_TIMEOUT: String(UPSTREAM_TIMEOUT),
      ...settings,
    }),
  });
  guards[name] = { worker, base, port };
}

let guardBase;
/** Session cookies: bob's password-only (LOA1) one, alice's multi-factor (LOA2) one. */
const sessions = {};

before(async () => {
  upstream = await startUpstream();
  // The main guard's port is in the IdP's redirect URIs, so it is chosen first.
  const port = await freePort();
  idp = await startIdp({ profile: "wso2", clients: [edgeClient([`http://127.0.0.1:${port}/callback`])] });
  const config = await writeConfig();
  await Promise.all([
    startGuard(config, "main", { port }),
    // Same secret, same issuer, another client id (G21); it never completes a sign-in.
    startGuard(config, "other", { STEPUP_CLIENT_ID: OTHER_CLIENT_ID }),
    // An upstream nobody listens on (a port just freed).
    freePort().then((closed) => startGuard(config, "unreachable", { upstream: `http://127.0.0.1:${closed}` })),
  ]);
  guardBase = guards.main.base;

  for (const [user, start] of [["bob", "/weak/start"], ["alice", "/admin/start"]]) {
    const agent = new Agent();
    const { callback } = await signInThrough(idp, agent, `${guardBase}${start}`, user);
    assert.equal(callback.status, 303, await callback.clone().text());
    sessions[user] = sessionCookie(agent);
    assert.ok(sessions[user], `${user} has a session`);
  }
});

after(async () => {
  for (const res of hanging) res.destroy();
  for (const { worker } of Object.values(guards)) await worker?.stop();
  await idp?.close();
  upstream?.closeAllConnections();
  await new Promise((r) => (upstream ? upstream.close(r) : r()));
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// A raw HTTP/1.1 client: the target and header lines go out exactly as written (UTF-8).

/**
 * Sends one request over a fresh connection and reads the whole answer. `headers` is a list of
 * [name, value] lines, sent in order (two `Cookie` lines stay two lines). Resolves to
 * `{ status, headers: [[lower-case name, value]], get(name), all(name), body, ms }`.
 */
function raw(target, headers = [], { port = guards.main.port, method = "GET", host = true } = {}) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks = [];
    socket.setTimeout(15_000, () => socket.destroy(new Error(`no answer to ${target}`)));
    socket.on("connect", () => {
      const lines = [`${method} ${target} HTTP/1.1`, ...(host ? [`Host: 127.0.0.1:${port}`] : []),
        ...headers.map(([name, value]) => `${name}: ${value}`), "Connection: close", "", ""];
      socket.write(Buffer.from(lines.join("\r\n"), "utf8"));
    });
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      try {
        resolve({ ...parseResponse(Buffer.concat(chunks)), ms: Date.now() - started });
      } catch (e) {
        reject(e);
      }
    });
  });
}

function parseResponse(bytes) {
  const end = bytes.indexOf("\r\n\r\n");
  assert.ok(end > 0, `not an HTTP answer: ${JSON.stringify(bytes.toString("latin1").slice(0, 200))}`);
  const [statusLine, ...lines] = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers = lines.map((line) => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  });
  const all = (name) => headers.filter(([n]) => n === name).map(([, v]) => v);
  const get = (name) => (all(name).length ? all(name).join(", ") : undefined);
  let rest = bytes.subarray(end + 4);
  let body;
  if ((get("transfer-encoding") ?? "").toLowerCase().includes("chunked")) {
    const parts = [];
    for (;;) {
      const eol = rest.indexOf("\r\n");
      const size = parseInt(rest.subarray(0, eol).toString("latin1"), 16);
      if (!size) break;
      parts.push(rest.subarray(eol + 2, eol + 2 + size));
      rest = rest.subarray(eol + 2 + size + 2);
    }
    body = Buffer.concat(parts);
  } else if (get("content-length") !== undefined) {
    body = rest.subarray(0, Number(get("content-length")));
  } else {
    body = rest;
  }
  return { status, headers, all, get, body: body.toString("utf8") };
}

const html = ["accept", HTML.accept];
const cookieLine = (...pairs) => ["cookie", pairs.join("; ")];

/** Sends `target` with a fresh x-test-id; resolves to the answer plus what the upstream got. */
async function probe(target, headers = [], options = {}) {
  const id = testId();
  const res = await raw(target, [["x-test-id", id], ...headers], options);
  return { res, got: received.get(id) ?? [] };
}

// ---------------------------------------------------------------------------------------------
// What the upstream received, read from its raw header lines.

/** A header name as CGI-style servers fold it: every non-alphanumeric byte a `-`, lower case. */
const fold = (name) => name.replace(/[^A-Za-z0-9]/g, "-").toLowerCase();
const pairsOf = ({ rawHeaders }) => rawHeaders.flatMap((v, i) => (i % 2 ? [] : [[v, rawHeaders[i + 1]]]));
/** Every header line that an origin could read as one of the identity headers. */
const identityLines = (request) => pairsOf(request).filter(([name]) => fold(name).startsWith("x-stepup-"));
/** The identity header lines as { folded name: [values] }. */
function identityOf(request) {
  const out = {};
  for (const [name, value] of identityLines(request)) (out[fold(name)] ??= []).push(value);
  return out;
}
const cookiesOf = (request) => pairsOf(request).filter(([name]) => name.toLowerCase() === "cookie").map(([, v]) => v);

/** The guard's answer of its own: nothing sniffable, frameable or cacheable (G22). */
function assertOwnAnswer(res, label) {
  assert.equal(res.get("x-content-type-options"), "nosniff", label);
  assert.match(res.get("content-security-policy") ?? "", /frame-ancestors 'none'/, label);
  assert.equal(res.get("x-frame-options"), "DENY", label);
  assert.equal(res.get("cache-control"), "no-store", label);
}

/** A 302 to the IdP's authorization endpoint carrying a new transaction cookie. */
function assertSignInStart(res, label) {
  assert.equal(res.status, 302, `${label}: ${res.status} ${res.body.slice(0, 200)}`);
  assert.ok(res.get("location")?.startsWith(`${idp.issuer}/auth?`), `${label}: ${res.get("location")}`);
  assert.ok(res.all("set-cookie").some((c) => /^__Host-stepup-tx-[^=]+=[^;]+;.*Max-Age=600$/.test(c)),
    `${label}: a transaction cookie`);
}

// ---------------------------------------------------------------------------------------------
// The oracle: how an origin routes a path, written from the rules' description, not from
// stepup's code. Segments percent-decoded (a malformed escape: no reading), `;params` dropped,
// lower case, empty segments dropped; the first rule whose path is the key or a whole-segment
// prefix of it.

function key(path) {
  const parts = [];
  for (const segment of path.split("/")) {
    let decoded;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return undefined;
    }
    const base = decoded.split(";")[0].toLowerCase();
    // Rails' `(.:format)` and Spring's suffix patterns route `/admin.json` as `/admin`.
    const leading = base.length - base.replace(/^\.+/, "").length;
    const dot = base.indexOf(".", leading);
    const stem = dot > 0 ? base.slice(0, dot) : base;
    if (stem) parts.push(stem);
  }
  return `/${parts.join("/")}`;
}

function rule(k) {
  if (k === undefined) return "unreadable";
  for (const name of ["admin", "api", "weak"]) {
    if (k === `/${name}` || k.startsWith(`/${name}/`)) return name;
  }
  return "open";
}

/**
 * The path and query fetch() (the WHATWG URL parser) makes of a target, read as the guard's
 * fetch() reads it: after an origin (a target `//admin` is a path here, not an authority).
 */
const whatwg = (target) => {
  const url = new URL(`http://x${target}`);
  return { path: url.pathname, pathAndQuery: `${url.pathname}${url.search}` };
};
/** Node 20's parser predates `^` joining the path percent-encode set; read both as `^`. */
const caret = (s) => s.replaceAll("%5E", "^");

// Pieces parsers disagree on: dot segments and their look-alikes, encoded delimiters, case, raw
// and encoded non-ASCII, parameters, malformed escapes, characters only newer parsers escape.
const PIECES = [
  "admin", "Admin", "weak", "public", "api", "", ".", "..", "...", "..;", ";x", "%2e", ".%2e", "..%20", "..%3b",
  "..%C2%A0", "%2f", "%5C", "\\", "%25", "%3F", "%23", "%20", "adm%C4%B1n", "é", "%C3%A9", "a;b=c", "a.", "%zz",
  "%7E", "^", "{", "x",
];
const NAMES = ["admin", "Admin", "weak", "public", "api"];

/** mulberry32: a small seeded PRNG, so a failing run can be repeated with DIFF_SEED. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(random) {
  const pick = (list) => list[Math.floor(random() * list.length)];
  // Mostly a rule's name first, so the guarded prefixes are tried from every direction.
  const segments = [random() < 0.6 ? pick(NAMES) : pick(PIECES)];
  const more = Math.floor(random() * 5);
  for (let i = 0; i < more; i++) segments.push(random() < 0.25 ? pick(NAMES) : pick(PIECES));
  let target = `/${segments.join("/")}`;
  if (random() < 0.3) target += `?q=${pick(PIECES)}${random() < 0.5 ? `&r=${pick(PIECES)}` : ""}`;
  if (random() < 0.05) target += "#frag";
  return target;
}

// ---------------------------------------------------------------------------------------------

test("G16 G17 G18: what reaches the upstream is what fetch() reads, under the rule the guard applied; a LOA1 session never reaches a LOA2 path (differential)", async (t) => {
  const seed = Number(process.env.DIFF_SEED ?? Math.floor(Math.random() * 2 ** 32));
  const cases = Number(process.env.GUARD_DIFF_CASES ?? 300);
  t.diagnostic(`DIFF_SEED=${seed} GUARD_DIFF_CASES=${cases}`);
  const random = prng(seed);
  const outcomes = { "forwarded-open": 0, "forwarded-weak": 0, "stepped-up": 0, "api-challenged": 0, refused: 0, "refused-by-workerd": 0 };
  const violations = [];

  for (let i = 0; i < cases; i++) {
    const target = generate(random);
    const { res, got } = await probe(target, [
      html,
      cookieLine(`${SESSION_COOKIE}=${sessions.bob}`, "theme=dark"),
      ["x_stepup_sub", "mallory"],
      ["X-Stepup-Acr", "LOA3"],
    ]);
    const fetchReading = whatwg(target);
    const fetchRule = rule(key(fetchReading.path));
    const wrong = (why, extra = {}) => violations.push({ target, status: res.status, fetchRule, why, ...extra });

    if (got.length) {
      const [request] = got;
      const at = request.url;
      const upstreamRule = rule(key(at.split("?")[0]));
      if (got.length !== 1) wrong("the upstream got it more than once", { at });
      if (res.status !== 200) wrong("forwarded, but the answer is not the upstream's", { at });
      // (a) fetch() would send it unchanged.
      if (whatwg(at).pathAndQuery !== at) wrong("fetch() would change what was forwarded", { at });
      // (b) what was forwarded is fetch()'s reading of the target.
      if (caret(at) !== caret(fetchReading.pathAndQuery)) wrong("forwarded other than fetch() reads it", { at, fetch: fetchReading.pathAndQuery });
      // (c) the upstream's reading falls under the rule fetch()'s reading does.
      if (upstreamRule !== fetchRule) wrong("the upstream reads another rule", { at, upstreamRule });
      // (d) bob's LOA1 session never reaches a LOA2 rule.
      if (upstreamRule === "admin" || upstreamRule === "api") wrong("a LOA1 session reached a LOA2 rule", { at, upstreamRule });
      // (e) the identity is the guard's, exactly once, on guarded paths only.
      const identity = identityOf(request);
      if (upstreamRule === "weak") {
        outcomes["forwarded-weak"]++;
        const expected = { "x-stepup-sub": ["bob"], "x-stepup-acr": ["LOA1"], "x-stepup-amr": ["BasicAuthenticator"] };
        for (const [name, values] of Object.entries(expected)) {
          if (JSON.stringify(identity[name]) !== JSON.stringify(values)) wrong(`${name} is not ${values}`, { at, identity });
        }
        if (!/^\d+$/.test(identity["x-stepup-auth-time"]?.join() ?? "")) wrong("no x-stepup-auth-time", { at, identity });
        if (Object.keys(identity).length !== 4) wrong("identity headers besides the guard's four", { at, identity });
      } else {
        outcomes["forwarded-open"]++;
        if (Object.keys(identity).length) wrong("identity headers on an open path", { at, identity });
      }
      // (f) nothing spoofed, none of the guard's cookies.
      if (identityLines(request).some(([, v]) => /mallory|LOA3/.test(v))) wrong("a spoofed identity header arrived", { at, identity });
      if (cookiesOf(request).some((c) => /__host-stepup/i.test(c))) wrong("the guard's cookie arrived", { at, cookies: cookiesOf(request) });
      continue;
    }

    // Nothing reached the upstream: refused, or the step-up / challenge of a rule bob does not meet.
    if (res.status === 400 || res.status === 414) {
      // The guard's refusal is its own page; workerd may refuse a target before the guard sees it.
      if (res.get("x-content-type-options") === "nosniff") outcomes.refused++;
      else outcomes["refused-by-workerd"]++;
    } else if (res.status === 302) {
      outcomes["stepped-up"]++;
      if (fetchRule !== "admin") wrong("a step-up outside /admin/* (bob's session meets every other rule)");
      if (!res.get("location")?.startsWith(`${idp.issuer}/auth?`)) wrong("a redirect elsewhere than the IdP", { location: res.get("location") });
      else if (new URL(res.get("location")).searchParams.get("acr_values") !== "LOA2") wrong("a step-up without acr_values=LOA2");
      if (!res.all("set-cookie").some((c) => c.startsWith("__Host-stepup-tx-"))) wrong("a sign-in without a transaction cookie");
    } else if (res.status === 401) {
      outcomes["api-challenged"]++;
      if (fetchRule !== "api") wrong("a challenge outside /api/*");
    } else {
      wrong("neither forwarded nor refused nor a step-up", { body: res.body.slice(0, 300) });
    }
  }

  t.diagnostic(`outcomes ${JSON.stringify(outcomes)}`);
  assert.deepEqual(violations, [], `DIFF_SEED=${seed}: ${violations.length} violations`);
  // The property must have been tested, not passed vacuously: every class occurred.
  for (const outcome of ["forwarded-open", "forwarded-weak", "stepped-up", "refused"]) {
    assert.ok(outcomes[outcome] > 0, `DIFF_SEED=${seed}: no ${outcome} case among ${cases} (${JSON.stringify(outcomes)})`);
  }
});

test("G16: /admin//../panel is judged as /admin/panel, the path fetch() forwards", async () => {
  // Without a session: the sign-in, nothing forwarded (the old guard read /panel, an open path).
  const anonymous = await probe("/admin//../panel", [html]);
  assertSignInStart(anonymous.res, "no session");
  assert.deepEqual(anonymous.got, []);
  // With alice's LOA2 session it is forwarded, and the upstream gets exactly what was judged.
  const alice = await probe("/admin//../panel", [html, cookieLine(`${SESSION_COOKIE}=${sessions.alice}`)]);
  assert.equal(alice.res.status, 200);
  assert.deepEqual(alice.got.map((r) => r.url), ["/admin/panel"]);
  assert.deepEqual(identityOf(alice.got[0])["x-stepup-sub"], ["alice"]);
});

test("G16: with a LOA1 session, /admin/x//../../weak/y is a step-up, since fetch() reads /admin/weak/y", async () => {
  const { res, got } = await probe("/admin/x//../../weak/y", [html, cookieLine(`${SESSION_COOKIE}=${sessions.bob}`)]);
  assertSignInStart(res, "bob");
  assert.equal(new URL(res.get("location")).searchParams.get("acr_values"), "LOA2");
  assert.deepEqual(got, [], "nothing reached the upstream");
  // The weak path it pretends to be is forwarded when it really is one (the test can tell).
  const weak = await probe("/weak/y", [html, cookieLine(`${SESSION_COOKIE}=${sessions.bob}`)]);
  assert.equal(weak.res.status, 200);
  assert.deepEqual(weak.got.map((r) => r.url), ["/weak/y"]);
});

test("G17: dot-segment junk that servers read as .. is refused, and nothing reaches the upstream", async () => {
  const bob = cookieLine(`${SESSION_COOKIE}=${sessions.bob}`);
  for (const target of ["/weak/..;/admin/x", "/weak/..%20/admin/x", "/weak/..%3b/admin/x", "/weak/..%C2%A0/admin/x",
    "/weak/.../admin/x", "/weak/admin./x", "/weak/.;x/admin"]) {
    const { res, got } = await probe(target, [html, bob]);
    assert.equal(res.status, 400, `${target}: ${res.status} ${res.body.slice(0, 200)}`);
    assertOwnAnswer(res, target);
    assert.deepEqual(got, [], `${target}: nothing reached the upstream`);
  }
});

test("G18: encoded delimiters and characters that case-fold to ASCII are refused; case itself is folded", async () => {
  const bob = cookieLine(`${SESSION_COOKIE}=${sessions.bob}`);
  for (const target of ["/admin%3Fx", "/admin%23x", "/adm%C4%B1n/x", "/weak/%2e%2e/admin/x", "/weak%2f..%2fadmin/x",
    "/weak/%25%32%65%25%32%65/admin", "/%C5%BFecret/../admin",
    // Invisible characters a normalising server or proxy may drop (zero-width space, byte-order mark).
    "/weak/a%E2%80%8Bb", "/%EF%BB%BFadmin/x", "/%E2%80%8Badmin/x"]) {
    const { res, got } = await probe(target, [html, bob]);
    assert.equal(res.status, 400, `${target}: ${res.status} ${res.body.slice(0, 200)}`);
    assert.deepEqual(got, [], `${target}: nothing reached the upstream`);
  }
  // Case is not a way around a rule: a step-up, nothing forwarded.
  for (const target of ["/ADMIN/x", "/Admin;v=1/x", "/weak/../aDmIn/x"]) {
    const { res, got } = await probe(target, [html, bob]);
    assertSignInStart(res, target);
    assert.deepEqual(got, [], `${target}: nothing reached the upstream`);
  }
  // `^` is escaped as the current URL Standard escapes it, so every parser reads the same path.
  const caretPath = await probe("/weak/a^b", [html, bob]);
  assert.equal(caretPath.res.status, 200);
  assert.deepEqual(caretPath.got.map((r) => r.url), ["/weak/a%5Eb"]);
});

test("G19: identity headers in every spelling are the guard's alone, exactly once", async () => {
  const spoofed = [
    ["x-stepup-sub", "mallory"], ["x_stepup_sub", "mallory"], ["X-Stepup_Acr", "LOA3"], ["x-stepup_acr", "LOA3"],
    ["X_STEPUP_AMR", "LOA3 mallory"], ["x.stepup.auth-time", "mallory"], ["x-stepup-extra", "mallory"],
  ];
  // An open path: none of them arrives, and the guard adds none.
  const open = await probe("/public/headers", [html, ...spoofed]);
  assert.equal(open.res.status, 200);
  assert.equal(open.got.length, 1);
  assert.deepEqual(identityLines(open.got[0]), [], "no identity header on an open path");
  // A guarded path with alice's session: the guard's four, each once, alice's values.
  const guarded = await probe("/admin/headers", [html, cookieLine(`${SESSION_COOKIE}=${sessions.alice}`), ...spoofed]);
  assert.equal(guarded.res.status, 200, guarded.res.body);
  assert.equal(guarded.got.length, 1);
  const identity = identityOf(guarded.got[0]);
  assert.deepEqual(Object.keys(identity).sort(), ["x-stepup-acr", "x-stepup-amr", "x-stepup-auth-time", "x-stepup-sub"]);
  assert.deepEqual(identity["x-stepup-sub"], ["alice"]);
  assert.deepEqual(identity["x-stepup-acr"], ["LOA2"]);
  assert.deepEqual(identity["x-stepup-amr"], ["BasicAuthenticator totp"]);
  assert.equal(identity["x-stepup-auth-time"].length, 1);
  assert.match(identity["x-stepup-auth-time"][0], /^\d+$/);
  // The exact spelling the guard sends: a server that folds could otherwise see two.
  assert.ok(identityLines(guarded.got[0]).every(([name]) => /^x-stepup-[a-z-]+$/i.test(name)));
});

test("G20: a subject no header can carry is no session: the sign-in ends in a 403, nothing forwarded", async () => {
  for (const { user, password, page } of UNFORWARDABLE) {
    const agent = new Agent();
    const start = await agent.fetch(`${guardBase}/admin/zoe`, { headers: HTML });
    assert.equal(start.status, 302, user);
    const { location } = await signIn(idp, agent, start, { user, password });
    assert.equal(location.origin, guardBase, location.href);
    const callback = await agent.fetch(location, { headers: HTML });
    const body = await callback.text();
    assert.equal(callback.status, 403, `${user}: ${body}`);
    assert.match(body, page, user);
    assert.equal(callback.headers.get("location"), null, user);
    const cookies = callback.headers.getSetCookie();
    assert.ok(!cookies.some((c) => c.startsWith(`${SESSION_COOKIE}=`)), `${user}: no session cookie`);
    assert.ok(cookies.some((c) => /^__Host-stepup-tx-[^=]+=;.*Max-Age=0$/.test(c)), `${user}: the transaction is deleted`);
    assert.equal(sessionCookie(agent), undefined, user);
    // The same browser going on: still no session, so a sign-in again and nothing forwarded.
    const id = testId();
    const again = await agent.fetch(`${guardBase}/admin/zoe`, { headers: { ...HTML, "x-test-id": id } });
    assert.equal(again.status, 302, user);
    assert.equal(received.get(id), undefined, `${user}: nothing reached the upstream`);
  }
});

test("G21: a session minted by a guard for another client is no session there", async () => {
  const alice = cookieLine(`${SESSION_COOKIE}=${sessions.alice}`);
  // The guard that minted it forwards (the cookie is good)…
  const home = await probe("/admin/bound", [html, alice]);
  assert.equal(home.res.status, 200);
  assert.equal(home.got.length, 1);
  // …a guard with the same secret and issuer but another client id sends the browser to sign in.
  const other = await probe("/admin/bound", [html, alice], { port: guards.other.port });
  assertSignInStart(other.res, "other guard");
  assert.equal(new URL(other.res.get("location")).searchParams.get("client_id"), OTHER_CLIENT_ID);
  assert.deepEqual(other.got, [], "its upstream got nothing");
});

test("G21: the guard's cookies never reach the upstream, also in a second Cookie line or another case", async () => {
  const twoLines = [html, ["Cookie", "theme=dark"], ["Cookie", `${SESSION_COOKIE}=${sessions.alice}; lang=en`]];
  const open = await probe("/public/cookies", twoLines);
  assert.equal(open.res.status, 200, `${open.res.status} ${open.res.body.slice(0, 200)}`);
  assert.equal(open.got.length, 1);
  const cookies = cookiesOf(open.got[0]).join("\n");
  assert.doesNotMatch(cookies, /__host-stepup/i);
  assert.match(cookies, /theme=dark/);
  assert.match(cookies, /lang=en/);
  // Joined by `, `, the second line's session sits inside the first cookie's value, where a
  // browser would keep it: no session is read from there (browsers send one Cookie line).
  const guarded = await probe("/admin/cookies", twoLines);
  assertSignInStart(guarded.res, "two Cookie lines");
  assert.deepEqual(guarded.got, []);
  const { got } = await probe("/public/cookies", [html,
    cookieLine("__HOST-STEPUP-session=x", " __host-stepup-tx-abc=y", "=__Host-stepup-session=z", "theme=dark")]);
  assert.doesNotMatch(cookiesOf(got[0]).join("\n"), /__host-stepup/i);
  assert.match(cookiesOf(got[0]).join("\n"), /theme=dark/);
});

test("G21: the upstream cannot set the guard's cookies; its own cookies pass", async () => {
  for (const [path, session] of [["/weak/plant", sessions.bob], ["/public/plant", undefined]]) {
    const headers = [html, ...(session ? [cookieLine(`${SESSION_COOKIE}=${session}`)] : [])];
    const { res, got } = await probe(path, headers);
    assert.equal(res.status, 200, path);
    assert.equal(got.length, 1, path);
    assert.deepEqual(res.all("set-cookie"), ["theme=dark; Path=/"], path);
  }
});

test("G22: CDN directives are dropped from guarded answers (and kept on open ones)", async () => {
  const guarded = await probe("/weak/cdn", [html, cookieLine(`${SESSION_COOKIE}=${sessions.bob}`)]);
  assert.equal(guarded.res.status, 200);
  assert.equal(guarded.got.length, 1);
  for (const name of ["cdn-cache-control", "cloudflare-cdn-cache-control", "akamai-cache-control", "surrogate-control", "expires",
    "fastly-surrogate-control", "edge-control", "x-accel-expires", "pragma", "age"]) {
    assert.equal(guarded.res.get(name), undefined, name);
  }
  assert.equal(guarded.res.get("cache-control"), "private, no-store");
  assert.match(guarded.res.get("vary") ?? "", /Cookie, Authorization/);
  // The same answer on an open path keeps them: the checks above can tell.
  const open = await probe("/public/cdn", [html]);
  assert.equal(open.res.status, 200);
  assert.equal(open.res.get("cdn-cache-control"), "max-age=600");
  assert.equal(open.res.get("akamai-cache-control"), "max-age=600");
  assert.equal(open.res.get("surrogate-control"), "max-age=600");
  assert.equal(open.res.get("cache-control"), "public, max-age=600");
});

test("G22: a long guarded deep link still signs in, coming back to its path", async () => {
  const query = `q=${"a".repeat(2000)}`;
  const { res, got } = await probe(`/admin/deep?${query}`, [html]);
  assertSignInStart(res, "long deep link");
  assertOwnAnswer(res, "long deep link");
  assert.deepEqual(got, []);
  // Through the whole sign-in: the way back is the path (the query did not fit the cookie).
  const { callback } = await signInThrough(idp, new Agent(), `${guardBase}/admin/deep?${query}`);
  assert.equal(callback.status, 303, await callback.clone().text());
  assert.equal(callback.headers.get("location"), `${guardBase}/admin/deep`);
});

test("G22: the guard's own redirects, refusals and challenges are not sniffable, frameable or cacheable", async () => {
  const redirect = await probe("/admin/own", [html]);
  assert.equal(redirect.res.status, 302);
  assertOwnAnswer(redirect.res, "302");
  const refusal = await probe("/admin%2fown", [html]);
  assert.equal(refusal.res.status, 400);
  assertOwnAnswer(refusal.res, "400");
  const tooLong = await probe(`/public/${"a".repeat(9000)}`, [html]);
  assert.equal(tooLong.res.status, 414);
  assertOwnAnswer(tooLong.res, "414");
  const challenge = await probe("/api/own", [["accept", "application/json"]]);
  assert.equal(challenge.res.status, 401);
  assertOwnAnswer(challenge.res, "401");
  for (const { got } of [redirect, refusal, tooLong, challenge]) assert.deepEqual(got, []);
});

test("G04: a cookie bomb of transaction cookies costs at most 16 deletions and one new transaction", async () => {
  const bomb = Array.from({ length: 300 }, (_, i) => `__Host-stepup-tx-xxxxxxxx${String(i).padStart(8, "0")}=bomb`);
  const { res, got } = await probe("/admin/bomb", [html, cookieLine(...bomb)]);
  assertSignInStart(res, "cookie bomb");
  const cookies = res.all("set-cookie");
  assert.ok(cookies.length <= 17, `${cookies.length} Set-Cookie lines`);
  const deletions = cookies.filter((c) => /Max-Age=0$/.test(c));
  assert.ok(deletions.length <= 16, `${deletions.length} deletions`);
  assert.equal(cookies.length - deletions.length, 1, "one new transaction");
  assert.deepEqual(got, []);
});

test("F07: a replayed authorization code (the transaction cookie restored) is a 400 page that ends the transaction", async () => {
  const agent = new Agent();
  const { location } = await toCallback(idp, agent, `${guardBase}/admin/replay`);
  // The browser's cookies just before the callback: the transaction is still there.
  const saved = new Map(agent.cookies);
  const transaction = [...saved.values()].find((c) => c.name.startsWith("__Host-stepup-tx-"));
  assert.ok(transaction, "a transaction cookie before the callback");
  const first = await agent.fetch(location, { headers: HTML });
  assert.equal(first.status, 303, await first.clone().text());

  const replayer = new Agent();
  replayer.cookies = new Map(saved);
  const again = await replayer.fetch(location, { headers: HTML });
  const body = await again.text();
  assert.equal(again.status, 400, body);
  assert.match(body, /could not be completed/);
  assert.equal(again.headers.get("location"), null);
  const cookies = again.headers.getSetCookie();
  assert.ok(cookies.some((c) => c.startsWith(`${transaction.name}=;`) && /Max-Age=0$/.test(c)), cookies.join("\n"));
  assert.ok(!cookies.some((c) => c.startsWith(`${SESSION_COOKIE}=`)), "no session");
});

test("hung upstream: a 504 page after STEPUP_UPSTREAM_TIMEOUT; an unreachable one: a 502 page", async () => {
  const { res, got } = await probe("/weak/hang", [html, cookieLine(`${SESSION_COOKIE}=${sessions.bob}`)]);
  assert.equal(res.status, 504, res.body);
  assert.equal(got.length, 1, "the upstream got it and never answered");
  assert.ok(res.ms >= UPSTREAM_TIMEOUT * 1000 - 200, `answered after ${res.ms} ms`);
  assert.ok(res.ms < UPSTREAM_TIMEOUT * 1000 + 2500, `answered after ${res.ms} ms`);
  assertOwnAnswer(res, "504");

  const unreachable = await raw("/public/x", [html], { port: guards.unreachable.port });
  assert.equal(unreachable.status, 502, unreachable.body);
  assertOwnAnswer(unreachable, "502");
});

// The outside attack's second round, each checked against what the upstream received.
test("G10 G18 G16 G19 G21: format suffixes, compatibility characters, a Host with a path, other Authorization schemes, Cookie2, Clear-Site-Data", async () => {
  const bob = cookieLine(`${SESSION_COOKIE}=${sessions.bob}`);
  const alice = cookieLine(`${SESSION_COOKIE}=${sessions.alice}`);
  // Rails and Spring route `/admin.json` to `/admin`: judged under /admin/*, a step-up for bob.
  for (const target of ["/admin.json", "/ADMIN.xml", "/admin.do/x", "/admin/panel.json"]) {
    const { res, got } = await probe(target, [html, bob]);
    assertSignInStart(res, target);
    assert.deepEqual(got, [], `${target}: nothing reached the upstream`);
  }
  // Characters whose NFKC form holds ASCII: a normalising router would read /admin or `..`.
  for (const target of ["/%E2%93%90dmin/x", "/adm%E2%85%B0n/x", "/%C2%AApi/x", "/weak/%E2%80%A5/admin/x",
    "/weak/%EF%B8%B0/admin/x", "/a%E2%88%95admin"]) {
    const { res, got } = await probe(target, [html]);
    assert.equal(res.status, 400, target);
    assert.deepEqual(got, [], `${target}: nothing reached the upstream`);
  }
  // A Host that carries a path would move it into the URL the runtime builds.
  const host = await probe("/admin/x", [["host", `127.0.0.1:${guards.main.port}/public?`]], { host: false });
  assert.equal(host.res.status, 400);
  assert.deepEqual(host.got, []);
  // On a session, the upstream sees the guard's identity only: no other Authorization.
  const basic = await probe("/admin/x", [html, alice, ["authorization", "Basic bWFsbG9yeTpwdw=="], ["cookie2", "x=1"]]);
  assert.equal(basic.res.status, 200);
  assert.equal(basic.got.length, 1);
  const lines = pairsOf(basic.got[0]).map(([n]) => n.toLowerCase());
  assert.ok(!lines.includes("authorization") && !lines.includes("cookie2"), lines.join(","));
  assert.deepEqual(identityOf(basic.got[0])["x-stepup-sub"], ["alice"]);
  // `Bearer<TAB>token` is a malformed bearer header, not another scheme.
  const tab = await probe("/admin/x", [html, alice, ["authorization", "Bearer\tabc.def.ghi"]]);
  assert.equal(tab.res.status, 400);
  assert.deepEqual(tab.got, []);
  // Clear-Site-Data from the upstream cannot delete the guard's cookies; its other directives pass.
  const csd = await probe("/weak/csd", [html, bob]);
  assert.equal(csd.res.get("clear-site-data"), '"cache"');
  const all = await probe("/public/csd-all", [html]);
  assert.equal(all.res.status, 200);
  assert.equal(all.res.get("clear-site-data"), undefined);
});

// The outside attack's third round.
test("G21 G10 G19 G22: a session inside another cookie's value, a front controller's PATH_INFO, rewrite headers, odd statuses", async () => {
  const bob = cookieLine(`${SESSION_COOKIE}=${sessions.bob}`);
  // Browsers keep `pref=x,__Host-stepup-session=…` as one cookie: no session is read from it.
  const inside = await probe("/admin/x", [html, ["cookie", `pref=x,${SESSION_COOKIE}=${sessions.alice}; other=1`]]);
  assertSignInStart(inside.res, "a session inside another cookie's value");
  assert.deepEqual(inside.got, []);
  // Nor may the upstream plant one that way.
  const planted = await probe("/weak/plant-value", [html, bob]);
  assert.deepEqual(planted.res.all("set-cookie"), ["theme=dark; Path=/"]);
  // `/index.php/admin/x` is `/admin/x` to a PHP front controller: judged under /admin/* too.
  for (const target of ["/index.php/admin/x", "/app.php/api/x"]) {
    const { res, got } = await probe(target, [html, bob]);
    assert.ok(res.status === 302 || res.status === 401, `${target}: ${res.status}`);
    assert.deepEqual(got, [], `${target}: nothing reached the upstream`);
  }
  // Headers that reroute a request or carry a proxy's credential never reach the application.
  const rewrite = await probe("/weak/x", [html, bob, ["x-original-url", "/admin/x"], ["x-rewrite-url", "/admin/x"],
    ["proxy-authorization", "Bearer x"]]);
  assert.equal(rewrite.got.length, 1);
  const names = pairsOf(rewrite.got[0]).map(([n]) => n.toLowerCase());
  for (const name of ["x-original-url", "x-rewrite-url", "proxy-authorization"]) assert.ok(!names.includes(name), name);
  // A status the runtime cannot pass on is the application's failure, not the provider's.
  const odd = await probe("/weak/status-600", [html, bob]);
  assert.equal(odd.res.status, 502);
  assert.doesNotMatch(odd.res.body, /identity provider|status codes in the range/);
  // Clear-Site-Data directives are kept only as browsers compare them.
  const params = await probe("/weak/csd-params", [html, bob]);
  assert.equal(params.res.get("clear-site-data"), undefined);
});

// The outside attack's fourth round.
test("X10: an exact rule guards its script with more path after it (PATH_INFO): nothing reaches the upstream without a session", async () => {
  // PHP, CGI and ASP.NET run /account/email.php/x as /account/email.php, with PATH_INFO /x.
  for (const target of ["/account/email.php/x", "/account/email.php;x/y", "/account/email.cgi/x", "/account/email.aspx/x",
    "/account/email.asmx/Send", "/account/email.php5/x", "/ACCOUNT/Email.PHP/x/y", "/cgi-bin/email.py/x", "/cgi-bin/email.py"]) {
    const { res, got } = await probe(target, [html]);
    assertSignInStart(res, target);
    assert.deepEqual(got, [], `${target}: nothing reached the upstream`);
  }
  // Another script is no business of the rule: forwarded as it is.
  for (const target of ["/account/other.php/x", "/account/emails.php/x", "/cgi-bin/other.py/x"]) {
    const { res, got } = await probe(target, [html]);
    assert.equal(res.status, 200, target);
    assert.deepEqual(got.map((r) => r.url), [target]);
    assert.deepEqual(identityLines(got[0]), [], target);
  }
  // With a session, the script gets the request with the identity.
  const { res, got } = await probe("/account/email.php/x", [html, cookieLine(`${SESSION_COOKIE}=${sessions.alice}`)]);
  assert.equal(res.status, 200, res.body);
  assert.deepEqual(got.map((r) => r.url), ["/account/email.php/x"]);
  assert.deepEqual(identityOf(got[0])["x-stepup-sub"], ["alice"]);
});

test("X11 X20: rewrite, proxy and mount-point headers reach the upstream in no spelling a CGI-style server folds to theirs", async () => {
  const never = ["x-original-url", "x-rewrite-url", "proxy-authorization", "proxy", "cookie2", "x-script-name",
    "x-forwarded-prefix", "x-forwarded-path", "x-original-uri", "script-name", "path-info", "x-forwarded-uri",
    "x-envoy-original-path", "daphne-root-path", "x-forwarded-script-name", "x-traversal-path"];
  const spellings = [["X_Original_URL", "/admin/x"], ["X-Original.URL", "/admin/x"], ["x_rewrite_url", "/admin/x"],
    ["X.Rewrite_Url", "/admin/x"], ["proxy_authorization", "Basic bWFsbG9yeTpwdw=="], ["Proxy.Authorization", "Basic x"],
    ["Proxy", "http://127.0.0.1:1"], ["COOKIE2", "x=1"], ["x-original-urls", "kept"],
    // X20: what an app behind a proxy strips as its mount point or reads as the path asked for.
    ["X-Script-Name", "/public"], ["x_forwarded_prefix", "/public"], ["X-Forwarded-Path", "/admin/x"], ["X_Original_URI", "/admin/x"],
    ["SCRIPT_NAME", "/public"], ["Path_Info", "/admin/x"], ["X-Forwarded-Uri", "/admin/x"], ["X-Envoy-Original-Path", "/admin/x"],
    ["Daphne-Root-Path", "/public"], ["X-Forwarded-Script-Name", "/public"], ["X-Traversal-Path", "/public"]];
  for (const [target, session] of [["/public/x", undefined], ["/weak/x", sessions.bob]]) {
    const { res, got } = await probe(target, [html, ...(session ? [cookieLine(`${SESSION_COOKIE}=${session}`)] : []), ...spellings]);
    assert.equal(res.status, 200, target);
    assert.equal(got.length, 1, target);
    const names = pairsOf(got[0]).map(([name]) => name);
    assert.deepEqual(names.filter((name) => never.includes(fold(name))), [], target);
    // A name that only looks alike is the application's: the check above can tell.
    assert.ok(names.includes("x-original-urls"), `${target}: ${names}`);
  }
});

test("X20: what Windows servers read as another path is refused, and a directory's index page is judged by the directory's rule: nothing reaches the upstream without a session", async () => {
  for (const target of ["/(S(x))/admin/panel.aspx", "/adm/(S(x))in/panel.aspx", "/account/SETTIN~1.PHP", "/admin::$INDEX_ALLOCATION/x",
    "/admin:$i30:$INDEX_ALLOCATION/x"]) {
    const { res, got } = await probe(target, [html]);
    assert.equal(res.status, 400, `${target}: ${res.status}`);
    assert.deepEqual(got, [], `${target}: nothing reached the upstream`);
  }
  for (const target of ["/account/email/index.php", "/account/email/Default.aspx", "/account/email.wsgi/x", "/account/email.sh/x",
    "/account/email/index.php/x", "/account/email/Default.aspx/x", "/account/email/index", "/account/index.php/email",
    "/account/email/index.rpy", "/account/email/index.txt", "/index.rpy/admin/x"]) {
    const { res, got } = await probe(target, [html]);
    assertSignInStart(res, target);
    assert.deepEqual(got, [], `${target}: nothing reached the upstream`);
  }
  // Parentheses and tildes otherwise are ordinary: forwarded as they are.
  for (const target of ["/wiki/Foo_(bar)", "/~alice/", "/schemas/a~1b"]) {
    const { res, got } = await probe(target, [html]);
    assert.equal(res.status, 200, target);
    assert.deepEqual(got.map((r) => r.url), [target]);
  }
});

// The outside attack's sixth round.
test("X22: a script's name with text glued on is judged as that script with more path: nothing reaches the upstream without a session", async () => {
  // CodeIgniter, Yii and Slim cut the front controller's path off the target as a string:
  // /index.phpadmin/x routes admin/x.
  for (const target of ["/index.phpadmin/x", "/INDEX.PHPadmin/x", "/index.phpaccount/email", "/index.php5admin/x", "/app.phpapi/x",
    // Decoded first, as Yii decodes before it cuts (the seventh round).
    "/index.ph%70admin/x", "/index.%70hpaccount/email"]) {
    const { res, got } = await probe(target, [html]);
    assert.ok([302, 401].includes(res.status), `${target}: ${res.status}`);
    assert.deepEqual(got, [], `${target}: nothing reached the upstream`);
  }
  // Glued onto no guarded path: forwarded as it is.
  const open = await probe("/index.phpcart", [html]);
  assert.equal(open.res.status, 200);
  assert.deepEqual(open.got.map((r) => r.url), ["/index.phpcart"]);
});

test("X23: a path that begins with // (which Java's URI reads as a host) is refused: nothing reaches the upstream", async () => {
  for (const target of ["//evil/admin/x", "//x/account/email", "/.//admin/x", "///admin/x"]) {
    const { res, got } = await probe(target, [html]);
    assert.equal(res.status, 400, `${target}: ${res.status}`);
    assert.deepEqual(got, [], `${target}: nothing reached the upstream`);
  }
  const { res, got } = await probe("/public//x", [html]);
  assert.equal(res.status, 200);
  assert.deepEqual(got.map((r) => r.url), ["/public//x"]);
});

// The outside attack's seventh round.
test("X28 X29 X32: what routers that cut strings read as a guarded path is judged by its rule: nothing reaches the upstream without a session", async () => {
  // (X32, the tenth round: the rule's path with its leading segments dropped, for an app in
  // /cgi-bin that cuts after its script's length, or strips index.php twice.)
  for (const target of [
    // X28: a `/` inside a rule's path missing (a front controller in a directory cuts it off as a
    // string), and a rule written `/reports*` for a router that matches a string prefix.
    "/accountemail", "/cgi-binemail.py", "/reportsx", "/reports-2026/q1",
    // X29: CodeIgniter 3 routes a query that begins with `/` as the path.
    "/?/admin/x", "/index.php?/admin/x", "/?/account/email",
    // ... under the path's directory too (a front controller in /cgi-bin).
    "/cgi-bin/?/email.py", "/cgi-bin/index.php?/email.py",
    // X32: Symfony, in a directory, cuts the path after its script's length.
    "/index.php/abcdef/admin/x", "/aaaaaindex.phpxx/admin/panel",
    "/cgi-binxindex.php/email.py", "/cgi-bin/index.php/index.php/email.py",
    // (the eleventh round: Symfony finds its script anywhere, past a decoy; CodeIgniter 4 reads
    // `+` as a space and trims it.)
    `/x.php${"/a".repeat(70)}/public/index.php/admin/x`, "/+admin/x", "/%2B/admin/x", "/?/+admin/x",
    // (the twelfth and thirteenth: that reading never refused, under the directory too.)
    "/+admin/x.+", "/+admin/x/+..+/pub", "/cgi-bin/?/+email.py",
    // (the fourteenth: a space beside the `+`.)
    "/+%20admin/x", "/+%20+/admin/x", "/account/email%20+",
    // (the fifteenth: index.php stripped twice, then the `+` read.)
    "/index.php/index.php/+admin/x", "/cgi-bin/index.php/index.php/+email.py",
  ]) {
    const { res, got } = await probe(target, [html]);
    assert.ok([302, 401].includes(res.status), `${target}: ${res.status}`);
    assert.deepEqual(got, [], `${target}: nothing reached the upstream`);
  }
  // A query path with `.` or `..`, which CodeIgniter drops where the guard would resolve them, is
  // refused; so is one its path would be.
  for (const target of ["/?/admin/x/../..", "/?//evil/admin", "/?/public&/../admin/x", "/a.php".repeat(9)]) {
    const refused = await probe(target, [html]);
    assert.equal(refused.res.status, 400, target);
    assert.deepEqual(refused.got, []);
  }
  // `/admin/*` is what lies below `/admin`: a neighbour that begins alike is the app's.
  for (const target of ["/public/x?a=/admin/x", "/public/adm", "/adminpanel", "/api-docs", "/public/etc.+"]) {
    const { res, got } = await probe(target, [html]);
    assert.equal(res.status, 200, target);
    assert.deepEqual(got.map((r) => r.url), [target]);
  }
  // With a session that meets the rule, forwarded as it came.
  const { res, got } = await probe("/?/weak/x", [html, cookieLine(`${SESSION_COOKIE}=${sessions.bob}`)]);
  assert.equal(res.status, 200, res.body);
  assert.deepEqual(got.map((r) => r.url), ["/?/weak/x"]);
});

test("X17: the upstream cannot set the guard's cookie after the attributes of one of its own", async () => {
  for (const [path, session] of [["/weak/plant-attribute", sessions.bob], ["/public/plant-attribute", undefined]]) {
    const { res, got } = await probe(path, [html, ...(session ? [cookieLine(`${SESSION_COOKIE}=${session}`)] : [])]);
    assert.equal(res.status, 200, path);
    assert.equal(got.length, 1, path);
    assert.deepEqual(res.all("set-cookie"), ["theme=dark; Path=/"], path);
  }
});

test("G08: a guarded request is forwarded with cache \"no-store\", so the runtime's cache neither keeps nor serves its answer; an open one is not", async () => {
  // workerd carries Fetch's cache mode out as request headers every cache on the way obeys.
  const guarded = await probe("/weak/x", [html, cookieLine(`${SESSION_COOKIE}=${sessions.bob}`)]);
  assert.equal(guarded.res.status, 200, guarded.res.body);
  assert.equal(guarded.got.length, 1);
  const sent = (request, name) => pairsOf(request).filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
  assert.deepEqual(sent(guarded.got[0], "cache-control"), ["no-cache"]);
  assert.deepEqual(sent(guarded.got[0], "pragma"), ["no-cache"]);
  const open = await probe("/public/x", [html]);
  assert.equal(open.res.status, 200);
  assert.deepEqual(sent(open.got[0], "cache-control"), []);
});
