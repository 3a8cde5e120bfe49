// The ACR dialects the local IdP speaks, one table per seed system, and the one rule that turns a
// request plus what the user has proved into the next step, the `acr` and the `amr` to assert.
//
// Authentication methods are RFC 8176 `amr` names: `pwd` (password), `otp` (one-time code) and
// `mfa`, which is added whenever both are present (a knowledge and a possession factor), except
// in a dialect whose `amr` names its authenticators instead (WSO2).
//
// A level says which methods it needs and whether they must be performed in *this* sign-in
// (`fresh: true`) or may come from the existing session. Levels run weakest → strongest.

export const METHODS = ["pwd", "otp"];

const MFA_URI = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";

export const PROFILES = {
  // ../../shared/seeds/fief-acr.md: level 0 = "authenticated through an existing session or a
  // refresh token", level 1 = "authenticated using their email and password", and "acr_values=1
  // forces re-authentication" even with a valid session, hence `fresh`. Level 2 (password +
  // code) is our extension: Fief "plan[s] to support ... MFA ... higher levels of ACR".
  fief: {
    levels: [
      { acr: "0", needs: [], fresh: false },
      { acr: "1", needs: ["pwd"], fresh: true },
      { acr: "2", needs: ["pwd", "otp"], fresh: true },
    ],
    // The seed: a refresh token yields level 0 too (applied by the adapter in config.mjs).
    refreshAcr: "0",
  },

  // ../../shared/seeds/auth0-step-up.md: the only class Auth0 asserts is the PAPE multi-factor
  // policy, with `mfa` in `amr`. A password-only sign-in carries no `acr` at all (no single-factor
  // value is documented), so RPs must read `amr` for the basic level.
  auth0: {
    levels: [{ acr: MFA_URI, needs: ["pwd", "otp"], fresh: false }],
  },

  // ../../shared/seeds/wso2-acr-amr.md: the adaptive script runs one more step per level (LOA1,
  // LOA2, LOA3). Here LOA1 = password, LOA2 = password + code (the session may supply either),
  // LOA3 = password + code both entered in this very sign-in, never satisfied by an older session.
  // Its `amr` names the authenticators that ran (the seed's ID token: "BasicAuthenticator", …),
  // as WSO2 does until a deployment maps them: the password is `BasicAuthenticator`, the code
  // WSO2's TOTP authenticator `totp`, and no `mfa` is added.
  wso2: {
    levels: [
      { acr: "LOA1", needs: ["pwd"], fresh: false },
      { acr: "LOA2", needs: ["pwd", "otp"], fresh: false },
      { acr: "LOA3", needs: ["pwd", "otp"], fresh: true },
    ],
    authenticators: { pwd: "BasicAuthenticator", otp: "totp" },
  },

  // ../../shared/seeds/janssen-acr.md: named authentication methods with levels. `basic`
  // (level 1, password script) and `otp` (level 2) are the enabled scripts, so they alone are in
  // `acr_values_supported`. The precedence is request → client `default_acr_values` (the SPA
  // client gets ["basic"], see `clientDefaultAcrValues`) → server default (none configured) →
  // the internal `default_password_auth` at level −1.
  janssen: {
    levels: [
      { acr: "default_password_auth", needs: ["pwd"], fresh: false, level: -1, internal: true },
      { acr: "basic", needs: ["pwd"], fresh: false, level: 1 },
      { acr: "otp", needs: ["pwd", "otp"], fresh: false, level: 2 },
    ],
    clientDefaultAcrValues: ["basic"],
    serverDefaultAcr: undefined,
    internalAcr: "default_password_auth",
  },
};

export function profile(name) {
  const p = PROFILES[name];
  if (!p) {
    throw new TypeError(`unknown IdP profile ${JSON.stringify(name)}; use one of ` +
      Object.keys(PROFILES).join(", "));
  }
  return { name, ...p };
}

/** What discovery advertises as `acr_values_supported` (internal-only values are not listed). */
export function acrValuesSupported(p) {
  return p.levels.filter((l) => !l.internal).map((l) => l.acr);
}

/**
 * The acr values a request asks for, in order of preference. An essential `acr` in the `claims`
 * parameter wins (it is a hard requirement); then `acr_values`, which oidc-provider has already
 * filled from the client's `default_acr_values` when the request had none; then the profile's
 * server default and internal fallback (Janssen precedence). `[]` means "nothing asked".
 */
export function requestedAcr(p, params) {
  let claims;
  try {
    claims = params.claims ? JSON.parse(params.claims) : undefined;
  } catch {
    claims = undefined; // oidc-provider has already refused unparsable claims
  }
  const acr = claims?.id_token?.acr;
  if (acr?.essential) {
    if (Array.isArray(acr.values)) return { values: acr.values, essential: true };
    if (typeof acr.value === "string") return { values: [acr.value], essential: true };
  }
  // An IdP may treat acr_values as voluntary and ignore it (`idp.ignoreAcrValues(true)`).
  if (params.acr_values && !p.ignoresAcrValues) return { values: params.acr_values.split(" "), essential: false };
  const fallback = p.serverDefaultAcr ?? p.internalAcr;
  return { values: fallback ? [fallback] : [], essential: false };
}

/**
 * The one decision rule, used both before an interaction (is one needed?) and inside it (which
 * page next?).
 *   requested: acr values in order of preference; factors: what the user is enrolled in
 *   (undefined while the user is unknown); session: the `amr` of the reusable session;
 *   fresh: methods performed in this sign-in.
 * Returns `{ next }` (a method to perform), `{ unmet }` (a reason), or `{ acr, amr }`.
 */
export function decide(p, { requested, factors, session, fresh }) {
  // Identify the user first: nothing can be decided for an unknown account.
  if (!factors || (session.length === 0 && !fresh.includes("pwd"))) return { next: "pwd" };

  const proved = new Set([...methodsOf(p, session), ...fresh]);
  const now = new Set(fresh);
  const missing = (level) => level.needs.find((m) => !(level.fresh ? now : proved).has(m));
  const has = (level) => missing(level) === undefined;

  let acr;
  if (requested.length) {
    // OIDC Core 3.1.2.1: acr_values are in order of preference; take the first one this user can
    // reach at all. None reachable (unknown values, or bob without a second factor) → unmet.
    const target = requested
      .map((value) => p.levels.find((l) => l.acr === value))
      .find((l) => l && l.needs.every((m) => factors.includes(m)));
    if (!target) {
      return { unmet: `none of the requested authentication levels (${requested.join(" ")}) ` +
        "can be reached by this account" };
    }
    const next = missing(target);
    if (next) return { next };
    acr = target.acr;
  } else {
    // Nothing asked: assert the strongest level that what happened satisfies (maybe none).
    acr = p.levels.filter((l) => !l.internal).findLast((l) => has(l))?.acr;
  }

  return { acr, amr: amrOf(p, METHODS.filter((m) => proved.has(m))) };
}

/** The methods an `amr` this profile asserted stands for. */
function methodsOf(p, amr) {
  return METHODS.filter((m) => amr.includes(p.authenticators?.[m] ?? m));
}

/** The `amr` a profile asserts for the methods proved (RFC 8176 names, or its own). */
export function amrOf(p, methods) {
  if (p.authenticators) return methods.map((m) => p.authenticators[m]);
  return methods.includes("pwd") && methods.includes("otp") ? [...methods, "mfa"] : [...methods];
}
