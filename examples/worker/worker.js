// The edge guard as a module worker, with stepup installed from npm: wrangler resolves the
// package's `workerd`/`worker` export (the full build) and imports its wasm as a module.
import { Guard, initSync } from "stepup";
import wasm from "stepup/stepup_bg.wasm";

initSync({ module: wasm });

let guard;
let misconfigured;

export default {
  async fetch(request, env) {
    if (!guard && !misconfigured) {
      try {
        guard = new Guard(env);
      } catch (e) {
        // Fail closed: a bad setting guards nothing and forwards nothing.
        misconfigured = `stepup is misconfigured: ${e.message}`;
      }
    }
    if (misconfigured) return new Response(`${misconfigured}\n`, { status: 503, headers: { "cache-control": "no-store" } });
    return guard.fetch(request);
  },
};
