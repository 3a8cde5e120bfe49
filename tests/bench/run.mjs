// `make bench`: stepup against jose and bare WebCrypto in node, workerd and headless Chromium; the
// edge guard in workerd; the core natively; sizes, cold start and memory. Prints the markdown
// report and keeps it as tests/bench/RESULTS.md. Bounded: a few minutes on a small machine.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { promisify } from "node:util";
import { chromiumRuntime } from "./chromium.mjs";
import { makeFixtures } from "./fixtures.mjs";
import { guardInWorker, guardMemory, guardUnderLoad } from "./guard.mjs";
import { nativeBenches } from "./native.mjs";
import { nodeRuntime } from "./node.mjs";
import { markdown } from "./report.mjs";
import { bundleSuite, sizes } from "./sizes.mjs";
import { ALGS } from "./suite.mjs";
import { median } from "./stats.mjs";
import { benchClient, startBenchWorkers, workerdRuntime, workerdVersion } from "./workerd.mjs";

const params = {
  rounds: 9,
  coldBatch: 200,
  // Large enough that a batch of answers from createVerifier's cache (about 1 µs each) is well
  // above the noise of a workerd round trip.
  repeatedBatch: 4000,
  // The cold workloads' rounds plus a warm-up take 2000 per alg; 3 × 2000 is also more than the
  // verdicts stepup's caches keep, so the memory soak's pool tokens are always misses.
  coldTokens: 2000,
  // Long enough for the free function's verified-token cache (1024 entries, one miss in ten)
  // to fill, so what follows measures a steady state, not the caches growing to their bound.
  soakWarm: 50_000,
  soakTotal: 100_000,
  guardBatch: 1000,
  guardMemoryChunk: 10_000,
  wrkRuns: 3,
  wrkSeconds: 2,
  connections: 16,
  coldStartRuns: 9,
};
const WORKLOADS = ["stepup-cold", "verifier-cold", "jose-cold", "bare-cold", "stepup-repeated", "verifier-repeated",
  "jose-repeated"];
const run = promisify(execFile);
const log = (message) => console.error(`bench: ${message}`);

/** The ratios the report gives: jose's time over stepup's (createVerifier, and the free function). */
const RATIOS = {
  cold: ["jose-cold", "verifier-cold"],
  repeated: ["jose-repeated", "verifier-repeated"],
  freeCold: ["jose-cold", "stepup-cold"],
  freeRepeated: ["jose-repeated", "stepup-repeated"],
};

/**
 * µs per verification for every alg and workload: `rounds` batches each, after one warm-up
 * batch (JIT, key imports), interleaved so that every peer sees the same conditions; the order
 * turns each round, as a batch pays for the garbage of the one before it. Each ratio is the
 * median of the rounds' own ratios: the two batches of a round ran within a second of each
 * other, so a slower stretch of a shared machine moves both.
 */
async function verification(runtime) {
  const samples = Object.fromEntries(ALGS.map((alg) => [alg, Object.fromEntries(WORKLOADS.map((w) => [w, []]))]));
  for (let round = 0; round <= params.rounds; round++) {
    for (const alg of ALGS) {
      const order = [...WORKLOADS.slice(round % WORKLOADS.length), ...WORKLOADS.slice(0, round % WORKLOADS.length)];
      for (const workload of order) {
        const n = workload.endsWith("-cold") ? params.coldBatch : params.repeatedBatch;
        const ms = await runtime.run(workload, alg, n);
        if (round > 0) samples[alg][workload].push((ms * 1000) / n);
      }
    }
  }
  return Object.fromEntries(ALGS.map((alg) => {
    const s = samples[alg];
    const ratios = Object.fromEntries(Object.entries(RATIOS).map(([name, [peer, ours]]) =>
      [name, median(s[peer].map((time, i) => time / s[ours][i]))]));
    return [alg, { ...Object.fromEntries(WORKLOADS.map((w) => [w, median(s[w])])), ratios }];
  }));
}

/**
 * workerd's figures are differences of round trips: refuse them unless each is within a factor
 * of ten of node's for the same work (same V8, same machine), so a broken subtraction cannot
 * reach the report.
 */
function checkAgainstNode({ node, workerd }) {
  for (const alg of ALGS) {
    for (const workload of WORKLOADS) {
      const factor = workerd[alg][workload] / node[alg][workload];
      if (!(factor > 0.1 && factor < 10)) {
        throw new Error(`workerd ${workload} ${alg}: ${workerd[alg][workload]} µs against node's ${node[alg][workload]} µs is not plausible`);
      }
    }
  }
}

/** Linear memory after the timing runs, after `soakWarm` more verifications, and at `soakTotal`. */
async function soak(runtime) {
  const start = await runtime.memory();
  const warm = await runtime.soak(params.soakWarm);
  const after = await runtime.soak(params.soakTotal - params.soakWarm);
  return { start, warm, after };
}

/** Everything measured in one runtime. */
async function measure(runtime, results) {
  log(`${runtime.name}: verification`);
  results.verification[runtime.name] = await verification(runtime);
  log(`${runtime.name}: cold start`);
  results.coldStart[runtime.name] = await runtime.coldStart(params.coldStartRuns);
  log(`${runtime.name}: memory over ${params.soakTotal} verifications`);
  results.memory.verification[runtime.name] = await soak(runtime);
}

async function main() {
  await run("wrk", ["--version"]).catch((e) => {
    // wrk prints its usage and exits 1 for --version; only a missing binary is an error.
    if (e.code === "ENOENT") throw new Error("wrk is not installed (make bench installs Debian's wrk)");
  });
  const results = {
    params,
    machine: { date: new Date().toISOString().replace(/\.\d+Z$/, "Z"), cpu: cpus()[0].model, cores: cpus().length, node: process.version, workerd: await workerdVersion() },
    verification: {},
    coldStart: {},
    memory: { verification: {} },
  };

  log("sizes");
  await bundleSuite();
  results.sizes = await sizes();
  log("native Rust (cargo bench)");
  results.native = await nativeBenches();
  log(`fixtures: ${params.coldTokens} tokens per alg`);
  const fixtures = await makeFixtures(params.coldTokens);

  await measure(await nodeRuntime(fixtures), results);

  log("workerd: the IdP, the workers and a sign-in");
  const workers = await startBenchWorkers();
  try {
    const client = await benchClient(workers.bench);
    results.workerdRoundTrip = client.roundTrip;
    await measure(await workerdRuntime(client, fixtures), results);
    checkAgainstNode(results.verification);
    log("workerd: the guard");
    results.guard = { inWorker: await guardInWorker(client, workers, { runs: params.rounds, batch: params.guardBatch }) };
    log(`workerd: the guard under wrk (${2 * 2 * params.wrkRuns * params.wrkSeconds} s)`);
    results.guard.load = await guardUnderLoad(workers, { runs: params.wrkRuns, seconds: params.wrkSeconds, connections: params.connections });
    log(`workerd: memory over ${params.soakTotal} guard requests`);
    results.memory.guard = await guardMemory(client, { total: params.soakTotal, chunk: params.guardMemoryChunk });
  } finally {
    await workers.stop();
  }

  const chromium = await chromiumRuntime(fixtures);
  try {
    results.machine.chromium = chromium.version;
    await measure(chromium, results);
  } finally {
    await chromium.close();
  }

  const report = markdown(results);
  writeFileSync(new URL("RESULTS.md", import.meta.url), report);
  console.log(report);
}

await main();
