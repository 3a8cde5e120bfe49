// The local IdP (tests/idp/) driven like a browser would, with fetch and a small cookie jar:
// real authorization-code flows with PKCE through its HTML forms, ID and access tokens verified
// with jose against its JWKS, for every ACR dialect it speaks; then key rotation and faults.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import {
  API_AUDIENCE, EDGE_CLIENT_ID, SPA_CLIENT_ID, edgeClient, spaClient, startIdp,
} from "../idp/server.mjs";
import { Agent, authorize as authorizeAtIdp, b64url, exchangeCode, tokenRequest } from "./agent.mjs";

const SPA_CB = "http://127.0.0.1:5999/callback";
const EDGE_CB = "http://127.0.0.1:5998/callback";
const MFA_URI = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
/** A dialect's `amr` for a password, and for a password and a code: RFC 8176 names, except
 * WSO2's, which names its authenticators. */
const amrOf = (name) => name === "wso2"
  ? { PWD: ["BasicAuthenticator"], MFA: ["BasicAuthenticator", "totp"] }
  : { PWD: ["pwd"], MFA: ["pwd", "otp", "mfa"] };


/** A flow straight against the IdP (agent.mjs), to the SPA's redirect URI unless told. */
const authorize = (idp, agent, options) => authorizeAtIdp(idp, agent, { redirectUri: SPA_CB, ...options });

/** Exchanges the code and verifies both tokens; returns { id, at, idHeader, raw }. */
async function redeem(idp, flow) {
  assert.equal(flow.iss, idp.issuer, "RFC 9207 iss in the authorization response");
  const raw = await exchangeCode(idp, flow);
  return { ...(await verifyTokens(idp, raw, flow)), raw };
}

/**
 * Each dialect's access token as its provider issues it (tests/idp/config.mjs,
 * ACCESS_TOKEN_SHAPES): the header's `typ`, the audience, and the claims it must not have. The
 * others are RFC 9068's (`at+jwt`, the API, `client_id`).
 */
const ACCESS_TOKEN_SHAPES = {
  fief: { typ: undefined, aud: (idp, clientId) => [clientId], absent: ["client_id", "jti", "amr"] },
  auth0: { typ: "JWT", aud: (idp) => [API_AUDIENCE, `${idp.issuer}/userinfo`], absent: ["client_id"] },
};
const RFC9068 = { typ: "at+jwt", aud: () => API_AUDIENCE, absent: [] };

