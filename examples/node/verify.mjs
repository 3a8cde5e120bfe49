// Verifies an ID token read from stdin as JSON ({ issuer, audience, jwks, token, requirement? })
// and prints its claims and the step-up decision, or the error: node imports stepup by name,
// ready to use (no init).
import { readFileSync } from "node:fs";
import { evaluateStepUp, isStepUpError, verifyIdToken } from "stepup";

const { issuer, audience, jwks, token, requirement = {} } = JSON.parse(readFileSync(0, "utf8"));
try {
  const claims = await verifyIdToken(token, jwks, { issuer, audience });
  console.log(JSON.stringify({ claims, decision: evaluateStepUp(claims, requirement) }));
} catch (e) {
  if (!isStepUpError(e)) throw e;
  console.log(JSON.stringify({ error: { code: e.code, message: e.message } }));
  process.exitCode = 1;
}
