// The two builds (README, "Two builds, one package"): the browser build has no native signature
// verifier, so where the runtime's WebCrypto lacks an algorithm it refuses the token with
// ERR_CRYPTO_UNAVAILABLE naming the algorithm, where the full build verifies it natively; the
// package's exports give each audience its build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as jose from "jose";
import * as browser from "../../pkg/browser/index.js";
import full from "./load.mjs";

browser.initSync({ module: readFileSync(new URL("../../pkg/browser/stepup_bg.wasm", import.meta.url)) });

const issuer = "https://idp.example";
const T = 1_800_000_000;

/** `run` with WebCrypto answering NotSupportedError for every import, as a runtime without an algorithm does. */
async function withoutAlgorithm(run) {
  const subtle = globalThis.crypto.subtle;
  const importKey = subtle.importKey;
  subtle.importKey = async () => {
    throw new DOMException("not supported", "NotSupportedError");
  };
  try {
    return await run();
  } finally {
    subtle.importKey = importKey;
  }
}

for (const alg of ["RS256", "ES256", "EdDSA"]) {
  test(`${alg} without WebCrypto for it: the full build verifies natively, the browser build says why it cannot`, async () => {
    const { privateKey, publicKey } = await jose.generateKeyPair(alg, alg === "EdDSA" ? { crv: "Ed25519" } : {});
    const jwks = { keys: [{ ...(await jose.exportJWK(publicKey)), kid: "k1", alg, use: "sig" }] };
    const token = await new jose.SignJWT({}).setProtectedHeader({ alg, kid: "k1" })
      .setIssuer(issuer).setSubject("alice").setAudience("spa").setIssuedAt(T).setExpirationTime(T + 600)
      .sign(privateKey);
    const options = { issuer, audience: "spa", jwks };
    const call = { currentTime: T };
    await withoutAlgorithm(async () => {
      assert.equal((await full.createVerifier(options).verifyIdToken(token, call)).sub, "alice");
      const refused = browser.createVerifier(options).verifyIdToken(token, call);
      await assert.rejects(refused, (e) => e.code === "ERR_CRYPTO_UNAVAILABLE" && e.message.includes(alg));
    });
    // With WebCrypto both builds verify it.
    assert.equal((await browser.createVerifier(options).verifyIdToken(token, call)).sub, "alice");
  });
}

test("each build has its audience's exports: Guard in the full build, Client in the browser build", () => {
  assert.equal(typeof full.Guard, "function");
  assert.equal(full.Client, undefined);
  assert.equal(typeof browser.Client, "function");
  assert.equal(browser.Guard, undefined);
});

test("pkg/package.json: browser bundlers get the browser build, node and edge runtimes the full build", () => {
  const { exports } = JSON.parse(readFileSync(new URL("../../pkg/package.json", import.meta.url), "utf8"));
  const pick = (map, conditions) => Object.entries(map).find(([c]) => c === "default" || conditions.includes(c))[1];
  const entry = (conditions) => pick(exports["."], conditions).default;
  assert.equal(entry(["import", "module", "browser", "production"]), "./browser/index.js", "Vite");
  assert.equal(entry(["workerd", "worker", "browser", "import"]), "./index.js", "wrangler");
  assert.equal(entry(["node", "import"]), "./node.js", "node");
  assert.equal(pick(exports["./stepup_bg.wasm"], ["browser"]), "./browser/stepup_bg.wasm");
  assert.equal(pick(exports["./stepup_bg.wasm"], ["workerd", "browser"]), "./stepup_bg.wasm");
});

test("node: the package imported by name is ready to use, no init() needed, and init() still answers", () => {
  // A project of its own with the package installed as a user installs it (a link to pkg/), run
  // in a process of its own so nothing here has initialised the module before.
  const dir = mkdtempSync(join(tmpdir(), "stepup-node-"));
  try {
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(fileURLToPath(new URL("../../pkg/", import.meta.url)), join(dir, "node_modules", "stepup"), "dir");
    writeFileSync(join(dir, "main.mjs"), `import init, { acrPolicy, createVerifier, Guard } from "stepup";
const policy = acrPolicy("fief");
const verifier = createVerifier({ issuer: "https://idp.example", audience: "spa", jwks: { keys: [] } });
await init();
console.log(JSON.stringify({ policy: typeof policy, verifier: typeof verifier.verifyIdToken, guard: typeof Guard }));
`);
    const out = execFileSync(process.execPath, [join(dir, "main.mjs")], { encoding: "utf8" });
    assert.deepEqual(JSON.parse(out), { policy: "object", verifier: "function", guard: "function" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("X09: the browser Client's options that cannot be read are coded errors, never the raw exception", async () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  const options = { issuer, clientId: "spa", redirectUri: "https://app.example/cb", store: "memory" };
  const throwingStore = { ...options, get store() { throw new Error("boom"); } };
  const unreadable = (e) => e instanceof TypeError && e.code === "ERR_INVALID_ARG_VALUE" && e.param === "options";
  for (const bad of [proxy, throwingStore]) assert.throws(() => new browser.Client(bad), unreadable);
  const client = new browser.Client(options);
  const throwingPopup = { get popup() { throw new Error("boom"); } };
  for (const bad of [proxy, throwingPopup]) {
    await assert.rejects(client.signIn(bad), unreadable);
    await assert.rejects(client.stepUp({ acr: ["LOA2"] }, bad), unreadable);
  }
  client.free();
});

test("X09: the browser Client in a page whose storage is refused (a sandboxed page) is made, and says what it lacks with a code", () => {
  const refused = { configurable: true, get() { throw new DOMException("The document is sandboxed", "SecurityError"); } };
  Object.defineProperty(globalThis, "sessionStorage", refused);
  Object.defineProperty(globalThis, "localStorage", refused);
  try {
    const client = new browser.Client({ issuer, clientId: "spa", redirectUri: "https://app.example/cb" });
    // What needs the store says so, coded, never the browser's raw SecurityError.
    assert.throws(() => client.session(), (e) => e.code === "ERR_FETCH_FAILED" && /no sessionStorage/.test(e.message));
    client.free();
  } finally {
    delete globalThis.sessionStorage;
    delete globalThis.localStorage;
  }
});
