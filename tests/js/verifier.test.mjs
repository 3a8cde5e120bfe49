// createVerifier's own behaviour beyond the token table (tests/js/tokens.test.mjs runs the table
// through it): an answer reused only while the core says it holds, by the clock in both
// directions; options read once and refused when wrong; a key imported once; many calls at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as jose from "jose";
import stepup from "./load.mjs";
import { VerifierCore } from "../../pkg/stepup.js";
import { verifierOver } from "../../pkg/verifier.js";

const issuer = "https://idp.example";
const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
const jwks = { keys: [{ ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" }] };
const T = 1_800_000_000;

const sign = (claims, { iat = T, exp = T + 600 } = {}) => new jose.SignJWT(claims)
  .setProtectedHeader({ alg: "ES256", kid: "k1" })
  .setIssuer(issuer).setSubject("alice").setAudience("spa").setIssuedAt(iat).setExpirationTime(exp)
  .sign(privateKey);

test("an answer is reused only within its span: expiry, max_age and a clock that goes back all ask again", async () => {
  const verifier = stepup.createVerifier({ issuer, audience: "spa", jwks, clockTolerance: 0 });
  const token = await sign({ auth_time: T - 10, nonce: "n" });
  const call = (currentTime, extra = {}) => verifier.verifyIdToken(token, { expectedNonce: "n", currentTime, ...extra });
  // Verified, then answered from the core's cache (and kept), then from what was kept.
  assert.equal((await call(T)).sub, "alice");
  assert.equal((await call(T + 1)).sub, "alice");
  assert.equal((await call(T + 599)).sub, "alice", "reused within the span");
  await assert.rejects(call(T + 600), { code: "ERR_JWT_EXPIRED" }, "past exp: asked again and refused");
  await assert.rejects(call(T - 100), { code: "ERR_JWT_CLAIM_VALIDATION_FAILED" }, "before iat: asked again");
  assert.equal((await call(T + 30, { maxAge: 60 })).sub, "alice");
  await assert.rejects(call(T + 51, { maxAge: 60 }), { code: "ERR_AUTH_TIME_TOO_OLD" }, "auth_time + maxAge bounds the span");
  await assert.rejects(call(T, { expectedNonce: "other" }), { code: "ERR_JWT_CLAIM_VALIDATION_FAILED" });
});

test("the shell keeps an answer from a token's second call on, and answers from it without the core", async () => {
  const core = new VerifierCore({ issuer, audience: "spa", jwks, clockTolerance: 0 });
  let begun = 0;
  const begin = core.begin.bind(core);
  core.begin = (...args) => (begun++, begin(...args));
  const verifier = verifierOver(core);
  const token = await sign({ auth_time: T - 10 });
  const call = (currentTime) => verifier.verifyIdToken(token, { currentTime });
  assert.equal((await call(T)).sub, "alice");
  assert.equal(begun, 1, "verified by the core");
  assert.equal((await call(T + 1)).sub, "alice");
  assert.equal(begun, 2, "a first verification is not kept: the core answers from its cache");
  assert.equal((await call(T + 2)).sub, "alice");
  assert.equal((await call(T + 599)).sub, "alice");
  assert.equal(begun, 2, "answered from what the shell kept");
  await assert.rejects(call(T + 600), { code: "ERR_JWT_EXPIRED" });
  assert.equal(begun, 3, "past its span the core is asked again");
});

test("a requirement is judged on every call, and an answer with one is not an answer without it", async () => {
  const verifier = stepup.createVerifier({ issuer, audience: "spa", jwks, policy: stepup.acrPolicy("wso2") });
  const token = await sign({ acr: "LOA1", auth_time: T - 10 });
  const requirement = { acr: ["LOA2"] };
  await assert.rejects(verifier.verifyIdToken(token, { currentTime: T, requirement }), { code: "ERR_ACR_NOT_SATISFIED" });
  assert.equal((await verifier.verifyIdToken(token, { currentTime: T })).acr, "LOA1");
  await assert.rejects(verifier.verifyIdToken(token, { currentTime: T, requirement }), { code: "ERR_ACR_NOT_SATISFIED" });
});

test("a forged token is refused every time, also after the genuine one was answered", async () => {
  const verifier = stepup.createVerifier({ issuer, audience: "spa", jwks });
  const token = await sign({});
  assert.equal((await verifier.verifyIdToken(token, { currentTime: T })).sub, "alice");
  const [h, p, s] = token.split(".");
  const flipped = `${h}.${p}.${s[0] === "A" ? "B" : "A"}${s.slice(1)}`;
  for (let i = 0; i < 2; i++) {
    await assert.rejects(verifier.verifyIdToken(flipped, { currentTime: T }), { code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" });
  }
});

test("options are read once and a mistake is a TypeError naming it", () => {
  assert.throws(() => stepup.createVerifier({ issuer, audience: "spa" }), { name: "TypeError", code: "ERR_INVALID_ARG_TYPE" });
  assert.throws(() => stepup.createVerifier({ issuer, audience: "spa", jwks, clockTolerence: 5 }), { name: "TypeError" });
  assert.throws(() => stepup.createVerifier({ issuer, audience: "spa", jwks: { keys: "no" } }), { code: "ERR_JWKS_INVALID" });
});

test("call options in JavaScript's words", async () => {
  const verifier = stepup.createVerifier({ issuer, audience: "spa", jwks });
  const token = await sign({});
  await assert.rejects(verifier.verifyIdToken(token, { maxAge: -1 }), { name: "TypeError", param: "maxAge" });
  await assert.rejects(verifier.verifyIdToken(token, { expectedNonse: "n" }), { name: "TypeError", param: "expectedNonse" });
  await assert.rejects(verifier.verifyIdToken(token, { get expectedNonce() { return "n"; } }), (e) => e.code !== undefined);
  await assert.rejects(verifier.verifyIdToken(42), { name: "TypeError", param: "token" });
});

test("many calls at once: every answer is its own token's", async () => {
  const verifier = stepup.createVerifier({ issuer, audience: "spa", jwks });
  const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => sign({ jti: `t${i}` })));
  const claims = await Promise.all(tokens.flatMap((t) => [verifier.verifyIdToken(t, { currentTime: T }), verifier.verifyIdToken(t, { currentTime: T })]));
  claims.forEach((c, i) => assert.equal(c.jti, `t${Math.floor(i / 2)}`));
});

test("more calls at once than the core keeps begun, forged ones among them: each verdict is its own token's", async () => {
  const verifier = stepup.createVerifier({ issuer, audience: "spa", jwks });
  const tokens = await Promise.all(Array.from({ length: 300 }, (_, i) => sign({ jti: `t${i}` })));
  const forge = (t) => `${t.slice(0, -2)}${t.endsWith("AA") ? "BA" : "AA"}`;
  // Twice: the first round waits for the key's import (the bytes copied meanwhile), the second
  // has it and hands WebCrypto views of the core's memory.
  for (let round = 0; round < 2; round++) {
    const fresh = round === 0 ? tokens : await Promise.all(tokens.map((_, i) => sign({ jti: `u${i}` })));
    const results = await Promise.allSettled(fresh.map((t, i) => verifier.verifyIdToken(i % 7 === 3 ? forge(t) : t, { currentTime: T })));
    results.forEach((r, i) => {
      if (i % 7 === 3) assert.equal(r.reason?.code, "ERR_JWS_SIGNATURE_VERIFICATION_FAILED", `forged ${i}`);
      else assert.equal(r.value?.jti, `${round === 0 ? "t" : "u"}${i}`, `token ${i}`);
    });
  }
});

test("an answer kept for one call's options is never another's: a value that spells another member is its own value", async () => {
  const verifier = stepup.createVerifier({ issuer, audience: "spa", jwks });
  const token = await sign({ nonce: "n1", auth_time: T - 10 });
  // The second call keeps its answer (a first verification keeps none).
  for (let i = 0; i < 2; i++) {
    assert.equal((await verifier.verifyIdToken(token, { currentTime: T, expectedNonce: "n1", maxAge: 100000 })).sub, "alice");
  }
  // Read as "\n<name>\n<type>\n<value>" parts, this call spelled the same key as the one above.
  await assert.rejects(verifier.verifyIdToken(token, { currentTime: T, expectedNonce: "n1\nmaxAge\nnumber\n100000" }),
    { code: "ERR_JWT_CLAIM_VALIDATION_FAILED" });
  // Nor does the token's text carry options into the key.
  await assert.rejects(verifier.verifyIdToken(`expectedNonce\nstring\nn1\n${token}`, { currentTime: T }), { code: "ERR_JWT_MALFORMED" });
});

test("verifyAccessToken refuses an ID token's call options instead of leaving them unchecked", async () => {
  const verifier = stepup.createVerifier({ issuer, audience: "spa", jwks });
  const token = await sign({});
  for (const call of [{ maxAge: 60 }, { expectedNonce: "n" }]) {
    await assert.rejects(verifier.verifyAccessToken(token, { currentTime: T, ...call }),
      { name: "TypeError", code: "ERR_INVALID_ARG_VALUE", message: /verifyAccessToken/ });
    await assert.rejects(stepup.verifyAccessToken(token, jwks, { issuer, audience: "spa", currentTime: T, ...call }),
      { code: "ERR_INVALID_ARG_VALUE" });
  }
});

test("accessTokenProfile: \"jwt\" takes a provider's plain JWT; a mistake names the option; an ID token's check refuses it", async () => {
  // Auth0's shape: typed JWT, an audience array, no client_id or jti (README, "Access-token profiles").
  const now = Math.floor(Date.now() / 1000);
  const plain = await new jose.SignJWT({ acr: "urn:mfa" }).setProtectedHeader({ alg: "ES256", kid: "k1", typ: "JWT" })
    .setIssuer(issuer).setSubject("alice").setAudience(["api", "other"]).setIssuedAt(now).setExpirationTime(now + 60)
    .sign(privateKey);
  const options = { issuer, audience: "api" };
  await assert.rejects(stepup.verifyAccessToken(plain, jwks, options), { code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "typ" });
  assert.equal((await stepup.verifyAccessToken(plain, jwks, { ...options, accessTokenProfile: "jwt" })).acr, "urn:mfa");
  const verifier = stepup.createVerifier({ ...options, jwks, accessTokenProfile: "jwt" });
  assert.equal((await verifier.verifyAccessToken(plain)).sub, "alice");
  await assert.rejects(verifier.verifyAccessToken(plain, { requirement: { acr: "urn:stronger" } }), { code: "ERR_ACR_NOT_SATISFIED" });
  for (const [value, code] of [["JWT", "ERR_INVALID_ARG_VALUE"], ["introspection", "ERR_INVALID_ARG_VALUE"], [1, "ERR_INVALID_ARG_TYPE"]]) {
    assert.throws(() => stepup.createVerifier({ ...options, jwks, accessTokenProfile: value }),
      { name: "TypeError", code, param: "accessTokenProfile" });
    await assert.rejects(stepup.verifyAccessToken(plain, jwks, { ...options, accessTokenProfile: value }),
      { name: "TypeError", code, param: "accessTokenProfile" });
  }
  const idToken = await sign({});
  await assert.rejects(stepup.verifyIdToken(idToken, jwks, { issuer, audience: "spa", accessTokenProfile: "jwt" }),
    { name: "TypeError", code: "ERR_INVALID_ARG_VALUE", param: "accessTokenProfile", message: /verifyIdToken/ });
  await assert.rejects(stepup.createVerifier({ issuer, audience: "spa", jwks }).verifyIdToken(idToken, { accessTokenProfile: "jwt" }),
    { name: "TypeError", param: "accessTokenProfile" });
});

test("an inherited option is nobody's: a polluted Object.prototype moves no clock", async () => {
  const verifier = stepup.createVerifier({ issuer, audience: "spa", jwks, clockTolerance: 0 });
  const now = Math.floor(Date.now() / 1000);
  const token = await sign({}, { iat: now - 1000, exp: now - 500 });
  // Answered twice while it held (its own currentTime), so an answer is kept until its exp.
  for (let i = 0; i < 2; i++) assert.equal((await verifier.verifyIdToken(token, { currentTime: now - 600 })).sub, "alice");
  try {
    Object.prototype.currentTime = now - 600;
    await assert.rejects(stepup.verifyIdToken(token, jwks, { issuer, audience: "spa" }), { code: "ERR_JWT_EXPIRED" });
    await assert.rejects(verifier.verifyIdToken(token, {}), { code: "ERR_JWT_EXPIRED" });
  } finally {
    delete Object.prototype.currentTime;
  }
});

test("a list longer than any option holds is refused, not walked", () => {
  assert.throws(() => stepup.createVerifier({ issuer, audience: "spa", jwks, algorithms: new Array(2 ** 32 - 1) }),
    { name: "TypeError", code: "ERR_INVALID_ARG_VALUE", message: /algorithms/ });
  // The instance still answers.
  assert.equal(typeof stepup.createVerifier({ issuer, audience: "spa", jwks }).verifyIdToken, "function");
});

/** Another ES256 key under the same kid as the key set's. */
const other = await jose.generateKeyPair("ES256");
const otherJwk = { ...(await jose.exportJWK(other.publicKey)), kid: "k1", alg: "ES256", use: "sig" };

/** Tokens issued `age` seconds ago: alice's signed by the key set's key, bob's by the other key. */
async function twoSigners(age = 0) {
  const iat = Math.floor(Date.now() / 1000) - age;
  const byOther = await new jose.SignJWT({}).setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer(issuer).setSubject("bob").setAudience("spa").setIssuedAt(iat).setExpirationTime(iat + 600)
    .sign(other.privateKey);
  return { token: await sign({}, { iat, exp: iat + 600 }), byOther };
}

test("the free functions follow a key set object as it changes: each call is judged on the set it is given", async () => {
  const { token, byOther } = await twoSigners();
  const options = { issuer, audience: "spa" };
  const keySet = structuredClone(jwks);
  const free = (t) => stepup.verifyIdToken(t, keySet, options);
  const refused = { code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" };
  assert.equal((await free(token)).sub, "alice");
  assert.equal((await free(token)).sub, "alice", "the same object unchanged");
  // A member changed in place: the key's x and y are another key's.
  Object.assign(keySet.keys[0], { x: otherJwk.x, y: otherJwk.y });
  await assert.rejects(free(token), refused);
  assert.equal((await free(byOther)).sub, "bob");
  // The list replaced, then the first key put back in another object with the same members.
  keySet.keys = [structuredClone(jwks.keys[0])];
  assert.equal((await free(token)).sub, "alice");
  await assert.rejects(free(byOther), refused);
  // A member added (a second key set under the same kid is ambiguous to no one here: the
  // member is not a key) and taken away again: judged on what the object holds each time.
  keySet.keys[0].x = otherJwk.x;
  keySet.keys[0].y = otherJwk.y;
  assert.equal((await free(byOther)).sub, "bob");
  keySet.keys[0].x = jwks.keys[0].x;
  keySet.keys[0].y = jwks.keys[0].y;
  assert.equal((await free(token)).sub, "alice");
  // What the core refuses is refused, whatever a verifier kept for text that looks the same.
  const viaToJson = { toJSON: () => ({ keys: [otherJwk] }), keys: jwks.keys };
  await assert.rejects(stepup.verifyIdToken(byOther, viaToJson, options), { name: "TypeError", message: /jwks\.toJSON/ });
});

test("the free functions read a key set and options as the core reads them: members JSON does not show count", async () => {
  const { token, byOther } = await twoSigners();
  const options = { issuer, audience: "spa" };
  const fresh = (t, keySet, o = options) => stepup.createVerifier({ ...o, jwks: keySet }).verifyIdToken(t);
  /** The free function's outcome and a new verifier's, for the same token, key set and options. */
  async function both(t, keySet, o = options) {
    const outcome = (p) => p.then((claims) => claims.sub, (e) => e.code);
    return [await outcome(stepup.verifyIdToken(t, keySet, o)), await outcome(fresh(t, keySet, o))];
  }
  // `keys` not enumerable: JSON.stringify shows `{}`, the core reads the key.
  const hidden = (key) => Object.defineProperty({}, "keys", { value: [key], enumerable: false });
  assert.deepEqual(await both(token, hidden(jwks.keys[0])), ["alice", "alice"]);
  assert.deepEqual(await both(token, hidden(otherJwk)), ["ERR_JWS_SIGNATURE_VERIFICATION_FAILED", "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"]);
  assert.deepEqual(await both(byOther, hidden(otherJwk)), ["bob", "bob"]);
  // An array whose toJSON names another key: the core reads the array.
  const lying = { keys: Object.assign([structuredClone(jwks.keys[0])], { toJSON: () => [otherJwk] }) };
  assert.deepEqual(await both(token, lying), ["alice", "alice"]);
  assert.deepEqual(await both(token, { keys: [otherJwk] }), ["ERR_JWS_SIGNATURE_VERIFICATION_FAILED", "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"]);
  // A getter that answers another key each time it is read: one read decides each call, also
  // once the object has been read before.
  let reads = 0;
  const shifting = { get keys() { return [reads++ % 2 === 0 ? otherJwk : jwks.keys[0]]; } };
  assert.equal(await stepup.verifyIdToken(byOther, shifting, options).then((c) => c.sub), "bob");
  assert.equal(reads, 1);
  assert.equal(await stepup.verifyIdToken(token, shifting, options).then((c) => c.sub), "alice");
  assert.equal(reads, 2, "read once, by the reading that found it changed");
  assert.equal(await stepup.verifyIdToken(byOther, shifting, options).then((c) => c.sub), "bob");
  assert.equal(reads, 3);
  assert.equal(await stepup.verifyIdToken(token, { keys: [jwks.keys[0]] }, options).then((c) => c.sub), "alice");
  // Options too: an algorithms list whose toJSON says another algorithm.
  const es256 = Object.assign(["ES256"], { toJSON: () => ["RS256"] });
  assert.deepEqual(await both(token, jwks, { ...options, algorithms: es256 }), ["alice", "alice"]);
  assert.deepEqual(await both(token, jwks, { ...options, algorithms: ["RS256"] }), ["ERR_JOSE_ALG_NOT_ALLOWED", "ERR_JOSE_ALG_NOT_ALLOWED"]);
  // An option named __proto__ is an option, which the core refuses as unknown.
  const proto = JSON.parse(`{"issuer": "${issuer}", "audience": "spa", "__proto__": {"x": 1}}`);
  await assert.rejects(stepup.verifyIdToken(token, jwks, proto), { name: "TypeError", message: /__proto__/ });
  // A getter that throws: the core's error, not the getter's.
  let calls = 0;
  const throwing = { get keys() { if (calls++ > 0) throw new Error("boom"); return jwks.keys; } };
  assert.equal((await stepup.verifyIdToken(token, throwing, options)).sub, "alice");
  await assert.rejects(stepup.verifyIdToken(token, throwing, options), { name: "TypeError", code: "ERR_INVALID_ARG_VALUE", message: /could not be read/ });
});

test("the free functions: what a prototype holds changes nothing, and what cannot be read is the core's TypeError", async () => {
  const { token, byOther } = await twoSigners(120);
  const options = { issuer, audience: "spa" };
  const sub = (p) => p.then((claims) => claims.sub, (e) => e.code ?? e.name);
  // An inherited toJSON (code that polluted the prototypes) cannot make two key sets one.
  try {
    Array.prototype.toJSON = function () { return `[${this.length}]`; };
    Object.prototype.toJSON = function () { return "{}"; };
    assert.equal(await sub(stepup.verifyIdToken(byOther, { keys: [otherJwk] }, options)), "bob");
    assert.equal(await sub(stepup.verifyIdToken(byOther, structuredClone(jwks), options)), "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
    assert.equal(await sub(stepup.verifyIdToken(byOther, { keys: [otherJwk] }, { issuer: "https://other.example", audience: "spa" })),
      "ERR_JWT_CLAIM_VALIDATION_FAILED");
  } finally {
    delete Array.prototype.toJSON;
    delete Object.prototype.toJSON;
  }
  // An inherited setter swallows no option and no call option.
  try {
    for (const name of ["expectedNonce", "maxTokenAge"]) {
      Object.defineProperty(Object.prototype, name, { set() {}, get() { return undefined; }, configurable: true });
    }
    assert.equal(await sub(stepup.verifyIdToken(token, jwks, { ...options, expectedNonce: "n" })), "ERR_JWT_CLAIM_VALIDATION_FAILED");
    assert.equal(await sub(stepup.verifyIdToken(token, jwks, { ...options, maxTokenAge: 60 })), "ERR_JWT_CLAIM_VALIDATION_FAILED");
  } finally {
    delete Object.prototype.expectedNonce;
    delete Object.prototype.maxTokenAge;
  }
  // A time that is not a number is refused, also for a token answered before.
  for (let i = 0; i < 2; i++) assert.equal(await sub(stepup.verifyIdToken(token, jwks, options)), "alice");
  for (const currentTime of ["9999999999", { valueOf: () => 1 }, null]) {
    await assert.rejects(stepup.verifyIdToken(token, jwks, { ...options, currentTime }), { name: "TypeError", code: "ERR_INVALID_ARG_TYPE" });
  }
  // A list whose length is not a whole number cannot be read, as createVerifier says.
  for (const length of ["1", true, [1]]) {
    const keys = new Proxy([jwks.keys[0]], { get: (target, name) => (name === "length" ? length : target[name]) });
    await assert.rejects(stepup.verifyIdToken(token, { keys }, options), { name: "TypeError", message: /jwks\.keys/ });
  }
  // A member that throws when read, in the options, the call's options or the key set.
  const throwing = (name) => Object.defineProperty({ ...options }, name, { get() { throw new RangeError("boom"); }, enumerable: true });
  await assert.rejects(stepup.verifyIdToken(token, jwks, throwing("issuer")), { name: "TypeError", message: /issuer/ });
  await assert.rejects(stepup.verifyIdToken(token, jwks, throwing("expectedNonce")), { name: "TypeError", message: /expectedNonce/ });
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  await assert.rejects(stepup.verifyIdToken(token, jwks, proxy), { name: "TypeError", message: /options/ });
  await assert.rejects(stepup.verifyIdToken(token, proxy, options), { name: "TypeError", message: /jwks/ });
});

test("a call is read once: members JSON does not show count, and a requirement changed after the call changes nothing", async () => {
  const verifier = stepup.createVerifier({ issuer, audience: "spa", jwks });
  const now = Math.floor(Date.now() / 1000);
  const token = await sign({ acr: "1" }, { iat: now, exp: now + 600 });
  // Answered twice without options, so an answer is kept for a call without options.
  for (let i = 0; i < 2; i++) assert.equal((await verifier.verifyIdToken(token)).sub, "alice");
  // A call whose members are not enumerable is not a call without options.
  const hidden = (members) => Object.defineProperties({}, Object.fromEntries(Object.entries(members).map(([k, value]) => [k, { value }])));
  await assert.rejects(verifier.verifyIdToken(token, hidden({ expectedNonce: "n" })), { code: "ERR_JWT_CLAIM_VALIDATION_FAILED" });
  await assert.rejects(verifier.verifyIdToken(token, hidden({ requirement: { acr: "urn:strong" } })), { code: "ERR_ACR_NOT_SATISFIED" });
  await assert.rejects(verifier.verifyIdToken(token, { [Symbol("x")]: 1 }), { name: "TypeError", code: "ERR_INVALID_ARG_VALUE" });
  // Past the latest time the core reads, a kept answer is not given.
  await assert.rejects(verifier.verifyIdToken(token, { currentTime: 2 ** 53 + 2 }), { name: "TypeError" });
  // More new tokens at once than the core keeps begun: the core reads a call again to finish
  // it, and reads the call as it was when made.
  const tokens = await Promise.all(Array.from({ length: 80 }, (_, i) => sign({ acr: "1", jti: `t${i}` }, { iat: now, exp: now + 600 })));
  const requirement = { acr: "urn:strong" };
  const calls = tokens.map((t) => verifier.verifyIdToken(t, { requirement }));
  requirement.acr = "1";
  for (const outcome of await Promise.allSettled(calls)) assert.equal(outcome.reason?.code, "ERR_ACR_NOT_SATISFIED");
});
