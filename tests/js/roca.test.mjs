// Catalog B21 through pkg in node: a working RSA key that Infineon's RSALib could have made
// (CVE-2017-15361) signs a token, and stepup refuses the key set that holds it; ordinary keys
// from jose pass. The key is rebuilt from its seed (tests/js/fixtures/roca-key.mjs), and must
// still be the one in tests/vectors/roca.json, which the native tests read.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as jose from "jose";
import stepup, { vectors } from "./load.mjs";
import { rocaKey, unstructuredModulus } from "./fixtures/roca-key.mjs";

const NOW = 1_795_348_751;
const options = { issuer: "https://idp.example", audience: "client-1", currentTime: NOW };

async function token(privateKey, kid) {
  return new jose.SignJWT({ sub: "u1" }).setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
    .setIssuer(options.issuer).setAudience(options.audience).setIssuedAt(NOW).setExpirationTime(NOW + 300)
    .sign(privateKey);
}

async function ordinaryKey(kid) {
  const { privateKey, publicKey } = await jose.generateKeyPair("RS256", { modulusLength: 2048 });
  return { privateKey, jwk: { ...(await jose.exportJWK(publicKey)), kid, alg: "RS256" } };
}

test("B21 the generated ROCA key is the committed fixture", () => {
  const fixture = vectors("roca");
  assert.deepEqual(rocaKey().publicJwk, fixture.roca);
  assert.deepEqual(unstructuredModulus(), fixture.unstructured);
});

test("B21 a working ROCA-structured key makes the key set invalid", async () => {
  const { privateJwk, publicJwk } = rocaKey();
  const signed = await token(await jose.importJWK(privateJwk, "RS256"), "roca");
  const jwk = { ...publicJwk, kid: "roca", alg: "RS256" };
  // A genuine key pair: another verifier accepts the signature.
  const { payload } = await jose.jwtVerify(signed, await jose.importJWK(jwk), { currentDate: new Date(NOW * 1000) });
  assert.equal(payload.sub, "u1");
  await assert.rejects(stepup.verifyIdToken(signed, { keys: [jwk] }, options), (e) => {
    assert.equal(e.code, "ERR_JWKS_INVALID");
    assert.match(e.message, /ROCA/);
    return true;
  });
  // Beside a good key it still poisons the whole set, as a key under 2048 bits does.
  const good = await ordinaryKey("k1");
  await assert.rejects(stepup.verifyIdToken(await token(good.privateKey, "k1"), { keys: [good.jwk, jwk] }, options),
    { code: "ERR_JWKS_INVALID" });
});

test("B21 ordinary 2048-bit keys from generateKeyPair are not flagged", async () => {
  const keys = await Promise.all(["k1", "k2", "k3", "k4"].map(ordinaryKey));
  const jwks = { keys: [...keys.map((k) => k.jwk), { ...unstructuredModulus(), kid: "unstructured" }] };
  for (const { privateKey, jwk } of keys) {
    assert.equal((await stepup.verifyIdToken(await token(privateKey, jwk.kid), jwks, options)).sub, "u1");
  }
});
