// Caller mistakes are told in JavaScript's words: every export that reads options gets wrong
// shapes, and each answer must be a TypeError with an ERR_INVALID_ARG_* code, naming the member
// as the caller spells it, and never speak of Rust's types or serde's vocabulary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import stepup from "./load.mjs";
import { GuardCore } from "../../pkg/stepup.js";
// The browser client is in the browser build only (README, "Two builds, one package").
import * as browser from "../../pkg/browser/index.js";

browser.initSync({ module: readFileSync(new URL("../../pkg/browser/stepup_bg.wasm", import.meta.url)) });

/** Rust type names and serde phrases, which mean nothing to a JavaScript caller. */
const RUST_WORDS =
  /\b(sequence|map|struct|variant|u8|u16|u32|u64|u128|i8|i16|i32|i64|i128|f32|f64|usize|isize)\b|invalid type|expected|Option<|Vec</;

const authorization = {
  authorizationEndpoint: "https://idp.example/a", clientId: "c", redirectUri: "https://app.example/cb",
  state: "s", codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
};
const client = { issuer: "https://idp.example", clientId: "c", redirectUri: "https://app.example/cb" };
const jwks = { keys: [] };
const verifier = { issuer: "https://idp.example", audience: "c", jwks };
const guard = {
  STEPUP_ISSUER: "https://idp.example", STEPUP_CLIENT_ID: "c", STEPUP_UPSTREAM: "https://app.internal",
  STEPUP_SESSION_SECRET: "a-test-session-secret-of-at-least-32-bytes", STEPUP_RULES: '[{"path":"/a","acr":"1"}]',
};

