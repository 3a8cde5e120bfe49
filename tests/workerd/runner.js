// Runs the runtime-neutral suites inside workerd, the runtime of the edge worker: GET /<suite>
// answers with one result per case. Driven by tests/js/workerd.test.mjs.
import * as stepup from "./index.js";
import wasm from "./stepup_bg.wasm";
import requestVectors from "./vectors/request.json";
import tokenVectors from "./vectors/tokens.json";
import acr from "./vectors/acr.json";
import step_up from "./vectors/step_up.json";
import challenge from "./vectors/challenge.json";
import { requestSuite } from "./suites/request.mjs";
import { tokenSuite } from "./suites/tokens.mjs";
import { engineSuite } from "./suites/engine.mjs";

stepup.initSync({ module: wasm });

const suites = {
  request: () => requestSuite(stepup, requestVectors),
  tokens: () => tokenSuite(stepup, tokenVectors),
  verifier: () => tokenSuite(stepup, tokenVectors, { reusable: true }),
  engine: () => engineSuite(stepup, { acr, step_up, challenge }),
};

export default {
  async fetch(request) {
    const name = new URL(request.url).pathname.slice(1);
    const suite = suites[name];
    if (!suite) return new Response(`no suite ${name}`, { status: 404 });
    const results = [];
    for (const { name: caseName, fn } of suite()) {
      try {
        await fn();
        results.push({ name: caseName, ok: true });
      } catch (e) {
        results.push({ name: caseName, ok: false, error: String(e?.stack ?? e) });
      }
    }
    return Response.json(results);
  },
};
