// Token verification through pkg in node (WebCrypto path), on the shared table.
import { test } from "node:test";
import assert from "node:assert/strict";
import stepup, { vectors } from "./load.mjs";
import { tokenSuite } from "./suites/tokens.mjs";

for (const { name, fn } of tokenSuite(stepup, vectors("tokens"))) test(name, fn);
for (const { name, fn } of tokenSuite(stepup, vectors("tokens"), { reusable: true })) test(`createVerifier: ${name}`, fn);

// H02: without `currentTime` the wasm build reads the platform clock (js Date), so a token that
// expired an hour ago is refused and a current one accepted — on wasm32 there is no SystemTime.
test("H02: the wasm clock is the real one", async () => {
  const jose = await import("jose");
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  const jwks = { keys: [{ ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "ES256" }] };
  const now = Math.floor(Date.now() / 1000);
  const sign = (exp) => new jose.SignJWT({ sub: "u1" }).setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer("https://idp.example").setAudience("spa").setIssuedAt(exp - 600).setExpirationTime(exp).sign(privateKey);
  const options = { issuer: "https://idp.example", audience: "spa" };
  await assert.rejects(stepup.verifyIdToken(await sign(now - 3600), jwks, options), { code: "ERR_JWT_EXPIRED" });
  assert.equal((await stepup.verifyIdToken(await sign(now + 300), jwks, options)).sub, "u1");
});
