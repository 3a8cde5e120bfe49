// The edge guard under load: wrk, in a process of its own, sends a mix of allowed, redirected,
// challenged and malicious requests (tests/js/load/mix.lua checks every answer) to the guard in
// workerd for a warm-up and a few short rounds. No 5xx, no answer other than each request's own,
// and nothing is kept once warm: neither the wasm memory nor the guard's live JavaScript heap
// (after a full collection) grows. Percentiles go to the diagnostics and to
// tests/js/artifacts/load.json.
//
// The process's RSS is recorded and only bounded: workerd's native allocator keeps what a burst
// of subrequests used, so RSS climbs for tens of seconds to a plateau (about 480 MB under this
// load for a bare JavaScript proxy with no stepup in it, measured on the same machine) whatever
// the worker does. The live heaps are what a leak would grow.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { API_AUDIENCE, edgeClient, spaClient, startIdp } from "../idp/server.mjs";
import { Agent, HTML as html, SESSION_COOKIE, accessToken, sessionCookie, signInThrough } from "./agent.mjs";
import { KINDS, byKind, forgedTokens, latencyLine, mixProblems, runMix, tamperedCookies } from "./load/mix.mjs";
import { freePort, guardEnv, startWorkerd } from "./workerd.mjs";

// worker/worker.js wrapped with a test-only path for the wasm memory, forwarding in-process.
const CONFIG = new URL("../workerd/guard-load.capnp", import.meta.url);
const MEMORY_PATH = "/__stepup-test/wasm-memory";
const UPSTREAM = "http://upstream.test";
const SPA_CALLBACK = "http://127.0.0.1:5999/callback"; // the SPA client's tokens; never followed
const ARTIFACT = new URL("artifacts/load.json", import.meta.url);
const RULES = [
  { path: "/admin/*", acr: ["LOA2"] },
  { path: "/api/*", acr: ["LOA2"], api: true },
  { path: "/account/*" }, // any session: bob signs in here with a password only
];
const WARM_UP_SECONDS = 3;
const ROUND_SECONDS = 4;
const ROUNDS = 3;
const CONNECTIONS = 2; // wrk threads, one connection each
/** Growth allowed once warm: one wasm page; 1 MB of live heap (a leak of 100 bytes a request is 1.3 MB a round). */
const WASM_PAGE = 64 * 1024;
const HEAP_GROWTH_MB = 1;
/** A bound on the workerd process, far above its plateau: a runaway, not a leak, trips it. */
const RSS_LIMIT_KIB = 1024 * 1024;
/** The guard's default key-set cooldown (STEPUP_KEYS_COOLDOWN). */
const COOLDOWN_SECONDS = 30;

let idp, worker, base;
const rounds = []; // { label, report, wasmBytes, heapMb, rssKib }

/** Session cookie value of `user` signed in through the guard at `path`. */
async function session(path, user) {
  const agent = new Agent();
  const { callback } = await signInThrough(idp, agent, `${base}${path}`, user);
  assert.equal(callback.status, 303, await callback.clone().text());
  return sessionCookie(agent);
}

/**
 * The request mix; `rows` name the SECURITY.md rows a variant exercises. Statuses are those the
 * README and guard.test.mjs establish for each request.
 */
