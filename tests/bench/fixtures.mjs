// Keys and tokens for the verification workloads, made fresh by every run with jose: one key per
// alg in one key set (as a provider publishes them), unique ID tokens for the cold workloads and
// one token per alg for the repeated ones. Plain data, so it can be posted to workerd and Chromium.
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { ALGS } from "./suite.mjs";

export const ISSUER = "https://idp.bench.example";
export const AUDIENCE = "bench-client";

/** `cold` unique tokens per alg (distinct `jti`), signed concurrently in chunks. */
export async function makeFixtures(cold) {
  const now = Math.floor(Date.now() / 1000);
  const keys = [];
  const tokens = {};
  for (const alg of ALGS) {
    const kid = `bench-${alg.toLowerCase()}`;
    const { privateKey, publicKey } = await generateKeyPair(alg, { crv: alg === "EdDSA" ? "Ed25519" : undefined });
    keys.push({ ...(await exportJWK(publicKey)), kid, use: "sig", alg });
    const sign = (jti) => new SignJWT({ acr: "LOA2", amr: ["pwd", "otp"], auth_time: now - 60 })
      .setProtectedHeader({ alg, kid, typ: "JWT" })
      .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject("alice")
      .setIssuedAt(now).setExpirationTime(now + 3600).setJti(jti)
      .sign(privateKey);
    const unique = [];
    for (let i = 0; i < cold; i += 100) {
      const chunk = Array.from({ length: Math.min(100, cold - i) }, (_, j) => sign(`${alg}-${i + j}`));
      unique.push(...(await Promise.all(chunk)));
    }
    tokens[alg] = { kid, cold: unique, repeated: await sign(`${alg}-repeated`) };
  }
  return { issuer: ISSUER, audience: AUDIENCE, jwks: { keys }, tokens };
}
