// The node runtime: pkg loaded with initSync as tests/js/load.mjs does, timed in-process.
import { readFileSync } from "node:fs";
import stepup from "../js/load.mjs";
import { coldStart, createBench } from "./suite.mjs";
import { elapsed } from "./stats.mjs";

const WASM = readFileSync(new URL("../../pkg/stepup_bg.wasm", import.meta.url));

/** The runtime driver (see run.mjs) over `fixtures`. */
export async function nodeRuntime(fixtures) {
  // initSync on an initialised module returns the instance's exports.
  const { memory } = stepup.initSync();
  const bench = await createBench(stepup, memory, fixtures);
  return {
    name: "node",
    run: (workload, alg, n) => elapsed(() => bench.run(workload, alg, n)),
    soak: (n) => bench.soak(n),
    memory: bench.memory,
    coldStart: (runs) => coldStart(WASM, runs),
    close: async () => {},
  };
}