function variants({ alice, bob, strong, weak }) {
  const json = { accept: "application/json" };
  const cookie = (value) => ({ cookie: `${SESSION_COOKIE}=${value}` });
  const toIdp = ["location", `${idp.issuer}/auth?`];
  const invalid = ["www-authenticate", 'Bearer error="invalid_token"'];
  const forged = forgedTokens(strong);
  const tampered = tamperedCookies(alice);
  const redirect = (name, headers, path = "/admin/x", rows = []) =>
    ({ name, kind: "malicious", path, headers: { ...html, ...headers }, status: 302, check: toIdp, rows });
  const refused = (name, path) =>
    ({ name, kind: "malicious", path, headers: html, status: 400, check: ["x-content-type-options", "nosniff"], rows: ["G10", "G16", "G17", "G18"] });
  const bearer = (name, token, rows) =>
    ({ name, kind: "malicious", path: "/api/x", headers: { authorization: `Bearer ${token}` }, status: 401, check: invalid, rows });
  return [
    { name: "session-page", kind: "allowed", path: "/admin/x", headers: { ...html, ...cookie(alice) }, status: 200, check: ["cache-control", "private, no-store"] },
    { name: "session-api", kind: "allowed", path: "/api/balance", headers: { ...json, ...cookie(alice) }, status: 200 },
    { name: "bearer-api", kind: "allowed", path: "/api/balance", headers: { authorization: `Bearer ${strong}` }, status: 200 },
    { name: "open-page", kind: "allowed", path: "/public/x", headers: html, status: 200 },
    { name: "no-session", kind: "redirected", path: "/admin/x", headers: html, status: 302, check: toIdp },
    { name: "weak-session-page", kind: "redirected", path: "/admin/x", headers: { ...html, ...cookie(bob) }, status: 302, check: ["location", "acr_values=LOA2"] },
    { name: "weak-bearer", kind: "challenged", path: "/api/x", headers: { authorization: `Bearer ${weak}` }, status: 401, check: ["www-authenticate", 'error="insufficient_user_authentication"'] },
    { name: "weak-session-api", kind: "challenged", path: "/api/x", headers: { ...json, ...cookie(bob) }, status: 401, check: ["www-authenticate", 'acr_values="LOA2"'] },
    redirect("flipped-cookie", cookie(tampered.flipped), undefined, ["G03"]),
    redirect("truncated-cookie", cookie(tampered.truncated), undefined, ["G03"]),
    redirect("forged-cookie", cookie(tampered.forged), undefined, ["G03"]),
    redirect("duplicated-cookie", { cookie: `${SESSION_COOKIE}=${alice}; ${SESSION_COOKIE}=${alice}` }, undefined, ["G03"]),
    redirect("cookie-bomb", { cookie: Array.from({ length: 150 }, (_, i) => `c${i}=${"x".repeat(100)}`).join("; ") }),
    redirect("spoofed-identity", { "x-stepup-sub": "alice", "x-stepup-acr": "LOA3", "x-forwarded-user": "alice" }),
    redirect("huge-header", { "x-padding": "p".repeat(32 * 1024) }, undefined, ["A29"]),
    refused("dot-encoded", "/admin%2e"),
    redirect("upper-case", {}, "/ADMIN/", ["G10"]),
    redirect("double-slash", {}, "/admin//x", ["G10"]),
    // A path that begins with // is read as a host by some servers (X23).
    refused("network-path", "//evil/admin"),
    redirect("encoded-letter", {}, "/%61dmin/x", ["G10"]),
    redirect("dot-segments", {}, "/public/../admin/x", ["G10"]),
    // A target whose meaning depends on who parses it is refused, never guessed (G16–G18).
    refused("encoded-dot-segments", "/public/%2e%2e/admin/x"),
    refused("encoded-slash", "/admin%2fx"),
    refused("encoded-traversal", "/public%2f..%2fadmin"),
    refused("dot-segment-junk", "/public/..;/admin/x"),
    bearer("alg-none", forged.algNone, ["B01"]),
    bearer("unknown-kid", forged.unknownKid, ["C04"]),
    bearer("oversized-bearer", forged.oversized, ["A29"]),
    bearer("garbage-bearer", forged.garbage, []),
    { name: "malformed-authorization", kind: "malicious", path: "/api/x", headers: { authorization: "Bearer  two-spaces" }, status: 400, check: ["www-authenticate", 'error="invalid_request"'], rows: ["E16"] },
  ];
}

let mix;

