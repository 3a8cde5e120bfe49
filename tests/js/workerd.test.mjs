// The runtime-neutral suites again, inside the real workerd runtime (npm `workerd`), where the
// edge worker runs: pkg/ is loaded with initSync from a static WebAssembly.Module import.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorkerd } from "./workerd.mjs";

let server;
before(async () => {
  server = await startWorkerd(new URL("../workerd/config.capnp", import.meta.url));
});
after(() => server?.stop());

for (const suite of ["request", "engine", "tokens", "verifier"]) {
  test(`workerd: ${suite} suite`, async () => {
    const response = await fetch(`${server.url}/${suite}`);
    assert.equal(response.status, 200, await response.clone().text());
    const results = await response.json();
    assert.ok(results.length > 10, `ran ${results.length} cases`);
    const failed = results.filter((r) => !r.ok);
    assert.deepEqual(failed, [], failed.map((f) => `${f.name}: ${f.error}`).join("\n"));
  });
}
