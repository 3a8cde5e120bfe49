// Contract section 2: no input may trap the wasm instance. Every export gets hostile input and
// must answer with a coded error (TypeError for caller mistakes, StepUpError otherwise); after
// the whole table the instance still works.
import { test } from "node:test";
import assert from "node:assert/strict";
import stepup from "./load.mjs";

const huge = "a".repeat(4 << 20);
const deep = (() => {
  let o = {};
  for (let i = 0; i < 100000; i++) o = { a: o };
  return o;
})();
const revoked = Proxy.revocable({}, {});
revoked.revoke();
const throwingGetter = { get clientId() { throw new Error("boom"); } };
// An array to `Array.isArray` whose every read throws: its length and elements must be read the
// way a revoked Proxy is, or the exception unwinds through wasm and leaks its stack.
const throwingArray = new Proxy([], { get() { throw new Error("trap"); } });
const throwingElement = new Proxy(["a"], { get(target, key) { if (key === "0") throw new Error("trap"); return Reflect.get(target, key); } });
const hostileValues = [
  undefined, null, 0, -1, NaN, Infinity, 1e400, 10n, true, "", " ", "\r\n", "é", "\u0000", huge,
  Symbol("s"), () => {}, [], [[[]]], {}, new Map([["clientId", "x"]]), new Date(0), deep,
  revoked.proxy, throwingGetter, Object.create(null), new Proxy({}, { ownKeys() { throw new Error("trap"); } }),
  throwingArray, throwingElement,
];
const params = {
  authorizationEndpoint: "https://idp.example/a", clientId: "c", redirectUri: "https://app.example/cb",
  state: "s", codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
};

function callsFor(value) {
  return [
    () => stepup.calculateCodeChallenge(value),
    () => stepup.buildAuthorizationUrl(value),
    () => stepup.buildAuthorizationUrl({ ...params, clientId: value }),
    () => stepup.buildAuthorizationUrl({ ...params, acrValues: [value] }),
    () => stepup.buildAuthorizationUrl({ ...params, maxAge: value }),
    () => stepup.buildAuthorizationUrl({ ...params, claims: value }),
    () => stepup.buildAuthorizationUrl({ ...params, extraParams: { x: value } }),
    () => stepup.buildAuthorizationUrl({ ...params, authorizationEndpoint: value }),
    () => stepup.authorizationParamsFromAuth0(value),
    () => stepup.authorizationParamsFromAuth0({ domain: value, clientID: "x" }),
    () => stepup.authorizationParamsFromLock(value, value, value),
    () => stepup.authorizationParamsFromLock("c", "t.auth0.com", { auth: value }),
    () => stepup.validateAuthorizationResponse(value, { expectedIssuer: "https://idp.example" }),
    () => stepup.validateAuthorizationResponse("https://app/cb?code=c", value),
    () => stepup.validateAuthorizationResponse(`https://app/cb?code=${typeof value === "string" ? value : "c"}&state=${typeof value === "string" ? encodeURIComponent(value) : "s"}`, { expectedState: "s", expectedIssuer: "https://idp.example" }),
    () => stepup.parseDiscoveryDocument(value, "https://idp.example"),
    () => stepup.parseDiscoveryDocument("{}", value),
  ];
}

test("hostile input gets a coded error and never a trap", () => {
  let calls = 0;
  for (const value of hostileValues) {
    for (const call of callsFor(value)) {
      calls++;
      try {
        call();
      } catch (e) {
        assert.ok(!(e instanceof WebAssembly.RuntimeError), `trap: ${e}`);
        assert.ok(e instanceof Error, `not an Error: ${String(e)}`);
        assert.match(e.code ?? "", /^ERR_[A-Z_]+$/, `uncoded error: ${e.stack}`);
        assert.equal(e instanceof TypeError, e.code.startsWith("ERR_INVALID_ARG_"), `${e.code} ${e.name}`);
      }
    }
  }
  assert.ok(calls > 400);
});

test("arrays whose reads throw are coded errors, however many times: the instance keeps working", () => {
  for (let i = 0; i < 3000; i++) {
    for (const call of [
      () => stepup.selectAcrFrom(throwingArray, ["a"]),
      () => stepup.acrSatisfies("a", throwingElement),
      () => stepup.evaluateStepUp({}, { acr: throwingArray }),
    ]) {
      try {
        call();
        assert.fail("accepted");
      } catch (e) {
        assert.ok(e instanceof TypeError, String(e?.stack ?? e));
        assert.equal(e.code, "ERR_INVALID_ARG_VALUE");
      }
    }
  }
  assert.equal(stepup.selectAcrFrom(["a"], ["a"]), "a");
});

test("deep nesting, Maps and functions are refused rather than read as empty", () => {
  for (const claims of [deep, new Map(), () => {}]) {
    const e = (() => { try { stepup.buildAuthorizationUrl({ ...params, claims }); } catch (e) { return e; } })();
    assert.ok(e instanceof TypeError, String(e));
  }
  const e = (() => { try { stepup.buildAuthorizationUrl({ ...params, extraParams: new Map([["acr_values", "x"]]) }); } catch (e) { return e; } })();
  assert.equal(e.code, "ERR_INVALID_ARG_TYPE");
  assert.equal(e.param, "extraParams");
});

test("the instance still works after the hostile table", () => {
  assert.equal(
    stepup.calculateCodeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
  );
  assert.match(stepup.buildAuthorizationUrl(params), /^https:\/\/idp\.example\/a\?response_type=code&/);
  assert.match(stepup.generateState(), /^[A-Za-z0-9_-]{43}$/);
});
