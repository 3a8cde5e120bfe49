// The workerd runtime. Inside workerd performance.now() and Date.now() stand still while code
// computes (they move only with I/O), so every figure here is timed from node: a request runs a
// batch, and the round trip of an empty request is subtracted.
import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { API_AUDIENCE, edgeClient, spaClient, startIdp } from "../idp/server.mjs";
import { Agent, accessToken, signInThrough } from "../js/agent.mjs";
import { freePort, guardEnv, startWorkerd } from "../js/workerd.mjs";
import { elapsed, median } from "./stats.mjs";

const CONFIG = new URL("workerd/bench.capnp", import.meta.url);
const STARTUP = fileURLToPath(new URL("workerd/startup.capnp", import.meta.url));
const WORKERD = fileURLToPath(new URL("../../node_modules/.bin/workerd", import.meta.url));

/** The origin the guard forwards to; bench.capnp's router serves it in-process. */
const UPSTREAM = "http://upstream.bench";
/** The guarded app and its API: LOA2, which the IdP's password and one-time code reach. */
const RULES = [{ path: "/app/*", acr: ["LOA2"] }, { path: "/api/*", acr: ["LOA2"], api: true }];
/** A page of the guarded app. */
export const APP_PATH = "/app/bench";
/** A call of the guarded API. */
export const API_PATH = "/api/bench";
/** Where the IdP sends the SPA client that gets the API's access token (never followed). */
const SPA_CALLBACK = "http://127.0.0.1:5998/callback";

/** The runtime's version, e.g. "2026-10-23". */
export async function workerdVersion() {
  const { stdout } = await promisify(execFile)(WORKERD, ["--version"]);
  return stdout.replace("workerd", "").trim();
}

/**
 * The local IdP and bench.capnp's three sockets, each in its own workerd process with the guard's
 * settings: `bench` (the bench worker), `guard` (worker/worker.js) and `plain` (no guard).
 * `session` is the Cookie header of a user signed in through the guard.
 */
export async function startBenchWorkers() {
  const port = await freePort();
  const idp = await startIdp({ profile: "wso2", clients: [edgeClient([`http://127.0.0.1:${port}/callback`]), spaClient([SPA_CALLBACK])] });
  const env = guardEnv(idp, { STEPUP_UPSTREAM: UPSTREAM, STEPUP_RULES: RULES, STEPUP_API_AUDIENCE: API_AUDIENCE });
  const started = [];
  const stop = async () => {
    for (const worker of started) await worker.stop();
    await idp.close();
  };
  try {
    // The sockets a process does not expose bind to any free port.
    for (const [socket, at] of [["guard", port], ["plain"], ["http"]]) {
      started.push(await startWorkerd(CONFIG, { socket, env, port: at }));
    }
    const [guard, plain, bench] = started;
    const agent = new Agent();
    const { callback } = await signInThrough(idp, agent, `${guard.url}${APP_PATH}`);
    if (callback.status !== 303) throw new Error(`sign-in through the guard: ${callback.status} ${await callback.text()}`);
    const session = [...agent.cookies.values()].map((c) => `${c.name}=${c.value}`).join("; ");
    // An RFC 9068 access token for the API, of alice at LOA2.
    const bearer = await accessToken(idp, { redirectUri: SPA_CALLBACK, acrValues: ["LOA2"] });
    return { bench, guard, plain, session, bearer, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A client of the bench worker (socket "http"): `call` answers with its JSON and milliseconds. */
export async function benchClient(worker) {
  async function call(path, body) {
    let text;
    const ms = await elapsed(async () => {
      const response = await fetch(`${worker.url}${path}`, body === undefined ? {} : { method: "POST", body });
      text = await response.text();
      if (!response.ok) throw new Error(`workerd ${path}: ${response.status} ${text}\n${worker.output()}`);
    });
    return { ms, value: JSON.parse(text) };
  }
  const trips = [];
  for (let i = 0; i < 31; i++) trips.push((await call("/noop")).ms);
  const roundTrip = median(trips);

  /** Milliseconds of work in a batch request: its round trip less an empty one's. */
  async function timed(path) {
    const { ms, value } = await call(path);
    const work = ms - roundTrip;
    // A batch is many milliseconds of work: anything near zero means the measurement is broken.
    if (!(work > 0.5)) throw new Error(`workerd ${path}: ${work.toFixed(3)} ms of work is not plausible`);
    return { ms: work, value };
  }
  return { call, timed, roundTrip };
}

/** The runtime driver (see run.mjs) over `fixtures`, in the bench worker behind `client`. */
export async function workerdRuntime(client, fixtures) {
  await client.call("/fixtures", JSON.stringify(fixtures));
  return {
    name: "workerd",
    run: async (workload, alg, n) => (await client.timed(`/run?workload=${workload}&alg=${alg}&n=${n}`)).ms,
    soak: async (n) => (await client.call(`/soak?n=${n}`)).value.memory,
    memory: async () => (await client.call("/memory")).value.memory,
    async coldStart(runs) {
      const perRun = 50;
      const times = [];
      for (let i = 0; i < runs; i++) times.push((await client.timed(`/instantiate?n=${perRun}`)).ms / perRun);
      return { instantiate: median(times), startup: await startupCost(runs) };
    },
    close: async () => {},
  };
}

/** Milliseconds from starting workerd with startup.capnp's `name` to its first answer. */
async function firstAnswer(name) {
  const port = await freePort();
  const start = performance.now();
  const child = spawn(WORKERD, ["serve", STARTUP, name, `--socket-addr=http=127.0.0.1:${port}`], { stdio: "ignore" });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`workerd ${name} exited (${child.exitCode})`);
      try {
        await fetch(`http://127.0.0.1:${port}/`);
        return performance.now() - start;
      } catch {
        if (performance.now() - start > 15000) throw new Error(`workerd ${name} did not answer`);
        await new Promise((r) => setTimeout(r, 2));
      }
    }
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
}

/**
 * What loading stepup adds to a worker's start: the median of `runs` starts of the edge guard
 * less the median of `runs` starts of a worker without it (compiling the wasm happens here,
 * when workerd loads the worker; the worker itself may not compile wasm).
 */
async function startupCost(runs) {
  const guard = [];
  const bare = [];
  for (let i = 0; i < runs; i++) {
    guard.push(await firstAnswer("guard"));
    bare.push(await firstAnswer("empty"));
  }
  return median(guard) - median(bare);
}
