// The worker on Cloudflare's own tool, wrangler (the release that runs on node 20): worker/ as the
// repository has it, and examples/worker/ with stepup installed from `npm pack` of pkg/ as a user
// installs it (wrangler resolves the package's exports). `wrangler deploy --dry-run` bundles each
// with the package's full build, and `wrangler dev` runs each locally with the compatibility date
// in its wrangler.toml — checked by what an upstream received.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./workerd.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WORKER = join(ROOT, "worker");
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
// No telemetry and no update check from the tests.
const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" };

let upstream;
let work;
const received = [];
/** The workers: the repository's, and the example installed from the packed package. */
const workers = { "worker/": WORKER, "examples/worker/ from npm pack": "" };

before(async () => {
  work = mkdtempSync(join(tmpdir(), "stepup-wrangler-app-"));
  const [{ filename }] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", work, join(ROOT, "pkg")],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
  const app = join(work, "worker");
  cpSync(join(ROOT, "examples/worker"), app, { recursive: true });
  mkdirSync(join(app, "node_modules/stepup"), { recursive: true });
  execFileSync("tar", ["-xzf", join(work, filename), "--strip-components=1", "-C", join(app, "node_modules/stepup")]);
  workers["examples/worker/ from npm pack"] = app;
  upstream = createServer((req, res) => {
    received.push({ url: req.url, headers: req.headers });
    res.end("upstream");
  });
  await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
});
after(() => {
  upstream.close();
  rmSync(work, { recursive: true, force: true });
});

for (const name of Object.keys(workers)) {
  test(`${name}: wrangler deploy --dry-run bundles it with the full build's wasm`, () => {
    const out = mkdtempSync(join(tmpdir(), "stepup-wrangler-"));
    try {
      execFileSync(WRANGLER, ["deploy", "--dry-run", "--outdir", out], { cwd: workers[name], env: ENV, stdio: "pipe" });
      const files = readdirSync(out);
      assert.ok(files.includes("worker.js"), String(files));
      const wasm = files.find((name) => name.endsWith(".wasm"));
      assert.ok(readFileSync(join(out, wasm)).equals(readFileSync(join(ROOT, "pkg/stepup_bg.wasm"))));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test(`${name}: wrangler dev runs the guard: an open path forwarded without spoofed identity, a guarded one never`, async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const vars = {
      STEPUP_UPSTREAM: `http://127.0.0.1:${upstream.address().port}`,
      STEPUP_SESSION_SECRET: "a-test-session-secret-of-at-least-32-bytes",
      STEPUP_PUBLIC_ORIGIN: origin,
    };
    const args = ["dev", "--port", String(port), "--ip", "127.0.0.1",
      ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`])];
    const child = spawn(WRANGLER, args, { cwd: workers[name], env: ENV, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let log = "";
    child.stdout.on("data", (d) => (log += d));
    child.stderr.on("data", (d) => (log += d));
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (/Ready on/.test(log)) break;
        assert.ok(Date.now() < deadline && child.exitCode === null, `wrangler dev did not start:\n${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const open = await fetch(`${origin}/public/page?q=1`, { headers: { "x-stepup-sub": "mallory" } });
      assert.equal(open.status, 200);
      assert.equal(await open.text(), "upstream");
      const seen = received.at(-1);
      assert.equal(seen.url, "/public/page?q=1");
      assert.equal(seen.headers["x-stepup-sub"], undefined, "a spoofed identity header is stripped");
      // wrangler.toml's rules guard /admin/*: a call without a session is challenged (RFC 9470);
      // a browser's sign-in cannot start with the provider unreachable (it is
      // https://idp.example) — a 503. Nothing is forwarded either way.
      const count = received.length;
      const api = await fetch(`${origin}/admin/x`, { redirect: "manual" });
      assert.equal(api.status, 401);
      assert.match(api.headers.get("www-authenticate") ?? "", /^Bearer\b/);
      const page = await fetch(`${origin}/admin/x`, { redirect: "manual", headers: { accept: "text/html" } });
      assert.equal(page.status, 503);
      assert.match(await page.text(), /identity provider cannot be reached/);
      assert.equal(received.length, count, "a guarded path without a session is never forwarded");
    } finally {
      // wrangler dev and its workerd are a process group of their own; wrangler does not always
      // stop on SIGTERM, so the group is killed outright, and the test waits until it is gone.
      const gone = new Promise((r) => child.once("exit", r));
      if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
      await gone;
    }
  });
}
