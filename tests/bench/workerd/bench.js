// The bench worker (bench.capnp, socket "http"): each request runs one batch of work and answers
// when it is done. tests/bench/workerd.mjs times the requests from node and subtracts an empty
// request's round trip: inside workerd the clocks stand still while code computes.
import * as stepup from "../pkg/index.js";
import wasm from "../pkg/stepup_bg.wasm";
import { createBench, instantiate } from "./suite.js";
import { GuardCore } from "../pkg/stepup.js";

const { memory } = stepup.initSync({ module: wasm });

let bench; // the verification workloads, once POST /fixtures has sent the tokens
let guard; // a Guard of this worker's own, made as worker/worker.js makes one
let app; // { path, session, api, bearer }: a page of the guarded app and a signed-in user's Cookie header, an API call and an access token

/**
 * Sends `n` allowed page requests through `send`, each answered 200 and read to the end. Each is
 * a new `Request`, as a worker receives one, for the guard and for the plain forward alike.
 */
async function requests(n, send, api = false) {
  if (!app) throw new Error("POST /app first");
  const headers = api ? { authorization: `Bearer ${app.bearer}`, accept: "application/json" } : { cookie: app.session, accept: "text/html" };
  const path = api ? app.api : app.path;
  for (let i = 0; i < n; i++) {
    const response = await send(new Request(`http://bench.example${path}`, { headers }));
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`app request answered ${response.status}`);
  }
  return { memory: memory.buffer.byteLength };
}

/**
 * What "/floor" carries out: the guard core's own plan for the bench's page request, decided
 * once, and the lists every guarded answer loses and gains (`GuardCore.guardedAnswer`).
 */
let fixed;

/** See "/floor": the steps of js/guard.js's `fetch` that are the runtime's, in the same order. */
async function floor(request, env) {
  // The request's headers as the guard hands them to its decision.
  let text = "";
  let lines = 0;
  for (const [name, value] of request.headers) {
    text += lines === 0 ? `${name}\n${value}` : `\n${name}\n${value}`;
    lines += 2;
  }
  if (!fixed) {
    const core = new GuardCore(env);
    const plan = JSON.parse(core.decide(request.method, request.url, text, lines));
    if (plan[0] !== "forward") throw new Error(`the guard does not forward the bench's request: ${JSON.stringify(plan)}`);
    const [drop, setAlways, append, ending, cache] = core.guardedAnswer();
    fixed = { plan, drop: new Set(drop), setAlways, append, ending, cache };
  }
  const { plan: [, url, remove, set, , timeout], drop, setAlways, append, ending, cache } = fixed;
  const headers = new Headers(request.headers);
  for (let i = 0; i < remove.length; i++) headers.delete(remove[i]);
  for (let i = 0; i < set.length; i += 2) headers.set(set[i], set[i + 1]);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  let response;
  try {
    // The guard's own init for a guarded GET: no body, and the cache mode that keeps the
    // runtime's cache out of it (in workerd this mode alone costs tens of µs a request).
    const method = request.method;
    response = await fetch(url, { method, headers, redirect: "manual", signal: controller.signal, body: undefined, cache });
  } finally {
    clearTimeout(timer);
  }
  response.headers.getSetCookie();
  response.headers.get("clear-site-data");
  const out = new Response(response.body, response);
  const outHeaders = out.headers;
  const present = [];
  for (const [name] of outHeaders) if (drop.has(name) || name.endsWith(ending)) present.push(name);
  for (let i = 0; i < present.length; i++) outHeaders.delete(present[i]);
  for (let i = 0; i < setAlways.length; i += 2) outHeaders.set(setAlways[i], setAlways[i + 1]);
  for (let i = 0; i < append.length; i += 2) outHeaders.append(append[i], append[i + 1]);
  return out;
}

/** Forwarded as plain.js forwards: the worker that only forwards. */
function plain(request, env) {
  const { pathname, search } = new URL(request.url);
  const url = `${env.STEPUP_UPSTREAM}${pathname}${search}`;
  return fetch(url, { method: request.method, headers: request.headers, redirect: "manual" });
}

const routes = {
  "/noop": () => null,
  "/fixtures": async ({ request }) => {
    bench = await createBench(stepup, memory, await request.json());
    return null;
  },
  "/run": ({ q, n }) => bench.run(q.get("workload"), q.get("alg"), n).then(() => null),
  "/soak": async ({ n }) => ({ memory: await bench.soak(n) }),
  "/memory": () => ({ memory: memory.buffer.byteLength }),
  "/instantiate": ({ n }) => {
    instantiate(wasm, n);
    return null;
  },
  "/app": async ({ request }) => {
    app = await request.json();
    return null;
  },
  "/guard": ({ n, env }) => {
    guard ??= new stepup.Guard(env);
    return requests(n, (request) => guard.fetch(request));
  },
  // An API call with a bearer token the guard verified before.
  "/guardapi": ({ n, env }) => {
    guard ??= new stepup.Guard(env);
    return requests(n, (request) => guard.fetch(request), true);
  },
  "/plainapi": ({ n, env }) => requests(n, (request) => plain(request, env), true),
  // The runtime's part of what the guard does for an allowed request, without its decision:
  // js/guard.js's forwarding of the guard's own plan, decided once (the identity set, the cookie
  // rewritten), its upstream timeout and its private answer. The guard's cost above this is
  // stepup's own.
  "/floor": ({ n, env }) => requests(n, (request) => floor(request, env)),
  // Forwarded as plain.js forwards: the worker that only forwards.
  "/plain": ({ n, env }) => requests(n, (request) => plain(request, env)),
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const route = routes[url.pathname];
    if (!route) return new Response(`no route ${url.pathname}\n`, { status: 404 });
    try {
      const n = Number(url.searchParams.get("n") ?? 0);
      return Response.json(await route({ request, env, q: url.searchParams, n }));
    } catch (e) {
      return new Response(`${e?.stack ?? e}\n`, { status: 500 });
    }
  },
};
