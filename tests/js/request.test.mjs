// The sign-in request side through pkg in node: the shared vectors, the WHATWG URL parser as an
// independent reader of what stepup builds, the error objects JS callers see.
import { test } from "node:test";
import assert from "node:assert/strict";
import stepup, { vectors, thrown } from "./load.mjs";

const v = vectors("request");

function assertError(e, want, name) {
  assert.equal(e.code, want.code, `${name}: ${e.message}`);
  const typeError = want.code.startsWith("ERR_INVALID_ARG_");
  assert.equal(e instanceof (typeError ? TypeError : Error), true, name);
  assert.equal(e.name, typeError ? "TypeError" : "StepUpError", name);
  assert.equal(stepup.isStepUpError(e), !typeError, name);
  for (const key of ["param", "error", "errorDescription"]) {
    if (key in want) assert.equal(e[key], want[key], `${name}: ${key}`);
  }
  assert.match(e.message, /^[^A-Z]/, `${name}: lower-case message`);
}

test("pkce vectors", () => {
  for (const c of v.pkce) {
    if (c.error) assertError(thrown(() => stepup.calculateCodeChallenge(c.verifier)), c.error, c.name);
    else assert.equal(stepup.calculateCodeChallenge(c.verifier), c.challenge, c.name);
  }
});

test("authorize vectors, read back by the WHATWG URL parser", () => {
  for (const c of v.authorize) {
    if (c.error) {
      assertError(thrown(() => stepup.buildAuthorizationUrl(c.request)), c.error, c.name);
      continue;
    }
    const url = stepup.buildAuthorizationUrl(c.request);
    if (c.url) assert.equal(url, c.url, c.name);
    if (c.params) assert.deepEqual([...new URL(url).searchParams], c.params, c.name);
  }
});

test("callback vectors, from a string and from a URL object", () => {
  for (const c of v.callback) {
    for (const input of [c.url, new URL(c.url)]) {
      if (c.error) assertError(thrown(() => stepup.validateAuthorizationResponse(input, c.expect)), c.error, c.name);
      else assert.deepEqual(stepup.validateAuthorizationResponse(input, c.expect), c.result, c.name);
    }
  }
});

test("discovery vectors, from text and from an object", () => {
  for (const c of v.discovery) {
    const inputs = c.text ? [c.text] : [JSON.stringify(c.document), c.document];
    for (const input of inputs) {
      if (c.error) assertError(thrown(() => stepup.parseDiscoveryDocument(input, c.issuer)), c.error, c.name);
      else assert.deepEqual(stepup.parseDiscoveryDocument(input, c.issuer), c.document, c.name);
    }
  }
});

test("f01 random values: 43 base64url characters, all distinct", () => {
  const seen = new Set();
  for (let i = 0; i < 10000; i++) {
    for (const value of [stepup.generateState(), stepup.generateNonce(), stepup.generateCodeVerifier()]) {
      assert.match(value, /^[A-Za-z0-9_-]{43}$/);
      seen.add(value);
    }
  }
  assert.equal(seen.size, 30000);
  // A verifier is usable as such.
  assert.match(stepup.calculateCodeChallenge(stepup.generateCodeVerifier()), /^[A-Za-z0-9_-]{43}$/);
});

test("a full sign-in request: generated values, adapters, and the URL", () => {
  const verifier = stepup.generateCodeVerifier();
  const draft = stepup.authorizationParamsFromAuth0({
    domain: "tenant.auth0.com",
    clientID: "abc",
    redirectUri: "https://app.example/cb",
    connection: "google-oauth2",
    acr_values: "http://schemas.openid.net/pape/policies/2007/06/multi-factor",
  });
  const url = new URL(stepup.buildAuthorizationUrl({
    ...draft,
    state: stepup.generateState(),
    nonce: stepup.generateNonce(),
    codeChallenge: stepup.calculateCodeChallenge(verifier),
  }));
  assert.equal(url.origin + url.pathname, "https://tenant.auth0.com/authorize");
  assert.equal(url.searchParams.get("acr_values"), "http://schemas.openid.net/pape/policies/2007/06/multi-factor");
  assert.equal(url.searchParams.get("connection"), "google-oauth2");
  assert.equal(url.searchParams.get("code_challenge_method"), "S256");

  const lock = stepup.authorizationParamsFromLock("abc", "account.auth0.com", {
    auth: { redirectUrl: "https://app.example/cb", acr_values: "http://schemas.openid.net/pape/policies/2007/06/multi-factor" },
  });
  assert.deepEqual(lock.acrValues, ["http://schemas.openid.net/pape/policies/2007/06/multi-factor"]);
  assert.equal(lock.authorizationEndpoint, "https://account.auth0.com/authorize");
});

test("error codes are the contract's, and isStepUpError tells them apart", () => {
  assert.deepEqual(stepup.errorCodes(), [
    "ERR_JWT_MALFORMED", "ERR_JWT_TOO_LARGE", "ERR_JOSE_NOT_SUPPORTED", "ERR_JOSE_ALG_NOT_ALLOWED",
    "ERR_JWKS_INVALID", "ERR_JWKS_NO_MATCHING_KEY", "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
    "ERR_JWS_SIGNATURE_VERIFICATION_FAILED", "ERR_JWT_EXPIRED", "ERR_JWT_CLAIM_VALIDATION_FAILED",
    "ERR_ACR_NOT_SATISFIED", "ERR_AMR_NOT_SATISFIED", "ERR_AUTH_TIME_TOO_OLD",
    "ERR_AUTH_RESPONSE_INVALID", "ERR_AUTH_RESPONSE_ERROR", "ERR_ISSUER_MISMATCH", "ERR_FETCH_FAILED",
    "ERR_INVALID_ARG_TYPE", "ERR_INVALID_ARG_VALUE", "ERR_CRYPTO_UNAVAILABLE",
  ]);
  for (const notOurs of [new Error("x"), Object.assign(new Error("x"), { name: "StepUpError", code: "NOPE" }), null, "ERR_JWT_EXPIRED", {}]) {
    assert.equal(stepup.isStepUpError(notOurs), false);
  }
});
