// The sign-in request side, as runtime-neutral cases: the shared vectors, read back through the
// WHATWG URL parser (an independent reader of what stepup builds).
import { equal, errorLike, ok, thrown } from "./check.mjs";

export function requestSuite(stepup, v) {
  const cases = [];
  const add = (name, fn) => cases.push({ name, fn });

  for (const c of v.pkce) {
    add(`pkce ${c.name}`, () => {
      if (c.error) errorLike(stepup, thrown(() => stepup.calculateCodeChallenge(c.verifier), c.name), c.error, c.name);
      else equal(stepup.calculateCodeChallenge(c.verifier), c.challenge, c.name);
    });
  }
  for (const c of v.authorize) {
    add(`authorize ${c.name}`, () => {
      if (c.error) {
        errorLike(stepup, thrown(() => stepup.buildAuthorizationUrl(c.request), c.name), c.error, c.name);
        return;
      }
      const url = stepup.buildAuthorizationUrl(c.request);
      if (c.url) equal(url, c.url, c.name);
      if (c.params) equal([...new URL(url).searchParams], c.params, c.name);
    });
  }
  for (const c of v.callback) {
    add(`callback ${c.name}`, () => {
      for (const input of [c.url, new URL(c.url)]) {
        if (c.error) errorLike(stepup, thrown(() => stepup.validateAuthorizationResponse(input, c.expect), c.name), c.error, c.name);
        else equal(stepup.validateAuthorizationResponse(input, c.expect), c.result, c.name);
      }
    });
  }
  for (const c of v.discovery) {
    add(`discovery ${c.name}`, () => {
      const inputs = c.text ? [c.text] : [JSON.stringify(c.document), c.document];
      for (const input of inputs) {
        if (c.error) errorLike(stepup, thrown(() => stepup.parseDiscoveryDocument(input, c.issuer), c.name), c.error, c.name);
        else equal(stepup.parseDiscoveryDocument(input, c.issuer), c.document, c.name);
      }
    });
  }
  add("f01 random values are 43 base64url characters and distinct", () => {
    const seen = new Set();
    for (let i = 0; i < 2000; i++) {
      for (const value of [stepup.generateState(), stepup.generateNonce(), stepup.generateCodeVerifier()]) {
        ok(/^[A-Za-z0-9_-]{43}$/.test(value), `random value ${value}`);
        seen.add(value);
      }
    }
    equal(seen.size, 6000, "distinct values");
  });
  add("auth0.js and Lock options build a step-up URL", () => {
    const mfa = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
    const draft = stepup.authorizationParamsFromAuth0({
      domain: "tenant.auth0.com", clientID: "abc", redirectUri: "https://app.example/cb",
      connection: "google-oauth2", acr_values: mfa,
    });
    const url = new URL(stepup.buildAuthorizationUrl({
      ...draft, state: stepup.generateState(), nonce: stepup.generateNonce(),
      codeChallenge: stepup.calculateCodeChallenge(stepup.generateCodeVerifier()),
    }));
    equal(url.origin + url.pathname, "https://tenant.auth0.com/authorize", "endpoint");
    equal(url.searchParams.get("acr_values"), mfa, "acr_values");
    equal(url.searchParams.get("connection"), "google-oauth2", "connection");
    const lock = stepup.authorizationParamsFromLock("abc", "account.auth0.com", {
      auth: { redirectUrl: "https://app.example/cb", acr_values: mfa },
    });
    equal(lock.acrValues, [mfa], "lock acrValues");
  });
  return cases;
}
