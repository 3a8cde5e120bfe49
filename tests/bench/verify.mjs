// The verification workloads alone, in node, workerd and Chromium (`node tests/bench/verify.mjs
// [node|workerd|chromium]…`): a quick loop for the verifier's speed, the same suite and timing as
// `make bench`, without the guard, the sizes or the memory soak. Prints µs per token and stepup's
// ratio to jose.
import { chromiumRuntime } from "./chromium.mjs";
import { makeFixtures } from "./fixtures.mjs";
import { nodeRuntime } from "./node.mjs";
import { bundleSuite } from "./sizes.mjs";
import { ALGS } from "./suite.mjs";
import { median } from "./stats.mjs";
import { startWorkerd } from "../js/workerd.mjs";
import { benchClient, workerdRuntime } from "./workerd.mjs";

const ROUNDS = 10;
const WORKLOADS = { "verifier-cold": 200, "stepup-cold": 200, "jose-cold": 200, "bare-cold": 200, "verifier-repeated": 4000 };

async function verification(runtime) {
  const samples = Object.fromEntries(ALGS.map((alg) => [alg, Object.fromEntries(Object.keys(WORKLOADS).map((w) => [w, []]))]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const alg of ALGS) {
      // Rotated each round: a batch pays for the garbage of the one before it.
      const order = Object.entries(WORKLOADS);
      for (const [workload, n] of [...order.slice(round % order.length), ...order.slice(0, round % order.length)]) {
        const ms = await runtime.run(workload, alg, n);
        if (round > 0) samples[alg][workload].push((ms * 1000) / n);
      }
    }
  }
  for (const alg of ALGS) {
    const m = Object.fromEntries(Object.keys(WORKLOADS).map((w) => [w, median(samples[alg][w])]));
    const f = (w) => m[w].toFixed(1).padStart(6);
    console.log(`${runtime.name.padEnd(8)} ${alg.padEnd(6)} verifier ${f("verifier-cold")}  free ${f("stepup-cold")}  jose ${f("jose-cold")}  bare ${f("bare-cold")}  ` +
      `jose/verifier ${(m["jose-cold"] / m["verifier-cold"]).toFixed(2)}×  above bare ${(m["verifier-cold"] - m["bare-cold"]).toFixed(1)}  repeated ${m["verifier-repeated"].toFixed(2)}`);
  }
}

const which = process.argv.slice(2);
const want = (name) => which.length === 0 || which.includes(name);
const fixtures = await makeFixtures(200 * (ROUNDS + 1));
if (want("node")) await verification(await nodeRuntime(fixtures));
if (want("workerd") || want("chromium")) await bundleSuite();
if (want("workerd")) {
  const worker = await startWorkerd(new URL("workerd/bench.capnp", import.meta.url), { socket: "http" });
  try {
    await verification(await workerdRuntime(await benchClient(worker), fixtures));
  } finally {
    await worker.stop();
  }
}
if (want("chromium")) {
  const chromium = await chromiumRuntime(fixtures);
  try {
    await verification(chromium);
  } finally {
    await chromium.close();
  }
}