/** Wrong shapes for every kind of member: [call, the member the message must name]. */
const SYNC = [
  // The ACR/AMR engine.
  [() => stepup.acrPolicy(5), "name"],
  [() => stepup.acrSatisfies("a", 5), "required"],
  [() => stepup.acrSatisfies("a", ["a", 5]), "required[1]"],
  [() => stepup.acrSatisfies("a", "a", { ladder: 5 }), "policy.ladder"],
  [() => stepup.acrSatisfies("a", "a", { ladder: [{}] }), "policy.ladder[0]"],
  [() => stepup.acrSatisfies("a", "a", { comparison: "atleast" }), "policy.comparison"],
  [() => stepup.acrSatisfies("a", "a", { comparison: 1 }), "policy.comparison"],
  [() => stepup.acrSatisfies("a", "a", { amrLevels: {} }), "policy.amrLevels"],
  [() => stepup.acrSatisfies("a", "a", { amrLevels: [{ acr: 1, all: ["otp"] }] }), "policy.amrLevels[0].acr"],
  [() => stepup.acrSatisfies("a", "a", []), "policy"],
  [() => stepup.acrSatisfies("a", "a", { ladders: [] }), "policy.ladders"],
  [() => stepup.selectStrongestAcr("a", ["a"]), "requested"],
  [() => stepup.selectStrongestAcr(["a"], [1]), "supported[0]"],
  [() => stepup.resolveAcrValues([]), "options"],
  [() => stepup.resolveAcrValues({ requested: "a" }), "requested"],
  [() => stepup.resolveAcrValues({ serverDefault: 5 }), "serverDefault"],
  [() => stepup.resolveAcrValues({ supported: [null] }), "supported[0]"],
  [() => stepup.resolveAcrValues({ fallback: true }), "fallback"],
  [() => stepup.resolveAcrValues({ fallback: { useHighestLevel: "yes" } }), "fallback.useHighestLevel"],
  [() => stepup.resolveAcrValues({ fallback: { internalAcr: 3 } }), "fallback.internalAcr"],
  [() => stepup.resolveAcrValues({ fallback: { internal: "x" } }), "fallback.internal"],
  [() => stepup.amrSatisfies(["otp"], ["otp"]), "requirement"],
  [() => stepup.amrSatisfies(["otp"], { all: "otp" }), "all"],
  [() => stepup.amrSatisfies(["otp"], { any: [5] }), "any[0]"],
  [() => stepup.mapAuthenticationMethods("otp", {}), "methods"],
  [() => stepup.mapAuthenticationMethods(["otp"], { mapping: { SMSOTP: 1 } }), "mapping.SMSOTP"],
  [() => stepup.mapAuthenticationMethods(["otp"], { mapping: [] }), "mapping"],
  [() => stepup.mapAuthenticationMethods(["otp"], { excluded: "x" }), "excluded"],
  [() => stepup.evaluateStepUp({}, { amr: ["otp"] }), "amr"],
  [() => stepup.evaluateStepUp({}, { amr: [["otp"]] }), "amr"],
  [() => stepup.evaluateStepUp({}, { amr: { all: [5] } }), "amr.all[0]"],
  [() => stepup.evaluateStepUp({}, { acr: 5 }), "acr"],
  [() => stepup.evaluateStepUp({}, { acr: [5] }), "acr[0]"],
  [() => stepup.evaluateStepUp({}, { maxAge: "300" }), "maxAge"],
  [() => stepup.evaluateStepUp({}, { maxAge: -1 }), "maxAge"],
  [() => stepup.evaluateStepUp({}, { maxAge: 1.5 }), "maxAge"],
  [() => stepup.evaluateStepUp({}, { maxage: 5 }), "maxage"],
  [() => stepup.evaluateStepUp({}, 5), "requirement"],
  [() => stepup.evaluateStepUp({}, {}, { currentTime: "now" }), "currentTime"],
  [() => stepup.evaluateStepUp({}, {}, { clockTolerance: -5 }), "clockTolerance"],
  [() => stepup.evaluateStepUp({}, {}, { policy: { ladder: "a" } }), "policy.ladder"],
  [() => stepup.evaluateStepUp({}, {}, { policies: {} }), "policies"],
  [() => stepup.buildStepUpChallenge({ acrValues: "a" }), "acrValues"],
  [() => stepup.buildStepUpChallenge({ acrValues: ["a", 5] }), "acrValues[1]"],
  [() => stepup.buildStepUpChallenge({ maxAge: true }), "maxAge"],
  [() => stepup.buildStepUpChallenge({ realm: 1, maxAge: 1 }), "realm"],
  [() => stepup.buildStepUpChallenge({ errorDescription: [], maxAge: 1 }), "errorDescription"],
  [() => stepup.buildStepUpChallenge([]), "params"],
  [() => stepup.parseStepUpChallenge(5), "header"],
  // Requests and responses.
  [() => stepup.buildAuthorizationUrl({ ...authorization, clientId: 5 }), "clientId"],
  [() => stepup.buildAuthorizationUrl({ ...authorization, state: undefined }), "state"],
  [() => stepup.buildAuthorizationUrl({ ...authorization, acrValues: "a" }), "acrValues"],
  [() => stepup.buildAuthorizationUrl({ ...authorization, acrValues: [1] }), "acrValues[0]"],
  [() => stepup.buildAuthorizationUrl({ ...authorization, maxAge: "1" }), "maxAge"],
  [() => stepup.buildAuthorizationUrl({ ...authorization, essentialAcr: "yes" }), "essentialAcr"],
  [() => stepup.buildAuthorizationUrl({ ...authorization, claims: [] }), "claims"],
  [() => stepup.buildAuthorizationUrl({ ...authorization, extraParams: { x: 1 } }), "extraParams.x"],
  [() => stepup.buildAuthorizationUrl({ ...authorization, extraParams: [] }), "extraParams"],
  [() => stepup.buildAuthorizationUrl({ ...authorization, acr_values: "a" }), "acr_values"],
  [() => stepup.authorizationParamsFromAuth0([]), "options"],
  [() => stepup.authorizationParamsFromLock("c", "t.auth0.com", { auth: 5 }), "options.auth"],
  [() => stepup.validateAuthorizationResponse("https://app/cb?code=c", { expectedIssuer: 5 }), "expectedIssuer"],
  [() => stepup.validateAuthorizationResponse("https://app/cb?code=c", {}), "expectedIssuer"],
  [() => stepup.validateAuthorizationResponse("https://app/cb?code=c", { expectedIssuer: "i", requireIssuer: 1 }), "requireIssuer"],
  [() => stepup.validateAuthorizationResponse("https://app/cb?code=c", { expectedIssuer: "i", state: "s" }), "state"],
  [() => stepup.parseDiscoveryDocument(5, "https://idp.example"), "json"],
  [() => stepup.parseDiscoveryDocument("{", "https://idp.example"), "json"],
  [() => stepup.parseDiscoveryDocument({ issuer: "https://idp.example" }, "https://idp.example"), "json"],
  // The browser client's options (read before any storage or network).
  [() => new browser.Client({ ...client, clientId: 5 }), "clientId"],
  [() => new browser.Client({ ...client, policy: { ladder: 5 } }), "policy.ladder"],
  [() => new browser.Client({ ...client, scopes: "openid" }), "scopes"],
  [() => new browser.Client(5), "options"],
  [() => new browser.Client(client).session({ amr: [["otp"]] }), "amr"],
  [() => new browser.Client(client).accessToken({ maxAge: "5" }), "maxAge"],
  [() => new browser.Client({ ...client, audience: 5 }), "audience"],
  [() => new browser.Client({ ...client, organization: ["o"] }), "organization"],
  [() => new browser.Client({ ...client, connection: 1 }), "connection"],
  [() => new browser.Client({ ...client, extraParams: { screen_hint: 1 } }), "extraParams.screen_hint"],
  [() => new browser.Client({ ...client, extraParams: { state: "s" } }), "extraParams.state"],
  [() => new browser.Client({ ...client, discoveryUrl: 5 }), "discoveryUrl"],
  [() => new browser.Client({ ...client, discoveryUrl: "http://idp.example/d" }), "discoveryUrl"],
  [() => new browser.Client({ ...client, metadata: "{}" }), "metadata"],
  [() => new browser.Client({ ...client, metadata: { issuer: "https://other.example" } }), "metadata"],
  [() => new browser.Client({ ...client, postLogoutRedirectUri: 5 }), "postLogoutRedirectUri"],
  [() => new browser.Client({ ...client, store: 5 }), "store"],
  [() => new browser.Client({ ...client, store: "cookie" }), "store"],
  [() => new browser.Client({ ...client, store: { get() {}, set() {} } }), "store"],
  // The guard's settings.
  [() => new stepup.Guard({ ...guard, STEPUP_ACR_POLICY: '{"ladder":[1]}' }), "STEPUP_ACR_POLICY.ladder[0]"],
  [() => new stepup.Guard({ ...guard, STEPUP_ACR_POLICY: '{"comparison":"least"}' }), "STEPUP_ACR_POLICY.comparison"],
  [() => new stepup.Guard({ ...guard, STEPUP_RULES: '[{"path":"/a","amr":[["otp"]]}]' }), "STEPUP_RULES[0].amr"],
  [() => new stepup.Guard({ ...guard, STEPUP_RULES: '[{"path":"/a","maxAge":"5"}]' }), "STEPUP_RULES[0].maxAge"],
];

