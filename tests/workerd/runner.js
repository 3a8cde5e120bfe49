// Runs the runtime-neutral suites inside workerd, the runtime of the edge worker: GET /<suite>
// answers with one result per case. Driven by tests/js/workerd.test.mjs.
import * as stepup from "./stepup.js";
import wasm from "./stepup_bg.wasm";
import requestVectors from "./vectors/request.json";
import { requestSuite } from "./suites/request.mjs";

stepup.initSync({ module: wasm });

const suites = {
  request: () => requestSuite(stepup, requestVectors),
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
