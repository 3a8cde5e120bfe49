// Wycheproof's JWS and JWK cases through pkg in node and inside workerd, the edge worker's
// runtime: tests/js/suites/wycheproof.mjs in each, with the vectors read here from
// ../shared/vectors/wycheproof/ (beside the project, never copied into it). workerd must decide
// every case as node does, refusal codes included.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import stepup from "./load.mjs";
import { startWorkerd } from "./workerd.mjs";
import { checkResults, checkSameDecisions, readVectors, runSuite } from "./suites/wycheproof.mjs";

const DIR = new URL("../../../shared/vectors/wycheproof/", import.meta.url);
const vectors = readVectors((file) => readFileSync(new URL(file, DIR), "utf8"), fileURLToPath(DIR));

test("node: every Wycheproof JWS and JWK case decided as natively", async () => {
  checkResults("node", await runSuite(stepup, vectors));
});

// workerd's config, written to a temporary directory: the runner takes the vectors as the request
// body and runs the suite with pkg loaded by initSync from a static WebAssembly.Module import, as
// the edge worker loads it. `embed` paths are relative to the config file.
const RUNNER = `import * as stepup from "./index.js";
import wasm from "./stepup_bg.wasm";
import { runSuite } from "./suites/wycheproof.mjs";

stepup.initSync({ module: wasm });

export default {
  async fetch(request) {
    return Response.json(await runSuite(stepup, await request.json()));
  },
};
`;

function workerdConfig(dir) {
  const embed = (path) => JSON.stringify(relative(dir, fileURLToPath(new URL(path, import.meta.url))));
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "runner", worker = .runner) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "runner") ],
);

const runner :Workerd.Worker = (
  modules = [
    (name = "runner.js", esModule = embed "runner.js"),
    (name = "index.js", esModule = embed ${embed("../../pkg/index.js")}),
    (name = "verifier.js", esModule = embed ${embed("../../pkg/verifier.js")}),
    (name = "guard.js", esModule = embed ${embed("../../pkg/guard.js")}),
    (name = "stepup.js", esModule = embed ${embed("../../pkg/stepup.js")}),
    (name = "stepup_bg.wasm", wasm = embed ${embed("../../pkg/stepup_bg.wasm")}),
    (name = "suites/check.mjs", esModule = embed ${embed("./suites/check.mjs")}),
    (name = "suites/wycheproof.mjs", esModule = embed ${embed("./suites/wycheproof.mjs")}),
  ],
  compatibilityDate = "2026-10-01",
);
`;
}

const dir = mkdtempSync(join(tmpdir(), "stepup-wycheproof-"));
let server;
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("workerd: every Wycheproof JWS and JWK case decided as natively", async () => {
  writeFileSync(join(dir, "runner.js"), RUNNER);
  writeFileSync(join(dir, "config.capnp"), workerdConfig(dir));
  server = await startWorkerd(pathToFileURL(join(dir, "config.capnp")));
  const response = await fetch(server.url, { method: "POST", body: JSON.stringify(vectors) });
  assert.equal(response.status, 200, await response.clone().text());
  const results = await response.json();
  checkResults("workerd", results);
  checkSameDecisions("workerd", results, await runSuite(stepup, vectors));
});
