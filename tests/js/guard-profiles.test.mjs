// The guard's API path with each provider's own access tokens (README, "Access-token profiles"):
// worker/ in workerd in front of an echo upstream, the local IdP (tests/idp/) issuing tokens in
// the shape of its dialect (tests/idp/config.mjs, ACCESS_TOKEN_SHAPES), and the guard set up as
// that provider needs (STEPUP_ACCESS_TOKEN_PROFILE named by the provider's preset). Per dialect: a
// token strong enough is forwarded with its identity, a weaker one gets the RFC 9470 challenge
// and never reaches the upstream, the same sign-in's ID token is no access token (E12), and
// stepup's verifyAccessToken agrees with jose on the token where they should and differs
// only where the README says.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import * as jose from "jose";
import { API_AUDIENCE, SPA_CLIENT_ID, spaClient, startIdp } from "../idp/server.mjs";
import { Agent, authorize, exchangeCode } from "./agent.mjs";
import stepup from "./load.mjs";
import { freePort, guardEnv, startWorkerd } from "./workerd.mjs";

const CONFIG = new URL("../../worker/config.capnp", import.meta.url);
const SPA_CALLBACK = "http://127.0.0.1:5997/callback"; // the SPA client's tokens; never followed
const MFA_URI = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";

// Each dialect: the guard's profile setting (a provider preset names what its provider issues),
// the audience its access tokens carry, its header `typ`, and its two levels (what to ask for
// and the acr the token then holds).
const DIALECTS = {
  fief: {
    profile: "fief", audience: SPA_CLIENT_ID, typ: undefined,
    basic: { acrValues: ["1"], acr: "1" }, strong: { acrValues: ["2"], acr: "2" },
  },
  auth0: {
    profile: "auth0", audience: API_AUDIENCE, typ: "JWT",
    basic: { acrValues: undefined, acr: undefined }, strong: { acrValues: [MFA_URI], acr: MFA_URI },
  },
  // RFC 9068 tokens, as before: the baseline the two others differ from.
  wso2: {
    profile: "rfc9068", audience: API_AUDIENCE, typ: "at+jwt",
    basic: { acrValues: ["LOA1"], acr: "LOA1" }, strong: { acrValues: ["LOA2"], acr: "LOA2" },
  },
};

