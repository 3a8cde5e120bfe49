// The guard's core in node against a provider of the test's own (discovery and a key set served
// from memory, tokens signed with jose): a bearer token answered before is answered by `decide`
// itself, without I/O, while the provider's documents are fresh; a refetch that brings the same
// key set keeps the verifier made over it, so such a token is not verified again; a refetch that
// brings another set starts a new one; a key set held from the `jwks_uri` discovery named before
// is not the one it names now.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import * as jose from "jose";
import "./load.mjs";
import { GuardCore } from "../../pkg/stepup.js";

const API = "https://api.example";
let server, issuer, keySet;
/** Where discovery says the key set is, and the sets at other paths than `/jwks`. */
let jwksPath = "/jwks";
const elsewhere = new Map();
/** GET requests per path. */
const gets = new Map();
const first = await jose.generateKeyPair("ES256");
const second = await jose.generateKeyPair("ES256");
const jwk = async (pair, kid) => ({ ...(await jose.exportJWK(pair.publicKey)), kid, alg: "ES256", use: "sig" });

before(async () => {
  server = createServer((req, res) => {
    gets.set(req.url, (gets.get(req.url) ?? 0) + 1);
    const body = req.url === "/.well-known/openid-configuration"
      ? {
        issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}${jwksPath}`, response_types_supported: ["code"], subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["ES256"], acr_values_supported: ["LOA1", "LOA2"],
      }
      : req.url === "/jwks" ? keySet : elsewhere.get(req.url);
    res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
    res.end(body ? JSON.stringify(body) : "");
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  issuer = `http://127.0.0.1:${server.address().port}`;
});

after(() => new Promise((r) => server.close(r)));

/** Past the key set's refetch cooldown (one second here). */
const cooledDown = () => new Promise((r) => setTimeout(r, 1100));

/** An RFC 9068 access token for the API from `pair` as key `kid`. */
function accessToken(pair, kid, jti) {
  const now = Math.floor(Date.now() / 1000);
  return new jose.SignJWT({ client_id: "app", acr: "LOA2", auth_time: now - 10 })
    .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" })
    .setIssuer(issuer).setSubject("alice").setAudience(API).setIssuedAt(now).setExpirationTime(now + 600).setJti(jti)
    .sign(pair.privateKey);
}

test("a bearer token answered before is answered at once while the documents are fresh; a refetch of the same key set keeps the verifier, another set starts anew", async () => {
  keySet = { keys: [await jwk(first, "k1")] };
  const core = new GuardCore({
    STEPUP_ISSUER: issuer, STEPUP_CLIENT_ID: "app", STEPUP_UPSTREAM: "https://app.internal",
    STEPUP_SESSION_SECRET: "a-test-session-secret-of-at-least-32-bytes", STEPUP_ACR_POLICY: "wso2",
    STEPUP_RULES: JSON.stringify([{ path: "/api/*", acr: ["LOA2"], api: true }]),
    STEPUP_API_AUDIENCE: API, STEPUP_KEYS_COOLDOWN: "1", STEPUP_KEYS_MAX_AGE: "60",
  });
  const subtle = globalThis.crypto.subtle;
  const verify = subtle.verify;
  let verified = 0;
  subtle.verify = function (...args) {
    verified++;
    return verify.apply(this, args);
  };
  /** How the core answered a bearer request as the shell runs it ("decide" alone, or "io" then resolve), and what. */
  async function call(token) {
    const headers = `authorization\nBearer ${token}\naccept\napplication/json`;
    const action = JSON.parse(core.decide("GET", "https://app.example/api/x", headers, 4));
    if (action[0] !== "io") return ["decide", action];
    return ["io", JSON.parse(await core.resolve("GET", "https://app.example/api/x", headers, 4))];
  }
  /** Forwarded as alice (the identity the core set), or the status of its reply. */
  const outcome = ([, action]) => (action[0] === "forward" ? action[3][action[3].indexOf("x-stepup-sub") + 1] : action[1]);
  try {
    const token = await accessToken(first, "k1", "a");
    const answered = await call(token);
    assert.deepEqual([answered[0], outcome(answered)], ["io", "alice"], "a new token: the key set is fetched and WebCrypto asked");
    const again = await call(token);
    assert.deepEqual([again[0], outcome(again)], ["decide", "alice"], "the same token again: answered at once, no I/O");
    assert.deepEqual(again[1], answered[1], "the same plan as the first answer");
    assert.equal(verified, 1, "verified once, then answered from the verifier's cache");
    // A token naming a key the set lacks makes the guard refetch the set, which is the same.
    await cooledDown();
    assert.equal(outcome(await call(await accessToken(second, "k2", "b"))), 401);
    assert.equal(gets.get("/jwks"), 2, "the set was fetched again");
    const before = verified;
    assert.deepEqual((await call(token)).map((x, i) => (i ? outcome([, x]) : x)), ["decide", "alice"]);
    assert.equal(verified, before, "the same set: the verifier kept its answer");
    // The provider rotates: k2 added. The token naming it makes the guard refetch a new set.
    keySet = { keys: [await jwk(first, "k1"), await jwk(second, "k2")] };
    await cooledDown();
    assert.equal(outcome(await call(await accessToken(second, "k2", "c"))), "alice");
    assert.equal(gets.get("/jwks"), 3);
    const rotated = verified;
    const anew = await call(token);
    assert.deepEqual([anew[0], outcome(anew)], ["io", "alice"]);
    assert.equal(verified, rotated + 1, "a new set: a new verifier, which verifies the token again");
    // k1 withdrawn: a token answered before is refused once the set without it is fetched.
    keySet = { keys: [await jwk(second, "k2")] };
    await cooledDown();
    assert.equal(outcome(await call(await accessToken(first, "k3", "d"))), 401);
    assert.equal(gets.get("/jwks"), 4);
    assert.equal(outcome(await call(token)), 401);
    // Once the held set is past its max age (60 s here), a token answered before goes the way of
    // the I/O again: the set is fetched anew before anything is answered from it.
    const token2 = await accessToken(second, "k2", "e");
    assert.equal(outcome(await call(token2)), "alice");
    assert.equal((await call(token2))[0], "decide");
    const fetched = gets.get("/jwks");
    const realNow = Date.now;
    try {
      Date.now = () => realNow() + 61_000;
      const late = await call(token2);
      assert.deepEqual([late[0], outcome(late)], ["io", "alice"]);
      assert.equal(gets.get("/jwks"), fetched + 1, "the stale set was fetched again");
      assert.equal((await call(token2))[0], "decide", "fresh again: answered at once");
    } finally {
      Date.now = realNow;
    }
  } finally {
    subtle.verify = verify;
  }
});

test("a key set held from the jwks_uri discovery named before is not the set at the one it names now", async () => {
  jwksPath = "/jwks-a";
  elsewhere.set("/jwks-a", { keys: [await jwk(first, "k1")] });
  const core = new GuardCore({
    STEPUP_ISSUER: issuer, STEPUP_CLIENT_ID: "app", STEPUP_UPSTREAM: "https://app.internal",
    STEPUP_SESSION_SECRET: "a-test-session-secret-of-at-least-32-bytes", STEPUP_ACR_POLICY: "wso2",
    STEPUP_RULES: JSON.stringify([{ path: "/api/*", acr: ["LOA2"], api: true }]),
    STEPUP_API_AUDIENCE: API, STEPUP_KEYS_COOLDOWN: "1", STEPUP_KEYS_MAX_AGE: "60",
  });
  /**
   * What would reach the app: the identity the plan tells it, or nothing and the guard's own
   * status and challenge.
   */
  const status = async (token) => {
    const headers = `authorization\nBearer ${token}\naccept\napplication/json`;
    let action = JSON.parse(core.decide("GET", "https://app.example/api/x", headers, 4));
    if (action[0] === "io") action = JSON.parse(await core.resolve("GET", "https://app.example/api/x", headers, 4));
    if (action[0] === "forward") {
      assert.equal(action[1], "https://app.internal/api/x");
      return `forwarded as ${action[3][action[3].indexOf("x-stepup-sub") + 1]}`;
    }
    const challenge = action[2][action[2].indexOf("www-authenticate") + 1];
    return `${action[1]} ${challenge.split(",")[0]}`;
  };
  const refused = '401 Bearer error="invalid_token"';
  const realNow = Date.now;
  try {
    const token = await accessToken(first, "k1", "m1");
    assert.equal(await status(token), "forwarded as alice");
    // 30 s on, a token naming an unknown key makes the guard fetch the set again: it is now
    // fresher than the discovery document.
    Date.now = () => realNow() + 30_000;
    assert.equal(await status(await accessToken(second, "zz", "m2")), refused);
    assert.equal(gets.get("/jwks-a"), 2);
    // The provider moves its keys: discovery names /jwks-b, which holds k2 only.
    jwksPath = "/jwks-b";
    elsewhere.set("/jwks-b", { keys: [await jwk(second, "k2")] });
    // 61 s on, discovery is fetched again and names /jwks-b: the set held from /jwks-a, fresh as
    // it is, is not that one. k1's token, answered before, is refused; k2's is taken.
    Date.now = () => realNow() + 61_000;
    assert.equal(await status(token), refused);
    assert.equal(gets.get("/jwks-b") > 0, true, "the set at the new jwks_uri was fetched");
    assert.equal(await status(await accessToken(second, "k2", "m3")), "forwarded as alice");
  } finally {
    Date.now = realNow;
    jwksPath = "/jwks";
  }
});
