// The guard and the provider's metadata: discovery where the provider publishes it (Janssen's
// `/jans-auth/.well-known/openid-configuration`, STEPUP_DISCOVERY_URL), and rules checked against
// `acr_values_supported` by the deployed worker itself, at its first sign-in: worker/ in workerd
// in front of an echo upstream and the local IdP speaking Janssen.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { edgeClient, startIdp } from "../idp/server.mjs";
import { Agent, signInThrough } from "./agent.mjs";
import { freePort, guardEnv, startWorkerd } from "./workerd.mjs";

const JANSSEN_DISCOVERY = "/jans-auth/.well-known/openid-configuration";
const html = { accept: "text/html,application/xhtml+xml" };

let idp, upstream, seen, ports;
const workers = [];

before(async () => {
  ports = [await freePort(), await freePort(), await freePort()];
  idp = await startIdp({
    profile: "janssen", discoveryPath: JANSSEN_DISCOVERY,
    clients: [edgeClient(ports.map((port) => `http://127.0.0.1:${port}/callback`))],
  });
  seen = [];
  upstream = createServer((req, res) => {
    seen.push({ url: req.url, acr: req.headers["x-stepup-acr"] });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ url: req.url }));
  });
  await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
});
after(async () => {
  for (const w of workers) await w.worker.stop();
  await idp?.close();
  await new Promise((r) => upstream?.close(r));
});

async function guard(settings) {
  // Each guard has a callback of its own, registered with the IdP.
  const port = ports.shift();
  const base = `http://127.0.0.1:${port}`;
  const env = guardEnv(idp, {
    STEPUP_ACR_POLICY: "janssen",
    STEPUP_UPSTREAM: `http://127.0.0.1:${upstream.address().port}`,
    STEPUP_PUBLIC_ORIGIN: base,
    ...settings,
  });
  const worker = await startWorkerd(new URL("../../worker/config.capnp", import.meta.url), { port, env });
  workers.push({ worker });
  return base;
}

test("the provider's metadata at STEPUP_DISCOVERY_URL: the whole sign-in works, the issuer still checked", async () => {
  assert.equal((await fetch(`${idp.issuer}/.well-known/openid-configuration`)).status, 404, "not at the issuer");
  const base = await guard({ STEPUP_DISCOVERY_URL: idp.discoveryUrl, STEPUP_RULES: [{ path: "/vault/*", acr: ["otp"] }] });
  const agent = new Agent();
  const { start, callback } = await signInThrough(idp, agent, `${base}/vault/x`);
  assert.equal(start.status, 302);
  assert.equal(new URL(start.headers.get("location")).searchParams.get("acr_values"), "otp");
  assert.equal(callback.status, 303, await callback.clone().text());
  seen.length = 0;
  const res = await agent.fetch(`${base}/vault/x`, { headers: html });
  assert.equal(res.status, 200);
  assert.deepEqual(seen, [{ url: "/vault/x", acr: "otp" }], "the upstream saw the request, with the identity");
});

test("X18: without the setting the metadata is not found: a 503 that names nothing of the provider, the log says where it was looked for; nothing forwarded", async () => {
  const base = await guard({ STEPUP_RULES: [{ path: "/vault/*", acr: ["otp"] }] });
  const { worker } = workers.at(-1);
  const from = worker.output().length;
  seen.length = 0;
  const res = await fetch(`${base}/vault/x`, { headers: html, redirect: "manual" });
  assert.equal(res.status, 503);
  const page = await res.text();
  assert.match(page, /The identity provider cannot be reached\. Try again later\./);
  // The provider's address (internal, in a deployment) and the runtime's error: the log's only.
  for (const detail of [idp.issuer, "127.0.0.1", "openid-configuration", "GET", "404"]) assert.ok(!page.includes(detail), `${detail}: ${page}`);
  const where = new RegExp(`stepup guard: the identity provider cannot be reached: GET ${idp.issuer}/\\.well-known/openid-configuration: status 404`);
  assert.match(await worker.logged(where, from), where);
  assert.deepEqual(seen, []);
});

test("a deployed worker refuses a rule the provider cannot meet at its first sign-in: a 503 naming the rule", async () => {
  // fido2 is on the janssen ladder but not among this provider's acr_values_supported.
  const base = await guard({ STEPUP_DISCOVERY_URL: idp.discoveryUrl, STEPUP_RULES: [{ path: "/vault/*", acr: ["fido2"] }] });
  seen.length = 0;
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${base}/vault/x`, { headers: html, redirect: "manual" });
    assert.equal(res.status, 503);
    const body = await res.text();
    assert.match(body, /stepup is misconfigured: .*STEPUP_RULES\[0\]\.acr\[0\].*fido2.*acr_values_supported/);
    assert.equal(res.headers.get("location"), null, "no sign-in is started");
  }
  // Open paths still work: the rule is wrong, not the upstream.
  const open = await fetch(`${base}/public`);
  assert.equal(open.status, 200);
  assert.deepEqual(seen, [{ url: "/public", acr: undefined }]);
});