for (const [name, dialect] of Object.entries(DIALECTS)) {
  describe(`${name} access tokens at the guard (STEPUP_ACCESS_TOKEN_PROFILE=${dialect.profile})`, () => {
    let idp, upstream, worker, jwks;
    /** What the upstream received, in order. */
    const received = [];
    /** Tokens of one sign-in each: `{ access, id }`. */
    const tokens = {};

    before(async () => {
      idp = await startIdp({ profile: name, clients: [spaClient([SPA_CALLBACK])] });
      upstream = createServer((req, res) => {
        received.push({ url: req.url, headers: req.headers });
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
      });
      await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
      worker = await startWorkerd(CONFIG, {
        port: await freePort(),
        env: guardEnv(idp, {
          STEPUP_ACR_POLICY: name,
          STEPUP_UPSTREAM: `http://127.0.0.1:${upstream.address().port}`,
          STEPUP_RULES: [
            { path: "/api/strong/*", acr: dialect.strong.acr, api: true },
            // A claim the dialect's tokens may not carry: Fief's have no amr.
            { path: "/api/codes/*", amr: { any: ["otp"] }, api: true },
            { path: "/api/*", api: true },
          ],
          STEPUP_API_AUDIENCE: dialect.audience,
          STEPUP_ACCESS_TOKEN_PROFILE: dialect.profile,
        }),
      });
      jwks = await (await fetch(`${idp.issuer}/jwks`)).json();
      for (const level of ["basic", "strong"]) {
        const flow = await authorize(idp, new Agent(), {
          redirectUri: SPA_CALLBACK, acrValues: dialect[level].acrValues,
        });
        const raw = await exchangeCode(idp, flow);
        tokens[level] = { access: raw.access_token, id: raw.id_token };
      }
    });
    after(async () => {
      await worker?.stop();
      await idp?.close();
      await new Promise((r) => upstream?.close(r));
    });

    /** A bearer call through the guard; resolves to the answer and what the upstream got. */
    async function call(path, token) {
      const before = received.length;
      const res = await fetch(`${worker.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      return { res, seen: received.slice(before) };
    }

    test("the provider's own token shape is what the IdP issued", () => {
      const header = jose.decodeProtectedHeader(tokens.strong.access);
      assert.equal(header.typ, dialect.typ);
      const claims = jose.decodeJwt(tokens.strong.access);
      assert.ok([claims.aud].flat().includes(dialect.audience), JSON.stringify(claims.aud));
      assert.equal(claims.acr, dialect.strong.acr);
    });

    test("a token strong enough is forwarded with its identity", async () => {
      const { res, seen } = await call("/api/strong/transfer?x=1", tokens.strong.access);
      assert.equal(res.status, 200);
      assert.equal(seen.length, 1);
      assert.equal(seen[0].url, "/api/strong/transfer?x=1");
      assert.equal(seen[0].headers["x-stepup-sub"], "alice");
      assert.equal(seen[0].headers["x-stepup-acr"], dialect.strong.acr);
      assert.match(seen[0].headers["x-stepup-auth-time"], /^\d+$/);
    });

    test("a weaker token gets the RFC 9470 challenge and never reaches the upstream", async () => {
      const { res, seen } = await call("/api/strong/transfer", tokens.basic.access);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("www-authenticate"),
        'Bearer error="insufficient_user_authentication", error_description="A different authentication level ' +
        `is required", acr_values="${dialect.strong.acr}"`);
      assert.deepEqual(seen, []);
      // Enough for a rule without a level (Auth0's basic token has no acr at all).
      const plain = await call("/api/balance", tokens.basic.access);
      assert.equal(plain.res.status, 200);
      assert.equal(plain.seen[0].headers["x-stepup-acr"], dialect.basic.acr);
    });

    test("a rule needing a claim the token does not carry is not met", async () => {
      const { res, seen } = await call("/api/codes/x", tokens.strong.access);
      if (name === "fief") {
        assert.equal(jose.decodeJwt(tokens.strong.access).amr, undefined);
        assert.equal(res.status, 401);
        assert.match(res.headers.get("www-authenticate"), /^Bearer error="insufficient_user_authentication"/);
        assert.deepEqual(seen, []);
      } else {
        assert.equal(res.status, 200);
        // As the token says: WSO2 names its authenticators, which its policy reads as pwd and otp.
        assert.equal(seen[0].headers["x-stepup-amr"], name === "wso2" ? "BasicAuthenticator totp" : "pwd otp mfa");
      }
    });

    test("the same sign-in's ID token is no access token (E12)", async () => {
      const { res, seen } = await call("/api/balance", tokens.strong.id);
      assert.equal(res.status, 401);
      assert.match(res.headers.get("www-authenticate"), /^Bearer error="invalid_token"/);
      assert.deepEqual(seen, []);
    });

    test("differential: stepup and jose agree on the provider's token; they differ only on E12", async () => {
      const keys = jose.createLocalJWKSet(jwks);
      const options = { issuer: idp.issuer, audience: dialect.audience };
      const profile = dialect.profile === "rfc9068" ? "rfc9068" : "jwt";
      const ours = await stepup.verifyAccessToken(tokens.strong.access, jwks,
        { ...options, accessTokenProfile: profile });
      const { payload } = await jose.jwtVerify(tokens.strong.access, keys, { ...options, typ: dialect.typ });
      assert.deepEqual(ours, payload);
      if (profile === "jwt") {
        // RFC 9068 refuses the same token: jose with typ at+jwt, stepup by default.
        await assert.rejects(jose.jwtVerify(tokens.strong.access, keys, { ...options, typ: "at+jwt" }),
          { code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "typ" });
        await assert.rejects(stepup.verifyAccessToken(tokens.strong.access, jwks, options),
          { code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "typ" });
      }
      // The ID token: jose has no notion of an access token's shape and takes it wherever its
      // audience fits (Fief: the client id is the API's audience); stepup refuses it as an ID
      // token by its nonce (README, "Security model").
      const idOptions = { issuer: idp.issuer, audience: SPA_CLIENT_ID };
      const idClaims = jose.decodeJwt(tokens.strong.id);
      assert.equal(typeof idClaims.nonce, "string");
      assert.ok((await jose.jwtVerify(tokens.strong.id, keys, idOptions)).payload.sub);
      await assert.rejects(stepup.verifyAccessToken(tokens.strong.id, jwks, { ...idOptions, accessTokenProfile: "jwt" }),
        { code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "typ" });
    });
  });
}