/** The browser client's calls that answer with a promise. */
const ASYNC = [
  [() => new browser.Client(client).signIn({ acrValues: "a" }), "acrValues"],
  [() => new browser.Client(client).signIn({ max_age: "5" }), "max_age"],
  [() => new browser.Client(client).signIn({ auth: { params: { acr_values: ["a"] } } }), "auth.params.acr_values"],
  [() => new browser.Client(client).authorizationUrl({ requirement: { amr: ["otp"] } }), "requirement.amr"],
  [() => new browser.Client(client).stepUp({ acr: 5 }), "acr"],
  [() => new browser.Client(client).stepUp({}, { returnTo: 5 }), "returnTo"],
  [() => new browser.Client(client).refresh({ maxAge: -1 }), "maxAge"],
  [() => new browser.Client(client).fetch("https://api.example", {}, { stepUp: "yes" }), "stepUp"],
  [() => new browser.Client(client).signIn({ audience: 5 }), "audience"],
  [() => new browser.Client(client).signIn({ extraParams: { audience: "a" } }), "extraParams.audience"],
  [() => new browser.Client(client).signIn({ essentialAcr: "yes" }), "essentialAcr"],
  [() => new browser.Client(client).signIn({ essentialAcr: true }), "essentialAcr"],
  [() => new browser.Client(client).signIn({ claims: "x" }), "claims"],
  [() => new browser.Client(client).signOut({ endSession: 1 }), "endSession"],
];

