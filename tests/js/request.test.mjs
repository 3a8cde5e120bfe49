// The sign-in request side through pkg in node (the same suite runs in workerd:
// tests/js/workerd.test.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import stepup, { vectors } from "./load.mjs";
import { requestSuite } from "./suites/request.mjs";

for (const { name, fn } of requestSuite(stepup, vectors("request"))) test(name, fn);

test("error codes are the contract's, and isStepUpError tells them apart", () => {
  assert.deepEqual(stepup.errorCodes(), [
    "ERR_JWT_MALFORMED", "ERR_JWT_TOO_LARGE", "ERR_JOSE_NOT_SUPPORTED", "ERR_JOSE_ALG_NOT_ALLOWED",
    "ERR_JWKS_INVALID", "ERR_JWKS_NO_MATCHING_KEY", "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
    "ERR_JWS_SIGNATURE_VERIFICATION_FAILED", "ERR_JWT_EXPIRED", "ERR_JWT_CLAIM_VALIDATION_FAILED",
    "ERR_ACR_NOT_SATISFIED", "ERR_AMR_NOT_SATISFIED", "ERR_AUTH_TIME_TOO_OLD",
    "ERR_AUTH_RESPONSE_INVALID", "ERR_AUTH_RESPONSE_ERROR", "ERR_ISSUER_MISMATCH", "ERR_FETCH_FAILED",
    "ERR_INVALID_ARG_TYPE", "ERR_INVALID_ARG_VALUE", "ERR_CRYPTO_UNAVAILABLE", "ERR_STEP_UP_REQUIRED",
  ]);
  for (const notOurs of [new Error("x"), Object.assign(new Error("x"), { name: "StepUpError", code: "NOPE" }), null, "ERR_JWT_EXPIRED", {}]) {
    assert.equal(stepup.isStepUpError(notOurs), false);
  }
});