async function verifyTokens(idp, raw, { clientId, nonce }) {
  const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
  const { payload: id, protectedHeader: idHeader } = await jwtVerify(raw.id_token, jwks, {
    issuer: idp.issuer, audience: clientId,
  });
  if (nonce) assert.equal(id.nonce, nonce);
  const shape = ACCESS_TOKEN_SHAPES[idp.profile] ?? RFC9068;
  const audience = shape.aud(idp, clientId);
  const { payload: at, protectedHeader: atHeader } = await jwtVerify(raw.access_token, jwks, {
    issuer: idp.issuer, audience: [audience].flat()[0], typ: shape.typ,
  });
  assert.equal(atHeader.typ, shape.typ);
  assert.deepEqual(at.aud, audience);
  if (shape === RFC9068) assert.equal(at.client_id, clientId);
  else assert.equal(at.azp, clientId);
  for (const claim of shape.absent) assert.equal(at[claim], undefined, `no ${claim} in a ${idp.profile} access token`);
  assert.equal(at.sub, id.sub);
  for (const claim of ["acr", "amr", "auth_time"].filter((c) => !shape.absent.includes(c))) {
    assert.deepEqual(at[claim], id[claim], `access token ${claim} matches the ID token`);
  }
  return { id, at, idHeader };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// For each dialect: the basic sign-in (request, expected acr) and the strong one.
const PROFILES = {
  fief: { basic: { acrValues: ["1"], acr: "1" }, strong: { acrValues: ["2"], acr: "2" } },
  auth0: { basic: { acr: undefined }, strong: { acrValues: [MFA_URI], acr: MFA_URI } },
  wso2: {
    basic: { acrValues: ["LOA1"], acr: "LOA1" }, strong: { acrValues: ["LOA2"], acr: "LOA2" },
  },
  janssen: { basic: { acr: "basic" }, strong: { acrValues: ["otp"], acr: "otp" } },
};
// Session reuse (no acr_values, no page): the acr the session yields.
const REUSE_ACR = { fief: "0", auth0: undefined, wso2: "LOA1", janssen: "basic" };

for (const [name, levels] of Object.entries(PROFILES)) {
  describe(`profile ${name}`, () => {
    const { PWD, MFA } = amrOf(name);
    let idp;
    before(async () => {
      idp = await startIdp({
        profile: name, clients: [spaClient([SPA_CB]), edgeClient([EDGE_CB])],
      });
    });
    after(() => idp?.close());

    test("discovery advertises the dialect and the step-up parameters", async () => {
      const meta = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
      assert.equal(meta.issuer, idp.issuer);
      assert.equal(meta.claims_parameter_supported, true);
      assert.equal(meta.authorization_response_iss_parameter_supported, true);
      assert.deepEqual(meta.code_challenge_methods_supported, ["S256"]);
      for (const { acr } of Object.values(levels)) {
        if (acr) assert.ok(meta.acr_values_supported.includes(acr), acr);
      }
    });

    test("basic sign-in, step-up with a code, reuse, prompt=login, max_age=0", async () => {
      const agent = new Agent();
      const basic = await authorize(idp, agent, { acrValues: levels.basic.acrValues });
      assert.deepEqual(basic.pages, ["password"]);
      const t1 = await redeem(idp, basic);
      assert.equal(t1.id.acr, levels.basic.acr);
      assert.deepEqual(t1.id.amr, PWD);
      assert.equal(typeof t1.id.auth_time, "number");
      assert.ok(Math.abs(t1.id.auth_time - Date.now() / 1000) < 5);

      // Step-up: the session already has the password; Fief's levels must be entered afresh.
      const strong = await authorize(idp, agent, { acrValues: levels.strong.acrValues });
      assert.deepEqual(strong.pages, name === "fief" ? ["password", "otp"] : ["otp"]);
      const t2 = await redeem(idp, strong);
      assert.equal(t2.id.acr, levels.strong.acr);
      assert.deepEqual(t2.id.amr, MFA);
      assert.ok(t2.id.auth_time >= t1.id.auth_time);

      // Reuse of the session: no page at all. Fief says "0"; the others keep what the session
      // proved (WSO2's LOA2 stays LOA2, Auth0's multi-factor stays multi-factor).
      const reuse = await authorize(idp, agent);
      assert.deepEqual(reuse.pages, []);
      const t3 = await redeem(idp, reuse);
      const reuseAcr = { fief: "0", auth0: MFA_URI, wso2: "LOA2", janssen: "basic" }[name];
      assert.equal(t3.id.acr, reuseAcr);
      assert.deepEqual(t3.id.amr, MFA);
      assert.equal(t3.id.auth_time, t2.id.auth_time, "reuse keeps the original auth_time");

      await sleep(1100); // auth_time has one-second resolution
      const again = await authorize(idp, agent, { prompt: "login" });
      assert.deepEqual(again.pages, ["password"]);
      const t4 = await redeem(idp, again);
      assert.ok(t4.id.auth_time > t2.id.auth_time, "prompt=login gives a newer auth_time");
      assert.deepEqual(t4.id.amr, PWD, "a fresh sign-in does not inherit the old code");

      const zero = await authorize(idp, agent, { maxAge: 0, acrValues: levels.basic.acrValues });
      assert.deepEqual(zero.pages, ["password"], "max_age=0 forces re-authentication");
      const t5 = await redeem(idp, zero);
      assert.equal(t5.id.acr, levels.basic.acr);
      assert.equal(typeof t5.id.auth_time, "number");
    });

    test("session reuse right after a password sign-in", async () => {
      const agent = new Agent();
      const basic = { acrValues: levels.basic.acrValues };
      const first = await redeem(idp, await authorize(idp, agent, basic));
      const reuse = await authorize(idp, agent);
      assert.deepEqual(reuse.pages, []);
      const { id } = await redeem(idp, reuse);
      assert.equal(id.acr, REUSE_ACR[name]);
      assert.deepEqual(id.amr, PWD);
      assert.equal(id.auth_time, first.id.auth_time);
    });

    test("bob, no second factor: strong levels are unmet_authentication_requirements", async () => {
      const agent = new Agent();
      const flow = await authorize(idp, agent, { user: "bob", acrValues: levels.strong.acrValues });
      assert.deepEqual(flow.pages, ["password"]);
      assert.equal(flow.error, "unmet_authentication_requirements");
      assert.equal(flow.iss, idp.issuer);
      assert.equal(flow.code, undefined);

      // Once bob has a session, asking again fails without showing any page (no loop).
      const bob = (level) => ({ user: "bob", acrValues: levels[level].acrValues });
      await redeem(idp, await authorize(idp, agent, bob("basic")));
      const again = await authorize(idp, agent, bob("strong"));
      assert.deepEqual(again.pages, []);
      assert.equal(again.error, "unmet_authentication_requirements");
    });

    test("an essential acr claims request is honoured", async () => {
      const agent = new Agent();
      const claims = { id_token: { acr: { essential: true, values: [levels.strong.acr] } } };
      const flow = await authorize(idp, agent, { claims });
      assert.deepEqual(flow.pages, ["password", "otp"]);
      const { id } = await redeem(idp, flow);
      assert.equal(id.acr, levels.strong.acr);
      assert.deepEqual(id.amr, MFA);

      const bob = await authorize(idp, new Agent(), { user: "bob", claims });
      assert.equal(bob.error, "unmet_authentication_requirements");
    });

    test("the edge worker's confidential client (client_secret_basic + PKCE)", async () => {
      const flow = await authorize(idp, new Agent(), {
        clientId: EDGE_CLIENT_ID, redirectUri: EDGE_CB, acrValues: levels.strong.acrValues,
      });
      assert.deepEqual(flow.pages, ["password", "otp"]);
      const { id, at } = await redeem(idp, flow);
      assert.equal(id.acr, levels.strong.acr);
      assert.equal(at.acr, levels.strong.acr);
      // Fief's access tokens carry no amr (ACCESS_TOKEN_SHAPES).
      assert.deepEqual(at.amr, name === "fief" ? undefined : MFA);
    });
  });
}

describe("dialect details", () => {
  const idps = [];
  after(() => Promise.all(idps.map((idp) => idp.close())));
  const start = async (profile) => {
    const idp = await startIdp({ profile, clients: [spaClient([SPA_CB]), edgeClient([EDGE_CB])] });
    idps.push(idp);
    return idp;
  };

  test("janssen: client default_acr_values, then the internal default_password_auth", async () => {
    const idp = await start("janssen");
    const meta = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
    assert.deepEqual(meta.acr_values_supported, ["basic", "otp"]);
    const spa = await redeem(idp, await authorize(idp, new Agent()));
    assert.equal(spa.id.acr, "basic", "the SPA client's default_acr_values");
    const edge = await redeem(idp, await authorize(idp, new Agent(), {
      clientId: EDGE_CLIENT_ID, redirectUri: EDGE_CB,
    }));
    assert.equal(edge.id.acr, "default_password_auth", "no request, no client default: internal");
  });

  test("wso2: LOA3 needs both factors in this sign-in, then reuse says LOA2", async () => {
    const idp = await start("wso2");
    const agent = new Agent();
    await redeem(idp, await authorize(idp, agent, { acrValues: ["LOA2"] }));
    const loa3 = await authorize(idp, agent, { acrValues: ["LOA3"] });
    assert.deepEqual(loa3.pages, ["password", "otp"]);
    assert.equal((await redeem(idp, loa3)).id.acr, "LOA3");
    const reuse = await authorize(idp, agent);
    assert.deepEqual(reuse.pages, []);
    assert.equal((await redeem(idp, reuse)).id.acr, "LOA2");
    // acr_values in order of preference: bob cannot reach LOA2, so he gets LOA1.
    const bob = await redeem(idp, await authorize(idp, new Agent(), {
      user: "bob", acrValues: ["LOA2", "LOA1"],
    }));
    assert.equal(bob.id.acr, "LOA1");
  });

  test("fief: acr_values=1 forces the password again; a refresh token yields level 0", async () => {
    const idp = await start("fief");
    const agent = new Agent();
    const first = await redeem(idp, await authorize(idp, agent));
    assert.equal(first.id.acr, "1", "no acr_values, fresh password: level 1");
    const forced = await authorize(idp, agent, { acrValues: ["1"] });
    assert.deepEqual(forced.pages, ["password"]);
    const { raw } = await redeem(idp, forced);
    assert.ok(raw.refresh_token, "the SPA gets a refresh token");
    const res = await fetch(`${idp.issuer}/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "refresh_token", refresh_token: raw.refresh_token, client_id: SPA_CLIENT_ID,
      }),
    });
    const refreshed = await res.json();
    assert.equal(res.status, 200, JSON.stringify(refreshed));
    const { id, at } = await verifyTokens(idp, refreshed, { clientId: SPA_CLIENT_ID });
    assert.equal(id.acr, "0");
    assert.equal(at.acr, "0");
  });

  test("prompt=none: silent reuse relabels (fief 0); a missing step is an error", async () => {
    const idp = await start("fief");
    const noSession = await authorize(idp, new Agent(), { prompt: "none" });
    assert.equal(noSession.error, "login_required");
    const agent = new Agent();
    await redeem(idp, await authorize(idp, agent));
    const silent = await authorize(idp, agent, { prompt: "none" });
    assert.deepEqual(silent.pages, []);
    assert.equal((await redeem(idp, silent)).id.acr, "0");
    const stepUp = await authorize(idp, agent, { prompt: "none", acrValues: ["2"] });
    assert.equal(stepUp.error, "login_required");
    const bob = new Agent();
    await redeem(idp, await authorize(idp, bob, { user: "bob" }));
    const unmet = await authorize(idp, bob, { prompt: "none", acrValues: ["2"] });
    assert.equal(unmet.error, "unmet_authentication_requirements");
  });

  test("an issuer with a path is served under that path", async () => {
    const idp = await startIdp({
      profile: "wso2",
      clients: [spaClient([SPA_CB])],
      issuer: (port) => `http://127.0.0.1:${port}/oidc`,
    });
    idps.push(idp);
    assert.equal(idp.issuer, `${idp.url}/oidc`);
    const meta = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
    assert.equal(meta.issuer, idp.issuer);
    assert.equal(meta.jwks_uri, `${idp.issuer}/jwks`);
    const flow = await authorize(idp, new Agent(), { acrValues: ["LOA2"] });
    assert.deepEqual(flow.pages, ["password", "otp"]);
    assert.equal((await redeem(idp, flow)).id.acr, "LOA2");
    assert.equal((await fetch(`${idp.url}/jwks`)).status, 404);
  });

  test("wrong password and wrong code are refused on the page", async () => {
    const idp = await start("auth0");
    const agent = new Agent();
    const url = new URL(`${idp.issuer}/auth`);
    const verifier = b64url(randomBytes(32));
    Object.entries({
      response_type: "code", client_id: SPA_CLIENT_ID, redirect_uri: SPA_CB, scope: "openid",
      code_challenge: b64url(createHash("sha256").update(verifier).digest()),
      code_challenge_method: "S256",
      acr_values: MFA_URI,
    }).forEach(([k, v]) => url.searchParams.set(k, v));
    const interaction = new URL((await agent.fetch(url)).headers.get("location"), idp.url);
    const post = (path, form) => agent.fetch(new URL(`${interaction.pathname}/${path}`, idp.url), {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
    });
    await post("password", { username: "alice", password: "nope" });
    let page = await (await agent.fetch(interaction)).text();
    assert.match(page, /role="alert" id="error">Wrong username or password/);
    await post("password", { username: "alice", password: "wonderland" });
    await post("otp", { otp: "000000" === idp.lastOtp("alice") ? "111111" : "000000" });
    page = await (await agent.fetch(interaction)).text();
    assert.match(page, /id="otp"/);
    assert.match(page, /role="alert" id="error">That code is not right/);
  });
});