/** `createVerifier` and the free verifications. */
const VERIFIER = [
  [() => stepup.createVerifier({ ...verifier, clockTolerance: "30" }), "clockTolerance"],
  [() => stepup.createVerifier({ ...verifier, policy: { ladder: 5 } }), "policy.ladder"],
  [() => stepup.createVerifier({ ...verifier, algorithms: "RS256" }), "algorithms"],
  [() => stepup.verifyIdToken("a.b.c", jwks, { issuer: "i", audience: "a", requirement: { amr: ["otp"] } }), "requirement.amr"],
  [() => stepup.verifyAccessToken("a.b.c", jwks, { issuer: "i", audience: "a", requirement: { maxAge: "5" } }), "requirement.maxAge"],
];

async function mistake(call) {
  try {
    await call();
  } catch (e) {
    return e;
  }
  assert.fail(`accepted: ${call}`);
}

/** What is wrong with the answer to a mistake, or nothing. */
function wrong(e, param) {
  if (!(e instanceof TypeError)) return `not a TypeError: ${e?.stack ?? e}`;
  if (!/^ERR_INVALID_ARG_(TYPE|VALUE)$/.test(e.code)) return `code ${e.code}: ${e.message}`;
  if (e.param !== param) return `names ${JSON.stringify(e.param)}, not ${JSON.stringify(param)}: ${e.message}`;
  // The member's own name may be anything the caller wrote; the rest is ours.
  if (RUST_WORDS.test(e.message.replace(`"${e.param}"`, ""))) return `speaks Rust: ${e.message}`;
  return "";
}

async function checkAll(cases) {
  const failures = [];
  for (const [call, param] of cases) {
    const why = wrong(await mistake(call), param);
    if (why) failures.push(`${call}\n  ${why}`);
  }
  assert.deepEqual(failures, []);
}

test("every options mistake names the member and reads in JavaScript's words", async () => {
  await checkAll([...SYNC, ...ASYNC, ...VERIFIER]);
});

test("the messages say what the member must be", () => {
  const message = (call) => { try { call(); } catch (e) { return e.message; } };
  assert.equal(message(() => stepup.evaluateStepUp({}, { amr: ["otp"] })), '"amr" must be an object { all?, any? }');
  assert.equal(message(() => stepup.buildStepUpChallenge({ acrValues: ["a", 5] })), '"acrValues[1]" must be a string');
  assert.equal(message(() => stepup.evaluateStepUp({}, { maxAge: "300" })), '"maxAge" must be a whole number ≥ 0');
  assert.equal(
    message(() => stepup.resolveAcrValues({ fallback: [] })),
    '"fallback" must be an object { useHighestLevel?, internalAcr? }',
  );
  assert.equal(
    message(() => stepup.acrSatisfies("a", "a", { comparison: "atleast" })),
    '"policy.comparison": must be one of "exact", "minimum", "better", "maximum"',
  );
  assert.equal(message(() => stepup.amrSatisfies([], { all: "otp" })), '"all" must be an array of strings');
  assert.equal(message(() => stepup.evaluateStepUp({}, { maxage: 5 })), '"maxage": is not a known option');
  // A document handed over was never fetched: its fault is the argument's, not a fetch's.
  assert.equal(
    message(() => stepup.parseDiscoveryDocument("{", "https://idp.example")),
    '"json": not a usable discovery document: EOF while parsing an object at line 1 column 1',
  );
});

test("a call before init() is a coded error saying what to do, and init() afterwards works", async () => {
  // Fresh instances of both builds' glue: a copy of each build, imported from its own place.
  for (const build of ["../../pkg/", "../../pkg/browser/"]) {
    const copy = mkdtempSync(join(tmpdir(), "stepup-before-init-"));
    cpSync(fileURLToPath(new URL(build, import.meta.url)), copy, { recursive: true, filter: (f) => !f.endsWith("browser") });
    const fresh = await import(pathToFileURL(join(copy, "index.js")).href);
    const calls = [
      () => fresh.parseDiscoveryDocument("{}", "https://idp.example"),
      () => fresh.acrSatisfies("a", "a"),
      () => fresh.createVerifier(verifier),
      () => fresh.verifyIdToken("a.b.c", jwks, { issuer: "i", audience: "a" }),
      ...(fresh.Client ? [() => new fresh.Client(client)] : [() => new fresh.Guard(guard)]),
    ];
    for (const call of calls) {
      const e = await mistake(call);
      assert.equal(e.code, "ERR_NOT_INITIALIZED", `${build}: ${call}: ${e.stack}`);
      assert.match(e.message, /^stepup is not initialized: await init\(\)/);
    }
    await fresh.default({ module_or_path: readFileSync(join(copy, "stepup_bg.wasm")) });
    assert.equal(fresh.acrSatisfies("a", "a"), true, `${build}: works once initialized`);
    rmSync(copy, { recursive: true });
  }
});

