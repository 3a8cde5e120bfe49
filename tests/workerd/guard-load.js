// The edge guard exactly as worker/worker.js runs it, plus one test-only path that answers with
// the size of the wasm instance's linear memory, so a load test can watch it across rounds. Only
// tests/workerd/guard-load.capnp serves this module; the production worker has no such path.
import worker from "../../worker/worker.js";
import { initSync } from "../../pkg/stepup.js";
import wasm from "../../pkg/stepup_bg.wasm";

// worker.js has already instantiated pkg; initSync then hands back the same instance's exports.
const { memory } = initSync({ module: wasm });

const MEMORY_PATH = "/__stepup-test/wasm-memory";

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === MEMORY_PATH) {
      // A full collection first (guard-load.capnp exposes gc): what is left is what is kept.
      globalThis.gc?.();
      return Response.json({ bytes: memory.buffer.byteLength, gc: typeof globalThis.gc === "function" });
    }
    return worker.fetch(request, env, ctx);
  },
};
