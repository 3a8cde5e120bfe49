// The edge guard in workerd: an allowed page request of a signed-in user (APP_PATH with the
// session), through the guard and through the same app without it, both forwarding to the
// in-process upstream (see workerd/bench.capnp).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { median } from "./stats.mjs";
import { API_PATH, APP_PATH } from "./workerd.mjs";

const run = promisify(execFile);

const SECONDS = { us: 1e-6, ms: 1e-3, s: 1 };

/**
 * wrk against `url` with the session: requests per second and the median latency in µs. Every
 * answer must be a 200, or the figures would be of redirects.
 */
async function wrk(url, session, { threads, connections, seconds }) {
  const { stdout } = await run("wrk", [
    `-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--latency", "--timeout", "2s",
    "-H", `cookie: ${session}`, "-H", "accept: text/html", url,
  ], { timeout: (seconds + 10) * 1000 });
  const failed = stdout.match(/Non-2xx or 3xx responses: (\d+)|Socket errors: .*/);
  if (failed) throw new Error(`wrk ${url}: ${failed[0]}\n${stdout}`);
  const rps = Number(stdout.match(/Requests\/sec:\s+([\d.]+)/)?.[1]);
  const [, value, unit] = stdout.match(/^\s+50%\s+([\d.]+)(us|ms|s)$/m) ?? [];
  const p50 = Number(value) * SECONDS[unit] * 1e6;
  if (!(rps > 0 && p50 > 0)) throw new Error(`wrk ${url}: no figures in\n${stdout}`);
  return { rps, p50 };
}

/**
 * The guard against the plain app under wrk, `runs` alternating runs each: at one connection
 * (latency) and at `connections` (throughput). Medians.
 */
export async function guardUnderLoad({ guard, plain, session }, { runs, seconds, connections }) {
  const results = {};
  for (const [label, threads, conns] of [["single", 1, 1], ["loaded", 2, connections]]) {
    const samples = { guard: [], plain: [] };
    for (let i = 0; i < runs; i++) {
      for (const [name, worker] of [["guard", guard], ["plain", plain]]) {
        samples[name].push(await wrk(`${worker.url}${APP_PATH}`, session, { threads, connections: conns, seconds }));
      }
    }
    results[label] = Object.fromEntries(Object.entries(samples).map(([name, s]) => [name, {
      rps: median(s.map((x) => x.rps)),
      p50: median(s.map((x) => x.p50)),
    }]));
  }
  return results;
}

/**
 * Inside the bench worker (a Guard of its own, the same settings): `batch` requests through the
 * guard, through the runtime's part of the guard alone ("floor": its forwarding, timeout and
 * private answer with the plan the guard decided once, no decision per request) and straight to the app, and as many API calls
 * with a bearer token the guard verified before, through the guard and straight to the app; one
 * after the other, `runs` times. µs per request (medians), and the costs: the median of each
 * round's difference of two batches run one after the other (so a slower stretch of the machine
 * slows both).
 */
export async function guardInWorker(client, { session, bearer }, { runs, batch }) {
  await client.call("/app", JSON.stringify({ path: APP_PATH, session, api: API_PATH, bearer }));
  const names = ["guard", "floor", "plain", "guardapi", "plainapi"];
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i <= runs; i++) {
    // The order turns each round.
    for (const name of [...names.slice(i % names.length), ...names.slice(0, i % names.length)]) {
      const { ms } = await client.timed(`/${name}?n=${batch}`);
      // The first round warms every path up (the isolate's JIT, the Guard's first use).
      if (i > 0) samples[name].push((ms * 1000) / batch);
    }
  }
  const cost = (a, b) => median(samples[a].map((x, i) => x - samples[b][i]));
  return {
    guard: median(samples.guard), floor: median(samples.floor), plain: median(samples.plain),
    cost: cost("guard", "plain"), floorCost: cost("floor", "plain"), stepupCost: cost("guard", "floor"),
    api: { guard: median(samples.guardapi), plain: median(samples.plainapi), cost: cost("guardapi", "plainapi") },
  };
}

/** Wasm linear memory (bytes) of the bench worker after `total` guard requests, in `chunk`s. */
export async function guardMemory(client, { total, chunk }) {
  const before = (await client.call("/memory")).value.memory;
  let after;
  for (let done = 0; done < total; done += chunk) after = (await client.call(`/guard?n=${chunk}`)).value.memory;
  return { before, after };
}