test("the guard's core refuses a count of header lines that is not the text's, whatever number it is given", () => {
  // The core itself, as the shell (js/guard.js) calls it: the package's entry does not export it.
  assert.equal(stepup.GuardCore, undefined);
  const core = new GuardCore(guard);
  const status = (lines) => JSON.parse(core.decide("GET", "https://app.example/x", "a\nb", lines))[1];
  assert.notEqual(status(2), 500, "the true count is read");
  for (const lines of [-2, 2 ** 32 + 2, 1e20, 1.5, NaN, Infinity, 0, 4]) assert.equal(status(lines), 500, String(lines));
});

test("a store of the app's own whose get or remove throws fails coded, never with its raw error", async () => {
  const boom = () => { throw new Error("store down"); };
  const held = new Map();
  const store = (over) => ({ get: (k) => held.get(k), set: (k, v) => held.set(k, v), remove: (k) => held.delete(k), ...over });
  for (const [method, call] of [
    ["get", () => new browser.Client({ ...client, store: store({ get: boom }) })],
    ["remove", () => new browser.Client({ ...client, store: store({ remove: boom }) }).signOut()],
  ]) {
    const e = await mistake(call);
    assert.equal(e.code, "ERR_FETCH_FAILED", `${method}: ${e.stack}`);
    assert.match(e.message, new RegExp(`the store's ${method}\\("stepup:c:tokens"\\) failed: store down$`));
  }
  // A store that throws what cannot even be read is coded too.
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  const e = await mistake(() => new browser.Client({ ...client, store: store({ get: () => { throw proxy; } }) }));
  assert.equal(e.code, "ERR_FETCH_FAILED", e.stack);
});

test("a freed Client fails coded, ERR_INVALID_STATE, whatever is called then; a call under way comes back with its answer", async () => {
  const options = { ...client, apiOrigins: ["https://api.example"], store: "memory" };
  const freed = new browser.Client(options);
  freed.free();
  freed.free();
  for (const call of [() => freed.session(), () => freed.accessToken(), () => freed.signIn({}), () => freed.fetch("https://api.example/x")]) {
    const e = await mistake(call);
    assert.equal(e.code, "ERR_INVALID_STATE", `${call}: ${e.stack}`);
  }
  // A call under way when free() comes: it was made, so its answer is the app's, as it came
  // (a retry by the app would carry the action out twice).
  const realFetch = globalThis.fetch;
  let answer;
  globalThis.fetch = () => new Promise((resolve) => { answer = resolve; });
  try {
    const c = new browser.Client(options);
    const call = c.fetch("https://api.example/x");
    await new Promise((resolve) => setTimeout(resolve, 10));
    c.free();
    answer(new Response("", { status: 401, headers: { "www-authenticate": 'Bearer error="insufficient_user_authentication", acr_values="2"' } }));
    assert.equal((await call).status, 401);
  } finally {
    globalThis.fetch = realFetch;
  }
});

test("a sign-out with a store whose remove throws still signs out: every key is tried, the other clients are told, then it fails coded", async () => {
  const held = new Map();
  const failing = { get: (k) => held.get(k), set: (k, v) => held.set(k, v), remove: () => { throw new Error("store down"); } };
  const signingOut = new browser.Client({ ...client, store: failing });
  const other = new browser.Client({ ...client, store: "memory" });
  const heard = new Promise((resolve) => other.onChange(resolve));
  const e = await mistake(() => signingOut.signOut());
  assert.equal(e.code, "ERR_FETCH_FAILED", e.stack);
  assert.deepEqual(await Promise.race([heard, new Promise((resolve) => setTimeout(() => resolve("not told"), 2000))]), { type: "signedOut" });
  signingOut.free();
  other.free();
  // A freed client takes no listener either.
  assert.equal((await mistake(() => other.onChange(() => {}))).code, "ERR_INVALID_STATE");
});