const FULL_GC = /Mark-Compact [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB.*testing/g;

/**
 * After a full collection in the guard's isolate: its wasm memory (bytes) and its live heap (MB,
 * the collection's own --trace-gc line, which may reach the pipe just after the answer).
 */
async function memory() {
  const collections = () => [...worker.output().matchAll(FULL_GC)];
  const seen = collections().length;
  const { bytes, gc } = await (await fetch(`${base}${MEMORY_PATH}`)).json();
  assert.ok(gc, "guard-load.capnp exposes gc()");
  for (let wait = 0; collections().length === seen; wait++) {
    assert.ok(wait < 50, "no --trace-gc line for the collection");
    await new Promise((r) => setTimeout(r, 20));
  }
  return { wasmBytes: bytes, heapMb: Number(collections().at(-1)[1]) };
}

/** Resident memory of the workerd process, KiB. */
async function rssKib() {
  const status = await readFile(`/proc/${worker.pid}/status`, "utf8");
  return Number(status.match(/^VmRSS:\s+(\d+) kB$/m)[1]);
}

async function round(label, seconds) {
  const report = await runMix(base, mix, { seconds, threads: CONNECTIONS });
  rounds.push({ label, report, ...(await memory()), rssKib: await rssKib() });
  return report;
}

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  idp = await startIdp({ profile: "wso2", clients: [edgeClient([`${base}/callback`]), spaClient([SPA_CALLBACK])] });
  worker = await startWorkerd(CONFIG, {
    port,
    lineBuffered: true,
    env: guardEnv(idp, {
      STEPUP_UPSTREAM: UPSTREAM,
      STEPUP_RULES: RULES,
      STEPUP_API_AUDIENCE: API_AUDIENCE,
      STEPUP_PUBLIC_ORIGIN: base,
    }),
  });
  mix = variants({
    alice: await session("/admin/x", "alice"),
    bob: await session("/account/x", "bob"),
    strong: await accessToken(idp, { redirectUri: SPA_CALLBACK, acrValues: ["LOA2"] }),
    weak: await accessToken(idp, { redirectUri: SPA_CALLBACK, user: "bob", acrValues: ["LOA1"] }),
  });
});
after(async () => {
  await worker?.stop();
  await idp?.close();
});

test("a warm-up and rounds of the mix: every answer is its request's own, no 5xx, every kind sent", async (t) => {
  const jwksBefore = idp.hits("/jwks");
  const started = Date.now();
  await round("warm-up", WARM_UP_SECONDS);
  for (let i = 1; i <= ROUNDS; i++) await round(`round ${i}`, ROUND_SECONDS);
  const jwksFetches = idp.hits("/jwks") - jwksBefore;

  for (const { label, report, wasmBytes: wasm, heapMb, rssKib: rss } of rounds) {
    t.diagnostic(`${label}: ${latencyLine(report)}; wasm ${wasm / 1024} KiB, live heap ${heapMb} MB, workerd RSS ${rss} KiB`);
    assert.deepEqual(mixProblems(report), [], label);
    const kinds = byKind(report);
    for (const kind of KINDS) assert.ok(kinds[kind]?.sent > 0, `${label}: no ${kind} request was sent`);
    assert.equal(Object.values(kinds).reduce((n, k) => n + k.server_errors, 0), 0, `${label}: 5xx answers`);
  }
  await mkdir(new URL(".", ARTIFACT), { recursive: true });
  await writeFile(ARTIFACT, `${JSON.stringify({
    date: new Date().toISOString(),
    node: process.version,
    connections: CONNECTIONS,
    jwksFetches,
    rounds: rounds.map(({ label, report, wasmBytes: wasm, heapMb, rssKib: rss }) => ({
      label, requests: report.requests, seconds: report.duration_us / 1e6, latencyUs: report.latency_us,
      wasmBytes: wasm, heapMb, rssKib: rss, kinds: byKind(report),
    })),
  }, null, 2)}\n`);

  // C04: unknown kids on every cycle of the mix cost at most one key-set fetch per cooldown.
  const windows = Math.ceil((Date.now() - started) / 1000 / COOLDOWN_SECONDS);
  assert.ok(jwksFetches <= windows, `${jwksFetches} key-set fetches in ${windows} cooldown windows`);
});

test("neither the wasm memory nor the guard's live heap grows once warm; the process stays bounded", () => {
  assert.ok(rounds.length === ROUNDS + 1, "the rounds ran");
  const [warm, ...measured] = rounds;
  for (const { label, wasmBytes: wasm, heapMb, rssKib: rss } of measured) {
    assert.ok(wasm <= warm.wasmBytes + WASM_PAGE, `${label}: wasm memory ${wasm} bytes, ${warm.wasmBytes} after the warm-up`);
    assert.ok(heapMb <= warm.heapMb + HEAP_GROWTH_MB, `${label}: live heap ${heapMb} MB, ${warm.heapMb} MB after the warm-up`);
    assert.ok(rss <= RSS_LIMIT_KIB, `${label}: workerd RSS ${rss} KiB`);
  }
});
