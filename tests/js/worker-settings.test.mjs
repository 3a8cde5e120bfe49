// worker/worker.js with a bad setting, in workerd: it fails closed (a 503 page that names the
// setting once and says what is wrong, nothing forwarded) instead of guarding nothing.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { guardEnv, startWorkerd } from "./workerd.mjs";

const CONFIG = new URL("../../worker/config.capnp", import.meta.url);
let upstream;
let forwarded = 0;

before(async () => {
  upstream = createServer((_, res) => {
    forwarded++;
    res.end("upstream");
  });
  await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
});
after(() => upstream.close());

const cases = [
  ["STEPUP_SESSION_SECRET", undefined, /must be set/],
  ["STEPUP_SESSION_SECRET", "too-short", /32/],
  ["STEPUP_RULES", '[{"path":"/a","acr":null}]', /not null/],
];

for (const [name, value, why] of cases) {
  test(`${name} ${value === undefined ? "missing" : JSON.stringify(value)}: a 503 naming it once, nothing forwarded`, async () => {
    const env = guardEnv({ issuer: "https://idp.example" }, {
      STEPUP_UPSTREAM: `http://127.0.0.1:${upstream.address().port}`,
      STEPUP_RULES: [{ path: "/admin/*", acr: ["LOA2"] }],
    });
    if (value === undefined) delete env[name];
    else env[name] = value;
    const worker = await startWorkerd(CONFIG, { env });
    try {
      const before = forwarded;
      for (const path of ["/", "/admin/x"]) {
        const res = await fetch(`${worker.url}${path}`);
        const body = await res.text();
        assert.equal(res.status, 503);
        assert.equal(res.headers.get("cache-control"), "no-store");
        assert.match(body, /^stepup is misconfigured: /);
        assert.equal(body.split(name).length - 1, 1, `names ${name} once: ${body}`);
        assert.match(body, why);
      }
      assert.equal(forwarded, before, "nothing reached the upstream");
    } finally {
      await worker.stop();
    }
  });
}
