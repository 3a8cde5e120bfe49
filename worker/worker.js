// The stepup edge guard as a module worker (contract section 6): every request goes through the
// guard, which forwards it, sends the browser to the identity provider, or answers with a
// challenge. Settings come from the environment (contract section 7).
import { initSync, Guard } from "../pkg/index.js";
import wasm from "../pkg/stepup_bg.wasm";

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
        // The message names the setting itself (`"STEPUP_SESSION_SECRET" must be set`).
        misconfigured = `stepup is misconfigured: ${e.message}`;
        console.error(misconfigured);
      }
    }
    if (misconfigured) {
      return new Response(`${misconfigured}\n`, { status: 503, headers: { "cache-control": "no-store" } });
    }
    return guard.fetch(request);
  },
};
