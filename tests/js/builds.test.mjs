// The two builds (README, "Two builds, one package"): the browser build has no native signature
// verifier, so where the runtime's WebCrypto lacks an algorithm it refuses the token with
// ERR_CRYPTO_UNAVAILABLE naming the algorithm, where the full build verifies it natively; the
// package's exports give each audience its build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
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
  assert.equal(entry(["node", "import"]), "./index.js", "node");
  assert.equal(pick(exports["./stepup_bg.wasm"], ["browser"]), "./browser/stepup_bg.wasm");
  assert.equal(pick(exports["./stepup_bg.wasm"], ["workerd", "browser"]), "./stepup_bg.wasm");
});
