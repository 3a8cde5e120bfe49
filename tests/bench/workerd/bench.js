// The bench worker (bench.capnp, socket "http"): each request runs one batch of work and answers
// when it is done. tests/bench/workerd.mjs times the requests from node and subtracts an empty
// request's round trip: inside workerd the clocks stand still while code computes.
import * as stepup from "../pkg/index.js";
import wasm from "../pkg/stepup_bg.wasm";
import { createBench, instantiate } from "./suite.js";

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

/** A fixed forwarding plan: what the guard's decision says for the bench's signed-in user. */
const PLAN = ["x-stepup-sub", "alice", "x-stepup-acr", "LOA2", "x-stepup-amr", "pwd otp", "x-stepup-auth-time", "1796642500", "cookie", "a=b"];
const DROP = new Set(["surrogate-control", "fastly-surrogate-control", "edge-control", "x-accel-expires", "expires", "pragma", "age"]);

/** See "/floor": the steps of js/guard.js's `fetch` that are the runtime's, in the same order. */
async function floor(request, env) {
  // The request's headers as the guard hands them to its decision.
  let text = "";
  let lines = 0;
  for (const [name, value] of request.headers) {
    text += lines === 0 ? `${name}\n${value}` : `\n${name}\n${value}`;
    lines += 2;
  }
  const { pathname, search } = new URL(request.url);
  const headers = new Headers(request.headers);
  for (let i = 0; i < PLAN.length; i += 2) headers.set(PLAN[i], PLAN[i + 1]);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30_000);
  let response;
  try {
    response = await fetch(`${env.STEPUP_UPSTREAM}${pathname}${search}`, {
      method: request.method, headers, redirect: "manual", signal: controller.signal,
    });
  } finally {
    clearTimeout(timer);
  }
  response.headers.getSetCookie();
  response.headers.get("clear-site-data");
  const out = new Response(response.body, response);
  const present = [];
  for (const [name] of out.headers) if (DROP.has(name) || name.endsWith("-cache-control")) present.push(name);
  for (let i = 0; i < present.length; i++) out.headers.delete(present[i]);
  out.headers.set("cache-control", "private, no-store");
  out.headers.append("vary", "Cookie, Authorization");
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
  // js/guard.js's forwarding with a fixed plan (the identity set, the cookie rewritten), its
  // upstream timeout and its private answer. The guard's cost above this is stepup's own.
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