describe("keys and faults", () => {
  let idp;
  before(async () => {
    idp = await startIdp({ profile: "wso2", clients: [spaClient([SPA_CB])] });
  });
  after(() => idp?.close());

  test("rotateKeys: a new kid signs, the old kid leaves, old tokens stop verifying", async () => {
    const agent = new Agent();
    const before = await redeem(idp, await authorize(idp, agent, { acrValues: ["LOA1"] }));
    const oldKid = before.idHeader.kid;
    const [newKid] = await idp.rotateKeys();
    assert.notEqual(newKid, oldKid);

    // The session survives the rotation: no page, a token under the new key.
    const flow = await authorize(idp, agent);
    assert.deepEqual(flow.pages, []);
    const afterRotation = await redeem(idp, flow);
    assert.equal(afterRotation.idHeader.kid, newKid);
    assert.equal(decodeProtectedHeader(afterRotation.raw.access_token).kid, newKid);

    const { keys } = await (await fetch(`${idp.issuer}/jwks`)).json();
    assert.ok(keys.some((k) => k.kid === newKid));
    assert.ok(!keys.some((k) => k.kid === oldKid));
    assert.ok(keys.every((k) => k.d === undefined), "only public keys are published");
    assert.deepEqual(keys.map((k) => k.alg).sort(), ["ES256", "EdDSA", "RS256"]);
    await assert.rejects(verifyTokens(idp, before.raw, { clientId: SPA_CLIENT_ID }),
      { code: "ERR_JWKS_NO_MATCHING_KEY" });

    // An overlapping rotation: the new key signs, the previous one stays published.
    const [overlapKid] = await idp.rotateKeys({ keepPrevious: true });
    const overlap = await redeem(idp, await authorize(idp, agent));
    assert.equal(overlap.idHeader.kid, overlapKid);
    const published = (await (await fetch(`${idp.issuer}/jwks`)).json()).keys.map((k) => k.kid);
    assert.ok(published.includes(newKid) && published.includes(overlapKid));
    await verifyTokens(idp, afterRotation.raw, { clientId: SPA_CLIENT_ID });
  });

  test("setDown: every endpoint answers 503, until it is up again", async () => {
    idp.setDown(true);
    for (const path of ["/.well-known/openid-configuration", "/jwks", "/token", "/auth"]) {
      assert.equal((await fetch(`${idp.issuer}${path}`)).status, 503, path);
    }
    idp.setDown(false);
    assert.equal((await fetch(`${idp.issuer}/.well-known/openid-configuration`)).status, 200);
  });

  test("setJwksMode: garbage, error and slow affect only the JWKS endpoint", async () => {
    idp.setJwksMode("garbage");
    const garbage = await fetch(`${idp.issuer}/jwks`);
    assert.equal(garbage.status, 200);
    const text = await garbage.text();
    assert.throws(() => JSON.parse(text), SyntaxError);
    assert.equal((await fetch(`${idp.issuer}/.well-known/openid-configuration`)).status, 200);

    idp.setJwksMode("error");
    assert.equal((await fetch(`${idp.issuer}/jwks`)).status, 500);

    idp.setJwksMode("slow");
    await assert.rejects(fetch(`${idp.issuer}/jwks`, { signal: AbortSignal.timeout(300) }),
      { name: "TimeoutError" });

    idp.setJwksMode("ok");
    assert.equal((await fetch(`${idp.issuer}/jwks`)).status, 200);
    assert.throws(() => idp.setJwksMode("sometimes"), TypeError);
  });

  test("setTokenMode: error, garbage and slow affect only the token endpoint; the code survives", async () => {
    const flow = await authorize(idp, new Agent(), { acrValues: ["LOA1"] });
    idp.setTokenMode("error");
    assert.equal((await tokenRequest(idp, flow)).status, 500);
    assert.equal((await fetch(`${idp.issuer}/jwks`)).status, 200);

    idp.setTokenMode("garbage");
    const garbage = await tokenRequest(idp, flow);
    assert.equal(garbage.status, 200);
    const text = await garbage.text();
    assert.throws(() => JSON.parse(text), SyntaxError);

    idp.setTokenMode("slow");
    await assert.rejects(tokenRequest(idp, flow, { signal: AbortSignal.timeout(300) }),
      { name: "TimeoutError" });

    // None of those redeemed the code (the slow one was given up before it was served).
    idp.setTokenMode("ok");
    assert.equal((await redeem(idp, flow)).id.acr, "LOA1");
    assert.throws(() => idp.setTokenMode("sometimes"), TypeError);
  });

  test("oversized: the usual answer, still the same JSON, longer than 1 MiB and sent without a length", async () => {
    idp.setJwksMode("oversized");
    let jwks, text;
    try {
      jwks = await fetch(`${idp.issuer}/jwks`);
      text = await jwks.text();
    } finally {
      idp.setJwksMode("ok");
    }
    assert.equal(jwks.headers.get("content-length"), null);
    assert.ok(text.length > 1024 * 1024, `${text.length} characters`);
    assert.deepEqual(JSON.parse(text), await (await fetch(`${idp.issuer}/jwks`)).json());

    const flow = await authorize(idp, new Agent(), { acrValues: ["LOA1"] });
    idp.setTokenMode("oversized");
    try {
      const answer = await tokenRequest(idp, flow);
      assert.equal(answer.status, 200);
      const tokens = JSON.parse(await answer.text());
      assert.equal(typeof tokens.id_token, "string", "a usable token answer");
    } finally {
      idp.setTokenMode("ok");
    }
  });
});
