// The browser build's entry (pkg/browser/, what an SPA's bundler resolves) has the SPA's exports
// with the same types, and no `Guard`: compiled with `tsc --noEmit` by `make test-types`.
import init, { Client, createVerifier, evaluateStepUp, verifyIdToken } from "../../pkg/browser/index.js";
import type { JsonWebKeySet, JwtClaims, StepUpDecision } from "../../pkg/browser/index.js";
// @ts-expect-error the guard is in the full build only
import { Guard } from "../../pkg/browser/index.js";

export async function spa(token: string, jwks: JsonWebKeySet): Promise<StepUpDecision> {
  await init();
  const claims: JwtClaims = await verifyIdToken(token, jwks, { issuer: "https://idp.example", audience: "spa" });
  void Client;
  void createVerifier;
  void Guard;
  return evaluateStepUp(claims, { acr: "phr" });
}
