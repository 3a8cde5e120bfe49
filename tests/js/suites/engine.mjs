// The ACR/AMR engine through pkg, as runtime-neutral cases: the vectors the native core runs
// (tests/engine_vectors.rs), in the JavaScript shapes of CONTRACT.md section 4.
import { equal, errorLike, ok, thrown } from "./check.mjs";

export function engineSuite(stepup, { acr, step_up: stepUp, challenge }) {
  const cases = [];
  const add = (name, fn) => cases.push({ name, fn });
  // A case's policy argument: a preset by name, or the vector's own policy (maybe undefined).
  const policyOf = (c) => (c.preset ? stepup.acrPolicy(c.preset) : c.policy);
  // Runs `call`; a case with `error` must throw exactly that, any other must return `expected`.
  const expect = (c, call, expected = c.expected) => {
    if (c.error && !("expected" in c)) errorLike(stepup, thrown(call, c.name), c.error, c.name);
    else equal(call(), expected, c.name);
  };

  for (const c of acr.presets) {
    add(`acrPolicy ${c.name}`, () => expect(c, () => stepup.acrPolicy(c.preset), c.policy));
  }
  for (const c of acr.acrSatisfies) {
    add(`acrSatisfies ${c.name}`, () => expect(c, () => stepup.acrSatisfies(c.actual, c.required, policyOf(c))));
  }
  for (const c of acr.selectStrongestAcr) {
    add(`selectStrongestAcr ${c.name}`, () =>
      expect(c, () => stepup.selectStrongestAcr(c.requested, c.supported, policyOf(c))));
  }
  for (const c of acr.selectAcrFrom) {
    add(`selectAcrFrom ${c.name}`, () => expect(c, () => stepup.selectAcrFrom(c.requested, c.configured)));
  }
  for (const c of acr.resolveAcrValues) {
    add(`resolveAcrValues ${c.name}`, () => expect(c, () => stepup.resolveAcrValues(c.options, policyOf(c))));
  }
  for (const c of acr.amrSatisfies) {
    add(`amrSatisfies ${c.name}`, () => expect(c, () => stepup.amrSatisfies(c.amr, c.requirement)));
  }
  for (const c of acr.mapAuthenticationMethods) {
    add(`mapAuthenticationMethods ${c.name}`, () =>
      expect(c, () => stepup.mapAuthenticationMethods(c.methods, c.mapping)));
  }
  for (const c of stepUp.evaluateStepUp) {
    add(`evaluateStepUp ${c.name}`, () => {
      const options = { currentTime: c.currentTime, clockTolerance: c.clockTolerance };
      const policy = policyOf(c);
      if (policy !== undefined) options.policy = policy;
      expect(c, () => stepup.evaluateStepUp(c.claims, c.requirement, options));
    });
  }
  for (const c of challenge.build) {
    add(`buildStepUpChallenge ${c.name}`, () => {
      expect(c, () => stepup.buildStepUpChallenge(c.params), c.header);
      // E17: what stepup writes, stepup reads back to exactly what it was asked to say.
      if (!c.error) equal(stepup.parseStepUpChallenge(c.header), c.parsed, `${c.name} round trip`);
    });
  }
  for (const c of challenge.parse) {
    add(`parseStepUpChallenge ${c.name}`, () => equal(stepup.parseStepUpChallenge(c.header), c.expected, c.name));
  }

  // The binding's own rules, beyond the shared vectors.
  add("arguments of the wrong type are TypeErrors naming the argument", () => {
    const bad = [
      [() => stepup.acrPolicy(1), "ERR_INVALID_ARG_TYPE", "name"],
      [() => stepup.acrSatisfies("1", 1), "ERR_INVALID_ARG_TYPE", "required"],
      [() => stepup.acrSatisfies("1", ["1", 2]), "ERR_INVALID_ARG_TYPE", "required[1]"],
      [() => stepup.selectStrongestAcr("a", ["a"]), "ERR_INVALID_ARG_TYPE", "requested"],
      [() => stepup.selectAcrFrom(["a"], "a"), "ERR_INVALID_ARG_TYPE", "configured"],
      [() => stepup.resolveAcrValues(undefined), "ERR_INVALID_ARG_TYPE", "options"],
      [() => stepup.amrSatisfies(["pwd"], { all: "pwd" }), "ERR_INVALID_ARG_TYPE", "all"],
      [() => stepup.evaluateStepUp(null, { maxAge: 5 }), "ERR_INVALID_ARG_TYPE", "claims"],
      [() => stepup.evaluateStepUp({}, { maxAge: -1 }), "ERR_INVALID_ARG_VALUE", "maxAge"],
      [() => stepup.evaluateStepUp({}, { maxAge: 5 }, { currentTime: "now" }), "ERR_INVALID_ARG_TYPE", "currentTime"],
      [() => stepup.evaluateStepUp({}, { maxAge: 5 }, { clock_tolerance: 5 }), "ERR_INVALID_ARG_VALUE", "clock_tolerance"],
      [() => stepup.evaluateStepUp({}, { acr: "1" }, { policy: { ladder: [[]] } }), "ERR_INVALID_ARG_VALUE", "policy.ladder[0]"],
      [() => stepup.parseStepUpChallenge(undefined), "ERR_INVALID_ARG_TYPE", "header"],
    ];
    for (const [call, code, param] of bad) {
      errorLike(stepup, thrown(call, `${call}`), { code, param }, `${call}`);
    }
  });
  add("a Map or class instance is refused, never read as an empty (weaker) requirement", () => {
    const requirement = new Map([["acr", ["urn:mfa"]]]);
    errorLike(stepup, thrown(() => stepup.evaluateStepUp({}, requirement), "map"), { code: "ERR_INVALID_ARG_TYPE" }, "map");
  });
  add("amr that is not JSON data satisfies nothing", () => {
    for (const amr of [undefined, () => ["mfa"], new Set(["mfa"]), "mfa", { 0: "mfa", length: 1 }]) {
      equal(stepup.amrSatisfies(amr, { any: ["mfa"] }), false, `amr ${String(amr)}`);
    }
  });
  add("evaluateStepUp reads the platform clock when no currentTime is given", () => {
    const now = Math.floor(Date.now() / 1000);
    const fresh = stepup.evaluateStepUp({ auth_time: now - 10 }, { maxAge: 300 });
    equal(fresh, { satisfied: true, reasons: [] }, "fresh");
    const stale = stepup.evaluateStepUp({ auth_time: now - 3600 }, { maxAge: 300 });
    equal(stale, { satisfied: false, reasons: ["max_age"], maxAge: 300 }, "stale");
  });
  add("a decision feeds a challenge, and the challenge parses back to the same request", () => {
    const decision = stepup.evaluateStepUp(
      { acr: "LOA1", auth_time: 1_700_000_000 },
      { acr: ["LOA3", "LOA2"], maxAge: 60 },
      { policy: stepup.acrPolicy("wso2"), currentTime: 1_700_000_600 },
    );
    equal(decision, { satisfied: false, reasons: ["acr", "max_age"], acrValues: ["LOA3", "LOA2"], maxAge: 60 }, "decision");
    const header = stepup.buildStepUpChallenge({ acrValues: decision.acrValues, maxAge: decision.maxAge });
    const parsed = stepup.parseStepUpChallenge(`DPoP algs="ES256", ${header}`);
    ok(parsed && parsed.kind === "rfc9470", "parsed");
    equal([parsed.acrValues, parsed.maxAge], [decision.acrValues, decision.maxAge], "round trip");
  });
  return cases;
}
