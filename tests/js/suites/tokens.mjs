// SECURITY.md sections A-E through verifyIdToken / verifyAccessToken, from the committed table
// tests/vectors/tokens.json (the native Rust verifier runs the same table).
import { equal, errorLike, ok, rejected } from "./check.mjs";

function payloadOf(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
}

/** A case's options split into the verifier's (read once) and the call's. */
function split(options) {
  const { expectedNonce, maxAge, requirement, currentTime, ...shared } = options;
  const call = Object.fromEntries(Object.entries({ expectedNonce, maxAge, requirement, currentTime })
    .filter(([, v]) => v !== undefined));
  return { shared, call };
}

/**
 * The table through `verifyIdToken` / `verifyAccessToken`, or (`reusable`) through
 * `createVerifier`: one verifier per key set and shared options, each case verified twice so the
 * second answer comes from the verifier's cache and must be the same.
 */
export function tokenSuite(stepup, fixture, { reusable = false } = {}) {
  const verifiers = new Map();
  const viaVerifier = async (c) => {
    const { shared, call } = split(c.options);
    const id = JSON.stringify([c.jwks ?? fixture.jwks, shared]);
    if (!verifiers.has(id)) verifiers.set(id, stepup.createVerifier({ ...shared, jwks: c.jwks ?? fixture.jwks }));
    const verifier = verifiers.get(id);
    const verify = (c.kind === "access" ? verifier.verifyAccessToken : verifier.verifyIdToken);
    const first = await verify(c.token, call).then((claims) => ({ claims }), (error) => ({ error }));
    const again = await verify(c.token, call).then((claims) => ({ claims }), (error) => ({ error }));
    equal(again.error?.code, first.error?.code, `${c.id}: the repeat (from the cache) fails alike`);
    equal(again.claims, first.claims, `${c.id}: the repeat (from the cache) has the same claims`);
    if (first.error) throw first.error;
    return first.claims;
  };
  const run = (c) => {
    if (reusable) return viaVerifier(c);
    const verify = c.kind === "access" ? stepup.verifyAccessToken : stepup.verifyIdToken;
    return verify(c.token, c.jwks ?? fixture.jwks, c.options);
  };
  const cases = fixture.cases.map((c) => ({
    name: `${c.id} ${c.name}`,
    fn: async () => {
      if (c.expect.error) {
        errorLike(stepup, await rejected(run(c), c.name), c.expect.error, `${c.id} ${c.name}`);
      } else {
        // Every claim exactly as signed, as own data of a plain object: a claim named
        // `__proto__` must not become the prototype and lend the object inherited "claims" (A31).
        const claims = await run(c);
        equal(claims, payloadOf(c.token), `${c.id} ${c.name}`);
        ok(Object.getPrototypeOf(claims) === Object.prototype, `${c.id}: plain object`);
        ok(!("admin" in claims) || Object.hasOwn(claims, "admin"), `${c.id}: no inherited claims`);
      }
    },
  }));
  cases.push({
    name: "the instance still works after the hostile table, and repeats agree",
    fn: async () => {
      const valid = fixture.cases.filter((c) => c.expect.claims);
      ok(valid.length >= 6, "valid cases");
      for (let round = 0; round < 3; round++) {
        for (const c of valid) equal(await run(c), payloadOf(c.token), `${c.name} round ${round}`);
        for (const c of fixture.cases.filter((c) => c.expect.error).slice(0, 40)) {
          errorLike(stepup, await rejected(run(c), c.name), c.expect.error, `${c.name} round ${round}`);
        }
      }
    },
  });
  return cases;
}
